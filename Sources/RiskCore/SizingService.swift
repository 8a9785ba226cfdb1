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
///
/// A class, immutable: a batch hands every order the same choice (or, under `auto`, its
/// instrument's), and a struct holding the whole profile was copied for each.
public final class RegimeChoice: Sendable {
  public let profile: RegimeProfile
  /// Empty when chosen by flag.
  public let evidence: [RegimeEvidence]
  public let auto: Bool

  public init(profile: RegimeProfile, evidence: [RegimeEvidence], auto: Bool) {
    self.profile = profile
    self.evidence = evidence
    self.auto = auto
  }
}

/// `advisor size`: the recommendation under the chosen regime, and the size under every other regime.
public struct SizeReport: Sendable {
  public let recommendation: SizeRecommendation
  public let choice: RegimeChoice
  /// (regime, quantity, binding limit, equity base) for every profile, calm to crisis.
  public let acrossRegimes: [(regime: String, quantity: Double?, binding: LimitID?, error: String?, equityBase: Double?)]
  /// The recommendation's diagnostics, then the book's and the inputs'.
  public let diagnostics: [Diagnostic]
  /// The account's trading state under the chosen profile (ACTIVE, or REDUCING on the reducing side).
  public let tradingState: TradingStateReading
  public var warnings: [String] { diagnostics.messages }
}

/// `advisor size` under a trading state that blocks the trade: HALTED, REDUCING on the side
/// that opens or adds, or a journal that cannot be read. Reported instead of a size.
public struct TradingBlockedError: Error, Sendable, CustomStringConvertible {
  public let symbol: String
  public let side: TradeSide
  public let profile: RegimeProfile
  public let reading: TradingStateReading
  public var code: FindingCode {
    if reading.unavailable != nil { return .journalUnavailable }
    return reading.state == .halted ? .tradingStateHalted : .tradingStateReducing
  }
  public var description: String {
    reading.unavailable != nil
      ? "\(reading.reason)."
      : "trading is \(reading.state.label) (\(reading.reason)): no size for a \(side.rawValue) \(symbol)\(reading.state == .reducing ? " (only orders that reduce a position pass)" : "")."
  }
}

/// How the regime of a run is chosen: a profile by name, or `auto` from the data.
public enum RegimeSelection: Sendable, Hashable {
  case named(String)
  case auto

  public init(_ text: String) { self = text == "auto" ? .auto : .named(text) }
}

public enum SizingService {
  /// Chooses the regime for a trade: by name, or from the data (`auto`): the more severe
  /// of the instrument's and the portfolio's evidence.
  ///
  /// - Throws: ``UnknownRegimeError``, ``UnknownInstrumentError``, ``RegimeDetectionError``.
  public static func chooseRegime(
    _ name: String, regimes: RegimeSet, symbol: String, model: RiskModel
  ) throws -> RegimeChoice {
    if name != "auto" { return try named(name, regimes) }
    let data = model.market
    guard let h = data[symbol] else {
      throw UnknownInstrumentError(
        symbol: symbol, suggestions: closeMatches(for: symbol, in: data.symbols), known: data.symbols.count)
    }
    let settings = regimes.detection
    let needed = settings.shortWindow + settings.lookback - 1
    let r = try lastReturns(of: h, lookback: max(2, min(needed, h.count - 1)), kind: .simple)
    var evidence = [
      try RegimeDetector.evidence(subject: symbol, returns: r, periodsPerYear: data.periodsPerYear(of: h), settings: settings)
    ]
    if let p = try portfolioEvidence(model.book, data: data, settings: settings) { evidence.append(p) }
    return try severest(evidence, regimes)
  }

  /// Chooses the regime for the whole book: by name, or from the portfolio's evidence alone.
  ///
  /// - Throws: ``UnknownRegimeError``, ``RegimeDetectionError`` when the history is too short for `auto`.
  public static func chooseRegime(_ name: String, regimes: RegimeSet, model: RiskModel) throws -> RegimeChoice {
    if name != "auto" { return try named(name, regimes) }
    let settings = regimes.detection
    guard let e = try portfolioEvidence(model.book, data: model.market, settings: settings) else {
      let held = model.book.riskSymbols.filter { model.market[$0] != nil }
      let available = max(0, (held.compactMap { model.market[$0]?.count }.min() ?? 1) - 1)
      throw RegimeDetectionError.tooShort(
        subject: "the portfolio", needed: settings.shortWindow + settings.lookback - 1, available: available)
    }
    return try severest([e], regimes)
  }

  static func named(_ name: String, _ regimes: RegimeSet) throws -> RegimeChoice {
    guard let p = regimes.profile(name) else { throw UnknownRegimeError(name: name, known: regimes.names) }
    return RegimeChoice(profile: p, evidence: [], auto: false)
  }

  static func severest(_ evidence: [RegimeEvidence], _ regimes: RegimeSet) throws -> RegimeChoice {
    let worst = evidence.max { regimes.severity($0.regime) < regimes.severity($1.regime) }?.regime ?? "normal"
    guard let p = regimes.profile(worst) else { throw UnknownRegimeError(name: worst, known: regimes.names) }
    return RegimeChoice(profile: p, evidence: evidence, auto: true)
  }

  /// The portfolio's regime evidence: its current exposures (options through their
  /// underlying) as weights of equity, through the aligned history (``HistoricalPnL``);
  /// nil when the book is empty, its equity is not positive, or the history is too short.
  static func portfolioEvidence(_ book: Book, data: MarketData, settings: RegimeDetectionSettings) throws -> RegimeEvidence? {
    guard book.equity > 0 else { return nil }
    let needed = settings.shortWindow + settings.lookback - 1
    let symbols = book.riskSymbols.filter { book.exposure(of: $0) != 0 && data[$0] != nil }.sorted()
    guard !symbols.isEmpty else { return nil }
    let histories = symbols.compactMap { data[$0] }
    let lookback = min(needed, (histories.map(\.count).min() ?? 2) - 1)
    guard lookback >= 2 else { return nil }
    let aligned = try AlignedReturns(histories, lookback: lookback, kind: .simple)
    let series = HistoricalPnL.series(
      exposures: symbols.map { book.exposure(of: $0) }, returns: aligned, scale: 1 / book.equity)
    guard series.count >= needed else { return nil }
    return try RegimeDetector.evidence(
      subject: "portfolio", returns: series, periodsPerYear: aligned.periodsPerYear, settings: settings)
  }

  /// Sizes under the chosen regime and, for comparison, under every profile.
  public static func run(
    _ request: SizingRequest, valuation: AccountValuation, market: MarketData, regimes: RegimeSet, regime: String
  ) throws -> SizeReport {
    var model = RiskModel(valuation: valuation, market: market)
    return try run(request, model: &model, regimes: regimes, regime: regime)
  }

  /// Sizes on a model already built (a resident server's book, with its open orders applied).
  public static func run(_ request: SizingRequest, model: inout RiskModel, regimes: RegimeSet, regime: String) throws
    -> SizeReport
  {
    guard model.market[request.symbol] != nil else {
      throw UnknownInstrumentError(
        symbol: request.symbol, suggestions: closeMatches(for: request.symbol, in: model.market.symbols),
        known: model.market.symbols.count)
    }
    let choice = try chooseRegime(regime, regimes: regimes, symbol: request.symbol, model: model)
    let book = model.book
    let state = TradingStateMachine.evaluate(
      book.record, breakers: choice.profile.breakers, asOf: book.asOf, currentEquity: book.equity)
    let reduces = book.quantity(of: request.symbol) * request.side.sign < 0
    guard state.allows(reducesOnly: reduces) else {
      throw TradingBlockedError(symbol: request.symbol, side: request.side, profile: choice.profile, reading: state)
    }
    var request = request
    if state.state == .reducing { request.reduceOnly = true }
    let rec = try size(request, profile: choice.profile, model: &model)
    var across: [(regime: String, quantity: Double?, binding: LimitID?, error: String?, equityBase: Double?)] = []
    for p in regimes.profiles {
      if p.name == choice.profile.name {
        across.append((p.name, rec.quantity, rec.binding, nil, rec.equityBase.value))
        continue
      }
      do {
        let r = try size(request, profile: p, model: &model)
        across.append((p.name, r.quantity, r.binding, nil, r.equityBase.value))
      } catch {
        across.append((p.name, nil, nil, "\(error)", EquityBase.of(book, profile: p).value))
      }
    }
    let (_, excluded) = try model.covariance(choice.profile, including: [request.symbol])
    var diagnostics = rec.diagnostics
    for d in excluded + RiskModel.droppedRows(request.symbol, in: model.market) + model.inputDiagnostics {
      diagnostics.appendOnce(d)
    }
    return SizeReport(
      recommendation: rec, choice: choice, acrossRegimes: across, diagnostics: diagnostics, tradingState: state)
  }

  /// One size through the model.
  public static func size(_ request: SizingRequest, profile: RegimeProfile, model: inout RiskModel) throws -> SizeRecommendation {
    let stats = try model.stats(request.symbol, profile)
    let (risk, _) = try model.covariance(profile, including: [request.symbol])
    return try PositionSizer.size(
      request, spec: model.catalog.spec(for: request.symbol), stats: stats, book: model.book, risk: risk, profile: profile)
  }
}

public struct UnknownRegimeError: Error, Sendable, CustomStringConvertible {
  public let name: String
  public let known: [String]
  /// The flag it was given by, when known (`--to-regime`).
  public var flag: String?
  public init(name: String, known: [String], flag: String? = nil) {
    self.name = name
    self.known = known
    self.flag = flag
  }
  public var description: String {
    let hint = closeMatches(for: name, in: known + ["auto"])
    return (flag.map { "\($0): " } ?? "")
      + "unknown regime '\(escapedForMessage(name, limit: 80))': known regimes are \(known.joined(separator: ", ")) and auto\(hint.isEmpty ? "." : "; did you mean \(hint.joined(separator: " or "))?")"
  }
}
