import Foundation
import RiskCore
import Testing

@testable import AdvisorJournal

func temporaryDirectory() -> String {
  let d = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-journal-test-\(UUID().uuidString)").path
  try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
  return d
}

func start(_ command: String = "check") -> Journal.RunStart {
  Journal.RunStart(
    command: command, argv: ["advisor", command], startedAt: "2024-03-03T10:00:00.000Z", cwd: "/", user: "test", host: "h",
    pid: 1, format: "text")
}

@Suite("The journal: SQLite file, schema, migrations, refusals")
struct JournalTests {
  @Test("SHA-256 of the NIST example messages")
  func sha256() {
    #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    // A million 'a's, fed in uneven pieces across block boundaries.
    var h = SHA256()
    let a = [UInt8](repeating: 0x61, count: 1_000_000)
    var i = 0
    var piece = 1
    while i < a.count {
      let n = min(piece, a.count - i)
      a[i..<(i + n)].withUnsafeBytes { h.update($0) }
      i += n
      piece = piece * 3 % 1_000 + 1
    }
    #expect(h.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  @Test("a new journal: WAL mode, the application id, the current schema; a run round-trips")
  func create() throws {
    let dir = temporaryDirectory()
    let path = dir + "/j.sqlite"
    let j = try #require(try Journal.open(path))
    #expect(j.version == Journal.schemaVersion)
    #expect(try j.db.scalarInt("PRAGMA application_id") == Int64(Journal.applicationID))
    #expect(try j.journalMode() == "wal")
    try j.begin()
    let id = try j.insertRun(start())
    try j.insertSnapshot(
      run: id,
      .init(
        account: "A (USD)", baseCurrency: "USD", asOf: "2024-03-03", equity: 100, aum: 120, gross: 80, net: 40, positions: "[]"))
    var row = Journal.OrderRow(index: 1, result: "pass", codes: " LOT_SIZE_OK ", report: "{\"index\":1}")
    row.instrument = "BTC"
    try j.insertOrder(run: id, row)
    var end = Journal.RunEnd(finishedAt: "2024-03-03T10:00:01.000Z", result: "pass", exitCode: 0)
    end.output = "done\n"
    try j.finishRun(id, end)
    try j.commit()
    let r = try Journal.open(path, readOnly: true)
    let runs = try #require(r).runs(Journal.Filter())
    #expect(runs.count == 1 && runs[0].orders == 1 && runs[0].result == "pass")
    var printed = ""
    try r?.printedOutput(id) { printed += $0 }
    #expect(printed == "{\"index\":1}\ndone\n")
    let record = try #require(r).record(account: "A (USD)")
    #expect(record.equity.map(\.equity) == [100])
    var f = Journal.Filter()
    f.code = "LOT_SIZE_OK"
    #expect(try r?.runs(f).count == 1)
    f.code = "LOT_SIZE"
    #expect(try r?.runs(f).count == 0, "a code filter matches whole codes only")
  }

  @Test("runs each on a new connection, as processes make them: the WAL stays near 2 MiB, not the sum of the runs")
  func walStaysBounded() throws {
    let path = temporaryDirectory() + "/wal.sqlite"
    // 40 runs of about 200 KB each: 8 MB of WAL if no connection cut it back.
    let output = String(repeating: "0123456789", count: 20_000)
    var largest = 0
    for k in 0..<40 {
      try recordRun(path, output: output, at: k)
      var st = stat()
      if stat(path + "-wal", &st) == 0 { largest = max(largest, Int(st.st_size)) }
    }
    #expect(largest > 0)
    #expect(largest < 2 * 1_048_576 + 512 * 1_024, "the WAL reached \(largest) bytes")
    let runs = try #require(try Journal.open(path, readOnly: true)).runs(Journal.Filter())
    #expect(runs.count == 40)
  }

  /// One run on its own connection, closed when it returns.
  private func recordRun(_ path: String, output: String, at k: Int) throws {
    let j = try #require(try Journal.open(path))
    try j.begin()
    let id = try j.insertRun(start())
    var end = Journal.RunEnd(finishedAt: "2024-03-03T10:00:\(10 + k).000Z", result: "pass", exitCode: 0)
    end.output = output
    try j.finishRun(id, end)
    try j.commit()
  }

  @Test("a journal of schema 1 is upgraded in place, keeping its records")
  func migrate() throws {
    let path = temporaryDirectory() + "/old.sqlite"
    let old = try #require(try Journal.open(path, schema: 1))
    #expect(old.version == 1)
    try old.begin()
    let id = try old.insertRun(start("size"))
    try old.commit()
    old.db.close()
    let j = try #require(try Journal.open(path))
    #expect(j.version == Journal.schemaVersion)
    #expect(try j.run(id)?.command == "size")
    #expect(try j.db.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name = 'file_hashes'") == 1)
  }

  @Test("a journal of a newer schema is refused with a clear message and left unchanged")
  func newer() throws {
    let path = temporaryDirectory() + "/new.sqlite"
    let j = try #require(try Journal.open(path))
    try j.db.execute("PRAGMA user_version=\(Journal.schemaVersion + 7)")
    j.db.close()
    func bytes() throws -> [Data] {
      try ["", "-wal"].map { try Data(contentsOf: URL(fileURLWithPath: path + $0)) }
    }
    let before = try bytes()
    for readOnly in [false, true] {
      #expect {
        _ = try Journal.open(path, readOnly: readOnly)
      } throws: { e in
        let d = "\(e)"
        return d.hasPrefix("journal \(path): ") && d.contains("newer advisor") && !d.contains("\n")
      }
    }
    #expect(try bytes() == before)
  }

  @Test("a corrupt or foreign file at the journal path is refused, never overwritten")
  func foreign() throws {
    let dir = temporaryDirectory()
    let garbage = dir + "/garbage.sqlite"
    let bytes = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
    try bytes.write(to: URL(fileURLWithPath: garbage))
    #expect {
      _ = try Journal.open(garbage)
    } throws: { "\($0)".contains("not an SQLite database") && "\($0)".contains(garbage) }
    #expect(try Data(contentsOf: URL(fileURLWithPath: garbage)) == bytes)

    let other = dir + "/other.sqlite"
    let c = try SQLiteConnection(path: other, readOnly: false, create: true)
    try c.execute("CREATE TABLE invoices(id INTEGER PRIMARY KEY, amount REAL); INSERT INTO invoices VALUES (1, 9.5);")
    c.close()
    let otherBytes = try Data(contentsOf: URL(fileURLWithPath: other))
    #expect {
      _ = try Journal.open(other)
    } throws: { "\($0)".contains("not an advisor journal") }
    #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == otherBytes)

    // A directory, and a path whose directory does not exist.
    #expect { _ = try Journal.open(dir) } throws: { "\($0)".contains("not a regular file") }
    #expect {
      _ = try Journal.open(dir + "/missing/j.sqlite")
    } throws: { "\($0)".contains("does not exist") && "\($0)".contains(dir + "/missing/j.sqlite") }
    // Read-only openings of a missing journal find no history and create nothing.
    #expect(try Journal.open(dir + "/none.sqlite", readOnly: true) == nil)
    #expect(!FileManager.default.fileExists(atPath: dir + "/none.sqlite"))
  }

  @Test("a full disk is a one-line error naming the path, and the transaction leaves nothing")
  func full() throws {
    let path = temporaryDirectory() + "/full.sqlite"
    let j = try #require(try Journal.open(path))
    // SQLite's own page limit gives the error a full disk gives (SQLITE_FULL).
    let pages = try j.db.scalarInt("PRAGMA page_count") ?? 0
    try j.db.execute("PRAGMA max_page_count=\(pages + 3)")
    try j.begin()
    let id = try j.insertRun(start())
    #expect {
      for i in 1...200 {
        try j.insertOrder(
          run: id, Journal.OrderRow(index: i, result: "pass", codes: " ", report: String(repeating: "x", count: 4000)))
      }
    } throws: { e in
      let d = "\(e)"
      return d.hasPrefix("journal \(path): ") && d.contains("full") && !d.contains("\n")
    }
    j.rollback()
    #expect(try j.runs(Journal.Filter()).isEmpty)
  }

  @Test("the equity curve: the last snapshot of each date, the high-water mark and the drawdown")
  func curve() throws {
    let path = temporaryDirectory() + "/curve.sqlite"
    let j = try #require(try Journal.open(path))
    try j.begin()
    let id = try j.insertRun(start())
    for (d, e) in [("2024-03-01", 100.0), ("2024-03-02", 120), ("2024-03-02", 110), ("2024-03-03", 99)] {
      try j.insertSnapshot(
        run: id, .init(account: "A (USD)", baseCurrency: "USD", asOf: d, equity: e, aum: e, gross: 0, net: 0, positions: "[]"))
    }
    try j.commit()
    let c = try j.equityCurve()
    #expect(c.map(\.equity) == [100, 110, 99])
    #expect(c.map(\.highWaterMark) == [100, 110, 110])
    #expect(abs(c[2].drawdown - 0.1) < 1e-12)
    #expect(c[1].snapshots == 2)
  }
}
