import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A changed input (or SIGHUP) reloads the workspace in the background and swaps it in
/// whole; a reload that fails keeps the old one, logs one line and /readyz says why.
@Suite("reload", .serialized)
struct ReloadTests {
  static let order = "{\"instrument\":\"AAPL\",\"side\":\"buy\",\"quantity\":10,\"stop\":150}"

  func generation(_ server: ServerProcess) throws -> Int {
    let ready = try server.get("/readyz").json()
    return (ready["workspace"] as? [String: Any])?["generation"] as? Int ?? -1
  }

  @Test func aChangedAccountIsReloadedAndTheCheckIsTheCLIsOnTheNewFile() throws {
    let ws = try ScratchWorkspace()
    defer { ws.remove() }
    // A journal of its own: the changed equity must not become the other tests' high-water mark.
    let env = ["ADVISOR_JOURNAL": ws.url("journal.sqlite").path]
    let server = try ServerProcess(["--config", ws.config, "--poll", "0.2"], directory: ws.root, environment: env)
    defer { server.stop() }
    #expect(try generation(server) == 1)
    let account = try ws.read("examples/account.yaml")
    #expect(account.contains("  USD: 600000\n"))
    try ws.write("examples/account.yaml", account.replacingOccurrences(of: "  USD: 600000\n", with: "  USD: 700000\n"))
    #expect(try server.eventually { try generation(server) == 2 })
    let served = try server.post("/v1/check?hold=false", Self.order)
    #expect(served.headers["advisor-workspace-generation"] == "2")
    let cli = try runCLI(
      ["check", "--instrument", "AAPL", "--side", "buy", "--quantity", "10", "--stop", "150", "--format", "json"],
      directory: ws.root, environment: env)
    #expect(served.text == cli.stdout)
    #expect(server.stderr.contains("\"msg\":\"workspace reloaded\""))
    #expect(try server.get("/metrics").text.contains("advisor_reloads_total{result=\"ok\"} 1"))
  }

  @Test func garbageMarketDataKeepsTheOldWorkspaceAndReadyzSaysWhy() throws {
    let ws = try ScratchWorkspace()
    defer { ws.remove() }
    // A journal of its own: the changed equity must not become the other tests' high-water mark.
    let env = ["ADVISOR_JOURNAL": ws.url("journal.sqlite").path]
    let server = try ServerProcess(["--config", ws.config, "--poll", "0.2"], directory: ws.root, environment: env)
    defer { server.stop() }
    let before = try server.post("/v1/check?hold=false", Self.order)
    try ws.write("examples/market/AAPL.csv", "this is not,a price file\n\u{00}\u{01}garbage\n")
    #expect(try server.eventually { try server.get("/readyz").status == 503 })
    let ready = try server.get("/readyz").json()
    let checks = ready["checks"] as? [[String: Any]] ?? []
    let reload = checks.first { $0["name"] as? String == "reload" }
    #expect(reload?["ok"] as? Bool == false)
    #expect((reload?["message"] as? String)?.contains("previous workspace is kept") == true)
    #expect(try generation(server) == 1)
    // The old workspace still answers, with the same bytes.
    let after = try server.post("/v1/check?hold=false", Self.order)
    #expect(after.text == before.text)
    #expect(server.stderr.contains("\"msg\":\"reload failed; the previous workspace is kept\""))
    // Putting the file back reloads and is ready again.
    try ws.write(
      "examples/market/AAPL.csv",
      try String(contentsOf: repositoryRoot.appendingPathComponent("examples/market/AAPL.csv"), encoding: .utf8))
    #expect(try server.eventually { try server.get("/readyz").status == 200 })
  }

  @Test func sighupReloads() throws {
    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0"])
    defer { server.stop() }
    #expect(try generation(server) == 1)
    server.signal(SIGHUP)
    #expect(try server.eventually { try generation(server) == 2 })
    #expect(server.stderr.contains("\"reason\":\"SIGHUP\""))
  }

  @Test func sigtermStopsCleanly() throws {
    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0"])
    #expect(try server.get("/healthz").status == 200)
    #expect(server.stop() == 0)
  }
}
