import Foundation
import RiskCore
import Testing

@testable import RiskIO

/// The keys of issue 17 in the files that carry them: profiles (groups and margin caps),
/// instruments.yaml (group, margin terms) and the account (the broker's stated margin).
@Suite("Group and margin keys in profiles, instruments.yaml and the account")
struct GroupMarginFileTests {
  static let profile = """
    version: 1
    regime: test
    risk_per_trade: 0.01
    max_position_notional: 0.2
    max_gross_leverage: 2
    stop: {method: atr, multiple: 2}
    volatility: {estimator: ewma, lookback: 60}
    covariance: {estimator: oas, lookback: 60}
    portfolio_volatility_budget: 0.15
    max_risk_share: 0.3
    liquidity: {max_adv_fraction: 0.05}

    """

  func errors(_ text: String, _ parse: (String) throws -> Void) -> [InputError] {
    do {
      try parse(text)
      return []
    } catch let e as InputErrors {
      return e.errors
    } catch let e as InputError {
      return [e]
    } catch {
      return []
    }
  }

  @Test("profile: correlated_groups, the group caps and the margin cap; absent keys leave the limits off")
  func profileKeys() throws {
    let p = try ProfileFile.parse(
      Self.profile + """
        correlated_groups: {min_correlation: 0.6, linkage: complete, source: clusters}
        max_group_exposure: 0.5
        max_group_risk_share: 0.45
        max_margin_utilisation: 0.25
        """, path: "p.yaml")
    #expect(p.correlatedGroups == CorrelatedGroupSettings(minCorrelation: 0.6, linkage: .complete, source: .clusters))
    #expect(p.maxGroupExposure == 0.5 && p.maxGroupRiskShare == 0.45 && p.maxMarginUtilisation == 0.25)
    #expect(p.covarianceMethod == .oas)
    let plain = try ProfileFile.parse(Self.profile, path: "p.yaml")
    #expect(plain.correlatedGroups == nil && plain.maxGroupExposure == nil && plain.maxMarginUtilisation == nil)
    // Defaults: average linkage, both sources.
    let d = try ProfileFile.parse(Self.profile + "correlated_groups: {min_correlation: 0.7}\n", path: "p.yaml")
    #expect(d.correlatedGroups == CorrelatedGroupSettings(minCorrelation: 0.7, linkage: .average, source: .both))
    let lw = try ProfileFile.parse(
      Self.profile.replacingOccurrences(of: "estimator: oas", with: "estimator: ledoit-wolf-constant-correlation"),
      path: "p.yaml")
    #expect(lw.covarianceMethod == .ledoitWolfConstantCorrelation)
  }

  @Test("profile: out-of-range and unknown values are errors naming the key path")
  func profileRanges() {
    let bad =
      Self.profile + """
        correlated_groups: {min_correlation: 1.5, linkage: ward, source: sectors, extra: 1}
        max_group_exposure: 101
        max_group_risk_share: 1.2
        max_margin_utilisation: -0.1
        """
    let fields = Set(errors(bad) { _ = try ProfileFile.parse($0, path: "p.yaml") }.compactMap(\.field))
    #expect(
      fields == [
        "correlated_groups.min_correlation", "correlated_groups.linkage", "correlated_groups.source",
        "correlated_groups.extra", "max_group_exposure", "max_group_risk_share", "max_margin_utilisation",
      ], "\(fields)")
  }

  @Test("instruments.yaml: group, margin per contract for futures and as a fraction of notional otherwise")
  func instruments() throws {
    let c = try InstrumentsFile.parse(
      """
      version: 1
      instruments:
        GC: {asset_class: future, multiplier: 100, initial_margin: 11000, maintenance_margin: 10000, group: metals}
        EURUSD: {asset_class: fx, initial_margin: 0.02}
        BTCPERP: {asset_class: crypto, initial_margin: 0.1, maintenance_margin: 0.05}
      """, path: "i.yaml")
    #expect(c.spec(for: "GC").margin == MarginTerms(basis: .perContract, initial: 11000, maintenance: 10000))
    #expect(c.spec(for: "GC").group == "metals")
    #expect(c.spec(for: "EURUSD").margin == MarginTerms(basis: .fractionOfNotional, initial: 0.02, maintenance: 0.02))
    #expect(c.spec(for: "BTCPERP").margin?.maintenance == 0.05)
    // Per unit: a contract × FX; a fraction × the notional of one unit.
    #expect(c.spec(for: "GC").margin?.perUnit(unitNotional: 250_000, fx: 1) == 11000)
    #expect(abs((c.spec(for: "EURUSD").margin?.perUnit(unitNotional: 1.1128, fx: 1) ?? 0) - 0.022256) < 1e-15)
    let fields = Set(
      errors(
        """
        version: 1
        instruments:
          A: {asset_class: fx, initial_margin: 2}
          B: {asset_class: future, initial_margin: 100, maintenance_margin: 200}
          C: {asset_class: future, maintenance_margin: 200}
          D: {asset_class: stock, group: "a+b"}
        """
      ) { _ = try InstrumentsFile.parse($0, path: "i.yaml") }.compactMap(\.field))
    #expect(
      fields == [
        "instruments.A.initial_margin", "instruments.B.maintenance_margin", "instruments.C.initial_margin", "instruments.D.group",
      ], "\(fields)")
  }

  @Test("account: margin_in_use states the broker's figures; maintenance above initial is an error")
  func account() throws {
    let base = """
      version: 1
      base_currency: USD
      as_of: 2024-08-21
      fx_quote: base-per-unit
      cash: {USD: 1000}

      """
    let a = try AccountFile.parse(
      base + "margin_in_use: {initial: 250, maintenance: 200}\n", path: "a.yaml", catalog: InstrumentCatalog()
    ).account
    #expect(a.statedMargin?.initial == 250 && a.statedMargin?.maintenance == 200)
    #expect(a.statedMargin?.source == "a.yaml, margin_in_use")
    let fields = Set(
      errors(base + "margin_in_use: {initial: 100, maintenance: 200, other: 1}\n") {
        _ = try AccountFile.parse($0, path: "a.yaml", catalog: InstrumentCatalog())
      }.compactMap(\.field))
    #expect(fields == ["margin_in_use.maintenance", "margin_in_use.other"], "\(fields)")
  }

  @Test("the broker's futures example: margin in use 220,000 SGD on 1,000 of equity, and what-if cuts it to the cap")
  func brokerFutures() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let market = try MarketInputs.load(market: root.appendingPathComponent("examples/market").path, instruments: nil)
    let a = try AccountFile.load(
      root.appendingPathComponent("examples/broker/futures.yaml").path, catalog: market.catalog
    ).account
    let v = try AccountValuer.value(a, market: market)
    let m = v.margin
    // SILmain 50 × 2,400 + IUmain 50 × 2,000 (initial); 50 × 2,200 + 50 × 1,800 (maintenance).
    #expect(m.inUse == 220_000 && m.maintenanceInUse == 200_000)
    #expect(m.excessLiquidity == 1_000 - 220_000 && m.maintenanceExcess == 1_000 - 200_000)
    #expect(m.utilisation == 220)
    // The normal profile caps initial margin at 25% of equity: 250 SGD, less than one contract.
    let regimes = try ProfileFile.loadDirectory(root.appendingPathComponent("profiles").path)
    let profile = try #require(regimes.profile("normal"))
    let book = Book(v)
    let breaches = LimitModel(profile).breaches(book: book, risk: nil)
    let margin = try #require(breaches.first { $0.limit == .marginUtilisation })
    #expect(margin.value == 220 && margin.cap == 0.25)
  }
}
