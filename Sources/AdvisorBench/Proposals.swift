import Foundation
import LinearAlgebra
import RiskCore
import RiskIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Candidate speed-ups, measured here against the current code before anyone
// changes RiskCore or RiskIO (other engineers own those targets). Each one
// is checked for agreement with the current code in the same run.

/// Ledoit–Wolf in scikit-learn's convention with one `dsyrk` instead of two.
///
/// The current estimator forms `(X∘X)ᵀ(X∘X)` (a second N×N `dsyrk`) only to sum
/// all its elements; that sum is `Σ_t (Σ_j x_tj²)²`, an O(N·T) pass:
/// `Σ_ij Σ_t x_ti² x_tj² = Σ_t (Σ_i x_ti²)(Σ_j x_tj²)`.
enum LedoitWolfOneProduct {
  struct Result {
    let covariance: SymmetricMatrix
    let shrinkage: Double
    let positiveDefinite: Bool
  }

  static func estimate(_ returns: Matrix) throws -> Result {
    let x = demeanedCopy(returns)
    let t = x.rows
    let n = x.columns
    let s = SymmetricMatrix.gram(x, scale: 1 / Double(t))
    var rowSquares = [Double](repeating: 0, count: t)
    x.elements.withUnsafeBufferPointer { p in
      rowSquares.withUnsafeMutableBufferPointer { r in
        for j in 0..<n {
          let base = j * t
          for i in 0..<t { r[i] += p[base + i] * p[base + i] }
        }
      }
    }
    var betaSum = 0.0
    for v in rowSquares { betaSum += v * v }
    let tt = Double(t)
    let deltaRaw = s.elements.reduce(0) { $0 + $1 * $1 }
    let mu = s.trace / Double(n)
    var beta = (betaSum / tt - deltaRaw) / (Double(n) * tt)
    var delta = deltaRaw - 2 * mu * s.trace + Double(n) * mu * mu
    delta /= Double(n)
    beta = Swift.min(beta, delta)
    let shrinkage = beta == 0 ? 0 : beta / delta
    var out = s.scaled(by: 1 - shrinkage)
    for i in 0..<n { out.set(i, i, to: out[i, i] + shrinkage * mu) }
    // The same PSD check the estimators make (Cholesky fast path).
    let pd = try out.cholesky().isPositiveDefinite
    return Result(covariance: out, shrinkage: shrinkage, positiveDefinite: pd)
  }

  /// Column-major copy with each column's mean removed (RiskCore's `demeaned` is internal).
  static func demeanedCopy(_ r: Matrix) -> Matrix {
    var x = r.converted(to: .columnMajor)
    let t = x.rows
    let columns = x.columns
    x.modifyElements { e in
      e.withUnsafeMutableBufferPointer { p in
        for j in 0..<columns {
          var s = 0.0
          for i in 0..<t { s += p[i + j * t] }
          let m = s / Double(t)
          for i in 0..<t { p[i + j * t] -= m }
        }
      }
    }
    return x
  }
}

/// Largest `|a − b| / max|a|` over two equal-sized matrices.
func relativeMaxDifference(_ a: [Double], _ b: [Double]) -> Double {
  precondition(a.count == b.count, "matrices of different sizes")
  var scale = 0.0
  var diff = 0.0
  for k in a.indices {
    scale = Swift.max(scale, abs(a[k]))
    diff = Swift.max(diff, abs(a[k] - b[k]))
  }
  return scale > 0 ? diff / scale : diff
}

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

  /// Clinger's fast path: a decimal with at most 19 digits whose significand
  /// is ≤ 2^53 and whose power of ten is ≤ 22 is `m / 10^e` or `m × 10^e`, one
  /// correctly rounded IEEE operation on two exact operands, so the result is
  /// the correctly rounded value, bit for bit what `strtod` gives. Anything
  /// else (exponents, long significands) falls back to `strtod`.
  static func fastPathAll(_ bytes: [UInt8], into out: inout [Double]) -> (count: Int, fallbacks: Int) {
    var count = 0
    var fallbacks = 0
    var scratch = [CChar](repeating: 0, count: 128)
    bytes.withUnsafeBufferPointer { p in
      forEachNumberField(bytes) { a, b in
        if let v = fastPath(p, a, b) {
          out[count] = v
        } else {
          fallbacks += 1
          let n = b - a
          out[count] = scratch.withUnsafeMutableBufferPointer { s in
            for k in 0..<n { s[k] = CChar(bitPattern: p[a + k]) }
            s[n] = 0
            guard let base = s.baseAddress else { return .nan }
            return strtod(base, nil)
          }
        }
        count += 1
      }
    }
    return (count, fallbacks)
  }

  static let powersOfTen: [Double] = (0...22).map { k in
    var x = 1.0
    for _ in 0..<k { x *= 10 }
    return x
  }

  @inline(__always)
  static func fastPath(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Double? {
    var i = a
    var negative = false
    if i < b && (p[i] == 0x2D || p[i] == 0x2B) {
      negative = p[i] == 0x2D
      i += 1
    }
    var m: UInt64 = 0
    var digits = 0
    var fraction = 0
    var sawPoint = false
    var sawDigit = false
    while i < b {
      let c = p[i]
      if c >= 0x30 && c <= 0x39 {
        sawDigit = true
        if digits > 0 || c != 0x30 { digits += 1 }
        if digits > 19 { return nil }
        m = m &* 10 &+ UInt64(c - 0x30)
        if sawPoint { fraction += 1 }
      } else if c == 0x2E && !sawPoint {
        sawPoint = true
      } else {
        return nil  // exponent or anything unusual: strtod decides
      }
      i += 1
    }
    guard sawDigit, m <= (1 << 53), fraction <= 22 else { return nil }
    let v = Double(m) / powersOfTen[fraction]
    return negative ? -v : v
  }

  /// Calls `body(start, end)` for every field after the first column of every
  /// line after the header.
  @inline(__always)
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

/// Reading a whole file into `[UInt8]`: as RiskIO does now, and with plain POSIX calls.
enum FileReading {
  /// RiskIO's `MarketDataLoader.loadFile`: a mapped `Data`, then copied into an array.
  static func foundation(_ path: String) throws -> [UInt8] {
    try [UInt8](Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe))
  }

  /// `open`, `fstat`, one `read` loop straight into the array's storage.
  static func posix(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw BenchError("cannot open \(path)") }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw BenchError("cannot stat \(path)") }
    let size = Int(st.st_size)
    var failed = false
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
      var done = 0
      while done < size {
        let got = read(fd, buffer.baseAddress.map { $0 + done }, size - done)
        if got <= 0 {
          failed = got < 0
          break
        }
        done += got
      }
      initialized = done
    }
    guard !failed else { throw BenchError("cannot read \(path)") }
    return bytes
  }
}

/// Fixed-decimal formatting, as RiskIO does it and with the C library.
enum TextFormatting {
  static let posix = Locale(identifier: "en_US_POSIX")

  /// RiskIO's `Format.fixed` (a `Locale` per call, as there).
  static func foundation(_ x: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", locale: Locale(identifier: "en_US_POSIX"), x)
  }

  /// `snprintf(buf, n, "%.*f", decimals, x)`: glibc's exact conversion (the C locale's point).
  static func snprintf(_ x: Double, _ decimals: Int) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf -> String in
      guard let base = buf.baseAddress else { return "" }
      let n = withVaList([Int32(decimals), x]) { vsnprintf(base, 64, "%.*f", $0) }
      if n < 0 || n >= 64 { return String(format: "%.\(decimals)f", locale: posix, x) }
      return String(cString: base)
    }
  }
}

/// RiskIO's JSON writer with one change: the key path of each value (`$.covariance[3][17]`, kept
/// for the error message about a non-finite number) is built only when that error is thrown,
/// instead of by string interpolation for every element. Output must be byte-identical.
enum JSONLazyPath {
  enum Component {
    case index(Int)
    case key(String)
  }

  struct NonFinite: Error {
    let keyPath: String
  }

  static func rendered(_ v: JSONValue, pretty: Bool = true) throws -> String {
    var out = ""
    var path: [Component] = []
    try write(v, into: &out, indent: pretty ? 0 : nil, path: &path)
    return out
  }

  static func describe(_ path: [Component]) -> String {
    path.reduce("$") { s, c in
      switch c {
      case .index(let i): return s + "[\(i)]"
      case .key(let k): return s + "." + k
      }
    }
  }

  static func isContainer(_ v: JSONValue) -> Bool {
    switch v {
    case .array, .object: return true
    default: return false
    }
  }

  static func write(_ v: JSONValue, into out: inout String, indent: Int?, path: inout [Component]) throws {
    switch v {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .integer(let i): out += String(i)
    case .number(let x):
      guard x.isFinite else { throw NonFinite(keyPath: describe(path)) }
      if x == x.rounded(), abs(x) < 1e15 {
        out += String(Int(x))
      } else {
        out += "\(x)"
      }
    case .string(let s): writeString(s, into: &out)
    case .array(let items):
      if items.isEmpty {
        out += "[]"
        return
      }
      let flat = indent == nil || items.allSatisfy { !isContainer($0) }
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += flat && indent != nil ? ", " : "," }
        if !flat, let indent { out += "\n" + String(repeating: "  ", count: indent + 1) }
        path.append(.index(i))
        try write(item, into: &out, indent: indent.map { $0 + 1 }, path: &path)
        path.removeLast()
      }
      if !flat, let indent { out += "\n" + String(repeating: "  ", count: indent) }
      out += "]"
    case .object(let members):
      if members.isEmpty {
        out += "{}"
        return
      }
      out += "{"
      for (i, key) in members.keys.sorted().enumerated() {
        if i > 0 { out += "," }
        if let indent { out += "\n" + String(repeating: "  ", count: indent + 1) }
        writeString(key, into: &out)
        out += indent == nil ? ":" : ": "
        path.append(.key(key))
        try write(members[key, default: .null], into: &out, indent: indent.map { $0 + 1 }, path: &path)
        path.removeLast()
      }
      if let indent { out += "\n" + String(repeating: "  ", count: indent) }
      out += "}"
    }
  }

  static func writeString(_ s: String, into out: inout String) {
    out += "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 {
          let hex = String(u.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    out += "\""
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
