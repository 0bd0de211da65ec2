"""The Fermat-Weber problem, a K-term problem of the splitting family with one term per point
(:mod:`optkit.problems.splitting` re-exports it)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backend import get_namespace, to_numpy
from ..functions.base import check_array, check_same_library, check_scalar
from .base import keyword_weights
from ._splitting_terms import _float64, _sq, _Terms

__all__ = ["FermatWeber"]


@keyword_weights
@dataclass(frozen=True)
class FermatWeber(_Terms):
    """The Fermat-Weber problem :math:`\\min_x \\sum_{i=1}^K w_i\\|x - c_i\\|_2` (weighted geometric median).

    Parameters
    ----------
    points : array, shape (K, d)
        The points :math:`c_i`, one per row (``K >= 2`` terms).
    weights : array, shape (K,), optional
        Positive weights :math:`w_i` (default ones).
    smoothing : float, optional
        (keyword only) :math:`\\sigma`: each distance replaced by its Moreau envelope (a Huber function of
        the distance: :math:`\\|x - c\\|^2/(2\\sigma)` within :math:`\\sigma w` of ``c``,
        :math:`w\\|x - c\\| - \\sigma w^2/2` beyond).

    Notes
    -----
    Every prox is closed form and all ``K`` of them are one array operation:
    :math:`\\operatorname{prox}_{t w\\|\\cdot - c\\|}(v) = c + \\max(0, 1 - tw/\\|v - c\\|)(v - c)`.
    Optimality is the relative duality gap. With :math:`f_i^*(v) = \\langle v, c_i\\rangle` on
    :math:`\\|v\\| \\le w_i` (plus :math:`\\tfrac\\sigma2\\|v\\|^2` when smoothed), the dual is
    :math:`\\max -\\sum_i \\langle v_i, c_i\\rangle` s.t. :math:`\\sum_i v_i = 0`; the candidates
    (default: the gradients :math:`w_i(x - c_i)/\\|x - c_i\\|`) are shifted to sum to zero, the
    shift taken by the terms whose point coincides with ``x`` if any (evenly otherwise), then
    scaled into the balls. The gap is the sum of the Fenchel-Young gaps
    :math:`w_i\\|x - c_i\\| - \\langle v_i, x - c_i\\rangle \\ge 0` (for the envelopes, at their
    proximal points), over :math:`|P(x)|`.

    A sum of distances is the classical test problem of multiple splitting [1]_ (one term per
    point); Weiszfeld's fixed-point iteration [2]_ is the special-purpose method, whose
    starting point, the weighted centroid, is :meth:`initial_point`.

    References
    ----------
    .. [1] D. Goldfarb and S. Ma, "Fast multiple-splitting algorithms for convex
       optimization", SIAM J. Optim. 22 (2012); arXiv:0912.4570.
    .. [2] E. Weiszfeld, "Sur le point pour lequel la somme des distances de n points donnés
       est minimum", Tohoku Math. J. 43 (1937), 355-386.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import fermat_weber_points
    >>> from optkit.problems import FermatWeber
    >>> points, weights = fermat_weber_points(50, 3, seed=0)
    >>> problem = FermatWeber(points, weights)
    >>> problem.n_terms, problem.shape
    (50, (3,))
    >>> res = optkit.solve(problem, tol=1e-6)
    >>> res.method, res.success, res.optimality <= 1e-6
    ('admm', True, True)
    """

    optimality_measure = "relative duality gap (P(x) - D(V)) / |P(x)|, a sum of Fenchel-Young gaps"

    points: Any
    weights: Any = None
    smoothing: float | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        C = check_array("points", self.points, ndim=2)
        xp = get_namespace(C)
        if C.shape[0] < 2 or C.shape[1] < 1:
            raise ValueError(f"points must have at least two rows and one column, got shape {tuple(C.shape)}")
        w = xp.ones(C.shape[0], dtype=C.dtype) if self.weights is None else check_array("weights", self.weights, ndim=1)
        if isinstance(w, np.ndarray) and not isinstance(C, np.ndarray):
            w = xp.asarray(w)   # NumPy weights join the points' library
        check_same_library(points=C, weights=w)
        if w.shape[0] != C.shape[0]:
            raise ValueError(f"weights must have one entry per row of points ({C.shape[0]}), got {w.shape[0]}")
        if not bool(xp.all(w > 0)):
            raise ValueError("weights must be positive")
        object.__setattr__(self, "points", C)
        object.__setattr__(self, "weights", xp.astype(w, C.dtype))
        object.__setattr__(self, "smoothing", check_scalar("smoothing", self.smoothing, positive=True,
                                                           allow_none=True))

    @property
    def shape(self) -> tuple:
        return (self.points.shape[1],)

    @property
    def n_terms(self) -> int:
        return self.points.shape[0]

    @property
    def terms(self) -> tuple:  # the terms are held as arrays, not Function objects
        raise AttributeError("FermatWeber keeps its K terms as arrays (points, weights)")

    @property
    def term_lipschitz(self) -> tuple:
        return (None if self.smoothing is None else 1.0 / self.smoothing,) * self.n_terms

    def curvature_scale(self) -> None:
        return None

    def smoothed(self, sigma: float) -> "FermatWeber":
        return dataclasses.replace(self, smoothing=check_scalar("sigma", sigma, positive=True))

    def initial_point(self) -> Any:
        """The weighted centroid, the classical start of Weiszfeld's iteration."""
        xp = self.xp
        return xp.sum(self.weights[:, None] * self.points, axis=0) / xp.sum(self.weights)

    def smoothing_scale(self) -> float:
        xp = self.xp
        dist = xp.linalg.vector_norm(self.points - self.initial_point(), axis=1)
        spread = float(xp.mean(dist))
        # all points equal: the centroid is the answer and any smoothing describes it
        return (spread if spread > 0 else 1.0) / float(xp.mean(self.weights))

    def _distance_prox(self, V: Any, step: float) -> Any:
        xp = get_namespace(V)
        D = V - self.points
        n = xp.linalg.vector_norm(D, axis=1)
        factor = xp.clip(1.0 - step * self.weights / xp.where(n > 0, n, 1.0), min=0.0)
        return self.points + factor[:, None] * D

    def prox_terms(self, V: Any, step: float) -> Any:
        if self.smoothing is None:
            return self._distance_prox(V, step)
        s = self.smoothing
        return V + (step / (step + s)) * (self._distance_prox(V, step + s) - V)

    def grad_terms(self, x: Any) -> Any:
        if self.smoothing is None:
            raise ValueError("grad_terms needs smooth terms; use smoothed(sigma) first")
        X = get_namespace(x).broadcast_to(x, (self.n_terms,) + self.shape)
        return (X - self._distance_prox(X, self.smoothing)) / self.smoothing

    def _term_values(self, n: Any) -> Any:
        xp = get_namespace(n)
        w = self.weights
        if self.smoothing is None:
            return w * n
        s = self.smoothing
        return xp.where(n <= s * w, n * n / (2.0 * s), w * n - 0.5 * s * w * w)

    def objective(self, x: Any) -> float:
        xp = get_namespace(x)
        return float(xp.sum(self._term_values(xp.linalg.vector_norm(x - self.points, axis=1))))

    def measures(self, x: Any, dual: Any = None) -> dict[str, float]:
        xp = get_namespace(x)
        x, dual = _float64(x), _float64(dual)
        D = x - self.points
        n = xp.linalg.vector_norm(D, axis=1)
        if dual is None:
            V = self.grad_terms(x) if self.smoothing is not None else \
                (self.weights / xp.where(n > 0, n, 1.0))[:, None] * D
        else:
            V = dual
        total = xp.sum(V, axis=0)
        at_x = n <= 1e-12 * (1.0 + xp.linalg.vector_norm(x))
        count = int(xp.sum(xp.astype(at_x, xp.int64)))
        share = xp.astype(at_x, x.dtype) / count if count else xp.full(n.shape, 1.0 / n.shape[0], dtype=x.dtype)
        V = V - share[:, None] * total
        ratio = float(xp.max(xp.linalg.vector_norm(V, axis=1) / self.weights))
        V = V if ratio <= 1.0 else V / ratio
        # Fenchel-Young gaps w_i ||x - c_i|| - <v_i, x - c_i> >= 0 (for the envelope through its
        # proximal points), summed: no cancellation between the primal and dual values
        if self.smoothing is None:
            fun = float(xp.sum(self.weights * n))
            gap = fun - float(xp.sum(V * D))
        else:
            s = self.smoothing
            P = self._distance_prox(xp.broadcast_to(x, D.shape), s)
            Pc = P - self.points
            dist = float(xp.sum(self.weights * xp.linalg.vector_norm(Pc, axis=1)))
            fun = dist + _sq(x - P) / (2.0 * s)
            gap = dist - float(xp.sum(V * Pc)) + _sq(x - P - s * V) / (2.0 * s)
        gap = max(gap, 0.0)
        return {"fun": fun, "optimality": gap / max(abs(fun), 1e-300), "gap": gap}

    def to_cvxpy(self) -> tuple[Any, Any]:
        import cvxpy as cp  # noqa: PLC0415

        C, w = to_numpy(self.points), to_numpy(self.weights)
        K, d = C.shape
        x = cp.Variable(d)
        if self.smoothing is None:
            return cp.Problem(cp.Minimize(w @ cp.norm(C - np.ones((K, 1)) @ cp.reshape(x, (1, d), order="C"), 2,
                                                       axis=1))), x
        U = cp.Variable((K, d))   # the envelope's inner minimisation, one row per term
        dist = cp.norm(U - C, 2, axis=1)
        fit = cp.sum_squares(np.ones((K, 1)) @ cp.reshape(x, (1, d), order="C") - U) / (2.0 * self.smoothing)
        return cp.Problem(cp.Minimize(w @ dist + fit)), x
