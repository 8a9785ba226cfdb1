import AdvisorRecording
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RiskCore
import RiskIO

/// What every request shares: the desk, the settings, the metrics, the logger, the journal.
final class ServeApp: Sendable {
  let settings: ServeSettings
  let desk: Desk
  let metrics: ServeMetrics
  let logger: Logger
  let reloads = ReloadState()

  init(settings: ServeSettings, snapshot: Snapshot, metrics: ServeMetrics, logger: Logger) {
    self.settings = settings
    self.metrics = metrics
    self.logger = logger
    self.desk = Desk(
      snapshot: snapshot, journal: JournalLocation(journal: settings.journal, noJournal: settings.noJournal),
      ttl: settings.orderTTL, metrics: metrics, logger: logger)
    metrics.generation.set(Double(snapshot.generation))
  }

  /// Loads the workspace again in the background and swaps it in; a failure keeps the old
  /// one, logs the one-line error, and `/readyz` reports it until a reload works.
  func reload(reason: String) async {
    guard let generation = reloads.begin() else { return }
    let start = ContinuousClock.now
    let config = await desk.snapshot.workspace.config
    let seen = InputFingerprint(watching: Snapshot.watchedPaths(config))
    switch await Snapshot.loadInBackground(configPath: config.path, generation: generation) {
    case .success(let snapshot):
      await desk.install(snapshot)
      reloads.finish(failure: nil, fingerprint: nil)
      metrics.reload(ok: true)
      logger.info(
        "workspace reloaded",
        metadata: [
          "reason": .string(reason), "generation": "\(generation)", "as_of": "\(snapshot.asOf)",
          "ms": "\(Self.milliseconds(ContinuousClock.now - start))",
        ])
    case .failure(let error):
      let message = ServeApp.message(error)
      reloads.finish(failure: "the reload (\(reason)) failed, the previous workspace is kept: \(message)", fingerprint: seen)
      metrics.reload(ok: false)
      logger.error(
        "reload failed; the previous workspace is kept", metadata: ["reason": .string(reason), "error": .string(message)])
    }
  }

  /// An error as the CLI prints it: one line (several problems joined).
  static func message(_ error: any Error) -> String {
    if let e = error as? InputErrors { return oneLine(e.errors.map { "\($0)" }.joined(separator: "; ")) }
    return oneLine("\(error)")
  }

  static func milliseconds(_ d: Duration) -> String {
    let ms = d.seconds * 1000
    return String(format: "%.3f", ms)
  }
}

/// Every request: the token, the route, one log line, the metrics.
struct ServeResponder: HTTPResponder {
  let app: ServeApp

  func respond(to request: Request, context: ServeContext) async throws -> Response {
    let start = ContinuousClock.now
    let id = Self.requestID(request)
    let (route, reply) = await Routes.answer(request, context, app)
    let elapsed = ContinuousClock.now - start
    app.metrics.request(route: route, status: Int(reply.status.code), duration: elapsed)
    var metadata: Logger.Metadata = [
      "request_id": .string(id), "method": .string(request.method.rawValue), "route": .string(route),
      "status": "\(reply.status.code)", "latency_ms": .string(ServeApp.milliseconds(elapsed)),
    ]
    if let d = reply.decision { metadata["decision"] = .string(d) }
    if let c = reply.code { metadata["code"] = .string(c.rawValue) }
    app.logger.info("request", metadata: metadata)
    return reply.response(requestID: id)
  }

  /// The client's `X-Request-Id` when it is short and plain, else a new one.
  static func requestID(_ request: Request) -> String {
    if let name = HTTPField.Name.requestID, let given = request.headers[name], (1...64).contains(given.utf8.count),
      given.utf8.allSatisfy({ $0 < 0x80 && (isalnum(Int32($0)) != 0 || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F) })
    {
      return given
    }
    return UUID().uuidString.lowercased()
  }
}
