import Foundation
import Testing

@testable import RiskIO

@Suite("The built-in profiles are the shipped ones")
struct BuiltInProfileTests {
  @Test("each built-in profile is byte for byte its file in profiles/ (run scripts/embed-profiles.py after editing one)")
  func sameAsFiles() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    for name in ProfileFile.builtInNames {
      let file = try String(contentsOf: root.appendingPathComponent("profiles/\(name).yaml"), encoding: .utf8)
      #expect(ProfileFile.builtInText(name) == file, "\(name).yaml differs from the built-in text")
    }
    let set = try ProfileFile.builtIn()
    #expect(set.names == ["calm", "normal", "volatile", "crisis"])
    #expect(set.profile("normal")?.source == "built-in normal profile")
    let dir = try ProfileFile.loadDirectory(root.appendingPathComponent("profiles").path)
    for (a, b) in zip(set.profiles, dir.profiles) {
      var x = a
      x.source = b.source
      #expect(x == b)
    }
  }
}
