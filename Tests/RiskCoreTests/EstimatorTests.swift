import LinearAlgebra
import RiskCore
import Testing

func day(_ s: String) -> Day {
  guard let d = Day(iso: s) else { fatalError("bad test date \(s)") }
  return d
}

/// A synthetic daily series on consecutive weekdays (or every day when `sevenDay`).
func series(_ symbol: String, closes: [Double], start: String = "2024-01-01", sevenDay: Bool = false, ohlc: Bool = true)
  -> PriceHistory
{
  var days: [Day] = []
  var d = day(start)
  while days.count < closes.count {
    if sevenDay || !d.isWeekend { days.append(d) }
    d = d.adding(days: 1)
  }
  let opens = ohlc ? closes.map { $0 * 0.999 } : []
  let highs = ohlc ? closes.map { $0 * 1.01 } : []
  let lows = ohlc ? closes.map { $0 * 0.99 } : []
  return PriceHistory(
    symbol: symbol, source: DataSource(path: "\(symbol).csv"), days: days, open: opens, high: highs, low: lows,
    close: closes, lines: Array(2..<(2 + closes.count)))
}

func randomWalk(_ n: Int, seed: UInt64, vol: Double = 0.02) -> [Double] {
  var g = SeededGenerator(state: seed)
  var p = 100.0
  return (0..<n).map { _ in
    p *= 1 + Double.random(in: -vol...vol, using: &g)
    return p
  }
}

struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite("Day")
struct DayTests {
  @Test("civil conversion round-trips and weekdays are right")
  func civil() {
    #expect(day("1970-01-01").ordinal == 0)
    #expect(day("2020-04-20").isoWeekday == 1)  // a Monday
    #expect(day("2024-08-24").isWeekend)
    #expect(Day(iso: "2023-02-29") == nil)
    #expect(Day(iso: "2024-02-29")?.description == "2024-02-29")
    for o in stride(from: day("0001-01-01").ordinal, to: day("9999-12-31").ordinal, by: 997) {
      let d = Day(ordinal: o)
      #expect(Day(iso: d.description) == d)
    }
  }

  @Test("periods per year: over 20% weekend dates means 365")
  func periods() {
    #expect(PeriodsPerYear.infer(series("A", closes: randomWalk(50, seed: 1)).days) == 252)
    #expect(PeriodsPerYear.infer(series("B", closes: randomWalk(50, seed: 1), sevenDay: true).days) == 365)
  }
}

@Suite("Covariance estimators")
struct CovarianceContractTests {
  static let estimators: [any CovarianceEstimator] = [
    SampleCovariance(), EWMACovariance(lambda: 0.94), LedoitWolfCovariance(), OASCovariance(),
    LedoitWolfConstantCorrelationCovariance(),
  ]

  @Test("every covariance method has an estimator in the contract test, and reports shrinkage when it shrinks")
  func everyMethod() {
    #expect(Set(Self.estimators.map(\.method)) == Set(CovarianceMethod.allCases))
    for m in CovarianceMethod.allCases { #expect(m.estimator(lambda: 0.94).method == m) }
  }

  /// The contract every estimator must meet: N × N in input order, finite,
  /// exactly symmetric, PSD, and for T < N (singular) still PSD and unrepaired.
  @Test("contract: symmetric, PSD, finite, in the input's order", arguments: [(60, 4), (30, 10), (5, 12), (40, 120)])
  func contract(t: Int, n: Int) throws {
    var m = Matrix(rows: t, columns: n)
    var g = SeededGenerator(state: UInt64(t * 100 + n))
    for i in 0..<t {
      for j in 0..<n { m[i, j] = Double.random(in: -0.03...0.03, using: &g) * Double(j + 1) }
    }
    for e in Self.estimators {
      let est = try e.estimate(m)
      let c = est.daily
      #expect(c.dimension == n)
      #expect(c.isFinite)
      for i in 0..<n {
        for j in 0..<n { #expect(c[i, j] == c[j, i]) }
      }
      let w = try c.eigenvalues()
      #expect((w.first ?? 0) >= -1e-12 * (w.last ?? 1), "\(e.method) smallest eigenvalue \(w.first ?? 0)")
      // Order: column j was scaled by (j+1), so variances grow with j.
      let d = c.diagonal
      #expect(d.last ?? 0 > d.first ?? 0, "\(e.method) order")
      #expect(est.repair == nil)
      #expect((est.shrinkage != nil) == e.method.shrinks)
      if let s = est.shrinkage { #expect(s >= 0 && s <= 1, "\(e.method) shrinkage \(s)") }
    }
  }

  /// Sample and EWMA are not checked for PSD (``validated``'s `gramForm`): their computed
  /// `α·XᵀX` has no eigenvalue below `−γ_T·trace` (Higham §3.5), here on singular estimates.
  @Test("a Gram-form estimate is PSD to rounding: λ_min ≥ −γ_T·trace, unrepaired", arguments: [(8, 30), (40, 120), (150, 60)])
  func gramFormBound(t: Int, n: Int) throws {
    var g = SeededGenerator(state: UInt64(t * 1_000 + n))
    var m = Matrix(rows: t, columns: n)
    // Two factors and little noise: nearly collinear columns, the hard case for rounding.
    let f = (0..<t).map { _ in (Double.random(in: -0.02...0.02, using: &g), Double.random(in: -0.02...0.02, using: &g)) }
    for i in 0..<t {
      for j in 0..<n {
        m[i, j] = f[i].0 * Double(j % 7 + 1) + f[i].1 * Double(j % 3) + 1e-9 * Double.random(in: -1...1, using: &g)
      }
    }
    for e in [SampleCovariance(), EWMACovariance()] as [any CovarianceEstimator] {
      let est = try e.estimate(m)
      #expect(est.repair == nil)
      let c = est.daily
      let trace = c.diagonal.reduce(0, +)
      let u = Double.ulpOfOne / 2
      let gamma = Double(t) * u / (1 - Double(t) * u)
      let w = try c.eigenvalues()
      #expect((w.first ?? 0) >= -gamma * trace, "\(e.method) smallest eigenvalue \(w.first ?? 0), bound \(-gamma * trace)")
    }
  }

  @Test("too few observations, NaN and a bad λ are errors, not numbers")
  func errors() {
    let one = Matrix(rows: 1, columns: 2)
    for e in Self.estimators {
      #expect(throws: EstimationError.self) { try e.estimate(one) }
    }
    var nan = Matrix(rows: 3, columns: 2, repeating: 0.01)
    nan[1, 1] = .nan
    #expect(throws: EstimationError.self) { try SampleCovariance().estimate(nan) }
    #expect(throws: EstimationError.invalidLambda(1)) { try EWMACovariance(lambda: 1).estimate(Matrix(rows: 3, columns: 1)) }
  }

  /// The returns' finiteness is read from the column sums (``demeaned(_:_:visiting:)``) or in EWMA's
  /// scaling pass: a non-finite return anywhere (first column, a column of the last, partial run of
  /// four, either layout) is still "the returns"; finite returns whose sum overflows are not.
  @Test("a non-finite return is 'the returns' wherever it is; an overflowing sum of finite returns is not")
  func nonFiniteReturns() throws {
    for value in [Double.nan, .infinity, -.infinity] {
      for (i, j) in [(0, 0), (3, 2), (5, 4)] {
        var m = Matrix(rows: 6, columns: 5, repeating: 0.01)
        m[i, j] = value
        for e in Self.estimators {
          #expect(throws: EstimationError.nonFinite("the returns")) { try e.estimate(m) }
          #expect(throws: EstimationError.nonFinite("the returns")) { try e.estimate(m.converted(to: .rowMajor)) }
        }
      }
    }
    var big = Matrix(rows: 4, columns: 5, repeating: 0.01)
    for i in 0..<3 { big[i, 1] = 1e308 }
    for e in Self.estimators {
      do {
        _ = try e.estimate(big)
      } catch {
        #expect(error != .nonFinite("the returns"), "\(e.method): \(error)")
      }
    }
  }

  @Test("sample covariance on a hand-computed 2 × 3 case")
  func handComputed() throws {
    // Returns a = (1, 2, 3)%, b = (2, 0, 4)%: var a = 1e-4, var b = 4e-4, cov = 1e-4.
    let m = try Matrix(rowArrays: [[0.01, 0.02], [0.02, 0.0], [0.03, 0.04]])
    let c = try SampleCovariance().estimate(m).daily
    #expect(abs(c[0, 0] - 1e-4) < 1e-18 && abs(c[1, 1] - 4e-4) < 1e-18 && abs(c[0, 1] - 1e-4) < 1e-18)
    // EWMA zero mean with λ→ weights (λ², λ, 1)/Σ.
    let l = 0.5
    let w = [l * l, l, 1].map { $0 / (l * l + l + 1) }
    let e = try EWMACovariance(lambda: l).estimate(m).daily
    #expect(abs(e[0, 1] - (w[0] * 0.01 * 0.02 + w[1] * 0 + w[2] * 0.03 * 0.04)) < 1e-18)
  }
}

@Suite("Volatility estimators and returns")
struct VolatilityTests {
  @Test("close-to-close on a hand-computed series")
  func closeToClose() throws {
    let h = series("X", closes: [100, 101, 99.99, 100.9899])
    // Returns 1%, -1%, 1% (to rounding): mean 1/3%, sample sd = sqrt(((2/3)²·2 + (4/3)²)/2)% .
    let r = try lastReturns(of: h, lookback: 3, kind: .simple)
    let mean = r.reduce(0, +) / 3
    let want = (r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
    #expect(abs(try CloseToCloseVolatility().dailyVolatility(of: h, lookback: 3) - want) < 1e-15)
    #expect(abs(want - 0.011547005383792516) < 1e-6)
  }

  @Test("log returns differ from simple returns as ln(1+r)")
  func logReturns() throws {
    let h = series("X", closes: [100, 110, 99])
    let s = try lastReturns(of: h, lookback: 2, kind: .simple)
    let l = try lastReturns(of: h, lookback: 2, kind: .log)
    for (a, b) in zip(s, l) { #expect(abs((1 + a).logarithm - b) < 1e-15) }
  }

  @Test("lookback too short or longer than the history is an error")
  func lookbacks() {
    let h = series("X", closes: randomWalk(10, seed: 2))
    for m in VolatilityMethod.allCases {
      let e = m.estimator(lambda: 0.94, returnKind: .simple)
      #expect(throws: EstimationError.self) { try e.dailyVolatility(of: h, lookback: 1) }
      #expect(throws: EstimationError.self) { try e.dailyVolatility(of: h, lookback: 11) }
    }
  }

  @Test("range estimators need OHLC; ATR too")
  func needsOHLC() {
    let h = series("X", closes: randomWalk(30, seed: 3), ohlc: false)
    #expect(throws: EstimationError.missingOHLC(symbol: "X", estimator: "Parkinson")) {
      try ParkinsonVolatility().dailyVolatility(of: h, lookback: 20)
    }
    #expect(throws: EstimationError.self) { try WilderATR(period: 14).atr(of: h) }
  }

  @Test("a negative price inside the window is refused naming the date; outside it is ignored")
  func negativePrices() throws {
    var closes = randomWalk(40, seed: 4)
    closes[10] = -37.63
    let h = series("CL", closes: closes)
    do {
      _ = try CloseToCloseVolatility().dailyVolatility(of: h, lookback: 35)
      Issue.record("a window across a negative close gave a number")
    } catch {
      guard case .nonPositivePrice(let s, let d, _, let v, _, let line) = error else {
        Issue.record("wrong error \(error)")
        return
      }
      #expect(s == "CL" && v == -37.63 && d == h.days[10] && line == 12)
    }
    // A window that starts after the negative close works.
    #expect(try CloseToCloseVolatility().dailyVolatility(of: h, lookback: 20) > 0)
    // ATR is in price units and works across negative prices.
    #expect(try WilderATR(period: 14).atr(of: h).value > 0)
  }

  @Test("Wilder ATR on a hand-computed series")
  func atr() throws {
    // Constant range 2 around a flat close: TR = 2 every day, ATR = 2.
    let n = 20
    let h = PriceHistory(
      symbol: "F", source: DataSource(path: "F.csv"), days: (0..<n).map { Day(ordinal: 19000 + $0) },
      open: Array(repeating: 10, count: n), high: Array(repeating: 11, count: n), low: Array(repeating: 9, count: n),
      close: Array(repeating: 10, count: n))
    let a = try WilderATR(period: 5).atr(of: h)
    #expect(a.value == 2 && a.fractionOfClose == 0.2)
  }

  @Test("EWMA weights are λ^(L−i) normalised to 1, newest heaviest")
  func weights() {
    let w = ewmaWeights(count: 3, lambda: 0.5)
    #expect(w == [0.25 / 1.75, 0.5 / 1.75, 1 / 1.75])
  }
}

@Suite("Alignment and the risk analysis")
struct AlignmentTests {
  @Test("inner join of a 7-day and a 5-day market: weekend moves fold into Monday's return")
  func innerJoin() throws {
    let crypto = series("BTC", closes: (0..<21).map { 100 + Double($0) }, start: "2024-01-01", sevenDay: true)
    let stock = series("SPY", closes: randomWalk(15, seed: 5), start: "2024-01-01")
    let a = try AlignedReturns([crypto, stock], lookback: 10, kind: .simple)
    #expect(a.observations == 10)
    #expect(a.commonDates == 15)
    #expect(a.periodsPerYear == 252)
    // Friday 2024-01-05 close 104 → Monday 2024-01-08 close 107.
    let monday = try #require(a.days.firstIndex(of: day("2024-01-08")))
    #expect(abs(a.matrix[monday, 0] - (107.0 / 104.0 - 1)) < 1e-15)
  }

  @Test("unknown instruments are reported with close matches")
  func unknown() throws {
    let m = MarketData(histories: [
      series("BTC", closes: randomWalk(30, seed: 6)), series("ETH", closes: randomWalk(30, seed: 7)),
    ])
    do {
      _ = try RiskAnalysis.run(m, RiskRequest(instruments: ["BTX"], lookback: 10))
      Issue.record("unknown instrument accepted")
    } catch let e as UnknownInstrumentError {
      #expect(e.suggestions == ["BTC"])
      #expect(e.description.contains("Did you mean BTC?"))
    }
  }

  @Test("--as-of uses only data up to and including that date")
  func asOf() throws {
    let h = series("A", closes: randomWalk(60, seed: 8))
    let cut = h.days[39]
    let m = MarketData(histories: [h, series("B", closes: randomWalk(60, seed: 9))])
    let r = try RiskAnalysis.run(m, RiskRequest(lookback: 20, asOf: cut))
    #expect(r.lastDay == cut)
    #expect(r.instruments[0].lastClose == h.close[39])
    #expect(r.instruments[0].bars == 40)
  }

  @Test("a constant series has no correlation: an error, not NaN")
  func constant() {
    let m = MarketData(histories: [
      series("A", closes: randomWalk(30, seed: 10)), series("FLAT", closes: Array(repeating: 5, count: 30)),
    ])
    #expect(throws: EstimationError.constantSeries(symbol: "FLAT")) {
      try RiskAnalysis.run(m, RiskRequest(covariance: .sample, volatility: .closeToClose, lookback: 20))
    }
  }
}

extension Double {
  var logarithm: Double {
    // ln via the identity used by the estimators' own log, kept independent: series expansion is overkill;
    // use the standard library's exponent/significand decomposition with a 1-ulp-accurate check.
    var lo = -50.0
    var hi = 50.0
    for _ in 0..<200 {
      let mid = (lo + hi) / 2
      if expApprox(mid) < self { lo = mid } else { hi = mid }
    }
    return (lo + hi) / 2
  }
}

/// exp by its Taylor series with range reduction (test oracle only).
func expApprox(_ x: Double) -> Double {
  let k = (x / 0.6931471805599453).rounded()
  let r = x - k * 0.6931471805599453
  var term = 1.0
  var sum = 1.0
  for i in 1..<30 {
    term *= r / Double(i)
    sum += term
  }
  return sum * Double(sign: .plus, exponent: Int(k), significand: 1)
}
