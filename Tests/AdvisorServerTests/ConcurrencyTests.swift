import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Headroom cannot be spent twice: the checks on one account are serialised.
@Suite("open orders and concurrency", .serialized)
struct ConcurrencyTests {
  /// 64 orders of 50 AAPL (stop 150) together exceed the notional cap: the CLI's batch passes a
  /// prefix of them. Sent at once on 64 connections, exactly as many pass, the decisions are
  /// the batch's (whatever the arrival order), and exactly the passing ones are held.
  @Test func sixtyFourConcurrentOrdersPassOnlyThePrefix() throws {
    let orders = (1...64).map {
      "{\"client_order_id\":\"c\($0)\",\"instrument\":\"AAPL\",\"side\":\"buy\",\"quantity\":50,\"stop\":150}"
    }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("c64-\(UUID().uuidString).jsonl")
    try (orders.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let cli = try runCLI(["check", "--orders", file.path, "--format", "json"])
    let batch = try cli.stdout.split(separator: "\n").map { try findings(Array($0.utf8)) }
    let prefix = batch.prefix { $0.passed }.count
    #expect(prefix > 1 && prefix < 64, "the scenario must bind part-way: \(prefix) pass")
    #expect(batch.dropFirst(prefix).allSatisfy { !$0.passed }, "the CLI's passing orders are a prefix")

    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0"])
    defer { server.stop() }
    let sockets = try orders.map { _ in try HTTPClient.connect(port: server.port) }
    for (fd, body) in zip(sockets, orders) {
      try HTTPClient.sendAll(
        fd,
        HTTPClient.requestBytes(
          method: "POST", path: "/v1/check", headers: ["Content-Type": "application/json"], body: Array(body.utf8)))
    }
    let replies = try sockets.map { fd in
      defer { close(fd) }
      return try HTTPClient.parse(try HTTPClient.readAll(fd))
    }
    #expect(replies.allSatisfy { $0.status == 200 })
    let decided = try replies.map { try findings($0.body) }
    #expect(decided.filter(\.passed).count == prefix)
    // The same decisions as the batch's, as a multiset: each passing order saw the book after
    // the ones before it, and every failing one the full book.
    #expect(decided.map(\.canonical).sorted() == batch.map(\.canonical).sorted())
    let held = try server.get("/v1/orders").json()["orders"] as? [[String: Any]] ?? []
    #expect(held.count == prefix)
    let passingIDs = Set(zip(orders.indices, decided).filter { $0.1.passed }.map { "c\($0.0 + 1)" })
    #expect(Set(held.compactMap { $0["clientOrderId"] as? String }) == passingIDs)
  }

  /// A cancel gives the headroom back; a fill keeps it spent; a second order with an open id is refused.
  @Test func cancelFillAndDuplicateIDs() throws {
    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0"])
    defer { server.stop() }
    func order(_ id: String) -> String {
      "{\"client_order_id\":\"\(id)\",\"instrument\":\"AAPL\",\"side\":\"buy\",\"quantity\":50,\"stop\":150}"
    }
    var passed: [String] = []
    for i in 1...20 {
      let r = try server.post("/v1/check", order("a\(i)"))
      if r.headers["advisor-result"] == "pass" { passed.append("a\(i)") }
    }
    #expect(passed.count > 1 && passed.count < 20)
    let more = try server.post("/v1/check", order("b1"))
    #expect(more.headers["advisor-result"] == "fail")
    let again = try server.post("/v1/check", order(passed[0]))
    #expect(again.status == 409)
    #expect(again.errorCode == "ORDER_ID_OPEN")
    // Filled: still in the book, so still no room.
    let filled = try server.post("/v1/orders/\(passed[0])/fill", "")
    #expect(filled.status == 200)
    #expect((try filled.json()["order"] as? [String: Any])?["status"] as? String == "filled")
    #expect(try server.post("/v1/check", order("b2")).headers["advisor-result"] == "fail")
    // Cancelled: the units leave the book and one more order fits.
    let cancelled = try server.post("/v1/orders/\(passed[1])/cancel", "")
    #expect(cancelled.status == 200)
    #expect(try server.post("/v1/check", order("b3")).headers["advisor-result"] == "pass")
    #expect(try server.post("/v1/orders/\(passed[1])/cancel", "").errorCode == "ORDER_NOT_OPEN")
    #expect(try server.post("/v1/orders/\(passed[2])/fill", "{\"quantity\":1000}").status == 400)
    #expect(try server.post("/v1/orders/\(passed[2])/fill", "{\"quantity\":20}").status == 200)
    let partial = (try server.get("/v1/orders").json()["orders"] as? [[String: Any]] ?? []).first {
      $0["clientOrderId"] as? String == passed[2]
    }
    #expect(partial?["status"] as? String == "partially-filled")
    #expect(partial?["openQuantity"] as? Double == 30)
  }

  /// An open order past --order-ttl leaves the book by itself.
  @Test func openOrdersExpire() throws {
    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0", "--order-ttl", "1"])
    defer { server.stop() }
    let r = try server.post("/v1/check", "{\"instrument\":\"AAPL\",\"side\":\"buy\",\"quantity\":10,\"stop\":150}")
    #expect(r.headers["advisor-result"] == "pass")
    let id = try #require(r.headers["advisor-held-orders"])
    #expect(id.hasPrefix("srv-"))
    #expect((try server.get("/v1/orders").json()["orders"] as? [Any])?.count == 1)
    let gone = try server.eventually(seconds: 10) {
      (try server.get("/v1/orders").json()["orders"] as? [Any])?.isEmpty == true
    }
    #expect(gone)
    #expect(server.stderr.contains("\"msg\":\"orders expired\""))
    #expect(try server.get("/metrics").text.contains("advisor_orders_total{event=\"expired\"} 1"))
  }
}

/// A check result reduced to what the decision is: pass or fail, and its findings.
struct Decision {
  let passed: Bool
  let canonical: String
}

func findings(_ body: [UInt8]) throws -> Decision {
  guard let o = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { throw TestFailure("not JSON") }
  // The codes and severities: the numbers of a book rebuilt with the held orders may differ
  // from the batch's incrementally updated one in the last bits.
  let f = (o["findings"] as? [[String: Any]] ?? []).map { "\($0["code"] ?? "")/\($0["severity"] ?? "")" }
  let text = f.joined(separator: " ")
  return Decision(passed: o["result"] as? String == "pass", canonical: text)
}
