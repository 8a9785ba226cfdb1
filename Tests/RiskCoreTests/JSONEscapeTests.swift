import Testing

@testable import RiskCore

@Suite("JSON string escaping")
struct JSONEscapeTests {
  /// The byte-by-byte definition the word-at-a-time test must agree with.
  static func reference(_ s: String) -> Bool { !s.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C } }

  @Test(
    "a byte to escape is found at every position of a string, whatever surrounds it",
    arguments: Array(0..<0x20).map { UInt8($0) } + [0x22, 0x5C])
  func everyPosition(special: UInt8) {
    for fill in ["a", "σ", "~", "\u{7F}", "é"] {
      for length in 1...26 {
        for at in 0..<length {
          var bytes = Array(String(repeating: fill, count: length).utf8.prefix(length))
          bytes[at] = special
          let s = String(decoding: bytes, as: UTF8.self)
          #expect(!JSONEscape.isPlain(s), "\(Array(s.utf8)) passed as plain")
          #expect(JSONEscape.isPlain(s) == Self.reference(s))
        }
      }
    }
  }

  @Test("strings of bytes just beside the escaped ones are plain, as the byte loop says")
  func neighbours() {
    var g = SystemRandomNumberGenerator()
    let near: [UInt8] = [0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x41, 0x61]
    for _ in 0..<2_000 {
      let n = Int.random(in: 0...40, using: &g)
      var bytes = (0..<n).map { _ in near.randomElement(using: &g) ?? 0x20 }
      if Bool.random(using: &g), n > 0 {
        bytes[Int.random(in: 0..<n, using: &g)] = [0x00, 0x1F, 0x22, 0x5C, 0x0A].randomElement() ?? 0
      }
      let s = String(decoding: bytes, as: UTF8.self)
      #expect(JSONEscape.isPlain(s) == Self.reference(s), "\(bytes)")
    }
    #expect(JSONEscape.isPlain("portfolio annual σ 0.027083 within 0.15."))
    #expect(JSONEscape.isPlain(""))
  }
}
