import AdvisorCLI

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// A closed pipe on standard output is a write error (EPIPE, exit 2), not a silent death.
signal(SIGPIPE, SIG_IGN)
// An unknown subcommand (`advisor sise`) is a usage error with the closest names.
if let message = Advisor.unknownSubcommand(CommandLine.arguments) {
  Advisor.printUsageError(message)
  exit(64)
}
Advisor.main()
