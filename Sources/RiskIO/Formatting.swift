import CFormat
import Foundation

/// The renderer rule: a number that is not finite never reaches any format.
///
/// Every ``Format`` function (and the check renderer's JSON Lines) reports a non-finite value
/// here instead of printing `inf` or `nan`, and prints ``NonFinite/placeholder`` in its place;
/// every public `render` entry point runs inside ``NonFinite/guarding(_:_:)``, which throws
/// ``NonFiniteOutputError`` (exit 2, nothing written) when any was seen. The CLI also installs
/// a collector around a whole command and refuses to write once one was seen. JSON refuses on
/// its own (``JSONValue/NonFiniteNumber``). Values that are genuinely absent are words
/// ("not applicable") or "—", decided by each renderer, never `n/a` in a number column.
public enum NonFinite {
  /// Shown in place of a non-finite number while the report is being refused.
  public static let placeholder = "—"

  public final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [Double] = []
    public init() {}
    func add(_ x: Double) {
      lock.lock()
      defer { lock.unlock() }
      seen.append(x)
    }
    /// How many non-finite numbers were formatted.
    public var count: Int {
      lock.lock()
      defer { lock.unlock() }
      return seen.count
    }
    public var first: Double? {
      lock.lock()
      defer { lock.unlock() }
      return seen.first
    }
  }

  @TaskLocal public static var current: Collector?

  /// Records a non-finite number that a renderer tried to format.
  public static func report(_ x: Double) { current?.add(x) }

  /// Runs `body` with a fresh collector; throws if it formatted any non-finite number.
  public static func guarding<T>(_ what: String, _ body: () throws -> T) throws -> T {
    let c = Collector()
    let result = try $current.withValue(c) { try body() }
    if c.count > 0 {
      current?.add(c.first ?? .nan)
      throw NonFiniteOutputError(report: what, count: c.count, example: c.first ?? .nan)
    }
    return result
  }
}

/// A report that would have shown a number that is not finite: refused, nothing written.
public struct NonFiniteOutputError: Error, Sendable, CustomStringConvertible {
  public let report: String
  public let count: Int
  public let example: Double
  public init(report: String, count: Int, example: Double) {
    self.report = report
    self.count = count
    self.example = example
  }
  public var description: String {
    let what = example.isNaN ? "not a number" : "infinite"
    return
      "the \(report) would show \(count) number\(count == 1 ? "" : "s") that \(count == 1 ? "is" : "are") \(what); no report was written. An input is outside its range without being caught where it was read: please report the inputs."
  }
}

/// Fixed-decimal and aligned-column formatting for human output (deterministic, locale-free).
public enum Format {
  /// `x` with exactly `decimals` digits after the point (C `printf` `%.*f`, correctly
  /// rounded; the C library's default "C" locale, so the point is always '.').
  public static func fixed(_ x: Double, _ decimals: Int) -> String {
    guard x.isFinite else {
      NonFinite.report(x)
      return NonFinite.placeholder
    }
    return printf(.fixed, Int32(min(max(decimals, 0), 30)), x)
  }

  /// The C library's `%.*f` (`.fixed`) or `%.*g` (`.significant`) of `x`, through the
  /// fixed-signature wrappers of CFormat (no `withVaList`: its boxing and casts cost four times
  /// the conversion).
  private static func printf(_ style: PrintfStyle, _ precision: Int32, _ x: Double) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 400) { buffer -> String in
      guard let base = buffer.baseAddress else { return "\(x)" }
      let n =
        switch style {
        case .fixed: advisor_format_fixed(base, 400, precision, x)
        case .significant: advisor_format_significant(base, 400, precision, x)
        }
      guard n > 0, n < 400 else { return "\(x)" }
      return String(decoding: UnsafeRawBufferPointer(start: base, count: Int(n)), as: UTF8.self)
    }
  }

  private enum PrintfStyle { case fixed, significant }

  /// `x` at full precision (Swift's shortest round-trip form), for CSV; a non-finite number is
  /// reported to ``NonFinite`` instead of printed.
  public static func full(_ x: Double) -> String { x.isFinite ? "\(x)" : fixed(x, 0) }

  /// `x` as a percentage with `decimals` digits: 0.1234 → "12.34%".
  public static func percent(_ x: Double, _ decimals: Int = 2) -> String { fixed(x * 100, decimals) + "%" }

  /// A price with the decimals it needs: at most 2 from 1,000 up, 4 from 1, 6 below 1; trailing
  /// zeros trimmed down to 2 (226.39999389 → "226.40", 92.3856 → "92.3856", 1.1127927 → "1.1128").
  static func price(_ x: Double) -> String {
    guard x.isFinite else { return fixed(x, 2) }
    let a = abs(x)
    let cap = a >= 1000 ? 2 : a >= 1 ? 4 : 6
    var s = fixed(x, cap)
    while cap > 2, s.hasSuffix("0"), let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) > 3 {
      s.removeLast()
    }
    return s
  }

  /// `x` with thousands separators and `decimals` digits: 1234567.8 → "1,234,567.80".
  public static func money(_ x: Double, _ decimals: Int = 2) -> String {
    guard x.isFinite else { return fixed(x, decimals) }
    // The digits of |x| (ASCII), a comma before each group of three of the integer part.
    let digits = Array(fixed(abs(x), decimals).utf8)
    let point = digits.firstIndex(of: UInt8(ascii: ".")) ?? digits.count
    var out: [UInt8] = []
    out.reserveCapacity(digits.count + point / 3 + 1)
    if x < 0 { out.append(UInt8(ascii: "-")) }
    for i in 0..<point {
      if i > 0 && (point - i) % 3 == 0 { out.append(UInt8(ascii: ",")) }
      out.append(digits[i])
    }
    out.append(contentsOf: digits[point...])
    return String(decoding: out, as: UTF8.self)
  }

  /// Compact significant-digit form for small numbers (covariances).
  static func significant(_ x: Double, _ digits: Int = 4) -> String {
    guard x.isFinite else { return fixed(x, 0) }
    return printf(.significant, Int32(min(max(digits, 1), 17)), x)
  }
}

/// A text table with right-aligned numeric columns.
public struct TextTable {
  var header: [String]
  var rows: [[String]] = []
  /// Columns aligned left (the rest align right).
  var leftAligned: Set<Int> = [0]

  public init(_ header: [String], leftAligned: Set<Int> = [0]) {
    self.header = header
    self.leftAligned = leftAligned
  }

  public mutating func add(_ row: [String]) { rows.append(row) }

  /// The table: the header, a rule of `─` under each column, the rows; each line starts with
  /// `indent`, its cells padded to their column's width in characters (grapheme clusters) and
  /// joined by two spaces, and loses its trailing spaces.
  public func render(indent: String = "") -> String {
    let all = [header] + rows
    let counts = all.map { row in header.indices.map { row.indices.contains($0) ? row[$0].count : 0 } }
    let widths = header.indices.map { c in counts.map { $0[c] }.max() ?? 0 }
    // Built as UTF-8 bytes: appending padding one `Character` at a time and trimming with
    // `removeLast` were 1.6 M instructions of a `size` report (BENCHMARKS.md, issue 16).
    func line(_ cells: [String], _ count: [Int]) -> String {
      var bytes = Array(indent.utf8)
      for c in header.indices {
        if c > 0 { bytes.append(contentsOf: [0x20, 0x20]) }
        let pad = repeatElement(UInt8(0x20), count: widths[c] - count[c])
        let cell = cells.indices.contains(c) ? cells[c].utf8 : "".utf8
        if leftAligned.contains(c) {
          bytes.append(contentsOf: cell)
          bytes.append(contentsOf: pad)
        } else {
          bytes.append(contentsOf: pad)
          bytes.append(contentsOf: cell)
        }
      }
      return Self.trimmingTrailingSpaces(bytes)
    }
    var out = [line(header, counts[0])]
    out.append(indent + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
    for (row, count) in zip(rows, counts.dropFirst()) { out.append(line(row, count)) }
    return out.joined(separator: "\n")
  }

  /// `bytes` as a string without its trailing `" "` characters. Of a run of trailing spaces all
  /// but the first are characters of their own (Unicode never joins a space to the space
  /// before it); the first may belong to the character before (after a prepended mark such as
  /// U+0600), so it alone is checked as a `Character`.
  static func trimmingTrailingSpaces(_ bytes: [UInt8]) -> String {
    var end = bytes.count
    while end > 0 && bytes[end - 1] == 0x20 { end -= 1 }
    guard end < bytes.count else { return String(decoding: bytes, as: UTF8.self) }
    var text = String(decoding: bytes[..<(end + 1)], as: UTF8.self)
    if text.last == " " { text.removeLast() }
    return text
  }
}
