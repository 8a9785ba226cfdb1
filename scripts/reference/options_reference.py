#!/usr/bin/env python3
"""Reference values for advisor's Black–Scholes–Merton pricer (Sources/RiskCore/OptionPricing.swift).

Writes Tests/Fixtures/reference/options_black_scholes.json: price, delta, gamma, vega and implied
volatility of European calls and puts over a grid, computed with scipy.stats.norm in float64, and
cross-checked against the same formulas evaluated with mpmath at 60 significant digits (the largest
scipy-vs-mpmath discrepancy is recorded in the file, so the fixture's own accuracy is on record).

Conventions (the same as the Swift code):
  T = days / 365 (ACT/365 from calendar days), σ annual, r and q continuously compounded.
  d1 = (ln(S/K) + (r − q + σ²/2)T) / (σ√T),  d2 = d1 − σ√T,  N(x) = scipy.stats.norm.cdf(x).
  call = S e^{−qT} N(d1) − K e^{−rT} N(d2)      put = K e^{−rT} N(−d2) − S e^{−qT} N(−d1)
  delta: call e^{−qT} N(d1), put −e^{−qT} N(−d1); gamma = e^{−qT} φ(d1) / (S σ√T);
  vega = S e^{−qT} φ(d1) √T (per unit of σ, not per vol point).
  Implied volatility: scipy.optimize.brentq on [1e-6, 10] applied to the float64 scipy price,
  recorded only where it is well conditioned (vega ≥ 1e-2, so that the price's own rounding,
  about 1e-16 × max(S, K), moves σ by less than ~1e-11); null elsewhere.

Usage: python3 scripts/reference/options_reference.py   (from the repository root; deterministic)
"""

import json
import os
import sys

import mpmath
import numpy as np
import scipy
from scipy.optimize import brentq
from scipy.stats import norm

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "reference", "options_black_scholes.json")

STRIKE = 100.0
MONEYNESS = [0.5, 0.8, 0.95, 1.0, 1.05, 1.25, 2.0]  # S / K, so spots 50 … 200 against a strike of 100
DAYS = [1, 7, 30, 91, 365, 1095]  # 1 day to 3 years
VOLS = [0.05, 0.2, 0.5, 1.0, 1.5]
RATES = [(0.0, 0.0), (0.05, 0.0), (0.045, 0.015), (-0.005, 0.03)]  # (r, q)
VOL_BOUNDS = (1e-6, 10.0)
IV_MIN_VEGA = 1e-2

mpmath.mp.dps = 60


def bsm(right, s, k, t, sigma, r, q):
    """float64 scipy values: (price, delta, gamma, vega)."""
    v = sigma * np.sqrt(t)
    d1 = (np.log(s / k) + (r - q) * t) / v + v / 2
    d2 = d1 - v
    dq, dr = np.exp(-q * t), np.exp(-r * t)
    if right == "call":
        price = s * dq * norm.cdf(d1) - k * dr * norm.cdf(d2)
        delta = dq * norm.cdf(d1)
    else:
        price = k * dr * norm.cdf(-d2) - s * dq * norm.cdf(-d1)
        delta = -dq * norm.cdf(-d1)
    gamma = dq * norm.pdf(d1) / (s * v)
    vega = s * dq * norm.pdf(d1) * np.sqrt(t)
    return float(price), float(delta), float(gamma), float(vega)


def bsm_mp(right, s, k, t, sigma, r, q):
    """The same formulas in 60-digit arithmetic from the same float64 inputs."""
    s, k, t, sigma, r, q = (mpmath.mpf(x) for x in (s, k, t, sigma, r, q))
    v = sigma * mpmath.sqrt(t)
    d1 = (mpmath.log(s / k) + (r - q) * t) / v + v / 2
    d2 = d1 - v
    dq, dr = mpmath.exp(-q * t), mpmath.exp(-r * t)
    cdf = lambda x: mpmath.erfc(-x / mpmath.sqrt(2)) / 2  # noqa: E731
    pdf = lambda x: mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
    if right == "call":
        price = s * dq * cdf(d1) - k * dr * cdf(d2)
        delta = dq * cdf(d1)
    else:
        price = k * dr * cdf(-d2) - s * dq * cdf(-d1)
        delta = -dq * cdf(-d1)
    gamma = dq * pdf(d1) / (s * v)
    vega = s * dq * pdf(d1) * mpmath.sqrt(t)
    return price, delta, gamma, vega


def implied(right, price, s, k, t, r, q):
    lo, hi = VOL_BOUNDS
    f = lambda sig: bsm(right, s, k, t, sig, r, q)[0] - price  # noqa: E731
    if not (f(lo) < 0 < f(hi)):
        return None
    return float(brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500))


def main():
    columns = ["right", "spot", "strike", "days", "years", "volatility", "rate", "dividendYield",
               "price", "delta", "gamma", "vega", "impliedVolatility"]
    rows = []
    worst = {"price": 0.0, "delta": 0.0, "gamma": 0.0, "vega": 0.0}
    worst_iv = 0.0
    for right in ("call", "put"):
        for m in MONEYNESS:
            s = STRIKE * m
            for days in DAYS:
                t = days / 365.0
                for sigma in VOLS:
                    for r, q in RATES:
                        values = bsm(right, s, STRIKE, t, sigma, r, q)
                        exact = bsm_mp(right, s, STRIKE, t, sigma, r, q)
                        for name, a, b in zip(("price", "delta", "gamma", "vega"), values, exact):
                            # relative, with an absolute floor of 1e-300 (values that underflow)
                            err = float(abs(mpmath.mpf(a) - b) / max(abs(b), mpmath.mpf("1e-300")))
                            # prices: the float64 formula's own cancellation floor is ~1e-16 × max(S, K)
                            if name == "price":
                                err = float(abs(mpmath.mpf(a) - b) / max(abs(b), mpmath.mpf(1e-13) * max(s, STRIKE)))
                            worst[name] = max(worst[name], err)
                        iv = None
                        if values[3] >= IV_MIN_VEGA:
                            iv = implied(right, values[0], s, STRIKE, t, r, q)
                            if iv is None:
                                sys.exit(f"brentq found no root for a well-conditioned row: {right} {s} {days} {sigma}")
                            worst_iv = max(worst_iv, abs(iv - sigma))
                        rows.append([right, s, STRIKE, days, t, sigma, r, q, *values, iv])

    doc = {
        "description": "European Black–Scholes–Merton price, delta, gamma, vega and implied volatility "
                       "(scipy.stats.norm, float64) over a grid; conventions in the module docstring of "
                       "scripts/reference/options_reference.py and Tests/Fixtures/reference/README.md.",
        "generator": "scripts/reference/options_reference.py",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                     "mpmath": mpmath.__version__},
        "conventions": {
            "years": "days / 365 (ACT/365)",
            "vega": "per unit of volatility (0.01 vol points = vega × 0.01)",
            "impliedVolatility": f"brentq on [{VOL_BOUNDS[0]}, {VOL_BOUNDS[1]}] from the float64 price; "
                                 f"null unless vega >= {IV_MIN_VEGA}",
        },
        "grid": {"strike": STRIKE, "moneyness": MONEYNESS, "days": DAYS, "volatility": VOLS,
                 "rateAndDividendYield": RATES},
        "mpmathCheck": {
            "description": "max relative difference of the stored float64 values from the 60-digit mpmath "
                           "evaluation of the same formulas (prices: relative to max(|price|, 1e-13 × max(S, K)))",
            **worst,
            "impliedVolatilityMaxAbsErrorVsGrid": worst_iv,
        },
        "columns": columns,
        "rows": rows,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"{len(rows)} rows -> {os.path.normpath(OUT)}")
    print("mpmath check:", json.dumps(doc["mpmathCheck"], indent=None)[:400])


if __name__ == "__main__":
    main()
