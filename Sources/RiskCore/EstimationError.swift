import LinearAlgebra

/// Why an estimate could not be made. Each reads as one sentence after `Error: `.
public enum EstimationError: Error, Sendable, Hashable, CustomStringConvertible {
  case lookbackTooShort(Int)
  case tooFewObservations(symbol: String, needed: Int, available: Int, what: String)
  case tooFewAlignedObservations(needed: Int, available: Int, symbols: [String])
  case nonPositivePrice(symbol: String, day: Day, field: String, value: Double, source: DataSource, line: Int)
  case missingOHLC(symbol: String, estimator: String)
  case invalidLambda(Double)
  case nonFinite(String)
  case constantSeries(symbol: String)
  case noInstruments
  case linearAlgebra(LinearAlgebraError)

  public var description: String {
    switch self {
    case .lookbackTooShort(let l):
      return "lookback \(l) is too short: it must be at least 2 returns."
    case .tooFewObservations(let s, let needed, let available, let what):
      return
        "\(s) has \(available) bars, \(what) needs \(needed); shorten the lookback (--lookback, or the profile's) or load more history."
    case .tooFewAlignedObservations(let needed, let available, let symbols):
      let list = symbols.count > 6 ? symbols.prefix(6).joined(separator: ", ") + ", …" : symbols.joined(separator: ", ")
      return
        "only \(available) dates are common to \(list) (\(needed) needed for the lookback); shorten the lookback or drop the instrument with the shortest history."
    case .nonPositivePrice(let s, let day, let field, let value, let source, let line):
      return
        "\(source) line \(line): \(s) \(field) is \(value) on \(day); returns-based estimators need positive prices, so choose a window or --as-of that avoids \(day)."
    case .missingOHLC(let s, let est):
      return "\(s) has closes only, but \(est) needs open, high and low; use --vol-estimator close-to-close or ewma."
    case .invalidLambda(let l):
      return "lambda \(l) is outside (0, 1); RiskMetrics uses 0.94 for daily data."
    case .nonFinite(let what):
      return "a non-finite number appeared in \(what); refusing to give an estimate."
    case .constantSeries(let s):
      return "\(s) has zero variance over the window, so it has no correlation; check the data or choose a longer window."
    case .noInstruments:
      return "no instruments to estimate."
    case .linearAlgebra(let e):
      return e.description
    }
  }
}
