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

  public static func fmt(_ x: Double) -> String {
    guard x.isFinite else { return Format.fixed(x, 0) }
    if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
    let a = abs(x)
    let d = a >= 1000 ? 2 : a >= 1 ? 6 : 8
    var s = Format.fixed(x, d)
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

  /// One order: a header line, then one aligned line per finding.
  public static func text(_ r: OrderResult, index: Int, strict: Bool) -> String {
    let ok = r.passed(strict: strict)
    let what = r.order.map(describe) ?? "line \(r.line ?? 0)"
    var out =
      "\(orderLabel(r, index: index))  \(what)  →  \(ok ? "PASS" : "FAIL")\(r.worst == .warn && ok ? " (warnings)" : "")\(r.maxQuantity.map { "  max passing quantity \(fmt($0))" } ?? "")\n"
    for f in r.findings {
      let sev = f.severity == .pass ? "PASS" : f.severity == .warn ? "WARN" : "FAIL"
      let ctx = f.context.map { "\($0.key.rawValue)=\(value($0.value))" }.joined(separator: " ")
      out +=
        "  \(sev)  \(f.code.rawValue)\(String(repeating: " ", count: max(0, codeWidth - f.code.rawValue.count)))  \(f.message)\(ctx.isEmpty ? "" : "  " + ctx)\n"
    }
    return out
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
  /// batch writes its lines straight into the output buffer. Bytes, not `String` appends:
  /// the String version was 37 % of a million-order batch (BENCHMARKS.md, issue 16).
  public static func appendJSONLine(
    _ r: OrderResult, strict: Bool, regime: String, asOf: Day, index: Int, to bytes: inout [UInt8]
  ) {
    var out = JSONBytes()
    swap(&out.bytes, &bytes)
    defer { swap(&out.bytes, &bytes) }
    func num(_ x: Double?) {
      guard let x else { return out.append("null") }
      if x.isFinite { out.writeNumber(x) } else { NonFinite.report(x); out.append("null") }
    }
    out.append("{\"asOf\":")
    out.writeString(asOf.description)
    out.append(",\"clientOrderId\":")
    if let id = r.clientOrderID { out.writeString(id) } else { out.append("null") }
    out.append(",\"command\":\"check\",\"findings\":[")
    for (i, f) in r.findings.enumerated() {
      if i > 0 { out.append(",") }
      out.append("{\"code\":")
      out.writeString(f.code.rawValue)
      out.append(",\"context\":{")
      for (k, c) in sortedUnique(f.context).enumerated() {
        if k > 0 { out.append(",") }
        out.writeString(c.key.rawValue)
        out.append(":")
        switch c.value {
        case .number(let x): num(x)
        case .text(let t): out.writeString(t)
        }
      }
      out.append("},\"message\":")
      out.writeString(f.message)
      out.append(",\"severity\":")
      out.writeString(f.severity.rawValue)
      out.append("}")
    }
    out.append("],\"index\":")
    out.writeInteger(index)
    out.append(",\"line\":")
    if let line = r.line { out.writeInteger(line) } else { out.append("null") }
    out.append(",\"maxQuantity\":")
    num(r.maxQuantity)
    out.append(",\"order\":")
    if let o = r.order {
      out.append("{\"instrument\":")
      out.writeString(o.symbol)
      out.append(",\"price\":")
      num(o.price)
      out.append(",\"quantity\":")
      num(o.quantity)
      out.append(o.side == .long ? ",\"side\":\"buy\",\"stop\":" : ",\"side\":\"sell\",\"stop\":")
      num(o.stop)
      out.append("}")
    } else {
      out.append("null")
    }
    out.append(r.reducesOnly ? ",\"reducesOnly\":true,\"regime\":" : ",\"reducesOnly\":false,\"regime\":")
    out.writeString(r.regime ?? regime)
    out.append(r.passed(strict: strict) ? ",\"result\":\"pass\",\"schemaVersion\":" : ",\"result\":\"fail\",\"schemaVersion\":")
    out.writeInteger(schemaVersion)
    out.append(",\"worstSeverity\":")
    out.writeString(r.worst.rawValue)
    out.append("}")
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
