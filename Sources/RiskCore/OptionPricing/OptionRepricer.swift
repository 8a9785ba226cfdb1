/// What is known about one option (per unit of the underlying: no multiplier, no quantity).
/// Every field but `right` is optional; `OptionRepricer` uses the best method the fields allow.
public struct OptionTerms: Sendable, Hashable {
  public var right: OptionRight
  public var strike: Double?
  /// Calendar days from the as-of date to expiry (T = days / 365); ≤ 0 means expired.
  public var daysToExpiry: Int?
  /// Annual σ; when nil, `black-scholes` backs it out of the current price.
  public var impliedVolatility: Double?
  public var delta: Double?
  public var gamma: Double?
  /// Continuously compounded annual rate r (default 0).
  public var rate: Double
  /// Continuously compounded annual dividend yield q (default 0).
  public var dividendYield: Double

  public init(
    right: OptionRight, strike: Double? = nil, daysToExpiry: Int? = nil, impliedVolatility: Double? = nil,
    delta: Double? = nil, gamma: Double? = nil, rate: Double = 0, dividendYield: Double = 0
  ) {
    self.right = right
    self.strike = strike
    self.daysToExpiry = daysToExpiry
    self.impliedVolatility = impliedVolatility
    self.delta = delta
    self.gamma = gamma
    self.rate = rate
    self.dividendYield = dividendYield
  }
}

/// How an option's new price was found; `rawValue` is the stable identifier for reports.
/// Cases are in order of preference.
public enum OptionRepricingMethod: String, Sendable, Hashable, CaseIterable, Codable {
  /// Black–Scholes–Merton at the new underlying price (needs strike and days to expiry).
  case blackScholes = "black-scholes"
  /// P₀ + Δ·(S₁ − S₀) + ½Γ·(S₁ − S₀)² (needs delta and gamma).
  case deltaGamma = "delta-gamma"
  /// P₀ + Δ·(S₁ − S₀) (needs delta).
  case delta = "delta"
}

/// Where the `black-scholes` volatility came from; `rawValue` for reports.
public enum VolatilitySource: String, Sendable, Hashable, Codable {
  case given
  case impliedFromPrice = "implied-from-price"
}

/// One named number a repricing used, for reports (names are the API's parameter names).
public struct RepricingInput: Sendable, Hashable {
  public let name: String
  public let value: Double

  public init(_ name: String, _ value: Double) {
    self.name = name
    self.value = value
  }
}

/// An option's price after its underlying moved, and how it was found.
public struct RepricedOption: Sendable, Hashable {
  /// The new price, ≥ 0.
  public let price: Double
  /// The method's value before the floor at 0 (equal to `price` unless `floored`).
  public let modelPrice: Double
  /// The price before the move (the `price` passed in).
  public let initialPrice: Double
  public let method: OptionRepricingMethod
  /// True when the method's value was below 0 and the floor set the price to 0.
  public let floored: Bool
  /// `black-scholes`: the volatility at the as-of date, before any multiplier; nil otherwise.
  public let impliedVolatility: Double?
  public let volatilitySource: VolatilitySource?
  /// Every number the method used, in a fixed order.
  public let inputs: [RepricingInput]
  /// Plain-language remarks: why a preferred method was not used, what was ignored.
  public let notes: [String]

  /// `price − initialPrice`, per unit (≥ −initialPrice, since `price` ≥ 0).
  public var change: Double { price - initialPrice }

  /// The value of the input named `name`, if it was used.
  public func input(_ name: String) -> Double? { inputs.first { $0.name == name }?.value }
}

/// The one model for an option's new price when its underlying moves from S₀ to S₁, optionally
/// with its volatility multiplied; the days to expiry are held at their as-of value (an
/// instantaneous shock: no time decay).
///
/// Methods, in order of preference (the first whose terms are known is used):
/// 1. `black-scholes` — strike and days to expiry known: σ is the given implied volatility, or
///    else the one backed out of the current price (`BlackScholes.impliedVolatility`); the new
///    price is the Black–Scholes–Merton value at S₁ and σ × `volatilityMultiplier`, with the
///    terms' r and q. With the implied volatility backed out, S₁ = S₀ gives back P₀. A given
///    implied volatility is trusted: the new price is the model's value at S₁ even if the
///    model's value at S₀ differs from P₀ (it is in `inputs` as `modelPriceAtFrom`, and a note
///    says so when they differ by more than 1%). An expired option (days ≤ 0) is worth its
///    intrinsic value at S₁ and needs no volatility. When no volatility can be implied (the
///    price is below intrinsic, say) and a delta is known, the next method is used and a note
///    says why; otherwise the error is thrown.
/// 2. `delta-gamma` — delta and gamma known: P₀ + Δ·(S₁ − S₀) + ½Γ·(S₁ − S₀)².
/// 3. `delta` — only delta known: P₀ + Δ·(S₁ − S₀).
///
/// The volatility multiplier only reaches `black-scholes`; the delta methods have no vega and
/// note that they ignored it.
///
/// The floor: in every method the new price is max(value, 0), because an option is never
/// worth less than nothing. So a long option loses at most its premium P₀ and a short one gains
/// at most P₀, whatever the shock; `floored` says when the floor bound (the delta methods below
/// 0, as a −30% shock does to a long call through delta alone). The Black–Scholes–Merton value
/// is never negative, so the floor never binds for `black-scholes`.
///
/// Not modelled: American early exercise (a European value; an American call on a
/// non-dividend-paying stock is worth the same, an American put may be worth more), skew and
/// smile (the one σ is used at the new moneyness), discrete dividends (only a continuous
/// yield q), and the volatility's own response to the move unless the multiplier is set.
public enum OptionRepricer {
  /// The methods the terms allow, in order of preference (before trying to imply a volatility).
  public static func methods(for terms: OptionTerms) -> [OptionRepricingMethod] {
    var methods: [OptionRepricingMethod] = []
    if terms.strike != nil && terms.daysToExpiry != nil { methods.append(.blackScholes) }
    if terms.delta != nil && terms.gamma != nil { methods.append(.deltaGamma) }
    if terms.delta != nil { methods.append(.delta) }
    return methods
  }

  /// The option's price once its underlying moves from `s0` to `s1` (per unit; multiply by the
  /// contract multiplier and quantity outside).
  ///
  /// - Parameters:
  ///   - terms: what is known about the option.
  ///   - price: its current price P₀ (≥ 0), at underlying price `s0`.
  ///   - s0: the underlying's price at the as-of date (> 0).
  ///   - s1: the underlying's shocked price (≥ 0).
  ///   - volatilityMultiplier: σ is multiplied by this (≥ 0) for `black-scholes`.
  ///   - method: force one method (throws `.missingTerm` without its terms, and never falls
  ///     back); nil picks the preferred one.
  /// - Throws: `OptionPricingError.nonFinite` naming a NaN or infinite input, `.outOfDomain`,
  ///   `.missingTerm`, `.noRepricingMethod`, or the implied-volatility errors.
  public static func reprice(
    _ terms: OptionTerms, price: Double, underlyingFrom s0: Double, to s1: Double, volatilityMultiplier: Double = 1,
    method: OptionRepricingMethod? = nil
  ) throws(OptionPricingError) -> RepricedOption {
    try validate(terms, price: price, s0: s0, s1: s1, volatilityMultiplier: volatilityMultiplier)
    let shock = Move(terms: terms, price: price, s0: s0, s1: s1, volatilityMultiplier: volatilityMultiplier)

    if let method {
      switch method {
      case .blackScholes: return try blackScholes(shock)
      case .deltaGamma: return try deltaGamma(shock)
      case .delta: return try delta(shock)
      }
    }

    let available = methods(for: terms)
    guard let preferred = available.first else { throw .noRepricingMethod }
    if preferred == .blackScholes {
      do {
        return try blackScholes(shock)
      } catch {
        // Only the implied-volatility errors get here (the inputs are validated); fall back if we can.
        guard available.count > 1 else { throw error }
        let fallback = available.contains(.deltaGamma) ? try deltaGamma(shock) : try delta(shock)
        return fallback.adding(note: "black-scholes not used: \(error.description)", first: true)
      }
    }
    return preferred == .deltaGamma ? try deltaGamma(shock) : try delta(shock)
  }

  // MARK: Methods

  struct Move {
    let terms: OptionTerms
    let price: Double
    let s0: Double
    let s1: Double
    let volatilityMultiplier: Double
    var move: Double { s1 - s0 }
    var moveInputs: [RepricingInput] {
      [RepricingInput("underlyingFrom", s0), RepricingInput("underlyingTo", s1), RepricingInput("price", price)]
    }
  }

  static func blackScholes(_ shock: Move) throws(OptionPricingError) -> RepricedOption {
    let terms = shock.terms
    guard let strike = terms.strike else { throw .missingTerm(method: .blackScholes, term: "strike") }
    guard let days = terms.daysToExpiry else { throw .missingTerm(method: .blackScholes, term: "daysToExpiry") }
    let years = BlackScholes.years(daysToExpiry: days)
    let now = BlackScholes(
      unchecked: shock.s0, strike: strike, years: years, volatility: 0, rate: terms.rate,
      dividendYield: terms.dividendYield)
    var inputs = shock.moveInputs + [RepricingInput("strike", strike), RepricingInput("daysToExpiry", Double(days))]
    inputs.append(RepricingInput("years", years))
    var notes: [String] = []

    var sigma: Double?
    var source: VolatilitySource?
    if let given = terms.impliedVolatility {
      sigma = given
      source = .given
    } else if years > 0 {
      sigma = try now.impliedVolatility(price: shock.price, right: terms.right)
      source = .impliedFromPrice
    }
    let shockedSigma = (sigma ?? 0) * shock.volatilityMultiplier
    if let sigma {
      inputs += [
        RepricingInput("impliedVolatility", sigma), RepricingInput("volatilityMultiplier", shock.volatilityMultiplier),
        RepricingInput("volatility", shockedSigma),
      ]
    } else {
      notes.append("expired (\(days) days to expiry): the intrinsic value at the new underlying price")
    }
    inputs += [RepricingInput("rate", terms.rate), RepricingInput("dividendYield", terms.dividendYield)]

    let modelNow = now.with(volatility: sigma ?? 0).price(terms.right)
    inputs.append(RepricingInput("modelPriceAtFrom", modelNow))
    if source == .given && abs(modelNow - shock.price) > 0.01 * shock.price {
      notes.append(
        "the given implied volatility prices the option at \(noteNumber(modelNow)), not \(noteNumber(shock.price)), at the current underlying price; the new price is the model's"
      )
    }
    let shocked = BlackScholes(
      unchecked: shock.s1, strike: strike, years: years, volatility: shockedSigma, rate: terms.rate,
      dividendYield: terms.dividendYield)
    return floored(
      shocked.price(terms.right), shock, method: .blackScholes, impliedVolatility: sigma, source: source,
      inputs: inputs, notes: notes)
  }

  static func deltaGamma(_ shock: Move) throws(OptionPricingError) -> RepricedOption {
    guard let delta = shock.terms.delta else { throw .missingTerm(method: .deltaGamma, term: "delta") }
    guard let gamma = shock.terms.gamma else { throw .missingTerm(method: .deltaGamma, term: "gamma") }
    let value = shock.price + delta * shock.move + 0.5 * gamma * shock.move * shock.move
    var notes = ignoredMultiplier(shock, "delta-gamma")
    // The parabola turns at ΔS = −Δ/Γ; past it the approximation moves against its own delta.
    if gamma > 0 && delta != 0 {
      let turn = -delta / gamma
      if shock.move / turn > 1 {
        notes.append(
          "the move \(noteNumber(shock.move)) passes the delta-gamma parabola's turning point \(noteNumber(turn)); beyond it the approximation turns back and overstates the option's value"
        )
      }
    }
    return floored(
      value, shock, method: .deltaGamma, impliedVolatility: nil, source: nil,
      inputs: shock.moveInputs + [RepricingInput("delta", delta), RepricingInput("gamma", gamma)], notes: notes)
  }

  static func delta(_ shock: Move) throws(OptionPricingError) -> RepricedOption {
    guard let delta = shock.terms.delta else { throw .missingTerm(method: .delta, term: "delta") }
    let value = shock.price + delta * shock.move
    return floored(
      value, shock, method: .delta, impliedVolatility: nil, source: nil,
      inputs: shock.moveInputs + [RepricingInput("delta", delta)], notes: ignoredMultiplier(shock, "delta"))
  }

  // MARK: Helpers

  static func floored(
    _ value: Double, _ shock: Move, method: OptionRepricingMethod, impliedVolatility: Double?,
    source: VolatilitySource?, inputs: [RepricingInput], notes: [String]
  ) -> RepricedOption {
    let binds = value < 0
    var notes = notes
    if binds {
      notes.append(
        "the \(method.rawValue) value \(noteNumber(value)) is below 0; floored at 0 (an option loses at most its premium)")
    }
    return RepricedOption(
      price: binds ? 0 : value, modelPrice: value, initialPrice: shock.price, method: method, floored: binds,
      impliedVolatility: impliedVolatility, volatilitySource: source, inputs: inputs, notes: notes)
  }

  static func ignoredMultiplier(_ shock: Move, _ name: String) -> [String] {
    guard shock.volatilityMultiplier != 1 else { return [] }
    return ["the volatility multiplier \(noteNumber(shock.volatilityMultiplier)) is ignored: the \(name) method has no vega"]
  }

  static func validate(
    _ terms: OptionTerms, price: Double, s0: Double, s1: Double, volatilityMultiplier: Double
  ) throws(OptionPricingError) {
    var named: [(String, Double)] = [
      ("price", price), ("underlyingFrom", s0), ("underlyingTo", s1), ("volatilityMultiplier", volatilityMultiplier),
    ]
    if let v = terms.strike { named.append(("strike", v)) }
    if let v = terms.impliedVolatility { named.append(("impliedVolatility", v)) }
    if let v = terms.delta { named.append(("delta", v)) }
    if let v = terms.gamma { named.append(("gamma", v)) }
    named += [("rate", terms.rate), ("dividendYield", terms.dividendYield)]
    try OptionPricingError.requireFinite(named)

    func require(_ ok: Bool, _ name: String, _ value: Double, _ requirement: String) throws(OptionPricingError) {
      guard ok else { throw .outOfDomain(input: name, value: value, requirement: requirement) }
    }
    try require(price >= 0, "price", price, "≥ 0")
    try require(s0 > 0, "underlyingFrom", s0, "> 0")
    try require(s1 >= 0, "underlyingTo", s1, "≥ 0")
    try require(volatilityMultiplier >= 0, "volatilityMultiplier", volatilityMultiplier, "≥ 0")
    if let k = terms.strike { try require(k > 0, "strike", k, "> 0") }
    if let v = terms.impliedVolatility { try require(v >= 0, "impliedVolatility", v, "≥ 0") }
  }
}

extension RepricedOption {
  func adding(note: String, first: Bool) -> RepricedOption {
    RepricedOption(
      price: price, modelPrice: modelPrice, initialPrice: initialPrice, method: method, floored: floored,
      impliedVolatility: impliedVolatility, volatilitySource: volatilitySource, inputs: inputs,
      notes: first ? [note] + notes : notes + [note])
  }
}
