"""The classical robust-PCA solvers the Frank-Wolfe methods are measured against: iALM and APG.

- ``ialm``: the inexact augmented Lagrangian method of Lin, Chen & Ma ("The
  augmented Lagrange multiplier method for exact recovery of corrupted low-rank
  matrices", arXiv:1009.5055, 2010, Algorithm 5) for :class:`RobustPCA`, with
  missing entries absorbed by a free block on the unobserved positions.
- ``apg``: accelerated proximal gradient (FISTA, Beck & Teboulle 2009) on the
  penalised :class:`CompressivePCP`, with Lipschitz constant 2 as in Mu & Wright's
  ``fista.m`` baseline, and gradient-based adaptive restart (O'Donoghue & Candes 2015).

Both threshold singular values through a warm-started partial SVD
(:func:`optkit.lanczos.partial_svt`) whose block follows the rank.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .. import kernels
from ..backend import get_namespace, inner
from .._registry import register
from ..lanczos import PartialSVD, partial_svd, partial_svt, top_singular_triplet
from ..problems.lowrank import CompressivePCP, LowRankSparse, RobustPCA
from .base import Check, Options, Solver, option

__all__ = ["IALM", "APG"]


def _top_sigma(A: Any, V0: Any, tol: float) -> tuple[float, Any]:
    """sigma_1(A) from a block subspace iteration started at ``V0`` (plus two columns)."""
    xp = get_namespace(A)
    k = min((0 if V0 is None else V0.shape[1]) + 2, min(A.shape))
    svd, _ = partial_svd(A, k, V0, tol=tol, max_iter=200, by_value=True)
    return float(svd.s[0]), xp.reshape(svd.V[:, 0], (-1, 1))


def _empty(xp: Any, m: int, n: int, dtype: Any) -> PartialSVD:
    return PartialSVD(xp.zeros((m, 0), dtype=dtype), xp.zeros((0,), dtype=dtype), xp.zeros((n, 0), dtype=dtype))


@dataclass(frozen=True, kw_only=True)
class IALMOptions(Options):
    tol: float = option(1e-7, "stop when max(relative primal residual, relative duality gap) <= tol")
    max_iter: int = option(500, "iteration limit")
    rho: float = option(1.5, "growth factor of the penalty mu per iteration (Lin-Chen-Ma: 1.5)",
                              domain="[1, inf)")
    mu: float | None = option(None, "initial penalty; None: 1.25 / ||P M||_2 (Lin-Chen-Ma)",
                                    domain="(0, inf)")
    mu_max_ratio: float = option(1e7, "cap of mu relative to its start", domain="[1, inf)")
    svd_tol: float = option(1e-9, "relative residual of the partial SVD's kept triplets", domain="(0, 1)")
    balance: bool = option(True, "grow mu only while the primal residual exceeds 10x the dual residual, "
                                 "shrink it in the opposite case (residual balancing); False: always grow")


@dataclass
class _IALMState:
    L: Any
    S: Any
    Y: Any
    mu: float
    factors: PartialSVD
    k: int = 0
    yv: Any = None   # top right singular vector of Y (warm start of the certificate)
    residual_sq: float | None = None  # ||P(L + S - M)||^2 and ||S||_1, from the step's fused pass
    l1: float | None = None


class _AdaptiveSVD(Solver):
    """Partial SVDs only as accurate as the iterate needs: the residual target of the kept
    triplets is 1% of the last optimality measure, between ``svd_tol`` and 1e-4 [D]."""

    _last_optimality = math.inf

    def _svd_tol(self) -> float:
        return min(1e-4, max(self.options.svd_tol, 0.01 * self._last_optimality))

    def _seen(self, optimality: float) -> None:
        self._last_optimality = optimality


@register("ialm", aliases=("inexact_alm",))
class IALM(_AdaptiveSVD):
    """Inexact augmented Lagrangian method (Lin, Chen & Ma 2010) for :class:`~optkit.problems.RobustPCA`.

    .. math::
        L^{k+1} &= \\operatorname{SVT}_{1/\\mu_k}\\big(M - S^k + Y^k/\\mu_k + P_{\\Omega^c}L^k\\big), \\\\
        S^{k+1} &= P_\\Omega\\operatorname{soft}\\big(M - L^{k+1} + Y^k/\\mu_k,\\; \\lambda/\\mu_k\\big), \\\\
        Y^{k+1} &= Y^k + \\mu_k P_\\Omega(M - L^{k+1} - S^{k+1}), \\qquad \\mu_{k+1} = \\min(\\rho\\mu_k, \\bar\\mu),

    starting from :math:`Y^0 = P_\\Omega M / \\max(\\|P_\\Omega M\\|_2, \\|P_\\Omega M\\|_\\infty/\\lambda)`,
    :math:`\\mu_0 = 1.25/\\|P_\\Omega M\\|_2`, :math:`\\rho = 1.5`,
    :math:`\\bar\\mu = 10^7\\mu_0` (the authors' code). The term
    :math:`P_{\\Omega^c}L^k` is the minimiser over the unobserved entries of a free
    block that carries the constraint off :math:`\\Omega` (Lin-Chen-Ma's matrix
    completion variant). ``Y`` is the multiplier; the dual point
    :math:`Y/\\max(1, \\|Y\\|_2, \\|Y\\|_\\infty/\\lambda)` gives the duality gap.
    """

    Options = IALMOptions
    problem_types = (RobustPCA,)

    def init(self, x0: Any) -> _IALMState:
        p, o = self.problem, self.options
        xp = self.xp
        m, n = p.shape
        s1 = top_singular_triplet(p.M_obs, tol=1e-6).sigma
        if s1 == 0.0:
            s1 = 1.0  # M = 0 on Omega: (0, 0) is optimal and the first check says so
        inf = float(xp.max(xp.abs(p.M_obs)))
        Y = p.M_obs / max(s1, inf / p.lam, 1e-300)
        mu = o.mu if o.mu is not None else 1.25 / s1
        self.mu_max = mu * o.mu_max_ratio
        L, S = p.initial_point() if x0 is None else p.check_x0(x0)
        # a dense start has no factors yet: its nuclear norm is computed once, at the first check
        self._fresh_nuclear = x0 is not None
        return _IALMState(L=L, S=S, Y=Y, mu=mu, factors=_empty(xp, m, n, p.dtype))

    def step(self, s: _IALMState) -> _IALMState:
        p, o = self.problem, self.options
        mu = s.mu
        X = kernels.ialm_svt_input(p.M_obs, s.S, s.Y, s.L, p.W, mu)
        V0 = s.factors.V if s.factors.s.shape[0] else None
        L, factors = partial_svt(X, 1.0 / mu, V0, rank_guess=max(s.factors.s.shape[0], 1),
                                 tol=self._svd_tol(), oversample=max(5, s.factors.s.shape[0] // 2))
        del X
        # S-step, multiplier step and the two residuals in one pass
        S, Y, zz, dd, l1 = kernels.ialm_multiplier_step(p.M_obs, L, s.L, s.S, s.Y, p.W, mu, p.lam)
        self._fresh_nuclear = False
        new_mu = min(mu * o.rho, self.mu_max)
        if o.balance:
            # Residual balancing (Boyd et al. 2011, sec. 3.4.1) [D]: with missing entries the plain
            # geometric growth can freeze the iterates before the solution; the dual residual is the
            # change of the second block (S and the free block -P_{Omega^c} L).
            r_p = math.sqrt(zz)
            r_d = mu * math.sqrt(dd)
            if r_p < 10.0 * r_d:
                new_mu = mu / o.rho if r_d > 10.0 * r_p else mu
        return _IALMState(L=L, S=S, Y=Y, mu=new_mu, factors=factors, k=s.k + 1, yv=s.yv, residual_sq=zz, l1=l1)

    def check(self, s: _IALMState) -> Check:
        p = self.problem
        xp = self.xp
        nuc = None if self._fresh_nuclear else float(xp.sum(s.factors.s))
        V0 = s.factors.V if s.yv is None else xp.concat([s.yv, s.factors.V], axis=1)
        sigma, s.yv = _top_sigma(s.Y, V0, 1e-8)
        m = p.measures((s.L, s.S), dual=s.Y, nuclear=nuc, dual_sigma=sigma, l1=s.l1, residual_sq=s.residual_sq)
        fun, opt = m.pop("fun"), m.pop("optimality")
        self._seen(opt)
        return Check(x=LowRankSparse(s.L, s.S), fun=fun, optimality=opt, measures=m, dual=s.Y)

    def info(self, s: _IALMState) -> dict[str, Any]:
        return {"factors": s.factors, "rank": int(s.factors.s.shape[0]), "mu": s.mu}


@dataclass(frozen=True, kw_only=True)
class APGOptions(Options):
    tol: float = option(1e-4, "stop when the relative duality gap is <= tol")
    max_iter: int = option(5000, "iteration limit")
    restart: bool = option(True, "gradient-based adaptive restart of the momentum")
    svd_tol: float = option(1e-9, "relative residual of the partial SVD's kept triplets", domain="(0, 1)")
    continuation: bool = option(True, "scale both weights by c_k = max(eta^k c_0, 1), c_0 the smallest "
                                      "scale at which (0, 0) is optimal (Lin et al. 2009)")
    eta: float = option(0.9, "continuation factor per iteration", domain="(0, 1)")


@dataclass
class _APGState:
    L: Any
    S: Any
    L_prev: Any
    S_prev: Any
    factors: PartialSVD
    t: float = 1.0
    k: int = 0
    restarts: int = 0
    v: Any = None
    scale: float = 1.0  # continuation: the weights in use are scale * (lam_L, lam_S)


@register("apg", aliases=("fista_rpca",))
class APG(_AdaptiveSVD):
    """Accelerated proximal gradient for :class:`~optkit.problems.CompressivePCP`.

    With :math:`f(L,S) = \\tfrac12\\|P_\\Omega(L+S-M)\\|_F^2` (gradient Lipschitz
    constant 2 in the pair) and the extrapolated point :math:`(\\hat L, \\hat S)`,

    .. math::
        R &= P_\\Omega(\\hat L + \\hat S - M), \\\\
        L^{k+1} &= \\operatorname{SVT}_{\\lambda_L/2}(\\hat L - R/2), \\qquad
        S^{k+1} = \\operatorname{soft}(\\hat S - R/2,\\; \\lambda_S/2), \\\\
        t_{k+1} &= \\tfrac12(1 + \\sqrt{1 + 4t_k^2}), \\qquad
        (\\hat L, \\hat S) \\leftarrow X^{k+1} + \\tfrac{t_k - 1}{t_{k+1}}(X^{k+1} - X^k)

    (Beck & Teboulle 2009; Mu & Wright's ``fista.m`` for SPCP), the momentum being
    reset when it points against the last step (O'Donoghue & Candes 2015).
    With ``continuation`` both weights are multiplied by
    :math:`c_k = \\max(\\eta^k c_0, 1)`, :math:`c_0 = \\max(\\sigma_1(P_\\Omega M)/\\lambda_L,
    \\|P_\\Omega M\\|_\\infty/\\lambda_S)` (where :math:`(0, 0)` is optimal), as in the APG of
    Lin, Ganesh, Wright, Wu, Chen & Ma (2009): the early singular value thresholds keep a
    few triplets instead of hundreds. Stops on the relative duality gap of
    :class:`CompressivePCP` for the target weights (a valid bound at any iterate).
    """

    Options = APGOptions
    problem_types = (CompressivePCP,)

    def init(self, x0: Any) -> _APGState:
        p = self.problem
        m, n = p.shape
        L, S = p.initial_point() if x0 is None else p.check_x0(x0)
        factors = _empty(self.xp, m, n, p.dtype)
        self._fresh_nuclear = x0 is not None
        scale = 1.0
        if self.options.continuation and x0 is None:
            sigma, _ = _top_sigma(p.M_obs, None, 1e-6)
            scale = max(1.0, sigma / p.lam_L, float(self.xp.max(self.xp.abs(p.M_obs))) / p.lam_S)
        return _APGState(L=L, S=S, L_prev=L, S_prev=S, factors=factors, scale=scale)

    def step(self, s: _APGState) -> _APGState:
        p, o = self.problem, self.options
        t_next = (1.0 + math.sqrt(1.0 + 4.0 * s.t * s.t)) / 2.0
        beta = (s.t - 1.0) / t_next
        if beta > 0:
            YL = s.L + beta * (s.L - s.L_prev)
            YS = s.S + beta * (s.S - s.S_prev)
        else:
            YL, YS = s.L, s.S
        R = p.residual(YL, YS)
        V0 = s.factors.V if s.factors.s.shape[0] else None
        L, factors = partial_svt(YL - 0.5 * R, 0.5 * s.scale * p.lam_L, V0, rank_guess=max(s.factors.s.shape[0], 1),
                                 tol=self._svd_tol(), oversample=max(5, s.factors.s.shape[0] // 2))
        S = kernels.soft_threshold(YS - 0.5 * R, 0.5 * s.scale * p.lam_S)
        self._fresh_nuclear = False
        restarts = s.restarts
        if o.restart and beta > 0:
            # momentum against the proximal step: <Y - X+, X+ - X> > 0
            ip = inner(YL - L, L - s.L) + inner(YS - S, S - s.S)
            if ip > 0:
                t_next, restarts = 1.0, restarts + 1
        return _APGState(L=L, S=S, L_prev=s.L, S_prev=s.S, factors=factors, t=t_next, k=s.k + 1,
                         restarts=restarts, v=s.v, scale=max(s.scale * o.eta, 1.0))

    def check(self, s: _APGState) -> Check:
        p = self.problem
        xp = self.xp
        nuc = None if self._fresh_nuclear else float(xp.sum(s.factors.s))
        R, sq, _, rmax = kernels.lowrank_residual(s.L, s.S, p.M_obs, p.W)
        from ..functions.nuclear import nuclear_norm  # noqa: PLC0415

        nuc = nuclear_norm(s.L) if nuc is None else nuc
        fun = 0.5 * sq + p.lam_L * nuc + p.lam_S * float(xp.sum(xp.abs(s.S)))
        V0 = s.factors.V if s.v is None else xp.concat([s.v, s.factors.V], axis=1)
        sigma, s.v = _top_sigma(R, V0, 1e-10)
        gap, _ = p.dual_gap(fun, R, sq, sigma, rmax)
        self._seen(gap / max(fun, 1e-300))
        return Check(x=LowRankSparse(s.L, s.S), fun=fun, optimality=gap / max(fun, 1e-300), measures={"gap": gap})

    def info(self, s: _APGState) -> dict[str, Any]:
        return {"factors": s.factors, "rank": int(s.factors.s.shape[0]), "restarts": s.restarts}
