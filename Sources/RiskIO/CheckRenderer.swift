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

  static func fmt(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
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

  /// One header line per order, then one aligned line per finding.
  public static func text(_ results: [OrderResult], strict: Bool, profile: RegimeProfile, asOf: Day) -> String {
    let codeWidth = FindingCode.allCases.map(\.rawValue.count).max() ?? 24
    var out: [String] = []
    var passed = 0
    for (i, r) in results.enumerated() {
      let ok = r.passed(strict: strict)
      if ok { passed += 1 }
      let what = r.order.map(describe) ?? "line \(r.line ?? 0)"
      out.append(
        "\(orderLabel(r, index: i + 1))  \(what)  →  \(ok ? "PASS" : "FAIL")\(r.worst == .warn && ok ? " (warnings)" : "")\(r.maxQuantity.map { "  max passing quantity \(fmt($0))" } ?? "")"
      )
      for f in r.findings {
        let sev = f.severity == .pass ? "PASS" : f.severity == .warn ? "WARN" : "FAIL"
        let ctx = f.context.map { "\($0.key)=\(value($0.value))" }.joined(separator: " ")
        out.append(
          "  \(sev)  \(f.code.rawValue)\(String(repeating: " ", count: max(0, codeWidth - f.code.rawValue.count)))  \(f.message)\(ctx.isEmpty ? "" : "  " + ctx)"
        )
      }
    }
    out.append(
      "\(results.count) order\(results.count == 1 ? "" : "s") checked against the \(profile.name) profile at \(asOf): \(passed) passed, \(results.count - passed) failed\(strict ? " (strict: warnings fail)" : "")"
    )
    return out.joined(separator: "\n") + "\n"
  }

  public static func json(_ r: OrderResult, strict: Bool, profile: RegimeProfile, asOf: Day, index: Int) -> JSONValue {
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
      "regime": .string(profile.name),
      "asOf": .string(asOf.description),
      "result": .string(r.passed(strict: strict) ? "pass" : "fail"),
      "worstSeverity": .string(r.worst.rawValue),
      "reducesOnly": .bool(r.reducesOnly),
      "maxQuantity": .optional(r.maxQuantity),
      "findings": .array(
        r.findings.map { f in
          [
            "code": .string(f.code.rawValue), "severity": .string(f.severity.rawValue), "message": .string(f.message),
            "context": .object(Dictionary(f.context.map { ($0.key, contextJSON($0.value)) }, uniquingKeysWith: { a, _ in a })),
          ]
        }),
    ]
  }

  static func contextJSON(_ v: ContextValue) -> JSONValue {
    switch v {
    case .number(let x): return x.isFinite ? .number(x) : .string(x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf"))
    case .text(let t): return .string(t)
    }
  }
}
