extension BlackScholes {
  /// The volatilities the implied-volatility solver searches.
  public static let impliedVolatilityRange: ClosedRange<Double> = 1e-6...10
  /// The solver's iteration cap (a bisection alone needs ~75 steps to narrow the range to ulps).
  public static let impliedVolatilityMaximumIterations = 200

  /// The volatility σ ∈ [1e-6, 10] at which the Black–Scholes–Merton value of this option is
  /// `price` (the other inputs as in `init(spot:strike:years:volatility:rate:dividendYield:)`).
  ///
  /// Newton's method on vega, started at the inflection point of price in σ,
  /// σ* = √(2 |ln(F/K)| / T) (Manaster & Koehler 1982: from there Newton converges
  /// monotonically), or at the at-the-money approximation σ ≈ price / (0.4 S e^{−qT} √T) when
  /// F = K. Every step keeps a bracket [lo, hi] with price(lo) < price < price(hi) and bisects it
  /// instead whenever the Newton step would leave it, would not halve the step before last, or
  /// vega is 0 (Numerical Recipes' `rtsafe`), so it converges even where the price is flat or
  /// noisy. It stops when the price error is within the rounding of the formula itself (2 ulp of
  /// its two terms), the step is within 2 ulp of σ, or the bracket has closed to 4 ulp.
  ///
  /// - Throws: `OptionPricingError.nonFinite` / `.outOfDomain` for bad inputs;
  ///   `.volatilityUndetermined` when T ≤ 0 or S ≤ 0 (the value does not depend on σ);
  ///   `.priceBelowIntrinsic` below the discounted intrinsic value of the forward (by more than
  ///   its rounding);
  ///   `.priceAboveUpperBound` at or above S e^{−qT} (call) or K e^{−rT} (put);
  ///   `.volatilityOutOfRange` between those bounds but outside price(1e-6)…price(10);
  ///   `.noConvergence` if the iteration cap is reached. Never returns NaN.
  public static func impliedVolatility(
    price: Double, right: OptionRight, spot: Double, strike: Double, years: Double, rate: Double = 0,
    dividendYield: Double = 0
  ) throws(OptionPricingError) -> Double {
    try OptionPricingError.requireFinite([("price", price)])
    let option = try BlackScholes(
      spot: spot, strike: strike, years: years, volatility: 0, rate: rate, dividendYield: dividendYield)
    return try option.impliedVolatility(price: price, right: right)
  }

  /// The same with T = `daysToExpiry` / 365.
  public static func impliedVolatility(
    price: Double, right: OptionRight, spot: Double, strike: Double, daysToExpiry: Int, rate: Double = 0,
    dividendYield: Double = 0
  ) throws(OptionPricingError) -> Double {
    try impliedVolatility(
      price: price, right: right, spot: spot, strike: strike, years: years(daysToExpiry: daysToExpiry), rate: rate,
      dividendYield: dividendYield)
  }

  /// The solver on validated inputs; `self.volatility` is ignored.
  func impliedVolatility(price: Double, right: OptionRight) throws(OptionPricingError) -> Double {
    guard years > 0 else {
      throw .volatilityUndetermined(reason: "the option has expired (T ≤ 0); its value is intrinsic at any volatility")
    }
    guard spot > 0 else {
      throw .volatilityUndetermined(reason: "the underlying's price is ≤ 0; the value does not depend on volatility")
    }
    let limits = bounds(right)
    // A price within rounding of the lower bound (4 ulp of the larger term) is not "below" it.
    let slack = 4 * Double.ulpOfOne * max(spot * spotDiscount, strike * strikeDiscount)
    guard price >= limits.lowerBound - slack else {
      throw .priceBelowIntrinsic(price: price, intrinsic: limits.lowerBound)
    }
    guard price < limits.upperBound else { throw .priceAboveUpperBound(price: price, upperBound: limits.upperBound) }

    var lo = Self.impliedVolatilityRange.lowerBound
    var hi = Self.impliedVolatilityRange.upperBound
    let lowest = with(volatility: lo).price(right)
    let highest = with(volatility: hi).price(right)
    guard price >= lowest, price <= highest else {
      throw .volatilityOutOfRange(price: price, lowest: lowest, highest: highest)
    }
    if price == lowest { return lo }
    if price == highest { return hi }

    var sigma = min(max(initialGuess(price: price), lo), hi)
    var error = 0.0
    // Safeguarded Newton (Numerical Recipes' rtsafe): bisect when the Newton step would leave the
    // bracket or would not at least halve the step before last, so the bracket keeps shrinking
    // even where rounding noise in the price dominates (far from the money, vega ~ 0).
    var step = hi - lo
    var stepBefore = step
    for _ in 0..<Self.impliedVolatilityMaximumIterations {
      let trial = with(volatility: sigma)
      error = trial.price(right) - price
      if abs(error) <= 2 * Double.ulpOfOne * trial.termMagnitude(right) { return sigma }
      if error < 0 { lo = sigma } else { hi = sigma }
      let vega = trial.vega
      let newton = sigma - error / vega
      stepBefore = step
      if vega > 0 && newton > lo && newton < hi && abs(2 * error) <= abs(stepBefore * vega) {
        step = sigma - newton
        sigma = newton
      } else {
        step = 0.5 * (hi - lo)
        sigma = lo + step
      }
      if abs(step) <= 2 * Double.ulpOfOne * sigma || hi - lo <= 4 * Double.ulpOfOne * hi { return sigma }
    }
    throw .noConvergence(iterations: Self.impliedVolatilityMaximumIterations, volatility: sigma, priceError: error)
  }

  /// σ* = √(2 |ln(F/K)| / T), or the at-the-money approximation when F = K.
  func initialGuess(price: Double) -> Double {
    let moneyness = naturalLog(spot / strike) + (rate - dividendYield) * years
    if moneyness != 0 { return (2 * abs(moneyness) / years).squareRoot() }
    return price / (0.4 * spot * spotDiscount * years.squareRoot())
  }

  /// The size of the two terms whose difference is the price (the scale of its rounding error).
  func termMagnitude(_ right: OptionRight) -> Double {
    guard case .diffusive(let d1, let d2) = regime else { return max(spot * spotDiscount, strike * strikeDiscount) }
    switch right {
    case .call: return spot * spotDiscount * Self.normalCDF(d1) + strike * strikeDiscount * Self.normalCDF(d2)
    case .put: return strike * strikeDiscount * Self.normalCDF(-d2) + spot * spotDiscount * Self.normalCDF(-d1)
    }
  }
}
