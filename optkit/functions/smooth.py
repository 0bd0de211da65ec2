"""Smooth losses: least squares and the SICS log-determinant."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..backend import get_namespace
from ..linalg.power import scaled_norm
from .base import Function, check_array, check_same_library

__all__ = ["SquaredLoss", "LogDetTrace", "spectral_norm_sq"]


def spectral_norm_sq(A: Any, iters: int = 100, rtol: float = 1e-6, gram: Any = None) -> float:
    """:math:`\\|A\\|_2^2` by power iteration on :math:`A^T A` (a few dozen mat-vecs, no SVD).

    Parameters
    ----------
    A : array, shape (m, n)
        The matrix.
    iters : int
        Iteration cap (ten times as many on ``gram``).
    rtol : float
        Stop when the estimate changes by less than ``rtol`` relatively.
    gram : array, optional
        :math:`AA^T` or :math:`A^TA`, whichever is smaller: the iteration then runs on
        it, which is far cheaper for a wide or tall ``A``.

    Returns
    -------
    float
        The estimate, raised by ``10 rtol`` relatively: power iteration approaches
        from below, and a step ``1/L`` computed from it must stay safe.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.functions import spectral_norm_sq
    >>> A = np.diag([3.0, 1.0, 0.5])
    >>> abs(spectral_norm_sq(A) - 9.0) < 1e-3
    True
    """
    xp = get_namespace(A)
    n = A.shape[1] if gram is None else gram.shape[0]
    v = xp.ones(n, dtype=A.dtype) / math.sqrt(n)
    est = 0.0
    for _ in range(iters if gram is None else 10 * iters):
        w = A.T @ (A @ v) if gram is None else gram @ v
        # not xp.linalg.vector_norm: a Lasso with A and b scaled by 1e80 got L = inf and a step of 0,
        # scaled by 1e-90 L = 0 and no fixed step
        new = scaled_norm(w)
        if new == 0.0:
            return 0.0
        v = w / new
        if abs(new - est) <= rtol * new:
            break
        est = new
    return new * (1 + 10 * rtol)


@dataclass(frozen=True)
class SquaredLoss(Function):
    """Least squares :math:`f(x) = \\tfrac12\\|Ax - b\\|_2^2`.

    Parameters
    ----------
    A : array, shape (m, n)
        Design matrix (integer input becomes float64).
    b : array, shape (m,)
        Observations.

    Notes
    -----
    :math:`\\nabla f(x) = A^T(Ax-b)`, Lipschitz with :math:`L = \\|A\\|_2^2`.
    The prox solves :math:`(I + sA^TA)u = v + sA^Tb` through the inverse of
    :math:`I + sG` for the smaller Gram matrix :math:`G` (:math:`AA^T` when
    :math:`m < n`, by the Woodbury identity), computed once per step size ``s``.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.functions import SquaredLoss
    >>> f = SquaredLoss(np.eye(2), np.array([1.0, 2.0]))
    >>> f.value(np.zeros(2)), f.grad(np.zeros(2))
    (2.5, array([-1., -2.]))
    >>> f.prox(np.zeros(2), 1.0)          # (I + A^T A)^{-1} A^T b
    array([0.5, 1. ])
    """

    A: Any
    b: Any
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    smooth = True

    def __post_init__(self) -> None:
        A = check_array("A", self.A, ndim=2)
        b = check_array("b", self.b, ndim=1)
        check_same_library(A=A, b=b)
        if b.shape[0] != A.shape[0]:
            raise ValueError(f"b must have length A.shape[0] = {A.shape[0]}, got {b.shape[0]}")
        xp = get_namespace(A)
        if b.dtype != A.dtype:
            dtype = xp.result_type(A, b)
            A, b = xp.astype(A, dtype), xp.astype(b, dtype)
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "b", b)

    @property
    def lipschitz(self) -> float:
        if "L" not in self._cache:
            gram = self._cache["gram"][0] if "gram" in self._cache else None
            self._cache["L"] = spectral_norm_sq(self.A, gram=gram)
        return self._cache["L"]

    def gram(self) -> Any:
        """The smaller Gram matrix (:math:`AA^T` if :math:`m < n`, else :math:`A^TA`), computed once."""
        if "gram" not in self._cache:
            A = self.A
            self._cache["gram"] = (A @ A.T if A.shape[0] < A.shape[1] else A.T @ A, A.T @ self.b)
        return self._cache["gram"][0]

    def prepare_prox(self) -> None:
        # The prox needs the Gram matrix; with it, the Lipschitz estimate is cheap too.
        self.gram()

    def residual(self, x: Any) -> Any:
        return self.A @ x - self.b

    def value(self, x: Any) -> float:
        r = self.residual(x)
        return 0.5 * float(r @ r)

    def grad(self, x: Any) -> Any:
        return self.A.T @ self.residual(x)

    def _inverse_for(self, step: float) -> Any:
        """:math:`(I + sG)^{-1}` for the smaller Gram matrix :math:`G`, cached for the last ``step``.

        The matrix is symmetric positive definite with eigenvalues in
        :math:`[1, 1 + sL]`, so the explicit inverse is accurate, and one
        matrix-vector product per prox beats two triangular solves.
        """
        cached = self._cache.get("inverse")
        if cached is not None and cached[0] == step:
            return cached[1]
        xp = get_namespace(self.A)
        G = self.gram()
        M = xp.linalg.inv(xp.eye(G.shape[0], dtype=G.dtype) + step * G)
        M = 0.5 * (M + M.T)
        self._cache["inverse"] = (step, M)
        return M

    def prox(self, v: Any, step: float) -> Any:
        M = self._inverse_for(step)
        w = v + step * self._cache["gram"][1]
        A = self.A
        if A.shape[0] < A.shape[1]:
            # (I + s A^T A)^{-1} = I - s A^T (I + s A A^T)^{-1} A   (Woodbury)
            return w - step * (A.T @ (M @ (A @ w)))
        return M @ w

    def to_cvxpy(self, var: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415
        from ..backend import to_numpy  # noqa: PLC0415

        return 0.5 * cp.sum_squares(to_numpy(self.A) @ var - to_numpy(self.b)), []


@dataclass(frozen=True)
class LogDetTrace(Function):
    """The SICS smooth part :math:`f(X) = -\\log\\det X + \\operatorname{tr}(SX)` on :math:`X \\succ 0`.

    Parameters
    ----------
    S : array, shape (p, p)
        Symmetric (sample covariance).

    Notes
    -----
    :math:`\\nabla f(X) = S - X^{-1}`; the gradient is Lipschitz with constant
    :math:`1/\\alpha^2` on :math:`\\{X \\succeq \\alpha I\\}` only. The prox
    :math:`\\arg\\min_X f(X) + \\|X - V\\|_F^2/(2s)` satisfies
    :math:`X - sX^{-1} = V - sS`, so with :math:`V - sS = Q\\,\\mathrm{diag}(d)\\,Q^T`,
    :math:`X = Q\\,\\mathrm{diag}\\big((d + \\sqrt{d^2 + 4s})/2\\big)\\,Q^T`
    [1]_.

    References
    ----------
    .. [1] K. Scheinberg, S. Ma and D. Goldfarb, "Sparse inverse covariance selection
       via alternating linearization methods", NIPS 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.functions import LogDetTrace
    >>> f = LogDetTrace(np.eye(2))
    >>> f.value(np.eye(2)), f.value(-np.eye(2))
    (2.0, inf)
    >>> f.grad(2 * np.eye(2))             # S - X^{-1}
    array([[0.5, 0. ],
           [0. , 0.5]])
    """

    S: Any
    smooth = True

    def __post_init__(self) -> None:
        S = check_array("S", self.S, ndim=2)
        if S.shape[0] != S.shape[1]:
            raise ValueError(f"S must be square, got shape {tuple(S.shape)}")
        if S.shape[0] == 0:
            raise ValueError("S must be non-empty")
        xp = get_namespace(S)
        scale = float(xp.max(xp.abs(S)))
        if float(xp.max(xp.abs(S - S.T))) > 1e-10 * max(scale, 1.0):
            raise ValueError("S must be symmetric")
        object.__setattr__(self, "S", S)

    def value(self, X: Any) -> float:
        xp = get_namespace(X)
        evals = xp.linalg.eigvalsh(X)
        if float(xp.min(evals)) <= 0:
            return math.inf
        return -float(xp.sum(xp.log(evals))) + float(xp.sum(self.S * X))

    def grad(self, X: Any) -> Any:
        xp = get_namespace(X)
        return self.S - xp.linalg.inv(X)

    def prox_with_inverse(self, V: Any, step: float) -> tuple[Any, Any, Any]:
        """``(X, X^{-1}, eigenvalues of X)`` for ``X = prox_{step f}(V)``: one eigendecomposition."""
        xp = get_namespace(V)
        W = V - step * self.S
        d, Q = xp.linalg.eigh(0.5 * (W + W.T))
        gamma = (d + xp.sqrt(d * d + 4.0 * step)) / 2.0
        X = (Q * gamma) @ Q.T
        Xinv = (Q / gamma) @ Q.T
        return X, Xinv, gamma

    def prox(self, V: Any, step: float) -> Any:
        return self.prox_with_inverse(V, step)[0]

    def typical_curvature(self, X: Any) -> float | None:
        """The Hessian :math:`X^{-1} \\otimes X^{-1}` has eigenvalues :math:`1/(\\sigma_i\\sigma_j)`;
        their geometric mean is :math:`\\det(X)^{-2/p}`."""
        xp = get_namespace(X)
        sigma = xp.linalg.eigvalsh(X)
        if not float(sigma[0]) > 0:
            return None
        exponent = -2.0 * float(xp.mean(xp.log(sigma)))
        return math.exp(exponent) if abs(exponent) < 700 else None  # beyond float range: no estimate

    def to_cvxpy(self, var: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415
        from ..backend import to_numpy  # noqa: PLC0415

        return -cp.log_det(var) + cp.trace(to_numpy(self.S) @ var), []
