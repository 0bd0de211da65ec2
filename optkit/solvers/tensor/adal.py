"""ADAL for robust tensor recovery: convex (``adal``) and Tucker-rank constrained (``adal_ncx``).

Reference: D. Goldfarb and Z. Qin, "Robust low-rank tensor recovery: models and
algorithms", SIAM J. Matrix Anal. Appl. 35 (2014), arXiv:1311.6182 (ADAL for HoRPCA-S,
with missing data, and the nonconvex HoRPCA-S-NCX).

Every configuration of :class:`~optkit.problems.RobustTensorRecovery` is written as the
two-block problem

.. math:: \\min_{u, z}\\; F(u) + G(z) \\quad\\text{s.t.}\\quad u = z

with :math:`u = (\\mathcal{L}_1, \\dots, \\mathcal{L}_K, \\mathcal{E})` -- one low-rank block per
matricization and the sparse block, all separable in ``F`` (singular-value thresholding and
soft-thresholding) -- and ``G`` the data model on :math:`z`: the indicator of the coupling
(singleton: :math:`z_1 = \\dots = z_K = \\mathcal{Y}` and :math:`P_\\Omega(\\mathcal{Y} + z_E) =
P_\\Omega\\mathcal{T}`; mixture: :math:`P_\\Omega(\\sum_k z_k + z_E) = P_\\Omega\\mathcal{T}`), or the
quadratic fit of the penalized form. Its prox is a closed-form averaging. The scaled ADMM

.. math::
    u^{k+1} = \\operatorname{prox}_{\\mu F}(z^k - \\Lambda^k),\\quad
    z^{k+1} = \\operatorname{prox}_{\\mu G}(u^{k+1} + \\Lambda^k),\\quad
    \\Lambda^{k+1} = \\Lambda^k + u^{k+1} - z^{k+1}

is Goldfarb & Qin's ADAL (their copies :math:`X_i` with constraints :math:`X_i = Y` are the
:math:`\\mathcal{L}_k = z_k` here, and their missing-data variant is the masked averaging). As a
two-block ADMM it converges for every fixed :math:`\\mu > 0`; the penalty is balanced on the
residuals a bounded number of times, and (singleton constrained model, all entries observed) shrunk
geometrically to a floor in the tail, finitely many changes again, which keeps that guarantee.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from ..._registry import register
from ...backend import get_namespace, inner
from ...kernels import soft_threshold
from ...kernels import tensor as tensor_kernels
from ...problems.tensor import RankConstrainedDual, RobustTensorRecovery, TensorStart
from ..base import Check, Options, Solver, option

__all__ = ["ADAL", "NonconvexADAL"]


#: Iteration limits when ``max_iter`` is None (the sublinear tails measured in ``docs/tensor.md``, Limits:
#: up to 19640 iterations on the mixture model's planted 20^3-30^3 instances, 20630 on the square norm's 8^4).
DEFAULT_MAX_ITER = 2000
MIXTURE_MAX_ITER = 40000
SQUARE_MAX_ITER = 40000


def _rel(num: float, den: float) -> float:
    if den > 0:
        return num / den
    return 0.0 if num == 0 else math.inf


@dataclass(frozen=True, kw_only=True)
class ADALOptions(Options):
    tol: float = option(1e-6, "stop when the problem's certificate (relative duality gap, and relative "
                              "infeasibility when constrained) is <= tol")
    max_iter: int | None = option(None, "iteration limit; None: 2000, and 40000 for the constrained mixture "
                                        "model and norm='square', where the tail is sublinear (measured in "
                                        "docs/tensor.md)")
    check_every: int = option(10, "iterations between convergence checks (each computes the objective and the "
                                  "certificate: a LAPACK singular-value pass and a spectral norm per "
                                  "matricization)")
    mu: float | None = option(None, "penalty parameter (the prox step of F); None: std of the observed entries "
                                    "of T", domain="(0, inf)")
    balance: bool = option(True, "rescale mu by 2 when one relative residual exceeds the other 10-fold")
    balance_every: int = option(10, "iterations between residual-balancing tests", domain="int >= 1")
    max_balance: int = option(30, "largest number of mu changes (bounded, so ADMM's convergence proof applies)",
                             domain="int >= 0")
    continuation: float = option(1.1, "tail continuation: once both relative residuals are <= switch_residual, "
                                      "mu <- mu / continuation every iteration (balancing stops); 1: off",
                                 domain="[1, inf)")
    continuation_range: float = option(30.0, "the continuation stops at mu_switch / continuation_range",
                                       domain="[1, inf)")
    switch_residual: float = option(1e-3, "relative primal and dual residuals at which the continuation starts",
                                    domain="(0, 1)")


@dataclass(frozen=True, kw_only=True)
class NCXOptions(ADALOptions):
    rank: Any = option(None, "Tucker rank bound: an int (every matricization) or one int per matricization; "
                             "None: the ranks a warm start's dual carries, else those of a convex ADAL "
                             "solution at tol 1e-4")
    balance: bool = option(False, "residual balancing (off: the paper's continuation drives mu)")
    continuation: float = option(1.0, "convex ADAL's tail continuation; off (1): mu_factor's continuation "
                                      "drives mu from the start", domain="[1, inf)")
    mu_factor: float = option(0.9, "continuation: mu <- max(mu_factor * mu, mu_min) every mu_every iterations",
                              domain="(0, 1]")
    mu_every: int = option(10, "iterations between continuation steps", domain="int >= 1")
    mu_min_ratio: float = option(1e-5, "mu_min = mu_min_ratio * starting mu", domain="(0, 1]")


@dataclass
class _State:
    L: list            # u: low-rank blocks
    E: Any             # u: sparse block
    Z: list            # z: low-rank blocks (singleton: one shared Y)
    ZE: Any            # z: sparse block
    Lam: list          # scaled multipliers of L_k = z_k
    LamE: Any          # scaled multiplier of E = z_E
    mu: float
    Zprev: list = field(default_factory=list)   # z before the step (singleton: [Y])
    ZEprev: Any = None
    k: int = 0
    balanced: int = 0
    mu_floor: float = 0.0  # > 0 once the tail continuation has started: where it stops
    step_mu: float = 0.0   # the mu the step that made this state thresholded with (0: no step yet)
    ranks: tuple = ()
    # fused singleton-constrained path (optkit.kernels.tensor.adal_singleton): flat stacked multipliers,
    # the next SVT inputs W_k = Y - Lam_k, and the squared norms of the residuals (None: not computed
    # by the step that made this state)
    LamS: Any = None
    W: Any = None
    norms: tuple | None = None


class _ADALBase(Solver):
    problem_types = (RobustTensorRecovery,)

    def __init__(self, problem: Any, options: Options) -> None:
        super().__init__(problem, options)
        if options.max_iter is None:
            self.options = dataclasses.replace(options, max_iter=self.default_max_iter())

    def default_max_iter(self) -> int:
        """The iteration limit when ``max_iter`` is None (``ADAL`` sets it per model)."""
        return DEFAULT_MAX_ITER

    # ------------------------------------------------------------------ setup
    def default_mu(self) -> float:
        """:math:`\\mu = \\mathrm{std}(P_\\Omega\\mathcal{T})` over the observed entries.

        Goldfarb & Qin's code uses :math:`10\\,\\mathrm{std}`; on the planted instances of
        ``benchmarks/tensor.py`` one standard deviation needs about half the iterations and the
        residual balancing corrects either choice."""
        p, xp = self.problem, self.xp
        T = p.observed(p.T)
        count = float(math.prod(p.shape)) if p.mask is None else float(xp.sum(xp.astype(p.mask, p.T.dtype)))
        mean = float(xp.sum(T)) / count
        var = float(xp.sum(p.observed((T - mean) ** 2))) / count
        std = math.sqrt(max(var, 0.0))
        return std if std > 0 else 1.0

    def init(self, x0: TensorStart | None) -> _State:
        """The start ``x0`` (a :class:`TensorStart`) or ``X = 0``; multipliers from its dual.

        The scaled multipliers are those the certificate reads back
        (:math:`\\Lambda_k = -\\mu\\beta W_k`, see :meth:`RobustTensorRecovery.measures`); without a
        dual they are zero, except for a penalized start, whose residual gives them
        (:math:`\\sum_k\\Lambda_k = \\Lambda_E = \\mu P_\\Omega(X + E - T)` at a fixed point). The
        constrained formulation takes ``E = P_Omega(T - X)`` (the z-block must be feasible).
        """
        p, xp = self.problem, self.xp
        self.single = not p.mixture
        self.K = p.n_blocks
        self.weight = p.weight
        mu = self.options.mu if self.options.mu is not None else self.default_mu()
        self.mu0 = mu
        start = x0 if x0 is not None else p.check_x0(p.initial_point())
        X = start.X
        E = start.E if p.penalized else p.observed(p.T - X)
        dual = start.dual.W if isinstance(start.dual, RankConstrainedDual) else start.dual
        zero = xp.zeros_like(p.T)
        if dual is not None:
            Lam = ([-mu * self.weight * dual[k, ...] for k in range(self.K)] if self.single
                   else [-mu * self.weight * p.observed(dual)] * self.K)
        elif p.penalized and x0 is not None:
            R = mu * p.observed(X + E - p.T)
            Lam = [R / self.K] * self.K if self.single else [R] * self.K
        else:
            Lam = [zero] * self.K
        LamE = p.observed(sum(Lam[1:], Lam[0])) if self.single else Lam[0]
        parts = [start.parts[k, ...] for k in range(self.K)] if p.mixture else None
        Z = [X] if self.single else parts
        L = [X] * self.K if self.single else list(parts)
        s = _State(L=L, E=E, Z=Z, ZE=E, Lam=Lam, LamE=LamE, mu=mu)
        s.Zprev, s.ZEprev = s.Z, s.ZE
        self.fused = self.single and not p.penalized
        # the tail continuation, where it was measured to pay (see ADAL's Notes)
        self.continuation = self.options.continuation if self.fused and p.fully_observed else 1.0
        if self.fused:
            n = int(math.prod(p.shape))
            self.flat = lambda a: xp.reshape(a, (n,))
            self.T_flat = self.flat(p.T)
            self.mask_flat = None if p.mask is None else self.flat(p.mask)
            s.LamS = xp.stack([self.flat(v) for v in Lam])
            s.LamE = self.flat(LamE)
            s.W = xp.reshape(self.flat(X), (1, n)) - s.LamS
        return s

    # ------------------------------------------------------------------ the u-step (prox of F)
    def low_rank_step(self, k: int, W: Any, mu: float) -> tuple[Any, int]:
        return self.problem.matricizations[k].shrink(W, mu * self.weight)

    def sparse_threshold(self, mu: float) -> float:
        return mu * self.weight * self.problem.lam

    # ------------------------------------------------------------------ the z-step (prox of G)
    def z_step(self, V: list, VE: Any, mu: float) -> tuple[list, Any]:
        """Prox of ``mu G`` at ``(V_1..V_K, V_E)``: closed-form averaging on the observed set."""
        p = self.problem
        xp = get_namespace(VE)
        K, T = self.K, p.T
        S = V[0]
        for v in V[1:]:
            S = S + v
        if self.single:
            if p.penalized:
                # min 1/2 |Y + zE - T|^2 + (sum_k |Y - V_k|^2 + |zE - VE|^2) / (2 mu), entrywise
                c = mu * (K + 1) / K
                s = (S / K + VE + c * T) / (1.0 + c)
                d = mu * (s - T)
                Y_obs, ZE_obs = (S - d) / K, VE - d
            else:
                Y_obs = (S + T - VE) / (K + 1)
                ZE_obs = T - Y_obs
            if p.mask is None:
                return [Y_obs], ZE_obs
            return [xp.where(p.mask, Y_obs, S / K)], xp.where(p.mask, ZE_obs, VE)
        R = S + VE - T
        d = R / (K + 1) if not p.penalized else (mu / (1.0 + (K + 1) * mu)) * R
        if p.mask is not None:
            d = xp.where(p.mask, d, xp.zeros_like(d))
        return [v - d for v in V], VE - d

    # ------------------------------------------------------------------ iteration
    def step(self, s: _State, measure: bool = False) -> _State:
        if self.fused:
            return self._fused_step(s, measure)
        mu = s.mu
        Zk = (lambda k: s.Z[0]) if self.single else (lambda k: s.Z[k])
        L, ranks = [], []
        for k in range(self.K):
            Lk, r = self.low_rank_step(k, Zk(k) - s.Lam[k], mu)
            L.append(Lk)
            ranks.append(r)
        E = soft_threshold(s.ZE - s.LamE, self.sparse_threshold(mu))
        V = [L[k] + s.Lam[k] for k in range(self.K)]
        VE = E + s.LamE
        Z, ZE = self.z_step(V, VE, mu)
        Zn = (lambda k: Z[0]) if self.single else (lambda k: Z[k])
        Lam = [V[k] - Zn(k) for k in range(self.K)]
        new = _State(L=L, E=E, Z=Z, ZE=ZE, Lam=Lam, LamE=VE - ZE, mu=mu, Zprev=s.Z, ZEprev=s.ZE,
                     k=s.k + 1, balanced=s.balanced, mu_floor=s.mu_floor, step_mu=mu, ranks=tuple(ranks))
        self.adjust_mu(new)
        return new

    def _fused_step(self, s: _State, measure: bool) -> _State:
        """The singleton constrained iteration: K thresholdings, then one fused pass for the rest.

        The pass also sums the residual norms when a check follows (``measure``) or the residual
        balancing tests this iteration."""
        p, o, xp = self.problem, self.options, self.xp
        L, ranks = [], []
        for k in range(self.K):
            Lk, r = self.low_rank_step(k, xp.reshape(s.W[k, ...], p.shape), s.mu)
            L.append(self.flat(Lk))
            ranks.append(r)
        k1 = s.k + 1
        want = measure or (k1 % o.balance_every == 0 and s.mu_floor == 0
                           and ((o.balance and s.balanced < o.max_balance) or self.continuation > 1))
        mu = self.continued_mu(s)   # in the tail continuation the pass also applies the next mu's scaling
        Y, ZE, LamE, LamS, W, norms = tensor_kernels.adal_singleton(
            tuple(L), s.LamS, s.W, self.flat(s.ZE), s.LamE, self.T_flat, self.mask_flat,
            self.sparse_threshold(s.mu), self.flat(s.Z[0]), want, mu / s.mu)
        new = _State(L=[], E=None, Z=[xp.reshape(Y, p.shape)], ZE=xp.reshape(ZE, p.shape), Lam=[], LamE=LamE,
                     mu=mu, Zprev=s.Z, k=k1, balanced=s.balanced, mu_floor=s.mu_floor, step_mu=s.mu,
                     ranks=tuple(ranks), LamS=LamS, W=W, norms=norms if want else None)
        if s.mu_floor == 0:
            self.adjust_mu(new)
        return new

    def continued_mu(self, s: _State) -> float:
        """The mu after this step in the tail continuation, ``max(mu / continuation, floor)`` (else mu)."""
        return max(s.mu / self.continuation, s.mu_floor) if s.mu_floor > 0 else s.mu

    def adjust_mu(self, s: _State) -> None:
        o = self.options
        if s.mu_floor > 0:
            if s.mu > s.mu_floor:
                self.rescale(s, self.continued_mu(s) / s.mu)
            return
        if s.k % o.balance_every:
            return
        if self.continuation > 1:
            r, d = self.residuals(s)
            if max(r, d) <= o.switch_residual:
                s.mu_floor = min(s.mu, self.mu0) / o.continuation_range
                return
        if not o.balance or s.balanced >= o.max_balance:
            return
        r, d = self.residuals(s)
        if r > 10 * d:
            factor = 0.5      # primal residual lags: stiffer penalty
        elif d > 10 * r:
            factor = 2.0
        else:
            return
        self.rescale(s, factor)
        s.balanced += 1

    @staticmethod
    def rescale(s: _State, factor: float) -> None:
        """``mu <- factor mu`` keeping the unscaled multipliers ``Lam / mu`` fixed."""
        s.mu *= factor
        s.Lam = [lam * factor for lam in s.Lam]
        s.LamE = s.LamE * factor
        if s.LamS is not None:
            xp = get_namespace(s.LamS)
            s.LamS = s.LamS * factor
            n = s.LamS.shape[1]
            s.W = xp.reshape(s.Z[0], (1, n)) - s.LamS

    # ------------------------------------------------------------------ measures
    def residuals(self, s: _State) -> tuple[float, float]:
        """Relative primal :math:`\\|u - z\\|/\\max(\\|u\\|,\\|z\\|)` and dual
        :math:`\\|z - z_{prev}\\|/\\|\\Lambda\\|` residuals of the ADMM (``inf`` where the step that
        made ``s`` did not sum them, and at the start)."""
        if s.k == 0:
            return math.inf, math.inf
        if s.LamS is not None:
            if s.norms is None:
                return math.inf, math.inf
            prim, nu, nz, dz, nl = s.norms
            return _rel(math.sqrt(prim), math.sqrt(max(nu, nz))), _rel(math.sqrt(dz), math.sqrt(nl))

        def sq(a: Any) -> float:
            return inner(a, a)

        Zk = (lambda Z, k: Z[0]) if self.single else (lambda Z, k: Z[k])
        prim = sum(sq(s.L[k] - Zk(s.Z, k)) for k in range(self.K)) + sq(s.E - s.ZE)
        nu = sum(sq(v) for v in s.L) + sq(s.E)
        nz = sum(sq(Zk(s.Z, k)) for k in range(self.K)) + sq(s.ZE)
        dz = sum(sq(Zk(s.Z, k) - Zk(s.Zprev, k)) for k in range(self.K)) + sq(s.ZE - s.ZEprev)
        nl = sum(sq(v) for v in s.Lam) + sq(s.LamE)
        return _rel(math.sqrt(prim), math.sqrt(max(nu, nz))), _rel(math.sqrt(dz), math.sqrt(nl))

    def solution(self, s: _State) -> Any:
        """The reported ``(X, E)``: feasible for the constrained formulation by construction."""
        p = self.problem
        if self.single:
            X = s.Z[0]
            E = p.observed(p.T - X) if not p.penalized else s.E
            return p.package(X, E)
        parts = s.L
        X = parts[0]
        for v in parts[1:]:
            X = X + v
        E = p.observed(p.T - X) if not p.penalized else s.E
        return p.package(X, E, parts)

    #: Singleton models: pass the u-step's exact subgradients rather than the multipliers (see :meth:`dual`).
    subgradient_dual = True

    def dual(self, s: _State) -> Any:
        """The dual candidate of :meth:`RobustTensorRecovery.measures` (``None`` where it needs none).

        Singleton models: the subgradients of the last u-step,
        :math:`W_k = (z_k^{\\text{old}} - \\Lambda_k^{\\text{old}} - \\mathcal{L}_k)/(\\mu\\beta)`, which meet
        :math:`\\|M_k(W_k)\\|_2 \\le 1` exactly (singular-value thresholding), written through the
        new multipliers as :math:`-\\Lambda_k/(\\mu\\beta) + (Y^{\\text{old}} - Y)/(\\mu\\beta)`; their
        sum misses the support and l-infinity conditions only by the last change of ``z``, which
        the problem's correction and clipping absorb. (On the 50^3 benchmark instance they gave a
        2-4 times smaller gap than the multipliers :math:`-\\Lambda_k/(\\mu\\beta)` alone, which are the
        candidate at the start and for ``adal_ncx``.) Constrained mixture: the multiplier
        :math:`-\\Lambda_E/(\\mu\\beta)` of the data constraint (every component's equals it).
        """
        p, xp = self.problem, self.xp
        if p.dual_shape is None:
            return None
        scale = -1.0 / (s.mu * self.weight)
        if not self.single:
            return xp.reshape(s.LamE, p.shape) * scale
        W = xp.reshape(s.LamS, (self.K,) + p.shape) * scale if s.LamS is not None else xp.stack(s.Lam) * scale
        if self.subgradient_dual and s.step_mu > 0:
            W = W + xp.reshape((s.Zprev[0] - s.Z[0]) * (1.0 / (s.step_mu * self.weight)), (1,) + p.shape)
        return W

    def check(self, s: _State) -> Check:
        x = self.solution(s)
        dual = self.dual(s)
        m = self.problem.measures(x, dual=dual)
        r, d = self.residuals(s)
        m.update(primal_residual=r, dual_residual=d)
        return Check.of(x, m, dual=dual)

    def info(self, s: _State) -> dict[str, Any]:
        return {"mu": s.mu, "ranks": s.ranks, "mu_changes": s.balanced, "mu_floor": s.mu_floor}


@register("adal", aliases=("horpca",))
class ADAL(_ADALBase):
    """Alternating direction augmented Lagrangian (ADAL) for HoRPCA, any model and formulation.

    Per iteration: one singular-value thresholding per matricization (through the small Gram
    side of the unfolding, :meth:`optkit.linalg.Matricization.shrink`), one
    soft-thresholding, one closed-form averaging and the multiplier update (Goldfarb & Qin,
    SIMAX 2014, Algorithm ADAL and its missing-data variant [1]_). Stops on the problem's
    certificate (:meth:`RobustTensorRecovery.measures`): the relative duality gap of a dual
    point built from the last step's subgradients or multipliers (:meth:`dual`, carried by
    ``Result.dual``), and for the constrained formulation the relative infeasibility, at most
    ``tol``. The ADMM's own relative primal and dual residuals
    are reported beside it (``primal_residual``, ``dual_residual``) and drive the balancing of
    ``mu``.

    **Tail continuation (a departure from the paper's fixed** ``mu`` **).** For the singleton constrained
    model with every entry observed, once both relative residuals are at most ``switch_residual`` (the rank
    and the support are then settled), balancing stops and :math:`\\mu \\leftarrow \\mu/1.1` every iteration
    down to :math:`\\min(\\mu, \\mu_0)/30` (``continuation``, ``continuation_range``; :math:`\\mu_0` the
    starting value), the increasing penalty of the inexact ALM (Lin, Chen & Ma [2]_; TensorLy's
    ``robust_pca``) applied only in the tail. Measured on the 80^3 benchmark instance (rank 5, 10%
    corruptions, :math:`\\lambda = 0.5/\\sqrt{n}`), iterations to recovery error 1e-3/1e-4/1e-5/1e-6:
    60/100/220/370 with balancing alone (its tail halvings and doublings of ``mu`` slow the linear tail),
    55/75/95/125 with the continuation; certified ``tol=1e-6`` after 230 against 155 iterations. What
    failed: shrinking ``mu`` from the first iteration (TensorLy's schedule from our start) stalled at
    recovery error 7e-2 after 300 iterations (50^3); a floor of :math:`\\mu_0/10^4` recovers the tensor to
    1e-15 but its multipliers, hence the certificate, lag (1e-6 certified after 185 against 135 iterations
    at 50^3); residual balancing that acts only when two tests agree still drifts ``mu`` down (80^3:
    recovery 1e-5 after 190 iterations); over-relaxation (1.6) and Anderson acceleration of the
    Douglas-Rachford variable (memory 5 and 10) did not remove the mixture model's slow tail (below). The
    continuation is off where it was measured to cost: penalized (30^3: 70 against 200-460 iterations),
    missing entries (30^3 half observed: 190 against 260 iterations; the Indian Pines crop of the gallery,
    48 x 48 x 32 with 20% missing: ``tol=1e-4`` after 200 iterations without, not within 3000 with), mixture
    (20^3, a sum of three mode-wise rank-2 components, every entry observed: gap 2e-5 against 6e-4 after
    3000 iterations).

    **Mixture model.** Outside the exact-recovery regime the constrained mixture's optimum is
    degenerate and the tail sublinear (``docs/tensor.md``, Limits; ``benchmarks/tensor_mixture.py``):
    the dual's active spectral-norm balls and the support of ``E`` keep growing, each new active
    constraint matched by an ever smaller new component, and ``fun`` itself lags as much as the
    dual bound. Hence the larger default ``max_iter`` (40000; planted 20^3-30^3 instances need up
    to 19640 iterations at the default ``lam``, 30^3 planted mixtures 520-6420). Separate penalties,
    restarted Halpern iterations, extrapolation, a polish over identified subspaces and a semismooth
    Newton ALM prototype did not change the tail. The tail continuation stays off here: it helps the
    all-observed planted mixtures (20^3: 1490 against 3160 iterations) but stalls the certificate on
    planted Tucker tensors (gap 5e-4 to 1.4e-3 after 5000 iterations against 1.2e-6 to 1.2e-5).

    Parameters
    ----------
    problem : RobustTensorRecovery
        The problem to solve.
    options : ADALOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-adal`.

    References
    ----------
    .. [1] D. Goldfarb and Z. Qin, "Robust low-rank tensor recovery: models and algorithms",
       SIAM J. Matrix Anal. Appl. 35 (2014), 225-253.
    .. [2] Z. Lin, M. Chen and Y. Ma, "The augmented Lagrange multiplier method for exact recovery of
       corrupted low-rank matrices", arXiv:1009.5055 (2010).

    Examples
    --------
    With missing entries (NaN off the mask):

    >>> import numpy as np
    >>> import optkit
    >>> from optkit.datasets import planted_tucker, relative_error
    >>> from optkit.problems import RobustTensorRecovery
    >>> planted = planted_tucker((10, 10, 10), 2, corruption=0.05, observed=0.8, seed=1)
    >>> observed = np.where(planted.mask, planted.T, np.nan)
    >>> res = optkit.solve(RobustTensorRecovery(observed, mask=planted.mask, lam=0.5), method="adal")
    >>> res.success, sorted(res.measures)
    (True, ['dual_residual', 'gap', 'infeasibility', 'primal_residual'])
    """

    Options = ADALOptions

    def default_max_iter(self) -> int:
        p = self.problem
        if p.penalized:
            return DEFAULT_MAX_ITER
        return MIXTURE_MAX_ITER if p.mixture else SQUARE_MAX_ITER if p.norm == "square" else DEFAULT_MAX_ITER


@register("adal_ncx", aliases=("horpca_ncx",))
class NonconvexADAL(_ADALBase):
    """Nonconvex ADAL (HoRPCA-S-NCX): Tucker rank constrained robust recovery.

    .. math::
        \\min\\; \\|\\mathcal{E}\\|_1 \\quad\\text{s.t.}\\quad
        \\mathcal{X} + \\mathcal{E} = \\mathcal{T},\\;
        \\operatorname{rank}(M_k(\\mathcal{X})) \\le r_k

    The ADAL iteration with singular-value thresholding replaced by the rank-:math:`r_k`
    truncation and the l1 threshold :math:`\\mu`, and continuation
    :math:`\\mu \\leftarrow \\max(0.9\\mu, \\mu_{\\min})` every 10 iterations (Goldfarb & Qin 2014,
    HoRPCA-S-NCX [1]_). There is no convergence guarantee; with the right or an over-estimated rank
    it reaches the planted tensor in the recovery regime. Applies, as in the paper, to the
    singleton constrained model with every entry observed (missing data: ``adal``).

    The reported ``X`` is the averaged iterate projected onto the ranks (truncated HOSVD; a
    rank-:math:`r` truncation for the square matricization), ``E = T - X``, so the answer is
    feasible for the rank-constrained model; ``fun`` is the convex objective there.
    ``optimality`` is :meth:`RobustTensorRecovery.rank_constrained_measures` with the
    multipliers :math:`W_k = -\\Lambda_k/\\mu` and the ranks (``Result.dual`` is a
    :class:`~optkit.problems.RankConstrainedDual`). It certifies first-order stationarity: no
    direction tangent to the tensors of those multilinear ranks decreases
    :math:`\\|\\mathcal{T} - \\mathcal{X}\\|_1` (to relative accuracy ``tol``). It does **not**
    certify global optimality of the rank-constrained model, nor anything about the convex
    model: the stationary points it reached on 5 x 5 x 5 rank-1 tensors with 20-40%
    corruptions sit 5-50% above the convex optimum in ``fun``.

    Parameters
    ----------
    problem : RobustTensorRecovery
        The problem to solve.
    options : NCXOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-adal_ncx`.

    References
    ----------
    .. [1] D. Goldfarb and Z. Qin, "Robust low-rank tensor recovery: models and algorithms",
       SIAM J. Matrix Anal. Appl. 35 (2014), 225-253.

    Examples
    --------
    >>> import math
    >>> import optkit
    >>> from optkit.datasets import planted_tucker, relative_error
    >>> from optkit.problems import RobustTensorRecovery
    >>> planted = planted_tucker((10, 10, 10), 2, corruption=0.05, seed=1)
    >>> problem = RobustTensorRecovery(planted.T, lam=2 / math.sqrt(10))
    >>> res = optkit.solve(problem, method="adal_ncx", rank=2)
    >>> res.success, bool(relative_error(res.x.X, planted.X) < 1e-6)
    (True, True)
    """

    Options = NCXOptions
    #: the multipliers, projected by the certificate onto the normal space, measured slightly tighter
    subgradient_dual = False

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        return (isinstance(problem, RobustTensorRecovery) and not problem.mixture and not problem.penalized
                and problem.fully_observed)

    def init(self, x0: TensorStart | None) -> _State:
        s = super().init(x0)
        carried = x0.dual.ranks if x0 is not None and isinstance(x0.dual, RankConstrainedDual) else None
        self.ranks = self._ranks(carried)
        self.mu_min = self.options.mu_min_ratio * s.mu
        return s

    def _ranks(self, carried: tuple | None) -> tuple[int, ...]:
        """The ``rank`` option, else the ranks a warm start's dual carries, else an estimate."""
        p, rank = self.problem, self.options.rank
        mats = p.matricizations
        if rank is None:
            return carried if carried is not None else self._estimate_ranks()
        ranks = (rank,) * len(mats) if isinstance(rank, int) and not isinstance(rank, bool) else tuple(rank)
        if len(ranks) != len(mats) or not all(isinstance(r, int) and not isinstance(r, bool) and r >= 1
                                              for r in ranks):
            raise ValueError(f"rank must be a positive int or {len(mats)} positive ints (one per "
                             f"matricization), got {rank!r}")
        return tuple(min(r, min(m.matrix_shape)) for r, m in zip(ranks, mats))

    def _estimate_ranks(self) -> tuple[int, ...]:
        """Ranks of a convex ADAL solution at ``tol = 1e-4``: in the recovery regime the convex model
        already finds the Tucker rank, and the nonconvex iteration then removes its bias."""
        from ..base import run  # noqa: PLC0415

        # without the tail continuation: its smaller thresholds let spurious small singular values
        # through the last SVT (rank (3, 4, 3) for a planted (3, 3, 3) at 20^3)
        res = run(ADAL(self.problem, ADALOptions(tol=1e-4, max_iter=1000, continuation=1.0)), None, None, False)
        return tuple(max(1, int(r)) for r in res.info["ranks"])

    def low_rank_step(self, k: int, W: Any, mu: float) -> tuple[Any, int]:
        return self.problem.matricizations[k].truncate(W, self.ranks[k]), self.ranks[k]

    def sparse_threshold(self, mu: float) -> float:
        return mu

    def adjust_mu(self, s: _State) -> None:
        o = self.options
        super().adjust_mu(s)
        if s.k % o.mu_every == 0 and s.mu > self.mu_min:
            self.rescale(s, max(o.mu_factor * s.mu, self.mu_min) / s.mu)

    def solution(self, s: _State) -> Any:
        p = self.problem
        X = p.rank_project(s.Z[0], self.ranks)
        return p.package(X, p.T - X)

    def dual(self, s: _State) -> RankConstrainedDual:
        return RankConstrainedDual(super().dual(s), self.ranks)

    def info(self, s: _State) -> dict[str, Any]:
        out = super().info(s)
        out["ranks"] = self.ranks
        return out
