"""``python -m optkit demo``: FALM and ALM beside CVXPY on a Lasso and a SICS instance."""
from __future__ import annotations

import argparse
import time

from . import solve
from .datasets import lasso_instance, sics_instance
from .problems import Lasso, SparseInverseCovariance
from .validate import reference_solve

_HEADER = f"{'problem':<18} {'solver':<22} {'objective':>16} {'vs CVXPY':>10} {'cert. gap':>10} {'time (s)':>9}  iterations"


def demo(seed: int = 0) -> None:
    """Print one table: objective, relative objective gap to CVXPY, certified duality gap, time."""
    cases = [
        ("Lasso 200 x 500", Lasso(*lasso_instance(200, 500, seed=seed))),
        ("SICS p = 40", SparseInverseCovariance(*sics_instance(40, seed=seed, lam=0.1))),
    ]
    for small in (Lasso(*lasso_instance(5, 10, seed=seed)), SparseInverseCovariance(*sics_instance(5, seed=seed))):
        for method in ("fast_alm", "alm", "fista"):  # compile every kernel the table times, once
            solve(small, method=method, tol=1e-4)
    print(_HEADER)
    print("-" * len(_HEADER))
    for name, problem in cases:
        x_ref, _, status, ref_time = reference_solve(problem)
        f_ref = problem.objective(x_ref)
        print(f"{name:<18} {'CVXPY + Clarabel':<22} {f_ref:>16.10f} {'':>10} {'':>10} {ref_time:>9.3f}  ({status})")
        for method in ("fast_alm", "alm", "fista"):
            start = time.perf_counter()
            res = solve(problem, method=method, tol=1e-8)
            seconds = time.perf_counter() - start
            rel = abs(res.fun - f_ref) / max(1.0, abs(f_ref))
            print(f"{'':<18} {'optkit ' + method:<22} {res.fun:>16.10f} {rel:>10.1e} {res.optimality:>10.1e} "
                  f"{seconds:>9.3f}  {res.nit} ({res.status.name})")
    print("\nvs CVXPY: |f - f_ref| / max(1, |f_ref|).  cert. gap: optkit's relative duality gap at its answer.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m optkit")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="solve Lasso and SICS instances with FALM/ALM/FISTA beside CVXPY")
    d.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(seed=args.seed)
