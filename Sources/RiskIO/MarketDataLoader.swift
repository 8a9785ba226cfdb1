import Foundation
import RiskCore

/// Loads daily price histories from CSV files.
///
/// Accepted shapes (detected from the header, case-insensitively):
/// - **OHLCV, one instrument per file**: a date column (`Date`, `date`,
///   `Datetime`, `timestamp`, or an unnamed first column) and a close column
///   (`Close`, else `Settle`, `Price`, `Last`; never `Adj Close`); `Open`,
///   `High`, `Low` together or not at all; `Volume` optional. Yahoo
///   (`Date,Open,High,Low,Close,Adj Close,Volume`) and lower-case
///   (`date,open,high,low,close,volume`) headers both qualify. The symbol is
///   the instrument whose `dataFile` is this file in the catalog, else the
///   file name without `.csv`, unless one is given.
/// - **Wide close panel**: a date column and one column per instrument, none
///   of them named like an OHLCV field.
/// - **A directory** of such files (`*.csv`, in name order), plus an optional
///   `instruments.yaml` describing them.
///
/// Rules: a row with a missing price (`null`, `NA`, `NULL`, `N/A`, `.`,
/// empty) is dropped for that instrument and counted in a warning; unsorted
/// rows are sorted; a duplicate date is an error naming both lines; a price
/// that is not positive is an error unless the instrument allows negative
/// prices; NaN and infinities are errors.
public struct MarketDataLoader: Sendable {
  public var catalog: InstrumentCatalog
  /// Where parsed files are kept between runs (nil: every file is parsed).
  public var cache: MarketCache?
  let catalogKey: UInt64

  public init(catalog: InstrumentCatalog = InstrumentCatalog(), cache: MarketCache? = nil) {
    self.catalog = catalog
    self.cache = cache
    self.catalogKey = cache == nil ? 0 : MarketCache.catalogFingerprint(catalog)
  }

  /// Loads a file or a directory.
  /// - Parameter symbol: the symbol for a single-instrument file (overrides the file name).
  public func load(path: String, symbol: String? = nil) throws(InputError) -> MarketData {
    let st: stat
    do {
      st = try InputFiles.status(path, what: "file or directory")
    } catch let e where e.kind == .fileNotFound {
      throw InputError(
        .fileNotFound, path: path,
        "no such file or directory; pass --market with a CSV file, a directory of CSV files or a wide price panel.")
    }
    if st.st_mode & S_IFMT == S_IFDIR { return try loadDirectory(path) }
    let histories = try loadFile(path, symbol: symbol)
    return MarketData(histories: histories, warnings: Self.warnings(histories), catalog: catalog)
  }

  func loadDirectory(_ path: String) throws(InputError) -> MarketData {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.lowercased().hasSuffix(".csv") }.sorted()
    } catch {
      throw InputError(.unreadable, path: path, "cannot list the directory (\(error.localizedDescription)).")
    }
    guard !names.isEmpty else { throw InputError(.empty, path: path, "the directory holds no .csv files.") }
    var all: [PriceHistory] = []
    var seen: [String: String] = [:]
    var skipped: [String] = []
    for name in names {
      let file = (path as NSString).appendingPathComponent(name)
      // Only regular files are read: a FIFO named *.csv would block forever, a directory or
      // a device is not data. Each is skipped with a warning.
      do {
        try InputFiles.requireRegular(file)
      } catch {
        skipped.append("\(escapedForMessage(file, limit: 200)) skipped: \(error.message)")
        continue
      }
      for h in try loadFile(file, symbol: nil) {
        if let other = seen[h.symbol] {
          throw InputError(
            .duplicateInstrument, path: file, "instrument \(h.symbol) is also in \(other); keep one file per instrument.")
        }
        seen[h.symbol] = file
        all.append(h)
      }
    }
    guard !all.isEmpty else {
      throw InputError(.empty, path: path, "the directory holds no regular .csv files (\(skipped.joined(separator: "; "))).")
    }
    all.sort { $0.symbol < $1.symbol }
    return MarketData(histories: all, warnings: skipped + Self.warnings(all), catalog: catalog)
  }

  static func warnings(_ histories: [PriceHistory]) -> [String] {
    histories.filter { $0.droppedRows > 0 }.map {
      "\($0.source): \($0.droppedRows) row\($0.droppedRows == 1 ? "" : "s") with a missing price dropped for \($0.symbol)."
    }
  }

  /// Loads one CSV file: one history for an OHLCV file, one per column for a panel.
  public func loadFile(_ path: String, symbol: String? = nil) throws(InputError) -> [PriceHistory] {
    let bytes = try InputFiles.readAll(path, what: "market-data file", maxBytes: InputLimits.marketBytes)
    guard let cache else { return try parse(bytes: bytes, path: path, symbol: symbol).map(inMajorUnits) }
    let key = MarketCache.Key(
      path: path, symbol: symbol, catalog: catalogKey, length: bytes.count, content: ContentHash.of(bytes))
    if let hit = cache.lookup(key) { return hit.map(inMajorUnits) }
    let parsed = try parse(bytes: bytes, path: path, symbol: symbol)
    cache.store(parsed, for: key)
    return parsed.map(inMajorUnits)
  }

  /// Prices quoted in a currency's minor unit (`currency: GBp` in instruments.yaml) divided into
  /// the major unit (GBP), so every figure downstream is in the currency the output names.
  func inMajorUnits(_ h: PriceHistory) -> PriceHistory {
    let d = catalog.spec(for: h.symbol).priceDivisor
    guard d != 1 else { return h }
    func scaled(_ x: [Double]) -> [Double] { x.map { $0 / d } }
    return PriceHistory(
      symbol: h.symbol, source: h.source, days: h.days, open: scaled(h.open), high: scaled(h.high), low: scaled(h.low),
      close: scaled(h.close), volume: h.volume, lines: h.lines, droppedRows: h.droppedRows)
  }

  /// The whole file in one buffer, read with POSIX `read(2)` straight into the array
  /// (Foundation's `Data` would add a second copy of a 13 MB panel); nil when it cannot be
  /// read (``InputFiles/readAll(_:what:maxBytes:)`` says why).
  public static func readAll(_ path: String) -> [UInt8]? {
    try? InputFiles.readAll(path, what: "market-data file", maxBytes: InputLimits.marketBytes)
  }

  private static let dateNames: Set<String> = ["date", "datetime", "timestamp", "time", "day", "index", "data", ""]
  private static let closeNames = ["close", "settle", "price", "last"]
  private static let ohlcvNames: Set<String> = [
    "open", "high", "low", "close", "adj close", "adj_close", "volume", "settle", "last",
  ]

  /// Parses CSV bytes (exposed for tests and benchmarks).
  public func parse(bytes: [UInt8], path: String, symbol: String? = nil) throws(InputError) -> [PriceHistory] {
    do {
      return try parseUnchecked(bytes: bytes, path: path, symbol: symbol)
    } catch let e {
      // Attach the path to reader errors raised without one.
      if e.path == nil { throw InputError(e.kind, path: path, line: e.line, field: e.field, e.message) }
      throw e
    }
  }

  private func parseUnchecked(bytes: [UInt8], path: String, symbol: String?) throws(InputError) -> [PriceHistory] {
    var reader = CSVReader(bytes: bytes)
    var fields: [CSVReader.Field] = []
    guard var headerLine = try reader.nextRecord(into: &fields) else {
      throw InputError(.empty, path: path, "the file is empty; expected a header such as Date,Open,High,Low,Close,Volume.")
    }
    // CryptoDataDownload files start with a URL line before the header.
    if fields.count == 1, reader.string(fields[0]).lowercased().hasPrefix("http") {
      guard let l = try reader.nextRecord(into: &fields) else {
        throw InputError(.empty, path: path, "the file has no header after its first line.")
      }
      headerLine = l
    }
    let header = fields.map { reader.string($0) }
    let lower = header.map { $0.lowercased() }
    guard let dateColumn = lower.firstIndex(where: { Self.dateNames.contains($0) }) ?? (lower.isEmpty ? nil : 0),
      lower.count >= 2
    else {
      throw InputError(
        .missingColumn, path: path, line: headerLine,
        "the header has no date column and price column; expected e.g. Date,Open,High,Low,Close,Volume.")
    }
    // A file is OHLCV when it has a "close" column or at least two OHLCV field
    // names; a ticker that happens to be "LOW" (Lowe's) or "L" does not make a
    // panel look like OHLCV. Settle, Price and Last stand in for Close only in
    // an OHLCV file or in a two-column date,price file.
    let fieldNames = lower.filter { Self.ohlcvNames.contains($0) }.count
    let looksOHLCV = lower.contains("close") || fieldNames >= 2
    var closeColumn: Int? = lower.firstIndex(of: "close")
    if closeColumn == nil && (looksOHLCV || lower.count == 2) {
      closeColumn = Self.closeNames.lazy.compactMap { name in lower.firstIndex(of: name) }.first
      if closeColumn == nil && lower.count == 2 && lower[1 - dateColumn] == "value" { closeColumn = 1 - dateColumn }
    }
    let fileName = (path as NSString).lastPathComponent
    if let closeColumn {
      let sym = symbol ?? catalog.symbol(forDataFile: fileName) ?? Self.stem(fileName)
      return [
        try parseOHLCV(
          &reader, header: header, lower: lower, headerLine: headerLine, date: dateColumn, close: closeColumn, symbol: sym,
          path: path)
      ]
    }
    if looksOHLCV {
      let shown = header.joined(separator: ",")
      throw InputError(
        .missingColumn, path: path, line: headerLine,
        "the header \(quoted(shown, limit: 60)) has no close column; expected Close (or Settle, Price, Last)."
      )
    }
    return try parsePanel(&reader, header: header, headerLine: headerLine, date: dateColumn, path: path)
  }

  static func stem(_ fileName: String) -> String {
    fileName.lowercased().hasSuffix(".csv") ? String(fileName.dropLast(4)) : fileName
  }

  private func parseOHLCV(
    _ reader: inout CSVReader, header: [String], lower: [String], headerLine: Int, date: Int, close: Int, symbol: String,
    path: String
  ) throws(InputError) -> PriceHistory {
    let spec = catalog.spec(for: symbol)
    let o = lower.firstIndex(of: "open")
    let h = lower.firstIndex(of: "high")
    let l = lower.firstIndex(of: "low")
    var priceColumns: [(Int, String)] = [(close, header[close])]
    if let o, let h, let l { priceColumns = [(o, header[o]), (h, header[h]), (l, header[l]), (close, header[close])] }
    let hasOHLC = priceColumns.count == 4
    let v = lower.firstIndex(of: "volume")
    var days: [Day] = []
    var opens: [Double] = []
    var highs: [Double] = []
    var lows: [Double] = []
    var closes: [Double] = []
    var volumes: [Double] = []
    var lines: [Int] = []
    var dropped = 0
    var fields: [CSVReader.Field] = []
    let width = header.count
    var values = [Double](repeating: 0, count: 4)
    rows: while let line = try reader.nextRecord(into: &fields) {
      let day = try Self.rowDay(reader, fields, line: line, width: width, date: date, header: header, path: path)
      for (k, (c, name)) in priceColumns.enumerated() {
        if reader.isMissing(fields[c]) {
          dropped += 1
          continue rows
        }
        switch reader.number(fields[c]) {
        case .value(let x):
          if !(x > 0) && !spec.allowsNegativePrices {
            throw InputError(
              .nonPositivePrice, path: path, line: line, field: name,
              "price \(escapedForMessage(reader.string(fields[c]))) is not positive; if \(symbol) can trade at or below zero (e.g. a futures contract), set allows_negative_prices: true for it in instruments.yaml."
            )
          }
          let range = spec.allowsNegativePrices ? InputRange.signedPrice : InputRange.price
          guard range.contains(x) else {
            throw InputError.outOfRange(range, reader.string(fields[c]), path: path, line: line, field: name)
          }
          values[k] = x
        case .notANumber:
          throw InputError(.notANumber, path: path, line: line, field: name, reader.notANumberText(fields[c]))
        case .nonFinite:
          throw InputError(
            .nonFinite, path: path, line: line, field: name, "\(reader.quotedField(fields[c])) is not a finite number.")
        }
      }
      if hasOHLC { try Self.checkBar(values, priceColumns.map(\.1), line: line, path: path) }
      var volume = 0.0
      if let v {
        if reader.isMissing(fields[v]) {
          volume = .nan
        } else {
          switch reader.number(fields[v]) {
          case .value(let x):
            guard x >= 0 else {
              throw InputError(
                .negativeValue, path: path, line: line, field: header[v],
                "volume \(escapedForMessage(reader.string(fields[v]))) is negative.")
            }
            guard InputRange.volume.contains(x) else {
              throw InputError.outOfRange(InputRange.volume, reader.string(fields[v]), path: path, line: line, field: header[v])
            }
            volume = x
          case .notANumber:
            throw InputError(.notANumber, path: path, line: line, field: header[v], reader.notANumberText(fields[v]))
          case .nonFinite:
            throw InputError(
              .nonFinite, path: path, line: line, field: header[v], "\(reader.quotedField(fields[v])) is not a finite number.")
          }
        }
      }
      days.append(day)
      lines.append(line)
      if hasOHLC {
        opens.append(values[0])
        highs.append(values[1])
        lows.append(values[2])
        closes.append(values[3])
      } else {
        closes.append(values[0])
      }
      if v != nil { volumes.append(volume) }
    }
    if days.isEmpty {
      throw InputError(.empty, path: path, line: headerLine, "no rows with a price after the header.")
    }
    var history = PriceHistory(
      symbol: symbol, source: DataSource(path: path), days: days, open: opens, high: highs, low: lows, close: closes,
      volume: volumes, lines: lines, droppedRows: dropped)
    try Self.sortAndCheckDuplicates(&history, path: path)
    return history
  }

  private func parsePanel(_ reader: inout CSVReader, header: [String], headerLine: Int, date: Int, path: String)
    throws(InputError) -> [PriceHistory]
  {
    let columns = header.indices.filter { $0 != date }
    var seen: [String: Int] = [:]
    for c in columns {
      if header[c].isEmpty {
        throw InputError(
          .missingColumn, path: path, line: headerLine, field: "column \(c + 1)", "an instrument column has no name.")
      }
      if let first = seen[header[c]] {
        throw InputError(
          .duplicateInstrument, path: path, line: headerLine, field: header[c],
          "the instrument appears in columns \(first + 1) and \(c + 1).")
      }
      seen[header[c]] = c
    }
    let n = columns.count
    // Row-major values (NaN where missing) and one shared list of dates and lines: a panel
    // without gaps then hands every column the same date array (copy-on-write, no copies).
    var rowDays: [Day] = []
    var rowLines: [Int] = []
    var values: [Double] = []
    // A row holds at least two bytes per field: reserve once instead of growing a 10 MB array.
    let rowsEstimate = reader.bytes.count / max(1, 2 * header.count)
    values.reserveCapacity(rowsEstimate * n / 2)
    rowDays.reserveCapacity(rowsEstimate / 2)
    rowLines.reserveCapacity(rowsEstimate / 2)
    var dropped = [Int](repeating: 0, count: n)
    let allowsNegative = columns.map { catalog.spec(for: header[$0]).allowsNegativePrices }
    var fields: [CSVReader.Field] = []
    let width = header.count
    while let line = try reader.nextRecord(into: &fields) {
      rowDays.append(try Self.rowDay(reader, fields, line: line, width: width, date: date, header: header, path: path))
      rowLines.append(line)
      for (j, c) in columns.enumerated() {
        if reader.isMissing(fields[c]) {
          dropped[j] += 1
          values.append(.nan)
          continue
        }
        switch reader.number(fields[c]) {
        case .value(let x):
          if !(x > 0) && !allowsNegative[j] {
            throw InputError(
              .nonPositivePrice, path: path, line: line, field: header[c],
              "price \(escapedForMessage(reader.string(fields[c]))) is not positive; if \(header[c]) can trade at or below zero, set allows_negative_prices: true for it in instruments.yaml."
            )
          }
          let range = allowsNegative[j] ? InputRange.signedPrice : InputRange.price
          guard range.contains(x) else {
            throw InputError.outOfRange(range, reader.string(fields[c]), path: path, line: line, field: header[c])
          }
          values.append(x)
        case .notANumber:
          throw InputError(.notANumber, path: path, line: line, field: header[c], reader.notANumberText(fields[c]))
        case .nonFinite:
          throw InputError(
            .nonFinite, path: path, line: line, field: header[c], "\(reader.quotedField(fields[c])) is not a finite number.")
        }
      }
    }
    let rows = rowDays.count
    var out: [PriceHistory] = []
    out.reserveCapacity(n)
    for (j, c) in columns.enumerated() {
      var close = [Double](repeating: 0, count: rows)
      for r in 0..<rows { close[r] = values[r * n + j] }
      var days = rowDays
      var lines = rowLines
      if dropped[j] > 0 {
        let keep = (0..<rows).filter { !close[$0].isNaN }
        close = keep.map { close[$0] }
        days = keep.map { rowDays[$0] }
        lines = keep.map { rowLines[$0] }
      }
      guard !days.isEmpty else {
        throw InputError(.empty, path: path, field: header[c], "the column holds no prices.")
      }
      var h = PriceHistory(
        symbol: catalog.symbol(forDataFile: header[c]) ?? header[c], source: DataSource(path: path), days: days,
        close: close, lines: lines, droppedRows: dropped[j])
      try Self.sortAndCheckDuplicates(&h, path: path)
      out.append(h)
    }
    return out
  }

  /// Relative slack for an open or close outside its bar's range: Yahoo's FX bars take the
  /// open and close from another feed than the high and low, and stray by up to 0.42% (the
  /// bundled EURUSD=X and JPY=X files). Beyond it the bar contradicts itself.
  static let barTolerance = 0.01

  /// A bar must not contradict itself: Low ≤ High, and Open and Close within [Low, High]
  /// (to ``barTolerance`` of the bar's size in price).
  static func checkBar(_ v: [Double], _ names: [String], line: Int, path: String) throws(InputError) {
    let (open, high, low, close) = (v[0], v[1], v[2], v[3])
    func text(_ x: Double) -> String { Format.price(x) }
    guard low <= high else {
      throw InputError(
        .invalidValue, path: path, line: line, field: names[2],
        "the low \(text(low)) is above the high \(text(high)); a bar needs Low ≤ Open, Close ≤ High.")
    }
    let slack = barTolerance * max(abs(high), abs(low))
    for (k, x) in [(0, open), (3, close)] where x < low - slack || x > high + slack {
      throw InputError(
        .invalidValue, path: path, line: line, field: names[k],
        "\(names[k].lowercased()) \(text(x)) is outside the bar's range \(text(low))–\(text(high)); a bar needs Low ≤ Open, Close ≤ High."
      )
    }
  }

  /// Checks a row's field count and reads its date (daily data only).
  static func rowDay(
    _ reader: CSVReader, _ fields: [CSVReader.Field], line: Int, width: Int, date: Int, header: [String], path: String
  ) throws(InputError) -> Day {
    guard fields.count == width else {
      throw InputError(.malformedRow, path: path, line: line, "expected \(width) fields as in the header, found \(fields.count).")
    }
    switch reader.day(fields[date]) {
    case .day(let d): return d
    case .intraday:
      throw InputError(
        .notADate, path: path, line: line, field: header[date],
        "\(reader.quotedField(fields[date])) has a time of day; advisor needs daily bars (one row per date).")
    case .invalid:
      throw InputError(
        .notADate, path: path, line: line, field: header[date],
        "\(reader.quotedField(fields[date])) is not a date; expected YYYY-MM-DD.")
    }
  }

  /// Sorts by date when needed (stable), then rejects duplicate dates naming both lines.
  static func sortAndCheckDuplicates(_ h: inout PriceHistory, path: String) throws(InputError) {
    var sorted = true
    for i in 1..<max(1, h.days.count) where h.days[i] <= h.days[i - 1] {
      sorted = false
      break
    }
    if !sorted {
      let order = h.days.indices.sorted { (h.days[$0], h.lines[$0]) < (h.days[$1], h.lines[$1]) }
      func pick<T>(_ a: [T]) -> [T] { a.isEmpty ? a : order.map { a[$0] } }
      h = PriceHistory(
        symbol: h.symbol, source: h.source, days: pick(h.days), open: pick(h.open), high: pick(h.high), low: pick(h.low),
        close: pick(h.close), volume: pick(h.volume), lines: pick(h.lines), droppedRows: h.droppedRows)
    }
    for i in 1..<max(1, h.days.count) where h.days[i] == h.days[i - 1] {
      let (a, b) = (min(h.lines[i - 1], h.lines[i]), max(h.lines[i - 1], h.lines[i]))
      throw InputError(
        .duplicateDate, path: path, line: b, field: h.symbol,
        "date \(h.days[i]) appears twice, on lines \(a) and \(b); keep one row per date.")
    }
  }
}
