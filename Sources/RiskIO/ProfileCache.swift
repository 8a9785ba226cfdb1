import RiskCore

/// Parsed regime profiles, kept in the market cache's directory (`profiles-<hash>.bin`) so that
/// a run does not parse the same YAML again: the profiles were 10 M of the 74.6 M instructions of
/// `size` (Yams, then their reading; BENCHMARKS.md, issue 16, fifteenth pass).
///
/// **It can never serve other profiles than the files'.** The entry's name and its header are
/// the hash of every profile's file name, path and full text (read on every run, as without
/// the cache) and of the place they came from, so an edit is a different entry; the header also
/// holds the executable's identity, so a rebuilt parser never reads an older one's output; the
/// entry is sealed with its own checksum and decoded with every length, count and case checked
/// (anything unexpected, a number that is not finite among them, is a miss). And an entry is
/// written only when it decodes to profiles equal to the ones just parsed, field for field
/// (``RegimeProfile`` is `Hashable` over all its fields): a field the encoding missed makes no
/// entry, never a changed limit.
///
/// Only successful readings are kept: files with an error are parsed, and their errors reported,
/// on every run.
extension MarketCache {
  static let profilesMagic: UInt64 = 0x3130_4652_5056_4441  // "ADVPRF01" little-endian

  /// The key of a set of profile texts read from `place`.
  static func profilesKey(_ texts: [ProfileFile.ProfileText], place: String) -> (UInt64, UInt64) {
    var h = ContentHash()
    h.mix(string: place)
    h.mix(UInt64(texts.count))
    for t in texts {
      h.mix(string: t.name)
      h.mix(string: t.path)
      h.mix(string: t.text)
    }
    return h.digest()
  }

  /// The profiles of the texts with this ``profilesKey(_:place:)``, if an entry holds them.
  func lookupProfiles(key: (UInt64, UInt64)) -> RegimeSet? {
    guard executable != 0 else { return nil }
    guard let bytes = Self.readEntry(entryFile("profiles-", key), maxBytes: 1 << 20) else { return nil }
    var r = EntryReader(bytes)
    return r.regimeSet(matching: key, executable: executable)
  }

  /// Keeps the profiles read from the texts with this key, when the entry reads back as the
  /// same profiles; any failure is ignored (the next run parses again).
  func storeProfiles(_ set: RegimeSet, key: (UInt64, UInt64)) {
    guard executable != 0 else { return }
    let path = entryFile("profiles-", key)
    if InputFiles.readBy(path) != nil { return }
    let bytes = Self.profilesEntry(set, key: key, executable: executable)
    var check = EntryReader(bytes)
    guard let back = check.regimeSet(matching: key, executable: executable), Self.same(back, set) else { return }
    Self.writes.perform {
      if Self.writeAtomically(bytes, to: path, directory: directory) { prune(prefix: "profiles-", keep: Self.maxProfileEntries) }
    }
  }

  /// The most profile entries kept (each edit of a profile makes a new one; about 3 KB each).
  public static let maxProfileEntries = 32

  static func profilesEntry(_ set: RegimeSet, key: (UInt64, UInt64), executable: UInt64) -> [UInt8] {
    var w = EntryWriter()
    w.word(profilesMagic)
    w.word(layoutVersion)
    w.word(executable)
    w.word(key.0)
    w.word(key.1)
    w.regimeSet(set)
    w.seal()
    return w.bytes
  }

  /// The same profiles in the same order, and the same `auto` settings.
  static func same(_ a: RegimeSet, _ b: RegimeSet) -> Bool { a.profiles == b.profiles && a.detection == b.detection }
}

extension EntryWriter {
  mutating func double(_ x: Double) { word(x.bitPattern) }
  mutating func int(_ x: Int) { word(UInt64(bitPattern: Int64(x))) }
  mutating func flag(_ x: Bool) { word(x ? 1 : 0) }
  mutating func optional(_ x: Double?) {
    flag(x != nil)
    if let x { double(x) }
  }

  mutating func regimeSet(_ set: RegimeSet) {
    word(UInt64(set.profiles.count))
    for p in set.profiles { profile(p) }
    int(set.detection.shortWindow)
    int(set.detection.lookback)
    word(UInt64(set.detection.order.count))
    for name in set.detection.order { string(name) }
    word(UInt64(set.detection.upperPercentiles.count))
    for x in set.detection.upperPercentiles { double(x) }
  }

  mutating func profile(_ p: RegimeProfile) {
    string(p.name)
    string(p.description)
    string(p.source)
    for x in [p.riskPerTrade, p.maxPositionNotional, p.maxGrossLeverage] { double(x) }
    table(p.maxClassLeverage)
    table(p.riskMultipliers)
    stopRule(p.stopRule)
    double(p.noiseThresholdSigma)
    string(p.volatilityMethod.rawValue)
    int(p.volatilityLookback)
    string(p.covarianceMethod.rawValue)
    int(p.covarianceLookback)
    for x in [p.lambda, p.portfolioVolatilityBudget, p.maxRiskShare, p.maxADVFraction] { double(x) }
    int(p.advDays)
    double(p.impactCoefficient)
    flag(p.requireStop)
    double(p.priceBand)
    int(p.maxDataAgeDays)
    int(p.chandelierPeriod)
    flag(p.correlatedGroups != nil)
    if let g = p.correlatedGroups {
      double(g.minCorrelation)
      string(g.linkage.rawValue)
      string(g.source.rawValue)
    }
    for x in [p.maxGroupExposure, p.maxGroupRiskShare, p.maxMarginUtilisation] { optional(x) }
    flag(p.drawdownScaling != nil)
    if let d = p.drawdownScaling {
      double(d.step)
      double(d.cut)
    }
    breaker(p.breakers.maxDrawdown)
    breaker(p.breakers.maxDailyLoss)
  }

  mutating func table(_ t: AssetClassTable<Double>) {
    for c in AssetClass.allCases { optional(t[c]) }
  }

  mutating func stopRule(_ s: StopRule) {
    switch s {
    case .atr(let multiple, let period):
      word(0)
      double(multiple)
      int(period)
    case .sigma(let multiple, let holdingDays):
      word(1)
      double(multiple)
      int(holdingDays)
    }
  }

  mutating func breaker(_ b: Breaker?) {
    flag(b != nil)
    if let b {
      optional(b.reducing)
      optional(b.halted)
      int(b.cooldownDays)
    }
  }
}

extension EntryReader {
  /// A finite double; nil otherwise (a profile's every number was read finite, so anything else
  /// is not an entry this code wrote).
  mutating func double() -> Double? { word().map { Double(bitPattern: $0) }.flatMap { $0.isFinite ? $0 : nil } }
  mutating func int() -> Int? { word().map { Int(Int64(bitPattern: $0)) } }
  mutating func flag() -> Bool? {
    switch word() {
    case 0: return false
    case 1: return true
    default: return nil
    }
  }
  /// `.some(nil)` for an absent value, nil for an entry that does not read.
  mutating func optional() -> Double?? {
    guard let present = flag() else { return nil }
    guard present else { return .some(nil) }
    return double().map { .some($0) }
  }

  mutating func regimeSet(matching key: (UInt64, UInt64), executable: UInt64) -> RegimeSet? {
    guard word() == MarketCache.profilesMagic, word() == MarketCache.layoutVersion, word() == executable,
      word() == key.0, word() == key.1, let n = count(max: 64)
    else { return nil }
    var profiles: [RegimeProfile] = []
    for _ in 0..<n {
      guard let p = profile() else { return nil }
      profiles.append(p)
    }
    guard let shortWindow = int(), let lookback = int(), let orderCount = count(max: 64) else { return nil }
    var order: [String] = []
    for _ in 0..<orderCount {
      guard let s = string() else { return nil }
      order.append(s)
    }
    guard let boundCount = count(max: 64) else { return nil }
    var bounds: [Double] = []
    for _ in 0..<boundCount {
      guard let x = double() else { return nil }
      bounds.append(x)
    }
    guard at == end else { return nil }
    let detection = RegimeDetectionSettings(
      shortWindow: shortWindow, lookback: lookback, order: order, upperPercentiles: bounds)
    return RegimeSet(profiles: profiles, detection: detection)
  }

  mutating func profile() -> RegimeProfile? {
    guard let name = string(), let description = string(), let source = string(),
      let riskPerTrade = double(), let maxPositionNotional = double(), let maxGrossLeverage = double(),
      let classLeverage = table(), let riskMultipliers = table(), let stopRule = stopRule(),
      let noise = double(), let volatility = string().flatMap(VolatilityMethod.init(rawValue:)),
      let volatilityLookback = int(), let covariance = string().flatMap(CovarianceMethod.init(rawValue:)),
      let covarianceLookback = int(), let lambda = double(), let budget = double(), let riskShare = double(),
      let advFraction = double(), let advDays = int(), let impact = double(), let requireStop = flag(),
      let priceBand = double(), let maxAge = int(), let chandelier = int()
    else { return nil }
    var p = RegimeProfile(
      name: name, description: description, source: source, riskPerTrade: riskPerTrade,
      maxPositionNotional: maxPositionNotional, maxGrossLeverage: maxGrossLeverage, maxClassLeverage: classLeverage,
      riskMultipliers: riskMultipliers, stopRule: stopRule, noiseThresholdSigma: noise, volatilityMethod: volatility,
      volatilityLookback: volatilityLookback, covarianceMethod: covariance, covarianceLookback: covarianceLookback,
      lambda: lambda, portfolioVolatilityBudget: budget, maxRiskShare: riskShare, maxADVFraction: advFraction,
      advDays: advDays, impactCoefficient: impact, requireStop: requireStop, priceBand: priceBand,
      maxDataAgeDays: maxAge, chandelierPeriod: chandelier)
    guard let hasGroups = flag() else { return nil }
    if hasGroups {
      guard let minCorrelation = double(), let linkage = string().flatMap(ClusterLinkage.init(rawValue:)),
        let groupSource = string().flatMap(GroupSource.init(rawValue:))
      else { return nil }
      p.correlatedGroups = CorrelatedGroupSettings(minCorrelation: minCorrelation, linkage: linkage, source: groupSource)
    }
    guard let groupExposure = optional(), let groupRiskShare = optional(), let margin = optional(),
      let hasScaling = flag()
    else { return nil }
    p.maxGroupExposure = groupExposure
    p.maxGroupRiskShare = groupRiskShare
    p.maxMarginUtilisation = margin
    if hasScaling {
      guard let step = double(), let cut = double() else { return nil }
      p.drawdownScaling = DrawdownScaling(step: step, cut: cut)
    }
    guard let maxDrawdown = breaker(), let maxDailyLoss = breaker() else { return nil }
    p.breakers = Breakers(maxDrawdown: maxDrawdown, maxDailyLoss: maxDailyLoss)
    return p
  }

  mutating func table() -> AssetClassTable<Double>? {
    var entries: [AssetClass: Double] = [:]
    for c in AssetClass.allCases {
      guard let value = optional() else { return nil }
      if let value { entries[c] = value }
    }
    return AssetClassTable(entries)
  }

  mutating func stopRule() -> StopRule? {
    guard let tag = word(), let multiple = double(), let n = int() else { return nil }
    switch tag {
    case 0: return .atr(multiple: multiple, period: n)
    case 1: return .sigma(multiple: multiple, holdingDays: n)
    default: return nil
    }
  }

  /// `.some(nil)` for an absent breaker, nil for an entry that does not read.
  mutating func breaker() -> Breaker?? {
    guard let present = flag() else { return nil }
    guard present else { return .some(nil) }
    guard let reducing = optional(), let halted = optional(), let cooldown = int() else { return nil }
    return .some(Breaker(reducing: reducing, halted: halted, cooldownDays: cooldown))
  }
}
