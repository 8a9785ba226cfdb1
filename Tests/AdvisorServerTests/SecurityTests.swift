import Foundation
import Testing

/// Loopback by default; off loopback a bearer token is required; requests without a valid
/// one get 401 and are logged without it.
@Suite("security", .serialized)
struct SecurityTests {
  static let token = "s3cret-token-0123456789abcdef"

  @Test func offLoopbackWithoutATokenRefusesToStart() throws {
    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0"], listen: "0.0.0.0:0", waitForListening: false)
    defer { server.stop() }
    #expect(server.waitForExit() == 2)
    #expect(server.stderr.contains("TOKEN_REQUIRED"))
    #expect(server.stderr.contains("not a loopback address"))
    #expect(server.stdout.isEmpty)
  }

  @Test func offLoopbackWithATokenFileStartsAndRequiresIt() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
    try (Self.token + "\n").write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let server = try ServerProcess(
      ["--config", "advisor.yaml", "--poll", "0", "--token-file", file.path], listen: "0.0.0.0:0")
    defer { server.stop() }
    #expect(try server.get("/v1/aum").status == 401)
    #expect(try server.get("/v1/aum", headers: ["Authorization": "Bearer \(Self.token)"]).status == 200)
  }

  @Test func aTooShortTokenIsRefused() throws {
    let server = try ServerProcess(
      ["--config", "advisor.yaml", "--poll", "0"], environment: ["ADVISOR_SERVE_TOKEN": "short"], waitForListening: false)
    defer { server.stop() }
    #expect(server.waitForExit() == 2)
    #expect(server.stderr.contains("Error:"))
  }

  @Test func requestsWithoutAValidTokenGet401AndTheTokenIsNotLogged() throws {
    let server = try ServerProcess(
      ["--config", "advisor.yaml", "--poll", "0"], environment: ["ADVISOR_SERVE_TOKEN": Self.token])
    defer { server.stop() }
    // The liveness probe needs no token.
    #expect(try server.get("/healthz").status == 200)
    let order = "{\"instrument\":\"AAPL\",\"side\":\"buy\",\"quantity\":10,\"stop\":150}"
    let none = try server.post("/v1/check?hold=false", order)
    #expect(none.status == 401)
    #expect(none.errorCode == "UNAUTHORIZED")
    #expect(none.headers["www-authenticate"] == "Bearer")
    let wrong = try server.post(
      "/v1/check?hold=false", order, headers: ["Authorization": "Bearer \(Self.token.dropLast())x"])
    #expect(wrong.status == 401)
    #expect(try server.post("/v1/check?hold=false", order, headers: ["Authorization": "Basic \(Self.token)"]).status == 401)
    #expect(try server.get("/metrics").status == 401)
    let right = try server.post("/v1/check?hold=false", order, headers: ["Authorization": "Bearer \(Self.token)"])
    #expect(right.status == 200)
    #expect(right.headers["advisor-result"] == "pass")
    #expect(server.stderr.contains("\"status\":401"))
    #expect(!server.stderr.contains(Self.token))
    #expect(!server.stdout.contains(Self.token))
  }

  @Test func aPortInUseIsOneLine() throws {
    let first = try ServerProcess(["--config", "advisor.yaml", "--poll", "0"])
    defer { first.stop() }
    let second = try ServerProcess(
      ["--config", "advisor.yaml", "--poll", "0"], listen: "127.0.0.1:\(first.port)", waitForListening: false)
    defer { second.stop() }
    #expect(second.waitForExit() == 2)
    #expect(second.stderr.contains("LISTEN_FAILED"))
    #expect(second.stderr.contains("already in use"))
  }

  @Test func noRequestCanNameAFile() throws {
    let server = try Shared.server()
    // The orders file's keys only: a path-like key is an unknown key, a 400.
    let r = try server.post(
      "/v1/check?hold=false", "{\"instrument\":\"AAPL\",\"side\":\"buy\",\"quantity\":1,\"orders\":\"/etc/passwd\"}")
    #expect(r.status == 400)
    #expect(r.errorCode == "BAD_REQUEST")
    #expect(try server.get("/v1/aum?account=/etc/passwd").errorCode == "BAD_QUERY")
  }
}
