/// A coded, non-fatal finding about the inputs or the model (a warning), for every report.
///
/// The code is a contract with scripts, like the finding codes of `advisor check`: new
/// codes may be added, none is renamed or reused. The message is one sentence for people.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
  public let code: DiagnosticCode
  /// The instrument, position or asset class concerned (nil: the whole run).
  public let subject: String?
  public let message: String

  public init(_ code: DiagnosticCode, subject: String? = nil, _ message: String) {
    self.code = code
    self.subject = subject
    self.message = message
  }

  public var description: String { message }
}

/// The stable codes of ``Diagnostic`` (documented in docs/DIAGNOSTICS.md).
public enum DiagnosticCode: String, Sendable, Hashable, CaseIterable {
  // Inputs.
  case marketRowsDropped = "MARKET_ROWS_DROPPED"
  case stalePrice = "STALE_PRICE"
  case optionPremiumExposure = "OPTION_PREMIUM_EXPOSURE"
  case unknownAverageCost = "UNKNOWN_AVERAGE_COST"
  case equityNotPositive = "EQUITY_NOT_POSITIVE"
  // The book as the model sees it.
  case holdingNotModelled = "HOLDING_NOT_MODELLED"
  case covarianceRepaired = "COVARIANCE_REPAIRED"
  case covarianceSingular = "COVARIANCE_SINGULAR"
  case covarianceNotEvaluated = "COVARIANCE_NOT_EVALUATED"
  // A trade.
  case stopAtOrBelowZero = "STOP_AT_OR_BELOW_ZERO"
  case stopInsideNoise = "STOP_INSIDE_NOISE"
  case stopRuleFallback = "STOP_RULE_FALLBACK"
  case implausibleVolume = "IMPLAUSIBLE_VOLUME"
  case noVolumeData = "NO_VOLUME_DATA"
  case trailingStopAtInitial = "TRAILING_STOP_AT_INITIAL"
  case closeOutOnly = "CLOSE_OUT_ONLY"
  // Budget.
  case budgetsNormalised = "BUDGETS_NORMALISED"
  case classBudgetUnused = "CLASS_BUDGET_UNUSED"
  case groupBudgetUnused = "GROUP_BUDGET_UNUSED"
  case shortTurnedLong = "SHORT_TURNED_LONG"
  case targetAboveNotionalCap = "TARGET_ABOVE_NOTIONAL_CAP"
  case noLeverageAllowed = "NO_LEVERAGE_ALLOWED"
  case tradeBlocked = "TRADE_BLOCKED"
  // What-if.
  case orderFailedCheck = "ORDER_FAILED_CHECK"
  case optionShockUnreached = "OPTION_SHOCK_UNREACHED"
  case optionPriceFloored = "OPTION_PRICE_FLOORED"
  case riskAfterNotEstimated = "RISK_AFTER_NOT_ESTIMATED"
  case replayExcluded = "REPLAY_EXCLUDED"
  case breachNotCured = "BREACH_NOT_CURED"
}

extension Array where Element == Diagnostic {
  /// The messages, in order, without repeats.
  public var messages: [String] {
    var seen: Set<String> = []
    return compactMap { seen.insert($0.message).inserted ? $0.message : nil }
  }

  /// Appends unless the same code, subject and message is already there.
  mutating func appendOnce(_ d: Diagnostic) {
    if !contains(d) { append(d) }
  }
}
