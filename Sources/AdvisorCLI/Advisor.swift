import ArgumentParser

/// The root command: declares the tree, nothing else.
public struct Advisor: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "advisor",
    abstract: "Risk budgeting and position sizing, explained.",
    subcommands: [
      SizeCommand.self, CheckCommand.self, BudgetCommand.self, WhatIfCommand.self, RiskCommand.self, AUMCommand.self,
      JournalCommand.self, StateCommand.self,
    ]
  )
  public init() {}
}
