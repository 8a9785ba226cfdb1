import Foundation
import LinearAlgebra
import RiskCore
import RiskIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Candidate speed-ups not (yet) applied, measured against the current code and
// checked for agreement with it in the same run. Those that were applied (one
// `dsyrk` for Ledoit–Wolf, the decimal fast path, `read(2)`, `vsnprintf`, JSON key
// paths built on error only) live in RiskCore and RiskIO now; BENCHMARKS.md has
// their before/after figures.

/// Number parsing floors for a CSV of decimals: every field between commas and
/// newlines (the header and the date column skipped) parsed into one array.
enum NumberScan {
  /// C `strtod` on each field (what RiskIO's reader does, without its other work).
  static func strtodAll(_ bytes: [UInt8], into out: inout [Double]) -> Int {
    var count = 0
    var scratch = [CChar](repeating: 0, count: 128)
    forEachNumberField(bytes) { a, b in
      let n = b - a
      let v: Double = scratch.withUnsafeMutableBufferPointer { s in
        for k in 0..<n { s[k] = CChar(bitPattern: bytes[a + k]) }
        s[n] = 0
        guard let base = s.baseAddress else { return .nan }
        return strtod(base, nil)
      }
      out[count] = v
      count += 1
    }
    return count
  }

  static func forEachNumberField(_ bytes: [UInt8], _ body: (Int, Int) -> Void) {
    bytes.withUnsafeBufferPointer { p in
      let n = p.count
      var i = 0
      while i < n && p[i] != 0x0A { i += 1 }  // header
      i += 1
      while i < n {
        while i < n && p[i] != 0x2C && p[i] != 0x0A { i += 1 }  // date column
        while i < n && p[i] == 0x2C {
          let start = i + 1
          var j = start
          while j < n && p[j] != 0x2C && p[j] != 0x0A && p[j] != 0x0D { j += 1 }
          body(start, j)
          i = j
          if i < n && p[i] == 0x0D { i += 1 }
        }
        i += 1
      }
    }
  }
}

/// "Avoid re-parsing": a prototype binary cache of parsed market data. The CSV is parsed once;
/// later runs read the histories back as raw arrays (a real cache would key each entry on the
/// file's path, size and modification time, and fall back to parsing on any mismatch).
enum MarketCache {
  static func encode(_ histories: [PriceHistory]) -> [UInt8] {
    var out: [UInt8] = []
    func int(_ v: Int) { withUnsafeBytes(of: Int64(v).littleEndian) { out.append(contentsOf: $0) } }
    func text(_ s: String) {
      int(s.utf8.count)
      out.append(contentsOf: s.utf8)
    }
    func doubles(_ a: [Double]) { a.withUnsafeBytes { out.append(contentsOf: $0) } }
    int(histories.count)
    for h in histories {
      text(h.symbol)
      text(h.source.path)
      int(h.count)
      int(h.hasOHLC ? 1 : 0)
      int(h.hasVolume ? 1 : 0)
      int(h.droppedRows)
      h.days.map { Int64($0.ordinal) }.withUnsafeBytes { out.append(contentsOf: $0) }
      h.lines.map { Int64($0) }.withUnsafeBytes { out.append(contentsOf: $0) }
      doubles(h.close)
      if h.hasOHLC {
        doubles(h.open)
        doubles(h.high)
        doubles(h.low)
      }
      if h.hasVolume { doubles(h.volume) }
    }
    return out
  }

  static func decode(_ bytes: [UInt8]) throws -> [PriceHistory] {
    try bytes.withUnsafeBytes { raw -> [PriceHistory] in
      var p = 0
      func int() throws -> Int {
        guard p + 8 <= raw.count else { throw BenchError("truncated cache") }
        let v = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: Int64.self)))
        p += 8
        return v
      }
      func text() throws -> String {
        let n = try int()
        guard n >= 0, p + n <= raw.count else { throw BenchError("truncated cache") }
        let s = String(decoding: raw[p..<(p + n)], as: UTF8.self)
        p += n
        return s
      }
      func int64s(_ n: Int) throws -> [Int64] {
        guard p + 8 * n <= raw.count else { throw BenchError("truncated cache") }
        let a = [Int64](unsafeUninitializedCapacity: n) { buf, done in
          if n > 0, let base = buf.baseAddress {
            UnsafeMutableRawPointer(base).copyMemory(
              from: raw.baseAddress.map { $0 + p } ?? UnsafeRawPointer(base), byteCount: 8 * n)
          }
          done = n
        }
        p += 8 * n
        return a
      }
      func doubles(_ n: Int) throws -> [Double] { try int64s(n).map { Double(bitPattern: UInt64(bitPattern: $0)) } }
      var out: [PriceHistory] = []
      let count = try int()
      for _ in 0..<count {
        let symbol = try text()
        let path = try text()
        let n = try int()
        let ohlc = try int() == 1
        let vol = try int() == 1
        let dropped = try int()
        let days = try int64s(n).map { Day(ordinal: Int($0)) }
        let lines = try int64s(n).map { Int($0) }
        let close = try doubles(n)
        var open: [Double] = []
        var high: [Double] = []
        var low: [Double] = []
        if ohlc {
          open = try doubles(n)
          high = try doubles(n)
          low = try doubles(n)
        }
        let volume = vol ? try doubles(n) : []
        out.append(
          PriceHistory(
            symbol: symbol, source: DataSource(path: path), days: days, open: open, high: high, low: low, close: close,
            volume: volume, lines: lines, droppedRows: dropped))
      }
      return out
    }
  }

  /// Equal arrays, bit for bit.
  static func same(_ a: [PriceHistory], _ b: [PriceHistory]) -> Bool {
    guard a.count == b.count else { return false }
    func bits(_ x: [Double]) -> [UInt64] { x.map(\.bitPattern) }
    for (x, y) in zip(a, b) {
      guard x.symbol == y.symbol, x.source == y.source, x.days == y.days, x.lines == y.lines,
        bits(x.close) == bits(y.close), bits(x.open) == bits(y.open), bits(x.high) == bits(y.high),
        bits(x.low) == bits(y.low), bits(x.volume) == bits(y.volume), x.droppedRows == y.droppedRows
      else { return false }
    }
    return true
  }
}
