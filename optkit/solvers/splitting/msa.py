"""Multiple splitting algorithms of Goldfarb & Ma: MSA and its accelerated version FaMSA.

Reference: D. Goldfarb and S. Ma, "Fast multiple-splitting algorithms for convex optimization",
SIAM J. Optim. 22 (2012), arXiv:0912.4570. The Jacobi iteration implemented here is the averaged
version derived in the dossier (``algorithms_A.md`` §2.2), a reconstruction: see :class:`MSA`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._registry import register
from ...backend import get_namespace
from ..base import Check, Options, Solver, option
from ..momentum import Momentum, opposes
from ...problems._splitting_terms import _Terms
from ._common import accepts, all_smooth, initial_dual

__all__ = ["MSA", "FaMSA"]


@dataclass(frozen=True, kw_only=True)
class MSAOptions(Options):
    tol: float = option(1e-6, "stop when the relative optimality measure (duality gap where known) is <= tol")
    max_iter: int = option(20000, "iteration limit")
    check_every: int = option(10, "iterations between convergence checks")
    sigma: float | None = option(None, "starting smoothing of the nonsmooth terms; None: the one whose gradients "
                                       "certify the starting point best", domain="(0, inf)")
    sigma_factor: float = option(4.0, "continuation: sigma <- sigma / sigma_factor once the smoothed problem is "
                                      "solved to sigma_ratio of the true certificate", domain="(1, inf)")
    sigma_every: int = option(10, "iterations between continuation tests", domain="int >= 1")
    sigma_ratio: float = option(0.25, "continuation test: smoothed problem's certificate <= sigma_ratio x the "
                                      "true one", domain="(0, 1)")
    restart: bool = option(True, "FaMSA: adaptive gradient restart (O'Donoghue & Candes 2015)")


@dataclass
class _State:
    w: Any                 # the average of the subproblem solutions (reported)
    z: Any                 # where the next linearisation is taken (w for MSA)
    sigma: float | None    # current smoothing (None: every term smooth)
    work: Any              # the problem iterated on: the given one or its smoothing at sigma
    G: Any = None          # gradients of the (smoothed) terms at z, when known
    V: Any = None          # gradients at w: the dual candidates of the certificate
    measured: dict | None = None
    momentum: Momentum = Momentum()
    k: int = 0
    reductions: int = 0


class _MultipleSplitting(Solver):
    Options = MSAOptions
    accelerated = False

    #: for the catalogue: the splitting problems (accepts() takes any problem with the stacked-term capability)
    problem_types = (_Terms,)

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        # the linearised terms need Lipschitz gradients (smooth ones given, nonsmooth ones smoothed)
        return accepts(problem) and all(L is None or L > 0 for L in problem.term_lipschitz)

    def _step_size(self, work: Any) -> float:
        L = np.asarray(work.term_lipschitz, dtype=float)
        return 1.0 / float(L.sum() - L.min())   # 1 / max_i L_{-i}

    def init(self, x0: Any) -> _State:
        p, o = self.problem, self.options
        x = p.initial_point() if x0 is None else x0
        start = initial_dual(p, x, o.sigma_factor, o.tol, o.sigma)
        self.continuation = not all_smooth(p)
        work = p if start.sigma is None else p.smoothed(start.sigma)
        return _State(w=x, z=x, sigma=start.sigma, work=work, G=start.V, V=start.V, measured=start.measures)

    def step(self, s: _State, measure: bool) -> _State:
        p, o = self.problem, self.options
        work = s.work
        xp = get_namespace(s.w)
        t = self._step_size(work)
        G = s.G if s.G is not None else work.grad_terms(s.z)
        # x_i = prox_{t f_i}(z - t sum_{j != i} grad f_j(z)), all i at once: sum_{j != i} = G - grad f_i
        X = work.prox_terms(s.z - t * (xp.sum(G, axis=0) - G), t)
        w = xp.mean(X, axis=0)
        new = _State(w=w, z=w, sigma=s.sigma, work=work, k=s.k + 1, momentum=s.momentum, reductions=s.reductions)
        if self.accelerated:
            restart = o.restart and opposes([(s.z, w, s.w)])
            beta, new.momentum = s.momentum.advance(restart=restart)
            new.z = w + beta * (w - s.w) if beta else w
        test = self.continuation and new.k % o.sigma_every == 0
        if measure or test or not self.accelerated:
            new.V = work.grad_terms(w)
            if not self.accelerated:
                new.G = new.V
        if test:
            true = p.measures(w, dual=new.V)
            smoothed = work.measures(w, dual=new.V)
            new.measured = true
            # like is compared with like: a problem whose smoothed certificate also tries a second-order dual
            # point (FusedLasso) reports the first-order one too, built as the unsmoothed certificate is; the
            # tighter one alone made the test fire at every check and drove sigma to 3e-14
            if smoothed.get("first_order_optimality", smoothed["optimality"]) <= o.sigma_ratio * true["optimality"]:
                # the smoothing, not the iteration, limits the certificate: smooth less
                new.sigma, new.reductions = s.sigma / o.sigma_factor, s.reductions + 1
                new.work = p.smoothed(new.sigma)
                new.z, new.G, new.momentum = w, None, new.momentum.reset()
        return new

    def check(self, s: _State) -> Check:
        m = s.measured if s.measured is not None else self.problem.measures(s.w, dual=s.V)
        return Check.of(s.w, m, dual=s.V)

    def info(self, s: _State) -> dict[str, Any]:
        return {"sigma": s.sigma, "sigma_reductions": s.reductions, "restarts": s.momentum.restarts,
                "step_size": self._step_size(s.work)}


@register("msa")
class MSA(_MultipleSplitting):
    """Multiple splitting algorithm (MSA) for :math:`\\min_x \\sum_{i=1}^K f_i(x)`, Jacobi type.

    Every iteration solves the ``K`` subproblems, each keeping one term exact and
    linearising the others at the common point :math:`w`, all at once (one batched call
    per kind of term: the TV terms' lines in one parallel kernel, the Fermat-Weber
    distances in one array operation), then averages:

    .. math::
        x_i = \\operatorname{prox}_{t f_i}\\big(w - t(G - \\nabla f_i(w))\\big),\\quad
        G = \\sum_j \\nabla f_j(w),\\qquad w^+ = \\tfrac1K\\sum_i x_i,

    with :math:`t = 1/\\max_i L_{-i}`, :math:`L_{-i} = \\sum_{j \\ne i} L_j`, so that every
    subproblem majorises :math:`F`. Then :math:`F(w^k) - F^* \\le \\|x_0 - x^*\\|^2/(2tk)`.

    A nonsmooth term enters the other subproblems through the gradient of its Moreau
    envelope :math:`e_\\sigma f_i` (Lipschitz :math:`1/\\sigma`), i.e. the method runs on
    ``problem.smoothed(sigma)``. For a nonsmooth problem ``sigma`` is continued: every
    ``sigma_every`` iterations the true certificate and the smoothed problem's are computed
    at :math:`w` with the same dual candidates (the envelope gradients at :math:`w`), and
    once the smoothed one is below ``sigma_ratio`` times the true one, ``sigma`` and with it
    the proximal parameter :math:`t \\propto \\sigma` are divided by ``sigma_factor``. The
    answer is certified on the unsmoothed problem. On a smoothed problem (``smoothing=``)
    nothing is continued and the method converges to that problem's minimiser.

    Our reconstruction (the paper's text could not be read; ``algorithms_A.md`` §2, §8): the
    averaging of the :math:`x_i` (rather than the best of them), the single proximal term
    with step :math:`t \\le 1/L_{-i}`, the smoothing by Moreau envelopes and the
    certificate-driven continuation of :math:`\\sigma` and :math:`t` (the authors' code of
    that period smooths and continues :math:`\\mu` geometrically to a floor). The averaged
    step keeps the O(1/k) bound: each :math:`x_i` is a proximal-gradient step for
    :math:`f_i + (F - f_i)`, and averaging their three-point inequalities gives the one the
    ISTA proof uses. With ``K = 2`` it is the Jacobi relative of ALM (Gauss-Seidel) [2]_.

    Parameters
    ----------
    problem : SumOfFunctions, TVImageRecovery, FermatWeber or FusedLasso
        A problem with the stacked-term capability (:func:`optkit.problems.k_terms`).
    options : MSAOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-msa`.

    References
    ----------
    .. [1] D. Goldfarb and S. Ma, "Fast multiple-splitting algorithms for convex
       optimization", SIAM J. Optim. 22 (2012); arXiv:0912.4570.
    .. [2] D. Goldfarb, S. Ma and K. Scheinberg, "Fast alternating linearization methods for
       minimizing the sum of two convex functions", Math. Program. 141 (2013), 349-382.

    Examples
    --------
    The K = 3 term fused lasso, smoothed, which MSA [1]_ solves exactly:

    >>> import optkit
    >>> from optkit.datasets import fused_lasso_instance
    >>> from optkit.problems import FusedLasso
    >>> problem = FusedLasso(**fused_lasso_instance(40, 30, seed=0), smoothing=0.01)
    >>> res = optkit.solve(problem, method="msa", tol=1e-6)
    >>> res.success, res.info["sigma"]
    (True, None)
    """


@register("famsa")
class FaMSA(_MultipleSplitting):
    """Fast multiple splitting algorithm (FaMSA): MSA with Nesterov extrapolation, O(1/k^2).

    The subproblems of :class:`MSA` are linearised at :math:`z^k` instead of :math:`w^k`, with
    :math:`z^{k+1} = w^{k+1} + \\tfrac{t_k - 1}{t_{k+1}}(w^{k+1} - w^k)` and the FISTA sequence
    :math:`t_k` [2]_; then :math:`F(w^k) - F^* \\le 2\\|x_0 - x^*\\|^2/(t(k+1)^2)` (the averaged
    three-point inequality feeds the FISTA proof unchanged). The cost per iteration is that of
    MSA, plus the gradients at :math:`w` when a check or a continuation test follows. Beyond
    the paper: gradient-based adaptive restart (O'Donoghue & Candès [3]_) and a momentum reset
    at each reduction of :math:`\\sigma` (a new smoothed problem); the same reconstruction
    caveats as :class:`MSA` apply.

    Parameters
    ----------
    problem : SumOfFunctions, TVImageRecovery, FermatWeber or FusedLasso
        A problem with the stacked-term capability (:func:`optkit.problems.k_terms`).
    options : MSAOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-famsa`.

    References
    ----------
    .. [1] D. Goldfarb and S. Ma, "Fast multiple-splitting algorithms for convex
       optimization", SIAM J. Optim. 22 (2012); arXiv:0912.4570.
    .. [2] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for
       linear inverse problems", SIAM J. Imaging Sci. 2 (2009), 183-202.
    .. [3] B. O'Donoghue and E. Candès, "Adaptive restart for accelerated gradient schemes",
       Found. Comput. Math. 15 (2015), 715-732.

    Examples
    --------
    On the smoothed fused lasso FaMSA [1]_ needs far fewer iterations than MSA:

    >>> import optkit
    >>> from optkit.datasets import fused_lasso_instance
    >>> from optkit.problems import FusedLasso
    >>> data = fused_lasso_instance(40, 30, seed=0)
    >>> problem = FusedLasso(**data, smoothing=0.01)
    >>> fast = optkit.solve(problem, method="famsa", tol=1e-6)
    >>> slow = optkit.solve(problem, method="msa", tol=1e-6)
    >>> fast.success, fast.nit < slow.nit
    (True, True)

    On the problem as given, the smoothing is continued until the true gap meets ``tol``:

    >>> res = optkit.solve(FusedLasso(**data), method="famsa", tol=1e-4)
    >>> res.success, res.info["sigma_reductions"] > 0
    (True, True)
    """

    accelerated = True
