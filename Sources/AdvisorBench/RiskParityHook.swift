import LinearAlgebra
import RiskCore

/// The risk-parity case (issue 8: "the risk-parity solve at N ∈ {20, 100, 500, 1000}").
///
/// `solver` calls RiskCore's `RiskParity.solve` (coordinate-descent warm start,
/// then Newton steps on dposv); the cases run at every N on the Ledoit–Wolf covariance of the synthetic
/// returns, each checked by its risk contributions (every `w_i (Σw)_i / wᵀΣw`
/// within 1e-6 of its budget), with no other change to the harness.
enum RiskParityHook {
  /// `(covariance, budgets summing to 1) -> long-only weights summing to 1`.
  typealias Solver = @Sendable (SymmetricMatrix, [Double]) throws -> [Double]

  static let solver: Solver = { covariance, budgets in try RiskParity.solve(covariance, budgets: budgets).weights }

  /// The largest `|RC_i − b_i|` of `weights` on `covariance` (RC_i the share of risk).
  static func budgetError(_ covariance: SymmetricMatrix, weights: [Double], budgets: [Double]) throws -> Double {
    let sw = try covariance.multiplied(by: weights)
    var total = 0.0
    for i in weights.indices { total += weights[i] * sw[i] }
    var worst = 0.0
    for i in weights.indices { worst = max(worst, abs(weights[i] * sw[i] / total - budgets[i])) }
    return worst
  }
}
