import Foundation
import Hummingbird
import HummingbirdCore
import LinearAlgebra
import Logging
import NIOCore
import NIOPosix
import RiskCore
import RiskIO
import ServiceLifecycle

/// `advisor serve`: loads the workspace once and answers the API until SIGTERM or SIGINT
/// (stop accepting, finish what is in flight, close the journal).
public enum AdvisorServe {
  /// Runs the server; returns the process's exit code (0 after a clean stop, 2 when it could
  /// not start, with one `Error: …` line on standard error).
  public static func run(_ settings: ServeSettings) async -> Int32 {
    // Before the workspace loads on another thread and the server's threads start.
    LinearAlgebraRuntime.settleEnvironment()
    let logger = makeLogger(settings.logLevel)
    if !settings.listen.isLoopback && settings.token == nil {
      return refuse(
        .tokenRequired,
        "--listen \(settings.listen) is not a loopback address: give a bearer token (--token-file FILE or \(BearerToken.environmentVariable)), or listen on 127.0.0.1."
      )
    }
    let snapshot: Snapshot
    switch await Snapshot.loadInBackground(configPath: settings.config, generation: 1) {
    case .success(let s): snapshot = s
    case .failure(let e): return refuse(.workspaceNotLoaded, ServeApp.message(e))
    }
    let app = ServeApp(settings: settings, snapshot: snapshot, metrics: ServeMetrics(), logger: logger)
    let code = await serve(app, snapshot)
    await app.desk.closeJournal()
    logger.info("stopped", metadata: ["exit": "\(code)"])
    return code
  }

  static func serve(_ app: ServeApp, _ snapshot: Snapshot) async -> Int32 {
    let settings = app.settings
    var quiet = app.logger
    quiet.logLevel = .critical
    let server = Application(
      responder: ServeResponder(app: app),
      server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(settings.limits.idleTimeout.seconds * 1e9)))),
      configuration: .init(
        address: .hostname(settings.listen.host, port: settings.listen.port), serverName: nil, backlog: 256,
        reuseAddress: true, availableConnectionsDelegate: MaximumAvailableConnections(settings.limits.maxConnections)),
      onServerRunning: { channel in await announce(channel, app, snapshot) },
      eventLoopGroupProvider: .singleton, logger: quiet)
    let group = ServiceGroup(
      configuration: .init(
        services: [server, ReloadService(app: app), ExpiryService(desk: app.desk)],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: quiet))
    do {
      try await group.run()
      return 0
    } catch {
      let text = "\(error)"
      if text.contains("Address already in use") || (error as? IOError)?.errnoCode == EADDRINUSE {
        return refuse(.listenFailed, "cannot listen on \(settings.listen): the address is already in use.")
      }
      return refuse(.listenFailed, "cannot listen on \(settings.listen): \(oneLine(text)).")
    }
  }

  /// The one line on standard output that says where the server listens (port 0 included).
  static func announce(_ channel: any Channel, _ app: ServeApp, _ snapshot: Snapshot) async {
    let port = channel.localAddress?.port ?? app.settings.listen.port
    let address = ListenAddress(host: app.settings.listen.host, port: port)
    let auth = app.settings.token.map { "bearer token from \($0.source)" } ?? "no token (loopback)"
    let line =
      "advisor serve: listening on http://\(address) (workspace generation \(snapshot.generation), as of \(snapshot.asOf), \(auth))\n"
    FileHandle.standardOutput.write(Data(line.utf8))
    let journal = await app.desk.journalStatus()
    app.logger.info(
      "listening",
      metadata: [
        "address": .string(address.description), "as_of": "\(snapshot.asOf)", "auth": .string(auth),
        "journal": .string(journal.problem ?? journal.description),
      ])
  }

  static func refuse(_ code: ServeErrorCode, _ message: String) -> Int32 {
    FileHandle.standardError.write(Data(("Error: " + oneLine(message) + " [\(code.rawValue)]\n").utf8))
    return 2
  }

  static func makeLogger(_ level: String) -> Logger {
    let lvl = Logger.Level(rawValue: level) ?? .info
    return Logger(label: "advisor-serve") { label in JSONLineLogHandler(label: label, level: lvl) }
  }
}
