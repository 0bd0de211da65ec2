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
