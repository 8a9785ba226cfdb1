import LinearAlgebra

// `advisor budget`: where the book spends its risk, the budgeted risk-parity
// target, its leverage under the regime, and the trades to get there.

// MARK: - Budgets as given

/// What a risk budget is attached to: one instrument (an option's risk is budgeted
/// through its underlying), or every position of an asset class (`class:crypto`),
/// split equally among those without a budget of their own.
public typealias BudgetKey = InstrumentSelector

/// One budget as written in a budgets file or a `--budget` flag.
public struct BudgetEntry: Sendable, Hashable {
  public let key: BudgetKey
  /// A positive share of the total risk (normalised with the others).
  public let value: Double
  /// The file it came from, or the flag (`--budget AAPL=0.3`).
  public let source: String
  public let line: Int?
  /// The key path in the file (`budgets.AAPL`); nil for a flag.
  public let field: String?

  public init(key: BudgetKey, value: Double, source: String, line: Int? = nil, field: String? = nil) {
    self.key = key
    self.value = value
    self.source = source
    self.line = line
    self.field = field
  }
}

/// Budgets per instrument, normalised to sum to 1, with how each came about.
public struct ResolvedBudgets: Sendable, Hashable {
  /// Normalised, in the instruments' order.
  public let values: [Double]
  /// How each budget was set (`AAPL budget, budgets.yaml line 3`, `equal (default)`, …).
  public let origins: [String]
  /// No budget was given: equal risk contribution.
  public let isDefault: Bool
  /// The sum before normalisation.
  public let rawTotal: Double
  public let warnings: [String]
}

public enum BudgetResolver {
  /// Turns the budgets as given into one positive budget per instrument, summing to 1.
  ///
  /// Rules, in order: an instrument's own budget; else its asset class's
  /// budget split equally among the class's instruments without their own;
  /// else, when some budgets are given, an equal share of what they leave
  /// (`1 − Σ given`); with no budgets at all, `1/N` each (equal risk
  /// contribution). Budgets that do not sum to 1 are normalised, with a
  /// warning. A later entry for the same key replaces an earlier one (a flag
  /// overrides the file).
  ///
  /// - Parameters:
  ///   - aliases: position symbols that are measured through another
  ///     instrument (an option through its underlying), for the messages.
  /// - Throws: ``InputError`` (or ``InputErrors`` for several) naming the file,
  ///   line and key: a budget that is not positive, an instrument not held, an
  ///   asset class with no position, budgets that leave nothing for the others.
  public static func resolve(
    _ entries: [BudgetEntry], symbols: [String], classes: [AssetClass], aliases: [String: String] = [:]
  ) throws -> ResolvedBudgets {
    let n = symbols.count
    guard !entries.isEmpty else {
      return ResolvedBudgets(
        values: Array(repeating: 1 / Double(n), count: n), origins: Array(repeating: "equal (default)", count: n),
        isDefault: true, rawTotal: 1, warnings: [])
    }
    var problems: [InputError] = []
    var byKey: [BudgetKey: BudgetEntry] = [:]
    var order: [BudgetKey] = []
    for e in entries {
      guard e.value > 0, e.value.isFinite else {
        problems.append(
          InputError(
            .invalidValue, path: e.source, line: e.line, field: e.field,
            "budget \(fmt(e.value)) for \(e.key) is not positive; a risk budget is a positive share of the total (normalised with the others)."
          ))
        continue
      }
      if byKey[e.key] == nil { order.append(e.key) }
      byKey[e.key] = e
    }
    let held = Set(symbols)
    for key in order {
      guard let e = byKey[key] else { continue }
      switch key {
      case .instrument(let s) where !held.contains(s):
        let hint =
          aliases[s].map { " \(s) is measured through its underlying \($0): budget \($0) instead." }
          ?? " Held: \(symbols.joined(separator: ", "))."
        problems.append(
          InputError(
            .unknownInstrument, path: e.source, line: e.line, field: e.field,
            "\(s) is not held, so it cannot have a budget.\(hint)"))
      case .assetClass(let c) where !classes.contains(c):
        let present = Array(Set(classes.map(\.rawValue))).sorted().joined(separator: ", ")
        problems.append(
          InputError(
            .unknownInstrument, path: e.source, line: e.line, field: e.field,
            "no position is in asset class \(c.rawValue), so class:\(c.rawValue) cannot have a budget (classes held: \(present))."
          ))
      default: break
      }
    }
    if problems.count == 1 { throw problems[0] }
    if !problems.isEmpty { throw InputErrors(problems) }

    func place(_ e: BudgetEntry) -> String { e.line.map { "\(e.source) line \($0)" } ?? e.source }
    var raw = [Double?](repeating: nil, count: n)
    var origins = [String](repeating: "", count: n)
    var warnings: [String] = []
    for (i, s) in symbols.enumerated() {
      if let e = byKey[.instrument(s)] {
        raw[i] = e.value
        origins[i] = "\(s) budget, \(place(e))"
      }
    }
    for key in order {
      guard case .assetClass(let c) = key, let e = byKey[key] else { continue }
      let members = symbols.indices.filter { classes[$0] == c && raw[$0] == nil }
      if members.isEmpty {
        warnings.append(
          "the class:\(c.rawValue) budget (\(place(e))) is unused: every \(c.rawValue) position has its own budget.")
        continue
      }
      for i in members {
        raw[i] = e.value / Double(members.count)
        origins[i] = "class:\(c.rawValue) budget ÷ \(members.count), \(place(e))"
      }
    }
    let given = raw.compactMap { $0 }.reduce(0, +)
    let rest = symbols.indices.filter { raw[$0] == nil }
    if !rest.isEmpty {
      guard given < 1 else {
        let file = entries.first { $0.line != nil }
        throw InputError(
          .invalidValue, path: file?.source, field: file == nil ? nil : "budgets",
          "the budgets given\(file == nil ? " by --budget" : "") sum to \(fmt(given)), leaving nothing for \(rest.map { symbols[$0] }.joined(separator: ", ")), which have none; give them budgets too, or keep the total of the others below 1."
        )
      }
      for i in rest {
        raw[i] = (1 - given) / Double(rest.count)
        origins[i] = "equal share of the remaining \(fmt(1 - given))"
      }
    }
    let values = raw.map { $0 ?? 0 }
    let total = values.reduce(0, +)
    if abs(total - 1) > 1e-9 {
      warnings.append("the budgets sum to \(fmt(total)), not 1: each is divided by \(fmt(total)).")
    }
    return ResolvedBudgets(
      values: values.map { $0 / total }, origins: origins, isDefault: false, rawTotal: total, warnings: warnings)
  }
}

// MARK: - Settings and errors

/// The covariance behind the budget, with where each setting came from.
public struct CovarianceSettings: Sendable, Hashable {
  public var method: CovarianceMethod
  public var lookback: Int
  public var lambda: Double
  public var methodSource: String
  public var lookbackSource: String
  public var lambdaSource: String

  public init(
    method: CovarianceMethod, lookback: Int, lambda: Double, methodSource: String = "", lookbackSource: String = "",
    lambdaSource: String = ""
  ) {
    self.method = method
    self.lookback = lookback
    self.lambda = lambda
    self.methodSource = methodSource
    self.lookbackSource = lookbackSource
    self.lambdaSource = lambdaSource
  }
}

/// Why a budget cannot be drawn up. Each reads as one sentence after `Error: `.
public enum BudgetError: Error, Sendable, Hashable, CustomStringConvertible {
  case emptyAccount(source: String)
  case onePosition(symbol: String, source: String)
  case noMarketData(positions: [String], source: String)
  case nonPositiveEquity(Double, String)
  case tooFewInstruments([String])
  case duplicateInstrument(String)

  public var description: String {
    switch self {
    case .emptyAccount(let source):
      return
        "\(source) holds no positions: there is no risk to budget; to propose a new portfolio, pass --instruments A,B,… instead."
    case .onePosition(let s, let source):
      return
        "\(source) has one position with market data (\(s)): its risk share is 100% by definition, so there is nothing to budget; add positions, or pass --instruments A,B,… to propose a portfolio."
    case .noMarketData(let positions, let source):
      return
        "no position of \(source) has market data (\(positions.joined(separator: ", "))): their risk cannot be measured; add market data for them."
    case .nonPositiveEquity(let e, let c):
      return "equity is \(fmt(e)) \(c), not positive: no risk budget can be set."
    case .tooFewInstruments(let s):
      return
        "risk parity needs at least two instruments, got \(s.count)\(s.isEmpty ? "" : " (\(s.joined(separator: ", ")))"); pass --instruments A,B,…"
    case .duplicateInstrument(let s):
      return "--instruments lists \(s) twice; list each instrument once."
    }
  }
}

// MARK: - The report

/// One instrument of the book: where its risk is now, its budget and its target.
public struct BudgetLine: Sendable, Hashable {
  public let symbol: String
  public let assetClass: AssetClass
  /// The account positions measured through this instrument (an option under its underlying).
  public let holdings: [String]
  /// Signed base-currency exposure now.
  public let exposure: Double
  /// Exposure / equity.
  public let weight: Double
  public let annualVolatility: Double
  /// `∂σ_p/∂wᵢ = (Σw)ᵢ / σ_p`.
  public let marginal: Double
  /// Euler contribution `wᵢ(Σw)ᵢ / σ_p`: annual σ as a fraction of equity.
  public let contribution: Double
  /// `contribution / σ_p`; the shares sum to 1.
  public let share: Double
  /// Normalised budget.
  public let budget: Double
  public let budgetOrigin: String
  /// Risk-parity weight of the unlevered target (sums to 1 over the book).
  public let targetWeight: Double
  /// `leverage × targetWeight × equity`.
  public let targetExposure: Double
  /// After the proposed trades.
  public let exposureAfter: Double
  public let contributionAfter: Double
  public let shareAfter: Double

  /// Share above (positive) or below the budget, in fractions.
  public var excess: Double { share - budget }
}

/// A limit on the target's leverage, as the largest leverage it allows.
public struct LeverageCap: Sendable, Hashable {
  /// Stable identifier: `volatility-target`, `gross-leverage`, `class-leverage`.
  public let id: String
  public let title: String
  /// The class or instrument the cap is about.
  public let scope: String?
  /// The largest leverage (gross exposure / equity of the target) it allows.
  public let maxLeverage: Double
  public let formula: String
  public let inputs: [NamedValue]
  public internal(set) var binding: Bool
}

/// One trade from the current holdings towards the target.
public struct BudgetTrade: Sendable, Hashable {
  public let symbol: String
  public let assetClass: AssetClass
  public let price: Double
  public let priceSource: String
  public let multiplier: Double
  public let fxRate: Double?
  /// Base-currency exposure of one unit: price × multiplier × FX.
  public let unitExposure: Double
  public let lotSize: Double
  /// Units held directly (not through options).
  public let currentQuantity: Double
  public let currentExposure: Double
  public let targetExposure: Double
  /// `(target − current) / unit exposure`, before rounding.
  public let unroundedQuantity: Double
  /// Rounded towards zero to whole lots: what reaching the target takes.
  public let wantedQuantity: Double
  /// What is proposed: `wantedQuantity`, or 0 when ``blocked``.
  public let quantity: Double
  public let lots: Double
  /// `|quantity| × unit exposure`, base currency.
  public let notional: Double
  /// The orders, each within the per-trade cap (signed units; one piece when it fits).
  public let pieces: [Double]
  /// Why the trade is not proposed (it cannot be split under the per-trade cap, no price, …).
  public let blocked: String?
  public let notes: [String]
  public let exposureAfter: Double

  public var side: String { quantity > 0 ? "buy" : quantity < 0 ? "sell" : "none" }
}

/// `advisor budget` on an account.
public struct BudgetReport: Sendable {
  public let accountName: String
  public let source: String
  public let baseCurrency: String
  public let asOf: Day
  public let equity: Double
  public let choice: RegimeChoice
  public let settings: CovarianceSettings
  public let observations: Int
  public let periodsPerYear: Int
  public let firstReturnDay: Day
  public let lastDay: Day
  /// The estimator's own repair (a non-PSD estimate).
  public let estimatorRepair: PSDRepair?
  /// The solver's repair (a singular covariance), and its eigenvalue floor.
  public let solverRepair: PSDRepair?
  public let solverFloor: Double?
  public let budgets: ResolvedBudgets
  public let lines: [BudgetLine]
  /// Now: weights are exposures / equity.
  public let current: RiskDecomposition
  /// Normal VaR/ES in base currency, for every level × horizon.
  public let parametric: [TailRisk]
  /// Historical VaR/ES in base currency from the aligned returns of the current exposures.
  public let historical: [TailRisk]
  public let solution: RiskParitySolution
  /// The unlevered target (weights sum to 1).
  public let target: RiskDecomposition
  /// The regime's portfolio volatility budget (annual, fraction of equity).
  public let targetVolatility: Double
  public let leverage: Double
  public let caps: [LeverageCap]
  public let perTradeCap: Double
  public let trades: [BudgetTrade]
  /// After the proposed trades (blocked ones excluded).
  public let after: RiskDecomposition
  /// Gross exposure of positions outside the covariance (no market data), base currency.
  public let excludedGross: Double
  public let warnings: [String]

  /// The binding cap (the smallest).
  public var binding: LeverageCap? { caps.first { $0.binding } }
  /// Positions whose risk share is above their budget, the largest excess first.
  public var overBudget: [BudgetLine] { lines.filter { $0.excess > 5e-5 }.sorted { $0.excess > $1.excess } }
  public var underBudget: [BudgetLine] { lines.filter { $0.excess < -5e-5 }.sorted { $0.excess < $1.excess } }
}

/// `advisor budget --instruments …`: a new long-only portfolio, fully invested, before leverage.
public struct PortfolioProposal: Sendable {
  public let symbols: [String]
  public let classes: [AssetClass]
  public let settings: CovarianceSettings
  public let observations: Int
  public let periodsPerYear: Int
  public let firstReturnDay: Day
  public let lastDay: Day
  public let estimatorRepair: PSDRepair?
  public let solverRepair: PSDRepair?
  public let solverFloor: Double?
  public let budgets: ResolvedBudgets
  public let solution: RiskParitySolution
  /// Of the proposed weights, on the annual covariance.
  public let decomposition: RiskDecomposition
  public let warnings: [String]
}

/// What `advisor budget` is asked for an account.
public struct BudgetRequest: Sendable {
  /// A profile name or `auto`.
  public var regime: String
  /// Overrides of the profile's covariance settings.
  public var method: CovarianceMethod?
  public var lookback: Int?
  public var lambda: Double?
  public var budgets: [BudgetEntry]

  public init(
    regime: String = "normal", method: CovarianceMethod? = nil, lookback: Int? = nil, lambda: Double? = nil,
    budgets: [BudgetEntry] = []
  ) {
    self.regime = regime
    self.method = method
    self.lookback = lookback
    self.lambda = lambda
    self.budgets = budgets
  }
}

// MARK: - The service

public enum BudgetService {
  /// VaR/ES confidence levels and horizons (days) reported.
  public static let levels = [0.95, 0.99]
  public static let horizons = [1, 10]

  /// The covariance of `symbols` on their common dates, annualised, checked for the solver.
  struct PreparedCovariance {
    let aligned: AlignedReturns
    let estimate: CovarianceEstimate
    let solver: SolverCovariance
    let warnings: [String]
  }

  static func covariance(_ histories: [PriceHistory], settings: CovarianceSettings) throws -> PreparedCovariance {
    let aligned = try AlignedReturns(histories, lookback: settings.lookback, kind: .simple)
    let estimate = try settings.method.estimator(lambda: settings.lambda).estimate(aligned.matrix)
    var warnings: [String] = []
    if let r = estimate.repair {
      warnings.append(
        "the \(settings.method.rawValue) covariance was not positive semidefinite (smallest eigenvalue \(sci(r.minimumEigenvalueBefore))); \(r.clippedEigenvalues) eigenvalue(s) clipped to 0, relative Frobenius change \(sci(r.relativeChange))."
      )
    }
    let annual = estimate.annual(periodsPerYear: aligned.periodsPerYear)
    let solver = try SolverCovariance.prepare(annual, symbols: aligned.symbols)
    if let r = solver.repair, let floor = solver.floor {
      let why =
        aligned.observations <= histories.count
        ? "there are \(aligned.observations) observations for \(histories.count) instruments"
        : "some instruments are (nearly) linear combinations of others"
      warnings.append(
        "the covariance is singular (\(why)): \(r.clippedEigenvalues) eigenvalue(s) raised to \(sci(floor)) (1e-10 × the largest) so that the risk-parity weights are unique; relative Frobenius change \(sci(r.relativeChange))."
      )
    }
    return PreparedCovariance(aligned: aligned, estimate: estimate, solver: solver, warnings: warnings)
  }

  /// Current risk, the budgeted risk-parity target levered to the regime, and the trades.
  ///
  /// Exposures are those of `advisor aum` and `advisor size`: base currency,
  /// options through their underlying (delta-adjusted), positions without
  /// market data left out with a warning. The covariance is the regime
  /// profile's (estimator, lookback, λ), unless overridden, on the dates
  /// common to the book's instruments, annualised with their periods per year.
  ///
  /// - Throws: ``BudgetError``, ``EstimationError``, ``InputError`` (budgets),
  ///   ``RiskParityError``, ``UnknownRegimeError``, ``RegimeDetectionError``.
  public static func run(
    valuation: AccountValuation, market: MarketData, regimes: RegimeSet, request: BudgetRequest
  ) throws -> BudgetReport {
    let account = valuation.account
    let asOf = account.asOf
    let equity = valuation.equity
    let base = account.baseCurrency
    guard !account.positions.isEmpty else { throw BudgetError.emptyAccount(source: account.source) }
    guard equity > 0, equity.isFinite else { throw BudgetError.nonPositiveEquity(equity, base) }
    let data = market.through(asOf)
    let held = RiskExposures.collect(valuation, market: data)
    guard !held.symbols.isEmpty else {
      throw BudgetError.noMarketData(positions: account.positions.map(\.symbol), source: account.source)
    }
    guard held.symbols.count >= 2 else { throw BudgetError.onePosition(symbol: held.symbols[0], source: account.source) }
    let choice = try SizingService.chooseRegime(
      request.regime, regimes: regimes, market: market, valuation: valuation, asOf: asOf)
    let profile = choice.profile
    let settings = CovarianceSettings(
      method: request.method ?? profile.covarianceMethod, lookback: request.lookback ?? profile.covarianceLookback,
      lambda: request.lambda ?? profile.lambda,
      methodSource: request.method == nil ? "\(profile.source), covariance.estimator" : "--estimator",
      lookbackSource: request.lookback == nil ? "\(profile.source), covariance.lookback" : "--lookback",
      lambdaSource: request.lambda == nil ? "\(profile.source), lambda" : "--lambda")

    let symbols = held.symbols
    let n = symbols.count
    let prepared = try covariance(symbols.compactMap { data[$0] }, settings: settings)
    var warnings = held.warnings + prepared.warnings
    let sigma = prepared.solver.matrix
    let aligned = prepared.aligned
    func assetClass(_ s: String) -> AssetClass {
      held.holdings[s]?.first { $0.position.assetClass != .option }?.position.assetClass ?? data.catalog.spec(for: s).assetClass
    }
    let classes = symbols.map(assetClass)
    var aliases: [String: String] = [:]
    for p in account.positions where p.assetClass == .option {
      if let u = p.underlying { aliases[p.symbol] = u }
    }
    let budgets = try BudgetResolver.resolve(request.budgets, symbols: symbols, classes: classes, aliases: aliases)
    warnings += budgets.warnings

    // Now.
    let exposures = symbols.map { held.exposure[$0, default: 0] }
    let current = try RiskDecomposition(covariance: sigma, weights: exposures.map { $0 / equity })
    let p = Double(aligned.periodsPerYear)
    let dailyMoney = current.volatility * equity / p.squareRoot()
    var pnl = [Double](repeating: 0, count: aligned.observations)
    for j in 0..<n {
      for t in 0..<aligned.observations { pnl[t] += exposures[j] * aligned.matrix[t, j] }
    }
    var parametric: [TailRisk] = []
    var historical: [TailRisk] = []
    for h in horizons {
      for level in levels {
        parametric.append(TailRiskEstimator.normal(dailyVolatility: dailyMoney, level: level, horizonDays: h))
        if let t = TailRiskEstimator.historical(pnl: pnl, level: level, horizonDays: h) { historical.append(t) }
      }
    }
    if current.weights.contains(where: { $0 < 0 }) {
      let shorts = symbols.indices.filter { exposures[$0] < 0 }.map { symbols[$0] }
      warnings.append(
        "\(shorts.joined(separator: ", ")) \(shorts.count == 1 ? "is" : "are") held short; the risk-parity target is long-only, so the trades turn \(shorts.count == 1 ? "it" : "them") long."
      )
    }

    // The target.
    let solution = try RiskParity.solve(sigma, budgets: budgets.values)
    let target = try RiskDecomposition(covariance: sigma, weights: solution.weights)
    var excludedGross = 0.0
    var excludedByClass: [AssetClass: Double] = [:]
    for e in held.excluded {
      excludedGross += abs(e.exposure)
      excludedByClass[e.position.assetClass, default: 0] += abs(e.exposure)
    }
    var caps = leverageCaps(
      profile: profile, solution: solution, symbols: symbols, classes: classes, equity: equity,
      excludedGross: excludedGross, excludedByClass: excludedByClass)
    let leverage = caps.map(\.maxLeverage).min() ?? 0
    if let k = caps.firstIndex(where: { $0.maxLeverage == leverage }) { caps[k].binding = true }
    if leverage <= 0 {
      warnings.append("a cap allows no leverage at all: the target is to hold none of the book's instruments.")
    }
    let targetExposures = solution.weights.map { leverage * $0 * equity }

    // Trades.
    let perTradeCap = profile.maxPositionNotional * equity
    var trades: [BudgetTrade] = []
    var after = exposures
    for i in 0..<n {
      let t = trade(
        symbol: symbols[i], assetClass: classes[i], holdings: held.holdings[symbols[i]] ?? [], current: exposures[i],
        target: targetExposures[i], data: data, account: account, profile: profile, cap: perTradeCap)
      trades.append(t)
      after[i] = t.exposureAfter
    }
    let afterRisk = try RiskDecomposition(covariance: sigma, weights: after.map { $0 / equity })
    for i in 0..<n where abs(targetExposures[i]) > perTradeCap * (1 + 1e-12) {
      warnings.append(
        "\(symbols[i])'s target exposure, \(fmt(targetExposures[i])) \(base) (\(fmt((1000 * targetExposures[i] / equity).rounded() / 10))% of equity), is above max_position_notional (\(fmt(100 * profile.maxPositionNotional))% of equity in \(profile.source)): advisor size would not add to the position beyond that."
      )
    }

    let lines = (0..<n).map { i in
      BudgetLine(
        symbol: symbols[i], assetClass: classes[i], holdings: (held.holdings[symbols[i]] ?? []).map(\.position.symbol),
        exposure: exposures[i], weight: current.weights[i], annualVolatility: current.standaloneVolatility[i],
        marginal: current.marginal[i], contribution: current.contributions[i], share: current.shares[i],
        budget: budgets.values[i], budgetOrigin: budgets.origins[i], targetWeight: solution.weights[i],
        targetExposure: targetExposures[i], exposureAfter: after[i], contributionAfter: afterRisk.contributions[i],
        shareAfter: afterRisk.shares[i])
    }
    return BudgetReport(
      accountName: account.name, source: account.source, baseCurrency: base, asOf: asOf, equity: equity, choice: choice,
      settings: settings, observations: aligned.observations, periodsPerYear: aligned.periodsPerYear,
      firstReturnDay: aligned.days.first ?? asOf, lastDay: aligned.days.last ?? asOf,
      estimatorRepair: prepared.estimate.repair, solverRepair: prepared.solver.repair, solverFloor: prepared.solver.floor,
      budgets: budgets, lines: lines, current: current, parametric: parametric, historical: historical,
      solution: solution, target: target, targetVolatility: profile.portfolioVolatilityBudget, leverage: leverage,
      caps: caps, perTradeCap: perTradeCap, trades: trades, after: afterRisk, excludedGross: excludedGross,
      warnings: warnings + valuation.warnings)
  }

  /// The caps on the target's leverage `L` (target exposure = L × w × equity, Σw = 1):
  /// the volatility target `τ / σ_w`; the gross cap `(G − gross outside) / Σw`;
  /// each class cap `(cap − its gross outside) / Σ_class w`. The per-position
  /// notional cap is not a leverage cap: it limits each trade (split, or flagged).
  static func leverageCaps(
    profile: RegimeProfile, solution: RiskParitySolution, symbols: [String], classes: [AssetClass], equity: Double,
    excludedGross: Double, excludedByClass: [AssetClass: Double]
  ) -> [LeverageCap] {
    let w = solution.weights
    var caps: [LeverageCap] = []
    let sigmaW = solution.volatility
    caps.append(
      LeverageCap(
        id: "volatility-target", title: "portfolio volatility target", scope: nil,
        maxLeverage: sigmaW > 0 ? profile.portfolioVolatilityBudget / sigmaW : .greatestFiniteMagnitude,
        formula: "target σ / unlevered σ of the risk-parity weights",
        inputs: [
          NamedValue(
            "target σ", profile.portfolioVolatilityBudget, "annual", source: "\(profile.source), portfolio_volatility_budget"),
          NamedValue("unlevered σ", sigmaW, "annual"),
        ], binding: false))
    let outside = excludedGross / equity
    caps.append(
      LeverageCap(
        id: "gross-leverage", title: "account gross leverage", scope: nil,
        maxLeverage: max(0, profile.maxGrossLeverage - outside),
        formula: outside > 0
          ? "max gross leverage − gross of positions outside the model / equity" : "max gross leverage (Σw = 1)",
        inputs: [NamedValue("max gross leverage", profile.maxGrossLeverage, "×", source: "\(profile.source), max_gross_leverage")]
          + (outside > 0 ? [NamedValue("outside the model", outside, "×")] : []),
        binding: false))
    var seen: Set<AssetClass> = []
    for c in classes where !seen.contains(c) {
      seen.insert(c)
      guard let cap = profile.maxClassLeverage[c] else { continue }
      let share = symbols.indices.filter { classes[$0] == c }.reduce(0) { $0 + w[$1] }
      let out = (excludedByClass[c] ?? 0) / equity
      guard share > 0 else { continue }
      caps.append(
        LeverageCap(
          id: "class-leverage", title: "\(c.rawValue) gross leverage", scope: c.rawValue,
          maxLeverage: max(0, cap - out) / share,
          formula: "\(c.rawValue) cap\(out > 0 ? " − its gross outside the model" : "") / Σ \(c.rawValue) weights",
          inputs: [
            NamedValue("\(c.rawValue) cap", cap, "×", source: "\(profile.source), max_leverage_by_class.\(c.rawValue)"),
            NamedValue("Σ \(c.rawValue) weights", share),
          ] + (out > 0 ? [NamedValue("outside the model", out, "×")] : []), binding: false))
    }
    return caps
  }

  /// The trade in `symbol` from `current` to `target` exposure, in whole lots, split under the per-trade cap.
  static func trade(
    symbol: String, assetClass: AssetClass, holdings: [PositionValuation], current: Double, target: Double,
    data: MarketData, account: Account, profile: RegimeProfile, cap: Double
  ) -> BudgetTrade {
    let spec = data.catalog.spec(for: symbol)
    let direct = holdings.filter { $0.position.assetClass != .option }
    let quantity = direct.reduce(0) { $0 + $1.position.quantity }
    var notes: [String] = []
    let options = holdings.filter { $0.position.assetClass == .option }
    if !options.isEmpty {
      let e = options.reduce(0) { $0 + $1.exposure }
      notes.append(
        "includes \(fmt(e)) \(account.baseCurrency) of delta-adjusted option exposure (\(options.map(\.position.symbol).joined(separator: ", "))); the trade is in \(symbol) itself."
      )
    }
    func blocked(_ why: String, price: Double = 0, source: String = "", fx: Double? = nil, u: Double = 0) -> BudgetTrade {
      BudgetTrade(
        symbol: symbol, assetClass: assetClass, price: price, priceSource: source, multiplier: spec.multiplier, fxRate: fx,
        unitExposure: u, lotSize: spec.lotSize, currentQuantity: quantity, currentExposure: current, targetExposure: target,
        unroundedQuantity: u > 0 ? (target - current) / u : 0, wantedQuantity: 0, quantity: 0, lots: 0, notional: 0,
        pieces: [], blocked: why, notes: notes, exposureAfter: current)
    }
    guard let (price, day, path, line) = AccountValuer.lastClose(data, symbol, on: account.asOf) else {
      return blocked("no close on or before \(account.asOf) in the market data.")
    }
    let source = "last close \(day), \(path) line \(line)"
    let age = account.asOf - day
    if age > profile.maxDataAgeDays {
      notes.append("the last close is \(age) days old at \(account.asOf) (the profile allows \(profile.maxDataAgeDays)).")
    }
    guard let fx = account.fx.rate(spec.currency) else {
      return blocked("no FX rate for \(spec.currency) into \(account.baseCurrency).", price: price, source: source)
    }
    let u = price * spec.multiplier * fx
    guard u > 0, u.isFinite else {
      return blocked("the price \(fmt(price)) gives no positive exposure per unit.", price: price, source: source, fx: fx)
    }
    let raw = (target - current) / u
    let rounded = roundDownToLot(abs(raw), lot: spec.lotSize)
    let sign: Double = raw < 0 ? -1 : 1
    let wanted = sign * rounded.quantity
    let notional = abs(wanted) * u
    if wanted == 0 && raw != 0 {
      notes.append("the change, \(fmt(abs(raw))) units, is less than one lot (\(fmt(spec.lotSize))).")
    }
    var pieces: [Double] = []
    var why: String? = nil
    if wanted != 0 {
      if notional <= cap * (1 + 1e-12) {
        pieces = [wanted]
      } else {
        let lotNotional = spec.lotSize * u
        let perPiece = (cap / lotNotional * (1 + 1e-12)).rounded(.down)
        if perPiece < 1 {
          why =
            "one lot (\(fmt(spec.lotSize)) units) is \(fmt(lotNotional)) \(account.baseCurrency) of notional, above the per-trade cap \(fmt(cap)) (max_position_notional × equity): it cannot be split, so it is not proposed; trade it deliberately or change the profile."
        } else if rounded.lots / perPiece > 1_000 {
          why =
            "it would take \(fmt((rounded.lots / perPiece).rounded(.up))) orders under the per-trade cap \(fmt(cap)); not proposed."
        } else {
          var remaining = rounded.lots
          while remaining > 0 {
            let k = min(perPiece, remaining)
            pieces.append(sign * roundDownToLot(k * spec.lotSize, lot: spec.lotSize).quantity)
            remaining -= k
          }
          notes.append(
            "\(fmt(notional)) \(account.baseCurrency) of notional is above the per-trade cap \(fmt(cap)): split into \(pieces.count) orders of at most \(fmt(perPiece)) lots."
          )
        }
      }
    }
    let proposed = why == nil ? wanted : 0
    let after = current + proposed * u
    if current < 0 && after > 0 {
      notes.append("turns the short position long (the target is long-only).")
    }
    return BudgetTrade(
      symbol: symbol, assetClass: assetClass, price: price, priceSource: source, multiplier: spec.multiplier, fxRate: fx,
      unitExposure: u, lotSize: spec.lotSize, currentQuantity: quantity, currentExposure: current, targetExposure: target,
      unroundedQuantity: raw, wantedQuantity: wanted, quantity: proposed,
      lots: why == nil ? sign * rounded.lots : 0, notional: why == nil ? notional : 0, pieces: why == nil ? pieces : [],
      blocked: why, notes: notes, exposureAfter: after)
  }

  /// Budgeted risk-parity weights for a new portfolio of `symbols`: long-only,
  /// fully invested, before leverage.
  ///
  /// - Throws: ``BudgetError``, ``UnknownInstrumentError``, ``EstimationError``,
  ///   ``InputError`` (budgets), ``RiskParityError``.
  public static func propose(
    market: MarketData, symbols: [String], settings: CovarianceSettings, asOf: Day?, budgets entries: [BudgetEntry]
  ) throws -> PortfolioProposal {
    let data = asOf.map { market.through($0) } ?? market
    var seen: Set<String> = []
    for s in symbols {
      if seen.contains(s) { throw BudgetError.duplicateInstrument(s) }
      seen.insert(s)
    }
    var histories: [PriceHistory] = []
    for s in symbols {
      guard let h = data[s] else {
        throw UnknownInstrumentError(symbol: s, suggestions: closeMatches(for: s, in: data.symbols), known: data.symbols.count)
      }
      histories.append(h)
    }
    guard symbols.count >= 2 else { throw BudgetError.tooFewInstruments(symbols) }
    let classes = symbols.map { data.catalog.spec(for: $0).assetClass }
    let budgets = try BudgetResolver.resolve(entries, symbols: symbols, classes: classes)
    let prepared = try covariance(histories, settings: settings)
    let solution = try RiskParity.solve(prepared.solver.matrix, budgets: budgets.values)
    let decomposition = try RiskDecomposition(covariance: prepared.solver.matrix, weights: solution.weights)
    let aligned = prepared.aligned
    return PortfolioProposal(
      symbols: symbols, classes: classes, settings: settings, observations: aligned.observations,
      periodsPerYear: aligned.periodsPerYear, firstReturnDay: aligned.days.first ?? Day(ordinal: 0),
      lastDay: aligned.days.last ?? Day(ordinal: 0), estimatorRepair: prepared.estimate.repair,
      solverRepair: prepared.solver.repair, solverFloor: prepared.solver.floor, budgets: budgets, solution: solution,
      decomposition: decomposition, warnings: market.warnings + budgets.warnings + prepared.warnings)
  }
}
