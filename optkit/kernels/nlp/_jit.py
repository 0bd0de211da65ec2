"""Numba kernels of the equality-constrained NLP family: randomized sketching steps on a
symmetric system :math:`K z = b` held in CSR form with :math:`K^2`. Twins in ``_twin.py``."""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _project_row(i, t, indptr, indices, data, indptr2, indices2, data2, z, r, rr):  # pragma: no cover
    # z <- z - t K_i^T and r <- r - t (K^2)_i, with ||r||^2 updated on the entries that change
    for p in range(indptr[i], indptr[i + 1]):
        z[indices[p]] -= t * data[p]
    for p in range(indptr2[i], indptr2[i + 1]):
        j = indices2[p]
        old = r[j]
        new = old - t * data2[p]
        r[j] = new
        rr += new * new - old * old
    return rr


@numba.njit(cache=True)
def kaczmarz(indptr, indices, data, indptr2, indices2, data2, rownorm2, rows, z, r, rr, target2):  # pragma: no cover
    # Randomized Kaczmarz on the rows drawn in `rows`: z <- z - (r_i / ||K_i||^2) K_i^T and the residual
    # r = K z - b kept by r <- r - (r_i / ||K_i||^2) (K^2)_i (K symmetric), with ||r||^2 updated on the
    # entries that change. Stops before the first step at which ||r||^2 <= target2; returns (steps, ||r||^2).
    for s in range(rows.shape[0]):
        if rr <= target2:
            return s, rr
        i = rows[s]
        d = rownorm2[i]
        if d <= 0.0:
            continue
        t = r[i] / d
        if t == 0.0:
            continue
        rr = _project_row(i, t, indptr, indices, data, indptr2, indices2, data2, z, r, rr)
        if rr < 0.0:
            rr = 0.0
    return rows.shape[0], rr


@numba.njit(cache=True)
def _csr_matvec(indptr, indices, data, v, out):  # pragma: no cover
    for i in range(indptr.shape[0] - 1):
        acc = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            acc += data[p] * v[indices[p]]
        out[i] = acc


@numba.njit(cache=True)
def gaussian(indptr, indices, data, S, z, r, rr, target2):  # pragma: no cover
    # Gaussian vector sketches, one per row of S: u = K s, z <- z - (s^T r / ||u||^2) u and
    # r <- r - (s^T r / ||u||^2) K u. Stops before the first step at which ||r||^2 <= target2.
    N = z.shape[0]
    u = np.empty(N, dtype=z.dtype)
    v = np.empty(N, dtype=z.dtype)
    for s in range(S.shape[0]):
        if rr <= target2:
            return s, rr
        sv = S[s]
        _csr_matvec(indptr, indices, data, sv, u)
        den = 0.0
        num = 0.0
        for i in range(N):
            den += u[i] * u[i]
            num += sv[i] * r[i]
        if den <= 0.0:
            continue
        t = num / den
        _csr_matvec(indptr, indices, data, u, v)
        rr = 0.0
        for i in range(N):
            z[i] -= t * u[i]
            r[i] -= t * v[i]
            rr += r[i] * r[i]
    return S.shape[0], rr


@numba.njit(cache=True)
def block_rows(indptr, indices, data, indptr2, indices2, data2, draws, z, r, rr, target2):  # pragma: no cover
    # Block sketch-and-project on the distinct rows I of each row of `draws` (sorted, duplicates dropped):
    # y = (K^2)_{II}^{-1} r_I by a Cholesky factorisation, z <- z - K_I^T y, r <- r - (K^2)_I^T y. A block
    # whose Gram matrix is not numerically positive definite is skipped. Stops before the first step at
    # which ||r||^2 <= target2; returns (steps, ||r||^2).
    N = z.shape[0]
    kmax = draws.shape[1]
    pos = -np.ones(N, dtype=np.int64)
    rows = np.empty(kmax, dtype=np.int64)
    G = np.empty((kmax, kmax))
    y = np.empty(kmax)
    for s in range(draws.shape[0]):
        if rr <= target2:
            return s, rr
        k = 0                                    # insertion sort of the draw, dropping repeats
        for a in range(kmax):
            v = draws[s, a]
            b = k
            while b > 0 and rows[b - 1] > v:
                b -= 1
            if b > 0 and rows[b - 1] == v:
                continue
            for c in range(k, b, -1):
                rows[c] = rows[c - 1]
            rows[b] = v
            k += 1
        for a in range(k):
            pos[rows[a]] = a
        for a in range(k):
            for b in range(k):
                G[a, b] = 0.0
        for a in range(k):
            i = rows[a]
            y[a] = r[i]
            for p in range(indptr2[i], indptr2[i + 1]):
                b = pos[indices2[p]]
                if b >= 0:
                    G[a, b] = data2[p]
        for a in range(k):
            pos[rows[a]] = -1
        ok = True                                # in-place Cholesky G = L L^T (lower triangle)
        for a in range(k):
            d = G[a, a]
            for c in range(a):
                d -= G[a, c] * G[a, c]
            if d <= 1e-300 * (1.0 + abs(G[a, a])):
                ok = False
                break
            d = np.sqrt(d)
            G[a, a] = d
            for b in range(a + 1, k):
                v = G[b, a]
                for c in range(a):
                    v -= G[b, c] * G[a, c]
                G[b, a] = v / d
        if not ok:
            continue
        for a in range(k):                       # forward and back substitution
            v = y[a]
            for c in range(a):
                v -= G[a, c] * y[c]
            y[a] = v / G[a, a]
        for a in range(k - 1, -1, -1):
            v = y[a]
            for c in range(a + 1, k):
                v -= G[c, a] * y[c]
            y[a] = v / G[a, a]
        for a in range(k):
            rr = _project_row(rows[a], y[a], indptr, indices, data, indptr2, indices2, data2, z, r, rr)
        if rr < 0.0:
            rr = 0.0
    return draws.shape[0], rr
