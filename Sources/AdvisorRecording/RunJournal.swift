import AdvisorJournal
import Foundation
import RiskCore
import RiskIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The journal a run uses: `--journal PATH`, else `$ADVISOR_JOURNAL`, else advisor.yaml's.
public struct JournalLocation: Sendable {
  public var journal: String?
  public var noJournal = false

  public init(journal: String?, noJournal: Bool = false) {
    self.journal = journal
    self.noJournal = noJournal
  }

  /// The configured journal path, nil when none is configured.
  public func path(_ config: AdvisorConfig) -> String? {
    if let journal { return journal }
    if let env = ProcessEnvironment.values["ADVISOR_JOURNAL"], !env.isEmpty { return env }
    return config.journal
  }
}

/// A JSON string literal.
public func jsonString(_ s: String) -> String {
  var out = ""
  JSONValue.writeString(s, into: &out)
  return out
}

/// A JSON number (finite), else null.
public func jsonNumber(_ x: Double?) -> String {
  guard let x, x.isFinite else { return "null" }
  return JSONValue.numberText(x)
}

/// UTC wall-clock time, ISO 8601 with milliseconds (the journal's `when`).
public func utcTimestamp() -> String {
  var tv = timeval()
  gettimeofday(&tv, nil)
  return utcTimestamp(seconds: Int(tv.tv_sec), milliseconds: Int(tv.tv_usec / 1000))
}

/// `seconds` after the epoch and `milliseconds` more, as ``utcTimestamp()`` writes it.
public func utcTimestamp(seconds: Int, milliseconds: Int) -> String {
  var t = time_t(seconds)
  var tm = tm()
  gmtime_r(&t, &tm)
  // Written digit by digit: Foundation's String(format:) was 1.03 M instructions, its first
  // use in a process, of every run (a third of a one-order check's own work).
  var out = ""
  out.reserveCapacity(24)
  func digits(_ v: Int, _ width: Int, then separator: String) {
    let text = String(v)
    out += String(repeating: "0", count: max(0, width - text.count)) + text + separator
  }
  digits(Int(tm.tm_year) + 1900, 4, then: "-")
  digits(Int(tm.tm_mon) + 1, 2, then: "-")
  digits(Int(tm.tm_mday), 2, then: "T")
  digits(Int(tm.tm_hour), 2, then: ":")
  digits(Int(tm.tm_min), 2, then: ":")
  digits(Int(tm.tm_sec), 2, then: ".")
  digits(milliseconds, 3, then: "Z")
  return out
}

/// Who runs advisor, from the environment: `ADVISOR_USER`, else `USER`, else `LOGNAME`, else the uid.
public func actorName() -> String {
  let env = ProcessEnvironment.values
  for k in ["ADVISOR_USER", "USER", "LOGNAME"] { if let v = env[k], !v.isEmpty { return v } }
  return "uid \(getuid())"
}

public func hostName() -> String {
  var buf = [CChar](repeating: 0, count: 256)
  guard gethostname(&buf, buf.count) == 0 else { return "" }
  return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// One run's journal: opened before the run decides anything, so that reading the account's
/// record, deciding and writing what was decided are one transaction.
///
/// - Recording (the default when a journal is configured): `BEGIN IMMEDIATE`, the run row,
///   then the orders and the snapshot, then `finish` writes the decision and commits, before
///   the report is printed.
/// - `--no-journal`: the journal is read (if it exists) and nothing is written.
/// - Not configured: nothing is read or written; the record is ``AccountRecord/none``.
///
/// An open or write failure is kept as ``failure``: `check` fails every order closed
/// (`JOURNAL_UNAVAILABLE`), the other commands exit 2 (``requireAvailable()``).
public final class RunJournal {
  public let path: String?
  public let recording: Bool
  public private(set) var journal: Journal?
  public private(set) var runID: Int64?
  public private(set) var failure: JournalError?
  public private(set) var finished = false
  public let start: Journal.RunStart

  public init(_ options: JournalLocation, config: AdvisorConfig, command: String, format: String) {
    path = options.path(config)
    recording = path != nil && !options.noJournal
    start = Journal.RunStart(
      command: command, argv: CommandLine.arguments, startedAt: utcTimestamp(),
      cwd: FileManager.default.currentDirectoryPath, user: actorName(), host: hostName(), pid: Int(getpid()), format: format)
    guard let path else { return }
    do {
      journal = try Journal.open(path, readOnly: !recording, synchronousFull: config.journalSync != "normal")
      try journal?.begin()
      if recording, let j = journal { runID = try j.insertRun(start) }
    } catch {
      journal?.rollback()
      journal = nil
      failure = error
    }
  }

  /// A run on a journal a resident process keeps open (`advisor serve`: one run, and one
  /// transaction, per request): `journal` is nil with `failure` when it could not be opened,
  /// nil without one when it is read-only and does not exist yet.
  public init(
    open journal: Journal?, path: String?, failure: JournalError?, recording: Bool, command: String, argv: [String],
    format: String
  ) {
    self.path = path
    self.recording = path != nil && recording
    start = Journal.RunStart(
      command: command, argv: argv, startedAt: utcTimestamp(), cwd: FileManager.default.currentDirectoryPath,
      user: actorName(), host: hostName(), pid: Int(getpid()), format: format)
    if let failure {
      self.failure = failure
      return
    }
    guard path != nil, let journal else { return }
    do {
      try journal.begin()
      self.journal = journal
      if self.recording { runID = try journal.insertRun(start) }
    } catch {
      journal.rollback()
      self.journal = nil
      self.failure = error
    }
  }

  deinit { if !finished { journal?.rollback() } }

  /// For the commands that exit 2 when the journal is configured but unusable.
  public func requireAvailable() throws {
    if let failure { throw failure }
  }

  /// What the journal knows about the account.
  public func record(for account: Account) -> AccountRecord {
    guard let path else { return .none }
    if let failure { return AccountRecord(source: .unavailable(path: path, reason: failure.message)) }
    guard let journal else { return AccountRecord(source: .journal(path)) }
    do {
      return try journal.record(account: Self.accountKey(account))
    } catch {
      failure = error
      return AccountRecord(source: .unavailable(path: path, reason: error.message))
    }
  }

  /// The account's key in the journal: its name and base currency.
  public static func accountKey(_ a: Account) -> String { "\(a.name) (\(a.baseCurrency))" }

  /// The valuation's equity snapshot.
  public func snapshot(_ v: AccountValuation) throws {
    guard recording, let journal, let runID else { return }
    var positions = "["
    for (i, p) in v.positions.enumerated() {
      if i > 0 { positions += "," }
      positions +=
        "{\"assetClass\":\(jsonString(p.position.assetClass.rawValue)),\"exposure\":\(JSONValue.numberText(p.exposure)),\"marketValue\":\(JSONValue.numberText(p.marketValue)),\"price\":\(JSONValue.numberText(p.price)),\"quantity\":\(JSONValue.numberText(p.position.quantity)),\"symbol\":\(jsonString(p.position.symbol))}"
    }
    positions += "]"
    try journal.insertSnapshot(
      run: runID,
      Journal.Snapshot(
        account: Self.accountKey(v.account), baseCurrency: v.account.baseCurrency, asOf: v.account.asOf.description,
        equity: v.equity, aum: v.totalAUM, gross: v.grossExposure, net: v.netExposure, positions: positions))
  }

  public func order(_ row: Journal.OrderRow) throws {
    guard recording, let journal, let runID else { return }
    try journal.insertOrder(run: runID, row)
  }

  /// The content hashes of every file the run read (SHA-256), as a JSON array. A file whose
  /// path, device, inode, size and times match a hash recorded earlier reuses it, unless it
  /// changed in the last two seconds (a write within the timestamps' resolution).
  public func inputsJSON() -> String {
    var out = "["
    for (i, f) in InputFiles.filesRead.enumerated() {
      if i > 0 { out += "," }
      let (hash, size) = contentHash(f.realPath)
      out +=
        "{\"bytes\":\(size.map(String.init) ?? "null"),\"path\":\(jsonString(f.path)),\"sha256\":\(hash.map(jsonString) ?? "null")}"
    }
    return out + "]"
  }

  public func contentHash(_ path: String) -> (String?, Int64?) {
    var st = stat()
    guard stat(path, &st) == 0 else { return (nil, nil) }
    let key = Journal.FileKey(
      realPath: path, device: Int64(st.st_dev), inode: Int64(st.st_ino), size: Int64(st.st_size),
      mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
      ctimeNanoseconds: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    if let cached = journal?.cachedHash(key) { return (cached, key.size) }
    guard let hash = Self.sha256(file: path) else { return (nil, key.size) }
    let recent = Int64(time(nil)) - max(Int64(st.st_mtim.tv_sec), Int64(st.st_ctim.tv_sec)) < 2
    if !recent { try? journal?.storeHash(key, hash) }
    return (hash, key.size)
  }

  public static func sha256(file path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var h = SHA256()
    let size = 1 << 16
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
    defer { buf.deallocate() }
    while true {
      let n = read(fd, buf.baseAddress, size)
      if n < 0 {
        if errno == EINTR { continue }
        return nil
      }
      if n == 0 { break }
      h.update(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
    }
    return h.finalizeHex()
  }

  /// Writes what the run decided and commits, before the report is printed. The record is
  /// made only when it is written: a run not journaled (`--no-journal`) never renders the JSON
  /// report it would store (2.2 M instructions of a `size`, a twentieth of its main thread).
  public func finish(_ end: @autoclosure () throws -> Journal.RunEnd) throws {
    finished = true
    guard let journal else { return }
    guard recording, let runID else {
      journal.rollback()
      return
    }
    var e = try end()
    e.inputs = e.inputs ?? inputsJSON()
    do {
      try journal.finishRun(runID, e)
      try journal.commit()
    } catch {
      journal.rollback()
      failure = error
      throw error
    }
  }

  /// Gives the run up after a write failed: nothing of it is recorded.
  public func abandon(_ error: JournalError) {
    finished = true
    journal?.rollback()
    if failure == nil { failure = error }
  }

  /// A run that could not run (exit 2) is recorded too, with its error.
  public func finishWithError(_ error: Error, asOf: Day?) {
    guard !finished, failure == nil, recording else { return }
    var e = Journal.RunEnd(finishedAt: utcTimestamp(), result: "error", exitCode: Int(AdvisorExit.couldNotRun))
    e.asOf = asOf?.description
    e.decision = "{\"error\":\(jsonString(oneLine("\(error)")))}"
    try? finish(e)
  }

  /// The journal line on standard error: the run's id, which `advisor journal show` prints.
  public var announcement: String? {
    guard recording, let runID, let path, failure == nil else { return nil }
    return "journal: run \(runID) recorded in \(escapedForMessage(path, limit: 200))"
  }
}

extension RunJournal {
  /// The trading state's fields of a run's record.
  public func stateFields(_ s: TradingStateReading?, into e: inout Journal.RunEnd) {
    guard let s else { return }
    e.tradingState = s.unavailable == nil ? s.state.rawValue : "unavailable"
    e.tradingStateReason = s.reason
  }
}
