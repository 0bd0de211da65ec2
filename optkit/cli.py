"""``python -m optkit``: the methods and their options, a demo, the benchmarks.

- ``methods [PROBLEM]``: every registered method by family (or those that apply to one problem
  class, the default first) with its aliases, problems and a one-line summary;
- ``show-options METHOD``: a method's options, defaults, admissible values and meaning;
- ``demo``: FALM, ALM and FISTA beside CVXPY on a Lasso and a SICS instance;
- ``bench [FAMILY ...] [--quick]``: the side-by-side benchmarks (from a checkout: ``benchmarks/``
  is not installed with the package), then the results README.
"""
from __future__ import annotations

import argparse
import sys
import time

from . import catalog, show_options, solve
from .datasets import lasso_instance, sics_instance
from .problems import Lasso, SparseInverseCovariance
from .validate import reference_solve

_HEADER = f"{'problem':<18} {'solver':<22} {'objective':>16} {'vs CVXPY':>10} {'cert. gap':>10} {'time (s)':>9}  iterations"


def demo(seed: int = 0) -> None:
    """Print one table: objective, relative objective gap to CVXPY, certified duality gap, time."""
    cases = [
        ("Lasso 200 x 500", Lasso(**lasso_instance(200, 500, seed=seed))),
        ("SICS p = 40", SparseInverseCovariance(**sics_instance(40, seed=seed, lam=0.1))),
    ]
    for small in (Lasso(**lasso_instance(5, 10, seed=seed)), SparseInverseCovariance(**sics_instance(5, seed=seed))):
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


def _text(summary: str) -> str:
    return catalog.plain(summary).replace("`", "")


def list_methods(problem: str | None = None) -> str:
    """The ``methods`` listing (all families, or the methods of one problem class by name)."""
    if problem is None:
        lines, family = [], None
        for info in catalog.method_catalog():
            if info.family != family:
                lines += ([""] if lines else []) + [info.family]
                family = info.family
            lines.append(_row(info))
        return "\n".join(lines)
    classes = {cls.__name__: cls for cls in catalog.problem_classes()}
    if problem not in classes:
        raise SystemExit(f"unknown problem {problem!r}; problem classes: {', '.join(classes)}")
    cls = classes[problem]
    infos = [info for info in catalog.method_catalog() if cls in info.problems]
    infos.sort(key=lambda info: cls not in info.defaults)
    lines = [f"{problem}: {len(infos)} method{'s' if len(infos) != 1 else ''} (default first)"]
    measure = getattr(cls, "optimality_measure", "")
    if measure:
        lines.append(f"optimality measure (tol): {_text(measure)}")
    return "\n".join(lines + [_row(info) for info in infos])


def _row(info: catalog.MethodInfo) -> str:
    aliases = f" (aliases: {', '.join(info.aliases)})" if info.aliases else ""
    problems = ", ".join(p.__name__ + ("*" if p in info.defaults else "") for p in info.problems)
    return f"  {info.name}{aliases}  [{problems}]\n      {_text(info.summary)}"


def bench(families: list[str], quick: bool) -> None:
    """Run ``python -m benchmarks`` for the given families (all when empty)."""
    try:
        from benchmarks.__main__ import main as run_benchmarks  # noqa: PLC0415
    except ImportError:
        raise SystemExit("the benchmarks live in the repository (benchmarks/), not in the installed package: "
                         "run `python -m optkit bench` from the root of an optkit checkout") from None
    run_benchmarks([*families, *(["--quick"] if quick else [])])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m optkit", description="optkit: structured optimization solvers")
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("methods", help="list the registered methods (of one problem class, default first)")
    m.add_argument("problem", nargs="?", help="a problem class name, e.g. Lasso")
    m.add_argument("--markdown", action="store_true", help="the README's Markdown table of every method")
    s = sub.add_parser("show-options", help="a method's options with defaults, admissible values and meaning")
    s.add_argument("method", help="a method name or alias, e.g. fast_alm")
    d = sub.add_parser("demo", help="solve Lasso and SICS instances with FALM/ALM/FISTA beside CVXPY")
    d.add_argument("--seed", type=int, default=0)
    b = sub.add_parser("bench", help="run the benchmarks (from a checkout), then rebuild their README")
    b.add_argument("family", nargs="*", help="benchmark families (default: all)")
    b.add_argument("--quick", action="store_true", help="small instances (a smoke run)")
    args = parser.parse_args(argv)
    if args.command == "methods":
        print(catalog.methods_markdown() if args.markdown else list_methods(args.problem))
    elif args.command == "show-options":
        try:
            show_options(args.method, file=sys.stdout)
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
    elif args.command == "demo":
        demo(seed=args.seed)
    else:
        bench(args.family, args.quick)
