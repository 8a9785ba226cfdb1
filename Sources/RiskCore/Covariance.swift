import LinearAlgebra

/// The covariance estimators, as named on the command line.
public enum CovarianceMethod: String, Sendable, Hashable, CaseIterable, Codable {
  case sample
  case ewma
  case ledoitWolf = "ledoit-wolf"

  public var jsonKey: String {
    switch self {
    case .sample: return "sample"
    case .ewma: return "ewma"
    case .ledoitWolf: return "ledoitWolf"
    }
  }

  public func estimator(lambda: Double) -> any CovarianceEstimator {
    switch self {
    case .sample: return SampleCovariance()
    case .ewma: return EWMACovariance(lambda: lambda)
    case .ledoitWolf: return LedoitWolfCovariance()
    }
  }
}

/// A daily covariance matrix with what was done to get it.
public struct CovarianceEstimate: Sendable {
  public let method: CovarianceMethod
  /// Daily covariance, symmetric and positive semidefinite (repaired if it was not).
  public let daily: SymmetricMatrix
  /// Ledoit–Wolf's shrinkage intensity δ ∈ [0, 1]; nil for the others.
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
    return try validated(.sample, SymmetricMatrix.gram(x, scale: 1 / Double(returns.rows - 1)), shrinkage: nil)
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
    return try validated(.ewma, SymmetricMatrix.gram(scaled, scale: 1), shrinkage: nil)
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
    let s = SymmetricMatrix.gram(x, scale: 1 / t)
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
