import RiskCore
import Testing

@testable import RiskIO

/// The symmetric-matrix writer (each mirrored pair formatted once) against the layout every
/// other array gets, spelled out here from ``JSONValue/numberText(_:)``.
@Suite("JSON matrices")
struct JSONMatrixTests {
  static func reference(_ m: [[Double]], pretty: Bool, depth: Int) -> String {
    let rows = m.map { r in "[" + r.map(JSONValue.numberText).joined(separator: pretty ? ", " : ",") + "]" }
    guard pretty else { return "[" + rows.joined(separator: ",") + "]" }
    let pad = String(repeating: "  ", count: depth + 1)
    return "[\n" + rows.map { pad + $0 }.joined(separator: ",\n") + "\n" + String(repeating: "  ", count: depth) + "]"
  }

  static func matrix(_ n: Int, seed: UInt64, mirrored: Bool) -> [[Double]] {
    var state = seed
    func next() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let u = Double(state >> 11) / Double(1 << 53)
      // Integers, zeros, tiny and huge values as well as ordinary ones.
      switch state % 7 {
      case 0: return 0
      case 1: return (u * 100).rounded() - 50
      case 2: return u * 1e-7
      case 3: return -u * 3e17
      default: return u - 0.5
      }
    }
    var m = (0..<n).map { _ in (0..<n).map { _ in next() } }
    if mirrored {
      for i in 0..<n {
        for j in 0..<i { m[i][j] = m[j][i] }
      }
    }
    return m
  }

  @Test(
    "a symmetric matrix is written byte for byte as any other array of rows, pretty and compact",
    arguments: [2, 3, 17, 60])
  func symmetric(n: Int) throws {
    for mirrored in [true, false] {
      let m = Self.matrix(n, seed: UInt64(n), mirrored: mirrored)
      let value = JSONValue.matrix(m)
      #expect(try value.rendered(pretty: false) == Self.reference(m, pretty: false, depth: 0))
      #expect(try value.rendered() == Self.reference(m, pretty: true, depth: 0))
      let doc = try JSONValue.object(["m": value]).rendered()
      #expect(doc == "{\n  \"m\": " + Self.reference(m, pretty: true, depth: 1) + "\n}")
    }
  }

  @Test(
    "integers are written as their decimal digits, as String(_:) spells them",
    arguments: [0, 7, 9, 10, -1, -9, -10, 99, 100, 12_345, -987_654_321, 999_999_999_999_999, Int.max, Int.min])
  func integers(i: Int) {
    var out = JSONBytes()
    out.writeInteger(i)
    #expect(String(decoding: out.bytes, as: UTF8.self) == String(i))
    if abs(Double(i)) < 1e15 {
      var number = JSONBytes()
      number.writeNumber(Double(i))
      #expect(String(decoding: number.bytes, as: UTF8.self) == JSONValue.numberText(Double(i)))
    }
  }

  @Test("a non-finite element still fails the document, with its place")
  func nonFinite() {
    var m = Self.matrix(4, seed: 9, mirrored: true)
    m[2][1] = .nan
    m[1][2] = .nan
    #expect(throws: JSONValue.NonFiniteNumber.self) { try JSONValue.matrix(m).rendered() }
  }
}
