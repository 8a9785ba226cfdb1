import Testing

@testable import RiskCore

/// A finding's ``Sentence`` gives the characters `String` interpolation gave (with `fmt` for
/// numbers): the check's messages, golden files and journal rows depend on it.
@Suite("Sentence: the bytes String interpolation would give")
struct SentenceTests {
  static let numbers: [Double] = [
    0, -0.0, 1, -1, 15, 0.5, 2.0, 102.2335, 5.113500000000002, 89422.87149375, 1e-9, 123_456_789.987, -0.0001234,
    1e21, 5e-324, .greatestFiniteMagnitude, .infinity, -.infinity, .nan,
  ]

  @Test("\\(num: x) is fmt(x)", arguments: numbers)
  func number(_ x: Double) {
    let s: Sentence = "a \(num: x) b"
    #expect(s.string == "a \(fmt(x)) b")
  }

  @Test("an Int is its description", arguments: [0, 1, -1, 9, 10, 99, 100, 12_345, Int.max, Int.min])
  func integer(_ n: Int) {
    let s: Sentence = "\(n) day\(n == 1 ? "" : "s")"
    #expect(s.string == "\(n) day\(n == 1 ? "" : "s")")
  }

  @Test("text, a Day, a Double without num: and a literal alone")
  func others() throws {
    let day = try #require(Day(year: 2024, month: 8, day: 21))
    let s: Sentence = "last close \(day) of \("BTC-USD") at σ \(0.1) — ünïcode"
    #expect(s.string == "last close 2024-08-21 of BTC-USD at σ 0.1 — ünïcode")
    let plain: Sentence = "no stop: the rule's stop is assumed."
    #expect(plain.string == "no stop: the rule's stop is assumed.")
  }

  @Test("a finding built from a sentence keeps it as its message")
  func finding() {
    let f = Finding(.lotSizeOK, .pass, "quantity is \(num: 15) lots of \(num: 1).", [(.lot, .number(1))])
    #expect(f.message == "quantity is 15 lots of 1.")
    #expect(Finding(.lotSizeOK, .pass, verbatim: "as given") == Finding(.lotSizeOK, .pass, "as given"))
  }
}
