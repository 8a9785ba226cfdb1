import Foundation
import RiskCore
import Yams

/// Scenario files (YAML, versioned, strict like the profiles). See `examples/scenarios/README.md`.
///
/// ```yaml
/// version: 1
/// name: Crypto crash and client outflow
/// description: BTC and ETH fall, stocks slip, a client withdraws a fifth, the regime turns to crisis.
/// base_regime: normal                 # optional: the regime before (else --regime, else normal)
/// regime: crisis                      # optional: the regime after
/// shocks: {BTC: -30%, ETH: -35%, "class:stock": -10%}
/// volatility_multiplier: 1.5
/// correlation: {target: 0.8, weight: 0.5}     # ρ' = (1 − weight)·ρ + weight·target
/// flows:
///   - {withdraw: 20%}                 # of equity before the scenario
///   - {deposit: 50000, currency: USD}
/// orders:                             # applied first, at their price (else the last close)
///   - {instrument: BTC, side: buy, quantity: 0.25, stop: 52000}
/// replay: {from: 2020-03-09, to: 2020-03-23}  # or {worst_days: 10}
/// copy_trading:
///   followers_join: 100000            # base currency
///   followers_leave: 20000
///   capacity: {instrument: ETH, lead_trade_fraction: 0.05, slippage_budget_bps: 25}
/// ```
public enum ScenarioFile {
  public static let version = 1

  public struct Loaded: Sendable {
    public var scenario: Scenario
    public var baseRegime: String?
  }

  public static func load(_ path: String) throws -> Loaded {
    let (reader, root) = try YAMLReader.open(path)
    root.requireVersion(version)
    let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    var s = Scenario(name: root.string("name") ?? stem, description: root.string("description") ?? "", source: path)
    let base = root.string("base_regime")
    s.regime = root.string("regime")
    if let shocks = root.table("shocks") {
      for key in shocks.keys {
        guard let node = shocks.value(key) else { continue }
        guard let change = fraction(node) else {
          reader.report(.notANumber, node, shocks.child(key), "'\(node.string ?? "…")' is not a change such as -30% or -0.3.")
          continue
        }
        guard let target = target(key) else {
          reader.report(
            .invalidValue, node, shocks.child(key),
            "'\(key)' is not an instrument or class:NAME (\(AssetClass.allCases.map(\.rawValue).joined(separator: ", "))).")
          continue
        }
        s.shocks.append(Shock(target, change))
      }
    }
    s.volatilityMultiplier = root.number("volatility_multiplier", range: 0.000001...1000, rangeText: "a positive multiplier") ?? 1
    if let c = root.table("correlation") {
      s.correlationTarget = c.number(
        "target", required: "the correlation every pair moves toward", range: -1...1, rangeText: "a correlation in [-1, 1]")
      s.correlationWeight = c.number("weight", range: 0...1, rangeText: "a weight in [0, 1]") ?? 1
      c.rejectUnknownKeys()
    }
    for (i, f) in root.tables("flows").enumerated() {
      let deposit = f.value("deposit")
      let withdraw = f.value("withdraw")
      let currency = f.string("currency")
      guard (deposit == nil) != (withdraw == nil), let node = deposit ?? withdraw else {
        reader.report(.invalidValue, f.node, "flows[\(i)]", "give exactly one of deposit or withdraw.")
        f.rejectUnknownKeys()
        continue
      }
      let sign: Double = deposit != nil ? 1 : -1
      if let text = node.string, text.hasSuffix("%"), let p = fraction(node) {
        guard p >= 0 else {
          reader.report(
            .invalidValue, node, "flows[\(i)]", "give a positive percentage; use deposit or withdraw for the direction.")
          continue
        }
        s.flows.append(.fractionOfEquity(sign * p))
      } else if let amount = node.float, amount.isFinite, amount >= 0 {
        s.flows.append(.money(sign * amount, currency: currency ?? ""))
      } else {
        reader.report(.notANumber, node, "flows[\(i)]", "'\(node.string ?? "…")' is not an amount or a percentage of equity.")
      }
      f.rejectUnknownKeys()
    }
    for (i, o) in root.tables("orders").enumerated() {
      let symbol = o.string("instrument", required: "the instrument") ?? ""
      let sideText = o.string("side", required: "buy or sell") ?? "buy"
      let side: TradeSide? = ["buy", "long"].contains(sideText) ? .long : ["sell", "short"].contains(sideText) ? .short : nil
      if side == nil { reader.report(.invalidValue, o.value("side"), "orders[\(i)].side", "'\(sideText)' is not buy or sell.") }
      let q = o.number(
        "quantity", required: "a positive quantity", range: Double.leastNonzeroMagnitude...Double.greatestFiniteMagnitude,
        rangeText: "a positive quantity")
      let price = o.number("price")
      let stop = o.number("stop")
      let id = o.string("client_order_id")
      o.rejectUnknownKeys()
      if let side, let q, !symbol.isEmpty {
        s.orders.append(Order(clientOrderID: id, symbol: symbol, side: side, quantity: q, price: price, stop: stop, line: o.line))
      }
    }
    if let r = root.table("replay") {
      if r.has("worst_days") {
        if let n = r.integer("worst_days", range: 1...10000) { s.replay = .worstDays(n) }
      } else if let from = r.day("from", required: "the first day, YYYY-MM-DD"),
        let to = r.day("to", required: "the last day, YYYY-MM-DD")
      {
        s.replay = .range(from: from, to: to)
      }
      if let m = r.oneOf("mode", ReplayMode.self) { s.replayMode = m }
      r.rejectUnknownKeys()
    }
    if let c = root.table("copy_trading") {
      s.followersJoin =
        c.number("followers_join", range: 0...Double.greatestFiniteMagnitude, rangeText: "a non-negative amount") ?? 0
      s.followersLeave =
        c.number("followers_leave", range: 0...Double.greatestFiniteMagnitude, rangeText: "a non-negative amount") ?? 0
      if let q = c.table("capacity") {
        let inst = q.string("instrument", required: "the instrument of the lead trade") ?? ""
        let f =
          q.number(
            "lead_trade_fraction", required: "the lead trade as a fraction of strategy AUM", range: 0.000001...10,
            rangeText: "a positive fraction") ?? 0.05
        let bps =
          q.number(
            "slippage_budget_bps", required: "the largest acceptable slippage, basis points", range: 0.000001...10000,
            rangeText: "positive basis points") ?? 25
        q.rejectUnknownKeys()
        s.capacity = CapacityQuestion(instrument: inst, leadTradeFraction: f, slippageBudget: bps / 10_000)
      }
      c.rejectUnknownKeys()
    }
    root.rejectUnknownKeys()
    try reader.finish()
    return Loaded(scenario: s, baseRegime: base)
  }

  /// `BTC`, or `class:stock`.
  public static func target(_ text: String) -> ShockTarget? { InstrumentSelector(parsing: text) }

  /// `-30%` → −0.30; `-0.3` → −0.3.
  public static func parseFraction(_ text: String) -> Double? {
    var t = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "−", with: "-")
    let percent = t.hasSuffix("%")
    if percent { t.removeLast() }
    guard let v = Double(t), v.isFinite else { return nil }
    return percent ? v / 100 : v
  }

  static func fraction(_ node: Node) -> Double? { node.string.flatMap(parseFraction) }

  /// `SPEC` of `--shock SPEC`: `BTC=-30%` or `class:stock=-10%`.
  public static func parseShock(_ spec: String) -> Shock? {
    guard let eq = spec.lastIndex(of: "=") else { return nil }
    guard let t = target(String(spec[..<eq])), let f = parseFraction(String(spec[spec.index(after: eq)...])) else { return nil }
    return Shock(t, f)
  }
}
