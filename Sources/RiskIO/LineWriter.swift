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
    bytes(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
  }

  /// The UTF-8 bytes of `s` as they are.
  mutating func text(_ s: String) {
    if s.utf8.withContiguousStorageIfAvailable({ bytes($0) }) == nil {
      for b in s.utf8 { byte(b) }
    }
  }

  /// `s` as a JSON string: quoted, and escaped by ``JSONEscape`` when it needs to be (a plain
  /// string, the common case, is copied as it is).
  mutating func jsonString(_ s: String) {
    let plain = s.utf8.withContiguousStorageIfAvailable { u -> Bool in
      guard JSONEscape.isPlain(bytes: u), let source = u.baseAddress else { return false }
      reserve(u.count &+ 2)
      base[count] = 0x22
      (base + count + 1).update(from: source, count: u.count)
      base[count &+ 1 &+ u.count] = 0x22
      count &+= u.count &+ 2
      return true
    }
    if plain != true { text(JSONEscape.quoted(s)) }
  }

  /// The decimal digits of `i` (``JSONBytes/writeDigits(_:to:)``).
  mutating func integer(_ i: Int) {
    reserve(21)
    count &+= JSONBytes.writeDigits(i, to: UnsafeMutableRawPointer(base + count))
  }

  /// A finite `x` as ``JSONBytes/writeNumber(_:)`` writes it; `null`, reported to
  /// ``NonFinite``, for an infinity or a NaN (the reports never print either).
  mutating func jsonNumber(_ x: Double) {
    guard x.isFinite else {
      NonFinite.report(x)
      return literal("null")
    }
    reserve(32)
    let p = UnsafeMutableRawPointer(base + count)
    count &+= JSONValue.writtenAsInteger(x) ? JSONBytes.writeDigits(Int(x), to: p) : ShortestDecimal.write(x, to: p) ?? 0
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
