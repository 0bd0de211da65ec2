"""The building-block protocol: a convex function with value, gradient and/or prox."""
from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

from ..backend import asarray, get_namespace, to_numpy

__all__ = ["Function", "check_array", "check_scalar", "check_same_library"]


class Function:
    """A closed convex function of one array variable.

    Subclasses are frozen dataclasses whose array fields hold the data. They
    implement ``value(x)`` (``+inf`` outside the domain) and whichever of
    ``grad(x)`` (``smooth = True``) and ``prox(v, step)`` they can do in
    closed form, where

    .. math:: \\operatorname{prox}_{s f}(v) = \\arg\\min_u\\, f(u) + \\tfrac{1}{2s}\\|u - v\\|^2 .

    ``lipschitz`` is the Lipschitz constant of the gradient (``None`` when the
    gradient is not globally Lipschitz or the function is not smooth), and
    ``to_cvxpy(var)`` the same function in CVXPY, as ``(expression, constraints)``.
    """

    smooth: ClassVar[bool] = False
    has_prox: ClassVar[bool] = True

    @property
    def lipschitz(self) -> float | None:
        return None

    def value(self, x: Any) -> float:
        raise NotImplementedError(f"{type(self).__name__} has no value()")

    def grad(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} is not smooth")

    def prox(self, v: Any, step: float) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no closed-form prox")

    def typical_curvature(self, x: Any) -> float | None:
        """Geometric mean of the Hessian's eigenvalues at ``x`` where cheap; else ``None``.

        Splitting methods use it to scale their proximal parameter.
        """
        return None

    def prepare_prox(self) -> None:
        """Precompute what ``prox`` needs (called once by methods that use it); default: nothing."""

    def to_cvxpy(self, var: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no CVXPY form")

    def arrays(self) -> dict[str, Any]:
        """The array fields, by name."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if hasattr(getattr(self, f.name), "shape")}

    def to(self, xp: Any) -> "Function":
        """The same function with its arrays moved to namespace ``xp``."""
        return self.map_arrays(lambda a: asarray(to_numpy(a), xp=xp))

    def map_arrays(self, fn: Any) -> "Function":
        """The same function with ``fn`` applied to each of its arrays."""
        return dataclasses.replace(self, **{k: fn(v) for k, v in self.arrays().items()})


def check_array(name: str, x: Any, ndim: int | None = None, finite: bool = True) -> Any:
    """Validate an input array: array-API array, real floating dtype, ``ndim``, finite.

    Integer input is promoted to float64. Raises ``TypeError``/``ValueError``
    naming the argument.
    """
    try:
        xp = get_namespace(x)
    except TypeError:
        raise TypeError(f"{name} must be an array (NumPy, CuPy or array-API), got {type(x).__name__}") from None
    if xp.isdtype(x.dtype, "integral") or x.dtype == xp.bool:
        x = xp.astype(x, xp.float64)
    if not xp.isdtype(x.dtype, "real floating"):
        raise TypeError(f"{name} must have a real floating dtype, got {x.dtype}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {tuple(x.shape)}")
    if finite and not bool(xp.all(xp.isfinite(x))):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return x


def check_scalar(name: str, value: Any, *, positive: bool = False, allow_none: bool = False) -> float | None:
    """Validate a real scalar parameter: finite, nonnegative (or positive)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    if value < 0:
        raise ValueError(f"{name} must be nonnegative, got {value}")
    return value


def check_same_library(**arrays: Any) -> Any:
    """The namespace the named arrays share; a ``TypeError`` naming them when they come from
    different array libraries (``None`` entries are skipped)."""
    given = {k: v for k, v in arrays.items() if v is not None}
    try:
        return get_namespace(*given.values())
    except TypeError:
        kinds = ", ".join(f"{k} ({type(v).__module__.split('.')[0]})" for k, v in given.items())
        raise TypeError(f"{' and '.join(given)} come from different array libraries: {kinds}; "
                        f"use one array library for all the data") from None

