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
from dataclasses import dataclass, replace
from typing import Any

from ..._registry import register
from ...backend import inner
from ..base import option
from ._common import Pair, SaddleOptions, SaddleSolver, SaddleState, adapted_step

__all__ = ["PDHG"]

MAX_TRIALS = 60  # step-size halvings before a step is taken anyway (never reached in the tests)


@dataclass(frozen=True, kw_only=True)
class PDHGOptions(SaddleOptions):
    geometry: str | None = option(None, "'euclidean' or 'entropy' (Bregman steps: KL on simplices, dilated "
                                        "entropy on treeplexes); None: the problem's first",
                                  domain={"euclidean", "entropy"})
    restart: str | None = option("auto", "None, 'adaptive' (restart to the average or the last iterate on "
                                         "sufficient decay of the gap, as PDLP) or 'auto' (the problem's choice, "
                                         "from the benchmarks)", domain={"adaptive", "auto", None})
    steps: str = option("adaptive", "'adaptive': PDLP's step rule on the Bregman form of the step condition; "
                                    "'fixed': tau sigma L^2 = step_scale^2", domain={"adaptive", "fixed"})
    step_scale: float = option(1.0, "the first (fixed: every) step is step_scale / L with L = ||K|| in the "
                                    "geometry's norms", domain="(0, inf)")
    primal_weight: float | None = option(None, "w in tau = eta / w, sigma = eta w; None: the problem's estimate",
                                         domain="(0, inf)")
    adapt_weight: bool = option(True, "at restarts move w halfway (log scale) to ||dy|| / ||dx|| over the epoch "
                                       "(PDLP's primal-weight update)")


@register("pdhg")
class PDHG(SaddleSolver):
    """Chambolle-Pock PDHG with increasing iterate averaging, adaptive steps and restarts.

    One step from :math:`(x_t, y_t)` with :math:`\\tau = \\eta/\\omega`, :math:`\\sigma = \\eta\\omega`:

    .. math::
        x_{t+1} = \\arg\\min_x \\langle K^Ty_t, x\\rangle + f(x) + D(x, x_t)/\\tau, \\qquad
        y_{t+1} = \\arg\\max_y \\langle K(2x_{t+1} - x_t), y\\rangle - g(y) - D(y, y_t)/\\sigma,

    two products with :math:`K` per step (:math:`Kx_{t+1}`, :math:`K^Ty_{t+1}`); the running
    averages of the products come along, so the gap of the average costs no product.

    Steps: ``"fixed"`` keeps :math:`\\eta = s/L` (:math:`\\tau\\sigma L^2 = s^2 \\le 1` is Chambolle and
    Pock's condition). ``"adaptive"`` (default) accepts a step when
    :math:`\\eta \\le (\\omega D(x_{t+1}, x_t) + D(y_{t+1}, y_t)/\\omega)
    / |\\langle K(x_{t+1} - x_t), y_{t+1} - y_t\\rangle|`,
    the condition each step of the ergodic analysis uses, and sets the next :math:`\\eta` by PDLP's
    rule (a rejected step is redone with the smaller :math:`\\eta`). This is PDLP's adaptive step
    (Applegate et al. 2021) with Bregman divergences in place of squared norms, our extension:
    with the unit-weight dilated entropy on Leduc poker the fixed step :math:`1/\\|A\\|` is far from
    admissible and the gap stalled near 0.3 (step 1) or crawled (step 0.01), while the adaptive
    steps converge (``docs/saddle.md``). The average weighs each point by :math:`\\eta_t t^q`.
    ``restart="adaptive"`` restarts as PDLP does (``_common.maybe_restart``); the average then
    runs over the current epoch.
    """

    Options = PDHGOptions

    def init(self, x0: Any) -> SaddleState:
        p, o = self.problem, self.options
        self.geometry = o.geometry or p.geometries[0]
        p.check_geometry(self.geometry)
        self.L = max(p.lipschitz(self.geometry), 1e-300)
        self.restart = p.default_restart if o.restart == "auto" else o.restart
        omega = o.primal_weight if o.primal_weight is not None else p.primal_weight(self.geometry)
        return replace(self.first_state(x0, omega), eta=o.step_scale / self.L)

    def step(self, state: SaddleState, measure: bool) -> SaddleState:
        p, o, g = self.problem, self.options, self.geometry
        z, eta, omega = state.cur, state.eta, state.omega
        for _ in range(MAX_TRIALS):
            x = p.prox_x(z.x, z.KTy, eta / omega, g)
            Kx = p.apply_K(x)
            y = p.prox_y(z.y, 2.0 * Kx - z.Kx, eta * omega, g)
            new = Pair(x, y, Kx, p.apply_KT(y))
            if o.steps == "fixed":
                nxt = eta
                break
            coupling = abs(inner(Kx - z.Kx, y - z.y))
            room = omega * p.divergence_x(x, z.x, g) + p.divergence_y(y, z.y, g) / omega
            limit = room / coupling if coupling > 0 and room > 0 else math.inf
            nxt = adapted_step(eta, limit, state.k + 1)
            if eta <= limit:
                break
            eta = nxt
        state = self.advance(state, new, new, step=eta)
        state.eta = nxt
        return self.maybe_restart(state, adapt_weight=o.adapt_weight) if self.restart else state
