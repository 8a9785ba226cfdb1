import Foundation
import RiskCore

public enum ReportFormat: String, Sendable, CaseIterable {
  case text, json, csv, markdown
}

/// Renders `advisor aum`.
public enum AUMRenderer {
  public static let schemaVersion = 1

  public static func render(_ v: AccountValuation, copy: CopyTradingAUM?, as format: ReportFormat) throws -> String {
    try NonFinite.guarding("aum report (--format \(format.rawValue))") {
      switch format {
      case .text: return text(v, copy: copy, markdown: false)
      case .markdown: return text(v, copy: copy, markdown: true)
      case .json: return try json(v, copy: copy).rendered(terminator: "\n")
      case .csv: return csv(v)
      }
    }
  }

  static func multiplierText(_ p: Position) -> String {
    if p.assetClass == .bond, let f = p.faceValue { return "face " + Format.money(f, 0) }
    return p.multiplier == 1 ? "" : "×" + Format.money(p.multiplier, p.multiplier == p.multiplier.rounded() ? 0 : 2)
  }

  static func quantityText(_ q: Double) -> String {
    q == q.rounded() ? Format.money(q, 0) : Format.money(q, 4)
  }

  public static func text(_ v: AccountValuation, copy: CopyTradingAUM?, markdown: Bool) -> String {
    let a = v.account
    let b = a.baseCurrency
    var out: [String] = []
    out.append("\(markdown ? "## " : "")Account \(a.name): base \(b), as of \(a.asOf) (\(a.source))")
    out.append("")
    var t = TextTable(
      ["Symbol", "Class", "Quantity", "Price", "Mult/face", "Ccy", "FX", "AUM \(b)", "Exposure \(b)", "Equity \(b)"],
      leftAligned: [0, 1, 5])
    for p in v.positions {
      let pos = p.position
      t.add([
        pos.symbol, pos.assetClass.rawValue, quantityText(pos.quantity),
        Format.price(p.price) + (pos.quote == .percentOfPar ? "%" : ""), multiplierText(pos), pos.currency,
        p.fxRate == 1 ? "1" : Format.significant(p.fxRate, 6), Format.money(p.aum), Format.money(p.exposure),
        Format.money(p.equityContribution),
      ])
    }
    for c in v.cash {
      t.add([
        "cash", "cash", Format.money(c.amount), "", "", c.currency, c.fxRate == 1 ? "1" : Format.significant(c.fxRate, 6),
        Format.money(c.value), "", Format.money(c.value),
      ])
    }
    out.append(markdown ? markdownTable(t) : t.render())
    out.append("")
    out.append("\(markdown ? "### " : "")Totals (\(b))")
    let rows: [(String, Double?, String)] = [
      ("Securities AUM", v.securitiesAUM, "Σ |price × quantity × multiplier| × FX, all but futures"),
      ("Futures AUM", v.futuresAUM, "Σ |price × quantity × multiplier| × FX; a price below 0 counts as 0"),
      ("Cash", v.cashTotal, "daily balances × FX"),
      ("Total AUM", v.totalAUM, "broker rules: securities + futures + cash"),
      ("Equity (NLV)", v.equity, "cash + long − short market value; futures/FX/CFD by unrealised P&L"),
      ("Gross exposure", v.grossExposure, "Σ |exposure|, options delta-adjusted where a delta is given"),
      ("Net exposure", v.netExposure, "Σ exposure"),
    ]
    var tt = TextTable(["", "Amount", "How"], leftAligned: [0, 2])
    for (label, value, how) in rows { tt.add([label, value.map { Format.money($0) } ?? "—", how]) }
    tt.add(["Leverage", v.leverage.map { Format.fixed($0, 2) + "×" } ?? "—", "gross exposure / equity"])
    let m = v.margin
    let from = m.stated.map { "stated by the broker (\($0.source))" } ?? "Σ |quantity| × margin terms, no offsets"
    tt.add(["Margin in use", Format.money(m.inUse), "initial margin: \(from)"])
    tt.add(["Maintenance margin", Format.money(m.maintenanceInUse), m.stated == nil ? "Σ |quantity| × maintenance terms" : from])
    tt.add(["Excess liquidity", Format.money(m.excessLiquidity), "equity − margin in use"])
    tt.add([
      "Maintenance excess", Format.money(m.maintenanceExcess), "equity − maintenance margin (the cushion before a margin call)",
    ])
    tt.add([
      "Margin utilisation", m.utilisation.map { Format.percent($0) } ?? "—",
      "margin in use / equity (max_margin_utilisation caps it)",
    ])
    out.append(markdown ? markdownTable(tt) : tt.render())
    if !m.withoutTerms.isEmpty {
      out.append(
        "Margin: \(m.withoutTerms.joined(separator: ", ")) \(m.withoutTerms.count == 1 ? "has" : "have") no margin terms in instruments.yaml and count 0."
      )
    }
    out.append("")
    out.append("Equity, not AUM, is the base for risk budgets: AUM counts short and margined positions at full size.")
    out.append("")
    var ct = TextTable(["Asset class", "Positions", "AUM", "Gross", "Net"])
    for g in v.byClass { ct.add([g.key, String(g.positions), Format.money(g.aum), Format.money(g.gross), Format.money(g.net)]) }
    out.append(markdown ? markdownTable(ct) : ct.render())
    out.append("")
    var cc = TextTable(["Currency", "Positions", "AUM incl. cash", "Gross", "Net"])
    for g in v.byCurrency {
      cc.add([g.key, String(g.positions), Format.money(g.aum), Format.money(g.gross), Format.money(g.net)])
    }
    out.append(markdown ? markdownTable(cc) : cc.render())
    out.append("")
    out.append(
      "FX rates used (\(b) per unit, closing \(a.asOf)): "
        + v.fxUsed.map { "\($0.currency) \($0.rate == 1 ? "1" : Format.significant($0.rate, 8))" }.joined(separator: ", "))
    let sourced = v.positions.filter { if case .marketData = $0.priceSource { return true } else { return false } }
    if !sourced.isEmpty {
      out.append("Prices from market data:")
      let width = sourced.map(\.position.symbol.count).max() ?? 0
      for p in sourced {
        out.append(
          "  " + p.position.symbol + String(repeating: " ", count: width - p.position.symbol.count) + "  \(p.priceSource)")
      }
    }
    let notes = v.positions.flatMap { p in
      p.notes.filter { !$0.hasPrefix("price from market data") }.map { "\(p.position.symbol): \($0)" }
    }
    for n in notes { out.append("Note: " + n) }
    if let copy {
      out.append("")
      out.append(
        "\(markdown ? "### " : "")Copy-trading strategy AUM (\(copy.baseCurrency)), lead's own capital \(copy.includesLead ? "included" : "not included")"
      )
      var ft = TextTable(["Follower", "Allocation", "Ccy", "FX", "Value", "Share"], leftAligned: [0, 2])
      for l in copy.lines {
        ft.add([
          l.follower.id + (l.follower.isLead ? " (lead)" : ""), Format.money(l.follower.allocation), l.follower.currency,
          l.fxRate == 1 ? "1" : Format.significant(l.fxRate, 6), Format.money(l.value),
          l.counted ? Format.percent(l.share) : "not counted",
        ])
      }
      out.append(markdown ? markdownTable(ft) : ft.render())
      out.append(
        "Strategy AUM \(Format.money(copy.total)) = followers \(Format.money(copy.followersTotal))"
          + (copy.includesLead
            ? " + lead \(Format.money(copy.leadCapital))"
            : " (lead's \(Format.money(copy.leadCapital)) excluded; --include-lead to count it)"))
    }
    if !v.warnings.isEmpty {
      out.append("")
      out.append("Warnings")
      out += v.warnings.map { "  - " + $0 }
    }
    return out.joined(separator: "\n") + "\n"
  }

  /// A Markdown table; a `|` inside a cell (`|entry − stop|`) is escaped so it does not split the cell.
  static func markdownTable(_ t: TextTable) -> String {
    var lines = ["| " + t.header.map(markdownCell).joined(separator: " | ") + " |"]
    lines.append("|" + t.header.indices.map { t.leftAligned.contains($0) ? "---|" : "---:|" }.joined())
    for r in t.rows { lines.append("| " + r.map { $0.isEmpty ? " " : markdownCell($0) }.joined(separator: " | ") + " |") }
    return lines.joined(separator: "\n")
  }

  static func markdownCell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }

  public static func json(_ v: AccountValuation, copy: CopyTradingAUM?) -> JSONValue {
    let a = v.account
    let positions: [JSONValue] = v.positions.map { p in
      let pos = p.position
      var o: [String: JSONValue] = [
        "symbol": .string(pos.symbol), "assetClass": .string(pos.assetClass.rawValue), "quantity": .number(pos.quantity),
        "currency": .string(pos.currency), "price": .number(p.price), "priceSource": .string(p.priceSource.description),
        "priceQuote": .string(pos.quote == .percentOfPar ? "percent-of-par" : "per-unit"), "multiplier": .number(pos.multiplier),
        "faceValue": .optional(pos.faceValue), "fxRate": .number(p.fxRate), "marketValueLocal": .number(p.marketValueLocal),
        "marketValue": .number(p.marketValue), "aum": .number(p.aum), "aumBucket": .string(p.bucket.rawValue),
        "exposure": .number(p.exposure), "exposureMethod": .string(p.exposureMethod.rawValue),
        "unrealizedPnL": .optional(p.unrealizedPnL), "equityContribution": .number(p.equityContribution),
        "averageCost": .optional(pos.averageCost), "delta": .optional(pos.delta),
        "notes": .array(p.notes.map { .string($0) }),
        "initialMargin": .optional(p.initialMargin), "maintenanceMargin": .optional(p.maintenanceMargin),
      ]
      if case .marketData(_, let day, _) = p.priceSource {
        o["priceDate"] = .string(day.description)
        o["priceAgeDays"] = .integer(p.priceAgeDays)
      }
      return .object(o)
    }
    func groups(_ gs: [ExposureGroup]) -> JSONValue {
      .object(
        Dictionary(
          uniqueKeysWithValues: gs.map {
            (
              $0.key,
              JSONValue.object([
                "aum": .number($0.aum), "gross": .number($0.gross), "net": .number($0.net), "positions": .integer($0.positions),
              ])
            )
          }))
    }
    var doc: [String: JSONValue] = [
      "schemaVersion": .integer(schemaVersion),
      "command": "aum",
      "account": [
        "name": .string(a.name), "baseCurrency": .string(a.baseCurrency), "asOf": .string(a.asOf.description),
        "source": .string(a.source),
      ],
      "positions": .array(positions),
      "cash": .array(
        v.cash.map {
          [
            "currency": .string($0.currency), "amount": .number($0.amount), "fxRate": .number($0.fxRate),
            "value": .number($0.value),
          ]
        }),
      "totals": [
        "securitiesAUM": .number(v.securitiesAUM), "futuresAUM": .number(v.futuresAUM), "cash": .number(v.cashTotal),
        "totalAUM": .number(v.totalAUM), "equity": .number(v.equity), "grossExposure": .number(v.grossExposure),
        "netExposure": .number(v.netExposure), "leverage": .optional(v.leverage), "netLeverage": .optional(v.netLeverage),
      ],
      "byAssetClass": groups(v.byClass),
      "byCurrency": groups(v.byCurrency),
      "fxQuote": "base-per-unit",
      "fxRates": .object(Dictionary(uniqueKeysWithValues: v.fxUsed.map { ($0.currency, JSONValue.number($0.rate)) })),
      "riskBudgetBase": "equity",
      "margin": marginJSON(v.margin),
      "warnings": .array(v.warnings.map { .string($0) }),
    ]
    if let copy {
      doc["copyTrading"] = [
        "baseCurrency": .string(copy.baseCurrency), "includesLead": .bool(copy.includesLead),
        "followersTotal": .number(copy.followersTotal),
        "leadCapital": .number(copy.leadCapital), "strategyAUM": .number(copy.total),
        "followers": .array(
          copy.lines.map { l in
            [
              "id": .string(l.follower.id), "allocation": .number(l.follower.allocation),
              "currency": .string(l.follower.currency),
              "fxRate": .number(l.fxRate), "value": .number(l.value), "share": .number(l.share),
              "isLead": .bool(l.follower.isLead), "counted": .bool(l.counted),
            ]
          }),
      ]
    }
    return .object(doc)
  }

  static func marginJSON(_ m: MarginSummary) -> JSONValue {
    [
      "inUse": .number(m.inUse), "maintenanceInUse": .number(m.maintenanceInUse),
      "excessLiquidity": .number(m.excessLiquidity), "maintenanceExcess": .number(m.maintenanceExcess),
      "utilisation": .optional(m.utilisation), "modelInitial": .number(m.modelInitial),
      "modelMaintenance": .number(m.modelMaintenance), "source": .string(m.stated == nil ? "model" : "stated"),
      "stated": m.stated.map { s in
        JSONValue.object([
          "initial": .number(s.initial), "maintenance": .optional(s.maintenance), "source": .string(s.source),
        ])
      } ?? .null,
      "withoutTerms": .array(m.withoutTerms.map { .string($0) }),
    ]
  }

  public static func csv(_ v: AccountValuation) -> String {
    var lines = [
      "symbol,asset_class,quantity,price,price_source,multiplier,face_value,currency,fx_rate,market_value,aum,aum_bucket,exposure,exposure_method,equity_contribution"
    ]
    for p in v.positions {
      let pos = p.position
      lines.append(
        [
          RiskRenderer.csvField(pos.symbol), pos.assetClass.rawValue, Format.full(pos.quantity), Format.full(p.price),
          RiskRenderer.csvField(p.priceSource.description),
          Format.full(pos.multiplier), pos.faceValue.map { Format.full($0) } ?? "", pos.currency, Format.full(p.fxRate),
          Format.full(p.marketValue), Format.full(p.aum),
          p.bucket.rawValue, Format.full(p.exposure), p.exposureMethod.rawValue, Format.full(p.equityContribution),
        ].joined(separator: ","))
    }
    for c in v.cash {
      lines.append(
        [
          "cash", "cash", Format.full(c.amount), "", "", "", "", c.currency, Format.full(c.fxRate), Format.full(c.value),
          Format.full(c.value), "cash", "", "",
          Format.full(c.value),
        ].joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
