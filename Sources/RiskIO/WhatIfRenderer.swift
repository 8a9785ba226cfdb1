import Foundation
import RiskCore

/// Renders `advisor whatif`: text, JSON, Markdown, and a self-contained HTML page with SVG charts.
public enum WhatIfRenderer {
  public static let schemaVersion = 1

  public static func render(_ r: WhatIfReport, as format: WhatIfFormat) throws -> String {
    try NonFinite.guarding("what-if report (--format \(format.rawValue))") {
      switch format {
      case .text: return text(r, markdown: false)
      case .markdown: return text(r, markdown: true)
      case .json: return try json(r).rendered() + "\n"
      case .html: return html(r)
      }
    }
  }

  static func money(_ x: Double) -> String { Format.money(x) }
  static func pct(_ x: Double?) -> String { x.map { Format.percent($0) } ?? "—" }

  struct Row {
    let label: String
    let before: String
    let after: String
  }

  static func summaryRows(_ r: WhatIfReport) -> [Row] {
    let b = r.before
    let a = r.after
    var rows = [
      Row(label: "AUM", before: money(b.totalAUM), after: money(a.totalAUM)),
      Row(label: "Equity", before: money(b.equity), after: money(a.equity)),
      Row(
        label: "Gross leverage", before: b.leverage.map { Format.fixed($0, 2) + "×" } ?? "—",
        after: a.leverage.map { Format.fixed($0, 2) + "×" } ?? "—"),
      Row(
        label: "Net leverage", before: b.netLeverage.map { Format.fixed($0, 2) + "×" } ?? "—",
        after: a.netLeverage.map { Format.fixed($0, 2) + "×" } ?? "—"),
    ]
    let vb = r.riskBefore?.volatilityOfEquity
    let va = r.riskAfter?.volatilityOfEquity
    rows.append(Row(label: "Portfolio σ (annual, of equity)", before: pct(vb), after: pct(va)))
    for (i, t) in (r.riskAfter?.parametric ?? []).enumerated() {
      let before = r.riskBefore?.parametric[safe: i]
      rows.append(
        Row(
          label: "VaR \(Format.fixed(t.level * 100, 0))% \(t.horizonDays)d (normal)",
          before: before.map { money($0.valueAtRisk) } ?? "—", after: money(t.valueAtRisk)))
      rows.append(
        Row(
          label: "ES \(Format.fixed(t.level * 100, 0))% \(t.horizonDays)d (normal)",
          before: before.map { money($0.expectedShortfall) } ?? "—", after: money(t.expectedShortfall)))
    }
    for (i, t) in (r.riskAfter?.historical ?? []).enumerated() where t.horizonDays == 1 {
      let before = r.riskBefore?.historical[safe: i]
      rows.append(
        Row(
          label: "VaR \(Format.fixed(t.level * 100, 0))% 1d (historical)", before: before.map { money($0.valueAtRisk) } ?? "—",
          after: money(t.valueAtRisk)))
      rows.append(
        Row(
          label: "ES \(Format.fixed(t.level * 100, 0))% 1d (historical)",
          before: before.map { money($0.expectedShortfall) } ?? "—", after: money(t.expectedShortfall)))
    }
    return rows
  }

  /// (symbol, share before, share after) over both snapshots' instruments.
  static func contributionRows(_ r: WhatIfReport) -> [(String, Double?, Double?)] {
    var symbols = r.riskBefore?.symbols ?? []
    for s in r.riskAfter?.symbols ?? [] where !symbols.contains(s) { symbols.append(s) }
    return symbols.map { s in
      let b = r.riskBefore.flatMap { snap in snap.symbols.firstIndex(of: s).map { snap.shares[$0] } }
      let a = r.riskAfter.flatMap { snap in snap.symbols.firstIndex(of: s).map { snap.shares[$0] } }
      return (s, b, a)
    }
  }

  static func scenarioLines(_ r: WhatIfReport) -> [String] {
    let s = r.scenario
    var out: [String] = []
    if !s.orders.isEmpty {
      out.append(
        "orders first: "
          + s.orders.map { "\($0.side == .long ? "buy" : "sell") \(CheckRenderer.fmt($0.quantity)) \($0.symbol)" }.joined(
            separator: ", "))
    }
    if r.flows != 0 {
      out.append("capital flow: \(money(r.flows)) \(r.before.account.baseCurrency) (\(r.flows > 0 ? "deposit" : "withdrawal"))")
    }
    if !s.shocks.isEmpty {
      out.append(
        "price shocks: "
          + s.shocks.map { "\($0.target) \($0.change >= 0 ? "+" : "")\(Format.fixed($0.change * 100, 1))%" }.joined(
            separator: ", "))
    }
    if s.volatilityMultiplier != 1 { out.append("volatility × \(Format.fixed(s.volatilityMultiplier, 2))") }
    if let t = s.correlationTarget {
      out.append(
        "correlations moved toward \(Format.fixed(t, 2)) with weight \(Format.fixed(s.correlationWeight, 2)) (ρ' = (1 − w)ρ + w·target)"
      )
    }
    out.append("regime: \(r.baseRegime.name) → \(r.regimeAfter.name)")
    return out
  }

  /// The state of the book after the reductions, one sentence (text, Markdown and HTML).
  static func afterReductionsLine(_ r: WhatIfReport) -> String {
    let ar = r.afterReductions
    return
      "After them: gross leverage \(ar.leverage.map { Format.fixed($0, 2) + "×" } ?? "—"), portfolio σ \(pct(ar.volatility)); "
      + (ar.breaches.isEmpty
        ? "no limit breached."
        : "still breached: " + ar.breaches.map { "\($0.limit.title) \($0.subject ?? "")" }.joined(separator: ", "))
  }

  // MARK: text / markdown

  public static func text(_ r: WhatIfReport, markdown: Bool) -> String {
    let h2 = markdown ? "## " : ""
    let h3 = markdown ? "### " : ""
    let base = r.before.account.baseCurrency
    func table(_ t: TextTable) -> String { markdown ? AUMRenderer.markdownTable(t) : t.render(indent: "  ") }
    var out: [String] = []
    out.append("\(h2)What if: \(r.scenario.name) — \(r.before.account.name), \(base), as of \(r.before.account.asOf)")
    if !r.scenario.description.isEmpty { out.append(r.scenario.description) }
    out.append("")
    for l in scenarioLines(r) { out.append((markdown ? "- " : "  ") + l) }
    out.append("")
    out.append("\(h3)Before and after")
    var t = TextTable(["", "Before", "After"])
    for row in summaryRows(r) { t.add([row.label, row.before, row.after]) }
    t.add(["Scenario P&L", "", money(r.totalPnL)])
    out.append(table(t))
    let e = r.equity
    out.append(
      "  Equity after = before \(money(e.before)) + flows \(money(e.flows)) + P&L \(money(e.pnl)) (orders at their price vs the mark \(money(e.ordersPnL)), shocks \(money(e.shocksPnL))) − costs \(money(e.costs)) = \(money(e.after))."
    )
    out.append(
      "  VaR and ES: losses in \(base), zero mean; normal uses Φ⁻¹(α)·σ_daily·√t; historical uses today's exposures over the covariance window's returns (× the volatility multiplier), 10-day by √10."
    )
    if !r.scenario.shocks.isEmpty {
      out.append("")
      out.append("\(h3)P&L by position")
      var p = TextTable(["Symbol", "Price before", "Price after", "P&L \(base)", "Shock"], leftAligned: [0, 4])
      for x in r.pnl { p.add([x.symbol, Format.price(x.priceBefore), Format.price(x.priceAfter), money(x.pnl), x.shock ?? ""]) }
      p.add(["Total", "", "", money(r.totalPnL), ""])
      out.append(table(p))
    }
    let contributions = contributionRows(r)
    if !contributions.isEmpty {
      out.append("")
      out.append("\(h3)Risk contributions (share of portfolio variance, Euler)")
      var c = TextTable(["Instrument", "Before", "After"])
      for (s, b, a) in contributions { c.add([s, pct(b), pct(a)]) }
      out.append(table(c))
    }
    if !r.orderResults.isEmpty {
      out.append("")
      out.append(
        "\(h3)Orders applied first (checked against \(r.baseRegime.name); a failing order is applied anyway and the run exits 1)")
      for o in r.orderResults {
        let fails = o.findings.filter { $0.severity == .fail }.map(\.code.rawValue)
        out.append(
          "  \(o.order.map(CheckRenderer.describe) ?? "?"): \(fails.isEmpty ? "PASS" : "FAIL " + fails.joined(separator: ", "))")
      }
    }
    out.append("")
    out.append("\(h3)Limits of the \(r.regimeAfter.name) regime after the scenario")
    out.append("  equity base \(Format.money(r.equityBaseAfter.value)): \(r.equityBaseAfter.source)")
    if r.breaches.isEmpty {
      out.append("  none breached")
    } else {
      var b = TextTable(["Limit", "Subject", "Value", "Cap", "Unit"], leftAligned: [0, 1, 4])
      for x in r.breaches {
        b.add([x.limit.title, x.subject ?? "account", Format.fixed(x.value, 4), Format.fixed(x.cap, 4), x.unit])
      }
      out.append(table(b))
      out.append("")
      out.append("\(h3)Reductions that bring the account back within its limits")
      var red = TextTable(["Symbol", "From", "To", "Trade", "Notional \(base)", "For"], leftAligned: [0, 5])
      for x in r.reductions {
        red.add([
          x.symbol, CheckRenderer.fmt(x.from), CheckRenderer.fmt(x.to), CheckRenderer.fmt(x.trade), money(x.notional),
          x.reasons.map(\.title).joined(separator: ", "),
        ])
      }
      out.append(table(red))
      out.append("  How: \(WhatIfReport.reductionMethod)")
      out.append("  " + afterReductionsLine(r))
    }
    if let rp = r.replay {
      out.append("")
      switch rp.request {
      case .range(let from, let to):
        out.append("\(h3)Replay \(from) … \(to) (from the close of \(rp.baseDay?.description ?? "?"))")
        let worst = rp.path.min { $0.pnl < $1.pnl }
        out.append(
          "  final P&L \(money(rp.total)) \(base); worst point \(worst.map { "\(money($0.pnl)) on \($0.day)" } ?? "—"); \(rp.path.count) days; instruments \(rp.instruments.joined(separator: ", "))"
        )
        var tp = TextTable(["Date", "Cumulative P&L \(base)"])
        for x in rp.path { tp.add([x.day.description, money(x.pnl)]) }
        out.append(table(tp))
      case .worstDays(let n):
        out.append("\(h3)The \(n) worst days of today's holdings")
        var tp = TextTable(["Date", "P&L \(base)"])
        for x in rp.path { tp.add([x.day.description, money(x.pnl)]) }
        out.append(table(tp))
      }
      if !rp.excluded.isEmpty {
        out.append("  not replayed (no market data or no delta): \(rp.excluded.joined(separator: ", "))")
      }
    }
    if let aBefore = r.strategyAUMBefore, let aAfter = r.strategyAUMAfter,
      r.scenario.followersJoin != 0 || r.scenario.followersLeave != 0
    {
      out.append("")
      out.append("\(h3)Copy trading")
      out.append(
        "  strategy AUM \(money(aBefore)) → \(money(aAfter)) \(base) (joins \(money(r.scenario.followersJoin)), leaves \(money(r.scenario.followersLeave)))"
      )
    }
    if let c = r.capacity {
      if r.scenario.followersJoin == 0 && r.scenario.followersLeave == 0 {
        out.append("")
        out.append("\(h3)Copy trading")
      }
      out.append(
        "  capacity in \(c.question.instrument): a lead trade of \(Format.percent(c.question.leadTradeFraction)) of \(money(c.strategyAUM)) (\(c.aumSource)) is \(money(c.orderNotional)) \(base) = \(CheckRenderer.fmt(c.orderQuantity)) units, \(Format.significant(c.participation * 100, 3))% of ADV \(CheckRenderer.fmt(c.averageDailyVolume))"
      )
      out.append(
        "  expected slippage \(Format.fixed(c.slippage * 10_000, 2)) bp ≈ \(money(c.slippageCost)) \(base) (square-root impact: \(Format.fixed(c.impactCoefficient, 2)) × σ_daily \(Format.percent(c.dailyVolatility, 3)) × √(Q/ADV))"
      )
      out.append(
        "  largest strategy AUM within \(Format.fixed(c.question.slippageBudget * 10_000, 1)) bp: \(money(c.maxStrategyAUM)) \(base) = ADV × price × (budget / (Y·σ))² / fraction"
      )
    }
    if !r.warnings.isEmpty {
      out.append("")
      out.append("\(h3)Warnings")
      out += r.warnings.map { "  - " + $0 }
    }
    return out.joined(separator: "\n") + "\n"
  }

  // MARK: JSON

  public static func json(_ r: WhatIfReport) -> JSONValue {
    func snap(_ s: RiskSnapshot?) -> JSONValue {
      guard let s else { return .null }
      func tails(_ t: [TailRisk]) -> JSONValue {
        .array(
          t.map {
            [
              "level": .number($0.level), "horizonDays": .integer($0.horizonDays), "valueAtRisk": .number($0.valueAtRisk),
              "expectedShortfall": .number($0.expectedShortfall),
            ]
          })
      }
      return [
        "instruments": .array(s.symbols.map { .string($0) }), "exposures": .array(s.exposures.map { .number($0) }),
        "volatility": .number(s.volatility), "volatilityOfEquity": .optional(s.volatilityOfEquity),
        "contributions": .array(s.contributions.map { .number($0) }), "shares": .array(s.shares.map { .number($0) }),
        "parametric": tails(s.parametric), "historical": tails(s.historical), "periodsPerYear": .integer(s.periodsPerYear),
        "observations": .integer(s.observations),
      ]
    }
    func side(_ v: AccountValuation, _ s: RiskSnapshot?) -> JSONValue {
      [
        "aum": .number(v.totalAUM), "equity": .number(v.equity), "grossExposure": .number(v.grossExposure),
        "netExposure": .number(v.netExposure), "leverage": .optional(v.leverage), "netLeverage": .optional(v.netLeverage),
        "risk": snap(s),
      ]
    }
    var doc: [String: JSONValue] = [
      "schemaVersion": .integer(schemaVersion),
      "command": "whatif",
      "scenario": [
        "name": .string(r.scenario.name), "description": .string(r.scenario.description), "source": .string(r.scenario.source),
        "applied": .array(scenarioLines(r).map { .string($0) }),
      ],
      "baseCurrency": .string(r.before.account.baseCurrency),
      "asOf": .string(r.before.account.asOf.description),
      "regimeBefore": .string(r.baseRegime.name),
      "regimeAfter": .string(r.regimeAfter.name),
      "before": side(r.before, r.riskBefore),
      "after": side(r.after, r.riskAfter),
      "pnl": .array(
        r.pnl.map {
          [
            "symbol": .string($0.symbol), "priceBefore": .number($0.priceBefore), "priceAfter": .number($0.priceAfter),
            "pnl": .number($0.pnl), "shock": $0.shock.map { .string($0) } ?? .null, "method": .string($0.method.rawValue),
          ]
        }),
      "totalPnL": .number(r.totalPnL),
      "flows": .number(r.flows),
      "orders": .array(
        r.orderResults.map { o in
          [
            "instrument": .string(o.order?.symbol ?? ""), "result": .string(o.passed(strict: false) ? "pass" : "fail"),
            "failures": .array(o.findings.filter { $0.severity == .fail }.map { .string($0.code.rawValue) }),
          ]
        }),
      "equityBaseAfter": SizeRenderer.equityBase(r.equityBaseAfter),
      "breaches": .array(
        r.breaches.map {
          [
            "limit": .string($0.limit.rawValue), "subject": $0.subject.map { .string($0) } ?? .null, "value": .number($0.value),
            "cap": .number($0.cap), "unit": .string($0.unit),
          ]
        }),
      "reductions": .array(
        r.reductions.map {
          [
            "symbol": .string($0.symbol), "from": .number($0.from), "to": .number($0.to), "trade": .number($0.trade),
            "notional": .number($0.notional), "reason": .string($0.reason.rawValue),
            "reasons": .array($0.reasons.map { .string($0.rawValue) }),
          ]
        }),
      "reductionMethod": .string(WhatIfReport.reductionMethod),
      "afterReductions": [
        "leverage": .optional(r.afterReductions.leverage), "volatilityOfEquity": .optional(r.afterReductions.volatility),
        "breaches": .array(r.afterReductions.breaches.map { .string($0.limit.rawValue) }),
      ],
      "warnings": .array(r.warnings.map { .string($0) }),
      "diagnostics": SizeRenderer.diagnostics(r.diagnostics),
      "equityIdentity": [
        "before": .number(r.equity.before), "flows": .number(r.equity.flows), "ordersPnL": .number(r.equity.ordersPnL),
        "shocksPnL": .number(r.equity.shocksPnL), "costs": .number(r.equity.costs), "after": .number(r.equity.after),
      ],
    ]
    if let rp = r.replay {
      var o: [String: JSONValue] = [
        "path": .array(rp.path.map { ["date": .string($0.day.description), "pnl": .number($0.pnl)] }),
        "instruments": .array(rp.instruments.map { .string($0) }), "excluded": .array(rp.excluded.map { .string($0) }),
        "mode": .string(rp.mode.rawValue),
      ]
      switch rp.request {
      case .range(let from, let to):
        o["from"] = .string(from.description)
        o["to"] = .string(to.description)
        o["baseDate"] = .string(rp.baseDay?.description ?? "")
        o["total"] = .number(rp.total)
      case .worstDays(let n): o["worstDays"] = .integer(n)
      }
      doc["replay"] = .object(o)
    }
    if let a = r.strategyAUMBefore { doc["strategyAUMBefore"] = .number(a) }
    if let a = r.strategyAUMAfter { doc["strategyAUMAfter"] = .number(a) }
    if let c = r.capacity {
      doc["capacity"] = [
        "instrument": .string(c.question.instrument), "leadTradeFraction": .number(c.question.leadTradeFraction),
        "slippageBudget": .number(c.question.slippageBudget), "strategyAUM": .number(c.strategyAUM),
        "aumSource": .string(c.aumSource),
        "price": .number(c.price), "dailyVolatility": .number(c.dailyVolatility),
        "averageDailyVolume": .number(c.averageDailyVolume),
        "orderNotional": .number(c.orderNotional), "orderQuantity": .number(c.orderQuantity),
        "participation": .number(c.participation),
        "slippage": .number(c.slippage), "slippageCost": .number(c.slippageCost),
        "impactCoefficient": .number(c.impactCoefficient),
        "maxStrategyAUM": .number(c.maxStrategyAUM), "model": "slippage = Y × σ_daily × √(Q / ADV)",
      ]
    }
    return .object(doc)
  }

  // MARK: HTML

  static func esc(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(c)
      }
    }
    return out
  }

  static func n(_ x: Double) -> String { Format.fixed(x, 1) }

  /// Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10ᵏ, about `count` of them.
  static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
    let span = hi - lo
    guard span > 0, span.isFinite else { return [lo] }
    let raw = span / Double(max(count, 1))
    var magnitude = 1.0
    while magnitude * 10 <= raw { magnitude *= 10 }
    while magnitude > raw { magnitude /= 10 }
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? magnitude * 10
    var out: [Double] = []
    var v = (lo / step).rounded(.up) * step
    while v <= hi + step * 1e-9 && out.count < 50 {
      out.append(abs(v) < step * 1e-9 ? 0 : v)
      v += step
    }
    return out
  }

  /// An axis title in the chart's units.
  static func axisTitle(_ text: String, x: Double, y: Double, vertical: Bool = false) -> String {
    vertical
      ? "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"middle\" class=\"axis\" transform=\"rotate(-90 \(n(x)) \(n(y)))\">\(esc(text))</text>"
      : "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"middle\" class=\"axis\">\(esc(text))</text>"
  }

  /// Horizontal bars, two series (before, after) per label; values are fractions.
  static func contributionChart(_ rows: [(String, Double?, Double?)]) -> String {
    let width = 640.0
    let labelW = 90.0
    let rowH = 34.0
    let h = Double(rows.count) * rowH + 80
    let values: [Double] = rows.flatMap { r -> [Double] in [r.1 ?? 0, r.2 ?? 0] }
    let lo = min(0, values.min() ?? 0)
    let hi = max(0.0001, values.max() ?? 0)
    let plotW = width - labelW - 70
    func x(_ v: Double) -> Double { labelW + (v - lo) / (hi - lo) * plotW }
    var svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(h))\" viewBox=\"0 0 \(n(width)) \(n(h))\" role=\"img\" aria-label=\"Risk contributions before and after\">"
    svg += "<line x1=\"\(n(x(0)))\" y1=\"10\" x2=\"\(n(x(0)))\" y2=\"\(n(h - 65))\" stroke=\"#888\"/>"
    let axisY = h - 62
    svg += "<line x1=\"\(n(labelW))\" y1=\"\(n(axisY))\" x2=\"\(n(labelW + plotW))\" y2=\"\(n(axisY))\" stroke=\"#888\"/>"
    for t in ticks(lo, hi) {
      svg += "<line x1=\"\(n(x(t)))\" y1=\"\(n(axisY))\" x2=\"\(n(x(t)))\" y2=\"\(n(axisY + 4))\" stroke=\"#888\"/>"
      svg +=
        "<text x=\"\(n(x(t)))\" y=\"\(n(axisY + 15))\" text-anchor=\"middle\" class=\"value\">\(esc(Format.percent(t, 0)))</text>"
    }
    svg += axisTitle("share of portfolio variance (Euler), %", x: labelW + plotW / 2, y: axisY + 30)
    for (i, row) in rows.enumerated() {
      let y = 10 + Double(i) * rowH
      svg += "<text x=\"4\" y=\"\(n(y + 18))\" class=\"label\">\(esc(row.0))</text>"
      for (k, v) in [row.1, row.2].enumerated() {
        guard let v else { continue }
        let x0 = min(x(0), x(v))
        let w = abs(x(v) - x(0))
        svg +=
          "<rect x=\"\(n(x0))\" y=\"\(n(y + Double(k) * 13))\" width=\"\(n(max(w, 0.5)))\" height=\"12\" class=\"\(k == 0 ? "before" : "after")\"/>"
        svg +=
          "<text x=\"\(n(max(x(0), x(v)) + 4))\" y=\"\(n(y + Double(k) * 13 + 10))\" class=\"value\">\(esc(Format.percent(v, 1)))</text>"
      }
    }
    svg +=
      "<rect x=\"\(n(labelW))\" y=\"\(n(h - 18))\" width=\"12\" height=\"10\" class=\"before\"/><text x=\"\(n(labelW + 16))\" y=\"\(n(h - 9))\" class=\"value\">before</text>"
    svg +=
      "<rect x=\"\(n(labelW + 80))\" y=\"\(n(h - 18))\" width=\"12\" height=\"10\" class=\"after\"/><text x=\"\(n(labelW + 96))\" y=\"\(n(h - 9))\" class=\"value\">after</text>"
    return svg + "</svg>"
  }

  /// Vertical bars of P&L by position (gains green, losses red).
  static func pnlChart(_ pnl: [PositionPnL], currency: String) -> String {
    let width = 640.0
    let h = 300.0
    let values = pnl.map(\.pnl)
    let lo = min(0, values.min() ?? 0)
    let hi = max(0, values.max() ?? 0)
    let span = max(hi - lo, 1)
    let top = 20.0
    let bottom = h - 95
    func y(_ v: Double) -> Double { top + (hi - v) / span * (bottom - top) }
    let left = 90.0
    let bw = (width - left - 20) / Double(max(pnl.count, 1))
    var svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(h))\" viewBox=\"0 0 \(n(width)) \(n(h))\" role=\"img\" aria-label=\"P&amp;L by position\">"
    svg += "<line x1=\"\(n(left))\" y1=\"\(n(y(0)))\" x2=\"\(n(width - 20))\" y2=\"\(n(y(0)))\" stroke=\"#888\"/>"
    svg += "<line x1=\"\(n(left))\" y1=\"\(n(top))\" x2=\"\(n(left))\" y2=\"\(n(bottom))\" stroke=\"#888\"/>"
    for t in ticks(lo, hi) {
      svg += "<line x1=\"\(n(left - 4))\" y1=\"\(n(y(t)))\" x2=\"\(n(left))\" y2=\"\(n(y(t)))\" stroke=\"#888\"/>"
      svg +=
        "<text x=\"\(n(left - 6))\" y=\"\(n(y(t) + 4))\" text-anchor=\"end\" class=\"value\">\(esc(Format.money(t, 0)))</text>"
    }
    svg += axisTitle("P&L (\(currency))", x: 14, y: (top + bottom) / 2, vertical: true)
    for (i, p) in pnl.enumerated() {
      let x = left + Double(i) * bw + bw * 0.15
      let y0 = min(y(0), y(p.pnl))
      svg +=
        "<rect x=\"\(n(x))\" y=\"\(n(y0))\" width=\"\(n(bw * 0.7))\" height=\"\(n(max(abs(y(p.pnl) - y(0)), 0.5)))\" class=\"\(p.pnl < 0 ? "loss" : "gain")\"/>"
      let name = p.symbol.count > 12 ? String(p.symbol.prefix(11)) + "…" : p.symbol
      svg +=
        "<text x=\"\(n(x + bw * 0.35))\" y=\"\(n(h - 50))\" text-anchor=\"end\" class=\"label\" transform=\"rotate(-35 \(n(x + bw * 0.35)) \(n(h - 50)))\">\(esc(name))</text>"
      if p.pnl != 0 {
        svg +=
          "<text x=\"\(n(x + bw * 0.35))\" y=\"\(n(p.pnl < 0 ? y(p.pnl) + 12 : y(p.pnl) - 3))\" text-anchor=\"middle\" class=\"value\">\(esc(Format.money(p.pnl, 0)))</text>"
      }
    }
    return svg + "</svg>"
  }

  /// The replayed cumulative P&L as a line.
  static func replayChart(_ rp: ReplayResult, currency: String) -> String {
    let width = 640.0
    let h = 290.0
    let pts = rp.path
    let values = pts.map(\.pnl) + [0]
    let lo = values.min() ?? 0
    let hi = values.max() ?? 0
    let span = max(hi - lo, 1)
    let left = 95.0
    let right = width - 20
    let top = 20.0
    let bottom = h - 70
    func x(_ i: Int) -> Double { pts.count <= 1 ? left : left + Double(i) / Double(pts.count - 1) * (right - left) }
    func y(_ v: Double) -> Double { top + (hi - v) / span * (bottom - top) }
    var svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(h))\" viewBox=\"0 0 \(n(width)) \(n(h))\" role=\"img\" aria-label=\"Replayed P&amp;L path\">"
    svg +=
      "<line x1=\"\(n(left))\" y1=\"\(n(y(0)))\" x2=\"\(n(right))\" y2=\"\(n(y(0)))\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>"
    svg += "<line x1=\"\(n(left))\" y1=\"\(n(top))\" x2=\"\(n(left))\" y2=\"\(n(bottom))\" stroke=\"#888\"/>"
    for t in ticks(lo, hi) {
      svg += "<line x1=\"\(n(left - 4))\" y1=\"\(n(y(t)))\" x2=\"\(n(left))\" y2=\"\(n(y(t)))\" stroke=\"#888\"/>"
      svg +=
        "<text x=\"\(n(left - 6))\" y=\"\(n(y(t) + 4))\" text-anchor=\"end\" class=\"value\">\(esc(Format.money(t, 0)))</text>"
    }
    svg += "<line x1=\"\(n(left))\" y1=\"\(n(bottom))\" x2=\"\(n(right))\" y2=\"\(n(bottom))\" stroke=\"#888\"/>"
    // Dates along the axis: the first, the last and evenly spaced ones between (at most 6).
    let marks = pts.count <= 6 ? Array(pts.indices) : (0..<6).map { Int((Double($0) / 5 * Double(pts.count - 1)).rounded()) }
    for i in Set(marks).sorted() {
      let anchor = i == 0 ? "start" : i == pts.count - 1 ? "end" : "middle"
      svg += "<line x1=\"\(n(x(i)))\" y1=\"\(n(bottom))\" x2=\"\(n(x(i)))\" y2=\"\(n(bottom + 4))\" stroke=\"#888\"/>"
      svg +=
        "<text x=\"\(n(x(i)))\" y=\"\(n(bottom + 16))\" text-anchor=\"\(anchor)\" class=\"label\">\(esc(pts[i].day.description))</text>"
    }
    svg += axisTitle("cumulative P&L (\(currency))", x: 14, y: (top + bottom) / 2, vertical: true)
    svg += axisTitle("date (close)", x: (left + right) / 2, y: bottom + 36)
    let points = pts.enumerated().map { "\(n(x($0.offset))),\(n(y($0.element.pnl)))" }.joined(separator: " ")
    svg += "<polyline points=\"\(points)\" class=\"path\"/>"
    return svg + "</svg>"
  }

  static func htmlTable(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
    var s = "<table><thead><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead><tbody>"
    for r in rows {
      s +=
        "<tr>"
        + r.enumerated().map { "<td\(numeric.contains($0.offset) ? " class=\"num\"" : "")>\(esc($0.element))</td>" }.joined()
        + "</tr>"
    }
    return s + "</tbody></table>"
  }

  /// A self-contained page: inline CSS and SVG, no scripts, fonts or external resources.
  /// Written as well-formed XHTML so that an XML parser can check it.
  public static func html(_ r: WhatIfReport) -> String {
    let base = r.before.account.baseCurrency
    let css = """
      body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;max-width:900px;color:#222;line-height:1.4}
      h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
      table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .7em;border-bottom:1px solid #eee;text-align:left}
      td.num{text-align:right;font-variant-numeric:tabular-nums}.note{color:#555;font-size:.9em}
      svg .before{fill:#8da0cb}svg .after{fill:#fc8d62}svg .gain{fill:#1a9850}svg .loss{fill:#d73027}
      svg .label{font-size:12px;fill:#222}svg .value{font-size:11px;fill:#444}svg .axis{font-size:12px;fill:#222;font-style:italic}svg .path{fill:none;stroke:#3366cc;stroke-width:2}
      .warn{color:#a15c00}
      """
    var body = "<h1>What if: \(esc(r.scenario.name))</h1>"
    body +=
      "<p>\(esc(r.before.account.name)), base \(esc(base)), as of \(esc(r.before.account.asOf.description)). \(esc(r.scenario.description))</p>"
    body += "<ul>" + scenarioLines(r).map { "<li>\(esc($0))</li>" }.joined() + "</ul>"
    body += "<h2>Before and after</h2>"
    body += htmlTable(
      ["", "Before", "After"],
      summaryRows(r).map { [$0.label, $0.before, $0.after] } + [["Scenario P&L", "", money(r.totalPnL)]], numeric: [1, 2])
    body +=
      "<p class=\"note\">VaR and ES are losses in \(esc(base)) with zero mean: normal Φ⁻¹(α)·σ_daily·√t; historical from today's exposures over the covariance window.</p>"
    let contributions = contributionRows(r)
    if !contributions.isEmpty {
      body += "<h2>Risk contributions, before and after</h2>" + contributionChart(contributions)
    }
    if !r.scenario.shocks.isEmpty {
      body += "<h2>P&amp;L by position</h2>" + pnlChart(r.pnl, currency: base)
      body += htmlTable(
        ["Symbol", "Price before", "Price after", "P&L \(base)", "Shock"],
        r.pnl.map { [$0.symbol, Format.price($0.priceBefore), Format.price($0.priceAfter), money($0.pnl), $0.shock ?? ""] },
        numeric: [1, 2, 3])
    }
    body += "<h2>Limits of the \(esc(r.regimeAfter.name)) regime</h2>"
    if r.breaches.isEmpty {
      body += "<p>No limit breached.</p>"
    } else {
      body += htmlTable(
        ["Limit", "Subject", "Value", "Cap", "Unit"],
        r.breaches.map {
          [$0.limit.title, $0.subject ?? "account", Format.fixed($0.value, 4), Format.fixed($0.cap, 4), $0.unit]
        }, numeric: [2, 3])
      body += "<h2>Reductions</h2>"
      body += htmlTable(
        ["Symbol", "From", "To", "Trade", "Notional \(base)", "For"],
        r.reductions.map {
          [
            $0.symbol, CheckRenderer.fmt($0.from), CheckRenderer.fmt($0.to), CheckRenderer.fmt($0.trade), money($0.notional),
            $0.reasons.map(\.title).joined(separator: ", "),
          ]
        }, numeric: [1, 2, 3, 4])
      body += "<p>\(esc(afterReductionsLine(r)))</p>"
      body += "<p class=\"note\">\(esc(WhatIfReport.reductionMethod))</p>"
    }
    if let rp = r.replay {
      switch rp.request {
      case .range(let from, let to):
        body += "<h2>Replay \(esc(from.description)) … \(esc(to.description))</h2>" + replayChart(rp, currency: base)
        body +=
          "<p>Final P&amp;L \(esc(money(rp.total))) \(esc(base)) from the close of \(esc(rp.baseDay?.description ?? "?")).</p>"
      case .worstDays(let k):
        body +=
          "<h2>The \(k) worst days</h2>"
          + htmlTable(["Date", "P&L \(base)"], rp.path.map { [$0.day.description, money($0.pnl)] }, numeric: [1])
      }
    }
    if let c = r.capacity {
      body += "<h2>Copy-trading capacity: \(esc(c.question.instrument))</h2>"
      body += htmlTable(
        ["Figure", "Value"],
        [
          ["Strategy AUM (\(c.aumSource))", money(c.strategyAUM)], ["Lead trade", Format.percent(c.question.leadTradeFraction)],
          ["Combined order", money(c.orderNotional)], ["Participation of ADV", Format.percent(c.participation, 3)],
          ["Expected slippage", Format.fixed(c.slippage * 10_000, 2) + " bp"],
          ["Largest AUM within budget", money(c.maxStrategyAUM)],
        ], numeric: [1])
    }
    if !r.warnings.isEmpty {
      body += "<h2>Warnings</h2><ul>" + r.warnings.map { "<li class=\"warn\">\(esc($0))</li>" }.joined() + "</ul>"
    }
    return """
      <!DOCTYPE html>
      <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/><title>What if: \(esc(r.scenario.name))</title>
      <style>\(css)</style></head><body>\(body)</body></html>

      """
  }
}

/// Output formats of `advisor whatif`.
public enum WhatIfFormat: String, Sendable, CaseIterable {
  case text, json, markdown, html
}

extension Array {
  subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
