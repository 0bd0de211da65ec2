"""The closed forms of the Frank-Wolfe methods (``frank_wolfe.py``): the exact step pair of the line
search over the unit box, and the projections onto the l1 and nuclear-norm balls."""
from __future__ import annotations

from typing import Any

from ... import kernels
from ...backend import get_namespace

__all__ = ["box_qp", "project_l1_ball", "project_simplex_ball"]


def project_l1_ball(Z: Any, radius: float, ops: Any = kernels) -> Any:
    """``Z`` projected onto :math:`\\{\\|Z\\|_1 \\le r\\}`: a soft threshold found by Michelot's fixed point
    (``ops``: the kernel dispatch, or its array-API twin for short vectors). The threshold is exact only up
    to rounding, and a sum above the radius would make the iterate infeasible (FW-P's ``S`` ended 2 ulp
    outside the ball on a 16 x 12 instance), so such a sum is pulled back inside."""
    theta = ops.l1_ball_threshold(Z, radius)
    if theta <= 0:
        return Z
    S = ops.soft_threshold(Z, theta)
    xp = get_namespace(S)
    total = float(xp.sum(xp.abs(S)))
    if total > radius:
        S = S * (radius / total * (1.0 - 4.0 * float(xp.finfo(S.dtype).eps)))
    return S


def project_simplex_ball(sv: Any, radius: float) -> Any:
    """Nonnegative values ``sv`` projected onto :math:`\\{x \\ge 0, \\sum x \\le r\\}` (singular values
    of the projection onto the nuclear ball of radius ``r``): the l1-ball projection, which keeps them
    nonnegative."""
    return project_l1_ball(sv, radius, kernels.twin)


def box_qp(h11: float, h12: float, h22: float, f1: float, f2: float) -> tuple[float, float]:
    """Exact minimiser of :math:`q(a,b) = \\tfrac12[a\\,b]H[a\\,b]^T + f^T[a\\,b]` over :math:`[0,1]^2`.

    ``H`` is positive semidefinite (a Gram matrix). The interior stationary point
    is taken when ``H`` is definite and it lies in the box; otherwise the
    minimiser lies on an edge, each edge's minimiser is a clipped 1-d Newton
    step, and the best candidate wins. O(1); replaces the authors' ``quadprog``.
    """

    def q(a: float, b: float) -> float:
        return 0.5 * (h11 * a * a + 2 * h12 * a * b + h22 * b * b) + f1 * a + f2 * b

    def edge(h: float, lin: float) -> float:
        if h > 0:
            return min(1.0, max(0.0, -lin / h))
        return 1.0 if lin < 0 else 0.0

    det = h11 * h22 - h12 * h12
    if det > 1e-14 * max(h11 * h22, 1e-300):
        a = (-f1 * h22 + f2 * h12) / det
        b = (-f2 * h11 + f1 * h12) / det
        if 0.0 <= a <= 1.0 and 0.0 <= b <= 1.0:
            return a, b
    cands = [(0.0, edge(h22, f2)), (1.0, edge(h22, f2 + h12)), (edge(h11, f1), 0.0), (edge(h11, f1 + h12), 1.0)]
    return min(cands, key=lambda ab: q(*ab))
