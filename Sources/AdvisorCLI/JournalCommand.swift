import AdvisorJournal
import AdvisorRecording
import ArgumentParser
import Foundation
import RiskCore
import RiskIO

enum JournalFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json, csv
}

enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
  case csv, jsonl
}

/// The journal to read: `--journal`, else `$ADVISOR_JOURNAL`, else advisor.yaml's.
struct JournalReadOptions: ParsableArguments {
  @Option(name: .long, help: "Configuration file (default: $ADVISOR_CONFIG, else ./advisor.yaml).")
  var config: String?

  @Option(name: .long, help: "The journal (default: $ADVISOR_JOURNAL, else journal in advisor.yaml).")
  var journal: String?

  /// Opens the journal read-only; a missing one is an error naming it.
  func open() throws -> Journal {
    let cfg = try AdvisorConfig.discover(
      explicit: config, environment: ProcessEnvironment.values,
      currentDirectory: FileManager.default.currentDirectoryPath)
    guard let path = JournalLocation(journal: journal).path(cfg) else {
      throw CLIError("no journal: pass --journal PATH, set ADVISOR_JOURNAL, or name one in advisor.yaml (journal: PATH).")
    }
    guard let j = try Journal.open(path, readOnly: true) else {
      throw JournalError(path: path, "does not exist: no run has been recorded there yet.")
    }
    return j
  }
}

/// Filters shared by `list` and `export`.
struct JournalFilterOptions: ParsableArguments {
  @Option(name: .long, help: "Runs started on or after this UTC date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS).")
  var since: String?
  @Option(name: .long, help: "Runs started on or before this UTC date (the whole day) or time.")
  var until: String?
  @Option(name: .long, help: "Only this command: size, check, budget, whatif, state.")
  var command: String?
  @Option(name: .long, help: "Only runs about this instrument (a size, or a check with an order in it).")
  var instrument: String?
  @Option(name: .long, help: "Only this result: pass, fail, sized, zero, blocked, ok, error, set.")
  var result: String?
  @Option(name: .long, help: "Only checks with an order that has this finding code (e.g. RISK_BUDGET_EXCEEDED).")
  var code: String?
  @Option(name: .long, help: "At most this many rows.")
  var limit: Int?

  func validate() throws {
    for (flag, value) in [("--since", since), ("--until", until)] {
      guard let value else { continue }
      if Day(iso: String(value.prefix(10))) == nil {
        throw ValidationError("\(flag) \(quoted(value)) is not a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM:SS.")
      }
    }
    if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit).") }
  }

  var filter: Journal.Filter {
    var f = Journal.Filter()
    f.since = since
    f.until = until
    f.command = command
    f.instrument = instrument
    f.result = result
    f.code = code
    f.limit = limit
    return f
  }
}

struct JournalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "journal",
    abstract: "Read the journal back: runs, one run's report as printed, the equity curve, exports.",
    discussion: """
      Every size, check, budget and whatif run is recorded in the journal (journal in advisor.yaml, \
      --journal, $ADVISOR_JOURNAL): when, the command line, the as-of date, the regime and how it was \
      chosen, the profile, the content hashes of every input file, the decision and the full JSON report; \
      every valuation records an equity snapshot. The journal is opened read-only here.

      \(AdvisorExit.helpText(checks: false))
      """,
    subcommands: [List.self, Show.self, Equity.self, Export.self]
  )

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract: "List the runs (or, with --orders, the checked orders) that match the filters.")
    @OptionGroup var source: JournalReadOptions
    @OptionGroup var filters: JournalFilterOptions
    @Flag(name: .long, help: "One row per checked order instead of one per run.")
    var orders = false
    @Option(name: .long, help: "Output format: text, json (JSON Lines) or csv.")
    var format: JournalFormat = .text

    func run() throws {
      try reportingErrors {
        let j = try source.open()
        if orders {
          let rows = try j.orders(filters.filter)
          try emit(JournalRender.orders(rows, format))
        } else {
          try emit(JournalRender.runs(try j.runs(filters.filter), format))
        }
      }
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "Print a run's report exactly as it was printed then (--report: its JSON report).")
    @OptionGroup var source: JournalReadOptions
    @Argument(help: "The run's id (the 'journal: run N' line).")
    var id: Int64
    @Flag(name: .long, help: "Print the run's full JSON report instead (for check: one JSON line per order, then the summary).")
    var report = false

    func run() throws {
      try reportingErrors {
        let j = try source.open()
        guard let run = try j.run(id) else { throw JournalError(path: j.path, "has no run \(id).") }
        if report {
          for o in try j.orders(run: id) { try emit(o.report + "\n") }
          if let r = try j.report(id) { try emit(r.hasSuffix("\n") ? r : r + "\n") }
        } else {
          if run.finishedAt == nil { throw JournalError(path: j.path, "run \(id) did not finish; nothing was printed.") }
          try j.printedOutput(id) { try emit($0) }
        }
      }
    }
  }

  struct Equity: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "equity",
      abstract: "The equity curve by as-of date (the last snapshot of each date), with the high-water mark and drawdown.")
    @OptionGroup var source: JournalReadOptions
    @Option(name: .long, help: "Only this account (its name and base currency, as `journal list` shows it).")
    var account: String?
    @Option(name: .long, help: "Output format: text, json (JSON Lines) or csv.")
    var format: JournalFormat = .text

    func run() throws {
      try reportingErrors {
        let j = try source.open()
        try emit(JournalRender.curve(try j.equityCurve(account: account), format))
      }
    }
  }

  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "export",
      abstract: "Export a table (runs, orders, snapshots, state_events) as CSV or JSON Lines, every column.")
    @OptionGroup var source: JournalReadOptions
    @OptionGroup var filters: JournalFilterOptions
    @Option(name: .long, help: "runs, orders, snapshots or state_events.")
    var table = "runs"
    @Option(name: .long, help: "csv or jsonl.")
    var format: ExportFormat = .csv

    func run() throws {
      try reportingErrors {
        let j = try source.open()
        var buffer = ""
        var first = true
        try j.exportRows(table, filters.filter) { names, values in
          switch format {
          case .csv:
            if first { buffer += names.map(RiskRenderer.csvField).joined(separator: ",") + "\n" }
            buffer += values.map { $0.map(RiskRenderer.csvField) ?? "" }.joined(separator: ",") + "\n"
          case .jsonl:
            buffer +=
              "{" + zip(names, values).map { "\(jsonString($0)):\($1.map(jsonString) ?? "null")" }.joined(separator: ",") + "}\n"
          }
          first = false
          if buffer.utf8.count > 1 << 20 {
            try emit(buffer)
            buffer = ""
          }
        }
        if first && format == .csv { buffer = "" }
        try emit(buffer)
      }
    }
  }
}

/// Renders the journal's rows.
enum JournalRender {
  static func decision(_ r: Journal.RunSummary) -> String {
    guard let d = r.decision, let o = try? JSONSerialization.jsonObject(with: Data(d.utf8)) as? [String: Any] else {
      return ""
    }
    func n(_ k: String) -> String {
      guard let v = o[k] as? NSNumber else { return "—" }
      return CheckRenderer.fmt(v.doubleValue)
    }
    switch r.command {
    case "size":
      if let b = o["blocked"] as? String { return "\(r.instrument ?? "") \(o["side"] as? String ?? ""): \(b)" }
      return
        "\(r.instrument ?? "") \(o["side"] as? String ?? "") \(n("quantity"))\((o["binding"] as? String).map { " (\($0))" } ?? "")"
    case "check":
      let codes = (o["failingCodes"] as? [String]) ?? []
      return "\(n("orders")) order\(n("orders") == "1" ? "" : "s"): \(n("passed")) passed, \(n("failed")) failed"
        + (codes.isEmpty ? "" : " (\(codes.joined(separator: ", ")))")
    case "budget": return "\(n("proposedOrders")) orders proposed, \(n("blockedTrades")) blocked; leverage \(n("leverage"))"
    case "whatif": return "\(n("breaches")) breaches, \(n("reductions")) reductions, \(n("failedOrders")) failed orders"
    case "state": return "\(o["state"] as? String ?? ""): \(o["reason"] as? String ?? "")"
    default: return (o["error"] as? String) ?? ""
    }
  }

  static func runs(_ rows: [Journal.RunSummary], _ format: JournalFormat) -> String {
    switch format {
    case .text:
      var t = TextTable(
        ["Run", "Started (UTC)", "Command", "As of", "Regime", "State", "Result", "Decision"], leftAligned: [1, 2, 3, 4, 5, 6, 7])
      for r in rows {
        t.add([
          "\(r.id)", r.startedAt, r.command, r.asOf ?? "—", r.regime ?? "—", r.tradingState ?? "—", r.result ?? "unfinished",
          oneLine(decision(r)),
        ])
      }
      return t.render() + "\n\(rows.count) run\(rows.count == 1 ? "" : "s")\n"
    case .json:
      return rows.map { r in
        "{\"asOf\":\(r.asOf.map(jsonString) ?? "null"),\"asOfSource\":\(r.asOfSource.map(jsonString) ?? "null"),\"account\":\(r.account.map(jsonString) ?? "null"),\"argv\":\(r.argv),\"command\":\(jsonString(r.command)),\"decision\":\(r.decision ?? "null"),\"equityBase\":\(jsonNumber(r.equityBase)),\"exitCode\":\(r.exitCode.map(String.init) ?? "null"),\"failedOrders\":\(r.failedOrders),\"finishedAt\":\(r.finishedAt.map(jsonString) ?? "null"),\"host\":\(r.host.map(jsonString) ?? "null"),\"id\":\(r.id),\"inputs\":\(r.inputs ?? "null"),\"instrument\":\(r.instrument.map(jsonString) ?? "null"),\"orders\":\(r.orders),\"profile\":\(r.profile.map(jsonString) ?? "null"),\"regime\":\(r.regime.map(jsonString) ?? "null"),\"regimeSource\":\(r.regimeSource.map(jsonString) ?? "null"),\"result\":\(r.result.map(jsonString) ?? "null"),\"startedAt\":\(jsonString(r.startedAt)),\"tradingState\":\(r.tradingState.map(jsonString) ?? "null"),\"tradingStateReason\":\(r.tradingStateReason.map(jsonString) ?? "null"),\"user\":\(r.user.map(jsonString) ?? "null")}\n"
      }.joined()
    case .csv:
      let header =
        "id,started_at,command,as_of,regime,regime_source,trading_state,result,exit_code,orders,failed_orders,instrument,user,decision\n"
      return header
        + rows.map { r in
          [
            "\(r.id)", r.startedAt, r.command, r.asOf ?? "", r.regime ?? "", r.regimeSource ?? "", r.tradingState ?? "",
            r.result ?? "", r.exitCode.map(String.init) ?? "", "\(r.orders)", "\(r.failedOrders)", r.instrument ?? "",
            r.user ?? "", r.decision ?? "",
          ].map(RiskRenderer.csvField).joined(separator: ",") + "\n"
        }.joined()
    }
  }

  static func orders(_ rows: [Journal.OrderRecord], _ format: JournalFormat) -> String {
    switch format {
    case .text:
      var t = TextTable(
        ["Run", "#", "Client id", "Order", "Regime", "Result", "Max passing", "Failing codes"], leftAligned: [2, 3, 4, 5, 7])
      for o in rows {
        let what = "\(o.side?.uppercased() ?? "?") \(o.quantity.map(CheckRenderer.fmt) ?? "?") \(o.instrument ?? "?")"
        let report = (try? JSONSerialization.jsonObject(with: Data(o.report.utf8))) as? [String: Any]
        let fails = ((report?["findings"] as? [[String: Any]]) ?? []).filter { $0["severity"] as? String == "fail" }
          .compactMap { $0["code"] as? String }
        t.add([
          "\(o.run)", "\(o.index)", o.clientOrderID ?? "", what, o.regime ?? "", o.result,
          o.maxQuantity.map(CheckRenderer.fmt) ?? "—", fails.joined(separator: " "),
        ])
      }
      return t.render() + "\n\(rows.count) order\(rows.count == 1 ? "" : "s")\n"
    case .json:
      return rows.map { o in
        "{\"index\":\(o.index),\"report\":\(o.report),\"run\":\(o.run)}\n"
      }.joined()
    case .csv:
      return "run,index,client_order_id,instrument,side,quantity,regime,result,max_quantity,codes\n"
        + rows.map { o in
          [
            "\(o.run)", "\(o.index)", o.clientOrderID ?? "", o.instrument ?? "", o.side ?? "",
            o.quantity.map(Format.full) ?? "", o.regime ?? "", o.result, o.maxQuantity.map(Format.full) ?? "",
            o.codes.joined(separator: " "),
          ].map(RiskRenderer.csvField).joined(separator: ",") + "\n"
        }.joined()
    }
  }

  static func curve(_ points: [Journal.CurvePoint], _ format: JournalFormat) -> String {
    switch format {
    case .text:
      var out = ""
      var accounts: [String] = []
      for p in points where !accounts.contains(p.account) { accounts.append(p.account) }
      for a in accounts {
        out += "\(a)\n"
        var t = TextTable(["As of", "Equity", "High-water mark", "Drawdown", "AUM", "Gross", "Net", "Snapshots", "Run"])
        for p in points where p.account == a {
          t.add([
            p.asOf, Format.money(p.equity), Format.money(p.highWaterMark), Format.percent(p.drawdown),
            p.aum.map { Format.money($0) } ?? "—", p.gross.map { Format.money($0) } ?? "—",
            p.net.map { Format.money($0) } ?? "—", "\(p.snapshots)", "\(p.run)",
          ])
        }
        out += t.render(indent: "  ") + "\n\n"
      }
      return out + "\(points.count) date\(points.count == 1 ? "" : "s")\n"
    case .json:
      return points.map { p in
        "{\"account\":\(jsonString(p.account)),\"asOf\":\(jsonString(p.asOf)),\"aum\":\(jsonNumber(p.aum)),\"baseCurrency\":\(jsonString(p.baseCurrency)),\"drawdown\":\(jsonNumber(p.drawdown)),\"equity\":\(jsonNumber(p.equity)),\"gross\":\(jsonNumber(p.gross)),\"highWaterMark\":\(jsonNumber(p.highWaterMark)),\"net\":\(jsonNumber(p.net)),\"run\":\(p.run),\"snapshots\":\(p.snapshots)}\n"
      }.joined()
    case .csv:
      return "account,as_of,equity,high_water_mark,drawdown,aum,gross,net,snapshots,run\n"
        + points.map { p in
          [
            RiskRenderer.csvField(p.account), p.asOf, Format.full(p.equity), Format.full(p.highWaterMark),
            Format.full(p.drawdown), p.aum.map(Format.full) ?? "", p.gross.map(Format.full) ?? "",
            p.net.map(Format.full) ?? "", "\(p.snapshots)", "\(p.run)",
          ].joined(separator: ",") + "\n"
        }.joined()
    }
  }
}
