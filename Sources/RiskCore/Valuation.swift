/// How a position's exposure was measured.
public enum ExposureMethod: String, Sendable, Hashable {
  /// price × quantity × multiplier (× FX).
  case notional
  /// Options with a delta: delta × quantity × multiplier × underlying price (× FX).
  case deltaAdjusted = "delta-adjusted"
  /// Options without a delta: the premium's market value (understates the risk; flagged).
  case premium
}

/// Which broker AUM bucket a position falls in (`../seeds` AUM rules).
public enum AUMBucket: String, Sendable, Hashable {
  case securities, futures
}

/// One position valued at the as-of date, every figure in the base currency unless named `local`.
public struct PositionValuation: Sendable {
  public let position: Position
  public let price: Double
  public let priceSource: PriceSource
  /// Calendar days between the price's date and the as-of date (0 for prices given in the account).
  public let priceAgeDays: Int
  /// Base per unit of the position's currency.
  public let fxRate: Double
  /// Signed: price × quantity × multiplier (or face/100 for bonds), in the position's currency.
  public let marketValueLocal: Double
  /// Signed, base currency.
  public let marketValue: Double
  public let bucket: AUMBucket
  /// |market value| (futures: 0 when the closing price is below 0), base currency.
  public let aum: Double
  /// Signed exposure, base currency.
  public let exposure: Double
  public let exposureMethod: ExposureMethod
  /// Unrealised P&L (base) when the average cost is known.
  public let unrealizedPnL: Double?
  /// What the position adds to equity: market value, or unrealised P&L for margined positions.
  public let equityContribution: Double
  public let notes: [String]
  /// Initial and maintenance margin of the position, base currency (nil: no margin terms).
  public var initialMargin: Double? = nil
  public var maintenanceMargin: Double? = nil
  /// The margin terms used.
  public var marginTerms: MarginTerms? = nil
  /// The hand-given group of the instrument its risk is measured on (instruments.yaml `group`).
  public var group: String? = nil
}

/// A cash balance converted to the base currency.
public struct CashValuation: Sendable, Hashable {
  public let currency: String
  public let amount: Double
  public let fxRate: Double
  public let value: Double
}

/// Gross and net exposure of a group (asset class or currency).
public struct ExposureGroup: Sendable, Hashable {
  public let key: String
  public var gross: Double = 0
  public var net: Double = 0
  public var aum: Double = 0
  public var positions: Int = 0
}

/// The account's AUM, equity and exposure at its as-of date.
public struct AccountValuation: Sendable {
  public let account: Account
  public let positions: [PositionValuation]
  public let cash: [CashValuation]
  /// Σ AUM of non-futures positions.
  public let securitiesAUM: Double
  /// Σ AUM of futures positions.
  public let futuresAUM: Double
  /// Σ cash in base currency (the daily balance; may be negative).
  public let cashTotal: Double
  /// securities + futures + cash.
  public let totalAUM: Double
  /// Net liquidation value: cash + long − short market value, margined positions by unrealised P&L.
  public let equity: Double
  public let grossExposure: Double
  public let netExposure: Double
  /// gross exposure / equity; nil when equity ≤ 0.
  public let leverage: Double?
  public let netLeverage: Double?
  public let byClass: [ExposureGroup]
  public let byCurrency: [ExposureGroup]
  /// Every currency's rate used, sorted by currency.
  public let fxUsed: [(currency: String, rate: Double)]
  public let diagnostics: [Diagnostic]
  public var warnings: [String] { diagnostics.messages }
  /// Margin in use and what is left (``MarginSummary``).
  public var margin: MarginSummary {
    var without: [String] = []
    for p in positions where p.position.isMargined && p.initialMargin == nil { without.append(p.position.symbol) }
    return MarginSummary(
      modelInitial: positions.reduce(0) { $0 + ($1.initialMargin ?? 0) },
      modelMaintenance: positions.reduce(0) { $0 + ($1.maintenanceMargin ?? 0) }, stated: account.statedMargin,
      equity: equity, withoutTerms: without)
  }
}

/// Values an account: prices (given, or the last close from the market data),
/// FX conversion, AUM by the broker's rules, equity and exposure.
public enum AccountValuer {
  /// - Parameters:
  ///   - market: used for positions without a price, and option underlyings.
  ///   - maxPriceAgeDays: a market-data price older than this at the as-of date is flagged stale.
  /// - Throws: ``InputErrors`` listing every position that cannot be valued (no price, no FX rate, …).
  public static func value(_ account: Account, market: MarketData?, maxPriceAgeDays: Int = 4) throws -> AccountValuation {
    var problems: [InputError] = []
    var warnings: [Diagnostic] = []
    var valued: [PositionValuation] = []
    let fx = account.fx

    for p in account.positions {
      var notes: [String] = []
      guard let rate = fx.rate(p.currency) else {
        problems.append(
          InputError(
            .missingKey, path: p.source, line: p.line, field: "\(p.symbol).currency",
            "no FX rate for \(p.currency); add \(p.currency) to fx (value of 1 \(p.currency) in \(account.baseCurrency))."))
        continue
      }
      // Price: given, else the last close on or before the as-of date.
      var price: Double
      var source: PriceSource
      var age = 0
      if let given = p.price {
        price = given
        source = .account(path: p.source, line: p.line)
      } else if let (close, day, h, line) = lastClose(market, p.symbol, on: account.asOf) {
        price = close
        source = .marketData(path: h, day: day, line: line)
        age = account.asOf - day
        notes.append("price from market data: \(source)")
        if age > maxPriceAgeDays {
          warnings.append(
            Diagnostic(
              .stalePrice, subject: p.symbol,
              "\(p.symbol): the last close is \(age) days old at \(account.asOf) (\(day)); stale beyond \(maxPriceAgeDays) days.")
          )
        }
      } else {
        problems.append(
          InputError(
            .missingKey, path: p.source, line: p.line, field: "\(p.symbol).price",
            "no price given and no close on or before \(account.asOf) in the market data; add price: or market data for \(p.symbol)."
          ))
        continue
      }
      guard price.isFinite else {
        problems.append(
          InputError(.nonFinite, path: p.source, line: p.line, field: "\(p.symbol).price", "the price is not finite."))
        continue
      }
      if price <= 0 && p.assetClass != .future && p.assetClass != .cfd && p.assetClass != .option {
        problems.append(
          InputError(
            .nonPositivePrice, path: p.source, line: p.line, field: "\(p.symbol).price", "price \(price) is not positive."))
        continue
      }
      let perPoint = p.valuePerPricePoint
      let mvLocal = price * p.quantity * perPoint
      let mv = mvLocal * rate
      let bucket: AUMBucket = p.assetClass == .future ? .futures : .securities
      var aum = abs(mv)
      if p.assetClass == .future && price < 0 {
        aum = 0
        notes.append("closing price \(price) is below 0: futures AUM deemed 0 (broker rule)")
      }
      // Exposure.
      var exposure = mv
      var method = ExposureMethod.notional
      if p.assetClass == .option {
        if let delta = p.delta {
          let up: Double?
          if let u = p.underlyingPrice {
            up = u
          } else if let u = p.underlying, let (close, _, _, _) = lastClose(market, u, on: account.asOf) {
            up = close
          } else {
            up = nil
          }
          if let up {
            exposure = delta * p.quantity * p.multiplier * up * rate
            method = .deltaAdjusted
          } else {
            method = .premium
            warnings.append(
              Diagnostic(
                .optionPremiumExposure, subject: p.symbol,
                "\(p.symbol): delta given but no underlying price (underlying_price or market data for \(p.underlying ?? "?")); exposure is the premium value."
              ))
          }
        } else {
          method = .premium
          warnings.append(
            Diagnostic(
              .optionPremiumExposure, subject: p.symbol,
              "\(p.symbol): option without a delta; exposure is its premium value, which understates the risk."))
        }
      }
      // Equity contribution and unrealised P&L.
      var pnl: Double? = nil
      if let cost = p.averageCost {
        pnl = (price - cost) * p.quantity * perPoint * rate
      }
      var equity = mv
      if p.isMargined {
        if let pnl {
          equity = pnl
        } else {
          equity = 0
          warnings.append(
            Diagnostic(
              .unknownAverageCost, subject: p.symbol,
              "\(p.symbol): \(p.assetClass.rawValue) position without average_cost: its unrealised P&L is unknown and counted as 0 in equity."
            ))
        }
      }
      var v = PositionValuation(
        position: p, price: price, priceSource: source, priceAgeDays: age, fxRate: rate, marketValueLocal: mvLocal,
        marketValue: mv, bucket: bucket, aum: aum, exposure: exposure, exposureMethod: method, unrealizedPnL: pnl,
        equityContribution: equity, notes: notes)
      if let catalog = market?.catalog {
        // Options are paid in full (no margin); everything else by its instrument's terms.
        if p.assetClass != .option, let terms = catalog.spec(for: p.symbol).margin {
          let unitNotional = price * perPoint * rate
          v.marginTerms = terms
          v.initialMargin = abs(p.quantity) * terms.perUnit(unitNotional: unitNotional, fx: rate)
          v.maintenanceMargin = abs(p.quantity) * terms.perUnit(maintenance: true, unitNotional: unitNotional, fx: rate)
        }
        v.group = catalog.spec(for: p.assetClass == .option ? (p.underlying ?? p.symbol) : p.symbol).group
      }
      valued.append(v)
    }

    var cash: [CashValuation] = []
    for (currency, amount) in account.cash.sorted(by: { $0.key < $1.key }) {
      guard let rate = fx.rate(currency) else {
        problems.append(
          InputError(
            .missingKey, path: account.source, field: "cash.\(currency)",
            "no FX rate for \(currency); add \(currency) to fx (value of 1 \(currency) in \(account.baseCurrency))."))
        continue
      }
      cash.append(CashValuation(currency: currency, amount: amount, fxRate: rate, value: amount * rate))
    }
    if problems.count == 1 { throw problems[0] }
    if !problems.isEmpty { throw InputErrors(problems) }

    let securities = valued.filter { $0.bucket == .securities }.reduce(0) { $0 + $1.aum }
    let futures = valued.filter { $0.bucket == .futures }.reduce(0) { $0 + $1.aum }
    let cashTotal = cash.reduce(0) { $0 + $1.value }
    let equity = cashTotal + valued.reduce(0) { $0 + $1.equityContribution }
    let gross = valued.reduce(0) { $0 + abs($1.exposure) }
    let net = valued.reduce(0) { $0 + $1.exposure }
    if equity <= 0 {
      warnings.append(
        Diagnostic(
          .equityNotPositive,
          "equity is \(equity) \(account.baseCurrency): not positive, so leverage is undefined and no risk budget can be set."))
    }

    var classes: [String: ExposureGroup] = [:]
    var currencies: [String: ExposureGroup] = [:]
    for v in valued {
      let c = v.position.assetClass.rawValue
      classes[c, default: ExposureGroup(key: c)].gross += abs(v.exposure)
      classes[c, default: ExposureGroup(key: c)].net += v.exposure
      classes[c, default: ExposureGroup(key: c)].aum += v.aum
      classes[c, default: ExposureGroup(key: c)].positions += 1
      // An FX pair is long its base currency and short its quote currency; anything else is in its own currency.
      let (k, funding) = Self.currencyLegs(v.position)
      currencies[k, default: ExposureGroup(key: k)].gross += abs(v.exposure)
      currencies[k, default: ExposureGroup(key: k)].net += v.exposure
      currencies[k, default: ExposureGroup(key: k)].aum += v.aum
      currencies[k, default: ExposureGroup(key: k)].positions += 1
      if let f = funding, f != account.baseCurrency {
        currencies[f, default: ExposureGroup(key: f)].gross += abs(v.exposure)
        currencies[f, default: ExposureGroup(key: f)].net -= v.exposure
      }
    }
    for c in cash {
      currencies[c.currency, default: ExposureGroup(key: c.currency)].aum += c.value
      // Cash in a foreign currency is an exposure to that currency.
      if c.currency != account.baseCurrency {
        currencies[c.currency, default: ExposureGroup(key: c.currency)].gross += abs(c.value)
        currencies[c.currency, default: ExposureGroup(key: c.currency)].net += c.value
      }
    }
    var used = Set(valued.map(\.position.currency))
    used.formUnion(cash.map(\.currency))
    let fxUsed = used.sorted().compactMap { c in fx.rate(c).map { (currency: c, rate: $0) } }

    return AccountValuation(
      account: account, positions: valued, cash: cash, securitiesAUM: securities, futuresAUM: futures,
      cashTotal: cashTotal, totalAUM: securities + futures + cashTotal, equity: equity, grossExposure: gross,
      netExposure: net, leverage: equity > 0 ? gross / equity : nil, netLeverage: equity > 0 ? net / equity : nil,
      byClass: classes.values.sorted { $0.key < $1.key }, byCurrency: currencies.values.sorted { $0.key < $1.key },
      fxUsed: fxUsed, diagnostics: warnings)
  }

  /// The currency a position's price risk is in, and for an FX pair the currency it is funded in.
  ///
  /// An FX position whose symbol is six letters ending in its quote currency (EURUSD
  /// quoted in USD) is long the first three (EUR) and short the quote currency (USD);
  /// every other position is exposed to the currency it is priced in.
  public static func currencyLegs(_ p: Position) -> (currency: String, funding: String?) {
    let s = p.symbol.uppercased()
    guard p.assetClass == .fx, s.count == 6, s.allSatisfy({ $0.isLetter }), s.hasSuffix(p.currency.uppercased()) else {
      return (p.currency, nil)
    }
    return (String(s.prefix(3)), p.currency)
  }

  /// The last close on or before `day`: (close, its day, file, line).
  static func lastClose(_ market: MarketData?, _ symbol: String, on day: Day) -> (Double, Day, String, Int)? {
    guard let h = market?[symbol] else { return nil }
    var lo = 0
    var hi = h.days.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if h.days[mid] <= day { lo = mid + 1 } else { hi = mid }
    }
    guard lo > 0 else { return nil }
    let i = lo - 1
    return (h.close[i], h.days[i], h.source.path, h.lines[i])
  }
}

/// A copy-trading strategy's AUM: the sum of follower allocations, with the
/// lead's own capital counted only when asked (platforms differ).
public struct CopyTradingAUM: Sendable {
  public struct Line: Sendable, Hashable {
    public let follower: Follower
    public let fxRate: Double
    public let value: Double
    /// Share of the strategy AUM (0 for the lead when not counted).
    public let share: Double
    public let counted: Bool
  }
  public let lines: [Line]
  public let followersTotal: Double
  public let leadCapital: Double
  public let includesLead: Bool
  public let total: Double
  public let baseCurrency: String

  /// - Throws: ``InputErrors`` for allocations that are not positive or have no FX rate.
  public static func compute(_ followers: [Follower], fx: FXRates, includeLead: Bool, source: String) throws -> CopyTradingAUM {
    var problems: [InputError] = []
    var seen: [String: Int?] = [:]
    var values: [(Follower, Double, Double)] = []
    for f in followers {
      if let other = seen[f.id] {
        problems.append(
          InputError(
            .duplicateInstrument, path: source, line: f.line, field: "follower_id",
            "follower '\(f.id)' appears twice\(other.map { ", also on line \($0)" } ?? ""); give one row per follower."))
      }
      seen[f.id] = f.line
      guard f.allocation > 0, f.allocation.isFinite else {
        problems.append(
          InputError(
            .invalidValue, path: source, line: f.line, field: "allocated_capital", "\(f.allocation) is not a positive amount."))
        continue
      }
      guard let r = fx.rate(f.currency) else {
        problems.append(
          InputError(.missingKey, path: source, line: f.line, field: "currency", "no FX rate for \(f.currency) into \(fx.base)."))
        continue
      }
      values.append((f, r, f.allocation * r))
    }
    if problems.count == 1 { throw problems[0] }
    if !problems.isEmpty { throw InputErrors(problems) }
    let followersTotal = values.filter { !$0.0.isLead }.reduce(0) { $0 + $1.2 }
    let lead = values.filter { $0.0.isLead }.reduce(0) { $0 + $1.2 }
    let total = followersTotal + (includeLead ? lead : 0)
    let lines = values.map { f, r, v in
      let counted = !f.isLead || includeLead
      return Line(follower: f, fxRate: r, value: v, share: counted && total > 0 ? v / total : 0, counted: counted)
    }
    return CopyTradingAUM(
      lines: lines, followersTotal: followersTotal, leadCapital: lead, includesLead: includeLead, total: total,
      baseCurrency: fx.base)
  }
}
