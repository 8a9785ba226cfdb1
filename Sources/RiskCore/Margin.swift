/// An instrument's margin terms (instruments.yaml `initial_margin`, `maintenance_margin`).
///
/// Futures are margined per contract, in the instrument's currency; margined FX, CFDs and
/// crypto perpetuals (every other asset class) as a fraction of the notional. The model is
/// the broker's schedule applied position by position: no offsets between positions (no
/// spreads, no portfolio margining) and no SPAN scanning of price and volatility scenarios,
/// so a hedged book is charged both legs in full (a conservative figure). An account that
/// states the broker's own figure (`margin_in_use`) is measured from that figure instead,
/// with the model's change for each trade added to it.
public struct MarginTerms: Sendable, Hashable {
  public enum Basis: String, Sendable, Hashable {
    /// Money per contract in the instrument's currency.
    case perContract = "per-contract"
    /// A fraction of the notional (price × multiplier × quantity).
    case fractionOfNotional = "fraction-of-notional"
  }
  public let basis: Basis
  public let initial: Double
  /// At most `initial`; `initial` when not given.
  public let maintenance: Double

  public init(basis: Basis, initial: Double, maintenance: Double? = nil) {
    self.basis = basis
    self.initial = initial
    self.maintenance = maintenance ?? initial
  }

  /// The basis an asset class's margin is given in: per contract for futures, else a fraction of notional.
  public static func basis(for c: AssetClass) -> Basis { c == .future ? .perContract : .fractionOfNotional }

  /// Base-currency margin of one unit held: per contract × FX, or the fraction × |notional of one unit| (base).
  public func perUnit(maintenance m: Bool = false, unitNotional: Double, fx: Double) -> Double {
    let x = m ? maintenance : initial
    return basis == .perContract ? x * fx : x * abs(unitNotional)
  }

  /// How the terms read: "3,300 SGD per contract" or "2% of notional".
  public func text(currency: String) -> String {
    switch basis {
    case .perContract: return "\(fmt(initial)) \(currency) initial, \(fmt(maintenance)) maintenance per contract"
    case .fractionOfNotional:
      return "\(fmt(initial * 100))% initial, \(fmt(maintenance * 100))% maintenance of notional"
    }
  }
}

/// The broker's own figures for the margin the account already uses (account file
/// `margin_in_use`), in the base currency.
public struct StatedMargin: Sendable, Hashable {
  public let initial: Double
  public let maintenance: Double?
  /// The file and key, for explanations.
  public let source: String

  public init(initial: Double, maintenance: Double? = nil, source: String = "") {
    self.initial = initial
    self.maintenance = maintenance
    self.source = source
  }
}

/// The account's margin: what the model computes from the instruments' terms, what the
/// broker states, and what is left.
///
/// - margin in use = the broker's stated initial margin when given, else Σ over positions
///   with margin terms of |quantity| × the per-unit margin (base currency);
/// - maintenance margin in use likewise (the stated maintenance, else the model's);
/// - excess liquidity = equity − margin in use (what the book can still commit before it
///   uses all of equity as initial margin; brokers such as IBKR call this "available funds"
///   and give "excess liquidity" against the maintenance margin, reported beside it as
///   ``maintenanceExcess``);
/// - utilisation = margin in use / equity (what `max_margin_utilisation` caps).
public struct MarginSummary: Sendable, Hashable {
  public let modelInitial: Double
  public let modelMaintenance: Double
  public let stated: StatedMargin?
  public let equity: Double
  /// Margined positions (futures, FX, CFDs) with no margin terms: counted as 0.
  public let withoutTerms: [String]

  public var inUse: Double { stated?.initial ?? modelInitial }
  public var maintenanceInUse: Double { stated?.maintenance ?? (stated == nil ? modelMaintenance : inUse) }
  public var excessLiquidity: Double { equity - inUse }
  public var maintenanceExcess: Double { equity - maintenanceInUse }
  /// Margin in use / equity; nil when equity is not positive.
  public var utilisation: Double? { equity > 0 ? inUse / equity : nil }
  /// Where margin in use comes from, for explanations.
  public var source: String {
    stated.map { "stated by the broker, \($0.source)" } ?? "model: instruments' margin terms, no offsets"
  }
}
