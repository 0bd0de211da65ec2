"""Singular-value thresholding and the nuclear norm, shared by the low-rank families.

Singular-value thresholding (SVT) is the prox of the nuclear norm
(Cai, Candes and Shen, 2010):

.. math::
    \\operatorname{prox}_{\\tau\\|\\cdot\\|_*}(X) = U \\operatorname{diag}(\\max(\\sigma - \\tau, 0)) V^T,
    \\qquad X = U \\operatorname{diag}(\\sigma) V^T .

For a long matrix (an unfolding of a tensor, a video with many pixels per
frame) the thin SVD is wasteful: with :math:`X \\in \\mathbb{R}^{m\\times n}`,
:math:`n \\ll m`, the eigen-decomposition :math:`X^TX = V\\operatorname{diag}(\\sigma^2)V^T`
of the small side gives

.. math:: \\operatorname{prox}_{\\tau\\|\\cdot\\|_*}(X) = X\\, V_k \\operatorname{diag}(1 - \\tau/\\sigma_k)\\, V_k^T

over the :math:`k` singular values above :math:`\\tau`, at the cost of one
:math:`n\\times n` Gram matrix, its eigen-decomposition and one product -- no
:math:`m\\times n` factor :math:`U` is ever formed. Squaring loses accuracy only
in singular values near :math:`\\sqrt{\\epsilon}\\,\\sigma_{\\max}`, far below any
threshold in practice; near-square matrices take the LAPACK thin SVD instead.

Three routes, one module: :func:`svt` on a dense matrix (LAPACK thin SVD, or the Gram matrix of
the small side for a long matrix), :func:`partial_svt` through a warm-started block subspace
iteration when only a few singular values exceed the threshold (iALM, APG), and
:func:`gram_threshold`, the step both Gram routes share (also
:meth:`optkit.linalg.Matricization.shrink` on tensor unfoldings).
"""
from __future__ import annotations

from typing import Any

from ..backend import get_namespace, is_numpy
from .subspace import partial_svd, right_product
from .thin_svd import ThinSVD

__all__ = ["svt", "partial_svt", "partial_svt_route", "gram_threshold", "gram_sigma_max", "nuclear_norm",
           "gram_sweeps", "deflated_gram_svd", "GRAM_ASPECT"]

#: Aspect ratio from which the Gram route beats the thin SVD.
GRAM_ASPECT = 2.0

#: Sweeps a partial SVD is assumed to take when :func:`partial_svt` weighs it against the Gram route.
GRAM_SWEEPS = 10


#: How many times slower per multiply-add a block sweep's narrow products (``m x n`` by ``n x k``)
#: run than the Gram matrix's (measured on a 25344 x 1000 matrix, one OpenBLAS thread: a sweep of
#: 28 columns about 0.1 s, of 11 columns 0.065 s, against 0.5 s for the 1000 x 1000 Gram matrix and
#: its eigenvalues: 2x and 3.4x).
_NARROW_SLOWDOWN = 3


def gram_sweeps(shape: tuple[int, int], k: int) -> int:
    """Sweeps of a ``k``-column block subspace iteration that cost as much as the Gram route (one
    ``p x p`` Gram matrix, ``p^2 q`` multiply-adds, and its eigenvalues, about ``4 p^3``), at least 2;
    ``0`` (no fallback) on a near-square matrix, where the Gram route does not apply."""
    m, n = shape
    p, q = min(m, n), max(m, n)
    if q < GRAM_ASPECT * p:
        return 0
    return max(2, int((p * p * q + 4 * p ** 3) // (_NARROW_SLOWDOWN * 4 * q * p * k)))


def _small_side_gram(X: Any) -> tuple[Any, bool]:
    """``(G, transposed)`` with ``G`` the Gram matrix of the smaller side of ``X``."""
    xp = get_namespace(X)
    m, n = X.shape
    if n <= m:
        return xp.matmul(xp.matrix_transpose(X), X), False
    return xp.matmul(X, xp.matrix_transpose(X)), True


def svt(X: Any, tau: float) -> tuple[Any, int]:
    """Singular-value thresholding of a 2-d array.

    Parameters
    ----------
    X : array, shape (m, n)
    tau : float
        Threshold, :math:`\\tau \\ge 0`.

    Returns
    -------
    Y : array, shape (m, n)
        :math:`\\operatorname{prox}_{\\tau\\|\\cdot\\|_*}(X)`.
    rank : int
        Number of singular values above ``tau`` (the rank of ``Y``).
    """
    xp = get_namespace(X)
    tau = float(tau)
    m, n = X.shape
    if min(m, n) == 0:
        return X, 0
    if max(m, n) < GRAM_ASPECT * min(m, n):
        U, s, Vt = xp.linalg.svd(X, full_matrices=False)
        keep = s > tau
        rank = int(xp.sum(xp.astype(keep, xp.int64)))
        shrunk = xp.where(keep, s - tau, xp.zeros_like(s))
        return xp.matmul(U[:, :rank] * shrunk[:rank], Vt[:rank, :]), rank
    G, transposed = _small_side_gram(X)
    Vk, shrink = gram_threshold(G, tau)
    if Vk is None:
        return xp.zeros_like(X), 0
    k, n = Vk.shape[1], Vk.shape[0]
    Vt = xp.matrix_transpose(Vk)
    if 2 * k < n:   # through the k kept vectors: 4 m n k flops against 2 m n^2 for the assembled n x n matrix
        if transposed:
            return xp.matmul(Vk, xp.matmul(Vt, X) * xp.reshape(shrink, (k, 1))), k
        return xp.matmul(xp.matmul(X, Vk) * shrink, Vt), k
    W = xp.matmul(Vk * shrink, Vt)
    return (xp.matmul(W, X) if transposed else xp.matmul(X, W)), k


def gram_threshold(G: Any, tau: float) -> tuple[Any, Any]:
    """Singular-value thresholding read off a Gram matrix :math:`G = X^TX`.

    Returns ``(V_k, 1 - tau / sigma_k)`` over the ``k`` singular values
    :math:`\\sigma = \\sqrt{\\operatorname{eig}(G)}` above ``tau``, so that
    :math:`\\operatorname{prox}_{\\tau\\|\\cdot\\|_*}(X) = X V_k \\operatorname{diag}(1-\\tau/\\sigma_k) V_k^T`;
    ``(None, None)`` when none is.
    """
    xp = get_namespace(G)
    evals, V = xp.linalg.eigh(G)  # ascending
    rank = int(xp.sum(xp.astype(evals > tau * tau, xp.int64)))
    if rank == 0:
        return None, None
    sigma = xp.sqrt(evals[evals.shape[0] - rank:])
    return V[:, V.shape[1] - rank:], 1.0 - tau / sigma


def gram_sigma_max(X: Any) -> float:
    """:math:`\\sigma_1(X)` from the eigenvalues of the Gram matrix of the smaller side.

    One ``p x p`` Gram matrix (:math:`p = \\min(m, n)`, ``p^2 max(m, n)`` multiply-adds) and its
    eigenvalues: the squared top singular value is the largest eigenvalue, accurate to a few
    :math:`\\epsilon\\,\\sigma_1^2` whatever the gap to the next one, where an iterative method
    converges slowly inside a cluster of top singular values.
    """
    xp = get_namespace(X)
    if min(X.shape) == 0:
        return 0.0
    G, _ = _small_side_gram(X)
    if is_numpy(xp):
        # the largest eigenvalue alone (LAPACK's MRRR on a subset): 0.073 against 0.115 s for all of
        # them on a 1000 x 1000 Gram matrix, one thread, the same value
        import scipy.linalg  # noqa: PLC0415

        p = G.shape[0]
        top = float(scipy.linalg.eigh(G, subset_by_index=[p - 1, p - 1], eigvals_only=True, driver="evr",
                                      check_finite=False)[0])
        return max(top, 0.0) ** 0.5
    return float(xp.sqrt(xp.clip(xp.max(xp.linalg.eigvalsh(G)), min=0.0)))


def _eigh_above(G: Any, floor: float) -> tuple[Any, Any]:
    """The eigenvalues of a symmetric ``G`` above ``floor``, descending, and their vectors. On NumPy
    only those are computed (LAPACK's MRRR on a subset, SciPy's ``eigh(subset_by_value=...)``): 0.09
    against 0.24 s for the full decomposition of a 1000 x 1000 Gram matrix with 27 values above,
    one thread."""
    xp = get_namespace(G)
    if is_numpy(xp):
        import numpy as np  # noqa: PLC0415
        import scipy.linalg  # noqa: PLC0415

        evals, E = scipy.linalg.eigh(G, subset_by_value=(floor, np.inf), driver="evr", check_finite=False)
    else:
        evals, E = xp.linalg.eigh(G)  # ascending
        k = int(xp.sum(xp.astype(evals > floor, xp.int64)))
        evals, E = evals[evals.shape[0] - k:], E[:, E.shape[1] - k:]
    return xp.flip(evals), xp.flip(E, axis=1)


def deflated_gram_svd(A: Any, V: Any, T: Any, Xd_low: Any, tau: float,
                      below: float = 0.0) -> tuple[Any, Any, Any, float]:
    """``(U, s, V, s_next)``: ``U, s, V`` of the singular values above ``tau`` of a long
    :math:`X = AV^T + X_d`, descending, from its deflated pieces, the deflated part in low precision;
    ``s_next`` the largest singular value in :math:`[(1 - \\text{below})\\tau, \\tau]` (0 if none).

    ``V`` (shape ``(n, d)``) has orthonormal columns, :math:`A = XV`, :math:`X_d = X(I - VV^T)` is given
    rounded (``Xd_low``, float32) and :math:`T = A^TX_d` (shape ``(d, n)``) in full precision. Then

    .. math:: X^TX = V A^TA V^T + VT + T^TV^T + X_d^TX_d ,

    the last term a float32 Gram matrix (half the time of the float64 one) and the rest ``d``-column
    products, assembled in ``A``'s dtype and decomposed as in the dense Gram route
    (:func:`_dense_svd`); the long side's vectors are :math:`(AV^TE + X_dE)/s`. Rounding :math:`X_d`
    and summing its Gram matrix in float32 perturbs the eigenvalues by about
    :math:`\\epsilon_{32}\\|X_d\\|_F^2` (the pieces in full precision add only
    :math:`\\epsilon_{64}\\|X\\|_2^2`), hence a singular value near ``tau`` by about
    :math:`\\epsilon_{32}\\|X_d\\|_F^2/(2\\tau)`: small when ``V`` holds the dominant right singular
    vectors (a previous iterate's), where the undeflated float32 Gram matrix errs by
    :math:`\\epsilon_{32}\\sigma_1^2/(2\\tau)`. Our design; the caller weighs that error against the
    accuracy it needs (measured on iALM's input on the 25344 x 1000 video: :math:`\\sigma_1 = 2927`,
    ``tau = 0.17``; undeflated the float32 route kept 277 singular values where the float64 one keeps 1,
    deflated by the leading vector the singular values near ``tau`` moved by 6e-10, the estimate
    above 1e-6).
    """
    xp = get_namespace(A)
    Vt = xp.matrix_transpose(V)
    G = xp.astype(xp.matmul(xp.matrix_transpose(Xd_low), Xd_low), A.dtype)
    VT = xp.matmul(V, T)
    G = G + VT + xp.matrix_transpose(VT) + xp.matmul(xp.matmul(V, xp.matmul(xp.matrix_transpose(A), A)), Vt)
    evals, E = _eigh_above(G, (1.0 - float(below)) ** 2 * float(tau) * float(tau))
    s = xp.sqrt(xp.clip(evals, min=0.0))
    r = int(xp.sum(xp.astype(s > tau, xp.int64)))
    s_next = float(s[r]) if s.shape[0] > r else 0.0
    E, s = E[:, :r], s[:r]
    W = xp.matmul(A, xp.matmul(Vt, E)) + xp.astype(right_product(Xd_low, xp.astype(E, Xd_low.dtype)), A.dtype)
    return W / xp.reshape(s, (1, -1)), s, E, s_next


def nuclear_norm(X: Any) -> float:
    """:math:`\\|X\\|_* = \\sum_i \\sigma_i(X)`.

    Through LAPACK's singular values (no singular vectors are formed): the Gram
    route would add :math:`\\sqrt{\\epsilon}\\,\\sigma_{\\max}` per numerically
    zero singular value, visible in the objective of a low-rank iterate.
    """
    xp = get_namespace(X)
    return float(xp.sum(xp.linalg.svdvals(X)))


def partial_svt(X: Any, tau: float, V0: Any = None, *, rank_guess: int = 10, tol: float = 1e-7,
                full_ratio: float = 0.3, oversample: int = 5) -> tuple[Any, ThinSVD]:
    """Singular-value thresholding through a partial SVD.

    .. math:: \\operatorname{prox}_{\\tau\\|\\cdot\\|_*}(X) = \\sum_{\\sigma_i > \\tau} (\\sigma_i - \\tau) u_i v_i^T

    The block grows (by half, at least 5 columns) until its smallest
    singular value is at most ``tau``, so every triplet above the threshold
    is captured; past ``full_ratio * min(m, n)`` columns a dense SVD is
    cheaper and is used instead, and on a long matrix the Gram route (one
    ``p x p`` Gram matrix and its eigen-decomposition, see the module docstring)
    is used as soon as it costs less than :data:`GRAM_SWEEPS` sweeps of the
    block (our design: on the 1000-frame video iALM's iterates pass through
    ranks in the tens, where each widening restarted the iteration). A block
    whose Ritz values show more singular values above ``tau`` than it has
    columns is widened at once, and one that has not converged after as many
    sweeps as the Gram route costs (:func:`gram_sweeps`) hands over to it: near
    the threshold clustered values took APG 9-26 sweeps per step on that video
    (1-2.8 s, against 0.65 s for the Gram route).

    Parameters
    ----------
    X : array, shape (m, n)
    tau : float
        Threshold :math:`\\tau \\ge 0`.
    V0 : array, shape (n, j), optional
        Previous right singular vectors (warm start).
    rank_guess : int
        Expected number of singular values above ``tau``.
    tol : float
        Residual target of the triplets kept, relative to :math:`\\sigma_1`.
    full_ratio : float
        Fraction of ``min(m, n)`` from which the dense SVD is used.
    oversample : int
        Columns beyond ``rank_guess`` (more columns, fewer sweeps).

    Returns
    -------
    Y : array, shape (m, n)
        The thresholded matrix.
    factors : ThinSVD
        ``U, s, V`` of ``Y`` (``s`` already shrunk, all positive), rank = ``s.shape[0]``.
    """
    Y, factors, _ = partial_svt_route(X, tau, V0, rank_guess=rank_guess, tol=tol, full_ratio=full_ratio,
                                      oversample=oversample)
    return Y, factors


def partial_svt_route(X: Any, tau: float, V0: Any = None, *, rank_guess: int = 10, tol: float = 1e-7,
                      full_ratio: float = 0.3, oversample: int = 5, dense: bool = False) -> tuple[Any, ThinSVD, bool]:
    """:func:`partial_svt`, and whether the subspace iteration handed over to the dense route for want
    of convergence; with ``dense`` the dense route (:func:`_dense_svd`) is taken at once.

    A caller that thresholds a sequence of similar matrices (iALM's) passes back ``dense=True`` after a
    hand-over: clustered singular values at the threshold stay clustered from one iterate to the next,
    and the sweeps tried before each hand-over cost more than the dense route itself (our design: on
    the 25344 x 1000 video at rank 1-4, 13 sweeps of 7 columns before every Gram route).
    """
    xp = get_namespace(X)
    m, n = X.shape
    p, q = min(m, n), max(m, n)
    k = max(1, min(int(rank_guess) + int(oversample), p))
    fell_back, use_dense = False, bool(dense)
    while not use_dense:
        # the Gram route costs p^2 q + 4 p^3 multiply-adds, a sweep of the block 4 k p q
        # (GRAM_SWEEPS sweeps assumed): on the 25344 x 1000 video it wins from k = 29 columns
        gram_first = q >= GRAM_ASPECT * p and p * p * q + 4 * p ** 3 <= GRAM_SWEEPS * 4 * k * p * q
        if k >= full_ratio * p or gram_first:
            use_dense = True
            break
        budget = gram_sweeps((m, n), k)
        svd, sweeps = partial_svd(X, k, V0, tol=tol, max_iter=budget or 50, threshold=tau)
        U, s, V = svd
        if budget and sweeps >= budget and float(s[k - 1]) <= tau:
            # not converged within what the Gram route costs (clustered values near the threshold)
            fell_back = use_dense = True
            break
        if float(s[k - 1]) <= tau:
            break
        V0 = V
        k = min(p, k + max(5, k // 2))
    if use_dense:
        U, s, V = _dense_svd(X, tau)
    r = int(xp.sum(xp.astype(s > tau, xp.int64)))
    Ur, sr, Vr = U[:, :r], s[:r] - tau, V[:, :r]
    Y = xp.matmul(Ur * sr, xp.matrix_transpose(Vr))
    return Y, ThinSVD(Ur, sr, Vr), fell_back


def _dense_svd(X: Any, tau: float) -> tuple[Any, Any, Any]:
    """``(U, s, V)`` of ``X`` for thresholding by ``tau``, singular values descending.

    A long matrix whose threshold is above :math:`10^{-5}\\sigma_1` goes through the
    eigen-decomposition of its small side's Gram matrix (``m n p`` multiply-adds and one ``p x p``
    eigen-decomposition instead of an ``m x n`` SVD; on the 25344 x 1000 video the LAPACK thin SVD
    is several times dearer). Squaring perturbs singular values by about
    :math:`\\sqrt{\\epsilon}\\,\\sigma_1` at most, far below such a threshold. On that route the
    long side's vectors are formed only for the values above ``tau`` (``2 m n r`` multiply-adds, not
    ``2 m n p``), and only the eigenpairs above ``tau`` are computed (:func:`_eigh_above`).
    Near-square matrices and lower thresholds take the LAPACK thin SVD."""
    xp = get_namespace(X)
    m, n = X.shape
    if max(m, n) >= GRAM_ASPECT * min(m, n):
        G, transposed = _small_side_gram(X)
        # only the pairs above the threshold are computed (and then formed on the long side: 2 m n r
        # multiply-adds, not 2 m n p)
        evals, E = _eigh_above(G, float(tau) * float(tau))
        s = xp.sqrt(xp.clip(evals, min=0.0))
        s1 = float(s[0]) if s.shape[0] else 0.0
        if s1 == 0.0 or tau >= 1e-5 * s1:
            r = int(xp.sum(xp.astype(s > tau, xp.int64)))
            W = right_product(xp.matrix_transpose(X) if transposed else X, E[:, :r]) / xp.reshape(s[:r], (1, -1))
            return (E[:, :r], s[:r], W) if transposed else (W, s[:r], E[:, :r])
    U, s, Vt = xp.linalg.svd(X, full_matrices=False)
    return U, s, xp.matrix_transpose(Vt)
