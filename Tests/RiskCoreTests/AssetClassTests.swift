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
