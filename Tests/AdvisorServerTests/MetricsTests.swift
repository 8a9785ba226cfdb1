import Testing

@testable import AdvisorServer

/// The names, types and help lines `GET /metrics` exposes: a dashboard or an alert is written
/// against these exact names, so a change of the Prometheus API under them must not move one.
@Suite("Prometheus metrics: names, types and help lines")
struct MetricsTests {
  static let expected: [(name: String, type: String, help: String)] = [
    ("advisor_open_orders", "gauge", "Orders held open against the book."),
    ("advisor_workspace_generation", "gauge", "The loaded workspace's generation."),
    ("advisor_ready", "gauge", "1 when /readyz is ready, else 0."),
    ("advisor_http_requests_total", "counter", "HTTP requests answered, by route and status."),
    ("advisor_http_request_duration_seconds", "histogram", "Time from the request's head to its response, by route."),
    ("advisor_orders_total", "counter", "Open-order events: held, filled, cancelled, expired, released."),
    ("advisor_reloads_total", "counter", "Workspace reloads, by result."),
  ]

  /// The text of a fresh registry after one request, two held orders and a failed reload.
  static func exposition() -> String {
    let metrics = ServeMetrics()
    metrics.request(route: "/v1/check", status: 200, duration: .milliseconds(2))
    metrics.orders("held", 2)
    metrics.reload(ok: false)
    return String(decoding: metrics.text(), as: UTF8.self)
  }

  @Test("each metric is exposed under its name, with its type and help", arguments: expected)
  func exposed(_ metric: (name: String, type: String, help: String)) {
    let text = Self.exposition()
    #expect(text.contains("# HELP \(metric.name) \(metric.help)\n"))
    #expect(text.contains("# TYPE \(metric.name) \(metric.type)\n"))
  }

  @Test("labelled samples carry their labels and values")
  func samples() {
    let text = Self.exposition()
    #expect(text.contains("advisor_http_requests_total{route=\"/v1/check\",status=\"200\"} 1\n"))
    #expect(text.contains("advisor_orders_total{event=\"held\"} 2\n"))
    #expect(text.contains("advisor_reloads_total{result=\"failed\"} 1\n"))
    #expect(text.contains("advisor_http_request_duration_seconds_count{route=\"/v1/check\"} 1\n"))
  }
}
