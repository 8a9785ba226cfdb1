#!/usr/bin/env python3
"""Reference flat clusters for advisor's correlated groups (issue 17).

    python3 Tests/Fixtures/reference/clusters_reference.py   # from the repository root

Writes Tests/Fixtures/reference/correlation_clusters.json. Deterministic; needs numpy and scipy
only (run with python 3.11.7, numpy 2.4.6, scipy 1.17.1, recorded in the file).

For each correlation matrix (the sample correlation, ddof 1, of advisor's aligned simple returns:
`Close`, inner join on dates, the last L returns) and each linkage and minimum correlation:
distance d = √(½(1 − ρ)) in condensed form, ``scipy.cluster.hierarchy.linkage(d, method)``,
``fcluster(Z, t=√(½(1 − min_correlation)), criterion="distance")``. The clusters are written as
lists of symbols, each sorted, the list sorted by first symbol. The correlation matrix is written
too, so the Swift test clusters exactly the same numbers.
"""
import json
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).resolve().parent / "correlation_clusters.json"
warnings.filterwarnings("ignore", message=".*float_precision.*")

MULTI = sorted(p.stem for p in (ROOT / "data/multi_asset").glob("*.csv"))
LINKAGES = ["single", "complete", "average"]
THRESHOLDS = [0.3, 0.5, 0.6, 0.7, 0.8, 0.9]


def aligned_returns_multi(symbols, lookback):
    frames = []
    for s in symbols:
        df = pd.read_csv(ROOT / "data/multi_asset" / f"{s}.csv", float_precision="round_trip")
        df = df[["Date", "Close"]].dropna()
        df["Date"] = pd.to_datetime(df["Date"])
        frames.append(df.set_index("Date")["Close"].rename(s))
    closes = pd.concat(frames, axis=1, join="inner").sort_index()
    r = (closes / closes.shift(1) - 1).iloc[1:]
    return r.iloc[-lookback:]


def aligned_returns_panel(path, columns, lookback):
    df = pd.read_csv(ROOT / path, float_precision="round_trip")
    date = df.columns[0]
    df[date] = pd.to_datetime(df[date])
    closes = df.set_index(date)[columns].sort_index().dropna(how="any")
    r = (closes / closes.shift(1) - 1).iloc[1:]
    return r.iloc[-lookback:]


def case(name, r):
    corr = np.corrcoef(r.to_numpy(), rowvar=False)
    symbols = list(r.columns)
    d = np.sqrt(np.clip(0.5 * (1 - corr), 0, None))
    np.fill_diagonal(d, 0)
    condensed = squareform(d, checks=False)
    out = {"name": name, "symbols": symbols, "observations": int(len(r)), "correlation": corr.tolist(), "clusters": []}
    for method in LINKAGES:
        z = linkage(condensed, method=method)
        for rho in THRESHOLDS:
            t = float(np.sqrt(0.5 * (1 - rho)))
            labels = fcluster(z, t=t, criterion="distance")
            groups = {}
            for s, label in zip(symbols, labels):
                groups.setdefault(int(label), []).append(s)
            flat = sorted(sorted(g) for g in groups.values())
            out["clusters"].append({"linkage": method, "minCorrelation": rho, "threshold": t, "groups": flat})
    return out


def main():
    doc = {
        "generator": "Tests/Fixtures/reference/clusters_reference.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__},
        "distance": "sqrt(0.5 * (1 - rho))",
        "cases": [
            case("multi-asset, 29 instruments, 252 returns to 2024-08-21", aligned_returns_multi(MULTI, 252)),
            case("multi-asset, 29 instruments, 60 returns to 2024-08-21", aligned_returns_multi(MULTI, 60)),
        ],
    }
    panel = pd.read_csv(ROOT / "data/panels/sp500_471.csv", nrows=1)
    first100 = list(panel.columns[1:101])
    doc["cases"].append(
        case("sp500_471.csv, its first 100 stocks, 252 returns", aligned_returns_panel("data/panels/sp500_471.csv", first100, 252))
    )
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
