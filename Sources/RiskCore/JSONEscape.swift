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
    !s.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
  }

  /// `s` quoted and escaped.
  public static func quoted(_ s: String) -> String {
    var out = ""
    append(s, to: &out)
    return out
  }
}
