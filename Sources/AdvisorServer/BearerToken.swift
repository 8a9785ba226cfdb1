import Foundation
import RiskIO

/// The bearer token a request must carry (`Authorization: Bearer …`), compared in constant time.
/// It is never logged, echoed or put in an error message.
public struct BearerToken: Sendable {
  private let bytes: [UInt8]
  /// Where it came from (a file path or the variable's name), for the start-up line.
  public let source: String

  public static let environmentVariable = "ADVISOR_SERVE_TOKEN"
  static let minimumLength = 16

  public init(_ text: String, source: String) throws(ServeError) {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard trimmed.utf8.count >= Self.minimumLength else {
      throw ServeError(
        .badToken,
        "the token in \(source) is shorter than \(Self.minimumLength) characters; use a long random one (openssl rand -hex 32).")
    }
    guard trimmed.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
      throw ServeError(.badToken, "the token in \(source) has spaces or control characters; use printable ASCII only.")
    }
    bytes = Array(trimmed.utf8)
    self.source = source
  }

  /// Reads a token file: a regular file (checked as every input is), one line.
  public static func load(file path: String) throws -> BearerToken {
    let (fd, _) = try InputFiles.openRegular(path, what: "token file", maxBytes: 4096)
    let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    let data = try handle.readToEnd() ?? Data()
    guard let text = String(data: data, encoding: .utf8) else {
      throw ServeError(.badToken, "the token file \(path) is not UTF-8 text.")
    }
    return try BearerToken(text, source: path)
  }

  /// Whether an `Authorization` header value carries this token. Constant time in the
  /// token's length: every byte is compared whatever the first difference.
  public func accepts(authorization value: String?) -> Bool {
    guard let value, value.hasPrefix("Bearer ") else { return false }
    let given = Array(value.utf8.dropFirst(7))
    var difference = UInt8(given.count == bytes.count ? 0 : 1)
    for i in 0..<bytes.count {
      difference |= bytes[i] ^ (i < given.count ? given[i] : 0)
    }
    return difference == 0
  }
}
