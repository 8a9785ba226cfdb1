/// One holding as the risk model sees it: its quantity and the base-currency
/// exposure of one unit, so any quantity can be priced without revaluing.
public struct BookLine: Sendable, Hashable {
  /// The position's own symbol (an option by its contract symbol).
  public let symbol: String
  /// The instrument its risk is measured on: an option's underlying, else itself.
  public let riskSymbol: String
  public let assetClass: AssetClass
  /// Signed: negative is short.
  public var quantity: Double
  /// Signed base-currency exposure of one unit held long (options: delta × multiplier × underlying × FX).
  public let unitExposure: Double
  /// The exposure as valued for the quantity first held, kept exact (no round trip through the unit).
  let valued: (quantity: Double, exposure: Double)?
  /// Base-currency initial margin of one unit held (0: not margined, or no terms).
  public let unitMargin: Double
  /// The hand-given group of its risk instrument (instruments.yaml `group`).
  public let group: String?

  public init(
    symbol: String, riskSymbol: String? = nil, assetClass: AssetClass, quantity: Double, unitExposure: Double,
    valuedExposure: Double? = nil, unitMargin: Double = 0, group: String? = nil
  ) {
    self.unitMargin = unitMargin
    self.group = group
    self.symbol = symbol
    self.riskSymbol = riskSymbol ?? symbol
    self.assetClass = assetClass
    self.quantity = quantity
    self.unitExposure = unitExposure
    self.valued = valuedExposure.map { (quantity, $0) }
  }

  public var exposure: Double {
    if let v = valued, v.quantity == quantity { return v.exposure }
    return quantity * unitExposure
  }
  /// Initial margin of the holding: |quantity| × the margin of one unit.
  public var margin: Double { abs(quantity) * unitMargin }

  public static func == (a: BookLine, b: BookLine) -> Bool {
    a.symbol == b.symbol && a.riskSymbol == b.riskSymbol && a.assetClass == b.assetClass && a.quantity == b.quantity
      && a.unitExposure == b.unitExposure
  }
  public func hash(into h: inout Hasher) {
    h.combine(symbol)
    h.combine(quantity)
  }
}

/// The account as every limit sees it: equity and each holding's exposure, in the
/// base currency, with the sums the limits read (gross, by asset class, by risk
/// instrument) kept up to date as trades are applied.
///
/// Conventions (the same for `size`, `check`, `budget` and `whatif`):
/// - gross exposure is Σ |exposure| over the holdings as held (an option counts by
///   its delta-adjusted exposure, under the `option` asset class);
/// - the per-position notional cap, the covariance and the risk share see the
///   exposure of each *risk instrument*: a stock and the options on it together;
/// - equity does not move when a trade is applied (it fills at its entry price).
public struct Book: Sendable {
  public let baseCurrency: String
  public let asOf: Day
  public let fx: FXRates
  /// Where the account came from, for explanations.
  public let source: String
  /// Net liquidation value, base currency: the base of every limit.
  public let equity: Double
  /// The journal's record of the account (equity history, states set by hand).
  public let record: AccountRecord
  /// The drawdown of `equity` from the record's high-water mark (nil: no journal). Every
  /// limit reads its base from it and the profile (``EquityBase``).
  public let drawdown: DrawdownReading?
  public private(set) var lines: [BookLine]
  public private(set) var grossExposure: Double = 0
  /// Gross exposure by asset class, at each class's ``AssetClass/ordinal``: the sums every
  /// order reads and every fill rewrites, so an array rather than a dictionary.
  private var grossByClass = [Double](repeating: 0, count: AssetClass.allCases.count)
  /// Σ |exposure| of the holdings of the class.
  public func classGross(_ cls: AssetClass) -> Double { grossByClass[cls.ordinal] }
  /// Risk instruments in the order first held.
  public private(set) var riskSymbols: [String] = []
  /// Signed exposure of each risk instrument, at its place in `riskSymbols`.
  private var riskExposures: [Double] = []
  /// Whether a holding has a hand-given group (every order's groups ask; kept, not scanned for).
  public private(set) var hasHandGroups = false
  /// Σ initial margin of the holdings by their terms (``BookLine/margin``).
  public private(set) var modelMargin: Double = 0
  /// The broker's stated initial margin in use when the book was loaded (nil: the model's).
  public let statedMargin: Double?
  /// The model's margin when the book was loaded: trades move the stated figure by the model's change.
  private var loadedModelMargin: Double = 0
  private var marginLines: [Int] = []
  /// The line of each symbol held. The other indexes are by position (a fill hashes its
  /// symbol once, not five times).
  private var index: [String: Int] = [:]
  /// The place in `riskSymbols` of each risk instrument.
  private var riskIndex: [String: Int] = [:]
  /// The place in `riskSymbols` of each line's risk instrument.
  private var riskOfLine: [Int] = []
  /// The lines of each risk instrument, at its place in `riskSymbols`.
  private var linesOfRisk: [[Int]] = []
  /// The lines of each asset class, at its ``AssetClass/ordinal``.
  private var linesOfClass = [[Int]](repeating: [], count: AssetClass.allCases.count)

  public init(
    baseCurrency: String, asOf: Day, equity: Double, fx: FXRates, lines: [BookLine] = [], source: String = "",
    statedMargin: Double? = nil,
    record: AccountRecord = .none
  ) {
    self.baseCurrency = baseCurrency
    self.asOf = asOf
    self.equity = equity
    self.record = record
    self.drawdown = DrawdownReading.reading(record, equity: equity, asOf: asOf)
    self.fx = fx
    self.source = source
    self.statedMargin = statedMargin
    self.lines = []
    for l in lines { add(l) }
    loadedModelMargin = modelMargin
  }

  /// Initial margin in use: the broker's stated figure moved by the model's change since the
  /// book was loaded, else the model's (``MarginSummary``).
  public var marginInUse: Double {
    guard let s = statedMargin else { return modelMargin }
    return max(0, s + (modelMargin - loadedModelMargin))
  }

  /// The book of a valuation: every position, its exposure per unit from the valuation.
  public init(_ v: AccountValuation) {
    let lines = v.positions.map { p in
      BookLine(
        symbol: p.position.symbol, riskSymbol: Book.riskSymbol(of: p.position), assetClass: p.position.assetClass,
        quantity: p.position.quantity, unitExposure: p.position.quantity != 0 ? p.exposure / p.position.quantity : 0,
        valuedExposure: p.exposure,
        unitMargin: p.position.quantity != 0 ? (p.initialMargin ?? 0) / abs(p.position.quantity) : 0, group: p.group)
    }
    self.init(
      baseCurrency: v.account.baseCurrency, asOf: v.account.asOf, equity: v.equity, fx: v.account.fx, lines: lines,
      source: v.account.source, statedMargin: v.account.statedMargin?.initial, record: v.account.record)
  }

  /// The instrument a position's risk is measured on: an option's underlying, else itself.
  public static func riskSymbol(of p: Position) -> String {
    p.assetClass == .option ? (p.underlying ?? p.symbol) : p.symbol
  }

  public func line(_ symbol: String) -> BookLine? { index[symbol].map { lines[$0] } }
  /// Signed quantity held of the instrument itself (not through options).
  public func quantity(of symbol: String) -> Double { line(symbol)?.quantity ?? 0 }
  /// Signed exposure of the instrument's own holding (not through options).
  public func directExposure(of symbol: String) -> Double { line(symbol)?.exposure ?? 0 }
  /// Signed exposure to the risk instrument: its own holding and the options on it.
  public func exposure(of riskSymbol: String) -> Double { riskIndex[riskSymbol].map { riskExposures[$0] } ?? 0 }
  /// What a trade in `symbol` reads of the book, with the symbol hashed once when it is its own
  /// risk instrument: the units held, the exposure with the options on it (``exposure(of:)``)
  /// and its own holding's exposure (``directExposure(of:)``).
  public func holding(of symbol: String) -> (quantity: Double, exposure: Double, direct: Double) {
    guard let i = index[symbol] else { return (0, exposure(of: symbol), 0) }
    let l = lines[i]
    return (l.quantity, l.riskSymbol == symbol ? riskExposures[riskOfLine[i]] : exposure(of: symbol), l.exposure)
  }
  public var netExposure: Double { lines.reduce(0) { $0 + $1.exposure } }
  /// Gross exposure / equity; nil when equity is not positive.
  public var leverage: Double? { equity > 0 ? grossExposure / equity : nil }

  mutating func add(_ l: BookLine) {
    if let i = index[l.symbol] {
      // Several holdings of one symbol (a file may list them): one line, quantities added.
      setQuantity(l.symbol, lines[i].quantity + l.quantity)
      return
    }
    let r: Int
    if let known = riskIndex[l.riskSymbol] {
      r = known
    } else {
      r = riskSymbols.count
      riskIndex[l.riskSymbol] = r
      riskSymbols.append(l.riskSymbol)
      riskExposures.append(0)
      linesOfRisk.append([])
    }
    index[l.symbol] = lines.count
    riskOfLine.append(r)
    linesOfRisk[r].append(lines.count)
    linesOfClass[l.assetClass.ordinal].append(lines.count)
    if l.unitMargin > 0 { marginLines.append(lines.count) }
    if l.group != nil { hasHandGroups = true }
    lines.append(l)
    resum(at: lines.count - 1)
  }

  /// Sets a holding's quantity and recomputes the sums it is in, exactly (no running
  /// totals that drift: a book cut to zero has zero exposure): O(holdings of its instrument
  /// and class).
  public mutating func setQuantity(_ symbol: String, _ q: Double) {
    guard let i = index[symbol] else { return }
    setQuantity(at: i, q)
  }

  /// - Returns: the exposure to the line's risk instrument after the change.
  @discardableResult
  private mutating func setQuantity(at i: Int, _ q: Double) -> Double {
    lines[i].quantity = q
    return resum(at: i)
  }

  /// Sums again what line `i` is in: its risk instrument, its class, the gross and the margin.
  /// - Returns: the risk instrument's exposure, as summed.
  @discardableResult
  private mutating func resum(at i: Int) -> Double {
    let r = riskOfLine[i]
    let c = lines[i].assetClass.ordinal
    let exposure = linesOfRisk[r].reduce(0) { $0 + lines[$1].exposure }
    riskExposures[r] = exposure
    grossByClass[c] = linesOfClass[c].reduce(0) { $0 + abs(lines[$1].exposure) }
    // In the order of `allCases`, as ever (a class not held adds an exact 0).
    grossExposure = grossByClass.reduce(0, +)
    modelMargin = marginLines.reduce(0) { $0 + lines[$1].margin }
    return exposure
  }

  /// Applies a fill of `quantity` (signed) of the instrument itself, `unitExposure` (and
  /// `unitMargin`) per unit; a new holding takes its hand-given `group`.
  ///
  /// - Returns: the exposure to the risk instrument `symbol` (``exposure(of:)``) before and
  ///   after the fill, for the covariances that hold it.
  @discardableResult
  public mutating func apply(
    symbol: String, assetClass: AssetClass, quantity: Double, unitExposure: Double, unitMargin: Double = 0,
    group: String? = nil
  ) -> (before: Double, after: Double) {
    if let i = index[symbol] {
      // The line's own risk instrument in the common case (a stock, not an option on it).
      let own = lines[i].riskSymbol == symbol
      let before = own ? riskExposures[riskOfLine[i]] : exposure(of: symbol)
      let after = setQuantity(at: i, lines[i].quantity + quantity)
      return (before, own ? after : exposure(of: symbol))
    }
    let before = exposure(of: symbol)
    add(
      BookLine(
        symbol: symbol, assetClass: assetClass, quantity: quantity, unitExposure: unitExposure, unitMargin: unitMargin,
        group: group))
    return (before, exposure(of: symbol))
  }

  /// The hand-given group of a risk instrument held (nil: none).
  public func group(of riskSymbol: String) -> String? {
    riskIndex[riskSymbol].flatMap { r in linesOfRisk[r].lazy.compactMap { self.lines[$0].group }.first }
  }
}
