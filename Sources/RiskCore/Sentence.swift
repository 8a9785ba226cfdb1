/// A finding's sentence, kept as its pieces (fixed text, text, numbers) until it is written.
///
/// `"stop \(num: st) is \(num: d)% away."` reads like the `String` it replaces, and gives the
/// same characters (`\(num: x)` is ``fmt(_:)``'s text, anything else its `description`). Why
/// not `String` interpolation: a pre-trade check writes about fourteen sentences an order; built
/// as `String`s, with the text of each number, they were a fifth of a batch's checking thread.
/// Kept as pieces, the numbers are formatted by whoever writes the sentence: a batch's writer,
/// on the other core, straight into its output bytes (``pieces``).
public struct Sentence: ExpressibleByStringInterpolation, Sendable {
  /// The pieces in order: ``SentencePiece``.
  public let pieces: [SentencePiece]

  /// The sentence as text.
  public var string: String {
    var s = ""
    for p in pieces { p.append(to: &s) }
    return s
  }

  public init(stringLiteral s: StaticString) { pieces = [.literal(s)] }
  public init(stringInterpolation i: Interpolation) { pieces = i.pieces }

  public struct Interpolation: StringInterpolationProtocol, Sendable {
    var pieces: [SentencePiece] = []

    public init(literalCapacity: Int, interpolationCount: Int) {
      pieces.reserveCapacity(2 * interpolationCount + 1)
    }

    public mutating func appendLiteral(_ s: StaticString) {
      if s.utf8CodeUnitCount > 0 { pieces.append(.literal(s)) }
    }

    /// A number as ``fmt(_:)`` writes it.
    public mutating func appendInterpolation(num x: Double) { pieces.append(.number(x)) }

    public mutating func appendInterpolation(_ s: String) { pieces.append(.text(s)) }

    public mutating func appendInterpolation<T: CustomStringConvertible>(_ v: T) { pieces.append(.text(v.description)) }
  }
}

/// A piece of a sentence: fixed text, text, or a number written as ``fmt(_:)`` writes it.
public enum SentencePiece: Sendable {
  case literal(StaticString)
  case text(String)
  case number(Double)

  func append(to s: inout String) {
    switch self {
    case .literal(let l): s += l.description
    case .text(let t): s += t
    case .number(let x): s += fmt(x)
    }
  }
}
