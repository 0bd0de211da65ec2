"""Nesterov momentum with gradient-based adaptive restart, shared by the accelerated methods.

References: A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for
linear inverse problems", SIAM J. Imaging Sci. 2 (2009) (the :math:`t_k` sequence);
B. O'Donoghue and E. Candes, "Adaptive restart for accelerated gradient schemes", Found.
Comput. Math. 15 (2015) (the gradient restart test).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

from ..backend import inner

__all__ = ["Momentum", "opposes"]


@dataclass(frozen=True)
class Momentum:
    """The FISTA sequence :math:`t_{k+1} = (1 + \\sqrt{1 + 4t_k^2})/2` with restarts.

    :meth:`advance` gives the extrapolation weight :math:`\\beta_k = (t_k - 1)/t_{k+1}`
    for :math:`z^{k+1} = x^{k+1} + \\beta_k (x^{k+1} - x^k)`, or 0 and :math:`t = 1`
    on a restart.
    """

    t: float = 1.0
    restarts: int = 0

    def advance(self, restart: bool = False) -> tuple[float, "Momentum"]:
        """``(beta, next)``: the weight of this step and the sequence after it."""
        if restart:
            return 0.0, Momentum(1.0, self.restarts + 1)
        t_next = (1.0 + math.sqrt(1.0 + 4.0 * self.t * self.t)) / 2.0
        return (self.t - 1.0) / t_next, Momentum(t_next, self.restarts)

    def reset(self) -> "Momentum":
        """Back to :math:`t = 1` (not counted as a restart: continuation, a new subproblem)."""
        return Momentum(1.0, self.restarts)


def opposes(blocks: Iterable[tuple[Any, Any, Any]]) -> bool:
    """The gradient restart test over blocks ``(z, x_new, x_old)``.

    True when :math:`\\sum_b \\langle z_b - x_b^{+}, x_b^{+} - x_b\\rangle > 0`: the momentum
    points against the latest proximal step, whose direction :math:`x^+ - z` is a
    (generalised) negative gradient.
    """
    return sum(inner(z - xn, xn - xo) for z, xn, xo in blocks) > 0
