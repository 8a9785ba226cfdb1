import Foundation
import RiskCore
import RiskIO
import Testing

/// Issue 14, the renderer rule: no report, in any format, shows `inf`, `nan` or `n/a` where a
/// number belongs. Random accounts (examples' instruments), random scenarios within the
/// documented ranges, every command's renderer in every format; a render either succeeds
/// without such a token or refuses (NonFiniteOutputError / JSON's NonFiniteNumber).
@Suite("Renderer rule: no inf, nan or n/a in any report (issue 14)")
struct RendererPropertyTests {
  static func token(_ text: String) -> String? {
    let pattern = #"(?i)(?<![A-Za-z0-9_])(-?inf(inity)?|nan|n/a)(?![A-Za-z0-9_])"#
    return text.range(of: pattern, options: .regularExpression).map { String(text[$0]) }
  }

  /// Renders, and records an issue when the text shows a non-finite token.
  static func check(_ what: String, _ render: () throws -> String) {
    do {
      let text = try render()
      if let t = token(text) { Issue.record("\(what) shows '\(t)'") }
    } catch is NonFiniteOutputError {
    } catch is JSONValue.NonFiniteNumber {
    } catch {
      Issue.record("\(what): unexpected \(error)")
    }
  }

  @Test("every renderer, every format, 24 random accounts and scenarios")
  func everyRenderer() throws {
    let market = try #require(Examples.market)
    let regimes = try #require(Examples.regimes)
    var g = SeededGenerator(state: 1414)
    for round in 0..<24 {
      let account = Examples.randomAccount(&g, market: market)
      guard let v = try? AccountValuer.value(account, market: market) else { continue }
      for f in ReportFormat.allCases { Self.check("aum \(f) #\(round)") { try AUMRenderer.render(v, copy: nil, as: f) } }
      let regime = regimes.names.randomElement(using: &g) ?? "normal"
      let symbol = Examples.symbols.randomElement(using: &g) ?? "BTC"
      if let r = try? SizingService.run(
        SizingRequest(symbol: symbol, side: Bool.random(using: &g) ? .long : .short), valuation: v, market: market,
        regimes: regimes, regime: regime)
      {
        for f in ReportFormat.allCases { Self.check("size \(symbol) \(f) #\(round)") { try SizeRenderer.render(r, as: f) } }
      }
      if let r = try? BudgetService.run(valuation: v, market: market, regimes: regimes, request: BudgetRequest(regime: regime)) {
        for f in BudgetFormat.allCases { Self.check("budget \(f) #\(round)") { try BudgetRenderer.render(r, as: f) } }
      }
      var s = Scenario(name: "random")
      for p in account.positions.prefix(3) {
        s.shocks.append(Shock(.instrument(p.symbol), Double.random(in: -0.99...3, using: &g)))
      }
      s.volatilityMultiplier = Double.random(in: 0.5...4, using: &g)
      s.flows = [.fractionOfEquity(-Double.random(in: 0...1, using: &g))]
      if let r = try? WhatIfEngine.run(s, account: account, market: market, regimes: regimes, baseRegime: regime) {
        for f in WhatIfFormat.allCases { Self.check("whatif \(f) #\(round)") { try WhatIfRenderer.render(r, as: f) } }
      }
      let risk = try RiskAnalysis.run(
        market, RiskRequest(instruments: Array(Examples.symbols.shuffled(using: &g).prefix(3)), asOf: Examples.asOf))
      for f in RiskFormat.allCases { Self.check("risk \(f) #\(round)") { try RiskRenderer.render(risk, as: f) } }
      if let profile = regimes.profile(regime) {
        var checker = PreTradeChecker(model: RiskModel(valuation: v, market: market), profile: profile)
        let q = Double.random(in: 0.001...1_000, using: &g)
        let r = checker.check(.order(Order(symbol: symbol, side: .long, quantity: q, price: nil, stop: nil)))
        Self.check("check text #\(round)") {
          try NonFinite.guarding("check") { CheckRenderer.text(r, index: 1, strict: false) }
        }
        Self.check("check jsonl #\(round)") {
          try NonFinite.guarding("check") {
            CheckRenderer.jsonLine(r, strict: false, regime: profile.name, asOf: Examples.asOf, index: 1)
          }
        }
      }
    }
  }

  @Test("a non-finite number never reaches a format: the guard refuses it", arguments: [Double.infinity, -.infinity, .nan])
  func guardRefuses(_ x: Double) throws {
    let v = try AccountValuer.value(
      Account(
        name: "t", baseCurrency: "USD", asOf: Examples.asOf, fx: FXRates(base: "USD"), cash: ["USD": x], positions: [],
        source: "t"), market: nil)
    for f in ReportFormat.allCases {
      #expect(throws: (any Error).self, "\(f)") { try AUMRenderer.render(v, copy: nil, as: f) }
    }
  }
}
