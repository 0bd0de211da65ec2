"""Entropic optimal transport: optkit's default, Sinkhorn and SNS against POT and regot.

Grid: n = m in {1000, 2000} points, two independent uniform clouds in the
unit square (seeded), uniform weights, cost = squared Euclidean / max, reg in
{1e-2, 1e-3, 1e-4}; plus two 8x8 digits from scikit-learn as histograms (squared
Euclidean and L1 pixel costs). Every solver must return a plan whose L1 marginal
error ``||P1 - a||_1 + ||P^T 1 - b||_1`` is <= 1e-8, measured here on the returned
plan in the same way for all. optkit stops on exactly that measure (``tol=1e-8``).
A peer's own tolerance means something else (POT: the L2 norm of one marginal,
checked every 10 iterations), so it is swept from loose to tight and the first
setting whose plan reaches 1e-8 is timed. Times are best-of-3 below one second,
single runs above; everything runs in this one process after a warm-up.

Run: ``python -m benchmarks.transport`` (``--quick``: n = 300, reg in {1e-2, 1e-3}, and the digits;
``--small``: the small-size sweep of :mod:`benchmarks._transport_small`, n = 30 ... 500 and the digits
against every peer, interleaved rounds, medians).
"""
from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np

import optkit
from optkit.datasets.transport import digits_pair, uniform_clouds
from optkit.problems import EntropicOT
from optkit.solvers.base import ToleranceWarning

from ._harness import Row, plot_histories, ratio_table, write

TARGET = 1e-8
OPTKIT = ("default", "sinkhorn", "sns")


CPU: dict = {}  # row key -> process (CPU) time of the timed run: robust where the machine is shared


def _timed(fn, slow: float = 1.0):
    """Best-of-3 wall time below ``slow`` seconds, else one run; the CPU time of that run goes to ``_last_cpu``."""
    global _last_cpu
    best, cpu, out = math.inf, math.inf, None
    for k in range(3):
        start, cstart = time.perf_counter(), time.process_time()
        out = fn()
        wall, c = time.perf_counter() - start, time.process_time() - cstart
        if wall < best:
            best, cpu = wall, c
        if k == 0 and wall >= slow:
            break
    _last_cpu = cpu
    return out, best


_last_cpu = math.nan


def _err(problem: EntropicOT, P: np.ndarray) -> float:
    return float(np.abs(P.sum(1) - problem.a).sum() + np.abs(P.sum(0) - problem.b).sum())


def _optkit_rows(name, problem, curves, picks, budget):
    rows = []
    for method in OPTKIT:
        chosen = problem.default_method if method == "default" else method
        if method == "default":
            picks[name] = chosen
        cap = 200000
        if chosen == "sinkhorn":  # plain Sinkhorn at small reg: bounded like the peers
            start = time.perf_counter()
            with warnings.catch_warnings():  # a 20-iteration probe of the time per iteration, no tolerance
                warnings.simplefilter("ignore", ToleranceWarning)
                optkit.solve(problem, method=chosen, tol=1e-300, max_iter=20)
            cap = max(100, int(budget / max((time.perf_counter() - start) / 20, 1e-9)))
        res, t = _timed(lambda m=chosen: optkit.solve(problem, method=m, tol=TARGET, max_iter=cap))
        err = _err(problem, res.x)
        rows.append(Row(name, method, "optkit", t, res.nit, problem.transport_cost(res.x), "l1_marginal_error",
                        err, bool(res.success and err <= TARGET)))
        CPU[f"{name}|{rows[-1].key}"] = _last_cpu
        if method != "default":
            h = res.history
            curves[name][f"optkit {method}"] = (list(h["time"]), list(h["marginal_error"]))
    return rows


def _sweep(name, problem, package, method, run, tols, curves, budget):
    """Time the loosest peer tolerance whose plan reaches TARGET (the tightest tried otherwise).

    A 20-iteration probe estimates the time per iteration; the iteration limit is
    then set so that one run takes about ``budget`` seconds at most (a run that
    hits it is reported with success = False).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        run(tols[-1], 20)
        per_iter = (time.perf_counter() - start) / 20
    cap = max(100, int(budget / max(per_iter, 1e-9)))
    row = None
    for tol in tols:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (P, nit, curve), t = _timed(lambda tol=tol: run(tol, cap))
        err = _err(problem, P) if P is not None and np.all(np.isfinite(P)) else math.inf
        ok = err <= TARGET
        cost = float(np.sum(problem.C * P)) if math.isfinite(err) else math.nan
        row = Row(name, f"{method}(tol={tol:.1e})", package, t, nit, cost, "l1_marginal_error", err, ok)
        CPU[f"{name}|{row.key}"] = _last_cpu
        if curve is not None:
            curves[name][f"{package} {method}"] = curve
        if ok or t > budget or nit >= cap:
            break
    return row


def _pot(problem, method):
    import ot  # noqa: PLC0415

    a, b, C, reg = problem.a, problem.b, problem.C, problem.reg

    def run(tol, max_iter):
        start = time.perf_counter()
        P, log = ot.sinkhorn(a, b, C, reg, method=method, numItermax=max_iter, stopThr=tol, log=True)
        total = time.perf_counter() - start
        errs = [float(e) for e in log.get("err", [])]
        nit = int(log.get("niter", 10 * len(errs)))
        # POT logs its own measure (L2 of one marginal) every 10 iterations; times are spread evenly
        ts = [total * (k + 1) / max(len(errs), 1) for k in range(len(errs))]
        return P, nit, (ts, errs)

    return run


def _regot(problem, method):
    import regot  # noqa: PLC0415

    a, b, reg = problem.a, problem.b, problem.reg
    M = np.asfortranarray(problem.C)
    fn = getattr(regot, method)

    def run(tol, max_iter):
        res = fn(M, a, b, reg, tol=tol, max_iter=max_iter)
        # regot records run_times in milliseconds
        return np.asarray(res.plan), int(res.niter), ([t / 1000.0 for t in res.run_times], list(res.mar_errs))

    return run


def case(name, problem, curves, picks, budget, log_domain=True):
    curves[name] = {}
    rows = _optkit_rows(name, problem, curves, picks, budget)
    n = problem.shape[0]
    pot_tols = (3e-9, 1e-9, TARGET / math.sqrt(n), TARGET / n)
    regot_tols = (TARGET, 1e-9, TARGET / math.sqrt(2 * n), TARGET / n)
    rows.append(_sweep(name, problem, "pot", "sinkhorn", _pot(problem, "sinkhorn"), pot_tols, curves,
                       budget))
    if log_domain:
        rows.append(_sweep(name, problem, "pot", "sinkhorn_log", _pot(problem, "sinkhorn_log"), pot_tols,
                           curves, budget))
    rows.append(_sweep(name, problem, "regot", "sinkhorn_ssns", _regot(problem, "sinkhorn_ssns"),
                       regot_tols, curves, budget))
    rows.append(_sweep(name, problem, "regot", "sinkhorn_bcd", _regot(problem, "sinkhorn_bcd"),
                       regot_tols, curves, budget))
    return rows


def fastest_peer_table(rows, picks) -> str:
    """Per instance: optkit's default against the fastest peer that reached the target (wall and CPU time)."""
    lines = ["| instance | optkit default | wall (s) | CPU (s) | fastest peer (wall) | wall (s) | CPU (s) "
             "| peer / optkit, wall | peer / optkit, CPU |", "|---|---|---|---|---|---|---|---|---|"]
    for inst in dict.fromkeys(r.instance for r in rows):
        group = [r for r in rows if r.instance == inst]
        ours = next(r for r in group if r.package == "optkit" and r.method == "default")
        oc = CPU.get(f"{inst}|{ours.key}", math.nan)
        label = f"{picks.get(inst, '?')}{'' if ours.success else ' FAILED'}"
        peers = [r for r in group if r.package != "optkit" and r.success]
        if not peers:
            lines.append(f"| {inst} | {label} | {ours.time_s:.3f} | {oc:.3f} | none reached 1e-8 | - | - | - | - |")
            continue
        best = min(peers, key=lambda r: r.time_s)
        bc = min(CPU.get(f"{inst}|{r.key}", math.nan) for r in peers)
        lines.append(f"| {inst} | {label} | {ours.time_s:.3f} | {oc:.3f} | {best.key} | {best.time_s:.3f} | "
                     f"{CPU.get(f'{inst}|{best.key}', math.nan):.3f} | {best.time_s / ours.time_s:.2f} | "
                     f"{bc / oc:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 300, reg >= 1e-3 and the digits (smoke run)")
    parser.add_argument("--sizes", type=int, nargs="*", default=None, help="override the cloud sizes")
    parser.add_argument("--regs", type=float, nargs="*", default=None, help="override the reg values")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="a peer setting slower than this many seconds ends that peer's sweep")
    parser.add_argument("--log-domain-max-n", type=int, default=1000,
                        help="run POT sinkhorn_log only up to this n (it is 30-100x slower than sinkhorn)")
    parser.add_argument("--small", action="store_true",
                        help="the small-size sweep (n = 30 ... 500 and the digits, interleaved rounds, medians)")
    parser.add_argument("--repeat", type=int, default=7, help="--small: interleaved rounds per instance")
    parser.add_argument("--merge", action="store_true",
                        help="--small: replace only the instances run in the committed results (with --sizes: "
                             "no digits), keep the others")
    args = parser.parse_args(argv)
    if args.small:
        from ._transport_small import main_small  # noqa: PLC0415

        return main_small(args)
    # compile the Numba kernels before timing
    warm = EntropicOT.from_point_clouds(*uniform_clouds(50, seed=1), reg=1e-3)
    for method in ("sinkhorn", "sns"):
        optkit.solve(warm, method=method, max_iter=500)
    sizes = args.sizes or ([300] if args.quick else [1000, 2000])
    regs = args.regs or ([1e-2, 1e-3] if args.quick else [1e-2, 1e-3, 1e-4])
    if args.quick:
        args.budget = min(args.budget, 5.0)
    curves: dict = {}
    picks: dict = {}
    rows = []
    for n in sizes:
        X, Y = uniform_clouds(n, seed=0)
        for reg in regs:
            problem = EntropicOT.from_point_clouds(X, Y, reg=reg)
            name = f"clouds n={n} reg={reg:g}"
            print(f"... {name}", flush=True)
            rows += case(name, problem, curves, picks, args.budget, log_domain=n <= args.log_domain_max_n)
    for metric, label in (("sqeuclidean", "L2^2"), ("cityblock", "L1")):
        A, B = digits_pair(3, 8)
        problem = EntropicOT.from_histograms(A, B, reg=1e-3, metric=metric)
        name = f"digits 3->8 {label} reg=1e-3"
        print(f"... {name}", flush=True)
        rows += case(name, problem, curves, picks, args.budget)
    family = "transport_quick" if args.quick else "transport"
    path = write(family, rows, {"target": f"L1 marginal error <= {TARGET:g}", "default_method": picks,
                                "cpu_s": dict(CPU)})
    plot_histories(family, curves, "marginal error (optkit, regot: L1; POT: L2 of one marginal)")
    print(ratio_table(rows, "default"))
    print()
    print(fastest_peer_table(rows, picks))
    print(f"\nwritten: {path}")
    return rows


if __name__ == "__main__":
    main()
