import Foundation
import RiskCore

public enum BudgetFormat: String, Sendable, CaseIterable {
  case text, json, markdown
}

/// Renders `advisor budget`: the answer first (where the risk is, the verdict,
/// the target and its leverage), then the tables, the trades and why.
public enum BudgetRenderer {
  public static let schemaVersion = 1

  public static func render(_ report: BudgetReport, as format: BudgetFormat) throws -> String {
    try NonFinite.guarding("budget report (--format \(format.rawValue))") {
      switch format {
      case .text: return text(report, markdown: false)
      case .markdown: return text(report, markdown: true)
      case .json: return try json(report).rendered() + "\n"
      }
    }
  }

  public static func render(_ proposal: PortfolioProposal, as format: BudgetFormat) throws -> String {
    try NonFinite.guarding("portfolio proposal (--format \(format.rawValue))") {
      switch format {
      case .text: return text(proposal, markdown: false)
      case .markdown: return text(proposal, markdown: true)
      case .json: return try json(proposal).rendered() + "\n"
      }
    }
  }

  // MARK: conventions, stated in every output

  static func conventions(periodsPerYear p: Int, observations: Int) -> [String] {
    [
      "Weights are exposures / equity (net liquidation value); exposures are those of advisor aum: base currency, options delta-adjusted through their underlying.",
      "Σ is the daily covariance of simple returns on the instruments' common dates × P (P = \(p)); σ_p = √(wᵀΣw) is annual, as a fraction of equity.",
      "Marginal contribution MCRᵢ = (Σw)ᵢ / σ_p; Euler contribution RCᵢ = wᵢ·MCRᵢ (they sum to σ_p); risk share RCᵢ / σ_p (shares sum to 100%; a hedge's is negative).",
      "Diversification ratio = Σ |wᵢ| σᵢ / σ_p.",
      "Parametric VaR/ES: normal, zero mean, 1-day σ = annual σ / √P, h-day σ = 1-day σ × √h; VaR = z_α σ_h, ES = σ_h φ(z_α) / (1 − α). Losses are positive.",
      "Historical VaR/ES: P&Lₜ = Σ exposureᵢ × rᵢ,ₜ over the \(observations) aligned daily returns (current exposures held fixed); VaR = −(1 − α) quantile by linear interpolation (numpy's default), ES = −mean of the P&Ls at or below it; 10-day = 1-day × √10.",
      "Risk parity: long-only weights with risk shares equal to the budgets, minimising ½xᵀΣx − bᵀ log x (coordinate-descent warm start, then Newton with a Cholesky solve each step), w = x / Σx; the scale of Σ (daily or annual, 1/T or 1/(T−1)) does not change them.",
    ]
  }

  static func covarianceLine(_ s: CovarianceSettings, observations: Int, first: Day, last: Day) -> String {
    let lambda = s.method == .ewma ? ", λ \(Format.fixed(s.lambda, 2))" : ""
    return "covariance \(s.method.rawValue), \(observations) returns \(first) to \(last)\(lambda)"
  }

  static func solverLine(_ s: RiskParitySolution) -> String {
    let sweeps = s.sweeps == 0 ? "" : "\(s.sweeps) coordinate-descent sweep\(s.sweeps == 1 ? "" : "s") then "
    return
      "converged after \(sweeps)\(s.iterations) Newton iteration\(s.iterations == 1 ? "" : "s") (Cholesky, dposv): largest |risk share − budget| \(small(s.residual)) (stops when max |xᵢ(Σx)ᵢ − bᵢ| ≤ \(scientific(s.tolerance)))"
  }

  static func pp(_ x: Double) -> String { (x >= 0 ? "+" : "") + Format.fixed(x * 100, 2) + " pp" }

  /// A table; in Markdown set off by blank lines, so that text next to it stays out of it.
  static func table(_ t: TextTable, markdown: Bool) -> String {
    markdown ? "\n" + AUMRenderer.markdownTable(t) + "\n" : t.render(indent: "  ")
  }

  /// Joins lines; in Markdown, runs of blank lines become one.
  static func joined(_ lines: [String], markdown: Bool) -> String {
    var text = lines.joined(separator: "\n") + "\n"
    if markdown {
      while text.contains("\n\n\n") { text = text.replacingOccurrences(of: "\n\n\n", with: "\n\n") }
    }
    return text
  }

  static func qty(_ q: Double, lot: Double) -> String {
    q == 0 ? "0" : (q > 0 ? "+" : "") + SizeRenderer.qty(q, lot: lot)
  }

  // MARK: text and markdown, account

  public static func verdict(_ r: BudgetReport) -> [String] {
    let over = r.overBudget
    if over.isEmpty { return ["every position is within its risk budget."] }
    return over.map { l in
      "\(l.symbol) carries \(Format.percent(l.share)) of the risk against a budget of \(Format.percent(l.budget)) (\(pp(l.excess)))"
    }
  }

  public static func text(_ r: BudgetReport, markdown: Bool) -> String {
    let b = r.baseCurrency
    let h2 = markdown ? "## " : ""
    let h3 = markdown ? "### " : ""
    let p = r.choice.profile
    var out: [String] = []
    out.append("\(h2)Risk budget — \(r.accountName), base \(b), as of \(r.asOf) (\(r.source))")
    out.append(
      "\(p.name) regime\(r.choice.auto ? " (auto)" : "") — \(p.source); \(covarianceLine(r.settings, observations: r.observations, first: r.firstReturnDay, last: r.lastDay))"
    )
    out.append("")
    let dailyMoney = r.current.volatility * r.equity / Double(r.periodsPerYear).squareRoot()
    var head: [(String, String)] = [
      ("Equity", "\(Format.money(r.equity)) \(b)"),
      (
        "Portfolio σ",
        "\(Format.percent(r.current.volatility)) a year = \(Format.money(r.current.volatility * r.equity)) \(b) (1-day \(Format.money(dailyMoney)) \(b))"
      ),
      ("Diversification", r.current.diversificationRatio.map { Format.fixed($0, 2) + "  (Σ |w| σ / σ_p)" } ?? "—"),
    ]
    if let v = r.parametric.first(where: { $0.level == 0.99 && $0.horizonDays == 1 }),
      let h = r.historical.first(where: { $0.level == 0.99 && $0.horizonDays == 1 })
    {
      head.append(
        (
          "1-day 99% VaR",
          "\(Format.money(v.valueAtRisk)) \(b) normal, \(Format.money(h.valueAtRisk)) \(b) historical (ES \(Format.money(v.expectedShortfall)) / \(Format.money(h.expectedShortfall)))"
        ))
    }
    let verdictLines = verdict(r)
    head.append(("Over budget", verdictLines[0]))
    for extra in verdictLines.dropFirst() { head.append(("", extra)) }
    let budgetKind = r.budgets.isDefault ? "equal risk contribution" : "custom risk budgets"
    let bindingText =
      r.binding.map { c in c.id == .volatilityTarget ? "the volatility target (no cap binds)" : capName(c) } ?? "none"
    head.append(
      (
        "Target",
        "\(budgetKind), leverage \(Format.fixed(r.leverage, 2))× → σ \(Format.percent(r.leveredVolatility)) a year (regime target \(Format.percent(r.targetVolatility)))"
      ))
    head.append(("Binding", bindingText))
    head.append(
      (
        "After trades",
        "σ \(Format.percent(r.after.volatility)) a year; \(r.trades.filter { $0.quantity != 0 }.count) trades, \(r.trades.filter { $0.blocked != nil }.count) not proposed"
      ))
    if markdown {
      out.append("| | |")
      out.append("|---|---|")
      for (k, v) in head { out.append("| \(k) | \(v.replacingOccurrences(of: "|", with: "\\|")) |") }
    } else {
      let w = head.map(\.0.count).max() ?? 0
      for (k, v) in head { out.append("  " + k + String(repeating: " ", count: w - k.count) + "  " + v) }
    }
    out.append("")

    out.append("\(h3)Where the risk is (weights of equity; σ, MCR and contributions annual)")
    var t = TextTable(
      ["Symbol", "Class", "Exposure \(b)", "Weight", "σ", "MCR", "Contribution", "Share", "Budget", "vs budget"],
      leftAligned: [0, 1])
    for l in r.lines {
      t.add([
        l.symbol, l.assetClass.rawValue, Format.money(l.exposure), Format.percent(l.weight), Format.percent(l.annualVolatility),
        Format.fixed(l.marginal, 4), Format.percent(l.contribution), Format.percent(l.share), Format.percent(l.budget),
        pp(l.excess),
      ])
    }
    t.add([
      "Total", "", Format.money(r.lines.reduce(0) { $0 + $1.exposure }), Format.percent(r.current.weights.reduce(0, +)), "", "",
      Format.percent(r.current.contributions.reduce(0, +)), Format.percent(r.current.shares.reduce(0, +)),
      Format.percent(r.budgets.values.reduce(0, +)), "",
    ])
    out.append(table(t, markdown: markdown))
    let mapped = r.lines.filter { $0.holdings.count > 1 || $0.holdings.first != $0.symbol }
    for l in mapped { out.append("  \(l.symbol) includes \(l.holdings.joined(separator: ", ")).") }
    out.append("")
    out += groupLines(r, markdown: markdown)

    out.append(
      "\(h3)Value at risk and expected shortfall (losses in \(b); normal: zero mean, √t; historical: \(r.observations) daily P&Ls)"
    )
    var v = TextTable(["Method", "Level", "Horizon", "VaR", "of equity", "ES", "of equity"], leftAligned: [0])
    for (name, rows) in [("normal", r.parametric), ("historical", r.historical)] {
      for x in rows {
        v.add([
          name, Format.percent(x.level, 0), "\(x.horizonDays) day\(x.horizonDays == 1 ? "" : "s")", Format.money(x.valueAtRisk),
          Format.percent(x.valueAtRisk / r.equity), Format.money(x.expectedShortfall),
          Format.percent(x.expectedShortfall / r.equity),
        ])
      }
    }
    out.append(table(v, markdown: markdown))
    out.append("")

    out.append("\(h3)Target: budgeted risk parity (long-only), levered to the regime")
    out.append("  " + solverLine(r.solution))
    out.append(
      "  Unlevered σ \(Format.percent(r.solution.volatility)) a year, diversification \(r.target.diversificationRatio.map { Format.fixed($0, 2) } ?? "—"); leverage = the smallest of:"
    )
    var c = TextTable(["Cap", "Max leverage", "", "How"], leftAligned: [0, 2, 3])
    for cap in r.caps {
      c.add([
        capName(cap), Format.fixed(cap.maxLeverage, 2) + "×", cap.binding ? "← binding" : "",
        cap.formula + "  [" + cap.inputs.map { "\($0.name) \(SizeRenderer.num($0.value))" }.joined(separator: ", ") + "]",
      ])
    }
    out.append(table(c, markdown: markdown))
    out.append("")
    var tw = TextTable(
      ["Symbol", "Budget", "RP weight", "Target of equity", "Target exposure \(b)", "Share now", "Share after"], leftAligned: [0])
    for l in r.lines {
      tw.add([
        l.symbol, Format.percent(l.budget), Format.percent(l.targetWeight), Format.percent(l.targetOfEquity),
        Format.money(l.targetExposure), Format.percent(l.share), Format.percent(l.shareAfter),
      ])
    }
    out.append(table(tw, markdown: markdown))
    out.append("")

    out.append(
      "\(h3)Trades to the target (nearest whole lots; every order passes advisor check in sequence under the \(r.choice.profile.name) profile)"
    )
    var tt = TextTable(
      ["Symbol", "Side", "Quantity", "Notional \(b)", "Exposure now → after", "Contribution now → after", "Orders"],
      leftAligned: [0, 1, 6])
    var notes: [String] = []
    for tr in r.trades {
      let line = r.lines.first { $0.symbol == tr.symbol }
      tt.add([
        tr.symbol, tr.quantity == 0 ? "—" : tr.side, qty(tr.quantity, lot: tr.lotSize),
        tr.quantity == 0 ? "—" : Format.money(tr.notional),
        "\(Format.money(tr.currentExposure)) → \(Format.money(tr.exposureAfter))",
        line.map { "\(Format.percent($0.contribution)) → \(Format.percent($0.contributionAfter))" } ?? "",
        (tr.pieces.count > 1 ? "\(tr.pieces.count) orders" : tr.quantity == 0 ? "" : "1")
          + (tr.blocked != nil ? (tr.quantity == 0 ? "blocked" : ", rest blocked") : ""),
      ])
      if let why = tr.blocked { notes.append("\(tr.symbol): \(why)") }
      if tr.pieces.count > 1 {
        notes.append("\(tr.symbol): orders \(tr.pieces.map { qty($0, lot: tr.lotSize) }.joined(separator: ", ")).")
      }
      for n in tr.notes { notes.append("\(tr.symbol): \(n)") }
    }
    out.append(table(tt, markdown: markdown))
    for n in notes { out.append("  - " + n) }
    out.append(
      "  Portfolio σ \(Format.percent(r.current.volatility)) now → \(Format.percent(r.after.volatility)) after the proposed trades (exact target \(Format.percent(r.leveredVolatility)); rounding to lots and trades not proposed account for the difference)."
    )
    out.append("")

    out.append("\(h3)Inputs")
    var ti = TextTable(["Input", "Value", "Source"], leftAligned: [0, 1, 2])
    for (name, value, source) in inputs(r) { ti.add([name, value, source]) }
    out.append(table(ti, markdown: markdown))
    out.append("")
    if !r.budgets.isDefault {
      out.append("\(h3)Budgets")
      for l in r.lines { out.append("  \(l.symbol) \(Format.percent(l.budget)): \(l.budgetOrigin)") }
      out.append("")
    }
    if r.choice.auto {
      out.append("\(h3)Regime evidence (--regime auto)")
      for e in r.choice.evidence {
        out.append(
          "  \(e.subject): \(e.window)-day σ \(Format.percent(e.current)) a year is at the \(Format.fixed(e.percentile * 100, 0))th percentile of its \(e.samples) rolling values (bounds \(e.bounds.map { Format.percent($0) }.joined(separator: " / "))) → \(e.regime)"
        )
      }
      out.append("")
    }
    out.append("\(h3)Conventions")
    for line in conventions(periodsPerYear: r.periodsPerYear, observations: r.observations) { out.append("  - " + line) }
    if !r.warnings.isEmpty {
      out.append("")
      out.append("\(h3)Warnings")
      out += r.warnings.map { "  - " + $0 }
    }
    return joined(out, markdown: markdown)
  }

  static func capName(_ c: LeverageCap) -> String { c.title }

  /// "Risk by group": the groups the group limits cap, with their shares now, at the target and after.
  static func groupLines(_ r: BudgetReport, markdown: Bool) -> [String] {
    let how =
      r.groupSettings.map {
        $0.usesClusters
          ? "\($0.description) of the profile's covariance\($0.usesHandGroups ? ", and the groups of instruments.yaml" : "")"
          : "the groups of instruments.yaml"
      } ?? "the groups of instruments.yaml (the profile sets no correlated_groups)"
    guard !r.groups.isEmpty else { return ["Risk by group: no group (\(how)).", ""] }
    var out = ["\(markdown ? "### " : "")Risk by group (\(how))"]
    var t = TextTable(
      ["Group", "From", "Members", "Gross \(r.baseCurrency)", "Share", "Budget", "Target", "After", "Cap"],
      leftAligned: [0, 1, 2])
    for g in r.groups {
      t.add([
        g.group.id, g.group.origin == .cluster ? "cluster" : "instruments.yaml", g.members.joined(separator: ", "),
        Format.money(g.grossExposure), Format.percent(g.share), Format.percent(g.budget), Format.percent(g.targetShare),
        Format.percent(g.shareAfter), g.maxShare.map { Format.percent($0) } ?? "—",
      ])
    }
    out.append(table(t, markdown: markdown))
    out.append("")
    return out
  }

  static func groupsJSON(_ r: BudgetReport) -> JSONValue {
    .array(
      r.groups.map { g in
        [
          "id": .string(g.group.id), "origin": .string(g.group.origin.rawValue),
          "members": .array(g.group.members.map { .string($0) }), "modelled": .array(g.members.map { .string($0) }),
          "grossExposure": .number(g.grossExposure), "riskShare": .number(g.share), "targetRiskShare": .number(g.targetShare),
          "riskShareAfter": .number(g.shareAfter), "budget": .number(g.budget), "maxRiskShare": .optional(g.maxShare),
          "maxExposure": .optional(g.maxExposure),
        ]
      })
  }

  /// A tiny error in scientific notation, or the bound it is under when it is
  /// at rounding level (so that output does not change with the BLAS build).
  static func small(_ x: Double) -> String { x < 1e-14 ? "< 1e-14" : scientific(x) }

  /// `x` as `m.me±k` with one decimal (locale-free): 2.5e-13.
  static func scientific(_ x: Double) -> String {
    guard x > 0, x.isFinite else { return Format.fixed(x, 1) }
    var e = Int(log10(x).rounded(.down))
    var m = x / pow(10, Double(e))
    if (m * 10).rounded() >= 100 {
      m /= 10
      e += 1
    }
    let mantissa = Format.fixed(m, 1)
    return (mantissa.hasSuffix(".0") ? String(mantissa.dropLast(2)) : mantissa) + "e" + String(e)
  }

  static func inputs(_ r: BudgetReport) -> [(String, String, String)] {
    let s = r.settings
    var rows: [(String, String, String)] = [
      ("equity", "\(Format.money(r.equity)) \(r.baseCurrency)", "\(r.source), valued at \(r.asOf)"),
      ("equity base (target, caps, trades)", "\(Format.money(r.equityBase.value)) \(r.baseCurrency)", r.equityBase.source),
      ("covariance estimator", s.method.rawValue, s.methodSource),
      ("lookback", "\(s.lookback) returns", s.lookbackSource),
    ]
    if s.method == .ewma { rows.append(("λ", Format.fixed(s.lambda, 2), s.lambdaSource)) }
    rows.append(("periods per year", "\(r.periodsPerYear)", "inferred from the aligned calendar"))
    let p = r.choice.profile
    rows.append(("target σ", Format.percent(r.targetVolatility), "\(p.source), portfolio_volatility_budget"))
    rows.append(("max gross leverage", Format.fixed(p.maxGrossLeverage, 2) + "×", "\(p.source), max_gross_leverage"))
    rows.append(("max position notional", Format.percent(p.maxPositionNotional), "\(p.source), max_position_notional"))
    rows.append(
      ("budgets", r.budgets.isDefault ? "equal, 1/\(r.lines.count)" : "custom", r.budgets.isDefault ? "default" : "see Budgets"))
    return rows
  }

  // MARK: JSON, account

  static func tail(_ rows: [TailRisk], equity: Double) -> JSONValue {
    .array(
      rows.map { x in
        [
          "level": .number(x.level), "horizonDays": .integer(x.horizonDays), "valueAtRisk": .number(x.valueAtRisk),
          "expectedShortfall": .number(x.expectedShortfall), "valueAtRiskFractionOfEquity": .number(x.valueAtRisk / equity),
          "expectedShortfallFractionOfEquity": .number(x.expectedShortfall / equity),
        ]
      })
  }

  /// A repair as JSON (the matrix itself is not printed).
  typealias RepairFigures = (minimumEigenvalueBefore: Double, clippedEigenvalues: Int, relativeChange: Double)

  static func covarianceJSON(
    _ s: CovarianceSettings, observations: Int, periodsPerYear: Int, first: Day, last: Day, estimatorRepair: RepairFigures?,
    solverRepair: RepairFigures?, solverFloor: Double?
  ) -> JSONValue {
    var o: [String: JSONValue] = [
      "estimator": .string(s.method.rawValue), "lookback": .integer(s.lookback), "observations": .integer(observations),
      "periodsPerYear": .integer(periodsPerYear), "firstReturnDate": .string(first.description),
      "lastDate": .string(last.description), "returns": "simple", "annualised": "daily × periodsPerYear",
    ]
    if s.method == .ewma { o["lambda"] = .number(s.lambda) }
    if !s.methodSource.isEmpty {
      o["sources"] = [
        "estimator": .string(s.methodSource), "lookback": .string(s.lookbackSource), "lambda": .string(s.lambdaSource),
      ]
    }
    if let r = estimatorRepair {
      o["repair"] = [
        "minimumEigenvalueBefore": .number(r.minimumEigenvalueBefore), "clippedEigenvalues": .integer(r.clippedEigenvalues),
        "relativeChange": .number(r.relativeChange), "floor": 0,
      ]
    }
    if let r = solverRepair {
      o["solverRepair"] = [
        "minimumEigenvalueBefore": .number(r.minimumEigenvalueBefore), "clippedEigenvalues": .integer(r.clippedEigenvalues),
        "relativeChange": .number(r.relativeChange), "floor": .optional(solverFloor),
      ]
    }
    return .object(o)
  }

  static func solverJSON(_ s: RiskParitySolution) -> JSONValue {
    [
      "method":
        "cyclical coordinate descent (warm start), then Newton on ½xᵀΣx − bᵀ log x with a Cholesky (dposv) solve each step, positivity and Armijo line search; w = x / Σx",
      "iterations": .integer(s.iterations), "sweeps": .integer(s.sweeps), "tolerance": .number(s.tolerance),
      "stoppingResidual": .number(s.stoppingResidual),
      "stoppingRule": "max |xᵢ(Σx)ᵢ − bᵢ| ≤ tolerance", "residual": .number(s.residual),
      "residualDefinition": "max |wᵢ(Σw)ᵢ / wᵀΣw − bᵢ|",
    ]
  }

  public static func json(_ r: BudgetReport) -> JSONValue {
    let p = r.choice.profile
    var weights: [String: JSONValue] = [:]
    for l in r.lines { weights[l.symbol] = .number(l.targetWeight) }
    var doc: [String: JSONValue] = [
      "schemaVersion": .integer(schemaVersion),
      "command": "budget",
      "mode": "account",
      "account": [
        "name": .string(r.accountName), "source": .string(r.source), "baseCurrency": .string(r.baseCurrency),
        "asOf": .string(r.asOf.description),
      ],
      "equity": .number(r.equity),
      "equityBase": SizeRenderer.equityBase(r.equityBase),
      "regime": .string(p.name),
      "regimeSource": .string(r.choice.auto ? "auto" : "flag"),
      "profile": .string(p.source),
      "covariance": covarianceJSON(
        r.settings, observations: r.observations, periodsPerYear: r.periodsPerYear, first: r.firstReturnDay, last: r.lastDay,
        estimatorRepair: r.estimatorRepair.map { ($0.minimumEigenvalueBefore, $0.clippedEigenvalues, $0.relativeChange) },
        solverRepair: r.solverRepair.map { ($0.minimumEigenvalueBefore, $0.clippedEigenvalues, $0.relativeChange) },
        solverFloor: r.solverFloor),
      "positions": .array(
        r.lines.map { l in
          [
            "symbol": .string(l.symbol), "assetClass": .string(l.assetClass.rawValue),
            "holdings": .array(l.holdings.map { .string($0) }), "exposure": .number(l.exposure), "weight": .number(l.weight),
            "annualVolatility": .number(l.annualVolatility), "marginalContribution": .number(l.marginal),
            "riskContribution": .number(l.contribution), "riskShare": .number(l.share), "budget": .number(l.budget),
            "budgetSource": .string(l.budgetOrigin), "shareMinusBudget": .number(l.excess),
            "targetWeight": .number(l.targetWeight), "targetExposure": .number(l.targetExposure),
            "exposureAfter": .number(l.exposureAfter), "riskContributionAfter": .number(l.contributionAfter),
            "riskShareAfter": .number(l.shareAfter),
          ]
        }),
      "portfolio": [
        "annualVolatility": .number(r.current.volatility),
        "annualVolatilityMoney": .number(r.current.volatility * r.equity),
        "dailyVolatilityMoney": .number(r.current.volatility * r.equity / Double(r.periodsPerYear).squareRoot()),
        "diversificationRatio": .optional(r.current.diversificationRatio),
        "riskShareTotal": .number(r.current.shares.reduce(0, +)),
      ],
      "valueAtRisk": ["parametric": tail(r.parametric, equity: r.equity), "historical": tail(r.historical, equity: r.equity)],
      "solver": solverJSON(r.solution),
      "target": [
        "weights": .object(weights), "unleveredVolatility": .number(r.solution.volatility),
        "diversificationRatio": .optional(r.target.diversificationRatio), "targetVolatility": .number(r.targetVolatility),
        "leverage": .number(r.leverage), "leveredVolatility": .number(r.leveredVolatility),
        "binding": .string(r.binding?.id.rawValue ?? ""), "bindingScope": r.binding?.scope.map { .string($0) } ?? .null,
        "caps": .array(
          r.caps.map { c in
            [
              "id": .string(c.id.rawValue), "title": .string(c.title), "scope": c.scope.map { .string($0) } ?? .null,
              "maxLeverage": .number(c.maxLeverage), "binding": .bool(c.binding), "formula": .string(c.formula),
              "inputs": SizeRenderer.named(c.inputs),
            ]
          }),
      ],
      "perTradeCap": .number(r.perTradeCap),
      "trades": .array(
        r.trades.map { t in
          [
            "symbol": .string(t.symbol), "side": .string(t.side), "quantity": .number(t.quantity),
            "wantedQuantity": .number(t.wantedQuantity), "unroundedQuantity": .number(t.unroundedQuantity),
            "lots": .number(t.lots), "lotSize": .number(t.lotSize), "notional": .number(t.notional), "price": .number(t.price),
            "priceSource": .string(t.priceSource), "unitExposure": .number(t.unitExposure),
            "currentQuantity": .number(t.currentQuantity), "currentExposure": .number(t.currentExposure),
            "targetExposure": .number(t.targetExposure), "exposureAfter": .number(t.exposureAfter),
            "pieces": .array(t.pieces.map { .number($0) }), "proposed": .bool(t.quantity != 0),
            "orders": .array(t.orders.map { ["quantity": .number($0.quantity), "stop": .optional($0.stop)] }),
            "blocked": t.blocked.map { .string($0) } ?? .null,
            "blockedBy": .array(t.blockedBy.map { .string($0.rawValue) }), "notes": .array(t.notes.map { .string($0) }),
          ]
        }),
      "sequence": .array(
        r.sequence.map { s in
          ["symbol": .string(s.symbol), "quantity": .number(s.order.quantity), "stop": .optional(s.order.stop)]
        }),
      "after": [
        "annualVolatility": .number(r.after.volatility), "diversificationRatio": .optional(r.after.diversificationRatio),
      ],
      "verdict": [
        "overBudget": .array(
          r.overBudget.map { l in
            [
              "symbol": .string(l.symbol), "riskShare": .number(l.share), "budget": .number(l.budget),
              "excess": .number(l.excess),
            ]
          }),
        "summary": .array(verdict(r).map { .string($0) }),
      ],
      "conventions": .array(conventions(periodsPerYear: r.periodsPerYear, observations: r.observations).map { .string($0) }),
      "warnings": .array(r.warnings.map { .string($0) }),
      "diagnostics": SizeRenderer.diagnostics(r.diagnostics),
      "groups": groupsJSON(r),
      "grouping": r.groupSettings.map { g in
        JSONValue.object([
          "minCorrelation": .number(g.minCorrelation), "linkage": .string(g.linkage.rawValue),
          "source": .string(g.source.rawValue),
          "threshold": .number(CorrelationClusters.threshold(minCorrelation: g.minCorrelation)),
        ])
      } ?? .null,
    ]
    if r.choice.auto {
      doc["regimeEvidence"] = .array(
        r.choice.evidence.map { e in
          [
            "subject": .string(e.subject), "currentAnnualVolatility": .number(e.current), "percentile": .number(e.percentile),
            "samples": .integer(e.samples), "window": .integer(e.window), "bounds": .array(e.bounds.map { .number($0) }),
            "regime": .string(e.regime),
          ]
        })
    }
    return .object(doc)
  }

  // MARK: a new portfolio

  public static func text(_ r: PortfolioProposal, markdown: Bool) -> String {
    let h2 = markdown ? "## " : ""
    let h3 = markdown ? "### " : ""
    var out: [String] = []
    let kind = r.budgets.isDefault ? "equal risk contribution" : "budgeted risk parity"
    out.append("\(h2)New portfolio — \(kind), long-only, fully invested, before leverage")
    out.append(covarianceLine(r.settings, observations: r.observations, first: r.firstReturnDay, last: r.lastDay))
    out.append("")
    var t = TextTable(["Symbol", "Class", "Weight", "σ", "MCR", "Contribution", "Share", "Budget"], leftAligned: [0, 1])
    let d = r.decomposition
    for (i, s) in r.symbols.enumerated() {
      t.add([
        s, r.classes[i].rawValue, Format.percent(r.solution.weights[i]), Format.percent(d.standaloneVolatility[i]),
        Format.fixed(d.marginal[i], 4), Format.percent(d.contributions[i]), Format.percent(d.shares[i]),
        Format.percent(r.budgets.values[i]),
      ])
    }
    t.add([
      "Total", "", Format.percent(r.solution.weights.reduce(0, +)), "", "", Format.percent(d.contributions.reduce(0, +)),
      Format.percent(d.shares.reduce(0, +)), Format.percent(r.budgets.values.reduce(0, +)),
    ])
    out.append(table(t, markdown: markdown))
    out.append("")
    out.append(
      "  Portfolio σ \(Format.percent(d.volatility)) a year, diversification ratio \(d.diversificationRatio.map { Format.fixed($0, 2) } ?? "—")."
    )
    out.append("  " + solverLine(r.solution))
    if !r.budgets.isDefault {
      out.append("")
      out.append("\(h3)Budgets")
      for (i, s) in r.symbols.enumerated() {
        out.append("  \(s) \(Format.percent(r.budgets.values[i])): \(r.budgets.origins[i])")
      }
    }
    out.append("")
    out.append("\(h3)Conventions")
    for line in conventions(periodsPerYear: r.periodsPerYear, observations: r.observations).suffix(1) + [
      "σ, MCR and contributions are annual (Σ = daily covariance × \(r.periodsPerYear)); weights are fractions of the capital allocated."
    ] {
      out.append("  - " + line)
    }
    if !r.warnings.isEmpty {
      out.append("")
      out.append("\(h3)Warnings")
      out += r.warnings.map { "  - " + $0 }
    }
    return joined(out, markdown: markdown)
  }

  public static func json(_ r: PortfolioProposal) -> JSONValue {
    var weights: [String: JSONValue] = [:]
    var budgets: [String: JSONValue] = [:]
    var shares: [String: JSONValue] = [:]
    var vols: [String: JSONValue] = [:]
    var contributions: [String: JSONValue] = [:]
    for (i, s) in r.symbols.enumerated() {
      weights[s] = .number(r.solution.weights[i])
      budgets[s] = .number(r.budgets.values[i])
      shares[s] = .number(r.decomposition.shares[i])
      vols[s] = .number(r.decomposition.standaloneVolatility[i])
      contributions[s] = .number(r.decomposition.contributions[i])
    }
    return [
      "schemaVersion": .integer(schemaVersion),
      "command": "budget",
      "mode": "portfolio",
      "instruments": .array(r.symbols.map { .string($0) }),
      "weights": .object(weights),
      "budgets": .object(budgets),
      "riskShares": .object(shares),
      "riskContributions": .object(contributions),
      "annualVolatility": .object(vols),
      "portfolio": [
        "annualVolatility": .number(r.decomposition.volatility),
        "diversificationRatio": .optional(r.decomposition.diversificationRatio),
      ],
      "covariance": covarianceJSON(
        r.settings, observations: r.observations, periodsPerYear: r.periodsPerYear, first: r.firstReturnDay, last: r.lastDay,
        estimatorRepair: r.estimatorRepair.map { ($0.minimumEigenvalueBefore, $0.clippedEigenvalues, $0.relativeChange) },
        solverRepair: r.solverRepair.map { ($0.minimumEigenvalueBefore, $0.clippedEigenvalues, $0.relativeChange) },
        solverFloor: r.solverFloor),
      "solver": solverJSON(r.solution),
      "warnings": .array(r.warnings.map { .string($0) }),
      "diagnostics": SizeRenderer.diagnostics(r.diagnostics),
    ]
  }
}
