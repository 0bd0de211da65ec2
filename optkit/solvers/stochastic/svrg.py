"""SVRG, stochastic variance-reduced gradient, and the snapshot machinery SdLBFGS-VR shares.

Reference: R. Johnson & T. Zhang, "Accelerating stochastic gradient descent using predictive
variance reduction", NeurIPS 2013 (option I: the next snapshot is the last inner iterate).

Growing-batch snapshots (``snapshot_batch``, off by default): R. Harikandeh (Babanezhad), M. O. Ahmed,
A. Virani, M. Schmidt, J. Konecny & S. Sallinen, "Stop wasting my gradients: practical SVRG", NeurIPS 2015
(SVRG keeps its convergence rate when the error of the snapshot's gradient decreases geometrically, which a
snapshot batch growing geometrically gives); L. Lei, C. Ju, J. Chen & M. I. Jordan, "Non-convex finite-sum
optimization via SCSG methods", NeurIPS 2017 (snapshots over a batch of B < n samples, nonconvex).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._registry import register
from ...backend import asarray
from ..base import option
from ._common import StochasticOptions, StochasticSolver, StochasticState

__all__ = ["SVRG", "VarianceReduced", "VROptions", "VRState"]


@dataclass(frozen=True, kw_only=True)
class VROptions(StochasticOptions):
    inner_steps: int = option(None, "minibatch steps between full-gradient snapshots (None: one epoch, "
                                    "ceil(n / batch_size))", domain="int >= 1")
    snapshot_batch: int = option(None, "samples of the first snapshot's gradient (None: all n, every snapshot a full "
                                       "pass, as in the papers); snapshot s draws min(n, ceil(snapshot_batch * "
                                       "snapshot_growth^s)) samples, a mean over a minibatch until it reaches n",
                                 domain="int >= 1")
    snapshot_growth: float = option(2.0, "with snapshot_batch: the factor by which each snapshot's batch grows "
                                         "(1: every snapshot of snapshot_batch samples)", domain="[1, inf)")
    snapshot_sample: str = option("fresh", "with snapshot_batch: 'fresh' (each snapshot reads the next samples of "
                                           "the minibatches' stream, the steps draw from all n) or 'nested' (snapshot "
                                           "s reads the first |B_s| samples of one permutation, and the steps of its "
                                           "inner loop draw from those: SVRG on the subsample's objective)",
                                  domain={"fresh", "nested"})
    store_derivatives: bool = option(True, "linear models: keep the snapshot's per-sample loss derivatives (n k "
                                           "numbers) and rebuild the snapshot side of each minibatch from them, so "
                                           "an inner step evaluates b sample gradients, not 2b (the same iterates "
                                           "up to rounding; not with 'fresh' minibatch snapshots, whose steps read "
                                           "other samples); False: both evaluated, as in the papers")


@dataclass
class VRState(StochasticState):
    snapshot: Any = None     # x~, where the full gradient mu was taken
    mu: Any = None           # grad F(x~)
    f_snapshot: float = 0.0  # F(x~)
    fresh: bool = False      # the snapshot is the current iterate
    full: bool = False       # mu is the full gradient (the certificate's, where fresh), not a minibatch mean
    snapshots: int = 0       # snapshots taken
    due: bool = False        # a minibatch snapshot waits for the next step
    order: Any = None        # snapshot_sample="nested": the permutation whose leading samples the snapshots read
    pool: Any = None         # ... and the samples of the current snapshot, which its inner loop draws from
    table: Any = None        # store_derivatives: the snapshot's loss derivatives, a row per sample (per pool position)
    rows: Any = None         # ... the rows of this step's minibatch in it


class VarianceReduced(StochasticSolver):
    """SVRG's outer loop: a full gradient at a snapshot :math:`\\tilde x` every ``inner_steps`` steps,
    and the variance-reduced minibatch gradient
    :math:`v_k = \\nabla F_{S_k}(x_k) - \\nabla F_{S_k}(\\tilde x) + \\nabla F(\\tilde x)`.

    The snapshot is taken at the end of the step that completes an inner loop (and at the start),
    so when checks fall on epoch ends (the default) its full gradient is the certificate's too, and the SFO
    count at such a check includes that pass.

    ``store_derivatives`` (on by default, for problems with ``value_grad_derivatives``: the linear models): a
    linear model's sample gradient is :math:`\\nabla f_i(w) = x_i\\,\\ell'(x_i^T w) + \\ell_2 w`, so the snapshot pass
    keeps the derivatives :math:`D = \\partial L/\\partial Z` at :math:`\\tilde x` (``n k`` numbers), and a step
    rebuilds :math:`\\nabla F_{S_k}(\\tilde x)` from the rows of :math:`D` on :math:`S_k` in the product that
    :math:`\\nabla F_{S_k}(x_k)` takes anyway, without the margins at :math:`\\tilde x`: ``b`` sample gradients per
    step instead of ``2 b``, and the same iterates up to rounding. SAG's implementation stores a linear model's
    gradients this way (its "structured gradients": Schmidt, Le Roux & Bach, Math. Program. 2017), and lightning's
    SVRG keeps its snapshot's scalars. A ``"fresh"`` minibatch snapshot has derivatives of other samples than its
    steps draw, so they evaluate both.

    ``snapshot_batch`` :math:`B_0 < n` (our departure from Johnson & Zhang and from Wang, Ma, Goldfarb & Liu,
    whose snapshots are full passes; off by default): snapshot :math:`s = 0, 1, \\ldots` takes the mean
    :math:`\\mu_s = \\nabla F_{B_s}(\\tilde x_s)` over :math:`|B_s| = \\min(n, \\lceil B_0 r^s\\rceil)` samples
    (``r = snapshot_growth``), the growing batches of Harikandeh et al. 2015: far from a solution a cheap,
    inexact :math:`\\mu_s` costs little progress, and the error :math:`\\|\\mu_s - \\nabla F(\\tilde x_s)\\|`, of order
    :math:`\\sqrt{(n - |B_s|)/(n|B_s|)}` for samples drawn without replacement, falls geometrically, which is what
    their analysis asks of it to keep SVRG's rate; from :math:`|B_s| = n` on the snapshots are the full passes
    of the method. The batch is the next :math:`|B_s|` samples of the minibatches' reshuffled stream (the same
    sampler, so the snapshots and the steps read every row once per :math:`n` samples drawn). The reduced
    gradient :math:`v_k = \\nabla F_{S_k}(x_k) - \\nabla F_{S_k}(\\tilde x) + \\mu_s` is then biased by
    :math:`\\mu_s - \\nabla F(\\tilde x_s)`. The count stays the plain methods' rule: a minibatch snapshot is taken
    at the start of the step that first uses it (its ``|B_s|`` samples counted there), so a check between counts
    the sample gradients that produced its iterate and nothing else, and its certificate's full pass is not
    counted, as for SGD, Adam and SdLBFGS; a full snapshot keeps the rule above.

    ``snapshot_sample="nested"`` (the adaptive sample size methods: Mokhtari & Ribeiro, "First-order adaptive
    sample size methods to reduce complexity of empirical risk minimization", NeurIPS 2017; Daneshmand, Lucchi &
    Hofmann, "Starting small: learning with adaptive sample sizes", ICML 2016): :math:`B_s` is the first
    :math:`|B_s|` samples of one permutation drawn at the start (so :math:`B_0 \\subset B_1 \\subset \\ldots`), and
    the steps of snapshot :math:`s`'s inner loop draw their minibatches from :math:`B_s` (``batch_size`` distinct
    samples each), so :math:`v_k` is an unbiased estimate of :math:`\\nabla F_{B_s}(x_k)`: SVRG on the
    subsample's objective, warm-started from the last one, until :math:`B_s` is all the data. (Mokhtari &
    Ribeiro grow the sample by a factor such as 2 and also add a regularizer scaled to the subsample's statistical
    accuracy, which is left out here; DynaSAGA grows SAGA's sample linearly.)
    """

    State = VRState

    def __init__(self, problem: Any, options: Any) -> None:
        super().__init__(problem, options)
        self.inner = self.options.inner_steps or self.steps_per_epoch
        self.stores = self.options.store_derivatives and hasattr(problem, "value_grad_derivatives")

    def snapshot_size(self, s: int) -> int:
        """Samples of snapshot ``s`` (``n``: the full pass)."""
        b0 = self.options.snapshot_batch
        return self.n if b0 is None else min(self.n, math.ceil(b0 * self.options.snapshot_growth ** s))

    def next_snapshot(self, st: VRState) -> None:
        """At an inner loop's end (and the start): a full snapshot now, a minibatch one at the next step."""
        if self.snapshot_size(st.snapshots) >= self.n:
            self.take_snapshot(st)
        else:
            st.due = True

    def take_snapshot(self, st: VRState) -> None:
        size = self.snapshot_size(st.snapshots)
        st.full, st.due, st.pool = size >= self.n, False, None
        if st.full:
            batch = None
        elif self.options.snapshot_sample == "nested":
            if st.order is None:
                st.order = st.rng.permutation(self.n)
            st.pool = st.order[:size]
            batch = self.problem.batch(st.pool)
        else:
            batch = self.next_batch(st, size)
        if self.stores and (st.full or st.pool is not None):   # the samples the inner loop will draw
            st.f_snapshot, st.mu, st.table = self.problem.value_grad_derivatives(st.x, batch)
        else:
            st.f_snapshot, st.mu = self.problem.value_and_grad(st.x, batch)
            st.table = None
        st.snapshot, st.fresh = st.x, True
        st.sfo += size
        st.snapshots += 1

    def begin_step(self, st: VRState) -> Any:
        """The minibatch snapshot that waits for this step, then this step's minibatch (from the snapshot's
        samples with ``snapshot_sample="nested"``)."""
        if st.due:
            self.take_snapshot(st)
        if st.pool is None:
            batch = self.next_batch(st)
            st.rows = batch.idx
            return batch
        pos = st.rng.choice(st.pool.shape[0], min(self.batch, st.pool.shape[0]), replace=False)
        batch = self.problem.batch(st.pool[pos])
        st.rows = pos if self._numpy else asarray(pos.astype(np.int64), xp=self.xp, dtype=self.xp.int64)
        return batch

    def reduced(self, st: VRState, batch: Any, raw: bool = False) -> tuple[Any, Any]:
        """``(v_k, grad F_S(x_k))``: the variance-reduced gradient and, with ``raw``, the raw minibatch gradient
        (else None); the snapshot's side from its stored loss derivatives where there are some (``b`` sample
        gradients, else ``2b``), then without ``raw`` the difference in one product."""
        if st.table is None:
            g, g_snap = self.problem.grads((st.x, st.snapshot), batch)
            st.sfo += 2 * batch.size
            return g - g_snap + st.mu, g if raw else None
        d_snap = self.xp.take(st.table, st.rows, axis=0)
        st.sfo += batch.size
        if not raw:
            (change,) = self.problem.grads_with_derivatives(st.x, st.snapshot, d_snap, batch, difference=True)
            return change + st.mu, None
        g, g_snap = self.problem.grads_with_derivatives(st.x, st.snapshot, d_snap, batch)
        return g - g_snap + st.mu, g

    def end_step(self, st: VRState) -> VRState:
        st.k += 1
        st.fresh = False
        if st.k % self.inner == 0:
            self.next_snapshot(st)
        return st

    def pieces(self, st: VRState) -> dict[str, Any]:
        return {"value": st.f_snapshot, "grad": st.mu} if st.fresh and st.full else {}


@dataclass(frozen=True, kw_only=True)
class SVRGOptions(VROptions):
    step_size: float = option(0.1, "constant step (below 1/L for L-smooth sample losses)", domain="(0, inf)")


@register("svrg")
class SVRG(VarianceReduced):
    """Minibatch SVRG with a constant step (Johnson & Zhang 2013).

    The method of [1]_.

    .. math::
        x_{k+1} = x_k - \\alpha\\big(\\nabla F_{S_k}(x_k) - \\nabla F_{S_k}(\\tilde x) + \\nabla F(\\tilde x)\\big),

    :math:`\\tilde x` the last iterate of the previous inner loop. Per inner step ``2 b`` sample
    gradients, per snapshot ``n``. On the linear models (``store_derivatives``) the snapshot pass keeps each
    sample's loss derivative, :math:`\\nabla f_i(\\tilde x) = x_i\\,\\ell'(x_i^T\\tilde x)` (plus the ridge term),
    and a step evaluates its ``b`` sample gradients at :math:`x_k` only.

    Parameters
    ----------
    problem : FiniteSum
        The problem to solve (:class:`~optkit.problems.LogisticRegression`,
        :class:`~optkit.problems.SigmoidSVM`, :class:`~optkit.problems.MLPClassifier`).
    options : SVRGOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-svrg`.

    References
    ----------
    .. [1] R. Johnson and T. Zhang, "Accelerating stochastic gradient descent using predictive
       variance reduction", NeurIPS 2013.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets.stochastic import breast_cancer
    >>> from optkit.problems import SigmoidSVM
    >>> split = breast_cancer()
    >>> problem = SigmoidSVM(split.X_train, split.y_train, l2=1e-3)
    >>> res = optkit.solve(problem, method="svrg", step_size=1.0, tol=1e-2, seed=0)
    >>> res.success
    True
    """

    Options = SVRGOptions

    def init(self, x0: Any) -> VRState:
        st = self.start(x0)
        self.next_snapshot(st)
        return st

    def advance(self, st: VRState) -> VRState:
        v, _ = self.reduced(st, self.begin_step(st))
        st.x = st.x - self.options.step_size * v
        return self.end_step(st)
