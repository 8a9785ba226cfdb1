import AdvisorCLI

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

#if canImport(Glibc)
  // glibc's allocator, tuned for a short-lived process that reads tens of MB: buffers up to
  // 32 MiB come from the heap rather than a fresh mmap, and freed memory is not handed back
  // before exit, so the CSV, the cache entry and the decoded arrays reuse pages already
  // faulted in (25,300 → 19,800 page faults and about 15 % of `budget` on the 500-instrument
  // panel; BENCHMARKS.md, issue 16). mallopt(3) is not imported into Swift: looked up by name.
  // M_MMAP_THRESHOLD is -3 and M_TRIM_THRESHOLD -1 (<malloc.h>); 32 MiB is glibc's maximum.
  typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
  if let symbol = dlsym(nil, "mallopt") {
    let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
    _ = mallopt(-3, 32 << 20)
    _ = mallopt(-1, Int32.max)
  }
#endif

// A closed pipe on standard output is a write error (EPIPE, exit 2), not a silent death.
signal(SIGPIPE, SIG_IGN)
// An unknown subcommand (`advisor sise`) is a usage error with the closest names.
if let message = Advisor.unknownSubcommand(CommandLine.arguments) {
  Advisor.printUsageError(message)
  exit(64)
}
Advisor.prepare(CommandLine.arguments)
Advisor.main()
