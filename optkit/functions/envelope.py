"""The Moreau envelope: a smooth approximation of any function with a prox."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..backend import inner
from .base import Function, check_scalar

__all__ = ["MoreauEnvelope"]


@dataclass(frozen=True)
class MoreauEnvelope(Function):
    """The Moreau envelope :math:`e_\\sigma f(x) = \\min_u f(u) + \\|x - u\\|^2/(2\\sigma)` of ``f``.

    Parameters
    ----------
    f : Function
        Any closed convex function with a ``prox``.
    sigma : float
        The smoothing parameter :math:`\\sigma > 0`.

    Notes
    -----
    With :math:`p = \\operatorname{prox}_{\\sigma f}(x)`:
    :math:`e_\\sigma f(x) = f(p) + \\|x - p\\|^2/(2\\sigma)`, the gradient is
    :math:`(x - p)/\\sigma` (Lipschitz with constant :math:`1/\\sigma`), and
    :math:`0 \\le f - e_\\sigma f \\le \\sigma G^2/2` when ``f`` is ``G``-Lipschitz. Its prox is
    :math:`\\operatorname{prox}_{t e_\\sigma f}(v) = v + \\tfrac{t}{t+\\sigma}(\\operatorname{prox}_{(t+\\sigma)f}(v) - v)`
    and its conjugate :math:`f^* + \\tfrac\\sigma2\\|\\cdot\\|^2`. The CVXPY form keeps the
    minimisation over an auxiliary variable ``u``, exact wherever ``f`` has a CVXPY form
    ([1]_, [2]_ Ch. 6.7).

    References
    ----------
    .. [1] H. Attouch, *Variational Convergence for Functions and Operators*, Pitman, 1984.
    .. [2] A. Beck, *First-Order Methods in Optimization*, SIAM, 2017.

    Examples
    --------
    The envelope of :math:`|\\cdot|` is the Huber function: quadratic within :math:`\\sigma`
    of 0, :math:`|x| - \\sigma/2` beyond.

    >>> import numpy as np
    >>> from optkit.functions import L1Norm, MoreauEnvelope
    >>> e = MoreauEnvelope(L1Norm(1.0), 0.5)
    >>> x = np.array([0.2, -2.0])
    >>> round(e.value(x), 12), e.grad(x), e.lipschitz
    (1.79, array([ 0.4, -1. ]), 2.0)
    >>> e.prox(x, 0.5)
    array([ 0.1, -1.5])
    """

    f: Function
    sigma: float
    smooth = True

    def __post_init__(self) -> None:
        if not isinstance(self.f, Function):
            raise TypeError(f"f must be an optkit.functions.Function, got {type(self.f).__name__}")
        if not self.f.has_prox:
            raise ValueError(f"{type(self.f).__name__} has no prox, so its Moreau envelope is not computable")
        object.__setattr__(self, "sigma", check_scalar("sigma", self.sigma, positive=True))

    @property
    def lipschitz(self) -> float:
        return 1.0 / self.sigma

    def arrays(self) -> dict[str, Any]:
        return self.f.arrays()

    def to(self, xp: Any) -> "MoreauEnvelope":
        return MoreauEnvelope(self.f.to(xp), self.sigma)

    def map_arrays(self, fn: Any) -> "MoreauEnvelope":
        return MoreauEnvelope(self.f.map_arrays(fn), self.sigma)

    def prepare_prox(self) -> None:
        self.f.prepare_prox()

    def value(self, x: Any) -> float:
        p = self.f.prox(x, self.sigma)
        d = x - p
        return self.f.value(p) + inner(d, d) / (2.0 * self.sigma)

    def grad(self, x: Any) -> Any:
        return (x - self.f.prox(x, self.sigma)) / self.sigma

    def prox(self, v: Any, step: float) -> Any:
        return v + (step / (step + self.sigma)) * (self.f.prox(v, step + self.sigma) - v)

    def to_cvxpy(self, var: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        u = cp.Variable(var.shape)
        expr, cons = self.f.to_cvxpy(u)
        return expr + cp.sum_squares(var - u) / (2.0 * self.sigma), cons
