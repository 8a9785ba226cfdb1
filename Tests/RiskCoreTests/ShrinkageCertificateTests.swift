import LinearAlgebra
import Testing

@testable import RiskCore

/// The shrinkage certificate (which skips the Cholesky check of ``PSDCheck``) may only ever
/// claim matrices whose Cholesky factorisation succeeds, and must refuse where it could fail.
@Suite("Shrinkage certificate")
struct ShrinkageCertificateTests {
  /// `T × N` returns with one common factor (correlated, as in markets), column-major.
  static func returns(_ t: Int, _ n: Int, seed: UInt64) throws -> Matrix {
    var g = SeededGenerator(state: seed)
    let common = (0..<t).map { _ in Double.random(in: -0.01...0.01, using: &g) }
    var e = [Double](repeating: 0, count: t * n)
    for j in 0..<n {
      let beta = Double.random(in: 0.2...1.5, using: &g)
      for i in 0..<t { e[i + j * t] = beta * common[i] + Double.random(in: -0.02...0.02, using: &g) }
    }
    return try Matrix(rows: t, columns: n, layout: .columnMajor, elements: e)
  }

  @Test(
    "wherever it holds, Cholesky succeeds and the estimate is the one PSDCheck passes",
    arguments: [(60, 4), (30, 10), (5, 12), (252, 50), (40, 120), (120, 60)])
  func soundOnEstimates(_ t: Int, _ n: Int) throws {
    let r = try Self.returns(t, n, seed: UInt64(t * 1000 + n))
    var certified = 0
    for e in [LedoitWolfCovariance(), OASCovariance()] as [any CovarianceEstimator] {
      let est = try e.estimate(r)
      let delta = try #require(est.shrinkage)
      // The certificate's inputs, recomputed: Ŝ = (est − δμI)/(1 − δ) has trace N μ.
      let mu = est.daily.trace / Double(n)
      let ok = ShrinkageCertificate.towardsIdentity(
        est.daily, shrinkage: delta, added: delta * mu, sampleTrace: est.daily.trace, observations: t)
      if ok {
        certified += 1
        #expect(try est.daily.cholesky().isPositiveDefinite, "\(e.method) T=\(t) N=\(n)")
      }
      #expect(try PSDCheck.repairIfNeeded(est.daily) == nil)
      #expect(est.repair == nil)
    }
    let cc = try LedoitWolfConstantCorrelationCovariance().estimate(r)
    #expect(cc.repair == nil)
    #expect(try PSDCheck.repairIfNeeded(cc.daily) == nil)
    #expect(certified > 0, "the certificate never held, so the fast path is untested at T=\(t) N=\(n)")
  }

  @Test("refuses a shrinkage too small to beat the rounding of a singular Gram matrix")
  func refusesWhenClose() throws {
    // T < N: Ŝ is singular; a shift of 1e-15 of the trace is rounding, not proof.
    let r = try Self.returns(5, 40, seed: 7)
    let s = try SampleCovariance().estimate(r).daily
    let trace = s.trace
    for c in [0, 1e-18 * trace, 1e-15 * trace] {
      var m = s.scaled(by: 1 - 1e-12)
      for i in 0..<m.dimension { m.set(i, i, to: m[i, i] + c) }
      #expect(
        !ShrinkageCertificate.towardsIdentity(m, shrinkage: 1e-12, added: c, sampleTrace: trace, observations: 5))
    }
    #expect(!ShrinkageCertificate.choleskyCannotFail(eigenvalueLowerBound: 1e-9, largestDiagonal: 1, dimension: 1000))
    #expect(ShrinkageCertificate.choleskyCannotFail(eigenvalueLowerBound: 1e-3, largestDiagonal: 1, dimension: 1000))
    #expect(
      !ShrinkageCertificate.towardsConstantCorrelation(
        s, shrinkage: 0.5, meanCorrelation: -0.1, variance: s.diagonal, observations: 5))
  }
}
