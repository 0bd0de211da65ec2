"""Many small entropic OT problems in a row: optkit's default against the fastest peers, per problem.

The small sweep (``python -m benchmarks.transport --small``) times single calls, each after a dozen other
solvers' calls, so every call starts with cold caches. A user who computes many small transports (a distance
matrix between histograms, a barycenter's inner problems, a batch of point clouds) calls one solver many times
in a row instead. Workloads:

- ``clouds``: 40 independent 30 x 30 problems (uniform clouds, seeds 0-39, squared Euclidean cost / max),
  the size where single cold calls lose (``--small``), at reg 1e-2;
- ``digits``: the 45 pairs of the first images of the digits 0-9 as 8 x 8 histograms (their supports,
  squared Euclidean pixel cost), at reg 1e-2 and 1e-3.

Every solver must return plans whose L1 marginal error is <= 1e-8 on every problem; a peer's tolerance is
calibrated on each problem as in the small sweep (the loosest setting that reaches it there), and a peer with
no such setting on some problem is left out of the workload. ``--repeat`` rounds run each solver's whole
batch once, in an order shuffled round by round; the median batch's process time over the problem count is
reported. Run: ``OMP_NUM_THREADS=1 python -m benchmarks.transport_batch`` (writes
``results/transport_batch.json``).
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
import warnings

import numpy as np

from optkit.datasets.transport import digit_image, uniform_clouds
from optkit.problems import EntropicOT

from ._harness import Row, write
from ._transport_small import TARGET, _calibrate, _err, _runners

PEERS = ("regot:sinkhorn_newton", "regot:sinkhorn_ssns", "regot:sinkhorn_sparse_newton", "pot:sinkhorn")


def workloads() -> dict[str, list[EntropicOT]]:
    clouds = [EntropicOT.from_point_clouds(*uniform_clouds(30, seed=s), reg=1e-2) for s in range(40)]
    images = [digit_image(d) for d in range(10)]
    pairs = [(images[i], images[j]) for i in range(10) for j in range(i + 1, 10)]
    out = {"clouds 30 x 30 reg=1e-2 (40)": clouds}
    for reg in (1e-2, 1e-3):
        out[f"digits pairs reg={reg:g} (45)"] = [EntropicOT.from_histograms(A, B, reg=reg) for A, B in pairs]
    return out


def batch(name: str, problems: list[EntropicOT], repeat: int) -> list[Row]:
    """Rows of the workload ``name``: per solver, the median process time of its whole batch over the problem
    count."""
    calls: dict[str, list] = {}  # per solver, one call per problem, its setting calibrated on that problem
    for p in problems:
        chosen = _calibrate(p, {k: v for k, v in _runners(p).items() if k == "optkit:default" or k in PEERS}, 3.0)
        for solver, (call, _) in chosen.items():
            calls.setdefault(solver, []).append(call)
    calls = {k: v for k, v in calls.items() if len(v) == len(problems)}  # a peer with no setting on some is out
    cpu: dict[str, list[float]] = {k: [] for k in calls}
    plans: dict[str, list] = {}
    for r in range(repeat):
        for solver in random.Random(r).sample(list(calls), len(calls)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.process_time()
                out = [c() for c in calls[solver]]
                cpu[solver].append(time.process_time() - start)
            plans[solver] = out
    rows = []
    for solver in calls:
        errors = [_err(p, plan) for p, (plan, _) in zip(problems, plans[solver])]
        package, method = solver.split(":", 1)
        rows.append(Row(name, method, package, statistics.median(cpu[solver]) / len(problems),
                        int(np.median([nit for _, nit in plans[solver]])), float("nan"), "max_l1_marginal_error",
                        max(errors), max(errors) <= TARGET))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rows = []
    print("| workload | optkit default (ms per problem) | fastest peer | peer (ms per problem) | peer / optkit |")
    print("|---|---|---|---|---|")
    for name, problems in workloads().items():
        group = batch(name, problems, args.repeat)
        rows += group
        ours = next(r for r in group if r.package == "optkit")
        peers = [r for r in group if r.package != "optkit" and r.success]
        best = min(peers, key=lambda r: r.time_s)
        print(f"| {name} | {ours.time_s * 1e3:.3f}{'' if ours.success else ' (misses 1e-8)'} | {best.key} | "
              f"{best.time_s * 1e3:.3f} | {best.time_s / ours.time_s:.2f} |", flush=True)
    print(write("transport_batch", rows, {"target": f"L1 marginal error <= {TARGET:g} on every problem",
                                          "repeat": args.repeat, "timing": "median process time of a whole batch "
                                          "over its problem count, rounds shuffled"}))


if __name__ == "__main__":
    main()
