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
    guard FileManager.default.fileExists(atPath: path) else {
      throw InputError(.fileNotFound, path: path, "no such file.")
    }
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw InputError(.unreadable, path: path, "cannot read the file as UTF-8 text.")
    }
    return try parse(text, path: path)
  }

  static func parse(_ text: String, path: String) throws(InputError) -> (YAMLReader, YAMLTable) {
    let node: Node?
    do {
      node = try Yams.compose(yaml: text)
    } catch let e as YamlError {
      throw InputError(.invalidConfiguration, path: path, line: Self.line(of: e), "is not valid YAML (\(Self.problem(of: e))).")
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

  func value(_ key: String) -> Node? {
    used.insert(key)
    guard case .mapping(let m) = node else { return nil }
    for (k, v) in m where k.string == key { return v }
    return nil
  }

  func has(_ key: String) -> Bool {
    guard case .mapping(let m) = node else { return false }
    return m.keys.contains { $0.string == key }
  }

  func missing(_ key: String, _ expected: String) {
    reader.report(.missingKey, node, child(key), "is required: \(expected).")
  }

  func string(_ key: String, required: String? = nil) -> String? {
    guard let v = value(key) else {
      if let required { missing(key, required) }
      return nil
    }
    guard case .scalar(let s) = v else {
      reader.report(.invalidValue, v, child(key), "expected a text value.")
      return nil
    }
    return s.string
  }

  func number(_ key: String, required: String? = nil, range: ClosedRange<Double>? = nil, rangeText: String? = nil) -> Double? {
    guard let v = value(key) else {
      if let required { missing(key, required) }
      return nil
    }
    guard case .scalar(let s) = v, let x = Double(s.string.replacingOccurrences(of: "_", with: "")), x.isFinite else {
      reader.report(.notANumber, v, child(key), "'\(v.string ?? "…")' is not a finite number.")
      return nil
    }
    if let range, !range.contains(x) {
      reader.report(
        .invalidValue, v, child(key),
        "\(s.string) is out of range; expected \(rangeText ?? "a value in \(range.lowerBound)...\(range.upperBound)").")
      return nil
    }
    return x
  }

  func integer(_ key: String, required: String? = nil, range: ClosedRange<Int>? = nil) -> Int? {
    guard let v = value(key) else {
      if let required { missing(key, required) }
      return nil
    }
    guard case .scalar(let s) = v, let x = Int(s.string.replacingOccurrences(of: "_", with: "")) else {
      reader.report(.notANumber, v, child(key), "'\(v.string ?? "…")' is not a whole number.")
      return nil
    }
    if let range, !range.contains(x) {
      reader.report(.invalidValue, v, child(key), "\(x) is out of range; expected \(range.lowerBound)...\(range.upperBound).")
      return nil
    }
    return x
  }

  func bool(_ key: String) -> Bool? {
    guard let v = value(key) else { return nil }
    guard let b = v.bool else {
      reader.report(.invalidValue, v, child(key), "'\(v.string ?? "…")' is not true or false.")
      return nil
    }
    return b
  }

  func day(_ key: String, required: String? = nil) -> Day? {
    guard let text = string(key, required: required) else { return nil }
    guard let d = Day(iso: text) else {
      reader.report(.notADate, value(key), child(key), "'\(text)' is not a date; expected YYYY-MM-DD.")
      return nil
    }
    return d
  }

  func oneOf<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, required: String? = nil) -> T?
  where T.RawValue == String {
    guard let text = string(key, required: required) else { return nil }
    guard let v = T(rawValue: text) else {
      reader.report(
        .invalidValue, value(key), child(key), "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", ")).")
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
        reader.report(.unknownKey, k, child(name), "unknown key\(suggestion).")
      }
    }
  }
}
