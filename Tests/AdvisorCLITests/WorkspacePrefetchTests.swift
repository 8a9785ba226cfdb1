import ArgumentParser
import Foundation
import RiskCore
import RiskIO
import Testing

@testable import AdvisorCLI

/// The workspace read ahead while the arguments are parsed (``WorkspacePrefetch``): its guess
/// is the request each command makes when no flag names an input, any input flag stops it, and
/// a run that takes it prints what a run that cannot take it prints.
@Suite("Workspace read ahead")
struct WorkspacePrefetchTests {
  static let config: AdvisorConfig = {
    var c = AdvisorConfig()
    c.path = "advisor.yaml"
    c.market = "examples/market"
    c.instruments = "examples/market/instruments.yaml"
    c.account = "examples/account.yaml"
    c.profiles = "profiles"
    return c
  }()
  static let environment = ["HOME": "/home/trader"]
  static let day = Day(ordinal: 20_000)

  /// Each command's request from its parsed flags, as its `run()` builds it.
  static func request(_ arguments: [String]) throws -> WorkspaceRequest {
    let options: (inputs: InputOptions, account: AccountOptions, profiles: ProfileOptions?, marketRequired: Bool)
    switch try Advisor.parseAsRoot(arguments) {
    case let x as AUMCommand: options = (x.inputs, x.accountOptions, nil, false)
    case let x as SizeCommand: options = (x.inputs, x.accountOptions, x.profileOptions, true)
    case let x as CheckCommand: options = (x.inputs, x.accountOptions, x.profileOptions, true)
    case let x as BudgetCommand: options = (x.inputs, x.accountOptions, x.profileOptions, true)
    case let x as WhatIfCommand: options = (x.inputs, x.accountOptions, x.profileOptions, true)
    default: throw CLIError("no workspace request for \(arguments)")
    }
    return try options.inputs.workspaceRequest(
      account: options.account, profiles: options.profiles, marketRequired: options.marketRequired, config: config,
      today: day)
  }

  static func guess(_ arguments: [String]) throws -> WorkspaceRequest? {
    let command = try #require(Advisor.configuration.subcommands.first { $0.configuration.commandName == arguments[0] })
    let reads = try #require(command as? any ReadsWorkspace.Type)
    // MarketCache.configured reads the process's environment only through its argument.
    return WorkspacePrefetch.guess(reads.workspaceParts, config: config, environment: environment, today: day)
  }

  @Test(
    "the guess is the request the command makes with no input flag",
    arguments: [
      ["aum"], ["size", "--instrument", "BTC", "--regime", "volatile"],
      ["check", "--instrument", "BTC", "--side", "buy", "--quantity", "0.01", "--stop", "55000"],
      ["check", "--orders", "examples/orders/batch.csv", "--format", "json"], ["budget"], ["whatif", "--shock", "BTC=-0.2"],
    ])
  func guessMatches(_ arguments: [String]) throws {
    #expect(WorkspacePrefetch.leavesInputsToConfiguration(arguments.dropFirst()))
    let made = try Self.request(arguments)
    #expect(
      try Self.guess(arguments) == made.withCache(MarketCache.configured(config: Self.config, environment: Self.environment)))
  }

  @Test(
    "an input flag stops the guess (and would not match it)",
    arguments: [
      ["--market", "elsewhere"], ["--market=elsewhere"], ["--config", "other.yaml"], ["--instruments-file", "i.yaml"],
      ["--as-of", "2024-08-01"], ["--account", "other.yaml"], ["--holdings", "h.csv"], ["--columns", "symbol=Sym"],
      ["--profiles", "p"], ["--help"], ["-h"],
    ])
  func inputFlagStops(_ flag: [String]) throws {
    let arguments = ["size", "--instrument", "BTC"] + flag
    #expect(!WorkspacePrefetch.leavesInputsToConfiguration(arguments.dropFirst()))
    guard !flag[0].hasPrefix("-h"), flag[0] != "--help", flag[0] != "--config" else { return }
    let made = try Self.request(arguments)
    #expect(
      try Self.guess(arguments) != made.withCache(MarketCache.configured(config: Self.config, environment: Self.environment)))
  }

  @Test("every input flag of the commands' option groups is one that stops the guess")
  func everyInputFlagIsListed() {
    // The option groups' long names, as their help lists them.
    let help = [InputOptions.helpMessage(), AccountOptions.helpMessage(), ProfileOptions.helpMessage()].joined()
    let names = Set(help.matches(of: /--[a-z][a-z-]+/).map { String($0.output) })
    #expect(names.subtracting(["--help"]) == Set(WorkspacePrefetch.inputFlags))
  }

  @Test("a run that reads ahead prints what a run that cannot prints, its errors too")
  func sameBytes() throws {
    // `--config advisor.yaml` names the file discovery finds, and stops the read ahead.
    for args in [
      ["aum", "--format", "json"], ["size", "--instrument", "BTC", "--regime", "volatile", "--format", "json"],
      ["check", "--orders", "examples/orders/batch.csv", "--format", "json", "--no-journal"],
    ] {
      let ahead = try runAdvisor(args)
      let inline = try runAdvisor(args + ["--config", "advisor.yaml"])
      #expect(ahead.status == inline.status && ahead.stdout == inline.stdout, "\(args)")
    }
    // A configuration whose account is missing: the same error, read ahead or not.
    let fm = FileManager.default
    let dir = fm.temporaryDirectory.appendingPathComponent("advisor-prefetch-\(UUID().uuidString)")
    try fm.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? fm.removeItem(at: dir) }
    try fm.copyItem(
      atPath: repositoryRoot.appendingPathComponent("examples/market").path, toPath: dir.appendingPathComponent("market").path)
    try "version: 1\nmarket: market\naccount: missing.yaml\n".write(
      to: dir.appendingPathComponent("advisor.yaml"), atomically: true, encoding: .utf8)
    for args in [["aum"], ["size", "--instrument", "BTC"]] {
      let ahead = try runAdvisor(args, directory: dir)
      let inline = try runAdvisor(args + ["--config", "advisor.yaml"], directory: dir)
      #expect(ahead.status == 2 && ahead.status == inline.status, "\(args): \(ahead.stderr)")
      #expect(ahead.stderr == inline.stderr && ahead.stderr.contains("missing.yaml"), "\(args)")
    }
  }
}

extension WorkspaceRequest {
  /// The same request under another cache (the test's, not the one the process's environment gives).
  func withCache(_ c: MarketCache?) -> WorkspaceRequest {
    WorkspaceRequest(config: config, paths: paths, asOf: asOf, today: today, cache: c)
  }
}
