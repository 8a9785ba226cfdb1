import Foundation

/// The stable codes of the server's own errors (start-up refusals and error responses);
/// the check's findings keep their codes (docs/CHECK_CODES.md). Listed in docs/SERVE.md.
public enum ServeErrorCode: String, Sendable, CaseIterable {
  // Start-up
  case badListenAddress = "BAD_LISTEN_ADDRESS"
  case tokenRequired = "TOKEN_REQUIRED"
  case badToken = "BAD_TOKEN"
  case listenFailed = "LISTEN_FAILED"
  case workspaceNotLoaded = "WORKSPACE_NOT_LOADED"
  // Requests
  case unauthorized = "UNAUTHORIZED"
  case notFound = "NOT_FOUND"
  case methodNotAllowed = "METHOD_NOT_ALLOWED"
  case unsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
  case bodyTooLarge = "BODY_TOO_LARGE"
  case batchTooLarge = "BATCH_TOO_LARGE"
  case bodyTimeout = "BODY_TIMEOUT"
  case badRequest = "BAD_REQUEST"
  case badQuery = "BAD_QUERY"
  case unknownRegime = "UNKNOWN_REGIME"
  case orderIDOpen = "ORDER_ID_OPEN"
  case orderNotOpen = "ORDER_NOT_OPEN"
  case notEvaluated = "NOT_EVALUATED"
  case nonFiniteOutput = "NON_FINITE_OUTPUT"
  case internalError = "INTERNAL_ERROR"
}

/// One error the server reports: a code and one line.
public struct ServeError: Error, Sendable, CustomStringConvertible {
  public let code: ServeErrorCode
  public let message: String
  public init(_ code: ServeErrorCode, _ message: String) {
    self.code = code
    self.message = message
  }
  public var description: String { message }
}
