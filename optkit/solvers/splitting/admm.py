"""Consensus ADMM (parallel Douglas-Rachford splitting) for sums of K convex functions.

References: S. Boyd, N. Parikh, E. Chu, B. Peleato and J. Eckstein, "Distributed optimization and
statistical learning via the alternating direction method of multipliers", Found. Trends Mach.
Learn. 3 (2011), §7.1 (global consensus) and §3.4.1 (residual balancing); P. L. Combettes and
J.-C. Pesquet, "A proximal decomposition method for solving convex variational inverse problems",
Inverse Problems 24 (2008) (the same iteration as parallel Douglas-Rachford, PPXA).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...kernels import splitting as kernels
from ..base import Check, Options, Solver, option
from ...problems._splitting_terms import _Terms
from ._common import accepts, initial_dual

__all__ = ["ADMM"]


@dataclass(frozen=True, kw_only=True)
class ADMMOptions(Options):
    tol: float = option(1e-6, "stop when the relative optimality measure (duality gap where known) is <= tol")
    max_iter: int = option(10000, "iteration limit")
    check_every: int = option(10, "iterations between convergence checks")
    rho: float | None = option(None, "penalty rho; None: the mean Hessian eigenvalue of the least-squares "
                                     "terms, or without any the inverse of the smoothing whose gradients "
                                     "certify the start best", domain="(0, inf)")
    balance: bool = option(True, "residual balancing: rescale rho when the primal and dual residuals differ "
                                 "by more than balance_ratio")
    balance_ratio: float = option(20.0, "residual balancing threshold mu", domain="(1, inf)")
    balance_factor: float = option(2.0, "residual balancing factor tau", domain="(1, inf)")
    balance_every: int = option(5, "iterations between residual-balancing tests; rho changes when two tests "
                                   "in a row find the same imbalance", domain="int >= 1")
    relaxation: float = option(1.6, "over-relaxation alpha of the consensus step", domain="(0, 2)")


@dataclass
class _State:
    z: Any        # the consensus point (reported)
    U: Any        # scaled multipliers, one block per term
    rho: float
    V: Any        # subgradient candidates rho (z - u_i - x_i), one per term: the certificate's dual
    W: Any = None  # z - u_i, the points of the next prox steps (None: to be formed)
    k: int = 0
    primal: float = math.inf
    dual_res: float = math.inf
    rescales: int = 0
    imbalance: int = 0    # +1: the primal residual dominated at the last test, -1: the dual one, 0: neither


@register("admm", aliases=("consensus_admm",))
class ADMM(Solver):
    """Consensus ADMM on the exact terms: :math:`\\min \\sum_i f_i(x_i)` s.t. :math:`x_i = z`.

    .. math::
        x_i &= \\operatorname{prox}_{f_i/\\rho}(z - u_i)\\quad (i = 1..K,\\ \\text{all at once}),\\\\
        z^+ &= \\tfrac1K\\sum_i (\\alpha x_i + (1 - \\alpha) z + u_i),\\qquad
        u_i^+ = u_i + \\alpha x_i + (1 - \\alpha) z - z^+,

    the K proximal maps of the terms themselves (no smoothing), in one batched call per
    kind of term; with ``relaxation`` :math:`\\alpha = 1` it is Boyd et al.'s global
    consensus ADMM, equivalently Douglas-Rachford splitting on the product space (PPXA).
    Residual balancing (Boyd et al. §3.4.1): with the primal residual
    :math:`r = \\|(x_i - z^+)_i\\|` and the dual :math:`s = \\rho\\sqrt K\\|z^+ - z\\|`,
    :math:`\\rho` is multiplied by ``balance_factor`` when :math:`r > \\mu s` and divided when
    :math:`s > \\mu r` (:math:`\\mu` = ``balance_ratio``), the scaled multipliers rescaled
    with it; we act only when two tests in a row (``balance_every`` iterations apart) agree,
    since the first iterations' transient imbalance otherwise drives :math:`\\rho` away from a
    good start (deblurring 64 x 64: 600 instead of 130 iterations to a 1e-4 objective error).
    The threshold :math:`\\mu` is 20 rather than Boyd et al.'s suggested 10: with 10 the early
    imbalance halved :math:`\\rho` once too often on CS-MRI (iterations to a 1e-4 objective error:
    225 instead of 145 at 128 x 128, 300 instead of 170 at 256 x 256; deblurring 128 x 128: 190
    against 180, 64 x 64: 165 against 175).
    The starting :math:`\\rho` is the mean eigenvalue of the least-squares terms' Hessian
    (their typical curvature; 1 for denoising, the sampled fraction for MRI,
    :math:`\\approx 1/(4\\pi s^2)` for a Gaussian blur of width :math:`s`). The certificate's dual candidates are the subgradients
    :math:`\\rho(z - u_i - x_i) \\in \\partial f_i(x_i)` that the prox steps produce. The
    multipliers start from the gradients at the starting point of the terms (of their
    Moreau envelopes for nonsmooth terms, at the smoothing that certifies that point best).

    The iteration is Boyd et al.'s [1]_ §7.1 with over-relaxation (§3.4.3); Combettes &
    Pesquet's PPXA [2]_ is the same iteration written as parallel Douglas-Rachford splitting.
    The relative form of the balancing test follows Wohlberg [3]_.

    Parameters
    ----------
    problem : SumOfFunctions, TVImageRecovery, FermatWeber or FusedLasso
        A problem with the stacked-term capability (:func:`optkit.problems.k_terms`).
    options : ADMMOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-admm`.

    References
    ----------
    .. [1] S. Boyd, N. Parikh, E. Chu, B. Peleato and J. Eckstein, "Distributed
       optimization and statistical learning via the alternating direction method of
       multipliers", Found. Trends Mach. Learn. 3 (2011), 1-122.
    .. [2] P. L. Combettes and J.-C. Pesquet, "A proximal decomposition method for solving
       convex variational inverse problems", Inverse Problems 24 (2008), 065014.
    .. [3] B. Wohlberg, "ADMM penalty parameter selection by residual balancing",
       arXiv:1704.06209 (2017).

    Examples
    --------
    TV denoising of a 32 x 32 phantom, the terms' proximal maps exact:

    >>> import optkit
    >>> from optkit.datasets import noisy_image
    >>> from optkit.problems import TVImageRecovery
    >>> data = noisy_image("shepp_logan", 32, seed=0)
    >>> res = optkit.solve(TVImageRecovery(data.b, lam_tv=data.lam_tv), method="admm", tol=1e-6)
    >>> res.success, res.optimality <= 1e-6, res.dual.shape
    (True, True, (3, 32, 32))
    >>> sorted(res.info)
    ['rho', 'rho_rescales']
    """

    Options = ADMMOptions

    #: for the catalogue: the splitting problems (accepts() takes any problem with the stacked-term capability)
    problem_types = (_Terms,)

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        return accepts(problem)

    def init(self, x0: Any) -> _State:
        p, o = self.problem, self.options
        xp = self.xp
        z = p.initial_point() if x0 is None else x0
        start = initial_dual(p, z, 4.0, o.tol)
        curvature = p.curvature_scale()
        if o.rho is not None:
            rho = o.rho
        elif curvature is not None:
            rho = curvature
        elif start.sigma is not None:
            rho = 1.0 / start.sigma
        else:
            rho = max(L for L in p.term_lipschitz)
        U = -start.V / rho
        self._start = start.measures
        return _State(z=z, U=U - xp.mean(U, axis=0), rho=rho, V=start.V)

    def step(self, s: _State, measure: bool) -> _State:
        o = self.options
        K = s.U.shape[0]
        W = s.W if s.W is not None else s.z - s.U
        X = self.problem.prox_terms(W, 1.0 / s.rho)
        V, U, W, z, (r2, dz2, xx, zz, uu) = kernels.consensus_update(W, X, s.U, s.z, s.rho, o.relaxation)
        primal = math.sqrt(r2)
        dual_res = s.rho * math.sqrt(K * dz2)
        rho, rescales, imbalance = s.rho, s.rescales, s.imbalance
        if o.balance and (s.k + 1) % o.balance_every == 0:
            # residuals relative to their scales (Boyd et al. §3.3.1; Wohlberg 2017), so that the test
            # does not depend on the scaling of the problem
            p_rel = primal / max(math.sqrt(xx), math.sqrt(K * zz), 1e-300)
            d_rel = dual_res / max(rho * math.sqrt(uu), 1e-300)
            now = 1 if p_rel > o.balance_ratio * d_rel else -1 if d_rel > o.balance_ratio * p_rel else 0
            if now and now == imbalance:
                factor = o.balance_factor if now > 0 else 1.0 / o.balance_factor
                rho, U, W, rescales, now = rho * factor, U / factor, None, rescales + 1, 0
            imbalance = now
        return _State(z=z, U=U, rho=rho, V=V, W=W, k=s.k + 1, primal=primal, dual_res=dual_res, rescales=rescales,
                      imbalance=imbalance)

    def check(self, s: _State) -> Check:
        m = self._start if s.k == 0 else self.problem.measures(s.z, dual=s.V)
        m = {**m, "primal_residual": s.primal, "dual_residual": s.dual_res}
        return Check.of(s.z, m, dual=s.V)

    def info(self, s: _State) -> dict[str, Any]:
        return {"rho": s.rho, "rho_rescales": s.rescales}
