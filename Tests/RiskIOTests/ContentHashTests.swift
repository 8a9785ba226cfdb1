import Testing

@testable import RiskIO

/// The market cache's content hash is XXH3's 128-bit hash: checked against published output.
///
/// Reference values from `xxhsum -H2` of xxHash 0.8.1 (Debian's `xxhash` package), which prints
/// the high word then the low word; the inputs are regenerated here byte for byte (the
/// generator of each, in Python, is beside it), covering XXH3's short (0–16, 17–128 bytes),
/// medium (129–240) and long paths (stripes, blocks and the last partial block).
@Suite("Content hash (XXH3-128)")
struct ContentHashTests {
  static let vectors: [(String, [UInt8], UInt64, UInt64)] = [
    ("empty", [], 0x99aa_06d3_0147_98d8, 0x6001_c324_468d_497f),
    ("a", Array("a".utf8), 0xa96f_af70_5af1_6834, 0xe6c6_32b6_1e96_4e1f),
    ("a small CSV", Array("Date,Close\n2024-01-02,10\n".utf8), 0xdfcb_0533_2897_cb09, 0x2aba_d0c5_a552_ae81),
    // bytes((i*7+3)%256 for i in range(300))
    ("300 bytes", (0..<300).map { UInt8(($0 * 7 + 3) % 256) }, 0x55db_f832_07ef_b80d, 0xfd9a_a0f0_d62e_0227),
    // bytes((i*31+11)%251 for i in range(5000))
    ("5,000 bytes", (0..<5000).map { UInt8(($0 * 31 + 11) % 251) }, 0xa43d_9c91_4b87_ebe4, 0x283a_f4cb_03d9_caaa),
    // bytes((i*i+5)%256 for i in range(1048583))
    (
      "1 MiB and 7 bytes", (0..<1_048_583).map { UInt8(truncatingIfNeeded: $0 &* $0 &+ 5) }, 0x2eea_481e_c442_21a2,
      0x11d2_3941_f65b_f14e
    ),
  ]

  @Test("matches xxhsum 0.8.1 -H2", arguments: 0..<vectors.count)
  func matchesReference(index: Int) {
    let (name, bytes, high, low) = Self.vectors[index]
    let (a, b) = ContentHash.of(bytes)
    #expect(a == low, "\(name): low word")
    #expect(b == high, "\(name): high word")
  }

  @Test("the array and the buffer forms agree")
  func bufferForm() {
    let bytes = (0..<1000).map { UInt8($0 % 256) }
    let viaBuffer = bytes.withUnsafeBytes { ContentHash.of(UnsafeRawBufferPointer(rebasing: $0[..<777])) }
    let viaArray = ContentHash.of(Array(bytes[..<777]))
    #expect(viaBuffer == viaArray)
  }
}
