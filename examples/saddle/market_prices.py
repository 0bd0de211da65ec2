"""Equilibrium prices of a linear Fisher market (Eisenberg-Gale) by PDHG and proportional response.

A seeded market of 200 buyers and 400 goods; prints the time and Eisenberg-Gale duality gap of
each method next to CVXPY (when installed), and plots the equilibrium prices against the total
valuation of each good.

Run: python examples/saddle/market_prices.py [--out market_prices.png]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import optkit
from optkit.datasets.saddle import random_market
from optkit.problems import FisherMarket, MarketEquilibrium


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="market_prices.png")
    args = parser.parse_args()
    V, B, s = random_market(200, 400, seed=0)
    market = FisherMarket(V, B, s)
    results = {}
    for method in ("pdhg", "proportional_response"):
        res = optkit.solve(market, method=method, tol=1e-6, max_iter=100000)
        results[method] = res
        print(f"{method:>22}: {res.time:7.2f} s, {res.nit:6d} iterations, relative EG gap {res.optimality:.1e}")
    try:
        import cvxpy as cp

        X = cp.Variable(V.shape, nonneg=True)
        supply = cp.sum(X, axis=0) <= s
        start = time.perf_counter()
        cp.Problem(cp.Maximize(B @ cp.log(cp.sum(cp.multiply(V, X), axis=1))), [supply]).solve(solver="CLARABEL")
        gap = market.measures(MarketEquilibrium(X.value, supply.dual_value))["optimality"]
        print(f"{'CVXPY (Clarabel)':>22}: {time.perf_counter() - start:7.2f} s, relative EG gap {gap:.1e}, "
              f"max price difference {np.abs(supply.dual_value - results['pdhg'].x.prices).max():.1e}")
    except ImportError:
        pass
    prices = results["pdhg"].x.prices
    print(f"money in the market {B.sum():.4f}, value of the goods at equilibrium prices {prices @ s:.4f}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(V.sum(axis=0), prices, s=6)
    ax.set_xlabel("total valuation of the good")
    ax.set_ylabel("equilibrium price")
    ax.set_title("Fisher market 200 x 400")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
