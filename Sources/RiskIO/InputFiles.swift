import Foundation
import RiskCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The one way advisor opens an input file, and the registry of every file a run read.
///
/// - Only regular files are read: a FIFO, socket, device or directory given as a file is
///   refused with its path (a FIFO would block the run forever), checked with `stat` before
///   opening and again with `fstat` on the open descriptor (opened `O_NONBLOCK`, so even a
///   FIFO swapped in between cannot block).
/// - A symlink loop is reported as one (`ELOOP`), not as a missing file.
/// - Every file has a size limit (``InputLimits``), checked before it is read.
/// - Every file read is registered (its path, real path, device and inode), so that an output
///   can refuse to replace any of them, hard links included (``InputFiles/readBy(_:)``).
public enum InputFiles {
  /// What the registry keeps of a file that was read.
  public struct Entry: Sendable, Hashable {
    public let path: String
    public let realPath: String
    public let device: UInt64
    public let inode: UInt64
  }

  final class Registry: @unchecked Sendable {
    let lock = NSLock()
    var entries: [Entry] = []
    func add(_ e: Entry) {
      lock.lock()
      defer { lock.unlock() }
      if !entries.contains(e) { entries.append(e) }
    }
    func all() -> [Entry] {
      lock.lock()
      defer { lock.unlock() }
      return entries
    }
  }

  static let registry = Registry()

  /// Every file read so far by this process, in the order first read.
  public static var filesRead: [Entry] { registry.all() }

  /// The kind of a file from its `stat` mode, for messages.
  static func kind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFSOCK: return "a socket"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFLNK: return "a symbolic link"
    default: return "not a regular file"
    }
  }

  static func isRegular(_ mode: mode_t) -> Bool { mode & S_IFMT == S_IFREG }

  /// `stat` of `path` (following symbolic links), or the located error that explains why not.
  public static func status(_ path: String, what: String = "file") throws(InputError) -> stat {
    var st = stat()
    guard stat(path, &st) == 0 else { throw openError(path, errno, what: what) }
    return st
  }

  static func openError(_ path: String, _ code: Int32, what: String) -> InputError {
    switch code {
    case ENOENT, ENOTDIR: return InputError(.fileNotFound, path: path, "no such \(what).")
    case ELOOP: return InputError(.unreadable, path: path, "is a symbolic link loop (too many levels of symbolic links).")
    case EACCES, EPERM: return InputError(.unreadable, path: path, "permission denied.")
    case ENAMETOOLONG: return InputError(.unreadable, path: path, "the path is too long.")
    default: return InputError(.unreadable, path: path, "cannot open the \(what) (\(String(cString: strerror(code)))).")
    }
  }

  /// Refuses anything but a regular file, naming its kind.
  public static func requireRegular(_ path: String, what: String = "file") throws(InputError) {
    let st = try status(path, what: what)
    guard isRegular(st.st_mode) else {
      throw InputError(.unreadable, path: path, "is \(kind(st.st_mode)), not a regular file; advisor reads only regular files.")
    }
  }

  /// Records a file as read by this run (its real path and identity too).
  public static func register(_ path: String) {
    var st = stat()
    guard stat(path, &st) == 0 else { return }
    register(path, st)
  }

  static func register(_ path: String, _ st: stat) {
    var real = path
    if let r = realpath(path, nil) {
      real = String(cString: r)
      free(r)
    }
    registry.add(Entry(path: path, realPath: real, device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
  }

  /// The file this run read that `path` is (same real path, or same device and inode: a hard
  /// link), or nil.
  public static func readBy(_ path: String) -> Entry? {
    var st = stat()
    let exists = stat(path, &st) == 0
    var real: String? = nil
    if let r = realpath(path, nil) {
      real = String(cString: r)
      free(r)
    }
    return filesRead.first { e in
      (real != nil && e.realPath == real)
        || (exists && e.device == UInt64(st.st_dev) && e.inode == UInt64(st.st_ino))
    }
  }

  /// Opens a regular file for reading (`O_NONBLOCK`, checked again with `fstat`), registers it,
  /// and returns the descriptor and its size. The caller closes the descriptor.
  public static func openRegular(_ path: String, what: String = "file", maxBytes: Int) throws(InputError) -> (Int32, Int) {
    try requireRegular(path, what: what)
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw openError(path, errno, what: what) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      let code = errno
      close(fd)
      throw openError(path, code, what: what)
    }
    guard isRegular(st.st_mode) else {
      close(fd)
      throw InputError(.unreadable, path: path, "is \(kind(st.st_mode)), not a regular file; advisor reads only regular files.")
    }
    let size = Int(st.st_size)
    guard size <= maxBytes else {
      close(fd)
      throw InputError(
        .unreadable, path: path,
        "is \(size) bytes; advisor reads \(what)s of at most \(maxBytes) bytes (\(maxBytes >> 20) MiB).")
    }
    // Back to blocking reads for a regular file (O_NONBLOCK only guarded the open).
    _ = fcntl(fd, F_SETFL, O_RDONLY)
    register(path, st)
    return (fd, size)
  }

  /// Whether standard input was taken by an input (`-`): it can be read once per run.
  final class StandardInput: @unchecked Sendable {
    let lock = NSLock()
    var taken: String? = nil
    func take(_ what: String) -> String? {
      lock.lock()
      defer { lock.unlock() }
      if let t = taken { return t }
      taken = what
      return nil
    }
  }
  static let standardInput = StandardInput()

  /// Claims standard input for one input of the run (`-`); a second claim is an error.
  public static func claimStandardInput(for what: String) throws(InputError) {
    if let other = standardInput.take(what) {
      throw InputError(
        .unreadable, path: "-",
        "standard input is already the \(other) of this run; give the \(what) as a file (only one input can be -).")
    }
  }

  /// Standard input to its end, at most `maxBytes`.
  static func readStandardInput(what: String, maxBytes: Int) throws(InputError) -> [UInt8] {
    try claimStandardInput(for: what)
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n < 0 {
        throw InputError(
          .unreadable, path: "-", "cannot read the \(what) from standard input (\(String(cString: strerror(errno)))).")
      }
      if n == 0 { break }
      out += chunk[..<n]
      if out.count > maxBytes {
        throw InputError(.unreadable, path: "-", "the \(what) on standard input is over \(maxBytes >> 20) MiB.")
      }
    }
    return out
  }

  /// The whole of a regular file, read with `read(2)` straight into the array; `-` is
  /// standard input (once per run).
  public static func readAll(_ path: String, what: String = "file", maxBytes: Int) throws(InputError) -> [UInt8] {
    if path == "-" { return try readStandardInput(what: what, maxBytes: maxBytes) }
    let (fd, size) = try openRegular(path, what: what, maxBytes: maxBytes)
    defer { close(fd) }
    var failure: Int32 = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, count in
      var done = 0
      while done < size {
        let n = read(fd, buffer.baseAddress.map { $0 + done }, size - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 {
          if n < 0 { failure = errno }
          break
        }
        done += n
      }
      count = done
    }
    if failure != 0 {
      throw InputError(.unreadable, path: path, "cannot read the \(what) (\(String(cString: strerror(failure)))).")
    }
    return bytes
  }

  /// A regular file as UTF-8 text (a byte-order mark is dropped); invalid UTF-8 and NUL
  /// bytes are errors naming the line.
  public static func readText(_ path: String, what: String = "file", maxBytes: Int) throws(InputError) -> String {
    try text(try readAll(path, what: what, maxBytes: maxBytes), path: path)
  }

  /// Bytes as UTF-8 text for a text format (YAML): invalid UTF-8 and NUL bytes are errors
  /// naming the line.
  public static func text(_ bytes: [UInt8], path: String) throws(InputError) -> String {
    var body = bytes[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    if let nul = body.firstIndex(of: 0) {
      let line = body[..<nul].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
      throw InputError(.unreadable, path: path, line: line, "holds a NUL byte; expected UTF-8 text.")
    }
    guard let s = String(validating: body, as: UTF8.self) else {
      var line = 1
      var i = body.startIndex
      // The line of the first invalid sequence: decode line by line.
      while i < body.endIndex {
        let end = body[i...].firstIndex(of: 0x0A) ?? body.endIndex
        if String(validating: body[i..<end], as: UTF8.self) == nil { break }
        line += 1
        i = end == body.endIndex ? end : body.index(after: end)
      }
      throw InputError(.unreadable, path: path, line: line, "is not valid UTF-8 text.")
    }
    return s
  }
}

/// The limits on input sizes and counts (README "Limits"). Numeric ranges are in
/// ``InputRange``.
public enum InputLimits {
  /// A YAML file (account, instruments, profile, scenario, budgets, advisor.yaml).
  public static let yamlBytes = 16 << 20
  /// One market-data CSV file.
  public static let marketBytes = 1 << 30
  /// A holdings or followers CSV file.
  public static let tableBytes = 64 << 20
  /// One record (line) of an orders batch, which is read as a stream of any length.
  public static let orderRecordBytes = 64 << 10
  /// Characters in a numeric field (a longer one is refused as too long, not "not a number").
  public static let numberCharacters = 100
  /// Largest `--lookback` (returns), `lookback` of a profile, `--worst-days`.
  public static let maxLookback = 100_000
  /// Largest Wilder ATR period.
  public static let maxATRPeriod = 10_000
  /// Positions in an account (YAML list and holdings CSV together).
  public static let maxPositions = 100_000
  /// Followers in a followers CSV.
  public static let maxFollowers = 1_000_000
}
