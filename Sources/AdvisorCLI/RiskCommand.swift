import ArgumentParser
import RiskCore
import RiskIO

struct RiskCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "risk",
    abstract: "Volatility, ATR, covariance and correlation of instruments from their price history.",
    discussion: """
      Per-instrument volatility is computed on each instrument's own calendar; the covariance on \
      the dates common to all of them (inner join). Annual = daily × √P for volatility and daily × P \
      for covariance, P = 365 for 7-day markets (over 20% weekend dates) else 252.

      Example: advisor risk --instruments BTC,ETH,AAPL --estimator ledoit-wolf --format json

      \(AdvisorExit.helpText(checks: false))
      """
  )

  @OptionGroup var inputs: InputOptions

  @Option(name: .long, parsing: .upToNextOption, help: "Instruments, comma-separated, in matrix order (default: all).")
  var instruments: [String] = []

  @Option(name: .long, help: "Covariance estimator: \(CovarianceMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
  var estimator: CovarianceMethod = .ewma

  @Option(
    name: .customLong("vol-estimator"),
    help: "Per-instrument volatility estimator: \(VolatilityMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
  var volEstimator: VolatilityMethod = .ewma

  @Option(name: .long, help: "Number of returns used (at least 2).")
  var lookback: Int = 252

  @Option(name: .long, help: "EWMA decay λ in (0, 1).")
  var lambda: Double = 0.94

  @Option(name: .customLong("atr-period"), help: "Wilder ATR period n.")
  var atrPeriod: Int = 14

  @Option(name: .long, help: "Return measure: simple or log.")
  var returns: ReturnKind = .simple

  @Option(name: .customLong("periods-per-year"), help: "Override the periods per year inferred from each calendar.")
  var periodsPerYear: Int?

  @Option(name: .long, help: "Output format: text, json or csv.")
  var format: RiskFormat = .text

  @OptionGroup var outputStyle: OutputOptions

  func validate() throws {
    guard lookback >= 2 else { throw ValidationError("--lookback must be at least 2 returns, got \(lookback).") }
    guard lambda > 0 && lambda < 1 else { throw ValidationError("--lambda must be in (0, 1), got \(lambda).") }
    guard atrPeriod >= 1 else { throw ValidationError("--atr-period must be at least 1, got \(atrPeriod).") }
    try checkFlag {
      try FlagCheck.integer(lookback, "--lookback", 2...InputLimits.maxLookback)
      try FlagCheck.integer(atrPeriod, "--atr-period", 1...InputLimits.maxATRPeriod)
      try FlagCheck.number(lambda, "--lambda", InputRange.lambda)
    }
    if !instruments.isEmpty { _ = try instrumentList(instruments) }
    if let p = periodsPerYear, !(1...366).contains(p) {
      throw ValidationError("--periods-per-year must be in 1...366, got \(p).")
    }
  }

  func run() throws {
    try reportingErrors {
      let config = try inputs.resolvedConfig()
      let market = try inputs.loadMarket(config)
      let symbols = instruments.isEmpty ? [] : try instrumentList(instruments)
      let request = RiskRequest(
        instruments: symbols.isEmpty ? nil : symbols, covariance: estimator, volatility: volEstimator,
        lookback: lookback, lambda: lambda, atrPeriod: atrPeriod, returnKind: returns, asOf: inputs.asOfDay(config),
        periodsPerYear: periodsPerYear)
      let report = try RiskAnalysis.run(market, request)
      if format == .text { outputStyle.apply() }
      if format == .json {
        try emit(bytes: try RiskRenderer.jsonBytes(report))
      } else {
        try emit(try RiskRenderer.render(report, as: format))
      }
    }
  }
}

extension String {
  func trimmingSpaces() -> String {
    var s = Substring(self)
    while s.first == " " { s = s.dropFirst() }
    while s.last == " " { s = s.dropLast() }
    return String(s)
  }
}
