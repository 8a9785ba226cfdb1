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

  public static func load(_ path: String, catalog: InstrumentCatalog) throws -> Loaded {
    let (reader, root) = try YAMLReader.open(path)
    root.requireVersion(version)
    let name = root.string("name") ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    let base = root.string("base_currency", required: "the base currency, e.g. USD") ?? "USD"
    if !isCurrencyCode(base) {
      reader.report(
        .invalidValue, root.value("base_currency"), "base_currency", "'\(base)' is not an ISO currency code such as USD.")
    }
    let asOf = root.day("as_of", required: "the valuation date, YYYY-MM-DD") ?? Day(ordinal: 0)
    let quote = root.oneOf("fx_quote", FXQuote.self, required: "base-per-unit or units-per-base, the FX quoting convention")
    var rates: [String: Double] = [:]
    if let fx = root.table("fx") {
      for key in fx.keys {
        guard
          let r = fx.number(
            key, range: Double.leastNonzeroMagnitude...Double.greatestFiniteMagnitude, rangeText: "a positive rate")
        else {
          continue
        }
        if !isCurrencyCode(key) {
          reader.report(.invalidValue, fx.value(key), fx.child(key), "'\(key)' is not an ISO currency code.")
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
          reader.report(.invalidValue, c.value(key), c.child(key), "'\(key)' is not an ISO currency code.")
        }
        if let amount = c.number(key) { cash[key] = amount }
      }
    }
    let maxAge = root.integer("max_price_age_days", range: 0...3650) ?? 4
    var positions: [Position] = []
    for t in root.tables("positions") {
      if let p = position(from: t, catalog: catalog, base: base, path: path) { positions.append(p) }
    }
    var csvErrors: [InputError] = []
    if let file = root.string("positions_file") {
      let csvPath =
        file.hasPrefix("/") ? file : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(file)
      do {
        let holdings = try HoldingsCSV.load(csvPath, catalog: catalog, base: base)
        positions += holdings.positions
        for (currency, amount) in holdings.cash { cash[currency, default: 0] += amount }
      } catch let e as InputErrors {
        csvErrors = e.errors
      } catch let e as InputError {
        csvErrors = [e]
      }
    }
    root.rejectUnknownKeys()
    var errors = reader.errors + csvErrors
    errors += duplicates(positions)
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw InputErrors(errors) }
    let account = Account(
      name: name, baseCurrency: base, asOf: asOf, fx: FXRates(base: base, basePerUnit: rates), cash: cash,
      positions: positions, source: path)
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
    let spec = catalog.isDescribed(symbol) ? catalog.spec(for: symbol) : nil
    var ok = true
    let quantity = t.number("quantity", required: "a signed quantity (negative is short)")
    if let q = quantity, q == 0 {
      reader.report(
        .invalidValue, t.value("quantity"), t.child("quantity"), "a quantity of 0 is not a position; remove the line.")
      ok = false
    }
    let assetClass = t.oneOf("asset_class", AssetClass.self) ?? spec?.assetClass ?? .stock
    let currency = t.string("currency") ?? spec?.currency ?? base
    if !isCurrencyCode(currency) {
      reader.report(.invalidValue, t.value("currency"), t.child("currency"), "'\(currency)' is not an ISO currency code.")
      ok = false
    }
    let positive = Double.leastNonzeroMagnitude...Double.greatestFiniteMagnitude
    var multiplier = t.number("multiplier", range: positive, rangeText: "a positive number")
    if multiplier == nil, let m = spec?.multiplier, catalog.isDescribed(symbol), assetClass == spec?.assetClass { multiplier = m }
    if (assetClass == .option || assetClass == .future) && multiplier == nil {
      if !t.has("multiplier") {
        reader.report(
          .missingKey, t.node, t.child("multiplier"),
          "an \(assetClass.rawValue) needs its contract multiplier (e.g. 100 for US equity options).")
      }
      ok = false
    }
    let face = t.number("face_value", range: positive, rangeText: "a positive par value")
    if assetClass == .bond && face == nil {
      if !t.has("face_value") {
        reader.report(
          .missingKey, t.node, t.child("face_value"),
          "a bond needs face_value, the par value of one unit (its price is percent of par).")
      }
      ok = false
    }
    let price = t.number("price")
    if let p = price, p <= 0, assetClass != .future, assetClass != .cfd {
      reader.report(.nonPositivePrice, t.value("price"), t.child("price"), "price \(p) is not positive.")
      ok = false
    }
    let underlying = t.string("underlying")
    let underlyingPrice = t.number("underlying_price", range: positive, rangeText: "a positive price")
    let delta = t.number("delta", range: -1...1, rangeText: "a delta in [-1, 1]")
    let gamma = t.number("gamma", range: 0...1e6, rangeText: "a gamma ≥ 0 (per unit of underlying)")
    let right = t.oneOf("right", OptionRight.self)
    let strike = t.number("strike", range: 1e-12...1e12, rangeText: "a positive strike")
    let expiry = t.day("expiry")
    let iv = t.number("implied_volatility", range: 1e-6...10, rangeText: "an annual volatility in (0, 10]")
    let cost = t.number("average_cost")
    t.rejectUnknownKeys()
    guard ok, let quantity else { return nil }
    var position = Position(
      symbol: symbol, assetClass: assetClass, quantity: quantity, currency: currency, multiplier: multiplier ?? 1,
      faceValue: face, price: price, underlying: underlying, delta: delta, underlyingPrice: underlyingPrice,
      averageCost: cost, source: path, line: t.line)
    position.gamma = gamma
    position.optionRight = right
    position.strike = strike
    position.expiry = expiry
    position.impliedVolatility = iv
    return position
  }
}

/// A broker-style holdings export: one row per position (and optional cash rows).
///
/// Header (case-insensitive; only `symbol` and `quantity` required):
/// `symbol,asset_class,quantity,currency,price,multiplier,face_value,underlying,underlying_price,delta,average_cost`.
/// A row with `asset_class` `cash` is a cash balance: its `quantity` in its `currency`.
public enum HoldingsCSV {
  public static func load(_ path: String, catalog: InstrumentCatalog, base: String) throws -> (
    positions: [Position], cash: [String: Double]
  ) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw InputError(.fileNotFound, path: path, "no such file.")
    }
    var reader = CSVReader(bytes: [UInt8](data))
    var fields: [CSVReader.Field] = []
    guard let headerLine = try reader.nextRecord(into: &fields) else {
      throw InputError(
        .empty, path: path, "the file is empty; expected a header such as symbol,asset_class,quantity,currency,price.")
    }
    let header = fields.map { reader.string($0).lowercased() }
    let known: Set<String> = [
      "symbol", "asset_class", "quantity", "currency", "price", "multiplier", "face_value", "underlying",
      "underlying_price", "delta", "average_cost",
    ]
    var errors: [InputError] = []
    for h in header where !known.contains(h) {
      errors.append(
        InputError(
          .unknownKey, path: path, line: headerLine, field: h,
          "unknown column; expected some of \(known.sorted().joined(separator: ", "))."))
    }
    guard let sCol = header.firstIndex(of: "symbol"), let qCol = header.firstIndex(of: "quantity") else {
      throw InputError(.missingColumn, path: path, line: headerLine, "the header needs symbol and quantity columns.")
    }
    var positions: [Position] = []
    var cash: [String: Double] = [:]
    while let line = try reader.nextRecord(into: &fields) {
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
      func number(_ name: String) -> Double?? {
        guard let c = header.firstIndex(of: name), !reader.isMissing(fields[c]) else { return .some(nil) }
        switch reader.number(fields[c]) {
        case .value(let v): return .some(v)
        default:
          errors.append(
            InputError(.notANumber, path: path, line: line, field: name, "'\(reader.string(fields[c]))' is not a number."))
          return nil
        }
      }
      let symbol = reader.string(fields[sCol])
      guard let q = number("quantity"), let quantity = q else {
        if !reader.isMissing(fields[qCol]) { continue }
        errors.append(InputError(.missingKey, path: path, line: line, field: "quantity", "a position needs a quantity."))
        continue
      }
      let classText = text("asset_class")
      if classText?.lowercased() == "cash" {
        cash[text("currency") ?? base, default: 0] += quantity
        continue
      }
      guard !symbol.isEmpty else {
        errors.append(InputError(.missingKey, path: path, line: line, field: "symbol", "a position needs a symbol."))
        continue
      }
      if quantity == 0 {
        errors.append(InputError(.invalidValue, path: path, line: line, field: "quantity", "a quantity of 0 is not a position."))
        continue
      }
      let spec = catalog.isDescribed(symbol) ? catalog.spec(for: symbol) : nil
      var assetClass = spec?.assetClass ?? .stock
      if let c = classText {
        guard let parsed = AssetClass(rawValue: c.lowercased()) else {
          errors.append(
            InputError(
              .invalidValue, path: path, line: line, field: "asset_class",
              "'\(c)' is not one of \(AssetClass.allCases.map(\.rawValue).joined(separator: ", ")), cash."))
          continue
        }
        assetClass = parsed
      }
      guard let price = number("price"), let multiplier = number("multiplier"), let face = number("face_value"),
        let underlyingPrice = number("underlying_price"), let delta = number("delta"), let cost = number("average_cost")
      else { continue }
      let m = multiplier ?? (spec?.assetClass == assetClass ? spec?.multiplier : nil)
      if (assetClass == .option || assetClass == .future) && m == nil {
        errors.append(
          InputError(
            .missingKey, path: path, line: line, field: "multiplier", "an \(assetClass.rawValue) needs its contract multiplier."))
        continue
      }
      if assetClass == .bond && face == nil {
        errors.append(
          InputError(
            .missingKey, path: path, line: line, field: "face_value", "a bond needs face_value (its price is percent of par)."))
        continue
      }
      positions.append(
        Position(
          symbol: symbol, assetClass: assetClass, quantity: quantity, currency: text("currency") ?? spec?.currency ?? base,
          multiplier: m ?? 1, faceValue: face, price: price, underlying: text("underlying"), delta: delta,
          underlyingPrice: underlyingPrice, averageCost: cost, source: path, line: line))
    }
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw InputErrors(errors) }
    return (positions, cash)
  }
}

/// The copy-trading followers file: `follower_id,allocated_capital,currency[,is_lead]`.
public enum FollowersCSV {
  public static func load(_ path: String) throws -> [Follower] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw InputError(.fileNotFound, path: path, "no such file.")
    }
    var reader = CSVReader(bytes: [UInt8](data))
    var fields: [CSVReader.Field] = []
    guard let headerLine = try reader.nextRecord(into: &fields) else {
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
    while let line = try reader.nextRecord(into: &fields) {
      guard fields.count == header.count else {
        errors.append(
          InputError(.malformedRow, path: path, line: line, "expected \(header.count) fields, found \(fields.count)."))
        continue
      }
      guard case .value(let cap) = reader.number(fields[capCol]) else {
        errors.append(
          InputError(
            .notANumber, path: path, line: line, field: "allocated_capital", "'\(reader.string(fields[capCol]))' is not a number."
          ))
        continue
      }
      var lead = false
      if let leadCol {
        switch reader.string(fields[leadCol]).lowercased() {
        case "true", "yes", "1": lead = true
        case "false", "no", "0", "": lead = false
        case let other:
          errors.append(InputError(.invalidValue, path: path, line: line, field: "is_lead", "'\(other)' is not true or false."))
          continue
        }
      }
      out.append(
        Follower(
          id: reader.string(fields[idCol]), allocation: cap, currency: reader.string(fields[curCol]), isLead: lead, line: line))
    }
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw InputErrors(errors) }
    if out.isEmpty { throw InputError(.empty, path: path, line: headerLine, "no followers after the header.") }
    return out
  }
}
