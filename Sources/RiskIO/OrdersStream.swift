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
    /// The CSV records of the current LF-terminated chunk, `buffer[csvPosition..<csvEnd]`, read
    /// in place one at a time (a lone CR ends a record too, as in CSVReader, so a chunk may hold
    /// several).
    private var csvPosition = 0
    private var csvEnd = 0
    /// The current record's fields (reused: no allocation per record).
    private var fields: [CSVReader.Field] = []
    /// Where ``nextSimpleCSVLine()`` puts a line's fields: one more slot than the header has
    /// columns (a line with more fields than slots is read the general way).
    private var slots: [CSVReader.Field] = []
    /// The instruments' strings: one `String` per instrument, not per order.
    private var instruments = InstrumentTable<String>()
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
      /// Orders that carry a client order id field (an upper bound on the distinct ids).
      public var withClientIDs = 0
    }

    /// Reads the whole batch once, keeping only the instruments `keeping` accepts (so memory is
    /// bounded by them, not by the batch), then rewinds. An empty batch is an error.
    ///
    /// A plain CSV order (``OrdersFile/plainCSVOrder(_:_:columns:)``, nearly all) is judged in
    /// place without a string; an instrument already seen in plain ASCII is recognised by its
    /// bytes, and a `String` is made only for a new one (`keeping` is asked once per distinct
    /// ASCII instrument, so it must not depend on when it is asked).
    public func scan(keeping: (String) -> Bool) throws(InputError) -> Scan {
      var result = Scan(count: 0, first: nil, firstKept: nil, kept: [])
      var seen: Set<String> = []
      var asked = InstrumentTable<Void>()
      func note(_ symbol: String) {
        if result.first == nil { result.first = symbol }
        if keeping(symbol), seen.insert(symbol).inserted {
          if result.firstKept == nil { result.firstKept = symbol }
          result.kept.append(symbol)
        }
      }
      if fd == 0 { try spoolStandardInput() }
      while let record = try nextItem() {
        result.count += 1
        switch record {
        case .input(.order(let order)):
          if order.clientOrderID != nil { result.withClientIDs += 1 }
          note(order.symbol)
        case .input: continue
        case .plain(let order, _):
          if order.id != nil { result.withClientIDs += 1 }
          let key = buffer.withUnsafeBufferPointer { InstrumentKey($0, order.symbol) }
          if let key, asked[key] != nil { continue }
          note(buffer.withUnsafeBufferPointer { CSVReader.string($0, order.symbol) })
          if let key { asked.insert(key, ()) }
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
      csvPosition = 0
      csvEnd = 0
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

    /// Where a record ends, as ``recordEnd(_:from:last:csv:state:)`` finds it.
    enum RecordEnd {
      case lineFeed
      case tooLong
      case needMore
    }

    /// Runs CSVReader's quote states over `bytes[i...]` (0 field start, 1 unquoted, 2 quoted, 3
    /// quote seen in quoted, 4 after quoted) to the LF that ends the record (`i` left on it), or
    /// until the record would be longer than the limit (`last` is its last allowed index) or the
    /// bytes run out. Over a buffer pointer: indexing the class's array byte by byte checked
    /// exclusive access at every byte.
    static func recordEnd(_ bytes: UnsafeBufferPointer<UInt8>, from i: inout Int, last: Int, csv: Bool, state: inout Int)
      -> RecordEnd
    {
      while i < bytes.count {
        let b = bytes[i]
        if csv {
          switch state {
          case 0: state = b == 0x22 ? 2 : (b == 0x2C || b == 0x0D || b == 0x0A) ? 0 : 1
          case 1: if b == 0x2C || b == 0x0D { state = 0 }
          case 2: if b == 0x22 { state = 3 }
          case 3: state = b == 0x22 ? 2 : (b == 0x2C || b == 0x0D) ? 0 : b == 0x0A ? 0 : 4
          default: if b == 0x2C || b == 0x0D { state = 0 }
          }
        }
        if b == 0x0A && state != 2 { return .lineFeed }
        i += 1
        if i > last { return .tooLong }
      }
      return .needMore
    }

    /// A record's bytes in the buffer, or a record cut at the limit.
    enum RecordBytes {
      /// Its terminating LF included when there is one; valid until the buffer is next filled.
      case record(Range<Int>)
      /// Longer than the limit; the rest up to the next LF skipped, `lines` of it.
      case tooLong(lines: Int)
    }

    /// The next record's bytes, or nil at the end.
    private func nextRecordBytes(csv: Bool) throws(InputError) -> RecordBytes? {
      var state = 0
      var i = start
      while true {
        let last = start + InputLimits.orderRecordBytes
        switch buffer.withUnsafeBufferPointer({ Self.recordEnd($0, from: &i, last: last, csv: csv, state: &state) }) {
        case .lineFeed:
          let record = start..<(i + 1)
          start = i + 1
          return .record(record)
        case .tooLong: return try skipLongRecord()
        case .needMore:
          let consumed = i - start
          guard try fill() else {
            guard start < buffer.count else { return nil }
            let record = start..<buffer.count
            start = buffer.count
            return .record(record)
          }
          i = start + consumed
        }
      }
    }

    /// Skips to just after the next LF (whatever the quotes say) and reports the record as too long.
    private func skipLongRecord() throws(InputError) -> RecordBytes {
      var newlines = 0
      while true {
        if let lf = buffer[start...].firstIndex(of: 0x0A) {
          newlines += buffer[start..<lf].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
          start = lf + 1
          return .tooLong(lines: newlines + 1)
        }
        start = buffer.count
        guard try fill() else { return .tooLong(lines: 0) }
      }
    }

    /// One record as the stream reads it.
    enum Record {
      /// A valid CSV order still in place in the buffer (until the next record is read).
      case plain(OrdersFile.PlainCSVOrder, line: Int)
      /// Any other order or malformed row.
      case input(OrderInput)
    }

    /// The next order or malformed row; nil at the end of the batch.
    public func next() throws(InputError) -> OrderInput? {
      switch try nextItem() {
      case .input(let order): return order
      case .plain(let order, let line):
        return buffer.withUnsafeBufferPointer { bytes in
          let key = InstrumentKey(bytes, order.symbol)
          if let key, let symbol = instruments[key] { return order.order(in: bytes, symbol: symbol, line: line) }
          let symbol = CSVReader.string(bytes, order.symbol)
          if let key { instruments.insert(key, symbol) }
          return order.order(in: bytes, symbol: symbol, line: line)
        }
      case nil: return nil
      }
    }

    /// The next record, given orders included.
    private func nextItem() throws(InputError) -> Record? {
      if let orders = inMemoryOrders {
        guard inMemoryIndex < orders.count else { return nil }
        inMemoryIndex += 1
        count += 1
        return .input(orders[inMemoryIndex - 1])
      }
      guard let record = try nextRecord() else { return nil }
      count += 1
      return record
    }

    /// The next record of the input; nil at the end.
    private func nextRecord() throws(InputError) -> Record? {
      while !finished {
        if csvPosition < csvEnd {
          if let record = try nextCSVRecord() { return record }
          continue
        }
        if format == .csv, let record = nextSimpleCSVLine() { return record }
        if format == nil { try sniffFormat() }
        let csv = format == .csv
        switch try nextRecordBytes(csv: csv) {
        case nil: finished = true
        case .tooLong(let lines)?:
          let recordLine = line
          line += lines
          return .input(
            .malformed(
              line: recordLine, clientOrderID: nil,
              message: "\(path) line \(recordLine): the record is longer than \(InputLimits.orderRecordBytes) bytes."))
        case .record(let range)?:
          defer { firstChunk = false }
          if csv {
            startCSVChunk(range)
            continue
          }
          let recordLine = line
          line += 1
          var slice = Array(buffer[range])[...]
          if slice.last == 0x0A { slice = slice.dropLast() }
          if slice.last == 0x0D { slice = slice.dropLast() }
          if let o = OrdersFile.jsonOrder(slice, line: recordLine, path: path) { return .input(o) }
        }
      }
      return nil
    }

    /// Sniffs the format: the first non-blank byte `{` is JSON Lines.
    private func sniffFormat() throws(InputError) {
      while buffer[start...].allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
        && buffer.count - start < 1024
      {
        guard try fill() else { break }
      }
      format = OrdersFile.format(path: "", firstBytes: buffer[start...])
    }

    /// Starts reading a chunk's CSV records (a UTF-8 byte-order mark skipped in the first chunk).
    private func startCSVChunk(_ range: Range<Int>) {
      csvPosition = range.lowerBound
      csvEnd = range.upperBound
      let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
      if firstChunk && range.count >= 3 && buffer[csvPosition..<csvPosition + 3].elementsEqual(bom) { csvPosition += 3 }
    }

    /// The next CSV record of the current chunk, read in place with CSVReader's record parser;
    /// nil for a header or when the chunk has no more records. A record the parser rejects
    /// (an unclosed quote) is an error before the header, else a malformed row ending the batch.
    private func nextCSVRecord() throws(InputError) -> Record? {
      var position = csvPosition
      var line = self.line
      var fields: [CSVReader.Field] = []
      swap(&fields, &self.fields)
      defer {
        csvPosition = position
        self.line = line
        swap(&fields, &self.fields)
      }
      let (path, end) = (self.path, csvEnd)
      return try buffer.withUnsafeBufferPointer { (bytes) throws(InputError) -> Record? in
        let recordLine: Int
        do throws(InputError) {
          guard let l = try CSVReader.nextRecord(bytes, end: end, position: &position, line: &line, into: &fields) else {
            return nil
          }
          recordLine = l
        } catch {
          let at = error.line ?? line
          if columns == nil { throw InputError(error.kind, path: path, line: at, field: error.field, error.message) }
          finished = true
          return .input(.malformed(line: at, clientOrderID: nil, message: "\(path) line \(at): \(error.message)"))
        }
        guard let columns else {
          self.columns = try OrdersFile.csvHeader(bytes, fields, line: recordLine, path: path)
          return nil
        }
        return fields.withUnsafeBufferPointer { Self.record(bytes, $0, line: recordLine, columns: columns, path: path) }
      }
    }

    /// A CSV record after the header: in place when it is plain, else parsed (with its message).
    static func record(
      _ bytes: UnsafeBufferPointer<UInt8>, _ fields: UnsafeBufferPointer<CSVReader.Field>, line: Int,
      columns: OrdersFile.CSVColumns, path: String
    ) -> Record {
      if let order = OrdersFile.plainCSVOrder(bytes, fields, columns: columns) { return .plain(order, line: line) }
      return .input(OrdersFile.csvOrder(bytes, Array(fields), line: line, columns: columns, path: path))
    }

    /// The next CSV record when it is one whole line in the buffer, within the record limit,
    /// without a quote or a CR, split at its commas in one pass: what ``recordEnd(_:from:last:csv:state:)``
    /// and CSVReader's record parser find in two (with no quote the LF ends the record, with no
    /// CR it is one record). Nil, with nothing read, for anything else, which they read.
    private func nextSimpleCSVLine() -> Record? {
      guard !firstChunk, csvPosition >= csvEnd, let columns else { return nil }
      if slots.count != columns.count + 1 {
        slots = Array(repeating: CSVReader.Field(start: 0, end: 0, needsUnescape: false), count: columns.count + 1)
      }
      let (from, last, path) = (start, start + InputLimits.orderRecordBytes, self.path)
      return buffer.withUnsafeBufferPointer { bytes -> Record? in
        slots.withUnsafeMutableBufferPointer { slots -> Record? in
          guard let (lf, n) = Self.splitSimpleLine(bytes, from: from, last: last, into: slots) else { return nil }
          start = lf + 1
          line += 1
          let fields = UnsafeBufferPointer(rebasing: slots[..<n])
          return Self.record(bytes, fields, line: line - 1, columns: columns, path: path)
        }
      }
    }

    /// The fields of `bytes[from...]` up to its LF and their count, or nil if there is a quote
    /// or a CR first, no LF by index `last` or in the bytes, more fields than `slots`, or no
    /// field (a blank line).
    static func splitSimpleLine(
      _ bytes: UnsafeBufferPointer<UInt8>, from: Int, last: Int, into slots: UnsafeMutableBufferPointer<CSVReader.Field>
    ) -> (lf: Int, count: Int)? {
      let end = min(bytes.count, last + 1)
      guard from < end, bytes[from] != 0x0A else { return nil }
      var fieldStart = from
      var n = 0
      for i in from..<end {
        let b = bytes[i]
        guard b <= 0x2C else { continue }  // LF, CR, quote and comma are all at most ','
        if b == 0x2C || b == 0x0A {
          guard n < slots.count else { return nil }
          slots[n] = CSVReader.Field(start: fieldStart, end: i, needsUnescape: false)
          n += 1
          if b == 0x0A { return (i, n) }
          fieldStart = i + 1
        } else if b == 0x22 || b == 0x0D {
          return nil
        }
      }
      return nil
    }
  }

  static func formatFromName(_ path: String) -> Format? {
    let lower = path.lowercased()
    if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonl }
    if lower.hasSuffix(".csv") { return .csv }
    return nil
  }
}
