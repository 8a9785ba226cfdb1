/// A calendar day (proleptic Gregorian, no time zone): the unit of daily market data.
///
/// Stored as the number of days since 1970-01-01 so that comparison, hashing and
/// differences are integer operations. Conversions use Howard Hinnant's
/// `days_from_civil` / `civil_from_days` algorithms.
public struct Day: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
  /// Days since 1970-01-01 (negative before).
  public let ordinal: Int

  public init(ordinal: Int) { self.ordinal = ordinal }

  /// `nil` when the date does not exist (e.g. 2023-02-29).
  public init?(year: Int, month: Int, day: Int) {
    guard (1...12).contains(month), day >= 1, day <= Day.daysInMonth(year: year, month: month) else { return nil }
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    ordinal = era * 146097 + doe - 719468
  }

  /// Parses `YYYY-MM-DD`.
  public init?(iso text: String) {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
      let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
    else { return nil }
    self.init(year: y, month: m, day: d)
  }

  public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

  public static func daysInMonth(year: Int, month: Int) -> Int {
    switch month {
    case 2: return isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// (year, month, day).
  public var components: (year: Int, month: Int, day: Int) {
    let z = ordinal + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
  }

  /// ISO weekday: 1 = Monday … 7 = Sunday.
  public var isoWeekday: Int {
    // 1970-01-01 was a Thursday (4).
    let r = (ordinal + 3) % 7
    return (r < 0 ? r + 7 : r) + 1
  }

  public var isWeekend: Bool { isoWeekday >= 6 }

  public func adding(days n: Int) -> Day { Day(ordinal: ordinal + n) }

  public static func < (a: Day, b: Day) -> Bool { a.ordinal < b.ordinal }
  public static func - (a: Day, b: Day) -> Int { a.ordinal - b.ordinal }

  /// `YYYY-MM-DD`.
  /// ISO 8601, `YYYY-MM-DD` (years 0…9999; others as their digits, zero-padded to four).
  public var description: String {
    // Ten ASCII bytes written in place: every finding of a batch that names a date spells
    // one, and the padded interpolation cost about 1,600 instructions.
    let text = String(unsafeUninitializedCapacity: 10) { b in
      b.baseAddress.map { writeISO(to: $0) } == true ? 10 : 0
    }
    if !text.isEmpty { return text }
    let c = components
    func pad(_ v: Int, _ width: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))"
  }

  /// Writes the ten bytes of ``description`` at `b` (room for ten) when the year is 0…9999;
  /// false, nothing written, for another year. The one spelling of a date that
  /// ``description`` and a renderer writing bytes share.
  public func writeISO(to b: UnsafeMutablePointer<UInt8>) -> Bool {
    let c = components
    guard (0...9999).contains(c.year) else { return false }
    func put(_ v: Int, _ at: Int, _ width: Int) {
      var v = v
      for i in stride(from: at + width - 1, through: at, by: -1) {
        b[i] = 0x30 + UInt8(v % 10)
        v /= 10
      }
    }
    put(c.year, 0, 4)
    b[4] = 0x2D
    put(c.month, 5, 2)
    b[7] = 0x2D
    put(c.day, 8, 2)
    return true
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let d = Day(iso: text) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a YYYY-MM-DD date"))
    }
    self = d
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(description)
  }
}
