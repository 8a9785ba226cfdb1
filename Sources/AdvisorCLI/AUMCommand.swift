import ArgumentParser
import Foundation
import RiskCore
import RiskIO

extension ReportFormat: ExpressibleByArgument {}

/// Options shared by the commands that start from an account.
struct AccountOptions: ParsableArguments {
  @Option(name: .long, help: "Account file (YAML); default: account in advisor.yaml.")
  var account: String?

  @Option(name: .long, help: "Broker-style holdings CSV, one row per position (added to the account's positions).")
  var holdings: String?

  @Option(
    name: .long,
    help:
      "The holdings CSV's column names: advisor's=yours, comma-separated (symbol=Symbol,quantity=Position,price=Mark); its other columns are then ignored."
  )
  var columns: String?

  /// `--columns` as advisor's column → the file's.
  func columnMapping() throws -> [String: String] {
    guard let columns else { return [:] }
    var out: [String: String] = [:]
    for part in columns.split(separator: ",", omittingEmptySubsequences: false) {
      let kv = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
      guard kv.count == 2, !kv[0].isEmpty, !kv[1].isEmpty else {
        throw ValidationError("--columns \(quoted(String(part))) is not advisor's=yours (e.g. symbol=Symbol).")
      }
      guard HoldingsCSV.columns.contains(kv[0]) else {
        let hint = closeMatches(for: kv[0], in: Array(HoldingsCSV.columns))
        throw ValidationError(
          "--columns: \(quoted(kv[0])) is not a holdings column\(hint.isEmpty ? "" : " (did you mean \(hint.joined(separator: " or "))?)"); expected some of \(HoldingsCSV.columns.sorted().joined(separator: ", "))."
        )
      }
      out[kv[0]] = kv[1]
    }
    return out
  }

  func accountPath(_ config: AdvisorConfig) throws -> String {
    if let account { return account }
    if let a = config.account { return a }
    if config.path == nil { throw CLIError.notConfigured(missing: "--account") }
    throw CLIError("no account: \(config.path ?? "advisor.yaml") names none; add account: FILE to it, or pass --account FILE.")
  }

}

struct AUMCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "aum",
    abstract: "AUM by the broker's rules, equity, exposure and leverage of an account, in its base currency.",
    discussion: """
      AUM: stock, short stock, fund, option (× multiplier) and futures (× multiplier) market values in \
      absolute terms, a futures price below 0 counted as 0, cash at the daily balance, all at the closing \
      FX rate. Bonds: quantity × face value × price / 100 (price in percent of par). Equity (net \
      liquidation value) is the base for risk budgets. With --followers, the copy-trading strategy AUM.

      Example: advisor aum --account examples/broker/securities.yaml --format markdown

      \(AdvisorExit.helpText(checks: false))
      """
  )

  @OptionGroup var inputs: InputOptions
  @OptionGroup var accountOptions: AccountOptions

  @Option(name: .long, help: "Copy-trading followers CSV: follower_id,allocated_capital,currency[,is_lead].")
  var followers: String?

  @Flag(name: .customLong("include-lead"), help: "Count the lead trader's own capital in the strategy AUM.")
  var includeLead = false

  @Option(name: .long, help: "Output format: text, json, csv or markdown.")
  var format: ReportFormat = .text

  @OptionGroup var outputStyle: OutputOptions

  func run() throws {
    try reportingErrors {
      let workspace = try inputs.workspace(account: accountOptions, profiles: nil, marketRequired: false)
      let config = workspace.config
      let valuation = try workspace.valuation()
      let account = valuation.account
      var copy: CopyTradingAUM? = nil
      // The configured followers belong to the configured account only.
      if let path = followers ?? (accountOptions.account == nil ? config.followers : nil) {
        copy = try CopyTradingAUM.compute(try FollowersCSV.load(path), fx: account.fx, includeLead: includeLead, source: path)
      }
      if format == .text { outputStyle.apply() }
      try emit(try AUMRenderer.render(valuation, copy: copy, as: format))
    }
  }
}
