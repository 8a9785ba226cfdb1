import ArgumentParser
import Foundation
import RiskCore
import RiskIO

/// Where the regime profiles are.
struct ProfileOptions: ParsableArguments {
  @Option(name: .long, help: "Directory of regime profiles (YAML); default: profiles in advisor.yaml, else the built-in ones.")
  var profiles: String?

  /// The flag, else advisor.yaml, else the profiles built into the binary.
  func source(_ config: AdvisorConfig) -> Workspace.Profiles {
    (profiles ?? config.profiles).map { .directory($0) } ?? .builtIn
  }
}

/// Today's date from the clock (UTC), for the as-of default; the core never reads the clock.
func today() -> Day { AsOfRule.today() }

struct SizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "size",
    abstract: "Position size, per-trade cap, leverage and stop-loss for one trade, explained.",
    discussion: """
      Sizes a trade against every limit of the regime's profile (risk budget, notional cap, account and \
      asset-class leverage, portfolio volatility budget, risk-contribution cap, liquidity), takes the \
      smallest, rounds it down to the lot, and explains each step. Equity, not AUM, is the base.

      Example: advisor size --instrument BTC --regime volatile

      \(AdvisorExit.helpText(checks: false))
      """
  )

  @OptionGroup var inputs: InputOptions
  @OptionGroup var accountOptions: AccountOptions
  @OptionGroup var profileOptions: ProfileOptions
  @OptionGroup var journalOptions: JournalOptions

  @Option(name: .long, help: "The instrument to trade.")
  var instrument: String

  @Option(name: .long, help: "long or short (also buy or sell).")
  var side: OrderSide = .long

  @Option(name: .long, help: "Regime: a profile name (calm, normal, volatile, crisis) or auto.")
  var regime: String = "normal"

  @Option(name: .long, help: "Entry price (default: the last close).")
  var entry: Double?

  @Option(name: .long, help: "Stop price (default: the regime's stop rule).")
  var stop: Double?

  @Option(name: .long, help: "Output format: text, json, markdown or csv.")
  var format: ReportFormat = .text

  @Flag(name: .long, help: "One line: size, lots, entry, stop, money at risk, binding limit, regime.")
  var brief = false

  @Flag(name: .long, help: "Text: every limit's formula and inputs, and each step's inputs.")
  var verbose = false

  @OptionGroup var output: OutputOptions

  func validate() throws {
    if brief && (verbose || format != .text) {
      throw ValidationError("--brief is one line of text: leave out --verbose and --format.")
    }
    if let stop, !stop.isFinite { throw ValidationError("--stop must be a finite price.") }
    try checkFlag {
      try FlagCheck.number(entry, "--entry", InputRange.entry)
      try FlagCheck.number(stop, "--stop", InputRange.stop)
    }
  }

  func run() throws {
    var blocked = false
    try reportingErrors {
      var context = try AccountContext(inputs, accountOptions, profileOptions)
      let (market, regimes) = (context.market, context.regimes)
      // The journal: the account's record is read, and the run written, in one transaction.
      let journal = RunJournal(journalOptions, config: context.config, command: "size", format: format.rawValue)
      try journaled(journal, asOf: context.account.asOf) {
        try journal.requireAvailable()
        context.account.record = journal.record(for: context.account)
        try journal.requireAvailable()
        let valuation = try context.valuation()
        guard market[instrument] != nil else {
          throw UnknownInstrumentError(
            symbol: instrument, suggestions: closeMatches(for: instrument, in: market.symbols), known: market.symbols.count)
        }
        let request = SizingRequest(symbol: instrument, side: side.tradeSide, entry: entry, stop: stop)
        try journal.snapshot(valuation)
        let source = context.workspace.asOfSource
        do {
          let report = try SizingService.run(request, valuation: valuation, market: market, regimes: regimes, regime: regime)
          if format == .text { output.apply() }
          let text = brief ? SizeRenderer.brief(report) : try SizeRenderer.render(report, as: format, verbose: verbose)
          try journal.finish(
            try Recording.size(report, output: text, asOfSource: source, account: context.account, format: format))
          try emit(text)
        } catch let b as TradingBlockedError {
          // A state that blocks the trade is reported instead of a size (exit 1).
          let text = try StateReport.blocked(b, as: format)
          try journal.finish(try Recording.blocked(b, output: text, asOfSource: source, account: context.account, format: format))
          try emit(text)
          blocked = true
        }
        journal.announce()
      }
    }
    if blocked { throw ExitCode(AdvisorExit.checkFailed) }
  }
}
