"""Partial singular value decompositions written against the array API.

Robust matrix recovery needs only a few singular triplets per iteration:

- Frank-Wolfe's nuclear-norm LMO needs the top triplet :math:`(u_1, \\sigma_1, v_1)`
  of the gradient; :func:`top_singular_triplet` computes it by Golub-Kahan-Lanczos
  bidiagonalisation (Golub & Kahan 1965) with full reorthogonalisation, warm
  started from the previous right vector, so that a slowly changing gradient
  costs two or three matrix-vector products per iteration.
- Singular-value thresholding inside iALM / APG needs the triplets above a
  threshold only; :func:`partial_svt` finds them by block subspace iteration
  with a Rayleigh-Ritz step (Halko, Martinsson & Tropp 2011, Alg. 4.4 and 5.1),
  warm started from the previous right singular subspace, growing the block
  until the smallest computed singular value falls below the threshold.

No dense temporary beyond an ``m x k`` block is formed and nothing leaves the
array namespace except scalars (norms, residuals).
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

from .backend import get_namespace

__all__ = ["Triplet", "PartialSVD", "top_singular_triplet", "partial_svd", "partial_svt"]


class Triplet(NamedTuple):
    """Top singular triplet :math:`A v = \\sigma u`, :math:`A^T u \\approx \\sigma v`."""

    u: Any          # shape (m,)
    sigma: float
    v: Any          # shape (n,)
    steps: int      # matrix-vector product pairs spent
    residual: float  # ||A^T u - sigma v|| (exactly 0 at convergence)


class PartialSVD(NamedTuple):
    """Leading singular triplets :math:`A \\approx U\\,\\mathrm{diag}(s)\\,V^T`, ``s`` descending."""

    U: Any   # (m, k)
    s: Any   # (k,)
    V: Any   # (n, k)


def _norm(x: Any) -> float:
    xp = get_namespace(x)
    return float(xp.linalg.vector_norm(x))


def _start_vector(A: Any) -> Any:
    """A deterministic start: the row of ``A`` with the largest norm (in the row space of ``A``)."""
    xp = get_namespace(A)
    i = int(xp.argmax(xp.vecdot(A, A, axis=-1)))
    return A[i, :]


def top_singular_triplet(A: Any, v0: Any = None, *, tol: float = 1e-8, max_steps: int = 40) -> Triplet:
    """Top singular triplet of a 2-d array by Golub-Kahan-Lanczos bidiagonalisation.

    After :math:`j` steps, :math:`A V_j = U_j B_j` and
    :math:`A^T U_j = V_j B_j^T + \\beta_j v_{j+1} e_j^T` with :math:`B_j` upper
    bidiagonal. If :math:`B_j = X\\,\\Theta\\,Y^T`, the Ritz triplet
    :math:`(U_j x_1, \\theta_1, V_j y_1)` satisfies :math:`A v = \\theta u` exactly
    and :math:`\\|A^T u - \\theta v\\| = |\\beta_j\\, x_{1,j}|`; the iteration stops
    once this is at most ``tol * theta`` (explicit restarts from the Ritz vector
    after ``max_steps`` steps). Both Lanczos bases are fully reorthogonalised.

    Parameters
    ----------
    A : array, shape (m, n)
    v0 : array, shape (n,), optional
        Start vector (the previous right singular vector when warm starting);
        default: the largest row of ``A``.
    tol : float
        Relative residual target.
    max_steps : int
        Lanczos steps before a restart.

    Returns
    -------
    Triplet
        ``(u, sigma, v, steps, residual)``; ``sigma = 0`` (and ``u``, ``v`` unit
        vectors) for a zero matrix.
    """
    xp = get_namespace(A)
    m, n = A.shape
    if m == 0 or n == 0:
        raise ValueError(f"A must be non-empty, got shape {(m, n)}")
    v = _start_vector(A) if v0 is None else xp.astype(v0, A.dtype)
    nv = _norm(v)
    if not nv > 0 or not math.isfinite(nv):
        v, nv = _start_vector(A), None
        nv = _norm(v)
    if not nv > 0:  # A = 0
        u = xp.zeros((m,), dtype=A.dtype)
        u = xp.concat([xp.ones((1,), dtype=A.dtype), u[1:]])
        w = xp.concat([xp.ones((1,), dtype=A.dtype), xp.zeros((n - 1,), dtype=A.dtype)])
        return Triplet(u, 0.0, w, 0, 0.0)
    v = v / nv
    kmax = max(1, min(max_steps, m, n))
    total = 0
    eps = float(xp.finfo(A.dtype).eps)
    tol = max(tol, 10 * eps)
    for _restart in range(50):
        Um = xp.zeros((m, kmax), dtype=A.dtype)
        Vm = xp.zeros((n, kmax + 1), dtype=A.dtype)
        Vm[:, 0] = v
        alphas: list[float] = []
        betas: list[float] = []
        u_prev = None
        for j in range(kmax):
            u = xp.matmul(A, Vm[:, j])
            if u_prev is not None:
                u = u - betas[-1] * u_prev
            if j:
                Uj = Um[:, :j]
                u = u - xp.matmul(Uj, xp.matmul(xp.matrix_transpose(Uj), u))
            alpha = _norm(u)
            total += 1
            if alpha <= eps * (alphas[0] if alphas else 1.0) * 10:
                # invariant subspace: A v_j lies in span(U)
                if not alphas:
                    return Triplet(xp.zeros((m,), dtype=A.dtype), 0.0, v, total, 0.0)
                break
            u = u / alpha
            Um[:, j] = u
            alphas.append(alpha)
            Vj = Vm[:, : j + 1]
            w = xp.matmul(xp.matrix_transpose(A), u) - alpha * Vm[:, j]
            w = w - xp.matmul(Vj, xp.matmul(xp.matrix_transpose(Vj), w))
            w = w - xp.matmul(Vj, xp.matmul(xp.matrix_transpose(Vj), w))
            beta = _norm(w)
            betas.append(beta)
            theta, x, y = _ritz(xp, alphas, betas, A.dtype)
            resid = abs(beta * float(x[j]))
            if resid <= tol * theta or beta <= eps * theta or j + 1 >= n:
                return _assemble(xp, Um[:, : j + 1], Vm[:, : j + 1], theta, x, y, total, resid)
            Vm[:, j + 1] = w / beta
            u_prev = u
        k = len(alphas)
        theta, x, y = _ritz(xp, alphas, betas[:k], A.dtype)
        resid = abs(betas[k - 1] * float(x[k - 1]))
        trip = _assemble(xp, Um[:, :k], Vm[:, :k], theta, x, y, total, resid)
        if resid <= tol * theta:
            return trip
        # explicit restart from one power step on the Ritz left vector (it also moves a
        # basis that has exhausted span(A), e.g. a single-row A)
        v = xp.matmul(xp.matrix_transpose(A), trip.u)
        total += 1
        nv = _norm(v)
        if not nv > 0:
            return trip
        v = v / nv
    return trip


def _ritz(xp: Any, alphas: list[float], betas: list[float], dtype: Any) -> tuple[float, Any, Any]:
    """Top singular triplet of the small upper-bidiagonal matrix B (alphas on the diagonal)."""
    j = len(alphas)
    rows = [[0.0] * j for _ in range(j)]
    for i in range(j):
        rows[i][i] = alphas[i]
        if i + 1 < j:
            rows[i][i + 1] = betas[i]
    B = xp.asarray(rows, dtype=xp.float64)
    X, th, Yt = xp.linalg.svd(B, full_matrices=False)
    return float(th[0]), X[:, 0], Yt[0, :]


def _assemble(xp: Any, Uk: Any, Vk: Any, theta: float, x: Any, y: Any, steps: int, resid: float) -> Triplet:
    dtype = Uk.dtype
    u = xp.matmul(Uk, xp.astype(x, dtype))
    v = xp.matmul(Vk, xp.astype(y, dtype))
    u = u / _norm(u)
    v = v / _norm(v)
    return Triplet(u, theta, v, steps, resid)


def _orth(Y: Any) -> Any:
    xp = get_namespace(Y)
    Q, _ = xp.linalg.qr(Y)
    return Q


def partial_svd(A: Any, k: int, V0: Any = None, *, tol: float = 1e-6, max_iter: int = 30,
                converge: int | None = None, threshold: float | None = None,
                by_value: bool = False) -> tuple[PartialSVD, int]:
    r"""The ``k`` leading singular triplets of ``A`` by subspace iteration with Rayleigh-Ritz.

    Each sweep computes :math:`Q = \\operatorname{orth}(AV)`, the small SVD
    :math:`Q^TA = \\hat U\\,\\mathrm{diag}(s)\\,V^T` and :math:`U = Q\\hat U`;
    the sweep stops when the first ``converge`` (default ``k``) triplets have
    :math:`\\|A v_i - s_i u_i\\| \\le \\mathrm{tol}\\; s_1`.

    Parameters
    ----------
    A : array, shape (m, n)
    k : int
        Block size, ``1 <= k <= min(m, n)``.
    V0 : array, shape (n, j), optional
        Warm start (``j`` columns; padded deterministically up to ``k``).
    tol : float
        Residual target relative to :math:`s_1`.
    max_iter : int
        Sweeps at most.
    converge : int, optional
        How many leading triplets must meet ``tol``.
    threshold : float, optional
        Instead of ``converge``: the triplets with :math:`s_i > \mathrm{threshold}`
        must meet ``tol`` (thresholding needs only those).
    by_value : bool
        Stop instead when :math:`s_1` changes by at most ``tol`` (relative) between
        sweeps. The Ritz pair satisfies :math:`u_1^TAv_1 = s_1 \le \sigma_1` exactly,
        so a settled :math:`s_1` is what a linear minimisation oracle needs, even
        inside a cluster of singular values where the vectors are ill-determined.

    Returns
    -------
    (PartialSVD, sweeps)
    """
    xp = get_namespace(A)
    m, n = A.shape
    k = int(max(1, min(k, m, n)))
    V = _initial_block(A, k, V0)
    need = k if converge is None else max(1, min(converge, k))
    sweeps = 0
    AV = xp.matmul(A, V)
    s_old = -1.0
    while True:
        sweeps += 1
        Q = _orth(AV)
        Bt = xp.matmul(xp.matrix_transpose(A), Q)           # (n, k) = (Q^T A)^T
        W, s, Zt = xp.linalg.svd(Bt, full_matrices=False)   # Bt = W diag(s) Zt  ->  Q^T A = Zt^T s W^T
        V = W
        U = xp.matmul(Q, xp.matrix_transpose(Zt))
        if by_value:
            s1 = float(s[0])
            if abs(s1 - s_old) <= tol * s1 or sweeps >= max_iter or s1 == 0.0:
                return PartialSVD(U, s, V), sweeps
            s_old = s1
            AV = xp.matmul(A, V)
            continue
        AV = xp.matmul(A, V)
        R = AV - U * s
        if threshold is not None:
            need = max(1, min(k, int(xp.sum(xp.astype(s > threshold, xp.int64)))))
        res = xp.linalg.vector_norm(R[:, :need], axis=0)
        s1 = float(s[0])
        if float(xp.max(res)) <= tol * max(s1, 1e-300) or sweeps >= max_iter or s1 == 0.0:
            return PartialSVD(U, s, V), sweeps


def _initial_block(A: Any, k: int, V0: Any) -> Any:
    """An orthonormal (n, k) start: the warm start, padded with the largest rows of ``A``."""
    xp = get_namespace(A)
    n = A.shape[1]
    cols = []
    if V0 is not None and V0.shape[1] == 0:
        V0 = None
    if V0 is not None:
        V0 = xp.astype(V0, A.dtype)
        cols.append(V0[:, : min(k, V0.shape[1])])
    have = 0 if V0 is None else min(V0.shape[1], k)
    if have < k:
        norms = xp.vecdot(A, A, axis=-1)
        order = xp.argsort(-norms)
        take = order[: k - have]
        rows = xp.take(A, take, axis=0)                      # (k - have, n)
        cols.append(xp.matrix_transpose(rows))
    V = xp.concat(cols, axis=1) if len(cols) > 1 else cols[0]
    # rank-deficient rows still give an orthonormal basis through QR; a zero block gets unit vectors
    Q = _orth(V)
    bad = ~xp.all(xp.isfinite(Q))
    if bool(bad):
        Q = xp.eye(n, k, dtype=A.dtype)
    return Q


def partial_svt(X: Any, tau: float, V0: Any = None, *, rank_guess: int = 10, tol: float = 1e-7,
                full_ratio: float = 0.3, oversample: int = 5) -> tuple[Any, PartialSVD]:
    """Singular-value thresholding through a partial SVD.

    .. math:: \\operatorname{prox}_{\\tau\\|\\cdot\\|_*}(X) = \\sum_{\\sigma_i > \\tau} (\\sigma_i - \\tau) u_i v_i^T

    The block grows (by half, at least 5 columns) until its smallest
    singular value is at most ``tau``, so every triplet above the threshold
    is captured; past ``full_ratio * min(m, n)`` columns a dense SVD is
    cheaper and is used instead.

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
    factors : PartialSVD
        ``U, s, V`` of ``Y`` (``s`` already shrunk, all positive), rank = ``s.shape[0]``.
    """
    xp = get_namespace(X)
    m, n = X.shape
    p = min(m, n)
    k = max(1, min(int(rank_guess) + int(oversample), p))
    while True:
        if k >= full_ratio * p:
            U, s, Vt = xp.linalg.svd(X, full_matrices=False)
            V = xp.matrix_transpose(Vt)
            break
        svd, _ = partial_svd(X, k, V0, tol=tol, max_iter=50, threshold=tau)
        U, s, V = svd
        if float(s[k - 1]) <= tau:
            break
        V0 = V
        k = min(p, k + max(5, k // 2))
    r = int(xp.sum(xp.astype(s > tau, xp.int64)))
    Ur, sr, Vr = U[:, :r], s[:r] - tau, V[:, :r]
    Y = xp.matmul(Ur * sr, xp.matrix_transpose(Vr))
    return Y, PartialSVD(Ur, sr, Vr)
