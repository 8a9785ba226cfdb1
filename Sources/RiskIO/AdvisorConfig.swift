import Foundation
import RiskCore

/// `advisor.yaml`: where the default inputs are, so that commands run with no flags.
///
/// ```yaml
/// version: 1
/// market: examples/market            # CSV file, directory of CSVs, or wide panel
/// instruments: examples/instruments.yaml
/// account: examples/account.yaml
/// followers: examples/followers.csv
/// profiles: profiles
/// as_of: 2024-08-21                  # pins the as-of date so the bundled examples stay valid
/// journal: .advisor/journal.sqlite    # the SQLite journal of every run (README, "The journal")
/// cache: .advisor/cache              # parsed market data between runs (or off; README, "The market cache")
/// ```
/// Relative paths are resolved against the directory holding the file. Every
/// key but `version` is optional. The file is found by `--config PATH`, else
/// the `ADVISOR_CONFIG` environment variable, else `advisor.yaml` in the
/// current directory; with none of these, each input must be given by flag.
public struct AdvisorConfig: Sendable, Equatable {
  public static let version = 1
  public static let fileName = "advisor.yaml"

  public var path: String?
  public var market: String?
  public var instruments: String?
  public var account: String?
  public var followers: String?
  public var profiles: String?
  public var asOf: Day?
  /// The journal (SQLite) every run is recorded in; nil: none.
  public var journal: String?
  /// `journal_sync`: `full` (default: a commit is on disk before the report is printed, one
  /// fsync a run) or `normal` (no fsync at commit: a killed process loses nothing, a power
  /// loss may lose the last runs; see README, "The journal").
  public var journalSync = "full"
  /// `cache`: the directory of the parsed market-data cache (``MarketCache``); nil: the
  /// environment's default. `cache: off` turns it off.
  public var cache: String?
  public var cacheOff = false

  public init() {}

  /// Finds and loads the configuration (see the type's documentation for the order).
  public static func discover(explicit: String?, environment: [String: String], currentDirectory: String) throws -> AdvisorConfig
  {
    if let explicit { return try load(explicit) }
    if let env = environment["ADVISOR_CONFIG"], !env.isEmpty { return try load(env) }
    let local = (currentDirectory as NSString).appendingPathComponent(fileName)
    // Loaded by its relative name so paths in reports stay relative (portable golden files).
    if FileManager.default.fileExists(atPath: local) { return try load(fileName) }
    return AdvisorConfig()
  }

  public static func load(_ path: String) throws -> AdvisorConfig {
    let (reader, root) = try YAMLReader.open(path)
    root.requireVersion(version)
    let base = ((path as NSString).deletingLastPathComponent as NSString)
    func resolve(_ p: String?) -> String? {
      guard let p else { return nil }
      if p.hasPrefix("/") { return p }
      let b = base as String
      return b.isEmpty ? p : base.appendingPathComponent(p)
    }
    var c = AdvisorConfig()
    c.path = path
    c.market = resolve(root.string("market"))
    c.instruments = resolve(root.string("instruments"))
    c.account = resolve(root.string("account"))
    c.followers = resolve(root.string("followers"))
    c.profiles = resolve(root.string("profiles"))
    c.asOf = root.day("as_of")
    c.journal = resolve(root.string("journal"))
    if let sync = root.string("journal_sync") {
      if sync == "full" || sync == "normal" {
        c.journalSync = sync
      } else {
        root.reader.report(.invalidValue, root.value("journal_sync"), "journal_sync", "\(quoted(sync)) is not full or normal.")
      }
    }
    if let cache = root.string("cache") {
      if cache == "off" { c.cacheOff = true } else { c.cache = resolve(cache) }
    }
    root.rejectUnknownKeys()
    try reader.finish()
    return c
  }
}

/// Loads market data the way every command does: the instrument catalog
/// (explicit file, else `instruments.yaml` beside or inside the market path),
/// then the prices.
public enum MarketInputs {
  /// Refuses an as-of date before every bar of the market data, naming the date, where it came
  /// from and the earliest bar (instead of "AAPL has 0 bars" later).
  public static func requireData(_ market: MarketData, onOrBefore day: Day, source: String?) throws(InputError) {
    let firsts = market.histories.compactMap { h in h.days.first.map { ($0, h) } }
    guard let earliest = firsts.min(by: { $0.0 < $1.0 }) else { return }
    guard earliest.0 <= day else {
      let h = earliest.1
      throw InputError(
        .invalidValue, path: source, field: source == "--as-of" ? nil : "as_of",
        "no market data on or before \(day) (the earliest bar is \(earliest.0), \(h.symbol) in \(h.source) line \(h.lines.first ?? 0)); choose a later as-of date."
      )
    }
  }

  public static func load(market: String, instruments: String?, cache: MarketCache? = nil) throws -> MarketData {
    var catalogPath = instruments
    if catalogPath == nil {
      var isDir: ObjCBool = false
      if FileManager.default.fileExists(atPath: market, isDirectory: &isDir) {
        let dir = isDir.boolValue ? market : (market as NSString).deletingLastPathComponent
        let candidate = (dir as NSString).appendingPathComponent("instruments.yaml")
        if FileManager.default.fileExists(atPath: candidate) { catalogPath = candidate }
      }
    }
    let catalog = try catalogPath.map { try InstrumentsFile.load($0) } ?? InstrumentCatalog()
    return try MarketDataLoader(catalog: catalog, cache: cache).load(path: market)
  }
}
