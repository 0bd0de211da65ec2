"""
Comparing methods on one Lasso
==============================

:func:`optkit.compare` runs every method that applies to a problem (or the ones named) and
returns a table and a combined convergence plot; :func:`optkit.validate` checks an answer
against CVXPY with Clarabel. Here on a random Lasso: ALM, FALM-S and FISTA to a relative
duality gap of 1e-8.

Run as a script: ``python examples/composite/plot_compare_methods.py`` (200 x 500, a second);
``--full`` (or ``OPTKIT_EXAMPLES_FULL=1``) for the 1000 x 5000 instance of the benchmarks.
"""
import os
import sys

import matplotlib.pyplot as plt

import optkit
from optkit.datasets import lasso_instance
from optkit.problems import Lasso

FULL = "--full" in sys.argv[1:] or os.environ.get("OPTKIT_EXAMPLES_FULL") == "1"

# %%
# A Lasso with ``lam`` at a tenth of ``lam_max``
# ----------------------------------------------
m, n = (1000, 5000) if FULL else (200, 500)
problem = Lasso(**lasso_instance(m, n, seed=0))
print(optkit.methods(problem))  # the default method first

# %%
# Every applicable method
# -----------------------
# ``warmup=True`` solves once before the timed run, so that the times leave out the loading of
# the Numba kernels. The objective is drawn relative to the best objective reached.
table = optkit.compare(problem, tol=1e-8, warmup=True)
print(table)
table.plot()

# %%
# Against CVXPY
# -------------
# The objective gap and the distance to the interior-point solution of the same problem.
if not FULL:  # Clarabel on the 1000 x 5000 instance takes minutes
    print(optkit.validate(problem, table["alm"]))
plt.show()
