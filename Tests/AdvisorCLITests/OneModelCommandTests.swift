import Foundation
import Testing

/// Issue 11's reproductions, run on the built binary exactly as the issue gives them. Each
/// failed on the binary before the one risk model (run them with ADVISOR_BINARY pointing at
/// an older build to see it).
@Suite("The commands agree, end to end (issue 11)", .serialized)
struct OneModelCommandTests {
  func json(_ args: [String]) throws -> (Int32, [String: Any]) {
    let r = try runAdvisor(args + ["--format", "json"])
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
    return (r.status, doc)
  }

  @Test("check of a reducing order: max passing quantity is at least the holding (GC sell 1; sell 2 with a stop)")
  func reducingCheck() throws {
    let (s1, one) = try json(["check", "--instrument", "GC", "--side", "sell", "--quantity", "1"])
    #expect(s1 == 0 && one["maxQuantity"] as? Double == 1)
    let (s2, two) = try json(["check", "--instrument", "GC", "--side", "sell", "--quantity", "2", "--stop", "2600"])
    #expect(s2 == 1 && two["maxQuantity"] as? Double == 1)
  }

  @Test(
    "size on the reducing side offers the close-out (GC short normal, NVDA short crisis)",
    arguments: [
      ("GC", "normal", 1.0), ("NVDA", "crisis", 300.0),
    ])
  func reducingSize(symbol: String, regime: String, held: Double) throws {
    let (status, doc) = try json(["size", "--instrument", symbol, "--side", "short", "--regime", regime])
    #expect(status == 0)
    let rec = try #require(doc["recommendation"] as? [String: Any])
    #expect((rec["quantity"] as? Double ?? 0) >= held, "\(rec["quantity"] ?? "?")")
  }

  @Test("the trailing stop is on the protective side (GC short; BTC long at 2024-08-05)")
  func trailing() throws {
    let (_, gc) = try json(["size", "--instrument", "GC", "--side", "short", "--regime", "normal"])
    let gcEntry = try #require((gc["recommendation"] as? [String: Any])?["entry"] as? Double)
    let gcTrail = try #require((gc["trailingStop"] as? [String: Any])?["price"] as? Double)
    #expect(gcTrail > gcEntry, "short: trailing \(gcTrail) below the entry \(gcEntry)")
    let (_, btc) = try json(["size", "--instrument", "BTC", "--regime", "normal", "--as-of", "2024-08-05"])
    let btcEntry = try #require((btc["recommendation"] as? [String: Any])?["entry"] as? Double)
    let btcTrail = try #require((btc["trailingStop"] as? [String: Any])?["price"] as? Double)
    #expect(btcTrail < btcEntry, "long: trailing \(btcTrail) above the entry \(btcEntry)")
  }

  func pnl(_ doc: [String: Any], _ symbol: String) -> [String: Any]? {
    (doc["pnl"] as? [[String: Any]])?.first { $0["symbol"] as? String == symbol }
  }

  @Test("options are never repriced below zero (client-outflow-crisis; --shock NVDA=-30%)")
  func options() throws {
    let (_, crisis) = try json(["whatif", "--scenario", "examples/scenarios/client-outflow-crisis.yaml"])
    #expect((pnl(crisis, "NVDA240920C00130000")?["priceAfter"] as? Double ?? -1) >= 0)
    let (_, shock) = try json(["whatif", "--shock", "NVDA=-30%"])
    let call = try #require(pnl(shock, "NVDA240920C00130000"))
    #expect((call["priceAfter"] as? Double ?? -1) >= 0)
    #expect((call["pnl"] as? Double ?? -1e9) >= -7.85 * 500 - 1e-6)
  }

  @Test("replay is return-based: covid-replay −72,160.71; the worst day is 2020-03-12")
  func replay() throws {
    let (_, covid) = try json(["whatif", "--scenario", "examples/scenarios/covid-replay.yaml"])
    let total = try #require((covid["replay"] as? [String: Any])?["total"] as? Double)
    #expect(abs(total - -72_160.71) < 0.01, "\(total)")
    let (_, worst) = try json(["whatif", "--worst-days", "5"])
    let first = try #require(((worst["replay"] as? [String: Any])?["path"] as? [[String: Any]])?.first)
    #expect(first["date"] as? String == "2020-03-12")
  }

  @Test("reductions name every limit that needed them; NVDA is not cut to 0 for the notional cap")
  func reductions() throws {
    let (_, doc) = try json(["whatif", "--scenario", "examples/scenarios/client-outflow-crisis.yaml"])
    let reductions = try #require(doc["reductions"] as? [[String: Any]])
    let nvda = try #require(reductions.first { $0["symbol"] as? String == "NVDA" })
    #expect((nvda["to"] as? Double ?? 0) > 0)
    for r in reductions { #expect(!((r["reasons"] as? [String]) ?? []).isEmpty) }
    #expect(((doc["afterReductions"] as? [String: Any])?["breaches"] as? [Any])?.isEmpty == true)
  }

  @Test("what-if invents no equity, and an order that fails its check exits 1")
  func equity() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-gc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let orders = dir.appendingPathComponent("orders.csv")
    try "client_order_id,instrument,side,quantity,price,stop\no1,GC,buy,1,,2400\n".write(
      to: orders, atomically: true, encoding: .utf8)
    let (status, doc) = try json(["whatif", "--orders", orders.path])
    #expect(status == 1)
    let before = try #require((doc["before"] as? [String: Any])?["equity"] as? Double)
    let after = try #require((doc["after"] as? [String: Any])?["equity"] as? Double)
    #expect(abs(after - before) < 1e-6, "\(before) → \(after)")
    let orderResults = try #require(doc["orders"] as? [[String: Any]])
    #expect(orderResults.first?["result"] as? String == "fail")
  }

  @Test("every order budget proposes passes check in sequence; EURUSD +841,000 is no longer proposed")
  func budget() throws {
    let (_, doc) = try json(["budget"])
    let trades = try #require(doc["trades"] as? [[String: Any]])
    let eur = try #require(trades.first { $0["symbol"] as? String == "EURUSD" })
    #expect((eur["quantity"] as? Double ?? 0) < 841_000)
    #expect((eur["blockedBy"] as? [String])?.contains("NOTIONAL_CAP_EXCEEDED") == true)
    // Every proposed order through advisor check, as one batch in the budget's sequence: all pass.
    var csv = "client_order_id,instrument,side,quantity,price,stop\n"
    let sequence = try #require(doc["sequence"] as? [[String: Any]])
    #expect(!sequence.isEmpty)
    for (n, o) in sequence.enumerated() {
      let q = o["quantity"] as? Double ?? 0
      let stop = (o["stop"] as? Double).map { "\($0)" } ?? ""
      csv += "b\(n),\(o["symbol"] as? String ?? ""),\(q > 0 ? "buy" : "sell"),\(abs(q)),,\(stop)\n"
    }
    let check = try runAdvisor(["check", "--orders", "-", "--format", "json"], stdin: csv)
    #expect(check.status == 0, "\(check.stdout.split(separator: "\n").filter { $0.contains("\"fail\"") }.prefix(3))")
    let after = try #require((doc["after"] as? [String: Any])?["annualVolatility"] as? Double)
    #expect(after <= 0.15 + 1e-9, "σ after \(after)")
  }

  @Test("aum files EURUSD under EUR and EUR cash carries its FX exposure")
  func aum() throws {
    let (_, doc) = try json(["aum"])
    let eur = try #require((doc["byCurrency"] as? [String: Any])?["EUR"] as? [String: Any])
    #expect(eur["positions"] as? Int == 1)
    #expect((eur["gross"] as? Double ?? 0) > 100_000)
  }
}
