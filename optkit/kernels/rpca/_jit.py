"""Numba kernels of the robust matrix recovery family: fused passes over the ``m x n`` iterates.

Each loop runs over rows in parallel and reduces per row, then serially over rows; sums are
accumulated in float64 whatever the dtype. Twins in ``_twin.py``; dispatch in ``__init__``.
"""
from __future__ import annotations

import numba
import numpy as np

from .._jit import _builds, _shrink


def _lowrank_residual(L, S, M, W, masked, out):  # pragma: no cover  (compiled)
    m, n = L.shape
    rowsq = np.zeros(m)
    rowmax = np.zeros(m)
    rowarg = np.zeros(m, np.int64)
    for i in numba.prange(m):
        sq = 0.0
        mx = -1.0
        am = 0
        for j in range(n):
            r = L[i, j] + S[i, j] - M[i, j]
            if masked:
                r *= W[i, j]
            out[i, j] = r
            sq += r * r
            a = abs(r)
            if a > mx:
                mx = a
                am = j
        rowsq[i] = sq
        rowmax[i] = mx
        rowarg[i] = am
    total = 0.0
    best = -1.0
    at = 0
    for i in range(m):
        total += rowsq[i]
        if rowmax[i] > best:
            best = rowmax[i]
            at = i * n + rowarg[i]
    return out, total, at, best


def _fw_quadratic(G, L, S, W, masked, u, v, c):  # pragma: no cover  (compiled)
    m, n = L.shape
    acc = np.zeros((m, 5))
    for i in numba.prange(m):
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        a4 = 0.0
        cu = c * u[i]
        for j in range(n):
            w = W[i, j] if masked else 1.0
            dl = (cu * v[j] - L[i, j]) * w
            ds = -S[i, j] * w
            g = G[i, j]
            a0 += dl * dl
            a1 += dl * ds
            a2 += ds * ds
            a3 += g * dl
            a4 += g * ds
        acc[i, 0] = a0
        acc[i, 1] = a1
        acc[i, 2] = a2
        acc[i, 3] = a3
        acc[i, 4] = a4
    out = np.zeros(5)
    for i in range(m):
        for k in range(5):
            out[k] += acc[i, k]
    return out


def _fw_update(L, S, M, W, masked, u, v, c, alpha, beta, i0, j0, sv, lam_s, L2, S2, G, write_l):  # pragma: no cover
    m, n = L.shape
    rows = np.zeros((m, 4))
    rowarg = np.zeros(m, np.int64)
    keep = 1.0 - alpha
    shrink = 1.0 - beta
    for i in numba.prange(m):
        sq = 0.0
        mx = -1.0
        am = 0
        l1 = 0.0
        gm = 0.0
        cu = alpha * c * u[i]
        for j in range(n):
            lij = keep * L[i, j] + cu * v[j]
            if masked:
                w = W[i, j]
                s = shrink * S[i, j]
                if i == i0 and j == j0:
                    s += sv
                z = s - (lij + s - M[i, j]) * w
            else:
                # S + sv e_ij - (L + S + sv e_ij - M) = M - L: the old S is not read
                w = 1.0
                z = M[i, j] - lij
            s = _shrink(z, lam_s)
            if write_l:
                L2[i, j] = lij
            S2[i, j] = s
            mij = M[i, j]
            r = (lij + s - mij) * w
            G[i, j] = r
            sq += r * r
            gm += r * mij
            l1 += abs(s)
            a = abs(r)
            if a > mx:
                mx = a
                am = j
        rows[i, 0] = sq
        rows[i, 1] = mx
        rows[i, 2] = l1
        rows[i, 3] = gm
        rowarg[i] = am
    total = 0.0
    l1s = 0.0
    gms = 0.0
    best = -1.0
    at = 0
    for i in range(m):
        total += rows[i, 0]
        l1s += rows[i, 2]
        gms += rows[i, 3]
        if rows[i, 1] > best:
            best = rows[i, 1]
            at = i * n + rowarg[i]
    return L2, S2, G, total, at, best, l1s, gms


def _fw_residual(L, M, u, v, c, alpha, lam_s, G, scale):  # pragma: no cover  (compiled)
    m, n = L.shape
    keep = 1.0 - alpha
    for i in numba.prange(m):
        cu = alpha * c * u[i]
        for j in range(n):
            lij = keep * L[i, j] + cu * v[j]
            s = _shrink(M[i, j] - lij, lam_s)
            G[i, j] = (lij + s - M[i, j]) * scale
    return G


@numba.njit(cache=True, inline="always")
def _absmax(g):  # pragma: no cover  (compiled)
    """:math:`\\max_j |g_j|` of a row just written (in cache), over four running maxima: a
    single maximum in the fused loop is a serial chain of compares that kept ``fw_prox`` from
    vectorising (0.11-0.14 s against 0.06 s without it on 25344 x 1000, one thread)."""
    n = g.shape[0]
    m0 = 0.0
    m1 = 0.0
    m2 = 0.0
    m3 = 0.0
    j = 0
    while j + 4 <= n:
        a0 = abs(g[j])
        a1 = abs(g[j + 1])
        a2 = abs(g[j + 2])
        a3 = abs(g[j + 3])
        m0 = a0 if a0 > m0 else m0
        m1 = a1 if a1 > m1 else m1
        m2 = a2 if a2 > m2 else m2
        m3 = a3 if a3 > m3 else m3
        j += 4
    while j < n:
        a0 = abs(g[j])
        m0 = a0 if a0 > m0 else m0
        j += 1
    m0 = m0 if m0 > m1 else m1
    m2 = m2 if m2 > m3 else m3
    return m0 if m0 > m2 else m2


def _fw_prox(L, M, lam_s, store_s, S2, store_g, G, low, G2, low_scale):  # pragma: no cover  (compiled)
    m, n = L.shape
    rows = np.zeros((m, 9))
    for i in numba.prange(m):
        row = np.empty(0 if store_g else n, dtype=L.dtype)  # the row of G where G is not stored
        sq = 0.0
        l1 = 0.0
        gm = 0.0
        ll = 0.0
        ls = 0.0
        ss = 0.0
        gl = 0.0
        gs = 0.0
        for j in range(n):
            lij = L[i, j]
            mij = M[i, j]
            s = _shrink(mij - lij, lam_s)
            r = lij + s - mij
            if store_s:
                S2[i, j] = s
            if store_g:
                G[i, j] = r
            else:
                row[j] = r
            if low:
                G2[i, j] = r * low_scale
            sq += r * r
            l1 += abs(s)
            gm += r * mij
            ll += lij * lij
            ls += lij * s
            ss += s * s
            gl += r * lij
            gs += r * s
        rows[i, 0] = sq
        rows[i, 1] = _absmax(G[i] if store_g else row)
        rows[i, 2] = l1
        rows[i, 3] = gm
        rows[i, 4] = ll
        rows[i, 5] = ls
        rows[i, 6] = ss
        rows[i, 7] = gl
        rows[i, 8] = gs
    out = np.zeros(9)
    best = -1.0
    bi = 0
    for i in range(m):
        for q in range(9):
            if q != 1:
                out[q] += rows[i, q]
        if rows[i, 1] > best:
            best = rows[i, 1]
            bi = i
    out[1] = best
    at = bi * n
    top = -1.0
    for j in range(n):  # the maximum's column, in the row that holds it (G may be rounded to its dtype)
        if store_g:
            a = abs(G[bi, j])
        else:
            lij = L[bi, j]
            mij = M[bi, j]
            a = abs(lij + _shrink(mij - lij, lam_s) - mij)
        if a > top:
            top = a
            at = bi * n + j
    return S2, G, out, at


def _ialm_svt_input(M, S, Y, L, W, masked, inv_mu, out):  # pragma: no cover  (compiled)
    m, n = M.shape
    for i in numba.prange(m):
        for j in range(n):
            x = M[i, j] - S[i, j] + Y[i, j] * inv_mu
            if masked:
                x += (1.0 - W[i, j]) * L[i, j]
            out[i, j] = x
    return out


def _ialm_svt_input_deflated(M, S, Y, L, W, masked, inv_mu, Vt, Xd, A, blocks):  # pragma: no cover
    # rows in ``blocks`` blocks (one a thread), each with its own row buffer and its own part of T
    m, n = M.shape
    d = Vt.shape[0]
    blocks = max(1, min(blocks, m))
    size = (m + blocks - 1) // blocks
    T = np.zeros((blocks, d, n))
    fro = np.zeros(blocks)
    for c in numba.prange(blocks):
        x = np.empty(n)
        a = np.empty(d)
        acc = 0.0
        for i in range(c * size, min(m, (c + 1) * size)):
            for j in range(n):
                v = M[i, j] - S[i, j] + Y[i, j] * inv_mu
                if masked:
                    v += (1.0 - W[i, j]) * L[i, j]
                x[j] = v
            for k in range(d):
                t = 0.0
                for j in range(n):
                    t += x[j] * Vt[k, j]
                a[k] = t
                A[i, k] = t
            for k in range(d):
                ak = a[k]
                for j in range(n):
                    x[j] -= ak * Vt[k, j]
            for j in range(n):
                v = x[j]
                Xd[i, j] = v
                acc += v * v
            for k in range(d):
                ak = a[k]
                for j in range(n):
                    T[c, k, j] += ak * x[j]
        fro[c] = acc
    out = np.zeros((d, n))
    total = 0.0
    for c in range(blocks):
        total += fro[c]
        for k in range(d):
            for j in range(n):
                out[k, j] += T[c, k, j]
    return out, total


def _ialm_multiplier_step(M, L, L_prev, S, Y, W, masked, mu, lam, S_out, Y_out, Us, Vt, lowrank, L_out,
                          rows):  # pragma: no cover  (compiled)
    # with lowrank, the row of L is formed from its factors (L = Us Vt) into L_out and read back from there;
    # rows[i] = ||Y_out[i]||^2
    m, n = M.shape
    r = Us.shape[1]
    acc = np.zeros((m, 5))
    t_s = lam / mu
    inv_mu = 1.0 / mu
    for i in numba.prange(m):
        if lowrank:
            for j in range(n):
                L_out[i, j] = 0.0
            for k in range(r):
                u = Us[i, k]
                for j in range(n):
                    L_out[i, j] += u * Vt[k, j]
            Lr = L_out[i]
        else:
            Lr = L[i]
        zz = 0.0
        dd = 0.0
        l1 = 0.0
        ym = 0.0
        yy = 0.0
        for j in range(n):
            w = W[i, j] if masked else 1.0
            t = M[i, j] - Lr[j] + Y[i, j] * inv_mu
            s = _shrink(t, t_s)
            s *= w
            z = (M[i, j] - Lr[j] - s) * w
            y = Y[i, j] + mu * z
            Y_out[i, j] = y
            yy += y * y
            S_out[i, j] = s
            db = s - S[i, j]
            if masked:
                db -= (1.0 - w) * (Lr[j] - L_prev[i, j])
                y *= w
            zz += z * z
            dd += db * db
            l1 += abs(s)
            ym += y * M[i, j]
        acc[i, 0] = zz
        acc[i, 1] = dd
        acc[i, 2] = l1
        acc[i, 3] = ym
        rows[i] = yy
        acc[i, 4] = _absmax(Y_out[i]) if not masked else _absmax_weighted(Y_out[i], W[i])
    out = np.zeros(5)
    for i in range(m):
        for q in range(4):
            out[q] += acc[i, q]
        out[4] = acc[i, 4] if acc[i, 4] > out[4] else out[4]
    return out


@numba.njit(cache=True, inline="always")
def _absmax_weighted(g, w):  # pragma: no cover  (compiled)
    top = 0.0
    for j in range(g.shape[0]):
        a = abs(g[j] * w[j])
        top = a if a > top else top
    return top


def _apg_huber_input(L, L_prev, M, W, masked, beta, t_s, X):  # pragma: no cover  (compiled)
    m, n = L.shape
    for i in numba.prange(m):
        for j in range(n):
            w = W[i, j] if masked else 1.0
            y = L[i, j] + beta * (L[i, j] - L_prev[i, j])
            g = y - M[i, j]
            g = t_s if g > t_s else (-t_s if g < -t_s else g)
            X[i, j] = y - w * g
    return X


@numba.njit(cache=True, inline="always")
def _huber_row(L_new, L, L_prev, M, W, i, beta, lam_s, measure, masked, S, R):  # pragma: no cover  (compiled)
    """One row of ``_apg_huber_step``; called with ``measure`` and ``masked`` as constants, so that
    once inlined the loop holds no test of them."""
    n = L.shape[1]
    opp = 0.0
    moved = 0.0
    sq = 0.0
    l1 = 0.0
    gm = 0.0
    for j in range(n):
        ln = L_new[i, j]
        lo = L[i, j]
        d = lo + beta * (lo - L_prev[i, j]) - ln
        opp += d * (ln - lo)
        moved += d * d
        if measure:
            w = W[i, j] if masked else 1.0
            mij = M[i, j]
            s = _shrink(mij - ln, lam_s) * w
            r = (ln + s - mij) * w
            S[i, j] = s
            R[i, j] = r
            sq += r * r
            l1 += abs(s)
            gm += r * mij
    return opp, moved, sq, l1, gm


def _apg_huber_step(L_new, L, L_prev, M, W, masked, beta, lam_s, measure, S, R):  # pragma: no cover  (compiled)
    m, n = L.shape
    rows = np.zeros((m, 6))
    for i in numba.prange(m):
        if not measure:
            row = _huber_row(L_new, L, L_prev, M, W, i, beta, lam_s, False, False, S, R)
        elif masked:
            row = _huber_row(L_new, L, L_prev, M, W, i, beta, lam_s, True, True, S, R)
        else:
            row = _huber_row(L_new, L, L_prev, M, W, i, beta, lam_s, True, False, S, R)
        for q in range(5):
            rows[i, q] = row[q]
        if measure:
            rows[i, 5] = _absmax(R[i])
    out = np.zeros(6)
    for i in range(m):
        for q in range(5):
            out[q] += rows[i, q]
        out[5] = rows[i, 5] if rows[i, 5] > out[5] else out[5]
    return out


# Serial and threaded builds, as for soft_threshold (see PARALLEL_MIN_SIZE).
lowrank_residual_serial, lowrank_residual_parallel = _builds(_lowrank_residual)
fw_quadratic_serial, fw_quadratic_parallel = _builds(_fw_quadratic)
fw_update_serial, fw_update_parallel = _builds(_fw_update)
fw_residual_serial, fw_residual_parallel = _builds(_fw_residual)
# reassociated sums and no arg-max in the loop, so that it vectorises: with them the pass was
# compute-bound, 3.3 times the time of fw_residual's over the same 25344 x 1000 arrays
fw_prox_serial, fw_prox_parallel = _builds(_fw_prox, fastmath={"reassoc", "nsz"})
ialm_svt_input_serial, ialm_svt_input_parallel = _builds(_ialm_svt_input)
# reassociated dot products, so that the deflation's row loops vectorise
ialm_svt_input_deflated_serial, ialm_svt_input_deflated_parallel = _builds(_ialm_svt_input_deflated,
                                                                           fastmath={"reassoc", "nsz"})
# reassociated sums, so that the row loop vectorises (sequential sums made the pass compute-bound)
ialm_multiplier_step_serial, ialm_multiplier_step_parallel = _builds(_ialm_multiplier_step, fastmath={"reassoc", "nsz"})
apg_huber_input_serial, apg_huber_input_parallel = _builds(_apg_huber_input)
# the residual's maximum is taken per row after the row (_absmax), as in fw_prox
apg_huber_step_serial, apg_huber_step_parallel = _builds(_apg_huber_step, fastmath={"reassoc", "nsz"})
