import AdvisorJournal
import Foundation
import RiskCore
import RiskIO

/// The journal's cost (issue 12): what one `check` adds (open, read the account's record,
/// write the run, its snapshot and its order, commit with one fsync, close), SHA-256
/// throughput for the inputs' content hashes, and a 100,000-order batch written in one
/// transaction against the same batch without a journal.
extension CaseRunner {
  mutating func journal() throws {
    let dir = paths.out + "/journal-bench"
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let report = String(
      repeating: "{\"code\":\"LOT_SIZE_OK\",\"context\":{\"lot\":1},\"message\":\"…\",\"severity\":\"pass\"},", count: 12)
    let start = Journal.RunStart(
      command: "check", argv: ["advisor", "check", "--instrument", "BK07"], startedAt: "2024-08-21T10:00:00.000Z", cwd: "/",
      user: "bench", host: "bench", pid: 1, format: "text")
    let path = dir + "/one.sqlite"
    // A journal with history: 1,000 earlier runs, each with a snapshot.
    do {
      guard let j = try Journal.open(path) else { throw BenchError("cannot open \(path)") }
      try j.begin()
      for i in 0..<1_000 {
        let id = try j.insertRun(start)
        try j.insertSnapshot(
          run: id,
          .init(
            account: "Bench (USD)", baseCurrency: "USD", asOf: Day(ordinal: 19_000 + i).description, equity: 1e6 + Double(i),
            aum: 1e6, gross: 5e5, net: 4e5, positions: "[]"))
      }
      try j.commit()
    }
    for full in [true, false] {
      let one = try measure(policy, sink: &sink) {
        guard let j = try Journal.open(path, synchronousFull: full) else { return 0 }
        try j.begin()
        let id = try j.insertRun(start)
        let record = try j.record(account: "Bench (USD)")
        _ = TradingStateMachine.evaluate(
          record, breakers: Breakers(maxDrawdown: Breaker(reducing: 0.1, halted: 0.2)), asOf: Day(ordinal: 20_000),
          currentEquity: 1e6)
        try j.insertSnapshot(
          run: id,
          .init(
            account: "Bench (USD)", baseCurrency: "USD", asOf: "2024-08-21", equity: 1e6, aum: 1e6, gross: 5e5, net: 4e5,
            positions: String(repeating: "{\"symbol\":\"BK07\",\"quantity\":100}", count: 50)))
        for k in 0..<31 {
          _ = j.cachedHash(
            Journal.FileKey(
              realPath: "/bench/file\(k).csv", device: 1, inode: Int64(k), size: 1, mtimeNanoseconds: 1, ctimeNanoseconds: 1))
        }
        var row = Journal.OrderRow(index: 1, result: "pass", codes: " LOT_SIZE_OK RISK_BUDGET_OK ", report: "[" + report + "]")
        row.output = report
        try j.insertOrder(run: id, row)
        var end = Journal.RunEnd(finishedAt: "2024-08-21T10:00:00.100Z", result: "pass", exitCode: 0)
        end.report = report
        end.output = "1 order checked\n"
        end.inputs = "[]"
        try j.finishRun(id, end)
        try j.commit()
        return Double(record.equity.count)
      }
      add(
        .journal,
        full
          ? "journal one check: open, record (1,000 days), write, commit (fsync), close"
          : "the same, journal_sync: normal (no fsync at commit)", one,
        note: full ? "what journaling adds to one advisor check; target ≤ 2 ms" : "")
    }
    // Where one check's journal time goes: the opening alone, and an empty transaction.
    let parts = try measureInterleaved(
      policy, sink: &sink,
      [
        {
          guard let j = try Journal.open(path) else { return 0 }
          return Double(j.version)
        },
        {
          guard let j = try Journal.open(path) else { return 0 }
          try j.begin()
          let id = try j.insertRun(start)
          try j.commit()
          return Double(id)
        },
      ])
    add(.journal, "  of which: open and identify the journal (WAL, schema version)", parts[0])
    add(.journal, "  of which: open, one run row, commit (fsync), close", parts[1])
    // SHA-256 of the example market data (the first run of a file; later runs reuse the cached hash).
    let files = (try FileManager.default.contentsOfDirectory(atPath: paths.root + "/examples/market")).sorted().map {
      paths.root + "/examples/market/" + $0
    }
    let contents = try files.map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: $0))) }
    let bytes = contents.reduce(0) { $0 + $1.count }
    let hash = measure(policy, sink: &sink) {
      var n = 0
      for c in contents { n += SHA256.hex(c).count }
      return Double(n)
    }
    add(
      .journal, "SHA-256 of examples/market (\(files.count) files)", hash,
      note: "\(Int((Double(bytes) / hash.median / 1e6).rounded())) MB/s; paid once per changed file (a stat-keyed cache)")
    try batch(dir: dir, report: report, start: start)
  }

  /// The 100,000-order batch of the 50-stock book, checked and rendered as JSON Lines, with and
  /// without writing every order in one transaction.
  mutating func batch(dir: String, report: String, start: Journal.RunStart) throws {
    let (market, valuation, profile, orders, symbols, asOf) = try bookBatch()
    var model = RiskModel(valuation: valuation, market: market)
    _ = try model.covariance(profile, including: symbols)
    for s in symbols { _ = try model.stats(s, profile) }
    let warmed = model
    var counter = 0
    let results = try measureInterleaved(
      policy, sink: &sink,
      [
        {
          var checker = PreTradeChecker(model: warmed, profile: profile)
          var bytes = 0
          for (i, o) in orders.enumerated() {
            bytes +=
              CheckRenderer.jsonLine(checker.check(o), strict: false, regime: "normal", asOf: asOf, index: i + 1).utf8.count
          }
          return Double(bytes)
        },
        {
          counter += 1
          let path = dir + "/batch-\(counter).sqlite"
          guard let j = try Journal.open(path) else { return 0 }
          try j.begin()
          let id = try j.insertRun(start)
          var checker = PreTradeChecker(model: warmed, profile: profile)
          var bytes = 0
          for (i, o) in orders.enumerated() {
            let r = checker.check(o)
            let line = CheckRenderer.jsonLine(r, strict: false, regime: "normal", asOf: asOf, index: i + 1)
            bytes += line.utf8.count
            var row = Journal.OrderRow(
              index: i + 1, result: r.passed(strict: false) ? "pass" : "fail",
              codes: " " + r.findings.map(\.code.rawValue).joined(separator: " ") + " ", report: line)
            row.clientOrderID = r.clientOrderID
            row.instrument = r.order?.symbol
            row.quantity = r.order?.quantity
            try j.insertOrder(run: id, row)
          }
          try j.finishRun(id, Journal.RunEnd(finishedAt: "2024-08-21T10:00:01.000Z", result: "pass", exitCode: 0))
          try j.commit()
          for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
          return Double(bytes)
        },
      ])
    // The same rows written without the checks, to separate the journal's own cost.
    let lines = {
      var checker = PreTradeChecker(model: warmed, profile: profile)
      return orders.enumerated().map { (i, o) in
        CheckRenderer.jsonLine(checker.check(o), strict: false, regime: "normal", asOf: asOf, index: i + 1)
      }
    }()
    let writes = try measureInterleaved(
      policy, sink: &sink,
      [
        {
          counter += 1
          let path = dir + "/rows-\(counter).sqlite"
          guard let j = try Journal.open(path) else { return 0 }
          try j.begin()
          let id = try j.insertRun(start)
          for (i, line) in lines.enumerated() {
            try j.insertOrder(run: id, Journal.OrderRow(index: i + 1, result: "pass", codes: " A B C ", report: line))
          }
          j.rollback()
          for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
          return 0
        },
        {
          counter += 1
          let path = dir + "/rows-\(counter).sqlite"
          guard let j = try Journal.open(path) else { return 0 }
          try j.begin()
          let id = try j.insertRun(start)
          for (i, line) in lines.enumerated() {
            try j.insertOrder(run: id, Journal.OrderRow(index: i + 1, result: "pass", codes: " A B C ", report: line))
          }
          try j.commit()
          for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
          return 0
        },
      ])
    let mb = Double(lines.reduce(0) { $0 + $1.utf8.count }) / 1e6
    add(.journal, "  100,000 order rows inserted, rolled back", writes[0], note: "\(Int(mb.rounded())) MB of JSON")
    add(.journal, "  100,000 order rows inserted, committed (fsync, checkpoint)", writes[1])
    add(.journal, "check \(orders.count) orders + JSON Lines, no journal", results[0])
    add(
      .journal, "check \(orders.count) orders + JSON Lines, journaled in one transaction", results[1],
      baseline: ("no journal", results[0]), note: "target ≤ 1.5×")
  }
}
