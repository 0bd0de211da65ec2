"""The conformance catalogue: what a family declares so that the suite can run every method on it.

Each family lists its cases in ``tests/<family>/cases.py`` as ``CASES``; the suite pairs every
case with every registered method that accepts it. A case builds a small instance in a given
namespace and dtype, names its reference (a CVXPY model, or a known optimal value for nonconvex
and NLP problems) and the tolerances each method is held to.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from optkit._families import FAMILIES

__all__ = ["Case", "MethodSpec", "all_cases"]


@dataclass(frozen=True)
class MethodSpec:
    """How one method is held to a case.

    ``tol``/``gap``: the tolerance the method is run at in float64 and the relative objective
    gap to the reference it must then reach; ``tol32``/``gap32`` the same in float32.
    ``options``: extra solve options; ``warm_iterations``: the most iterations a warm start at
    the solution may take.
    """

    tol: float = 1e-8
    gap: float = 1e-6
    tol32: float = 1e-5
    gap32: float = 1e-3
    max_iter: int = 20000
    options: Mapping[str, Any] = field(default_factory=dict)
    warm_iterations: int = 20


@dataclass(frozen=True)
class Case:
    """A small instance of a family's problem.

    Parameters
    ----------
    name : str
    make : callable ``(xp, dtype) -> problem``
    optimum : float, callable ``problem -> float`` or None
        The known optimal objective value (nonconvex and NLP problems: a planted or published
        optimum); ``None``: the objective at the CVXPY reference solution.
    default : MethodSpec
        How every method is held to this case, unless ``methods`` says otherwise.
    methods : mapping of method name to MethodSpec
    warm_start : callable ``result -> x0``, optional
        The starting point at the solution for the warm-start test (default ``result.x``).
    """

    name: str
    make: Callable[[Any, Any], Any]
    optimum: float | Callable[[Any], float] | None = None
    default: MethodSpec = MethodSpec()
    methods: Mapping[str, MethodSpec] = field(default_factory=dict)
    warm_start: Callable[[Any], Any] | None = None

    def spec(self, method: str) -> MethodSpec:
        return self.methods.get(method, self.default)


def all_cases() -> list[Case]:
    """Every family's ``CASES``, in the order of :data:`optkit._families.FAMILIES`."""
    out: list[Case] = []
    for key in FAMILIES:
        try:
            module = importlib.import_module(f"tests.{key}.cases")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.{key}.cases":
                raise
            continue
        out.extend(module.CASES)
    names = [c.name for c in out]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate case names {dup}"
    return out
