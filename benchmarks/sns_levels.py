"""How SNS hands on the levels of its reg continuation, on small problems (exact Newton steps): the
default (levels from 3e-2 of the cost spread, each handed on at a relative marginal error of 0.3) against
handing on at 1e-3 (the default until December 2026) and against starting the levels at 5e-2.

Instances: uniform clouds of 30, 50 and 100 points at reg 1e-2 and 1e-3 (seed 0, as the small benchmark),
of 40 points at reg 5e-3 and 2e-3 (seeds 1, 2) and the digits 3 -> 8 (L2^2, L1) at reg 1e-3, all to
``tol=1e-8``. The settings run interleaved, ``--repeat`` rounds each, and the median wall time is kept
(the 100-point cell at reg 1e-3 solves by CG, where these settings override the CG defaults; it is left out).

Run: ``OMP_NUM_THREADS=1 python -m benchmarks.sns_levels`` (writes ``results/sns_levels.json``).
"""
from __future__ import annotations

import argparse
import statistics
import time

import optkit
from optkit.datasets.transport import digits_pair, uniform_clouds
from optkit.problems import EntropicOT

from ._harness import Row, write

SETTINGS = {"default": {}, "hand on at 1e-3": dict(level_tol=1e-3), "levels from 5e-2": dict(reg_start=5e-2)}


def instances() -> dict[str, EntropicOT]:
    out = {}
    for n, seed, regs in ((30, 0, (1e-2, 1e-3)), (50, 0, (1e-2, 1e-3)), (100, 0, (1e-2,)), (40, 1, (5e-3, 2e-3)),
                          (40, 2, (5e-3, 2e-3))):
        X, Y = uniform_clouds(n, seed=seed)
        out.update({f"clouds n={n} seed={seed} reg={reg:g}": EntropicOT.from_point_clouds(X, Y, reg=reg)
                    for reg in regs})
    A, B = digits_pair(3, 8)
    for metric, label in (("sqeuclidean", "L2^2"), ("cityblock", "L1")):
        out[f"digits 3->8 {label} reg=1e-3"] = EntropicOT.from_histograms(A, B, reg=1e-3, metric=metric)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    rows = []
    print("| instance | " + " | ".join(f"{k} (s, iterations)" for k in SETTINGS)
          + " | 1e-3 / default | 5e-2 / default |")
    print("|---" * (len(SETTINGS) + 3) + "|")
    for name, problem in instances().items():
        runs = {k: optkit.solve(problem, method="sns", tol=1e-8, **s) for k, s in SETTINGS.items()}
        times: dict[str, list[float]] = {k: [] for k in SETTINGS}
        for _ in range(args.repeat):
            for k, s in SETTINGS.items():
                start = time.perf_counter()
                optkit.solve(problem, method="sns", tol=1e-8, **s)
                times[k].append(time.perf_counter() - start)
        med = {k: statistics.median(v) for k, v in times.items()}
        for k, r in runs.items():
            rows.append(Row(name, k, "optkit", med[k], r.nit, r.fun, "marginal_error", r.marginal_error, r.success))
        cells = " | ".join(f"{med[k]:.2e}, {runs[k].nit}" for k in SETTINGS)
        print(f"| {name} | {cells} | {med['hand on at 1e-3'] / med['default']:.2f} | "
              f"{med['levels from 5e-2'] / med['default']:.2f} |", flush=True)
    print(write("sns_levels", rows, {"repeat": args.repeat, "settings": {k: dict(s) for k, s in SETTINGS.items()}}))


if __name__ == "__main__":
    main()
