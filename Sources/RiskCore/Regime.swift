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
  /// The fields, held in one immutable object: a profile is read by every limit of every order
  /// of a batch and copied into each order's context, limit model and limit context, and a copy
  /// of thirty fields retained and released each of its strings and tables (issue 16, eleventh
  /// pass). A change makes a new object (a profile is changed only while it is read from its file).
  private var box: Frozen<Fields>

  struct Fields: Sendable, Hashable {
    var name: String
    var description: String
    var source: String
    var riskPerTrade: Double
    var maxPositionNotional: Double
    var maxGrossLeverage: Double
    var maxClassLeverage: AssetClassTable<Double>
    var riskMultipliers: AssetClassTable<Double>
    var stopRule: StopRule
    var noiseThresholdSigma: Double
    var volatilityMethod: VolatilityMethod
    var volatilityLookback: Int
    var covarianceMethod: CovarianceMethod
    var covarianceLookback: Int
    var lambda: Double
    var portfolioVolatilityBudget: Double
    var maxRiskShare: Double
    var maxADVFraction: Double
    var advDays: Int
    var impactCoefficient: Double
    var requireStop: Bool
    var priceBand: Double
    var maxDataAgeDays: Int
    var chandelierPeriod: Int
    var correlatedGroups: CorrelatedGroupSettings? = nil
    var maxGroupExposure: Double? = nil
    var maxGroupRiskShare: Double? = nil
    var maxMarginUtilisation: Double? = nil
    var drawdownScaling: DrawdownScaling? = nil
    var breakers: Breakers = Breakers()
  }

  private mutating func update(_ change: (inout Fields) -> Void) {
    var f = box.value
    change(&f)
    box = Frozen(f)
  }

  public static func == (a: RegimeProfile, b: RegimeProfile) -> Bool { Frozen.same(a.box, b.box) }
  public func hash(into h: inout Hasher) { box.value.hash(into: &h) }

  public var name: String {
    get { box.value.name }
    set { update { $0.name = newValue } }
  }
  public var description: String {
    get { box.value.description }
    set { update { $0.description = newValue } }
  }
  /// Where the profile was read from.
  public var source: String {
    get { box.value.source }
    set { update { $0.source = newValue } }
  }
  /// Money at risk between entry and stop, as a fraction of equity, per trade.
  public var riskPerTrade: Double {
    get { box.value.riskPerTrade }
    set { update { $0.riskPerTrade = newValue } }
  }
  /// Largest notional of one position, as a fraction of equity.
  public var maxPositionNotional: Double {
    get { box.value.maxPositionNotional }
    set { update { $0.maxPositionNotional = newValue } }
  }
  /// Largest gross exposure of the account, as a multiple of equity.
  public var maxGrossLeverage: Double {
    get { box.value.maxGrossLeverage }
    set { update { $0.maxGrossLeverage = newValue } }
  }
  /// Largest gross exposure of one asset class, as a multiple of equity (absent: the account cap only).
  public var maxClassLeverage: AssetClassTable<Double> {
    get { box.value.maxClassLeverage }
    set { update { $0.maxClassLeverage = newValue } }
  }
  /// Scales `riskPerTrade` per asset class (absent: 1).
  public var riskMultipliers: AssetClassTable<Double> {
    get { box.value.riskMultipliers }
    set { update { $0.riskMultipliers = newValue } }
  }
  public var stopRule: StopRule {
    get { box.value.stopRule }
    set { update { $0.stopRule = newValue } }
  }
  /// A stop closer than this many daily σ (in price) is inside one day's noise: warned.
  public var noiseThresholdSigma: Double {
    get { box.value.noiseThresholdSigma }
    set { update { $0.noiseThresholdSigma = newValue } }
  }
  public var volatilityMethod: VolatilityMethod {
    get { box.value.volatilityMethod }
    set { update { $0.volatilityMethod = newValue } }
  }
  public var volatilityLookback: Int {
    get { box.value.volatilityLookback }
    set { update { $0.volatilityLookback = newValue } }
  }
  public var covarianceMethod: CovarianceMethod {
    get { box.value.covarianceMethod }
    set { update { $0.covarianceMethod = newValue } }
  }
  public var covarianceLookback: Int {
    get { box.value.covarianceLookback }
    set { update { $0.covarianceLookback = newValue } }
  }
  /// EWMA decay for both estimators.
  public var lambda: Double {
    get { box.value.lambda }
    set { update { $0.lambda = newValue } }
  }
  /// Annual volatility of the portfolio's P&L, as a fraction of equity.
  public var portfolioVolatilityBudget: Double {
    get { box.value.portfolioVolatilityBudget }
    set { update { $0.portfolioVolatilityBudget = newValue } }
  }
  /// Largest share of portfolio variance (Euler contribution) one position may carry.
  public var maxRiskShare: Double {
    get { box.value.maxRiskShare }
    set { update { $0.maxRiskShare = newValue } }
  }
  /// Largest fraction of the average daily volume one order may take.
  public var maxADVFraction: Double {
    get { box.value.maxADVFraction }
    set { update { $0.maxADVFraction = newValue } }
  }
  /// Days in the average daily volume.
  public var advDays: Int {
    get { box.value.advDays }
    set { update { $0.advDays = newValue } }
  }
  /// Square-root impact: slippage fraction = coefficient × σ_daily × √(quantity / ADV).
  public var impactCoefficient: Double {
    get { box.value.impactCoefficient }
    set { update { $0.impactCoefficient = newValue } }
  }
  /// Pre-trade checks: an order must carry a stop.
  public var requireStop: Bool {
    get { box.value.requireStop }
    set { update { $0.requireStop = newValue } }
  }
  /// Pre-trade checks: the order price must be within this fraction of the last close.
  public var priceBand: Double {
    get { box.value.priceBand }
    set { update { $0.priceBand = newValue } }
  }
  /// Pre-trade checks: market data older than this many calendar days at the as-of date is stale.
  public var maxDataAgeDays: Int {
    get { box.value.maxDataAgeDays }
    set { update { $0.maxDataAgeDays = newValue } }
  }
  /// Chandelier trailing stop: highest high (lowest low) over this many bars.
  public var chandelierPeriod: Int {
    get { box.value.chandelierPeriod }
    set { update { $0.chandelierPeriod = newValue } }
  }
  /// How instruments are grouped (correlation clusters and/or the hand-given groups); nil:
  /// only the hand-given groups of instruments.yaml.
  public var correlatedGroups: CorrelatedGroupSettings? {
    get { box.value.correlatedGroups }
    set { update { $0.correlatedGroups = newValue } }
  }
  /// Largest gross exposure of one group, as a multiple of equity (nil: not capped).
  public var maxGroupExposure: Double? {
    get { box.value.maxGroupExposure }
    set { update { $0.maxGroupExposure = newValue } }
  }
  /// Largest Euler share of portfolio variance one group may carry (nil: not capped).
  public var maxGroupRiskShare: Double? {
    get { box.value.maxGroupRiskShare }
    set { update { $0.maxGroupRiskShare = newValue } }
  }
  /// Largest initial margin of the book over equity (nil: not capped).
  public var maxMarginUtilisation: Double? {
    get { box.value.maxMarginUtilisation }
    set { update { $0.maxMarginUtilisation = newValue } }
  }
  /// The Turtle rule: the equity base cut for each full step of drawdown (nil: none).
  public var drawdownScaling: DrawdownScaling? {
    get { box.value.drawdownScaling }
    set { update { $0.drawdownScaling = newValue } }
  }
  /// Circuit breakers on the journal's equity history (empty: none).
  public var breakers: Breakers {
    get { box.value.breakers }
    set { update { $0.breakers = newValue } }
  }

  public init(
    name: String, description: String = "", source: String = "", riskPerTrade: Double, maxPositionNotional: Double,
    maxGrossLeverage: Double, maxClassLeverage: AssetClassTable<Double> = [:], riskMultipliers: AssetClassTable<Double> = [:],
    stopRule: StopRule = .atr(multiple: 2, period: 14), noiseThresholdSigma: Double = 1,
    volatilityMethod: VolatilityMethod = .ewma, volatilityLookback: Int = 252, covarianceMethod: CovarianceMethod = .ewma,
    covarianceLookback: Int = 252, lambda: Double = 0.94, portfolioVolatilityBudget: Double = 0.15,
    maxRiskShare: Double = 0.3, maxADVFraction: Double = 0.05, advDays: Int = 20, impactCoefficient: Double = 1,
    requireStop: Bool = true, priceBand: Double = 0.05, maxDataAgeDays: Int = 4, chandelierPeriod: Int = 22
  ) {
    box = Frozen(
      Fields(
        name: name, description: description, source: source, riskPerTrade: riskPerTrade,
        maxPositionNotional: maxPositionNotional, maxGrossLeverage: maxGrossLeverage, maxClassLeverage: maxClassLeverage,
        riskMultipliers: riskMultipliers, stopRule: stopRule, noiseThresholdSigma: noiseThresholdSigma,
        volatilityMethod: volatilityMethod, volatilityLookback: volatilityLookback, covarianceMethod: covarianceMethod,
        covarianceLookback: covarianceLookback, lambda: lambda, portfolioVolatilityBudget: portfolioVolatilityBudget,
        maxRiskShare: maxRiskShare, maxADVFraction: maxADVFraction, advDays: advDays, impactCoefficient: impactCoefficient,
        requireStop: requireStop, priceBand: priceBand, maxDataAgeDays: maxDataAgeDays, chandelierPeriod: chandelierPeriod))
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
