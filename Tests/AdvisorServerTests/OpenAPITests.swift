import Foundation
import Testing
import Yams

@testable import AdvisorServer

/// docs/openapi.yaml describes exactly the server's routes, and every operation's example,
/// sent to a server on the example workspace, gets one of its documented responses with the
/// keys its schema requires.
@Suite("OpenAPI document")
struct OpenAPITests {
  static func document() throws -> [String: Any] {
    let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
    guard let doc = try Yams.load(yaml: text) as? [String: Any] else { throw TestFailure("docs/openapi.yaml is not a map") }
    return doc
  }

  /// (path, method, operation) of every operation in the document.
  static func operations(_ doc: [String: Any]) -> [(String, String, [String: Any])] {
    let paths = doc["paths"] as? [String: Any] ?? [:]
    var out: [(String, String, [String: Any])] = []
    for (path, item) in paths {
      for (method, op) in item as? [String: Any] ?? [:] {
        if let op = op as? [String: Any] { out.append((path, method.uppercased(), op)) }
      }
    }
    return out.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
  }

  @Test func theDocumentHasTheServersRoutesAndMethods() throws {
    let doc = try Self.document()
    #expect(doc["openapi"] as? String == "3.1.0")
    let documented = Set(Self.operations(doc).map { "\($0.1) \($0.0)" })
    let served = Set(Routes.methods.flatMap { path, methods in methods.map { "\($0.rawValue) \(path)" } })
    #expect(documented == served)
  }

  @Test func everyExampleGetsADocumentedResponse() throws {
    let doc = try Self.document()
    let schemas = (doc["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
    let server = try Shared.server()
    for (path, method, op) in Self.operations(doc) {
      let example = try #require(op["x-example"] as? [String: Any], "\(method) \(path) has no x-example")
      let target = (example["path"] as? String ?? path) + ((example["query"] as? String).map { "?" + $0 } ?? "")
      let body = example["body"] as? String
      let reply = try server.request(
        method, target, body: method == "POST" ? (body ?? "") : nil,
        contentType: example["contentType"] as? String ?? "application/json")
      let responses = op["responses"] as? [String: Any] ?? [:]
      let documented = try #require(
        responses["\(reply.status)"] as? [String: Any], "\(method) \(target) answered \(reply.status): \(reply.text)")
      // The schema of the JSON answer: a $ref to the components, or the shared error response.
      var schemaRef: String? = nil
      if documented["$ref"] != nil {
        schemaRef = "Error"
      } else if let content = documented["content"] as? [String: Any],
        let json = content["application/json"] as? [String: Any],
        let schema = json["schema"] as? [String: Any], let ref = schema["$ref"] as? String
      {
        schemaRef = String(ref.split(separator: "/").last ?? "")
      }
      guard let name = schemaRef, reply.headers["content-type"]?.hasPrefix("application/json") == true else { continue }
      let required = (schemas[name] as? [String: Any])?["required"] as? [String] ?? []
      let object = try reply.json()
      for key in required { #expect(object[key] != nil, "\(method) \(target): \(name) requires '\(key)'") }
    }
  }
}
