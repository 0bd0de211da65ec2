"""The one test that routes a call to a Numba kernel or to its array-API twin."""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..backend import get_namespace, is_numpy

__all__ = ["use_numba"]


def use_numba(x: Any) -> bool:
    """True when ``x`` is a real floating NumPy array and Numba is enabled."""
    if os.environ.get("OPTKIT_DISABLE_NUMBA") == "1":
        return False
    return is_numpy(get_namespace(x)) and isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64)
