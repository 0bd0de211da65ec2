"""Numba kernels of the composite family: cyclic coordinate descent for the Lasso on a working set.

Sums are accumulated in float64 whatever the dtype; the dot products may be reassociated
(``fastmath={"reassoc"}``) so that they vectorise. Twins in ``_twin.py``; dispatch in ``__init__``.
"""
from __future__ import annotations

import numba
import numpy as np

from .._jit import _shrink
from ._twin import anderson_weights

_anderson_weights = numba.njit(cache=True)(anderson_weights)

_FAST = {"reassoc", "contract"}


@numba.njit(cache=True, fastmath=_FAST)
def column_sq_norms(A):  # pragma: no cover  (compiled)
    m, n = A.shape
    out = np.zeros(n)
    for i in range(m):
        for j in range(n):
            out[j] += A[i, j] * A[i, j]
    return out


@numba.njit(cache=True)
def gather_columns(A, ws, prev, prev_ws):  # pragma: no cover  (compiled)
    """``A[:, ws].T`` as a C-contiguous ``(k, m)`` array; the rows of ``prev`` (``A[:, prev_ws].T``,
    ``prev_ws`` sorted like ``ws``) are copied, only the other columns are read from ``A``, row by row."""
    m = A.shape[0]
    k = ws.size
    C = np.empty((k, m), A.dtype)
    new = np.empty(k, np.int64)
    n_new = 0
    p = 0
    for j in range(k):
        while p < prev_ws.size and prev_ws[p] < ws[j]:
            p += 1
        if p < prev_ws.size and prev_ws[p] == ws[j]:
            C[j] = prev[p]
        else:
            new[n_new] = j
            n_new += 1
    for i in range(m):
        for t in range(n_new):
            j = new[t]
            C[j, i] = A[i, ws[j]]
    return C


@numba.njit(cache=True, fastmath=_FAST)
def _dot(u, v):  # pragma: no cover  (compiled)
    s = 0.0
    for i in range(u.size):
        s += u[i] * v[i]
    return s


@numba.njit(cache=True, fastmath=_FAST)
def _restricted_gap(C, x, r, b, lam):  # pragma: no cover  (compiled)
    k = C.shape[0]
    cmax = 0.0
    for j in range(k):
        cmax = max(cmax, abs(_dot(C[j], r)))
    rr = _dot(r, r)
    br = _dot(b, r)
    l1 = 0.0
    for j in range(k):
        l1 += abs(x[j])
    s = min(1.0, lam / cmax) if cmax > 0 else 1.0
    primal = 0.5 * rr + lam * l1
    dual = -0.5 * s * s * rr - s * br
    return primal - dual


@numba.njit(cache=True, fastmath=_FAST)
def _residual(C, x, b, out):  # pragma: no cover  (compiled)
    """``out = C^T x - b``, skipping the zero coordinates."""
    k, m = C.shape
    for i in range(m):
        out[i] = -b[i]
    for j in range(k):
        if x[j] != 0.0:
            for i in range(m):
                out[i] += x[j] * C[j, i]


@numba.njit(cache=True, fastmath=_FAST)
def _primal(r, x, lam):  # pragma: no cover  (compiled)
    l1 = 0.0
    for j in range(x.size):
        l1 += abs(x[j])
    return 0.5 * _dot(r, r) + lam * l1


@numba.njit(cache=True, fastmath=_FAST)
def lasso_cd(C, x, r, b, norms2, lam, gap_tol, max_epochs, check_every, accelerate):  # pragma: no cover
    k, m = C.shape
    epochs = 0
    hist = np.empty((check_every + 1, k), x.dtype)
    G = np.empty((check_every, check_every))
    xa = np.empty_like(x)
    ra = np.empty_like(r)
    gap = _restricted_gap(C, x, r, b, lam)
    while gap > gap_tol and epochs < max_epochs:
        period = min(check_every, max_epochs - epochs)
        hist[0] = x
        for e in range(period):
            for j in range(k):
                if norms2[j] == 0.0:
                    continue
                old = x[j]
                new = _shrink(old - _dot(C[j], r) / norms2[j], lam / norms2[j])
                if new != old:
                    x[j] = new
                    d = new - old
                    for i in range(m):
                        r[i] += d * C[j, i]
            epochs += 1
            hist[e + 1] = x
        if accelerate and period == check_every and period > 1:
            # Anderson extrapolation of the last iterates (Bertrand & Massias 2021)
            for p in range(period):
                for q in range(p, period):
                    acc = 0.0
                    for j in range(k):
                        acc += (hist[p + 1, j] - hist[p, j]) * (hist[q + 1, j] - hist[q, j])
                    G[p, q] = acc
                    G[q, p] = acc
            c = _anderson_weights(G)
            if c.size:
                for j in range(k):
                    acc = 0.0
                    for p in range(period):
                        acc += c[p] * hist[p + 1, j]
                    xa[j] = acc
                _residual(C, xa, b, ra)
                if _primal(ra, xa, lam) < _primal(r, x, lam):
                    x[:] = xa
                    r[:] = ra
        gap = _restricted_gap(C, x, r, b, lam)
    _residual(C, x, b, r)  # afresh, free of the updates' rounding
    return epochs, gap
