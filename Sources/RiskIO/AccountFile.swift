import Foundation
import RiskCore

/// The account file (YAML, versioned like every advisor file).
///
/// ```yaml
/// version: 1
/// name: Example book
/// base_currency: USD
/// as_of: 2024-08-21
/// fx_quote: base-per-unit        # or units-per-base; required, so the convention is never guessed
/// fx:                            # closing rates at as_of
///   EUR: 1.1128                  # base-per-unit: 1 EUR = 1.1128 USD
/// cash:                          # daily balances per currency (negative = borrowed)
///   USD: 250000
///   EUR: 40000
/// max_price_age_days: 4          # market-data prices older than this are flagged stale (default 4)
/// margin_in_use:                 # optional: the broker's own figures, base currency
///   initial: 287500              #   (default: computed from the instruments' margin terms)
///   maintenance: 260000
/// positions_file: holdings.csv   # optional broker-style CSV, one row per position (merged with the list below)
/// positions:
///   - symbol: AAPL               # required
///     quantity: 400              # required, signed: negative is short; never 0
///     asset_class: stock         # default: from instruments.yaml, else stock
///     currency: USD              # default: from instruments.yaml, else the base currency
///     price: 226.40              # default: last close on or before as_of in the market data
///     multiplier: 100            # options and futures (default from instruments.yaml; required for them)
///     face_value: 1000           # bonds: par value of one unit; price is then percent of par
///     underlying: NVDA           # options
///     underlying_price: 128.50   # options (default: market data of the underlying)
///     delta: 0.55                # options, per unit of underlying, for delta-adjusted exposure
///     gamma: 0.018               # options, for delta–gamma repricing in what-if
///     right: call                # options: call or put; with strike and expiry, what-if reprices by Black–Scholes
///     strike: 130
///     expiry: 2024-09-20
///     implied_volatility: 0.58   # options, annual (default: backed out from the price)
///     average_cost: 180.25       # entry price; margined positions count unrealised P&L with it
/// ```
///
/// Duplicate positions (same symbol twice) are rejected rather than merged:
/// two lines for one instrument are more often a data-entry error than a
/// deliberate split, and their average costs cannot be merged without a
/// choice the user should make.
public enum AccountFile {
  public static let version = 1

  public enum FXQuote: String, CaseIterable, Sendable {
    case basePerUnit = "base-per-unit"
    case unitsPerBase = "units-per-base"
  }

  public struct Loaded: Sendable {
    public var account: Account
    public var maxPriceAgeDays: Int
  }

  /// Loads the account, its `positions_file` and any extra `holdings` CSV files (the
  /// `--holdings` flag): every position from every file passes the same checks
  /// (``PositionRules``), and a symbol held twice, in any of them, is an error naming both.
  /// - Parameter holdingsColumns: the `--holdings` files' column names by advisor's (`--columns`).
  public static func load(
    _ path: String, catalog: InstrumentCatalog, holdings: [String] = [], holdingsColumns: [String: String] = [:]
  ) throws -> Loaded {
    try parse(
      try InputFiles.readText(path, what: "account file", maxBytes: InputLimits.yamlBytes), path: path, catalog: catalog,
      holdings: holdings, holdingsColumns: holdingsColumns)
  }

  /// Parses account YAML in memory (the fuzzer's and the tests' entry point); a
  /// `positions_file` it names is read from disk, relative to `path`.
  public static func parse(
    _ text: String, path: String, catalog: InstrumentCatalog, holdings: [String] = [], holdingsColumns: [String: String] = [:]
  ) throws -> Loaded {
    let (reader, root) = try YAMLReader.parse(text, path: path)
    root.requireVersion(version)
    let name = root.string("name") ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    let base = root.string("base_currency", required: "the base currency, e.g. USD") ?? "USD"
    if !isCurrencyCode(base) {
      reader.report(
        .invalidValue, root.value("base_currency"), "base_currency", "\(quoted(base)) is not an ISO currency code such as USD.")
    }
    let asOf = root.day("as_of", required: "the valuation date, YYYY-MM-DD") ?? Day(ordinal: 0)
    let quote = root.oneOf("fx_quote", FXQuote.self, required: "base-per-unit or units-per-base, the FX quoting convention")
    var rates: [String: Double] = [:]
    if let fx = root.table("fx") {
      for key in fx.keys {
        guard
          let r = fx.number(key, range: InputRange.fxRate)
        else {
          continue
        }
        if !isCurrencyCode(key) {
          reader.report(.invalidValue, fx.value(key), fx.child(key), "\(quoted(key)) is not an ISO currency code.")
          continue
        }
        if key == base && r != 1 {
          reader.report(.invalidValue, fx.value(key), fx.child(key), "the base currency's rate must be 1, got \(r).")
          continue
        }
        rates[key] = quote == .unitsPerBase ? 1 / r : r
      }
    }
    var cash: [String: Double] = [:]
    if let c = root.table("cash") {
      for key in c.keys {
        if !isCurrencyCode(key) {
          reader.report(.invalidValue, c.value(key), c.child(key), "\(quoted(key)) is not an ISO currency code.")
        }
        if let amount = c.number(key, range: InputRange.cash) { cash[key] = amount }
      }
    }
    let maxAge = root.integer("max_price_age_days", range: 0...3650) ?? 4
    var stated: StatedMargin? = nil
    if let m = root.table("margin_in_use") {
      let initial = m.number(
        "initial", required: "the broker's initial margin requirement in use, base currency", range: InputRange.statedMargin)
      let maintenance = m.number("maintenance", range: InputRange.statedMargin)
      if let i = initial {
        if let mm = maintenance, mm > i {
          reader.report(
            .invalidValue, m.value("maintenance"), "margin_in_use.maintenance",
            "\(mm) is above the initial margin \(i); the maintenance margin is at most the initial margin.")
        } else {
          stated = StatedMargin(initial: i, maintenance: maintenance, source: "\(path), margin_in_use")
        }
      }
      m.rejectUnknownKeys()
    }
    var positions: [Position] = []
    for t in root.tables("positions") {
      if let p = position(from: t, catalog: catalog, base: base, path: path) { positions.append(p) }
    }
    var csvErrors: [InputError] = []
    var csvFiles: [(String, [String: String])] = []
    var fileColumns: [String: String] = [:]
    if let t = root.table("positions_columns") {
      for key in t.keys {
        if let name = t.string(key) { fileColumns[key] = name }
      }
      for key in fileColumns.keys where !HoldingsCSV.columns.contains(key) {
        reader.report(
          .unknownKey, t.value(key), "positions_columns.\(key)",
          "not a holdings column; expected some of \(HoldingsCSV.columns.sorted().joined(separator: ", ")).")
      }
    }
    if let file = root.string("positions_file") {
      csvFiles.append(
        (
          file.hasPrefix("/") ? file : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(file),
          fileColumns
        ))
    }
    csvFiles += holdings.map { ($0, holdingsColumns) }
    for (csvPath, columns) in csvFiles {
      do {
        let h = try HoldingsCSV.load(csvPath, catalog: catalog, base: base, columns: columns)
        positions += h.positions
        for (currency, amount) in h.cash {
          let total = cash[currency, default: 0] + amount
          guard InputRange.cash.contains(total) else {
            csvErrors.append(
              InputError(
                .invalidValue, path: csvPath, field: "cash \(currency)",
                "the \(currency) cash of the account and this file adds up to \(total), outside \(InputRange.cash.expected)."))
            continue
          }
          cash[currency] = total
        }
      } catch let e as InputErrors {
        csvErrors += e.errors
      } catch let e as InputError {
        csvErrors.append(e)
      }
    }
    if positions.count > InputLimits.maxPositions {
      csvErrors.append(
        InputError(
          .invalidValue, path: path, field: "positions",
          "the account holds \(positions.count) positions; advisor reads at most \(InputLimits.maxPositions)."))
    }
    root.rejectUnknownKeys()
    var errors = reader.errors + csvErrors
    errors += duplicates(positions)
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw InputErrors(errors) }
    let account = Account(
      name: name, baseCurrency: base, asOf: asOf, fx: FXRates(base: base, basePerUnit: rates), cash: cash,
      positions: positions, source: path == "-" ? "standard input" : path, statedMargin: stated)
    return Loaded(account: account, maxPriceAgeDays: maxAge)
  }

  static func isCurrencyCode(_ s: String) -> Bool { s.count == 3 && s.allSatisfy { $0.isASCII && $0.isUppercase } }

  static func duplicates(_ positions: [Position]) -> [InputError] {
    var first: [String: Position] = [:]
    var out: [InputError] = []
    for p in positions {
      if let q = first[p.symbol] {
        let whereFirst = q.line.map { "\(q.source) line \($0)" } ?? q.source
        out.append(
          InputError(
            .duplicateInstrument, path: p.source, line: p.line, field: p.symbol,
            "\(p.symbol) is already held (\(whereFirst)); give one position per instrument (advisor does not merge positions)."))
      } else {
        first[p.symbol] = p
      }
    }
    return out
  }

  static func position(from t: YAMLTable, catalog: InstrumentCatalog, base: String, path: String) -> Position? {
    let reader = t.reader
    guard let symbol = t.string("symbol", required: "the instrument's symbol") else {
      t.rejectUnknownKeys()
      return nil
    }
    // Numbers are read as finite decimals here; their ranges and the rules between them are
    // PositionRules', the same for the holdings CSV.
    let any = InputRange.anyFinite
    var fields = PositionRules.Fields(symbol: symbol)
    fields.quantity = t.number("quantity", required: "a signed quantity (negative is short)", range: any)
    fields.quantityGiven = t.has("quantity")
    var classOK = true
    if t.has("asset_class") {
      fields.assetClass = t.oneOf("asset_class", AssetClass.self)
      classOK = fields.assetClass != nil
    }
    fields.currency = t.string("currency")
    fields.multiplier = t.number("multiplier", range: any)
    fields.multiplierGiven = t.has("multiplier")
    fields.faceValue = t.number("face_value", range: any)
    fields.faceValueGiven = t.has("face_value")
    fields.price = t.number("price", range: any)
    fields.underlying = t.string("underlying")
    fields.underlyingPrice = t.number("underlying_price", range: any)
    fields.delta = t.number("delta", range: any)
    fields.averageCost = t.number("average_cost", range: any)
    fields.gamma = t.number("gamma", range: any)
    fields.right = t.oneOf("right", OptionRight.self)
    fields.strike = t.number("strike", range: any)
    fields.expiry = t.day("expiry")
    fields.impliedVolatility = t.number("implied_volatility", range: any)
    t.rejectUnknownKeys()
    let position = PositionRules.validate(
      fields, catalog: catalog, base: base, source: path == "-" ? "standard input" : path, line: t.line
    ) {
      kind, key, message in
      reader.report(kind, t.value(key) ?? t.node, t.child(key), message)
    }
    return classOK ? position : nil
  }
}

/// The one validation of a position, whatever file it came from (the account's YAML list,
/// its `positions_file`, a `--holdings` CSV): ranges from ``InputRange`` and the rules between
/// fields. Every problem is reported (kind, key, message) to the caller, which locates it.
public enum PositionRules {
  public struct Fields: Sendable {
    public var symbol: String
    public var assetClass: AssetClass?
    public var quantity: Double?
    /// The key or column was present (a missing quantity is reported by the reader).
    public var quantityGiven = false
    public var currency: String?
    public var multiplier: Double?
    public var multiplierGiven = false
    public var faceValue: Double?
    public var faceValueGiven = false
    public var price: Double?
    public var underlying: String?
    public var underlyingPrice: Double?
    public var delta: Double?
    public var averageCost: Double?
    /// Options: gamma, and the terms for Black–Scholes repricing.
    public var gamma: Double?
    public var right: OptionRight?
    public var strike: Double?
    public var expiry: Day?
    public var impliedVolatility: Double?
    public init(symbol: String) { self.symbol = symbol }
  }

  static func number(_ x: Double) -> String { "\(x)" }

  /// The position, or nil after reporting every problem.
  public static func validate(
    _ f: Fields, catalog: InstrumentCatalog, base: String, source: String, line: Int?,
    report: (InputError.Kind, String, String) -> Void
  ) -> Position? {
    var ok = true
    func fail(_ kind: InputError.Kind, _ key: String, _ message: String) {
      report(kind, key, message)
      ok = false
    }
    func ranged(_ x: Double?, _ key: String, _ range: NumericRange) -> Double? {
      guard let x else { return nil }
      guard range.contains(x) else {
        fail(.invalidValue, key, range.violation(number(x)))
        return nil
      }
      return x
    }
    let symbol = f.symbol
    if symbol.isEmpty || symbol.count > 64 || symbol.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    {
      fail(.invalidValue, "symbol", "\(quoted(symbol)) is not a symbol (1 to 64 characters, no control characters).")
    }
    let spec = catalog.isDescribed(symbol) ? catalog.spec(for: symbol) : nil
    let assetClass = f.assetClass ?? spec?.assetClass ?? .stock
    var quantity: Double? = nil
    if let q = f.quantity {
      if q == 0 {
        fail(.invalidValue, "quantity", "a quantity of 0 is not a position; remove the line.")
      } else {
        quantity = ranged(q, "quantity", InputRange.quantity)
      }
    }
    var f = f
    var currency = f.currency ?? spec?.currency ?? base
    if let minor = MinorCurrencyUnit.units[currency] {
      // Prices in a minor unit (GBp): converted to the major currency, as the market data is.
      currency = minor.major
      f.price = f.price.map { $0 / minor.per }
      f.averageCost = f.averageCost.map { $0 / minor.per }
      f.underlyingPrice = f.underlyingPrice.map { $0 / minor.per }
      f.strike = f.strike.map { $0 / minor.per }
    }
    if !AccountFile.isCurrencyCode(currency) {
      fail(.invalidValue, "currency", "\(quoted(currency)) is not an ISO currency code.")
    }
    var multiplier = ranged(f.multiplier, "multiplier", InputRange.multiplier)
    if f.multiplier == nil, let m = spec?.multiplier, assetClass == spec?.assetClass { multiplier = m }
    if (assetClass == .option || assetClass == .future) && multiplier == nil && !f.multiplierGiven {
      fail(
        .missingKey, "multiplier", "an \(assetClass.rawValue) needs its contract multiplier (e.g. 100 for US equity options).")
    }
    let face = ranged(f.faceValue, "face_value", InputRange.faceValue)
    if assetClass == .bond && f.faceValue == nil && !f.faceValueGiven {
      fail(.missingKey, "face_value", "a bond needs face_value, the par value of one unit (its price is percent of par).")
    }
    var price: Double? = nil
    if let p = f.price {
      if p <= 0 && assetClass != .future && assetClass != .cfd {
        fail(.nonPositivePrice, "price", "price \(number(p)) is not positive.")
      } else {
        price = ranged(
          p, "price", assetClass == .future || assetClass == .cfd ? InputRange.marginedPrice : InputRange.positionPrice)
      }
    }
    if let u = f.underlying, u.isEmpty || u.count > 64 {
      fail(.invalidValue, "underlying", "\(quoted(u)) is not a symbol.")
    }
    let underlyingPrice = ranged(f.underlyingPrice, "underlying_price", InputRange.underlyingPrice)
    let delta = ranged(f.delta, "delta", InputRange.delta)
    let cost = ranged(f.averageCost, "average_cost", InputRange.averageCost)
    guard ok, let quantity else { return nil }
    var position = Position(
      symbol: symbol, assetClass: assetClass, quantity: quantity, currency: currency, multiplier: multiplier ?? 1,
      faceValue: face, price: price, underlying: f.underlying, delta: delta, underlyingPrice: underlyingPrice,
      averageCost: cost, source: source, line: line)
    position.gamma = ranged(f.gamma, "gamma", InputRange.gamma)
    position.optionRight = f.right
    position.strike = ranged(f.strike, "strike", InputRange.strike)
    position.expiry = f.expiry
    position.impliedVolatility = ranged(f.impliedVolatility, "implied_volatility", InputRange.impliedVolatility)
    return ok ? position : nil
  }
}

/// A broker-style holdings export: one row per position (and optional cash rows).
///
/// Header (case-insensitive; only `symbol` and `quantity` required):
/// `symbol,asset_class,quantity,currency,price,multiplier,face_value,underlying,underlying_price,delta,average_cost`.
/// A row with `asset_class` `cash` is a cash balance: its `quantity` in its `currency`.
public enum HoldingsCSV {
  /// advisor's column names.
  public static let columns: Set<String> = [
    "symbol", "asset_class", "quantity", "currency", "price", "multiplier", "face_value", "underlying",
    "underlying_price", "delta", "average_cost",
  ]

  /// - Parameter columns: the file's column name for each of advisor's (`symbol: Symbol`, from
  ///   `--columns` or the account's `positions_columns`); with a mapping, the file's other
  ///   columns are ignored (a broker export as it is).
  public static func load(_ path: String, catalog: InstrumentCatalog, base: String, columns: [String: String] = [:]) throws
    -> (positions: [Position], cash: [String: Double])
  {
    let bytes = try InputFiles.readAll(path, what: "holdings file", maxBytes: InputLimits.tableBytes)
    return try parse(bytes, path: path, catalog: catalog, base: base, columns: columns)
  }

  /// Parses holdings CSV bytes in memory (the fuzzer's and the tests' entry point).
  public static func parse(
    _ bytes: [UInt8], path: String, catalog: InstrumentCatalog, base: String, columns: [String: String] = [:]
  ) throws -> (positions: [Position], cash: [String: Double]) {
    let columnsGiven = columns
    let columns = Self.columns
    var reader = CSVReader(bytes: bytes)
    var fields: [CSVReader.Field] = []
    let headerLine: Int?
    do {
      headerLine = try reader.nextRecord(into: &fields)
    } catch {
      throw InputError(error.kind, path: path, line: error.line, field: error.field, error.message)
    }
    guard let headerLine else {
      throw InputError(
        .empty, path: path, "the file is empty; expected a header such as symbol,asset_class,quantity,currency,price.")
    }
    let known = columns
    // The file's names for advisor's columns; the unmapped ones of a mapped export are ignored.
    let renamed = Dictionary(columnsGiven.map { ($0.value.lowercased(), $0.key) }, uniquingKeysWith: { a, _ in a })
    let header = fields.map { f -> String in
      let name = reader.string(f).lowercased()
      if columnsGiven.isEmpty { return name }
      return renamed[name] ?? "\u{0}ignored:\(name)"
    }
    var errors: [InputError] = []
    for (c, name) in columnsGiven where !header.contains(c) {
      errors.append(
        InputError(
          .missingColumn, path: path, line: headerLine, field: name,
          "no such column (mapped to \(c)); the header has \(fields.map { reader.string($0) }.joined(separator: ", "))."))
    }
    for h in header where !known.contains(h) && !h.hasPrefix("\u{0}ignored:") {
      errors.append(
        InputError(
          .unknownKey, path: path, line: headerLine, field: h,
          "unknown column; expected some of \(known.sorted().joined(separator: ", "))."))
    }
    var seenColumns: Set<String> = []
    for h in header where !h.hasPrefix("\u{0}ignored:") && !seenColumns.insert(h).inserted {
      errors.append(InputError(.invalidValue, path: path, line: headerLine, field: h, "the column appears twice."))
    }
    guard let sCol = header.firstIndex(of: "symbol"), let qCol = header.firstIndex(of: "quantity") else {
      let found = fields.map { quoted(reader.string($0), limit: 40) }.prefix(12).joined(separator: ", ")
      throw InputError(
        .missingColumn, path: path, line: headerLine,
        "the header needs symbol and quantity columns (it has \(found)); name yours with --columns symbol=…,quantity=… (or positions_columns in the account)."
      )
    }
    var positions: [Position] = []
    var cash: [String: Double] = [:]
    while true {
      let next: Int?
      do {
        next = try reader.nextRecord(into: &fields)
      } catch {
        errors.append(InputError(error.kind, path: path, line: error.line, field: error.field, error.message))
        break
      }
      guard let line = next else { break }
      guard errors.count < 100 else { break }
      guard fields.count == header.count else {
        errors.append(
          InputError(
            .malformedRow, path: path, line: line, "expected \(header.count) fields as in the header, found \(fields.count)."))
        continue
      }
      func text(_ name: String) -> String? {
        guard let c = header.firstIndex(of: name) else { return nil }
        let s = reader.string(fields[c])
        return s.isEmpty ? nil : s
      }
      var rowOK = true
      func number(_ name: String) -> Double? {
        guard let c = header.firstIndex(of: name), !reader.isMissing(fields[c]) else { return nil }
        switch reader.number(fields[c]) {
        case .value(let v): return v
        case .nonFinite:
          errors.append(
            InputError(
              .nonFinite, path: path, line: line, field: name, "\(reader.quotedField(fields[c])) is not a finite number."))
        case .notANumber:
          errors.append(InputError(.notANumber, path: path, line: line, field: name, reader.notANumberText(fields[c])))
        }
        rowOK = false
        return nil
      }
      let symbol = reader.string(fields[sCol])
      if reader.isMissing(fields[qCol]) {
        errors.append(InputError(.missingKey, path: path, line: line, field: "quantity", "a position needs a quantity."))
        continue
      }
      guard let quantity = number("quantity") else { continue }
      let classText = text("asset_class")
      if classText?.lowercased() == "cash" {
        let currency = text("currency") ?? base
        guard AccountFile.isCurrencyCode(currency) else {
          errors.append(
            InputError(
              .invalidValue, path: path, line: line, field: "currency", "\(quoted(currency)) is not an ISO currency code."))
          continue
        }
        let total = cash[currency, default: 0] + quantity
        guard InputRange.cash.contains(quantity), InputRange.cash.contains(total) else {
          errors.append(
            InputError(
              .invalidValue, path: path, line: line, field: "quantity", InputRange.cash.violation(reader.string(fields[qCol]))))
          continue
        }
        cash[currency] = total
        continue
      }
      guard !symbol.isEmpty else {
        errors.append(InputError(.missingKey, path: path, line: line, field: "symbol", "a position needs a symbol."))
        continue
      }
      var f = PositionRules.Fields(symbol: symbol)
      f.quantity = quantity
      f.quantityGiven = true
      if let c = classText {
        guard let parsed = AssetClass(rawValue: c.lowercased()) else {
          errors.append(
            InputError(
              .invalidValue, path: path, line: line, field: "asset_class",
              "\(quoted(c)) is not one of \(AssetClass.allCases.map(\.rawValue).joined(separator: ", ")), cash."))
          continue
        }
        f.assetClass = parsed
      }
      f.currency = text("currency")
      f.price = number("price")
      f.multiplier = number("multiplier")
      f.multiplierGiven = f.multiplier != nil
      f.faceValue = number("face_value")
      f.faceValueGiven = f.faceValue != nil
      f.underlying = text("underlying")
      f.underlyingPrice = number("underlying_price")
      f.delta = number("delta")
      f.averageCost = number("average_cost")
      guard rowOK else { continue }
      let p = PositionRules.validate(f, catalog: catalog, base: base, source: path, line: line) { kind, key, message in
        errors.append(InputError(kind, path: path, line: line, field: key, message))
      }
      if let p { positions.append(p) }
      if positions.count > InputLimits.maxPositions {
        errors.append(
          InputError(
            .invalidValue, path: path, line: line, "more than \(InputLimits.maxPositions) positions; advisor reads at most that.")
        )
        break
      }
    }
    errors += AccountFile.duplicates(positions)
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw InputErrors(errors) }
    return (positions, cash)
  }
}

/// The copy-trading followers file: `follower_id,allocated_capital,currency[,is_lead]`.
public enum FollowersCSV {
  public static func load(_ path: String) throws -> [Follower] {
    let bytes = try InputFiles.readAll(path, what: "followers file", maxBytes: InputLimits.tableBytes)
    return try parse(bytes, path: path)
  }

  /// Parses followers CSV bytes in memory (the fuzzer's and the tests' entry point). Each
  /// follower needs a nonempty, unique id, an allocation in ``InputRange/allocation`` and an
  /// ISO currency; at most one row is the lead.
  public static func parse(_ bytes: [UInt8], path: String) throws -> [Follower] {
    var reader = CSVReader(bytes: bytes)
    var fields: [CSVReader.Field] = []
    let headerLine: Int?
    do {
      headerLine = try reader.nextRecord(into: &fields)
    } catch {
      throw InputError(error.kind, path: path, line: error.line, field: error.field, error.message)
    }
    guard let headerLine else {
      throw InputError(.empty, path: path, "the file is empty; expected follower_id,allocated_capital,currency[,is_lead].")
    }
    let header = fields.map { reader.string($0).lowercased() }
    guard let idCol = header.firstIndex(of: "follower_id"), let capCol = header.firstIndex(of: "allocated_capital"),
      let curCol = header.firstIndex(of: "currency")
    else {
      throw InputError(
        .missingColumn, path: path, line: headerLine,
        "the header needs follower_id, allocated_capital and currency (and optionally is_lead).")
    }
    let leadCol = header.firstIndex(of: "is_lead")
    var out: [Follower] = []
    var errors: [InputError] = []
    var ids: [String: Int] = [:]
    var leadLine: Int? = nil
    while true {
      let next: Int?
      do {
        next = try reader.nextRecord(into: &fields)
      } catch {
        errors.append(InputError(error.kind, path: path, line: error.line, field: error.field, error.message))
        break
      }
      guard let line = next else { break }
      guard errors.count < 100 else { break }
      guard fields.count == header.count else {
        errors.append(
          InputError(.malformedRow, path: path, line: line, "expected \(header.count) fields, found \(fields.count)."))
        continue
      }
      let cap: Double
      switch reader.number(fields[capCol]) {
      case .value(let x):
        guard InputRange.allocation.contains(x) else {
          errors.append(
            InputError(
              .invalidValue, path: path, line: line, field: "allocated_capital",
              InputRange.allocation.violation(reader.string(fields[capCol]))))
          continue
        }
        cap = x
      case .nonFinite:
        errors.append(
          InputError(
            .nonFinite, path: path, line: line, field: "allocated_capital",
            "\(reader.quotedField(fields[capCol])) is not a finite number."))
        continue
      case .notANumber:
        errors.append(
          InputError(.notANumber, path: path, line: line, field: "allocated_capital", reader.notANumberText(fields[capCol])))
        continue
      }
      let id = reader.string(fields[idCol])
      guard !id.isEmpty else {
        errors.append(InputError(.missingKey, path: path, line: line, field: "follower_id", "a follower needs an id."))
        continue
      }
      if let first = ids[id] {
        errors.append(
          InputError(
            .duplicateInstrument, path: path, line: line, field: "follower_id",
            "follower \(quoted(id)) is already on line \(first); give one row per follower."))
        continue
      }
      ids[id] = line
      let currency = reader.string(fields[curCol])
      guard AccountFile.isCurrencyCode(currency) else {
        errors.append(
          InputError(.invalidValue, path: path, line: line, field: "currency", "\(quoted(currency)) is not an ISO currency code.")
        )
        continue
      }
      var lead = false
      if let leadCol {
        switch reader.string(fields[leadCol]).lowercased() {
        case "true", "yes", "1": lead = true
        case "false", "no", "0", "": lead = false
        case let other:
          errors.append(
            InputError(.invalidValue, path: path, line: line, field: "is_lead", "\(quoted(other)) is not true or false."))
          continue
        }
      }
      if lead {
        if let first = leadLine {
          errors.append(
            InputError(
              .invalidValue, path: path, line: line, field: "is_lead",
              "the lead is already on line \(first); a strategy has one lead."))
          continue
        }
        leadLine = line
      }
      out.append(Follower(id: id, allocation: cap, currency: currency, isLead: lead, line: line))
      if out.count > InputLimits.maxFollowers {
        errors.append(
          InputError(
            .invalidValue, path: path, line: line, "more than \(InputLimits.maxFollowers) followers; advisor reads at most that.")
        )
        break
      }
    }
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw InputErrors(errors) }
    if out.isEmpty { throw InputError(.empty, path: path, line: headerLine, "no followers after the header.") }
    let total = out.reduce(0) { $0 + $1.allocation }
    guard InputRange.allocation.contains(total) else {
      throw InputError(
        .invalidValue, path: path, field: "allocated_capital",
        "the allocations add up to \(total), outside \(InputRange.allocation.expected).")
    }
    return out
  }
}
