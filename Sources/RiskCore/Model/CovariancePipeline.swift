import LinearAlgebra

/// How a covariance is estimated, with where each setting came from.
public struct CovarianceSettings: Sendable, Hashable {
  public var method: CovarianceMethod
  public var lookback: Int
  public var lambda: Double
  public var methodSource: String
  public var lookbackSource: String
  public var lambdaSource: String

  public init(
    method: CovarianceMethod, lookback: Int, lambda: Double, methodSource: String = "", lookbackSource: String = "",
    lambdaSource: String = ""
  ) {
    self.method = method
    self.lookback = lookback
    self.lambda = lambda
    self.methodSource = methodSource
    self.lookbackSource = lookbackSource
    self.lambdaSource = lambdaSource
  }

  /// A profile's own settings.
  public init(_ p: RegimeProfile) {
    self.init(
      method: p.covarianceMethod, lookback: p.covarianceLookback, lambda: p.lambda,
      methodSource: "\(p.source), covariance.estimator", lookbackSource: "\(p.source), covariance.lookback",
      lambdaSource: "\(p.source), lambda")
  }

  /// Two settings that estimate the same matrix.
  public func sameEstimate(as o: CovarianceSettings) -> Bool {
    method == o.method && lookback == o.lookback && (method != .ewma || lambda == o.lambda)
  }
}

/// An annual covariance of aligned returns and everything done to get it.
public struct CovarianceResult: Sendable {
  public let aligned: AlignedReturns
  public let estimate: CovarianceEstimate
  /// Of the aligned calendar, unless overridden.
  public let periodsPerYear: Int
  /// `daily × periodsPerYear`.
  public let annual: SymmetricMatrix
  public let diagnostics: [Diagnostic]
  public var symbols: [String] { aligned.symbols }
}

/// The one covariance pipeline of every command: window, alignment, estimate,
/// positive-semidefinite check and repair (reported), annualisation.
///
/// 1. the closes of the instruments are aligned on their common dates (inner join)
///    and the last `lookback` returns taken (``AlignedReturns``);
/// 2. the estimator of ``CovarianceSettings/method`` gives a daily covariance;
/// 3. the estimate is checked symmetric and PSD, and repaired by eigenvalue clipping
///    with a ``DiagnosticCode/covarianceRepaired`` diagnostic when it is not (``PSDCheck``);
/// 4. annual = daily × P, with P the aligned calendar's periods per year (252, or 365
///    for a 7-day market) unless `periodsPerYear` overrides it.
public enum CovariancePipeline {
  public static func estimate(
    _ histories: [PriceHistory], settings: CovarianceSettings, returns kind: ReturnKind = .simple, periodsPerYear: Int? = nil
  ) throws(EstimationError) -> CovarianceResult {
    let aligned = try AlignedReturns(histories, lookback: settings.lookback, kind: kind)
    let estimate = try settings.method.estimator(lambda: settings.lambda).estimate(aligned.matrix)
    var diagnostics: [Diagnostic] = []
    if let r = estimate.repair {
      diagnostics.append(
        Diagnostic(
          .covarianceRepaired,
          "the \(settings.method.rawValue) covariance was not positive semidefinite (smallest eigenvalue \(sci(r.minimumEigenvalueBefore))); \(r.clippedEigenvalues) eigenvalue(s) clipped to 0, relative Frobenius change \(sci(r.relativeChange))."
        ))
    }
    let p = periodsPerYear ?? aligned.periodsPerYear
    return CovarianceResult(
      aligned: aligned, estimate: estimate, periodsPerYear: p, annual: estimate.annual(periodsPerYear: p),
      diagnostics: diagnostics)
  }
}

/// The one positive-semidefinite check: Cholesky is the fast path; otherwise the
/// eigenvalues decide, a smallest eigenvalue ≥ −1e−12 · largest being rounding in a
/// singular but PSD matrix (accepted as is); below that, eigenvalues are clipped to 0.
public enum PSDCheck {
  /// - Returns: nil when the matrix is PSD as it is, else the repair.
  public static func repairIfNeeded(_ m: SymmetricMatrix) throws(LinearAlgebraError) -> PSDRepair? {
    if try m.cholesky().isPositiveDefinite { return nil }
    let w = try m.eigenvalues()
    if let smallest = w.first, smallest >= -1e-12 * max(w.last ?? 0, 0) { return nil }
    let repair = try m.nearestPositiveSemidefinite()
    return repair.changed ? repair : nil
  }
}

/// Which holdings the covariance can see at the as-of date, and why the others cannot.
///
/// A held risk instrument is modelled when it has market data through the as-of
/// date, at least `lookback + 1` bars, and a last bar no older than the profile's
/// `max_data_age_days` (a stale series would end the common window early, so it is
/// left out and named instead). Every holding left out is a
/// ``DiagnosticCode/holdingNotModelled`` diagnostic; `check` fails an order on such a book.
public enum ModelledInstruments {
  public static func select(
    _ symbols: [String], market: MarketData, asOf: Day, lookback: Int, maxDataAgeDays: Int
  ) -> (modelled: [String], excluded: [Diagnostic]) {
    var modelled: [String] = []
    var excluded: [Diagnostic] = []
    for s in symbols {
      if let why = reasonNotModelled(s, market: market, asOf: asOf, lookback: lookback, maxDataAgeDays: maxDataAgeDays) {
        excluded.append(Diagnostic(.holdingNotModelled, subject: s, why))
      } else {
        modelled.append(s)
      }
    }
    return (modelled, excluded)
  }

  /// Nil when the instrument can be in the covariance, else one sentence why not.
  public static func reasonNotModelled(
    _ s: String, market: MarketData, asOf: Day, lookback: Int, maxDataAgeDays: Int
  ) -> String? {
    guard let h = market[s], let last = h.lastDay else {
      return
        "\(s) has no market data on or before \(asOf): its risk is not in the portfolio covariance, so portfolio volatility and risk shares leave it out."
    }
    if h.count < lookback + 1 {
      return
        "\(s) has \(h.count) bars, fewer than the covariance window needs (\(lookback + 1)): its risk is not in the portfolio covariance."
    }
    if asOf - last > maxDataAgeDays {
      return
        "\(s)'s market data ends \(last), \(asOf - last) days before the as-of date \(asOf) (the profile allows \(maxDataAgeDays)): it is left out of the covariance rather than end the window early."
    }
    return nil
  }
}
