"""What the splitting methods share: acceptance, smoothing of nonsmooth terms, the initial dual."""
from __future__ import annotations

import math
from typing import Any, NamedTuple

from ...problems.splitting import k_terms


def accepts(problem: Any) -> bool:
    return k_terms(problem)


def all_smooth(problem: Any) -> bool:
    return all(L is not None for L in problem.term_lipschitz)


class Start(NamedTuple):
    """The smoothing ``sigma`` (``None``: every term smooth) whose gradients certify ``x`` best, those
    gradients ``V`` (the dual candidates) and the problem's measures with them."""

    sigma: float | None
    V: Any
    measures: dict


def initial_dual(problem: Any, x: Any, factor: float, sigma: float | None = None, limit: int = 40) -> Start:
    """Dual candidates at ``x``: the terms' gradients, for nonsmooth terms those of their Moreau envelopes.

    The smoothing is ``sigma`` if given; otherwise the one on the grid
    ``problem.smoothing_scale() / factor**j`` whose gradients give the smallest certificate at
    ``x`` (scanned until it rose twice in a row). A continuation run divides its smoothing by
    ``factor`` along the same grid, so a run started at its own answer finds the smoothing
    and candidates that certified it, and stops at once.
    """
    if all_smooth(problem):
        V = problem.grad_terms(x)
        return Start(None, V, problem.measures(x, dual=V))
    if sigma is not None:
        V = problem.smoothed(sigma).grad_terms(x)
        return Start(sigma, V, problem.measures(x, dual=V))
    best: Start | None = None
    rises = 0
    s = problem.smoothing_scale()
    for _ in range(limit):
        V = problem.smoothed(s).grad_terms(x)
        m = problem.measures(x, dual=V)
        if best is None or m["optimality"] < best.measures["optimality"]:
            best, rises = Start(s, V, m), 0
        elif math.isfinite(best.measures["optimality"]):
            rises += 1
            if rises >= 2:
                break
        s = s / factor
    return best
