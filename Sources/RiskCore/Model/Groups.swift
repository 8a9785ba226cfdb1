import LinearAlgebra

/// Where the groups of the group limits come from.
public enum GroupSource: String, Sendable, Hashable, CaseIterable {
  /// The correlation clusters only.
  case clusters
  /// The hand-given groups of instruments.yaml (`group: semis`) only.
  case instruments
  /// Both: an instrument may then be in a cluster and in a hand-given group, and each is capped.
  case both
}

/// How a profile groups instruments: hierarchical clustering on the correlation of its own
/// covariance (``CorrelationClusters``), and/or the hand-given groups.
public struct CorrelatedGroupSettings: Sendable, Hashable {
  public var minCorrelation: Double
  public var linkage: ClusterLinkage
  public var source: GroupSource

  public init(minCorrelation: Double, linkage: ClusterLinkage = .average, source: GroupSource = .both) {
    self.minCorrelation = minCorrelation
    self.linkage = linkage
    self.source = source
  }

  public var usesClusters: Bool { source != .instruments }
  public var usesHandGroups: Bool { source != .clusters }
  public var description: String {
    "\(linkage.rawValue)-linkage clusters at ρ ≥ \(fmt(minCorrelation)) (distance √(½(1 − ρ)) ≤ \(fmt(CorrelationClusters.threshold(minCorrelation: minCorrelation))))"
  }
}

/// One group of instruments that the group limits cap together.
public struct InstrumentGroup: Sendable, Hashable {
  public enum Origin: String, Sendable, Hashable {
    /// A correlation cluster of the profile's covariance.
    case cluster
    /// A hand-given group of instruments.yaml.
    case instruments
  }
  /// The group's name: the hand-given name (`semis`), or a cluster's members joined by `+`
  /// in symbol order (`AAPL+MSFT+NVDA`).
  public let id: String
  public let origin: Origin
  /// Risk instruments, in symbol order.
  public let members: [String]

  public init(id: String, origin: Origin, members: [String]) {
    self.id = id
    self.origin = origin
    self.members = members
  }

  public func contains(_ s: String) -> Bool { members.contains(s) }
  /// How the output names where it came from.
  public var originText: String { origin == .cluster ? "correlation cluster" : "instruments.yaml group" }
}

/// The groups of a book (and a candidate), under a profile.
///
/// Conventions:
/// - the instruments grouped are the book's risk instruments with a nonzero exposure and the
///   candidate, so that `size`, `check`, `budget` and `whatif` group the same instruments
///   whatever else a covariance holds (the covariance's exposures are the book's, exactly);
/// - clusters are computed on the correlation of the profile's covariance
///   (``PortfolioRiskModel``), on the instruments in it; a cluster of one instrument is no
///   group (the per-position caps already cover it); a holding outside the covariance is
///   in no cluster;
/// - a hand-given group is every instrument held, and the candidate, whose instruments.yaml
///   `group` is its name, whatever their number; an option belongs to its underlying's group.
public struct GroupMap: Sendable {
  public let groups: [InstrumentGroup]
  /// Whether clusters were asked for and could be computed (false: no covariance for them).
  public let clustered: Bool
  public let clustersWanted: Bool
  /// The candidate's symbol and its groups, found once: the group limits ask for them three
  /// times a trade, and each search compared the symbol with every member of every group.
  private let candidate: (symbol: String, groups: [InstrumentGroup])?

  public init(groups: [InstrumentGroup], clustered: Bool, clustersWanted: Bool, candidate: String? = nil) {
    self.groups = groups
    self.clustered = clustered
    self.clustersWanted = clustersWanted
    self.candidate = candidate.map { c in (c, groups.filter { $0.contains(c) }) }
  }

  /// The groups that hold `symbol`, clusters first.
  public func groups(of symbol: String) -> [InstrumentGroup] {
    if let candidate, candidate.symbol == symbol { return candidate.groups }
    return groups.filter { $0.contains(symbol) }
  }

  /// - Parameters:
  ///   - candidate: the symbol of the trade, its hand-given group and its row in `risk` (nil:
  ///     not in it), when a trade is judged.
  public static func of(
    book: Book, risk: PortfolioRiskModel?, candidate: (symbol: String, group: String?, position: Int?)?,
    profile: RegimeProfile
  ) -> GroupMap {
    let settings = profile.correlatedGroups
    let wantClusters = settings?.usesClusters ?? false
    let wantHand = settings?.usesHandGroups ?? true
    var groups: [InstrumentGroup] = []
    var clustered = false
    if wantClusters, let s = settings, let risk {
      // In index order (the order the prepared clusters are keyed by); the model's exposures
      // are the book's exactly, so a closed position is 0 here as in the book.
      let k = candidate?.position
      clustered = candidate == nil || k != nil
      groups = risk.clusterGroups(s, members: risk.members(with: k))
    }
    if wantHand, candidate?.group != nil || book.hasHandGroups {
      var byName: [String: Set<String>] = [:]
      for l in book.lines where l.quantity != 0 && l.exposure != 0 {
        if let g = l.group { byName[g, default: []].insert(l.riskSymbol) }
      }
      if let c = candidate, let g = c.group ?? book.group(of: c.symbol) { byName[g, default: []].insert(c.symbol) }
      for name in byName.keys.sorted() {
        groups.append(InstrumentGroup(id: name, origin: .instruments, members: (byName[name] ?? []).sorted()))
      }
    }
    return GroupMap(groups: groups, clustered: clustered, clustersWanted: wantClusters, candidate: candidate?.symbol)
  }
}
