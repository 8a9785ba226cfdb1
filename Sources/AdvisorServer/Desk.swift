import AdvisorJournal
import AdvisorRecording
import Foundation
import Logging
import RiskCore
import RiskIO

/// How one check request is judged.
public struct CheckOptions: Sendable, Hashable {
  /// A profile name or `auto` (the request's `regime=`, else the server's `--regime`).
  public var regime: String
  public var strict: Bool
  /// Hold the passing orders open against the book (`hold=false`: judge only, as one CLI run).
  public var hold: Bool
}

/// What a check request decided, and the orders it now holds.
public struct CheckOutcome: Sendable {
  public let results: [OrderResult]
  public let held: [OrderID]
  public let asOf: Day
  public let generation: Int
  /// Exactly what `advisor check --format json` prints for the same orders and journal.
  public let body: String
  /// Every order passed (after the journal: an order it could not record failed closed).
  public let passed: Bool
  public let passedCount: Int
}

/// The account's desk: the loaded workspace, the orders held open against its book, and the
/// checkers. An actor, so the checks on the account are serialised: two clients cannot both
/// spend the last headroom, and a reload swaps the whole state between two requests.
actor Desk {
  private(set) var snapshot: Snapshot
  /// The book as loaded, with the journal's record of the account (equity history, states set
  /// by hand) as the last check read it.
  private var base: RiskModel
  private var record: AccountRecord = .none
  private var valuation: AccountValuation
  /// The book as loaded plus every hold (open and filled units), in the order held.
  private var current: RiskModel
  let journal: DeskJournal
  private var holds: [Hold] = []
  /// Prepared checkers (covariance estimated, statistics warm) by regime, strictness and the
  /// instruments of a request: the next request of the same shape starts from a copy.
  private var checkers: [CheckerKey: PreTradeChecker] = [:]
  private var issued = 0
  let ttl: Duration
  let metrics: ServeMetrics
  let logger: Logger
  static let maxCheckers = 256

  struct CheckerKey: Hashable {
    let regime: String
    let strict: Bool
    let candidates: [String]
  }

  init(snapshot: Snapshot, journal: JournalLocation, ttl: Duration, metrics: ServeMetrics, logger: Logger) {
    self.snapshot = snapshot
    self.base = snapshot.baseModel
    self.valuation = snapshot.valuation
    self.current = snapshot.baseModel
    self.journal = DeskJournal(journal, config: snapshot.workspace.config)
    self.ttl = ttl
    self.metrics = metrics
    self.logger = logger
  }

  // MARK: Checks

  /// Checks the orders in sequence, exactly as one `advisor check --format json` run over
  /// them would on the book with the held orders applied, recorded in the journal as that run
  /// would be (the account's record read, every order and the decision written, in one
  /// transaction; an order the journal cannot record fails closed, `JOURNAL_UNAVAILABLE`).
  /// With `hold`, the passing orders are then held.
  func check(_ inputs: [OrderInput], _ options: CheckOptions, single: Bool, argv: [String]) throws(ServeError)
    -> CheckOutcome
  {
    expireDue()
    for case .order(let o) in inputs {
      if let id = o.clientOrderID, let h = holds.first(where: { $0.id.rawValue == id }), h.open > 0 {
        throw ServeError(
          .orderIDOpen,
          "client order id \(quoted(id)) is already held open; report it filled or cancelled, or use a new id.")
      }
    }
    let run = journal.run(command: "check", argv: argv)
    defer { journal.settle(run) }
    let valuation = try follow(run.record(for: snapshot.account))
    var journalFailure: JournalError? = nil
    do { try run.snapshot(valuation) } catch let e as JournalError { journalFailure = e } catch {}
    let candidates = Set(
      inputs.compactMap { i -> String? in
        guard case .order(let o) = i, snapshot.market[o.symbol] != nil else { return nil }
        return o.symbol
      }
    ).sorted()
    var checker = try checker(options, candidates: candidates)
    let (asOf, strict, regime) = (snapshot.asOf, options.strict, options.regime)
    func printed(_ r: OrderResult, _ index: Int, json: String?) throws(ServeError) -> String {
      if single {
        do {
          return try NonFinite.guarding("check") {
            try CheckRenderer.json(r, strict: strict, regime: regime, asOf: asOf, index: index).rendered() + "\n"
          }
        } catch {
          throw ServeError(.nonFiniteOutput, "\(error)")
        }
      }
      return (json ?? CheckRenderer.jsonLine(r, strict: strict, regime: regime, asOf: asOf, index: index)) + "\n"
    }
    var results: [OrderResult] = []
    results.reserveCapacity(inputs.count)
    var passing: [(Order, AppliedOrder, String)] = []
    var body = ""
    var passed = 0
    var failing: Set<String> = []
    for (i, input) in inputs.enumerated() {
      var r = checker.check(input)
      let applied = checker.lastApplied
      if let e = journalFailure { r = r.failedClosed(by: Recording.unavailable(e)) }
      let recording = run.recording && journalFailure == nil
      let json =
        recording || !single ? CheckRenderer.jsonLine(r, strict: strict, regime: regime, asOf: asOf, index: i + 1) : nil
      var text = try printed(r, i + 1, json: json)
      if recording, let json {
        do {
          try run.order(Recording.order(r, index: i + 1, json: json, printed: single ? text : nil))
        } catch let e as JournalError {
          journalFailure = e
          r = r.failedClosed(by: Recording.unavailable(e))
          text = try printed(r, i + 1, json: nil)
        } catch {}
      }
      if r.passed(strict: strict) {
        passed += 1
        if options.hold, let applied, case .order(let o) = input { passing.append((o, applied, r.regime ?? regime)) }
      }
      for c in r.failingCodes { failing.insert(c.rawValue) }
      results.append(r)
      body += text
    }
    let end = Recording.check(
      checker: &checker, regimes: snapshot.regimes, regime: regime, strict: strict, orders: inputs.count, passed: passed,
      failing: failing, instrument: single ? results.first?.order?.symbol : nil,
      asOfSource: snapshot.workspace.asOfSource, account: snapshot.account, output: "", journal: run)
    if journalFailure == nil {
      do { try run.finish(end) } catch let e as JournalError { journalFailure = e } catch {}
    } else if let e = journalFailure {
      run.abandon(e)
    }
    if let e = run.failure, journalFailure == nil {
      logger.error("the journal cannot be opened; every order fails closed", metadata: ["error": .string(oneLine("\(e)"))])
    }
    if let e = journalFailure {
      // The run could not be committed: nothing of it is recorded, so every order fails and
      // nothing is held (the CLI's output for the same failure).
      logger.error("the journal cannot record the run; every order fails closed", metadata: ["error": .string(oneLine("\(e)"))])
      passed = 0
      passing = []
      if single, let r = results.first {
        results[0] = r.failedClosed(by: Recording.unavailable(e))
        body = try printed(results[0], 1, json: nil)
      } else {
        results = results.map { $0.passed(strict: strict) ? $0.failedClosed(by: Recording.unavailable(e)) : $0 }
        body +=
          "{\"code\":\"JOURNAL_UNAVAILABLE\",\"command\":\"check\",\"file\":\(jsonString(e.path)),\"message\":\(jsonString(e.message)),\"result\":\"fail\",\"schemaVersion\":\(CheckRenderer.schemaVersion)}\n"
      }
    }
    let held = passing.map { hold($0.0, $0.1, regime: $0.2) }
    metrics.decisions(results, strict: strict)
    metrics.orders("held", held.count)
    metrics.openOrders.set(Double(openCount))
    return CheckOutcome(
      results: results, held: held, asOf: asOf, generation: snapshot.generation, body: body,
      passed: passed == inputs.count, passedCount: passed)
  }

  /// Follows the journal's record of the account: when what it reads changed (a new equity
  /// day, another equity today, a state set by hand), the book is valued again with it and
  /// every checker is prepared anew. A check's own snapshot of the same equity only renumbers
  /// today's row: every reading is the same (``AccountRecord/readsTheSame(as:)``), so the
  /// prepared checkers stand and the answers are the bytes a rebuild would give.
  private func follow(_ newRecord: AccountRecord) throws(ServeError) -> AccountValuation {
    guard newRecord != record else { return valuation }
    if newRecord.readsTheSame(as: record) {
      record = newRecord
      return valuation
    }
    do {
      var account = snapshot.account
      account.record = newRecord
      valuation = try AccountValuer.value(
        account, market: snapshot.market, maxPriceAgeDays: snapshot.workspace.maxPriceAgeDays)
    } catch {
      throw ServeError(.notEvaluated, "\(error)")
    }
    record = newRecord
    base = RiskModel(valuation: valuation, market: snapshot.market)
    rebuild()
    return valuation
  }

  /// A copy of the prepared checker for the request's shape, prepared now if it is new.
  private func checker(_ options: CheckOptions, candidates: [String]) throws(ServeError) -> PreTradeChecker {
    let key = CheckerKey(regime: options.regime, strict: options.strict, candidates: candidates)
    if let c = checkers[key] { return c }
    do {
      var c = try PreTradeChecker(
        model: current, regimes: snapshot.regimes, regime: RegimeSelection(options.regime), strict: options.strict)
      try c.prepare(candidates: candidates)
      for s in candidates {
        if case .success(let choice) = c.choice(for: s) { _ = try? c.stats(s, choice.profile) }
      }
      if checkers.count >= Self.maxCheckers { checkers.removeAll() }
      checkers[key] = c
      return c
    } catch var e as UnknownRegimeError {
      e.flag = "regime"
      throw ServeError(.unknownRegime, "\(e)")
    } catch {
      throw ServeError(.notEvaluated, "\(error)")
    }
  }

  /// Holds a passing order: the book and every prepared checker that can follow it take it;
  /// the others are dropped (a new instrument changes the covariance's set; `auto` reads the
  /// book's evidence once).
  private func hold(_ o: Order, _ a: AppliedOrder, regime: String) -> OrderID {
    let id = o.clientOrderID.map(OrderID.init) ?? newID()
    let wasHeld = current.book.exposure(of: a.symbol) != 0
    current.apply(a)
    for (key, var c) in checkers {
      if key.regime == "auto" || !(wasHeld || key.candidates.contains(a.symbol)) {
        checkers[key] = nil
      } else {
        c.apply(a)
        checkers[key] = c
      }
    }
    let wall = Date().addingTimeInterval(Double(ttl.components.seconds) + Double(ttl.components.attoseconds) / 1e18)
    holds.append(
      Hold(
        id: id, order: o, regime: regime, applied: a, heldAt: Date(), expiresAt: .now + ttl, expiresAtDate: wall,
        open: o.quantity, filled: 0))
    return id
  }

  private func newID() -> OrderID {
    while true {
      issued += 1
      let id = OrderID("srv-\(snapshot.generation)-\(issued)")
      if !holds.contains(where: { $0.id == id }) { return id }
    }
  }

  private var openCount: Int { holds.filter { $0.open > 0 }.count }

  // MARK: Open orders

  /// Every held order, open or filled, in the order held.
  func orders() -> [JSONValue] {
    expireDue()
    return holds.map(\.json)
  }

  /// The client reports a fill (all that is open, or `quantity` of it): the units stay in
  /// the book as a position.
  func fill(_ id: OrderID, quantity: Double?) throws(ServeError) -> JSONValue {
    expireDue()
    guard let i = holds.firstIndex(where: { $0.id == id }), holds[i].open > 0 else { throw notOpen(id) }
    let q = quantity ?? holds[i].open
    guard q > 0, q <= holds[i].open * (1 + 1e-12) else {
      throw ServeError(
        .badRequest, "field 'quantity': \(q) is more than the \(holds[i].open) units open of order \(quoted(id.rawValue)).")
    }
    holds[i].open = max(0, holds[i].open - q)
    holds[i].filled += q
    metrics.orders("filled")
    metrics.openOrders.set(Double(openCount))
    return holds[i].json
  }

  /// The client cancels what is still open: its units leave the book.
  func cancel(_ id: OrderID) throws(ServeError) -> JSONValue {
    expireDue()
    guard let i = holds.firstIndex(where: { $0.id == id }), holds[i].open > 0 else { throw notOpen(id) }
    let view = release(at: i)
    metrics.orders("cancelled")
    return view
  }

  /// Releases orders a client never saw decided (it disconnected before the answer).
  func release(_ ids: [OrderID]) {
    var n = 0
    for id in ids {
      if let i = holds.firstIndex(where: { $0.id == id }), holds[i].open > 0 {
        _ = release(at: i)
        n += 1
      }
    }
    metrics.orders("released", n)
  }

  private func release(at i: Int) -> JSONValue {
    holds[i].open = 0
    let view = holds[i].json
    if holds[i].filled == 0 { holds.remove(at: i) }
    rebuild()
    return view
  }

  private func notOpen(_ id: OrderID) -> ServeError {
    ServeError(.orderNotOpen, "no open order \(quoted(id.rawValue)): it was never held, or it was filled, cancelled or expired.")
  }

  /// Open units past their time to live leave the book.
  func expireDue() {
    let now = ContinuousClock.now
    var expired: [String] = []
    for i in holds.indices where holds[i].open > 0 && holds[i].expiresAt <= now {
      holds[i].open = 0
      expired.append(holds[i].id.rawValue)
    }
    guard !expired.isEmpty else { return }
    holds.removeAll { $0.open == 0 && $0.filled == 0 }
    rebuild()
    metrics.orders("expired", expired.count)
    logger.info(
      "orders expired", metadata: ["orders": .array(expired.map { .string($0) }), "ttl_s": "\(ttl.components.seconds)"])
  }

  /// The book again from the workspace's, with every hold applied in order.
  private func rebuild() {
    current = base
    for h in holds where h.open + h.filled > 0 { current.apply(h.inBook) }
    checkers.removeAll()
    metrics.openOrders.set(Double(openCount))
  }

  // MARK: Workspace

  /// Swaps in a newly loaded workspace between two requests. Open orders carry over; filled
  /// units are dropped when the account's positions or cash changed (the new file has them).
  func install(_ new: Snapshot) {
    let accountChanged =
      new.account.positions != snapshot.account.positions || new.account.cash != snapshot.account.cash
    if accountChanged {
      for i in holds.indices { holds[i].filled = 0 }
      holds.removeAll { $0.open == 0 }
    }
    snapshot = new
    base = new.baseModel
    valuation = new.valuation
    record = .none
    journal.configure(new.workspace.config)
    rebuild()
    metrics.generation.set(Double(new.generation))
  }

  /// Why the journal cannot record a check now, or nil; and what it is (`/readyz`).
  func journalStatus() -> (problem: String?, description: String) { (journal.problem(), journal.description) }

  /// Shutdown: the journal is closed once nothing more is in flight.
  func closeJournal() { journal.close() }

  /// The workspace and the book with the held orders, under the journal's record of the
  /// account as it is now (`/v1/size` sizes against it, `/v1/budget` reads its equity base).
  func book() throws(ServeError) -> (Snapshot, RiskModel, AccountValuation) {
    expireDue()
    let run = journal.run(command: "read", argv: [], record: false)
    defer { journal.settle(run) }
    let v = try follow(run.record(for: snapshot.account))
    return (snapshot, current, v)
  }

  /// `advisor state --format json` under a regime's breakers (`GET /v1/state`).
  func state(regime: String) throws(ServeError) -> JSONValue {
    guard let profile = snapshot.regimes.profile(regime) else {
      throw ServeError(
        .unknownRegime,
        "unknown regime \(quoted(regime)): known regimes are \(snapshot.regimes.names.joined(separator: ", ")).")
    }
    let run = journal.run(command: "state", argv: [], record: false)
    defer { journal.settle(run) }
    let v = try follow(run.record(for: snapshot.account))
    let record = v.account.record
    let s = TradingStateMachine.evaluate(record, breakers: profile.breakers, asOf: v.account.asOf, currentEquity: v.equity)
    let base = EquityBase.of(
      equity: v.equity, drawdown: DrawdownReading.reading(record, equity: v.equity, asOf: v.account.asOf), profile: profile)
    return StateReport.document(s, profile: profile, account: v.account, equity: v.equity, base: base)
  }
}
