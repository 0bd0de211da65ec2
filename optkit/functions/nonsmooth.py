"""Nonsmooth terms with closed-form prox maps: l1 norms and indicator functions."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import kernels
from ..backend import get_namespace
from .base import Function, check_scalar

__all__ = ["L1Norm", "OffDiagL1", "Box", "Simplex", "L1Ball"]


@dataclass(frozen=True)
class L1Norm(Function):
    """:math:`g(x) = \\lambda\\|x\\|_1` (entrywise, any shape).

    Parameters
    ----------
    lam : float
        :math:`\\lambda \\ge 0`.

    Notes
    -----
    :math:`\\operatorname{prox}_{sg}(v) = \\operatorname{sign}(v)\\max(|v| - s\\lambda, 0)`
    (soft-thresholding, a Numba kernel on NumPy arrays).

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.functions import L1Norm
    >>> g = L1Norm(2.0)
    >>> g.value(np.array([1.0, -3.0]))
    8.0
    >>> g.prox(np.array([1.0, -3.0]), 0.25)
    array([ 0.5, -2.5])
    """

    lam: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "lam", check_scalar("lam", self.lam))

    def value(self, x: Any) -> float:
        xp = get_namespace(x)
        return self.lam * float(xp.sum(xp.abs(x)))

    def prox(self, v: Any, step: float) -> Any:
        return kernels.soft_threshold(v, step * self.lam)

    def to_cvxpy(self, var: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        return self.lam * cp.sum(cp.abs(var)), []

    def conjugate(self, z: Any) -> float:
        """The indicator of :math:`\\|z\\|_\\infty \\le \\lambda` (up to the rounding of ``z``'s precision)."""
        xp = get_namespace(z)
        top = float(xp.max(xp.abs(z))) if z.size else 0.0
        slack = math.sqrt(float(xp.finfo(z.dtype).eps)) * max(self.lam, top)
        return 0.0 if top <= self.lam + slack else math.inf

    def conjugate_cvxpy(self, expr: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        return cp.Constant(0.0), [cp.norm_inf(expr) <= self.lam]


@dataclass(frozen=True)
class OffDiagL1(Function):
    """:math:`g(X) = \\lambda\\sum_{i\\ne j}|X_{ij}|` for square ``X``; the diagonal is not penalised.

    Parameters
    ----------
    lam : float
        :math:`\\lambda \\ge 0`.

    Notes
    -----
    The prox soft-thresholds the off-diagonal entries by :math:`s\\lambda` and
    keeps the diagonal. It is the penalty of
    :class:`~optkit.problems.SparseInverseCovariance`.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.functions import OffDiagL1
    >>> OffDiagL1(1.0).prox(np.array([[3.0, 0.5], [-2.0, 1.0]]), 1.0)
    array([[ 3.,  0.],
           [-1.,  1.]])
    """

    lam: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "lam", check_scalar("lam", self.lam))

    def value(self, X: Any) -> float:
        xp = get_namespace(X)
        return self.lam * (float(xp.sum(xp.abs(X))) - float(xp.sum(xp.abs(xp.linalg.diagonal(X)))))

    def prox(self, V: Any, step: float) -> Any:
        xp = get_namespace(V)
        Y = kernels.soft_threshold(V, step * self.lam)
        n = V.shape[0]
        eye = xp.eye(n, dtype=V.dtype)
        d = xp.linalg.diagonal(V) - xp.linalg.diagonal(Y)
        return Y + eye * d

    def to_cvxpy(self, var: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        n = var.shape[0]
        off = np.ones((n, n)) - np.eye(n)
        return self.lam * cp.sum(cp.abs(cp.multiply(off, var))), []


class _Indicator(Function):
    """Indicator of a closed convex set: 0 inside, ``+inf`` outside; prox = projection."""

    def project(self, v: Any) -> Any:
        raise NotImplementedError

    def prox(self, v: Any, step: float) -> Any:
        return self.project(v)

    def distance(self, x: Any) -> float:
        xp = get_namespace(x)
        return float(xp.linalg.vector_norm(x - self.project(x)))

    def value(self, x: Any) -> float:
        xp = get_namespace(x)
        # Membership up to the rounding of a projection in x's precision.
        tol = math.sqrt(float(xp.finfo(x.dtype).eps)) * (1.0 + float(xp.linalg.vector_norm(x)))
        return 0.0 if self.distance(x) <= tol else math.inf


@dataclass(frozen=True)
class Box(_Indicator):
    """Indicator of the box :math:`\\{x : lo \\le x \\le hi\\}` (scalar bounds).

    Parameters
    ----------
    lo, hi : float
        Bounds, :math:`lo \\le hi`; either may be infinite.

    Notes
    -----
    The prox (at any step) is the projection, entrywise clipping. ``value`` is 0 on the
    box up to the rounding of a projection in the array's precision, ``inf`` outside.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.functions import Box
    >>> Box(0.0, 1.0).prox(np.array([-0.5, 0.3, 2.0]), 1.0)
    array([0. , 0.3, 1. ])
    >>> Box(0.0, 1.0).value(np.array([2.0]))
    inf
    """

    lo: float = -math.inf
    hi: float = math.inf

    def __post_init__(self) -> None:
        if not (isinstance(self.lo, (int, float)) and isinstance(self.hi, (int, float))):
            raise TypeError("lo and hi must be real numbers")
        if math.isnan(self.lo) or math.isnan(self.hi) or self.lo > self.hi:
            raise ValueError(f"need lo <= hi, got lo={self.lo}, hi={self.hi}")

    def project(self, v: Any) -> Any:
        xp = get_namespace(v)
        lo = None if self.lo == -math.inf else self.lo
        hi = None if self.hi == math.inf else self.hi
        return xp.clip(v, min=lo, max=hi)

    def to_cvxpy(self, var: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        cons = []
        if self.lo > -math.inf:
            cons.append(var >= self.lo)
        if self.hi < math.inf:
            cons.append(var <= self.hi)
        return cp.Constant(0.0), cons

    def conjugate(self, z: Any) -> float:
        """The support function :math:`\\sum_i \\max(lo\\, z_i, hi\\, z_i)` (``+inf`` along an unbounded side)."""
        xp = get_namespace(z)
        if (self.hi == math.inf and bool(xp.any(z > 0))) or (self.lo == -math.inf and bool(xp.any(z < 0))):
            return math.inf
        lo = 0.0 if self.lo == -math.inf else self.lo
        hi = 0.0 if self.hi == math.inf else self.hi
        return float(xp.sum(xp.maximum(lo * z, hi * z)))

    def conjugate_cvxpy(self, expr: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        cons = []
        if self.hi == math.inf:
            cons.append(expr <= 0)
        if self.lo == -math.inf:
            cons.append(expr >= 0)
        lo = 0.0 if self.lo == -math.inf else self.lo
        hi = 0.0 if self.hi == math.inf else self.hi
        return cp.sum(cp.maximum(lo * expr, hi * expr)), cons


@dataclass(frozen=True)
class Simplex(_Indicator):
    """Indicator of the scaled simplex :math:`\\{x \\ge 0, \\sum_i x_i = r\\}` (1-d).

    Parameters
    ----------
    radius : float
        :math:`r > 0`.

    Notes
    -----
    The projection sorts the entries, :math:`O(n \\log n)` [1]_ [2]_.

    References
    ----------
    .. [1] M. Held, P. Wolfe and H. P. Crowder, "Validation of subgradient
       optimization", Math. Program. 6 (1974), 62-88.
    .. [2] J. Duchi, S. Shalev-Shwartz, Y. Singer and T. Chandra, "Efficient
       projections onto the l1-ball for learning in high dimensions", ICML 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.functions import Simplex
    >>> Simplex(1.0).prox(np.array([0.5, 0.8, -1.0]), 1.0)
    array([0.35, 0.65, 0.  ])
    """

    radius: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "radius", check_scalar("radius", self.radius, positive=True))

    def project(self, v: Any) -> Any:
        return kernels.project_simplex(v, self.radius)

    def to_cvxpy(self, var: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        return cp.Constant(0.0), [var >= 0, cp.sum(var) == self.radius]

    def conjugate(self, z: Any) -> float:
        """The support function :math:`r \\max_i z_i`."""
        return self.radius * float(get_namespace(z).max(z))

    def conjugate_cvxpy(self, expr: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        return self.radius * cp.max(expr), []


@dataclass(frozen=True)
class L1Ball(_Indicator):
    """Indicator of the l1 ball :math:`\\{x : \\|x\\|_1 \\le r\\}` (1-d).

    Parameters
    ----------
    radius : float
        :math:`r > 0`.

    Notes
    -----
    Outside the ball the projection is :math:`\\operatorname{sign}(v)\\,P_\\Delta(|v|)`,
    :math:`P_\\Delta` the projection onto the simplex of radius :math:`r` [1]_.

    References
    ----------
    .. [1] J. Duchi, S. Shalev-Shwartz, Y. Singer and T. Chandra, "Efficient
       projections onto the l1-ball for learning in high dimensions", ICML 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.functions import L1Ball
    >>> L1Ball(1.0).prox(np.array([2.0, -1.0]), 1.0)
    array([ 1., -0.])
    """

    radius: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "radius", check_scalar("radius", self.radius, positive=True))

    def project(self, v: Any) -> Any:
        return kernels.project_l1_ball(v, self.radius)

    def to_cvxpy(self, var: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        return cp.Constant(0.0), [cp.norm1(var) <= self.radius]

    def conjugate(self, z: Any) -> float:
        """The support function :math:`r \\|z\\|_\\infty`."""
        xp = get_namespace(z)
        return self.radius * float(xp.max(xp.abs(z)))

    def conjugate_cvxpy(self, expr: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        return self.radius * cp.norm_inf(expr), []
