import RiskCore
import RiskIO
import Testing

func account(_ positions: [Position], cash: [String: Double] = ["USD": 10_000], fx: [String: Double] = [:], base: String = "USD")
  -> Account
{
  Account(
    name: "t", baseCurrency: base, asOf: day("2024-08-21"), fx: FXRates(base: base, basePerUnit: fx), cash: cash,
    positions: positions, source: "t.yaml")
}

func pos(
  _ symbol: String, _ c: AssetClass, _ q: Double, price: Double?, ccy: String = "USD", mult: Double = 1, face: Double? = nil,
  delta: Double? = nil, underlying: String? = nil, underlyingPrice: Double? = nil, cost: Double? = nil
) -> Position {
  Position(
    symbol: symbol, assetClass: c, quantity: q, currency: ccy, multiplier: mult, faceValue: face, price: price,
    underlying: underlying, delta: delta, underlyingPrice: underlyingPrice, averageCost: cost, source: "t.yaml", line: 7)
}

@Suite("AUM, equity and exposure: hand-checked cases")
struct ValuationTests {
  /// (position, AUM, exposure, equity contribution) in USD, computed by hand.
  static let cases: [(Position, Double, Double, Double)] = [
    (pos("S", .stock, 100, price: 50), 5_000, 5_000, 5_000),
    (pos("SHORT", .stock, -100, price: 50), 5_000, -5_000, -5_000),
    (pos("E", .etf, 10, price: 400), 4_000, 4_000, 4_000),
    (pos("F", .fund, 1_000, price: 1.5), 1_500, 1_500, 1_500),
    (pos("M", .moneyMarketFund, 50, price: 92.3856), 4_619.28, 4_619.28, 4_619.28),
    // Bond: 20 bonds of 1,000 par at 98.5% = 19,700.
    (pos("B", .bond, 20, price: 98.5, face: 1_000), 19_700, 19_700, 19_700),
    // Option premium 3.21 × 50 × 100 = 16,050; delta-adjusted 0.4 × 50 × 100 × 250 = 500,000.
    (pos("P", .option, 50, price: 3.21, mult: 100), 16_050, 16_050, 16_050),
    (pos("C", .option, 10, price: 7.85, mult: 100, delta: 0.52, underlyingPrice: 128.5), 7_850, 66_820, 7_850),
    (pos("SC", .option, -10, price: 7.85, mult: 100, delta: 0.52, underlyingPrice: 128.5), 7_850, -66_820, -7_850),
    // Future: notional 2 × 100 × 2,500 = 500,000; equity = P&L (2,500 − 2,400) × 200 = 20,000.
    (pos("GC", .future, 2, price: 2_500, mult: 100, cost: 2_400), 500_000, 500_000, 20_000),
    // Short future: AUM in absolute terms.
    (pos("SGC", .future, -2, price: 2_500, mult: 100, cost: 2_400), 500_000, -500_000, -20_000),
    // Negative futures price: AUM deemed 0; exposure and P&L use the real price.
    (pos("CL", .future, 1, price: -37.63, mult: 1_000, cost: 18.27), 0, -37_630, -55_900),
    (pos("BTC", .crypto, 0.5, price: 60_000), 30_000, 30_000, 30_000),
    // FX: long 100,000 EUR quoted in USD at 1.10, bought at 1.08: P&L 2,000.
    (pos("EURUSD", .fx, 100_000, price: 1.10, cost: 1.08), 110_000, 110_000, 2_000),
    (pos("CFD", .cfd, 10, price: 100, cost: 90), 1_000, 1_000, 100),
  ]

  @Test("each asset class", arguments: cases)
  func assetClass(p: Position, aum: Double, exposure: Double, equity: Double) throws {
    let v = try AccountValuer.value(account([p], cash: [:]), market: nil)
    let line = try #require(v.positions.first)
    #expect(abs(line.aum - aum) < 1e-6, "AUM \(line.aum)")
    #expect(abs(line.exposure - exposure) < 1e-6, "exposure \(line.exposure)")
    #expect(abs(line.equityContribution - equity) < 1e-6, "equity \(line.equityContribution)")
    #expect((line.bucket == .futures) == (p.assetClass == .future))
  }

  @Test("multi-currency cash and a JPY stock in a USD account")
  func multiCurrency() throws {
    let a = account(
      [pos("7203", .stock, 1_000, price: 3_000, ccy: "JPY")], cash: ["USD": 1_000, "EUR": 2_000, "JPY": -100_000],
      fx: ["EUR": 1.10, "JPY": 0.0068])
    let v = try AccountValuer.value(a, market: nil)
    // 1,000 × 3,000 JPY = 3,000,000 JPY × 0.0068 = 20,400 USD.
    #expect(abs(v.positions[0].aum - 20_400) < 1e-9)
    #expect(v.cash.map(\.currency) == ["EUR", "JPY", "USD"])
    // Cash: 1,000 + 2,200 − 680 = 2,520.
    #expect(abs(v.cashTotal - 2_520) < 1e-9)
    #expect(abs(v.totalAUM - 22_920) < 1e-9)
    #expect(abs(v.equity - 22_920) < 1e-9)
    #expect(abs(try #require(v.leverage) - 20_400 / 22_920) < 1e-12)
    #expect(v.byCurrency.map(\.key) == ["EUR", "JPY", "USD"])
  }

  @Test("totals are the sums of the lines; leverage is gross / equity")
  func totals() throws {
    let ps = Self.cases.map(\.0).enumerated().map { i, p in
      var q = p
      q.symbol = "\(p.symbol)\(i)"
      return q
    }
    let v = try AccountValuer.value(account(ps, cash: ["USD": 1_000_000]), market: nil)
    let lines = v.positions.reduce(0) { $0 + $1.aum } + v.cash.reduce(0) { $0 + $1.value }
    #expect(abs(v.totalAUM - lines) <= 1e-9 * v.totalAUM)
    #expect(abs(v.securitiesAUM + v.futuresAUM + v.cashTotal - v.totalAUM) <= 1e-9 * v.totalAUM)
    #expect(abs(try #require(v.leverage) - v.grossExposure / v.equity) < 1e-12)
  }

  @Test("all valuation problems are reported together")
  func problems() {
    let a = account(
      [pos("X", .stock, 1, price: nil), pos("Y", .stock, 1, price: 10, ccy: "CHF")], cash: ["GBP": 5])
    do {
      _ = try AccountValuer.value(a, market: nil)
      Issue.record("valued an account with no price, no CHF and no GBP rate")
    } catch let e as InputErrors {
      #expect(e.errors.count == 3)
      #expect(e.errors.map(\.field) == ["X.price", "Y.currency", "cash.GBP"])
    } catch {
      Issue.record("wrong error \(error)")
    }
  }

  @Test("a price from the market data is used and sourced; a stale one is flagged")
  func marketPrice() throws {
    let h = series("AAPL", closes: [100, 101, 102], start: "2024-08-12")
    let m = MarketData(histories: [h])
    let v = try AccountValuer.value(account([pos("AAPL", .stock, 10, price: nil)]), market: m, maxPriceAgeDays: 4)
    #expect(v.positions[0].price == 102)
    #expect(v.positions[0].priceAgeDays == 7)
    #expect(v.warnings.contains { $0.contains("AAPL: the last close is 7 days old") })
    guard case .marketData(_, let d, _) = v.positions[0].priceSource else {
      Issue.record("price not sourced from market data")
      return
    }
    #expect(d == day("2024-08-14"))
  }

  @Test("a margined position without average cost is flagged and counts 0 in equity")
  func unknownCost() throws {
    let v = try AccountValuer.value(account([pos("GC", .future, 1, price: 2_500, mult: 100)], cash: ["USD": 1_000]), market: nil)
    #expect(v.equity == 1_000)
    #expect(v.warnings.contains { $0.contains("without average_cost") })
  }

  @Test("copy-trading AUM with and without the lead's capital")
  func copyTrading() throws {
    let followers = [
      Follower(id: "lead", allocation: 100_000, currency: "USD", isLead: true),
      Follower(id: "a", allocation: 50_000, currency: "USD"),
      Follower(id: "b", allocation: 20_000, currency: "EUR"),
    ]
    let fx = FXRates(base: "USD", basePerUnit: ["EUR": 1.25])
    let without = try CopyTradingAUM.compute(followers, fx: fx, includeLead: false, source: "f.csv")
    #expect(without.total == 75_000)
    #expect(without.lines.map(\.share) == [0, 50_000.0 / 75_000, 25_000.0 / 75_000])
    let with = try CopyTradingAUM.compute(followers, fx: fx, includeLead: true, source: "f.csv")
    #expect(with.total == 175_000)
    #expect(abs(with.lines.map(\.share).reduce(0, +) - 1) < 1e-15)
    #expect(throws: InputError.self) {
      try CopyTradingAUM.compute(
        [Follower(id: "x", allocation: -5, currency: "USD")], fx: fx, includeLead: false, source: "f.csv")
    }
  }
}

@Suite("The broker's worked tables (examples/broker)")
struct BrokerTableTests {
  /// (symbol, the document's AUM, half a display unit of price × quantity × multiplier).
  static let securities: [(String, Double, Double)] = [
    ("NVDA", 28_158.80, 50 * 0.005), ("TSLA230616P250000", 16_071.12, 50 * 100 * 0.005), ("700", 2_918.90, 50 * 0.005),
    ("BQP", 19.25, 50 * 0.005), ("SG999905961", 4_619.28, 0.01), ("SG9999012504", 61.37, 50 * 0.005),
  ]

  func valued(_ file: String) throws -> AccountValuation {
    let loaded = try AccountFile.load(repoPath(file), catalog: InstrumentCatalog())
    return try AccountValuer.value(loaded.account, market: nil)
  }

  @Test("securities account: every line within display rounding; bond by the market convention")
  func securities() throws {
    let v = try valued("examples/broker/securities.yaml")
    for (symbol, doc, tolerance) in Self.securities {
      let line = try #require(v.positions.first { $0.position.symbol == symbol })
      #expect(abs(line.aum - doc) <= tolerance + 1e-9, "\(symbol): \(line.aum) vs \(doc)")
    }
    // Bond: 50 units × 100 par × 99.30% = 4,965.00 (the document's example line, 496,510.00,
    // multiplies by the nominal value instead; its formula divides by it: 49.65).
    let bond = try #require(v.positions.first { $0.position.assetClass == .bond })
    #expect(abs(bond.aum - 4_965) < 1e-9)
    #expect(v.cashTotal == 1_000)
    // The document's total with its bond line restated under the market convention.
    let documentTotal = 549_358.72 - 496_510.00 + 4_965.00
    #expect(abs(v.totalAUM - documentTotal) / documentTotal < 0.002, "\(v.totalAUM) vs \(documentTotal)")
  }

  @Test("futures account: lines within display rounding, total within 0.2%")
  func futures() throws {
    let v = try valued("examples/broker/futures.yaml")
    let sil = try #require(v.positions.first { $0.position.symbol == "SILmain" })
    let iu = try #require(v.positions.first { $0.position.symbol == "IUmain" })
    #expect(abs(sil.aum - 1_647_633.2) <= 50 * 1_000 * 0.005)
    #expect(abs(iu.aum - 1_222_418.15) <= 50 * 200 * 0.005)
    #expect(v.futuresAUM == sil.aum + iu.aum && v.securitiesAUM == 0)
    #expect(abs(v.totalAUM - 2_871_051.35) / 2_871_051.35 < 0.002)
  }
}
