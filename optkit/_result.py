"""The one result type and status vocabulary shared by every solver."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Iterator, Mapping

__all__ = ["Status", "Result", "Measures"]


class Status(IntEnum):
    """Why a solver stopped. ``success`` is true only for :attr:`OPTIMAL`."""

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
        return _MESSAGES[self]

    @property
    def success(self) -> bool:
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
        return self.status is Status.OPTIMAL

    @property
    def message(self) -> str:
        return self.status.message

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
