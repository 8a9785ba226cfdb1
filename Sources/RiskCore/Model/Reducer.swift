import LinearAlgebra

/// The lot-rounded reductions that bring a book back within its limits, judged by the
/// limit model itself (``LimitModel/breaches(book:risk:)``), so that `check` finds no
/// breach on the reduced book.
///
/// 1. While a limit is breached, the largest holding behind the first breach (in the
///    order of ``LimitModel/bookLimits``) is cut by what that limit needs, solved in
///    closed form (``QuantityRoots``) and rounded toward zero to whole lots: for a group's
///    exposure its largest holding, for margin the holding with the largest margin, for a
///    group's risk share its largest Euler contributor.
/// 2. Each cut holding then gets back whole lots (a binary search over lots) while no
///    breach appears and none grows: no cut is more than one lot larger than needed.
/// 3. Each cut names every limit one more lot would break: the limits that required it.
public enum Reducer {
  public struct Outcome: Sendable {
    public let reductions: [Reduction]
    public let book: Book
    /// Annual σ / equity of the reduced book (nil without a covariance).
    public let volatility: Double?
    public let remaining: [Breach]
  }

  public static func reduce(_ book: Book, risk: PortfolioRiskModel?, model: LimitModel, lots: [String: Double]) -> Outcome {
    guard book.equity > 0, book.equity.isFinite else {
      return Outcome(reductions: [], book: book, volatility: nil, remaining: model.breaches(book: book, risk: risk))
    }
    let start = book
    var work = book
    var order: [String] = []
    var incurable: Set<String> = []
    for _ in 0..<500 {
      let breaches = model.breaches(book: work, risk: riskOf(work, risk)).filter { !incurable.contains($0.key) }
      guard let b = breaches.first else { break }
      guard let (symbol, q) = cut(b, work, risk: riskOf(work, risk), model: model, lots: lots) else {
        incurable.insert(b.key)
        continue
      }
      if !order.contains(symbol) { order.append(symbol) }
      work.setQuantity(symbol, q)
    }
    // Give back whole lots while nothing gets worse, until no holding can take one more
    // (risk shares are linked: one holding's lot back makes room for another's).
    for _ in 0..<200 {
      var changed = false
      for s in order {
        let q = addBack(s, work, start: start, risk: risk, model: model, lot: lots[s] ?? 1)
        if q != work.quantity(of: s) {
          work.setQuantity(s, q)
          changed = true
        }
      }
      if !changed { break }
    }
    let finalRisk = riskOf(work, risk)
    let remaining = model.breaches(book: work, risk: finalRisk)
    let reductions = order.compactMap { s -> Reduction? in
      let from = start.quantity(of: s)
      let to = work.quantity(of: s)
      guard from != to, let line = work.line(s) else { return nil }
      return Reduction(
        symbol: s, from: from, to: to, notional: abs((from - to) * line.unitExposure),
        reasons: reasons(s, work, start: start, risk: risk, model: model, lot: lots[s] ?? 1))
    }
    return Outcome(
      reductions: reductions, book: work, volatility: finalRisk.map { $0.volatility / work.equity }, remaining: remaining)
  }

  /// The covariance with the book's exposures.
  static func riskOf(_ book: Book, _ risk: PortfolioRiskModel?) -> PortfolioRiskModel? {
    guard let risk else { return nil }
    return try? PortfolioRiskModel(
      symbols: risk.symbols, covariance: risk.covariance, exposures: risk.symbols.map { book.exposure(of: $0) },
      observations: risk.observations, periodsPerYear: risk.periodsPerYear, method: risk.method, repair: risk.repair)
  }

  /// The holding to cut for a breach and its new quantity; nil when no holding can cure it.
  static func cut(_ b: Breach, _ book: Book, risk: PortfolioRiskModel?, model: LimitModel, lots: [String: Double]) -> (
    String, Double
  )? {
    let p = model.profile
    let e = EquityBase.of(book, profile: p).value
    let held = book.lines.filter { $0.quantity != 0 && $0.unitExposure != 0 }
    func largest(_ lines: [BookLine], sign: Double? = nil) -> BookLine? {
      lines.filter { sign == nil || $0.exposure * (sign ?? 0) > 0 }.max { abs($0.exposure) < abs($1.exposure) }
    }
    var target: BookLine? = nil
    var excess = 0.0
    /// Units of the target to keep, when the limit is not on its exposure (margin).
    var keepUnits: Double? = nil
    func group(_ id: String?) -> InstrumentGroup? {
      guard let id else { return nil }
      return GroupMap.of(book: book, risk: risk, candidate: nil, profile: p).groups.first { $0.id == id }
    }
    switch b.limit {
    case .notionalCap:
      guard let s = b.subject else { return nil }
      let x = book.exposure(of: s)
      target = largest(held.filter { $0.riskSymbol == s }, sign: x)
      excess = abs(x) - p.maxPositionNotional * e
    case .classLeverage:
      guard let s = b.subject, let cls = AssetClass(rawValue: s), let cap = p.maxClassLeverage[cls] else { return nil }
      target = largest(held.filter { $0.assetClass == cls })
      excess = book.classGross(cls) - cap * e
    case .accountLeverage:
      target = largest(held)
      excess = book.grossExposure - p.maxGrossLeverage * e
    case .groupExposure:
      // The largest holding of the group, cut by the group's excess.
      guard let g = group(b.subject), let cap = p.maxGroupExposure else { return nil }
      target = largest(held.filter { g.contains($0.riskSymbol) })
      excess = g.members.reduce(0) { $0 + abs(book.exposure(of: $1)) } - cap * e
    case .marginUtilisation:
      // The holding with the largest margin, cut by the excess margin.
      guard let cap = p.maxMarginUtilisation else { return nil }
      target = held.filter { $0.margin > 0 }.max { $0.margin < $1.margin }
      excess = book.marginInUse - cap * e
      if let t = target { keepUnits = max(0, t.margin - excess) / t.unitMargin }
    case .groupRiskShare:
      // The group's largest contributor, cut to where the group's share meets the cap.
      guard let risk, let g = group(b.subject), let (k, y) = groupTarget(g, risk: risk, profile: p) else { return nil }
      let x = risk.exposures[k]
      target = largest(held.filter { $0.riskSymbol == risk.symbols[k] }, sign: x)
      excess = abs(x - y)
    case .volatilityBudget, .riskShare:
      guard let risk, let (k, y) = riskTarget(b, risk: risk, profile: p, equity: e) else { return nil }
      let x = risk.exposures[k]
      target = largest(held.filter { $0.riskSymbol == risk.symbols[k] }, sign: x)
      excess = abs(x - y)
    case .riskBudget, .liquidity:
      return nil
    }
    guard let line = target, excess > 0 else { return nil }
    let lot = lots[line.symbol] ?? 1
    let keep = keepUnits ?? max(0, abs(line.exposure) - excess) / abs(line.unitExposure)
    var q = roundDownToLot(keep, lot: lot).quantity
    if q >= abs(line.quantity) { q = max(0, roundDownToLot(abs(line.quantity), lot: lot).quantity - lot) }
    if q >= abs(line.quantity) { q = 0 }
    return (line.symbol, line.quantity < 0 ? -q : q)
  }

  /// For a group's risk-share breach, its largest Euler contributor and the exposure at which
  /// the group's share meets the cap (0 when cutting it alone cannot).
  static func groupTarget(_ g: InstrumentGroup, risk: PortfolioRiskModel, profile: RegimeProfile) -> (Int, Double)? {
    guard let rho = profile.maxGroupRiskShare, rho < 1 else { return nil }
    let idx = g.members.compactMap { risk.position(of: $0) }
    guard idx.count == g.members.count,
      let k = idx.max(by: { risk.exposures[$0] * risk.sigmaE[$0] < risk.exposures[$1] * risk.sigmaE[$1] }),
      risk.exposures[k] * risk.sigmaE[k] > 0
    else { return nil }
    var n0 = 0.0
    var seg = 0.0
    for i in idx {
      n0 += risk.exposures[i] * risk.sigmaE[i]
      seg += risk.covariance[k, i] * risk.exposures[i]
    }
    let y = QuantityRoots.groupRiskShareBoundary(
      x: risk.exposures[k], n0: n0, sigmaEGroup: seg, sigmaE: risk.sigmaE[k], variance: risk.variance,
      skk: risk.covariance[k, k], rho: rho)
    return (k, y)
  }

  /// For a volatility-budget breach, the largest contributor and the exposure that meets the
  /// budget; for a risk-share breach, the instrument and the exposure at the cap.
  static func riskTarget(_ b: Breach, risk: PortfolioRiskModel, profile: RegimeProfile, equity: Double) -> (Int, Double)? {
    let n = risk.symbols.count
    if b.limit == .riskShare {
      guard let s = b.subject, let k = risk.position(of: s) else { return nil }
      let (x, sek, skk) = (risk.exposures[k], risk.sigmaE[k], risk.covariance[k, k])
      let rho = profile.maxRiskShare
      guard skk > 0, rho < 1 else { return nil }
      let m = sek - skk * x
      let c0 = risk.variance - 2 * x * sek + skk * x * x
      return (k, QuantityRoots.riskShareBoundary(y0: x, m: m, c0: c0, skk: skk, rho: rho))
    }
    guard let k = (0..<n).max(by: { risk.exposures[$0] * risk.sigmaE[$0] < risk.exposures[$1] * risk.sigmaE[$1] }),
      risk.exposures[k] * risk.sigmaE[k] > 0
    else { return nil }
    let (x, sek, skk) = (risk.exposures[k], risk.sigmaE[k], risk.covariance[k, k])
    let m = sek - skk * x
    let c0 = risk.variance - 2 * x * sek + skk * x * x
    return (k, QuantityRoots.volatilityBoundary(y0: x, m: m, c0: c0, skk: skk, cap: profile.portfolioVolatilityBudget * equity))
  }

  /// No breach at `trial` that is not already at `reference`, and none larger.
  static func noWorse(_ trial: [Breach], than reference: [Breach]) -> Bool {
    let ref = Dictionary(reference.map { ($0.key, $0.value) }, uniquingKeysWith: max)
    return trial.allSatisfy { b in ref[b.key].map { b.value <= $0 * (1 + 1e-12) + 1e-15 } ?? false }
  }

  static func breaches(_ book: Book, _ risk: PortfolioRiskModel?, _ model: LimitModel) -> [Breach] {
    model.breaches(book: book, risk: riskOf(book, risk))
  }

  /// The largest quantity between the current and the original that leaves nothing worse.
  static func addBack(_ s: String, _ book: Book, start: Book, risk: PortfolioRiskModel?, model: LimitModel, lot: Double)
    -> Double
  {
    let current = book.quantity(of: s)
    let original = start.quantity(of: s)
    guard current != original else { return current }
    let reference = breaches(book, risk, model)
    let sign: Double = original < 0 ? -1 : 1
    func ok(_ q: Double) -> Bool {
      var trial = book
      trial.setQuantity(s, q)
      return noWorse(breaches(trial, risk, model), than: reference)
    }
    if ok(original) { return original }
    // Whole lots above the current quantity, below the original.
    var lo = 0.0
    var hi = ((abs(original) - abs(current)) / lot).rounded(.down)
    if abs(current) + hi * lot >= abs(original) { hi -= 1 }
    guard hi >= 1 else { return current }
    func quantity(_ k: Double) -> Double { sign * roundDownToLot(abs(current) + k * lot, lot: lot).quantity }
    while lo < hi {
      let mid = ((lo + hi + 1) / 2).rounded(.down)
      if ok(quantity(mid)) { lo = mid } else { hi = mid - 1 }
    }
    return lo > 0 ? quantity(lo) : current
  }

  /// The limits one more lot of `s` would break (or make worse): what required the cut.
  static func reasons(_ s: String, _ book: Book, start: Book, risk: PortfolioRiskModel?, model: LimitModel, lot: Double)
    -> [LimitID]
  {
    let current = book.quantity(of: s)
    let original = start.quantity(of: s)
    let sign: Double = original < 0 ? -1 : 1
    let next = abs(current) + lot >= abs(original) ? original : sign * (abs(current) + lot)
    var trial = book
    trial.setQuantity(s, next)
    let reference = Dictionary(breaches(book, risk, model).map { ($0.key, $0.value) }, uniquingKeysWith: max)
    var out: [LimitID] = []
    for b in breaches(trial, risk, model) where (reference[b.key].map { b.value > $0 * (1 + 1e-12) + 1e-15 } ?? true) {
      if !out.contains(b.limit) { out.append(b.limit) }
    }
    return out
  }
}
