import Foundation
import RiskCore
import Yams

/// Reads a versioned YAML configuration file strictly: unknown keys are
/// errors, every problem in the file is collected (with its line and key
/// path) and reported at once, values are range-checked by the caller.
///
/// Shared by every file format advisor reads (instruments, accounts,
/// profiles, scenarios), so they all behave the same way.
final class YAMLReader {
  let path: String
  private(set) var errors: [InputError] = []

  init(path: String) { self.path = path }

  /// Parses the file and returns its top-level mapping.
  static func open(_ path: String) throws(InputError) -> (YAMLReader, YAMLTable) {
    let text = try InputFiles.readText(path, what: "file", maxBytes: InputLimits.yamlBytes)
    return try parse(text, path: path)
  }

  static func parse(_ text: String, path: String) throws(InputError) -> (YAMLReader, YAMLTable) {
    let node: Node?
    do {
      // The basic resolver: every scalar stays a string (advisor types each value itself, with
      // its own range checks). The default resolver runs ICU regular expressions to tag every
      // scalar, and Yams hashes each mapping key with its resolved tag to find duplicates:
      // ≈ 17 M instructions for the shipped profiles (BENCHMARKS.md, "Start-up"). The encoding
      // is given: Yams's default reads the whole environment for `YAMS_DEFAULT_ENCODING` at every
      // parse (2.8 M instructions for a check's eight files) and, when it is set, prints to
      // standard output, where it would corrupt a JSON report.
      node = try Yams.compose(yaml: text, .basic, .default, .utf8)
    } catch let e as YamlError {
      throw InputError(
        .invalidConfiguration, path: path, line: Self.line(of: e),
        "is not valid YAML (\(escapedForMessage(Self.problem(of: e), limit: 200))).")
    } catch {
      throw InputError(.invalidConfiguration, path: path, "is not valid YAML.")
    }
    guard let node, case .mapping = node else {
      throw InputError(.invalidConfiguration, path: path, line: 1, "expected a mapping of keys to values at the top level.")
    }
    let reader = YAMLReader(path: path)
    return (reader, YAMLTable(reader: reader, node: node, keyPath: ""))
  }

  static func line(of e: YamlError) -> Int? {
    switch e {
    case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
    default: return nil
    }
  }

  static func problem(of e: YamlError) -> String {
    switch e {
    case .scanner(_, let p, _, _), .parser(_, let p, _, _), .composer(_, let p, _, _): return p
    case .duplicatedKeysInMapping(let d, _): return "duplicate keys \(d.joined(separator: ", "))"
    default: return "\(e)"
    }
  }

  func report(_ kind: InputError.Kind, _ node: Node?, _ keyPath: String, _ message: String) {
    errors.append(InputError(kind, path: path, line: node?.mark?.line, field: keyPath.isEmpty ? nil : keyPath, message))
  }

  /// Throws every collected problem (one ``InputError`` if there is one, ``InputErrors`` otherwise).
  func finish() throws {
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw InputErrors(errors) }
  }
}

/// A YAML mapping being read; remembers which keys were used so the rest can
/// be reported as unknown.
final class YAMLTable {
  let reader: YAMLReader
  let node: Node
  let keyPath: String
  private var used: Set<String> = []

  init(reader: YAMLReader, node: Node, keyPath: String) {
    self.reader = reader
    self.node = node
    self.keyPath = keyPath
  }

  var line: Int? { node.mark?.line }

  /// The keys in file order.
  var keys: [String] {
    guard case .mapping(let m) = node else { return [] }
    return m.keys.compactMap(\.string)
  }

  func child(_ key: String) -> String { keyPath.isEmpty ? key : "\(keyPath).\(key)" }

  /// Each key's value (the first, if a key repeats), indexed on the first lookup: a search of
  /// the mapping per key copied every pair it passed (8.2 M instructions of a check's 98 M,
  /// callgrind, issue 16).
  private lazy var index: [String: Node] = {
    guard case .mapping(let m) = node else { return [:] }
    var d: [String: Node] = [:]
    d.reserveCapacity(m.count)
    for (k, v) in m {
      if let s = k.string, d[s] == nil { d[s] = v }
    }
    return d
  }()

  func value(_ key: String) -> Node? {
    used.insert(key)
    return index[key]
  }

  func has(_ key: String) -> Bool { index[key] != nil }

  func missing(_ key: String, _ expected: String) {
    reader.report(.missingKey, node, child(key), "is required: \(expected).")
  }

  func string(_ key: String, required: String? = nil) -> String? {
    guard let v = value(key) else {
      if let required { missing(key, required) }
      return nil
    }
    guard case .scalar(let s) = v else {
      reader.report(.invalidValue, v, child(key), "expected a text value, found a \(Self.kind(of: v)).")
      return nil
    }
    return s.string
  }

  /// A number within its documented range (``InputRange``): finite, decimal, not too long,
  /// not subnormal. Problems are reported with the line and key path.
  func number(_ key: String, required: String? = nil, range: NumericRange) -> Double? {
    guard let v = value(key) else {
      if let required { missing(key, required) }
      return nil
    }
    return number(node: v, keyPath: child(key), range: range)
  }

  /// ``number(_:required:range:)`` for a node already looked up.
  func number(node v: Node, keyPath: String, range: NumericRange) -> Double? {
    guard case .scalar(let s) = v else {
      reader.report(.notANumber, v, keyPath, "expected a number, found a \(Self.kind(of: v)).")
      return nil
    }
    switch YAMLTable.decimal(s.string) {
    case .value(let x):
      guard range.contains(x) else {
        reader.report(.invalidValue, v, keyPath, range.violation(s.string))
        return nil
      }
      return x
    case .tooLong(let n):
      reader.report(
        .notANumber, v, keyPath,
        "\(quoted(s.string, limit: 20)) is too long for a number (\(n) characters; at most \(InputLimits.numberCharacters)).")
    case .nonFinite:
      reader.report(.nonFinite, v, keyPath, "\(quoted(s.string)) is not a finite number.")
    case .notANumber:
      reader.report(.notANumber, v, keyPath, "\(quoted(s.string)) is not a finite number.")
    }
    return nil
  }

  static func kind(of node: Node) -> String {
    switch node {
    case .mapping: return "mapping"
    case .sequence: return "list"
    default: return "value"
    }
  }

  enum Decimal: Equatable {
    case value(Double)
    case tooLong(Int)
    case nonFinite
    case notANumber
  }

  /// A decimal number as YAML writes it (`_` separators allowed): digits, sign, point and
  /// exponent only, so `0x1p3`, `nan` and `.inf` are not numbers; a value that overflows
  /// (1e400) is not finite.
  static func decimal(_ text: String) -> Decimal { asciiDecimal(text) ?? foundationDecimal(text) }

  /// ``decimal(_:)`` of any text, with Foundation's string operations.
  static func foundationDecimal(_ text: String) -> Decimal {
    let t = text.replacingOccurrences(of: "_", with: "").trimmingCharacters(in: .whitespaces)
    if t.unicodeScalars.count > InputLimits.numberCharacters { return .tooLong(t.unicodeScalars.count) }
    let lower = t.lowercased()
    if [".inf", "-.inf", "+.inf", ".nan", "inf", "-inf", "+inf", "nan", "infinity", "-infinity", "+infinity"].contains(lower) {
      return .nonFinite
    }
    guard !t.isEmpty, t.unicodeScalars.allSatisfy({ "0123456789+-.eE".unicodeScalars.contains($0) }),
      t.unicodeScalars.contains(where: { $0.properties.numericType != nil }), let x = Double(t)
    else { return .notANumber }
    return x.isFinite ? .value(x) : .nonFinite
  }

  /// ``decimal(_:)`` of a text that is all ASCII, byte by byte, with the same answer: the
  /// underscores removed, then spaces and tabs trimmed (the ASCII of Foundation's
  /// `.whitespaces`), then the same tests. Foundation's `replacingOccurrences` and
  /// `trimmingCharacters` bridge through `NSString`: 2.2 M instructions of the profiles'
  /// numbers in every run (BENCHMARKS.md, issue 16, twelfth pass). Nil for any other text.
  static func asciiDecimal(_ text: String) -> Decimal? {
    guard let bytes = asciiWithoutUnderscores(text) else { return nil }
    let blank = { (b: UInt8) in b == 0x20 || b == 0x09 }
    guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) })
    else { return .notANumber }
    let t = bytes[first...last]
    if t.count > InputLimits.numberCharacters { return .tooLong(t.count) }
    let lower = String(decoding: t.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    if Self.nonFiniteWords.contains(lower) { return .nonFinite }
    guard t.allSatisfy({ Self.numberBytes.contains($0) }), t.contains(where: { $0 >= 0x30 && $0 <= 0x39 }),
      let x = Double(String(decoding: t, as: UTF8.self))
    else { return .notANumber }
    return x.isFinite ? .value(x) : .nonFinite
  }

  private static let nonFiniteWords: Set<String> = [
    ".inf", "-.inf", "+.inf", ".nan", "inf", "-inf", "+inf", "nan", "infinity", "-infinity", "+infinity",
  ]
  private static let numberBytes = Set("0123456789+-.eE".utf8)

  func integer(_ key: String, required: String? = nil, range: ClosedRange<Int>? = nil) -> Int? {
    guard let v = value(key) else {
      if let required { missing(key, required) }
      return nil
    }
    guard case .scalar(let s) = v, s.string.count <= InputLimits.numberCharacters, let x = Self.wholeNumber(s.string)
    else {
      let text = v.string.map { quoted($0) } ?? "the \(Self.kind(of: v))"
      let why = (v.string?.count ?? 0) > 20 && Double(v.string ?? "") != nil ? " or is too large" : ""
      reader.report(.notANumber, v, child(key), "\(text) is not a whole number\(why).")
      return nil
    }
    if let range, !range.contains(x) {
      reader.report(.invalidValue, v, child(key), "\(x) is out of range; expected \(range.lowerBound)...\(range.upperBound).")
      return nil
    }
    return x
  }

  /// A whole number as YAML writes it: the text with every `_` removed, read by `Int` (so
  /// `1_000` is 1000; a sign, a space or a point is not removed, and `0x10` is not a number).
  static func wholeNumber(_ text: String) -> Int? {
    if let ascii = asciiWholeNumber(text) { return ascii }
    return foundationWholeNumber(text)
  }

  /// ``wholeNumber(_:)`` of any text, with Foundation's `replacingOccurrences`.
  static func foundationWholeNumber(_ text: String) -> Int? { Int(text.replacingOccurrences(of: "_", with: "")) }

  /// ``wholeNumber(_:)`` of a text that is all ASCII, byte by byte, with the same answer: the
  /// underscores dropped, the rest read by `Int`. Foundation's `replacingOccurrences` bridges
  /// through `NSString`: 0.83 M instructions of the 44 whole numbers a `size` reads from its
  /// YAML files (BENCHMARKS.md, issue 16, fourteenth pass). Nil for any other text; for an
  /// ASCII text, `.some(nil)` when it is not a whole number.
  static func asciiWholeNumber(_ text: String) -> Int?? {
    guard let bytes = asciiWithoutUnderscores(text) else { return nil }
    return .some(Int(String(decoding: bytes, as: UTF8.self)))
  }

  /// The bytes of an all-ASCII `text` without its underscores (YAML's digit separators), as
  /// `replacingOccurrences(of: "_", with: "")` would leave them; nil for any other text.
  static func asciiWithoutUnderscores(_ text: String) -> [UInt8]? {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    for b in text.utf8 {
      guard b < 0x80 else { return nil }
      if b != UInt8(ascii: "_") { bytes.append(b) }
    }
    return bytes
  }

  func bool(_ key: String) -> Bool? {
    guard let v = value(key) else { return nil }
    guard let b = v.bool else {
      reader.report(
        .invalidValue, v, child(key), "\(v.string.map { quoted($0) } ?? "the \(Self.kind(of: v))") is not true or false.")
      return nil
    }
    return b
  }

  func day(_ key: String, required: String? = nil) -> Day? {
    guard let text = string(key, required: required) else { return nil }
    guard let d = Day(iso: text) else {
      reader.report(.notADate, value(key), child(key), "\(quoted(text)) is not a date; expected YYYY-MM-DD.")
      return nil
    }
    return d
  }

  func oneOf<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, required: String? = nil) -> T?
  where T.RawValue == String {
    guard let text = string(key, required: required) else { return nil }
    guard let v = T(rawValue: text) else {
      reader.report(
        .invalidValue, value(key), child(key),
        "\(quoted(text)) is not one of \(T.allCases.map(\.rawValue).joined(separator: ", ")).")
      return nil
    }
    return v
  }

  func table(_ key: String, required: String? = nil) -> YAMLTable? {
    guard let v = value(key) else {
      if let required { missing(key, required) }
      return nil
    }
    guard case .mapping = v else {
      reader.report(.invalidValue, v, child(key), "expected a mapping of keys to values.")
      return nil
    }
    return YAMLTable(reader: reader, node: v, keyPath: child(key))
  }

  /// A sequence of mappings.
  func tables(_ key: String) -> [YAMLTable] {
    guard let v = value(key) else { return [] }
    guard case .sequence(let seq) = v else {
      reader.report(.invalidValue, v, child(key), "expected a list.")
      return []
    }
    return seq.enumerated().compactMap { i, item in
      guard case .mapping = item else {
        reader.report(.invalidValue, item, "\(child(key))[\(i)]", "expected a mapping of keys to values.")
        return nil
      }
      return YAMLTable(reader: reader, node: item, keyPath: "\(child(key))[\(i)]")
    }
  }

  /// Each entry of a mapping whose values are mappings (e.g. instruments keyed by symbol).
  func entries() -> [(String, YAMLTable)] {
    guard case .mapping(let m) = node else { return [] }
    var out: [(String, YAMLTable)] = []
    for (k, v) in m {
      let name = k.string ?? ""
      used.insert(name)
      guard case .mapping = v else {
        reader.report(.invalidValue, v, child(name), "expected a mapping of keys to values.")
        continue
      }
      out.append((name, YAMLTable(reader: reader, node: v, keyPath: child(name))))
    }
    return out
  }

  /// The `version` key, which must be present and supported.
  func requireVersion(_ supported: Int) {
    guard let v = integer("version", required: "the file format version, currently \(supported)") else { return }
    if v != supported {
      reader.report(
        .invalidValue, value("version"), child("version"),
        "version \(v) is not supported; this advisor reads version \(supported).")
    }
  }

  /// Reports every key that was never asked for.
  func rejectUnknownKeys() {
    guard case .mapping(let m) = node else { return }
    for (k, _) in m {
      let name = k.string ?? ""
      if !used.contains(name) {
        let suggestion = closeMatches(for: name, in: Array(used), limit: 1).first.map { " (did you mean '\($0)'?)" } ?? ""
        reader.report(.unknownKey, k, child(escapedForMessage(name)), "unknown key\(suggestion).")
      }
    }
  }
}
