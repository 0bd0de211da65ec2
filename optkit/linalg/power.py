"""The spectral norm of a matrix-free linear operator by power iteration."""
from __future__ import annotations

import math
from typing import Any, Callable

from ..backend import get_namespace

__all__ = ["operator_norm"]


def scaled_norm(w: Any) -> float:
    """:math:`\\|w\\|_2` of an array (all entries) computed on ``w / max|w|``: the plain norm squares
    the entries, which overflows above about 1e154 and underflows below about 1e-162 in float64."""
    xp = get_namespace(w)
    top = float(xp.max(xp.abs(w))) if math.prod(w.shape) else 0.0
    return top * float(xp.linalg.vector_norm(w / top)) if 0.0 < top < math.inf else top


def operator_norm(apply: Callable[[Any], Any], adjoint: Callable[[Any], Any], v0: Any, *, rtol: float = 1e-4,
                  max_iter: int = 500) -> float:
    """:math:`\\|K\\|_2` of an operator given by ``apply`` (:math:`v \\mapsto Kv`) and ``adjoint``
    (:math:`w \\mapsto K^T w`), by power iteration on :math:`K^TK` from ``v0``.

    The iteration stops when the estimate changes by less than ``rtol`` (relative); the
    estimate approaches the norm from below, so the value returned is raised by
    ``10 rtol`` to make step sizes computed from it safe. ``v0`` should not be orthogonal to the
    top right singular vector (a positive vector rarely is).
    """
    v = v0 / scaled_norm(v0)
    est = 0.0
    for _ in range(max_iter):
        w = adjoint(apply(v))
        new = scaled_norm(w)
        if new == 0.0 or not math.isfinite(new):
            return new
        v = w / new
        if abs(new - est) <= rtol * new:
            break
        est = new
    return math.sqrt(new) * (1.0 + 10.0 * rtol)
