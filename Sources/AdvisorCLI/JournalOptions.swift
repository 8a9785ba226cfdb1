import AdvisorJournal
import AdvisorRecording
import ArgumentParser
import Foundation
import RiskCore
import RiskIO

/// Where the journal is: `--journal PATH`, else `$ADVISOR_JOURNAL`, else `journal` in advisor.yaml.
struct JournalOptions: ParsableArguments {
  @Option(
    name: .long,
    help: "The journal (SQLite) for this run (default: $ADVISOR_JOURNAL, else journal in advisor.yaml).")
  var journal: String?

  @Flag(
    name: .customLong("no-journal"),
    help: "Do not record this run; the trading state and equity history are still read from the configured journal.")
  var noJournal = false

  var location: JournalLocation { JournalLocation(journal: journal, noJournal: noJournal) }
}

extension RunJournal {
  convenience init(_ options: JournalOptions, config: AdvisorConfig, command: String, format: String) {
    self.init(options.location, config: config, command: command, format: format)
  }

  /// The journal line on standard error: the run's id, which `advisor journal show` prints.
  func announce() {
    if let line = announcement { printError(line) }
  }
}

/// Runs a command's body with its journal: an error is recorded (result `error`) and rethrown.
func journaled(_ run: RunJournal?, asOf: Day?, _ body: () throws -> Void) throws {
  do {
    try body()
  } catch {
    if !(error is ExitCode) { run?.finishWithError(error, asOf: asOf) }
    throw error
  }
}
