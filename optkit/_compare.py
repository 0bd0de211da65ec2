"""``compare(problem, methods=None, **options)``: every applicable method on one problem."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

from ._result import Result
from ._solve import methods as applicable
from ._solve import solve

__all__ = ["compare", "Comparison", "ComparisonRow"]


class ComparisonRow(NamedTuple):
    """One method's line of a :class:`Comparison`."""

    method: str
    status: str
    success: bool
    fun: float
    optimality: float
    nit: int
    time: float


@dataclass(frozen=True)
class Comparison:
    """The results of several methods on one problem, as :func:`optkit.compare` returns them.

    Attributes
    ----------
    problem : str
        The problem's class name.
    results : dict of str to Result
        Method name -> its :class:`~optkit.Result`, in the order the methods ran.

    See Also
    --------
    optkit.compare : builds it.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> table = optkit.compare(optkit.problems.Lasso(**lasso_instance(30, 60, seed=0)), ["alm", "fista"])
    >>> len(table), table.rows[0].method, table["fista"].method
    (2, 'alm', 'fista')
    >>> print(repr(table).splitlines()[0])
    Lasso: 2 methods
    """

    problem: str
    results: Mapping[str, Result]

    @property
    def rows(self) -> list[ComparisonRow]:
        """One row per method, in the order the methods ran: ``ComparisonRow`` named tuples
        ``(method, status, success, fun, optimality, nit, time)``."""
        return [ComparisonRow(name, r.status.name, r.success, r.fun, r.optimality, r.nit, r.time)
                for name, r in self.results.items()]

    def __getitem__(self, method: str) -> Result:
        return self.results[method]

    def __len__(self) -> int:
        return len(self.results)

    @property
    def best_objective(self) -> float:
        """The least final objective among the successful runs (``nan`` if none succeeded)."""
        funs = [r.fun for r in self.results.values() if r.success and math.isfinite(r.fun)]
        return min(funs) if funs else math.nan

    def plot(self, *, axes: Any = None, measures: bool = False, relative: bool = True) -> Any:
        """Every method's certificate and objective against iterations and time, on one grid.

        Parameters
        ----------
        axes : array of matplotlib Axes, shape (2, 2), optional
            Where to draw; by default a new figure.
        measures : bool
            Also draw each method's named measures, dashed.
        relative : bool
            Draw the objective as :math:`|f - f_{best}| / \\max(1, |f_{best}|)` on a
            log scale, :math:`f_{best}` being :attr:`best_objective` (when some run
            succeeded); ``False`` draws :math:`f` itself.

        Returns
        -------
        numpy.ndarray of matplotlib Axes, shape (2, 2)

        See Also
        --------
        optkit.Result.plot : the same plot for one result.
        """
        from .plotting import plot_results  # noqa: PLC0415  (matplotlib is optional)

        best = self.best_objective
        reference = best if relative and math.isfinite(best) else None
        return plot_results(self.results, axes=axes, measures=measures, reference=reference, title=self.problem)

    def __repr__(self) -> str:
        head = ("method", "status", "success", "objective", "optimality", "iterations", "time (s)")
        cells = [head] + [(r.method, r.status, str(r.success), _number(r.fun, ".10g"), _number(r.optimality, ".2e"),
                           str(r.nit), f"{r.time:.3f}") for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
        lines = [f"{self.problem}: {len(self)} method{'s' if len(self) != 1 else ''}"]
        for k, row in enumerate(cells):
            lines.append("  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


def _number(value: float, spec: str) -> str:
    return format(value, spec) if math.isfinite(value) else str(value)


def compare(problem: Any, methods: list[str] | tuple[str, ...] | None = None, *,
            per_method: Mapping[str, Mapping[str, Any]] | None = None, warmup: bool = False,
            **options: Any) -> Comparison:
    """Run several methods on one problem and collect their results.

    Parameters
    ----------
    problem : Problem
        Any optkit problem.
    methods : sequence of str, optional
        Method names (or aliases) to run, in this order; by default every method that
        applies to ``problem`` (:func:`optkit.methods`, the default method first).
    per_method : mapping of str to mapping, optional
        Options for one method only, e.g. ``{"fista": {"restart": False}}``, on top of
        ``options``.
    warmup : bool
        Solve once with the same options before the run that is kept, so that the
        reported times leave out the compilation (or cache loading) of Numba kernels
        on a method's first call in the process. Doubles the cost.
    **options
        Passed to every :func:`optkit.solve` call: ``tol``, ``max_iter``, ``x0``,
        ``backend``, ``check_every`` ... (an option some method does not have raises
        ``TypeError``, as in :func:`optkit.solve`; give it through ``per_method``).

    Returns
    -------
    Comparison
        The results by method, a table as its ``repr`` (status, objective,
        optimality, iterations, time) and :meth:`~optkit.Comparison.plot`.

    Notes
    -----
    Methods run one after the other in this process. Without ``warmup``, the first
    run of a method that uses Numba kernels includes their compilation (or loading
    from the cache) in its time.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> from optkit.problems import Lasso
    >>> problem = Lasso(**lasso_instance(40, 80, seed=0))
    >>> table = optkit.compare(problem, tol=1e-8)
    >>> len(table) == len(optkit.methods(problem)), table.rows[0].method   # the default first
    (True, 'working_set')
    >>> all(row.success for row in table.rows)
    True
    >>> table["fista"].optimality <= 1e-8
    True
    """
    names = list(applicable(problem)) if methods is None else list(methods)
    if not names:
        raise ValueError(f"no registered method applies to {type(problem).__name__}")
    extra = dict(per_method or {})
    unknown = sorted(set(extra) - set(names))
    if unknown:
        raise ValueError(f"per_method names methods that are not compared: {unknown}; compared: {names}")
    results = {}
    for name in names:
        kwargs = {**options, **extra.get(name, {})}
        if warmup:
            solve(problem, method=name, **kwargs)
        results[name] = solve(problem, method=name, **kwargs)
    return Comparison(type(problem).__name__, results)
