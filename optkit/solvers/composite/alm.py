"""Alternating linearization methods of Goldfarb, Ma & Scheinberg: ALM, FALM and their skipping variants.

Reference: D. Goldfarb, S. Ma and K. Scheinberg, "Fast alternating linearization
methods for minimizing the sum of two convex functions", Math. Program. 141
(2013), arXiv:0912.4571; and K. Scheinberg, S. Ma and D. Goldfarb, "Sparse
inverse covariance selection via alternating linearization methods", NIPS 2010.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...backend import get_namespace
from ...functions import SquaredLoss
from ...problems.composite import CompositeProblem, SparseInverseCovariance, two_terms
from ..base import Check, Options, Solver, option
from ..momentum import Momentum, opposes

__all__ = ["ALM", "FastALM"]


@dataclass(frozen=True, kw_only=True)
class ALMOptions(Options):
    tol: float = option(1e-6, "stop when the relative optimality measure (duality gap where known) is <= tol")
    max_iter: int = option(5000, "iteration limit")
    check_every: int = option(5, "iterations between convergence checks")
    mu: float | None = option(None, "proximal parameter mu; None balances the curvature of f, tracking it "
                                    "along the iterates where f reports it", domain="(0, inf)")
    mu_min: float | None = option(None, "floor of the mu continuation; None means mu / 100",
                                    domain="(0, inf)")
    mu_factor: float = option(1.0, "continuation: mu <- max(mu / mu_factor, mu_min) every mu_every iterations",
                              domain="[1, inf)")
    mu_every: int = option(20, "iterations between continuation steps", domain="int >= 1")
    skipping: bool = option(False, "ALM-S: skip the x-step when the linearization of g fails to majorize it")
    skip_probe: int = option(5, "with skipping: after this many skips in a row, try the x-step only every "
                                "skip_probe iterations (1 tries it every time)", domain="int >= 1")


@dataclass(frozen=True, kw_only=True)
class FALMOptions(ALMOptions):
    skipping: bool = option(True, "FALM-S: skip the x-step when the linearization of g fails to majorize it "
                                  "(False is plain FALM, which needs a smooth g)")


@dataclass
class _State:
    y: Any            # the g-iterate (reported solution)
    lam: Any          # multiplier: -lam is a subgradient of g at y
    x: Any            # the last f-iterate
    mu: float
    mu_cap: float         # backtracking lets mu grow back up to this (the start, lowered by continuation)
    k: int = 0
    skipped: int = 0
    streak: int = 0       # consecutive skipped x-steps
    # FALM extrapolation
    zy: Any = None
    zlam: Any = None
    momentum: Momentum = Momentum()
    backtracks: int = 0


def default_mu(problem: Any) -> float:
    """A data-scaled starting ``mu`` for the alternating linearization methods.

    In the Peaceman-Rachford view of ALM the rate depends on :math:`\\mu` times
    the curvature of ``f``, so :math:`\\mu` is set to the inverse of a typical
    curvature: the geometric mean of the Hessian's eigenvalues where ``f``
    reports it (``typical_curvature``; for the log-determinant
    :math:`\\det(X)^{-2/p}`), and for least squares
    :math:`\\sqrt{L\\,\\ell}`, between the largest eigenvalue ``L`` and the mean
    one :math:`\\ell` of the Gram matrix (the smallest is 0 for a wide ``A``).
    """
    curvature = problem.f.typical_curvature(problem.initial_point())
    if curvature is not None:
        return 1.0 / curvature
    L = problem.f.lipschitz
    if isinstance(problem.f, SquaredLoss):
        xp = problem.xp
        A = problem.f.A
        ell = float(xp.sum(A * A)) / max(max(A.shape), 1)  # mean eigenvalue of the larger Gram side
        if not (L > 0 and math.isfinite(L) and math.isfinite(ell)):
            return 1.0
        return 1.0 / (math.sqrt(L) * math.sqrt(max(ell, 1e-12 * L)))  # no underflow of L * ell
    return 1.0 / L if L and math.isfinite(L) else 1.0


class _AlternatingLinearization(Solver):
    Options = ALMOptions
    # the classes the catalogue lists; accepts() takes any two-term problem (see two_terms)
    problem_types = (CompositeProblem,)
    accelerated = False

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        terms = two_terms(problem)
        return terms is not None and terms[0].has_prox and terms[1].has_prox

    def init(self, x0: Any) -> _State:
        p, o = self.problem, self.options
        xp = self.xp
        x = p.initial_point() if x0 is None else x0
        p.f.prepare_prox()
        L = p.f.lipschitz
        if o.mu is not None:
            mu = o.mu
        elif o.skipping and L:
            mu = 1.0 / L
        else:
            mu = default_mu(p)
        self.majorize = o.skipping and not (L and mu <= 1.0 / L)
        self.slack = 100 * float(xp.finfo(p.dtype).eps)  # rounding allowance in majorisation tests
        # mu follows the curvature of f unless the user fixed mu, asked for continuation or skipping
        self.adapt_mu = o.mu is None and o.mu_factor == 1.0 and not o.skipping
        self.mu_min = o.mu_min if o.mu_min is not None else mu / 100
        self.mu_floor = 1e-10 * mu  # backtracking stops here: below it rounding decides the test
        # First y-step from x0 so that -lam is a subgradient of g at y from the start.
        gx = p.f.grad(x)
        y = p.g.prox(x - mu * gx, mu)
        lam = gx - (x - y) / mu
        return _State(y=y, lam=lam, x=x, mu=mu, mu_cap=mu, zy=y, zlam=lam)

    def step(self, s: _State, measure: bool = False) -> _State:
        p, o = self.problem, self.options
        f, g, mu = p.f, p.g, s.mu
        xp = get_namespace(s.y)
        if self.majorize and mu < s.mu_cap:
            # As in backtracking FISTA: each iteration first tries a slightly larger mu, so that
            # one strongly curved region (log det near a singular X) does not shrink mu for good.
            mu = min(mu * 2.0 ** 0.25, s.mu_cap)
        zy, zlam = (s.zy, s.zlam) if self.accelerated else (s.y, s.lam)
        skipped, streak = s.skipped, s.streak
        # Skipping means linearising f at zy next, possible only inside dom f.
        can_skip = o.skipping and (not self.majorize or math.isfinite(f.value(zy)))
        if can_skip and streak >= o.skip_probe and s.k % o.skip_probe:
            # After skip_probe skips in a row the x-step is only tried every skip_probe iterations:
            # a skipped iteration is a proximal-gradient step, which the O(1/k) / O(1/k^2) analysis
            # allows at any time, so not computing an x-step that would be discarded is safe.
            x, gx = zy, f.grad(zy)
            skipped, streak = skipped + 1, streak + 1
        else:
            # x-step: minimise f + (linearisation of g at zy, slope -zlam) + ||x - zy||^2 / (2 mu)
            v = zy + mu * zlam
            x = f.prox(v, mu)
            gx = (v - x) / mu                     # = grad f(x) by the prox optimality condition
            streak = 0
            if can_skip:
                # An extrapolated z outside dom g (an indicator's set) has no linearisation: skip.
                d = x - zy
                model = g.value(zy) - float(xp.sum(zlam * d)) + float(xp.sum(d * d)) / (2 * mu)
                if not math.isfinite(model) or g.value(x) > model + self.slack * max(1.0, abs(model)):
                    x, gx = zy, f.grad(zy)
                    skipped, streak = skipped + 1, s.streak + 1
        # y-step: minimise g + (linearisation of f at x) + ||y - x||^2 / (2 mu). With skipping, the
        # theory needs this linearisation to majorise f (mu <= 1/L(f)); where L(f) is unknown or
        # exceeded, mu is halved until it does.
        backtracks = s.backtracks
        fx = f.value(x) if self.majorize else 0.0
        if self.majorize:
            # rounding of f and of <grad f, d> in this precision
            slack = self.slack * (abs(fx) + float(xp.linalg.vector_norm(x)) * float(xp.linalg.vector_norm(gx)))
        while True:
            y = g.prox(x - mu * gx, mu)
            if not self.majorize or mu <= self.mu_floor:
                break
            d = y - x
            if f.value(y) <= fx + float(xp.sum(gx * d)) + float(xp.sum(d * d)) / (2 * mu) + slack:
                break
            mu *= 0.5
            backtracks += 1
        lam = gx - (x - y) / mu
        new = _State(y=y, lam=lam, x=x, mu=mu, mu_cap=s.mu_cap, k=s.k + 1, skipped=skipped,
                     momentum=s.momentum, backtracks=backtracks, streak=streak)
        if self.accelerated:
            # Gradient-based adaptive restart: momentum that points against the latest proximal
            # step is dropped. With skipping, -zlam is no subgradient of g at zy, so an accepted
            # x-step is an ALM-S step without the lower-bound property the acceleration needs:
            # momentum is carried only through skipped (proximal-gradient) steps and restarts
            # after the others.
            accepted_x_step = o.skipping and streak == 0
            beta, new.momentum = s.momentum.advance(restart=accepted_x_step or opposes([(zy, y, s.y)]))
            new.zy = y + beta * (y - s.y)
            new.zlam = lam + beta * (lam - s.lam)
        if self.adapt_mu and new.k % o.mu_every == 0:
            # The curvature of f changes along the path (log det: with the spectrum of X), so
            # the balancing mu of default_mu is recomputed at the current f-iterate.
            curvature = f.typical_curvature(x)
            if curvature is not None:
                target = 1.0 / curvature
                if not 0.5 <= target / mu <= 2.0:
                    new.mu = target
        elif o.mu_factor > 1 and new.k % o.mu_every == 0 and mu > self.mu_min:
            # Continuation changes mu only after the multiplier update (the skip test must use
            # the mu that produced x). The multiplier stays a subgradient of g at y.
            new.mu = max(mu / o.mu_factor, self.mu_min)
            new.mu_cap = min(s.mu_cap, new.mu)
            if self.accelerated:
                new.zy, new.zlam, new.momentum = y, lam, new.momentum.reset()
        return new

    def check(self, s: _State) -> Check:
        p = self.problem
        # SICS: -lam is a subgradient of g at y, so -lam made feasible is a dual point, near the
        # solution a far better one than the problem's own from X (see SparseInverseCovariance.measures)
        pieces = {"dual": -s.lam} if isinstance(p, SparseInverseCovariance) else {}
        m = p.measures(s.y, **pieces)
        x = s.y
        if not math.isfinite(m["fun"]):
            # SICS: the sparse iterate may not be positive definite yet; report the f-iterate.
            m, x = p.measures(s.x, **pieces), s.x
        return Check.of(x, m, pieces.get("dual"))

    def info(self, s: _State) -> dict[str, Any]:
        return {"skipped": s.skipped, "restarts": s.momentum.restarts, "backtracks": s.backtracks, "mu": s.mu}


@register("alm", aliases=("alm_s",))
class ALM(_AlternatingLinearization):
    """Alternating linearization method (ALM; ALM-S with ``skipping=True``).

    Parameters
    ----------
    problem : CompositeProblem
        Or any problem with the :func:`~optkit.problems.two_terms` capability whose
        ``f`` and ``g`` both have a prox.
    options : ALMOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-alm`.

    Notes
    -----
    For :math:`\\min_x f(x) + g(x)` with smooth ``f``, each iteration takes

    .. math::
        x^{k+1} &= \\operatorname{prox}_{\\mu f}(y^k + \\mu\\lambda^k), \\\\
        y^{k+1} &= \\operatorname{prox}_{\\mu g}(x^{k+1} - \\mu\\nabla f(x^{k+1})), \\\\
        \\lambda^{k+1} &= \\nabla f(x^{k+1}) - (x^{k+1} - y^{k+1})/\\mu,

    where :math:`-\\lambda^k \\in \\partial g(y^k)` stands for the gradient of the
    linearised ``g`` (so ``g`` may be nonsmooth). With skipping, the x-step is
    replaced by :math:`x^{k+1} = y^k` whenever
    :math:`g(x^{k+1}) > g(y^k) - \\langle\\lambda^k, x^{k+1} - y^k\\rangle + \\|x^{k+1} - y^k\\|^2/(2\\mu)`,
    which keeps the O(1/k) guarantee for nonsmooth ``g`` ([1]_, Algorithms 1 and 3).
    The reported iterate is :math:`y^k`. The default :math:`\\mu` balances the
    curvature of ``f`` and is re-balanced along the iterates where ``f`` reports its
    curvature (our design; see :doc:`/composite`); for SICS the x-step is the
    closed-form prox of the log-determinant of [2]_.

    References
    ----------
    .. [1] D. Goldfarb, S. Ma and K. Scheinberg, "Fast alternating linearization
       methods for minimizing the sum of two convex functions", Math. Program.
       141 (2013), 349-382, arXiv:0912.4571.
    .. [2] K. Scheinberg, S. Ma and D. Goldfarb, "Sparse inverse covariance selection
       via alternating linearization methods", NIPS 2010.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> problem = optkit.problems.Lasso(**lasso_instance(50, 100, seed=0))
    >>> res = optkit.solve(problem, method="alm", tol=1e-8)
    >>> res.success, res.info["skipped"]
    (True, 0)
    >>> optkit.solve(problem, method="alm_s", tol=1e-8).success   # ALM-S, by its alias
    True
    """


@register("fast_alm", aliases=("falm", "falm_s"))
class FastALM(_AlternatingLinearization):
    """Fast alternating linearization method (FALM; FALM-S with ``skipping=True``).

    Parameters
    ----------
    problem : CompositeProblem
        Or any problem with the :func:`~optkit.problems.two_terms` capability whose
        ``f`` and ``g`` both have a prox.
    options : FALMOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-fast_alm`.

    Notes
    -----
    ALM with Nesterov/FISTA extrapolation of the pair :math:`(y, \\lambda)`:
    :math:`t_{k+1} = (1 + \\sqrt{1 + 4t_k^2})/2`,
    :math:`z^{k+1} = y^{k+1} + \\tfrac{t_k - 1}{t_{k+1}}(y^{k+1} - y^k)` and the
    same combination of multipliers, the next x-step starting from :math:`z`
    ([1]_, Algorithm 2, O(1/k^2) for smooth ``f`` and ``g``). For nonsmooth ``g`` the
    multiplier extrapolation and the safeguards are our design, not the paper's (its
    FALM-S could not be confirmed): the skipping test of ALM-S at ``z``, and a
    gradient-based adaptive restart [2]_ that resets :math:`t` when the momentum points
    against the last step.

    References
    ----------
    .. [1] D. Goldfarb, S. Ma and K. Scheinberg, "Fast alternating linearization
       methods for minimizing the sum of two convex functions", Math. Program.
       141 (2013), 349-382, arXiv:0912.4571.
    .. [2] B. O'Donoghue and E. Candes, "Adaptive restart for accelerated gradient
       schemes", Found. Comput. Math. 15 (2015), 715-732.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> problem = optkit.problems.Lasso(**lasso_instance(50, 100, seed=0))
    >>> res = optkit.solve(problem, method="fast_alm", tol=1e-8)
    >>> res.success, res.info["skipped"] > 0     # FALM-S skips x-steps on the Lasso
    (True, True)
    """

    Options = FALMOptions
    accelerated = True
