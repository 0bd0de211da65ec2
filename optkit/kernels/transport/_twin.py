"""Pure array-API twins of the optimal transport kernels (CuPy, array_api_strict, test oracle).

The sparsified plan is kept here as a dense ``(n, m)`` array with the dropped
entries set to zero: on a GPU a dense masked matrix-vector product is as fast
as a sparse one at the sizes where entropic OT fits in memory, and it needs
nothing outside the standard.
"""
from __future__ import annotations

import math
from typing import Any

from ...backend import get_namespace

_EXP_MAX = 300.0  # exponents are clipped here: beyond it a trial point is rejected anyway (and sums stay finite)


def softmin_rows(C: Any, g: Any, reg: float) -> Any:
    """:math:`s_i = \\mathrm{reg}\\,\\log\\sum_j \\exp((g_j - C_{ij})/\\mathrm{reg})` (stable log-sum-exp)."""
    xp = get_namespace(C)
    z = (g[None, :] - C) / reg
    mx = xp.max(z, axis=1)
    d = z - mx[:, None]
    e = xp.where(d > -60.0, xp.exp(xp.clip(d, min=-60.0)), xp.zeros_like(d))  # as the kernel: skip < e^-60
    return reg * (mx + xp.log(xp.sum(e, axis=1)))


def gibbs(C: Any, f: Any, g: Any, reg: float, cutoff: float = -math.inf) -> Any:
    """Dense Gibbs kernel :math:`\\exp((f_i + g_j - C_{ij})/\\mathrm{reg})`, zero where the exponent <= cutoff."""
    xp = get_namespace(C)
    z = (f[:, None] + g[None, :] - C) / reg
    K = xp.exp(xp.clip(z, max=_EXP_MAX))
    return K if cutoff == -math.inf else xp.where(z > cutoff, K, xp.zeros_like(K))


def gibbs_marginals(C: Any, f: Any, g: Any, reg: float, cutoff: float,
                    log_threshold: Any = None) -> tuple[Any, ...]:
    """Row and column sums of the Gibbs plan, entries with exponent <= ``cutoff`` left out; with
    ``log_threshold`` also the per-row counts of exponents >= it (above ``cutoff``)."""
    xp = get_namespace(C)
    z = (f[:, None] + g[None, :] - C) / reg
    keep = z > cutoff
    P = xp.where(keep, xp.exp(xp.clip(z, max=_EXP_MAX)), xp.zeros_like(z))
    if log_threshold is None:
        return xp.sum(P, axis=1), xp.sum(P, axis=0)
    counts = xp.sum(xp.astype(keep & (z >= log_threshold[:, None]), xp.int64), axis=1)
    return xp.sum(P, axis=1), xp.sum(P, axis=0), counts


def gibbs_sparse(C: Any, f: Any, g: Any, reg: float, log_threshold: Any) -> Any:
    """The Gibbs plan with entries of exponent below ``log_threshold[i]`` set to zero (dense)."""
    xp = get_namespace(C)
    z = (f[:, None] + g[None, :] - C) / reg
    return xp.where(z >= log_threshold[:, None], xp.exp(xp.clip(z, max=_EXP_MAX)), xp.zeros_like(z))


def newton_cg(Ps: Any, r: Any, c: Any, rhs_x: Any, rhs_y: Any, rtol: float, maxiter: int) -> tuple[Any, Any, int]:
    """Jacobi-preconditioned CG on the Schur complement
    :math:`S = \\operatorname{diag}(c) - P_s^T\\operatorname{diag}(1/r)P_s` of the sparsified Newton system,
    the last dual variable fixed (``rhs_y`` has ``m - 1`` entries). Returns ``(x, y, iterations)``."""
    xp = get_namespace(Ps)
    m1 = rhs_y.shape[0]
    Q = Ps[:, :m1]
    cy = c[:m1]
    b = rhs_y - (rhs_x / r) @ Q
    d = cy - xp.sum(Q * Q / r[:, None], axis=0)
    d = xp.where(d < 1e-12 * cy, 1e-12 * cy, d)

    def matvec(p: Any) -> Any:
        return cy * p - ((Q @ p) / r) @ Q

    y = xp.zeros_like(rhs_y)
    res = b
    z = res / d
    p = z
    rz = float(xp.sum(res * z))
    target = rtol * math.sqrt(float(xp.sum(rhs_x * rhs_x) + xp.sum(rhs_y * rhs_y)))
    it = 0
    while it < maxiter:
        if math.sqrt(float(xp.sum(res * res))) <= target:
            break
        q = matvec(p)
        pq = float(xp.sum(p * q))
        if not pq > 0.0:
            break
        alpha = rz / pq
        y = y + alpha * p
        res = res - alpha * q
        z = res / d
        rz_new = float(xp.sum(res * z))
        beta = rz_new / rz
        rz = rz_new
        p = z + beta * p
        it += 1
    return (rhs_x - Q @ y) / r, y, it


def newton_direct(Ps: Any, r: Any, c: Any, rhs_x: Any, rhs_y: Any) -> tuple[Any, Any, bool]:
    """The sparsified Newton system of :func:`newton_cg` solved exactly through the Cholesky factor of its
    Schur complement :math:`S = \\operatorname{diag}(c) - W^T W`, :math:`W = \\operatorname{diag}(r)^{-1/2} P_s`.
    Returns ``(x, y, ok)``; ``ok`` is false (``x, y`` NaN) when ``S`` is not numerically positive definite."""
    xp = get_namespace(Ps)
    m1 = rhs_y.shape[0]
    sr = xp.sqrt(r)
    W = Ps[:, :m1] / sr[:, None]
    S = xp.eye(m1, dtype=Ps.dtype) * c[None, :m1] - W.T @ W
    failed = (xp.full_like(rhs_x, math.nan), xp.full_like(rhs_y, math.nan), False)
    try:
        L = xp.linalg.cholesky(S)
    except Exception:  # noqa: BLE001  (NumPy-backed libraries raise LinAlgError; CuPy returns NaN instead)
        return failed
    if not bool(xp.all(xp.isfinite(L))):
        return failed
    y = xp.linalg.solve(L.T, xp.linalg.solve(L, rhs_y - (rhs_x / sr) @ W))
    return (rhs_x - Ps[:, :m1] @ y) / r, y, True


def gibbs_init(C: Any, g: Any, reg: float, log_a: Any) -> tuple[Any, Any]:
    """``(K, f)``: the exact f-update :math:`f = \\mathrm{reg}(\\log a - \\mathrm{LSE}_j((g_j - C_{ij})/\\mathrm{reg}))`
    and the kernel :math:`e^{(f_i + g_j - C_{ij})/\\mathrm{reg}}` (whose rows sum to ``a``)."""
    xp = get_namespace(C)
    z = (g[None, :] - C) / reg
    mx = xp.max(z, axis=1)
    E = xp.exp(z - mx[:, None])
    s = xp.sum(E, axis=1)
    K = E * (xp.exp(log_a) / s)[:, None]
    return K, reg * (log_a - mx - xp.log(s))


def scale_kernel(K: Any, u: Any, v: Any) -> Any:
    """The plan :math:`\\operatorname{diag}(u)\\,K\\,\\operatorname{diag}(v)`."""
    return u[:, None] * K * v[None, :]
