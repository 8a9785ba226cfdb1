import Foundation
import Testing

@Suite("advisor size, end to end", .serialized)
struct SizeCommandTests {
  @Test("advisor size --instrument BTC --regime volatile: golden text and JSON; the size is recomputable by hand")
  func btcVolatile() throws {
    let text = try runAdvisor(["size", "--instrument", "BTC", "--regime", "volatile"])
    #expect(text.status == 0, "\(text.stderr)")
    try expectGolden(text.stdout, "size-btc-volatile.txt")
    // --verbose adds every limit's formula and inputs and each step's inputs, nothing else.
    let verbose = try runAdvisor(["size", "--instrument", "BTC", "--regime", "volatile", "--verbose"])
    try expectGolden(verbose.stdout, "size-btc-volatile-verbose.txt")
    #expect(verbose.stdout.split(separator: "\n").count > text.stdout.split(separator: "\n").count)
    for line in text.stdout.split(separator: "\n") { #expect(line.count <= 180, "a line of \(line.count) characters") }
    for heading in ["Why", "Inputs", "Steps", "Limits", "What would change it", "← binding"] {
      #expect(text.stdout.contains(heading), "missing \(heading)")
    }
    let json = try runAdvisor(["size", "--instrument", "BTC", "--regime", "volatile", "--format", "json"])
    #expect(json.status == 0)
    try expectGoldenJSON(json.stdout, "size-btc-volatile.json")
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(doc["schemaVersion"] as? Int == 1)
    let rec = try #require(doc["recommendation"] as? [String: Any])
    let limits = try #require(doc["limits"] as? [[String: Any]])
    let q = try #require(rec["quantity"] as? Double)
    // Recompute the risk budget from the JSON's own inputs.
    let equity = try #require(doc["equity"] as? Double)
    let entry = try #require(rec["entry"] as? Double)
    let stop = try #require(rec["stop"] as? Double)
    let riskBudget = equity * 0.005 * 0.5 / abs(entry - stop)
    let risk = try #require(limits.first { $0["id"] as? String == "risk-budget" })
    #expect(abs((risk["maxQuantity"] as? Double ?? 0) - riskBudget) < 1e-9 * riskBudget)
    for l in limits where l["applies"] as? Bool == true {
      #expect(q <= (l["maxQuantity"] as? Double ?? 0) * (1 + 1e-12))
    }
    #expect(limits.filter { $0["binding"] as? Bool == true }.count == 1)
    #expect((q / 0.0001).rounded() == q / 0.0001 || abs((q / 0.0001) - (q / 0.0001).rounded()) < 1e-6)
  }

  @Test("--regime auto shows its evidence")
  func auto() throws {
    let r = try runAdvisor(["size", "--instrument", "ETH", "--regime", "auto"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("Regime evidence (--regime auto)"))
    #expect(r.stdout.contains("ETH: 20-day σ"))
    #expect(r.stdout.contains("portfolio: 20-day σ"))
    let j = try runAdvisor(["size", "--instrument", "ETH", "--regime", "auto", "--format", "json"])
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
    #expect(doc["regimeSource"] as? String == "auto")
    #expect((doc["regimeEvidence"] as? [Any])?.count == 2)
  }

  @Test("markdown for a trade journal; a short futures trade; a foreign-quoted FX trade")
  func formats() throws {
    let md = try runAdvisor(["size", "--instrument", "GC", "--side", "short", "--regime", "normal", "--format", "markdown"])
    #expect(md.status == 0, "\(md.stderr)")
    #expect(md.stdout.hasPrefix("## GC short"))
    #expect(md.stdout.contains("| Size |"))
    let fx = try runAdvisor(["size", "--instrument", "USDJPY", "--regime", "calm", "--format", "json"])
    #expect(fx.status == 0, "\(fx.stderr)")
    #expect(fx.stdout.contains("\"currency\": \"JPY\""))
  }

  static let bad: [([String], String)] = [
    (
      ["size", "--instrument", "BTX"],
      "unknown instrument 'BTX': the market data has no such symbol (12 known). Did you mean BTC?"
    ),
    (
      ["size", "--instrument", "BTC", "--stop", "70000"],
      "stop 70000 is not below the entry 61175.19; a long's stop must be below its entry."
    ),
    (["size", "--instrument", "BTC", "--side", "short", "--stop", "50000"], "a short's stop must be above its entry"),
    (["size", "--instrument", "BTC", "--entry=-5"], "--entry: -5 is out of range; expected a positive price"),
    // issue 14 class 7: the message names the flag (it was "entry price 0 is not positive.").
    (["size", "--instrument", "BTC", "--entry", "0"], "--entry: 0 is out of range; expected a positive price"),
    (
      ["size", "--instrument", "BTC", "--as-of", "2015-03-01"],
      "field 'ETH.price': no price given and no close on or before 2015-03-01"
    ),
    (
      ["size", "--instrument", "BTC", "--as-of", "2015-03-01", "--account", "Tests/Fixtures/cash_only.yaml"],
      "BTC has 60 bars, a lookback of 252 returns needs 253"
    ),
    (["size", "--instrument", "CL", "--as-of", "2020-04-21"], "CL close is -37.63"),
    (["size", "--instrument", "BTC", "--account", "Tests/Fixtures/bad/negative_equity.yaml"], "equity is -"),
    (["size", "--instrument", "BTC", "--profiles", "Tests/Fixtures/bad/profiles"], "risk_per_trade"),
  ]

  @Test("bad input: one line, exit 2", arguments: bad)
  func badInput(arguments: [String], message: String) throws {
    let r = try runAdvisor(arguments)
    #expect(r.status == 2, "\(arguments): \(r.stderr)")
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.hasPrefix("Error: "))
    #expect(r.stderr.contains(message), "\(r.stderr)")
  }

  @Test("every problem in a profile is reported at once, with its key path")
  func profileErrors() throws {
    let r = try runAdvisor(["size", "--instrument", "BTC", "--profiles", "Tests/Fixtures/bad/profiles"])
    #expect(r.status == 2)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 5, "\(r.stderr)")
    #expect(r.stderr.contains("field 'stop.multiple': is required"))
    #expect(r.stderr.contains("field 'risk_per_trade': 1.5 is out of range"))
    #expect(r.stderr.contains("field 'max_gross_leverage': -2 is out of range"))
    #expect(r.stderr.contains("field 'stop.multipel': unknown key (did you mean 'multiple'?)"))
    #expect(r.stderr.contains("field 'max_leverage_by_class.coins'"))
  }
}
