"""Array-API twins of the composite kernels in ``_jit.py``."""
from __future__ import annotations

from typing import Any

import numpy as np

from ...backend import get_namespace, to_numpy


def column_sq_norms(A: Any) -> Any:
    """:math:`\\|A_j\\|^2` for every column ``j`` of ``A``."""
    xp = get_namespace(A)
    return xp.sum(A * A, axis=0)


def gather_columns(A: Any, ws: Any) -> Any:
    """``A[:, ws].T``: the columns ``ws`` of ``A`` as the rows of a ``(k, m)`` array."""
    xp = get_namespace(A)
    return xp.take(A, ws, axis=1).T


def restricted_gap(C: Any, x: Any, r: Any, b: Any, lam: float) -> float:
    """Duality gap of the Lasso on the features whose columns are the rows of ``C``,
    at ``x`` with residual ``r``, for the dual point :math:`r\\min(1, \\lambda/\\|Cr\\|_\\infty)`."""
    xp = get_namespace(r)
    cmax = float(xp.max(xp.abs(C @ r))) if C.shape[0] else 0.0
    rr, br = float(xp.sum(r * r)), float(xp.sum(b * r))
    s = min(1.0, lam / cmax) if cmax > 0 else 1.0
    primal = 0.5 * rr + lam * float(xp.sum(xp.abs(x)))
    return primal - (-0.5 * s * s * rr - s * br)


def anderson_weights(G: np.ndarray) -> np.ndarray:
    """Weights :math:`c = z/\\mathbf 1^Tz` with :math:`Gz = \\mathbf 1` (Gaussian elimination with partial
    pivoting on the small host matrix ``G``, overwritten), or an empty array when ``G`` is numerically
    singular. The same function is compiled into the Numba kernel."""
    K = G.shape[0]
    z = np.ones(K)
    scale = 0.0
    for i in range(K):
        scale = max(scale, abs(G[i, i]))
    for col in range(K):
        piv = col
        for i in range(col + 1, K):
            if abs(G[i, col]) > abs(G[piv, col]):
                piv = i
        if not abs(G[piv, col]) > 1e-13 * scale:
            return np.empty(0)
        if piv != col:
            for j in range(K):
                G[col, j], G[piv, j] = G[piv, j], G[col, j]
            z[col], z[piv] = z[piv], z[col]
        for i in range(col + 1, K):
            f = G[i, col] / G[col, col]
            for j in range(col, K):
                G[i, j] -= f * G[col, j]
            z[i] -= f * z[col]
    for i in range(K - 1, -1, -1):
        acc = z[i]
        for j in range(i + 1, K):
            acc -= G[i, j] * z[j]
        z[i] = acc / G[i, i]
    total = 0.0
    for i in range(K):
        total += z[i]
    if not abs(total) > 0.0 or not np.isfinite(total):
        return np.empty(0)
    return z / total


def _primal(r: Any, x: Any, lam: float) -> float:
    xp = get_namespace(r)
    return 0.5 * float(xp.sum(r * r)) + lam * float(xp.sum(xp.abs(x)))


def lasso_cd(C: Any, x: Any, r: Any, b: Any, norms2: Any, lam: float, gap_tol: float, max_epochs: int,
             check_every: int, accelerate: bool = True) -> tuple[Any, Any, int, float]:
    """Cyclic coordinate descent on :math:`\\tfrac12\\|C^Tx - b\\|^2 + \\lambda\\|x\\|_1` (see
    ``lasso_cd`` in ``__init__``); returns the new ``x``, its residual (afresh), the epochs run and the last gap."""
    xp = get_namespace(r)
    x = xp.asarray(x, copy=True)
    k = C.shape[0]
    epochs = 0
    gap = restricted_gap(C, x, r, b, lam)
    while gap > gap_tol and epochs < max_epochs:
        period = min(check_every, max_epochs - epochs)
        hist = [xp.asarray(x, copy=True)]
        for _ in range(period):
            for j in range(k):
                nj = float(norms2[j])
                if nj == 0.0:
                    continue
                g = float(xp.sum(C[j, :] * r))
                old = float(x[j])
                v = old - g / nj
                t = lam / nj
                new = v - min(max(v, -t), t)
                if new != old:
                    x[j] = new
                    r = r + (new - old) * C[j, :]
            epochs += 1
            hist.append(xp.asarray(x, copy=True))
        if accelerate and period == check_every and period > 1:
            U = xp.stack([hist[i + 1] - hist[i] for i in range(period)])
            c = anderson_weights(np.array(to_numpy(U @ U.T), dtype=np.float64))  # K x K, on the host
            if c.size:
                xa = sum(float(c[i]) * hist[i + 1] for i in range(period))
                ra = C.T @ xa - b
                if _primal(ra, xa, lam) < _primal(r, x, lam):
                    x, r = xa, ra
        gap = restricted_gap(C, x, r, b, lam)
    return x, C.T @ x - b, epochs, gap
