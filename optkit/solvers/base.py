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

import contextlib
import dataclasses
import math
import numbers
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from .._result import MeasureAttributes, Result, Status
from ..backend import backend_name
from ._table import Table

__all__ = ["Options", "Solver", "Check", "Snapshot", "option", "run", "make_rng", "ToleranceWarning"]


class ToleranceWarning(UserWarning):
    """``tol`` is below what the data's floating-point type can certify."""


def option(default: Any, doc: str, *, domain: Any = None) -> Any:
    """A dataclass field with a default and a one-line meaning for ``show_options``.

    ``domain`` declares the admissible values, checked by :class:`Options` with a
    ``ValueError`` naming the option:

    - an interval of finite reals such as ``"(0, 1)"``, ``"[1, inf)"``, ``"(0, 1]"``;
    - ``"int >= k"`` for integers;
    - a set of choices, e.g. ``{"log", "kernel"}``;
    - ``"seed"``: ``None``, a nonnegative int or a :class:`numpy.random.Generator`.

    ``None`` is admissible wherever it is the default. An option whose default is a
    ``bool`` accepts only ``True`` and ``False``. NumPy scalars count as numbers.
    """
    return field(default=default, metadata={"doc": doc, "domain": domain})


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _coerce(name: str, value: Any, domain: Any) -> Any:
    """``value`` checked against ``domain`` (see :func:`option`), as a Python scalar."""
    if isinstance(domain, (set, frozenset, tuple)):
        if not isinstance(value, str) or value not in domain:
            raise ValueError(f"{name} must be one of {sorted(domain)}, got {value!r}")
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
    threads: int | None = option(None, "threads of the parallel kernels and of BLAS during the run (None: the "
                                       "libraries' defaults)", domain="int >= 1")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(f.default, bool):
                if not isinstance(value, (bool, np.bool_)):
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
class Snapshot(MeasureAttributes):
    """Read-only view handed to ``callback`` at every check; its arrays are copies. The
    family's measures are attributes too (``info.gap``)."""

    nit: int
    time: float
    x: Any
    fun: float
    optimality: float
    measures: Mapping[str, float]


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


def _map_blocks(fn: Callable[[Any], Any], x: Any) -> Any:
    """``fn`` applied to each array of ``x``: an array, a (named) tuple of them, or ``None``."""
    if isinstance(x, tuple):
        blocks = [_map_blocks(fn, v) for v in x]
        return type(x)(*blocks) if hasattr(x, "_fields") else tuple(blocks)
    return fn(x) if hasattr(x, "shape") and hasattr(x, "dtype") else x


def _copy(x: Any) -> Any:
    """A copy of the arrays of ``x``, so a callback cannot alias solver state."""
    from ..backend import get_namespace  # noqa: PLC0415

    return _map_blocks(lambda a: get_namespace(a).asarray(a, copy=True), x)


@contextlib.contextmanager
def _thread_limits(threads: int | None):
    """Limit Numba's and BLAS's threads to ``threads`` for the duration (nothing when ``None``)."""
    if threads is None:
        yield
        return
    import numba  # noqa: PLC0415
    from threadpoolctl import threadpool_limits  # noqa: PLC0415

    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        numba.set_num_threads(before)


def _tolerance_floor(dtype_eps: float) -> float:
    """The smallest relative certificate a dtype can resolve: ten rounding units."""
    return 10.0 * dtype_eps


#: Numerical failures a step can raise (overflow in a Python float, a singular factorisation): the
#: run ends with NUMERICAL_ERROR and the best iterate, the exception in ``info["error"]``.
_NUMERICAL: tuple[type[BaseException], ...] = (ArithmeticError, np.linalg.LinAlgError)


def _interrupted(exc: BaseException) -> bool:
    """Ctrl-C, also when a compiled kernel re-raises it as a ``SystemError`` (Numba's dispatcher)."""
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _in_float64(problem: Any, check: Check) -> Check | None:
    """The check's certificate recomputed by the problem in float64 at ``check.x`` (the objective
    stays the one in the data's precision, where a point feasible to that precision is feasible);
    ``None`` for float64 data."""
    xp = problem.xp
    if problem.dtype == xp.float64:
        return None

    def up(x: Any) -> Any:
        return _map_blocks(lambda a: xp.astype(a, xp.float64) if xp.isdtype(a.dtype, "real floating") else a, x)

    measures = problem.astype(xp.float64).measures(up(check.x), **({} if check.dual is None else {"dual": up(check.dual)}))
    exact = Check.of(check.x, measures, check.dual)
    return dataclasses.replace(exact, fun=check.fun)


def run(solver: Solver, x0: Any, callback: Callable[[Snapshot], Any] | None, verbose: bool) -> Result:
    """The single run loop shared by every solver: :func:`_run` within the run's thread limits."""
    with _thread_limits(solver.options.threads):
        return _run(solver, x0, callback, verbose)


def _run(solver: Solver, x0: Any, callback: Callable[[Snapshot], Any] | None, verbose: bool) -> Result:
    opts = solver.options
    problem = solver.problem
    floor = _tolerance_floor(float(problem.xp.finfo(problem.dtype).eps))
    if opts.tol < floor:
        warnings.warn(f"tol={opts.tol:g} is below what {problem.dtype} data can certify (about {floor:.1e}); "
                      f"success is reported only if the certificate recomputed in float64 meets it",
                      ToleranceWarning, stacklevel=4)
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
        x0 = problem.check_x0(x0)
    try:
        state = solver.init(x0)
        check = solver.check(state)
    except (KeyboardInterrupt, SystemError, *_NUMERICAL) as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemError)) and not _interrupted(exc):
            raise
        return _no_start(solver, x0, exc, time.perf_counter() - start)
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
    except (KeyboardInterrupt, SystemError) as exc:
        if not _interrupted(exc):
            raise
        status = Status.INTERRUPTED
    except _NUMERICAL as exc:  # overflow, division by zero, a singular factorisation: the run so far stands
        info["error"] = exc
        status = Status.NUMERICAL_ERROR

    if status in (Status.NUMERICAL_ERROR, Status.INTERRUPTED, Status.CALLBACK_ERROR) and best is not None:
        final = best
    else:
        final = check if _finite(check) or best is None else best
    final = solver.finalize(final)
    if status is Status.OPTIMAL:
        # success means the certificate at the answer, in float64, meets tol: a float32 run is
        # re-certified (its own measure can round to zero below the dtype's resolution)
        exact = _in_float64(problem, final)
        if exact is not None:
            final = exact
            if not exact.optimality <= opts.tol:
                status = Status.STALLED
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


def _no_start(solver: Solver, x0: Any, exc: BaseException, elapsed: float) -> Result:
    """The Result of a run that failed before its first iterate (numerical error or Ctrl-C in set-up)."""
    status = Status.INTERRUPTED if _interrupted(exc) else Status.NUMERICAL_ERROR
    if x0 is None:
        try:
            x0 = solver.problem.initial_point()
        except NotImplementedError:
            x0 = None
    return Result(x=x0, fun=math.inf, status=status, nit=0, time=elapsed, method=solver.name,
                  backend=backend_name(solver.xp), optimality=math.inf, history={}, info={"error": exc})


def _as_host_array(values: list[float]) -> Any:
    return np.asarray(values, dtype=float)
