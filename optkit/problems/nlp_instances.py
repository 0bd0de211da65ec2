"""The two structured equality-constrained instances of Hong, Na, Mahoney & Kolar (ICML 2023):
the PDE-constrained control problem and constrained logistic regression."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import asarray, get_namespace, is_numpy, namespace_by_name, to_numpy
from .base import keyword_weights
from .nlp import EqualityNLP

__all__ = ["PoissonControl", "ConstrainedLogisticRegression"]


def _laplacian(N: int, h: float) -> Any:
    """:math:`-\\Delta_h` on the N x N interior grid, zero Dirichlet boundary (5-point stencil), CSR."""
    import scipy.sparse as sp  # noqa: PLC0415

    T = sp.diags([-np.ones(N - 1), 2 * np.ones(N), -np.ones(N - 1)], [-1, 0, 1])
    eye = sp.identity(N)
    return ((sp.kron(eye, T) + sp.kron(T, eye)) / (h * h)).tocsr()


@keyword_weights
class PoissonControl(EqualityNLP):
    """Distributed control of the Poisson equation on an N x N grid.

    .. math::
        \\min_{w, z \\in \\mathbb R^{N^2}} \\tfrac12\\|w - w_\\star\\|_2^2 + \\tfrac{\\alpha}{2}\\|z\\|_2^2
        \\quad\\text{s.t.}\\quad -\\Delta_h w = z,

    with the 5-point Laplacian on the interior nodes of :math:`[-1, 1]^2` (spacing
    :math:`h = 2/(N+1)`, zero Dirichlet boundary), the target
    :math:`w_\\star(i, j) = \\sin(4 + (0.1/\\sqrt{15})(i - \\tfrac{N+1}{2})) + \\cos(3 + (0.1/\\sqrt{15})(j - \\tfrac{N+1}{2}))`
    and :math:`\\alpha = 0.1`: the PDE experiment of Hong, Na, Mahoney & Kolar (ICML 2023 [1]_, their
    ``PDE/`` code), started from :math:`x_0 = \\mathbf 1`. Variables ``x = (w, z)`` (n = 2N^2),
    constraints ``c(x) = A w - z`` with :math:`A = -\\Delta_h` (m = N^2). A convex QP, so
    :meth:`to_cvxpy` gives the reference. Its default method is ``sqp``: one sparse factorisation
    solves it, while the sketches' rate is governed by :math:`\\kappa(K)^2`, which grows like
    :math:`N^4` here (``exact_al`` hits its sketch cap from N = 8 on; ``docs/nlp.md``). On NumPy
    the Jacobian and Hessian are ``scipy.sparse``; on other namespaces dense arrays (keep N small there).

    Parameters
    ----------
    N : int
        Interior grid points per side, >= 2.
    alpha : float
        Control cost, > 0 (keyword only).
    xp : namespace, optional
        Array namespace of the data (default NumPy).
    dtype : dtype, optional
        Floating dtype of the data (default float64).

    References
    ----------
    .. [1] I. Hong, S. Na, M. W. Mahoney and M. Kolar, "Constrained optimization via exact
       augmented Lagrangian and randomized iterative sketching", ICML 2023.

    Examples
    --------
    >>> import optkit
    >>> from optkit.problems import PoissonControl
    >>> problem = PoissonControl(8)
    >>> res = optkit.solve(problem)
    >>> res.method, res.success, res.x.shape
    ('sqp', True, (128,))
    """

    default_method = "sqp"

    def __init__(self, N: int, *, alpha: float = 0.1, xp: Any = None, dtype: Any = None) -> None:
        if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 2:
            raise ValueError(f"N must be an integer >= 2, got {N!r}")
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not (math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"alpha must be a positive finite number, got {alpha!r}")
        N, alpha = int(N), float(alpha)
        xp = namespace_by_name("numpy") if xp is None else xp
        dtype = xp.float64 if dtype is None else dtype
        h = 2.0 / (N + 1)
        idx = np.arange(1, N + 1) - (N + 1) / 2
        s = 0.1 / math.sqrt(15.0)
        target = (np.sin(4 + s * idx)[:, None] + np.cos(3 + s * idx)[None, :]).reshape(-1)
        A = _laplacian(N, h)
        n2 = N * N
        wt = asarray(target, xp=xp, dtype=dtype)
        sparse = is_numpy(xp)
        if sparse:
            import scipy.sparse as sp  # noqa: PLC0415

            J = sp.hstack([A, -sp.identity(n2)]).tocsr().astype(np.dtype(str(np.dtype(dtype))))
            Hm = sp.diags(np.concatenate([np.ones(n2), alpha * np.ones(n2)])).tocsr().astype(J.dtype)
            Aop = A.astype(J.dtype)
        else:
            Ad = A.toarray()
            J = asarray(np.hstack([Ad, -np.eye(n2)]), xp=xp, dtype=dtype)
            Hm = asarray(np.diag(np.concatenate([np.ones(n2), alpha * np.ones(n2)])), xp=xp, dtype=dtype)
            Aop = asarray(Ad, xp=xp, dtype=dtype)

        def fun(x: Any) -> float:
            d, z = x[:n2] - wt, x[n2:]
            return float(0.5 * (d @ d) + 0.5 * alpha * (z @ z))

        def grad(x: Any) -> Any:
            return get_namespace(x).concat([x[:n2] - wt, alpha * x[n2:]])

        def cons(x: Any) -> Any:
            return Aop @ x[:n2] - x[n2:]

        x0 = xp.ones((2 * n2,), dtype=dtype)
        super().__init__(fun=fun, grad=grad, cons=cons, jac=lambda x: J, x0=x0, hess=lambda x, lam: Hm,
                         name=f"PoissonControl(N={N})")
        for k, v in (("N", N), ("alpha", alpha), ("laplacian", A), ("w_target", wt)):
            object.__setattr__(self, k, v)

    def state_control(self, x: Any) -> tuple[Any, Any]:
        """``(w, z)`` of a solution, each reshaped to the N x N grid."""
        xp = get_namespace(x)
        n2 = self.N * self.N
        return xp.reshape(x[:n2], (self.N, self.N)), xp.reshape(x[n2:], (self.N, self.N))

    def to(self, xp: Any) -> "PoissonControl":
        return PoissonControl(self.N, alpha=self.alpha, xp=xp, dtype=getattr(xp, str(self.x0.dtype).split(".")[-1]))

    def astype(self, dtype: Any) -> "PoissonControl":
        return PoissonControl(self.N, alpha=self.alpha, xp=self.xp, dtype=dtype)

    def to_cvxpy(self) -> tuple[Any, Any]:
        import cvxpy as cp  # noqa: PLC0415

        n2 = self.N * self.N
        wt = np.asarray(to_numpy(self.w_target), dtype=float)
        x = cp.Variable(2 * n2)
        w, z = x[:n2], x[n2:]
        obj = 0.5 * cp.sum_squares(w - wt) + 0.5 * self.alpha * cp.sum_squares(z)
        return cp.Problem(cp.Minimize(obj), [self.laplacian @ w - z == 0]), x


@keyword_weights
class ConstrainedLogisticRegression(EqualityNLP):
    """Mean logistic loss on the unit sphere intersected with an affine subspace (nonconvex).

    .. math::
        \\min_{w \\in \\mathbb R^d} \\frac1N\\sum_{i=1}^N \\log(1 + e^{-y_i x_i^T w})
        \\quad\\text{s.t.}\\quad A w = b,\\ \\|w\\|_2^2 = 1,

    the constrained logistic regression of Hong, Na, Mahoney & Kolar (ICML 2023) [1]_, started from
    :math:`w_0 = \\mathbf 1`. The constraints are ``c(w) = (A w - b, ||w||^2 - 1)`` (m = k + 1),
    the Jacobian ``[A; 2 w^T]`` and the Lagrangian Hessian
    :math:`X^T \\operatorname{diag}(s(1-s)) X / N + 2\\lambda_{k+1} I` with
    :math:`s_i = \\sigma(y_i x_i^T w)`, all dense in the data's namespace.

    Parameters
    ----------
    X : array, shape (N, d)
        Features, one sample per row.
    y : array, shape (N,)
        Labels in {-1, +1} (labels in {0, 1} are mapped to {-1, +1}).
    A : array, shape (k, d)
        Matrix of the linear constraints.
    b : array, shape (k,)
        Their right-hand side.
    x0 : array, shape (d,), optional
        Default: ones.
    lam0 : array, shape (k + 1,), optional
        Multipliers to start from (see :class:`EqualityNLP`).

    References
    ----------
    .. [1] I. Hong, S. Na, M. W. Mahoney and M. Kolar, "Constrained optimization via exact
       augmented Lagrangian and randomized iterative sketching", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> import optkit
    >>> from optkit.datasets import logistic_constrained_instance
    >>> from optkit.problems import ConstrainedLogisticRegression
    >>> X, y, A, b = logistic_constrained_instance(200, 10, 3, seed=0)
    >>> res = optkit.solve(ConstrainedLogisticRegression(X, y, A, b), seed=0)
    >>> res.method, res.success, bool(abs(np.linalg.norm(res.x) - 1) < 1e-6)
    ('exact_al', True, True)
    """

    def __init__(self, X: Any, y: Any, A: Any, b: Any, *, x0: Any = None, lam0: Any = None) -> None:
        for label, v, nd in (("X", X, 2), ("y", y, 1), ("A", A, 2), ("b", b, 1)):
            if not hasattr(v, "shape") or len(v.shape) != nd:
                raise ValueError(f"{label} must be a {nd}-d array, got {getattr(v, 'shape', type(v).__name__)}")
        xp = get_namespace(X)
        N, d = X.shape
        if tuple(y.shape) != (N,):
            raise ValueError(f"y must have shape ({N},), got {tuple(y.shape)}")
        if A.shape[1] != d or tuple(b.shape) != (A.shape[0],):
            raise ValueError(f"A must have shape (k, {d}) and b shape (k,), got {tuple(A.shape)} and {tuple(b.shape)}")
        dtype = X.dtype if X.dtype in (xp.float32, xp.float64) else xp.float64
        X = xp.astype(X, dtype)
        A, b = xp.astype(A, dtype), xp.astype(b, dtype)
        y = xp.astype(y, dtype)
        ys = set(np.unique(to_numpy(y)).tolist())
        if ys <= {0.0, 1.0}:
            y = 2 * y - 1
        elif not ys <= {-1.0, 1.0}:
            raise ValueError(f"y must hold labels in {{-1, +1}} or {{0, 1}}, got {sorted(ys)[:5]}")
        k = A.shape[0]
        yX = y[:, None] * X

        def fun(w: Any) -> float:
            t = yX @ w
            return float(xp.mean(xp.logaddexp(xp.zeros_like(t), -t)))

        def grad(w: Any) -> Any:
            t = yX @ w
            return -(yX.T @ xp.exp(-xp.logaddexp(xp.zeros_like(t), t))) / N

        def cons(w: Any) -> Any:
            return xp.concat([A @ w - b, xp.reshape(w @ w - 1, (1,))])

        def jac(w: Any) -> Any:
            return xp.concat([A, 2 * w[None, :]], axis=0)

        def hess(w: Any, lam: Any) -> Any:
            t = yX @ w
            s = xp.exp(-xp.logaddexp(xp.zeros_like(t), -t))
            H = (X.T * (s * (1 - s))[None, :]) @ X / N
            return H + 2 * lam[k] * xp.eye(d, dtype=dtype)

        super().__init__(fun=fun, grad=grad, cons=cons, jac=jac, hess=hess,
                         x0=xp.ones((d,), dtype=dtype) if x0 is None else x0, lam0=lam0,
                         name=f"ConstrainedLogisticRegression(N={N}, d={d}, k={k})")
        for label, v in (("X", X), ("y", y), ("A", A), ("b", b)):
            object.__setattr__(self, label, v)

    def to(self, xp: Any) -> "ConstrainedLogisticRegression":
        conv = [asarray(to_numpy(v), xp=xp) for v in (self.X, self.y, self.A, self.b, self.x0)]
        return ConstrainedLogisticRegression(*conv[:4], x0=conv[4])

    def astype(self, dtype: Any) -> "ConstrainedLogisticRegression":
        xp = self.xp
        conv = [xp.astype(v, dtype) for v in (self.X, self.y, self.A, self.b, self.x0)]
        return ConstrainedLogisticRegression(*conv[:4], x0=conv[4])
