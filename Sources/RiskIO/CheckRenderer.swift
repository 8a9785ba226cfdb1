import Foundation
import RiskCore

/// Renders `advisor check` results: aligned text lines, one JSON document, or JSON Lines.
public enum CheckRenderer {
  /// Bumped on any change that could break a script reading the JSON.
  public static let schemaVersion = 1

  static func orderLabel(_ r: OrderResult, index: Int) -> String {
    var s = "#\(index)"
    if let id = r.clientOrderID { s += " \(id)" }
    return s
  }

  static func describe(_ o: Order) -> String {
    var s = "\(o.side == .long ? "BUY" : "SELL") \(fmt(o.quantity)) \(o.symbol)"
    if let p = o.price { s += " @ \(fmt(p))" }
    if let st = o.stop { s += " stop \(fmt(st))" }
    return s
  }

  /// The decimals of a non-integral number of magnitude `a` in a text verdict.
  static func textDecimals(_ a: Double) -> Int { a >= 1000 ? 2 : a >= 1 ? 6 : 8 }

  public static func fmt(_ x: Double) -> String {
    guard x.isFinite else { return Format.fixed(x, 0) }
    if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
    var s = Format.fixed(x, textDecimals(abs(x)))
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s
  }

  static func value(_ v: ContextValue) -> String {
    switch v {
    case .number(let x): return fmt(x)
    case .text(let t): return t.contains(" ") ? "\"\(t)\"" : t
    }
  }

  static let codeWidth = FindingCode.allCases.map(\.rawValue.count).max() ?? 24

  /// One order: a header line, then one aligned line per finding. Written through a
  /// ``LineWriter``, the codes' padded columns and the context keys from byte tables: the
  /// string interpolations and joins this was were ≈ 336,000 instructions an order.
  public static func text(_ r: OrderResult, index: Int, strict: Bool) -> String {
    var w = LineWriter(capacity: 4096)
    writeText(r, index: index, strict: strict, to: &w)
    return w.string()
  }

  /// ``text(_:index:strict:)`` appended to a byte buffer: a batch writes its verdicts straight
  /// into the output bytes, without a `String` (whose UTF-8 validation of the arrows and σ
  /// was a third of the text writer's thread).
  public static func appendText(_ r: OrderResult, index: Int, strict: Bool, to bytes: inout [UInt8]) {
    var w = LineWriter(capacity: 4096)
    writeText(r, index: index, strict: strict, to: &w)
    w.append(to: &bytes)
  }

  private static func writeText(_ r: OrderResult, index: Int, strict: Bool, to w: inout LineWriter) {
    let ok = r.passed(strict: strict)
    w.byte(0x23)
    w.integer(index)
    if let id = r.clientOrderID {
      w.byte(0x20)
      w.text(id)
    }
    w.literal("  ")
    if let o = r.order {
      writeText(o, to: &w)
    } else {
      w.literal("line ")
      w.integer(r.line ?? 0)
    }
    w.literal(ok ? "  →  PASS" : "  →  FAIL")
    if r.worst == .warn && ok { w.literal(" (warnings)") }
    if let q = r.maxQuantity {
      w.literal("  max passing quantity ")
      writeText(q, to: &w)
    }
    w.byte(0x0A)
    let findings = r.findings
    for i in findings.indices { writeText(findings[i], to: &w) }
  }

  /// ``describe(_:)``, written.
  private static func writeText(_ o: Order, to w: inout LineWriter) {
    w.literal(o.side == .long ? "BUY " : "SELL ")
    writeText(o.quantity, to: &w)
    w.byte(0x20)
    w.text(o.symbol)
    if let p = o.price {
      w.literal(" @ ")
      writeText(p, to: &w)
    }
    if let st = o.stop {
      w.literal(" stop ")
      writeText(st, to: &w)
    }
  }

  /// ``fmt(_:)``, written without a String below 10¹⁵ in magnitude (a test checks the two
  /// agree); the rest (huge and non-finite values) through it.
  static func writeText(_ x: Double, to w: inout LineWriter) {
    let a = abs(x)
    guard a < 1e15 else { return w.text(fmt(x)) }
    if x == Double(Int(x)) {
      w.integer(Int(x))
    } else {
      w.trimmedFixed(x, decimals: textDecimals(a))
    }
  }

  /// A finding's sentence written piece by piece, a number as `fmt`'s bytes (it never needs
  /// an escape); text escaped as inside a JSON string when `jsonEscaped`.
  private static func writeMessage(_ f: Finding, jsonEscaped: Bool, to w: inout LineWriter) {
    f.pieces { p in
      switch p {
      case .literal(let s): if jsonEscaped { w.jsonStringContent(s) } else { w.literal(s) }
      case .text(let t): if jsonEscaped { w.jsonStringContent(t) } else { w.text(t) }
      case .number(let x): writeFmtBytes(x) { w.bytes($0) }
      }
    }
  }

  private static func writeText(_ f: Finding, to w: inout LineWriter) {
    switch f.severity {
    case .pass: w.literal("  PASS  ")
    case .warn: w.literal("  WARN  ")
    case .fail: w.literal("  FAIL  ")
    }
    FindingCode.textColumn.write(f.code.ordinal, to: &w)
    writeMessage(f, jsonEscaped: false, to: &w)
    let context = f.context
    if !context.isEmpty { w.byte(0x20) }
    for k in context.indices {
      ContextKey.textName.write(context[k].key.ordinal, to: &w)
      switch context[k].value {
      case .number(let x): writeText(x, to: &w)
      case .text(let t):
        // `contains(" ")` (Characters) only when a space byte is there at all: Foundation's
        // search was ≈ 3,000 instructions an order.
        if t.utf8.contains(0x20) && t.contains(" ") {
          w.byte(0x22)
          w.text(t)
          w.byte(0x22)
        } else {
          w.text(t)
        }
      }
    }
    w.byte(0x0A)
  }

  /// One line per order for scripts: the decision, the first failing code, the largest passing quantity.
  public static func brief(_ r: OrderResult, index: Int, strict: Bool, batch: Bool) -> String {
    let ok = r.passed(strict: strict)
    var parts: [String] = []
    if batch { parts.append(orderLabel(r, index: index)) }
    parts.append(ok ? (r.worst == .warn ? "PASS (warnings)" : "PASS") : "FAIL")
    if !ok, let f = r.findings.first(where: { $0.severity == .fail || (strict && $0.severity == .warn) }) {
      parts.append(f.code.rawValue)
    }
    parts.append("max \(r.maxQuantity.map(fmt) ?? "—")")
    return parts.joined(separator: "  ") + "\n"
  }

  /// A failing order only (header and the findings that fail it), for `--quiet`; "" when it passed.
  public static func failures(_ r: OrderResult, index: Int, strict: Bool) -> String {
    guard !r.passed(strict: strict) else { return "" }
    let header = text(r, index: index, strict: strict).split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
    let failing = text(r, index: index, strict: strict).split(separator: "\n").dropFirst().filter {
      $0.hasPrefix("  FAIL") || (strict && $0.hasPrefix("  WARN"))
    }
    return ([header] + failing.map(String.init)).joined(separator: "\n") + "\n"
  }

  /// The closing line of a text report.
  public static func summary(count: Int, passed: Int, strict: Bool, regime: String, asOf: Day) -> String {
    let against = regime == "auto" ? "each under its instrument's regime (auto)" : "against the \(regime) profile"
    return
      "\(count) order\(count == 1 ? "" : "s") checked \(against) at \(asOf): \(passed) passed, \(count - passed) failed\(strict ? " (strict: warnings fail)" : "")\n"
  }

  public static func json(_ r: OrderResult, strict: Bool, regime: String, asOf: Day, index: Int) -> JSONValue {
    var order: JSONValue = .null
    if let o = r.order {
      order = [
        "instrument": .string(o.symbol), "side": .string(o.side == .long ? "buy" : "sell"), "quantity": .number(o.quantity),
        "price": .optional(o.price), "stop": .optional(o.stop),
      ]
    }
    return [
      "schemaVersion": .integer(schemaVersion),
      "command": "check",
      "index": .integer(index),
      "line": r.line.map { .integer($0) } ?? .null,
      "clientOrderId": r.clientOrderID.map { .string($0) } ?? .null,
      "order": order,
      "regime": .string(r.regime ?? regime),
      "asOf": .string(asOf.description),
      "result": .string(r.passed(strict: strict) ? "pass" : "fail"),
      "worstSeverity": .string(r.worst.rawValue),
      "reducesOnly": .bool(r.reducesOnly),
      "maxQuantity": .optional(r.maxQuantity),
      "findings": .array(
        r.findings.map { f in
          [
            "code": .string(f.code.rawValue), "severity": .string(f.severity.rawValue), "message": .string(f.message),
            "context": .object(
              Dictionary(f.context.map { ($0.key.rawValue, contextJSON($0.value)) }, uniquingKeysWith: { a, _ in a })),
          ]
        }),
    ]
  }

  /// The same bytes as `json(…).rendered(pretty: false)`, written directly: a batch of
  /// 100,000 orders is rendered without building a tree of dictionaries per order.
  /// Keys in sorted order, as `JSONValue` writes them (a test checks the two agree).
  public static func jsonLine(_ r: OrderResult, strict: Bool, regime: String, asOf: Day, index: Int) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(2048)
    appendJSONLine(r, strict: strict, regime: regime, asOf: asOf, index: index, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// ``jsonLine(_:strict:regime:asOf:index:)`` appended to a byte buffer (no newline): a
  /// batch writes its lines straight into the output buffer. Written through a
  /// ``LineWriter`` with the fixed pieces from byte tables: the String version was 37 % of a
  /// million-order batch (BENCHMARKS.md, issue 16), and byte-array appends piece by piece
  /// ≈ 63,000 instructions an order.
  public static func appendJSONLine(
    _ r: OrderResult, strict: Bool, regime: String, asOf: Day, index: Int, to bytes: inout [UInt8]
  ) {
    var w = LineWriter(capacity: 4096)
    w.literal("{\"asOf\":\"")
    w.day(asOf)
    w.byte(0x22)
    w.literal(",\"clientOrderId\":")
    if let id = r.clientOrderID { w.jsonString(id) } else { w.literal("null") }
    w.literal(",\"command\":\"check\",\"findings\":[")
    let findings = r.findings
    for i in findings.indices {
      if i > 0 { w.byte(0x2C) }
      writeJSON(findings[i], to: &w)
    }
    w.literal("],\"index\":")
    w.integer(index)
    w.literal(",\"line\":")
    if let line = r.line { w.integer(line) } else { w.literal("null") }
    w.literal(",\"maxQuantity\":")
    writeJSON(r.maxQuantity, to: &w)
    w.literal(",\"order\":")
    if let o = r.order { writeJSON(o, to: &w) } else { w.literal("null") }
    w.literal(r.reducesOnly ? ",\"reducesOnly\":true,\"regime\":" : ",\"reducesOnly\":false,\"regime\":")
    w.jsonString(r.regime ?? regime)
    w.literal(r.passed(strict: strict) ? ",\"result\":\"pass\",\"schemaVersion\":" : ",\"result\":\"fail\",\"schemaVersion\":")
    w.integer(schemaVersion)
    w.literal(",\"worstSeverity\":")
    w.jsonString(r.worst.rawValue)
    w.byte(0x7D)
    w.append(to: &bytes)
  }

  private static func writeJSON(_ x: Double?, to w: inout LineWriter) {
    if let x { w.jsonNumber(x) } else { w.literal("null") }
  }

  private static func writeJSON(_ o: Order, to w: inout LineWriter) {
    w.literal("{\"instrument\":")
    w.jsonString(o.symbol)
    w.literal(",\"price\":")
    writeJSON(o.price, to: &w)
    w.literal(",\"quantity\":")
    w.jsonNumber(o.quantity)
    w.literal(o.side == .long ? ",\"side\":\"buy\",\"stop\":" : ",\"side\":\"sell\",\"stop\":")
    writeJSON(o.stop, to: &w)
    w.byte(0x7D)
  }

  private static func writeJSON(_ f: Finding, to w: inout LineWriter) {
    FindingCode.jsonStart.write(f.code.ordinal, to: &w)
    if let l = f.limit { writeJSONContext(l, to: &w) } else { writeJSONContext(f.context, to: &w) }
    w.literal("},\"message\":")
    w.byte(0x22)
    writeMessage(f, jsonEscaped: true, to: &w)
    w.byte(0x22)
    switch f.severity {
    case .pass: w.literal(",\"severity\":\"pass\"}")
    case .warn: w.literal(",\"severity\":\"warn\"}")
    case .fail: w.literal(",\"severity\":\"fail\"}")
    }
  }

  /// The entries of a context in ``sortedUnique(_:)``'s order, found in place: in the order
  /// given when its keys already rise by name, else by rounds, each writing the entry with
  /// the next key by name (the first of a repeated key), so nothing is copied or sorted.
  /// Quadratic, for the handful of entries a context holds; a long one (none is) goes
  /// through ``sortedUnique(_:)``.
  private static func writeJSONContext(_ context: [(key: ContextKey, value: ContextValue)], to w: inout LineWriter) {
    guard context.count <= 16 else {
      let sorted = sortedUnique(context)
      for k in sorted.indices { writeJSON(sorted[k], first: k == 0, to: &w) }
      return
    }
    // The keys' ranks, on the stack.
    var ranks: (UInt64, UInt64) = (0, 0)
    withUnsafeMutableBytes(of: &ranks) { rank in
      var rising = true
      for k in context.indices {
        rank[k] = ContextKey.nameRank[context[k].key.ordinal]
        if k > 0 && rank[k] <= rank[k - 1] { rising = false }
      }
      if rising {
        for k in context.indices { writeJSON(context[k], first: k == 0, to: &w) }
        return
      }
      var last = -1
      while true {
        var next = -1
        var nextRank = Int.max
        for k in context.indices where Int(rank[k]) > last && Int(rank[k]) < nextRank {
          next = k
          nextRank = Int(rank[k])
        }
        guard next >= 0 else { return }
        writeJSON(context[next], first: last < 0, to: &w)
        last = nextRank
      }
    }
  }

  /// A limit's context (``LimitFinding``'s keys) written from its numbers in the keys' name
  /// order, as ``writeJSONContext(_:to:)`` writes the same pairs: ten of an order's fourteen
  /// findings are a limit's, and making each one's array of pairs, ranking it and destroying it
  /// (the runtime's generic tuple destroy) was about 3,000 of the writer's instructions an
  /// order (BENCHMARKS.md, issue 16, eleventh pass). `LimitFindingTests` holds the two equal.
  private static func writeJSONContext(_ l: LimitFinding, to w: inout LineWriter) {
    let r = l.reading
    if case .doesNotApply = l.verdict { return writeJSON((.applies, .text("false")), first: true, to: &w) }
    // By name: group, headroom, limit, maxQuantity, members, minQuantity, value.
    if let g = r.subject { writeJSON((.group, .text(g)), first: true, to: &w) }
    writeJSON((.headroom, .number(r.headroom)), first: r.subject == nil, to: &w)
    writeJSON((.limit, .number(r.cap)), first: false, to: &w)
    writeJSON((.maxQuantity, .number(l.maxQuantity)), first: false, to: &w)
    if r.subject != nil { writeJSON((.members, .text(r.members.joined(separator: ","))), first: false, to: &w) }
    if case .overAlready(let lower) = l.verdict { writeJSON((.minQuantity, .number(lower)), first: false, to: &w) }
    writeJSON((.value, .number(r.value)), first: false, to: &w)
  }

  private static func writeJSON(_ entry: (key: ContextKey, value: ContextValue), first: Bool, to w: inout LineWriter) {
    if !first { w.byte(0x2C) }
    ContextKey.jsonName.write(entry.key.ordinal, to: &w)
    switch entry.value {
    case .number(let x): w.jsonNumber(x)
    case .text(let t): w.jsonString(t)
    }
  }

  /// A finding's context as the JSON object holds it: keys sorted, the first of a repeated
  /// key kept (as ``json(_:strict:regime:asOf:index:)``'s dictionary does). A stable
  /// insertion sort: contexts hold at most a handful of entries, and a `Set` of keys per
  /// finding (hashing each key's name) was 6 % of a batch.
  static func sortedUnique(_ context: [(key: ContextKey, value: ContextValue)]) -> [(key: ContextKey, value: ContextValue)] {
    guard context.count > 1 else { return context }
    var out: [(key: ContextKey, value: ContextValue)] = []
    out.reserveCapacity(context.count)
    for entry in context {
      let name = entry.key.rawValue
      var at = out.endIndex
      var repeated = false
      while at > 0 {
        let other = out[at - 1].key.rawValue
        if other == name {
          repeated = true
          break
        }
        if other < name { break }
        at -= 1
      }
      if !repeated { out.insert(entry, at: at) }
    }
    return out
  }

  static func contextJSON(_ v: ContextValue) -> JSONValue {
    switch v {
    case .number(let x): return .number(x)
    case .text(let t): return .string(t)
    }
  }
}
