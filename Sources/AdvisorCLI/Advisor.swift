import ArgumentParser
import LinearAlgebra
import RiskCore

/// The root command: declares the tree, nothing else.
public struct Advisor: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "advisor",
    abstract: "Risk budgeting and position sizing, explained.",
    discussion: "Start with `advisor init` in an empty directory, or run from a directory with an advisor.yaml.",
    version: AdvisorVersion.string,
    subcommands: [
      SizeCommand.self, CheckCommand.self, BudgetCommand.self, WhatIfCommand.self, RiskCommand.self, AUMCommand.self,
      ProfilesCommand.self, InitCommand.self,
      JournalCommand.self, StateCommand.self, ServeCommand.self,
    ]
  )
  public init() {}

  /// Prints a usage error on standard error, one line.
  public static func printUsageError(_ message: String) { printError("Error: \(message)") }

  /// Before parsing: when the command `arguments` name will multiply matrices
  /// (``MultipliesMatrices``), starts opening BLAS on another core
  /// (``LinearAlgebraRuntime/openInBackground()``), to be ready by the time the inputs are read.
  public static func prepare(_ arguments: [String]) {
    guard arguments.count > 1, !arguments.contains(where: { $0 == "--help" || $0 == "-h" }),
      let command = configuration.subcommands.first(where: { $0.configuration.commandName == arguments[1] })
    else { return }
    if let reads = command as? any ReadsWorkspace.Type,
      WorkspacePrefetch.leavesInputsToConfiguration(arguments.dropFirst(2))
    {
      WorkspacePrefetch.start(reads.workspaceParts)
    }
    if command is any MultipliesMatrices.Type { LinearAlgebraRuntime.openInBackground() }
  }

  /// The message for a first argument that is not a subcommand (nor an option), with the closest names.
  public static func unknownSubcommand(_ arguments: [String]) -> String? {
    guard arguments.count > 1 else { return nil }
    let word = arguments[1]
    guard !word.hasPrefix("-") else { return nil }
    let names = configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
    guard !names.contains(word) else { return nil }
    let hint = closeMatches(for: word, in: names)
    return
      "unknown command '\(escapedForMessage(word, limit: 40))'\(hint.isEmpty ? "" : "; did you mean \(hint.map { "'\($0)'" }.joined(separator: " or "))?") Commands: \(names.filter { $0 != "help" }.joined(separator: ", "))."
  }
}

/// The version `advisor --version` prints: the package's, set here when a release is tagged.
public enum AdvisorVersion {
  public static let string = "0.3.0"
}

/// A command whose work multiplies matrices (a covariance): ``Advisor/prepare(_:)`` opens BLAS
/// for it while its arguments are parsed.
protocol MultipliesMatrices {}

extension SizeCommand: MultipliesMatrices {}
extension CheckCommand: MultipliesMatrices {}
extension BudgetCommand: MultipliesMatrices {}
extension WhatIfCommand: MultipliesMatrices {}
extension RiskCommand: MultipliesMatrices {}

extension AUMCommand: ReadsWorkspace { static var workspaceParts: WorkspaceParts { .account } }
extension SizeCommand: ReadsWorkspace { static var workspaceParts: WorkspaceParts { .accountAndProfiles } }
extension CheckCommand: ReadsWorkspace { static var workspaceParts: WorkspaceParts { .accountAndProfiles } }
extension BudgetCommand: ReadsWorkspace { static var workspaceParts: WorkspaceParts { .accountAndProfiles } }
extension WhatIfCommand: ReadsWorkspace { static var workspaceParts: WorkspaceParts { .accountAndProfiles } }
