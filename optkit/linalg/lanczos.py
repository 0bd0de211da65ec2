"""The top singular triplet of a matrix by Golub-Kahan-Lanczos bidiagonalisation.

Frank-Wolfe's nuclear-norm linear minimisation oracle and the duality-gap certificates of
robust PCA need :math:`(u_1, \\sigma_1, v_1)` only; warm started from the previous right
vector, a slowly changing matrix costs two or three matrix-vector products per call.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

from ..backend import get_namespace

__all__ = ["Triplet", "top_singular_triplet"]


class Triplet(NamedTuple):
    """Top singular triplet :math:`A v = \\sigma u`, :math:`A^T u \\approx \\sigma v`."""

    u: Any          # shape (m,)
    sigma: float
    v: Any          # shape (n,)
    steps: int      # matrix-vector product pairs spent
    residual: float  # ||A^T u - sigma v|| (exactly 0 at convergence)


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
            # invariant subspace: A v_j lies in span(U) (relative to the first alpha, so that the
            # test is independent of A's scale; the first step breaks down only at exact zero)
            if alpha <= (10 * eps * alphas[0] if alphas else 0.0):
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
