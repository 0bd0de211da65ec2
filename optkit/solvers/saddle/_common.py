"""What the saddle-point methods share: averaging options, the running weighted average, the
state, the check that reports both the average's and the last iterate's gaps, and PDLP-style
adaptive restarts.

Increasing iterate averaging (Gao, Kroer & Goldfarb, AAAI 2021, arXiv:1903.10646): the output
is :math:`\\bar z_T = \\sum_{t \\le T} w_t z_t / \\sum_{t \\le T} w_t` with :math:`w_t = t^q`, updated
in place as :math:`\\bar z \\leftarrow \\bar z + (w_t/S_t)(z_t - \\bar z)`, :math:`S_t = \\sum_{s \\le t} w_s`
(O(dim) per step, no stored history; the weights are host floats in float64, so
:math:`t^q` does not overflow for any practical ``t`` and ``q``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from ...backend import get_namespace
from ...kernels import saddle as kernels
from ...problems.saddle import SaddleProblem
from ..base import Check, Options, Solver, option

__all__ = ["MAX_TRIALS", "SaddleOptions", "StepOptions", "Pair", "SaddleState", "SaddleSolver", "Q_DEFAULT", "adapted_step"]

#: Default averaging exponent (weights t^q), from benchmarks/saddle.py: see docs/saddle.md.
Q_DEFAULT = 2.0

# PDLP's adaptive restart parameters (Applegate et al. 2021): necessary decay of the restart
# candidate's gap against the gap at the last restart, and the artificial restart after an epoch
# longer than this fraction of all iterations. The sufficient decay (PDLP: 0.2) and the steps
# between candidates (PDLP: 64) are the problem's (SaddleProblem.restart_sufficient, .restart_every).
BETA_NECESSARY, BETA_ARTIFICIAL = 0.8, 0.36

# Adaptive steps: reductions of a rejected step before the step is taken anyway.
MAX_TRIALS = 60


@dataclass(frozen=True, kw_only=True)
class SaddleOptions(Options):
    """Options of every saddle-point method: the averaging and the common run settings."""

    tol: float = option(1e-6, "stop when the problem's relative gap of the output is <= tol", domain="(0, inf)")
    max_iter: int = option(100000, "iteration limit", domain="int >= 0")
    check_every: int = option(10, "iterations between gap checks", domain="int >= 1")
    stall_checks: int = option(200, "stop with STALLED after this many checks in a row without a 0.1% better "
                                    "gap (0: never)", domain="int >= 0")
    averaging: str = option("increasing", "output: 'increasing' (weights t^q), 'uniform' (weights 1) or 'last' "
                                          "(the last iterate); the gaps of both the average and the last iterate "
                                          "are in the history", domain={"increasing", "uniform", "last"})
    q: float = option(Q_DEFAULT, "exponent of the increasing weights t^q (0: uniform, 1: linear)",
                      domain="[0, 64]")


def adapted_step(eta: float, limit: float, k: int) -> float:
    """PDLP's step-size update (Applegate et al. 2021, section 3.1): the next step after one whose
    largest admissible value was ``limit``, :math:`\\min((1 - (k+1)^{-0.3})\\,limit, (1 + (k+1)^{-0.6})\\,\\eta)`."""
    return min((1.0 - (k + 1) ** -0.3) * limit, (1.0 + (k + 1) ** -0.6) * eta)


@dataclass(frozen=True, kw_only=True)
class StepOptions(SaddleOptions):
    """Options of the methods with proximal steps (PDHG, mirror prox)."""

    geometry: str | None = option(None, "'euclidean', 'entropy' (Bregman steps: KL on simplices, dilated "
                                        "entropy on treeplexes) or 'preconditioned' (treeplexes: Euclidean in "
                                        "a diagonal metric); None: the problem's first",
                                  domain={"euclidean", "entropy", "preconditioned"})
    restart: str | None = option("auto", "None, 'adaptive' (restart to the average or the last point on "
                                         "sufficient decay of the gap, as PDLP) or 'auto' (the problem's choice, "
                                         "from the benchmarks)", domain={"adaptive", "auto", None})
    steps: str = option("adaptive", "'adaptive': PDLP's step rule on the method's (Bregman) step condition; "
                                    "'fixed': step_scale / L", domain={"adaptive", "fixed"})
    step_scale: float = option(1.0, "the first (fixed: every) step is step_scale / L with L = ||K|| in the "
                                    "geometry's norms", domain="(0, inf)")
    primal_weight: float | None = option(None, "w in tau = eta / w, sigma = eta w; None: the problem's estimate",
                                         domain="(0, inf)")
    adapt_weight: bool | None = option(None, "at restarts move w halfway (log scale) to ||dy|| / ||dx|| over the "
                                             "epoch (PDLP's primal-weight update); None: the problem's choice")


@dataclass(frozen=True)
class Pair:
    """A point of the averaged sequence with its products :math:`Kx` and :math:`K^Ty`."""

    x: Any
    y: Any
    Kx: Any
    KTy: Any

    def toward(self, other: "Pair", r: float) -> "Pair":
        """:math:`self + r(other - self)` block by block (a block the method does not keep stays ``None``)."""
        if r == 1.0:
            return other
        return Pair(*(None if a is None else kernels.lerp(a, b, r)
                      for a, b in zip((self.x, self.y, self.Kx, self.KTy), (other.x, other.y, other.Kx, other.KTy))))


@dataclass
class SaddleState:
    """``cur``: the iterate the method continues from; ``last``: the newest point of the averaged
    sequence (PDHG: ``cur``; mirror prox: the midpoint); ``avg``: the weighted average of the
    averaged sequence since the last restart, ``weight`` its total weight; ``t`` the steps since
    the last restart, ``k`` all steps; ``extra``: method-specific arrays (regrets ...)."""

    cur: Pair
    last: Pair
    avg: Pair
    weight: float = 0.0
    t: int = 0
    k: int = 0
    omega: float = 1.0
    eta: float = 1.0                  # the step size: tau = eta / omega, sigma = eta * omega
    extra: dict = field(default_factory=dict)
    anchor: Pair | None = None        # the point of the last restart (or the start)
    anchor_gap: float = math.inf      # its relative gap
    candidate_gap: float = math.inf   # the previous restart candidate's relative gap
    restarts: int = 0


class SaddleSolver(Solver):
    """Base of the saddle-point methods: start, averaging, restarts and the check."""

    problem_types = (SaddleProblem,)

    def weight_exponent(self) -> float:
        return 0.0 if self.options.averaging == "uniform" else self.options.q

    def first_state(self, x0: Any, omega: float = 1.0, extra: dict | None = None, with_KTy: bool = True) -> SaddleState:
        p = self.problem
        x, y = p.start(x0)
        cur = Pair(x, y, p.apply_K(x), p.apply_KT(y) if with_KTy else None)
        return SaddleState(cur=cur, last=cur, avg=cur, omega=omega, extra=dict(extra or {}), anchor=cur)

    def start_steps(self, x0: Any, reads_y: bool = False) -> SaddleState:
        """The first state of a method with proximal steps: geometry, ``L``, restart rule, primal weight, step
        (``reads_y``: the method uses the problem's :meth:`~SaddleProblem.primal_step` where it reads ``y`` alone,
        and keeps no :math:`K^Ty`)."""
        p, o = self.problem, self.options
        self.geometry = o.geometry or p.geometries[0]
        p.check_geometry(self.geometry)
        self.L = max(p.lipschitz(self.geometry), 1e-300)
        self.restart = p.default_restart if o.restart == "auto" else o.restart
        if o.adapt_weight is not None and not isinstance(o.adapt_weight, bool):
            raise ValueError(f"adapt_weight must be None, True or False, got {o.adapt_weight!r}")
        self.adapt_weight = p.adapt_primal_weight if o.adapt_weight is None else o.adapt_weight
        omega = o.primal_weight if o.primal_weight is not None else p.primal_weight(self.geometry)
        self.reads_y = reads_y and p.primal_step_reads_y(self.geometry)
        state = self.first_state(x0, omega, with_KTy=not self.reads_y)
        state.eta = o.step_scale / self.L
        return state

    def advance(self, state: SaddleState, cur: Pair, last: Pair, step: float = 1.0, **extra: Any) -> SaddleState:
        """The state after one step (updated in place): ``cur`` continues, ``last`` joins the average with weight
        :math:`\\eta_t t^q` (:math:`\\eta_t` the step the point was made with; constant steps give :math:`t^q`)."""
        t = state.t + 1
        w = step * float(t) ** self.weight_exponent()
        total = state.weight + w
        state.avg = last if state.t == 0 else state.avg.toward(last, w / total)
        state.cur, state.last, state.weight, state.t, state.k = cur, last, total, t, state.k + 1
        state.extra.update(extra)
        return state

    def output(self, state: SaddleState) -> Pair:
        return state.last if self.options.averaging == "last" else state.avg

    def check(self, state: SaddleState) -> Check:
        p = self.problem
        ours, other = (state.last, state.avg) if self.options.averaging == "last" else (state.avg, state.last)
        point, m = p.point_measures(ours.x, ours.y, ours.Kx, ours.KTy)
        m2 = p.pair_measures(other.x, other.y, other.Kx, other.KTy)
        gaps = (m["gap"], m2["gap"]) if self.options.averaging != "last" else (m2["gap"], m["gap"])
        if not math.isfinite(m["fun"]) and math.isfinite(m2["fun"]):
            ours, m = other, m2  # not a point of the problem's domain
            point = p.point(ours.x, ours.y)
        m = {**m, "gap_average": gaps[0], "gap_last": gaps[1]}
        return Check.of(point, m, dual=p.dual_point(ours.x, ours.y))

    def info(self, state: SaddleState) -> dict[str, Any]:
        return {"restarts": state.restarts, "primal_weight": state.omega}

    # -- adaptive restarts (Applegate, Lubin, Hinder et al., "Practical large-scale linear programming
    #    using primal-dual hybrid gradient", NeurIPS 2021; the restart scheme of PDLP) -------------------------------

    def maybe_restart(self, state: SaddleState, adapt_weight: bool) -> SaddleState:
        """Every ``problem.restart_every`` steps: the candidate is the average or the last point, whichever has the
        smaller relative gap; restart to it (the average starts over) on sufficient decay, on necessary
        decay without progress, or after a long epoch. With ``adapt_weight`` the primal weight moves
        halfway (in log scale) to :math:`\\|\\Delta y\\|/\\|\\Delta x\\|` over the epoch."""
        p = self.problem
        if state.k % p.restart_every:
            return state
        gap = lambda z: p.pair_measures(z.x, z.y, z.Kx, z.KTy)["optimality"]  # noqa: E731
        if state.anchor_gap == math.inf:
            state = replace(state, anchor_gap=gap(state.anchor))
        g_avg, g_last = gap(state.avg), gap(state.last)
        cand, g = (state.avg, g_avg) if g_avg <= g_last else (state.last, g_last)
        restart = (g <= p.restart_sufficient * state.anchor_gap
                   or (g <= BETA_NECESSARY * state.anchor_gap and g > state.candidate_gap)
                   or state.t >= BETA_ARTIFICIAL * state.k)
        if not restart or not math.isfinite(g):
            return replace(state, candidate_gap=g)
        omega = state.omega
        if adapt_weight:
            xp = get_namespace(cand.x)
            dx = float(xp.linalg.vector_norm(cand.x - state.anchor.x))
            dy = float(xp.linalg.vector_norm(cand.y - state.anchor.y))
            if dx > 1e-10 * (1.0 + float(xp.linalg.vector_norm(cand.x))) and dy > 0.0:
                omega = math.exp(0.5 * math.log(dy / dx) + 0.5 * math.log(omega))
        return replace(state, cur=cand, last=cand, avg=cand, weight=0.0, t=0, anchor=cand, anchor_gap=g,
                       candidate_gap=math.inf, restarts=state.restarts + 1, omega=omega)
