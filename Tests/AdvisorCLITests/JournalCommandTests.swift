import AdvisorJournal
import Foundation
import RiskCore
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A fresh directory under the system temporary directory (never the repository).
func scratchDirectory() -> String {
  let d = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-cli-\(UUID().uuidString)").path
  try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
  return d
}

/// A batch of `n` orders with unique client order ids (prefix + index), some passing, some not.
func ordersCSV(_ n: Int, prefix: String) -> String {
  let rows = [
    ("BTC", "0.0001", "52000"), ("AAPL", "1", "200"), ("ETH", "0.001", "2300"), ("MSFT", "1", "390"), ("BTC", "50", "52000"),
  ]
  var s = "client_order_id,instrument,side,quantity,price,stop\n"
  for i in 0..<n {
    let (sym, q, stop) = rows[i % rows.count]
    s += "\(prefix)\(i),\(sym),buy,\(q),,\(stop)\n"
  }
  return s
}

final class Collected: @unchecked Sendable {
  let lock = NSLock()
  var results: [RunResult] = []
  func add(_ r: RunResult) {
    lock.lock()
    results.append(r)
    lock.unlock()
  }
}

/// The journal's run id from a run's standard error (`journal: run N recorded in PATH`).
func journalRun(_ r: RunResult) -> Int64? {
  guard let line = r.stderr.split(separator: "\n").first(where: { $0.hasPrefix("journal: run ") }) else { return nil }
  return Int64(line.dropFirst("journal: run ".count).prefix { $0.isNumber })
}

@Suite("The journal, end to end", .serialized)
struct JournalCommandTests {
  static let single = [
    "check", "--instrument", "BTC", "--side", "buy", "--quantity", "0.25", "--stop", "52600", "--regime", "volatile",
  ]

  @Test("journal --help and state --help document the exit codes", arguments: [["journal", "--help"], ["state", "--help"]])
  func helpExitCodes(arguments: [String]) throws {
    let r = try runAdvisor(arguments)
    #expect(r.status == 0)
    #expect(r.stdout.contains("Exit codes: 0 ran; 2 could not run"))
    #expect(!r.stdout.contains("(Function)"))
  }

  @Test("recording changes no output: journaled and --no-journal print the same bytes; show prints them again")
  func recordingChangesNothing() throws {
    let dir = scratchDirectory()
    let journal = dir + "/j.sqlite"
    let commands: [[String]] = [
      ["size", "--instrument", "BTC", "--regime", "volatile"],
      ["size", "--instrument", "GC", "--side", "short", "--regime", "normal", "--format", "json"],
      Self.single,
      Self.single + ["--format", "json"],
      ["check", "--orders", "Tests/Fixtures/orders/all_codes.csv"],
      ["check", "--orders", "Tests/Fixtures/orders/all_codes.csv", "--format", "json"],
      ["budget", "--format", "json"],
      ["whatif", "--scenario", "examples/scenarios/crypto-crash.yaml"],
    ]
    for (i, args) in commands.enumerated() {
      // The first run into a fresh journal prints what a run without one prints, byte for byte.
      let fresh = dir + "/fresh-\(i).sqlite"
      let recorded = try runAdvisor(args, environment: ["ADVISOR_JOURNAL": fresh])
      let plain = try runAdvisor(args + ["--no-journal"], environment: ["ADVISOR_JOURNAL": dir + "/none.sqlite"])
      #expect(recorded.stdout == plain.stdout, "\(args): the journal changed the output")
      #expect(recorded.status == plain.status)
      let id = try #require(journalRun(recorded), "\(args): \(recorded.stderr)")
      #expect(recorded.stderr.contains("journal: run \(id) recorded in \(fresh)"))
      #expect(journalRun(plain) == nil, "--no-journal recorded a run")
      #expect(!FileManager.default.fileExists(atPath: dir + "/none.sqlite"), "--no-journal created a journal")
      let shown = try runAdvisor(["journal", "show", "\(id)"], environment: ["ADVISOR_JOURNAL": fresh])
      #expect(shown.status == 0, "\(shown.stderr)")
      #expect(shown.stdout == recorded.stdout, "\(args): journal show \(id) differs from what was printed")
      // The same command into one shared journal, for the queries below.
      let again = try runAdvisor(args, environment: ["ADVISOR_JOURNAL": journal])
      #expect(journalRun(again) == Int64(i + 1))
      let show = try runAdvisor(["journal", "show", "\(i + 1)"], environment: ["ADVISOR_JOURNAL": journal])
      #expect(show.stdout == again.stdout)
    }
    // One run per command above; --no-journal wrote nothing.
    let list = try runAdvisor(["journal", "list", "--format", "json"], environment: ["ADVISOR_JOURNAL": journal])
    let runs = list.stdout.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    #expect(runs.count == commands.count)
    // Each run names its as-of date, regime, profile and the hash of every input file.
    let size = try #require(runs.first)
    #expect(size["asOf"] as? String == "2024-08-21")
    #expect(size["regime"] as? String == "volatile")
    #expect(size["profile"] as? String == "profiles/volatile.yaml")
    let inputs = size["inputs"] as? [[String: Any]] ?? []
    let account = inputs.first { $0["path"] as? String == "examples/account.yaml" }
    let hash = try #require(account?["sha256"] as? String)
    let bytes = try [UInt8](Data(contentsOf: repositoryRoot.appendingPathComponent("examples/account.yaml")))
    #expect(hash == SHA256.hex(bytes))
    #expect(inputs.contains { ($0["path"] as? String)?.hasPrefix("examples/market/") == true })
    #expect(inputs.contains { $0["path"] as? String == "profiles/volatile.yaml" })
    // The check batch: every order with every finding code, filterable.
    let codes = try runAdvisor(
      ["journal", "list", "--orders", "--code", "RISK_BUDGET_EXCEEDED", "--format", "csv"],
      environment: ["ADVISOR_JOURNAL": journal])
    let perBatch = try String(
      contentsOf: repositoryRoot.appendingPathComponent("Tests/AdvisorCLITests/Golden/check-all-codes.jsonl"), encoding: .utf8
    ).split(separator: "\n").filter { $0.contains("\"RISK_BUDGET_EXCEEDED\"") }.count
    #expect(perBatch > 0)
    #expect(codes.stdout.split(separator: "\n").count == 1 + 2 * perBatch, "\(codes.stdout)")
    let equity = try runAdvisor(["journal", "equity", "--format", "csv"], environment: ["ADVISOR_JOURNAL": journal])
    #expect(equity.stdout.contains("Example multi-asset book (USD),2024-08-21,895955.19871139"), "\(equity.stdout)")
    let export = try runAdvisor(
      ["journal", "export", "--table", "orders", "--format", "jsonl"], environment: ["ADVISOR_JOURNAL": journal])
    #expect(export.status == 0)
    #expect(export.stdout.split(separator: "\n").count == 2 + 17 + 17)
  }

  @Test("a journal that cannot be used: check fails every order closed (exit 1), size exits 2; the file is never changed")
  func failsClosed() throws {
    let dir = scratchDirectory()
    let corrupt = dir + "/corrupt.sqlite"
    let bytes = Data(String(repeating: "not a database ", count: 500).utf8)
    try bytes.write(to: URL(fileURLWithPath: corrupt))
    let missing = dir + "/no/such/dir/j.sqlite"
    for path in [corrupt, missing] {
      let c = try runAdvisor(["check", "--orders", "examples/orders/batch.csv"], environment: ["ADVISOR_JOURNAL": path])
      #expect(c.status == 1, "\(c.stderr)")
      let fails = c.stdout.split(separator: "\n").filter { $0.contains("FAIL  JOURNAL_UNAVAILABLE") }
      #expect(fails.count == 5, "\(c.stdout)")
      #expect(!c.stdout.contains("→  PASS"))
      let s = try runAdvisor(["size", "--instrument", "BTC"], environment: ["ADVISOR_JOURNAL": path])
      #expect(s.status == 2)
      #expect(s.stdout.isEmpty)
      #expect(s.stderr.hasPrefix("Error: journal \(path): ") && s.stderr.split(separator: "\n").count == 1, "\(s.stderr)")
      // --no-journal still reads the configured journal: it cannot lift a halt by ignoring a broken one.
      let n = try runAdvisor(Self.single + ["--no-journal"], environment: ["ADVISOR_JOURNAL": path])
      #expect(n.status == 1 && n.stdout.contains("JOURNAL_UNAVAILABLE") || path == missing, "\(n.stdout)")
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: corrupt)) == bytes)
    #expect(!FileManager.default.fileExists(atPath: missing))
  }

  @Test("a read-only journal: check fails closed naming the path, the journal keeps its runs")
  func readOnly() throws {
    let dir = scratchDirectory()
    let path = dir + "/ro.sqlite"
    let first = try runAdvisor(Self.single, environment: ["ADVISOR_JOURNAL": path])
    #expect(first.status == 0, "\(first.stderr)")
    // Root ignores file modes: run as nobody (the file stays root's, 0644), else drop the write bit.
    var prefix: [String] = []
    if getuid() == 0 {
      guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
      chmod(dir, 0o755)
      prefix = ["--reuid=65534", "--regid=65534", "--clear-groups", advisorBinary.path]
    } else {
      chmod(path, 0o444)
      chmod(dir, 0o555)
    }
    defer { chmod(dir, 0o755) }
    let args = prefix + Self.single
    let r = try runAdvisor(
      args, environment: ["ADVISOR_JOURNAL": path], executable: prefix.isEmpty ? nil : "/usr/bin/setpriv")
    #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
    #expect(r.stdout.contains("JOURNAL_UNAVAILABLE") && r.stdout.contains(path), "\(r.stdout)")
    let list = try runAdvisor(["journal", "list", "--format", "csv"], environment: ["ADVISOR_JOURNAL": path])
    #expect(list.stdout.split(separator: "\n").count == 2, "\(list.stdout)")
  }

  @Test(
    "a full disk: the order fails closed, the journal holds only whole runs",
    .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/mount")))
  func fullDisk() throws {
    let dir = scratchDirectory()
    guard mount("tmpfs", dir, "tmpfs", 0, "size=512k") == 0 else { return }
    defer { umount(dir) }
    let path = dir + "/j.sqlite"
    let first = try runAdvisor(Self.single, environment: ["ADVISOR_JOURNAL": path])
    #expect(first.status == 0, "\(first.stderr)")
    let orders = dir + "/../orders-\(UUID().uuidString).csv"
    try ordersCSV(2_000, prefix: "f").write(toFile: orders, atomically: true, encoding: .utf8)
    let big = try runAdvisor(["check", "--orders", orders], environment: ["ADVISOR_JOURNAL": path])
    #expect(big.status == 1)
    #expect(big.stdout.contains("JOURNAL_UNAVAILABLE"), "\(String(big.stdout.suffix(500)))")
    #expect(big.stderr.contains(path) && big.stderr.contains("full"), "\(big.stderr)")
    let list = try runAdvisor(["journal", "list", "--format", "csv"], environment: ["ADVISOR_JOURNAL": path])
    #expect(list.stdout.split(separator: "\n").count == 2, "\(list.stdout)")
  }

  @Test("8 processes × 500 checks against one journal: every order recorded exactly once")
  func concurrent() throws {
    let dir = scratchDirectory()
    let journal = dir + "/shared.sqlite"
    let collected = Collected()
    let files = (0..<8).map { dir + "/orders-\($0).csv" }
    for (w, f) in files.enumerated() { try ordersCSV(500, prefix: "w\(w)-").write(toFile: f, atomically: true, encoding: .utf8) }
    DispatchQueue.concurrentPerform(iterations: 16) { i in
      // 8 batches of 500, and 8 scripts of 5 single checks each, at once.
      if i < 8 {
        if let r = try? runAdvisor(
          ["check", "--orders", files[i], "--format", "json"], environment: ["ADVISOR_JOURNAL": journal])
        {
          collected.add(r)
        }
      } else {
        for k in 0..<5 {
          if let r = try? runAdvisor(Self.single, environment: ["ADVISOR_JOURNAL": journal, "RUN": "\(i)-\(k)"]) {
            collected.add(r)
          }
        }
      }
    }
    #expect(collected.results.count == 48)
    for r in collected.results {
      #expect(r.status == 0 || r.status == 1, "\(r.stderr)")
      #expect(!r.stdout.contains("JOURNAL_UNAVAILABLE"), "\(r.stderr)")
      #expect(journalRun(r) != nil, "\(r.stderr)")
    }
    let j = try #require(try Journal.open(journal, readOnly: true))
    let orders = try j.orders()
    #expect(orders.count == 8 * 500 + 8 * 5)
    var seen: [String: Int] = [:]
    for o in orders where o.clientOrderID != nil { seen[o.clientOrderID ?? "", default: 0] += 1 }
    #expect(seen.count == 4000)
    #expect(seen.values.allSatisfy { $0 == 1 })
    let runs = try j.runs(Journal.Filter())
    #expect(runs.count == 48)
    #expect(Set(runs.map(\.id)).count == 48)
    #expect(runs.allSatisfy { $0.finishedAt != nil })
    // Each batch's orders are its 500, in order.
    for r in runs where r.orders == 500 {
      let mine = try j.orders(run: r.id)
      #expect(mine.map(\.index) == Array(1...500))
    }
  }

  @Test("a process killed (SIGKILL) in the middle of a batch leaves a journal that opens and holds whole runs only")
  func killed() throws {
    let dir = scratchDirectory()
    let journal = dir + "/k.sqlite"
    let first = try runAdvisor(["check", "--orders", "examples/orders/batch.csv"], environment: ["ADVISOR_JOURNAL": journal])
    #expect(journalRun(first) == 1)
    let orders = dir + "/big.csv"
    try ordersCSV(40_000, prefix: "k").write(toFile: orders, atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = advisorBinary
    p.arguments = ["check", "--orders", orders]
    p.currentDirectoryURL = repositoryRoot
    var env = ProcessInfo.processInfo.environment
    env["ADVISOR_JOURNAL"] = journal
    p.environment = env
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    // Wait until the batch is writing (its transaction has spilled pages into the WAL).
    let wal = journal + "-wal"
    let deadline = Date().addingTimeInterval(60)
    var size = 0
    while Date() < deadline && p.isRunning {
      size = ((try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? Int) ?? 0
      if size > 2_000_000 { break }
      usleep(20_000)
    }
    #expect(p.isRunning, "the batch finished before it could be killed")
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    #expect(p.terminationReason == .uncaughtSignal)
    #expect(size > 2_000_000)
    // The journal opens (its WAL is rolled back), holds the first run whole, and nothing of the killed one.
    let j = try #require(try Journal.open(journal))
    #expect(try j.integrityCheck())
    let runs = try j.runs(Journal.Filter())
    #expect(runs.map(\.id) == [1])
    #expect(runs.first?.orders == 5)
    #expect(try j.orders().count == 5)
    // And it is usable: the next run is recorded.
    let next = try runAdvisor(Self.single, environment: ["ADVISOR_JOURNAL": journal])
    #expect(journalRun(next) != nil)
  }
}

@Suite("Risk state from the journal, end to end", .serialized)
struct RiskStateCommandTests {
  static let account = "Example multi-asset book (USD)"

  /// The example account's equity at 2024-08-21, as the commands value it.
  static func equity() throws -> Double {
    let r = try runAdvisor(["state", "--format", "json"], environment: ["ADVISOR_JOURNAL": scratchDirectory() + "/e.sqlite"])
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
    return try #require(doc["equity"] as? Double)
  }

  /// A journal holding the given dated equity snapshots of the example account.
  static func journal(_ points: [(String, Double)]) throws -> String {
    let path = scratchDirectory() + "/history.sqlite"
    let j = try #require(try Journal.open(path))
    try j.begin()
    let id = try j.insertRun(
      Journal.RunStart(
        command: "check", argv: ["advisor"], startedAt: "2024-08-01T00:00:00.000Z", cwd: "/", user: "test", host: "h", pid: 1,
        format: "text"))
    for (d, e) in points {
      try j.insertSnapshot(
        run: id, .init(account: account, baseCurrency: "USD", asOf: d, equity: e, aum: e, gross: 0, net: 0, positions: "[]"))
    }
    try j.commit()
    return path
  }

  @Test("a 25% drawdown in the journal: HALTED inside the cooldown; after it ACTIVE with the equity base cut twice")
  func drawdown() throws {
    let e = try Self.equity()
    let order = [
      "check", "--instrument", "BTC", "--side", "buy", "--quantity", "0.25", "--stop", "52600", "--regime", "volatile",
    ]
    // Peak on 08-01, the 25% drop on 08-18: HALTED (drawdown 25% ≥ 20%, and a 25% daily loss) until 08-23.
    let halted = try Self.journal([("2024-08-01", e / 0.75), ("2024-08-18", e)])
    let c = try runAdvisor(order, environment: ["ADVISOR_JOURNAL": halted])
    #expect(c.status == 1)
    #expect(c.stdout.contains("FAIL  TRADING_STATE_HALTED"), "\(c.stdout)")
    #expect(c.stdout.contains("until=2024-08-2"), "\(c.stdout)")
    let s = try runAdvisor(["size", "--instrument", "BTC", "--format", "json"], environment: ["ADVISOR_JOURNAL": halted])
    #expect(s.status == 1)
    let blocked = try #require(try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any], "\(s.stderr)")
    #expect(blocked["blocked"] as? String == "TRADING_STATE_HALTED")
    #expect(blocked["recommendation"] is NSNull)
    let st = try runAdvisor(["state", "--format", "json"], environment: ["ADVISOR_JOURNAL": halted])
    let state = try #require(try JSONSerialization.jsonObject(with: Data(st.stdout.utf8)) as? [String: Any])
    #expect(state["state"] as? String == "halted")
    #expect((state["transitions"] as? [[String: Any]])?.map { $0["to"] as? String } == ["halted"])

    // The same drop on 08-10: the 5-day cooldown is over on 08-21, ACTIVE again, but the base is cut:
    // 25% below the high-water mark is 2 full steps of 10%, so the volatile base is equity × 0.75².
    let later = try Self.journal([("2024-08-01", e / 0.75), ("2024-08-10", e)])
    let st2 = try runAdvisor(["state", "--regime", "volatile", "--format", "json"], environment: ["ADVISOR_JOURNAL": later])
    let active = try #require(try JSONSerialization.jsonObject(with: Data(st2.stdout.utf8)) as? [String: Any])
    #expect(active["state"] as? String == "active")
    #expect((active["transitions"] as? [[String: Any]])?.compactMap { $0["to"] as? String } == ["halted", "active"])
    let base = try #require((active["equityBase"] as? [String: Any])?["value"] as? Double)
    #expect(abs(base - e * 0.75 * 0.75) < 1e-6 * e)
    let size = try runAdvisor(
      ["size", "--instrument", "BTC", "--regime", "volatile", "--format", "json"], environment: ["ADVISOR_JOURNAL": later])
    let sized = try #require(try JSONSerialization.jsonObject(with: Data(size.stdout.utf8)) as? [String: Any], "\(size.stderr)")
    let eb = try #require(sized["equityBase"] as? [String: Any])
    #expect(eb["steps"] as? Int == 2)
    #expect(abs((eb["value"] as? Double ?? 0) - e * 0.5625) < 1e-6 * e)
    let steps = sized["steps"] as? [[String: Any]] ?? []
    #expect(steps.first?["id"] as? String == "equity-base")
    // The risk budget is read from the cut base: 0.25 BTC no longer passes, and the run says why.
    let c2 = try runAdvisor(order, environment: ["ADVISOR_JOURNAL": later])
    #expect(c2.status == 1)
    #expect(c2.stdout.contains("FAIL  RISK_BUDGET_EXCEEDED"), "\(c2.stdout)")
    #expect(c2.stdout.contains("limit=\(CheckRendererFormat.number(e * 0.5625 * 0.005 * 0.5))"), "\(c2.stdout)")
    // Without the journal the same order passes: the base is the history's doing, nothing else.
    let plain = try runAdvisor(order + ["--no-journal"], environment: ["ADVISOR_JOURNAL": scratchDirectory() + "/none.sqlite"])
    #expect(plain.status == 0)
  }

  @Test("REDUCING: an order that adds fails, one that reduces passes; size offers only the close-out")
  func reducing() throws {
    let e = try Self.equity()
    // A slide of 15% in small daily steps (no daily-loss breaker), REDUCING from 12% (normal profile).
    let days = ["2024-08-12", "2024-08-13", "2024-08-14", "2024-08-15", "2024-08-16", "2024-08-19", "2024-08-20"]
    let levels = [0.85, 0.87, 0.89, 0.91, 0.93, 0.95, 0.97]
    let j = try Self.journal(zip(days, levels).map { ($0, e / $1) })
    let add = try runAdvisor(
      ["check", "--instrument", "BTC", "--side", "buy", "--quantity", "0.01", "--stop", "52600"],
      environment: ["ADVISOR_JOURNAL": j])
    #expect(add.status == 1)
    #expect(add.stdout.contains("FAIL  TRADING_STATE_REDUCING"), "\(add.stdout)")
    // The account is short 100 TSLA: buying 50 only reduces it.
    let reduce = try runAdvisor(
      ["check", "--instrument", "TSLA", "--side", "buy", "--quantity", "50"], environment: ["ADVISOR_JOURNAL": j])
    #expect(reduce.status == 0, "\(reduce.stdout)")
    #expect(reduce.stdout.contains("PASS  TRADING_STATE_REDUCING"), "\(reduce.stdout)")
    let blocked = try runAdvisor(["size", "--instrument", "BTC"], environment: ["ADVISOR_JOURNAL": j])
    #expect(blocked.status == 1)
    #expect(blocked.stdout.contains("TRADING_STATE_REDUCING"))
    let closeOut = try runAdvisor(
      ["size", "--instrument", "TSLA", "--side", "long", "--format", "json"], environment: ["ADVISOR_JOURNAL": j])
    #expect(closeOut.status == 0, "\(closeOut.stderr)")
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(closeOut.stdout.utf8)) as? [String: Any])
    #expect((doc["recommendation"] as? [String: Any])?["quantity"] as? Double == 100)
    #expect(doc["tradingState"] as? String == "reducing")
    // Set ACTIVE by hand: the breakers re-arm, the order that adds is judged by the limits again.
    let set = try runAdvisor(
      ["state", "set", "active", "--reason", "reviewed the slide"],
      environment: ["ADVISOR_JOURNAL": j, "ADVISOR_USER": "risk-officer"])
    #expect(set.status == 0, "\(set.stderr)")
    #expect(set.stdout.contains("by risk-officer"))
    let again = try runAdvisor(
      ["check", "--instrument", "BTC", "--side", "buy", "--quantity", "0.01", "--stop", "52600"],
      environment: ["ADVISOR_JOURNAL": j])
    #expect(!again.stdout.contains("TRADING_STATE_REDUCING"), "\(again.stdout)")
    // And HALTED by hand holds whatever the as-of date.
    _ = try runAdvisor(["state", "set", "halted", "--reason", "kill switch"], environment: ["ADVISOR_JOURNAL": j])
    let old = try runAdvisor(
      ["check", "--instrument", "TSLA", "--side", "buy", "--quantity", "100", "--as-of", "2024-06-28"],
      environment: ["ADVISOR_JOURNAL": j])
    #expect(old.status == 1)
    #expect(old.stdout.contains("TRADING_STATE_HALTED") && old.stdout.contains("kill switch"), "\(old.stdout)")
  }
}

/// The number format of `advisor check`'s text context (`limit=…`).
enum CheckRendererFormat {
  static func number(_ x: Double) -> String {
    if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
    let d = abs(x) >= 1000 ? 2 : abs(x) >= 1 ? 6 : 8
    var s = String(format: "%.\(d)f", x)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s
  }
}

@Suite("The trading-state codes in the golden files", .serialized)
struct TradingStateGoldenTests {
  @Test("a batch under HALTED, under REDUCING, and with an unusable journal: golden text and JSON Lines")
  func golden() throws {
    let e = try RiskStateCommandTests.equity()
    let halted = try RiskStateCommandTests.journal([("2024-08-01", e / 0.75), ("2024-08-18", e)])
    let days = ["2024-08-12", "2024-08-13", "2024-08-14", "2024-08-15", "2024-08-16", "2024-08-19", "2024-08-20"]
    let reducing = try RiskStateCommandTests.journal(zip(days, [0.85, 0.87, 0.89, 0.91, 0.93, 0.95, 0.97]).map { ($0, e / $1) })
    let batch = ["check", "--orders", "examples/orders/batch.csv"]
    for (name, journal, status) in [
      ("halted", halted, 1), ("reducing", reducing, 1), ("journal-unavailable", "Tests/Fixtures/journal/not-a-journal.sqlite", 1),
    ] {
      let text = try runAdvisor(batch + ["--no-journal"], environment: ["ADVISOR_JOURNAL": journal])
      #expect(text.status == Int32(status), "\(text.stderr)")
      try expectGolden(text.stdout, "check-state-\(name).txt")
      let jsonl = try runAdvisor(batch + ["--no-journal", "--format", "json"], environment: ["ADVISOR_JOURNAL": journal])
      try expectGolden(jsonl.stdout, "check-state-\(name).jsonl")
    }
  }
}
