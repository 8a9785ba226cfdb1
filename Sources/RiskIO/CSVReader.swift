import Foundation
import RiskCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A byte-level CSV reader (RFC 4180: commas, double-quoted fields with `""`
/// escapes, LF or CRLF line ends, with or without a final newline).
///
/// Written by hand because the mirrored CSV packages (SwiftCSV, CSV.swift)
/// build a `String` per cell: for a 500 × 2,520 panel that is 1.3 million
/// allocations before a single number is parsed, slower than the covariance
/// itself. This reader keeps the file as bytes, hands out byte ranges, and
/// parses numbers in place with `strtod`; every record carries its 1-based
/// line number for error messages.
struct CSVReader {
  struct Field {
    var start: Int
    var end: Int
    var needsUnescape: Bool
  }

  let bytes: [UInt8]
  private(set) var position = 0
  private(set) var line = 1

  init(bytes: [UInt8], skippingByteOrderMark: Bool = true) {
    self.bytes = bytes
    // Skip a UTF-8 byte-order mark.
    if skippingByteOrderMark && bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
  }

  var isAtEnd: Bool { position >= bytes.count }

  /// Reads the next record into `fields`; returns its starting line, or nil at
  /// the end. Blank lines are skipped. An unterminated quote, or a character
  /// after a closing quote, throws with the record's line.
  mutating func nextRecord(into fields: inout [Field]) throws(InputError) -> Int? {
    var p = position
    var l = line
    defer {
      position = p
      line = l
    }
    return try bytes.withUnsafeBufferPointer { (b) throws(InputError) -> Int? in
      try Self.nextRecord(b, end: b.count, position: &p, line: &l, into: &fields)
    }
  }

  /// The record parser itself, over `bytes[position..<end]` of any buffer (the orders stream
  /// reads records in place in its input buffer with it); fields are absolute indices.
  static func nextRecord(
    _ bytes: UnsafeBufferPointer<UInt8>, end count: Int, position: inout Int, line: inout Int,
    into fields: inout [Field]
  ) throws(InputError) -> Int? {
    fields.removeAll(keepingCapacity: true)
    // Skip blank lines.
    while position < count && (bytes[position] == 0x0A || bytes[position] == 0x0D) {
      if bytes[position] == 0x0A { line += 1 }
      position += 1
    }
    guard position < count else { return nil }
    let recordLine = line
    while true {
      if position < count && bytes[position] == 0x22 {  // quoted field
        try quotedField(bytes, end: count, position: &position, line: &line, recordLine: recordLine, into: &fields)
      } else {
        let start = position
        var p = position
        while p < count {
          let b = bytes[p]
          if b == 0x2C || b == 0x0A || b == 0x0D { break }
          p += 1
        }
        fields.append(Field(start: start, end: p, needsUnescape: false))
        position = p
      }
      if position >= count { return recordLine }
      let b = bytes[position]
      if b == 0x2C {
        position += 1
        continue
      }
      if b == 0x0D {
        position += 1
        if position < count && bytes[position] == 0x0A { position += 1 }
        line += 1
        return recordLine
      }
      if b == 0x0A {
        position += 1
        line += 1
        return recordLine
      }
      throw InputError(.malformedRow, path: nil, line: recordLine, "unexpected character after a quoted field")
    }
  }

  /// A quoted field starting at `position` (its opening quote), and the spaces after it.
  private static func quotedField(
    _ bytes: UnsafeBufferPointer<UInt8>, end count: Int, position: inout Int, line: inout Int, recordLine: Int,
    into fields: inout [Field]
  ) throws(InputError) {
    let start = position + 1
    var p = start
    var escaped = false
    while true {
      guard p < count else {
        throw InputError(.malformedRow, path: nil, line: recordLine, "a quoted field is not closed")
      }
      let b = bytes[p]
      if b == 0x22 {
        if p + 1 < count && bytes[p + 1] == 0x22 {
          escaped = true
          p += 2
          continue
        }
        break
      }
      if b == 0x0A { line += 1 }
      p += 1
    }
    fields.append(Field(start: start, end: p, needsUnescape: escaped))
    position = p + 1
    // Allow spaces before the separator.
    while position < count && bytes[position] == 0x20 { position += 1 }
  }

  /// The field as a string, quotes unescaped and surrounding spaces trimmed.
  func string(_ f: Field) -> String { bytes.withUnsafeBufferPointer { Self.string($0, f) } }

  /// ``string(_:)`` for a field of any buffer.
  static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ f: Field) -> String {
    var s = String(decoding: UnsafeBufferPointer(rebasing: bytes[f.start..<f.end]), as: UTF8.self)
    if f.needsUnescape { s = s.replacingOccurrences(of: "\"\"", with: "\"") }
    // Foundation's trim (every Unicode space) only when an end could be a space: an end byte
    // that is ASCII and neither space nor tab cannot (most fields; the trim through NSString
    // was 8% of a batch check, BENCHMARKS.md "Check throughput").
    guard let first = s.utf8.first, let last = s.utf8.last else { return s }
    func plain(_ b: UInt8) -> Bool { b < 0x80 && b != 0x20 && b != 0x09 }
    return plain(first) && plain(last) ? s : s.trimmingSpaces()
  }

  /// The field's bounds without surrounding spaces.
  func trimmed(_ f: Field) -> (Int, Int) { bytes.withUnsafeBufferPointer { Self.trimmed($0, f) } }

  static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ f: Field) -> (Int, Int) {
    var a = f.start
    var b = f.end
    while a < b && bytes[a] == 0x20 { a += 1 }
    while b > a && bytes[b - 1] == 0x20 { b -= 1 }
    return (a, b)
  }

  /// `true` for the missing-value markers: empty, `null`, `NULL`, `NA`, `N/A`, `.`.
  func isMissing(_ f: Field) -> Bool { bytes.withUnsafeBufferPointer { Self.isMissing($0, f) } }

  static func isMissing(_ bytes: UnsafeBufferPointer<UInt8>, _ f: Field) -> Bool {
    let (a, b) = trimmed(bytes, f)
    switch b - a {
    case 0: return true
    case 1: return bytes[a] == 0x2E  // "."
    case 2: return bytes[a] == 0x4E && bytes[a + 1] == 0x41  // "NA"
    case 3: return bytes[a] == 0x4E && bytes[a + 1] == 0x2F && bytes[a + 2] == 0x41  // "N/A"
    case 4:
      let w = (bytes[a] | 0x20, bytes[a + 1] | 0x20, bytes[a + 2] | 0x20, bytes[a + 3] | 0x20)
      return w == (0x6E, 0x75, 0x6C, 0x6C)  // null, NULL
    default: return false
    }
  }

  /// The field quoted for a message (control characters escaped, long values cut).
  func quotedField(_ f: Field) -> String { quoted(string(f)) }

  /// Why a field is not a number, for a message: too long (with its length), not finite, or
  /// not a number at all.
  func notANumberText(_ f: Field) -> String { bytes.withUnsafeBufferPointer { Self.notANumberText($0, f) } }

  static func notANumberText(_ bytes: UnsafeBufferPointer<UInt8>, _ f: Field) -> String {
    let (a, b) = trimmed(bytes, f)
    if b - a > InputLimits.numberCharacters {
      return
        "\(quoted(string(bytes, f), limit: 20)) is too long for a number (\(b - a) characters; at most \(InputLimits.numberCharacters))."
    }
    return "\(quoted(string(bytes, f))) is not a number."
  }

  enum NumberResult {
    case value(Double)
    case notANumber
    case nonFinite
  }

  /// Parses a decimal number in place (`strtod`, correctly rounded). Rejects
  /// trailing garbage, hexadecimal, and NaN or infinities.
  func number(_ f: Field) -> NumberResult { bytes.withUnsafeBufferPointer { Self.number($0, f) } }

  /// ``number(_:)`` for a field of any buffer.
  static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ f: Field) -> NumberResult {
    let (a, b) = trimmed(bytes, f)
    let n = b - a
    guard n > 0, n <= InputLimits.numberCharacters else { return .notANumber }
    // Only digits, sign, point and exponent: strtod alone would accept "0x1p3", "inf", "nan".
    var sawDigit = false
    for i in a..<b {
      let c = bytes[i]
      if c >= 0x30 && c <= 0x39 {
        sawDigit = true
        continue
      }
      if c == 0x2B || c == 0x2D || c == 0x2E || c == 0x65 || c == 0x45 { continue }
      var word = String(decoding: UnsafeBufferPointer(rebasing: bytes[a..<b]), as: UTF8.self).lowercased()
      if word.hasPrefix("-") || word.hasPrefix("+") { word.removeFirst() }
      return ["nan", "inf", "infinity"].contains(word) ? .nonFinite : .notANumber
    }
    guard sawDigit else { return .notANumber }
    if let v = Self.fastDecimal(bytes, a, b) { return .value(v) }
    // strtod needs a NUL-terminated copy: on the stack (at most 101 bytes).
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { s in
      for k in 0..<n { s[k] = CChar(bitPattern: bytes[a + k]) }
      s[n] = 0
      guard let base = s.baseAddress else { return .notANumber }
      var end: UnsafeMutablePointer<CChar>? = nil
      let v = strtod(base, &end)
      guard let end, end - base == n else { return .notANumber }
      return v.isFinite ? .value(v) : .nonFinite
    }
  }

  /// Powers of ten exactly representable as `Double` (10⁰ … 10²²).
  static let exactPowersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }

  /// Clinger's fast path: a plain decimal `[+-]digits[.digits][e[+-]digits]` whose
  /// significand `w` has at most 15 digits (so `w < 2⁵³` is exact) and whose
  /// decimal exponent `e` is within ±22 (so `10^|e|` is exact) is `w × 10^e` or
  /// `w / 10^−e`: one correctly rounded IEEE operation, the same double `strtod`
  /// gives. Anything else (17-digit Yahoo closes, large exponents) returns nil and
  /// goes to `strtod`. A test compares the two on a million random decimals.
  static func fastDecimal(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Double? {
    bytes.withUnsafeBufferPointer { fastDecimal($0, start, end) }
  }

  static func fastDecimal(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
    var i = start
    var negative = false
    if bytes[i] == 0x2D || bytes[i] == 0x2B {
      negative = bytes[i] == 0x2D
      i += 1
    }
    var w: UInt64 = 0
    var digits = 0
    var exponent = 0
    var sawDigit = false
    while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
      let d = UInt64(bytes[i] - 0x30)
      if w != 0 || d != 0 { digits += 1 }
      guard digits <= 15 else { return nil }
      w = w * 10 + d
      sawDigit = true
      i += 1
    }
    if i < end, bytes[i] == 0x2E {
      i += 1
      while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
        let d = UInt64(bytes[i] - 0x30)
        if w != 0 || d != 0 { digits += 1 }
        guard digits <= 15 else { return nil }
        w = w * 10 + d
        exponent -= 1
        sawDigit = true
        i += 1
      }
    }
    guard sawDigit else { return nil }
    if i < end, bytes[i] == 0x65 || bytes[i] == 0x45 {
      i += 1
      var expNegative = false
      if i < end, bytes[i] == 0x2D || bytes[i] == 0x2B {
        expNegative = bytes[i] == 0x2D
        i += 1
      }
      var e = 0
      var sawExp = false
      while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
        e = e * 10 + Int(bytes[i] - 0x30)
        guard e < 1000 else { return nil }
        sawExp = true
        i += 1
      }
      guard sawExp else { return nil }
      exponent += expNegative ? -e : e
    }
    guard i == end, exponent >= -22, exponent <= 22 else { return nil }
    var v = Double(w)
    if exponent < 0 { v /= exactPowersOfTen[-exponent] } else if exponent > 0 { v *= exactPowersOfTen[exponent] }
    return negative ? -v : v
  }

  /// Parses `YYYY-MM-DD` (optionally followed by a time, which must be
  /// midnight for daily data) or US `M/D/YYYY`.
  func day(_ f: Field) -> DayParse {
    let (a, b) = trimmed(f)
    func digits(_ from: Int, _ to: Int) -> Int? {
      guard from < to else { return nil }
      var v = 0
      for i in from..<to {
        let c = bytes[i]
        guard c >= 0x30 && c <= 0x39 else { return nil }
        v = v * 10 + Int(c - 0x30)
      }
      return v
    }
    if b - a >= 10 && bytes[a + 4] == 0x2D && bytes[a + 7] == 0x2D {
      guard let y = digits(a, a + 4), let m = digits(a + 5, a + 7), let d = digits(a + 8, a + 10),
        let day = Day(year: y, month: m, day: d)
      else { return .invalid }
      if b - a == 10 { return .day(day) }
      // A time part: accept only midnight ("00:00:00", "00:00", with T or space).
      let sep = bytes[a + 10]
      guard sep == 0x20 || sep == 0x54 else { return .invalid }
      let rest = String(decoding: bytes[(a + 11)..<b], as: UTF8.self)
      if rest == "00:00:00" || rest == "00:00" || rest == "00:00:00Z" || rest == "00:00:00+00:00" { return .day(day) }
      return .intraday
    }
    // M/D/YYYY
    var slashes: [Int] = []
    for i in a..<b where bytes[i] == 0x2F { slashes.append(i) }
    if slashes.count == 2, let m = digits(a, slashes[0]), let d = digits(slashes[0] + 1, slashes[1]),
      let y = digits(slashes[1] + 1, b), b - slashes[1] - 1 == 4, let day = Day(year: y, month: m, day: d)
    {
      return .day(day)
    }
    return .invalid
  }

  enum DayParse {
    case day(Day)
    case invalid
    case intraday
  }
}

extension String {
  func trimmingSpaces() -> String { trimmingCharacters(in: .whitespaces) }
}
