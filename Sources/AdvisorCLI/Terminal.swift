import ArgumentParser
import Foundation
import RiskIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `--color auto|always|never`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
  case auto, always, never
}

/// Options every command's text output shares.
struct OutputOptions: ParsableArguments {
  @Option(
    name: .customLong("color"),
    help: "Colour the text report: auto (on a terminal, unless NO_COLOR is set), always, never.")
  var color: ColorChoice = .auto

  /// Sets the run's terminal style from the flag, the environment and standard output.
  func apply() { Terminal.configure(color: color) }
}

/// How text reaches a terminal: colour (PASS green, WARN yellow, FAIL red, the binding limit
/// bold) and lines wrapped to its width, only when standard output is a terminal (or
/// `--color always`). Piped output is left byte for byte as the renderers wrote it.
enum Terminal {
  struct Style: Sendable {
    var color = false
    var width: Int? = nil
  }

  final class Setting: @unchecked Sendable {
    let lock = NSLock()
    var style = Style()
  }
  static let setting = Setting()

  static var style: Style {
    setting.lock.lock()
    defer { setting.lock.unlock() }
    return setting.style
  }

  static func configure(color: ColorChoice, environment: [String: String] = ProcessEnvironment.values) {
    let tty = isatty(1) == 1
    var s = Style()
    switch color {
    case .always: s.color = true
    case .never: s.color = false
    case .auto: s.color = tty && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }
    if tty {
      var w = winsize()
      if ioctl(1, UInt(TIOCGWINSZ), &w) == 0, w.ws_col >= 40 { s.width = Int(w.ws_col) }
    }
    setting.lock.lock()
    setting.style = s
    setting.lock.unlock()
  }

  /// The text as it should reach standard output under the run's style.
  static func render(_ text: String) -> String {
    let s = style
    guard s.color || s.width != nil else { return text }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if let w = s.width { lines = lines.flatMap { wrap($0, width: w) } }
    if s.color { lines = lines.map(colour) }
    return lines.joined(separator: "\n")
  }

  /// A line longer than the width, broken at spaces, continued with its own indentation plus
  /// four; runs of spaces (table alignment) are kept.
  static func wrap(_ line: String, width: Int) -> [String] {
    guard line.count > width else { return [line] }
    let hanging = String(line.prefix { $0 == " " }) + "    "
    var out: [String] = []
    var current = ""
    var started = false
    for token in line.split(separator: " ", omittingEmptySubsequences: false) {
      let candidate = started ? current + " " + token : String(token)
      started = true
      if candidate.count > width, current.contains(where: { $0 != " " }) {
        out.append(current)
        current = hanging + token
      } else {
        current = candidate
      }
    }
    out.append(current)
    return out
  }

  static let reset = "\u{1B}[0m"
  static func paint(_ word: String, _ code: String) -> String { "\u{1B}[\(code)m\(word)\(reset)" }

  /// PASS, WARN and FAIL as findings or verdicts; the binding limit.
  static func colour(_ line: String) -> String {
    var l = line
    for (word, code) in [("PASS", "32"), ("WARN", "33"), ("FAIL", "31")] {
      l = l.replacingOccurrences(of: "  \(word)  ", with: "  \(paint(word, code))  ")
      l = l.replacingOccurrences(of: "→  \(word)", with: "→  \(paint(word, code))")
    }
    l = l.replacingOccurrences(of: "← binding", with: paint("← binding", "1;36"))
    if l.hasPrefix("  Binding ") { l = paint(l, "1") }
    return l
  }
}
