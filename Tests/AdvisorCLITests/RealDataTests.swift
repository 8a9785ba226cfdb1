import Foundation
import Testing

/// Issue 15: data as users have it.
@Suite("Real data as users have it, end to end", .serialized)
struct RealDataTests {
  static func workspace() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-real-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("m"), withIntermediateDirectories: true)
    try """
    version: 1
    name: t
    base_currency: GBP
    as_of: 2024-08-21
    fx_quote: base-per-unit
    fx: {USD: 0.78}
    cash: {GBP: 100000}
    positions: []

    """.write(to: dir.appendingPathComponent("account.yaml"), atomically: true, encoding: .utf8)
    return dir
  }

  @Test("a broker export is read as it is with --columns; its other columns are ignored; a wrong name is a usage error")
  func columns() throws {
    let r = try runAdvisor([
      "aum", "--account", "Tests/Fixtures/cash_only.yaml", "--holdings", "examples/broker_export.csv", "--columns",
      "symbol=Symbol,quantity=Position,price=Mark Price,currency=Currency,average_cost=Cost Basis", "--format", "json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let symbols = ((doc["positions"] as? [[String: Any]]) ?? []).compactMap { $0["symbol"] as? String }
    #expect(symbols == ["JPM", "GLD"])
    let unmapped = try runAdvisor([
      "aum", "--account", "Tests/Fixtures/cash_only.yaml", "--holdings", "examples/broker_export.csv",
    ])
    #expect(unmapped.status == 2 && unmapped.stderr.contains("--columns"), "\(unmapped.stderr)")
    let typo = try runAdvisor(["aum", "--holdings", "examples/broker_export.csv", "--columns", "symbl=Symbol"])
    #expect(typo.status == 64 && typo.stderr.contains("did you mean symbol"), "\(typo.stderr)")
  }

  @Test("prices in pence (GBp) are converted to GBP and labelled so; an order in GBP passes the price band")
  func pence() throws {
    let dir = try Self.workspace()
    defer { try? FileManager.default.removeItem(at: dir) }
    let aapl = try String(contentsOf: repositoryRoot.appendingPathComponent("examples/market/AAPL.csv"), encoding: .utf8)
    // The same bars, as if quoted in pence (× 30, so the close is 6,792p = £67.92).
    var lines = aapl.split(separator: "\n").map(String.init)
    for i in 1..<lines.count {
      var f = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      for k in 1...4 { if let x = Double(f[k]) { f[k] = String(format: "%.2f", x * 30) } }
      lines[i] = f.joined(separator: ",")
    }
    try (lines.joined(separator: "\n") + "\n").write(
      to: dir.appendingPathComponent("m/VOD.L.csv"), atomically: true, encoding: .utf8)
    try "version: 1\ninstruments:\n  VOD.L: {asset_class: stock, currency: GBp}\n".write(
      to: dir.appendingPathComponent("m/instruments.yaml"), atomically: true, encoding: .utf8)
    let base = ["--market", "m", "--account", "account.yaml", "--as-of", "2024-08-21"]
    let size = try runAdvisor(["size", "--instrument", "VOD.L"] + base, directory: dir)
    #expect(size.status == 0, "\(size.stderr)")
    #expect(
      size.stdout.contains("Entry        67.92 GBP") && size.stdout.contains("quoted in GBp, 100 GBp = 1 GBP"), "\(size.stdout)")
    let check = try runAdvisor(
      ["check", "--instrument", "VOD.L", "--side", "buy", "--quantity", "10", "--price", "68", "--stop", "60", "--brief"] + base,
      directory: dir)
    #expect(check.status == 0, "\(check.stdout)")
  }

  @Test("close-only data is sized: the ATR rule falls back to σ and says so; --regime auto works on it")
  func closeOnly() throws {
    let dir = try Self.workspace()
    defer { try? FileManager.default.removeItem(at: dir) }
    let args = [
      "size", "--instrument", "AAPL", "--market",
      repositoryRoot.appendingPathComponent("data/panels/pypfopt_stock_prices.csv").path,
      "--account", "account.yaml", "--as-of", "2018-04-11", "--regime", "auto",
    ]
    let r = try runAdvisor(args, directory: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("has closes only") && r.stdout.contains("(auto)"))
  }

  @Test("Yahoo crypto volume without volume_unit is a warning, not a silent 22-billion-unit ADV")
  func cryptoVolume() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-crypto-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let market = dir.appendingPathComponent("market")
    try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("examples/market"), to: market)
    let yaml = try String(contentsOf: market.appendingPathComponent("instruments.yaml"), encoding: .utf8)
    try yaml.replacingOccurrences(of: "volume_unit: quote", with: "").write(
      to: market.appendingPathComponent("instruments.yaml"), atomically: true, encoding: .utf8)
    let r = try runAdvisor(["size", "--instrument", "BTC", "--market", market.path, "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("IMPLAUSIBLE_VOLUME") && r.stdout.contains("volume_unit"))
  }
}
