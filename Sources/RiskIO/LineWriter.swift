import RiskCore

/// The bytes of one rendered line (a batch's JSON line, a text verdict), written through a
/// pointer into a buffer of its own and handed over in one copy.
///
/// Hand-written rather than appends to a `[UInt8]`: a JSON line is about a hundred pieces
/// (keys, strings, numbers), and each `Array.append(contentsOf:)` checks uniqueness and
/// capacity and calls `memcpy`; those appends were over half of a batch writer's time
/// (≈ 63,000 instructions an order). Here a piece costs one capacity test (``reserve(_:)``),
/// and the buffer only grows, by doubling, when a line outgrows it.
struct LineWriter: ~Copyable {
  private var base: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  /// The bytes written so far.
  private(set) var count = 0

  init(capacity: Int) {
    self.capacity = max(capacity, 64)
    base = .allocate(capacity: self.capacity)
  }

  deinit { base.deallocate() }

  /// Makes room for `n` more bytes: every write below reserves what it writes first.
  @inline(__always)
  mutating func reserve(_ n: Int) {
    if count &+ n > capacity { grow(to: count + n) }
  }

  private mutating func grow(to needed: Int) {
    var size = capacity * 2
    while size < needed { size *= 2 }
    let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
    bigger.update(from: base, count: count)
    base.deallocate()
    base = bigger
    capacity = size
  }

  @inline(__always)
  mutating func byte(_ b: UInt8) {
    reserve(1)
    base[count] = b
    count &+= 1
  }

  mutating func bytes(_ b: UnsafeBufferPointer<UInt8>) {
    guard let source = b.baseAddress else { return }
    reserve(b.count)
    (base + count).update(from: source, count: b.count)
    count &+= b.count
  }

  @inline(__always)
  mutating func literal(_ s: StaticString) {
    guard s.hasPointerRepresentation else { return text(s.description) }
    bytes(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
  }

  /// The UTF-8 bytes of `s` as they are.
  mutating func text(_ s: String) {
    if s.utf8.withContiguousStorageIfAvailable({ bytes($0) }) == nil {
      for b in s.utf8 { byte(b) }
    }
  }

  /// `s` as a JSON string: quoted, and escaped by ``JSONEscape`` when it needs to be (a plain
  /// string, the common case, is copied as it is, tested as it is copied).
  mutating func jsonString(_ s: String) {
    byte(0x22)
    jsonStringContent(s)
    byte(0x22)
  }

  /// Fixed text escaped as inside a JSON string, like ``jsonStringContent(_:)-(String)``.
  mutating func jsonStringContent(_ s: StaticString) {
    guard s.hasPointerRepresentation,
      copyContentIfPlain(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    else { return jsonStringContent(s.description) }
  }

  /// `s` escaped as inside a JSON string, without the quotes (a piece of a longer one).
  mutating func jsonStringContent(_ s: String) {
    if s.utf8.withContiguousStorageIfAvailable({ copyContentIfPlain($0) }) == true { return }
    let quoted = JSONEscape.quoted(s)
    text(String(quoted.dropFirst().dropLast()))
  }

  /// Writes `u` as it is when no byte of it needs an escape; false (nothing written) otherwise.
  private mutating func copyContentIfPlain(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
    reserve(u.count)
    guard JSONEscape.copyIfPlain(u, to: UnsafeMutableRawPointer(base + count)) else { return false }
    count &+= u.count
    return true
  }

  /// `d` as ``Day/description`` spells it (`YYYY-MM-DD`), its ten bytes written in place
  /// (``Day/writeISO(to:)``): a batch's every JSON line starts with its as-of date, and making
  /// its `String` first (then testing it for escapes and releasing it) was about 450
  /// instructions a line.
  mutating func day(_ d: Day) {
    reserve(10)
    if d.writeISO(to: base + count) { count &+= 10 } else { text(d.description) }
  }

  /// The decimal digits of `i`, with a minus sign when negative (``JSONBytes/writeDigits(_:to:)``'s
  /// bytes): the digits counted by comparisons, then written from the last in one pass.
  mutating func integer(_ i: Int) {
    reserve(21)
    if i >= 0 && i < 10 {
      base[count] = 0x30 &+ UInt8(truncatingIfNeeded: i)
      count &+= 1
      return
    }
    if i < 0 {
      base[count] = 0x2D
      count &+= 1
    }
    var m = i.magnitude
    var digits = 1
    var power: UInt = 10
    // 10^19 is the largest power of ten below 2^64, and no magnitude reaches 10^20.
    while digits < 20 && m >= power {
      digits += 1
      power = power &* 10
    }
    var k = count &+ digits
    repeat {
      k &-= 1
      base[k] = 0x30 &+ UInt8(truncatingIfNeeded: m % 10)
      m /= 10
    } while m > 0
    count &+= digits
  }

  /// A finite `x` as ``JSONBytes/writeNumber(_:)`` writes it; `null`, reported to
  /// ``NonFinite``, for an infinity or a NaN (the reports never print either).
  mutating func jsonNumber(_ x: Double) {
    guard x.isFinite else {
      NonFinite.report(x)
      return literal("null")
    }
    // `JSONValue.writtenAsInteger(x)` for a finite x, without libm's `round`.
    guard !(abs(x) < 1e15 && x == Double(Int(x))) else { return integer(Int(x)) }
    reserve(32)
    count &+= ShortestDecimal.write(x, to: UnsafeMutableRawPointer(base + count)) ?? 0
  }

  /// `x` rounded to `decimals` places (at most 8) exactly as printf's `%.*f` rounds it (the
  /// exact binary value, ties to even), then without trailing fraction zeros and a bare point:
  /// ``CheckRenderer/fmt(_:)``'s text of a non-integral `x` below 10¹⁵ in magnitude (the
  /// caller's condition). Exact integer arithmetic rather than `vsnprintf`: printf, its
  /// `CVarArg` boxing and the trimming of its String were most of a text verdict's time.
  mutating func trimmedFixed(_ x: Double, decimals: Int) {
    // |x| = m·2^-s exactly, m < 2^53; then |x|·10^d = m·10^d·2^-s with m·10^d < 2^80.
    let bits = x.bitPattern
    let biased = Int(truncatingIfNeeded: (bits &>> 52) & 0x7FF)
    let fraction = bits & 0x000F_FFFF_FFFF_FFFF
    let m = biased == 0 ? fraction : fraction | (1 &<< 52)
    let s = biased == 0 ? 1074 : 1075 - biased
    var scale: UInt64 = 1
    for _ in 0..<decimals { scale &*= 10 }
    // n = |x|·10^d rounded to nearest, ties to even; 0 when s ≥ 128 (then m·10^d is below
    // half of 2^-s's unit). s ≥ 1 here: |x| < 10^15 < 2^52 and x is not an integer.
    var n: UInt64 = 0
    if s < 128 {
      let p = UInt128(m) * UInt128(scale)
      n = UInt64(truncatingIfNeeded: p &>> s)
      let rest = p & ((1 &<< UInt128(s)) &- 1)
      let half = UInt128(1) &<< UInt128(s - 1)
      if rest > half || (rest == half && n & 1 == 1) { n += 1 }
    }
    if bits &>> 63 == 1 { byte(0x2D) }
    integer(Int(n / scale))
    var digits = n % scale
    var places = decimals
    while places > 0 && digits % 10 == 0 {
      digits /= 10
      places -= 1
    }
    guard places > 0 else { return }
    reserve(places + 1)
    base[count] = 0x2E
    for k in stride(from: places, through: 1, by: -1) {
      base[count + k] = 0x30 + UInt8(truncatingIfNeeded: digits % 10)
      digits /= 10
    }
    count &+= places + 1
  }

  /// Appends the bytes written to `out`.
  func append(to out: inout [UInt8]) {
    out.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
  }

  /// The bytes written, as a String (they are UTF-8: every write above keeps them so).
  func string() -> String {
    String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
  }
}
