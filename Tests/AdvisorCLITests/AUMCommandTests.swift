import Foundation
import Testing

@Suite("advisor aum, end to end", .serialized)
struct AUMCommandTests {
  @Test("the default example account: text golden, JSON totals equal the sum of the lines")
  func defaultAccount() throws {
    let text = try runAdvisor(["aum"])
    #expect(text.status == 0, "\(text.stderr)")
    try expectGolden(text.stdout, "aum-examples.txt")
    #expect(text.stdout.contains("Equity, not AUM, is the base for risk budgets"))
    let json = try runAdvisor(["aum", "--format", "json"])
    #expect(json.status == 0)
    try expectGoldenJSON(json.stdout, "aum-examples.json")
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    let totals = try #require(doc["totals"] as? [String: Double])
    let positions = try #require(doc["positions"] as? [[String: Any]])
    let cash = try #require(doc["cash"] as? [[String: Any]])
    let sum = positions.compactMap { $0["aum"] as? Double }.reduce(0, +) + cash.compactMap { $0["value"] as? Double }.reduce(0, +)
    let total = try #require(totals["totalAUM"])
    #expect(abs(sum - total) <= 1e-9 * total)
    let equity =
      positions.compactMap { $0["equityContribution"] as? Double }.reduce(0, +)
      + cash.compactMap { $0["value"] as? Double }.reduce(0, +)
    #expect(abs(equity - (try #require(totals["equity"]))) <= 1e-9 * total)
    #expect(doc["copyTrading"] != nil)
  }

  @Test("the broker tables run; markdown and CSV formats")
  func formats() throws {
    for file in ["examples/broker/securities.yaml", "examples/broker/futures.yaml"] {
      let r = try runAdvisor(["aum", "--account", file, "--format", "markdown"])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("| Symbol |"))
    }
    let csv = try runAdvisor(["aum", "--format", "csv"])
    #expect(csv.stdout.split(separator: "\n").count == 13)
  }

  @Test("--include-lead counts the lead's capital")
  func lead() throws {
    let r = try runAdvisor(["aum", "--include-lead", "--format", "json"])
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let copy = try #require(doc["copyTrading"] as? [String: Any])
    #expect(copy["includesLead"] as? Bool == true)
    #expect(abs((copy["strategyAUM"] as? Double ?? 0) - 330_914.4) < 1e-6)
  }

  @Test("bad account files: every problem on its own line, exit 2")
  func badAccount() throws {
    let r = try runAdvisor(["aum", "--account", "Tests/Fixtures/bad/account.yaml"])
    #expect(r.status == 2)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 4, "\(r.stderr)")
    #expect(lines.allSatisfy { $0.hasPrefix("Error: Tests/Fixtures/bad/account.yaml line ") })
  }
}
