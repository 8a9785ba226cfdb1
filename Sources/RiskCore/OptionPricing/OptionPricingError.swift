/// Why an option could not be priced, its volatility implied or its price repriced. The pricer,
/// the implied-volatility solver and the repricer throw this instead of returning NaN.
public enum OptionPricingError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The named input is NaN or infinite.
  case nonFinite(input: String)
  /// The named input is finite but outside its domain (`requirement`, e.g. "> 0").
  case outOfDomain(input: String, value: Double, requirement: String)
  /// The price is below the no-arbitrage lower bound of a European option, the discounted
  /// intrinsic value of the forward, max(±(S e^{−qT} − K e^{−rT}), 0): no volatility gives it.
  case priceBelowIntrinsic(price: Double, intrinsic: Double)
  /// The price is at or above the no-arbitrage upper bound, S e^{−qT} (call) or K e^{−rT} (put),
  /// the value as σ → ∞: no finite volatility gives it.
  case priceAboveUpperBound(price: Double, upperBound: Double)
  /// The price is within the no-arbitrage bounds but outside the prices the solver's volatility
  /// range gives (`lowest` at σ = 1e-6, `highest` at σ = 10), typically an option quoted at its
  /// intrinsic value, with no time value left to imply a volatility from.
  case volatilityOutOfRange(price: Double, lowest: Double, highest: Double)
  /// The value does not depend on volatility (expired, or a worthless underlying), so no
  /// volatility can be implied from it.
  case volatilityUndetermined(reason: String)
  /// The solver did not reach its tolerance within its iterations (not expected: a Newton step
  /// is kept only if it at least halves the step before last, otherwise the bracket is bisected).
  case noConvergence(iterations: Int, volatility: Double, priceError: Double)
  /// A repricing method was asked for without a term it needs (e.g. `delta-gamma` without gamma).
  case missingTerm(method: OptionRepricingMethod, term: String)
  /// No repricing method has its terms: neither strike and days to expiry (black-scholes) nor a
  /// delta were given.
  case noRepricingMethod

  public var description: String {
    switch self {
    case .nonFinite(let input): return "option pricing: \(input) is not a finite number"
    case .outOfDomain(let input, let value, let requirement):
      return "option pricing: \(input) must be \(requirement) (got \(noteNumber(value)))"
    case .priceBelowIntrinsic(let price, let intrinsic):
      return
        "option price \(noteNumber(price)) is below its discounted intrinsic value \(noteNumber(intrinsic)): no volatility gives it"
    case .priceAboveUpperBound(let price, let bound):
      return
        "option price \(noteNumber(price)) is at or above its no-arbitrage upper bound \(noteNumber(bound)): no volatility gives it"
    case .volatilityOutOfRange(let price, let lowest, let highest):
      return
        "option price \(noteNumber(price)) is outside \(noteNumber(lowest))…\(noteNumber(highest)), the prices for volatilities 1e-6…10 (no time value to imply a volatility from?)"
    case .volatilityUndetermined(let reason): return "no volatility can be implied: \(reason)"
    case .noConvergence(let iterations, let volatility, let error):
      return
        "implied volatility did not converge in \(iterations) iterations (σ \(volatility), price error \(noteNumber(error)))"
    case .missingTerm(let method, let term): return "the \(method.rawValue) repricing needs the option's \(term)"
    case .noRepricingMethod:
      return "an option needs its strike and days to expiry (black-scholes) or its delta to be repriced"
    }
  }

  static func requireFinite(_ inputs: [(String, Double)]) throws(OptionPricingError) {
    for (name, value) in inputs where !value.isFinite { throw .nonFinite(input: name) }
  }
}

/// A number for a message: 4 decimals from 0.001 up, else two significant digits (`2.3e-12`).
func noteNumber(_ x: Double) -> String {
  guard x.isFinite, x != 0 else { return "\(x)" }
  guard abs(x) >= 1e-3 else { return sci(x) }
  let rounded = (x * 1e4).rounded() / 1e4
  return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : "\(rounded)"
}
