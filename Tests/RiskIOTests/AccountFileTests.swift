import Foundation
import RiskCore
import Testing

@testable import RiskIO

func accountErrors(_ yaml: String) throws -> [InputError] {
  try withTemporaryFile(yaml, name: "account.yaml") { path -> [InputError] in
    do {
      _ = try AccountFile.load(path, catalog: InstrumentCatalog())
      return []
    } catch let e as InputErrors {
      return e.errors
    } catch let e as InputError {
      return [e]
    }
  }
}

@Suite("Account files")
struct AccountFileTests {
  static let header = "version: 1\nbase_currency: USD\nas_of: 2024-08-21\nfx_quote: base-per-unit\nfx: {EUR: 1.1}\n"

  @Test("the FX convention is explicit; units-per-base rates are inverted")
  func fxQuote() throws {
    let loaded = try withTemporaryFile(
      "version: 1\nbase_currency: USD\nas_of: 2024-08-21\nfx_quote: units-per-base\nfx: {JPY: 145.35}\n", name: "a.yaml"
    ) {
      try AccountFile.load($0, catalog: InstrumentCatalog())
    }
    #expect(abs(try #require(loaded.account.fx.rate("JPY")) - 1 / 145.35) < 1e-18)
    let missing = try accountErrors("version: 1\nbase_currency: USD\nas_of: 2024-08-21\nfx: {EUR: 1.1}\n")
    #expect(missing.map(\.field) == ["fx_quote"])
    let bad = try accountErrors(Self.header.replacingOccurrences(of: "{EUR: 1.1}", with: "{EUR: -1, USD: 2, eur: 1}"))
    #expect(bad.count == 3)
  }

  @Test("every problem in the file is reported at once, with lines")
  func allAtOnce() throws {
    let text =
      Self.header + """
        positions:
          - {symbol: A, quantity: 0}
          - {symbol: B, quantity: abc}
          - {symbol: C, quantity: 1, asset_class: option, price: 2}
          - {symbol: D, quantity: 1, asset_class: future, price: 2}
          - {symbol: E, quantity: 1, asset_class: bond, price: 99}
          - {symbol: F, quantity: 1, asset_class: coin}
          - {symbol: G, quantity: 1, colour: red}
          - {symbol: H, quantity: 1}
          - {symbol: H, quantity: 2}
        """
    let errors = try accountErrors(text)
    let fields = errors.compactMap(\.field)
    #expect(errors.count == 8, "\(errors.map(\.description))")
    #expect(fields.contains("positions[0].quantity"))
    #expect(fields.contains("positions[1].quantity"))
    #expect(fields.contains("positions[2].multiplier"))
    #expect(fields.contains("positions[3].multiplier"))
    #expect(fields.contains("positions[4].face_value"))
    #expect(fields.contains("positions[5].asset_class"))
    #expect(fields.contains("positions[6].colour"))
    #expect(errors.contains { $0.kind == .duplicateInstrument && $0.message.contains("does not merge") })
    #expect(errors.allSatisfy { $0.line != nil && !$0.description.contains("\n") })
  }

  @Test("a broker CSV export: positions and cash rows")
  func holdings() throws {
    let csv =
      "symbol,asset_class,quantity,currency,price,multiplier\nAAPL,stock,10,USD,200,\nGC,future,1,USD,2500,100\nUSD,cash,5000,USD,,\n"
    let h = try withTemporaryFile(csv, name: "h.csv") { try HoldingsCSV.load($0, catalog: InstrumentCatalog(), base: "USD") }
    #expect(h.positions.map(\.symbol) == ["AAPL", "GC"])
    #expect(h.positions[1].multiplier == 100)
    #expect(h.cash == ["USD": 5_000])
    let bad = "symbol,asset_class,quantity\nX,future,1\nY,stock,zero\n"
    do {
      _ = try withTemporaryFile(bad, name: "h.csv") { try HoldingsCSV.load($0, catalog: InstrumentCatalog(), base: "USD") }
      Issue.record("accepted a future without multiplier")
    } catch let e as InputErrors {
      #expect(e.errors.map(\.line) == [2, 3])
    }
  }

  @Test("followers file")
  func followers() throws {
    let f = try withTemporaryFile("follower_id,allocated_capital,currency,is_lead\nL,100,USD,true\nA,50,USD,\n", name: "f.csv") {
      try FollowersCSV.load($0)
    }
    #expect(f.map(\.isLead) == [true, false])
    #expect(throws: InputError.self) {
      try withTemporaryFile("follower_id,allocated_capital,currency\nA,lots,USD\n", name: "f.csv") { try FollowersCSV.load($0) }
    }
  }
}
