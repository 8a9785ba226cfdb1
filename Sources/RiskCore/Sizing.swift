import LinearAlgebra

/// The limits a trade is sized against, with stable identifiers.
public enum LimitID: String, Sendable, Hashable, CaseIterable, Codable {
  case riskBudget = "risk-budget"
  case notionalCap = "notional-cap"
  case accountLeverage = "account-leverage"
  case classLeverage = "class-leverage"
  case volatilityBudget = "volatility-budget"
  case riskShare = "risk-share"
  case liquidity

  public var title: String {
    switch self {
    case .riskBudget: return "risk budget"
    case .notionalCap: return "per-position notional cap"
    case .accountLeverage: return "account gross leverage"
    case .classLeverage: return "asset-class gross leverage"
    case .volatilityBudget: return "portfolio volatility budget"
    case .riskShare: return "risk-contribution cap"
    case .liquidity: return "liquidity (share of ADV)"
    }
  }
}

/// A named number with its unit and where it came from.
public struct NamedValue: Sendable, Hashable {
  public let name: String
  public let value: Double
  public let unit: String
  public let source: String?
  public init(_ name: String, _ value: Double, _ unit: String = "", source: String? = nil) {
    self.name = name
    self.value = value
    self.unit = unit
    self.source = source
  }
}

/// One limit as a range of trade quantities in the trade's direction.
///
/// `maxQuantity` nil means the limit does not apply (e.g. no volume data for
/// a liquidity cap); `minQuantity` above 0 means the account already breaks
/// the limit and only a trade at least that large brings it back within.
public struct LimitEvaluation: Sendable, Hashable {
  public let id: LimitID
  public let minQuantity: Double
  public let maxQuantity: Double?
  public let formula: String
  public let inputs: [NamedValue]
  public let note: String?
  public var binding: Bool = false

  public var applies: Bool { maxQuantity != nil }
}

/// A step of the calculation, with the numbers that went in.
public struct ExplanationStep: Sendable, Hashable {
  public let id: String
  public let title: String
  public let formula: String
  public let inputs: [NamedValue]
  public let value: Double
  public let unit: String
}

/// The recommendation for one trade and everything that explains it.
public struct SizeRecommendation: Sendable {
  public let symbol: String
  public let side: TradeSide
  public let profile: RegimeProfile
  public let spec: InstrumentSpec
  public let stats: InstrumentStats
  public let baseCurrency: String
  public let equity: Double
  public let entry: Double
  public let entrySource: String
  public let stop: Double
  public let stopSource: String
  public let stopDistance: Double
  public let stopDistanceATR: Double?
  public let stopDistanceSigma: Double
  public let fxRate: Double
  /// Base-currency exposure of one unit at the entry.
  public let unitExposure: Double
  /// Base-currency loss of one unit at the stop.
  public let riskPerUnit: Double
  public let limits: [LimitEvaluation]
  /// The tightest applicable limit (nil only when the size is zero for another reason).
  public let binding: LimitID?
  /// Smallest of the applicable limits, before rounding.
  public let unroundedQuantity: Double
  /// Recommended quantity in the instrument's units, rounded down to the lot.
  public let quantity: Double
  public let lotSize: Double
  public let lots: Double
  public let roundingLoss: Double
  /// Set when the recommendation is zero: why.
  public let zeroReason: String?
  public let notional: Double
  public let moneyAtRisk: Double
  public let leverageBefore: Double
  public let leverageAfter: Double
  public let portfolioVolatilityBefore: Double?
  public let portfolioVolatilityAfter: Double?
  public let riskShareAfter: Double?
  /// 1R, 2R, 3R targets.
  public let takeProfits: [(multiple: Int, price: Double)]
  public let trailingStop: Double?
  public let trailingRule: String?
  public let slippageFraction: Double?
  public let participation: Double?
  public let steps: [ExplanationStep]
  public let inputs: [NamedValue]
  public let warnings: [String]
  public let whatIf: [String]
}

/// Why a trade cannot be sized.
public enum SizingError: Error, Sendable, Hashable, CustomStringConvertible {
  case nonPositiveEntry(Double)
  case stopOnWrongSide(side: TradeSide, entry: Double, stop: Double)
  case stopEqualsEntry(Double)
  case nonPositiveEquity(Double, String)
  case noFXRate(currency: String, base: String)
  case staleData(symbol: String, lastDay: Day, asOf: Day, maxAge: Int)
  case dataAfterAsOf(symbol: String, asOf: Day)
  case noATR(symbol: String)
  case nonFinite(String)

  public var description: String {
    switch self {
    case .nonPositiveEntry(let e): return "entry price \(fmt(e)) is not positive."
    case .stopOnWrongSide(let side, let entry, let stop):
      return side == .long
        ? "stop \(fmt(stop)) is not below the entry \(fmt(entry)); a long's stop must be below its entry."
        : "stop \(fmt(stop)) is not above the entry \(fmt(entry)); a short's stop must be above its entry."
    case .stopEqualsEntry(let e):
      return "stop equals the entry \(fmt(e)): the risk per unit is zero, so no size follows; place the stop away from the entry."
    case .nonPositiveEquity(let e, let c): return "equity is \(fmt(e)) \(c), not positive: no risk budget can be set."
    case .noFXRate(let c, let b): return "no FX rate for \(c) into \(b); add \(c) to the account's fx rates."
    case .staleData(let s, let last, let asOf, let maxAge):
      return
        "market data for \(s) ends \(last), \(asOf - last) days before the as-of date \(asOf) (the profile allows \(maxAge)); update the data or pass --as-of."
    case .dataAfterAsOf(let s, let asOf): return "no market data for \(s) on or before \(asOf)."
    case .noATR(let s): return "\(s) has no high/low data for ATR; pass --stop or use a profile whose stop rule is sigma."
    case .nonFinite(let what): return "a non-finite number appeared in \(what); refusing to size."
    }
  }
}

/// What to size.
public struct SizingRequest: Sendable {
  public var symbol: String
  public var side: TradeSide
  /// nil: the last close.
  public var entry: Double?
  /// nil: the profile's stop rule.
  public var stop: Double?

  public init(symbol: String, side: TradeSide, entry: Double? = nil, stop: Double? = nil) {
    self.symbol = symbol
    self.side = side
    self.entry = entry
    self.stop = stop
  }
}

/// Rounds down to a whole number of lots, never up.
///
/// A relative tolerance of 1e-12 treats 9.999999999999998 lots as 10 (floating
/// point noise in the limit, not a real excess); the result is then rounded to
/// the lot's own decimals so that 3 × 0.1 prints as 0.3.
public func roundDownToLot(_ quantity: Double, lot: Double) -> (quantity: Double, lots: Double) {
  guard quantity > 0, lot > 0, quantity.isFinite else { return (0, 0) }
  let lots = (quantity / lot * (1 + 1e-12)).rounded(.down)
  var decimals = 0
  var l = lot
  while decimals < 12 && abs(l - l.rounded()) > 1e-9 * max(1, abs(l)) {
    l *= 10
    decimals += 1
  }
  var scale = 1.0
  for _ in 0..<decimals { scale *= 10 }
  let q = (lots * lot * scale).rounded() / scale
  return (q, lots)
}

/// The stop the profile's rule places: entry ∓ k·ATR, or entry ∓ k·σ_daily·√days·entry.
/// - Throws: ``SizingError/noATR(symbol:)`` for an ATR rule on close-only data.
public func ruleStop(profile: RegimeProfile, side: TradeSide, entry: Double, stats: InstrumentStats) throws(SizingError) -> (
  stop: Double, source: String
) {
  let s = side.sign
  switch profile.stopRule {
  case .atr(let k, let n):
    guard let atr = stats.atr else { throw .noATR(symbol: stats.symbol) }
    return (entry - s * k * atr.value, "\(profile.name) rule: entry \(s > 0 ? "−" : "+") \(fmt(k)) × ATR(\(n)) \(fmt(atr.value))")
  case .sigma(let k, let days):
    let d = k * stats.dailyVolatility * entry * Double(days).squareRoot()
    return (entry - s * d, "\(profile.name) rule: entry \(s > 0 ? "−" : "+") \(fmt(k)) × σ_daily × √\(days) × entry")
  }
}

public enum PositionSizer {
  /// Sizes one trade against every limit of the profile.
  ///
  /// - Parameters:
  ///   - state: the account before the trade (equity, exposures).
  ///   - risk: the portfolio risk model including the instrument (nil: no covariance available;
  ///     the volatility and risk-share limits then do not apply, with a warning).
  /// - Throws: ``SizingError``.
  public static func size(
    _ request: SizingRequest, spec: InstrumentSpec, stats: InstrumentStats, state: AccountState,
    risk: PortfolioRiskModel?, profile: RegimeProfile
  ) throws(SizingError) -> SizeRecommendation {
    let base = state.baseCurrency
    let equity = state.equity
    guard equity > 0, equity.isFinite else { throw .nonPositiveEquity(equity, base) }
    guard stats.lastDay <= state.asOf else { throw .dataAfterAsOf(symbol: stats.symbol, asOf: state.asOf) }
    if state.asOf - stats.lastDay > profile.maxDataAgeDays {
      throw .staleData(symbol: stats.symbol, lastDay: stats.lastDay, asOf: state.asOf, maxAge: profile.maxDataAgeDays)
    }
    guard let fx = state.fx.rate(spec.currency) else { throw .noFXRate(currency: spec.currency, base: base) }
    let entry = request.entry ?? stats.lastClose
    guard entry.isFinite, entry > 0 else { throw .nonPositiveEntry(entry) }
    let entrySource = request.entry == nil ? "last close \(stats.lastDay), \(stats.source) line \(stats.lastLine)" : "--entry"
    let s = request.side.sign
    let sigmaPrice = stats.dailyVolatility * entry

    // 1. The stop.
    var warnings: [String] = []
    let stop: Double
    let stopSource: String
    if let given = request.stop {
      stop = given
      stopSource = "--stop"
    } else {
      (stop, stopSource) = try ruleStop(profile: profile, side: request.side, entry: entry, stats: stats)
    }
    guard stop.isFinite else { throw .nonFinite("the stop") }
    if stop == entry { throw .stopEqualsEntry(entry) }
    if (request.side == .long && stop > entry) || (request.side == .short && stop < entry) {
      throw .stopOnWrongSide(side: request.side, entry: entry, stop: stop)
    }
    let distance = abs(entry - stop)
    if request.side == .long && stop <= 0 && !spec.allowsNegativePrices {
      warnings.append(
        "the stop \(fmt(stop)) is at or below zero, where \(spec.symbol) cannot trade: the trade's whole value is at risk.")
    }
    if distance < profile.noiseThresholdSigma * sigmaPrice {
      warnings.append(
        "the stop is \(fmt(distance / sigmaPrice)) daily σ from the entry, inside one day's noise (\(fmt(sigmaPrice)) in price): expect to be stopped out by noise."
      )
    }

    // 2. Units in the base currency.
    let perPoint = spec.multiplier
    let u = entry * perPoint * fx
    let riskPerUnit = distance * perPoint * fx
    guard u > 0, riskPerUnit > 0, u.isFinite, riskPerUnit.isFinite else { throw .nonFinite("the exposure per unit") }
    let e0 = state.exposureBySymbol[spec.symbol, default: 0]

    var inputs: [NamedValue] = [
      NamedValue("equity", equity, base, source: state.source.isEmpty ? nil : "\(state.source), valued at \(state.asOf)"),
      NamedValue("entry", entry, spec.currency, source: entrySource),
      NamedValue("stop", stop, spec.currency, source: stopSource),
      NamedValue("multiplier", perPoint, "", source: "instrument metadata"),
      NamedValue("fx rate", fx, "\(base) per \(spec.currency)", source: spec.currency == base ? "base currency" : "account fx"),
      NamedValue(
        "daily σ", stats.dailyVolatility, "",
        source: "\(stats.volatilityMethod.rawValue), \(stats.volatilityLookback) returns to \(stats.lastDay), \(stats.source)"),
    ]
    if let atr = stats.atr {
      inputs.append(
        NamedValue("ATR(\(atr.period))", atr.value, spec.currency, source: "Wilder, \(stats.source) to \(stats.lastDay)"))
    }
    if let adv = stats.averageDailyVolume {
      inputs.append(NamedValue("ADV(\(stats.advDays))", adv, "units", source: "\(stats.source) to \(stats.lastDay)"))
    }
    if e0 != 0 { inputs.append(NamedValue("existing exposure to \(spec.symbol)", e0, base, source: "account")) }

    var steps: [ExplanationStep] = [
      ExplanationStep(
        id: "stop-distance", title: "Stop distance", formula: "|entry − stop|",
        inputs: [NamedValue("entry", entry), NamedValue("stop", stop)], value: distance, unit: spec.currency),
      ExplanationStep(
        id: "unit-exposure", title: "Exposure of one unit", formula: "entry × multiplier × fx",
        inputs: [NamedValue("entry", entry), NamedValue("multiplier", perPoint), NamedValue("fx", fx)], value: u, unit: base),
      ExplanationStep(
        id: "risk-per-unit", title: "Loss of one unit at the stop", formula: "|entry − stop| × multiplier × fx",
        inputs: [NamedValue("stop distance", distance), NamedValue("multiplier", perPoint), NamedValue("fx", fx)],
        value: riskPerUnit, unit: base),
    ]

    // 3. Each limit as a range of quantities (numbers from LimitCalculator, explained here).
    let geometry = TradeGeometry(
      side: request.side, entry: entry, stop: stop, unitExposure: u, riskPerUnit: riskPerUnit, existingExposure: e0)
    let (bounds, f) = LimitCalculator.bounds(geometry, spec: spec, stats: stats, state: state, risk: risk, profile: profile)
    let classMultiplier = profile.riskMultiplier(spec.assetClass)
    let budget = f.riskBudget
    steps.append(
      ExplanationStep(
        id: "risk-budget", title: "Money at risk allowed",
        formula: "equity × risk per trade × \(spec.assetClass.rawValue) multiplier",
        inputs: [
          NamedValue("equity", equity, base), NamedValue("risk per trade", profile.riskPerTrade),
          NamedValue("multiplier", classMultiplier),
        ],
        value: budget, unit: base))
    func fullNote(_ q: Double?, used: Double, cap: Double, what: String) -> String? {
      (q ?? 1) > 0 ? nil : "\(what) \(fmt(used)) \(base) already uses the cap of \(fmt(cap)) \(base)"
    }
    let cls = spec.assetClass.rawValue
    var limits: [LimitEvaluation] = []
    var volBefore: Double? = nil
    var volAfterAt: ((Double) -> Double)? = nil
    var shareAt: ((Double) -> Double?)? = nil
    for b in bounds {
      switch b.id {
      case .riskBudget:
        limits.append(
          LimitEvaluation(
            id: b.id, minQuantity: b.min, maxQuantity: b.max,
            formula: "equity × risk × class multiplier ÷ (|entry − stop| × multiplier × fx)",
            inputs: [NamedValue("money at risk allowed", budget, base), NamedValue("loss per unit", riskPerUnit, base)], note: nil
          ))
      case .notionalCap:
        limits.append(
          LimitEvaluation(
            id: b.id, minQuantity: b.min, maxQuantity: b.max,
            formula: "(max notional × equity − existing exposure in the trade's direction) ÷ unit exposure",
            inputs: [
              NamedValue("max notional", profile.maxPositionNotional), NamedValue("cap", f.notionalCap, base),
              NamedValue("existing", e0, base),
            ],
            note: fullNote(b.max, used: abs(e0), cap: f.notionalCap, what: "the existing \(spec.symbol) exposure")))
      case .accountLeverage:
        limits.append(
          LimitEvaluation(
            id: b.id, minQuantity: b.min, maxQuantity: b.max,
            formula: "(max gross leverage × equity − gross exposure of the other positions − existing) ÷ unit exposure",
            inputs: [
              NamedValue("max gross leverage", profile.maxGrossLeverage), NamedValue("cap", f.accountCap, base),
              NamedValue("gross exposure before", state.grossExposure, base),
            ], note: fullNote(b.max, used: state.grossExposure, cap: f.accountCap, what: "gross exposure")))
      case .classLeverage:
        if let cap = f.classCap {
          limits.append(
            LimitEvaluation(
              id: b.id, minQuantity: b.min, maxQuantity: b.max,
              formula: "(max \(cls) leverage × equity − \(cls) gross exposure of the others − existing) ÷ unit exposure",
              inputs: [
                NamedValue("max \(cls) leverage", profile.maxClassLeverage[spec.assetClass] ?? 0), NamedValue("cap", cap, base),
                NamedValue("\(cls) gross before", f.classGross, base),
              ], note: fullNote(b.max, used: f.classGross, cap: cap, what: "\(cls) gross exposure")))
        } else {
          limits.append(
            LimitEvaluation(
              id: b.id, minQuantity: 0, maxQuantity: nil, formula: "—", inputs: [],
              note: "the \(profile.name) profile sets no \(cls) leverage cap; the account cap applies"))
        }
      case .volatilityBudget:
        guard f.hasCovariance else {
          warnings.append(
            "no covariance for \(spec.symbol) and the holdings: the volatility-budget and risk-share limits could not be evaluated."
          )
          limits.append(
            LimitEvaluation(
              id: b.id, minQuantity: 0, maxQuantity: 0, formula: "—", inputs: [],
              note: "not evaluated (no covariance): fails closed"))
          continue
        }
        let v0 = f.variance
        let (skk, sek) = (f.skk, f.sek)
        volBefore = v0.squareRoot() / equity
        volAfterAt = { q in
          let d = s * q * u
          return max(0, v0 + 2 * d * sek + d * d * skk).squareRoot() / equity
        }
        var note: String? = nil
        if f.qa <= 0 {
          note = "\(spec.symbol) has no variance in the window; the budget cannot bind"
        } else if f.volatilityDiscriminantNegative {
          note =
            "the portfolio is over its volatility budget and no \(request.side.rawValue) trade in \(spec.symbol) brings it within"
        } else if b.min > 0 {
          note =
            "the portfolio is over its volatility budget: only trades between \(fmt(b.min)) and \(fmt(b.max ?? 0)) units bring it within"
        } else if (b.max ?? 0) == 0 && f.qc > 0 {
          note = "the portfolio is over its volatility budget and a \(request.side.rawValue) trade adds to it"
        }
        limits.append(
          LimitEvaluation(
            id: b.id, minQuantity: b.min, maxQuantity: b.max,
            formula:
              "largest q with (e + s·q·u·1ₖ)ᵀ Σ (e + s·q·u·1ₖ) ≤ (budget × equity)²: q = (−b + √(b² − a·c)) / a, a = u²Σₖₖ, b = s·u·(Σe)ₖ, c = eᵀΣe − (budget × equity)²",
            inputs: [
              NamedValue("budget (annual)", profile.portfolioVolatilityBudget),
              NamedValue("σ before (annual, of equity)", v0.squareRoot() / equity),
              NamedValue("σ of \(spec.symbol) (annual)", skk.squareRoot()), NamedValue("(Σe)ₖ", sek), NamedValue("a", f.qa),
              NamedValue("b", f.qb),
              NamedValue("c", f.qc),
            ], note: note))
      case .riskShare:
        guard f.shareApplies else {
          limits.append(
            LimitEvaluation(
              id: b.id, minQuantity: 0, maxQuantity: nil, formula: "—", inputs: [],
              note: f.hasCovariance
                ? "no other risky positions: a single position carries all the portfolio's risk, so the share cap does not apply"
                : "not evaluated (no covariance)"))
          continue
        }
        let (m, c0, wk, skk) = (f.m, f.c0, f.wk, f.skk)
        shareAt = { q in
          let y = wk + s * q * u
          let total = c0 + 2 * m * y + skk * y * y
          return total > 0 ? y * (skk * y + m) / total : nil
        }
        limits.append(
          LimitEvaluation(
            id: b.id, minQuantity: b.min, maxQuantity: b.max,
            formula: "largest q whose Euler contribution yₖ(Σy)ₖ / yᵀΣy ≤ max share: root of (1−ρ)Σₖₖ y² + (1−2ρ)·m·y − ρ·c₀ = 0",
            inputs: [
              NamedValue("max share ρ", profile.maxRiskShare), NamedValue("m = Σⱼ≠ₖ Σₖⱼ eⱼ", m),
              NamedValue("c₀ (variance of the others)", c0),
              NamedValue("existing exposure", wk, base),
            ],
            note: b.min > 0
              ? "the position already carries more than its share; only trades of at least \(fmt(b.min)) units bring it within"
              : nil))
      case .liquidity:
        if let adv = f.adv {
          limits.append(
            LimitEvaluation(
              id: b.id, minQuantity: 0, maxQuantity: b.max, formula: "max fraction of ADV × ADV(\(stats.advDays))",
              inputs: [NamedValue("max fraction", profile.maxADVFraction), NamedValue("ADV", adv, "units")], note: nil))
        } else {
          limits.append(
            LimitEvaluation(
              id: b.id, minQuantity: 0, maxQuantity: nil, formula: "—", inputs: [],
              note: "no volume data for \(spec.symbol) (OTC FX reports none); liquidity not capped"))
          warnings.append("no volume data for \(spec.symbol): the liquidity cap and slippage estimate do not apply.")
        }
      }
    }
    var participation: Double? = nil
    var slippage: Double? = nil

    // 4. The recommendation.
    let applicable = limits.filter(\.applies)
    let upper = applicable.compactMap(\.maxQuantity).min() ?? 0
    let lower = limits.map(\.minQuantity).max() ?? 0
    guard upper.isFinite, lower.isFinite else { throw .nonFinite("the limits") }
    let bindingLimit = applicable.min { ($0.maxQuantity ?? .infinity) < ($1.maxQuantity ?? .infinity) }
    var rounded = roundDownToLot(upper, lot: spec.lotSize)
    var zeroReason: String? = nil
    if lower > 0 && rounded.quantity < lower {
      let which = limits.filter { $0.minQuantity > 0 }.map(\.id.title).joined(separator: ", ")
      zeroReason =
        "the account already breaks the \(which) limit and no trade within the other limits brings it back (needs at least \(fmt(lower)), others allow \(fmt(upper)))"
      rounded = (0, 0)
    } else if rounded.quantity == 0 {
      if let b = bindingLimit, (b.maxQuantity ?? 0) <= 0 {
        zeroReason = "the \(b.id.title) leaves no room: \(b.note ?? "its headroom is zero or negative")"
      } else if let b = bindingLimit {
        zeroReason =
          "the \(b.id.title) allows \(fmt(b.maxQuantity ?? 0)) units, less than one lot of \(fmt(spec.lotSize)): rounding down gives 0"
      } else {
        zeroReason = "no limit allows a positive size"
      }
    }
    let q = rounded.quantity
    var marked = limits
    for i in marked.indices where marked[i].id == bindingLimit?.id && marked[i].maxQuantity == bindingLimit?.maxQuantity {
      marked[i].binding = true
    }
    let notional = q * u
    let moneyAtRisk = q * riskPerUnit
    let leverageBefore = state.grossExposure / equity
    let grossAfter = state.grossExposure - abs(e0) + abs(e0 + s * q * u)
    steps.append(
      ExplanationStep(
        id: "recommended", title: "Recommended size", formula: "min of the limits, rounded down to the lot",
        inputs: marked.filter(\.applies).map { NamedValue($0.id.rawValue, $0.maxQuantity ?? 0, "units") } + [
          NamedValue("lot", spec.lotSize)
        ],
        value: q, unit: "units"))
    if let adv = stats.averageDailyVolume, q > 0 {
      participation = q / adv
      slippage = profile.impactCoefficient * stats.dailyVolatility * (q / adv).squareRoot()
    }

    // Exits.
    let takeProfits = (1...3).map { (multiple: $0, price: entry + s * Double($0) * distance) }
    var trailing: Double? = nil
    var trailingRule: String? = nil
    if let atr = stats.atr {
      let k: Double = {
        if case .atr(let k, _) = profile.stopRule { return k }
        return 3
      }()
      trailing = request.side == .long ? stats.highestHigh - k * atr.value : stats.lowestLow + k * atr.value
      trailingRule =
        request.side == .long
        ? "chandelier: highest high of \(stats.chandelierPeriod) bars \(fmt(stats.highestHigh)) − \(fmt(k)) × ATR"
        : "chandelier: lowest low of \(stats.chandelierPeriod) bars \(fmt(stats.lowestLow)) + \(fmt(k)) × ATR"
    }

    // What would change the answer.
    var whatIf: [String] = []
    let sorted = marked.filter(\.applies).sorted { ($0.maxQuantity ?? 0) < ($1.maxQuantity ?? 0) }
    if let b = sorted.first {
      if b.id == .riskBudget {
        if let atr = stats.atr {
          let wider = budget / ((distance + atr.value) * perPoint * fx)
          whatIf.append(
            "a stop 1 ATR wider (\(fmt(distance + atr.value)) from the entry) gives a risk budget of \(fmt(wider)) units (size ∝ 1 / stop distance)"
          )
        }
        whatIf.append("each 1% more equity adds 1% to the risk budget (\(fmt((b.maxQuantity ?? 0) * 0.01)) units)")
      }
      if sorted.count > 1, (b.maxQuantity ?? 0) > 0 {
        let next = sorted[1]
        whatIf.append(
          "the next limit is the \(next.id.title) at \(fmt(next.maxQuantity ?? 0)) units; loosening the \(b.id.title) helps only up to there"
        )
      }
      if b.id == .accountLeverage || b.id == .classLeverage {
        whatIf.append(
          "reducing other \(b.id == .classLeverage ? spec.assetClass.rawValue + " " : "")positions by 1 \(base) of exposure frees 1 \(base) of room (\(fmt(1 / u)) units)"
        )
      }
    }

    let volAfter = volAfterAt?(q)
    return SizeRecommendation(
      symbol: spec.symbol, side: request.side, profile: profile, spec: spec, stats: stats, baseCurrency: base, equity: equity,
      entry: entry, entrySource: entrySource, stop: stop, stopSource: stopSource, stopDistance: distance,
      stopDistanceATR: stats.atr.map { distance / $0.value }, stopDistanceSigma: distance / sigmaPrice, fxRate: fx,
      unitExposure: u, riskPerUnit: riskPerUnit, limits: marked, binding: bindingLimit?.id, unroundedQuantity: upper,
      quantity: q, lotSize: spec.lotSize, lots: rounded.lots, roundingLoss: upper > 0 && zeroReason == nil ? upper - q : 0,
      zeroReason: zeroReason, notional: notional, moneyAtRisk: moneyAtRisk, leverageBefore: leverageBefore,
      leverageAfter: grossAfter / equity, portfolioVolatilityBefore: volBefore, portfolioVolatilityAfter: volAfter,
      riskShareAfter: shareAt?(q) ?? nil, takeProfits: takeProfits, trailingStop: trailing, trailingRule: trailingRule,
      slippageFraction: slippage, participation: participation, steps: steps, inputs: inputs, warnings: warnings,
      whatIf: whatIf)
  }
}

/// Compact number formatting for explanations inside the core (no locale, no Foundation).
func fmt(_ x: Double) -> String {
  guard x.isFinite else { return "\(x)" }
  let a = abs(x)
  let digits = a >= 1000 ? 2 : a >= 1 ? 4 : a >= 0.01 ? 6 : 8
  var scale = 1.0
  for _ in 0..<digits { scale *= 10 }
  let r = (x * scale).rounded() / scale
  var s = "\(r)"
  if s.contains("e") { return s }
  if s.hasSuffix(".0") { s.removeLast(2) }
  return s
}
