#!/usr/bin/env python3
"""Whole-process Python pipelines that do what `advisor risk` (and later `advisor budget`) do,
timed by bench/peers.sh with hyperfine: CSV → returns → Ledoit–Wolf → JSON on standard output.

  peers_pipeline.py import                        # import numpy and pandas only (the floor)
  peers_pipeline.py sklearn PANEL LOOKBACK [--rp]  # pandas + numpy + scikit-learn (+ numpy Newton risk parity)
  peers_pipeline.py pypfopt PANEL LOOKBACK [--rp]  # PyPortfolioOpt (+ Riskfolio-Lib rp_optimization)

Output: the same three matrices as `advisor risk --format json` (annual and daily covariance,
correlation, sorted keys) and the shrinkage; with --rp, the risk-parity weights keyed by symbol.
"""

import json
import os
import sys


def main(argv):
    mode = argv[1]
    import numpy as np
    import pandas as pd

    if mode == "import":
        return 0
    path, lookback = argv[2], int(argv[3])
    rp = "--rp" in argv
    prices = pd.read_csv(path, index_col=0, parse_dates=[0])
    symbols = list(prices.columns)
    periods = 252
    if mode == "sklearn":
        from sklearn.covariance import ledoit_wolf

        returns = prices.pct_change().dropna().values[-lookback:]
        daily, shrinkage = ledoit_wolf(returns)
    elif mode == "pypfopt":
        from pypfopt import risk_models

        cs = risk_models.CovarianceShrinkage(prices, frequency=periods)
        annual = cs.ledoit_wolf()
        daily, shrinkage = annual.values / periods, cs.delta
    else:
        raise SystemExit(f"unknown mode {mode}")
    sd = np.sqrt(np.diag(daily))
    doc = {
        "instruments": symbols,
        "covariance": (daily * periods).tolist(),
        "covarianceDaily": daily.tolist(),
        "correlation": (daily / np.outer(sd, sd)).tolist(),
        "shrinkage": float(shrinkage),
    }
    if rp:
        n = len(symbols)
        if mode == "sklearn":
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            from peers import risk_parity_newton

            w, _ = risk_parity_newton(daily, np.full(n, 1.0 / n))
        else:
            import warnings

            import riskfolio

            port = riskfolio.Portfolio(returns=prices.pct_change().dropna())
            port.assets_stats(method_mu="hist", method_cov="ledoit")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w = port.rp_optimization(model="Classic", rm="MV", rf=0, b=None, hist=True).values.ravel()
        doc["weights"] = {s: float(x) for s, x in zip(symbols, w)}
    sys.stdout.write(json.dumps(doc, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
