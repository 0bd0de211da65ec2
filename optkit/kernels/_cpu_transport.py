"""Numba kernels of the entropic optimal transport solvers (NumPy arrays only).

Reached only through :mod:`optkit.kernels`; each has an array-API twin in
``_reference_transport.py``. Notation: ``C`` is the ``(n, m)`` cost, ``f`` and
``g`` the dual potentials, ``reg`` the entropic weight, and the Gibbs plan is
:math:`P_{ij} = \\exp((f_i + g_j - C_{ij})/\\mathrm{reg})`.
"""
from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, parallel=True)
def softmin_rows(C, g, reg):  # pragma: no cover  (compiled)
    """:math:`s_i = \\mathrm{reg}\\,\\log\\sum_j \\exp((g_j - C_{ij})/\\mathrm{reg})`, parallel over rows."""
    n, m = C.shape
    out = np.empty(n, dtype=C.dtype)
    inv = 1.0 / reg
    for i in numba.prange(n):
        mx = -np.inf
        for j in range(m):
            z = (g[j] - C[i, j]) * inv
            if z > mx:
                mx = z
        s = 0.0
        for j in range(m):
            z = (g[j] - C[i, j]) * inv - mx
            if z > -60.0:  # the rest adds < m e^-60 relative: skipped, not computed
                s += math.exp(z)
        out[i] = reg * (mx + math.log(s))
    return out


@numba.njit(cache=True, parallel=True)
def gibbs(C, f, g, reg, cutoff):  # pragma: no cover  (compiled)
    """The dense Gibbs kernel :math:`\\exp((f_i + g_j - C_{ij})/\\mathrm{reg})`, zero where the exponent is <= cutoff."""
    n, m = C.shape
    out = np.empty((n, m), dtype=C.dtype)
    inv = 1.0 / reg
    for i in numba.prange(n):
        fi = f[i]
        for j in range(m):
            z = (fi + g[j] - C[i, j]) * inv
            out[i, j] = math.exp(min(z, 300.0)) if z > cutoff else 0.0
    return out


@numba.njit(cache=True, parallel=True)
def gibbs_marginals(C, f, g, reg, cutoff, nchunks, log_threshold):  # pragma: no cover  (compiled)
    """Row and column sums of the Gibbs plan, skipping entries whose exponent is below ``cutoff``,
    and per row the count of exponents >= ``log_threshold[i]`` (the CSR row lengths of ``gibbs_sparse``).

    Rows are split into ``nchunks`` blocks that run in parallel, each with its
    own column accumulator; the accumulators are added at the end.
    """
    n, m = C.shape
    inv = 1.0 / reg
    rows = np.zeros(n, dtype=np.float64)
    counts = np.zeros(n, dtype=np.int64)
    cols = np.zeros((nchunks, m), dtype=np.float64)
    step = (n + nchunks - 1) // nchunks
    for k in numba.prange(nchunks):
        lo = k * step
        hi = min(n, lo + step)
        for i in range(lo, hi):
            fi = f[i]
            t = log_threshold[i]
            s = 0.0
            cnt = 0
            for j in range(m):
                z = (fi + g[j] - C[i, j]) * inv
                if z > cutoff:
                    if z >= t:
                        cnt += 1
                    if z > 300.0:
                        z = 300.0
                    p = math.exp(z)
                    s += p
                    cols[k, j] += p
            rows[i] = s
            counts[i] = cnt
    colsum = np.zeros(m, dtype=np.float64)
    for k in range(nchunks):
        for j in range(m):
            colsum[j] += cols[k, j]
    return rows, colsum, counts


@numba.njit(cache=True, parallel=True)
def gibbs_sparse(C, f, g, reg, log_threshold, row_counts):  # pragma: no cover  (compiled)
    """CSR arrays ``(indptr, indices, data)`` of the Gibbs entries with exponent >= ``log_threshold[i]``.

    ``row_counts`` are the row lengths when known (from ``gibbs_marginals``), else an empty array.
    """
    n, m = C.shape
    inv = 1.0 / reg
    counts = np.zeros(n + 1, dtype=np.int64)
    if row_counts.size == n:
        counts[1:] = row_counts
    else:
        for i in numba.prange(n):
            t = log_threshold[i]
            fi = f[i]
            c = 0
            for j in range(m):
                if (fi + g[j] - C[i, j]) * inv >= t:
                    c += 1
            counts[i + 1] = c
    indptr = np.cumsum(counts)
    nnz = indptr[n]
    indices = np.empty(nnz, dtype=np.int64)
    data = np.empty(nnz, dtype=np.float64)
    for i in numba.prange(n):
        t = log_threshold[i]
        fi = f[i]
        pos = indptr[i]
        for j in range(m):
            z = (fi + g[j] - C[i, j]) * inv
            if z >= t and pos < indptr[i + 1]:
                indices[pos] = j
                data[pos] = math.exp(min(z, 300.0))
                pos += 1
    return indptr, indices, data


@numba.njit(cache=True)
def _newton_matvec(indptr, indices, data, r, c, x, y, out_x, out_y):  # pragma: no cover  (compiled)
    # [diag(r) P; P^T diag(c)] restricted to the first m - 1 columns (the last g is fixed)
    n = r.size
    m1 = y.size
    for j in range(m1):
        out_y[j] = c[j] * y[j]
    for i in range(n):
        s = r[i] * x[i]
        xi = x[i]
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j < m1:
                s += data[k] * y[j]
                out_y[j] += data[k] * xi
        out_x[i] = s


@numba.njit(cache=True)
def newton_cg(indptr, indices, data, r, c, rhs_x, rhs_y, rtol, maxiter):  # pragma: no cover  (compiled)
    """Jacobi-preconditioned conjugate gradients on the sparsified Newton system.

    Solves :math:`[\\operatorname{diag}(r), P_s; P_s^T, \\operatorname{diag}(c)]\\,(x, y) = (b_x, b_y)`
    with the last ``y`` fixed at zero (``rhs_y`` has ``m - 1`` entries); stops when
    :math:`\\|res\\|_2 \\le \\mathrm{rtol}\\,\\|b\\|_2`. Returns ``(x, y, iterations)``.
    """
    n = rhs_x.size
    m1 = rhs_y.size
    x = np.zeros(n)
    y = np.zeros(m1)
    rx = rhs_x.copy()
    ry = rhs_y.copy()
    zx = rx / r
    zy = ry / c[:m1]
    px = zx.copy()
    py = zy.copy()
    qx = np.empty(n)
    qy = np.empty(m1)
    rz = np.dot(rx, zx) + np.dot(ry, zy)
    bnorm = math.sqrt(np.dot(rhs_x, rhs_x) + np.dot(rhs_y, rhs_y))
    target = rtol * bnorm
    it = 0
    while it < maxiter:
        if math.sqrt(np.dot(rx, rx) + np.dot(ry, ry)) <= target:
            break
        _newton_matvec(indptr, indices, data, r, c, px, py, qx, qy)
        pq = np.dot(px, qx) + np.dot(py, qy)
        if not pq > 0.0:
            break
        alpha = rz / pq
        x += alpha * px
        y += alpha * py
        rx -= alpha * qx
        ry -= alpha * qy
        zx = rx / r
        zy = ry / c[:m1]
        rz_new = np.dot(rx, zx) + np.dot(ry, zy)
        beta = rz_new / rz
        rz = rz_new
        px = zx + beta * px
        py = zy + beta * py
        it += 1
    return x, y, it


@numba.njit(cache=True, parallel=True)
def gibbs_init(C, g, reg, log_a):  # pragma: no cover  (compiled)
    """Exact f-update and its kernel in one pass: returns ``(K, f)`` with
    :math:`f_i = \\mathrm{reg}\\log a_i - \\mathrm{reg}\\log\\sum_j e^{(g_j - C_{ij})/\\mathrm{reg}}` and
    :math:`K_{ij} = e^{(f_i + g_j - C_{ij})/\\mathrm{reg}}` (rows of ``K`` sum to ``a``)."""
    n, m = C.shape
    K = np.empty((n, m), dtype=C.dtype)
    f = np.empty(n, dtype=C.dtype)
    inv = 1.0 / reg
    for i in numba.prange(n):
        mx = -np.inf
        for j in range(m):
            z = (g[j] - C[i, j]) * inv
            K[i, j] = z
            if z > mx:
                mx = z
        s = 0.0
        for j in range(m):
            e = math.exp(K[i, j] - mx)
            K[i, j] = e
            s += e
        scale = math.exp(log_a[i]) / s
        for j in range(m):
            K[i, j] *= scale
        f[i] = reg * (log_a[i] - mx - math.log(s))
    return K, f


@numba.njit(cache=True, parallel=True)
def scale_kernel(K, u, v):  # pragma: no cover  (compiled)
    """The plan :math:`\\operatorname{diag}(u)\\,K\\,\\operatorname{diag}(v)` in one pass."""
    n, m = K.shape
    out = np.empty_like(K)
    for i in numba.prange(n):
        ui = u[i]
        for j in range(m):
            out[i, j] = ui * K[i, j] * v[j]
    return out
