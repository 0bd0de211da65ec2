"""The one result type and status vocabulary shared by every solver."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Iterator, Mapping

__all__ = ["Status", "Result", "Measures"]


class Status(IntEnum):
    """Why a solver stopped. ``success`` is true only for ``Status.OPTIMAL``.

    Attributes
    ----------
    OPTIMAL
        The optimality measure reached ``tol``.
    MAX_ITER
        ``max_iter`` iterations without reaching ``tol``.
    CALLBACK_STOP
        The callback returned ``True`` or raised ``StopIteration``.
    NUMERICAL_ERROR
        A non-finite iterate appeared; the last finite one is returned.
    INTERRUPTED
        Ctrl-C; the best iterate so far is returned.
    STALLED
        The stall rule (``stall_checks``, ``ftol``) or the method found no further
        progress possible before ``tol``.
    INFEASIBLE
        The problem data admit no feasible point.
    CALLBACK_ERROR
        The callback raised another exception (kept in ``Result.info["error"]``).
    UNBOUNDED
        The objective is unbounded below on the feasible set.

    Examples
    --------
    >>> from optkit import Status
    >>> Status.MAX_ITER.success, Status.OPTIMAL.success
    (False, True)
    >>> Status.MAX_ITER.message
    'The iteration limit was reached before the tolerance.'
    >>> str(Status.STALLED)
    'STALLED'
    """

    OPTIMAL = 0
    MAX_ITER = 1
    CALLBACK_STOP = 2
    NUMERICAL_ERROR = 3
    INTERRUPTED = 4
    STALLED = 5
    INFEASIBLE = 6
    CALLBACK_ERROR = 7

    @property
    def message(self) -> str:
        """The status explained in one sentence."""
        return _MESSAGES[self]

    @property
    def success(self) -> bool:
        """Whether this is ``Status.OPTIMAL``."""
        return self is Status.OPTIMAL

    def __str__(self) -> str:
        return self.name


_MESSAGES = {
    Status.OPTIMAL: "The optimality measure reached the requested tolerance.",
    Status.MAX_ITER: "The iteration limit was reached before the tolerance.",
    Status.CALLBACK_STOP: "The callback asked the solver to stop.",
    Status.NUMERICAL_ERROR: "A non-finite iterate appeared; the last finite iterate is returned.",
    Status.INTERRUPTED: "Interrupted by the user; the best iterate so far is returned.",
    Status.STALLED: "No further progress is possible at this precision before the tolerance.",
    Status.INFEASIBLE: "The problem data admit no feasible point.",
    Status.CALLBACK_ERROR: "The callback raised an exception (in info['error']); the best iterate so far "
                           "is returned.",
}


class Measures(Mapping):
    """A read-only mapping of measure names to floats (picklable, unlike ``MappingProxyType``)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, float] = ()) -> None:
        object.__setattr__(self, "_data", dict(data))

    def __getitem__(self, key: str) -> float:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("measures are read-only")

    def __reduce__(self) -> tuple:
        return (Measures, (self._data,))

    def __repr__(self) -> str:
        return f"Measures({self._data!r})"


class MeasureAttributes:
    """Attribute access to the entries of a ``measures`` mapping (``res.gap`` for ``res.measures["gap"]``)."""

    def __getattr__(self, name: str) -> float:
        # only reached when normal lookup fails
        if name.startswith("__") or name == "measures":
            raise AttributeError(name)
        try:
            return self.measures[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no attribute or measure {name!r}; measures: "
                                 f"{sorted(self.measures)}") from None


@dataclass(frozen=True)
class Result(MeasureAttributes):
    """Outcome of :func:`optkit.solve`.

    Attributes
    ----------
    x : array or NamedTuple of arrays
        The solution, in the namespace of the problem's data (``(L, S)``,
        ``(X, E)`` ... for multi-block problems).
    fun : float
        Objective value at ``x``.
    status : Status
        Why the solver stopped; ``message`` explains it in words.
    success : bool
        ``status is Status.OPTIMAL``.
    nit : int
        Iterations taken.
    time : float
        Wall time of the run in seconds (set-up included).
    method : str
        Registered name of the solver that ran.
    backend : str
        Array library of the data (``"numpy"``, ``"cupy"``, ``"array_api_strict"`` ...).
    optimality : float
        The family's relative optimality measure at ``x``, computed by the problem;
        ``tol`` applies to it.
    measures : mapping of str to float
        The named measures the problem's family defines at ``x`` (duality ``gap``,
        ``primal_residual``, ``marginal_error``, ...), read-only. Each is also an
        attribute: ``res.gap`` is ``res.measures["gap"]``.
    dual : array, tuple of arrays or None
        Dual variables or potentials where the method has them.
    history : dict of str to numpy.ndarray
        One entry per convergence check: ``nit``, ``time``, ``fun``,
        ``optimality`` and each measure.
    info : dict
        Method-specific extras (counts of skipped steps, ranks, ...).

    See Also
    --------
    optkit.solve : returns it.
    Result.plot : the history drawn against iterations and time.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> res = optkit.solve(optkit.problems.Lasso(**lasso_instance(30, 60, seed=0)), tol=1e-8)
    >>> res.status, res.success
    (<Status.OPTIMAL: 0>, True)
    >>> res.message
    'The optimality measure reached the requested tolerance.'
    >>> res.optimality <= 1e-8          # the relative duality gap, for a Lasso
    True
    >>> dict(res.measures).keys(), res.gap == res.measures["gap"]
    (dict_keys(['gap']), True)
    >>> sorted(res.history)             # one entry per convergence check
    ['fun', 'gap', 'nit', 'optimality', 'time']
    >>> int(res.history["nit"][-1]) == res.nit
    True
    """

    x: Any
    fun: float
    status: Status
    nit: int
    time: float
    method: str
    backend: str
    optimality: float
    measures: Mapping[str, float] = field(default_factory=dict)
    dual: Any = None
    history: Mapping[str, Any] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "measures", Measures(self.measures))

    @property
    def success(self) -> bool:
        """``status is Status.OPTIMAL``: the certificate at ``x`` is at or below ``tol``."""
        return self.status is Status.OPTIMAL

    @property
    def message(self) -> str:
        """Why the solver stopped, in words (``status.message``)."""
        return self.status.message

    def plot(self, *, axes: Any = None, label: str | None = None, measures: bool = False,
             reference: float | None = None) -> Any:
        """Plot the certificate and the objective against iterations and against time.

        Draws ``history`` (one point per convergence check) on a 2 x 2 grid: the
        relative optimality measure (log scale) and the objective, against the
        iteration count and against wall time. Needs matplotlib (the ``plot``
        extra); the drawing is done by :func:`optkit.plotting.plot_result`.

        Parameters
        ----------
        axes : array of matplotlib Axes, shape (2, 2), optional
            Where to draw (e.g. the axes of a previous plot, to overlay runs);
            by default a new figure.
        label : str, optional
            Legend label of the curves; default ``method``.
        measures : bool
            Also draw the family's named measures (``gap`` ...), dashed.
        reference : float, optional
            A reference objective (known optimum, CVXPY's value): the objective
            row then shows :math:`|f - f_{ref}| / \\max(1, |f_{ref}|)`, log scale.

        Returns
        -------
        numpy.ndarray of matplotlib Axes, shape (2, 2)

        Examples
        --------
        >>> import optkit
        >>> from optkit.datasets import lasso_instance
        >>> problem = optkit.problems.Lasso(**lasso_instance(30, 60, seed=0))
        >>> res = optkit.solve(problem, tol=1e-8)
        >>> axes = res.plot(measures=True)
        >>> axes.shape
        (2, 2)
        >>> axes = optkit.solve(problem, method="fista", tol=1e-8).plot(axes=axes)  # overlay a second run
        """
        from .plotting import plot_result  # noqa: PLC0415  (matplotlib is optional)

        return plot_result(self, axes=axes, label=label, measures=measures, reference=reference)

    def to_numpy(self) -> "Result":
        """A copy whose arrays (``x``, ``dual``) are NumPy arrays on the host."""
        from .backend import to_numpy  # noqa: PLC0415

        def host(v: Any) -> Any:
            if v is None or isinstance(v, (int, float)):
                return v
            if isinstance(v, tuple):
                return type(v)(*map(host, v)) if hasattr(v, "_fields") else tuple(map(host, v))
            return to_numpy(v)

        return dataclasses.replace(self, x=host(self.x), dual=host(self.dual))

    def __repr__(self) -> str:
        def short(v: Any) -> str:
            if hasattr(v, "shape") and hasattr(v, "dtype"):
                return f"<array shape={tuple(v.shape)} dtype={v.dtype}>"
            if isinstance(v, tuple) and hasattr(v, "_fields"):
                inner = ", ".join(f"{k}={short(getattr(v, k))}" for k in v._fields)
                return f"{type(v).__name__}({inner})"
            if isinstance(v, tuple):
                return "(" + ", ".join(short(e) for e in v) + ")"
            if isinstance(v, float):
                return f"{v:.6g}"
            return repr(v) if not isinstance(v, Status) else v.name

        rows = [
            ("message", self.message), ("success", self.success), ("status", self.status),
            ("fun", self.fun), ("x", self.x), ("nit", self.nit), ("time", self.time),
            ("method", self.method), ("backend", self.backend), ("optimality", self.optimality),
        ]
        rows += list(self.measures.items())
        if self.dual is not None:
            rows.append(("dual", self.dual))
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k.rjust(width)}: {short(v)}" for k, v in rows)
