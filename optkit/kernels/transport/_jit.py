"""Numba kernels of the entropic optimal transport solvers (NumPy arrays only).

Reached only through :mod:`optkit.kernels.transport`; each has an array-API twin in
``_twin.py``. Notation: ``C`` is the ``(n, m)`` cost, ``f`` and
``g`` the dual potentials, ``reg`` the entropic weight, and the Gibbs plan is
:math:`P_{ij} = \\exp((f_i + g_j - C_{ij})/\\mathrm{reg})`.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from .._jit import _builds


def _softmin_rows(C, g, reg):  # pragma: no cover  (compiled)
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


def _gibbs(C, f, g, reg, cutoff):  # pragma: no cover  (compiled)
    """Dense Gibbs kernel :math:`\\exp((f_i + g_j - C_{ij})/\\mathrm{reg})`, zero where the exponent <= cutoff."""
    n, m = C.shape
    out = np.empty((n, m), dtype=C.dtype)
    inv = 1.0 / reg
    for i in numba.prange(n):
        fi = f[i]
        for j in range(m):
            z = (fi + g[j] - C[i, j]) * inv
            out[i, j] = math.exp(min(z, 300.0)) if z > cutoff else 0.0
    return out


def _gibbs_marginals(C, f, g, reg, cutoff, nchunks, log_threshold, plan, K0, ef, eg):  # pragma: no cover  (compiled)
    """Row and column sums of the Gibbs plan, skipping entries whose exponent is below ``cutoff``,
    and per row the count of exponents >= ``log_threshold[i]`` (the CSR row lengths of ``gibbs_sparse``).

    Rows are split into ``nchunks`` blocks that run in parallel, each with its
    own column accumulator; the accumulators are added at the end. A ``plan`` of shape ``(n, m)``
    receives in the same pass the entries ``gibbs_sparse`` keeps (the others 0): the same numbers, for
    one set of exponentials (SNS's compiled exact Newton steps); pass ``(0, 0)`` for none. With a
    reference kernel ``K0`` of shape ``(n, m)`` the entries are ``ef[i] * K0[i, j] * eg[j]`` instead of
    exponentials (the factorised passes of ``_jit_reference.gibbs_pass``); pass ``(0, 0)`` and empty factors for none.
    """
    n, m = C.shape
    inv = 1.0 / reg
    store = plan.shape[0] > 0
    factored = K0.shape[0] > 0
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
                p = 0.0
                if z > cutoff:
                    p = ef[i] * K0[i, j] * eg[j] if factored else math.exp(min(z, 300.0))
                    s += p
                    cols[k, j] += p
                    if z >= t:
                        cnt += 1
                    else:
                        p = 0.0
                if store:
                    plan[i, j] = p
            rows[i] = s
            counts[i] = cnt
    colsum = np.zeros(m, dtype=np.float64)
    for k in range(nchunks):
        for j in range(m):
            colsum[j] += cols[k, j]
    return rows, colsum, counts


def _gibbs_sparse(C, f, g, reg, log_threshold, row_counts):  # pragma: no cover  (compiled)
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


def _csr_matvec(indptr, indices, data, y, m1, out):  # pragma: no cover  (compiled)
    # out = P[:, :m1] @ y, parallel over rows
    for i in numba.prange(out.size):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j < m1:
                s += data[k] * y[j]
        out[i] = s


def _csr_scatter_rows(indptr, indices, data, x, p, r, m1, out, acc):  # pragma: no cover  (compiled)
    # out = P[:, :m1]^T w with w_i = x_i / r_i, or, when p is not empty, w_i = (P[:, :m1] p)_i / r_i
    # (the Schur product: the matvec and the transposed one fused, so that each row of the plan is
    # read from memory once and its scatter reuses it from cache). Row blocks in parallel, each into
    # its own accumulator row of acc.
    nchunks = acc.shape[0]
    n = r.size
    fused = p.size > 0
    step = (n + nchunks - 1) // nchunks
    for c in numba.prange(nchunks):
        buf = acc[c]
        buf[:] = 0.0
        for i in range(c * step, min(n, (c + 1) * step)):
            lo, hi = indptr[i], indptr[i + 1]
            w = 0.0
            if fused:
                for k in range(lo, hi):
                    j = indices[k]
                    if j < m1:
                        w += data[k] * p[j]
            else:
                w = x[i]
            w /= r[i]
            for k in range(lo, hi):
                j = indices[k]
                if j < m1:
                    buf[j] += data[k] * w
    out[:] = acc[0, :m1]
    for c in range(1, nchunks):
        out += acc[c, :m1]


def _newton_cg(indptr, indices, data, r, c, rhs_x, rhs_y, rtol, maxiter, nchunks):  # pragma: no cover  (compiled)
    """Solve the sparsified Newton system by Jacobi-preconditioned CG on its Schur complement.

    The system :math:`[\\operatorname{diag}(r), P_s; P_s^T, \\operatorname{diag}(c)]\\,(x, y) = (b_x, b_y)`,
    with the last ``y`` fixed at zero (``rhs_y`` has ``m - 1`` entries), is reduced to
    :math:`S y = b_y - P_s^T (b_x / r)` with :math:`S = \\operatorname{diag}(c) - P_s^T \\operatorname{diag}(1/r) P_s`
    (symmetric positive definite), solved by CG preconditioned with :math:`\\operatorname{diag}(S)`, and
    :math:`x = (b_x - P_s y)/r`. The residual of the full system equals that of the reduced one, so
    the stop :math:`\\|res\\|_2 \\le \\mathrm{rtol}\\,\\|(b_x, b_y)\\|_2` means the same for both. CG on the
    reduced system of this 2-cyclic matrix needs about half the iterations of CG on the full one.
    Returns ``(x, y, iterations)``.
    """
    n = rhs_x.size
    m1 = rhs_y.size
    tn = np.empty(n)
    tm = np.empty(m1)
    acc = np.empty((nchunks, m1))
    # right-hand side and the diagonal of S
    _scatter(indptr, indices, data, rhs_x, rhs_x[:0], r, m1, tm, acc)
    b = rhs_y - tm
    d = c[:m1].copy()
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if j < m1:
                d[j] -= data[k] * data[k] / r[i]
    for j in range(m1):
        floor = 1e-12 * c[j]
        if d[j] < floor:
            d[j] = floor
    y = np.zeros(m1)
    res = b.copy()
    z = res / d
    p = z.copy()
    q = np.empty(m1)
    rz = np.dot(res, z)
    target = rtol * math.sqrt(np.dot(rhs_x, rhs_x) + np.dot(rhs_y, rhs_y))
    it = 0
    while it < maxiter:
        if math.sqrt(np.dot(res, res)) <= target:
            break
        # q = S p = c p - P^T (P p / r), one read of the plan
        _scatter(indptr, indices, data, rhs_x, p, r, m1, q, acc)
        for j in range(m1):
            q[j] = c[j] * p[j] - q[j]
        pq = np.dot(p, q)
        if not pq > 0.0:
            break
        alpha = rz / pq
        for j in range(m1):
            y[j] += alpha * p[j]
            res[j] -= alpha * q[j]
            z[j] = res[j] / d[j]
        rz_new = np.dot(res, z)
        beta = rz_new / rz
        rz = rz_new
        for j in range(m1):
            p[j] = z[j] + beta * p[j]
        it += 1
    _matvec(indptr, indices, data, y, m1, tn)
    x = (rhs_x - tn) / r
    return x, y, it


@numba.njit(cache=True)
def newton_direct(indptr, indices, data, r, c, rhs_x, rhs_y):  # pragma: no cover  (compiled)
    """Solve the sparsified Newton system of :func:`_newton_cg` exactly (:func:`newton_direct_dense` on the
    plan's CSR arrays made dense). Returns ``(x, y, ok)``."""
    n = rhs_x.size
    P = np.zeros((n, rhs_y.size + 1))
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            P[i, indices[k]] = data[k]
    return newton_direct_dense(P, r, c, rhs_x, rhs_y)


@numba.njit(cache=True)
def newton_direct_dense(P, r, c, rhs_x, rhs_y):  # pragma: no cover  (compiled)
    """The Newton system of :func:`_newton_cg` with the sparsified plan ``P`` given dense (dropped entries
    zero), solved exactly by a Cholesky factorisation :math:`S = U^T U` of its Schur complement
    :math:`S = \\operatorname{diag}(c) - P_s^T \\operatorname{diag}(1/r) P_s`. For small problems, where forming
    ``S`` costs less than the CG iterations an ill-conditioned ``S`` takes. Returns ``(x, y, ok)``; ``ok`` is
    false (and ``x, y`` are NaN) when a pivot is not positive.

    Loops of our own instead of a BLAS Gram product and LAPACK's Cholesky, as before: a called-once solve starts
    with cold caches, where the libraries' code paths cost more than the arithmetic. Measured against the BLAS/LAPACK
    version after a 64 MB copy (cold), and back to back (warm), in microseconds a call:

    =========  ===========  ===========
    size       cold         warm
    =========  ===========  ===========
    30 x 30    63 -> 41     9.2 -> 9.1
    50 x 50    86 -> 58     24.2 -> 24.7
    100 x 100  191 -> 157   116 -> 120
    128 x 128  309 -> 267   217 -> 225
    =========  ===========  ===========

    The rank-one updates of ``S`` go four rows of ``P`` at a time, and every inner loop runs from 0 over a slice so
    that it vectorises (loops from ``j`` kept Numba's negative-index test and ran scalar: 23-30 us at 30 x 30)."""
    n = rhs_x.size
    m1 = rhs_y.size
    S = np.zeros((m1, m1))  # upper triangle
    y = rhs_y.copy()
    for i in range(0, n, 4):  # y -= P_s^T (rhs_x / r) and S -= P_s^T diag(1/r) P_s, four rows of P at a time
        i1, i2, i3 = min(i + 1, n - 1), min(i + 2, n - 1), min(i + 3, n - 1)  # past the end: weight 0
        s0 = 1.0 / r[i]
        s1 = 1.0 / r[i1] if i + 1 < n else 0.0
        s2 = 1.0 / r[i2] if i + 2 < n else 0.0
        s3 = 1.0 / r[i3] if i + 3 < n else 0.0
        w0, w1, w2, w3 = P[i, :m1], P[i1, :m1], P[i2, :m1], P[i3, :m1]
        u0, u1, u2, u3 = rhs_x[i] * s0, rhs_x[i1] * s1, rhs_x[i2] * s2, rhs_x[i3] * s3
        for j in range(m1):
            y[j] -= (u0 * w0[j] + u1 * w1[j]) + (u2 * w2[j] + u3 * w3[j])
        for j in range(m1):
            p0, p1, p2, p3 = w0[j] * s0, w1[j] * s1, w2[j] * s2, w3[j] * s3
            Sj, a0, a1, a2, a3 = S[j, j:], w0[j:], w1[j:], w2[j:], w3[j:]
            for k in range(Sj.size):
                Sj[k] -= (p0 * a0[k] + p1 * a1[k]) + (p2 * a2[k] + p3 * a3[k])
    for j in range(m1):
        S[j, j] += c[j]
    for k in range(m1):  # right-looking: row k of U, then the trailing rows
        d = S[k, k]
        if not (d > 0.0 and d < np.inf):
            return np.full(n, np.nan), np.full(m1, np.nan), False
        d = math.sqrt(d)
        S[k, k] = d
        Uk = S[k, k + 1:]
        for j in range(Uk.size):
            Uk[j] /= d
        for i in range(k + 1, m1):
            u = S[k, i]
            Si, Ki = S[i, i:], S[k, i:]
            for j in range(Si.size):
                Si[j] -= u * Ki[j]
    for k in range(m1):  # U^T z = y
        z = y[k] / S[k, k]
        y[k] = z
        Uk, yk = S[k, k + 1:], y[k + 1:]
        for j in range(Uk.size):
            yk[j] -= Uk[j] * z
    for i in range(m1 - 1, -1, -1):  # U y = z
        s = y[i]
        for j in range(i + 1, m1):
            s -= S[i, j] * y[j]
        y[i] = s / S[i, i]
    x = np.empty(n)
    n4 = n - n % 4
    for i in range(0, n4, 4):  # x = (rhs_x - P_s y) / r, four rows at a time: four sums in flight, each in row order
        s0, s1, s2, s3 = rhs_x[i], rhs_x[i + 1], rhs_x[i + 2], rhs_x[i + 3]
        w0, w1, w2, w3 = P[i], P[i + 1], P[i + 2], P[i + 3]
        for j in range(m1):
            yj = y[j]
            s0 -= w0[j] * yj
            s1 -= w1[j] * yj
            s2 -= w2[j] * yj
            s3 -= w3[j] * yj
        x[i], x[i + 1], x[i + 2], x[i + 3] = s0 / r[i], s1 / r[i + 1], s2 / r[i + 2], s3 / r[i + 3]
    for i in range(n4, n):
        s = rhs_x[i]
        for j in range(m1):
            s -= P[i, j] * y[j]
        x[i] = s / r[i]
    return x, y, True


def _gibbs_init(C, g, reg, log_a):  # pragma: no cover  (compiled)
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


def _scale_kernel(K, u, v):  # pragma: no cover  (compiled)
    """The plan :math:`\\operatorname{diag}(u)\\,K\\,\\operatorname{diag}(v)` in one pass."""
    n, m = K.shape
    out = np.empty_like(K)
    for i in numba.prange(n):
        ui = u[i]
        for j in range(m):
            out[i, j] = ui * K[i, j] * v[j]
    return out


@numba.njit(cache=True)
def plan_measures(P, rows, cols, a, b, f, g, weight):  # pragma: no cover  (compiled)
    r"""``(fun, err)`` of :meth:`optkit.problems.EntropicOT.measures` in one pass: the marginals of the plan ``P``
    (or ``rows``, ``cols`` as given when ``P`` has no rows), the objective through potentials ``(f, g)`` of the
    plan, :math:`\langle f, r\rangle + \langle g, c\rangle - \mathrm{weight}\,\mathbf 1^T r`, and the L1
    marginal error :math:`\|r - a\|_1 + \|c - b\|_1`."""
    n, m = a.size, b.size
    if P.shape[0] > 0:
        rows = np.zeros(n)
        cols = np.zeros(m)
        for i in range(n):
            s = 0.0
            for j in range(m):
                p = P[i, j]
                s += p
                cols[j] += p
            rows[i] = s
    err = 0.0
    fun = 0.0
    total = 0.0
    for i in range(n):
        err += abs(rows[i] - a[i])
        fun += f[i] * rows[i]
        total += rows[i]
    for j in range(m):
        err += abs(cols[j] - b[j])
        fun += g[j] * cols[j]
    return fun - weight * total, err


# Serial and threaded builds (the dispatcher picks by size: threads on small plans oversubscribe).
softmin_rows_serial, softmin_rows_parallel = _builds(_softmin_rows)
gibbs_serial, gibbs_parallel = _builds(_gibbs)
gibbs_marginals_serial, gibbs_marginals_parallel = _builds(_gibbs_marginals)
gibbs_sparse_serial, gibbs_sparse_parallel = _builds(_gibbs_sparse)
gibbs_init_serial, gibbs_init_parallel = _builds(_gibbs_init)
scale_kernel_serial, scale_kernel_parallel = _builds(_scale_kernel)
_matvec, _matvec_parallel = _builds(_csr_matvec)
_scatter, _scatter_parallel = _builds(_csr_scatter_rows)
newton_cg_serial, newton_cg_parallel = _builds(_newton_cg, _matvec=_matvec_parallel, _scatter=_scatter_parallel)
