import Foundation
import RiskCore

/// Renders `advisor size`: the answer first, then why.
public enum SizeRenderer {
  public static let schemaVersion = 1

  /// - Parameter verbose: text only: every limit's formula and inputs, and each step's inputs
  ///   (Markdown and JSON always have them).
  public static func render(_ report: SizeReport, as format: ReportFormat, verbose: Bool = true) throws -> String {
    try NonFinite.guarding("size report (--format \(format.rawValue))") {
      switch format {
      case .text: return text(report, markdown: false, verbose: verbose)
      case .markdown: return text(report, markdown: true)
      case .json: return try json(report).rendered() + "\n"
      case .csv: return csv(report)
      }
    }
  }

  static func qty(_ q: Double, lot: Double) -> String {
    if lot >= 1 && lot == lot.rounded() { return Format.money(q, 0) }
    var decimals = 0
    var l = lot
    while decimals < 8 && abs(l - l.rounded()) > 1e-9 { l *= 10; decimals += 1 }
    return Format.money(q, decimals)
  }

  static func num(_ x: Double) -> String {
    let a = abs(x)
    if a == 0 { return "0" }
    if a >= 1000 { return Format.money(x, 2) }
    if a >= 1 { return Format.fixed(x, 4) }
    if a >= 0.0001 { return Format.fixed(x, 6) }
    return Format.fixed(x, 10)
  }

  static func regimeLine(_ r: SizeReport) -> String {
    let p = r.choice.profile
    return "\(p.name) regime\(r.choice.auto ? " (auto)" : "") — \(p.source)"
  }

  public static func text(_ r: SizeReport, markdown: Bool, verbose: Bool = true) -> String {
    let rec = r.recommendation
    let b = rec.baseCurrency
    let c = rec.spec.currency
    let h2 = markdown ? "## " : ""
    let h3 = markdown ? "### " : ""
    var out: [String] = []
    out.append("\(h2)\(rec.symbol) \(rec.side.rawValue) — \(regimeLine(r))")
    out.append("")
    var head: [(String, String)] = []
    let lotsText =
      rec.lotSize == 1
      ? "" : "  (\(Format.money(rec.lots, 0)) lot\(rec.lots == 1 ? "" : "s") of \(qty(rec.lotSize, lot: rec.lotSize)))"
    head.append(("Size", "\(qty(rec.quantity, lot: rec.lotSize)) \(rec.symbol)\(lotsText)"))
    if let z = rec.zeroReason { head.append(("Why zero", z)) }
    if let c = rec.closeOutReason { head.append(("Close-out", c)) }
    head.append(("Notional", "\(Format.money(rec.notional)) \(b)  (\(Format.percent(rec.notionalFraction)) of equity)"))
    head.append(("Entry", "\(Format.price(rec.entry)) \(c)  (\(rec.entrySource))"))
    let stopDetail = [
      "\(Format.price(rec.stopDistance)) away", Format.percent(rec.stopDistanceFraction),
      rec.stopDistanceATR.map { Format.fixed($0, 2) + " ATR" },
      Format.fixed(rec.stopDistanceSigma, 2) + " daily σ",
    ].compactMap { $0 }.joined(separator: ", ")
    head.append(("Stop", "\(Format.price(rec.stop)) \(c)  (\(rec.stopSource); \(stopDetail))"))
    head.append(
      (
        "Leverage",
        "\(Format.fixed(rec.leverageBefore, 2))× → \(Format.fixed(rec.leverageAfter, 2))×  (cap \(Format.fixed(rec.leverageCap, 2))×)"
      ))
    head.append(
      (
        "At risk",
        "\(Format.money(rec.moneyAtRisk)) \(b) = \(Format.percent(rec.moneyAtRiskFraction, 3)) of equity (budget \(Format.percent(rec.riskBudgetFraction, 3)))"
      ))
    head.append(("Binding", rec.binding.map { $0.title } ?? "none"))
    if let before = rec.portfolioVolatilityBefore, let after = rec.portfolioVolatilityAfter {
      head.append(
        (
          "Portfolio σ",
          "\(Format.percent(before)) → \(Format.percent(after)) a year (budget \(Format.percent(rec.portfolioVolatilityBudget)))"
        ))
    }
    head.append(("Targets", rec.takeProfits.map { "\($0.multiple)R \(Format.price($0.price))" }.joined(separator: " · ")))
    if let t = rec.trailingStop, let rule = rec.trailingRule { head.append(("Trailing", "\(Format.price(t))  (\(rule))")) }
    if let p = rec.participation, let s = rec.slippageFraction, let cost = rec.slippageCost {
      head.append(
        (
          "Slippage",
          "\(Format.percent(p, 3)) of ADV, expected \(Format.fixed(s * 10_000, 1)) bps ≈ \(Format.money(cost)) \(b) (square-root impact)"
        ))
    }
    if markdown {
      out.append("| | |")
      out.append("|---|---|")
      for (k, v) in head { out.append("| \(k) | \(AUMRenderer.markdownCell(v)) |") }
    } else {
      let w = head.map(\.0.count).max() ?? 0
      for (k, v) in head { out.append("  " + k + String(repeating: " ", count: w - k.count) + "  " + v) }
    }
    out.append("")
    out.append("\(h2)Why")
    out.append("")
    out.append("\(h3)Inputs")
    var ti = TextTable(["Input", "Value", "Source"], leftAligned: [0, 2])
    for i in rec.inputs { ti.add([i.name, num(i.value) + (i.unit.isEmpty ? "" : " " + i.unit), i.source ?? ""]) }
    out.append(markdown ? AUMRenderer.markdownTable(ti) : ti.render(indent: "  "))
    out.append("")
    out.append("\(h3)Steps")
    for s in rec.steps {
      let values = s.inputs.map { "\($0.name) \(num($0.value))" }.joined(separator: ", ")
      out.append(
        "\(markdown ? "- " : "  ")\(s.title): \(s.formula) = \(num(s.value))\(s.unit.isEmpty ? "" : " " + s.unit)"
          + (verbose || markdown ? "   [\(values)]" : ""))
    }
    out.append("")
    out.append("\(h3)Limits (maximum quantity of \(rec.symbol) for this trade)")
    if markdown {
      var tl = TextTable(["Limit", "Max quantity", "Headroom", "", "How"], leftAligned: [0, 3, 4])
      for l in rec.limits {
        tl.add([
          l.id.title, l.maxQuantity.map { num($0) } ?? "—", l.maxQuantity.map { num($0 - rec.quantity) } ?? "",
          l.binding ? "← binding" : "", (l.applies ? l.formula : "") + (l.note.map { " — " + $0 } ?? ""),
        ])
      }
      out.append(AUMRenderer.markdownTable(tl))
    } else {
      var tl = TextTable(["Limit", "Max quantity", "Headroom", ""], leftAligned: [0, 3])
      var details: [[String]] = []
      for l in rec.limits {
        tl.add([
          l.id.title, l.maxQuantity.map { num($0) } ?? "—", l.maxQuantity.map { num($0 - rec.quantity) } ?? "",
          l.binding ? "← binding" : "",
        ])
        var d: [String] = []
        if l.applies && verbose {
          d.append(l.formula)
          if !l.inputs.isEmpty { d.append(l.inputs.map { "\($0.name) \(num($0.value))" }.joined(separator: ", ")) }
        }
        if let note = l.note { d.append(note) }
        if l.minQuantity > 0 { d.append("at least \(num(l.minQuantity)) to bring the account within") }
        details.append(d)
      }
      let rendered = tl.render(indent: "  ").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      out += rendered.prefix(2)
      for (i, line) in rendered.dropFirst(2).enumerated() {
        out.append(line)
        for d in details[i] { out.append("      " + d) }
      }
    }
    out.append(
      "  Recommended = min of the limits \(num(rec.unroundedQuantity)), rounded down to the lot \(num(rec.lotSize)): \(qty(rec.quantity, lot: rec.lotSize)) (rounding gives up \(num(rec.roundingLoss)))"
    )
    out.append("")
    out.append("\(h3)What would change it")
    for w in rec.whatIf { out.append("  - " + w) }
    let across = r.acrossRegimes.map { a -> String in
      let scaled = r.acrossRegimes.contains { $0.equityBase.map { $0 != rec.equity } ?? false }
      let base = scaled ? a.equityBase.map { ", base \(num($0))" } ?? "" : ""
      if let q = a.quantity {
        return
          "\(a.regime) \(qty(q, lot: rec.lotSize))\(a.binding.map { " (\($0.title)\(base))" } ?? (scaled ? " (\(base.dropFirst(2)))" : ""))"
      }
      return "\(a.regime): \(a.error ?? "—")"
    }
    out.append("  - by regime: " + across.joined(separator: " · "))
    if r.choice.auto {
      out.append("")
      out.append("\(h3)Regime evidence (--regime auto)")
      for e in r.choice.evidence {
        out.append(
          "  \(e.subject): \(e.window)-day σ \(Format.percent(e.current)) a year is at the \(Format.fixed(e.percentile * 100, 0))th percentile of its \(e.samples) rolling values (median \(Format.percent(e.median)), range \(Format.percent(e.low))–\(Format.percent(e.high)); bounds \(e.bounds.map { Format.percent($0) }.joined(separator: " / "))) → \(e.regime)"
        )
      }
      out.append("  The more severe of these sets the regime: \(r.choice.profile.name).")
    }
    let warnings = r.warnings
    if !warnings.isEmpty {
      out.append("")
      out.append("\(h3)Warnings")
      out += warnings.map { "  - " + $0 }
    }
    return out.joined(separator: "\n") + "\n"
  }

  /// Coded warnings: `[{code, subject, message}]`.
  static func diagnostics(_ d: [Diagnostic]) -> JSONValue {
    .array(
      d.map {
        ["code": .string($0.code.rawValue), "subject": $0.subject.map { .string($0) } ?? .null, "message": .string($0.message)]
      })
  }

  static func named(_ values: [NamedValue]) -> JSONValue {
    .array(
      values.map { v in
        var o: [String: JSONValue] = ["name": .string(v.name), "value": .number(v.value)]
        if !v.unit.isEmpty { o["unit"] = .string(v.unit) }
        if let s = v.source { o["source"] = .string(s) }
        return .object(o)
      })
  }

  public static func json(_ r: SizeReport) -> JSONValue {
    let rec = r.recommendation
    var recommendation: [String: JSONValue] = [
      "quantity": .number(rec.quantity), "lots": .number(rec.lots), "lotSize": .number(rec.lotSize),
      "unroundedQuantity": .number(rec.unroundedQuantity), "roundingLoss": .number(rec.roundingLoss),
      "notional": .number(rec.notional), "entry": .number(rec.entry), "stop": .number(rec.stop),
      "leverageBefore": .number(rec.leverageBefore), "leverageAfter": .number(rec.leverageAfter),
      "leverageCap": .number(rec.leverageCap), "moneyAtRisk": .number(rec.moneyAtRisk),
      "riskFractionOfEquity": .number(rec.moneyAtRiskFraction), "binding": rec.binding.map { .string($0.rawValue) } ?? .null,
      "zeroReason": rec.zeroReason.map { .string($0) } ?? .null,
    ]
    if let v = rec.portfolioVolatilityBefore { recommendation["portfolioVolatilityBefore"] = .number(v) }
    if let v = rec.portfolioVolatilityAfter { recommendation["portfolioVolatilityAfter"] = .number(v) }
    if let v = rec.riskShareAfter { recommendation["riskShareAfter"] = .number(v) }
    var doc: [String: JSONValue] = [
      "schemaVersion": .integer(schemaVersion),
      "command": "size",
      "instrument": .string(rec.symbol),
      "assetClass": .string(rec.spec.assetClass.rawValue),
      "currency": .string(rec.spec.currency),
      "baseCurrency": .string(rec.baseCurrency),
      "side": .string(rec.side.rawValue),
      "regime": .string(rec.profile.name),
      "regimeSource": .string(r.choice.auto ? "auto" : "flag"),
      "profile": .string(rec.profile.source),
      "equity": .number(rec.equity),
      "equityBase": equityBase(rec.equityBase),
      "tradingState": .string(r.tradingState.state.rawValue),
      "recommendation": .object(recommendation),
      "stop": [
        "price": .number(rec.stop), "source": .string(rec.stopSource), "distance": .number(rec.stopDistance),
        "distanceFraction": .number(rec.stopDistanceFraction), "distanceATR": .optional(rec.stopDistanceATR),
        "distanceDailySigma": .number(rec.stopDistanceSigma),
      ],
      "limits": .array(
        rec.limits.map { l in
          [
            "id": .string(l.id.rawValue), "maxQuantity": .optional(l.maxQuantity), "minQuantity": .number(l.minQuantity),
            "binding": .bool(l.binding), "applies": .bool(l.applies), "formula": .string(l.formula), "inputs": named(l.inputs),
            "note": l.note.map { .string($0) } ?? .null,
          ]
        }),
      "steps": .array(
        rec.steps.map { s in
          [
            "id": .string(s.id.rawValue), "title": .string(s.title), "formula": .string(s.formula), "inputs": named(s.inputs),
            "value": .number(s.value), "unit": .string(s.unit),
          ]
        }),
      "inputs": named(rec.inputs),
      "takeProfits": .array(rec.takeProfits.map { ["r": .integer($0.multiple), "price": .number($0.price)] }),
      "trailingStop": rec.trailingStop.map { t in ["price": .number(t), "rule": .string(rec.trailingRule ?? "")] } ?? .null,
      "liquidity": [
        "averageDailyVolume": .optional(rec.stats.averageDailyVolume), "participation": .optional(rec.participation),
        "slippageFraction": .optional(rec.slippageFraction), "impactCoefficient": .number(rec.profile.impactCoefficient),
        "model": "slippage = coefficient × daily σ × √(quantity / ADV)",
      ],
      "byRegime": .array(
        r.acrossRegimes.map { a in
          [
            "regime": .string(a.regime), "quantity": .optional(a.quantity),
            "binding": a.binding.map { .string($0.rawValue) } ?? .null, "error": a.error.map { .string($0) } ?? .null,
            "equityBase": .optional(a.equityBase),
          ]
        }),
      "whatIf": .array(rec.whatIf.map { .string($0) }),
      "warnings": .array(r.warnings.map { .string($0) }),
      "diagnostics": diagnostics(r.diagnostics),
    ]
    if r.choice.auto {
      doc["regimeEvidence"] = .array(
        r.choice.evidence.map { e in
          [
            "subject": .string(e.subject), "currentAnnualVolatility": .number(e.current), "percentile": .number(e.percentile),
            "samples": .integer(e.samples), "window": .integer(e.window), "median": .number(e.median),
            "bounds": .array(e.bounds.map { .number($0) }),
            "regime": .string(e.regime),
          ]
        })
    }
    return .object(doc)
  }

  /// One line for scripts and quick looks: size, lots, entry, stop, money at risk, binding limit, regime.
  public static func brief(_ r: SizeReport) -> String {
    let rec = r.recommendation
    let lots = rec.lotSize == 1 ? "" : " (\(Format.money(rec.lots, 0)) lot\(rec.lots == 1 ? "" : "s"))"
    var line =
      "\(rec.symbol) \(rec.side.rawValue) \(qty(rec.quantity, lot: rec.lotSize))\(lots) entry \(Format.price(rec.entry)) stop \(Format.price(rec.stop)) at risk \(Format.money(rec.moneyAtRisk)) \(rec.baseCurrency) binding \(rec.binding?.rawValue ?? "none") regime \(rec.profile.name)\(r.choice.auto ? " (auto)" : "")"
    if rec.quantity == 0 { line += " — zero: \(rec.zeroReason ?? "no limit allows a positive size")" }
    return line + "\n"
  }

  /// The equity base of the limits, with its drawdown reading and source.
  public static func equityBase(_ b: EquityBase) -> JSONValue {
    var o: [String: JSONValue] = [
      "value": .number(b.value), "equity": .number(b.equity), "steps": .integer(b.steps), "factor": .number(b.factor),
      "source": .string(b.source),
    ]
    if let s = b.scaling { o["scaling"] = ["step": .number(s.step), "cut": .number(s.cut), "profile": .string(b.profileSource)] }
    if let d = b.drawdown, d.points > 0 {
      o["drawdown"] = [
        "highWaterMark": .number(d.highWaterMark), "highWaterDate": .string(d.highWaterDay.description),
        "drawdown": .number(d.drawdown), "snapshots": .integer(d.points),
      ]
    }
    return .object(o)
  }

  public static func csv(_ r: SizeReport) -> String {
    let rec = r.recommendation
    return "instrument,side,regime,quantity,notional,entry,stop,money_at_risk,leverage_after,binding\n"
      + [
        RiskRenderer.csvField(rec.symbol), rec.side.rawValue, RiskRenderer.csvField(rec.profile.name), Format.full(rec.quantity),
        Format.full(rec.notional), Format.full(rec.entry), Format.full(rec.stop), Format.full(rec.moneyAtRisk),
        Format.full(rec.leverageAfter), rec.binding?.rawValue ?? "",
      ].joined(separator: ",") + "\n"
  }
}
