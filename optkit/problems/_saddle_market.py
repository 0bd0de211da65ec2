"""Linear Fisher markets: the Eisenberg-Gale program as a saddle-point problem."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np

from ..backend import get_namespace, to_numpy
from ..functions.base import check_same_library
from ..kernels.saddle import (market_beta, market_dual, market_prices, market_primal, market_utilities,
                              project_columns)
from .base import certified_gap
from .saddle import SaddleProblem, _tiny, checked_array, kl_divergence

__all__ = ["FisherMarket", "MarketEquilibrium"]


class MarketEquilibrium(NamedTuple):
    """An allocation ``(n_buyers, n_goods)`` and a price per good ``(n_goods,)``: the ``x`` of a
    :class:`FisherMarket` result.

    Parameters
    ----------
    allocation : array, shape (n_buyers, n_goods)
        :math:`x_{ij}`, the amount of good ``j`` buyer ``i`` receives.
    prices : array, shape (n_goods,)
        :math:`p_j`, the price of good ``j``.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import random_market
    >>> from optkit.problems import FisherMarket, MarketEquilibrium
    >>> res = optkit.solve(FisherMarket(*random_market(5, 8, seed=0)))
    >>> isinstance(res.x, MarketEquilibrium), res.x.allocation.shape, res.x.prices.shape
    (True, (5, 8), (8,))
    """

    allocation: Any
    prices: Any


@dataclass(frozen=True)
class FisherMarket(SaddleProblem):
    """A Fisher market with linear utilities, solved through the Eisenberg-Gale convex program.

    .. math:: \\max_{x \\ge 0} \\sum_i B_i \\log \\sum_j v_{ij} x_{ij}
              \\quad\\text{s.t.}\\quad \\sum_i x_{ij} \\le s_j

    (Eisenberg & Gale 1959); the supply multipliers are the equilibrium prices. As a saddle
    point the methods solve, by :math:`-B\\log u = \\max_{\\beta > 0} -\\beta u + B\\log\\beta + B - B\\log B`,

    .. math:: \\min_{x \\in \\prod_j s_j\\Delta_n} \\max_{\\beta > 0}
              -\\sum_i \\beta_i \\sum_j v_{ij}x_{ij} + \\sum_i B_i\\log\\beta_i

    (every good is sold at equilibrium, so each column of ``x`` lies on a scaled simplex;
    :math:`\\beta_i = B_i/u_i` is buyer ``i``'s inverse bang-per-buck and :math:`p_j = \\max_i \\beta_i v_{ij}`).

    Parameters
    ----------
    valuations : array, shape (n_buyers, n_goods)
        :math:`v_{ij} \\ge 0`, every buyer valuing some good.
    budgets : array, shape (n_buyers,)
        :math:`B_i > 0`.
    supplies : array, shape (n_goods,), optional
        :math:`s_j > 0` (default ones).

    Notes
    -----
    The certificate of a :class:`MarketEquilibrium` ``(x, p)`` is the Eisenberg-Gale duality gap
    :math:`D(p) - P(x)`, with the primal :math:`P(x) = \\sum_i B_i \\log u_i(x)` (``fun``) and the
    dual :math:`D(p) = \\sum_j s_jp_j - \\sum_i B_i\\log\\beta_i(p) + \\sum_i B_i(\\log B_i - 1)`,
    :math:`\\beta_i(p) = \\min_{j: v_{ij} > 0} p_j/v_{ij}`; ``tol`` applies to the gap divided by the
    total budget :math:`\\sum_i B_i` (unchanged by scaling budgets, valuations or supplies). An
    allocation that exceeds a supply by rounding is first scaled down to it. While a buyer has nothing
    (:math:`u_i = 0`, so :math:`P = -\\infty`) the gap is infinite and ``fun`` is the dual value: a long
    first primal step can leave buyers with nothing for a few steps (13 of 200 buyers with a primal weight
    0.6 times the default), which then ended the run as a numerical error. Geometries:
    ``"euclidean"`` (column-wise simplex projections, :math:`L = \\max_i \\|v_i\\|_2`) and ``"entropy"``
    (KL on the allocation, Euclidean on :math:`\\beta`, :math:`L = \\max_{ij} v_{ij}`); the prox of
    :math:`-B\\log\\beta` is :math:`(z + \\sqrt{z^2 + 4\\sigma B})/2`. The program is Eisenberg
    and Gale's [1]_; its saddle form is one of the experiments of the increasing-averaging paper
    [2]_; proportional response [3]_ solves it too.

    References
    ----------
    .. [1] E. Eisenberg and D. Gale, "Consensus of subjective probabilities: the pari-mutuel
       method", Ann. Math. Statist. 30 (1959), 165-168.
    .. [2] Y. Gao, C. Kroer and D. Goldfarb, "Increasing iterate averaging for solving saddle-point
       problems", AAAI 2021, 35(9):7537-7544 (arXiv:1903.10646).
    .. [3] F. Wu and L. Zhang, "Proportional response dynamics leads to market equilibrium",
       STOC 2007, 354-363.

    Examples
    --------
    At equilibrium the prices exhaust the budgets (every good is sold, and its price is what
    its buyers spend on it):

    >>> import numpy as np
    >>> import optkit
    >>> from optkit.datasets import random_market
    >>> from optkit.problems import FisherMarket
    >>> valuations, budgets, supplies = random_market(5, 8, seed=0)
    >>> market = FisherMarket(valuations, budgets, supplies)
    >>> res = optkit.solve(market, tol=1e-8)
    >>> res.method, res.success
    ('pdhg', True)
    >>> bool(np.isclose(res.x.prices @ supplies, budgets.sum(), rtol=1e-6))
    True
    """

    valuations: Any
    budgets: Any
    supplies: Any = None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    geometries: ClassVar[tuple[str, ...]] = ("euclidean", "entropy")
    default_method: ClassVar[str] = "pdhg"
    optimality_measure: ClassVar[str] = "Eisenberg-Gale duality gap / total budget"
    #: Restart tests every 8 steps, restarting on a halved gap: PDHG needed 310 / 330 / 290 / 260 / 470 / 150
    #: iterations to 1e-6 on markets of 200 x 400 (two seeds), 100 x 300, 50 x 50, 400 x 200 and 9 x 12 buyers x
    #: goods, against 670 / 660 / 630 / 460 / 850 / 200 with PDLP's 64 steps and 0.2 (the 200 x 400 market: 0.95 s
    #: against 1.68 s, the tests costing a gap evaluation each).
    restart_every: ClassVar[int] = 8
    restart_sufficient: ClassVar[float] = 0.5

    def __post_init__(self) -> None:
        V = checked_array("valuations", self.valuations, 2)
        xp = get_namespace(V)
        n, m = V.shape
        if n == 0 or m == 0:
            raise ValueError(f"valuations must be non-empty, got shape {tuple(V.shape)}")
        if bool(xp.any(V < 0)):
            raise ValueError("valuations must be nonnegative")
        if not bool(xp.all(xp.max(V, axis=1) > 0)):
            raise ValueError("valuations: every buyer must value some good (a row of zeros has utility 0 forever)")
        B = self._vector("budgets", self.budgets, n, V)
        s = xp.ones((m,), dtype=V.dtype) if self.supplies is None else self._vector("supplies", self.supplies, m, V)
        object.__setattr__(self, "valuations", V)
        object.__setattr__(self, "budgets", B)
        object.__setattr__(self, "supplies", s)

    @staticmethod
    def _vector(name: str, v: Any, size: int, like: Any) -> Any:
        xp = get_namespace(like)
        v = checked_array(name, v, 1)
        if isinstance(v, np.ndarray) and not isinstance(like, np.ndarray):
            v = xp.asarray(v)
        check_same_library(valuations=like, **{name: v})
        if v.shape[0] != size:
            side = "row (buyer)" if name == "budgets" else "column (good)"
            raise ValueError(f"{name} must have shape ({size},), one entry per {side} of valuations "
                             f"{tuple(like.shape)}, got {tuple(v.shape)}")
        if not bool(xp.all(v > 0)):
            raise ValueError(f"{name} must be positive")
        return xp.astype(v, like.dtype)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.valuations.shape)

    @property
    def total_budget(self) -> float:
        return float(get_namespace(self.budgets).sum(self.budgets))

    # -- certificate --------------------------------------------------------------------------------------------------

    def utilities(self, allocation: Any) -> Any:
        """:math:`u_i = \\sum_j v_{ij}x_{ij}`."""
        return get_namespace(allocation).sum(self.valuations * allocation, axis=1)

    def feasible(self, allocation: Any) -> Any:
        """``allocation`` clipped at 0 and scaled down per good to the supplies where it exceeds them."""
        xp = get_namespace(allocation)
        X = xp.clip(allocation, min=0.0)
        load = xp.sum(X, axis=0)
        return X * xp.clip(self.supplies / xp.where(load > 0, load, 1.0), max=1.0)[None, :]

    def feasible_utilities(self, allocation: Any) -> Any:
        """The utilities of :meth:`feasible` ``(allocation)``, without forming it (kernel
        :func:`optkit.kernels.saddle.market_utilities`)."""
        return market_utilities(allocation, self.valuations, self.supplies)

    def prices_from_beta(self, beta: Any) -> Any:
        """:math:`p_j = \\max_i \\beta_i v_{ij}`, the cheapest prices the dual point :math:`\\beta` supports."""
        return market_prices(beta, self.valuations)

    def prices_from_allocation(self, allocation: Any) -> Any:
        """:math:`p_j = \\max_i B_i v_{ij}/u_i(x)`: the prices of the dual point :math:`\\beta_i = B_i/u_i(x)`."""
        xp = get_namespace(allocation)
        u = self.feasible_utilities(allocation)
        return self.prices_from_beta(self.budgets / xp.clip(u, min=float(xp.finfo(u.dtype).smallest_normal)))

    def equilibrium(self, allocation: Any, beta: Any = None) -> MarketEquilibrium:
        """The :class:`MarketEquilibrium` of an allocation, priced by ``beta`` or, by default, by the allocation."""
        p = self.prices_from_allocation(allocation) if beta is None else self.prices_from_beta(beta)
        return MarketEquilibrium(allocation, p)

    def measures(self, point: Any, Kx: Any = None, KTy: Any = None) -> dict[str, float]:
        X, p = (point.allocation, point.prices) if isinstance(point, MarketEquilibrium) else point
        return self._gap(self.feasible_utilities(X), p, self._beta(p))

    def _gap(self, u: Any, p: Any, beta: Any) -> dict[str, float]:
        """The measures from the feasible allocation's utilities ``u``, the prices ``p`` and ``beta = _beta(p)``."""
        xp = get_namespace(u, p)
        B = self.budgets
        finite_dual = bool(xp.all(beta > 0)) and bool(xp.all(xp.isfinite(p)))
        dual = float(xp.sum(self.supplies * p) - xp.sum(B * xp.log(beta)) + xp.sum(B * (xp.log(B) - 1.0))) \
            if finite_dual else math.inf
        if not bool(xp.all(u > 0)):   # a buyer with nothing: no primal value yet, the dual bound stands in
            return {"fun": dual if finite_dual else -math.inf, "optimality": math.inf, "gap": math.inf}
        primal = float(xp.sum(B * xp.log(u)))
        if not finite_dual:
            return {"fun": primal, "optimality": math.inf, "gap": math.inf}
        gap = certified_gap(dual, primal, u.dtype, xp)
        return {"fun": primal, "optimality": gap / self.total_budget, "gap": gap}

    def objective(self, point: Any) -> float:
        """:math:`\\sum_i B_i \\log u_i(x)` of the allocation (of a :class:`MarketEquilibrium` or a bare array)."""
        X = point.allocation if isinstance(point, MarketEquilibrium) else (
            point[0] if isinstance(point, tuple) else point)
        u = self.feasible_utilities(X)
        xp = get_namespace(u)
        return float(xp.sum(self.budgets * xp.log(u))) if bool(xp.all(u > 0)) else -math.inf

    # -- the canonical form ---------------------------------------------------------------------------------------

    def initial_pair(self) -> tuple[Any, Any]:
        """Goods split in proportion to the budgets; :math:`\\beta_i = B_i/u_i`."""
        X = (self.budgets / self.total_budget)[:, None] * self.supplies[None, :]
        return X, self.budgets / self.utilities(X)

    def start(self, x0: Any) -> tuple[Any, Any]:
        if x0 is None:
            return self.initial_pair()
        X, p = x0
        xp = get_namespace(X)
        beta = self._beta(p)
        beta = xp.where(xp.isfinite(beta) & (beta > 0), beta, self.budgets / xp.clip(self.utilities(X), min=_tiny(X)))
        return X, beta

    def initial_point(self) -> MarketEquilibrium:
        X, beta = self.initial_pair()
        return MarketEquilibrium(X, self.prices_from_beta(beta))

    def point(self, x: Any, y: Any) -> MarketEquilibrium:
        """The allocation ``x`` priced by the dual point ``y`` (:math:`\\beta`) or by the allocation itself,
        whichever gives the smaller dual value (the same primal value, so the smaller gap)."""
        return self._priced(x, y)[0]

    def pair_measures(self, x: Any, y: Any, Kx: Any = None, KTy: Any = None, point: Any = None) -> dict[str, float]:
        if point is not None:
            return super().pair_measures(x, y, Kx, KTy, point)
        return self.point_measures(x, y)[1]

    def point_measures(self, x: Any, y: Any, Kx: Any = None, KTy: Any = None) -> tuple[MarketEquilibrium, dict]:
        point, u, beta = self._priced(x, y)
        return point, self._gap(u, point.prices, beta)

    def _priced(self, x: Any, y: Any) -> tuple[MarketEquilibrium, Any, Any]:
        """:meth:`point` with the feasible allocation's utilities and ``_beta`` of the chosen prices."""
        xp = get_namespace(x)
        u = self.feasible_utilities(x)
        # a buyer left with (almost) nothing prices the allocation at infinity: that candidate loses, silently
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            priced = [self.prices_from_beta(y),
                      self.prices_from_beta(self.budgets / xp.clip(u, min=float(xp.finfo(u.dtype).smallest_normal)))]
            betas = [self._beta(p) for p in priced]
            duals = [float(xp.sum(self.supplies * p) - xp.sum(self.budgets * xp.log(b))) for p, b in zip(priced, betas)]
        k = 1 if duals[1] < duals[0] else 0
        return MarketEquilibrium(x, priced[k]), u, betas[k]

    def _beta(self, p: Any) -> Any:
        """:math:`\\beta_i(p) = \\min_{j: v_{ij} > 0} p_j / v_{ij}`, the largest dual point the prices allow."""
        V = self.valuations
        if "VT" not in self._cache and isinstance(V, np.ndarray):
            self._cache["VT"] = np.ascontiguousarray(V.T)
        return market_beta(p, V, self._cache.get("VT"))

    def apply_K(self, x: Any) -> Any:
        return -self.utilities(x)

    def apply_KT(self, y: Any) -> Any:
        return -y[:, None] * self.valuations

    def prox_x(self, x_prev: Any, grad: Any, step: float, geometry: str) -> Any:
        xp = get_namespace(x_prev)
        if geometry == "entropy":
            z = xp.log(xp.clip(x_prev, min=_tiny(x_prev))) - step * grad
            e = xp.exp(z - xp.max(z, axis=0)[None, :])
            return e * (self.supplies / xp.sum(e, axis=0))[None, :]
        return project_columns(x_prev - step * grad, self.supplies)

    def primal_step(self, x_prev: Any, y: Any, KTy: Any, step: float, geometry: str,
                    hint: Any = None) -> tuple[Any, Any, float | None, Any]:
        """Euclidean geometry: the projection of :math:`X + \\text{step}\\,\\beta_i v_{ij}`, the utilities and
        :math:`\\tfrac12\\|X^+ - X\\|^2` in one kernel (:func:`optkit.kernels.saddle.market_primal`, which
        forms :math:`K^T\\beta = -\\beta_i v_{ij}` on the fly); the hint is the projection's thresholds, from
        which the next step's projection starts."""
        if geometry == "entropy":
            return super().primal_step(x_prev, y, KTy, step, geometry, hint)
        X, u, dist, thresholds = market_primal(x_prev, self.valuations, y, self.supplies, step, hint)
        return X, -u, dist, thresholds

    def primal_step_reads_y(self, geometry: str) -> bool:
        return geometry != "entropy"

    def dual_step(self, y_prev: Any, Kx: Any, Kx_prev: Any, step: float, geometry: str,
                  test: bool = True) -> tuple[Any, float | None, float | None]:
        """The prox of :math:`-\\sum_i B_i\\log\\beta_i` with the step-size test's pieces in one kernel
        (:func:`optkit.kernels.saddle.market_dual`; :math:`D` is Euclidean on :math:`\\beta` in both geometries)."""
        y, coupling, dist = market_dual(y_prev, Kx, Kx_prev, step, self.budgets)
        return (y, coupling, dist) if test else (y, None, None)

    def prox_y(self, y_prev: Any, grad: Any, step: float, geometry: str) -> Any:
        xp = get_namespace(y_prev)
        z = y_prev + step * grad
        c = 4.0 * step * self.budgets
        root = xp.sqrt(z * z + c)
        # (z + root)/2 cancels to 0 for z << 0 (a buyer's utility jumped by a long primal step); the
        # equal 2 step B / (root - z) keeps beta positive
        return xp.where(z >= 0, 0.5 * (z + root), 0.5 * c / (root - z))

    def divergence_x(self, x_new: Any, x_old: Any, geometry: str) -> float:
        if geometry == "entropy":
            return kl_divergence(x_new, x_old)
        return super().divergence_x(x_new, x_old, geometry)

    def lipschitz(self, geometry: str) -> float:
        xp, V = self.xp, self.valuations
        if geometry == "entropy":
            return float(xp.max(V))
        return float(xp.max(xp.linalg.vector_norm(V, axis=1)))

    def primal_weight(self, geometry: str) -> float:
        """:math:`0.6\\,\\|\\beta_0\\|_2 / \\|x_0\\|_1` at the initial pair (:math:`\\|x_0\\|_1 = \\sum_j s_j`): the dual
        over the primal scale, so it follows any scaling of budgets, valuations or supplies. The form and the
        constant are measured: PDHG without restarts on markets of 4 x 5 to 200 x 400 buyers x goods needed the
        fewest iterations to a relative gap of 1e-6 with weights 0.3, 0.1, 0.03, 0.03 (a grid in factors of 3),
        within that grid's factor of this rule; the plain ratio :math:`\\|\\beta_0\\|_2/\\|x_0\\|_F` (3 to 9) was
        30 to 300 times too large."""
        xp = self.xp
        X, beta = self.initial_pair()
        return 0.6 * float(xp.linalg.vector_norm(beta)) / float(xp.sum(self.supplies))

    def to_cvxpy(self) -> tuple[Any, Any]:
        """The Eisenberg-Gale program and its dual side by side, :math:`\\max P(x) - D(p, \\beta)` s.t.
        :math:`\\sum_i x_{ij} \\le s_j`, :math:`p_j \\ge \\beta_i v_{ij}` (exponential cones); value 0,
        variables ``[allocation, prices]``. ``benchmarks/saddle.py`` times the primal alone."""
        import cvxpy as cp  # noqa: PLC0415

        V, B, s = (np.asarray(to_numpy(a), dtype=float) for a in (self.valuations, self.budgets, self.supplies))
        n, m = V.shape
        X, p, beta = cp.Variable((n, m), nonneg=True), cp.Variable(m, nonneg=True), cp.Variable(n, nonneg=True)
        primal = B @ cp.log(cp.sum(cp.multiply(V, X), axis=1))
        dual = s @ p - B @ cp.log(beta) + float(B @ (np.log(B) - 1.0))
        i, j = np.nonzero(V > 0)
        cons = [cp.sum(X, axis=0) <= s, p[j] >= cp.multiply(V[i, j], beta[i])]
        return cp.Problem(cp.Maximize(primal - dual), cons), [X, p]
