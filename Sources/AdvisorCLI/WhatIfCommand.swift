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

      \(AdvisorExit.helpText)
      """
  )

  @OptionGroup var inputs: InputOptions
  @OptionGroup var accountOptions: AccountOptions
  @OptionGroup var profileOptions: ProfileOptions

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

  @Option(name: .customLong("lead-fraction"), help: "Capacity: the lead trade as a fraction of strategy AUM (default 0.05).")
  var leadFraction: Double = 0.05

  @Option(
    name: .customLong("slippage-budget-bps"), help: "Capacity: the largest acceptable slippage in basis points (default 25).")
  var slippageBudgetBps: Double = 25

  @Option(name: .long, help: "Output format: text, json, markdown or html.")
  var format: WhatIfFormat = .text

  @Option(name: .long, help: "Write the report to this file instead of standard output.")
  var output: String?

  func run() throws {
    var failed = false
    try reportingErrors {
      let context = try AccountContext(inputs, accountOptions, profileOptions)
      let (config, market, regimes, account) = (context.config, context.market, context.regimes, context.account)
      var s = Scenario(name: "flags")
      var base: String? = nil
      if let path = scenario {
        let file = try ScenarioFile.load(path)
        s = file.scenario
        base = file.baseRegime
      }
      for spec in shock {
        guard let parsed = ScenarioFile.parseShock(spec) else {
          throw CLIError("--shock '\(spec)' is not SYMBOL=CHANGE or class:NAME=CHANGE (e.g. BTC=-30%).")
        }
        s.shocks.append(parsed)
      }
      if let m = volMultiplier { s.volatilityMultiplier = m }
      if let t = correlationTarget { s.correlationTarget = t }
      if let w = correlationWeight { s.correlationWeight = w }
      if let r = toRegime { s.regime = r }
      for (text, sign) in [(deposit, 1.0), (withdraw, -1.0)] {
        guard let text else { continue }
        if text.hasSuffix("%"), let f = ScenarioFile.parseFraction(text), f >= 0 {
          s.flows.append(.fractionOfEquity(sign * f))
        } else if let a = Double(text), a >= 0 {
          s.flows.append(.money(sign * a, currency: ""))
        } else {
          throw CLIError("--\(sign > 0 ? "deposit" : "withdraw") '\(text)' is not a non-negative amount or percentage.")
        }
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
          throw CLIError("--replay '\(replay)' is not FROM:TO with dates YYYY-MM-DD.")
        }
        s.replay = .range(from: from, to: to)
      }
      if let n = worstDays { s.replay = .worstDays(n) }
      if let m = replayMode { s.replayMode = m }
      if let j = followersJoin { s.followersJoin = j }
      if let l = followersLeave { s.followersLeave = l }
      if let c = capacity {
        s.capacity = CapacityQuestion(instrument: c, leadTradeFraction: leadFraction, slippageBudget: slippageBudgetBps / 10_000)
      }
      if scenario == nil && s.isEmpty {
        throw CLIError(
          "no scenario: pass --scenario FILE or at least one of --shock, --to-regime, --withdraw, --deposit, --orders, --replay, --capacity."
        )
      }
      let followersPath = followers ?? (accountOptions.account == nil ? config.followers : nil)
      let followerList = try followersPath.map { try FollowersCSV.load($0) }
      let report = try WhatIfEngine.run(
        s, account: account, market: market, regimes: regimes, baseRegime: regime ?? base ?? "normal", followers: followerList,
        includeLead: includeLead, maxPriceAgeDays: context.maxPriceAgeDays)
      let rendered = try WhatIfRenderer.render(report, as: format)
      if let output {
        do {
          try rendered.write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
          throw CLIError("cannot write \(output): \(error.localizedDescription)")
        }
        emit("wrote \(output)\n")
      } else {
        emit(rendered)
      }
      failed = !report.failedOrders.isEmpty
    }
    if failed { throw ExitCode(AdvisorExit.checkFailed) }
  }
}
