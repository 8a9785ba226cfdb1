/// What ``LimitModel/visit(_:_:)`` hands a limit's rule type to.
protocol TradeLimitVisitor {
  associatedtype Result
  func visit<L: TradeLimit>(_ limit: L) -> Result
}

/// Every limit of a profile for one trade, as the quantities it allows: the one
/// answer `size` (which takes the largest allowed), `check` (which compares an
/// order with it), `budget` (which proposes only what it allows) and `whatif`
/// (which reduces a book until it holds) all read.
///
/// The allowed quantities are `[0, closable] ∪ [lower, upper]`:
/// - up to `closable`, the units held on the other side, a trade only reduces the
///   position; a reduce-only trade is always allowed, by every limit, whatever the
///   equity (it lowers the position's risk and the account's exposure);
/// - beyond it, every applicable limit's interval must hold (``TradeLimit``).
///
/// A class, immutable: every pre-trade rule of an order reads it, and a struct of eight
/// fields was copied (and each of its references retained and released) by each of them.
public final class TradeEvaluation: Sendable {
  public let trade: CandidateTrade
  /// In the order of ``LimitID/allCases`` (the limit of id `i` at `i.ordinal`), the binding one marked.
  public let limits: [LimitEvaluation]
  public let closable: Double
  /// The intersection of the applicable limits' intervals.
  public let lower: Double
  public let upper: Double
  /// The largest whole-lot quantity every limit allows: at least the close-out.
  public let maxQuantity: Double
  /// The applicable limit with the smallest maximum.
  public let binding: LimitID?
  /// What the limits read (the book, covariance, profile, equity base and groups), kept
  /// so that a reading after the trade (``LimitModel/readings``, `check`'s messages) is
  /// taken in the same context without building it again.
  public let context: LimitContext
  /// The groups the trade was judged in (computed once, for the readings of the group limits).
  public var groups: GroupMap { context.groups }

  init(
    trade: CandidateTrade, limits: [LimitEvaluation], closable: Double, lower: Double, upper: Double, maxQuantity: Double,
    binding: LimitID?, context: LimitContext
  ) {
    self.trade = trade
    self.limits = limits
    self.closable = closable
    self.lower = lower
    self.upper = upper
    self.maxQuantity = maxQuantity
    self.binding = binding
    self.context = context
  }

  /// The trade only reduces the position (no limit applies to it).
  public func isReduceOnly(_ q: Double) -> Bool { closable > 0 && q <= closable * (1 + 1e-12) }

  /// The trade of `q` breaks no limit.
  public func allows(_ q: Double) -> Bool { isReduceOnly(q) || exceeded(q).isEmpty }

  /// The limits a trade of `q` breaks (none for a reduce-only trade).
  public func exceeded(_ q: Double) -> [LimitID] {
    if isReduceOnly(q) { return [] }
    return limits.compactMap { l in
      guard let a = l.allowed else { return nil }
      return l.evaluated && a.contains(q) ? nil : l.id
    }
  }

  /// The limit's reading after a trade of `q`, in the context the trade was judged in (the
  /// trade read in place: a copy of it taken for each limit's reading was a fifth of its cost).
  public func reading(_ id: LimitID, quantity q: Double) -> LimitReading {
    LimitModel.reading(id, trade, quantity: q, in: context)
  }

  /// The largest whole-lot quantity the limit allows on its own (with the close-out).
  public func maxQuantity(of id: LimitID) -> Double? {
    let i = id.ordinal
    guard let a = limits[i].allowed else { return nil }
    return roundDownToLot(max(limits[i].evaluated ? a.upper : 0, closable), lot: trade.lotSize).quantity
  }
}

public struct LimitModel: Sendable {
  public let profile: RegimeProfile

  public init(_ profile: RegimeProfile) { self.profile = profile }

  /// Hands limit `id`'s rule type to the visitor: the compiler asks for one when a
  /// ``LimitID`` is added. The visitor's generic method is specialised for each type, so a
  /// trade's ten evaluations and readings dispatch statically (an array of `any TradeLimit`
  /// copied, projected and destroyed each existential for every trade).
  static func visit<V: TradeLimitVisitor>(_ id: LimitID, _ v: V) -> V.Result {
    switch id {
    case .riskBudget: return v.visit(RiskBudgetLimit())
    case .notionalCap: return v.visit(NotionalCapLimit())
    case .accountLeverage: return v.visit(AccountLeverageLimit())
    case .classLeverage: return v.visit(ClassLeverageLimit())
    case .groupExposure: return v.visit(GroupExposureLimit())
    case .marginUtilisation: return v.visit(MarginUtilisationLimit())
    case .volatilityBudget: return v.visit(VolatilityBudgetLimit())
    case .riskShare: return v.visit(RiskShareLimit())
    case .groupRiskShare: return v.visit(GroupRiskShareLimit())
    case .liquidity: return v.visit(LiquidityLimit())
    }
  }

  /// The rule type of each limit (``visit(_:_:)``).
  public static func limit(_ id: LimitID) -> any TradeLimit {
    struct Get: TradeLimitVisitor {
      func visit<L: TradeLimit>(_ l: L) -> any TradeLimit { l }
    }
    return visit(id, Get())
  }

  /// Every limit's evaluation of the trade, in the order of ``LimitID/allCases``.
  static func evaluations(_ t: CandidateTrade, in c: LimitContext) -> [LimitEvaluation] {
    struct Evaluate: TradeLimitVisitor {
      let t: CandidateTrade
      let c: LimitContext
      func visit<L: TradeLimit>(_ l: L) -> LimitEvaluation { l.evaluate(t, in: c) }
    }
    let e = Evaluate(t: t, c: c)
    return LimitID.allCases.map { visit($0, e) }
  }

  /// Limit `id`'s reading after a trade of `q` (``TradeLimit/reading(_:quantity:in:)``).
  static func reading(_ id: LimitID, _ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading {
    struct Read: TradeLimitVisitor {
      let t: CandidateTrade
      let q: Double
      let c: LimitContext
      func visit<L: TradeLimit>(_ l: L) -> LimitReading { l.reading(t, quantity: q, in: c) }
    }
    return visit(id, Read(t: t, q: q, c: c))
  }

  public static let tradeLimits: [any TradeLimit] = LimitID.allCases.map(limit)
  /// The limits a whole book can break, in the order reductions cure them.
  public static let bookLimits: [any BookLimit] = [
    NotionalCapLimit(), ClassLeverageLimit(), AccountLeverageLimit(), GroupExposureLimit(), MarginUtilisationLimit(),
    VolatilityBudgetLimit(), RiskShareLimit(), GroupRiskShareLimit(),
  ]

  /// - Parameter explained: false when only the numbers are read (a pre-trade check): each
  ///   evaluation's formula, inputs and note are then left empty (``LimitContext/explained``).
  public func evaluate(_ t: CandidateTrade, book: Book, risk: PortfolioRiskModel?, explained: Bool = true) -> TradeEvaluation {
    let c = LimitContext(book: book, risk: risk, profile: profile, candidate: t, explained: explained)
    let closable = c.closable(t)
    var limits: [LimitEvaluation]
    if c.equity > 0 && c.equity.isFinite {
      limits = Self.evaluations(t, in: c)
    } else {
      let why =
        explained
        ? "equity is \(fmt(c.equity)) \(book.baseCurrency), not positive: only a trade that reduces the position is allowed" : ""
      limits = LimitID.allCases.map { LimitEvaluation.notEvaluated($0, why, in: c) }
    }
    var lower = 0.0
    var upper = Double.infinity
    var binding: Int? = nil
    for (i, l) in limits.enumerated() {
      guard let a = l.allowed else { continue }
      lower = max(lower, a.lower)
      if a.upper < upper {
        upper = a.upper
        binding = i
      }
    }
    if let b = binding { limits[b].binding = true }
    let closeOut = roundDownToLot(closable, lot: t.lotSize).quantity
    var opening = 0.0
    if lower <= upper, upper.isFinite {
      let m = roundDownToLot(upper, lot: t.lotSize).quantity
      if m >= lower * (1 - QuantityRoots.tolerance) { opening = m }
    }
    return TradeEvaluation(
      trade: t, limits: limits, closable: closable, lower: lower, upper: upper, maxQuantity: max(closeOut, opening),
      binding: binding.map { limits[$0].id }, context: c)
  }

  /// Every limit's reading after a trade of `q`.
  public func readings(_ t: CandidateTrade, quantity q: Double, book: Book, risk: PortfolioRiskModel?) -> [LimitReading] {
    let c = LimitContext(book: book, risk: risk, profile: profile, candidate: t)
    return Self.tradeLimits.map { $0.reading(t, quantity: q, in: c) }
  }

  /// Every limit the whole book breaks, in the order of ``bookLimits``.
  public func breaches(book: Book, risk: PortfolioRiskModel?) -> [Breach] {
    guard book.equity > 0, book.equity.isFinite else {
      return [Breach(limit: .accountLeverage, subject: nil, value: book.grossExposure, cap: 0, unit: "equity is not positive")]
    }
    let c = LimitContext(book: book, risk: risk, profile: profile)
    return Self.bookLimits.flatMap { $0.breaches(in: c) }
  }
}
