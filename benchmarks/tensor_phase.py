"""Recovery phase transition of HoRPCA (Goldfarb & Qin's synthetic protocol).

A 50 x 50 x 20 tensor of Tucker rank (5, 5, 5) (Gaussian core, random orthonormal factors)
gets a fraction of gross corruptions Uniform[-1, 1] and only a fraction of its entries is
observed. ``adal`` solves the singleton model with missing data at the default
``lambda = 1/sqrt(max n_i)``; a run *recovers* the tensor when
``||X - X0|| / ||X0|| <= 1e-2``. The grid is corruption in {1, 5, 10, ..., 45}% against
observed in {5, 10, ..., 100}%; the picture is the fraction of replicates recovered. A second
panel gives the error against the corruption at 100% observed for ``adal`` and ``adal_ncx``
(Tucker rank 5 given), the paper's other plot.

Run: ``python -m benchmarks.tensor_phase`` (slow: 200 grid points per replicate);
``--quick`` takes a 4 x 5 sub-grid.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import optkit
from optkit.datasets import planted_tucker
from optkit.problems import RobustTensorRecovery

from ._harness import RESULTS, Row, write

SHAPE, RANK, SUCCESS = (50, 50, 20), 5, 1e-2


def _solve(P, method, **options):
    start = time.perf_counter()
    res = optkit.solve(RobustTensorRecovery(P.T, mask=P.mask), method=method, tol=1e-4, max_iter=1000, **options)
    err = float(np.linalg.norm(res.x.X - P.X) / np.linalg.norm(P.X))
    return res, err, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 4 x 5 sub-grid, one replicate")
    parser.add_argument("--replicates", type=int, default=1, help="random replicates per grid point")
    args = parser.parse_args(argv)
    if args.quick:
        corruptions, observed, reps = [0.05, 0.15, 0.25, 0.35], [0.2, 0.4, 0.6, 0.8, 1.0], 1
    else:
        corruptions = [0.01] + [round(0.05 * k, 2) for k in range(1, 10)]
        observed = [round(0.05 * k, 2) for k in range(1, 21)]
        reps = args.replicates
    rows, grid = [], np.zeros((len(corruptions), len(observed)))
    for i, c in enumerate(corruptions):
        for j, o in enumerate(observed):
            for r in range(reps):
                P = planted_tucker(SHAPE, RANK, corruption=c, observed=o, seed=1000 * r + 37 * i + j)
                res, err, t = _solve(P, "adal")
                rows.append(Row(f"corruption={c:g} observed={o:g} rep={r}", "adal", "optkit", t, res.nit, res.fun,
                                "relative_recovery_error", err, err <= SUCCESS))
                grid[i, j] += (err <= SUCCESS) / reps
        print(f"corruption {c:4.2f}: " + " ".join(f"{v:.1f}" for v in grid[i]), flush=True)
    sweep = {"adal": [], "adal_ncx": []}
    for c in corruptions:
        P = planted_tucker(SHAPE, RANK, corruption=c, seed=7)
        for method, opts in (("adal", {}), ("adal_ncx", {"rank": RANK})):
            res, err, t = _solve(P, method, **opts)
            sweep[method].append(err)
            rows.append(Row(f"corruption={c:g} observed=1 sweep", method, "optkit", t, res.nit, res.fun,
                            "relative_recovery_error", err, err <= SUCCESS))
    family = "tensor_phase_quick" if args.quick else "tensor_phase"
    path = write(family, rows, {"shape": SHAPE, "tucker_rank": RANK, "success": f"relative error <= {SUCCESS:g}",
                                "corruptions": corruptions, "observed": observed, "replicates": reps,
                                "recovered_fraction": grid.tolist(), "sweep_full_observation": sweep})
    picture = _plot(family, corruptions, observed, grid, sweep)
    print(f"written: {path}" + (f" and {picture}" if picture else ""))
    return rows


def _plot(family, corruptions, observed, grid, sweep):
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return None
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.5))
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="gray", vmin=0, vmax=1,
                   extent=(observed[0] - 0.025, observed[-1] + 0.025, -0.5, len(corruptions) - 0.5))
    ax.set_yticks(range(len(corruptions)), [f"{100 * c:g}%" for c in corruptions])
    ax.set_xlabel("observed fraction")
    ax.set_ylabel("corrupted fraction")
    ax.set_title(f"HoRPCA-S (adal) on {SHAPE[0]}x{SHAPE[1]}x{SHAPE[2]}, Tucker rank {RANK}: "
                 f"recovered (err <= {SUCCESS:g})", fontsize=9)
    fig.colorbar(im, ax=ax, label="fraction recovered")
    for method, errs in sweep.items():
        bx.semilogy([100 * c for c in corruptions], [max(e, 1e-12) for e in errs], marker="o", label=method)
    bx.axhline(SUCCESS, color="gray", ls="--", lw=1)
    bx.set_xlabel("corrupted entries (%), all observed")
    bx.set_ylabel("relative recovery error")
    bx.grid(True, which="both", alpha=0.3)
    bx.legend()
    fig.tight_layout()
    path = RESULTS / f"{family}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    main()
