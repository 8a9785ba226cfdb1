import AdvisorServeOptions
import AdvisorServer
import ArgumentParser
import Foundation

/// `advisor-serve` (what `advisor serve` runs): the options, checked, then the server.
@main
struct ServeMain: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "advisor serve",
    abstract: "The pre-trade check as a long-running HTTP/JSON service, on the same model as the CLI.",
    discussion: ServeOptions.discussion)

  @OptionGroup var options: ServeOptions

  func run() async throws {
    let settings = try options.settings()
    let code = await AdvisorServe.run(settings)
    if code != 0 { throw ExitCode(code) }
  }
}

extension ServeOptions {
  /// The checked options as the server's settings; the token from its file or the variable.
  func settings() throws -> ServeSettings {
    var s = ServeSettings()
    do {
      s.listen = try ListenAddress(parsing: listen)
      if let tokenFile {
        s.token = try BearerToken.load(file: tokenFile)
      } else if let text = ProcessInfo.processInfo.environment[BearerToken.environmentVariable], !text.isEmpty {
        s.token = try BearerToken(text, source: "$\(BearerToken.environmentVariable)")
      }
    } catch {
      FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
      throw ExitCode(2)
    }
    s.config = config
    s.regime = regime
    s.orderTTL = .seconds(orderTTL)
    s.pollInterval = .milliseconds(Int64(poll * 1000))
    s.limits.maxBodyBytes = maxBodyBytes
    s.limits.maxBatchOrders = maxBatch
    s.limits.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
    s.limits.bodyTimeout = .milliseconds(Int64(bodyTimeout * 1000))
    s.limits.maxConnections = maxConnections
    s.logLevel = logLevel
    s.journal = journal
    s.noJournal = noJournal
    return s
  }
}
