/// Why a linear-algebra operation could not give an answer.
public enum LinearAlgebraError: Error, Sendable, Hashable, CustomStringConvertible {
  /// Shapes do not fit together.
  case dimensionMismatch(String)
  /// A matrix that must be symmetric is not (first offending element, 0-based).
  case notSymmetric(row: Int, column: Int)
  /// An input holds NaN or an infinity.
  case nonFinite(String)
  /// The matrix is not positive definite; `minorOrder` is the order of the
  /// first leading minor that is not (LAPACK's `info > 0` for `dpotrf`/`dposv`).
  case notPositiveDefinite(minorOrder: Int)
  /// The matrix is exactly singular (a zero pivot at `pivot`, 1-based).
  case singular(pivot: Int)
  /// An eigenvalue iteration did not converge.
  case noConvergence(routine: String)
  /// LAPACK rejected an argument (`info < 0`): a bug in this library, never the user's input.
  case invalidArgument(routine: String, position: Int)
  /// LAPACK or BLAS could not be opened (the library, or one of its routines, is missing).
  case libraryUnavailable(String)

  public var description: String {
    switch self {
    case .dimensionMismatch(let what): return "matrix dimensions do not match: \(what)."
    case .notSymmetric(let i, let j): return "matrix is not symmetric at (\(i), \(j))."
    case .nonFinite(let what): return "matrix holds a non-finite value (\(what))."
    case .notPositiveDefinite(let k):
      return "matrix is not positive definite (leading minor of order \(k) is not positive)."
    case .singular(let p): return "matrix is singular (zero pivot at position \(p))."
    case .noConvergence(let routine): return "\(routine) did not converge."
    case .invalidArgument(let routine, let position):
      return "internal error: \(routine) rejected argument \(position)."
    case .libraryUnavailable(let why):
      return "LAPACK/BLAS could not be loaded (\(why)); install liblapacke-dev and libopenblas-dev (scripts/setup.sh)."
    }
  }
}

/// What a LAPACK routine's `info` means for the routine that returned it.
enum LAPACKFailureMeaning {
  case notPositiveDefinite
  case singular
  case noConvergence
}

/// The one place that reads LAPACK's `info`.
///
/// `info == 0` is success; `info < 0` means argument `-info` was illegal (a
/// programming error here, reported rather than trapped); `info > 0` means
/// what `meaning` says for that routine.
func checkLAPACK(_ info: Int32, routine: String, meaning: LAPACKFailureMeaning) throws(LinearAlgebraError) {
  if info == 0 { return }
  if info < 0 { throw .invalidArgument(routine: routine, position: Int(-info)) }
  switch meaning {
  case .notPositiveDefinite: throw .notPositiveDefinite(minorOrder: Int(info))
  case .singular: throw .singular(pivot: Int(info))
  case .noConvergence: throw .noConvergence(routine: routine)
  }
}
