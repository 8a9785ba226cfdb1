import AdvisorJournal
import Foundation
import RiskCore
import RiskIO

/// Exit codes, the contract with scripts (also in the README and `--help`).
public enum AdvisorExit {
  /// Ran, and nothing failed (warnings allowed).
  public static let success: Int32 = 0
  /// Ran, and at least one pre-trade check failed (the report is printed first).
  public static let checkFailed: Int32 = 1
  /// Could not run: a bad file, bad configuration, or data that cannot give an answer.
  public static let couldNotRun: Int32 = 2
  /// Usage error (ArgumentParser's own code).
  public static let usage: Int32 = 64

  /// The exit codes a command can give: 1 only where an order is checked (check, whatif).
  public static func helpText(checks: Bool) -> String {
    checks
      ? "Exit codes: 0 ran and nothing failed; 1 an order failed its pre-trade check (report printed first); 2 could not run (bad file, configuration or data); 64 usage error."
      : "Exit codes: 0 ran; 2 could not run (bad file, configuration or data); 64 usage error."
  }
}

/// What each command records when it ends (``Journal/RunEnd``), and the report of a trading
/// state, for `advisor state` and for `advisor size` when the state blocks the trade.
public enum Recording {
  public static func base(_ result: String, exit: Int32, asOf: Day, account: Account) -> Journal.RunEnd {
    var e = Journal.RunEnd(finishedAt: utcTimestamp(), result: result, exitCode: Int(exit))
    e.asOf = asOf.description
    e.account = RunJournal.accountKey(account)
    return e
  }

  public static func regime(_ c: RegimeChoice, into e: inout Journal.RunEnd) {
    e.regime = c.profile.name
    e.profile = c.profile.source
    if c.auto {
      let evidence = c.evidence.map { "\($0.subject) \(Format.fixed($0.percentile * 100, 0))th percentile → \($0.regime)" }
      e.regimeSource = "auto: " + evidence.joined(separator: "; ")
    } else {
      e.regimeSource = "flag"
    }
  }

  public static func size(
    _ r: SizeReport, output: String, asOfSource: String, account: Account, format: ReportFormat
  ) throws -> Journal.RunEnd {
    let rec = r.recommendation
    var e = base(rec.quantity > 0 ? "sized" : "zero", exit: AdvisorExit.success, asOf: account.asOf, account: account)
    e.asOfSource = asOfSource
    e.instrument = rec.symbol
    regime(r.choice, into: &e)
    e.equityBase = rec.equityBase.value
    e.tradingState = r.tradingState.state.rawValue
    e.tradingStateReason = r.tradingState.reason
    e.decision =
      "{\"binding\":\(rec.binding.map { jsonString($0.rawValue) } ?? "null"),\"equityBase\":\(jsonNumber(rec.equityBase.value)),\"instrument\":\(jsonString(rec.symbol)),\"quantity\":\(jsonNumber(rec.quantity)),\"side\":\(jsonString(rec.side.rawValue)),\"stop\":\(jsonNumber(rec.stop))}"
    e.output = output
    e.report = format == .json ? output : try SizeRenderer.json(r).rendered()
    return e
  }

  public static func blocked(
    _ b: TradingBlockedError, output: String, asOfSource: String, account: Account, format: ReportFormat
  ) throws -> Journal.RunEnd {
    var e = base("blocked", exit: AdvisorExit.checkFailed, asOf: account.asOf, account: account)
    e.asOfSource = asOfSource
    e.instrument = b.symbol
    e.regime = b.profile.name
    e.profile = b.profile.source
    e.regimeSource = "flag"
    e.tradingState = b.reading.state.rawValue
    e.tradingStateReason = b.reading.reason
    e.decision =
      "{\"blocked\":\(jsonString(b.code.rawValue)),\"instrument\":\(jsonString(b.symbol)),\"side\":\(jsonString(b.side.rawValue))}"
    e.output = output
    e.report = format == .json ? output : try StateReport.blockedJSON(b).rendered()
    return e
  }

  public static func budget(
    _ r: BudgetReport, output: String, asOfSource: String, account: Account, format: BudgetFormat
  ) throws -> Journal.RunEnd {
    var e = base("ok", exit: AdvisorExit.success, asOf: account.asOf, account: account)
    e.asOfSource = asOfSource
    regime(r.choice, into: &e)
    e.equityBase = r.equityBase.value
    let proposed = r.sequence.count
    let blocked = r.trades.filter { $0.blocked != nil }.count
    e.decision =
      "{\"blockedTrades\":\(blocked),\"equityBase\":\(jsonNumber(r.equityBase.value)),\"leverage\":\(jsonNumber(r.leverage)),\"proposedOrders\":\(proposed)}"
    e.output = output
    e.report = format == .json ? output : try BudgetRenderer.render(r, as: .json)
    return e
  }

  public static func whatIf(
    _ r: WhatIfReport, output: String, asOfSource: String, account: Account, format: WhatIfFormat
  ) throws -> Journal.RunEnd {
    let failed = !r.failedOrders.isEmpty
    var e = base(
      failed ? "fail" : "ok", exit: failed ? AdvisorExit.checkFailed : AdvisorExit.success, asOf: account.asOf,
      account: account)
    e.asOfSource = asOfSource
    e.regime = r.baseRegime.name
    e.regimeSource = r.regimeAfter.name == r.baseRegime.name ? "flag" : "flag; after: \(r.regimeAfter.name)"
    e.profile = r.baseRegime.source
    e.equityBase = r.equityBaseAfter.value
    let codes = Set(r.failedOrders.flatMap { $0.failingCodes.map(\.rawValue) }).sorted()
    e.decision =
      "{\"breaches\":\(r.breaches.count),\"equityAfter\":\(jsonNumber(r.after.equity)),\"failedOrders\":\(r.failedOrders.count),\"failingCodes\":[\(codes.map(jsonString).joined(separator: ","))],\"reductions\":\(r.reductions.count)}"
    e.output = output
    e.report = format == .json ? output : try WhatIfRenderer.render(r, as: .json)
    return e
  }

  /// One order of a check, as recorded: the JSON report always, and what was printed when
  /// that is not the JSON line itself.
  public static func order(_ r: OrderResult, index: Int, json: String, printed: String?) -> Journal.OrderRow {
    var row = Journal.OrderRow(
      index: index, result: r.passed(strict: false) ? "pass" : "fail",
      codes: " " + r.findings.map(\.code.rawValue).joined(separator: " ") + " ", report: json)
    row.clientOrderID = r.clientOrderID
    row.line = r.line
    row.instrument = r.order?.symbol
    row.side = r.order.map { $0.side == .long ? "buy" : "sell" }
    row.quantity = r.order?.quantity
    row.price = r.order?.price
    row.stop = r.order?.stop
    row.regime = r.regime
    row.maxQuantity = r.maxQuantity
    row.output = printed
    return row
  }
}

/// The text, JSON, Markdown and CSV of a trading state (`advisor state`, and `advisor size`
/// when the state blocks the trade).
public enum StateReport {
  public static let schemaVersion = 1

  public static func readingJSON(_ s: TradingStateReading, profile: RegimeProfile?) -> JSONValue {
    var o: [String: JSONValue] = [
      "state": .string(s.unavailable == nil ? s.state.rawValue : "unavailable"),
      "reason": .string(s.reason),
      "breakerState": .string(s.breakerState.rawValue),
      "byHand": .bool(s.byHand),
      "asOf": .string(s.asOf.description),
      "journal": s.journalPath.map { .string($0) } ?? .null,
      "breaker": s.breaker.map { .string($0) } ?? .null,
      "reading": .optional(s.reading),
      "threshold": .optional(s.threshold),
      "since": s.since.map { .string($0.description) } ?? .null,
      "until": s.until.map { .string($0.description) } ?? .null,
      "drawdown": .optional(s.drawdown?.drawdown),
      "dailyLoss": .optional(s.dailyLoss),
      "transitions": .array(
        s.transitions.map {
          [
            "date": .string($0.day.description), "from": .string($0.from.rawValue), "to": .string($0.to.rawValue),
            "why": .string($0.why),
          ]
        }),
    ]
    if let m = s.manual {
      o["manual"] = [
        "state": .string(m.state.rawValue), "reason": .string(m.reason), "actor": .string(m.actor), "at": .string(m.at),
        "asOf": .string(m.day.description),
      ]
    } else {
      o["manual"] = .null
    }
    if let p = profile {
      o["profile"] = .string(p.source)
      o["regime"] = .string(p.name)
    }
    return .object(o)
  }

  /// `advisor state --format json` (and `GET /v1/state`).
  public static func document(
    _ s: TradingStateReading, profile: RegimeProfile, account: Account, equity: Double, base: EquityBase
  ) -> JSONValue {
    var o = readingJSON(s, profile: profile)
    if case .object(var d) = o {
      d["schemaVersion"] = .integer(schemaVersion)
      d["command"] = "state"
      d["account"] = .string(RunJournal.accountKey(account))
      d["equity"] = .number(equity)
      d["equityBase"] = SizeRenderer.equityBase(base)
      o = .object(d)
    }
    return o
  }

  public static func blockedJSON(_ b: TradingBlockedError) -> JSONValue {
    [
      "schemaVersion": .integer(schemaVersion), "command": "size", "instrument": .string(b.symbol),
      "side": .string(b.side.rawValue), "regime": .string(b.profile.name), "blocked": .string(b.code.rawValue),
      "message": .string(b.description), "recommendation": .null, "tradingState": readingJSON(b.reading, profile: b.profile),
    ]
  }

  public static func blocked(_ b: TradingBlockedError, as format: ReportFormat) throws -> String {
    switch format {
    case .json: return try blockedJSON(b).rendered(terminator: "\n")
    case .csv:
      return "instrument,side,regime,quantity,blocked,state\n"
        + [
          RiskRenderer.csvField(b.symbol), b.side.rawValue, RiskRenderer.csvField(b.profile.name), "", b.code.rawValue,
          b.reading.unavailable == nil ? b.reading.state.rawValue : "unavailable",
        ].joined(separator: ",") + "\n"
    case .text, .markdown:
      let h = format == .markdown ? "## " : ""
      var out = "\(h)\(b.symbol) \(b.side.rawValue) under the \(b.profile.name) profile: no size — \(b.code.rawValue)\n\n"
      out += "  \(b.description)\n"
      out += lines(b.reading).map { "  " + $0 + "\n" }.joined()
      return out
    }
  }

  /// The explanation lines of a state.
  public static func lines(_ s: TradingStateReading) -> [String] {
    var out: [String] = []
    if let m = s.manual {
      out.append("last set by hand: \(m.state.label) by \(m.actor) at \(m.at) (as of \(m.day)): \(m.reason)")
    }
    if let d = s.drawdown {
      out.append(
        "breakers at \(s.asOf): drawdown \(Format.percent(d.drawdown)) from their peak \(Format.money(d.highWaterMark))\(s.dailyLoss.map { ", daily loss \(Format.percent($0))" } ?? "")"
      )
    }
    for t in s.transitions { out.append("\(t.day): \(t.from.label) → \(t.to.label): \(t.why)") }
    return out
  }
}

extension Recording {
  /// The finding an order fails closed with when the journal cannot record it.
  public static func unavailable(_ e: JournalError) -> Finding {
    Finding(
      .journalUnavailable, .fail,
      "the journal \(e.path) cannot record the order (\(e.message.hasSuffix(".") ? String(e.message.dropLast()) : e.message)): it fails closed.",
      [(.file, .text(e.path))])
  }

  /// What a check run records when it ends: the counts, the failing codes, the regime, the
  /// trading state and equity base under the run's profile (`advisor check` and `POST /v1/check`).
  public static func check(
    checker: inout PreTradeChecker, regimes: RegimeSet, regime: String, strict: Bool, orders: Int, passed: Int,
    failing: Set<String>, instrument: String?, asOfSource: String, account: Account, output: String, journal: RunJournal
  ) -> Journal.RunEnd {
    let anyFailed = passed < orders
    let asOf = account.asOf
    var end = base(
      anyFailed ? "fail" : "pass", exit: anyFailed ? AdvisorExit.checkFailed : AdvisorExit.success, asOf: asOf,
      account: account)
    end.asOfSource = asOfSource
    end.regime = regime
    end.regimeSource = regime == "auto" ? "auto (each order under its instrument's regime)" : "flag"
    end.profile = regimes.profile(regime)?.source
    end.instrument = instrument
    if let p = regimes.profile(regime) {
      let s = checker.tradingState(p)
      journal.stateFields(s, into: &end)
      end.equityBase = EquityBase.of(checker.book, profile: p).value
    }
    end.decision =
      "{\"failed\":\(orders - passed),\"failingCodes\":[\(failing.sorted().map(jsonString).joined(separator: ","))],\"orders\":\(orders),\"passed\":\(passed),\"strict\":\(strict)}"
    end.output = output
    end.report =
      "{\"asOf\":\(jsonString(asOf.description)),\"command\":\"check\",\"failed\":\(orders - passed),\"orders\":\(orders),\"passed\":\(passed),\"regime\":\(jsonString(regime)),\"result\":\(jsonString(anyFailed ? "fail" : "pass")),\"schemaVersion\":\(CheckRenderer.schemaVersion),\"strict\":\(strict)}"
    return end
  }
}
