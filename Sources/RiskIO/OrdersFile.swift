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

  /// Reads a file, or standard input for `-`. The format is the extension
  /// (`.csv`, `.jsonl`/`.ndjson`), else sniffed: a first character `{` is JSON Lines.
  public static func load(_ path: String, standardInput: () -> Data) throws(InputError) -> [OrderInput] {
    let data: Data
    if path == "-" {
      data = standardInput()
    } else {
      guard let d = FileManager.default.contents(atPath: path) else {
        throw InputError(
          .fileNotFound, path: path, "no such orders file; pass a CSV or JSON Lines file, or - for standard input.")
      }
      data = d
    }
    let bytes = [UInt8](data)
    let name = path == "-" ? "<stdin>" : path
    let lower = path.lowercased()
    let format: Format
    if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
      format = .jsonl
    } else if lower.hasSuffix(".csv") {
      format = .csv
    } else {
      format = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 } == 0x7B ? .jsonl : .csv
    }
    let orders = try format == .csv ? parseCSV(bytes, path: name) : parseJSONLines(bytes, path: name)
    guard !orders.isEmpty else {
      throw InputError(.empty, path: name, "no orders: the batch is empty\(format == .csv ? " or has only a header" : "").")
    }
    return orders
  }

  static func side(_ text: String) -> TradeSide? {
    switch text.lowercased() {
    case "buy", "long", "b": return .long
    case "sell", "short", "s": return .short
    default: return nil
    }
  }

  public static func parseCSV(_ bytes: [UInt8], path: String) throws(InputError) -> [OrderInput] {
    var reader = CSVReader(bytes: bytes)
    var fields: [CSVReader.Field] = []
    guard let headerLine = try reader.nextRecord(into: &fields) else { return [] }
    let header = fields.map { reader.string($0).lowercased() }
    let symbolCol = header.firstIndex(of: "instrument") ?? header.firstIndex(of: "symbol")
    let sideCol = header.firstIndex(of: "side")
    let qtyCol = header.firstIndex(of: "quantity")
    guard let symbolCol, let sideCol, let qtyCol else {
      throw InputError(
        .missingColumn, path: path, line: headerLine,
        "the header needs instrument, side and quantity (and optionally client_order_id, price, stop).")
    }
    let idCol = header.firstIndex(of: "client_order_id") ?? header.firstIndex(of: "id")
    let priceCol = header.firstIndex(of: "price")
    let stopCol = header.firstIndex(of: "stop")
    let known: Set<String> = ["instrument", "symbol", "side", "quantity", "client_order_id", "id", "price", "stop"]
    if let unknown = header.first(where: { !known.contains($0) }) {
      throw InputError(
        .unknownKey, path: path, line: headerLine, field: unknown,
        "unknown column; expected client_order_id, instrument, side, quantity, price, stop.")
    }
    var out: [OrderInput] = []
    while true {
      let line: Int
      do {
        guard let l = try reader.nextRecord(into: &fields) else { break }
        line = l
      } catch {
        out.append(
          .malformed(line: error.line ?? 0, clientOrderID: nil, message: "\(path) line \(error.line ?? 0): \(error.message)"))
        break
      }
      let id = idCol.flatMap { $0 < fields.count ? reader.string(fields[$0]) : nil }.flatMap { $0.isEmpty ? nil : $0 }
      guard fields.count == header.count else {
        out.append(
          .malformed(
            line: line, clientOrderID: id,
            message: "\(path) line \(line): expected \(header.count) fields as in the header, found \(fields.count)."))
        continue
      }
      let symbol = reader.string(fields[symbolCol])
      guard !symbol.isEmpty else {
        out.append(.malformed(line: line, clientOrderID: id, message: "\(path) line \(line), field 'instrument': missing."))
        continue
      }
      let sideText = reader.string(fields[sideCol])
      guard let side = side(sideText) else {
        out.append(
          .malformed(
            line: line, clientOrderID: id, message: "\(path) line \(line), field 'side': '\(sideText)' is not buy or sell."))
        continue
      }
      func number(_ col: Int?, _ name: String, required: Bool) -> Result<Double?, OrderParseError> {
        guard let col else { return .success(nil) }
        if reader.isMissing(fields[col]) {
          return required ? .failure(OrderParseError("\(path) line \(line), field '\(name)': missing.")) : .success(nil)
        }
        switch reader.number(fields[col]) {
        case .value(let v): return .success(v)
        case .notANumber, .nonFinite:
          return .failure(
            OrderParseError("\(path) line \(line), field '\(name)': '\(reader.string(fields[col]))' is not a number."))
        }
      }
      switch (
        number(qtyCol, "quantity", required: true), number(priceCol, "price", required: false),
        number(stopCol, "stop", required: false)
      ) {
      case (.success(let q?), .success(let p), .success(let st)):
        out.append(.order(Order(clientOrderID: id, symbol: symbol, side: side, quantity: q, price: p, stop: st, line: line)))
      case (.failure(let e), _, _), (_, .failure(let e), _), (_, _, .failure(let e)):
        out.append(.malformed(line: line, clientOrderID: id, message: e.message))
      default:
        out.append(.malformed(line: line, clientOrderID: id, message: "\(path) line \(line), field 'quantity': missing."))
      }
    }
    return out
  }

  struct OrderParseError: Error {
    let message: String
    init(_ m: String) { message = m }
  }

  public static func parseJSONLines(_ bytes: [UInt8], path: String) throws(InputError) -> [OrderInput] {
    var out: [OrderInput] = []
    var line = 0
    var start = 0
    let n = bytes.count
    while start < n {
      var end = start
      while end < n && bytes[end] != 0x0A { end += 1 }
      line += 1
      var slice = bytes[start..<end]
      if slice.last == 0x0D { slice = slice.dropLast() }
      start = end + 1
      if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
      let raw: RawOrder
      do {
        raw = try JSONDecoder().decode(RawOrder.self, from: Data(slice))
      } catch let e as RawOrder.FieldError {
        out.append(
          .malformed(
            line: line, clientOrderID: e.clientOrderID, message: "\(path) line \(line), field '\(e.field)': \(e.message)"))
        continue
      } catch {
        out.append(.malformed(line: line, clientOrderID: nil, message: "\(path) line \(line): not a JSON object."))
        continue
      }
      let id = raw.clientOrderID
      guard let symbol = raw.instrument, !symbol.isEmpty else {
        out.append(.malformed(line: line, clientOrderID: id, message: "\(path) line \(line), field 'instrument': missing."))
        continue
      }
      guard let sideText = raw.side, let side = side(sideText) else {
        out.append(
          .malformed(line: line, clientOrderID: id, message: "\(path) line \(line), field 'side': expected buy or sell."))
        continue
      }
      guard let quantity = raw.quantity else {
        out.append(.malformed(line: line, clientOrderID: id, message: "\(path) line \(line), field 'quantity': missing."))
        continue
      }
      let (price, stop) = (raw.price, raw.stop)
      out.append(
        .order(Order(clientOrderID: id, symbol: symbol, side: side, quantity: quantity, price: price, stop: stop, line: line)))
    }
    return out
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
