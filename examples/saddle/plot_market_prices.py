"""
Equilibrium prices of a Fisher market
=====================================

The equilibrium prices of a seeded linear Fisher market (Eisenberg-Gale) by PDHG and by
proportional response; the time and the relative Eisenberg-Gale duality gap of each method are
printed next to CVXPY (when installed), and the prices are plotted against the total valuation
of each good.

Run as a script: ``python examples/saddle/plot_market_prices.py`` (50 buyers and 100 goods to a gap of 1e-4,
seconds); ``--full`` (or ``OPTKIT_EXAMPLES_FULL=1``) for 200 buyers and 400 goods to 1e-6.
"""
import os
import sys
import time

import matplotlib.pyplot as plt
import numpy as np

import optkit
from optkit.datasets.saddle import random_market
from optkit.problems import FisherMarket, MarketEquilibrium

FULL = "--full" in sys.argv[1:] or os.environ.get("OPTKIT_EXAMPLES_FULL") == "1"
n_buyers, n_goods, tol = (200, 400, 1e-6) if FULL else (50, 100, 1e-4)

# %%
# Both methods, and CVXPY
# -----------------------
V, B, s = random_market(n_buyers, n_goods, seed=0)
market = FisherMarket(V, B, s)
table = optkit.compare(market, ["pdhg", "proportional_response"], tol=tol, max_iter=100000)
print(table)
prices = table.results["pdhg"].x.prices
try:
    import cvxpy as cp
except ImportError:
    cp = None
if cp is not None:
    X = cp.Variable(V.shape, nonneg=True)
    supply = cp.sum(X, axis=0) <= s
    start = time.perf_counter()
    cp.Problem(cp.Maximize(B @ cp.log(cp.sum(cp.multiply(V, X), axis=1))), [supply]).solve(solver="CLARABEL")
    gap = market.measures(MarketEquilibrium(X.value, supply.dual_value))["optimality"]
    print(f"CVXPY (Clarabel): {time.perf_counter() - start:.2f} s, relative EG gap {gap:.1e}, "
          f"max price difference {np.abs(supply.dual_value - prices).max():.1e}")
print(f"money in the market {B.sum():.4f}, value of the goods at equilibrium prices {prices @ s:.4f}")

# %%
# Prices against valuations
# -------------------------
fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(V.sum(axis=0), prices, s=6)
ax.set_xlabel("total valuation of the good")
ax.set_ylabel("equilibrium price")
ax.set_title(f"Fisher market {n_buyers} x {n_goods}")
fig.tight_layout()
table.plot()
plt.show()
