import Dispatch

/// `first()` and `second()` at once, on the calling thread and one more (`concurrentPerform`),
/// for two passes that share nothing but their inputs. Each result is written once, by its own
/// iteration, and read after both iterations are done; nothing is reordered inside either pass,
/// so the results are those of running them one after the other.
func concurrently<A: Sendable, B: Sendable>(_ first: @Sendable () -> A, _ second: @Sendable () -> B) -> (A, B) {
  let results = TwoResults<A, B>()
  DispatchQueue.concurrentPerform(iterations: 2) { k in
    if k == 0 { results.first = first() } else { results.second = second() }
  }
  return (results.first ?? first(), results.second ?? second())
}

/// The results of ``concurrently(_:_:)``: one slot per iteration, never written by both.
private final class TwoResults<A, B>: @unchecked Sendable {
  var first: A?
  var second: B?
}
