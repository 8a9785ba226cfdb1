import LinearAlgebra
import Testing

@testable import RiskCore

/// The risk model keeps the instruments held as exposures change, so that an order's clusters
/// and groups are found without scanning the book: it must always equal the scan it replaced.
@Suite("PortfolioRiskModel.held follows every exposure change")
struct HeldMembersTests {
  /// The scan each order made before: the instruments with an exposure, and `k`.
  static func scan(_ m: PortfolioRiskModel, with k: Int?) -> [Int] {
    m.exposures.indices.filter { $0 == k || m.exposures[$0] != 0 }
  }

  @Test("held and members(with:) equal the scan after opening, closing, reopening and netting out")
  func followsChanges() throws {
    let n = 6
    var m = try PortfolioRiskModel(
      symbols: (0..<n).map { "S\($0)" }, covariance: SymmetricMatrix(diagonal: Array(repeating: 0.04, count: n)),
      exposures: [0, 5, 0, -2, 0, 0], observations: 252, periodsPerYear: 252, method: .sample, repair: nil)
    let steps: [(k: Int, x: Double, set: Bool)] = [
      (0, 3, true), (1, 0, true), (5, -1, false), (5, 1, false), (3, 2, false), (2, -0.0, true), (4, 7, true), (0, 0, true),
    ]
    for step in [nil] + steps.map(Optional.some) {
      if let s = step {
        if s.set { m.setExposure(s.k, to: s.x) } else { m.apply(s.k, delta: s.x) }
      }
      #expect(m.held == Self.scan(m, with: nil))
      for k in [nil] + Array(0..<n) { #expect(m.members(with: k) == Self.scan(m, with: k), "k = \(String(describing: k))") }
    }
  }
}
