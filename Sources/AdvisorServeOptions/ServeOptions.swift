import ArgumentParser

/// The options of `advisor serve`, shared by the `advisor` subcommand (which only checks them
/// and runs the sibling executable `advisor-serve`) and `advisor-serve` itself; no server code.
public struct ServeOptions: ParsableArguments {
  @Option(name: .long, help: "Address to listen on: HOST:PORT or [IPv6]:PORT; port 0 takes a free port.")
  public var listen: String = "127.0.0.1:8420"

  @Option(name: .long, help: "Configuration file (default: $ADVISOR_CONFIG, else ./advisor.yaml).")
  public var config: String?

  @Option(
    name: .customLong("token-file"),
    help: "File holding the bearer token every request must carry (else $ADVISOR_SERVE_TOKEN); required off loopback.")
  public var tokenFile: String?

  @Option(name: .long, help: "Regime of a request that names none: a profile name or auto.")
  public var regime: String = "normal"

  @Option(name: .customLong("order-ttl"), help: "Seconds a passing order is held open without a fill or cancel (1 to 86400).")
  public var orderTTL: Int = 300

  @Option(name: .long, help: "Seconds between looks at the input files for a change (0: only on SIGHUP).")
  public var poll: Double = 2

  @Option(name: .customLong("max-body-bytes"), help: "Largest request body (1 KiB to 256 MiB).")
  public var maxBodyBytes: Int = 4 << 20

  @Option(name: .customLong("max-batch"), help: "Most orders in one batch (1 to 1000000).")
  public var maxBatch: Int = 10_000

  @Option(name: .customLong("idle-timeout"), help: "Seconds before an idle connection is closed (1 to 3600).")
  public var idleTimeout: Double = 30

  @Option(name: .customLong("body-timeout"), help: "Seconds a request body may take to arrive (1 to 600).")
  public var bodyTimeout: Double = 10

  @Option(name: .customLong("max-connections"), help: "Open connections at most (1 to 100000).")
  public var maxConnections: Int = 512

  @Option(
    name: .long,
    help: "The journal (SQLite) every check is recorded in (default: $ADVISOR_JOURNAL, else journal in advisor.yaml).")
  public var journal: String?

  @Flag(
    name: .customLong("no-journal"),
    help: "Record nothing; the trading state and equity history are still read from the configured journal.")
  public var noJournal = false

  @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
  public var logLevel: String = "info"

  public init() {}

  public static let discussion = """
    Loads the workspace of advisor.yaml once (market data, instruments, profiles, account) and \
    answers over HTTP/JSON: POST /v1/check (one order or a batch, the JSON `advisor check --format \
    json` prints), POST /v1/size, GET /v1/aum, /v1/budget, /v1/state, /v1/orders, POST \
    /v1/orders/{id}/fill|cancel, GET /healthz, /readyz, /metrics. Orders that pass are held against \
    the book until filled, cancelled or --order-ttl passes. An input file that changes (or SIGHUP) \
    reloads the workspace in the background; SIGTERM stops gracefully. Off loopback a bearer token \
    is required. API: docs/openapi.yaml; README, "advisor serve".

    Example: advisor serve --listen 127.0.0.1:8420

    Exit codes: 0 stopped cleanly; 2 could not start (workspace, address, token); 64 usage error.
    """

  public func validate() throws {
    func within<T: Comparable>(_ v: T, _ r: ClosedRange<T>, _ flag: String) throws {
      guard r.contains(v) else { throw ValidationError("\(flag) must be within \(r.lowerBound) and \(r.upperBound).") }
    }
    try within(orderTTL, 1...86_400, "--order-ttl")
    guard poll.isFinite else { throw ValidationError("--poll must be a number of seconds.") }
    try within(poll, 0...3600, "--poll")
    try within(maxBodyBytes, 1024...(256 << 20), "--max-body-bytes")
    try within(maxBatch, 1...1_000_000, "--max-batch")
    guard idleTimeout.isFinite, bodyTimeout.isFinite else { throw ValidationError("timeouts are seconds.") }
    try within(idleTimeout, 1...3600, "--idle-timeout")
    try within(bodyTimeout, 1...600, "--body-timeout")
    try within(maxConnections, 1...100_000, "--max-connections")
    let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    guard levels.contains(logLevel) else {
      throw ValidationError("--log-level must be one of \(levels.joined(separator: ", ")).")
    }
  }
}
