import LinearAlgebra

// The mathematics of `advisor budget`: risk contributions, value at risk and
// expected shortfall, and the budgeted risk-parity solver. Pure functions on
// numbers; the account, the regime and the trades are in BudgetService.swift.

/// The standard normal distribution: density and quantile.
public enum NormalDistribution {
  /// `φ(x) = e^(−x²/2) / √(2π)`.
  public static func density(_ x: Double) -> Double {
    naturalExp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
  }

  /// The quantile `Φ⁻¹(p)` for `p` in (0, 1), by Wichura's algorithm AS 241
  /// (PPND16, Applied Statistics 37(3), 1988): rational approximations with a
  /// relative error below 1e-16 over the whole range. `Φ⁻¹(0.95) = 1.6448536269514722`.
  ///
  /// - Returns: NaN outside (0, 1).
  public static func quantile(_ p: Double) -> Double {
    guard p > 0, p < 1 else { return .nan }
    let q = p - 0.5
    if abs(q) <= 0.425 {
      let r = 0.180625 - q * q
      let num =
        (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r + 6.7265770927008700853e+4) * r
          + 4.5921953931549871457e+4) * r + 1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r
          + 1.3314166789178437745e+2) * r + 3.3871328727963666080e+0)
      let den =
        (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r + 3.9307895800092710610e+4) * r
          + 2.1213794301586595867e+4) * r + 5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r
          + 4.2313330701600911252e+1) * r + 1.0)
      return q * num / den
    }
    var r = q < 0 ? p : 1 - p
    r = (-naturalLog(r)).squareRoot()
    let x: Double
    if r <= 5 {
      r -= 1.6
      let num =
        (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r + 2.41780725177450611770e-1) * r
          + 1.27045825245236838258e+0) * r + 3.64784832476320460504e+0) * r + 5.76949722146069140550e+0) * r
          + 4.63033784615654529590e+0) * r + 1.42343711074968357734e+0)
      let den =
        (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r + 1.51986665636164571966e-2) * r
          + 1.48103976427480074590e-1) * r + 6.89767334985100004550e-1) * r + 1.67638483018380384940e+0) * r
          + 2.05319162663775882187e+0) * r + 1.0)
      x = num / den
    } else {
      r -= 5
      let num =
        (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.24266094738807843860e-3) * r
          + 2.65321895265761230930e-2) * r + 2.96560571828504891230e-1) * r + 1.78482653991729133580e+0) * r
          + 5.46378491116411436990e+0) * r + 6.65790464350110377720e+0)
      let den =
        (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r + 1.84631831751005468180e-5) * r
          + 7.86869131145613259100e-4) * r + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
          + 5.99832206555887937690e-1) * r + 1.0)
      x = num / den
    }
    return q < 0 ? -x : x
  }
}

/// How a portfolio's volatility splits over its positions (Euler allocation).
///
/// With weights `w` (signed) and covariance `Σ`: `σ_p = √(wᵀΣw)`; the marginal
/// contribution `MCRᵢ = ∂σ_p/∂wᵢ = (Σw)ᵢ / σ_p`; the Euler contribution
/// `RCᵢ = wᵢ · MCRᵢ`, so `Σ RCᵢ = σ_p`; the share `RCᵢ / σ_p` (shares sum to 1;
/// a hedge has a negative share); the diversification ratio
/// `Σ |wᵢ| σᵢ / σ_p` with `σᵢ = √Σᵢᵢ` (≥ 1 for a long-only portfolio).
/// Units follow `Σ` and `w`: annual covariance and weights as fractions of
/// equity give annual σ as a fraction of equity.
public struct RiskDecomposition: Sendable, Hashable {
  public let weights: [Double]
  /// `√Σᵢᵢ`.
  public let standaloneVolatility: [Double]
  public let variance: Double
  public let volatility: Double
  /// `(Σw)ᵢ / σ_p`; zero when `σ_p = 0`.
  public let marginal: [Double]
  /// `wᵢ (Σw)ᵢ / σ_p`.
  public let contributions: [Double]
  /// `wᵢ (Σw)ᵢ / σ_p²`.
  public let shares: [Double]
  /// `Σ |wᵢ| σᵢ / σ_p`; nil when `σ_p = 0`.
  public let diversificationRatio: Double?

  /// - Throws: ``LinearAlgebraError/dimensionMismatch(_:)`` when the sizes differ.
  public init(covariance: SymmetricMatrix, weights: [Double]) throws(LinearAlgebraError) {
    let sw = try covariance.multiplied(by: weights)
    var v = 0.0
    for i in weights.indices { v += weights[i] * sw[i] }
    v = max(v, 0)
    let s = v.squareRoot()
    self.weights = weights
    standaloneVolatility = covariance.diagonal.map { max($0, 0).squareRoot() }
    variance = v
    volatility = s
    marginal = s > 0 ? sw.map { $0 / s } : Array(repeating: 0, count: weights.count)
    contributions = s > 0 ? weights.indices.map { weights[$0] * sw[$0] / s } : Array(repeating: 0, count: weights.count)
    shares = v > 0 ? weights.indices.map { weights[$0] * sw[$0] / v } : Array(repeating: 0, count: weights.count)
    var stand = 0.0
    for i in weights.indices { stand += abs(weights[i]) * standaloneVolatility[i] }
    diversificationRatio = s > 0 ? stand / s : nil
  }
}

// MARK: - Value at risk and expected shortfall

/// One VaR/ES figure: losses are positive amounts (same units as the input).
public struct TailRisk: Sendable, Hashable {
  /// Confidence level, e.g. 0.99.
  public let level: Double
  /// Holding period in days.
  public let horizonDays: Int
  public let valueAtRisk: Double
  public let expectedShortfall: Double
}

public enum TailRiskEstimator {
  /// Normal (parametric) VaR and ES with zero mean and `√t` scaling:
  /// `σ_h = σ_1d · √h`, `VaR = Φ⁻¹(α) σ_h`, `ES = σ_h φ(Φ⁻¹(α)) / (1 − α)`.
  ///
  /// - Parameters:
  ///   - dailyVolatility: one-day σ of the P&L (money or fraction of equity).
  ///   - level: confidence α in (0, 1).
  public static func normal(dailyVolatility: Double, level: Double, horizonDays: Int) -> TailRisk {
    let z = NormalDistribution.quantile(level)
    let sigma = dailyVolatility * Double(horizonDays).squareRoot()
    return TailRisk(
      level: level, horizonDays: horizonDays, valueAtRisk: z * sigma,
      expectedShortfall: sigma * NormalDistribution.density(z) / (1 - level))
  }

  /// Historical VaR and ES from a P&L series (one value per day, gains positive).
  ///
  /// `VaR = −q` with `q` the `(1 − α)` quantile of the P&L by linear
  /// interpolation between order statistics (numpy's default, Hyndman–Fan
  /// type 7: position `h = (T − 1)(1 − α)` in the ascending sort, 0-based);
  /// `ES = −mean{pnlₜ : pnlₜ ≤ q}`, the average of the outcomes at or beyond
  /// the VaR. A horizon `h > 1` scales both by `√h` (the 1-day figures from
  /// daily P&L; overlapping h-day windows would reuse data).
  ///
  /// - Returns: nil when the series is empty.
  public static func historical(pnl: [Double], level: Double, horizonDays: Int) -> TailRisk? {
    guard !pnl.isEmpty, level > 0, level < 1 else { return nil }
    let sorted = pnl.sorted()
    let h = Double(sorted.count - 1) * (1 - level)
    let lo = Int(h.rounded(.down))
    let frac = h - Double(lo)
    let q = lo + 1 < sorted.count ? sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]) : sorted[lo]
    var tail = 0.0
    var count = 0
    for x in sorted where x <= q {
      tail += x
      count += 1
    }
    let scale = Double(horizonDays).squareRoot()
    return TailRisk(
      level: level, horizonDays: horizonDays, valueAtRisk: -q * scale,
      expectedShortfall: -(tail / Double(max(count, 1))) * scale)
  }
}

// MARK: - Budgeted risk parity

/// Why the risk-parity weights could not be found.
public enum RiskParityError: Error, Sendable, Hashable, CustomStringConvertible {
  case empty
  case dimensionMismatch(covariance: Int, budgets: Int)
  case invalidBudget(index: Int, value: Double)
  case nonPositiveVariance(index: Int, value: Double)
  case noConvergence(iterations: Int, residual: Double)
  case linearAlgebra(LinearAlgebraError)

  public var description: String {
    switch self {
    case .empty: return "risk parity needs at least one instrument."
    case .dimensionMismatch(let n, let m): return "a \(n)×\(n) covariance with \(m) budgets."
    case .invalidBudget(let i, let v): return "budget \(i + 1) is \(v); budgets must be positive and finite."
    case .nonPositiveVariance(let i, let v):
      return "instrument \(i + 1) has variance \(v); risk parity needs every instrument to have positive variance."
    case .noConvergence(let k, let r):
      return
        "the risk-parity solver did not converge in \(k) Newton iterations (largest risk-share error \(r)); the covariance is probably singular along a long-only direction."
    case .linearAlgebra(let e): return e.description
    }
  }
}

/// Long-only budgeted risk-parity weights and how they were found.
public struct RiskParitySolution: Sendable, Hashable {
  /// `w = x / Σx`: positive, summing to 1, in the covariance's order.
  public let weights: [Double]
  /// The budgets used, normalised to sum to 1.
  public let budgets: [Double]
  /// Newton steps taken.
  public let iterations: Int
  /// Cyclical coordinate-descent sweeps of the warm start.
  public let sweeps: Int
  /// `max |xᵢ(Σx)ᵢ − bᵢ|` at the last iterate (the stopping quantity).
  public let stoppingResidual: Double
  /// `max |wᵢ(Σw)ᵢ / wᵀΣw − bᵢ|`: the largest error of a risk share.
  public let residual: Double
  /// The stopping tolerance on ``stoppingResidual``.
  public let tolerance: Double
  /// `√(wᵀΣw)` in the covariance's units (annual σ for an annual covariance).
  public let volatility: Double
}

public enum RiskParity {
  /// Long-only budgeted risk parity: the weights whose risk shares equal the budgets,
  /// `wᵢ(Σw)ᵢ / wᵀΣw = bᵢ`, `wᵢ > 0`, `Σwᵢ = 1`.
  ///
  /// The minimiser of the strictly convex `f(x) = ½xᵀΣx − bᵀ log x` (Spinu
  /// 2013; Bai, Scheinberg and Tütüncü 2016) satisfies `xᵢ(Σx)ᵢ = bᵢ`; then
  /// `w = x / Σx`. Start: `xᵢ ∝ √bᵢ / σᵢ` (exact for a diagonal `Σ`), scaled so
  /// that `xᵀΣx = 1`.
  ///
  /// 1. Warm start: up to `warmStartSweeps` sweeps of cyclical coordinate
  ///    descent (Griveau-Billion, Richard and Roncalli 2013), each coordinate
  ///    minimised exactly, `Σᵢᵢxᵢ² + cᵢxᵢ − bᵢ = 0` with `cᵢ = (Σx)ᵢ − Σᵢᵢxᵢ`,
  ///    at O(N²) a sweep; it stops at `max |xᵢ(Σx)ᵢ − bᵢ| ≤ 1e-9` or when a
  ///    sweep gains less than a factor of 2 (strong correlation slows it).
  /// 2. Newton's method: gradient `Σx − b/x`, Hessian `Σ + diag(b/x²)`
  ///    (positive definite for `x > 0` even when `Σ` is only semidefinite),
  ///    each step solved by Cholesky (LAPACK `dposv`, O(N³)), with a line
  ///    search that keeps `x > 0` (halving) and then asks for Armijo decrease
  ///    of `f`; quadratic convergence, usually one or two steps after the warm
  ///    start (N = 471: about 8 sweeps and 1 step, against 6 steps from the
  ///    start point without it).
  ///
  /// Stops when `max |xᵢ(Σx)ᵢ − bᵢ| ≤ tolerance`, with `Σx` recomputed by BLAS.
  /// Scaling `Σ` by `c` scales `x` by `1/√c` and leaves `w` unchanged, so daily
  /// or annual, `1/T` or `1/(T−1)` covariances give the same weights.
  ///
  /// - Parameters:
  ///   - covariance: symmetric positive semidefinite, positive diagonal.
  ///   - budgets: positive; normalised to sum to 1 (nil: equal, `1/N`).
  ///   - tolerance: on `max |xᵢ(Σx)ᵢ − bᵢ|` with `Σbᵢ = 1` (default 1e-12).
  ///   - warmStartSweeps: at most this many coordinate-descent sweeps (0: Newton only).
  ///   - maxIterations: Newton steps allowed.
  /// - Throws: ``RiskParityError``.
  public static func solve(
    _ covariance: SymmetricMatrix, budgets: [Double]? = nil, tolerance: Double = 1e-12, warmStartSweeps: Int = 20,
    maxIterations: Int = 100
  ) throws(RiskParityError) -> RiskParitySolution {
    let n = covariance.dimension
    guard n > 0 else { throw .empty }
    let raw = budgets ?? Array(repeating: 1, count: n)
    guard raw.count == n else { throw .dimensionMismatch(covariance: n, budgets: raw.count) }
    for (i, v) in raw.enumerated() where !(v > 0 && v.isFinite) { throw .invalidBudget(index: i, value: v) }
    let total = raw.reduce(0, +)
    let b = raw.map { $0 / total }
    let d = covariance.diagonal
    for (i, v) in d.enumerated() where !(v > 0 && v.isFinite) { throw .nonPositiveVariance(index: i, value: v) }
    do {
      var x = (0..<n).map { (b[$0] / d[$0]).squareRoot() }
      let x0Variance = try covariance.quadraticForm(x)
      if x0Variance > 0 {
        let c = 1 / x0Variance.squareRoot()
        for i in 0..<n { x[i] *= c }
      }
      var sx = try covariance.multiplied(by: x)
      var residual = stopping(x, sx, b)
      var sweeps = 0
      if residual > tolerance && warmStartSweeps > 0 {
        sweeps = coordinateDescent(covariance, &x, &sx, b, d, maxSweeps: warmStartSweeps, until: max(tolerance, 1e-9))
        sx = try covariance.multiplied(by: x)
        residual = stopping(x, sx, b)
      }
      var iterations = 0
      while residual > tolerance {
        guard iterations < maxIterations, residual.isFinite else {
          throw RiskParityError.noConvergence(iterations: iterations, residual: residual)
        }
        iterations += 1
        // Newton direction: (Σ + diag(b/x²)) d = −(Σx − b/x).
        var hessian = covariance
        var g = [Double](repeating: 0, count: n)
        for i in 0..<n {
          g[i] = sx[i] - b[i] / x[i]
          hessian.set(i, i, to: d[i] + b[i] / (x[i] * x[i]))
        }
        let step = try hessian.solvePositiveDefinite(g.map { -$0 })
        let sd = try covariance.multiplied(by: step)
        var slope = 0.0
        for i in 0..<n { slope += g[i] * step[i] }
        // Line search: stay positive, then Armijo on f (skipped once the
        // predicted decrease is below rounding, where f cannot resolve it).
        var t = 1.0
        while (0..<n).contains(where: { x[$0] + t * step[$0] <= 0 }) { t *= 0.5 }
        let f0 = objective(x, sx, b)
        if -slope > 1e-13 {
          var halvings = 0
          while halvings < 60 {
            var trial = x
            var strial = sx
            for i in 0..<n {
              trial[i] += t * step[i]
              strial[i] += t * sd[i]
            }
            if objective(trial, strial, b) <= f0 + 1e-4 * t * slope { break }
            t *= 0.5
            halvings += 1
          }
        }
        for i in 0..<n { x[i] += t * step[i] }
        // Recompute Σx afresh (no drift from the incremental update).
        sx = try covariance.multiplied(by: x)
        residual = stopping(x, sx, b)
      }
      let sum = x.reduce(0, +)
      let w = x.map { $0 / sum }
      let check = try RiskDecomposition(covariance: covariance, weights: w)
      var worst = 0.0
      for i in 0..<n { worst = max(worst, abs(check.shares[i] - b[i])) }
      return RiskParitySolution(
        weights: w, budgets: b, iterations: iterations, sweeps: sweeps, stoppingResidual: residual, residual: worst,
        tolerance: tolerance,
        volatility: check.volatility)
    } catch let e as LinearAlgebraError {
      throw .linearAlgebra(e)
    } catch let e as RiskParityError {
      throw e
    } catch {
      throw .linearAlgebra(.nonFinite("\(error)"))
    }
  }

  /// Cyclical coordinate descent on `f`: each `xᵢ` in turn set to the positive
  /// root of `Σᵢᵢxᵢ² + cᵢxᵢ − bᵢ = 0` (`cᵢ = (Σx)ᵢ − Σᵢᵢxᵢ`), `Σx` updated by
  /// column `i` of `Σ`. Stops after `maxSweeps`, at `max |xᵢ(Σx)ᵢ − bᵢ| ≤ until`,
  /// or when a sweep does not halve that residual (after the third).
  ///
  /// - Returns: the sweeps done. `sx` drifts by rounding: recompute it after.
  static func coordinateDescent(
    _ covariance: SymmetricMatrix, _ x: inout [Double], _ sx: inout [Double], _ b: [Double], _ d: [Double], maxSweeps: Int,
    until target: Double
  ) -> Int {
    let n = x.count
    var previous = stopping(x, sx, b)
    var sweeps = 0
    covariance.elements.withUnsafeBufferPointer { c in
      x.withUnsafeMutableBufferPointer { xp in
        sx.withUnsafeMutableBufferPointer { sp in
          while sweeps < maxSweeps {
            sweeps += 1
            for i in 0..<n {
              let a = d[i]
              let ci = sp[i] - a * xp[i]
              let root = (ci * ci + 4 * a * b[i]).squareRoot()
              // The positive root, in the form without cancellation.
              let new = ci >= 0 ? 2 * b[i] / (ci + root) : (root - ci) / (2 * a)
              let delta = new - xp[i]
              if delta == 0 || !new.isFinite { continue }
              let column = i * n
              for k in 0..<n { sp[k] += c[column + k] * delta }
              xp[i] = new
            }
            var r = 0.0
            for i in 0..<n { r = max(r, abs(xp[i] * sp[i] - b[i])) }
            if r <= target || (sweeps >= 3 && r > 0.5 * previous) { break }
            previous = r
          }
        }
      }
    }
    return sweeps
  }

  /// `max |xᵢ(Σx)ᵢ − bᵢ|`.
  static func stopping(_ x: [Double], _ sx: [Double], _ b: [Double]) -> Double {
    var r = 0.0
    for i in x.indices { r = max(r, abs(x[i] * sx[i] - b[i])) }
    return r.isNaN ? .infinity : r
  }

  /// `½xᵀ(Σx) − Σ bᵢ log xᵢ`.
  static func objective(_ x: [Double], _ sx: [Double], _ b: [Double]) -> Double {
    var q = 0.0
    var l = 0.0
    for i in x.indices {
      q += x[i] * sx[i]
      l += b[i] * naturalLog(x[i])
    }
    return 0.5 * q - l
  }
}

/// A covariance made ready for the risk-parity solver, with what was changed.
public struct SolverCovariance: Sendable {
  public let matrix: SymmetricMatrix
  /// Set when the matrix was singular or not positive semidefinite and its
  /// eigenvalues were raised to ``floor``.
  public let repair: PSDRepair?
  /// The eigenvalue floor used for a repair: `1e-10 × the largest eigenvalue`.
  public let floor: Double?

  /// Checks `Σ` is finite, has a positive diagonal and is positive definite
  /// (Cholesky). A singular or indefinite `Σ` (more instruments than
  /// observations, duplicated or perfectly hedged instruments, a non-PSD
  /// estimate) is repaired by clipping its eigenvalues to
  /// `1e-10 × λ_max` (nearest such matrix in the Frobenius norm), so that the
  /// risk-parity problem has a unique solution; the repair is reported.
  ///
  /// - Parameter symbols: names for the error messages, in matrix order.
  /// - Throws: ``EstimationError/constantSeries(symbol:)`` for a zero variance,
  ///   ``EstimationError/nonFinite(_:)``, ``EstimationError/linearAlgebra(_:)``.
  public static func prepare(_ sigma: SymmetricMatrix, symbols: [String]) throws(EstimationError) -> SolverCovariance {
    guard sigma.isFinite else { throw .nonFinite("the covariance") }
    for (i, v) in sigma.diagonal.enumerated() where !(v > 0) {
      throw .constantSeries(symbol: i < symbols.count ? symbols[i] : "instrument \(i + 1)")
    }
    do {
      if try sigma.cholesky().isPositiveDefinite { return SolverCovariance(matrix: sigma, repair: nil, floor: nil) }
      let largest = try sigma.eigenvalues().last ?? 0
      let floor = 1e-10 * max(largest, 0)
      let repair = try sigma.nearestPositiveSemidefinite(floor: floor)
      guard repair.changed else { return SolverCovariance(matrix: sigma, repair: nil, floor: nil) }
      return SolverCovariance(matrix: repair.matrix, repair: repair, floor: floor)
    } catch {
      throw .linearAlgebra(error)
    }
  }
}
