/// Where a number came from: a file and line, or a flag. Carried into explanations.
public struct DataSource: Sendable, Hashable, CustomStringConvertible {
  public let path: String
  public init(path: String) { self.path = path }
  public var description: String { path }
}

/// How many return periods make a year for a series.
public enum PeriodsPerYear {
  /// 365 when more than 20% of the dates fall on a Saturday or Sunday (a
  /// 7-day market such as crypto), else 252. An empty series gives 252.
  public static func infer(_ days: some Collection<Day>) -> Int {
    guard !days.isEmpty else { return 252 }
    let weekend = days.reduce(0) { $0 + ($1.isWeekend ? 1 : 0) }
    return Double(weekend) > 0.2 * Double(days.count) ? 365 : 252
  }
}

/// One instrument's daily bars, sorted by date, without missing values.
///
/// Struct of arrays: all arrays have `count` elements; `open`, `high`, `low`
/// and `volume` are empty for a close-only series (a wide panel column).
/// `lines` holds the source line of each bar, so later checks can name it.
public struct PriceHistory: Sendable {
  public let symbol: String
  public let source: DataSource
  public internal(set) var days: [Day]
  public internal(set) var open: [Double]
  public internal(set) var high: [Double]
  public internal(set) var low: [Double]
  public internal(set) var close: [Double]
  public internal(set) var volume: [Double]
  public internal(set) var lines: [Int]
  /// Rows dropped for a missing value when loading.
  public let droppedRows: Int

  public init(
    symbol: String, source: DataSource, days: [Day], open: [Double] = [], high: [Double] = [], low: [Double] = [],
    close: [Double], volume: [Double] = [], lines: [Int] = [], droppedRows: Int = 0
  ) {
    precondition(days.count == close.count, "days and closes must have the same length")
    precondition(open.isEmpty || (open.count == close.count && high.count == close.count && low.count == close.count))
    precondition(volume.isEmpty || volume.count == close.count)
    self.symbol = symbol
    self.source = source
    self.days = days
    self.open = open
    self.high = high
    self.low = low
    self.close = close
    self.volume = volume
    self.lines = lines.isEmpty ? Array(repeating: 0, count: close.count) : lines
    self.droppedRows = droppedRows
  }

  public var count: Int { close.count }
  public var hasOHLC: Bool { !open.isEmpty }
  public var hasVolume: Bool { !volume.isEmpty }
  public var lastDay: Day? { days.last }
  public var lastClose: Double? { close.last }

  /// The bars dated on or before `day`.
  public func through(_ day: Day) -> PriceHistory {
    var lo = 0
    var hi = days.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if days[mid] <= day { lo = mid + 1 } else { hi = mid }
    }
    if lo == days.count { return self }
    return PriceHistory(
      symbol: symbol, source: source, days: Array(days[..<lo]),
      open: hasOHLC ? Array(open[..<lo]) : [], high: hasOHLC ? Array(high[..<lo]) : [],
      low: hasOHLC ? Array(low[..<lo]) : [], close: Array(close[..<lo]),
      volume: hasVolume ? Array(volume[..<lo]) : [], lines: Array(lines[..<lo]), droppedRows: droppedRows)
  }
}

/// A set of price histories keyed by symbol, in a stable order.
public struct MarketData: Sendable {
  public private(set) var histories: [PriceHistory]
  private var index: [String: Int]
  /// Non-fatal findings while loading (dropped rows, sorted files).
  public var warnings: [String]
  /// Metadata for the instruments (defaults for those not described).
  public var catalog: InstrumentCatalog

  public init(histories: [PriceHistory], warnings: [String] = [], catalog: InstrumentCatalog = InstrumentCatalog()) {
    self.histories = histories
    self.catalog = catalog
    self.index = [:]
    for (i, h) in histories.enumerated() { index[h.symbol] = i }
    self.warnings = warnings
  }

  public var symbols: [String] { histories.map(\.symbol) }

  /// The instrument's periods per year: its configured value, else inferred from its calendar.
  public func periodsPerYear(of h: PriceHistory) -> Int {
    catalog.spec(for: h.symbol).periodsPerYear ?? PeriodsPerYear.infer(h.days)
  }
  public subscript(symbol: String) -> PriceHistory? { index[symbol].map { histories[$0] } }
  /// Whether the symbol has a history (without copying it out, as the subscript does).
  public func contains(_ symbol: String) -> Bool { index[symbol] != nil }
  /// The rows dropped from the symbol's file (0 when it has no history).
  public func droppedRows(of symbol: String) -> Int { index[symbol].map { histories[$0].droppedRows } ?? 0 }

  /// Only the bars on or before `day`, for every history.
  public func through(_ day: Day) -> MarketData {
    MarketData(histories: histories.map { $0.through(day) }, warnings: warnings, catalog: catalog)
  }
}
