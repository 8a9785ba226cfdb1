import Foundation
import Prometheus
import RiskCore

/// The service's Prometheus metrics (`GET /metrics`, text format 0.0.4): requests by route
/// and status, their latency, check decisions and findings by code, open orders, reloads.
public final class ServeMetrics: Sendable {
  let registry = PrometheusCollectorRegistry()
  let openOrders: Gauge
  let generation: Gauge
  let ready: Gauge

  static let latencyBuckets: [Duration] = [
    .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
    .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
    .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000),
  ]

  public init() {
    openOrders = registry.makeGauge(name: "advisor_open_orders", help: "Orders held open against the book.")
    generation = registry.makeGauge(name: "advisor_workspace_generation", help: "The loaded workspace's generation.")
    ready = registry.makeGauge(name: "advisor_ready", help: "1 when /readyz is ready, else 0.")
  }

  /// One answered request.
  func request(route: String, status: Int, duration: Duration) {
    registry.makeCounter(
      name: "advisor_http_requests_total", labels: [("route", route), ("status", String(status))],
      help: "HTTP requests answered, by route and status."
    ).increment()
    registry.makeDurationHistogram(
      name: "advisor_http_request_duration_seconds", labels: [("route", route)], buckets: Self.latencyBuckets,
      help: "Time from the request's head to its response, by route."
    ).record(duration)
  }

  /// The decisions of one check request: orders by result, non-passing findings by code.
  func decisions(_ results: [OrderResult], strict: Bool) {
    var passed = 0
    var findings: [String: Int] = [:]
    for r in results {
      if r.passed(strict: strict) { passed += 1 }
      for f in r.findings where f.severity != .pass { findings["\(f.code.rawValue)|\(f.severity.rawValue)", default: 0] += 1 }
    }
    let help = "Orders checked, by result."
    if passed > 0 {
      registry.makeCounter(name: "advisor_check_orders_total", labels: [("result", "pass")], help: help).increment(
        by: Int64(passed))
    }
    if results.count > passed {
      registry.makeCounter(name: "advisor_check_orders_total", labels: [("result", "fail")], help: help).increment(
        by: Int64(results.count - passed))
    }
    for (key, n) in findings {
      let parts = key.split(separator: "|").map(String.init)
      registry.makeCounter(
        name: "advisor_check_findings_total", labels: [("code", parts[0]), ("severity", parts[1])],
        help: "Warning and failing findings of the checks, by code."
      ).increment(by: Int64(n))
    }
  }

  /// An event of the open-order book: held, filled, cancelled, expired, released.
  func orders(_ event: String, _ count: Int = 1) {
    guard count > 0 else { return }
    registry.makeCounter(
      name: "advisor_orders_total", labels: [("event", event)],
      help: "Open-order events: held, filled, cancelled, expired, released."
    ).increment(by: Int64(count))
  }

  func reload(ok: Bool) {
    registry.makeCounter(
      name: "advisor_reloads_total", labels: [("result", ok ? "ok" : "failed")], help: "Workspace reloads, by result."
    ).increment()
  }

  public func text() -> [UInt8] { registry.emitToBuffer() }
}
