import Foundation
import RiskCore

/// Every parser advisor has, callable on bytes in memory: the fuzz targets (`make fuzz`,
/// `Fuzz/`) and the corpus test (`Tests/RiskIOTests/FuzzCorpusTests.swift`) drive the same
/// list, so the corpus CI runs is exactly what the fuzzer explored.
///
/// Each entry parses and discards the result; an `Error` is the expected outcome of a bad
/// input. Only a trap (a crash, an overflow, an index out of range) or a hang is a finding.
public enum ParserEntryPoints {
  public struct Target: Sendable {
    public let name: String
    /// The seed directories (relative to the repository) and the file suffixes to take from them.
    public let seeds: [(directory: String, suffix: String)]
    public let run: @Sendable ([UInt8]) -> Void
  }

  static func yaml(_ bytes: [UInt8], _ path: String) -> String? { try? InputFiles.text(bytes, path: path) }

  public static let all: [Target] = [
    Target(name: "market-csv", seeds: [("examples/market", ".csv"), ("Tests/Fixtures/bad", ".csv")]) { bytes in
      _ = try? MarketDataLoader().parse(bytes: bytes, path: "fuzz.csv")
    },
    Target(
      name: "account-yaml", seeds: [("examples", "account.yaml"), ("examples/broker", ".yaml"), ("Tests/Fixtures", ".yaml")]
    ) {
      bytes in
      guard let text = yaml(bytes, "fuzz.yaml") else { return }
      _ = try? AccountFile.parse(text, path: "/nonexistent/fuzz.yaml", catalog: InstrumentCatalog())
    },
    Target(name: "holdings-csv", seeds: [("examples", "holdings.csv")]) { bytes in
      _ = try? HoldingsCSV.parse(bytes, path: "fuzz.csv", catalog: InstrumentCatalog(), base: "USD")
    },
    Target(name: "followers-csv", seeds: [("examples", "followers.csv")]) { bytes in
      _ = try? FollowersCSV.parse(bytes, path: "fuzz.csv")
    },
    Target(name: "orders-csv", seeds: [("examples/orders", ".csv"), ("Tests/Fixtures/orders", ".csv")]) { bytes in
      _ = try? OrdersFile.parseCSV(bytes, path: "fuzz.csv")
    },
    Target(name: "orders-jsonl", seeds: [("examples/orders", ".jsonl"), ("Tests/Fixtures/orders", ".jsonl")]) { bytes in
      _ = try? OrdersFile.parseJSONLines(bytes, path: "fuzz.jsonl")
    },
    Target(name: "profile-yaml", seeds: [("profiles", ".yaml")]) { bytes in
      guard let text = yaml(bytes, "fuzz.yaml") else { return }
      _ = try? ProfileFile.parse(text, path: "fuzz.yaml")
      _ = try? ProfileFile.parseDetection(text, path: "auto.yaml")
    },
    Target(name: "scenario-yaml", seeds: [("examples/scenarios", ".yaml")]) { bytes in
      guard let text = yaml(bytes, "fuzz.yaml") else { return }
      _ = try? ScenarioFile.parse(text, path: "fuzz.yaml")
    },
    Target(name: "instruments-yaml", seeds: [("examples/market", "instruments.yaml")]) { bytes in
      guard let text = yaml(bytes, "fuzz.yaml") else { return }
      _ = try? InstrumentsFile.parse(text, path: "fuzz.yaml")
      _ = try? BudgetFile.parse(text, path: "fuzz.yaml")
    },
  ]

  public static func target(named name: String) -> Target? { all.first { $0.name == name } }
}
