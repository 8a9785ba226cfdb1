/// The asset classes advisor knows. Raw values are the spellings used in files.
public enum AssetClass: String, Sendable, Hashable, CaseIterable, Codable {
  case stock, etf, fund
  case moneyMarketFund = "money-market-fund"
  case bond, option, future, crypto, fx, cfd, commodity, index

  /// Hashes the case, not its name: a raw-value enum otherwise takes `RawRepresentable`'s
  /// hash of the `String`, and the book's sums by class are looked up on every order.
  public func hash(into h: inout Hasher) { h.combine(ordinal) }

  /// Its place in `allCases`.
  var ordinal: Int {
    switch self {
    case .stock: return 0
    case .etf: return 1
    case .fund: return 2
    case .moneyMarketFund: return 3
    case .bond: return 4
    case .option: return 5
    case .future: return 6
    case .crypto: return 7
    case .fx: return 8
    case .cfd: return 9
    case .commodity: return 10
    case .index: return 11
    }
  }
}

/// What advisor needs to know about an instrument beyond its prices.
///
/// One place for instrument metadata, shared by market data, accounts and sizing.
/// Defaults (see ``InstrumentSpec/defaults(for:)``): a stock in USD,
/// multiplier 1, lot 1, tick 0.01, negative prices not allowed, periods per
/// year inferred from the calendar.
public struct InstrumentSpec: Sendable, Hashable {
  public var symbol: String
  public var assetClass: AssetClass
  public var currency: String
  /// Contract multiplier: value of one unit of price move for one contract.
  public var multiplier: Double
  public var lotSize: Double
  public var tickSize: Double
  /// Futures and spreads can trade below zero (WTI crude closed at −37.63 on 2020-04-20).
  public var allowsNegativePrices: Bool
  /// Overrides the calendar inference when set.
  public var periodsPerYear: Int?
  /// The market-data file name when it differs from the symbol (e.g. `BTC-USD.csv` for BTC).
  public var dataFile: String?
  /// A human name, for reports.
  public var name: String?
  /// `true` when the data's volume is in the quote currency (Yahoo crypto), not in units.
  public var volumeInQuoteCurrency: Bool = false
  /// Prices quoted in a minor unit (London's pence, `GBp`/`GBX`; `ZAc`; `ILA`) are divided by
  /// this when loaded, so that every price is in ``currency``, the major unit (1 otherwise).
  public var priceDivisor: Double = 1
  /// The minor unit the data is quoted in (`GBp`), when it is.
  public var quotedIn: String? = nil
  /// `volume_unit` was given (so a Yahoo `*-USD.csv` crypto file's volume is not guessed at).
  public var volumeUnitStated: Bool = false
  /// A sector or group given by hand (`group: semis`), for the group limits.
  public var group: String? = nil
  /// Margin terms (nil: the instrument is not margined, or its terms are not known).
  public var margin: MarginTerms? = nil

  public init(
    symbol: String, assetClass: AssetClass = .stock, currency: String = "USD", multiplier: Double = 1,
    lotSize: Double = 1, tickSize: Double = 0.01, allowsNegativePrices: Bool = false, periodsPerYear: Int? = nil,
    dataFile: String? = nil, name: String? = nil
  ) {
    self.symbol = symbol
    self.assetClass = assetClass
    self.currency = currency
    self.multiplier = multiplier
    self.lotSize = lotSize
    self.tickSize = tickSize
    self.allowsNegativePrices = allowsNegativePrices
    self.periodsPerYear = periodsPerYear
    self.dataFile = dataFile
    self.name = name
  }

  /// The defaults for a symbol nobody described.
  public static func defaults(for symbol: String) -> InstrumentSpec { InstrumentSpec(symbol: symbol) }
}

/// Currency minor units that exchanges quote in, and their major currency: a price in the
/// minor unit is the major-unit price × 100 (London's pence, Johannesburg's cents, Tel Aviv's agorot).
public enum MinorCurrencyUnit {
  public static let units: [String: (major: String, per: Double)] = [
    "GBp": ("GBP", 100), "GBX": ("GBP", 100), "ZAc": ("ZAR", 100), "ZAC": ("ZAR", 100), "ILA": ("ILS", 100),
  ]
}

/// All known instrument specs, by symbol; unknown symbols get the defaults.
public struct InstrumentCatalog: Sendable {
  public private(set) var specs: [String: InstrumentSpec]

  public init(_ specs: [InstrumentSpec] = []) {
    self.specs = [:]
    for s in specs { self.specs[s.symbol] = s }
  }

  public func spec(for symbol: String) -> InstrumentSpec { specs[symbol] ?? .defaults(for: symbol) }
  /// The hand-given groups by symbol.
  public var groups: [String: String] { specs.compactMapValues(\.group) }
  public func isDescribed(_ symbol: String) -> Bool { specs[symbol] != nil }

  /// The symbol whose `dataFile` is `fileName`, if any (the first in symbol order when
  /// several name it, so the answer never depends on dictionary order).
  public func symbol(forDataFile fileName: String) -> String? {
    specs.values.filter { $0.dataFile == fileName }.map(\.symbol).min()
  }
}

/// One instrument, every instrument of an asset class, or every member of a group: what a
/// risk budget or a price shock is attached to. Written `AAPL`, `class:stock` or
/// `group:semis` (a group is for budgets only).
public enum InstrumentSelector: Sendable, Hashable, CustomStringConvertible {
  case instrument(String)
  case assetClass(AssetClass)
  /// A hand-given group (`semis`) or a correlation cluster (`AAPL+MSFT+NVDA`).
  case group(String)

  /// Parses `AAPL`, `class:stock` or `group:NAME`; nil for an empty text, `class:` with an
  /// unknown class, or `group:` with no name.
  public init?(parsing text: String) {
    if text.hasPrefix("class:") {
      guard let c = AssetClass(rawValue: String(text.dropFirst(6))) else { return nil }
      self = .assetClass(c)
    } else if text.hasPrefix("group:") {
      let name = String(text.dropFirst(6))
      guard !name.isEmpty else { return nil }
      self = .group(name)
    } else {
      guard !text.isEmpty else { return nil }
      self = .instrument(text)
    }
  }

  public var description: String {
    switch self {
    case .instrument(let s): return s
    case .assetClass(let c): return "class:\(c.rawValue)"
    case .group(let g): return "group:\(g)"
    }
  }
}
