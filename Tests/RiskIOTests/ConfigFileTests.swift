import Foundation
import RiskCore
import Testing

@testable import RiskIO

func withTemporaryFile<T>(_ contents: String, name: String = "f.yaml", _ body: (String) throws -> T) throws -> T {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  let path = dir.appendingPathComponent(name).path
  try contents.write(toFile: path, atomically: true, encoding: .utf8)
  return try body(path)
}

@Suite("YAML configuration files")
struct ConfigFileTests {
  @Test("instruments.yaml: values and defaults")
  func instruments() throws {
    let catalog = try withTemporaryFile(
      """
      version: 1
      instruments:
        BTC: {asset_class: crypto, data_file: BTC-USD.csv, lot_size: 0.0001}
        CL: {asset_class: future, multiplier: 1000, allows_negative_prices: true, periods_per_year: 252}
      """
    ) { try InstrumentsFile.load($0) }
    #expect(catalog.spec(for: "BTC").assetClass == .crypto)
    #expect(catalog.spec(for: "BTC").lotSize == 0.0001)
    #expect(catalog.symbol(forDataFile: "BTC-USD.csv") == "BTC")
    #expect(catalog.spec(for: "CL").multiplier == 1000 && catalog.spec(for: "CL").allowsNegativePrices)
    #expect(catalog.spec(for: "XYZ") == InstrumentSpec.defaults(for: "XYZ"))
  }

  @Test("every problem in a file is reported at once, with its line and key path")
  func allProblems() throws {
    let text = """
      version: 1
      instruments:
        BTC: {asset_class: coin, lot_size: -1}
        ETH:
          asset_class: crypto
          multiplier: abc
          lotsize: 1
      extra: 1
      """
    let errors: [InputError] = try withTemporaryFile(text) { path in
      do {
        _ = try InstrumentsFile.load(path)
        return []
      } catch let e as InputErrors {
        return e.errors
      }
    }
    let fields = Set(errors.compactMap(\.field))
    #expect(
      fields == [
        "instruments.BTC.asset_class", "instruments.BTC.lot_size", "instruments.ETH.multiplier", "instruments.ETH.lotsize",
        "extra",
      ])
    #expect(errors.allSatisfy { $0.line != nil })
    #expect(errors.first { $0.field == "instruments.ETH.lotsize" }?.message.contains("did you mean 'lot_size'") == true)
  }

  @Test("version is required and checked; invalid YAML names its line")
  func version() throws {
    let e1 = try withTemporaryFile("instruments: {}\n") { path -> InputError? in
      do { _ = try InstrumentsFile.load(path); return nil } catch let e as InputError { return e }
    }
    #expect(e1?.field == "version")
    let e2 = try withTemporaryFile("version: 2\ninstruments: {}\n") { path -> InputError? in
      do { _ = try InstrumentsFile.load(path); return nil } catch let e as InputError { return e }
    }
    #expect(e2?.message.contains("not supported") == true)
    let e3 = try withTemporaryFile("version: 1\ninstruments: [\n") { path -> InputError? in
      do { _ = try InstrumentsFile.load(path); return nil } catch let e as InputError { return e }
    }
    #expect(e3?.kind == .invalidConfiguration)
  }

  @Test("advisor.yaml resolves paths against its own directory")
  func config() throws {
    let c = try withTemporaryFile("version: 1\nmarket: m\nas_of: 2024-08-21\n", name: "advisor.yaml") {
      try AdvisorConfig.load($0)
    }
    #expect(c.market?.hasSuffix("/m") == true)
    #expect(c.asOf?.description == "2024-08-21")
  }
}

@Suite("JSON writer")
struct JSONWriterTests {
  @Test("a non-finite number is an error naming its key path, never null")
  func nonFinite() {
    let doc: JSONValue = ["a": [1, 2], "m": .array([.array([.number(1), .number(.nan)])])]
    do {
      _ = try doc.rendered()
      Issue.record("rendered a NaN")
    } catch {
      #expect(error.keyPath == "$.m[0][1]")
    }
    #expect((try? JSONValue.object(["b": [1.5, 2], "a": "x\""]).rendered(pretty: false)) == "{\"a\":\"x\\\"\",\"b\":[1.5,2]}")
  }
}
