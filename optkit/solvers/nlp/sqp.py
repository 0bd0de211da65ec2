"""The deterministic reference: Newton-KKT directions solved exactly, with the merit, penalty
updates and line search of AdaSketch-Newton, so that the cost of sketching shows beside an exact
solve."""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..._registry import register
from ..._result import Status
from ...backend import get_namespace, is_numpy
from ...problems.nlp import is_operator, is_sparse
from ._base import NLPSolver, NLPState
from ._model import kkt_matrix

__all__ = ["SQP"]


@register("sqp", aliases=("newton_kkt",))
class SQP(NLPSolver):
    """Newton-KKT SQP on the exact augmented Lagrangian merit, with exact linear solves.

    Each iteration solves

    .. math::
        \\begin{pmatrix} B & J^T \\\\ J & 0 \\end{pmatrix}
        \\begin{pmatrix}\\Delta x \\\\ \\Delta\\lambda\\end{pmatrix}
        = -\\begin{pmatrix}\\nabla_x L \\\\ c\\end{pmatrix}

    by a sparse LU factorisation (SuperLU, when ``J`` or the Hessian is ``scipy.sparse``: first with
    a symmetric minimum-degree ordering and diagonal pivots, checked by its residual; then, if that
    fails, with COLAMD and partial pivoting, whose fill on 2-d PDE saddle-point matrices is
    far larger: PoissonControl(128) 0.8 s against 210 s), a dense
    symmetric-indefinite LDL^T solve (LAPACK ``sytrf``/``sytrs`` through SciPy, NumPy data) or the
    namespace's dense solver (other array libraries); with a LinearOperator Hessian above
    n = 4096, MINRES to a relative residual of 1e-12. ``B`` is the Lagrangian Hessian, modified as
    for :class:`ExactAL`; the penalty updates, the Armijo search on the exact augmented Lagrangian
    and all constants are the same as there (see ``docs/nlp.md``), so the two methods differ only
    in the linear solve. A singular KKT matrix (a singular Jacobian) ends the run with
    ``Status.NUMERICAL_ERROR`` and the reason in ``Result.info["reason"]``.
    """

    def _regularization(self, s: NLPState) -> float | None:
        # dense Jacobians: the cheap m x m test; sparse ones are judged by the KKT factorisation itself
        if is_sparse(s.point.J):
            return 0.0
        return super()._regularization(s)

    def direction(self, s: NLPState, B: Any, b: Any, reg: float) -> tuple[Any, float] | None:
        J = s.point.J
        z = self._solve(B, J, b, reg)
        xp = get_namespace(b)
        bnorm2 = float(b @ b)
        if z is None and reg == 0.0 and is_sparse(J):
            gram_max = float(abs(J @ J.T).sum(axis=1).max())       # Gershgorin bound on lambda_max(J J^T)
            reg = self._singular(s, "the sparse LU of the KKT matrix found it singular", gram_max)
            if reg is None:
                return None
            z = self._solve(B, J, b, reg)
        else:
            s.singular_streak = 0 if reg == 0.0 else s.singular_streak
        if z is None or not bool(xp.all(xp.isfinite(z))):
            s.failure = (Status.NUMERICAL_ERROR,
                         f"singular KKT matrix at iteration {s.k} (the constraint Jacobian is rank deficient)")
            return None
        s.sketch_iterations.append(0)
        s.linear_solves.append(1)
        while True:
            slope = self.slope(s, z)
            if self.safeguard(s) or self.sufficient(s, slope, bnorm2):
                return z, slope
            self.raise_penalties(s)

    def _solve(self, B: Any, J: Any, b: Any, reg: float = 0.0) -> Any:
        """The exact solution of the KKT system, or ``None`` when the matrix is (numerically) singular."""
        n = J.shape[1]
        if is_operator(B):
            return self._minres(B, J, b, reg)
        K = kkt_matrix(B, J, reg)
        if is_sparse(K):
            z = _sparse_solve(K.tocsc(), np.asarray(b))
            if z is None:
                return None
        elif is_numpy(get_namespace(b)):
            import scipy.linalg as sla  # noqa: PLC0415

            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    z = sla.solve(np.asarray(K), np.asarray(b), assume_a="sym", check_finite=False)
            except (np.linalg.LinAlgError, ValueError):
                return None
        else:
            xp = get_namespace(b)
            try:
                z = xp.linalg.solve(K, b)
            except Exception:  # noqa: BLE001  (the namespace's LinAlgError)
                return None
        xp = get_namespace(b)
        z = xp.asarray(z, dtype=b.dtype) if not hasattr(z, "dtype") or z.dtype != b.dtype else z
        # a numerically singular matrix shows as a solution that does not solve the system
        r = float(xp.linalg.vector_norm(K @ z - b))
        eps = float(xp.finfo(b.dtype).eps)
        scale = float(xp.linalg.vector_norm(b)) + _fro(K) * float(xp.linalg.vector_norm(z))
        if not (math.isfinite(r) and r <= math.sqrt(eps) * scale):
            return None
        del n
        return z

    def _minres(self, B: Any, J: Any, b: Any, reg: float) -> Any:
        from scipy.sparse.linalg import LinearOperator, minres  # noqa: PLC0415

        n, m = J.shape[1], J.shape[0]

        def mv(v: np.ndarray) -> np.ndarray:
            return np.concatenate([B @ v[:n] + J.T @ v[n:], J @ v[:n] - reg * v[n:]])

        K = LinearOperator((n + m, n + m), matvec=mv, dtype=np.float64)
        z, info = minres(K, np.asarray(b, dtype=np.float64), rtol=1e-12, maxiter=20 * (n + m))
        return np.asarray(z, dtype=b.dtype) if info == 0 else None


def _sparse_solve(K: Any, b: np.ndarray) -> np.ndarray | None:
    """``K^{-1} b`` by SuperLU: symmetric ordering without pivoting first (one refinement step, residual
    checked), then COLAMD with partial pivoting; ``None`` when both find ``K`` singular."""
    from scipy.sparse.linalg import splu  # noqa: PLC0415

    eps = float(np.finfo(K.dtype).eps)
    attempts = ({"permc_spec": "MMD_AT_PLUS_A", "diag_pivot_thresh": 0.0, "options": {"SymmetricMode": True}},
                {"permc_spec": "COLAMD"})
    for kw in attempts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lu = splu(K, **kw)
                z = lu.solve(b)
                z = z + lu.solve(b - K @ z)
        except RuntimeError:
            continue
        r = float(np.linalg.norm(K @ z - b))
        if np.all(np.isfinite(z)) and r <= math.sqrt(eps) * (float(np.linalg.norm(b)) + _fro(K) * float(np.linalg.norm(z))):
            return z
    return None


def _fro(K: Any) -> float:
    if is_sparse(K):
        return float(np.sqrt(np.sum(np.square(K.data, dtype=np.float64))))
    xp = get_namespace(K)
    return float(xp.linalg.matrix_norm(K))
