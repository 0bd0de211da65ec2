"""Chambolle-Pock's primal-dual hybrid gradient with Euclidean or Bregman (entropic) steps,
increasing iterate averaging, adaptive step sizes and PDLP-style adaptive restarts.

References: A. Chambolle & T. Pock, "A first-order primal-dual algorithm for convex problems with
applications to imaging", JMIV 40 (2011); "On the ergodic convergence rates of a first-order
primal-dual algorithm", Math. Program. 159 (2016) (Bregman steps); Y. Gao, C. Kroer &
D. Goldfarb, "Increasing iterate averaging for solving saddle-point problems", AAAI 2021;
D. Applegate et al., "Practical large-scale linear programming using primal-dual hybrid
gradient", NeurIPS 2021 (adaptive steps, restarts, primal weight).
"""
from __future__ import annotations

import math
from typing import Any

from ..._registry import register
from ._common import MAX_TRIALS, Pair, SaddleSolver, SaddleState, StepOptions, adapted_step

__all__ = ["PDHG"]



@register("pdhg")
class PDHG(SaddleSolver):
    """Chambolle-Pock PDHG with increasing iterate averaging, adaptive steps and restarts.

    One step from :math:`(x_t, y_t)` with :math:`\\tau = \\eta/\\omega`, :math:`\\sigma = \\eta\\omega`:

    .. math::
        x_{t+1} = \\arg\\min_x \\langle K^Ty_t, x\\rangle + f(x) + D(x, x_t)/\\tau, \\qquad
        y_{t+1} = \\arg\\max_y \\langle K(2x_{t+1} - x_t), y\\rangle - g(y) - D(y, y_t)/\\sigma,

    two products with :math:`K` per step (:math:`Kx_{t+1}`, :math:`K^Ty_{t+1}`); the running
    averages of the products come along, so the gap of the average costs no product. The half-steps
    are the problem's ``primal_step`` and ``dual_step`` (by default ``prox_x`` with :math:`Kx`, and
    ``prox_y`` with the step test's inner products); a problem whose ``primal_step`` reads ``y`` itself
    (the Fisher market's one-pass kernel) keeps no :math:`K^Ty`.

    Steps: ``"fixed"`` keeps :math:`\\eta = s/L` (:math:`\\tau\\sigma L^2 = s^2 \\le 1` is Chambolle and
    Pock's condition). ``"adaptive"`` (default) accepts a step when
    :math:`\\eta \\le (\\omega D(x_{t+1}, x_t) + D(y_{t+1}, y_t)/\\omega)
    / |\\langle K(x_{t+1} - x_t), y_{t+1} - y_t\\rangle|`,
    the condition each step of the ergodic analysis uses, and sets the next :math:`\\eta` by PDLP's
    rule (a rejected step is redone with the smaller :math:`\\eta`). This is PDLP's adaptive step
    (Applegate et al. 2021) with Bregman divergences in place of squared norms, our extension:
    with the weighted dilated entropy on Leduc poker the fixed step :math:`1/L` barely moves (gap 2.7
    after 3000 steps), while the adaptive steps move (``docs/saddle.md``). The average weighs each point by :math:`\\eta_t t^q`.
    ``restart="adaptive"`` restarts as PDLP does (``_common.maybe_restart``); the average then
    runs over the current epoch.

    The method is Chambolle and Pock's [1]_, with Bregman steps as in their ergodic analysis [2]_;
    the output is the average with increasing weights of Gao, Kroer and Goldfarb [3]_; steps,
    restarts and the primal weight :math:`\\omega` follow PDLP [4]_.

    Parameters
    ----------
    problem : SaddleProblem
        The problem to solve.
    options : StepOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-pdhg`.

    References
    ----------
    .. [1] A. Chambolle and T. Pock, "A first-order primal-dual algorithm for convex problems with
       applications to imaging", J. Math. Imaging Vis. 40 (2011), 120-145.
    .. [2] A. Chambolle and T. Pock, "On the ergodic convergence rates of a first-order primal-dual
       algorithm", Math. Program. 159 (2016), 253-287.
    .. [3] Y. Gao, C. Kroer and D. Goldfarb, "Increasing iterate averaging for solving saddle-point
       problems", AAAI 2021, 35(9):7537-7544 (arXiv:1903.10646).
    .. [4] D. Applegate, M. Diaz, O. Hinder, H. Lu, M. Lubin, B. O'Donoghue and W. Schudy,
       "Practical large-scale linear programming using primal-dual hybrid gradient", NeurIPS 2021.

    Examples
    --------
    A random matrix game; the history holds the gaps of both the average and the last iterate:

    >>> import optkit
    >>> from optkit.datasets import random_matrix_game
    >>> from optkit.problems import MatrixGame
    >>> game = MatrixGame(random_matrix_game(30, 20, seed=1))
    >>> res = optkit.solve(game, method="pdhg", tol=1e-6)
    >>> res.success, res.x.x.shape, res.x.y.shape
    (True, (30,), (20,))
    >>> bool(game.measures(res.x)["optimality"] <= 1e-6)
    True
    """

    Options = StepOptions

    def init(self, x0: Any) -> SaddleState:
        return self.start_steps(x0, reads_y=True)

    def step(self, state: SaddleState, measure: bool) -> SaddleState:
        p, o, g = self.problem, self.options, self.geometry
        z, eta, omega = state.cur, state.eta, state.omega
        for _ in range(MAX_TRIALS):
            x, Kx, dx, hint = p.primal_step(z.x, z.y, z.KTy, eta / omega, g, state.extra.get("primal_hint"))
            y, coupling, dy = p.dual_step(z.y, Kx, z.Kx, eta * omega, g, test=o.steps != "fixed")
            new = Pair(x, y, Kx, None if self.reads_y else p.apply_KT(y))
            if o.steps == "fixed":
                nxt = eta
                break
            coupling = abs(coupling)
            dx = p.divergence_x(x, z.x, g) if dx is None else dx
            room = omega * dx + dy / omega
            limit = room / coupling if coupling > 0 and room > 0 else math.inf
            nxt = adapted_step(eta, limit, state.k + 1)
            if eta <= limit:
                break
            eta = nxt
        state = self.advance(state, new, new, step=eta, primal_hint=hint)
        state.eta = nxt
        return self.maybe_restart(state, adapt_weight=self.adapt_weight) if self.restart else state
