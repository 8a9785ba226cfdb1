/// A JSON string literal (RFC 8259 §7): quote, backslash, newline, carriage return and tab
/// by their short escapes, every other control character as `\u00XX` (lower-case hex), all
/// else as it is. The one escaper of the reports (RiskIO's `JSONValue`) and of the journal's
/// own columns (AdvisorJournal), so the two can never spell a string differently.
public enum JSONEscape {
  /// Appends `s` quoted and escaped.
  public static func append(_ s: String, to out: inout String) {
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

  /// True when `s` needs no escape (no control character, quote or backslash): it is written
  /// between quotes as it is.
  public static func isPlain(_ s: String) -> Bool {
    // Over the contiguous bytes when the string has them (native strings do): the generic
    // `contains` on `utf8` was 3.5 % of a million-order JSON Lines batch.
    if let plain = s.utf8.withContiguousStorageIfAvailable({ isPlain(bytes: $0) }) { return plain }
    return !s.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
  }

  /// Eight bytes at a time (SWAR, ``mayNeedEscape(_:)``), then the tail byte by byte: a
  /// batch's JSON Lines test about 1.2 KB of text an order, and the plain loop was 4 % of it.
  public static func isPlain(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    if let base = bytes.baseAddress {
      let raw = UnsafeRawPointer(base)
      while i + 8 <= bytes.count {
        if mayNeedEscape(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
          for k in i..<(i + 8) where needsEscape(bytes[k]) { return false }
        }
        i += 8
      }
    }
    while i < bytes.count {
      if needsEscape(bytes[i]) { return false }
      i += 1
    }
    return true
  }

  /// ``isPlain(bytes:)`` and a copy of the bytes to `destination` (room for `bytes.count`) in
  /// one pass, for a writer that copies a plain string as it is: the test and a separate
  /// copy were two passes over 1.2 KB an order. When it returns false the bytes at
  /// `destination` are some of the string's, to be overwritten.
  public static func copyIfPlain(_ bytes: UnsafeBufferPointer<UInt8>, to destination: UnsafeMutableRawPointer) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    let raw = UnsafeRawPointer(base)
    var i = 0
    while i + 8 <= bytes.count {
      let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      if mayNeedEscape(word) {
        for k in i..<(i + 8) where needsEscape(bytes[k]) { return false }
      }
      destination.storeBytes(of: word, toByteOffset: i, as: UInt64.self)
      i += 8
    }
    while i < bytes.count {
      if needsEscape(bytes[i]) { return false }
      destination.storeBytes(of: bytes[i], toByteOffset: i, as: UInt8.self)
      i += 1
    }
    return true
  }

  /// Whether some byte of the eight in `v` may need an escape: never false when one does
  /// (it may be true when none does; the word is then read byte by byte). A byte is flagged
  /// when it is below 0x20, or equal to the quote or the backslash after an XOR zeroes it.
  @inline(__always)
  static func mayNeedEscape(_ v: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    // (x - n·0x01…) & ~x & 0x80… is non-zero exactly when some byte of x is below n
    // (n ≤ 128; "Bit Twiddling Hacks", hasless): n = 0x20 for control characters, n = 1
    // after an XOR for the quote and the backslash.
    let control = (v &- 0x20 &* ones) & ~v & highs
    let q = v ^ (0x22 &* ones)
    let quote = (q &- ones) & ~q & highs
    let b = v ^ (0x5C &* ones)
    let backslash = (b &- ones) & ~b & highs
    return (control | quote | backslash) != 0
  }

  @inline(__always)
  static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C }

  /// `s` quoted and escaped.
  public static func quoted(_ s: String) -> String {
    var out = ""
    append(s, to: &out)
    return out
  }
}
