import Foundation
import RiskCore

/// The one as-of rule of every command: `--as-of`, else `as_of` in `advisor.yaml`, else
/// today (UTC). The account file's own `as_of` says when its holdings were taken; it never
/// moves the run's date (a stale account must not make stale market data look fresh).
public enum AsOfRule {
  public static func resolve(flag: Day?, config: AdvisorConfig, today: Day) -> (day: Day, source: String) {
    if let flag { return (flag, "--as-of") }
    if let c = config.asOf { return (c, "as_of in \(config.path ?? AdvisorConfig.fileName)") }
    return (today, "today")
  }

  /// Today's date (UTC) from the system clock: the one place a command or the server reads it.
  public static func today() -> Day {
    let seconds = Int(Date().timeIntervalSince1970)
    return Day(ordinal: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
  }
}

/// What a command loads, once, the same way for every command (and the benchmarks): the
/// configuration, the market data with its instrument catalog, the regime profiles, the
/// account with any extra holdings, and the as-of date by ``AsOfRule``.
public struct Workspace: Sendable {
  public let config: AdvisorConfig
  public let asOf: Day
  public let asOfSource: String
  public let market: MarketData?
  public let regimes: RegimeSet?
  /// Dated at the run's as-of date.
  public let account: Account?
  public let maxPriceAgeDays: Int

  /// Where the regime profiles come from.
  public enum Profiles: Sendable, Hashable {
    case directory(String)
    /// The shipped profiles built into the binary (no profiles directory configured).
    case builtIn
  }

  /// Where each part comes from; nil parts are not loaded.
  public struct Paths: Sendable, Equatable {
    public var market: String?
    public var instruments: String?
    public var profiles: Profiles?
    public var account: String?
    public var holdings: String?
    /// The holdings CSV's column names by advisor's (`--columns`).
    public var holdingsColumns: [String: String] = [:]
    public init(
      market: String? = nil, instruments: String? = nil, profiles: Profiles? = nil, account: String? = nil,
      holdings: String? = nil
    ) {
      self.market = market
      self.instruments = instruments
      self.profiles = profiles
      self.account = account
      self.holdings = holdings
    }
  }

  /// Every part as `advisor.yaml` names it (what `advisor serve` loads: no flags): market
  /// data, instruments, profiles (else the built-in ones) and the account.
  ///
  /// - Throws: ``InputError`` when the file names no market data or no account.
  public static func configuredPaths(_ config: AdvisorConfig) throws(InputError) -> Paths {
    let file = config.path ?? AdvisorConfig.fileName
    guard let market = config.market else {
      throw InputError(.missingKey, path: file, field: "market", "names no market data; add market: PATH.")
    }
    guard let account = config.account else {
      throw InputError(.missingKey, path: file, field: "account", "names no account; add account: FILE.")
    }
    return Paths(
      market: market, instruments: config.instruments, profiles: config.profiles.map { .directory($0) } ?? .builtIn,
      account: account)
  }

  /// - Parameter cache: where parsed market data is kept between runs (nil: parse every file).
  public static func load(
    config: AdvisorConfig, paths: Paths, asOf flag: Day?, today: Day, cache: MarketCache? = nil
  ) throws -> Workspace {
    let (asOf, source) = AsOfRule.resolve(flag: flag, config: config, today: today)
    // The market data and the profiles share nothing: read at once, on two cores (the profiles'
    // YAML was about 2 ms of `size`). Their errors are thrown in the order a reading one after
    // the other would meet them.
    let (loadedMarket, loadedRegimes) = concurrently(
      { Result { try paths.market.map { try MarketInputs.load(market: $0, instruments: paths.instruments, cache: cache) } } },
      { Result { try loadProfiles(paths.profiles, cache: cache) } })
    let market = try loadedMarket.get()
    if let market, source != "today" {
      try MarketInputs.requireData(market, onOrBefore: asOf, source: flag != nil ? "--as-of" : config.path)
    }
    let regimes = try loadedRegimes.get()
    var account: Account? = nil
    var maxAge = 4
    if let path = paths.account {
      let catalog = market?.catalog ?? InstrumentCatalog()
      var loaded = try AccountFile.load(
        path, catalog: catalog, holdings: paths.holdings.map { [$0] } ?? [], holdingsColumns: paths.holdingsColumns)
      loaded.account.asOf = asOf
      account = loaded.account
      maxAge = loaded.maxPriceAgeDays
    }
    return Workspace(
      config: config, asOf: asOf, asOfSource: source, market: market, regimes: regimes, account: account,
      maxPriceAgeDays: maxAge)
  }

  static func loadProfiles(_ profiles: Profiles?, cache: MarketCache? = nil) throws -> RegimeSet? {
    switch profiles {
    case .directory(let d): return try ProfileFile.loadDirectory(d, cache: cache)
    case .builtIn: return try ProfileFile.builtIn(cache: cache)
    case nil: return nil
    }
  }

  /// The account valued at the as-of date against the market data.
  public func valuation() throws -> AccountValuation {
    guard let account else { throw InputError(.missingKey, path: nil, "no account was loaded.") }
    return try AccountValuer.value(account, market: market, maxPriceAgeDays: maxPriceAgeDays)
  }
}
