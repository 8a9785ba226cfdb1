import AdvisorJournal
import AdvisorRecording
import ArgumentParser
import Foundation
import RiskCore
import RiskIO

/// One side vocabulary for `size` and `check`: buy or long, sell or short.
enum OrderSide: String, ExpressibleByArgument, CaseIterable {
  case buy, sell, long, short
  var tradeSide: TradeSide { self == .buy || self == .long ? .long : .short }
}

enum CheckFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json
}

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Pre-trade check of one order or a batch: stable codes, documented exit codes.",
    discussion: """
      Checks each order with the same limits and code as `advisor size` (so an order of the recommended \
      size passes), plus: a known instrument, a whole number of lots, a stop on the right side (required \
      by default), a price within the profile's band of the last close, market data no older than the \
      profile allows at the as-of date (default: today). A batch (--orders FILE or - for standard input; \
      CSV with a header client_order_id,instrument,side,quantity,price,stop, or JSON Lines) is applied \
      in sequence: each order is checked against the account after the previous passing ones. An order \
      that only reduces a position passes the exposure limits. Every check that cannot be evaluated fails.

      Output: one line per finding (text), one JSON document for a single order, JSON Lines for a batch; \
      schemaVersion 1. Codes and their context keys: docs/CHECK_CODES.md.

      Examples:
        advisor check --instrument BTC --side buy --quantity 0.25 --stop 52600 --regime volatile --brief
        advisor check --orders examples/orders/batch.csv --format json

      Exit codes: 0 every order passed (warnings allowed unless --strict); 1 at least one order failed \
      (the report is printed first); 2 could not run (bad file or configuration); 64 usage error.
      """
  )

  @OptionGroup var inputs: InputOptions
  @OptionGroup var accountOptions: AccountOptions
  @OptionGroup var profileOptions: ProfileOptions
  @OptionGroup var journalOptions: JournalOptions

  @Option(name: .long, help: "The instrument (single order).")
  var instrument: String?

  @Option(name: .long, help: "buy or sell (also long or short) (single order).")
  var side: OrderSide?

  @Option(name: .long, help: "Quantity in the instrument's units (single order).")
  var quantity: Double?

  @Option(name: .long, help: "Limit price (default: the last close).")
  var price: Double?

  @Option(name: .long, help: "Stop price.")
  var stop: Double?

  @Option(name: .long, help: "Orders file (CSV or JSON Lines), or - for standard input.")
  var orders: String?

  @Option(name: .long, help: "Regime: a profile name or auto (auto judges each order under its own instrument's regime).")
  var regime: String = "normal"

  @Flag(name: .long, help: "Warnings fail too.")
  var strict = false

  @Option(name: .long, help: "Output format: text or json (JSON Lines for a batch).")
  var format: CheckFormat = .text

  @Flag(name: .long, help: "One line per order: the decision, the first failing code, the largest passing quantity.")
  var brief = false

  @Flag(name: .long, help: "Text: print only the orders that fail, with their failing findings.")
  var quiet = false

  @OptionGroup var output: OutputOptions

  func validate() throws {
    if (brief || quiet) && format != .text {
      throw ValidationError("--brief and --quiet shape the text output; leave out --format json.")
    }
    if brief && quiet { throw ValidationError("give --brief or --quiet, not both.") }
    if orders != nil {
      if instrument != nil || side != nil || quantity != nil || price != nil || stop != nil {
        throw ValidationError("give either --orders or a single order (--instrument, --side, --quantity), not both.")
      }
    } else if instrument == nil || side == nil || quantity == nil {
      throw ValidationError("a single order needs --instrument, --side and --quantity (or pass --orders FILE).")
    }
    try checkFlag {
      try FlagCheck.number(quantity, "--quantity", InputRange.orderQuantity)
      try FlagCheck.number(price, "--price", InputRange.orderPrice)
      try FlagCheck.number(stop, "--stop", InputRange.orderPrice)
    }
  }

  func run() throws {
    var anyFailed = false
    try reportingErrors {
      var context = try AccountContext(inputs, accountOptions, profileOptions)
      // The journal: the account's record is read, every order checked and written, in one
      // transaction. A journal that is configured but unusable fails every order closed.
      let journal = RunJournal(journalOptions, config: context.config, command: "check", format: format.rawValue)
      context.account.record = journal.record(for: context.account)
      let (market, regimes, account) = (context.market, context.regimes, context.account)
      let valuation = try context.valuation()
      var journalFailure: JournalError? = nil
      do { try journal.snapshot(valuation) } catch let e as JournalError { journalFailure = e }
      // The batch streams (constant memory): one pass collects the traded instruments the
      // covariance needs, the second checks and writes as it goes.
      let batch: OrdersFile.Stream
      if let orders {
        batch = try OrdersFile.Stream(orders)
      } else if let instrument, let side, let quantity {
        batch = OrdersFile.Stream(orders: [
          .order(Order(symbol: instrument, side: side.tradeSide, quantity: quantity, price: price, stop: stop))
        ])
      } else {
        batch = OrdersFile.Stream(orders: [])
      }
      var checker = try PreTradeChecker(
        model: RiskModel(valuation: valuation, market: market), regimes: regimes, regime: RegimeSelection(regime),
        strict: strict)
      // Every traded instrument is in the covariance from the first order on, so an order's
      // verdict does not depend on where in the batch it comes.
      let scan = try batch.scan { market[$0] != nil }
      try checker.prepare(candidates: scan.kept.sorted())
      checker.reserveClientOrderIDs(scan.withClientIDs)
      let asOf = account.asOf
      // Read once: a flag's property wrapper, read for every order of a batch, was 400 instructions an order.
      let strict = self.strict
      if format == .text { output.apply() }
      let single = orders == nil
      let document = format == .json && single
      func unavailable(_ e: JournalError) -> Finding { Recording.unavailable(e) }
      // One verdict as text, as printed here and by the batch writer's thread.
      let textVerdict: @Sendable (OrderResult, Int) -> String = { [strict, brief, quiet, single] r, index in
        if brief { return CheckRenderer.brief(r, index: index, strict: strict, batch: !single) }
        return quiet
          ? CheckRenderer.failures(r, index: index, strict: strict) : CheckRenderer.text(r, index: index, strict: strict)
      }
      func printed(_ r: OrderResult, _ index: Int, json: String?) throws -> String {
        if document {
          return try CheckRenderer.json(r, strict: strict, regime: regime, asOf: asOf, index: index).rendered(terminator: "\n")
        }
        switch format {
        case .json: return (json ?? CheckRenderer.jsonLine(r, strict: strict, regime: regime, asOf: asOf, index: index)) + "\n"
        case .text: return textVerdict(r, index)
        }
      }
      // A batch is checked and written as it goes, in chunks: memory stays flat for any size.
      // A single order is printed after the journal has committed it.
      var buffer: [UInt8] = []
      buffer.reserveCapacity(1 << 20 + 4096)
      let jsonLines = format == .json && !document
      // A batch not journaled is rendered (JSON Lines or text) and written on a second thread.
      let render: BatchLinesWriter.Render
      if jsonLines {
        render = { [strict, regime] r, index, out in
          CheckRenderer.appendJSONLine(r, strict: strict, regime: regime, asOf: asOf, index: index, to: &out)
          out.append(0x0A)
        }
      } else if !brief && !quiet {
        render = { [strict] r, index, out in CheckRenderer.appendText(r, index: index, strict: strict, to: &out) }
      } else {
        render = { r, index, out in out.append(contentsOf: textVerdict(r, index).utf8) }
      }
      let writer =
        !document && !single && !journal.recording ? BatchLinesWriter(render: render, write: { try emit(bytes: $0) }) : nil
      var pending: [OrderResult] = []
      var pendingFirst = 1
      var passed = 0
      var i = 0
      var last: (OrderResult, Int)? = nil
      var failing: Set<FindingCode> = []
      while let input = try batch.next() {
        defer { i += 1 }
        var r = checker.check(input)
        if let e = journalFailure { r = r.failedClosed(by: unavailable(e)) }
        let recording = journal.recording && journalFailure == nil
        if let writer {
          pending.append(r)
          if pending.count == 1024 {
            try writer.submit(pending, firstIndex: pendingFirst)
            pendingFirst += pending.count
            pending.removeAll(keepingCapacity: true)
          }
        } else if jsonLines && !recording {
          // JSON Lines not journaled: each line is written straight into the output bytes.
          CheckRenderer.appendJSONLine(r, strict: strict, regime: regime, asOf: asOf, index: i + 1, to: &buffer)
          buffer.append(0x0A)
        }
        // The JSON line is rendered once: printed (JSON Lines) and recorded.
        let json =
          recording ? CheckRenderer.jsonLine(r, strict: strict, regime: regime, asOf: asOf, index: i + 1) : nil
        var text = writer != nil || (jsonLines && !recording) ? "" : try printed(r, i + 1, json: json)
        if recording, let json {
          do {
            try journal.order(
              Recording.order(r, index: i + 1, json: json, printed: format == .json && !document ? nil : text))
          } catch let e as JournalError {
            journalFailure = e
            r = r.failedClosed(by: unavailable(e))
            text = try printed(r, i + 1, json: nil)
          }
        }
        if r.passed(strict: strict) { passed += 1 } else { anyFailed = true }
        for c in r.failingCodes { failing.insert(c) }
        last = (r, i + 1)
        buffer.append(contentsOf: text.utf8)
        if !single && buffer.count > 1 << 20 {
          try emit(bytes: buffer)
          buffer.removeAll(keepingCapacity: true)
        }
      }
      if let writer {
        if !pending.isEmpty { try writer.submit(pending, firstIndex: pendingFirst) }
        try writer.finish()
      }
      var trailer = ""
      if format == .text && !brief && !quiet {
        trailer = CheckRenderer.summary(count: i, passed: passed, strict: strict, regime: regime, asOf: asOf)
      }
      let end = Recording.check(
        checker: &checker, regimes: regimes, regime: regime, strict: strict, orders: i, passed: passed,
        failing: Set(failing.map(\.rawValue)),
        instrument: single ? instrument : nil, asOfSource: context.workspace.asOfSource, account: account, output: trailer,
        journal: journal)
      if journalFailure == nil {
        do { try journal.finish(end) } catch let e as JournalError { journalFailure = e }
      } else if let e = journalFailure {
        journal.abandon(e)
      }
      if let e = journal.failure, journalFailure == nil {
        // The journal could not be opened: every order failed closed (JOURNAL_UNAVAILABLE).
        printError("Error: \(e); every order of this run fails closed.")
      }
      do {
        if let e = journalFailure {
          // The run could not be committed: nothing of it is recorded, so every order fails.
          anyFailed = true
          printError("Error: \(e); every order of this run fails closed.")
          if single, let (r, index) = last {
            buffer = Array(try printed(r.failedClosed(by: unavailable(e)), index, json: nil).utf8)
            if format == .text {
              trailer = CheckRenderer.summary(count: i, passed: 0, strict: strict, regime: regime, asOf: asOf)
            }
          } else {
            let f = unavailable(e)
            trailer +=
              format == .text
              ? "  FAIL  \(f.code.rawValue)  the batch could not be recorded in \(e.path) (\(e.message)): every order of it fails closed.\n"
              : "{\"code\":\"JOURNAL_UNAVAILABLE\",\"command\":\"check\",\"file\":\(jsonString(e.path)),\"message\":\(jsonString(e.message)),\"result\":\"fail\",\"schemaVersion\":\(CheckRenderer.schemaVersion)}\n"
          }
        }
      }
      buffer.append(contentsOf: trailer.utf8)
      try emit(bytes: buffer)
      journal.announce()
    }
    if anyFailed { throw ExitCode(AdvisorExit.checkFailed) }
  }
}
