import Testing

@testable import RiskCore

/// ShortestDecimal against Swift's own `description`, byte for byte: a table of edge cases,
/// millions of random doubles, and the generated table of powers of ten against exact
/// integer arithmetic.
@Suite("ShortestDecimal: the bytes of Double.description")
struct ShortestDecimalTests {
  /// The named edge cases, every power of two (2^-1074...2^1023) and every power of ten
  /// (1e-323...1e308), each with its two neighbours, and all of them negated.
  static let edgeCases: [Double] = {
    var xs: [Double] = [
      0, 1, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 0.1 + 0.2, 1.5, 2.5, 100, 123456.789, 0.001, 0.01,
      1e-4, 1e-5, 1.5e-5, 9.9999e-5,
      9_007_199_254_740_992, 9_007_199_254_740_991, 9_007_199_254_740_994, 9_007_199_254_740_996,
      18_014_398_509_481_984, 18_014_398_509_481_988, 9e15, 1234567890123456.5,
      1e15, 1e16, 1e17, 1e21, 1e22, 1e23, 2e23, 1e100, 1e300,
      .leastNonzeroMagnitude, 2.2250738585072014e-308, 2.2250738585072014e-308.nextDown,
      .greatestFiniteMagnitude, .ulpOfOne, 1 + .ulpOfOne, 1 - .ulpOfOne / 2,
      // Ties between two shortest candidates (ulp 1/4, so .25 and .75 are exact): even digit.
      1_125_899_906_842_624.25, 1_125_899_906_842_624.75, 1_125_899_906_842_625.25, 1_125_899_906_842_625.75,
      2_251_799_813_685_247.75,
      // Typical values of the project's documents.
      97.12, 102.2335, 5.113500000000002, 0.1614170124642985, 5.188511059207553e-06, 89346.16899375,
      0.07, 1.07, 250000, 0.000123, 0.5, 42,
    ]
    for x in [1e-4, 1e-5, 9_007_199_254_740_992, 1e16, 1e22, 1e23, .leastNonzeroMagnitude, 2.2250738585072014e-308] {
      xs += [x.nextUp, x.nextDown]
    }
    // 9007199254740993-ish: the decimals just past 2^53 that are not doubles, as read.
    for text in ["9007199254740993", "9007199254740995", "9007199254740997.5", "18014398509481985", "4503599627370497.5"] {
      if let x = Double(text) { xs.append(x) }
    }
    var p = 1.0
    while p > 0 {
      xs += [p, p.nextUp, p.nextDown]
      p /= 2
    }
    p = 2.0
    while p.isFinite {
      xs += [p, p.nextUp, p.nextDown]
      p *= 2
    }
    for e in -323...308 {
      if let x = Double("1e\(e)") { xs += [x, x.nextUp, x.nextDown] }
    }
    return xs.filter { $0 > 0 && $0.isFinite } + [0] + xs.map { -$0 }
  }()

  @Test("edge cases", arguments: edgeCases)
  func edgeCase(_ x: Double) {
    #expect(ShortestDecimal.string(x) == x.description, "bits 0x\(String(x.bitPattern, radix: 16))")
  }

  @Test("the edge-case table covers what it says")
  func edgeCaseTable() {
    #expect(Self.edgeCases.contains(Double.leastNonzeroMagnitude))
    #expect(Self.edgeCases.contains(0x1p1023))
    #expect(Self.edgeCases.contains(2 * .leastNonzeroMagnitude) && Self.edgeCases.contains(1e308))  // 1e-323, 1e308
    #expect(Self.edgeCases.contains { $0.bitPattern == (-0.0 as Double).bitPattern })
    #expect(Self.edgeCases.count > 3 * (2098 + 632))
  }

  @Test("non-finite values fall back to description")
  func nonFinite() {
    for x in [Double.infinity, -.infinity, .nan, -.nan, .signalingNaN, Double(bitPattern: 0x7FF8_0000_0000_1234)] {
      #expect(ShortestDecimal.string(x) == x.description)
    }
  }

  @Test("append adds to what the buffer holds")
  func appends() {
    var bytes = Array("[".utf8)
    ShortestDecimal.append(97.12, to: &bytes)
    bytes.append(0x2C)
    ShortestDecimal.append(-5.188511059207553e-06, to: &bytes)
    #expect(String(decoding: bytes, as: UTF8.self) == "[97.12,-5.188511059207553e-06")
  }

  /// Compares `count` values from `make` with `description`; reports how many differ and
  /// the first ten. The values come from this module's seeded SplitMix64 (`SeededGenerator`,
  /// EstimatorTests.swift), so a failure reproduces.
  static func compare(_ what: String, count: Int, _ make: (inout SeededGenerator) -> Double?) {
    var g = SeededGenerator(state: 0x5D0_7A1E)
    var mismatches: [String] = []
    var differing = 0
    var checked = 0
    var bytes: [UInt8] = []
    for _ in 0..<count {
      guard let x = make(&g) else { continue }
      checked += 1
      bytes.removeAll(keepingCapacity: true)
      ShortestDecimal.append(x, to: &bytes)
      if !bytes.elementsEqual(x.description.utf8) {
        differing += 1
        if mismatches.count < 10 {
          mismatches.append(
            "0x\(String(x.bitPattern, radix: 16)): description \(x.description), got \(String(decoding: bytes, as: UTF8.self))")
        }
      }
    }
    #expect(differing == 0, "\(what): \(differing) of \(checked) differ; the first:\n\(mismatches.joined(separator: "\n"))")
    #expect(checked > count / 2)
  }

  @Test("2,000,000 random bit patterns")
  func randomBits() {
    Self.compare("random bits", count: 2_100_000) { g in
      let x = Double(bitPattern: g.next())
      return x.isFinite ? x : nil
    }
  }

  @Test("1,000,000 random decimal-looking values")
  func randomDecimals() {
    let scales = (0...8).map { e in (0..<e).reduce(1.0) { p, _ in p * 10 } }
    Self.compare("decimals", count: 1_000_000) { g in
      // A price or rate with 0-8 decimals: a random integer over a random power of ten,
      // from a few digits to the full 15-16.
      let digits = Int(g.next() % 16) + 1
      let bound = (0..<digits).reduce(UInt64(1)) { p, _ in p * 10 }
      let integer = Double(g.next() % bound)
      let x = integer / scales[Int(g.next() % UInt64(scales.count))]
      return g.next() & 1 == 0 ? x : -x
    }
  }

  @Test("random subnormals, and random values around 2^50...2^54 where ties and the layout switch are")
  func randomRanges() {
    Self.compare("subnormals", count: 200_000) { g in Double(bitPattern: g.next() & 0x000F_FFFF_FFFF_FFFF) }
    Self.compare("2^50...2^54", count: 200_000) { g in
      Double(bitPattern: (UInt64(1073 + g.next() % 4) << 52) | (g.next() & 0x000F_FFFF_FFFF_FFFF))
    }
  }

  // MARK: - The generated table

  @Test("every g(k) of the table is floor(10^-k · 2^-r) + 1, checked with exact integers")
  func table() {
    #expect(ShortestDecimal.pow10Table.count == 2 * (ShortestDecimal.tableMaxK - ShortestDecimal.tableMinK + 1))
    for k in ShortestDecimal.tableMinK...ShortestDecimal.tableMaxK {
      let i = 2 * (k - ShortestDecimal.tableMinK)
      let g1 = ShortestDecimal.pow10Table[i]
      let g0 = ShortestDecimal.pow10Table[i + 1]
      #expect(g1 >> 62 == 1 && g0 >> 63 == 0, "k \(k): g is not 126 bits")
      let g = Big(g1).shifted(63).adding(Big(g0))
      let gMinus1 = g.adding(Big(0), minusOne: true)
      // 10^-k = β·2^r with β in [2^125, 2^126): (g - 1) ≤ β < g.
      let r = ShortestDecimal.floorLog2Pow10(-k) - 125
      // Compare (g - 1)·2^r·10^k ≤ 1 < g·2^r·10^k with every term a non-negative integer.
      let ten = Self.tens[abs(k)]
      var lhsLow = gMinus1
      var lhsHigh = g
      var rhs = Big(1)
      if k > 0 {
        lhsLow = lhsLow.times(ten)
        lhsHigh = lhsHigh.times(ten)
      } else {
        rhs = ten
      }
      if r > 0 {
        lhsLow = lhsLow.shifted(r)
        lhsHigh = lhsHigh.shifted(r)
      } else {
        rhs = rhs.shifted(-r)
      }
      #expect(lhsLow <= rhs && rhs < lhsHigh, "k \(k): g(k) is not floor(10^-k · 2^-r) + 1")
    }
  }

  /// 10^0...10^400.
  static let tens: [Big] = {
    var out = [Big(1)]
    for _ in 0..<400 { out.append(out[out.count - 1].times(Big(10))) }
    return out
  }()

  /// 10^k ≤ num/den, exactly.
  static func pow10AtMost(_ k: Int, _ num: Big, _ den: Big) -> Bool {
    k >= 0 ? den.times(tens[k]) <= num : den <= num.times(tens[-k])
  }

  @Test("the logarithm approximations are exact over every exponent a double has")
  func logarithms() {
    for q in -1100...1100 {
      // 2^q = num/den; 10^k ≤ 2^q < 10^(k+1), and the same for ¾·2^q.
      let num = Big(1).shifted(max(0, q))
      let den = Big(1).shifted(max(0, -q))
      let k = ShortestDecimal.floorLog10Pow2(q)
      #expect(Self.pow10AtMost(k, num, den) && !Self.pow10AtMost(k + 1, num, den), "log10 2^\(q)")
      let k3 = ShortestDecimal.floorLog10ThreeQuartersPow2(q)
      let num3 = num.times(Big(3))
      let den3 = den.shifted(2)
      #expect(Self.pow10AtMost(k3, num3, den3) && !Self.pow10AtMost(k3 + 1, num3, den3), "log10 3/4·2^\(q)")
    }
    for e in -400...400 {
      // 2^j ≤ 10^e < 2^(j+1)
      let j = ShortestDecimal.floorLog2Pow10(e)
      let ten = Self.tens[abs(e)]
      if e >= 0 {
        #expect(Big(1).shifted(j) <= ten && ten < Big(1).shifted(j + 1), "log2 10^\(e)")
      } else {
        // 2^j ≤ 1/ten < 2^(j+1)  ⟺  2^(-j-1) < ten ≤ 2^-j
        #expect(ten <= Big(1).shifted(-j) && Big(1).shifted(-j - 1) < ten, "log2 10^\(e)")
      }
    }
  }

  @Test("digitBytes gives the eight digits of the boundary values and of 100,000 random ones")
  func eightDigits() {
    var g = SeededGenerator(state: 8)
    let values: [UInt32] =
      [0, 1, 9, 10, 99, 100, 9999, 10000, 99_999_999] + (0..<100_000).map { _ in UInt32(g.next() % 100_000_000) }
    for v in values {
      let bytes = ShortestDecimal.digitBytes(v) | 0x3030_3030_3030_3030
      let text = String(decoding: withUnsafeBytes(of: bytes.littleEndian) { Array($0) }, as: UTF8.self)
      let expected = String(v)
      #expect(text == String(repeating: "0", count: 8 - expected.count) + expected)
    }
  }
}

/// A small non-negative big integer (32-bit limbs, least significant first), enough to check
/// the table and the logarithms exactly: products, shifts, comparison.
struct Big: Comparable {
  var limbs: [UInt32]

  init(_ v: UInt64) {
    limbs = [UInt32(truncatingIfNeeded: v), UInt32(truncatingIfNeeded: v >> 32)]
    normalize()
  }

  init(limbs: [UInt32]) {
    self.limbs = limbs
    normalize()
  }

  mutating func normalize() {
    while let last = limbs.last, last == 0 { limbs.removeLast() }
  }

  func times(_ other: Big) -> Big {
    var out = [UInt32](repeating: 0, count: limbs.count + other.limbs.count + 1)
    for (i, a) in limbs.enumerated() {
      var carry: UInt64 = 0
      for (j, b) in other.limbs.enumerated() {
        let t = UInt64(a) * UInt64(b) + UInt64(out[i + j]) + carry
        out[i + j] = UInt32(truncatingIfNeeded: t)
        carry = t >> 32
      }
      var idx = i + other.limbs.count
      while carry != 0 {
        let t = UInt64(out[idx]) + carry
        out[idx] = UInt32(truncatingIfNeeded: t)
        carry = t >> 32
        idx += 1
      }
    }
    return Big(limbs: out)
  }

  func shifted(_ bits: Int) -> Big {
    guard bits > 0 else { return self }
    var out = [UInt32](repeating: 0, count: bits / 32)
    let s = UInt64(bits % 32)
    var carry: UInt64 = 0
    for a in limbs {
      let t = (UInt64(a) << s) | carry
      out.append(UInt32(truncatingIfNeeded: t))
      carry = t >> 32
    }
    out.append(UInt32(truncatingIfNeeded: carry))
    return Big(limbs: out)
  }

  /// self + other, or self - 1 when `minusOne` (self must be positive then).
  func adding(_ other: Big, minusOne: Bool = false) -> Big {
    var out = limbs + [UInt32](repeating: 0, count: max(0, other.limbs.count - limbs.count) + 1)
    if minusOne {
      var i = 0
      while out[i] == 0 {
        out[i] = .max
        i += 1
      }
      out[i] -= 1
      return Big(limbs: out)
    }
    var carry: UInt64 = 0
    for i in out.indices {
      let t = UInt64(out[i]) + UInt64(i < other.limbs.count ? other.limbs[i] : 0) + carry
      out[i] = UInt32(truncatingIfNeeded: t)
      carry = t >> 32
    }
    return Big(limbs: out)
  }

  static func < (a: Big, b: Big) -> Bool {
    if a.limbs.count != b.limbs.count { return a.limbs.count < b.limbs.count }
    for i in a.limbs.indices.reversed() where a.limbs[i] != b.limbs[i] { return a.limbs[i] < b.limbs[i] }
    return false
  }
}
