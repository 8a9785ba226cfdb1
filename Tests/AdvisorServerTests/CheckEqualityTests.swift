import Foundation
import Testing

/// `POST /v1/check` answers with exactly the bytes `advisor check --format json` prints, on
/// the bundled examples: every order of examples/orders alone, and both batch files.
@Suite("check equality with the CLI")
struct CheckEqualityTests {
  /// One order of the examples, as the CLI's flags and as the request's JSON.
  struct ExampleOrder: CustomTestStringConvertible, Sendable {
    let instrument: String
    let side: String
    let quantity: String
    let price: String?
    let stop: String?
    var testDescription: String { "\(side) \(quantity) \(instrument)" }

    var flags: [String] {
      ["--instrument", instrument, "--side", side, "--quantity", quantity] + (price.map { ["--price", $0] } ?? [])
        + (stop.map { ["--stop", $0] } ?? [])
    }
    var json: String {
      var parts = ["\"instrument\":\"\(instrument)\"", "\"side\":\"\(side)\"", "\"quantity\":\(quantity)"]
      if let price { parts.append("\"price\":\(price)") }
      if let stop { parts.append("\"stop\":\(stop)") }
      return "{" + parts.joined(separator: ",") + "}"
    }
  }

  /// Every order of examples/orders/batch.csv and batch.jsonl.
  static let examples: [ExampleOrder] = {
    var out: [ExampleOrder] = []
    let csv = (try? String(contentsOf: repositoryRoot.appendingPathComponent("examples/orders/batch.csv"), encoding: .utf8)) ?? ""
    for line in csv.split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      guard f.count == 6 else { continue }
      out.append(
        ExampleOrder(
          instrument: f[1], side: f[2], quantity: f[3], price: f[4].isEmpty ? nil : f[4], stop: f[5].isEmpty ? nil : f[5]))
    }
    let jsonl =
      (try? String(contentsOf: repositoryRoot.appendingPathComponent("examples/orders/batch.jsonl"), encoding: .utf8)) ?? ""
    for line in jsonl.split(separator: "\n") {
      guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
      func text(_ k: String) -> String? { o[k].map { "\($0)" } }
      out.append(
        ExampleOrder(
          instrument: text("instrument") ?? "", side: text("side") ?? "", quantity: text("quantity") ?? "",
          price: text("price"), stop: text("stop")))
    }
    return out
  }()

  @Test func theExamplesAreRead() {
    #expect(Self.examples.count >= 8)
  }

  @Test("one order", arguments: examples, ["normal", "volatile", "auto"])
  func single(_ order: ExampleOrder, regime: String) throws {
    let server = try Shared.server()
    let cli = try runCLI(["check"] + order.flags + ["--regime", regime, "--format", "json"])
    #expect(cli.status == 0 || cli.status == 1, "\(cli.stderr)")
    let served = try server.post("/v1/check?hold=false&regime=\(regime)", order.json)
    #expect(served.status == 200)
    #expect(served.text == cli.stdout)
    #expect(served.headers["advisor-result"] == (cli.status == 0 ? "pass" : "fail"))
  }

  @Test(
    "a batch", arguments: [("examples/orders/batch.csv", "text/csv"), ("examples/orders/batch.jsonl", "application/x-ndjson")],
    [("normal", false), ("auto", false), ("crisis", true)])
  func batch(_ file: (String, String), _ run: (regime: String, strict: Bool)) throws {
    let server = try Shared.server()
    let cli = try runCLI(
      ["check", "--orders", file.0, "--regime", run.regime, "--format", "json"] + (run.strict ? ["--strict"] : []))
    #expect(cli.status == 0 || cli.status == 1, "\(cli.stderr)")
    let body = try String(contentsOf: repositoryRoot.appendingPathComponent(file.0), encoding: .utf8)
    let served = try server.post(
      "/v1/check?hold=false&regime=\(run.regime)&strict=\(run.strict)", body, contentType: file.1)
    #expect(served.status == 200)
    #expect(served.headers["content-type"] == "application/x-ndjson")
    #expect(served.text == cli.stdout)
    #expect(!served.text.isEmpty)
  }

  /// Held orders (the default) answer the same on a fresh server: the hold comes after the check.
  @Test func heldBatchAnswersTheSame() throws {
    let server = try ServerProcess(["--config", "advisor.yaml", "--poll", "0"])
    defer { server.stop() }
    let cli = try runCLI(["check", "--orders", "examples/orders/batch.csv", "--format", "json"])
    let body = try String(contentsOf: repositoryRoot.appendingPathComponent("examples/orders/batch.csv"), encoding: .utf8)
    let served = try server.post("/v1/check", body, contentType: "text/csv")
    #expect(served.text == cli.stdout)
    let passed = cli.stdout.split(separator: "\n").filter { $0.contains("\"result\":\"pass\"") }.count
    let orders = try server.get("/v1/orders").json()["orders"] as? [[String: Any]] ?? []
    #expect(orders.count == passed)
    #expect(served.headers["advisor-held-orders"]?.split(separator: ",").count == passed)
  }

  /// The reports: `POST /v1/size`, `GET /v1/aum`, `GET /v1/budget` print what the commands print.
  @Test(
    "reports",
    arguments: [
      (
        "POST", "/v1/size?regime=volatile", "{\"instrument\":\"BTC\"}",
        ["size", "--instrument", "BTC", "--regime", "volatile", "--format", "json"]
      ),
      (
        "POST", "/v1/size?format=markdown", "{\"instrument\":\"GC\",\"side\":\"short\"}",
        ["size", "--instrument", "GC", "--side", "short", "--format", "markdown"]
      ),
      (
        "POST", "/v1/size?regime=auto", "{\"instrument\":\"EURUSD\",\"entry\":1.11,\"stop\":1.095}",
        ["size", "--instrument", "EURUSD", "--entry", "1.11", "--stop", "1.095", "--regime", "auto", "--format", "json"]
      ),
      ("GET", "/v1/aum", "", ["aum", "--format", "json"]),
      ("GET", "/v1/aum?format=csv&include_lead=true", "", ["aum", "--format", "csv", "--include-lead"]),
      ("GET", "/v1/budget", "", ["budget", "--format", "json"]),
      (
        "GET", "/v1/budget?regime=volatile&budget=AAPL=0.2&budget=class:crypto=0.05", "",
        ["budget", "--regime", "volatile", "--budget", "AAPL=0.2", "--budget", "class:crypto=0.05", "--format", "json"]
      ),
    ])
  func report(_ method: String, _ path: String, _ body: String, _ arguments: [String]) throws {
    let server = try Shared.server()
    let cli = try runCLI(arguments)
    #expect(cli.status == 0, "\(cli.stderr)")
    let served = try server.request(method, path, body: method == "POST" ? body : nil)
    #expect(served.status == 200, "\(served.text)")
    #expect(served.text == cli.stdout)
  }
}
