import Foundation
import RiskCore

/// Risk budgets (YAML, versioned like every advisor file), and `--budget` flags.
///
/// ```yaml
/// version: 1
/// description: Core book, crypto capped   # optional, shown nowhere
/// budgets:                                 # positive shares of the total risk; normalised
///   AAPL: 0.15                             # an instrument (an option is budgeted through its underlying)
///   GC: 0.10
///   class:crypto: 0.10                     # an asset class, split equally among its positions without their own
/// ```
/// Positions without a budget share what the others leave (`1 − Σ given`)
/// equally. Unknown keys and unknown asset classes are errors, reported
/// together with their lines; a budget that is not positive, or one for an
/// instrument not held, is an error when the budget is applied.
public enum BudgetFile {
  public static let version = 1

  public static func load(_ path: String) throws -> [BudgetEntry] {
    try parse(try InputFiles.readText(path, what: "budgets file", maxBytes: InputLimits.yamlBytes), path: path)
  }

  /// Parses budgets YAML in memory (the fuzzer's and the tests' entry point).
  public static func parse(_ text: String, path: String) throws -> [BudgetEntry] {
    let (reader, root) = try YAMLReader.parse(text, path: path)
    root.requireVersion(version)
    _ = root.string("description")
    var entries: [BudgetEntry] = []
    if let table = root.table("budgets", required: "a mapping of instrument (or class:CLASS) to a positive share of risk") {
      for name in table.keys {
        let node = table.value(name)
        let field = table.child(name)
        guard let key = key(name) else {
          reader.report(
            .invalidValue, node, field,
            "\(quoted(String(name.dropFirst(6)))) is not an asset class; expected class:CLASS with CLASS one of \(AssetClass.allCases.map(\.rawValue).joined(separator: ", "))."
          )
          continue
        }
        guard let value = table.number(name, range: InputRange.budgetShare) else { continue }
        entries.append(BudgetEntry(key: key, value: value, source: path, line: node?.mark?.line, field: field))
      }
      if table.keys.isEmpty {
        reader.report(
          .empty, root.value("budgets"), "budgets", "is empty; give at least one budget, or leave out --budgets for equal risk.")
      }
    }
    root.rejectUnknownKeys()
    try reader.finish()
    return entries
  }

  /// `AAPL` or `class:stock`; nil for `class:` with an unknown class.
  static func key(_ text: String) -> BudgetKey? { InstrumentSelector(parsing: text) }

  /// Parses a `--budget` flag: `SYMBOL=SHARE` or `class:CLASS=SHARE`.
  ///
  /// - Throws: ``InputError`` naming the flag when it is not of that form.
  public static func parseFlag(_ text: String) throws(InputError) -> BudgetEntry {
    let flag = "--budget \(escapedForMessage(text))"
    let example = "expected SYMBOL=SHARE or class:CLASS=SHARE, e.g. --budget AAPL=0.3"
    guard let eq = text.lastIndex(of: "=") else { throw InputError(.invalidValue, path: flag, "no '='; \(example).") }
    let name = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
    let number = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
    guard !name.isEmpty else { throw InputError(.invalidValue, path: flag, "no instrument before '='; \(example).") }
    let value: Double
    switch YAMLTable.decimal(number) {
    case .value(let v):
      guard InputRange.budgetShare.contains(v) else {
        throw InputError(.invalidValue, path: flag, InputRange.budgetShare.violation(number))
      }
      value = v
    case .tooLong(let n):
      throw InputError(.notANumber, path: flag, "\(quoted(number, limit: 20)) is too long for a number (\(n) characters).")
    case .nonFinite, .notANumber:
      throw InputError(.notANumber, path: flag, "\(quoted(number)) is not a number; \(example).")
    }
    guard let key = key(name) else {
      throw InputError(
        .invalidValue, path: flag,
        "\(quoted(String(name.dropFirst(6)))) is not an asset class (\(AssetClass.allCases.map(\.rawValue).joined(separator: ", ")))."
      )
    }
    return BudgetEntry(key: key, value: value, source: "--budget \(text)")
  }
}
