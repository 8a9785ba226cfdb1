import Foundation
import RiskCore
import RiskIO
import Testing

/// The repository root, found from this file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

func repoPath(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

func loadJSON(_ relative: String) throws -> [String: Any] {
  let data = try Data(contentsOf: URL(fileURLWithPath: repoPath(relative)))
  return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// `|a − b| ≤ tol · max(|b|, floor)`: relative error with a floor for values near zero.
func close(_ a: Double, _ b: Double, rel tol: Double, floor: Double = 1e-300) -> Bool {
  abs(a - b) <= tol * max(abs(b), floor)
}

func matrixClose(_ a: [[Double]], _ b: [[Double]], rel tol: Double) -> (ok: Bool, worst: Double) {
  guard a.count == b.count else { return (false, .infinity) }
  // Elementwise relative error, scaled by the largest |b| so near-zero
  // off-diagonal covariances are judged on the matrix's own scale.
  let scale = b.joined().map(abs).max() ?? 1
  var worst = 0.0
  for (ra, rb) in zip(a, b) {
    guard ra.count == rb.count else { return (false, .infinity) }
    for (x, y) in zip(ra, rb) { worst = max(worst, abs(x - y) / max(abs(y), scale * 1e-6)) }
  }
  return (worst <= tol, worst)
}
