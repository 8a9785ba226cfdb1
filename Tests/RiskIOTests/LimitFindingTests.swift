import Testing

@testable import RiskCore
@testable import RiskIO

/// A limit's finding is kept as its numbers and written when read. These pin its sentence and
/// context to the text the rule wrote before (spelled here by hand), and the renderers' byte
/// paths to what they print for the same finding given as text.
@Suite("Limit findings written from their numbers")
struct LimitFindingTests {
  static let verdicts: [LimitFinding.Verdict] = [.doesNotApply, .within, .exceeds, .overAlready(lower: 12.5)]

  static func readings() -> [LimitReading] {
    var out: [LimitReading] = []
    for unit in ["", "USD"] {
      for subject in [nil, "tech", "a \"quoted\"\\group", "σ-κ"] as [String?] {
        var r = LimitReading(
          id: .groupExposure, name: subject.map { "group \($0) gross exposure" } ?? "portfolio annual σ",
          value: 0.027082811223, cap: 1234.5678, unit: unit)
        r.subject = subject
        r.members = subject == nil ? [] : ["AAA", "BBB"]
        out.append(r)
      }
    }
    return out
  }

  /// The sentence and context as `LimitRule` wrote them before they were kept as numbers.
  static func expected(_ v: LimitFinding.Verdict, _ r: LimitReading, maxQ: Double) -> (
    String, [(key: ContextKey, value: ContextValue)]
  ) {
    let u = r.unit.isEmpty ? "" : " " + r.unit
    var context: [(key: ContextKey, value: ContextValue)] = [
      (.limit, .number(r.cap)), (.value, .number(r.value)), (.headroom, .number(r.headroom)), (.maxQuantity, .number(maxQ)),
    ]
    if let g = r.subject { context += [(.group, .text(g)), (.members, .text(r.members.joined(separator: ",")))] }
    switch v {
    case .doesNotApply:
      return ("\(r.name): does not apply.", [(.applies, .text("false"))])
    case .within:
      return ("\(r.name) \(fmt(r.value))\(u) within \(fmt(r.cap))\(u).", context)
    case .exceeds:
      return ("\(r.name) \(fmt(r.value))\(u) exceeds the limit \(fmt(r.cap))\(u); at most \(fmt(maxQ)) would pass.", context)
    case .overAlready(let lower):
      return (
        "\(r.name) \(fmt(r.value))\(u) is over the limit \(fmt(r.cap))\(u) already; only an order of at least \(fmt(lower)) brings it within.",
        context + [(.minQuantity, .number(lower))]
      )
    }
  }

  static func result(_ f: Finding) -> OrderResult {
    OrderResult(
      order: Order(clientOrderID: "c1", symbol: "AAA", side: .long, quantity: 3, stop: 9), line: 2, clientOrderID: "c1",
      findings: [f], maxQuantity: 7, reducesOnly: false, regime: "normal")
  }

  @Test("sentence, context and both renderings equal those of the same finding given as text", arguments: verdicts)
  func sameText(_ v: LimitFinding.Verdict) throws {
    let asOf = try #require(Day(year: 2024, month: 1, day: 2))
    for r in Self.readings() {
      let maxQ = 41_250.0
      let f = Finding(.groupExposureOK, .pass, limit: LimitFinding(v, r, maxQuantity: maxQ))
      let (message, context) = Self.expected(v, r, maxQ: maxQ)
      let given = Finding(.groupExposureOK, .pass, verbatim: message, context)
      #expect(f.message == message)
      #expect(f.context.map(\.key) == context.map(\.key))
      #expect(f.context.map(\.value) == context.map(\.value))
      #expect(f == given)
      try Self.expectSameRendering(f, given, asOf: asOf)
      #expect(CheckRenderer.text(Self.result(f), index: 1, strict: false).contains(message))
    }
  }

  /// Every renderer writes `f`, a finding kept as its numbers, as it writes `given`, the same
  /// finding given as text: JSON Lines (as a String and as bytes), the JSON document, and text.
  static func expectSameRendering(
    _ f: Finding, _ given: Finding, asOf: Day, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let (a, b) = (result(f), result(given))
    let line = CheckRenderer.jsonLine(b, strict: false, regime: "normal", asOf: asOf, index: 1)
    #expect(
      CheckRenderer.jsonLine(a, strict: false, regime: "normal", asOf: asOf, index: 1) == line,
      sourceLocation: sourceLocation)
    var bytes: [UInt8] = []
    CheckRenderer.appendJSONLine(a, strict: false, regime: "normal", asOf: asOf, index: 1, to: &bytes)
    #expect(String(decoding: bytes, as: UTF8.self) == line, sourceLocation: sourceLocation)
    #expect(
      try CheckRenderer.json(a, strict: false, regime: "normal", asOf: asOf, index: 1).rendered(pretty: false) == line,
      sourceLocation: sourceLocation)
    #expect(
      CheckRenderer.text(a, index: 1, strict: false) == CheckRenderer.text(b, index: 1, strict: false),
      sourceLocation: sourceLocation)
  }
}
