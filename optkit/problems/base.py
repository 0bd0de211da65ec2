"""The Problem protocol shared by every family."""
from __future__ import annotations

import dataclasses
import functools
import inspect
import numbers
from typing import Any, Callable, ClassVar

import numpy as np

from ..backend import asarray, get_namespace, to_numpy

__all__ = ["Problem"]


class Problem:
    """Base of the problem classes (each a frozen dataclass owning its arrays).

    A problem validates its input in ``__post_init__`` and offers what its family's
    solvers need, and it is the one owner of its optimality certificate:

    - ``objective(x)``: the objective value;
    - ``measures(x, **pieces)``: a dict with ``fun``, ``optimality`` (the relative
      measure ``tol`` applies to: a duality gap, KKT residual, marginal error ...)
      and the family's named measures. Solvers pass pieces they already computed
      (a residual, its norm, a dual point, a top singular value) under the names
      the problem documents and never re-derive the formula; with only ``x`` (and the
      ``dual`` a Result carries, where the certificate needs one) the problem computes
      everything itself, so ``problem.measures(res.x, dual=res.dual)`` reproduces
      ``res.optimality``;
    - ``initial_point()`` and ``check_x0(x0)``: the default start and the one place a
      user's start is validated (shape, finiteness, namespace, dtype; a copy);
    - ``to(xp)`` and, when convex, ``to_cvxpy()`` returning ``(cvxpy.Problem, variable)``.

    ``default_method`` names the method :func:`optkit.solve` uses when none is given
    (a class attribute, or a property where the best method depends on the instance);
    ``optimality_measure``, a class attribute, names the certificate in one phrase for
    the method tables (``python -m optkit methods``, the README, the documentation).

    Examples
    --------
    The certificate a Result carries is the problem's own evaluation at ``res.x``:

    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> problem = optkit.problems.Lasso(**lasso_instance(30, 60, seed=0))
    >>> res = optkit.solve(problem, tol=1e-8)
    >>> problem.measures(res.x)["optimality"] == res.optimality
    True
    >>> problem.default_method, problem.optimality_measure
    ('working_set', 'relative duality gap')
    """

    default_method: ClassVar[str] = ""

    def arrays(self) -> dict[str, Any]:
        """The problem's data arrays by field name (what :meth:`to` moves)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.init and hasattr(getattr(self, f.name), "shape")}

    @property
    def xp(self) -> Any:
        """The array namespace of the data (NumPy, CuPy, array_api_strict ...)."""
        return get_namespace(*self.arrays().values())

    @property
    def dtype(self) -> Any:
        """The floating dtype of the data."""
        return next(iter(self.arrays().values())).dtype

    def to(self, xp: Any) -> "Problem":
        """The same problem with its data moved once to namespace ``xp``."""
        return self.map_arrays(lambda a: asarray(to_numpy(a), xp=xp))

    def astype(self, dtype: Any) -> "Problem":
        """The same problem with its floating data in ``dtype`` (the run loop re-certifies a
        float32 answer in float64 with it)."""
        def cast(a: Any) -> Any:
            xp = get_namespace(a)
            return xp.astype(a, dtype) if xp.isdtype(a.dtype, "real floating") else a

        return self.map_arrays(cast)

    def map_arrays(self, fn: Any) -> "Problem":
        """The same problem with ``fn`` applied to each data array (:meth:`arrays`); problems that
        keep their data elsewhere (in :class:`~optkit.functions.Function` terms) override it."""
        return dataclasses.replace(self, **{k: fn(v) for k, v in self.arrays().items()})

    def initial_point(self) -> Any:
        """The default starting point, in the data's namespace and dtype."""
        raise NotImplementedError(f"{type(self).__name__} has no default starting point")

    def check_x0(self, x0: Any) -> Any:
        """Validate a starting point against :meth:`initial_point`'s layout.

        ``x0`` is an array (or a tuple of arrays, block by block, for multi-block
        problems) of the same shape: NumPy input, lists and NumPy scalars are
        converted to the problem's namespace, every block must be finite, and the
        result is a copy in the problem's dtype.
        """
        return _like_template("x0", x0, self.initial_point())

    def objective(self, x: Any) -> float:
        """The objective at ``x`` (``inf`` outside its domain)."""
        raise NotImplementedError

    def measures(self, x: Any, **pieces: Any) -> dict[str, float]:
        """``{"fun", "optimality", <named measures>}`` at ``x``; ``pieces`` are what a solver
        already computed, under the names the problem documents."""
        raise NotImplementedError

    def to_cvxpy(self) -> tuple[Any, Any]:
        """The CVXPY reference formulation, ``(cvxpy.Problem, variable)`` (convex problems)."""
        raise NotImplementedError(f"{type(self).__name__} has no CVXPY reference formulation")


def certified_gap(upper: float, lower: float, dtype: Any, xp: Any) -> float:
    """``upper - lower`` (a duality gap), but never below the rounding of the two values in ``dtype``:
    a gap that rounds to zero (or below) certifies only to that level, so a ``tol`` under it is not
    met by cancellation."""
    rounding = 4.0 * float(xp.finfo(dtype).eps) * (abs(upper) + abs(lower))
    return max(upper - lower, rounding)


def keyword_weights(obj: Any) -> Any:
    """Name the keyword-only parameters when a call passes them by position.

    Weights (``lam``, ``reg``, ``l2`` ...) and what follows them are keyword-only in every
    problem constructor, so that no two problems take them in a different order. Applied
    to a class (above ``@dataclass``) it guards ``__init__``; applied to a function or a
    classmethod's function (below ``@classmethod``) it guards that call. A call with more
    positional arguments than the signature takes raises a :class:`TypeError` that names
    the keyword-only parameters the extra values were meant for (Python's own message
    only counts them). The signature seen by :func:`inspect.signature` is unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.problems import Lasso
    >>> Lasso(np.eye(2), np.ones(2), 0.1)
    Traceback (most recent call last):
    ...
    TypeError: Lasso takes 2 positional arguments (A, b) but 3 were given: lam is keyword-only; write Lasso(A, b, lam=...)
    """
    if isinstance(obj, type):
        obj.__init__ = _positional_guard(obj.__init__, obj.__name__)
        return obj
    return _positional_guard(obj, obj.__qualname__)


def check_shape_and_x0(problem: Any) -> None:
    """Check a problem's ``shape`` (a tuple of positive ints) and optional ``x0`` (an array of that
    shape, stored back converted), for the problems whose variable's shape is given, not read
    from their data (``Composite``, ``SumOfFunctions``)."""
    from ..functions.base import check_array  # noqa: PLC0415

    shape = problem.shape
    if not isinstance(shape, tuple) or not all(isinstance(s, int) and s > 0 for s in shape):
        raise ValueError(f"shape must be a tuple of positive ints, got {shape!r}")
    if problem.x0 is not None:
        x0 = check_array("x0", problem.x0)
        if tuple(x0.shape) != shape:
            raise ValueError(f"x0 must have shape {shape}, got {tuple(x0.shape)}")
        object.__setattr__(problem, "x0", x0)


def mask_type_error(mask: Any) -> TypeError:
    """The error for a ``mask`` that is not an array; a number there is most likely a weight given
    by position (the order was ``(data, lam, mask)`` once), so the message says so."""
    hint = ""
    if isinstance(mask, numbers.Number) and not isinstance(mask, bool):
        hint = f"; a number there is a weight given by position, and weights are keyword-only (lam={mask!r})"
    return TypeError(f"mask must be a boolean array, got {type(mask).__name__}{hint}")


def _positional_guard(fn: Callable, name: str) -> Callable:
    params = list(inspect.signature(fn).parameters.values())
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return fn
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    bound = 1 if positional and positional[0] in ("self", "cls") else 0
    shown = positional[bound:]
    keywords = [p.name for p in params if p.kind is p.KEYWORD_ONLY]

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if len(args) > len(positional) and keywords:
            extra = keywords[:len(args) - len(positional)]
            verb = "is" if len(extra) == 1 else "are"
            example = ", ".join([*shown, f"{extra[0]}=..."])
            raise TypeError(f"{name} takes {len(shown)} positional argument{'s' if len(shown) != 1 else ''} "
                            f"({', '.join(shown)}) but {len(args) - bound} were given: {', '.join(extra)} {verb} "
                            f"keyword-only; write {name}({example})")
        return fn(*args, **kwargs)

    return guarded


def _like_template(name: str, x: Any, template: Any) -> Any:
    """``x`` validated and converted block by block into the namespace, dtype and shape of ``template``."""
    if isinstance(template, tuple):
        if not isinstance(x, (tuple, list)) or len(x) != len(template):
            fields = getattr(template, "_fields", None)
            what = f"({', '.join(fields)})" if fields else f"a tuple of {len(template)} arrays"
            raise TypeError(f"{name} must be {what}, got {type(x).__name__}")
        names = getattr(template, "_fields", None) or [str(i) for i in range(len(template))]
        blocks = [_like_template(f"{name}.{n}", xi, ti) for n, xi, ti in zip(names, x, template)]
        return type(template)(*blocks) if hasattr(template, "_fields") else tuple(blocks)
    xp = get_namespace(template)
    if isinstance(x, (list, tuple)) or np.isscalar(x):
        try:
            x = np.asarray(x)
        except ValueError:
            raise ValueError(f"{name} must be a (rectangular) array; got a ragged nested sequence") from None
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    try:
        same_library = get_namespace(x) is xp
    except TypeError:
        same_library = False
    if not same_library:
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{name} comes from another array library than the problem's data; "
                            f"use one array library (or a NumPy array, converted once)")
        x = asarray(x, like=template)
    if tuple(x.shape) != tuple(template.shape):
        raise ValueError(f"{name} must have shape {tuple(template.shape)}, got {tuple(x.shape)}")
    if xp.isdtype(x.dtype, "complex floating") or not (xp.isdtype(x.dtype, "numeric") or x.dtype == xp.bool):
        raise TypeError(f"{name} must be real, got dtype {x.dtype}")
    x = xp.astype(x, template.dtype, copy=True)
    if not bool(xp.all(xp.isfinite(x))):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return x
