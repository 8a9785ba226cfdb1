import LinearAlgebra

/// Evidence for `--regime auto`: where the current short-window volatility sits
/// in the distribution of its own rolling values.
public struct RegimeEvidence: Sendable, Hashable {
  public let subject: String
  /// Annualised close-to-close σ of the last `window` returns.
  public let current: Double
  /// Percentile rank of `current` among the rolling values (0…1).
  public let percentile: Double
  public let samples: Int
  public let window: Int
  public let median: Double
  public let low: Double
  public let high: Double
  /// The rolling values at the profile's percentile bounds, in order.
  public let bounds: [Double]
  public let regime: String
}

/// Why the regime could not be detected.
public enum RegimeDetectionError: Error, Sendable, CustomStringConvertible {
  case tooShort(subject: String, needed: Int, available: Int)
  public var description: String {
    switch self {
    case .tooShort(let s, let n, let a):
      return "--regime auto needs \(n) returns of \(s) (short window plus lookback), only \(a) available; pass --regime."
    }
  }
}

public enum RegimeDetector {
  /// Classifies a daily return series (newest last).
  public static func evidence(
    subject: String, returns: [Double], periodsPerYear: Int, settings: RegimeDetectionSettings
  ) throws(RegimeDetectionError) -> RegimeEvidence {
    let w = settings.shortWindow
    let needed = w + settings.lookback - 1
    guard returns.count >= needed, w >= 2 else {
      throw .tooShort(subject: subject, needed: needed, available: returns.count)
    }
    let r = Array(returns.suffix(needed))
    // Rolling sample σ by running sums (ddof 1), annualised.
    let scale = Double(periodsPerYear).squareRoot()
    var values: [Double] = []
    values.reserveCapacity(settings.lookback)
    var sum = 0.0
    var sumSq = 0.0
    for i in 0..<r.count {
      sum += r[i]
      sumSq += r[i] * r[i]
      if i >= w {
        sum -= r[i - w]
        sumSq -= r[i - w] * r[i - w]
      }
      if i >= w - 1 {
        let n = Double(w)
        let variance = max(0, (sumSq - sum * sum / n) / (n - 1))
        values.append(variance.squareRoot() * scale)
      }
    }
    let current = values[values.count - 1]
    let below = values.filter { $0 < current }.count
    let equal = values.filter { $0 == current }.count
    let p = (Double(below) + 0.5 * Double(equal)) / Double(values.count)
    let sorted = values.sorted()
    func quantile(_ q: Double) -> Double {
      let pos = q * Double(sorted.count - 1)
      let i = Int(pos.rounded(.down))
      let f = pos - Double(i)
      return i + 1 < sorted.count ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i]
    }
    return RegimeEvidence(
      subject: subject, current: current, percentile: p, samples: values.count, window: w, median: quantile(0.5),
      low: sorted[0], high: sorted[sorted.count - 1], bounds: settings.upperPercentiles.map(quantile),
      regime: settings.regime(forPercentile: p))
  }
}

/// The regime used and why.
public struct RegimeChoice: Sendable {
  public let profile: RegimeProfile
  /// Empty when chosen by flag.
  public let evidence: [RegimeEvidence]
  public let auto: Bool
}

/// The account, market and profile prepared for sizing and checks.
public struct SizingEnvironment: Sendable {
  public let profile: RegimeProfile
  public var state: AccountState
  public let market: MarketData
  public let catalog: InstrumentCatalog
  public var risk: PortfolioRiskModel?
  public let warnings: [String]
  private var statsCache: [String: InstrumentStats]

  /// - Parameters:
  ///   - candidates: instruments that may be traded (included in the covariance).
  /// - Throws: ``EstimationError`` when the covariance cannot be estimated.
  public static func build(
    state: AccountState, valuation: AccountValuation?, market: MarketData, profile: RegimeProfile, candidates: [String]
  ) throws -> SizingEnvironment {
    let data = market.through(state.asOf)
    let held = RiskExposures.collect(valuation, market: data, minimumBars: profile.covarianceLookback + 1)
    var warnings = held.warnings
    var exposure = held.exposure
    var order = held.symbols
    func add(_ symbol: String, _ e: Double) {
      if exposure[symbol] == nil { order.append(symbol) }
      exposure[symbol, default: 0] += e
    }
    // A candidate without enough history stays out of the model: sizing it then fails closed.
    for c in candidates where (data[c]?.count ?? 0) >= profile.covarianceLookback + 1 { add(c, 0) }
    var risk: PortfolioRiskModel? = nil
    if !order.isEmpty {
      let histories = order.compactMap { data[$0] }
      let aligned = try AlignedReturns(histories, lookback: profile.covarianceLookback, kind: .simple)
      let estimate = try profile.covarianceMethod.estimator(lambda: profile.lambda).estimate(aligned.matrix)
      if let repair = estimate.repair {
        warnings.append(
          "the covariance was not positive semidefinite; \(repair.clippedEigenvalues) eigenvalue(s) clipped (relative change \(repair.relativeChange))."
        )
      }
      let annual = estimate.annual(periodsPerYear: aligned.periodsPerYear)
      risk = try PortfolioRiskModel(
        symbols: order, covariance: annual, exposures: order.map { exposure[$0, default: 0] }, observations: aligned.observations,
        periodsPerYear: aligned.periodsPerYear, method: profile.covarianceMethod, repair: estimate.repair)
    }
    return SizingEnvironment(
      profile: profile, state: state, market: data, catalog: market.catalog, risk: risk, warnings: warnings, statsCache: [:])
  }

  /// The same account and market under another profile. The covariance (the costly part)
  /// is kept when the profile estimates it the same way (the candidates must be those it
  /// was built with); otherwise it is rebuilt; the per-instrument statistics,
  /// which follow the profile's volatility, ATR and liquidity settings, are recomputed.
  public func withProfile(_ p: RegimeProfile, valuation: AccountValuation?, candidates: [String]) throws -> SizingEnvironment {
    guard p.covarianceMethod == profile.covarianceMethod, p.covarianceLookback == profile.covarianceLookback,
      p.lambda == profile.lambda
    else {
      return try Self.build(state: state, valuation: valuation, market: market, profile: p, candidates: candidates)
    }
    return SizingEnvironment(
      profile: p, state: state, market: market, catalog: catalog, risk: risk, warnings: warnings, statsCache: [:])
  }

  /// The instrument's stats at the as-of date (cached).
  public mutating func stats(for symbol: String) throws -> InstrumentStats {
    if let s = statsCache[symbol] { return s }
    guard let h = market[symbol] else {
      throw UnknownInstrumentError(
        symbol: symbol, suggestions: closeMatches(for: symbol, in: market.symbols), known: market.symbols.count)
    }
    let s = try InstrumentStats.compute(
      h, profile: profile, periodsPerYear: market.periodsPerYear(of: h),
      volumeInQuoteCurrency: catalog.spec(for: symbol).volumeInQuoteCurrency)
    statsCache[symbol] = s
    return s
  }

  public mutating func size(_ request: SizingRequest) throws -> SizeRecommendation {
    let stats = try stats(for: request.symbol)
    return try PositionSizer.size(
      request, spec: catalog.spec(for: request.symbol), stats: stats, state: state, risk: risk, profile: profile)
  }
}

/// `advisor size`: the recommendation under the chosen regime, and the size under every other regime.
public struct SizeReport: Sendable {
  public let recommendation: SizeRecommendation
  public let choice: RegimeChoice
  /// (regime, quantity, binding limit) for every profile, calm to crisis.
  public let acrossRegimes: [(regime: String, quantity: Double?, binding: LimitID?, error: String?)]
  public let warnings: [String]
}

public enum SizingService {
  /// Chooses the regime: by name, or from the data (`auto`): the more severe of the instrument's and the portfolio's.
  public static func chooseRegime(
    _ name: String, regimes: RegimeSet, symbol: String, market: MarketData, valuation: AccountValuation?, asOf: Day
  ) throws -> RegimeChoice {
    if name != "auto" {
      guard let p = regimes.profile(name) else { throw UnknownRegimeError(name: name, known: regimes.names) }
      return RegimeChoice(profile: p, evidence: [], auto: false)
    }
    let data = market.through(asOf)
    guard let h = data[symbol] else {
      throw UnknownInstrumentError(
        symbol: symbol, suggestions: closeMatches(for: symbol, in: data.symbols), known: data.symbols.count)
    }
    let settings = regimes.detection
    let needed = settings.shortWindow + settings.lookback - 1
    let r = try lastReturns(of: h, lookback: min(needed, h.count - 1), kind: .simple)
    var evidence = [
      try RegimeDetector.evidence(subject: symbol, returns: r, periodsPerYear: data.periodsPerYear(of: h), settings: settings)
    ]
    if let p = try portfolioEvidence(valuation: valuation, data: data, settings: settings) { evidence.append(p) }
    let worst = evidence.max { regimes.severity($0.regime) < regimes.severity($1.regime) }?.regime ?? "normal"
    guard let p = regimes.profile(worst) else { throw UnknownRegimeError(name: worst, known: regimes.names) }
    return RegimeChoice(profile: p, evidence: evidence, auto: true)
  }

  /// Chooses the regime for the whole book: by name, or from the data (`auto`),
  /// from the portfolio's evidence alone (current exposures through the aligned history).
  ///
  /// - Throws: ``UnknownRegimeError``, ``RegimeDetectionError`` when the history is too short for `auto`.
  public static func chooseRegime(
    _ name: String, regimes: RegimeSet, market: MarketData, valuation: AccountValuation, asOf: Day
  ) throws -> RegimeChoice {
    if name != "auto" {
      guard let p = regimes.profile(name) else { throw UnknownRegimeError(name: name, known: regimes.names) }
      return RegimeChoice(profile: p, evidence: [], auto: false)
    }
    let settings = regimes.detection
    let data = market.through(asOf)
    guard let e = try portfolioEvidence(valuation: valuation, data: data, settings: settings) else {
      let held = RiskExposures.collect(valuation, market: data)
      let available = max(0, (held.symbols.compactMap { data[$0]?.count }.min() ?? 1) - 1)
      throw RegimeDetectionError.tooShort(
        subject: "the portfolio", needed: settings.shortWindow + settings.lookback - 1, available: available)
    }
    guard let p = regimes.profile(e.regime) else { throw UnknownRegimeError(name: e.regime, known: regimes.names) }
    return RegimeChoice(profile: p, evidence: [e], auto: true)
  }

  /// The portfolio's regime evidence: its current exposures (options through their
  /// underlying) as weights of equity, through the aligned history; nil when the
  /// account is empty, its equity is not positive, or the history is too short.
  static func portfolioEvidence(
    valuation: AccountValuation?, data: MarketData, settings: RegimeDetectionSettings
  ) throws -> RegimeEvidence? {
    guard let v = valuation, !v.positions.isEmpty, v.equity > 0 else { return nil }
    let needed = settings.shortWindow + settings.lookback - 1
    let held = RiskExposures.collect(v, market: data)
    let symbols = held.symbols.sorted()
    guard !symbols.isEmpty else { return nil }
    let histories = symbols.compactMap { data[$0] }
    let aligned = try AlignedReturns(histories, lookback: min(needed, (histories.map(\.count).min() ?? 2) - 1), kind: .simple)
    var series = [Double](repeating: 0, count: aligned.observations)
    for (j, s) in symbols.enumerated() {
      let w = held.exposure[s, default: 0] / v.equity
      for t in 0..<aligned.observations { series[t] += w * aligned.matrix[t, j] }
    }
    guard series.count >= needed else { return nil }
    return try RegimeDetector.evidence(
      subject: "portfolio", returns: series, periodsPerYear: aligned.periodsPerYear, settings: settings)
  }

  /// Sizes under the chosen regime and, for comparison, under every profile.
  public static func run(
    _ request: SizingRequest, valuation: AccountValuation, market: MarketData, regimes: RegimeSet, regime: String
  ) throws -> SizeReport {
    let state = AccountState(valuation)
    let choice = try chooseRegime(
      regime, regimes: regimes, symbol: request.symbol, market: market, valuation: valuation, asOf: state.asOf)
    var env = try SizingEnvironment.build(
      state: state, valuation: valuation, market: market, profile: choice.profile, candidates: [request.symbol])
    let rec = try env.size(request)
    var across: [(regime: String, quantity: Double?, binding: LimitID?, error: String?)] = []
    for p in regimes.profiles {
      if p.name == choice.profile.name {
        across.append((p.name, rec.quantity, rec.binding, nil))
        continue
      }
      do {
        var e = try env.withProfile(p, valuation: valuation, candidates: [request.symbol])
        let r = try e.size(request)
        across.append((p.name, r.quantity, r.binding, nil))
      } catch {
        across.append((p.name, nil, nil, "\(error)"))
      }
    }
    return SizeReport(recommendation: rec, choice: choice, acrossRegimes: across, warnings: env.warnings + valuation.warnings)
  }
}

public struct UnknownRegimeError: Error, Sendable, CustomStringConvertible {
  public let name: String
  public let known: [String]
  public var description: String {
    "unknown regime '\(name)': known regimes are \(known.joined(separator: ", ")) and auto."
  }
}
