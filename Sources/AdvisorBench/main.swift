import ArgumentParser
import Foundation
import LinearAlgebra
import RiskCore
import RiskIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `advisor-bench`: in-process benchmarks and the synthetic inputs of `bench/run.sh`
/// and `bench/peers.sh`. Never part of `swift test`.
struct AdvisorBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "advisor-bench",
    abstract: "In-process benchmarks of advisor (parsing, estimators, decompositions, sizing) and their inputs.",
    subcommands: [
      Generate.self, Run.self, Export.self, BLASInfo.self, SummarizeHyperfine.self, ReportWholeProcess.self,
    ],
    defaultSubcommand: Run.self
  )
}

struct Locations: ParsableArguments {
  @Option(name: .long, help: "Repository root (data/, advisor.yaml, profiles/).")
  var root = "."

  @Option(name: .long, help: "Directory for generated files and results (gitignored).")
  var out = "bench/out"

  var paths: BenchPaths { BenchPaths(root: root, out: out) }
}

struct Generate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Writes the deterministic synthetic inputs: a 500 × 2,520 close panel (~13.6 MB), a 50-stock book with 100,000 orders, and the in-memory returns as raw doubles."
  )

  @OptionGroup var locations: Locations

  @Flag(name: .long, help: "Rewrite files that already exist.")
  var force = false

  func run() throws {
    let p = locations.paths
    try FileManager.default.createDirectory(atPath: p.out, withIntermediateDirectories: true)
    let fm = FileManager.default
    if force || !fm.fileExists(atPath: p.panel) {
      try SyntheticFiles.writePanel(path: p.panel, instruments: 500, days: 2520)
    }
    if force || !fm.fileExists(atPath: p.book + "/orders.csv") {
      // The book's advisor.yaml resolves paths against its own directory.
      let profiles = relativePath(from: p.book, to: p.root + "/profiles")
      try SyntheticFiles.writeBook(directory: p.book, profiles: profiles, instruments: 50, days: 756, orders: 100_000)
    }
    if force || !fm.fileExists(atPath: p.returns) {
      let r = SyntheticReturns.matrix(observations: 2520, instruments: 1000)
      try writeDoubles(r, to: p.returns)
    }
    let size = (try? fm.attributesOfItem(atPath: p.panel)[.size] as? Int) ?? 0
    print("\(p.panel): \(size) bytes")
    print("\(p.book): 50 OHLCV files, account.yaml, advisor.yaml, orders.csv (100,000 orders)")
    print("\(p.returns): 2,520 × 1,000 returns, column-major little-endian float64")
  }
}

/// `to` relative to the directory `from` (both relative to the current directory or both absolute).
func relativePath(from: String, to: String) -> String {
  func parts(_ s: String) -> [String] {
    let absolute = s.hasPrefix("/") ? s : FileManager.default.currentDirectoryPath + "/" + s
    var out: [String] = []
    for c in absolute.split(separator: "/") {
      if c == "." || c.isEmpty { continue }
      if c == ".." {
        if !out.isEmpty { out.removeLast() }
        continue
      }
      out.append(String(c))
    }
    return out
  }
  let a = parts(from)
  let b = parts(to)
  var common = 0
  while common < min(a.count, b.count) && a[common] == b[common] { common += 1 }
  let up = Array(repeating: "..", count: a.count - common)
  return (up + b[common...]).joined(separator: "/")
}

func writeDoubles(_ values: [Double], to path: String) throws {
  let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
  try data.write(to: URL(fileURLWithPath: path))
}

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Runs the in-process benchmarks: warm-up, then timed runs; prints median, min, max and IQR in ms."
  )

  @OptionGroup var locations: Locations

  @Option(
    name: .long, parsing: .upToNextOption,
    help: "Groups to run: \(Group.allCases.map(\.rawValue).joined(separator: ", ")) (default: all).")
  var only: [String] = []

  @Option(name: .long, help: "Untimed warm-up runs per case.")
  var warmup = 3

  @Option(name: .long, help: "Timed runs per case (fewer when a case exceeds --max-seconds, never under 5).")
  var runs = 15

  @Option(name: .customLong("max-seconds"), help: "Time budget per case after the first 5 timed runs.")
  var maxSeconds = 6.0

  @Option(name: .long, help: "Also write the results as tab-separated values to this file.")
  var tsv: String?

  func run() throws {
    let names = only.flatMap { $0.split(separator: ",").map(String.init) }
    var groups: [Group] = []
    for name in names {
      guard let g = Group(rawValue: name) else {
        throw ValidationError("unknown group '\(name)'; groups are \(Group.allCases.map(\.rawValue).joined(separator: ", ")).")
      }
      groups.append(g)
    }
    if groups.isEmpty { groups = Group.allCases }
    let policy = RunPolicy(warmup: warmup, runs: runs, minRuns: min(5, runs), maxSecondsPerCase: maxSeconds)
    var runner = CaseRunner(paths: locations.paths, policy: policy)
    print(BLASInfo.describe())
    print("policy: \(warmup) warm-up runs, up to \(runs) timed runs (at least \(min(5, runs)), \(maxSeconds) s per case)")
    try runner.run(groups)
    print("")
    print(renderTable(runner.rows), terminator: "")
    if !runner.checks.isEmpty {
      print("")
      for c in runner.checks { print("check: \(c)") }
    }
    if let tsv {
      try Data(renderTSV(runner.rows).utf8).write(to: URL(fileURLWithPath: tsv))
    }
    if runner.sink.value == 0.123_456_789 { print("") }  // keeps the sink observable
  }
}

struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Writes advisor's answers on the synthetic inputs as raw float64 files, for bench/peers.sh to check against numpy, scikit-learn and PyPortfolioOpt."
  )

  @OptionGroup var locations: Locations

  @Option(name: .long, parsing: .upToNextOption, help: "Instrument counts (leading columns of the synthetic returns).")
  var sizes: [Int] = [20, 100, 500, 1000]

  @Option(name: .long, help: "PyPortfolioOpt exp_cov span; advisor's EWMA uses λ = 1 − 2/(span + 1) on demeaned returns.")
  var span = 180

  func run() throws {
    let p = locations.paths
    let dir = p.out + "/export"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let all = SyntheticReturns.matrix(observations: 2520, instruments: sizes.max() ?? 1000)
    let lambda = 1 - 2 / (Double(span) + 1)
    for n in sizes {
      let r = try SyntheticReturns.leadingColumns(all, observations: 2520, columns: n)
      try writeDoubles(try SampleCovariance().estimate(r).daily.elements, to: "\(dir)/sample_\(n).f64")
      try writeDoubles(try EWMACovariance(lambda: 0.94).estimate(r).daily.elements, to: "\(dir)/ewma094_\(n).f64")
      let lw = try LedoitWolfCovariance().estimate(r)
      try writeDoubles(lw.daily.elements + [lw.shrinkage ?? .nan], to: "\(dir)/lw_\(n).f64")
      let oas = try OASCovariance().estimate(r)
      try writeDoubles(oas.daily.elements + [oas.shrinkage ?? .nan], to: "\(dir)/oas_\(n).f64")
      let lwcc = try LedoitWolfConstantCorrelationCovariance().estimate(r)
      try writeDoubles(lwcc.daily.elements + [lwcc.shrinkage ?? .nan], to: "\(dir)/lwcc_\(n).f64")
      let d = r.demeanedColumns()
      try writeDoubles(
        try EWMACovariance(lambda: lambda).estimate(d).daily.elements, to: "\(dir)/ewma_demeaned_span\(span)_\(n).f64")
    }
    // The panel as advisor parses it: T × N closes, column-major.
    let histories = try MarketDataLoader().load(path: p.panel).histories
    var closes: [Double] = []
    for h in histories { closes += h.close }
    try writeDoubles(closes, to: "\(dir)/panel_closes.f64")
    print(
      "wrote \(dir): sample, ewma (λ 0.94), ledoit-wolf, oas, ledoit-wolf constant correlation (+ shrinkage), demeaned EWMA (span \(span)) for N in \(sizes); panel closes"
    )
  }
}

struct BLASInfo: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "blas-info", abstract: "Prints the BLAS library loaded in this process (OpenBLAS config, core, threads).")

  func run() { print(Self.describe()) }

  /// OpenBLAS's own description and advisor's thread policy (LinearAlgebra opens the library on first use).
  static func describe() -> String {
    let env = ["OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"].map { k in
      "\(k)=\(ProcessInfo.processInfo.environment[k] ?? "unset")"
    }
    return "\(LinearAlgebraRuntime.describe()); \(env.joined(separator: " "))"
  }
}

AdvisorBench.main()
