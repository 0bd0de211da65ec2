"""Minibatch SGD (with heavy-ball momentum) and Adam, the stochastic first-order baselines.

References: H. Robbins & S. Monro, "A stochastic approximation method", Ann. Math. Stat. 22 (1951);
B. T. Polyak, "Some methods of speeding up the convergence of iteration methods" (1964);
D. P. Kingma & J. Ba, "Adam: a method for stochastic optimization", ICLR 2015, arXiv:1412.6980.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ..base import option
from ._common import ScheduledOptions, StochasticSolver, StochasticState

__all__ = ["SGD", "Adam"]


@dataclass(frozen=True, kw_only=True)
class SGDOptions(ScheduledOptions):
    step_size: float = option(0.1, "base step (scaled by the schedule)", domain="(0, inf)")
    momentum: float = option(0.0, "heavy-ball momentum beta in [0, 1): v = beta v + g, x -= step v",
                             domain="[0, 1)")


@dataclass
class _SGDState(StochasticState):
    v: Any = None


@register("sgd")
class SGD(StochasticSolver):
    """Minibatch stochastic gradient descent with optional heavy-ball momentum.

    .. math::
        g_k = \\nabla F_{S_k}(x_k), \\quad v_{k+1} = \\beta v_k + g_k, \\quad x_{k+1} = x_k - \\alpha_k v_{k+1},

    :math:`\\alpha_k` = ``step_size`` times the schedule (see ``schedule``), :math:`\\beta` =
    ``momentum`` (0: plain SGD; the PyTorch form of momentum). ``b`` sample gradients per step.

    Parameters
    ----------
    problem : FiniteSum
        The problem to solve (:class:`~optkit.problems.LogisticRegression`,
        :class:`~optkit.problems.SigmoidSVM`, :class:`~optkit.problems.MLPClassifier`).
    options : SGDOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-sgd`.

    References
    ----------
    .. [1] H. Robbins and S. Monro, "A stochastic approximation method", Ann. Math. Stat. 22
       (1951), 400-407.
    .. [2] B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
       USSR Comput. Math. Math. Phys. 4 (1964), 1-17.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets.stochastic import breast_cancer
    >>> from optkit.problems import SigmoidSVM
    >>> split = breast_cancer()
    >>> problem = SigmoidSVM(split.X_train, split.y_train, l2=1e-3)
    >>> res = optkit.solve(problem, method="sgd", step_size=1.0, schedule="constant", tol=1e-2, seed=0)
    >>> res.success, sorted(res.measures)
    (True, ['epoch', 'grad_norm', 'sfo'])
    """

    Options = SGDOptions
    State = _SGDState

    def init(self, x0: Any) -> _SGDState:
        return self.start(x0)

    def advance(self, st: _SGDState) -> _SGDState:
        batch = self.next_batch(st)
        g = self.problem.grad(st.x, batch)
        st.sfo += batch.size
        beta = self.options.momentum
        if beta > 0:
            st.v = g if st.v is None else beta * st.v + g
            g = st.v
        st.x = st.x - self.rate(st.k) * g
        st.k += 1
        return st


@dataclass(frozen=True, kw_only=True)
class AdamOptions(ScheduledOptions):
    step_size: float = option(1e-2, "base step (scaled by the schedule)", domain="(0, inf)")
    schedule: str = option("constant", "step schedule: step_size * s(1 + k/m) after k steps, m = steps per "
                                       "epoch, s(t) = 1, 1/sqrt(t) or 1/t", domain={"constant", "1/sqrt(k)", "1/k"})
    beta1: float = option(0.9, "decay of the first-moment average", domain="[0, 1)")
    beta2: float = option(0.999, "decay of the second-moment average", domain="[0, 1)")
    eps: float = option(1e-8, "added to the root second moment", domain="(0, inf)")


@dataclass
class _AdamState(StochasticState):
    m: Any = None
    v: Any = None


@register("adam")
class Adam(StochasticSolver):
    """Adam: minibatch gradients scaled by bias-corrected moment averages (Kingma & Ba 2015, Alg. 1).

    The method of [1]_.

    .. math::
        m_k = \\beta_1 m_{k-1} + (1-\\beta_1) g_k, \\quad v_k = \\beta_2 v_{k-1} + (1-\\beta_2) g_k^2, \\quad
        x_{k+1} = x_k - \\alpha_k \\frac{m_k / (1-\\beta_1^k)}{\\sqrt{v_k / (1-\\beta_2^k)} + \\epsilon},

    with :math:`\\alpha_k` = ``step_size`` times the schedule (constant by default, as in the paper).

    Parameters
    ----------
    problem : FiniteSum
        The problem to solve (:class:`~optkit.problems.LogisticRegression`,
        :class:`~optkit.problems.SigmoidSVM`, :class:`~optkit.problems.MLPClassifier`).
    options : AdamOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-adam`.

    References
    ----------
    .. [1] D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization", ICLR 2015,
       arXiv:1412.6980.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets.stochastic import breast_cancer
    >>> from optkit.problems import SigmoidSVM
    >>> split = breast_cancer()
    >>> problem = SigmoidSVM(split.X_train, split.y_train, l2=1e-3)
    >>> res = optkit.solve(problem, method="adam", step_size=0.1, schedule="constant", tol=1e-2, seed=0)
    >>> res.success
    True
    """

    Options = AdamOptions
    State = _AdamState

    def init(self, x0: Any) -> _AdamState:
        return self.start(x0)

    def advance(self, st: _AdamState) -> _AdamState:
        xp, o = self.xp, self.options
        batch = self.next_batch(st)
        g = self.problem.grad(st.x, batch)
        st.sfo += batch.size
        if st.m is None:
            st.m, st.v = (1 - o.beta1) * g, (1 - o.beta2) * (g * g)
        else:
            st.m = o.beta1 * st.m + (1 - o.beta1) * g
            st.v = o.beta2 * st.v + (1 - o.beta2) * (g * g)
        t = st.k + 1
        scale = self.rate(st.k) / (1 - o.beta1 ** t)
        st.x = st.x - scale * st.m / (xp.sqrt(st.v / (1 - o.beta2 ** t)) + o.eps)
        st.k += 1
        return st
