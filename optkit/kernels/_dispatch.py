"""The one test that routes a call to a Numba kernel or to its array-API twin, and the choice
between a kernel's serial and threaded builds."""
from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np

from ..backend import get_namespace, is_numpy

__all__ = ["use_numba", "pick", "PARALLEL_MIN_SIZE"]

# Threads pay off only on large arrays; smaller ones run the serial build. Right after a BLAS
# call the BLAS threads still hold the cores, and waking Numba's OpenMP threads then cost 12-23 ms
# per kernel on a 2-core machine (a 300 x 300 pass: 0.1 ms serial, 18 ms threaded); on the
# 25344 x 1000 video the threaded passes still won (FW-T 6.3 s against 7.4 s serial).
PARALLEL_MIN_SIZE = 1 << 22


# Read at every call (tests and users switch it at run time). os.environ.get of a name that is not set raises and
# catches a KeyError inside the mapping: 10 us of a 30 x 30 transport solve after another library's call (cold
# caches), against 2 us for a lookup in the mapping's own table (CPython's os._Environ since 3.2), keyed as the
# mapping keys names; elsewhere os.environ itself.
try:
    _ENV, _DISABLE, _ONE = os.environ._data, os.environ.encodekey("OPTKIT_DISABLE_NUMBA"), os.environ.encodevalue("1")
except AttributeError:
    _ENV, _DISABLE, _ONE = os.environ, "OPTKIT_DISABLE_NUMBA", "1"


def use_numba(x: Any) -> bool:
    """True when ``x`` is a real floating NumPy array and Numba is enabled."""
    if _ENV.get(_DISABLE) == _ONE:  # OPTKIT_DISABLE_NUMBA=1
        return False
    if type(x) is np.ndarray:  # the common case, without looking up its namespace (microseconds a call)
        return x.dtype in (np.float32, np.float64)
    return is_numpy(get_namespace(x)) and isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64)


def pick(module: ModuleType, name: str, like: Any) -> Any:
    """``module.<name>_parallel`` for arrays of at least :data:`PARALLEL_MIN_SIZE` entries, else
    ``module.<name>_serial`` (builds made by ``_jit._builds``)."""
    return getattr(module, f"{name}_parallel" if like.size >= PARALLEL_MIN_SIZE else f"{name}_serial")
