import Testing

@testable import RiskCore

@Suite("AssetClass: its ordinal is its place in allCases (the book's sums by class are indexed by it)")
struct AssetClassTests {
  @Test(
    "ordinal = index in allCases, for every case", arguments: AssetClass.allCases.enumerated().map { ($0.offset, $0.element) })
  func ordinal(_ index: Int, _ cls: AssetClass) {
    #expect(cls.ordinal == index)
  }

  @Test("the gross by class sums to the gross exposure, and a fill moves only its class")
  func grossByClass() throws {
    let day = try #require(Day(year: 2024, month: 8, day: 21))
    var book = Book(
      baseCurrency: "USD", asOf: day, equity: 100_000, fx: FXRates(base: "USD"),
      lines: [
        BookLine(symbol: "AAPL", assetClass: .stock, quantity: 10, unitExposure: 200),
        BookLine(symbol: "BTC", assetClass: .crypto, quantity: -0.5, unitExposure: 60_000),
      ])
    #expect(book.classGross(.stock) == 2_000)
    #expect(book.classGross(.crypto) == 30_000)
    #expect(book.classGross(.bond) == 0)
    #expect(book.grossExposure == 32_000)
    book.apply(symbol: "AAPL", assetClass: .stock, quantity: -15, unitExposure: 200)
    #expect(book.classGross(.stock) == 1_000)
    #expect(book.classGross(.crypto) == 30_000)
    #expect(book.grossExposure == 31_000)
  }
}

@Suite("The book's indexes by position and the profile's tables by class read as the lookups they replace")
struct PositionIndexTests {
  @Test("an AssetClassTable holds each class's value and nothing for the others, however it is made")
  func classTable() {
    let given: [AssetClass: Double] = [.crypto: 1.5, .stock: 2, .option: 0.25]
    let table = AssetClassTable(given)
    let literal: AssetClassTable<Double> = [.crypto: 1.5, .stock: 2, .option: 0.25]
    #expect(table == literal)
    for c in AssetClass.allCases { #expect(table[c] == given[c], "\(c)") }
    var t = table
    t[.bond] = 3
    t[.stock] = nil
    #expect(t[.bond] == 3 && t[.stock] == nil && t[.crypto] == 1.5)
    #expect(t != table)
  }

  @Test("Book.holding(of:) is quantity(of:), exposure(of:) and directExposure(of:), before and after fills")
  func holding() throws {
    let day = try #require(Day(year: 2024, month: 8, day: 21))
    var book = Book(
      baseCurrency: "USD", asOf: day, equity: 100_000, fx: FXRates(base: "USD"),
      lines: [
        BookLine(symbol: "AAPL", assetClass: .stock, quantity: 10, unitExposure: 200),
        // A call on AAPL: its risk is measured on AAPL, its own exposure is delta-adjusted.
        BookLine(
          symbol: "AAPL 2024-09-20 C 230", riskSymbol: "AAPL", assetClass: .option, quantity: 2, unitExposure: 4_500,
          group: "tech"),
        BookLine(symbol: "BTC", assetClass: .crypto, quantity: -0.5, unitExposure: 60_000),
      ])
    func agree(_ symbols: [String]) {
      for s in symbols {
        let h = book.holding(of: s)
        #expect(h.quantity == book.quantity(of: s), "\(s) quantity")
        #expect(h.exposure == book.exposure(of: s), "\(s) exposure")
        #expect(h.direct == book.directExposure(of: s), "\(s) direct")
      }
    }
    let symbols = ["AAPL", "AAPL 2024-09-20 C 230", "BTC", "MSFT"]
    agree(symbols)
    #expect(book.exposure(of: "AAPL") == 2_000 + 9_000)
    #expect(book.group(of: "AAPL") == "tech" && book.group(of: "BTC") == nil)
    #expect(book.hasHandGroups)
    let (before, after) = book.apply(symbol: "AAPL", assetClass: .stock, quantity: -10, unitExposure: 200)
    #expect(before == 11_000 && after == 9_000)
    book.apply(symbol: "MSFT", assetClass: .stock, quantity: 5, unitExposure: 400)
    book.apply(symbol: "AAPL 2024-09-20 C 230", assetClass: .option, quantity: -2, unitExposure: 4_500)
    agree(symbols)
    #expect(book.exposure(of: "AAPL") == 0 && book.exposure(of: "MSFT") == 2_000)
    #expect(book.classGross(.stock) == 2_000 && book.classGross(.option) == 0)
    #expect(book.grossExposure == 2_000 + 30_000)
    let plain = Book(
      baseCurrency: "USD", asOf: day, equity: 1, fx: FXRates(base: "USD"),
      lines: [BookLine(symbol: "AAPL", assetClass: .stock, quantity: 1, unitExposure: 1)])
    #expect(!plain.hasHandGroups)
  }
}
