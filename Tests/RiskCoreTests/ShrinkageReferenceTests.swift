import Foundation
import LinearAlgebra
import RiskCore
import RiskIO
import Testing

/// OAS (scikit-learn) and Ledoit–Wolf with the constant-correlation target (PyPortfolioOpt)
/// against `Tests/Fixtures/reference/shrinkage_estimators.json`, written by
/// `shrinkage_reference.py` beside it from the real files in `data/`. Tolerance: 1e-9 relative.
@Suite("Shrinkage estimators against scikit-learn and PyPortfolioOpt")
struct ShrinkageReferenceTests {
  static let fixture = "Tests/Fixtures/reference/shrinkage_estimators.json"
  static let methods: [CovarianceMethod] = [.oas, .ledoitWolfConstantCorrelation]

  static func multiAsset(_ symbols: [String]) throws -> MarketData {
    var histories: [PriceHistory] = []
    for s in symbols {
      let m = try MarketDataLoader().load(path: repoPath("data/multi_asset/\(s).csv"))
      histories.append(try #require(m[s]))
    }
    return MarketData(histories: histories)
  }

  /// The report of `advisor risk` for the block's window and estimator.
  static func report(_ market: MarketData, _ b: [String: Any], _ method: CovarianceMethod) throws -> RiskReport {
    let symbols = try #require(b["instruments"] as? [String])
    let lookback = try #require(b["observations"] as? Int)
    let r = try RiskAnalysis.run(
      market, RiskRequest(instruments: symbols, covariance: method, volatility: .closeToClose, lookback: lookback))
    #expect(r.observations == lookback)
    #expect(r.periodsPerYear == b["periodsPerYear"] as? Int)
    #expect(r.firstReturnDay.description == b["firstReturnDate"] as? String)
    #expect(r.lastDay.description == b["lastDate"] as? String)
    return r
  }

  static func checkFull(_ market: MarketData, _ b: [String: Any], label: String) throws {
    for method in methods {
      let r = try report(market, b, method)
      let want = try #require(b[method.jsonKey] as? [String: Any])
      let d = matrixClose(r.estimate.daily.rowArrays, try #require(want["daily"] as? [[Double]]), rel: 1e-9)
      let a = matrixClose(r.annualCovariance.rowArrays, try #require(want["annual"] as? [[Double]]), rel: 1e-9)
      let s = try #require(want["shrinkage"] as? Double)
      let got = try #require(r.estimate.shrinkage)
      let se = abs(got - s) / s
      print("\(label) \(method.rawValue): shrinkage \(got) vs \(s) (rel \(se)); daily worst \(d.worst), annual worst \(a.worst)")
      #expect(d.ok, "\(label) \(method) daily worst relative error \(d.worst)")
      #expect(a.ok, "\(label) \(method) annual worst relative error \(a.worst)")
      #expect(se <= 1e-9, "\(label) \(method) shrinkage \(got) vs \(s)")
      #expect(r.estimate.repair == nil)
    }
  }

  @Test("the multi-asset set, 252 and 60 returns", arguments: ["L252", "L60"])
  func multiAsset(block: String) throws {
    let json = try loadJSON(Self.fixture)
    let m = try #require(json["multiAsset"] as? [String: Any])
    let b = try #require(m[block] as? [String: Any])
    try Self.checkFull(try Self.multiAsset(try #require(b["instruments"] as? [String])), b, label: "multi-asset \(block)")
  }

  @Test("the PyPortfolioOpt 20-stock panel, 500 returns")
  func pypfoptPanel() throws {
    let json = try loadJSON(Self.fixture)
    let b = try #require(json["pypfoptPanel"] as? [String: Any])
    let market = try MarketDataLoader().load(path: repoPath("data/panels/pypfopt_stock_prices.csv"))
    try Self.checkFull(market, b, label: "pypfopt panel")
  }

  @Test("the 471-stock S&P 500 panel, 252 returns (T < N): intensity, diagonal, four rows, norms")
  func sp500() throws {
    let json = try loadJSON(Self.fixture)
    let b = try #require(json["sp500"] as? [String: Any])
    let market = try MarketDataLoader().load(path: repoPath("data/panels/sp500_471.csv"))
    for method in Self.methods {
      let r = try Self.report(market, b, method)
      let want = try #require(b[method.jsonKey] as? [String: Any])
      let daily = r.estimate.daily
      let scale = daily.elements.map(abs).max() ?? 1
      var worst = 0.0
      func compare(_ x: Double, _ y: Double) { worst = max(worst, abs(x - y) / max(abs(y), scale * 1e-6)) }
      let diagonal = try #require(want["dailyDiagonal"] as? [Double])
      for (x, y) in zip(daily.diagonal, diagonal) { compare(x, y) }
      let rows = try #require(want["dailyRows"] as? [String: [Double]])
      for (k, row) in rows {
        let i = try #require(Int(k))
        for (j, y) in row.enumerated() { compare(daily[i, j], y) }
      }
      let frobenius = daily.elements.reduce(0) { $0 + $1 * $1 }.squareRoot()
      let sum = daily.elements.reduce(0, +)
      let s = try #require(want["shrinkage"] as? Double)
      let got = try #require(r.estimate.shrinkage)
      let fe = abs(frobenius - (try #require(want["dailyFrobenius"] as? Double))) / frobenius
      let sumWant = try #require(want["dailySum"] as? Double)
      let te = abs(r.annualCovariance.trace - (try #require(want["annualTrace"] as? Double))) / r.annualCovariance.trace
      print(
        "sp500 \(method.rawValue): shrinkage \(got) vs \(s) (rel \(abs(got - s) / s)); elements worst \(worst), Frobenius \(fe), trace \(te)"
      )
      #expect(worst <= 1e-9, "\(method) worst element \(worst)")
      #expect(close(got, s, rel: 1e-9), "\(method) shrinkage \(got) vs \(s)")
      #expect(fe <= 1e-9 && te <= 1e-9)
      #expect(close(sum, sumWant, rel: 1e-9), "\(method) sum \(sum) vs \(sumWant)")
    }
  }

  @Test("hand-computed: OAS and the constant-correlation target on a 4 × 2 case")
  func handComputed() throws {
    // Returns a = (1, 2, 3, 2)%, b = (2, 0, 4, 2)%: means 2%, 2%; demeaned a = (−1, 0, 1, 0)%,
    // b = (0, −2, 2, 0)%; XᵀX = [[2, 2], [2, 8]]·1e-4.
    let m = try Matrix(rowArrays: [[0.01, 0.02], [0.02, 0.0], [0.03, 0.04], [0.02, 0.02]])
    // OAS: S = XᵀX/4 = [[0.5, 0.5], [0.5, 2]]e-4; μ = 1.25e-4; α = (0.25 + 0.25 + 0.25 + 4)/4 e-8 = 1.1875e-8;
    // num = α + μ² = 2.75e-8; den = 5 (α − μ²/2) = 5 × 0.40625e-8; shrinkage = 2.75 / 2.03125 > 1 → 1.
    let o = try OASCovariance().estimate(m)
    #expect(o.shrinkage == 1)
    #expect(abs(o.daily[0, 0] - 1.25e-4) < 1e-18 && abs(o.daily[0, 1]) < 1e-18 && abs(o.daily[1, 1] - 1.25e-4) < 1e-18)
    // Two instruments: S already has constant correlation, so the target is S (ddof 1).
    let l = try LedoitWolfConstantCorrelationCovariance().estimate(m)
    #expect(l.shrinkage == 0)
    #expect(abs(l.daily[0, 1] - 2e-4 / 3) < 1e-18 && abs(l.daily[1, 1] - 8e-4 / 3) < 1e-18)
    // One instrument: both are the plain estimate with shrinkage 0 (scikit-learn's special case).
    let one = try Matrix(rowArrays: [[0.01], [0.03], [0.02]])
    #expect(try OASCovariance().estimate(one).shrinkage == 0)
    #expect(abs(try OASCovariance().estimate(one).daily[0, 0] - 2e-4 / 3) < 1e-18)
    #expect(try LedoitWolfConstantCorrelationCovariance().estimate(one).shrinkage == 0)
    // A constant column has no correlation: an error, not NaN.
    let flat = try Matrix(rowArrays: [[0.01, 0], [0.03, 0], [0.02, 0]])
    #expect(throws: EstimationError.self) { try LedoitWolfConstantCorrelationCovariance().estimate(flat) }
  }
}
