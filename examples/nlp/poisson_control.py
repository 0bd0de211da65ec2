"""Distributed control of the Poisson equation: the controlled state and the control.

    minimise  1/2 ||w - w_target||^2 + alpha/2 ||z||^2   subject to  -Laplacian_h w = z

on an N x N grid of [-1, 1]^2 with zero boundary values (the PDE experiment of Hong, Na, Mahoney &
Kolar, ICML 2023). The script solves it with the problem's default method (``sqp``: one sparse
factorisation of the KKT matrix), checks the answer against CVXPY at a small N, runs AdaSketch-Newton
(``exact_al``) at that small N for comparison, and saves a picture of the target, the controlled
state ``w`` and the control ``z``, with the KKT residual against iterations of both methods.

Run: python examples/nlp/poisson_control.py [--N 64] [--out poisson_control.png]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import optkit
from optkit.problems import PoissonControl
from optkit.validate import validate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=64, help="interior grid points per side")
    parser.add_argument("--out", default="poisson_control.png")
    args = parser.parse_args()

    problem = PoissonControl(args.N)
    start = time.perf_counter()
    res = optkit.solve(problem, tol=1e-10)
    print(f"PoissonControl(N={args.N}): n = {problem.n}, m = {problem.m}, method {res.method}: {res.status.name} in "
          f"{res.nit} iterations, {time.perf_counter() - start:.2f} s, KKT residual {res.kkt_residual:.1e}, "
          f"objective {res.fun:.6f}")

    small = PoissonControl(8)
    histories = {}
    for method in ("sqp", "exact_al"):
        r = optkit.solve(small, method=method, tol=1e-10, max_iter=40, **({"seed": 0} if method == "exact_al" else {}))
        report = validate(small, r)
        histories[method] = (r.history["nit"], r.history["kkt_residual"])
        print(f"  N = 8, {method:8s}: {r.status.name}, {r.nit} iterations, KKT residual {r.kkt_residual:.1e}, "
              f"objective gap to CVXPY {report.objective_gap:.1e}, sketch steps {sum(r.info['sketch_iterations'])}")

    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return
    w, z = (np.asarray(a) for a in problem.state_control(res.x))
    target = np.asarray(problem.w_target).reshape(args.N, args.N)
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    for ax, (title, img) in zip(axes, (("target w*", target), ("controlled state w", w), ("control z = -Lap w", z))):
        im = ax.imshow(img, extent=(-1, 1, -1, 1), origin="lower", cmap="viridis")
        ax.set_title(title)
        fig.colorbar(im, ax=ax, shrink=0.8)
    for method, (it, kkt) in histories.items():
        axes[3].semilogy(it, np.maximum(kkt, 1e-17), marker=".", label=method)
    axes[3].set_title("N = 8: KKT residual")
    axes[3].set_xlabel("outer iteration")
    axes[3].legend()
    axes[3].grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
