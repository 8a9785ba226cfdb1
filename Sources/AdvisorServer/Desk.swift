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
}

/// The account's desk: the loaded workspace, the orders held open against its book, and the
/// checkers. An actor, so the checks on the account are serialised: two clients cannot both
/// spend the last headroom, and a reload swaps the whole state between two requests.
actor Desk {
  private(set) var snapshot: Snapshot
  /// The book as loaded plus every hold (open and filled units), in the order held.
  private var current: RiskModel
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

  init(snapshot: Snapshot, ttl: Duration, metrics: ServeMetrics, logger: Logger) {
    self.snapshot = snapshot
    self.current = snapshot.baseModel
    self.ttl = ttl
    self.metrics = metrics
    self.logger = logger
  }

  // MARK: Checks

  /// Checks the orders in sequence, exactly as one `advisor check` run over them would on the
  /// book with the held orders applied; with `hold`, the passing ones are then held.
  func check(_ inputs: [OrderInput], _ options: CheckOptions) throws(ServeError) -> CheckOutcome {
    expireDue()
    for case .order(let o) in inputs {
      if let id = o.clientOrderID, let h = holds.first(where: { $0.id.rawValue == id }), h.open > 0 {
        throw ServeError(
          .orderIDOpen,
          "client order id \(quoted(id)) is already held open; report it filled or cancelled, or use a new id.")
      }
    }
    let candidates = Set(
      inputs.compactMap { i -> String? in
        guard case .order(let o) = i, snapshot.market[o.symbol] != nil else { return nil }
        return o.symbol
      }
    ).sorted()
    var checker = try checker(options, candidates: candidates)
    var results: [OrderResult] = []
    results.reserveCapacity(inputs.count)
    var passed: [(Order, AppliedOrder, String)] = []
    for input in inputs {
      let r = checker.check(input)
      results.append(r)
      if options.hold, let a = checker.lastApplied, case .order(let o) = input {
        passed.append((o, a, r.regime ?? options.regime))
      }
    }
    let held = passed.map { hold($0.0, $0.1, regime: $0.2) }
    metrics.decisions(results, strict: options.strict)
    metrics.orders("held", held.count)
    metrics.openOrders.set(Double(openCount))
    return CheckOutcome(results: results, held: held, asOf: snapshot.asOf, generation: snapshot.generation)
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
    current = snapshot.baseModel
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
    rebuild()
    metrics.generation.set(Double(new.generation))
  }

  /// The workspace and the book with the held orders (`/v1/size` sizes against it).
  func book() -> (Snapshot, RiskModel) {
    expireDue()
    return (snapshot, current)
  }
}
