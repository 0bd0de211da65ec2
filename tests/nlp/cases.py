"""Conformance cases of the equality-constrained NLP family.

Hock-Schittkowski problems with their published optimal values (``optimum=``), and a small
PoissonControl against CVXPY (a QP: one exact Newton step solves it to rounding). HS7 and HS40
are nonlinear (several Newton steps, so the iteration-limit and callback tests see a run in
progress), as is HS78 (irrational solution: no exact zero certificate ends the 14-iteration runs
of the check_every test early).
Every method is held to the relative KKT measure 1e-8 in float64 and 1e-5 in float32.
"""
from __future__ import annotations

from optkit.problems import PoissonControl, hock_schittkowski

from ..conformance.cases import Case, MethodSpec


def _hs(number: int):
    def make(xp, dtype):
        return hock_schittkowski(number, xp=xp, dtype=dtype)
    return make


def _optimum(number: int) -> float:
    return hock_schittkowski(number).f_star


NLP = MethodSpec(tol=1e-8, gap=1e-6, tol32=1e-5, gap32=1e-4, max_iter=200, warm_iterations=20)

CASES = [
    Case("hs7", _hs(7), optimum=_optimum(7), default=NLP),
    Case("hs40", _hs(40), optimum=_optimum(40), default=NLP),
    Case("hs78", _hs(78), optimum=_optimum(78), default=NLP),
    Case("poisson_control_3", lambda xp, dtype: PoissonControl(3, xp=xp, dtype=dtype), default=NLP),
]
