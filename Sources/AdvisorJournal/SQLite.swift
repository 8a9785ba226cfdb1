import CSQLite

/// A journal error: always one line naming the journal's path.
public struct JournalError: Error, Sendable, CustomStringConvertible {
  public let path: String
  public let message: String
  /// SQLite's primary result code (0 when not from SQLite).
  public let code: Int32

  public init(path: String, _ message: String, code: Int32 = 0) {
    self.path = path
    self.message = message
    self.code = code
  }

  public var description: String { "journal \(path): \(message)" }
}

let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// The one Swift type over the system SQLite: a connection, used by one thread.
final class SQLiteConnection {
  let path: String
  private(set) var handle: OpaquePointer?

  /// Opens `path`; `create` makes the file if it is missing.
  init(path: String, readOnly: Bool, create: Bool) throws(JournalError) {
    self.path = path
    var flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
    if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
    flags |= SQLITE_OPEN_NOMUTEX
    var db: OpaquePointer? = nil
    let rc = sqlite3_open_v2(path, &db, flags, nil)
    handle = db
    if rc != SQLITE_OK {
      let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
      sqlite3_close_v2(db)
      handle = nil
      throw JournalError(path: path, Self.explain(rc, message), code: rc & 0xff)
    }
    sqlite3_extended_result_codes(db, 1)
  }

  deinit { close() }

  func close() {
    kept.removeAll()  // finalized before the connection closes
    if let h = handle { sqlite3_close_v2(h) }
    handle = nil
  }

  /// A sentence for an SQLite result code, naming what a person can do about it.
  static func explain(_ rc: Int32, _ message: String) -> String {
    switch rc & 0xff {
    case SQLITE_NOTADB: return "is not an SQLite database (a corrupt or foreign file); refusing to use or overwrite it."
    case SQLITE_CORRUPT: return "is corrupt (\(message)); refusing to use or overwrite it."
    case SQLITE_READONLY: return "is read-only (\(message)); cannot record this run."
    case SQLITE_FULL: return "the disk is full (\(message)); the run was not recorded."
    case SQLITE_BUSY, SQLITE_LOCKED: return "is locked by another process past the busy timeout (\(message))."
    case SQLITE_CANTOPEN: return "cannot be opened (\(message)); does its directory exist and is it writable?"
    case SQLITE_PERM, SQLITE_AUTH: return "permission denied (\(message))."
    case SQLITE_IOERR: return "input/output error (\(message))."
    default: return message
    }
  }

  func error(_ rc: Int32) -> JournalError {
    let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
    return JournalError(path: path, Self.explain(rc, message), code: rc & 0xff)
  }

  func execute(_ sql: String) throws(JournalError) {
    var err: UnsafeMutablePointer<CChar>? = nil
    let rc = sqlite3_exec(handle, sql, nil, nil, &err)
    if let err { sqlite3_free(err) }
    if rc != SQLITE_OK { throw error(rc) }
  }

  func prepare(_ sql: String) throws(JournalError) -> SQLiteStatement {
    var st: OpaquePointer? = nil
    let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &st, nil)
    guard rc == SQLITE_OK, let st else { throw error(rc) }
    return SQLiteStatement(self, st)
  }

  /// Statements kept prepared for the life of the connection, by their SQL: those a run
  /// executes once for each input file (``Journal/cachedHash(_:)``), which were prepared
  /// again each time (20 times in a `size` on the examples: 1.4 M instructions).
  private var kept: [String: SQLiteStatement] = [:]

  /// The statement for `sql`, prepared on first use and kept; reset, with no bindings.
  func prepareKept(_ sql: String) throws(JournalError) -> SQLiteStatement {
    if let s = kept[sql] {
      s.reset()
      return s
    }
    let s = try prepare(sql)
    kept[sql] = s
    return s
  }

  /// The first column of the first row, as an integer (nil: no row or NULL).
  func scalarInt(_ sql: String) throws(JournalError) -> Int64? {
    let st = try prepare(sql)
    guard try st.step() else { return nil }
    return st.isNull(0) ? nil : st.int(0)
  }

  var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

  func busyTimeout(milliseconds: Int32) { sqlite3_busy_timeout(handle, milliseconds) }
}

/// A prepared statement: bind by 1-based index, step, read columns by 0-based index.
final class SQLiteStatement {
  unowned let connection: SQLiteConnection
  let handle: OpaquePointer

  init(_ c: SQLiteConnection, _ h: OpaquePointer) {
    connection = c
    handle = h
  }

  deinit { sqlite3_finalize(handle) }

  func reset() {
    sqlite3_reset(handle)
    sqlite3_clear_bindings(handle)
  }

  func bind(_ i: Int32, _ v: Int64?) {
    if let v { sqlite3_bind_int64(handle, i, v) } else { sqlite3_bind_null(handle, i) }
  }
  func bind(_ i: Int32, _ v: Int?) { bind(i, v.map(Int64.init)) }
  func bind(_ i: Int32, _ v: Double?) {
    if let v, v.isFinite { sqlite3_bind_double(handle, i, v) } else { sqlite3_bind_null(handle, i) }
  }
  func bind(_ i: Int32, _ v: String?) {
    guard var v else {
      sqlite3_bind_null(handle, i)
      return
    }
    v.withUTF8 { buf in
      _ = sqlite3_bind_text(
        handle, i, buf.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(buf.count),
        sqliteTransient)
    }
  }

  /// Steps once: true for a row, false when done.
  @discardableResult
  func step() throws(JournalError) -> Bool {
    let rc = sqlite3_step(handle)
    if rc == SQLITE_ROW { return true }
    if rc == SQLITE_DONE { return false }
    let e = connection.error(rc)
    sqlite3_reset(handle)
    throw e
  }

  /// Binds, runs to completion and resets.
  func run(_ bindings: (SQLiteStatement) -> Void) throws(JournalError) {
    reset()
    bindings(self)
    defer { sqlite3_reset(handle) }
    try step()
  }

  var columnCount: Int32 { sqlite3_column_count(handle) }
  func columnName(_ c: Int32) -> String { sqlite3_column_name(handle, c).map { String(cString: $0) } ?? "" }
  func isNull(_ c: Int32) -> Bool { sqlite3_column_type(handle, c) == SQLITE_NULL }
  func int(_ c: Int32) -> Int64 { sqlite3_column_int64(handle, c) }
  func double(_ c: Int32) -> Double? { isNull(c) ? nil : sqlite3_column_double(handle, c) }
  func text(_ c: Int32) -> String? {
    guard let p = sqlite3_column_text(handle, c) else { return nil }
    let n = Int(sqlite3_column_bytes(handle, c))
    return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
  }
}
