"""Robust tensor recovery kernels (fused ADAL step): Numba (``_jit.py``) on NumPy, the array-API
twin (``_twin.py``) otherwise."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._dispatch import pick, use_numba
from . import _twin as twin

__all__ = ["adal_singleton"]


def adal_singleton(Ls: tuple, Lam: Any, W: Any, ZE: Any, LamE: Any, T: Any, mask: Any, thr: float, Yprev: Any,
                   want_norms: bool, scale: float = 1.0) -> tuple:
    """Fused ADAL averaging/multiplier step of the singleton constrained tensor model.

    All arrays are flat (``Lam`` and ``W`` stacked ``(K, n)``); see
    :func:`optkit.kernels.tensor._twin.adal_singleton` for the math. Returns
    ``(Y, ZE, LamE, Lam, W, norms)``. On NumPy the Numba kernel updates ``Lam``, ``W`` and
    ``LamE`` in place (the returned arrays are the same objects): callers treat them as consumed.
    """
    if use_numba(T) and all(use_numba(a) for a in (ZE, LamE, Lam, W)):
        from . import _jit  # noqa: PLC0415

        Ls = tuple(np.ascontiguousarray(a).reshape(-1) for a in Ls)
        m = np.zeros(0, dtype=np.bool_) if mask is None else np.ascontiguousarray(mask).reshape(-1)
        Y, ZE_new = np.empty_like(T), np.empty_like(T)
        kernel = pick(_jit, "adal_singleton", T)
        norms = kernel(Ls, Lam, W, ZE, LamE, T, m, T.dtype.type(thr), Y, ZE_new, Yprev, bool(want_norms),
                       T.dtype.type(scale))
        return Y, ZE_new, LamE, Lam, W, tuple(float(v) for v in norms)
    return twin.adal_singleton(Ls, Lam, W, ZE, LamE, T, mask, thr, Yprev, want_norms, scale)
