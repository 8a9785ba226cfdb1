import Foundation
import RiskCore
import Testing

@testable import RiskIO

@Suite("Budgets file and --budget flags")
struct BudgetFileTests {
  @Test("instruments and class:CLASS keys, with their lines")
  func load() throws {
    let entries = try withTemporaryFile(
      """
      version: 1
      description: test
      budgets:
        AAPL: 0.3
        class:crypto: 0.1
        BRK.B: 1_0
      """
    ) { try BudgetFile.load($0) }
    #expect(entries.map(\.key) == [.instrument("AAPL"), .assetClass(.crypto), .instrument("BRK.B")])
    #expect(entries.map(\.value) == [0.3, 0.1, 10])
    #expect(entries.map(\.line) == [4, 5, 6])
    #expect(entries[1].field == "budgets.class:crypto")
  }

  @Test("every problem in the file at once: a bad class, a non-number, an unknown key, a missing version")
  func problems() throws {
    do {
      _ = try withTemporaryFile(
        """
        budgets:
          class:coins: 0.1
          AAPL: half
        extra: 1
        """
      ) { try BudgetFile.load($0) }
      Issue.record("expected errors")
    } catch let e as InputErrors {
      let text = e.errors.map(\.description).joined(separator: "\n")
      #expect(e.errors.count == 4, "\(text)")
      #expect(text.contains("field 'version': is required"))
      #expect(text.contains("line 2, field 'budgets.class:coins': 'coins' is not an asset class"))
      #expect(text.contains("line 3, field 'budgets.AAPL': 'half' is not a finite number."))
      #expect(text.contains("line 4, field 'extra': unknown key."))
    }
    #expect(throws: InputError.self) { try withTemporaryFile("version: 1\nbudgets: {}\n") { try BudgetFile.load($0) } }
  }

  @Test("--budget SYMBOL=SHARE and class:CLASS=SHARE; malformed flags name themselves")
  func flags() throws {
    let a = try BudgetFile.parseFlag("AAPL=0.3")
    #expect(a.key == .instrument("AAPL") && a.value == 0.3 && a.source == "--budget AAPL=0.3" && a.line == nil)
    #expect(try BudgetFile.parseFlag("class:fx = 0.25").key == .assetClass(.fx))
    // Zero and negative values parse; the budget check rejects them with the same message as a file's.
    #expect(try BudgetFile.parseFlag("GC=-1").value == -1)
    for (flag, message) in [
      ("AAPL", "--budget AAPL: no '='"), ("=0.3", "no instrument before '='"), ("AAPL=x", "'x' is not a number"),
      ("class:coin=0.1", "'coin' is not an asset class"),
    ] {
      do {
        _ = try BudgetFile.parseFlag(flag)
        Issue.record("\(flag) parsed")
      } catch {
        #expect(error.description.contains(message), "\(error)")
      }
    }
  }
}
