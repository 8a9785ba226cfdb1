import Foundation
import RiskCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension OrdersFile {
  /// An orders batch read as a stream, in 64 KiB chunks, at constant memory whatever its length
  /// (a million orders on standard input included): ``next()`` returns one order (or one
  /// malformed row) at a time, parsed by the same record parsers as ``parseCSV(_:path:)`` and
  /// ``parseJSONLines(_:path:)``.
  ///
  /// Each record is at most ``InputLimits/orderRecordBytes``; a longer one is a malformed row
  /// (the rest of the batch is still read). A CSV record may span lines inside quotes, exactly
  /// as ``CSVReader`` reads it.
  ///
  /// ``scan(keeping:)`` reads the batch once without keeping it (the pre-trade check needs every
  /// traded instrument in the covariance before the first order is judged) and rewinds; standard
  /// input, which cannot be read twice, is copied to an unlinked temporary file as it is scanned.
  public final class Stream {
    let path: String
    private var fd: Int32 = -1
    private let ownsDescriptor: Bool
    private var memory: [UInt8]?
    private var memoryOffset = 0
    private(set) var format: Format?
    private let formatFromName: Format?
    // Chunked input
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEOF = false
    // Parser state
    private var line = 1
    private var columns: CSVColumns? = nil
    private var firstChunk = true
    private var pendingRecords: [OrderInput] = []
    private var finished = false
    private var inMemoryOrders: [OrderInput]? = nil
    private var inMemoryIndex = 0
    /// Orders and malformed rows returned so far.
    public private(set) var count = 0

    static let chunkSize = 64 << 10

    /// A batch file, or standard input for `-`.
    public convenience init(_ path: String) throws(InputError) {
      if path == "-" {
        try InputFiles.claimStandardInput(for: "orders file")
        self.init(descriptor: 0, path: "<stdin>", format: nil, owns: false)
      } else {
        let (fd, _) = try InputFiles.openRegular(path, what: "orders file", maxBytes: Int.max)
        self.init(descriptor: fd, path: path, format: OrdersFile.formatFromName(path), owns: true)
      }
    }

    init(descriptor: Int32, path: String, format: Format?, owns: Bool) {
      self.fd = descriptor
      self.path = path
      self.formatFromName = format
      self.format = format
      self.ownsDescriptor = owns
    }

    /// A batch already in memory (parsed the same way).
    public init(bytes: [UInt8], path: String, format: Format?) {
      self.path = path
      self.memory = bytes
      self.formatFromName = format
      self.format = format
      self.ownsDescriptor = false
    }

    /// Orders given directly (a single order from flags).
    public init(orders: [OrderInput]) {
      self.path = "<flags>"
      self.inMemoryOrders = orders
      self.formatFromName = nil
      self.ownsDescriptor = false
    }

    private var spooledDescriptor = false

    deinit { if (ownsDescriptor || spooledDescriptor) && fd > 0 { close(fd) } }

    /// The error for a batch without orders.
    public func emptyError() -> InputError {
      InputError(.empty, path: path, "no orders: the batch is empty\(format == .jsonl ? "" : " or has only a header").")
    }

    /// What a first pass over the batch found.
    public struct Scan: Sendable {
      public var count: Int
      /// The first instrument of the batch.
      public var first: String?
      /// The first instrument for which `keeping` was true.
      public var firstKept: String?
      /// The distinct instruments for which `keeping` was true, in order of first appearance.
      public var kept: [String]
    }

    /// Reads the whole batch once, keeping only the instruments `keeping` accepts (so memory is
    /// bounded by them, not by the batch), then rewinds. An empty batch is an error.
    public func scan(keeping: (String) -> Bool) throws(InputError) -> Scan {
      var result = Scan(count: 0, first: nil, firstKept: nil, kept: [])
      var seen: Set<String> = []
      if fd == 0 { try spoolStandardInput() }
      while let o = try next() {
        result.count += 1
        guard case .order(let order) = o else { continue }
        if result.first == nil { result.first = order.symbol }
        if keeping(order.symbol), seen.insert(order.symbol).inserted {
          if result.firstKept == nil { result.firstKept = order.symbol }
          result.kept.append(order.symbol)
        }
      }
      guard result.count > 0 else { throw emptyError() }
      try rewind()
      return result
    }

    /// Copies standard input to an unlinked temporary file (read twice: scan, then check).
    private func spoolStandardInput() throws(InputError) {
      var st = stat()
      if fstat(0, &st) == 0, st.st_mode & S_IFMT == S_IFREG, lseek(0, 0, SEEK_CUR) >= 0 {
        return  // a redirected regular file can be rewound as it is
      }
      let dir = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
      var template = Array("\(dir)/advisor-orders-XXXXXX".utf8CString)
      let tmp = template.withUnsafeMutableBufferPointer { b -> Int32 in b.baseAddress.map { mkstemp($0) } ?? -1 }
      guard tmp >= 0 else {
        throw InputError(.unreadable, path: path, "cannot create a temporary file in \(dir) to read the batch twice.")
      }
      template.withUnsafeBufferPointer { b in if let base = b.baseAddress { _ = unlink(base) } }
      var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
      while true {
        let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, Self.chunkSize) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 {
          let code = errno
          close(tmp)
          throw InputError(.unreadable, path: path, "cannot read standard input (\(String(cString: strerror(code)))).")
        }
        if n == 0 { break }
        var done = 0
        while done < n {
          let w = chunk.withUnsafeBytes { write(tmp, $0.baseAddress.map { $0 + done }, n - done) }
          if w < 0 && errno == EINTR { continue }
          guard w > 0 else {
            let code = errno
            close(tmp)
            throw InputError(
              .unreadable, path: path, "cannot copy standard input to \(dir) (\(String(cString: strerror(code)))).")
          }
          done += w
        }
      }
      guard lseek(tmp, 0, SEEK_SET) == 0 else {
        close(tmp)
        throw InputError(.unreadable, path: path, "cannot read back the copy of standard input.")
      }
      fd = tmp
      spooledDescriptor = true
    }

    /// Back to the first order.
    private func rewind() throws(InputError) {
      if inMemoryOrders != nil {
        inMemoryIndex = 0
      } else if memory != nil {
        memoryOffset = 0
      } else if lseek(fd, 0, SEEK_SET) != 0 {
        throw InputError(.unreadable, path: path, "cannot read the batch a second time.")
      }
      buffer = []
      start = 0
      atEOF = false
      line = 1
      columns = nil
      firstChunk = true
      pendingRecords = []
      finished = false
      count = 0
      format = formatFromName
    }

    /// More bytes into the buffer; false at the end of the input.
    private func fill() throws(InputError) -> Bool {
      if atEOF { return false }
      if start > 0 {
        buffer.removeFirst(start)
        start = 0
      }
      if let memory {
        let end = min(memory.count, memoryOffset + Self.chunkSize)
        if memoryOffset >= end {
          atEOF = true
          return false
        }
        buffer += memory[memoryOffset..<end]
        memoryOffset = end
        return true
      }
      var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
      while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, Self.chunkSize) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 {
          throw InputError(.unreadable, path: path, "cannot read the orders (\(String(cString: strerror(errno)))).")
        }
        if n == 0 {
          atEOF = true
          return false
        }
        buffer += chunk[0..<n]
        return true
      }
    }

    /// The next record's bytes (its terminating LF included when there is one), or nil at the
    /// end; `tooLong` when it was cut at the record limit (the rest up to the next LF skipped).
    private func nextRecordBytes(csv: Bool) throws(InputError) -> (bytes: [UInt8], tooLong: Bool)? {
      // CSVReader's states: 0 field start, 1 unquoted, 2 quoted, 3 quote seen in quoted, 4 after quoted.
      var state = 0
      var i = start
      while true {
        while i < buffer.count {
          let b = buffer[i]
          if csv {
            switch state {
            case 0: state = b == 0x22 ? 2 : (b == 0x2C || b == 0x0D || b == 0x0A) ? 0 : 1
            case 1: if b == 0x2C || b == 0x0D { state = 0 }
            case 2: if b == 0x22 { state = 3 }
            case 3: state = b == 0x22 ? 2 : (b == 0x2C || b == 0x0D) ? 0 : b == 0x0A ? 0 : 4
            default: if b == 0x2C || b == 0x0D { state = 0 }
            }
          }
          if b == 0x0A && state != 2 {
            let record = Array(buffer[start...i])
            start = i + 1
            return (record, false)
          }
          i += 1
          if i - start > InputLimits.orderRecordBytes { return try skipLongRecord() }
        }
        let consumed = i - start
        guard try fill() else {
          guard start < buffer.count else { return nil }
          let record = Array(buffer[start...])
          start = buffer.count
          return (record, false)
        }
        i = start + consumed
      }
    }

    /// Skips to just after the next LF (whatever the quotes say) and reports the record as too long.
    private func skipLongRecord() throws(InputError) -> (bytes: [UInt8], tooLong: Bool)? {
      var newlines = 0
      while true {
        if let lf = buffer[start...].firstIndex(of: 0x0A) {
          newlines += buffer[start..<lf].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
          start = lf + 1
          return ([UInt8](repeating: 0x0A, count: newlines + 1), true)
        }
        start = buffer.count
        guard try fill() else { return ([], true) }
      }
    }

    /// The next order or malformed row; nil at the end of the batch.
    public func next() throws(InputError) -> OrderInput? {
      if let orders = inMemoryOrders {
        guard inMemoryIndex < orders.count else { return nil }
        inMemoryIndex += 1
        count += 1
        return orders[inMemoryIndex - 1]
      }
      while true {
        if !pendingRecords.isEmpty {
          count += 1
          return pendingRecords.removeFirst()
        }
        if finished { return nil }
        if format == nil {
          // Sniff: the first non-blank byte `{` is JSON Lines.
          while buffer[start...].allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
            && buffer.count - start < 1024
          {
            guard try fill() else { break }
          }
          format = OrdersFile.format(path: "", firstBytes: buffer[start...])
        }
        let csv = format == .csv
        guard let (record, tooLong) = try nextRecordBytes(csv: csv) else {
          finished = true
          return nil
        }
        let recordLine = line
        if tooLong {
          line += record.count
          pendingRecords.append(
            .malformed(
              line: recordLine, clientOrderID: nil,
              message: "\(path) line \(recordLine): the record is longer than \(InputLimits.orderRecordBytes) bytes."))
          continue
        }
        if csv {
          try parseCSVRecords(record, baseLine: recordLine)
        } else {
          line += 1
          var slice = record[...]
          if slice.last == 0x0A { slice = slice.dropLast() }
          if slice.last == 0x0D { slice = slice.dropLast() }
          if let o = OrdersFile.jsonOrder(slice, line: recordLine, path: path) { pendingRecords.append(o) }
        }
        firstChunk = false
      }
    }

    /// Every CSV record in one chunk (a lone CR ends a record too, as in CSVReader).
    private func parseCSVRecords(_ record: [UInt8], baseLine: Int) throws(InputError) {
      var reader = CSVReader(bytes: record, skippingByteOrderMark: firstChunk)
      var fields: [CSVReader.Field] = []
      defer { line = baseLine + reader.line - 1 }
      while true {
        let relative: Int
        do {
          guard let l = try reader.nextRecord(into: &fields) else { return }
          relative = l
        } catch {
          let at = baseLine + (error.line ?? 1) - 1
          if columns == nil {
            throw InputError(error.kind, path: path, line: at, field: error.field, error.message)
          }
          pendingRecords.append(.malformed(line: at, clientOrderID: nil, message: "\(path) line \(at): \(error.message)"))
          finished = true
          return
        }
        let at = baseLine + relative - 1
        guard let columns else {
          self.columns = try OrdersFile.csvHeader(reader, fields, line: at, path: path)
          continue
        }
        pendingRecords.append(OrdersFile.csvOrder(&reader, fields, line: at, columns: columns, path: path))
      }
    }
  }

  static func formatFromName(_ path: String) -> Format? {
    let lower = path.lowercased()
    if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonl }
    if lower.hasSuffix(".csv") { return .csv }
    return nil
  }
}
