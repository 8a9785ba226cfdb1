import Foundation

/// Everything `advisor serve` is started with (the options of `advisor-serve`), checked once.
public struct ServeSettings: Sendable {
  public var listen: ListenAddress = .init(host: "127.0.0.1", port: 8420)
  /// advisor.yaml: given, else `ADVISOR_CONFIG`, else `./advisor.yaml` (the CLI's rule).
  public var config: String?
  /// The bearer token (from `--token-file` or `ADVISOR_SERVE_TOKEN`); nil: none.
  public var token: BearerToken?
  /// The regime a request without `regime=` is judged under.
  public var regime = "normal"
  /// How long a passing order is held open against the book without a fill or a cancel.
  public var orderTTL: Duration = .seconds(300)
  /// How often the input files are looked at for a change (0: never; SIGHUP still reloads).
  public var pollInterval: Duration = .seconds(2)
  public var limits = RequestLimits()
  public var logLevel = "info"
  /// The journal: `--journal`, else `$ADVISOR_JOURNAL`, else advisor.yaml's (the CLI's rule).
  public var journal: String?
  /// `--no-journal`: the journal is read (trading state, equity history), nothing is written.
  public var noJournal = false

  public init() {}
}

/// What one request may carry and how long it may take.
public struct RequestLimits: Sendable {
  /// Largest request body.
  public var maxBodyBytes = 4 << 20
  /// Most orders in one batch.
  public var maxBatchOrders = 10_000
  /// A connection idle this long (between requests, or sending nothing) is closed.
  public var idleTimeout: Duration = .seconds(30)
  /// A request body must arrive within this.
  public var bodyTimeout: Duration = .seconds(10)
  /// Open connections at most (more wait in the listen backlog).
  public var maxConnections = 512
  public init() {}
}

/// `HOST:PORT`, `[IPv6]:PORT`; port 0 takes a free port (the server prints the one it got).
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
  public let host: String
  public let port: Int

  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  public init(parsing text: String) throws(ServeError) {
    let bad = ServeError(.badListenAddress, "--listen \(Self.quote(text)) is not HOST:PORT (e.g. 127.0.0.1:8420 or [::1]:8420).")
    var host: Substring
    var portText: Substring
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { throw bad }
      host = text[text.index(after: text.startIndex)..<close]
      portText = text[text.index(close, offsetBy: 2)...]
    } else {
      guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { throw bad }
      host = text[..<colon]
      portText = text[text.index(after: colon)...]
    }
    guard !host.isEmpty, let port = Int(portText), (0...65_535).contains(port), portText.allSatisfy(\.isASCII) else {
      throw bad
    }
    self.init(host: String(host), port: port)
  }

  /// 127.0.0.0/8, ::1 and `localhost`: reachable from this machine only.
  public var isLoopback: Bool {
    if host == "localhost" || host == "::1" { return true }
    let parts = host.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
  }

  public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

  static func quote(_ s: String) -> String { "'" + String(s.prefix(80)) + (s.count > 80 ? "…" : "") + "'" }
}
