"""Nemirovski's mirror prox (extragradient) with increasing averaging of the midpoints.

References: A. Nemirovski, "Prox-method with rate of convergence O(1/t) for variational
inequalities with Lipschitz continuous monotone operators and smooth convex-concave saddle point
problems", SIAM J. Optim. 15 (2004); Y. Gao, C. Kroer & D. Goldfarb, AAAI 2021 (the averaged
sequence of mirror prox is the midpoints).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...backend import inner
from ..base import option
from ._common import MAX_TRIALS, Pair, SaddleSolver, SaddleState, StepOptions, adapted_step

__all__ = ["MirrorProx"]



@dataclass(frozen=True, kw_only=True)
class MirrorProxOptions(StepOptions):
    adapt_weight: bool = option(False, "at restarts move w halfway (log scale) to ||dy|| / ||dx|| over the epoch "
                                       "(off: on TV-l1 it ran away to 2e4 and the run stalled at 4e-6)")


@register("mirror_prox")
class MirrorProx(SaddleSolver):
    """Nemirovski's mirror prox (extragradient) with increasing averaging of the midpoints.

    An extrapolation step to the midpoint, then the step from the same point with the midpoint's
    gradients; the midpoints are averaged with weights :math:`\\eta_t t^q`:

    .. math::
        z_{t+1/2} = \\operatorname{prox}_{z_t}(\\eta F(z_t)), \\qquad
        z_{t+1} = \\operatorname{prox}_{z_t}(\\eta F(z_{t+1/2})),

    :math:`F(x, y) = (K^Ty, -Kx)` with the prox of ``f`` and ``g`` (composite mirror prox). Four
    products with :math:`K` per step. ``"fixed"`` steps are :math:`s/L`; ``"adaptive"`` (default)
    accepts :math:`\\eta` when :math:`\\eta\\langle F(z_{t+1/2}) - F(z_t), z_{t+1/2} - z_{t+1}\\rangle
    \\le D(z_{t+1}, z_{t+1/2}) + D(z_{t+1/2}, z_t)` (the inequality each step of Nemirovski's analysis
    needs) and moves it by PDLP's rule, our extension of PDLP's adaptive steps to mirror prox.

    The method is Nemirovski's [1]_; the averaged sequence is the midpoints
    :math:`z_{t+1/2}`, with the increasing weights of Gao, Kroer and Goldfarb [2]_.

    Parameters
    ----------
    problem : SaddleProblem
        The problem to solve.
    options : MirrorProxOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-mirror_prox`.

    References
    ----------
    .. [1] A. Nemirovski, "Prox-method with rate of convergence O(1/t) for variational inequalities
       with Lipschitz continuous monotone operators and smooth convex-concave saddle point
       problems", SIAM J. Optim. 15 (2004), 229-251.
    .. [2] Y. Gao, C. Kroer and D. Goldfarb, "Increasing iterate averaging for solving saddle-point
       problems", AAAI 2021, 35(9):7537-7544 (arXiv:1903.10646).

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import random_matrix_game
    >>> from optkit.problems import MatrixGame
    >>> game = MatrixGame(random_matrix_game(20, payoff="normal", seed=0))
    >>> res = optkit.solve(game, method="mirror_prox", tol=1e-6)
    >>> res.success, bool(res.gap <= 1e-6 * game.payoff_range)
    (True, True)
    """

    Options = MirrorProxOptions

    def init(self, x0: Any) -> SaddleState:
        return self.start_steps(x0)

    def step(self, state: SaddleState, measure: bool) -> SaddleState:
        p, o, g = self.problem, self.options, self.geometry
        z, eta, w = state.cur, state.eta, state.omega
        for _ in range(MAX_TRIALS):
            xh, yh = p.prox_x(z.x, z.KTy, eta / w, g), p.prox_y(z.y, z.Kx, eta * w, g)
            mid = Pair(xh, yh, p.apply_K(xh), p.apply_KT(yh))
            x, y = p.prox_x(z.x, mid.KTy, eta / w, g), p.prox_y(z.y, mid.Kx, eta * w, g)
            new = Pair(x, y, p.apply_K(x), p.apply_KT(y))
            if o.steps == "fixed":
                nxt = eta
                break
            coupling = inner(mid.KTy - z.KTy, xh - x) - inner(mid.Kx - z.Kx, yh - y)
            room = (w * (p.divergence_x(x, xh, g) + p.divergence_x(xh, z.x, g))
                    + (p.divergence_y(y, yh, g) + p.divergence_y(yh, z.y, g)) / w)
            limit = room / coupling if coupling > 0 and room > 0 else math.inf
            nxt = adapted_step(eta, limit, state.k + 1)
            if eta <= limit:
                break
            eta = nxt
        state = self.advance(state, new, mid, step=eta)
        state.eta = nxt
        return self.maybe_restart(state, adapt_weight=self.adapt_weight) if self.restart else state
