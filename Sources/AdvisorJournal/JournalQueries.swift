import RiskCore

/// Reading the journal back (`advisor journal list|show|equity|export`).
extension Journal {
  /// A run as `journal list` shows it.
  public struct RunSummary: Sendable {
    public let id: Int64
    public let startedAt: String
    public let finishedAt: String?
    public let command: String
    public let argv: String
    public let user: String?
    public let host: String?
    public let asOf: String?
    public let asOfSource: String?
    public let account: String?
    public let instrument: String?
    public let regime: String?
    public let regimeSource: String?
    public let profile: String?
    public let tradingState: String?
    public let tradingStateReason: String?
    public let equityBase: Double?
    public let result: String?
    public let exitCode: Int?
    public let decision: String?
    public let inputs: String?
    public let format: String?
    public let orders: Int
    public let failedOrders: Int
  }

  /// Filters of `journal list` and `journal export`.
  public struct Filter: Sendable {
    /// Inclusive bounds on the start time (UTC), compared as text: `2024-03-03` or a full timestamp.
    public var since: String?
    public var until: String?
    public var command: String?
    public var instrument: String?
    public var result: String?
    public var code: String?
    public var limit: Int?
    public init() {}
  }

  static let runColumns = """
    r.id, r.started_at, r.finished_at, r.command, r.argv, r.user, r.host, r.as_of, r.as_of_source, r.account, r.instrument,
    r.regime, r.regime_source, r.profile, r.trading_state, r.trading_state_reason, r.equity_base, r.result, r.exit_code,
    r.decision, r.inputs, r.format,
    (SELECT count(*) FROM orders o WHERE o.run_id = r.id),
    (SELECT count(*) FROM orders o WHERE o.run_id = r.id AND o.result = 'fail')
    """

  /// The WHERE clause over `orders o JOIN runs r`: the runs' filters of `runs` (``where_(_:)``)
  /// and each order's own instrument, result and finding code from `orders`.
  func orderWhere(_ runs: Filter, _ orders: Filter) -> (String, [String]) {
    let (w, a) = where_(runs)
    var clauses = w.isEmpty ? [] : [String(w.dropFirst(6))]
    var args = a
    func arg(_ v: String) -> String {
      args.append(v)
      return "?\(args.count)"
    }
    if let i = orders.instrument { clauses.append("o.instrument = \(arg(i))") }
    if let r = orders.result { clauses.append("o.result = \(arg(r))") }
    if let c = orders.code { clauses.append("instr(o.codes, \(arg(" \(c) "))) > 0") }
    return (clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "), args)
  }

  func where_(_ f: Filter) -> (String, [String]) {
    var clauses: [String] = []
    var args: [String] = []
    func arg(_ v: String) -> String {
      args.append(v)
      return "?\(args.count)"
    }
    if let s = f.since { clauses.append("r.started_at >= \(arg(s))") }
    if let u = f.until {
      // A bare date includes the whole day.
      clauses.append("r.started_at <= \(arg(u.count == 10 ? u + "T99" : u))")
    }
    if let c = f.command { clauses.append("r.command = \(arg(c))") }
    if let i = f.instrument {
      let a = arg(i)
      clauses.append("(r.instrument = \(a) OR EXISTS (SELECT 1 FROM orders o WHERE o.run_id = r.id AND o.instrument = \(a)))")
    }
    if let res = f.result {
      let a = arg(res)
      clauses.append("(r.result = \(a) OR EXISTS (SELECT 1 FROM orders o WHERE o.run_id = r.id AND o.result = \(a)))")
    }
    if let code = f.code {
      let a = arg(" \(code) ")
      clauses.append("EXISTS (SELECT 1 FROM orders o WHERE o.run_id = r.id AND instr(o.codes, \(a)) > 0)")
    }
    return (clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "), args)
  }

  public func runs(_ f: Filter) throws(JournalError) -> [RunSummary] {
    let (w, args) = where_(f)
    let st = try db.prepare(
      "SELECT \(Self.runColumns) FROM runs r \(w) ORDER BY r.id\(f.limit.map { " LIMIT \($0)" } ?? "")")
    for (i, a) in args.enumerated() { st.bind(Int32(i + 1), a) }
    var out: [RunSummary] = []
    while try st.step() { out.append(summary(st)) }
    return out
  }

  func summary(_ s: SQLiteStatement) -> RunSummary {
    RunSummary(
      id: s.int(0), startedAt: s.text(1) ?? "", finishedAt: s.text(2), command: s.text(3) ?? "", argv: s.text(4) ?? "[]",
      user: s.text(5), host: s.text(6), asOf: s.text(7), asOfSource: s.text(8), account: s.text(9), instrument: s.text(10),
      regime: s.text(11), regimeSource: s.text(12), profile: s.text(13), tradingState: s.text(14),
      tradingStateReason: s.text(15), equityBase: s.double(16), result: s.text(17),
      exitCode: s.isNull(18) ? nil : Int(s.int(18)), decision: s.text(19), inputs: s.text(20), format: s.text(21),
      orders: Int(s.int(22)), failedOrders: Int(s.int(23)))
  }

  public func run(_ id: Int64) throws(JournalError) -> RunSummary? {
    let st = try db.prepare("SELECT \(Self.runColumns) FROM runs r WHERE r.id = ?1")
    st.bind(1, id)
    return try st.step() ? summary(st) : nil
  }

  /// The bytes a run printed on standard output, exactly: for `check`, each order's part in
  /// order, then what followed them.
  public func printedOutput(_ id: Int64, write: (String) throws -> Void) throws {
    let orders = try db.prepare("SELECT report, output FROM orders WHERE run_id = ?1 ORDER BY idx")
    orders.bind(1, id)
    while try orders.step() {
      if let o = orders.text(1) { try write(o) } else { try write((orders.text(0) ?? "") + "\n") }
    }
    let run = try db.prepare("SELECT output FROM runs WHERE id = ?1")
    run.bind(1, id)
    if try run.step(), let o = run.text(0) { try write(o) }
  }

  public func report(_ id: Int64) throws(JournalError) -> String? {
    let st = try db.prepare("SELECT report FROM runs WHERE id = ?1")
    st.bind(1, id)
    return try st.step() ? st.text(0) : nil
  }

  /// One order of a checked batch, as recorded.
  public struct OrderRecord: Sendable {
    public let run: Int64
    public let index: Int
    public let clientOrderID: String?
    public let instrument: String?
    public let side: String?
    public let quantity: Double?
    public let result: String
    public let codes: [String]
    public let maxQuantity: Double?
    public let regime: String?
    public let report: String
  }

  public func orders(run: Int64? = nil, _ f: Filter = Filter()) throws(JournalError) -> [OrderRecord] {
    // The runs' dates (not their command), then the orders' own filters.
    let (dated, args) = orderWhere(Filter(since: f.since, until: f.until, command: nil), f)
    var w = dated
    if let run { w += (w.isEmpty ? "WHERE " : " AND ") + "o.run_id = \(run)" }
    let st = try db.prepare(
      """
      SELECT o.run_id, o.idx, o.client_order_id, o.instrument, o.side, o.quantity, o.result, o.codes, o.max_quantity, o.regime,
        o.report FROM orders o JOIN runs r ON r.id = o.run_id \(w) ORDER BY o.run_id, o.idx\(f.limit.map { " LIMIT \($0)" } ?? "")
      """)
    for (i, a) in args.enumerated() { st.bind(Int32(i + 1), a) }
    var out: [OrderRecord] = []
    while try st.step() {
      out.append(
        OrderRecord(
          run: st.int(0), index: Int(st.int(1)), clientOrderID: st.text(2), instrument: st.text(3), side: st.text(4),
          quantity: st.double(5), result: st.text(6) ?? "", codes: (st.text(7) ?? "").split(separator: " ").map(String.init),
          maxQuantity: st.double(8), regime: st.text(9), report: st.text(10) ?? ""))
    }
    return out
  }

  /// The equity curve: the last snapshot of each as-of date, with the high-water mark and drawdown.
  public struct CurvePoint: Sendable {
    public let account: String
    public let baseCurrency: String
    public let asOf: String
    public let equity: Double
    public let aum: Double?
    public let gross: Double?
    public let net: Double?
    public let highWaterMark: Double
    public let drawdown: Double
    public let snapshots: Int
    public let run: Int64
  }

  public func equityCurve(account: String? = nil) throws(JournalError) -> [CurvePoint] {
    let st = try db.prepare(
      """
      SELECT s.account, s.base_currency, s.as_of, s.equity, s.aum, s.gross, s.net, s.run_id,
        (SELECT count(*) FROM snapshots t WHERE t.account = s.account AND t.as_of = s.as_of)
      FROM snapshots s
      WHERE s.id = (SELECT max(t.id) FROM snapshots t WHERE t.account = s.account AND t.as_of = s.as_of)
        \(account == nil ? "" : "AND s.account = ?1")
      ORDER BY s.account, s.as_of
      """)
    if let account { st.bind(1, account) }
    var out: [CurvePoint] = []
    var hwm: [String: Double] = [:]
    while try st.step() {
      let a = st.text(0) ?? ""
      let e = st.double(3) ?? 0
      let h = max(hwm[a] ?? e, e)
      hwm[a] = h
      out.append(
        CurvePoint(
          account: a, baseCurrency: st.text(1) ?? "", asOf: st.text(2) ?? "", equity: e, aum: st.double(4), gross: st.double(5),
          net: st.double(6), highWaterMark: h, drawdown: h > 0 ? max(0, 1 - e / h) : 0, snapshots: Int(st.int(8)),
          run: st.int(7)))
    }
    return out
  }

  /// Every row of a table, as (column names, rows of text or nil), for `journal export`.
  public func exportRows(_ table: String, _ f: Filter, each: ([String], [String?]) throws -> Void) throws {
    let known = ["runs", "orders", "snapshots", "state_events"]
    guard known.contains(table) else {
      throw JournalError(path: path, "no table '\(table)' to export; choose \(known.joined(separator: ", ")).")
    }
    var sql: String
    var args: [String] = []
    switch table {
    case "runs":
      let (w, a) = where_(f)
      args = a
      sql = "SELECT r.* FROM runs r \(w) ORDER BY r.id"
    case "orders":
      let (w, a) = orderWhere(Filter(since: f.since, until: f.until, command: f.command), f)
      args = a
      sql = "SELECT o.* FROM orders o JOIN runs r ON r.id = o.run_id \(w) ORDER BY o.run_id, o.idx"
    default:
      sql = "SELECT * FROM \(table) ORDER BY id"
    }
    if let l = f.limit { sql += " LIMIT \(l)" }
    let st = try db.prepare(sql)
    for (i, a) in args.enumerated() { st.bind(Int32(i + 1), a) }
    let n = st.columnCount
    let names = (0..<n).map { st.columnName($0) }
    while try st.step() {
      try each(names, (0..<n).map { st.isNull($0) ? nil : st.text($0) })
    }
  }
}

extension Journal.Filter {
  init(since: String?, until: String?, command: String?) {
    self.init()
    self.since = since
    self.until = until
    self.command = command
  }
}
