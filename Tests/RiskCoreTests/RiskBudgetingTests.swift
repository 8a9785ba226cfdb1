import Foundation
import LinearAlgebra
import RiskIO
import Testing

@testable import RiskCore

/// A covariance from volatilities and correlations.
func covariance(_ sigma: [Double], _ rho: [[Double]]) throws -> SymmetricMatrix {
  try SymmetricMatrix(rowArrays: sigma.indices.map { i in sigma.indices.map { j in sigma[i] * sigma[j] * rho[i][j] } })
}

/// Risk shares `wᵢ(Σw)ᵢ / wᵀΣw` straight from the definition (no library code).
func riskShares(_ sigma: [[Double]], _ w: [Double]) -> [Double] {
  let sw = sigma.map { row in zip(row, w).reduce(0) { $0 + $1.0 * $1.1 } }
  let v = zip(w, sw).reduce(0) { $0 + $1.0 * $1.1 }
  return zip(w, sw).map { $0 * $1 / v }
}

func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
  zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

@Suite("Budgeted risk parity: published vectors and reference weights")
struct RiskParityReferenceTests {
  static let lean = [[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]]

  // Tests/Fixtures/reference/README.md, "Published test vectors" (LEAN's
  // RiskParityPortfolioOptimizer objective). The vectors are given to 8
  // decimals, so the tolerance is 1e-8 absolute (tighter than the 1e-6 asked).
  @Test("σ = (0.10, 0.20, 0.30), ρ = (0.5, 0.2, 0.3): ERC weights and portfolio σ")
  func leanERC() throws {
    let s = try RiskParity.solve(try covariance([0.1, 0.2, 0.3], Self.lean))
    let want = [0.54453177, 0.25934425, 0.19612397]
    #expect(maxAbsDifference(s.weights, want) < 1e-8, "\(s.weights)")
    #expect(abs(s.volatility - 0.1226963911) < 1e-10)
    #expect(s.residual < 1e-12 && s.iterations <= 10)
  }

  @Test("same Σ, budgets (0.5, 0.3, 0.2)")
  func leanBudgeted() throws {
    let s = try RiskParity.solve(try covariance([0.1, 0.2, 0.3], Self.lean), budgets: [0.5, 0.3, 0.2])
    #expect(maxAbsDifference(s.weights, [0.65710708, 0.21423443, 0.12865849]) < 1e-8, "\(s.weights)")
    #expect(maxAbsDifference(s.budgets, [0.5, 0.3, 0.2]) < 1e-15)
  }

  @Test("diagonal Σ, σ = (0.01, 0.02, 0.04), budgets (0.8, 0.1, 0.1): closed form √bᵢ/σᵢ normalised")
  func diagonal() throws {
    let s = try RiskParity.solve(SymmetricMatrix(diagonal: [1e-4, 4e-4, 16e-4]), budgets: [0.8, 0.1, 0.1])
    #expect(maxAbsDifference(s.weights, [0.79041071, 0.13972619, 0.06986310]) < 1e-8, "\(s.weights)")
    // The start point is the exact solution for a diagonal Σ.
    #expect(s.iterations == 0)
  }

  /// `ercFromSampleAnnual` of covariance_pypfopt_panel.json: the 20-stock panel
  /// through the loader, aligned, L = 500, SampleCovariance (ddof 1), × 252.
  /// Tolerance 1e-9 absolute (the reference is numpy's Newton to full precision).
  @Test("PyPortfolioOpt panel: ERC of the annual sample covariance")
  func pypfoptERC() throws {
    let json = try loadJSON("Tests/Fixtures/reference/covariance_pypfopt_panel.json")
    let symbols = try #require(json["instruments"] as? [String])
    let erc = try #require(json["ercFromSampleAnnual"] as? [String: Any])
    let want = try #require(erc["weights"] as? [Double])
    let market = try MarketDataLoader().load(path: repoPath("data/panels/pypfopt_stock_prices.csv"))
    let aligned = try AlignedReturns(symbols.map { try #require(market[$0]) }, lookback: 500, kind: .simple)
    let annual = try SampleCovariance().estimate(aligned.matrix).annual(periodsPerYear: 252)
    let s = try RiskParity.solve(annual)
    #expect(maxAbsDifference(s.weights, want) < 1e-9, "max error \(maxAbsDifference(s.weights, want))")
    #expect(s.residual < 1e-12)
    let shares = riskShares(annual.rowArrays, s.weights)
    #expect(maxAbsDifference(shares, Array(repeating: 0.05, count: 20)) < 1e-12)
  }

  /// Riskfolio-Lib's recorded `MV` risk-parity weights (tests/Classic_RP.csv):
  /// the 10 assets other than SPY, alphabetical, simple returns
  /// (`pct_change().dropna()`), the last 200 rows, sample covariance (pandas
  /// `cov`, ddof 1), equal budgets. That convention is the one that matches:
  /// log returns, EWMA or a window one row longer or shorter are 1.7e-4 to
  /// 2.6e-2 away, while ddof 0 or annualising only rescale Σ and leave the
  /// weights unchanged. Riskfolio solves the problem with an interior-point
  /// conic solver (CLARABEL), so its recorded weights are exact only to the
  /// solver's tolerance: their own risk shares are up to 3.9e-6 away from
  /// 1/10 under this covariance. The exact solution is 3.3e-6 away from them
  /// at most, so the tolerance here is 5e-6 absolute, not 1e-6; ours have risk
  /// shares equal to 1e-12.
  @Test("Riskfolio-Lib Classic_RP.csv, MV column: sample covariance of the last 200 simple returns")
  func riskfolioMV() throws {
    let market = try MarketDataLoader().load(path: repoPath("data/panels/riskfolio_stock_prices.csv"))
    let assets = market.symbols.filter { $0 != "SPY" }.sorted()
    #expect(assets.count == 10)
    let aligned = try AlignedReturns(assets.map { try #require(market[$0]) }, lookback: 200, kind: .simple)
    #expect(aligned.days.first?.description == "2019-03-15" && aligned.days.last?.description == "2019-12-27")
    let daily = try SampleCovariance().estimate(aligned.matrix).daily
    let s = try RiskParity.solve(daily)
    let text = try String(contentsOfFile: repoPath("data/reference/riskfolio/Classic_RP.csv"), encoding: .utf8)
    var want: [String: Double] = [:]
    for line in text.split(separator: "\n").dropFirst() {
      let cells = line.split(separator: ",")
      want[String(cells[0])] = Double(cells[1])
    }
    let expected = try assets.map { try #require(want[$0]) }
    let error = maxAbsDifference(s.weights, expected)
    #expect(error < 5e-6, "max |w − riskfolio| = \(error)")
    #expect(s.residual < 1e-12)
    // Riskfolio's own weights, judged by the same covariance: equal risk only to ~4e-6.
    let theirs = maxAbsDifference(riskShares(daily.rowArrays, expected), Array(repeating: 0.1, count: 10))
    #expect(theirs > 1e-6 && theirs < 1e-5)
    // Scale invariance: the annual covariance, or ddof 0, gives the same weights.
    let annual = try RiskParity.solve(daily.scaled(by: 252))
    let ddof0 = try RiskParity.solve(daily.scaled(by: 199.0 / 200.0))
    #expect(maxAbsDifference(annual.weights, s.weights) < 1e-13)
    #expect(maxAbsDifference(ddof0.weights, s.weights) < 1e-13)
  }
}

@Suite("Budgeted risk parity: properties")
struct RiskParityPropertyTests {
  /// Random SPD matrices `AᵀA/m + εI` with random budgets: the solver converges
  /// and the risk shares equal the budgets.
  @Test("converges on random SPD matrices, risk contributions equal the budgets", arguments: 0..<12)
  func randomSPD(seed: Int) throws {
    var rng = SeededGenerator(state: UInt64(seed) &* 7919 &+ 17)
    let n = Int.random(in: 2...60, using: &rng)
    let m = n + Int.random(in: 1...40, using: &rng)
    var a = [[Double]](repeating: [Double](repeating: 0, count: n), count: m)
    let scales = (0..<n).map { _ in Double.random(in: 0.05...3, using: &rng) }
    for r in 0..<m {
      let common = Double.random(in: -1...1, using: &rng)
      for c in 0..<n { a[r][c] = scales[c] * (0.6 * common + Double.random(in: -1...1, using: &rng)) }
    }
    var rows = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n {
      for j in 0..<n {
        var s = 0.0
        for r in 0..<m { s += a[r][i] * a[r][j] }
        rows[i][j] = s / Double(m) + (i == j ? 1e-6 : 0)
      }
    }
    let sigma = try SymmetricMatrix(rowArrays: rows)
    let budgets = (0..<n).map { _ in Double.random(in: 0.1...5, using: &rng) }
    let s = try RiskParity.solve(sigma, budgets: budgets)
    let total = budgets.reduce(0, +)
    let shares = riskShares(rows, s.weights)
    #expect(maxAbsDifference(shares, budgets.map { $0 / total }) < 1e-10, "n = \(n), iterations \(s.iterations)")
    #expect(s.weights.allSatisfy { $0 > 0 })
    #expect(abs(s.weights.reduce(0, +) - 1) < 1e-14)
    #expect(s.iterations < 40)
  }

  /// The warm start changes the path, not the answer: Newton alone from the
  /// start point, and coordinate descent with a Newton polish, agree; strong
  /// correlation (ρ = 0.95), where coordinate descent slows, hands over to Newton.
  @Test("Newton alone and the coordinate-descent warm start agree, also under strong correlation", arguments: [0.3, 0.95])
  func warmStart(rho: Double) throws {
    var rng = SeededGenerator(state: 2024)
    let n = 40
    let vols = (0..<n).map { _ in Double.random(in: 0.05...0.9, using: &rng) }
    let corr = (0..<n).map { i in (0..<n).map { j in i == j ? 1.0 : rho } }
    let sigma = try covariance(vols, corr)
    let budgets = (0..<n).map { _ in Double.random(in: 0.5...2, using: &rng) }
    let hybrid = try RiskParity.solve(sigma, budgets: budgets)
    let newton = try RiskParity.solve(sigma, budgets: budgets, warmStartSweeps: 0)
    #expect(newton.sweeps == 0 && newton.iterations > hybrid.iterations)
    #expect(hybrid.sweeps > 0)
    #expect(maxAbsDifference(hybrid.weights, newton.weights) < 1e-12)
    #expect(hybrid.residual < 1e-12 && newton.residual < 1e-12)
  }

  @Test("equal budgets on equal variances and equal correlations give equal weights")
  func symmetric() throws {
    let rho = (0..<5).map { i in (0..<5).map { j in i == j ? 1.0 : 0.4 } }
    let s = try RiskParity.solve(try covariance(Array(repeating: 0.2, count: 5), rho))
    #expect(maxAbsDifference(s.weights, Array(repeating: 0.2, count: 5)) < 1e-14)
  }

  @Test("bad budgets and degenerate matrices are errors, never numbers")
  func errors() throws {
    let sigma = SymmetricMatrix(diagonal: [0.04, 0.09])
    #expect(throws: RiskParityError.invalidBudget(index: 1, value: 0)) { try RiskParity.solve(sigma, budgets: [1, 0]) }
    #expect(throws: RiskParityError.invalidBudget(index: 0, value: -0.5)) { try RiskParity.solve(sigma, budgets: [-0.5, 1]) }
    #expect(throws: RiskParityError.dimensionMismatch(covariance: 2, budgets: 3)) {
      try RiskParity.solve(sigma, budgets: [1, 1, 1])
    }
    #expect(throws: RiskParityError.nonPositiveVariance(index: 0, value: 0)) {
      try RiskParity.solve(SymmetricMatrix(diagonal: [0, 1]))
    }
    #expect(throws: RiskParityError.empty) { try RiskParity.solve(SymmetricMatrix(dimension: 0)) }
  }

  @Test("a singular covariance (perfect correlation) and a non-PSD one are repaired and reported, then solved")
  func singular() throws {
    // Two copies of one asset: singular, but the problem still has a solution (w = ½, ½).
    let twins = try SymmetricMatrix(rowArrays: [[0.04, 0.04], [0.04, 0.04]])
    let prepared = try SolverCovariance.prepare(twins, symbols: ["A", "A2"])
    let repair = try #require(prepared.repair)
    #expect(repair.clippedEigenvalues == 1)
    #expect(abs(try #require(prepared.floor) - 0.08e-10) < 1e-20)
    let s = try RiskParity.solve(prepared.matrix)
    #expect(maxAbsDifference(s.weights, [0.5, 0.5]) < 1e-9)
    // Not PSD (|ρ| pattern impossible): clipped, reported.
    let bad = try covariance([0.1, 0.1, 0.1], [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])
    let fixed = try SolverCovariance.prepare(bad, symbols: ["A", "B", "C"])
    #expect(try #require(fixed.repair).minimumEigenvalueBefore < 0)
    let t = try RiskParity.solve(fixed.matrix)
    #expect(t.residual < 1e-9)
    // A zero variance is named.
    #expect(throws: EstimationError.constantSeries(symbol: "B")) {
      try SolverCovariance.prepare(SymmetricMatrix(diagonal: [1, 0]), symbols: ["A", "B"])
    }
    // A positive-definite matrix is passed through untouched.
    let pd = try SolverCovariance.prepare(SymmetricMatrix(diagonal: [1, 2]), symbols: ["A", "B"])
    #expect(pd.repair == nil && pd.matrix == SymmetricMatrix(diagonal: [1, 2]))
  }
}

@Suite("Risk contributions, VaR and expected shortfall")
struct RiskDecompositionTests {
  @Test("Euler contributions sum to σ, shares to 1; hand-checked two-asset case")
  func twoAssets() throws {
    // σ = (0.2, 0.1), ρ = 0.5, w = (0.6, −0.3) (a short).
    let sigma = try covariance([0.2, 0.1], [[1, 0.5], [0.5, 1]])
    let d = try RiskDecomposition(covariance: sigma, weights: [0.6, -0.3])
    // Σw = (0.04·0.6 − 0.01·0.3, 0.01·0.6 − 0.01·0.3) = (0.021, 0.003); wᵀΣw = 0.0126 − 0.0009 = 0.0117.
    #expect(abs(d.variance - 0.0117) < 1e-15)
    #expect(abs(d.marginal[0] - 0.021 / 0.0117.squareRoot()) < 1e-15)
    #expect(abs(d.contributions[1] - (-0.3 * 0.003 / 0.0117.squareRoot())) < 1e-15)
    #expect(abs(d.shares[0] - 0.0126 / 0.0117) < 1e-14 && abs(d.shares[1] - (-0.0009 / 0.0117)) < 1e-14)
    #expect(abs(d.shares.reduce(0, +) - 1) < 1e-15)
    #expect(abs(d.contributions.reduce(0, +) - d.volatility) < 1e-15)
    let ratio = try #require(d.diversificationRatio)
    let byHand: Double = (0.6 * 0.2 + 0.3 * 0.1) / 0.0117.squareRoot()
    #expect(abs(ratio - byHand) < 1e-14)
  }

  @Test("random portfolios: shares sum to 1", arguments: 0..<5)
  func sharesSum(seed: Int) throws {
    var rng = SeededGenerator(state: UInt64(seed) &+ 99)
    let n = 8
    let vols = (0..<n).map { _ in Double.random(in: 0.05...0.8, using: &rng) }
    let rho = (0..<n).map { i in (0..<n).map { j in i == j ? 1.0 : 0.3 } }
    let w = (0..<n).map { _ in Double.random(in: -1...1, using: &rng) }
    let d = try RiskDecomposition(covariance: try covariance(vols, rho), weights: w)
    #expect(abs(d.shares.reduce(0, +) - 1) < 1e-13)
  }

  @Test("normal quantile (AS 241) and density at the levels used")
  func normal() {
    #expect(abs(NormalDistribution.quantile(0.95) - 1.6448536269514722) < 1e-15)
    #expect(abs(NormalDistribution.quantile(0.99) - 2.3263478740408408) < 1e-15)
    #expect(abs(NormalDistribution.quantile(0.025) + 1.959963984540054) < 1e-15)
    #expect(abs(NormalDistribution.quantile(1e-12) + 7.034483825301131) < 1e-13)
    #expect(NormalDistribution.quantile(0).isNaN && NormalDistribution.quantile(1).isNaN)
    #expect(abs(NormalDistribution.density(0) - 0.3989422804014327) < 1e-16)
  }

  @Test("parametric VaR/ES by hand: σ_1d = 1,000, 99% and 95%, 1 and 10 days")
  func parametric() {
    let v99 = TailRiskEstimator.normal(dailyVolatility: 1_000, level: 0.99, horizonDays: 1)
    #expect(abs(v99.valueAtRisk - 2_326.3478740408408) < 1e-9)
    // ES = σ φ(z)/(1 − α) = 1000 × 0.026652142203457… / 0.01.
    #expect(abs(v99.expectedShortfall - 2_665.214220345808) < 1e-8)
    let v95 = TailRiskEstimator.normal(dailyVolatility: 1_000, level: 0.95, horizonDays: 10)
    #expect(abs(v95.valueAtRisk - 1_644.8536269514722 * 10.0.squareRoot()) < 1e-8)
    #expect(abs(v95.expectedShortfall - 2_062.71280750743 * 10.0.squareRoot()) < 1e-8)
  }

  @Test("historical VaR/ES by hand on 21 outcomes")
  func historical() throws {
    // P&L −10, −9, …, 10 in scrambled order. 95%: h = 20 × 0.05 = 1 → q = −9,
    // VaR 9, ES = −mean(−10, −9) = 9.5. 99%: h = 0.2 → q = −10 + 0.2 = −9.8,
    // VaR 9.8, ES = 10 (only −10 is at or below q).
    let pnl = (-10...10).map(Double.init).sorted {
      ($0 * 7).truncatingRemainder(dividingBy: 5) < ($1 * 7).truncatingRemainder(dividingBy: 5)
    }
    let v95 = try #require(TailRiskEstimator.historical(pnl: pnl, level: 0.95, horizonDays: 1))
    #expect(abs(v95.valueAtRisk - 9) < 1e-12 && abs(v95.expectedShortfall - 9.5) < 1e-12)
    let v99 = try #require(TailRiskEstimator.historical(pnl: pnl, level: 0.99, horizonDays: 1))
    #expect(abs(v99.valueAtRisk - 9.8) < 1e-12 && abs(v99.expectedShortfall - 10) < 1e-12)
    let v99x10 = try #require(TailRiskEstimator.historical(pnl: pnl, level: 0.99, horizonDays: 10))
    #expect(abs(v99x10.valueAtRisk - 9.8 * 10.0.squareRoot()) < 1e-12)
    #expect(TailRiskEstimator.historical(pnl: [], level: 0.99, horizonDays: 1) == nil)
  }
}
