import Foundation
import LinearAlgebra
import RiskIO
import Testing

@testable import RiskCore

/// The promises between commands, as assertions shared by the property tests and the defect tests.
enum OneModelProperties {
  /// Every order `budget` proposes passes `check` in sequence under the same profile, from the same book.
  static func expectBudgetOrdersPass(
    _ r: BudgetReport, model: RiskModel, profile: RegimeProfile, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    var checker = PreTradeChecker(model: model, profile: profile)
    for (symbol, o) in r.sequence {
      let res = checker.check(
        Order(symbol: symbol, side: o.quantity > 0 ? .long : .short, quantity: abs(o.quantity), stop: o.stop))
      #expect(res.passed(strict: false), "\(symbol) \(o.quantity): \(res.failingCodes)", sourceLocation: sourceLocation)
    }
    for t in r.trades where abs(t.quantity) < abs(t.wantedQuantity) - 1e-9 {
      #expect(!t.blockedBy.isEmpty, "\(t.symbol) is short of its target with no code", sourceLocation: sourceLocation)
    }
  }

  /// After what-if's reductions the model finds no breach on the reduced book, and one more lot
  /// of any cut position breaks (or worsens) a limit it names.
  static func expectMinimalReductions(
    _ r: WhatIfReport, profile: RegimeProfile, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let market = try #require(Examples.market).through(r.after.account.asOf)
    let stress = WhatIfEngine.Stress(
      volatilityMultiplier: r.scenario.volatilityMultiplier,
      correlation: r.scenario.correlationTarget.map { ($0, r.scenario.correlationWeight) })
    let risk = try WhatIfEngine.snapshot(r.after, market: market, profile: profile, stress: stress).model
    let model = LimitModel(profile)
    var book = Book(r.after)
    for x in r.reductions { book.setQuantity(x.symbol, x.to) }
    let after = model.breaches(book: book, risk: Reducer.riskOf(book, risk))
    #expect(after.isEmpty || !r.afterReductions.breaches.isEmpty, "\(after)", sourceLocation: sourceLocation)
    let keys = Dictionary(after.map { ($0.key, $0.value) }, uniquingKeysWith: max)
    for x in r.reductions {
      let lot = market.catalog.spec(for: x.symbol).lotSize
      let sign: Double = x.from < 0 ? -1 : 1
      let next = abs(x.to) + lot >= abs(x.from) ? x.from : sign * (abs(x.to) + lot)
      var more = book
      more.setQuantity(x.symbol, next)
      let worse = model.breaches(book: more, risk: Reducer.riskOf(more, risk)).filter { b in
        keys[b.key].map { b.value > $0 * (1 + 1e-12) + 1e-15 } ?? true
      }
      #expect(!worse.isEmpty, "\(x.symbol): one more lot than \(x.to) breaks nothing", sourceLocation: sourceLocation)
      #expect(
        Set(worse.map(\.limit)) == Set(x.reasons), "\(x.symbol): reasons \(x.reasons) vs \(worse.map(\.limit))",
        sourceLocation: sourceLocation)
    }
  }
}

/// Seeded random books over the example market data: each command's answer is one the others accept.
@Suite("The commands agree: cross-command properties over random books")
struct CrossCommandPropertyTests {
  /// A random book: some example instruments long or short, cash, sometimes the call on NVDA.
  static func book(_ g: inout SeededGenerator) throws -> Account {
    let market = try #require(Examples.market)
    var a = Examples.randomAccount(&g, market: market)
    if Bool.random(using: &g), a.positions.contains(where: { $0.symbol == "NVDA" }) {
      var call = Position(
        symbol: "NVDA240920C00130000", assetClass: .option, quantity: Double(Int.random(in: 1...10, using: &g)), currency: "USD",
        multiplier: 100, price: 7.85, underlying: "NVDA", delta: 0.52, source: "random")
      call.optionRight = .call
      call.strike = 130
      call.expiry = day("2024-09-20")
      a.positions.append(call)
    }
    return a
  }

  @Test("size's recommendation passes check, on both sides, in every regime, the reducing side included")
  func sizePassesCheck() throws {
    let (checked, reducing, _) = try Self.sizeAgainstCheck(try #require(Examples.regimes), seed: 11)
    #expect(checked > 150 && reducing > 20, "checked \(checked), reducing \(reducing)")
  }

  /// The shipped profiles with the group and margin limits tight enough to bind on the random
  /// books: clusters at ρ ≥ 0.4, a group capped at 0.9 × the per-position notional and at the
  /// per-position risk share + 10 points, margin at 0.2% of equity (EURUSD at 2% of notional).
  static func tight(_ r: RegimeSet) -> RegimeSet {
    var out = r
    out.profiles = r.profiles.map { p in
      var q = p
      q.correlatedGroups = CorrelatedGroupSettings(minCorrelation: 0.4, linkage: .average, source: .both)
      q.maxGroupExposure = p.maxPositionNotional * 0.9
      q.maxGroupRiskShare = min(0.95, p.maxRiskShare + 0.1)
      q.maxMarginUtilisation = 0.002
      return q
    }
    return out
  }

  /// size's recommendations against check over seeded random books: (checked, reducing, binding limits seen).
  static func sizeAgainstCheck(_ regimes: RegimeSet, seed: UInt64, books: Int = 60) throws -> (Int, Int, [LimitID: Int]) {
    var g = SeededGenerator(state: seed)
    var (checked, reducing) = (0, 0)
    var bound: [LimitID: Int] = [:]
    for _ in 0..<books {
      let account = try Self.book(&g)
      let (model, _) = try Examples.model(account)
      let held = account.positions.filter { $0.assetClass != .option }.map(\.symbol)
      let symbol = try #require((held.isEmpty || Bool.random(using: &g) ? Examples.symbols : held).randomElement(using: &g))
      for side in [TradeSide.long, .short] {
        for p in regimes.profiles {
          var m = model
          guard let rec = try? SizingService.size(SizingRequest(symbol: symbol, side: side), profile: p, model: &m) else {
            continue
          }
          var checker = PreTradeChecker(model: model, profile: p)
          let r = checker.check(Order(symbol: symbol, side: side, quantity: rec.quantity, stop: rec.stop))
          if let b = rec.binding { bound[b, default: 0] += 1 }
          guard rec.quantity > 0 else {
            #expect(rec.zeroReason != nil)
            continue
          }
          checked += 1
          if rec.closable > 0 { reducing += 1 }
          #expect(
            r.passed(strict: false), "\(symbol) \(side) \(rec.quantity) in \(p.name): \(r.failingCodes)")
          #expect(
            r.maxQuantity == rec.quantity, "\(symbol) \(side) \(p.name): check max \(r.maxQuantity ?? -1) vs size \(rec.quantity)"
          )
          if rec.closable > 0 { #expect(rec.quantity >= roundDownToLot(rec.closable, lot: rec.lotSize).quantity) }
        }
      }
    }
    return (checked, reducing, bound)
  }

  @Test("with the group and margin limits binding: size's recommendation passes check, and each new limit binds somewhere")
  func sizePassesCheckGroupsAndMargin() throws {
    let (checked, _, bound) = try Self.sizeAgainstCheck(Self.tight(try #require(Examples.regimes)), seed: 21)
    #expect(checked > 100, "checked \(checked)")
    for id in [LimitID.groupExposure, .groupRiskShare, .marginUtilisation] {
      #expect((bound[id] ?? 0) > 0, "\(id) never binds: \(bound)")
    }
  }

  @Test("every order budget proposes passes check in sequence, or is blocked with its code")
  func budgetPassesCheck() throws {
    #expect(try Self.budgetAgainstCheck(try #require(Examples.regimes), seed: 12).runs > 20)
  }

  @Test("with the group and margin limits binding: budget's orders pass check in sequence, blocked ones name the new codes")
  func budgetPassesCheckGroupsAndMargin() throws {
    let (runs, blocked) = try Self.budgetAgainstCheck(Self.tight(try #require(Examples.regimes)), seed: 22)
    #expect(runs > 20)
    let new: Set<FindingCode> = [.groupExposureExceeded, .groupRiskShareExceeded, .marginUtilisationExceeded]
    #expect(!blocked.intersection(new).isEmpty, "no budget trade was blocked by a group or margin limit: \(blocked)")
  }

  static func budgetAgainstCheck(_ regimes: RegimeSet, seed: UInt64) throws -> (runs: Int, blocked: Set<FindingCode>) {
    var g = SeededGenerator(state: seed)
    var runs = 0
    var blocked: Set<FindingCode> = []
    for _ in 0..<40 {
      let account = try Self.book(&g)
      let (model, v) = try Examples.model(account)
      let p = try #require(regimes.profiles.randomElement(using: &g))
      guard
        let r = try? BudgetService.run(
          valuation: v, market: model.market, regimes: regimes, request: BudgetRequest(regime: p.name))
      else { continue }
      runs += 1
      try OneModelProperties.expectBudgetOrdersPass(r, model: model, profile: p)
      #expect(
        r.after.volatility <= r.targetVolatility * (1 + 1e-9) || r.sequence.isEmpty || r.current.volatility > r.targetVolatility)
      for t in r.trades { blocked.formUnion(t.blockedBy) }
    }
    return (runs, blocked)
  }

  /// A random scenario on a book: shocks on held instruments and classes, a flow, a regime change, orders.
  static func scenario(_ g: inout SeededGenerator, _ a: Account) -> Scenario {
    var s = Scenario(name: "random")
    for p in a.positions.filter({ $0.assetClass != .option }).shuffled(using: &g).prefix(3) {
      s.shocks.append(Shock(.instrument(p.symbol), Double.random(in: -0.5...0.3, using: &g)))
    }
    if Bool.random(using: &g) { s.shocks.append(Shock(.assetClass(.stock), Double.random(in: -0.3...0.1, using: &g))) }
    if Bool.random(using: &g) { s.flows = [.fractionOfEquity(-Double.random(in: 0...0.6, using: &g))] }
    s.regime = ["normal", "volatile", "crisis"].randomElement(using: &g)
    if Bool.random(using: &g) {
      s.orders = [
        Order(
          clientOrderID: "r", symbol: Examples.symbols.randomElement(using: &g) ?? "AAPL",
          side: Bool.random(using: &g) ? .long : .short,
          quantity: 1, stop: nil)
      ]
    }
    return s
  }

  @Test("after what-if's reductions the book has no breach, no cut is more than one lot too large, and equity is accounted for")
  func whatIfAgrees() throws {
    #expect(try Self.whatIfReductions(try #require(Examples.regimes), seed: 13).cut > 10)
  }

  @Test("with the group and margin limits binding: what-if's reductions leave no group or margin breach, each cut minimal")
  func whatIfAgreesGroupsAndMargin() throws {
    let (cut, reasons, breached) = try Self.whatIfReductions(Self.tight(try #require(Examples.regimes)), seed: 23)
    #expect(cut > 10)
    // Each new limit was breached before the reductions (and none is after: expectMinimalReductions);
    // a cut names the limits one more lot would break, which are often the tighter risk shares.
    for id in [LimitID.groupExposure, .groupRiskShare, .marginUtilisation] {
      #expect(breached.contains(id), "no book breached \(id): \(breached)")
    }
    #expect(reasons.contains(.groupRiskShare) && reasons.contains(.marginUtilisation), "\(reasons)")
  }

  static func whatIfReductions(_ regimes: RegimeSet, seed: UInt64) throws -> (
    cut: Int, reasons: Set<LimitID>, breached: Set<LimitID>
  ) {
    let market = try #require(Examples.market)
    var g = SeededGenerator(state: seed)
    var cut = 0
    var reasons: Set<LimitID> = []
    var breached: Set<LimitID> = []
    for _ in 0..<30 {
      let a = try Self.book(&g)
      let s = Self.scenario(&g, a)
      guard let r = try? WhatIfEngine.run(s, account: a, market: market, regimes: regimes, baseRegime: "normal") else { continue }
      #expect(abs(r.equity.residual) <= 1e-9 * max(1, abs(r.before.equity)), "equity identity off by \(r.equity.residual)")
      if r.after.equity > 0 {
        try OneModelProperties.expectMinimalReductions(r, profile: try #require(regimes.profile(s.regime ?? "normal")))
        cut += r.reductions.count
        for x in r.reductions { reasons.formUnion(x.reasons) }
        breached.formUnion(r.breaches.map(\.limit))
      }
    }
    return (cut, reasons, breached)
  }

  @Test("a pure price shock's P&L is Σ exposure × shock for linear instruments")
  func linearShock() throws {
    let regimes = try #require(Examples.regimes)
    let market = try #require(Examples.market)
    var g = SeededGenerator(state: 14)
    for _ in 0..<30 {
      let a = try Self.book(&g)
      guard !a.positions.isEmpty else { continue }
      var s = Scenario(name: "shock")
      var want = 0.0
      let v = try AccountValuer.value(a, market: market)
      for p in v.positions where p.position.assetClass != .option {
        let shock = Double.random(in: -0.6...0.6, using: &g)
        s.shocks.append(Shock(.instrument(p.position.symbol), shock))
        want += p.exposure * shock
      }
      let r = try WhatIfEngine.run(s, account: a, market: market, regimes: regimes, baseRegime: "normal")
      // Options on a shocked underlying are repriced by their own model (not linear): left out here.
      let linear = r.pnl.filter { $0.method == .linear }.reduce(0) { $0 + $1.pnl }
      #expect(abs(linear - want) <= 1e-9 * max(1, abs(want)), "\(linear) vs \(want)")
    }
  }

  @Test("a replay day's P&L is Σ exposure × that day's return; the worst day is the minimum of the historical VaR's series")
  func replayIsVaRSeries() throws {
    let regimes = try #require(Examples.regimes)
    let market = try #require(Examples.market)
    var g = SeededGenerator(state: 15)
    for _ in 0..<15 {
      let a = try Self.book(&g)
      guard !a.positions.isEmpty else { continue }
      var s = Scenario(name: "worst")
      s.replay = .worstDays(3)
      let r = try WhatIfEngine.run(s, account: a, market: market, regimes: regimes, baseRegime: "normal")
      let rp = try #require(r.replay)
      let book = Book(r.before)
      let symbols = rp.instruments
      let aligned = try AlignedReturns(
        symbols.compactMap { market.through(a.asOf)[$0] }, lookback: nil, kind: .simple)
      let series = HistoricalPnL.series(exposures: symbols.map { book.exposure(of: $0) }, returns: aligned)
      #expect(abs((rp.path.first?.pnl ?? 0) - (series.min() ?? 0)) < 1e-6, "\(rp.path.first?.pnl ?? 0) vs \(series.min() ?? 0)")
      // The historical VaR over that series reads the same numbers.
      let grid = TailRiskGrid(dailyVolatility: 1, pnl: series)
      let es99 = try #require(grid.historical.first { $0.level == 0.99 && $0.horizonDays == 1 })
      #expect(es99.expectedShortfall >= -(series.min() ?? 0) * 0 && es99.expectedShortfall <= -(series.min() ?? 0) + 1e-9)
    }
  }

  @Test("budget and what-if list VaR and ES in the same order")
  func sameTailGrid() throws {
    let (model, v) = try ExampleBook.model()
    let regimes = try #require(Examples.regimes)
    let b = try BudgetService.run(valuation: v, market: model.market, regimes: regimes, request: BudgetRequest())
    var s = Scenario(name: "t")
    s.shocks = [Shock(.instrument("AAPL"), -0.01)]
    let w = try ExampleBook.whatIf(s)
    let before = try #require(w.riskBefore)
    #expect(b.parametric.map(\.level) == before.parametric.map(\.level))
    #expect(b.parametric.map(\.horizonDays) == before.parametric.map(\.horizonDays))
    #expect(b.historical.map(\.horizonDays) == before.historical.map(\.horizonDays))
    for (x, y) in zip(b.parametric, before.parametric) { #expect(abs(x.valueAtRisk - y.valueAtRisk) < 1e-6 * x.valueAtRisk) }
  }
}

/// Every pre-trade rule, over the same contexts: its own codes only, never a pass on what it reads
/// when that is not a finite number.
@Suite("Pre-trade rules: the contract every rule keeps")
struct PreTradeRuleContractTests {
  static func base() throws -> (PreTradeChecker, Order) {
    let (m, _) = try ExampleBook.model()
    return (
      PreTradeChecker(model: m, profile: try ExampleBook.profile("normal")),
      Order(symbol: "AAPL", side: .long, quantity: 10, price: 226, stop: 215)
    )
  }

  /// The context of an order with one field made non-finite.
  static func corrupted(_ field: OrderField, _ bad: Double) throws -> OrderContext {
    var (checker, o) = try base()
    switch field {
    case .quantity: o.quantity = bad
    case .price: o.price = bad
    case .stop: o.stop = bad
    default: break
    }
    let c = checker.context(o, profile: try ExampleBook.profile("normal"), duplicateOf: nil)
    var book = checker.model.book
    var fx = c.fx
    var stats = c.stats
    var entry = c.entry
    switch field {
    case .equity: book = Book(baseCurrency: book.baseCurrency, asOf: book.asOf, equity: bad, fx: book.fx, lines: book.lines)
    case .fx: fx = bad
    case .dailyVolatility, .lastClose:
      if let s = stats {
        stats = InstrumentStats(
          symbol: s.symbol, source: s.source, lastDay: s.lastDay, lastClose: field == .lastClose ? bad : s.lastClose,
          lastLine: s.lastLine, dailyVolatility: field == .dailyVolatility ? bad : s.dailyVolatility,
          volatilityMethod: s.volatilityMethod, volatilityLookback: s.volatilityLookback, periodsPerYear: s.periodsPerYear,
          atr: s.atr, averageDailyVolume: s.averageDailyVolume, advDays: s.advDays, highestHigh: s.highestHigh,
          lowestLow: s.lowestLow, chandelierPeriod: s.chandelierPeriod)
      }
      if field == .lastClose && o.price == nil { entry = nil }
    default: break
    }
    // The evaluation is what the checker would compute from the corrupted numbers.
    var evaluation = c.evaluation
    if [.price, .equity, .fx, .quantity].contains(field) {
      if let e = entry, let f = fx, f.isFinite, f > 0, let st = stats, e.isFinite {
        let t = TradeSetup.candidate(spec: c.spec, stats: st, side: o.side, entry: e, stop: o.stop ?? e * 0.95, fx: f)
        evaluation = LimitModel(c.profile).evaluate(t, book: book, risk: c.evaluation?.context.risk)
      } else {
        evaluation = nil
      }
    }
    return OrderContext(
      order: o, profile: c.profile, asOf: c.asOf, equity: book.equity, baseCurrency: book.baseCurrency,
      held: book.quantity(of: o.symbol), knownSymbols: c.knownSymbols,
      isKnown: c.isKnown, spec: c.spec,
      stats: stats, statsError: c.statsError, entry: entry, fx: fx, duplicateOf: nil, unmodelled: c.unmodelled,
      droppedRows: c.droppedRows, evaluation: evaluation)
  }

  @Test(
    "each rule emits only its own codes and never only passes on a non-finite input it reads",
    arguments: [Double.nan, .infinity, -.infinity])
  func contract(bad: Double) throws {
    let (checker, o) = try Self.base()
    var ch = checker
    let clean = ch.context(o, profile: try ExampleBook.profile("normal"), duplicateOf: nil)
    for rule in PreTradeRules.all {
      for f in rule.check(clean) { #expect(rule.codes.contains(f.code), "\(type(of: rule)) emitted \(f.code)") }
      for field in rule.reads {
        let c = try Self.corrupted(field, bad)
        let findings = rule.check(c)
        for f in findings { #expect(rule.codes.contains(f.code), "\(type(of: rule)) emitted \(f.code)") }
        #expect(
          findings.contains { $0.severity != .pass }, "\(type(of: rule)) passed a non-finite \(field): \(findings.map(\.code))")
      }
    }
  }

  /// The checker asks a rule whether it stops the checks only when it found something.
  @Test("a rule that emits no finding would not stop the checks", arguments: [Double.nan, .infinity])
  func silentRulesDoNotStop(bad: Double) throws {
    let (checker, o) = try Self.base()
    var ch = checker
    var contexts = [ch.context(o, profile: try ExampleBook.profile("normal"), duplicateOf: nil)]
    for field in OrderField.allCases { contexts.append(try Self.corrupted(field, bad)) }
    for c in contexts {
      for rule in PreTradeRules.all where rule.check(c).isEmpty {
        #expect(!rule.stops(c, after: [][...]), "\(type(of: rule)) stops the checks without a finding")
      }
    }
  }

  @Test("the rules run in the order of PreTradeRules.all, limits last in LimitID order")
  func ruleOrder() {
    let names = PreTradeRules.all.map { "\(type(of: $0))" }
    #expect(names.prefix(2) == ["TradingStateRule", "InstrumentKnownRule"])
    #expect(PreTradeRules.all.suffix(LimitID.allCases.count).compactMap { ($0 as? LimitRule)?.id } == LimitID.allCases)
    #expect(LimitID.allCases.enumerated().allSatisfy { $0.offset == $0.element.ordinal })
    #expect(LimitModel.tradeLimits.map(\.id) == LimitID.allCases)
  }

  @Test("every code is emitted by exactly one rule (or by the checker itself)")
  func codesOwned() {
    var owners: [FindingCode: Int] = [:]
    for rule in PreTradeRules.all {
      for c in rule.codes where c != .checkNotEvaluated { owners[c, default: 0] += 1 }
    }
    for c in FindingCode.allCases where ![.malformedOrder, .checkNotEvaluated, .holdingsModelled].contains(c) {
      #expect(owners[c] == 1, "\(c.rawValue) is owned by \(owners[c] ?? 0) rules")
    }
  }
}
