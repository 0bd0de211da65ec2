"""SVRG, stochastic variance-reduced gradient, and the snapshot machinery SdLBFGS-VR shares.

Reference: R. Johnson & T. Zhang, "Accelerating stochastic gradient descent using predictive
variance reduction", NeurIPS 2013 (option I: the next snapshot is the last inner iterate).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ..base import option
from ._common import StochasticOptions, StochasticSolver, StochasticState

__all__ = ["SVRG", "VarianceReduced", "VROptions", "VRState"]


@dataclass(frozen=True, kw_only=True)
class VROptions(StochasticOptions):
    inner_steps: int = option(None, "minibatch steps between full-gradient snapshots (None: one epoch, "
                                    "ceil(n / batch_size))", domain="int >= 1")


@dataclass
class VRState(StochasticState):
    snapshot: Any = None     # x~, where the full gradient mu was taken
    mu: Any = None           # grad F(x~)
    f_snapshot: float = 0.0  # F(x~)
    fresh: bool = False      # the snapshot is the current iterate (its full gradient is the certificate's)


class VarianceReduced(StochasticSolver):
    """SVRG's outer loop: a full gradient at a snapshot :math:`\\tilde x` every ``inner_steps`` steps,
    and the variance-reduced minibatch gradient
    :math:`v_k = \\nabla F_{S_k}(x_k) - \\nabla F_{S_k}(\\tilde x) + \\nabla F(\\tilde x)`.

    The snapshot is taken at the end of the step that completes an inner loop (and at the start),
    so when checks fall on epoch ends (the default) its full gradient is the certificate's too.
    """

    State = VRState

    def __init__(self, problem: Any, options: Any) -> None:
        super().__init__(problem, options)
        self.inner = self.options.inner_steps or self.steps_per_epoch

    def take_snapshot(self, st: VRState) -> None:
        st.f_snapshot, st.mu = self.problem.value_and_grad(st.x)
        st.snapshot, st.fresh = st.x, True
        st.sfo += self.n

    def reduced(self, st: VRState, batch: Any) -> tuple[Any, Any]:
        """``(v_k, grad F_S(x_k))``: the variance-reduced gradient and the raw minibatch gradient."""
        g, g_snap = self.problem.grads((st.x, st.snapshot), batch)
        st.sfo += 2 * batch.size
        return g - g_snap + st.mu, g

    def end_step(self, st: VRState) -> VRState:
        st.k += 1
        st.fresh = False
        if st.k % self.inner == 0:
            self.take_snapshot(st)
        return st

    def pieces(self, st: VRState) -> dict[str, Any]:
        return {"value": st.f_snapshot, "grad": st.mu} if st.fresh else {}


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
    gradients, per snapshot ``n``.

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
        self.take_snapshot(st)
        return st

    def advance(self, st: VRState) -> VRState:
        v, _ = self.reduced(st, self.next_batch(st))
        st.x = st.x - self.options.step_size * v
        return self.end_step(st)
