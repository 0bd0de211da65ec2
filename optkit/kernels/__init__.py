"""Hot inner loops: a Numba kernel for NumPy arrays, a pure array-API twin otherwise.

Dispatch happens here and only here, once per call, on the namespace of the
input. Set ``OPTKIT_DISABLE_NUMBA=1`` to force the twins everywhere (the kernel
tests compare the two).
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..backend import get_namespace, is_numpy
from . import _reference as reference

__all__ = ["soft_threshold", "project_simplex", "project_l1_ball", "use_numba", "reference"]


def use_numba(x: Any) -> bool:
    """True when ``x`` is a real floating NumPy array and Numba is enabled."""
    if os.environ.get("OPTKIT_DISABLE_NUMBA") == "1":
        return False
    return is_numpy(get_namespace(x)) and isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64)


def soft_threshold(x: Any, t: float) -> Any:
    """Entrywise soft-thresholding :math:`\\operatorname{sign}(x)\\max(|x|-t,0)`, the prox of :math:`t\\|\\cdot\\|_1`."""
    if use_numba(x):
        from . import _cpu  # noqa: PLC0415  (lazy: Numba compiles on first use)

        x = np.ascontiguousarray(x)
        kernel = _cpu.soft_threshold_parallel if x.size >= _cpu.PARALLEL_MIN_SIZE else _cpu.soft_threshold_serial
        return kernel(x, x.dtype.type(t), np.empty_like(x))
    return reference.soft_threshold(x, t)


def project_simplex(v: Any, radius: float = 1.0) -> Any:
    """Euclidean projection of a 1-d array onto the simplex :math:`\\{x\\ge0, \\sum_i x_i = r\\}`."""
    if use_numba(v):
        from . import _cpu  # noqa: PLC0415

        return _cpu.project_simplex(np.ascontiguousarray(v), v.dtype.type(radius))
    return reference.project_simplex(v, radius)


def project_l1_ball(v: Any, radius: float = 1.0) -> Any:
    """Euclidean projection of a 1-d array onto the l1 ball :math:`\\{\\|x\\|_1 \\le r\\}`."""
    xp = get_namespace(v)
    if float(xp.sum(xp.abs(v))) <= radius:
        return v
    return xp.sign(v) * project_simplex(xp.abs(v), radius)


# --- robust matrix recovery (issue 4) ------------------------------------------------------------
__all__ += ["lowrank_residual", "fw_quadratic", "fw_update", "l1_ball_threshold"]


def _numba_operands(*arrays: Any) -> bool:
    """All given arrays are NumPy floating arrays of one dtype (``None`` entries are skipped)."""
    arrs = [a for a in arrays if a is not None]
    return all(use_numba(a) for a in arrs) and len({a.dtype for a in arrs}) == 1


def _mask_arg(W: Any, like: Any) -> tuple[Any, bool]:
    return (np.ones((1, 1), dtype=like.dtype), False) if W is None else (np.ascontiguousarray(W), True)


def lowrank_residual(L: Any, S: Any, M: Any, W: Any = None) -> tuple[Any, float, int, float]:
    """``R = W * (L + S - M)`` (``W = None``: no mask) in one pass, with :math:`\\|R\\|_F^2`,
    the flat (C-order) index of :math:`\\max|R_{ij}|` and that maximum."""
    if _numba_operands(L, S, M, W):
        from . import _cpu  # noqa: PLC0415

        Wk, masked = _mask_arg(W, L)
        kernel = _pick(_cpu, "lowrank_residual", L)
        R, sq, k, mx = kernel(np.ascontiguousarray(L), np.ascontiguousarray(S), np.ascontiguousarray(M), Wk, masked,
                              np.empty_like(L))
        return R, float(sq), int(k), float(mx)
    return reference.lowrank_residual(L, S, M, W)


def fw_quadratic(G: Any, L: Any, S: Any, W: Any, u: Any, v: Any, c: float) -> tuple[float, ...]:
    """The five inner products of the FW-T exact line search (see ``_reference.fw_quadratic``),
    without forming the direction matrices."""
    if _numba_operands(G, L, S, W, u, v):
        from . import _cpu  # noqa: PLC0415

        Wk, masked = _mask_arg(W, L)
        G, L, S = (np.ascontiguousarray(a) for a in (G, L, S))
        kernel = _pick(_cpu, "fw_quadratic", L)
        out = kernel(G, L, S, Wk, masked, np.ascontiguousarray(u), np.ascontiguousarray(v), float(c))
        return tuple(float(x) for x in out)
    return reference.fw_quadratic(G, L, S, W, u, v, c)


def fw_update(L: Any, S: Any, M: Any, W: Any, u: Any, v: Any, c: float, alpha: float, beta: float,
              i0: int, j0: int, sv: float, lam_s: float, G_out: Any = None) -> tuple[Any, Any, Any, float, int, float, float]:
    """The FW-T update and proximal step in one pass (see ``_reference.fw_update``).

    The inputs are not modified; new ``L`` and ``S`` are returned, and ``G`` is
    written into ``G_out`` when given (a NumPy buffer of the right shape and
    dtype, reused across iterations: fresh pages cost as much as a pass).
    """
    if _numba_operands(L, S, M, W, u, v):
        from . import _cpu  # noqa: PLC0415

        Wk, masked = _mask_arg(W, L)
        L = np.ascontiguousarray(L)
        S = np.ascontiguousarray(S)
        kernel = _pick(_cpu, "fw_update", L)
        L, S, G, sq, k, mx, l1 = kernel(L, S, np.ascontiguousarray(M), Wk, masked,
                                                np.ascontiguousarray(u), np.ascontiguousarray(v), float(c),
                                                float(alpha), float(beta), int(i0), int(j0), float(sv),
                                                float(lam_s), np.empty_like(L), np.empty_like(S),
                                                _buffer(G_out, L))
        return L, S, G, float(sq), int(k), float(mx), float(l1)
    return reference.fw_update(L, S, M, W, u, v, c, alpha, beta, i0, j0, sv, lam_s)


def _pick(module: Any, name: str, like: Any) -> Any:
    """The threaded build of a kernel for arrays of at least ``PARALLEL_MIN_SIZE`` entries, else the serial one."""
    return getattr(module, f"{name}_parallel" if like.size >= module.PARALLEL_MIN_SIZE else f"{name}_serial")


def _buffer(out: Any, like: Any) -> Any:
    ok = (isinstance(out, np.ndarray) and out.shape == like.shape and out.dtype == like.dtype
          and out.flags.c_contiguous and out.flags.writeable)
    return out if ok else np.empty_like(like)


def l1_ball_threshold(z: Any, radius: float) -> float:
    """:math:`\\theta \\ge 0` such that :math:`\\|\\operatorname{soft}(z,\\theta)\\|_1 = r` (0 inside the
    ball): the projection onto the l1 ball of radius ``r`` is ``soft_threshold(z, theta)``."""
    if use_numba(z):
        from . import _cpu  # noqa: PLC0415

        return float(_cpu.l1_ball_threshold(np.ascontiguousarray(z), float(radius)))
    return reference.l1_ball_threshold(z, radius)


__all__ += ["ialm_svt_input", "ialm_multiplier_step"]


def ialm_svt_input(M: Any, S: Any, Y: Any, L: Any, W: Any, mu: float) -> Any:
    """iALM's thresholding input in one pass (see ``_reference.ialm_svt_input``)."""
    if _numba_operands(M, S, Y, L, W):
        from . import _cpu  # noqa: PLC0415

        Wk, masked = _mask_arg(W, M)
        args = [np.ascontiguousarray(a) for a in (M, S, Y, L)]
        kernel = _pick(_cpu, "ialm_svt_input", M)
        return kernel(*args, Wk, masked, 1.0 / float(mu), np.empty_like(args[0]))
    return reference.ialm_svt_input(M, S, Y, L, W, mu)


def ialm_multiplier_step(M: Any, L: Any, L_prev: Any, S: Any, Y: Any, W: Any, mu: float,
                         lam: float) -> tuple[Any, Any, float, float]:
    """iALM's S-step and multiplier step in one pass (see ``_reference.ialm_multiplier_step``)."""
    if _numba_operands(M, L, L_prev, S, Y, W):
        from . import _cpu  # noqa: PLC0415

        Wk, masked = _mask_arg(W, M)
        args = [np.ascontiguousarray(a) for a in (M, L, L_prev, S, Y)]
        kernel = _pick(_cpu, "ialm_multiplier_step", M)
        S2, Y2, zz, dd = kernel(*args, Wk, masked, float(mu), float(lam),
                                                   np.empty_like(args[0]), np.empty_like(args[0]))
        return S2, Y2, float(zz), float(dd)
    return reference.ialm_multiplier_step(M, L, L_prev, S, Y, W, mu, lam)

# --- entropic optimal transport (issue 3): kernels in _cpu_transport.py, twins in _reference_transport.py ---
from typing import NamedTuple  # noqa: E402

from . import _reference_transport as reference_transport  # noqa: E402

__all__ += ["ot_softmin_rows", "ot_gibbs", "ot_gibbs_marginals", "ot_gibbs_sparse", "ot_newton_cg",
            "SparsePlan", "reference_transport"]


class SparsePlan(NamedTuple):
    """A sparsified Gibbs plan: CSR arrays (Numba path) or a dense masked array (twin path)."""

    indptr: Any
    indices: Any
    data: Any
    dense: Any
    shape: tuple

    @property
    def nnz(self) -> int:
        if self.dense is not None:
            xp = get_namespace(self.dense)
            return int(xp.sum(xp.astype(self.dense != 0, xp.int64)))
        return int(self.data.shape[0])


def _ot_numba(*arrays: Any) -> bool:
    return all(use_numba(a) for a in arrays)


def ot_softmin_rows(C: Any, g: Any, reg: float) -> Any:
    """:math:`\\mathrm{reg}\\log\\sum_j\\exp((g_j - C_{ij})/\\mathrm{reg})` for every row ``i``."""
    if _ot_numba(C, g):
        from . import _cpu_transport as k  # noqa: PLC0415

        return k.softmin_rows(np.ascontiguousarray(C), np.ascontiguousarray(g, dtype=C.dtype), C.dtype.type(reg))
    return reference_transport.softmin_rows(C, g, reg)


def ot_gibbs(C: Any, f: Any, g: Any, reg: float, cutoff: float = -float("inf")) -> Any:
    """Dense Gibbs kernel :math:`\\exp((f_i + g_j - C_{ij})/\\mathrm{reg})`, zero where the exponent <= ``cutoff``."""
    if _ot_numba(C, f, g):
        from . import _cpu_transport as k  # noqa: PLC0415

        return k.gibbs(np.ascontiguousarray(C), f.astype(C.dtype), g.astype(C.dtype), float(reg), float(cutoff))
    return reference_transport.gibbs(C, f, g, reg, cutoff)


def ot_gibbs_marginals(C: Any, f: Any, g: Any, reg: float, cutoff: float,
                       log_threshold: Any = None) -> tuple[Any, ...]:
    """Row and column sums of the Gibbs plan, leaving out entries with exponent <= ``cutoff``.

    With ``log_threshold`` (per row) the per-row counts of the entries ``ot_gibbs_sparse``
    would keep come back third, from the same pass; pass them on to it as ``counts``.
    """
    if _ot_numba(C, f, g):
        from . import _cpu_transport as k  # noqa: PLC0415
        import numba  # noqa: PLC0415

        chunks = max(1, min(C.shape[0], 4 * numba.get_num_threads()))
        thr = (np.full(C.shape[0], np.inf) if log_threshold is None
               else np.ascontiguousarray(log_threshold, dtype=np.float64))
        r, c, counts = k.gibbs_marginals(np.ascontiguousarray(C), f, g, float(reg), float(cutoff), chunks, thr)
        out = (r.astype(C.dtype, copy=False), c.astype(C.dtype, copy=False))
        return out if log_threshold is None else (*out, counts)
    return reference_transport.gibbs_marginals(C, f, g, reg, cutoff, log_threshold)


def ot_gibbs_sparse(C: Any, f: Any, g: Any, reg: float, log_threshold: Any, counts: Any = None) -> SparsePlan:
    """The Gibbs entries with exponent >= ``log_threshold[i]`` (per row) as a :class:`SparsePlan`.

    ``counts``: the row lengths from ``ot_gibbs_marginals`` at the same point (saves a pass).
    """
    shape = tuple(C.shape)
    if _ot_numba(C, f, g):
        from . import _cpu_transport as k  # noqa: PLC0415

        rc = np.zeros(0, dtype=np.int64) if counts is None else np.asarray(counts, dtype=np.int64)
        indptr, indices, data = k.gibbs_sparse(np.ascontiguousarray(C), f, g, float(reg),
                                               np.ascontiguousarray(log_threshold, dtype=np.float64), rc)
        return SparsePlan(indptr, indices, data, None, shape)
    return SparsePlan(None, None, None, reference_transport.gibbs_sparse(C, f, g, reg, log_threshold), shape)


def ot_newton_cg(plan: SparsePlan, r: Any, c: Any, rhs_x: Any, rhs_y: Any, rtol: float,
                 maxiter: int) -> tuple[Any, Any, int]:
    """PCG on the sparsified Newton system of the entropic OT dual (last dual variable fixed)."""
    if plan.dense is None:
        from . import _cpu_transport as k  # noqa: PLC0415

        import numba  # noqa: PLC0415

        f64 = np.float64
        chunks = 1 if plan.data.shape[0] < 20_000 else numba.get_num_threads()
        x, y, it = k.newton_cg(plan.indptr, plan.indices, plan.data, r.astype(f64), c.astype(f64),
                               rhs_x.astype(f64), rhs_y.astype(f64), float(rtol), int(maxiter), chunks)
        return x.astype(r.dtype, copy=False), y.astype(r.dtype, copy=False), int(it)
    return reference_transport.newton_cg(plan.dense, r, c, rhs_x, rhs_y, rtol, maxiter)


def ot_gibbs_init(C: Any, g: Any, reg: float, log_a: Any) -> tuple[Any, Any]:
    """``(K, f)``: exact f-update from ``g`` (``log_a = log a``) and the Gibbs kernel at ``(f, g)``, one pass."""
    if _ot_numba(C, g, log_a):
        from . import _cpu_transport as k  # noqa: PLC0415

        return k.gibbs_init(np.ascontiguousarray(C), g.astype(C.dtype), float(reg), log_a.astype(np.float64))
    return reference_transport.gibbs_init(C, g, reg, log_a)


def ot_scale_kernel(K: Any, u: Any, v: Any) -> Any:
    """:math:`\\operatorname{diag}(u)\\,K\\,\\operatorname{diag}(v)` (the plan of a scaled kernel)."""
    if _ot_numba(K, u, v):
        from . import _cpu_transport as k  # noqa: PLC0415

        return k.scale_kernel(np.ascontiguousarray(K), u, v)
    return reference_transport.scale_kernel(K, u, v)


__all__ += ["ot_gibbs_init", "ot_scale_kernel"]


def adal_singleton(Ls: tuple, Lam: Any, W: Any, ZE: Any, LamE: Any, T: Any, mask: Any, thr: float, Yprev: Any,
                   want_norms: bool) -> tuple:
    """Fused ADAL averaging/multiplier step of the singleton constrained tensor model.

    All arrays are flat (``Lam`` and ``W`` stacked ``(K, n)``); see
    :func:`optkit.kernels.reference.adal_singleton` for the math. Returns
    ``(Y, ZE, LamE, Lam, W, norms)``. On NumPy the Numba kernel updates ``Lam``, ``W`` and
    ``LamE`` in place (the returned arrays are the same objects): callers treat them as consumed.
    """
    if use_numba(T) and all(use_numba(a) for a in (ZE, LamE, Lam, W)):
        from . import _cpu  # noqa: PLC0415

        Ls = tuple(np.ascontiguousarray(a).reshape(-1) for a in Ls)
        m = np.zeros(0, dtype=np.bool_) if mask is None else np.ascontiguousarray(mask).reshape(-1)
        Y, ZE_new = np.empty_like(T), np.empty_like(T)
        kernel = _cpu.adal_singleton_parallel if T.size >= _cpu.PARALLEL_MIN_SIZE else _cpu.adal_singleton_serial
        norms = kernel(Ls, Lam, W, ZE, LamE, T, m, T.dtype.type(thr), Y, ZE_new, Yprev, bool(want_norms))
        return Y, ZE_new, LamE, Lam, W, tuple(float(v) for v in norms)
    return reference.adal_singleton(Ls, Lam, W, ZE, LamE, T, mask, thr, Yprev, want_norms)

__all__ += ["adal_singleton"]
