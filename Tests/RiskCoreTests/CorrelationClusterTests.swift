import Foundation
import LinearAlgebra
import Testing

@testable import RiskCore

@Suite("Correlated groups: hierarchical clustering on √(½(1 − ρ))")
struct CorrelationClusterTests {
  /// A, B, C, D with ρ_AB = 0.9, ρ_BC = 0.8, ρ_AC = 0.5 and D uncorrelated; σ = 1, 2, 3, 4 so the
  /// covariance is not the correlation.
  static func abcd() throws -> (SymmetricMatrix, [String]) {
    let rho: [[Double]] = [[1, 0.9, 0.5, 0], [0.9, 1, 0.8, 0], [0.5, 0.8, 1, 0], [0, 0, 0, 1]]
    let s: [Double] = [1, 2, 3, 4]
    let cov = (0..<4).map { i in (0..<4).map { j in rho[i][j] * s[i] * s[j] } }
    return (try SymmetricMatrix(rowArrays: cov), ["A", "B", "C", "D"])
  }

  static func names(_ groups: [[Int]], _ symbols: [String]) -> [[String]] { groups.map { $0.map { symbols[$0] } } }

  @Test("hand-computed: the three linkages disagree where they should")
  func handComputed() throws {
    let (c, s) = try Self.abcd()
    // d_AB = √0.05 = 0.2236, d_BC = √0.1 = 0.3162, d_AC = √0.25 = 0.5; t(0.7) = √0.15 = 0.3873.
    #expect(abs(CorrelationClusters.distance(correlation: 0.9) - 0.05.squareRoot()) < 1e-16)
    #expect(abs(CorrelationClusters.threshold(minCorrelation: 0.7) - 0.15.squareRoot()) < 1e-16)
    func run(_ l: ClusterLinkage, _ rho: Double) -> [[String]] {
      Self.names(CorrelationClusters.clusters(covariance: c, symbols: s, linkage: l, minCorrelation: rho), s)
    }
    // single: AB at 0.2236, then d(AB, C) = min(0.5, 0.3162) ≤ 0.3873.
    #expect(run(.single, 0.7) == [["A", "B", "C"], ["D"]])
    // complete: d(AB, C) = max = 0.5 > 0.3873; average: (0.5 + 0.3162)/2 = 0.4081 > 0.3873.
    #expect(run(.complete, 0.7) == [["A", "B"], ["C"], ["D"]])
    #expect(run(.average, 0.7) == [["A", "B"], ["C"], ["D"]])
    // t(0.6) = √0.2 = 0.4472: average merges C (0.4081), complete does not (0.5).
    #expect(run(.average, 0.6) == [["A", "B", "C"], ["D"]])
    #expect(run(.complete, 0.6) == [["A", "B"], ["C"], ["D"]])
    // ρ = min_correlation exactly is in (d ≤ t); at −0.5 (t = √0.75) even the uncorrelated D joins.
    #expect(run(.single, 0.9) == [["A", "B"], ["C"], ["D"]])
    #expect(run(.average, -0.5) == [["A", "B", "C", "D"]])
  }

  @Test("the result does not depend on the order the instruments come in; ties are broken by symbol")
  func orderFree() throws {
    // Four instruments all at ρ = 0.8 to each other: every distance ties.
    var rows = [[Double]](repeating: [Double](repeating: 0.8, count: 4), count: 4)
    for i in 0..<4 { rows[i][i] = 1 }
    let c = try SymmetricMatrix(rowArrays: rows)
    for perm in [["W", "X", "Y", "Z"], ["Z", "Y", "X", "W"], ["X", "Z", "W", "Y"]] {
      let g = CorrelationClusters.clusters(covariance: c, symbols: perm, linkage: .average, minCorrelation: 0.7)
      #expect(Self.names(g, perm) == [["W", "X", "Y", "Z"]])
    }
    let (c4, s) = try Self.abcd()
    let order = [3, 1, 0, 2]
    let permuted = try SymmetricMatrix(rowArrays: order.map { i in order.map { j in c4[i, j] } })
    for l in ClusterLinkage.allCases {
      let a = Self.names(CorrelationClusters.clusters(covariance: c4, symbols: s, linkage: l, minCorrelation: 0.6), s)
      let ps = order.map { s[$0] }
      let b = Self.names(CorrelationClusters.clusters(covariance: permuted, symbols: ps, linkage: l, minCorrelation: 0.6), ps)
      #expect(a == b, "\(l)")
    }
  }

  @Test("an instrument with no variance is never merged; a subset of indices is clustered alone")
  func degenerate() throws {
    let c = try SymmetricMatrix(rowArrays: [[1, 0, 0.9], [0, 0, 0], [0.9, 0, 1]])
    let g = CorrelationClusters.clusters(covariance: c, symbols: ["A", "FLAT", "B"], linkage: .single, minCorrelation: -1)
    #expect(Self.names(g, ["A", "FLAT", "B"]) == [["A", "B"], ["FLAT"]])
    let (c4, s) = try Self.abcd()
    let sub = CorrelationClusters.clusters(covariance: c4, symbols: s, indices: [0, 2, 3], linkage: .single, minCorrelation: 0.7)
    // Without B, A and C (ρ 0.5) stay apart.
    #expect(Self.names(sub, s) == [["A"], ["C"], ["D"]])
  }

  @Test("scipy's linkage + fcluster(criterion='distance') on real correlations, every linkage and threshold")
  func scipyReference() throws {
    let json = try loadJSON("Tests/Fixtures/reference/correlation_clusters.json")
    let cases = try #require(json["cases"] as? [[String: Any]])
    var compared = 0
    for c in cases {
      let symbols = try #require(c["symbols"] as? [String])
      let rows = try #require(c["correlation"] as? [[Double]])
      let corr = try SymmetricMatrix(rowArrays: rows, tolerance: 1e-9)
      let blocks = try #require(c["clusters"] as? [[String: Any]])
      for k in blocks {
        let name = try #require(k["linkage"] as? String)
        let l = try #require(ClusterLinkage(rawValue: name))
        let rho = try #require(k["minCorrelation"] as? Double)
        let want = try #require(k["groups"] as? [[String]])
        let got = Self.names(
          CorrelationClusters.clusters(covariance: corr, symbols: symbols, linkage: l, minCorrelation: rho), symbols)
        #expect(got == want, "\(c["name"] ?? "") \(l) ρ ≥ \(rho)")
        compared += 1
      }
    }
    #expect(compared == 54)
  }
}
