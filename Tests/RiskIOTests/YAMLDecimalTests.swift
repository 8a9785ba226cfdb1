import Foundation
import Testing

@testable import RiskIO

/// `YAMLTable.decimal` reads an ASCII text byte by byte (`asciiDecimal`); the answer must be the
/// one the Foundation path (`foundationDecimal`, the reading before the ASCII path) gives; and
/// the same for whole numbers (`wholeNumber`, `asciiWholeNumber`, `foundationWholeNumber`).
@Suite("YAML numbers: the ASCII path against the Foundation path")
struct YAMLDecimalTests {
  @Test(
    "named texts",
    arguments: [
      "0.02", " 1_000.5 ", "\t-3e-2\t", "1e400", "-1e400", ".inf", "-.INF", "NaN", "Infinity", "+infinity", "", "   ",
      "_", "1__0", "0x1p3", "1.2.3", "e", "+", "-.", "1e", ".5", "5.", "+.5e+3", "00012", "1 2", "1\r", "١٢",
      " 1\u{2003}", "½", String(repeating: "9", count: 64), String(repeating: "9", count: 65),
      String(repeating: "_", count: 100) + "1", " " + String(repeating: "1", count: 65) + " ",
    ])
  func named(text: String) {
    #expect(YAMLTable.decimal(text) == YAMLTable.foundationDecimal(text), "\(text.debugDescription)")
    if text.utf8.allSatisfy({ $0 < 0x80 }) { #expect(YAMLTable.asciiDecimal(text) != nil) }
  }

  /// `count` texts of 0 to `longest` bytes drawn from `alphabet` by a fixed-seed linear
  /// congruential generator, so that every run tests the same texts.
  static func generatedTexts(_ alphabet: String, seed: UInt64, longest: Int, count: Int = 30_000) -> [String] {
    let bytes = Array(alphabet.utf8)
    var state = seed
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 33
    }
    return (0..<count).map { _ in
      let n = Int(next() % UInt64(longest + 1))
      return String(decoding: (0..<n).map { _ in bytes[Int(next() % UInt64(bytes.count))] }, as: UTF8.self)
    }
  }

  @Test("30,000 generated ASCII texts read the same")
  func generated() {
    for text in Self.generatedTexts("0123456789+-.eE_ \tinfaINFAxX,\r", seed: 0x0DEC_1A1A, longest: 11) {
      #expect(YAMLTable.asciiDecimal(text) == YAMLTable.foundationDecimal(text), "\(text.debugDescription)")
    }
  }

  @Test(
    "named whole numbers",
    arguments: [
      "0", "252", "1_000", "_1_", "_", "", " 5", "5 ", "+5", "-0", "--1", "0x10", "1e3", "1.0", "00012", "1\r",
      "9223372036854775807", "9_223_372_036_854_775_807", "9223372036854775808", "-9223372036854775808",
      "-9223372036854775809", "١٢", "1\u{0301}", "_\u{0301}1", "½", String(repeating: "_", count: 30) + "7",
    ])
  func namedWhole(text: String) {
    #expect(YAMLTable.wholeNumber(text) == YAMLTable.foundationWholeNumber(text), "\(text.debugDescription)")
    #expect((YAMLTable.asciiWholeNumber(text) != nil) == text.utf8.allSatisfy({ $0 < 0x80 }), "\(text.debugDescription)")
  }

  @Test("30,000 generated ASCII whole numbers read the same")
  func generatedWhole() {
    for text in Self.generatedTexts("0123456789+-_ .exX\t", seed: 0x1A7E_6E25, longest: 21) {
      let ascii = YAMLTable.asciiWholeNumber(text)
      #expect(ascii != nil && ascii! == YAMLTable.foundationWholeNumber(text), "\(text.debugDescription)")
    }
  }
}
