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
