"""A low-rank matrix kept as a thin SVD and updated by rank-one terms.

Frank-Wolfe on the nuclear norm builds its iterate from rank-one atoms,
:math:`L \\leftarrow (1-\\gamma)L + \\gamma\\, a b^T`. Keeping
:math:`L = U\\operatorname{diag}(s)V^T` up to date (Brand, "Fast low-rank
modifications of the thin singular value decomposition", Linear Algebra Appl.
415, 2006) gives the exact nuclear norm :math:`\\sum_i s_i` at every iteration
and the factors of the result, at :math:`O((m+n)r^2 + r^3)` per update and
without any SVD of an ``m x n`` matrix.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from ..backend import get_namespace

__all__ = ["ThinSVD", "rank_one_update", "reorthogonalize", "extend_basis", "dense"]


class ThinSVD(NamedTuple):
    """:math:`L = U\\operatorname{diag}(s)V^T` with orthonormal columns and ``s`` descending: the factors of a
    low-rank iterate, or the leading singular triplets of a matrix (:func:`optkit.linalg.partial_svd`)."""

    U: Any  # (m, r)
    s: Any  # (r,)
    V: Any  # (n, r)

    @property
    def rank(self) -> int:
        return int(self.s.shape[0])

    def nuclear_norm(self) -> float:
        """:math:`\\|L\\|_* = \\sum_i s_i`."""
        xp = get_namespace(self.s)
        return float(xp.sum(self.s)) if self.rank else 0.0


def _unit_residual(B: Any, x: Any) -> tuple[Any, Any, float]:
    """``(B^T x, unit vector along x - B B^T x, its norm)`` with two Gram-Schmidt passes."""
    xp = get_namespace(x)
    p = xp.matmul(xp.matrix_transpose(B), x)
    r = x - xp.matmul(B, p)
    p2 = xp.matmul(xp.matrix_transpose(B), r)
    r = r - xp.matmul(B, p2)
    p = p + p2
    nr = float(xp.linalg.vector_norm(r))
    return p, r, nr


def rank_one_update(f: ThinSVD | None, scale: float, a: Any, b: Any, *, rtol: float | None = None) -> ThinSVD:
    """Thin SVD of :math:`\\text{scale}\\cdot L + a b^T` from that of :math:`L`.

    With :math:`a = U p + R_a P` and :math:`b = V q + R_b Q` (``P``, ``Q``
    unit vectors orthogonal to the bases),

    .. math::
        \\text{scale}\\,L + ab^T = [U\\; P]
        \\begin{bmatrix} \\text{scale}\\,\\mathrm{diag}(s) + pq^T & R_b\\, p \\\\ R_a\\, q^T & R_a R_b \\end{bmatrix}
        [V\\; Q]^T,

    and the SVD of the small middle matrix rotates the extended bases.
    Singular values below ``rtol`` times the largest are dropped.

    Parameters
    ----------
    f : ThinSVD or None
        The current factors (``None`` for :math:`L = 0`).
    scale : float
    a : array, shape (m,)
    b : array, shape (n,)
    rtol : float, optional
        Truncation level; default ``100 * eps`` of the dtype.
    """
    xp = get_namespace(a)
    if rtol is None:
        rtol = 100 * float(xp.finfo(a.dtype).eps)
    na = float(xp.linalg.vector_norm(a))
    nb = float(xp.linalg.vector_norm(b))
    if f is None or f.rank == 0 or scale == 0.0:
        if na == 0.0 or nb == 0.0:
            m, n = a.shape[0], b.shape[0]
            return ThinSVD(xp.zeros((m, 0), dtype=a.dtype), xp.zeros((0,), dtype=a.dtype),
                           xp.zeros((n, 0), dtype=a.dtype))
        return ThinSVD(xp.reshape(a / na, (-1, 1)), xp.asarray([na * nb], dtype=a.dtype),
                       xp.reshape(b / nb, (-1, 1)))
    U, s, V = f
    s = s * scale
    p, ra, Ra = _unit_residual(U, a)
    q, rb, Rb = _unit_residual(V, b)
    # a component below rounding adds no direction
    Ra = Ra if Ra > rtol * max(na, 1e-300) else 0.0
    Rb = Rb if Rb > rtol * max(nb, 1e-300) else 0.0
    P = ra / Ra if Ra > 0 else xp.zeros_like(ra)
    Q = rb / Rb if Rb > 0 else xp.zeros_like(rb)
    r = s.shape[0]
    top = xp.concat([_diag(xp, s) + xp.reshape(p, (r, 1)) * xp.reshape(q, (1, r)),
                     xp.reshape(Rb * p, (r, 1))], axis=1)
    bottom = xp.concat([xp.reshape(Ra * q, (1, r)), xp.reshape(xp.asarray(Ra * Rb, dtype=a.dtype), (1, 1))],
                       axis=1)
    K = xp.concat([top, bottom], axis=0)
    Uk, sk, Vkt = xp.linalg.svd(K, full_matrices=False)
    keep = int(xp.sum(xp.astype(sk > rtol * float(sk[0]), xp.int64))) if float(sk[0]) > 0 else 0
    Ue = xp.concat([U, xp.reshape(P, (-1, 1))], axis=1)
    Ve = xp.concat([V, xp.reshape(Q, (-1, 1))], axis=1)
    U2 = xp.matmul(Ue, Uk[:, :keep])
    V2 = xp.matmul(Ve, xp.matrix_transpose(Vkt)[:, :keep])
    return ThinSVD(U2, sk[:keep], V2)


def _diag(xp: Any, s: Any) -> Any:
    r = s.shape[0]
    return xp.eye(r, dtype=s.dtype) * xp.reshape(s, (1, r))


def reorthogonalize(f: ThinSVD) -> ThinSVD:
    """Restore orthonormal bases after many updates: QR of both and an ``r x r`` SVD."""
    xp = get_namespace(f.s)
    if f.rank == 0:
        return f
    Qu, Ru = xp.linalg.qr(f.U)
    Qv, Rv = xp.linalg.qr(f.V)
    C = xp.matmul(Ru * xp.reshape(f.s, (1, -1)), xp.matrix_transpose(Rv))
    W, s, Zt = xp.linalg.svd(C, full_matrices=False)
    return ThinSVD(xp.matmul(Qu, W), s, xp.matmul(Qv, xp.matrix_transpose(Zt)))


def extend_basis(B: Any, X: Any, *, rtol: float = 1e-8) -> Any:
    """An orthonormal basis of :math:`\\operatorname{span}[B\\; X]` whose first columns are ``B``.

    ``B`` (shape ``(m, r)``) has orthonormal columns. The part ``Y`` of ``X`` (shape
    ``(m, j)``) off ``span(B)`` (two Gram-Schmidt passes) is orthonormalised through the
    eigen-decomposition of its ``j x j`` Gram matrix, keeping the directions whose singular value
    exceeds ``max(rtol, 1e-7) * max(1, sigma_1)`` (a column of unit norm already in ``span(B)``
    adds nothing; the Gram matrix resolves singular values down to about
    :math:`\\sqrt{\\epsilon}\\sigma_1`, hence the floor), and projected off ``B`` once more and
    re-orthonormalised (:func:`~optkit.linalg.orthonormalize`) so that rounding amplified by small
    singular values cannot tilt them towards it. Only matrix products touch the ``m``-long
    columns (a thin SVD and a Householder QR of ``Y`` did before: 1-2 s each on a 25344 x 30
    block of the loaded 2-core machine). The result has between ``r`` and ``r + j`` columns.
    """
    from .subspace import orthonormalize  # noqa: PLC0415  (subspace imports this module)

    xp = get_namespace(B, X)
    if X.shape[1] == 0:
        return B

    def off_B(Y: Any) -> Any:
        return Y - xp.matmul(B, xp.matmul(xp.matrix_transpose(B), Y))

    Y = off_B(off_B(X))
    evals, E = xp.linalg.eigh(xp.matmul(xp.matrix_transpose(Y), Y))   # ascending
    sv = xp.sqrt(xp.clip(evals, min=0.0))
    level = max(rtol, 1e-7) * max(float(sv[-1]), 1.0)
    k = int(xp.sum(xp.astype(sv > level, xp.int64)))
    if k == 0:
        return B
    Ek = E[:, E.shape[1] - k:]
    W = xp.matmul(Y, Ek) / xp.reshape(sv[sv.shape[0] - k:], (1, -1))
    return xp.concat([B, orthonormalize(off_B(W))], axis=1)


def dense(f: ThinSVD, shape: tuple[int, int], dtype: Any = None, xp: Any = None) -> Any:
    """The ``m x n`` array :math:`U\\operatorname{diag}(s)V^T`."""
    if f.rank == 0:
        xp = xp or get_namespace(f.U)
        return xp.zeros(shape, dtype=dtype or f.U.dtype)
    xp = get_namespace(f.U)
    return xp.matmul(f.U * xp.reshape(f.s, (1, -1)), xp.matrix_transpose(f.V))
