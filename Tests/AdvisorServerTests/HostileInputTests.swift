import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Hostile and broken requests get a coded one-line JSON error, never a crash: the server
/// answers the next request normally.
@Suite("hostile input", .serialized)
struct HostileInputTests {
  static let order = "{\"instrument\":\"AAPL\",\"side\":\"buy\",\"quantity\":10,\"stop\":150}"

  @Test(
    "bad requests",
    arguments: [
      ("POST", "/v1/check?hold=false", "{\"instrument\":", "application/json", 400, "BAD_REQUEST"),
      ("POST", "/v1/check?hold=false", "[1,2]", "application/json", 400, "BAD_REQUEST"),
      (
        "POST", "/v1/check?hold=false", "{\"instrument\":\"AAPL\",\"side\":\"buy\",\"quantity\":\"ten\"}", "application/json",
        400, "BAD_REQUEST"
      ),
      (
        "POST", "/v1/check?hold=false", "{\"instrument\":\"AAPL\",\"side\":\"buy\",\"quantity\":1e999}", "application/json", 400,
        "BAD_REQUEST"
      ),
      (
        "POST", "/v1/check?hold=false", "{\"instrument\":\"AAPL\",\"side\":\"buy\",\"quantity\":1,\"colour\":\"red\"}",
        "application/json", 400, "BAD_REQUEST"
      ),
      ("POST", "/v1/check?hold=false", "\u{FF}\u{FE}", "application/json", 400, "BAD_REQUEST"),
      ("POST", "/v1/check?hold=false", "", "application/x-ndjson", 400, "BAD_REQUEST"),
      ("POST", "/v1/check?hold=false", order, "application/xml", 415, "UNSUPPORTED_MEDIA_TYPE"),
      ("POST", "/v1/check?hold=maybe", order, "application/json", 400, "BAD_QUERY"),
      ("POST", "/v1/check?hold=false&regime=panic", order, "application/json", 400, "UNKNOWN_REGIME"),
      ("POST", "/v1/check?file=/etc/passwd", order, "application/json", 400, "BAD_QUERY"),
      ("GET", "/v1/check", "", "application/json", 405, "METHOD_NOT_ALLOWED"),
      ("GET", "/nope", "", "application/json", 404, "NOT_FOUND"),
      ("GET", "/v1/orders/../../etc/passwd", "", "application/json", 404, "NOT_FOUND"),
      ("POST", "/v1/size", "{\"instrument\":\"AAPL\",\"entry\":\"x\"}", "application/json", 400, "BAD_REQUEST"),
      ("POST", "/v1/size", "{\"instrument\":\"NOPE\"}", "application/json", 422, "NOT_EVALUATED"),
      ("GET", "/v1/state?regime=panic", "", "application/json", 400, "UNKNOWN_REGIME"),
    ] as [(String, String, String, String, Int, String)])
  func badRequest(_ method: String, _ path: String, _ body: String, _ type: String, _ status: Int, _ code: String) throws {
    let server = try Shared.server()
    let r = try server.request(method, path, body: method == "POST" ? body : nil, contentType: type)
    #expect(r.status == status, "\(r.text)")
    #expect(r.errorCode == code, "\(r.text)")
    #expect(r.errorMessage.map { !$0.contains("\n") && !$0.isEmpty } == true)
    #expect(try server.get("/healthz").status == 200)
  }

  @Test func anOversizedBodyIs413() throws {
    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0", "--max-body-bytes", "2048"])
    defer { server.stop() }
    let big = String(repeating: Self.order + "\n", count: 100)
    let r = try server.post("/v1/check?hold=false", big, contentType: "application/x-ndjson")
    #expect(r.status == 413)
    #expect(r.errorCode == "BODY_TOO_LARGE")
    #expect(try server.get("/healthz").status == 200)
  }

  @Test func aBatchOverTheLimitIs413() throws {
    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0", "--max-batch", "3"])
    defer { server.stop() }
    let r = try server.post(
      "/v1/check?hold=false", String(repeating: Self.order + "\n", count: 4), contentType: "application/x-ndjson")
    #expect(r.status == 413)
    #expect(r.errorCode == "BATCH_TOO_LARGE")
  }

  /// A client that sends its headers and then too little of its body is answered 408 (or
  /// cut off) within the body time-out; one that sends nothing is closed after the idle one.
  @Test func slowClientsTimeOut() throws {
    let server = try ServerProcess(
      ["--config", "advisor.yaml", "--poll", "0", "--body-timeout", "1", "--idle-timeout", "2"])
    defer { server.stop() }
    let slow = try HTTPClient.connect(port: server.port, timeoutSeconds: 20)
    defer { close(slow) }
    let head =
      "POST /v1/check?hold=false HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"instrument\""
    let start = Date()
    try HTTPClient.sendAll(slow, Array(head.utf8))
    let answer = try HTTPClient.readAll(slow)
    #expect(Date().timeIntervalSince(start) < 15)
    if !answer.isEmpty {
      let r = try HTTPClient.parse(answer)
      #expect(r.status == 408)
      #expect(r.errorCode == "BODY_TIMEOUT")
    }
    let idle = try HTTPClient.connect(port: server.port, timeoutSeconds: 20)
    defer { close(idle) }
    let idleStart = Date()
    let nothing = try HTTPClient.readAll(idle)
    #expect(nothing.isEmpty)
    #expect(Date().timeIntervalSince(idleStart) < 15)
    #expect(try server.get("/healthz").status == 200)
  }

  /// A client that disconnects mid-batch: the server keeps serving, and the orders of the
  /// batch it never answered are not held.
  @Test func aClientThatLeavesMidBatch() throws {
    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0"])
    defer { server.stop() }
    let fd = try HTTPClient.connect(port: server.port)
    let body = String(repeating: Self.order + "\n", count: 50)
    let head =
      "POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
    try HTTPClient.sendAll(fd, Array((head + body.prefix(body.count / 2)).utf8))
    close(fd)
    #expect(try server.get("/healthz").status == 200)
    let held = try server.get("/v1/orders").json()["orders"] as? [Any]
    #expect(held?.isEmpty == true)
  }

  @Test func garbageOnTheWireIsAnsweredOrClosed() throws {
    let server = try Shared.server()
    let fd = try HTTPClient.connect(port: server.port, timeoutSeconds: 20)
    defer { close(fd) }
    try HTTPClient.sendAll(fd, Array("\u{01}\u{02}NOT HTTP AT ALL\r\n\r\n".utf8))
    _ = try? HTTPClient.readAll(fd)
    #expect(try server.get("/healthz").status == 200)
  }
}
