/// The book over time, as the risk model reads it: the equity history a journal kept, the
/// trading states set by hand, the drawdown-scaled equity base (the Turtle rule) and the
/// trading state the circuit breakers give (ACTIVE, REDUCING, HALTED). Pure: the journal
/// (files, clock) is outside RiskCore and feeds these types.

/// One equity snapshot: the equity of a valuation at its as-of date, in journal order.
public struct EquityPoint: Sendable, Hashable {
  public let day: Day
  public let equity: Double
  /// Journal order (a row id): ties on one day are taken in this order.
  public let sequence: Int64

  public init(day: Day, equity: Double, sequence: Int64) {
    self.day = day
    self.equity = equity
    self.sequence = sequence
  }
}

/// The trading state of an account, least to most severe.
public enum TradingState: String, Sendable, Hashable, CaseIterable, Comparable {
  /// Every order is judged by the limits.
  case active
  /// Only orders that reduce a position pass (`TRADING_STATE_REDUCING`).
  case reducing
  /// Every new order fails (`TRADING_STATE_HALTED`).
  case halted

  var rank: Int {
    switch self {
    case .active: return 0
    case .reducing: return 1
    case .halted: return 2
    }
  }
  public static func < (a: TradingState, b: TradingState) -> Bool { a.rank < b.rank }
  /// ACTIVE, REDUCING, HALTED.
  public var label: String { rawValue.uppercased() }
}

/// A trading state set by hand (`advisor state set`), with who, when and why.
public struct ManualStateEvent: Sendable, Hashable {
  public let state: TradingState
  public let reason: String
  public let actor: String
  /// Wall-clock time it was set (UTC, ISO 8601), as recorded.
  public let at: String
  /// The as-of date of the run that set it: an `active` re-arms the breakers from this day on.
  public let day: Day
  public let sequence: Int64

  public init(state: TradingState, reason: String, actor: String, at: String, day: Day, sequence: Int64) {
    self.state = state
    self.reason = reason
    self.actor = actor
    self.at = at
    self.day = day
    self.sequence = sequence
  }
}

/// What the journal knows about an account: its equity history and the states set by hand.
public struct AccountRecord: Sendable, Hashable {
  public enum Source: Sendable, Hashable {
    /// No journal is configured: no history, no state.
    case none
    /// Read from the journal at this path.
    case journal(String)
    /// A journal is configured but could not be read (or cannot be written): orders fail closed.
    case unavailable(path: String, reason: String)
  }

  public var source: Source
  /// Earlier equity snapshots of the account, in any order (the readers sort).
  public var equity: [EquityPoint]
  /// Every state set by hand, in journal order (the last is the one in force).
  public var manual: [ManualStateEvent]

  public init(source: Source, equity: [EquityPoint] = [], manual: [ManualStateEvent] = []) {
    self.source = source
    self.equity = equity
    self.manual = manual
  }

  public static let none = AccountRecord(source: .none)

  public var journalPath: String? {
    switch source {
    case .none: return nil
    case .journal(let p): return p
    case .unavailable(let p, _): return p
    }
  }

  public var unavailableReason: String? {
    if case .unavailable(_, let r) = source { return r }
    return nil
  }
}

extension AccountRecord {
  /// Whether every reading of this record is that of `other`: the drawdown, the equity base
  /// and the trading state under any breakers, at any equity and as-of date. True when the two
  /// differ only in the journal order numbers of their snapshots, with the same values in the
  /// same order among themselves and the states set by hand (what a check's own snapshot of an
  /// unchanged equity does to today's row). The readers use the values, the days and that
  /// order, never the numbers themselves (a state set by hand keeps its number: compared too).
  public func readsTheSame(as other: AccountRecord) -> Bool {
    guard source == other.source, manual == other.manual, equity.count == other.equity.count else { return false }
    if self == other { return true }
    enum Step: Equatable {
      case point(Day, UInt64)
      case byHand(Int)
    }
    func steps(_ r: AccountRecord) -> [Step] {
      var keyed: [(Day, Int64, Step)] = r.equity.map { ($0.day, $0.sequence, .point($0.day, $0.equity.bitPattern)) }
      for (i, m) in r.manual.enumerated() { keyed.append((m.day, m.sequence, .byHand(i))) }
      keyed.sort { ($0.0, $0.1) < ($1.0, $1.1) }
      return keyed.map(\.2)
    }
    return steps(self) == steps(other)
  }
}

// MARK: - Drawdown and the equity base

/// The drawdown of the current equity from the high-water mark of the history (with the
/// current equity in it) on or before the as-of date.
public struct DrawdownReading: Sendable, Hashable {
  public let highWaterMark: Double
  public let highWaterDay: Day
  public let equity: Double
  /// 1 − equity / high-water mark, at least 0.
  public let drawdown: Double
  /// Earlier snapshots the reading used (0: none yet).
  public let points: Int

  /// nil when no journal is configured (no history at all).
  public static func reading(_ record: AccountRecord, equity: Double, asOf: Day) -> DrawdownReading? {
    if case .none = record.source { return nil }
    var hwm = equity
    var hwmDay = asOf
    var n = 0
    for p in record.equity where p.day <= asOf && p.equity.isFinite {
      n += 1
      if p.equity > hwm || (p.equity == hwm && p.day < hwmDay) {
        hwm = p.equity
        hwmDay = p.day
      }
    }
    let dd = hwm > 0 && equity.isFinite ? max(0, 1 - equity / hwm) : 0
    return DrawdownReading(highWaterMark: hwm, highWaterDay: hwmDay, equity: equity, drawdown: dd, points: n)
  }
}

/// A profile's drawdown scaling (`drawdown_scaling: {step, cut}`): for each full `step` of
/// drawdown from the high-water mark, the equity base of every limit is cut by `cut`.
public struct DrawdownScaling: Sendable, Hashable {
  public var step: Double
  public var cut: Double
  public init(step: Double, cut: Double) {
    self.step = step
    self.cut = cut
  }

  /// Full steps in a drawdown (a drawdown of exactly one step is one).
  public func steps(_ drawdown: Double) -> Int {
    guard step > 0, drawdown.isFinite, drawdown > 0 else { return 0 }
    return Int((drawdown / step * (1 + 1e-12)).rounded(.down))
  }

  /// (1 − cut)^steps.
  public func factor(steps k: Int) -> Double {
    var f = 1.0
    for _ in 0..<max(0, k) { f *= 1 - cut }
    return f
  }
}

/// The equity every limit is a fraction of: the valuation's equity, cut under the profile's
/// drawdown scaling by (1 − cut) for each full step of drawdown from the high-water mark.
/// The valuation's equity itself is never changed; the limits read this base. Cheap to make
/// (every limit reading makes one): its sentence is written only when asked for.
public struct EquityBase: Sendable, Hashable {
  /// The base the limits read.
  public let value: Double
  /// The valuation's equity (net liquidation value).
  public let equity: Double
  public let scaling: DrawdownScaling?
  public let drawdown: DrawdownReading?
  /// Full steps of drawdown (0: no cut).
  public let steps: Int
  /// (1 − cut)^steps.
  public let factor: Double
  /// The profile whose scaling applies (its name and file).
  public let profileName: String
  public let profileSource: String

  public var isScaled: Bool { steps > 0 }
  public var formula: String { isScaled ? "equity × (1 − cut)^steps" : "equity" }

  /// Where the base comes from, in one sentence.
  public var source: String {
    guard let s = scaling else { return "equity: the \(profileName) profile sets no drawdown_scaling" }
    // No journal, or no earlier snapshot of the account: one sentence for both, so that a
    // first journaled run prints what an unjournaled one does.
    guard let d = drawdown, d.points > 0 else {
      return "equity (no equity history yet: drawdown scaling needs earlier snapshots)"
    }
    let dd = "drawdown \(fmt(d.drawdown * 100))% from the high-water mark \(fmt(d.highWaterMark)) (\(d.highWaterDay))"
    if steps == 0 { return "equity: \(dd) is less than one step of \(fmt(s.step * 100))%" }
    return
      "equity × (1 − \(fmt(s.cut)))^\(steps): \(dd) is \(steps) full step\(steps == 1 ? "" : "s") of \(fmt(s.step * 100))%"
  }

  public static func of(equity: Double, drawdown: DrawdownReading?, profile: RegimeProfile) -> EquityBase {
    var k = 0
    var f = 1.0
    if let s = profile.drawdownScaling, let d = drawdown, d.points > 0 {
      k = s.steps(d.drawdown)
      f = s.factor(steps: k)
    }
    return EquityBase(
      value: k > 0 ? equity * f : equity, equity: equity, scaling: profile.drawdownScaling, drawdown: drawdown, steps: k,
      factor: f, profileName: profile.name, profileSource: profile.source)
  }

  /// The base of a book under a profile.
  public static func of(_ book: Book, profile: RegimeProfile) -> EquityBase {
    of(equity: book.equity, drawdown: book.drawdown, profile: profile)
  }
}

// MARK: - Circuit breakers and the trading state

/// One circuit breaker of a profile: a reading (drawdown or daily loss, fractions) at or
/// above `reducing` moves the account to REDUCING, at or above `halted` to HALTED, for at
/// least `cooldownDays` calendar days of as-of dates.
public struct Breaker: Sendable, Hashable {
  public var reducing: Double?
  public var halted: Double?
  public var cooldownDays: Int
  public init(reducing: Double? = nil, halted: Double? = nil, cooldownDays: Int = 1) {
    self.reducing = reducing
    self.halted = halted
    self.cooldownDays = cooldownDays
  }

  /// The state a reading calls for.
  public func level(_ reading: Double) -> TradingState {
    let eps = 1e-12
    if let h = halted, reading >= h - eps { return .halted }
    if let r = reducing, reading >= r - eps { return .reducing }
    return .active
  }

  public func threshold(_ s: TradingState) -> Double? {
    switch s {
    case .halted: return halted
    case .reducing: return reducing
    case .active: return nil
    }
  }
}

/// A profile's circuit breakers (`breakers:` `max_drawdown`, `max_daily_loss`).
public struct Breakers: Sendable, Hashable {
  /// Drawdown from the breakers' peak (the high-water mark since they were last armed).
  public var maxDrawdown: Breaker?
  /// Loss from the previous snapshot day's last equity.
  public var maxDailyLoss: Breaker?
  public init(maxDrawdown: Breaker? = nil, maxDailyLoss: Breaker? = nil) {
    self.maxDrawdown = maxDrawdown
    self.maxDailyLoss = maxDailyLoss
  }
  public var isEmpty: Bool { maxDrawdown == nil && maxDailyLoss == nil }
}

/// The trading state at an as-of date, and why.
public struct TradingStateReading: Sendable, Hashable {
  /// One change of the breakers' state while replaying the history.
  public struct Transition: Sendable, Hashable {
    public let day: Day
    public let from: TradingState
    public let to: TradingState
    public let why: String
  }

  /// The fields, held in one immutable object: each order of a batch reads the reading of its
  /// profile and its context holds one, and a copy of fifteen fields retained and released
  /// each of its strings and arrays (issue 16, eleventh pass).
  private let box: Frozen<Fields>

  struct Fields: Sendable, Hashable {
    let state: TradingState
    let breakerState: TradingState
    let breaker: String?
    let reading: Double?
    let threshold: Double?
    let since: Day?
    let until: Day?
    let manual: ManualStateEvent?
    let byHand: Bool
    let unavailable: String?
    let journalPath: String?
    let asOf: Day
    let drawdown: DrawdownReading?
    let dailyLoss: Double?
    let transitions: [Transition]
  }

  init(
    state: TradingState, breakerState: TradingState, breaker: String?, reading: Double?, threshold: Double?, since: Day?,
    until: Day?, manual: ManualStateEvent?, byHand: Bool, unavailable: String?, journalPath: String?, asOf: Day,
    drawdown: DrawdownReading?, dailyLoss: Double?, transitions: [Transition]
  ) {
    box = Frozen(
      Fields(
        state: state, breakerState: breakerState, breaker: breaker, reading: reading, threshold: threshold, since: since,
        until: until, manual: manual, byHand: byHand, unavailable: unavailable, journalPath: journalPath, asOf: asOf,
        drawdown: drawdown, dailyLoss: dailyLoss, transitions: transitions))
  }

  public static func == (a: TradingStateReading, b: TradingStateReading) -> Bool {
    Frozen.same(a.box, b.box)
  }
  public func hash(into h: inout Hasher) { box.value.hash(into: &h) }

  public var state: TradingState { box.value.state }
  /// The breakers' state alone (without a state set by hand).
  public var breakerState: TradingState { box.value.breakerState }
  /// The breaker that set the breakers' state (`max_drawdown`, `max_daily_loss`), if any.
  public var breaker: String? { box.value.breaker }
  public var reading: Double? { box.value.reading }
  public var threshold: Double? { box.value.threshold }
  /// The day the breakers' state was last set or renewed, and the first as-of date it lifts.
  public var since: Day? { box.value.since }
  public var until: Day? { box.value.until }
  /// The latest state set by hand (nil: none).
  public var manual: ManualStateEvent? { box.value.manual }
  /// True when the state in force is the one set by hand.
  public var byHand: Bool { box.value.byHand }
  /// The journal is configured but unavailable: every order fails closed.
  public var unavailable: String? { box.value.unavailable }
  public var journalPath: String? { box.value.journalPath }
  public var asOf: Day { box.value.asOf }
  public var drawdown: DrawdownReading? { box.value.drawdown }
  public var dailyLoss: Double? { box.value.dailyLoss }
  /// The breakers' changes, in order.
  public var transitions: [Transition] { box.value.transitions }

  /// One sentence: the state and why.
  public var reason: String {
    if let u = unavailable { return "the journal \(journalPath ?? "") is unavailable (\(u)): every order fails closed" }
    if byHand, let m = manual {
      return "set to \(m.state.label) by hand by \(m.actor) at \(m.at): \(m.reason)"
    }
    if state == .active {
      if journalPath == nil { return "no journal: no history, so no breaker can trip" }
      return "no breaker is tripped"
    }
    let name = breaker ?? "a breaker"
    return
      "\(name) \(fmt((reading ?? 0) * 100))% reached the \(state.rawValue) threshold \(fmt((threshold ?? 0) * 100))% on \(since.map(\.description) ?? "?"); it lifts on \(until.map(\.description) ?? "?") (cooldown)"
  }

  /// Whether the state lets an order through: reduce-only orders pass REDUCING.
  public func allows(reducesOnly: Bool) -> Bool {
    unavailable == nil && (state == .active || (state == .reducing && reducesOnly))
  }
}

/// The breakers' state machine, replayed over the equity history (pure).
///
/// - Each snapshot on or before the as-of date is taken in order of (day, journal order),
///   the current valuation last (as a snapshot at the as-of date).
/// - Drawdown = 1 − equity / peak, the peak being the highest equity since the breakers were
///   last armed; daily loss = 1 − equity / the previous snapshot day's last equity.
/// - A reading at or above a threshold raises the state (never lowers it) and starts the
///   breaker's cooldown; a new low while tripped restarts it. On the first as-of date at or
///   after trip day + cooldown the state lifts to ACTIVE and the breakers re-arm: the peak
///   becomes the last equity (as LEAN's maximum-drawdown model resets its high-water mark),
///   so the same drawdown does not trip again, while the drawdown scaling, measured from the
///   true high-water mark, keeps the base cut.
/// - A state set by hand to HALTED or REDUCING holds, whatever the as-of date, until set again
///   by hand (the more severe of it and the breakers' state is in force); a state set to
///   ACTIVE clears it and re-arms the breakers on its as-of date.
public enum TradingStateMachine {
  enum Event {
    case valuation(EquityPoint)
    case release(ManualStateEvent)
    var day: Day {
      switch self {
      case .valuation(let p): return p.day
      case .release(let m): return m.day
      }
    }
    var sequence: Int64 {
      switch self {
      case .valuation(let p): return p.sequence
      case .release(let m): return m.sequence
      }
    }
  }

  public static func evaluate(
    _ record: AccountRecord, breakers: Breakers, asOf: Day, currentEquity: Double?
  ) -> TradingStateReading {
    var events: [Event] = record.equity.filter { $0.day <= asOf }.map { .valuation($0) }
    // Without a journal there is no history: no breaker can trip.
    let journaled: Bool
    if case .none = record.source { journaled = false } else { journaled = true }
    if journaled, let e = currentEquity { events.append(.valuation(EquityPoint(day: asOf, equity: e, sequence: .max))) }
    for m in record.manual where m.state == .active && m.day <= asOf { events.append(.release(m)) }
    events.sort { ($0.day, $0.sequence) < ($1.day, $1.sequence) }

    var state = TradingState.active
    var breaker: String? = nil
    var reading: Double? = nil
    var threshold: Double? = nil
    var tripDay: Day? = nil
    var cooldown = 0
    var trough = Double.infinity
    var peak: Double? = nil
    var lastEquity: Double? = nil
    var previousClose: Double? = nil
    var currentDay: Day? = nil
    var transitions: [TradingStateReading.Transition] = []
    var lastDrawdown: DrawdownReading? = nil
    var lastDailyLoss: Double? = nil

    func release(_ day: Day, _ why: String) {
      if state != .active { transitions.append(.init(day: day, from: state, to: .active, why: why)) }
      state = .active
      breaker = nil
      reading = nil
      threshold = nil
      tripDay = nil
      trough = .infinity
      peak = lastEquity
    }
    func cooldownOver(_ day: Day) -> Bool {
      guard state != .active, let t = tripDay else { return false }
      return day.ordinal >= t.ordinal + cooldown
    }

    for event in events {
      if event.day != currentDay {
        if currentDay != nil { previousClose = lastEquity }
        currentDay = event.day
        if cooldownOver(event.day), let t = tripDay {
          release(event.day, "the cooldown of \(cooldown) day\(cooldown == 1 ? "" : "s") since \(t) ended; breakers re-armed")
        }
      }
      switch event {
      case .release(let m):
        release(m.day, "set to ACTIVE by hand by \(m.actor): \(m.reason); breakers re-armed")
      case .valuation(let p):
        let e = p.equity
        guard e.isFinite else { continue }
        peak = max(peak ?? e, e)
        let pk = peak ?? e
        // A drawdown needs a positive peak (an account that never had positive equity has none).
        let dd = pk > 0 ? max(0, 1 - e / pk) : 0
        let dl: Double? = previousClose.map { c in c > 0 ? max(0, 1 - e / c) : 0 }
        lastDailyLoss = dl
        lastDrawdown = DrawdownReading(highWaterMark: pk, highWaterDay: p.day, equity: e, drawdown: dd, points: 0)
        var level = TradingState.active
        var which: (String, Double, Breaker)? = nil
        if let b = breakers.maxDrawdown {
          let l = b.level(dd)
          if l > level {
            level = l
            which = ("max_drawdown", dd, b)
          }
        }
        if let b = breakers.maxDailyLoss, let dl {
          let l = b.level(dl)
          if l > level {
            level = l
            which = ("max_daily_loss", dl, b)
          }
        }
        if level > state, let (name, r, b) = which {
          transitions.append(
            .init(
              day: p.day, from: state, to: level,
              why: "\(name) \(fmt(r * 100))% reached the \(level.rawValue) threshold \(fmt((b.threshold(level) ?? 0) * 100))%"
            ))
          state = level
          breaker = name
          reading = r
          threshold = b.threshold(level)
          tripDay = p.day
          cooldown = b.cooldownDays
          trough = e
        } else if level != .active, level >= state, e < trough, let (_, r, b) = which {
          // A new low while tripped: the cooldown starts again.
          tripDay = p.day
          trough = e
          reading = r
          cooldown = max(cooldown, b.cooldownDays)
        }
        lastEquity = e
      }
    }
    if cooldownOver(asOf), let t = tripDay {
      release(asOf, "the cooldown of \(cooldown) day\(cooldown == 1 ? "" : "s") since \(t) ended; breakers re-armed")
    }

    // The latest state set by hand: the last in journal order (the list is in that order).
    let manual = record.manual.last
    var effective = state
    var byHand = false
    if let m = manual, m.state != .active, m.state >= state {
      effective = m.state
      byHand = true
    }
    let until = tripDay.map { Day(ordinal: $0.ordinal + cooldown) }
    return TradingStateReading(
      state: effective, breakerState: state, breaker: breaker, reading: reading, threshold: threshold, since: tripDay,
      until: until, manual: manual, byHand: byHand, unavailable: record.unavailableReason, journalPath: record.journalPath,
      asOf: asOf, drawdown: lastDrawdown, dailyLoss: lastDailyLoss, transitions: transitions)
  }
}

/// The trading state as a pre-trade rule: HALTED fails every order, REDUCING every order
/// that does not only reduce a position, and a configured journal that cannot be read or
/// written fails every order (`JOURNAL_UNAVAILABLE`). ACTIVE adds no finding.
public struct TradingStateRule: PreTradeRule {
  public var codes: Set<FindingCode> { [.tradingStateReducing, .tradingStateHalted, .journalUnavailable] }
  public func stops(_ c: OrderContext, after findings: ArraySlice<Finding>) -> Bool {
    findings.contains { $0.severity == .fail && $0.code != .tradingStateReducing }
  }
  public init() {}

  public func check(_ c: OrderContext, into out: inout [Finding]) {
    guard let s = c.tradingState else { return }
    if let u = s.unavailable {
      let why = u.hasSuffix(".") ? String(u.dropLast()) : u
      out.append(
        Finding(
          .journalUnavailable, .fail,
          "the journal \(s.journalPath ?? "") \(why): the order can be neither recorded nor judged by its trading state, so it fails closed.",
          [(.file, .text(s.journalPath ?? ""))]))
      return
    }
    // The context is built only for a finding (most orders meet an active account).
    switch s.state {
    case .active:
      return
    case .halted:
      out.append(Finding(.tradingStateHalted, .fail, "trading is HALTED: \(s.reason); every new order fails.", Self.context(s)))
    case .reducing where c.reducesOnly:
      out.append(
        Finding(
          .tradingStateReducing, .pass, "trading is REDUCING: \(s.reason); the order only reduces a position, so it may pass.",
          Self.context(s)))
    case .reducing:
      out.append(
        Finding(
          .tradingStateReducing, .fail, "trading is REDUCING: \(s.reason); only orders that reduce a position pass.",
          Self.context(s)))
    }
  }

  static func context(_ s: TradingStateReading) -> [(key: ContextKey, value: ContextValue)] {
    var out: [(key: ContextKey, value: ContextValue)] = [(.state, .text(s.state.rawValue))]
    if s.byHand, let m = s.manual {
      out += [(.source, .text("manual")), (.actor, .text(m.actor)), (.at, .text(m.at))]
    } else {
      out.append((.source, .text(s.breaker ?? "breaker")))
      if let r = s.reading { out.append((.value, .number(r))) }
      if let t = s.threshold { out.append((.limit, .number(t))) }
      if let d = s.since { out.append((.since, .text(d.description))) }
      if let d = s.until { out.append((.until, .text(d.description))) }
    }
    return out
  }
}
