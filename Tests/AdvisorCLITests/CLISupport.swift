import Foundation
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

/// The built `advisor` executable: beside the test bundle, else `.build/debug`.
let advisorBinary: URL = {
  if let env = ProcessInfo.processInfo.environment["ADVISOR_BINARY"] { return URL(fileURLWithPath: env) }
  let candidates = [
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("advisor"),
    Bundle.main.bundleURL.appendingPathComponent("advisor"),
    repositoryRoot.appendingPathComponent(".build/debug/advisor"),
  ]
  return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
}()

struct RunResult {
  let status: Int32
  let stdout: String
  let stderr: String
}

/// One market-cache directory for every run of this test process.
let testCacheDirectory = FileManager.default.temporaryDirectory
  .appendingPathComponent("advisor-test-cache-\(ProcessInfo.processInfo.processIdentifier)").path

/// Runs the binary from the repository root (so `advisor.yaml` is found), with `stdin` if given.
func runAdvisor(
  _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:], directory: URL = repositoryRoot,
  executable: String? = nil, extra: [String] = [], unsetting: [String] = []
) throws -> RunResult {
  let p = Process()
  p.executableURL =
    executable.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : repositoryRoot.appendingPathComponent($0) } ?? advisorBinary
  p.arguments = arguments + extra
  p.currentDirectoryURL = directory
  var env = ProcessInfo.processInfo.environment
  env["NO_COLOR"] = "1"
  env.removeValue(forKey: "ADVISOR_CONFIG")
  // Every run is journaled, in a journal of its own in the temporary directory (never the
  // repository's .advisor/): the golden files then prove that recording changes no output.
  let dir = FileManager.default.temporaryDirectory
  let journal = dir.appendingPathComponent("advisor-journal-\(UUID().uuidString).sqlite").path
  env["ADVISOR_JOURNAL"] = journal
  // The market cache of the test run (never the user's ~/.cache): shared by the runs, so the
  // golden files also prove that a cached parse prints the same bytes as a fresh one.
  env["ADVISOR_CACHE"] = testCacheDirectory
  for (k, v) in environment { env[k] = v }
  for k in unsetting { env.removeValue(forKey: k) }
  p.environment = env
  defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journal + suffix) } }
  // Output goes to temporary files: no pipe buffer can fill and block the child.
  let outURL = dir.appendingPathComponent("advisor-out-\(UUID().uuidString)")
  let errURL = dir.appendingPathComponent("advisor-err-\(UUID().uuidString)")
  _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
  _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
  defer {
    try? FileManager.default.removeItem(at: outURL)
    try? FileManager.default.removeItem(at: errURL)
  }
  let out = try FileHandle(forWritingTo: outURL)
  let err = try FileHandle(forWritingTo: errURL)
  let input = Pipe()
  p.standardOutput = out
  p.standardError = err
  p.standardInput = input
  try p.run()
  if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
  try input.fileHandleForWriting.close()
  p.waitUntilExit()
  try out.close()
  try err.close()
  return RunResult(
    status: p.terminationStatus, stdout: try String(contentsOf: outURL, encoding: .utf8),
    stderr: try String(contentsOf: errURL, encoding: .utf8))
}

/// Compares `actual` with `Tests/AdvisorCLITests/Golden/<name>`; with
/// `ADVISOR_RECORD_GOLDEN=1` it (re)records the file instead (`make golden`).
func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
  let url = repositoryRoot.appendingPathComponent("Tests/AdvisorCLITests/Golden/\(name)")
  if ProcessInfo.processInfo.environment["ADVISOR_RECORD_GOLDEN"] == "1" {
    try actual.write(to: url, atomically: true, encoding: .utf8)
    return
  }
  guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
    Issue.record("golden file \(name) is missing; record it with `make golden`", sourceLocation: sourceLocation)
    return
  }
  if actual != expected {
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let first = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, e.count)
    let got = first < a.count ? String(a[first]) : "<end>"
    let want = first < e.count ? String(e[first]) : "<end>"
    Issue.record(
      "\(name) differs from its golden file at line \(first + 1):\n  got:  \(got)\n  want: \(want)",
      sourceLocation: sourceLocation)
  }
}

/// Compares JSON output with a golden file structurally: same keys, same
/// strings, numbers equal to 1e-12 relative (BLAS kernels differ in the last
/// bits between CPU types). Records with `ADVISOR_RECORD_GOLDEN=1`.
///
/// - Parameter ignoring: key paths (`$.solver.residual`) whose numbers are
///   rounding noise (a residual of 1e-16) and are checked by the caller instead.
func expectGoldenJSON(
  _ actual: String, _ name: String, ignoring: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let url = repositoryRoot.appendingPathComponent("Tests/AdvisorCLITests/Golden/\(name)")
  if ProcessInfo.processInfo.environment["ADVISOR_RECORD_GOLDEN"] == "1" {
    try actual.write(to: url, atomically: true, encoding: .utf8)
    return
  }
  guard let expectedData = try? Data(contentsOf: url) else {
    Issue.record("golden file \(name) is missing; record it with `make golden`", sourceLocation: sourceLocation)
    return
  }
  let a = try JSONSerialization.jsonObject(with: Data(actual.utf8))
  let e = try JSONSerialization.jsonObject(with: expectedData)
  if let difference = jsonDifference(a, e, path: "$", ignoring: ignoring) {
    Issue.record("\(name) differs from its golden file at \(difference)", sourceLocation: sourceLocation)
  }
}

func jsonDifference(_ a: Any, _ e: Any, path: String, ignoring: Set<String> = []) -> String? {
  if ignoring.contains(path) { return nil }
  switch (a, e) {
  case (let x as [String: Any], let y as [String: Any]):
    if Set(x.keys) != Set(y.keys) { return "\(path): keys \(x.keys.sorted()) vs \(y.keys.sorted())" }
    for k in x.keys.sorted() {
      if let d = jsonDifference(x[k] as Any, y[k] as Any, path: "\(path).\(k)", ignoring: ignoring) { return d }
    }
    return nil
  case (let x as [Any], let y as [Any]):
    if x.count != y.count { return "\(path): \(x.count) vs \(y.count) elements" }
    for i in x.indices {
      if let d = jsonDifference(x[i], y[i], path: "\(path)[\(i)]", ignoring: ignoring) { return d }
    }
    return nil
  case (let x as String, let y as String):
    return x == y ? nil : "\(path): \"\(x)\" vs \"\(y)\""
  case (let x as NSNumber, let y as NSNumber):
    let (p, q) = (x.doubleValue, y.doubleValue)
    return abs(p - q) <= 1e-12 * max(abs(q), 1e-300) ? nil : "\(path): \(p) vs \(q)"
  case (is NSNull, is NSNull):
    return nil
  default:
    return "\(path): \(a) vs \(e)"
  }
}
