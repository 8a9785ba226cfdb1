import LinearAlgebra

/// Runs a what-if scenario on an account with the one risk model: orders (checked by
/// the pre-trade rules, then applied), flows, shocks (``ShockRepricer``), stress,
/// regime change, the limits the book breaks after it and the reductions that cure
/// them (``Reducer``), replay (``Replay``) and copy-trading capacity.
public enum WhatIfEngine {
  public static func run(
    _ scenario: Scenario, account: Account, market: MarketData, regimes: RegimeSet, baseRegime: String,
    followers: [Follower]? = nil, includeLead: Bool = false, maxPriceAgeDays: Int = 4
  ) throws -> WhatIfReport {
    guard let base = regimes.profile(baseRegime) else { throw UnknownRegimeError(name: baseRegime, known: regimes.names) }
    let afterName = scenario.regime ?? baseRegime
    guard let after = regimes.profile(afterName) else { throw UnknownRegimeError(name: afterName, known: regimes.names) }
    try validate(scenario, account: account, market: market)
    let data = market.through(account.asOf)
    let v0 = try AccountValuer.value(account, market: data, maxPriceAgeDays: maxPriceAgeDays)
    var diagnostics = v0.diagnostics

    // 1. Orders first: checked under the base regime, then filled at their price whatever the verdict.
    let (acct, orderResults, ordersPnL) = try applyOrders(
      scenario.orders, account: account, valuation: v0, data: data, base: base)
    for r in orderResults where !r.passed(strict: false) {
      diagnostics.append(
        Diagnostic(
          .orderFailedCheck, subject: r.order?.symbol,
          "order \(r.clientOrderID ?? r.order?.symbol ?? "?") fails its pre-trade check (\(r.failingCodes.map(\.rawValue).joined(separator: ", "))); applied anyway for the what-if."
        ))
    }
    // 2. Flows, in the base currency.
    var flowed = acct
    let flowTotal = try flows(scenario.flows, account: acct, equity: v0.equity)
    flowed.cash[flowed.baseCurrency, default: 0] += flowTotal
    let v1 = try AccountValuer.value(flowed, market: data, maxPriceAgeDays: maxPriceAgeDays)

    // 3. Shocks: new prices for every position.
    let (shocked, pnl, shockDiagnostics) = reprice(
      v1, account: flowed, shocks: scenario.shocks, data: data, volatilityMultiplier: scenario.volatilityMultiplier)
    diagnostics += shockDiagnostics
    let v2 = try AccountValuer.value(shocked, market: data, maxPriceAgeDays: maxPriceAgeDays)
    let shocksPnL = pnl.reduce(0) { $0 + $1.pnl }
    let identity = EquityIdentity(
      before: v0.equity, flows: flowTotal, ordersPnL: ordersPnL, shocksPnL: shocksPnL, costs: 0, after: v2.equity)

    // 4. Risk before and after (after: the regime after's estimator, stressed).
    let riskBefore = try? snapshot(v0, market: data, profile: base, stress: .none).snapshot
    var riskAfter: RiskSnapshot? = nil
    var afterModel: PortfolioRiskModel? = nil
    do {
      let stress = Stress(
        volatilityMultiplier: scenario.volatilityMultiplier,
        correlation: scenario.correlationTarget.map { ($0, scenario.correlationWeight) })
      let s = try snapshot(v2, market: data, profile: after, stress: stress)
      riskAfter = s.snapshot
      afterModel = s.model
      diagnostics += s.diagnostics
    } catch {
      diagnostics.append(Diagnostic(.riskAfterNotEstimated, "the risk after the scenario could not be estimated: \(error)"))
    }

    // 5. Limits of the regime after, and the reductions that cure them.
    let book = Book(v2)
    let model = LimitModel(after)
    let breaches = model.breaches(book: book, risk: afterModel)
    let lots = Dictionary(
      book.lines.map { ($0.symbol, data.catalog.spec(for: $0.symbol).lotSize) }, uniquingKeysWith: { a, _ in a })
    let reduced = Reducer.reduce(book, risk: afterModel, model: model, lots: lots)
    for b in reduced.remaining {
      diagnostics.append(
        Diagnostic(
          .breachNotCured, subject: b.subject,
          "the \(b.limit.title)\(b.subject.map { " (\($0))" } ?? "") is still breached after the reductions: no cut within the book cures it."
        ))
    }

    // 6. Replay and copy trading.
    let replay = try scenario.replay.map {
      try Replay.run($0, mode: scenario.replayMode, book: Book(v1), valuation: v1, market: data)
    }
    let (aumBefore, aumAfter) = try strategyAUM(scenario, followers: followers, fx: acct.fx, includeLead: includeLead)
    let capacity = try scenario.capacity.map { q in
      try Self.capacity(
        q, aum: aumAfter ?? v2.equity,
        aumSource: aumAfter == nil ? "account equity (no followers file)" : "strategy AUM after joins and leaves", market: data,
        profile: after)
    }
    for d in v2.diagnostics { diagnostics.appendOnce(d) }
    return WhatIfReport(
      scenario: scenario, baseRegime: base, regimeAfter: after, before: v0, after: v2, riskBefore: riskBefore,
      riskAfter: riskAfter, pnl: pnl, totalPnL: identity.pnl, flows: flowTotal, equity: identity, orderResults: orderResults,
      breaches: breaches, equityBaseAfter: EquityBase.of(book, profile: after), reductions: reduced.reductions,
      afterReductions: (reduced.book.leverage, reduced.volatility, reduced.remaining), replay: replay,
      strategyAUMBefore: aumBefore, strategyAUMAfter: aumAfter, capacity: capacity, diagnostics: diagnostics)
  }

  /// Checks each order against the book as the previous ones left it, then fills it at its
  /// price (else the last close) whatever the verdict; returns the orders' P&L against the mark.
  static func applyOrders(
    _ orders: [Order], account: Account, valuation v0: AccountValuation, data: MarketData, base: RegimeProfile
  ) throws -> (Account, [OrderResult], Double) {
    guard !orders.isEmpty else { return (account, [], 0) }
    var checker = PreTradeChecker(model: RiskModel(valuation: v0, market: data), profile: base)
    var acct = account
    var results: [OrderResult] = []
    var pnl = 0.0
    for o in orders {
      results.append(checker.check(o))
      pnl += try fill(o, into: &acct, market: data)
    }
    return (acct, results, pnl)
  }

  static func flows(_ flows: [CapitalFlow], account: Account, equity: Double) throws -> Double {
    var total = 0.0
    for f in flows {
      switch f {
      case .money(let amount, let given):
        let currency = given.isEmpty ? account.baseCurrency : given
        guard let rate = account.fx.rate(currency) else { throw ScenarioError("no FX rate for the flow's currency \(currency).") }
        total += amount * rate
      case .fractionOfEquity(let p): total += p * equity
      }
    }
    return total
  }

  static func strategyAUM(_ s: Scenario, followers: [Follower]?, fx: FXRates, includeLead: Bool) throws -> (Double?, Double?) {
    guard let followers else {
      if s.followersJoin != 0 || s.followersLeave != 0 {
        throw ScenarioError("followers joining or leaving needs a followers file (--followers or followers in advisor.yaml).")
      }
      return (nil, nil)
    }
    let c = try CopyTradingAUM.compute(followers, fx: fx, includeLead: includeLead, source: "followers")
    let after = c.total + s.followersJoin - s.followersLeave
    if after < 0 {
      throw ScenarioError("followers leaving (\(fmt(s.followersLeave))) exceed the strategy AUM \(fmt(c.total)).")
    }
    return (c.total, after)
  }

  /// New prices for every position: an instrument shock over a class shock; an option on a
  /// shocked underlying through ``ShockRepricer/option(_:price:underlying:change:asOf:)``.
  static func reprice(
    _ v: AccountValuation, account: Account, shocks: [Shock], data: MarketData, volatilityMultiplier: Double = 1
  ) -> (Account, [PositionPnL], [Diagnostic]) {
    var shocked = account
    var pnl: [PositionPnL] = []
    var diagnostics: [Diagnostic] = []
    for p in v.positions {
      let pos = p.position
      var newPrice = p.price
      var label: String? = nil
      var method = RepricingMethod.unchanged
      if let s = shock(for: pos.symbol, class: pos.assetClass, in: shocks) {
        newPrice = ShockRepricer.linear(p.price, change: s.change)
        label = "\(s.target) \(fmtPercent(s.change))"
        method = .linear
      } else if pos.assetClass == .option, let u = pos.underlying,
        let s = shock(for: u, class: data.catalog.isDescribed(u) ? data.catalog.spec(for: u).assetClass : .stock, in: shocks)
      {
        if let up = pos.underlyingPrice ?? AccountValuer.lastClose(data, u, on: account.asOf)?.0,
          let r = ShockRepricer.option(
            pos, price: p.price, underlying: up, change: s.change, asOf: account.asOf,
            volatilityMultiplier: volatilityMultiplier)
        {
          newPrice = r.price
          method = r.method
          label = "\(u) \(fmtPercent(s.change)) by \(r.method.rawValue)"
          if let i = index(of: pos, in: shocked) { shocked.positions[i].underlyingPrice = up * (1 + s.change) }
          if r.floored {
            diagnostics.append(
              Diagnostic(
                .optionPriceFloored, subject: pos.symbol,
                "\(pos.symbol): the \(r.method.rawValue) price under \(u) \(fmtPercent(s.change)) is below zero; an option is worth at least 0, so it is floored there."
              ))
          }
        } else {
          diagnostics.append(
            Diagnostic(
              .optionShockUnreached, subject: pos.symbol,
              "\(pos.symbol): the shock to \(u) cannot reach the option without its delta and underlying price."))
        }
      }
      if let i = index(of: pos, in: shocked) { shocked.positions[i].price = newPrice }
      pnl.append(
        PositionPnL(
          symbol: pos.symbol, priceBefore: p.price, priceAfter: newPrice,
          pnl: (newPrice - p.price) * pos.quantity * pos.valuePerPricePoint * p.fxRate, shock: label, method: method))
    }
    return (shocked, pnl, diagnostics)
  }

  static func index(of p: Position, in a: Account) -> Int? {
    a.positions.firstIndex { $0.symbol == p.symbol }
  }

  static func shock(for symbol: String, class c: AssetClass?, in shocks: [Shock]) -> Shock? {
    if let s = shocks.last(where: { $0.target == .instrument(symbol) }) { return s }
    if let c, let s = shocks.last(where: { $0.target == .assetClass(c) }) { return s }
    return nil
  }

  /// Bad scenarios are errors, never silently ignored.
  static func validate(_ s: Scenario, account: Account, market: MarketData) throws {
    var held = Set(account.positions.map(\.symbol))
    held.formUnion(account.positions.compactMap(\.underlying))
    held.formUnion(s.orders.map(\.symbol))
    for shock in s.shocks {
      guard shock.change > -1, shock.change.isFinite else {
        throw ScenarioError(
          "shock \(shock.target) \(fmtPercent(shock.change)) is at or below −100%: a price cannot fall by all of it or more.")
      }
      if case .instrument(let sym) = shock.target, !held.contains(sym) {
        if market[sym] == nil {
          let hint = closeMatches(for: sym, in: Array(held) + market.symbols)
          throw ScenarioError(
            "shock on unknown instrument '\(sym)'\(hint.isEmpty ? "" : "; did you mean \(hint.joined(separator: ", "))?")")
        }
        throw ScenarioError(
          "shock on \(sym), which the account does not hold: it would change nothing (add an order for it first).")
      }
    }
    if let t = s.correlationTarget, !(-1...1).contains(t) {
      throw ScenarioError("correlation target \(fmt(t)) is outside [−1, 1].")
    }
    guard (0...1).contains(s.correlationWeight) else {
      throw ScenarioError("correlation weight \(fmt(s.correlationWeight)) is outside [0, 1].")
    }
    guard s.volatilityMultiplier > 0, s.volatilityMultiplier.isFinite else {
      throw ScenarioError("volatility multiplier \(fmt(s.volatilityMultiplier)) is not positive.")
    }
    if let c = s.capacity {
      guard c.leadTradeFraction > 0, c.slippageBudget > 0, c.leadTradeFraction.isFinite, c.slippageBudget.isFinite else {
        throw ScenarioError("capacity needs a positive lead trade fraction and slippage budget.")
      }
      guard market[c.instrument] != nil else { throw ScenarioError("capacity: unknown instrument '\(c.instrument)'.") }
    }
  }

  /// Fills an order at its price (else the last close) and returns its P&L against the mark.
  ///
  /// Cash-settled instruments move cash by quantity × price; margined ones (futures, FX,
  /// CFDs) realise the P&L of what they close into cash and carry the rest at a weighted
  /// average cost, so the equity after is the equity before plus (mark − fill) × quantity,
  /// exactly (a held contract's P&L is never counted twice).
  static func fill(_ o: Order, into a: inout Account, market: MarketData) throws -> Double {
    let spec = market.catalog.spec(for: o.symbol)
    guard let mark = AccountValuer.lastClose(market, o.symbol, on: a.asOf)?.0 ?? o.price else {
      throw ScenarioError("order for \(o.symbol): no price and no market data.")
    }
    let price = o.price ?? mark
    let q = o.side.sign * o.quantity
    let margined = [.future, .fx, .cfd].contains(spec.assetClass)
    let i =
      a.positions.firstIndex(where: { $0.symbol == o.symbol })
      ?? {
        a.positions.append(
          Position(
            symbol: o.symbol, assetClass: spec.assetClass, quantity: 0, currency: spec.currency, multiplier: spec.multiplier,
            averageCost: price, source: "scenario order"))
        return a.positions.count - 1
      }()
    var p = a.positions[i]
    let perPoint = p.valuePerPricePoint
    let q0 = p.quantity
    let cost0 = p.averageCost ?? mark
    let closing = q0 * q < 0 ? min(abs(q), abs(q0)) * (q > 0 ? 1 : -1) : 0
    let opening = q - closing
    if margined {
      // What closes realises (price − cost) × closed quantity into cash; what opens is carried at the fill price.
      a.cash[p.currency, default: 0] += (price - cost0) * (-closing) * perPoint
    } else {
      a.cash[p.currency, default: 0] -= q * price * perPoint
    }
    let q1 = q0 + q
    if q1 == 0 {
      a.positions.remove(at: i)
    } else {
      let kept = q0 + closing
      p.averageCost = kept == 0 ? price : (kept * cost0 + opening * price) / (kept + opening)
      if opening == 0 { p.averageCost = cost0 }
      p.quantity = q1
      a.positions[i] = p
    }
    let fx = a.fx.rate(spec.currency) ?? 1
    return (mark - price) * q * perPoint * fx
  }

  // MARK: - Risk snapshots

  /// Volatility and correlation stress: Σ' = m² · D C' D with C' = (1 − w)C + w·T off the diagonal.
  struct Stress {
    var volatilityMultiplier: Double = 1
    var correlation: (target: Double, weight: Double)? = nil
    static let none = Stress()
  }

  /// The stressed covariance, repaired to PSD by ``PSDCheck`` when the stress breaks it.
  static func stressed(_ sigma: SymmetricMatrix, _ stress: Stress) throws -> (SymmetricMatrix, PSDRepair?) {
    var out = sigma.scaled(by: stress.volatilityMultiplier * stress.volatilityMultiplier)
    guard let (target, weight) = stress.correlation else { return (out, nil) }
    let n = out.dimension
    let sd = out.diagonal.map { max($0, 0).squareRoot() }
    for i in 0..<n {
      for j in (i + 1)..<max(i + 1, n) where sd[i] > 0 && sd[j] > 0 {
        let rho = out[i, j] / (sd[i] * sd[j])
        out.set(i, j, to: ((1 - weight) * rho + weight * target) * sd[i] * sd[j])
      }
    }
    guard let r = try PSDCheck.repairIfNeeded(out) else { return (out, nil) }
    return (r.matrix, r)
  }

  /// Portfolio risk of a valuation under a profile's covariance (the one pipeline), stressed.
  static func snapshot(_ v: AccountValuation, market: MarketData, profile: RegimeProfile, stress: Stress) throws -> (
    snapshot: RiskSnapshot?, model: PortfolioRiskModel?, diagnostics: [Diagnostic]
  ) {
    let book = Book(v)
    let held = book.riskSymbols.filter { book.exposure(of: $0) != 0 }
    let (symbols, excluded) = ModelledInstruments.select(
      held, market: market, asOf: book.asOf, lookback: profile.covarianceLookback, maxDataAgeDays: profile.maxDataAgeDays)
    guard !symbols.isEmpty else { return (nil, nil, excluded) }
    let exposures = symbols.map { book.exposure(of: $0) }
    let result = try CovariancePipeline.estimate(symbols.compactMap { market[$0] }, settings: CovarianceSettings(profile))
    let (sigma, repair) = try stressed(result.annual, stress)
    var diagnostics = excluded + result.diagnostics
    if let r = repair {
      diagnostics.append(
        Diagnostic(
          .covarianceRepaired,
          "the stressed covariance was not positive semidefinite (smallest eigenvalue \(fmt(r.minimumEigenvalueBefore))); \(r.clippedEigenvalues) eigenvalue(s) clipped to 0, relative change \(fmt(r.relativeChange))."
        ))
    }
    let d = try RiskDecomposition(covariance: sigma, weights: exposures)
    let p = result.periodsPerYear
    let grid = TailRiskGrid(
      dailyVolatility: d.volatility / Double(p).squareRoot(),
      pnl: HistoricalPnL.series(exposures: exposures, returns: result.aligned, scale: stress.volatilityMultiplier))
    let snapshot = RiskSnapshot(
      symbols: symbols, exposures: exposures, covariance: sigma, equity: v.equity, volatility: d.volatility,
      volatilityOfEquity: v.equity > 0 ? d.volatility / v.equity : nil, contributions: d.contributions, shares: d.shares,
      parametric: grid.parametric, historical: grid.historical, periodsPerYear: p, observations: result.aligned.observations,
      repair: repair ?? result.estimate.repair)
    let model = try PortfolioRiskModel(
      symbols: symbols, covariance: sigma, exposures: exposures, observations: result.aligned.observations, periodsPerYear: p,
      method: profile.covarianceMethod, repair: repair)
    return (snapshot, model, diagnostics)
  }

  /// Copy-trading capacity by the square-root impact model.
  public static func capacity(_ q: CapacityQuestion, aum: Double, aumSource: String, market: MarketData, profile: RegimeProfile)
    throws -> CapacityResult
  {
    guard let h = market[q.instrument] else { throw ScenarioError("capacity: unknown instrument '\(q.instrument)'.") }
    let stats = try InstrumentStats.compute(
      h, profile: profile, periodsPerYear: market.periodsPerYear(of: h),
      volumeInQuoteCurrency: market.catalog.spec(for: q.instrument).volumeInQuoteCurrency)
    guard let adv = stats.averageDailyVolume, adv > 0 else {
      throw ScenarioError("capacity: \(q.instrument) has no volume data, so its capacity cannot be estimated.")
    }
    let y = profile.impactCoefficient
    let sigma = stats.dailyVolatility
    guard y > 0, sigma > 0 else {
      throw ScenarioError(
        "capacity: the impact coefficient (\(fmt(y))) and the daily σ of \(q.instrument) (\(fmt(sigma))) must be positive for the square-root model."
      )
    }
    let spec = market.catalog.spec(for: q.instrument)
    let price = stats.lastClose * spec.multiplier
    let notional = q.leadTradeFraction * aum
    let quantity = notional / price
    let participation = quantity / adv
    let slippage = y * sigma * participation.squareRoot()
    let maxQuantity = adv * (q.slippageBudget / (y * sigma)) * (q.slippageBudget / (y * sigma))
    return CapacityResult(
      question: q, strategyAUM: aum, aumSource: aumSource, price: price, dailyVolatility: sigma, averageDailyVolume: adv,
      orderNotional: notional, orderQuantity: quantity, participation: participation, slippage: slippage,
      slippageCost: slippage * notional, impactCoefficient: y, maxStrategyAUM: maxQuantity * price / q.leadTradeFraction)
  }
}

func fmtPercent(_ x: Double) -> String { "\(x >= 0 ? "+" : "")\(fmt(x * 100))%" }
