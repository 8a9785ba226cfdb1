/// A value held in one immutable object: a struct that keeps its fields in one is copied as
/// one reference, however many strings and arrays the fields hold. For the values a batch
/// copies into every order (``RegimeProfile``, ``TradingStateReading``; BENCHMARKS.md, issue 16,
/// eleventh pass). A change makes a new object.
final class Frozen<Value: Sendable>: Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

extension Frozen where Value: Equatable {
  /// The same object, or equal values.
  static func same(_ a: Frozen, _ b: Frozen) -> Bool { a === b || a.value == b.value }
}
