"""Numba kernel of the robust tensor recovery family (fused ADAL step). Twin in ``_twin.py``."""
from __future__ import annotations

import numba

from .._jit import _builds, _shrink


def _adal_singleton(Ls, Lam, W, ZE, LamE, T, mask, thr, Y, ZE_out, Yprev, want_norms, scale):  # pragma: no cover
    # One fused pass of the ADAL multiplier/averaging step for the singleton constrained model
    # (optkit.solvers.tensor.adal); see _twin.adal_singleton for the math.
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
        LamE[j] = scale * le
        pk = 0.0
        uk = 0.0
        lk = 0.0
        for k in range(K):
            lam_new = Ls[k][j] + Lam[k, j] - y
            Lam[k, j] = scale * lam_new
            W[k, j] = y - scale * lam_new
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
