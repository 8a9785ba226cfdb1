import Foundation
import RiskCore

/// Output formats of `advisor risk`.
public enum RiskFormat: String, Sendable, CaseIterable {
  case text, json, csv
}

/// Renders a ``RiskReport``. Deterministic: fixed decimals, sorted JSON keys, no clock.
public enum RiskRenderer {
  /// The JSON schema version of `advisor risk --format json`; bumped on any
  /// change that could break a script reading it.
  public static let schemaVersion = 1

  public static func render(_ report: RiskReport, as format: RiskFormat) throws -> String {
    try NonFinite.guarding("risk report (--format \(format.rawValue))") {
      switch format {
      case .text: return text(report)
      case .json: return try json(report).rendered(terminator: "\n")
      case .csv: return csv(report)
      }
    }
  }

  /// The JSON report's bytes (``render(_:as:)`` with `.json`, not made into a String).
  public static func jsonBytes(_ report: RiskReport) throws -> [UInt8] {
    try NonFinite.guarding("risk report (--format json)") { try json(report).renderedBytes(terminator: "\n") }
  }

  static func estimatorLabel(_ r: RiskReport) -> String {
    switch r.request.covariance {
    case .sample: return "sample covariance (ddof 1)"
    case .ewma: return "EWMA covariance (λ=\(r.request.lambda), zero mean)"
    case .ledoitWolf:
      return "Ledoit–Wolf covariance (shrinkage \(Format.fixed(r.estimate.shrinkage ?? 0, 4)) toward μI)"
    case .oas:
      return "OAS covariance (shrinkage \(Format.fixed(r.estimate.shrinkage ?? 0, 4)) toward μI)"
    case .ledoitWolfConstantCorrelation:
      return
        "Ledoit–Wolf covariance (shrinkage \(Format.fixed(r.estimate.shrinkage ?? 0, 4)) toward the constant-correlation matrix)"
    }
  }

  static func volLabel(_ r: RiskReport) -> String {
    switch r.request.volatility {
    case .closeToClose: return "close-to-close σ (ddof 1)"
    case .ewma: return "EWMA σ (λ=\(r.request.lambda))"
    case .parkinson: return "Parkinson σ"
    case .garmanKlass: return "Garman–Klass σ"
    case .yangZhang: return "Yang–Zhang σ"
    }
  }

  // MARK: text

  public static func text(_ r: RiskReport) -> String {
    var out: [String] = []
    let n = r.symbols.count
    out.append("Risk of \(n) instrument\(n == 1 ? "" : "s"), data through \(r.lastDay)")
    out.append("")
    out.append(
      "Volatility: \(volLabel(r)), last \(r.request.lookback) \(r.request.returnKind.rawValue) returns, each on its own calendar")
    var t = TextTable([
      "Symbol", "Last date", "Last close", "Bars", "P/yr", "Daily σ", "Annual σ", "ATR(\(r.request.atrPeriod))", "ATR %",
    ])
    for i in r.instruments {
      t.add([
        i.symbol, i.lastDay.description, Format.price(i.lastClose), String(i.bars), String(i.periodsPerYear),
        Format.percent(i.dailyVolatility, 3), Format.percent(i.annualVolatility, 2),
        i.atr.map { Format.price($0.value) } ?? "—", i.atr?.fractionOfClose.map { Format.percent($0, 2) } ?? "—",
      ])
    }
    out.append(t.render())
    out.append("")
    out.append("Covariance: \(estimatorLabel(r))")
    out.append(
      "  \(r.observations) aligned returns \(r.firstReturnDay) … \(r.lastDay) (inner join: \(r.commonDates) common dates), annualised × \(r.periodsPerYear)"
    )
    out.append("")
    let corr = r.correlation.rowArrays
    if n <= 10 {
      out.append("Correlation")
      let width = max(5, r.symbols.map(\.count).max() ?? 0)
      var header = String(repeating: " ", count: width)
      for s in r.symbols { header += " " + pad(String(s.prefix(6)), 6) }
      out.append(header)
      for (i, s) in r.symbols.enumerated() {
        var line = s + String(repeating: " ", count: width - s.count)
        for j in 0..<n { line += " " + pad(Format.fixed(corr[i][j], 2), 6) }
        out.append(line)
      }
    } else {
      // Mean and median from the values alone; the five highest and lowest pairs by a
      // linear scan (sorting 124,750 tuples for 471 instruments cost more than the estimate).
      var values: [Double] = []
      values.reserveCapacity(n * (n - 1) / 2)
      var highest: [(Double, Int, Int)] = []
      var lowest: [(Double, Int, Int)] = []
      for i in 0..<n {
        for j in (i + 1)..<n {
          let c = corr[i][j]
          values.append(c)
          if highest.count < 5 || c > (highest.last?.0 ?? -.infinity) {
            highest.append((c, i, j))
            highest.sort { ($0.0, $1.1, $1.2) > ($1.0, $0.1, $0.2) }
            if highest.count > 5 { highest.removeLast() }
          }
          if lowest.count < 5 || c <= (lowest.last?.0 ?? .infinity) {
            lowest.append((c, i, j))
            // Ties: the later pair first, as the reversed tail of a stable descending sort.
            lowest.sort { ($0.0, $1.1, $1.2) < ($1.0, $0.1, $0.2) }
            if lowest.count > 5 { lowest.removeLast() }
          }
        }
      }
      values.sort(by: >)
      let pairs = (count: values.count, first: values.first ?? 0, last: values.last ?? 0)
      let mean = values.reduce(0, +) / Double(values.count)
      let median = values[values.count / 2]
      out.append("Correlation summary (\(n) instruments, \(pairs.count) pairs; --format json for the full matrix)")
      out.append(
        "  mean \(Format.fixed(mean, 3)), median \(Format.fixed(median, 3)), max \(Format.fixed(pairs.first, 3)), min \(Format.fixed(pairs.last, 3))"
      )
      out.append(
        "  most correlated:  "
          + highest.map { "\(r.symbols[$0.1])/\(r.symbols[$0.2]) \(Format.fixed($0.0, 2))" }.joined(separator: ", "))
      out.append(
        "  least correlated: "
          + lowest.map { "\(r.symbols[$0.1])/\(r.symbols[$0.2]) \(Format.fixed($0.0, 2))" }.joined(
            separator: ", "))
    }
    if !r.warnings.isEmpty {
      out.append("")
      out.append("Warnings")
      out += r.warnings.map { "  - " + $0 }
    }
    return out.joined(separator: "\n") + "\n"
  }

  static func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }

  // MARK: json

  public static func json(_ r: RiskReport) -> JSONValue {
    var vol: [String: JSONValue] = [:]
    for i in r.instruments {
      vol[i.symbol] = [
        "daily": .number(i.dailyVolatility),
        "annual": .number(i.annualVolatility),
        "estimator": .string(r.request.volatility.rawValue),
        "periodsPerYear": .integer(i.periodsPerYear),
        "lastDate": .string(i.lastDay.description),
        "lastClose": .number(i.lastClose),
        "bars": .integer(i.bars),
        "source": .string(i.source.path),
        "atr": .optional(i.atr?.value),
        "atrPeriod": .integer(r.request.atrPeriod),
        "atrFractionOfClose": .optional(i.atr?.fractionOfClose),
      ]
    }
    var doc: [String: JSONValue] = [
      "schemaVersion": .integer(schemaVersion),
      "command": "risk",
      "instruments": .array(r.symbols.map { .string($0) }),
      "observations": .integer(r.observations),
      "commonDates": .integer(r.commonDates),
      "firstReturnDate": .string(r.firstReturnDay.description),
      "lastDate": .string(r.lastDay.description),
      "asOf": r.request.asOf.map { .string($0.description) } ?? .null,
      "periodsPerYear": .integer(r.periodsPerYear),
      "estimator": .string(r.request.covariance.rawValue),
      "volatilityEstimator": .string(r.request.volatility.rawValue),
      "lookback": .integer(r.request.lookback),
      "lambda": .number(r.request.lambda),
      "returns": .string(r.request.returnKind.rawValue),
      "covariance": .matrix(r.annualCovariance),
      "covarianceDaily": .matrix(r.estimate.daily),
      "correlation": .matrix(r.correlation),
      "volatility": .object(vol),
      "warnings": .array(r.warnings.map { .string($0) }),
    ]
    if let s = r.estimate.shrinkage { doc["shrinkage"] = .number(s) }
    if let repair = r.estimate.repair {
      doc["repair"] = [
        "method": "eigenvalue clipping at 0",
        "minimumEigenvalueBefore": .number(repair.minimumEigenvalueBefore),
        "clippedEigenvalues": .integer(repair.clippedEigenvalues),
        "frobeniusChange": .number(repair.frobeniusChange),
        "relativeChange": .number(repair.relativeChange),
      ]
    }
    return .object(doc)
  }

  // MARK: csv

  /// One row per instrument; full-precision numbers; the covariance is in the JSON output.
  public static func csv(_ r: RiskReport) -> String {
    var lines = [
      "symbol,last_date,last_close,bars,periods_per_year,vol_estimator,lookback,daily_vol,annual_vol,atr_period,atr,atr_fraction_of_close,source"
    ]
    for i in r.instruments {
      let fields: [String] = [
        csvField(i.symbol), i.lastDay.description, Format.full(i.lastClose), String(i.bars), String(i.periodsPerYear),
        r.request.volatility.rawValue, String(r.request.lookback), Format.full(i.dailyVolatility),
        Format.full(i.annualVolatility),
        String(r.request.atrPeriod), i.atr.map { Format.full($0.value) } ?? "",
        i.atr?.fractionOfClose.map { Format.full($0) } ?? "",
        csvField(i.source.path),
      ]
      lines.append(fields.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  public static func csvField(_ s: String) -> String {
    s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")
      ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
  }
}
