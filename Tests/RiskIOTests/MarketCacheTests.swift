import Foundation
import RiskCore
import Testing

@testable import RiskIO

#if canImport(Glibc)
  import Glibc
#endif

/// The parsed market-data cache: a hit is the parse exactly, and nothing (an edit that keeps
/// the size and the modification time, a catalog change, a corrupt, foreign, truncated or
/// special entry, an unwritable directory) ever serves stale data or fails a run.
@Suite("Market-data cache")
struct MarketCacheTests {
  let root: String
  let file: String
  let cacheDir: String

  init() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-cache-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    file = root + "/ABC.csv"
    cacheDir = root + "/cache"
    try Self.csv(midClose: "11.5").write(toFile: file, atomically: false, encoding: .utf8)
  }

  /// Three bars; the second has a missing volume (kept as NaN) and the given low and close.
  static func csv(midClose: String, low: String = "10") -> String {
    "Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,\(low),\(midClose),NA\n2024-01-04,11,12.5,10.5,12,300\n"
  }

  func loader(_ catalog: InstrumentCatalog = InstrumentCatalog(), cache: Bool = true) -> MarketDataLoader {
    MarketDataLoader(catalog: catalog, cache: cache ? MarketCache(directory: cacheDir) : nil)
  }

  func entries() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: cacheDir)) ?? []).filter { $0.hasSuffix(".bin") }
  }

  func same(_ a: [PriceHistory], _ b: [PriceHistory]) -> Bool {
    a.count == b.count
      && zip(a, b).allSatisfy { x, y in
        x.symbol == y.symbol && x.source == y.source && x.days == y.days && x.lines == y.lines
          && x.droppedRows == y.droppedRows && x.open == y.open && x.high == y.high && x.low == y.low
          && x.close == y.close && x.volume.count == y.volume.count
          && zip(x.volume, y.volume).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
      }
  }

  @Test("a hit is the parse exactly, and it is a hit")
  func roundTrip() throws {
    let fresh = try loader(cache: false).loadFile(file)
    let first = try loader().loadFile(file)
    #expect(entries().count == 1)
    let second = try loader().loadFile(file)
    #expect(same(fresh, first) && same(fresh, second))
    // The entry answers the key of these bytes.
    let bytes = try InputFiles.readAll(file, maxBytes: 1 << 20)
    let key = MarketCache.Key(
      path: file, symbol: nil, catalog: MarketCache.catalogFingerprint(InstrumentCatalog()), length: bytes.count,
      content: ContentHash.of(bytes))
    let hit = try #require(MarketCache(directory: cacheDir).lookup(key))
    #expect(same(fresh, hit))
  }

  @Test("an edit that keeps the size and restores the modification time is seen")
  func editedUnderTheCache() throws {
    #expect(try loader().loadFile(file).first?.close.last == 12)
    var st = stat()
    #expect(stat(file, &st) == 0)
    // Same length, same mtime: only the bytes differ.
    let text = Self.csv(midClose: "11.5").replacingOccurrences(of: "10.5,12,300", with: "10.5,11,300")
    #expect(text.utf8.count == Self.csv(midClose: "11.5").utf8.count)
    try text.write(toFile: file, atomically: false, encoding: .utf8)
    var times = [st.st_atim, st.st_mtim]
    #expect(utimensat(AT_FDCWD, file, &times, 0) == 0)
    var after = stat()
    #expect(stat(file, &after) == 0 && after.st_size == st.st_size && after.st_mtim.tv_sec == st.st_mtim.tv_sec)
    #expect(try loader().loadFile(file).first?.close.last == 11)
  }

  @Test("a catalog that changes what the parser asks is a miss: a negative price is refused again")
  func catalogChange() throws {
    try Self.csv(midClose: "-1.5", low: "-2").write(toFile: file, atomically: false, encoding: .utf8)
    let negative = InstrumentCatalog([InstrumentSpec(symbol: "ABC", allowsNegativePrices: true)])
    #expect(try loader(negative).loadFile(file).first?.close.contains(-1.5) == true)
    #expect(entries().count == 1)
    #expect(throws: InputError.self) { try loader().loadFile(file) }
  }

  @Test(
    "a corrupt, truncated, foreign or special entry is a miss, never a crash, a hang or a number",
    arguments: ["truncate", "flip", "garbage", "empty", "fifo", "directory", "nan"])
  func corruptEntries(damage: String) throws {
    let fresh = try loader(cache: false).loadFile(file)
    _ = try loader().loadFile(file)
    let name = try #require(entries().first)
    let entry = cacheDir + "/" + name
    var bytes = try #require(FileManager.default.contents(atPath: entry)).map { $0 }
    switch damage {
    case "truncate": bytes = Array(bytes.prefix(bytes.count - 9))
    case "flip": bytes[bytes.count / 2] ^= 0x40
    case "garbage": bytes = (0..<bytes.count).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
    case "empty": bytes = []
    case "nan":
      // The last close made NaN (after it come 3 bars each of open, high, low and volume,
      // then the checksum), and the entry sealed again: the decoder's own check refuses it.
      var body = Array(bytes.dropLast(16))
      let nan = Double.nan.bitPattern.littleEndian
      withUnsafeBytes(of: nan) { raw in
        for i in 0..<8 { body[body.count - 4 * 3 * 8 - 8 + i] = raw[i] }
      }
      let (a, b) = ContentHash.of(body)
      withUnsafeBytes(of: a.littleEndian) { body.append(contentsOf: $0) }
      withUnsafeBytes(of: b.littleEndian) { body.append(contentsOf: $0) }
      bytes = body
    default: break
    }
    try FileManager.default.removeItem(atPath: entry)
    switch damage {
    case "fifo": #expect(mkfifo(entry, 0o644) == 0)
    case "directory": try FileManager.default.createDirectory(atPath: entry, withIntermediateDirectories: false)
    default: #expect(FileManager.default.createFile(atPath: entry, contents: Data(bytes)))
    }
    let got = try loader().loadFile(file)
    #expect(same(fresh, got))
    #expect(got.allSatisfy { $0.close.allSatisfy(\.isFinite) })
  }

  @Test("a panel's columns share one calendar in the entry; a dropped row keeps its dates and lines written")
  func panelLayout() throws {
    // B misses a price (its row is dropped: other dates, lines not consecutive); C follows B
    // and so writes its dates again; D shares C's.
    let panel = root + "/panel.csv"
    var rows = ["Date,A,B,C,D"]
    for d in 1...20 { rows.append("2024-01-\(d < 10 ? "0" : "")\(d),\(d),\(d == 7 ? "" : "\(d + 1)"),\(d + 2),\(d + 3)") }
    try (rows.joined(separator: "\n") + "\n").write(toFile: panel, atomically: false, encoding: .utf8)
    let fresh = try loader(cache: false).loadFile(panel)
    #expect(fresh.map(\.symbol) == ["A", "B", "C", "D"] && fresh[1].droppedRows == 1)
    _ = try loader().loadFile(panel)
    let hit = try loader().loadFile(panel)
    #expect(same(fresh, hit))
    // Shared: D's dates are C's array itself; the layout holds A's, B's and C's dates only.
    hit[3].days.withUnsafeBufferPointer { d in
      hit[2].days.withUnsafeBufferPointer { c in #expect(d.baseAddress == c.baseAddress) }
    }
    let name = try #require(entries().first { _ in true })
    let size = try #require(FileManager.default.attributesOfItem(atPath: cacheDir + "/" + name)[.size] as? Int)
    let closes = fresh.reduce(0) { $0 + $1.count * 8 }
    let dates = (20 + 19 + 20) * 8
    // Closes, three calendars, B's lines, and the words and paths around them; writing D's
    // dates and every line in full would add 600 bytes more.
    #expect(size < closes + dates + 19 * 8 + 5 * panel.utf8.count + 450)
  }

  @Test(
    "an entry whose layout words are out of place is a miss",
    arguments: [EntryLayout.sameDays, 7])
  func layoutWords(first: UInt64) throws {
    // A one-history entry that says its dates are the previous history's (there is none), or
    // gives an unknown layout word: sealed correctly, refused by the decoder.
    let key = MarketCache.Key(path: file, symbol: nil, catalog: 1, length: 3, content: (4, 5))
    let cache = MarketCache(directory: cacheDir)
    var w = EntryWriter()
    w.header(key, executable: cache.executable)
    w.word(1)
    w.string("ABC")
    w.string(file)
    for x: UInt64 in [2, 0, 0, 0, first] { w.word(x) }
    w.word(EntryLayout.consecutive)
    w.word(2)
    w.doubles([1, 2])
    w.seal()
    #expect(MarketCache.writeAtomically(w.bytes, to: cache.entryPath(key), directory: cacheDir))
    #expect(cache.lookup(key) == nil)
  }

  @Test("a cache directory whose parents do not exist yet is created (a fresh ~/.cache)")
  func parents() throws {
    let deep = root + "/home/.cache/advisor"
    let l = MarketDataLoader(catalog: InstrumentCatalog(), cache: MarketCache(directory: deep))
    _ = try l.loadFile(file)
    #expect(((try? FileManager.default.contentsOfDirectory(atPath: deep)) ?? []).contains { $0.hasSuffix(".bin") })
  }

  @Test("an unwritable cache (a file where the directory should be) only costs the parse")
  func unwritable() throws {
    #expect(FileManager.default.createFile(atPath: cacheDir, contents: Data("x".utf8)))
    let fresh = try loader(cache: false).loadFile(file)
    #expect(same(fresh, try loader().loadFile(file)))
    #expect(same(fresh, try loader().loadFile(file)))
    #expect(try String(contentsOfFile: cacheDir, encoding: .utf8) == "x")
  }

  @Test("the configuration: ADVISOR_CACHE, then cache in advisor.yaml, then XDG_CACHE_HOME, then HOME")
  func configured() {
    var config = AdvisorConfig()
    #expect(MarketCache.configured(config: config, environment: ["HOME": "/h"])?.directory == "/h/.cache/advisor")
    #expect(
      MarketCache.configured(config: config, environment: ["HOME": "/h", "XDG_CACHE_HOME": "/x"])?.directory
        == "/x/advisor")
    config.cache = "/c"
    #expect(MarketCache.configured(config: config, environment: ["HOME": "/h"])?.directory == "/c")
    #expect(MarketCache.configured(config: config, environment: ["ADVISOR_CACHE": "/e"])?.directory == "/e")
    #expect(MarketCache.configured(config: config, environment: ["ADVISOR_CACHE": "off"]) == nil)
    config.cacheOff = true
    #expect(MarketCache.configured(config: config, environment: ["HOME": "/h"]) == nil)
    #expect(MarketCache.configured(config: AdvisorConfig(), environment: [:]) == nil)
  }

  @Test("the content hash: fixed vectors, and every byte counts")
  func contentHash() {
    let a = ContentHash.of(Array("Date,Close\n2024-01-02,10\n".utf8))
    let b = ContentHash.of(Array("Date,Close\n2024-01-02,11\n".utf8))
    #expect(a != b)
    #expect(ContentHash.of([]) != ContentHash.of([0]))
    #expect(ContentHash.of([0]) != ContentHash.of([0, 0]))
    // Every single-bit change of a 64-byte buffer changes the digest.
    let base = [UInt8](repeating: 7, count: 64)
    let h = ContentHash.of(base)
    for i in 0..<64 {
      for bit in 0..<8 {
        var x = base
        x[i] ^= UInt8(1 << bit)
        #expect(ContentHash.of(x) != h)
      }
    }
  }
}

@Suite("advisor.yaml: cache")
struct CacheConfigTests {
  @Test("cache: a directory relative to the file, or off")
  func cacheKey() throws {
    let c = try withTemporaryFile("version: 1\ncache: .advisor/cache\n", name: "advisor.yaml") { try AdvisorConfig.load($0) }
    #expect(c.cache?.hasSuffix("/.advisor/cache") == true && !c.cacheOff)
    let off = try withTemporaryFile("version: 1\ncache: off\n", name: "advisor.yaml") { try AdvisorConfig.load($0) }
    #expect(off.cache == nil && off.cacheOff)
    #expect(MarketCache.configured(config: off, environment: ["HOME": "/h"]) == nil)
  }
}

@Suite("CSV fields: the trim fast path keeps Foundation's rule")
struct FieldTrimTests {
  @Test(
    "spaces, tabs and Unicode spaces at either end are trimmed; inner ones kept",
    arguments: [
      ("AAPL", "AAPL"), (" AAPL", "AAPL"), ("AAPL\t", "AAPL"), ("\u{00A0}AAPL", "AAPL"), ("AAPL\u{3000}", "AAPL"),
      ("A B", "A B"), ("é", "é"), ("  ", ""), ("x\u{2009}", "x"),
    ])
  func trim(field: String, want: String) throws {
    var reader = CSVReader(bytes: Array("a,\(field),b\n".utf8))
    var fields: [CSVReader.Field] = []
    _ = try reader.nextRecord(into: &fields)
    #expect(reader.string(fields[1]) == want)
  }
}

@Suite("JSON bytes writer")
struct JSONBytesTests {
  @Test(
    "a document's strings are escaped exactly as the line writer escapes them",
    arguments: ["plain", "quote \" and \\ backslash", "tab\tnew\nline\rcr", "\u{01}\u{1F}\u{7F}", "é ü 日本 🚀", ""])
  func escaping(s: String) throws {
    var line = ""
    JSONValue.writeString(s, into: &line)
    #expect(try JSONValue.string(s).rendered() == line)
    #expect(
      try JSONValue.object([s: .array([.number(0.1), .number(3), .string(s)])]).rendered(pretty: false)
        == "{\(line):[0.1,3,\(line)]}")
  }
}
