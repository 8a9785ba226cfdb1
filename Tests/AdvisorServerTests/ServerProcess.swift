import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

/// A built executable of this package: beside the test bundle, else `.build/debug`.
func builtExecutable(_ name: String) -> URL {
  let candidates = [
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name),
    repositoryRoot.appendingPathComponent(".build/debug/\(name)"),
  ]
  return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[1]
}

/// The journal every server and CLI run of these tests records in (never the repository's
/// .advisor/journal.sqlite): one temporary file per test process, `$ADVISOR_JOURNAL`.
let testJournal: String = {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serve-journal-\(UUID().uuidString)")
  try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  return dir.appendingPathComponent("journal.sqlite").path
}()

/// The market cache of this test process (never the user's ~/.cache), `$ADVISOR_CACHE`: shared
/// by the servers and CLI runs, so the equality tests also compare a cached parse with a fresh one.
let testCacheDirectory = FileManager.default.temporaryDirectory
  .appendingPathComponent("serve-cache-\(ProcessInfo.processInfo.processIdentifier)").path

struct TestFailure: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}

/// An `advisor-serve` the test starts on a free loopback port and stops (SIGTERM).
final class ServerProcess: @unchecked Sendable {
  let process = Process()
  let stdoutURL: URL
  let stderrURL: URL
  private(set) var port = 0
  private(set) var exitStatus: Int32? = nil

  /// Starts it with `arguments` after `--listen 127.0.0.1:0` (unless `listen` is given) and
  /// waits for its "listening on" line; throws with its standard error when it exits first.
  init(
    _ arguments: [String] = [], listen: String? = "127.0.0.1:0", directory: URL = repositoryRoot,
    environment: [String: String] = [:], waitForListening: Bool = true
  ) throws {
    let tmp = FileManager.default.temporaryDirectory
    stdoutURL = tmp.appendingPathComponent("serve-out-\(UUID().uuidString)")
    stderrURL = tmp.appendingPathComponent("serve-err-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
    process.executableURL = builtExecutable("advisor-serve")
    process.arguments = (listen.map { ["--listen", $0] } ?? []) + arguments
    process.currentDirectoryURL = directory
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "ADVISOR_CONFIG")
    env.removeValue(forKey: "ADVISOR_SERVE_TOKEN")
    env["ADVISOR_JOURNAL"] = testJournal
    env["ADVISOR_CACHE"] = testCacheDirectory
    for (k, v) in environment { env[k] = v }
    process.environment = env
    process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
    process.standardError = try FileHandle(forWritingTo: stderrURL)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    if waitForListening { try awaitListening() }
  }

  private func awaitListening() throws {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      if let out = try? String(contentsOf: stdoutURL, encoding: .utf8),
        let range = out.range(of: "listening on http://")
      {
        let address = out[range.upperBound...].prefix { $0 != " " }
        let digits = address.split(separator: ":").last ?? ""
        if let p = Int(digits) {
          port = p
          return
        }
      }
      if !process.isRunning {
        exitStatus = process.terminationStatus
        throw TestFailure("advisor-serve exited \(process.terminationStatus): \(stderr)")
      }
      usleep(20_000)
    }
    stop()
    throw TestFailure("advisor-serve did not start within 60 s: \(stderr)")
  }

  var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
  var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

  /// Waits for the process to end by itself (a refusal to start), at most `seconds`.
  func waitForExit(seconds: Double = 60) -> Int32? {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { return nil }
    exitStatus = process.terminationStatus
    return exitStatus
  }

  /// SIGTERM, then waits (SIGKILL after 30 s); returns the exit status.
  @discardableResult
  func stop() -> Int32 {
    if let exitStatus { return exitStatus }
    if process.isRunning { kill(process.processIdentifier, SIGTERM) }
    if waitForExit(seconds: 30) == nil {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      exitStatus = process.terminationStatus
    }
    try? FileManager.default.removeItem(at: stdoutURL)
    return exitStatus ?? -1
  }

  func signal(_ s: Int32) { kill(process.processIdentifier, s) }

  deinit {
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(at: stderrURL)
  }

  // MARK: Requests

  func request(
    _ method: String, _ path: String, body: String? = nil, contentType: String? = "application/json",
    headers: [String: String] = [:]
  ) throws -> HTTPResult {
    var h = headers
    if body != nil, let contentType { h["Content-Type"] = contentType }
    return try HTTPClient.send(port: port, method: method, path: path, headers: h, body: body.map { Array($0.utf8) })
  }

  func get(_ path: String, headers: [String: String] = [:]) throws -> HTTPResult {
    try request("GET", path, headers: headers)
  }

  func post(_ path: String, _ body: String, contentType: String? = "application/json", headers: [String: String] = [:])
    throws -> HTTPResult
  {
    try request("POST", path, body: body, contentType: contentType, headers: headers)
  }

  /// Polls `condition` every 50 ms for at most `seconds`.
  func eventually(seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if try condition() { return true }
      usleep(50_000)
    }
    return false
  }
}

/// Runs the `advisor` CLI from the repository root; its standard output, error and status.
func runCLI(_ arguments: [String], directory: URL = repositoryRoot, environment: [String: String] = [:]) throws -> (
  status: Int32, stdout: String, stderr: String
) {
  let p = Process()
  p.executableURL = builtExecutable("advisor")
  p.arguments = arguments
  p.currentDirectoryURL = directory
  var env = ProcessInfo.processInfo.environment
  env["NO_COLOR"] = "1"
  env.removeValue(forKey: "ADVISOR_CONFIG")
  env["ADVISOR_JOURNAL"] = testJournal
  env["ADVISOR_CACHE"] = testCacheDirectory
  for (k, v) in environment { env[k] = v }
  p.environment = env
  let tmp = FileManager.default.temporaryDirectory
  let out = tmp.appendingPathComponent("cli-out-\(UUID().uuidString)")
  let err = tmp.appendingPathComponent("cli-err-\(UUID().uuidString)")
  _ = FileManager.default.createFile(atPath: out.path, contents: nil)
  _ = FileManager.default.createFile(atPath: err.path, contents: nil)
  defer {
    try? FileManager.default.removeItem(at: out)
    try? FileManager.default.removeItem(at: err)
  }
  p.standardOutput = try FileHandle(forWritingTo: out)
  p.standardError = try FileHandle(forWritingTo: err)
  p.standardInput = FileHandle.nullDevice
  try p.run()
  p.waitUntilExit()
  return (p.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
}

/// A copy of the example workspace (advisor.yaml, examples/, profiles/) in a temporary
/// directory the test may edit; removed by `remove()`.
struct ScratchWorkspace {
  let root: URL

  init() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("serve-ws-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    // cp -R: Foundation's copyItem on Linux does not copy every nested directory's files.
    let cp = Process()
    cp.executableURL = URL(fileURLWithPath: "/bin/cp")
    cp.arguments =
      ["-R"] + ["advisor.yaml", "examples", "profiles"].map { repositoryRoot.appendingPathComponent($0).path } + [root.path]
    try cp.run()
    cp.waitUntilExit()
    guard cp.terminationStatus == 0 else { throw TestFailure("cp -R of the example workspace failed") }
  }

  var config: String { root.appendingPathComponent("advisor.yaml").path }
  func url(_ path: String) -> URL { root.appendingPathComponent(path) }

  func read(_ path: String) throws -> String { try String(contentsOf: url(path), encoding: .utf8) }

  /// Replaces a file whole (write to a temporary name, rename), as an editor or a feed would.
  /// The temporary file is made in the workspace's root, which the server does not watch: made
  /// beside the file (a watched directory), a poll between its creation and the rename saw a
  /// new entry and reloaded the old contents first, then reloaded again (a flake under load).
  func write(_ path: String, _ text: String) throws {
    let tmp = root.appendingPathComponent(".write-\(UUID().uuidString).tmp")
    try text.write(to: tmp, atomically: false, encoding: .utf8)
    guard rename(tmp.path, url(path).path) == 0 else { throw TestFailure("cannot rename over \(path)") }
  }

  func remove() { try? FileManager.default.removeItem(at: root) }
}
