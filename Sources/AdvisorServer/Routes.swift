import Foundation
import Hummingbird
import RiskCore

/// The API: each path, its methods, its handler. Every route but `/healthz` needs the bearer
/// token when one is configured.
enum Routes {
  /// The route's name for the metrics and the log (its template), and its reply.
  static func answer(_ request: Request, _ context: ServeContext, _ app: ServeApp) async -> (String, Reply) {
    let parts = request.uri.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
    let route = template(Array(parts))
    if route != "/healthz", let token = app.settings.token, !token.accepts(authorization: request.headers[.authorization]) {
      var r = Reply.error(ServeError(.unauthorized, "a valid bearer token is required (Authorization: Bearer …)."))
      r.headers = [("WWW-Authenticate", "Bearer")]
      return (route, r)
    }
    do {
      return (route, try await dispatch(route, Array(parts), request, context, app))
    } catch {
      return (route, .error(error))
    }
  }

  /// The routes' templates, with the methods each takes.
  static let methods: [String: [HTTPRequest.Method]] = [
    "/healthz": [.get], "/readyz": [.get], "/metrics": [.get], "/v1/check": [.post], "/v1/size": [.post],
    "/v1/aum": [.get], "/v1/budget": [.get], "/v1/state": [.get], "/v1/orders": [.get],
    "/v1/orders/{client_order_id}/fill": [.post], "/v1/orders/{client_order_id}/cancel": [.post],
  ]

  static func template(_ parts: [Substring]) -> String {
    if parts.count == 4, parts[0] == "v1", parts[1] == "orders", !parts[2].isEmpty, parts[3] == "fill" || parts[3] == "cancel" {
      return "/v1/orders/{client_order_id}/\(parts[3])"
    }
    let path = "/" + parts.joined(separator: "/")
    return methods[path] != nil ? path : "other"
  }

  static func dispatch(
    _ route: String, _ parts: [Substring], _ request: Request, _ context: ServeContext, _ app: ServeApp
  ) async throws(ServeError) -> Reply {
    guard let allowed = methods[route] else {
      throw ServeError(.notFound, "no such route \(quoted(request.uri.path)); see docs/openapi.yaml.")
    }
    guard allowed.contains(request.method) else {
      var r = Reply.error(
        ServeError(
          .methodNotAllowed,
          "\(request.method.rawValue) is not allowed on \(route); use \(allowed.map(\.rawValue).joined(separator: ", "))."))
      r.headers = [("Allow", allowed.map(\.rawValue).joined(separator: ", "))]
      return r
    }
    switch route {
    case "/healthz": return HealthRoutes.health()
    case "/readyz": return await HealthRoutes.ready(app)
    case "/metrics": return HealthRoutes.metrics(app)
    case "/v1/check": return try await CheckRoute.handle(request, context, app)
    case "/v1/size": return try await ReportRoutes.size(request, app)
    case "/v1/aum": return try await ReportRoutes.aum(request, app)
    case "/v1/budget": return try await ReportRoutes.budget(request, app)
    case "/v1/state": return try await ReportRoutes.state(request, app)
    case "/v1/orders": return try await OrderRoutes.list(request, app)
    default:
      let id = try OrderRoutes.id(parts[2])
      return parts[3] == "fill"
        ? try await OrderRoutes.fill(request, id, app) : try await OrderRoutes.cancel(request, id, app)
    }
  }
}
