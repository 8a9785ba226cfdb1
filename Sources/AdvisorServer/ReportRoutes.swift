import Foundation
import Hummingbird
import RiskCore
import RiskIO

/// `POST /v1/size`, `GET /v1/aum`, `GET /v1/budget`: the commands' reports, by their renderers.
enum ReportRoutes {
  static func contentType(_ format: String) -> String {
    switch format {
    case "json": return "application/json"
    case "csv": return "text/csv; charset=utf-8"
    case "markdown": return "text/markdown; charset=utf-8"
    default: return "text/plain; charset=utf-8"
    }
  }

  /// Runs a report: the core's errors are the CLI's one-line messages.
  static func report(_ what: String, format: String, _ body: () throws -> String) throws(ServeError) -> Reply {
    do {
      let text = try NonFinite.guarding(what) { try body() }
      return .text(text, contentType: contentType(format))
    } catch var e as UnknownRegimeError {
      e.flag = "regime"
      throw ServeError(.unknownRegime, "\(e)")
    } catch let e as InputErrors {
      throw ServeError(.notEvaluated, e.errors.map { "\($0)" }.joined(separator: "; "))
    } catch let e as NonFiniteOutputError {
      throw ServeError(.nonFiniteOutput, "\(e)")
    } catch {
      throw ServeError(.notEvaluated, "\(error)")
    }
  }

  /// The size of one trade against the book with the held orders (with none held: exactly
  /// `advisor size --format json`). Body: `instrument`, and optionally `side`, `entry`, `stop`.
  static func size(_ request: Request, _ app: ServeApp) async throws(ServeError) -> Reply {
    let query = try Query(request, allowed: ["regime", "format", "verbose"])
    let format = try query.choice("format", default: ReportFormat.json)
    let verbose = try query.bool("verbose", default: false)
    let regime = query.string("regime") ?? app.settings.regime
    let sizing = try SizeBody.parse(try await readBody(request, app.settings.limits))
    let (snapshot, book, _) = try await app.desk.book()
    return try report("size", format: format.rawValue) {
      var model = book
      let r = try SizingService.run(sizing, model: &model, regimes: snapshot.regimes, regime: regime)
      return try SizeRenderer.render(r, as: format, verbose: verbose)
    }
  }

  /// The account as loaded (`advisor aum`), with the configured followers.
  static func aum(_ request: Request, _ app: ServeApp) async throws(ServeError) -> Reply {
    let query = try Query(request, allowed: ["format", "include_lead"])
    let format = try query.choice("format", default: ReportFormat.json)
    let includeLead = try query.bool("include_lead", default: false)
    let snapshot = await app.desk.snapshot
    return try report("aum", format: format.rawValue) {
      let copy = try snapshot.followers.map {
        try CopyTradingAUM.compute($0.rows, fx: snapshot.account.fx, includeLead: includeLead, source: $0.source)
      }
      return try AUMRenderer.render(snapshot.valuation, copy: copy, as: format)
    }
  }

  /// The account's risk budget (`advisor budget`), with `budget=SYMBOL=SHARE` (repeatable).
  static func budget(_ request: Request, _ app: ServeApp) async throws(ServeError) -> Reply {
    let query = try Query(request, allowed: ["format", "regime", "budget"], repeatable: ["budget"])
    let format = try query.choice("format", default: BudgetFormat.json)
    let regime = query.string("regime") ?? app.settings.regime
    let (snapshot, _, valuation) = try await app.desk.book()
    var entries: [BudgetEntry] = []
    for flag in query.all("budget") {
      do { entries.append(try BudgetFile.parseFlag(flag)) } catch { throw ServeError(.badQuery, "\(error)") }
    }
    let wanted = entries
    return try report("budget", format: format.rawValue) {
      let r = try BudgetService.run(
        valuation: valuation, market: snapshot.market, regimes: snapshot.regimes,
        request: BudgetRequest(regime: regime, budgets: wanted))
      return try BudgetRenderer.render(r, as: format)
    }
  }
}

extension ReportRoutes {
  /// The trading state under a regime's breakers (`advisor state --format json`).
  static func state(_ request: Request, _ app: ServeApp) async throws(ServeError) -> Reply {
    let query = try Query(request, allowed: ["regime"])
    let regime = query.string("regime") ?? "normal"
    return .json(try await app.desk.state(regime: regime))
  }
}

/// The body of `POST /v1/size`: the `advisor size` flags as JSON keys, decoded strictly
/// (unknown keys, wrong types and non-finite numbers are errors naming the field).
struct SizeBody: Decodable {
  var instrument: String?
  var side: TradeSide = .long
  var entry: Double?
  var stop: Double?

  static func parse(_ bytes: [UInt8]) throws(ServeError) -> SizingRequest {
    let body: SizeBody
    do {
      body = try JSONDecoder().decode(SizeBody.self, from: Data(bytes))
    } catch let e as ServeError {
      throw e
    } catch {
      throw ServeError(.badRequest, "request: not a JSON object.")
    }
    guard let instrument = body.instrument, !instrument.isEmpty else {
      throw ServeError(.badRequest, "request, field 'instrument': missing.")
    }
    return SizingRequest(symbol: instrument, side: body.side, entry: body.entry, stop: body.stop)
  }

  struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  static func fieldError(_ field: String, _ message: String) -> ServeError {
    ServeError(.badRequest, "request, field '\(field)': \(message)")
  }

  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: Key.self)
    for key in c.allKeys {
      switch key.stringValue {
      case "instrument":
        guard let s = try? c.decode(String.self, forKey: key) else { throw Self.fieldError("instrument", "expected a string.") }
        instrument = s
      case "side":
        guard let s = try? c.decode(String.self, forKey: key), let side = OrdersFile.side(named: s) else {
          throw Self.fieldError("side", "expected long or short (also buy or sell).")
        }
        self.side = side
      case "entry": entry = try Self.number(c, key, InputRange.entry)
      case "stop": stop = try Self.number(c, key, InputRange.stop)
      default: throw Self.fieldError(key.stringValue, "unknown key; expected instrument, side, entry, stop.")
      }
    }
  }

  static func number(_ c: KeyedDecodingContainer<Key>, _ key: Key, _ range: NumericRange) throws -> Double? {
    if (try? c.decodeNil(forKey: key)) == true { return nil }
    guard let d = try? c.decode(Double.self, forKey: key), d.isFinite else {
      throw fieldError(key.stringValue, "expected a number.")
    }
    guard range.contains(d) else { throw fieldError(key.stringValue, range.violation("\(d)")) }
    return d
  }
}
