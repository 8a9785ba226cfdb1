/// A finding's sentence, written as UTF-8 bytes as it is interpolated and made a `String` once.
///
/// `"stop \(num: st) is \(num: d)% away."` reads like the `String` it replaces, and gives the
/// same characters (`\(num: x)` is ``fmt(_:)``'s text, anything else its `description`). Why
/// not `String` interpolation: a pre-trade check writes about fourteen sentences an order, and
/// `String`'s appends (each a capacity check, a grow and a copy) and the `String` of each number
/// were a fifth of a batch's checking thread. Here the numbers' digits are appended as bytes from
/// the stack, into one buffer reserved for the whole sentence.
public struct Sentence: ExpressibleByStringInterpolation, Sendable {
  var bytes: [UInt8]

  /// The sentence as text.
  public var string: String { String(decoding: bytes, as: UTF8.self) }

  public init(stringLiteral s: String) { bytes = Array(s.utf8) }
  public init(stringInterpolation i: Interpolation) { bytes = i.bytes }

  public struct Interpolation: StringInterpolationProtocol, Sendable {
    var bytes: [UInt8] = []

    public init(literalCapacity: Int, interpolationCount: Int) {
      bytes.reserveCapacity(literalCapacity + 16 * interpolationCount)
    }

    public mutating func appendLiteral(_ s: String) { append(s) }

    /// A number as ``fmt(_:)`` writes it.
    public mutating func appendInterpolation(num x: Double) {
      withFmtBytes(x) { bytes.append(contentsOf: $0) }
    }

    public mutating func appendInterpolation(_ s: String) { append(s) }

    public mutating func appendInterpolation<T: CustomStringConvertible>(_ v: T) { append(v.description) }

    mutating func append(_ s: String) {
      var s = s
      s.withUTF8 { bytes.append(contentsOf: $0) }
    }
  }
}

/// A piece of a sentence: fixed text, text, or a number written as ``fmt(_:)`` writes it.
public enum SentencePiece: Sendable {
  case literal(StaticString)
  case text(String)
  case number(Double)

  /// The sentence that `pieces` emits, as text.
  static func string(_ pieces: ((SentencePiece) -> Void) -> Void) -> String {
    var s = ""
    pieces { $0.append(to: &s) }
    return s
  }

  func append(to s: inout String) {
    switch self {
    case .literal(let l): s += l.description
    case .text(let t): s += t
    case .number(let x): s += fmt(x)
    }
  }
}
