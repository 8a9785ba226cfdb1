import Foundation
import Testing

@Suite("advisor risk, end to end on the built binary", .serialized)
struct RiskCommandTests {
  @Test("text output on the bundled examples matches its golden file")
  func text() throws {
    let r = try runAdvisor(["risk"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.isEmpty)
    try expectGolden(r.stdout, "risk-examples.txt")
  }

  @Test("JSON output has the documented keys, symmetric matrices and matches its golden file")
  func json() throws {
    let r = try runAdvisor(["risk", "--instruments", "BTC,ETH,AAPL,EURUSD", "--estimator", "ledoit-wolf", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    for key in [
      "schemaVersion", "instruments", "observations", "periodsPerYear", "estimator", "covariance", "correlation", "shrinkage",
      "volatility", "warnings",
    ] {
      #expect(doc[key] != nil, "missing key \(key)")
    }
    #expect(doc["instruments"] as? [String] == ["BTC", "ETH", "AAPL", "EURUSD"])
    let cov = try #require(doc["covariance"] as? [[Double]])
    #expect(cov.count == 4 && cov.allSatisfy { $0.count == 4 })
    for i in 0..<4 {
      for j in 0..<4 { #expect(cov[i][j] == cov[j][i]) }
    }
    let vol = try #require(doc["volatility"] as? [String: [String: Any]])
    let btc = try #require(vol["BTC"])
    #expect(btc["periodsPerYear"] as? Int == 365)
    #expect(btc["daily"] is Double && btc["annual"] is Double && btc["atr"] is Double)
    try expectGoldenJSON(r.stdout, "risk-lw-4.json")
  }

  @Test("CSV output has one row per instrument")
  func csv() throws {
    let r = try runAdvisor(["risk", "--format", "csv", "--vol-estimator", "yang-zhang"])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n")
    #expect(lines.count == 13)
    #expect(lines[0].hasPrefix("symbol,last_date,last_close"))
  }

  @Test("the multi-asset directory and the 471-stock panel run end to end")
  func bigInputs() throws {
    let dir = try runAdvisor(["risk", "--market", "data/multi_asset", "--format", "json"])
    #expect(dir.status == 0, "\(dir.stderr)")
    let panel = try runAdvisor([
      "risk", "--market", "data/panels/sp500_471.csv", "--estimator", "ledoit-wolf", "--vol-estimator", "close-to-close",
    ])
    #expect(panel.status == 0, "\(panel.stderr)")
    #expect(panel.stdout.contains("Risk of 471 instruments"))
    #expect(panel.stdout.contains("Correlation summary (471 instruments"))
  }

  @Test("--as-of cuts the data")
  func asOf() throws {
    let r = try runAdvisor(["risk", "--instruments", "AAPL", "--as-of", "2024-06-28", "--format", "json"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("\"lastDate\": \"2024-06-28\""))
  }

  static let badInputs: [([String], String)] = [
    (["risk", "--market", "no/such/dir"], "no/such/dir: no such file or directory"),
    (["risk", "--market", "Tests/Fixtures/bad/empty.csv"], "Tests/Fixtures/bad/empty.csv: the file is empty"),
    (
      ["risk", "--market", "Tests/Fixtures/bad/no_close.csv"],
      "Tests/Fixtures/bad/no_close.csv line 1: the header 'Date,Open,High,Low,Volume' has no close column"
    ),
    (
      ["risk", "--market", "Tests/Fixtures/bad/non_numeric.csv"],
      "Tests/Fixtures/bad/non_numeric.csv line 4, field 'Close': 'n/a' is not a number."
    ),
    (
      ["risk", "--market", "Tests/Fixtures/bad/duplicate_date.csv"],
      "Tests/Fixtures/bad/duplicate_date.csv line 5, field 'duplicate_date': date 2024-01-03 appears twice, on lines 3 and 5"
    ),
    (
      ["risk", "--market", "Tests/Fixtures/bad/negative.csv"],
      "Tests/Fixtures/bad/negative.csv line 3, field 'Close': price -1.5 is not positive"
    ),
    (["risk", "--instruments", "AAPL", "--lookback", "5000"], "AAPL has 2425 bars, a lookback of 5000 returns needs 5001"),
    (["risk", "--instruments", "BTCX"], "unknown instrument 'BTCX'"),
  ]

  @Test("bad input: one line on stderr naming the problem, exit code 2", arguments: badInputs)
  func badInput(arguments: [String], message: String) throws {
    let r = try runAdvisor(arguments)
    #expect(r.status == 2, "\(arguments): status \(r.status), stderr \(r.stderr)")
    #expect(r.stdout.isEmpty)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(r.stderr)")
    #expect(r.stderr.hasPrefix("Error: "))
    #expect(r.stderr.contains(message), "\(r.stderr)")
  }

  @Test(
    "usage errors exit 64",
    arguments: [["risk", "--lookback", "1"], ["risk", "--estimator", "magic"], ["risk", "--as-of", "yesterday"]])
  func usage(arguments: [String]) throws {
    let r = try runAdvisor(arguments)
    #expect(r.status == 64, "\(r.stderr)")
  }

  @Test("without advisor.yaml and without --market the error says what to do")
  func noConfig() throws {
    let r = try runAdvisor(["risk"], directory: FileManager.default.temporaryDirectory)
    #expect(r.status == 2)
    for way in ["advisor init", "--config", "ADVISOR_CONFIG", "--market"] { #expect(r.stderr.contains(way), "\(r.stderr)") }
    #expect(r.stderr.split(separator: "\n").count == 1)
  }
}
