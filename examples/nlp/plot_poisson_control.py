"""
Distributed control of the Poisson equation
===========================================

.. math::
    \\min_{w, z}\\; \\tfrac12\\|w - w^*\\|^2 + \\tfrac{\\alpha}{2}\\|z\\|^2
    \\quad\\text{s.t.}\\quad -\\Delta_h w = z

on an N x N grid of :math:`[-1, 1]^2` with zero boundary values (the PDE experiment of Hong, Na,
Mahoney & Kolar, ICML 2023). The problem's default method (``sqp``: one sparse factorisation of
the KKT matrix per iteration) solves it; at a small N the answer is checked against CVXPY and
AdaSketch-Newton (``exact_al``) runs beside SQP.

Run as a script: ``python examples/nlp/plot_poisson_control.py`` (N = 32, seconds); ``--full``
(or ``OPTKIT_EXAMPLES_FULL=1``) for N = 64.
"""
import os
import sys
import time

import matplotlib.pyplot as plt
import numpy as np

import optkit
from optkit.problems import PoissonControl

FULL = "--full" in sys.argv[1:] or os.environ.get("OPTKIT_EXAMPLES_FULL") == "1"
N = 64 if FULL else 32

# %%
# The control problem on the N x N grid
# -------------------------------------
# ``kkt_residual`` is the paper's absolute KKT residual, one of the family's named measures.
problem = PoissonControl(N)
start = time.perf_counter()
res = optkit.solve(problem, tol=1e-10)
print(f"PoissonControl(N={N}): n = {problem.n}, m = {problem.m}, method {res.method}: {res.status.name} in "
      f"{res.nit} iterations, {time.perf_counter() - start:.2f} s, KKT residual {res.kkt_residual:.1e}, "
      f"objective {res.fun:.6f}")

# %%
# SQP and AdaSketch-Newton at N = 8, against CVXPY
# ------------------------------------------------
# AdaSketch-Newton takes thousands of sketch steps per iteration here; the small run stops it
# after 10 iterations, ``--full`` after 40.
small = PoissonControl(8)
table = optkit.compare(small, ["sqp", "exact_al"], tol=1e-10, max_iter=40 if FULL else 10,
                       per_method={"exact_al": {"seed": 0}})
print(table)
for method, r in table.results.items():
    print(f"{method:8s}: objective gap to CVXPY {optkit.validate(small, r).objective_gap:.1e}, "
          f"sketch steps {sum(r.info['sketch_iterations'])}")

# %%
# Target, state and control
# -------------------------
w, z = (np.asarray(a) for a in problem.state_control(res.x))
target = np.asarray(problem.w_target).reshape(N, N)
fig, axes = plt.subplots(1, 3, figsize=(14, 4))
for ax, (title, img) in zip(axes, (("target w*", target), ("controlled state w", w), ("control z = -Lap w", z))):
    im = ax.imshow(img, extent=(-1, 1, -1, 1), origin="lower", cmap="viridis")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, shrink=0.8)

# %%
# Convergence at N = 8
# --------------------
# The certificate is the scaled KKT residual; ``measures=True`` adds ``kkt``, ``infeasibility``
# and ``kkt_residual``.
table.plot(measures=True)
plt.show()
