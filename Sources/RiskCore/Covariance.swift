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
    return try validated(.sample, try gram(x, scale: 1 / Double(returns.rows - 1)), shrinkage: nil)
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
    return try validated(.ewma, try gram(scaled, scale: 1), shrinkage: nil)
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
    let s = try gram(x, scale: 1 / t)
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
    var out = s.scaled(by: 1 - shrinkage)
    for i in 0..<n { out.set(i, i, to: out[i, i] + shrinkage * mu) }
    return try validated(.ledoitWolf, out, shrinkage: shrinkage)
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
    let s = try gram(x, scale: 1 / t)
    guard x.columns > 1 else { return try validated(.oas, s, shrinkage: 0) }
    let alpha = s.elements.reduce(0) { $0 + $1 * $1 } / (n * n)
    let mu = s.trace / n
    let num = alpha + mu * mu
    let den = (t + 1) * (alpha - mu * mu / n)
    let shrinkage = den == 0 ? 1 : min(num / den, 1)
    guard shrinkage.isFinite else { throw .nonFinite("the OAS shrinkage") }
    var out = s.scaled(by: 1 - shrinkage)
    for i in 0..<x.columns { out.set(i, i, to: out[i, i] + shrinkage * mu) }
    return try validated(.oas, out, shrinkage: shrinkage)
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
    let g = try gram(x, scale: 1)
    let s = g.scaled(by: 1 / (t - 1))
    guard n > 1 else { return try validated(.ledoitWolfConstantCorrelation, s, shrinkage: 0) }
    let variance = s.diagonal
    guard variance.allSatisfy({ $0 > 0 && $0.isFinite }) else {
      throw .nonFinite("the constant-correlation target (an instrument has zero variance in the window, so no correlation)")
    }
    let sd = variance.map { $0.squareRoot() }
    let nn = Double(n)
    var correlationSum = 0.0
    for j in 0..<n {
      for i in 0..<n { correlationSum += s[i, j] / (sd[i] * sd[j]) }
    }
    let rBar = (correlationSum - nn) / (nn * (nn - 1))
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
    // π = Σ_ij [(yᵀy)_ij / T − 2 G_ij S_ij / T + S_ij²]
    var gs = 0.0
    var ss = 0.0
    for k in 0..<(n * n) {
      gs += g.elements[k] * s.elements[k]
      ss += s.elements[k] * s.elements[k]
    }
    let pi = normSum / t - 2 * gs / t + ss
    var piDiagonal = 0.0
    for i in 0..<n { piDiagonal += fourth[i] / t - 2 * g[i, i] * s[i, i] / t + s[i, i] * s[i, i] }
    // Σ_{i≠j} (s_j/s_i) θ_ij, θ's first term from the rows above.
    var thetaRest = 0.0
    var gamma = 0.0
    for j in 0..<n {
      for i in 0..<n where i != j {
        let sij = s[i, j]
        let w = sd[j] / sd[i]
        thetaRest += w * (-(g[i, i] / t) * sij - (g[i, j] / t) * variance[i] + variance[i] * sij)
        let d = sij - rBar * sd[i] * sd[j]
        gamma += d * d
      }
    }
    let rho = piDiagonal + rBar * (cubeCross / t + thetaRest)
    var shrinkage = 0.0
    // γ at rounding level (relative 1e-10 in norm): S is its own target, nothing to shrink.
    if gamma > 1e-20 * ss {
      shrinkage = max(0, min(1, (pi - rho) / gamma / t))
    }
    guard shrinkage.isFinite, rBar.isFinite else { throw .nonFinite("the constant-correlation shrinkage") }
    var out = s
    if shrinkage > 0 {
      for j in 0..<n {
        for i in 0...j {
          let f = i == j ? variance[i] : rBar * sd[i] * sd[j]
          out.set(i, j, to: shrinkage * f + (1 - shrinkage) * s[i, j])
        }
      }
    }
    return try validated(.ledoitWolfConstantCorrelation, out, shrinkage: shrinkage)
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
func validated(_ method: CovarianceMethod, _ m: SymmetricMatrix, shrinkage: Double?) throws(EstimationError) -> CovarianceEstimate
{
  guard m.isFinite else { throw .nonFinite("the \(method.rawValue) covariance") }
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
