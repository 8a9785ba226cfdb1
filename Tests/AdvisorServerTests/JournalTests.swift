import Foundation
import Testing

/// The server records each check in the journal as the CLI does, applies the trading state
/// it finds there, and fails closed when the journal cannot record.
@Suite("journal", .serialized)
struct ServeJournalTests {
  static let flags = ["--instrument", "AAPL", "--side", "buy", "--quantity", "10", "--stop", "150", "--format", "json"]
  static let order = "{\"instrument\":\"AAPL\",\"side\":\"buy\",\"quantity\":10,\"stop\":150}"

  func scratchJournal() throws -> (dir: URL, path: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serve-j-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return (dir, dir.appendingPathComponent("journal.sqlite").path)
  }

  @Test func eachCheckIsARunAndAHaltedStateIsTheCLIsBytes() throws {
    let (dir, path) = try scratchJournal()
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = ["ADVISOR_JOURNAL": path]
    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0"], environment: env)
    defer { server.stop() }
    let served = try server.post("/v1/check?hold=false", Self.order)
    #expect(served.headers["advisor-result"] == "pass")
    let list = try runCLI(["journal", "list", "--format", "json"], environment: env)
    #expect(list.status == 0, "\(list.stderr)")
    #expect(list.stdout.contains("\"command\":\"check\"") || list.stdout.contains("\"command\": \"check\""))
    let set = try runCLI(["state", "set", "halted", "--reason", "test halt"], environment: env)
    #expect(set.status == 0, "\(set.stderr)")
    let halted = try server.post("/v1/check?hold=false", Self.order)
    let cli = try runCLI(["check"] + Self.flags, environment: env)
    #expect(halted.text == cli.stdout)
    #expect(halted.text.contains("TRADING_STATE_HALTED"))
    #expect(halted.headers["advisor-result"] == "fail")
    let state = try server.get("/v1/state").json()
    #expect(state["state"] as? String == "halted")
    let cliState = try runCLI(["state", "--format", "json"], environment: env)
    #expect(try server.get("/v1/state").text == cliState.stdout)
    // Active again: the order passes and is held.
    #expect(try runCLI(["state", "set", "active", "--reason", "resume"], environment: env).status == 0)
    #expect(try server.post("/v1/check?hold=false", Self.order).headers["advisor-result"] == "pass")
  }

  @Test func anUnwritableJournalFailsEveryOrderClosed() throws {
    let (dir, path) = try scratchJournal()
    defer { try? FileManager.default.removeItem(at: dir) }
    // A directory where the journal should be: it cannot be opened, as for the CLI.
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let env = ["ADVISOR_JOURNAL": path]
    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0"], environment: env)
    defer { server.stop() }
    let served = try server.post("/v1/check", Self.order)
    #expect(served.headers["advisor-result"] == "fail")
    #expect(served.text.contains("JOURNAL_UNAVAILABLE"))
    #expect(served.headers["advisor-held-orders"] == nil)
    let cli = try runCLI(["check"] + Self.flags, environment: env)
    #expect(served.text == cli.stdout)
    #expect(try server.get("/readyz").status == 503)
  }
}
