import AdvisorCLI

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// A closed pipe on standard output is a write error (EPIPE, exit 2), not a silent death.
signal(SIGPIPE, SIG_IGN)
Advisor.main()
