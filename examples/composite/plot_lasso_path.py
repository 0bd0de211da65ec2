"""
Lasso path on the diabetes data
===============================

A Lasso regularisation path on real data: scikit-learn's bundled diabetes set (442 patients,
10 features, standardised), solved from the largest ``lam`` down with warm starts. Every point
of the path carries a certified relative duality gap (``res.optimality``), and the coefficients
are checked against scikit-learn's coordinate descent.

Run as a script: ``python examples/composite/plot_lasso_path.py`` solves 12 values of ``lam``
to a relative gap of 1e-8 in about a second; ``--full`` (or ``OPTKIT_EXAMPLES_FULL=1``) solves
50 values to 1e-12.
"""
import os
import sys

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso as SkLasso

import optkit
from optkit.problems import Lasso

FULL = "--full" in sys.argv[1:] or os.environ.get("OPTKIT_EXAMPLES_FULL") == "1"

# %%
# The data
# --------
# Standardised features and a centred response, so that no intercept is needed.
# ``lam_max`` is the smallest ``lam`` whose solution is zero.
A, b = load_diabetes(return_X_y=True)
A = (A - A.mean(axis=0)) / A.std(axis=0)
b = b - b.mean()
lam_max = float(np.max(np.abs(A.T @ b)))
lams = lam_max * np.logspace(0, -3, 50 if FULL else 12)
tol = 1e-12 if FULL else 1e-8

# %%
# The path, with warm starts
# --------------------------
# Each solve starts at the previous solution (``x0=``). scikit-learn's ``Lasso(alpha)`` is
# ``lam = m * alpha`` in optkit's scaling.
print(f"{'lam/lam_max':>11} {'objective':>14} {'cert. gap':>10} {'support':>8} {'|x - x_sklearn|':>16} {'nit':>5}")
x, path = None, []
for lam in lams:
    res = optkit.solve(Lasso(A, b, lam=float(lam)), x0=x, tol=tol)
    x = res.x
    ref = SkLasso(alpha=lam / A.shape[0], fit_intercept=False, tol=1e-12, max_iter=100000).fit(A, b).coef_
    print(f"{lam / lam_max:>11.4f} {res.fun:>14.6f} {res.optimality:>10.1e} {int(np.sum(x != 0)):>8d} "
          f"{np.linalg.norm(x - ref):>16.2e} {res.nit:>5d}")
    path.append(x)

fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogx(lams / lam_max, np.array(path))
ax.invert_xaxis()
ax.set_xlabel("lam / lam_max")
ax.set_ylabel("coefficient")
ax.set_title("Lasso path, diabetes data (ALM, warm starts)")

# %%
# How the last solve converged
# ----------------------------
# :meth:`optkit.Result.plot` draws the certificate (here the relative duality gap) and the
# objective against iterations and time, from ``res.history``; ``measures=True`` adds the
# family's named measures (the absolute ``gap``), dashed.
print(res)
res.plot(measures=True)
plt.show()
