import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An HTTP/1.1 response as the test client read it.
struct HTTPResult {
  let status: Int
  /// Lower-cased names.
  let headers: [String: String]
  let body: [UInt8]
  var text: String { String(decoding: body, as: UTF8.self) }
  func json() throws -> [String: Any] {
    guard let o = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
      throw TestFailure("not a JSON object: \(text.prefix(200))")
    }
    return o
  }
  /// `error.code` of an error reply.
  var errorCode: String? { ((try? json())?["error"] as? [String: Any])?["code"] as? String }
  var errorMessage: String? { ((try? json())?["error"] as? [String: Any])?["message"] as? String }
}

/// A blocking HTTP/1.1 client on a raw loopback socket: one request per connection
/// (`Connection: close`), so a test controls exactly what is sent and when it closes.
enum HTTPClient {
  static func connect(port: Int, timeoutSeconds: Int = 60) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
    var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let r = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard r == 0 else {
      close(fd)
      throw TestFailure("connect to 127.0.0.1:\(port): errno \(errno)")
    }
    return fd
  }

  static func requestBytes(method: String, path: String, headers: [String: String], body: [UInt8]?) -> [UInt8] {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (k, v) in headers.sorted(by: { $0.key < $1.key }) { head += "\(k): \(v)\r\n" }
    if let body { head += "Content-Length: \(body.count)\r\n" }
    head += "\r\n"
    return Array(head.utf8) + (body ?? [])
  }

  static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      guard n > 0 else { throw TestFailure("send: errno \(errno)") }
      sent += n
    }
  }

  static func readAll(_ fd: Int32) throws -> [UInt8] {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n == 0 { break }
      guard n > 0 else {
        if errno == ECONNRESET { break }
        throw TestFailure("recv: errno \(errno)")
      }
      out += buffer[0..<n]
    }
    return out
  }

  static func parse(_ raw: [UInt8]) throws -> HTTPResult {
    guard let end = raw.firstRange(of: Array("\r\n\r\n".utf8)) else {
      throw TestFailure("no HTTP response head in \(raw.count) bytes")
    }
    let head = String(decoding: raw[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
    let statusParts = head[0].split(separator: " ")
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestFailure("bad status line \(head[0])") }
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = Array(raw[end.upperBound...])
    if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
    return HTTPResult(status: status, headers: headers, body: body)
  }

  static func dechunk(_ b: [UInt8]) throws -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < b.count {
      guard let lineEnd = b[i...].firstRange(of: Array("\r\n".utf8)) else { break }
      let sizeText = String(decoding: b[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0]
      guard let size = Int(sizeText, radix: 16) else { throw TestFailure("bad chunk size") }
      if size == 0 { break }
      out += b[lineEnd.upperBound..<(lineEnd.upperBound + size)]
      i = lineEnd.upperBound + size + 2
    }
    return out
  }

  static func send(port: Int, method: String, path: String, headers: [String: String] = [:], body: [UInt8]? = nil) throws
    -> HTTPResult
  {
    let fd = try connect(port: port)
    defer { close(fd) }
    try sendAll(fd, requestBytes(method: method, path: path, headers: headers, body: body))
    return try parse(try readAll(fd))
  }
}
