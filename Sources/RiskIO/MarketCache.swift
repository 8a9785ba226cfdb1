import CXXHash
import Foundation
import RiskCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A binary cache of parsed market-data files (and of parsed regime profiles:
/// ProfileCache.swift), so that a command does not parse the same CSV again on every run
/// (parsing is most of `size`, `check` and `aum` on the examples: BENCHMARKS.md, "Start-up and
/// the market cache").
///
/// **It can never serve stale data.** An entry is used only when all of these hold:
/// - the source file's bytes, read in full on every run, have the entry's length and 128-bit
///   content hash (``ContentHash``): the file's identity (inode, times) is not trusted, so an
///   edit that keeps the size and restores the modification time is still seen;
/// - the entry was written by this very executable (its size, inode and modification time),
///   so a parser changed by a rebuild or an upgrade never reads an older parser's output;
/// - the instrument catalog answers the two questions the parser asks of it (which symbol a
///   file name maps to, which symbols may trade at or below zero) as it did then
///   (``catalogFingerprint(_:)``);
/// - the entry decodes completely and consistently: lengths in bounds, dates strictly
///   increasing, every price finite (a truncated, corrupt or foreign file is a miss, never a
///   crash or a number).
///
/// Only successful parses are kept; a file with an error is parsed (and its error reported)
/// on every run. Writes go to a temporary file renamed into place, so concurrent runs never
/// see half an entry; a write that fails (read-only or full disk, no directory) is ignored:
/// the cache only ever saves time. It never writes over an input of the run.
///
/// Where: `$ADVISOR_CACHE` (a directory, or `off`), else `cache` in `advisor.yaml` (a
/// directory, or `off`), else `$XDG_CACHE_HOME/advisor`, else `~/.cache/advisor`
/// (``configured(config:environment:)``). At most ``maxEntries`` entries are kept: a store
/// beyond that removes the least recently written.
public struct MarketCache: Sendable, Equatable {
  /// The directory holding the entries (`market-<hash>.bin`).
  public let directory: String
  let executable: UInt64

  /// Bumped when the entry layout changes.
  static let layoutVersion: UInt64 = 4
  static let magic: UInt64 = 0x3130_544B_4D56_4441  // "ADVMKT01" little-endian

  public init(directory: String) {
    self.directory = directory
    self.executable = Self.executableIdentity()
  }

  /// The cache the configuration asks for, or nil when it is turned off.
  public static func configured(config: AdvisorConfig, environment: [String: String]) -> MarketCache? {
    if let env = environment["ADVISOR_CACHE"], !env.isEmpty {
      return ["off", "0", "none", "false", "no"].contains(env.lowercased()) ? nil : MarketCache(directory: env)
    }
    if config.cacheOff { return nil }
    if let c = config.cache { return MarketCache(directory: c) }
    if let x = environment["XDG_CACHE_HOME"], x.hasPrefix("/") { return MarketCache(directory: x + "/advisor") }
    if let h = environment["HOME"], h.hasPrefix("/") { return MarketCache(directory: h + "/.cache/advisor") }
    return nil
  }

  /// The size, inode and modification time of the running executable, hashed (0 when unknown:
  /// then nothing is cached, since an entry cannot be tied to its parser).
  static func executableIdentity() -> UInt64 {
    var st = stat()
    guard stat("/proc/self/exe", &st) == 0 else { return 0 }
    var h = ContentHash()
    h.mix(UInt64(st.st_size))
    h.mix(UInt64(st.st_ino))
    h.mix(UInt64(bitPattern: Int64(st.st_mtim.tv_sec)))
    h.mix(UInt64(bitPattern: Int64(st.st_mtim.tv_nsec)))
    return h.digest().0
  }

  /// What the parser reads of the catalog: every data-file mapping and every symbol allowed a
  /// price at or below zero, in sorted order, hashed.
  public static func catalogFingerprint(_ catalog: InstrumentCatalog) -> UInt64 {
    var h = ContentHash()
    for s in catalog.specs.values.sorted(by: { $0.symbol < $1.symbol }) {
      if let f = s.dataFile {
        h.mix(string: "file")
        h.mix(string: f)
        h.mix(string: s.symbol)
      }
      if s.allowsNegativePrices {
        h.mix(string: "negative")
        h.mix(string: s.symbol)
      }
    }
    return h.digest().0
  }

  /// The key of a source file's entry: the file as named, the symbol given for it (if any).
  struct Key {
    let path: String
    let symbol: String?
    let catalog: UInt64
    let length: Int
    let content: (UInt64, UInt64)
  }

  func entryPath(_ key: Key) -> String {
    var h = ContentHash()
    h.mix(string: Self.absolute(key.path))
    h.mix(string: key.symbol ?? "\u{0}")
    return entryFile("market-", h.digest())
  }

  /// `<directory>/<prefix><the key in hex>.bin`: where an entry of that kind and key is kept.
  func entryFile(_ prefix: String, _ key: (UInt64, UInt64)) -> String {
    directory + "/" + prefix + String(key.0, radix: 16) + String(key.1, radix: 16) + ".bin"
  }

  static func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    return FileManager.default.currentDirectoryPath + "/" + path
  }

  /// The parsed histories of the file with these bytes, if an entry holds them.
  func lookup(_ key: Key) -> [PriceHistory]? {
    guard executable != 0 else { return nil }
    let path = entryPath(key)
    guard let bytes = Self.readEntry(path, maxBytes: InputLimits.marketBytes * 8) else { return nil }
    var r = EntryReader(bytes)
    return r.histories(matching: key, executable: executable)
  }

  /// The whole entry file, or nil (missing, not a regular file, too large, unreadable). Not
  /// through ``InputFiles``: an entry is not an input of the run (the journal does not hash it).
  static func readEntry(_ path: String, maxBytes: Int) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size <= maxBytes else { return nil }
    let size = Int(st.st_size)
    var complete = true
    let bytes = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, count in
      var done = 0
      while done < size {
        let n = read(fd, buffer.baseAddress.map { $0 + done }, size - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 {
          complete = false
          break
        }
        done += n
      }
      count = done
    }
    return complete ? bytes : nil
  }

  /// Keeps the parsed histories of the file; any failure is ignored (the next run parses again).
  func store(_ histories: [PriceHistory], for key: Key) {
    guard executable != 0 else { return }
    let path = entryPath(key)
    // Never over an input of this run (a cache directory pointed at the data, say).
    if InputFiles.readBy(path) != nil { return }
    var w = EntryWriter()
    w.header(key, executable: executable)
    w.histories(histories)
    w.seal()
    Self.writes.perform { if Self.writeAtomically(w.bytes, to: path, directory: directory) { prune() } }
  }

  /// Stops writing entries, waiting for one being written on another thread: called as the
  /// process exits (advisor's read ahead, `WorkspacePrefetch`, may still be loading when a
  /// command ends early, say on a usage error), so that no half-written temporary file is left
  /// in the directory. Entries are never written after it.
  public static func finishWritesBeforeExit() { writes.close() }

  static let writes = WriteGate()

  /// Each write of an entry, under one lock the process's exit can take.
  final class WriteGate: @unchecked Sendable {
    private let lock = NSLock()
    private var closed = false
    func perform(_ body: () -> Void) {
      lock.lock()
      defer { lock.unlock() }
      if !closed { body() }
    }
    func close() {
      lock.lock()
      closed = true
      lock.unlock()
    }
  }

  /// The most entries kept (each is 8 to 48 bytes a bar: about 1 MB for the examples' 12 files).
  public static let maxEntries = 256

  /// Removes the least recently written entries whose names start with `prefix` past `keep`
  /// (``maxEntries`` market-data entries; errors ignored).
  func prune(prefix: String = "market-", keep: Int = maxEntries) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
    let entries = names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".bin") }
    guard entries.count > keep else { return }
    var dated: [(Int, String)] = []
    for name in entries {
      var st = stat()
      let path = directory + "/" + name
      if stat(path, &st) == 0 { dated.append((Int(st.st_mtim.tv_sec), path)) }
    }
    for (_, path) in dated.sorted(by: { $0.0 < $1.0 }).prefix(dated.count - keep) { unlink(path) }
  }

  /// Temporary file, every write checked, rename into place; false on any failure.
  static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) -> Bool {
    // The directory and its parents (`~/.cache` may not exist yet on a fresh account).
    if mkdir(directory, 0o755) != 0 && errno != EEXIST {
      guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil
      else { return false }
    }
    var template = Array("\(path).XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { buf -> Int32 in
      guard let base = buf.baseAddress else { return -1 }
      return mkstemp(base)
    }
    guard fd >= 0 else { return false }
    let temp = template.withUnsafeBufferPointer { $0.baseAddress.map { String(cString: $0) } ?? "" }
    var done = 0
    var ok = true
    bytes.withUnsafeBytes { raw in
      while done < raw.count {
        let n = write(fd, raw.baseAddress.map { $0 + done }, raw.count - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 {
          ok = false
          return
        }
        done += n
      }
    }
    if close(fd) != 0 { ok = false }
    if ok && rename(temp, path) == 0 { return true }
    unlink(temp)
    return false
  }
}

/// A 128-bit non-cryptographic hash of small keys (two 64-bit rotate–multiply lanes over
/// 8-byte words, then a murmur-style finaliser): the entry's path and symbol, the executable's
/// identity, the catalog's fingerprint. The bulk bytes (each market-data file and each entry,
/// read in full on every run) go through ``of(_:)``, which is XXH3. Collisions are a 2⁻¹²⁸
/// matter for files that are not built to collide, and whoever can build such a file can edit
/// the data.
struct ContentHash {
  var a: UInt64 = 0x9E37_79B9_7F4A_7C15
  var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F
  var count: UInt64 = 0

  mutating func mix(_ w: UInt64) {
    Self.step(&a, &b, w)
    count &+= 1
  }

  mutating func mix(string s: String) {
    var bytes = Array(s.utf8)
    bytes.append(0)
    mix(bytes: bytes)
  }

  mutating func mix(bytes: [UInt8]) { bytes.withUnsafeBytes { mix(bytes: $0) } }

  /// One lane's step (``mix(_:)`` without the count): `a` takes XXH64's round (Collet:
  /// `rotl(a + w·P₂, 31)·P₁`), `b` a rotate–multiply of `b ⊕ w` plus `a`. Each rotation is of
  /// a sum or an xor, never of a product (LLVM rewrote the rotation of a product,
  /// `rotl(x·C, r)`, as two multiplies).
  @inline(__always)
  static func step(_ a: inout UInt64, _ b: inout UInt64, _ w: UInt64) {
    a = a &+ w &* 0xC2B2_AE3D_27D4_EB4F
    a = ((a << 31) | (a >> 33)) &* 0x9E37_79B1_85EB_CA87
    b ^= w
    b = ((b << 27) | (b >> 37)) &* 0xFF51_AFD7_ED55_8CCD &+ a
  }

  mutating func mix(bytes raw: UnsafeRawBufferPointer) {
    let n = raw.count
    var i = 0
    while i + 8 <= n {
      mix(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
      i += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < n {
      tail |= UInt64(raw[i]) << shift
      shift += 8
      i += 1
    }
    mix(tail ^ (UInt64(n) << 56))
  }

  static func fmix(_ x: UInt64) -> UInt64 {
    var k = x
    k ^= k >> 33
    k &*= 0xFF51_AFD7_ED55_8CCD
    k ^= k >> 33
    k &*= 0xC4CE_B9FE_1A85_EC53
    k ^= k >> 33
    return k
  }

  func digest() -> (UInt64, UInt64) {
    let x = Self.fmix(a ^ count)
    let y = Self.fmix(b &+ x)
    return (Self.fmix(x &+ y), y)
  }

  /// XXH3's 128-bit hash of `bytes` (xxHash 0.8, seed 0; `CXXHash`): the cache's content hash
  /// of a source file and the seal of an entry. The hand-written four-lane hash it replaced
  /// took 9.4 M of the 23.7 M instructions of a `size`'s read-ahead thread for the examples'
  /// 4.7 MB (files and entries, about 2 a byte); XXH3 (SSE2) takes 4.5 M (BENCHMARKS.md, issue
  /// 16, twelfth pass).
  static func of(_ bytes: [UInt8]) -> (UInt64, UInt64) {
    bytes.withUnsafeBytes { of($0) }
  }

  /// ``of(_:)`` of the bytes `raw` points at.
  static func of(_ raw: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
    var low: UInt64 = 0
    var high: UInt64 = 0
    advisor_xxh3_128(raw.baseAddress, raw.count, &low, &high)
    return (low, high)
  }
}

/// The entry layout (little-endian): magic, layout version, executable, catalog fingerprint,
/// source length, content hash (two words), the path and symbol the entry is for, the count of
/// histories, then each history: symbol, source, bars n, has OHLC, has volume, dropped rows,
/// the days (``EntryLayout``: the previous history's, or n Int64 ordinals), the lines (the first
/// of n consecutive, or n Int64), closes, then opens, highs, lows and volumes when present;
/// last, the ``ContentHash`` of everything before it.
struct EntryWriter {
  var bytes: [UInt8] = []

  mutating func word(_ x: UInt64) { withUnsafeBytes(of: x.littleEndian) { bytes.append(contentsOf: $0) } }
  mutating func string(_ s: String) {
    let u = Array(s.utf8)
    word(UInt64(u.count))
    bytes.append(contentsOf: u)
  }
  mutating func doubles(_ x: [Double]) {
    x.withUnsafeBytes { bytes.append(contentsOf: $0) }
  }

  mutating func header(_ key: MarketCache.Key, executable: UInt64) {
    word(MarketCache.magic)
    word(MarketCache.layoutVersion)
    word(executable)
    word(key.catalog)
    word(UInt64(key.length))
    word(key.content.0)
    word(key.content.1)
    string(MarketCache.absolute(key.path))
    string(key.symbol ?? "\u{0}")
  }

  /// The entry's own checksum, last: a bit flipped anywhere in it is a miss, never a price.
  mutating func seal() {
    let (a, b) = ContentHash.of(bytes)
    word(a)
    word(b)
  }

  mutating func histories(_ hs: [PriceHistory]) {
    word(UInt64(hs.count))
    for (k, h) in hs.enumerated() {
      string(h.symbol)
      string(h.source.path)
      word(UInt64(h.count))
      word(h.open.isEmpty ? 0 : 1)
      word(h.volume.isEmpty ? 0 : 1)
      word(UInt64(h.droppedRows))
      days(h.days, previous: k > 0 ? hs[k - 1].days : nil)
      lines(h.lines)
      doubles(h.close)
      if !h.open.isEmpty {
        doubles(h.open)
        doubles(h.high)
        doubles(h.low)
      }
      if !h.volume.isEmpty { doubles(h.volume) }
    }
  }
}

extension EntryWriter {
  /// The dates: ``EntryLayout/sameDays`` when they are the previous history's (every column of
  /// a panel shares one calendar: 10 of the 500-instrument panel's 30 MB entry were its dates
  /// written 500 times), else ``EntryLayout/written`` and the Int64 ordinals.
  mutating func days(_ days: [Day], previous: [Day]?) {
    if let previous, previous == days {
      word(EntryLayout.sameDays)
      return
    }
    word(EntryLayout.written)
    for d in days { word(UInt64(bitPattern: Int64(d.ordinal))) }
  }

  /// The source lines: ``EntryLayout/consecutive`` and the first when each is the one before
  /// plus one (a file without dropped rows or comments), else ``EntryLayout/written`` and each.
  mutating func lines(_ lines: [Int]) {
    if let first = lines.first, first >= 0, lines.indices.allSatisfy({ lines[$0] == first + $0 }) {
      word(EntryLayout.consecutive)
      word(UInt64(first))
      return
    }
    word(EntryLayout.written)
    for l in lines { word(UInt64(bitPattern: Int64(l))) }
  }
}

/// How a history's dates and lines are laid out in an entry (one word before them).
enum EntryLayout {
  static let written: UInt64 = 0
  static let sameDays: UInt64 = 1
  static let consecutive: UInt64 = 2
}

/// Reads an entry with every length checked; nil on anything unexpected.
struct EntryReader {
  let bytes: [UInt8]
  /// Where the checked body ends (0: nothing to read).
  var end = 0
  var at = 0

  /// The entry up to its checksum, or nothing when the checksum does not match.
  init(_ sealed: [UInt8]) {
    self.bytes = sealed
    guard sealed.count >= 16 else { return }
    let body = sealed.count - 16
    let ok = sealed.withUnsafeBytes { raw -> Bool in
      let stored = (
        UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: body, as: UInt64.self)),
        UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: body + 8, as: UInt64.self))
      )
      return stored == ContentHash.of(UnsafeRawBufferPointer(rebasing: raw[..<body]))
    }
    if ok { end = body }
  }

  mutating func word() -> UInt64? {
    guard at + 8 <= end else { return nil }
    let x = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
    at += 8
    return UInt64(littleEndian: x)
  }

  mutating func count(max: Int) -> Int? {
    guard let w = word(), w <= UInt64(max) else { return nil }
    return Int(w)
  }

  mutating func string() -> String? {
    guard let n = count(max: 1 << 16), at + n <= end else { return nil }
    let s = String(decoding: bytes[at..<at + n], as: UTF8.self)
    at += n
    return s
  }

  /// `n` doubles, all finite; nil otherwise.
  mutating func doubles(_ n: Int) -> [Double]? {
    guard at + n * 8 <= end else { return nil }
    let start = at
    let out = [Double](unsafeUninitializedCapacity: n) { buffer, count in
      bytes.withUnsafeBytes { raw in
        if n > 0, let dst = buffer.baseAddress, let src = raw.baseAddress {
          memcpy(dst, src + start, n * 8)
        }
      }
      count = n
    }
    at += n * 8
    return out
  }

  /// `n` dates (Int64 ordinals), strictly increasing as the parser leaves them; nil otherwise.
  mutating func days(_ n: Int) -> [Day]? {
    guard let out = words(n, { Day(ordinal: Int($0)) }) else { return nil }
    let increasing = out.withUnsafeBufferPointer { d in
      var ok = true
      for i in d.indices.dropFirst() { ok = ok && d[i].ordinal > d[i - 1].ordinal }
      return ok
    }
    return increasing ? out : nil
  }

  mutating func integers(_ n: Int) -> [Int]? { words(n) { Int($0) } }

  /// `n` little-endian 64-bit words, each made into an element, in one array.
  mutating func words<T>(_ n: Int, _ element: (Int64) -> T) -> [T]? {
    guard at + n * 8 <= end else { return nil }
    let start = at
    let out = [T](unsafeUninitializedCapacity: n) { buffer, count in
      bytes.withUnsafeBytes { raw in
        for i in 0..<n {
          buffer.initializeElement(
            at: i, to: element(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: Int64.self))))
        }
      }
      count = n
    }
    at += n * 8
    return out
  }

  /// Every element finite, over the buffer (the 500-instrument panel's cache entry holds
  /// 1.26 million closes).
  static func allFinite(_ x: [Double]) -> Bool {
    x.withUnsafeBufferPointer { b in
      var ok = true
      for v in b { ok = ok && v.isFinite }
      return ok
    }
  }

  mutating func histories(matching key: MarketCache.Key, executable: UInt64) -> [PriceHistory]? {
    guard word() == MarketCache.magic, word() == MarketCache.layoutVersion, word() == executable,
      word() == key.catalog, word() == UInt64(key.length), word() == key.content.0, word() == key.content.1,
      string() == MarketCache.absolute(key.path), string() == (key.symbol ?? "\u{0}"),
      let n = count(max: 1 << 20)
    else { return nil }
    var out: [PriceHistory] = []
    for _ in 0..<n {
      guard let h = history(previous: out.last?.days) else { return nil }
      out.append(h)
    }
    return at == end ? out : nil
  }

  /// The dates as ``EntryWriter/days(_:previous:)`` laid them out (the previous history's
  /// array itself when shared: one calendar in memory for a panel).
  mutating func days(_ n: Int, previous: [Day]?) -> [Day]? {
    switch word() {
    case EntryLayout.sameDays: return previous.flatMap { $0.count == n ? $0 : nil }
    case EntryLayout.written: return days(n)
    default: return nil
    }
  }

  /// The lines as ``EntryWriter/lines(_:)`` laid them out.
  mutating func lines(_ n: Int) -> [Int]? {
    switch word() {
    case EntryLayout.consecutive:
      guard n > 0, let first = count(max: 1 << 40) else { return nil }
      return Array(first..<first + n)
    case EntryLayout.written: return integers(n)
    default: return nil
    }
  }

  mutating func history(previous: [Day]?) -> PriceHistory? {
    guard let symbol = string(), let source = string(), let n = count(max: end / 8),
      let ohlc = word(), let vol = word(), ohlc <= 1, vol <= 1, let dropped = count(max: 1 << 40),
      let days = days(n, previous: previous), let lines = lines(n), let close = doubles(n)
    else { return nil }
    // Every price finite (the dates were checked as they were read).
    guard Self.allFinite(close) else { return nil }
    var open: [Double] = []
    var high: [Double] = []
    var low: [Double] = []
    var volume: [Double] = []
    if ohlc == 1 {
      guard let o = doubles(n), let h = doubles(n), let l = doubles(n),
        Self.allFinite(o), Self.allFinite(h), Self.allFinite(l)
      else { return nil }
      (open, high, low) = (o, h, l)
    }
    if vol == 1 {
      // Volumes may be NaN (a missing volume is kept as NaN by the parser), never infinite.
      guard let v = doubles(n), !v.contains(where: \.isInfinite) else { return nil }
      volume = v
    }
    return PriceHistory(
      symbol: symbol, source: DataSource(path: source), days: days, open: open, high: high,
      low: low, close: close, volume: volume, lines: lines, droppedRows: dropped)
  }
}
