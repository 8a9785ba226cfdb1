import Foundation
import Testing

@testable import RiskIO

/// `Format.money`, `Format.fixed` and `TextTable.render` against the versions they replaced
/// (kept below as references, written with `String` operations and Foundation's formatting):
/// the byte-level rewrites must print the same text, character for character.
@Suite("Number formatting and text tables")
struct FormattingTests {
  /// The thousands grouping as it was written before: split at the point, groups of three.
  static func referenceMoney(_ x: Double, _ decimals: Int) -> String {
    guard x.isFinite else { return Format.fixed(x, decimals) }
    let s = String(format: "%.*f", decimals, abs(x))
    let parts = s.split(separator: ".", maxSplits: 1)
    var intPart = String(parts[0])
    var groups: [String] = []
    while intPart.count > 3 {
      groups.insert(String(intPart.suffix(3)), at: 0)
      intPart = String(intPart.dropLast(3))
    }
    groups.insert(intPart, at: 0)
    let body = groups.joined(separator: ",") + (parts.count > 1 ? "." + parts[1] : "")
    return (x < 0 ? "-" : "") + body
  }

  /// The table as it was rendered before: padding by `String(repeating:)`, trailing spaces
  /// removed one `Character` at a time.
  static func referenceRender(_ header: [String], _ rows: [[String]], leftAligned: Set<Int>, indent: String) -> String {
    let all = [header] + rows
    let widths = header.indices.map { c in all.map { $0.indices.contains(c) ? $0[c].count : 0 }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
      let parts = header.indices.map { c -> String in
        let cell = cells.indices.contains(c) ? cells[c] : ""
        let pad = String(repeating: " ", count: widths[c] - cell.count)
        return leftAligned.contains(c) ? cell + pad : pad + cell
      }
      var text = indent + parts.joined(separator: "  ")
      while text.last == " " { text.removeLast() }
      return text
    }
    var out = [line(header)]
    out.append(indent + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
    out += rows.map(line)
    return out.joined(separator: "\n")
  }

  @Test(
    "money groups the integer part by threes",
    arguments: [
      (1_234_567.8, 2, "1,234,567.80"), (-1234.5, 1, "-1,234.5"), (999.999, 2, "1,000.00"), (0, 0, "0"),
      (123, 0, "123"), (1234, 0, "1,234"), (-0.001, 2, "-0.00"), (-0.0, 2, "0.00"), (100_000, 2, "100,000.00"),
      (1e21, 2, "1,000,000,000,000,000,000,000.00"), (0.5, 0, "0"), (1.5, 0, "2"),
    ] as [(Double, Int, String)])
  func moneyTable(x: Double, decimals: Int, expected: String) {
    #expect(Format.money(x, decimals) == expected)
    #expect(Format.money(x, decimals) == Self.referenceMoney(x, decimals))
  }

  @Test("money and fixed agree with the references on 20,000 values of every magnitude")
  func moneyAgreesWithReference() {
    var state: UInt64 = 0x5EED_F0F0  // a 64-bit LCG (Knuth's MMIX constants), high bits used
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 21
    }
    for i in 0..<20_000 {
      let magnitude = Double(Int(next() % 40)) - 12
      let mantissa = Double(next() % 1_000_000_007) / 1_000_000_007
      let x = (i % 2 == 0 ? 1 : -1) * mantissa * pow(10, magnitude)
      let decimals = Int(next() % 7)
      #expect(Format.money(x, decimals) == Self.referenceMoney(x, decimals), "x = \(x), decimals = \(decimals)")
      #expect(Format.fixed(x, decimals) == String(format: "%.*f", decimals, x), "x = \(x), decimals = \(decimals)")
    }
  }

  @Test(
    "the table matches the reference rendering, Unicode cells and trailing spaces included",
    arguments: [
      (["Limit", "Value", "Note"], [["cap", "1.00", ""], ["leverage", "12.50", "binding"]], [0, 2], ""),
      (["Symbol", "Qty"], [["BTC", "0.2615"], ["ETH—x", ""], ["", ""]], [0], "  "),
      (["A", "B"], [["e\u{301}", "日本"], ["👩‍👩‍👧", "x"]], [0, 1], " "),
      // U+0600 (ARABIC NUMBER SIGN) is a prepended mark: it joins the space padded after it.
      (["Name", "Tail"], [["x\u{600}", ""], ["longer name", ""]], [0, 1], ""),
      (["Name"], [["\u{600}"], ["abc"]], [0], "   "),
      (["", ""], [["", ""]], [0], "  "),
      (["Right", "Left"], [["1", "a   "], ["22", ""]], [1], ""),
    ] as [([String], [[String]], Set<Int>, String)])
  func tableMatchesReference(header: [String], rows: [[String]], left: Set<Int>, indent: String) {
    var table = TextTable(header, leftAligned: left)
    for r in rows { table.add(r) }
    #expect(table.render(indent: indent) == Self.referenceRender(header, rows, leftAligned: left, indent: indent))
  }

  @Test("a space after a prepended mark stays: it is part of that character")
  func prependedMarkKeepsItsSpace() {
    let text = TextTable.trimmingTrailingSpaces(Array("x\u{600}   ".utf8))
    #expect(text == "x\u{600} ")
    #expect(TextTable.trimmingTrailingSpaces(Array("ab   ".utf8)) == "ab")
    #expect(TextTable.trimmingTrailingSpaces(Array("   ".utf8)) == "")
    #expect(TextTable.trimmingTrailingSpaces(Array("a\u{301} ".utf8)) == "a\u{301}")
  }
}
