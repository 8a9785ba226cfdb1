// The closed-form roots of the limit model, in one place.
//
// Every limit of a trade is a set of trade quantities q ≥ 0 in the trade's
// direction s (+1 buy, −1 sell). With u the base-currency exposure of one unit
// (entry × multiplier × FX), a trade of q moves the instrument's signed
// exposure from x₀ to x₀ + s·q·u. Each function here turns one limit's
// inequality into an interval of q, exactly (no search), so that `size`,
// `check`, `budget` and `whatif` all see the same numbers.

/// A closed interval of trade quantities, `lower ≤ q ≤ upper` (`upper` may be +∞).
public struct QuantityInterval: Sendable, Hashable {
  public let lower: Double
  public let upper: Double

  public init(_ lower: Double, _ upper: Double) {
    self.lower = lower
    self.upper = upper
  }

  /// `[0, upper]`.
  public static func upTo(_ upper: Double) -> QuantityInterval { QuantityInterval(0, Swift.max(0, upper)) }
  public static let everything = QuantityInterval(0, .infinity)

  /// Within the interval, with the model's one tolerance: a relative 1e-9 plus
  /// 1e-12 absolute, so that a lot-rounded quantity computed from `upper` passes.
  public func contains(_ q: Double) -> Bool {
    q <= upper * (1 + QuantityRoots.tolerance) + 1e-12 && q >= lower * (1 - QuantityRoots.tolerance) - 1e-12
  }
}

public enum QuantityRoots {
  /// The relative tolerance of every limit comparison (one for the whole model).
  public static let tolerance = 1e-9

  /// An exposure cap: the largest q with |x₀ + s·q·u| ≤ `room`, where a trade that
  /// reduces |x| is always allowed.
  ///
  /// With a = s·x₀ (the existing exposure in the trade's direction), the trade first
  /// reduces |x| by up to max(0, −a) (always allowed: it lowers the exposure), then adds
  /// up to max(0, room − max(a, 0)):
  /// `q_max = (max(0, −a) + max(0, room − max(a, 0))) / u`.
  ///
  /// - Parameters:
  ///   - room: the cap less what other positions already use, base currency.
  public static func exposureCap(existing x0: Double, side s: Double, unit u: Double, room: Double) -> QuantityInterval {
    let a = s * x0
    return .upTo((Swift.max(0, -a) + Swift.max(0, room - Swift.max(a, 0))) / u)
  }

  /// The set of q ≥ 0 with `A·q² + 2·B·q + C ≤ 0` (A ≥ 0), or nil when it is empty.
  ///
  /// Roots q = (−B ± √(B² − A·C)) / A. With A = 0 the form is constant in q
  /// (B = 0 too for a PSD covariance): all q when C ≤ 0, none otherwise.
  public static func quadratic(a: Double, b: Double, c: Double) -> QuantityInterval? {
    guard a > 0 else { return c <= 0 ? .everything : nil }
    let disc = b * b - a * c
    guard disc >= 0 else { return nil }
    let r = disc.squareRoot()
    let q1 = (-b - r) / a
    let q2 = (-b + r) / a
    guard q2 >= 0 else { return nil }
    return QuantityInterval(Swift.max(0, q1), q2)
  }

  /// The portfolio volatility budget: q with σ²(q) = v₀ + 2·s·q·u·(Σe)ₖ + q²·u²·Σₖₖ ≤ (budget·equity)²,
  /// i.e. ``quadratic(a:b:c:)`` with A = u²Σₖₖ, B = s·u·(Σe)ₖ, C = v₀ − (budget·equity)².
  public static func volatilityBudget(
    variance v0: Double, sigmaE sek: Double, skk: Double, side s: Double, unit u: Double, cap: Double
  ) -> (interval: QuantityInterval?, a: Double, b: Double, c: Double) {
    let a = u * u * skk
    let b = s * u * sek
    let c = v0 - cap * cap
    return (quadratic(a: a, b: b, c: c), a, b, c)
  }

  /// The Euler risk share of instrument k: with y its exposure after the trade,
  /// m = Σⱼ≠ₖ Σₖⱼ eⱼ and c₀ = the variance of the others,
  /// share(y) = y(Σₖₖ y + m) / (c₀ + 2 m y + Σₖₖ y²) ≤ ρ  ⇔  (1−ρ)Σₖₖ y² + (1−2ρ) m y − ρ c₀ ≤ 0.
  /// For ρ < 1 and c₀ ≥ 0 the roots straddle 0, so the allowed y form one interval
  /// [y₋, y₊] ∋ 0, mapped to q through y = x₀ + s·q·u.
  public static func riskShare(
    existing x0: Double, m: Double, c0: Double, skk: Double, rho: Double, side s: Double, unit u: Double
  ) -> (interval: QuantityInterval, yLow: Double, yHigh: Double) {
    let qa = (1 - rho) * skk
    let qb = (1 - 2 * rho) * m
    let qc = -rho * c0
    let r = Swift.max(0, qb * qb - 4 * qa * qc).squareRoot()
    let yLow = (-qb - r) / (2 * qa)
    let yHigh = (-qb + r) / (2 * qa)
    let lo = Swift.max(0, s > 0 ? (yLow - x0) / u : (x0 - yHigh) / u)
    let hi = Swift.max(0, s > 0 ? (yHigh - x0) / u : (x0 - yLow) / u)
    return (QuantityInterval(lo > hi ? 0 : lo, hi), yLow, yHigh)
  }

  /// The exposure y of instrument k at which its risk share is exactly ρ, on the side of
  /// `y0`'s sign (for a reduction): the root of the same quadratic as ``riskShare``.
  public static func riskShareBoundary(y0: Double, m: Double, c0: Double, skk: Double, rho: Double) -> Double {
    let qa = (1 - rho) * skk
    let qb = (1 - 2 * rho) * m
    let r = Swift.max(0, qb * qb + 4 * qa * rho * c0).squareRoot()
    return y0 > 0 ? (-qb + r) / (2 * qa) : (-qb - r) / (2 * qa)
  }

  /// The exposure y of one instrument (the others fixed) nearest to `y0` toward zero at
  /// which the portfolio variance Σₖₖ y² + 2 m y + c₀ meets `cap²`; 0 when none does.
  public static func volatilityBoundary(y0: Double, m: Double, c0: Double, skk: Double, cap: Double) -> Double {
    let disc = m * m - skk * (c0 - cap * cap)
    guard skk > 0, disc >= 0 else { return 0 }
    let r = disc.squareRoot()
    let roots = [(-m - r) / skk, (-m + r) / skk]
    let inside = roots.filter { y0 > 0 ? ($0 >= 0 && $0 <= y0) : ($0 <= 0 && $0 >= y0) }
    return inside.map(abs).max() ?? 0
  }

  /// The Euler risk share of a group G that holds instrument k: with e the exposures now,
  /// n₀ = Σᵢ∈G eᵢ(Σe)ᵢ, (Σe_G)ₖ = Σⱼ∈G Σₖⱼ eⱼ and v₀ = eᵀΣe, a change d of k's exposure gives
  /// share(d) = (n₀ + d·((Σe_G)ₖ + (Σe)ₖ) + d²Σₖₖ) / (v₀ + 2d(Σe)ₖ + d²Σₖₖ), so
  /// share ≤ ρ  ⇔  (1−ρ)Σₖₖ d² + ((Σe_G)ₖ + (Σe)ₖ − 2ρ(Σe)ₖ) d + (n₀ − ρ v₀) ≤ 0,
  /// a convex quadratic (k ∈ G): with d = s·q·u, ``quadratic(a:b:c:)`` with A = (1−ρ)Σₖₖu²,
  /// B = s·u·((Σe_G)ₖ + (1−2ρ)(Σe)ₖ)/2, C = n₀ − ρv₀ (nil: no q ≥ 0 brings the group within).
  public static func groupRiskShare(
    n0: Double, sigmaEGroup seg: Double, sigmaE sek: Double, variance v0: Double, skk: Double, rho: Double, side s: Double,
    unit u: Double
  ) -> (interval: QuantityInterval?, a: Double, b: Double, c: Double) {
    let a = (1 - rho) * skk * u * u
    let b = s * u * (seg + (1 - 2 * rho) * sek) / 2
    let c = n0 - rho * v0
    return (quadratic(a: a, b: b, c: c), a, b, c)
  }

  /// The exposure y of instrument k (a member of the group, the others fixed) nearest to its
  /// exposure `x` toward zero at which the group's share is exactly ρ: the root of the same
  /// quadratic in d = y − x between −x and 0; 0 when there is none (cutting k alone cannot cure it).
  public static func groupRiskShareBoundary(
    x: Double, n0: Double, sigmaEGroup seg: Double, sigmaE sek: Double, variance v0: Double, skk: Double, rho: Double
  ) -> Double {
    let a = (1 - rho) * skk
    let b = seg + (1 - 2 * rho) * sek
    let c = n0 - rho * v0
    guard a > 0 else { return 0 }
    let disc = b * b - 4 * a * c
    guard disc >= 0 else { return 0 }
    let r = disc.squareRoot()
    let roots = [(-b - r) / (2 * a), (-b + r) / (2 * a)]
    // d between −x and 0 (toward zero), the one nearest 0.
    let inside = roots.filter { x > 0 ? ($0 <= 0 && $0 >= -x) : ($0 >= 0 && $0 <= -x) }
    guard let d = inside.min(by: { abs($0) < abs($1) }) else { return 0 }
    return x + d
  }
}
