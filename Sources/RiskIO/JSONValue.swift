/// A JSON document built in memory and written deterministically: object keys
/// sorted, numbers in Swift's shortest round-trip form, two-space indentation.
///
/// Written by hand rather than with `JSONEncoder` because output is a
/// contract (golden files, scripts): key order and number spelling must not
/// depend on the Foundation version, and a non-finite number must be an
/// error, never `null` or a crash.
public indirect enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  case number(Double)
  case integer(Int)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public struct NonFiniteNumber: Error, CustomStringConvertible {
    public let keyPath: String
    public var description: String {
      "internal error: a non-finite number reached the JSON output at \(keyPath); refusing to print it."
    }
  }

  /// The document as text, or an error naming the first non-finite number.
  public func rendered(pretty: Bool = true) throws(NonFiniteNumber) -> String {
    var out = ""
    var path: [PathComponent] = []
    try write(into: &out, indent: pretty ? 0 : nil, path: &path)
    return out
  }

  /// Where a value sits; spelled out (`$.covariance[3][17]`) only for the error message,
  /// so a 16 MB document does not build a string per element.
  private enum PathComponent {
    case index(Int)
    case key(String)
  }

  private static func describe(_ path: [PathComponent]) -> String {
    path.reduce("$") { s, c in
      switch c {
      case .index(let i): return s + "[\(i)]"
      case .key(let k): return s + "." + k
      }
    }
  }

  private func write(into out: inout String, indent: Int?, path: inout [PathComponent]) throws(NonFiniteNumber) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .integer(let i): out += String(i)
    case .number(let x):
      guard x.isFinite else { throw NonFiniteNumber(keyPath: Self.describe(path)) }
      out += Self.numberText(x)
    case .string(let s): Self.writeString(s, into: &out)
    case .array(let items):
      if items.isEmpty {
        out += "[]"
        return
      }
      // Arrays of scalars stay on one line (matrix rows read well that way).
      let flat = indent == nil || items.allSatisfy { !$0.isContainer }
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += flat && indent != nil ? ", " : "," }
        if !flat, let indent { out += "\n" + String(repeating: "  ", count: indent + 1) }
        path.append(.index(i))
        try item.write(into: &out, indent: indent.map { $0 + 1 }, path: &path)
        path.removeLast()
      }
      if !flat, let indent { out += "\n" + String(repeating: "  ", count: indent) }
      out += "]"
    case .object(let members):
      if members.isEmpty {
        out += "{}"
        return
      }
      out += "{"
      for (i, key) in members.keys.sorted().enumerated() {
        if i > 0 { out += "," }
        if let indent { out += "\n" + String(repeating: "  ", count: indent + 1) }
        Self.writeString(key, into: &out)
        out += indent == nil ? ":" : ": "
        path.append(.key(key))
        try members[key, default: .null].write(into: &out, indent: indent.map { $0 + 1 }, path: &path)
        path.removeLast()
      }
      if let indent { out += "\n" + String(repeating: "  ", count: indent) }
      out += "}"
    }
  }

  private var isContainer: Bool {
    switch self {
    case .array, .object: return true
    default: return false
    }
  }

  /// A finite number as written: integral values without a fraction, else the shortest round-trip decimal.
  public static func numberText(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
  }

  public static func writeString(_ s: String, into out: inout String) {
    // Fast path: nothing to escape (the common case), append in one piece.
    if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
      out += "\""
      out += s
      out += "\""
      return
    }
    out += "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 {
          let hex = String(u.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    out += "\""
  }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int) { self = .integer(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(floatLiteral value: Double) { self = .number(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { _, b in b }))
  }
}

extension JSONValue {
  /// `nil` becomes `null`.
  public static func optional(_ x: Double?) -> JSONValue { x.map { .number($0) } ?? .null }
  static func matrix(_ rows: [[Double]]) -> JSONValue { .array(rows.map { .array($0.map { .number($0) }) }) }
}
