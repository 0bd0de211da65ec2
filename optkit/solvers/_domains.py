"""The domain check of a solver option (see :func:`optkit.solvers.base.option`)."""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _coerce(name: str, value: Any, domain: Any) -> Any:
    """``value`` checked against ``domain`` (see :func:`~optkit.solvers.base.option`), as a Python scalar."""
    if isinstance(domain, (set, frozenset, tuple)):
        if value is None and None in domain:
            return None
        if not isinstance(value, str) or value not in domain:
            raise ValueError(f"{name} must be one of {sorted(domain, key=repr)}, got {value!r}")
        return value
    if domain == "seed":
        if isinstance(value, np.random.Generator):
            return value
        if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)) and value >= 0:
            return int(value)
        raise ValueError(f"{name} must be None, a nonnegative int or a numpy.random.Generator, got {value!r}")
    if domain.startswith("int >="):
        low = int(domain.split(">=")[1])
        if not (isinstance(value, numbers.Integral) and _real(value)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        return int(value)
    left, right = domain[0], domain[-1]
    low, high = (float(v) for v in domain[1:-1].split(","))
    ok = (_real(value) and math.isfinite(value)
          and (value > low if left == "(" else value >= low) and (value < high if right == ")" else value <= high))
    if not ok:
        raise ValueError(f"{name} must be a finite number in {domain}, got {value!r}")
    return float(value)
