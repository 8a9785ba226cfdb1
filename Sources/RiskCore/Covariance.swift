import LinearAlgebra

/// The covariance estimators, as named on the command line.
public enum CovarianceMethod: String, Sendable, Hashable, CaseIterable, Codable {
  case sample
  case ewma
  case ledoitWolf = "ledoit-wolf"
  case oas
  case ledoitWolfConstantCorrelation = "ledoit-wolf-constant-correlation"

  public var jsonKey: String {
    switch self {
    case .sample: return "sample"
    case .ewma: return "ewma"
    case .ledoitWolf: return "ledoitWolf"
    case .oas: return "oas"
    case .ledoitWolfConstantCorrelation: return "ledoitWolfConstantCorrelation"
    }
  }

  /// The estimator reports a shrinkage intensity.
  public var shrinks: Bool { self == .ledoitWolf || self == .oas || self == .ledoitWolfConstantCorrelation }

  public func estimator(lambda: Double) -> any CovarianceEstimator {
    switch self {
    case .sample: return SampleCovariance()
    case .ewma: return EWMACovariance(lambda: lambda)
    case .ledoitWolf: return LedoitWolfCovariance()
    case .oas: return OASCovariance()
    case .ledoitWolfConstantCorrelation: return LedoitWolfConstantCorrelationCovariance()
    }
  }
}

/// A daily covariance matrix with what was done to get it.
public struct CovarianceEstimate: Sendable {
  public let method: CovarianceMethod
  /// Daily covariance, symmetric and positive semidefinite (repaired if it was not).
  public let daily: SymmetricMatrix
  /// The shrinkage intensity δ ∈ [0, 1] of Ledoit–Wolf, OAS and Ledoit–Wolf with the
  /// constant-correlation target; nil for the others.
  public let shrinkage: Double?
  /// Set when the raw estimate was not PSD and eigenvalues were clipped.
  public let repair: PSDRepair?

  /// `daily × periodsPerYear`.
  public func annual(periodsPerYear: Int) -> SymmetricMatrix { daily.scaled(by: Double(periodsPerYear)) }
}

/// A covariance estimate from aligned returns.
///
/// Contract (checked for every conformer by one test): the result is
/// `N × N` in the input's column order, finite, exactly symmetric and positive
/// semidefinite; a repair is reported in ``CovarianceEstimate/repair``, never silent.
public protocol CovarianceEstimator: Sendable {
  var method: CovarianceMethod { get }
  /// - Parameter returns: `T × N`, one column per instrument, newest row last.
  func estimate(_ returns: Matrix) throws(EstimationError) -> CovarianceEstimate
}

/// Sample covariance, ddof = 1: `Σ = XᵀX / (T − 1)` with `X` the demeaned returns (BLAS `dsyrk`).
public struct SampleCovariance: CovarianceEstimator {
  public init() {}
  public var method: CovarianceMethod { .sample }

  public func estimate(_ returns: Matrix) throws(EstimationError) -> CovarianceEstimate {
    try requireObservations(returns, 2)
    let x = returns.demeanedColumns()
    return try validated(.sample, try gram(x, scale: 1 / Double(returns.rows - 1)), shrinkage: nil, gramForm: true)
  }
}

/// EWMA covariance, zero mean: `Σ = Σᵢ wᵢ rᵢ rᵢᵀ` with `wᵢ ∝ λ^(T−i)`
/// normalised to sum 1 (rows scaled by √wᵢ, then `dsyrk`).
public struct EWMACovariance: CovarianceEstimator {
  public let lambda: Double
  public init(lambda: Double = 0.94) { self.lambda = lambda }
  public var method: CovarianceMethod { .ewma }

  public func estimate(_ returns: Matrix) throws(EstimationError) -> CovarianceEstimate {
    guard lambda > 0, lambda < 1 else { throw .invalidLambda(lambda) }
    try requireObservations(returns, 2)
    let x = returns.converted(to: .columnMajor)
    let t = x.rows
    let s = ewmaWeights(count: t, lambda: lambda).map { $0.squareRoot() }
    var scaled = x
    scaled.modifyElements { e in
      e.withUnsafeMutableBufferPointer { p in
        for j in 0..<x.columns {
          for i in 0..<t { p[i + j * t] *= s[i] }
        }
      }
    }
    return try validated(.ewma, try gram(scaled, scale: 1), shrinkage: nil, gramForm: true)
  }
}

/// Ledoit–Wolf shrinkage towards `μI`, in scikit-learn's convention
/// (`sklearn.covariance.ledoit_wolf`, `assume_centered=False`).
///
/// Returns are demeaned; `S = XᵀX / T` (1/T, not 1/(T−1)); `μ = tr(S)/N`;
/// `δ = ‖S − μI‖²_F / N`; `β = (Σ_t ‖x_t x_tᵀ − S‖²_F) / (N T²)`, computed as
/// `(Σ_t ‖x_t‖⁴ / T − ‖S‖²_F) / (N T)` (scikit-learn's `‖(X∘X)ᵀ(X∘X)‖₁`, the same
/// sum, from the row norms in O(NT)); shrinkage `= min(β, δ)/δ`;
/// `Σ = (1 − shrinkage) S + shrinkage · μ I`.
public struct LedoitWolfCovariance: CovarianceEstimator {
  public init() {}
  public var method: CovarianceMethod { .ledoitWolf }

  public func estimate(_ returns: Matrix) throws(EstimationError) -> CovarianceEstimate {
    try requireObservations(returns, 2)
    let x = returns.demeanedColumns()
    let t = Double(x.rows)
    let n = x.columns
    var s = try gram(x, scale: 1 / t)
    // ‖(X∘X)ᵀ(X∘X)‖₁ = Σ_t (Σ_i x_ti²)² = Σ_t ‖x_t‖⁴: O(NT) from the row norms, no second dsyrk.
    let t0 = x.rows
    var rowNorm = [Double](repeating: 0, count: t0)
    x.elements.withUnsafeBufferPointer { p in
      for j in 0..<n {
        let base = j * t0
        for i in 0..<t0 { rowNorm[i] += p[base + i] * p[base + i] }
      }
    }
    var betaSum = 0.0
    for v in rowNorm { betaSum += v * v }
    let deltaRaw = s.elements.reduce(0) { $0 + $1 * $1 }  // ‖S‖²_F = sum((XᵀX)²)/T²
    let mu = s.trace / Double(n)
    var beta = (betaSum / t - deltaRaw) / (Double(n) * t)
    var delta = deltaRaw - 2 * mu * s.trace + Double(n) * mu * mu
    delta /= Double(n)
    beta = min(beta, delta)
    let shrinkage = beta == 0 ? 0 : beta / delta
    guard shrinkage.isFinite else { throw .nonFinite("the Ledoit–Wolf shrinkage") }
    let trace = s.trace
    let added = shrinkage * mu
    s.scale(by: 1 - shrinkage)
    for i in 0..<n { s.set(i, i, to: s[i, i] + added) }
    let certified = ShrinkageCertificate.towardsIdentity(
      s, shrinkage: shrinkage, added: added, sampleTrace: trace, observations: x.rows)
    return try validated(.ledoitWolf, s, shrinkage: shrinkage, certifiedPositiveDefinite: certified)
  }
}

/// Oracle approximating shrinkage towards `μI`, in scikit-learn's convention
/// (`sklearn.covariance.oas`, `assume_centered=False`; Chen, Wiesel, Eldar and Hero 2010).
///
/// Returns are demeaned; `S = XᵀX / T` (1/T); `μ = tr(S)/N`; `α = ‖S‖²_F / N²` (the mean of
/// the squared elements); shrinkage `= min((α + μ²) / ((T + 1)(α − μ²/N)), 1)`, 1 when the
/// denominator is 0 (S already is μI); `Σ = (1 − shrinkage) S + shrinkage · μ I`. One
/// instrument: `Σ = S`, shrinkage 0 (scikit-learn's special case).
public struct OASCovariance: CovarianceEstimator {
  public init() {}
  public var method: CovarianceMethod { .oas }

  public func estimate(_ returns: Matrix) throws(EstimationError) -> CovarianceEstimate {
    try requireObservations(returns, 2)
    let x = returns.demeanedColumns()
    let t = Double(x.rows)
    let n = Double(x.columns)
    var s = try gram(x, scale: 1 / t)
    guard x.columns > 1 else { return try validated(.oas, s, shrinkage: 0) }
    let alpha = s.elements.reduce(0) { $0 + $1 * $1 } / (n * n)
    let mu = s.trace / n
    let num = alpha + mu * mu
    let den = (t + 1) * (alpha - mu * mu / n)
    let shrinkage = den == 0 ? 1 : min(num / den, 1)
    guard shrinkage.isFinite else { throw .nonFinite("the OAS shrinkage") }
    let trace = s.trace
    let added = shrinkage * mu
    s.scale(by: 1 - shrinkage)
    for i in 0..<x.columns { s.set(i, i, to: s[i, i] + added) }
    let certified = ShrinkageCertificate.towardsIdentity(
      s, shrinkage: shrinkage, added: added, sampleTrace: trace, observations: x.rows)
    return try validated(.oas, s, shrinkage: shrinkage, certifiedPositiveDefinite: certified)
  }
}

/// Ledoit–Wolf shrinkage towards the constant-correlation matrix (Ledoit and Wolf 2004,
/// "Honey, I shrunk the sample covariance matrix"), as PyPortfolioOpt computes it
/// (`CovarianceShrinkage(returns, returns_data=True).ledoit_wolf(shrinkage_target="constant_correlation")`).
///
/// With `X` the demeaned returns (T × N), `G = XᵀX`:
/// - `S = G / (T − 1)` (PyPortfolioOpt's sample covariance: pandas, ddof 1), `sᵢ = √Sᵢᵢ`;
/// - target `F`: `Fᵢᵢ = Sᵢᵢ`, `Fᵢⱼ = r̄ sᵢ sⱼ` with `r̄` the mean of the N(N−1) off-diagonal
///   sample correlations;
/// - `π = Σᵢⱼ πᵢⱼ`, `πᵢⱼ = (1/T) Σₜ xₜᵢ² xₜⱼ² − 2 Gᵢⱼ Sᵢⱼ / T + Sᵢⱼ²`;
/// - `ρ = Σᵢ πᵢᵢ + r̄ Σᵢ≠ⱼ (sⱼ/sᵢ) θᵢⱼ`, `θᵢⱼ = (1/T) Σₜ xₜᵢ³ xₜⱼ − (Gᵢᵢ/T) Sᵢⱼ − (Gᵢⱼ/T) Sᵢᵢ + Sᵢᵢ Sᵢⱼ`;
/// - `γ = ‖S − F‖²_F`; shrinkage `δ = max(0, min(1, (π − ρ) / γ / T))`;
/// - `Σ = δ F + (1 − δ) S`.
///
/// PyPortfolioOpt forms `(X∘X)ᵀ(X∘X)` and `(X∘X∘X)ᵀX`, two more N × N products; only their
/// sums enter, and they are computed here from the rows in O(NT): `Σᵢⱼ (1/T) Σₜ xₜᵢ² xₜⱼ² =
/// (1/T) Σₜ ‖xₜ‖⁴` and `Σᵢ≠ⱼ (sⱼ/sᵢ) Σₜ xₜᵢ³ xₜⱼ = Σₜ Σᵢ (xₜᵢ³/sᵢ)(aₜ − xₜᵢ sᵢ)` with
/// `aₜ = Σⱼ xₜⱼ sⱼ`. So the estimate costs one `dsyrk`, like the sample covariance.
///
/// Conventions where PyPortfolioOpt gives no number: one instrument (no correlation to
/// average) and γ ≤ 1e-20 ‖S‖²_F (S already has constant correlations, as any two instruments have) give
/// `Σ = S` with shrinkage 0; an instrument with zero variance has no correlation: an error.
public struct LedoitWolfConstantCorrelationCovariance: CovarianceEstimator {
  public init() {}
  public var method: CovarianceMethod { .ledoitWolfConstantCorrelation }

  public func estimate(_ returns: Matrix) throws(EstimationError) -> CovarianceEstimate {
    try requireObservations(returns, 2)
    let x = returns.demeanedColumns()
    let t0 = x.rows
    let n = x.columns
    let t = Double(t0)
    var g = try gram(x, scale: 1)
    // S = G/(T − 1) element by element (`s_ij = g_ij · toS`, the values `g.scaled(by:)` would
    // hold), never stored: at N = 5,000 a second N × N matrix is 200 MB.
    let toS = 1 / (t - 1)
    guard n > 1 else {
      g.scale(by: toS)
      return try validated(.ledoitWolfConstantCorrelation, g, shrinkage: 0)
    }
    let variance = (0..<n).map { g[$0, $0] * toS }
    guard variance.allSatisfy({ $0 > 0 && $0.isFinite }) else {
      throw .nonFinite("the constant-correlation target (an instrument has zero variance in the window, so no correlation)")
    }
    let sd = variance.map { $0.squareRoot() }
    let nn = Double(n)
    // Row sums in O(NT): Σ_t ‖x_t‖⁴, Σ_t x_ti⁴ per column, and Σ_t Σ_i (x_ti³/s_i)(a_t − x_ti s_i).
    var rowNorm = [Double](repeating: 0, count: t0)
    var a = [Double](repeating: 0, count: t0)
    var fourth = [Double](repeating: 0, count: n)
    x.elements.withUnsafeBufferPointer { p in
      for j in 0..<n {
        let base = j * t0
        let sj = sd[j]
        var f = 0.0
        for r in 0..<t0 {
          let v = p[base + r]
          let v2 = v * v
          rowNorm[r] += v2
          a[r] += v * sj
          f += v2 * v2
        }
        fourth[j] = f
      }
    }
    var cubeCross = 0.0
    x.elements.withUnsafeBufferPointer { p in
      for i in 0..<n {
        let base = i * t0
        let si = sd[i]
        var c = 0.0
        for r in 0..<t0 {
          let v = p[base + r]
          c += v * v * v / si * (a[r] - v * si)
        }
        cubeCross += c
      }
    }
    var normSum = 0.0
    for v in rowNorm { normSum += v * v }
    // One pass over G, column by column (each sum in the order of the element index, as the
    // separate loops had it): Σ_ij S_ij/(s_i s_j), Σ_ij G_ij S_ij, Σ_ij S_ij², and
    // Σ_{i≠j} (s_j/s_i) θ_ij less θ's first term (from the rows above).
    let gOverT = (0..<n).map { g[$0, $0] / t }
    var correlationSum = 0.0
    var gs = 0.0
    var ss = 0.0
    var thetaRest = 0.0
    g.elements.withUnsafeBufferPointer { p in
      for j in 0..<n {
        let base = j * n
        let sdj = sd[j]
        for i in 0..<n {
          let gij = p[base + i]
          let sij = gij * toS
          correlationSum += sij / (sd[i] * sdj)
          gs += gij * sij
          ss += sij * sij
          if i != j {
            let w = sdj / sd[i]
            thetaRest += w * (-(gOverT[i]) * sij - (gij / t) * variance[i] + variance[i] * sij)
          }
        }
      }
    }
    let rBar = (correlationSum - nn) / (nn * (nn - 1))
    // π = Σ_ij [(yᵀy)_ij / T − 2 G_ij S_ij / T + S_ij²]
    let pi = normSum / t - 2 * gs / t + ss
    var piDiagonal = 0.0
    for i in 0..<n { piDiagonal += fourth[i] / t - 2 * g[i, i] * variance[i] / t + variance[i] * variance[i] }
    var gamma = 0.0
    g.elements.withUnsafeBufferPointer { p in
      for j in 0..<n {
        let base = j * n
        let sdj = sd[j]
        for i in 0..<n where i != j {
          let d = p[base + i] * toS - rBar * sd[i] * sdj
          gamma += d * d
        }
      }
    }
    let rho = piDiagonal + rBar * (cubeCross / t + thetaRest)
    var shrinkage = 0.0
    // γ at rounding level (relative 1e-10 in norm): S is its own target, nothing to shrink.
    if gamma > 1e-20 * ss {
      shrinkage = max(0, min(1, (pi - rho) / gamma / t))
    }
    guard shrinkage.isFinite, rBar.isFinite else { throw .nonFinite("the constant-correlation shrinkage") }
    // Σ = δF + (1 − δ)S in place of G, column by column; F_ij = r̄ s_i s_j with i ≤ j (the
    // product in that order on both sides of the diagonal), F_ii = S_ii.
    if shrinkage > 0 {
      g.modifySymmetricElements { p in
        for j in 0..<n {
          let base = j * n
          for i in 0..<n {
            let f = i == j ? variance[i] : (i < j ? rBar * sd[i] * sd[j] : rBar * sd[j] * sd[i])
            p[base + i] = shrinkage * f + (1 - shrinkage) * (p[base + i] * toS)
          }
        }
      }
    } else {
      g.scale(by: toS)
    }
    let certified = ShrinkageCertificate.towardsConstantCorrelation(
      g, shrinkage: shrinkage, meanCorrelation: rBar, variance: variance, observations: t0)
    return try validated(
      .ledoitWolfConstantCorrelation, g, shrinkage: shrinkage, certifiedPositiveDefinite: certified)
  }
}

// MARK: - shared

func requireObservations(_ r: Matrix, _ needed: Int) throws(EstimationError) {
  guard r.columns > 0 else { throw .noInstruments }
  guard r.rows >= needed else { throw .lookbackTooShort(r.rows) }
  guard r.isFinite else { throw .nonFinite("the returns") }
}

/// Checks an estimate is finite and PSD (``PSDCheck``); clips negative
/// eigenvalues and reports it when not.
///
/// `certifiedPositiveDefinite`: a ``ShrinkageCertificate`` has shown that the Cholesky
/// factorisation of `m` cannot fail, so ``PSDCheck`` would return nil; it is not run.
///
/// `gramForm`: `m` is `α·XᵀX` from one `dsyrk` (sample, EWMA), positive semidefinite by
/// construction; ``PSDCheck`` is not run. In floating point the computed product is
/// `XᵀX + E` with `|E| ≤ γ_T |X|ᵀ|X|` elementwise (Higham, *Accuracy and Stability of
/// Numerical Algorithms*, 2nd ed., §3.5; `γ_T = Tu/(1 − Tu)`), so no eigenvalue is below
/// `−γ_T·trace(m)`: what an eigenvalue clip could remove is rounding, not estimation error.
/// The check it replaces factorised the matrix and, when that failed (a singular estimate:
/// fewer returns than instruments, or EWMA's short effective window), computed every
/// eigenvalue: 9–21× the `dsyrk` itself at N ≥ 2,000 (BENCHMARKS.md, covariance at scale).
/// The risk-parity solver still repairs a singular covariance it cannot solve, and says so.
func validated(
  _ method: CovarianceMethod, _ m: SymmetricMatrix, shrinkage: Double?, certifiedPositiveDefinite: Bool = false,
  gramForm: Bool = false
) throws(EstimationError) -> CovarianceEstimate {
  guard m.isFinite else { throw .nonFinite("the \(method.rawValue) covariance") }
  if certifiedPositiveDefinite || gramForm {
    return CovarianceEstimate(method: method, daily: m, shrinkage: shrinkage, repair: nil)
  }
  do {
    let repair = try PSDCheck.repairIfNeeded(m)
    return CovarianceEstimate(method: method, daily: repair?.matrix ?? m, shrinkage: shrinkage, repair: repair)
  } catch {
    throw .linearAlgebra(error)
  }
}

/// `α·XᵀX` (``SymmetricMatrix/gram(_:scale:)``, one `dsyrk`), its linear-algebra error wrapped.
func gram(_ x: Matrix, scale alpha: Double) throws(EstimationError) -> SymmetricMatrix {
  do {
    return try SymmetricMatrix.gram(x, scale: alpha)
  } catch {
    throw .linearAlgebra(error)
  }
}

/// A proof, from how a shrinkage estimate was formed, that LAPACK's Cholesky factorisation of it
/// cannot fail; then ``PSDCheck`` (whose first step is that factorisation) would return nil, and
/// the `n³/3` flops of `dpotrf` — two thirds of the `dsyrk` at N = 5,000, T = 2,520 — are saved.
/// Nothing else changes: when the bound is not comfortably met, the check runs as before.
///
/// The argument, with `u` the unit roundoff and `Ŝ = α·XᵀX` as BLAS computed it:
/// - `Ŝ = S + E`, `S` exactly positive semidefinite, `|E| ≤ γ_{T+1} α|X|ᵀ|X|`, so
///   `‖E‖₂ ≤ γ_{T+1} tr(α|X|ᵀ|X|) ≈ (T+1) u tr Ŝ` (Frobenius norm ≤ trace for a Gram matrix);
/// - the estimate is `(1 − δ) Ŝ + δ·target + R`, `R` the rounding of the blend (a few `u` times
///   the trace), the target positive definite with a known smallest eigenvalue `b`; so
///   `λ_min ≥ δ b − (1 − δ)‖E‖₂ − ‖R‖₂`, bounded below here with generous constants;
/// - Demmel (1989; Higham, *Accuracy and Stability of Numerical Algorithms*, Theorem 10.7):
///   Cholesky runs to completion in floating point when `λ_min(H) > n γ_{n+1} / (1 − n γ_{n+1})`,
///   `H = D⁻¹AD⁻¹` with `D² = diag(A)`, and `λ_min(H) ≥ λ_min(A) / max_i A_ii`. The certificate
///   asks for 1,000 times that threshold.
enum ShrinkageCertificate {
  static let u = Double.ulpOfOne / 2

  /// Demmel's condition, with a factor of 1,000 to spare.
  static func choleskyCannotFail(eigenvalueLowerBound l: Double, largestDiagonal d: Double, dimension n: Int) -> Bool {
    let nn = Double(n)
    let g = nn * (nn + 1) * u / (1 - (nn + 1) * u)
    guard g < 1e-4, l.isFinite, d.isFinite, l > 0, d > 0 else { return false }
    return l / d > 1000 * g / (1 - g)
  }

  static func largestDiagonal(_ m: SymmetricMatrix) -> Double {
    var d = -Double.infinity
    for i in 0..<m.dimension { d = max(d, m[i, i]) }
    return d
  }

  /// `(1 − δ) Ŝ + c I` (Ledoit–Wolf and OAS): the target `cI`, `c = δμ` as added, has `b = c`.
  static func towardsIdentity(
    _ m: SymmetricMatrix, shrinkage: Double, added c: Double, sampleTrace trace: Double, observations t: Int
  ) -> Bool {
    guard shrinkage > 0, shrinkage <= 1, c > 0, trace >= 0 else { return false }
    let n = Double(m.dimension)
    let lower = c * (1 - 4 * n * u) - (trace * (1 + 4 * n * u)) * 4 * (Double(t) + n + 8) * u
    return choleskyCannotFail(eigenvalueLowerBound: lower, largestDiagonal: largestDiagonal(m), dimension: m.dimension)
  }

  /// `δF + (1 − δ) Ŝ` with `F_ij = r̄ s_i s_j`, `F_ii = S_ii` (Ledoit–Wolf, constant correlation):
  /// for `0 ≤ r̄ < 1`, `F = r̄ ssᵀ + diag(S_ii − r̄ s_i²)`, whose smallest eigenvalue is at least
  /// `min_i S_ii (1 − r̄)` up to the rounding of `s_i = √S_ii`.
  static func towardsConstantCorrelation(
    _ m: SymmetricMatrix, shrinkage: Double, meanCorrelation r: Double, variance: [Double], observations t: Int
  ) -> Bool {
    guard shrinkage > 0, shrinkage <= 1, r >= 0, r < 1, let smallest = variance.min(), smallest > 0 else { return false }
    let n = Double(m.dimension)
    let trace = variance.reduce(0, +) * (1 + 4 * n * u)
    let b = smallest * (1 - r * (1 + 8 * u)) * (1 - 8 * u)
    let lower = shrinkage * b - trace * (16 + 4 * (Double(t) + n + 8)) * u
    return choleskyCannotFail(eigenvalueLowerBound: lower, largestDiagonal: largestDiagonal(m), dimension: m.dimension)
  }
}
