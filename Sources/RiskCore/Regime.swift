/// How a stop is placed when none is given.
public enum StopRule: Sendable, Hashable {
  /// `entry ∓ multiple × ATR(period)` (minus for a long, plus for a short).
  case atr(multiple: Double, period: Int)
  /// `entry ∓ multiple × σ_daily × √holdingDays × entry`.
  case sigma(multiple: Double, holdingDays: Int)

  public var description: String {
    switch self {
    case .atr(let k, let n): return "\(k) × ATR(\(n))"
    case .sigma(let k, let h): return "\(k) × daily σ × √\(h) days"
    }
  }
}

/// The limits and estimator settings of one market regime (calm, normal, volatile, crisis, …).
///
/// Fractions are in 0…1 (0.01 is one percent) and apply to **equity** (net
/// liquidation value), never AUM.
public struct RegimeProfile: Sendable, Hashable {
  public var name: String
  public var description: String
  /// Where the profile was read from.
  public var source: String
  /// Money at risk between entry and stop, as a fraction of equity, per trade.
  public var riskPerTrade: Double
  /// Largest notional of one position, as a fraction of equity.
  public var maxPositionNotional: Double
  /// Largest gross exposure of the account, as a multiple of equity.
  public var maxGrossLeverage: Double
  /// Largest gross exposure of one asset class, as a multiple of equity (absent: the account cap only).
  public var maxClassLeverage: AssetClassTable<Double>
  /// Scales `riskPerTrade` per asset class (absent: 1).
  public var riskMultipliers: AssetClassTable<Double>
  public var stopRule: StopRule
  /// A stop closer than this many daily σ (in price) is inside one day's noise: warned.
  public var noiseThresholdSigma: Double
  public var volatilityMethod: VolatilityMethod
  public var volatilityLookback: Int
  public var covarianceMethod: CovarianceMethod
  public var covarianceLookback: Int
  /// EWMA decay for both estimators.
  public var lambda: Double
  /// Annual volatility of the portfolio's P&L, as a fraction of equity.
  public var portfolioVolatilityBudget: Double
  /// Largest share of portfolio variance (Euler contribution) one position may carry.
  public var maxRiskShare: Double
  /// Largest fraction of the average daily volume one order may take.
  public var maxADVFraction: Double
  /// Days in the average daily volume.
  public var advDays: Int
  /// Square-root impact: slippage fraction = coefficient × σ_daily × √(quantity / ADV).
  public var impactCoefficient: Double
  /// Pre-trade checks: an order must carry a stop.
  public var requireStop: Bool
  /// Pre-trade checks: the order price must be within this fraction of the last close.
  public var priceBand: Double
  /// Pre-trade checks: market data older than this many calendar days at the as-of date is stale.
  public var maxDataAgeDays: Int
  /// Chandelier trailing stop: highest high (lowest low) over this many bars.
  public var chandelierPeriod: Int
  /// How instruments are grouped (correlation clusters and/or the hand-given groups); nil:
  /// only the hand-given groups of instruments.yaml.
  public var correlatedGroups: CorrelatedGroupSettings? = nil
  /// Largest gross exposure of one group, as a multiple of equity (nil: not capped).
  public var maxGroupExposure: Double? = nil
  /// Largest Euler share of portfolio variance one group may carry (nil: not capped).
  public var maxGroupRiskShare: Double? = nil
  /// Largest initial margin of the book over equity (nil: not capped).
  public var maxMarginUtilisation: Double? = nil
  /// The Turtle rule: the equity base cut for each full step of drawdown (nil: none).
  public var drawdownScaling: DrawdownScaling? = nil
  /// Circuit breakers on the journal's equity history (empty: none).
  public var breakers = Breakers()

  public init(
    name: String, description: String = "", source: String = "", riskPerTrade: Double, maxPositionNotional: Double,
    maxGrossLeverage: Double, maxClassLeverage: AssetClassTable<Double> = [:], riskMultipliers: AssetClassTable<Double> = [:],
    stopRule: StopRule = .atr(multiple: 2, period: 14), noiseThresholdSigma: Double = 1,
    volatilityMethod: VolatilityMethod = .ewma, volatilityLookback: Int = 252, covarianceMethod: CovarianceMethod = .ewma,
    covarianceLookback: Int = 252, lambda: Double = 0.94, portfolioVolatilityBudget: Double = 0.15,
    maxRiskShare: Double = 0.3, maxADVFraction: Double = 0.05, advDays: Int = 20, impactCoefficient: Double = 1,
    requireStop: Bool = true, priceBand: Double = 0.05, maxDataAgeDays: Int = 4, chandelierPeriod: Int = 22
  ) {
    self.name = name
    self.description = description
    self.source = source
    self.riskPerTrade = riskPerTrade
    self.maxPositionNotional = maxPositionNotional
    self.maxGrossLeverage = maxGrossLeverage
    self.maxClassLeverage = maxClassLeverage
    self.riskMultipliers = riskMultipliers
    self.stopRule = stopRule
    self.noiseThresholdSigma = noiseThresholdSigma
    self.volatilityMethod = volatilityMethod
    self.volatilityLookback = volatilityLookback
    self.covarianceMethod = covarianceMethod
    self.covarianceLookback = covarianceLookback
    self.lambda = lambda
    self.portfolioVolatilityBudget = portfolioVolatilityBudget
    self.maxRiskShare = maxRiskShare
    self.maxADVFraction = maxADVFraction
    self.advDays = advDays
    self.impactCoefficient = impactCoefficient
    self.requireStop = requireStop
    self.priceBand = priceBand
    self.maxDataAgeDays = maxDataAgeDays
    self.chandelierPeriod = chandelierPeriod
  }

  public func riskMultiplier(_ c: AssetClass) -> Double { riskMultipliers[c] ?? 1 }
}

/// The known profiles, in order of severity (calm first).
public struct RegimeSet: Sendable {
  public var profiles: [RegimeProfile]
  /// Settings for `--regime auto`.
  public var detection: RegimeDetectionSettings

  public init(profiles: [RegimeProfile], detection: RegimeDetectionSettings = RegimeDetectionSettings()) {
    self.profiles = profiles
    self.detection = detection
  }

  public var names: [String] { profiles.map(\.name) }
  public func profile(_ name: String) -> RegimeProfile? { profiles.first { $0.name == name } }
  /// 0 for the calmest.
  public func severity(_ name: String) -> Int {
    detection.order.firstIndex(of: name) ?? profiles.firstIndex { $0.name == name } ?? 0
  }
}

/// How `--regime auto` classifies the market: the current short-window
/// volatility's percentile within the distribution of its own rolling
/// short-window volatility over the lookback.
public struct RegimeDetectionSettings: Sendable, Hashable {
  /// Days in the short window (close-to-close σ of simple returns).
  public var shortWindow: Int
  /// Days of history whose rolling short-window σ form the distribution.
  public var lookback: Int
  /// Regimes from calm to crisis, and the upper percentile bound (0…1) of each but the last.
  public var order: [String]
  public var upperPercentiles: [Double]

  public init(
    shortWindow: Int = 20, lookback: Int = 756, order: [String] = ["calm", "normal", "volatile", "crisis"],
    upperPercentiles: [Double] = [0.25, 0.75, 0.95]
  ) {
    self.shortWindow = shortWindow
    self.lookback = lookback
    self.order = order
    self.upperPercentiles = upperPercentiles
  }

  /// The regime for a percentile rank in 0…1.
  public func regime(forPercentile p: Double) -> String {
    // A file whose `order` is shorter than its bounds is refused when read; guarded here too.
    for (i, bound) in upperPercentiles.enumerated() where p < bound && i < order.count { return order[i] }
    return order.last ?? "normal"
  }
}

/// A value for some asset classes, kept at each class's ``AssetClass/ordinal``: what a profile
/// caps or scales by class, read by every order's limits (a dictionary hashed the class three
/// times an order).
public struct AssetClassTable<Value: Sendable & Hashable>: Sendable, Hashable, ExpressibleByDictionaryLiteral {
  private var values: [Value?] = Array(repeating: nil, count: AssetClass.allCases.count)

  public init(_ entries: [AssetClass: Value]) {
    for (c, v) in entries { values[c.ordinal] = v }
  }

  public init(dictionaryLiteral entries: (AssetClass, Value)...) {
    for (c, v) in entries { values[c.ordinal] = v }
  }

  /// The class's value (nil: none given).
  public subscript(_ c: AssetClass) -> Value? {
    get { values[c.ordinal] }
    set { values[c.ordinal] = newValue }
  }
}
