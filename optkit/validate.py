"""Check a result against the CVXPY reference formulation of its problem."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import asarray, to_numpy

__all__ = ["validate", "Report", "reference_solve"]

# Tolerances handed to each reference solver (recorded in every Report).
REFERENCE_SETTINGS: dict[str, dict[str, Any]] = {
    "CLARABEL": {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10, "max_iter": 500},
    "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
}


@dataclass(frozen=True)
class Report:
    """Comparison of an optkit result with a CVXPY reference solution.

    Attributes
    ----------
    objective_gap : float
        :math:`|f_{\\text{optkit}} - f_{\\text{ref}}| / \\max(1, |f_{\\text{ref}}|)`,
        measured by the problem's own ``objective`` at both points.
    solution_distance : float
        :math:`\\|x - x_{\\text{ref}}\\| / \\max(1, \\|x_{\\text{ref}}\\|)` (Frobenius, all blocks).
    reference_solver : str
    reference_settings : dict
    reference_objective : float
    reference_status : str
    reference_time : float
    """

    objective_gap: float
    solution_distance: float
    reference_solver: str
    reference_settings: dict
    reference_objective: float
    reference_status: str
    reference_time: float

    def __repr__(self) -> str:
        return (f"Report(objective_gap={self.objective_gap:.3e}, solution_distance={self.solution_distance:.3e}, "
                f"reference={self.reference_solver} [{self.reference_status}], "
                f"reference_objective={self.reference_objective:.10g})")


def reference_solve(problem: Any, solver: str = "CLARABEL") -> tuple[Any, float, str, float]:
    """Solve ``problem.to_cvxpy()`` with CVXPY.

    Parameters
    ----------
    problem : Problem
        A convex optkit problem.
    solver : str
        CVXPY solver name (``"CLARABEL"`` or ``"SCS"``), run at ``REFERENCE_SETTINGS``.

    Returns
    -------
    x_ref : numpy.ndarray or tuple of numpy.ndarray
        The reference solution, block by block for multi-block problems.
    objective : float
        CVXPY's optimal value.
    status : str
        CVXPY's status.
    seconds : float
        Wall time of the solve.
    """
    prob, var = problem.to_cvxpy()  # imports cvxpy (the `cvxpy` extra)
    start = time.perf_counter()
    prob.solve(solver=solver, **REFERENCE_SETTINGS.get(solver, {}))
    elapsed = time.perf_counter() - start
    if isinstance(var, (tuple, list)):
        x = tuple(np.asarray(v.value) for v in var)
    else:
        x = np.asarray(var.value)
    return x, float(prob.value), str(prob.status), elapsed


def validate(problem: Any, result: Any, solver: str = "CLARABEL") -> Report:
    """Solve the CVXPY reference of ``problem`` and compare ``result`` with it.

    Needs the ``cvxpy`` extra. The reference is solved at the tight settings of
    ``REFERENCE_SETTINGS`` (recorded in the report), and both objectives are evaluated
    by the problem's own ``objective``.

    Parameters
    ----------
    problem : Problem
        A convex optkit problem (one with ``to_cvxpy``).
    result : Result or array
        An optkit result (or a solution in the problem's layout).
    solver : str
        CVXPY solver name; ``"CLARABEL"`` (interior point, default) or ``"SCS"``.

    Returns
    -------
    Report
        ``objective_gap`` (relative to :math:`\\max(1, |f_{ref}|)`),
        ``solution_distance`` and the reference's solver, settings, objective, status
        and time.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> problem = optkit.problems.Lasso(**lasso_instance(30, 60, seed=0))
    >>> report = optkit.validate(problem, optkit.solve(problem, tol=1e-9))
    >>> report.reference_status, report.objective_gap < 1e-8
    ('optimal', True)
    """
    x = result.x if hasattr(result, "x") and hasattr(result, "status") else result
    x_ref, _, status, elapsed = reference_solve(problem, solver)
    xs = _blocks(x)
    refs = _blocks(x_ref)
    if len(xs) != len(refs):
        raise ValueError(f"result has {len(xs)} blocks, the reference {len(refs)}")
    f_ref = problem.objective(_like(x_ref, x))
    f_x = problem.objective(x)
    num = math.sqrt(sum(float(np.sum((a - b) ** 2)) for a, b in zip(xs, refs)))
    den = math.sqrt(sum(float(np.sum(b ** 2)) for b in refs))
    return Report(
        objective_gap=abs(f_x - f_ref) / max(1.0, abs(f_ref)),
        solution_distance=num / max(1.0, den),
        reference_solver=solver,
        reference_settings=dict(REFERENCE_SETTINGS.get(solver, {})),
        reference_objective=f_ref,
        reference_status=status,
        reference_time=elapsed,
    )


def _blocks(x: Any) -> list[np.ndarray]:
    if isinstance(x, tuple):
        return [np.asarray(to_numpy(v), dtype=float) for v in x]
    return [np.asarray(to_numpy(x), dtype=float)]


def _like(ref: Any, x: Any) -> Any:
    """The reference solution in the namespace and dtype of ``x`` (same block structure)."""
    if isinstance(ref, tuple):
        blocks = [asarray(np.ascontiguousarray(r), like=xi) for r, xi in zip(ref, x)]
        return type(x)(*blocks) if hasattr(x, "_fields") else tuple(blocks)
    return asarray(np.ascontiguousarray(ref), like=x)
