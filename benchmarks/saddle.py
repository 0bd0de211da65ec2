"""Saddle-point problems: increasing vs uniform averaging and the last iterate, and optkit against its peers.

Parts (``--parts``, all by default), each in this one process after a warm-up:

- ``averaging``: PDHG without restarts for ``T`` iterations (1000) on every problem (and mirror prox and CFR+ on the
  poker games) -- matrix games
  1000 x 1000 (U[0,1], N(0,1), lognormal), Kuhn and Leduc poker, the Fisher market 200 x 400, TV-l1
  on ``camera`` -- with increasing (``q``) and uniform averages; the last iterate's gap comes from
  the same runs (averaging never changes the iterates). One panel per problem in
  ``saddle_averaging.png`` (the paper's main figure); ``q`` swept on the matrix games, and per method
  (CFR+, PDHG) on Kuhn and Leduc poker.
- ``matrix``: 1000 x 1000 and 2000 x 2000 games of the three payoff families (seed 0) to a gap of
  1e-6 relative to the payoff range: optkit's default against scipy ``linprog`` with HiGHS (interior
  point and dual simplex) on the LP :math:`\\min t` s.t. :math:`A^Tx \\le t`, :math:`x \\in \\Delta`; the
  gap of HiGHS's answer (its primal ``x`` and the duals of the inequalities) is measured the same way.
- ``poker``: Kuhn and Leduc NashConv against time, optkit (default ``cfr_plus`` and ``pdhg``) against
  OpenSpiel's C++ CFR+ (``pyspiel.CFRPlusSolver``) to NashConv 1e-4; OpenSpiel's ``nash_conv`` is
  evaluated every 50 of its iterations outside the timed part. optkit's answer is also converted
  with ``to_openspiel_policy`` and its OpenSpiel NashConv recorded next to optkit's gap.
- ``market``: the Fisher market 200 buyers x 400 goods (seed 0) to a relative Eisenberg-Gale gap of
  1e-6: optkit's default, proportional response and mirror prox against CVXPY (Clarabel, exponential
  cones) on the primal program, whose answer is certified by the same gap (prices = supply duals).
- ``tv``: TV-l1 (lam = 1) on ``camera`` with 10% salt-and-pepper noise: at 64 x 64 against CVXPY
  (Clarabel, second-order cones) to a certified relative suboptimality of 1e-6, and at full size
  (512 x 512) against pyproximal's ``PrimalDual`` (same steps as optkit's fixed ones, objective
  recorded every 10 iterations outside the timed part) to the objective optkit certifies within 1e-3.

Run: ``python -m benchmarks.saddle [--quick] [--parts averaging,matrix,...]``. Results:
``benchmarks/results/saddle.json``, ``saddle.png`` (measure against time), ``saddle_averaging.png``.
"""
from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np

import optkit
from optkit.datasets.saddle import noisy_camera, random_market, random_matrix_game
from optkit.problems import FisherMarket, MarketEquilibrium, MatrixGame, SaddlePoint, SequenceFormGame, TVL1Denoising

from optkit.solvers.saddle._common import Q_DEFAULT

from ._harness import RESULTS, Row, plot_histories, ratio_table, write

PAYOFFS = ("uniform", "normal", "lognormal")


def _warm_up() -> None:
    rng = np.random.default_rng(0)
    optkit.solve(MatrixGame(rng.random((30, 30))), max_iter=50)
    optkit.solve(SequenceFormGame.kuhn(), max_iter=50)
    optkit.solve(SequenceFormGame.kuhn(), method="pdhg", max_iter=50)


def _first(history: dict, key: str, target: float) -> float | None:
    """The iteration count of the first check with ``history[key] <= target``."""
    hit = np.nonzero(np.asarray(history[key]) <= target)[0]
    return float(history["nit"][hit[0]]) if hit.size else None


# -- averaging -------------------------------------------------------------------------------------------------------

def _averaging_problems(quick: bool) -> dict:
    n = 300 if quick else 1000
    out = {f"matrix {n}x{n} {k}": MatrixGame(random_matrix_game(n, payoff=k, seed=0)) for k in PAYOFFS}
    out["Kuhn poker"] = SequenceFormGame.kuhn()
    out["Leduc poker"] = SequenceFormGame.leduc()
    out["Fisher market 200x400"] = FisherMarket(*random_market(50 if quick else 200, 100 if quick else 400, seed=0))
    noisy, _ = noisy_camera(64 if quick else 256, density=0.1, seed=0)
    out[f"TV-l1 camera {noisy.shape[0]}x{noisy.shape[1]}"] = TVL1Denoising(noisy, lam=1.0)
    return out


def _compare(problem, method: str, T: int, **options) -> dict:
    """Increasing and uniform averages of the same iterates (no restarts) after ``T`` iterations."""
    runs = {a: optkit.solve(problem, method=method, averaging=a, tol=1e-300, max_iter=T, check_every=10,
                            stall_checks=0, **options) for a in ("increasing", "uniform")}
    return runs


def averaging(T: int, quick: bool, extra: dict, family: str) -> list[Row]:
    """PDHG without restarts (and CFR+ on the games), increasing against uniform averages of the same iterates.

    Restarts reset the average, so the comparison runs without them (and so with the problems' own
    primal weights, which restarts would adapt).
    """
    rows, curves, summary = [], {}, {}
    for name, problem in _averaging_problems(quick).items():
        print(f"... averaging: {name}", flush=True)
        methods = [("pdhg", {})]
        if isinstance(problem, SequenceFormGame):
            methods += [("mirror_prox", {}), ("cfr_plus", {})]
        for method, opts in methods:
            if method in ("pdhg", "mirror_prox"):
                opts = {"restart": None}
            runs = _compare(problem, method, T, **opts)
            h_inc, h_uni = runs["increasing"].history, runs["uniform"].history
            label = f"{name} ({method})"
            q = Q_DEFAULT
            curves[label] = {f"increasing (q={q:g})": (h_inc["nit"], h_inc["gap"]),
                             "uniform": (h_uni["nit"], h_uni["gap"]),
                             "last iterate": (h_inc["nit"], h_inc["gap_last"])}
            gi, gu, gl = h_inc["gap"][-1], h_uni["gap"][-1], h_inc["gap_last"][-1]
            summary[label] = {"T": T, "increasing": gi, "uniform": gu, "last": gl, "uniform / increasing": gu / gi}
            for avg, g in (("increasing", gi), ("uniform", gu), ("last", gl)):
                rows.append(Row(f"averaging {label}", f"{method}({avg})", "optkit", runs["increasing"].time, T,
                                runs["increasing"].fun, "gap@T", g, bool(avg != "increasing" or gu >= 10 * gi)))
            print(f"    {method}: gap at T={T}: increasing {gi:.2e}, uniform {gu:.2e} ({gu / gi:.1f}x), last {gl:.2e}",
                  flush=True)
    extra["q_sweep_poker"] = _poker_q_sweep(T)
    sweep = {}
    for name, problem in list(_averaging_problems(quick).items())[:3]:
        sweep[name] = {q: float(optkit.solve(problem, method="pdhg", restart=None, q=q, tol=1e-300, max_iter=T,
                                             check_every=T, stall_checks=0).gap) for q in (0.0, 1.0, 2.0, 3.0, 4.0)}
        print(f"    q sweep {name}: " + ", ".join(f"q={q:g}: {g:.2e}" for q, g in sweep[name].items()), flush=True)
    extra["averaging"] = summary
    extra["q_sweep"] = {k: {str(q): g for q, g in v.items()} for k, v in sweep.items()}
    _plot_averaging(curves, "saddle_averaging" + ("_quick" if quick else ""))
    return rows


def _poker_q_sweep(T: int) -> dict:
    """The gap at ``T`` of the increasing average per exponent ``q`` (``q = 0``: the uniform average), per method
    on Kuhn and Leduc poker: CFR+ and PDHG (without restarts, as in the comparison)."""
    qs = {"cfr_plus": (0.0, 0.5, 1.0, 1.5, 2.0, 3.0), "pdhg": (0.0, 0.5, 1.0, 2.0, 3.0)}
    out = {}
    for name, make in (("Kuhn poker", SequenceFormGame.kuhn), ("Leduc poker", SequenceFormGame.leduc)):
        game = make()
        for method, values in qs.items():
            opts = {"restart": None} if method == "pdhg" else {}
            gaps = {q: float(optkit.solve(game, method=method, q=q, tol=1e-300, max_iter=T, check_every=T,
                                          stall_checks=0, **opts).gap) for q in values}
            out[f"{name} ({method})"] = {str(q): {"gap": g, "uniform / increasing": gaps[0.0] / g}
                                         for q, g in gaps.items()}
            print(f"    q sweep {name} ({method}): " + ", ".join(f"q={q:g}: {g:.2e} ({gaps[0.0] / g:.1f}x)"
                                                                 for q, g in gaps.items()), flush=True)
    return out


def _plot_averaging(curves: dict, stem: str) -> None:
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return
    cols = 4
    rows = -(-len(curves) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[len(curves):]:
        ax.set_visible(False)
    for ax, (name, series) in zip(axes.flat, curves.items()):
        for label, (x, y) in series.items():
            ax.loglog(np.maximum(x, 1), np.maximum(y, 1e-16), label=label)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("iterations")
        ax.set_ylabel("saddle-point gap")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / f"{stem}.png", dpi=100)
    plt.close(fig)


# -- matrix games against HiGHS -------------------------------------------------------------------------------------

def _highs(A: np.ndarray, method: str, limit: float) -> tuple[float, float, bool]:
    """HiGHS on the LP form; returns ``(seconds, relative gap of its answer, finished)``."""
    from scipy.optimize import linprog  # noqa: PLC0415

    n, m = A.shape
    c = np.r_[np.zeros(n), 1.0]
    A_ub = np.c_[A.T, -np.ones(m)]
    start = time.perf_counter()
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(m), A_eq=np.r_[np.ones(n), 0.0][None, :], b_eq=[1.0],
                  bounds=[(0, None)] * n + [(None, None)], method=method, options={"time_limit": limit})
    elapsed = time.perf_counter() - start
    if res.status != 0 or res.x is None:
        return elapsed, math.inf, False
    x = np.clip(res.x[:n], 0.0, None)
    y = np.clip(-res.ineqlin.marginals, 0.0, None)
    game = MatrixGame(A)
    return elapsed, game.measures(SaddlePoint(x / x.sum(), y / y.sum()))["optimality"], True


def matrix(sizes: list[int], limit: float, curves: dict) -> list[Row]:
    rows = []
    for n in sizes:
        for kind in PAYOFFS:
            name = f"matrix {n}x{n} {kind}"
            print(f"... {name}", flush=True)
            game = MatrixGame(random_matrix_game(n, payoff=kind, seed=0))
            res = optkit.solve(game, tol=1e-6, max_iter=200000)
            rows.append(Row(name, res.method, "optkit", res.time, res.nit, res.value, "relative gap", res.optimality,
                            res.success))
            curves[name] = {"optkit " + res.method: (list(res.history["time"]), list(res.history["optimality"]))}
            for method in ("highs-ipm", "highs-ds"):
                t, gap, done = _highs(game.A, method, limit)
                rows.append(Row(name, method, "scipy", t, None, math.nan, "relative gap", gap, done and gap <= 1e-6))
            print("    " + ", ".join(f"{r.method} {r.time_s:.2f}s gap {r.measure:.1e}" for r in rows[-3:]), flush=True)
    return rows


# -- poker against OpenSpiel ----------------------------------------------------------------------------------------

def poker(budget: float, curves: dict, extra: dict) -> list[Row]:
    import pyspiel  # noqa: PLC0415
    from open_spiel.python.algorithms import exploitability  # noqa: PLC0415

    rows, target = [], 1e-4
    for name, make in (("Kuhn poker", SequenceFormGame.kuhn), ("Leduc poker", SequenceFormGame.leduc)):
        print(f"... {name}", flush=True)
        game = make()
        curves[name] = {}
        for method in ("default", "pdhg"):
            chosen = game.default_method if method == "default" else method
            res = optkit.solve(game, method=chosen, tol=target / game.payoff_range, max_iter=200000, check_every=10)
            ok = res.success and res.gap <= target
            rows.append(Row(name, f"{chosen} ({method})", "optkit", res.time, res.nit, res.value, "NashConv", res.gap,
                            ok))
            curves[name][f"optkit {chosen}"] = (list(res.history["time"]), list(res.history["gap"]))
            if method == "default":
                osg = pyspiel.load_game(game.name)
                pol = game.to_openspiel_policy(res.x.x, res.x.y, osg)
                extra.setdefault("openspiel_check", {})[name] = {
                    "optkit_gap": res.gap, "openspiel_nash_conv": float(exploitability.nash_conv(osg, pol)),
                    "openspiel_exploitability": float(exploitability.exploitability(osg, pol))}
        osg = pyspiel.load_game(game.name)
        solver = pyspiel.CFRPlusSolver(osg)
        spent, nit, ts, ncs = 0.0, 0, [], []
        while True:
            start = time.perf_counter()
            for _ in range(50):
                solver.evaluate_and_update_policy()
            spent += time.perf_counter() - start
            nit += 50
            nc = float(pyspiel.nash_conv(osg, solver.average_policy()))
            ts.append(spent)
            ncs.append(nc)
            if nc <= target or spent > budget:
                break
        rows.append(Row(name, "CFRPlusSolver (C++)", "open_spiel", spent, nit, math.nan, "NashConv", nc, nc <= target))
        curves[name]["OpenSpiel CFR+"] = (ts, ncs)
        print("    " + ", ".join(f"{r.method} {r.time_s:.2f}s NashConv {r.measure:.1e} ({r.iterations} it)"
                                  for r in rows[-3:]), flush=True)
    return rows


# -- Fisher market against CVXPY -----------------------------------------------------------------------------------

def market(n: int, m: int, curves: dict) -> list[Row]:
    import cvxpy as cp  # noqa: PLC0415

    V, B, s = random_market(n, m, seed=0)
    problem = FisherMarket(V, B, s)
    name = f"Fisher market {n}x{m}"
    print(f"... {name}", flush=True)
    rows, curves[name] = [], {}
    for method in ("default", "proportional_response", "mirror_prox"):
        chosen = problem.default_method if method == "default" else method
        res = optkit.solve(problem, method=chosen, tol=1e-6, max_iter=200000)
        rows.append(Row(name, f"{chosen} ({method})" if method == "default" else chosen, "optkit", res.time, res.nit,
                        res.fun, "relative EG gap", res.optimality, res.success))
        curves[name][f"optkit {chosen}"] = (list(res.history["time"]), list(res.history["optimality"]))
    X = cp.Variable(V.shape, nonneg=True)
    supply = cp.sum(X, axis=0) <= s
    prob = cp.Problem(cp.Maximize(B @ cp.log(cp.sum(cp.multiply(V, X), axis=1))), [supply])
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prob.solve(solver="CLARABEL")
    elapsed = time.perf_counter() - start
    gap = problem.measures(MarketEquilibrium(X.value, np.asarray(supply.dual_value)))["optimality"]
    rows.append(Row(name, "CLARABEL (exp cone)", "cvxpy", elapsed, None, float(prob.value), "relative EG gap", gap,
                    prob.status == "optimal"))
    print("    " + ", ".join(f"{r.method} {r.time_s:.2f}s gap {r.measure:.1e}" for r in rows), flush=True)
    return rows


# -- TV-l1 against CVXPY and pyproximal ------------------------------------------------------------------------------

def tv_small(size: int, curves: dict) -> list[Row]:
    from optkit.validate import reference_solve  # noqa: PLC0415

    noisy, _ = noisy_camera(size, density=0.1, seed=0)
    problem = TVL1Denoising(noisy, lam=1.0)
    name = f"TV-l1 camera {size}x{size}"
    print(f"... {name}", flush=True)
    res = optkit.solve(problem, tol=1e-6, max_iter=200000)
    curves[name] = {"optkit pdhg": (list(res.history["time"]), list(res.history["optimality"]))}
    rows = [Row(name, res.method, "optkit", res.time, res.nit, res.fun, "certified rel. suboptimality",
                res.optimality, res.success)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u, _, status, elapsed = reference_solve(problem)
    rel = (problem.objective(u) - res.fun + res.gap) / problem.objective(u)  # bound from optkit's dual point
    rows.append(Row(name, "CLARABEL (SOC)", "cvxpy", elapsed, None, problem.objective(u), "rel. suboptimality bound",
                    rel, status == "optimal" and rel <= 1e-6))
    print("    " + ", ".join(f"{r.method} {r.time_s:.2f}s {r.measure:.1e}" for r in rows), flush=True)
    return rows


def tv_full(size: int | None, target: float, budget: float, curves: dict) -> list[Row]:
    import pylops  # noqa: PLC0415
    import pyproximal  # noqa: PLC0415
    from pyproximal.optimization.primaldual import PrimalDual  # noqa: PLC0415

    noisy, _ = noisy_camera(size, density=0.1, seed=0)
    problem = TVL1Denoising(noisy, lam=1.0)
    h, w = noisy.shape
    name = f"TV-l1 camera {h}x{w}"
    print(f"... {name}", flush=True)
    res = optkit.solve(problem, tol=target, max_iter=200000, stall_checks=0)
    rows = [Row(name, res.method, "optkit", res.time, res.nit, res.fun, "certified rel. suboptimality",
                res.optimality, res.success)]
    curves[name] = {"optkit pdhg (certified bound)": (list(res.history["time"]), list(res.history["optimality"]))}
    level = res.fun   # pyproximal must reach the objective optkit certified within `target`
    lower = res.fun - res.gap
    G = pylops.Gradient(dims=(h, w), edge=False, kind="forward", dtype="float64")
    step = 0.99 / problem.lipschitz("euclidean")
    f, g = pyproximal.L1(sigma=1.0, g=noisy.ravel()), pyproximal.L21(ndim=2)
    start = time.perf_counter()
    PrimalDual(f, g, G, noisy.ravel(), step, step, niter=20)
    cap = int(budget / max((time.perf_counter() - start) / 20, 1e-6))
    log: dict = {"t": [], "val": [], "nit": 0, "excluded": 0.0}

    def record(x):
        log["nit"] += 1
        if log["nit"] % 10:
            return
        tick = time.perf_counter()
        val = problem.objective(x.reshape(h, w))
        log["t"].append(tick - begin - log["excluded"])
        log["val"].append(val)
        log["excluded"] += time.perf_counter() - tick
        if val <= level:
            raise StopIteration

    begin = time.perf_counter()
    try:
        PrimalDual(f, g, G, noisy.ravel(), step, step, niter=cap, callback=record)
    except StopIteration:
        pass
    spent = time.perf_counter() - begin - log["excluded"]
    nit, val = log["nit"], log["val"][-1]
    ts, gaps = log["t"], [(v - lower) / v for v in log["val"]]
    rows.append(Row(name, "PrimalDual", "pyproximal", spent, nit, val, "rel. suboptimality bound", gaps[-1],
                    val <= level))
    curves[name]["pyproximal PrimalDual (same bound)"] = (ts, gaps)
    print("    " + ", ".join(f"{r.method} {r.time_s:.2f}s {r.measure:.1e} ({r.iterations} it)" for r in rows),
          flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--parts", default="averaging,matrix,poker,market,tv")
    parser.add_argument("--T", type=int, default=1000, help="iterations of the averaging comparison")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds a peer may run")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    every = {"averaging", "matrix", "poker", "market", "tv"}
    family = "saddle" if parts >= every else "saddle_" + "_".join(sorted(parts))
    family += "_quick" if args.quick else ""
    _warm_up()
    rows, curves, extra = [], {}, {}
    if "averaging" in parts:
        rows += averaging(args.T, args.quick, extra, family)
    if "matrix" in parts:
        rows += matrix([300] if args.quick else [1000, 2000], args.budget, curves)
    if "poker" in parts:
        rows += poker(20.0 if args.quick else args.budget, curves, extra)
    if "market" in parts:
        rows += market(*((40, 80) if args.quick else (200, 400)), curves)
    if "tv" in parts:
        rows += tv_small(32 if args.quick else 64, curves)
        rows += tv_full(128 if args.quick else None, 1e-3, args.budget, curves)
    path = write(family, rows, extra)
    if curves:
        plot_histories(family, curves, "gap / NashConv / certified bound")
    print(ratio_table(rows, "default"))
    print(f"\nwritten: {path}")
    return rows


if __name__ == "__main__":
    main()
