import CSQLite
import RiskCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The journal: an embedded SQLite database of every run (`size`, `check`, `budget`,
/// `whatif`, `state set`), every order of a checked batch, every equity snapshot and every
/// trading state set by hand. See README, "The journal".
///
/// - One file, WAL mode, a busy timeout; a run is one `BEGIN IMMEDIATE` transaction that
///   reads the account's record, decides, and writes what it decided, so concurrent scripts
///   are serialised and a process killed mid-run leaves only whole runs.
/// - Identified by its SQLite `application_id`; its schema version is `user_version`,
///   upgraded by ``migrations`` in one transaction. A file that is not an SQLite database,
///   another program's database, or a journal of a newer schema is refused, never rewritten.
public final class Journal {
  /// "ADVJ": marks the file as an advisor journal.
  public static let applicationID: Int32 = 0x4144_564A
  /// The schema this advisor writes.
  public static var schemaVersion: Int { migrations.count }
  /// Each migration takes the schema from its index to its index + 1.
  static let migrations: [String] = [
    // 1: runs, the orders of a batch, equity snapshots, states set by hand.
    """
    CREATE TABLE runs(
      id INTEGER PRIMARY KEY,
      started_at TEXT NOT NULL,
      finished_at TEXT,
      command TEXT NOT NULL,
      argv TEXT NOT NULL,
      cwd TEXT,
      user TEXT,
      host TEXT,
      pid INTEGER,
      as_of TEXT,
      as_of_source TEXT,
      account TEXT,
      instrument TEXT,
      regime TEXT,
      regime_source TEXT,
      profile TEXT,
      inputs TEXT,
      trading_state TEXT,
      trading_state_reason TEXT,
      equity_base REAL,
      result TEXT,
      exit_code INTEGER,
      decision TEXT,
      format TEXT,
      output TEXT,
      report TEXT
    );
    CREATE TABLE orders(
      id INTEGER PRIMARY KEY,
      run_id INTEGER NOT NULL REFERENCES runs(id),
      idx INTEGER NOT NULL,
      client_order_id TEXT,
      line INTEGER,
      instrument TEXT,
      side TEXT,
      quantity REAL,
      price REAL,
      stop REAL,
      regime TEXT,
      result TEXT NOT NULL,
      codes TEXT NOT NULL,
      max_quantity REAL,
      report TEXT NOT NULL,
      output TEXT
    );
    CREATE UNIQUE INDEX orders_run_idx ON orders(run_id, idx);
    CREATE TABLE snapshots(
      id INTEGER PRIMARY KEY,
      run_id INTEGER NOT NULL REFERENCES runs(id),
      account TEXT NOT NULL,
      base_currency TEXT NOT NULL,
      as_of TEXT NOT NULL,
      equity REAL NOT NULL,
      aum REAL,
      gross REAL,
      net REAL,
      positions TEXT
    );
    CREATE TABLE state_events(
      id INTEGER PRIMARY KEY,
      run_id INTEGER REFERENCES runs(id),
      at TEXT NOT NULL,
      as_of TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('active', 'reducing', 'halted')),
      reason TEXT NOT NULL,
      actor TEXT NOT NULL,
      host TEXT,
      after_snapshot INTEGER NOT NULL DEFAULT 0
    );
    """,
    // 2: the content-hash cache, the indexes of the queries, and each day's equity (highest,
    // lowest, last snapshot), kept with every snapshot so the history reads in O(days).
    """
    CREATE TABLE file_hashes(
      real_path TEXT PRIMARY KEY,
      device INTEGER NOT NULL,
      inode INTEGER NOT NULL,
      size INTEGER NOT NULL,
      mtime_ns INTEGER NOT NULL,
      ctime_ns INTEGER NOT NULL,
      sha256 TEXT NOT NULL
    );
    CREATE INDEX runs_command ON runs(command, started_at);
    CREATE INDEX snapshots_account ON snapshots(account, as_of);
    CREATE TABLE equity_days(
      account TEXT NOT NULL,
      as_of TEXT NOT NULL,
      high REAL NOT NULL,
      low REAL NOT NULL,
      last REAL NOT NULL,
      last_id INTEGER NOT NULL,
      PRIMARY KEY (account, as_of)
    );
    INSERT INTO equity_days(account, as_of, high, low, last, last_id)
      SELECT account, as_of, max(equity), min(equity),
        (SELECT t.equity FROM snapshots t WHERE t.account = s.account AND t.as_of = s.as_of ORDER BY t.id DESC LIMIT 1), max(id)
      FROM snapshots s GROUP BY account, as_of;
    """,
  ]
  /// How long a run waits for another process's transaction before failing closed.
  public static let busyTimeoutMilliseconds: Int32 = 30_000

  public let path: String
  public let readOnly: Bool
  let db: SQLiteConnection
  private var inTransaction = false
  private var orderStatement: SQLiteStatement? = nil
  private var hashStatement: SQLiteStatement? = nil

  init(path: String, db: SQLiteConnection, readOnly: Bool) {
    self.path = path
    self.db = db
    self.readOnly = readOnly
  }

  /// Opens (creating it when missing, unless `readOnly`) and upgrades the journal.
  ///
  /// - Returns: nil when `readOnly` and the file does not exist (no history yet).
  /// - Throws: ``JournalError`` naming the path: a missing directory, a file that is not
  ///   an SQLite database or not a journal, a newer schema, a read-only file, a full disk.
  public static func open(
    _ path: String, readOnly: Bool = false, schema: Int? = nil, synchronousFull: Bool = true
  ) throws(JournalError) -> Journal? {
    guard !path.isEmpty else { throw JournalError(path: "''", "the path is empty.") }
    var st = stat()
    if stat(path, &st) == 0 {
      guard st.st_mode & S_IFMT == S_IFREG else {
        throw JournalError(path: path, "exists and is not a regular file; a journal is a file.")
      }
    } else {
      if readOnly { return nil }
      let dir = directory(of: path)
      var ds = stat()
      guard stat(dir, &ds) == 0, ds.st_mode & S_IFMT == S_IFDIR else {
        throw JournalError(path: path, "the directory \(dir) does not exist; create it or choose another journal path.")
      }
    }
    let db = try SQLiteConnection(path: path, readOnly: readOnly, create: !readOnly)
    db.busyTimeout(milliseconds: busyTimeoutMilliseconds)
    // Set before anything is read: a journal this advisor refuses is not even checkpointed.
    advisor_sqlite_checkpoint_on_close(db.handle, 0)
    let journal = Journal(path: path, db: db, readOnly: readOnly)
    try journal.identify(upgrade: !readOnly, to: schema ?? schemaVersion, synchronousFull: synchronousFull)
    journal.accepted = !readOnly
    return journal
  }

  /// The WAL size from which the closing connection checkpoints it: 128 pages of 16 KiB, the
  /// size at which a commit checkpoints it too (`wal_autocheckpoint`).
  ///
  /// Why at close: the first process to open the file rebuilds SQLite's index of the WAL by
  /// reading every frame in it, and forgets what earlier processes had checkpointed, so a WAL
  /// that no process closes was never cut back: it grew by every run (about 136 KB a `size`),
  /// and each run read it all at open and copied it all again at its commit's checkpoint
  /// (`size` journaled took 21 ms on a new journal, 26 ms after 130 runs, 47 ms after 600, on
  /// a 17 ms `--no-journal`). Closed with a checkpoint, the last connection copies the WAL into
  /// the file and deletes it; one run in about fifteen pays for that (a few fsyncs), and none
  /// reads more than about 2 MiB of WAL at open. Not while other connections have the file
  /// open: SQLite then leaves the WAL to the last of them.
  static let walBytesCheckpointedAtClose = 128 * 16_384

  /// Opened for writing and identified as a journal (a refused file is never checkpointed).
  private var accepted = false

  deinit {
    guard accepted, let handle = db.handle else { return }
    var st = stat()
    if stat(path + "-wal", &st) == 0, Int(st.st_size) >= Self.walBytesCheckpointedAtClose {
      advisor_sqlite_checkpoint_on_close(handle, 1)
    }
  }

  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let d = String(path[..<slash])
    return d.isEmpty ? "/" : d
  }

  /// Checks the file is an advisor journal of a schema this advisor reads, sets WAL mode and
  /// applies the missing migrations in one transaction.
  func identify(upgrade: Bool, to target: Int, synchronousFull: Bool = true) throws(JournalError) {
    // One statement, so one read transaction: read apart, the header of a file another process
    // is creating and its tables a moment later (that process's migrations committed) looked like
    // a database that is not a journal.
    let header = try db.prepare(
      "SELECT (SELECT page_count FROM pragma_page_count), (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema)"
    )
    _ = try header.step()
    let pages = header.int(0)
    let app = header.int(1)
    var version = Int(header.int(2))
    let tables = header.int(3)
    header.reset()
    if pages > 0 && app != Int64(Self.applicationID) {
      if app != 0 || tables > 0 || version != 0 {
        throw JournalError(
          path: path,
          "is an SQLite database but not an advisor journal (application_id \(app), \(tables) table\(tables == 1 ? "" : "s")); refusing to use or change it."
        )
      }
    }
    if version > Self.schemaVersion {
      throw JournalError(
        path: path,
        "was written by a newer advisor (journal schema \(version); this advisor reads up to \(Self.schemaVersion)); refusing to change it: use a newer advisor or another journal path."
      )
    }
    guard upgrade else { return }
    // A new file: 16 KiB pages (a batch writes ~1.6 KB of JSON per order: fewer, fuller pages).
    if pages == 0 { try db.execute("PRAGMA page_size=16384") }
    let mode = try journalMode()
    if mode?.lowercased() != "wal" {
      throw JournalError(path: path, "cannot be put in WAL mode (journal_mode is \(mode ?? "?")).")
    }
    // synchronous=FULL: a committed run survives a power loss too (one fsync of the WAL per
    // commit). The WAL is checkpointed by the writer that grows it past 128 pages (2 MiB) and,
    // when a connection closes, once it is that large (``walBytesCheckpointedAtClose``), not at
    // each close (three more fsyncs a run). After a checkpoint the WAL is cut back to 64 MiB (a 100,000-order
    // batch writes ~200 MB). Up to 64 MiB of page cache: a batch's transaction spills its
    // pages to the WAL once, not again each time a B-tree page it already spilled changes.
    try db.execute(
      "PRAGMA synchronous=\(synchronousFull ? "FULL" : "NORMAL"); PRAGMA wal_autocheckpoint=128; PRAGMA journal_size_limit=67108864; PRAGMA cache_size=-65536"
    )
    guard version < target else { return }
    try db.execute("BEGIN IMMEDIATE")
    do {
      version = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
      if version < target {
        for m in Self.migrations[version..<target] { try db.execute(m) }
        try db.execute("PRAGMA application_id=\(Self.applicationID)")
        try db.execute("PRAGMA user_version=\(target)")
      }
      try db.execute("COMMIT")
    } catch {
      try? db.execute("ROLLBACK")
      throw error
    }
  }

  /// Puts the file in WAL mode (persistent in the file: set once, when the file is new).
  ///
  /// When processes open a new journal at the same moment, SQLite can answer the switch to WAL
  /// with `SQLITE_BUSY` at once, without calling the busy handler (seen in 4 of 100 rounds of
  /// 16 processes opening one new file). So a busy switch is tried again, after a pause that
  /// doubles from 1 ms to 50 ms, until ``busyTimeoutMilliseconds`` have passed: the wait any
  /// other lock gets.
  func journalMode() throws(JournalError) -> String? {
    func query(_ sql: String) throws(JournalError) -> String? {
      let st = try db.prepare(sql)
      defer { st.reset() }
      return try st.step() ? st.text(0) : nil
    }
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: .milliseconds(Self.busyTimeoutMilliseconds))
    var pause: useconds_t = 1_000
    while true {
      do {
        if try query("PRAGMA journal_mode")?.lowercased() == "wal" { return "wal" }
        return try query("PRAGMA journal_mode=WAL")
      } catch let busy where busy.code == SQLITE_BUSY && clock.now < deadline {
        usleep(pause)
        pause = min(2 * pause, 50_000)
      }
    }
  }

  /// SQLite's own check of the whole file (`PRAGMA integrity_check` answers 'ok').
  public func integrityCheck() throws(JournalError) -> Bool {
    let st = try db.prepare("PRAGMA integrity_check")
    defer { st.reset() }
    return try st.step() && st.text(0) == "ok"
  }

  public var version: Int { Int((try? db.scalarInt("PRAGMA user_version")) ?? 0) }

  // MARK: - Transactions

  /// Starts the run's transaction: a write lock (`BEGIN IMMEDIATE`), or a consistent read.
  public func begin() throws(JournalError) {
    try db.execute(readOnly ? "BEGIN" : "BEGIN IMMEDIATE")
    inTransaction = true
  }

  public func commit() throws(JournalError) {
    orderStatement = nil
    hashStatement = nil
    try db.execute("COMMIT")
    inTransaction = false
  }

  public func rollback() {
    orderStatement = nil
    hashStatement = nil
    if inTransaction { try? db.execute("ROLLBACK") }
    inTransaction = false
  }

  // MARK: - Reading the account's record

  /// The account's equity history and every state set by hand.
  ///
  /// A day's snapshots (every run records one) are read as three points: the day's highest
  /// equity, its lowest, then its last, in that order. So the history costs O(days), not
  /// O(runs), and the intraday drawdown it shows the breakers is the worst the day's
  /// snapshots allow (a peak before a trough): it errs toward tripping, never toward passing.
  public func record(account: String) throws(JournalError) -> AccountRecord {
    var record = AccountRecord(source: .journal(path))
    let s = try db.prepare("SELECT as_of, high, low, last, last_id FROM equity_days WHERE account = ?1 ORDER BY as_of")
    s.bind(1, account)
    while try s.step() {
      guard let d = s.text(0).flatMap(Day.init(iso:)), let high = s.double(1), let low = s.double(2), let last = s.double(3)
      else { continue }
      let id = s.int(4)
      record.equity.append(EquityPoint(day: d, equity: high, sequence: id * 4))
      if low != high { record.equity.append(EquityPoint(day: d, equity: low, sequence: id * 4 + 1)) }
      if last != low { record.equity.append(EquityPoint(day: d, equity: last, sequence: id * 4 + 2)) }
    }
    record.manual = try stateEvents()
    return record
  }

  public func stateEvents() throws(JournalError) -> [ManualStateEvent] {
    let m = try db.prepare("SELECT id, at, as_of, state, reason, actor, after_snapshot FROM state_events ORDER BY id")
    var out: [ManualStateEvent] = []
    while try m.step() {
      guard let d = m.text(2).flatMap(Day.init(iso:)), let state = m.text(3).flatMap(TradingState.init(rawValue:)) else {
        continue
      }
      out.append(
        ManualStateEvent(
          state: state, reason: m.text(4) ?? "", actor: m.text(5) ?? "", at: m.text(1) ?? "", day: d,
          // In the order of the snapshots: after the last one recorded when it was set.
          sequence: m.int(6) * 4 + 3))
    }
    return out
  }

  // MARK: - Writing a run

  /// What is known when a run starts.
  public struct RunStart: Sendable {
    public var command: String
    public var argv: [String]
    public var startedAt: String
    public var cwd: String
    public var user: String
    public var host: String
    public var pid: Int
    public var format: String
    public init(
      command: String, argv: [String], startedAt: String, cwd: String, user: String, host: String, pid: Int, format: String
    ) {
      self.command = command
      self.argv = argv
      self.startedAt = startedAt
      self.cwd = cwd
      self.user = user
      self.host = host
      self.pid = pid
      self.format = format
    }
  }

  public func insertRun(_ r: RunStart) throws(JournalError) -> Int64 {
    let s = try db.prepare(
      "INSERT INTO runs(started_at, command, argv, cwd, user, host, pid, format) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
    try s.run {
      $0.bind(1, r.startedAt)
      $0.bind(2, r.command)
      $0.bind(3, JSONText.array(r.argv))
      $0.bind(4, r.cwd)
      $0.bind(5, r.user)
      $0.bind(6, r.host)
      $0.bind(7, r.pid)
      $0.bind(8, r.format)
    }
    return db.lastInsertRowID
  }

  /// What a run decided, written when it ends (in the same transaction).
  public struct RunEnd: Sendable {
    public var finishedAt: String
    public var asOf: String?
    public var asOfSource: String?
    public var account: String?
    /// The instrument of a `size` run, or of a single-order `check`.
    public var instrument: String?
    public var regime: String?
    public var regimeSource: String?
    public var profile: String?
    /// JSON array of {path, sha256, bytes}.
    public var inputs: String?
    public var tradingState: String?
    public var tradingStateReason: String?
    public var equityBase: Double?
    public var result: String
    public var exitCode: Int
    /// JSON object: the decision (size and binding limit; pass/fail with the codes).
    public var decision: String?
    public var output: String?
    public var report: String?
    public init(finishedAt: String, result: String, exitCode: Int) {
      self.finishedAt = finishedAt
      self.result = result
      self.exitCode = exitCode
    }
  }

  public func finishRun(_ id: Int64, _ e: RunEnd) throws(JournalError) {
    let s = try db.prepare(
      """
      UPDATE runs SET finished_at = ?2, as_of = ?3, as_of_source = ?4, account = ?5, regime = ?6, regime_source = ?7,
        profile = ?8, inputs = ?9, trading_state = ?10, trading_state_reason = ?11, equity_base = ?12, result = ?13,
        exit_code = ?14, decision = ?15, output = ?16, report = ?17, instrument = ?18
      WHERE id = ?1
      """)
    try s.run {
      $0.bind(1, id)
      $0.bind(2, e.finishedAt)
      $0.bind(3, e.asOf)
      $0.bind(4, e.asOfSource)
      $0.bind(5, e.account)
      $0.bind(6, e.regime)
      $0.bind(7, e.regimeSource)
      $0.bind(8, e.profile)
      $0.bind(9, e.inputs)
      $0.bind(10, e.tradingState)
      $0.bind(11, e.tradingStateReason)
      $0.bind(12, e.equityBase)
      $0.bind(13, e.result)
      $0.bind(14, e.exitCode)
      $0.bind(15, e.decision)
      $0.bind(16, e.output)
      $0.bind(17, e.report)
      $0.bind(18, e.instrument)
    }
  }

  /// One order of a checked batch.
  public struct OrderRow: Sendable {
    public var index: Int
    public var clientOrderID: String?
    public var line: Int?
    public var instrument: String?
    public var side: String?
    public var quantity: Double?
    public var price: Double?
    public var stop: Double?
    public var regime: String?
    public var result: String
    /// Every finding code, space-separated with a space at each end (` A B `), for filters.
    public var codes: String
    public var maxQuantity: Double?
    /// The order's JSON report (one JSON Lines document).
    public var report: String
    /// What was printed for it; nil when that is the report and a newline.
    public var output: String?
    public init(index: Int, result: String, codes: String, report: String) {
      self.index = index
      self.result = result
      self.codes = codes
      self.report = report
    }
  }

  public func insertOrder(run: Int64, _ o: OrderRow) throws(JournalError) {
    let s: SQLiteStatement
    if let st = orderStatement {
      s = st
    } else {
      s = try db.prepare(
        """
        INSERT INTO orders(run_id, idx, client_order_id, line, instrument, side, quantity, price, stop, regime, result, codes,
          max_quantity, report, output) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
        """)
      orderStatement = s
    }
    try s.run {
      $0.bind(1, run)
      $0.bind(2, o.index)
      $0.bind(3, o.clientOrderID)
      $0.bind(4, o.line)
      $0.bind(5, o.instrument)
      $0.bind(6, o.side)
      $0.bind(7, o.quantity)
      $0.bind(8, o.price)
      $0.bind(9, o.stop)
      $0.bind(10, o.regime)
      $0.bind(11, o.result)
      $0.bind(12, o.codes)
      $0.bind(13, o.maxQuantity)
      $0.bind(14, o.report)
      $0.bind(15, o.output)
    }
  }

  /// An equity snapshot of a valuation at its as-of date.
  public struct Snapshot: Sendable {
    public var account: String
    public var baseCurrency: String
    public var asOf: String
    public var equity: Double
    public var aum: Double
    public var gross: Double
    public var net: Double
    /// JSON array of positions {symbol, assetClass, quantity, price, marketValue, exposure}.
    public var positions: String
    public init(
      account: String, baseCurrency: String, asOf: String, equity: Double, aum: Double, gross: Double, net: Double,
      positions: String
    ) {
      self.account = account
      self.baseCurrency = baseCurrency
      self.asOf = asOf
      self.equity = equity
      self.aum = aum
      self.gross = gross
      self.net = net
      self.positions = positions
    }
  }

  @discardableResult
  public func insertSnapshot(run: Int64, _ s: Snapshot) throws(JournalError) -> Int64 {
    let st = try db.prepare(
      """
      INSERT INTO snapshots(run_id, account, base_currency, as_of, equity, aum, gross, net, positions)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
      """)
    try st.run {
      $0.bind(1, run)
      $0.bind(2, s.account)
      $0.bind(3, s.baseCurrency)
      $0.bind(4, s.asOf)
      $0.bind(5, s.equity)
      $0.bind(6, s.aum)
      $0.bind(7, s.gross)
      $0.bind(8, s.net)
      $0.bind(9, s.positions)
    }
    let id = db.lastInsertRowID
    let day = try db.prepare(
      """
      INSERT INTO equity_days(account, as_of, high, low, last, last_id) VALUES (?1, ?2, ?3, ?3, ?3, ?4)
      ON CONFLICT(account, as_of) DO UPDATE SET high = max(high, excluded.high), low = min(low, excluded.low),
        last = excluded.last, last_id = excluded.last_id
      """)
    try day.run {
      $0.bind(1, s.account)
      $0.bind(2, s.asOf)
      $0.bind(3, s.equity)
      $0.bind(4, id)
    }
    return id
  }

  @discardableResult
  public func insertStateEvent(
    run: Int64?, at: String, asOf: String, state: TradingState, reason: String, actor: String, host: String
  ) throws(JournalError) -> Int64 {
    let st = try db.prepare(
      """
      INSERT INTO state_events(run_id, at, as_of, state, reason, actor, host, after_snapshot)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, (SELECT coalesce(max(id), 0) FROM snapshots))
      """)
    try st.run {
      $0.bind(1, run)
      $0.bind(2, at)
      $0.bind(3, asOf)
      $0.bind(4, state.rawValue)
      $0.bind(5, reason)
      $0.bind(6, actor)
      $0.bind(7, host)
    }
    return db.lastInsertRowID
  }

  // MARK: - The content-hash cache

  public struct FileKey: Sendable, Hashable {
    public var realPath: String
    public var device: Int64
    public var inode: Int64
    public var size: Int64
    public var mtimeNanoseconds: Int64
    public var ctimeNanoseconds: Int64
    public init(realPath: String, device: Int64, inode: Int64, size: Int64, mtimeNanoseconds: Int64, ctimeNanoseconds: Int64) {
      self.realPath = realPath
      self.device = device
      self.inode = inode
      self.size = size
      self.mtimeNanoseconds = mtimeNanoseconds
      self.ctimeNanoseconds = ctimeNanoseconds
    }
  }

  /// The SHA-256 recorded for a file whose path, device, inode, size and times are unchanged.
  public func cachedHash(_ k: FileKey) -> String? {
    guard
      let s = try? db.prepareKept(
        "SELECT sha256 FROM file_hashes WHERE real_path = ?1 AND device = ?2 AND inode = ?3 AND size = ?4 AND mtime_ns = ?5 AND ctime_ns = ?6"
      )
    else { return nil }
    defer { s.reset() }
    s.bind(1, k.realPath)
    s.bind(2, k.device)
    s.bind(3, k.inode)
    s.bind(4, k.size)
    s.bind(5, k.mtimeNanoseconds)
    s.bind(6, k.ctimeNanoseconds)
    return (try? s.step()) == true ? s.text(0) : nil
  }

  public func storeHash(_ k: FileKey, _ sha256: String) throws(JournalError) {
    guard !readOnly else { return }
    let s = try db.prepareKept(
      "INSERT OR REPLACE INTO file_hashes(real_path, device, inode, size, mtime_ns, ctime_ns, sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    )
    try s.run {
      $0.bind(1, k.realPath)
      $0.bind(2, k.device)
      $0.bind(3, k.inode)
      $0.bind(4, k.size)
      $0.bind(5, k.mtimeNanoseconds)
      $0.bind(6, k.ctimeNanoseconds)
      $0.bind(7, sha256)
    }
  }
}

/// Minimal JSON text for the journal's own columns (arrays of strings, escaped strings).
enum JSONText {
  static func string(_ s: String) -> String { JSONEscape.quoted(s) }
  static func array(_ a: [String]) -> String { "[" + a.map(string).joined(separator: ",") + "]" }
}
