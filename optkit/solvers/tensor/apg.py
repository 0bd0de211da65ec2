"""Accelerated proximal gradient for the penalized (Lagrangian) robust tensor recovery models.

Reference: D. Goldfarb and Z. Qin, "Robust low-rank tensor recovery: models and
algorithms", SIAM J. Matrix Anal. Appl. 35 (2014), arXiv:1311.6182 (APG for the
Lagrangian mixture model, HoRPCA-MP); A. Beck and M. Teboulle, "A fast iterative
shrinkage-thresholding algorithm", SIAM J. Imaging Sci. 2 (2009); B. O'Donoghue and
E. Candes, "Adaptive restart for accelerated gradient schemes", FoCM 15 (2015).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...backend import get_namespace, inner
from ...kernels import soft_threshold
from ...problems.tensor import RobustTensorRecovery
from ..base import Check, Options, Solver, option

__all__ = ["TensorAPG"]


@dataclass(frozen=True, kw_only=True)
class TensorAPGOptions(Options):
    tol: float = option(1e-6, "stop when the proximal-gradient residual relative to the gradient, "
                              "(K+1) ||Z+ - Y|| / ||grad f(Y)||, is <= tol")
    max_iter: int = option(5000, "iteration limit")
    check_every: int = option(5, "iterations between convergence checks")
    continuation: bool = option(True, "start alpha where the solution is zero and shrink it to the target")
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
    t: float = 1.0
    step_norm: float = math.inf   # ||Z+ - Y||
    grad_norm: float = 0.0        # ||grad f(Y)|| over all blocks
    k: int = 0
    restarts: int = 0
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
    Continuation (paper: :math:`\\eta = 0.97`) starts from the smallest :math:`\\alpha` with a
    zero solution; the momentum restarts when it opposes the last step. The optimality measure
    is the gradient mapping relative to the gradient,
    :math:`\\|Z^+ - Y\\|/(s\\,\\|\\nabla f(Y)\\|)`: at a solution the gradient of the fit is
    balanced by a subgradient of the regularizer, so this is a scale-free KKT residual (a
    step relative to :math:`\\|Z\\|` stalls long before the optimum on these problems).
    """

    Options = TensorAPGOptions
    problem_types = (RobustTensorRecovery,)

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        return (isinstance(problem, RobustTensorRecovery) and problem.penalized
                and (problem.model == "mixture" or problem.n_blocks == 1))

    def init(self, x0: Any) -> _State:
        p, xp = self.problem, self.xp
        self.K = p.n_blocks
        self.s = 1.0 / (self.K + 1)
        zero = xp.zeros_like(p.T)
        if x0 is None:
            P, E = [zero] * self.K, zero
        else:
            X = x0[0] if isinstance(x0, tuple) else x0
            if tuple(X.shape) != p.shape:
                raise ValueError(f"x0 must be X or (X, E) with X of shape {p.shape}, got {tuple(X.shape)}")
            if isinstance(x0, tuple) and len(x0) > 2 and p.model == "mixture":
                P = [xp.astype(x0[2][k, ...], p.T.dtype) for k in range(self.K)]
            else:
                P = [xp.astype(X, p.T.dtype) / self.K] * self.K
            E = xp.astype(x0[1], p.T.dtype) if isinstance(x0, tuple) and len(x0) > 1 else zero
        alpha = p.alpha
        if self.options.continuation:
            alpha = max(alpha, self._zero_alpha())
        return _State(P=P, E=E, YP=list(P), YE=E, alpha=alpha)

    def _zero_alpha(self) -> float:
        """Smallest :math:`\\alpha` at which :math:`Z = 0` is optimal: the dual norms of :math:`P_\\Omega T`."""
        p, xp = self.problem, self.xp
        spectral = max(float(m.singular_values(p.T)[0]) for m in p.matricizations)
        return max(spectral, float(xp.max(xp.abs(p.T))) / p.lam)

    def step(self, s: _State, measure: bool = False) -> _State:
        p, o = self.problem, self.options
        xp = get_namespace(s.E)
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
        # ||Z+ - Y|| (the proximal-gradient residual) and the momentum test
        diff2 = 0.0
        for z, y in zip([E, *P], [s.YE, *s.YP]):
            d = z - y
            diff2 += inner(d, d)
        gnorm = math.sqrt(self.K + 1) * float(xp.linalg.vector_norm(G))
        restarts, t = s.restarts, s.t
        oppose = (inner(s.YE - E, E - s.E)
                  + sum(inner(s.YP[k] - P[k], P[k] - s.P[k]) for k in range(self.K))) > 0
        if o.restart and oppose:
            beta, t = 0.0, 1.0
            restarts += 1
        else:
            t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
            beta, t = (t - 1) / t_next, t_next
        YP = [P[k] + beta * (P[k] - s.P[k]) for k in range(self.K)] if beta else list(P)
        YE = E + beta * (E - s.E) if beta else E
        alpha = s.alpha
        if o.continuation and alpha > p.alpha:
            alpha = max(alpha * o.eta, p.alpha)
        return _State(P=P, E=E, YP=YP, YE=YE, alpha=alpha, t=t, step_norm=math.sqrt(diff2),
                      grad_norm=gnorm, k=s.k + 1, restarts=restarts, ranks=tuple(ranks))

    def solution(self, s: _State) -> Any:
        X = s.P[0]
        for v in s.P[1:]:
            X = X + v
        return self.problem.package(X, s.E, s.P)

    def check(self, s: _State) -> Check:
        p = self.problem
        x = self.solution(s)
        m = p.measures(x)
        fun = m.pop("fun")
        if s.alpha > p.alpha * (1 + 1e-12):
            opt = math.inf          # still on the continuation path: not the target problem yet
        elif s.step_norm == 0:
            opt = 0.0
        else:
            # the gradient mapping (Y - Z+)/s against the gradient it balances at a solution
            opt = s.step_norm / (self.s * s.grad_norm) if s.grad_norm > 0 else math.inf
        m["alpha"] = s.alpha
        return Check(x=x, fun=fun, optimality=opt, measures=m)

    def info(self, s: _State) -> dict[str, Any]:
        return {"restarts": s.restarts, "ranks": s.ranks, "alpha": s.alpha}
