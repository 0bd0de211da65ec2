"""The Solver protocol, per-solver options, and the single run loop.

A solver implements ``init``, ``step`` and ``check`` (plus optionally
``terminate`` and ``postprocess``); :func:`run` owns everything else:
``max_iter``, timing, history, callbacks, the verbose table, the non-finite
guard and Ctrl-C. Convergence is tested every ``check_every`` iterations
because, on a GPU, each scalar test is a device synchronisation.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

from .._result import Result, Status
from ..backend import backend_name

__all__ = ["Options", "Solver", "Check", "Snapshot", "option", "run"]


def option(default: Any, doc: str, *, domain: str | None = None) -> Any:
    """A dataclass field with a default and a one-line meaning for ``show_options``.

    ``domain`` declares the admissible values, checked by :class:`Options` with a
    ``ValueError`` naming the option: an interval of finite reals such as
    ``"(0, 1)"``, ``"[1, inf)"``, ``"(0, 1]"``, or ``"int >= k"`` for integers.
    ``None`` is admissible wherever it is the default.
    """
    return field(default=default, metadata={"doc": doc, "domain": domain})


def _check_domain(name: str, value: Any, domain: str) -> None:
    """Raise ``ValueError`` unless ``value`` lies in ``domain`` (see :func:`option`)."""
    if domain.startswith("int >="):
        low = int(domain.split(">=")[1])
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        return
    left, right = domain[0], domain[-1]
    low, high = (float(v) for v in domain[1:-1].split(","))
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
          and (value > low if left == "(" else value >= low) and (value < high if right == ")" else value <= high))
    if not ok:
        raise ValueError(f"{name} must be a finite number in {domain}, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class Options:
    """Options every solver has. Subclasses add their own fields with :func:`option`."""

    tol: float = option(1e-6, "stop when the relative optimality measure is at or below tol")
    max_iter: int = option(1000, "iteration limit")
    check_every: int = option(1, "iterations between convergence checks (each is a device sync on GPU)")

    def __post_init__(self) -> None:
        if not (isinstance(self.tol, (int, float)) and self.tol > 0 and math.isfinite(self.tol)):
            raise ValueError(f"tol must be a positive finite number, got {self.tol!r}")
        for name in ("max_iter", "check_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < (0 if name == "max_iter" else 1):
                raise ValueError(f"{name} must be an integer >= {0 if name == 'max_iter' else 1}, got {value!r}")
        for f in dataclasses.fields(self):
            domain = f.metadata.get("domain")
            value = getattr(self, f.name)
            if domain is not None and not (value is None and f.default is None):
                _check_domain(f.name, value, domain)

    @classmethod
    def build(cls, method: str, **kwargs: Any) -> "Options":
        """Construct from keyword arguments, rejecting unknown names with a ``TypeError``."""
        valid = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - valid)
        if unknown:
            raise TypeError(f"unknown option(s) {unknown} for method {method!r}; valid options: {sorted(valid)}")
        return cls(**kwargs)


@dataclass(frozen=True)
class Check:
    """What a solver reports at a convergence check (floats are on the host)."""

    x: Any
    fun: float
    optimality: float
    measures: Mapping[str, float] = field(default_factory=dict)
    dual: Any = None


@dataclass(frozen=True)
class Snapshot:
    """Read-only view handed to ``callback`` at every check."""

    nit: int
    time: float
    x: Any
    fun: float
    optimality: float
    measures: Mapping[str, float]

    def __getattr__(self, name: str) -> float:
        try:
            return self.measures[name]
        except KeyError:
            raise AttributeError(name) from None


class Solver:
    """Base class of every registered method.

    Subclasses set ``Options`` and ``problem_types`` and implement

    - ``init(x0) -> state``: the starting state (``x0`` may be ``None``);
    - ``step(state) -> state``: one iteration, returning a new state;
    - ``check(state) -> Check``: objective and optimality measure at the
      current iterate (host floats);
    - optionally ``terminate(state, check) -> Status | None`` for method-specific
      stops, ``info(state) -> dict`` for extras reported in ``Result.info``, and
      ``finalize(check) -> Check`` to turn a cheap check (one whose ``x`` is a
      compact stand-in, e.g. OT potentials instead of the n x m plan) into the
      reported one: it runs on the final check and on what ``callback`` sees.
    """

    name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    Options: ClassVar[type[Options]] = Options
    problem_types: ClassVar[tuple[type, ...]] = ()

    def __init__(self, problem: Any, options: Options) -> None:
        self.problem = problem
        self.options = options
        self.xp = problem.xp

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        """Whether this method applies to ``problem``."""
        return isinstance(problem, cls.problem_types)

    def init(self, x0: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define init()")

    def step(self, state: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define step()")

    def check(self, state: Any) -> Check:
        raise NotImplementedError(f"{type(self).__name__} does not define check()")

    def terminate(self, state: Any, check: Check) -> Status | None:
        return None

    def info(self, state: Any) -> dict[str, Any]:
        return {}

    def finalize(self, check: Check) -> Check:
        return check


def _finite(check: Check) -> bool:
    """A usable check: finite objective, optimality not NaN.

    ``optimality = +inf`` is legitimate (no certificate yet, e.g. a dual point
    that is not feasible far from the solution); NaN or a non-finite objective
    is not.
    """
    return math.isfinite(check.fun) and not math.isnan(check.optimality)


class _Table:
    """The verbose iteration table, OSQP/SCS style."""

    def __init__(self, method: str, measure_names: list[str]) -> None:
        self.names = measure_names
        cols = ["iter", "objective", "optimality", *measure_names, "time (s)"]
        self.header = " ".join(f"{c:>12}" for c in cols)
        print(f"optkit: {method}")
        print(self.header)
        print("-" * len(self.header))

    def row(self, nit: int, elapsed: float, check: Check) -> None:
        vals = [f"{nit:>12d}", f"{check.fun:>12.5e}", f"{check.optimality:>12.3e}"]
        vals += [f"{check.measures.get(n, float('nan')):>12.3e}" for n in self.names]
        vals.append(f"{elapsed:>12.3f}")
        print(" ".join(vals))


def run(solver: Solver, x0: Any, callback: Callable[[Snapshot], Any] | None, verbose: bool) -> Result:
    """The single run loop shared by every solver."""
    opts = solver.options
    start = time.perf_counter()
    history: dict[str, list[float]] = {"nit": [], "time": [], "fun": [], "optimality": []}
    table = None

    def record(nit: int, check: Check) -> float:
        elapsed = time.perf_counter() - start
        history["nit"].append(nit)
        history["time"].append(elapsed)
        history["fun"].append(check.fun)
        history["optimality"].append(check.optimality)
        for k, v in check.measures.items():
            history.setdefault(k, []).append(v)
        if table is not None:
            table.row(nit, elapsed, check)
        return elapsed

    state = solver.init(x0)
    check = solver.check(state)
    if verbose:
        table = _Table(solver.name, list(check.measures))
    record(0, check)
    best = check if _finite(check) else None
    last_state = state
    nit = 0
    status: Status | None = None
    if not _finite(check):
        status = Status.NUMERICAL_ERROR
    elif check.optimality <= opts.tol:
        status = Status.OPTIMAL
    try:
        while status is None:
            if nit >= opts.max_iter:
                status = Status.MAX_ITER
                break
            state = solver.step(state)
            nit += 1
            if nit % opts.check_every and nit < opts.max_iter:
                continue
            check = solver.check(state)
            elapsed = record(nit, check)
            if not _finite(check):
                status = Status.NUMERICAL_ERROR
                break
            last_state = state
            if best is None or check.optimality <= best.optimality:
                best = check
            if check.optimality <= opts.tol:
                status = Status.OPTIMAL
                break
            status = solver.terminate(state, check)
            if status is None and callback is not None:
                shown = solver.finalize(check)
                snap = Snapshot(nit, elapsed, shown.x, shown.fun, shown.optimality, dict(shown.measures))
                try:
                    stop = callback(snap)
                except StopIteration:
                    stop = True
                if stop is True:
                    status = Status.CALLBACK_STOP
    except KeyboardInterrupt:
        status = Status.INTERRUPTED

    if status in (Status.NUMERICAL_ERROR, Status.INTERRUPTED) and best is not None:
        final = best
    else:
        final = check if _finite(check) or best is None else best
    final = solver.finalize(final)
    measures = dict(final.measures)
    return Result(
        x=final.x,
        fun=final.fun,
        status=status,
        nit=nit,
        time=time.perf_counter() - start,
        method=solver.name,
        backend=backend_name(solver.xp),
        optimality=final.optimality,
        gap=measures.get("gap"),
        primal_residual=measures.get("primal_residual"),
        dual_residual=measures.get("dual_residual"),
        marginal_error=measures.get("marginal_error"),
        dual=final.dual,
        history={k: _as_host_array(v) for k, v in history.items()},
        info=solver.info(last_state),
    )


def _as_host_array(values: list[float]) -> Any:
    import numpy as np  # noqa: PLC0415  (history is host data by definition)

    return np.asarray(values, dtype=float)
