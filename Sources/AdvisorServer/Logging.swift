import AdvisorRecording
import Foundation
import Logging
import RiskCore
import RiskIO

#if canImport(Glibc)
  import Glibc
#endif

/// Structured logs: one JSON object per line on standard error (`ts`, `level`, `msg`, then
/// the metadata, keys sorted). A line is written with one `write(2)`, so concurrent lines
/// never interleave. Nothing secret is ever in the metadata (no token, no request body).
public struct JSONLineLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  public var metadataProvider: Logger.MetadataProvider? = nil
  public var logLevel: Logger.Level
  let label: String

  public init(label: String, level: Logger.Level) {
    self.label = label
    self.logLevel = level
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var all = metadata
    if let extra = event.metadata { all.merge(extra) { _, new in new } }
    var line = "{\"ts\":"
    JSONValue.writeString(utcTimestamp(), into: &line)
    line += ",\"level\":"
    JSONValue.writeString(event.level.rawValue, into: &line)
    line += ",\"msg\":"
    JSONValue.writeString(oneLine(event.message.description), into: &line)
    for key in all.keys.sorted() {
      line += ","
      JSONValue.writeString(key, into: &line)
      line += ":"
      Self.write(all[key] ?? .string(""), into: &line)
    }
    line += "}\n"
    _ = line.utf8CString.withUnsafeBufferPointer { p in Glibc.write(2, p.baseAddress, p.count - 1) }
  }

  static func write(_ value: Logger.Metadata.Value, into line: inout String) {
    switch value {
    case .string(let s): Self.scalar(s, into: &line)
    case .stringConvertible(let c): Self.scalar(c.description, into: &line)
    case .array(let a):
      line += "["
      for (i, v) in a.enumerated() {
        if i > 0 { line += "," }
        write(v, into: &line)
      }
      line += "]"
    case .dictionary(let d):
      line += "{"
      for (i, k) in d.keys.sorted().enumerated() {
        if i > 0 { line += "," }
        JSONValue.writeString(k, into: &line)
        line += ":"
        write(d[k] ?? .string(""), into: &line)
      }
      line += "}"
    }
  }

  /// Numbers stay numbers (latency, status), everything else is a string.
  static func scalar(_ s: String, into line: inout String) {
    if let x = Double(s), x.isFinite, s.first?.isNumber == true || s.first == "-" {
      line += s
    } else {
      JSONValue.writeString(oneLine(s), into: &line)
    }
  }
}
