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
