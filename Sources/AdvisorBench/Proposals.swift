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
// paths built on error only, the market cache) live in RiskCore and RiskIO now;
// BENCHMARKS.md has their before/after figures.

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

/// Equal price histories, bit for bit (the market cache's hit against a fresh parse).
func sameBits(_ a: [PriceHistory], _ b: [PriceHistory]) -> Bool {
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
