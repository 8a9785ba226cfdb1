import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The process's environment variables, read once.
///
/// `ProcessInfo.environment` builds a new dictionary of every variable at each call: a check of
/// one order asked for it five times (≈ 1.8 M instructions, callgrind, issue 16). advisor never
/// changes a variable it reads (LinearAlgebra sets only `OPENBLAS_NUM_THREADS`, for OpenBLAS).
public enum ProcessEnvironment {
  public static let values: [String: String] = {
    #if canImport(Glibc)
      return parse(currentEntries())
    #else
      return ProcessInfo.processInfo.environment
    #endif
  }()

  #if canImport(Glibc)
    /// This process's `environ` entries as they are now: pointers into it, valid until the
    /// next `setenv`.
    static func currentEntries() -> [UnsafePointer<CChar>] {
      var entries: [UnsafePointer<CChar>] = []
      var p = environ
      // Null only after clearenv(), which advisor never calls.
      guard UInt(bitPattern: p) != 0 else { return [] }
      while let e = p.pointee {
        entries.append(UnsafePointer(e))
        p += 1
      }
      return entries
    }
  #endif

  /// The variables of `entries` (`KEY=VALUE` C strings) as Foundation's
  /// `ProcessInfo.environment` reads them: split at the first `=` character, entries without
  /// one skipped, a later entry for the same key replacing an earlier one, invalid UTF-8
  /// repaired. An all-ASCII entry is split at its first `=` byte (no ASCII character combines
  /// with the `=` before it, so the byte is the character); any other entry as Foundation does.
  /// Foundation took 0.8 M instructions for 43 variables, on the main thread before the
  /// read-ahead starts (BENCHMARKS.md, issue 16, twelfth pass).
  static func parse(_ entries: [UnsafePointer<CChar>]) -> [String: String] {
    var result: [String: String] = [:]
    result.reserveCapacity(entries.count)
    for entry in entries {
      let bytes = UnsafeRawBufferPointer(start: entry, count: strlen(entry)).bindMemory(to: UInt8.self)
      if bytes.allSatisfy({ $0 < 0x80 }) {
        guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")) else { continue }
        result[String(decoding: bytes[..<eq], as: UTF8.self)] = String(decoding: bytes[(eq + 1)...], as: UTF8.self)
      } else {
        let row = String(cString: entry)
        guard let eq = row.firstIndex(of: "=") else { continue }
        result[String(row[..<eq])] = String(row[row.index(after: eq)...])
      }
    }
    return result
  }
}
