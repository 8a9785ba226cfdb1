import Foundation
import RiskCore

/// `instruments.yaml`: the instrument metadata shared by market data, accounts and sizing.
///
/// ```yaml
/// version: 1
/// instruments:
///   BTC:
///     asset_class: crypto          # stock, etf, fund, money-market-fund, bond, option, future, crypto, fx, cfd, commodity, index
///     currency: USD                # the currency prices are quoted in; a minor unit (GBp or GBX
///                                  # for London's pence, ZAc, ILA) is converted to the major (GBP) when loaded
///     data_file: BTC-USD.csv       # market-data file (or panel column) when it is not named after the symbol
///     multiplier: 1                # contract multiplier (options, futures)
///     lot_size: 0.0001             # smallest tradable quantity step
///     tick_size: 0.01
///     allows_negative_prices: false
///     periods_per_year: 365        # overrides the calendar inference
///     volume_unit: quote           # units (default) or quote: volume in the quote currency (Yahoo crypto)
///     name: Bitcoin
/// ```
/// Every key but `asset_class` is optional; the defaults are those of ``InstrumentSpec``.
public enum InstrumentsFile {
  public static let version = 1

  public static func load(_ path: String) throws -> InstrumentCatalog {
    try parse(try InputFiles.readText(path, what: "instruments file", maxBytes: InputLimits.yamlBytes), path: path)
  }

  /// Parses instruments YAML in memory (the fuzzer's and the tests' entry point).
  public static func parse(_ text: String, path: String) throws -> InstrumentCatalog {
    let (reader, root) = try YAMLReader.parse(text, path: path)
    root.requireVersion(version)
    var specs: [InstrumentSpec] = []
    if let table = root.table("instruments", required: "a mapping of symbol to instrument") {
      for (symbol, t) in table.entries() {
        var spec = InstrumentSpec(symbol: symbol)
        if let c = t.oneOf("asset_class", AssetClass.self, required: "the asset class") { spec.assetClass = c }
        if let c = t.string("currency") {
          if let minor = MinorCurrencyUnit.units[c] {
            // Quoted in a minor unit: prices are converted to the major currency when loaded.
            spec.currency = minor.major
            spec.priceDivisor = minor.per
            spec.quotedIn = c
          } else if c.count == 3 && c.allSatisfy({ $0.isLetter && $0.isUppercase }) {
            spec.currency = c
          } else {
            reader.report(
              .invalidValue, t.value("currency"), t.child("currency"), "\(quoted(c)) is not an ISO currency code such as USD.")
          }
        }
        if let m = t.number("multiplier", range: InputRange.multiplier) {
          spec.multiplier = m
        }
        if let l = t.number("lot_size", range: InputRange.lotSize) {
          spec.lotSize = l
        }
        if let x = t.number("tick_size", range: InputRange.tickSize) {
          spec.tickSize = x
        }
        if let b = t.bool("allows_negative_prices") { spec.allowsNegativePrices = b }
        if let p = t.integer("periods_per_year", range: 1...366) { spec.periodsPerYear = p }
        if let unit = t.string("volume_unit") {
          spec.volumeUnitStated = true
          switch unit {
          case "units": spec.volumeInQuoteCurrency = false
          case "quote": spec.volumeInQuoteCurrency = true
          default:
            reader.report(.invalidValue, t.value("volume_unit"), t.child("volume_unit"), "\(quoted(unit)) is not units or quote.")
          }
        }
        spec.dataFile = t.string("data_file")
        spec.name = t.string("name")
        t.rejectUnknownKeys()
        specs.append(spec)
      }
    }
    root.rejectUnknownKeys()
    try reader.finish()
    return InstrumentCatalog(specs)
  }
}
