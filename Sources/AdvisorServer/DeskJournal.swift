import AdvisorJournal
import AdvisorRecording
import Foundation
import RiskCore
import RiskIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where the server records its decisions: the CLI's journal (advisor.yaml `journal`, else
/// `--journal` or `$ADVISOR_JOURNAL`), kept open between requests, one run and one
/// transaction per check, written by the CLI's own ``RunJournal`` and ``Recording``.
///
/// The connection is dropped and opened again when a write fails, or when the file at the
/// path is no longer the one opened (removed, replaced): the next request sees the journal
/// as the CLI would. Owned by the desk (an actor), so it is used by one request at a time.
final class DeskJournal {
  let location: JournalLocation
  private(set) var path: String?
  private var sync = true
  private var connection: Journal?
  private var identity: (device: UInt64, inode: UInt64)?
  /// Why the last open or write failed, until one works.
  private(set) var lastFailure: JournalError?

  init(_ location: JournalLocation, config: AdvisorConfig) {
    self.location = location
    configure(config)
  }

  /// The journal of a (re)loaded advisor.yaml.
  func configure(_ config: AdvisorConfig) {
    let newPath = location.path(config)
    if newPath != path { connection = nil }
    path = newPath
    sync = config.journalSync != "normal"
  }

  var recording: Bool { path != nil && !location.noJournal }

  /// A run on the journal: the account's record is read, the orders and the decision are
  /// written, in one transaction (``RunJournal``).
  func run(command: String, argv: [String], record: Bool = true) -> RunJournal {
    guard let path else {
      return RunJournal(open: nil, path: nil, failure: nil, recording: false, command: command, argv: argv, format: "json")
    }
    var failure: JournalError? = nil
    do { try ensureOpen(path) } catch { failure = error }
    return RunJournal(
      open: connection, path: path, failure: failure, recording: recording && record, command: command, argv: argv,
      format: "json")
  }

  /// After a run: a failed one drops the connection (opened again on the next request).
  func settle(_ run: RunJournal) {
    lastFailure = run.failure
    if run.failure != nil { connection = nil }
  }

  /// Why a check could not be recorded now, or nil (`/readyz`).
  func problem() -> String? {
    guard let path else { return nil }
    do {
      try ensureOpen(path)
      if let j = connection, recording {
        // A write, rolled back: the journal can take the next run.
        try j.begin()
        j.rollback()
      }
    } catch {
      lastFailure = error
      return error.description
    }
    return lastFailure?.description
  }

  var description: String {
    guard let path else { return "no journal configured: decisions are in the request log only" }
    return recording ? "recording in \(path)" : "reading \(path) (--no-journal)"
  }

  /// Closes the connection (shutdown): SQLite finishes and checkpoints the WAL.
  func close() { connection = nil }

  private func ensureOpen(_ path: String) throws(JournalError) {
    var st = stat()
    let exists = stat(path, &st) == 0
    if let id = identity, connection != nil, !exists || UInt64(st.st_dev) != id.device || UInt64(st.st_ino) != id.inode {
      connection = nil
    }
    guard connection == nil else { return }
    identity = nil
    connection = try Journal.open(path, readOnly: !recording, synchronousFull: sync)
    if connection != nil, stat(path, &st) == 0 { identity = (UInt64(st.st_dev), UInt64(st.st_ino)) }
    lastFailure = nil
  }
}
