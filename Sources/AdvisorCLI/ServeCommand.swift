import AdvisorServeOptions
import ArgumentParser
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `advisor serve`: checks the options, then runs `advisor-serve`, the server's own executable
/// installed beside `advisor`, in this process's place. The CLI does not link the HTTP stack,
/// so its start-up stays as it was (BENCHMARKS.md, "advisor serve").
struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "The pre-trade check as a long-running HTTP/JSON service (runs advisor-serve).",
    discussion: ServeOptions.discussion)

  @OptionGroup var options: ServeOptions

  func run() throws {
    let executable = Self.sibling()
    guard access(executable, X_OK) == 0 else {
      printError(
        "Error: advisor serve runs \(executable), which is not there: build it (swift build --product advisor-serve) or install both (make install)."
      )
      throw ExitCode(AdvisorExit.couldNotRun)
    }
    let arguments = CommandLine.arguments
    let rest = arguments.firstIndex(of: "serve").map { Array(arguments[($0 + 1)...]) } ?? []
    let argv = ([executable] + rest).map { strdup($0) } + [nil]
    execv(executable, argv)
    printError("Error: cannot run \(executable): \(String(cString: strerror(errno))).")
    throw ExitCode(AdvisorExit.couldNotRun)
  }

  /// `advisor-serve` in the directory of the running `advisor` (symbolic links resolved).
  static func sibling() -> String {
    var path = CommandLine.arguments.first ?? "advisor"
    #if os(Linux)
      if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { path = resolved }
    #endif
    let dir = (path as NSString).deletingLastPathComponent
    return ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent("advisor-serve")
  }
}
