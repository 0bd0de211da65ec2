"""The inexact augmented Lagrangian method (iALM) for robust PCA, the baseline the Frank-Wolfe
methods are measured against.

Reference: Z. Lin, M. Chen and Y. Ma, "The augmented Lagrange multiplier method for exact
recovery of corrupted low-rank matrices", arXiv:1009.5055 (2010), Algorithm 5, with missing
entries absorbed by a free block on the unobserved positions. Singular values are thresholded
through a warm-started partial SVD (:func:`optkit.linalg.partial_svt`) whose block follows the rank.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...kernels import rpca as rpca_kernels
from ...linalg import ThinSVD, top_singular_triplet
from ...problems._rpca_base import SIGMA_TOL
from ...problems.rpca import LowRankSparse, LowRankSparseDual, RobustPCA
from ..base import Check, Options, Solver, option
from ._partial import (accurate_sigma, certify, deflated_first, deflation_pays, deflation_width, low_gram_accurate,
                       ritz_sigma, start, svd_tolerance, threshold_deflated, threshold_route, warm_block)

__all__ = ["IALM"]

#: The multiplier's top singular value is estimated at every step by this many sweeps of a block
#: subspace iteration started at the last estimate's vector and the leading right singular vectors of L
#: (at most :data:`_SIGMA_BLOCK` of them): a Ritz value, a lower bound on sigma_1(Y).
_SIGMA_SWEEPS = 2
_SIGMA_BLOCK = 4

#: The dense thresholding deflates its input by at most this many leading right singular vectors of L,
#: those whose singular values would otherwise take more than 1% of the float32 part's error budget
#: (see ``_IALM._threshold``).
_DEFLATE = 4

#: Up to this rank the multiplier step's pass forms L from its factors (r multiply-adds an entry, in
#: place of reading a dense L that a BLAS product wrote: 0.066 s for rank 1 on 25344 x 1000).
_FUSE_RANK = 8

def _refcounts(arrays: tuple) -> list:
    """``sys.getrefcount`` of each entry of ``arrays``, as seen from inside this function."""
    return [sys.getrefcount(arrays[i]) for i in range(len(arrays))]


#: What ``_refcounts`` reports for an object that a tuple alone holds, measured once on this interpreter
#: (so that a different counting of the references on the stack, as in newer CPythons, shifts both); -1
#: (no reuse) outside CPython and on free-threaded builds, where another thread may take a reference
#: between the count and the write.
_ALONE = (_refcounts((object(),))[0]
          if sys.implementation.name == "cpython" and getattr(sys, "_is_gil_enabled", lambda: True)() else -1)


def _unheld(arrays: tuple) -> tuple:
    """The entries of the state's ``spare`` tuple that nothing else holds (so that the step may write
    over them), ``None`` for the others; all ``None`` outside CPython, whose reference counts this reads
    (NumPy's elision of temporaries reads them the same way)."""
    if not arrays:
        return (None, None, None)
    return tuple(a if n == _ALONE else None for a, n in zip(arrays, _refcounts(arrays)))


#: mu shrinks while sigma_1(Y) - 1 exceeds this many times the relative primal residual (see ``step``).
_DUAL_SHRINK = 100.0


@dataclass(frozen=True, kw_only=True)
class IALMOptions(Options):
    tol: float = option(1e-7, "stop when max(relative primal residual, relative duality gap) <= tol")
    max_iter: int = option(5000, "iteration limit (Lin-Chen-Ma's code: 1000; short noise-free videos need "
                                 "up to about 1800 iterations)")
    rho: float = option(1.5, "growth factor of the penalty mu per iteration (Lin-Chen-Ma: 1.5)",
                              domain="[1, inf)")
    mu: float | None = option(None, "initial penalty; None: 1.25 / ||P M||_2 (Lin-Chen-Ma)",
                                    domain="(0, inf)")
    mu_max_ratio: float = option(1e7, "cap of mu relative to its start", domain="[1, inf)")
    svd_tol: float = option(1e-9, "smallest relative residual of the partial SVD's kept triplets "
                                  "(the target is 10% of the relative residuals, at most 1e-4)", domain="(0, 1)")
    balance: bool = option(True, "grow mu only while the primal residual exceeds 10x the dual residual, "
                                 "shrink it in the opposite case or while the multiplier's dual infeasibility "
                                 "sigma_1(Y) - 1 exceeds 100x the relative primal residual, the factor's exponent "
                                 "halved at each reversal and restored when the rank of L falls; False: always grow")


@dataclass
class _IALMState:
    L: Any
    S: Any
    Y: Any
    mu: float
    factors: ThinSVD | None      # of L; None for a dense start (not yet factored)
    svd_tol: float               # accuracy of the next partial SVD
    k: int = 0
    mu_exponent: float = 1.0     # balancing: mu changes by rho ** mu_exponent (halved at each reversal)
    mu_direction: int = 0        # balancing: the direction of the last change of mu (+1, -1; 0: none yet)
    mu_restored: int = 0         # balancing: how often the exponent was restored to 1 (the rank of L fell)
    # pieces of the certificate at (L, S, Y), all from the step: the fused pass gives the first two,
    # the two-sweep estimate of sigma_1(Y) the last ones; None before the first step
    residual_sq: float | None = None
    l1: float | None = None
    dual_sigma: float | None = None
    dual_max: float | None = None    # max |P_Omega Y|, from the fused pass
    dual_data: float | None = None   # <P_Omega Y, P_Omega M>, from the fused pass
    yv: Any = None               # right singular vector of sigma_1(Y) (warm start of the next)
    svt_dense: bool = False      # the next thresholding takes the dense route at once (see threshold_route)
    scratch: Any = None          # a float32 m x n buffer the dense route writes its deflated input into and drops
    # (L, S, Y) of the state before: the step writes its L, S and Y over those that nothing else holds any
    # more (the run loop keeps the last and the best check's arrays), as fresh 25344 x 1000 arrays cost
    # 0.03 s each in page faults (the fused multiplier pass: 0.19 s into new arrays, 0.10 s into old ones)
    spare: tuple = ()


@register("ialm", aliases=("inexact_alm",))
class IALM(Solver):
    """Inexact augmented Lagrangian method (Lin, Chen & Ma 2010) for :class:`~optkit.problems.RobustPCA`.

    .. math::
        L^{k+1} &= \\operatorname{SVT}_{1/\\mu_k}\\big(M - S^k + Y^k/\\mu_k + P_{\\Omega^c}L^k\\big), \\\\
        S^{k+1} &= P_\\Omega\\operatorname{soft}\\big(M - L^{k+1} + Y^k/\\mu_k,\\; \\lambda/\\mu_k\\big), \\\\
        Y^{k+1} &= Y^k + \\mu_k P_\\Omega(M - L^{k+1} - S^{k+1}), \\qquad \\mu_{k+1} = \\min(\\rho\\mu_k, \\bar\\mu),

    starting from :math:`Y^0 = P_\\Omega M / \\max(\\|P_\\Omega M\\|_2, \\|P_\\Omega M\\|_\\infty/\\lambda)`,
    :math:`\\mu_0 = 1.25/\\|P_\\Omega M\\|_2`, :math:`\\rho = 1.5`,
    :math:`\\bar\\mu = 10^7\\mu_0` (the authors' code) [1]_. The term
    :math:`P_{\\Omega^c}L^k` is the minimiser over the unobserved entries of a free
    block that carries the constraint off :math:`\\Omega` (Lin-Chen-Ma's matrix
    completion variant). ``Y`` is the multiplier, reported as the result's ``dual``; the
    problem's certificate scales it to a dual feasible point.

    ``x0`` may be ``(L, S)``, with ``L`` dense or a :class:`~optkit.linalg.ThinSVD`, or
    ``(L, S, Y)`` with a multiplier to start from (a previous result's ``(*x, dual)``): a start
    at a solution and its multiplier is certified at once.

    Our departures from the paper: residual balancing of :math:`\\mu` (option ``balance``, see
    ``step``) with the exponent of its factor halved at each reversal, so that an alternation of
    :math:`\\mu` dies out (our rule, after He, Yang & Wang's condition of summable changes [2]_;
    without it :math:`\\mu` kept alternating on ``lowrank_sparse_instance(30, 20, seed=3)`` and the
    iterates stayed at a relative gap of 3e-3 for 3000 iterations, where they now converge in about
    500) and restored to 1 when the rank of ``L`` falls (at most ``min(m, n)`` times); :math:`\\mu`
    also shrinks while the multiplier's dual infeasibility :math:`\\sigma_1(Y) - 1` exceeds 100 times
    the relative primal residual (:math:`\\sigma_1(Y)` estimated at every step by two warm-started
    subspace sweeps, the estimate the checks use too). On the 25344 x 1000 video the residual rule
    alone held :math:`\\mu` at 1.44 while the rank of ``L`` fell from 37 by excess singular values
    that shrank by a constant amount per step, proportional to :math:`1/\\mu`: 100 iterations left a
    relative gap of 7e-3 at rank 4; with both rules it converges in 85. Partial SVDs accurate to
    10% of the current residuals (``svd_tol`` the floor; see ``svd_tolerance``), taking the dense
    route at once after a thresholding whose subspace iteration handed over to it, until the rank
    changes (see ``threshold_route``: on the video near the solution the singular values at the
    threshold cluster, and each step swept as long as the dense route costs before handing over),
    and on long float64 data from a Gram matrix whose part orthogonal to the leading right vectors of
    ``L`` is formed in float32 while its rounding stays within a tenth of that accuracy at the
    threshold, kept while a singular value lies within 5% below the threshold (see ``_threshold``:
    0.51 -> 0.28 s a step on the video, the same iterates);
    an iteration limit of 5000 instead of the authors' 1000: on short noise-free videos the tail is
    slow in the iterate itself, not in its certificate (``surveillance_video(12)`` and ``(40)`` need
    about 1760 and 1600 iterations; docs/rpca.md, Known limitations).

    Parameters
    ----------
    problem : RobustPCA
        The problem to solve.
    options : IALMOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-ialm`.

    References
    ----------
    .. [1] Z. Lin, M. Chen and Y. Ma, "The augmented Lagrange multiplier method for exact
       recovery of corrupted low-rank matrices", arXiv:1009.5055 (2010).
    .. [2] B. S. He, H. Yang and S. L. Wang, "Alternating direction method with self-adaptive
       penalty parameters for monotone variational inequalities", J. Optim. Theory Appl. 106
       (2000), 337-356.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lowrank_sparse_instance
    >>> from optkit.problems import RobustPCA
    >>> M, L0, S0, mask = lowrank_sparse_instance(40, 30, observed=0.8, seed=0)
    >>> res = optkit.solve(RobustPCA(M, mask=mask), method="ialm", tol=1e-8)
    >>> res.success, res.dual.shape
    (True, (40, 30))
    """

    Options = IALMOptions
    problem_types = (RobustPCA,)

    def init(self, x0: Any) -> _IALMState:
        p, o = self.problem, self.options
        xp = self.xp
        s1 = top_singular_triplet(p.M_obs, tol=1e-6).sigma
        if s1 == 0.0:
            s1 = 1.0  # M = 0 on Omega: (0, 0) is optimal and the first check says so
        mu = o.mu if o.mu is not None else 1.25 / s1
        self.mu_max = mu * o.mu_max_ratio
        self.rms = max(p.norm_M / math.sqrt(p.n_observed), 1e-300)
        L, S, factors = start(p, x0)
        if isinstance(x0, LowRankSparseDual):
            Y = x0.Y if p.W is None else x0.Y * p.W
        else:
            Y = p.M_obs / max(s1, float(xp.max(xp.abs(p.M_obs))) / p.lam, 1e-300)
        return _IALMState(L=L, S=S, Y=Y, mu=mu, factors=factors, svd_tol=svd_tolerance(math.inf, o.svd_tol))

    def step(self, s: _IALMState, measure: bool) -> _IALMState:
        p, o = self.problem, self.options
        mu = s.mu
        L, factors, svt_dense, scratch = self._threshold(s)
        reuse = _unheld(s.spare)
        if L is None and factors.rank > _FUSE_RANK:
            L = rpca_kernels.lowrank_dense(factors.U, factors.s, factors.V, p.shape, p.dtype, out=reuse[0])
        # S-step, multiplier step, the two residuals and the certificate's sums over Y in one pass, which
        # forms L from its factors where the deflated route left it to it (a low rank)
        lowrank = None if L is not None else (factors.U * factors.s, factors.V)
        L, S, Y, zz, dd, l1, ym, ymax, rows = rpca_kernels.ialm_multiplier_step(p.M_obs, L, s.L, s.S, s.Y, p.W, mu,
                                                                                p.lam, factors=lowrank, out=reuse)
        del reuse
        r_p = math.sqrt(zz)
        r_d = mu * math.sqrt(dd)
        # sigma_1(Y) at every step (a two-sweep Ritz value, warm-started): the balancing reads it and the
        # check takes it as its loose estimate, so the iterates do not depend on check_every
        lead = factors.V[:, :min(factors.rank, _SIGMA_BLOCK)] if factors.rank else None
        sigma, yv = ritz_sigma(Y, warm_block(s.yv, lead), _SIGMA_SWEEPS, row_norms=rows)
        new_mu = min(mu * o.rho, self.mu_max)
        exponent, direction, restored = s.mu_exponent, s.mu_direction, s.mu_restored
        if o.balance:
            # Residual balancing (Boyd et al. 2011, sec. 3.4.1), our departure from the paper: with
            # missing entries the plain geometric growth froze the iterates before the solution; the
            # dual residual is the change of the second block (S and the free block -P_{Omega^c} L).
            # r_d is scale-free (mu ~ 1/data, like Y); r_p is measured in units of a tenth of the RMS
            # observed entry, so the iterates do not depend on the data's scale (comparing the raw r_p,
            # the rule stalled below scale 1e-3). The unit was measured: a tenth of the RMS took 50-56
            # instead of 61-71 iterations on full 100x100 and 300x250 planted instances and 71 instead
            # of 82 with 80% of a 200x200 observed; the full RMS took 72-98.
            r_p_units = 10.0 * r_p / self.rms
            d = 1 if r_p_units >= 10.0 * r_d else (-1 if r_d > 10.0 * r_p_units else 0)
            # mu also shrinks while the multiplier's dual infeasibility sigma_1(Y) - 1 (||Y||_inf <= lam
            # holds after every S-step) dominates the relative primal residual: there the iterates
            # translate, the excess singular values of L falling by a constant amount per step that
            # scales as 1/mu (measured on the 25344 x 1000 video from iteration 20: over 15 steps at
            # mu = 0.36, 0.72 and 2.9 the relative gap fell to 1.1e-2, 3.0e-2 and 5.9e-2), while the
            # rule above held mu at 1.44, where the rank took over 100 iterations to fall from 37 to 4.
            # The ratio was measured: 100 leaves the 200-frame video at 49 iterations, 10 took 81.
            if sigma - 1.0 > _DUAL_SHRINK * r_p / max(p.norm_M, 1e-300):
                d = -1
            # The factor's exponent is halved at every reversal of direction, so an alternation of mu
            # dies out (our rule; He, Yang & Wang 2000 prove ADMM with a varying penalty convergent
            # when its changes are summable): with the plain rule mu kept alternating between 2.1, 3.1
            # and 4.6 on lowrank_sparse_instance(30, 20, seed=3) and the iterates stayed at a primal
            # residual of 1e-5 and a gap of 3e-3 for 3000 iterations; with the exponent halved they
            # converge to 1e-7 in about 500. It is restored to 1 when the rank of L falls (at most
            # min(m, n) times, so the changes stay summable): a fall of the rank ends one regime of the
            # iterates and starts another. Without it the exponent was 1/64 by the time the
            # 1000-frame video reached rank 1, and mu grew 0.6% a step in the primal-residual tail
            # (1.8e-6 after 117 iterations, where the restored exponent converges in 85).
            if d and direction and d != direction:
                exponent *= 0.5
            if d:
                direction = d
            if s.factors is not None and factors.rank < s.factors.rank and restored < min(p.shape):
                exponent, restored = 1.0, restored + 1
            new_mu = min(mu * o.rho ** (d * exponent), self.mu_max)
        tol = svd_tolerance(max(r_p, r_d * self.rms) / max(p.norm_M, 1e-300), o.svd_tol)
        new = _IALMState(L=L, S=S, Y=Y, mu=new_mu, factors=factors, svd_tol=tol, k=s.k + 1,
                         mu_exponent=exponent, mu_direction=direction, mu_restored=restored, residual_sq=zz,
                         l1=l1, yv=yv, dual_sigma=sigma, dual_max=ymax, dual_data=ym, svt_dense=svt_dense,
                         scratch=scratch, spare=(s.L, s.S, s.Y))
        return new

    def _threshold(self, s: _IALMState) -> tuple[Any, ThinSVD, bool, Any]:
        """``L = SVT_{1/mu}(X)`` of the step's input ``X`` (``None`` where only its factors are formed),
        its factors, whether the next thresholding takes the dense route at once, and the float32
        scratch buffer.

        Where the dense route is taken at once (see ``threshold_route``), or costs less than the
        subspace iteration at the rank of ``L`` (``deflated_first``), and ``L`` has a rank, the
        input is formed deflated by the leading right singular vectors of ``L`` and rounded to
        float32 in one pass that never stores ``X`` itself, and the Gram matrix is assembled from
        that float32 part and float64 products of a few columns
        (:func:`~optkit.solvers.rpca._partial.threshold_deflated`), as long as the float32 part's
        error at the threshold stays within a tenth of the partial SVDs' accuracy
        (``low_gram_accurate``); otherwise, and on other routes, the float64 input and route. Our
        design: the float64 Gram matrix was 0.36 of the 0.51 s the dense route took per step on the
        25344 x 1000 video (one thread), the float32 one takes 0.18 s."""
        p = self.problem
        tau = 1.0 / s.mu
        rank = 0 if s.factors is None else s.factors.rank
        if rank and (s.svt_dense or deflated_first(p.shape, rank)) and deflation_pays(p.shape, p.dtype, self.xp):
            # the singular values of X are about those of L plus tau
            d = deflation_width([float(v) + tau for v in s.factors.s[:min(rank, _DEFLATE)]], tau, s.svd_tol)
            V = s.factors.V[:, :d]
            Xd, A, T, fro2 = rpca_kernels.ialm_svt_input_deflated(p.M_obs, s.S, s.Y, s.L, p.W, s.mu, V,
                                                                  out=s.scratch)
            sigma1 = float(self.xp.linalg.vector_norm(A[:, 0]))   # ||X v|| <= sigma_1(X)
            if low_gram_accurate(fro2, tau, sigma1, s.svd_tol):
                factors, dense_next = threshold_deflated(A, V, T, Xd, tau, rank)
                return None, factors, dense_next, Xd
        X = rpca_kernels.ialm_svt_input(p.M_obs, s.S, s.Y, s.L, p.W, s.mu)
        L, factors, dense_next = threshold_route(X, tau, s.factors, s.svd_tol, s.svt_dense)
        return L, factors, dense_next, s.scratch

    def check(self, s: _IALMState) -> Check:
        """The problem's certificate at ``(L, S)`` with the multiplier ``Y`` and the step's pieces;
        sigma_1(Y) refined to 1e-10 once within tol (see ``certify``)."""
        p = self.problem
        nuclear = None if s.factors is None else s.factors.nuclear_norm()
        m = certify(lambda sigma: p.measures((s.L, s.S), dual=s.Y, residual_sq=s.residual_sq, nuclear=nuclear,
                                             l1=s.l1, dual_sigma=sigma, dual_max=s.dual_max,
                                             dual_data=s.dual_data),
                    s.dual_sigma, lambda: accurate_sigma(s.Y, warm_block(s.yv, s.factors.V), SIGMA_TOL),
                    self.options.tol)
        return Check.of(LowRankSparse(s.L, s.S), m, dual=s.Y)

    def info(self, s: _IALMState) -> dict[str, Any]:
        rank = None if s.factors is None else s.factors.rank
        return {"factors": s.factors, "rank": rank, "mu": s.mu}
