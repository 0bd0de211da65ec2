"""The building-block protocol: a convex function with value, gradient and/or prox."""
from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

from ..backend import asarray, get_namespace, to_numpy

__all__ = ["Function", "check_array", "check_scalar", "check_same_library"]


class Function:
    """A closed convex function of one array variable: the building-block protocol.

    Subclasses are frozen dataclasses whose array fields hold the data. They
    implement ``value(x)`` (``+inf`` outside the domain) and whichever of
    ``grad(x)`` (``smooth = True``) and ``prox(v, step)`` they can do in
    closed form, where

    .. math:: \\operatorname{prox}_{s f}(v) = \\arg\\min_u\\, f(u) + \\tfrac{1}{2s}\\|u - v\\|^2 .

    ``lipschitz`` is the Lipschitz constant of the gradient (``None`` when the
    gradient is not globally Lipschitz or the function is not smooth), and
    ``to_cvxpy(var)`` the same function in CVXPY, as ``(expression, constraints)``.
    Two of them make a :class:`~optkit.problems.Composite` problem.

    Attributes
    ----------
    smooth : bool
        Whether ``grad`` is available (class attribute).
    has_prox : bool
        Whether ``prox`` is available (class attribute).

    References
    ----------
    .. [1] N. Parikh and S. Boyd, "Proximal algorithms", Found. Trends Optim. 1
       (2014), 127-239.

    Examples
    --------
    The prox of :math:`\\lambda\\|x\\|_1` soft-thresholds; its optimality condition
    :math:`v - u \\in s\\,\\partial f(u)` holds entry by entry:

    >>> import numpy as np
    >>> from optkit.functions import L1Norm
    >>> f = L1Norm(lam=0.5)
    >>> f.prox(np.array([2.0, -0.2, 0.7]), 1.0)
    array([1.5, 0. , 0.2])
    >>> f.smooth, f.has_prox, f.lipschitz
    (False, True, None)
    """

    smooth: ClassVar[bool] = False
    has_prox: ClassVar[bool] = True

    @property
    def lipschitz(self) -> float | None:
        """Lipschitz constant of the gradient, or ``None`` (not smooth, or not globally Lipschitz)."""
        return None

    def value(self, x: Any) -> float:
        """:math:`f(x)` as a Python float; ``inf`` outside the domain."""
        raise NotImplementedError(f"{type(self).__name__} has no value()")

    def grad(self, x: Any) -> Any:
        """:math:`\\nabla f(x)`, an array like ``x`` (smooth functions only)."""
        raise NotImplementedError(f"{type(self).__name__} is not smooth")

    def prox(self, v: Any, step: float) -> Any:
        """:math:`\\operatorname{prox}_{s f}(v)` for the step :math:`s` = ``step`` > 0, an array like ``v``."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form prox")

    def typical_curvature(self, x: Any) -> float | None:
        """Geometric mean of the Hessian's eigenvalues at ``x`` where cheap; else ``None``.

        Splitting methods use it to scale their proximal parameter.
        """
        return None

    def prepare_prox(self) -> None:
        """Precompute what ``prox`` needs (called once by methods that use it); default: nothing."""

    def to_cvxpy(self, var: Any) -> Any:
        """The function of the CVXPY variable ``var``: ``(expression, list of constraints)``."""
        raise NotImplementedError(f"{type(self).__name__} has no CVXPY form")

    def conjugate(self, z: Any) -> float:
        """The convex conjugate :math:`f^*(z) = \\sup_x \\langle z, x\\rangle - f(x)` (``+inf`` off its domain),
        where it has a closed form; saddle-point gaps are built from it."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form conjugate")

    def conjugate_cvxpy(self, expr: Any) -> Any:
        """:math:`f^*` of a CVXPY expression, as ``(expression, constraints)``."""
        raise NotImplementedError(f"{type(self).__name__} has no CVXPY form of its conjugate")

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

    Parameters
    ----------
    name : str
        The argument's name, for the error messages.
    x : array
        NumPy, CuPy or any array-API array. Integer and boolean input is promoted to
        float64.
    ndim : int, optional
        Required number of dimensions.
    finite : bool
        Reject NaN and infinite entries.

    Returns
    -------
    array
        ``x``, promoted to float64 where it was integer or boolean.

    Raises
    ------
    TypeError
        Not an array, or not of a real dtype.
    ValueError
        Wrong ``ndim``, or non-finite entries.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.functions.base import check_array
    >>> check_array("A", np.arange(3)).dtype
    dtype('float64')
    >>> check_array("A", np.ones(3), ndim=2)
    Traceback (most recent call last):
    ...
    ValueError: A must be 2-dimensional, got shape (3,)
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


#: Largest magnitudes of data whose certificates float64 can evaluate: a residual at relative
#: accuracy eps of data of size ``s`` has squared norm about ``(eps s)^2``, which underflows
#: below sqrt(tiny) / eps (6.7e-139) and whose sums overflow far above 1e138.
MAGNITUDE_RANGE = (1e-138, 1e138)


def check_magnitude(name: str, x: Any) -> None:
    """Refuse data whose largest finite magnitude is outside :data:`MAGNITUDE_RANGE` (all-zero
    data passes): its squared norms under- or overflow in float64, so no certificate computed
    from them could be trusted (a zero from underflow would read as optimal)."""
    xp = get_namespace(x)
    finite = xp.where(xp.isfinite(x), xp.abs(x), xp.zeros_like(x))
    largest = float(xp.max(finite)) if x.size else 0.0
    lo, hi = MAGNITUDE_RANGE
    if largest and not lo <= largest <= hi:
        raise ValueError(f"{name}'s largest entry has magnitude {largest:.3g}, outside [{lo:g}, {hi:g}]: squared "
                         f"norms would under- or overflow in float64 and no certificate could be trusted; "
                         f"rescale {name} (the solution scales with it)")


def check_scalar(name: str, value: Any, *, positive: bool = False, allow_none: bool = False) -> float | None:
    """Validate a real scalar parameter: finite, nonnegative (or positive).

    Parameters
    ----------
    name : str
        The parameter's name, for the error messages.
    value : real number
        Python or NumPy scalar (not a bool).
    positive : bool
        Require ``value > 0`` instead of ``value >= 0``.
    allow_none : bool
        Accept ``None`` (returned as is).

    Returns
    -------
    float or None

    Raises
    ------
    TypeError
        Not a real number.
    ValueError
        Not finite, negative, or zero where ``positive``.

    Examples
    --------
    >>> from optkit.functions.base import check_scalar
    >>> check_scalar("lam", 2)
    2.0
    >>> check_scalar("lam", -1.0)
    Traceback (most recent call last):
    ...
    ValueError: lam must be nonnegative, got -1.0
    """
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
    """The array namespace the named arrays share.

    Parameters
    ----------
    **arrays : array or None
        The arrays by argument name; ``None`` entries are skipped.

    Returns
    -------
    namespace
        Their common array namespace.

    Raises
    ------
    TypeError
        Naming the arguments when they come from different array libraries.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.functions.base import check_same_library
    >>> xp = check_same_library(A=np.ones((2, 2)), b=np.ones(2), x0=None)
    """
    given = {k: v for k, v in arrays.items() if v is not None}
    try:
        return get_namespace(*given.values())
    except TypeError:
        kinds = ", ".join(f"{k} ({type(v).__module__.split('.')[0]})" for k, v in given.items())
        raise TypeError(f"{' and '.join(given)} come from different array libraries: {kinds}; "
                        f"use one array library for all the data") from None

