import Foundation
import LinearAlgebra
import Testing

@testable import RiskIO

#if canImport(Glibc)
  import Glibc
#endif

/// `ProcessEnvironment` reads `environ` itself; it must read what `ProcessInfo.environment` does.
@Suite("Process environment")
struct ProcessEnvironmentTests {
  /// Foundation's reading of one list of entries (FoundationEssentials' `ProcessInfo`).
  static func reference(_ rows: [[UInt8]]) -> [String: String] {
    var results: [String: String] = [:]
    for r in rows {
      let s = String(decoding: r, as: UTF8.self)
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

  /// This process's entries, copied now. Compared as one copy, not `ProcessEnvironment.values`
  /// against `ProcessInfo`: the cached reading is made once, and a test beside this one may set a
  /// variable after it (LinearAlgebra sets `OPENBLAS_NUM_THREADS` when BLAS is first loaded),
  /// which made the two differ on CI. BLAS's variables are settled first, so no `setenv` runs
  /// while `environ` is copied.
  static func environmentRows() -> [[UInt8]] {
    LinearAlgebraRuntime.settleEnvironment()
    #if canImport(Glibc)
      return ProcessEnvironment.currentEntries().map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) }
    #else
      return []
    #endif
  }

  @Test("this process's entries read as Foundation reads them")
  func thisProcess() {
    let rows = Self.environmentRows()
    #expect(Self.parsed(rows) == Self.reference(rows))
  }
}
