/// How serious a finding is.
public enum Severity: String, Sendable, Hashable, Comparable {
  case pass, warn, fail
  public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
  var rank: Int {
    switch self {
    case .pass: return 0
    case .warn: return 1
    case .fail: return 2
    }
  }
}

/// The stable codes of `advisor check`. Their spelling is a contract with scripts:
/// add new ones, never rename or reuse one (see docs/CHECK_CODES.md).
public enum FindingCode: String, Sendable, Hashable, CaseIterable {
  case malformedOrder = "MALFORMED_ORDER"
  case unknownInstrument = "UNKNOWN_INSTRUMENT"
  case invalidQuantity = "INVALID_QUANTITY"
  case duplicateClientOrderID = "DUPLICATE_CLIENT_ORDER_ID"
  case lotSizeOK = "LOT_SIZE_OK"
  case lotSizeMismatch = "LOT_SIZE_MISMATCH"
  case marketDataOK = "MARKET_DATA_OK"
  case staleMarketData = "STALE_MARKET_DATA"
  case marketDataGaps = "MARKET_DATA_GAPS"
  case marketDataInsufficient = "MARKET_DATA_INSUFFICIENT"
  case priceBandOK = "PRICE_BAND_OK"
  case priceOutsideBand = "PRICE_OUTSIDE_BAND"
  case stopOK = "STOP_OK"
  case stopMissing = "STOP_MISSING"
  case stopWrongSide = "STOP_WRONG_SIDE"
  case stopInsideNoise = "STOP_INSIDE_NOISE"
  case stopNotRequired = "STOP_NOT_REQUIRED"
  case reducesPosition = "REDUCES_POSITION"
  case equityNotPositive = "EQUITY_NOT_POSITIVE"
  case noFXRate = "NO_FX_RATE"
  case holdingsModelled = "HOLDINGS_MODELLED"
  case holdingNotModelled = "HOLDING_NOT_MODELLED"
  case riskBudgetOK = "RISK_BUDGET_OK"
  case riskBudgetExceeded = "RISK_BUDGET_EXCEEDED"
  case notionalCapOK = "NOTIONAL_CAP_OK"
  case notionalCapExceeded = "NOTIONAL_CAP_EXCEEDED"
  case leverageCapOK = "LEVERAGE_CAP_OK"
  case leverageCapExceeded = "LEVERAGE_CAP_EXCEEDED"
  case classLeverageCapOK = "CLASS_LEVERAGE_CAP_OK"
  case classLeverageCapExceeded = "CLASS_LEVERAGE_CAP_EXCEEDED"
  case groupExposureOK = "GROUP_EXPOSURE_OK"
  case groupExposureExceeded = "GROUP_EXPOSURE_EXCEEDED"
  case marginOK = "MARGIN_OK"
  case marginUtilisationExceeded = "MARGIN_UTILISATION_EXCEEDED"
  case volatilityBudgetOK = "VOLATILITY_BUDGET_OK"
  case volatilityBudgetExceeded = "VOLATILITY_BUDGET_EXCEEDED"
  case riskShareOK = "RISK_SHARE_OK"
  case riskShareExceeded = "RISK_SHARE_EXCEEDED"
  case groupRiskShareOK = "GROUP_RISK_SHARE_OK"
  case groupRiskShareExceeded = "GROUP_RISK_SHARE_EXCEEDED"
  case liquidityOK = "LIQUIDITY_OK"
  case liquidityLimitExceeded = "LIQUIDITY_LIMIT_EXCEEDED"
  case checkNotEvaluated = "CHECK_NOT_EVALUATED"
  case tradingStateReducing = "TRADING_STATE_REDUCING"
  case tradingStateHalted = "TRADING_STATE_HALTED"
  case journalUnavailable = "JOURNAL_UNAVAILABLE"
}

/// The keys of a finding's context: a contract with scripts, like the codes.
public enum ContextKey: String, Sendable, Hashable, CaseIterable {
  case line, instrument, quantity, lot, value, limit, headroom, maxQuantity, minQuantity
  case lastDate, asOf, ageDays, lastClose, stop, price, distance, dailySigma, required, held, after
  case equity, currency, unitExposure, riskPerUnit, applies, clientOrderId, firstIndex, holdings, regime, droppedRows, file
  case group, members
  case state, source, actor, at, since, until
}

/// A value in a finding's context.
public enum ContextValue: Sendable, Hashable, CustomStringConvertible {
  case number(Double)
  case text(String)
  public var description: String {
    switch self {
    case .number(let x): return fmt(x)
    case .text(let s): return s
    }
  }
}

/// One check's outcome: severity, stable code, a sentence and `key=value` context.
///
/// A limit's finding (ten of an order's fourteen) is kept as its numbers, ``LimitFinding``,
/// and its sentence and context are written when read: the batch checker's thread only
/// judges, and the renderer, on the other core, writes the text from the numbers.
public struct Finding: Sendable, Hashable {
  public let code: FindingCode
  public let severity: Severity
  let body: Body

  enum Body: Sendable {
    case given(message: String, context: [(key: ContextKey, value: ContextValue)])
    case limit(LimitFinding)
    case rule(RuleFinding)
  }

  public init(
    _ code: FindingCode, _ severity: Severity, _ message: Sentence, _ context: [(key: ContextKey, value: ContextValue)] = []
  ) {
    self.init(code, severity, verbatim: message.string, context)
  }

  /// A finding whose sentence is already text.
  public init(
    _ code: FindingCode, _ severity: Severity, verbatim message: String,
    _ context: [(key: ContextKey, value: ContextValue)] = []
  ) {
    self.code = code
    self.severity = severity
    self.body = .given(message: message, context: context)
  }

  /// A limit's finding, its sentence and context written when read.
  init(_ code: FindingCode, _ severity: Severity, limit: LimitFinding) {
    self.code = code
    self.severity = severity
    self.body = .limit(limit)
  }

  /// A passing order's finding of a rule other than a limit, its sentence and context written when read.
  init(_ code: FindingCode, _ severity: Severity, rule: RuleFinding) {
    self.code = code
    self.severity = severity
    self.body = .rule(rule)
  }

  /// The sentence.
  public var message: String {
    switch body {
    case .given(let m, _): return m
    case .limit(let l): return SentencePiece.string(l.pieces)
    case .rule(let r): return SentencePiece.string(r.pieces)
    }
  }

  /// The sentence piece by piece (``SentencePiece``), for a renderer that writes it as bytes.
  public func pieces(_ emit: (SentencePiece) -> Void) {
    switch body {
    case .given(let m, _): emit(.text(m))
    case .limit(let l): l.pieces(emit)
    case .rule(let r): r.pieces(emit)
    }
  }

  /// The limit's finding when this is one, kept as its numbers (nil: a rule's or a given one).
  public var limit: LimitFinding? {
    if case .limit(let l) = body { return l }
    return nil
  }

  /// The `key=value` context, in its order.
  public var context: [(key: ContextKey, value: ContextValue)] {
    switch body {
    case .given(_, let c): return c
    case .limit(let l): return l.context
    case .rule(let r): return r.context
    }
  }

  public static func == (a: Finding, b: Finding) -> Bool {
    let (ca, cb) = (a.context, b.context)
    return a.code == b.code && a.severity == b.severity && a.message == b.message && ca.map(\.key) == cb.map(\.key)
      && ca.map(\.value) == cb.map(\.value)
  }
  public func hash(into h: inout Hasher) {
    h.combine(code)
    h.combine(message)
  }
}

/// A limit's pre-trade finding as its numbers: the reading after the order, the largest
/// quantity that passes, and how the order stands against it. Its sentence is written by
/// ``pieces(_:)`` alone, for ``Finding/message`` and for a renderer writing it as bytes.
///
/// A class: a finding holding one is copied as one reference (a batch's results are read
/// on the writer's thread, finding by finding).
public final class LimitFinding: Sendable {
  public enum Verdict: Sendable {
    /// The limit does not apply (no group, no margin terms, no volume data).
    case doesNotApply
    case within
    /// The order is larger than the limit allows.
    case exceeds
    /// The book is over the limit already and the order is smaller than `lower`, the least that brings it within.
    case overAlready(lower: Double)
  }
  public let verdict: Verdict
  public let reading: LimitReading
  /// The largest quantity of the order that passes every limit (the context's `maxQuantity`).
  public let maxQuantity: Double

  init(_ verdict: Verdict, _ reading: LimitReading, maxQuantity: Double) {
    self.verdict = verdict
    self.reading = reading
    self.maxQuantity = maxQuantity
  }

  /// The sentence, piece by piece: a number is ``fmt(_:)``'s text.
  public func pieces(_ emit: (SentencePiece) -> Void) {
    let r = reading
    emit(.text(r.name))
    if case .doesNotApply = verdict { return emit(.literal(": does not apply.")) }
    func figure(_ x: Double) {
      emit(.number(x))
      if !r.unit.isEmpty {
        emit(.literal(" "))
        emit(.text(r.unit))
      }
    }
    emit(.literal(" "))
    figure(r.value)
    switch verdict {
    case .doesNotApply: return
    case .within:
      emit(.literal(" within "))
      figure(r.cap)
      emit(.literal("."))
    case .exceeds:
      emit(.literal(" exceeds the limit "))
      figure(r.cap)
      emit(.literal("; at most "))
      emit(.number(maxQuantity))
      emit(.literal(" would pass."))
    case .overAlready(let lower):
      emit(.literal(" is over the limit "))
      figure(r.cap)
      emit(.literal(" already; only an order of at least "))
      emit(.number(lower))
      emit(.literal(" brings it within."))
    }
  }

  var context: [(key: ContextKey, value: ContextValue)] {
    let r = reading
    if case .doesNotApply = verdict { return [(.applies, .text("false"))] }
    var c: [(key: ContextKey, value: ContextValue)] = [
      (.limit, .number(r.cap)), (.value, .number(r.value)), (.headroom, .number(r.headroom)),
      (.maxQuantity, .number(maxQuantity)),
    ]
    if let g = r.subject { c += [(.group, .text(g)), (.members, .text(r.members.joined(separator: ",")))] }
    if case .overAlready(let lower) = verdict { c.append((.minQuantity, .number(lower))) }
    return c
  }
}

/// The findings every order meets on its way to the limits (its lots, the age of its data,
/// its price, its stop, a reduction), kept as their numbers like ``LimitFinding``: the batch
/// checker's thread writes neither their sentences nor their contexts, and a finding holds
/// no heap object of its own (a `String` sentence and a context array each were allocated on
/// the checking thread and freed on the writer's). The sentences are those the rules wrote
/// as text before (`RuleFindingTests` pins them).
enum RuleFinding: Sendable {
  /// LOT_SIZE_OK: the quantity is `count` whole lots of `lot`.
  case lots(count: Double, lot: Double)
  /// MARKET_DATA_OK: the last close, `age` days before the as-of date.
  case fresh(last: Day, age: Int)
  /// PRICE_BAND_OK without a price: checked at the last close.
  case atLastClose(Double)
  /// PRICE_BAND_OK: the price's deviation from the last close (a fraction), within `band`.
  case inBand(deviation: Double, band: Double)
  /// STOP_OK: the stop and the entry it is measured from.
  case stop(Double, entry: Double)
  /// STOP_NOT_REQUIRED: the order only reduces the `held` units.
  case stopNotRequired(held: Double)
  /// REDUCES_POSITION: from `held` to `after` units of the instrument.
  case reduces(symbol: String, held: Double, after: Double)

  func pieces(_ emit: (SentencePiece) -> Void) {
    switch self {
    case .lots(let n, let lot):
      emit(.literal("quantity is "))
      emit(.number(n))
      emit(.literal(n == 1 ? " lot of " : " lots of "))
      emit(.number(lot))
      emit(.literal("."))
    case .fresh(let last, let age):
      emit(.literal("last close "))
      emit(.text(last.description))
      emit(.literal(" is "))
      emit(.text(String(age)))
      emit(.literal(age == 1 ? " day old." : " days old."))
    case .atLastClose(let last):
      emit(.literal("no price: checked at the last close "))
      emit(.number(last))
      emit(.literal("."))
    case .inBand(let deviation, _):
      emit(.literal("price is "))
      emit(.number(deviation * 100))
      emit(.literal("% from the last close."))
    case .stop(let st, let entry):
      emit(.literal("stop "))
      emit(.number(st))
      emit(.literal(" is "))
      emit(.number(abs(entry - st) / entry * 100))
      emit(.literal("% away."))
    case .stopNotRequired:
      emit(.literal("the order only reduces the position: no stop needed."))
    case .reduces(let symbol, let held, let after):
      emit(.literal("the order reduces the "))
      emit(.text(symbol))
      emit(.literal(" position from "))
      emit(.number(held))
      emit(.literal(" to "))
      emit(.number(after))
      emit(.literal(": it lowers risk, so the exposure limits pass."))
    }
  }

  var context: [(key: ContextKey, value: ContextValue)] {
    switch self {
    case .lots(_, let lot): return [(.lot, .number(lot))]
    case .fresh(let last, let age): return [(.lastDate, .text(last.description)), (.ageDays, .number(Double(age)))]
    case .atLastClose(let last): return [(.lastClose, .number(last))]
    case .inBand(let deviation, let band): return [(.limit, .number(band)), (.value, .number(deviation))]
    case .stop(let st, let entry): return [(.stop, .number(st)), (.distance, .number(abs(entry - st)))]
    case .stopNotRequired(let held): return [(.held, .number(held))]
    case .reduces(_, let held, let after): return [(.held, .number(held)), (.after, .number(after))]
    }
  }
}

/// An order to check. `buy` is the long direction, `sell` the short.
public struct Order: Sendable, Hashable {
  public var clientOrderID: String?
  public var symbol: String
  public var side: TradeSide
  public var quantity: Double
  public var price: Double?
  public var stop: Double?
  /// The source line (batches).
  public var line: Int?

  public init(
    clientOrderID: String? = nil, symbol: String, side: TradeSide, quantity: Double, price: Double? = nil, stop: Double? = nil,
    line: Int? = nil
  ) {
    self.clientOrderID = clientOrderID
    self.symbol = symbol
    self.side = side
    self.quantity = quantity
    self.price = price
    self.stop = stop
    self.line = line
  }
}

/// An order, or a row that could not be read as one.
public enum OrderInput: Sendable {
  case order(Order)
  case malformed(line: Int, clientOrderID: String?, message: String)
}

/// The outcome for one order.
public struct OrderResult: Sendable {
  public let order: Order?
  public let line: Int?
  public let clientOrderID: String?
  public let findings: [Finding]
  /// The largest quantity (lot-rounded) that passes every size limit, where it could be computed:
  /// at least the holding an order on the reducing side can close.
  public let maxQuantity: Double?
  public let reducesOnly: Bool
  /// The profile the order was judged by (nil: it could not be chosen).
  public let regime: String?

  public var worst: Severity {
    var w = Severity.pass
    for f in findings where f.severity > w { w = f.severity }
    return w
  }
  /// Passed: no fail (and, under `strict`, no warning).
  public func passed(strict: Bool) -> Bool { strict ? worst == .pass : worst != .fail }
  public var failingCodes: [FindingCode] {
    // Read in place: a finding copied out retains and releases its body (a batch asks for every order).
    findings.indices.compactMap { findings[$0].severity == .fail ? findings[$0].code : nil }
  }

  /// The same result failed closed by a finding raised after the rules ran (the journal
  /// could not record it): the finding is added and no quantity passes.
  public func failedClosed(by f: Finding) -> OrderResult {
    OrderResult(
      order: order, line: line, clientOrderID: clientOrderID, findings: findings + [f], maxQuantity: nil,
      reducesOnly: reducesOnly, regime: regime)
  }
}

/// Everything a pre-trade rule may read about one order. Fields a step could not
/// produce are nil, and a rule that needs one must fail rather than pass.
public struct OrderContext: Sendable {
  public let order: Order
  public let profile: RegimeProfile
  public let asOf: Day
  /// The book's equity and base currency (the book itself is the evaluation's, ``TradeEvaluation/context``:
  /// a second copy of it here was a dozen references retained and released an order).
  public let equity: Double
  public let baseCurrency: String
  /// The units of the order's instrument held (signed), read once from the book.
  public let held: Double
  public let knownSymbols: [String]
  public let isKnown: Bool
  public let spec: InstrumentSpec
  /// nil with `statsError` set when the history cannot give the statistics.
  public let stats: InstrumentStats?
  public let statsError: String?
  /// The order's price, else the last close.
  public let entry: Double?
  public let fx: Double?
  /// The earlier order of the batch with the same client order id (its index, 1-based).
  public let duplicateOf: Int?
  /// Holdings the covariance leaves out (no, too little or stale data).
  public let unmodelled: [Diagnostic]
  /// Rows dropped from the instrument's market data for a missing value.
  public let droppedRows: Int
  /// The limits of the trade (nil when the trade could not be set up), with the book and the
  /// covariance they read.
  public let evaluation: TradeEvaluation?
  /// The account's trading state under the order's profile (nil: not read).
  public var tradingState: TradingStateReading? = nil

  /// The order only reduces the position (it closes at most what is held on the other side).
  public var reducesOnly: Bool {
    held * order.side.sign < 0 && order.quantity.isFinite && order.quantity <= abs(held) * (1 + 1e-12)
  }
}

/// The numbers of an order's context a rule reads (for the rule contract test).
public enum OrderField: String, Sendable, Hashable, CaseIterable {
  case quantity, price, stop, equity, fx, dailyVolatility, lastClose
}

/// One pre-trade rule: reads the context, emits findings with its own codes only.
///
/// Contract (one test runs it over every rule): a rule emits only the codes in
/// ``codes``; when a field it ``reads`` is not finite it emits a warning or a failure,
/// never only passes; what it could not evaluate fails.
public protocol PreTradeRule: Sendable {
  var codes: Set<FindingCode> { get }
  /// The numbers it reads.
  var reads: Set<OrderField> { get }
  /// A failing finding of this rule stops the checks after it (the later ones need what it checks).
  var halts: Bool { get }
  /// Appends the rule's findings on the order to `out` (the order's findings so far): one
  /// array an order, not one per rule.
  func check(_ c: OrderContext, into out: inout [Finding])
  /// Whether the checks after this rule are skipped, given its findings (asked only when it
  /// found something: a rule that emits no finding never stops the checks).
  func stops(_ c: OrderContext, after findings: ArraySlice<Finding>) -> Bool
}

extension PreTradeRule {
  public var halts: Bool { false }
  public var reads: Set<OrderField> { [] }
  public func stops(_ c: OrderContext, after findings: ArraySlice<Finding>) -> Bool {
    halts && findings.contains { $0.severity == .fail }
  }
  /// The rule's findings on the order alone.
  public func check(_ c: OrderContext) -> [Finding] {
    var out: [Finding] = []
    check(c, into: &out)
    return out
  }
}

// MARK: - The rules, in the order they run

public struct InstrumentKnownRule: PreTradeRule {
  public var codes: Set<FindingCode> { [.unknownInstrument] }
  public var halts: Bool { true }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    guard !c.isKnown else { return }
    let suggestions = closeMatches(for: c.order.symbol, in: c.knownSymbols)
    out.append(
      Finding(
        .unknownInstrument, .fail,
        verbatim: "\(c.order.symbol) is not in the market data"
          + (suggestions.isEmpty ? "." : "; did you mean \(suggestions.joined(separator: ", "))?"),
        [(.instrument, .text(c.order.symbol))]))
  }
}

public struct QuantityRule: PreTradeRule {
  public var reads: Set<OrderField> { [.quantity] }
  public var codes: Set<FindingCode> { [.invalidQuantity] }
  public var halts: Bool { true }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    let q = c.order.quantity
    guard !(q > 0 && q.isFinite) else { return }
    out.append(Finding(.invalidQuantity, .fail, "quantity \(num: q) is not a positive number.", [(.quantity, .number(q))]))
  }
}

/// A client order id seen earlier in the batch fails the later order (a retried or pasted
/// order must not pass twice).
public struct DuplicateOrderIDRule: PreTradeRule {
  public var codes: Set<FindingCode> { [.duplicateClientOrderID] }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    guard let first = c.duplicateOf, let id = c.order.clientOrderID else { return }
    out.append(
      Finding(
        .duplicateClientOrderID, .fail, "client order id '\(id)' was already used by order #\(first) of this batch.",
        [(.clientOrderId, .text(id)), (.firstIndex, .number(Double(first)))]))
  }
}

public struct MarketDataSufficientRule: PreTradeRule {
  public var codes: Set<FindingCode> { [.marketDataInsufficient] }
  public var halts: Bool { true }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    guard c.stats == nil else { return }
    out.append(
      Finding(
        .marketDataInsufficient, .fail, verbatim: c.statsError ?? "the statistics of \(c.order.symbol) could not be computed.",
        [(.instrument, .text(c.order.symbol))]))
  }
}

public struct LotSizeRule: PreTradeRule {
  public var reads: Set<OrderField> { [.quantity] }
  public var codes: Set<FindingCode> { [.lotSizeOK, .lotSizeMismatch] }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    let lot = c.spec.lotSize
    let lots = c.order.quantity / lot
    if lots.isFinite && abs(lots - lots.rounded()) <= 1e-9 * max(1, lots) {
      let n = lots.rounded()
      out.append(Finding(.lotSizeOK, .pass, rule: .lots(count: n, lot: lot)))
      return
    }
    out.append(
      Finding(
        .lotSizeMismatch, .fail, "quantity \(num: c.order.quantity) is not a multiple of the lot size \(num: lot).",
        [
          (.lot, .number(lot)), (.value, .number(c.order.quantity)),
          (.maxQuantity, .number(roundDownToLot(c.order.quantity, lot: lot).quantity)),
        ]))
  }
}

public struct MarketDataFreshRule: PreTradeRule {
  public var codes: Set<FindingCode> { [.marketDataOK, .staleMarketData] }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    guard let stats = c.stats else {
      out.append(stale(c, last: nil))
      return
    }
    let age = c.asOf - stats.lastDay
    if age > c.profile.maxDataAgeDays || age < 0 {
      out.append(stale(c, last: stats.lastDay))
      return
    }
    out.append(Finding(.marketDataOK, .pass, rule: .fresh(last: stats.lastDay, age: age)))
  }

  func stale(_ c: OrderContext, last: Day?) -> Finding {
    guard let last else {
      return Finding(
        .staleMarketData, .fail, "no close of \(c.order.symbol) on or before \(c.asOf).", [(.asOf, .text(c.asOf.description))])
    }
    let age = c.asOf - last
    return Finding(
      .staleMarketData, .fail,
      "the last close of \(c.order.symbol) is \(last), \(age) days before the as-of date \(c.asOf) (limit \(c.profile.maxDataAgeDays)).",
      [
        (.lastDate, .text(last.description)), (.asOf, .text(c.asOf.description)), (.ageDays, .number(Double(age))),
        (.limit, .number(Double(c.profile.maxDataAgeDays))),
      ])
  }
}

/// Rows dropped from the instrument's file for a missing value change its statistics (the
/// ATR, so the rule's stop): a warning, which `--strict` fails.
public struct MarketDataGapsRule: PreTradeRule {
  public var codes: Set<FindingCode> { [.marketDataGaps] }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    guard c.droppedRows > 0 else { return }
    out.append(
      Finding(
        .marketDataGaps, .warn,
        "\(c.stats?.source.path ?? c.order.symbol): \(c.droppedRows) row\(c.droppedRows == 1 ? "" : "s") with a missing price dropped for \(c.order.symbol); its volatility and ATR are from the rows that remain.",
        [(.droppedRows, .number(Double(c.droppedRows))), (.file, .text(c.stats?.source.path ?? ""))]))
  }
}

/// The fat-finger guard: the order's price within `checks.price_band` of the last close.
public struct PriceBandRule: PreTradeRule {
  public var reads: Set<OrderField> { [.price, .lastClose] }
  public var codes: Set<FindingCode> { [.priceBandOK, .priceOutsideBand] }
  /// A price outside the band still lets the limits be read; one that is not a positive number does not.
  public func stops(_ c: OrderContext, after findings: ArraySlice<Finding>) -> Bool { c.entry == nil }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    guard let last = c.stats?.lastClose, last > 0, last.isFinite else {
      out.append(Finding(.priceOutsideBand, .fail, "no valid last close to check the price against.", []))
      return
    }
    let band = c.profile.priceBand
    guard let p = c.order.price else {
      out.append(Finding(.priceBandOK, .pass, rule: .atLastClose(last)))
      return
    }
    let deviation = p / last - 1
    if !(p > 0) || !p.isFinite || !deviation.isFinite || abs(deviation) > band {
      out.append(
        Finding(
          .priceOutsideBand, .fail,
          "price \(num: p) is \(num: deviation * 100)% from the last close \(num: last); the band is ±\(num: band * 100)%.",
          [(.limit, .number(band)), (.value, .number(deviation)), (.lastClose, .number(last))]))
      return
    }
    out.append(Finding(.priceBandOK, .pass, rule: .inBand(deviation: deviation, band: band)))
  }
}

/// No order can be sized without positive equity; a reduce-only order passes whatever the equity.
public struct EquityRule: PreTradeRule {
  public var reads: Set<OrderField> { [.equity] }
  public var codes: Set<FindingCode> { [.equityNotPositive] }
  public var halts: Bool { true }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    let e = c.equity
    guard !(e > 0 && e.isFinite), !c.reducesOnly else { return }
    out.append(
      Finding(
        .equityNotPositive, .fail,
        "equity is \(num: e) \(c.baseCurrency): no order can be sized.",
        [(.equity, .number(e))]))
  }
}

public struct FXRateRule: PreTradeRule {
  public var reads: Set<OrderField> { [.fx] }
  public var codes: Set<FindingCode> { [.noFXRate] }
  public var halts: Bool { true }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    if let fx = c.fx, fx > 0, fx.isFinite { return }
    out.append(
      Finding(
        .noFXRate, .fail, "no FX rate for \(c.spec.currency) into \(c.baseCurrency).",
        [(.currency, .text(c.spec.currency))]))
  }
}

/// Every holding must be in the covariance for the portfolio limits to mean anything:
/// a holding with no, too little or stale market data fails an order that adds risk.
public struct HoldingsModelledRule: PreTradeRule {
  public var codes: Set<FindingCode> { [.holdingNotModelled] }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    guard let first = c.unmodelled.first, !c.reducesOnly else { return }
    let names = c.unmodelled.compactMap(\.subject)
    let list =
      names.count > 4 ? names.prefix(4).joined(separator: ", ") + " and \(names.count - 4) more" : names.joined(separator: ", ")
    out.append(
      Finding(
        .holdingNotModelled, .fail,
        "the portfolio limits cannot be evaluated on this book: \(names.count) holding\(names.count == 1 ? " is" : "s are") left out of the covariance (\(list)); \(first.message)",
        [(.holdings, .text(names.joined(separator: ",")))]))
  }
}

public struct StopPlacementRule: PreTradeRule {
  public var reads: Set<OrderField> { [.stop, .price, .dailyVolatility] }
  public var codes: Set<FindingCode> { [.stopOK, .stopMissing, .stopWrongSide, .stopInsideNoise, .stopNotRequired] }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    if c.reducesOnly {
      out.append(Finding(.stopNotRequired, .pass, rule: .stopNotRequired(held: c.held)))
      return
    }
    guard let st = c.order.stop else {
      let required = c.profile.requireStop
      out.append(
        Finding(
          .stopMissing, required ? .fail : .warn,
          required
            ? "no stop: the \(c.profile.name) profile requires one."
            : "no stop: the \(c.profile.name) rule's stop is assumed for the risk budget.",
          [(.required, .text(required ? "true" : "false"))]))
      return
    }
    guard let entry = c.entry, st.isFinite, entry.isFinite,
      c.order.side == .long ? st < entry : st > entry
    else {
      out.append(
        Finding(
          .stopWrongSide, .fail,
          "stop \(num: st) is not \(c.order.side == .long ? "below" : "above") the price \(num: c.entry ?? .nan).",
          [(.stop, .number(st)), (.price, .number(c.entry ?? .nan))]))
      return
    }
    out.append(Finding(.stopOK, .pass, rule: .stop(st, entry: entry)))
    let sigmaPrice = (c.stats?.dailyVolatility ?? .nan) * entry
    guard sigmaPrice.isFinite, sigmaPrice > 0 else {
      out.append(
        Finding(
          .stopInsideNoise, .warn,
          "the daily σ is not a finite positive number: whether the stop is inside one day's noise is unknown.",
          [(.distance, .number(abs(entry - st))), (.dailySigma, .number(sigmaPrice))]))
      return
    }
    if abs(entry - st) < c.profile.noiseThresholdSigma * sigmaPrice {
      out.append(
        Finding(
          .stopInsideNoise, .warn, "the stop is \(num: abs(entry - st) / sigmaPrice) daily σ away, inside one day's noise.",
          [(.distance, .number(abs(entry - st))), (.dailySigma, .number(sigmaPrice))]))
    }
  }
}

public struct ReducesPositionRule: PreTradeRule {
  public var codes: Set<FindingCode> { [.reducesPosition] }
  public func check(_ c: OrderContext, into out: inout [Finding]) {
    guard c.reducesOnly else { return }
    let after = c.held + c.order.side.sign * c.order.quantity
    out.append(Finding(.reducesPosition, .pass, rule: .reduces(symbol: c.order.symbol, held: c.held, after: after)))
  }
}

/// One limit of the model as a pre-trade rule: within, exceeded (with the largest
/// passing quantity), or not evaluated (fails closed). Reduce-only orders skip it.
public struct LimitRule: PreTradeRule {
  public var reads: Set<OrderField> { [.quantity, .price, .equity, .fx] }
  /// The limit, by its identifier: the rule is then a byte (a rule holding `any TradeLimit`
  /// was a boxed existential, retained, copied and released for every order of a batch).
  public let id: LimitID
  public init(_ id: LimitID) { self.id = id }

  public var codes: Set<FindingCode> {
    let c = id.findingCodes
    return [c.ok, c.exceeded, .checkNotEvaluated]
  }

  public func check(_ c: OrderContext, into out: inout [Finding]) {
    guard !c.reducesOnly else { return }
    guard let eval = c.evaluation else {
      out.append(notEvaluated(id, "the trade could not be set up (no valid price, stop or FX rate)"))
      return
    }
    // Read in place, by the limit's place (an element copied out retains its explanation's strings).
    let i = id.ordinal
    let q = c.order.quantity
    let r = eval.reading(id, quantity: q)
    let codes = id.findingCodes
    guard q.isFinite else {
      out.append(notEvaluated(id, "the quantity \(fmt(q)) is not a finite number"))
      return
    }
    guard let allowed = eval.limits[i].allowed else {
      out.append(Finding(codes.ok, .pass, limit: LimitFinding(.doesNotApply, r, maxQuantity: 0)))
      return
    }
    guard eval.limits[i].evaluated, allowed.upper.isFinite, allowed.lower.isFinite, r.value.isFinite, r.cap.isFinite, q.isFinite
    else {
      out.append(notEvaluated(id, "\(r.name) could not be evaluated (no covariance or a non-finite number)"))
      return
    }
    let maxQ = eval.maxQuantity(of: id) ?? 0
    if q > allowed.upper * (1 + QuantityRoots.tolerance) + 1e-12 {
      out.append(Finding(codes.exceeded, .fail, limit: LimitFinding(.exceeds, r, maxQuantity: maxQ)))
      return
    }
    if !allowed.contains(q) {
      out.append(
        Finding(
          codes.exceeded, .fail, limit: LimitFinding(.overAlready(lower: allowed.lower), r, maxQuantity: maxQ)))
      return
    }
    out.append(Finding(codes.ok, .pass, limit: LimitFinding(.within, r, maxQuantity: maxQ)))
  }

  func notEvaluated(_ id: LimitID, _ why: String) -> Finding {
    Finding(.checkNotEvaluated, .fail, "\(why): fails closed.", [(.limit, .text(id.rawValue))])
  }
}

/// Visits the rules of `advisor check` in order (``PreTradeRules/visit(_:_:)``), each as its own
/// type: a visitor's generic method is specialised for every rule, so running them dispatches
/// statically (the array of `any PreTradeRule` it replaced copied, retained and released each
/// rule's existential for every order).
protocol PreTradeRuleVisitor {
  /// What every visit reads, passed along rather than held: a struct visitor holding the order's
  /// context while writing its findings would copy the context for each rule.
  associatedtype Input
  /// - Returns: true to stop: the rules after this one are not visited.
  mutating func visit<R: PreTradeRule>(_ rule: R, _ input: Input) -> Bool
}

/// The rules of `advisor check`, in order.
public enum PreTradeRules {
  /// Every rule, in order (for the rule contract test and documentation; ``run(_:)`` visits them).
  public static let all: [any PreTradeRule] = {
    struct Collect: PreTradeRuleVisitor {
      var rules: [any PreTradeRule] = []
      mutating func visit<R: PreTradeRule>(_ rule: R, _ input: Void) -> Bool {
        rules.append(rule)
        return false
      }
    }
    var c = Collect()
    visit(&c, ())
    return c.rules
  }()

  /// The one list of the rules, in the order they run.
  static func visit<V: PreTradeRuleVisitor>(_ v: inout V, _ input: V.Input) {
    guard !v.visit(TradingStateRule(), input), !v.visit(InstrumentKnownRule(), input), !v.visit(QuantityRule(), input),
      !v.visit(DuplicateOrderIDRule(), input), !v.visit(MarketDataSufficientRule(), input),
      !v.visit(LotSizeRule(), input), !v.visit(MarketDataFreshRule(), input), !v.visit(MarketDataGapsRule(), input),
      !v.visit(PriceBandRule(), input), !v.visit(EquityRule(), input), !v.visit(FXRateRule(), input),
      !v.visit(HoldingsModelledRule(), input), !v.visit(StopPlacementRule(), input),
      !v.visit(ReducesPositionRule(), input)
    else { return }
    for id in LimitID.allCases where v.visit(LimitRule(id), input) { return }
  }

  /// Runs the rules in order; a failing finding of a halting rule stops the rest
  /// (`halted` then says the limits were not reached).
  public static func run(_ c: OrderContext) -> (findings: [Finding], halted: Bool) {
    struct Run: PreTradeRuleVisitor {
      var out: [Finding] = []
      var halted = false
      mutating func visit<R: PreTradeRule>(_ rule: R, _ c: OrderContext) -> Bool {
        let first = out.count
        rule.check(c, into: &out)
        // A rule that found nothing stops nothing (``PreTradeRule/stops(_:after:)``).
        halted = out.count > first && rule.stops(c, after: out[first...])
        return halted
      }
    }
    var r = Run()
    // An order that reaches the limits has at most 14 findings and a regime's: 16 (the ten
    // limits and 6) is room for them in one block small enough for malloc's per-thread cache
    // (26 was not).
    r.out.reserveCapacity(LimitID.allCases.count + 6)
    visit(&r, c)
    return (r.out, r.halted)
  }
}

/// Checks orders against the regime's limits with the one risk model, applying each
/// passing order to the book before the next (a batch is sequential). Each order costs
/// O(1) plus O(N) in the number of holdings when it is applied; the covariance is
/// estimated once per profile, and again only when an instrument not yet in it appears.
///
/// With `--regime auto` each order is judged under the regime of its own instrument
/// (the more severe of the instrument's and the portfolio's evidence, the portfolio's
/// taken once on the book as it was loaded), so an order's verdict does not depend on
/// which orders came before it in the batch, other than through their fills.
public struct PreTradeChecker: Sendable {
  public private(set) var model: RiskModel
  public let regimes: RegimeSet
  public let selection: RegimeSelection
  public let strict: Bool
  private let portfolioEvidence: RegimeEvidence?
  private var choices: [String: RegimeChoice] = [:]
  private var firstUse: [String: Int] = [:]
  private var count = 0
  /// The last order ``check(_:)`` applied to the book (nil when the last order did not pass).
  public private(set) var lastApplied: AppliedOrder? = nil
  /// The trading state under each profile asked (one or a few: a scan, no name hashed).
  private var states: [(profile: String, reading: TradingStateReading)] = []
  private var facts: [String: InstrumentFacts] = [:]
  /// The choice of a named regime, made once (nil under `auto`, or for a name that is no profile).
  private let named: RegimeChoice?

  /// - Throws: ``UnknownRegimeError`` for a regime that is not a profile; ``EstimationError``
  ///   when the portfolio's evidence for `auto` cannot be computed.
  public init(model: RiskModel, regimes: RegimeSet, regime: RegimeSelection, strict: Bool = false) throws {
    self.model = model
    self.regimes = regimes
    self.selection = regime
    self.strict = strict
    switch regime {
    case .named(let n):
      guard let p = regimes.profile(n) else { throw UnknownRegimeError(name: n, known: regimes.names) }
      portfolioEvidence = nil
      named = RegimeChoice(profile: p, evidence: [], auto: false)
    case .auto:
      portfolioEvidence = try SizingService.portfolioEvidence(model.book, data: model.market, settings: regimes.detection)
      named = nil
    }
  }

  /// A checker under one profile.
  public init(model: RiskModel, profile: RegimeProfile, strict: Bool = false) {
    self.model = model
    self.regimes = RegimeSet(profiles: [profile])
    self.selection = .named(profile.name)
    self.strict = strict
    self.portfolioEvidence = nil
    self.named = RegimeChoice(profile: profile, evidence: [], auto: false)
  }

  public var asOf: Day { model.book.asOf }
  public var book: Book { model.book }

  /// Estimates, once, the covariance of every profile the run may use with `candidates` in
  /// it, so that each order of a batch sees the same window whatever its place.
  public mutating func prepare(candidates: [String]) throws {
    let profiles: [RegimeProfile]
    switch selection {
    case .named(let n): profiles = regimes.profile(n).map { [$0] } ?? []
    case .auto: profiles = regimes.profiles
    }
    for p in profiles { _ = try model.covariance(p, including: candidates) }
  }

  /// The instrument's statistics under a profile (the model's cache).
  public mutating func stats(_ symbol: String, _ profile: RegimeProfile) throws -> InstrumentStats {
    try model.stats(symbol, profile)
  }

  /// The account's trading state under a profile (its breakers), replayed once per profile on
  /// the book as loaded: a batch's fills do not move the equity, so they do not move it.
  public mutating func tradingState(_ profile: RegimeProfile) -> TradingStateReading {
    // By index: a predicate over the entries copied each out (its reading) to compare a name.
    for i in states.indices where states[i].profile == profile.name { return states[i].reading }
    let s = TradingStateMachine.evaluate(
      model.book.record, breakers: profile.breakers, asOf: model.book.asOf, currentEquity: model.book.equity)
    states.append((profile.name, s))
    return s
  }

  /// The profile an order in `symbol` is judged by, or why none could be chosen.
  public mutating func choice(for symbol: String) -> Result<RegimeChoice, RegimeChoiceError> {
    switch selection {
    case .named(let n):
      guard let named else { return .failure(RegimeChoiceError(description: "unknown regime '\(n)'")) }
      return .success(named)
    case .auto:
      if let c = choices[symbol] { return .success(c) }
      guard let h = model.market[symbol] else {
        return .failure(RegimeChoiceError(description: "\(symbol) has no market data to choose the regime from"))
      }
      do {
        let settings = regimes.detection
        let needed = settings.shortWindow + settings.lookback - 1
        let r = try lastReturns(of: h, lookback: max(2, min(needed, h.count - 1)), kind: .simple)
        var evidence = [
          try RegimeDetector.evidence(
            subject: symbol, returns: r, periodsPerYear: model.market.periodsPerYear(of: h), settings: settings)
        ]
        if let p = portfolioEvidence { evidence.append(p) }
        let c = try SizingService.severest(evidence, regimes)
        choices[symbol] = c
        return .success(c)
      } catch {
        return .failure(RegimeChoiceError(description: "\(error)"))
      }
    }
  }

  public mutating func check(_ input: OrderInput) -> OrderResult {
    switch input {
    case .malformed(let line, let id, let message):
      count += 1
      return OrderResult(
        order: nil, line: line, clientOrderID: id,
        findings: [Finding(.malformedOrder, .fail, verbatim: message, [(.line, .number(Double(line)))])], maxQuantity: nil,
        reducesOnly: false, regime: nil)
    case .order(let o):
      return check(o)
    }
  }

  /// Room for `n` client order ids in the table that finds duplicates (a batch's first pass
  /// counts them): allocated once, instead of doubling about twenty times for a million ids and
  /// hashing every id again at each doubling. No verdict changes.
  public mutating func reserveClientOrderIDs(_ n: Int) { firstUse.reserveCapacity(n) }

  /// Checks an order and, when it passes, applies it to the book.
  public mutating func check(_ o: Order) -> OrderResult { check(o, apply: true) }

  /// What `check` would say, without applying the order or counting it in the batch.
  public mutating func preview(_ o: Order) -> OrderResult { check(o, apply: false) }

  mutating func check(_ o: Order, apply: Bool) -> OrderResult {
    lastApplied = nil
    var duplicateOf: Int? = nil
    if apply {
      count += 1
      // One lookup for an id not seen before (the common case): written as this order's,
      // and put back as the first order's when it was a duplicate.
      if let id = o.clientOrderID, let first = firstUse.updateValue(count, forKey: id) {
        firstUse[id] = first
        duplicateOf = first
      }
    }
    let (result, fill) = judge(o, duplicateOf: duplicateOf)
    // The order's context (which holds the book) is gone by now: the book and the
    // covariances are updated in place, not copied (a copy per order was 8 % of a batch).
    if apply, result.passed(strict: strict), let fill {
      model.apply(fill)
      lastApplied = fill
    }
    return result
  }

  /// The verdict on one order, and the fill it would apply to the book when it passes.
  private mutating func judge(_ o: Order, duplicateOf: Int?) -> (OrderResult, AppliedOrder?) {
    let chosen = choice(for: o.symbol)
    let profile: RegimeProfile
    switch chosen {
    case .success(let c): profile = c.profile
    case .failure: profile = regimes.profile("normal") ?? regimes.profiles[0]
    }
    var c = context(o, profile: profile, duplicateOf: duplicateOf)
    let state = tradingState(profile)
    c.tradingState = state
    var (findings, halted) = PreTradeRules.run(c)
    if case .failure(let e) = chosen, model.market.contains(o.symbol) {
      findings.insert(
        Finding(.checkNotEvaluated, .fail, "the regime could not be chosen: \(e.description)", [(.regime, .text("auto"))]), at: 0)
    }
    var maxQuantity = halted ? nil : c.evaluation?.maxQuantity
    if state.state == .reducing, let m = maxQuantity {
      // REDUCING: only the close-out of the opposite holding passes.
      maxQuantity = min(m, roundDownToLot(max(0, -o.side.sign * c.held), lot: c.spec.lotSize).quantity)
    }
    let result = OrderResult(
      order: o, line: o.line, clientOrderID: o.clientOrderID, findings: findings,
      maxQuantity: maxQuantity, reducesOnly: c.reducesOnly,
      regime: chosen.map(\.profile.name).successValue)
    guard let entry = c.entry, let fx = c.fx else { return (result, nil) }
    let fill = AppliedOrder(
      symbol: o.symbol, assetClass: c.spec.assetClass, quantity: o.side.sign * o.quantity,
      unitExposure: entry * c.spec.multiplier * fx,
      unitMargin: TradeSetup.unitMargin(spec: c.spec, entry: entry, fx: fx) ?? 0, group: c.spec.group)
    return (result, fill)
  }

  /// Applies an order held elsewhere (a server's open orders) to the book the next checks see.
  public mutating func apply(_ a: AppliedOrder) { model.apply(a) }

  /// What an order's context reads of its instrument that no fill changes (the market data is
  /// the model's, fixed for the checker's life): looked up once per instrument, not four times
  /// an order (``facts(_:profile:)``). A class, immutable: an order reads it as one reference
  /// (a struct holding the spec and the statistics was copied twice an order).
  final class InstrumentFacts: Sendable {
    let known: Bool
    let spec: InstrumentSpec
    /// The base-currency value of one unit of the instrument's currency (the book's rates, fixed).
    let fx: Double?
    let droppedRows: Int
    /// The statistics under each profile asked, or why they could not be computed.
    let stats: [(profile: String, value: Result<InstrumentStats, StatsFailure>)]

    init(
      known: Bool, spec: InstrumentSpec, fx: Double?, droppedRows: Int,
      stats: [(profile: String, value: Result<InstrumentStats, StatsFailure>)] = []
    ) {
      self.known = known
      self.spec = spec
      self.fx = fx
      self.droppedRows = droppedRows
      self.stats = stats
    }

    func adding(_ profile: String, _ value: Result<InstrumentStats, StatsFailure>) -> InstrumentFacts {
      InstrumentFacts(known: known, spec: spec, fx: fx, droppedRows: droppedRows, stats: stats + [(profile, value)])
    }
  }

  struct StatsFailure: Error {
    let description: String
  }

  /// The instrument's facts and its statistics under the profile (or why there are none).
  mutating func facts(_ symbol: String, profile: RegimeProfile) -> (InstrumentFacts, InstrumentStats?, String?) {
    let cached = facts[symbol]
    var f = cached ?? newFacts(symbol)
    var value: Result<InstrumentStats, StatsFailure>? = nil
    if f.known {
      if let i = f.stats.firstIndex(where: { $0.profile == profile.name }) {
        value = f.stats[i].value
      } else {
        let v: Result<InstrumentStats, StatsFailure>
        do { v = .success(try model.stats(symbol, profile)) } catch { v = .failure(StatsFailure(description: "\(error)")) }
        f = f.adding(profile.name, v)
        value = v
      }
    }
    if cached !== f { facts[symbol] = f }
    switch value {
    case .success(let s): return (f, s, nil)
    case .failure(let e): return (f, nil, e.description)
    case nil: return (f, nil, nil)
    }
  }

  private func newFacts(_ symbol: String) -> InstrumentFacts {
    let spec = model.catalog.spec(for: symbol)
    return InstrumentFacts(
      known: model.market.contains(symbol), spec: spec, fx: model.book.fx.rate(spec.currency),
      droppedRows: model.market.droppedRows(of: symbol))
  }

  /// Everything the rules read about one order, computed once.
  mutating func context(_ o: Order, profile: RegimeProfile, duplicateOf: Int?) -> OrderContext {
    let (facts, stats, statsError) = facts(o.symbol, profile: profile)
    let known = facts.known
    let spec = facts.spec
    let raw = o.price ?? stats?.lastClose
    let entry = raw.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
    let fx = facts.fx
    var risk: PortfolioRiskModel? = nil
    var unmodelled: [Diagnostic] = []
    var evaluation: TradeEvaluation? = nil
    if known, let stats, let entry, let fx {
      if let (r, d) = try? model.covariance(profile, including: [o.symbol]) {
        risk = r
        unmodelled = d.filter { $0.code == .holdingNotModelled }
      }
      let given = o.stop.flatMap { s in s.isFinite && (o.side == .long ? s < entry : s > entry) ? s : nil }
      if let stop = given ?? (try? TradeSetup.ruleStop(profile: profile, side: o.side, entry: entry, stats: stats).stop) {
        let t = TradeSetup.candidate(spec: spec, stats: stats, side: o.side, entry: entry, stop: stop, fx: fx)
        if t.unitExposure > 0, t.unitExposure.isFinite, t.riskPerUnit > 0, t.riskPerUnit.isFinite {
          evaluation = LimitModel(profile).evaluate(t, book: model.book, risk: risk, explained: false)
        }
      }
    }
    return OrderContext(
      order: o, profile: profile, asOf: model.book.asOf, equity: model.book.equity, baseCurrency: model.book.baseCurrency,
      held: evaluation.map { $0.context.held($0.trade) } ?? model.book.quantity(of: o.symbol),
      knownSymbols: known ? [] : model.market.symbols, isKnown: known,
      spec: spec, stats: stats, statsError: statsError, entry: entry, fx: fx, duplicateOf: duplicateOf, unmodelled: unmodelled,
      droppedRows: facts.droppedRows, evaluation: evaluation)
  }
}

/// A passing order as the check applied it to the book: what a resident checker (`advisor
/// serve`) holds open against the book and applies again after a reload or a cancel.
public struct AppliedOrder: Sendable, Hashable {
  public let symbol: String
  public let assetClass: AssetClass
  /// Signed units (negative sells).
  public var quantity: Double
  /// Base-currency exposure of one unit held long, at the order's entry.
  public let unitExposure: Double
  public let unitMargin: Double
  public let group: String?

  public init(
    symbol: String, assetClass: AssetClass, quantity: Double, unitExposure: Double, unitMargin: Double, group: String?
  ) {
    self.symbol = symbol
    self.assetClass = assetClass
    self.quantity = quantity
    self.unitExposure = unitExposure
    self.unitMargin = unitMargin
    self.group = group
  }
}

extension RiskModel {
  /// Applies a held order (``AppliedOrder``) to the book and every covariance.
  public mutating func apply(_ a: AppliedOrder) {
    apply(
      symbol: a.symbol, assetClass: a.assetClass, quantity: a.quantity, unitExposure: a.unitExposure,
      unitMargin: a.unitMargin, group: a.group)
  }
}

/// Why `--regime auto` could not choose a regime for an order.
public struct RegimeChoiceError: Error, Sendable, CustomStringConvertible {
  public let description: String
}

extension Result {
  var successValue: Success? {
    if case .success(let s) = self { return s }
    return nil
  }
}
