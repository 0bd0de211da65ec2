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


def initial_dual(problem: Any, x: Any, factor: float, tol: float, sigma: float | None = None,
                 limit: int = 40) -> Start:
    """Dual candidates at ``x``: the terms' gradients, for nonsmooth terms those of their Moreau envelopes.

    The smoothing is ``sigma`` if given. Otherwise it is chosen on the grid
    ``problem.smoothing_scale() / factor**j``, scanned from the top: the first smoothing whose
    gradients certify ``x`` to ``tol`` if one does, else the largest whose certificate is within a
    factor 2 of the best one met before the certificates rose twice in a row or settled (two
    changes below 1%). A continuation run divides its smoothing by ``factor`` along the same grid,
    so a run started at its own answer finds the smoothing that certified it and stops at once,
    while a cold start begins with the smoothest problem that describes ``x`` about as well.
    """
    if all_smooth(problem):
        V = problem.grad_terms(x)
        return Start(None, V, problem.measures(x, dual=V))
    if sigma is not None:
        V = problem.smoothed(sigma).grad_terms(x)
        return Start(sigma, V, problem.measures(x, dual=V))
    seen: list[Start] = []
    s = problem.smoothing_scale()
    for _ in range(limit):
        V = problem.smoothed(s).grad_terms(x)
        seen.append(Start(s, V, problem.measures(x, dual=V)))
        certs = [c.measures["optimality"] for c in seen]
        if certs[-1] <= tol:
            return seen[-1]
        if len(certs) >= 3 and (certs[-1] > certs[-2] > certs[-3] or
                                all(abs(a - b) <= 0.01 * max(a, b) for a, b in zip(certs[-3:-1], certs[-2:]))):
            break
        s = s / factor
    # NaN certificates (a start so large that the measures overflow) compare false with everything:
    # choose among the others, or return the first and let the run report the non-finite certificate
    measured = [c for c in seen if not math.isnan(c.measures["optimality"])] or seen[:1]
    best = min(c.measures["optimality"] for c in measured)
    return next((c for c in measured if c.measures["optimality"] <= 2.0 * best), measured[0])
