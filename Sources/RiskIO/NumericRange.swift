import Foundation
import RiskCore

/// The sane range of one numeric input, checked where the input is read (YAML keys, CSV
/// fields, command-line flags), so that no value can make a later product or quotient
/// overflow to infinity or lose itself below the smallest normal double.
///
/// A value is accepted when it is finite, within `lower...upper` (or its magnitude is, for
/// signed quantities), and, if it is not 0, at least `minimumNonZero` in magnitude: 5e-324
/// is not "positive" for a lot size, and 1e308 is not a cash balance.
public struct NumericRange: Sendable, Hashable {
  public let lower: Double
  public let upper: Double
  /// Nonzero values smaller than this in magnitude are refused (no subnormals, no 1e-300).
  public let minimumNonZero: Double
  /// The range applies to |x|, and 0 is refused (a signed quantity: negative is short).
  public let signedMagnitude: Bool
  /// What the value is, for messages: "a lot size".
  public let what: String

  /// Replaces the generated "WHAT in [LOWER, UPPER]" of messages when set.
  public let stated: String?

  public init(
    _ what: String, _ lower: Double, _ upper: Double, minimumNonZero: Double = 1e-12, signedMagnitude: Bool = false,
    stated: String? = nil
  ) {
    self.stated = stated
    self.what = what
    self.lower = lower
    self.upper = upper
    self.minimumNonZero = minimumNonZero
    self.signedMagnitude = signedMagnitude
  }

  public func contains(_ x: Double) -> Bool {
    guard x.isFinite else { return false }
    if signedMagnitude { return x != 0 && abs(x) >= lower && abs(x) <= upper }
    guard x >= lower && x <= upper else { return false }
    return x == 0 || abs(x) >= minimumNonZero
  }

  static func number(_ x: Double) -> String {
    if x == 0 { return "0" }
    let a = abs(x)
    if a >= 1e6 || a < 1e-4 {
      // 1e+15 → 1e15, 1e-12 → 1e-12
      var s = String(format: "%g", x)
      s = s.replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e+", with: "e")
      s = s.replacingOccurrences(of: "e-0", with: "e-")
      return s
    }
    return String(format: "%g", x)
  }

  /// A decimal number as a flag or YAML value writes it (digits, sign, point, exponent, `_`;
  /// at most ``InputLimits/numberCharacters``), finite; nil otherwise.
  public static func parseDecimal(_ text: String) -> Double? {
    if case .value(let x) = YAMLTable.decimal(text) { return x }
    return nil
  }

  /// "a lot size in [1e-12, 1e9]".
  public var expected: String {
    if let stated { return stated }
    if signedMagnitude {
      return "\(what), nonzero, with magnitude in [\(Self.number(lower)), \(Self.number(upper))] (negative is short)"
    }
    var s = "\(what) in [\(Self.number(lower)), \(Self.number(upper))]"
    if lower <= 0 && upper > 0 && minimumNonZero > 0 { s += " (0, or at least \(Self.number(minimumNonZero)) in magnitude)" }
    return s
  }

  /// The sentence for a value outside the range: "5e-324 is out of range; expected a lot size in [1e-12, 1e9]."
  public func violation(_ text: String) -> String { "\(escapedForMessage(text)) is out of range; expected \(expected)." }
}

/// Every numeric input's range, in one table (README "Limits"). Money is in the file's own
/// currency; fractions are of equity unless said.
public enum InputRange {
  /// Any finite number: for a reader that leaves the range to a later rule (``PositionRules``).
  public static let anyFinite = NumericRange(
    "a number", -Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude, minimumNonZero: 0)
  // Market data
  public static let price = NumericRange("a positive price", 1e-9, 1e12)
  public static let signedPrice = NumericRange("a price", -1e12, 1e12)
  public static let volume = NumericRange("a volume", 0, 1e18)
  // Instruments
  public static let multiplier = NumericRange("a contract multiplier", 1e-9, 1e9)
  public static let lotSize = NumericRange("a lot size", 1e-12, 1e9)
  public static let tickSize = NumericRange("a tick size", 1e-12, 1e9)
  // Accounts and holdings
  public static let fxRate = NumericRange("an FX rate", 1e-9, 1e9)
  public static let cash = NumericRange("a cash balance", -1e15, 1e15, minimumNonZero: 1e-9)
  public static let quantity = NumericRange("a quantity", 1e-12, 1e12, signedMagnitude: true)
  public static let positionPrice = NumericRange("a positive price", 1e-9, 1e12)
  public static let marginedPrice = NumericRange("a price", -1e12, 1e12)
  public static let faceValue = NumericRange("a par value", 1e-6, 1e9)
  public static let underlyingPrice = NumericRange("a positive price", 1e-9, 1e12)
  public static let delta = NumericRange("a delta", -1, 1)
  public static let gamma = NumericRange("a gamma (per unit of underlying)", 0, 1e6)
  public static let strike = NumericRange("a positive strike", 1e-9, 1e12)
  public static let impliedVolatility = NumericRange("an annual volatility", 1e-6, 10)
  public static let averageCost = NumericRange("an average cost", -1e12, 1e12)
  public static let allocation = NumericRange("an allocation", 0, 1e15, minimumNonZero: 1e-9)
  // Orders (the pre-trade check judges sign and size; the reader bounds the magnitude)
  public static let orderQuantity = NumericRange("a quantity", -1e12, 1e12)
  public static let orderPrice = NumericRange("a price", -1e12, 1e12)
  // Profiles
  public static let riskPerTrade = NumericRange("a fraction of equity", 0, 1, minimumNonZero: 1e-9)
  public static let equityMultiple = NumericRange("a multiple of equity", 0, 100, minimumNonZero: 1e-9)
  public static let riskMultiplier = NumericRange("a multiplier", 0, 10, minimumNonZero: 1e-9)
  public static let stopMultiple = NumericRange("a stop multiple", 0.01, 100)
  public static let noiseThreshold = NumericRange("a multiple of σ", 0, 100, minimumNonZero: 1e-9)
  public static let lambda = NumericRange("a decay λ", 1e-6, 0.999999)
  public static let volatilityBudget = NumericRange("an annual fraction of equity", 0, 10, minimumNonZero: 1e-9)
  public static let fraction = NumericRange("a fraction", 0, 1, minimumNonZero: 1e-9)
  public static let impactCoefficient = NumericRange("an impact coefficient", 1e-6, 100)
  public static let priceBand = NumericRange("a fraction of the last close", 0, 10, minimumNonZero: 1e-9)
  public static let percentile = NumericRange("a percentile", 1e-6, 0.999999)
  public static let minCorrelation = NumericRange("a correlation", -1, 1)
  public static let marginUtilisation = NumericRange("a fraction of equity", 0, 1, minimumNonZero: 1e-9)
  // Margin terms (instruments.yaml): money per futures contract, else a fraction of notional
  public static let marginPerContract = NumericRange("an amount per contract", 1e-9, 1e9)
  public static let marginFraction = NumericRange("a fraction of notional", 1e-6, 1)
  // Account
  public static let statedMargin = NumericRange("an amount", 0, 1e15, minimumNonZero: 1e-9)
  /// `drawdown_scaling.step`: a drawdown fraction of at least 0.1%.
  public static let drawdownStep = NumericRange("a drawdown fraction", 0.001, 1)
  /// `drawdown_scaling.cut`: the base is cut by this fraction per step (below 1: never to zero).
  public static let drawdownCut = NumericRange("a fraction of the equity base", 0, 0.99, minimumNonZero: 1e-9)
  /// `breakers.*.reducing` / `halted`: a drawdown or daily loss fraction of at least 0.01%.
  public static let breakerThreshold = NumericRange("a loss fraction", 0.0001, 1)
  // Scenarios
  public static let shock = NumericRange(
    "a price change", -0.999999, 100, stated: "a price change above −100% (no price falls to or below −100%) and at most +10000%")
  public static let volatilityMultiplier = NumericRange("a volatility multiplier", 1e-6, 1000)
  public static let correlation = NumericRange("a correlation", -1, 1)
  public static let weight = NumericRange("a weight", 0, 1)
  public static let flowAmount = NumericRange("an amount", 0, 1e15, minimumNonZero: 1e-9)
  public static let depositFraction = NumericRange(
    "a deposit", 0, 10, minimumNonZero: 1e-9, stated: "a deposit of 0% to 1000% of equity")
  public static let withdrawFraction = NumericRange(
    "a withdrawal", 0, 1, minimumNonZero: 1e-9,
    stated: "a withdrawal of 0% to 100% of equity (a withdrawal is at most the equity)")
  public static let followerFlow = NumericRange("an amount", 0, 1e15, minimumNonZero: 1e-9)
  public static let leadTradeFraction = NumericRange("a fraction of strategy AUM", 1e-6, 10)
  public static let slippageBudgetBps = NumericRange("basis points", 1e-6, 10_000)
  public static let orderSize = NumericRange("a positive quantity", 1e-12, 1e12)
  // Budgets (zero and negative shares are refused, with their source, when applied)
  public static let budgetShare = NumericRange("a share", -1e6, 1e6, minimumNonZero: 1e-9)
  // Command-line prices
  public static let entry = NumericRange("a positive price", 1e-9, 1e12)
  public static let stop = NumericRange("a price", -1e12, 1e12)
}

extension InputError {
  /// The error for a value outside its range, located.
  public static func outOfRange(
    _ range: NumericRange, _ text: String, path: String?, line: Int? = nil, field: String? = nil
  ) -> InputError {
    InputError(.invalidValue, path: path, line: line, field: field, range.violation(text))
  }
}

/// Checks command-line numbers against their range, naming the flag.
public enum FlagCheck {
  /// - Throws: an ``InputError`` whose source is the flag: `--entry: '0' is out of range; expected ….`
  public static func number(_ value: Double?, _ flag: String, _ range: NumericRange) throws(InputError) {
    guard let value else { return }
    guard range.contains(value) else {
      throw InputError(.invalidValue, path: flag, range.violation(shortest(value)))
    }
  }

  public static func integer(_ value: Int?, _ flag: String, _ range: ClosedRange<Int>) throws(InputError) {
    guard let value else { return }
    guard range.contains(value) else {
      throw InputError(
        .invalidValue, path: flag,
        "\(value) is out of range; expected a whole number in \(range.lowerBound)...\(range.upperBound).")
    }
  }

  static func shortest(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
  }
}
