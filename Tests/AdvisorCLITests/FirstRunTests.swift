import Foundation
import Testing

/// Issue 15: a trader's first run, outside this repository, and the daily-use flags.
@Suite("First run and daily use, end to end", .serialized)
struct FirstRunTests {
  static func emptyDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-first-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  @Test(
    "an unknown regime by flag is a usage error (exit 64) with the closest name",
    arguments: [
      ["size", "--instrument", "BTC", "--regime", "volatil"],
      ["check", "--instrument", "BTC", "--side", "buy", "--quantity", "1", "--regime", "volatil"],
      ["budget", "--regime", "volatil"], ["whatif", "--shock", "BTC=-10%", "--to-regime", "volatil"],
    ])
  func unknownRegime(arguments: [String]) throws {
    let r = try runAdvisor(arguments)
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains("did you mean volatile"), "\(r.stderr)")
  }

  @Test("an unknown subcommand is a usage error with the closest names")
  func unknownSubcommand() throws {
    let r = try runAdvisor(["sise"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("did you mean 'size'"), "\(r.stderr)")
  }

  @Test("one side vocabulary: size and check take buy/sell and long/short alike")
  func sides() throws {
    let a = try runAdvisor(["size", "--instrument", "BTC", "--side", "buy", "--regime", "volatile", "--brief"])
    let b = try runAdvisor(["size", "--instrument", "BTC", "--side", "long", "--regime", "volatile", "--brief"])
    #expect(a.status == 0 && a.stdout == b.stdout)
    let c = try runAdvisor(["check", "--instrument", "GC", "--side", "short", "--quantity", "1", "--brief"])
    let d = try runAdvisor(["check", "--instrument", "GC", "--side", "sell", "--quantity", "1", "--brief"])
    #expect(c.status == 0 && c.stdout == d.stdout, "\(c.stdout)")
  }

  @Test("--brief: one line for size and for check")
  func brief() throws {
    let s = try runAdvisor(["size", "--instrument", "BTC", "--regime", "volatile", "--brief"])
    #expect(
      s.stdout
        == "BTC long 0.2615 (2,615 lots) entry 61175.19 stop 52611.82 at risk 2,239.32 USD binding risk-budget regime volatile\n")
    let c = try runAdvisor([
      "check", "--instrument", "BTC", "--side", "buy", "--quantity", "2", "--stop", "52600", "--regime", "volatile", "--brief",
    ])
    #expect(c.status == 1)
    #expect(c.stdout == "FAIL  RISK_BUDGET_EXCEEDED  max 0.2612\n", "\(c.stdout)")
  }

  @Test("--quiet prints only the failing orders")
  func quiet() throws {
    let r = try runAdvisor(["check", "--orders", "Tests/Fixtures/orders/all_codes.csv", "--quiet"])
    #expect(r.status == 1)
    #expect(!r.stdout.contains("PASS  "))
    #expect(r.stdout.contains("#2 unknown") && !r.stdout.contains("#1 ok-1"))
  }

  @Test("colour only when asked or on a terminal; piped output has no escape")
  func colour() throws {
    let plain = try runAdvisor(["check", "--orders", "examples/orders/batch.csv"])
    #expect(!plain.stdout.contains("\u{1B}["))
    let always = try runAdvisor(["check", "--orders", "examples/orders/batch.csv", "--color", "always"])
    #expect(always.stdout.contains("\u{1B}[32mPASS\u{1B}[0m"))
    let never = try runAdvisor(["check", "--orders", "examples/orders/batch.csv", "--color", "never"])
    #expect(never.stdout == plain.stdout)
  }

  @Test("- reads standard input for the account, the scenario and the holdings too")
  func standardInput() throws {
    let account = try String(contentsOfFile: repositoryRoot.appendingPathComponent("examples/account.yaml").path, encoding: .utf8)
    let viaStdin = try runAdvisor(["aum", "--account", "-", "--format", "json"], stdin: account)
    let viaFile = try runAdvisor(["aum", "--format", "json"])
    #expect(viaStdin.status == 0, "\(viaStdin.stderr)")
    let a = try #require(try JSONSerialization.jsonObject(with: Data(viaStdin.stdout.utf8)) as? [String: Any])
    let b = try #require(try JSONSerialization.jsonObject(with: Data(viaFile.stdout.utf8)) as? [String: Any])
    #expect((a["totals"] as? [String: Any])?["equity"] as? Double == (b["totals"] as? [String: Any])?["equity"] as? Double)
    let scenario = try String(
      contentsOfFile: repositoryRoot.appendingPathComponent("examples/scenarios/crypto-crash.yaml").path, encoding: .utf8)
    let w = try runAdvisor(["whatif", "--scenario", "-"], stdin: scenario)
    #expect(w.status == 0 && w.stdout.contains("Crypto crash"), "\(w.stderr)")
    let twice = try runAdvisor(["check", "--orders", "-", "--account", "-"], stdin: account)
    #expect(twice.status == 2)
  }

  @Test("from an empty directory: the error names init, --config and ADVISOR_CONFIG once; init, a first size, a brief check")
  func firstRun() throws {
    let dir = try Self.emptyDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lost = try runAdvisor(["size", "--instrument", "AAPL"], directory: dir)
    #expect(lost.status == 2)
    for way in ["advisor init", "--config", "ADVISOR_CONFIG"] { #expect(lost.stderr.contains(way)) }
    #expect(lost.stderr.split(separator: "\n").count == 1)
    let initialised = try runAdvisor(["init"], directory: dir)
    #expect(initialised.status == 0, "\(initialised.stderr)")
    for f in ["advisor.yaml", "account.yaml", "market/instruments.yaml", "market/README.md"] {
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), "\(f)")
    }
    #expect(try runAdvisor(["init"], directory: dir).status == 2, "init overwrote an existing workspace")
    // The user's data: a Yahoo-format CSV in market/ (the example's AAPL).
    try FileManager.default.copyItem(
      at: repositoryRoot.appendingPathComponent("examples/market/AAPL.csv"), to: dir.appendingPathComponent("market/AAPL.csv"))
    let size = try runAdvisor(["size", "--instrument", "AAPL", "--as-of", "2024-08-21"], directory: dir)
    #expect(size.status == 0, "\(size.stderr)")
    #expect(size.stdout.contains("built-in normal profile"))
    let check = try runAdvisor(
      [
        "check", "--instrument", "AAPL", "--side", "buy", "--quantity", "10", "--stop", "215", "--as-of", "2024-08-21", "--brief",
      ],
      directory: dir)
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    #expect(check.stdout.hasPrefix("PASS  max "))
    let shown = try runAdvisor(["profiles", "show", "normal"], directory: dir)
    #expect(shown.stdout.contains("regime: normal"))
    let exported = try runAdvisor(["profiles", "export", "profiles"], directory: dir)
    #expect(exported.status == 0)
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("profiles/auto.yaml").path))
  }

  @Test("the installed binary: install, then init, a first size and a brief check from an empty directory; uninstall")
  func installed() throws {
    let prefix = try Self.emptyDirectory()
    let home = try Self.emptyDirectory()
    defer {
      try? FileManager.default.removeItem(at: prefix)
      try? FileManager.default.removeItem(at: home)
    }
    let install = Process()
    install.executableURL = repositoryRoot.appendingPathComponent("scripts/install.sh")
    install.arguments = [prefix.path, advisorBinary.path]
    install.currentDirectoryURL = repositoryRoot
    install.standardOutput = FileHandle.nullDevice
    install.standardError = FileHandle.nullDevice
    try install.run()
    install.waitUntilExit()
    #expect(install.terminationStatus == 0)
    let bin = prefix.appendingPathComponent("bin/advisor").path
    for f in [
      "share/bash-completion/completions/advisor", "share/zsh/site-functions/_advisor",
      "share/fish/vendor_completions.d/advisor.fish",
    ] {
      let text = try String(contentsOf: prefix.appendingPathComponent(f), encoding: .utf8)
      #expect(text.contains("advisor") && text.contains("size"), "\(f)")
    }
    #expect(try runAdvisor(["init"], directory: home, executable: bin).status == 0)
    try FileManager.default.copyItem(
      at: repositoryRoot.appendingPathComponent("examples/market/AAPL.csv"), to: home.appendingPathComponent("market/AAPL.csv"))
    let size = try runAdvisor(
      ["size", "--instrument", "AAPL", "--as-of", "2024-08-21", "--brief"], directory: home, executable: bin)
    #expect(size.status == 0 && size.stdout.hasPrefix("AAPL long "), "\(size.stdout)\(size.stderr)")
    let check = try runAdvisor(
      [
        "check", "--instrument", "AAPL", "--side", "buy", "--quantity", "10", "--stop", "215", "--as-of", "2024-08-21", "--brief",
      ],
      directory: home, executable: bin)
    #expect(check.status == 0 && check.stdout.hasPrefix("PASS"), "\(check.stdout)\(check.stderr)")
    let uninstall = Process()
    uninstall.executableURL = repositoryRoot.appendingPathComponent("scripts/install.sh")
    uninstall.arguments = ["--uninstall", prefix.path]
    uninstall.standardOutput = FileHandle.nullDevice
    try uninstall.run()
    uninstall.waitUntilExit()
    #expect(!FileManager.default.fileExists(atPath: bin))
  }

  @Test("--version prints the version")
  func version() throws {
    let r = try runAdvisor(["--version"])
    #expect(r.status == 0 && r.stdout.first?.isNumber == true)
  }
}
