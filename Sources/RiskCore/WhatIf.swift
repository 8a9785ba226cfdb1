import LinearAlgebra

/// What a shock applies to: an instrument or an asset class.
public typealias ShockTarget = InstrumentSelector

/// A relative price change: −0.30 is −30%.
public struct Shock: Sendable, Hashable {
  public let target: ShockTarget
  public let change: Double
  public init(_ target: ShockTarget, _ change: Double) {
    self.target = target
    self.change = change
  }
}

/// A capital flow: positive is a deposit, negative a withdrawal.
public enum CapitalFlow: Sendable, Hashable {
  /// An amount in a currency (converted at the account's FX rate).
  case money(Double, currency: String)
  /// A fraction of equity before the scenario (−0.2 is a 20% outflow).
  case fractionOfEquity(Double)
}

/// The holdings through history.
public enum ReplayRequest: Sendable, Hashable {
  /// From the close before `from` to the close of `to`.
  case range(from: Day, to: Day)
  /// The `n` worst single days of the current holdings over the whole common history.
  case worstDays(Int)
}

/// How a replay turns history into P&L.
public enum ReplayMode: String, Sendable, Hashable, CaseIterable {
  /// Today's exposures × the instruments' returns (the historical VaR's convention; the default).
  case returns
  /// Today's quantities × the old price changes (a price-level replay; only when asked for).
  case priceLevel = "price-level"
}

/// A copy-trading capacity question: a lead trade of `leadTradeFraction` of the strategy AUM in `instrument`.
public struct CapacityQuestion: Sendable, Hashable {
  public var instrument: String
  public var leadTradeFraction: Double
  /// Largest acceptable expected slippage, as a fraction of the order's notional (0.0025 = 25 bp).
  public var slippageBudget: Double
  public init(instrument: String, leadTradeFraction: Double, slippageBudget: Double) {
    self.instrument = instrument
    self.leadTradeFraction = leadTradeFraction
    self.slippageBudget = slippageBudget
  }
}

/// A what-if scenario; every part is optional and they combine.
public struct Scenario: Sendable {
  public var name: String
  public var description: String
  public var source: String
  public var shocks: [Shock] = []
  /// Multiplies every volatility (covariance × m²).
  public var volatilityMultiplier: Double = 1
  /// Moves every correlation toward `target` by `weight`: ρ' = (1 − w)ρ + w·target.
  public var correlationTarget: Double? = nil
  public var correlationWeight: Double = 1
  /// The regime after (nil: unchanged).
  public var regime: String? = nil
  public var flows: [CapitalFlow] = []
  /// Orders applied first, at their price (else the last close).
  public var orders: [Order] = []
  public var replay: ReplayRequest? = nil
  public var replayMode: ReplayMode = .returns
  /// Follower capital joining or leaving the strategy, in the base currency.
  public var followersJoin: Double = 0
  public var followersLeave: Double = 0
  public var capacity: CapacityQuestion? = nil

  public init(name: String, description: String = "", source: String = "") {
    self.name = name
    self.description = description
    self.source = source
  }

  public var isEmpty: Bool {
    shocks.isEmpty && volatilityMultiplier == 1 && correlationTarget == nil && regime == nil && flows.isEmpty
      && orders.isEmpty && replay == nil && followersJoin == 0 && followersLeave == 0 && capacity == nil
  }
}

/// Why a scenario cannot be run.
public struct ScenarioError: Error, Sendable, CustomStringConvertible {
  public let description: String
  public init(_ d: String) { description = d }
}

/// Portfolio risk at one point of the scenario.
public struct RiskSnapshot: Sendable {
  /// Risk instruments (options mapped to their underlying), in covariance order.
  public let symbols: [String]
  /// Signed base-currency exposures.
  public let exposures: [Double]
  /// Annual covariance of the instruments' returns (stressed where the scenario says so).
  public let covariance: SymmetricMatrix
  public let equity: Double
  /// Annual σ of P&L, base currency.
  public let volatility: Double
  /// Annual σ / equity (nil when equity is not positive).
  public let volatilityOfEquity: Double?
  /// Per instrument: Euler contribution to annual σ (base currency) and share of variance.
  public let contributions: [Double]
  public let shares: [Double]
  /// Parametric normal VaR/ES (zero mean, √t), 95% and 99%, 1 and 10 days, base currency.
  public let parametric: [TailRisk]
  /// Historical VaR/ES from the aligned returns with today's exposures (1-day, and 10-day by √10).
  public let historical: [TailRisk]
  public let periodsPerYear: Int
  public let observations: Int
  public let repair: PSDRepair?
}

/// A lot-rounded reduction that brings the account back within its limits.
public struct Reduction: Sendable, Hashable {
  public let symbol: String
  public let from: Double
  public let to: Double
  public let notional: Double
  /// Every limit that required the cut: the ones one more lot would break.
  public let reasons: [LimitID]
  public var trade: Double { to - from }
  public var reason: LimitID { reasons.first ?? .accountLeverage }
}

/// A position's scenario P&L.
public struct PositionPnL: Sendable, Hashable {
  public let symbol: String
  public let priceBefore: Double
  public let priceAfter: Double
  public let pnl: Double
  public let shock: String?
  /// How the new price was found (``RepricingMethod``).
  public let method: RepricingMethod
}

/// The scenario's equity, accounted for: after = before + flows + P&L − costs, exactly.
public struct EquityIdentity: Sendable, Hashable {
  public let before: Double
  public let flows: Double
  /// Orders filled at their price against the mark, base currency.
  public let ordersPnL: Double
  public let shocksPnL: Double
  /// Commissions and slippage: not modelled by what-if (0), stated so the identity is complete.
  public let costs: Double
  public let after: Double
  public var pnl: Double { ordersPnL + shocksPnL }
  /// after − (before + flows + P&L − costs): zero up to rounding.
  public var residual: Double { after - (before + flows + pnl - costs) }
}

/// The replayed P&L path of the current holdings.
public struct ReplayResult: Sendable {
  public let request: ReplayRequest
  public let baseDay: Day?
  public let mode: ReplayMode
  /// (day, cumulative P&L since the base) for a range; (day, that day's P&L) for worst days.
  public let path: [(day: Day, pnl: Double)]
  public let instruments: [String]
  public let excluded: [String]
  public var total: Double { path.last?.pnl ?? 0 }
}

/// Copy-trading capacity.
public struct CapacityResult: Sendable {
  public let question: CapacityQuestion
  public let strategyAUM: Double
  public let aumSource: String
  public let price: Double
  public let dailyVolatility: Double
  public let averageDailyVolume: Double
  public let orderNotional: Double
  public let orderQuantity: Double
  public let participation: Double
  /// Expected slippage as a fraction of notional: Y · σ_daily · √(Q / ADV).
  public let slippage: Double
  public let slippageCost: Double
  public let impactCoefficient: Double
  /// The largest strategy AUM whose lead trade stays within the slippage budget:
  /// ADV · price · (budget / (Y σ))² / fraction.
  public let maxStrategyAUM: Double
}

/// Before and after, side by side.
public struct WhatIfReport: Sendable {
  public let scenario: Scenario
  public let baseRegime: RegimeProfile
  public let regimeAfter: RegimeProfile
  public let before: AccountValuation
  public let after: AccountValuation
  public let riskBefore: RiskSnapshot?
  public let riskAfter: RiskSnapshot?
  public let pnl: [PositionPnL]
  /// Shocks and orders against the mark: the scenario's whole P&L.
  public let totalPnL: Double
  public let flows: Double
  public let equity: EquityIdentity
  public let orderResults: [OrderResult]
  public let breaches: [Breach]
  /// The equity base of the regime after's limits, on the equity after (``EquityBase``).
  public let equityBaseAfter: EquityBase
  public let reductions: [Reduction]
  public let afterReductions: (leverage: Double?, volatility: Double?, breaches: [Breach])
  public let replay: ReplayResult?
  public let strategyAUMBefore: Double?
  public let strategyAUMAfter: Double?
  public let capacity: CapacityResult?
  public let diagnostics: [Diagnostic]
  public var warnings: [String] { diagnostics.messages }
  /// Orders that failed their pre-trade check but were applied for the what-if.
  public var failedOrders: [OrderResult] { orderResults.filter { !$0.passed(strict: false) } }
  public static let reductionMethod =
    "Greedy, largest first, with the limit model of advisor check: while a limit is breached (per-position notional, asset-class and account leverage, group exposure, margin utilisation, volatility budget, risk share, group risk share, in that order), the largest position behind the first breach (for margin the one with the largest margin, for a group's risk share its largest contributor) is cut by what that limit needs, solved in closed form and rounded to whole lots; then each cut position gets back whole lots while no breach appears or grows, so no cut is more than one lot larger than its limits need. Each cut names every limit one more lot would break. Cutting the largest first touches the fewest positions; it does not minimise the total notional traded."
}
