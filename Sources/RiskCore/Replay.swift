/// Today's holdings through history.
///
/// Returns mode (the default, the historical VaR's convention): today's exposures eᵢ
/// (base currency, options by their delta) meet the instruments' returns on their
/// common dates (inner join, as for the covariance):
/// - a day's P&L is Σᵢ eᵢ rᵢ,ₜ (``HistoricalPnL``), so the worst days are the smallest
///   values of the series the historical VaR reads;
/// - a range's path is Σᵢ eᵢ (Cᵢ,d / Cᵢ,base − 1) from the close before `from`: today's
///   exposures bought at the base close and held.
///
/// Price-level mode (`mode: price-level`): today's quantities meet the old price changes,
/// Σᵢ qᵢ · per-point · FX · (Cᵢ,d − Cᵢ,base), which shrinks a stress by the ratio of old to
/// today's prices; only when asked for.
public enum Replay {
  public static func run(
    _ request: ReplayRequest, mode: ReplayMode, book: Book, valuation v: AccountValuation, market: MarketData
  ) throws -> ReplayResult {
    var exposure: [String: Double] = [:]
    var perPoint: [String: Double] = [:]
    var order: [String] = []
    var excluded: [String] = []
    for p in v.positions {
      let pos = p.position
      let s = Book.riskSymbol(of: pos)
      let isOption = pos.assetClass == .option
      guard market[s] != nil, !isOption || (pos.delta != nil && p.exposureMethod == .deltaAdjusted) else {
        excluded.append(pos.symbol)
        continue
      }
      if exposure[s] == nil { order.append(s) }
      exposure[s, default: 0] += p.exposure
      perPoint[s, default: 0] +=
        isOption ? (pos.delta ?? 0) * pos.quantity * pos.multiplier * p.fxRate : pos.quantity * pos.valuePerPricePoint * p.fxRate
    }
    guard !order.isEmpty else { throw ScenarioError("replay: no held instrument has market data.") }
    let histories = order.compactMap { market[$0] }
    let aligned = try AlignedReturns(histories, lookback: nil, kind: .simple)
    let closes = alignedCloses(histories, aligned: aligned)
    let weights: [Double] =
      mode == .returns ? order.map { exposure[$0, default: 0] } : order.map { perPoint[$0, default: 0] }
    switch request {
    case .range(let from, let to):
      guard from <= to else { throw ScenarioError("replay range \(from) … \(to) is reversed.") }
      let days = aligned.days
      guard let startIndex = days.firstIndex(where: { $0 >= from }), days[startIndex] <= to else {
        throw ScenarioError(
          "replay range \(from) … \(to) is outside the data: the held instruments have common closes from \(aligned.days.first?.description ?? "?") to \(aligned.days.last?.description ?? "?")."
        )
      }
      let baseRow = startIndex  // row of the close before the first replayed day (closes has one more row)
      var path: [(day: Day, pnl: Double)] = []
      for t in startIndex..<days.count where days[t] <= to {
        var pnl = 0.0
        for j in order.indices {
          let c0 = closes.values[j][baseRow]
          let c1 = closes.values[j][t + 1]
          pnl += mode == .returns ? weights[j] * (c1 / c0 - 1) : weights[j] * (c1 - c0)
        }
        path.append((days[t], pnl))
      }
      return ReplayResult(
        request: request, baseDay: closes.base[baseRow], mode: mode, path: path, instruments: order, excluded: excluded)
    case .worstDays(let n):
      guard n >= 1 else { throw ScenarioError("worst days needs n ≥ 1.") }
      var daily: [Double]
      if mode == .returns {
        daily = HistoricalPnL.series(exposures: weights, returns: aligned)
      } else {
        daily = aligned.days.indices.map { t in
          order.indices.reduce(0) { $0 + weights[$1] * (closes.values[$1][t + 1] - closes.values[$1][t]) }
        }
      }
      let worst = zip(aligned.days, daily).sorted { $0.1 < $1.1 }.prefix(n).map { (day: $0.0, pnl: $0.1) }
      return ReplayResult(request: request, baseDay: nil, mode: mode, path: worst, instruments: order, excluded: excluded)
    }
  }

  /// The closes of each instrument on the common dates: the base close, then one per return day.
  static func alignedCloses(_ histories: [PriceHistory], aligned: AlignedReturns) -> (base: [Day], values: [[Double]]) {
    let days = [aligned.baseDay] + aligned.days
    let values = histories.map { h -> [Double] in
      var byDay: [Day: Double] = [:]
      for (d, c) in zip(h.days, h.close) { byDay[d] = c }
      return days.map { byDay[$0] ?? .nan }
    }
    return (days, values)
  }
}
