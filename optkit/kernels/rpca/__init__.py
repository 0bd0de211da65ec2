"""Robust matrix recovery kernels (FW-T, FW-P, iALM): Numba (``_jit.py``) on NumPy, the array-API
twins (``_twin.py``) otherwise."""
from __future__ import annotations

from typing import Any

import numpy as np

from ...backend import get_namespace
from ...linalg.thin_svd import ThinSVD, dense
from .._dispatch import pick, use_numba
from . import _twin as twin

__all__ = ["lowrank_residual", "fw_quadratic", "fw_update", "fw_residual", "fw_prox", "lowrank_dense",
           "ialm_svt_input", "ialm_svt_input_deflated", "ialm_multiplier_step", "apg_huber_input", "apg_huber_step"]


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
        from . import _jit  # noqa: PLC0415

        Wk, masked = _mask_arg(W, L)
        kernel = pick(_jit, "lowrank_residual", L)
        R, sq, k, mx = kernel(np.ascontiguousarray(L), np.ascontiguousarray(S), np.ascontiguousarray(M), Wk, masked,
                              np.empty_like(L))
        return R, float(sq), int(k), float(mx)
    return twin.lowrank_residual(L, S, M, W)


def fw_quadratic(G: Any, L: Any, S: Any, W: Any, u: Any, v: Any, c: float) -> tuple[float, ...]:
    """The five inner products of the FW-T exact line search (see ``_twin.fw_quadratic``),
    without forming the direction matrices."""
    if _numba_operands(G, L, S, W, u, v):
        from . import _jit  # noqa: PLC0415

        Wk, masked = _mask_arg(W, L)
        G, L, S = (np.ascontiguousarray(a) for a in (G, L, S))
        kernel = pick(_jit, "fw_quadratic", L)
        out = kernel(G, L, S, Wk, masked, np.ascontiguousarray(u), np.ascontiguousarray(v), float(c))
        return tuple(float(x) for x in out)
    return twin.fw_quadratic(G, L, S, W, u, v, c)


def fw_update(L: Any, S: Any, M: Any, W: Any, u: Any, v: Any, c: float, alpha: float, beta: float,
              i0: int, j0: int, sv: float, lam_s: float, G_out: Any = None, L_out: Any = None,
              S_out: Any = None) -> tuple[Any, Any, Any, float, int, float, float, float]:
    """The FW-T update and proximal step in one pass (see ``_twin.fw_update``).

    On NumPy the new ``L``, ``S`` and ``G`` are written into ``L_out``, ``S_out``
    and ``G_out`` where given (C-contiguous buffers of the right shape and
    dtype; ``L_out`` may be ``L`` and ``S_out`` may be ``S``, as the pass is
    elementwise), else into new arrays; the inputs are modified only through
    such aliases. Fresh pages of an ``m x n`` array cost more than the pass
    itself (page faults, zeroing), hence the buffers.
    """
    if _numba_operands(L, S, M, W, u, v):
        from . import _jit  # noqa: PLC0415

        Wk, masked = _mask_arg(W, L)
        L = np.ascontiguousarray(L)
        S = np.ascontiguousarray(S)
        kernel = pick(_jit, "fw_update", L)
        L2 = _buffer(L_out, L)
        # L unchanged (no Frank-Wolfe step) into its own buffer: the pass does not write it back
        write_l = not (L2 is L and float(alpha) == 0.0)
        L, S, G, sq, k, mx, l1, gm = kernel(L, S, np.ascontiguousarray(M), Wk, masked,
                                                np.ascontiguousarray(u), np.ascontiguousarray(v), float(c),
                                                float(alpha), float(beta), int(i0), int(j0), float(sv),
                                                float(lam_s), L2, _buffer(S_out, S),
                                                _buffer(G_out, L), write_l)
        return L, S, G, float(sq), int(k), float(mx), float(l1), float(gm)
    return twin.fw_update(L, S, M, W, u, v, c, alpha, beta, i0, j0, sv, lam_s)


def fw_residual(L: Any, M: Any, u: Any, v: Any, c: float, alpha: float, lam_s: float, G_out: Any = None,
                low: bool = False, low_scale: float = 1.0) -> Any:
    """The residual after an FW-T step on a problem without a mask, alone (see ``_twin.fw_residual``).

    ``fw_update`` also writes the new ``L`` and ``S`` (five ``m x n`` streams); when the next
    thing done with them is rebuilding both (FW-T's refinement), the residual is all the step
    needs: two streams read, one written, into ``G_out`` where it is a buffer of the right shape
    and dtype (``low``: the residual times ``low_scale`` rounded to float32)."""
    if _numba_operands(L, M, u, v):
        from . import _jit  # noqa: PLC0415

        L = np.ascontiguousarray(L)
        kernel = pick(_jit, "fw_residual", L)
        G = _buffer(G_out, L, np.float32 if low else None)
        return kernel(L, np.ascontiguousarray(M), np.ascontiguousarray(u), np.ascontiguousarray(v), float(c),
                      float(alpha), float(lam_s), G, float(low_scale) if low else 1.0)
    G = twin.fw_residual(L, M, u, v, c, alpha, lam_s)
    if not low:
        return G
    xp = get_namespace(G)
    return xp.astype(G * low_scale, xp.float32)


def fw_prox(L: Any, M: Any, lam_s: float, S_out: Any = None, G_out: Any = None, low: bool = False,
            low_out: Any = None, store_s: bool = True, store_g: bool = True, low_scale: float = 1.0) -> tuple:
    """``fw_update`` with no Frank-Wolfe step on a problem without a mask: ``S = soft(M - L, lam_s)``,
    ``G = L + S - M`` into ``S_out``, ``G_out`` where they are buffers, and the same sums,
    ``(S, G, ||G||^2, argmax|G|, max|G|, ||S||_1, <G, M>, quad, G_low)``; ``L`` is only read.
    With ``low``, ``G_low`` is ``low_scale G`` rounded to float32, written by the same pass (into ``low_out``
    where it is a buffer of that shape and dtype), else ``None``; with ``store_s=False`` or
    ``store_g=False`` the sums take ``S`` or ``G`` but it is not stored (and is returned as ``None``)."""
    if _numba_operands(L, M):
        from . import _jit  # noqa: PLC0415

        L = np.ascontiguousarray(L)
        kernel = pick(_jit, "fw_prox", L)
        G = _buffer(G_out, L) if store_g else np.empty((1, 1), dtype=L.dtype)
        # without low the kernel is given G as the copy's buffer and does not write it
        G2 = _buffer(low_out, L, np.float32) if low else G
        S2 = _buffer(S_out, L) if store_s else np.empty((1, 1), dtype=L.dtype)
        S, G, out, at = kernel(L, np.ascontiguousarray(M), float(lam_s), bool(store_s), S2, bool(store_g), G,
                               bool(low), G2, float(low_scale))
        return (S if store_s else None, G if store_g else None, float(out[0]), int(at), float(out[1]),
                float(out[2]), float(out[3]), tuple(float(q) for q in out[4:]), G2 if low else None)
    out = twin.fw_prox(L, M, lam_s, low, low_scale)
    return (out[0] if store_s else None, out[1] if store_g else None) + out[2:]


def lowrank_dense(U: Any, s: Any, V: Any, shape: tuple[int, int], dtype: Any, out: Any = None) -> Any:
    """:math:`U\\operatorname{diag}(s)V^T` as an ``m x n`` array of ``dtype``, written into ``out``
    on NumPy when it is a buffer of that shape and dtype and the factors have that dtype."""
    if (isinstance(U, np.ndarray) and isinstance(out, np.ndarray) and U.dtype == dtype == out.dtype
            and out.shape == tuple(shape) and out.flags.c_contiguous and out.flags.writeable and U.shape[1] > 0):
        return np.matmul(U * s, V.T, out=out)
    xp = get_namespace(U)
    return xp.astype(dense(ThinSVD(U, s, V), shape, U.dtype, xp), dtype, copy=False)


def _buffer(out: Any, like: Any, dtype: Any = None) -> Any:
    """``out`` where it is a writable C-contiguous array of ``like``'s shape and of ``dtype`` (``like``'s by
    default), else a new one."""
    dtype = like.dtype if dtype is None else dtype
    fits = (isinstance(out, np.ndarray) and out.shape == like.shape and out.dtype == dtype
            and out.flags.c_contiguous and out.flags.writeable)
    return out if fits else np.empty(like.shape, dtype)


def ialm_svt_input(M: Any, S: Any, Y: Any, L: Any, W: Any, mu: float) -> Any:
    """iALM's thresholding input in one pass (see ``_twin.ialm_svt_input``)."""
    if _numba_operands(M, S, Y, L, W):
        from . import _jit  # noqa: PLC0415

        Wk, masked = _mask_arg(W, M)
        args = [np.ascontiguousarray(a) for a in (M, S, Y, L)]
        kernel = pick(_jit, "ialm_svt_input", M)
        return kernel(*args, Wk, masked, 1.0 / float(mu), np.empty_like(args[0]))
    return twin.ialm_svt_input(M, S, Y, L, W, mu)


def ialm_svt_input_deflated(M: Any, S: Any, Y: Any, L: Any, W: Any, mu: float, V: Any,
                            out: Any = None) -> tuple[Any, Any, Any, float]:
    """iALM's thresholding input deflated by the orthonormal columns of ``V`` and rounded to float32,
    in one pass that never stores the input itself (see ``_twin.ialm_svt_input_deflated``): returns
    ``(X_d, A, T, ||X_d||_F^2)``; ``X_d`` is written into ``out`` on NumPy when it is a float32 buffer
    of the shape."""
    if _numba_operands(M, S, Y, L, W, V):
        import numba  # noqa: PLC0415

        from . import _jit  # noqa: PLC0415

        Wk, masked = _mask_arg(W, M)
        args = [np.ascontiguousarray(a) for a in (M, S, Y, L)]
        Xd = _buffer(out, M, np.float32)
        A = np.empty((M.shape[0], V.shape[1]), dtype=M.dtype)
        kernel = pick(_jit, "ialm_svt_input_deflated", M)
        blocks = numba.get_num_threads() if kernel is _jit.ialm_svt_input_deflated_parallel else 1
        T, fro2 = kernel(*args, Wk, masked, 1.0 / float(mu), np.ascontiguousarray(V.T), Xd, A, blocks)
        return Xd, A, T, float(fro2)
    return twin.ialm_svt_input_deflated(M, S, Y, L, W, mu, V)


def ialm_multiplier_step(M: Any, L: Any, L_prev: Any, S: Any, Y: Any, W: Any, mu: float, lam: float,
                         factors: tuple[Any, Any] | None = None,
                         out: tuple[Any, Any, Any] = (None, None, None)) -> tuple[Any, Any, Any, float, float, float,
                                                                                  float, float, Any]:
    """iALM's S-step and multiplier step in one pass (see ``_twin.ialm_multiplier_step``). With
    ``factors = (U s, V)`` (shapes ``(m, r)``, ``(n, r)``) the pass forms ``L = (U s) V^T`` itself,
    row by row, and writes it (``L`` is then not read and may be ``None``). Returns
    ``(L, S+, Y+, ||Z||^2, ||dB||^2, ||S+||_1, <W Y+, M>, max|W Y+|, rows)``, ``rows`` the squared
    norms of the rows of ``Y+`` (shape ``(m,)``); on NumPy the formed ``L``,
    ``S+`` and ``Y+`` are written into ``out`` where its entries are buffers of the shape and dtype
    (none of them an input)."""
    if _numba_operands(M, L, L_prev, S, Y, W, *(factors or ())):
        from . import _jit  # noqa: PLC0415

        Wk, masked = _mask_arg(W, M)
        M, L_prev, S, Y = (np.ascontiguousarray(a) for a in (M, L_prev, S, Y))
        if factors is None:
            L, Us, Vt, L_out = np.ascontiguousarray(L), np.zeros((1, 0), M.dtype), np.zeros((0, 1), M.dtype), Wk
        else:
            Us, Vt, L_out = np.ascontiguousarray(factors[0]), np.ascontiguousarray(factors[1].T), _buffer(out[0], M)
            L = Wk
        kernel = pick(_jit, "ialm_multiplier_step", M)
        S2, Y2 = _buffer(out[1], M), _buffer(out[2], M)
        rows = np.empty(M.shape[0], dtype=M.dtype)
        sums = kernel(M, L, L_prev, S, Y, Wk, masked, float(mu), float(lam), S2, Y2, Us, Vt, factors is not None,
                      L_out, rows)
        return ((L if factors is None else L_out), S2, Y2) + tuple(float(x) for x in sums) + (rows,)
    return twin.ialm_multiplier_step(M, L, L_prev, S, Y, W, mu, lam, factors)


def apg_huber_input(L: Any, L_prev: Any, M: Any, W: Any, beta: float, t_s: float, out: Any = None) -> Any:
    """APG's extrapolation and gradient step on the Huber form in one pass (see
    ``_twin.apg_huber_input``): the thresholding input of ``L``, written into ``out`` on NumPy
    when it is a buffer of ``L``'s shape and dtype."""
    if _numba_operands(L, L_prev, M, W):
        from . import _jit  # noqa: PLC0415

        Wk, masked = _mask_arg(W, L)
        args = [np.ascontiguousarray(a) for a in (L, L_prev, M)]
        kernel = pick(_jit, "apg_huber_input", L)
        return kernel(*args, Wk, masked, float(beta), float(t_s), _buffer(out, args[0]))
    return twin.apg_huber_input(L, L_prev, M, W, beta, t_s)


def apg_huber_step(L_new: Any, L: Any, L_prev: Any, M: Any, W: Any, beta: float, lam_s: float,
                   measure: bool, R_out: Any = None) -> tuple[float, float, Any, Any, float, float, float, float]:
    """The restart test and step length, and with ``measure`` the best ``S`` for ``L_new``, the
    residual (into ``R_out`` on NumPy when it is a buffer of the shape and dtype) and its sums, in
    one pass (see ``_twin.apg_huber_step``)."""
    if _numba_operands(L_new, L, L_prev, M, W):
        from . import _jit  # noqa: PLC0415

        Wk, masked = _mask_arg(W, L)
        args = [np.ascontiguousarray(a) for a in (L_new, L, L_prev, M)]
        S, R = (np.empty_like(args[0]), _buffer(R_out, args[0])) if measure else (Wk, Wk)
        kernel = pick(_jit, "apg_huber_step", L)
        out = kernel(*args, Wk, masked, float(beta), float(lam_s), bool(measure), S, R)
        if not measure:
            return float(out[0]), float(out[1]), None, None, 0.0, 0.0, 0.0, 0.0
        return float(out[0]), float(out[1]), S, R, float(out[2]), float(out[3]), float(out[4]), float(out[5])
    return twin.apg_huber_step(L_new, L, L_prev, M, W, beta, lam_s, measure)
