"""The scipy-style entry point: ``solve(problem, method=..., **options)``."""
from __future__ import annotations

from typing import Any, Callable

from ._registry import all_methods, get_solver
from ._result import Result
from .backend import namespace_by_name
from .solvers.base import Snapshot, Solver, run

__all__ = ["solve", "methods", "show_options"]


def methods(problem: Any) -> list[str]:
    """Names of the registered methods that apply to ``problem``, the default first.

    Parameters
    ----------
    problem : Problem
        A problem instance (applicability may depend on its data, e.g. whether a
        function has a prox).

    Returns
    -------
    list of str
        Canonical method names (not aliases): ``problem.default_method`` first, then
        the others in alphabetical order.

    See Also
    --------
    show_options : the options of one method.
    compare : run all of them.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> names = optkit.methods(optkit.problems.Lasso(**lasso_instance(10, 20)))
    >>> names[0], "fast_alm" in names, "alm" in names
    ('working_set', True, True)
    """
    names = [name for name, cls in all_methods().items() if cls.accepts(problem)]
    default = getattr(problem, "default_method", None)
    return sorted(names, key=lambda n: (n != default, n))


def _resolve(problem: Any, method: str | type[Solver] | None) -> type[Solver]:
    if method is None:
        method = getattr(problem, "default_method", None)
        if method is None:
            raise ValueError(f"{type(problem).__name__} has no default_method; pass method=")
    if isinstance(method, type) and issubclass(method, Solver):  # (inspect.isclass's test, without its Python call)
        cls = method
    elif isinstance(method, str):
        try:
            cls = get_solver(method)
        except ValueError:
            raise ValueError(
                f"unknown method {method!r} for {type(problem).__name__}; valid methods: {methods(problem)}"
            ) from None
    else:
        raise TypeError(f"method must be a method name or a Solver subclass, got {type(method).__name__}")
    if not cls.accepts(problem):
        raise ValueError(
            f"method {method if isinstance(method, str) else cls.name!r} does not apply to "
            f"{type(problem).__name__}; valid methods: {methods(problem)}"
        )
    return cls


def solve(
    problem: Any,
    method: str | type[Solver] | None = None,
    *,
    x0: Any = None,
    tol: float | None = None,
    max_iter: int | None = None,
    callback: Callable[[Snapshot], Any] | None = None,
    verbose: bool = False,
    backend: str | None = None,
    **options: Any,
) -> Result:
    """Solve a structured optimization problem.

    Parameters
    ----------
    problem : Problem
        An instance from ``optkit.problems`` (``Lasso``, ``SparseInverseCovariance``,
        ``Composite``, ...). Its arrays fix the namespace (NumPy, CuPy, ...) in which
        the solver runs and the result is returned.
    method : str or Solver subclass, optional
        A registered method name (see :func:`methods`); ``None`` uses
        ``problem.default_method``.
    x0 : array or tuple of arrays, optional
        Starting point, validated by ``problem.check_x0`` (the problem documents the
        layouts it takes); default ``problem.initial_point()`` or the method's own.
    tol : float, optional
        Target for the family's *relative* optimality measure (duality gap,
        KKT residual, marginal error ...). Default: the method's own.
    max_iter : int, optional
        Iteration limit. Default: the method's own.
    callback : callable, optional
        ``callback(info)`` at every convergence check with a read-only
        :class:`~optkit.solvers.base.Snapshot` (``nit``, ``time``, ``x``,
        ``fun``, ``optimality`` and the measures; its arrays are copies). Returning
        ``True`` or raising ``StopIteration`` stops the run with ``Status.CALLBACK_STOP``;
        any other exception stops it with ``Status.CALLBACK_ERROR``, the exception in
        ``Result.info["error"]``.
    verbose : bool
        Print an iteration table (iteration, objective, measures, time).
    backend : {"numpy", "cupy", "array_api_strict"}, optional
        Move the problem's data to this library first (once).
    **options
        Method options; :func:`show_options` lists them. Unknown names raise
        ``TypeError``.

    Returns
    -------
    Result
        ``x``, ``fun``, ``status``, ``success``, ``message``, ``nit``, ``time``,
        ``optimality``, the family's ``measures`` and a per-check ``history``.

    Raises
    ------
    ValueError
        Unknown method, a method that does not apply to ``problem``, an option
        outside its domain, or an invalid ``x0``.
    TypeError
        Unknown option names (the message lists the valid ones), or a ``method``
        that is neither a name nor a Solver subclass.

    See Also
    --------
    methods : the methods that apply to a problem.
    show_options : a method's options.
    compare : several methods on one problem.
    validate : a result checked against CVXPY.

    Notes
    -----
    A run never raises for a numerical failure: a non-finite iterate ends it with
    ``Status.NUMERICAL_ERROR`` and the best finite iterate, Ctrl-C with
    ``Status.INTERRUPTED`` (once is enough, also while Numba compiles a kernel on first use;
    in the main thread under Python's default SIGINT handler, which the run replaces for its
    duration; a handler of your own is left in place); ``success`` means the certificate at ``res.x`` is at or
    below ``tol``, whatever the data's scale.

    Examples
    --------
    >>> import numpy as np, optkit
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((40, 80)), rng.standard_normal(40)
    >>> res = optkit.solve(optkit.problems.Lasso(A, b, lam=1.0), method="fast_alm", tol=1e-8)
    >>> res.success
    True

    Stopping early from a callback, and the same problem on another array library:

    >>> res = optkit.solve(optkit.problems.Lasso(A, b, lam=1.0), method="fista", callback=lambda info: info.nit >= 10)
    >>> res.status
    <Status.CALLBACK_STOP: 2>
    >>> optkit.solve(optkit.problems.Lasso(A, b, lam=1.0), backend="array_api_strict").backend
    'array_api_strict'
    """
    if not isinstance(verbose, bool):
        raise TypeError(f"verbose must be True or False, got {verbose!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if backend is not None:
        problem = problem.to(namespace_by_name(backend))
    cls = _resolve(problem, method)
    if tol is not None:
        options["tol"] = tol
    if max_iter is not None:
        options["max_iter"] = max_iter
    opts = cls.Options.build(cls.name, **options)
    solver = cls(problem, opts)
    return run(solver, x0, callback, verbose)


def show_options(method: str | type[Solver], *, file: Any = None) -> str:
    """Print (and return) the options of a method with their defaults, admissible values and meaning.

    Parameters
    ----------
    method : str or Solver subclass
        A method name or alias, or a Solver subclass, as :func:`solve` takes.
    file : file-like, optional
        Where to print (default ``sys.stdout``).

    Returns
    -------
    str
        The text printed: the method's summary, its aliases, then each option as
        ``name = default (domain)`` and its meaning.

    See Also
    --------
    optkit.solvers.Options.describe : the same data, as a list.

    Examples
    --------
    >>> import io, optkit
    >>> text = optkit.show_options("fista", file=io.StringIO())
    >>> print("\\n".join(text.splitlines()[:4]))
    fista: Accelerated proximal gradient (FISTA) with backtracking and adaptive restart.
    aliases: apg_composite
      tol = 1e-06 (domain: (0, inf))
          stop when the relative optimality measure is <= tol
    """
    if isinstance(method, type) and issubclass(method, Solver):
        cls = method
    elif isinstance(method, str):
        cls = get_solver(method)
    else:
        raise TypeError(f"method must be a method name or a Solver subclass, got {type(method).__name__}")
    lines = [f"{cls.name}: {(cls.__doc__ or '').strip().splitlines()[0]}"]
    if cls.aliases:
        lines.append(f"aliases: {', '.join(cls.aliases)}")
    for name, default, d, doc in cls.Options.describe():
        domain = f" (one of {sorted(d, key=repr)})" if isinstance(d, (set, frozenset, tuple)) else f" (domain: {d})" if d else ""
        lines.append(f"  {name} = {default!r}{domain}\n      {doc}")
    text = "\n".join(lines)
    print(text, file=file)
    return text
