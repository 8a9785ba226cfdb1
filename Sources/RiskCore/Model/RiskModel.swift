import LinearAlgebra

/// The one risk model behind `size`, `check`, `budget` and `whatif`: the book, the
/// market data at the as-of date, and what each regime profile needs from them (the
/// covariance of the modelled holdings and the candidates, each instrument's
/// statistics), estimated once and kept in step as trades are applied.
///
/// Every command asks it the same questions, so they cannot disagree: the limits of a
/// trade (``evaluate(_:profile:)``) and the breaches of the book (``breaches(profile:)``).
public struct RiskModel: Sendable {
  public private(set) var book: Book
  /// The market data through the as-of date.
  public let market: MarketData
  /// Diagnostics about the inputs (the valuation's; dropped market-data rows of the book's instruments).
  public let inputDiagnostics: [Diagnostic]
  /// One entry per covariance setting asked (a profile or three): found by a scan that compares
  /// the keys, not by hashing one (the method's name) on the path every order of a batch takes.
  private var covariances: [(key: CovarianceKey, entry: CovarianceEntry)] = []
  private var statistics: [StatsKey: InstrumentStats] = [:]

  struct StatsKey: Hashable {
    let profile: String
    let symbol: String
  }

  struct CovarianceKey: Hashable {
    let method: CovarianceMethod
    let lookback: Int
    let lambda: Double
    let maxDataAgeDays: Int
    init(_ p: RegimeProfile) {
      method = p.covarianceMethod
      lookback = p.covarianceLookback
      lambda = p.covarianceMethod == .ewma ? p.lambda : 0
      maxDataAgeDays = p.maxDataAgeDays
    }
  }

  struct CovarianceEntry {
    var model: PortfolioRiskModel?
    let included: Set<String>
    let diagnostics: [Diagnostic]
  }

  /// - Parameter market: cut at the book's as-of date here, once.
  public init(book: Book, market: MarketData, diagnostics: [Diagnostic] = []) {
    self.book = book
    self.market = market.through(book.asOf)
    var d = diagnostics
    for s in book.riskSymbols { d += Self.droppedRows(s, in: self.market) }
    inputDiagnostics = d
  }

  public init(valuation: AccountValuation, market: MarketData) {
    self.init(book: Book(valuation), market: market, diagnostics: valuation.diagnostics)
  }

  static func droppedRows(_ symbol: String, in market: MarketData) -> [Diagnostic] {
    guard let h = market[symbol], h.droppedRows > 0 else { return [] }
    return [
      Diagnostic(
        .marketRowsDropped, subject: symbol,
        "\(h.source): \(h.droppedRows) row\(h.droppedRows == 1 ? "" : "s") with a missing price dropped for \(symbol).")
    ]
  }

  public var catalog: InstrumentCatalog { market.catalog }

  /// The annual covariance of the modelled holdings and `candidates` under the profile's
  /// settings (nil when nothing can be modelled), with the holdings it leaves out.
  ///
  /// - Throws: ``EstimationError`` when the estimate cannot be made.
  public mutating func covariance(_ profile: RegimeProfile, including candidates: [String] = []) throws -> (
    model: PortfolioRiskModel?, diagnostics: [Diagnostic]
  ) {
    let key = CovarianceKey(profile)
    // By index: a predicate over the elements copied each entry out (and released it).
    var slot: Int? = nil
    for i in covariances.indices where covariances[i].key == key {
      slot = i
      break
    }
    if let i = slot, candidates.allSatisfy({ covariances[i].entry.included.contains($0) }) {
      Self.prepareClusters(&covariances[i].entry, profile, candidates: candidates)
      return (covariances[i].entry.model, covariances[i].entry.diagnostics)
    }
    let wanted = Set(candidates).union(slot.map { covariances[$0].entry.included } ?? [])
    var entry = try build(profile, candidates: wanted)
    Self.prepareClusters(&entry, profile, candidates: candidates)
    if let i = slot { covariances[i].entry = entry } else { covariances.append((key, entry)) }
    return (entry.model, entry.diagnostics)
  }

  /// Clusters the instruments held (and the candidate of a single trade) once, so that each
  /// order of a batch reuses them (``PortfolioRiskModel/prepareClusters(_:members:)``).
  static func prepareClusters(_ entry: inout CovarianceEntry, _ profile: RegimeProfile, candidates: [String]) {
    guard let s = profile.correlatedGroups, s.usesClusters else { return }
    // In place: the model copied out and written back retained and released each of its arrays.
    let k = candidates.count == 1 ? entry.model?.position(of: candidates[0]) : nil
    entry.model?.prepareClusters(s, candidate: k)
  }

  func build(_ profile: RegimeProfile, candidates: Set<String>) throws -> CovarianceEntry {
    let held = book.riskSymbols.filter { book.exposure(of: $0) != 0 }
    let lookback = profile.covarianceLookback
    let (modelled, excluded) = ModelledInstruments.select(
      held, market: market, asOf: book.asOf, lookback: lookback, maxDataAgeDays: profile.maxDataAgeDays)
    var symbols = modelled
    for c in candidates.sorted() where !symbols.contains(c) {
      if ModelledInstruments.reasonNotModelled(
        c, market: market, asOf: book.asOf, lookback: lookback, maxDataAgeDays: profile.maxDataAgeDays) == nil
      {
        symbols.append(c)
      }
    }
    var diagnostics = excluded
    var model: PortfolioRiskModel? = nil
    if !symbols.isEmpty {
      let result = try CovariancePipeline.estimate(symbols.compactMap { market[$0] }, settings: CovarianceSettings(profile))
      diagnostics += result.diagnostics
      model = try PortfolioRiskModel(
        symbols: symbols, covariance: result.annual, exposures: symbols.map { book.exposure(of: $0) },
        observations: result.aligned.observations, periodsPerYear: result.periodsPerYear, method: profile.covarianceMethod,
        repair: result.estimate.repair)
    }
    return CovarianceEntry(model: model, included: candidates, diagnostics: diagnostics)
  }

  /// The instrument's statistics under the profile (volatility, ATR, ADV, range), cached.
  ///
  /// - Throws: ``UnknownInstrumentError``, ``EstimationError``.
  public mutating func stats(_ symbol: String, _ profile: RegimeProfile) throws -> InstrumentStats {
    let key = StatsKey(profile: profile.name, symbol: symbol)
    if let s = statistics[key] { return s }
    guard let h = market[symbol] else {
      throw UnknownInstrumentError(
        symbol: symbol, suggestions: closeMatches(for: symbol, in: market.symbols), known: market.symbols.count)
    }
    let s = try InstrumentStats.compute(
      h, profile: profile, periodsPerYear: market.periodsPerYear(of: h),
      volumeInQuoteCurrency: catalog.spec(for: symbol).volumeInQuoteCurrency)
    statistics[key] = s
    return s
  }

  /// Applies a fill of `quantity` (signed) of the instrument: the book and every covariance, O(N) each.
  public mutating func apply(
    symbol: String, assetClass: AssetClass, quantity: Double, unitExposure: Double, unitMargin: Double = 0,
    group: String? = nil
  ) {
    let (before, after) = book.apply(
      symbol: symbol, assetClass: assetClass, quantity: quantity, unitExposure: unitExposure, unitMargin: unitMargin,
      group: group)
    guard after != before else { return }
    // In place: an entry or a model copied out and written back would copy its vectors.
    for i in covariances.indices { covariances[i].entry.model?.setExposure(of: symbol, to: after) }
  }

  /// Every limit of the profile for a candidate trade.
  ///
  /// - Throws: ``EstimationError`` when the covariance cannot be estimated.
  public mutating func evaluate(_ t: CandidateTrade, profile: RegimeProfile) throws -> TradeEvaluation {
    let (risk, _) = try covariance(profile, including: [t.symbol])
    return LimitModel(profile).evaluate(t, book: book, risk: risk)
  }

  /// The limits the whole book breaks under the profile.
  public mutating func breaches(profile: RegimeProfile) throws -> [Breach] {
    let (risk, _) = try covariance(profile)
    return LimitModel(profile).breaches(book: book, risk: risk)
  }
}
