"""Where a small entropic OT solve's time goes, with warm and with cold caches, next to regot's Newton method.

The small sweep (``python -m benchmarks.transport --small``) loses at n = 30, reg 1e-2, while optkit's default is
faster than regot's ``sinkhorn_newton`` when the same call repeats back to back. This splits the call:

- ``optkit:default``: ``optkit.solve(problem, tol=1e-8)``, the whole call;
- ``optkit:init``: the default solver's ``init`` alone, which on these sizes makes the whole compiled run (its
  set-up in Python, one kernel call) but neither the run loop nor the plan;
- ``optkit:kernel``: the compiled run alone: the state and the one kernel call that ``init`` ends with, made by a
  solver whose set-up ran before (``_compiled_start``);
- ``optkit:core``: the run loop, options and Result alone: ``optkit.solve`` with a solver of this file that
  makes no arithmetic, its ``ahead`` handing the loop as many rows as the default's run has;
- ``regot:sinkhorn_newton``: regot's call at the setting the small sweep calibrates (plan marginal error <= 1e-8).

Conditions: ``warm``, the five calls back to back in an order shuffled round by round; ``idle``, the same with a
3 ms busy wait before each call, during which the machine's other work evicts the caches; ``peer``, each call
right after an untimed call of one of the small sweep's other peers on the same instance (POT's and regot's
methods at their calibrated settings, drawn at random; regot's ``sinkhorn_newton`` is not drawn, so that no call
follows itself), the state in which most of the sweep's calls start. The median of ``--repeat`` rounds is reported,
in process time, as the sweep's ratios are. A second table splits ``peer`` by the call before: the default's and
regot's ``sinkhorn_newton``'s times right after each of the sweep's solvers (themselves included), over
``--repeat / 5`` rounds.
Run: ``OMP_NUM_THREADS=1 python -m benchmarks.transport_overhead`` (writes ``results/transport_overhead.json``).
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
import warnings
from typing import Any

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


def calibrated(problem: EntropicOT) -> dict[str, Any]:
    """The small sweep's solvers on ``problem`` (optkit's and the peers'), each call at its calibrated setting."""
    return {name: call for name, (call, _) in _calibrate(problem, _runners(problem), 3.0).items()}


def calls(problem: EntropicOT, solvers: dict[str, Any]) -> tuple[dict, list, int]:
    """The five timed calls on ``problem``, the small sweep's peer calls among ``solvers`` (:func:`calibrated`; for
    the ``peer`` condition) and the default's iteration count."""
    res = optkit.solve(problem, tol=1e-8)
    cls = get_solver(res.method)
    opts = cls.Options.build(cls.name, tol=1e-8)
    set_up = cls(problem, opts)
    set_up.init(None)
    if not set_up.compiled:
        raise ValueError(f"{res.method} does not run compiled on {problem.shape}: no kernel call to time alone")
    replay = type("Replay", (_Replay,), {"rows": res.nit})
    timed = {"optkit:default": lambda: optkit.solve(problem, tol=1e-8),
             "optkit:init": lambda: cls(problem, opts).init(None),
             "optkit:kernel": lambda: set_up._compiled_start(None),
             "optkit:core": lambda: optkit.solve(problem, method=replay, tol=1e-8),
             "regot:sinkhorn_newton": solvers["regot:sinkhorn_newton"]}
    others = [call for name, call in solvers.items()  # the peers but regot's Newton, which none follows itself
              if not name.startswith("optkit") and name != "regot:sinkhorn_newton"]
    return timed, others, res.nit


def by_predecessor(problem: EntropicOT, before: dict[str, Any], repeat: int) -> dict[str, dict[str, float]]:
    """Per solver of ``before`` (:func:`calibrated`), the median process time in microseconds of the default's call
    and of regot's ``sinkhorn_newton``'s right after one of its calls."""
    timed = {"default": lambda: optkit.solve(problem, tol=1e-8), "sinkhorn_newton": before["regot:sinkhorn_newton"]}
    times: dict[tuple[str, str], list[float]] = {(b, k): [] for b in before for k in timed}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in range(repeat):
            draw = random.Random(r)
            for b in draw.sample(list(before), len(before)):
                for k in draw.sample(list(timed), len(timed)):
                    before[b]()
                    start = time.process_time()
                    timed[k]()
                    times[(b, k)].append(time.process_time() - start)
    return {b: {k: statistics.median(times[(b, k)]) * 1e6 for k in timed} for b in before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--sizes", type=int, nargs="*", default=(30, 50))
    args = parser.parse_args()
    rows: list[dict] = []
    print("| instance | caches | default (us) | init (us) | kernel (us) | core (us) | regot (us) | regot / default "
          "| regot / init |")
    print("|---|---|---|---|---|---|---|---|---|")
    problems = {n: EntropicOT.from_point_clouds(*uniform_clouds(n, seed=0), reg=1e-2) for n in args.sizes}
    solvers = {n: calibrated(p) for n, p in problems.items()}
    for n in args.sizes:
        name = f"clouds n={n} reg=0.01"
        fns, peers, nit = calls(problems[n], solvers[n])
        for condition in ("warm", "idle", "peer"):
            times: dict[str, list[float]] = {k: [] for k in fns}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for r in range(args.repeat):
                    draw = random.Random(r)
                    for k in draw.sample(list(fns), len(fns)):
                        if condition == "idle":
                            _busy(IDLE_S)
                        elif condition == "peer":
                            draw.choice(peers)()
                        start = time.process_time()
                        fns[k]()
                        times[k].append(time.process_time() - start)
            us = {k.split(":")[1]: statistics.median(v) * 1e6 for k, v in times.items()}
            rows.append({"case": name, "caches": condition, "iterations": nit,
                         **{f"{k}_us": round(v, 1) for k, v in us.items()}})
            print(f"| {name} | {condition} | {us['default']:.0f} | {us['init']:.0f} | {us['kernel']:.0f} | "
                  f"{us['core']:.0f} | {us['sinkhorn_newton']:.0f} | {us['sinkhorn_newton'] / us['default']:.2f} | "
                  f"{us['sinkhorn_newton'] / us['init']:.2f} |", flush=True)
    after: list[dict] = []
    print("\n| instance | call before | default (us) | regot (us) | regot / default |\n|---|---|---|---|---|")
    for n in args.sizes:
        name = f"clouds n={n} reg=0.01"
        split = by_predecessor(problems[n], solvers[n], max(1, args.repeat // 5))
        for b, us in split.items():
            after.append({"case": name, "before": b, **{f"{k}_us": round(v, 1) for k, v in us.items()}})
            print(f"| {name} | {b} | {us['default']:.0f} | {us['sinkhorn_newton']:.0f} | "
                  f"{us['sinkhorn_newton'] / us['default']:.2f} |", flush=True)
    note = "median microseconds of process time per call; the tables are in docs/transport.md"
    print(write("transport_overhead", [], {"rows": rows, "after": after, "repeat": args.repeat, "idle_s": IDLE_S,
                                           "note": note}))


if __name__ == "__main__":
    main()
