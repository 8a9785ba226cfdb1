// swift-tools-version:6.0
import Foundation
import PackageDescription

let package = Package(
  name: "advisor",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "advisor", targets: ["advisor"]),
    .executable(name: "advisor-bench", targets: ["AdvisorBench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
  ],
  targets: [
    .systemLibrary(name: "CLAPACKE", path: "Sources/CLAPACKE"),
    // The journal's SQLite: Debian's libsqlite3-dev (scripts/setup.sh), behind one Swift type.
    .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
    .target(name: "LinearAlgebra", dependencies: ["CLAPACKE"]),
    .target(name: "RiskCore", dependencies: ["LinearAlgebra"]),
    .target(name: "RiskIO", dependencies: ["RiskCore", .product(name: "Yams", package: "Yams")]),
    .target(name: "AdvisorJournal", dependencies: ["CSQLite", "RiskCore"]),
    .target(
      name: "AdvisorCLI",
      dependencies: [
        "RiskCore", "RiskIO", "AdvisorJournal",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(name: "advisor", dependencies: ["AdvisorCLI"]),
    // Benchmarks (bench/, BENCHMARKS.md): an executable only, never a test dependency.
    .executableTarget(
      name: "AdvisorBench",
      dependencies: [
        "LinearAlgebra", "RiskCore", "RiskIO", "AdvisorJournal",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
    .testTarget(name: "RiskCoreTests", dependencies: ["RiskCore", "RiskIO"]),
    .testTarget(name: "RiskIOTests", dependencies: ["RiskIO"]),
    .testTarget(name: "AdvisorCLITests", dependencies: ["AdvisorCLI", "AdvisorJournal", "RiskCore"], exclude: ["Golden"]),
    .testTarget(name: "AdvisorJournalTests", dependencies: ["AdvisorJournal", "RiskCore"]),
  ],
  swiftLanguageModes: [.v6]
)

// The libFuzzer targets (`make fuzz`, docs/FUZZING.md): only with ADVISOR_FUZZ=1, built in
// their own scratch path with -sanitize=fuzzer; never part of `swift build` or `swift test`.
if ProcessInfo.processInfo.environment["ADVISOR_FUZZ"] == "1" {
  package.targets.append(
    .executableTarget(
      name: "AdvisorFuzz", dependencies: ["RiskIO"], path: "Fuzz",
      swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
  package.products.append(.executable(name: "advisor-fuzz", targets: ["AdvisorFuzz"]))
}
