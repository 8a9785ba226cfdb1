import ArgumentParser
import Foundation
import RiskCore
import RiskIO

extension WhatIfFormat: ExpressibleByArgument {}
extension ReplayMode: ExpressibleByArgument {}

struct WhatIfCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "whatif",
    abstract:
      "What-if report: shocks, volatility and correlation stress, regime changes, flows, trades, replay, copy-trading capacity.",
    discussion: """
      A scenario comes from --scenario FILE (see examples/scenarios/) and/or flags, which add to it. \
      Orders are applied first, then capital flows, then price shocks; risk after uses the regime \
      after's estimator with the volatility and correlation stress. The report shows before and after \
      side by side, every limit of the regime after that is breached, and the lot-rounded reductions \
      that bring the account back within them. --format html writes a self-contained page with SVG charts.

      Examples:
        advisor whatif --scenario examples/scenarios/crypto-crash.yaml
        advisor whatif --shock BTC=-30% --shock class:stock=-10% --to-regime crisis --format html --output report.html

      \(AdvisorExit.helpText(checks: true))
      """
  )

  @OptionGroup var inputs: InputOptions
  @OptionGroup var accountOptions: AccountOptions
  @OptionGroup var profileOptions: ProfileOptions
  @OptionGroup var journalOptions: JournalOptions

  @Option(name: .long, help: "Scenario file (YAML).")
  var scenario: String?

  @Option(name: .long, help: "Price shock, e.g. BTC=-30% or class:stock=-10% (repeatable).")
  var shock: [String] = []

  @Option(name: .customLong("vol-multiplier"), help: "Multiply every volatility.")
  var volMultiplier: Double?

  @Option(name: .customLong("correlation-target"), help: "Move every correlation toward this value in [-1, 1].")
  var correlationTarget: Double?

  @Option(name: .customLong("correlation-weight"), help: "How far toward the target, in [0, 1] (default 1).")
  var correlationWeight: Double?

  @Option(name: .long, help: "The regime before (default: the scenario's base_regime, else normal).")
  var regime: String?

  @Option(name: .customLong("to-regime"), help: "The regime after.")
  var toRegime: String?

  @Option(name: .long, help: "Deposit: an amount in the base currency or a percentage of equity (e.g. 50000 or 10%).")
  var deposit: String?

  @Option(name: .long, help: "Withdrawal: an amount in the base currency or a percentage of equity (e.g. 20%).")
  var withdraw: String?

  @Option(name: .long, help: "Orders to apply first (CSV or JSON Lines, as for advisor check).")
  var orders: String?

  @Option(name: .long, help: "Replay today's holdings through FROM:TO (YYYY-MM-DD:YYYY-MM-DD).")
  var replay: String?

  @Option(name: .customLong("worst-days"), help: "Replay: the N worst days of today's holdings.")
  var worstDays: Int?

  @Option(
    name: .customLong("replay-mode"),
    help: "Replay: returns (today's exposures × the days' returns, as the historical VaR; default) or price-level.")
  var replayMode: ReplayMode?

  @Option(name: .long, help: "Copy-trading followers CSV (default: followers in advisor.yaml, with the configured account).")
  var followers: String?

  @Flag(name: .customLong("include-lead"), help: "Count the lead's own capital in the strategy AUM.")
  var includeLead = false

  @Option(name: .customLong("followers-join"), help: "Follower capital joining, base currency.")
  var followersJoin: Double?

  @Option(name: .customLong("followers-leave"), help: "Follower capital leaving, base currency.")
  var followersLeave: Double?

  @Option(name: .long, help: "Capacity: the instrument of the lead trade.")
  var capacity: String?

  @Option(name: .customLong("lead-fraction"), help: "Capacity: the lead trade as a fraction of strategy AUM.")
  var leadFraction: Double = 0.05

  @Option(
    name: .customLong("slippage-budget-bps"), help: "Capacity: the largest acceptable slippage in basis points.")
  var slippageBudgetBps: Double = 25

  @Option(name: .long, help: "Output format: text, json, markdown or html.")
  var format: WhatIfFormat = .text

  @OptionGroup var outputStyle: OutputOptions

  @Option(name: .long, help: "Write the report to this file instead of standard output.")
  var output: String?

  func validate() throws {
    try checkFlag {
      try FlagCheck.number(volMultiplier, "--vol-multiplier", InputRange.volatilityMultiplier)
      try FlagCheck.number(correlationTarget, "--correlation-target", InputRange.correlation)
      try FlagCheck.number(correlationWeight, "--correlation-weight", InputRange.weight)
      try FlagCheck.number(followersJoin, "--followers-join", InputRange.followerFlow)
      try FlagCheck.number(followersLeave, "--followers-leave", InputRange.followerFlow)
      try FlagCheck.number(leadFraction, "--lead-fraction", InputRange.leadTradeFraction)
      try FlagCheck.number(slippageBudgetBps, "--slippage-budget-bps", InputRange.slippageBudgetBps)
      try FlagCheck.integer(worstDays, "--worst-days", 1...InputLimits.maxLookback)
    }
  }

  func run() throws {
    var failed = false
    try reportingErrors {
      var context = try AccountContext(inputs, accountOptions, profileOptions)
      // The journal: the account's record (equity history, trading state) feeds the limits
      // and the orders' checks; the run and the valuation before the scenario are recorded.
      let journal = RunJournal(journalOptions, config: context.config, command: "whatif", format: format.rawValue)
      try journal.requireAvailable()
      context.account.record = journal.record(for: context.account)
      try journal.requireAvailable()
      let (config, market, regimes, account) = (context.config, context.market, context.regimes, context.account)
      var s = Scenario(name: "flags")
      var base: String? = nil
      var sources = ScenarioFile.Sources()
      if let path = scenario {
        let file = try ScenarioFile.load(path)
        s = file.scenario
        base = file.baseRegime
        sources = file.sources
      }
      for spec in shock {
        guard let parsed = ScenarioFile.parseShock(spec) else {
          throw CLIError("--shock \(quoted(spec)) is not SYMBOL=CHANGE or class:NAME=CHANGE (e.g. BTC=-30%).")
        }
        guard InputRange.shock.contains(parsed.change) else {
          throw InputError(
            .invalidValue, path: "--shock \(quoted(spec))", InputRange.shock.violation("\(parsed.change * 100)%"))
        }
        s.shocks.append(parsed)
        sources.shocks.append(.flag("--shock", spec))
      }
      if let m = volMultiplier { s.volatilityMultiplier = m }
      if let t = correlationTarget { s.correlationTarget = t }
      if let w = correlationWeight { s.correlationWeight = w }
      if let r = toRegime {
        s.regime = r
        sources.regime = .flag("--to-regime", r)
      }
      if let r = regime { sources.baseRegime = .flag("--regime", r) }
      for (text, sign) in [(deposit, 1.0), (withdraw, -1.0)] {
        guard let text else { continue }
        let flag = sign > 0 ? "--deposit" : "--withdraw"
        if text.hasSuffix("%"), let f = ScenarioFile.parseFraction(text), f >= 0 {
          let range = sign > 0 ? InputRange.depositFraction : InputRange.withdrawFraction
          guard range.contains(f) else { throw InputError(.invalidValue, path: flag, range.violation(text)) }
          s.flows.append(.fractionOfEquity(sign * f))
        } else if let a = NumericRange.parseDecimal(text), a >= 0 {
          guard InputRange.flowAmount.contains(a) else {
            throw InputError(.invalidValue, path: flag, InputRange.flowAmount.violation(text))
          }
          s.flows.append(.money(sign * a, currency: ""))
        } else {
          throw CLIError("\(flag) \(quoted(text)) is not a non-negative amount or percentage.")
        }
        sources.flows.append(.flag(flag, text))
      }
      if let orders {
        for input in try OrdersFile.load(orders, standardInput: { FileHandle.standardInput.readDataToEndOfFile() }) {
          switch input {
          case .order(let o): s.orders.append(o)
          case .malformed(_, _, let message): throw CLIError(message)
          }
        }
      }
      if let replay {
        let parts = replay.split(separator: ":").map(String.init)
        guard parts.count == 2, let from = Day(iso: parts[0]), let to = Day(iso: parts[1]) else {
          throw CLIError("--replay \(quoted(replay)) is not FROM:TO with dates YYYY-MM-DD.")
        }
        s.replay = .range(from: from, to: to)
        sources.replay = .flag("--replay", replay)
      }
      if let n = worstDays {
        s.replay = .worstDays(n)
        sources.replay = .flag("--worst-days", String(n))
      }
      if let m = replayMode { s.replayMode = m }
      if let j = followersJoin { s.followersJoin = j }
      if let l = followersLeave { s.followersLeave = l }
      if let c = capacity {
        s.capacity = CapacityQuestion(instrument: c, leadTradeFraction: leadFraction, slippageBudget: slippageBudgetBps / 10_000)
        sources.capacity = .flag("--capacity", c)
      }
      if scenario == nil && s.isEmpty {
        throw CLIError(
          "no scenario: pass --scenario FILE or at least one of --shock, --to-regime, --withdraw, --deposit, --orders, --replay, --capacity."
        )
      }
      let followersPath = followers ?? (accountOptions.account == nil ? config.followers : nil)
      let followerList = try followersPath.map { try FollowersCSV.load($0) }
      let before = try context.valuation()
      let held = account.positions.map(\.symbol) + account.positions.compactMap(\.underlying)
      let days = market.histories.compactMap { $0.days.first }
      let lasts = market.histories.compactMap { $0.days.last }
      try ScenarioFile.validate(
        s, baseRegime: regime ?? base ?? "normal", sources,
        against: ScenarioFile.Context(
          instruments: Set(market.symbols + held), assetClasses: Set(account.positions.map(\.assetClass)),
          regimes: regimes.names, equity: before.equity, firstDay: days.min(), lastDay: lasts.max()))
      let report = try WhatIfEngine.run(
        s, account: account, market: market, regimes: regimes, baseRegime: regime ?? base ?? "normal", followers: followerList,
        includeLead: includeLead, maxPriceAgeDays: context.maxPriceAgeDays)
      let rendered = try WhatIfRenderer.render(report, as: format)
      try journaled(journal, asOf: account.asOf) {
        try journal.snapshot(before)
        try journal.finish(
          try Recording.whatIf(
            report, output: rendered, asOfSource: context.workspace.asOfSource, account: account, format: format))
      }
      if let output {
        try Output.writeFile(rendered, to: output)
        try emit("wrote \(escapedForMessage(output, limit: 200))\n")
      } else {
        if format == .text { outputStyle.apply() }
        try emit(rendered)
      }
      journal.announce()
      failed = !report.failedOrders.isEmpty
    }
    if failed { throw ExitCode(AdvisorExit.checkFailed) }
  }
}
