import Foundation
import RiskCore
import Testing

@testable import RiskIO

/// The orders stream reads every record as the first streaming reader did (the expectations
/// below are that reader's output, `advisor check` of c67d272): the in-place CSV path and the
/// batch scan must not change a number, a message, a line or an instrument list.
@Suite("Orders stream")
struct OrdersStreamTests {
  enum Expected: Sendable {
    case order(String, TradeSide, Double, Double?, Double?)
    case malformed(String)
  }

  static let header = "client_order_id,instrument,side,quantity,price,stop\n"

  /// One record (line 3, after a plain order): numbers, sides and instruments at the edges.
  static let records: [(String, Expected)] = [
    ("b1,BK16,buy,10,1e400,97.12", .malformed("<stdin> line 3, field 'price': '1e400' is not a number.")),
    ("b1,BK16,buy,10,nan,97.12", .malformed("<stdin> line 3, field 'price': 'nan' is not a number.")),
    ("b1,BK16,buy,10,NaN,97.12", .malformed("<stdin> line 3, field 'price': 'NaN' is not a number.")),
    ("b1,BK16,buy,10,-inf,97.12", .malformed("<stdin> line 3, field 'price': '-inf' is not a number.")),
    ("b1,BK16,buy,10,inf,97.12", .malformed("<stdin> line 3, field 'price': 'inf' is not a number.")),
    ("b1,BK16,buy,10,Infinity,97.12", .malformed("<stdin> line 3, field 'price': 'Infinity' is not a number.")),
    ("b1,BK16,buy,10,0x10,97.12", .malformed("<stdin> line 3, field 'price': '0x10' is not a number.")),
    ("b1,BK16,buy,10, 1,97.12", .order("BK16", .long, 10.0, 1.0, 97.12)),
    ("b1,BK16,buy,10,1_000,97.12", .malformed("<stdin> line 3, field 'price': '1_000' is not a number.")),
    ("b1,BK16,buy,10,.5,97.12", .order("BK16", .long, 10.0, 0.5, 97.12)),
    ("b1,BK16,buy,10,5.,97.12", .order("BK16", .long, 10.0, 5.0, 97.12)),
    ("b1,BK16,buy,10,+1,97.12", .order("BK16", .long, 10.0, 1.0, 97.12)),
    ("b1,BK16,buy,10,-0,97.12", .order("BK16", .long, 10.0, -0.0, 97.12)),  // the JSON output writes it 0
    ("b1,BK16,buy,10,1e-400,97.12", .order("BK16", .long, 10.0, 0.0, 97.12)),
    ("b1,BK16,buy,10,00012,97.12", .order("BK16", .long, 10.0, 12.0, 97.12)),
    (
      "b1,BK16,buy,10,1.7976931348623157e308,97.12",
      .malformed(
        "<stdin> line 3, field 'price': 1.7976931348623157e308 is out of range; expected a price in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    ("b1,BK16,buy,10,1e12,97.12", .order("BK16", .long, 10.0, 1000000000000.0, 97.12)),
    (
      "b1,BK16,buy,10,1.0000000000001e12,97.12",
      .malformed(
        "<stdin> line 3, field 'price': 1.0000000000001e12 is out of range; expected a price in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    ("b1,BK16,buy,10,-1e12,97.12", .order("BK16", .long, 10.0, -1000000000000.0, 97.12)),
    (
      "b1,BK16,buy,10,123456789012345678901234567890,97.12",
      .malformed(
        "<stdin> line 3, field 'price': 123456789012345678901234567890 is out of range; expected a price in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    ("b1,BK16,buy,10,0.1000000000000000055511151231257827,97.12", .order("BK16", .long, 10.0, 0.1, 97.12)),
    ("b1,BK16,buy,10,1e,97.12", .malformed("<stdin> line 3, field 'price': '1e' is not a number.")),
    ("b1,BK16,buy,10,e5,97.12", .malformed("<stdin> line 3, field 'price': 'e5' is not a number.")),
    ("b1,BK16,buy,10,1e+,97.12", .malformed("<stdin> line 3, field 'price': '1e+' is not a number.")),
    ("b1,BK16,buy,10,--1,97.12", .malformed("<stdin> line 3, field 'price': '--1' is not a number.")),
    ("b1,BK16,buy,10,1.2.3,97.12", .malformed("<stdin> line 3, field 'price': '1.2.3' is not a number.")),
    ("b1,BK16,buy,10,,97.12", .order("BK16", .long, 10.0, nil, 97.12)),
    ("b1,BK16,buy,10,NA,97.12", .order("BK16", .long, 10.0, nil, 97.12)),
    ("b1,BK16,buy,10,N/A,97.12", .order("BK16", .long, 10.0, nil, 97.12)),
    ("b1,BK16,buy,10,.,97.12", .order("BK16", .long, 10.0, nil, 97.12)),
    ("b1,BK16,buy,10,null,97.12", .order("BK16", .long, 10.0, nil, 97.12)),
    ("b1,BK16,buy,10,NULL,97.12", .order("BK16", .long, 10.0, nil, 97.12)),
    ("b1,BK16,buy,10,Null,97.12", .order("BK16", .long, 10.0, nil, 97.12)),
    ("b1,BK16,buy,10, ,97.12", .order("BK16", .long, 10.0, nil, 97.12)),
    ("b1,BK16,buy,10,\t1,97.12", .malformed("<stdin> line 3, field 'price': '1' is not a number.")),
    ("b1,BK16,buy,10,1 ,97.12", .order("BK16", .long, 10.0, 1.0, 97.12)),
    ("b1,BK16,buy,10,\"15\",97.12", .order("BK16", .long, 10.0, 15.0, 97.12)),
    ("b1,BK16,buy,10,\"1\"\"5\",97.12", .malformed("<stdin> line 3, field 'price': '1\"5' is not a number.")),
    ("b1,BK16,buy,10,1,5,97.12", .malformed("<stdin> line 3: expected 6 fields as in the header, found 7.")),
    ("b1,BK16,buy,10,\u{A0}1,97.12", .malformed("<stdin> line 3, field 'price': '1' is not a number.")),
    (
      "b1,BK16,buy,10,1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000,97.12",
      .malformed(
        "<stdin> line 3, field 'price': '10000000000000000000\u{2026} (121 characters)' is too long for a number (121 characters; at most 100)."
      )
    ),
    (
      "b1,BK16,buy,10,9007199254740993,97.12",
      .malformed(
        "<stdin> line 3, field 'price': 9007199254740993 is out of range; expected a price in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    (
      "b1,BK16,buy,10,2.2250738585072011e-308,97.12",
      .malformed(
        "<stdin> line 3, field 'price': 2.2250738585072011e-308 is out of range; expected a price in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    (
      "b1,BK16,buy,10,4.9e-324,97.12",
      .malformed(
        "<stdin> line 3, field 'price': 4.9e-324 is out of range; expected a price in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    ("b1,BK16,buy,1e400,,97.12", .malformed("<stdin> line 3, field 'quantity': '1e400' is not a number.")),
    ("b1,BK16,buy,nan,,97.12", .malformed("<stdin> line 3, field 'quantity': 'nan' is not a number.")),
    ("b1,BK16,buy,NaN,,97.12", .malformed("<stdin> line 3, field 'quantity': 'NaN' is not a number.")),
    ("b1,BK16,buy,-inf,,97.12", .malformed("<stdin> line 3, field 'quantity': '-inf' is not a number.")),
    ("b1,BK16,buy,inf,,97.12", .malformed("<stdin> line 3, field 'quantity': 'inf' is not a number.")),
    ("b1,BK16,buy,Infinity,,97.12", .malformed("<stdin> line 3, field 'quantity': 'Infinity' is not a number.")),
    ("b1,BK16,buy,0x10,,97.12", .malformed("<stdin> line 3, field 'quantity': '0x10' is not a number.")),
    ("b1,BK16,buy, 1,,97.12", .order("BK16", .long, 1.0, nil, 97.12)),
    ("b1,BK16,buy,1_000,,97.12", .malformed("<stdin> line 3, field 'quantity': '1_000' is not a number.")),
    ("b1,BK16,buy,.5,,97.12", .order("BK16", .long, 0.5, nil, 97.12)),
    ("b1,BK16,buy,5.,,97.12", .order("BK16", .long, 5.0, nil, 97.12)),
    ("b1,BK16,buy,+1,,97.12", .order("BK16", .long, 1.0, nil, 97.12)),
    ("b1,BK16,buy,-0,,97.12", .order("BK16", .long, -0.0, nil, 97.12)),  // the JSON output writes it 0
    ("b1,BK16,buy,1e-400,,97.12", .order("BK16", .long, 0.0, nil, 97.12)),
    ("b1,BK16,buy,00012,,97.12", .order("BK16", .long, 12.0, nil, 97.12)),
    (
      "b1,BK16,buy,1.7976931348623157e308,,97.12",
      .malformed(
        "<stdin> line 3, field 'quantity': 1.7976931348623157e308 is out of range; expected a quantity in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    ("b1,BK16,buy,1e12,,97.12", .order("BK16", .long, 1000000000000.0, nil, 97.12)),
    (
      "b1,BK16,buy,1.0000000000001e12,,97.12",
      .malformed(
        "<stdin> line 3, field 'quantity': 1.0000000000001e12 is out of range; expected a quantity in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    ("b1,BK16,buy,-1e12,,97.12", .order("BK16", .long, -1000000000000.0, nil, 97.12)),
    (
      "b1,BK16,buy,123456789012345678901234567890,,97.12",
      .malformed(
        "<stdin> line 3, field 'quantity': 123456789012345678901234567890 is out of range; expected a quantity in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    ("b1,BK16,buy,0.1000000000000000055511151231257827,,97.12", .order("BK16", .long, 0.1, nil, 97.12)),
    ("b1,BK16,buy,1e,,97.12", .malformed("<stdin> line 3, field 'quantity': '1e' is not a number.")),
    ("b1,BK16,buy,e5,,97.12", .malformed("<stdin> line 3, field 'quantity': 'e5' is not a number.")),
    ("b1,BK16,buy,1e+,,97.12", .malformed("<stdin> line 3, field 'quantity': '1e+' is not a number.")),
    ("b1,BK16,buy,--1,,97.12", .malformed("<stdin> line 3, field 'quantity': '--1' is not a number.")),
    ("b1,BK16,buy,1.2.3,,97.12", .malformed("<stdin> line 3, field 'quantity': '1.2.3' is not a number.")),
    ("b1,BK16,buy,,,97.12", .malformed("<stdin> line 3, field 'quantity': missing.")),
    ("b1,BK16,buy,NA,,97.12", .malformed("<stdin> line 3, field 'quantity': missing.")),
    ("b1,BK16,buy,N/A,,97.12", .malformed("<stdin> line 3, field 'quantity': missing.")),
    ("b1,BK16,buy,.,,97.12", .malformed("<stdin> line 3, field 'quantity': missing.")),
    ("b1,BK16,buy,null,,97.12", .malformed("<stdin> line 3, field 'quantity': missing.")),
    ("b1,BK16,buy,NULL,,97.12", .malformed("<stdin> line 3, field 'quantity': missing.")),
    ("b1,BK16,buy,Null,,97.12", .malformed("<stdin> line 3, field 'quantity': missing.")),
    ("b1,BK16,buy, ,,97.12", .malformed("<stdin> line 3, field 'quantity': missing.")),
    ("b1,BK16,buy,\t1,,97.12", .malformed("<stdin> line 3, field 'quantity': '1' is not a number.")),
    ("b1,BK16,buy,1 ,,97.12", .order("BK16", .long, 1.0, nil, 97.12)),
    ("b1,BK16,buy,\"15\",,97.12", .order("BK16", .long, 15.0, nil, 97.12)),
    ("b1,BK16,buy,\"1\"\"5\",,97.12", .malformed("<stdin> line 3, field 'quantity': '1\"5' is not a number.")),
    ("b1,BK16,buy,1,5,,97.12", .malformed("<stdin> line 3: expected 6 fields as in the header, found 7.")),
    ("b1,BK16,buy,\u{A0}1,,97.12", .malformed("<stdin> line 3, field 'quantity': '1' is not a number.")),
    (
      "b1,BK16,buy,1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000,,97.12",
      .malformed(
        "<stdin> line 3, field 'quantity': '10000000000000000000\u{2026} (121 characters)' is too long for a number (121 characters; at most 100)."
      )
    ),
    (
      "b1,BK16,buy,9007199254740993,,97.12",
      .malformed(
        "<stdin> line 3, field 'quantity': 9007199254740993 is out of range; expected a quantity in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    (
      "b1,BK16,buy,2.2250738585072011e-308,,97.12",
      .malformed(
        "<stdin> line 3, field 'quantity': 2.2250738585072011e-308 is out of range; expected a quantity in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    (
      "b1,BK16,buy,4.9e-324,,97.12",
      .malformed(
        "<stdin> line 3, field 'quantity': 4.9e-324 is out of range; expected a quantity in [-1e12, 1e12] (0, or at least 1e-12 in magnitude)."
      )
    ),
    ("s1,BK16,BUY,15,,", .order("BK16", .long, 15.0, nil, nil)),
    ("s1,BK16,Sell,15,,", .order("BK16", .short, 15.0, nil, nil)),
    ("s1,BK16,long,15,,", .order("BK16", .long, 15.0, nil, nil)),
    ("s1,BK16,SHORT,15,,", .order("BK16", .short, 15.0, nil, nil)),
    ("s1,BK16,b,15,,", .order("BK16", .long, 15.0, nil, nil)),
    ("s1,BK16,S,15,,", .order("BK16", .short, 15.0, nil, nil)),
    ("s1,BK16,bu,15,,", .malformed("<stdin> line 3, field 'side': 'bu' is not buy or sell.")),
    ("s1,BK16,buyy,15,,", .malformed("<stdin> line 3, field 'side': 'buyy' is not buy or sell.")),
    ("s1,BK16, buy,15,,", .order("BK16", .long, 15.0, nil, nil)),
    ("s1,BK16,buy ,15,,", .order("BK16", .long, 15.0, nil, nil)),
    ("s1,BK16,\"buy\",15,,", .order("BK16", .long, 15.0, nil, nil)),
    ("s1,BK16,\"b\"\"uy\",15,,", .malformed("<stdin> line 3, field 'side': 'b\"uy' is not buy or sell.")),
    ("s1,BK16,K,15,,", .malformed("<stdin> line 3, field 'side': 'K' is not buy or sell.")),
    ("s1,BK16,\u{212A},15,,", .malformed("<stdin> line 3, field 'side': '\u{212A}' is not buy or sell.")),
    ("s1,BK16,\u{130},15,,", .malformed("<stdin> line 3, field 'side': '\u{130}' is not buy or sell.")),
    ("s1,BK16,sell\t,15,,", .order("BK16", .short, 15.0, nil, nil)),
    ("s1,BK16,x,15,,", .malformed("<stdin> line 3, field 'side': 'x' is not buy or sell.")),
    ("y1,BK16,buy,15,,", .order("BK16", .long, 15.0, nil, nil)),
    ("y1, BK16,buy,15,,", .order("BK16", .long, 15.0, nil, nil)),
    ("y1,BK16 ,buy,15,,", .order("BK16", .long, 15.0, nil, nil)),
    ("y1,\"BK16\",buy,15,,", .order("BK16", .long, 15.0, nil, nil)),
    ("y1,\"BK\"\"16\",buy,15,,", .order("BK\"16", .long, 15.0, nil, nil)),
    ("y1,,buy,15,,", .malformed("<stdin> line 3, field 'instrument': missing.")),
    ("y1,  ,buy,15,,", .malformed("<stdin> line 3, field 'instrument': missing.")),
    ("y1,bk16,buy,15,,", .order("bk16", .long, 15.0, nil, nil)),
    ("y1,\u{212A}K,buy,15,,", .order("\u{212A}K", .long, 15.0, nil, nil)),
    ("y1,NOPE,buy,15,,", .order("NOPE", .long, 15.0, nil, nil)),
    ("y1,BBBBBBBBBBBBBBBBB,buy,15,,", .order("BBBBBBBBBBBBBBBBB", .long, 15.0, nil, nil)),
    ("y1,BBBBBBBBBBBBBBBB,buy,15,,", .order("BBBBBBBBBBBBBBBB", .long, 15.0, nil, nil)),
    ("y1,BK1\u{301}6,buy,15,,", .order("BK1\u{301}6", .long, 15.0, nil, nil)),
    ("y1,\u{E9},buy,15,,", .order("\u{E9}", .long, 15.0, nil, nil)),
    ("y1,e\u{301},buy,15,,", .order("e\u{301}", .long, 15.0, nil, nil)),
  ]

  @Test("a record reads as before", arguments: records)
  func record(_ record: String, _ expected: Expected) throws {
    let bytes = Array("\(Self.header)a1,BK16,buy,15,,97.12\n\(record)\n".utf8)
    let orders = try OrdersFile.parseCSV(bytes, path: "<stdin>")
    try #require(orders.count == 2)
    switch (orders[1], expected) {
    case (.order(let o), .order(let symbol, let side, let quantity, let price, let stop)):
      #expect(o.symbol == symbol && o.side == side && o.line == 3)
      #expect(o.quantity.bitPattern == quantity.bitPattern)
      #expect(o.price?.bitPattern == price?.bitPattern && o.stop?.bitPattern == stop?.bitPattern)
    case (.malformed(let line, _, let message), .malformed(let m)):
      #expect(message == m && line == 3)
    default:
      Issue.record("\(orders[1]) is not \(expected)")
    }
  }

  static func bytes(_ parts: [UInt8]...) -> [UInt8] { parts.flatMap { $0 } }

  /// At the record limit, on both the one-pass and the general path: a middle record of
  /// 65,535, 65,536 and 65,537 bytes before its LF, plain, with a quoted field, and ending in CR
  /// (which counts towards the limit). Up to 65,536 bytes it is read; beyond, a malformed row.
  static let recordLimitBatches: [(String, [UInt8], [String]?, String?)] = [("", false), ("cr", false), ("q", true)]
    .flatMap { kind, quoted in
      [65535, 65536, 65537].map { length in
        let cr = kind == "cr"
        let head = quoted ? "h1,\"BK16\",buy,15,," : "h1,BK16,buy,15,,"
        let padding = length - head.utf8.count - "97.12".utf8.count
        let middle =
          length + (cr ? 1 : 0) > 65536
          ? "3 malformed <stdin> line 3: the record is longer than 65536 bytes." : "3 h1 BK16 buy 15.0 None 97.12"
        return (
          "limit\(kind)\(length)",
          bytes(
            Array("client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n\(head)".utf8),
            Array(String(repeating: " ", count: padding).utf8),
            Array("97.12\(cr ? "\r" : "")\na1,BK16,buy,15,,97.12\n".utf8)),
          ["2 a1 BK16 buy 15.0 None 97.12", middle, "4 a1 BK16 buy 15.0 None 97.12"], nil
        )
      }
    }

  /// Whole batches read from standard input as `advisor check` reads them (scan, then the
  /// orders): each record as `line id instrument side quantity price stop` or `line malformed
  /// message`, or the error the batch fails with.
  static let batches: [(String, [UInt8], [String]?, String?)] =
    recordLimitBatches + [
      (
        "afterquote",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n\"a\"x,BK07,sell,10,,\na1,BK16,buy,15,,97.12\n"
              .utf8)),
        ["2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3: unexpected character after a quoted field"],
        nil
      ),
      (
        "afterquotesp",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n\"a\"  ,BK07,sell,10,,\na1,BK16,buy,15,,97.12\n"
              .utf8)), ["2 a1 BK16 buy 15.0 None 97.12", "3 a BK07 sell 10.0 None None", "4 a1 BK16 buy 15.0 None 97.12"], nil
      ),
      (
        "blanklines",
        bytes(
          Array(
            "\n\nclient_order_id,instrument,side,quantity,price,stop\n\n\na1,BK16,buy,15,,97.12\n\n\r\na1,BK16,buy,15,,97.12\n\n"
              .utf8)), ["6 a1 BK16 buy 15.0 None 97.12", "9 a1 BK16 buy 15.0 None 97.12"], nil
      ),
      (
        "bom", bytes(Array("\u{FEFF}client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n".utf8)),
        ["2 a1 BK16 buy 15.0 None 97.12"], nil
      ),
      (
        "bom2", bytes(Array("\u{FEFF}\nclient_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n".utf8)),
        ["3 a1 BK16 buy 15.0 None 97.12"], nil
      ),
      (
        "bomafterhuge",
        bytes(
          Array(String(repeating: "x", count: 70000).utf8),
          Array("\n\u{FEFF}client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n".utf8)),
        ["1 malformed <stdin> line 1: the record is longer than 65536 bytes.", "3 a1 BK16 buy 15.0 None 97.12"], nil
      ),
      (
        "bomdouble",
        bytes(Array("\u{FEFF}client_order_id,instrument,side,quantity,price,stop\n\u{FEFF}a1,BK16,buy,15,,97.12\n".utf8)),
        ["2 \u{FEFF}a1 BK16 buy 15.0 None 97.12"], nil
      ),
      ("bomonly", bytes(Array("\u{FEFF}".utf8)), nil, "<stdin>: no orders: the batch is empty or has only a header."),
      (
        "crcrlf",
        bytes(Array("client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,\r\r\na2,BK07,sell,10,,\n".utf8)),
        ["2 a1 BK16 buy 15.0 None None", "4 a2 BK07 sell 10.0 None None"], nil
      ),
      (
        "crlf",
        bytes(
          Array("client_order_id,instrument,side,quantity,price,stop\r\na1,BK16,buy,15,,97.12\r\na2,BK07,sell,10,,\r\n".utf8)),
        ["2 a1 BK16 buy 15.0 None 97.12", "3 a2 BK07 sell 10.0 None None"], nil
      ),
      ("empty", [], nil, "<stdin>: no orders: the batch is empty or has only a header."),
      (
        "emptyid", bytes(Array("client_order_id,instrument,side,quantity,price,stop\n,BK16,buy,15,,\n\"\",BK07,buy,1,,\n".utf8)),
        ["2 - BK16 buy 15.0 None None", "3 - BK07 buy 1.0 None None"], nil
      ),
      (
        "extracol",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\na2,BK07,sell,10,,,\na1,BK16,buy,15,,97.12\n"
              .utf8)),
        [
          "2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3: expected 6 fields as in the header, found 7.",
          "4 a1 BK16 buy 15.0 None 97.12",
        ], nil
      ),
      (
        "hdrdup", bytes(Array("instrument,instrument,side,quantity\nBK16,BK07,buy,3\n".utf8)), ["2 - BK16 buy 3.0 None None"], nil
      ),
      (
        "hdrmissing", bytes(Array("client_order_id,instrument,quantity\na1,BK16,buy,15,,97.12\n".utf8)), nil,
        "<stdin> line 1: the header needs instrument, side and quantity (and optionally client_order_id, price, stop)."
      ),
      (
        "hdrreorder", bytes(Array("side,quantity,symbol\nbuy,3,BK16\nsell,2,BK07\n".utf8)),
        ["2 - BK16 buy 3.0 None None", "3 - BK07 sell 2.0 None None"], nil
      ),
      (
        "hdrunknown", bytes(Array("client_order_id,instrument,side,quantity,foo\na1,BK16,buy,15,,97.12\n".utf8)), nil,
        "<stdin> line 1, field 'foo': unknown column; expected client_order_id, instrument, side, quantity, price, stop."
      ),
      ("hdrupper", bytes(Array("ID,Symbol,SIDE,Quantity\nx,BK16,buy,3\n".utf8)), ["2 x BK16 buy 3.0 None None"], nil),
      (
        "headeronly", bytes(Array("client_order_id,instrument,side,quantity,price,stop\n".utf8)), nil,
        "<stdin>: no orders: the batch is empty or has only a header."
      ),
      (
        "huge",
        bytes(
          Array("client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\nh1,BK16,buy,15,,".utf8),
          Array(String(repeating: "9", count: 70000).utf8), Array("\na1,BK16,buy,15,,97.12\n".utf8)),
        [
          "2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3: the record is longer than 65536 bytes.",
          "4 a1 BK16 buy 15.0 None 97.12",
        ], nil
      ),
      (
        "hugefirst",
        bytes(
          Array(String(repeating: "x", count: 70000).utf8),
          Array("\nclient_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n".utf8)),
        ["1 malformed <stdin> line 1: the record is longer than 65536 bytes.", "3 a1 BK16 buy 15.0 None 97.12"], nil
      ),
      (
        "hugeq",
        bytes(
          Array("client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n\"h1".utf8),
          Array(String(repeating: "x", count: 70000).utf8), Array("\n\",BK16,buy,15,,\na1,BK16,buy,15,,97.12\n".utf8)),
        [
          "2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3: the record is longer than 65536 bytes.",
          "4 malformed <stdin> line 4: a quoted field is not closed",
        ], nil
      ),
      (
        "hugequnterm",
        bytes(
          Array("client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n\"h1".utf8),
          Array(String(repeating: String(repeating: "x", count: 999) + "\n", count: 70).utf8),
          Array("a1,BK16,buy,15,,97.12\n".utf8)),
        // The skip of a record too long ends at its first LF, quoted or not: each later line is a row.
        ["2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3: the record is longer than 65536 bytes."]
          + (4..<73).map { "\($0) malformed <stdin> line \($0): expected 6 fields as in the header, found 1." }
          + ["73 a1 BK16 buy 15.0 None 97.12"], nil
      ),
      (
        "lonecr",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,\ra2,BK07,sell,10,,\r\ra3,BK01,buy,1,,\n".utf8)),
        ["2 a1 BK16 buy 15.0 None None", "3 a2 BK07 sell 10.0 None None", "4 a3 BK01 buy 1.0 None None"], nil
      ),
      (
        "missingcol",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\na2,BK07,sell,10\na1,BK16,buy,15,,97.12\n"
              .utf8)),
        [
          "2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3: expected 6 fields as in the header, found 4.",
          "4 a1 BK16 buy 15.0 None 97.12",
        ], nil
      ),
      (
        "noeol",
        bytes(Array("client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\na2,BK07,sell,10,,".utf8)),
        ["2 a1 BK16 buy 15.0 None 97.12", "3 a2 BK07 sell 10.0 None None"], nil
      ),
      (
        "nonutf8",
        bytes(
          Array("client_order_id,instrument,side,quantity,price,stop\n".utf8), [0xFF], [0xFE], Array(",BK16,buy,15,,\na".utf8),
          [0x80], Array(",BK16,sell,1,,\na1,BK16,buy,15,,97.12\n".utf8)),
        ["2 \u{FFFD}\u{FFFD} BK16 buy 15.0 None None", "3 a\u{FFFD} BK16 sell 1.0 None None", "4 a1 BK16 buy 15.0 None 97.12"],
        nil
      ),
      (
        "nonutf8side",
        bytes(Array("client_order_id,instrument,side,quantity,price,stop\nx,BK16,b".utf8), [0xFF], Array("uy,15,,\n".utf8)),
        ["2 malformed <stdin> line 2, field 'side': 'b\u{FFFD}uy' is not buy or sell."], nil
      ),
      (
        "nul",
        bytes(Array("client_order_id,instrument,side,quantity,price,stop\nx\u{0},BK16,buy,15,,\ny,BK16,buy\u{0},15,,\n".utf8)),
        ["2 x\u{0} BK16 buy 15.0 None None", "3 malformed <stdin> line 3, field 'side': 'buy\\u{0}' is not buy or sell."], nil
      ),
      (
        "only_malformed", bytes(Array("client_order_id,instrument,side,quantity,price,stop\na,BK16,hold,1,,\n".utf8)),
        ["2 malformed <stdin> line 2, field 'side': 'hold' is not buy or sell."], nil
      ),
      (
        "plain",
        bytes(
          Array("client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\na2,BK07,sell,10,180,190\n".utf8)),
        ["2 a1 BK16 buy 15.0 None 97.12", "3 a2 BK07 sell 10.0 180.0 190.0"], nil
      ),
      (
        "quotemid",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\na\"b,BK07,sell,10,,\na1,BK16,buy,15,,97.12\n"
              .utf8)), ["2 a1 BK16 buy 15.0 None 97.12", "3 a\"b BK07 sell 10.0 None None", "4 a1 BK16 buy 15.0 None 97.12"], nil
      ),
      (
        "quotespan",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n\"q\nid\",BK07,sell,10,,\na1,BK16,buy,15,,97.12\n"
              .utf8)), ["2 a1 BK16 buy 15.0 None 97.12", "3 q\nid BK07 sell 10.0 None None", "5 a1 BK16 buy 15.0 None 97.12"], nil
      ),
      (
        "quotespan2",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\n\"q\r\nid\",\"BK\n07\",sell,10,,\na1,BK16,buy,15,,97.12\n".utf8)
        ),
        ["2 q\r\nid BK\n07 sell 10.0 None None", "5 a1 BK16 buy 15.0 None 97.12"], nil
      ),
      (
        "sym0",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,BK16,buy,15,,\ny2,BK07,buy,1,,\n".utf8
          )),
        ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 BK16 buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym1",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1, BK16,buy,15,,\ny2,BK07,buy,1,,\n"
              .utf8)
        ), ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 BK16 buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym10",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,NOPE,buy,15,,\ny2,BK07,buy,1,,\n".utf8
          )),
        ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 NOPE buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym11",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,\"BK16\nX\",buy,15,,\ny2,BK07,buy,1,,\n"
              .utf8)), ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 BK16\nX buy 15.0 None None", "5 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym12",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,BBBBBBBBBBBBBBBBB,buy,15,,\ny2,BK07,buy,1,,\n"
              .utf8)),
        ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 BBBBBBBBBBBBBBBBB buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym13",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,BBBBBBBBBBBBBBBB,buy,15,,\ny2,BK07,buy,1,,\n"
              .utf8)),
        ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 BBBBBBBBBBBBBBBB buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym14",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,BK1\u{301}6,buy,15,,\ny2,BK07,buy,1,,\n"
              .utf8)), ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 BK1\u{301}6 buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"],
        nil
      ),
      (
        "sym15",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,\u{E9},buy,15,,\ny2,BK07,buy,1,,\n"
              .utf8
          )), ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 \u{E9} buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym16",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,e\u{301},buy,15,,\ny2,BK07,buy,1,,\n"
              .utf8)), ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 e\u{301} buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym2",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,BK16 ,buy,15,,\ny2,BK07,buy,1,,\n"
              .utf8)
        ), ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 BK16 buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym3",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,\"BK16\",buy,15,,\ny2,BK07,buy,1,,\n"
              .utf8)), ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 BK16 buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym4",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,\"BK\"\"16\",buy,15,,\ny2,BK07,buy,1,,\n"
              .utf8)), ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 BK\"16 buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym5",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,,buy,15,,\ny2,BK07,buy,1,,\n".utf8)),
        [
          "2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3, field 'instrument': missing.",
          "4 y2 BK07 buy 1.0 None None",
        ], nil
      ),
      (
        "sym6",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,  ,buy,15,,\ny2,BK07,buy,1,,\n".utf8)),
        [
          "2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3, field 'instrument': missing.",
          "4 y2 BK07 buy 1.0 None None",
        ], nil
      ),
      (
        "sym7",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,bk16,buy,15,,\ny2,BK07,buy,1,,\n".utf8
          )),
        ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 bk16 buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym8",
        bytes(
          Array("client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,BK16".utf8), [0xFF],
          Array(",buy,15,,\ny2,BK07,buy,1,,\n".utf8)),
        ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 BK16\u{FFFD} buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "sym9",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\ny1,\u{212A}K,buy,15,,\ny2,BK07,buy,1,,\n"
              .utf8)), ["2 a1 BK16 buy 15.0 None 97.12", "3 y1 \u{212A}K buy 15.0 None None", "4 y2 BK07 buy 1.0 None None"], nil
      ),
      (
        "tabs", bytes(Array("client_order_id,instrument,side,quantity,price,stop\n\ta1\t,BK16,buy,15,,\n".utf8)),
        ["2 a1 BK16 buy 15.0 None None"], nil
      ),
      (
        "unclosed",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n\"abc,BK07,sell,10,,\na1,BK16,buy,15,,97.12\n"
              .utf8)), ["2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3: a quoted field is not closed"], nil
      ),
      (
        "unclosedhdr", bytes(Array("\"client_order_id,instrument,side,quantity\na1,BK16,buy,15,,97.12\n".utf8)), nil,
        "<stdin> line 1: a quoted field is not closed"
      ),
      (
        "unknownsym",
        bytes(Array("client_order_id,instrument,side,quantity,price,stop\na,ZZZZ,buy,1,,\na1,BK16,buy,15,,97.12\n".utf8)),
        ["2 a ZZZZ buy 1.0 None None", "3 a1 BK16 buy 15.0 None 97.12"], nil
      ),
      (
        "ws", bytes(Array("   \nclient_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\n".utf8)), nil,
        "<stdin> line 1: the header needs instrument, side and quantity (and optionally client_order_id, price, stop)."
      ),
      (
        "manyfields",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\na2,BK07,sell,10,,,,,,,,,,\na1,BK16,buy,15,,97.12\n"
              .utf8)),
        [
          "2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3: expected 6 fields as in the header, found 14.",
          "4 a1 BK16 buy 15.0 None 97.12",
        ], nil
      ),
      (
        "onefield",
        bytes(
          Array("client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\na2\na1,BK16,buy,15,,97.12\n".utf8)),
        [
          "2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3: expected 6 fields as in the header, found 1.",
          "4 a1 BK16 buy 15.0 None 97.12",
        ], nil
      ),
      (
        "trailingcomma",
        bytes(
          Array(
            "client_order_id,instrument,side,quantity,price,stop\na1,BK16,buy,15,,97.12\na2,BK07,sell,10,,97.12,\na1,BK16,buy,15,,97.12\n"
              .utf8)),
        [
          "2 a1 BK16 buy 15.0 None 97.12", "3 malformed <stdin> line 3: expected 6 fields as in the header, found 7.",
          "4 a1 BK16 buy 15.0 None 97.12",
        ], nil
      ),
    ]

  static func digest(_ input: OrderInput) -> String {
    func number(_ v: Double?) -> String { v.map { "\($0)" } ?? "None" }
    switch input {
    case .malformed(let line, _, let message): return "\(line) malformed \(message)"
    case .order(let o):
      let side = o.side == .long ? "buy" : "sell"
      return
        "\(o.line ?? 0) \(o.clientOrderID ?? "-") \(o.symbol) \(side) \(o.quantity) \(number(o.price)) \(number(o.stop))"
    }
  }

  @Test("a batch reads as before", arguments: batches)
  func batch(_ name: String, _ bytes: [UInt8], _ expected: [String]?, _ failure: String?) {
    let stream = OrdersFile.Stream(bytes: bytes, path: "<stdin>", format: nil)
    var read: [String] = []
    do {
      _ = try stream.scan { _ in true }
      while let o = try stream.next() { read.append(Self.digest(o)) }
    } catch {
      #expect(failure?.hasSuffix(error.message) == true, "\(name): \(error)")
      return
    }
    #expect(failure == nil, "\(name)")
    #expect(read == expected ?? [], "\(name)")
  }

  /// Instruments equal as strings but not as bytes (a Kelvin sign is a K), repeated ones, long ones.
  static let instruments = bytes(
    Array(header.utf8),
    Array("1,K,buy,1,,\n2,\u{212A},buy,1,,\n3,K,sell,1,,\n4,e\u{301},buy,1,,\n5,\u{E9},buy,1,,\n".utf8),
    Array("6,BK16,hold,1,,\n7,BK16,buy,1,,\n8,\"BK16\",buy,1,,\n9, BK07 ,buy,1,,\n".utf8),
    Array((0..<300).map { "x\($0),BK\($0 % 37),buy,\($0 + 1),,\n" }.joined().utf8),
    Array("10,\(String(repeating: "L", count: 17)),buy,1,,\n11,\(String(repeating: "L", count: 17)),buy,1,,\n".utf8))

  /// The scan's instruments are those of the orders the batch reads, deduplicated as strings.
  @Test("the scan keeps the instruments of the orders read", arguments: batches.map { $0.1 } + [instruments])
  func scanKeeps(_ bytes: [UInt8]) throws {
    let filters: [(String) -> Bool] = [{ _ in true }, { $0.hasPrefix("BK1") }, { $0.count > 2 }]
    for keeping in filters {
      let stream = OrdersFile.Stream(bytes: bytes, path: "<stdin>", format: nil)
      guard let scan = try? stream.scan(keeping: keeping) else { continue }
      var reference = OrdersFile.Stream.Scan(count: 0, first: nil, firstKept: nil, kept: [])
      var seen: Set<String> = []
      while let o = try stream.next() {
        reference.count += 1
        guard case .order(let order) = o else { continue }
        if order.clientOrderID != nil { reference.withClientIDs += 1 }
        if reference.first == nil { reference.first = order.symbol }
        if keeping(order.symbol), seen.insert(order.symbol).inserted {
          if reference.firstKept == nil { reference.firstKept = order.symbol }
          reference.kept.append(order.symbol)
        }
      }
      #expect(scan.count == reference.count && scan.first == reference.first)
      #expect(scan.firstKept == reference.firstKept && scan.kept == reference.kept)
      // The duplicate table's capacity hint: at least the orders with ids, at most the orders.
      #expect(reference.withClientIDs <= scan.withClientIDs && scan.withClientIDs <= scan.count)
    }
  }
}
