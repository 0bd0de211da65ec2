"""Conformance cases of the robust tensor recovery family: small tensors on which CVXPY + Clarabel
is accurate, and a planted tensor (a known optimum) for the nonconvex ADAL."""
from __future__ import annotations

from typing import Any

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


def _planted(shape, rank, corruption, seed):
    def make(xp, dtype):
        P = planted_tucker(shape, rank, corruption=corruption, seed=seed)
        return RobustTensorRecovery(asarray(P.T, xp=xp, dtype=dtype))
    return make


def _planted_objective(shape, rank, corruption, seed):
    def optimum(problem: Any) -> float:
        P = planted_tucker(shape, rank, corruption=corruption, seed=seed)
        return RobustTensorRecovery(P.T).objective((P.X, P.E))
    return optimum


CASES = [
    Case("tensor_completion_6x7x5", _tensor((6, 7, 5), 2, 0.1, 0.8, 3, 0.3)),
    Case("tensor_penalized_6x7x5", _tensor((6, 7, 5), 2, 0.1, 0.8, 4, 0.3, formulation="penalized", alpha=0.05)),
    Case("tensor_square_penalized_4x3x4x3", _tensor((4, 3, 4, 3), 1, 0.05, 0.8, 5, 0.5, norm="square",
                                                   formulation="penalized", alpha=0.05)),
    Case("tensor_planted_8x8x8", _planted((8, 8, 8), 2, 0.05, 1), optimum=_planted_objective((8, 8, 8), 2, 0.05, 1),
         methods={"adal_ncx": MethodSpec(tol=1e-9, options={"rank": 2})}),
]
