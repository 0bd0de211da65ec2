"""Convergence plots of :class:`~optkit.Result` histories (matplotlib: the ``plot`` extra).

:meth:`optkit.Result.plot` and :meth:`optkit.Comparison.plot` call these functions; matplotlib
is imported only when a plot is drawn, so optkit itself does not depend on it.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

__all__ = ["plot_result", "plot_results"]

#: The grid every plot draws on: rows (what), columns (against what).
ROWS = ("optimality", "fun")
COLUMNS = ("nit", "time")
_LABELS = {"optimality": "optimality (relative)", "fun": "objective", "nit": "iteration", "time": "time (s)",
           "relative": "|f - f_ref| / max(1, |f_ref|)"}


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover  (optional dependency)
        raise ImportError("plotting needs matplotlib: pip install 'optkit[plot]'") from exc
    return plt


def _axes(axes: Any, relative: bool) -> np.ndarray:
    """A 2 x 2 array of Axes: the ones given (checked) or a new figure's."""
    if axes is None:
        plt = _pyplot()
        fig, axes = plt.subplots(2, 2, figsize=(9.0, 6.0), sharex="col", layout="constrained")
        for ax, (row, col) in zip(axes.ravel(), [(r, c) for r in ROWS for c in COLUMNS]):
            what = "relative" if row == "fun" and relative else row
            ax.set_xlabel(_LABELS[col] if row == ROWS[-1] else "")
            ax.set_ylabel(_LABELS[what] if col == COLUMNS[0] else "")
            ax.set_yscale("linear" if what == "fun" else "log")
            ax.grid(True, which="major", alpha=0.3)
        return axes
    axes = np.asarray(axes, dtype=object)
    if axes.shape != (2, 2):
        raise ValueError(f"axes must be a 2 x 2 array of matplotlib Axes, got shape {axes.shape}")
    return axes


def _positive(values: np.ndarray) -> np.ndarray:
    """Values for a log axis: non-finite or non-positive entries become gaps (NaN)."""
    v = np.asarray(values, dtype=float)
    return np.where(np.isfinite(v) & (v > 0), v, np.nan)


def _finite(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return np.where(np.isfinite(v), v, np.nan)


def plot_result(result: Any, *, axes: Any = None, label: str | None = None, measures: bool = False,
                reference: float | None = None) -> np.ndarray:
    """Draw a result's certificate and objective against iterations and against time.

    Parameters
    ----------
    result : Result
        A result of :func:`optkit.solve`; its ``history`` (one entry per convergence
        check) is drawn.
    axes : array of matplotlib Axes, shape (2, 2), optional
        Where to draw: rows optimality (log scale) and objective, columns iteration and
        time. By default a new figure.
    label : str, optional
        Legend label of the curves (default ``result.method``).
    measures : bool
        Also draw the family's named measures (``gap``, ``marginal_error`` ...) on the
        optimality axes, dashed.
    reference : float, optional
        A reference objective value :math:`f_{ref}` (a known optimum, a CVXPY
        objective, the best of several runs): the objective row then shows
        :math:`|f - f_{ref}| / \\max(1, |f_{ref}|)` on a log scale instead of :math:`f`.

    Returns
    -------
    numpy.ndarray of matplotlib Axes, shape (2, 2)
        The axes drawn on.
    """
    axes = _axes(axes, reference is not None)
    history = result.history
    label = result.method if label is None else label
    for j, col in enumerate(COLUMNS):
        x = np.asarray(history.get(col, ()), dtype=float)
        if x.size == 0:
            continue
        line, = axes[0, j].plot(x, _positive(history["optimality"]), marker=".", markersize=3, label=label)
        if measures:
            for name in result.measures:
                if name in history:
                    axes[0, j].plot(x, _positive(history[name]), linestyle="--", color=line.get_color(),
                                    label=f"{label}: {name}")
        fun = np.asarray(history["fun"], dtype=float)
        y = _finite(fun) if reference is None else _positive(np.abs(fun - reference) / max(1.0, abs(reference)))
        axes[1, j].plot(x, y, marker=".", markersize=3, color=line.get_color(), label=label)
    axes[0, 0].legend(fontsize="small")
    return axes


def plot_results(results: Mapping[str, Any], *, axes: Any = None, measures: bool = False,
                 reference: float | None = None, title: str | None = None) -> np.ndarray:
    """Draw several results on one 2 x 2 grid (see :func:`~optkit.plotting.plot_result`), one colour each.

    Parameters
    ----------
    results : mapping of str to Result
        Legend label -> result (e.g. method name -> result).
    axes : array of matplotlib Axes, shape (2, 2), optional
        Where to draw; by default a new figure.
    measures : bool
        Also draw each result's named measures, dashed.
    reference : float, optional
        Reference objective (see :func:`~optkit.plotting.plot_result`).
    title : str, optional
        Figure title.

    Returns
    -------
    numpy.ndarray of matplotlib Axes, shape (2, 2)
    """
    axes = _axes(axes, reference is not None)
    for name, result in results.items():
        plot_result(result, axes=axes, label=name, measures=measures, reference=reference)
    if title is not None:
        axes[0, 0].figure.suptitle(title)
    return axes
