import Foundation
import RiskCore

/// Regime profiles: one YAML file per regime in a directory (`profiles/`), plus
/// an optional `auto.yaml` for `--regime auto`. See `profiles/README.md`.
public enum ProfileFile {
  public static let version = 1

  /// Loads every `*.yaml` profile in `directory` (except `auto.yaml`), ordered
  /// by `auto.yaml`'s `order` (else by file name). Every problem in every file
  /// is reported at once.
  public static func loadDirectory(_ directory: String) throws -> RegimeSet {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
      throw InputError(
        .fileNotFound, path: directory, "no such profiles directory; pass --profiles DIR with one YAML file per regime.")
    }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
      .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    var profiles: [RegimeProfile] = []
    var errors: [InputError] = []
    var detection = RegimeDetectionSettings()
    for name in names {
      let path = (directory as NSString).appendingPathComponent(name)
      do {
        if name == "auto.yaml" || name == "auto.yml" {
          detection = try loadDetection(path)
        } else {
          profiles.append(try load(path))
        }
      } catch let e as InputErrors {
        errors += e.errors
      } catch let e as InputError {
        errors.append(e)
      }
    }
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw InputErrors(errors) }
    guard !profiles.isEmpty else {
      throw InputError(.empty, path: directory, "the profiles directory holds no regime profiles (*.yaml).")
    }
    var seen: [String: String] = [:]
    for p in profiles {
      if let other = seen[p.name] {
        throw InputError(.duplicateInstrument, path: p.source, field: "regime", "regime '\(p.name)' is also defined in \(other).")
      }
      seen[p.name] = p.source
    }
    for name in detection.order where seen[name] == nil {
      throw InputError(
        .invalidConfiguration, path: (directory as NSString).appendingPathComponent("auto.yaml"), field: "order",
        "regime '\(name)' has no profile in \(directory).")
    }
    profiles.sort { a, b in
      let ia = detection.order.firstIndex(of: a.name) ?? Int.max
      let ib = detection.order.firstIndex(of: b.name) ?? Int.max
      return (ia, a.name) < (ib, b.name)
    }
    return RegimeSet(profiles: profiles, detection: detection)
  }

  static let fraction = 0.0...1.0
  static let positive = Double.leastNonzeroMagnitude...Double.greatestFiniteMagnitude

  public static func load(_ path: String) throws -> RegimeProfile {
    let (reader, root) = try YAMLReader.open(path)
    root.requireVersion(version)
    let fileStem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    let name = root.string("regime", required: "the regime's name, e.g. normal") ?? fileStem
    var p = RegimeProfile(name: name, source: path, riskPerTrade: 0.01, maxPositionNotional: 0.2, maxGrossLeverage: 1)
    p.description = root.string("description") ?? ""
    p.riskPerTrade =
      root.number(
        "risk_per_trade", required: "a fraction of equity, e.g. 0.01", range: 0.0...1.0,
        rangeText: "a fraction of equity in 0...1 (0.01 is 1%)") ?? p.riskPerTrade
    p.maxPositionNotional =
      root.number(
        "max_position_notional", required: "a fraction of equity, e.g. 0.2", range: 0.0...100.0,
        rangeText: "a non-negative fraction of equity") ?? p.maxPositionNotional
    p.maxGrossLeverage =
      root.number(
        "max_gross_leverage", required: "a multiple of equity, e.g. 2", range: 0.0...100.0,
        rangeText: "a non-negative multiple of equity") ?? p.maxGrossLeverage
    p.maxClassLeverage = classTable(root, "max_leverage_by_class", range: 0.0...100.0, text: "a non-negative multiple of equity")
    p.riskMultipliers = classTable(root, "risk_multipliers", range: 0.0...10.0, text: "a multiplier in 0...10")
    if let stop = root.table("stop", required: "the stop rule") {
      let method = stop.string("method", required: "atr or sigma") ?? "atr"
      switch method {
      case "atr":
        let k = stop.number("multiple", required: "the ATR multiple", range: positive, rangeText: "a positive multiple") ?? 2
        let n = stop.integer("atr_period", range: 1...500) ?? 14
        p.stopRule = .atr(multiple: k, period: n)
      case "sigma":
        let k = stop.number("multiple", required: "the σ multiple", range: positive, rangeText: "a positive multiple") ?? 2
        let h = stop.integer("holding_days", range: 1...500) ?? 1
        p.stopRule = .sigma(multiple: k, holdingDays: h)
      default:
        reader.report(.invalidValue, stop.value("method"), stop.child("method"), "'\(method)' is not atr or sigma.")
      }
      p.noiseThresholdSigma = stop.number("noise_threshold_sigma", range: 0.0...100.0) ?? 1
      p.chandelierPeriod = stop.integer("chandelier_period", range: 1...1000) ?? 22
      // Read both possible keys so neither is reported unknown for the other method.
      _ = stop.value("atr_period")
      _ = stop.value("holding_days")
      stop.rejectUnknownKeys()
    }
    if let v = root.table("volatility", required: "the per-instrument volatility estimator") {
      p.volatilityMethod =
        v.oneOf("estimator", VolatilityMethod.self, required: "close-to-close, ewma, parkinson, garman-klass or yang-zhang")
        ?? .ewma
      p.volatilityLookback = v.integer("lookback", required: "returns used", range: 2...10000) ?? 252
      v.rejectUnknownKeys()
    }
    if let c = root.table("covariance", required: "the covariance estimator") {
      p.covarianceMethod = c.oneOf("estimator", CovarianceMethod.self, required: "sample, ewma or ledoit-wolf") ?? .ewma
      p.covarianceLookback = c.integer("lookback", required: "returns used", range: 2...10000) ?? 252
      c.rejectUnknownKeys()
    }
    p.lambda = root.number("lambda", range: 0.000001...0.999999, rangeText: "a decay in (0, 1)") ?? 0.94
    p.portfolioVolatilityBudget =
      root.number(
        "portfolio_volatility_budget", required: "annual σ of P&L as a fraction of equity, e.g. 0.15", range: 0.0...10.0,
        rangeText: "a non-negative annual fraction of equity") ?? 0.15
    p.maxRiskShare =
      root.number("max_risk_share", required: "a fraction in 0...1, e.g. 0.3", range: 0.0...1.0, rangeText: "a fraction in 0...1")
      ?? 0.3
    if let l = root.table("liquidity", required: "max_adv_fraction and the impact model") {
      p.maxADVFraction =
        l.number(
          "max_adv_fraction", required: "a fraction of average daily volume, e.g. 0.05", range: 0.0...1.0,
          rangeText: "a fraction in 0...1") ?? 0.05
      p.advDays = l.integer("adv_days", range: 1...260) ?? 20
      p.impactCoefficient = l.number("impact_coefficient", range: 0.0...100.0) ?? 1
      l.rejectUnknownKeys()
    }
    if let c = root.table("checks") {
      p.requireStop = c.bool("require_stop") ?? true
      p.priceBand = c.number("price_band", range: 0.0...10.0, rangeText: "a fraction of the last close") ?? 0.05
      p.maxDataAgeDays = c.integer("max_data_age_days", range: 0...3650) ?? 4
      c.rejectUnknownKeys()
    }
    root.rejectUnknownKeys()
    try reader.finish()
    return p
  }

  static func classTable(_ root: YAMLTable, _ key: String, range: ClosedRange<Double>, text: String) -> [AssetClass: Double] {
    guard let t = root.table(key) else { return [:] }
    var out: [AssetClass: Double] = [:]
    for k in t.keys {
      guard let c = AssetClass(rawValue: k) else {
        _ = t.value(k)
        t.reader.report(
          .invalidValue, t.value(k), t.child(k),
          "'\(k)' is not an asset class (\(AssetClass.allCases.map(\.rawValue).joined(separator: ", "))).")
        continue
      }
      if let v = t.number(k, range: range, rangeText: text) { out[c] = v }
    }
    return out
  }

  static func loadDetection(_ path: String) throws -> RegimeDetectionSettings {
    let (reader, root) = try YAMLReader.open(path)
    root.requireVersion(version)
    var s = RegimeDetectionSettings()
    s.shortWindow = root.integer("short_window", range: 2...260) ?? 20
    s.lookback = root.integer("lookback", range: 20...10000) ?? 756
    if let order = root.value("order"), case .sequence(let seq) = order {
      s.order = seq.compactMap(\.string)
    }
    if let b = root.value("upper_percentiles"), case .sequence(let seq) = b {
      let values = seq.compactMap(\.float)
      if values.count != s.order.count - 1 || values != values.sorted() || !values.allSatisfy({ $0 > 0 && $0 < 1 }) {
        reader.report(
          .invalidValue, b, "upper_percentiles",
          "expected \(s.order.count - 1) increasing percentiles in (0, 1), one per regime but the last.")
      } else {
        s.upperPercentiles = values
      }
    }
    root.rejectUnknownKeys()
    try reader.finish()
    return s
  }
}
