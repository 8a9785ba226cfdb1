/// The per-instrument volatility estimators, as named on the command line.
public enum VolatilityMethod: String, Sendable, Hashable, CaseIterable, Codable {
  case closeToClose = "close-to-close"
  case ewma
  case parkinson
  case garmanKlass = "garman-klass"
  case yangZhang = "yang-zhang"

  /// The key used in JSON output (`closeToClose`, `ewma`, …).
  public var jsonKey: String {
    switch self {
    case .closeToClose: return "closeToClose"
    case .ewma: return "ewma"
    case .parkinson: return "parkinson"
    case .garmanKlass: return "garmanKlass"
    case .yangZhang: return "yangZhang"
    }
  }

  /// The estimator with its parameters.
  public func estimator(lambda: Double, returnKind: ReturnKind) -> any VolatilityEstimator {
    switch self {
    case .closeToClose: return CloseToCloseVolatility(returnKind: returnKind)
    case .ewma: return EWMAVolatility(lambda: lambda, returnKind: returnKind)
    case .parkinson: return ParkinsonVolatility()
    case .garmanKlass: return GarmanKlassVolatility()
    case .yangZhang: return YangZhangVolatility()
    }
  }
}

/// A daily volatility estimate from one instrument's own bars.
///
/// Contract: the result is finite and non-negative, or the estimator throws;
/// annual = daily × √P with P the instrument's periods per year.
public protocol VolatilityEstimator: Sendable {
  var method: VolatilityMethod { get }
  /// The daily standard deviation over the last `lookback` periods.
  func dailyVolatility(of history: PriceHistory, lookback: Int) throws(EstimationError) -> Double
}

/// Close-to-close: the sample standard deviation (ddof = 1) of the last `L` returns.
public struct CloseToCloseVolatility: VolatilityEstimator {
  public let returnKind: ReturnKind
  public init(returnKind: ReturnKind = .simple) { self.returnKind = returnKind }
  public var method: VolatilityMethod { .closeToClose }

  public func dailyVolatility(of h: PriceHistory, lookback: Int) throws(EstimationError) -> Double {
    let r = try lastReturns(of: h, lookback: lookback, kind: returnKind)
    return try checkedRoot(sampleVariance(r), h.symbol)
  }
}

/// EWMA (RiskMetrics form, zero mean): `σ² = Σᵢ wᵢ rᵢ²` with
/// `wᵢ ∝ λ^(L−i)` for `i = 1…L` (`i = L` newest), normalised to sum 1. No seed value.
public struct EWMAVolatility: VolatilityEstimator {
  public let lambda: Double
  public let returnKind: ReturnKind
  public init(lambda: Double = 0.94, returnKind: ReturnKind = .simple) {
    self.lambda = lambda
    self.returnKind = returnKind
  }
  public var method: VolatilityMethod { .ewma }

  public func dailyVolatility(of h: PriceHistory, lookback: Int) throws(EstimationError) -> Double {
    guard lambda > 0, lambda < 1 else { throw .invalidLambda(lambda) }
    let r = try lastReturns(of: h, lookback: lookback, kind: returnKind)
    let w = ewmaWeights(count: r.count, lambda: lambda)
    var s = 0.0
    for i in 0..<r.count { s += w[i] * r[i] * r[i] }
    return try checkedRoot(s, h.symbol)
  }
}

/// Parkinson: `σ² = mean(ln(H/L)²) / (4 ln 2)` over the last `L` bars.
public struct ParkinsonVolatility: VolatilityEstimator {
  public init() {}
  public var method: VolatilityMethod { .parkinson }

  public func dailyVolatility(of h: PriceHistory, lookback: Int) throws(EstimationError) -> Double {
    let start = try rangeWindow(h, lookback: lookback, bars: lookback, name: "Parkinson")
    var s = 0.0
    for i in start..<h.count {
      let x = naturalLog(h.high[i] / h.low[i])
      s += x * x
    }
    return try checkedRoot(s / Double(lookback) / (4 * naturalLog(2)), h.symbol)
  }
}

/// Garman–Klass: `σ² = mean(½ ln(H/L)² − (2 ln 2 − 1) ln(C/O)²)` over the last `L` bars.
public struct GarmanKlassVolatility: VolatilityEstimator {
  public init() {}
  public var method: VolatilityMethod { .garmanKlass }

  public func dailyVolatility(of h: PriceHistory, lookback: Int) throws(EstimationError) -> Double {
    let start = try rangeWindow(h, lookback: lookback, bars: lookback, name: "Garman–Klass")
    let c = 2 * naturalLog(2) - 1
    var s = 0.0
    for i in start..<h.count {
      let hl = naturalLog(h.high[i] / h.low[i])
      let co = naturalLog(h.close[i] / h.open[i])
      s += 0.5 * hl * hl - c * co * co
    }
    // GK's per-bar terms can be negative on inconsistent bars (Yahoo FX); the
    // mean is clamped at 0 only if rounding makes it a hair below.
    return try checkedRoot(s / Double(lookback), h.symbol)
  }
}

/// Yang–Zhang: `σ² = var(ln(O_t/C_{t−1})) + k·var(ln(C_t/O_t)) + (1−k)·mean(RS)`,
/// variances with ddof = 1, `RS = ln(H/C)ln(H/O) + ln(L/C)ln(L/O)`,
/// `k = 0.34 / (1.34 + (L+1)/(L−1))`, over the last `L` bars (and the close before them).
public struct YangZhangVolatility: VolatilityEstimator {
  public init() {}
  public var method: VolatilityMethod { .yangZhang }

  public func dailyVolatility(of h: PriceHistory, lookback: Int) throws(EstimationError) -> Double {
    let start = try rangeWindow(h, lookback: lookback, bars: lookback + 1, name: "Yang–Zhang") + 1
    var overnight = [Double](repeating: 0, count: lookback)
    var openClose = [Double](repeating: 0, count: lookback)
    var rs = 0.0
    for k in 0..<lookback {
      let i = start + k
      overnight[k] = naturalLog(h.open[i] / h.close[i - 1])
      openClose[k] = naturalLog(h.close[i] / h.open[i])
      rs +=
        naturalLog(h.high[i] / h.close[i]) * naturalLog(h.high[i] / h.open[i]) + naturalLog(h.low[i] / h.close[i])
        * naturalLog(h.low[i] / h.open[i])
    }
    let l = Double(lookback)
    let k = 0.34 / (1.34 + (l + 1) / (l - 1))
    return try checkedRoot(sampleVariance(overnight) + k * sampleVariance(openClose) + (1 - k) * rs / l, h.symbol)
  }
}

/// Wilder's average true range.
///
/// `TR_t = max(H_t − L_t, |H_t − C_{t−1}|, |L_t − C_{t−1}|)` from the second bar
/// on; the first ATR is the mean of the first `n` TRs, then
/// `ATR_t = ((n−1)·ATR_{t−1} + TR_t) / n` over the whole history. Price units;
/// works with negative prices.
public struct WilderATR: Sendable {
  public let period: Int
  public init(period: Int = 14) { self.period = period }

  public struct Value: Sendable, Hashable {
    public let period: Int
    /// In price units.
    public let value: Double
    /// `value / |last close|` (nil when the last close is 0).
    public let fractionOfClose: Double?
  }

  /// - Throws: ``EstimationError/missingOHLC(symbol:estimator:)``,
  ///   ``EstimationError/tooFewObservations(symbol:needed:available:what:)``.
  public func atr(of h: PriceHistory) throws(EstimationError) -> Value {
    guard period >= 1 else { throw .lookbackTooShort(period) }
    guard h.hasOHLC else { throw .missingOHLC(symbol: h.symbol, estimator: "ATR") }
    guard h.count >= period + 1 else {
      throw .tooFewObservations(symbol: h.symbol, needed: period + 1, available: h.count, what: "ATR(\(period))")
    }
    func tr(_ t: Int) -> Double {
      let pc = h.close[t - 1]
      return max(h.high[t] - h.low[t], abs(h.high[t] - pc), abs(h.low[t] - pc))
    }
    var atr = 0.0
    for t in 1...period { atr += tr(t) }
    atr /= Double(period)
    let n = Double(period)
    if h.count > period + 1 {
      for t in (period + 1)..<h.count { atr = ((n - 1) * atr + tr(t)) / n }
    }
    guard atr.isFinite else { throw .nonFinite("ATR of \(h.symbol)") }
    let last = h.close[h.count - 1]
    return Value(period: period, value: atr, fractionOfClose: last != 0 ? atr / abs(last) : nil)
  }
}

// MARK: - helpers

/// Weights `wᵢ ∝ λ^(L−i)`, `i = 1…L`, normalised to sum 1 (oldest first).
public func ewmaWeights(count: Int, lambda: Double) -> [Double] {
  var w = [Double](repeating: 0, count: count)
  var p = 1.0
  for i in stride(from: count - 1, through: 0, by: -1) {
    w[i] = p
    p *= lambda
  }
  let s = w.reduce(0, +)
  return w.map { $0 / s }
}

/// Sample variance with ddof = 1 (two-pass).
func sampleVariance(_ x: [Double]) -> Double {
  let n = Double(x.count)
  let mean = x.reduce(0, +) / n
  var s = 0.0
  for v in x { s += (v - mean) * (v - mean) }
  return s / (n - 1)
}

func checkedRoot(_ variance: Double, _ symbol: String) throws(EstimationError) -> Double {
  guard variance.isFinite else { throw .nonFinite("the volatility of \(symbol)") }
  // A variance below zero can only come from rounding (or GK on broken bars).
  return max(variance, 0).squareRoot()
}

/// Checks the OHLC window and returns the index of its first bar.
func rangeWindow(_ h: PriceHistory, lookback: Int, bars: Int, name: String) throws(EstimationError) -> Int {
  guard lookback >= 2 else { throw .lookbackTooShort(lookback) }
  guard h.hasOHLC else { throw .missingOHLC(symbol: h.symbol, estimator: name) }
  guard h.count >= bars else {
    throw .tooFewObservations(symbol: h.symbol, needed: bars, available: h.count, what: "\(name) over \(lookback) bars")
  }
  let start = h.count - bars
  for i in start..<h.count {
    for (field, v) in [("open", h.open[i]), ("high", h.high[i]), ("low", h.low[i]), ("close", h.close[i])] where !(v > 0) {
      throw .nonPositivePrice(symbol: h.symbol, day: h.days[i], field: field, value: v, source: h.source, line: h.lines[i])
    }
  }
  return start
}
