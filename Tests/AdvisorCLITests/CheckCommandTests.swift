import Foundation
import Testing

@Suite("advisor check, end to end", .serialized)
struct CheckCommandTests {
  @Test("a batch that raises most codes: golden text and JSON Lines, exit 1")
  func allCodes() throws {
    let text = try runAdvisor(["check", "--orders", "Tests/Fixtures/orders/all_codes.csv"])
    #expect(text.status == 1, "\(text.stderr)")
    try expectGolden(text.stdout, "check-all-codes.txt")
    let jsonl = try runAdvisor(["check", "--orders", "Tests/Fixtures/orders/all_codes.csv", "--format", "json"])
    #expect(jsonl.status == 1)
    try expectGolden(jsonl.stdout, "check-all-codes.jsonl")
    let lines = jsonl.stdout.split(separator: "\n")
    #expect(lines.count == 17)
    var codes: Set<String> = []
    for (i, line) in lines.enumerated() {
      let doc = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      #expect(doc["schemaVersion"] as? Int == 1)
      #expect(doc["index"] as? Int == i + 1)
      for f in doc["findings"] as? [[String: Any]] ?? [] { codes.insert(f["code"] as? String ?? "") }
    }
    #expect(lines.first?.contains("\"clientOrderId\":\"ok-1\"") == true)
    for code in [
      "UNKNOWN_INSTRUMENT", "INVALID_QUANTITY", "LOT_SIZE_MISMATCH", "PRICE_OUTSIDE_BAND", "STOP_MISSING", "STOP_WRONG_SIDE",
      "STOP_INSIDE_NOISE", "STOP_NOT_REQUIRED", "REDUCES_POSITION", "RISK_BUDGET_EXCEEDED", "NOTIONAL_CAP_EXCEEDED",
      "LEVERAGE_CAP_EXCEEDED", "CLASS_LEVERAGE_CAP_EXCEEDED", "VOLATILITY_BUDGET_EXCEEDED", "RISK_SHARE_EXCEEDED",
      "LIQUIDITY_LIMIT_EXCEEDED", "MALFORMED_ORDER", "RISK_BUDGET_OK", "LOT_SIZE_OK", "MARKET_DATA_OK", "PRICE_BAND_OK",
      "STOP_OK",
    ] {
      #expect(codes.contains(code), "no \(code) in the batch")
    }
  }

  static let accountCases: [([String], String, String)] = [
    (
      ["--instrument", "AAPL", "--side", "buy", "--quantity", "1", "--stop", "200", "--as-of", "2024-09-10"], "STALE_MARKET_DATA",
      "check-stale.txt"
    ),
    (
      [
        "--instrument", "USDJPY", "--side", "buy", "--quantity", "1000", "--stop", "140", "--account",
        "Tests/Fixtures/cash_only.yaml",
      ], "NO_FX_RATE", "check-no-fx.txt"
    ),
    (
      [
        "--instrument", "AAPL", "--side", "buy", "--quantity", "1", "--stop", "200", "--account",
        "Tests/Fixtures/bad/negative_equity.yaml",
      ], "EQUITY_NOT_POSITIVE", "check-equity.txt"
    ),
    (
      [
        "--instrument", "ETH", "--side", "buy", "--quantity", "1", "--stop", "300", "--as-of", "2018-06-01", "--account",
        "Tests/Fixtures/cash_only.yaml",
      ], "MARKET_DATA_INSUFFICIENT", "check-insufficient.txt"
    ),
  ]

  @Test("codes that need another account or date", arguments: accountCases)
  func accountCodes(arguments: [String], code: String, golden: String) throws {
    let r = try runAdvisor(["check"] + arguments)
    #expect(r.status == 1, "\(r.stderr)")
    #expect(r.stdout.contains("FAIL  \(code)"))
    try expectGolden(r.stdout, golden)
  }

  @Test("a single order gives one JSON document; exit 0 when it passes")
  func single() throws {
    let r = try runAdvisor([
      "check", "--instrument", "BTC", "--side", "buy", "--quantity", "0.2615", "--stop", "52611.82", "--regime", "volatile",
      "--format", "json",
    ])
    #expect(r.status == 0, "\(r.stdout)")
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(doc["result"] as? String == "pass")
    #expect(doc["maxQuantity"] as? Double == 0.2615)
    try expectGoldenJSON(r.stdout, "check-btc-pass.json")
  }

  @Test(
    "a batch not journaled (written by the second thread, in chunks of 1,024) is the journaled run's bytes, JSON Lines and text")
  func threadedWriter() throws {
    let golden = try runAdvisor(["check", "--orders", "Tests/Fixtures/orders/all_codes.csv", "--format", "json", "--no-journal"])
    #expect(golden.status == 1, "\(golden.stderr)")
    try expectGolden(golden.stdout, "check-all-codes.jsonl")
    // 2,600 orders cross two chunk boundaries; small buys and sells of the examples' instruments.
    var csv = "client_order_id,instrument,side,quantity,stop\n"
    for i in 0..<2_600 {
      let (symbol, side, quantity, stop) =
        i % 2 == 0 ? ("AAPL", "buy", "1", "200") : i % 3 == 0 ? ("MSFT", "sell", "1", "480") : ("AAPL", "sell", "1", "260")
      csv += "c\(i),\(symbol),\(side),\(quantity),\(stop)\n"
    }
    let args = ["check", "--orders", "-", "--format", "json"]
    let journaled = try runAdvisor(args, stdin: csv)
    let threaded = try runAdvisor(args + ["--no-journal"], stdin: csv)
    #expect(threaded.status == journaled.status, "\(threaded.stderr)")
    #expect(threaded.stdout == journaled.stdout)
    let lines = threaded.stdout.split(separator: "\n")
    #expect(lines.count == 2_600)
    #expect(lines.last?.contains("\"index\":2600,") == true)
    // Text, full and --brief, the same way.
    for extra in [[], ["--brief"], ["--quiet"]] {
      let text = ["check", "--orders", "-"] + extra
      let journaledText = try runAdvisor(text, stdin: csv)
      let threadedText = try runAdvisor(text + ["--no-journal"], stdin: csv)
      #expect(threadedText.status == journaledText.status, "\(extra): \(threadedText.stderr)")
      #expect(threadedText.stdout == journaledText.stdout, "\(extra)")
      #expect(!threadedText.stdout.isEmpty || extra == ["--quiet"])
    }
  }

  @Test("JSON Lines from standard input; client order ids echoed")
  func stdin() throws {
    let input = try String(
      contentsOfFile: repositoryRoot.appendingPathComponent("examples/orders/batch.jsonl").path, encoding: .utf8)
    let r = try runAdvisor(["check", "--orders", "-", "--format", "json"], stdin: input)
    #expect(r.status == 0, "\(r.stdout)")
    let ids = r.stdout.split(separator: "\n").compactMap { line in
      (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["clientOrderId"] as? String
    }
    #expect(ids == ["j-1", "j-2", "j-3"])
  }

  @Test("--strict makes a warning fail")
  func strict() throws {
    let args = ["check", "--instrument", "AAPL", "--side", "buy", "--quantity", "10", "--stop", "226.2"]
    #expect(try runAdvisor(args).status == 0)
    #expect(try runAdvisor(args + ["--strict"]).status == 1)
  }

  static let cannotRun: [([String], String)] = [
    (["check", "--orders", "no/such/orders.csv"], "no/such/orders.csv: no such orders file"),
    (["check", "--orders", "Tests/Fixtures/orders/empty.csv"], "no orders: the batch is empty"),
    (["check", "--orders", "Tests/Fixtures/orders/header_only.csv"], "no orders: the batch is empty or has only a header"),
  ]

  @Test("could not run: exit 2 with one line", arguments: cannotRun)
  func couldNotRun(arguments: [String], message: String) throws {
    let r = try runAdvisor(arguments)
    #expect(r.status == 2, "\(r.stderr)")
    #expect(r.stderr.hasPrefix("Error: ") && r.stderr.contains(message), "\(r.stderr)")
    #expect(r.stderr.split(separator: "\n").count == 1)
  }

  @Test(
    "usage errors exit 64",
    arguments: [
      ["check"], ["check", "--instrument", "BTC"], ["check", "--orders", "x.csv", "--instrument", "BTC"],
      ["check", "--instrument", "BTC", "--side", "hold", "--quantity", "1"],
    ])
  func usage(arguments: [String]) throws {
    #expect(try runAdvisor(arguments).status == 64)
  }

  @Test("--help documents the exit codes")
  func help() throws {
    let r = try runAdvisor(["check", "--help"])
    #expect(r.stdout.contains("Exit codes: 0 every order passed"))
  }

  @Test("the README's gating script works as written")
  func gate() throws {
    let env = ["ADVISOR": advisorBinary.path]
    let pass = try runAdvisor([], environment: env, executable: "examples/gate-order.sh", extra: ["BTC", "buy", "0.25", "52600"])
    #expect(pass.status == 0)
    #expect(pass.stdout.hasPrefix("PASS: placing buy 0.25 BTC"))
    let fail = try runAdvisor([], environment: env, executable: "examples/gate-order.sh", extra: ["BTC", "buy", "2", "52600"])
    #expect(fail.status == 1)
    #expect(fail.stdout.contains("REJECTED") && fail.stdout.contains("RISK_BUDGET_EXCEEDED"))
  }
}
