import ArgumentParser

struct RiskCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "risk", abstract: "Volatility and covariance of instruments.")
  func run() throws {}
}
