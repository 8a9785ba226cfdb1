import LinearAlgebra

/// Runs a what-if scenario on an account: orders, flows, shocks, stress, regime change,
/// limit breaches and the reductions that cure them, replay, copy-trading capacity.
public enum WhatIfEngine {
  public static func run(
    _ scenario: Scenario, account: Account, market: MarketData, regimes: RegimeSet, baseRegime: String,
    followers: [Follower]? = nil, includeLead: Bool = false, maxPriceAgeDays: Int = 4
  ) throws -> WhatIfReport {
    var warnings: [String] = []
    guard let base = regimes.profile(baseRegime) else { throw UnknownRegimeError(name: baseRegime, known: regimes.names) }
    let afterName = scenario.regime ?? baseRegime
    guard let after = regimes.profile(afterName) else { throw UnknownRegimeError(name: afterName, known: regimes.names) }
    try validate(scenario, account: account, market: market)
    let data = market.through(account.asOf)
    let v0 = try AccountValuer.value(account, market: data, maxPriceAgeDays: maxPriceAgeDays)
    warnings += v0.warnings

    // 1. Orders first: checked against the base regime, then applied whatever the verdict.
    var acct = account
    var orderResults: [OrderResult] = []
    if !scenario.orders.isEmpty {
      let env = try SizingEnvironment.build(
        state: AccountState(v0), valuation: v0, market: data, profile: base, candidates: scenario.orders.map(\.symbol))
      var checker = PreTradeChecker(environment: env)
      for o in scenario.orders {
        let r = checker.check(o)
        orderResults.append(r)
        if !r.passed(strict: false) {
          warnings.append(
            "order \(o.clientOrderID ?? o.symbol) fails its pre-trade check (\(r.findings.filter { $0.severity == .fail }.map(\.code.rawValue).joined(separator: ", "))); applied anyway for the what-if."
          )
        }
        try apply(o, to: &acct, market: data)
      }
    }
    // 2. Flows, in the base currency.
    var flowTotal = 0.0
    for f in scenario.flows {
      switch f {
      case .money(let amount, let given):
        let currency = given.isEmpty ? acct.baseCurrency : given
        guard let rate = acct.fx.rate(currency) else { throw ScenarioError("no FX rate for the flow's currency \(currency).") }
        flowTotal += amount * rate
      case .fractionOfEquity(let p): flowTotal += p * v0.equity
      }
    }
    acct.cash[acct.baseCurrency, default: 0] += flowTotal
    let v1 = try AccountValuer.value(acct, market: data, maxPriceAgeDays: maxPriceAgeDays)

    // 3. Shocks: new prices for every position (instrument shock over class shock; options through their underlying's delta).
    var shocked = acct
    var pnl: [PositionPnL] = []
    for (i, p) in v1.positions.enumerated() {
      let pos = p.position
      var newPrice = p.price
      var label: String? = nil
      if let s = shock(for: pos.symbol, class: pos.assetClass, in: scenario.shocks) {
        newPrice = p.price * (1 + s.change)
        label = "\(s.target) \(fmtPercent(s.change))"
      } else if pos.assetClass == .option, let u = pos.underlying,
        let s = shock(
          for: u, class: data.catalog.isDescribed(u) ? data.catalog.spec(for: u).assetClass : .stock, in: scenario.shocks)
      {
        if let delta = pos.delta, let up = pos.underlyingPrice ?? AccountValuer.lastClose(data, u, on: acct.asOf)?.0 {
          newPrice = p.price + delta * up * s.change
          label = "\(u) \(fmtPercent(s.change)) × delta \(fmt(delta))"
          shocked.positions[index(of: pos, in: shocked)].underlyingPrice = up * (1 + s.change)
        } else {
          warnings.append("\(pos.symbol): the shock to \(u) cannot reach the option without its delta and underlying price.")
        }
      }
      let j = index(of: pos, in: shocked)
      shocked.positions[j].price = newPrice
      pnl.append(
        PositionPnL(
          symbol: pos.symbol, priceBefore: p.price, priceAfter: newPrice,
          pnl: (newPrice - p.price) * pos.quantity * pos.valuePerPricePoint * p.fxRate, shock: label))
      _ = i
    }
    // Prices are all set; the market data only supplies unshocked option underlyings.
    let v2 = try AccountValuer.value(shocked, market: data, maxPriceAgeDays: maxPriceAgeDays)
    let totalPnL = pnl.reduce(0) { $0 + $1.pnl }

    // 4. Risk before and after (after: the regime after's estimator, stressed).
    let riskBefore = try? snapshot(v0, market: data, profile: base, volatilityMultiplier: 1, correlation: nil)
    let riskAfter: RiskSnapshot?
    do {
      riskAfter = try snapshot(
        v2, market: data, profile: after, volatilityMultiplier: scenario.volatilityMultiplier,
        correlation: scenario.correlationTarget.map { ($0, scenario.correlationWeight) })
    } catch {
      riskAfter = nil
      warnings.append("the risk after the scenario could not be estimated: \(error)")
    }
    if let r = riskAfter?.repair {
      warnings.append(
        "the stressed covariance was not positive semidefinite (smallest eigenvalue \(fmt(r.minimumEigenvalueBefore))); \(r.clippedEigenvalues) eigenvalue(s) clipped to 0, relative change \(fmt(r.relativeChange))."
      )
    }

    // 5. Limits of the regime after, and the reductions that cure them.
    let breaches = Self.breaches(v2, risk: riskAfter, profile: after)
    let (reductions, cured) = reduce(v2, risk: riskAfter, profile: after, catalog: data.catalog)

    // 6. Replay and copy trading.
    let replay = try scenario.replay.map { try Self.replay($0, valuation: v1, market: market) }
    var aumBefore: Double? = nil
    var aumAfter: Double? = nil
    if let followers {
      let c = try CopyTradingAUM.compute(followers, fx: acct.fx, includeLead: includeLead, source: "followers")
      aumBefore = c.total
      aumAfter = c.total + scenario.followersJoin - scenario.followersLeave
    } else if scenario.followersJoin != 0 || scenario.followersLeave != 0 {
      throw ScenarioError("followers joining or leaving needs a followers file (--followers or followers in advisor.yaml).")
    }
    if let a = aumAfter, a < 0 {
      throw ScenarioError("followers leaving (\(fmt(scenario.followersLeave))) exceed the strategy AUM \(fmt(aumBefore ?? 0)).")
    }
    let capacity = try scenario.capacity.map { q in
      try Self.capacity(
        q, aum: aumAfter ?? v2.equity,
        aumSource: aumAfter == nil ? "account equity (no followers file)" : "strategy AUM after joins and leaves", market: data,
        profile: after)
    }
    return WhatIfReport(
      scenario: scenario, baseRegime: base, regimeAfter: after, before: v0, after: v2, riskBefore: riskBefore,
      riskAfter: riskAfter,
      pnl: pnl, totalPnL: totalPnL, flows: flowTotal, orderResults: orderResults, breaches: breaches, reductions: reductions,
      afterReductions: cured, replay: replay, strategyAUMBefore: aumBefore, strategyAUMAfter: aumAfter, capacity: capacity,
      warnings: warnings + v2.warnings.filter { !warnings.contains($0) })
  }

  static func index(of p: Position, in a: Account) -> Int {
    a.positions.firstIndex { $0.symbol == p.symbol } ?? 0
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
      guard shock.change >= -1, shock.change.isFinite else {
        throw ScenarioError(
          "shock \(shock.target) \(fmtPercent(shock.change)) is below −100%: a price cannot fall by more than all of it.")
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
      guard c.leadTradeFraction > 0, c.slippageBudget > 0 else {
        throw ScenarioError("capacity needs a positive lead trade fraction and slippage budget.")
      }
      guard market[c.instrument] != nil else { throw ScenarioError("capacity: unknown instrument '\(c.instrument)'.") }
    }
  }

  /// Applies an order to the account at its price (else the last close): cash-settled
  /// instruments move cash, margined ones (futures, FX, CFD) only open a position.
  static func apply(_ o: Order, to a: inout Account, market: MarketData) throws {
    let spec = market.catalog.spec(for: o.symbol)
    guard let price = o.price ?? AccountValuer.lastClose(market, o.symbol, on: a.asOf)?.0 else {
      throw ScenarioError("order for \(o.symbol): no price and no market data.")
    }
    let q = o.side.sign * o.quantity
    if let i = a.positions.firstIndex(where: { $0.symbol == o.symbol }) {
      a.positions[i].quantity += q
      if a.positions[i].quantity == 0 { a.positions.remove(at: i) }
    } else {
      a.positions.append(
        Position(
          symbol: o.symbol, assetClass: spec.assetClass, quantity: q, currency: spec.currency, multiplier: spec.multiplier,
          averageCost: price, source: "scenario order"))
    }
    let margined = [.future, .fx, .cfd].contains(spec.assetClass)
    if !margined { a.cash[spec.currency, default: 0] -= q * price * spec.multiplier }
  }

  /// Σ' = m² · D C' D with C' = (1 − w)C + w·T off the diagonal; repaired to PSD if needed.
  static func stressed(_ sigma: SymmetricMatrix, multiplier: Double, correlation: (target: Double, weight: Double)?) throws -> (
    SymmetricMatrix, PSDRepair?
  ) {
    var out = sigma.scaled(by: multiplier * multiplier)
    guard let (target, weight) = correlation else { return (out, nil) }
    let n = out.dimension
    let sd = out.diagonal.map { max($0, 0).squareRoot() }
    for i in 0..<n {
      for j in (i + 1)..<max(i + 1, n) where sd[i] > 0 && sd[j] > 0 {
        let rho = out[i, j] / (sd[i] * sd[j])
        out.set(i, j, to: ((1 - weight) * rho + weight * target) * sd[i] * sd[j])
      }
    }
    if try out.cholesky().isPositiveDefinite { return (out, nil) }
    let w = try out.eigenvalues()
    if (w.first ?? 0) >= -1e-12 * max(w.last ?? 0, 0) { return (out, nil) }
    let r = try out.nearestPositiveSemidefinite()
    return (r.matrix, r)
  }

  /// Portfolio risk of a valuation under a profile's covariance estimator.
  public static func snapshot(
    _ v: AccountValuation, market: MarketData, profile: RegimeProfile, volatilityMultiplier: Double,
    correlation: (target: Double, weight: Double)?
  ) throws -> RiskSnapshot? {
    let held = RiskExposures.collect(v, market: market, minimumBars: profile.covarianceLookback + 1)
    let symbols = held.symbols
    let exposures = symbols.map { held.exposure[$0, default: 0] }
    guard !symbols.isEmpty else { return nil }
    let histories = symbols.compactMap { market[$0] }
    let aligned = try AlignedReturns(histories, lookback: profile.covarianceLookback, kind: .simple)
    let estimate = try profile.covarianceMethod.estimator(lambda: profile.lambda).estimate(aligned.matrix)
    let p = aligned.periodsPerYear
    let (sigma, repair) = try stressed(
      estimate.annual(periodsPerYear: p), multiplier: volatilityMultiplier, correlation: correlation)
    let d = try RiskDecomposition(covariance: sigma, weights: exposures)
    let daily = d.volatility / Double(p).squareRoot()
    var parametric: [TailRisk] = []
    var historical: [TailRisk] = []
    var series = [Double](repeating: 0, count: aligned.observations)
    for (j, e) in exposures.enumerated() {
      for t in 0..<aligned.observations { series[t] += e * aligned.matrix[t, j] * volatilityMultiplier }
    }
    for level in [0.95, 0.99] {
      for h in [1, 10] {
        parametric.append(TailRiskEstimator.normal(dailyVolatility: daily, level: level, horizonDays: h))
        if let t = TailRiskEstimator.historical(pnl: series, level: level, horizonDays: h) { historical.append(t) }
      }
    }
    return RiskSnapshot(
      symbols: symbols, exposures: exposures, covariance: sigma, equity: v.equity, volatility: d.volatility,
      contributions: d.contributions,
      shares: d.shares, parametric: parametric, historical: historical, periodsPerYear: p, observations: aligned.observations,
      repair: estimate.repair ?? repair)
  }

  /// Every limit of `profile` the account breaks.
  public static func breaches(_ v: AccountValuation, risk: RiskSnapshot?, profile: RegimeProfile) -> [Breach] {
    var out: [Breach] = []
    let e = v.equity
    guard e > 0 else {
      return [Breach(limit: .accountLeverage, subject: nil, value: v.grossExposure, cap: 0, unit: "equity is not positive")]
    }
    for p in v.positions where abs(p.exposure) > profile.maxPositionNotional * e * (1 + 1e-12) {
      out.append(
        Breach(
          limit: .notionalCap, subject: p.position.symbol, value: abs(p.exposure) / e, cap: profile.maxPositionNotional,
          unit: "× equity"))
    }
    for g in v.byClass {
      if let c = AssetClass(rawValue: g.key), let cap = profile.maxClassLeverage[c], g.gross > cap * e * (1 + 1e-12) {
        out.append(Breach(limit: .classLeverage, subject: g.key, value: g.gross / e, cap: cap, unit: "× equity"))
      }
    }
    if v.grossExposure > profile.maxGrossLeverage * e * (1 + 1e-12) {
      out.append(
        Breach(limit: .accountLeverage, subject: nil, value: v.grossExposure / e, cap: profile.maxGrossLeverage, unit: "× equity")
      )
    }
    if let r = risk {
      if r.volatility > profile.portfolioVolatilityBudget * e * (1 + 1e-12) {
        out.append(
          Breach(
            limit: .volatilityBudget, subject: nil, value: r.volatility / e, cap: profile.portfolioVolatilityBudget,
            unit: "annual σ / equity"))
      }
      if r.symbols.count > 1 {
        for (i, s) in r.symbols.enumerated() where r.shares[i] > profile.maxRiskShare + 1e-12 {
          out.append(
            Breach(limit: .riskShare, subject: s, value: r.shares[i], cap: profile.maxRiskShare, unit: "share of variance"))
        }
      }
    }
    return out
  }

  /// The greedy, lot-rounded reductions (see ``WhatIfReport/reductionMethod``).
  static func reduce(_ v: AccountValuation, risk: RiskSnapshot?, profile: RegimeProfile, catalog: InstrumentCatalog) -> (
    [Reduction], (leverage: Double?, volatility: Double?, breaches: [Breach])
  ) {
    let e = v.equity
    guard e > 0 else { return ([], (nil, nil, breaches(v, risk: risk, profile: profile))) }
    // Working state per position: quantity, exposure per unit, risk index.
    struct Work {
      var symbol: String
      var assetClass: AssetClass
      var quantity: Double
      let start: Double
      let unit: Double
      let lot: Double
      let riskIndex: Int?
      var exposure: Double { quantity * unit }
    }
    var work: [Work] = v.positions.map { p in
      let q = p.position.quantity
      let riskSymbol = RiskExposures.riskSymbol(of: p.position)
      return Work(
        symbol: p.position.symbol, assetClass: p.position.assetClass, quantity: q, start: q, unit: q != 0 ? p.exposure / q : 0,
        lot: catalog.spec(for: p.position.symbol).lotSize, riskIndex: risk?.symbols.firstIndex(of: riskSymbol))
    }
    var reasons: [String: LimitID] = [:]
    func cut(_ i: Int, toExposure target: Double, _ why: LimitID) {
      // |exposure| ≤ target, lot-rounded toward zero (never up).
      let u = abs(work[i].unit)
      guard u > 0 else { return }
      let allowed = roundDownToLot(max(0, target) / u, lot: work[i].lot).quantity
      if allowed < abs(work[i].quantity) {
        work[i].quantity = work[i].quantity < 0 ? -allowed : allowed
        if reasons[work[i].symbol] == nil { reasons[work[i].symbol] = why }
      }
    }
    let sigma = risk?.covariance
    func riskVector() -> [Double] {
      guard let r = risk else { return [] }
      var x = [Double](repeating: 0, count: r.symbols.count)
      for w in work { if let k = w.riskIndex { x[k] += w.exposure } }
      return x
    }
    func variance() -> Double {
      guard let s = sigma else { return 0 }
      return (try? s.quadraticForm(riskVector())) ?? 0
    }
    for _ in 0..<50 {
      var changed = false
      let before = work.map(\.quantity)
      // Notional cap.
      for i in work.indices where abs(work[i].exposure) > profile.maxPositionNotional * e {
        cut(i, toExposure: profile.maxPositionNotional * e, .notionalCap)
      }
      // Class caps, largest first.
      for (c, cap) in profile.maxClassLeverage {
        while true {
          let members = work.indices.filter { work[$0].assetClass == c && work[$0].quantity != 0 }
          let gross = members.reduce(0) { $0 + abs(work[$1].exposure) }
          guard gross > cap * e * (1 + 1e-12), let big = members.max(by: { abs(work[$0].exposure) < abs(work[$1].exposure) })
          else { break }
          let q0 = work[big].quantity
          cut(big, toExposure: abs(work[big].exposure) - (gross - cap * e), .classLeverage)
          if work[big].quantity == q0 { work[big].quantity = 0 }
        }
      }
      // Account gross leverage, largest first.
      while true {
        let gross = work.reduce(0) { $0 + abs($1.exposure) }
        guard gross > profile.maxGrossLeverage * e * (1 + 1e-12),
          let big = work.indices.filter({ work[$0].quantity != 0 }).max(by: { abs(work[$0].exposure) < abs(work[$1].exposure) })
        else { break }
        let q0 = work[big].quantity
        cut(big, toExposure: abs(work[big].exposure) - (gross - profile.maxGrossLeverage * e), .accountLeverage)
        if work[big].quantity == q0 { work[big].quantity = 0 }
      }
      // Volatility budget: cut the largest contributor to what meets the budget.
      if let s = sigma {
        let budget = profile.portfolioVolatilityBudget * e
        var guardCount = 0
        while variance() > budget * budget * (1 + 1e-12) && guardCount < 100 {
          guardCount += 1
          let x = riskVector()
          guard let sx = try? s.multiplied(by: x) else { break }
          let candidates = work.indices.filter { work[$0].riskIndex != nil && work[$0].quantity != 0 }
          guard
            let big = candidates.max(by: { a, b in
              (work[a].exposure * sx[work[a].riskIndex ?? 0]) < (work[b].exposure * sx[work[b].riskIndex ?? 0])
            }), let k = work[big].riskIndex
          else { break }
          // Variance as a function of this position's exposure y: skk y² + 2 m y + c0.
          let y0 = work[big].exposure
          let skk = s[k, k]
          let m = sx[k] - skk * y0
          let c0 = variance() - 2 * y0 * sx[k] + skk * y0 * y0
          let target: Double
          let disc = m * m - skk * (c0 - budget * budget)
          if skk <= 0 || disc < 0 {
            target = 0
          } else {
            let r = disc.squareRoot()
            let roots = [(-m - r) / skk, (-m + r) / skk]
            // The root between 0 and y0 (same sign as y0) closest to y0; else flatten.
            let inside = roots.filter { y0 > 0 ? ($0 >= 0 && $0 <= y0) : ($0 <= 0 && $0 >= y0) }
            target = inside.map(abs).max() ?? 0
          }
          let q0 = work[big].quantity
          cut(big, toExposure: target, .volatilityBudget)
          if work[big].quantity == q0 { work[big].quantity = 0 }
        }
      }
      // Risk share: cut the largest holding of an instrument over its share to the allowed exposure.
      if let s = sigma, let r = risk, r.symbols.count > 1 {
        let rho = profile.maxRiskShare
        for k in r.symbols.indices {
          let x = riskVector()
          guard let sx = try? s.multiplied(by: x) else { break }
          let total = zip(x, sx).reduce(0) { $0 + $1.0 * $1.1 }
          guard total > 0, x[k] * sx[k] / total > rho + 1e-12, rho < 1, s[k, k] > 0 else { continue }
          let skk = s[k, k]
          let m = sx[k] - skk * x[k]
          let c0 = total - 2 * x[k] * sx[k] + skk * x[k] * x[k]
          let qa = (1 - rho) * skk
          let qb = (1 - 2 * rho) * m
          let root = max(0, qb * qb + 4 * qa * rho * c0).squareRoot()
          let allowed = x[k] > 0 ? (-qb + root) / (2 * qa) : (-qb - root) / (2 * qa)
          let holders = work.indices.filter { work[$0].riskIndex == k && work[$0].quantity != 0 }
          guard let big = holders.max(by: { abs(work[$0].exposure) < abs(work[$1].exposure) }) else { continue }
          let excess = x[k] - allowed
          let q0 = work[big].quantity
          cut(big, toExposure: abs(work[big].exposure - excess), .riskShare)
          if work[big].quantity == q0 && abs(excess) > 0 { work[big].quantity = 0 }
        }
      }
      for i in work.indices where work[i].quantity != before[i] { changed = true }
      if !changed { break }
    }
    let reductions = work.filter { $0.quantity != $0.start }.map {
      Reduction(
        symbol: $0.symbol, from: $0.start, to: $0.quantity, notional: abs(($0.start - $0.quantity) * $0.unit),
        reason: reasons[$0.symbol] ?? .accountLeverage)
    }
    let gross = work.reduce(0) { $0 + abs($1.exposure) }
    var remaining: [Breach] = []
    for w in work where abs(w.exposure) > profile.maxPositionNotional * e * (1 + 1e-9) {
      remaining.append(
        Breach(
          limit: .notionalCap, subject: w.symbol, value: abs(w.exposure) / e, cap: profile.maxPositionNotional, unit: "× equity"))
    }
    if gross > profile.maxGrossLeverage * e * (1 + 1e-9) {
      remaining.append(
        Breach(limit: .accountLeverage, subject: nil, value: gross / e, cap: profile.maxGrossLeverage, unit: "× equity"))
    }
    let vol = sigma.map { _ in variance().squareRoot() / e }
    if let vol, vol > profile.portfolioVolatilityBudget * (1 + 1e-9) {
      remaining.append(
        Breach(
          limit: .volatilityBudget, subject: nil, value: vol, cap: profile.portfolioVolatilityBudget, unit: "annual σ / equity"))
    }
    if let s = sigma, let r = risk, r.symbols.count > 1 {
      let x = riskVector()
      if let sx = try? s.multiplied(by: x) {
        let total = zip(x, sx).reduce(0) { $0 + $1.0 * $1.1 }
        for k in r.symbols.indices where total > 0 && x[k] * sx[k] / total > profile.maxRiskShare + 1e-9 {
          remaining.append(
            Breach(
              limit: .riskShare, subject: r.symbols[k], value: x[k] * sx[k] / total, cap: profile.maxRiskShare,
              unit: "share of variance"))
        }
      }
    }
    return (reductions, (gross / e, vol, remaining))
  }

  /// The current holdings through history: a date range (cumulative P&L from the close before
  /// `from`) or the worst single days. FX at today's rates; options through delta × underlying.
  public static func replay(_ request: ReplayRequest, valuation v: AccountValuation, market: MarketData) throws -> ReplayResult {
    var legs: [(symbol: String, perPoint: Double)] = []
    var excluded: [String] = []
    for p in v.positions {
      let pos = p.position
      if pos.assetClass == .option {
        if let u = pos.underlying, let d = pos.delta, market[u] != nil {
          legs.append((u, d * pos.quantity * pos.multiplier * p.fxRate))
        } else {
          excluded.append(pos.symbol)
        }
      } else if market[pos.symbol] != nil {
        legs.append((pos.symbol, pos.quantity * pos.valuePerPricePoint * p.fxRate))
      } else {
        excluded.append(pos.symbol)
      }
    }
    guard !legs.isEmpty else { throw ScenarioError("replay: no held instrument has market data.") }
    var perPoint: [String: Double] = [:]
    var order: [String] = []
    for l in legs {
      if perPoint[l.symbol] == nil { order.append(l.symbol) }
      perPoint[l.symbol, default: 0] += l.perPoint
    }
    let histories = order.compactMap { market[$0] }
    // Common dates (inner join).
    var common = Set(histories[0].days)
    for h in histories.dropFirst() { common.formIntersection(h.days) }
    let days = common.sorted()
    let closeAt: [[Day: Double]] = histories.map { h in Dictionary(zip(h.days, h.close), uniquingKeysWith: { a, _ in a }) }
    func value(_ d: Day) -> Double {
      var s = 0.0
      for (j, sym) in order.enumerated() { s += (perPoint[sym] ?? 0) * (closeAt[j][d] ?? 0) }
      return s
    }
    switch request {
    case .range(let from, let to):
      guard from <= to else { throw ScenarioError("replay range \(from) … \(to) is reversed.") }
      guard let first = days.first, let last = days.last else {
        throw ScenarioError("replay: the held instruments have no common dates.")
      }
      let inRange = days.filter { $0 >= from && $0 <= to }
      guard let startIndex = days.firstIndex(where: { $0 >= from }), !inRange.isEmpty, startIndex > 0 else {
        throw ScenarioError(
          "replay range \(from) … \(to) is outside the data: the held instruments have common closes from \(first) to \(last).")
      }
      let baseDay = days[startIndex - 1]
      let base = value(baseDay)
      return ReplayResult(
        request: request, baseDay: baseDay, path: inRange.map { ($0, value($0) - base) }, instruments: order, excluded: excluded)
    case .worstDays(let n):
      guard n >= 1, days.count >= 2 else { throw ScenarioError("worst days needs n ≥ 1 and at least two common dates.") }
      var daily: [(day: Day, pnl: Double)] = []
      var prev = value(days[0])
      for d in days.dropFirst() {
        let x = value(d)
        daily.append((d, x - prev))
        prev = x
      }
      let worst = daily.sorted { $0.pnl < $1.pnl }.prefix(n)
      return ReplayResult(request: request, baseDay: nil, path: Array(worst), instruments: order, excluded: excluded)
    }
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
    let spec = market.catalog.spec(for: q.instrument)
    let price = stats.lastClose * spec.multiplier
    let notional = q.leadTradeFraction * aum
    let quantity = notional / price
    let participation = quantity / adv
    let y = profile.impactCoefficient
    let sigma = stats.dailyVolatility
    let slippage = y * sigma * participation.squareRoot()
    let maxQuantity = adv * (q.slippageBudget / (y * sigma)) * (q.slippageBudget / (y * sigma))
    return CapacityResult(
      question: q, strategyAUM: aum, aumSource: aumSource, price: price, dailyVolatility: sigma, averageDailyVolume: adv,
      orderNotional: notional, orderQuantity: quantity, participation: participation, slippage: slippage,
      slippageCost: slippage * notional, impactCoefficient: y, maxStrategyAUM: maxQuantity * price / q.leadTradeFraction)
  }
}

func fmtPercent(_ x: Double) -> String { "\(x >= 0 ? "+" : "")\(fmt(x * 100))%" }
