/// Today's exposures through history: the P&L series every historical figure uses
/// (historical VaR and ES, the replay's worst days, the portfolio's regime evidence).
public enum HistoricalPnL {
  /// `P&Lₜ = scale · Σᵢ eᵢ rᵢ,ₜ` over the aligned returns (exposures in the returns' column order).
  public static func series(exposures: [Double], returns: AlignedReturns, scale: Double = 1) -> [Double] {
    var out = [Double](repeating: 0, count: returns.observations)
    for (j, e) in exposures.enumerated() where e != 0 {
      let w = e * scale
      for t in 0..<returns.observations { out[t] += w * returns.matrix[t, j] }
    }
    return out
  }
}

/// Value at risk and expected shortfall on one grid, in one order, for every report:
/// each confidence level of ``levels``, then each horizon of ``horizons``
/// (95% 1 day, 95% 10 days, 99% 1 day, 99% 10 days).
///
/// Normal: zero mean, `σ_h = σ_1d √h` (``TailRiskEstimator/normal(dailyVolatility:level:horizonDays:)``).
/// Historical: the `(1 − α)` quantile of the P&L series, 10-day by √10
/// (``TailRiskEstimator/historical(pnl:level:horizonDays:)``).
public struct TailRiskGrid: Sendable, Hashable {
  public static let levels = [0.95, 0.99]
  public static let horizons = [1, 10]

  public let parametric: [TailRisk]
  public let historical: [TailRisk]

  /// - Parameters:
  ///   - dailyVolatility: one-day σ of the P&L, base currency.
  ///   - pnl: the daily P&L series (``HistoricalPnL``), base currency.
  public init(dailyVolatility: Double, pnl: [Double]) {
    var parametric: [TailRisk] = []
    var historical: [TailRisk] = []
    for level in Self.levels {
      for h in Self.horizons {
        parametric.append(TailRiskEstimator.normal(dailyVolatility: dailyVolatility, level: level, horizonDays: h))
        if let t = TailRiskEstimator.historical(pnl: pnl, level: level, horizonDays: h) { historical.append(t) }
      }
    }
    self.parametric = parametric
    self.historical = historical
  }
}
