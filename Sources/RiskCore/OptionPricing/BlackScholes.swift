/// Call or put.
public enum OptionRight: String, Sendable, Hashable, CaseIterable, Codable {
  case call, put
}

/// European option values under Black–Scholes–Merton with a continuous dividend yield.
///
/// Conventions:
/// - `volatility` σ is annual (a standard deviation of log returns per √year); `years` is the time
///   to expiry T in years, from calendar days ACT/365 (`years(daysToExpiry:)`: days / 365).
/// - `rate` r and `dividendYield` q are annual and continuously compounded (both default to 0);
///   the forward is F = S e^{(r−q)T}. A currency option takes q = the foreign rate, a futures
///   option S = the futures price and q = r (Black 1976).
/// - d₁ = (ln(S/K) + (r − q)T) / (σ√T) + σ√T/2, d₂ = d₁ − σ√T, and N(x) = ½ erfc(−x/√2)
///   (C library `erfc`, accurate in both tails), φ(x) = e^{−x²/2}/√(2π).
/// - call = S e^{−qT} N(d₁) − K e^{−rT} N(d₂), put = K e^{−rT} N(−d₂) − S e^{−qT} N(−d₁).
/// - delta = ∂price/∂S: call e^{−qT} N(d₁), put −e^{−qT} N(−d₁); gamma = ∂²price/∂S² =
///   e^{−qT} φ(d₁)/(S σ√T); vega = ∂price/∂σ = S e^{−qT} φ(d₁) √T, per unit of σ (a move of one
///   vol point, 0.01, changes the price by vega × 0.01). Gamma and vega are the same for a call
///   and a put.
///
/// Edge cases (never NaN for inputs the initialiser accepts, as long as S e^{−qT} and K e^{−rT}
/// do not overflow):
/// - T ≤ 0 (expired): the intrinsic value max(S − K, 0) or max(K − S, 0); delta 1/0 (call) or
///   −1/0 (put) in or out of the money and ±½ exactly at the strike; gamma and vega 0.
/// - S ≤ 0 (a worthless underlying): call 0, put K e^{−rT}; call delta 0, put delta −e^{−qT};
///   gamma and vega 0.
/// - σ√T below `minimumStandardDeviation` (σ = 0 included): the σ → 0 limit, the discounted
///   intrinsic value of the forward, max(S e^{−qT} − K e^{−rT}, 0) for a call and
///   max(K e^{−rT} − S e^{−qT}, 0) for a put; delta e^{−qT} (call) or −e^{−qT} (put) in the money
///   of the forward, 0 out of it, half that exactly at it; gamma 0 (its limit at the forward is a
///   point mass, which no number represents); vega its limit, S e^{−qT} √T φ(0) at the forward
///   and 0 elsewhere.
/// - Deep in or out of the money the formula itself is used (d₁, d₂ may be ±∞, where erfc is
///   exact); rounding can leave it a few ulps below 0 far out of the money, so the price is
///   clamped at 0.
///
/// American early exercise, skew/smile (one σ for every strike) and discrete dividends are
/// not modelled.
public struct BlackScholes: Sendable, Hashable {
  /// Days in a year for `years(daysToExpiry:)` (ACT/365).
  public static let daysPerYear = 365.0
  /// Below this σ√T the σ → 0 limit is used (its distance from the formula is below
  /// 0.4 × 1e-12 × S in price).
  public static let minimumStandardDeviation = 1e-12

  public let spot: Double
  public let strike: Double
  public let years: Double
  public let volatility: Double
  public let rate: Double
  public let dividendYield: Double

  /// T in years from calendar days to expiry, ACT/365.
  public static func years(daysToExpiry days: Int) -> Double { Double(days) / daysPerYear }

  /// - Throws: `OptionPricingError.nonFinite` naming the first NaN or infinite input;
  ///   `.outOfDomain` for a strike ≤ 0 or a volatility < 0. A spot ≤ 0 and years ≤ 0 are valid
  ///   (see the edge cases above).
  public init(
    spot: Double, strike: Double, years: Double, volatility: Double, rate: Double = 0, dividendYield: Double = 0
  ) throws(OptionPricingError) {
    try OptionPricingError.requireFinite(
      [
        ("spot", spot), ("strike", strike), ("years", years), ("volatility", volatility), ("rate", rate),
        ("dividendYield", dividendYield),
      ])
    guard strike > 0 else { throw .outOfDomain(input: "strike", value: strike, requirement: "> 0") }
    guard volatility >= 0 else { throw .outOfDomain(input: "volatility", value: volatility, requirement: "≥ 0") }
    self.init(
      unchecked: spot, strike: strike, years: years, volatility: volatility, rate: rate, dividendYield: dividendYield)
  }

  /// The same with T = `daysToExpiry` / 365.
  public init(
    spot: Double, strike: Double, daysToExpiry: Int, volatility: Double, rate: Double = 0, dividendYield: Double = 0
  ) throws(OptionPricingError) {
    try self.init(
      spot: spot, strike: strike, years: Self.years(daysToExpiry: daysToExpiry), volatility: volatility, rate: rate,
      dividendYield: dividendYield)
  }

  init(unchecked spot: Double, strike: Double, years: Double, volatility: Double, rate: Double, dividendYield: Double) {
    self.spot = spot
    self.strike = strike
    self.years = years
    self.volatility = volatility
    self.rate = rate
    self.dividendYield = dividendYield
  }

  /// The same option at another volatility (inputs already validated).
  func with(volatility: Double) -> BlackScholes {
    BlackScholes(
      unchecked: spot, strike: strike, years: years, volatility: volatility, rate: rate, dividendYield: dividendYield)
  }

  // MARK: Values

  /// The option's value.
  public func price(_ right: OptionRight) -> Double {
    switch regime {
    case .expired:
      let s = max(spot, 0)
      return right == .call ? max(s - strike, 0) : max(strike - s, 0)
    case .worthlessUnderlying:
      return right == .call ? 0 : strike * strikeDiscount
    case .deterministic:
      return max(0, Self.sign(right) * (spot * spotDiscount - strike * strikeDiscount))
    case .diffusive(let d1, let d2):
      let value: Double
      switch right {
      case .call: value = spot * spotDiscount * Self.normalCDF(d1) - strike * strikeDiscount * Self.normalCDF(d2)
      case .put: value = strike * strikeDiscount * Self.normalCDF(-d2) - spot * spotDiscount * Self.normalCDF(-d1)
      }
      return max(0, value)
    }
  }

  /// ∂price/∂S.
  public func delta(_ right: OptionRight) -> Double {
    switch regime {
    case .expired:
      return Self.sign(right) * Self.step(Self.sign(right) * (spot - strike))
    case .worthlessUnderlying:
      return right == .call ? 0 : -spotDiscount
    case .deterministic(let moneyness):
      return Self.sign(right) * spotDiscount * Self.step(Self.sign(right) * moneyness)
    case .diffusive(let d1, _):
      return right == .call ? spotDiscount * Self.normalCDF(d1) : -spotDiscount * Self.normalCDF(-d1)
    }
  }

  /// ∂²price/∂S², the same for a call and a put.
  public var gamma: Double {
    guard case .diffusive(let d1, _) = regime else { return 0 }
    let density = Self.normalPDF(d1)
    // 0 when d₁ is far in a tail; checked first so that a denominator that underflows cannot make 0/0.
    guard density > 0 else { return 0 }
    return spotDiscount * density / (spot * standardDeviation)
  }

  /// ∂price/∂σ per unit of σ, the same for a call and a put.
  public var vega: Double {
    switch regime {
    case .expired, .worthlessUnderlying: return 0
    case .deterministic(let moneyness): return moneyness == 0 ? spot * spotDiscount * years.squareRoot() * Self.normalPDF(0) : 0
    case .diffusive(let d1, _): return spot * spotDiscount * Self.normalPDF(d1) * years.squareRoot()
    }
  }

  /// F = S e^{(r−q)T}.
  public var forward: Double { spot * naturalExp((rate - dividendYield) * max(years, 0)) }

  /// The no-arbitrage bounds of a European option's value: from the discounted intrinsic value
  /// of the forward (the σ → 0 limit) to S e^{−qT} (call) or K e^{−rT} (put), the σ → ∞ limit.
  /// Expired: the intrinsic value for both.
  public func bounds(_ right: OptionRight) -> ClosedRange<Double> {
    switch regime {
    case .expired, .worthlessUnderlying:
      let p = price(right)
      return p...p
    case .deterministic, .diffusive:
      let low = max(0, Self.sign(right) * (spot * spotDiscount - strike * strikeDiscount))
      let high = right == .call ? spot * spotDiscount : strike * strikeDiscount
      return low...max(low, high)
    }
  }

  // MARK: Internals

  enum Regime {
    case expired
    case worthlessUnderlying
    /// σ√T ≈ 0; `moneyness` = ln(F/K).
    case deterministic(moneyness: Double)
    case diffusive(d1: Double, d2: Double)
  }

  var standardDeviation: Double { volatility * max(years, 0).squareRoot() }
  var spotDiscount: Double { naturalExp(-dividendYield * max(years, 0)) }
  var strikeDiscount: Double { naturalExp(-rate * max(years, 0)) }

  var regime: Regime {
    guard years > 0 else { return .expired }
    guard spot > 0 else { return .worthlessUnderlying }
    let moneyness = naturalLog(spot / strike) + (rate - dividendYield) * years
    let v = standardDeviation
    guard v >= Self.minimumStandardDeviation else { return .deterministic(moneyness: moneyness) }
    let d1 = moneyness / v + v / 2
    return .diffusive(d1: d1, d2: d1 - v)
  }

  /// +1 for a call, −1 for a put.
  static func sign(_ right: OptionRight) -> Double { right == .call ? 1 : -1 }

  /// 1 above 0, 0 below, ½ at 0.
  static func step(_ x: Double) -> Double { x > 0 ? 1 : (x < 0 ? 0 : 0.5) }

  /// The standard normal distribution function N(x) = ½ erfc(−x/√2).
  public static func normalCDF(_ x: Double) -> Double { 0.5 * complementaryErrorFunction(-x / 2.0.squareRoot()) }

  /// The standard normal density φ(x) = e^{−x²/2}/√(2π).
  public static func normalPDF(_ x: Double) -> Double { naturalExp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }
}
