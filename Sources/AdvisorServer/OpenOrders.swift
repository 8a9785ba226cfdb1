import Foundation
import RiskCore
import RiskIO

/// A held order's identifier: the client's `client_order_id`, else one the server gave it.
public struct OrderID: Hashable, Sendable, CustomStringConvertible {
  public let rawValue: String
  public init(_ rawValue: String) { self.rawValue = rawValue }
  public var description: String { rawValue }
  /// Percent-encoded but for RFC 3986's unreserved characters: safe in a header and a path.
  public var headerText: String {
    rawValue.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? ""
  }
  static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// An order that passed and is held against the book: its open units count in every later
/// check until it is filled, cancelled or its time to live runs out. What was filled stays
/// in the book as a position until the account file is reloaded with changed positions.
struct Hold: Sendable {
  let id: OrderID
  let order: Order
  let regime: String
  /// As the check applied it (quantity: the whole order, signed).
  let applied: AppliedOrder
  let heldAt: Date
  let expiresAt: ContinuousClock.Instant
  let expiresAtDate: Date
  /// Units still open and units filled (both ≥ 0, their sum at most the order's quantity).
  var open: Double
  var filled: Double

  /// What the book carries for it: the open and the filled units.
  var inBook: AppliedOrder {
    var a = applied
    a.quantity = order.side.sign * (open + filled)
    return a
  }

  var json: JSONValue {
    [
      "clientOrderId": .string(id.rawValue), "instrument": .string(order.symbol),
      "side": .string(order.side == .long ? "buy" : "sell"), "quantity": .number(order.quantity),
      "price": .optional(order.price), "stop": .optional(order.stop), "openQuantity": .number(open),
      "filledQuantity": .number(filled), "regime": .string(regime), "heldAt": .string(Self.iso(heldAt)),
      "expiresAt": open > 0 ? .string(Self.iso(expiresAtDate)) : .null,
      "status": .string(open > 0 ? (filled > 0 ? "partially-filled" : "open") : "filled"),
    ]
  }

  static func iso(_ d: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: d)
  }
}
