"""Hot inner loops: a Numba kernel for NumPy arrays, a pure array-API twin otherwise.

Dispatch happens in the kernel packages and only there, once per call, on the namespace of
the input (``_dispatch.use_numba``). This module holds the kernels several families share;
each family's kernels live in their own subpackage, ``optkit.kernels.<family>`` (``rpca``,
``tensor``, ``transport``, ...), with the dispatchers in its ``__init__``, the Numba
kernels in ``_jit.py`` and their twins in ``_twin.py``. Set ``OPTKIT_DISABLE_NUMBA=1`` to force
the twins everywhere (the kernel tests compare the two).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_namespace
from . import _twin as twin
from ._dispatch import pick, use_numba

__all__ = ["soft_threshold", "project_simplex", "project_l1_ball", "l1_ball_threshold", "use_numba", "twin"]


def soft_threshold(x: Any, t: float) -> Any:
    """Entrywise soft-thresholding :math:`\\operatorname{sign}(x)\\max(|x|-t,0)`, the prox of :math:`t\\|\\cdot\\|_1`."""
    if use_numba(x):
        from . import _jit  # noqa: PLC0415  (lazy: Numba compiles on first use)

        x = np.ascontiguousarray(x)
        return pick(_jit, "soft_threshold", x)(x, x.dtype.type(t), np.empty_like(x))
    return twin.soft_threshold(x, t)


def project_simplex(v: Any, radius: float = 1.0) -> Any:
    """Euclidean projection of a 1-d array onto the simplex :math:`\\{x\\ge0, \\sum_i x_i = r\\}`."""
    if use_numba(v):
        from . import _jit  # noqa: PLC0415

        return _jit.project_simplex(np.ascontiguousarray(v), v.dtype.type(radius))
    return twin.project_simplex(v, radius)


def project_l1_ball(v: Any, radius: float = 1.0) -> Any:
    """Euclidean projection of a 1-d array onto the l1 ball :math:`\\{\\|x\\|_1 \\le r\\}`."""
    xp = get_namespace(v)
    if float(xp.sum(xp.abs(v))) <= radius:
        return v
    return xp.sign(v) * project_simplex(xp.abs(v), radius)


def l1_ball_threshold(z: Any, radius: float) -> float:
    """:math:`\\theta \\ge 0` such that :math:`\\|\\operatorname{soft}(z,\\theta)\\|_1 = r` (0 inside the
    ball): the projection onto the l1 ball of radius ``r`` is ``soft_threshold(z, theta)``."""
    if use_numba(z):
        from . import _jit  # noqa: PLC0415

        return float(_jit.l1_ball_threshold(np.ascontiguousarray(z), float(radius)))
    return twin.l1_ball_threshold(z, radius)
