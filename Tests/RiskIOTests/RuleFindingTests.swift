import Testing

@testable import RiskCore
@testable import RiskIO

/// The pass-path findings of the rules other than the limits are kept as their numbers
/// (``RuleFinding``) and written when read. These pin each one's sentence and context to what
/// the rule wrote before, through the same `Sentence` interpolation the rules used, and the
/// renderers' byte paths to what they print for the same finding given as text
/// (``LimitFindingTests/expectSameRendering(_:_:asOf:sourceLocation:)``).
@Suite("Rule findings written from their numbers")
struct RuleFindingTests {
  struct Case: Sendable, CustomStringConvertible {
    let code: FindingCode
    let rule: RuleFinding
    let message: Sentence
    let context: [(key: ContextKey, value: ContextValue)]
    var description: String { code.rawValue }
  }

  static let numbers: [Double] = [1, 15, 0.5, 102.2335, 5.113500000000002, 1e-9, 123_456_789.987, 2e21]

  /// For each rule and number, the finding as numbers and as the rule wrote it before.
  static func cases() throws -> [Case] {
    let day = try #require(Day(year: 2024, month: 8, day: 21))
    var out: [Case] = []
    for x in numbers {
      for n in [1.0, 15] {
        out.append(
          Case(
            code: .lotSizeOK, rule: .lots(count: n, lot: x),
            message: "quantity is \(num: n) lot\(n == 1 ? "" : "s") of \(num: x).", context: [(.lot, .number(x))]))
      }
      out.append(
        Case(
          code: .priceBandOK, rule: .atLastClose(x), message: "no price: checked at the last close \(num: x).",
          context: [(.lastClose, .number(x))]))
      let deviation = -x / 1000
      out.append(
        Case(
          code: .priceBandOK, rule: .inBand(deviation: deviation, band: 0.1),
          message: "price is \(num: deviation * 100)% from the last close.",
          context: [(.limit, .number(0.1)), (.value, .number(deviation))]))
      let (st, entry) = (x, x * 1.05 + 0.01)
      out.append(
        Case(
          code: .stopOK, rule: .stop(st, entry: entry),
          message: "stop \(num: st) is \(num: abs(entry - st) / entry * 100)% away.",
          context: [(.stop, .number(st)), (.distance, .number(abs(entry - st)))]))
      out.append(
        Case(
          code: .stopNotRequired, rule: .stopNotRequired(held: -x),
          message: "the order only reduces the position: no stop needed.", context: [(.held, .number(-x))]))
      out.append(
        Case(
          code: .reducesPosition, rule: .reduces(symbol: "BK\"07", held: -x, after: -x / 2),
          message:
            "the order reduces the \("BK\"07") position from \(num: -x) to \(num: -x / 2): it lowers risk, so the exposure limits pass.",
          context: [(.held, .number(-x)), (.after, .number(-x / 2))]))
    }
    for age in [0, 1, 2, 30] {
      out.append(
        Case(
          code: .marketDataOK, rule: .fresh(last: day, age: age),
          message: "last close \(day) is \(age) day\(age == 1 ? "" : "s") old.",
          context: [(.lastDate, .text(day.description)), (.ageDays, .number(Double(age)))]))
    }
    return out
  }

  @Test("sentence, context and both renderings equal those of the same finding given as text")
  func sameText() throws {
    let asOf = try #require(Day(year: 2024, month: 8, day: 21))
    let cases = try Self.cases()
    #expect(cases.count == 60)
    for c in cases {
      let f = Finding(c.code, .pass, rule: c.rule)
      let message = c.message.string
      let given = Finding(c.code, .pass, verbatim: message, c.context)
      #expect(f.message == message, "\(c)")
      #expect(f.context.map(\.key) == c.context.map(\.key), "\(c)")
      #expect(f.context.map(\.value) == c.context.map(\.value), "\(c)")
      #expect(f == given, "\(c)")
      try LimitFindingTests.expectSameRendering(f, given, asOf: asOf)
    }
  }
}
