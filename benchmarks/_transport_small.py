"""Small entropic OT problems: optkit's default and SNS against every peer, interleaved.

Instances: two uniform clouds of n = 30, 50, 100, 200, 500 points (seeded, squared
Euclidean cost / max) at each ``reg``, and the two 8x8 digits 3 -> 8 as histograms
(33 x 38 support) with the L2^2 and L1 pixel costs at reg 1e-3. Every solver must
return a plan whose L1 marginal error ``||P1 - a||_1 + ||P^T 1 - b||_1`` is <= 1e-8,
measured on the returned plan the same way for all; optkit stops on that measure
(``tol=1e-8``). A peer's tolerance means something else, so it is calibrated first:
the loosest of a sweep of settings whose plan reaches 1e-8 is the one timed (a peer
with none is left out). Then ``--repeat`` rounds (more for fast instances: up to 181,
or about 12 s, rounded to whole squares below) run every solver once each, interleaved, so load changes
hit everyone alike. A call's time depends on the call before it (what it left in the caches: the same
call measured up to 40% apart in two slots), so the orders form balanced Latin squares (Williams designs,
their labels shuffled square by square, seeded): over a square every solver follows every other exactly
once. The median per solver is
reported, and for optkit's two columns a 95% interval of the process-time ratio to the fastest peer (a seeded
percentile bootstrap of the two medians, ``RATIO_CI``): a cell whose interval holds 1 is parity, not a win or a
loss. Times are whole calls (``optkit.solve`` or the peer's function), from
already-built inputs. optkit also runs as it did before its compiled paths (the step
path, ``[steps]``), in the same rounds, for the before/after ratios.

Run: ``OMP_NUM_THREADS=1 python -m benchmarks.transport --small`` (``--repeat``, ``--sizes``, ``--regs``,
``--merge``);
regot's OpenMP threads spin when the machine is oversubscribed (a 30 x 30 solve took 16 ms instead of 0.4).
"""
from __future__ import annotations

import json
import math
import random
import statistics
import time
import warnings
from contextlib import contextmanager
from functools import partial

import numpy as np
from scipy.stats import bootstrap

import optkit
from optkit.datasets.transport import digits_pair, uniform_clouds
from optkit.problems import EntropicOT
from optkit.problems.transport import SNS_BELOW
from optkit.solvers.transport import sinkhorn as sinkhorn_module
from optkit.solvers.transport import sns as sns_module

from ._harness import RESULTS, Row, save_figure, write

TARGET = 1e-8
SIZES = (30, 50, 100, 200, 500)
REGS = (1e-2, 1e-3)
CPU: dict[str, float] = {}  # "instance|package:method" -> median process time: robust where the machine is shared
RATIO_CI: dict[str, tuple[float, float]] = {}  # "instance|optkit:method" -> 95% interval of peer / optkit (CPU)
MAX_ROUNDS, ROUND_SECONDS = 181, 12.0  # the median of many rounds is what survives a loaded machine's hiccups
REGOT = ("sinkhorn_ssns", "sinkhorn_bcd", "sinkhorn_newton", "sinkhorn_sparse_newton", "sinkhorn_splr",
         "sinkhorn_lbfgs_dual")


@contextmanager
def _step_path():
    """Sinkhorn and SNS as they ran before their compiled paths: one Python step per iteration (the before
    columns)."""
    modules = (sinkhorn_module, sns_module)
    compiled = [m.ot_run_compiled for m in modules]
    for m in modules:
        m.ot_run_compiled = lambda *args: False
    try:
        yield
    finally:
        for m, c in zip(modules, compiled):
            m.ot_run_compiled = c


def _err(problem: EntropicOT, P: np.ndarray) -> float:
    if P is None or not np.all(np.isfinite(P)):
        return math.inf
    return float(np.abs(P.sum(1) - problem.a).sum() + np.abs(P.sum(0) - problem.b).sum())


def _runners(problem: EntropicOT) -> dict[str, tuple]:
    """Per solver: ``(call, settings)``; ``call(setting, max_iter)`` returns ``(plan, iterations)``, and the
    settings are tried loosest first (optkit has one: ``tol=1e-8`` on its own certificate)."""
    import ot  # noqa: PLC0415
    import regot  # noqa: PLC0415

    a, b, C, reg = problem.a, problem.b, problem.C, problem.reg
    M = np.asfortranarray(C)
    n = problem.shape[0]

    def ours(method, tol, cap):  # optkit runs with its own iteration limit
        res = optkit.solve(problem, method=method, tol=tol)
        return res.x, res.nit

    def stepwise(method, tol, cap):  # before the compiled paths: one Python step per iteration
        with _step_path():
            return ours(method, tol, cap)

    def pot(method, tol, cap):
        P, log = ot.sinkhorn(a, b, C, reg, method=method, numItermax=cap, stopThr=tol, log=True)
        return P, int(log.get("niter", 0))

    def reg_ot(method, tol, cap):
        res = getattr(regot, method)(M, a, b, reg, tol=tol, max_iter=cap)
        return np.asarray(res.plan), int(res.niter)

    out = {f"optkit:{m}": (partial(ours, problem.default_method if m == "default" else m), (TARGET,))
           for m in ("default", "sns")}
    before = "sinkhorn" if reg >= SNS_BELOW * problem.cost_spread else "sns"  # the default by reg alone
    out["optkit:default[steps]"] = (partial(stepwise, before), (TARGET,))
    out["optkit:sns[steps]"] = (partial(stepwise, "sns"), (TARGET,))
    for method in ("sinkhorn", "sinkhorn_log"):
        out[f"pot:{method}"] = (partial(pot, method), (3e-9, 1e-9, TARGET / math.sqrt(n), TARGET / n))
    for method in REGOT:
        out[f"regot:{method}"] = (partial(reg_ot, method), (TARGET, 1e-9, TARGET / math.sqrt(2 * n), TARGET / n))
    return out


def _calibrate(problem: EntropicOT, runners: dict[str, tuple], budget: float) -> dict[str, tuple]:
    """Per solver, the first setting whose plan reaches the target, as ``(call, setting index)``.

    A 20-iteration probe gives the time per iteration and the iteration limit is set so that a run
    takes ``budget`` seconds at most; a peer with no setting that reaches the target within it, or
    that raises, is left out (optkit's one setting is always kept and reported as it ends).
    """
    chosen = {}
    for name, (call, settings) in runners.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                start = time.perf_counter()
                call(settings[-1], 20)
                cap = max(100, int(budget / max((time.perf_counter() - start) / 20, 1e-9)))
                for k, setting in enumerate(settings):
                    start = time.perf_counter()
                    P, _ = call(setting, cap)
                    wall = time.perf_counter() - start
                    if _err(problem, P) <= TARGET or name.startswith("optkit"):
                        chosen[name] = (partial(call, setting, cap), k)
                        break
                    if wall > budget:
                        break
            except Exception:  # noqa: BLE001  (a peer that fails on an instance is left out of it)
                continue
    return chosen


def _ratio_interval(peer: list[float], ours: list[float], draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """A 95% percentile-bootstrap interval of ``median(peer) / median(ours)`` (each sample resampled alone)."""
    def ratio(p, o, axis):
        return np.median(p, axis=axis) / np.median(o, axis=axis)

    ci = bootstrap((peer, ours), ratio, n_resamples=draws, vectorized=True, method="percentile",
                   rng=np.random.default_rng(seed)).confidence_interval
    return float(ci.low), float(ci.high)


def _balanced_orders(k: int) -> list[list[int]]:
    """Orders of ``k`` solvers in which every one directly follows every other exactly once: a Williams
    design (``k`` rows when ``k`` is even; with its mirror image, ``2 k``, when odd)."""
    first = [0] + [(j + 1) // 2 if j % 2 else k - j // 2 for j in range(1, k)]  # 0, 1, k - 1, 2, k - 2, ...
    rows = [[(j + i) % k for j in first] for i in range(k)]
    return rows + [row[::-1] for row in rows] if k % 2 else rows


def sweep(sizes=SIZES, regs=REGS, repeat: int = 7, budget: float = 3.0, digits: bool = True) -> list[Row]:
    """Rows of the small-size sweep (median of ``repeat`` interleaved rounds per solver and instance)."""
    instances = []
    for n in sizes:
        X, Y = uniform_clouds(n, seed=0)
        instances += [(f"clouds n={n} reg={reg:g}", EntropicOT.from_point_clouds(X, Y, reg=reg)) for reg in regs]
    if digits:
        A, B = digits_pair(3, 8)
        for metric, label in (("sqeuclidean", "L2^2"), ("cityblock", "L1")):
            instances.append((f"digits 3->8 {label} reg=1e-3", EntropicOT.from_histograms(A, B, reg=1e-3, metric=metric)))
    rows = []
    for name, problem in instances:
        print(f"... {name}", flush=True)
        chosen = _calibrate(problem, _runners(problem), budget)
        names = list(chosen)
        times: dict[str, list[float]] = {k: [] for k in names}
        cpu: dict[str, list[float]] = {k: [] for k in names}
        last: dict[str, tuple] = {}
        square = _balanced_orders(len(names))
        rounds, r, started = max(repeat, len(square)), 0, time.perf_counter()
        while r < rounds:
            labels = random.Random(r // len(square)).sample(names, len(names))
            for k in (labels[i] for i in square[r % len(square)]):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    start, cstart = time.perf_counter(), time.process_time()
                    out = chosen[k][0]()
                    times[k].append(time.perf_counter() - start)
                    cpu[k].append(time.process_time() - cstart)
                last[k] = out
            r += 1
            if r == 1:  # fast instances get more rounds (up to MAX_ROUNDS, about ROUND_SECONDS in all)
                rounds = max(repeat, min(MAX_ROUNDS, int(ROUND_SECONDS / max(time.perf_counter() - started, 1e-9))))
                rounds = len(square) * max(1, round(rounds / len(square)))  # whole squares
        reached = []
        for k in names:
            P, nit = last[k]
            err = _err(problem, P)
            if err <= TARGET:
                reached.append(k)
            package, method = k.split(":", 1)
            label = method if package == "optkit" else f"{method}[{chosen[k][1]}]"
            rows.append(Row(name, label, package, statistics.median(times[k]), nit,
                            float(np.sum(problem.C * P)), "l1_marginal_error", err, err <= TARGET))
            CPU[f"{name}|{rows[-1].key}"] = statistics.median(cpu[k])
        peers = [k for k in reached if not k.startswith("optkit")]
        if peers:
            best = min(peers, key=lambda k: statistics.median(cpu[k]))
            for k in ("optkit:default", "optkit:sns"):
                RATIO_CI[f"{name}|{k}"] = _ratio_interval(cpu[best], cpu[k])
    return rows


def table(rows: list[Row], cpu: bool = False) -> str:
    """Per instance: optkit's default and SNS, now and before (the step path), against the fastest peer
    (median wall times, or with ``cpu`` median process times; ratios > 1: optkit faster)."""

    def t(r):
        return CPU[f"{r.instance}|{r.key}"] if cpu else r.time_s

    lines = ["| instance | default (s) | sns (s) | fastest peer | peer (s) | peer / default | peer / sns "
             "| before: peer / default | before: peer / sns |", "|---|---|---|---|---|---|---|---|---|"]
    for inst in dict.fromkeys(r.instance for r in rows):
        group = [r for r in rows if r.instance == inst]
        ours = {r.method: r for r in group if r.package == "optkit"}
        peers = [r for r in group if r.package != "optkit" and r.success]
        if not peers or any(k not in ours for k in ("default", "sns", "default[steps]", "sns[steps]")):
            continue
        best = min(peers, key=t)

        def cell(r):
            return f"{t(r):.5f}{'' if r.success else ' FAILED'}"

        def ratio(k):
            ci = RATIO_CI.get(f"{inst}|optkit:{k}") if cpu else None
            return f"{t(best) / t(ours[k]):.2f}" + (f" [{ci[0]:.2f}-{ci[1]:.2f}]" if ci else "")

        ratios = " | ".join(ratio(k) for k in ("default", "sns", "default[steps]", "sns[steps]"))
        lines.append(f"| {inst} | {cell(ours['default'])} | {cell(ours['sns'])} | {best.key} | {t(best):.5f} | "
                     f"{ratios} |")
    return "\n".join(lines)


def plot(rows: list[Row], family: str):
    """Median time against n for every solver, one panel per reg (the digits are left to the table)."""
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return None
    clouds = [r for r in rows if r.instance.startswith("clouds")]
    regs = sorted({r.instance.split("reg=")[1] for r in clouds}, key=float, reverse=True)
    if not regs:
        return None
    fig, axes = plt.subplots(1, len(regs), figsize=(6 * len(regs), 4.5), squeeze=False)
    for ax, reg in zip(axes.flat, regs):
        mine = [r for r in clouds if r.instance.endswith(f"reg={reg}") and r.success]
        for key in dict.fromkeys(r.package + ":" + r.method.split("[")[0] for r in mine):
            pts = sorted((int(r.instance.split("n=")[1].split()[0]), r.time_s) for r in mine
                         if r.package + ":" + r.method.split("[")[0] == key)
            style = "-o" if key.startswith("optkit") else "--."
            ax.loglog(*zip(*pts), style, label=key, lw=2 if key.startswith("optkit") else 1)
        ax.set_title(f"uniform clouds, reg={reg}, L1 marginal error <= {TARGET:g}")
        ax.set_xlabel("n = m")
        ax.set_ylabel("median wall time (s)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    return save_figure(fig, family)


def _merged(rows: list[Row]) -> list[Row]:
    """The committed results with the instances of ``rows`` replaced by them (``--merge``: a rerun of some
    cells keeps the others); ``CPU`` gains the kept rows' process times."""
    path = RESULTS / "transport_small.json"
    if not path.exists():
        return rows
    earlier = json.loads(path.read_text())
    fresh = {r.instance for r in rows}
    kept = [Row(**r) for r in earlier["rows"] if r["instance"] not in fresh]
    CPU.update({k: v for k, v in earlier.get("cpu_s", {}).items() if k.split("|", 1)[0] not in fresh})
    RATIO_CI.update({k: tuple(v) for k, v in earlier.get("ratio_ci_cpu", {}).items()
                     if k.split("|", 1)[0] not in fresh})
    order = list(dict.fromkeys([r["instance"] for r in earlier["rows"]] + [r.instance for r in rows]))
    return sorted(kept + rows, key=lambda r: order.index(r.instance))


def main_small(args) -> list[Row]:
    """What ``python -m benchmarks.transport --small`` runs: the sweep, its JSON, plot and table."""
    warm = EntropicOT.from_point_clouds(*uniform_clouds(50, seed=1), reg=1e-3)
    for method in ("sinkhorn", "sns"):
        optkit.solve(warm, method=method, max_iter=500)
    rows = sweep(sizes=args.sizes or SIZES, regs=args.regs or REGS, repeat=args.repeat, budget=min(args.budget, 3.0),
                 digits=not args.merge or not args.sizes)
    if args.merge:
        rows = _merged(rows)
    path = write("transport_small", rows, {"target": f"L1 marginal error <= {TARGET:g}", "repeat": args.repeat,
                                           "timing": "median of interleaved rounds, whole calls", "cpu_s": dict(CPU),
                                           "ratio_ci_cpu": dict(RATIO_CI)})
    plot(rows, "transport_small")
    print("wall time\n" + table(rows) + "\n\nprocess (CPU) time\n" + table(rows, cpu=True))
    print(f"\nwritten: {path}")
    return rows
