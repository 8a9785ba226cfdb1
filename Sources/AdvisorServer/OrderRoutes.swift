import Foundation
import Hummingbird
import RiskCore
import RiskIO

/// `GET /v1/orders`, `POST /v1/orders/{client_order_id}/fill|cancel`: the held orders.
enum OrderRoutes {
  static func list(_ request: Request, _ app: ServeApp) async throws(ServeError) -> Reply {
    _ = try Query(request, allowed: [])
    let orders = await app.desk.orders()
    let generation = await app.desk.snapshot.generation
    return .json(["schemaVersion": 1, "orders": .array(orders), "workspaceGeneration": .integer(generation)])
  }

  /// The order id of `/v1/orders/{id}/…`, percent-decoded.
  static func id(_ raw: Substring) throws(ServeError) -> OrderID {
    guard let text = String(raw).removingPercentEncoding, !text.isEmpty else {
      throw ServeError(.badRequest, "the order id in the path is not percent-encoded UTF-8.")
    }
    return OrderID(text)
  }

  static func fill(_ request: Request, _ id: OrderID, _ app: ServeApp) async throws(ServeError) -> Reply {
    _ = try Query(request, allowed: [])
    let quantity = try FillBody.parse(try await readBody(request, app.settings.limits))
    let order = try await app.desk.fill(id, quantity: quantity)
    var r = Reply.json(["schemaVersion": 1, "order": order])
    r.decision = "filled"
    return r
  }

  static func cancel(_ request: Request, _ id: OrderID, _ app: ServeApp) async throws(ServeError) -> Reply {
    _ = try Query(request, allowed: [])
    let order = try await app.desk.cancel(id)
    var r = Reply.json(["schemaVersion": 1, "order": order])
    r.decision = "cancelled"
    return r
  }
}

/// The body of a fill: empty (all that is open) or `{"quantity": units}`.
struct FillBody: Decodable {
  var quantity: Double?

  static func parse(_ bytes: [UInt8]) throws(ServeError) -> Double? {
    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
    do {
      return try JSONDecoder().decode(FillBody.self, from: Data(bytes)).quantity
    } catch let e as ServeError {
      throw e
    } catch {
      throw ServeError(.badRequest, "request: not a JSON object.")
    }
  }

  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: SizeBody.Key.self)
    for key in c.allKeys {
      guard key.stringValue == "quantity" else {
        throw SizeBody.fieldError(key.stringValue, "unknown key; expected quantity.")
      }
      quantity = try SizeBody.number(c, key, InputRange.orderSize)
    }
  }
}
