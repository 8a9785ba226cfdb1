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
    return printf("%.*f", Int32(min(max(decimals, 0), 30)), x)
  }

  private static func printf(_ format: String, _ precision: Int32, _ x: Double) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 400) { buffer -> String in
      guard let base = buffer.baseAddress else { return "\(x)" }
      let n = withVaList([precision, x]) { vsnprintf(base, 400, format, $0) }
      guard n > 0, n < 400 else { return "\(x)" }
      return String(decoding: UnsafeRawBufferPointer(start: base, count: Int(n)), as: UTF8.self)
    }
  }

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
    let s = fixed(abs(x), decimals)
    let parts = s.split(separator: ".", maxSplits: 1)
    var intPart = String(parts[0])
    var groups: [String] = []
    while intPart.count > 3 {
      groups.insert(String(intPart.suffix(3)), at: 0)
      intPart = String(intPart.dropLast(3))
    }
    groups.insert(intPart, at: 0)
    let body = groups.joined(separator: ",") + (parts.count > 1 ? "." + parts[1] : "")
    return (x < 0 ? "-" : "") + body
  }

  /// Compact significant-digit form for small numbers (covariances).
  static func significant(_ x: Double, _ digits: Int = 4) -> String {
    guard x.isFinite else { return fixed(x, 0) }
    return printf("%.*g", Int32(min(max(digits, 1), 17)), x)
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

  public func render(indent: String = "") -> String {
    let all = [header] + rows
    let widths = header.indices.map { c in all.map { $0.indices.contains(c) ? $0[c].count : 0 }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
      let parts = header.indices.map { c -> String in
        let cell = cells.indices.contains(c) ? cells[c] : ""
        let pad = String(repeating: " ", count: widths[c] - cell.count)
        return leftAligned.contains(c) ? cell + pad : pad + cell
      }
      var text = indent + parts.joined(separator: "  ")
      while text.last == " " { text.removeLast() }
      return text
    }
    var out = [line(header)]
    out.append(indent + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
    out += rows.map(line)
    return out.joined(separator: "\n")
  }
}
