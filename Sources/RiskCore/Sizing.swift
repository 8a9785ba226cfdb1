import LinearAlgebra

/// The steps of a size's explanation, with stable identifiers (JSON `steps[].id`).
public enum StepID: String, Sendable, Hashable, CaseIterable {
  case equityBase = "equity-base"
  case stopDistance = "stop-distance"
  case unitExposure = "unit-exposure"
  case riskPerUnit = "risk-per-unit"
  case riskBudget = "risk-budget"
  case recommended
}

/// A step of the calculation, with the numbers that went in.
public struct ExplanationStep: Sendable, Hashable {
  public let id: StepID
  public let title: String
  public let formula: String
  public let inputs: [NamedValue]
  public let value: Double
  public let unit: String
}

/// The recommendation for one trade and everything that explains it. Every number a
/// report prints is a field here (renderers only format).
public struct SizeRecommendation: Sendable {
  public let symbol: String
  public let side: TradeSide
  public let profile: RegimeProfile
  public let spec: InstrumentSpec
  public let stats: InstrumentStats
  public let baseCurrency: String
  public let equity: Double
  /// The base of every limit: the equity, drawdown-scaled under the profile (``EquityBase``).
  public let equityBase: EquityBase
  /// The trading state REDUCING capped the size at the close-out.
  public let reduceOnly: Bool
  public let entry: Double
  public let entrySource: String
  public let stop: Double
  public let stopSource: String
  public let stopDistance: Double
  /// Stop distance / entry.
  public let stopDistanceFraction: Double
  public let stopDistanceATR: Double?
  public let stopDistanceSigma: Double
  public let fxRate: Double
  /// Base-currency exposure of one unit at the entry.
  public let unitExposure: Double
  /// Base-currency loss of one unit at the stop.
  public let riskPerUnit: Double
  public let limits: [LimitEvaluation]
  /// The tightest applicable limit.
  public let binding: LimitID?
  /// The largest quantity the limits allow, before rounding to the lot.
  public let unroundedQuantity: Double
  /// Recommended quantity in the instrument's units, rounded down to the lot.
  public let quantity: Double
  public let lotSize: Double
  public let lots: Double
  public let roundingLoss: Double
  /// Units held on the other side that the trade closes first (0: none).
  public let closable: Double
  /// Set when the recommendation is only the close-out of the opposite holding: why no more.
  public let closeOutReason: String?
  /// Set when the recommendation is zero: why.
  public let zeroReason: String?
  public let notional: Double
  /// Notional / equity.
  public let notionalFraction: Double
  public let moneyAtRisk: Double
  /// Money at risk / equity.
  public let moneyAtRiskFraction: Double
  /// Risk per trade × the class multiplier: the budget as a fraction of equity.
  public let riskBudgetFraction: Double
  public let leverageBefore: Double
  public let leverageAfter: Double
  public let leverageCap: Double
  public let portfolioVolatilityBefore: Double?
  public let portfolioVolatilityAfter: Double?
  public let portfolioVolatilityBudget: Double
  public let riskShareAfter: Double?
  /// 1R, 2R, 3R targets.
  public let takeProfits: [(multiple: Int, price: Double)]
  public let trailing: TrailingStop?
  public let slippageFraction: Double?
  /// Expected slippage in the base currency: slippage fraction × notional.
  public let slippageCost: Double?
  public let participation: Double?
  public let steps: [ExplanationStep]
  public let inputs: [NamedValue]
  public let diagnostics: [Diagnostic]
  public let whatIf: [String]

  public var trailingStop: Double? { trailing?.price }
  public var trailingRule: String? { trailing?.rule }
  public var warnings: [String] { diagnostics.messages }
}

/// Why a trade cannot be sized.
public enum SizingError: Error, Sendable, Hashable, CustomStringConvertible {
  case nonPositiveEntry(Double)
  case nonFiniteEntry(Double)
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
    case .nonFiniteEntry(let e): return "entry price \(e) is not a finite number."
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
  /// Only the close-out of a holding on the other side may be offered (trading state REDUCING).
  public var reduceOnly = false

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

/// The prices of a trade to be sized, checked, with their sources and warnings.
struct SizingGeometry {
  let entry: Double
  let entrySource: String
  let stop: Double
  let stopSource: String
  let fx: Double
  let trade: CandidateTrade
  let diagnostics: [Diagnostic]

  var distance: Double { abs(entry - stop) }
}

public enum PositionSizer {
  /// Sizes one trade against every limit of the profile (``LimitModel``): the largest
  /// whole-lot quantity every limit allows, which is at least the close-out of a
  /// holding on the other side.
  ///
  /// - Parameters:
  ///   - book: the account before the trade.
  ///   - risk: the covariance of the modelled holdings and the instrument (nil: none
  ///     available; the volatility limit then fails closed).
  /// - Throws: ``SizingError``.
  public static func size(
    _ request: SizingRequest, spec: InstrumentSpec, stats: InstrumentStats, book: Book, risk: PortfolioRiskModel?,
    profile: RegimeProfile
  ) throws(SizingError) -> SizeRecommendation {
    let g = try geometry(request, spec: spec, stats: stats, book: book, profile: profile)
    let model = LimitModel(profile)
    let eval = model.evaluate(g.trade, book: book, risk: risk)
    let allowed =
      request.reduceOnly ? min(eval.maxQuantity, roundDownToLot(eval.closable, lot: spec.lotSize).quantity) : eval.maxQuantity
    let (q, lots) = roundDownToLot(allowed, lot: spec.lotSize)
    let c = LimitContext(book: book, risk: risk, profile: profile, candidate: g.trade, groups: eval.groups)
    let unrounded = max(eval.closable, eval.lower <= eval.upper ? eval.upper : 0)
    guard unrounded.isFinite else { throw .nonFinite("the limits") }
    var diagnostics = g.diagnostics + limitDiagnostics(eval, spec: spec, stats: stats, book: book)
    let trailing = TrailingStop.make(profile: profile, side: request.side, entry: g.entry, stop: g.stop, stats: stats)
    if let note = trailing?.note { diagnostics.append(Diagnostic(.trailingStopAtInitial, subject: spec.symbol, note + ".")) }
    let volatility = VolatilityBudgetLimit()
    let notional = q * g.trade.unitExposure
    let moneyAtRisk = RiskBudgetLimit().reading(g.trade, quantity: q, in: c).value
    let (participation, slippage) = impact(q, stats: stats, profile: profile)
    var closeOut = closeOutReason(eval, quantity: q, spec: spec)
    if request.reduceOnly, q > 0, q < eval.maxQuantity {
      closeOut =
        "the trading state is REDUCING: only the close-out of the \(fmt(eval.closable)) \(spec.symbol) held on the other side may be traded"
    }
    if closeOut != nil { diagnostics.append(Diagnostic(.closeOutOnly, subject: spec.symbol, closeOut ?? "")) }
    return SizeRecommendation(
      symbol: spec.symbol, side: request.side, profile: profile, spec: spec, stats: stats, baseCurrency: book.baseCurrency,
      equity: book.equity, equityBase: c.base, reduceOnly: request.reduceOnly, entry: g.entry, entrySource: g.entrySource,
      stop: g.stop, stopSource: g.stopSource,
      stopDistance: g.distance, stopDistanceFraction: g.distance / g.entry,
      stopDistanceATR: stats.atr.map { g.distance / $0.value },
      stopDistanceSigma: g.distance / (stats.dailyVolatility * g.entry), fxRate: g.fx, unitExposure: g.trade.unitExposure,
      riskPerUnit: g.trade.riskPerUnit, limits: eval.limits, binding: eval.binding, unroundedQuantity: unrounded, quantity: q,
      lotSize: spec.lotSize, lots: lots, roundingLoss: max(0, unrounded - q), closable: eval.closable,
      closeOutReason: closeOut, zeroReason: q == 0 ? zeroReason(eval, spec: spec) : nil, notional: notional,
      notionalFraction: notional / book.equity, moneyAtRisk: moneyAtRisk, moneyAtRiskFraction: moneyAtRisk / book.equity,
      riskBudgetFraction: profile.riskPerTrade * profile.riskMultiplier(spec.assetClass),
      leverageBefore: book.grossExposure / book.equity,
      leverageAfter: AccountLeverageLimit().reading(g.trade, quantity: q, in: c).value, leverageCap: profile.maxGrossLeverage,
      portfolioVolatilityBefore: volatility.volatility(g.trade, quantity: 0, in: c),
      portfolioVolatilityAfter: volatility.volatility(g.trade, quantity: q, in: c),
      portfolioVolatilityBudget: profile.portfolioVolatilityBudget,
      riskShareAfter: RiskShareLimit().share(g.trade, quantity: q, in: c),
      takeProfits: (1...3).map { (multiple: $0, price: g.entry + request.side.sign * Double($0) * g.distance) },
      trailing: trailing, slippageFraction: slippage, slippageCost: slippage.map { $0 * notional }, participation: participation,
      steps: steps(g, spec: spec, book: book, profile: profile, eval: eval, quantity: q, base: c.base),
      inputs: inputs(g, spec: spec, stats: stats, book: book, base: c.base), diagnostics: diagnostics,
      whatIf: whatIf(eval, g: g, spec: spec, stats: stats, book: book, profile: profile, base: c.base))
  }

  /// Preconditions, the entry and the stop, in the model's units.
  static func geometry(
    _ request: SizingRequest, spec: InstrumentSpec, stats: InstrumentStats, book: Book, profile: RegimeProfile
  ) throws(SizingError) -> SizingGeometry {
    let base = book.baseCurrency
    guard book.equity > 0, book.equity.isFinite else { throw .nonPositiveEquity(book.equity, base) }
    guard stats.lastDay <= book.asOf else { throw .dataAfterAsOf(symbol: stats.symbol, asOf: book.asOf) }
    if book.asOf - stats.lastDay > profile.maxDataAgeDays {
      throw .staleData(symbol: stats.symbol, lastDay: stats.lastDay, asOf: book.asOf, maxAge: profile.maxDataAgeDays)
    }
    guard let fx = book.fx.rate(spec.currency) else { throw .noFXRate(currency: spec.currency, base: base) }
    let entry = request.entry ?? stats.lastClose
    guard entry.isFinite else { throw .nonFiniteEntry(entry) }
    guard entry > 0 else { throw .nonPositiveEntry(entry) }
    var entrySource = request.entry == nil ? "last close \(stats.lastDay), \(stats.source) line \(stats.lastLine)" : "--entry"
    if let minor = spec.quotedIn, request.entry == nil {
      entrySource += "; quoted in \(minor), \(fmt(spec.priceDivisor)) \(minor) = 1 \(spec.currency)"
    }
    let stop: Double
    let stopSource: String
    if let given = request.stop {
      (stop, stopSource) = (given, "--stop")
    } else {
      (stop, stopSource) = try TradeSetup.ruleStop(profile: profile, side: request.side, entry: entry, stats: stats)
    }
    guard stop.isFinite else { throw .nonFinite("the stop") }
    if stop == entry { throw .stopEqualsEntry(entry) }
    if (request.side == .long && stop > entry) || (request.side == .short && stop < entry) {
      throw .stopOnWrongSide(side: request.side, entry: entry, stop: stop)
    }
    let trade = TradeSetup.candidate(spec: spec, stats: stats, side: request.side, entry: entry, stop: stop, fx: fx)
    let u = trade.unitExposure
    guard u > 0, trade.riskPerUnit > 0, u.isFinite, trade.riskPerUnit.isFinite else {
      throw .nonFinite("the exposure per unit")
    }
    return SizingGeometry(
      entry: entry, entrySource: entrySource, stop: stop, stopSource: stopSource, fx: fx, trade: trade,
      diagnostics: stopDiagnostics(request.side, entry: entry, stop: stop, spec: spec, stats: stats, profile: profile))
  }

  static func stopDiagnostics(
    _ side: TradeSide, entry: Double, stop: Double, spec: InstrumentSpec, stats: InstrumentStats, profile: RegimeProfile
  ) -> [Diagnostic] {
    var out: [Diagnostic] = []
    let sigmaPrice = stats.dailyVolatility * entry
    let distance = abs(entry - stop)
    if side == .long && stop <= 0 && !spec.allowsNegativePrices {
      out.append(
        Diagnostic(
          .stopAtOrBelowZero, subject: spec.symbol,
          "the stop \(fmt(stop)) is at or below zero, where \(spec.symbol) cannot trade: the trade's whole value is at risk."))
    }
    if case .atr = profile.stopRule, stats.atr == nil {
      out.append(
        Diagnostic(
          .stopRuleFallback, subject: spec.symbol,
          "\(spec.symbol) has closes only (no high or low for ATR): the \(profile.name) stop rule uses the same multiple of the daily σ in price instead."
        ))
    }
    if distance < profile.noiseThresholdSigma * sigmaPrice {
      out.append(
        Diagnostic(
          .stopInsideNoise, subject: spec.symbol,
          "the stop is \(fmt(distance / sigmaPrice)) daily σ from the entry, inside one day's noise (\(fmt(sigmaPrice)) in price): expect to be stopped out by noise."
        ))
    }
    return out
  }

  static func limitDiagnostics(_ eval: TradeEvaluation, spec: InstrumentSpec, stats: InstrumentStats, book: Book)
    -> [Diagnostic]
  {
    var out: [Diagnostic] = []
    if let v = eval.limits.first(where: { $0.id == .volatilityBudget }), !v.evaluated {
      out.append(
        Diagnostic(
          .covarianceNotEvaluated, subject: spec.symbol,
          "no covariance for \(spec.symbol) and the holdings: the volatility-budget and risk-share limits could not be evaluated."
        ))
    }
    if let adv = eval.trade.averageDailyVolume {
      let notional = adv * eval.trade.unitExposure
      let file = stats.source.path
      if spec.assetClass == .crypto && !spec.volumeUnitStated && file.hasSuffix("-USD.csv") {
        out.append(
          Diagnostic(
            .implausibleVolume, subject: spec.symbol,
            "\(file) looks like a Yahoo crypto file, whose volume is in USD, but instruments.yaml gives \(spec.symbol) no volume_unit: its volume is read as units (ADV \(fmt(adv)), \(fmt(notional)) \(book.baseCurrency) a day); set volume_unit: quote (or units) for \(spec.symbol)."
          ))
      } else if notional > 1e11 {
        out.append(
          Diagnostic(
            .implausibleVolume, subject: spec.symbol,
            "\(spec.symbol)'s average daily volume is \(fmt(adv)) units, \(fmt(notional)) \(book.baseCurrency) a day: implausibly large; check the volume's unit (volume_unit in instruments.yaml)."
          ))
      }
    }
    if eval.trade.averageDailyVolume == nil {
      out.append(
        Diagnostic(
          .noVolumeData, subject: spec.symbol,
          "no volume data for \(spec.symbol): the liquidity cap and slippage estimate do not apply."))
    }
    return out
  }

  /// Square-root impact: participation q / ADV and slippage = coefficient × σ_daily × √(q / ADV).
  static func impact(_ q: Double, stats: InstrumentStats, profile: RegimeProfile) -> (Double?, Double?) {
    guard let adv = stats.averageDailyVolume, adv > 0, q > 0 else { return (nil, nil) }
    return (q / adv, profile.impactCoefficient * stats.dailyVolatility * (q / adv).squareRoot())
  }

  static func zeroReason(_ eval: TradeEvaluation, spec: InstrumentSpec) -> String {
    let applicable = eval.limits.filter(\.applies)
    if eval.lower > 0 && (eval.lower > eval.upper || roundDownToLot(eval.upper, lot: spec.lotSize).quantity < eval.lower) {
      let which = applicable.filter { $0.minQuantity > 0 }.map(\.id.title).joined(separator: ", ")
      return
        "the account already breaks the \(which) limit and no trade within the other limits brings it back (needs at least \(fmt(eval.lower)), others allow \(fmt(eval.upper)))"
    }
    guard let b = eval.limits.first(where: \.binding) else { return "no limit allows a positive size" }
    if (b.maxQuantity ?? 0) <= 0 { return "the \(b.id.title) leaves no room: \(b.note ?? "its headroom is zero or negative")" }
    return
      "the \(b.id.title) allows \(fmt(b.maxQuantity ?? 0)) units, less than one lot of \(fmt(spec.lotSize)): rounding down gives 0"
  }

  /// Why the size is only the close-out of the opposite holding, when it is.
  static func closeOutReason(_ eval: TradeEvaluation, quantity q: Double, spec: InstrumentSpec) -> String? {
    guard eval.closable > 0, q > 0, q <= eval.closable * (1 + 1e-12) else { return nil }
    let why =
      eval.limits.first(where: \.binding).map { "the \($0.id.title) allows no new position beyond it" }
      ?? "no limit allows more"
    return
      "the size closes the \(fmt(eval.closable)) \(spec.symbol) held on the other side (a reducing trade is always allowed); \(why)"
  }

  static func inputs(
    _ g: SizingGeometry, spec: InstrumentSpec, stats: InstrumentStats, book: Book, base equityBase: EquityBase
  ) -> [NamedValue] {
    let base = book.baseCurrency
    var out: [NamedValue] = [
      NamedValue("equity", book.equity, base, source: book.source.isEmpty ? nil : "\(book.source), valued at \(book.asOf)"),
      NamedValue(
        "equity base", equityBase.value, base,
        source: equityBase.scaling == nil
          ? equityBase.source : "\(equityBase.source) (\(equityBase.profileSource), drawdown_scaling)"),
      NamedValue("entry", g.entry, spec.currency, source: g.entrySource),
      NamedValue("stop", g.stop, spec.currency, source: g.stopSource),
      NamedValue("multiplier", spec.multiplier, "", source: "instrument metadata"),
      NamedValue("fx rate", g.fx, "\(base) per \(spec.currency)", source: spec.currency == base ? "base currency" : "account fx"),
      NamedValue(
        "daily σ", stats.dailyVolatility, "",
        source: "\(stats.volatilityMethod.rawValue), \(stats.volatilityLookback) returns to \(stats.lastDay), \(stats.source)"),
    ]
    if let atr = stats.atr {
      out.append(
        NamedValue("ATR(\(atr.period))", atr.value, spec.currency, source: "Wilder, \(stats.source) to \(stats.lastDay)"))
    }
    if let adv = stats.averageDailyVolume {
      out.append(NamedValue("ADV(\(stats.advDays))", adv, "units", source: "\(stats.source) to \(stats.lastDay)"))
    }
    let e0 = book.exposure(of: spec.symbol)
    if e0 != 0 {
      let withOptions = e0 != book.directExposure(of: spec.symbol)
      out.append(
        NamedValue(
          "existing exposure to \(spec.symbol)", e0, base, source: withOptions ? "account, with options on it" : "account"))
    }
    let held = book.quantity(of: spec.symbol)
    if held * g.trade.sign < 0 { out.append(NamedValue("held on the other side", abs(held), "units", source: "account")) }
    return out
  }

  static func steps(
    _ g: SizingGeometry, spec: InstrumentSpec, book: Book, profile: RegimeProfile, eval: TradeEvaluation, quantity q: Double,
    base equityBase: EquityBase
  ) -> [ExplanationStep] {
    let base = book.baseCurrency
    let u = g.trade.unitExposure
    let multiplier = profile.riskMultiplier(spec.assetClass)
    var baseInputs = [NamedValue("equity", book.equity, base)]
    if let d = equityBase.drawdown, d.points > 0 {
      baseInputs += [NamedValue("high-water mark", d.highWaterMark, base), NamedValue("drawdown", d.drawdown)]
    }
    if let s = equityBase.scaling {
      baseInputs += [
        NamedValue("step", s.step), NamedValue("cut", s.cut), NamedValue("full steps", Double(equityBase.steps)),
      ]
    }
    return [
      ExplanationStep(
        id: .equityBase, title: "Equity base of the limits", formula: equityBase.formula, inputs: baseInputs,
        value: equityBase.value, unit: base),
      ExplanationStep(
        id: .stopDistance, title: "Stop distance", formula: "|entry − stop|",
        inputs: [NamedValue("entry", g.entry), NamedValue("stop", g.stop)], value: g.distance, unit: spec.currency),
      ExplanationStep(
        id: .unitExposure, title: "Exposure of one unit", formula: "entry × multiplier × fx",
        inputs: [NamedValue("entry", g.entry), NamedValue("multiplier", spec.multiplier), NamedValue("fx", g.fx)], value: u,
        unit: base),
      ExplanationStep(
        id: .riskPerUnit, title: "Loss of one unit at the stop", formula: "|entry − stop| × multiplier × fx",
        inputs: [NamedValue("stop distance", g.distance), NamedValue("multiplier", spec.multiplier), NamedValue("fx", g.fx)],
        value: g.trade.riskPerUnit, unit: base),
      ExplanationStep(
        id: .riskBudget, title: "Money at risk allowed",
        formula: "equity base × risk per trade × \(spec.assetClass.rawValue) multiplier",
        inputs: [
          NamedValue("equity base", equityBase.value, base), NamedValue("risk per trade", profile.riskPerTrade),
          NamedValue("multiplier", multiplier),
        ],
        value: equityBase.value * profile.riskPerTrade * multiplier, unit: base),
      ExplanationStep(
        id: .recommended, title: "Recommended size",
        formula: eval.closable > 0
          ? "the larger of the close-out and the min of the limits, rounded down to the lot"
          : "min of the limits, rounded down to the lot",
        inputs: eval.limits.filter(\.applies).map { NamedValue($0.id.rawValue, $0.maxQuantity ?? 0, "units") }
          + (eval.closable > 0 ? [NamedValue("close-out", eval.closable, "units")] : []) + [NamedValue("lot", spec.lotSize)],
        value: q, unit: "units"),
    ]
  }

  /// What would change the answer.
  static func whatIf(
    _ eval: TradeEvaluation, g: SizingGeometry, spec: InstrumentSpec, stats: InstrumentStats, book: Book,
    profile: RegimeProfile, base equityBase: EquityBase
  ) -> [String] {
    var out: [String] = []
    let sorted = eval.limits.filter(\.applies).sorted { ($0.maxQuantity ?? 0) < ($1.maxQuantity ?? 0) }
    guard let b = sorted.first else { return out }
    if b.id == .riskBudget {
      if let atr = stats.atr {
        let budget = equityBase.value * profile.riskPerTrade * profile.riskMultiplier(spec.assetClass)
        let wider = budget / ((g.distance + atr.value) * spec.multiplier * g.fx)
        out.append(
          "a stop 1 ATR wider (\(fmt(g.distance + atr.value)) from the entry) gives a risk budget of \(fmt(wider)) units (size ∝ 1 / stop distance)"
        )
      }
      out.append("each 1% more equity adds 1% to the risk budget (\(fmt((b.maxQuantity ?? 0) * 0.01)) units)")
    }
    if sorted.count > 1, (b.maxQuantity ?? 0) > 0 {
      let next = sorted[1]
      out.append(
        "the next limit is the \(next.id.title) at \(fmt(next.maxQuantity ?? 0)) units; loosening the \(b.id.title) helps only up to there"
      )
    }
    if b.id == .accountLeverage || b.id == .classLeverage {
      let scope = b.id == .classLeverage ? spec.assetClass.rawValue + " " : ""
      out.append(
        "reducing other \(scope)positions by 1 \(book.baseCurrency) of exposure frees 1 \(book.baseCurrency) of room (\(fmt(1 / g.trade.unitExposure)) units)"
      )
    }
    return out
  }
}

/// Compact number formatting for explanations inside the core (no locale, no Foundation):
/// x rounded to 2 decimals from 1,000 up, 4 from 1, 6 from 0.01 and 8 below, written shortest
/// (`description`'s digits) without a trailing ".0".
func fmt(_ x: Double) -> String { withFmtBytes(x) { String(decoding: $0, as: UTF8.self) } }

/// ``withFmtBytes(_:_:)`` for a writer in another module: not generic, so the call is not
/// made through the generic metadata an unspecialised call looks up at run time.
public func writeFmtBytes(_ x: Double, _ body: (UnsafeBufferPointer<UInt8>) -> Void) { withFmtBytes(x, body) }

/// Calls `body` with the bytes of ``fmt(_:)``, written on the stack: every pre-trade finding
/// formats several numbers (about 35 an order), so a sentence appends them as bytes and a
/// String of up to 15 bytes is made without any allocation.
func withFmtBytes<R>(_ x: Double, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
  guard x.isFinite else {
    var s = "\(x)"
    return s.withUTF8(body)
  }
  let a = abs(x)
  let digits = a >= 1000 ? 2 : a >= 1 ? 4 : a >= 0.01 ? 6 : 8
  var scale = 1.0
  for _ in 0..<digits { scale *= 10 }
  let r = (x * scale).rounded() / scale
  let written = ShortestDecimal.withText(r) { text in
    var n = text.count
    if !text.contains(0x65), n >= 2, text[n - 2] == 0x2E, text[n - 1] == 0x30 { n -= 2 }  // no "e": drop ".0"
    return body(UnsafeBufferPointer(rebasing: text[0..<n]))
  }
  if let written { return written }
  var s = r.description  // r overflowed to an infinity
  return s.withUTF8(body)
}
