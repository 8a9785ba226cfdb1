import RiskCore

// The fixed pieces of a rendered verdict, as bytes made once: a JSON line or a text verdict
// writes a finding's code, its severity and its context keys by copying them from here,
// rather than copying each name and the punctuation around it piece by piece (and a JSON
// context's keys are ordered by a rank, not by comparing their names each time).

/// Byte strings numbered 0..<n, in one array: ``write(_:to:)`` copies one in a single piece.
struct ByteTable: Sendable {
  private let bytes: [UInt8]
  private let starts: [Int]

  init(_ strings: [String]) {
    var bytes: [UInt8] = []
    var starts = [0]
    for s in strings {
      bytes.append(contentsOf: s.utf8)
      starts.append(bytes.count)
    }
    self.bytes = bytes
    self.starts = starts
  }

  /// String `i`.
  subscript(i: Int) -> String { String(decoding: bytes[starts[i]..<starts[i + 1]], as: UTF8.self) }

  @inline(__always)
  func write(_ i: Int, to w: inout LineWriter) {
    let start = starts[i]
    let end = starts[i + 1]
    bytes.withUnsafeBufferPointer { w.bytes(UnsafeBufferPointer(rebasing: $0[start..<end])) }
  }
}

extension FindingCode {
  /// The position in `allCases` (a test checks it): the index of the tables below. A switch,
  /// since the raw value is the only number-free handle on a case and hashing it is slow.
  var ordinal: Int {
    switch self {
    case .malformedOrder: return 0
    case .unknownInstrument: return 1
    case .invalidQuantity: return 2
    case .duplicateClientOrderID: return 3
    case .lotSizeOK: return 4
    case .lotSizeMismatch: return 5
    case .marketDataOK: return 6
    case .staleMarketData: return 7
    case .marketDataGaps: return 8
    case .marketDataInsufficient: return 9
    case .priceBandOK: return 10
    case .priceOutsideBand: return 11
    case .stopOK: return 12
    case .stopMissing: return 13
    case .stopWrongSide: return 14
    case .stopInsideNoise: return 15
    case .stopNotRequired: return 16
    case .reducesPosition: return 17
    case .equityNotPositive: return 18
    case .noFXRate: return 19
    case .holdingsModelled: return 20
    case .holdingNotModelled: return 21
    case .riskBudgetOK: return 22
    case .riskBudgetExceeded: return 23
    case .notionalCapOK: return 24
    case .notionalCapExceeded: return 25
    case .leverageCapOK: return 26
    case .leverageCapExceeded: return 27
    case .classLeverageCapOK: return 28
    case .classLeverageCapExceeded: return 29
    case .groupExposureOK: return 30
    case .groupExposureExceeded: return 31
    case .marginOK: return 32
    case .marginUtilisationExceeded: return 33
    case .volatilityBudgetOK: return 34
    case .volatilityBudgetExceeded: return 35
    case .riskShareOK: return 36
    case .riskShareExceeded: return 37
    case .groupRiskShareOK: return 38
    case .groupRiskShareExceeded: return 39
    case .liquidityOK: return 40
    case .liquidityLimitExceeded: return 41
    case .checkNotEvaluated: return 42
    case .tradingStateReducing: return 43
    case .tradingStateHalted: return 44
    case .journalUnavailable: return 45
    }
  }

  /// `{"code":"CODE","context":{`: the start of a finding in a JSON line.
  static let jsonStart = ByteTable(allCases.map { "{\"code\":\"\($0.rawValue)\",\"context\":{" })

  /// The code padded to the longest code, then the two spaces before the message: a text line.
  static let textColumn = ByteTable(
    allCases.map { $0.rawValue + String(repeating: " ", count: CheckRenderer.codeWidth - $0.rawValue.count) + "  " })
}

extension ContextKey {
  /// The position in `allCases` (a test checks it): the index of the tables below.
  var ordinal: Int {
    switch self {
    case .line: return 0
    case .instrument: return 1
    case .quantity: return 2
    case .lot: return 3
    case .value: return 4
    case .limit: return 5
    case .headroom: return 6
    case .maxQuantity: return 7
    case .minQuantity: return 8
    case .lastDate: return 9
    case .asOf: return 10
    case .ageDays: return 11
    case .lastClose: return 12
    case .stop: return 13
    case .price: return 14
    case .distance: return 15
    case .dailySigma: return 16
    case .required: return 17
    case .held: return 18
    case .after: return 19
    case .equity: return 20
    case .currency: return 21
    case .unitExposure: return 22
    case .riskPerUnit: return 23
    case .applies: return 24
    case .clientOrderId: return 25
    case .firstIndex: return 26
    case .holdings: return 27
    case .regime: return 28
    case .droppedRows: return 29
    case .file: return 30
    case .group: return 31
    case .members: return 32
    case .state: return 33
    case .source: return 34
    case .actor: return 35
    case .at: return 36
    case .since: return 37
    case .until: return 38
    }
  }

  /// `"key":`, as a JSON context writes it.
  static let jsonName = ByteTable(allCases.map { "\"\($0.rawValue)\":" })

  /// ` key=`, as a text line writes it (after a space).
  static let textName = ByteTable(allCases.map { " \($0.rawValue)=" })

  /// Each key's place among the keys sorted by name (by ordinal): a JSON object's order.
  static let nameRank: [UInt8] = {
    var rank = [UInt8](repeating: 0, count: allCases.count)
    for (r, key) in allCases.sorted(by: { $0.rawValue < $1.rawValue }).enumerated() { rank[key.ordinal] = UInt8(r) }
    return rank
  }()
}
