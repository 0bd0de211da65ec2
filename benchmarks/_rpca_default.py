"""Which method ``CompressivePCP`` should default to: ``fw_t`` against ``pcp_apg`` on a grid.

Instances are ``lowrank_sparse_instance(m, n, rank=r, noise=0.01, observed=rho, seed=s)`` with the
authors' weights ``CompressivePCP.from_noise_level(M, mask, delta=delta)``, over observed fractions
``rho``, both noise levels ``delta`` of the paper's code (1e-3 and 1e-2), several sizes and seeds.
Each method runs as ``optkit.solve(problem, method=...)`` runs it, at its own default tolerance
(``fw_t`` 1e-3, ``pcp_apg`` 1e-4) and iteration limit (1000, 5000), interleaved on the same instance in one process after a warm-up;
the row keeps the status, iterations, wall and CPU time and final relative gap. On a shared machine
the CPU time of the process is the comparable cost (run with ``OPENBLAS_NUM_THREADS=1``: every
kernel is serial at these sizes); a run is stopped after ``--cap`` CPU seconds (a callback) and
counted as not converged. The weights also give the
instance's effective noise level ``lam_L / (rho ||P_Omega M||_F)`` (= ``delta``), which is what the
default rule reads.

``--video`` adds the 25344-pixel video (``surveillance_video(frames, missing=1 - observed)``, 40 frames
fully and 75% observed, 100 frames fully observed, ``delta = 1e-3``, capped at ``--video-cap`` CPU seconds,
40 by default); ``--frames 200 400`` adds fully observed videos of those lengths (``--sizes`` with no size
runs the videos alone; ``--repeat 3`` solves each instance and video three times, alternating the
methods' order).

Run: ``OPENBLAS_NUM_THREADS=1 python -m benchmarks._rpca_default`` (``--sizes 60x50 200x150``,
``--fractions``, ``--deltas`` to run a part; ``--merge`` adds the rows to an existing
``results/rpca_default.json`` instead of replacing it).
"""
from __future__ import annotations

import argparse
import json
import time

import optkit
from optkit.datasets import lowrank_sparse_instance, surveillance_video
from optkit.problems import CompressivePCP

from ._harness import RESULTS, write

FRACTIONS = (0.3, 0.5, 0.7, 0.9, 1.0)
DELTAS = (1e-3, 1e-2)
SIZES = {"60x50": (60, 50, 3, (0, 1)), "200x150": (200, 150, 5, (0,)), "1000x200": (1000, 200, 5, (0,))}
METHODS = ("fw_t", "pcp_apg")
DEFAULT_TOL = {"fw_t": 1e-3, "pcp_apg": 1e-4}


def _instance(m: int, n: int, rank: int, rho: float, delta: float, seed: int) -> CompressivePCP:
    M, _, _, mask = lowrank_sparse_instance(m, n, rank=rank, noise=0.01, observed=rho, seed=seed)
    return CompressivePCP.from_noise_level(M, mask, delta=delta)


def _capped(cap: float):
    start = time.process_time()
    return lambda snapshot: time.process_time() - start > cap


def run(sizes: list[str], cap: float, fractions: tuple = FRACTIONS, deltas: tuple = DELTAS,
        repeat: int = 1) -> list[dict]:
    """The grid rows; with ``repeat > 1`` each instance is solved that many times by each method, the
    order of the methods alternating between repetitions (the summary takes the median)."""
    rows = []
    for size in sizes:
        m, n, rank, seeds = SIZES[size]
        for delta in deltas:
            for rho in fractions:
                for seed in seeds:
                    problem = _instance(m, n, rank, rho, delta, seed)
                    for rep in range(repeat):
                        for method in METHODS[::-1] if rep % 2 else METHODS:
                            res, elapsed, cpu = _timed(problem, method, cap)
                            rows.append(_row(size, rank, rho, delta, seed, method, res, elapsed, cpu) | {"repeat": rep})
                            print(json.dumps(rows[-1]), flush=True)
    return rows


def _row(size, rank, rho, delta, seed, method, res, elapsed, cpu) -> dict:
    return {"size": size, "rank": rank, "observed": rho, "delta": delta, "seed": seed, "tol": DEFAULT_TOL[method],
            "method": method, "status": res.status.name, "success": res.success, "iterations": res.nit,
            "time_s": elapsed, "cpu_s": cpu, "optimality": res.optimality}


def _timed(problem: CompressivePCP, method: str, cap: float):
    start, cpu = time.perf_counter(), time.process_time()
    res = optkit.solve(problem, method=method, callback=_capped(cap))
    return res, time.perf_counter() - start, time.process_time() - cpu


VIDEOS = ((40, 1.0), (40, 0.75), (100, 1.0))


def video(cap: float = 40.0, videos: tuple = VIDEOS, repeat: int = 1) -> list[dict]:
    """The video rows; with ``repeat > 1`` each video is solved that many times by each method, the
    order of the methods alternating between repetitions (the summary takes the median)."""
    rows = []
    for frames, rho in videos:
        v = surveillance_video(frames, missing=1.0 - rho, seed=0)
        problem = CompressivePCP.from_noise_level(v.M, v.observed, delta=1e-3)
        for rep in range(repeat):
            for method in METHODS[::-1] if rep % 2 else METHODS:
                res, elapsed, cpu = _timed(problem, method, cap)
                rows.append(_row(f"video {problem.shape[0]}x{problem.shape[1]}", None, rho, 1e-3, 0, method, res,
                                 elapsed, cpu) | {"repeat": rep})
                print(json.dumps(rows[-1]), flush=True)
    return rows


def summary(rows: list[dict]) -> str:
    """Markdown: per (size, delta, observed), each method's converged runs / runs, median iterations and time."""
    lines = ["| size | delta | observed | fw_t conv. | fw_t it | fw_t CPU s | pcp_apg conv. | pcp_apg it | pcp_apg CPU s |",
             "|---|---|---|---|---|---|---|---|---|"]
    keys = dict.fromkeys((r["size"], r["delta"], r["observed"]) for r in rows)
    for size, delta, rho in keys:
        cells = []
        for method in METHODS:
            group = [r for r in rows if (r["size"], r["delta"], r["observed"], r["method"])
                     == (size, delta, rho, method)]
            ok = sum(r["success"] for r in group)
            its = sorted(r["iterations"] for r in group)
            ts = sorted(r.get("cpu_s", r["time_s"]) for r in group)
            cells += [f"{ok}/{len(group)}", str(its[len(its) // 2]), f"{ts[len(ts) // 2]:.2f}"]
        lines.append(f"| {size} | {delta:g} | {rho:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def plot(rows: list[dict], name: str = "rpca_default") -> None:
    """One panel per synthetic size and noise level (CPU time against the observed fraction), and one
    for the fully observed videos (CPU time against the number of frames)."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    grid = [r for r in rows if not r["size"].startswith("video")]
    videos = [r for r in rows if r["size"].startswith("video") and r["observed"] == 1.0]
    sizes = list(dict.fromkeys(r["size"] for r in grid))
    deltas = sorted(dict.fromkeys(r["delta"] for r in grid))
    cols = len(sizes) + bool(videos)
    fig, axes = plt.subplots(max(len(deltas), 1), cols, figsize=(4.5 * cols, 3.6 * max(len(deltas), 1)),
                             squeeze=False)
    styles = (("fw_t", "o-"), ("pcp_apg", "s-"))
    for i, delta in enumerate(deltas):
        for j, size in enumerate(sizes):
            ax = axes[i][j]
            for method, style in styles:
                pts = [(r["observed"], r.get("cpu_s", r["time_s"]), r["success"]) for r in grid
                       if (r["size"], r["delta"], r["method"]) == (size, delta, method)]
                if not pts:
                    continue
                xs = sorted(dict.fromkeys(p[0] for p in pts))
                ax.semilogy(xs, [_median([p[1] for p in pts if p[0] == x]) for x in xs], style,
                            label=f"{method} (tol {DEFAULT_TOL[method]:g})")
                fails = [p for p in pts if not p[2]]
                ax.semilogy([p[0] for p in fails], [p[1] for p in fails], "rx")
            ax.set_title(f"{size}, delta {delta:g} (x: not converged)")
            ax.set_xlabel("observed fraction")
            ax.set_ylabel("CPU time (s)")
            ax.grid(True, which="both", alpha=0.3)
            if ax.lines:
                ax.legend(fontsize=7)
    if videos:
        ax = axes[0][-1]
        for method, style in styles:
            group = [r for r in videos if r["method"] == method]
            frames = sorted(dict.fromkeys(int(r["size"].split("x")[-1]) for r in group))
            ax.loglog(frames, [_median([r["cpu_s"] for r in group if r["size"].endswith(f"x{f}")]) for f in frames],
                      style, label=f"{method} (tol {DEFAULT_TOL[method]:g})")
        ax.set_title("video, fully observed, delta 1e-3 (median)")
        ax.set_xlabel("frames (25344 pixels each)")
        ax.set_ylabel("CPU time (s)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        for i in range(1, len(deltas)):
            axes[i][-1].axis("off")
    fig.tight_layout()
    fig.savefig(RESULTS / f"{name}.png", dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=list(SIZES), choices=list(SIZES),
                        help="grid sizes (none: the video rows only)")
    parser.add_argument("--fractions", nargs="+", type=float, default=list(FRACTIONS), help="observed fractions")
    parser.add_argument("--deltas", nargs="+", type=float, default=list(DELTAS), help="noise levels")
    parser.add_argument("--cap", type=float, default=60.0, help="CPU seconds after which a run is stopped")
    parser.add_argument("--video", action="store_true", help="add the video instances")
    parser.add_argument("--frames", nargs="+", type=int, default=[],
                        help="add fully observed videos of these frame counts (cap: --video-cap)")
    parser.add_argument("--video-cap", type=float, default=40.0, help="CPU seconds after which a video run is stopped")
    parser.add_argument("--repeat", type=int, default=1,
                        help="solve each instance and video this many times (methods alternating)")
    parser.add_argument("--out", default="rpca_default", help="name of the result files")
    parser.add_argument("--merge", action="store_true", help="add to the existing results instead of replacing them")
    parser.add_argument("--note", help="the note stored with the results (say the load and what was rerun)",
                        default="median over seeds and repetitions; CPU seconds, one BLAS thread; shared machine")
    args = parser.parse_args(argv)
    warm = _instance(20, 15, 2, 0.8, 1e-2, 0)          # compile the Numba kernels before timing
    for method in METHODS:
        optkit.solve(warm, method=method, tol=1e-3)
    videos = (VIDEOS if args.video else ()) + tuple((f, 1.0) for f in args.frames)
    rows = (run(args.sizes, args.cap, tuple(args.fractions), tuple(args.deltas), args.repeat)
            + video(args.video_cap, videos, args.repeat))
    path = RESULTS / f"{args.out}.json"
    if args.merge and path.exists():
        def key(r):
            return r["size"], r["delta"], r["observed"], r["seed"], r.get("repeat", 0)
        fresh = {key(r) for r in rows}
        old = [r for r in json.loads(path.read_text())["rows"] if key(r) not in fresh]
        rows = old + rows
    write(args.out, [], {"rows": rows, "note": args.note})
    plot(rows, args.out)
    print(summary(rows))
    return rows


if __name__ == "__main__":
    main()
