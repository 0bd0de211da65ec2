"""Accelerated proximal gradient (APG) for penalised compressive principal component pursuit.

References: A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for linear
inverse problems", SIAM J. Imaging Sci. 2 (2009), applied to the problem with ``S`` minimised out
(a Huber loss in ``L``, Lipschitz constant 1; Mu & Wright's ``fista.m`` baseline steps on the pair
with constant 2); B. O'Donoghue and E. Candes, "Adaptive restart for accelerated gradient
schemes", Found. Comput. Math. 15 (2015); continuation as in Z. Lin, A. Ganesh, J. Wright, L. Wu,
M. Chen and Y. Ma, "Fast convex optimization algorithms for exact recovery of a corrupted
low-rank matrix" (2009).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...kernels import rpca as rpca_kernels
from ...linalg import ThinSVD
from ...problems._rpca_base import SIGMA_TOL
from ...problems.rpca import CompressivePCP, LowRankSparse
from ..base import Check, Options, Solver, option
from ..momentum import Momentum
from ._partial import accurate_sigma, certify, ritz_sigma, start, svd_tolerance, threshold, top_sigma, warm_block

__all__ = ["PCPAPG"]


@dataclass(frozen=True, kw_only=True)
class PCPAPGOptions(Options):
    tol: float = option(1e-4, "stop when the relative duality gap is <= tol")
    max_iter: int = option(5000, "iteration limit")
    restart: bool = option(True, "gradient-based adaptive restart of the momentum")
    svd_tol: float = option(1e-9, "smallest relative residual of the partial SVD's kept triplets (the target "
                                  "is 10% of the relative length of the last proximal step, at most 1e-4)",
                                  domain="(0, 1)")
    continuation: bool = option(True, "scale both weights by c_k = max(eta^k c_0, 1), c_0 the smallest "
                                      "scale at which (0, 0) is optimal (Lin et al. 2009)")
    eta: float = option(0.5, "continuation factor per iteration (Lin et al. use 0.9; see the class docstring)",
                        domain="(0, 1)")


@dataclass
class _APGState:
    L: Any
    S: Any                     # the best S for L (see the class docstring); that of x0 at the start
    L_prev: Any
    factors: ThinSVD | None    # of L; None for a dense start (not yet factored)
    svd_tol: float             # accuracy of the next partial SVD
    momentum: Momentum = Momentum()
    k: int = 0
    scale: float = 1.0         # continuation: the weights in use are scale * (lam_L, lam_S)
    # pieces of the certificate at (L, S), computed by a step followed by a check (None otherwise)
    residual: Any = None
    residual_sq: float | None = None
    residual_max: float | None = None
    residual_data: float | None = None
    sigma1: float | None = None
    v: Any = None              # right singular vector of sigma_1(residual) (warm start of the next)
    l1: float | None = None    # ||S||_1
    # an m x n array the step writes its thresholding input into and drops (none at the start): fresh
    # arrays of 25344 x 1000 cost their page faults at every step (measured: 0.02-0.06 s each)
    scratch: Any = None


@register("pcp_apg")
class PCPAPG(Solver):
    """Accelerated proximal gradient for :class:`~optkit.problems.CompressivePCP`.

    Minimising over ``S`` in closed form, :math:`S(L) = P_\\Omega\\operatorname{soft}(M - L, \\lambda_S)`,
    leaves :math:`\\min_L h(L) + \\lambda_L\\|L\\|_*` with the Huber loss
    :math:`h(L) = \\sum_{(i,j)\\in\\Omega} \\eta_{\\lambda_S}(L_{ij} - M_{ij})`,
    :math:`\\eta_\\lambda(r) = r^2/2` for :math:`|r| \\le \\lambda`, :math:`\\lambda|r| - \\lambda^2/2`
    beyond, whose gradient :math:`P_\\Omega\\operatorname{clip}(L - M, \\pm\\lambda_S)` is
    1-Lipschitz. FISTA on it, with :math:`L^k` the iterate,

    .. math::
        Y &= L^k + \\beta_k(L^k - L^{k-1}), \\qquad
        \\beta_k = \\tfrac{t_k - 1}{t_{k+1}},\\; t_{k+1} = \\tfrac12(1 + \\sqrt{1 + 4t_k^2}),\\; t_0 = 1, \\\\
        L^{k+1} &= \\operatorname{SVT}_{\\lambda_L}\\bigl(Y - P_\\Omega\\operatorname{clip}(Y - M, \\pm\\lambda_S)\\bigr),
        \\qquad S^{k+1} = S(L^{k+1})

    (Beck & Teboulle 2009 [1]_), the momentum being reset when it points against the last step
    (O'Donoghue & Candes 2015 [2]_; the sequence through :mod:`optkit.solvers.momentum`, the
    restart test in the step's fused pass). With ``continuation`` both weights are multiplied by
    :math:`c_k = \\max(\\eta^k c_0, 1)`, :math:`c_0 = \\max(\\sigma_1(P_\\Omega M)/\\lambda_L,
    \\|P_\\Omega M\\|_\\infty/\\lambda_S)` (where :math:`(0, 0)` is optimal), as in the APG of
    Lin, Ganesh, Wright, Wu, Chen & Ma (2009) [3]_: the early singular value thresholds keep a
    few triplets instead of hundreds. Stops on the relative duality gap of
    :class:`CompressivePCP` for the target weights at :math:`(L^k, S(L^k))` (a valid bound at any
    iterate; with the best ``S`` the residual is :math:`P_\\Omega\\operatorname{clip}(L - M,
    \\pm\\lambda_S)`, inside the dual's :math:`\\ell_\\infty` ball, so only its top singular
    value scales the dual point).

    Departures, measured on the surveillance video (``surveillance_video``, ``delta = 1e-3``,
    one thread): the paper's form (Mu & Wright's baseline: a step of 1/2 on the pair ``(L, S)``,
    ``S`` soft-thresholded by :math:`\\lambda_S/2`) with :math:`\\eta = 0.9` took 95 iterations
    (20.4 CPU s) on 200 frames and 147 (200 s) on 1000; there the dual point's
    :math:`\\ell_\\infty` scaling lagged its spectral one near the end. The Huber form took 72
    on 200 frames with :math:`\\eta = 0.9`, and with :math:`\\eta = 0.5` (the default here) 24
    (4.2 s) on 200 frames and 45 on 1000 (48 s; 0.4: 46, 0.6: 49). The checks estimate :math:`\\sigma_1` of the residual
    by one warm sweep (:func:`~optkit.solvers.rpca._partial.ritz_sigma`, a lower bound), refined
    to ``1e-10`` once the measure reaches ``tol`` (:func:`~optkit.solvers.rpca._partial.certify`),
    so a stop is decided on an accurate certificate: converging the estimate at every check took
    20 of 66 CPU seconds on 1000 frames, and the one-sweep value was within 4e-3 (relative) of
    the exact one at every check of that run, within 1e-5 over its last 25.

    ``x0 = (L, S)`` with ``L`` dense or a :class:`~optkit.linalg.ThinSVD`; a start skips the
    continuation, and only its ``L`` is used by the steps. The partial SVDs are accurate to 10%
    of the relative length of the last proximal step (``svd_tol`` the floor; see
    ``svd_tolerance``), our design.

    Parameters
    ----------
    problem : CompressivePCP
        The problem to solve.
    options : PCPAPGOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-pcp_apg`.

    References
    ----------
    .. [1] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm
       for linear inverse problems", SIAM J. Imaging Sci. 2 (2009), 183-202.
    .. [2] B. O'Donoghue and E. Candes, "Adaptive restart for accelerated gradient
       schemes", Found. Comput. Math. 15 (2015), 715-732.
    .. [3] Z. Lin, A. Ganesh, J. Wright, L. Wu, M. Chen and Y. Ma, "Fast convex optimization
       algorithms for exact recovery of a corrupted low-rank matrix", UIUC Technical Report
       UILU-ENG-09-2214 (2009).

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lowrank_sparse_instance
    >>> from optkit.problems import CompressivePCP
    >>> M = lowrank_sparse_instance(40, 30, noise=0.01, seed=0)[0]
    >>> res = optkit.solve(CompressivePCP.from_noise_level(M, delta=1e-2), method="pcp_apg", tol=1e-5)
    >>> res.success
    True
    """

    Options = PCPAPGOptions
    problem_types = (CompressivePCP,)

    def init(self, x0: Any) -> _APGState:
        p = self.problem
        L, S, factors = start(p, x0)
        scale = 1.0
        if self.options.continuation and x0 is None:
            sigma = top_sigma(p.M_obs, None, 1e-6)[0]
            scale = max(1.0, sigma / p.lam_L, float(self.xp.max(self.xp.abs(p.M_obs))) / p.lam_S)
        return _APGState(L=L, S=S, L_prev=L, factors=factors, scale=scale,
                         svd_tol=svd_tolerance(math.inf, self.options.svd_tol))

    def step(self, s: _APGState, measure: bool) -> _APGState:
        """One step in two fused passes over the ``m x n`` arrays (``apg_huber_input`` before the
        singular-value thresholding, ``apg_huber_step`` after it, which also forms ``S`` and the
        residual when the step is measured), besides the thresholding's own products. Only ``L``
        and its predecessor are carried from step to step, where the form on the pair read five
        arrays and wrote two in each pass."""
        p, o = self.problem, self.options
        beta, momentum = s.momentum.advance()
        X = rpca_kernels.apg_huber_input(s.L, s.L_prev, p.M_obs, p.W, beta, s.scale * p.lam_S, out=s.scratch)
        L, factors = threshold(X, s.scale * p.lam_L, s.factors, s.svd_tol)
        # the last residual is read by no one after this step (a check reads its own state's)
        opp, moved_sq, S, R, sq, l1, rm, rmax = rpca_kernels.apg_huber_step(L, s.L, s.L_prev, p.M_obs, p.W, beta,
                                                                             p.lam_S, measure, R_out=s.residual)
        # a restart sets t back to 1, so the next step has no momentum (none to test without it):
        # the gradient test of opposes(), <Y - L_new, L_new - L> > 0, from the fused pass
        if o.restart and beta > 0 and opp > 0:
            _, momentum = momentum.advance(restart=True)
        moved = math.sqrt(moved_sq) / max(p.norm_M, 1e-300)
        new = _APGState(L=L, S=S, L_prev=s.L, factors=factors,
                        svd_tol=svd_tolerance(moved, o.svd_tol), momentum=momentum, k=s.k + 1,
                        scale=max(s.scale * o.eta, 1.0), v=s.v, scratch=X)
        if measure:
            new.residual, new.residual_sq, new.residual_max, new.residual_data, new.l1 = R, sq, rmax, rm, l1
            new.sigma1, new.v = ritz_sigma(new.residual, warm_block(new.v, factors.V), 1)
        return new

    def check(self, s: _APGState) -> Check:
        """The problem's certificate with the step's pieces; sigma_1 refined to 1e-10 once within
        tol (see ``certify``)."""
        p = self.problem
        nuclear = None if s.factors is None else s.factors.nuclear_norm()
        m = certify(lambda sigma: p.measures((s.L, s.S), residual=s.residual, residual_sq=s.residual_sq,
                                             residual_max=s.residual_max, sigma1=sigma, nuclear=nuclear,
                                             l1=s.l1, residual_data=s.residual_data),
                    s.sigma1, lambda: accurate_sigma(s.residual, warm_block(s.v, s.factors.V), SIGMA_TOL),
                    self.options.tol)
        return Check.of(LowRankSparse(s.L, s.S), m)

    def info(self, s: _APGState) -> dict[str, Any]:
        rank = None if s.factors is None else s.factors.rank
        return {"factors": s.factors, "rank": rank, "restarts": s.momentum.restarts}
