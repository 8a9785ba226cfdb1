import Foundation
import RiskCore
import Testing

@testable import RiskIO

/// The parsed-profile entries of the cache: a hit is the reading exactly, every field survives
/// an entry, and an edit, a corrupt or truncated entry or a profile with an error never serves
/// other profiles than the files'.
@Suite("Profile cache")
struct ProfileCacheTests {
  let root: String
  let profiles: String
  let cacheDir: String

  init() throws {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    root = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-profile-cache-\(UUID().uuidString)").path
    profiles = root + "/profiles"
    cacheDir = root + "/cache"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: repo.appendingPathComponent("profiles").path, toPath: profiles)
  }

  var cache: MarketCache { MarketCache(directory: cacheDir) }

  func entries() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: cacheDir)) ?? []).filter { $0.hasPrefix("profiles-") }
  }

  /// Every field set away from its default, the sigma stop, both breakers half-set.
  static func unusual() -> RegimeProfile {
    var p = RegimeProfile(
      name: "odd", description: "every field set", source: "/x/odd.yaml", riskPerTrade: 0.0125,
      maxPositionNotional: 0.3, maxGrossLeverage: 2.5, maxClassLeverage: [.crypto: 0.75, .fx: 12],
      riskMultipliers: [.option: 0.5], stopRule: .sigma(multiple: 2.5, holdingDays: 3), noiseThresholdSigma: 1.5,
      volatilityMethod: .yangZhang, volatilityLookback: 126, covarianceMethod: .ledoitWolfConstantCorrelation,
      covarianceLookback: 504, lambda: 0.97, portfolioVolatilityBudget: 0.12, maxRiskShare: 0.4, maxADVFraction: 0.02,
      advDays: 30, impactCoefficient: 0.8, requireStop: false, priceBand: 0.03, maxDataAgeDays: 7, chandelierPeriod: 10)
    p.correlatedGroups = CorrelatedGroupSettings(minCorrelation: 0.65, linkage: .complete, source: .clusters)
    p.maxGroupExposure = 0.9
    p.maxGroupRiskShare = 0.6
    p.maxMarginUtilisation = 0.25
    p.drawdownScaling = DrawdownScaling(step: 0.05, cut: -0.0)
    p.breakers = Breakers(maxDrawdown: Breaker(reducing: 0.1, halted: nil, cooldownDays: 3), maxDailyLoss: nil)
    return p
  }

  static func roundTrip(_ set: RegimeSet) -> RegimeSet? {
    let bytes = MarketCache.profilesEntry(set, key: (1, 2), executable: 3)
    var r = EntryReader(bytes)
    return r.regimeSet(matching: (1, 2), executable: 3)
  }

  @Test("a hit is the reading exactly, and it is a hit")
  func hit() throws {
    let fresh = try ProfileFile.loadDirectory(profiles)
    let first = try ProfileFile.loadDirectory(profiles, cache: cache)
    #expect(entries().count == 1)
    let second = try ProfileFile.loadDirectory(profiles, cache: cache)
    #expect(MarketCache.same(fresh, first) && MarketCache.same(fresh, second))
    // The entry answers these texts.
    let names = try FileManager.default.contentsOfDirectory(atPath: profiles).filter { $0.hasSuffix(".yaml") }.sorted()
    let texts = try names.map {
      ProfileFile.ProfileText(
        name: $0, path: profiles + "/" + $0, text: try String(contentsOfFile: profiles + "/" + $0, encoding: .utf8))
    }
    let kept = try #require(cache.lookupProfiles(key: MarketCache.profilesKey(texts, place: profiles)))
    #expect(MarketCache.same(fresh, kept))
    let builtIn = try ProfileFile.builtIn()
    #expect(MarketCache.same(builtIn, try ProfileFile.builtIn(cache: cache)))
    #expect(MarketCache.same(builtIn, try ProfileFile.builtIn(cache: cache)))
    #expect(entries().count == 2)
  }

  @Test("every field survives an entry: the shipped profiles, and one with every field set")
  func everyField() throws {
    for set in [try ProfileFile.loadDirectory(profiles), try ProfileFile.builtIn()] {
      let back = try #require(Self.roundTrip(set))
      #expect(MarketCache.same(set, back))
    }
    let detection = RegimeDetectionSettings(
      shortWindow: 10, lookback: 500, order: ["calm", "odd"], upperPercentiles: [0.4])
    let odd = RegimeSet(
      profiles: [Self.unusual(), RegimeProfile(name: "calm", riskPerTrade: 0.01, maxPositionNotional: 0.2, maxGrossLeverage: 1)],
      detection: detection)
    let back = try #require(Self.roundTrip(odd))
    #expect(MarketCache.same(odd, back))
    #expect(back.profiles[0].drawdownScaling?.cut.sign == .minus)
  }

  @Test("an edit of a profile is seen under a warm cache")
  func edited() throws {
    let before = try ProfileFile.loadDirectory(profiles, cache: cache)
    #expect(before.profile("volatile")?.riskPerTrade == 0.005)
    let path = profiles + "/volatile.yaml"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let edited = text.replacingOccurrences(of: "risk_per_trade: 0.005 ", with: "risk_per_trade: 0.004 ")
    #expect(edited != text && edited.utf8.count == text.utf8.count)
    try edited.write(toFile: path, atomically: false, encoding: .utf8)
    #expect(try ProfileFile.loadDirectory(profiles, cache: cache).profile("volatile")?.riskPerTrade == 0.004)
    #expect(entries().count == 2)
  }

  @Test("a corrupt entry is a miss: the files are read again, and give the same profiles")
  func corrupt() throws {
    let fresh = try ProfileFile.loadDirectory(profiles, cache: cache)
    let entry = cacheDir + "/" + (try #require(entries().first))
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: entry)))
    bytes[bytes.count / 2] ^= 0x10
    try Data(bytes).write(to: URL(fileURLWithPath: entry))
    #expect(MarketCache.same(fresh, try ProfileFile.loadDirectory(profiles, cache: cache)))
  }

  @Test("an entry cut short anywhere, or holding a number that is not finite, even sealed again, reads as nothing")
  func truncated() throws {
    let set = try ProfileFile.loadDirectory(profiles)
    let sealed = MarketCache.profilesEntry(set, key: (1, 2), executable: 3)
    let body = Array(sealed.dropLast(16))
    for n in stride(from: 0, to: body.count, by: 1) {
      var w = EntryWriter()
      w.bytes = Array(body[..<n])
      w.seal()
      var r = EntryReader(w.bytes)
      #expect(r.regimeSet(matching: (1, 2), executable: 3) == nil, "cut at \(n) of \(body.count)")
    }
    var other = EntryReader(sealed)
    #expect(other.regimeSet(matching: (1, 2), executable: 4) == nil)
    // A number that is not finite, sealed as if written here: nothing.
    var p = Self.unusual()
    p.maxGroupExposure = .infinity
    var w = EntryWriter()
    w.bytes = Array(MarketCache.profilesEntry(RegimeSet(profiles: [p]), key: (1, 2), executable: 3).dropLast(16))
    w.seal()
    var infinite = EntryReader(w.bytes)
    #expect(infinite.regimeSet(matching: (1, 2), executable: 3) == nil)
  }

  @Test("a profile with an error is not kept: the error is reported on every run")
  func errorNotKept() throws {
    let path = profiles + "/volatile.yaml"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    try text.replacingOccurrences(of: "risk_per_trade: 0.005", with: "risk_per_trade: lots").write(
      toFile: path, atomically: false, encoding: .utf8)
    for _ in 0..<2 {
      #expect(throws: InputError.self) { try ProfileFile.loadDirectory(profiles, cache: cache) }
    }
    #expect(entries().isEmpty)
  }
}
