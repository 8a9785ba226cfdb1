import LinearAlgebra
import RiskIO
import Testing

@testable import RiskCore

/// The group and margin limits of issue 17, each on a case small enough to compute by hand.
@Suite("Group exposure, group risk share and margin utilisation: hand-computed")
struct GroupMarginLimitTests {
  /// σ = 0.2 each, ρ_AB = 0.5, C uncorrelated.
  static let sigma: [[Double]] = [[0.04, 0.02, 0], [0.02, 0.04, 0], [0, 0, 0.04]]

  static func risk(_ book: Book, _ rows: [[Double]] = sigma, symbols: [String] = ["A", "B", "C"]) throws -> PortfolioRiskModel {
    try PortfolioRiskModel(
      symbols: symbols, covariance: SymmetricMatrix(rowArrays: rows), exposures: symbols.map { book.exposure(of: $0) },
      observations: 252, periodsPerYear: 252, method: .sample, repair: nil)
  }

  static func trade(
    _ symbol: String, _ side: TradeSide, entry: Double = 1, lot: Double = 1e-9, margin: Double? = nil, group: String? = nil,
    assetClass: AssetClass = .stock
  ) -> CandidateTrade {
    CandidateTrade(
      symbol: symbol, assetClass: assetClass, side: side, entry: entry, stop: side == .long ? entry * 0.5 : entry * 1.5,
      unitExposure: entry, riskPerUnit: entry * 0.5, lotSize: lot, unitMargin: margin, group: group)
  }

  static func line(_ s: String, _ q: Double, unit: Double = 1, margin: Double = 0, group: String? = nil, _ c: AssetClass = .stock)
    -> BookLine
  {
    BookLine(symbol: s, assetClass: c, quantity: q, unitExposure: unit, unitMargin: margin, group: group)
  }

  func limit(_ e: TradeEvaluation, _ id: LimitID) throws -> LimitEvaluation { try #require(e.limits.first { $0.id == id }) }

  @Test("group exposure: the cap less the other members' gross, over the unit; a reduction and flip use the whole room")
  func groupExposure() throws {
    // Equity 100,000, cap 0.5 × equity = 50,000; A 20,000 and B 15,000 in group g (hand-given).
    var p = looseProfile(risk: 1)
    p.maxGroupExposure = 0.5
    let book = flat(100_000, lines: [Self.line("A", 20_000, group: "g"), Self.line("B", 15_000, group: "g")])
    let model = LimitModel(p)
    let risk = try Self.risk(book)
    // C joins g at 10 a unit: room 50,000 − 35,000 = 15,000 → 1,500 units, either side.
    for side in [TradeSide.long, .short] {
      let e = model.evaluate(Self.trade("C", side, entry: 10, group: "g"), book: book, risk: risk)
      let g = try limit(e, .groupExposure)
      #expect(abs((g.maxQuantity ?? 0) - 1_500) < 1e-9, "\(side) \(g.maxQuantity ?? -1)")
      #expect(e.binding == .groupExposure)
      #expect(g.note?.contains("group g (instruments.yaml group: A, B, C)") == true, "\(g.note ?? "")")
    }
    // Selling A: the 20,000 held close first, then a short of up to 50,000 − 15,000 = 35,000: 55,000 units.
    let sell = model.evaluate(Self.trade("A", .short), book: book, risk: risk)
    #expect(abs((try limit(sell, .groupExposure).maxQuantity ?? 0) - 55_000) < 1e-9)
    // The reading after a trade is the group's gross / equity, naming the group.
    let r = GroupExposureLimit().reading(
      Self.trade("C", .long, entry: 10, group: "g"), quantity: 1_000,
      in: LimitContext(book: book, risk: risk, profile: p, candidate: Self.trade("C", .long, entry: 10, group: "g")))
    #expect(abs(r.value - 0.45) < 1e-15 && r.subject == "g" && r.members == ["A", "B", "C"])
    // An instrument in no group: the limit does not apply.
    let alone = model.evaluate(Self.trade("C", .long), book: book, risk: risk)
    #expect(try limit(alone, .groupExposure).applies == false)
    // The book over the cap (A 40,000): a breach naming the group; the reducer cuts A, the largest, by the excess.
    let over = flat(100_000, lines: [Self.line("A", 40_000, group: "g"), Self.line("B", 15_000, group: "g")])
    let b = model.breaches(book: over, risk: try Self.risk(over))
    #expect(b.map(\.key) == ["group-exposure|g"])
    let cut = Reducer.reduce(over, risk: try Self.risk(over), model: model, lots: ["A": 1, "B": 1])
    #expect(cut.reductions.map(\.symbol) == ["A"] && cut.reductions.first?.to == 35_000)
    #expect(cut.reductions.first?.reasons == [.groupExposure] && cut.remaining.isEmpty)
  }

  @Test("group risk share: the roots of (1−ρ)Σₖₖd² + ((Σe_G)ₖ + (1−2ρ)(Σe)ₖ)d + n₀ − ρv₀")
  func groupRiskShare() throws {
    // e = (100, 0, 100): Σe = (4, 2, 4), v₀ = 800; G = {A, B}: n₀ = 400 (share 0.5).
    // Buying B (k): (Σe_G)ₖ = 2, (Σe)ₖ = 2, Σₖₖ = 0.04, ρ = 0.6:
    // 0.016 d² + 1.6 d − 80 ≤ 0  →  d ∈ [(−1.6 − √7.68)/0.032, (−1.6 + √7.68)/0.032] = [−136.60, 36.60].
    var p = looseProfile(risk: 1)
    p.maxGroupRiskShare = 0.6
    let book = flat(1_000, lines: [Self.line("A", 100, group: "g"), Self.line("C", 100)])
    let risk = try Self.risk(book)
    let model = LimitModel(p)
    let buy = model.evaluate(Self.trade("B", .long, group: "g"), book: book, risk: risk)
    let up = (-1.6 + 7.68.squareRoot()) / 0.032
    #expect(abs((try limit(buy, .groupRiskShare).maxQuantity ?? 0) - up) <= 1e-9 * up)
    #expect(buy.binding == .groupRiskShare)
    let sell = model.evaluate(Self.trade("B", .short, group: "g"), book: book, risk: risk)
    let down = (1.6 + 7.68.squareRoot()) / 0.032
    #expect(abs((try limit(sell, .groupRiskShare).maxQuantity ?? 0) - down) <= 1e-9 * down)
    // At the root the group's share is exactly 0.6 (y = (100, 36.60, 100): 600 / 1,000).
    let t = Self.trade("B", .long, group: "g")
    let r = GroupRiskShareLimit().reading(t, quantity: up, in: LimitContext(book: book, risk: risk, profile: p, candidate: t))
    #expect(abs(r.value - 0.6) < 1e-12 && r.subject == "g")
    // A group that is the whole modelled book carries 100% by definition: not applicable.
    let whole = flat(1_000, lines: [Self.line("A", 100, group: "g"), Self.line("C", 100, group: "g")])
    let e = model.evaluate(Self.trade("B", .long, group: "g"), book: whole, risk: try Self.risk(whole))
    #expect(try limit(e, .groupRiskShare).applies == false)
    // Over the cap (ρ = 0.45 < 0.5): buying more of the group is refused; the reducer cuts the
    // largest contributor to where the share meets the cap, and no further.
    p.maxGroupRiskShare = 0.45
    let tight = LimitModel(p)
    #expect(tight.evaluate(Self.trade("A", .long, group: "g"), book: book, risk: risk).maxQuantity == 0)
    #expect(tight.breaches(book: book, risk: risk).map(\.key) == ["group-risk-share|g"])
    let cut = Reducer.reduce(book, risk: risk, model: tight, lots: ["A": 1, "C": 1])
    // Share of A alone (B not held): 0.04y² / (0.04y² + 400) = 0.45 → y = √(0.45·400/(0.55·0.04)) = 90.45: 90 units.
    #expect(cut.reductions.map(\.symbol) == ["A"] && cut.reductions.first?.to == 90, "\(cut.reductions)")
    #expect(cut.remaining.isEmpty)
  }

  @Test("correlation clusters as groups: A and B at ρ 0.9 form A+B; a candidate outside the covariance fails closed")
  func clusterGroups() throws {
    var p = looseProfile(risk: 1)
    p.maxGroupExposure = 0.3
    p.correlatedGroups = CorrelatedGroupSettings(minCorrelation: 0.7, linkage: .average, source: .clusters)
    let rows: [[Double]] = [[0.04, 0.036, 0], [0.036, 0.04, 0], [0, 0, 0.04]]
    let book = flat(100_000, lines: [Self.line("A", 20_000), Self.line("C", 20_000)])
    let risk = try Self.risk(book, rows)
    let model = LimitModel(p)
    // B clusters with A (ρ 0.9 ≥ 0.7): room 30,000 − 20,000 = 10,000.
    let e = model.evaluate(Self.trade("B", .long), book: book, risk: risk)
    let g = try limit(e, .groupExposure)
    #expect(abs((g.maxQuantity ?? 0) - 10_000) < 1e-9)
    #expect(g.note?.hasPrefix("group A+B (correlation cluster: A, B)") == true, "\(g.note ?? "")")
    #expect(g.inputs.contains { $0.name == "ρ(B, A)" && abs($0.value - 0.9) < 1e-12 })
    // C is in no cluster: does not apply.
    #expect(try limit(model.evaluate(Self.trade("C", .long), book: book, risk: risk), .groupExposure).applies == false)
    // D has no covariance: the clusters cannot be formed, so the limit fails closed.
    let d = model.evaluate(Self.trade("D", .long), book: book, risk: risk)
    #expect(try limit(d, .groupExposure).evaluated == false && d.maxQuantity == 0)
    // Source `instruments` ignores the clusters.
    p.correlatedGroups?.source = .instruments
    #expect(try limit(LimitModel(p).evaluate(Self.trade("B", .long), book: book, risk: risk), .groupExposure).applies == false)
  }

  @Test(
    "margin utilisation: linear in the position, a reduction always allowed, the broker's stated figure moved by the model's change"
  )
  func margin() throws {
    // Equity 100,000, cap 0.25 → 25,000; F1 2 contracts at 5,000, F2 −1 at 3,000: 13,000 in use.
    var p = looseProfile(risk: 1)
    p.maxMarginUtilisation = 0.25
    let lines = [
      Self.line("F1", 2, unit: 50_000, margin: 5_000, .future), Self.line("F2", -1, unit: 40_000, margin: 3_000, .future),
    ]
    let book = flat(100_000, lines: lines)
    #expect(book.marginInUse == 13_000)
    let risk = try Self.risk(book, [[0.04, 0], [0, 0.04]], symbols: ["F1", "F2"])
    let model = LimitModel(p)
    func maxQ(_ t: CandidateTrade, _ b: Book) throws -> Double? {
      try limit(
        model.evaluate(t, book: b, risk: try Self.risk(b, [[0.04, 0], [0, 0.04]], symbols: ["F1", "F2"])), .marginUtilisation
      )
      .maxQuantity
    }
    // Buy F1: room 25,000 − 3,000 = 22,000, 10,000 used: (22,000 − 10,000) / 5,000 = 2.4.
    #expect(abs((try maxQ(Self.trade("F1", .long, entry: 50_000, lot: 1, margin: 5_000), book) ?? 0) - 2.4) < 1e-12)
    // Sell F1: the 2 held close first (10,000 freed), then 22,000 / 5,000 = 4.4 short: 6.4.
    #expect(abs((try maxQ(Self.trade("F1", .short, entry: 50_000, lot: 1, margin: 5_000), book) ?? 0) - 6.4) < 1e-12)
    let e = model.evaluate(Self.trade("F1", .long, entry: 50_000, lot: 1, margin: 5_000), book: book, risk: risk)
    #expect(e.maxQuantity == 2 && e.binding == .marginUtilisation)
    // The broker states 20,000 in use: buying F1 has (25,000 − 10,000 − 10,000) / 5,000 = 1.
    let stated = Book(
      baseCurrency: "USD", asOf: book.asOf, equity: 100_000, fx: book.fx, lines: lines, statedMargin: 20_000)
    #expect(abs((try maxQ(Self.trade("F1", .long, entry: 50_000, lot: 1, margin: 5_000), stated) ?? 0) - 1) < 1e-12)
    // An instrument without margin terms does not apply.
    #expect(
      try limit(model.evaluate(Self.trade("F2", .short, entry: 40_000), book: book, risk: risk), .marginUtilisation).applies
        == false)
    // Over the cap (stated 30,000): buying F2 back (closing the short) is always allowed; selling more F2 is not.
    let over = Book(baseCurrency: "USD", asOf: book.asOf, equity: 100_000, fx: book.fx, lines: lines, statedMargin: 30_000)
    let overRisk = try Self.risk(over, [[0.04, 0], [0, 0.04]], symbols: ["F1", "F2"])
    let close = model.evaluate(Self.trade("F2", .long, entry: 40_000, lot: 1, margin: 3_000), book: over, risk: overRisk)
    #expect(close.allows(1) && !close.allows(2))
    #expect(
      model.evaluate(Self.trade("F2", .short, entry: 40_000, lot: 1, margin: 3_000), book: over, risk: overRisk).maxQuantity == 0)
    // The breach, and the cut: F1 (the largest margin) by the 5,000 excess, to 1 contract.
    #expect(model.breaches(book: over, risk: overRisk).map(\.key) == ["margin-utilisation|"])
    let cut = Reducer.reduce(over, risk: overRisk, model: model, lots: ["F1": 1, "F2": 1])
    #expect(cut.reductions.map(\.symbol) == ["F1"] && cut.reductions.first?.to == 1 && cut.remaining.isEmpty)
    #expect(cut.book.marginInUse == 25_000)
  }
}

@Suite("Group budgets and risk by group in advisor budget")
struct GroupBudgetTests {
  static let groups = [
    InstrumentGroup(id: "tech", origin: .instruments, members: ["AAPL", "MSFT", "NVDA"]),
    InstrumentGroup(id: "BTC+ETH", origin: .cluster, members: ["BTC", "ETH"]),
  ]
  static let symbols = ["AAPL", "MSFT", "NVDA", "BTC", "ETH", "GC"]
  static let classes: [AssetClass] = [.stock, .stock, .stock, .crypto, .crypto, .future]

  func entry(_ key: String, _ v: Double) throws -> BudgetEntry {
    BudgetEntry(key: try #require(InstrumentSelector(parsing: key)), value: v, source: "--budget")
  }

  @Test("group:NAME splits among members without their own, before class budgets; the rest share what is left")
  func resolve() throws {
    let r = try BudgetResolver.resolve(
      [try entry("group:tech", 0.3), try entry("NVDA", 0.2), try entry("class:crypto", 0.2)], symbols: Self.symbols,
      classes: Self.classes, groups: Self.groups)
    // NVDA 0.2 own; AAPL, MSFT 0.15 each (tech ÷ 2); BTC, ETH 0.1 (class ÷ 2); GC the remaining 0.3.
    let want = [0.15, 0.15, 0.2, 0.1, 0.1, 0.3]
    for (x, y) in zip(r.values, want) { #expect(abs(x - y) < 1e-15) }
    #expect(r.origins[0].hasPrefix("group:tech budget ÷ 2"))
    // A cluster by its id, before the class.
    let c = try BudgetResolver.resolve(
      [try entry("group:BTC+ETH", 0.4), try entry("class:crypto", 0.1)], symbols: Self.symbols, classes: Self.classes,
      groups: Self.groups)
    #expect(abs(c.values[3] - 0.2) < 1e-15 && abs(c.values[4] - 0.2) < 1e-15)
    #expect(c.diagnostics.contains { $0.code == .classBudgetUnused })
  }

  @Test("an unknown group, or an instrument in two budgeted groups, is an error naming the key")
  func errors() throws {
    #expect(throws: InputError.self) {
      try BudgetResolver.resolve(
        [try entry("group:energy", 0.3)], symbols: Self.symbols, classes: Self.classes, groups: Self.groups)
    }
    let twice = Self.groups + [InstrumentGroup(id: "megacap", origin: .instruments, members: ["AAPL", "GC"])]
    #expect(throws: InputError.self) {
      try BudgetResolver.resolve(
        [try entry("group:tech", 0.3), try entry("group:megacap", 0.2)], symbols: Self.symbols, classes: Self.classes,
        groups: twice)
    }
    // With AAPL's own budget, the overlap is resolved.
    let ok = try BudgetResolver.resolve(
      [try entry("group:tech", 0.3), try entry("group:megacap", 0.2), try entry("AAPL", 0.1)], symbols: Self.symbols,
      classes: Self.classes, groups: twice)
    #expect(abs(ok.values[0] - 0.1) < 1e-15 && abs(ok.values[5] - 0.2) < 1e-15)
  }

  @Test("the example book: risk by group sums its members' Euler shares, now, at the target and after")
  func exampleBook() throws {
    let (model, v) = try ExampleBook.model()
    let regimes = try #require(Examples.regimes)
    let r = try BudgetService.run(valuation: v, market: model.market, regimes: regimes, request: BudgetRequest())
    let byID = Dictionary(uniqueKeysWithValues: r.groups.map { ($0.group.id, $0) })
    let crypto = try #require(byID["BTC+ETH"])
    let lines = Dictionary(uniqueKeysWithValues: r.lines.map { ($0.symbol, $0) })
    let btc = try #require(lines["BTC"])
    let eth = try #require(lines["ETH"])
    #expect(abs(crypto.share - (btc.share + eth.share)) < 1e-12)
    #expect(abs(crypto.shareAfter - (btc.shareAfter + eth.shareAfter)) < 1e-12)
    #expect(abs(crypto.budget - (btc.budget + eth.budget)) < 1e-12)
    #expect(crypto.group.origin == .cluster && crypto.maxShare == 0.6)
    #expect(byID["GC+GLD"] != nil)
    // A group budget by the cluster's id is accepted.
    let g = try BudgetService.run(
      valuation: v, market: model.market, regimes: regimes,
      request: BudgetRequest(budgets: [BudgetEntry(key: .group("BTC+ETH"), value: 0.05, source: "--budget")]))
    let gb = try #require(g.groups.first { $0.group.id == "BTC+ETH" })
    #expect(abs(gb.budget - 0.05) < 1e-12)
  }
}
