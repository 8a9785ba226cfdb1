import LinearAlgebra
import Testing

@testable import RiskCore

/// A synthetic book: a USD stock, a JPY-quoted stock, a future with a
/// multiplier of 50 and a crypto coin with lots of 0.001, on one weekday
/// calendar ending at the as-of date.
struct BudgetBook {
  static let asOf = day("2024-08-21")
  static let catalog = InstrumentCatalog([
    InstrumentSpec(symbol: "STK", assetClass: .stock),
    InstrumentSpec(symbol: "JPX", assetClass: .stock, currency: "JPY"),
    InstrumentSpec(symbol: "FUT", assetClass: .future, multiplier: 50),
    InstrumentSpec(symbol: "CRY", assetClass: .crypto, lotSize: 0.001),
  ])

  static func market(bars: Int = 320) -> MarketData {
    // Weekdays ending on the as-of date.
    var days: [Day] = []
    var d = asOf
    while days.count < bars {
      if !d.isWeekend { days.insert(d, at: 0) }
      d = d.adding(days: -1)
    }
    func walk(_ symbol: String, start: Double, vol: Double, seed: UInt64, common: [Double]) -> PriceHistory {
      var g = SeededGenerator(state: seed)
      var p = start
      var closes: [Double] = []
      for i in 0..<bars {
        p *= 1 + vol * (0.6 * common[i] + 0.8 * Double.random(in: -1...1, using: &g))
        closes.append(p)
      }
      return PriceHistory(
        symbol: symbol, source: DataSource(path: "\(symbol).csv"), days: days, close: closes, lines: Array(2..<(2 + bars)))
    }
    var g = SeededGenerator(state: 42)
    let common = (0..<bars).map { _ in Double.random(in: -1...1, using: &g) }
    return MarketData(
      histories: [
        walk("STK", start: 100, vol: 0.015, seed: 1, common: common),
        walk("JPX", start: 3_000, vol: 0.012, seed: 2, common: common),
        walk("FUT", start: 4_000, vol: 0.008, seed: 3, common: common),
        walk("CRY", start: 30_000, vol: 0.04, seed: 4, common: common),
      ], catalog: catalog)
  }

  static func position(_ s: String, _ c: AssetClass, _ q: Double, ccy: String = "USD", mult: Double = 1, cost: Double? = nil)
    -> Position
  {
    Position(
      symbol: s, assetClass: c, quantity: q, currency: ccy, multiplier: mult, averageCost: cost, source: "book.yaml", line: 9)
  }

  static func account(_ positions: [Position], cash: Double = 800_000) -> Account {
    Account(
      name: "book", baseCurrency: "USD", asOf: asOf, fx: FXRates(base: "USD", basePerUnit: ["JPY": 0.0068]),
      cash: ["USD": cash], positions: positions, source: "book.yaml")
  }

  static let positions = [
    position("STK", .stock, 1_000),
    position("JPX", .stock, 5_000, ccy: "JPY"),
    position("FUT", .future, 3, mult: 50, cost: 3_900),
    position("CRY", .crypto, 2),
  ]

  static func profile(gross: Double = 1, crypto: Double = 0.05, target: Double = 0.3, notional: Double = 0.1) -> RegimeProfile {
    RegimeProfile(
      name: "test", source: "test.yaml", riskPerTrade: 0.01, maxPositionNotional: notional, maxGrossLeverage: gross,
      maxClassLeverage: [.crypto: crypto], stopRule: .sigma(multiple: 2, holdingDays: 5), volatilityLookback: 250,
      covarianceMethod: .sample, covarianceLookback: 250, portfolioVolatilityBudget: target, maxRiskShare: 0.6,
      maxDataAgeDays: 4)
  }

  /// Every order `budget` proposes passes `check` in sequence under the same profile, from the same book.
  static func expectOrdersPass(
    _ r: BudgetReport, _ v: AccountValuation, profile: RegimeProfile = profile(),
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    var checker = PreTradeChecker(model: RiskModel(valuation: v, market: market()), profile: profile)
    for (symbol, o) in r.sequence {
      let res = checker.check(
        Order(symbol: symbol, side: o.quantity > 0 ? .long : .short, quantity: abs(o.quantity), stop: o.stop))
      #expect(res.passed(strict: false), "\(symbol) \(o.quantity): \(res.failingCodes)", sourceLocation: sourceLocation)
    }
    #expect(r.sequence.count == r.trades.reduce(0) { $0 + $1.orders.count }, sourceLocation: sourceLocation)
  }

  static func run(
    _ positions: [Position] = positions, profile: RegimeProfile = profile(), budgets: [BudgetEntry] = []
  ) throws -> (BudgetReport, AccountValuation, MarketData) {
    let m = market()
    let v = try AccountValuer.value(account(positions), market: m)
    let r = try BudgetService.run(
      valuation: v, market: m, regimes: RegimeSet(profiles: [profile]), request: BudgetRequest(regime: "test", budgets: budgets))
    return (r, v, m)
  }
}

@Suite("advisor budget: the account's risk, leverage and trades")
struct BudgetServiceTests {
  @Test("exposures are those of the valuation (FX and multipliers), weights of equity; shares sum to 1")
  func exposures() throws {
    let (r, v, _) = try BudgetBook.run()
    #expect(r.lines.map(\.symbol) == ["STK", "JPX", "FUT", "CRY"])
    for (line, p) in zip(r.lines, v.positions) {
      #expect(line.exposure == p.exposure)
      #expect(abs(line.weight - p.exposure / v.equity) < 1e-15)
    }
    // JPX: 5,000 shares × last close in JPY × 0.0068 USD per JPY.
    let jpx = try #require(r.lines.first { $0.symbol == "JPX" })
    let jpxClose = try #require(BudgetBook.market()["JPX"]?.lastClose)
    #expect(abs(jpx.exposure - 5_000 * jpxClose * 0.0068) < 1e-9)
    // FUT: 3 contracts × 50 × price (notional), while equity counts only its P&L.
    let fut = try #require(r.lines.first { $0.symbol == "FUT" })
    let futClose = try #require(BudgetBook.market()["FUT"]?.lastClose)
    #expect(abs(fut.exposure - 3 * 50 * futClose) < 1e-9)
    #expect(abs(r.current.shares.reduce(0, +) - 1) < 1e-14)
    #expect(abs(r.current.contributions.reduce(0, +) - r.current.volatility) < 1e-15)
    #expect(abs(r.budgets.values.reduce(0, +) - 1) < 1e-15)
    #expect(r.budgets.isDefault && r.budgets.values.allSatisfy { abs($0 - 0.25) < 1e-15 })
  }

  @Test("VaR and ES: normal from σ in money with √t; historical from the P&L of current exposures")
  func tails() throws {
    let (r, v, m) = try BudgetBook.run()
    let sigmaDay = r.current.volatility * v.equity / 252.0.squareRoot()
    let n99 = try #require(r.parametric.first { $0.level == 0.99 && $0.horizonDays == 10 })
    #expect(abs(n99.valueAtRisk - 2.3263478740408408 * sigmaDay * 10.0.squareRoot()) < 1e-6)
    // The P&L series by hand from the aligned returns.
    let aligned = try AlignedReturns(["STK", "JPX", "FUT", "CRY"].map { try #require(m[$0]) }, lookback: 250, kind: .simple)
    var pnl = [Double](repeating: 0, count: 250)
    for (j, line) in r.lines.enumerated() {
      for t in 0..<250 { pnl[t] += line.exposure * aligned.matrix[t, j] }
    }
    let sorted = pnl.sorted()
    // 95%: h = 249 × 0.05 = 12.45 → between the 13th and 14th worst.
    let q = sorted[12] + 0.45 * (sorted[13] - sorted[12])
    let h95 = try #require(r.historical.first { $0.level == 0.95 && $0.horizonDays == 1 })
    #expect(abs(h95.valueAtRisk + q) < 1e-9)
    let tail = sorted.prefix(13)
    #expect(abs(h95.expectedShortfall + tail.reduce(0, +) / 13) < 1e-9)
    #expect(r.parametric.count == 4 && r.historical.count == 4)
  }

  @Test("leverage is the smallest cap, exactly one binds; the target is budgeted risk parity")
  func leverage() throws {
    let (r, v, _) = try BudgetBook.run()
    let w = r.solution.weights
    let cry = try #require(r.lines.firstIndex { $0.symbol == "CRY" })
    let expected = min(0.3 / r.solution.volatility, 1.0, 0.05 / w[cry])
    #expect(abs(r.leverage - expected) < 1e-12)
    #expect(r.caps.filter(\.binding).count == 1)
    #expect(abs((r.binding?.maxLeverage ?? 0) - r.leverage) < 1e-15)
    #expect(r.target.shares.allSatisfy { abs($0 - 0.25) < 1e-12 })
    for (i, line) in r.lines.enumerated() {
      #expect(abs(line.targetExposure - r.leverage * w[i] * v.equity) < 1e-6)
    }
    // With a generous crypto cap and a high volatility target, the gross cap binds.
    let (g, _, _) = try BudgetBook.run(profile: BudgetBook.profile(gross: 0.5, crypto: 10, target: 5))
    #expect(g.binding?.id == .grossLeverage && abs(g.leverage - 0.5) < 1e-15)
    // With a low target, no cap binds: the volatility target sets the leverage.
    let (t, _, _) = try BudgetBook.run(profile: BudgetBook.profile(gross: 10, crypto: 10, target: 0.01))
    #expect(t.binding?.id == .volatilityTarget)
    #expect(abs(t.leverage * t.solution.volatility - 0.01) < 1e-15)
  }

  @Test("trades: nearest whole lots; every proposed order passes advisor check in sequence, the rest is blocked with its codes")
  func trades() throws {
    let (r, v, _) = try BudgetBook.run()
    #expect(r.perTradeCap == 0.1 * v.equity)
    for t in r.trades {
      let lots = t.wantedQuantity / t.lotSize
      #expect(abs(lots - lots.rounded()) < 1e-9, "\(t.symbol) \(t.wantedQuantity)")
      #expect(abs(t.unroundedQuantity - t.wantedQuantity) <= t.lotSize / 2 + 1e-12, "\(t.symbol): not the nearest lot")
      #expect(abs(t.pieces.reduce(0, +) - t.quantity) < 1e-9)
      #expect(abs(t.exposureAfter - (t.currentExposure + t.quantity * t.unitExposure)) < 1e-6)
      #expect(abs(t.quantity) <= abs(t.wantedQuantity) + 1e-12)
      if abs(t.quantity) < abs(t.wantedQuantity) - 1e-12 { #expect(t.blocked != nil && !t.blockedBy.isEmpty, "\(t.symbol)") }
    }
    try BudgetBook.expectOrdersPass(r, v)
    // JPX: one share is its JPY close × 0.0068 USD.
    let jpx = try #require(r.trades.first { $0.symbol == "JPX" })
    #expect(abs(jpx.unitExposure - jpx.price * 0.0068) < 1e-12)
    // FUT: 3 contracts (50 × ~4,000 each) are far over the notional cap; selling toward the target only
    // reduces the position, which every limit allows.
    let fut = try #require(r.trades.first { $0.symbol == "FUT" })
    #expect(fut.quantity < 0 && fut.quantity == fut.wantedQuantity, "\(fut.quantity) vs \(fut.wantedQuantity)")
    // A tight notional cap stops the buys where check's notional cap does; what is left is blocked by its code.
    let (tight, tv, _) = try BudgetBook.run(
      [BudgetBook.position("STK", .stock, 10), BudgetBook.position("JPX", .stock, 10, ccy: "JPY")],
      profile: BudgetBook.profile(gross: 2, crypto: 1, target: 0.3, notional: 0.05))
    try BudgetBook.expectOrdersPass(tight, tv)
    #expect(tight.trades.contains { $0.blockedBy.contains(.notionalCapExceeded) })
    // The risk after the trades is recomputed from the exposures after.
    let afterShares = r.after.shares.reduce(0, +)
    #expect(abs(afterShares - 1) < 1e-14)
  }

  @Test("custom budgets: by instrument and by class, the rest share the remainder, normalised with a warning")
  func custom() throws {
    let entries = [
      BudgetEntry(key: .instrument("STK"), value: 0.4, source: "b.yaml", line: 3, field: "budgets.STK"),
      BudgetEntry(key: .assetClass(.crypto), value: 0.1, source: "b.yaml", line: 4, field: "budgets.class:crypto"),
    ]
    let (r, _, _) = try BudgetBook.run(budgets: entries)
    #expect(maxAbsDifference(r.budgets.values, [0.4, 0.25, 0.25, 0.1]) < 1e-15)
    #expect(r.lines[0].budgetOrigin == "STK budget, b.yaml line 3")
    #expect(r.lines[1].budgetOrigin == "equal share of the remaining 0.5")
    #expect(maxAbsDifference(r.target.shares, [0.4, 0.25, 0.25, 0.1]) < 1e-12)
    let over = try BudgetResolver.resolve(
      [
        BudgetEntry(key: .instrument("A"), value: 2, source: "--budget A=2"),
        BudgetEntry(key: .instrument("B"), value: 2, source: "--budget B=2"),
      ],
      symbols: ["A", "B"], classes: [.stock, .stock])
    #expect(over.values == [0.5, 0.5] && over.warnings == ["the budgets sum to 4, not 1: each is divided by 4."])
    // A flag after the file replaces the file's value.
    let replaced = try BudgetResolver.resolve(
      [
        BudgetEntry(key: .instrument("A"), value: 0.2, source: "b.yaml", line: 3),
        BudgetEntry(key: .instrument("A"), value: 0.6, source: "--budget A=0.6"),
      ], symbols: ["A", "B"], classes: [.stock, .stock])
    #expect(maxAbsDifference(replaced.values, [0.6, 0.4]) < 1e-15)
  }

  @Test("bad budgets are errors naming the file, line and key, all at once")
  func badBudgets() throws {
    let entries = [
      BudgetEntry(key: .instrument("STK"), value: 0, source: "b.yaml", line: 3, field: "budgets.STK"),
      BudgetEntry(key: .instrument("JPX"), value: -1, source: "b.yaml", line: 4, field: "budgets.JPX"),
      BudgetEntry(key: .instrument("XYZ"), value: 0.1, source: "b.yaml", line: 5, field: "budgets.XYZ"),
      BudgetEntry(key: .assetClass(.bond), value: 0.1, source: "b.yaml", line: 6, field: "budgets.class:bond"),
    ]
    do {
      _ = try BudgetResolver.resolve(entries, symbols: ["STK", "JPX"], classes: [.stock, .stock])
      Issue.record("expected errors")
    } catch let e as InputErrors {
      let lines = e.errors.map(\.description)
      #expect(lines.count == 4)
      #expect(lines[0].hasPrefix("b.yaml line 3, field 'budgets.STK': budget 0 for STK is not positive"))
      #expect(lines[1].hasPrefix("b.yaml line 4, field 'budgets.JPX': budget -1 for JPX is not positive"))
      #expect(lines[2].hasPrefix("b.yaml line 5, field 'budgets.XYZ': XYZ is not held"))
      #expect(lines[3].hasPrefix("b.yaml line 6, field 'budgets.class:bond': no position is in asset class bond"))
    }
    #expect(throws: InputError.self) {
      try BudgetResolver.resolve(
        [BudgetEntry(key: .instrument("A"), value: 1.2, source: "--budget A=1.2")], symbols: ["A", "B"],
        classes: [.stock, .stock])
    }
  }

  @Test("an empty account, one position, no market data, non-positive equity: errors, not numbers")
  func degenerate() throws {
    #expect(throws: BudgetError.emptyAccount(source: "book.yaml")) { try BudgetBook.run([]) }
    // STK held directly and through an option on it: still one risk position.
    let option = Position(
      symbol: "STK-C", assetClass: .option, quantity: 2, currency: "USD", multiplier: 100, price: 3, underlying: "STK",
      delta: 0.5,
      source: "book.yaml")
    #expect(throws: BudgetError.onePosition(symbol: "STK", source: "book.yaml")) {
      try BudgetBook.run([BudgetBook.position("STK", .stock, 10), option])
    }
    let unknown = Position(symbol: "ZZZ", assetClass: .stock, quantity: 1, currency: "USD", price: 10, source: "book.yaml")
    #expect(throws: BudgetError.noMarketData(positions: ["ZZZ"], source: "book.yaml")) { try BudgetBook.run([unknown]) }
    let m = BudgetBook.market()
    let broke = try AccountValuer.value(BudgetBook.account(BudgetBook.positions, cash: -2_000_000), market: m)
    #expect(throws: BudgetError.self) {
      try BudgetService.run(
        valuation: broke, market: m, regimes: RegimeSet(profiles: [BudgetBook.profile()]), request: BudgetRequest(regime: "test"))
    }
  }

  @Test("a new portfolio: weights keyed in order, shares equal the budgets; one instrument or a duplicate is an error")
  func proposal() throws {
    let m = BudgetBook.market()
    let settings = CovarianceSettings(method: .sample, lookback: 250, lambda: 0.94)
    let p = try BudgetService.propose(market: m, symbols: ["STK", "JPX", "CRY"], settings: settings, asOf: nil, budgets: [])
    #expect(p.symbols == ["STK", "JPX", "CRY"])
    #expect(abs(p.solution.weights.reduce(0, +) - 1) < 1e-15)
    #expect(p.decomposition.shares.allSatisfy { abs($0 - 1.0 / 3) < 1e-12 })
    #expect(throws: BudgetError.tooFewInstruments(["STK"])) {
      try BudgetService.propose(market: m, symbols: ["STK"], settings: settings, asOf: nil, budgets: [])
    }
    #expect(throws: BudgetError.duplicateInstrument("STK")) {
      try BudgetService.propose(market: m, symbols: ["STK", "STK"], settings: settings, asOf: nil, budgets: [])
    }
    #expect(throws: UnknownInstrumentError.self) {
      try BudgetService.propose(market: m, symbols: ["STK", "XYZ"], settings: settings, asOf: nil, budgets: [])
    }
    // Fewer returns than instruments: the singular covariance is repaired and said so.
    let short = CovarianceSettings(method: .sample, lookback: 2, lambda: 0.94)
    let s = try BudgetService.propose(
      market: m, symbols: ["STK", "JPX", "FUT", "CRY"], settings: short, asOf: nil, budgets: [])
    #expect(s.solverRepair != nil)
    #expect(s.warnings.contains { $0.hasPrefix("the covariance is singular (there are 2 observations for 4 instruments)") })
  }
}
