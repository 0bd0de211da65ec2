"""Conformance cases of the robust tensor recovery family: small tensors on which CVXPY + Clarabel
is accurate, and planted tensors (known optima) for the models ``adal_ncx`` also accepts.

The singleton constrained model with every entry observed is paired with the rank-constrained
``adal_ncx`` as well, whose reference cannot be a CVXPY solution: those cases are planted low-rank
tensors in the recovery regime of both models (a ``lam`` at which the convex model returns the
planted pair exactly -- at the default ``1/sqrt(n)`` these small instances are not recovered), so
the planted objective is the optimum of ``adal`` and the point ``adal_ncx`` must reach with the
planted rank.
"""
from __future__ import annotations

import math

from optkit.backend import asarray
from optkit.datasets import planted_tucker
from optkit.problems import RobustTensorRecovery

from ..conformance.cases import Case, MethodSpec


def _tensor(shape, rank, corruption, observed, seed, lam, **kw):
    def make(xp, dtype):
        P = planted_tucker(shape, rank, corruption=corruption, observed=observed, seed=seed)
        mask = None if P.mask is None else asarray(P.mask, xp=xp, dtype=xp.bool)
        return RobustTensorRecovery(asarray(P.T, xp=xp, dtype=dtype), lam=lam, mask=mask, **kw)
    return make


def _with_dual(res):
    """A warm start at an answer carries its multipliers (``Result.dual``)."""
    return (res.x, res.dual)


def _planted_case(name, shape, rank, corruption, seed, lam, **kw):
    """A case whose reference is the objective at the planted pair ``(X, E)``."""
    def make(xp, dtype):
        P = planted_tucker(shape, rank, corruption=corruption, seed=seed)
        return RobustTensorRecovery(asarray(P.T, xp=xp, dtype=dtype), lam=lam, **kw)

    def optimum(problem):
        P = planted_tucker(shape, rank, corruption=corruption, seed=seed)
        return RobustTensorRecovery(P.T, lam=lam, **kw).objective((P.X, P.E))

    return Case(name, make, optimum=optimum, warm_start=_with_dual,
                methods={"adal_ncx": MethodSpec(tol=1e-9, options={"rank": rank})})


CASES = [
    Case("tensor_completion_6x7x5", _tensor((6, 7, 5), 2, 0.1, 0.8, 3, 0.3), warm_start=_with_dual),
    Case("tensor_penalized_6x7x5", _tensor((6, 7, 5), 2, 0.1, 0.8, 4, 0.3, formulation="penalized", alpha=0.05),
         warm_start=_with_dual),
    Case("tensor_square_penalized_4x3x4x3", _tensor((4, 3, 4, 3), 1, 0.05, 0.8, 5, 0.5, norm="square",
                                                   formulation="penalized", alpha=0.05), warm_start=_with_dual),
    Case("tensor_mixture_penalized_5x4x6", _tensor((5, 4, 6), 1, 0.1, 0.8, 7, 0.15, model="mixture",
                                                  formulation="penalized", alpha=0.05), warm_start=_with_dual),
    _planted_case("tensor_planted_8x8x8", (8, 8, 8), 2, 0.05, 1, 2.0 / math.sqrt(8)),
    _planted_case("tensor_planted_square_4x3x4x3", (4, 3, 4, 3), 1, 0.05, 8, 2.0 / math.sqrt(12), norm="square"),
]
