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
///     group: crypto                # a sector or group given by hand, for the group limits
///     initial_margin: 0.5          # futures: money per contract (quote currency); else a fraction of notional
///     maintenance_margin: 0.4      # at most initial_margin (default: initial_margin)
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
        if let g = t.string("group") {
          if g.isEmpty || g.contains("+") || g.count > 64 || g.contains(where: { $0.isWhitespace || $0.isNewline }) {
            reader.report(
              .invalidValue, t.value("group"), t.child("group"),
              "\(quoted(g)) is not a group name: 1 to 64 characters, no spaces and no '+' (which joins the members of a correlation cluster)."
            )
          } else {
            spec.group = g
          }
        }
        // Margin: per contract for futures, else a fraction of notional.
        let basis = MarginTerms.basis(for: spec.assetClass)
        let range = basis == .perContract ? InputRange.marginPerContract : InputRange.marginFraction
        let initial = t.number("initial_margin", range: range)
        let maintenance = t.number("maintenance_margin", range: range)
        if let m = maintenance, initial == nil {
          reader.report(
            .missingKey, t.value("maintenance_margin"), t.child("initial_margin"),
            "is required with maintenance_margin (\(m)): give the initial margin too.")
        } else if let i = initial {
          if let m = maintenance, m > i {
            reader.report(
              .invalidValue, t.value("maintenance_margin"), t.child("maintenance_margin"),
              "\(m) is above the initial margin \(i); the maintenance margin is at most the initial margin.")
          } else {
            spec.margin = MarginTerms(basis: basis, initial: i, maintenance: maintenance)
          }
        }
        t.rejectUnknownKeys()
        specs.append(spec)
      }
    }
    root.rejectUnknownKeys()
    try reader.finish()
    return InstrumentCatalog(specs)
  }
}
