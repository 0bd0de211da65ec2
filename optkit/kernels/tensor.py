"""Dispatch of the robust tensor recovery kernels (fused ADAL step)."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _reference as reference
from ._dispatch import use_numba

__all__ = ["adal_singleton"]


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
