/// How a position's price was found under a scenario.
public enum RepricingMethod: String, Sendable, Hashable, CaseIterable {
  /// No shock reached it.
  case unchanged
  /// P₁ = P₀ · (1 + change): every instrument shocked directly (an option shocked as itself too).
  case linear
  /// An option through its underlying, P₁ = P₀ + Δ·(S₁ − S₀), floored at zero.
  case delta
  /// P₁ = P₀ + Δ·(S₁ − S₀) + ½Γ·(S₁ − S₀)², floored at zero.
  case deltaGamma = "delta-gamma"
  /// Black–Scholes at S₁ with the implied volatility (given, or backed out from P₀).
  case blackScholes = "black-scholes"
}

/// The one repricing model of what-if: a linear instrument moves with its shock; an
/// option moves with its underlying by its own model and is never worth less than 0,
/// so a long option loses at most its premium (and a short one gains at most it).
public enum ShockRepricer {
  /// A directly shocked price: P₁ = P₀ · (1 + change).
  public static func linear(_ price: Double, change: Double) -> Double { price * (1 + change) }

  /// An option's price when its underlying moves from `s0` by `change` (``OptionRepricer``):
  /// Black–Scholes when strike, expiry and right are known (the implied volatility given, or
  /// backed out from the price, times the scenario's volatility multiplier), else
  /// delta–gamma with a gamma, else delta; floored at zero. Nil without a delta or terms.
  public static func option(
    _ p: Position, price p0: Double, underlying s0: Double, change: Double, asOf: Day, volatilityMultiplier: Double = 1
  ) -> (price: Double, method: RepricingMethod, floored: Bool, notes: [String])? {
    let terms = OptionTerms(
      right: p.optionRight ?? .call, strike: p.optionRight == nil ? nil : p.strike,
      daysToExpiry: p.expiry.map { $0 - asOf }, impliedVolatility: p.impliedVolatility, delta: p.delta, gamma: p.gamma)
    guard
      let r = try? OptionRepricer.reprice(
        terms, price: p0, underlyingFrom: s0, to: s0 * (1 + change), volatilityMultiplier: volatilityMultiplier)
    else { return nil }
    let method: RepricingMethod
    switch r.method {
    case .blackScholes: method = .blackScholes
    case .deltaGamma: method = .deltaGamma
    case .delta: method = .delta
    }
    return (r.price, method, r.floored, r.notes)
  }
}
