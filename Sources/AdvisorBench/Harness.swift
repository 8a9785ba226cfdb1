import Foundation

/// A small in-process benchmark harness: warm-up runs, then timed runs on
/// `ContinuousClock`, reported as the median with the spread (min, max and the
/// interquartile range).
///
/// Deliberately plain (no ordo-one/benchmark): that package needs
/// swift-tools-version 6.1, a malloc interposer and jemalloc, and would be a
/// dependency of the whole package graph; every case here is milliseconds long,
/// where a clock read per run is precise enough and the median over runs is the
/// honest statistic on a shared, noisy 2-core machine.

/// Timings of one case, in seconds.
struct Stats: Sendable {
  let samples: [Double]

  init(_ samples: [Double]) { self.samples = samples.sorted() }

  var runs: Int { samples.count }
  var min: Double { samples.first ?? .nan }
  var max: Double { samples.last ?? .nan }
  var median: Double { quantile(0.5) }
  var q1: Double { quantile(0.25) }
  var q3: Double { quantile(0.75) }

  /// Linear interpolation between order statistics (numpy's default).
  func quantile(_ p: Double) -> Double {
    guard !samples.isEmpty else { return .nan }
    let h = Double(samples.count - 1) * p
    let lo = Int(h.rounded(.down))
    let hi = Swift.min(lo + 1, samples.count - 1)
    return samples[lo] + (h - Double(lo)) * (samples[hi] - samples[lo])
  }
}

/// How many times to run a case.
struct RunPolicy: Sendable {
  var warmup = 3
  /// Timed runs wanted.
  var runs = 15
  /// Never fewer timed runs than this, whatever the time budget says.
  var minRuns = 5
  /// Stop adding timed runs (beyond `minRuns`) once this much time was spent.
  var maxSecondsPerCase = 6.0
}

/// Keeps results alive so the optimiser cannot drop the work that made them.
struct Sink {
  private(set) var value = 0.0
  mutating func consume(_ x: Double) { value += x.isFinite ? x : 0 }
}

extension Duration {
  var seconds: Double {
    let c = components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
  }
}

/// Runs `body` under `policy`; `body` returns a number that is folded into `sink`.
func measure(_ policy: RunPolicy, sink: inout Sink, _ body: () throws -> Double) rethrows -> Stats {
  let clock = ContinuousClock()
  for _ in 0..<policy.warmup { sink.consume(try body()) }
  var samples: [Double] = []
  samples.reserveCapacity(policy.runs)
  let started = clock.now
  while samples.count < policy.runs {
    let t0 = clock.now
    let x = try body()
    let dt = (clock.now - t0).seconds
    sink.consume(x)
    samples.append(dt)
    if samples.count >= policy.minRuns && (clock.now - started).seconds > policy.maxSecondsPerCase { break }
  }
  return Stats(samples)
}

/// Runs several bodies in rounds (each round runs every body once, the starting
/// body rotating), so that a change in the machine's load during the case hits
/// every body alike and their ratios stay honest on a shared machine.
func measureInterleaved(_ policy: RunPolicy, sink: inout Sink, _ bodies: [() throws -> Double]) throws -> [Stats] {
  let clock = ContinuousClock()
  for _ in 0..<policy.warmup {
    for body in bodies { sink.consume(try body()) }
  }
  var samples = [[Double]](repeating: [], count: bodies.count)
  let started = clock.now
  var round = 0
  while round < policy.runs {
    for k in 0..<bodies.count {
      let b = (k + round) % bodies.count
      let t0 = clock.now
      let x = try bodies[b]()
      samples[b].append((clock.now - t0).seconds)
      sink.consume(x)
    }
    round += 1
    if round >= policy.minRuns && (clock.now - started).seconds > policy.maxSecondsPerCase * Double(bodies.count) { break }
  }
  return samples.map { Stats($0) }
}

/// One row of the results table.
struct ResultRow: Sendable {
  let group: String
  let name: String
  let n: Int?
  let stats: Stats
  /// The name of the row this one is compared with (the BLAS floor, or the current code).
  let baseline: String?
  let ratio: Double?
  let note: String
}

func formatMilliseconds(_ s: Double) -> String {
  let ms = s * 1000
  if !ms.isFinite { return "n/a" }
  if ms >= 100 { return String(Int(ms.rounded())) }
  if ms >= 10 { return fixed(ms, 1) }
  if ms >= 1 { return fixed(ms, 2) }
  return fixed(ms, 3)
}

/// `x` with `decimals` digits after the point, without Foundation.
func fixed(_ x: Double, _ decimals: Int) -> String {
  guard x.isFinite else { return "n/a" }
  var scale = 1.0
  for _ in 0..<decimals { scale *= 10 }
  let negative = x < 0
  let v = (abs(x) * scale).rounded()
  guard v < 9e18 else { return String(x) }
  let i = Int(v)
  let whole = i / Int(scale)
  var frac = String(i % Int(scale))
  while frac.count < decimals { frac = "0" + frac }
  return (negative ? "-" : "") + String(whole) + (decimals > 0 ? "." + frac : "")
}

func padded(_ s: String, _ width: Int, right: Bool = false) -> String {
  let pad = String(repeating: " ", count: Swift.max(0, width - s.count))
  return right ? pad + s : s + pad
}

/// The table printed on standard output.
func renderTable(_ rows: [ResultRow]) -> String {
  var out =
    padded("group", 12) + padded("case", 44) + padded("N", 6, right: true) + padded("runs", 6, right: true)
    + padded("median ms", 11, right: true) + padded("min", 9, right: true) + padded("max", 9, right: true)
    + padded("IQR", 9, right: true) + "  ratio\n"
  for r in rows {
    let iqr = r.stats.q3 - r.stats.q1
    var ratio = ""
    if let x = r.ratio, let b = r.baseline { ratio = "\(fixed(x, 2))× \(b)" }
    out +=
      padded(r.group, 12) + padded(r.name, 44) + padded(r.n.map(String.init) ?? "", 6, right: true)
      + padded(String(r.stats.runs), 6, right: true) + padded(formatMilliseconds(r.stats.median), 11, right: true)
      + padded(formatMilliseconds(r.stats.min), 9, right: true) + padded(formatMilliseconds(r.stats.max), 9, right: true)
      + padded(formatMilliseconds(iqr), 9, right: true) + "  " + ratio + (r.note.isEmpty ? "" : "  (\(r.note))") + "\n"
  }
  return out
}

/// Tab-separated results, for `bench/out/` and the peer comparison.
func renderTSV(_ rows: [ResultRow]) -> String {
  var out = "group\tcase\tn\truns\tmedian_s\tmin_s\tmax_s\tq1_s\tq3_s\tbaseline\tratio\tnote\n"
  for r in rows {
    let cells: [String] = [
      r.group, r.name, r.n.map(String.init) ?? "", String(r.stats.runs), "\(r.stats.median)", "\(r.stats.min)",
      "\(r.stats.max)", "\(r.stats.q1)", "\(r.stats.q3)", r.baseline ?? "", r.ratio.map { "\($0)" } ?? "", r.note,
    ]
    out += cells.joined(separator: "\t") + "\n"
  }
  return out
}

/// The least-squares slope of `log y` on `log x`: the exponent `b` of `y ≈ a xᵇ`.
func logLogSlope(_ points: [(Double, Double)]) -> Double {
  let p = points.filter { $0.0 > 0 && $0.1 > 0 }.map { (Foundation.log($0.0), Foundation.log($0.1)) }
  guard p.count >= 2 else { return .nan }
  let mx = p.map(\.0).reduce(0, +) / Double(p.count)
  let my = p.map(\.1).reduce(0, +) / Double(p.count)
  var sxy = 0.0
  var sxx = 0.0
  for (x, y) in p {
    sxy += (x - mx) * (y - my)
    sxx += (x - mx) * (x - mx)
  }
  return sxx > 0 ? sxy / sxx : .nan
}
