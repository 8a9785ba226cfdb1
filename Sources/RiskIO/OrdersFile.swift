import Foundation
import RiskCore

/// Order batches: CSV or JSON Lines, one order per row.
///
/// CSV header (case-insensitive): `instrument` (or `symbol`), `side` (`buy`/`sell`,
/// also `long`/`short`), `quantity`, and optionally `client_order_id` (or `id`),
/// `price`, `stop`. JSON Lines: one object per line with the same keys.
/// A row that cannot be read becomes ``OrderInput/malformed(line:clientOrderID:message:)``
/// (that order fails; the rest are still checked).
public enum OrdersFile {
  public enum Format: String, Sendable { case csv, jsonl }

  /// Reads a whole batch into memory (what-if orders; `advisor check` streams instead, with
  /// ``Stream``): a file, or standard input for `-`. The format is the extension (`.csv`,
  /// `.jsonl`/`.ndjson`), else sniffed: a first character `{` is JSON Lines.
  public static func load(_ path: String, standardInput: () -> Data) throws(InputError) -> [OrderInput] {
    let stream: Stream
    if path == "-" {
      stream = Stream(bytes: [UInt8](standardInput()), path: "<stdin>", format: nil)
    } else {
      stream = try Stream(path)
    }
    var out: [OrderInput] = []
    while let o = try stream.next() { out.append(o) }
    guard !out.isEmpty else { throw stream.emptyError() }
    return out
  }

  static func format(path: String, firstBytes: ArraySlice<UInt8>) -> Format {
    let lower = path.lowercased()
    if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonl }
    if lower.hasSuffix(".csv") { return .csv }
    return firstBytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 } == 0x7B ? .jsonl : .csv
  }

  /// The side an orders file spells (`buy`/`long`, `sell`/`short`, any case).
  public static func side(named text: String) -> TradeSide? { side(text) }

  static func side(_ text: String) -> TradeSide? {
    switch text.lowercased() {
    case "buy", "long", "b": return .long
    case "sell", "short", "s": return .short
    default: return nil
    }
  }

  /// Parses a CSV batch in memory (the same record parser the stream uses).
  public static func parseCSV(_ bytes: [UInt8], path: String) throws(InputError) -> [OrderInput] {
    let stream = Stream(bytes: bytes, path: path, format: .csv)
    var out: [OrderInput] = []
    while let o = try stream.next() { out.append(o) }
    return out
  }

  /// The CSV header: which column holds what.
  struct CSVColumns {
    let count: Int
    let symbol: Int
    let side: Int
    let quantity: Int
    let id: Int?
    let price: Int?
    let stop: Int?
  }

  static func csvHeader(
    _ bytes: UnsafeBufferPointer<UInt8>, _ fields: [CSVReader.Field], line headerLine: Int, path: String
  ) throws(InputError) -> CSVColumns {
    let header = fields.map { CSVReader.string(bytes, $0).lowercased() }
    let symbolCol = header.firstIndex(of: "instrument") ?? header.firstIndex(of: "symbol")
    let sideCol = header.firstIndex(of: "side")
    let qtyCol = header.firstIndex(of: "quantity")
    guard let symbolCol, let sideCol, let qtyCol else {
      throw InputError(
        .missingColumn, path: path, line: headerLine,
        "the header needs instrument, side and quantity (and optionally client_order_id, price, stop).")
    }
    let known: Set<String> = ["instrument", "symbol", "side", "quantity", "client_order_id", "id", "price", "stop"]
    if let unknown = header.first(where: { !known.contains($0) }) {
      throw InputError(
        .unknownKey, path: path, line: headerLine, field: unknown,
        "unknown column; expected client_order_id, instrument, side, quantity, price, stop.")
    }
    return CSVColumns(
      count: header.count, symbol: symbolCol, side: sideCol, quantity: qtyCol,
      id: header.firstIndex(of: "client_order_id") ?? header.firstIndex(of: "id"), price: header.firstIndex(of: "price"),
      stop: header.firstIndex(of: "stop"))
  }

  /// One CSV record after the header.
  static func csvOrder(
    _ bytes: UnsafeBufferPointer<UInt8>, _ fields: [CSVReader.Field], line: Int, columns c: CSVColumns, path: String
  ) -> OrderInput {
    let reader = CSVFields(bytes: bytes)
    let id = c.id.flatMap { $0 < fields.count ? reader.string(fields[$0]) : nil }.flatMap { $0.isEmpty ? nil : $0 }
    guard fields.count == c.count else {
      return .malformed(
        line: line, clientOrderID: id,
        message: "\(path) line \(line): expected \(c.count) fields as in the header, found \(fields.count).")
    }
    let symbol = reader.string(fields[c.symbol])
    guard !symbol.isEmpty else {
      return .malformed(line: line, clientOrderID: id, message: "\(path) line \(line), field 'instrument': missing.")
    }
    let sideText = reader.string(fields[c.side])
    guard let side = side(sideText) else {
      return .malformed(
        line: line, clientOrderID: id, message: "\(path) line \(line), field 'side': \(quoted(sideText)) is not buy or sell.")
    }
    func number(_ col: Int?, _ name: String, required: Bool) -> Result<Double?, OrderParseError> {
      guard let col else { return .success(nil) }
      if reader.isMissing(fields[col]) {
        return required ? .failure(OrderParseError("\(path) line \(line), field '\(name)': missing.")) : .success(nil)
      }
      let range = name == "quantity" ? InputRange.orderQuantity : InputRange.orderPrice
      switch reader.number(fields[col]) {
      case .value(let v):
        guard range.contains(v) else {
          return .failure(
            OrderParseError("\(path) line \(line), field '\(name)': \(range.violation(reader.string(fields[col])))"))
        }
        return .success(v)
      case .notANumber, .nonFinite:
        return .failure(OrderParseError("\(path) line \(line), field '\(name)': \(reader.notANumberText(fields[col]))"))
      }
    }
    switch (
      number(c.quantity, "quantity", required: true), number(c.price, "price", required: false),
      number(c.stop, "stop", required: false)
    ) {
    case (.success(let q?), .success(let p), .success(let st)):
      return .order(Order(clientOrderID: id, symbol: symbol, side: side, quantity: q, price: p, stop: st, line: line))
    case (.failure(let e), _, _), (_, .failure(let e), _), (_, _, .failure(let e)):
      return .malformed(line: line, clientOrderID: id, message: e.message)
    default:
      return .malformed(line: line, clientOrderID: id, message: "\(path) line \(line), field 'quantity': missing.")
    }
  }

  /// A record's fields read in place in a buffer, with ``CSVReader``'s field functions (what
  /// ``csvOrder(_:_:line:columns:path:)`` reads a record with).
  struct CSVFields {
    let bytes: UnsafeBufferPointer<UInt8>
    func string(_ f: CSVReader.Field) -> String { CSVReader.string(bytes, f) }
    func isMissing(_ f: CSVReader.Field) -> Bool { CSVReader.isMissing(bytes, f) }
    func number(_ f: CSVReader.Field) -> CSVReader.NumberResult { CSVReader.number(bytes, f) }
    func notANumberText(_ f: CSVReader.Field) -> String { CSVReader.notANumberText(bytes, f) }
  }

  /// A valid CSV order read without building a string: where its instrument and id are, its side
  /// and numbers.
  struct PlainCSVOrder {
    let symbol: CSVReader.Field
    let id: CSVReader.Field?
    let side: TradeSide
    let quantity: Double
    let price: Double?
    let stop: Double?

    /// The order ``csvOrder(_:_:line:columns:path:)`` builds from the same record (`symbol` is
    /// the instrument's string, made or remembered by the reader).
    func order(in bytes: UnsafeBufferPointer<UInt8>, symbol: String, line: Int) -> OrderInput {
      let clientOrderID = id.flatMap { f -> String? in
        // A plain field is its bytes (CSVReader.string would find nothing to unescape or trim).
        if OrdersFile.isPlain(bytes, f) {
          return String(decoding: UnsafeBufferPointer(rebasing: bytes[f.start..<f.end]), as: UTF8.self)
        }
        let s = CSVReader.string(bytes, f)
        return s.isEmpty ? nil : s
      }
      return .order(
        Order(
          clientOrderID: clientOrderID, symbol: symbol, side: side, quantity: quantity, price: price, stop: stop,
          line: line))
    }
  }

  /// The order in a record csvOrder accepts whose instrument and side are plain (``isPlain(_:_:)``),
  /// or nil for anything else, which csvOrder judges with its messages. The batch scan reads every
  /// order this way, without a string (a `String` per field was most of the reading's cost); a
  /// plain field's bytes are the string csvOrder would read, so both see the same order.
  static func plainCSVOrder(
    _ bytes: UnsafeBufferPointer<UInt8>, _ fields: UnsafeBufferPointer<CSVReader.Field>, columns c: CSVColumns
  ) -> PlainCSVOrder? {
    guard fields.count == c.count else { return nil }
    let symbol = fields[c.symbol]
    guard isPlain(bytes, symbol), let side = plainSide(bytes, fields[c.side]) else { return nil }
    guard case .value(let quantity) = plainNumber(bytes, fields, c.quantity, InputRange.orderQuantity) else {
      return nil
    }
    let price = plainNumber(bytes, fields, c.price, InputRange.orderPrice)
    let stop = plainNumber(bytes, fields, c.stop, InputRange.orderPrice)
    if case .rejected = price { return nil }
    if case .rejected = stop { return nil }
    return PlainCSVOrder(
      symbol: symbol, id: c.id.map { fields[$0] }, side: side, quantity: quantity, price: price.value,
      stop: stop.value)
  }

  /// A field whose `CSVReader.string` is its bytes as they are: not empty, ASCII, no `""` escape
  /// and no space or tab at either end (nothing to unescape, repair or trim).
  static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>, _ f: CSVReader.Field) -> Bool {
    guard f.end > f.start, !f.needsUnescape else { return false }
    var any: UInt8 = 0
    for i in f.start..<f.end { any |= bytes[i] }
    func space(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    return any < 0x80 && !space(bytes[f.start]) && !space(bytes[f.end - 1])
  }

  /// ``side(_:)`` of a plain field, lower-cased byte by byte (for ASCII the same as `lowercased()`).
  static func plainSide(_ bytes: UnsafeBufferPointer<UInt8>, _ f: CSVReader.Field) -> TradeSide? {
    guard isPlain(bytes, f), f.end - f.start <= 5 else { return nil }
    var word: UInt64 = 0
    for i in f.start..<f.end { word = word << 8 | UInt64(bytes[i] | 0x20) }
    switch word {
    case 0x62, 0x62_7579, 0x6C6F_6E67: return .long  // b, buy, long
    case 0x73, 0x7365_6C6C, 0x73_686F_7274: return .short  // s, sell, short
    default: return nil
    }
  }

  enum PlainNumber {
    case value(Double)
    case absent
    case rejected

    var value: Double? { if case .value(let v) = self { v } else { nil } }
  }

  /// A number column as csvOrder reads it: absent (no column, or a missing-value marker), a value
  /// in range, or rejected (csvOrder then writes why).
  static func plainNumber(
    _ bytes: UnsafeBufferPointer<UInt8>, _ fields: UnsafeBufferPointer<CSVReader.Field>, _ col: Int?,
    _ range: NumericRange
  ) -> PlainNumber {
    guard let col else { return .absent }
    let f = fields[col]
    // CSVReader.number's own fast path first: what it accepts is no missing-value marker and
    // passes number's character check, so number would give the same double.
    let (a, b) = CSVReader.trimmed(bytes, f)
    if b > a, b - a <= InputLimits.numberCharacters, let v = CSVReader.fastDecimal(bytes, a, b) {
      return range.contains(v) ? .value(v) : .rejected
    }
    if CSVReader.isMissing(bytes, f) { return .absent }
    guard case .value(let v) = CSVReader.number(bytes, f), range.contains(v) else { return .rejected }
    return .value(v)
  }

  struct OrderParseError: Error {
    let message: String
    init(_ m: String) { message = m }
  }

  /// Parses a JSON Lines batch in memory (the same record parser the stream uses).
  public static func parseJSONLines(_ bytes: [UInt8], path: String) throws(InputError) -> [OrderInput] {
    let stream = Stream(bytes: bytes, path: path, format: .jsonl)
    var out: [OrderInput] = []
    while let o = try stream.next() { out.append(o) }
    return out
  }

  /// One order as one JSON object (it may span lines), read by the JSON Lines record parser:
  /// the same keys, checks and messages (`advisor serve`'s single-order request). Messages
  /// name `path` and line 1.
  public static func parseOrderObject(_ bytes: [UInt8], path: String) -> OrderInput {
    jsonOrder(bytes[...], line: 1, path: path)
      ?? .malformed(line: 1, clientOrderID: nil, message: "\(path) line 1: not a JSON object.")
  }

  /// One JSON Lines record (CR already dropped); nil for a blank line.
  static func jsonOrder(_ slice: ArraySlice<UInt8>, line: Int, path: String) -> OrderInput? {
    if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
    let raw: RawOrder
    do {
      raw = try JSONDecoder().decode(RawOrder.self, from: Data(slice))
    } catch let e as RawOrder.FieldError {
      return .malformed(
        line: line, clientOrderID: e.clientOrderID, message: "\(path) line \(line), field '\(e.field)': \(e.message)")
    } catch {
      return .malformed(line: line, clientOrderID: nil, message: "\(path) line \(line): not a JSON object.")
    }
    let id = raw.clientOrderID
    guard let symbol = raw.instrument, !symbol.isEmpty else {
      return .malformed(line: line, clientOrderID: id, message: "\(path) line \(line), field 'instrument': missing.")
    }
    guard let sideText = raw.side, let side = side(sideText) else {
      return .malformed(line: line, clientOrderID: id, message: "\(path) line \(line), field 'side': expected buy or sell.")
    }
    guard let quantity = raw.quantity else {
      return .malformed(line: line, clientOrderID: id, message: "\(path) line \(line), field 'quantity': missing.")
    }
    for (name, v) in [("quantity", raw.quantity), ("price", raw.price), ("stop", raw.stop)] {
      let range = name == "quantity" ? InputRange.orderQuantity : InputRange.orderPrice
      if let v, !range.contains(v) {
        return .malformed(
          line: line, clientOrderID: id, message: "\(path) line \(line), field '\(name)': \(range.violation("\(v)"))")
      }
    }
    return .order(
      Order(clientOrderID: id, symbol: symbol, side: side, quantity: quantity, price: raw.price, stop: raw.stop, line: line))
  }

  /// One JSON Lines order, decoded strictly: unknown keys and non-numeric numbers are errors naming the field.
  struct RawOrder: Decodable {
    var instrument: String?
    var side: String?
    var quantity: Double?
    var price: Double?
    var stop: Double?
    var clientOrderID: String?

    struct FieldError: Error {
      let field: String
      let message: String
      let clientOrderID: String?
    }

    struct Key: CodingKey {
      var stringValue: String
      var intValue: Int? { nil }
      init(stringValue: String) { self.stringValue = stringValue }
      init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: Key.self)
      for k in ["client_order_id", "id"] where c.contains(Key(stringValue: k)) {
        if let s = try? c.decode(String.self, forKey: Key(stringValue: k)) {
          clientOrderID = s
        } else if let n = try? c.decode(Int.self, forKey: Key(stringValue: k)) {
          clientOrderID = String(n)
        }
      }
      func number(_ name: String) throws -> Double? {
        let key = Key(stringValue: name)
        guard c.contains(key), !((try? c.decodeNil(forKey: key)) ?? false) else { return nil }
        if let d = try? c.decode(Double.self, forKey: key), d.isFinite { return d }
        if let s = try? c.decode(String.self, forKey: key), let d = Double(s), d.isFinite { return d }
        throw FieldError(field: name, message: "expected a number.", clientOrderID: clientOrderID)
      }
      for key in c.allKeys {
        switch key.stringValue {
        case "instrument", "symbol":
          guard let s = try? c.decode(String.self, forKey: key) else {
            throw FieldError(field: key.stringValue, message: "expected a string.", clientOrderID: clientOrderID)
          }
          instrument = s
        case "side":
          guard let s = try? c.decode(String.self, forKey: key) else {
            throw FieldError(field: "side", message: "expected buy or sell.", clientOrderID: clientOrderID)
          }
          side = s
        case "quantity": quantity = try number("quantity")
        case "price": price = try number("price")
        case "stop": stop = try number("stop")
        case "client_order_id", "id": break
        default: throw FieldError(field: key.stringValue, message: "unknown key.", clientOrderID: clientOrderID)
        }
      }
    }
  }
}
