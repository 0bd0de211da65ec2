"""Accelerated proximal gradient (APG) for penalised compressive principal component pursuit.

References: A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for linear
inverse problems", SIAM J. Imaging Sci. 2 (2009), with Lipschitz constant 2 as in Mu & Wright's
``fista.m`` baseline; B. O'Donoghue and E. Candes, "Adaptive restart for accelerated gradient
schemes", Found. Comput. Math. 15 (2015); continuation as in Z. Lin, A. Ganesh, J. Wright, L. Wu,
M. Chen and Y. Ma, "Fast convex optimization algorithms for exact recovery of a corrupted
low-rank matrix" (2009).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ... import kernels
from ..._registry import register
from ...backend import inner
from ...kernels import rpca as rpca_kernels
from ...linalg import ThinSVD, nuclear_norm, partial_svt
from ...problems.rpca import CompressivePCP, LowRankSparse
from ..base import Check, Options, option
from ._partial import _AdaptiveSVD, _empty, _top_sigma

__all__ = ["PCPAPG"]


@dataclass(frozen=True, kw_only=True)
class PCPAPGOptions(Options):
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
    factors: ThinSVD
    t: float = 1.0
    k: int = 0
    restarts: int = 0
    v: Any = None
    scale: float = 1.0  # continuation: the weights in use are scale * (lam_L, lam_S)


@register("pcp_apg")
class PCPAPG(_AdaptiveSVD):
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

    Options = PCPAPGOptions
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

    def step(self, s: _APGState, measure: bool = False) -> _APGState:
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
        R, sq, _, rmax = rpca_kernels.lowrank_residual(s.L, s.S, p.M_obs, p.W)
        nuc = nuclear_norm(s.L) if nuc is None else nuc
        fun = 0.5 * sq + p.lam_L * nuc + p.lam_S * float(xp.sum(xp.abs(s.S)))
        V0 = s.factors.V if s.v is None else xp.concat([s.v, s.factors.V], axis=1)
        sigma, s.v = _top_sigma(R, V0, 1e-10)
        gap, _ = p.dual_gap(fun, R, sq, sigma, rmax)
        self._seen(gap / max(fun, 1e-300))
        return Check(x=LowRankSparse(s.L, s.S), fun=fun, optimality=gap / max(fun, 1e-300), measures={"gap": gap})

    def info(self, s: _APGState) -> dict[str, Any]:
        return {"factors": s.factors, "rank": int(s.factors.s.shape[0]), "restarts": s.restarts}
