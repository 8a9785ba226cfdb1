#!/usr/bin/env python3
"""Side-by-side benchmark of advisor against the Python tools a user would otherwise run.

Run by bench/peers.sh inside bench/.venv (numpy, pandas, scikit-learn, PyPortfolioOpt, Riskfolio-Lib).
In one run it: times advisor's in-process cases (advisor-bench run), times the same jobs in Python on
the same files and the same in-memory returns, checks that the answers agree to stated tolerances,
and prints each pair's medians and the ratio (Python median / advisor median: > 1 means advisor is
faster). Whole-process pairs are timed by peers.sh with hyperfine.
"""

import argparse
import csv
import glob
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

RESULTS = []  # (group, case, n, stats dict, note)
CHECKS = []  # (name, value, tolerance, ok, note)
FAILURES = []


def timed(fn, warmup=3, runs=15, min_runs=5, max_seconds=6.0):
    """Warm-up, then timed runs (stops adding runs past max_seconds once min_runs are done)."""
    for _ in range(warmup):
        fn()
    samples = []
    started = time.perf_counter()
    while len(samples) < runs:
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
        if len(samples) >= min_runs and time.perf_counter() - started > max_seconds:
            break
    samples.sort()
    q = np.quantile(samples, [0.25, 0.5, 0.75])
    return {"median": float(q[1]), "min": samples[0], "max": samples[-1], "q1": float(q[0]), "q3": float(q[2]),
            "runs": len(samples)}


def record(group, case, n, stats, note=""):
    RESULTS.append((group, case, n, stats, note))
    ms = lambda s: f"{s * 1000:.3g}"
    print(f"  python {group:10} {case:42} {'' if n is None else n:>5}  median {ms(stats['median']):>8} ms"
          f"  [{ms(stats['min'])}–{ms(stats['max'])}] runs {stats['runs']} {note}", flush=True)


def check(name, value, tol, note=""):
    ok = bool(np.isfinite(value) and value <= tol)
    CHECKS.append((name, value, tol, ok, note))
    if not ok:
        FAILURES.append(name)
    print(f"  check {'ok  ' if ok else 'FAIL'} {name}: {value:.3g} (tolerance {tol:g}) {note}", flush=True)


def rel_max_diff(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = np.max(np.abs(a))
    return float(np.max(np.abs(a - b)) / scale) if scale > 0 else float(np.max(np.abs(a - b)))


# ---------------------------------------------------------------- estimators in numpy (advisor's conventions)

def ewma_zero_mean(x, lam):
    """advisor's EWMA: zero mean, weights λ^(T−i) normalised to 1 (newest row last)."""
    t = x.shape[0]
    w = lam ** np.arange(t - 1, -1, -1, dtype=float)
    w /= w.sum()
    y = x * np.sqrt(w)[:, None]
    return y.T @ y


def risk_parity_newton(cov, b, tol=1e-12, max_iter=100):
    """Budgeted risk parity by Newton's method on f(x) = ½xᵀΣx − bᵀlog x (x > 0), then w = x / Σx.

    At the minimiser Σx = b/x, so x_i(Σx)_i = b_i: risk contributions proportional to b. f is strictly
    convex on x > 0; the step is halved until x stays positive. Returns (weights, iterations).
    """
    x = b / np.sqrt(b @ cov @ b)
    for it in range(1, max_iter + 1):
        sx = cov @ x
        g = sx - b / x
        if np.max(np.abs(x * sx - b)) < tol:
            return x / x.sum(), it - 1
        h = cov + np.diag(b / (x * x))
        dx = np.linalg.solve(h, g)
        step = 1.0
        while np.any(x - step * dx <= 0):
            step *= 0.5
        x = x - step * dx
    return x / x.sum(), max_iter


def risk_shares(cov, w):
    sw = cov @ w
    return w * sw / (w @ sw)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=".")
    ap.add_argument("--out", default="bench/out")
    ap.add_argument("--bench", default=".build/release/advisor-bench")
    ap.add_argument("--advisor", default=".build/release/advisor")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--sizes", default="20,100,500,1000")
    ap.add_argument("--exp-cov-max-n", type=int, default=500,
                    help="largest N for PyPortfolioOpt exp_cov (a pairwise pandas loop: >10 s at 500)")
    ap.add_argument("--riskfolio-max-n", type=int, default=500)
    ap.add_argument("--only", default="", help="covariance: only the in-memory covariance, Cholesky and eigh cases and their pairs")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    out = args.out
    panel = os.path.join(out, "panel_500x2520.csv")
    sp500 = os.path.join(args.root, "data/panels/sp500_471.csv")
    multi = os.path.join(args.root, "data/multi_asset")
    policy = dict(warmup=args.warmup, runs=args.runs)

    import sklearn
    import sklearn.covariance
    from threadpoolctl import threadpool_info

    print("== Python environment")
    print(f"  python {sys.version.split()[0]}; numpy {np.__version__}; pandas {pd.__version__}; "
          f"scikit-learn {sklearn.__version__}")
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"):
        print(f"  {k}={os.environ.get(k, 'unset')}")
    for info in threadpool_info():
        print(f"  threadpool: {info.get('internal_api')} {info.get('version')} kernel {info.get('architecture')} "
              f"threads {info.get('num_threads')} ({os.path.basename(info.get('filepath', ''))})")
    pypfopt = riskfolio = None
    try:
        import pypfopt
        from pypfopt import risk_models
        print(f"  PyPortfolioOpt {getattr(pypfopt, '__version__', '?')}")
    except Exception as e:  # recorded, the rest goes on
        print(f"  PyPortfolioOpt unavailable: {e!r}")
    try:
        import riskfolio
        import cvxpy
        print(f"  Riskfolio-Lib {getattr(riskfolio, '__version__', '?')}; cvxpy {cvxpy.__version__} "
              f"(solvers {', '.join(cvxpy.installed_solvers())})")
    except Exception as e:
        print(f"  Riskfolio-Lib unavailable: {e!r}")

    # ---- advisor, in process, in the same run: each group runs right before its Python peers, so that
    # both sides of a pair see the same load on this shared machine.
    adv_tsv = os.path.join(out, "peers-advisor.tsv")
    advisor = {}

    def advisor_group(*groups):
        print(f"\n== advisor in process (advisor-bench run --only {' '.join(groups)})", flush=True)
        subprocess.run([args.bench, "run", "--out", out, "--only", *groups, "--warmup", str(args.warmup),
                        "--runs", str(args.runs), "--tsv", adv_tsv], check=True, stdout=subprocess.DEVNULL)
        with open(adv_tsv) as f:
            for row in csv.DictReader(f, delimiter="\t"):
                advisor[(row["case"], int(row["n"]) if row["n"] else None)] = row
                print(f"  advisor {row['group']:10} {row['case']:42} {row['n']:>5}  median "
                      f"{float(row['median_s']) * 1000:8.3g} ms  [{float(row['min_s']) * 1000:.3g}–"
                      f"{float(row['max_s']) * 1000:.3g}] runs {row['runs']}", flush=True)

    subprocess.run([args.bench, "export", "--out", out], check=True, stdout=subprocess.DEVNULL)
    exp = os.path.join(out, "export")
    print(f"  advisor's answers exported to {exp}")

    only_cov = args.only == "covariance"
    # ---- parsing
    if not only_cov:
        parse_section(args, out, exp, panel, sp500, multi, policy, advisor_group)
    prices = None if only_cov else read_panel(panel)
    cov_section(args, out, exp, sizes, policy, advisor_group, sklearn, pypfopt, risk_models if pypfopt else None)
    if not only_cov:
        rest_section(args, out, sizes, policy, advisor_group, sklearn, riskfolio, panel, sp500, prices)
    pairs_section(out, sizes, advisor)
    print(f"\nchecks: {len(CHECKS) - len(FAILURES)} ok, {len(FAILURES)} failed")
    for name in FAILURES:
        print(f"  FAILED: {name}")
    return 1 if FAILURES else 0


def read_panel(path):
    return pd.read_csv(path, index_col=0, parse_dates=[0])


def parse_section(args, out, exp, panel, sp500, multi, policy, advisor_group):
    advisor_group("parse")
    print("\n== parsing (pandas.read_csv, dates parsed)", flush=True)
    record("parse", "pandas read_csv sp500_471", None, timed(lambda: read_panel(sp500), **policy))
    record("parse", "pandas read_csv synthetic 500×2520", None, timed(lambda: read_panel(panel), **policy))
    files = sorted(glob.glob(os.path.join(multi, "*.csv")))
    record("parse", "pandas read_csv multi_asset (29 files)", None,
           timed(lambda: [read_panel(p) for p in files], **policy))
    prices = read_panel(panel)
    closes = np.fromfile(os.path.join(exp, "panel_closes.f64")).reshape(prices.shape[1], prices.shape[0]).T
    exact = int(np.sum(closes == prices.values))
    check("advisor's parsed closes vs pandas read_csv (synthetic panel)", rel_max_diff(prices.values, closes), 1e-15,
          f"({exact:,} of {closes.size:,} bit-identical)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 deprecates float_precision; the check still says what it reads
        prices_rt = pd.read_csv(panel, index_col=0, parse_dates=[0], float_precision="round_trip")
    check("advisor's parsed closes vs pandas round_trip parser", float(np.sum(closes != prices_rt.values)), 0,
          "(count of values that differ)")


def cov_section(args, out, exp, sizes, policy, advisor_group, sklearn, pypfopt, risk_models):
    # ---- covariance in memory, on advisor's own synthetic returns
    advisor_group("covariance", "linalg")
    print("\n== covariance, Cholesky, eigendecomposition in memory (T = 2,520, advisor's synthetic returns)", flush=True)
    allr = np.fromfile(os.path.join(out, "returns_2520x1000.f64")).reshape(1000, 2520).T  # T × 1000, F-order
    span = 180
    lam_span = 1 - 2 / (span + 1)
    for n in sizes:
        x = np.asfortranarray(allr[:, :n])
        xc = x - x.mean(axis=0)
        record("covariance", "numpy xcᵀxc (floor)", n, timed(lambda: xc.T @ xc, **policy))
        record("covariance", "numpy cov", n, timed(lambda: np.cov(x, rowvar=False), **policy))
        record("covariance", "numpy ewma λ=0.94 (advisor's convention)", n, timed(lambda: ewma_zero_mean(x, 0.94), **policy))
        record("covariance", "sklearn ledoit_wolf", n, timed(lambda: sklearn.covariance.ledoit_wolf(x), **policy))
        record("covariance", "sklearn oas", n, timed(lambda: sklearn.covariance.oas(x), **policy))
        o, o_shrink = sklearn.covariance.oas(x)
        ao = np.fromfile(os.path.join(exp, f"oas_{n}.f64"))
        check(f"oas N={n}: advisor vs sklearn", rel_max_diff(o, ao[:-1].reshape(n, n)), 1e-9)
        check(f"oas shrinkage N={n}: advisor vs sklearn", abs(ao[-1] - o_shrink) / max(o_shrink, 1e-300), 1e-9,
              f"(δ = {o_shrink:.6f}, relative)")
        lw, shrink = sklearn.covariance.ledoit_wolf(x)
        a = np.fromfile(os.path.join(exp, f"lw_{n}.f64"))
        check(f"ledoit-wolf N={n}: advisor vs sklearn", rel_max_diff(lw, a[:-1].reshape(n, n)), 1e-9)
        check(f"ledoit-wolf shrinkage N={n}: advisor vs sklearn", abs(a[-1] - shrink), 1e-9,
              f"(δ = {shrink:.6f})")
        check(f"sample N={n}: advisor vs numpy cov", rel_max_diff(np.cov(x, rowvar=False),
                                                                  np.fromfile(os.path.join(exp, f"sample_{n}.f64")).reshape(n, n)), 1e-9)
        check(f"ewma λ=0.94 N={n}: advisor vs numpy", rel_max_diff(ewma_zero_mean(x, 0.94),
                                                                   np.fromfile(os.path.join(exp, f"ewma094_{n}.f64")).reshape(n, n)), 1e-9)
        if pypfopt is not None:
            df = pd.DataFrame(x, columns=[f"A{j}" for j in range(n)])
            record("covariance", "PyPortfolioOpt CovarianceShrinkage.ledoit_wolf", n,
                   timed(lambda: risk_models.CovarianceShrinkage(df, returns_data=True).ledoit_wolf(), **policy))
            p_lw = risk_models.CovarianceShrinkage(df, returns_data=True).ledoit_wolf().values / 252
            check(f"ledoit-wolf N={n}: advisor vs PyPortfolioOpt (÷ 252)", rel_max_diff(p_lw, a[:-1].reshape(n, n)), 1e-9)
            cc = lambda: risk_models.CovarianceShrinkage(df, returns_data=True, frequency=1).ledoit_wolf(
                shrinkage_target="constant_correlation")
            record("covariance", "PyPortfolioOpt ledoit_wolf constant_correlation", n, timed(cc, **policy))
            cs = risk_models.CovarianceShrinkage(df, returns_data=True, frequency=1)
            p_cc = np.asarray(cs.ledoit_wolf(shrinkage_target="constant_correlation"))
            acc = np.fromfile(os.path.join(exp, f"lwcc_{n}.f64"))
            check(f"ledoit-wolf constant correlation N={n}: advisor vs PyPortfolioOpt", rel_max_diff(p_cc, acc[:-1].reshape(n, n)),
                  1e-9)
            check(f"ledoit-wolf constant correlation shrinkage N={n}: advisor vs PyPortfolioOpt",
                  abs(acc[-1] - cs.delta) / max(cs.delta, 1e-300), 1e-9, f"(δ = {cs.delta:.6f}, relative)")
            if n <= args.exp_cov_max_n:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    run_exp = lambda: risk_models.exp_cov(df, returns_data=True, span=span)
                    if n >= 500:  # tens of seconds a run: one run, which also gives the answer checked
                        t0 = time.perf_counter()
                        e = run_exp()
                        dt = time.perf_counter() - t0
                        st = {"median": dt, "min": dt, "max": dt, "q1": dt, "q3": dt, "runs": 1}
                    else:
                        st = timed(run_exp, **policy)
                        e = run_exp()
                record("covariance", "PyPortfolioOpt exp_cov (span 180)", n, st, "(single run)" if n >= 500 else "")
                mine = np.fromfile(os.path.join(exp, f"ewma_demeaned_span{span}_{n}.f64")).reshape(n, n)
                check(f"exp_cov N={n}: advisor EWMA(λ = 1 − 2/181) on demeaned returns vs PyPortfolioOpt (÷ 252)",
                      rel_max_diff(e.values / 252, mine), 1e-9)
            else:
                print(f"  python covariance PyPortfolioOpt exp_cov N={n}: skipped (pairwise pandas loop; "
                      f"> {args.exp_cov_max_n} instruments takes minutes)")
        c = np.cov(x, rowvar=False)
        record("linalg", "numpy.linalg.cholesky", n, timed(lambda: np.linalg.cholesky(c), **policy))
        record("linalg", "numpy.linalg.eigh", n, timed(lambda: np.linalg.eigh(c), **policy))


def rest_section(args, out, sizes, policy, advisor_group, sklearn, riskfolio, panel, sp500, prices):
    allr = np.fromfile(os.path.join(out, "returns_2520x1000.f64")).reshape(1000, 2520).T
    # ---- risk parity
    advisor_group("riskparity")  # skipped inside advisor-bench until RiskCore has a public solver (issue 6)
    print("\n== risk parity (equal budgets, on the Ledoit–Wolf covariance of the synthetic returns)", flush=True)
    rp_weights = {}
    for n in sizes:
        x = np.asfortranarray(allr[:, :n])
        cov, _ = sklearn.covariance.ledoit_wolf(x)
        b = np.full(n, 1.0 / n)
        st = timed(lambda: risk_parity_newton(cov, b), **policy)
        w, iters = risk_parity_newton(cov, b)
        rp_weights[n] = w
        record("riskparity", "numpy Newton", n, st, f"({iters} iterations)")
        check(f"numpy Newton N={n}: largest |risk share − budget|", float(np.max(np.abs(risk_shares(cov, w) - b))), 1e-9)
        if riskfolio is None:
            continue
        if n > args.riskfolio_max_n:
            print(f"  python riskparity Riskfolio-Lib N={n}: skipped (> --riskfolio-max-n {args.riskfolio_max_n})")
            continue
        cols = [f"A{j}" for j in range(n)]
        port = riskfolio.Portfolio(returns=pd.DataFrame(x, columns=cols))
        port.assets_stats(method_mu="hist", method_cov="hist")
        port.cov = pd.DataFrame(cov, index=cols, columns=cols)
        few = n >= 500

        def solve():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return port.rp_optimization(model="Classic", rm="MV", rf=0, b=None, hist=True)

        st = timed(solve, warmup=1 if few else args.warmup, runs=3 if few else args.runs, min_runs=3 if few else 5)
        record("riskparity", "Riskfolio-Lib rp_optimization", n, st)
        wr = solve()
        if wr is None:
            check(f"Riskfolio-Lib N={n} returned no weights", float("inf"), 0)
            continue
        wr = wr.values.ravel()
        check(f"risk parity N={n}: Riskfolio-Lib vs numpy Newton, max |Δw| / max w", rel_max_diff(w, wr), 1e-4,
              f"(Riskfolio's largest |risk share − budget| {np.max(np.abs(risk_shares(cov, wr) - b)):.2g})")

    # ---- advisor answers from the CLI (end to end), agreement only
    print("\n== advisor CLI answers vs scikit-learn (end to end from the CSV files)", flush=True)
    for label, path, lookback in (("synthetic 500×2520", panel, 2519), ("sp500_471", sp500, 1439)):
        r = subprocess.run([args.advisor, "risk", "--market", path, "--estimator", "ledoit-wolf", "--lookback",
                            str(lookback), "--format", "json"], check=True, capture_output=True, text=True)
        doc = json.loads(r.stdout)
        rets = read_panel(path)[doc["instruments"]].pct_change().dropna().values[-lookback:]
        lw, shrink = sklearn.covariance.ledoit_wolf(rets)
        check(f"advisor risk --estimator ledoit-wolf ({label}) covarianceDaily vs sklearn", rel_max_diff(lw, doc["covarianceDaily"]), 1e-9)
        check(f"advisor risk shrinkage ({label}) vs sklearn", abs(doc["shrinkage"] - shrink), 1e-9)

    budget_help = subprocess.run([args.advisor, "budget", "--help"], capture_output=True, text=True)
    if budget_help.returncode == 0 and "USAGE: advisor budget" in budget_help.stdout:
        # Issue 6: `advisor budget --market PATH --instruments … --format json` with a `weights` object.
        r = subprocess.run([args.advisor, "budget", "--market", panel, "--estimator", "ledoit-wolf", "--lookback", "2519",
                            "--format", "json"], capture_output=True, text=True)
        if r.returncode == 0:
            doc = json.loads(r.stdout)
            rets = prices.pct_change().dropna().values[-2519:]
            cov, _ = sklearn.covariance.ledoit_wolf(rets)
            w, _ = risk_parity_newton(cov, np.full(cov.shape[0], 1 / cov.shape[0]))
            mine = np.array([doc["weights"][s] for s in prices.columns])
            check("advisor budget (500 × 2,520, LW) weights vs numpy Newton", rel_max_diff(w, mine), 1e-6)
        else:
            print(f"  advisor budget failed (exit {r.returncode}): {r.stderr.strip()[:300]}")
    else:
        print("  advisor budget: skipped, the subcommand is not merged yet (issue 6)")


def pairs_section(out, sizes, advisor):
    # ---- pairs
    pairs = [
        ("parse", "load sp500_471 (471×1440)", "pandas read_csv sp500_471", [None]),
        ("parse", "load synthetic 500×2520", "pandas read_csv synthetic 500×2520", [None]),
        ("parse", "load multi_asset (29 OHLCV files)", "pandas read_csv multi_asset (29 files)", [None]),
        ("covariance", "dsyrk XᵀX (BLAS floor)", "numpy xcᵀxc (floor)", sizes),
        ("covariance", "sample", "numpy cov", sizes),
        ("covariance", "ewma λ=0.94", "numpy ewma λ=0.94 (advisor's convention)", sizes),
        ("covariance", "ewma λ=0.94", "PyPortfolioOpt exp_cov (span 180)", sizes),
        ("covariance", "ledoit-wolf", "sklearn ledoit_wolf", sizes),
        ("covariance", "ledoit-wolf", "PyPortfolioOpt CovarianceShrinkage.ledoit_wolf", sizes),
        ("covariance", "oas", "sklearn oas", sizes),
        ("covariance", "ledoit-wolf-constant-correlation", "PyPortfolioOpt ledoit_wolf constant_correlation", sizes),
        ("linalg", "cholesky (dpotrf)", "numpy.linalg.cholesky", sizes),
        ("linalg", "eigendecomposition (dsyevd)", "numpy.linalg.eigh", sizes),
        ("riskparity", "risk parity (equal budgets, LW Σ)", "numpy Newton", sizes),
        ("riskparity", "risk parity (equal budgets, LW Σ)", "Riskfolio-Lib rp_optimization", sizes),
    ]
    py = {(case, n): st for (_, case, n, st, _) in RESULTS}
    lines = []
    print("\n== pairs: medians in ms [min–max]; ratio = Python / advisor (> 1: advisor faster)")
    hdr = f"{'advisor case':32} {'Python peer':46} {'N':>5} {'advisor':>18} {'Python':>20} {'ratio':>8}"
    print(hdr)
    fmt = lambda s: f"{s * 1000:.3g}"
    for group, acase, pcase, ns in pairs:
        for n in ns:
            a = advisor.get((acase, n))
            p = py.get((pcase, n))
            if a is None or p is None:
                continue
            am, pm = float(a["median_s"]), p["median"]
            ratio = pm / am
            line = (f"{acase:32} {pcase:46} {'' if n is None else n:>5} "
                    f"{fmt(am):>7} [{fmt(float(a['min_s']))}–{fmt(float(a['max_s']))}]".ljust(110)
                    + f" {fmt(pm):>7} [{fmt(p['min'])}–{fmt(p['max'])}]".ljust(22) + f" {ratio:7.2f}×")
            print(line)
            lines.append((group, acase, pcase, n, am, float(a["min_s"]), float(a["max_s"]), pm, p["min"], p["max"], ratio))
    for (_, case, n, st, note) in RESULTS:
        if case in ("numpy Newton", "Riskfolio-Lib rp_optimization") and \
                advisor.get(("risk parity (equal budgets, LW Σ)", n)) is None:
            print(f"{'(no advisor solver yet: issue 6)':32} {case:46} {n:>5} {'':18} {fmt(st['median']):>7} "
                  f"[{fmt(st['min'])}–{fmt(st['max'])}] {note}")
    newton = {n: st for (_, case, n, st, _) in RESULTS if case == "numpy Newton"}
    for (_, case, n, st, _) in RESULTS:
        if case == "Riskfolio-Lib rp_optimization" and n in newton:
            print(f"  Riskfolio-Lib / numpy Newton at N={n}: {st['median'] / newton[n]['median']:.0f}×")

    with open(os.path.join(out, "peers-pairs.tsv"), "w") as f:
        f.write("group\tadvisor_case\tpython_case\tn\tadvisor_median_s\tadvisor_min_s\tadvisor_max_s\t"
                "python_median_s\tpython_min_s\tpython_max_s\tratio\n")
        for l in lines:
            f.write("\t".join("" if v is None else str(v) for v in l) + "\n")
    with open(os.path.join(out, "peers-python.tsv"), "w") as f:
        f.write("group\tcase\tn\tmedian_s\tmin_s\tmax_s\truns\tnote\n")
        for (g, case, n, st, note) in RESULTS:
            f.write(f"{g}\t{case}\t{'' if n is None else n}\t{st['median']}\t{st['min']}\t{st['max']}\t{st['runs']}\t{note}\n")


if __name__ == "__main__":
    sys.exit(main())
