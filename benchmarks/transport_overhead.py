"""Where a small entropic OT solve's time goes, with warm and with cold caches, next to regot's Newton method.

The small sweep (``python -m benchmarks.transport --small``) loses at n = 30, reg 1e-2, while optkit's default is
faster than regot's ``sinkhorn_newton`` when the same call repeats back to back. This splits the call:

- ``optkit:default``: ``optkit.solve(problem, tol=1e-8)``, the whole call;
- ``optkit:init``: the default solver's ``init`` alone, which on these sizes makes the whole compiled run (its
  set-up in Python, one kernel call) but neither the run loop nor the plan;
- ``optkit:core``: the run loop, options and Result alone: ``optkit.solve`` with a solver of this file that
  makes no arithmetic, its ``ahead`` handing the loop as many rows as the default's run has;
- ``regot:sinkhorn_newton``: regot's call at the setting the small sweep calibrates (plan marginal error <= 1e-8).

Conditions: ``warm``, the four calls back to back in an order shuffled round by round; ``idle``, the same with a
3 ms busy wait before each call, during which the machine's other work evicts the caches (the state in which the
sweep's calls start: each follows a dozen other solvers' calls). The median of ``--repeat`` rounds is reported.
Run: ``OMP_NUM_THREADS=1 python -m benchmarks.transport_overhead`` (writes ``results/transport_overhead.json``).
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
import warnings

import optkit
from optkit.datasets.transport import uniform_clouds
from optkit.problems import EntropicOT
from optkit._registry import get_solver
from optkit.solvers import Ahead, Check, Solver

from ._harness import write
from ._transport_small import _calibrate, _runners

IDLE_S = 3e-3


class _Replay(Solver):
    """A solver without arithmetic: its ``ahead`` hands the run loop ``rows`` rows, the last one certified."""

    problem_types = (EntropicOT,)
    name = "replay"
    rows = 11

    def init(self, x0):
        return 0

    def check(self, state):
        return Check(None, 1.0, 1.0, {"marginal_error": 1.0})

    def step(self, state, measure):  # the loop takes every row from ahead
        raise AssertionError("_Replay.step")

    def ahead(self, state):
        if state:
            return None
        opt = [1.0 / (i + 2) for i in range(self.rows - 1)] + [0.0]  # only the last row meets any tol
        return Ahead([1.0] * self.rows, opt, {"marginal_error": opt},
                     lambda i: (1, Check(None, 1.0, opt[i], {"marginal_error": opt[i]})))


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def calls(problem: EntropicOT) -> tuple[dict, int]:
    """The four timed calls on ``problem`` and the default's iteration count."""
    res = optkit.solve(problem, tol=1e-8)
    cls = get_solver(res.method)
    opts = cls.Options.build(cls.name, tol=1e-8)
    replay = type("Replay", (_Replay,), {"rows": res.nit})
    peer = _calibrate(problem, {"regot:sinkhorn_newton": _runners(problem)["regot:sinkhorn_newton"]}, 3.0)
    return {"optkit:default": lambda: optkit.solve(problem, tol=1e-8),
            "optkit:init": lambda: cls(problem, opts).init(None),
            "optkit:core": lambda: optkit.solve(problem, method=replay, tol=1e-8),
            "regot:sinkhorn_newton": peer["regot:sinkhorn_newton"][0]}, res.nit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--sizes", type=int, nargs="*", default=(30, 50))
    args = parser.parse_args()
    rows: list[dict] = []
    print("| instance | caches | default (us) | init (us) | core (us) | regot (us) | regot / default | regot / init |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        name = f"clouds n={n} reg=0.01"
        fns, nit = calls(EntropicOT.from_point_clouds(*uniform_clouds(n, seed=0), reg=1e-2))
        for condition, idle in (("warm", 0.0), ("idle", IDLE_S)):
            times: dict[str, list[float]] = {k: [] for k in fns}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for r in range(args.repeat):
                    for k in random.Random(r).sample(list(fns), len(fns)):
                        _busy(idle)
                        start = time.perf_counter()
                        fns[k]()
                        times[k].append(time.perf_counter() - start)
            us = {k.split(":")[1]: statistics.median(v) * 1e6 for k, v in times.items()}
            rows.append({"case": name, "caches": condition, "iterations": nit,
                         **{f"{k}_us": round(v, 1) for k, v in us.items()}})
            print(f"| {name} | {condition} | {us['default']:.0f} | {us['init']:.0f} | {us['core']:.0f} | "
                  f"{us['sinkhorn_newton']:.0f} | {us['sinkhorn_newton'] / us['default']:.2f} | "
                  f"{us['sinkhorn_newton'] / us['init']:.2f} |", flush=True)
    print(write("transport_overhead", [], {"rows": rows, "repeat": args.repeat, "idle_s": IDLE_S,
                                           "note": "median microseconds per call; the table is in docs/transport.md"}))


if __name__ == "__main__":
    main()
