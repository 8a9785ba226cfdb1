import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Counts elements while parsing, to check the HTML report is well-formed and has its charts.
final class ElementCounter: NSObject, XMLParserDelegate {
  var counts: [String: Int] = [:]
  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    counts[name, default: 0] += 1
  }
}

@Suite("advisor whatif, end to end", .serialized)
struct WhatIfCommandTests {
  @Test("the crypto-crash scenario: golden text and JSON")
  func golden() throws {
    let text = try runAdvisor(["whatif", "--scenario", "examples/scenarios/crypto-crash.yaml"])
    #expect(text.status == 0, "\(text.stderr)")
    try expectGolden(text.stdout, "whatif-crypto-crash.txt")
    let json = try runAdvisor(["whatif", "--scenario", "examples/scenarios/crypto-crash.yaml", "--format", "json"])
    #expect(json.status == 0)
    try expectGoldenJSON(json.stdout, "whatif-crypto-crash.json")
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(doc["schemaVersion"] as? Int == 1)
    for key in ["before", "after", "pnl", "totalPnL", "breaches", "reductions", "reductionMethod", "regimeAfter"] {
      #expect(doc[key] != nil, "missing \(key)")
    }
  }

  @Test(
    "every example scenario runs from the CLI",
    arguments: ["client-outflow-crisis", "covid-replay", "copy-trading-capacity", "crypto-crash"])
  func examples(name: String) throws {
    let r = try runAdvisor(["whatif", "--scenario", "examples/scenarios/\(name).yaml", "--format", "markdown"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("## What if:"))
  }

  @Test("the HTML report is well-formed XHTML with three SVG charts and no external resources")
  func html() throws {
    let r = try runAdvisor([
      "whatif", "--shock", "BTC=-30%", "--shock", "class:stock=-10%", "--to-regime", "crisis", "--replay",
      "2020-03-09:2020-03-23",
      "--format", "html",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let parser = XMLParser(data: Data(r.stdout.utf8))
    let counter = ElementCounter()
    parser.delegate = counter
    #expect(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
    #expect(counter.counts["svg"] == 3)
    #expect((counter.counts["rect"] ?? 0) > 5)
    #expect(counter.counts["polyline"] == 1)
    #expect(counter.counts["script"] == nil && counter.counts["link"] == nil && counter.counts["img"] == nil)
    #expect(
      !r.stdout.contains("http://") || !r.stdout.replacingOccurrences(of: "http://www.w3.org/", with: "").contains("http://"))
  }

  @Test("--output writes the file")
  func output() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-whatif-\(UUID().uuidString).html").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = try runAdvisor(["whatif", "--scenario", "examples/scenarios/covid-replay.yaml", "--format", "html", "--output", path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(FileManager.default.fileExists(atPath: path))
  }

  static let bad: [([String], String)] = [
    (["whatif", "--shock", "BTX=-30%"], "unknown instrument 'BTX'"),
    (["whatif", "--shock", "JPM=-30%"], "JPM, which the account does not hold"),
    (["whatif", "--shock", "BTC=-130%"], "below −100%"),
    (["whatif", "--replay", "2010-01-01:2010-02-01"], "outside the data"),
    // issue 14 class 7: the message names the flag (it was the engine's "outside [−1, 1]").
    (["whatif", "--correlation-target", "1.5"], "--correlation-target: 1.5 is out of range; expected a correlation in [-1, 1]"),
    (["whatif", "--shock", "BTC"], "is not SYMBOL=CHANGE"),
    (["whatif"], "no scenario"),
    (["whatif", "--scenario", "Tests/Fixtures/bad/scenario.yaml"], "line"),
  ]

  @Test("bad input: a clear message, exit 2", arguments: bad)
  func badInput(arguments: [String], message: String) throws {
    let r = try runAdvisor(arguments)
    #expect(r.status == 2, "\(r.stderr)")
    #expect(r.stderr.hasPrefix("Error: ") && r.stderr.contains(message), "\(r.stderr)")
  }
}
