import Foundation
import RiskIO
import Testing

/// CI replays the fuzz corpus (issue 14, docs/FUZZING.md): every file under
/// `Tests/Fixtures/fuzz/TARGET/` (crashes included: each was fixed) and every hostile-corpus
/// file goes through the parser entry points the fuzzer drives (`ParserEntryPoints`). A trap
/// would kill the test process; errors are the expected outcome.
@Suite("Fuzz corpus replay: no parser traps")
struct FuzzCorpusTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static func files(under dir: String) -> [URL] {
    let base = root.appendingPathComponent(dir)
    guard let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
    return e.compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
  }

  @Test("each target's corpus and crashes", arguments: ParserEntryPoints.all.map(\.name))
  func corpus(_ name: String) throws {
    let target = try #require(ParserEntryPoints.target(named: name))
    var count = 0
    for url in Self.files(under: "Tests/Fixtures/fuzz/\(name)") {
      target.run([UInt8]((try? Data(contentsOf: url)) ?? Data()))
      count += 1
    }
    for (dir, suffix) in target.seeds {
      for url in Self.files(under: dir) where url.lastPathComponent.hasSuffix(suffix) {
        target.run([UInt8]((try? Data(contentsOf: url)) ?? Data()))
        count += 1
      }
    }
    #expect(count > 0)
  }

  @Test("every hostile-corpus file through every parser")
  func hostileFiles() {
    let files = Self.files(under: "Tests/Fixtures/hostile/files").filter { $0.pathExtension != "py" }
    #expect(files.count > 50)
    for url in files {
      let bytes = [UInt8]((try? Data(contentsOf: url)) ?? Data())
      for t in ParserEntryPoints.all { t.run(bytes) }
    }
  }
}
