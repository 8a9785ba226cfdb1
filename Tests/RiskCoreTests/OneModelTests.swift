import Foundation
import LinearAlgebra
import RiskIO
import Testing

@testable import RiskCore

/// The bundled example account, valued, and the one risk model over it.
enum ExampleBook {
  static func account() throws -> Account {
    let market = try #require(Examples.market)
    return try AccountFile.load(repoPath("examples/account.yaml"), catalog: market.catalog).account
  }

  static func model(_ a: Account? = nil, asOf: Day? = nil, market: MarketData? = nil) throws -> (RiskModel, AccountValuation) {
    var account = try a ?? Self.account()
    if let asOf { account.asOf = asOf }
    let m = try #require(market ?? Examples.market)
    let v = try AccountValuer.value(account, market: m)
    return (RiskModel(valuation: v, market: m), v)
  }

  static func profile(_ name: String) throws -> RegimeProfile { try #require(Examples.regimes?.profile(name)) }

  static func size(_ symbol: String, _ side: TradeSide, _ regime: String, asOf: Day? = nil) throws -> SizeRecommendation {
    var (m, _) = try model(asOf: asOf)
    return try SizingService.size(SizingRequest(symbol: symbol, side: side), profile: profile(regime), model: &m)
  }

  static func check(_ o: Order, _ regime: String = "normal", account: Account? = nil) throws -> OrderResult {
    let (m, _) = try model(account)
    var checker = PreTradeChecker(model: m, profile: try profile(regime))
    return checker.check(o)
  }

  static func whatIf(_ s: Scenario, base: String = "normal") throws -> WhatIfReport {
    let market = try #require(Examples.market)
    return try WhatIfEngine.run(
      s, account: account(), market: market, regimes: try #require(Examples.regimes), baseRegime: base,
      followers: try FollowersCSV.load(repoPath("examples/followers.csv")))
  }

  static func scenario(_ file: String) throws -> Scenario {
    try ScenarioFile.load(repoPath("examples/scenarios/\(file)")).scenario
  }
}

/// Each defect of issue 11, reproduced on the bundled examples: these failed before the one risk model.
@Suite("Issue 11: the defects the contradictions exposed")
struct OneModelDefectTests {
  @Test("1. a reducing order's max passing quantity is at least the holding; only new risk counts")
  func reducingOrders() throws {
    let sell1 = try ExampleBook.check(Order(symbol: "GC", side: .short, quantity: 1))
    #expect(sell1.passed(strict: false) && sell1.maxQuantity == 1)
    let sell2 = try ExampleBook.check(Order(symbol: "GC", side: .short, quantity: 2, stop: 2600))
    #expect(!sell2.passed(strict: false))
    #expect(sell2.maxQuantity == 1, "\(sell2.maxQuantity ?? -1)")
    let risk = try #require(sell2.findings.first { $0.code == .riskBudgetExceeded })
    // One contract closes the long; only the second risks (2600 − 2508.40) × 100.
    let value = try #require(risk.context.first { $0.key == .value }?.value)
    if case .number(let x) = value { #expect(abs(x - (2600 - 2508.399902) * 100) < 0.05, "\(x)") }
  }

  @Test(
    "1. a size on the side that reduces a holding offers at least the close-out",
    arguments: [
      ("GC", "normal", 1.0), ("NVDA", "crisis", 300.0),
    ])
  func closeOut(symbol: String, regime: String, held: Double) throws {
    let r = try ExampleBook.size(symbol, .short, regime)
    #expect(r.quantity >= held, "\(symbol) short in \(regime): \(r.quantity)")
    #expect(r.closable == held)
    #expect(r.zeroReason == nil)
    let c = try ExampleBook.check(Order(symbol: symbol, side: .short, quantity: r.quantity, stop: r.stop), regime)
    #expect(c.passed(strict: false), "\(c.failingCodes)")
  }

  @Test("2. the trailing stop is on the protective side and never looser than the initial stop")
  func trailingSide() throws {
    let gc = try ExampleBook.size("GC", .short, "normal")
    let t1 = try #require(gc.trailingStop)
    #expect(t1 > gc.entry && t1 <= gc.stop, "short: trailing \(t1), entry \(gc.entry), stop \(gc.stop)")
    let btc = try ExampleBook.size("BTC", .long, "normal", asOf: day("2024-08-05"))
    let t2 = try #require(btc.trailingStop)
    #expect(t2 < btc.entry && t2 >= btc.stop, "long: trailing \(t2), entry \(btc.entry), stop \(btc.stop)")
    #expect(btc.diagnostics.contains { $0.code == .trailingStopAtInitial })
  }

  @Test("2. with the σ stop rule the trailing stop uses the σ distance, not 3 × ATR")
  func trailingSigma() throws {
    var p = try ExampleBook.profile("normal")
    p.stopRule = .sigma(multiple: 2, holdingDays: 5)
    var (m, _) = try ExampleBook.model()
    let r = try SizingService.size(SizingRequest(symbol: "AAPL", side: .long), profile: p, model: &m)
    let rule = try #require(r.trailingRule)
    #expect(rule.contains("σ_daily") && !rule.contains("ATR"), "\(rule)")
    let d = 2 * r.stats.dailyVolatility * r.entry * 5.0.squareRoot()
    let want = max(r.stats.highestHigh - d, r.stop)
    #expect(abs((r.trailingStop ?? 0) - (want < r.entry ? want : r.stop)) < 1e-9)
  }

  @Test("3. a long option is never repriced below zero and loses at most its premium")
  func optionsFloor() throws {
    let crisis = try ExampleBook.whatIf(ExampleBook.scenario("client-outflow-crisis.yaml"))
    let call = try #require(crisis.pnl.first { $0.symbol == "NVDA240920C00130000" })
    #expect(call.priceAfter >= 0 && call.method == .blackScholes, "\(call)")
    var s = Scenario(name: "t")
    s.shocks = [Shock(.instrument("NVDA"), -0.3)]
    let r = try ExampleBook.whatIf(s)
    let c2 = try #require(r.pnl.first { $0.symbol == "NVDA240920C00130000" })
    #expect(c2.priceAfter >= 0)
    #expect(c2.pnl >= -7.85 * 5 * 100 - 1e-9, "loss \(c2.pnl) above the premium")
    // Without strike and expiry the delta repricing is floored at zero.
    let p = Position(
      symbol: "C", assetClass: .option, quantity: 1, currency: "USD", multiplier: 100, price: 7.85, underlying: "NVDA",
      delta: 0.52)
    let d = try #require(ShockRepricer.option(p, price: 7.85, underlying: 128.5, change: -0.3, asOf: Examples.asOf))
    #expect(d.price == 0 && d.floored && d.method == .delta)
  }

  @Test("4. replay is return-based: covid-replay's path is today's exposures × the days' returns")
  func replayReturns() throws {
    let r = try ExampleBook.whatIf(ExampleBook.scenario("covid-replay.yaml"))
    let rp = try #require(r.replay)
    // Computed independently (Python over the CSV closes, exposures from advisor aum plus the 0.25 BTC order): −72,160.71.
    #expect(abs(rp.total - -72_160.71) < 0.01, "\(rp.total)")
    var s = Scenario(name: "t")
    s.replay = .worstDays(5)
    let worst = try #require(try ExampleBook.whatIf(s).replay)
    #expect(worst.path.first?.day == day("2020-03-12"), "\(worst.path.map(\.day))")
  }

  @Test("5. reductions cut no more than one lot beyond what a limit needs, and name every limit that needed it")
  func reductions() throws {
    let r = try ExampleBook.whatIf(ExampleBook.scenario("client-outflow-crisis.yaml"))
    #expect(!r.reductions.isEmpty)
    #expect(r.afterReductions.breaches.isEmpty)
    for x in r.reductions { #expect(!x.reasons.isEmpty, "\(x.symbol) was cut for no limit") }
    try OneModelProperties.expectMinimalReductions(r, profile: ExampleBook.profile("crisis"))
  }

  @Test("6. what-if never invents equity: an order on a held future fills at its price, P&L against the mark")
  func equityIdentity() throws {
    var s = Scenario(name: "t")
    s.orders = [Order(clientOrderID: "o1", symbol: "GC", side: .long, quantity: 1, stop: 2400)]
    let r = try ExampleBook.whatIf(s)
    #expect(abs(r.after.equity - r.before.equity) < 1e-6, "\(r.before.equity) → \(r.after.equity)")
    #expect(abs(r.equity.residual) < 1e-6)
    #expect(!r.failedOrders.isEmpty)
    s.orders = [Order(clientOrderID: "o2", symbol: "GC", side: .long, quantity: 1, price: 2400, stop: 2300)]
    let priced = try ExampleBook.whatIf(s)
    let mark = try #require(Examples.market?["GC"]?.through(Examples.asOf).lastClose)
    #expect(abs(priced.equity.ordersPnL - (mark - 2400) * 100) < 1e-6)
    #expect(abs(priced.equity.residual) < 1e-6)
    // Closing the held contract realises its P&L into cash: equity does not move at the mark.
    s.orders = [Order(clientOrderID: "o3", symbol: "GC", side: .short, quantity: 1)]
    let closed = try ExampleBook.whatIf(s)
    #expect(abs(closed.after.equity - closed.before.equity) < 1e-6)
  }

  @Test("7. every order budget proposes passes check in sequence; σ after does not overshoot the target")
  func budgetAgrees() throws {
    let (model, v) = try ExampleBook.model()
    let regimes = try #require(Examples.regimes)
    let r = try BudgetService.run(valuation: v, market: model.market, regimes: regimes, request: BudgetRequest())
    let eur = try #require(r.trades.first { $0.symbol == "EURUSD" })
    #expect(eur.quantity < 841_000 && eur.blockedBy.contains(.notionalCapExceeded))
    #expect(r.after.volatility <= r.targetVolatility * (1 + 1e-9), "\(r.after.volatility)")
    try OneModelProperties.expectBudgetOrdersPass(r, model: model, profile: ExampleBook.profile("normal"))
  }

  @Test("8. a held position with stale data fails check and is a coded warning in size; the window is not shortened")
  func staleHolding() throws {
    let market = try #require(Examples.market)
    // GLD ends 20 days before the as-of date; the others are fresh.
    let gld = try #require(market["GLD"]?.through(day("2024-08-01")))
    let others = market.histories.filter { $0.symbol != "GLD" }.map { $0.through(Examples.asOf) }
    let stale = MarketData(histories: others + [gld], catalog: market.catalog)
    let (m, _) = try ExampleBook.model(market: stale)
    var checker = PreTradeChecker(model: m, profile: try ExampleBook.profile("normal"))
    let r = checker.check(Order(symbol: "AAPL", side: .long, quantity: 1, stop: 200))
    #expect(r.findings.contains { $0.code == .holdingNotModelled && $0.severity == .fail })
    var m2 = m
    let (cov, diagnostics) = try m2.covariance(try ExampleBook.profile("normal"), including: ["AAPL"])
    #expect(diagnostics.contains { $0.code == .holdingNotModelled && $0.subject == "GLD" })
    #expect(cov?.position(of: "GLD") == nil)
    let aligned = try AlignedReturns(
      ["AAPL", "MSFT"].compactMap { stale[$0]?.through(Examples.asOf) }, lookback: 252, kind: .simple)
    #expect(aligned.days.last == Examples.asOf)
    var m3 = m
    let size = try SizingService.size(
      SizingRequest(symbol: "AAPL", side: .long), profile: try ExampleBook.profile("normal"), model: &m3)
    _ = size
    let report = try SizingService.run(
      SizingRequest(symbol: "AAPL", side: .long), valuation: try ExampleBook.model(market: stale).1, market: stale,
      regimes: try #require(Examples.regimes), regime: "normal")
    #expect(report.diagnostics.contains { $0.code == .holdingNotModelled && $0.subject == "GLD" })
  }

  @Test("8. a held instrument with no market data fails --strict (risk share cannot 'not apply')")
  func unmodelledHolding() throws {
    var a = try ExampleBook.account()
    a.positions.append(
      Position(symbol: "PRIVATE", assetClass: .stock, quantity: 1_000, currency: "USD", price: 420, source: "t"))
    let r = try ExampleBook.check(Order(symbol: "AAPL", side: .long, quantity: 1, stop: 200), account: a)
    #expect(!r.passed(strict: true) && !r.passed(strict: false))
    #expect(r.findings.contains { $0.code == .holdingNotModelled })
  }

  @Test("9. dropped market-data rows reach size and check, not only risk")
  func droppedRows() throws {
    let market = try #require(Examples.market)
    let nvda = try #require(market["NVDA"])
    var h = nvda
    // As if the loader had dropped 3 rows with a missing price.
    h = PriceHistory(
      symbol: h.symbol, source: h.source, days: h.days, open: h.open, high: h.high, low: h.low, close: h.close, volume: h.volume,
      lines: h.lines, droppedRows: 3)
    let data = MarketData(histories: market.histories.filter { $0.symbol != "NVDA" } + [h], catalog: market.catalog)
    let (m, v) = try ExampleBook.model(market: data)
    let report = try SizingService.run(
      SizingRequest(symbol: "AAPL", side: .long), valuation: v, market: data, regimes: try #require(Examples.regimes),
      regime: "normal")
    #expect(report.diagnostics.contains { $0.code == .marketRowsDropped && $0.subject == "NVDA" })
    var checker = PreTradeChecker(model: m, profile: try ExampleBook.profile("normal"))
    let r = checker.check(Order(symbol: "NVDA", side: .short, quantity: 10))
    #expect(r.findings.contains { $0.code == .marketDataGaps && $0.severity == .warn })
  }

  @Test("10. negative equity does not block a reduce-only order")
  func negativeEquity() throws {
    var a = try ExampleBook.account()
    a.cash = ["USD": -2_000_000]
    let sell = try ExampleBook.check(Order(symbol: "AAPL", side: .short, quantity: 100), account: a)
    #expect(sell.passed(strict: false), "\(sell.failingCodes)")
    #expect(sell.findings.contains { $0.code == .reducesPosition })
    let buy = try ExampleBook.check(Order(symbol: "AAPL", side: .long, quantity: 1, stop: 200), account: a)
    #expect(buy.findings.contains { $0.code == .equityNotPositive })
  }

  @Test("11. --regime auto in a batch judges each order by its own instrument")
  func autoPerOrder() throws {
    let (m, _) = try ExampleBook.model()
    let regimes = try #require(Examples.regimes)
    let aapl = Order(symbol: "AAPL", side: .long, quantity: 10, stop: 215)
    var alone = try PreTradeChecker(model: m, regimes: regimes, regime: .auto)
    let a1 = alone.check(aapl)
    var batch = try PreTradeChecker(model: m, regimes: regimes, regime: .auto)
    let btc = batch.check(Order(symbol: "BTC", side: .long, quantity: 0.01, stop: 58_000))
    let a2 = batch.check(aapl)
    #expect(a1.regime == a2.regime, "alone \(a1.regime ?? "?"), after BTC \(a2.regime ?? "?") (BTC \(btc.regime ?? "?"))")
    #expect(a1.passed(strict: false) == a2.passed(strict: false))
  }

  @Test(
    "12. rounding loss when the size rounds to 0; a stop below zero risks at most the price; --entry inf; option delta in the notional cap"
  )
  func smaller() throws {
    // 500 units allowed, lot 1,000: rounds to 0, and the rounding loss is the 500.
    let spec = InstrumentSpec(symbol: "GBP/USD", assetClass: .fx, lotSize: 1_000, tickSize: 0.00001)
    let st = stats("GBP/USD", close: 3, sigma: 0.0001)
    let r = try PositionSizer.size(
      SizingRequest(symbol: "GBP/USD", side: .long, entry: 3, stop: 1), spec: spec, stats: st, book: flat(100_000),
      risk: try singleRisk("GBP/USD"), profile: looseProfile(risk: 0.01))
    #expect(r.quantity == 0 && abs(r.roundingLoss - 500) < 1e-9)
    // A long's stop below zero (a stock cannot trade there): the loss per unit is the price, not more.
    let stock = InstrumentSpec(symbol: "X")
    let below = try PositionSizer.size(
      SizingRequest(symbol: "X", side: .long, entry: 10, stop: -5), spec: stock, stats: stats("X", close: 10),
      book: flat(100_000), risk: try singleRisk("X"), profile: looseProfile(risk: 0.01))
    #expect(below.riskPerUnit == 10)
    #expect(below.diagnostics.contains { $0.code == .stopAtOrBelowZero })
    #expect(throws: SizingError.nonFiniteEntry(.infinity)) {
      try PositionSizer.size(
        SizingRequest(symbol: "X", side: .long, entry: .infinity, stop: 9), spec: stock, stats: stats("X", close: 10),
        book: flat(100_000), risk: nil, profile: looseProfile(risk: 0.01))
    }
    // NVDA's notional includes the call's delta exposure (5 × 100 × 0.52 × 128.50 = 33,410).
    let c = try ExampleBook.check(Order(symbol: "NVDA", side: .long, quantity: 1, stop: 120))
    let notional = try #require(c.findings.first { $0.code == .notionalCapOK || $0.code == .notionalCapExceeded })
    if case .number(let x)? = notional.context.first(where: { $0.key == .value })?.value {
      #expect(abs(x - (301 * 128.5 + 33_410)) < 1e-6, "\(x)")
    }
  }

  @Test("12. aum files an FX pair under its base currency, and foreign cash is an FX exposure")
  func currencies() throws {
    let (_, v) = try ExampleBook.model()
    let eur = try #require(v.byCurrency.first { $0.key == "EUR" })
    let eurusd = try #require(v.positions.first { $0.position.symbol == "EURUSD" })
    let cash = try #require(v.cash.first { $0.currency == "EUR" })
    #expect(eur.positions == 1)
    #expect(abs(eur.net - (eurusd.exposure + cash.value)) < 1e-6)
    #expect(abs(eur.gross - (abs(eurusd.exposure) + abs(cash.value))) < 1e-6)
  }
}

@Test("docs/DIAGNOSTICS.md lists every diagnostic code")
func diagnosticsDocumented() throws {
  let doc = try String(contentsOfFile: repoPath("docs/DIAGNOSTICS.md"), encoding: .utf8)
  for code in DiagnosticCode.allCases { #expect(doc.contains("`\(code.rawValue)`"), "\(code.rawValue) is not documented") }
}
