import LinearAlgebra

/// How a return is measured from two consecutive closes.
public enum ReturnKind: String, Sendable, Hashable, CaseIterable, Codable {
  /// `r_t = C_t / C_{t−1} − 1` (the default, and the reference convention).
  case simple
  /// `r_t = ln(C_t / C_{t−1})`.
  case log

  /// The return between two closes; both must be positive (checked by the caller).
  @inlinable
  public func value(from previous: Double, to current: Double) -> Double {
    switch self {
    case .simple: return current / previous - 1
    case .log: return (current / previous).logValue
    }
  }
}

extension Double {
  @usableFromInline var logValue: Double { naturalLog(self) }
}

/// Returns over the last `lookback` periods of one series: `lookback + 1` closes.
///
/// - Throws: ``EstimationError/tooFewObservations(symbol:needed:available:what:)``,
///   ``EstimationError/nonPositivePrice(symbol:day:field:value:source:line:)`` when
///   a close in the window is not positive (possible only for instruments that allow
///   negative prices: returns are then undefined, and advisor refuses rather than
///   produce NaN or a silently wrong figure).
public func lastReturns(of h: PriceHistory, lookback: Int, kind: ReturnKind) throws(EstimationError) -> [Double] {
  guard lookback >= 2 else { throw .lookbackTooShort(lookback) }
  guard h.count > lookback else {
    throw .tooFewObservations(
      symbol: h.symbol, needed: saturatingSum(lookback, 1), available: h.count, what: "a lookback of \(lookback) returns")
  }
  let start = h.count - lookback - 1
  for i in start..<h.count where !(h.close[i] > 0) {
    throw .nonPositivePrice(
      symbol: h.symbol, day: h.days[i], field: "close", value: h.close[i], source: h.source, line: h.lines[i])
  }
  var r = [Double](repeating: 0, count: lookback)
  for k in 0..<lookback {
    r[k] = kind.value(from: h.close[start + k], to: h.close[start + k + 1])
  }
  return r
}

/// Returns of several instruments on their common dates (inner join), newest last.
///
/// The closes are aligned first (only dates on which every instrument has a
/// close), then returns are taken on the aligned series, so a 7-day market's
/// Friday-to-Monday move becomes one return.
public struct AlignedReturns: Sendable {
  public let symbols: [String]
  /// The date of each return (the later of its two closes).
  public let days: [Day]
  /// The date of the close before the first return.
  public let baseDay: Day
  /// `T × N`, column-major: column `j` is instrument `j`'s returns.
  public let matrix: Matrix
  /// Dates common to all instruments before the lookback was applied.
  public let commonDates: Int
  /// Inferred from the aligned calendar.
  public let periodsPerYear: Int

  public var observations: Int { matrix.rows }

  /// Whether two calendars are the same dates, compared over their buffers (a 500-instrument
  /// panel compares 1.26 million dates; `==` on the arrays was 33 M instructions).
  static func sameDays(_ a: [Day], _ b: [Day]) -> Bool {
    guard a.count == b.count else { return false }
    return a.withUnsafeBufferPointer { x in
      b.withUnsafeBufferPointer { y in
        // One array (the market cache shares a panel's calendar among its columns).
        if x.baseAddress == y.baseAddress { return true }
        var same = true
        for i in 0..<x.count { same = same && x[i].ordinal == y[i].ordinal }
        return same
      }
    }
  }

  /// - Parameter lookback: the number of returns to keep (the newest); nil: every common date.
  /// - Throws: ``EstimationError/tooFewAlignedObservations(needed:available:symbols:)``,
  ///   ``EstimationError/nonPositivePrice(symbol:day:field:value:source:line:)``.
  public init(_ histories: [PriceHistory], lookback wanted: Int?, kind: ReturnKind) throws(EstimationError) {
    guard !histories.isEmpty else { throw .noInstruments }
    if let wanted { guard wanted >= 2 else { throw .lookbackTooShort(wanted) } }
    let n = histories.count
    // Inner join by a merge over sorted dates: O(N·T), no hashing.
    var rowsOf = [[Int]](repeating: [], count: n)
    var common: [Day] = []
    let sameCalendar = histories.dropFirst().allSatisfy { Self.sameDays($0.days, histories[0].days) }
    if sameCalendar {
      common = histories[0].days
      let all = Array(0..<common.count)
      for j in 0..<n { rowsOf[j] = all }
    } else {
      var cursor = [Int](repeating: 0, count: n)
      outer: for (i0, day) in histories[0].days.enumerated() {
        for j in 1..<n {
          let d = histories[j].days
          while cursor[j] < d.count && d[cursor[j]] < day { cursor[j] += 1 }
          if cursor[j] == d.count { break outer }
          if d[cursor[j]] != day { continue outer }
        }
        common.append(day)
        rowsOf[0].append(i0)
        for j in 1..<n { rowsOf[j].append(cursor[j]) }
      }
    }
    let lookback = wanted ?? max(2, common.count - 1)
    guard common.count > lookback else {
      if n == 1 {
        throw .tooFewObservations(
          symbol: histories[0].symbol, needed: saturatingSum(lookback, 1), available: common.count,
          what: "a lookback of \(lookback) returns")
      }
      throw .tooFewAlignedObservations(
        needed: saturatingSum(lookback, 1), available: common.count, symbols: histories.map(\.symbol))
    }
    let start = common.count - lookback - 1
    let m = Matrix(columnMajorRows: lookback, columns: n) { out in
      for j in 0..<n {
        histories[j].close.withUnsafeBufferPointer { close in
          if sameCalendar {
            // Rows are the bars themselves: no index table to go through, and simple returns in
            // a loop of their own (the same division and subtraction, vectorised).
            let column = j * lookback
            switch kind {
            case .simple: for k in 0..<lookback { out[k + column] = close[start + k + 1] / close[start + k] - 1 }
            case .log: for k in 0..<lookback { out[k + column] = kind.value(from: close[start + k], to: close[start + k + 1]) }
            }
          } else {
            rowsOf[j].withUnsafeBufferPointer { rows in
              for k in 0..<lookback {
                out[k + j * lookback] = kind.value(from: close[rows[start + k]], to: close[rows[start + k + 1]])
              }
            }
          }
        }
      }
    }
    for j in 0..<n {
      let h = histories[j]
      let bad = h.close.withUnsafeBufferPointer { close in
        rowsOf[j].withUnsafeBufferPointer { rows in (start..<common.count).first { !(close[rows[$0]] > 0) } }
      }
      if let k = bad {
        let i = rowsOf[j][k]
        throw .nonPositivePrice(
          symbol: h.symbol, day: h.days[i], field: "close", value: h.close[i], source: h.source, line: h.lines[i])
      }
    }
    symbols = histories.map(\.symbol)
    days = Array(common[(start + 1)...])
    baseDay = common[start]
    matrix = m
    commonDates = common.count
    periodsPerYear = PeriodsPerYear.infer(common[start...])
  }
}
