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
    if let path { where_.append(path) }
    if let line { where_.append("line \(line)") }
    var head = where_.joined(separator: " ")
    if let field { head += head.isEmpty ? "field '\(field)'" : ", field '\(field)'" }
    return head.isEmpty ? message : "\(head): \(message)"
  }
}

/// Several input problems found in one pass (every problem in a file at once).
public struct InputErrors: Error, Sendable, CustomStringConvertible {
  public let errors: [InputError]
  public init(_ errors: [InputError]) { self.errors = errors }
  public var description: String { errors.map(\.description).joined(separator: "\n") }
}
