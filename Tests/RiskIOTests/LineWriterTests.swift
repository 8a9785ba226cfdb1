import Foundation
import Testing

@testable import RiskCore
@testable import RiskIO

@Suite("Check renderer byte tables and line writer")
struct LineWriterTests {
  @Test("every code's and context key's ordinal is its place in allCases, and the tables spell its raw value")
  func tables() {
    for (i, code) in FindingCode.allCases.enumerated() {
      #expect(code.ordinal == i)
      #expect(FindingCode.jsonStart[i] == "{\"code\":\"\(code.rawValue)\",\"context\":{")
      let padding = String(repeating: " ", count: CheckRenderer.codeWidth - code.rawValue.count)
      #expect(FindingCode.textColumn[i] == code.rawValue + padding + "  ")
      #expect(JSONEscape.quoted(code.rawValue) == "\"\(code.rawValue)\"")
    }
    for (i, key) in ContextKey.allCases.enumerated() {
      #expect(key.ordinal == i)
      #expect(ContextKey.jsonName[i] == JSONEscape.quoted(key.rawValue) + ":")
      #expect(ContextKey.textName[i] == " \(key.rawValue)=")
    }
    let byRank = ContextKey.allCases.sorted { ContextKey.nameRank[$0.ordinal] < ContextKey.nameRank[$1.ordinal] }
    #expect(byRank.map(\.rawValue) == ContextKey.allCases.map(\.rawValue).sorted())
  }

  @Test(
    "a date is written as Day.description spells it",
    arguments: [
      -800_000, -719_529, -719_528, -1, 0, 59, 60, 11_016, 19_723, 19_958, 2_932_896, 2_932_897, 3_000_000,
    ])
  func day(_ ordinal: Int) {
    let d = Day(ordinal: ordinal)
    var w = LineWriter(capacity: 1)
    w.byte(0x22)
    w.day(d)
    #expect(w.string() == "\"" + d.description)
  }

  /// A deterministic spread of doubles: every magnitude fmt distinguishes, exact ties, neighbours.
  static func samples() -> [Double] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state
    }
    var xs: [Double] = [
      0.125, 0.375, 2.5e-9, 1.5e-8, 5e-9, 999.9999995, 0.999999995, 1000.005, 1000.015, 1e-320, -1e-320, 5e-324,
      -1e-10, 1e15.nextDown, 999_999_999_999_999.9, 1.0000005, 1.0000025, -0.0, 1e15, -1e16, 1e300, 123.456, -0.5,
    ]
    for _ in 0..<20_000 {
      let exponent = Double(next() % 28_000) / 1000 - 13
      let x = pow(10, exponent) * (next() & 1 == 0 ? 1 : -1)
      let tie = Double(Int64(truncatingIfNeeded: next() % (1 << 40))) / Double(UInt64(1) << (1 + next() % 60))
      let thousandths = Double(Int64(truncatingIfNeeded: next() % 20_000_000)) / 1000
      xs += [x, x.nextUp, tie, thousandths, Double(bitPattern: next())]
    }
    return xs.filter(\.isFinite)
  }

  @Test("a number in a text verdict is written as fmt spells it (printf's rounding)")
  func textNumbers() {
    for x in Self.samples() {
      var w = LineWriter(capacity: 8)
      CheckRenderer.writeText(x, to: &w)
      #expect(w.string() == CheckRenderer.fmt(x), "\(x)")
    }
  }

  @Test("integers are written as their decimal digits, and strings as JSONEscape quotes them")
  func integersAndStrings() {
    var powers: [Int] = [0, Int.max, Int.min, Int.min + 1]
    var p = 1
    for _ in 0..<18 {
      p *= 10
      powers += [p - 1, p, p + 1, -(p - 1), -p, -(p + 1)]
    }
    for i in powers + Array(-12...12) {
      var w = LineWriter(capacity: 1)
      w.integer(i)
      #expect(w.string() == String(i))
    }
    for s in [
      "", "a", "plain ascii text of some length", "σ 0.027", "tab\there", "quote \"q\" 12345678", "back\\slash", "\u{1}x",
    ] {
      var w = LineWriter(capacity: 1)
      w.jsonString(s)
      #expect(w.string() == JSONEscape.quoted(s))
    }
  }

  @Test("a JSON line orders a context's keys by name and keeps the first of a repeated key, as the document does")
  func contextOrder() throws {
    let contexts: [[(key: ContextKey, value: ContextValue)]] = [
      [],
      [(.value, .number(1))],
      [(.limit, .number(2)), (.value, .number(0.5)), (.headroom, .number(1.5)), (.maxQuantity, .number(7))],
      [(.value, .number(1)), (.limit, .text("a \"b\"")), (.value, .number(3)), (.at, .text("x")), (.limit, .number(4))],
      [(.after, .number(1)), (.applies, .text("false")), (.asOf, .text("2024-01-02"))],
      ContextKey.allCases.reversed().map { ($0, .number(Double($0.ordinal) + 0.25)) },
    ]
    let findings = contexts.enumerated().map { i, c in
      Finding(FindingCode.allCases[i], i % 2 == 0 ? .pass : .warn, "message \(i)\n", c)
    }
    let r = OrderResult(
      order: Order(symbol: "S", side: .short, quantity: 3, price: 1.5), line: 4, clientOrderID: nil, findings: findings,
      maxQuantity: nil, reducesOnly: true, regime: nil)
    let asOf = try #require(Day(year: 2024, month: 1, day: 2))
    let viaTree = try CheckRenderer.json(r, strict: false, regime: "normal", asOf: asOf, index: 7).rendered(
      pretty: false)
    #expect(CheckRenderer.jsonLine(r, strict: false, regime: "normal", asOf: asOf, index: 7) == viaTree)
    // The batch's text writer appends the same verdict as bytes.
    for strict in [false, true] {
      var bytes: [UInt8] = Array("before ".utf8)
      CheckRenderer.appendText(r, index: 7, strict: strict, to: &bytes)
      #expect(bytes == Array(("before " + CheckRenderer.text(r, index: 7, strict: strict)).utf8))
    }
  }

  @Test("a sentence written piece by piece is escaped and spelled as its whole message would be")
  func sentencePieces() throws {
    let asOf = try #require(Day(year: 2024, month: 1, day: 2))
    let findings = [
      Finding(.lotSizeOK, .pass, "a \"quoted\" \(num: 1.5) \("back\\slash") σ — \(num: -0.000123456789)"),
      Finding(.stopOK, .pass, "\("tab\there")\(num: 1e300)\(7)\(num: .nan)"),
      Finding(.priceBandOK, .pass, "plain"),
      Finding(.priceBandOK, .pass, verbatim: "given \"as\" text\n"),
    ]
    for f in findings {
      let r = OrderResult(
        order: nil, line: 3, clientOrderID: nil, findings: [f], maxQuantity: nil, reducesOnly: false, regime: nil)
      let viaTree = try CheckRenderer.json(r, strict: false, regime: "normal", asOf: asOf, index: 1).rendered(pretty: false)
      #expect(CheckRenderer.jsonLine(r, strict: false, regime: "normal", asOf: asOf, index: 1) == viaTree)
      #expect(CheckRenderer.text(r, index: 1, strict: false).contains("  " + f.message))
    }
    #expect(findings[0].message == "a \"quoted\" 1.5 back\\slash σ — -0.00012346")
  }
}
