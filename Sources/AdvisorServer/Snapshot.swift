import Foundation
import RiskCore
import RiskIO

/// One loaded workspace, never changed: what a request reads is one snapshot, so it sees the
/// old inputs or the new ones, never a mix. A reload builds a new one and swaps it in.
public struct Snapshot: Sendable {
  public let generation: Int
  public let loadedAt: Date
  public let workspace: Workspace
  public let market: MarketData
  public let regimes: RegimeSet
  public let account: Account
  public let valuation: AccountValuation
  /// The configured followers (advisor.yaml `followers`), for `GET /v1/aum`.
  public let followers: (rows: [Follower], source: String)?
  /// The book as loaded, with its model (no covariance estimated yet).
  public let baseModel: RiskModel
  public let fingerprint: InputFingerprint
  /// The day the as-of rule gave "today" for (a date change reloads when the as-of is today).
  public let today: Day

  public var asOf: Day { workspace.asOf }

  /// Loads every input the way the commands do (``Workspace``), from advisor.yaml alone.
  ///
  /// - Throws: the loaders' one-line errors (``InputError``, ``InputErrors``, …).
  public static func load(configPath: String?, generation: Int) throws -> Snapshot {
    let today = AsOfRule.today()
    let config = try AdvisorConfig.discover(
      explicit: configPath, environment: ProcessInfo.processInfo.environment,
      currentDirectory: FileManager.default.currentDirectoryPath)
    guard config.path != nil else {
      throw ServeError(
        .workspaceNotLoaded,
        "no advisor.yaml here, no --config and no ADVISOR_CONFIG: run `advisor init`, or pass --config FILE.")
    }
    let fingerprint = InputFingerprint(watching: watchedPaths(config))
    // The market-data cache the commands use (ADVISOR_CACHE, `cache` in advisor.yaml, XDG):
    // a reload of unchanged CSV files then skips their parse, and the numbers are the same.
    let cache = MarketCache.configured(config: config, environment: ProcessInfo.processInfo.environment)
    let workspace = try Workspace.load(
      config: config, paths: try Workspace.configuredPaths(config), asOf: nil, today: today, cache: cache)
    guard let market = workspace.market, let regimes = workspace.regimes, let account = workspace.account else {
      throw ServeError(.workspaceNotLoaded, "the workspace is incomplete: market data, profiles and an account are needed.")
    }
    let valuation = try workspace.valuation()
    let followers = try config.followers.map { (rows: try FollowersCSV.load($0), source: $0) }
    return Snapshot(
      generation: generation, loadedAt: Date(), workspace: workspace, market: market, regimes: regimes, account: account,
      valuation: valuation, followers: followers, baseModel: RiskModel(valuation: valuation, market: market),
      fingerprint: fingerprint, today: today)
  }

  /// Loads on a thread of its own: the file reads and estimates never hold a thread of the
  /// concurrency pool that answers requests.
  public static func loadInBackground(configPath: String?, generation: Int) async -> Result<Snapshot, any Error> {
    await withCheckedContinuation { continuation in
      Thread.detachNewThread {
        continuation.resume(returning: Result { try load(configPath: configPath, generation: generation) })
      }
    }
  }

  /// The files and directories whose change reloads the workspace: advisor.yaml, the market
  /// data, the instruments file, the profiles, the account and what sits beside it
  /// (`positions_file`), the followers.
  static func watchedPaths(_ config: AdvisorConfig) -> [String] {
    var paths = [config.path, config.market, config.instruments, config.profiles, config.account, config.followers]
    if let account = config.account { paths.append((account as NSString).deletingLastPathComponent) }
    if let market = config.market { paths.append((market as NSString).deletingLastPathComponent) }
    return paths.compactMap { $0 }.map { $0.isEmpty ? "." : $0 }
  }
}

/// What the watched inputs look like on disk (each file's inode, size and modification time;
/// a directory's entries, one level): a change in any of them starts a reload.
public struct InputFingerprint: Sendable, Hashable {
  let entries: [String: [Int64]]

  public init(watching paths: [String]) {
    var entries: [String: [Int64]] = [:]
    for path in paths {
      entries[path] = Self.stamp(path)
      if let names = try? FileManager.default.contentsOfDirectory(atPath: path) {
        for name in names { entries[path + "/" + name] = Self.stamp(path + "/" + name) }
      }
    }
    self.entries = entries
  }

  static func stamp(_ path: String) -> [Int64] {
    var s = stat()
    guard stat(path, &s) == 0 else { return [-1] }
    return [
      Int64(s.st_ino), Int64(s.st_size), Int64(s.st_mtim.tv_sec), Int64(s.st_mtim.tv_nsec), Int64(s.st_ctim.tv_nsec),
    ]
  }
}
