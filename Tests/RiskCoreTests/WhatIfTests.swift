import Foundation
import LinearAlgebra
import RiskCore
import RiskIO
import Testing

/// Hand-checked what-if cases on the example market data.
@Suite("advisor whatif: hand-checked cases")
struct WhatIfTests {
  static func account(_ positions: [Position], cash: Double) -> Account {
    Account(
      name: "t", baseCurrency: "USD", asOf: day("2024-08-21"), fx: FXRates(base: "USD"), cash: ["USD": cash],
      positions: positions,
      source: "t")
  }

  static func stock(_ s: String, _ q: Double) -> Position {
    Position(symbol: s, assetClass: .stock, quantity: q, currency: "USD", source: "t")
  }

  func run(_ s: Scenario, _ a: Account, regime: String = "normal") throws -> WhatIfReport {
    let market = try #require(Examples.market)
    let regimes = try #require(Examples.regimes)
    return try WhatIfEngine.run(s, account: a, market: market, regimes: regimes, baseRegime: regime)
  }

  @Test("a single shock on a one-position account: P&L, new AUM, new leverage")
  func singleShock() throws {
    // 100 AAPL at 226.40 (22,640) and 10,000 cash: equity 32,640, leverage 0.6936.
    // AAPL −10%: P&L −2,264; AUM 30,376; equity 30,376; leverage 20,376 / 30,376.
    var s = Scenario(name: "t")
    s.shocks = [Shock(.instrument("AAPL"), -0.10)]
    let r = try run(s, Self.account([Self.stock("AAPL", 100)], cash: 10_000))
    let close = try #require(Examples.market?["AAPL"]?.lastClose)
    #expect(abs(r.totalPnL - (-0.10 * close * 100)) < 1e-9)
    #expect(abs(r.after.totalAUM - (0.9 * close * 100 + 10_000)) < 1e-9)
    #expect(abs(r.after.equity - (0.9 * close * 100 + 10_000)) < 1e-9)
    #expect(abs((r.after.leverage ?? 0) - 0.9 * close * 100 / (0.9 * close * 100 + 10_000)) < 1e-12)
  }

  @Test("a correlation stress on two assets: the new σ by hand")
  func correlationStress() throws {
    var s = Scenario(name: "t")
    s.correlationTarget = 0.9
    s.correlationWeight = 0.5
    let a = Self.account([Self.stock("AAPL", 100), Self.stock("MSFT", 50)], cash: 50_000)
    let r = try run(s, a)
    let before = try #require(r.riskBefore)
    let after = try #require(r.riskAfter)
    // σ² = e₁²σ₁² + e₂²σ₂² + 2 e₁ e₂ ρ' σ₁ σ₂ with ρ' = (ρ + 0.9) / 2.
    let c = before.covariance
    let s1 = c[0, 0].squareRoot()
    let s2 = c[1, 1].squareRoot()
    let rho = c[0, 1] / (s1 * s2)
    let e = before.exposures
    let stressed = (e[0] * e[0] * s1 * s1 + e[1] * e[1] * s2 * s2 + 2 * e[0] * e[1] * (rho + 0.9) / 2 * s1 * s2).squareRoot()
    #expect(abs(after.volatility - stressed) < 1e-9 * stressed)
    #expect(after.volatility > before.volatility)
  }

  @Test("an outflow that pushes leverage over the cap: the suggested reductions restore it")
  func outflow() throws {
    // 400 AAPL (90,560) + 200 MSFT (84,828) + 100,000 cash: equity 275,388, leverage 0.64.
    // Withdraw 60% of equity: equity 110,155, leverage 1.59 > crisis cap 1.0.
    var s = Scenario(name: "t")
    s.flows = [.fractionOfEquity(-0.6)]
    s.regime = "crisis"
    let a = Self.account([Self.stock("AAPL", 400), Self.stock("MSFT", 200)], cash: 100_000)
    let r = try run(s, a)
    #expect(r.breaches.contains { $0.limit == .accountLeverage })
    #expect(!r.reductions.isEmpty)
    #expect(r.afterReductions.breaches.isEmpty, "\(r.afterReductions.breaches)")
    #expect((r.afterReductions.leverage ?? 9) <= 1.0)
    // Lot-rounded: whole shares.
    for x in r.reductions { #expect(x.to == x.to.rounded()) }
    // Applying the reductions gives a valuation within every crisis limit.
    var fixed = a
    fixed.cash["USD", default: 0] += r.flows
    let market = try #require(Examples.market)
    for x in r.reductions {
      guard let i = fixed.positions.firstIndex(where: { $0.symbol == x.symbol }) else { continue }
      fixed.positions[i].quantity = x.to
      fixed.cash["USD", default: 0] += (x.from - x.to) * (market[x.symbol]?.lastClose ?? 0)
    }
    let v = try AccountValuer.value(fixed, market: market)
    let crisis = try #require(Examples.regimes?.profile("crisis"))
    #expect((v.leverage ?? 9) <= crisis.maxGrossLeverage)
  }

  /// A close from the example CSVs (column 4 is Close).
  static func close(_ file: String, _ date: String) throws -> Double {
    let text = try String(contentsOfFile: repoPath("examples/market/\(file)"), encoding: .utf8)
    let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(date) })
    return try #require(Double(line.split(separator: ",")[4]))
  }

  @Test("replay 2020-03-09 … 2020-03-23: today's exposures × the CSV closes' returns since the base close")
  func replay() throws {
    var s = Scenario(name: "t")
    s.replay = .range(from: day("2020-03-09"), to: day("2020-03-23"))
    let a = Self.account([Self.stock("AAPL", 100), Self.stock("MSFT", -50)], cash: 50_000)
    let r = try run(s, a)
    let rp = try #require(r.replay)
    #expect(rp.mode == .returns)
    // examples/market/AAPL.csv and MSFT.csv: closes on 2020-03-06 (the base) and 2020-03-23, today's exposures.
    let aapl = 100 * (try #require(Examples.market?["AAPL"]?.through(Examples.asOf).lastClose))
    let msft = -50 * (try #require(Examples.market?["MSFT"]?.through(Examples.asOf).lastClose))
    let want =
      aapl * (try Self.close("AAPL.csv", "2020-03-23") / Self.close("AAPL.csv", "2020-03-06") - 1)
      + msft * (try Self.close("MSFT.csv", "2020-03-23") / Self.close("MSFT.csv", "2020-03-06") - 1)
    #expect(rp.baseDay == day("2020-03-06"))
    #expect(rp.path.last?.day == day("2020-03-23"))
    #expect(abs(rp.total - want) < 1e-9 * abs(want), "\(rp.total) vs \(want)")
    // Price-level mode, only when asked for: today's quantities × the old price changes.
    s.replayMode = .priceLevel
    let level = try #require(try run(s, a).replay)
    let wantLevel =
      100 * (try Self.close("AAPL.csv", "2020-03-23") - Self.close("AAPL.csv", "2020-03-06"))
      - 50 * (try Self.close("MSFT.csv", "2020-03-23") - Self.close("MSFT.csv", "2020-03-06"))
    #expect(abs(level.total - wantLevel) < 1e-9 * abs(wantLevel))
  }

  @Test("copy-trading capacity against a hand computation")
  func capacity() throws {
    let market = try #require(Examples.market)
    let normal = try #require(Examples.regimes?.profile("normal"))
    let q = CapacityQuestion(instrument: "AAPL", leadTradeFraction: 0.05, slippageBudget: 0.001)
    let c = try WhatIfEngine.capacity(q, aum: 2_000_000, aumSource: "t", market: market, profile: normal)
    let h = try #require(market["AAPL"])
    let adv = h.volume.suffix(20).reduce(0, +) / 20
    let sigma = try EWMAVolatility(lambda: 0.94).dailyVolatility(of: h, lookback: 252)
    let price = try #require(h.lastClose)
    let qty = 0.05 * 2_000_000 / price
    #expect(abs(c.averageDailyVolume - adv) < 1e-9 * adv)
    #expect(abs(c.participation - qty / adv) < 1e-15)
    #expect(abs(c.slippage - sigma * (qty / adv).squareRoot()) < 1e-15)
    let maxAUM = adv * price * (0.001 / sigma) * (0.001 / sigma) / 0.05
    #expect(abs(c.maxStrategyAUM - maxAUM) < 1e-9 * maxAUM)
  }

  static let bad: [(Scenario, String)] = {
    var notHeld = Scenario(name: "t")
    notHeld.shocks = [Shock(.instrument("BTC"), -0.3)]
    var unknown = Scenario(name: "t")
    unknown.shocks = [Shock(.instrument("BTX"), -0.3)]
    var tooMuch = Scenario(name: "t")
    tooMuch.shocks = [Shock(.instrument("AAPL"), -1.5)]
    var outside = Scenario(name: "t")
    outside.replay = .range(from: day("2010-01-01"), to: day("2010-02-01"))
    var corr = Scenario(name: "t")
    corr.correlationTarget = 1.5
    var regime = Scenario(name: "t")
    regime.regime = "panic"
    return [
      (notHeld, "does not hold"), (unknown, "unknown instrument 'BTX'"), (tooMuch, "at or below −100%"),
      (outside, "outside the data"),
      (corr, "outside [−1, 1]"), (regime, "unknown regime 'panic'"),
    ]
  }()

  @Test("bad scenarios are clear errors", arguments: bad)
  func badScenario(s: Scenario, message: String) throws {
    do {
      _ = try run(s, Self.account([Self.stock("AAPL", 100)], cash: 10_000))
      Issue.record("accepted a bad scenario")
    } catch {
      #expect("\(error)".contains(message), "\(error)")
    }
  }

  @Test("every example scenario runs")
  func examples() throws {
    let dir = repoPath("examples/scenarios")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }
    #expect(files.count >= 4)
    let market = try #require(Examples.market)
    let loaded = try AccountFile.load(repoPath("examples/account.yaml"), catalog: market.catalog)
    let followers = try FollowersCSV.load(repoPath("examples/followers.csv"))
    for f in files {
      let s = try ScenarioFile.load((dir as NSString).appendingPathComponent(f))
      let r = try WhatIfEngine.run(
        s.scenario, account: loaded.account, market: market, regimes: try #require(Examples.regimes),
        baseRegime: s.baseRegime ?? "normal", followers: followers)
      #expect(r.afterReductions.breaches.isEmpty, "\(f): \(r.afterReductions.breaches)")
    }
  }
}
