import LinearAlgebra
import RiskIO
import Testing

@testable import RiskCore

/// A profile where only the risk budget (and what a test sets) can bind.
func looseProfile(risk: Double, name: String = "test") -> RegimeProfile {
  RegimeProfile(
    name: name, riskPerTrade: risk, maxPositionNotional: 1_000, maxGrossLeverage: 1_000, portfolioVolatilityBudget: 10,
    maxRiskShare: 1, maxADVFraction: 1, maxDataAgeDays: 10_000)
}

func stats(
  _ symbol: String, close: Double, sigma: Double = 0.01, atr: Double? = nil, adv: Double? = nil, day: Day = Day(ordinal: 20_000)
) -> InstrumentStats {
  InstrumentStats(
    symbol: symbol, source: DataSource(path: "\(symbol).csv"), lastDay: day, lastClose: close, lastLine: 2,
    dailyVolatility: sigma, volatilityMethod: .ewma, volatilityLookback: 252, periodsPerYear: 252,
    atr: atr.map { WilderATR.Value(period: 14, value: $0, fractionOfClose: $0 / close) }, averageDailyVolume: adv, advDays: 20,
    highestHigh: close * 1.05, lowestLow: close * 0.95, chandelierPeriod: 22)
}

/// A flat account (no positions), or one holding `lines`.
func flat(
  _ equity: Double, base: String = "USD", fx: [String: Double] = [:], day: Day = Day(ordinal: 20_000), lines: [BookLine] = []
) -> Book {
  Book(baseCurrency: base, asOf: day, equity: equity, fx: FXRates(base: base, basePerUnit: fx), lines: lines)
}

/// A holding of `exposure` base-currency units (one unit = 1) of a stock.
func holding(_ symbol: String, _ exposure: Double, _ assetClass: AssetClass = .stock) -> BookLine {
  BookLine(symbol: symbol, assetClass: assetClass, quantity: exposure, unitExposure: 1)
}

func singleRisk(_ symbol: String, annualVol: Double = 0.2) throws -> PortfolioRiskModel {
  try PortfolioRiskModel(
    symbols: [symbol], covariance: SymmetricMatrix(diagonal: [annualVol * annualVol]), exposures: [0], observations: 252,
    periodsPerYear: 252, method: .sample, repair: nil)
}

@Suite("Published sizing vectors, through PositionSizer")
struct PublishedSizingTests {
  func size(
    equity: Double, risk: Double, entry: Double, stop: Double, lot: Double, multiplier: Double = 1, hardLimit: Double? = nil,
    symbol: String = "GBP/USD"
  ) throws -> SizeRecommendation {
    let spec = InstrumentSpec(symbol: symbol, assetClass: .fx, multiplier: multiplier, lotSize: lot, tickSize: 0.00001)
    let st = stats(symbol, close: entry, sigma: 0.0001, adv: hardLimit)
    return try PositionSizer.size(
      SizingRequest(symbol: symbol, side: .long, entry: entry, stop: stop), spec: spec, stats: st, book: flat(equity),
      risk: try singleRisk(symbol), profile: looseProfile(risk: risk))
  }

  // NautilusTrader FixedRiskSizer tests (GBP/USD, no commission).
  @Test("equity 1,000,000, risk 0.1%, entry 1.00100, stop 1.00000, batch 1,000 → 1,000,000")
  func nautilus1() throws {
    let r = try size(equity: 1_000_000, risk: 0.001, entry: 1.00100, stop: 1.00000, lot: 1_000)
    #expect(r.quantity == 1_000_000)
    #expect(r.binding == .riskBudget)
  }

  @Test("risk 0.1% split into 4 units, entry 1.00087, batch 25,000 → 275,000 per unit")
  func nautilus2() throws {
    // Each of 4 units carries a quarter of the risk.
    let r = try size(equity: 1_000_000, risk: 0.001 / 4, entry: 1.00087, stop: 1.00000, lot: 25_000)
    #expect(r.quantity == 275_000)
  }

  @Test("risk 1%, entry 1.00010, hard limit 500,000 → 500,000")
  func nautilus3() throws {
    let r = try size(equity: 1_000_000, risk: 0.01, entry: 1.00010, stop: 1.00000, lot: 1, hardLimit: 500_000)
    #expect(r.quantity == 500_000)
    #expect(r.binding == .liquidity)
  }

  @Test("equity 100,000, risk 1%, entry 3, stop 1, batch 1,000 → 0, and says why")
  func nautilus4() throws {
    let r = try size(equity: 100_000, risk: 0.01, entry: 3, stop: 1, lot: 1_000)
    #expect(r.quantity == 0)
    #expect(r.unroundedQuantity == 500)
    let reason = try #require(r.zeroReason)
    #expect(reason.contains("less than one lot"))
  }

  @Test("futures multiplier 1,000: equity 1,000,000, risk 1%, stop distance 1.00 → 10 contracts, not 10,000")
  func futuresMultiplier() throws {
    let r = try size(equity: 1_000_000, risk: 0.01, entry: 75, stop: 74, lot: 1, multiplier: 1_000, symbol: "CL")
    #expect(r.quantity == 10)
    #expect(r.riskPerUnit == 1_000)
  }

  @Test("Turtle unit: N 0.0141, account 1,000,000, 42,000 per point, 1% per N → 16 contracts")
  func turtle() throws {
    let r = try size(equity: 1_000_000, risk: 0.01, entry: 2.0, stop: 2.0 - 0.0141, lot: 1, multiplier: 42_000, symbol: "HO")
    #expect(abs(r.unroundedQuantity - 16.886) < 0.001)
    #expect(r.quantity == 16)
  }
}

@Suite("Sizing: hand-computed cases")
struct SizingCaseTests {
  @Test("a JPY stock on a USD account: risk and notional through the FX rate")
  func jpyStock() throws {
    // 7203 at 3,000 JPY, stop 2,850; 1 JPY = 0.0068 USD; equity 1,000,000 USD, risk 1%, lot 100.
    // Loss per share 150 × 0.0068 = 1.02 USD; 10,000 / 1.02 = 9,803.9 → 9,800 shares.
    let spec = InstrumentSpec(symbol: "7203", assetClass: .stock, currency: "JPY", lotSize: 100)
    let r = try PositionSizer.size(
      SizingRequest(symbol: "7203", side: .long, entry: 3_000, stop: 2_850), spec: spec, stats: stats("7203", close: 3_000),
      book: flat(1_000_000, fx: ["JPY": 0.0068]), risk: try singleRisk("7203"), profile: looseProfile(risk: 0.01))
    #expect(r.quantity == 9_800)
    #expect(abs(r.notional - 9_800 * 3_000 * 0.0068) < 1e-6)
    #expect(abs(r.moneyAtRisk - 9_800 * 1.02) < 1e-6)
  }

  @Test("EURUSD on a USD account with a notional cap of 20% of equity")
  func eurusd() throws {
    // Entry 1.10, stop 1.09 (0.01): risk 0.5% of 500,000 = 2,500 → 250,000 EUR; cap 100,000 USD → 90,909 → 90,000 (lot 1,000).
    var profile = looseProfile(risk: 0.005)
    profile.maxPositionNotional = 0.2
    let spec = InstrumentSpec(symbol: "EURUSD", assetClass: .fx, currency: "USD", lotSize: 1_000)
    let r = try PositionSizer.size(
      SizingRequest(symbol: "EURUSD", side: .long, entry: 1.10, stop: 1.09), spec: spec, stats: stats("EURUSD", close: 1.10),
      book: flat(500_000), risk: try singleRisk("EURUSD"), profile: profile)
    #expect(r.binding == .notionalCap)
    #expect(r.quantity == 90_000)
    let limit = try #require(r.limits.first { $0.id == .riskBudget }?.maxQuantity)
    #expect(abs(limit - 250_000) < 1e-6)
  }

  @Test("leverage cap: existing gross exposure leaves room for the rest")
  func leverage() throws {
    var profile = looseProfile(risk: 1)
    profile.maxGrossLeverage = 2
    let state = flat(100_000, lines: [holding("OTHER", 150_000)])
    let spec = InstrumentSpec(symbol: "X", lotSize: 1)
    let r = try PositionSizer.size(
      SizingRequest(symbol: "X", side: .long, entry: 100, stop: 90), spec: spec, stats: stats("X", close: 100), book: state,
      risk: try singleRisk("X"), profile: profile)
    // Room 200,000 − 150,000 = 50,000 → 500 shares.
    #expect(r.quantity == 500)
    #expect(r.binding == .accountLeverage)
    #expect(abs(r.leverageAfter - 2) < 1e-12)
  }

  @Test("portfolio volatility budget solved in closed form")
  func volatilityBudget() throws {
    // One instrument, annual σ 20%, budget 10% of equity 1,000,000 → exposure 500,000 → 5,000 shares at 100.
    var profile = looseProfile(risk: 1)
    profile.portfolioVolatilityBudget = 0.10
    let r = try PositionSizer.size(
      SizingRequest(symbol: "X", side: .long, entry: 100, stop: 50), spec: InstrumentSpec(symbol: "X"),
      stats: stats("X", close: 100),
      book: flat(1_000_000), risk: try singleRisk("X", annualVol: 0.2), profile: profile)
    #expect(r.binding == .volatilityBudget)
    #expect(r.quantity == 5_000)
    #expect(abs((r.portfolioVolatilityAfter ?? 0) - 0.10) < 1e-12)
  }

  @Test("risk-share cap: two uncorrelated equal-vol assets, 50% share means equal exposures")
  func riskShare() throws {
    var profile = looseProfile(risk: 1)
    profile.maxRiskShare = 0.5
    let state = flat(1_000_000, lines: [holding("A", 100_000)])
    let model = try PortfolioRiskModel(
      symbols: ["A", "B"], covariance: SymmetricMatrix(diagonal: [0.04, 0.04]), exposures: [100_000, 0], observations: 252,
      periodsPerYear: 252, method: .sample, repair: nil)
    let r = try PositionSizer.size(
      SizingRequest(symbol: "B", side: .long, entry: 100, stop: 50), spec: InstrumentSpec(symbol: "B"),
      stats: stats("B", close: 100),
      book: state, risk: model, profile: profile)
    #expect(r.binding == .riskShare)
    #expect(r.quantity == 1_000)
    #expect(abs((r.riskShareAfter ?? 0) - 0.5) < 1e-12)
  }

  @Test("stops: rule placement, wrong side, equal to entry, noise warning")
  func stops() throws {
    var profile = looseProfile(risk: 0.01)
    profile.stopRule = .atr(multiple: 2, period: 14)
    let spec = InstrumentSpec(symbol: "X")
    let st = stats("X", close: 100, sigma: 0.02, atr: 3)
    let r = try PositionSizer.size(
      SizingRequest(symbol: "X", side: .short), spec: spec, stats: st, book: flat(100_000), risk: try singleRisk("X"),
      profile: profile)
    #expect(r.stop == 106)
    #expect(r.takeProfits.map(\.price) == [94, 88, 82])
    #expect(throws: SizingError.stopOnWrongSide(side: .long, entry: 100, stop: 101)) {
      try PositionSizer.size(
        SizingRequest(symbol: "X", side: .long, stop: 101), spec: spec, stats: st, book: flat(100_000),
        risk: try singleRisk("X"), profile: profile)
    }
    #expect(throws: SizingError.stopEqualsEntry(100)) {
      try PositionSizer.size(
        SizingRequest(symbol: "X", side: .long, stop: 100), spec: spec, stats: st, book: flat(100_000),
        risk: try singleRisk("X"), profile: profile)
    }
    let tight = try PositionSizer.size(
      SizingRequest(symbol: "X", side: .long, stop: 99.5), spec: spec, stats: st, book: flat(100_000), risk: try singleRisk("X"),
      profile: profile)
    #expect(tight.warnings.contains { $0.contains("inside one day's noise") })
  }

  @Test("fail closed: stale data, non-positive equity, no FX rate, non-positive entry")
  func failClosed() throws {
    let spec = InstrumentSpec(symbol: "X", currency: "CHF")
    let st = stats("X", close: 100, day: Day(ordinal: 19_990))
    var profile = looseProfile(risk: 0.01)
    profile.maxDataAgeDays = 4
    #expect(throws: SizingError.self) {
      try PositionSizer.size(
        SizingRequest(symbol: "X", side: .long, stop: 90), spec: spec, stats: st, book: flat(1_000, fx: ["CHF": 1.1]), risk: nil,
        profile: profile)
    }
    let fresh = stats("X", close: 100)
    #expect(throws: SizingError.nonPositiveEquity(-5, "USD")) {
      try PositionSizer.size(
        SizingRequest(symbol: "X", side: .long, stop: 90), spec: spec, stats: fresh, book: flat(-5), risk: nil, profile: profile)
    }
    #expect(throws: SizingError.noFXRate(currency: "CHF", base: "USD")) {
      try PositionSizer.size(
        SizingRequest(symbol: "X", side: .long, stop: 90), spec: spec, stats: fresh, book: flat(1_000), risk: nil,
        profile: profile)
    }
    #expect(throws: SizingError.nonPositiveEntry(0)) {
      try PositionSizer.size(
        SizingRequest(symbol: "X", side: .long, entry: 0, stop: -1), spec: spec, stats: fresh, book: flat(1_000, fx: ["CHF": 1]),
        risk: nil, profile: profile)
    }
    // No covariance: the volatility budget cannot be evaluated, so the size is 0 (fail closed).
    let r = try PositionSizer.size(
      SizingRequest(symbol: "X", side: .long, stop: 90), spec: spec, stats: fresh, book: flat(1_000, fx: ["CHF": 1]), risk: nil,
      profile: profile)
    #expect(r.quantity == 0)
  }

  @Test(
    "rounding to lots never rounds up",
    arguments: [
      (0.30000000000000004, 0.1, 0.3), (9.999999999999998, 1.0, 10.0), (0.29999, 0.1, 0.2), (1234.5678, 0.0001, 1234.5678),
      (500, 1000, 0),
    ])
  func rounding(q: Double, lot: Double, want: Double) {
    #expect(roundDownToLot(q, lot: lot).quantity == want)
  }
}

/// Random cases for the properties.
struct RandomCase {
  var equity: Double
  var entry: Double
  var distanceATR: Double
  var atr: Double
  var sigma: Double
  var lot: Double
  var multiplier: Double
  var fx: Double
  var existing: [Double]
  var vols: [Double]
  var correlation: Double
  var adv: Double

  init(_ g: inout SeededGenerator) {
    let equity = Double.random(in: 10_000...5_000_000, using: &g)
    self.equity = equity
    entry = Double.random(in: 1...5_000, using: &g)
    atr = entry * Double.random(in: 0.005...0.08, using: &g)
    distanceATR = Double.random(in: 0.5...5, using: &g)
    sigma = Double.random(in: 0.003...0.06, using: &g)
    lot = [0.0001, 0.01, 1, 10, 100].randomElement(using: &g) ?? 1
    multiplier = [1, 1, 10, 50, 100].randomElement(using: &g) ?? 1
    fx = [1, 1, 1.1, 0.0068, 1.27].randomElement(using: &g) ?? 1
    let n = Int.random(in: 0...4, using: &g)
    existing = (0..<n).map { _ in Double.random(in: 0...0.8, using: &g) * equity }
    vols = (0...n).map { _ in Double.random(in: 0.05...0.9, using: &g) }
    correlation = Double.random(in: 0...0.8, using: &g)
    adv = Double.random(in: 100...10_000_000, using: &g)
  }

  func model(volScale: Double = 1) throws -> PortfolioRiskModel {
    let n = vols.count
    var rows = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n {
      for j in 0..<n {
        let vi = vols[i] * (i == n - 1 ? volScale : 1)
        let vj = vols[j] * (j == n - 1 ? volScale : 1)
        rows[i][j] = (i == j ? 1 : correlation) * vi * vj
      }
    }
    let symbols = (0..<(n - 1)).map { "H\($0)" } + ["X"]
    return try PortfolioRiskModel(
      symbols: symbols, covariance: try SymmetricMatrix(rowArrays: rows), exposures: existing + [0], observations: 252,
      periodsPerYear: 252, method: .sample, repair: nil)
  }

  func state() -> Book {
    Book(
      baseCurrency: "USD", asOf: Day(ordinal: 20_000), equity: equity, fx: FXRates(base: "USD", basePerUnit: ["EUR": fx]),
      lines: existing.indices.map { holding("H\($0)", existing[$0]) })
  }

  var spec: InstrumentSpec {
    InstrumentSpec(symbol: "X", assetClass: .stock, currency: "EUR", multiplier: multiplier, lotSize: lot)
  }

  func size(_ profile: RegimeProfile, side: TradeSide = .long, volScale: Double = 1, stopScale: Double = 1, useRule: Bool = false)
    throws -> SizeRecommendation
  {
    let st = stats("X", close: entry, sigma: sigma * volScale, atr: atr * volScale, adv: adv)
    let d = distanceATR * atr * volScale * stopScale
    let stop = useRule ? nil : (side == .long ? entry - d : entry + d)
    return try PositionSizer.size(
      SizingRequest(symbol: "X", side: side, entry: entry, stop: stop), spec: spec, stats: st, book: state(),
      risk: try model(volScale: volScale), profile: profile)
  }
}

@Suite("Sizing properties over random accounts, instruments and regimes")
struct SizingPropertyTests {
  static let regimes: RegimeSet? = try? ProfileFile.loadDirectory(repoPath("profiles"))

  @Test("the shipped profiles load, calm to crisis")
  func profilesLoad() throws {
    let r = try #require(Self.regimes)
    #expect(r.names == ["calm", "normal", "volatile", "crisis"])
  }

  @Test("the size never exceeds any limit, is a whole number of lots, and rounding never rounds up")
  func withinLimits() throws {
    let regimes = try #require(Self.regimes)
    var g = SeededGenerator(state: 42)
    for _ in 0..<400 {
      let c = RandomCase(&g)
      for p in regimes.profiles {
        let r = try c.size(p)
        for l in r.limits where l.applies {
          #expect(r.quantity <= (l.maxQuantity ?? 0) * (1 + 1e-9) + 1e-12, "\(l.id) \(r.quantity) > \(l.maxQuantity ?? 0)")
          if r.quantity > 0 { #expect(r.quantity >= l.minQuantity * (1 - 1e-9)) }
        }
        #expect(r.quantity <= r.unroundedQuantity * (1 + 1e-12))
        let lots = r.quantity / c.lot
        #expect(abs(lots - lots.rounded()) < 1e-6)
        #expect(r.quantity > 0 || r.zeroReason != nil)
      }
    }
  }

  @Test("the size never increases when volatility rises, the stop widens, or the regime moves toward crisis")
  func monotone() throws {
    let regimes = try #require(Self.regimes)
    var g = SeededGenerator(state: 7)
    for _ in 0..<300 {
      let c = RandomCase(&g)
      for p in regimes.profiles {
        let base = try c.size(p, useRule: true).quantity
        #expect(try c.size(p, volScale: 1.5, useRule: true).quantity <= base, "volatility up increased the size in \(p.name)")
        let given = try c.size(p).quantity
        #expect(try c.size(p, stopScale: 1.7).quantity <= given, "a wider stop increased the size in \(p.name)")
      }
      let sizes = try regimes.profiles.map { try c.size($0, useRule: true).quantity }
      for i in 1..<sizes.count {
        #expect(sizes[i] <= sizes[i - 1], "\(regimes.profiles[i].name) allows more than \(regimes.profiles[i - 1].name)")
      }
    }
  }

  @Test("long and short are symmetric on a flat account")
  func symmetry() throws {
    let regimes = try #require(Self.regimes)
    var g = SeededGenerator(state: 99)
    for _ in 0..<200 {
      var c = RandomCase(&g)
      c.existing = []
      c.vols = [c.vols[0]]
      for p in regimes.profiles {
        let l = try c.size(p, side: .long)
        let s = try c.size(p, side: .short)
        #expect(l.quantity == s.quantity)
        #expect(l.binding == s.binding)
      }
    }
  }
}
