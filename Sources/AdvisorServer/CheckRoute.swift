import Foundation
import Hummingbird
import Logging
import RiskCore
import RiskIO

/// `POST /v1/check`: one order (a JSON object with the orders file's keys) answered with the
/// document `advisor check --format json` prints, or a batch (JSON Lines or CSV, as an
/// orders file) answered with its JSON Lines, byte for byte.
enum CheckRoute {
  /// The request's body: one order, or a batch in an orders file's format.
  enum Body {
    case single
    case batch(OrdersFile.Format)

    init(contentType: String?) throws(ServeError) {
      let type = (contentType ?? "application/json").split(separator: ";").first.map {
        $0.trimmingCharacters(in: .whitespaces).lowercased()
      }
      switch type {
      case "application/json", "": self = .single
      case "application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines":
        self = .batch(.jsonl)
      case "text/csv": self = .batch(.csv)
      default:
        throw ServeError(
          .unsupportedMediaType,
          "Content-Type \(quoted(contentType ?? "")) is not accepted: send one order as application/json, a batch as application/x-ndjson (JSON Lines) or text/csv."
        )
      }
    }
  }

  static let path = "request"

  static func handle(_ request: Request, _ context: ServeContext, _ app: ServeApp) async throws(ServeError) -> Reply {
    let query = try Query(request, allowed: ["regime", "strict", "hold"])
    let options = CheckOptions(
      regime: query.string("regime") ?? app.settings.regime, strict: try query.bool("strict", default: false),
      hold: try query.bool("hold", default: true))
    let kind = try Body(contentType: request.headers[.contentType])
    let bytes = try await readBody(request, app.settings.limits)
    let inputs = try orders(bytes, kind, limit: app.settings.limits.maxBatchOrders)
    let single: Bool
    if case .single = kind { single = true } else { single = false }
    let argv = ["advisor serve", "POST \(request.uri.path)\(request.uri.query.map { "?" + $0 } ?? "")"]
    let outcome = try await app.desk.check(inputs, options, single: single, argv: argv)
    if !context.channel.isActive {
      // The client left before its answer: it saw no decision, so nothing it sent stays held.
      await app.desk.release(outcome.held)
      app.logger.warning(
        "client disconnected before the answer; its held orders are released",
        metadata: ["orders": "\(inputs.count)", "released": "\(outcome.held.count)"])
    }
    return reply(outcome, options, batch: !single)
  }

  /// The orders of the body, parsed by the orders file's own record parsers.
  static func orders(_ bytes: [UInt8], _ kind: Body, limit: Int) throws(ServeError) -> [OrderInput] {
    switch kind {
    case .single:
      switch OrdersFile.parseOrderObject(bytes, path: path) {
      case .malformed(_, _, let message): throw ServeError(.badRequest, message)
      case .order(var o):
        o.line = nil  // one order, as `advisor check --instrument …` checks it
        return [.order(o)]
      }
    case .batch(let format):
      let stream = OrdersFile.Stream(bytes: bytes, path: path, format: format)
      var out: [OrderInput] = []
      do {
        while let o = try stream.next() {
          out.append(o)
          if out.count > limit { break }
        }
      } catch {
        throw ServeError(.badRequest, "\(error)")
      }
      guard out.count <= limit else {
        throw ServeError(.batchTooLarge, "the batch has more than \(limit) orders; split it (--max-batch).")
      }
      guard !out.isEmpty else { throw ServeError(.badRequest, "\(stream.emptyError())") }
      return out
    }
  }

  static func reply(_ outcome: CheckOutcome, _ options: CheckOptions, batch: Bool) -> Reply {
    let passed = outcome.passedCount
    let all = outcome.passed
    var r = Reply(status: .ok, body: outcome.body)
    if batch { r.contentType = "application/x-ndjson" }
    r.headers = [("Advisor-Result", all ? "pass" : "fail"), ("Advisor-Workspace-Generation", "\(outcome.generation)")]
    if options.hold && !outcome.held.isEmpty {
      r.headers.append(("Advisor-Held-Orders", outcome.held.map(\.headerText).joined(separator: ",")))
    }
    r.decision =
      !batch ? (all ? "pass" : "fail") : "\(passed) passed, \(outcome.results.count - passed) failed"
    return r
  }
}
