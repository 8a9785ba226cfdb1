import LinearAlgebra

// The limits the per-position caps cannot see (issue 17): a correlated group's gross
// exposure and Euler risk share, and the account's margin utilisation. Each is one more
// limit of the one risk model, so `size`, `check`, `budget` and `whatif` all apply it.

/// Text for a group: "AAPL+MSFT+NVDA (correlation cluster: AAPL, MSFT, NVDA)".
func describe(_ g: InstrumentGroup) -> String { "\(g.id) (\(g.originText): \(g.members.joined(separator: ", ")))" }

/// Why no group applies to a candidate, as a note.
func noGroupNote(_ t: CandidateTrade, _ c: LimitContext) -> String {
  // Built without number formatting: it is on the path of every order in no group.
  let how: String
  switch c.profile.correlatedGroups?.source {
  case .clusters?: how = "no correlation cluster"
  case .both?: how = "no correlation cluster nor instruments.yaml group"
  case .instruments?, nil: how = "no instruments.yaml group"
  }
  return t.symbol + " is in " + how + ": the per-position caps apply"
}

/// The candidate's correlations with the other members of a group, as inputs.
func correlationInputs(_ g: InstrumentGroup, _ symbol: String, _ c: LimitContext) -> [NamedValue] {
  guard let risk = c.risk, let k = risk.position(of: symbol) else { return [] }
  return g.members.filter { $0 != symbol }.compactMap { m in
    guard let j = risk.position(of: m), let r = risk.correlation(k, j) else { return nil }
    return NamedValue("ρ(\(symbol), \(m))", r, source: "\(risk.method.rawValue) covariance")
  }
}

/// The groups of a trade's instrument, or the evaluation that explains why none applies.
func candidateGroups(_ id: LimitID, _ t: CandidateTrade, _ c: LimitContext) -> Result<[InstrumentGroup], LimitEvaluationBox> {
  let mine = c.groups.groups(of: t.symbol)
  if c.groups.clustersWanted && !c.groups.clustered {
    return .failure(
      LimitEvaluationBox(
        .notEvaluated(id, "not evaluated (no covariance for \(t.symbol), so no correlation clusters): fails closed", in: c)))
  }
  guard !mine.isEmpty else { return .failure(LimitEvaluationBox(.notApplicable(id, noGroupNote(t, c), in: c))) }
  return .success(mine)
}

/// A ``LimitEvaluation`` as an error value (for `Result`).
struct LimitEvaluationBox: Error {
  let evaluation: LimitEvaluation
  init(_ e: LimitEvaluation) { evaluation = e }
}

/// A group's gross exposure Σᵢ∈G |xᵢ| (xᵢ: the risk instrument's exposure with the options on
/// it, as the notional cap sees it) within max_group_exposure × equity, for every group
/// that holds the trade's instrument; reducing |x| of the instrument is always allowed.
public struct GroupExposureLimit: TradeLimit, BookLimit {
  public var id: LimitID { .groupExposure }

  func gross(_ g: InstrumentGroup, _ book: Book) -> Double { g.members.reduce(0) { $0 + abs(book.exposure(of: $1)) } }

  public func evaluate(_ t: CandidateTrade, in c: LimitContext) -> LimitEvaluation {
    guard let cap = c.profile.maxGroupExposure else {
      return .notApplicable(id, "the \(c.profile.name) profile sets no max_group_exposure", in: c)
    }
    let groups: [InstrumentGroup]
    switch candidateGroups(id, t, c) {
    case .failure(let box): return box.evaluation
    case .success(let g): groups = g
    }
    let x0 = c.existing(t)
    var best: (InstrumentGroup, QuantityInterval, Double)? = nil
    for g in groups {
      let gr = gross(g, c.book)
      let allowed = QuantityRoots.exposureCap(
        existing: x0, side: t.sign, unit: t.unitExposure, room: cap * c.equity - (gr - abs(x0)))
      if best == nil || allowed.upper < (best?.1.upper ?? .infinity) { best = (g, allowed, gr) }
    }
    guard let (g, allowed, gr) = best else { return .notApplicable(id, noGroupNote(t, c), in: c) }
    func note() -> String {
      var note = "group \(describe(g))"
      if groups.count > 1 { note += "; also in \(groups.filter { $0 != g }.map(\.id).joined(separator: ", "))" }
      if allowed.upper <= 0 {
        note += "; its gross exposure \(fmt(gr)) \(c.book.baseCurrency) already uses the cap of \(fmt(cap * c.equity))"
      }
      return note
    }
    return LimitEvaluation(
      id: id, allowed: allowed,
      formula: "(max group exposure × equity − gross exposure of the group's other members − existing) ÷ unit exposure",
      inputs: [
        NamedValue("max group exposure", cap, "× equity", source: "\(c.profile.source), max_group_exposure"),
        NamedValue("cap", cap * c.equity, c.book.baseCurrency),
        NamedValue("\(g.id) gross before", gr, c.book.baseCurrency),
        NamedValue("existing \(t.symbol)", x0, c.book.baseCurrency),
      ] + correlationInputs(g, t.symbol, c), note: note(), in: c)
  }

  public func reading(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading {
    let cap = c.profile.maxGroupExposure ?? .infinity
    let x0 = c.existing(t)
    let after = x0 + t.sign * q * t.unitExposure
    var out = LimitReading(id: id, name: "group gross exposure", value: 0, cap: cap)
    for g in c.groups.groups(of: t.symbol) {
      let v = (gross(g, c.book) - abs(x0) + abs(after)) / c.equity
      if out.subject == nil || v > out.value {
        out = LimitReading(id: id, name: "group \(g.id) gross exposure", value: v, cap: cap, subject: g.id, members: g.members)
      }
    }
    return out
  }

  public func breaches(in c: LimitContext) -> [Breach] {
    guard let cap = c.profile.maxGroupExposure else { return [] }
    return c.groups.groups.compactMap { g in
      let x = gross(g, c.book)
      return x > cap * c.equity * (1 + QuantityRoots.tolerance)
        ? Breach(limit: id, subject: g.id, value: x / c.equity, cap: cap, unit: "× equity") : nil
    }
  }
}

/// A group's Euler share of portfolio variance, Σᵢ∈G yᵢ(Σy)ᵢ / yᵀΣy, within
/// max_group_risk_share for every group that holds the trade's instrument
/// (``QuantityRoots/groupRiskShare(n0:sigmaEGroup:sigmaE:variance:skk:rho:side:unit:)``);
/// not applicable to a group that is the whole modelled book (its share is 100% by definition).
public struct GroupRiskShareLimit: TradeLimit, BookLimit {
  public var id: LimitID { .groupRiskShare }

  struct Figures {
    let k: Int
    /// Σᵢ∈G eᵢ(Σe)ᵢ.
    let n0: Double
    /// (Σ e_G)ₖ.
    let seg: Double
    /// The variance of the instruments outside the group.
    let outside: Double
  }

  /// The group's figures for instrument `symbol` (nil: a member is outside the covariance).
  func figures(_ g: InstrumentGroup, _ symbol: String, _ risk: PortfolioRiskModel) -> Figures? {
    guard let k = risk.position(of: symbol) else { return nil }
    let idx = g.members.compactMap { risk.position(of: $0) }
    guard idx.count == g.members.count else { return nil }
    var n0 = 0.0
    var inner = 0.0
    var seg = 0.0
    for i in idx {
      n0 += risk.exposures[i] * risk.sigmaE[i]
      seg += risk.covariance[k, i] * risk.exposures[i]
      for j in idx { inner += risk.exposures[i] * risk.covariance[i, j] * risk.exposures[j] }
    }
    return Figures(k: k, n0: n0, seg: seg, outside: risk.variance - 2 * n0 + inner)
  }

  func applies(_ f: Figures, _ risk: PortfolioRiskModel) -> Bool { f.outside > 1e-12 * max(risk.variance, 1) }

  public func evaluate(_ t: CandidateTrade, in c: LimitContext) -> LimitEvaluation {
    guard let rho = c.profile.maxGroupRiskShare else {
      return .notApplicable(id, "the \(c.profile.name) profile sets no max_group_risk_share", in: c)
    }
    guard rho < 1 else { return .notApplicable(id, "a group risk-share cap of 100% cannot bind", in: c) }
    let groups: [InstrumentGroup]
    switch candidateGroups(id, t, c) {
    case .failure(let box): return box.evaluation
    case .success(let g): groups = g
    }
    guard let risk = c.risk, let k = c.position(of: t.symbol) else {
      return .notEvaluated(id, "not evaluated (no covariance): fails closed", in: c)
    }
    var lower = 0.0
    var upper = Double.infinity
    var binding: (InstrumentGroup, Figures, Double, Double, Double)? = nil
    var lone: [String] = []
    for g in groups {
      guard let f = figures(g, t.symbol, risk) else {
        return .notEvaluated(id, "not evaluated (a member of \(g.id) is outside the covariance): fails closed", in: c)
      }
      guard applies(f, risk) else {
        lone.append(g.id)
        continue
      }
      let (interval, a, b, cc) = QuantityRoots.groupRiskShare(
        n0: f.n0, sigmaEGroup: f.seg, sigmaE: risk.sigmaE[k], variance: risk.variance, skk: risk.covariance[k, k], rho: rho,
        side: t.sign, unit: t.unitExposure)
      let i = interval ?? .upTo(0)
      lower = max(lower, interval == nil ? 0 : i.lower)
      if binding == nil || i.upper < upper {
        binding = (g, f, a, b, cc)
      }
      upper = min(upper, i.upper)
    }
    guard let (g, f, a, b, cc) = binding else {
      return .notApplicable(
        id,
        "\(lone.joined(separator: ", ")) \(lone.count == 1 ? "is" : "are") the whole modelled book: a group's share is then 100% by definition",
        in: c)
    }
    let allowed = lower > upper ? QuantityInterval.upTo(0) : QuantityInterval(lower, upper)
    let share = risk.variance > 0 ? f.n0 / risk.variance : 0
    func note() -> String {
      var note = "group \(describe(g))"
      if groups.count > 1 { note += "; also in \(groups.filter { $0 != g }.map(\.id).joined(separator: ", "))" }
      if allowed.lower > 0 {
        note +=
          "; the group already carries \(fmt(share * 100))% of the risk: only trades of at least \(fmt(allowed.lower)) units bring it within"
      } else if allowed.upper <= 0 && cc > 0 {
        note += "; the group already carries \(fmt(share * 100))% of the risk and a \(t.side.rawValue) trade adds to it"
      }
      return note
    }
    return LimitEvaluation(
      id: id, allowed: allowed,
      formula:
        "largest q whose group share Σᵢ∈G yᵢ(Σy)ᵢ / yᵀΣy ≤ ρ: root of a·q² + 2b·q + c = 0, a = (1−ρ)Σₖₖu², b = s·u·((Σe_G)ₖ + (1−2ρ)(Σe)ₖ)/2, c = Σᵢ∈G eᵢ(Σe)ᵢ − ρ·eᵀΣe",
      inputs: [
        NamedValue("max group share ρ", rho, source: "\(c.profile.source), max_group_risk_share"),
        NamedValue("\(g.id) share before", share), NamedValue("(Σe_G)ₖ", f.seg), NamedValue("(Σe)ₖ", risk.sigmaE[k]),
        NamedValue("a", a), NamedValue("b", b), NamedValue("c", cc),
      ] + correlationInputs(g, t.symbol, c), note: note(), in: c)
  }

  /// The share of group `g` after a trade of q in `t` (nil: not applicable or no covariance).
  func share(_ g: InstrumentGroup, _ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> Double? {
    guard let risk = c.risk, let f = figures(g, t.symbol, risk), applies(f, risk) else { return nil }
    let d = t.sign * q * t.unitExposure
    let k = f.k
    let skk = risk.covariance[k, k]
    let total = risk.variance + 2 * d * risk.sigmaE[k] + d * d * skk
    guard total > 0 else { return nil }
    return (f.n0 + d * (f.seg + risk.sigmaE[k]) + d * d * skk) / total
  }

  public func reading(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading {
    let cap = c.profile.maxGroupRiskShare ?? .infinity
    var out = LimitReading(id: id, name: "group risk share", value: 0, cap: cap)
    for g in c.groups.groups(of: t.symbol) {
      guard let v = share(g, t, quantity: q, in: c) else { continue }
      if out.subject == nil || v > out.value {
        out = LimitReading(id: id, name: "group \(g.id) risk share", value: v, cap: cap, subject: g.id, members: g.members)
      }
    }
    return out
  }

  /// Each group's share of the book now (nil: not applicable).
  public func share(of g: InstrumentGroup, in c: LimitContext) -> Double? {
    guard let risk = c.risk, risk.variance > 0, let first = g.members.first, let f = figures(g, first, risk),
      applies(f, risk)
    else { return nil }
    return f.n0 / risk.variance
  }

  public func breaches(in c: LimitContext) -> [Breach] {
    guard let rho = c.profile.maxGroupRiskShare, rho < 1 else { return [] }
    return c.groups.groups.compactMap { g in
      guard let s = share(of: g, in: c) else { return nil }
      return s > rho * (1 + QuantityRoots.tolerance)
        ? Breach(limit: id, subject: g.id, value: s, cap: rho, unit: "share of variance") : nil
    }
  }
}

/// The account's initial margin after the trade, over equity, within max_margin_utilisation:
/// (margin in use − the instrument's margin now + |held + s·q| × its margin per unit) / equity.
/// Linear in the position, so it is an exposure cap on the position's margin: a trade that
/// reduces the position's margin is always allowed. Not applicable to an instrument without
/// margin terms (paid in full).
public struct MarginUtilisationLimit: TradeLimit, BookLimit {
  public var id: LimitID { .marginUtilisation }

  /// The margin of everything but the instrument's own holding.
  func others(_ t: CandidateTrade, _ c: LimitContext) -> Double {
    c.book.marginInUse - (c.book.line(t.symbol)?.margin ?? 0)
  }

  public func evaluate(_ t: CandidateTrade, in c: LimitContext) -> LimitEvaluation {
    guard let cap = c.profile.maxMarginUtilisation else {
      return .notApplicable(id, "the \(c.profile.name) profile sets no max_margin_utilisation", in: c)
    }
    guard let m = t.unitMargin, m > 0 else {
      return .notApplicable(
        id, "\(t.symbol) has no margin terms in instruments.yaml: it is paid in full and uses no margin", in: c)
    }
    let held = c.held(t)
    let other = others(t, c)
    let allowed = QuantityRoots.exposureCap(existing: held * m, side: t.sign, unit: m, room: cap * c.equity - other)
    return LimitEvaluation(
      id: id, allowed: allowed,
      formula: "(max margin utilisation × equity − margin of the other positions − existing margin) ÷ margin of one unit",
      inputs: [
        NamedValue("max margin utilisation", cap, "× equity", source: "\(c.profile.source), max_margin_utilisation"),
        NamedValue("cap", cap * c.equity, c.book.baseCurrency),
        NamedValue("margin in use before", c.book.marginInUse, c.book.baseCurrency),
        NamedValue("margin of one unit", m, c.book.baseCurrency),
      ] + (c.book.statedMargin.map { [NamedValue("stated by the broker", $0, c.book.baseCurrency)] } ?? []),
      note: allowed.upper > 0
        ? nil
        : "margin in use \(fmt(c.book.marginInUse)) \(c.book.baseCurrency) already uses the cap of \(fmt(cap * c.equity)) \(c.book.baseCurrency)",
      in: c)
  }

  public func reading(_ t: CandidateTrade, quantity q: Double, in c: LimitContext) -> LimitReading {
    let cap = c.profile.maxMarginUtilisation ?? .infinity
    guard let m = t.unitMargin else {
      return LimitReading(id: id, name: "margin utilisation", value: c.book.marginInUse / c.equity, cap: cap)
    }
    let after = others(t, c) + abs(c.held(t) + t.sign * q) * m
    return LimitReading(id: id, name: "margin utilisation", value: after / c.equity, cap: cap)
  }

  public func breaches(in c: LimitContext) -> [Breach] {
    guard let cap = c.profile.maxMarginUtilisation else { return [] }
    let m = c.book.marginInUse
    return m > cap * c.equity * (1 + QuantityRoots.tolerance)
      ? [Breach(limit: id, subject: nil, value: m / c.equity, cap: cap, unit: "initial margin / equity")] : []
  }
}
