"""Proportional response dynamics for linear Fisher markets.

References: F. Wu & L. Zhang, "Proportional response dynamics leads to market equilibrium",
STOC 2007; B. Birnbaum, N. Devanur & L. Xiao, "Distributed algorithms via gradient descent for
Fisher markets", EC 2011 (mirror descent on Shmyrev's convex program, O(1/T)).
"""
from __future__ import annotations

from typing import Any

from ..._registry import register
from ...backend import get_namespace
from ...problems.saddle import FisherMarket
from ._common import Pair, SaddleOptions, SaddleSolver, SaddleState

__all__ = ["ProportionalResponse"]


@register("proportional_response")
class ProportionalResponse(SaddleSolver):
    """Proportional response dynamics for Fisher markets.

    Each buyer splits her budget over the goods in proportion to the utility each brought her:

    .. math:: b_{ij} \\leftarrow B_i\\, v_{ij} x_{ij} / u_i(x), \\qquad
              p_j = \\sum_i b_{ij}, \\qquad x_{ij} = s_j b_{ij}/p_j .

    The averaged sequence is the allocations :math:`x_t` with :math:`\\beta_t = B/u(x_t)` (prices
    :math:`p_j = \\max_i \\beta_i v_{ij}`); a start ``x0`` is an allocation (and prices), from which the
    first bids are one proportional response. One pass over the ``n x m`` valuations per step.

    The dynamics are Wu and Zhang's [1]_, with the convergence of Zhang [2]_ for linear
    utilities; Birnbaum, Devanur and Xiao [3]_ read them as mirror descent on Shmyrev's convex
    program (an :math:`O(1/T)` rate). The output is averaged with the increasing weights of Gao,
    Kroer and Goldfarb [4]_.

    Parameters
    ----------
    problem : FisherMarket
        The problem to solve.
    options : SaddleOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-proportional_response`.

    References
    ----------
    .. [1] F. Wu and L. Zhang, "Proportional response dynamics leads to market equilibrium",
       STOC 2007, 354-363.
    .. [2] L. Zhang, "Proportional response dynamics in the Fisher market", Theor. Comput. Sci.
       412 (2011), 2691-2698.
    .. [3] B. Birnbaum, N. R. Devanur and L. Xiao, "Distributed algorithms via gradient descent
       for Fisher markets", EC 2011, 127-136.
    .. [4] Y. Gao, C. Kroer and D. Goldfarb, "Increasing iterate averaging for solving saddle-point
       problems", AAAI 2021, 35(9):7537-7544 (arXiv:1903.10646).

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import random_market
    >>> from optkit.problems import FisherMarket
    >>> market = FisherMarket(*random_market(5, 8, seed=0))
    >>> res = optkit.solve(market, method="proportional_response", tol=1e-6)
    >>> res.success, bool(abs(res.fun - optkit.solve(market, tol=1e-9).fun) <= res.gap)
    (True, True)
    """

    Options = SaddleOptions
    problem_types = (FisherMarket,)

    def init(self, x0: Any) -> SaddleState:
        p = self.problem
        X, _ = p.start(x0)
        X = p.feasible(X)
        u = p.utilities(X)
        cur = Pair(X, p.budgets / u, -u, None)
        return SaddleState(cur=cur, last=cur, avg=cur, extra={"bids": self._bids(X, u)}, anchor=cur)

    def _bids(self, X: Any, u: Any) -> Any:
        p = self.problem
        return (p.budgets / u)[:, None] * p.valuations * X

    def step(self, state: SaddleState, measure: bool) -> SaddleState:
        p = self.problem
        xp = get_namespace(state.cur.x)
        b = state.extra["bids"]
        prices = xp.sum(b, axis=0)
        X = b * (p.supplies / xp.where(prices > 0, prices, 1.0))[None, :]
        u = p.utilities(X)
        new = Pair(X, p.budgets / u, -u, None)
        return self.advance(state, new, new, bids=self._bids(X, u))
