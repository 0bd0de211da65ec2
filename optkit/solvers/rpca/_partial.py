"""What the iALM and APG solvers of robust PCA share: partial-SVD helpers and their tolerance."""
from __future__ import annotations

import math
from typing import Any

from ...backend import get_namespace
from ...linalg import ThinSVD, partial_svd
from ..base import Solver


def _top_sigma(A: Any, V0: Any, tol: float) -> tuple[float, Any]:
    """sigma_1(A) from a block subspace iteration started at ``V0`` (plus two columns)."""
    xp = get_namespace(A)
    k = min((0 if V0 is None else V0.shape[1]) + 2, min(A.shape))
    svd, _ = partial_svd(A, k, V0, tol=tol, max_iter=200, by_value=True)
    return float(svd.s[0]), xp.reshape(svd.V[:, 0], (-1, 1))


def _empty(xp: Any, m: int, n: int, dtype: Any) -> ThinSVD:
    return ThinSVD(xp.zeros((m, 0), dtype=dtype), xp.zeros((0,), dtype=dtype), xp.zeros((n, 0), dtype=dtype))


class _AdaptiveSVD(Solver):
    """Partial SVDs only as accurate as the iterate needs: the residual target of the kept
    triplets is 1% of the last optimality measure, between ``svd_tol`` and 1e-4 [D]."""

    _last_optimality = math.inf

    def _svd_tol(self) -> float:
        return min(1e-4, max(self.options.svd_tol, 0.01 * self._last_optimality))

    def _seen(self, optimality: float) -> None:
        self._last_optimality = optimality
