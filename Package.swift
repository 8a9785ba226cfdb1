// swift-tools-version:6.1
import Foundation
import PackageDescription

let package = Package(
  name: "advisor",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "advisor", targets: ["advisor"]),
    .executable(name: "advisor-bench", targets: ["AdvisorBench"]),
    .executable(name: "advisor-serve", targets: ["advisor-serve"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    // The HTTP service (`advisor serve`, its own executable): Hummingbird 2 without the
    // swift-configuration trait (not used; it saves a build of that package).
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
  ],
  targets: [
    .systemLibrary(name: "CLAPACKE", path: "Sources/CLAPACKE"),
    // The journal's SQLite: Debian's libsqlite3-dev (scripts/setup.sh), behind one Swift type.
    .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
    // The C library's decimal conversions behind fixed signatures (header only): RiskIO's Format.
    .systemLibrary(name: "CFormat", path: "Sources/CFormat"),
    // XXH3 from xxHash's header (Debian's libxxhash-dev; nothing linked): the market cache's content hash.
    .systemLibrary(name: "CXXHash", path: "Sources/CXXHash", providers: [.apt(["libxxhash-dev"])]),
    .target(name: "LinearAlgebra", dependencies: ["CLAPACKE"]),
    .target(name: "RiskCore", dependencies: ["LinearAlgebra"]),
    .target(name: "RiskIO", dependencies: ["RiskCore", "CFormat", "CXXHash", .product(name: "Yams", package: "Yams")]),
    // SQLite linked statically (`libsqlite3.a`, Debian's libsqlite3-dev): as a shared library
    // (built with BIND_NOW) the loader resolved its 1,600 symbols at every start of every
    // command, journaled or not (BENCHMARKS.md, issue 16, twelfth pass).
    .target(
      name: "AdvisorJournal", dependencies: ["CSQLite", "RiskCore"],
      linkerSettings: [
        .unsafeFlags(["-Xlinker", "-l:libsqlite3.a"], .when(platforms: [.linux])),
        .linkedLibrary("sqlite3", .when(platforms: [.macOS])),
      ]),
    // What a run records in the journal (RunJournal, Recording) and the exit codes: shared by
    // the CLI and the server, so that both record a check the same way.
    .target(name: "AdvisorRecording", dependencies: ["AdvisorJournal", "RiskCore", "RiskIO"]),
    .target(
      name: "AdvisorCLI",
      dependencies: [
        "LinearAlgebra", "RiskCore", "RiskIO", "AdvisorJournal", "AdvisorRecording", "AdvisorServeOptions",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // Linked by GNU ld with packed relative relocations (DT_RELR, glibc 2.36+; an older ld
    // ignores the option): the static binary's 81,000 RELA entries (1.9 MB the loader reads at
    // every start) become 15 KB; a small gain, 15 page faults and 0.2 ms (BENCHMARKS.md, issue 16).
    .executableTarget(
      name: "advisor", dependencies: ["AdvisorCLI"],
      linkerSettings: [
        .unsafeFlags(["-use-ld=bfd", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux]))
      ]),
    // `advisor serve`: the pre-trade check as an HTTP service, on the same core and renderers.
    // Its own target and executable, so the CLI does not link NIO (BENCHMARKS.md: start-up).
    .target(
      name: "AdvisorServer",
      dependencies: [
        "LinearAlgebra", "RiskCore", "RiskIO", "AdvisorJournal", "AdvisorRecording",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ]),
    // The options of `advisor serve`, without the server: the CLI checks them and runs advisor-serve.
    .target(name: "AdvisorServeOptions", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]),
    .executableTarget(
      name: "advisor-serve",
      dependencies: [
        "AdvisorServer", "AdvisorServeOptions", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
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
    .testTarget(
      name: "AdvisorServerTests",
      dependencies: ["AdvisorServer", "RiskIO", .product(name: "Yams", package: "Yams")]),
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
