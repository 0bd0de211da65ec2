"""Numba kernels on raw NumPy arrays. Reached only through ``optkit.kernels``."""
from __future__ import annotations

import numba
import numpy as np


def _soft_threshold(x, t, out):  # pragma: no cover  (compiled)
    flat_x = x.ravel()
    flat_o = out.ravel()
    for i in numba.prange(flat_x.size):
        v = flat_x[i]
        if v > t:
            flat_o[i] = v - t
        elif v < -t:
            flat_o[i] = v + t
        else:
            flat_o[i] = 0.0
    return out


# Threads pay off only on large arrays; small ones run the serial build.
soft_threshold_serial = numba.njit(cache=True)(_soft_threshold)
soft_threshold_parallel = numba.njit(cache=True, parallel=True)(_soft_threshold)
PARALLEL_MIN_SIZE = 1 << 16


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
        if v > thr:
            e = v - thr
        elif v < -thr:
            e = v + thr
        else:
            e = 0.0
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


adal_singleton_serial = numba.njit(cache=True)(_adal_singleton)
adal_singleton_parallel = numba.njit(cache=True, parallel=True)(_adal_singleton)
