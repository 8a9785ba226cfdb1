/// An ASCII instrument of 1 to 16 bytes as two words and a length.
struct InstrumentKey: Equatable {
  let low: UInt64
  let high: UInt64
  let count: Int

  /// The key of `bytes[f.start..<f.end]`; nil when it is longer than 16 bytes.
  init?(_ bytes: UnsafeBufferPointer<UInt8>, _ f: CSVReader.Field) {
    count = f.end - f.start
    guard count <= 16 else { return nil }
    var words: (UInt64, UInt64) = (0, 0)
    for i in 0..<count {
      let b = UInt64(bytes[f.start + i]) << (8 * UInt64(i & 7))
      if i < 8 { words.0 |= b } else { words.1 |= b }
    }
    (low, high) = words
  }

  /// A multiplicative hash: instruments are few and short, and `Hasher` (SipHash, seeded per
  /// process) cost more per order than reading the order.
  var hash: Int {
    let h = (low &* 0x9E37_79B9_7F4A_7C15) ^ (high &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(count)
    return Int(truncatingIfNeeded: h ^ (h >> 29))
  }
}

/// A small open-addressing hash table from instruments to values, looked up once per order by
/// the batch scan and the reader. It holds at most ``capacity`` instruments and ignores
/// insertions beyond (callers then take their slower path), so a batch of distinct instruments
/// cannot make it grow without bound.
struct InstrumentTable<Value> {
  static var capacity: Int { 1 << 16 }
  private var slots: [(key: InstrumentKey, value: Value)?] = Array(repeating: nil, count: 64)
  private(set) var count = 0

  /// The slot holding `key`, or the empty slot where it goes.
  private func slot(_ key: InstrumentKey) -> Int {
    let mask = slots.count - 1
    var i = key.hash & mask
    while let entry = slots[i], entry.key != key { i = (i + 1) & mask }
    return i
  }

  subscript(key: InstrumentKey) -> Value? { slots[slot(key)]?.value }

  /// Adds `key` (not already present) unless the table is full.
  mutating func insert(_ key: InstrumentKey, _ value: Value) {
    guard count < Self.capacity else { return }
    if 2 * (count + 1) > slots.count { grow() }
    slots[slot(key)] = (key, value)
    count += 1
  }

  private mutating func grow() {
    let old = slots
    slots = Array(repeating: nil, count: 2 * old.count)
    for case let entry? in old { slots[slot(entry.key)] = entry }
  }
}
