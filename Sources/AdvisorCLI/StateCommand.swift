import AdvisorJournal
import AdvisorRecording
import ArgumentParser
import Foundation
import RiskCore
import RiskIO

extension TradingState: ExpressibleByArgument {}

struct StateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "state",
    abstract: "The account's trading state (ACTIVE, REDUCING, HALTED) and why; set it by hand.",
    discussion: """
      The state comes from the journal: the profile's circuit breakers (breakers.max_drawdown, \
      breakers.max_daily_loss) replayed over the account's equity snapshots to the as-of date, and the \
      last state set by hand. REDUCING lets only orders that reduce a position pass \
      (TRADING_STATE_REDUCING); HALTED fails every new order (TRADING_STATE_HALTED).

      Examples:
        advisor state --regime normal
        advisor state set halted --reason "broker outage"

      \(AdvisorExit.helpText(checks: false))
      """,
    subcommands: [Show.self, Set.self],
    defaultSubcommand: Show.self
  )

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "The trading state at the as-of date under a regime's breakers, and why.")
    @OptionGroup var inputs: InputOptions
    @OptionGroup var accountOptions: AccountOptions
    @OptionGroup var profileOptions: ProfileOptions
    @Option(name: .long, help: "The journal (default: $ADVISOR_JOURNAL, else journal in advisor.yaml).")
    var journal: String?
    @Option(name: .long, help: "The regime whose breakers apply (default: normal).")
    var regime: String = "normal"
    @Option(name: .long, help: "Output format: text or json.")
    var format: CheckFormat = .text

    func run() throws {
      var blocked = false
      try reportingErrors {
        var context = try AccountContext(inputs, accountOptions, profileOptions)
        guard let profile = context.regimes.profile(regime) else {
          throw CLIError("unknown regime \(quoted(regime)): known regimes are \(context.regimes.names.joined(separator: ", ")).")
        }
        var options = JournalLocation(journal: journal)
        options.noJournal = true
        let run = RunJournal(options, config: context.config, command: "state", format: format.rawValue)
        context.account.record = run.record(for: context.account)
        let v = try context.valuation()
        let s = TradingStateMachine.evaluate(
          context.account.record, breakers: profile.breakers, asOf: context.account.asOf, currentEquity: v.equity)
        let base = EquityBase.of(
          equity: v.equity, drawdown: DrawdownReading.reading(context.account.record, equity: v.equity, asOf: v.account.asOf),
          profile: profile)
        blocked = s.unavailable != nil
        switch format {
        case .json:
          let o = StateReport.document(s, profile: profile, account: context.account, equity: v.equity, base: base)
          try emit(try o.rendered(terminator: "\n"))
        case .text:
          var out =
            "\(RunJournal.accountKey(context.account)) at \(s.asOf), \(profile.name) profile (\(profile.source)): \(s.unavailable == nil ? s.state.label : "UNAVAILABLE")\n"
          out += "  \(s.reason)\n"
          out += "  equity \(Format.money(v.equity)), equity base \(Format.money(base.value)): \(base.source)\n"
          out += StateReport.lines(s).map { "  " + $0 + "\n" }.joined()
          let b = profile.breakers
          func describe(_ name: String, _ x: Breaker?) -> String? {
            guard let x else { return nil }
            let parts = [
              x.reducing.map { "REDUCING at \(Format.percent($0))" }, x.halted.map { "HALTED at \(Format.percent($0))" },
            ]
            .compactMap { $0 }
            return "\(name): \(parts.joined(separator: ", ")), cooldown \(x.cooldownDays) day\(x.cooldownDays == 1 ? "" : "s")"
          }
          let breakers = [describe("max_drawdown", b.maxDrawdown), describe("max_daily_loss", b.maxDailyLoss)].compactMap { $0 }
          out += "  breakers: \(breakers.isEmpty ? "none in this profile" : breakers.joined(separator: "; "))\n"
          try emit(out)
        }
      }
      if blocked { throw ExitCode(AdvisorExit.couldNotRun) }
    }
  }

  struct Set: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set",
      abstract: "Set the trading state by hand (recorded with who and when): halted, reducing or active.",
      discussion: """
        HALTED and REDUCING hold, whatever the as-of date, until set again by hand; ACTIVE clears them and \
        re-arms the circuit breakers (a tripped breaker is lifted before its cooldown ends). Who: \
        $ADVISOR_USER, else $USER, else $LOGNAME; when: the clock (UTC).
        """)
    @Option(name: .long, help: "Configuration file (default: $ADVISOR_CONFIG, else ./advisor.yaml).")
    var config: String?
    @Option(name: .long, help: "The journal (default: $ADVISOR_JOURNAL, else journal in advisor.yaml).")
    var journal: String?
    @Option(name: .long, help: "The as-of date the state is set at (default: as_of in advisor.yaml, else today).")
    var asOf: Day?
    @Argument(help: "halted, reducing or active.")
    var state: TradingState
    @Option(name: .long, help: "Why (recorded; required).")
    var reason: String

    func validate() throws {
      if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
        throw ValidationError("--reason is empty; say why the state is set (it is recorded).")
      }
      if reason.count > 1000 { throw ValidationError("--reason is longer than 1000 characters.") }
    }

    func run() throws {
      try reportingErrors {
        let cfg = try AdvisorConfig.discover(
          explicit: config, environment: ProcessEnvironment.values,
          currentDirectory: FileManager.default.currentDirectoryPath)
        guard JournalLocation(journal: journal).path(cfg) != nil else {
          throw CLIError("no journal: pass --journal PATH, set ADVISOR_JOURNAL, or name one in advisor.yaml (journal: PATH).")
        }
        let run = RunJournal(JournalLocation(journal: journal), config: cfg, command: "state", format: "text")
        try run.requireAvailable()
        guard let j = run.journal, let id = run.runID else { throw CLIError("the journal could not be opened.") }
        let (day, source) = AsOfRule.resolve(flag: asOf, config: cfg, today: today())
        let at = utcTimestamp()
        let actor = actorName()
        let text = oneLine(reason)
        try j.insertStateEvent(run: id, at: at, asOf: day.description, state: state, reason: text, actor: actor, host: hostName())
        var end = Journal.RunEnd(finishedAt: utcTimestamp(), result: "set", exitCode: 0)
        end.asOf = day.description
        end.asOfSource = source
        end.tradingState = state.rawValue
        end.tradingStateReason = text
        let out = "trading state set to \(state.label) by \(actor) at \(at) (as of \(day)): \(text)\n"
        end.decision = "{\"actor\":\(jsonString(actor)),\"reason\":\(jsonString(text)),\"state\":\(jsonString(state.rawValue))}"
        end.output = out
        end.report =
          "{\"actor\":\(jsonString(actor)),\"asOf\":\(jsonString(day.description)),\"at\":\(jsonString(at)),\"command\":\"state set\",\"reason\":\(jsonString(text)),\"schemaVersion\":1,\"state\":\(jsonString(state.rawValue))}"
        end.inputs = "[]"
        try run.finish(end)
        try emit(out)
        run.announce()
      }
    }
  }
}
