#!/usr/bin/env python3
"""Reference values for the two shrinkage estimators added in issue 17.

    bench/.venv/bin/python Tests/Fixtures/reference/shrinkage_reference.py   # from the repository root

Writes Tests/Fixtures/reference/shrinkage_estimators.json. Deterministic; the versions it was run
with are recorded in the file (python 3.11, numpy 2.4.6, pandas 3.1.1, scikit-learn 1.9.1,
PyPortfolioOpt 1.6.0; bench/peers.sh creates that venv).

- OAS: ``sklearn.covariance.oas(returns)`` (returns demeaned, S = XᵀX/T, target μI, μ = tr S / N).
- Ledoit–Wolf, constant-correlation target: ``pypfopt.risk_models.CovarianceShrinkage(returns,
  returns_data=True, frequency=1).ledoit_wolf(shrinkage_target="constant_correlation")`` (Ledoit and
  Wolf 2004; PyPortfolioOpt's S is pandas' sample covariance, ddof 1, its π and ρ moments 1/T).
  ``frequency=P`` gives the annual matrix, recorded too.

Returns are advisor's (Tests/Fixtures/reference/README.md): the `Close` column read with a correctly
rounded float parser, rows with a missing close dropped, instruments inner-joined on dates, simple
returns on the aligned closes, the last L of them.
"""
import json
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pypfopt
import sklearn
from pypfopt.risk_models import CovarianceShrinkage
from sklearn.covariance import oas

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).resolve().parent / "shrinkage_estimators.json"

# pandas 3 deprecates float_precision, but its default parser is still not correctly rounded.
warnings.filterwarnings("ignore", message=".*float_precision.*")

MULTI = ["AAPL", "MSFT", "NVDA", "JPM", "TSLA", "BTC-USD", "ETH-USD", "GC=F", "EURUSD=X", "GLD"]


def closes_multi(symbols):
    frames = []
    for s in symbols:
        df = pd.read_csv(ROOT / "data/multi_asset" / f"{s}.csv", float_precision="round_trip")
        df = df[["Date", "Close"]].dropna()
        df["Date"] = pd.to_datetime(df["Date"])
        frames.append(df.set_index("Date")["Close"].rename(s))
    return pd.concat(frames, axis=1, join="inner").sort_index()


def closes_panel(path):
    df = pd.read_csv(ROOT / path, float_precision="round_trip")
    date = df.columns[0]
    df[date] = pd.to_datetime(df[date])
    return df.set_index(date).sort_index().dropna(how="any")


def returns(closes, lookback):
    r = (closes / closes.shift(1) - 1).iloc[1:]
    return r.iloc[-lookback:]


def estimate(r, periods):
    x = r.to_numpy()
    oas_cov, oas_shrinkage = oas(x)
    cs = CovarianceShrinkage(r, returns_data=True, frequency=1)
    lwcc = cs.ledoit_wolf(shrinkage_target="constant_correlation")
    lwcc_delta = cs.delta
    cs_annual = CovarianceShrinkage(r, returns_data=True, frequency=periods)
    lwcc_annual = cs_annual.ledoit_wolf(shrinkage_target="constant_correlation")
    return {
        "oas": {"daily": oas_cov, "annual": oas_cov * periods, "shrinkage": float(oas_shrinkage)},
        "ledoitWolfConstantCorrelation": {
            "daily": np.asarray(lwcc),
            "annual": np.asarray(lwcc_annual),
            "shrinkage": float(lwcc_delta),
        },
    }


def block(r, periods, full=True):
    out = {
        "instruments": list(r.columns),
        "observations": int(len(r)),
        "firstReturnDate": r.index[0].strftime("%Y-%m-%d"),
        "lastDate": r.index[-1].strftime("%Y-%m-%d"),
        "periodsPerYear": periods,
    }
    for name, e in estimate(r, periods).items():
        if full:
            out[name] = {"daily": e["daily"].tolist(), "annual": e["annual"].tolist(), "shrinkage": e["shrinkage"]}
        else:
            d = e["daily"]
            out[name] = {
                "shrinkage": e["shrinkage"],
                "dailyDiagonal": np.diag(d).tolist(),
                "dailyRows": {str(i): d[i].tolist() for i in (0, 1, d.shape[0] // 2, d.shape[0] - 1)},
                "dailyFrobenius": float(np.linalg.norm(d, "fro")),
                "dailySum": float(d.sum()),
                "annualTrace": float(np.trace(e["annual"])),
            }
    return out


def main():
    doc = {
        "generator": "Tests/Fixtures/reference/shrinkage_reference.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scikit-learn": sklearn.__version__,
            "PyPortfolioOpt": getattr(pypfopt, "__version__", "unknown"),
        },
    }
    multi = closes_multi(MULTI)
    doc["multiAsset"] = {
        "source": "data/multi_asset/{%s}.csv, Close, inner join on dates" % ",".join(MULTI),
        "L252": block(returns(multi, 252), 252),
        "L60": block(returns(multi, 60), 252),
    }
    doc["pypfoptPanel"] = {
        "source": "data/panels/pypfopt_stock_prices.csv, rows with any missing value dropped",
        **block(returns(closes_panel("data/panels/pypfopt_stock_prices.csv"), 500), 252),
    }
    doc["sp500"] = {
        "source": "data/panels/sp500_471.csv, the last 252 returns (T < N: the sample covariance is singular)",
        **block(returns(closes_panel("data/panels/sp500_471.csv"), 252), 252, full=False),
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
