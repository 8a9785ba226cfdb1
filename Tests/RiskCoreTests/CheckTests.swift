import Foundation
import LinearAlgebra
import RiskCore
import RiskIO
import Testing

/// The bundled example market data and profiles, loaded once.
enum Examples {
  static let market: MarketData? = try? MarketInputs.load(market: repoPath("examples/market"), instruments: nil)
  static let regimes: RegimeSet? = try? ProfileFile.loadDirectory(repoPath("profiles"))
  static let asOf = day("2024-08-21")
  static let symbols = ["AAPL", "MSFT", "NVDA", "JPM", "TSLA", "GLD", "BTC", "ETH", "GC", "EURUSD"]

  /// A random account over the example instruments.
  static func randomAccount(_ g: inout SeededGenerator, market: MarketData) -> Account {
    var positions: [Position] = []
    for s in symbols.shuffled(using: &g).prefix(Int.random(in: 0...6, using: &g)) {
      let spec = market.catalog.spec(for: s)
      guard let close = market[s]?.lastClose else { continue }
      let notional = Double.random(in: 5_000...150_000, using: &g) * (Bool.random(using: &g) ? 1 : -1)
      let q = roundDownToLot(abs(notional) / (close * spec.multiplier), lot: spec.lotSize).quantity
      if q == 0 { continue }
      positions.append(
        Position(
          symbol: s, assetClass: spec.assetClass, quantity: notional < 0 ? -q : q, currency: spec.currency,
          multiplier: spec.multiplier,
          averageCost: close * Double.random(in: 0.9...1.1, using: &g), source: "random"))
    }
    return Account(
      name: "random", baseCurrency: "USD", asOf: asOf, fx: FXRates(base: "USD", basePerUnit: ["JPY": 1 / 145.35]),
      cash: ["USD": Double.random(in: 200_000...2_000_000, using: &g)], positions: positions, source: "random")
  }

  /// The one risk model of an account over the example market data.
  static func model(_ account: Account, market: MarketData? = nil) throws -> (RiskModel, AccountValuation) {
    let m = try #require(market ?? Self.market)
    let v = try AccountValuer.value(account, market: m)
    return (RiskModel(valuation: v, market: m), v)
  }
}

@Suite("advisor check: the same limits as advisor size")
struct CheckPropertyTests {
  @Test("an order of exactly the recommended size always passes (random accounts, instruments, sides, regimes)")
  func recommendedPasses() throws {
    let market = try #require(Examples.market)
    let regimes = try #require(Examples.regimes)
    var g = SeededGenerator(state: 2024)
    var nonZero = 0
    for _ in 0..<120 {
      let account = Examples.randomAccount(&g, market: market)
      let profile = try #require(regimes.profiles.randomElement(using: &g))
      let symbol = try #require((Examples.symbols + ["USDJPY"]).randomElement(using: &g))
      let side: TradeSide = Bool.random(using: &g) ? .long : .short
      var (model, _) = try Examples.model(account)
      let rec = try SizingService.size(SizingRequest(symbol: symbol, side: side), profile: profile, model: &model)
      guard rec.quantity > 0 else { continue }
      nonZero += 1
      var checker = PreTradeChecker(model: model, profile: profile)
      let result = checker.check(Order(symbol: symbol, side: side, quantity: rec.quantity, stop: rec.stop))
      #expect(
        result.passed(strict: false),
        "\(symbol) \(side) \(rec.quantity) in \(profile.name): \(result.findings.filter { $0.severity == .fail }.map(\.code.rawValue))"
      )
      #expect(
        result.maxQuantity.map { abs($0 - rec.quantity) <= 1e-9 * rec.quantity } ?? false,
        "check's max \(result.maxQuantity ?? -1) vs size \(rec.quantity)")
      // One lot more than a binding size limit fails it.
      if let b = rec.binding, b != .riskShare, b != .volatilityBudget {
        let more = rec.unroundedQuantity + rec.lotSize * 1.5
        var fresh = PreTradeChecker(model: model, profile: profile)
        let r2 = fresh.check(
          Order(symbol: symbol, side: side, quantity: roundDownToLot(more, lot: rec.lotSize).quantity, stop: rec.stop))
        let held = model.book.quantity(of: symbol)
        if !(held * side.sign < 0) { #expect(!r2.passed(strict: false), "\(symbol) one lot above \(b) passed") }
      }
    }
    #expect(nonZero > 40, "too few non-zero sizes to test the property (\(nonZero))")
  }

  @Test("a client order id used again fails with the first order's place, however often it comes back")
  func duplicateIDs() throws {
    let normal = try #require(Examples.regimes?.profile("normal"))
    let account = Account(
      name: "a", baseCurrency: "USD", asOf: Examples.asOf, fx: FXRates(base: "USD"), cash: ["USD": 1_000_000], positions: [],
      source: "t")
    let (model, _) = try Examples.model(account)
    var checker = PreTradeChecker(model: model, profile: normal)
    func order(_ id: String) -> Order { Order(clientOrderID: id, symbol: "AAPL", side: .long, quantity: 1, stop: 220) }
    func firstUse(_ r: OrderResult) -> Double? {
      guard let f = r.findings.first(where: { $0.code == .duplicateClientOrderID }) else { return nil }
      for (k, v) in f.context where k == .firstIndex { if case .number(let n) = v { return n } }
      return -1
    }
    // A preview is not part of the batch: it neither takes an id nor counts.
    #expect(firstUse(checker.preview(order("B"))) == nil)
    let results = ["A", "B", "A", "C", "A", "B"].map { checker.check(order($0)) }
    #expect(results.map(firstUse) == [nil, nil, 1, nil, 1, 2])
    #expect(results.map { $0.passed(strict: false) } == [true, true, false, true, false, false])
  }

  @Test("a batch is sequential: orders that pass alone can fail together")
  func sequential() throws {
    let regimes = try #require(Examples.regimes)
    let crisis = try #require(regimes.profile("crisis"))
    let account = Account(
      name: "a", baseCurrency: "USD", asOf: Examples.asOf, fx: FXRates(base: "USD"), cash: ["USD": 1_000_000], positions: [],
      source: "t")
    let (env, _) = try Examples.model(account)
    // Crisis notional cap: 6% of 1,000,000 = 60,000 → 265 AAPL at 226.40. 200 + 200 breaks it.
    // (Risk budget: 0.25% of 1,000,000 = 2,500 over a 6.40 stop distance allows 390.)
    var checker = PreTradeChecker(model: env, profile: crisis)
    let first = checker.check(Order(symbol: "AAPL", side: .long, quantity: 200, stop: 220))
    let second = checker.check(Order(symbol: "AAPL", side: .long, quantity: 200, stop: 220))
    #expect(first.passed(strict: false))
    #expect(!second.passed(strict: false))
    #expect(second.findings.contains { $0.code == .notionalCapExceeded })
    var alone = PreTradeChecker(model: env, profile: crisis)
    #expect(alone.check(Order(symbol: "AAPL", side: .long, quantity: 200, stop: 220)).passed(strict: false))
  }

  @Test("an order that only reduces a position passes the exposure limits, even in crisis over the caps")
  func reduceOnly() throws {
    let regimes = try #require(Examples.regimes)
    let crisis = try #require(regimes.profile("crisis"))
    // 1,000 NVDA (128,500) on 100,000 of equity: leverage 1.29, far over every crisis cap.
    let account = Account(
      name: "a", baseCurrency: "USD", asOf: Examples.asOf, fx: FXRates(base: "USD"), cash: ["USD": -28_500],
      positions: [Position(symbol: "NVDA", assetClass: .stock, quantity: 1_000, currency: "USD", source: "t")], source: "t")
    let (env, _) = try Examples.model(account)
    var checker = PreTradeChecker(model: env, profile: crisis)
    let sell = checker.check(Order(symbol: "NVDA", side: .short, quantity: 400))
    #expect(sell.passed(strict: false), "\(sell.findings.filter { $0.severity == .fail }.map(\.code))")
    #expect(sell.reducesOnly)
    #expect(sell.findings.contains { $0.code == .reducesPosition })
    let buy = checker.check(Order(symbol: "NVDA", side: .long, quantity: 10, stop: 120))
    #expect(!buy.passed(strict: false))
    #expect(buy.findings.contains { $0.code == .leverageCapExceeded || $0.code == .notionalCapExceeded })
  }

  @Test("fail closed: without a covariance the volatility budget is not evaluated and the order fails")
  func failClosed() throws {
    let market = try #require(Examples.market)
    let regimes = try #require(Examples.regimes)
    let normal = try #require(regimes.profile("normal"))
    // AAPL with 100 bars: too short for the 252-return window, so no covariance can hold it.
    let h = try #require(market["AAPL"]?.through(Examples.asOf))
    let n = h.count
    let short = PriceHistory(
      symbol: "AAPL", source: h.source, days: Array(h.days[(n - 100)...]), open: Array(h.open[(n - 100)...]),
      high: Array(h.high[(n - 100)...]), low: Array(h.low[(n - 100)...]), close: Array(h.close[(n - 100)...]),
      volume: Array(h.volume[(n - 100)...]), lines: Array(h.lines[(n - 100)...]))
    var profile = normal
    profile.volatilityLookback = 60
    let (env, _) = try Examples.model(
      Account(
        name: "a", baseCurrency: "USD", asOf: Examples.asOf, fx: FXRates(base: "USD"), cash: ["USD": 100_000], positions: [],
        source: "t"),
      market: MarketData(histories: [short], catalog: market.catalog))
    var checker = PreTradeChecker(model: env, profile: profile)
    let r = checker.check(Order(symbol: "AAPL", side: .long, quantity: 10, stop: 200))
    #expect(!r.passed(strict: false))
    #expect(r.findings.contains { $0.code == .checkNotEvaluated })
  }

  @Test("strict mode fails warnings")
  func strict() throws {
    let regimes = try #require(Examples.regimes)
    let normal = try #require(regimes.profile("normal"))
    let (env, _) = try Examples.model(
      Account(
        name: "a", baseCurrency: "USD", asOf: Examples.asOf, fx: FXRates(base: "USD"), cash: ["USD": 1_000_000], positions: [],
        source: "t"))
    var checker = PreTradeChecker(model: env, profile: normal, strict: true)
    // A stop 0.1% away is inside one day's noise: a warning.
    let r = checker.check(Order(symbol: "AAPL", side: .long, quantity: 10, stop: 226.2))
    #expect(r.worst == .warn)
    #expect(!r.passed(strict: true) && r.passed(strict: false))
  }

  @Test("the streaming JSON Lines writer gives the same bytes as the JSON document renderer")
  func jsonLineMatches() throws {
    let regimes = try #require(Examples.regimes)
    let normal = try #require(regimes.profile("normal"))
    let account = Account(
      name: "a", baseCurrency: "USD", asOf: Examples.asOf, fx: FXRates(base: "USD"), cash: ["USD": 100_000],
      positions: [Position(symbol: "TSLA", assetClass: .stock, quantity: -100, currency: "USD", source: "t")], source: "t")
    let (env, _) = try Examples.model(account)
    var checker = PreTradeChecker(model: env, profile: normal)
    let inputs: [OrderInput] = [
      .order(
        Order(clientOrderID: "a \"quoted\" id", symbol: "AAPL", side: .long, quantity: 10, price: 226.5, stop: 215, line: 2)),
      .order(Order(symbol: "BTC", side: .long, quantity: 3, stop: 61_000)),
      .order(Order(symbol: "BTX", side: .short, quantity: 1)),
      .order(Order(symbol: "TSLA", side: .long, quantity: 50)),
      .malformed(line: 9, clientOrderID: nil, message: "t.csv line 9, field 'side': 'hold' is not buy or sell."),
    ]
    for (i, input) in inputs.enumerated() {
      let r = checker.check(input)
      let viaTree = try CheckRenderer.json(r, strict: false, regime: normal.name, asOf: Examples.asOf, index: i + 1).rendered(
        pretty: false)
      #expect(CheckRenderer.jsonLine(r, strict: false, regime: normal.name, asOf: Examples.asOf, index: i + 1) == viaTree)
    }
  }

  @Test("docs/CHECK_CODES.md lists every finding code")
  func documented() throws {
    let doc = try String(contentsOfFile: repoPath("docs/CHECK_CODES.md"), encoding: .utf8)
    for code in FindingCode.allCases { #expect(doc.contains("`\(code.rawValue)`"), "\(code.rawValue) is not documented") }
  }
}
