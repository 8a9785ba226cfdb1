import Foundation
import Testing

@testable import RiskIO

/// The market cache's write gate (``MarketCache/finishWritesBeforeExit()``): the exit waits
/// for an entry being written on another thread, and no entry is written after it.
@Suite("Market cache write gate")
struct CacheWriteGateTests {
  /// What the two threads did, in order.
  final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [String] = []
    func add(_ e: String) { lock.withLock { events.append(e) } }
    var all: [String] { lock.withLock { events } }
  }

  @Test("close waits for the write under way, and nothing is written after it")
  func closeWaitsThenRefuses() throws {
    let gate = MarketCache.WriteGate()
    let log = Log()
    let writing = DispatchSemaphore(value: 0)
    let writer = Thread {
      gate.perform {
        log.add("write started")
        writing.signal()
        Thread.sleep(forTimeInterval: 0.2)
        log.add("write finished")
      }
    }
    writer.start()
    writing.wait()
    gate.close()
    log.add("closed")
    gate.perform { log.add("written after close") }
    #expect(log.all == ["write started", "write finished", "closed"])
  }
}
