import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// One case of the hostile corpus (`Tests/Fixtures/hostile/manifest.json`, written by its
/// `generate.py`; issue 14).
struct HostileCase: Decodable, Sendable, CustomTestStringConvertible {
  let name: String
  let `class`: Int
  let args: [String]
  let status: Int32
  let stderr: String?
  let stdin: String?
  let special: String?
  let knownIssue: String?
  let stdout: String?
  var testDescription: String { "class \(`class`): \(name)" }
}

let hostileCases: [HostileCase] = {
  let url = repositoryRoot.appendingPathComponent("Tests/Fixtures/hostile/manifest.json")
  struct Manifest: Decodable { let cases: [HostileCase] }
  guard let data = try? Data(contentsOf: url), let m = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
  return m.cases
}()

/// The contents of every input a case could touch (inputs must never change).
func inputHashes() -> [String: Data] {
  var out: [String: Data] = [:]
  let fm = FileManager.default
  for dir in ["examples", "profiles", "Tests/Fixtures/hostile"] {
    let base = repositoryRoot.appendingPathComponent(dir)
    guard let e = fm.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
    for case let url as URL in e where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
      if let d = try? Data(contentsOf: url) { out[url.path] = d }
    }
  }
  if let d = try? Data(contentsOf: repositoryRoot.appendingPathComponent("advisor.yaml")) {
    out["advisor.yaml"] = d
  }
  return out
}

struct HostileRun {
  let status: Int32
  let signaled: Bool
  let timedOut: Bool
  let stdout: String
  let stderr: String
}

/// Runs the binary with the case's special file set up; stdout may be /dev/full or a pipe
/// whose reader is already closed.
func runHostile(_ c: HostileCase, tmp: URL) throws -> HostileRun {
  let fm = FileManager.default
  switch c.special {
  case "fifo-in-market-dir":
    for name in try fm.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("examples/market").path) {
      try fm.createSymbolicLink(
        at: tmp.appendingPathComponent(name), withDestinationURL: repositoryRoot.appendingPathComponent("examples/market/\(name)")
      )
    }
    #expect(mkfifo(tmp.appendingPathComponent("zz-fifo.csv").path, 0o600) == 0)
  case "fifo-file":
    #expect(mkfifo(tmp.appendingPathComponent("fifo.csv").path, 0o600) == 0)
  case "symlink-loop":
    try fm.createSymbolicLink(atPath: tmp.appendingPathComponent("loop.csv").path, withDestinationPath: "loop2.csv")
    try fm.createSymbolicLink(atPath: tmp.appendingPathComponent("loop2.csv").path, withDestinationPath: "loop.csv")
  case "hardlink-account":
    #expect(
      link(repositoryRoot.appendingPathComponent("examples/account.yaml").path, tmp.appendingPathComponent("hardlink.yaml").path)
        == 0)
  case "symlink-account":
    try fm.createSymbolicLink(
      at: tmp.appendingPathComponent("symlink.yaml"),
      withDestinationURL: repositoryRoot.appendingPathComponent("examples/account.yaml"))
  default: break
  }
  let p = Process()
  p.executableURL = advisorBinary
  p.arguments = c.args.map { $0.replacingOccurrences(of: "$TMP", with: tmp.path) }
  p.currentDirectoryURL = repositoryRoot
  var env = ProcessInfo.processInfo.environment
  env["NO_COLOR"] = "1"
  env.removeValue(forKey: "ADVISOR_CONFIG")
  // A journal of its own in the temporary directory, never the repository's .advisor/.
  let journal = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString).sqlite").path
  env["ADVISOR_JOURNAL"] = journal
  defer { for suffix in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: journal + suffix) } }
  p.environment = env
  let outURL = tmp.appendingPathComponent(".stdout")
  let errURL = tmp.appendingPathComponent(".stderr")
  _ = fm.createFile(atPath: outURL.path, contents: nil)
  _ = fm.createFile(atPath: errURL.path, contents: nil)
  let err = try FileHandle(forWritingTo: errURL)
  var closedPipe: Pipe? = nil
  var devFull: FileHandle? = nil
  switch c.special {
  case "stdout-devfull":
    devFull = FileHandle(forWritingAtPath: "/dev/full")
    p.standardOutput = devFull
  case "stdout-closed-pipe":
    let pipe = Pipe()
    try pipe.fileHandleForReading.close()
    closedPipe = pipe
    p.standardOutput = pipe
  default:
    p.standardOutput = try FileHandle(forWritingTo: outURL)
  }
  p.standardError = err
  if let stdin = c.stdin {
    p.standardInput = FileHandle(forReadingAtPath: repositoryRoot.appendingPathComponent(stdin).path)
  } else {
    p.standardInput = FileHandle.nullDevice
  }
  try p.run()
  try closedPipe?.fileHandleForWriting.close()
  let deadline = Date().addingTimeInterval(120)
  while p.isRunning && Date() < deadline { usleep(20_000) }
  let timedOut = p.isRunning
  if timedOut {
    p.terminate()
    p.waitUntilExit()
  }
  p.waitUntilExit()
  try err.close()
  try devFull?.close()
  return HostileRun(
    status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal, timedOut: timedOut,
    stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
    stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

/// `inf`, `nan`, `n/a` (and `infinity`) as words: never where a number belongs.
func nonFiniteToken(in text: String) -> String? {
  let pattern = #"(?i)(?<![A-Za-z0-9_])(-?inf(inity)?|nan|n/a)(?![A-Za-z0-9_])"#
  guard let r = text.range(of: pattern, options: .regularExpression) else { return nil }
  let line = text[..<r.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).count
  return "\(text[r]) on line \(line)"
}

@Suite("Hostile corpus (issue 14), end to end on the built binary", .serialized)
struct HostileCorpusTests {
  @Test("the manifest has a case for every class of the issue")
  func everyClass() {
    let classes = Set(hostileCases.map(\.class))
    #expect(hostileCases.count >= 150, "\(hostileCases.count) cases")
    for k in 1...11 { #expect(classes.contains(k), "no case for class \(k)") }
  }

  @Test("exit code, one located line on stderr, no trap, no hang, no inf/nan/n/a, inputs unchanged", arguments: hostileCases)
  func hostile(_ c: HostileCase) throws {
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-hostile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: tmp) }
    let before = inputHashes()
    let r = try runHostile(c, tmp: tmp)
    let after = inputHashes()
    // Never a trap, never a hang, never a changed input, whatever the case expects.
    #expect(!r.signaled, "terminated by signal \(r.status): \(r.stderr)")
    #expect(!r.timedOut, "did not finish in 120 s")
    for (path, hash) in before where after[path] != hash { Issue.record("\(path) changed") }
    if let token = nonFiniteToken(in: r.stdout) { Issue.record("stdout shows \(token)") }
    // Messages are lines without control characters.
    #expect(
      !r.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F..<0xA0).contains($0.value) }, "\(r.stderr)")
    if let known = c.knownIssue {
      withKnownIssue(Comment(rawValue: known)) {
        #expect(r.status == c.status, "\(r.stderr)")
      }
      return
    }
    #expect(r.status == c.status, "\(c.args): \(r.stderr)")
    if let want = c.stdout { #expect(r.stdout.contains(want), "\(r.stdout.prefix(500))") }
    if c.status == 64 {
      // A usage error: ArgumentParser's one Error line, then its usage hint.
      #expect(r.stderr.hasPrefix("Error: ") && r.stderr.split(separator: "\n").first.map { $0.contains(c.stderr ?? "") } == true)
    }
    if c.status == 2 {
      let lines = r.stderr.split(separator: "\n")
      #expect(!lines.isEmpty)
      #expect(lines.allSatisfy { $0.hasPrefix("Error: ") }, "\(r.stderr)")
      if let want = c.stderr {
        #expect(r.stderr.contains(want), "stderr does not name \(want): \(r.stderr)")
      }
      if c.special != "stdout-devfull" && c.special != "stdout-closed-pipe" {
        #expect(r.stdout.isEmpty, "\(r.stdout.prefix(300))")
      }
    }
  }
}
