"""What both NLP methods compute at an iterate: derivatives, the exact augmented Lagrangian merit,
the KKT matrix, the curvature test with its Hessian modification, the Jacobian's conditioning,
and the damped BFGS model used when the problem has no Hessian."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...backend import get_namespace, is_numpy
from ...problems.nlp import EqualityNLP, is_operator, is_sparse

__all__ = ["Point", "first_order", "second_order", "merit", "merit_gradient", "kkt_matrix", "frobenius",
           "modified_hessian", "gram_min_eig", "bfgs_update"]

#: Largest n at which an operator Hessian is materialised as a dense matrix (n products with H).
DENSE_OPERATOR_MAX = 4096
#: Largest n at which a sparse Hessian that fails the Gershgorin test is densified for the reduced test.
DENSE_TEST_MAX = 3000


@dataclass
class Point:
    """An iterate ``(x, lam)`` and what the methods need there.

    ``gl`` is :math:`\\nabla_x L = g + J^T\\lambda`; ``Jtc`` :math:`J^T c`; ``Hgl``
    :math:`\\nabla^2_{xx}L\\,\\nabla_x L` and ``Jgl`` :math:`J\\nabla_x L` (second order, set by
    :func:`second_order`); ``H`` the Lagrangian Hessian (``None`` without ``hess``).
    """

    x: Any
    lam: Any
    f: float
    g: Any
    c: Any
    J: Any
    gl: Any
    Jtc: Any
    gl2: float
    c2: float
    lc: float
    H: Any = None
    Hgl: Any = None
    Jgl: Any = None

    @property
    def finite(self) -> bool:
        return all(math.isfinite(v) for v in (self.f, self.gl2, self.c2, self.lc))


def _dot(a: Any, b: Any) -> float:
    return float(a @ b)


def first_order(problem: EqualityNLP, x: Any, lam: Any) -> Point:
    """f, grad, cons and jac at ``x`` (one call each) and the first-order pieces of the merit."""
    f = problem.value(x)
    g, c, J = problem.grad(x), problem.cons(x), problem.jacobian(x)
    gl = g + J.T @ lam
    return Point(x=x, lam=lam, f=f, g=g, c=c, J=J, gl=gl, Jtc=J.T @ c, gl2=_dot(gl, gl), c2=_dot(c, c),
                 lc=_dot(lam, c))


def _hess_times(H: Any, v: Any) -> Any:
    if is_operator(H):
        return np.asarray(H @ np.asarray(v), dtype=v.dtype)
    return H @ v


def second_order(problem: EqualityNLP, p: Point) -> Point:
    """Adds the Lagrangian Hessian and :math:`H\\nabla_x L`, :math:`J\\nabla_x L` to ``p``.

    Without ``hess``, :math:`H\\nabla_x L` is a forward difference of :math:`\\nabla_x L(\\cdot, \\lambda)`
    along :math:`\\nabla_x L` (one more grad and jac call), with the step
    :math:`\\sqrt{\\epsilon}\\max(1, \\|x\\|)/\\|\\nabla_x L\\|`.
    """
    xp = get_namespace(p.x)
    H = problem.hessian(p.x, p.lam)
    if H is not None and is_operator(H) and problem.n <= DENSE_OPERATOR_MAX:
        H = np.asarray(H @ np.eye(problem.n, dtype=np.dtype(str(p.x.dtype).split(".")[-1])))
        H = xp.asarray(H, dtype=p.x.dtype)
    p.H = H
    if H is not None:
        p.Hgl = _hess_times(H, p.gl)
    elif p.gl2 > 0:
        eps = float(xp.finfo(p.x.dtype).eps)
        t = math.sqrt(eps) * max(1.0, float(xp.linalg.vector_norm(p.x))) / math.sqrt(p.gl2)
        xt = p.x + t * p.gl
        glt = problem.grad(xt) + problem.jacobian(xt).T @ p.lam
        p.Hgl = (glt - p.gl) / t
    else:
        p.Hgl = xp.zeros_like(p.gl)
    p.Jgl = p.J @ p.gl
    return p


def merit(p: Point, eta1: float, eta2: float) -> float:
    """:math:`L_\\eta = f + \\lambda^T c + \\tfrac{\\eta_1}{2}\\|c\\|^2 + \\tfrac{\\eta_2}{2}\\|\\nabla_x L\\|^2`."""
    return p.f + p.lc + 0.5 * eta1 * p.c2 + 0.5 * eta2 * p.gl2


def merit_scale(p: Point, eta1: float, eta2: float) -> float:
    """Sum of the magnitudes of the merit's terms: its rounding error is about eps times this."""
    return abs(p.f) + abs(p.lc) + 0.5 * eta1 * p.c2 + 0.5 * eta2 * p.gl2


def merit_gradient(p: Point, eta1: float, eta2: float) -> tuple[Any, Any]:
    """:math:`(\\nabla_x L + \\eta_1 J^T c + \\eta_2 H\\nabla_x L,\\; c + \\eta_2 J\\nabla_x L)`."""
    return p.gl + eta1 * p.Jtc + eta2 * p.Hgl, p.c + eta2 * p.Jgl


def frobenius(A: Any) -> float:
    """Frobenius norm of a dense, sparse or (by a 1-norm estimate, an upper bound of the 2-norm) operator ``A``."""
    if A is None:
        return 0.0
    if is_sparse(A):
        return float(np.sqrt(np.sum(np.square(A.data, dtype=np.float64))))
    if is_operator(A):
        from scipy.sparse.linalg import onenormest  # noqa: PLC0415

        return float(onenormest(A))
    xp = get_namespace(A)
    return float(xp.linalg.matrix_norm(A))


def kkt_matrix(B: Any, J: Any, reg: float = 0.0) -> Any:
    """:math:`K = \\begin{pmatrix} B & J^T \\\\ J & -\\delta_c I\\end{pmatrix}` (:math:`\\delta_c` = ``reg``,
    0 unless the Jacobian is singular): dense in ``J``'s namespace, or CSR when either block is sparse."""
    m = J.shape[0]
    if is_sparse(B) or is_sparse(J):
        import scipy.sparse as sp  # noqa: PLC0415

        Bs = B if is_sparse(B) else sp.csr_matrix(np.asarray(B))
        Js = J if is_sparse(J) else sp.csr_matrix(np.asarray(J))
        C = -reg * sp.identity(m, dtype=Js.dtype, format="csr") if reg > 0 else None
        return sp.bmat([[Bs, Js.T], [Js, C]], format="csr")
    xp = get_namespace(J)
    top = xp.concat([B, J.T], axis=1)
    bottom = xp.concat([J, -reg * xp.eye(m, dtype=J.dtype)], axis=1)
    return xp.concat([top, bottom], axis=0)


def _cholesky_ok(xp: Any, M: Any) -> bool:
    """A Cholesky attempt: True when ``M`` is numerically positive definite (CuPy returns NaN instead of raising)."""
    try:
        L = xp.linalg.cholesky(M)
    except Exception:  # noqa: BLE001  (LinAlgError of the namespace)
        return False
    return bool(xp.all(xp.isfinite(L)))


def _gershgorin_min(H: Any) -> float:
    """Gershgorin's lower bound on the smallest eigenvalue of a symmetric dense or sparse ``H``."""
    if is_sparse(H):
        d = np.asarray(H.diagonal(), dtype=np.float64)
        off = np.asarray(abs(H).sum(axis=1)).ravel() - np.abs(d)
        return float(np.min(d - off))
    xp = get_namespace(H)
    d = xp.linalg.diagonal(H)
    off = xp.sum(xp.abs(H), axis=1) - xp.abs(d)
    return float(xp.min(d - off))


class CurvatureTest:
    """Is :math:`Z^T(H + \\delta I)Z \\succeq \\tau I` on the null space :math:`Z` of :math:`J`?

    The cheap tests come first: Gershgorin's bound on :math:`H + \\delta I` itself (a positive
    definite ``H`` passes on the null space too); then, for dense matrices (and sparse ones with
    n <= 3000), a Cholesky attempt on :math:`Z^T H Z + (\\delta - \\tau) I` with :math:`Z` from one
    complete QR of :math:`J^T`, computed once per iterate and reused for every trial shift; for
    large sparse or operator Hessians, Lanczos (``eigsh``) for :math:`\\lambda_{\\min}(H)`, a
    sufficient test. The reference code's dense eigendecompositions are not used.
    """

    def __init__(self, H: Any, J: Any, tau: float) -> None:
        self.H, self.J, self.tau = H, J, tau
        self._reduced: Any = None
        self._gersh: float | None = None
        self._lmin: float | None = None

    def __call__(self, shift: float) -> bool:
        H, J, tau = self.H, self.J, self.tau
        n, m = H.shape[0], J.shape[0]
        if not is_operator(H):
            if self._gersh is None:
                self._gersh = _gershgorin_min(H)
            if self._gersh + shift >= tau:
                return True
        if n == m:
            return True
        if is_operator(H) or (is_sparse(H) and n > DENSE_TEST_MAX):
            if self._lmin is None:
                from scipy.sparse.linalg import ArpackNoConvergence, eigsh  # noqa: PLC0415

                try:
                    self._lmin = float(eigsh(H, k=1, which="SA", tol=1e-3, maxiter=20 * n,
                                             return_eigenvectors=False)[0])
                except ArpackNoConvergence as exc:
                    vals = exc.eigenvalues
                    self._lmin = float(vals[0]) if len(vals) else -math.inf
            return self._lmin + shift >= tau
        if self._reduced is None:
            Hd = H.toarray() if is_sparse(H) else H
            Jd = J.toarray() if is_sparse(J) else J
            xp = get_namespace(Hd)
            Q, _ = xp.linalg.qr(Jd.T, mode="complete")
            Z = Q[:, m:]
            R = Z.T @ (Hd @ Z)
            self._reduced = 0.5 * (R + R.T)
        xp = get_namespace(self._reduced)
        eye = xp.eye(n - m, dtype=self._reduced.dtype)
        return _cholesky_ok(xp, self._reduced + (shift - tau) * eye)


def add_identity(H: Any, shift: float) -> Any:
    """:math:`H + \\text{shift}\\cdot I` in ``H``'s format."""
    if shift == 0.0:
        return H
    if is_sparse(H):
        import scipy.sparse as sp  # noqa: PLC0415

        return (H + shift * sp.identity(H.shape[0], dtype=H.dtype, format="csr")).tocsr()
    if is_operator(H):
        from scipy.sparse.linalg import LinearOperator  # noqa: PLC0415

        return LinearOperator(H.shape, matvec=lambda v: H @ v + shift * v, dtype=H.dtype)
    xp = get_namespace(H)
    return H + shift * xp.eye(H.shape[0], dtype=H.dtype)


def modified_hessian(H: Any, J: Any, tau: float, xi: float, paper_shift: bool = False) -> tuple[Any, float]:
    """``(B, delta)``: :math:`B = H + \\delta I` with :math:`Z^T B Z \\succeq \\tau I`.

    ``delta = 0`` when ``H`` passes :class:`CurvatureTest`. Otherwise the trial shifts are
    :math:`\\xi, 10\\xi, 100\\xi, \\dots` up to the reference code's
    :math:`\\xi + \\|H\\|_F` (which always passes); with ``paper_shift`` that last shift is used
    at once. Departure from the reference code (which always adds :math:`\\xi + \\|H\\|_F`): the
    smallest passing shift of the sequence keeps more of the curvature, so fewer steps are
    needed after a modification.
    """
    test = CurvatureTest(H, J, tau)
    if test(0.0):
        return H, 0.0
    cap = xi + frobenius(H)
    shift = cap if paper_shift else xi
    while shift < cap and not test(shift):
        shift *= 10.0
    shift = min(shift, cap)
    return add_identity(H, shift), shift


def gram_min_eig(J: Any, iterations: int = 6) -> tuple[float, float]:
    """``(lambda_min, lambda_max)`` estimates of :math:`JJ^T` (``lambda_min = 0`` when it is singular).

    :math:`\\lambda_{\\min}` by inverse iteration on a factorisation of :math:`JJ^T` (Cholesky when
    dense, sparse LU otherwise), :math:`\\lambda_{\\max}` by power iteration: m x m work, no
    eigendecomposition. Both are Rayleigh quotients, so :math:`\\lambda_{\\min}` is approached
    from above.
    """
    m = J.shape[0]
    if is_sparse(J):
        from scipy.sparse.linalg import splu  # noqa: PLC0415

        G = (J @ J.T).tocsc().astype(np.float64)
        try:
            lu = splu(G)
        except RuntimeError:
            return 0.0, _power(lambda v: G @ v, np.ones(m) / math.sqrt(m), iterations)
        solve = lu.solve
        v = np.ones(m) / math.sqrt(m)
        hi = _power(lambda u: G @ u, v, iterations)
        lo = _inverse(lambda u: G @ u, solve, v, iterations)
        return lo, hi
    xp = get_namespace(J)
    G = J @ J.T
    if not _cholesky_ok(xp, G):
        return 0.0, float(xp.max(xp.linalg.diagonal(G)))
    v = xp.ones((m,), dtype=J.dtype) / math.sqrt(m)
    hi = _power(lambda u: G @ u, v, iterations)

    def solve(u: Any) -> Any:
        return xp.linalg.solve(G, u)

    return _inverse(lambda u: G @ u, solve, v, iterations), hi


def _power(mul: Any, v: Any, iterations: int) -> float:
    xp = get_namespace(v)
    lam = 0.0
    for _ in range(iterations):
        w = mul(v)
        lam = float(v @ w)
        nw = float(xp.linalg.vector_norm(w))
        if not nw > 0:
            return 0.0
        v = w / nw
    return lam


def _inverse(mul: Any, solve: Any, v: Any, iterations: int) -> float:
    xp = get_namespace(v)
    for _ in range(iterations):
        try:
            w = solve(v)
        except Exception:  # noqa: BLE001  (exactly singular after a Cholesky that passed on rounding)
            return 0.0
        nw = float(xp.linalg.vector_norm(w))
        if not (nw > 0 and math.isfinite(nw)):
            return 0.0
        v = w / nw
    return float(v @ mul(v))


def bfgs_update(B: Any, s: Any, y: Any, first: bool) -> Any:
    """Powell-damped BFGS update of the dense Lagrangian-Hessian model ``B`` (stays positive definite).

    With :math:`\\theta = 1` if :math:`s^Ty \\ge 0.2\\, s^TBs`, else
    :math:`0.8\\, s^TBs / (s^TBs - s^Ty)`, :math:`r = \\theta y + (1-\\theta) Bs` and
    :math:`B^+ = B - Bss^TB/s^TBs + rr^T/s^Tr` (Nocedal & Wright, Procedure 18.2). On the first
    update ``B = I`` is rescaled by :math:`y^Ty/s^Ty` when that is positive.
    """
    xp = get_namespace(s)
    sy = float(s @ y)
    if first and sy > 0:
        B = (float(y @ y) / sy) * B
    Bs = B @ s
    sBs = float(s @ Bs)
    if not sBs > 0:
        return B
    theta = 1.0 if sy >= 0.2 * sBs else 0.8 * sBs / (sBs - sy)
    r = theta * y + (1 - theta) * Bs
    sr = float(s @ r)
    if not sr > 0:
        return B
    return B - xp.linalg.outer(Bs, Bs) / sBs + xp.linalg.outer(r, r) / sr


def numpy_dtype(x: Any) -> Any:
    return np.float32 if str(x.dtype).endswith("float32") else np.float64


def uses_numpy(x: Any) -> bool:
    return is_numpy(get_namespace(x))
