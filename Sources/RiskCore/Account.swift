/// Closing FX rates into the account's base currency.
///
/// Convention: `rate(c)` is the value of **one unit of currency `c` in the base
/// currency** ("base per unit"): with base USD, `EUR: 1.1128` means 1 EUR =
/// 1.1128 USD and `JPY: 0.00688` means 1 JPY = 0.00688 USD. Files may give
/// rates the other way round ("units per base", 1 USD = 145.35 JPY); they are
/// inverted once, when read. The base currency's rate is 1 by definition.
public struct FXRates: Sendable, Hashable {
  public let base: String
  public private(set) var basePerUnit: [String: Double]

  public init(base: String, basePerUnit: [String: Double] = [:]) {
    self.base = base
    self.basePerUnit = basePerUnit
    self.basePerUnit[base] = 1
  }

  /// Value of one unit of `currency` in the base currency, nil when unknown.
  public func rate(_ currency: String) -> Double? { basePerUnit[currency] }

  /// `amount` of `currency` in the base currency.
  public func toBase(_ amount: Double, from currency: String) -> Double? { rate(currency).map { amount * $0 } }
}

/// How a position's market value is computed from its price.
public enum PriceQuote: String, Sendable, Hashable {
  /// value = price × quantity × multiplier.
  case perUnit
  /// Bonds: value = price/100 × face value × quantity (price in percent of par).
  case percentOfPar
}

/// Where a price came from, for the explanation.
public enum PriceSource: Sendable, Hashable, CustomStringConvertible {
  /// Given in the account file (line).
  case account(path: String, line: Int?)
  /// The last close on or before the as-of date in the market data.
  case marketData(path: String, day: Day, line: Int)

  public var description: String {
    switch self {
    case .account(let path, let line): return line.map { "\(path) line \($0)" } ?? path
    case .marketData(let path, let day, let line): return "last close \(day), \(path) line \(line)"
    }
  }
}

/// A holding: signed quantity (negative is short) of one instrument.
public struct Position: Sendable, Hashable {
  public var symbol: String
  public var assetClass: AssetClass
  /// Signed: negative is short. Units, shares, contracts or bonds.
  public var quantity: Double
  /// The currency the price is quoted in.
  public var currency: String
  /// Contract multiplier (options, futures); 1 otherwise.
  public var multiplier: Double
  /// Bonds: the face (par) value of one unit; prices are then percent of par.
  public var faceValue: Double?
  /// The closing price, if given; else it comes from the market data.
  public var price: Double?
  /// Options: the underlying's symbol and the option's delta (per unit of underlying).
  public var underlying: String?
  public var delta: Double?
  /// Options: the underlying's price, if given (else from the market data).
  public var underlyingPrice: Double?
  /// Options: gamma (per unit of underlying), for delta–gamma repricing.
  public var gamma: Double?
  /// Options: call or put, strike, expiry and implied volatility, for Black–Scholes repricing.
  public var optionRight: OptionRight?
  public var strike: Double?
  public var expiry: Day?
  public var impliedVolatility: Double?
  /// Average entry price, for unrealised P&L of margined positions.
  public var averageCost: Double?
  /// Where the position was declared (file and line), for messages.
  public var source: String
  public var line: Int?

  public init(
    symbol: String, assetClass: AssetClass, quantity: Double, currency: String, multiplier: Double = 1,
    faceValue: Double? = nil, price: Double? = nil, underlying: String? = nil, delta: Double? = nil,
    underlyingPrice: Double? = nil, averageCost: Double? = nil, source: String = "", line: Int? = nil
  ) {
    self.symbol = symbol
    self.assetClass = assetClass
    self.quantity = quantity
    self.currency = currency
    self.multiplier = multiplier
    self.faceValue = faceValue
    self.price = price
    self.underlying = underlying
    self.delta = delta
    self.underlyingPrice = underlyingPrice
    self.averageCost = averageCost
    self.source = source
    self.line = line
  }

  public var quote: PriceQuote { assetClass == .bond ? .percentOfPar : .perUnit }

  /// Futures, CFDs and FX forwards are margined: their equity is unrealised P&L, not notional.
  public var isMargined: Bool { [.future, .cfd, .fx].contains(assetClass) }

  /// The value of one unit per unit of price: multiplier, or face/100 for bonds.
  public var valuePerPricePoint: Double {
    quote == .percentOfPar ? (faceValue ?? 0) / 100 : multiplier
  }
}

/// An account: cash and positions at an as-of date, in a base currency.
public struct Account: Sendable {
  public var name: String
  public var baseCurrency: String
  public var asOf: Day
  public var fx: FXRates
  /// Cash balances by currency (may be negative: a loan).
  public var cash: [String: Double]
  public var positions: [Position]
  public var source: String
  /// The broker's own figure for the margin already in use (nil: computed from the instruments' terms).
  public var statedMargin: StatedMargin?
  /// What the journal knows about the account (equity history, states set by hand).
  public var record: AccountRecord = .none

  public init(
    name: String, baseCurrency: String, asOf: Day, fx: FXRates, cash: [String: Double], positions: [Position],
    source: String = "", statedMargin: StatedMargin? = nil
  ) {
    self.statedMargin = statedMargin
    self.name = name
    self.baseCurrency = baseCurrency
    self.asOf = asOf
    self.fx = fx
    self.cash = cash
    self.positions = positions
    self.source = source
  }
}

/// A follower's allocation to a copy-trading strategy.
public struct Follower: Sendable, Hashable {
  public var id: String
  public var allocation: Double
  public var currency: String
  /// The lead trader's own capital (counted only when asked).
  public var isLead: Bool
  public var line: Int?

  public init(id: String, allocation: Double, currency: String, isLead: Bool = false, line: Int? = nil) {
    self.id = id
    self.allocation = allocation
    self.currency = currency
    self.isLead = isLead
    self.line = line
  }
}
