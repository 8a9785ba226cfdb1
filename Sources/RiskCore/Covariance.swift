import LinearAlgebra

/// The covariance estimators, as named on the command line.
public enum CovarianceMethod: String, Sendable, Hashable, CaseIterable, Codable {
  case sample
  case ewma
  case ledoitWolf = "ledoit-wolf"
  case oas
  case ledoitWolfConstantCorrelation = "ledoit-wolf-constant-correlation"

  /// Hashes the case, not its name (a raw-value enum otherwise hashes its `String`): the
  /// risk model looks its covariance up by method on every order of a batch.
  public func hash(into h: inout Hasher) {
    switch self {
    case .sample: h.combine(0)
    case .ewma: h.combine(1)
    case .ledoitWolf: h.combine(2)
    case .oas: h.combine(3)
    case .ledoitWolfConstantCorrelation: h.combine(4)
    }
  }

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
    let x = try demeaned(returns, 2)
    let (m, finite) = try gramCheckingFinite(x, scale: 1 / Double(returns.rows - 1))
    return try validated(.sample, m, shrinkage: nil, gramForm: true, isFinite: finite)
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
    try requireShape(returns, 2)
    let x = returns.converted(to: .columnMajor)
    let s = ewmaWeights(count: x.rows, lambda: lambda).map { $0.squareRoot() }
    // The returns' finiteness is read in the same pass, before anything else can fail.
    guard let scaled = rowsScaled(x, by: s) else { throw .nonFinite("the returns") }
    let (m, finite) = try gramCheckingFinite(scaled, scale: 1)
    return try validated(.ewma, m, shrinkage: nil, gramForm: true, isFinite: finite)
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
    // ‖(X∘X)ᵀ(X∘X)‖₁ = Σ_t (Σ_i x_ti²)² = Σ_t ‖x_t‖⁴: O(NT) from the row norms, no second dsyrk;
    // the norms are summed as the demeaned columns are written (each in column order).
    var powers = PowerSums(rows: returns.rows, fourthPowersOfColumns: nil)
    let x = try demeaned(returns, 2) { run, p in powers.add(run, p) }
    let t = Double(x.rows)
    let n = x.columns
    var s = try gram(x, scale: 1 / t)
    var betaSum = 0.0
    for v in powers.rowSquares { betaSum += v * v }
    let deltaRaw = s.elements.reduce(0) { $0 + $1 * $1 }  // ‖S‖²_F = sum((XᵀX)²)/T²
    let trace = s.trace
    let mu = trace / Double(n)
    var beta = (betaSum / t - deltaRaw) / (Double(n) * t)
    var delta = deltaRaw - 2 * mu * trace + Double(n) * mu * mu
    delta /= Double(n)
    beta = min(beta, delta)
    let shrinkage = beta == 0 ? 0 : beta / delta
    guard shrinkage.isFinite else { throw .nonFinite("the Ledoit–Wolf shrinkage") }
    let added = shrinkage * mu
    let finite = shrinkTowardsIdentity(&s, keeping: 1 - shrinkage, adding: added)
    let certified = ShrinkageCertificate.towardsIdentity(
      s, shrinkage: shrinkage, added: added, sampleTrace: trace, observations: x.rows)
    return try validated(
      .ledoitWolf, s, shrinkage: shrinkage, certifiedPositiveDefinite: certified, isFinite: finite)
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
    let x = try demeaned(returns, 2)
    let t = Double(x.rows)
    let n = Double(x.columns)
    var s = try gram(x, scale: 1 / t)
    guard x.columns > 1 else { return try validated(.oas, s, shrinkage: 0) }
    let alpha = s.elements.reduce(0) { $0 + $1 * $1 } / (n * n)
    let trace = s.trace
    let mu = trace / n
    let num = alpha + mu * mu
    let den = (t + 1) * (alpha - mu * mu / n)
    let shrinkage = den == 0 ? 1 : min(num / den, 1)
    guard shrinkage.isFinite else { throw .nonFinite("the OAS shrinkage") }
    let added = shrinkage * mu
    let finite = shrinkTowardsIdentity(&s, keeping: 1 - shrinkage, adding: added)
    let certified = ShrinkageCertificate.towardsIdentity(
      s, shrinkage: shrinkage, added: added, sampleTrace: trace, observations: x.rows)
    return try validated(.oas, s, shrinkage: shrinkage, certifiedPositiveDefinite: certified, isFinite: finite)
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
    // Σ_t ‖x_t‖⁴ and Σ_t x_ti⁴ per column: summed as the demeaned columns are written.
    var powers = PowerSums(rows: returns.rows, fourthPowersOfColumns: max(returns.columns, 0))
    let x = try demeaned(returns, 2) { run, p in powers.add(run, p) }
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
    // The sums over G, r̄ and γ, and (at the same time) Σ_t Σ_i (x_ti³/s_i)(a_t − x_ti s_i) over X.
    let (cubeCross, onG) = constantCorrelationSums(g, x, sd: sd, variance: variance, observations: t, toS: toS)
    let (gSums, rBar, rs, gamma) = (onG.sums, onG.meanCorrelation, onG.meanCorrelationTimesSD, onG.gamma)
    var normSum = 0.0
    for v in powers.rowSquares { normSum += v * v }
    // π = Σ_ij [(yᵀy)_ij / T − 2 G_ij S_ij / T + S_ij²]
    let pi = normSum / t - 2 * gSums.gs / t + gSums.ss
    var piDiagonal = 0.0
    for i in 0..<n {
      piDiagonal += powers.fourth[i] / t - 2 * g[i, i] * variance[i] / t + variance[i] * variance[i]
    }
    let rho = piDiagonal + rBar * (cubeCross / t + gSums.thetaRest)
    var shrinkage = 0.0
    // γ at rounding level (relative 1e-10 in norm): S is its own target, nothing to shrink.
    if gamma > 1e-20 * gSums.ss {
      shrinkage = max(0, min(1, (pi - rho) / gamma / t))
    }
    guard shrinkage.isFinite, rBar.isFinite else { throw .nonFinite("the constant-correlation shrinkage") }
    let finite: Bool
    if shrinkage > 0 {
      finite = blendTowardsConstantCorrelation(
        &g, shrinkage: shrinkage, toS: toS, variance: variance, sd: sd, meanCorrelationTimesSD: rs)
    } else {
      finite = scaleCheckingFinite(&g, by: toS)
    }
    let certified = ShrinkageCertificate.towardsConstantCorrelation(
      g, shrinkage: shrinkage, meanCorrelation: rBar, variance: variance, observations: t0)
    return try validated(
      .ledoitWolfConstantCorrelation, g, shrinkage: shrinkage, certifiedPositiveDefinite: certified,
      isFinite: finite)
  }
}

/// What LW-CC's shrinkage needs from G: ``ConstantCorrelationSums``, r̄ (the mean correlation),
/// `r̄ s_i` and γ (which needs r̄).
struct ConstantCorrelationOnG: Sendable {
  var sums: ConstantCorrelationSums
  var meanCorrelation: Double
  var meanCorrelationTimesSD: [Double]
  var gamma: Double
}

/// The sums over G (``ConstantCorrelationOnG``) and the one over X
/// (``ConstantCorrelationSums/cubeCross(_:sd:)``), the two at once (``concurrently(_:_:)``): they
/// share nothing but their inputs, and each sum keeps its order.
func constantCorrelationSums(
  _ g: SymmetricMatrix, _ x: Matrix, sd: [Double], variance: [Double], observations t: Double, toS: Double
) -> (cubeCross: Double, onG: ConstantCorrelationOnG) {
  let nn = Double(g.dimension)
  return concurrently(
    { ConstantCorrelationSums.cubeCross(x, sd: sd) },
    {
      let sums = ConstantCorrelationSums(g, sd: sd, variance: variance, observations: t, toS: toS)
      let rBar = (sums.correlation - nn) / (nn * (nn - 1))
      let rs = sd.map { rBar * $0 }
      let gamma = ConstantCorrelationSums.gamma(g, sd: sd, meanCorrelationTimesSD: rs, toS: toS)
      return ConstantCorrelationOnG(sums: sums, meanCorrelation: rBar, meanCorrelationTimesSD: rs, gamma: gamma)
    })
}

/// Σ = δF + (1 − δ)S in place of G, column by column; F_ij = r̄ s_i s_j taken as `(r̄ s_i) s_j`
/// with i ≤ j (the product in that order on both sides of the diagonal: `rs[min] · sd[max]`),
/// F_ii = S_ii; S_ij = G_ij · toS. Four rows at a time in vector registers (the same operations
/// on each lane as on a scalar). Returns whether every element of Σ is finite.
func blendTowardsConstantCorrelation(
  _ g: inout SymmetricMatrix, shrinkage: Double, toS: Double, variance: [Double], sd: [Double],
  meanCorrelationTimesSD rs: [Double]
) -> Bool {
  let n = g.dimension
  let keep = 1 - shrinkage
  var check = FiniteCheck()
  g.modifySymmetricElements { p in
    rs.withUnsafeBufferPointer { rsp in
      sd.withUnsafeBufferPointer { sdp in
        guard let base = p.baseAddress, let r = rsp.baseAddress, let d = sdp.baseAddress else { return }
        let (shv, keepv, toSv) = (SIMD4(repeating: shrinkage), SIMD4(repeating: keep), SIMD4(repeating: toS))
        for j in 0..<n {
          let c = base + j * n
          let (sdj, rsj) = (d[j], r[j])
          let (sdjv, rsjv) = (SIMD4(repeating: sdj), SIMD4(repeating: rsj))
          var i = 0
          while i + 4 <= j {
            let v = shv * (load4(r + i) * sdjv) + keepv * (load4(c + i) * toSv)
            store4(v, c + i)
            check.fold(v)
            i += 4
          }
          for i in i..<j {
            c[i] = shrinkage * (r[i] * sdj) + keep * (c[i] * toS)
            check.fold(c[i])
          }
          c[j] = shrinkage * variance[j] + keep * (c[j] * toS)
          check.fold(c[j])
          i = j + 1
          while i + 4 <= n {
            let v = shv * (rsjv * load4(d + i)) + keepv * (load4(c + i) * toSv)
            store4(v, c + i)
            check.fold(v)
            i += 4
          }
          for i in i..<n {
            c[i] = shrinkage * (rsj * d[i]) + keep * (c[i] * toS)
            check.fold(c[i])
          }
        }
      }
    }
  }
  return check.allFinite
}

/// The sums of the constant-correlation estimate over the elements of G, in one pass over its
/// columns, each sum in the order of the element index (as the separate loops had it; S_ij =
/// G_ij · toS): Σ_ij S_ij/(s_i s_j), Σ_ij G_ij S_ij, Σ_ij S_ij², and Σ_{i≠j} (s_j/s_i) θ_ij less
/// θ's first term (from the rows). A column's terms are formed in a loop of their own, where the
/// three divisions an element run on vector registers, then added in order.
struct ConstantCorrelationSums {
  var correlation = 0.0
  var gs = 0.0
  var ss = 0.0
  var thetaRest = 0.0

  init(_ g: SymmetricMatrix, sd: [Double], variance: [Double], observations t: Double, toS: Double) {
    let n = g.dimension
    // s_i, S_ii and −G_ii/T, one after the other.
    let constants = sd + variance + (0..<n).map { -(g[$0, $0] / t) }
    var terms = [Double](repeating: 0, count: 4 * n)
    g.elements.withUnsafeBufferPointer { p in
      constants.withUnsafeBufferPointer { k in
        terms.withUnsafeMutableBufferPointer { w in
          guard let gp = p.baseAddress, let kp = k.baseAddress, let wp = w.baseAddress else { return }
          for j in 0..<n {
            Self.terms(column: gp + j * n, j: j, n: n, constants: kp, t: t, toS: toS, into: wp)
            add(wp, j: j, n: n)
          }
        }
      }
    }
  }

  /// Column `j`'s terms, four arrays of `n` in `w`: S_ij/(s_i s_j), G_ij S_ij, S_ij² and θ-rest_ij
  /// = (s_j/s_i)(−(G_ii/T) S_ij − (G_ij/T) S_ii + S_ii S_ij), four rows at a time in vector
  /// registers (the same operations on each lane as on a scalar, which finishes the column).
  private static func terms(
    column c: UnsafePointer<Double>, j: Int, n: Int, constants k: UnsafePointer<Double>, t: Double, toS: Double,
    into w: UnsafeMutablePointer<Double>
  ) {
    let (sd, variance, negGOverT) = (k, k + n, k + 2 * n)
    let sdj = sd[j]
    let (sdjv, toSv, tv) = (SIMD4(repeating: sdj), SIMD4(repeating: toS), SIMD4(repeating: t))
    var i = 0
    while i + 4 <= n {
      let gij = load4(c + i)
      let sij = gij * toSv
      let (sdi, vi) = (load4(sd + i), load4(variance + i))
      store4(sij / (sdi * sdjv), w + i)
      store4(gij * sij, w + n + i)
      store4(sij * sij, w + 2 * n + i)
      store4(sdjv / sdi * (load4(negGOverT + i) * sij - (gij / tv) * vi + vi * sij), w + 3 * n + i)
      i += 4
    }
    while i < n {
      let gij = c[i]
      let sij = gij * toS
      w[i] = sij / (sd[i] * sdj)
      w[n + i] = gij * sij
      w[2 * n + i] = sij * sij
      w[3 * n + i] = sdj / sd[i] * (negGOverT[i] * sij - (gij / t) * variance[i] + variance[i] * sij)
      i += 1
    }
  }

  /// Adds column `j`'s terms to the four sums in row order (θ-rest without the diagonal).
  private mutating func add(_ w: UnsafePointer<Double>, j: Int, n: Int) {
    for i in 0..<j {
      correlation += w[i]
      gs += w[n + i]
      ss += w[2 * n + i]
      thetaRest += w[3 * n + i]
    }
    correlation += w[j]
    gs += w[n + j]
    ss += w[2 * n + j]
    for i in (j + 1)..<n {
      correlation += w[i]
      gs += w[n + i]
      ss += w[2 * n + i]
      thetaRest += w[3 * n + i]
    }
  }

  /// γ = Σ_{i≠j} (S_ij − r̄ s_i s_j)², in the order of the element index, `r̄ s_i s_j` as
  /// `(r̄ s_i) s_j` (`rs[i] · sd[j]`).
  static func gamma(_ g: SymmetricMatrix, sd: [Double], meanCorrelationTimesSD rs: [Double], toS: Double) -> Double {
    let n = g.dimension
    var gamma = 0.0
    g.elements.withUnsafeBufferPointer { p in
      rs.withUnsafeBufferPointer { rsp in
        guard let gp = p.baseAddress, let r = rsp.baseAddress else { return }
        for j in 0..<n {
          let c = gp + j * n
          let sdj = sd[j]
          for i in 0..<j {
            let d = c[i] * toS - r[i] * sdj
            gamma += d * d
          }
          for i in (j + 1)..<n {
            let d = c[i] * toS - r[i] * sdj
            gamma += d * d
          }
        }
      }
    }
    return gamma
  }

  /// Σ_i c_i, c_i = Σ_t (x_ti³/s_i)(a_t − x_ti s_i) with `a_t = Σ_j x_tj s_j` (j in order), each
  /// c_i in row order and the c_i added in column order. The terms of four columns are formed in
  /// vector registers, then their four sums run side by side (independent sums, each in order).
  static func cubeCross(_ x: Matrix, sd: [Double]) -> Double {
    let t = x.rows
    let n = x.columns
    var a = [Double](repeating: 0, count: t)
    var terms = [Double](repeating: 0, count: 4 * t)
    var total = 0.0
    x.elements.withUnsafeBufferPointer { p in
      a.withUnsafeMutableBufferPointer { ap in
        terms.withUnsafeMutableBufferPointer { wp in
          guard let base = p.baseAddress, let a = ap.baseAddress, let w = wp.baseAddress else { return }
          for j in 0..<n { addMultiple(base + j * t, sd[j], rows: t, to: a) }
          var i = 0
          while i < n {
            let width = min(4, n - i)
            for k in 0..<width { cubeTerms(base + (i + k) * t, sd[i + k], a, rows: t, into: w + k * t) }
            let c = width == 4 ? sums4(w, rows: t) : SIMD4((0..<4).map { $0 < width ? sum(w + $0 * t, rows: t) : 0 })
            for k in 0..<width { total += c[k] }
            i += width
          }
        }
      }
    }
    return total
  }

  /// `a[r] += c[r] · s`.
  private static func addMultiple(_ c: UnsafePointer<Double>, _ s: Double, rows t: Int, to a: UnsafeMutablePointer<Double>) {
    let sv = SIMD4(repeating: s)
    var r = 0
    while r + 4 <= t {
      store4(load4(a + r) + load4(c + r) * sv, a + r)
      r += 4
    }
    while r < t {
      a[r] += c[r] * s
      r += 1
    }
  }

  /// `w[r] = (x_r³/s)(a_r − x_r s)`, as `x·x·x/s·(a_r − x·s)`.
  private static func cubeTerms(
    _ c: UnsafePointer<Double>, _ s: Double, _ a: UnsafePointer<Double>, rows t: Int, into w: UnsafeMutablePointer<Double>
  ) {
    let sv = SIMD4(repeating: s)
    var r = 0
    while r + 4 <= t {
      let v = load4(c + r)
      store4(v * v * v / sv * (load4(a + r) - v * sv), w + r)
      r += 4
    }
    while r < t {
      let v = c[r]
      w[r] = v * v * v / s * (a[r] - v * s)
      r += 1
    }
  }

  private static func sum(_ w: UnsafePointer<Double>, rows t: Int) -> Double {
    var s = 0.0
    for r in 0..<t { s += w[r] }
    return s
  }

  /// ``sum(_:rows:)`` of four adjacent arrays of `t`, four independent sums in one loop.
  private static func sums4(_ w: UnsafePointer<Double>, rows t: Int) -> SIMD4<Double> {
    var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
    for r in 0..<t {
      s0 += w[r]
      s1 += w[t + r]
      s2 += w[2 * t + r]
      s3 += w[3 * t + r]
    }
    return SIMD4(s0, s1, s2, s3)
  }
}

/// Four doubles from `p` (any alignment).
@inline(__always)
func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> { UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self) }

/// Four doubles to `p` (any alignment).
@inline(__always)
func store4(_ v: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Double>.self)
}

// MARK: - shared

/// The returns' shape, checked first: at least one instrument and `needed` observations. Their
/// finiteness is checked next (``demeaned(_:_:visiting:)``, ``rowsScaled(_:by:)``), in the pass
/// that first reads them.
func requireShape(_ r: Matrix, _ needed: Int) throws(EstimationError) {
  guard r.columns > 0 else { throw .noInstruments }
  guard r.rows >= needed else { throw .lookbackTooShort(r.rows) }
}

/// The returns demeaned by column (``Matrix/demeanedColumns()``'s values), after the checks of
/// their shape and then their finiteness, in that order. Finite column sums prove every return
/// finite (a sum of finite terms only can be finite); the element-by-element check runs only when
/// a sum is not finite (a return is not, or finite returns overflowed). `visit` sees each run of
/// demeaned columns as it is written (``Matrix/demeanedColumns(visiting:)``).
func demeaned(
  _ returns: Matrix, _ needed: Int, visiting visit: (Range<Int>, UnsafeBufferPointer<Double>) -> Void = { _, _ in }
) throws(EstimationError) -> Matrix {
  try requireShape(returns, needed)
  let (x, sumsFinite) = returns.demeanedColumns(visiting: visit)
  guard sumsFinite || returns.isFinite else { throw .nonFinite("the returns") }
  return x
}

/// `x` (column-major) with row `i` multiplied by `s[i]`, written in place
/// (``Matrix/init(columnMajorRows:columns:initializingWith:)``); nil when an element of `x` is
/// not finite (read in the same pass).
func rowsScaled(_ x: Matrix, by s: [Double]) -> Matrix? {
  let t = x.rows
  var check = FiniteCheck()
  let scaled = Matrix(columnMajorRows: t, columns: x.columns) { dst in
    x.elements.withUnsafeBufferPointer { src in
      s.withUnsafeBufferPointer { w in
        guard let from = src.baseAddress, let to = dst.baseAddress, let w = w.baseAddress else { return }
        for j in 0..<x.columns { scaleRows(from + j * t, by: w, rows: t, into: to + j * t, checking: &check) }
      }
    }
  }
  return check.allFinite ? scaled : nil
}

/// `d[i] = c[i] · w[i]`, four rows at a time, folding each `c[i]` into `check`.
private func scaleRows(
  _ c: UnsafePointer<Double>, by w: UnsafePointer<Double>, rows t: Int, into d: UnsafeMutablePointer<Double>,
  checking check: inout FiniteCheck
) {
  var i = 0
  while i + 4 <= t {
    let v = load4(c + i)
    store4(v * load4(w + i), d + i)
    check.fold(v)
    i += 4
  }
  for i in i..<t {
    d[i] = c[i] * w[i]
    check.fold(c[i])
  }
}

/// Whether every value folded in is finite, kept in vector registers without a branch: `v − v`
/// is +0 for a finite `v` and NaN for ±∞ and NaN, so each running sum stays exactly 0 while every
/// value is finite, and is NaN from the first one that is not.
struct FiniteCheck {
  private var lanes = SIMD4<Double>()
  private var scalar = 0.0

  @inline(__always)
  mutating func fold(_ v: SIMD4<Double>) { lanes += v - v }

  @inline(__always)
  mutating func fold(_ v: Double) { scalar += v - v }

  var allFinite: Bool { lanes == .zero && scalar == 0 }
}

/// Row sums of squares and column sums of fourth powers of the demeaned returns, accumulated as
/// ``Matrix/demeanedColumns(visiting:)`` writes each run of columns (while it is in cache).
///
/// `rowSquares[t] = Σ_j x_tj²` with the columns added in order; `fourth[j] = Σ_t x_tj⁴`, as
/// `(x²)²`, in row order (empty unless asked for).
struct PowerSums {
  var rowSquares: [Double]
  var fourth: [Double]

  init(rows: Int, fourthPowersOfColumns columns: Int?) {
    rowSquares = [Double](repeating: 0, count: rows)
    fourth = [Double](repeating: 0, count: columns ?? 0)
  }

  mutating func add(_ run: Range<Int>, _ p: UnsafeBufferPointer<Double>) {
    let t = rowSquares.count
    guard t > 0, let base = p.baseAddress else { return }
    rowSquares.withUnsafeMutableBufferPointer { r in
      guard let r = r.baseAddress else { return }
      for k in 0..<run.count { Self.addSquares(base + k * t, rows: t, into: r) }
    }
    guard !fourth.isEmpty else { return }
    fourth.withUnsafeMutableBufferPointer { f in
      var k = 0
      while k + 4 <= run.count {
        let s = Self.fourthPowers4(base + k * t, rows: t)
        for m in 0..<4 { f[run.lowerBound + k + m] = s[m] }
        k += 4
      }
      for m in k..<run.count { f[run.lowerBound + m] = Self.fourthPowers(base + m * t, rows: t) }
    }
  }

  private static func addSquares(_ c: UnsafePointer<Double>, rows t: Int, into r: UnsafeMutablePointer<Double>) {
    for i in 0..<t { r[i] += c[i] * c[i] }
  }

  private static func fourthPowers(_ c: UnsafePointer<Double>, rows t: Int) -> Double {
    var f = 0.0
    for i in 0..<t {
      let v2 = c[i] * c[i]
      f += v2 * v2
    }
    return f
  }

  /// ``fourthPowers(_:rows:)`` of four adjacent columns, four independent sums in one loop.
  private static func fourthPowers4(_ c: UnsafePointer<Double>, rows t: Int) -> SIMD4<Double> {
    var (f0, f1, f2, f3) = (0.0, 0.0, 0.0, 0.0)
    for i in 0..<t {
      let (v0, v1, v2, v3) = (c[i] * c[i], c[i + t] * c[i + t], c[i + 2 * t] * c[i + 2 * t], c[i + 3 * t] * c[i + 3 * t])
      f0 += v0 * v0
      f1 += v1 * v1
      f2 += v2 * v2
      f3 += v3 * v3
    }
    return SIMD4(f0, f1, f2, f3)
  }
}

/// `(1 − δ)S + δμI` in place: every element times `keep` (`1 − δ`), then `added` (`δμ`) on the
/// diagonal; the products and sums of `scale(by:)` and `s[i, i] + added`. Returns whether every
/// element of the result is finite (a non-finite product stays non-finite on the diagonal).
func shrinkTowardsIdentity(_ s: inout SymmetricMatrix, keeping keep: Double, adding added: Double) -> Bool {
  let n = s.dimension
  var check = FiniteCheck()
  s.modifySymmetricElements { p in
    guard let base = p.baseAddress else { return }
    scaleInPlace(base, count: p.count, by: keep, checking: &check)
    for i in 0..<n {
      base[i + i * n] += added
      check.fold(base[i + i * n])
    }
  }
  return check.allFinite
}

/// `scale(by:)`, returning whether every element of the result is finite.
func scaleCheckingFinite(_ m: inout SymmetricMatrix, by c: Double) -> Bool {
  var check = FiniteCheck()
  m.modifySymmetricElements { p in
    guard let base = p.baseAddress else { return }
    scaleInPlace(base, count: p.count, by: c, checking: &check)
  }
  return check.allFinite
}

/// `p[k] *= c`, four elements at a time, folding each product into `check`.
private func scaleInPlace(_ p: UnsafeMutablePointer<Double>, count: Int, by c: Double, checking check: inout FiniteCheck) {
  let cv = SIMD4(repeating: c)
  var k = 0
  while k + 4 <= count {
    let v = load4(p + k) * cv
    store4(v, p + k)
    check.fold(v)
    k += 4
  }
  for k in k..<count {
    p[k] *= c
    check.fold(p[k])
  }
}

/// Checks an estimate is finite and PSD (``PSDCheck``); clips negative
/// eigenvalues and reports it when not.
///
/// `isFinite`: the caller's answer to `m.isFinite`, read in a pass that wrote or copied every
/// element (``SymmetricMatrix/gramCheckingFinite(_:scale:)``, the shrinkage's blend); nil: checked here.
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
  gramForm: Bool = false, isFinite: Bool? = nil
) throws(EstimationError) -> CovarianceEstimate {
  guard isFinite ?? m.isFinite else { throw .nonFinite("the \(method.rawValue) covariance") }
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

/// ``gram(_:scale:)`` and whether every element is finite (``SymmetricMatrix/gramCheckingFinite(_:scale:)``).
func gramCheckingFinite(_ x: Matrix, scale alpha: Double) throws(EstimationError) -> (SymmetricMatrix, Bool) {
  do {
    let (m, finite) = try SymmetricMatrix.gramCheckingFinite(x, scale: alpha)
    return (m, finite)
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
