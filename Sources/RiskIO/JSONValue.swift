import LinearAlgebra
import RiskCore

/// A JSON document built in memory and written deterministically: object keys
/// sorted, numbers in Swift's shortest round-trip form, two-space indentation.
///
/// Written by hand rather than with `JSONEncoder` because output is a
/// contract (golden files, scripts): key order and number spelling must not
/// depend on the Foundation version, and a non-finite number must be an
/// error, never `null` or a crash.
public enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  case number(Double)
  case integer(Int)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])
  /// A matrix of numbers (``NumberMatrix``), written exactly as the array of its rows would be,
  /// without a value per element: a 500 × 500 covariance was 250,000 of them to build, size and
  /// free (callgrind of `risk --format json`: 200 M instructions of 790 M).
  case numberMatrix(NumberMatrix)

  public struct NonFiniteNumber: Error, CustomStringConvertible {
    public let keyPath: String
    public var description: String {
      "internal error: a non-finite number reached the JSON output at \(keyPath); refusing to print it."
    }
  }

  /// The document as text, or an error naming the first non-finite number.
  /// - Parameter terminator: appended in place (a document printed with its newline is not
  ///   copied again to add it).
  public func rendered(pretty: Bool = true, terminator: String = "") throws(NonFiniteNumber) -> String {
    String(decoding: try renderedBytes(pretty: pretty, terminator: terminator), as: UTF8.self)
  }

  /// ``rendered(pretty:terminator:)`` as its UTF-8 bytes, for a caller that writes them as
  /// they are (a 16 MB covariance document is then neither copied nor validated again).
  public func renderedBytes(pretty: Bool = true, terminator: String = "") throws(NonFiniteNumber) -> [UInt8] {
    // Bytes, in one allocation of about the final size: a 16 MB covariance document otherwise
    // grows by doubling, and String's append costs about 400 instructions a piece against a
    // byte copy (BENCHMARKS.md, "JSON output").
    var out = JSONBytes()
    out.bytes.reserveCapacity(estimatedSize(depth: pretty ? 0 : nil) + terminator.utf8.count)
    out.adviseHugePages()
    var path: [PathComponent] = []
    try write(into: &out, indent: pretty ? 0 : nil, path: &path)
    out += terminator
    return out.bytes
  }

  /// About the bytes ``rendered(pretty:terminator:)`` writes (numbers count as 24).
  private func estimatedSize(depth: Int?) -> Int {
    let pad = depth.map { 2 * $0 + 4 } ?? 1
    switch self {
    case .null, .bool: return 5
    case .number, .integer: return 24
    case .string(let s): return s.utf8.count + 2
    case .array(let items):
      var n = 2
      for item in items {
        switch item {
        case .number, .integer: n += 26
        default: n += item.estimatedSize(depth: depth.map { $0 + 1 }) + pad
        }
      }
      return n
    case .object(let m):
      var n = 2
      for (k, v) in m { n += k.utf8.count + 4 + pad + v.estimatedSize(depth: depth.map { $0 + 1 }) }
      return n
    case .numberMatrix(let m): return 2 + m.rows * (2 + 26 * m.columns + pad)
    }
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

  private func write(into out: inout JSONBytes, indent: Int?, path: inout [PathComponent]) throws(NonFiniteNumber) {
    switch self {
    case .null: out.append("null")
    case .bool(let b): out.append(b ? "true" : "false")
    case .integer(let i): out.writeInteger(i)
    case .number(let x):
      guard x.isFinite else { throw NonFiniteNumber(keyPath: Self.describe(path)) }
      out.writeNumber(x)
    case .string(let s): out.writeString(s)
    case .array(let items):
      if items.isEmpty {
        out.append("[]")
        return
      }
      if let m = Self.squareNumbers(items), let n = m.symmetricDimension {
        Self.writeSymmetric((m.elements, n), into: &out, indent: indent)
        return
      }
      // Arrays of scalars stay on one line (matrix rows read well that way).
      let flat = indent == nil || items.allSatisfy { !$0.isContainer }
      if flat, try Self.writeNumbers(items, into: &out, separator: indent == nil ? [0x2C] : [0x2C, 0x20], path: path) { return }
      out.append("[")
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(flat && indent != nil ? ", " : ",") }
        if !flat, let indent { out.newline(indent: indent + 1) }
        path.append(.index(i))
        try item.write(into: &out, indent: indent.map { $0 + 1 }, path: &path)
        path.removeLast()
      }
      if !flat, let indent { out.newline(indent: indent) }
      out.append("]")
    case .numberMatrix(let m):
      if let n = m.symmetricDimension {
        Self.writeSymmetric((m.elements, n), into: &out, indent: indent)
      } else {
        try m.rowArrays.write(into: &out, indent: indent, path: &path)
      }
    case .object(let members):
      if members.isEmpty {
        out.append("{}")
        return
      }
      out.append("{")
      for (i, key) in members.keys.sorted().enumerated() {
        if i > 0 { out.append(",") }
        if let indent { out.newline(indent: indent + 1) }
        out.writeString(key)
        out.append(indent == nil ? ":" : ": ")
        path.append(.key(key))
        try members[key, default: .null].write(into: &out, indent: indent.map { $0 + 1 }, path: &path)
        path.removeLast()
      }
      if let indent { out.newline(indent: indent) }
      out.append("}")
    }
  }

  /// A row of plain numbers (a matrix row, a weight vector) written in one loop, without a
  /// path entry per element; false, with nothing written, when the row holds anything else.
  private static func writeNumbers(
    _ items: [JSONValue], into out: inout JSONBytes, separator: [UInt8], path: [PathComponent]
  ) throws(NonFiniteNumber) -> Bool {
    for item in items {
      guard case .number = item else { return false }
    }
    out.append("[")
    for (i, item) in items.enumerated() {
      guard case .number(let x) = item else { continue }
      guard x.isFinite else { throw NonFiniteNumber(keyPath: describe(path + [.index(i)])) }
      if i > 0 { out.bytes.append(contentsOf: separator) }
      out.writeNumber(x)
    }
    out.append("]")
    return true
  }

  /// The items as a ``NumberMatrix`` when they are at least two rows of numbers, as many in each
  /// row as there are rows; else nil. (Whether it is written as symmetric is
  /// ``NumberMatrix/symmetricDimension``'s question.)
  private static func squareNumbers(_ items: [JSONValue]) -> NumberMatrix? {
    let n = items.count
    guard n >= 2 else { return nil }
    var m: [Double] = []
    m.reserveCapacity(n * n)
    for item in items {
      guard case .array(let row) = item, row.count == n else { return nil }
      for v in row {
        guard case .number(let x) = v else { return nil }
        m.append(x)
      }
    }
    return NumberMatrix(rows: n, columns: n, elements: m)
  }

  /// Writes a symmetric matrix as the general path would (rows of numbers, one line each
  /// when pretty), formatting each mirrored pair once: the elements on and above the diagonal
  /// are formatted first (``SymmetricCells``, on two threads for a large matrix), then each row
  /// is laid out from them, an element below the diagonal copying the text of its mirror (same
  /// bits, same text), and appended in one copy. Formatting was ≈ 60 % of
  /// `risk --format json`, and an array append per number a quarter of that.
  private static func writeSymmetric(_ matrix: (elements: [Double], n: Int), into out: inout JSONBytes, indent: Int?) {
    let n = matrix.n
    let cells = SymmetricCells(n)
    cells.format(matrix.elements)
    let row = UnsafeMutableRawBufferPointer.allocate(byteCount: n * (SymmetricCells.stride + 2) + 2, alignment: 8)
    defer { row.deallocate() }
    guard let base = row.baseAddress else { return }
    let separator = indent == nil ? 1 : 2
    out.bytes.append(0x5B)
    for i in 0..<n {
      if i > 0 { out.bytes.append(0x2C) }
      if let indent { out.newline(indent: indent + 1) }
      base.storeBytes(of: 0x5B, toByteOffset: 0, as: UInt8.self)
      var at = 1
      for j in 0..<n {
        if j > 0 {
          base.storeBytes(of: 0x2C, toByteOffset: at, as: UInt8.self)
          if separator == 2 { base.storeBytes(of: 0x20, toByteOffset: at + 1, as: UInt8.self) }
          at += separator
        }
        at += cells.copy(row: min(i, j), column: max(i, j), to: base + at)
      }
      base.storeBytes(of: 0x5D, toByteOffset: at, as: UInt8.self)
      at += 1
      out.bytes.append(contentsOf: UnsafeRawBufferPointer(start: base, count: at))
    }
    if let indent { out.newline(indent: indent) }
    out.bytes.append(0x5D)
  }

  /// ``JSONBytes/writeNumber(_:)`` of a finite number, written at `p`: at most 24 bytes
  /// (the longest finite double's text, `-2.2250738585072014e-308`; an integer below 10¹⁵ is at
  /// most 17), exactly as many as it returns.
  static func writeNumber(_ x: Double, to p: UnsafeMutableRawPointer) -> Int {
    writtenAsInteger(x) ? JSONBytes.writeDigits(Int(x), to: p) : ShortestDecimal.write(x, to: p) ?? 0
  }

  /// The one rule for a number's form: integral values below 10¹⁵ are written as integers
  /// (no fraction), every other finite value as its shortest round-trip decimal.
  static func writtenAsInteger(_ x: Double) -> Bool { x == x.rounded() && abs(x) < 1e15 }

  private var isContainer: Bool {
    switch self {
    case .array, .object, .numberMatrix: return true
    default: return false
    }
  }

  /// A finite number as written: integral values without a fraction, else the shortest round-trip decimal.
  public static func numberText(_ x: Double) -> String {
    writtenAsInteger(x) ? String(Int(x)) : ShortestDecimal.string(x)
  }

  public static func writeString(_ s: String, into out: inout String) {
    // Fast path: nothing to escape (the common case), append in one piece.
    if JSONEscape.isPlain(s) {
      out += "\""
      out += s
      out += "\""
      return
    }
    JSONEscape.append(s, to: &out)
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

  /// A symmetric matrix as ``numberMatrix(_:)`` (its rows, as ``matrix(_:)`` of its row arrays writes them).
  static func matrix(_ m: SymmetricMatrix) -> JSONValue {
    let n = m.dimension
    var rowMajor = [Double](repeating: 0, count: n * n)
    m.elements.withUnsafeBufferPointer { cm in
      rowMajor.withUnsafeMutableBufferPointer { rm in
        for j in 0..<n {
          for i in 0..<n { rm[i * n + j] = cm[i + j * n] }
        }
      }
    }
    return .numberMatrix(NumberMatrix(rows: n, columns: n, elements: rowMajor))
  }
}

/// The text of each element on and above the diagonal of a symmetric `n × n` matrix (finite,
/// as ``NumberMatrix/symmetricDimension`` checks), row by row: element `(i, j)`, `i ≤ j`, in a
/// slot of ``stride`` bytes at index `i·n − i(i−1)/2 + (j − i)`, its length beside it.
///
/// A matrix of at least ``parallelCells`` such elements is formatted on two threads
/// (``concurrently(_:_:)``), each taking whole rows, about half of the elements each: the 375,750
/// numbers of `risk --format json` at 500 instruments were its largest cost on one core while the
/// other sat idle. Each slot is written by one thread only, and read after the join.
final class SymmetricCells: @unchecked Sendable {
  /// The most ``JSONValue/writeNumber(_:to:)`` writes.
  static let stride = 24
  static let parallelCells = 8_192
  let n: Int
  /// The elements on and above the diagonal, `n(n + 1)/2`.
  let count: Int
  private let text: UnsafeMutableRawPointer
  private let lengths: UnsafeMutablePointer<UInt8>

  init(_ n: Int) {
    self.n = n
    count = n * (n + 1) / 2
    text = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * Self.stride, alignment: 8)
    lengths = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, count))
  }

  deinit {
    text.deallocate()
    lengths.deallocate()
  }

  /// Where row `i`'s first element on the diagonal sits among the cells.
  func rowStart(_ i: Int) -> Int { i * n - i * (i - 1) / 2 }

  /// Formats every element on and above the diagonal of the row-major `elements`.
  func format(_ elements: [Double]) {
    guard count >= Self.parallelCells else { return format(elements, rows: 0..<n) }
    var half = 0
    while half < n && rowStart(half) < count / 2 { half += 1 }
    let split = half
    _ = concurrently({ self.format(elements, rows: 0..<split) }, { self.format(elements, rows: split..<self.n) })
  }

  private func format(_ elements: [Double], rows: Range<Int>) {
    elements.withUnsafeBufferPointer { e in
      for i in rows {
        var c = rowStart(i)
        for j in i..<n {
          let count = JSONValue.writeNumber(e[i * n + j], to: text + c * Self.stride)
          assert(count <= Self.stride)
          lengths[c] = UInt8(count)
          c += 1
        }
      }
    }
  }

  /// Copies the text of element `(row, column)`, `row ≤ column`, to `destination`; its length.
  @inline(__always)
  func copy(row: Int, column: Int, to destination: UnsafeMutableRawPointer) -> Int {
    let c = rowStart(row) + column - row
    let count = Int(lengths[c])
    destination.copyMemory(from: text + c * Self.stride, byteCount: count)
    return count
  }
}

/// The numbers of a `rows × columns` matrix, row-major (``JSONValue/numberMatrix(_:)``).
public struct NumberMatrix: Sendable, Hashable {
  public let rows: Int
  public let columns: Int
  public let elements: [Double]

  /// The array of rows it is written as (the general path: non-finite numbers, asymmetry).
  var rowArrays: JSONValue {
    .array((0..<rows).map { i in .array((0..<columns).map { .number(elements[i * columns + $0]) }) })
  }

  /// The dimension when the matrix is square, at least 2 × 2, every number finite and mirrored
  /// elements bit for bit equal (``JSONValue/writeSymmetric``'s condition, as for the rows).
  var symmetricDimension: Int? {
    let n = rows
    guard n >= 2, columns == n, elements.count == n * n else { return nil }
    return elements.withUnsafeBufferPointer { e -> Int? in
      for i in 0..<n {
        guard e[i * n + i].isFinite else { return nil }
        for j in 0..<i {
          guard e[i * n + j].isFinite, e[i * n + j].bitPattern == e[j * n + i].bitPattern else { return nil }
        }
      }
      return n
    }
  }
}

/// The bytes of a JSON document being written (``JSONValue/rendered(pretty:terminator:)``).
struct JSONBytes {
  var bytes: [UInt8] = []

  /// Asks for huge pages behind the capacity reserved and not yet written
  /// (``LinearAlgebra/adviseHugePages(_:)``, a no-op below 16 MiB): the 16.6 MB covariance
  /// document of `risk --format json` at N = 500 otherwise faults in 4 KiB at a time, about
  /// 4,000 minor faults and a third of that command's system time on this VM.
  mutating func adviseHugePages() {
    let capacity = bytes.capacity
    bytes.withUnsafeMutableBufferPointer { b in
      // The storage of an empty array with capacity reserved starts at `baseAddress`.
      guard let base = b.baseAddress else { return }
      LinearAlgebra.adviseHugePages(UnsafeMutableRawBufferPointer(start: base, count: capacity))
    }
  }

  static func += (out: inout JSONBytes, s: String) { out.bytes.append(contentsOf: s.utf8) }

  /// A literal's bytes (no String is made).
  mutating func append(_ s: StaticString) {
    s.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  /// A line break and `indent` levels of two spaces (no String is made: the pretty writer's
  /// `"\n" + String(repeating:)` was a fifth of a `size` report's JSON, 0.5 M instructions).
  mutating func newline(indent: Int) {
    bytes.append(0x0A)
    bytes.append(contentsOf: repeatElement(UInt8(0x20), count: 2 * indent))
  }

  /// ``JSONValue/numberText(_:)``, appended: integral values as their digits, written here
  /// (no String), the rest as Swift's shortest round-trip decimal.
  mutating func writeNumber(_ x: Double) {
    if JSONValue.writtenAsInteger(x) {
      writeInteger(Int(x))
    } else {
      // The bytes of `x.description`, without its String (RiskCore.ShortestDecimal): the
      // runtime's formatter and the String were ≈ 990 instructions a number, this ≈ 370.
      ShortestDecimal.append(x, to: &bytes)
    }
  }

  /// The decimal digits of `i`, with a minus sign when negative.
  mutating func writeInteger(_ i: Int) {
    guard i < 0 || i >= 10 else {
      bytes.append(0x30 + UInt8(i))
      return
    }
    var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
    withUnsafeMutableBytes(of: &scratch) { s in
      guard let base = s.baseAddress else { return }
      bytes.append(contentsOf: UnsafeRawBufferPointer(start: base, count: Self.writeDigits(i, to: base)))
    }
  }

  /// Writes the decimal digits of `i` (a minus sign first when negative) at `p`, which must
  /// have 21 bytes free; returns their count.
  static func writeDigits(_ i: Int, to p: UnsafeMutableRawPointer) -> Int {
    var m = i.magnitude
    var count = 0
    repeat {
      count += 1
      m /= 10
    } while m > 0
    let sign = i < 0 ? 1 : 0
    if sign == 1 { p.storeBytes(of: 0x2D, as: UInt8.self) }
    m = i.magnitude
    for k in stride(from: sign + count - 1, through: sign, by: -1) {
      p.storeBytes(of: 0x30 + UInt8(m % 10), toByteOffset: k, as: UInt8.self)
      m /= 10
    }
    return sign + count
  }

  /// The string quoted and escaped by ``JSONEscape`` (a plain string, the common case, is
  /// copied as bytes).
  mutating func writeString(_ s: String) {
    guard JSONEscape.isPlain(s) else {
      self += JSONEscape.quoted(s)
      return
    }
    bytes.append(0x22)
    bytes.append(contentsOf: s.utf8)
    bytes.append(0x22)
  }
}
