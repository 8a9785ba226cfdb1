import ArgumentParser
import Foundation
import RiskCore
import RiskIO

/// `advisor init [DIR]`: a workspace a trader fills in with their own book.
struct InitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init",
    abstract: "Create a workspace for your own book: advisor.yaml, an account and instruments template, a market-data folder.",
    discussion: """
      Writes, in DIR (default: the current directory), a commented advisor.yaml, account.yaml (cash only: \
      add your positions), market/instruments.yaml (describe what is not a US stock) and market/README.md \
      (the CSV format advisor reads), then says what to fill in. The built-in regime profiles are used until \
      you export your own (advisor profiles export profiles). An existing file is never overwritten.

      Example: advisor init mybook && cd mybook

      Exit codes: 0 the workspace was written; 2 a file could not be written (or already exists).
      """
  )

  @Argument(help: "The directory to create the workspace in (default: the current directory).")
  var directory: String = "."

  @Option(name: .customLong("base-currency"), help: "The account's base currency (ISO code).")
  var baseCurrency: String = "USD"

  func validate() throws {
    guard baseCurrency.count == 3, baseCurrency.allSatisfy({ $0.isUppercase && $0.isLetter }) else {
      throw ValidationError("--base-currency \(quoted(baseCurrency)) is not an ISO currency code such as USD or EUR.")
    }
  }

  func run() throws {
    try reportingErrors {
      let files = InitTemplates.files(baseCurrency: baseCurrency, today: today())
      for (path, _) in files {
        let full = (directory as NSString).appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: full) {
          throw CLIError("\(quoted(full, limit: 200)) already exists: advisor init never overwrites a file (choose another DIR).")
        }
      }
      try Output.createDirectory((directory as NSString).appendingPathComponent("market"))
      for (path, text) in files {
        try Output.createFile(text, at: (directory as NSString).appendingPathComponent(path))
      }
      let shown = directory == "." ? "this directory" : quoted(directory, limit: 200)
      try emit(
        """
        advisor init: wrote a workspace in \(shown):
          advisor.yaml              where everything is (commands run from this directory find it)
          account.yaml              your account: base currency \(baseCurrency), FX rates, cash, positions
          market/instruments.yaml   what is not a US stock in \(baseCurrency == "USD" ? "USD" : "the base currency"): asset class, currency, multiplier, lot size
          market/README.md          the CSV format: one file per instrument, Date,Open,High,Low,Close,Volume

        Fill in:
          1. market/: one CSV of daily bars per instrument you hold or trade (e.g. AAPL.csv), at least 253 rows.
          2. account.yaml: your cash, FX rates for every non-\(baseCurrency) currency, your positions.
          3. advisor.yaml: as_of, if your data does not end today.
        Then: advisor aum, advisor size --instrument AAPL, advisor check --instrument AAPL --side buy --quantity 10 --stop 200 --brief
        The regime profiles are built in (advisor profiles show normal); advisor profiles export profiles to edit your own.

        """)
    }
  }
}

/// The files `advisor init` writes.
enum InitTemplates {
  static func files(baseCurrency: String, today: Day) -> [(String, String)] {
    [
      ("advisor.yaml", config(today: today)), ("account.yaml", account(baseCurrency: baseCurrency, today: today)),
      ("market/instruments.yaml", instruments(baseCurrency: baseCurrency)), ("market/README.md", marketReadme),
    ]
  }

  static func config(today: Day) -> String {
    """
    # advisor workspace: where the inputs are (paths relative to this file). Every key but version is optional.
    version: 1
    market: market                     # a directory of CSV files (one per instrument), a CSV file, or a wide close-price panel
    instruments: market/instruments.yaml
    account: account.yaml
    # followers: followers.csv         # copy trading: follower_id,allocated_capital,currency[,is_lead]
    # profiles: profiles               # your own regime profiles (advisor profiles export profiles); default: built in
    # as_of: \(today)                # pin the valuation date; default: today (data older than 4 days fails the pre-trade check)

    """
  }

  static func account(baseCurrency: String, today: Day) -> String {
    """
    # Your account (format: advisor's README, "Account file"). Equity, not AUM, is the base for every limit.
    version: 1
    name: My account
    base_currency: \(baseCurrency)
    as_of: \(today)                      # when these holdings were taken
    fx_quote: base-per-unit              # 1 unit of the currency = rate × \(baseCurrency) (or units-per-base)
    fx: {}                               # e.g. {EUR: 1.11, JPY: 0.0069}: one rate for every currency you hold
    cash:
      \(baseCurrency): 100000
    max_price_age_days: 4                # a price from market data older than this is flagged stale
    positions: []
    # positions:
    #   - {symbol: AAPL, quantity: 100, average_cost: 180.25}        # a stock (priced from market/AAPL.csv)
    #   - {symbol: ES, quantity: 1, average_cost: 5400}               # a future: describe it in market/instruments.yaml
    #   - symbol: AAPL241220C00230000                                 # an option
    #     asset_class: option
    #     underlying: AAPL
    #     quantity: 2
    #     multiplier: 100
    #     price: 8.10
    #     delta: 0.45
    #     right: call
    #     strike: 230
    #     expiry: 2024-12-20

    """
  }

  static func instruments(baseCurrency: String) -> String {
    """
    # What advisor needs to know about an instrument beyond its prices (format: advisor's README,
    # "Instrument metadata"). An instrument not listed is a stock quoted in USD with lot size 1.
    version: 1
    instruments: {}
    # instruments:
    #   BTC: {asset_class: crypto, currency: USD, data_file: BTC-USD.csv, lot_size: 0.0001, volume_unit: quote}
    #   ES: {asset_class: future, currency: USD, multiplier: 50, tick_size: 0.25}
    #   EURUSD: {asset_class: fx, currency: USD, lot_size: 1000, data_file: EURUSD=X.csv}

    """
  }

  static let marketReadme = """
    # Market data

    One CSV file per instrument, named after its symbol (`AAPL.csv`; another name with `data_file` in
    `instruments.yaml`), with a header and one row per day, oldest or newest first:

        Date,Open,High,Low,Close,Volume
        2024-08-20,225.77,227.17,225.45,226.51,30299000

    - `Close` is the price advisor uses (never `Adj Close`); Open, High and Low give the ATR stop and the
      range estimators (a file with `Date,Close` only is sized with the σ stop rule).
    - Volume in units (shares, contracts); for Yahoo crypto files, whose volume is in USD, set
      `volume_unit: quote` in `instruments.yaml`.
    - At least 253 rows (252 returns) for the default covariance window; more for `--regime auto`
      (776 rows).
    - A row with a missing price (`null`, `NA`, empty) is dropped and reported; a duplicate date is an error.

    Yahoo Finance's "Historical data" download has this format as it is.

    """
}
