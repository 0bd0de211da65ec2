"""The Lasso side by side with coordinate-descent peers at the same duality gap.

optkit's ``working_set`` (and the other Lasso methods), scikit-learn's ``Lasso`` / ``lasso_path`` and
skglm's ``Lasso`` (Anderson-accelerated coordinate descent with working sets) on the composite
benchmark's cells (``lasso_instance(1000, 5000)`` at ``lam = 0.1`` and ``0.01 lam_max``) and on a
regularisation path of 20 values from ``lam_max`` to ``0.01 lam_max``, warm started, as
``lasso_path`` does. Every answer is judged by the same certificate, ``Lasso.measures``' relative
duality gap ``<= 1e-6`` (at every point of the path). scikit-learn stops on the absolute gap
``tol * ||b||^2``; its ``tol`` starts at the value that asks for that same gap and skglm's (a
subdifferential-distance criterion) at ``1e-4``; each is tightened tenfold until the certificate
holds, and the first certified setting is timed. The solvers run interleaved in one process,
``--repeat`` times, and the median time is kept.

Run: ``python -m benchmarks._lasso_peers`` (``--quick`` for 300 x 1000).
"""
from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

import optkit
from optkit.datasets import lasso_instance
from optkit.problems import Lasso

from ._harness import Row, ratio_table, write

TARGET = 1e-6


def _certificate(A, b, lam, x) -> float:
    return Lasso(A, b, lam=lam).measures(np.asarray(x, dtype=float))["optimality"]


def _optkit(method):
    def solve(A, b, lams, tol):
        x, out, nit = None, [], 0
        for lam in lams:
            res = optkit.solve(Lasso(A, b, lam=lam), method=method, x0=x, tol=TARGET, max_iter=100000)
            x = res.x
            out.append(x)
            nit += res.nit
        return out, nit
    return solve


def _sklearn(A, b, lams, tol):
    from sklearn.linear_model import Lasso as SkLasso, lasso_path  # noqa: PLC0415

    m = A.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if len(lams) == 1:
            model = SkLasso(alpha=lams[0] / m, fit_intercept=False, tol=tol, max_iter=100000).fit(A, b)
            return [model.coef_], model.n_iter_
        _, coefs, _, n_iters = lasso_path(A, b, alphas=np.asarray(lams) / m, tol=tol, max_iter=100000,
                                          return_n_iter=True)
        return list(coefs.T), int(np.sum(n_iters))


def _skglm(A, b, lams, tol):
    from skglm import Lasso as SkglmLasso  # noqa: PLC0415

    m = A.shape[0]
    model = SkglmLasso(alpha=lams[0] / m, fit_intercept=False, tol=tol, warm_start=True)
    out, nit = [], 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lam in lams:
            model.set_params(alpha=lam / m)
            model.fit(A, b)
            out.append(model.coef_.copy())
            nit += int(np.sum(model.n_iter_))
    return out, nit


def _worst(A, b, lams, xs) -> float:
    return max(_certificate(A, b, lam, x) for lam, x in zip(lams, xs))


def _first_certified(A, b, lams, solve, tol0, tries=8):
    """The loosest ``tol`` in ``tol0, tol0/10, ...`` whose answer is certified, and that answer's gap."""
    tol = tol0
    for _ in range(tries):
        xs, _ = solve(A, b, lams, tol)
        worst = _worst(A, b, lams, xs)
        if worst <= TARGET:
            return tol, worst
        tol /= 10
    return tol * 10, worst


def _case(name, A, b, lams, solvers, repeat):
    """Median time of each solver over ``repeat`` interleaved rounds, at its first certified ``tol``."""
    tols = {}
    for key, (solve, tol0) in solvers.items():
        if tol0 == "gap":  # scikit-learn: the absolute gap that is TARGET relative at the smallest objective
            xs, _ = _optkit("working_set")(A, b, lams, None)
            tol0 = TARGET * min(Lasso(A, b, lam=lam).objective(x) for lam, x in zip(lams, xs)) / float(b @ b)
        tols[key] = _first_certified(A, b, lams, solve, tol0) if tol0 is not None else (None, None)
    times = {key: [] for key in solvers}
    last = {}
    for _ in range(repeat):
        for key, (solve, _) in solvers.items():
            start = time.perf_counter()
            xs, nit = solve(A, b, lams, tols[key][0])
            times[key].append(time.perf_counter() - start)
            last[key] = (xs, nit)
    rows = []
    for key, (xs, nit) in last.items():
        worst = _worst(A, b, lams, xs)
        package, method = key.split(":")
        if tols[key][0] is not None:
            method = f"{method}(tol={tols[key][0]:.3g})"
        obj = sum(Lasso(A, b, lam=lam).objective(x) for lam, x in zip(lams, xs))
        rows.append(Row(name, method, package, statistics.median(times[key]), nit, obj,
                        "worst_relative_gap", worst, worst <= TARGET))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 x 1000 instead of 1000 x 5000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cells-only", action="store_true")
    parser.add_argument("--full-gradient", action="store_true", help="also time FISTA and ALM on the cells")
    args = parser.parse_args(argv)
    m, n = (300, 1000) if args.quick else (1000, 5000)
    solvers = {"optkit:working_set": (_optkit("working_set"), None),
               "scikit-learn:Lasso": (_sklearn, "gap"),
               "skglm:Lasso": (_skglm, 1e-4)}
    A0, b0, _ = lasso_instance(20, 40).values()
    for solve, tol in solvers.values():  # compile every Numba kernel before timing
        solve(A0, b0, [0.1], 1e-4 if tol is not None else None)
    rows = []
    for ratio in (0.1, 0.01):
        A, b, lam = lasso_instance(m, n, seed=0, lam_ratio=ratio).values()
        cell = dict(solvers)
        if args.full_gradient:
            cell.update({"optkit:fista": (_optkit("fista"), None), "optkit:alm": (_optkit("alm"), None)})
        rows += _case(f"lasso {m}x{n} lam={ratio:g}*lam_max", A, b, [lam], cell, args.repeat)
        print(ratio_table(rows, "working_set"), flush=True)
    if not args.cells_only:
        A, b, _ = lasso_instance(m, n, seed=0).values()
        lam_max = float(np.max(np.abs(A.T @ b)))
        lams = list(lam_max * np.geomspace(1.0, 0.01, 20))
        rows += _case(f"lasso path {m}x{n} 20 lam (1 to 0.01 lam_max)", A, b, lams, solvers, args.repeat)
    family = "composite_lasso_peers_quick" if args.quick else "composite_lasso_peers"
    path = write(family, rows, {"target": f"relative duality gap (Lasso.measures) <= {TARGET:g}",
                                "timing": f"median of {args.repeat} interleaved rounds"})
    print(ratio_table(rows, "working_set"))
    print(f"\nwritten: {path}")
    return rows


if __name__ == "__main__":
    main()
