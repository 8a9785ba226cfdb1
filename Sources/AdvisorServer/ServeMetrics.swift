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
    openOrders = registry.makeGauge(descriptor: Self.name("open", "orders", "Orders held open against the book."))
    generation = registry.makeGauge(
      descriptor: Self.name("workspace_generation", "", "The loaded workspace's generation."))
    ready = registry.makeGauge(descriptor: Self.name("ready", "", "1 when /readyz is ready, else 0."))
  }

  /// `advisor_<metric>_<unit>` (no `_<unit>` when `unit` is empty), with its `# HELP` text.
  static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(namespace: "advisor", metricName: metric, unitName: unit, helpText: help)
  }

  /// One answered request.
  func request(route: String, status: Int, duration: Duration) {
    registry.makeCounter(
      descriptor: Self.name("http_requests", "total", "HTTP requests answered, by route and status."),
      labels: [("route", route), ("status", String(status))]
    ).increment()
    registry.makeDurationHistogram(
      descriptor: Self.name("http_request_duration", "seconds", "Time from the request's head to its response, by route."),
      labels: [("route", route)], buckets: Self.latencyBuckets
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
    let orders = Self.name("check_orders", "total", "Orders checked, by result.")
    if passed > 0 {
      registry.makeCounter(descriptor: orders, labels: [("result", "pass")]).increment(by: Int64(passed))
    }
    if results.count > passed {
      registry.makeCounter(descriptor: orders, labels: [("result", "fail")]).increment(by: Int64(results.count - passed))
    }
    for (key, n) in findings {
      let parts = key.split(separator: "|").map(String.init)
      registry.makeCounter(
        descriptor: Self.name("check_findings", "total", "Warning and failing findings of the checks, by code."),
        labels: [("code", parts[0]), ("severity", parts[1])]
      ).increment(by: Int64(n))
    }
  }

  /// An event of the open-order book: held, filled, cancelled, expired, released.
  func orders(_ event: String, _ count: Int = 1) {
    guard count > 0 else { return }
    registry.makeCounter(
      descriptor: Self.name("orders", "total", "Open-order events: held, filled, cancelled, expired, released."),
      labels: [("event", event)]
    ).increment(by: Int64(count))
  }

  func reload(ok: Bool) {
    registry.makeCounter(
      descriptor: Self.name("reloads", "total", "Workspace reloads, by result."), labels: [("result", ok ? "ok" : "failed")]
    ).increment()
  }

  public func text() -> [UInt8] { registry.emitToBuffer() }
}
