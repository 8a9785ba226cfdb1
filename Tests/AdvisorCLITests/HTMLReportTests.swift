import Foundation
import Testing

/// Headless Chromium, when the machine has it (Debian's `chromium`).
let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
  FileManager.default.isExecutableFile(atPath: $0)
}

@Suite("The HTML report", .serialized)
struct HTMLReportTests {
  static func report(_ dir: URL) throws -> URL {
    let out = dir.appendingPathComponent("report.html")
    let r = try runAdvisor([
      "whatif", "--scenario", "examples/scenarios/crypto-crash.yaml", "--replay", "2020-03-09:2020-03-23", "--format", "html",
      "--output", out.path,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    return out
  }

  @Test("every chart has axis titles and tick labels; dates run along the replay; the summary after the reductions is there")
  func axes() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-html-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let html = try String(contentsOf: try Self.report(dir), encoding: .utf8)
    let charts = html.components(separatedBy: "<svg").dropFirst()
    #expect(charts.count == 3)
    for chart in charts {
      #expect(chart.contains("class=\"axis\""), "a chart without an axis title")
      #expect(chart.components(separatedBy: "class=\"value\"").count > 3, "a chart without tick labels")
    }
    let replay = try #require(charts.last)
    #expect(replay.contains(">2020-03-09<") && replay.contains(">2020-03-23<"))
    #expect(replay.components(separatedBy: ">2020-03-").count >= 4, "too few dates along the replay")
    #expect(html.contains("After them: gross leverage"))
    #expect(html.contains("<title>What if: Crypto crash</title>"))
  }

  @Test(
    "headless Chromium draws the whole page: the full-page screenshot is as tall as the content",
    .enabled(if: chromium != nil, "Chromium is not installed (apt-get install chromium); the page was not rendered"))
  func rendered() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-html-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let html = try Self.report(dir)
    let png = dir.appendingPathComponent("report.png")
    let p = Process()
    p.executableURL = repositoryRoot.appendingPathComponent("scripts/render-html.sh")
    p.arguments = [html.path, png.path]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(p.terminationStatus == 0, "\(said)")
    // "wrote report.png (1000 × H px)": the report is taller than the old fixed 2,400 px window.
    let height = Int(said.split(separator: "×").last?.split(separator: " ").first ?? "") ?? 0
    #expect(height > 2_400, "\(said)")
    #expect(FileManager.default.fileExists(atPath: png.path))
  }
}
