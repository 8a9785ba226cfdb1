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
    /// Where each part came from (file, line, key path), for ``ScenarioFile/validate(_:_:against:)``.
    public var sources = Sources()
  }

  /// Where an input came from: a file with its line and key path, or a flag.
  public struct Location: Sendable, Hashable {
    public var path: String?
    public var line: Int?
    public var field: String?
    public init(path: String?, line: Int? = nil, field: String? = nil) {
      self.path = path
      self.line = line
      self.field = field
    }
    /// A command-line flag and its value: `--shock 'BTC=-30%'`.
    public static func flag(_ name: String, _ value: String) -> Location { Location(path: "\(name) \(quoted(value))") }
    public func error(_ kind: InputError.Kind, _ message: String) -> InputError {
      InputError(kind, path: path, line: line, field: field, message)
    }
  }

  /// The source of each part of a scenario, parallel to its lists.
  public struct Sources: Sendable {
    public var shocks: [Location] = []
    public var flows: [Location] = []
    public var regime: Location? = nil
    public var baseRegime: Location? = nil
    public var replay: Location? = nil
    public var capacity: Location? = nil
    public init() {}
  }

  /// What a scenario is checked against before the engine runs.
  public struct Context: Sendable {
    public var instruments: Set<String>
    public var assetClasses: Set<AssetClass>
    public var regimes: [String]
    public var equity: Double
    public var firstDay: Day?
    public var lastDay: Day?
    public init(
      instruments: Set<String>, assetClasses: Set<AssetClass>, regimes: [String], equity: Double, firstDay: Day?, lastDay: Day?
    ) {
      self.instruments = instruments
      self.assetClasses = assetClasses
      self.regimes = regimes
      self.equity = equity
      self.firstDay = firstDay
      self.lastDay = lastDay
    }
  }

  /// Checks a scenario (from a file and/or flags) against the market, the account and the
  /// regimes before the engine runs, naming the file and key path, or the flag, of each
  /// problem: a shock on an instrument neither held nor in the market data, a regime with no
  /// profile, a capacity instrument without data, a replay range that is reversed or outside
  /// the data, withdrawals above the equity. Every problem is reported at once.
  public static func validate(_ s: Scenario, baseRegime: String, _ sources: Sources, against c: Context) throws {
    var errors: [InputError] = []
    let unknown = Location(path: s.source.isEmpty ? nil : s.source)
    for (i, shock) in s.shocks.enumerated() {
      let at = i < sources.shocks.count ? sources.shocks[i] : unknown
      switch shock.target {
      case .instrument(let sym) where !c.instruments.contains(sym):
        let hint = closeMatches(for: sym, in: Array(c.instruments)).first.map { " (did you mean \($0)?)" } ?? ""
        errors.append(
          at.error(
            .unknownInstrument, "unknown instrument \(quoted(sym)) in a shock: neither held nor in the market data\(hint)."))
      case .assetClass(let cls) where !c.assetClasses.contains(cls):
        errors.append(at.error(.invalidValue, "shock on class:\(cls.rawValue): the account holds no \(cls.rawValue) position."))
      case .group(let g):
        errors.append(
          at.error(.invalidValue, "shock on group:\(g): a shock is on an instrument or a class:CLASS; group: is for budgets."))
      default: break
      }
      if !InputRange.shock.contains(shock.change) {
        errors.append(at.error(.invalidValue, InputRange.shock.violation("\(shock.change * 100)%")))
      }
    }
    func checkRegime(_ name: String?, _ at: Location?, _ what: String) {
      guard let name, !c.regimes.contains(name) else { return }
      errors.append(
        (at ?? unknown).error(
          .invalidValue,
          "unknown regime \(quoted(name)) (the \(what)): no profile has it; known: \(c.regimes.joined(separator: ", "))."))
    }
    // A regime given by flag (--regime, --to-regime) is a usage error (exit 64) with the closest names.
    for (name, at) in [(s.regime, sources.regime), (baseRegime, sources.baseRegime)] {
      if let name, !c.regimes.contains(name), let flag = at?.path, flag.hasPrefix("--") {
        throw UnknownRegimeError(name: name, known: c.regimes, flag: String(flag.prefix { $0 != " " }))
      }
    }
    checkRegime(s.regime, sources.regime, "regime")
    checkRegime(baseRegime, sources.baseRegime, "base regime")
    if let q = s.capacity, !c.instruments.contains(q.instrument) {
      errors.append(
        (sources.capacity ?? unknown).error(
          .unknownInstrument, "capacity instrument \(quoted(q.instrument)) is not in the market data."))
    }
    if case .range(let from, let to)? = s.replay {
      let at = sources.replay ?? unknown
      if from > to {
        errors.append(at.error(.invalidValue, "the replay range is reversed: from \(from) is after to \(to)."))
      } else if let first = c.firstDay, let last = c.lastDay, to < first || from > last {
        errors.append(
          at.error(.invalidValue, "the replay range \(from) to \(to) is outside the data (\(first) to \(last))."))
      }
    }
    var withdrawn = 0.0
    for (i, f) in s.flows.enumerated() {
      let at = i < sources.flows.count ? sources.flows[i] : unknown
      switch f {
      case .money(let a, _) where a < 0: withdrawn += -a
      case .fractionOfEquity(let p) where p < 0: withdrawn += -p * max(c.equity, 0)
      default: break
      }
      if withdrawn > max(c.equity, 0) * (1 + 1e-12) {
        errors.append(
          at.error(
            .invalidValue,
            "the withdrawals add up to \(Format.money(withdrawn)), more than the equity \(Format.money(c.equity)); a withdrawal is at most the equity."
          ))
        break
      }
    }
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw InputErrors(errors) }
  }

  public static func load(_ path: String) throws -> Loaded {
    try parse(try InputFiles.readText(path, what: "scenario file", maxBytes: InputLimits.yamlBytes), path: path)
  }

  /// Parses scenario YAML in memory (the fuzzer's and the tests' entry point).
  public static func parse(_ text: String, path: String) throws -> Loaded {
    let (reader, root) = try YAMLReader.parse(text, path: path)
    root.requireVersion(version)
    let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    var s = Scenario(name: root.string("name") ?? stem, description: root.string("description") ?? "", source: path)
    var sources = Sources()
    func at(_ node: Node?, _ field: String) -> Location { Location(path: path, line: node?.mark?.line, field: field) }
    let base = root.string("base_regime")
    if base != nil { sources.baseRegime = at(root.value("base_regime"), "base_regime") }
    s.regime = root.string("regime")
    if s.regime != nil { sources.regime = at(root.value("regime"), "regime") }
    if let shocks = root.table("shocks") {
      for key in shocks.keys {
        guard let node = shocks.value(key) else { continue }
        guard let change = fraction(node) else {
          reader.report(
            .notANumber, node, shocks.child(key),
            "\(node.string.map { quoted($0) } ?? "the value") is not a change such as -30% or -0.3.")
          continue
        }
        guard let target = target(key) else {
          reader.report(
            .invalidValue, node, shocks.child(key),
            "\(quoted(key)) is not an instrument or class:NAME (\(AssetClass.allCases.map(\.rawValue).joined(separator: ", "))).")
          continue
        }
        guard InputRange.shock.contains(change) else {
          reader.report(.invalidValue, node, shocks.child(key), InputRange.shock.violation(node.string ?? "\(change)"))
          continue
        }
        s.shocks.append(Shock(target, change))
        sources.shocks.append(at(node, shocks.child(key)))
      }
    }
    s.volatilityMultiplier = root.number("volatility_multiplier", range: InputRange.volatilityMultiplier) ?? 1
    if let c = root.table("correlation") {
      s.correlationTarget = c.number("target", required: "the correlation every pair moves toward", range: InputRange.correlation)
      s.correlationWeight = c.number("weight", range: InputRange.weight) ?? 1
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
      let key = "flows[\(i)].\(deposit != nil ? "deposit" : "withdraw")"
      if let c = currency, !AccountFile.isCurrencyCode(c) {
        reader.report(.invalidValue, f.value("currency"), "flows[\(i)].currency", "\(quoted(c)) is not an ISO currency code.")
      }
      if let text = node.string, text.hasSuffix("%"), let p = fraction(node) {
        guard p >= 0 else {
          reader.report(.invalidValue, node, key, "give a positive percentage; use deposit or withdraw for the direction.")
          f.rejectUnknownKeys()
          continue
        }
        let range = sign > 0 ? InputRange.depositFraction : InputRange.withdrawFraction
        guard range.contains(p) else {
          reader.report(.invalidValue, node, key, range.violation(text))
          f.rejectUnknownKeys()
          continue
        }
        s.flows.append(.fractionOfEquity(sign * p))
        sources.flows.append(at(node, key))
      } else if case .scalar = node, let amount = f.number(node: node, keyPath: key, range: InputRange.flowAmount) {
        s.flows.append(.money(sign * amount, currency: currency ?? ""))
        sources.flows.append(at(node, key))
      } else if case .scalar = node {
        // reported by number(node:keyPath:range:)
      } else {
        reader.report(.notANumber, node, key, "expected an amount or a percentage of equity.")
      }
      f.rejectUnknownKeys()
    }
    for (i, o) in root.tables("orders").enumerated() {
      let symbol = o.string("instrument", required: "the instrument") ?? ""
      let sideText = o.string("side", required: "buy or sell") ?? "buy"
      let side: TradeSide? = ["buy", "long"].contains(sideText) ? .long : ["sell", "short"].contains(sideText) ? .short : nil
      if side == nil {
        reader.report(.invalidValue, o.value("side"), "orders[\(i)].side", "\(quoted(sideText)) is not buy or sell.")
      }
      let q = o.number("quantity", required: "a positive quantity", range: InputRange.orderSize)
      let price = o.number("price", range: InputRange.entry)
      let stop = o.number("stop", range: InputRange.stop)
      let id = o.string("client_order_id")
      o.rejectUnknownKeys()
      if let side, let q, !symbol.isEmpty {
        s.orders.append(Order(clientOrderID: id, symbol: symbol, side: side, quantity: q, price: price, stop: stop, line: o.line))
      }
    }
    if let r = root.table("replay") {
      if r.has("worst_days") {
        if let n = r.integer("worst_days", range: 1...InputLimits.maxLookback) { s.replay = .worstDays(n) }
        sources.replay = at(r.value("worst_days"), "replay.worst_days")
      } else if let from = r.day("from", required: "the first day, YYYY-MM-DD"),
        let to = r.day("to", required: "the last day, YYYY-MM-DD")
      {
        if from > to {
          reader.report(
            .invalidValue, r.value("to"), "replay.to", "the replay range is reversed: to \(to) is before from \(from).")
        } else {
          s.replay = .range(from: from, to: to)
          sources.replay = at(r.node, "replay")
        }
      }
      if let m = r.oneOf("mode", ReplayMode.self) { s.replayMode = m }
      r.rejectUnknownKeys()
    }
    if let c = root.table("copy_trading") {
      s.followersJoin = c.number("followers_join", range: InputRange.followerFlow) ?? 0
      s.followersLeave = c.number("followers_leave", range: InputRange.followerFlow) ?? 0
      if let q = c.table("capacity") {
        let inst = q.string("instrument", required: "the instrument of the lead trade") ?? ""
        sources.capacity = at(q.value("instrument") ?? q.node, "copy_trading.capacity.instrument")
        let f =
          q.number(
            "lead_trade_fraction", required: "the lead trade as a fraction of strategy AUM", range: InputRange.leadTradeFraction)
          ?? 0.05
        let bps =
          q.number(
            "slippage_budget_bps", required: "the largest acceptable slippage, basis points",
            range: InputRange.slippageBudgetBps) ?? 25
        q.rejectUnknownKeys()
        s.capacity = CapacityQuestion(instrument: inst, leadTradeFraction: f, slippageBudget: bps / 10_000)
      }
      c.rejectUnknownKeys()
    }
    root.rejectUnknownKeys()
    try reader.finish()
    return Loaded(scenario: s, baseRegime: base, sources: sources)
  }

  /// `BTC`, or `class:stock`.
  public static func target(_ text: String) -> ShockTarget? { InstrumentSelector(parsing: text) }

  /// `-30%` → −0.30; `-0.3` → −0.3.
  public static func parseFraction(_ text: String) -> Double? {
    var t = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "−", with: "-")
    let percent = t.hasSuffix("%")
    if percent { t.removeLast() }
    guard t.count <= InputLimits.numberCharacters,
      t.unicodeScalars.allSatisfy({ "0123456789+-.eE_".unicodeScalars.contains($0) }),
      let v = Double(t.replacingOccurrences(of: "_", with: "")), v.isFinite
    else { return nil }
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
