import ArgumentParser
import RiskCore
import RiskIO

extension BudgetFormat: ExpressibleByArgument {}

struct BudgetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "budget",
    abstract: "Where the book spends its risk, the budgeted risk-parity target, its leverage under the regime, and the trades.",
    discussion: """
      For the account: each position's weight of equity, annual σ, marginal and Euler risk contribution \
      and share against its budget; portfolio σ, diversification ratio, normal and historical VaR and ES \
      (95% and 99%, 1 and 10 days). Then the long-only risk-parity weights for the budgets (equal by \
      default; --budgets FILE or --budget SYM=0.3 / class:crypto=0.1), levered to the regime's volatility \
      target within its gross and asset-class leverage caps, and the trades in whole lots, each order within \
      the per-trade cap (max_position_notional × equity): split, or not proposed when one lot is above it.

      With --instruments A,B,… and no account: the budgeted risk-parity weights of a new portfolio \
      (long-only, fully invested, before leverage); estimator and lookback default to those of advisor risk.

      Example: advisor budget --market data/panels/riskfolio_stock_prices.csv \
      --instruments AMZN,APA,CMCSA --estimator sample --lookback 200 --format json

      \(AdvisorExit.helpText(checks: false))
      """
  )

  @OptionGroup var inputs: InputOptions
  @OptionGroup var accountOptions: AccountOptions
  @OptionGroup var profileOptions: ProfileOptions
  @OptionGroup var journalOptions: JournalOptions

  @Option(
    name: .long, parsing: .upToNextOption,
    help: "Propose a new portfolio of these instruments (comma-separated) instead of budgeting the account.")
  var instruments: [String] = []

  @Option(name: .long, help: "Regime: a profile name (calm, normal, volatile, crisis) or auto (default: normal).")
  var regime: String?

  @Option(
    name: .long,
    help:
      "Covariance estimator: \(CovarianceMethod.allCases.map(\.rawValue).joined(separator: ", ")) (default: the regime profile's; ewma with --instruments)."
  )
  var estimator: CovarianceMethod?

  @Option(name: .long, help: "Number of aligned returns used, at least 2 (default: the profile's; 252 with --instruments).")
  var lookback: Int?

  @Option(name: .long, help: "EWMA decay λ in (0, 1) (default: the profile's; 0.94 with --instruments).")
  var lambda: Double?

  @Option(name: .long, help: "Risk budgets file (YAML): instruments or class:CLASS to positive shares.")
  var budgets: String?

  @Option(name: .long, help: "A risk budget, SYMBOL=SHARE or class:CLASS=SHARE; repeatable; overrides the file.")
  var budget: [String] = []

  @Option(name: .long, help: "Output format: text, json or markdown.")
  var format: BudgetFormat = .text

  @OptionGroup var outputStyle: OutputOptions

  var symbols: [String] { (try? instrumentSymbols(instruments)) ?? [] }

  func validate() throws {
    if let lookback, lookback < 2 { throw ValidationError("--lookback must be at least 2 returns, got \(lookback).") }
    if let lambda, !(lambda > 0 && lambda < 1) { throw ValidationError("--lambda must be in (0, 1), got \(lambda).") }
    try checkFlag {
      try FlagCheck.integer(lookback, "--lookback", 2...InputLimits.maxLookback)
      try FlagCheck.number(lambda, "--lambda", InputRange.lambda)
    }
    if !instruments.isEmpty { _ = try instrumentList(instruments) }
    if !symbols.isEmpty {
      if accountOptions.account != nil || accountOptions.holdings != nil {
        throw ValidationError("--instruments proposes a new portfolio without an account; leave out --account and --holdings.")
      }
      if regime != nil {
        throw ValidationError("--regime applies to an account's budget, not to a new portfolio (--instruments).")
      }
    }
  }

  func run() throws {
    try reportingErrors {
      let config = try inputs.resolvedConfig()
      let market = try inputs.loadMarket(config)
      var entries = try budgets.map { try BudgetFile.load($0) } ?? []
      for flag in budget { entries.append(try BudgetFile.parseFlag(flag)) }
      if !symbols.isEmpty {
        let settings = CovarianceSettings(
          method: estimator ?? .ewma, lookback: lookback ?? 252, lambda: lambda ?? 0.94,
          methodSource: estimator == nil ? "default" : "--estimator", lookbackSource: lookback == nil ? "default" : "--lookback",
          lambdaSource: lambda == nil ? "default" : "--lambda")
        let proposal = try BudgetService.propose(
          market: market, symbols: symbols, settings: settings, asOf: inputs.asOfDay(config), budgets: entries)
        if format == .text { outputStyle.apply() }
        try emit(try BudgetRenderer.render(proposal, as: format))
        return
      }
      var context = try AccountContext(inputs, accountOptions, profileOptions)
      let journal = RunJournal(journalOptions, config: context.config, command: "budget", format: format.rawValue)
      try journaled(journal, asOf: context.account.asOf) {
        try journal.requireAvailable()
        context.account.record = journal.record(for: context.account)
        try journal.requireAvailable()
        let valuation = try context.valuation()
        try journal.snapshot(valuation)
        let request = BudgetRequest(
          regime: regime ?? "normal", method: estimator, lookback: lookback, lambda: lambda, budgets: entries)
        let report = try BudgetService.run(
          valuation: valuation, market: context.market, regimes: context.regimes, request: request)
        if format == .text { outputStyle.apply() }
        let text = try BudgetRenderer.render(report, as: format)
        try journal.finish(
          try Recording.budget(
            report, output: text, asOfSource: context.workspace.asOfSource, account: context.account, format: format))
        try emit(text)
        journal.announce()
      }
    }
  }
}
