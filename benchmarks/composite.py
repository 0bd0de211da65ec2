"""Lasso and sparse inverse covariance: FALM / ALM / FISTA against scikit-learn and CVXPY + SCS.

Every solver is run to the same accuracy: relative objective error
``(f - f*) / |f*| <= 1e-6``, with ``f*`` from a tol = 1e-12 optkit run that
CVXPY + Clarabel confirms on the small instances. optkit certifies its answers
by the duality gap (``tol = 1e-6``); a peer's tolerance is swept from loose to
tight and the first setting that reaches the accuracy is timed.

Run: ``python -m benchmarks.composite`` (``--quick`` for a small smoke run).
"""
from __future__ import annotations

import argparse
import warnings

import numpy as np

import optkit
from optkit.datasets import lasso_instance, sics_instance
from optkit.problems import Lasso, SparseInverseCovariance

from ._harness import Row, plot_histories, ratio_table, timed, write

TARGET = 1e-6
OPTKIT_METHODS = ("fast_alm", "alm", "fista")
LASSO_METHODS = OPTKIT_METHODS + ("working_set",)  # working sets with screening: l1 problems only


def _rel(f: float, fstar: float) -> float:
    return max(f - fstar, 0.0) / abs(fstar)


def _optkit_rows(name, make, fstar, curves, methods=OPTKIT_METHODS):
    rows = []
    for method in methods:
        res, t = timed(lambda m=method: optkit.solve(make(), method=m, tol=TARGET, max_iter=100000), repeat=3)
        err = _rel(res.fun, fstar)
        rows.append(Row(name, method, "optkit", t, res.nit, res.fun, "rel_objective_error", err,
                        bool(res.success and err <= TARGET)))
        h = res.history
        curves[name][f"optkit {method}"] = (list(h["time"]), [_rel(f, fstar) for f in h["fun"]])
    return rows


def _sweep(name, package, method, run, objective, fstar, tols, curves):
    """Time the loosest tolerance of a peer that reaches TARGET; report the tightest tried otherwise."""
    points = []
    row = None
    for tol in tols:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x, nit), t = timed(lambda tol=tol: run(tol))
        f = objective(x)
        err = _rel(f, fstar)
        points.append((t, err))
        row = Row(name, f"{method}(tol={tol:g})", package, t, nit, f, "rel_objective_error", err, err <= TARGET)
        if err <= TARGET:
            break
    curves[name][f"{package} {method}"] = ([p[0] for p in points], [p[1] for p in points])
    return row


def _scs(name, problem, fstar, eps, time_limit, curves):
    import cvxpy as cp  # noqa: PLC0415

    prob, var = problem.to_cvxpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, t = timed(lambda: prob.solve(solver=cp.SCS, eps_abs=eps, eps_rel=eps, max_iters=1_000_000,
                                        time_limit_secs=time_limit))
    x = np.asarray(var.value) if var.value is not None else None
    f = problem.objective(x) if x is not None else float("inf")
    err = _rel(f, fstar)
    nit = prob.solver_stats.num_iters if prob.solver_stats else None
    curves[name]["cvxpy SCS"] = ([t], [err])
    return Row(name, f"SCS(eps={eps:g})", "cvxpy", t, nit, f, "rel_objective_error", err, err <= TARGET)


def lasso_case(m, n, curves, scs_limit, lam_ratio=0.1):
    from sklearn.linear_model import Lasso as SkLasso  # noqa: PLC0415

    A, b, lam = lasso_instance(m, n, seed=0, lam_ratio=lam_ratio)
    name = f"lasso {m}x{n} lam={lam_ratio:g}*lam_max"
    fstar = optkit.solve(Lasso(A, b, lam), method="alm", tol=1e-12, max_iter=100000).fun
    curves[name] = {}
    rows = _optkit_rows(name, lambda: Lasso(A, b, lam), fstar, curves, LASSO_METHODS)

    def sk(tol):
        model = SkLasso(alpha=lam / m, fit_intercept=False, tol=tol, max_iter=100000).fit(A, b)
        return model.coef_, model.n_iter_

    obj = Lasso(A, b, lam).objective
    rows.append(_sweep(name, "scikit-learn", "Lasso", sk, obj, fstar, (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10), curves))
    rows.append(_scs(name, Lasso(A, b, lam), fstar, 1e-6, scs_limit, curves))
    return rows


def sics_case(p, lam, curves, scs_limit):
    from sklearn.covariance import graphical_lasso  # noqa: PLC0415

    S, _ = sics_instance(p, seed=0)
    name = f"sics p={p} lam={lam:g}"
    fstar = optkit.solve(SparseInverseCovariance(S, lam), method="alm", tol=1e-12, max_iter=100000).fun
    curves[name] = {}
    rows = _optkit_rows(name, lambda: SparseInverseCovariance(S, lam), fstar, curves)

    def sk(tol):
        _, prec, n_iter = graphical_lasso(S, alpha=lam, tol=tol, max_iter=1000, return_n_iter=True)
        return prec, n_iter

    obj = SparseInverseCovariance(S, lam).objective
    rows.append(_sweep(name, "scikit-learn", "graphical_lasso", sk, obj, fstar, (1e-4, 1e-5, 1e-6, 1e-7, 1e-8), curves))
    rows.append(_scs(name, SparseInverseCovariance(S, lam), fstar, 1e-6, scs_limit, curves))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small instances (smoke run)")
    parser.add_argument("--scs-time-limit", type=float, default=300.0, help="seconds SCS may take per instance")
    args = parser.parse_args(argv)
    optkit.solve(Lasso(*lasso_instance(10, 20)), tol=1e-4)  # compile Numba kernels before timing
    curves: dict = {}
    if args.quick:
        rows = lasso_case(100, 300, curves, args.scs_time_limit) + sics_case(30, 0.1, curves, args.scs_time_limit)
    else:
        rows = (lasso_case(1000, 5000, curves, args.scs_time_limit)
                + lasso_case(1000, 5000, curves, args.scs_time_limit, lam_ratio=0.01)
                + sics_case(200, 0.1, curves, args.scs_time_limit)
                + sics_case(200, 0.03, curves, args.scs_time_limit))
    family = "composite_quick" if args.quick else "composite"
    path = write(family, rows, {"target": f"relative objective error <= {TARGET:g}"})
    plot_histories(family, curves, "relative objective error")
    print(ratio_table(rows, "fast_alm"))
    print(f"\nwritten: {path}")
    return rows


if __name__ == "__main__":
    main()
