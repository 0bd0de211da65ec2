"""Hot inner loops: a Numba kernel for NumPy arrays, a pure array-API twin otherwise.

Dispatch happens in this package and only here, once per call, on the namespace
of the input (``_dispatch.use_numba``): the shared kernels in this module, each
family's in ``lowrank.py``, ``tensor.py`` and ``transport.py``, all re-exported
here. Set ``OPTKIT_DISABLE_NUMBA=1`` to force the twins everywhere (the kernel
tests compare the two).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_namespace
from . import _reference as reference
from ._dispatch import use_numba

__all__ = ["soft_threshold", "project_simplex", "project_l1_ball", "use_numba", "reference"]


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


from .lowrank import *  # noqa: E402,F401,F403
from .lowrank import __all__ as _lowrank_all  # noqa: E402
from .tensor import *  # noqa: E402,F401,F403
from .tensor import __all__ as _tensor_all  # noqa: E402
from .transport import *  # noqa: E402,F401,F403
from .transport import __all__ as _transport_all  # noqa: E402

__all__ += _lowrank_all + _tensor_all + _transport_all
