import Foundation
import Testing

@testable import RiskIO

/// `ProcessEnvironment` reads `environ` itself; it must read what `ProcessInfo.environment` does.
@Suite("Process environment")
struct ProcessEnvironmentTests {
  /// Foundation's reading of one list of entries (FoundationEssentials' `ProcessInfo`).
  static func reference(_ rows: [[UInt8]]) -> [String: String] {
    var results: [String: String] = [:]
    for r in rows {
      let s = String(cString: r + [0])
      guard let d = s.firstIndex(of: "=") else { continue }
      results[String(s[s.startIndex..<d])] = String(s[s.index(after: d)..<s.endIndex])
    }
    return results
  }

  static func parsed(_ rows: [[UInt8]]) -> [String: String] {
    let owned = rows.map { r -> UnsafeMutablePointer<CChar> in
      let p = UnsafeMutablePointer<CChar>.allocate(capacity: r.count + 1)
      for (i, b) in r.enumerated() { p[i] = CChar(bitPattern: b) }
      p[r.count] = 0
      return p
    }
    defer { owned.forEach { $0.deallocate() } }
    return ProcessEnvironment.parse(owned.map { UnsafePointer($0) })
  }

  @Test(
    "entries read as Foundation reads them",
    arguments: [
      ["HOME=/root", "PATH=/usr/bin:/bin", "EMPTY=", "=novalue", "NOEQUALS", "A=b=c", "A=second"],
      ["LANG=fr_FR.UTF-8", "NAME=Zoë", "K\u{301}=v", "X=\u{301}after", "Y=\u{301}=later", "日本=語"],
      [],
    ].map { $0.map { Array($0.utf8) } } + [
      [[0x41, 0x3D, 0xFF, 0xFE], [0xC3, 0x3D, 0x41], [0x42, 0x3D, 0xE2, 0x82], [0x3D, 0x3D]]
    ])
  func matchesFoundation(rows: [[UInt8]]) {
    #expect(Self.parsed(rows) == Self.reference(rows))
  }

  @Test("this process's environment is ProcessInfo's")
  func thisProcess() {
    #expect(ProcessEnvironment.values == ProcessInfo.processInfo.environment)
  }
}
