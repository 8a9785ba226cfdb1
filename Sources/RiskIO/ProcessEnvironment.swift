import Foundation

/// The process's environment variables, read once.
///
/// `ProcessInfo.environment` builds a new dictionary of every variable at each call: a check of
/// one order asked for it five times (≈ 1.8 M instructions, callgrind, issue 16). advisor never
/// changes a variable it reads (LinearAlgebra sets only `OPENBLAS_NUM_THREADS`, for OpenBLAS).
public enum ProcessEnvironment {
  public static let values: [String: String] = ProcessInfo.processInfo.environment
}
