import LinearAlgebra
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
      // Integers, zeros, tiny and huge values as well as ordinary ones, and the longest texts
      // (24 bytes, `-2.2250738585072014e-308`; 23, `-0.00012345678901234567`).
      switch state % 9 {
      case 7: return -(2.2250738585072014e-308 + u * 1e-308)
      case 8: return -(0.0001 + u * 1e-5)
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
    arguments: [2, 3, 17, 60, 127, 128, 150])
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

  /// The sizes above straddle the threshold, so both the one-thread and the two-thread
  /// formatting are compared with the reference.
  @Test("matrices from 128 × 128 (8,256 elements on and above the diagonal) are formatted on two threads")
  func parallelThreshold() {
    #expect(127 * 128 / 2 < SymmetricCells.parallelCells)
    #expect(128 * 129 / 2 >= SymmetricCells.parallelCells)
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

/// A matrix kept as its numbers (``JSONValue/numberMatrix(_:)``) writes the bytes, and raises the
/// errors, of the same matrix as an array of rows of numbers.
@Suite("JSON number matrices")
struct JSONNumberMatrixTests {
  static func asRows(_ m: NumberMatrix) -> JSONValue {
    .array((0..<m.rows).map { i in .array((0..<m.columns).map { .number(m.elements[i * m.columns + $0]) }) })
  }

  @Test(
    "the same bytes as the rows: symmetric, asymmetric, 1 × 1, empty, rectangular, pretty and compact",
    arguments: [(0, 0, true), (1, 1, true), (2, 2, true), (7, 7, true), (7, 7, false), (3, 5, false), (40, 40, true)])
  func sameBytes(rows: Int, columns: Int, mirrored: Bool) throws {
    let square = JSONMatrixTests.matrix(max(rows, columns), seed: UInt64(rows * 31 + columns), mirrored: mirrored)
    let elements = (0..<rows).flatMap { i in (0..<columns).map { square[i][$0] } }
    let m = NumberMatrix(rows: rows, columns: columns, elements: elements)
    #expect((m.symmetricDimension != nil) == (mirrored && rows >= 2))
    for pretty in [true, false] {
      let doc = JSONValue.object(["m": .numberMatrix(m), "x": .number(1)])
      let reference = JSONValue.object(["m": Self.asRows(m), "x": .number(1)])
      #expect(try doc.rendered(pretty: pretty) == reference.rendered(pretty: pretty))
    }
  }

  @Test("a symmetric matrix is written as its rows", arguments: [2, 9])
  func symmetric(n: Int) throws {
    let rows = JSONMatrixTests.matrix(n, seed: 5, mirrored: true)
    let s = try SymmetricMatrix(rowArrays: rows)
    #expect(try JSONValue.matrix(s).rendered() == JSONValue.matrix(s.rowArrays).rendered())
  }

  @Test("a non-finite number is refused with the same key path", arguments: [Double.nan, .infinity])
  func nonFinite(value: Double) {
    var e = [Double](repeating: 0.25, count: 9)
    e[5] = value
    let m = NumberMatrix(rows: 3, columns: 3, elements: e)
    let doc = JSONValue.object(["covariance": .numberMatrix(m)])
    #expect(throws: JSONValue.NonFiniteNumber.self) { try doc.rendered() }
    do {
      _ = try doc.rendered()
    } catch {
      #expect(error.keyPath == "$.covariance[1][2]")
    }
  }
}
