import Testing

@testable import RiskCore

/// The book over time: drawdown scaling (the Turtle rule) and the trading state machine,
/// replayed over dated valuations as the journal feeds them.
@Suite("Risk state: drawdown-scaled base and circuit breakers")
struct RiskStateTests {
  static let start = Day(iso: "2024-03-01") ?? Day(ordinal: 0)
  static func day(_ i: Int) -> Day { Day(ordinal: start.ordinal + i) }

  static func profile() -> RegimeProfile {
    var p = RegimeProfile(
      name: "normal", source: "profiles/normal.yaml", riskPerTrade: 0.01, maxPositionNotional: 0.2, maxGrossLeverage: 2)
    p.drawdownScaling = DrawdownScaling(step: 0.10, cut: 0.20)
    p.breakers = Breakers(
      maxDrawdown: Breaker(reducing: 0.10, halted: 0.20, cooldownDays: 5),
      maxDailyLoss: Breaker(reducing: 0.08, halted: 0.12, cooldownDays: 1))
    return p
  }

  /// A 25% drawdown and a partial recovery, one valuation a day.
  static let path: [Double] = [
    1_000_000, 1_020_000, 985_000, 940_000, 910_000, 870_000, 830_000, 800_000, 765_000, 765_000, 770_000, 772_000, 775_000,
    780_000, 790_000,
  ]

  /// (day index, state, base) for each day, replaying the journal as it grows day by day.
  static func replay() -> [(Int, TradingStateReading, EquityBase)] {
    let p = profile()
    var record = AccountRecord(source: .journal("journal.sqlite"))
    var out: [(Int, TradingStateReading, EquityBase)] = []
    for (i, e) in path.enumerated() {
      let asOf = day(i)
      let state = TradingStateMachine.evaluate(record, breakers: p.breakers, asOf: asOf, currentEquity: e)
      let base = EquityBase.of(
        equity: e, drawdown: DrawdownReading.reading(record, equity: e, asOf: asOf), profile: p)
      out.append((i, state, base))
      record.equity.append(EquityPoint(day: asOf, equity: e, sequence: Int64(i + 1)))
    }
    return out
  }

  @Test("a 25% drawdown: the base shrinks by 20% a step, the state goes ACTIVE → REDUCING → HALTED → ACTIVE after the cooldown")
  func replayedDrawdown() {
    let days = Self.replay()
    let states = days.map(\.1.state)
    // Day 0 has no history: the base is the equity and says so.
    #expect(days[0].2.value == 1_000_000)
    #expect(days[0].2.source.contains("no equity history"))
    // The high-water mark is day 1 (1,020,000).
    #expect(states[0] == .active && states[1] == .active && states[2] == .active)
    // Day 4: 910,000 is 10.8% below 1,020,000: one step, base = 910,000 × 0.8; REDUCING.
    #expect(days[4].2.steps == 1)
    #expect(abs(days[4].2.value - 910_000 * 0.8) < 1e-6)
    #expect(states[4] == .reducing)
    #expect(days[4].1.breaker == "max_drawdown")
    #expect(states[5] == .reducing)
    // Day 6: 830,000 is 18.6% down (one step); day 7: 800,000 is 21.6% down: two steps, HALTED.
    #expect(days[6].2.steps == 1)
    #expect(days[7].2.steps == 2)
    #expect(abs(days[7].2.value - 800_000 * 0.64) < 1e-6)
    #expect(states[7] == .halted)
    // Day 8: 765,000, 25% down, a new low: still HALTED, and the cooldown restarts.
    #expect(abs((days[8].2.drawdown?.drawdown ?? 0) - 0.25) < 1e-12)
    #expect(states[8] == .halted)
    #expect(days[8].1.since == Self.day(8))
    #expect(days[8].1.until == Self.day(13))
    // Days 9–12 stay HALTED (cooldown of 5 days from day 8).
    for i in 9...12 { #expect(states[i] == .halted, "day \(i)") }
    // Day 13: the cooldown is over: ACTIVE, breakers re-armed at the last equity (the same 24% drawdown does not trip again).
    #expect(states[13] == .active)
    #expect(states[14] == .active)
    // The base stays cut while the drawdown from the true high-water mark lasts (2 steps at 23.5%).
    #expect(days[13].2.steps == 2)
    #expect(abs(days[13].2.value - 780_000 * 0.64) < 1e-6)
    // The transitions the machine reports, in order.
    let path = days[13].1.transitions.map { "\($0.from.label)→\($0.to.label)" }
    #expect(path == ["ACTIVE→REDUCING", "REDUCING→HALTED", "HALTED→ACTIVE"])
    // The sequence of distinct states is the one the issue asks for.
    var distinct: [TradingState] = []
    for s in states where distinct.last != s { distinct.append(s) }
    #expect(distinct == [.active, .reducing, .halted, .active])
  }

  @Test("without a journal the base is the equity and says so; without scaling it says that")
  func noHistory() {
    let p = Self.profile()
    let none = EquityBase.of(equity: 100, drawdown: DrawdownReading.reading(.none, equity: 100, asOf: Self.day(0)), profile: p)
    #expect(none.value == 100 && none.steps == 0)
    #expect(none.source.contains("no equity history"))
    var q = p
    q.drawdownScaling = nil
    let plain = EquityBase.of(equity: 100, drawdown: nil, profile: q)
    #expect(plain.value == 100 && plain.source.contains("no drawdown_scaling"))
    let s = TradingStateMachine.evaluate(.none, breakers: p.breakers, asOf: Self.day(0), currentEquity: 100)
    #expect(s.state == .active && s.transitions.isEmpty)
  }

  @Test("a daily loss trips the daily-loss breaker; an exact step counts as a full step")
  func dailyLossAndExactStep() {
    let p = Self.profile()
    var r = AccountRecord(source: .journal("j"))
    r.equity = [EquityPoint(day: Self.day(0), equity: 100, sequence: 1)]
    let s = TradingStateMachine.evaluate(r, breakers: p.breakers, asOf: Self.day(1), currentEquity: 87)
    // 13% in a day: above the daily halt (12%) and the drawdown halt is not reached (13% < 20%).
    #expect(s.state == .halted)
    #expect(s.breaker == "max_daily_loss")
    #expect(s.until == Self.day(2))
    // A day later (the cooldown is 1 day) the breakers re-arm at the last equity: only new losses count.
    var next = r
    next.equity.append(EquityPoint(day: Self.day(1), equity: 87, sequence: 2))
    let later = TradingStateMachine.evaluate(next, breakers: p.breakers, asOf: Self.day(2), currentEquity: 87)
    #expect(later.state == .active)
    #expect(later.transitions.map(\.to) == [.halted, .active])
    let exact = EquityBase.of(equity: 90, drawdown: DrawdownReading.reading(r, equity: 90, asOf: Self.day(1)), profile: p)
    #expect(exact.steps == 1)
    #expect(abs(exact.value - 72) < 1e-9)
  }

  @Test("a state set by hand holds whatever the as-of date; ACTIVE by hand lifts a tripped breaker and re-arms it")
  func manualStates() {
    var p = Self.profile()
    p.breakers.maxDailyLoss = nil
    var r = AccountRecord(source: .journal("j"))
    r.equity = [EquityPoint(day: Self.day(0), equity: 100, sequence: 1), EquityPoint(day: Self.day(1), equity: 85, sequence: 2)]
    r.manual = [
      ManualStateEvent(
        state: .halted, reason: "broker outage", actor: "ops", at: "2024-03-10T09:00:00Z", day: Self.day(9), sequence: 3)
    ]
    // A halt set later still applies to a run dated before it.
    let early = TradingStateMachine.evaluate(r, breakers: Breakers(), asOf: Self.day(0), currentEquity: 100)
    #expect(early.state == .halted && early.byHand)
    #expect(early.reason.contains("broker outage"))
    // The drawdown breaker (15% ≥ 10%) has the account REDUCING at day 1.
    r.manual = []
    let tripped = TradingStateMachine.evaluate(r, breakers: p.breakers, asOf: Self.day(2), currentEquity: 85)
    #expect(tripped.state == .reducing)
    // ACTIVE by hand on day 2 lifts it before the cooldown, and the same drawdown does not trip again.
    r.manual = [
      ManualStateEvent(
        state: .active, reason: "reviewed", actor: "risk", at: "2024-03-03T09:00:00Z", day: Self.day(2), sequence: 4)
    ]
    let lifted = TradingStateMachine.evaluate(r, breakers: p.breakers, asOf: Self.day(2), currentEquity: 85)
    #expect(lifted.state == .active)
    #expect(lifted.transitions.last?.why.contains("by hand") == true)
  }

  @Test("the rule: HALTED fails every order, REDUCING only those that add, an unavailable journal every order")
  func rule() {
    func reading(_ s: TradingState, unavailable: String? = nil) -> TradingStateReading {
      TradingStateReading(
        state: s, breakerState: s, breaker: "max_drawdown", reading: 0.2, threshold: 0.2, since: Self.day(0),
        until: Self.day(5), manual: nil, byHand: false, unavailable: unavailable, journalPath: "j.sqlite", asOf: Self.day(1),
        drawdown: nil, dailyLoss: nil, transitions: [])
    }
    #expect(reading(.halted).allows(reducesOnly: true) == false)
    #expect(reading(.reducing).allows(reducesOnly: true))
    #expect(reading(.reducing).allows(reducesOnly: false) == false)
    #expect(reading(.active, unavailable: "disk full").allows(reducesOnly: true) == false)
    #expect(reading(.active).allows(reducesOnly: false))
  }

  /// A record as the journal gives it: one row a day (high, low, last at the day's last
  /// snapshot id × 4), and a state set by hand after the snapshot `after`.
  static func journaled(lastID: Int64, manualAfter: Int64? = nil, today: Double = 990_000) -> AccountRecord {
    var r = AccountRecord(source: .journal("journal.sqlite"))
    r.equity = [
      EquityPoint(day: day(0), equity: 1_000_000, sequence: 1 * 4), EquityPoint(day: day(1), equity: today, sequence: lastID * 4),
    ]
    if let after = manualAfter {
      r.manual = [
        ManualStateEvent(
          state: .active, reason: "resume", actor: "ops", at: "2024-03-02T10:00:00Z", day: day(1), sequence: after * 4 + 3)
      ]
    }
    return r
  }

  @Test("readsTheSame: a renumbered snapshot reads the same; another equity, day, order or state does not")
  func readsTheSame() {
    let a = Self.journaled(lastID: 2)
    #expect(a.readsTheSame(as: a))
    // A check's own snapshot of the same equity: today's row has a later id, nothing else moves.
    #expect(Self.journaled(lastID: 9).readsTheSame(as: a))
    #expect(!Self.journaled(lastID: 9, today: 980_000).readsTheSame(as: a))
    #expect(!AccountRecord(source: .journal("other.sqlite")).readsTheSame(as: AccountRecord(source: .journal("journal.sqlite"))))
    var moreDays = a
    moreDays.equity.append(EquityPoint(day: Self.day(2), equity: 990_000, sequence: 40))
    #expect(!moreDays.readsTheSame(as: a))
    // A state set by hand after snapshot 5: today's row before it (id 4) and after it (id 6)
    // replay in another order, so they do not read the same; two ids on one side of it do.
    let before = Self.journaled(lastID: 4, manualAfter: 5)
    let after = Self.journaled(lastID: 6, manualAfter: 5)
    #expect(!after.readsTheSame(as: before))
    #expect(Self.journaled(lastID: 7, manualAfter: 5).readsTheSame(as: after))
    #expect(!Self.journaled(lastID: 7, manualAfter: 6).readsTheSame(as: after))
    // And every reading of the ones that read the same is the same.
    let p = Self.profile()
    for (x, y) in [(Self.journaled(lastID: 9), a), (Self.journaled(lastID: 7, manualAfter: 5), after)] {
      for (asOf, e) in [(Self.day(1), 990_000.0), (Self.day(1), 700_000), (Self.day(3), 1_100_000)] {
        #expect(
          TradingStateMachine.evaluate(x, breakers: p.breakers, asOf: asOf, currentEquity: e)
            == TradingStateMachine.evaluate(y, breakers: p.breakers, asOf: asOf, currentEquity: e))
        #expect(DrawdownReading.reading(x, equity: e, asOf: asOf) == DrawdownReading.reading(y, equity: e, asOf: asOf))
      }
    }
  }
}
