import Foundation
@_spi(Benchmarks) import LinearAlgebra
import RiskCore
import RiskIO

/// Where the inputs are (relative to the repository root, where `make bench` runs).
struct BenchPaths: Sendable {
  var root = "."
  var out = "bench/out"
  var sp500: String { root + "/data/panels/sp500_471.csv" }
  var multiAsset: String { root + "/data/multi_asset" }
  var config: String { root + "/advisor.yaml" }
  var panel: String { out + "/panel_500x2520.csv" }
  var book: String { out + "/book50" }
  var returns: String { out + "/returns_2520x1000.f64" }
}

/// The benchmark groups, in the order they run.
enum Group: String, CaseIterable, Sendable {
  case parse
  case covariance
  /// The covariance estimators over T at a fixed N, and the fitted growth with N and T.
  case scaling
  case linalg
  case riskparity
  case risk
  case size
  case check
  case journal
  case proposals
}

struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}

/// Runs the selected groups and returns the rows (printing progress on standard error).
struct CaseRunner {
  var paths: BenchPaths
  var policy: RunPolicy
  var sizes = [20, 100, 500, 1000]
  /// The covariance group's instrument counts (issue 16: up to 5,000 at T = 2,520).
  var covarianceSizes = [20, 100, 500, 1000, 2000, 5000]
  /// The scaling group's T sweep, at `sweepInstruments`.
  var sweepObservations = [630, 1260, 2520, 5040, 10080]
  var sweepInstruments = 1000
  var observations = 2520
  var sink = Sink()
  var rows: [ResultRow] = []
  var checks: [String] = []

  init(paths: BenchPaths, policy: RunPolicy) {
    self.paths = paths
    self.policy = policy
  }

  mutating func add(
    _ group: Group, _ name: String, n: Int? = nil, _ stats: Stats, baseline: (String, Stats)? = nil, note: String = ""
  ) {
    let ratio = baseline.map { stats.median / $0.1.median }
    let row = ResultRow(
      group: group.rawValue, name: name, n: n, stats: stats, baseline: baseline?.0, ratio: ratio, note: note)
    rows.append(row)
    progress(renderTable([row]).split(separator: "\n").last.map(String.init) ?? "")
  }

  func progress(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
  }

  mutating func check(_ s: String) {
    checks.append(s)
    progress("check: " + s)
  }

  mutating func run(_ groups: [Group]) throws {
    for g in groups {
      switch g {
      case .parse: try parse()
      case .covariance: try covariance()
      case .scaling: try scaling()
      case .linalg: try linalg()
      case .riskparity: try riskParity()
      case .risk: try risk()
      case .size: try size()
      case .check: try check()
      case .journal: try journal()
      case .proposals: try proposals()
      }
    }
  }

  // MARK: - parsing

  static func readBytes(_ path: String) throws -> [UInt8] {
    guard let bytes = MarketDataLoader.readAll(path) else { throw BenchError("cannot read \(path)") }
    return bytes
  }

  mutating func parse() throws {
    let loader = MarketDataLoader()
    for (label, path) in [("sp500_471 (471×1440)", paths.sp500), ("synthetic 500×2520", paths.panel)] {
      guard FileManager.default.fileExists(atPath: path) else {
        throw BenchError("\(path) is missing: run `advisor-bench generate` first (make bench does).")
      }
      let bytes = try Self.readBytes(path)
      let mb = Double(bytes.count) / 1_000_000
      var values = [Double](repeating: 0, count: bytes.count / 2)
      let st = try measureInterleaved(
        policy, sink: &sink,
        [
          { Double(NumberScan.strtodAll(bytes, into: &values)) },
          { Double(try loader.parse(bytes: bytes, path: path).count) },
          { Double(try loader.load(path: path).histories.count) },
        ])
      add(.parse, "strtod every field \(label)", st[0], note: "floor: C strtod alone, \(fixed(mb, 1)) MB")
      add(.parse, "parse \(label)", st[1], baseline: ("strtod", st[0]), note: "RiskIO parser, bytes in memory")
      add(.parse, "load \(label)", st[2], baseline: ("strtod", st[0]), note: "read + parse")
    }
    let dir = try measure(policy, sink: &sink) {
      Double(try MarketInputs.load(market: paths.multiAsset, instruments: nil).histories.count)
    }
    add(.parse, "load multi_asset (29 OHLCV files)", dir, note: "with instruments.yaml")
  }

  // MARK: - estimators

  /// The in-memory synthetic returns, `T × 1000` column-major (the linalg and risk-parity groups).
  func syntheticReturns() -> [Double] {
    SyntheticReturns.matrix(observations: observations, instruments: sizes.max() ?? 1000)
  }

  /// The five estimators, in the order of the tables.
  static let estimators: [(String, any CovarianceEstimator)] = [
    ("sample", SampleCovariance()), ("ewma λ=0.94", EWMACovariance(lambda: 0.94)),
    ("ledoit-wolf", LedoitWolfCovariance()), ("oas", OASCovariance()),
    ("ledoit-wolf-constant-correlation", LedoitWolfConstantCorrelationCovariance()),
  ]

  /// Fewer runs for the cases that take seconds (N ≥ 2,000 or T ≥ 5,040): at least 3, one warm-up.
  func policy(forFlops flops: Double) -> RunPolicy {
    guard flops > 5e9 else { return policy }
    return RunPolicy(
      warmup: min(policy.warmup, 1), runs: min(policy.runs, 5), minRuns: min(policy.minRuns, 3),
      maxSecondsPerCase: policy.maxSecondsPerCase)
  }

  /// The floor, the bare `dsyrk` and the five estimators on `r`, interleaved; one row each.
  mutating func covarianceRows(_ r: Matrix, n: Int, t: Int, group: Group) throws -> [Stats] {
    let x = r.demeanedColumns()
    var bodies: [() throws -> Double] = [
      { try SymmetricMatrix.gram(x, scale: 1).elements[0] },
      { try SymmetricMatrix.upperGramElements(x)[0] },
    ]
    for (_, e) in Self.estimators { bodies.append({ try e.estimate(r).daily.elements[0] }) }
    let st = try measureInterleaved(policy(forFlops: Double(n) * Double(n) * Double(t)), sink: &sink, bodies)
    add(group, "dsyrk XᵀX (BLAS floor)", n: n, st[0], note: "T=\(t); SymmetricMatrix.gram: dsyrk + mirror")
    add(group, "dsyrk alone (upper triangle)", n: n, st[1], baseline: ("dsyrk", st[0]), note: "T=\(t)")
    for (k, (name, e)) in Self.estimators.enumerated() {
      let estimate = try e.estimate(r)
      var note = group == .scaling ? "T=\(t)" : ""
      if let repair = estimate.repair {
        note +=
          (note.isEmpty ? "" : "; ") + "not PSD: \(repair.clippedEigenvalues) eigenvalues clipped (eigendecomposition repair)"
      } else if !(try estimate.daily.cholesky().isPositiveDefinite) {
        // Sample and EWMA are PSD by construction and not checked; a shrinkage estimate that
        // fails Cholesky was checked by its eigenvalues.
        let why = e.method.shrinks ? "PSD confirmed by eigenvalues" : "PSD by construction (Gram form), not checked"
        note += (note.isEmpty ? "" : "; ") + "Cholesky fails (numerically singular): \(why)"
      }
      add(group, name, n: n, st[k + 2], baseline: ("dsyrk", st[0]), note: note)
    }
    return st
  }

  mutating func covariance() throws {
    let all = SyntheticReturns.matrix(observations: observations, instruments: covarianceSizes.max() ?? 1000)
    var medians: [(n: Int, st: [Stats])] = []
    for n in covarianceSizes {
      let r = try SyntheticReturns.leadingColumns(all, observations: observations, columns: n)
      medians.append((n, try covarianceRows(r, n: n, t: observations, group: .covariance)))
    }
    let fitted = medians.filter { $0.n >= 500 }
    guard fitted.count >= 2 else { return }
    let names = ["dsyrk floor", "dsyrk alone"] + Self.estimators.map(\.0)
    for (k, name) in names.enumerated() {
      let slope = logLogSlope(fitted.map { (Double($0.n), $0.st[k].median) })
      let local = zip(fitted, fitted.dropFirst()).map { a, b in
        "\(a.n)→\(b.n): \(fixed(logLogSlope([(Double(a.n), a.st[k].median), (Double(b.n), b.st[k].median)]), 2))"
      }
      check(
        "growth with N (T = \(observations), N \(fitted.map(\.n))): \(name) time ∝ N^\(fixed(slope, 2)) (local \(local.joined(separator: ", ")))"
      )
    }
  }

  /// The estimators over T at a fixed N, and the fitted exponent of T.
  mutating func scaling() throws {
    let n = sweepInstruments
    var medians: [(t: Int, st: [Stats])] = []
    for t in sweepObservations {
      let all = SyntheticReturns.matrix(observations: t, instruments: n)
      let r = try Matrix(rows: t, columns: n, layout: .columnMajor, elements: all)
      medians.append((t, try covarianceRows(r, n: n, t: t, group: .scaling)))
    }
    guard medians.count >= 2 else { return }
    let names = ["dsyrk floor", "dsyrk alone"] + Self.estimators.map(\.0)
    for (k, name) in names.enumerated() {
      let slope = logLogSlope(medians.map { (Double($0.t), $0.st[k].median) })
      check("growth with T (N = \(n), T \(medians.map(\.t))): \(name) time ∝ T^\(fixed(slope, 2))")
    }
  }

  mutating func linalg() throws {
    let all = syntheticReturns()
    for n in sizes {
      let r = try SyntheticReturns.leadingColumns(all, observations: observations, columns: n)
      let cov = try SampleCovariance().estimate(r).daily
      let chol = try measure(policy, sink: &sink) {
        guard case .positiveDefinite(let f) = try cov.cholesky() else { throw BenchError("not PD at N=\(n)") }
        return f.lower.elements[0]
      }
      add(.linalg, "cholesky (dpotrf)", n: n, chol)
      let eig = try measure(policy, sink: &sink) { try cov.eigendecomposition().eigenvalues[0] }
      add(.linalg, "eigendecomposition (dsyevd)", n: n, eig)
    }
  }

  mutating func riskParity() throws {
    let solver = RiskParityHook.solver
    let all = syntheticReturns()
    for n in sizes {
      let r = try SyntheticReturns.leadingColumns(all, observations: observations, columns: n)
      let cov = try LedoitWolfCovariance().estimate(r).daily
      let budgets = [Double](repeating: 1 / Double(n), count: n)
      let s = try measure(policy, sink: &sink) { try solver(cov, budgets)[0] }
      let err = try RiskParityHook.budgetError(cov, weights: try solver(cov, budgets), budgets: budgets)
      check("risk parity N=\(n): largest |risk share − budget| = \(err) (\(err <= 1e-6 ? "ok" : "FAIL") at 1e-6)")
      add(.riskparity, "risk parity (equal budgets, LW Σ)", n: n, s)
    }
  }

  // MARK: - advisor risk on the 500 × 2,520 panel, in process, phase by phase

  mutating func risk() throws {
    let path = paths.panel
    let request = RiskRequest(covariance: .ledoitWolf, lookback: 2519)
    let market = try MarketInputs.load(market: path, instruments: nil)
    let report = try RiskAnalysis.run(market, request)
    let st = try measureInterleaved(
      policy, sink: &sink,
      [
        { Double(try MarketInputs.load(market: path, instruments: nil).histories.count) },
        { try RiskAnalysis.run(market, request).estimate.daily.elements[0] },
        { Double(try RiskRenderer.render(report, as: .text).utf8.count) },
        { Double(try RiskRenderer.render(report, as: .json).utf8.count) },
      ])
    let total = st[0].median + st[1].median + st[2].median
    let share = { (s: Stats) in "\(Int((100 * s.median / total).rounded()))% of load + analysis + text" }
    add(.risk, "load the panel (500×2520)", st[0], note: share(st[0]))
    add(.risk, "RiskAnalysis.run (vols, ATR, LW)", st[1], note: share(st[1]))
    add(.risk, "render text", st[2], note: share(st[2]))
    add(.risk, "render json (3 matrices)", st[3])
  }

  // MARK: - advisor size, in process, phase by phase

  mutating func size() throws {
    let configPath = paths.config
    let config = try AdvisorConfig.load(configPath)
    guard let marketPath = config.market, let profilesPath = config.profiles, let accountPath = config.account,
      let asOf = config.asOf
    else { throw BenchError("\(configPath) must name market, profiles, account and as_of") }
    var phases: [(String, Stats)] = []
    phases.append(
      ("read advisor.yaml", try measure(policy, sink: &sink) { Double(try AdvisorConfig.load(configPath).market?.count ?? 0) }))
    phases.append(
      (
        "load market data (12 files)",
        try measure(policy, sink: &sink) {
          Double(try MarketInputs.load(market: marketPath, instruments: config.instruments).histories.count)
        }
      ))
    let market = try MarketInputs.load(market: marketPath, instruments: config.instruments)
    phases.append(
      (
        "load profiles (5 YAML)",
        try measure(policy, sink: &sink) { Double(try ProfileFile.loadDirectory(profilesPath).profiles.count) }
      ))
    let regimes = try ProfileFile.loadDirectory(profilesPath)
    phases.append(
      (
        "load account (YAML)",
        try measure(policy, sink: &sink) {
          Double(try AccountFile.load(accountPath, catalog: market.catalog).account.positions.count)
        }
      ))
    var account = try AccountFile.load(accountPath, catalog: market.catalog)
    account.account.asOf = asOf
    let loaded = account
    phases.append(
      (
        "value the account",
        try measure(policy, sink: &sink) {
          try AccountValuer.value(loaded.account, market: market, maxPriceAgeDays: loaded.maxPriceAgeDays).equity
        }
      ))
    let valuation = try AccountValuer.value(loaded.account, market: market, maxPriceAgeDays: loaded.maxPriceAgeDays)
    let request = SizingRequest(symbol: "BTC", side: .long)
    phases.append(
      (
        "size BTC, volatile (all regimes)",
        try measure(policy, sink: &sink) {
          try SizingService.run(request, valuation: valuation, market: market, regimes: regimes, regime: "volatile")
            .recommendation.quantity
        }
      ))
    let report = try SizingService.run(request, valuation: valuation, market: market, regimes: regimes, regime: "volatile")
    phases.append(
      ("render text", try measure(policy, sink: &sink) { Double(try SizeRenderer.render(report, as: .text).utf8.count) }))
    let total = try measure(policy, sink: &sink) {
      let c = try AdvisorConfig.load(configPath)
      let m = try MarketInputs.load(market: marketPath, instruments: c.instruments)
      let g = try ProfileFile.loadDirectory(profilesPath)
      var a = try AccountFile.load(accountPath, catalog: m.catalog)
      a.account.asOf = asOf
      let v = try AccountValuer.value(a.account, market: m, maxPriceAgeDays: a.maxPriceAgeDays)
      let rep = try SizingService.run(request, valuation: v, market: m, regimes: g, regime: "volatile")
      return Double(try SizeRenderer.render(rep, as: .text).utf8.count)
    }
    for (name, s) in phases { add(.size, name, s, baseline: ("total", total)) }
    add(.size, "whole size pipeline, in process", total, note: "what `advisor size` does after process start")
  }

  // MARK: - advisor check, a 100,000-order batch on the 50-stock book, data loaded once

  /// The 50-stock book's inputs and its 100,000-order batch (the `check` and journal cases):
  /// market, valuation at the book's as-of date, the normal profile, the orders, and the
  /// instruments they trade (sorted).
  func bookBatch() throws -> (
    market: MarketData, valuation: AccountValuation, profile: RegimeProfile, orders: [OrderInput],
    symbols: [String], asOf: Day
  ) {
    let configPath = paths.book + "/advisor.yaml"
    let config = try AdvisorConfig.load(configPath)
    guard let marketPath = config.market, let profilesPath = config.profiles, let accountPath = config.account,
      let asOf = config.asOf
    else { throw BenchError("\(configPath) must name market, profiles, account and as_of") }
    let market = try MarketInputs.load(market: marketPath, instruments: config.instruments)
    let regimes = try ProfileFile.loadDirectory(profilesPath)
    var loaded = try AccountFile.load(accountPath, catalog: market.catalog)
    loaded.account.asOf = asOf
    let valuation = try AccountValuer.value(loaded.account, market: market, maxPriceAgeDays: loaded.maxPriceAgeDays)
    guard let profile = regimes.profile("normal") else { throw BenchError("no normal profile") }
    let orders = try OrdersFile.load(paths.book + "/orders.csv") { Data() }
    let symbols = Set(
      orders.compactMap { input -> String? in
        if case .order(let o) = input { return o.symbol } else { return nil }
      }
    ).sorted()
    return (market, valuation, profile, orders, symbols, asOf)
  }

  mutating func check() throws {
    let configPath = paths.book + "/advisor.yaml"
    guard FileManager.default.fileExists(atPath: configPath) else {
      throw BenchError("\(configPath) is missing; run `advisor-bench generate` first")
    }
    let (market, valuation, profile, orders, symbols, _) = try bookBatch()
    let build = try measure(policy, sink: &sink) {
      var model = RiskModel(valuation: valuation, market: market)
      return Double(try model.covariance(profile, including: symbols).model?.symbols.count ?? 0)
    }
    add(.check, "build environment (50 holdings, covariance)", build)
    var model = RiskModel(valuation: valuation, market: market)
    _ = try model.covariance(profile, including: symbols)
    // Warm the per-instrument statistics cache, as the first orders of a batch do.
    for s in symbols { _ = try model.stats(s, profile) }
    let warmed = model
    var passed = 0
    let batch = measure(policy, sink: &sink) {
      var checker = PreTradeChecker(model: warmed, profile: profile)
      var ok = 0
      for o in orders where checker.check(o).passed(strict: false) { ok += 1 }
      passed = ok
      return Double(ok)
    }
    let perSecond = Double(orders.count) / batch.median
    add(
      .check, "check \(orders.count) orders in sequence", n: 50, batch,
      note: "\(Int(perSecond.rounded())) orders/s on one core; \(passed) passed; O(N) per applied order")
    check("check batch: \(orders.count) orders, \(passed) passed, \(Int(perSecond.rounded())) orders/s")
  }

  // MARK: - measured proposals

  mutating func proposals() throws {
    let dir = paths.root + "/examples/market"
    // The market cache (RiskIO.MarketCache, what `advisor size` reads every run) against a parse.
    let parsed = try MarketInputs.load(market: dir, instruments: nil)
    let cache = MarketCache(directory: paths.out + "/market-cache")
    _ = try MarketInputs.load(market: dir, instruments: nil, cache: cache)
    let hit = try MarketInputs.load(market: dir, instruments: nil, cache: cache)
    check("market cache: examples/market hit bit for bit: \(sameBits(parsed.histories, hit.histories) ? "ok" : "FAIL")")
    let ct = try measureInterleaved(
      policy, sink: &sink,
      [
        { Double(try MarketInputs.load(market: dir, instruments: nil).histories.count) },
        { Double(try MarketInputs.load(market: dir, instruments: nil, cache: cache).histories.count) },
      ])
    add(.proposals, "load examples/market: parse CSV", ct[0], note: "as advisor size does")
    add(
      .proposals, "load examples/market: market cache", ct[1], baseline: ("parse", ct[0]),
      note: "RiskIO.MarketCache: every CSV read and hashed, entries decoded")
  }
}
