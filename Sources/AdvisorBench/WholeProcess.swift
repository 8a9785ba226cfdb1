import ArgumentParser
import Foundation

/// One line of `bench/out/whole-process.tsv` from a hyperfine JSON export.
struct SummarizeHyperfine: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "summarize-hyperfine",
    abstract: "Prints one TSV line (median, min, max, σ, runs, RSS) from a hyperfine JSON export.")

  @Argument(help: "hyperfine --export-json file (one command).")
  var file: String

  @Option(name: .customLong("rss-kb"), help: "Peak resident set size in kB.")
  var rssKB = ""

  @Option(name: .long, help: "The command line, for the record.")
  var command = ""

  func run() throws {
    guard let data = FileManager.default.contents(atPath: file),
      let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
      let results = root["results"] as? [[String: Any]], let r = results.first
    else { throw BenchError("\(file) is not a hyperfine JSON export") }
    let name = r["command"] as? String ?? "?"
    func num(_ k: String) -> String { (r[k] as? Double).map { "\($0)" } ?? "" }
    let runs = (r["times"] as? [Double])?.count ?? 0
    print([name, command, num("median"), num("min"), num("max"), num("stddev"), String(runs), rssKB, ""].joined(separator: "\t"))
  }
}

/// The whole-process table with the issue's targets.
struct ReportWholeProcess: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report-whole-process", abstract: "Prints the whole-process results against the targets of issue 8.")

  @Argument(help: "bench/out/whole-process.tsv")
  var file: String

  struct Line {
    var name: String
    var median: Double?
    var min: Double?
    var max: Double?
    var runs: Int
    var rssKB: Double?
    var note: String
  }

  func run() throws {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw BenchError("cannot read \(file)") }
    var lines: [Line] = []
    for row in text.split(separator: "\n").dropFirst() {
      let c = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      guard c.count >= 9 else { continue }
      lines.append(
        Line(
          name: c[0], median: Double(c[2]), min: Double(c[3]), max: Double(c[4]), runs: Int(c[6]) ?? 0, rssKB: Double(c[7]),
          note: c[8]))
    }
    let byName = Dictionary(lines.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    let start = byName["start"]?.median
    let targets: [String: (Double, String)] = [
      "risk-lw-500": (0.150, "< 150 ms"), "size-btc": (0.050, "< 50 ms"), "check-one": (0.050, "< 50 ms"),
      "risk-lw-500-1thread": (0.150, "< 150 ms"), "size-btc-1thread": (0.050, "< 50 ms"),
    ]
    print(
      padded("case", 20) + padded("median ms", 11, right: true) + padded("min–max ms", 16, right: true)
        + padded("runs", 6, right: true) + padded("− start", 9, right: true) + padded("peak RSS", 10, right: true)
        + "  target")
    for l in lines {
      guard let m = l.median else {
        print(padded(l.name, 20) + "  " + l.note)
        continue
      }
      let range = "\(formatMilliseconds(l.min ?? .nan))–\(formatMilliseconds(l.max ?? .nan))"
      // Net of process start: against the start measured with the same OpenBLAS threads.
      let base = l.name.hasSuffix("-1thread") ? byName["start-1thread"]?.median : start
      let net = l.name.hasPrefix("start") ? "" : base.map { formatMilliseconds(m - $0) } ?? ""
      let rss = l.rssKB.map { fixed($0 / 1024, 1) + " MB" } ?? ""
      var target = ""
      if let (limit, label) = targets[l.name] {
        target = "\(label): \(m < limit ? "met" : "missed") (\(fixed(m / limit, 2))× the target)"
      }
      print(
        padded(l.name, 20) + padded(formatMilliseconds(m), 11, right: true) + padded(range, 16, right: true)
          + padded(String(l.runs), 6, right: true) + padded(net, 9, right: true) + padded(rss, 10, right: true) + "  "
          + target)
    }
    if let batch = byName["check-batch-100k"]?.median, let one = byName["check-one-book50"]?.median {
      let rate = 100_000 / Swift.max(batch - one, 1e-9)
      print(
        "check batch: 100,000 orders in \(formatMilliseconds(batch)) ms; after loading (minus one check on the same book): \(Int(rate)) orders/s (target > 100,000: \(rate > 100_000 ? "met" : "missed"))"
      )
    }
  }
}
