import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The market cache end to end on the built binary: a run after an edit sees the edit, even
/// one that keeps the file's size and modification time, of a market file or of a profile; a
/// cache that cannot be written changes nothing; the cached run prints the bytes of the
/// uncached one.
@Suite("Market cache, end to end")
struct MarketCacheCommandTests {
  @Test(
    "an edit of a market file or a profile under a warm cache is seen; cached, uncached and unwritable-cache runs print the same bytes"
  )
  func editUnderCache() throws {
    let fm = FileManager.default
    let root = fm.temporaryDirectory.appendingPathComponent("advisor-cache-e2e-\(UUID().uuidString)")
    defer { try? fm.removeItem(at: root) }
    try fm.createDirectory(at: root, withIntermediateDirectories: true)
    let market = root.appendingPathComponent("market").path
    try fm.copyItem(atPath: repositoryRoot.appendingPathComponent("examples/market").path, toPath: market)
    let profiles = root.appendingPathComponent("profiles").path
    try fm.copyItem(atPath: repositoryRoot.appendingPathComponent("profiles").path, toPath: profiles)
    let cache = root.appendingPathComponent("cache").path
    let args = [
      "size", "--instrument", "BTC", "--regime", "normal", "--market", market, "--profiles", profiles, "--format", "json",
    ]
    let off = try runAdvisor(args, environment: ["ADVISOR_CACHE": "off"])
    let cold = try runAdvisor(args, environment: ["ADVISOR_CACHE": cache])
    let warm = try runAdvisor(args, environment: ["ADVISOR_CACHE": cache])
    #expect(off.status == 0 && cold.status == 0 && warm.status == 0)
    #expect(cold.stdout == off.stdout && warm.stdout == off.stdout)
    let entries = ((try? fm.contentsOfDirectory(atPath: cache)) ?? []).filter { $0.hasSuffix(".bin") }
    #expect(entries.filter { $0.hasPrefix("market-") }.count == 12 && entries.filter { $0.hasPrefix("profiles-") }.count == 1)
    #expect(off.stdout.contains("61175.19140625"))

    // The last close edited in place: same length, modification time put back.
    let btc = market + "/BTC-USD.csv"
    var st = stat()
    #expect(stat(btc, &st) == 0)
    let text = try String(contentsOfFile: btc, encoding: .utf8)
    let edited = text.replacingOccurrences(
      of: "61175.19140625,61175.19140625,32731154072", with: "61275.19140625,61275.19140625,32731154072")
    #expect(edited != text && edited.utf8.count == text.utf8.count)
    try edited.write(toFile: btc, atomically: false, encoding: .utf8)
    var times = [st.st_atim, st.st_mtim]
    #expect(utimensat(AT_FDCWD, btc, &times, 0) == 0)
    let after = try runAdvisor(args, environment: ["ADVISOR_CACHE": cache])
    #expect(after.status == 0)
    #expect(after.stdout.contains("61275.19140625") && !after.stdout.contains("61175.19140625"))
    #expect(after.stdout == (try runAdvisor(args, environment: ["ADVISOR_CACHE": "off"])).stdout)

    // The normal profile's risk budget edited in place, same length: the next run reads it.
    let normal = profiles + "/normal.yaml"
    let profileText = try String(contentsOfFile: normal, encoding: .utf8)
    let tighter = profileText.replacingOccurrences(of: "risk_per_trade: 0.0075 ", with: "risk_per_trade: 0.0025 ")
    #expect(tighter != profileText && tighter.utf8.count == profileText.utf8.count)
    try tighter.write(toFile: normal, atomically: false, encoding: .utf8)
    let edit = try runAdvisor(args, environment: ["ADVISOR_CACHE": cache])
    #expect(edit.status == 0 && edit.stdout != after.stdout && edit.stdout.contains("0.0025"))
    #expect(edit.stdout == (try runAdvisor(args, environment: ["ADVISOR_CACHE": "off"])).stdout)

    // A cache path that is a file: the run is the same, the file untouched.
    let blocked = root.appendingPathComponent("not-a-directory").path
    #expect(fm.createFile(atPath: blocked, contents: Data("keep".utf8)))
    let unwritable = try runAdvisor(args, environment: ["ADVISOR_CACHE": blocked])
    #expect(unwritable.status == 0 && unwritable.stdout == edit.stdout)
    #expect(!unwritable.stderr.contains("cache") && unwritable.stderr.hasPrefix("journal: run "))
    #expect(try String(contentsOfFile: blocked, encoding: .utf8) == "keep")
  }
}
