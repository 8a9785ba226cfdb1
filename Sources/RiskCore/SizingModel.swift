import LinearAlgebra

/// Long or short.
public enum TradeSide: String, Sendable, Hashable, CaseIterable, Codable {
  case long, short
  /// +1 for long, −1 for short.
  public var sign: Double { self == .long ? 1 : -1 }
}

/// Per-instrument figures the sizer needs, computed once from its history at the as-of date.
public struct InstrumentStats: Sendable {
  public let symbol: String
  public let source: DataSource
  public let lastDay: Day
  public let lastClose: Double
  public let lastLine: Int
  /// Daily σ of returns by the profile's estimator (fraction of price).
  public let dailyVolatility: Double
  public let volatilityMethod: VolatilityMethod
  public let volatilityLookback: Int
  public let periodsPerYear: Int
  public let atr: WilderATR.Value?
  /// Mean volume over the last `advDays` bars with a volume (nil: no volume data, e.g. OTC FX).
  public let averageDailyVolume: Double?
  public let advDays: Int
  /// Highest high and lowest low over the chandelier period (closes for close-only data).
  public let highestHigh: Double
  public let lowestLow: Double
  public let chandelierPeriod: Int

  /// - Throws: ``EstimationError`` when the history is too short or holds bad prices in the window.
  /// - Parameter volumeInQuoteCurrency: volume is in money (Yahoo crypto): ADV in units is then mean(volume / close).
  public static func compute(
    _ h: PriceHistory, profile: RegimeProfile, periodsPerYear: Int, volumeInQuoteCurrency: Bool = false
  ) throws(EstimationError) -> InstrumentStats {
    guard let lastDay = h.lastDay, let lastClose = h.lastClose else {
      throw .tooFewObservations(symbol: h.symbol, needed: profile.volatilityLookback + 1, available: 0, what: "sizing")
    }
    let estimator = profile.volatilityMethod.estimator(lambda: profile.lambda, returnKind: .simple)
    let sigma = try estimator.dailyVolatility(of: h, lookback: profile.volatilityLookback)
    var atr: WilderATR.Value? = nil
    let atrPeriod: Int = {
      if case .atr(_, let n) = profile.stopRule { return n }
      return 14
    }()
    if h.hasOHLC { atr = try WilderATR(period: atrPeriod).atr(of: h) }
    var adv: Double? = nil
    if h.hasVolume {
      let start = max(0, h.count - profile.advDays)
      var units: [Double] = []
      for i in start..<h.count where h.volume[i].isFinite && h.volume[i] > 0 {
        units.append(volumeInQuoteCurrency ? h.volume[i] / abs(h.close[i]) : h.volume[i])
      }
      if !units.isEmpty { adv = units.reduce(0, +) / Double(units.count) }
    }
    let n = min(profile.chandelierPeriod, h.count)
    let highs = h.hasOHLC ? Array(h.high.suffix(n)) : Array(h.close.suffix(n))
    let lows = h.hasOHLC ? Array(h.low.suffix(n)) : Array(h.close.suffix(n))
    return InstrumentStats(
      symbol: h.symbol, source: h.source, lastDay: lastDay, lastClose: lastClose, lastLine: h.lines.last ?? 0,
      dailyVolatility: sigma, volatilityMethod: profile.volatilityMethod, volatilityLookback: profile.volatilityLookback,
      periodsPerYear: periodsPerYear, atr: atr, averageDailyVolume: adv, advDays: profile.advDays,
      highestHigh: highs.max() ?? lastClose, lowestLow: lows.min() ?? lastClose, chandelierPeriod: n)
  }
}

/// The book's risky exposures and their covariance, prepared once so that
/// each sizing or check costs O(1) and each applied order O(N).
///
/// `exposures[i]` is the signed base-currency exposure to instrument `i`
/// (options mapped to their underlying, delta-adjusted); `covariance` is the
/// annual covariance of the instruments' returns, so `eᵀΣe` is the annual
/// variance of the portfolio's P&L in base currency squared.
public struct PortfolioRiskModel: Sendable {
  public let symbols: [String]
  public let covariance: SymmetricMatrix
  public private(set) var exposures: [Double]
  /// Σ e.
  public private(set) var sigmaE: [Double]
  /// eᵀ Σ e.
  public private(set) var variance: Double
  public let observations: Int
  public let periodsPerYear: Int
  public let method: CovarianceMethod
  public let repair: PSDRepair?
  private let index: [String: Int]
  /// The instruments with an exposure (not 0), in index order: kept as exposures change, so
  /// that each order of a batch does not scan the book for its clusters and groups.
  public private(set) var held: [Int]
  /// Clusters already computed for a member set (``prepareClusters(_:members:)``), so that a
  /// batch of orders in the instruments held does not recluster for each order.
  private var preparedClusters: [PreparedClusters] = []

  struct PreparedClusters: Sendable {
    let settings: CorrelatedGroupSettings
    var members: [Int]
    let clusters: [[Int]]
    /// The clusters of more than one instrument as groups (named once, not per order).
    let groups: [InstrumentGroup]
  }

  public init(
    symbols: [String], covariance: SymmetricMatrix, exposures: [Double], observations: Int, periodsPerYear: Int,
    method: CovarianceMethod, repair: PSDRepair?
  ) throws(LinearAlgebraError) {
    self.symbols = symbols
    self.covariance = covariance
    self.exposures = exposures
    self.sigmaE = try covariance.multiplied(by: exposures)
    var v = 0.0
    for i in exposures.indices { v += exposures[i] * sigmaE[i] }
    self.variance = max(v, 0)
    self.observations = observations
    self.periodsPerYear = periodsPerYear
    self.method = method
    self.repair = repair
    var idx: [String: Int] = [:]
    for (i, s) in symbols.enumerated() { idx[s] = i }
    self.index = idx
    self.held = Self.held(exposures)
  }

  private static func held(_ exposures: [Double]) -> [Int] { exposures.indices.filter { exposures[$0] != 0 } }

  /// The instruments held and `k` (when it is not held), in index order.
  public func members(with k: Int?) -> [Int] {
    guard let k, exposures[k] == 0 else { return held }
    var m = held
    m.insert(k, at: held.firstIndex { $0 > k } ?? held.count)
    return m
  }

  private mutating func exposureChanged(_ k: Int, from old: Double) {
    if (old != 0) != (exposures[k] != 0) { held = Self.held(exposures) }
  }

  public func position(of symbol: String) -> Int? { index[symbol] }
  /// Annual σ of the portfolio's P&L, base currency.
  public var volatility: Double { variance.squareRoot() }

  /// The flat correlation clusters of the instruments at `members` (indices, sorted), each a
  /// list of indices in symbol order (``CorrelationClusters``): prepared ones are reused.
  public func clusters(_ s: CorrelatedGroupSettings, members: [Int]) -> [[Int]] {
    if let i = prepared(s, members) { return preparedClusters[i].clusters }
    return CorrelationClusters.clusters(
      covariance: covariance, symbols: symbols, indices: members, linkage: s.linkage, minCorrelation: s.minCorrelation)
  }

  /// The clusters of more than one instrument at `members` as groups, each named by its
  /// members joined by `+` in symbol order (a cluster of one is no group): prepared ones are reused.
  public func clusterGroups(_ s: CorrelatedGroupSettings, members: [Int]) -> [InstrumentGroup] {
    if let i = prepared(s, members) { return preparedClusters[i].groups }
    return groups(of: clusters(s, members: members))
  }

  private func groups(of clusters: [[Int]]) -> [InstrumentGroup] {
    clusters.filter { $0.count > 1 }.map { cluster in
      let names = cluster.map { symbols[$0] }
      return InstrumentGroup(id: names.joined(separator: "+"), origin: .cluster, members: names)
    }
  }

  /// Computes and keeps the clusters of `members` (at most four member sets are kept).
  public mutating func prepareClusters(_ s: CorrelatedGroupSettings, members: [Int]) {
    if let i = prepared(s, members) {
      // The set kept as the array asked for: an equal set prepared from another array (a
      // candidate's, before it was held) was compared member by member at every order; the
      // same array compares at once (`==` tests the buffers' identity first).
      preparedClusters[i].members = members
      return
    }
    let c = clusters(s, members: members)
    preparedClusters.append(PreparedClusters(settings: s, members: members, clusters: c, groups: groups(of: c)))
    if preparedClusters.count > 4 { preparedClusters.removeFirst() }
  }

  /// Clusters, once, the instruments held and, for a trade in instrument `k` not held, those
  /// with it (``prepareClusters(_:members:)``): what each order of a batch then reuses. The
  /// exposures are the book's exactly (``setExposure(_:to:)``), so "held" is the book's.
  public mutating func prepareClusters(_ s: CorrelatedGroupSettings, candidate k: Int?) {
    prepareClusters(s, members: held)
    if let k, exposures[k] == 0 { prepareClusters(s, members: members(with: k)) }
  }

  /// The correlation of two instruments of the covariance (nil: a variance is not positive).
  public func correlation(_ i: Int, _ j: Int) -> Double? { CorrelationClusters.correlation(covariance, i, j) }

  /// Whether the clusters of `members` under `s` are prepared.
  public func hasPreparedClusters(_ s: CorrelatedGroupSettings, members: [Int]) -> Bool {
    prepared(s, members) != nil
  }

  /// The place of the clusters prepared for `members` under `s`, compared in place: a predicate
  /// over the elements copied each one out (three arrays retained and released), twice an
  /// order of a batch.
  private func prepared(_ s: CorrelatedGroupSettings, _ members: [Int]) -> Int? {
    for i in preparedClusters.indices where preparedClusters[i].settings == s && preparedClusters[i].members == members {
      return i
    }
    return nil
  }

  /// ``setExposure(_:to:)`` of the instrument by its symbol; nothing when it is not in the model.
  public mutating func setExposure(of symbol: String, to x: Double) {
    if let k = index[symbol] { setExposure(k, to: x) }
  }

  /// Sets instrument `k`'s exposure to `x` exactly (a closed position is exactly 0, as in the
  /// book): O(N).
  public mutating func setExposure(_ k: Int, to x: Double) {
    let old = exposures[k]
    defer { exposureChanged(k, from: old) }
    let delta = x - exposures[k]
    let n = symbols.count
    let col = k * n
    covariance.elements.withUnsafeBufferPointer { c in
      for i in 0..<n { sigmaE[i] += c[col + i] * delta }
    }
    exposures[k] = x
    var v = 0.0
    for i in 0..<n { v += exposures[i] * sigmaE[i] }
    variance = max(v, 0)
  }

  /// Adds `delta` of exposure to instrument `k`: O(N).
  public mutating func apply(_ k: Int, delta: Double) {
    let old = exposures[k]
    defer { exposureChanged(k, from: old) }
    let n = symbols.count
    let col = k * n
    covariance.elements.withUnsafeBufferPointer { c in
      for i in 0..<n { sigmaE[i] += c[col + i] * delta }
    }
    exposures[k] += delta
    var v = 0.0
    for i in 0..<n { v += exposures[i] * sigmaE[i] }
    variance = max(v, 0)
  }
}
