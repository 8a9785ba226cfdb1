import Foundation
import Testing

func jsonObject(_ text: String) throws -> [String: Any] {
  try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite("advisor budget, end to end", .serialized)
struct BudgetCommandTests {
  /// Rounding-level figures (a residual of 1e-16) differ between BLAS builds; checked below instead.
  static let noise: Set<String> = ["$.solver.residual", "$.solver.stoppingResidual"]

  @Test(
    "advisor pins OpenBLAS's kernels itself: with OPENBLAS_CORETYPE unset (make test sets it), the golden files still hold",
    arguments: [
      (["budget", "--format", "json"], "budget-examples.json"),
      (["size", "--instrument", "BTC", "--regime", "volatile", "--format", "json"], "size-btc-volatile.json"),
    ])
  func kernelsPinnedByAdvisor(arguments: [String], golden: String) throws {
    // Fails on a machine whose own OpenBLAS choice rounds differently (AVX-512, or a VM's
    // masked CPU given SSE3 kernels) if advisor stops pinning them; passes anywhere with AVX2.
    let r = try runAdvisor(arguments, unsetting: ["OPENBLAS_CORETYPE"])
    #expect(r.status == 0, "\(r.stderr)")
    try expectGoldenJSON(r.stdout, golden, ignoring: Self.noise)
  }

  @Test("advisor budget (advisor.yaml's account): golden text and JSON; shares sum to 100%, caps and trades consistent")
  func exampleAccount() throws {
    let text = try runAdvisor(["budget"])
    #expect(text.status == 0, "\(text.stderr)")
    try expectGolden(text.stdout, "budget-examples.txt")
    for heading in ["Where the risk is", "Value at risk", "Target: budgeted risk parity", "Trades to the target", "Conventions"] {
      #expect(text.stdout.contains(heading), "missing \(heading)")
    }
    let json = try runAdvisor(["budget", "--format", "json"])
    #expect(json.status == 0, "\(json.stderr)")
    try expectGoldenJSON(json.stdout, "budget-examples.json", ignoring: Self.noise)
    let doc = try jsonObject(json.stdout)
    #expect(doc["schemaVersion"] as? Int == 1 && doc["mode"] as? String == "account")
    let positions = try #require(doc["positions"] as? [[String: Any]])
    let shares = positions.compactMap { $0["riskShare"] as? Double }
    #expect(shares.count == 9)
    #expect(abs(shares.reduce(0, +) - 1) < 1e-12)
    #expect(abs(positions.compactMap { $0["budget"] as? Double }.reduce(0, +) - 1) < 1e-12)
    let solver = try #require(doc["solver"] as? [String: Any])
    #expect((solver["residual"] as? Double ?? 1) < 1e-12)
    #expect((solver["iterations"] as? Int ?? 99) <= 20)
    let target = try #require(doc["target"] as? [String: Any])
    let weights = try #require(target["weights"] as? [String: Double])
    #expect(abs(weights.values.reduce(0, +) - 1) < 1e-12)
    let caps = try #require(target["caps"] as? [[String: Any]])
    let leverage = try #require(target["leverage"] as? Double)
    #expect(leverage == caps.compactMap { $0["maxLeverage"] as? Double }.min())
    #expect(caps.filter { $0["binding"] as? Bool == true }.count == 1)
    let cap = try #require(doc["perTradeCap"] as? Double)
    for t in try #require(doc["trades"] as? [[String: Any]]) {
      let u = try #require(t["unitExposure"] as? Double)
      for piece in try #require(t["pieces"] as? [Double]) { #expect(abs(piece) * u <= cap * (1 + 1e-12)) }
    }
    // The portfolio σ is the one advisor size reports for the same regime.
    let size = try runAdvisor(["size", "--instrument", "BTC", "--regime", "normal", "--format", "json"])
    let rec = try #require(try jsonObject(size.stdout)["recommendation"] as? [String: Any])
    let portfolio = try #require(doc["portfolio"] as? [String: Any])
    let sigma = try #require(portfolio["annualVolatility"] as? Double)
    #expect(abs(sigma - (rec["portfolioVolatilityBefore"] as? Double ?? 0)) < 1e-12 * sigma)
  }

  @Test("Markdown; custom budgets from a file and a flag; --regime auto shows its evidence")
  func variants() throws {
    let md = try runAdvisor(["budget", "--format", "markdown"])
    #expect(md.status == 0, "\(md.stderr)")
    #expect(md.stdout.hasPrefix("## Risk budget — Example multi-asset book"))
    #expect(md.stdout.contains("| Symbol | Class | Exposure USD |"))
    let custom = try runAdvisor([
      "budget", "--budgets", "Tests/Fixtures/budget/budgets.yaml", "--budget", "AAPL=0.2", "--format", "json",
    ])
    #expect(custom.status == 0, "\(custom.stderr)")
    let positions = try #require(try jsonObject(custom.stdout)["positions"] as? [[String: Any]])
    var budget: [String: Double] = [:]
    for p in positions { budget[p["symbol"] as? String ?? ""] = p["budget"] as? Double }
    // Given: AAPL 0.2 (flag over the file's 0.15), MSFT 0.15, NVDA 0.1, GC 0.15, GLD 0.1, crypto 0.1 → 0.8;
    // TSLA and EURUSD share the remaining 0.2.
    let want: [String: Double] = [
      "AAPL": 0.2, "MSFT": 0.15, "NVDA": 0.1, "GC": 0.15, "GLD": 0.1, "BTC": 0.05, "ETH": 0.05, "TSLA": 0.1, "EURUSD": 0.1,
    ]
    for (s, b) in want { #expect(abs((budget[s] ?? 0) - b) < 1e-12, "\(s)") }
    let auto = try runAdvisor(["budget", "--regime", "auto"])
    #expect(auto.status == 0, "\(auto.stderr)")
    #expect(auto.stdout.contains("Regime evidence (--regime auto)"))
    #expect(auto.stdout.contains("portfolio: 20-day σ"))
  }

  @Test("a new portfolio reproduces Riskfolio-Lib's MV weights (5e-6) and PyPortfolioOpt's ERC (1e-9) from the CSVs")
  func newPortfolio() throws {
    let assets = ["AMZN", "APA", "CMCSA", "CPB", "JCI", "JPM", "MMC", "MO", "TGT", "ZION"]
    let r = try runAdvisor([
      "budget", "--market", "data/panels/riskfolio_stock_prices.csv", "--instruments", assets.joined(separator: ","),
      "--estimator", "sample", "--lookback", "200", "--format", "json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let doc = try jsonObject(r.stdout)
    #expect(doc["mode"] as? String == "portfolio")
    let weights = try #require(doc["weights"] as? [String: Double])
    let csv = try String(
      contentsOf: repositoryRoot.appendingPathComponent("data/reference/riskfolio/Classic_RP.csv"), encoding: .utf8)
    for line in csv.split(separator: "\n").dropFirst() {
      let cells = line.split(separator: ",")
      let want = try #require(Double(cells[1]))
      #expect(abs((weights[String(cells[0])] ?? 0) - want) < 5e-6, "\(cells[0])")
    }
    let ref = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/reference/covariance_pypfopt_panel.json")))
        as? [String: Any])
    let symbols = try #require(ref["instruments"] as? [String])
    let erc = try #require((ref["ercFromSampleAnnual"] as? [String: Any])?["weights"] as? [Double])
    let p = try runAdvisor([
      "budget", "--market", "data/panels/pypfopt_stock_prices.csv", "--instruments", symbols.joined(separator: ","),
      "--estimator", "sample", "--lookback", "500", "--format", "json",
    ])
    #expect(p.status == 0, "\(p.stderr)")
    let w = try #require(try jsonObject(p.stdout)["weights"] as? [String: Double])
    for (s, want) in zip(symbols, erc) { #expect(abs((w[s] ?? 0) - want) < 1e-9, "\(s)") }
    let text = try runAdvisor(["budget", "--instruments", "BTC,ETH,AAPL,GLD", "--estimator", "sample"])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.hasPrefix("New portfolio — equal risk contribution, long-only, fully invested, before leverage"))
  }

  static let bad: [([String], String)] = [
    (
      ["budget", "--account", "Tests/Fixtures/cash_only.yaml"],
      "Tests/Fixtures/cash_only.yaml holds no positions: there is no risk to budget"
    ),
    (
      ["budget", "--account", "Tests/Fixtures/budget/one_position.yaml"],
      "has one position with market data (AAPL): its risk share is 100% by definition"
    ),
    (["budget", "--account", "Tests/Fixtures/bad/negative_equity.yaml"], "not positive: no risk budget can be set."),
    (["budget", "--budget", "AAPL=0"], "--budget AAPL=0: budget 0 for AAPL is not positive"),
    (["budget", "--budget", "GC=-0.1"], "--budget GC=-0.1: budget -0.1 for GC is not positive"),
    (["budget", "--budget", "JPM=0.2"], "--budget JPM=0.2: JPM is not held, so it cannot have a budget."),
    (["budget", "--budget", "NVDA240920C00130000=0.2"], "measured through its underlying NVDA: budget NVDA instead."),
    (["budget", "--budget", "class:bond=0.1"], "no position is in asset class bond"),
    (["budget", "--budget", "AAPL"], "--budget AAPL: no '='"),
    (
      ["budget", "--budget", "AAPL=0.7", "--budget", "MSFT=0.5"], "the budgets given by --budget sum to 1.2, leaving nothing for"
    ),
    (
      ["budget", "--budgets", "Tests/Fixtures/budget/bad_budgets.yaml"],
      "Tests/Fixtures/budget/bad_budgets.yaml line 3, field 'budgets.AAPL': 'lots' is not a finite number."
    ),
    (["budget", "--instruments", "AAPL"], "risk parity needs at least two instruments, got 1 (AAPL)"),
    (["budget", "--instruments", "AAPL,AAPL"], "--instruments lists AAPL twice"),
    (["budget", "--instruments", "AAPL,BTX"], "unknown instrument 'BTX'"),
  ]

  @Test("bad input: one line per problem, exit 2", arguments: bad)
  func badInput(arguments: [String], message: String) throws {
    let r = try runAdvisor(arguments)
    #expect(r.status == 2, "\(arguments): \(r.stderr)")
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.hasPrefix("Error: "))
    #expect(r.stderr.contains(message), "\(r.stderr)")
  }

  @Test("every problem in a budgets file at once; usage errors exit 64")
  func fileAndUsage() throws {
    let r = try runAdvisor(["budget", "--budgets", "Tests/Fixtures/budget/bad_budgets.yaml"])
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 3, "\(r.stderr)")
    #expect(r.stderr.contains("line 4, field 'budgets.class:coins': 'coins' is not an asset class"))
    #expect(r.stderr.contains("line 6, field 'weights': unknown key."))
    for args in [["budget", "--instruments", "AAPL,MSFT", "--regime", "calm"], ["budget", "--lookback", "1"]] {
      let u = try runAdvisor(args)
      #expect(u.status == 64, "\(args): \(u.stderr)")
    }
  }

  @Test("a singular covariance (fewer returns than instruments) is repaired with a warning, not refused")
  func singular() throws {
    let r = try runAdvisor([
      "budget", "--instruments", "AAPL,MSFT,NVDA,TSLA,JPM,GLD", "--estimator", "sample", "--lookback", "4", "--format", "json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let doc = try jsonObject(r.stdout)
    let warnings = try #require(doc["warnings"] as? [String])
    #expect(warnings.contains { $0.hasPrefix("the covariance is singular (there are 4 observations for 6 instruments)") })
    let covariance = try #require(doc["covariance"] as? [String: Any])
    #expect(covariance["solverRepair"] != nil)
  }
}
