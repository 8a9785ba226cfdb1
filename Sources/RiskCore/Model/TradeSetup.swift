/// How a trade's prices become the model's units: the one place for the stop rule,
/// the unit exposure and the loss per unit, shared by `size` and `check`.
public enum TradeSetup {
  /// The stop the profile's rule places: entry ∓ k·ATR, or entry ∓ k·σ_daily·√days·entry.
  /// - Throws: ``SizingError/noATR(symbol:)`` for an ATR rule on close-only data.
  public static func ruleStop(profile: RegimeProfile, side: TradeSide, entry: Double, stats: InstrumentStats) throws(SizingError)
    -> (stop: Double, source: String)
  {
    let s = side.sign
    let (d, text) = try ruleDistance(profile: profile, entry: entry, stats: stats)
    return (entry - s * d, "\(profile.name) rule: entry \(s > 0 ? "−" : "+") \(text)")
  }

  /// The rule's distance from the entry, in price, and how it reads.
  ///
  /// An ATR rule on close-only data (a wide panel, an index: no high or low) falls back to
  /// the same multiple of the daily σ in price, `k × σ_daily × entry`, and says so.
  public static func ruleDistance(profile: RegimeProfile, entry: Double, stats: InstrumentStats) throws(SizingError) -> (
    distance: Double, text: String
  ) {
    switch profile.stopRule {
    case .atr(let k, let n):
      guard let atr = stats.atr else {
        return (
          k * stats.dailyVolatility * entry,
          "\(fmt(k)) × σ_daily × entry (ATR(\(n)) needs high and low; \(stats.symbol) has closes only)"
        )
      }
      return (k * atr.value, "\(fmt(k)) × ATR(\(n)) \(fmt(atr.value))")
    case .sigma(let k, let days):
      return (k * stats.dailyVolatility * entry * Double(days).squareRoot(), "\(fmt(k)) × σ_daily × √\(days) × entry")
    }
  }

  /// The base-currency loss of one unit at the stop: |entry − stop| × multiplier × FX,
  /// at most the whole entry value (entry × multiplier × FX) for a long in an instrument
  /// that cannot trade below zero, whose price cannot fall further than to 0.
  public static func riskPerUnit(entry: Double, stop: Double, side: TradeSide, spec: InstrumentSpec, fx: Double) -> Double {
    var distance = abs(entry - stop)
    if side == .long && !spec.allowsNegativePrices { distance = min(distance, entry) }
    return distance * spec.multiplier * fx
  }

  public static func candidate(
    spec: InstrumentSpec, stats: InstrumentStats, side: TradeSide, entry: Double, stop: Double, fx: Double
  ) -> CandidateTrade {
    CandidateTrade(
      symbol: spec.symbol, assetClass: spec.assetClass, side: side, entry: entry, stop: stop,
      unitExposure: entry * spec.multiplier * fx,
      riskPerUnit: riskPerUnit(entry: entry, stop: stop, side: side, spec: spec, fx: fx),
      lotSize: spec.lotSize, averageDailyVolume: stats.averageDailyVolume, advDays: stats.advDays,
      unitMargin: unitMargin(spec: spec, entry: entry, fx: fx), group: spec.group)
  }

  /// Base-currency initial margin of one unit at the entry (nil: no margin terms; options never).
  public static func unitMargin(spec: InstrumentSpec, entry: Double, fx: Double) -> Double? {
    guard spec.assetClass != .option, let m = spec.margin else { return nil }
    return m.perUnit(unitNotional: entry * spec.multiplier * fx, fx: fx)
  }
}

/// The trailing stop that goes with a trade: the chandelier exit, always on the
/// protective side of the entry and never looser than the initial stop.
///
/// Chandelier: highest high of the last `chandelier_period` bars − d for a long, lowest
/// low + d for a short, with d the profile's own stop distance (k × ATR for the ATR rule,
/// k × σ_daily × √days × entry for the σ rule; closes stand in for highs and lows on
/// close-only data). A level on the wrong side of the entry (a long's above it, after a
/// fall from the high) would fire at once, so the trailing stop then starts at the
/// initial stop; a level looser than the initial stop gives way to it likewise.
public struct TrailingStop: Sendable, Hashable {
  public let price: Double
  public let rule: String
  /// Set when the chandelier level could not be used and the initial stop stands.
  public let note: String?

  public static func make(
    profile: RegimeProfile, side: TradeSide, entry: Double, stop: Double, stats: InstrumentStats
  ) -> TrailingStop? {
    guard let (d, _) = try? TradeSetup.ruleDistance(profile: profile, entry: entry, stats: stats) else { return nil }
    let text: String
    switch profile.stopRule {
    case .atr(let k, _) where stats.atr == nil: text = "\(fmt(k)) × σ_daily × entry (closes only)"
    case .atr(let k, _): text = "\(fmt(k)) × ATR"
    case .sigma(let k, let days): text = "\(fmt(k)) × σ_daily × √\(days) × entry"
    }
    let n = stats.chandelierPeriod
    let long = side == .long
    let level = long ? stats.highestHigh - d : stats.lowestLow + d
    let rule =
      long
      ? "chandelier: highest high of \(n) bars \(fmt(stats.highestHigh)) − \(text)"
      : "chandelier: lowest low of \(n) bars \(fmt(stats.lowestLow)) + \(text)"
    let protective = long ? level < entry : level > entry
    if !protective {
      return TrailingStop(
        price: stop, rule: rule,
        note:
          "the chandelier level \(fmt(level)) is \(long ? "at or above" : "at or below") the entry \(fmt(entry)) and would fire at once: the trailing stop starts at the initial stop"
      )
    }
    let tighter = long ? max(level, stop) : min(level, stop)
    return TrailingStop(
      price: tighter, rule: rule,
      note: tighter == level ? nil : "the chandelier level \(fmt(level)) is looser than the initial stop, which stands")
  }
}
