"""Why ADAL's tail is slow on the constrained mixture model: the certificate and the active sets along a run.

The mixture model (HoRPCA-M, ``RobustTensorRecovery(..., model="mixture")``) at its default ``lam`` on
Goldfarb & Qin's planted instances (``planted_tucker``, Tucker rank 2, 10% corruptions Uniform[-1, 1]) needs
tens of thousands of iterations to ``tol = 1e-6``. This records, every ``--every`` iterations of one ``adal``
run at its default options:

- the certificate (``optimality``, the relative duality gap) and the objective;
- the dual's active sets, read from the multiplier ``Y`` of the data constraint (``Result.dual``): the
  number of singular values of each unfolding ``M_k(Y)`` within ``1e-4`` of 1 (a spectral-norm ball of the
  dual that is active) and the number of observed entries with ``|Y|`` within ``1e-4`` of ``lam`` (the l1
  block's active set);
- the primal's: the rank of each component (the u-step's singular-value thresholding) and its smallest
  kept singular value, and the support of the u-step's sparse block;
- the fitted tail rate: the slope of ``log(optimality)`` against ``log(iteration)`` over the last half.

Run: ``python -m benchmarks.tensor_mixture`` (``--iters 12000`` for a longer run; results in
``benchmarks/results/tensor_mixture.json`` and ``.png``).

``--lam`` measures recovery against ``lam`` instead: the relative error of ``X`` and the iterations of ``adal``
(at most ``--lam-iters``, default 5000) for ``lam = c / sqrt(rho max n)`` over a grid of ratios ``c``, on the
mixture model's own instances (``planted_mixture``: a sum of three tensors each rank 2 in one mode) and on
planted Tucker ones, 20^3 (seeds 0-1) and 30^3 (seed 0), 10% corrupted, all or 80% observed
(``benchmarks/results/tensor_mixture_lam.json`` and ``.png``). ``--converge`` runs the default (``lam`` and
``max_iter``) on such instances and records iterations, seconds and the certificate
(``benchmarks/results/tensor_mixture_converge.json``).

``--square`` runs the grid of 6^4 planted tensors with ``norm="square"`` instead (singleton constrained model,
default ``lam`` and ``max_iter``; Tucker rank 1-2, corruption 5-20%, 80% or all observed, seeds 0-2) and,
on the same square unfoldings, ``RobustPCA`` with its default method, the same ``lam`` and at most 3000
iterations (``benchmarks/results/tensor_square_6.json``; ``--square-n 8`` for 8^4, ``tensor_square_8.json``).
"""
from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

import optkit
from optkit.datasets import planted_mixture, planted_tucker, relative_error
from optkit.problems import RobustPCA, RobustTensorRecovery
from optkit.solvers.tensor.adal import ADAL

from ._harness import Row, save_figure, write

INSTANCES = {"20^3 rank 2, 10% corrupted, 80% observed": dict(observed=0.8),
             "20^3 rank 2, 10% corrupted, all observed": dict(observed=1.0)}
ACTIVE = 1e-4


def _unfold(A, k):
    return np.moveaxis(A, k, 0).reshape(A.shape[k], -1)


def trace(problem, iters, every):
    """One ``adal`` run at default options, stepped by hand so that the state can be read at each record."""
    solver = ADAL(problem, ADAL.Options())
    s = solver.init(None)
    mask = np.ones(problem.shape, bool) if problem.mask is None else np.asarray(problem.mask)
    records, start, spent = [], time.perf_counter(), 0.0
    for it in range(1, iters + 1):
        s = solver.step(s, measure=it % every == 0)
        if it % every:
            continue
        paused = time.perf_counter()
        check = solver.check(s)
        Y = np.asarray(solver.dual(s))
        parts = [np.asarray(v) for v in s.L]
        unit = [int(np.sum(np.linalg.svd(_unfold(Y, k), compute_uv=False) >= 1 - ACTIVE)) for k in range(len(parts))]
        kept = [np.linalg.svd(_unfold(P, k), compute_uv=False)[:r] for k, (P, r) in enumerate(zip(parts, s.ranks))]
        records.append({"iteration": it, "optimality": check.optimality, "fun": check.fun,
                        "time_s": paused - start - spent,
                        "unit_singular_values": unit, "ranks": list(s.ranks),
                        "smallest_kept_singular_value": [float(v[-1]) if len(v) else 0.0 for v in kept],
                        "box_active": int(np.sum(np.abs(Y[mask]) >= problem.lam * (1 - ACTIVE))),
                        "sparse_support": int(np.sum(np.asarray(s.E)[mask] != 0))})
        spent += time.perf_counter() - paused
    return records


def tail_slope(records):
    """Least-squares slope of log(optimality) on log(iteration) over the second half of the records."""
    half = records[len(records) // 2:]
    x = np.log([r["iteration"] for r in half])
    y = np.log([r["optimality"] for r in half])
    return float(np.polyfit(x, y, 1)[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=6000, help="iterations of each run")
    parser.add_argument("--every", type=int, default=100, help="iterations between records")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--square", action="store_true", help="the 6^4 norm='square' grid instead")
    parser.add_argument("--square-n", type=int, default=6, help="--square on n^4 tensors (results tensor_square_n)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1000 iterations (square: seed 0 only)")
    parser.add_argument("--lam", action="store_true", help="recovery and iterations against lam instead")
    parser.add_argument("--lam-iters", type=int, default=5000, help="max_iter of each --lam run")
    parser.add_argument("--converge", action="store_true", help="the default lam and max_iter on planted instances")
    args = parser.parse_args(argv)
    suffix = "_quick" if args.quick else ""
    if args.lam:
        return lam_grid(max_iter=1000 if args.quick else args.lam_iters, suffix=suffix)
    if args.converge:
        return converge(suffix=suffix, quick=args.quick)
    if args.square:
        return square_grid(seeds=(0,) if args.quick else (0, 1, 2), suffix=suffix, n=args.square_n)
    if args.quick:
        args.iters = min(args.iters, 1000)
    rows, traces = [], {}
    for name, kw in INSTANCES.items():
        P = planted_tucker((20, 20, 20), 2, corruption=0.1, seed=args.seed, **kw)
        problem = RobustTensorRecovery(P.T, mask=P.mask, model="mixture")
        records = trace(problem, args.iters, args.every)
        last = records[-1]
        slope = tail_slope(records)
        traces[name] = {"records": records, "tail_slope": slope}
        rows.append(Row(name, "adal", "optkit", last["time_s"], last["iteration"], last["fun"],
                        "relative duality gap", last["optimality"], last["optimality"] <= 1e-6))
        print(f"{name}: optimality {last['optimality']:.2e} after {last['iteration']} iterations "
              f"({last['time_s']:.1f} s), tail slope {slope:.2f}; unit singular values of M_k(Y) "
              f"{records[0]['unit_singular_values']} -> {last['unit_singular_values']}, ranks "
              f"{records[0]['ranks']} -> {last['ranks']}, |Y| = lam on {records[0]['box_active']} -> "
              f"{last['box_active']} entries", flush=True)
    path = write("tensor_mixture" + suffix, rows, {"iters": args.iters, "every": args.every, "seed": args.seed,
                                          "active_tolerance": ACTIVE, "traces": traces})
    _plot(traces, "tensor_mixture" + suffix)
    print(f"written: {path}")
    return rows


def square_grid(max_iter=None, matrix_max_iter=3000, seeds=(0, 1, 2), suffix="", n=6):
    """``adal`` on n^4 planted tensors with the square norm (its default ``max_iter`` unless one is given), and
    ``RobustPCA`` on the same unfoldings (``matrix_max_iter`` iterations at most)."""
    rows = []
    for rank, corruption, observed, seed in itertools.product((1, 2), (0.05, 0.1, 0.2), (1.0, 0.8), seeds):
        P = planted_tucker((n,) * 4, rank, corruption=corruption, observed=observed, seed=seed)
        problem = RobustTensorRecovery(P.T, mask=P.mask, norm="square")
        m = problem.matricizations[0]
        mask = None if P.mask is None else np.asarray(m.unfold(P.mask))
        matrix = RobustPCA(np.asarray(m.unfold(P.T)), mask=mask, lam=problem.lam)
        name = f"{n}^4 rank {rank}, {corruption:.0%} corrupted, {observed:.0%} observed, seed {seed}"
        for prob, label in ((problem, "adal"), (matrix, "RobustPCA default")):
            start = time.perf_counter()
            limit = matrix_max_iter if prob is matrix else max_iter
            res = optkit.solve(prob, **({} if limit is None else {"max_iter": limit}))
            rows.append(Row(name, f"{res.method} ({label})", "optkit", time.perf_counter() - start, res.nit,
                            res.fun, "optimality", res.optimality, bool(res.success)))
        print(f"{name}: adal {rows[-2].iterations} iterations, {rows[-2].measure:.2e}; RobustPCA "
              f"{rows[-1].method} {rows[-1].iterations}, {rows[-1].measure:.2e}", flush=True)
    path = write(f"tensor_square_{n}" + suffix, rows, {"max_iter": max_iter, "matrix_max_iter": matrix_max_iter,
                                                    "note": "default options and lam; the RobustPCA rows solve "
                                                            "the square unfolding with the tensor's lam"})
    failed = sum(not r.success for r in rows if r.method.startswith("adal"))
    print(f"adal: {failed} of {len(rows) // 2} stop at max_iter = {max_iter or 'default'}\nwritten: {path}")
    return rows


LAM_RATIOS = (0.2, 0.25, 0.3, 0.35, 0.4)
GENERATORS = {"mixture": planted_mixture, "tucker": planted_tucker}


def _instances(sizes_seeds):
    for kind, (n, seeds), observed in itertools.product(GENERATORS, sizes_seeds, (1.0, 0.8)):
        for seed in seeds:
            P = GENERATORS[kind]((n, n, n), 2, corruption=0.1, observed=observed, seed=seed)
            yield f"{kind} {n}^3 rank 2, 10% corrupted, {observed:.0%} observed, seed {seed}", P


def lam_grid(max_iter=5000, ratios=LAM_RATIOS, sizes_seeds=((20, (0, 1)), (30, (0,))), suffix=""):
    """Recovery error and ``adal``'s iterations for ``lam = c / sqrt(rho max n)``, ``c`` in ``ratios``."""
    rows, errors = [], {}
    for name, P in _instances(sizes_seeds):
        rho = 1.0 if P.mask is None else float(np.mean(P.mask))
        errors[name] = []
        for c in ratios:
            problem = RobustTensorRecovery(P.T, mask=P.mask, model="mixture", lam=c / np.sqrt(rho * P.T.shape[0]))
            start = time.perf_counter()
            res = optkit.solve(problem, max_iter=max_iter)
            rows.append(Row(name, f"adal, lam = {c} / sqrt(rho n)", "optkit", time.perf_counter() - start, res.nit,
                            res.fun, "relative duality gap", res.optimality, bool(res.success)))
            errors[name].append({"ratio": c, "recovery_error": relative_error(res.x.X, P.X), "iterations": res.nit,
                                 "optimal": bool(res.success), "optimality": res.optimality})
            print(f"{name}, c = {c}: {res.status.name} after {res.nit} iterations ({res.optimality:.1e}), "
                  f"recovery error {errors[name][-1]['recovery_error']:.2e}", flush=True)
    path = write("tensor_mixture_lam" + suffix, rows, {"max_iter": max_iter, "ratios": list(ratios),
                                                      "recovery": errors})
    _plot_lam(errors, "tensor_mixture_lam" + suffix)
    print(f"written: {path}")
    return rows


CONVERGE = ((20, (0, 1, 2)), (30, (0, 1)))


def converge(suffix="", quick=False):
    """The default ``lam`` and ``max_iter`` on planted mixtures and planted Tucker tensors (20^3 Tucker: seed 0)."""
    rows = []
    sizes_seeds = ((12, (0,)),) if quick else CONVERGE
    for name, P in _instances(sizes_seeds):
        if name.startswith("tucker") and not name.endswith("seed 0"):
            continue
        problem = RobustTensorRecovery(P.T, mask=P.mask, model="mixture")
        start = time.perf_counter()
        res = optkit.solve(problem)
        rows.append(Row(name, "adal (defaults)", "optkit", time.perf_counter() - start, res.nit, res.fun,
                        "relative duality gap", res.optimality, bool(res.success)))
        print(f"{name}: {res.status.name} after {res.nit} iterations, {rows[-1].time_s:.1f} s, "
              f"{res.optimality:.1e}, recovery error {relative_error(res.x.X, P.X):.2e}", flush=True)
    path = write("tensor_mixture_converge" + suffix, rows, {"note": "default lam and max_iter"})
    print(f"written: {path}")
    return rows


def _pyplot():
    """matplotlib's pyplot on the Agg backend, or None without matplotlib."""
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:  # pragma: no cover
        return None
    return plt


def _plot_lam(errors, family):
    plt = _pyplot()
    if plt is None:  # pragma: no cover
        return None
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for i, (name, recs) in enumerate(errors.items()):
        c = [r["ratio"] for r in recs]
        style = "-" if name.startswith("mixture") else "--"
        line, = axes[0].semilogy(c, [r["recovery_error"] for r in recs], style, marker="o", label=name,
                                 color=plt.cm.tab20(i % 20))
        axes[0].semilogy([r["ratio"] for r in recs if not r["optimal"]],
                         [r["recovery_error"] for r in recs if not r["optimal"]], "x", color="k")
        axes[1].plot(c, [r["iterations"] for r in recs], style, marker="o", color=line.get_color())
    axes[0].set_xlabel("c in lam = c / sqrt(rho max n)")
    axes[0].set_ylabel("relative recovery error of X (x: stopped at max_iter)")
    axes[1].set_xlabel("c")
    axes[1].set_ylabel("adal iterations to tol 1e-6 (capped)")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=6)
    fig.suptitle("mixture model: recovery and convergence against lam (solid: planted mixtures; dashed: Tucker)")
    return save_figure(fig, family)


def _plot(traces, family):
    plt = _pyplot()
    if plt is None:  # pragma: no cover
        return None
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for name, t in traces.items():
        recs = t["records"]
        its = [r["iteration"] for r in recs]
        line, = axes[0].loglog(its, [r["optimality"] for r in recs], label=f"{name} (slope {t['tail_slope']:.2f})")
        ref = recs[-1]["optimality"] * recs[-1]["iteration"]
        axes[0].loglog(its, [ref / i for i in its], ":", color=line.get_color(), alpha=0.6)
        axes[1].plot(its, [sum(r["unit_singular_values"]) for r in recs], color=line.get_color(),
                     label=f"{name}: unit singular values of M_k(Y), all k")
        axes[1].plot(its, [sum(r["ranks"]) for r in recs], "--", color=line.get_color(), label="sum of ranks of X_k")
        axes[2].plot(its, [r["box_active"] for r in recs], color=line.get_color(), label=f"{name}: |Y| = lam")
        axes[2].plot(its, [r["sparse_support"] for r in recs], "--", color=line.get_color(), label="support of E")
    axes[0].set_xlabel("iteration")
    axes[0].set_ylabel("relative duality gap (dotted: c / k)")
    axes[0].grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("iteration")
    axes[1].set_ylabel("count")
    axes[1].grid(True, alpha=0.3)
    axes[1].legend(fontsize=7)
    axes[2].set_xlabel("iteration")
    axes[2].set_ylabel("observed entries")
    axes[2].grid(True, alpha=0.3)
    axes[2].legend(fontsize=7)
    fig.suptitle("adal on the constrained mixture model: a sublinear tail while the active sets keep growing")
    return save_figure(fig, family)


if __name__ == "__main__":
    main()
