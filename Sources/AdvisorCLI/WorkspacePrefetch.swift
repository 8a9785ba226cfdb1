import Foundation
import LinearAlgebra
import RiskCore
import RiskIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Everything ``Workspace/load(config:paths:asOf:today:cache:)`` reads its inputs by: two
/// equal requests load the same workspace from the same files.
struct WorkspaceRequest: Equatable, Sendable {
  let config: AdvisorConfig
  let paths: Workspace.Paths
  let asOf: Day?
  let today: Day
  let cache: MarketCache?

  func load() throws -> Workspace {
    try Workspace.load(config: config, paths: paths, asOf: asOf, today: today, cache: cache)
  }
}

/// The parts of the workspace a command reads when no flag names an input.
enum WorkspaceParts: Sendable {
  /// The market data (when configured) and the account: `aum`.
  case account
  /// The market data, the profiles and the account: `size`, `check`, `budget`, `whatif`.
  case accountAndProfiles
}

/// A command whose run starts by loading the workspace (``InputOptions/workspace(account:profiles:marketRequired:)``):
/// ``Advisor/prepare(_:)`` starts reading it ahead (``WorkspacePrefetch``).
protocol ReadsWorkspace {
  static var workspaceParts: WorkspaceParts { get }
}

/// The workspace `advisor.yaml` names, read on a second core while ArgumentParser parses the
/// arguments on the first: in a one-order `check` or a `size` the parsing (its reflection,
/// about 25 M instructions) and the reading of the inputs (about 30 M) were each a third of
/// the run, one after the other (BENCHMARKS.md, issue 16, ninth pass).
///
/// Only a guess, never an answer of its own: the thread builds the request a command given no
/// input flag would make (``WorkspaceParts``), and loads it with the one loader. The command
/// builds its own request from its parsed options as before, and takes the prefetched result
/// only when the two requests are equal (``take(_:)``): the same configuration, paths, as-of
/// flag, day and cache, so the same files read by the same code, with the same result or the
/// same error. Any difference (a flag the guess did not know, a day that turned) and the
/// command loads as it always did. The guess is made only when no argument is one of the
/// ``inputFlags``, so that a run never reads (or caches) a file it was not asked to.
final class WorkspacePrefetch: @unchecked Sendable {
  /// The flags that change what the workspace is read from (InputOptions, AccountOptions,
  /// ProfileOptions): with any of them on the line, nothing is read ahead.
  static let inputFlags = [
    "--config", "--market", "--instruments-file", "--as-of", "--account", "--holdings", "--columns", "--profiles",
  ]

  /// Whether `arguments` (after the subcommand) leave the workspace to `advisor.yaml`.
  static func leavesInputsToConfiguration(_ arguments: some Sequence<String>) -> Bool {
    !arguments.contains { a in
      a == "--help" || a == "-h" || inputFlags.contains { a == $0 || a.hasPrefix($0 + "=") }
    }
  }

  private enum State {
    case guessing
    /// No request could be guessed (no configuration, no market data or account in it).
    case none
    case loading(WorkspaceRequest)
    case loaded(WorkspaceRequest, Result<Workspace, any Error>)
    case taken
  }

  private let condition = NSCondition()
  private var state = State.guessing
  private let parts: WorkspaceParts

  private init(_ parts: WorkspaceParts) { self.parts = parts }

  /// The one read ahead of this process (nil: none started).
  private static let slot = Slot()
  private final class Slot: @unchecked Sendable {
    private let lock = NSLock()
    private var prefetch: WorkspacePrefetch?
    func set(_ p: WorkspacePrefetch) { lock.withLock { prefetch = p } }
    func get() -> WorkspacePrefetch? { lock.withLock { prefetch } }
  }

  /// Starts reading the workspace of a command given no input flag, on a detached POSIX
  /// thread (not Dispatch: its first use starts two threads). The environment is read and
  /// BLAS's variables are set on the calling thread first, so no `setenv` runs beside it.
  static func start(_ parts: WorkspaceParts) {
    LinearAlgebraRuntime.settleEnvironment()
    _ = ProcessEnvironment.values
    let p = WorkspacePrefetch(parts)
    let retained = Unmanaged.passRetained(p).toOpaque()
    var thread = pthread_t()
    let started = pthread_create(
      &thread, nil,
      { raw in
        guard let raw else { return nil }
        let p = Unmanaged<WorkspacePrefetch>.fromOpaque(raw).takeRetainedValue()
        p.run()
        return nil
      }, retained)
    guard started == 0 else {
      Unmanaged<WorkspacePrefetch>.fromOpaque(retained).release()
      return
    }
    pthread_detach(thread)
    slot.set(p)
    // A command that ends before it takes the workspace (a usage error) must not leave a
    // cache entry half written by this thread.
    atexit { MarketCache.finishWritesBeforeExit() }
  }

  /// The workspace read ahead for exactly `request`, waiting for it if it is still being
  /// read; nil when none was read ahead for it (then the caller loads it itself). Taken once.
  static func take(_ request: WorkspaceRequest) -> Result<Workspace, any Error>? {
    slot.get()?.take(request)
  }

  private func take(_ request: WorkspaceRequest) -> Result<Workspace, any Error>? {
    condition.lock()
    defer { condition.unlock() }
    while true {
      switch state {
      case .guessing:
        condition.wait()
      case .none, .taken:
        return nil
      case .loading(let r):
        guard r == request else { return nil }
        condition.wait()
      case .loaded(let r, let result):
        guard r == request else { return nil }
        state = .taken
        return result
      }
    }
  }

  private func publish(_ s: State) {
    condition.lock()
    state = s
    condition.broadcast()
    condition.unlock()
  }

  private func run() {
    guard let request = guess() else { return publish(.none) }
    publish(.loading(request))
    publish(.loaded(request, Result { try request.load() }))
  }

  private func guess() -> WorkspaceRequest? {
    guard
      let config = try? AdvisorConfig.discover(
        explicit: nil, environment: ProcessEnvironment.values, currentDirectory: FileManager.default.currentDirectoryPath)
    else { return nil }
    return Self.guess(parts, config: config, environment: ProcessEnvironment.values, today: today())
  }

  /// The request ``InputOptions/workspaceRequest(account:profiles:marketRequired:config:today:)``
  /// makes with no input flag (nil where it would throw before loading: no market data or
  /// account configured).
  static func guess(_ parts: WorkspaceParts, config: AdvisorConfig, environment: [String: String], today: Day)
    -> WorkspaceRequest?
  {
    guard let account = config.account else { return nil }
    var paths = Workspace.Paths()
    paths.market = config.market
    paths.instruments = config.instruments
    paths.account = account
    switch parts {
    case .account: break
    case .accountAndProfiles:
      guard config.market != nil else { return nil }
      paths.profiles = config.profiles.map { .directory($0) } ?? .builtIn
    }
    return WorkspaceRequest(
      config: config, paths: paths, asOf: nil, today: today,
      cache: MarketCache.configured(config: config, environment: environment))
  }
}
