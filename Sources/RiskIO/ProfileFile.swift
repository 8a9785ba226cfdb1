import Foundation
import RiskCore
import Yams

/// Regime profiles: one YAML file per regime in a directory (`profiles/`), plus
/// an optional `auto.yaml` for `--regime auto`. See `profiles/README.md`.
public enum ProfileFile {
  public static let version = 1

  /// Loads every `*.yaml` profile in `directory` (except `auto.yaml`), ordered
  /// by `auto.yaml`'s `order` (else by file name). Every problem in every file
  /// is reported at once.
  /// With a `cache`, profiles read before from the same texts come from it (``MarketCache``'s
  /// profile entries); the files are read in full either way.
  public static func loadDirectory(_ directory: String, cache: MarketCache? = nil) throws -> RegimeSet {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
      throw InputError(
        .fileNotFound, path: directory, "no such profiles directory; pass --profiles DIR with one YAML file per regime.")
    }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
      .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    var texts: [ProfileText] = []
    var errors: [InputError] = []
    for name in names {
      let path = (directory as NSString).appendingPathComponent(name)
      do {
        let text = try InputFiles.readText(path, what: "profile", maxBytes: InputLimits.yamlBytes)
        texts.append(ProfileText(name: name, path: path, text: text))
      } catch {
        errors.append(error)
      }
    }
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw InputErrors(errors) }
    return try assemble(texts, place: directory, cache: cache)
  }

  /// The shipped profiles and `auto.yaml`, built into the binary (`scripts/embed-profiles.py`
  /// keeps them equal to `profiles/`): used when no profiles directory is configured. Each
  /// profile's source reads `built-in NAME profile`.
  public static func builtIn(cache: MarketCache? = nil) throws -> RegimeSet {
    var texts: [ProfileText] = []
    for f in BuiltInProfileText.files {
      texts.append(ProfileText(name: f.name + ".yaml", path: builtInSource(f.name), text: f.text))
    }
    return try assemble(texts, place: "the built-in profiles", cache: cache)
  }

  /// The text of a built-in profile (`calm`, `normal`, `volatile`, `crisis`, `auto`).
  public static func builtInText(_ name: String) -> String? {
    BuiltInProfileText.files.first { $0.name == name }.map { $0.text + "\n" }
  }
  public static var builtInNames: [String] { BuiltInProfileText.files.map(\.name) }

  static func builtInSource(_ name: String) -> String {
    name == "auto" ? "built-in auto settings" : "built-in \(name) profile"
  }

  /// Parses profile texts (one per regime, and `auto.yaml`) into an ordered set, reporting
  /// every problem at once: the one path for a directory and for the built-in profiles.
  struct ProfileText {
    let name: String
    let path: String
    let text: String
  }

  /// ``assemble(_:place:)``, or the profiles a cache entry holds for these very texts; a
  /// reading that succeeds is kept for the next run.
  static func assemble(_ texts: [ProfileText], place: String, cache: MarketCache?) throws -> RegimeSet {
    guard let cache else { return try assemble(texts, place: place) }
    let key = MarketCache.profilesKey(texts, place: place)
    if let kept = cache.lookupProfiles(key: key) { return kept }
    let set = try assemble(texts, place: place)
    cache.storeProfiles(set, key: key)
    return set
  }

  static func assemble(_ texts: [ProfileText], place: String) throws -> RegimeSet {
    var profiles: [RegimeProfile] = []
    var errors: [InputError] = []
    var detection = RegimeDetectionSettings()
    var autoPath = (place as NSString).appendingPathComponent("auto.yaml")
    for t in texts {
      do {
        if t.name == "auto.yaml" || t.name == "auto.yml" {
          detection = try parseDetection(t.text, path: t.path)
          autoPath = t.path
        } else {
          profiles.append(try parse(t.text, path: t.path))
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
      throw InputError(.empty, path: place, "the profiles directory holds no regime profiles (*.yaml).")
    }
    var seen: [String: String] = [:]
    for p in profiles {
      if let other = seen[p.name] {
        throw InputError(.duplicateInstrument, path: p.source, field: "regime", "regime '\(p.name)' is also defined in \(other).")
      }
      seen[p.name] = p.source
    }
    for name in detection.order where seen[name] == nil {
      throw InputError(.invalidConfiguration, path: autoPath, field: "order", "regime '\(name)' has no profile in \(place).")
    }
    profiles.sort { a, b in
      let ia = detection.order.firstIndex(of: a.name) ?? Int.max
      let ib = detection.order.firstIndex(of: b.name) ?? Int.max
      return (ia, a.name) < (ib, b.name)
    }
    return RegimeSet(profiles: profiles, detection: detection)
  }

  public static func load(_ path: String) throws -> RegimeProfile {
    try parse(try InputFiles.readText(path, what: "profile", maxBytes: InputLimits.yamlBytes), path: path)
  }

  /// Parses a regime profile in memory (the fuzzer's and the tests' entry point).
  public static func parse(_ text: String, path: String) throws -> RegimeProfile {
    let (reader, root) = try YAMLReader.parse(text, path: path)
    root.requireVersion(version)
    let fileStem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    let name = root.string("regime", required: "the regime's name, e.g. normal") ?? fileStem
    var p = RegimeProfile(name: name, source: path, riskPerTrade: 0.01, maxPositionNotional: 0.2, maxGrossLeverage: 1)
    p.description = root.string("description") ?? ""
    p.riskPerTrade =
      root.number("risk_per_trade", required: "a fraction of equity, e.g. 0.01", range: InputRange.riskPerTrade)
      ?? p.riskPerTrade
    p.maxPositionNotional =
      root.number("max_position_notional", required: "a fraction of equity, e.g. 0.2", range: InputRange.equityMultiple)
      ?? p.maxPositionNotional
    p.maxGrossLeverage =
      root.number("max_gross_leverage", required: "a multiple of equity, e.g. 2", range: InputRange.equityMultiple)
      ?? p.maxGrossLeverage
    p.maxClassLeverage = AssetClassTable(classTable(root, "max_leverage_by_class", range: InputRange.equityMultiple))
    p.riskMultipliers = AssetClassTable(classTable(root, "risk_multipliers", range: InputRange.riskMultiplier))
    if let stop = root.table("stop", required: "the stop rule") {
      let method = stop.string("method", required: "atr or sigma") ?? "atr"
      switch method {
      case "atr":
        let k = stop.number("multiple", required: "the ATR multiple", range: InputRange.stopMultiple) ?? 2
        let n = stop.integer("atr_period", range: 1...500) ?? 14
        p.stopRule = .atr(multiple: k, period: n)
      case "sigma":
        let k = stop.number("multiple", required: "the σ multiple", range: InputRange.stopMultiple) ?? 2
        let h = stop.integer("holding_days", range: 1...500) ?? 1
        p.stopRule = .sigma(multiple: k, holdingDays: h)
      default:
        reader.report(.invalidValue, stop.value("method"), stop.child("method"), "\(quoted(method)) is not atr or sigma.")
      }
      p.noiseThresholdSigma = stop.number("noise_threshold_sigma", range: InputRange.noiseThreshold) ?? 1
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
      p.covarianceMethod =
        c.oneOf(
          "estimator", CovarianceMethod.self, required: "sample, ewma, ledoit-wolf, oas or ledoit-wolf-constant-correlation")
        ?? .ewma
      p.covarianceLookback = c.integer("lookback", required: "returns used", range: 2...10000) ?? 252
      c.rejectUnknownKeys()
    }
    p.lambda = root.number("lambda", range: InputRange.lambda) ?? 0.94
    p.portfolioVolatilityBudget =
      root.number(
        "portfolio_volatility_budget", required: "annual σ of P&L as a fraction of equity, e.g. 0.15",
        range: InputRange.volatilityBudget) ?? 0.15
    p.maxRiskShare =
      root.number("max_risk_share", required: "a fraction in 0...1, e.g. 0.3", range: InputRange.fraction)
      ?? 0.3
    if let l = root.table("liquidity", required: "max_adv_fraction and the impact model") {
      p.maxADVFraction =
        l.number("max_adv_fraction", required: "a fraction of average daily volume, e.g. 0.05", range: InputRange.fraction)
        ?? 0.05
      p.advDays = l.integer("adv_days", range: 1...260) ?? 20
      p.impactCoefficient = l.number("impact_coefficient", range: InputRange.impactCoefficient) ?? 1
      l.rejectUnknownKeys()
    }
    if let g = root.table("correlated_groups") {
      let rho =
        g.number(
          "min_correlation", required: "the correlation from which instruments are grouped, e.g. 0.7",
          range: InputRange.minCorrelation) ?? 0.7
      let linkage = g.oneOf("linkage", ClusterLinkage.self, required: nil) ?? .average
      let source = g.oneOf("source", GroupSource.self, required: nil) ?? .both
      p.correlatedGroups = CorrelatedGroupSettings(minCorrelation: rho, linkage: linkage, source: source)
      g.rejectUnknownKeys()
    }
    p.maxGroupExposure = root.number("max_group_exposure", range: InputRange.equityMultiple)
    p.maxGroupRiskShare = root.number("max_group_risk_share", range: InputRange.fraction)
    p.maxMarginUtilisation = root.number("max_margin_utilisation", range: InputRange.marginUtilisation)
    if let c = root.table("checks") {
      p.requireStop = c.bool("require_stop") ?? true
      p.priceBand = c.number("price_band", range: InputRange.priceBand) ?? 0.05
      p.maxDataAgeDays = c.integer("max_data_age_days", range: 0...3650) ?? 4
      c.rejectUnknownKeys()
    }
    parseRiskState(root, into: &p)
    root.rejectUnknownKeys()
    try reader.finish()
    return p
  }

  /// `drawdown_scaling: {step, cut}` and `breakers: {max_drawdown, max_daily_loss}`, each
  /// breaker `{reducing, halted, cooldown_days}` (at least one threshold; halted ≥ reducing).
  static func parseRiskState(_ root: YAMLTable, into p: inout RegimeProfile) {
    if let d = root.table("drawdown_scaling") {
      let step = d.number("step", required: "a drawdown fraction per step, e.g. 0.10", range: InputRange.drawdownStep)
      let cut = d.number("cut", required: "the cut of the equity base per step, e.g. 0.20", range: InputRange.drawdownCut)
      if let step, let cut { p.drawdownScaling = DrawdownScaling(step: step, cut: cut) }
      d.rejectUnknownKeys()
    }
    guard let b = root.table("breakers") else { return }
    func breaker(_ key: String) -> Breaker? {
      guard let t = b.table(key) else { return nil }
      let reducing = t.number("reducing", range: InputRange.breakerThreshold)
      let halted = t.number("halted", range: InputRange.breakerThreshold)
      let cooldown = t.integer("cooldown_days", required: "calendar days a tripped breaker holds, e.g. 5", range: 0...3650) ?? 1
      if t.value("reducing") == nil && t.value("halted") == nil {
        t.reader.report(.missingKey, t.node, "breakers.\(key)", "give a reducing or a halted threshold (or both).")
      }
      if let r = reducing, let h = halted, h < r {
        t.reader.report(
          .invalidValue, t.value("halted"), t.child("halted"),
          "halted \(h) is below reducing \(r); the halt threshold must be at least the reducing one.")
      }
      t.rejectUnknownKeys()
      return Breaker(reducing: reducing, halted: halted, cooldownDays: cooldown)
    }
    p.breakers = Breakers(maxDrawdown: breaker("max_drawdown"), maxDailyLoss: breaker("max_daily_loss"))
    b.rejectUnknownKeys()
  }

  static func classTable(_ root: YAMLTable, _ key: String, range: NumericRange) -> [AssetClass: Double] {
    guard let t = root.table(key) else { return [:] }
    var out: [AssetClass: Double] = [:]
    for k in t.keys {
      guard let c = AssetClass(rawValue: k) else {
        _ = t.value(k)
        t.reader.report(
          .invalidValue, t.value(k), t.child(k),
          "\(quoted(k)) is not an asset class (\(AssetClass.allCases.map(\.rawValue).joined(separator: ", "))).")
        continue
      }
      if let v = t.number(k, range: range) { out[c] = v }
    }
    return out
  }

  static func loadDetection(_ path: String) throws -> RegimeDetectionSettings {
    try parseDetection(try InputFiles.readText(path, what: "auto.yaml", maxBytes: InputLimits.yamlBytes), path: path)
  }

  /// Parses `auto.yaml` in memory (the fuzzer's and the tests' entry point).
  public static func parseDetection(_ text: String, path: String) throws -> RegimeDetectionSettings {
    let (reader, root) = try YAMLReader.parse(text, path: path)
    root.requireVersion(version)
    var s = RegimeDetectionSettings()
    s.shortWindow = root.integer("short_window", range: 2...260) ?? 20
    s.lookback = root.integer("lookback", range: 20...10000) ?? 756
    // The regime detector indexes `order` by the percentile bounds: the file must give
    // exactly one more regime than bounds, with known, distinct names and bounds strictly
    // increasing inside (0, 1). Whatever is left out keeps its default, and the pair is
    // checked together.
    var orderNode: Node? = nil
    if let order = root.value("order") {
      orderNode = order
      if case .sequence(let seq) = order {
        var names: [String] = []
        for (i, item) in seq.enumerated() {
          guard case .scalar(let sc) = item, !sc.string.isEmpty else {
            reader.report(.invalidValue, item, "order[\(i)]", "expected a regime name.")
            continue
          }
          if names.contains(sc.string) {
            reader.report(.invalidValue, item, "order[\(i)]", "regime \(quoted(sc.string)) is listed twice.")
            continue
          }
          names.append(sc.string)
        }
        if names.isEmpty {
          reader.report(.invalidValue, order, "order", "expected a list of at least one regime, calm to crisis.")
        } else {
          s.order = names
        }
      } else {
        reader.report(.invalidValue, order, "order", "expected a list of regime names, calm to crisis.")
      }
    }
    var boundsNode: Node? = nil
    if let b = root.value("upper_percentiles") {
      boundsNode = b
      if case .sequence(let seq) = b {
        var values: [Double] = []
        var ok = true
        for (i, item) in seq.enumerated() {
          guard let x = root.number(node: item, keyPath: "upper_percentiles[\(i)]", range: InputRange.percentile) else {
            ok = false
            continue
          }
          if let last = values.last, !(x > last) {
            reader.report(
              .invalidValue, item, "upper_percentiles[\(i)]",
              "\(x) is not above the bound before it (\(last)); the bounds must increase strictly.")
            ok = false
          }
          values.append(x)
        }
        if ok { s.upperPercentiles = values }
      } else {
        reader.report(.invalidValue, b, "upper_percentiles", "expected a list of percentiles in (0, 1).")
      }
    }
    if s.upperPercentiles.count != s.order.count - 1 {
      let given =
        boundsNode != nil
        ? "upper_percentiles has \(s.upperPercentiles.count)" : "the default upper_percentiles has \(s.upperPercentiles.count)"
      reader.report(
        .invalidValue, boundsNode ?? orderNode ?? root.node, boundsNode != nil ? "upper_percentiles" : "order",
        "order lists \(s.order.count) regime\(s.order.count == 1 ? "" : "s") and \(given) bound\(s.upperPercentiles.count == 1 ? "" : "s"); give exactly one bound per regime but the last (\(max(0, s.order.count - 1)) here)."
      )
    }
    root.rejectUnknownKeys()
    try reader.finish()
    return s
  }
}
