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
  public let diagnostics: [Diagnostic]
  public var warnings: [String] { diagnostics.messages }
}

public enum BudgetResolver {
  /// Turns the budgets as given into one positive budget per instrument, summing to 1.
  ///
  /// Rules, in order: an instrument's own budget; else its group's budget
  /// (`group:NAME`) split equally among the group's instruments without their own
  /// (an instrument in two budgeted groups is an error); else its asset class's
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
  ///   - groups: the groups of the book (``GroupMap``), for `group:NAME` budgets: a group's
  ///     budget is split equally among its members without their own, before any class budget.
  public static func resolve(
    _ entries: [BudgetEntry], symbols: [String], classes: [AssetClass], aliases: [String: String] = [:],
    groups: [InstrumentGroup] = []
  ) throws -> ResolvedBudgets {
    let n = symbols.count
    guard !entries.isEmpty else {
      return ResolvedBudgets(
        values: Array(repeating: 1 / Double(n), count: n), origins: Array(repeating: "equal (default)", count: n),
        isDefault: true, rawTotal: 1, diagnostics: [])
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
      case .group(let g) where !groups.contains(where: { $0.id == g && $0.members.contains(where: held.contains) }):
        let known = groups.map { "group:\($0.id)" }.joined(separator: ", ")
        problems.append(
          InputError(
            .unknownInstrument, path: e.source, line: e.line, field: e.field,
            "no group \(quotedName(g)) holds a position of the book, so group:\(g) cannot have a budget (groups: \(known.isEmpty ? "none" : known))."
          ))
      default: break
      }
    }
    // An instrument in two budgeted groups has no single group budget.
    var budgetedGroup: [String: String] = [:]
    for key in order {
      guard case .group(let g) = key, let grp = groups.first(where: { $0.id == g }) else { continue }
      for m in grp.members where held.contains(m) {
        if let other = budgetedGroup[m], other != g, byKey[.instrument(m)] == nil {
          let e = byKey[key]
          problems.append(
            InputError(
              .invalidValue, path: e?.source, line: e?.line, field: e?.field,
              "\(m) is in group:\(other) and group:\(g), both budgeted: give \(m) its own budget, or budget one of the groups."))
        }
        budgetedGroup[m] = g
      }
    }
    if problems.count == 1 { throw problems[0] }
    if !problems.isEmpty { throw InputErrors(problems) }

    func place(_ e: BudgetEntry) -> String { e.line.map { "\(e.source) line \($0)" } ?? e.source }
    var raw = [Double?](repeating: nil, count: n)
    var origins = [String](repeating: "", count: n)
    var warnings: [Diagnostic] = []
    for (i, s) in symbols.enumerated() {
      if let e = byKey[.instrument(s)] {
        raw[i] = e.value
        origins[i] = "\(s) budget, \(place(e))"
      }
    }
    for key in order {
      guard case .group(let g) = key, let e = byKey[key], let grp = groups.first(where: { $0.id == g }) else { continue }
      let members = symbols.indices.filter { grp.members.contains(symbols[$0]) && raw[$0] == nil }
      if members.isEmpty {
        warnings.append(
          Diagnostic(
            .groupBudgetUnused, subject: "group:\(g)",
            "the group:\(g) budget (\(place(e))) is unused: every member held has its own budget."))
        continue
      }
      for i in members {
        raw[i] = e.value / Double(members.count)
        origins[i] = "group:\(g) budget ÷ \(members.count), \(place(e))"
      }
    }
    for key in order {
      guard case .assetClass(let c) = key, let e = byKey[key] else { continue }
      let members = symbols.indices.filter { classes[$0] == c && raw[$0] == nil }
      if members.isEmpty {
        warnings.append(
          Diagnostic(
            .classBudgetUnused, subject: "class:\(c.rawValue)",
            "the class:\(c.rawValue) budget (\(place(e))) is unused: every \(c.rawValue) position has its own budget."))
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
      warnings.append(
        Diagnostic(.budgetsNormalised, "the budgets sum to \(fmt(total)), not 1: each is divided by \(fmt(total))."))
    }
    return ResolvedBudgets(
      values: values.map { $0 / total }, origins: origins, isDefault: false, rawTotal: total, diagnostics: warnings)
  }
}

func quotedName(_ s: String) -> String { "'\(s)'" }

// MARK: - Settings and errors

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
  /// `leverage × targetWeight`: the target as a fraction of equity.
  public let targetOfEquity: Double
  /// After the proposed trades.
  public let exposureAfter: Double
  public let contributionAfter: Double
  public let shareAfter: Double

  /// Share above (positive) or below the budget, in fractions.
  public var excess: Double { share - budget }
}

/// The caps on a target's leverage, with stable identifiers (JSON `id`).
public enum LeverageCapID: String, Sendable, Hashable, CaseIterable {
  case volatilityTarget = "volatility-target"
  case grossLeverage = "gross-leverage"
  case classLeverage = "class-leverage"
  case marginUtilisation = "margin-utilisation"
}

/// One group of the book (``GroupMap``): its risk share now, at the target and after the trades.
public struct BudgetGroupLine: Sendable, Hashable {
  public let group: InstrumentGroup
  /// Its members in the budget's covariance.
  public let members: [String]
  /// Σ |exposure| of the members, base currency.
  public let grossExposure: Double
  public let share: Double
  public let targetShare: Double
  public let shareAfter: Double
  /// Σ of the members' budgets.
  public let budget: Double
  /// The profile's max_group_risk_share and max_group_exposure (nil: not capped).
  public let maxShare: Double?
  public let maxExposure: Double?
}

/// A limit on the target's leverage, as the largest leverage it allows.
public struct LeverageCap: Sendable, Hashable {
  public let id: LeverageCapID
  public let title: String
  /// The class or instrument the cap is about.
  public let scope: String?
  /// The largest leverage (gross exposure / equity of the target) it allows.
  public let maxLeverage: Double
  public let formula: String
  public let inputs: [NamedValue]
  public internal(set) var binding: Bool
}

/// One proposed order of a budget trade: what `advisor check` passes in sequence.
public struct BudgetOrder: Sendable, Hashable {
  /// Signed units.
  public let quantity: Double
  /// The profile's rule stop for an order that opens risk; nil for one that only reduces.
  public let stop: Double?
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
  /// Rounded to the nearest whole lot: what reaching the target takes.
  public let wantedQuantity: Double
  /// What is proposed: the sum of ``orders``, each of which `advisor check` passes in sequence.
  public let quantity: Double
  public let lots: Double
  /// `|quantity| × unit exposure`, base currency.
  public let notional: Double
  /// The orders (signed units with their stops), in the sequence `check` passes them.
  public let orders: [BudgetOrder]
  /// Why the rest of the wanted quantity is not proposed, and the check's codes that block it.
  public let blocked: String?
  public let blockedBy: [FindingCode]
  public let notes: [String]
  public let exposureAfter: Double

  public var pieces: [Double] { orders.map(\.quantity) }
  public var side: String { quantity > 0 ? "buy" : quantity < 0 ? "sell" : "none" }
}

/// `advisor budget` on an account.
public struct BudgetReport: Sendable {
  public let accountName: String
  public let source: String
  public let baseCurrency: String
  public let asOf: Day
  public let equity: Double
  /// The base the target is levered on and the trades are checked against (``EquityBase``).
  public let equityBase: EquityBase
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
  /// leverage × the unlevered σ: the target's annual σ.
  public var leveredVolatility: Double { leverage * solution.volatility }
  public let caps: [LeverageCap]
  public let perTradeCap: Double
  /// In book order.
  public let trades: [BudgetTrade]
  /// Every proposed order in the order it was checked (and is to be sent): rounds over the
  /// trades, those that reduce a position first, each taking the largest order the check
  /// passes after the ones before it.
  public let sequence: [(symbol: String, order: BudgetOrder)]
  /// After the proposed trades (blocked ones excluded).
  public let after: RiskDecomposition
  /// Gross exposure of positions outside the covariance (no market data), base currency.
  public let excludedGross: Double
  /// Risk share by group (correlation clusters of the profile's covariance and hand-given groups).
  public let groups: [BudgetGroupLine]
  /// How the groups were formed (nil: hand-given groups only).
  public let groupSettings: CorrelatedGroupSettings?
  public let diagnostics: [Diagnostic]
  public var warnings: [String] { diagnostics.messages }

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
  public let diagnostics: [Diagnostic]
  public var warnings: [String] { diagnostics.messages }
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
  /// The covariance of `symbols` on their common dates (``CovariancePipeline``), checked for the solver.
  struct PreparedCovariance {
    let result: CovarianceResult
    let solver: SolverCovariance
    let diagnostics: [Diagnostic]
    var aligned: AlignedReturns { result.aligned }
    var estimate: CovarianceEstimate { result.estimate }
  }

  static func covariance(_ histories: [PriceHistory], settings: CovarianceSettings) throws -> PreparedCovariance {
    let result = try CovariancePipeline.estimate(histories, settings: settings)
    var diagnostics = result.diagnostics
    let solver = try SolverCovariance.prepare(result.annual, symbols: result.symbols)
    if let r = solver.repair, let floor = solver.floor {
      let why =
        result.aligned.observations <= histories.count
        ? "there are \(result.aligned.observations) observations for \(histories.count) instruments"
        : "some instruments are (nearly) linear combinations of others"
      diagnostics.append(
        Diagnostic(
          .covarianceSingular,
          "the covariance is singular (\(why)): \(r.clippedEigenvalues) eigenvalue(s) raised to \(sci(floor)) (1e-10 × the largest) so that the risk-parity weights are unique; relative Frobenius change \(sci(r.relativeChange))."
        ))
    }
    return PreparedCovariance(result: result, solver: solver, diagnostics: diagnostics)
  }

  /// Current risk, the budgeted risk-parity target levered to the regime, and the trades.
  ///
  /// Exposures are the risk model's (``Book``): base currency, options through their
  /// underlying (delta-adjusted); holdings the covariance cannot see (no, too little or
  /// stale data) are left out with a ``DiagnosticCode/holdingNotModelled`` diagnostic. The
  /// covariance is the regime profile's unless overridden. Every proposed order is one
  /// that `advisor check` passes in sequence under the same profile; what it would not
  /// pass is listed as blocked with the check's codes.
  ///
  /// - Throws: ``BudgetError``, ``EstimationError``, ``InputError`` (budgets),
  ///   ``RiskParityError``, ``UnknownRegimeError``, ``RegimeDetectionError``.
  public static func run(
    valuation: AccountValuation, market: MarketData, regimes: RegimeSet, request: BudgetRequest
  ) throws -> BudgetReport {
    let account = valuation.account
    let equity = valuation.equity
    guard !account.positions.isEmpty else { throw BudgetError.emptyAccount(source: account.source) }
    guard equity > 0, equity.isFinite else { throw BudgetError.nonPositiveEquity(equity, account.baseCurrency) }
    let model = RiskModel(valuation: valuation, market: market)
    let choice = try SizingService.chooseRegime(request.regime, regimes: regimes, model: model)
    let profile = choice.profile
    let settings = CovarianceSettings(
      method: request.method ?? profile.covarianceMethod, lookback: request.lookback ?? profile.covarianceLookback,
      lambda: request.lambda ?? profile.lambda,
      methodSource: request.method == nil ? "\(profile.source), covariance.estimator" : "--estimator",
      lookbackSource: request.lookback == nil ? "\(profile.source), covariance.lookback" : "--lookback",
      lambdaSource: request.lambda == nil ? "\(profile.source), lambda" : "--lambda")
    let book = model.book
    let held = book.riskSymbols.filter { book.exposure(of: $0) != 0 }
    let (symbols, excluded) = ModelledInstruments.select(
      held, market: model.market, asOf: book.asOf, lookback: settings.lookback, maxDataAgeDays: profile.maxDataAgeDays)
    guard !symbols.isEmpty else {
      throw BudgetError.noMarketData(positions: account.positions.map(\.symbol), source: account.source)
    }
    guard symbols.count >= 2 else { throw BudgetError.onePosition(symbol: symbols[0], source: account.source) }
    let prepared = try covariance(symbols.compactMap { model.market[$0] }, settings: settings)
    var diagnostics = excluded + prepared.diagnostics
    let classes = symbols.map { s in book.line(s)?.assetClass ?? model.catalog.spec(for: s).assetClass }
    var aliases: [String: String] = [:]
    for p in account.positions where p.assetClass == .option {
      if let u = p.underlying { aliases[p.symbol] = u }
    }
    // The groups `check` enforces: clustered on the profile's own covariance.
    var groupModel = model
    let profileRisk = (try? groupModel.covariance(profile))?.model
    let groupMap = GroupMap.of(book: book, risk: profileRisk, candidate: nil, profile: profile)
    let budgets = try BudgetResolver.resolve(
      request.budgets, symbols: symbols, classes: classes, aliases: aliases, groups: groupMap.groups)
    diagnostics += budgets.diagnostics
    let sigma = prepared.solver.matrix
    let exposures = symbols.map { book.exposure(of: $0) }
    let current = try RiskDecomposition(covariance: sigma, weights: exposures.map { $0 / equity })
    let p = Double(prepared.aligned.periodsPerYear)
    let grid = TailRiskGrid(
      dailyVolatility: current.volatility * equity / p.squareRoot(),
      pnl: HistoricalPnL.series(exposures: exposures, returns: prepared.aligned))
    let shorts = symbols.indices.filter { exposures[$0] < 0 }.map { symbols[$0] }
    if !shorts.isEmpty {
      diagnostics.append(
        Diagnostic(
          .shortTurnedLong, subject: shorts.joined(separator: ","),
          "\(shorts.joined(separator: ", ")) \(shorts.count == 1 ? "is" : "are") held short; the risk-parity target is long-only, so the trades turn \(shorts.count == 1 ? "it" : "them") long."
        ))
    }

    // The target.
    let solution = try RiskParity.solve(sigma, budgets: budgets.values)
    let target = try RiskDecomposition(covariance: sigma, weights: solution.weights)
    let modelled = Set(symbols)
    var excludedGross = 0.0
    var excludedByClass: [AssetClass: Double] = [:]
    for l in book.lines where !modelled.contains(l.riskSymbol) {
      excludedGross += abs(l.exposure)
      excludedByClass[l.assetClass, default: 0] += abs(l.exposure)
    }
    // Margin per unit of exposure of each instrument at its last close (0: no margin terms).
    let marginRates = symbols.map { s -> Double in
      let spec = model.catalog.spec(for: s)
      guard let (price, _, _, _) = AccountValuer.lastClose(model.market, s, on: account.asOf),
        let fx = account.fx.rate(spec.currency), let m = TradeSetup.unitMargin(spec: spec, entry: price, fx: fx)
      else { return 0 }
      let u = price * spec.multiplier * fx
      return u > 0 && u.isFinite ? m / u : 0
    }
    let marginOutside = book.lines.filter { !modelled.contains($0.riskSymbol) }.reduce(0) { $0 + $1.margin }
    // The target is levered on the equity base (drawdown-scaled under the profile), as every limit is.
    let equityBase = EquityBase.of(book, profile: profile)
    var caps = leverageCaps(
      profile: profile, solution: solution, symbols: symbols, classes: classes, equity: equityBase.value,
      excludedGross: excludedGross, excludedByClass: excludedByClass, marginRates: marginRates,
      marginOutside: marginOutside)
    let leverage = caps.map(\.maxLeverage).min() ?? 0
    if let k = caps.firstIndex(where: { $0.maxLeverage == leverage }) { caps[k].binding = true }
    if leverage <= 0 {
      diagnostics.append(
        Diagnostic(.noLeverageAllowed, "a cap allows no leverage at all: the target is to hold none of the book's instruments."))
    }
    let targetExposures = solution.weights.map { leverage * $0 * equityBase.value }
    let perTradeCap = profile.maxPositionNotional * equityBase.value
    for i in symbols.indices where abs(targetExposures[i]) > perTradeCap * (1 + 1e-12) {
      diagnostics.append(
        Diagnostic(
          .targetAboveNotionalCap, subject: symbols[i],
          "\(symbols[i])'s target exposure, \(fmt(targetExposures[i])) \(account.baseCurrency) (\(fmt((1000 * targetExposures[i] / equity).rounded() / 10))% of equity), is above max_position_notional (\(fmt(100 * profile.maxPositionNotional))% of equity in \(profile.source)): the trade stops where advisor check's notional cap does."
        ))
    }

    // Trades, through the pre-trade check in sequence.
    let (trades, sequence) = proposeTrades(
      symbols: symbols, classes: classes, current: exposures, targets: targetExposures, model: model, profile: profile,
      account: account)
    for t in trades where t.blocked != nil {
      diagnostics.append(Diagnostic(.tradeBlocked, subject: t.symbol, "\(t.symbol): \(t.blocked ?? "")"))
    }
    let after = trades.map(\.exposureAfter)
    let afterRisk = try RiskDecomposition(covariance: sigma, weights: after.map { $0 / equity })
    let lines = symbols.indices.map { i in
      BudgetLine(
        symbol: symbols[i], assetClass: classes[i],
        holdings: book.lines.filter { $0.riskSymbol == symbols[i] && $0.quantity != 0 }.map(\.symbol),
        exposure: exposures[i], weight: current.weights[i], annualVolatility: current.standaloneVolatility[i],
        marginal: current.marginal[i], contribution: current.contributions[i], share: current.shares[i],
        budget: budgets.values[i], budgetOrigin: budgets.origins[i], targetWeight: solution.weights[i],
        targetExposure: targetExposures[i], targetOfEquity: leverage * solution.weights[i], exposureAfter: after[i],
        contributionAfter: afterRisk.contributions[i],
        shareAfter: afterRisk.shares[i])
    }
    for d in model.inputDiagnostics { diagnostics.appendOnce(d) }
    let groupLines = groupMap.groups.compactMap { g -> BudgetGroupLine? in
      let idx = symbols.indices.filter { g.contains(symbols[$0]) }
      guard !idx.isEmpty else { return nil }
      return BudgetGroupLine(
        group: g, members: idx.map { symbols[$0] },
        grossExposure: g.members.reduce(0) { $0 + abs(book.exposure(of: $1)) },
        share: idx.reduce(0) { $0 + current.shares[$1] }, targetShare: idx.reduce(0) { $0 + target.shares[$1] },
        shareAfter: idx.reduce(0) { $0 + afterRisk.shares[$1] }, budget: idx.reduce(0) { $0 + budgets.values[$1] },
        maxShare: profile.maxGroupRiskShare, maxExposure: profile.maxGroupExposure)
    }
    return BudgetReport(
      accountName: account.name, source: account.source, baseCurrency: account.baseCurrency, asOf: account.asOf,
      equity: equity, equityBase: equityBase, choice: choice, settings: settings, observations: prepared.aligned.observations,
      periodsPerYear: prepared.aligned.periodsPerYear, firstReturnDay: prepared.aligned.days.first ?? account.asOf,
      lastDay: prepared.aligned.days.last ?? account.asOf, estimatorRepair: prepared.estimate.repair,
      solverRepair: prepared.solver.repair, solverFloor: prepared.solver.floor, budgets: budgets, lines: lines,
      current: current, parametric: grid.parametric, historical: grid.historical, solution: solution, target: target,
      targetVolatility: profile.portfolioVolatilityBudget, leverage: leverage, caps: caps, perTradeCap: perTradeCap,
      trades: trades, sequence: sequence, after: afterRisk, excludedGross: excludedGross, groups: groupLines,
      groupSettings: profile.correlatedGroups, diagnostics: diagnostics)
  }

  /// The caps on the target's leverage `L` (target exposure = L × w × equity, Σw = 1):
  /// the volatility target `τ / σ_w`; the gross cap `(G − gross outside) / Σw`;
  /// each class cap `(cap − its gross outside) / Σ_class w`; the margin cap
  /// `(max utilisation − margin outside / equity) / Σ wᵢ mᵢ`, with mᵢ the initial margin per
  /// unit of exposure of instrument i (its terms at the last close; the broker's stated
  /// figure is for today's book, not the target's). The per-position notional cap and the
  /// group limits are not leverage caps: `check` stops each trade at them (what is left is blocked).
  static func leverageCaps(
    profile: RegimeProfile, solution: RiskParitySolution, symbols: [String], classes: [AssetClass], equity: Double,
    excludedGross: Double, excludedByClass: [AssetClass: Double], marginRates: [Double] = [], marginOutside: Double = 0
  ) -> [LeverageCap] {
    let w = solution.weights
    var caps: [LeverageCap] = []
    let sigmaW = solution.volatility
    caps.append(
      LeverageCap(
        id: .volatilityTarget, title: "portfolio volatility target", scope: nil,
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
        id: .grossLeverage, title: "account gross leverage", scope: nil,
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
          id: .classLeverage, title: "\(c.rawValue) gross leverage", scope: c.rawValue,
          maxLeverage: max(0, cap - out) / share,
          formula: "\(c.rawValue) cap\(out > 0 ? " − its gross outside the model" : "") / Σ \(c.rawValue) weights",
          inputs: [
            NamedValue("\(c.rawValue) cap", cap, "×", source: "\(profile.source), max_leverage_by_class.\(c.rawValue)"),
            NamedValue("Σ \(c.rawValue) weights", share),
          ] + (out > 0 ? [NamedValue("outside the model", out, "×")] : []), binding: false))
    }
    if let cap = profile.maxMarginUtilisation, marginRates.count == w.count {
      let perLeverage = w.indices.reduce(0) { $0 + w[$1] * marginRates[$1] }
      if perLeverage > 0 {
        let out = marginOutside / equity
        caps.append(
          LeverageCap(
            id: .marginUtilisation, title: "margin utilisation", scope: nil,
            maxLeverage: max(0, cap - out) / perLeverage,
            formula:
              "(max margin utilisation\(out > 0 ? " − margin outside the model / equity" : "")) / Σ wᵢ × margin per unit of exposureᵢ",
            inputs: [
              NamedValue("max margin utilisation", cap, "× equity", source: "\(profile.source), max_margin_utilisation"),
              NamedValue("Σ wᵢ mᵢ", perLeverage, "margin / exposure"),
            ] + (out > 0 ? [NamedValue("margin outside the model", out, "× equity")] : []), binding: false))
      }
    }
    return caps
  }

  /// The trades toward the targets, as orders the pre-trade check passes in sequence. In
  /// rounds over the instruments (the trades that reduce a position first, then the others,
  /// each in book order) every trade takes the largest order the check passes now, so that
  /// limits that link positions (risk shares, the volatility budget) let each move in step;
  /// the rounds stop when no trade can move. What is left of a trade is blocked, with the
  /// codes the check gives one more lot.
  static func proposeTrades(
    symbols: [String], classes: [AssetClass], current: [Double], targets: [Double], model: RiskModel,
    profile: RegimeProfile, account: Account
  ) -> ([BudgetTrade], [(symbol: String, order: BudgetOrder)]) {
    var checker = PreTradeChecker(model: model, profile: profile)
    let reducing = symbols.indices.filter { abs(targets[$0]) < abs(current[$0]) && targets[$0] * current[$0] >= 0 }
    let order = reducing + symbols.indices.filter { !reducing.contains($0) }
    var plans = symbols.indices.map {
      plan(
        symbols[$0], assetClass: classes[$0], current: current[$0], target: targets[$0], book: checker.book,
        data: checker.model.market, account: account)
    }
    var sequence: [(symbol: String, order: BudgetOrder)] = []
    for _ in 0..<1_000 {
      var moved = false
      for i in order where plans[i].remaining > 0 && plans[i].blocked == nil {
        guard let piece = nextPiece(plans[i], checker: &checker, profile: profile) else { continue }
        plans[i].orders.append(piece)
        plans[i].remaining = roundDownToLot(plans[i].remaining - abs(piece.quantity), lot: plans[i].lot).quantity
        sequence.append((symbols[i], piece))
        moved = true
      }
      if !moved { break }
    }
    let trades = plans.map { p -> BudgetTrade in
      var p = p
      if p.remaining > 0, p.blocked == nil {
        let r = checker.preview(Self.order(p.symbol, p.side, p.lot, checker: &checker, profile: profile, price: p.price))
        p.blockedBy = r.failingCodes
        let what =
          p.remaining == abs(p.wanted)
          ? "the \(fmt(abs(p.wanted))) units wanted are"
          : "the other \(fmt(p.remaining)) of the \(fmt(abs(p.wanted))) units wanted are"
        p.blocked =
          "\(what) not proposed: advisor check fails one more lot (\(p.blockedBy.map(\.rawValue).joined(separator: ", ")))."
      }
      return p.trade()
    }
    return (trades, sequence)
  }

  /// A trade being planned: from `current` to `target` exposure, the nearest whole lot.
  struct TradePlan {
    let symbol: String
    let assetClass: AssetClass
    let spec: InstrumentSpec
    let price: Double
    let source: String
    let fx: Double?
    let unit: Double
    let quantity: Double
    let current: Double
    let target: Double
    let raw: Double
    let wanted: Double
    var notes: [String]
    var remaining: Double
    var orders: [BudgetOrder] = []
    var blocked: String?
    var blockedBy: [FindingCode] = []

    var lot: Double { spec.lotSize }
    var side: TradeSide { wanted < 0 ? .short : .long }

    func trade() -> BudgetTrade {
      let proposed = orders.reduce(0) { $0 + $1.quantity }
      var notes = self.notes
      if orders.count > 1 {
        notes.append("split into \(orders.count) orders, each within the limits advisor check applies after the ones before it.")
      }
      let after = current + proposed * unit
      if current < 0 && after > 0 { notes.append("turns the short position long (the target is long-only).") }
      return BudgetTrade(
        symbol: symbol, assetClass: assetClass, price: price, priceSource: source, multiplier: spec.multiplier, fxRate: fx,
        unitExposure: unit, lotSize: lot, currentQuantity: quantity, currentExposure: current, targetExposure: target,
        unroundedQuantity: raw, wantedQuantity: wanted, quantity: proposed,
        lots: (proposed < 0 ? -1 : 1) * (abs(proposed) / lot).rounded(), notional: abs(proposed) * unit, orders: orders,
        blocked: blocked, blockedBy: blockedBy, notes: notes, exposureAfter: after)
    }
  }

  static func plan(
    _ symbol: String, assetClass: AssetClass, current: Double, target: Double, book: Book, data: MarketData, account: Account
  ) -> TradePlan {
    let spec = data.catalog.spec(for: symbol)
    var notes: [String] = []
    let options = book.lines.filter { $0.riskSymbol == symbol && $0.symbol != symbol && $0.quantity != 0 }
    if !options.isEmpty {
      let e = options.reduce(0) { $0 + $1.exposure }
      notes.append(
        "includes \(fmt(e)) \(account.baseCurrency) of delta-adjusted option exposure (\(options.map(\.symbol).joined(separator: ", "))); the trade is in \(symbol) itself."
      )
    }
    func blocked(_ why: String, price: Double = 0, source: String = "", fx: Double? = nil) -> TradePlan {
      TradePlan(
        symbol: symbol, assetClass: assetClass, spec: spec, price: price, source: source, fx: fx, unit: 0,
        quantity: book.quantity(of: symbol), current: current, target: target, raw: 0, wanted: 0, notes: notes, remaining: 0,
        blocked: why)
    }
    guard let (price, day, path, line) = AccountValuer.lastClose(data, symbol, on: account.asOf) else {
      return blocked("no close on or before \(account.asOf) in the market data.")
    }
    let source = "last close \(day), \(path) line \(line)"
    guard let fx = account.fx.rate(spec.currency) else {
      return blocked("no FX rate for \(spec.currency) into \(account.baseCurrency).", price: price, source: source)
    }
    let u = price * spec.multiplier * fx
    guard u > 0, u.isFinite else {
      return blocked("the price \(fmt(price)) gives no positive exposure per unit.", price: price, source: source, fx: fx)
    }
    let raw = (target - current) / u
    let lots = (abs(raw) / spec.lotSize).rounded()
    let wanted = (raw < 0 ? -1 : 1) * roundDownToLot(lots * spec.lotSize, lot: spec.lotSize).quantity
    if wanted == 0 && raw != 0 {
      notes.append("the change, \(fmt(abs(raw))) units, is less than half a lot (\(fmt(spec.lotSize))).")
    }
    return TradePlan(
      symbol: symbol, assetClass: assetClass, spec: spec, price: price, source: source, fx: fx, unit: u,
      quantity: book.quantity(of: symbol), current: current, target: target, raw: raw, wanted: wanted, notes: notes,
      remaining: abs(wanted))
  }

  /// The order with the profile's rule stop when it opens risk (none when it only reduces).
  static func order(
    _ symbol: String, _ side: TradeSide, _ q: Double, checker: inout PreTradeChecker, profile: RegimeProfile, price: Double
  ) -> Order {
    let held = checker.book.quantity(of: symbol)
    let reduces = held * side.sign < 0 && q <= abs(held) * (1 + 1e-12)
    var stop: Double? = nil
    if !reduces, let stats = try? checker.stats(symbol, profile) {
      stop = try? TradeSetup.ruleStop(profile: profile, side: side, entry: price, stats: stats).stop
    }
    return Order(symbol: symbol, side: side, quantity: q, stop: stop)
  }

  /// The largest order up to what the plan still wants that the check passes now, applied;
  /// nil when none does.
  static func nextPiece(_ p: TradePlan, checker: inout PreTradeChecker, profile: RegimeProfile) -> BudgetOrder? {
    let full = order(p.symbol, p.side, p.remaining, checker: &checker, profile: profile, price: p.price)
    var q = p.remaining
    let preview = checker.preview(full)
    if !preview.passed(strict: false) {
      q = min(p.remaining, roundDownToLot(preview.maxQuantity ?? 0, lot: p.lot).quantity)
      guard q > 0 else { return nil }
    }
    let o = order(p.symbol, p.side, q, checker: &checker, profile: profile, price: p.price)
    guard checker.check(o).passed(strict: false) else { return nil }
    return BudgetOrder(quantity: p.side.sign * q, stop: o.stop)
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
    var diagnostics: [Diagnostic] = []
    for s in symbols { diagnostics += RiskModel.droppedRows(s, in: data) }
    return PortfolioProposal(
      symbols: symbols, classes: classes, settings: settings, observations: aligned.observations,
      periodsPerYear: aligned.periodsPerYear, firstReturnDay: aligned.days.first ?? Day(ordinal: 0),
      lastDay: aligned.days.last ?? Day(ordinal: 0), estimatorRepair: prepared.estimate.repair,
      solverRepair: prepared.solver.repair, solverFloor: prepared.solver.floor, budgets: budgets, solution: solution,
      decomposition: decomposition, diagnostics: diagnostics + budgets.diagnostics + prepared.diagnostics)
  }
}
