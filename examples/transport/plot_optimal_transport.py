"""Entropic optimal transport between two real handwritten digits and between two point clouds.

The digits are 8x8 images from scikit-learn's bundled digits data, read as
histograms on the pixel grid (the SNS paper's MNIST experiment in small). The
script prints, for each method, the time, iterations, L1 marginal error and
transport cost next to POT's Sinkhorn, and saves a picture with the
marginal-error curves (error against time) and the transport plan between the
two digits drawn as arrows from source to target pixels.

Run: python examples/transport/optimal_transport.py [--out optimal_transport.png]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import optkit
from optkit.datasets.transport import digits_pair, uniform_clouds
from optkit.problems import EntropicOT
from optkit.problems.transport import histogram_support


def table(name: str, problem: EntropicOT) -> dict:
    print(f"\n{name}: n = {problem.shape[0]}, m = {problem.shape[1]}, reg = {problem.reg:g} "
          f"(default method: {problem.default_method})")
    print(f"{'method':>16} {'time (s)':>9} {'nit':>6} {'marginal err':>13} {'<C, P>':>16}")
    curves = {}
    for method in ("sinkhorn", "sns"):
        res = optkit.solve(problem, method=method, tol=1e-10, max_iter=200000)
        curves[method] = res
        print(f"{method:>16} {res.time:>9.3f} {res.nit:>6d} {res.marginal_error:>13.2e} "
              f"{problem.transport_cost(res.x):>16.12f}")
    try:
        import ot
    except ImportError:
        return curves
    start = time.perf_counter()
    P = ot.sinkhorn(problem.a, problem.b, problem.C, problem.reg, method="sinkhorn", numItermax=100000,
                    stopThr=1e-12)
    err = np.abs(P.sum(1) - problem.a).sum() + np.abs(P.sum(0) - problem.b).sum()
    print(f"{'POT sinkhorn':>16} {time.perf_counter() - start:>9.3f} {'':>6} {err:>13.2e} "
          f"{float(np.sum(problem.C * P)):>16.12f}")
    return curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="optimal_transport.png")
    args = parser.parse_args()

    A, B = digits_pair(3, 8)
    warm = EntropicOT.from_point_clouds(*uniform_clouds(30, seed=1), 1e-2)
    for method in ("sinkhorn", "sns"):  # load the compiled Numba kernels before timing
        optkit.solve(warm, method=method)
    digits = EntropicOT.from_histograms(A, B, 1e-3, metric="sqeuclidean")
    digit_runs = table("digit 3 -> digit 8, squared Euclidean pixel cost", digits)
    X, Y = uniform_clouds(1000, seed=0)
    clouds = EntropicOT.from_point_clouds(X, Y, 1e-3)
    cloud_runs = table("uniform clouds in the unit square", clouds)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for ax, (title, runs) in zip(axes[:2], (("digits 3 -> 8", digit_runs), ("clouds, n = 1000", cloud_runs))):
        for method, res in runs.items():
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
    big = P > 0.02 * P.max()
    for i, j in zip(*np.nonzero(big)):
        ax.annotate("", xy=(dst[j, 1], dst[j, 0]), xytext=(src[i, 1], src[i, 0]),
                    arrowprops=dict(arrowstyle="->", lw=0.4 + 40 * P[i, j], alpha=0.8))
    ax.set_title("plan 3 -> 8 (red: mass of 3, blue: mass of 8)")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"\nsaved {args.out}")


if __name__ == "__main__":
    main()
