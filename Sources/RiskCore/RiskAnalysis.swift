import LinearAlgebra

/// What `advisor risk` is asked to estimate.
public struct RiskRequest: Sendable {
  /// Instruments in the order wanted (nil: every instrument in the market data, in load order).
  public var instruments: [String]?
  public var covariance: CovarianceMethod
  public var volatility: VolatilityMethod
  /// Number of returns (or bars, for range estimators) used.
  public var lookback: Int
  /// EWMA decay λ ∈ (0, 1).
  public var lambda: Double
  public var atrPeriod: Int
  public var returnKind: ReturnKind
  /// Only data on or before this day is used (nil: all of it).
  public var asOf: Day?
  /// Overrides the periods per year of every series and of the aligned set.
  public var periodsPerYear: Int?

  public init(
    instruments: [String]? = nil, covariance: CovarianceMethod = .ewma, volatility: VolatilityMethod = .ewma,
    lookback: Int = 252, lambda: Double = 0.94, atrPeriod: Int = 14, returnKind: ReturnKind = .simple, asOf: Day? = nil,
    periodsPerYear: Int? = nil
  ) {
    self.periodsPerYear = periodsPerYear
    self.instruments = instruments
    self.covariance = covariance
    self.volatility = volatility
    self.lookback = lookback
    self.lambda = lambda
    self.atrPeriod = atrPeriod
    self.returnKind = returnKind
    self.asOf = asOf
  }
}

/// One instrument's line in a risk report, on its own calendar.
public struct InstrumentRisk: Sendable {
  public let symbol: String
  public let source: DataSource
  public let lastDay: Day
  public let lastClose: Double
  /// Bars available up to the as-of date.
  public let bars: Int
  public let periodsPerYear: Int
  public let dailyVolatility: Double
  public let annualVolatility: Double
  /// nil for close-only series (no high/low).
  public let atr: WilderATR.Value?
}

/// The result of `advisor risk`: per-instrument volatility and the cross-instrument covariance.
public struct RiskReport: Sendable {
  public let request: RiskRequest
  public let instruments: [InstrumentRisk]
  public let symbols: [String]
  /// Aligned returns used by the covariance estimator.
  public let observations: Int
  /// Dates common to all instruments (before the lookback).
  public let commonDates: Int
  public let firstReturnDay: Day
  public let lastDay: Day
  public let periodsPerYear: Int
  public let estimate: CovarianceEstimate
  public let annualCovariance: SymmetricMatrix
  public let correlation: SymmetricMatrix
  public let warnings: [String]
}

/// Unknown symbols asked for.
public struct UnknownInstrumentError: Error, Sendable, Hashable, CustomStringConvertible {
  public let symbol: String
  public let suggestions: [String]
  public let known: Int
  public init(symbol: String, suggestions: [String], known: Int) {
    self.symbol = symbol
    self.suggestions = suggestions
    self.known = known
  }
  public var description: String {
    let hint = suggestions.isEmpty ? "" : " Did you mean \(suggestions.joined(separator: ", "))?"
    return "unknown instrument '\(symbol)': the market data has no such symbol (\(known) known).\(hint)"
  }
}

/// Symbols close to `symbol`, by edit distance (case-insensitive), best first.
public func closeMatches(for symbol: String, in candidates: [String], limit: Int = 3) -> [String] {
  let s = Array(symbol.uppercased())
  func distance(_ t: [Character]) -> Int {
    var prev = Array(0...t.count)
    for i in 1...max(1, s.count) where !s.isEmpty {
      var cur = [i] + Array(repeating: 0, count: t.count)
      for j in 1...max(1, t.count) where !t.isEmpty {
        cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] == t[j - 1] ? 0 : 1))
      }
      prev = cur
    }
    return prev[t.count]
  }
  let scored = candidates.map { c -> (String, Int) in
    let u = Array(c.uppercased())
    let d = u.starts(with: s) || s.starts(with: u) ? 0 : distance(u)
    return (c, d)
  }
  let threshold = max(1, s.count / 2)
  return scored.filter { $0.1 <= threshold }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
}

public enum RiskAnalysis {
  /// Estimates per-instrument volatility and ATR (each on its own calendar) and
  /// the covariance on the aligned calendar.
  ///
  /// - Throws: ``UnknownInstrumentError``, ``EstimationError``.
  public static func run(_ market: MarketData, _ request: RiskRequest) throws -> RiskReport {
    guard request.lookback >= 2 else { throw EstimationError.lookbackTooShort(request.lookback) }
    let data = request.asOf.map { market.through($0) } ?? market
    let symbols = request.instruments ?? data.symbols
    guard !symbols.isEmpty else { throw EstimationError.noInstruments }
    var histories: [PriceHistory] = []
    for s in symbols {
      guard let h = data[s] else {
        throw UnknownInstrumentError(symbol: s, suggestions: closeMatches(for: s, in: data.symbols), known: data.symbols.count)
      }
      histories.append(h)
    }
    var warnings = market.warnings
    let volEstimator = request.volatility.estimator(lambda: request.lambda, returnKind: request.returnKind)
    let atr = WilderATR(period: request.atrPeriod)
    var lines: [InstrumentRisk] = []
    var closeOnly: [String] = []
    for h in histories {
      guard let lastDay = h.lastDay, let lastClose = h.lastClose else {
        throw EstimationError.tooFewObservations(
          symbol: h.symbol, needed: request.lookback + 1, available: 0, what: "a lookback of \(request.lookback) returns")
      }
      let p = request.periodsPerYear ?? data.periodsPerYear(of: h)
      let daily = try volEstimator.dailyVolatility(of: h, lookback: request.lookback)
      var atrValue: WilderATR.Value? = nil
      if h.hasOHLC {
        atrValue = try atr.atr(of: h)
      } else {
        closeOnly.append(h.symbol)
      }
      lines.append(
        InstrumentRisk(
          symbol: h.symbol, source: h.source, lastDay: lastDay, lastClose: lastClose, bars: h.count, periodsPerYear: p,
          dailyVolatility: daily, annualVolatility: daily * Double(p).squareRoot(), atr: atrValue))
    }
    if !closeOnly.isEmpty {
      let list =
        closeOnly.count > 5
        ? closeOnly.prefix(5).joined(separator: ", ") + " and \(closeOnly.count - 5) more" : closeOnly.joined(separator: ", ")
      warnings.append("no ATR for \(list): closes only (ATR needs high and low).")
    }
    let result = try CovariancePipeline.estimate(
      histories,
      settings: CovarianceSettings(method: request.covariance, lookback: request.lookback, lambda: request.lambda),
      returns: request.returnKind, periodsPerYear: request.periodsPerYear)
    let aligned = result.aligned
    let estimate = result.estimate
    warnings += result.diagnostics.messages
    let correlation: SymmetricMatrix
    do {
      correlation = try estimate.daily.normalizedToUnitDiagonal()
    } catch {
      let d = estimate.daily.diagonal
      let flat = d.firstIndex { !($0 > 0) }.map { symbols[$0] } ?? "an instrument"
      throw EstimationError.constantSeries(symbol: flat)
    }
    let periods = result.periodsPerYear
    return RiskReport(
      request: request, instruments: lines, symbols: symbols, observations: aligned.observations,
      commonDates: aligned.commonDates, firstReturnDay: aligned.days.first ?? Day(ordinal: 0),
      lastDay: aligned.days.last ?? Day(ordinal: 0), periodsPerYear: periods, estimate: estimate,
      annualCovariance: result.annual, correlation: correlation, warnings: warnings)
  }
}
