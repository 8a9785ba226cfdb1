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
  case lotSizeOK = "LOT_SIZE_OK"
  case lotSizeMismatch = "LOT_SIZE_MISMATCH"
  case marketDataOK = "MARKET_DATA_OK"
  case staleMarketData = "STALE_MARKET_DATA"
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
  case riskBudgetOK = "RISK_BUDGET_OK"
  case riskBudgetExceeded = "RISK_BUDGET_EXCEEDED"
  case notionalCapOK = "NOTIONAL_CAP_OK"
  case notionalCapExceeded = "NOTIONAL_CAP_EXCEEDED"
  case leverageCapOK = "LEVERAGE_CAP_OK"
  case leverageCapExceeded = "LEVERAGE_CAP_EXCEEDED"
  case classLeverageCapOK = "CLASS_LEVERAGE_CAP_OK"
  case classLeverageCapExceeded = "CLASS_LEVERAGE_CAP_EXCEEDED"
  case volatilityBudgetOK = "VOLATILITY_BUDGET_OK"
  case volatilityBudgetExceeded = "VOLATILITY_BUDGET_EXCEEDED"
  case riskShareOK = "RISK_SHARE_OK"
  case riskShareExceeded = "RISK_SHARE_EXCEEDED"
  case liquidityOK = "LIQUIDITY_OK"
  case liquidityLimitExceeded = "LIQUIDITY_LIMIT_EXCEEDED"
  case checkNotEvaluated = "CHECK_NOT_EVALUATED"
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
public struct Finding: Sendable, Hashable {
  public let code: FindingCode
  public let severity: Severity
  public let message: String
  public let context: [(key: String, value: ContextValue)]

  public init(_ code: FindingCode, _ severity: Severity, _ message: String, _ context: [(key: String, value: ContextValue)] = [])
  {
    self.code = code
    self.severity = severity
    self.message = message
    self.context = context
  }

  public static func == (a: Finding, b: Finding) -> Bool {
    a.code == b.code && a.severity == b.severity && a.message == b.message && a.context.map(\.key) == b.context.map(\.key)
      && a.context.map(\.value) == b.context.map(\.value)
  }
  public func hash(into h: inout Hasher) {
    h.combine(code)
    h.combine(message)
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
  /// The largest quantity (lot-rounded) that passes every size limit, where it could be computed.
  public let maxQuantity: Double?
  public let reducesOnly: Bool

  public var worst: Severity { findings.map(\.severity).max() ?? .pass }
  /// Passed: no fail (and, under `strict`, no warning).
  public func passed(strict: Bool) -> Bool { strict ? worst == .pass : worst != .fail }
}

/// Checks orders against a regime's limits with the sizer's own limit code,
/// applying each passing order to the account before the next (a batch is
/// sequential). Loading is done once; each order costs O(1) plus O(N) in the
/// number of holdings when it is applied.
public struct PreTradeChecker: Sendable {
  public private(set) var environment: SizingEnvironment
  public let asOf: Day
  public let strict: Bool

  public init(environment: SizingEnvironment, strict: Bool = false) {
    self.environment = environment
    self.asOf = environment.state.asOf
    self.strict = strict
  }

  public var profile: RegimeProfile { environment.profile }

  public mutating func check(_ input: OrderInput) -> OrderResult {
    switch input {
    case .malformed(let line, let id, let message):
      return OrderResult(
        order: nil, line: line, clientOrderID: id,
        findings: [Finding(.malformedOrder, .fail, message, [("line", .number(Double(line)))])], maxQuantity: nil,
        reducesOnly: false)
    case .order(let o):
      return check(o)
    }
  }

  public mutating func check(_ o: Order) -> OrderResult {
    var findings: [Finding] = []
    func done(_ maxQ: Double? = nil, reduces: Bool = false) -> OrderResult {
      OrderResult(
        order: o, line: o.line, clientOrderID: o.clientOrderID, findings: findings, maxQuantity: maxQ, reducesOnly: reduces)
    }
    let profile = environment.profile
    let state = environment.state
    // The instrument.
    guard environment.market[o.symbol] != nil else {
      let suggestions = closeMatches(for: o.symbol, in: environment.market.symbols)
      findings.append(
        Finding(
          .unknownInstrument, .fail,
          "\(o.symbol) is not in the market data"
            + (suggestions.isEmpty ? "." : "; did you mean \(suggestions.joined(separator: ", "))?"),
          [("instrument", .text(o.symbol))]))
      return done()
    }
    guard o.quantity > 0, o.quantity.isFinite else {
      findings.append(
        Finding(
          .invalidQuantity, .fail, "quantity \(fmt(o.quantity)) is not a positive number.", [("quantity", .number(o.quantity))]))
      return done()
    }
    let spec = environment.catalog.spec(for: o.symbol)
    let stats: InstrumentStats
    do {
      stats = try environment.stats(for: o.symbol)
    } catch {
      findings.append(Finding(.marketDataInsufficient, .fail, "\(error)", [("instrument", .text(o.symbol))]))
      return done()
    }
    // Lot size.
    let lots = o.quantity / spec.lotSize
    if abs(lots - lots.rounded()) <= 1e-9 * max(1, lots) {
      findings.append(
        Finding(
          .lotSizeOK, .pass, "quantity is \(fmt(lots.rounded())) lots of \(fmt(spec.lotSize)).", [("lot", .number(spec.lotSize))])
      )
    } else {
      let lower = roundDownToLot(o.quantity, lot: spec.lotSize).quantity
      findings.append(
        Finding(
          .lotSizeMismatch, .fail, "quantity \(fmt(o.quantity)) is not a multiple of the lot size \(fmt(spec.lotSize)).",
          [("lot", .number(spec.lotSize)), ("value", .number(o.quantity)), ("maxQuantity", .number(lower))]))
    }
    // Freshness.
    let age = asOf - stats.lastDay
    if age > profile.maxDataAgeDays || age < 0 {
      findings.append(
        Finding(
          .staleMarketData, .fail,
          "the last close of \(o.symbol) is \(stats.lastDay), \(age) days before the as-of date \(asOf) (limit \(profile.maxDataAgeDays)).",
          [
            ("lastDate", .text(stats.lastDay.description)), ("asOf", .text(asOf.description)), ("ageDays", .number(Double(age))),
            ("limit", .number(Double(profile.maxDataAgeDays))),
          ]))
    } else {
      findings.append(
        Finding(
          .marketDataOK, .pass, "last close \(stats.lastDay) is \(age) days old.",
          [("lastDate", .text(stats.lastDay.description)), ("ageDays", .number(Double(age)))]))
    }
    // Price band (fat-finger guard).
    let entry = o.price ?? stats.lastClose
    if let p = o.price {
      let deviation = p / stats.lastClose - 1
      if !(p > 0) || !deviation.isFinite || abs(deviation) > profile.priceBand {
        findings.append(
          Finding(
            .priceOutsideBand, .fail,
            "price \(fmt(p)) is \(fmt(deviation * 100))% from the last close \(fmt(stats.lastClose)); the band is ±\(fmt(profile.priceBand * 100))%.",
            [("limit", .number(profile.priceBand)), ("value", .number(deviation)), ("lastClose", .number(stats.lastClose))]))
      } else {
        findings.append(
          Finding(
            .priceBandOK, .pass, "price is \(fmt(deviation * 100))% from the last close.",
            [("limit", .number(profile.priceBand)), ("value", .number(deviation))]))
      }
    } else {
      findings.append(
        Finding(
          .priceBandOK, .pass, "no price: checked at the last close \(fmt(stats.lastClose)).",
          [("lastClose", .number(stats.lastClose))]))
    }
    guard entry > 0 else { return done() }
    // Account-level preconditions.
    guard state.equity > 0, state.equity.isFinite else {
      findings.append(
        Finding(
          .equityNotPositive, .fail, "equity is \(fmt(state.equity)) \(state.baseCurrency): no order can be sized.",
          [("equity", .number(state.equity))]))
      return done()
    }
    guard let fx = state.fx.rate(spec.currency) else {
      findings.append(
        Finding(
          .noFXRate, .fail, "no FX rate for \(spec.currency) into \(state.baseCurrency).", [("currency", .text(spec.currency))]))
      return done()
    }
    // Reduce-only?
    let s = o.side.sign
    let held = state.quantityBySymbol[o.symbol, default: 0]
    let reduces = held * s < 0 && o.quantity <= abs(held) * (1 + 1e-12)
    // The stop.
    var stop = o.stop
    if reduces {
      findings.append(
        Finding(.stopNotRequired, .pass, "the order only reduces the position: no stop needed.", [("held", .number(held))]))
    } else if let st = o.stop {
      if (o.side == .long && st >= entry) || (o.side == .short && st <= entry) {
        findings.append(
          Finding(
            .stopWrongSide, .fail, "stop \(fmt(st)) is not \(o.side == .long ? "below" : "above") the price \(fmt(entry)).",
            [("stop", .number(st)), ("price", .number(entry))]))
        stop = nil
      } else {
        findings.append(
          Finding(
            .stopOK, .pass, "stop \(fmt(st)) is \(fmt(abs(entry - st) / entry * 100))% away.",
            [("stop", .number(st)), ("distance", .number(abs(entry - st)))]))
        if abs(entry - st) < profile.noiseThresholdSigma * stats.dailyVolatility * entry {
          findings.append(
            Finding(
              .stopInsideNoise, .warn,
              "the stop is \(fmt(abs(entry - st) / (stats.dailyVolatility * entry))) daily σ away, inside one day's noise.",
              [("distance", .number(abs(entry - st))), ("dailySigma", .number(stats.dailyVolatility * entry))]))
        }
      }
    } else {
      findings.append(
        Finding(
          .stopMissing, profile.requireStop ? .fail : .warn,
          profile.requireStop
            ? "no stop: the \(profile.name) profile requires one."
            : "no stop: the \(profile.name) rule's stop is assumed for the risk budget.",
          [("required", .text(profile.requireStop ? "true" : "false"))]))
    }
    if stop == nil {
      stop = try? ruleStop(profile: profile, side: o.side, entry: entry, stats: stats).stop
    }
    // Size limits, by the sizer's own code.
    let u = entry * spec.multiplier * fx
    let riskPerUnit = stop.map { abs(entry - $0) * spec.multiplier * fx } ?? .nan
    let e0 = state.exposureBySymbol[o.symbol, default: 0]
    guard u.isFinite, u > 0, riskPerUnit.isFinite, riskPerUnit > 0 else {
      findings.append(
        Finding(
          .checkNotEvaluated, .fail, "the exposure or the risk per unit is not a finite positive number.",
          [("unitExposure", .number(u)), ("riskPerUnit", .number(riskPerUnit))]))
      return done(nil, reduces: reduces)
    }
    let g = TradeGeometry(
      side: o.side, entry: entry, stop: stop ?? entry, unitExposure: u, riskPerUnit: riskPerUnit, existingExposure: e0)
    let (bounds, f) = LimitCalculator.bounds(g, spec: spec, stats: stats, state: state, risk: environment.risk, profile: profile)
    let q = o.quantity
    let delta = s * q * u
    var upper = Double.infinity
    var lower = 0.0
    for b in bounds {
      if let m = b.max { upper = min(upper, m) }
      lower = max(lower, b.min)
    }
    let maxQuantity = upper.isFinite ? (lower > 0 && upper < lower ? 0 : roundDownToLot(upper, lot: spec.lotSize).quantity) : nil
    if reduces {
      findings.append(
        Finding(
          .reducesPosition, .pass,
          "the order reduces the \(o.symbol) position from \(fmt(held)) to \(fmt(held + s * q)): it lowers risk, so the exposure limits pass.",
          [("held", .number(held)), ("after", .number(held + s * q))]))
    } else {
      for b in bounds {
        findings.append(limitFinding(b, q: q, delta: delta, e0: e0, f: f, state: state, spec: spec, stats: stats, g: g))
      }
    }
    let result = done(maxQuantity, reduces: reduces)
    if result.passed(strict: strict) {
      environment.apply(symbol: o.symbol, assetClass: spec.assetClass, quantity: s * q, exposure: delta)
    }
    return result
  }

  /// The finding for one limit: pass, or exceeded with limit, value, headroom and the largest passing quantity.
  func limitFinding(
    _ b: LimitBound, q: Double, delta: Double, e0: Double, f: LimitFigures, state: AccountState, spec: InstrumentSpec,
    stats: InstrumentStats, g: TradeGeometry
  ) -> Finding {
    let profile = environment.profile
    let equity = state.equity
    let codes: (FindingCode, FindingCode)
    let name: String
    var limit: Double
    var value: Double
    switch b.id {
    case .riskBudget:
      codes = (.riskBudgetOK, .riskBudgetExceeded)
      name = "money at risk"
      limit = f.riskBudget
      value = q * g.riskPerUnit
    case .notionalCap:
      codes = (.notionalCapOK, .notionalCapExceeded)
      name = "position notional"
      limit = f.notionalCap
      value = abs(e0 + delta)
    case .accountLeverage:
      codes = (.leverageCapOK, .leverageCapExceeded)
      name = "gross leverage"
      limit = profile.maxGrossLeverage
      value = (state.grossExposure - abs(e0) + abs(e0 + delta)) / equity
    case .classLeverage:
      codes = (.classLeverageCapOK, .classLeverageCapExceeded)
      name = "\(spec.assetClass.rawValue) gross leverage"
      limit = profile.maxClassLeverage[spec.assetClass] ?? .infinity
      value = (f.classGross - abs(e0) + abs(e0 + delta)) / equity
    case .volatilityBudget:
      codes = (.volatilityBudgetOK, .volatilityBudgetExceeded)
      name = "portfolio annual σ"
      limit = profile.portfolioVolatilityBudget
      let d = delta
      value = f.hasCovariance ? max(0, f.variance + 2 * d * f.sek + d * d * f.skk).squareRoot() / equity : .nan
    case .riskShare:
      codes = (.riskShareOK, .riskShareExceeded)
      name = "risk share"
      limit = profile.maxRiskShare
      let y = f.wk + delta
      let total = f.c0 + 2 * f.m * y + f.skk * y * y
      value = total > 0 ? y * (f.skk * y + f.m) / total : 0
    case .liquidity:
      codes = (.liquidityOK, .liquidityLimitExceeded)
      name = "share of ADV"
      limit = profile.maxADVFraction
      value = f.adv.map { q / $0 } ?? 0
    }
    guard let maxQ = b.max else {
      return Finding(codes.0, .pass, "\(name): does not apply.", [("applies", .text("false"))])
    }
    guard maxQ.isFinite, b.min.isFinite, !(b.id == .volatilityBudget && !f.hasCovariance) else {
      return Finding(
        .checkNotEvaluated, .fail, "\(name) could not be evaluated (no covariance or a non-finite number): fails closed.",
        [("limit", .text(b.id.rawValue))])
    }
    if !value.isFinite { value = .infinity }
    if !limit.isFinite { limit = 0 }
    let tolerance = 1e-9
    let context: [(key: String, value: ContextValue)] = [
      ("limit", .number(limit)), ("value", .number(value)), ("headroom", .number(limit - value)),
      ("maxQuantity", .number(roundDownToLot(maxQ, lot: spec.lotSize).quantity)),
    ]
    if q > maxQ * (1 + tolerance) + 1e-12 {
      return Finding(
        codes.1, .fail,
        "\(name) \(fmt(value)) exceeds the limit \(fmt(limit)); at most \(fmt(roundDownToLot(maxQ, lot: spec.lotSize).quantity)) would pass.",
        context)
    }
    if b.min > 0 && q < b.min * (1 - tolerance) {
      return Finding(
        codes.1, .fail,
        "\(name) \(fmt(value)) is over the limit \(fmt(limit)) already; only an order of at least \(fmt(b.min)) brings it within.",
        context + [("minQuantity", .number(b.min))])
    }
    return Finding(codes.0, .pass, "\(name) \(fmt(value)) within \(fmt(limit)).", context)
  }
}

extension SizingEnvironment {
  /// Applies a passed order: account exposures and the risk model, O(N).
  public mutating func apply(symbol: String, assetClass: AssetClass, quantity: Double, exposure: Double) {
    state.apply(symbol: symbol, assetClass: assetClass, quantity: quantity, exposure: exposure)
    if let k = risk?.position(of: symbol) { risk?.apply(k, delta: exposure) }
  }
}
