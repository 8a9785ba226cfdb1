import LinearAlgebra

/// The limits of the risk model, with stable identifiers (JSON `id`, finding context `limit`).
///
/// Adding a case makes the compiler point at every place that must handle it:
/// ``LimitModel/limit(_:)`` (its rule type), ``title`` and ``findingCodes``.
public enum LimitID: String, Sendable, Hashable, CaseIterable, Codable {
  case riskBudget = "risk-budget"
  case notionalCap = "notional-cap"
  case accountLeverage = "account-leverage"
  case classLeverage = "class-leverage"
  case groupExposure = "group-exposure"
  case marginUtilisation = "margin-utilisation"
  case volatilityBudget = "volatility-budget"
  case riskShare = "risk-share"
  case groupRiskShare = "group-risk-share"
  case liquidity

  /// Its place in `allCases`: where its evaluation sits in ``TradeEvaluation/limits``.
  var ordinal: Int {
    switch self {
    case .riskBudget: return 0
    case .notionalCap: return 1
    case .accountLeverage: return 2
    case .classLeverage: return 3
    case .groupExposure: return 4
    case .marginUtilisation: return 5
    case .volatilityBudget: return 6
    case .riskShare: return 7
    case .groupRiskShare: return 8
    case .liquidity: return 9
    }
  }

  public var title: String {
    switch self {
    case .riskBudget: return "risk budget"
    case .notionalCap: return "per-position notional cap"
    case .accountLeverage: return "account gross leverage"
    case .classLeverage: return "asset-class gross leverage"
    case .groupExposure: return "group gross exposure"
    case .marginUtilisation: return "margin utilisation"
    case .volatilityBudget: return "portfolio volatility budget"
    case .riskShare: return "risk-contribution cap"
    case .groupRiskShare: return "group risk-contribution cap"
    case .liquidity: return "liquidity (share of ADV)"
    }
  }

  /// The codes of its pre-trade finding: within, exceeded.
  public var findingCodes: (ok: FindingCode, exceeded: FindingCode) {
    switch self {
    case .riskBudget: return (.riskBudgetOK, .riskBudgetExceeded)
    case .notionalCap: return (.notionalCapOK, .notionalCapExceeded)
    case .accountLeverage: return (.leverageCapOK, .leverageCapExceeded)
    case .classLeverage: return (.classLeverageCapOK, .classLeverageCapExceeded)
    case .groupExposure: return (.groupExposureOK, .groupExposureExceeded)
    case .marginUtilisation: return (.marginOK, .marginUtilisationExceeded)
    case .volatilityBudget: return (.volatilityBudgetOK, .volatilityBudgetExceeded)
    case .riskShare: return (.riskShareOK, .riskShareExceeded)
    case .groupRiskShare: return (.groupRiskShareOK, .groupRiskShareExceeded)
    case .liquidity: return (.liquidityOK, .liquidityLimitExceeded)
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

/// A trade the model is asked about: its direction, prices and units in the base currency.
public struct CandidateTrade: Sendable, Hashable {
  public let symbol: String
  public let assetClass: AssetClass
  public let side: TradeSide
  public let entry: Double
  /// The stop the risk budget is measured to (the order's, else the profile's rule).
  public let stop: Double
  /// Base-currency exposure of one unit at the entry: entry × multiplier × FX.
  public let unitExposure: Double
  /// Base-currency loss of one unit at the stop: |entry − stop| × multiplier × FX, at most
  /// the whole entry value when the instrument cannot trade below zero.
  public let riskPerUnit: Double
  public let lotSize: Double
  public let averageDailyVolume: Double?
  public let advDays: Int
  /// Base-currency initial margin of one unit (nil: no margin terms, paid in full).
  public let unitMargin: Double?
  /// The hand-given group of the instrument (instruments.yaml `group`).
  public let group: String?

  public init(
    symbol: String, assetClass: AssetClass, side: TradeSide, entry: Double, stop: Double, unitExposure: Double,
    riskPerUnit: Double, lotSize: Double, averageDailyVolume: Double? = nil, advDays: Int = 20, unitMargin: Double? = nil,
    group: String? = nil
  ) {
    self.unitMargin = unitMargin
    self.group = group
    self.symbol = symbol
    self.assetClass = assetClass
    self.side = side
    self.entry = entry
    self.stop = stop
    self.unitExposure = unitExposure
    self.riskPerUnit = riskPerUnit
    self.lotSize = lotSize
    self.averageDailyVolume = averageDailyVolume
    self.advDays = advDays
  }

  public var sign: Double { side.sign }
}

/// The book, its covariance and the profile a trade is judged against.
///
/// A class, immutable: every limit and every reading of a trade shares one, and a
/// ``TradeEvaluation`` holds it, so copying an evaluation (each pre-trade rule reads one)
/// is one reference, not a copy of the book, the profile and the groups with each of their
/// references retained.
public final class LimitContext: Sendable {
  public let book: Book
  /// The annual covariance of the modelled holdings and the candidate (nil: none could be estimated).
  public let risk: PortfolioRiskModel?
  public let profile: RegimeProfile
  /// The groups of the book and the candidate (empty when the profile caps no group).
  public let groups: GroupMap

  /// Whether the evaluations explain themselves (formula, inputs, note): `size`, `budget` and
  /// `whatif` print them; a pre-trade check reads only the numbers, and building the text it
  /// never prints was a fifth of a batch's checking thread.
  public let explained: Bool

  /// - Parameters:
  ///   - candidate: the trade judged, whose instrument is grouped with the book's.
  ///   - groups: the groups when already known (a ``TradeEvaluation``'s), else computed here.
  ///   - explained: false leaves each evaluation's formula, inputs and note empty (the numbers are the same).
  public init(
    book: Book, risk: PortfolioRiskModel?, profile: RegimeProfile, candidate: CandidateTrade? = nil, groups: GroupMap? = nil,
    explained: Bool = true
  ) {
    self.book = book
    self.risk = risk
    self.profile = profile
    self.explained = explained
    let holding = candidate.map { t -> Holding in
      let h = book.holding(of: t.symbol)
      return (t.symbol, h.quantity, h.exposure, h.direct, risk?.position(of: t.symbol))
    }
    self.holding = holding
    if let groups {
      self.groups = groups
    } else if let t = candidate, profile.maxGroupExposure != nil || profile.maxGroupRiskShare != nil {
      self.groups = GroupMap.of(
        book: book, risk: risk, candidate: (t.symbol, t.group, holding?.position), profile: profile)
    } else if profile.maxGroupExposure != nil || profile.maxGroupRiskShare != nil {
      self.groups = GroupMap.of(book: book, risk: risk, candidate: nil, profile: profile)
    } else {
      self.groups = GroupMap(groups: [], clustered: false, clustersWanted: false)
    }
    self.base = EquityBase.of(book, profile: profile)
    self.equity = base.value
  }

  /// The candidate's holding and its row in the covariance, read once: the limits ask for the
  /// holding about ten times a trade, for the row five times.
  private let holding: Holding?
  private typealias Holding = (symbol: String, quantity: Double, exposure: Double, direct: Double, position: Int?)

  /// The instrument's row in the covariance (nil: not in it, or no covariance).
  public func position(of symbol: String) -> Int? {
    if let h = holding, h.symbol == symbol { return h.position }
    return risk?.position(of: symbol)
  }

  /// The equity base of every limit: the book's equity, drawdown-scaled under the profile.
  public let base: EquityBase
  /// The base's value: what every limit is a fraction of.
  public let equity: Double
  /// Units of the instrument held on the other side, which the trade can close: the reduce-only region.
  public func closable(_ t: CandidateTrade) -> Double { max(0, -t.sign * held(t)) }
  /// Signed units of the instrument held (not through options).
  public func held(_ t: CandidateTrade) -> Double {
    if let h = holding, h.symbol == t.symbol { return h.quantity }
    return book.quantity(of: t.symbol)
  }
  /// The instrument's exposure with the options on it (what the notional cap sees).
  public func existing(_ t: CandidateTrade) -> Double {
    if let h = holding, h.symbol == t.symbol { return h.exposure }
    return book.exposure(of: t.symbol)
  }
  /// The instrument's own holding (what the leverage caps see: options are in their own class).
  public func direct(_ t: CandidateTrade) -> Double {
    if let h = holding, h.symbol == t.symbol { return h.direct }
    return book.directExposure(of: t.symbol)
  }
}

/// One limit as the quantities of a trade it allows.
///
/// `allowed` nil means the limit does not apply (no volume data for a liquidity cap);
/// `evaluated` false means it could not be evaluated (no covariance): it then allows
/// nothing beyond the close-out, so the model fails closed.
public struct LimitEvaluation: Sendable, Hashable {
  public let id: LimitID
  public let allowed: QuantityInterval?
  public let evaluated: Bool
  public var formula: String { explanation?.formula ?? "" }
  public var inputs: [NamedValue] { explanation?.inputs ?? [] }
  public var note: String? { explanation?.note }
  public var binding: Bool = false
  /// The formula, inputs and note, in one object (nil: none, as in a pre-trade check): each
  /// order of a batch made and released ten evaluations' three empty fields.
  private let explanation: Explanation?

  final class Explanation: Sendable {
    let formula: String
    let inputs: [NamedValue]
    let note: String?
    init(formula: String, inputs: [NamedValue], note: String?) {
      self.formula = formula
      self.inputs = inputs
      self.note = note
    }
  }

  public init(
    id: LimitID, allowed: QuantityInterval?, evaluated: Bool = true, formula: String, inputs: [NamedValue], note: String?
  ) {
    self.id = id
    self.allowed = allowed
    self.evaluated = evaluated
    self.explanation = Explanation(formula: formula, inputs: inputs, note: note)
  }

  /// An evaluation in a context: its explanation is built only when the context is ``LimitContext/explained``.
  init(
    id: LimitID, allowed: QuantityInterval?, evaluated: Bool = true, formula: @autoclosure () -> String,
    inputs: @autoclosure () -> [NamedValue], note: @autoclosure () -> String?, in c: LimitContext
  ) {
    self.id = id
    self.allowed = allowed
    self.evaluated = evaluated
    self.explanation = c.explained ? Explanation(formula: formula(), inputs: inputs(), note: note()) : nil
  }

  public static func == (a: LimitEvaluation, b: LimitEvaluation) -> Bool {
    a.id == b.id && a.allowed == b.allowed && a.evaluated == b.evaluated && a.binding == b.binding
      && a.formula == b.formula && a.inputs == b.inputs && a.note == b.note
  }

  public func hash(into h: inout Hasher) {
    h.combine(id)
    h.combine(allowed)
    h.combine(evaluated)
    h.combine(binding)
    h.combine(formula)
    h.combine(inputs)
    h.combine(note)
  }

  static func notApplicable(_ id: LimitID, _ note: @autoclosure () -> String, in c: LimitContext) -> LimitEvaluation {
    LimitEvaluation(id: id, allowed: nil, formula: "—", inputs: [], note: note(), in: c)
  }
  static func notEvaluated(_ id: LimitID, _ note: @autoclosure () -> String, in c: LimitContext) -> LimitEvaluation {
    LimitEvaluation(id: id, allowed: .upTo(0), evaluated: false, formula: "—", inputs: [], note: note(), in: c)
  }

  public var applies: Bool { allowed != nil }
  /// Above 0 when the book already breaks the limit and only a trade at least this large brings it back.
  public var minQuantity: Double { allowed?.lower ?? 0 }
  /// The largest quantity the limit allows on its own (nil: does not apply).
  public var maxQuantity: Double? { allowed?.upper }
}

/// A limit's reading after a trade: the figure, its cap and the headroom left.
public struct LimitReading: Sendable, Hashable {
  public let id: LimitID
  /// What is measured, for messages ("money at risk", "gross leverage").
  public let name: String
  public let value: Double
  public let cap: Double
  /// The currency of a money reading (risk budget, notional); "" for ratios.
  public var unit: String = ""
  /// The group the reading is of (group limits: the one nearest its cap), else nil.
  public var subject: String? = nil
  /// Its members, for the finding's context.
  public var members: [String] = []
  public var headroom: Double { cap - value }
}

/// One limit of the regime that a whole book breaks.
public struct Breach: Sendable, Hashable {
  public let limit: LimitID
  /// The instrument or asset class concerned (nil: the whole account).
  public let subject: String?
  public let value: Double
  public let cap: Double
  public let unit: String

  /// The breach's identity, for comparing books: which limit, on what.
  public var key: String { "\(limit.rawValue)|\(subject ?? "")" }
}

/// A limit on one trade: the quantities it allows and its reading after a trade.
public protocol TradeLimit: Sendable {
  var id: LimitID { get }
  func evaluate(_ t: CandidateTrade, in c: LimitContext) -> LimitEvaluation
  func reading(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading
}

/// A limit a whole book can break (what-if's breaches and reductions).
public protocol BookLimit: Sendable {
  func breaches(in c: LimitContext) -> [Breach]
}

// MARK: - The limits, one type each

/// Money at risk between entry and stop on the new risk only: a trade first closes up to
/// the opposite holding (no new risk), and each unit beyond risks `riskPerUnit`.
/// q ≤ closable + equity × risk per trade × class multiplier / riskPerUnit.
public struct RiskBudgetLimit: TradeLimit {
  public var id: LimitID { .riskBudget }
  func budget(_ t: CandidateTrade, _ c: LimitContext) -> Double {
    c.equity * c.profile.riskPerTrade * c.profile.riskMultiplier(t.assetClass)
  }

  public func evaluate(_ t: CandidateTrade, in c: LimitContext) -> LimitEvaluation {
    let budget = budget(t, c)
    let closable = c.closable(t)
    return LimitEvaluation(
      id: id, allowed: .upTo(closable + max(0, budget) / t.riskPerUnit),
      formula: closable > 0
        ? "units closed + equity × risk × class multiplier ÷ (|entry − stop| × multiplier × fx)"
        : "equity × risk × class multiplier ÷ (|entry − stop| × multiplier × fx)",
      inputs: [
        NamedValue("money at risk allowed", budget, c.book.baseCurrency),
        NamedValue("loss per unit", t.riskPerUnit, c.book.baseCurrency),
      ] + (closable > 0 ? [NamedValue("units closed first (no new risk)", closable)] : []), note: nil, in: c)
  }

  public func reading(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading {
    LimitReading(
      id: id, name: "money at risk", value: max(0, q - c.closable(t)) * t.riskPerUnit, cap: budget(t, c),
      unit: c.book.baseCurrency)
  }
}

/// The position's notional (the instrument with the options on it, delta-adjusted) within
/// max_position_notional × equity; reducing it is always allowed.
public struct NotionalCapLimit: TradeLimit, BookLimit {
  public var id: LimitID { .notionalCap }
  func cap(_ c: LimitContext) -> Double { c.profile.maxPositionNotional * c.equity }

  public func evaluate(_ t: CandidateTrade, in c: LimitContext) -> LimitEvaluation {
    let cap = cap(c)
    let e0 = c.existing(t)
    let allowed = QuantityRoots.exposureCap(existing: e0, side: t.sign, unit: t.unitExposure, room: cap)
    return LimitEvaluation(
      id: id, allowed: allowed,
      formula: "(max notional × equity − existing exposure in the trade's direction) ÷ unit exposure",
      inputs: [
        NamedValue("max notional", c.profile.maxPositionNotional), NamedValue("cap", cap, c.book.baseCurrency),
        NamedValue("existing", e0, c.book.baseCurrency),
      ],
      note: allowed.upper > 0
        ? nil
        : "the existing \(t.symbol) exposure \(fmt(abs(e0))) \(c.book.baseCurrency) already uses the cap of \(fmt(cap)) \(c.book.baseCurrency)",
      in: c)
  }

  public func reading(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading {
    LimitReading(
      id: id, name: "position notional", value: abs(c.existing(t) + t.sign * q * t.unitExposure), cap: cap(c),
      unit: c.book.baseCurrency)
  }

  public func breaches(in c: LimitContext) -> [Breach] {
    let cap = cap(c)
    return c.book.riskSymbols.compactMap { s in
      let x = abs(c.book.exposure(of: s))
      return x > cap * (1 + QuantityRoots.tolerance)
        ? Breach(limit: id, subject: s, value: x / c.equity, cap: c.profile.maxPositionNotional, unit: "× equity") : nil
    }
  }
}

/// The account's gross exposure within max_gross_leverage × equity; reducing it is always allowed.
public struct AccountLeverageLimit: TradeLimit, BookLimit {
  public var id: LimitID { .accountLeverage }

  public func evaluate(_ t: CandidateTrade, in c: LimitContext) -> LimitEvaluation {
    let cap = c.profile.maxGrossLeverage * c.equity
    let d = c.direct(t)
    let allowed = QuantityRoots.exposureCap(
      existing: d, side: t.sign, unit: t.unitExposure, room: cap - (c.book.grossExposure - abs(d)))
    return LimitEvaluation(
      id: id, allowed: allowed,
      formula: "(max gross leverage × equity − gross exposure of the other positions − existing) ÷ unit exposure",
      inputs: [
        NamedValue("max gross leverage", c.profile.maxGrossLeverage), NamedValue("cap", cap, c.book.baseCurrency),
        NamedValue("gross exposure before", c.book.grossExposure, c.book.baseCurrency),
      ],
      note: allowed.upper > 0
        ? nil
        : "gross exposure \(fmt(c.book.grossExposure)) \(c.book.baseCurrency) already uses the cap of \(fmt(cap)) \(c.book.baseCurrency)",
      in: c)
  }

  public func reading(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading {
    let d = c.direct(t)
    let gross = c.book.grossExposure - abs(d) + abs(d + t.sign * q * t.unitExposure)
    return LimitReading(id: id, name: "gross leverage", value: gross / c.equity, cap: c.profile.maxGrossLeverage)
  }

  public func breaches(in c: LimitContext) -> [Breach] {
    let g = c.book.grossExposure
    return g > c.profile.maxGrossLeverage * c.equity * (1 + QuantityRoots.tolerance)
      ? [Breach(limit: id, subject: nil, value: g / c.equity, cap: c.profile.maxGrossLeverage, unit: "× equity")] : []
  }
}

/// The asset class's gross exposure within its cap × equity (options count in `option`).
public struct ClassLeverageLimit: TradeLimit, BookLimit {
  public var id: LimitID { .classLeverage }

  public func evaluate(_ t: CandidateTrade, in c: LimitContext) -> LimitEvaluation {
    let cls = t.assetClass.rawValue
    guard let leverage = c.profile.maxClassLeverage[t.assetClass] else {
      return .notApplicable(id, "the \(c.profile.name) profile sets no \(cls) leverage cap; the account cap applies", in: c)
    }
    let cap = leverage * c.equity
    let gross = c.book.classGross(t.assetClass)
    let d = c.direct(t)
    let allowed = QuantityRoots.exposureCap(existing: d, side: t.sign, unit: t.unitExposure, room: cap - (gross - abs(d)))
    return LimitEvaluation(
      id: id, allowed: allowed,
      formula: "(max \(cls) leverage × equity − \(cls) gross exposure of the others − existing) ÷ unit exposure",
      inputs: [
        NamedValue("max \(cls) leverage", leverage), NamedValue("cap", cap, c.book.baseCurrency),
        NamedValue("\(cls) gross before", gross, c.book.baseCurrency),
      ],
      note: allowed.upper > 0
        ? nil
        : "\(cls) gross exposure \(fmt(gross)) \(c.book.baseCurrency) already uses the cap of \(fmt(cap)) \(c.book.baseCurrency)",
      in: c)
  }

  public func reading(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading {
    let d = c.direct(t)
    let gross = c.book.classGross(t.assetClass) - abs(d) + abs(d + t.sign * q * t.unitExposure)
    return LimitReading(
      id: id, name: Self.readingNames[t.assetClass.ordinal], value: gross / c.equity,
      cap: c.profile.maxClassLeverage[t.assetClass] ?? .infinity)
  }

  /// "stock gross leverage", … by ``AssetClass/ordinal``: made once, not for every order's reading.
  static let readingNames = AssetClass.allCases.map { "\($0.rawValue) gross leverage" }

  public func breaches(in c: LimitContext) -> [Breach] {
    AssetClass.allCases.compactMap { cls in
      guard let cap = c.profile.maxClassLeverage[cls] else { return nil }
      let g = c.book.classGross(cls)
      return g > cap * c.equity * (1 + QuantityRoots.tolerance)
        ? Breach(limit: id, subject: cls.rawValue, value: g / c.equity, cap: cap, unit: "× equity") : nil
    }
  }
}

/// The portfolio's annual σ within portfolio_volatility_budget × equity, solved in closed
/// form (``QuantityRoots/volatilityBudget(variance:sigmaE:skk:side:unit:cap:)``).
public struct VolatilityBudgetLimit: TradeLimit, BookLimit {
  public var id: LimitID { .volatilityBudget }

  public func evaluate(_ t: CandidateTrade, in c: LimitContext) -> LimitEvaluation {
    guard let risk = c.risk, let k = c.position(of: t.symbol) else {
      return .notEvaluated(id, "not evaluated (no covariance): fails closed", in: c)
    }
    let (v0, sek, skk) = (risk.variance, risk.sigmaE[k], risk.covariance[k, k])
    let cap = c.profile.portfolioVolatilityBudget * c.equity
    let (interval, a, b, cc) = QuantityRoots.volatilityBudget(
      variance: v0, sigmaE: sek, skk: skk, side: t.sign, unit: t.unitExposure, cap: cap)
    let allowed = interval ?? .upTo(0)
    func note() -> String? {
      if a <= 0 { return "\(t.symbol) has no variance in the window; the budget cannot bind" }
      if interval == nil {
        return "the portfolio is over its volatility budget and no \(t.side.rawValue) trade in \(t.symbol) brings it within"
      }
      if allowed.lower > 0 {
        return
          "the portfolio is over its volatility budget: only trades between \(fmt(allowed.lower)) and \(fmt(allowed.upper)) units bring it within"
      }
      if allowed.upper == 0 && cc > 0 {
        return "the portfolio is over its volatility budget and a \(t.side.rawValue) trade adds to it"
      }
      return nil
    }
    return LimitEvaluation(
      id: id, allowed: allowed,
      formula:
        "largest q with (e + s·q·u·1ₖ)ᵀ Σ (e + s·q·u·1ₖ) ≤ (budget × equity)²: q = (−b + √(b² − a·c)) / a, a = u²Σₖₖ, b = s·u·(Σe)ₖ, c = eᵀΣe − (budget × equity)²",
      inputs: [
        NamedValue("budget (annual)", c.profile.portfolioVolatilityBudget),
        NamedValue("σ before (annual, of equity)", v0.squareRoot() / c.equity),
        NamedValue("σ of \(t.symbol) (annual)", skk.squareRoot()), NamedValue("(Σe)ₖ", sek), NamedValue("a", a),
        NamedValue("b", b), NamedValue("c", cc),
      ], note: note(), in: c)
  }

  /// Annual σ of the portfolio after a trade of q, as a fraction of equity (nil: no covariance).
  public func volatility(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> Double? {
    guard let risk = c.risk, let k = c.position(of: t.symbol) else { return nil }
    let d = t.sign * q * t.unitExposure
    return max(0, risk.variance + 2 * d * risk.sigmaE[k] + d * d * risk.covariance[k, k]).squareRoot() / c.equity
  }

  public func reading(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading {
    LimitReading(
      id: id, name: "portfolio annual σ", value: volatility(t, quantity: q, in: c) ?? .nan,
      cap: c.profile.portfolioVolatilityBudget)
  }

  public func breaches(in c: LimitContext) -> [Breach] {
    guard let risk = c.risk else { return [] }
    let v = risk.volatility
    let cap = c.profile.portfolioVolatilityBudget
    return v > cap * c.equity * (1 + QuantityRoots.tolerance)
      ? [Breach(limit: id, subject: nil, value: v / c.equity, cap: cap, unit: "annual σ / equity")] : []
  }
}

/// The instrument's Euler share of portfolio variance within max_risk_share
/// (``QuantityRoots/riskShare(existing:m:c0:skk:rho:side:unit:)``); not applicable to a lone position.
public struct RiskShareLimit: TradeLimit, BookLimit {
  public var id: LimitID { .riskShare }

  struct Figures {
    let k: Int
    let wk: Double
    let skk: Double
    let m: Double
    let c0: Double
  }

  /// m = Σⱼ≠ₖ Σₖⱼ eⱼ and c₀ = the variance of the others, for the instrument at row `k` of the
  /// covariance; nil when the share cannot apply.
  func figures(_ k: Int, _ risk: PortfolioRiskModel, rho: Double) -> Figures? {
    let (v0, sek, skk, wk) = (risk.variance, risk.sigmaE[k], risk.covariance[k, k], risk.exposures[k])
    let c0 = v0 - 2 * wk * sek + skk * wk * wk
    guard c0 > 1e-12 * max(v0, 1), skk > 0, rho < 1 else { return nil }
    return Figures(k: k, wk: wk, skk: skk, m: sek - skk * wk, c0: c0)
  }

  public func evaluate(_ t: CandidateTrade, in c: LimitContext) -> LimitEvaluation {
    guard let risk = c.risk, let k = c.position(of: t.symbol) else {
      return .notEvaluated(id, "not evaluated (no covariance)", in: c)
    }
    let rho = c.profile.maxRiskShare
    guard let f = figures(k, risk, rho: rho) else {
      return .notApplicable(
        id, "no other risky positions: a single position carries all the portfolio's risk, so the share cap does not apply",
        in: c)
    }
    let (allowed, _, _) = QuantityRoots.riskShare(
      existing: f.wk, m: f.m, c0: f.c0, skk: f.skk, rho: rho, side: t.sign, unit: t.unitExposure)
    return LimitEvaluation(
      id: id, allowed: allowed,
      formula: "largest q whose Euler contribution yₖ(Σy)ₖ / yᵀΣy ≤ max share: root of (1−ρ)Σₖₖ y² + (1−2ρ)·m·y − ρ·c₀ = 0",
      inputs: [
        NamedValue("max share ρ", rho), NamedValue("m = Σⱼ≠ₖ Σₖⱼ eⱼ", f.m), NamedValue("c₀ (variance of the others)", f.c0),
        NamedValue("existing exposure", f.wk, c.book.baseCurrency),
      ],
      note: allowed.lower > 0
        ? "the position already carries more than its share; only trades of at least \(fmt(allowed.lower)) units bring it within"
        : nil,
      in: c)
  }

  /// The instrument's share after a trade of q (nil: not applicable or no covariance).
  public func share(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> Double? {
    guard let risk = c.risk, let k = c.position(of: t.symbol), let f = figures(k, risk, rho: c.profile.maxRiskShare)
    else { return nil }
    let y = f.wk + t.sign * q * t.unitExposure
    let total = f.c0 + 2 * f.m * y + f.skk * y * y
    return total > 0 ? y * (f.skk * y + f.m) / total : nil
  }

  public func reading(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading {
    LimitReading(id: id, name: "risk share", value: share(t, quantity: q, in: c) ?? 0, cap: c.profile.maxRiskShare)
  }

  public func breaches(in c: LimitContext) -> [Breach] {
    guard let risk = c.risk, risk.symbols.count > 1, risk.variance > 0 else { return [] }
    let rho = c.profile.maxRiskShare
    return risk.symbols.indices.compactMap { k in
      let share = risk.exposures[k] * risk.sigmaE[k] / risk.variance
      return share > rho * (1 + QuantityRoots.tolerance)
        ? Breach(limit: id, subject: risk.symbols[k], value: share, cap: rho, unit: "share of variance") : nil
    }
  }
}

/// The order within max_adv_fraction × the average daily volume (not applicable without volume data).
public struct LiquidityLimit: TradeLimit {
  public var id: LimitID { .liquidity }

  public func evaluate(_ t: CandidateTrade, in c: LimitContext) -> LimitEvaluation {
    guard let adv = t.averageDailyVolume else {
      return .notApplicable(id, "no volume data for \(t.symbol) (OTC FX reports none); liquidity not capped", in: c)
    }
    return LimitEvaluation(
      id: id, allowed: .upTo(c.profile.maxADVFraction * adv), formula: "max fraction of ADV × ADV(\(t.advDays))",
      inputs: [NamedValue("max fraction", c.profile.maxADVFraction), NamedValue("ADV", adv, "units")], note: nil, in: c)
  }

  public func reading(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading {
    LimitReading(id: id, name: "share of ADV", value: t.averageDailyVolume.map { q / $0 } ?? 0, cap: c.profile.maxADVFraction)
  }
}
