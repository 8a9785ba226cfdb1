import Foundation
import Logging
import NIOConcurrencyHelpers
import RiskIO
import ServiceLifecycle
import UnixSignals

/// The last reload's outcome, read by `/readyz`.
final class ReloadState: Sendable {
  private struct State {
    var running = false
    var lastFailure: String? = nil
    /// The inputs a failed reload saw: tried again only once they change again.
    var failedFingerprint: InputFingerprint? = nil
    var generation = 1
  }
  private let state = NIOLockedValueBox(State())

  var lastFailure: String? { state.withLockedValue { $0.lastFailure } }

  func begin() -> Int? {
    state.withLockedValue { s in
      guard !s.running else { return nil }
      s.running = true
      s.generation += 1
      return s.generation
    }
  }

  func finish(failure: String?, fingerprint: InputFingerprint?) {
    state.withLockedValue { s in
      s.running = false
      s.lastFailure = failure
      s.failedFingerprint = failure == nil ? nil : fingerprint
    }
  }

  func alreadyFailed(_ f: InputFingerprint) -> Bool { state.withLockedValue { $0.failedFingerprint == f } }
}

/// Reloads the workspace when an input file changes (polled), when the as-of date is today
/// and the date changes, and on SIGHUP; in the background, swapped in whole.
struct ReloadService: Service {
  let app: ServeApp

  func run() async throws {
    let hangups = await UnixSignalsSequence(trapping: .sighup)
    let poll = app.settings.pollInterval
    await cancelWhenGracefulShutdown {
      await withDiscardingTaskGroup { group in
        group.addTask {
          for await _ in hangups { await app.reload(reason: "SIGHUP") }
        }
        guard poll > .zero else { return }
        group.addTask {
          while !Task.isCancelled {
            try? await Task.sleep(for: poll)
            if let reason = await changed() { await app.reload(reason: reason) }
          }
        }
      }
    }
  }

  /// Why the loaded workspace is out of date, or nil.
  func changed() async -> String? {
    let snapshot = await app.desk.snapshot
    if snapshot.workspace.asOfSource == "today" && AsOfRule.today() != snapshot.today { return "date changed" }
    let now = InputFingerprint(watching: Snapshot.watchedPaths(snapshot.workspace.config))
    guard now != snapshot.fingerprint, !app.reloads.alreadyFailed(now) else { return nil }
    return "input changed"
  }
}

/// Open orders past their time to live leave the book within a second.
struct ExpiryService: Service {
  let desk: Desk
  func run() async throws {
    await cancelWhenGracefulShutdown {
      while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(1))
        await desk.expireDue()
      }
    }
  }
}
