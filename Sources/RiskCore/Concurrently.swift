#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `first()` and `second()` at once, `first` on the calling thread and `second` on a new POSIX
/// thread joined before returning, for two passes that share nothing but their inputs. Each
/// result is written once, by its own thread, and read after the join; nothing is reordered
/// inside either pass, so the results are those of running them one after the other. When no
/// thread can be started, `second` runs after `first` on the calling thread.
///
/// A thread of its own, not Dispatch: `concurrentPerform`'s first use in a process starts a
/// worker and a monitor thread, which a command of 15 ms notices (BENCHMARKS.md, issue 16).
public func concurrently<A: Sendable, B: Sendable>(_ first: @Sendable () -> A, _ second: @Sendable () -> B) -> (A, B) {
  withoutActuallyEscaping(second) { second in
    let job = SecondJob<B>(second)
    let started = job.start()
    let a = first()
    return (a, started ? job.join() : second())
  }
}

/// The second pass of ``concurrently(_:_:)`` and its result, written by its thread only, read
/// after `pthread_join`.
private final class SecondJob<B>: @unchecked Sendable {
  private let body: () -> B
  private var result: B?
  private var thread = pthread_t()

  init(_ body: @escaping () -> B) { self.body = body }

  func start() -> Bool {
    let retained = Unmanaged.passRetained(Runner(self.run)).toOpaque()
    guard pthread_create(&thread, nil, Runner.entry, retained) == 0 else {
      Unmanaged<Runner>.fromOpaque(retained).release()
      return false
    }
    return true
  }

  private func run() { result = body() }

  /// Waits for the thread; its result.
  func join() -> B {
    pthread_join(thread, nil)
    return result ?? body()
  }
}

/// What a POSIX thread runs: a closure, handed over retained and released by the thread.
private final class Runner: @unchecked Sendable {
  let run: () -> Void
  init(_ run: @escaping () -> Void) { self.run = run }

  static let entry: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { p in
    guard let p else { return nil }
    Unmanaged<Runner>.fromOpaque(p).takeRetainedValue().run()
    return nil
  }
}
