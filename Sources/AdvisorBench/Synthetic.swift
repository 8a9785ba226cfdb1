import Foundation
import LinearAlgebra
import RiskCore

/// SplitMix64: a tiny, fast, fully deterministic generator (same stream on every
/// machine and Swift version, unlike `SystemRandomNumberGenerator`).
struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1) with 53 random bits.
  mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

  /// Standard normal by Box–Muller (one of the pair; simple and deterministic).
  mutating func normal() -> Double {
    var u = uniform()
    while u <= 0 { u = uniform() }
    let v = uniform()
    return (-2 * naturalLogarithm(u)).squareRoot() * cosine(2 * Double.pi * v)
  }
}

func naturalLogarithm(_ x: Double) -> Double { Foundation.log(x) }
func cosine(_ x: Double) -> Double { Foundation.cos(x) }

/// Daily returns from a four-factor model: `r_tj = Σ_k β_jk f_tk + ε_tj`.
///
/// Market factor 1% daily, three style factors 0.5%, idiosyncratic 0.8–2.5%;
/// realistic enough that the covariance is well conditioned at N = 1,000 and
/// T = 2,520 and that Ledoit–Wolf shrinks by a few percent.
enum SyntheticReturns {
  static let seed: UInt64 = 0x00AD_0150_2520_0500

  /// `T × N` column-major (`elements[t + j*T]`).
  static func matrix(observations t: Int, instruments n: Int, seed: UInt64 = seed) -> [Double] {
    var rng = SplitMix64(seed: seed)
    let k = 4
    let factorVol = [0.010, 0.005, 0.005, 0.005]
    var f = [Double](repeating: 0, count: t * k)
    for i in 0..<(t * k) { f[i] = rng.normal() * factorVol[i % k] }
    var out = [Double](repeating: 0, count: t * n)
    for j in 0..<n {
      let beta = [0.3 + 1.2 * rng.uniform(), 0.6 * rng.normal(), 0.6 * rng.normal(), 0.6 * rng.normal()]
      let idio = 0.008 + 0.017 * rng.uniform()
      for i in 0..<t {
        var r = idio * rng.normal()
        for q in 0..<k { r += beta[q] * f[i * k + q] }
        out[i + j * t] = Swift.max(r, -0.5)
      }
    }
    return out
  }

  /// The first `n` columns of a column-major `T × N_max` matrix, as a ``Matrix``.
  static func leadingColumns(_ all: [Double], observations t: Int, columns n: Int) throws -> Matrix {
    try Matrix(rows: t, columns: n, layout: .columnMajor, elements: Array(all[0..<(t * n)]))
  }
}

/// Appends decimal text to a byte buffer without Foundation formatting.
struct TextBuffer {
  var bytes: [UInt8] = []

  mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }
  mutating func append(byte b: UInt8) { bytes.append(b) }

  mutating func append(integer v: Int) {
    if v < 0 {
      bytes.append(0x2D)
      append(integer: -v)
      return
    }
    if v >= 10 { append(integer: v / 10) }
    bytes.append(UInt8(0x30 + v % 10))
  }

  /// `x` rounded to `decimals` places (x ≥ 0), e.g. 123.456789.
  mutating func append(fixed x: Double, decimals: Int) {
    var scale = 1
    for _ in 0..<decimals { scale *= 10 }
    let v = Int((x * Double(scale)).rounded())
    append(integer: v / scale)
    guard decimals > 0 else { return }
    bytes.append(0x2E)
    var frac = v % scale
    var digits = [UInt8](repeating: 0x30, count: decimals)
    for d in stride(from: decimals - 1, through: 0, by: -1) {
      digits[d] = UInt8(0x30 + frac % 10)
      frac /= 10
    }
    bytes.append(contentsOf: digits)
  }

  func write(to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }
}

/// The `count` weekdays ending on `last` (inclusive), oldest first.
func weekdays(count: Int, endingOn last: Day) -> [Day] {
  var out: [Day] = []
  out.reserveCapacity(count)
  var d = last
  while out.count < count {
    if !d.isWeekend { out.append(d) }
    d = d.adding(days: -1)
  }
  return out.reversed()
}

enum SyntheticFiles {
  /// The wide panel's last date: before the repository's `as_of` (2024-08-21),
  /// so `advisor risk` run from the repository root keeps every row.
  static let panelLastDay = Day(year: 2024, month: 6, day: 28) ?? Day(ordinal: 0)
  /// The 50-instrument book ends on the example as-of date.
  static let bookLastDay = Day(year: 2024, month: 8, day: 21) ?? Day(ordinal: 0)

  /// A wide close-price panel: `Date,SYN0001,…` with `days` rows of prices
  /// (six decimals) for `instruments` columns: 500 × 2,520 is about 13.6 MB.
  static func writePanel(path: String, instruments n: Int, days: Int) throws {
    let t = days - 1
    let r = SyntheticReturns.matrix(observations: t, instruments: n)
    var rng = SplitMix64(seed: SyntheticReturns.seed ^ 0x5EED)
    var price = (0..<n).map { _ in 20 + 180 * rng.uniform() }
    let dates = weekdays(count: days, endingOn: panelLastDay)
    var buf = TextBuffer()
    buf.bytes.reserveCapacity(days * (n * 11 + 12) + n * 8)
    buf.append("Date")
    for j in 0..<n { buf.append("," + symbol(j)) }
    buf.append(byte: 0x0A)
    for i in 0..<days {
      if i > 0 { for j in 0..<n { price[j] *= 1 + r[(i - 1) + j * t] } }
      buf.append(dates[i].description)
      for j in 0..<n {
        buf.append(byte: 0x2C)
        buf.append(fixed: price[j], decimals: 6)
      }
      buf.append(byte: 0x0A)
    }
    try buf.write(to: path)
  }

  static func symbol(_ j: Int) -> String {
    var s = String(j + 1)
    while s.count < 4 { s = "0" + s }
    return "SYN" + s
  }

  /// A 50-instrument book for `advisor check` batches: Yahoo-style OHLCV files,
  /// an account holding all of them, an `advisor.yaml` pinning the as-of date
  /// and pointing at the repository's profiles, and `orders` orders in CSV.
  ///
  /// - Returns: the last close per symbol (for stops in the single-order case).
  @discardableResult
  static func writeBook(directory: String, profiles: String, instruments n: Int, days: Int, orders: Int) throws -> [String:
    Double]
  {
    let fm = FileManager.default
    let market = directory + "/market"
    try fm.createDirectory(atPath: market, withIntermediateDirectories: true)
    let t = days - 1
    let r = SyntheticReturns.matrix(observations: t, instruments: n, seed: SyntheticReturns.seed ^ 0xB00C)
    var rng = SplitMix64(seed: SyntheticReturns.seed ^ 0xB00C_5EED)
    let dates = weekdays(count: days, endingOn: bookLastDay)
    var lastClose: [String: Double] = [:]
    var symbols: [String] = []
    for j in 0..<n {
      let sym = "BK" + String(j + 1 < 10 ? "0\(j + 1)" : "\(j + 1)")
      symbols.append(sym)
      var close = 20 + 180 * rng.uniform()
      var buf = TextBuffer()
      buf.append("Date,Open,High,Low,Close,Adj Close,Volume\n")
      for i in 0..<days {
        let open = close * (1 + 0.003 * rng.normal())
        if i > 0 { close *= 1 + r[(i - 1) + j * t] }
        let high = Swift.max(open, close) * (1 + 0.006 * abs(rng.normal()))
        let low = Swift.min(open, close) * (1 - 0.006 * abs(rng.normal()))
        buf.append(dates[i].description)
        for x in [open, high, low, close, close] {
          buf.append(byte: 0x2C)
          buf.append(fixed: x, decimals: 4)
        }
        buf.append(byte: 0x2C)
        buf.append(integer: 500_000 + Int(4_500_000 * rng.uniform()))
        buf.append(byte: 0x0A)
      }
      try buf.write(to: "\(market)/\(sym).csv")
      lastClose[sym] = (close * 10_000).rounded() / 10_000
    }
    var account = TextBuffer()
    account.append(
      """
      # Generated by advisor-bench (bench/out, not committed): a 50-stock book for check batches.
      version: 1
      name: Benchmark book of \(n) synthetic stocks
      base_currency: USD
      as_of: \(bookLastDay)
      fx_quote: base-per-unit
      cash:
        USD: 10000000
      max_price_age_days: 4
      positions:

      """)
    for sym in symbols {
      let q = 100 + Int(400 * rng.uniform())
      account.append("  - {symbol: \(sym), quantity: \(q)}\n")
    }
    try account.write(to: directory + "/account.yaml")
    var config = TextBuffer()
    config.append(
      """
      # Generated by advisor-bench: the 50-stock benchmark book.
      version: 1
      market: market
      as_of: \(bookLastDay)
      account: account.yaml
      profiles: \(profiles)

      """)
    try config.write(to: directory + "/advisor.yaml")
    // Orders: the column names are the benchmark's assumption about `advisor check --orders`
    // (issue 5); adjust them here once that format is merged.
    var csv = TextBuffer()
    csv.append("client_order_id,instrument,side,quantity,stop\n")
    for k in 0..<orders {
      let sym = symbols[Int(rng.next() % UInt64(n))]
      let buy = rng.next() % 2 == 0
      let q = 1 + Int(rng.next() % 20)
      let c = lastClose[sym] ?? 100
      csv.append("o\(k + 1),\(sym),\(buy ? "buy" : "sell"),\(q),")
      csv.append(fixed: c * (buy ? 0.95 : 1.05), decimals: 2)
      csv.append(byte: 0x0A)
    }
    try csv.write(to: directory + "/orders.csv")
    return lastClose
  }
}
