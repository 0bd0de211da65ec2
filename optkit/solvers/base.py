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
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, NamedTuple

import numpy as np

from .._result import MeasureAttributes, Result, Status
from ..backend import backend_name
from ._domains import _coerce
from ._run_support import (_NUMERICAL, Ahead, _copy, _CtrlCWatch, _finite, _host_columns, _in_float64, _interrupted,
                           _limited_threads, _no_start, _Stall, _take_ahead, _tolerance_floor)
from ._table import Table

__all__ = ["Options", "OptionInfo", "Solver", "Check", "Snapshot", "Ahead", "option", "run", "make_rng",
           "ToleranceWarning"]


class ToleranceWarning(UserWarning):
    """``tol`` is below what the data's floating-point type can certify."""


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

    Parameters
    ----------
    default : object
        The default value.
    doc : str
        One line: what the option means (shown by ``show_options`` and the docs).
    domain : str or set, optional
        The admissible values, as above.

    Returns
    -------
    dataclasses.Field

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> from optkit.solvers.base import Options, option
    >>> @dataclass(frozen=True, kw_only=True)
    ... class StepOptions(Options):
    ...     step: float = option(1.0, "step size", domain="(0, inf)")
    >>> StepOptions(step=0.5).step
    0.5
    >>> StepOptions(step=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: step must be a finite number in (0, inf), got -1.0
    """
    return field(default=default, metadata={"doc": doc, "domain": domain})


@dataclass(frozen=True, kw_only=True)
class Options:
    """Options every solver has. Subclasses add their own fields with :func:`~optkit.solvers.base.option`.

    The stall rule (``stall_checks``, ``ftol``) is applied by the run loop for every
    method: with ``stall_checks = k > 0`` the run stops with ``Status.STALLED`` after
    ``k`` checks in a row without progress, progress being a new best optimality
    measure (by 0.1%) or, when ``ftol > 0``, a relative change of the objective above
    ``ftol`` (the relative-change rule many papers stop by).

    Every option is checked against its domain when the object is built (``ValueError``
    naming the option); :meth:`build` also rejects unknown names (``TypeError`` listing
    the valid ones).

    See Also
    --------
    optkit.solvers.base.option : declares a field.
    optkit.show_options : prints a method's options.

    Examples
    --------
    >>> from optkit.solvers import FISTA
    >>> [o.name for o in FISTA.Options.describe()][:5]
    ['tol', 'max_iter', 'check_every', 'stall_checks', 'ftol']
    >>> FISTA.Options.build("fista", tol=1e-8).tol
    1e-08
    >>> FISTA.Options.build("fista", tolerance=1e-8)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: unknown option(s) ['tolerance'] for method 'fista'; valid options: [...]
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
    def describe(cls) -> list["OptionInfo"]:
        """Every option in declaration order, with its default, admissible values and meaning.

        The one description of a method's options: :func:`optkit.show_options` prints it and
        the documentation's option tables are generated from it. ``domain`` is the one
        :class:`Options` checks (a re-declared common option such as ``tol`` keeps the
        common domain).
        """
        return [OptionInfo(f.name, f.default, f.metadata.get("domain") or _COMMON_DOMAINS.get(f.name),
                           f.metadata.get("doc", "")) for f in dataclasses.fields(cls)]

    @classmethod
    def build(cls, method: str, **kwargs: Any) -> "Options":
        """Construct from keyword arguments, rejecting unknown names with a ``TypeError``.

        Parameters
        ----------
        method : str
            The method's name, for the error message.
        **kwargs
            Option values.

        Returns
        -------
        Options
        """
        try:  # the same keywords give the same frozen options, built and checked once (_BUILT)
            key = (cls, method, frozenset(zip(kwargs, map(type, kwargs.values()), kwargs.values())))  # (k, type, v)
            built = _BUILT.get(key)
        except TypeError:  # an unhashable value: nothing to share
            key = built = None
        if built is None:
            valid = {f.name for f in dataclasses.fields(cls)}
            unknown = sorted(set(kwargs) - valid)
            if unknown:
                raise TypeError(f"unknown option(s) {unknown} for method {method!r}; valid options: {sorted(valid)}")
            built = cls(**kwargs)
            if key is not None:
                if len(_BUILT) >= _BUILT_MAX:
                    _BUILT.clear()
                _BUILT[key] = built
        return built


# Options.build's cache, keyed by (class, method, keywords with their types): building and checking
# options took 25-80 us, up to a third of a 30 x 30 transport solve. Types keep True and 1 apart.
_BUILT: dict[Any, "Options"] = {}
_BUILT_MAX = 1024

_COMMON_DOMAINS = {f.name: f.metadata["domain"] for f in dataclasses.fields(Options)}


class OptionInfo(NamedTuple):
    """One option of a method, as :meth:`~optkit.solvers.Options.describe` lists it."""

    name: str
    default: Any
    domain: Any
    doc: str


def make_rng(seed: Any) -> Any:
    """The ``numpy.random.Generator`` of a ``seed`` option (see :func:`~optkit.solvers.base.option`).

    Randomized methods draw on the host from this generator and move the draws to the
    problem's namespace, so one seed gives the same iterates on every backend run twice.
    A ``Generator`` passed as the seed is used as it is (and advanced by the run).

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        The option's value: ``None`` for fresh entropy, an int for reproducible draws, a
        Generator to share one.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> from optkit.solvers.base import make_rng
    >>> float(make_rng(0).random()) == float(make_rng(0).random())
    True
    """
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


@dataclass(frozen=True)
class Check:
    """What a solver reports at a convergence check (floats are on the host).

    A measure that was not computed is ``inf``, never 0.

    Attributes
    ----------
    x : array or tuple of arrays
        The current iterate, as the Result will report it.
    fun : float
        Objective at ``x``.
    optimality : float
        The problem's relative optimality measure at ``x``.
    measures : mapping of str to float
        The family's named measures.
    dual : object, optional
        The dual point the certificate used, if any.
    """

    x: Any
    fun: float
    optimality: float
    measures: Mapping[str, float] = field(default_factory=dict)
    dual: Any = None

    @classmethod
    def of(cls, x: Any, measures: Mapping[str, float], dual: Any = None) -> "Check":
        """A check from a problem's ``measures`` dict (``fun``, ``optimality`` and named measures).

        Parameters
        ----------
        x : array or tuple of arrays
            The iterate.
        measures : mapping
            What ``problem.measures(x, ...)`` returned.
        dual : object, optional
            The dual point behind the certificate.

        Returns
        -------
        Check
        """
        m = dict(measures)
        return cls(x=x, fun=float(m.pop("fun")), optimality=float(m.pop("optimality")), measures=m, dual=dual)


@dataclass(frozen=True)
class Snapshot(MeasureAttributes):
    """Read-only view handed to ``callback`` at every check; its arrays are copies.

    Attributes
    ----------
    nit : int
        Iterations so far.
    time : float
        Seconds since the run started.
    x : array or tuple of arrays
        A copy of the current iterate.
    fun, optimality : float
        Objective and relative optimality measure at ``x``.
    measures : mapping of str to float
        The family's named measures, each also an attribute (``info.gap``).

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> seen = []
    >>> res = optkit.solve(optkit.problems.Lasso(**lasso_instance(30, 60, seed=0)),
    ...                    callback=lambda info: seen.append((info.nit, info.gap)))
    >>> len(seen) > 0 and seen[0][0] > 0
    True
    """

    nit: int
    time: float
    x: Any
    fun: float
    optimality: float
    measures: Mapping[str, float]


class Solver:
    """Base class of every method: the Solver protocol.

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
      reported one: it runs on the final check and on what ``callback`` sees;
    - optionally ``ahead(state) -> Ahead | None``: iterations already made beyond
      ``state`` (a compiled kernel that ran many in one call), with what ``check``
      would say at each. Where no callback, verbose table or ``terminate`` needs
      them one at a time, the run loop takes them in bulk under the same rules
      (``check_every``, ``max_iter``, ``tol``, the stall rule, the best iterate) and
      makes only the last one taken into a check; elsewhere it steps through them.

    Everything that changes during a run lives in the state; attributes set in
    ``__init__``/``init`` are constants of the run. ``@register("name")`` (from
    ``optkit``) makes the class a named method; :func:`optkit.solve` also takes an
    unregistered subclass as ``method``.

    Parameters
    ----------
    problem : Problem
        The problem instance (``accepts(problem)`` is true).
    options : Options
        The run's options, an instance of the class attribute ``Options``.

    Attributes
    ----------
    name : str
        The registered name (set by ``register``).
    aliases : tuple of str
        Other registered names.
    Options : type
        The :class:`Options` subclass of this method.
    problem_types : tuple of type
        Problem classes the method applies to (what the catalogue lists).

    Examples
    --------
    A complete method, proximal gradient with step ``1/L`` (ISTA), for two-term problems:

    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> from optkit.problems import CompositeProblem, Lasso
    >>> from optkit.solvers import Check, Solver
    >>> class ISTA(Solver):
    ...     problem_types = (CompositeProblem,)
    ...     def init(self, x0):
    ...         self.s = 1.0 / self.problem.f.lipschitz          # a constant of the run
    ...         return self.problem.initial_point() if x0 is None else x0
    ...     def step(self, x, measure):
    ...         f, g = self.problem.f, self.problem.g
    ...         return g.prox(x - self.s * f.grad(x), self.s)
    ...     def check(self, x):
    ...         return Check.of(x, self.problem.measures(x))
    >>> res = optkit.solve(Lasso(**lasso_instance(30, 60, seed=0)), method=ISTA, tol=1e-6, max_iter=20000)
    >>> res.success
    True
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

    def ahead(self, state: Any) -> Ahead | None:
        return None  # iterations are made one step at a time


def run(solver: Solver, x0: Any, callback: Callable[[Snapshot], Any] | None, verbose: bool) -> Result:
    """The single run loop shared by every solver (what :func:`optkit.solve` calls), within the
    run's thread limits (the ``threads`` option).

    Parameters
    ----------
    solver : Solver
        A solver instance bound to its problem and options.
    x0 : array, tuple of arrays or None
        Starting point, validated by ``problem.check_x0``.
    callback : callable or None
        Called with a :class:`Snapshot` at every check (see :func:`optkit.solve`).
    verbose : bool
        Print the iteration table.

    Returns
    -------
    Result
    """
    threads = solver.options.threads
    with _CtrlCWatch() as ctrl_c:
        if threads is None:  # (no second context manager: on a 30 x 30 transport solve each call counts)
            return _run(solver, x0, callback, verbose, ctrl_c)
        with _limited_threads(threads):
            return _run(solver, x0, callback, verbose, ctrl_c)


def _run(solver: Solver, x0: Any, callback: Callable[[Snapshot], Any] | None, verbose: bool, ctrl_c: Any) -> Result:
    opts = solver.options
    problem = solver.problem
    floor = _tolerance_floor(problem.xp, problem.dtype)
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

    def log(nits: list[int], funs: list[float], optimalities: list[float],
            measures: Mapping[str, list[float]]) -> None:
        """The history rows of a bulk take, a list per column (``record`` appends one row: one-row lists cost
        0.8 us more a check)."""
        elapsed = time.perf_counter() - start  # when the rows were taken
        history["nit"] += nits
        history["time"] += [elapsed] * len(nits)
        history["fun"] += funs
        history["optimality"] += optimalities
        for k, v in measures.items():
            history.setdefault(k, []).extend(v)

    # iterations a solver made ahead (a compiled run's trace) are taken in bulk where nothing needs them one by one
    bulk = (type(solver).ahead is not Solver.ahead and callback is None and table is None
            and type(solver).terminate is Solver.terminate)
    try:
        while status is None:
            if ctrl_c.seen:  # Ctrl-C pressed, its KeyboardInterrupt swallowed (e.g. inside Numba's compiler)
                status = Status.INTERRUPTED
                break
            if nit >= opts.max_iter:
                status = Status.MAX_ITER
                break
            ahead = solver.ahead(state) if bulk else None
            taken = None if ahead is None else _take_ahead(ahead, nit, opts, stalled, log, best)
            if taken is not None:
                nit, state, check, status, best = taken
                last_state = state
            else:
                measure = (nit + 1) % opts.check_every == 0 or nit + 1 >= opts.max_iter
                state = solver.step(state, measure)
                nit += 1
                # no `continue` here: on CPython 3.11 a Ctrl-C landing on a `continue` inside this
                # try escapes the except clause below (measured: 52 of 60 interrupts of such a loop)
                if measure:
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
                    if status is None and stalled(check.fun, check.optimality):
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
        measures=final.measures,  # (Result copies it)
        dual=final.dual,
        history=_host_columns(history),
        info=info,
    )
