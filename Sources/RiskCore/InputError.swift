/// A problem with an input file or value, located as precisely as possible.
///
/// Its description is one line: `PATH line N, field 'F': what is wrong and what was expected.`
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
  public enum Kind: String, Sendable, Hashable {
    case fileNotFound, unreadable, empty, malformedRow, missingColumn, notANumber, notADate, nonFinite
    case nonPositivePrice, negativeValue, duplicateDate, duplicateInstrument, unknownInstrument, invalidValue
    case unknownKey, missingKey, invalidConfiguration
  }

  public let kind: Kind
  public let path: String?
  public let line: Int?
  public let field: String?
  public let message: String

  public init(_ kind: Kind, path: String?, line: Int? = nil, field: String? = nil, _ message: String) {
    self.kind = kind
    self.path = path
    self.line = line
    self.field = field
    self.message = message
  }

  public var description: String {
    var where_: [String] = []
    if let path { where_.append(path == "-" ? "standard input" : escapedForMessage(path, limit: 300)) }
    if let line { where_.append("line \(line)") }
    var head = where_.joined(separator: " ")
    if let field {
      let f = escapedForMessage(field, limit: 120)
      head += head.isEmpty ? "field '\(f)'" : ", field '\(f)'"
    }
    return head.isEmpty ? message : "\(head): \(message)"
  }
}

/// Several input problems found in one pass (every problem in a file at once).
public struct InputErrors: Error, Sendable, CustomStringConvertible {
  public let errors: [InputError]
  public init(_ errors: [InputError]) { self.errors = errors }
  public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// A user value as it may appear in a message: in single quotes, every control character
/// (C0, DEL, C1, and the Unicode line and paragraph separators) escaped as `\n`, `\r`, `\t`
/// or `\u{…}`, and a value longer than `limit` characters cut, with its length:
/// `'aaaa… (50000 characters)'`. Messages are one line and never carry terminal escapes.
public func quoted(_ value: String, limit: Int = 80) -> String {
  "'" + escapedForMessage(value, limit: limit) + "'"
}

/// ``quoted(_:limit:)`` without the quotes.
public func escapedForMessage(_ value: String, limit: Int = 80) -> String {
  var out = ""
  var count = 0
  var cut = false
  for scalar in value.unicodeScalars {
    if count >= limit {
      cut = true
      break
    }
    count += 1
    switch scalar.value {
    case 0x0A: out += "\\n"
    case 0x0D: out += "\\r"
    case 0x09: out += "\\t"
    case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029, 0xFEFF, 0x202A...0x202E, 0x2066...0x2069:
      out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
    default: out.unicodeScalars.append(scalar)
    }
  }
  if cut {
    let total = value.unicodeScalars.count
    out += "… (\(total) characters)"
  }
  return out
}

/// `text` as one line for a message: control characters escaped as in ``quoted(_:limit:)``
/// (newlines included), nothing cut. The last defence before standard error.
public func oneLine(_ text: String) -> String { escapedForMessage(text, limit: Int.max) }
