"""The inexact augmented Lagrangian method (iALM) for robust PCA, the baseline the Frank-Wolfe
methods are measured against.

Reference: Z. Lin, M. Chen and Y. Ma, "The augmented Lagrange multiplier method for exact
recovery of corrupted low-rank matrices", arXiv:1009.5055 (2010), Algorithm 5, with missing
entries absorbed by a free block on the unobserved positions. Singular values are thresholded
through a warm-started partial SVD (:func:`optkit.linalg.partial_svt`) whose block follows the rank.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...kernels import rpca as rpca_kernels
from ...linalg import ThinSVD, partial_svt, top_singular_triplet
from ...problems.rpca import LowRankSparse, RobustPCA
from ..base import Check, Options, option
from ._partial import _AdaptiveSVD, _empty, _top_sigma

__all__ = ["IALM"]


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
    factors: ThinSVD
    k: int = 0
    yv: Any = None   # top right singular vector of Y (warm start of the certificate)
    residual_sq: float | None = None  # ||P(L + S - M)||^2 and ||S||_1, from the step's fused pass
    l1: float | None = None


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

    def step(self, s: _IALMState, measure: bool = False) -> _IALMState:
        p, o = self.problem, self.options
        mu = s.mu
        X = rpca_kernels.ialm_svt_input(p.M_obs, s.S, s.Y, s.L, p.W, mu)
        V0 = s.factors.V if s.factors.s.shape[0] else None
        L, factors = partial_svt(X, 1.0 / mu, V0, rank_guess=max(s.factors.s.shape[0], 1),
                                 tol=self._svd_tol(), oversample=max(5, s.factors.s.shape[0] // 2))
        del X
        # S-step, multiplier step and the two residuals in one pass
        S, Y, zz, dd, l1 = rpca_kernels.ialm_multiplier_step(p.M_obs, L, s.L, s.S, s.Y, p.W, mu, p.lam)
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
