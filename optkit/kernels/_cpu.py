"""Numba kernels on raw NumPy arrays. Reached only through ``optkit.kernels``."""
from __future__ import annotations

import types

import numba
import numpy as np


def _builds(body):
    """Serial and threaded builds of one kernel body.

    Numba's on-disk cache files a function under its qualified name and
    bytecode, not under the ``parallel`` flag: with one Python function behind
    both builds, whichever build was cached first was loaded for both (the
    "threaded" FW-T pass ran serially, or a small array ran threaded). The
    threaded build therefore compiles a copy of the function with its own name.
    """
    name = body.__name__ + "_threaded"
    twin = types.FunctionType(body.__code__, body.__globals__, name, body.__defaults__, body.__closure__)
    twin.__qualname__ = body.__qualname__ + "_threaded"
    return numba.njit(cache=True)(body), numba.njit(cache=True, parallel=True)(twin)


@numba.njit(cache=True, inline="always")
def _shrink(v, t):  # pragma: no cover  (compiled)
    """Scalar soft-thresholding :math:`\\operatorname{sign}(v)\\max(|v| - t, 0) = v - \\operatorname{clip}(v, -t, t)`,
    inlined into the kernels; branch-free, so that the loops around it vectorise (the two-branch
    form made the fused FW-T pass 2.4 times slower on 25344 x 1000)."""
    return v - min(max(v, -t), t)


def _soft_threshold(x, t, out):  # pragma: no cover  (compiled)
    flat_x = x.ravel()
    flat_o = out.ravel()
    for i in numba.prange(flat_x.size):
        v = flat_x[i]
        flat_o[i] = _shrink(v, t)
    return out


# Threads pay off only on large arrays; smaller ones run the serial build. Right after a BLAS
# call the BLAS threads still hold the cores, and waking Numba's OpenMP threads then cost 12-23 ms
# per kernel on a 2-core machine (a 300 x 300 pass: 0.1 ms serial, 18 ms threaded); on the
# 25344 x 1000 video the threaded passes still won (FW-T 6.3 s against 7.4 s serial).
soft_threshold_serial, soft_threshold_parallel = _builds(_soft_threshold)
PARALLEL_MIN_SIZE = 1 << 22


@numba.njit(cache=True)
def project_simplex(v, radius):  # pragma: no cover  (compiled)
    # Sort-based projection (Held, Wolfe & Crowder 1974; Duchi et al. 2008).
    u = np.sort(v)[::-1]
    css = 0.0
    theta = 0.0
    for i in range(u.size):
        css += u[i]
        t = (css - radius) / (i + 1)
        if u[i] - t > 0:
            theta = t
    out = np.empty_like(v)
    for i in range(v.size):
        d = v[i] - theta
        out[i] = d if d > 0 else 0.0
    return out


# --- robust matrix recovery (issue 4): fused passes over the m x n iterates ---------------------
# Each loop runs over rows in parallel and reduces per row, then serially over rows; sums are
# accumulated in float64 whatever the dtype.


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


def _fw_update(L, S, M, W, masked, u, v, c, alpha, beta, i0, j0, sv, lam_s, L2, S2, G):  # pragma: no cover
    m, n = L.shape
    rows = np.zeros((m, 3))
    rowarg = np.zeros(m, np.int64)
    keep = 1.0 - alpha
    shrink = 1.0 - beta
    for i in numba.prange(m):
        sq = 0.0
        mx = -1.0
        am = 0
        l1 = 0.0
        cu = alpha * c * u[i]
        for j in range(n):
            w = W[i, j] if masked else 1.0
            lij = keep * L[i, j] + cu * v[j]
            s = shrink * S[i, j]
            if i == i0 and j == j0:
                s += sv
            z = s - (lij + s - M[i, j]) * w
            s = _shrink(z, lam_s)
            L2[i, j] = lij
            S2[i, j] = s
            r = (lij + s - M[i, j]) * w
            G[i, j] = r
            sq += r * r
            l1 += abs(s)
            a = abs(r)
            if a > mx:
                mx = a
                am = j
        rows[i, 0] = sq
        rows[i, 1] = mx
        rows[i, 2] = l1
        rowarg[i] = am
    total = 0.0
    l1s = 0.0
    best = -1.0
    at = 0
    for i in range(m):
        total += rows[i, 0]
        l1s += rows[i, 2]
        if rows[i, 1] > best:
            best = rows[i, 1]
            at = i * n + rowarg[i]
    return L2, S2, G, total, at, best, l1s


@numba.njit(cache=True)
def l1_ball_threshold(z, radius):  # pragma: no cover  (compiled)
    # Michelot's (1986) fixed point: theta <- (sum_{|z|>theta} |z| - r) / #{|z|>theta}, increasing
    # monotonically to the soft threshold whose output has l1 norm r; finite (active set shrinks).
    flat = z.ravel()
    total = 0.0
    for k in range(flat.size):
        total += abs(flat[k])
    if total <= radius:
        return 0.0
    theta = 0.0
    for _ in range(flat.size + 1):
        s = 0.0
        cnt = 0
        for k in range(flat.size):
            a = abs(flat[k])
            if a > theta:
                s += a
                cnt += 1
        new = (s - radius) / cnt
        if new <= theta:
            break
        theta = new
    return theta


def _ialm_svt_input(M, S, Y, L, W, masked, inv_mu, out):  # pragma: no cover  (compiled)
    m, n = M.shape
    for i in numba.prange(m):
        for j in range(n):
            x = M[i, j] - S[i, j] + Y[i, j] * inv_mu
            if masked:
                x += (1.0 - W[i, j]) * L[i, j]
            out[i, j] = x
    return out


def _ialm_multiplier_step(M, L, L_prev, S, Y, W, masked, mu, lam, S_out, Y_out):  # pragma: no cover
    m, n = M.shape
    acc = np.zeros((m, 3))
    t_s = lam / mu
    inv_mu = 1.0 / mu
    for i in numba.prange(m):
        zz = 0.0
        dd = 0.0
        l1 = 0.0
        for j in range(n):
            w = W[i, j] if masked else 1.0
            t = M[i, j] - L[i, j] + Y[i, j] * inv_mu
            s = _shrink(t, t_s)
            s *= w
            z = (M[i, j] - L[i, j] - s) * w
            Y_out[i, j] = Y[i, j] + mu * z
            S_out[i, j] = s
            db = s - S[i, j]
            if masked:
                db -= (1.0 - w) * (L[i, j] - L_prev[i, j])
            zz += z * z
            dd += db * db
            l1 += abs(s)
        acc[i, 0] = zz
        acc[i, 1] = dd
        acc[i, 2] = l1
    zsum = 0.0
    dsum = 0.0
    l1sum = 0.0
    for i in range(m):
        zsum += acc[i, 0]
        dsum += acc[i, 1]
        l1sum += acc[i, 2]
    return S_out, Y_out, zsum, dsum, l1sum


# Serial and threaded builds, as for soft_threshold (see PARALLEL_MIN_SIZE).
lowrank_residual_serial, lowrank_residual_parallel = _builds(_lowrank_residual)
fw_quadratic_serial, fw_quadratic_parallel = _builds(_fw_quadratic)
fw_update_serial, fw_update_parallel = _builds(_fw_update)
ialm_svt_input_serial, ialm_svt_input_parallel = _builds(_ialm_svt_input)
ialm_multiplier_step_serial, ialm_multiplier_step_parallel = _builds(_ialm_multiplier_step)


# --- robust tensor recovery (issue 5) --------------------------------------------------------
def _adal_singleton(Ls, Lam, W, ZE, LamE, T, mask, thr, Y, ZE_out, Yprev, want_norms):  # pragma: no cover
    # One fused pass of the ADAL multiplier/averaging step for the singleton constrained model
    # (optkit.solvers.tensor_adal); see kernels/_reference.py:adal_singleton for the math.
    K = Lam.shape[0]
    n = T.size
    has_mask = mask.size > 0
    prim = 0.0
    nu = 0.0
    nz = 0.0
    dz = 0.0
    nl = 0.0
    for j in numba.prange(n):
        v = ZE[j] - LamE[j]
        e = _shrink(v, thr)
        ve = e + LamE[j]
        s = 0.0
        for k in range(K):
            s += Ls[k][j] + Lam[k, j]
        if has_mask and not mask[j]:
            y = s / K
            ze = ve
        else:
            y = (s + T[j] - ve) / (K + 1)
            ze = T[j] - y
        Y[j] = y
        ZE_out[j] = ze
        le = ve - ze
        LamE[j] = le
        pk = 0.0
        uk = 0.0
        lk = 0.0
        for k in range(K):
            lam_new = Ls[k][j] + Lam[k, j] - y
            Lam[k, j] = lam_new
            W[k, j] = y - lam_new
            if want_norms:
                d = Ls[k][j] - y
                pk += d * d
                uk += Ls[k][j] * Ls[k][j]
                lk += lam_new * lam_new
        if want_norms:
            d = e - ze
            prim += pk + d * d
            nu += uk + e * e
            nz += K * y * y + ze * ze
            dy = y - Yprev[j]
            dze = ze - ZE[j]
            dz += K * dy * dy + dze * dze
            nl += lk + le * le
    return prim, nu, nz, dz, nl


adal_singleton_serial, adal_singleton_parallel = _builds(_adal_singleton)
