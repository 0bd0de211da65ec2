"""The Solver protocol, per-solver options, and the single run loop.

A solver implements ``init``, ``step`` and ``check`` (plus optionally ``terminate``,
``info`` and ``finalize``); :func:`run` owns everything else: ``max_iter``, timing,
history, the stall rule, callbacks, the verbose table, the non-finite guard and
Ctrl-C. Convergence is tested every ``check_every`` iterations because, on a GPU,
each scalar test is a device synchronisation; ``step`` is told when a check follows
so that work the check needs can be fused into the step, and ``check`` is a pure
function of the state, so the iterates never depend on ``check_every``.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

from .._result import Result, Status
from ..backend import backend_name
from ._table import Table

__all__ = ["Options", "Solver", "Check", "Snapshot", "option", "run", "make_rng"]


def option(default: Any, doc: str, *, domain: Any = None) -> Any:
    """A dataclass field with a default and a one-line meaning for ``show_options``.

    ``domain`` declares the admissible values, checked by :class:`Options` with a
    ``ValueError`` naming the option:

    - an interval of finite reals such as ``"(0, 1)"``, ``"[1, inf)"``, ``"(0, 1]"``;
    - ``"int >= k"`` for integers;
    - a set of choices, e.g. ``{"log", "kernel"}`` (``None`` among them makes ``None`` a choice);
    - ``"seed"``: ``None``, a nonnegative int or a :class:`numpy.random.Generator`.

    ``None`` is admissible wherever it is the default. An option whose default is a
    ``bool`` accepts only ``True`` and ``False``. NumPy scalars count as numbers.
    """
    return field(default=default, metadata={"doc": doc, "domain": domain})


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, _np_bool()))


def _np_bool() -> type:
    import numpy as np  # noqa: PLC0415

    return np.bool_


def _coerce(name: str, value: Any, domain: Any) -> Any:
    """``value`` checked against ``domain`` (see :func:`option`), as a Python scalar."""
    if isinstance(domain, (set, frozenset, tuple)):
        if value is None and None in domain:
            return None
        if not isinstance(value, str) or value not in domain:
            raise ValueError(f"{name} must be one of {sorted(domain, key=repr)}, got {value!r}")
        return value
    if domain == "seed":
        import numpy as np  # noqa: PLC0415

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


@dataclass(frozen=True, kw_only=True)
class Options:
    """Options every solver has. Subclasses add their own fields with :func:`option`.

    The stall rule (``stall_checks``, ``ftol``) is applied by the run loop for every
    method: with ``stall_checks = k > 0`` the run stops with ``Status.STALLED`` after
    ``k`` checks in a row without progress, progress being a new best optimality
    measure (by 0.1%) or, when ``ftol > 0``, a relative change of the objective above
    ``ftol`` (the relative-change rule many papers stop by).
    """

    tol: float = option(1e-6, "stop when the relative optimality measure is at or below tol", domain="(0, inf)")
    max_iter: int = option(1000, "iteration limit", domain="int >= 0")
    check_every: int = option(1, "iterations between convergence checks (each is a device sync on GPU)",
                              domain="int >= 1")
    stall_checks: int = option(0, "stop with STALLED after this many checks in a row without progress "
                                  "(0: never)", domain="int >= 0")
    ftol: float = option(0.0, "with stall_checks: progress is a relative objective change above ftol "
                              "instead of a 0.1% better optimality measure (0: the latter)", domain="[0, inf)")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(f.default, bool):
                if not isinstance(value, (bool, _np_bool())):
                    raise ValueError(f"{f.name} must be True or False, got {value!r}")
                object.__setattr__(self, f.name, bool(value))
                continue
            # a subclass that re-declares a common option (its own default tol) keeps its domain
            domain = f.metadata.get("domain") or _COMMON_DOMAINS.get(f.name)
            if domain is None or (value is None and f.default is None):
                continue
            object.__setattr__(self, f.name, _coerce(f.name, value, domain))
        if self.ftol > 0 and self.stall_checks == 0:
            raise ValueError("ftol needs stall_checks >= 1 (the number of checks in a row it must hold)")

    @classmethod
    def build(cls, method: str, **kwargs: Any) -> "Options":
        """Construct from keyword arguments, rejecting unknown names with a ``TypeError``."""
        valid = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - valid)
        if unknown:
            raise TypeError(f"unknown option(s) {unknown} for method {method!r}; valid options: {sorted(valid)}")
        return cls(**kwargs)


_COMMON_DOMAINS = {f.name: f.metadata["domain"] for f in dataclasses.fields(Options)}


def make_rng(seed: Any) -> Any:
    """The :class:`numpy.random.Generator` of a ``seed`` option (see :func:`option`).

    Randomized methods draw on the host from this generator and move the draws to the
    problem's namespace, so one seed gives the same iterates on every backend run twice.
    A ``Generator`` passed as the seed is used as it is (and advanced by the run).
    """
    import numpy as np  # noqa: PLC0415  (random draws are host data)

    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


@dataclass(frozen=True)
class Check:
    """What a solver reports at a convergence check (floats are on the host).

    A measure that was not computed is ``inf``, never 0.
    """

    x: Any
    fun: float
    optimality: float
    measures: Mapping[str, float] = field(default_factory=dict)
    dual: Any = None

    @classmethod
    def of(cls, x: Any, measures: Mapping[str, float], dual: Any = None) -> "Check":
        """A check from a problem's ``measures`` dict (``fun``, ``optimality`` and named measures)."""
        m = dict(measures)
        return cls(x=x, fun=float(m.pop("fun")), optimality=float(m.pop("optimality")), measures=m, dual=dual)


@dataclass(frozen=True)
class Snapshot:
    """Read-only view handed to ``callback`` at every check; its arrays are copies."""

    nit: int
    time: float
    x: Any
    fun: float
    optimality: float
    measures: Mapping[str, float]

    def __getattr__(self, name: str) -> float:
        if name.startswith("__") or name == "measures":
            raise AttributeError(name)
        try:
            return self.measures[name]
        except KeyError:
            raise AttributeError(name) from None


class Solver:
    """Base class of every registered method.

    Subclasses set ``Options`` and ``problem_types`` (or override :meth:`accepts`) and
    implement

    - ``init(x0) -> state``: the starting state; ``x0`` is ``None`` or what the
      problem's ``check_x0`` returned (validated once, by the problem);
    - ``step(state, measure) -> state``: one iteration; ``measure`` is true when a
      check follows, so the step may compute what the check reads (residual norms,
      marginals) in the same pass. The iterates must not depend on ``measure``;
    - ``check(state) -> Check``: objective and optimality at the current iterate,
      through the problem's ``measures`` (the solver passes what it already has, never
      re-derives the formula). It must not change the state or the solver;
    - optionally ``terminate(state, check) -> Status | None`` for method-specific
      stops, ``info(state) -> dict`` for extras reported in ``Result.info``, and
      ``finalize(check) -> Check`` to turn a cheap check (one whose ``x`` is a
      compact stand-in, e.g. OT potentials instead of the n x m plan) into the
      reported one: it runs on the final check and on what ``callback`` sees.

    Everything that changes during a run lives in the state; attributes set in
    ``__init__``/``init`` are constants of the run.
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

    def step(self, state: Any, measure: bool) -> Any:
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


class _Stall:
    """The run loop's stall rule (see :class:`Options`)."""

    def __init__(self, options: Options) -> None:
        self.checks, self.ftol = options.stall_checks, options.ftol
        self.best = math.inf
        self.prev: float | None = None
        self.streak = 0

    def __call__(self, check: Check) -> bool:
        if not self.checks:
            return False
        if self.ftol > 0:
            prev, self.prev = self.prev, check.fun
            if prev is None:
                return False
            progress = abs(check.fun - prev) > self.ftol * max(abs(prev), 1e-300)
        elif check.optimality == math.inf:
            return False  # no certificate yet (e.g. an intermediate problem of a continuation)
        else:
            progress = check.optimality < (1 - 1e-3) * self.best
            self.best = min(self.best, check.optimality)
        self.streak = 0 if progress else self.streak + 1
        return self.streak >= self.checks


def _copy(x: Any) -> Any:
    """A copy of an array or a (named) tuple of arrays, so a callback cannot alias solver state."""
    if x is None:
        return None
    if isinstance(x, tuple):
        blocks = [_copy(v) for v in x]
        return type(x)(*blocks) if hasattr(x, "_fields") else tuple(blocks)
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        from ..backend import get_namespace  # noqa: PLC0415

        return get_namespace(x).asarray(x, copy=True)
    return x


def run(solver: Solver, x0: Any, callback: Callable[[Snapshot], Any] | None, verbose: bool) -> Result:
    """The single run loop shared by every solver."""
    opts = solver.options
    start = time.perf_counter()
    history: dict[str, list[float]] = {"nit": [], "time": [], "fun": [], "optimality": []}
    table: Table | None = None
    info: dict[str, Any] = {}

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

    if x0 is not None:
        x0 = solver.problem.check_x0(x0)
    state = solver.init(x0)
    check = solver.check(state)
    if verbose:
        table = Table(solver.name, list(check.measures), opts.max_iter, opts.check_every)
    record(0, check)
    best = check if _finite(check) else None
    last_state = state
    stalled = _Stall(opts)
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
            measure = (nit + 1) % opts.check_every == 0 or nit + 1 >= opts.max_iter
            state = solver.step(state, measure)
            nit += 1
            if not measure:
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
            if status is None and stalled(check):
                status = Status.STALLED
            if status is None and callback is not None:
                shown = solver.finalize(check)
                snap = Snapshot(nit, elapsed, _copy(shown.x), shown.fun, shown.optimality, dict(shown.measures))
                try:
                    stop = callback(snap)
                except StopIteration:
                    stop = True
                except Exception as exc:  # noqa: BLE001  (the run so far is returned, the error kept)
                    info["error"] = exc
                    status = Status.CALLBACK_ERROR
                    break
                if stop is True:
                    status = Status.CALLBACK_STOP
    except KeyboardInterrupt:
        status = Status.INTERRUPTED

    if status in (Status.NUMERICAL_ERROR, Status.INTERRUPTED, Status.CALLBACK_ERROR) and best is not None:
        final = best
    else:
        final = check if _finite(check) or best is None else best
    final = solver.finalize(final)
    if table is not None:
        table.footer(nit, time.perf_counter() - start, status, final)
    info = {**solver.info(last_state), **info}
    return Result(
        x=final.x,
        fun=final.fun,
        status=status,
        nit=nit,
        time=time.perf_counter() - start,
        method=solver.name,
        backend=backend_name(solver.xp),
        optimality=final.optimality,
        measures=dict(final.measures),
        dual=final.dual,
        history={k: _as_host_array(v) for k, v in history.items()},
        info=info,
    )


def _as_host_array(values: list[float]) -> Any:
    import numpy as np  # noqa: PLC0415  (history is host data by definition)

    return np.asarray(values, dtype=float)
