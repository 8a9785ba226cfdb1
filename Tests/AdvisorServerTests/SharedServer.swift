import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One server over the repository's example workspace for the tests that change nothing
/// (`hold=false`, reports): started on first use, stopped (SIGTERM) when the test process exits.
enum Shared {
  nonisolated(unsafe) private static var pid: pid_t = 0
  private static let lock = NSLock()
  nonisolated(unsafe) private static var started: ServerProcess? = nil

  static func server() throws -> ServerProcess {
    lock.lock()
    defer { lock.unlock() }
    if let started { return started }
    let s = try ServerProcess(["--config", "advisor.yaml", "--poll", "0"])
    // The journal gets the account's equity for the as-of day first: a comparison's CLI run
    // then reads the same history the server reads after it (the CLI's own snapshot, of the
    // same equity, changes no reading), whichever test runs first.
    let prime = try runCLI(["check", "--instrument", "BTC", "--side", "buy", "--quantity", "0.01", "--format", "json"])
    guard prime.status == 0 || prime.status == 1 else { throw TestFailure("priming the journal failed: \(prime.stderr)") }
    started = s
    pid = s.process.processIdentifier
    atexit {
      if Shared.pid > 0 { kill(Shared.pid, SIGTERM) }
    }
    return s
  }
}
