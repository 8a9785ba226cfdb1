import LinearAlgebra

/// How the distance between two clusters is measured when they are merged.
public enum ClusterLinkage: String, Sendable, Hashable, CaseIterable {
  /// The nearest pair of members.
  case single
  /// The farthest pair of members.
  case complete
  /// The mean over all pairs of members (UPGMA).
  case average
}

/// Hierarchical clustering of instruments on their correlation, cut at a minimum correlation:
/// the correlated groups of the risk model.
///
/// Convention (scipy's, which the tests reproduce: `scipy.cluster.hierarchy.linkage(d, method)`
/// then `fcluster(Z, t, criterion="distance")`):
/// - the distance of two instruments is `d = √(½(1 − ρ))` (0 for ρ = 1, √½ for ρ = 0, 1 for
///   ρ = −1), the metric of Mantegna (1999) up to the factor ½;
/// - agglomerative: the two nearest clusters are merged while their distance is at most
///   `t = √(½(1 − min_correlation))`; the distance of a merged cluster to another is the
///   Lance–Williams update of the linkage (single: min, complete: max, average: the
///   size-weighted mean);
/// - a flat cluster is what the merges at distances ≤ t leave (every linkage here is monotone,
///   so this is fcluster's "no cophenetic distance above t");
/// - ties (equal distances) are broken by symbol: each cluster is known by its first member in
///   symbol order, and of equally near pairs the one whose (first, second) names come first is
///   merged first, so the result does not depend on the order the instruments come in;
/// - an instrument with no variance has no correlation and is never merged.
///
/// Cost: O(n³) in the instruments (n ≤ a few hundred in a book), O(n²) memory.
public enum CorrelationClusters {
  /// `√(½(1 − ρ))`, with ρ clipped to [−1, 1].
  public static func distance(correlation rho: Double) -> Double {
    (0.5 * (1 - min(1, max(-1, rho)))).squareRoot()
  }

  /// The cut: `√(½(1 − min_correlation))`.
  public static func threshold(minCorrelation: Double) -> Double { distance(correlation: minCorrelation) }

  /// The correlation of a covariance: `Σᵢⱼ / √(Σᵢᵢ Σⱼⱼ)` (nil where a variance is not positive).
  public static func correlation(_ c: SymmetricMatrix, _ i: Int, _ j: Int) -> Double? {
    let (a, b) = (c[i, i], c[j, j])
    guard a > 0, b > 0, a.isFinite, b.isFinite else { return nil }
    return i == j ? 1 : c[i, j] / (a * b).squareRoot()
  }

  /// The flat clusters of `indices` (into `covariance` and `symbols`), each a list of indices in
  /// symbol order, the clusters in the order of their first symbol.
  public static func clusters(
    covariance: SymmetricMatrix, symbols: [String], indices: [Int]? = nil, linkage: ClusterLinkage, minCorrelation: Double
  ) -> [[Int]] {
    let items = (indices ?? Array(symbols.indices)).sorted { symbols[$0] < symbols[$1] }
    let n = items.count
    guard n > 0 else { return [] }
    let t = threshold(minCorrelation: minCorrelation)
    // d[a][b] between active clusters a, b (positions in `items`, each cluster known by its
    // first position in symbol order, which is its smallest symbol).
    var d = [Double](repeating: .infinity, count: n * n)
    for a in 0..<n {
      for b in (a + 1)..<max(a + 1, n) {
        let rho = correlation(covariance, items[a], items[b])
        let x = rho.map { distance(correlation: $0) } ?? .infinity
        d[a * n + b] = x
        d[b * n + a] = x
      }
    }
    var members: [[Int]] = (0..<n).map { [$0] }
    var active = [Bool](repeating: true, count: n)
    while true {
      var best = Double.infinity
      var pair: (Int, Int)? = nil
      for a in 0..<n where active[a] {
        for b in (a + 1)..<max(a + 1, n) where active[b] {
          let x = d[a * n + b]
          if x < best {
            best = x
            pair = (a, b)
          }
        }
      }
      guard let (a, b) = pair, best <= t else { break }
      let (na, nb) = (Double(members[a].count), Double(members[b].count))
      for k in 0..<n where active[k] && k != a && k != b {
        let (da, db) = (d[k * n + a], d[k * n + b])
        let x: Double
        switch linkage {
        case .single: x = min(da, db)
        case .complete: x = max(da, db)
        case .average: x = (na * da + nb * db) / (na + nb)
        }
        d[k * n + a] = x
        d[a * n + k] = x
      }
      // a < b, so a keeps the smaller first symbol.
      members[a] += members[b]
      members[a].sort()
      members[b] = []
      active[b] = false
    }
    return (0..<n).filter { active[$0] }.map { members[$0].map { items[$0] } }
  }
}
