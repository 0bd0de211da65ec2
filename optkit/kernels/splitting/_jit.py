"""Numba kernel of the splitting family: the exact 1-D total-variation prox (Condat's direct
algorithm) over every line of several arrays in one call. Twin in ``_twin.py``."""
from __future__ import annotations

import numba
import numpy as np

from .._jit import _builds

# Lines that are not contiguous (an axis other than the last) are copied in blocks of this many
# neighbouring lines, reading rows of BLOCK contiguous entries instead of one entry per cache line.
BLOCK = 16


@numba.njit(cache=True)
def _fill(out, start, stop, value):  # pragma: no cover  (compiled)
    """``out[start..max(start, stop)] = value`` (at least one entry); returns the next start."""
    while True:
        out[start] = value
        start += 1
        if start > stop:
            return start


@numba.njit(cache=True)
def condat_line(y, lam, out):  # pragma: no cover  (compiled)
    """:math:`\\arg\\min_x \\tfrac12\\|x - y\\|^2 + \\lambda\\sum_k |x_{k+1} - x_k|` for one line.

    L. Condat, "A direct algorithm for 1-D total variation denoising", IEEE Signal Process.
    Lett. 20 (2013). The line is scanned left to right keeping the current segment
    ``[k0, k]``, the range ``[vmin, vmax]`` its value may still take, and the running dual
    sums ``umin``/``umax`` those two values imply; a segment is closed (a jump emitted) as soon as
    one of the duals leaves ``[-lam, lam]``, and the scan restarts right after it. Arithmetic
    in float64 whatever the dtype of ``y`` and ``out``.
    """
    n = y.shape[0]
    if n == 0:
        return
    if lam <= 0.0:
        for i in range(n):
            out[i] = y[i]
        return
    k = 0
    k0 = 0
    kminus = 0
    kplus = 0
    umin = lam
    umax = -lam
    vmin = np.float64(y[0]) - lam
    vmax = np.float64(y[0]) + lam
    while True:
        if k == n - 1:
            # right end: close the segment at the value that makes its dual sum vanish
            if umin < 0.0:
                k0 = _fill(out, k0, kminus, vmin)
                k = k0
                kminus = k0
                vmin = np.float64(y[k0])
                umin = lam
                umax = vmin + lam - vmax
            elif umax > 0.0:
                k0 = _fill(out, k0, kplus, vmax)
                k = k0
                kplus = k0
                vmax = np.float64(y[k0])
                umax = -lam
                umin = vmax - lam - vmin
            else:
                vmin += umin / (k - k0 + 1)
                _fill(out, k0, k, vmin)
                return
            continue
        nxt = np.float64(y[k + 1])
        umin += nxt - vmin
        if umin < -lam:
            # vmin is too high for the samples ahead: a downward jump after kminus
            k0 = _fill(out, k0, kminus, vmin)
            k = k0
            kminus = k0
            kplus = k0
            vmin = np.float64(y[k0])
            vmax = vmin + 2.0 * lam
            umin = lam
            umax = -lam
            continue
        umax += nxt - vmax
        if umax > lam:
            # vmax is too low: an upward jump after kplus
            k0 = _fill(out, k0, kplus, vmax)
            k = k0
            kminus = k0
            kplus = k0
            vmax = np.float64(y[k0])
            vmin = vmax - 2.0 * lam
            umin = lam
            umax = -lam
            continue
        k += 1
        if umin >= lam:
            kminus = k
            vmin += (umin - lam) / (k - k0 + 1)
            umin = lam
        if umax <= -lam:
            kplus = k
            vmax += (umax + lam) / (k - k0 + 1)
            umax = -lam


def _tv_lines(X, out, lams, length, post, item_term, item_base, item_width):  # pragma: no cover  (compiled)
    # X and out: tuples of flat arrays, one per term. One work item: a contiguous line
    # (item_width == 0) or a block of item_width neighbouring strided lines, which are gathered
    # row by row into a buffer, solved and scattered back.
    for it in numba.prange(item_term.shape[0]):
        t = item_term[it]
        x = X[t]
        o = out[t]
        n = length[t]
        base = item_base[it]
        width = item_width[it]
        lam = lams[t]
        if width == 0:
            condat_line(x[base:base + n], lam, o[base:base + n])
            continue
        stride = post[t]
        buf = np.empty((width, n), dtype=np.float64)
        res = np.empty((width, n), dtype=np.float64)
        for k in range(n):
            row = base + k * stride
            for b in range(width):
                buf[b, k] = x[row + b]
        for b in range(width):
            condat_line(buf[b], lam, res[b])
        for k in range(n):
            row = base + k * stride
            for b in range(width):
                o[row + b] = res[b, k]
    return out


tv_lines_serial, tv_lines_parallel = _builds(_tv_lines)


def _consensus(W, X, U, z, rho, alpha, V, U_out, W_out, z_out):  # pragma: no cover  (compiled)
    # The consensus ADMM update after the prox steps, fused into one pass over the entries (see
    # optkit.kernels.splitting._twin.consensus_update for the math).
    K = X.shape[0]
    n = z.shape[0]
    r2 = 0.0
    dz2 = 0.0
    xx = 0.0
    zz = 0.0
    uu = 0.0
    for j in numba.prange(n):
        zj = z[j]
        s = 0.0
        for k in range(K):
            V[k, j] = rho * (W[k, j] - X[k, j])
            s += alpha * X[k, j] + (1.0 - alpha) * zj + U[k, j]
        znew = s / K
        z_out[j] = znew
        dz2 += (znew - zj) * (znew - zj)
        zz += znew * znew
        for k in range(K):
            xr = alpha * X[k, j] + (1.0 - alpha) * zj
            u = U[k, j] + xr - znew
            U_out[k, j] = u
            W_out[k, j] = znew - u
            r2 += (xr - znew) * (xr - znew)
            xx += xr * xr
            uu += u * u
    return r2, dz2, xx, zz, uu


consensus_serial, consensus_parallel = _builds(_consensus)
