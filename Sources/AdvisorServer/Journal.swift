import Foundation

/// Where every decision is recorded: the journal of issue 12 (`AdvisorJournal`).
///
/// JOURNAL SEAM: this build has no journal yet. When the journal is merged, an adapter over
/// its types takes this place: `problem()` says why it cannot be written (then `/readyz`
/// is not ready and every order fails closed with `JOURNAL_UNAVAILABLE`), `close()` is
/// called once at shutdown, and `GET /v1/state` answers from it.
public protocol DecisionJournal: Sendable, CustomStringConvertible {
  /// Why the journal cannot record, or nil when it can.
  func problem() -> String?
  func close()
}

/// No journal: decisions are in the request log only.
struct NoJournal: DecisionJournal {
  func problem() -> String? { nil }
  func close() {}
  var description: String { "no journal in this build: decisions are in the request log only" }
}
