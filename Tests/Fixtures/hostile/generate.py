#!/usr/bin/env python3
"""Writes the hostile corpus (issue 14): the input files and manifest.json.

Run from the repository root: python3 Tests/Fixtures/hostile/generate.py
Each case: the advisor arguments, the expected exit code, and a text stderr must contain (the
source: file + line/key, or the flag). Special files (FIFO, symlink loop, /dev/full) are made by
the test at run time (`special`). `knownIssue` marks a case the lead implements elsewhere.
"""
import json, os, shutil

H = "Tests/Fixtures/hostile"
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
for d in ["files", "profiles"]:
    shutil.rmtree(f"{H}/{d}", ignore_errors=True)
os.makedirs(f"{H}/files")
cases = []

def w(name, text, binary=False):
    path = f"{H}/files/{name}"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(text if binary else text.encode("utf-8"))
    return path

def case(name, cls, args, status, stderr=None, stdin=None, special=None, known=None, stdout_has=None):
    c = {"name": name, "class": cls, "args": args, "status": status}
    if stderr is not None: c["stderr"] = stderr
    if stdin: c["stdin"] = stdin
    if special: c["special"] = special
    if known: c["knownIssue"] = known
    if stdout_has: c["stdout"] = stdout_has
    cases.append(c)

# ---------- class 1: numbers out of range, in every format ----------
inst_base = open("examples/market/instruments.yaml").read()
for key, bad in [("lot_size", "5e-324"), ("lot_size", "1e308"), ("multiplier", "1e308"), ("multiplier", "0"),
                 ("tick_size", "5e-324"), ("lot_size", ".inf"), ("lot_size", "0x10"), ("multiplier", "-1")]:
    import re
    if re.search(rf"^    {key}: .*$", inst_base.split("ETH")[0], re.M) and key != "lot_size":
        text = re.sub(rf"^    {key}: .*$", f"    {key}: {bad}", inst_base, count=1, flags=re.M)
    else:
        text = inst_base.replace("    lot_size: 0.0001", f"    {key}: {bad}" if key == "lot_size" else f"    lot_size: 0.0001\n    {key}: {bad}", 1)
    p = w(f"instruments_{key}_{bad.replace('.', '_')}.yaml", text)
    case(f"instruments {key} {bad}", 1, ["size", "--instrument", "BTC", "--instruments-file", p], 2, f"{p} line")
p = w("instruments_periods_0.yaml", inst_base.replace("    lot_size: 0.0001", "    lot_size: 0.0001\n    periods_per_year: 0", 1))
case("instruments periods_per_year 0", 1, ["risk", "--instruments-file", p], 2, "periods_per_year")

acct = """version: 1
name: hostile
base_currency: USD
as_of: 2024-08-21
fx_quote: {quote}
fx: {{EUR: {eur}}}
cash: {{USD: {cash}, EUR: 1000}}
positions:
  - {{symbol: AAPL, quantity: {qty}{extra}}}
"""
def account(name, quote="base-per-unit", eur="1.1", cash="100000", qty="10", extra=""):
    return w(name, acct.format(quote=quote, eur=eur, cash=cash, qty=qty, extra=extra))
ok_account = account("account_ok.yaml")
case("valid small account", 0, ["aum", "--account", ok_account], 0)
for label, kw, field in [
    ("cash 1e308", dict(cash="1e308"), "cash.USD"), ("cash 1e16", dict(cash="1e16"), "cash.USD"),
    ("cash denormal", dict(cash="5e-324"), "cash.USD"), ("cash nan", dict(cash=".nan"), "cash.USD"),
    ("fx units-per-base 5e-324", dict(quote="units-per-base", eur="5e-324"), "fx.EUR"),
    ("fx 1e308", dict(eur="1e308"), "fx.EUR"), ("fx 0", dict(eur="0"), "fx.EUR"),
    ("quantity 1e300", dict(qty="1e300"), "quantity"), ("quantity denormal", dict(qty="5e-324"), "quantity"),
    ("quantity 50000 digits", dict(qty="1" * 50000), "quantity"),
    ("price 1e300", dict(extra=", price: 1e300"), "price"), ("price -5", dict(extra=", price: -5"), "price"),
    ("multiplier 1e10", dict(extra=", multiplier: 1e10"), "multiplier"),
    ("multiplier 0", dict(extra=", multiplier: 0"), "multiplier"),
    ("delta 7.5", dict(extra=", delta: 7.5"), "delta"), ("average_cost 1e300", dict(extra=", average_cost: 1e300"), "average_cost"),
    ("face_value denormal", dict(extra=", asset_class: bond, face_value: 5e-324, price: 99"), "face_value"),
    ("underlying_price negative", dict(extra=", underlying_price: -3"), "underlying_price"),
]:
    p = account(f"account_{label.replace(' ', '_')}.yaml", **kw)
    case(f"account {label}", 1, ["aum", "--account", p], 2, f"{p} line")
p = w("account_max_age.yaml", acct.format(quote="base-per-unit", eur="1.1", cash="1", qty="1", extra="") + "max_price_age_days: 99999999999999999999\n")
case("account max_price_age_days huge", 1, ["aum", "--account", p], 2, "max_price_age_days")

fol = "follower_id,allocated_capital,currency,is_lead\n"
for label, rows, field in [
    ("allocation 1e308", "a,1e308,USD,false\n", "allocated_capital"), ("allocation inf", "a,inf,USD,false\n", "allocated_capital"),
    ("allocation nan", "a,nan,USD,false\n", "allocated_capital"), ("allocation negative", "a,-5,USD,false\n", "allocated_capital"),
    ("allocations overflow the sum", "a,9e14,USD,false\nb,9e14,USD,false\n", "allocated_capital"),
    ("allocation 50000 digits", "a," + "9" * 50000 + ",USD,false\n", "too long"),
]:
    p = w(f"followers_{label.replace(' ', '_')}.csv", fol + rows)
    case(f"followers {label}", 1, ["aum", "--followers", p], 2, p)

for flag, value in [("--deposit", "inf"), ("--deposit", "1e300"), ("--deposit", "nan"), ("--withdraw", "150%"), ("--withdraw", "1e20"),
                    ("--followers-join", "nan"), ("--followers-join", "1e300"), ("--followers-leave", "inf"),
                    ("--slippage-budget-bps", "inf"), ("--slippage-budget-bps", "0"), ("--lead-fraction", "0"),
                    ("--lead-fraction", "5e-324"), ("--vol-multiplier", "0"), ("--vol-multiplier", "inf"),
                    ("--correlation-weight", "nan"), ("--shock", "BTC=1e300%"), ("--shock", "BTC=-100%"), ("--shock", "BTC=nan%"),
                    ("--worst-days", "0"), ("--worst-days", "9223372036854775807")]:
    extra = ["--capacity", "ETH"] if flag in ("--slippage-budget-bps", "--lead-fraction") else []
    case(f"whatif {flag} {value}", 1, ["whatif", f"{flag}={value}"] + extra, 2, flag)
for flag, value in [("--entry", "0"), ("--entry", "inf"), ("--entry", "1e300"), ("--entry", "5e-324"), ("--stop", "nan"), ("--stop", "1e300")]:
    # --stop nan was already a usage error (exit 64, ArgumentParser's validate)
    case(f"size {flag} {value}", 1, ["size", "--instrument", "BTC", f"{flag}={value}"], 64 if value == "nan" else 2, flag)
for flag, value in [("--quantity", "inf"), ("--quantity", "1e300"), ("--price", "nan"), ("--stop", "-inf")]:
    case(f"check {flag} {value}", 1, ["check", "--instrument", "BTC", "--side", "buy", "--quantity", "1", f"{flag}={value}"] if flag != "--quantity" else ["check", "--instrument", "BTC", "--side", "buy", f"{flag}={value}"], 2, flag)
for args, flag in [(["risk", "--lambda=5e-324"], "--lambda"), (["risk", "--periods-per-year", "0"], "--periods-per-year"),
                   (["budget", "--budget", "AAPL=5e-324"], "--budget"), (["budget", "--budget", "AAPL=inf"], "--budget"),
                   (["budget", "--budget", "AAPL=1e300"], "--budget"), (["budget", "--lambda=1"], "--lambda")]:
    status = 64 if flag == "--periods-per-year" or args == ["budget", "--lambda=1"] else 2  # the (0, 1) check predates issue 14
    case(" ".join(args), 1, args, status, flag)

def profiles(name, edit_file, old, new):
    d = f"{H}/files/profiles_{name}"
    shutil.copytree("profiles", d)
    p = f"{d}/{edit_file}"
    text = open(p).read()
    assert old in text, (name, old)
    open(p, "w").write(text.replace(old, new, 1))
    return d, p
for name, old, new, field in [("impact0", "impact_coefficient: 1.0", "impact_coefficient: 0", "liquidity.impact_coefficient"),
                              ("stop_tiny", "multiple: 2.5", "multiple: 1e-300", "stop.multiple"),
                              ("risk_denormal", "risk_per_trade: 0.0075", "risk_per_trade: 5e-324", "risk_per_trade"),
                              ("lambda1", "lambda: 0.94", "lambda: 1", "lambda")]:
    d, p = profiles(name, "normal.yaml", old, new)
    case(f"profile {name}", 1, ["size", "--instrument", "BTC", "--profiles", d], 2, f"{p} line")

scen = """version: 1
name: hostile
{body}
"""
def scenario(name, body):
    return w(f"scenario_{name}.yaml", scen.format(body=body))
for name, body, field in [("shock_huge", "shocks: {BTC: 1e300%}", "shocks.BTC"), ("shock_minus100", "shocks: {BTC: -100%}", "shocks.BTC"),
                          ("withdraw150", "flows:\n  - {withdraw: 150%}", "flows[0].withdraw"),
                          ("withdraw_money_huge", "flows:\n  - {withdraw: 1e300}", "flows[0].withdraw"),
                          ("withdraw_above_equity", "flows:\n  - {withdraw: 900000000000}", "flows[0].withdraw"),
                          ("join_huge", "copy_trading: {followers_join: 1e308}", "copy_trading.followers_join"),
                          ("bps0", "copy_trading:\n  capacity: {instrument: ETH, lead_trade_fraction: 0.05, slippage_budget_bps: 0}", "slippage_budget_bps"),
                          ("order_qty_denormal", "orders:\n  - {instrument: BTC, side: buy, quantity: 5e-324}", "orders[0].quantity"),
                          ("volmult_zero", "volatility_multiplier: 0", "volatility_multiplier")]:
    p = scenario(name, body)
    case(f"scenario {name}", 1, ["whatif", "--scenario", p], 2, f"{p} line")

# ---------- class 2: OHLC that contradicts itself ----------
aapl = open("examples/market/AAPL.csv").read().splitlines()[:320]
def market_file(name, mutate):
    lines = list(aapl)
    mutate(lines)
    return w(f"market/{name}/AAPL.csv", "\n".join(lines) + "\n")
def swap_high_low(lines):
    for i in range(1, 151):
        f = lines[i].split(","); f[2], f[3] = f[3], f[2]; lines[i] = ",".join(f)
def close_500(lines):
    f = lines[-1].split(","); f[4] = "500"; lines[-1] = ",".join(f)
def open_neg(lines):
    f = lines[10].split(","); f[1] = "0.0001"; lines[10] = ",".join(f)
for name, m, field in [("high_below_low", swap_high_low, "Low"), ("close_outside", close_500, "Close"), ("open_outside", open_neg, "Open")]:
    p = market_file(name, m)
    case(f"market {name}", 2, ["risk", "--market", p, "--vol-estimator", "parkinson"], 2, f"{p} line")
for name, value, field in [("price_1e300", "1e300", "Close"), ("price_denormal", "5e-324", "Close"), ("volume_1e300", "1e300", "Volume"),
                           ("price_50000_digits", "1" * 50000, "too long")]:
    def m(lines, value=value, field=field):
        f = lines[5].split(",")
        if field == "Volume": f[6] = value
        else: f[1] = f[2] = f[3] = f[4] = value
        lines[5] = ",".join(f)
    p = market_file(name, m)
    case(f"market {name}", 1, ["risk", "--market", p], 2, f"{p} line")

# ---------- class 3: holdings and followers bypassing the checks ----------
hold = "symbol,asset_class,quantity,currency,price,multiplier,face_value,underlying,underlying_price,delta,average_cost\n"
for name, row, field in [("multiplier_neg", "GC,future,1,USD,2500,-1000,,,,,2400", "multiplier"), ("multiplier_zero", "GC,future,1,USD,2500,0,,,,,2400", "multiplier"),
                         ("delta_7_5", "OPT1,option,1,USD,5,100,,AAPL,,7.5,", "delta"), ("face_zero", "B1,bond,10,USD,99,,0,,,,", "face_value"),
                         ("underlying_negative", "OPT1,option,1,USD,5,100,,AAPL,-50,0.5,", "underlying_price"),
                         ("quantity_1e300", "MSFT,stock,1e300,USD,,,,,,,", "quantity"), ("price_inf", "MSFT,stock,1,USD,inf,,,,,,", "price"),
                         ("duplicate_rows", "MSFT,stock,1,USD,,,,,,,\nMSFT,stock,2,USD,,,,,,,", "MSFT"),
                         ("held_by_account", "AAPL,stock,5,USD,,,,,,,", "AAPL"), ("cash_1e300", "CASH,cash,1e300,USD,,,,,,,", "quantity"),
                         ("bad_currency", "MSFT,stock,1,usd\x1b[31m,,,,,,,", "currency")]:
    p = w(f"holdings_{name}.csv", hold + row + "\n")
    case(f"holdings {name}", 3, ["aum", "--account", ok_account, "--holdings", p], 2, p)
    if name == "multiplier_neg":
        d = f"{H}/files/account_positions_file"
        os.makedirs(d, exist_ok=True)
        shutil.copy(p, f"{d}/h.csv")
        open(f"{d}/account.yaml", "w").write(acct.format(quote="base-per-unit", eur="1.1", cash="1", qty="1", extra="") + "positions_file: h.csv\n")
        case("positions_file multiplier -1000", 3, ["aum", "--account", f"{d}/account.yaml"], 2, f"{d}/h.csv")
for name, rows, field in [("empty_id", ",100,USD,false\n", "follower_id"), ("two_leads", "a,100,USD,true\nb,100,USD,true\n", "is_lead"),
                          ("duplicate_id", "a,100,USD,false\na,200,USD,false\n", "follower_id"), ("bad_currency", "a,100,US,false\n", "currency")]:
    p = w(f"followers_{name}.csv", fol + rows)
    case(f"followers {name}", 3, ["aum", "--followers", p], 2, p)

# ---------- class 4: writes ----------
s_ok = "examples/scenarios/crypto-crash.yaml"
for target in ["examples/account.yaml", "advisor.yaml", s_ok, "examples/market/BTC-USD.csv", "profiles/normal.yaml", "./examples//account.yaml"]:
    case(f"whatif --output {target}", 4, ["whatif", "--scenario", s_ok, "--output", target], 2, "--output")
case("whatif --output /dev/full", 4, ["whatif", "--scenario", s_ok, "--output", "/dev/full"], 2, "--output")
case("whatif --output a hard link to the account", 4, ["whatif", "--scenario", s_ok, "--output", "$TMP/hardlink.yaml"], 2, "--output", special="hardlink-account")
case("whatif --output a symlink to the account", 4, ["whatif", "--scenario", s_ok, "--output", "$TMP/symlink.yaml"], 2, "--output", special="symlink-account")
case("whatif --output a directory", 4, ["whatif", "--scenario", s_ok, "--output", "$TMP"], 2, "--output", special="tmpdir")
case("whatif --output a new file", 4, ["whatif", "--scenario", s_ok, "--output", "$TMP/report.txt"], 0, special="tmpdir", stdout_has="wrote")
for cmd in [["risk"], ["aum"], ["size", "--instrument", "BTC"], ["budget"], ["check", "--instrument", "BTC", "--side", "buy", "--quantity", "0.01", "--stop", "52000"], ["whatif", "--scenario", s_ok]]:
    case(f"{cmd[0]} > /dev/full", 4, cmd, 2, "standard output", special="stdout-devfull")
    case(f"{cmd[0]} | closed pipe", 4, cmd, 2, "standard output", special="stdout-closed-pipe")
# A batch's JSON Lines not journaled are written by a second thread (BatchLinesWriter): its
# failed write must still reach the exit code.
batch = ["check", "--orders", "Tests/Fixtures/orders/all_codes.csv", "--format", "json", "--no-journal"]
case("check batch JSON Lines > /dev/full", 4, batch, 2, "standard output", special="stdout-devfull")
case("check batch JSON Lines | closed pipe", 4, batch, 2, "standard output", special="stdout-closed-pipe")

# ---------- class 5: crashes ----------
for name, old, new in [("order_short", "order: [calm, normal, volatile, crisis]\nupper_percentiles: [0.25, 0.75, 0.95]", "order: [calm, normal]"),
                       ("bounds_long", "upper_percentiles: [0.25, 0.75, 0.95]", "upper_percentiles: [0.1, 0.25, 0.75, 0.95]"),
                       ("bounds_decreasing", "upper_percentiles: [0.25, 0.75, 0.95]", "upper_percentiles: [0.75, 0.25, 0.95]"),
                       ("bounds_outside", "upper_percentiles: [0.25, 0.75, 0.95]", "upper_percentiles: [0.25, 0.75, 1.5]"),
                       ("order_duplicate", "order: [calm, normal, volatile, crisis]", "order: [calm, calm, volatile, crisis]"),
                       ("order_empty", "order: [calm, normal, volatile, crisis]\nupper_percentiles: [0.25, 0.75, 0.95]", "order: []\nupper_percentiles: []")]:
    d, p = profiles(f"auto_{name}", "auto.yaml", old, new)
    case(f"auto.yaml {name} (size)", 5, ["size", "--instrument", "BTC", "--regime", "auto", "--profiles", d], 2, p)
    if name == "order_short":
        case(f"auto.yaml {name} (check)", 5, ["check", "--instrument", "BTC", "--side", "buy", "--quantity", "0.01", "--stop", "52000", "--regime", "auto", "--profiles", d], 2, p)
for args in [["risk", "--lookback", "9223372036854775807"], ["budget", "--lookback", "9223372036854775807"], ["risk", "--atr-period", "9223372036854775807"],
             ["budget", "--instruments", "BTC,ETH", "--lookback", "9223372036854775807"], ["risk", "--lookback", "-9223372036854775808"]]:
    case(" ".join(args), 5, args, 64 if args[-1].startswith("-") else 2, args[-2])  # below 2: the usage check that predates issue 14

# ---------- class 6: special files ----------
case("FIFO named *.csv in the market directory", 6, ["risk", "--market", "$TMP"], 0, special="fifo-in-market-dir", stdout_has="BTC")
case("FIFO given as the market file", 6, ["risk", "--market", "$TMP/fifo.csv"], 2, "not a regular file", special="fifo-file")
case("FIFO given as the account", 6, ["aum", "--account", "$TMP/fifo.csv"], 2, "not a regular file", special="fifo-file")
case("FIFO given as the orders", 6, ["check", "--orders", "$TMP/fifo.csv"], 2, "not a regular file", special="fifo-file")
case("directory given as the account", 6, ["aum", "--account", "examples"], 2, "not a regular file")
case("/dev/zero as the account", 6, ["aum", "--account", "/dev/zero"], 2, "not a regular file")
case("/dev/zero as holdings", 6, ["aum", "--holdings", "/dev/zero"], 2, "not a regular file")
case("/dev/urandom as scenario", 6, ["whatif", "--scenario", "/dev/urandom"], 2, "not a regular file")

# ---------- class 7: messages that do not say where ----------
for name, body, field in [("unknown_instrument", "shocks: {BTX: -30%}", "shocks.BTX"), ("reversed_replay", "replay: {from: 2020-03-23, to: 2020-03-09}", "replay.to"),
                          ("unknown_regime", "regime: panic", "regime"), ("unknown_base_regime", "base_regime: panic\nshocks: {BTC: -1%}", "base_regime"),
                          ("capacity_unknown", "copy_trading:\n  capacity: {instrument: XYZ, lead_trade_fraction: 0.05, slippage_budget_bps: 25}", "copy_trading.capacity.instrument"),
                          ("replay_outside", "replay: {from: 1990-01-01, to: 1990-02-01}", "replay")]:
    p = scenario(name, body)
    case(f"scenario {name}", 7, ["whatif", "--scenario", p], 2, f"{p} line")
case("--to-regime unknown", 7, ["whatif", "--to-regime", "panic"], 64, "--to-regime")  # a flag: a usage error (issue 15)
case("--capacity unknown", 7, ["whatif", "--capacity", "XYZ"], 2, "--capacity")
case("--replay reversed", 7, ["whatif", "--replay", "2020-03-23:2020-03-09"], 2, "--replay")
p = w("budgets_denormal.yaml", "version: 1\nbudgets:\n  AAPL: 5e-324\n")
case("budgets file denormal", 7, ["budget", "--budgets", p], 2, f"{p} line")

# ---------- class 8: raw bytes echoed ----------
def m_field(value):
    def m(lines):
        f = lines[3].split(","); f[4] = value; lines[3] = ",".join(f)
    return m
for name, value in [("newline", '"12\n3\n4\n5"'), ("ansi", "\x1b[31mRED\x1b[0m"), ("bel", "1\x07"), ("nul", "1\x002"), ("field_50kb", "x" * 50000),
                    ("c1_control", "1\u009b2"), ("bidi", "1\u202e2")]:
    p = market_file(f"raw_{name}", m_field(value))
    case(f"market field {name}", 8, ["risk", "--market", p], 2, f"{p} line")
p = w("orders_control.csv", "client_order_id,instrument,side,quantity,price,stop\no1,BTC,\x1b[2Jbuy\x07,0.01,,52000\n")
case("orders field with ESC and BEL", 8, ["check", "--orders", p], 1, stdout_has="\\u{1B}")
p = w("account_key_escape.yaml", acct.format(quote="base-per-unit", eur="1.1", cash="1", qty="1", extra="") + "\"evil\\e[31m\\nkey\": 1\n")
case("YAML key with escapes", 8, ["aum", "--account", p], 2, f"{p} line")
p = w("account_value_newlines.yaml", acct.format(quote="base-per-unit", eur="1.1", cash="1", qty="1", extra="") .replace("name: hostile", "name: hostile\nbase_currency_x: \"a\\nb\\nc\\nd\""))
case("YAML value with newlines", 8, ["aum", "--account", p], 2, f"{p} line")

# ---------- class 9: misleading messages ----------
p = market_file("number_50000_digits", m_field("1" * 50000))
case("CSV number of 50000 digits", 9, ["risk", "--market", p], 2, "too long")
case("symlink loop as the market", 9, ["risk", "--market", "$TMP/loop.csv"], 2, "symbolic link loop", special="symlink-loop")
case("symlink loop as the account", 9, ["aum", "--account", "$TMP/loop.csv"], 2, "symbolic link loop", special="symlink-loop")
case("--as-of before all data (risk)", 9, ["risk", "--as-of", "1990-01-01"], 2, "--as-of")
case("--as-of before all data (size)", 9, ["size", "--instrument", "BTC", "--as-of", "1990-01-01"], 2, "--as-of")

# ---------- class 10: duplicate client order ids (a failing finding for the second: DUPLICATE_CLIENT_ORDER_ID) ----------
p = w("orders_duplicate_ids.csv", "client_order_id,instrument,side,quantity,price,stop\nx1,BTC,buy,0.01,,52000\nx1,BTC,buy,0.01,,52000\n")
case("duplicate client order ids", 10, ["check", "--orders", p], 1, stdout_has="DUPLICATE_CLIENT_ORDER_ID")

# ---------- class 11: --instruments ----------
for args, status, text in [(["risk", "--instruments", "BTC,BTC"], 2, "--instruments"), (["risk", "--instruments", ""], 2, "--instruments"),
                           (["budget", "--instruments", ""], 2, "--instruments"), (["risk", "--instruments", "BTC,,ETH"], 2, "--instruments"),
                           (["risk", "--instruments", "BTC", "--instruments", "BTC"], 2, "--instruments")]:
    case(" ".join(a if a else "''" for a in args), 11, args, status, text)

# ---------- more: encodings, sizes, formats ----------
p = w("account_utf16.yaml", acct.format(quote="base-per-unit", eur="1.1", cash="1", qty="1", extra="").encode("utf-16"), binary=True)
case("account in UTF-16", 12, ["aum", "--account", p], 2, p)
p = w("account_invalid_utf8.yaml", b"version: 1\nname: \xff\xfe\n", binary=True)
case("account with invalid UTF-8", 12, ["aum", "--account", p], 2, f"{p} line 2")
p = w("account_bom_crlf.yaml", "\ufeff" + acct.format(quote="base-per-unit", eur="1.1", cash="100000", qty="10", extra="").replace("\n", "\r\n"))
case("account with BOM and CRLF", 12, ["aum", "--account", p], 0)
p = market_file("bom_crlf", lambda lines: None)
open(p, "wb").write(("\ufeff" + "\r\n".join(aapl) + "\r\n").encode())
case("market CSV with BOM and CRLF", 12, ["risk", "--market", p], 0)
p = w("empty.yaml", "")
case("empty account", 12, ["aum", "--account", p], 2, p)
p = w("account_list.yaml", "- 1\n- 2\n")
case("account that is a list", 12, ["aum", "--account", p], 2, p)
p = w("account_deep.yaml", "version: 1\nname: " + "[" * 5000 + "]" * 5000 + "\n")
case("account nested 5000 deep", 12, ["aum", "--account", p], 2, p)
p = w("account_anchors.yaml", "version: 1\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n")
case("account with alias expansion", 12, ["aum", "--account", p], 2, p)
p = w("orders_unclosed_quote.csv", 'client_order_id,instrument,side,quantity,price,stop\n"o1,BTC,buy,0.01,,52000\n')
case("orders with an unclosed quote", 12, ["check", "--orders", p], 1)
p = w("orders_long_record.jsonl", '{"instrument": "BTC", "side": "buy", "quantity": 0.01, "stop": 52000, "id": "' + "x" * 100000 + '"}\n')
case("orders record over 64 KiB", 12, ["check", "--orders", p], 1, stdout_has="longer than")
p = w("orders_numbers.jsonl", '{"instrument": "BTC", "side": "buy", "quantity": 1e400}\n{"instrument": "BTC", "side": "buy", "quantity": "nan"}\n{"instrument": "BTC", "side": "buy", "quantity": 1e300}\n')
case("orders JSONL numbers out of range", 12, ["check", "--orders", p], 1)
p = w("orders_crlf_bom.csv", "\ufeffclient_order_id,instrument,side,quantity,price,stop\r\no1,BTC,buy,0.01,,52000\r\n")
case("orders CSV with BOM and CRLF", 12, ["check", "--orders", p], 0)
p = w("orders_empty.jsonl", "\n\n  \n")
case("orders JSONL blank", 12, ["check", "--orders", p], 2, p)
case("orders from stdin, CSV", 12, ["check", "--orders", "-"], 0, stdin="examples/orders/batch.csv")
case("orders from stdin, JSONL", 12, ["check", "--orders", "-"], 0, stdin="examples/orders/batch.jsonl")
p = w("config_bad.yaml", "version: 1\nmarket: examples/market\nas_of: 2024-13-45\n")
case("advisor.yaml with a bad date", 12, ["risk", "--config", p], 2, f"{p} line")
p = w("config_fifo.yaml", "version: 1\nmarket: /dev/zero\n")
case("advisor.yaml naming /dev/zero as market", 12, ["risk", "--config", p], 2, "not a regular file")
p = w("panel_dup.csv", "Date,A,A\n2024-01-01,1,2\n")
case("panel with a duplicate column", 12, ["risk", "--market", p], 2, p)
p = w("market_huge_date.csv", "Date,Close\n99999-01-01,1\n2024-01-02,1\n")
case("market with a 5-digit year", 12, ["risk", "--market", p], 2, p)
p = w("market_only_header.csv", "Date,Open,High,Low,Close,Volume\n")
case("market with only a header", 12, ["risk", "--market", p], 2, p)

json.dump({"cases": cases}, open(f"{H}/manifest.json", "w"), indent=1, ensure_ascii=True)
print(len(cases), "cases")
