import Foundation
import RiskCore
import RiskIO
import Testing

/// The golden values in `Tests/Fixtures/reference/` (numpy 2.4.6, pandas 3.1.1,
/// scikit-learn 1.9.1; conventions in that folder's README), reproduced from
/// the raw CSVs through the loader and estimators the CLI uses.
/// Tolerance: 1e-9 relative.
@Suite("Reference values")
struct ReferenceTests {
  static let volatility = "Tests/Fixtures/reference/volatility_multi_asset.json"
  static let instruments = ["AAPL", "MSFT", "NVDA", "JPM", "TSLA", "BTC-USD", "ETH-USD", "GC=F", "EURUSD=X", "GLD"]

  static let cases: [(String, String)] = instruments.flatMap { s in ["L252", "L60"].map { (s, $0) } }

  @Test("per-instrument volatility, ATR and periods per year", arguments: cases)
  func volatility(symbol: String, block: String) throws {
    let json = try loadJSON(Self.volatility)
    let entry = try #require(json[symbol] as? [String: Any])
    let b = try #require(entry[block] as? [String: Any])
    let lookback = try #require(b["lookback"] as? Int)
    let lambda = try #require(b["lambda"] as? Double)
    let daily = try #require(b["daily"] as? [String: Double])
    let annual = try #require(b["annual"] as? [String: Double])
    let atr = try #require(b["atr"] as? [String: Any])

    let market = try MarketDataLoader().load(path: repoPath("data/multi_asset/\(symbol).csv"))
    let h = try #require(market[symbol])
    #expect(h.lastDay?.description == b["lastDate"] as? String)
    // pandas' default CSV float parser is not correctly rounded (a few ulps off); strtod is.
    #expect(close(try #require(h.lastClose), try #require(b["lastClose"] as? Double), rel: 1e-14))
    let p = PeriodsPerYear.infer(h.days)
    #expect(p == b["periodsPerYear"] as? Int)

    for method in VolatilityMethod.allCases {
      let est = method.estimator(lambda: lambda, returnKind: .simple)
      let d = try est.dailyVolatility(of: h, lookback: lookback)
      let want = try #require(daily[method.jsonKey])
      #expect(close(d, want, rel: 1e-9), "\(symbol) \(block) \(method) daily \(d) vs \(want)")
      let wantAnnual = try #require(annual[method.jsonKey])
      #expect(close(d * Double(p).squareRoot(), wantAnnual, rel: 1e-9), "\(symbol) \(block) \(method) annual")
    }
    let period = try #require(atr["period"] as? Int)
    let a = try WilderATR(period: period).atr(of: h)
    #expect(close(a.value, try #require(atr["value"] as? Double), rel: 1e-9), "\(symbol) \(block) ATR \(a.value)")
    #expect(close(try #require(a.fractionOfClose), try #require(atr["fractionOfClose"] as? Double), rel: 1e-9))
  }

  @Test("multi-asset covariance: sample, EWMA, Ledoit–Wolf and correlation", arguments: ["L252", "L60"])
  func multiAssetCovariance(block: String) throws {
    let json = try loadJSON("Tests/Fixtures/reference/covariance_multi_asset.json")
    let b = try #require(json[block] as? [String: Any])
    let symbols = try #require(b["instruments"] as? [String])
    var histories: [PriceHistory] = []
    for s in symbols {
      let m = try MarketDataLoader().load(path: repoPath("data/multi_asset/\(s).csv"))
      histories.append(try #require(m[s]))
    }
    let market = MarketData(histories: histories)
    try checkCovarianceBlock(market: market, block: b, symbols: symbols)
  }

  @Test("PyPortfolioOpt 20-stock panel covariance (wide panel with missing values)")
  func panelCovariance() throws {
    let json = try loadJSON("Tests/Fixtures/reference/covariance_pypfopt_panel.json")
    let symbols = try #require(json["instruments"] as? [String])
    let market = try MarketDataLoader().load(path: repoPath("data/panels/pypfopt_stock_prices.csv"))
    try checkCovarianceBlock(market: market, block: json, symbols: symbols)
  }

  func checkCovarianceBlock(market: MarketData, block b: [String: Any], symbols: [String]) throws {
    let lookback = try #require(b["observations"] as? Int)
    let lambda = try #require(b["lambda"] as? Double)
    // OAS and the constant-correlation target have their own fixture (ShrinkageReferenceTests).
    for method in [CovarianceMethod.sample, .ewma, .ledoitWolf] {
      let request = RiskRequest(
        instruments: symbols, covariance: method, volatility: .closeToClose, lookback: lookback, lambda: lambda)
      let report = try RiskAnalysis.run(market, request)
      #expect(report.observations == lookback)
      #expect(report.periodsPerYear == b["periodsPerYear"] as? Int)
      #expect(report.firstReturnDay.description == b["firstReturnDate"] as? String)
      #expect(report.lastDay.description == b["lastDate"] as? String)
      let want = try #require(b[method.jsonKey] as? [String: Any])
      let daily = try #require(want["daily"] as? [[Double]])
      let annual = try #require(want["annual"] as? [[Double]])
      let d = matrixClose(report.estimate.daily.rowArrays, daily, rel: 1e-9)
      #expect(d.ok, "\(method) daily worst relative error \(d.worst)")
      let a = matrixClose(report.annualCovariance.rowArrays, annual, rel: 1e-9)
      #expect(a.ok, "\(method) annual worst relative error \(a.worst)")
      #expect(report.estimate.repair == nil)
      if method == .ledoitWolf {
        let s = try #require(want["shrinkage"] as? Double)
        #expect(close(try #require(report.estimate.shrinkage), s, rel: 1e-9), "shrinkage")
      }
      if method == .sample {
        let corr = try #require(b["sampleCorrelation"] as? [[Double]])
        let c = matrixClose(report.correlation.rowArrays, corr, rel: 1e-9)
        #expect(c.ok, "correlation worst \(c.worst)")
      }
    }
  }
}
