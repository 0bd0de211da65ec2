"""What the run loop in :mod:`optkit.solvers.base` needs beside the loop itself: the stall rule,
the non-finite and Ctrl-C tests, the checks of iterations made ahead (taken in bulk), copies for
callbacks, thread limits, the float64 re-check and the Result of a run that fails before its first
iterate."""
from __future__ import annotations

import _signal  # the C module behind `signal`: its wrappers convert handlers to enums, 29 us a run
import contextlib
import dataclasses
import math
import signal
import threading
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple, Sequence

import numpy as np

from .._result import Result, Status
from ..backend import backend_name

if TYPE_CHECKING:
    from .base import Check, Options, Solver


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

    def __call__(self, fun: float, optimality: float) -> bool:
        """Whether the run has stalled, after a check with objective ``fun`` and measure ``optimality``."""
        if not self.checks:
            return False
        if self.ftol > 0:
            prev, self.prev = self.prev, fun
            if prev is None:
                return False
            progress = abs(fun - prev) > self.ftol * max(abs(prev), 1e-300)
        elif optimality == math.inf:
            return False  # no certificate yet (e.g. an intermediate problem of a continuation)
        else:
            progress = optimality < (1 - 1e-3) * self.best
            self.best = min(self.best, optimality)
        self.streak = 0 if progress else self.streak + 1
        return self.streak >= self.checks


class Ahead(NamedTuple):
    """Iterations a solver has already made beyond its state, for the run loop to take in bulk
    (what :meth:`~optkit.solvers.Solver.ahead` returns; a compiled run's trace).

    Row ``i`` is iteration ``nit + 1 + i`` of the run (``nit`` the iterations so far). Floats are on
    the host.

    Parameters
    ----------
    fun : sequence of float
        The objective ``check`` would report at each row.
    optimality : sequence of float
        The relative optimality measure at each row.
    measures : mapping of str to sequence of float
        The family's named measures at each row.
    at : callable
        ``at(i)`` returns the ``(state, check)`` of row ``i``, as ``i + 1`` steps and a check would.
    """

    fun: Sequence[float]
    optimality: Sequence[float]
    measures: Mapping[str, Sequence[float]]
    at: Callable[[int], tuple[Any, Any]]


def _take_ahead(ahead: Ahead, nit: int, options: Options, stalled: _Stall,
                log: Callable[[list, list, list, Mapping[str, list]], None], best: Check | None) -> tuple | None:
    """The run loop's checks of the rows of ``ahead``, taken in bulk.

    The same rules as one step at a time (``check_every``, ``max_iter``, ``tol``, the stall rule, the best
    iterate); the checked rows are logged to the history together, and only the last row taken and a new
    best are made into checks. Stops before a non-finite row, which the step path then reaches (and ends
    the run with the best iterate). Returns ``(nit, state, check, status, best)`` after the last row taken,
    or ``None`` when no row was taken.
    """
    every, cap, tol = options.check_every, options.max_iter, options.tol
    fun, opt = ahead.fun, ahead.optimality
    # the history's columns made in the scan, not by comprehensions after it (each its own function: with cold
    # caches, microseconds of a 30 x 30 transport solve); row i is iteration nit + 1 + i
    nits: list[int] = []
    funs: list[float] = []
    opts: list[float] = []
    best_row, best_opt = -1, math.inf if best is None else best.optimality
    status = None
    for i in range(min(len(fun), cap - nit)):
        it = nit + 1 + i
        if it % every and it < cap:
            continue
        f, o = fun[i], opt[i]
        if not (math.isfinite(f) and not math.isnan(o)):
            break
        nits.append(it)
        funs.append(f)
        opts.append(o)
        if o <= best_opt:
            best_row, best_opt = i, o
        if o <= tol:
            status = Status.OPTIMAL
            break
        if stalled(f, o):
            status = Status.STALLED
            break
    if not nits:
        return None
    last = nits[-1] - nit - 1
    whole = len(nits) == last + 1  # every row up to the last taken (check_every = 1): a slice, not a comprehension
    measures = {}
    for k, v in ahead.measures.items():
        measures[k] = v[:len(nits)] if whole else [v[it - nit - 1] for it in nits]
    log(nits, funs, opts, measures)
    if best_row not in (-1, last):
        best = ahead.at(best_row)[1]
    state, check = ahead.at(last)
    return nit + 1 + last, state, check, status, check if best_row == last else best


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
def _limited_threads(threads: int):
    """Limit Numba's and BLAS's threads to ``threads`` for the duration (a run with the ``threads`` option)."""
    import numba  # noqa: PLC0415
    from threadpoolctl import threadpool_limits  # noqa: PLC0415

    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        numba.set_num_threads(before)


def _tolerance_floor(xp: Any, dtype: Any) -> float:
    """The smallest relative certificate a dtype can resolve: ten rounding units."""
    key = (xp, dtype)  # the namespace first: another library's dtype may hash alike and warn when compared
    floor = _FLOORS.get(key)
    if floor is None:  # (the namespace's finfo through array-api-compat took 0.8-1.5 us a run, this 0.3-0.4)
        floor = _FLOORS[key] = 10.0 * float(xp.finfo(dtype).eps)
    return floor


_FLOORS: dict[Any, float] = {}


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


class _CtrlC:
    """Whether Ctrl-C was pressed during a run, whatever became of its ``KeyboardInterrupt``.

    A ``KeyboardInterrupt`` raised while Numba compiles can be swallowed: the handler then runs
    inside an llvmlite ``__del__`` and Python only prints "Exception ignored". The flag survives
    that, and the run loop reads ``seen`` after every step.
    """

    seen = False  # (a class default, not an __init__: one Python call fewer a run)

    def handler(self, signum: int, frame: Any) -> None:
        self.seen = True
        raise KeyboardInterrupt


class _CtrlCWatch:
    """For the duration, SIGINT sets a :class:`_CtrlC` flag and then raises ``KeyboardInterrupt`` as
    Python's own handler does; the previous handler is restored on exit, also on an exception.

    Only in the main thread (the only one that receives signals, and the only one allowed to set
    a handler) and only in place of Python's default handler: a handler the user installed (or
    ``SIG_IGN``) says what Ctrl-C means in their program, so it is left alone, and a
    ``KeyboardInterrupt`` it raises ends the run as before. A run inside a run (a solver that
    solves subproblems) shares the outer run's flag. Elsewhere the flag it gives is never set.

    A class, not a generator's context manager (4.2-6.7 us a run, against 2.2-3.7 with the thread limits'
    shared ``nullcontext`` of the time, over the machine's phases).
    """

    __slots__ = ("replaced",)

    def __enter__(self) -> _CtrlC:
        self.replaced = None
        # `_signal` directly: `signal.getsignal` and `signal.signal` map every handler through an enum lookup that
        # raises and catches ValueError for a Python handler; a run paid 29 us for it (1.6 us this way), a fifth of
        # a small transport problem's whole solve
        current = _signal.getsignal(signal.SIGINT)
        if current is signal.default_int_handler:
            flag = _CtrlC()
            try:  # (the thread is not asked about here: threading's two Python calls a run, saved)
                _signal.signal(signal.SIGINT, flag.handler)
            except ValueError:  # not the main thread, which alone receives signals: a flag never set
                return flag
            self.replaced = current
            return flag
        shared = isinstance(getattr(current, "__self__", None), _CtrlC)  # a run inside a run
        return current.__self__ if shared and threading.current_thread() is threading.main_thread() else _CtrlC()

    def __exit__(self, *exc_info: Any) -> None:
        if self.replaced is not None:
            _signal.signal(signal.SIGINT, self.replaced)


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
    from .base import Check  # noqa: PLC0415  (base imports this module)

    exact = Check.of(check.x, measures, check.dual)
    return dataclasses.replace(exact, fun=check.fun)


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


def _host_columns(history: dict[str, list[float]]) -> dict[str, Any]:
    """The run's history columns as NumPy float arrays (in place: a loop, not a comprehension calling a helper per
    column, which cost microseconds a run with cold caches)."""
    for k, v in history.items():
        history[k] = np.asarray(v, dtype=float)
    return history
