"""
Sparse inverse covariance of the breast-cancer features
=======================================================

Sparse inverse covariance selection (the graphical lasso) on real data: the 30 features of
scikit-learn's bundled breast-cancer set (569 samples, standardised). ALM solves the problem
for several ``lam`` to a certified relative duality gap of 1e-8; scikit-learn's
``graphical_lasso`` runs beside it on the same covariance.

Run as a script: ``python examples/composite/plot_sparse_inverse_covariance.py`` (two values of
``lam``, seconds); ``--full`` (or ``OPTKIT_EXAMPLES_FULL=1``) for four, down to ``lam = 0.01``.
"""
import os
import sys
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.covariance import graphical_lasso
from sklearn.datasets import load_breast_cancer

import optkit
from optkit.problems import SparseInverseCovariance

FULL = "--full" in sys.argv[1:] or os.environ.get("OPTKIT_EXAMPLES_FULL") == "1"

# %%
# The sample covariance
# ---------------------
X = load_breast_cancer().data
X = (X - X.mean(axis=0)) / X.std(axis=0)
S = np.cov(X, rowvar=False, bias=True)
lams = [0.3, 0.1, 0.03, 0.01] if FULL else [0.3, 0.1]

# %%
# ALM beside scikit-learn
# -----------------------
# Both objectives are evaluated by the problem's own ``objective``; scikit-learn may give up
# on an ill-conditioned covariance at small ``lam``.
print(f"{'lam':>6} {'optkit objective':>17} {'cert. gap':>10} {'nnz':>5} {'time (s)':>9}   "
      f"{'sklearn objective':>17} {'nnz':>5} {'time (s)':>9}")
precisions = []
for lam in lams:
    problem = SparseInverseCovariance(S, lam=lam)
    start = time.perf_counter()
    res = optkit.solve(problem, tol=1e-8)
    t_ok = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        try:
            _, prec = graphical_lasso(S, alpha=lam, tol=1e-6, max_iter=1000)
            sk = f"{problem.objective(prec):>17.10f} {int(np.sum(np.abs(prec) > 1e-8)):>5d}"
        except FloatingPointError as exc:
            sk = f"{'failed: ' + str(exc)[:20]:>23}"
        t_sk = time.perf_counter() - start
    nnz = int(np.sum(np.abs(res.x) > 1e-8))
    print(f"{lam:>6g} {res.fun:>17.10f} {res.optimality:>10.1e} {nnz:>5d} {t_ok:>9.3f}   {sk} {t_sk:>9.3f}")
    precisions.append(res.x)

# %%
# Sparsity patterns
# -----------------
fig, axes = plt.subplots(1, len(lams), figsize=(3.2 * len(lams), 3.4), squeeze=False)
for ax, lam, P in zip(axes[0], lams, precisions):
    ax.imshow(np.abs(P) > 1e-8, cmap="Greys")
    ax.set_title(f"lam = {lam:g}")
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Nonzeros of the estimated precision matrix")

# %%
# The three methods on one ``lam``
# --------------------------------
# FISTA backtracks to stay inside the positive definite cone; ALM tracks the curvature of
# the log-determinant; FALM-S (``fast_alm``) pays an eigendecomposition per tested x-step.
table = optkit.compare(SparseInverseCovariance(S, lam=0.1 if FULL else 0.3), tol=1e-8)
print(table)
table.plot()
plt.show()
