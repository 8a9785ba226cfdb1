@_exported import AdvisorRecording
import ArgumentParser
import Foundation
import RiskCore
import RiskIO

extension VolatilityMethod: ExpressibleByArgument {}
extension CovarianceMethod: ExpressibleByArgument {}
extension ReturnKind: ExpressibleByArgument {}
extension RiskFormat: ExpressibleByArgument {}

extension Day: ExpressibleByArgument {
  public init?(argument: String) { self.init(iso: argument) }
}

/// Where inputs come from: flags, else the configuration file.
struct InputOptions: ParsableArguments {
  @Option(name: .long, help: "Configuration file (default: $ADVISOR_CONFIG, else ./advisor.yaml).")
  var config: String?

  @Option(name: .long, help: "Market data: a CSV file, a directory of CSV files, or a wide close-price panel.")
  var market: String?

  @Option(
    name: .customLong("instruments-file"), help: "Instrument metadata (YAML); default: instruments.yaml beside the market data.")
  var instrumentsFile: String?

  @Option(name: .long, help: "Use only data up to and including this date (YYYY-MM-DD).")
  var asOf: Day?

  /// The parsed market-data cache of the configuration and environment (nil: off).
  func marketCache(_ config: AdvisorConfig) -> MarketCache? {
    MarketCache.configured(config: config, environment: ProcessEnvironment.values)
  }

  func resolvedConfig() throws -> AdvisorConfig {
    try AdvisorConfig.discover(
      explicit: config, environment: ProcessEnvironment.values,
      currentDirectory: FileManager.default.currentDirectoryPath)
  }

  /// Command line > configuration file.
  func marketPath(_ config: AdvisorConfig) throws -> String {
    if let market { return market }
    if let m = config.market { return m }
    if config.path == nil { throw CLIError.notConfigured(missing: "--market") }
    throw CLIError("no market data: \(config.path ?? "advisor.yaml") names none; add market: PATH to it, or pass --market PATH.")
  }

  func loadMarket(_ config: AdvisorConfig) throws -> MarketData {
    let path = try marketPath(config)
    let data = try MarketInputs.load(
      market: path, instruments: instrumentsFile ?? (market == nil ? config.instruments : nil), cache: marketCache(config))
    let (day, source) = AsOfRule.resolve(flag: asOf, config: config, today: today())
    if source != "today" { try MarketInputs.requireData(data, onOrBefore: day, source: asOf != nil ? "--as-of" : config.path) }
    return data
  }

}

/// A flag check for `validate()`: a value outside its documented range cannot give an answer,
/// so it is exit 2 (as a bad value in a file is), with one line naming the flag.
func checkFlag(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch {
    printError("Error: \(error)")
    throw ExitCode(AdvisorExit.couldNotRun)
  }
}

/// The symbols of an `--instruments A,B,…` flag: none empty, none twice.
func instrumentList(_ values: [String]) throws -> [String] {
  var result: [String] = []
  try checkFlag { result = try instrumentSymbols(values) }
  return result
}

func instrumentSymbols(_ values: [String]) throws -> [String] {
  let symbols = values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() } }
  if symbols.allSatisfy(\.isEmpty) {
    throw CLIError("--instruments is empty; give instruments separated by commas, e.g. --instruments BTC,ETH.")
  }
  if let blank = symbols.firstIndex(where: \.isEmpty) {
    throw ValidationError(
      "--instruments has an empty name at position \(blank + 1); give instruments separated by single commas.")
  }
  var seen: Set<String> = []
  for s in symbols where !seen.insert(s).inserted {
    throw CLIError("--instruments lists \(escapedForMessage(s)) twice; give each instrument once.")
  }
  return symbols
}

/// An error raised by the CLI layer itself.
struct CLIError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }

  /// Run outside a configured directory: one message naming every way to configure it.
  static func notConfigured(missing flag: String) -> CLIError {
    CLIError(
      "no advisor.yaml here, no --config and no ADVISOR_CONFIG: run `advisor init` to create a workspace in this directory, pass --config FILE or set ADVISOR_CONFIG to an advisor.yaml, or give the inputs by flag (\(flag) …)."
    )
  }
}

/// Runs `body`, printing any failure as one `Error: …` line (or one per problem)
/// on standard error and exiting with ``AdvisorExit/couldNotRun``.
///
/// The body runs under a ``NonFinite`` collector (no non-finite number reaches standard
/// output: ``emit(_:)`` refuses once one was formatted), and standard output is closed and
/// checked at the end (a failed write, `ENOSPC` or `EPIPE`, is exit 2, never a success).
func reportingErrors(_ body: () throws -> Void) throws {
  do {
    try NonFinite.$current.withValue(NonFinite.Collector()) {
      try body()
      try Output.finishStandardOutput()
    }
  } catch let e as ExitCode {
    throw e
  } catch let e as CleanExit {
    throw e
  } catch let e as InputErrors {
    for error in e.errors { printError("Error: \(error)") }
    throw ExitCode(AdvisorExit.couldNotRun)
  } catch let e as JSONValue.NonFiniteNumber {
    printError("Error: \(e)")
    throw ExitCode(AdvisorExit.couldNotRun)
  } catch var e as UnknownRegimeError {
    // A regime given by flag is a usage error, with the closest names (a file's is named by the file's reader).
    if e.flag == nil { e.flag = "--regime" }
    printError("Error: \(e)")
    throw ExitCode(AdvisorExit.usage)
  } catch let e as ValidationError {
    printError("Error: \(e.message)")
    throw ExitCode(AdvisorExit.usage)
  } catch {
    printError("Error: \(error)")
    throw ExitCode(AdvisorExit.couldNotRun)
  }
}

/// Writes `s` to standard error as one line: control characters (newlines included) are
/// escaped, so a message is always one line and never carries a terminal escape.
func printError(_ s: String) {
  Output.writeStandardError(oneLine(s) + "\n")
}

/// ``emit(_:)`` for bytes already encoded (a batch's JSON Lines): written as they are when
/// the terminal style leaves the text alone.
func emit(bytes: [UInt8]) throws {
  let s = Terminal.style
  guard !s.color && s.width == nil else { return try emit(String(decoding: bytes, as: UTF8.self)) }
  if let c = NonFinite.current, c.count > 0 {
    throw NonFiniteOutputError(report: "report", count: c.count, example: c.first ?? .nan)
  }
  try Output.writeStandardOutput(bytes: bytes)
}

/// Writes to standard output (checked ``Output/writeStandardOutput(_:)``); refuses when a
/// non-finite number was formatted since the command started.
func emit(_ s: String) throws {
  if let c = NonFinite.current, c.count > 0 {
    throw NonFiniteOutputError(report: "report", count: c.count, example: c.first ?? .nan)
  }
  try Output.writeStandardOutput(Terminal.render(s))
}

/// What every account command loads first: configuration, market data, regime profiles
/// and the account, dated by the one as-of rule (``AsOfRule``: flag, else advisor.yaml, else today).
struct AccountContext {
  let workspace: Workspace
  let config: AdvisorConfig
  let market: MarketData
  let regimes: RegimeSet
  let maxPriceAgeDays: Int
  var account: Account

  init(_ inputs: InputOptions, _ accountOptions: AccountOptions, _ profileOptions: ProfileOptions) throws {
    workspace = try inputs.workspace(account: accountOptions, profiles: profileOptions)
    config = workspace.config
    guard let market = workspace.market, let regimes = workspace.regimes, let account = workspace.account else {
      throw CLIError("the workspace is incomplete: market data, profiles and an account are needed.")
    }
    self.market = market
    self.regimes = regimes
    self.account = account
    maxPriceAgeDays = workspace.maxPriceAgeDays
  }

  func valuation() throws -> AccountValuation {
    try AccountValuer.value(account, market: market, maxPriceAgeDays: maxPriceAgeDays)
  }
}

extension InputOptions {
  /// The one workspace loader: every command's inputs by flag, else advisor.yaml. The
  /// workspace read ahead for the same request is taken when there is one (``WorkspacePrefetch``).
  func workspace(account: AccountOptions?, profiles: ProfileOptions?, marketRequired: Bool = true) throws -> Workspace {
    let request = try workspaceRequest(
      account: account, profiles: profiles, marketRequired: marketRequired, config: try resolvedConfig(), today: today())
    if let ahead = WorkspacePrefetch.take(request) { return try ahead.get() }
    return try request.load()
  }

  /// What ``workspace(account:profiles:marketRequired:)`` reads, from these flags and `config`.
  func workspaceRequest(
    account: AccountOptions?, profiles: ProfileOptions?, marketRequired: Bool, config: AdvisorConfig, today: Day
  ) throws -> WorkspaceRequest {
    var paths = Workspace.Paths()
    paths.market = marketRequired ? try marketPath(config) : (market ?? config.market)
    paths.instruments = instrumentsFile ?? (market == nil ? config.instruments : nil)
    if let profiles { paths.profiles = profiles.source(config) }
    if let account {
      paths.account = try account.accountPath(config)
      paths.holdings = account.holdings
      paths.holdingsColumns = try account.columnMapping()
    }
    return WorkspaceRequest(config: config, paths: paths, asOf: asOf, today: today, cache: marketCache(config))
  }

  /// The run's as-of date by the one rule.
  func asOfDay(_ config: AdvisorConfig) -> Day { AsOfRule.resolve(flag: asOf, config: config, today: today()).day }
}
