"""Accelerated proximal gradient for the penalized (Lagrangian) robust tensor recovery models.

Reference: D. Goldfarb and Z. Qin, "Robust low-rank tensor recovery: models and
algorithms", SIAM J. Matrix Anal. Appl. 35 (2014), arXiv:1311.6182 (APG for the
Lagrangian mixture model, HoRPCA-MP); A. Beck and M. Teboulle, "A fast iterative
shrinkage-thresholding algorithm", SIAM J. Imaging Sci. 2 (2009); B. O'Donoghue and
E. Candes, "Adaptive restart for accelerated gradient schemes", FoCM 15 (2015).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...kernels import soft_threshold
from ...problems.tensor import RobustTensorRecovery, TensorStart
from ..base import Check, Options, Solver, option
from ..momentum import Momentum, opposes

__all__ = ["TensorAPG"]


@dataclass(frozen=True, kw_only=True)
class TensorAPGOptions(Options):
    tol: float = option(1e-6, "stop when the problem's relative duality gap at the iterate is <= tol")
    max_iter: int = option(5000, "iteration limit")
    check_every: int = option(5, "iterations between convergence checks")
    continuation: bool = option(True, "from the default start: begin with the alpha where the solution is zero "
                                      "and shrink it to the target")
    eta: float = option(0.97, "continuation factor per iteration: alpha_k = max(eta^k alpha_0, alpha)",
                        domain="(0, 1)")
    restart: bool = option(True, "adaptive (gradient) restart of the momentum")


@dataclass
class _State:
    P: list          # low-rank blocks (components)
    E: Any
    YP: list         # extrapolated point
    YE: Any
    alpha: float     # current regularisation weight (continuation)
    momentum: Momentum = Momentum()
    k: int = 0
    ranks: tuple = ()


@register("tensor_apg", aliases=("horpca_apg",))
class TensorAPG(Solver):
    """Accelerated proximal gradient (FISTA) for the penalized HoRPCA models.

    On the blocks :math:`Z = (\\mathcal{P}_1, \\dots, \\mathcal{P}_K, \\mathcal{E})`,

    .. math::
        \\min_Z\\; \\tfrac12\\Big\\|P_\\Omega\\Big(\\sum_k \\mathcal{P}_k + \\mathcal{E} - \\mathcal{T}\\Big)\\Big\\|_F^2
        + \\alpha\\Big(\\sum_k \\|M_k(\\mathcal{P}_k)\\|_* + \\lambda\\|\\mathcal{E}\\|_1\\Big),

    whose smooth part has a gradient with Lipschitz constant :math:`K+1`, so the step is
    :math:`1/(K+1)` and the prox splits into one singular-value thresholding per block and a
    soft-thresholding (Goldfarb & Qin 2014, HoRPCA-MP; FISTA of Beck & Teboulle 2009). This is
    the mixture model (``K = N``) and the singleton model with one matricization (Square Deal);
    the singleton sum of nuclear norms of one tensor has no closed-form prox -- use ``adal``.
    From the default start, continuation (paper: :math:`\\eta = 0.97`) begins at the smallest
    :math:`\\alpha` with a zero solution; a given ``x0`` starts at the target :math:`\\alpha`.
    The momentum (:class:`~optkit.solvers.momentum.Momentum`) restarts when it opposes the last
    step (O'Donoghue & Candes 2015). The certificate is the problem's relative duality gap at
    the reported iterate :math:`Z^+` (the residual is the dual point,
    :meth:`RobustTensorRecovery.measures`), also during the continuation.
    """

    Options = TensorAPGOptions
    problem_types = (RobustTensorRecovery,)

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        return (isinstance(problem, RobustTensorRecovery) and problem.penalized
                and (problem.mixture or problem.n_blocks == 1))

    def init(self, x0: TensorStart | None) -> _State:
        p, xp = self.problem, self.xp
        self.K = p.n_blocks
        self.s = 1.0 / (self.K + 1)
        if x0 is None:
            zero = xp.zeros_like(p.T)
            P, E = [zero] * self.K, zero
        else:
            P = [x0.parts[k, ...] for k in range(self.K)] if p.mixture else [x0.X]
            E = x0.E
        alpha = p.alpha
        if self.options.continuation and x0 is None:
            alpha = max(alpha, self._zero_alpha())
        return _State(P=P, E=E, YP=list(P), YE=E, alpha=alpha)

    def _zero_alpha(self) -> float:
        """Smallest :math:`\\alpha` at which :math:`Z = 0` is optimal: the dual norms of :math:`P_\\Omega T`."""
        p, xp = self.problem, self.xp
        spectral = max(m.spectral_norm(p.T) for m in p.matricizations)
        return max(spectral, float(xp.max(xp.abs(p.T))) / p.lam)

    def step(self, s: _State, measure: bool = False) -> _State:
        p, o = self.problem, self.options
        step = self.s
        S = s.YE
        for y in s.YP:
            S = S + y
        G = p.observed(S - p.T)                       # gradient w.r.t. every block
        P, ranks = [], []
        for k, m in enumerate(p.matricizations):
            Pk, r = m.shrink(s.YP[k] - step * G, step * s.alpha)
            P.append(Pk)
            ranks.append(r)
        E = soft_threshold(s.YE - step * G, step * s.alpha * p.lam)
        restart = o.restart and opposes([(s.YE, E, s.E), *zip(s.YP, P, s.P)])
        beta, momentum = s.momentum.advance(restart)
        YP = [P[k] + beta * (P[k] - s.P[k]) for k in range(self.K)] if beta else list(P)
        YE = E + beta * (E - s.E) if beta else E
        alpha = s.alpha
        if o.continuation and alpha > p.alpha:
            alpha = max(alpha * o.eta, p.alpha)
        return _State(P=P, E=E, YP=YP, YE=YE, alpha=alpha, momentum=momentum, k=s.k + 1, ranks=tuple(ranks))

    def solution(self, s: _State) -> Any:
        X = s.P[0]
        for v in s.P[1:]:
            X = X + v
        return self.problem.package(X, s.E, s.P)

    def check(self, s: _State) -> Check:
        x = self.solution(s)
        m = self.problem.measures(x)
        m["alpha"] = s.alpha
        return Check.of(x, m)

    def info(self, s: _State) -> dict[str, Any]:
        return {"restarts": s.momentum.restarts, "ranks": s.ranks, "alpha": s.alpha}
