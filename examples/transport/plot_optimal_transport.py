"""
Entropic optimal transport between two digits
=============================================

Entropic optimal transport between two real handwritten digits and between two point clouds.
The digits are 8 x 8 images from scikit-learn's bundled digits data, read as histograms on the
pixel grid (the Sinkhorn-Newton-Sparse paper's MNIST experiment in small). Sinkhorn
(``sinkhorn``) and Sinkhorn-Newton-Sparse (``sns``) solve both problems to a small L1 marginal
error; POT's ``ot.sinkhorn`` runs beside them where POT is installed (the ``bench`` extra).

Run as a script: ``python examples/transport/plot_optimal_transport.py`` (clouds of 100 points,
marginal error 1e-8, seconds); ``--full`` (or ``OPTKIT_EXAMPLES_FULL=1``) for 1000 points and
1e-10, each method timed after an untimed warm-up run.
"""
import os
import sys
import time

import matplotlib.pyplot as plt
import numpy as np

import optkit
from optkit.datasets import digits_pair, uniform_clouds
from optkit.problems import EntropicOT
from optkit.problems.transport import histogram_support

FULL = "--full" in sys.argv[1:] or os.environ.get("OPTKIT_EXAMPLES_FULL") == "1"
n_points, tol = (1000, 1e-10) if FULL else (100, 1e-8)


def table(name, problem):
    """Solve ``problem`` with both methods (and POT); print one line each; return the results."""
    print(f"\n{name}: n = {problem.shape[0]}, m = {problem.shape[1]}, reg = {problem.reg:g} "
          f"(default method: {problem.default_method})")
    print(f"{'method':>16} {'time (s)':>9} {'nit':>6} {'marginal err':>13} {'<C, P>':>16}")
    runs = optkit.compare(problem, ["sinkhorn", "sns"], tol=tol, max_iter=200000, warmup=FULL)
    for method, res in runs.results.items():
        print(f"{method:>16} {res.time:>9.3f} {res.nit:>6d} {res.marginal_error:>13.2e} "
              f"{problem.transport_cost(res.x):>16.12f}")
    try:
        import ot
    except ImportError:
        return runs
    start = time.perf_counter()
    P = ot.sinkhorn(problem.a, problem.b, problem.C, problem.reg, method="sinkhorn", numItermax=100000,
                    stopThr=tol * 1e-2)
    err = np.abs(P.sum(1) - problem.a).sum() + np.abs(P.sum(0) - problem.b).sum()
    print(f"{'POT sinkhorn':>16} {time.perf_counter() - start:>9.3f} {'':>6} {err:>13.2e} "
          f"{float(np.sum(problem.C * P)):>16.12f}")
    return runs


# %%
# Digit 3 to digit 8
# ------------------
# Squared Euclidean cost between pixel positions, ``reg = 1e-3`` of the largest cost.
A, B = digits_pair(3, 8)
digits = EntropicOT.from_histograms(A, B, reg=1e-3, metric="sqeuclidean")
digit_runs = table("digit 3 -> digit 8, squared Euclidean pixel cost", digits)

# %%
# Two uniform point clouds
# ------------------------
X, Y = uniform_clouds(n_points, seed=0)
clouds = EntropicOT.from_point_clouds(X, Y, reg=1e-3)
cloud_runs = table("uniform clouds in the unit square", clouds)

# %%
# Marginal error against time, and the plan between the digits
# ------------------------------------------------------------
# Each arrow carries mass from a pixel of the 3 to a pixel of the 8; its width is the mass.
fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
for ax, (title, runs) in zip(axes[:2], (("digits 3 -> 8", digit_runs), (f"clouds, n = {n_points}", cloud_runs))):
    for method, res in runs.results.items():
        ax.semilogy(res.history["time"], res.history["marginal_error"], marker=".", label=method)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("L1 marginal error")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
ax = axes[2]
P = digit_runs["sns"].x
src, dst = histogram_support(A), histogram_support(B)
ax.imshow(A / A.sum() - B / B.sum(), cmap="coolwarm", vmin=-0.06, vmax=0.06)
for i, j in zip(*np.nonzero(P > 0.02 * P.max())):
    ax.annotate("", xy=(dst[j, 1], dst[j, 0]), xytext=(src[i, 1], src[i, 0]),
                arrowprops=dict(arrowstyle="->", lw=0.4 + 40 * P[i, j], alpha=0.8))
ax.set_title("plan 3 -> 8 (red: mass of 3, blue: mass of 8)")
ax.set_xticks([])
ax.set_yticks([])

# %%
# Both methods on the clouds, through :meth:`optkit.Comparison.plot`
# -------------------------------------------------------------------
cloud_runs.plot()
plt.show()
