import Foundation
import RiskCore
import RiskIO

/// Renders a batch's verdicts (JSON Lines or text) and writes them on a second thread while
/// the checker runs on the calling one: the check is sequential (each passing order moves the
/// book the next one sees), the rendering of a verdict is not, and it was a third of a batch's
/// time.
///
/// The calling thread hands over chunks of results in order; at most two wait at any time,
/// so memory stays flat for any batch (the caller blocks when the writer is behind). A write
/// that fails (a closed pipe, a full disk) stops the writer, and the caller's next
/// ``submit(_:firstIndex:)`` or ``finish()`` throws that error. Non-finite numbers met while
/// rendering are reported to the caller's ``NonFinite`` collector, which the write checks.
///
/// The results are freed on the thread that made them: the writer hands each chunk back once
/// it is written, and the caller's next ``submit(_:firstIndex:)`` (or ``finish()``) drops it.
/// Freed on the writer's thread, each of their allocations went back to the checking thread's
/// malloc arena under its lock, and the two threads contended for it (about 8,500 voluntary
/// context switches per 100,000 orders).
///
/// Written with `Thread` and `NSCondition` rather than Swift concurrency: the command is a
/// synchronous `ParsableCommand`, and one long-lived thread with a two-slot queue is all the
/// hand-off needs.
final class BatchLinesWriter: @unchecked Sendable {
  /// Appends the verdict on order `index` (1-based), with its line end, to the bytes.
  typealias Render = @Sendable (OrderResult, Int, inout [UInt8]) -> Void
  typealias Write = @Sendable ([UInt8]) throws -> Void

  // Everything below is guarded by `condition`.
  private let condition = NSCondition()
  private var chunks: [(firstIndex: Int, results: [OrderResult])] = []
  /// Chunks written, for the caller to free.
  private var written: [[OrderResult]] = []
  private var closed = false
  private var stopped = false
  private var failure: (any Error)? = nil

  private let render: Render
  private let write: Write
  private let collector: NonFinite.Collector?

  init(render: @escaping Render, write: @escaping Write) {
    self.render = render
    self.write = write
    self.collector = NonFinite.current
    let thread = Thread { [self] in
      NonFinite.$current.withValue(self.collector) { self.run() }
    }
    thread.name = "advisor batch writer"
    thread.start()
  }

  /// Queues the results of orders `firstIndex`, `firstIndex + 1`, … (1-based) for writing.
  /// - Throws: the error that stopped the writer.
  func submit(_ results: [OrderResult], firstIndex: Int) throws {
    var done: [[OrderResult]] = []
    // Freed when this returns, on this thread and outside the lock.
    defer { done.removeAll() }
    condition.lock()
    defer { condition.unlock() }
    while chunks.count >= 2 && !stopped { condition.wait() }
    swap(&done, &written)
    if let failure { throw failure }
    chunks.append((firstIndex, results))
    condition.broadcast()
  }

  /// Waits until every queued line is written.
  /// - Throws: the error that stopped the writer.
  func finish() throws {
    var done: [[OrderResult]] = []
    defer { done.removeAll() }
    condition.lock()
    defer { condition.unlock() }
    closed = true
    condition.broadcast()
    while !stopped { condition.wait() }
    swap(&done, &written)
    if let failure { throw failure }
  }

  private func run() {
    var bytes: [UInt8] = []
    var done: [OrderResult]? = nil
    while let chunk = next(handingBack: &done) {
      bytes.removeAll(keepingCapacity: true)
      for k in chunk.results.indices {
        render(chunk.results[k], chunk.firstIndex + k, &bytes)
      }
      done = chunk.results
      do {
        try write(bytes)
      } catch {
        stop(error)
        return
      }
    }
    stop(nil)
  }

  /// Hands the chunk written back to the caller, then takes the next one (nil once the queue
  /// is closed and empty).
  private func next(handingBack done: inout [OrderResult]?) -> (firstIndex: Int, results: [OrderResult])? {
    condition.lock()
    defer { condition.unlock() }
    if let d = done.take() { written.append(d) }
    while chunks.isEmpty && !closed { condition.wait() }
    guard !chunks.isEmpty else { return nil }
    let c = chunks.removeFirst()
    condition.broadcast()
    return c
  }

  private func stop(_ error: (any Error)?) {
    condition.lock()
    defer { condition.unlock() }
    failure = error
    stopped = true
    chunks.removeAll()
    condition.broadcast()
  }
}
