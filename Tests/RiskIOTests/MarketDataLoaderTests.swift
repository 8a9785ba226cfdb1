import Foundation
import RiskCore
import Testing

@testable import RiskIO

func parse(_ text: String, path: String = "t.csv", catalog: InstrumentCatalog = InstrumentCatalog()) throws(InputError)
  -> [PriceHistory]
{
  try MarketDataLoader(catalog: catalog).parse(bytes: Array(text.utf8), path: path)
}

func parseError(_ text: String, path: String = "t.csv", catalog: InstrumentCatalog = InstrumentCatalog()) -> InputError? {
  do {
    _ = try parse(text, path: path, catalog: catalog)
    return nil
  } catch {
    return error
  }
}

@Suite("CSV market data")
struct MarketDataLoaderTests {
  static let yahoo =
    "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,10,11,9,10.5,10.4,100\n2024-01-03,10.5,12,10,11.5,11.4,200\n"

  @Test(
    "line endings, final newline, BOM and quoting do not change the data",
    arguments: [
      yahoo,
      yahoo.replacingOccurrences(of: "\n", with: "\r\n"),
      String(yahoo.dropLast()),
      "\u{FEFF}" + yahoo,
      "\"Date\",\"Open\",\"High\",\"Low\",\"Close\",\"Adj Close\",\"Volume\"\n\"2024-01-02\",\"10\",11,9,\"10.5\",10.4,100\n2024-01-03,10.5,12,10,11.5,11.4,\"200\"",
    ])
  func variants(text: String) throws {
    let h = try #require(try parse(text, path: "dir/ABC.csv").first)
    #expect(h.symbol == "ABC")
    #expect(h.close == [10.5, 11.5])
    #expect(h.open == [10, 10.5] && h.high == [11, 12] && h.low == [9, 10])
    #expect(h.volume == [100, 200])
    #expect(h.days.map(\.description) == ["2024-01-02", "2024-01-03"])
    #expect(h.lines == [2, 3])
  }

  @Test("lower-case headers; Close is used, never Adj Close")
  func lowercase() throws {
    let h = try #require(try parse("date,open,high,low,close,adj_close,volume\n2024-01-02,1,2,0.5,1.5,9,10\n").first)
    #expect(h.close == [1.5])
  }

  @Test("missing values drop the row for that instrument and are counted")
  func missing() throws {
    let text =
      "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,10\n2024-01-03,null,null,null,null,null\n2024-01-04,NA,1,1,1,1\n2024-01-05,1,2,0.5,,1\n2024-01-08,1,2,0.5,1.6,\n"
    let h = try #require(try parse(text).first)
    #expect(h.count == 2)
    #expect(h.droppedRows == 3)
    #expect(h.volume[1].isNaN)
    let m = MarketData(histories: [h])
    #expect(m.symbols == ["t"])
    #expect(MarketDataLoader.warnings([h]).first?.contains("3 rows with a missing price dropped") == true)
  }

  @Test("unsorted rows are sorted, keeping their line numbers")
  func unsorted() throws {
    let h = try #require(try parse("date,close\n2024-01-05,3\n2024-01-02,1\n2024-01-03,2\n").first)
    #expect(h.close == [1, 2, 3])
    #expect(h.lines == [3, 4, 2])
  }

  @Test("a duplicate date is an error naming both lines")
  func duplicate() throws {
    let e = try #require(parseError("date,close\n2024-01-02,1\n2024-01-03,2\n2024-01-02,3\n", path: "x.csv"))
    #expect(e.kind == .duplicateDate)
    #expect(e.description == "x.csv line 4, field 'x': date 2024-01-02 appears twice, on lines 2 and 4; keep one row per date.")
  }

  @Test(
    "bad rows are one-line errors naming file, line and field",
    arguments: [
      ("date,close\n2024-01-02,abc\n", InputError.Kind.notANumber, 2, "close"),
      ("date,close\n2024-01-02,NaN\n", .nonFinite, 2, "close"),
      ("date,close\n2024-01-02,inf\n", .nonFinite, 2, "close"),
      ("date,close\n2024-01-02,-3\n", .nonPositivePrice, 2, "close"),
      ("date,close\n2024-01-02,0\n", .nonPositivePrice, 2, "close"),
      ("date,close\n2024-13-02,1\n", .notADate, 2, "date"),
      ("date,close\n02.01.2024,1\n", .notADate, 2, "date"),
      ("date,close\n2024-01-02 13:00:00,1\n", .notADate, 2, "date"),
      ("date,close\n2024-01-02,1,5\n", .malformedRow, 2, nil),
      ("date,close\n2024-01-02,\"1\n", .malformedRow, 2, nil),
      ("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,2,-5\n", .negativeValue, 2, "Volume"),
      ("Date,Open,High,Low,Close\n2024-01-02,1,0x10,1,2\n", .notANumber, 2, "High"),
    ] as [(String, InputError.Kind, Int, String?)])
  func badRows(text: String, kind: InputError.Kind, line: Int, field: String?) throws {
    let e = try #require(parseError(text, path: "m/X.csv"))
    #expect(e.kind == kind)
    #expect(e.path == "m/X.csv")
    #expect(e.line == line)
    #expect(e.field == field)
    #expect(!e.description.contains("\n"))
  }

  @Test("empty file, header only, header without a close column")
  func structural() throws {
    #expect(parseError("")?.kind == .empty)
    #expect(parseError("\n\n")?.kind == .empty)
    #expect(parseError("Date,Open,High,Low,Close\n")?.kind == .empty)
    let e = try #require(parseError("Date,Open,High,Low,Volume\n2024-01-02,1,2,1,5\n"))
    #expect(e.kind == .missingColumn)
    #expect(e.description.contains("has no close column"))
  }

  @Test("negative prices are accepted only for instruments that allow them")
  func negativeAllowed() throws {
    let text = "date,open,high,low,close\n2020-04-17,18,19,17,18.27\n2020-04-20,17.7,17.9,-40.32,-37.63\n"
    #expect(parseError(text, path: "CL.csv")?.kind == .nonPositivePrice)
    let catalog = InstrumentCatalog([InstrumentSpec(symbol: "CL", assetClass: .future, allowsNegativePrices: true)])
    let h = try #require(try parse(text, path: "CL.csv", catalog: catalog).first)
    #expect(h.close == [18.27, -37.63])
  }

  @Test("a wide panel gives one history per column; missing cells drop per instrument")
  func panel() throws {
    let text = "\"Index\",\"A\",\"LOW\",\"L\"\n2024-01-02,1,NA,3\n2024-01-03,1.1,2.2,3.3\n2024-01-04,,2.3,3.4\n"
    let hs = try parse(text, path: "panel.csv")
    #expect(hs.map(\.symbol) == ["A", "LOW", "L"])
    #expect(hs[0].close == [1, 1.1] && hs[1].close == [2.2, 2.3] && hs[2].close == [3, 3.3, 3.4])
    #expect(hs[0].droppedRows == 1 && hs[1].droppedRows == 1)
    #expect(!hs[0].hasOHLC)
  }

  @Test("a two-column date,price file is one instrument named after the file")
  func twoColumn() throws {
    let h = try #require(try parse("Date,Price\r\n1986-01-02,25.56\r\n", path: "wti.csv").first)
    #expect(h.symbol == "wti" && h.close == [25.56])
  }

  @Test("a CryptoDataDownload URL preamble is skipped; US dates and midnight timestamps are daily")
  func preamble() throws {
    let text =
      "https://www.CryptoDataDownload.com\nunix,date,symbol,open,high,low,close\n1,2020-12-29 00:00:00,BTC,1,2,1,2\n2,12/28/2020,BTC,1,2,1,1.5\n"
    let h = try #require(try parse(text, path: "b.csv").first)
    #expect(h.days.map(\.description) == ["2020-12-28", "2020-12-29"])
  }

  @Test("a catalog maps data files to trader symbols")
  func mapping() throws {
    let catalog = InstrumentCatalog([InstrumentSpec(symbol: "BTC", assetClass: .crypto, dataFile: "BTC-USD.csv")])
    let h = try #require(try parse(Self.yahoo, path: "m/BTC-USD.csv", catalog: catalog).first)
    #expect(h.symbol == "BTC")
  }

  @Test("missing file and directory errors")
  func files() throws {
    #expect(throws: InputError.self) { try MarketDataLoader().load(path: "/nonexistent/file.csv") }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("advisor-empty-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    do {
      _ = try MarketDataLoader().load(path: dir.path)
      Issue.record("an empty directory loaded")
    } catch {
      #expect(error.kind == .empty)
    }
  }
}

@Suite("Number parsing")
struct NumberParsingTests {
  /// The fast path must give exactly strtod's double, or defer to it.
  @Test("the decimal fast path agrees with strtod bit for bit")
  func fastPathMatchesStrtod() {
    var state: UInt64 = 0x1234_5678_9ABC_DEF0
    func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    var fast = 0
    for k in 0..<200_000 {
      let digits = Int(next() % 18) + 1
      var text = next() % 4 == 0 ? "-" : ""
      var body = ""
      for _ in 0..<digits { body += String(next() % 10) }
      let point = Int(next() % UInt64(digits + 1))
      if point < digits && point > 0 { body.insert(".", at: body.index(body.startIndex, offsetBy: point)) }
      text += body
      if k % 5 == 0 { text += "e\(Int(next() % 50) - 25)" }
      let bytes = Array(text.utf8)
      let want = strtod(text, nil)
      if let got = CSVReader.fastDecimal(bytes, 0, bytes.count) {
        fast += 1
        #expect(got.bitPattern == want.bitPattern, "\(text): \(got) vs strtod \(want)")
      }
    }
    #expect(fast > 100_000, "the fast path handled only \(fast) of 200,000")
    for text in ["1e", "1.", ".5", "+3", "0.000000000000000000001", "12345678901234567", "1e23", "-0"] {
      let bytes = Array(text.utf8)
      if let got = CSVReader.fastDecimal(bytes, 0, bytes.count) {
        #expect(got.bitPattern == strtod(text, nil).bitPattern, "\(text)")
      }
    }
  }
}
