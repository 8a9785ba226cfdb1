import Foundation
import Hummingbird
import RiskCore
import RiskIO

/// `GET /healthz`, `GET /readyz`, `GET /metrics`.
enum HealthRoutes {
  static func health() -> Reply { .json(["schemaVersion": 1, "status": "alive"]) }

  /// Ready: the workspace is loaded, the last reload worked, the market data is fresh at the
  /// as-of date, and the journal can be written. Each check says why when it fails.
  static func ready(_ app: ServeApp) async -> Reply {
    let snapshot = await app.desk.snapshot
    var checks: [JSONValue] = []
    func add(_ name: String, _ problem: String?, ok okText: String) {
      checks.append(["name": .string(name), "ok": .bool(problem == nil), "message": .string(problem ?? okText)])
    }
    add(
      "workspace", nil,
      ok: "generation \(snapshot.generation) loaded from \(snapshot.workspace.config.path ?? "advisor.yaml")")
    add("reload", app.reloads.lastFailure, ok: "the inputs on disk are the ones loaded")
    add(
      "market-data", freshness(snapshot, regime: app.settings.regime),
      ok: "fresh at \(snapshot.asOf) (\(snapshot.workspace.asOfSource))")
    let journal = await app.desk.journalStatus()
    add("journal", journal.problem, ok: journal.description)
    let ready = checks.allSatisfy { if case .object(let o) = $0, o["ok"] == .bool(true) { true } else { false } }
    app.metrics.ready.set(Double(ready ? 1 : 0))
    var r = Reply.json(
      [
        "schemaVersion": 1, "ready": .bool(ready), "checks": .array(checks),
        "workspace": [
          "generation": .integer(snapshot.generation), "asOf": .string(snapshot.asOf.description),
          "asOfSource": .string(snapshot.workspace.asOfSource), "loadedAt": .string(Hold.iso(snapshot.loadedAt)),
        ],
      ], status: ready ? .ok : .serviceUnavailable)
    r.decision = ready ? "ready" : "not ready"
    return r
  }

  /// Why the market data is not fresh at the as-of date, or nil: its newest bar is older than
  /// the default regime's `checks.max_data_age_days` (the feed stopped).
  static func freshness(_ s: Snapshot, regime: String) -> String? {
    let profiles = s.regimes.profile(regime).map { [$0] } ?? s.regimes.profiles
    let maxAge = profiles.map(\.maxDataAgeDays).min() ?? 4
    guard let newest = s.market.histories.compactMap({ $0.days.last }).filter({ $0 <= s.asOf }).max() else {
      return "no market data on or before \(s.asOf)"
    }
    let age = s.asOf.ordinal - newest.ordinal
    return age > maxAge
      ? "the newest bar is \(newest), \(age) days before the as-of date \(s.asOf) (at most \(maxAge) allowed)" : nil
  }

  static func metrics(_ app: ServeApp) -> Reply {
    Reply(
      status: .ok, body: String(decoding: app.metrics.text(), as: UTF8.self),
      contentType: "text/plain; version=0.0.4; charset=utf-8")
  }
}
