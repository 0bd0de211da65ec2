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
    """Solve ``problem.to_cvxpy()``; returns ``(x_ref, objective, status, seconds)`` with NumPy arrays."""
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

    Parameters
    ----------
    problem : Problem
        A convex optkit problem (one with ``to_cvxpy``).
    result : Result or array
        An optkit result (or a solution in the problem's layout).
    solver : str
        CVXPY solver name; ``"CLARABEL"`` (interior point, default) or ``"SCS"``.
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
