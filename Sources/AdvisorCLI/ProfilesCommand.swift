import ArgumentParser
import Foundation
import RiskCore
import RiskIO

/// `advisor profiles`: the regime profiles in use, and a copy of the built-in ones to edit.
struct ProfilesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "profiles",
    abstract: "Show the regime profiles in use, or export the built-in ones to start your own.",
    subcommands: [ProfilesList.self, ProfilesShow.self, ProfilesExport.self], defaultSubcommand: ProfilesList.self)
}

struct ProfilesList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "The regimes in use, calm to crisis, and where each comes from.",
    discussion: "Example: advisor profiles list")

  @OptionGroup var profileOptions: ProfileOptions
  @Option(name: .long, help: "Configuration file (default: $ADVISOR_CONFIG, else ./advisor.yaml).")
  var config: String?

  func run() throws {
    try reportingErrors {
      let regimes = try ProfilesShow.load(config: config, profileOptions)
      var out = ""
      for p in regimes.profiles {
        out += "\(p.name)\(String(repeating: " ", count: max(1, 10 - p.name.count)))\(p.source) — \(p.description)\n"
      }
      try emit(out)
    }
  }
}

struct ProfilesShow: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Print a profile's YAML as advisor reads it (the built-in one unless a directory is configured).",
    discussion: "Example: advisor profiles show normal")

  @Argument(help: "A regime (calm, normal, volatile, crisis) or auto (the regime detector's settings).")
  var name: String

  @OptionGroup var profileOptions: ProfileOptions
  @Option(name: .long, help: "Configuration file (default: $ADVISOR_CONFIG, else ./advisor.yaml).")
  var config: String?

  static func load(config: String?, _ options: ProfileOptions) throws -> RegimeSet {
    let c = try AdvisorConfig.discover(
      explicit: config, environment: ProcessEnvironment.values,
      currentDirectory: FileManager.default.currentDirectoryPath)
    switch options.source(c) {
    case .directory(let d): return try ProfileFile.loadDirectory(d)
    case .builtIn: return try ProfileFile.builtIn()
    }
  }

  func run() throws {
    try reportingErrors {
      let c = try AdvisorConfig.discover(
        explicit: config, environment: ProcessEnvironment.values,
        currentDirectory: FileManager.default.currentDirectoryPath)
      switch profileOptions.source(c) {
      case .builtIn:
        guard let text = ProfileFile.builtInText(name) else {
          throw UsageError.unknownRegime(name, known: ProfileFile.builtInNames)
        }
        try emit(text)
      case .directory(let d):
        let path = (d as NSString).appendingPathComponent("\(name).yaml")
        let regimes = try ProfileFile.loadDirectory(d)
        guard name == "auto" || regimes.profile(name) != nil else {
          throw UsageError.unknownRegime(name, known: regimes.names + ["auto"])
        }
        try emit(try InputFiles.readText(path, what: "profile", maxBytes: InputLimits.yamlBytes))
      }
    }
  }
}

struct ProfilesExport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write the built-in profiles and auto.yaml into DIR, to edit; then set profiles: DIR in advisor.yaml.",
    discussion: "Example: advisor profiles export profiles\n\nExit codes: 0 written; 2 a file exists or cannot be written.")

  @Argument(help: "The directory to write into (created if missing; existing files are never overwritten).")
  var directory: String

  func run() throws {
    try reportingErrors {
      for n in ProfileFile.builtInNames {
        let path = (directory as NSString).appendingPathComponent("\(n).yaml")
        if FileManager.default.fileExists(atPath: path) {
          throw CLIError("\(quoted(path, limit: 200)) already exists: advisor never overwrites a profile (choose another DIR).")
        }
      }
      try Output.createDirectory(directory)
      for n in ProfileFile.builtInNames {
        guard let text = ProfileFile.builtInText(n) else { continue }
        try Output.createFile(text, at: (directory as NSString).appendingPathComponent("\(n).yaml"))
      }
      try emit(
        "wrote \(ProfileFile.builtInNames.map { "\($0).yaml" }.joined(separator: ", ")) into \(quoted(directory, limit: 200)); add `profiles: \(directory)` to advisor.yaml to use them.\n"
      )
    }
  }
}

/// A usage error (exit 64) with the closest names.
enum UsageError {
  static func unknownRegime(_ name: String, known: [String]) -> ValidationError {
    let hint = closeMatches(for: name, in: known)
    return ValidationError(
      "unknown regime \(quoted(name)): known are \(known.joined(separator: ", "))\(hint.isEmpty ? "" : "; did you mean \(hint.joined(separator: ", "))?")"
    )
  }
}
