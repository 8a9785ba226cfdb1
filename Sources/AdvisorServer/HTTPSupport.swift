import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RiskCore
import RiskIO

/// The request context: the channel, to see whether the client is still there.
public struct ServeContext: RequestContext {
  public var coreContext: CoreRequestContextStorage
  public let channel: any Channel
  public init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    channel = source.channel
  }
}

/// A route's answer before it becomes a `Response`: status, body, extra headers, and what
/// the request log line says about it.
struct Reply: Sendable {
  var status: HTTPResponse.Status
  var body: String
  var contentType = "application/json"
  var headers: [(String, String)] = []
  /// The decision, for the log line (`pass`, `fail`, `3 passed, 1 failed`).
  var decision: String? = nil
  var code: ServeErrorCode? = nil

  static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Reply {
    // Server-built documents hold finite numbers only; one that does not is refused as every report is.
    do {
      return Reply(status: status, body: try value.rendered() + "\n")
    } catch {
      return .error(ServeError(.nonFiniteOutput, "\(error)"))
    }
  }

  static func text(_ body: String, contentType: String) -> Reply {
    Reply(status: .ok, body: body, contentType: contentType)
  }

  /// An error as `{"error": {"code", "message"}, "schemaVersion": 1}`.
  static func error(_ e: ServeError) -> Reply {
    let doc: JSONValue = [
      "schemaVersion": 1, "error": ["code": .string(e.code.rawValue), "message": .string(oneLine(e.message))],
    ]
    var r = Reply(status: e.code.status, body: (try? doc.rendered()).map { $0 + "\n" } ?? "{}\n")
    r.code = e.code
    return r
  }

  func response(requestID: String) -> Response {
    var fields = HTTPFields()
    fields[.contentType] = contentType
    if let name = HTTPField.Name.requestID { fields[name] = requestID }
    fields[.cacheControl] = "no-store"
    for (name, value) in headers {
      if let n = HTTPField.Name(name) { fields[n] = value }
    }
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
  }
}

extension HTTPField.Name {
  static let requestID = HTTPField.Name("X-Request-Id")
}

extension ServeErrorCode {
  var status: HTTPResponse.Status {
    switch self {
    case .unauthorized: return .unauthorized
    case .notFound, .orderNotOpen: return .notFound
    case .methodNotAllowed: return .methodNotAllowed
    case .unsupportedMediaType: return .unsupportedMediaType
    case .bodyTooLarge, .batchTooLarge: return .contentTooLarge
    case .bodyTimeout: return .requestTimeout
    case .badRequest, .badQuery, .unknownRegime: return .badRequest
    case .orderIDOpen: return .conflict
    case .notEvaluated: return .unprocessableContent
    case .workspaceNotLoaded: return .serviceUnavailable
    default: return .internalServerError
    }
  }
}

/// The query of a request, checked: only the names a route takes, each once (unless repeatable).
struct Query {
  private var values: [String: [String]] = [:]

  init(_ request: Request, allowed: Set<String>, repeatable: Set<String> = []) throws(ServeError) {
    for (k, v) in request.uri.queryParameters {
      let key = String(k)
      guard allowed.contains(key) else {
        let hint = allowed.isEmpty ? "this route takes none" : "expected \(allowed.sorted().joined(separator: ", "))"
        throw ServeError(.badQuery, "unknown query parameter \(quoted(key)); \(hint).")
      }
      if values[key] != nil && !repeatable.contains(key) {
        throw ServeError(.badQuery, "query parameter \(quoted(key)) is given twice; give it once.")
      }
      values[key, default: []].append(String(v))
    }
  }

  func string(_ key: String) -> String? { values[key]?.first }
  func all(_ key: String) -> [String] { values[key] ?? [] }

  func bool(_ key: String, default d: Bool) throws(ServeError) -> Bool {
    guard let v = values[key]?.first else { return d }
    switch v {
    case "true", "1", "yes": return true
    case "false", "0", "no": return false
    default: throw ServeError(.badQuery, "query parameter '\(key)': \(quoted(v)) is not true or false.")
    }
  }

  func choice<T: RawRepresentable & CaseIterable>(_ key: String, default d: T) throws(ServeError) -> T
  where T.RawValue == String {
    guard let v = values[key]?.first else { return d }
    guard let t = T(rawValue: v) else {
      throw ServeError(
        .badQuery, "query parameter '\(key)': \(quoted(v)) is not one of \(T.allCases.map(\.rawValue).joined(separator: ", ")).")
    }
    return t
  }
}

/// Reads a request body: at most `limits.maxBodyBytes`, within `limits.bodyTimeout`.
func readBody(_ request: Request, _ limits: RequestLimits) async throws(ServeError) -> [UInt8] {
  let tooLarge = ServeError(
    .bodyTooLarge, "the request body is larger than \(limits.maxBodyBytes) bytes; split the batch (--max-body-bytes).")
  if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limits.maxBodyBytes { throw tooLarge }
  let body = request.body
  let max = limits.maxBodyBytes
  let outcome: Result<ByteBuffer, any Error>? = await withTaskGroup(of: Result<ByteBuffer, any Error>?.self) { group in
    group.addTask { await Result { try await body.collect(upTo: max) } }
    group.addTask {
      try? await Task.sleep(for: limits.bodyTimeout)
      return nil
    }
    let first = await group.next() ?? nil
    group.cancelAll()
    return first
  }
  switch outcome {
  case .success(let buffer): return Array(buffer.readableBytesView)
  case .failure(let e) where e is NIOTooManyBytesError: throw tooLarge
  case .failure(let e): throw ServeError(.badRequest, "the request body could not be read: \(e).")
  case nil:
    throw ServeError(.bodyTimeout, "the request body did not arrive within \(limits.bodyTimeout.components.seconds) s.")
  }
}

extension Result where Failure == any Error {
  init(catching body: () async throws -> Success) async {
    do { self = .success(try await body()) } catch { self = .failure(error) }
  }
}

/// The seconds of a duration, for messages and metrics.
extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
