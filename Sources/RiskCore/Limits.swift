import LinearAlgebra

/// One limit as a range of trade quantities in the trade's direction, numbers only.
public struct LimitBound: Sendable, Hashable {
  public let id: LimitID
  /// Above 0 when the account already breaks the limit and only a trade at least this large brings it back.
  public let min: Double
  /// nil: the limit does not apply.
  public let max: Double?
}

/// The intermediate figures behind the limits, for explanations.
public struct LimitFigures: Sendable {
  public var riskBudget = 0.0
  public var notionalCap = 0.0
  public var accountCap = 0.0
  public var classCap: Double? = nil
  public var classGross = 0.0
  // Volatility budget: a q² + 2 b q + c ≤ 0.
  public var hasCovariance = false
  public var qa = 0.0
  public var qb = 0.0
  public var qc = 0.0
  public var variance = 0.0
  public var skk = 0.0
  public var sek = 0.0
  public var volatilityDiscriminantNegative = false
  // Risk share: (1−ρ)Σₖₖ y² + (1−2ρ) m y − ρ c₀ ≤ 0.
  public var shareApplies = false
  public var m = 0.0
  public var c0 = 0.0
  public var wk = 0.0
  public var adv: Double? = nil
}

/// The geometry of a trade in the base currency.
public struct TradeGeometry: Sendable {
  public let side: TradeSide
  public let entry: Double
  public let stop: Double
  /// Base-currency exposure of one unit at the entry: entry × multiplier × FX.
  public let unitExposure: Double
  /// Base-currency loss of one unit at the stop: |entry − stop| × multiplier × FX.
  public let riskPerUnit: Double
  /// The account's existing signed exposure to the instrument.
  public let existingExposure: Double
}

/// Every limit of a profile for one trade, as quantity ranges: the single
/// source of truth shared by `advisor size` (which takes the smallest) and
/// `advisor check` (which compares an order with each), so an order of the
/// recommended size always passes.
public enum LimitCalculator {
  /// Bounds in the fixed order of ``LimitID/allCases``.
  public static func bounds(
    _ g: TradeGeometry, spec: InstrumentSpec, stats: InstrumentStats, state: AccountState, risk: PortfolioRiskModel?,
    profile: RegimeProfile
  ) -> (bounds: [LimitBound], figures: LimitFigures) {
    var f = LimitFigures()
    let equity = state.equity
    let u = g.unitExposure
    let s = g.side.sign
    let e0 = g.existingExposure
    let a = s * e0
    func directional(_ cap: Double, others: Double) -> Double {
      // Largest q with |e0 + s·q·u| ≤ cap − others; a trade that only reduces the position is always allowed.
      let h = cap - others
      return (Swift.max(0, -a) + Swift.max(0, h - Swift.max(a, 0))) / u
    }
    var out: [LimitBound] = []
    out.reserveCapacity(7)

    f.riskBudget = equity * profile.riskPerTrade * profile.riskMultiplier(spec.assetClass)
    out.append(LimitBound(id: .riskBudget, min: 0, max: f.riskBudget / g.riskPerUnit))

    f.notionalCap = profile.maxPositionNotional * equity
    out.append(LimitBound(id: .notionalCap, min: 0, max: directional(f.notionalCap, others: 0)))

    f.accountCap = profile.maxGrossLeverage * equity
    out.append(LimitBound(id: .accountLeverage, min: 0, max: directional(f.accountCap, others: state.grossExposure - abs(e0))))

    f.classGross = state.classGross[spec.assetClass, default: 0]
    if let classLeverage = profile.maxClassLeverage[spec.assetClass] {
      let cap = classLeverage * equity
      f.classCap = cap
      out.append(LimitBound(id: .classLeverage, min: 0, max: directional(cap, others: f.classGross - abs(e0))))
    } else {
      out.append(LimitBound(id: .classLeverage, min: 0, max: nil))
    }

    if let risk, let k = risk.position(of: spec.symbol) {
      f.hasCovariance = true
      let skk = risk.covariance[k, k]
      let sek = risk.sigmaE[k]
      let v0 = risk.variance
      let wk = risk.exposures[k]
      f.skk = skk
      f.sek = sek
      f.variance = v0
      f.wk = wk
      let vb = profile.portfolioVolatilityBudget * equity
      f.qa = u * u * skk
      f.qb = s * u * sek
      f.qc = v0 - vb * vb
      if f.qa <= 0 {
        out.append(LimitBound(id: .volatilityBudget, min: 0, max: f.qc <= 0 ? nil : 0))
      } else {
        let disc = f.qb * f.qb - f.qa * f.qc
        if disc < 0 {
          f.volatilityDiscriminantNegative = true
          out.append(LimitBound(id: .volatilityBudget, min: 0, max: 0))
        } else {
          let r = disc.squareRoot()
          let q1 = (-f.qb - r) / f.qa
          let q2 = (-f.qb + r) / f.qa
          out.append(LimitBound(id: .volatilityBudget, min: q1 > 0 ? q1 : 0, max: Swift.max(0, q2)))
        }
      }
      let rho = profile.maxRiskShare
      f.m = sek - skk * wk
      f.c0 = v0 - 2 * wk * sek + skk * wk * wk
      if f.c0 > 1e-12 * Swift.max(v0, 1) && skk > 0 && rho < 1 {
        f.shareApplies = true
        let qa2 = (1 - rho) * skk
        let qb2 = (1 - 2 * rho) * f.m
        let qc2 = -rho * f.c0
        let r = Swift.max(0, qb2 * qb2 - 4 * qa2 * qc2).squareRoot()
        let yLo = (-qb2 - r) / (2 * qa2)
        let yHi = (-qb2 + r) / (2 * qa2)
        var lo = s > 0 ? (yLo - wk) / u : (wk - yHi) / u
        var hi = s > 0 ? (yHi - wk) / u : (wk - yLo) / u
        lo = Swift.max(0, lo)
        hi = Swift.max(0, hi)
        out.append(LimitBound(id: .riskShare, min: lo > hi ? 0 : lo, max: hi))
      } else {
        out.append(LimitBound(id: .riskShare, min: 0, max: nil))
      }
    } else {
      // No covariance: cannot be evaluated, so it fails closed.
      out.append(LimitBound(id: .volatilityBudget, min: 0, max: 0))
      out.append(LimitBound(id: .riskShare, min: 0, max: nil))
    }

    f.adv = stats.averageDailyVolume
    out.append(LimitBound(id: .liquidity, min: 0, max: stats.averageDailyVolume.map { profile.maxADVFraction * $0 }))
    return (out, f)
  }
}
