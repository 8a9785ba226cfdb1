import Foundation
import RiskCore
import RiskIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The single output writer: every byte advisor writes goes through here, and every write
/// and close is checked, so a failed write is exit 2 and never reported as success.
///
/// - Standard output: `write(2)` in a loop (EINTR retried); an error (`ENOSPC` on /dev/full,
///   `EPIPE` on a closed pipe: SIGPIPE is ignored so that it arrives as an error) is thrown.
///   At the end of a command standard output is synced (when it is a regular file) and closed,
///   and those are checked too.
/// - `--output FILE`: refused when FILE is (by real path, or device and inode: a hard link) a
///   file this run read (``InputFiles``), or exists and is not a regular file (/dev/full, a
///   FIFO, a directory). Otherwise the report is written to a temporary file in the same
///   directory, synced, closed and renamed over FILE, so FILE is either the old file or the
///   whole new report, never a torn one.
enum Output {
  struct WriteError: Error, CustomStringConvertible {
    let description: String
  }

  static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

  /// Writes all of `bytes` to `fd`.
  static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    guard let base = bytes.baseAddress else { return nil }
    var done = 0
    while done < bytes.count {
      let n = write(fd, base + done, bytes.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        return errno
      }
      if n == 0 { return EIO }
      done += n
    }
    return nil
  }

  static func writeStandardOutput(bytes: [UInt8]) throws {
    let failure = bytes.withUnsafeBytes { writeAll(1, $0) }
    if let failure {
      throw WriteError(description: "cannot write to standard output (\(errorText(failure))); the report is incomplete.")
    }
  }

  static func writeStandardOutput(_ s: String) throws {
    var s = s
    let failure = s.withUTF8 { writeAll(1, UnsafeRawBufferPointer($0)) }
    if let failure {
      throw WriteError(description: "cannot write to standard output (\(errorText(failure))); the report is incomplete.")
    }
  }

  /// Syncs (regular files only) and closes standard output, checking both; fd 1 is then
  /// pointed at /dev/null so nothing later can write to a stale descriptor.
  static func finishStandardOutput() throws {
    var st = stat()
    if fstat(1, &st) == 0, st.st_mode & S_IFMT == S_IFREG, fsync(1) != 0, errno != EINVAL {
      throw WriteError(description: "cannot write to standard output (\(errorText(errno))); the report may be incomplete.")
    }
    if close(1) != 0 {
      let code = errno
      if code != EBADF {
        _ = open("/dev/null", O_WRONLY)
        throw WriteError(description: "cannot write to standard output (\(errorText(code))); the report may be incomplete.")
      }
    }
    _ = open("/dev/null", O_WRONLY)
  }

  static func writeStandardError(_ s: String) {
    var s = s
    _ = s.withUTF8 { writeAll(2, UnsafeRawBufferPointer($0)) }
  }

  /// Writes `contents` to `path` (the value of `flag`) safely; see the type's documentation.
  static func writeFile(_ contents: String, to path: String, flag: String = "--output") throws {
    let shown = quoted(path, limit: 200)
    guard !path.isEmpty else { throw WriteError(description: "\(flag): the path is empty.") }
    if let input = InputFiles.readBy(path) {
      throw WriteError(
        description:
          "\(flag) \(shown) is \(input.path == path ? "" : "the same file as ")\(input.path == path ? "an input" : quoted(input.path, limit: 200) + ", an input") of this run; refusing to overwrite a file advisor read. Choose another path."
      )
    }
    var target = path
    var st = stat()
    if lstat(path, &st) == 0 {
      if st.st_mode & S_IFMT == S_IFLNK {
        guard let r = realpath(path, nil) else {
          throw WriteError(description: "\(flag) \(shown) is a symbolic link that does not resolve (\(errorText(errno))).")
        }
        target = String(cString: r)
        free(r)
        if stat(target, &st) != 0 { st.st_mode = S_IFREG }
      }
      if st.st_mode & S_IFMT != S_IFREG {
        throw WriteError(
          description: "\(flag) \(shown) exists and is not a regular file; advisor writes reports only to regular files.")
      }
    } else if errno == ELOOP {
      throw WriteError(description: "\(flag) \(shown) is a symbolic link loop.")
    }
    let directory = (target as NSString).deletingLastPathComponent
    let dir = directory.isEmpty ? "." : directory
    let name = (target as NSString).lastPathComponent
    var template = Array("\(dir)/.\(name).advisor-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { buf -> Int32 in
      guard let base = buf.baseAddress else { return -1 }
      return mkstemp(base)
    }
    guard fd >= 0 else {
      throw WriteError(description: "\(flag) \(shown): cannot create a file in \(quoted(dir, limit: 200)) (\(errorText(errno))).")
    }
    let tempPath = template.withUnsafeBufferPointer { $0.baseAddress.map { String(cString: $0) } ?? "" }
    var ok = false
    defer { if !ok { unlink(tempPath) } }
    // The mode a new file would get (0666 less the umask), or the replaced file's.
    let mask = umask(0)
    umask(mask)
    var existing = stat()
    let mode = stat(target, &existing) == 0 ? existing.st_mode & 0o7777 : (0o666 & ~mask)
    _ = fchmod(fd, mode)
    var text = contents
    if let failure = text.withUTF8({ writeAll(fd, UnsafeRawBufferPointer($0)) }) {
      close(fd)
      throw WriteError(description: "cannot write \(shown) (\(errorText(failure))); the file was not changed.")
    }
    if fsync(fd) != 0 {
      let code = errno
      close(fd)
      throw WriteError(description: "cannot write \(shown) (\(errorText(code))); the file was not changed.")
    }
    if close(fd) != 0 {
      throw WriteError(description: "cannot write \(shown) (\(errorText(errno))); the file was not changed.")
    }
    guard rename(tempPath, target) == 0 else {
      throw WriteError(description: "cannot replace \(shown) (\(errorText(errno))); the file was not changed.")
    }
    ok = true
    let dfd = open(dir, O_RDONLY | O_DIRECTORY)
    if dfd >= 0 {
      _ = fsync(dfd)
      close(dfd)
    }
  }
}

extension Output {
  /// Creates a new file with `contents`; refuses when anything exists at `path` (`advisor init`
  /// and `profiles export` never overwrite). Every write and the close are checked.
  static func createFile(_ contents: String, at path: String) throws {
    let shown = quoted(path, limit: 200)
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      let code = errno
      if code == EEXIST {
        throw WriteError(description: "\(shown) already exists; advisor never overwrites it (move it away first).")
      }
      throw WriteError(description: "cannot create \(shown) (\(errorText(code))).")
    }
    var ok = false
    defer { if !ok { unlink(path) } }
    var text = contents
    if let failure = text.withUTF8({ writeAll(fd, UnsafeRawBufferPointer($0)) }) {
      close(fd)
      throw WriteError(description: "cannot write \(shown) (\(errorText(failure))).")
    }
    if fsync(fd) != 0 || close(fd) != 0 {
      throw WriteError(description: "cannot write \(shown) (\(errorText(errno))).")
    }
    ok = true
  }

  /// Creates a directory (and its parents); fine when it already is one.
  static func createDirectory(_ path: String) throws {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
      guard isDir.boolValue else { throw WriteError(description: "\(quoted(path, limit: 200)) exists and is not a directory.") }
      return
    }
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw WriteError(description: "cannot create the directory \(quoted(path, limit: 200)) (\(error.localizedDescription)).")
    }
  }
}
