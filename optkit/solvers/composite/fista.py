"""FISTA, the accelerated proximal gradient baseline.

Reference: A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding
algorithm for linear inverse problems", SIAM J. Imaging Sci. 2 (2009).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...backend import get_namespace
from ...linalg.power import scaled_norm
from ...problems.composite import CompositeProblem, two_terms
from ..base import Check, Options, Solver, option
from ..momentum import Momentum, opposes

__all__ = ["FISTA"]


@dataclass(frozen=True, kw_only=True)
class FISTAOptions(Options):
    tol: float = option(1e-6, "stop when the relative optimality measure is <= tol")
    max_iter: int = option(20000, "iteration limit")
    check_every: int = option(10, "iterations between convergence checks")
    step_size: float | None = option(None, "fixed step 1/L; None uses f's Lipschitz constant or backtracking",
                                     domain="(0, inf)")
    backtrack: float = option(0.5, "step shrink factor of the backtracking line search", domain="(0, 1)")
    restart: bool = option(True, "adaptive gradient restart (O'Donoghue & Candes 2015)")


@dataclass
class _State:
    x: Any
    z: Any
    step: float
    momentum: Momentum = Momentum()
    backtracks: int = 0


def _first_step(f: Any, x: Any) -> float:
    """The backtracking's first trial step without a Lipschitz constant: ``||x|| / ||grad f(x)||``, in
    the units of a step at any data scale (a fixed 1.0 grew by backtrack**-0.25 per iteration: an inverse
    covariance with S scaled by 1e-120 needed steps near 1e240 and stopped at MAX_ITER); 1.0 where the
    ratio is zero or not finite."""
    size, slope = scaled_norm(x), scaled_norm(f.grad(x))
    ratio = size / slope if slope > 0.0 else 0.0
    return ratio if 0.0 < ratio < math.inf else 1.0


@register("fista", aliases=("apg_composite",))
class FISTA(Solver):
    """Accelerated proximal gradient (FISTA) with backtracking and adaptive restart.

    Parameters
    ----------
    problem : CompositeProblem
        Or any problem with the :func:`~optkit.problems.two_terms` capability (no prox
        of ``f`` needed).
    options : FISTAOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-fista`.

    Notes
    -----
    .. math::
        x^{k+1} = \\operatorname{prox}_{s g}(z^k - s\\nabla f(z^k)),\\quad
        z^{k+1} = x^{k+1} + \\tfrac{t_k - 1}{t_{k+1}}(x^{k+1} - x^k),

    with :math:`s = 1/L` when ``f`` has a global Lipschitz constant ``L``;
    otherwise ``s`` is found by backtracking on
    :math:`f(x^{k+1}) \\le f(z) + \\langle\\nabla f(z), x^{k+1} - z\\rangle + \\|x^{k+1} - z\\|^2/(2s)`
    (which also keeps the iterates in the domain of ``f``, e.g. positive
    definite for SICS), each iteration first trying a slightly longer step [3]_.
    O(1/k^2) in objective [1]_; the momentum restarts when it points against the
    latest step [2]_.

    References
    ----------
    .. [1] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm
       for linear inverse problems", SIAM J. Imaging Sci. 2 (2009), 183-202.
    .. [2] B. O'Donoghue and E. Candes, "Adaptive restart for accelerated gradient
       schemes", Found. Comput. Math. 15 (2015), 715-732.
    .. [3] K. Scheinberg, D. Goldfarb and X. Bai, "Fast first-order methods for
       composite convex optimization with backtracking", Found. Comput. Math. 14
       (2014), 389-417.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> problem = optkit.problems.Lasso(**lasso_instance(50, 100, seed=0))
    >>> res = optkit.solve(problem, method="fista", tol=1e-8)
    >>> res.success, res.info["step_size"] > 0
    (True, True)
    """

    Options = FISTAOptions
    # the classes the catalogue lists; accepts() takes any two-term problem (see two_terms)
    problem_types = (CompositeProblem,)

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        return two_terms(problem) is not None

    def init(self, x0: Any) -> _State:
        p = self.problem
        x = p.initial_point() if x0 is None else x0
        L = p.f.lipschitz
        self.fixed = self.options.step_size is not None or bool(L)
        step = self.options.step_size or (1.0 / L if L else _first_step(p.f, x))
        # Rounding in f (e.g. a log-determinant) must not fail the sufficient-decrease test.
        self.slack = 100 * float(self.xp.finfo(p.dtype).eps)
        return _State(x=x, z=x, step=step)

    def step(self, s: _State, measure: bool = False) -> _State:
        p, o = self.problem, self.options
        xp = get_namespace(s.x)
        gz = p.f.grad(s.z)
        step, backtracks = s.step, s.backtracks
        if self.fixed:
            x = p.g.prox(s.z - step * gz, step)
        else:
            # Full backtracking (Scheinberg, Goldfarb & Bai 2014): each iteration first tries a
            # slightly longer step, so one bad region does not shrink the step for good.
            step = step / o.backtrack ** 0.25
            fz = p.f.value(s.z)
            while True:
                x = p.g.prox(s.z - step * gz, step)
                d = x - s.z
                fx = p.f.value(x)
                if math.isfinite(fx) and fx <= fz + float(xp.sum(gz * d)) + float(xp.sum(d * d)) / (2 * step) + self.slack * abs(fz):
                    break
                step *= o.backtrack
                backtracks += 1
                # a floor for termination only, far below any step the data need: an absolute 1e-20 left
                # the inverse covariance scaled by 1e20 (steps near 1e-40) at an infeasible point
                if step < 1e-300:
                    break
        beta, momentum = s.momentum.advance(restart=o.restart and opposes([(s.z, x, s.x)]))
        new = _State(x=x, z=x if beta == 0 else x + beta * (x - s.x), step=step, momentum=momentum,
                     backtracks=backtracks)
        if not self.fixed and beta != 0 and not math.isfinite(p.f.value(new.z)):
            new.z, new.momentum = x, momentum.reset()  # the extrapolated point left the domain of f
        return new

    def check(self, s: _State) -> Check:
        return Check.of(s.x, self.problem.measures(s.x))

    def info(self, s: _State) -> dict[str, Any]:
        return {"restarts": s.momentum.restarts, "backtracks": s.backtracks, "step_size": s.step}
