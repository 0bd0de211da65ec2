"""The outer iteration both NLP methods share: Newton-KKT direction (solved by the subclass),
penalty updates until the direction is a sufficient descent direction of the exact augmented
Lagrangian, and the Armijo search on that merit (Hong, Na, Mahoney & Kolar, ICML 2023,
Algorithm 1; constants from the authors' code, ``shared/papers/algorithms_B.md`` section 3)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..._result import Status
from ...backend import get_namespace
from ...problems.nlp import EqualityNLP, NLPStart
from ..base import Check, Options, Solver, option
from ._model import (Point, bfgs_update, first_order, gram_min_eig, merit, merit_gradient, merit_scale,
                     modified_hessian, second_order)

__all__ = ["NLPOptions", "NLPState", "NLPSolver"]


@dataclass(frozen=True, kw_only=True)
class NLPOptions(Options):
    tol: float = option(1e-8, "stop when max(kkt / max(1, ||grad f(x0)||), ||c|| / max(1, ||c(x0)||)) <= tol",
                        domain="(0, inf)")
    max_iter: int = option(1000, "outer (Newton) iteration limit", domain="int >= 0")
    eta1: float = option(1.0, "initial penalty on ||c||^2 / 2 in the merit (the paper's eta_1)", domain="(0, inf)")
    eta2: float = option(0.1, "initial weight of ||grad_x L||^2 / 2 in the merit (the paper's eta_2)",
                         domain="(0, inf)")
    beta: float = option(0.1, "Armijo constant of the merit line search (the paper's beta)", domain="(0, 0.5)")
    nu: float = option(1.5, "penalty update factor: eta1 *= nu^2, eta2 /= nu (the paper's nu)", domain="(1, inf)")
    xi_b: float = option(0.1, "Hessian modification: smallest added multiple of I (the paper's xi_B)",
                         domain="(0, inf)")
    curvature_tol: float = option(1e-6, "modify the Hessian when the reduced Hessian Z^T H Z is not "
                                        ">= curvature_tol * I", domain="[0, inf)")
    paper_shift: bool = option(False, "modify by the reference code's xi_b + ||H||_F at once instead of the "
                                      "smallest passing shift of xi_b * 10^k")
    singular_tol: float = option(1e-14, "declare the Jacobian singular when lambda_min(J J^T) <= singular_tol * "
                                        "lambda_max(J J^T)", domain="(0, 1)")
    max_singular: int = option(3, "consecutive iterations with a singular Jacobian, each solved with the "
                                  "regularised KKT matrix, before the run stops (NUMERICAL_ERROR)", domain="int >= 0")
    max_backtracks: int = option(50, "step halvings of the Armijo search before the run stops (STALLED)",
                                 domain="int >= 1")


@dataclass
class NLPState:
    point: Point
    eta1: float
    eta2: float
    delta: float
    rng: Any = None
    bfgs: Any = None
    k: int = 0
    sketch_iterations: list = field(default_factory=list)
    linear_solves: list = field(default_factory=list)
    step_sizes: list = field(default_factory=list)
    backtracks: int = 0
    penalty_updates: int = 0
    hessian_modifications: int = 0
    sketch_cap_hits: int = 0
    singular_streak: int = 0
    regularized: int = 0
    xi_g: float = 1.0
    b0: float = 0.0
    failure: tuple | None = None        # (Status, reason)


class NLPSolver(Solver):
    """Shared outer loop; subclasses implement :meth:`direction`."""

    Options = NLPOptions
    problem_types = (EqualityNLP,)

    # -- start ------------------------------------------------------------------------------------------------

    def init(self, x0: Any) -> NLPState:
        p = self.problem
        if x0 is None:
            x, lam = p.x0, p.lam0
        elif isinstance(x0, NLPStart):
            x, lam = x0.x, x0.lam
        else:
            x, lam = x0, None
        xp = get_namespace(x)
        x = xp.asarray(x, copy=True)
        if lam is None:
            lam = xp.zeros((p.m,), dtype=x.dtype) if p.sparse_jacobian else p.multipliers(x)
        lam = xp.asarray(lam, copy=True)
        o = self.options
        point = self._second(first_order(p, x, lam))
        state = NLPState(point=point, eta1=o.eta1, eta2=o.eta2, delta=getattr(o, "delta", 0.1))
        if p.hess is None:
            state.bfgs = xp.eye(p.n, dtype=x.dtype)
        return state

    def _second(self, pt: Point) -> Point:
        return second_order(self.problem, pt)

    # -- the outer iteration ------------------------------------------------------------------------------------

    def step(self, s: NLPState, measure: bool = False) -> NLPState:
        if s.failure is not None:
            return s
        p, o = s.point, self.options
        xp = get_namespace(p.x)
        reg = self._regularization(s)
        if reg is None:
            return s
        if s.bfgs is not None:
            B, shift = s.bfgs, 0.0
        else:
            B, shift = modified_hessian(p.H, p.J, o.curvature_tol, o.xi_b, o.paper_shift)
        if shift > 0:
            s.hessian_modifications += 1
        b = -xp.concat([p.gl, p.c])
        out = self.direction(s, B, b, reg)
        if out is None:          # the subclass recorded a failure
            return s
        z, slope = out
        n = self.problem.n
        self._line_search(s, z[:n], z[n:], slope)
        return s

    def direction(self, s: NLPState, B: Any, b: Any, reg: float) -> tuple[Any, float] | None:
        """The direction ``z = (dx, dlam)`` of the KKT system (with ``-reg I`` in its multiplier block)
        and the merit slope :math:`\\nabla L_\\eta^T z`, with the penalties already raised as far as
        the descent test needs; ``None`` after a failure."""
        raise NotImplementedError

    def _regularization(self, s: NLPState) -> float | None:
        """0 for a regular Jacobian; for a singular one (:math:`\\lambda_{\\min}(JJ^T) \\le`
        ``singular_tol`` :math:`\\lambda_{\\max}`) the regularisation :math:`\\delta_c` of the KKT
        matrix's multiplier block, or ``None`` (a failure) after ``max_singular`` such iterations
        in a row. The reference code stops at the first singular Jacobian; a rank drop at a single
        iterate (HS61's standard start has a rank-one Jacobian) is stepped over instead."""
        lo, hi = gram_min_eig(s.point.J)
        s.xi_g = lo
        if lo > self.options.singular_tol * max(hi, 1e-300) and math.isfinite(lo):
            s.singular_streak = 0
            return 0.0
        return self._singular(s, f"lambda_min(J J^T) = {lo:.3e}, lambda_max = {hi:.3e}", hi)

    def _singular(self, s: NLPState, detail: str, gram_max: float) -> float | None:
        s.singular_streak += 1
        if s.singular_streak > self.options.max_singular or not math.isfinite(gram_max):
            s.failure = (Status.NUMERICAL_ERROR,
                         f"singular constraint Jacobian at iteration {s.k} ({detail}) in "
                         f"{s.singular_streak} iterations in a row: LICQ fails, the KKT matrix is singular")
            return None
        s.regularized += 1
        # a tiny delta_c turns the inconsistent part of the linearised constraints into a multiplier step
        # of size |c| / delta_c (measured on HS61's start: a 1e8 step and a failed line search); a tenth of
        # ||J|| damps it like a Levenberg-Marquardt term and leaves the x step close to least squares
        reg = 0.1 * max(1.0, math.sqrt(max(gram_max, 0.0)))
        s.xi_g = reg
        return reg

    def slope(self, s: NLPState, z: Any) -> float:
        """:math:`\\nabla L_\\eta(x, \\lambda)^T z` at the current penalties."""
        n = self.problem.n
        gx, gl = merit_gradient(s.point, s.eta1, s.eta2)
        return float((gx @ z[:n]) + (gl @ z[n:]))

    def sufficient(self, s: NLPState, slope: float, bnorm2: float) -> bool:
        """The paper's descent test :math:`\\nabla L_\\eta^T z \\le -\\tfrac{\\eta_2}{2}\\|b\\|^2`."""
        return slope <= -0.5 * s.eta2 * bnorm2

    def safeguard(self, s: NLPState) -> bool:
        """The reference code's numerical safeguard: penalties no longer raised past these bounds."""
        return s.eta1 > 1e8 or s.eta2 < 1e-8

    def raise_penalties(self, s: NLPState) -> None:
        nu = self.options.nu
        s.eta1 *= nu * nu
        s.eta2 /= nu
        s.penalty_updates += 1

    def _line_search(self, s: NLPState, dx: Any, dl: Any, slope: float) -> None:
        """Armijo backtracking on the merit, :math:`L_\\eta(x + \\alpha\\Delta x, \\lambda + \\alpha\\Delta\\lambda)
        \\le L_\\eta + \\alpha\\beta\\nabla L_\\eta^T z`, relaxed by :math:`10\\epsilon` times the size of the
        merit's terms (its rounding error; as IPOPT relaxes its Armijo test), so that steps near the
        solution are not rejected for decreases below the precision of :math:`f`."""
        p, o = s.point, self.options
        xp = get_namespace(p.x)
        eps = float(xp.finfo(p.x.dtype).eps)
        m0 = merit(p, s.eta1, s.eta2)
        slack = 10.0 * eps * merit_scale(p, s.eta1, s.eta2)
        alpha = 1.0
        for _ in range(o.max_backtracks):
            trial = first_order(self.problem, p.x + alpha * dx, p.lam + alpha * dl)
            if trial.finite and merit(trial, s.eta1, s.eta2) <= m0 + alpha * o.beta * min(slope, 0.0) + slack:
                break
            alpha *= 0.5
            s.backtracks += 1
        else:
            s.failure = (Status.STALLED,
                         f"line search failed at iteration {s.k}: no decrease of the exact augmented Lagrangian "
                         f"in {o.max_backtracks} halvings (slope {slope:.3e}, eta1 {s.eta1:.3g}, eta2 {s.eta2:.3g})")
            return
        if s.bfgs is not None:
            sx = trial.x - p.x
            y = trial.gl - (p.g + p.J.T @ trial.lam)
            s.bfgs = bfgs_update(s.bfgs, sx, y, first=s.k == 0)
        s.point = self._second(trial)
        s.step_sizes.append(alpha)
        s.k += 1

    # -- reporting ------------------------------------------------------------------------------------------------

    def check(self, s: NLPState) -> Check:
        p = s.point
        m = self.problem.measures(p.x, dual=p.lam, fun=p.f, grad=p.g, cons=p.c, jac=p.J)
        return Check.of(p.x, m, dual=p.lam)

    def terminate(self, s: NLPState, check: Check) -> Status | None:
        return s.failure[0] if s.failure is not None else None

    def info(self, s: NLPState) -> dict[str, Any]:
        out = {"sketch_iterations": list(s.sketch_iterations), "linear_solves": list(s.linear_solves),
               "step_sizes": list(s.step_sizes), "backtracks": s.backtracks, "penalty_updates": s.penalty_updates,
               "eta1": s.eta1, "eta2": s.eta2, "hessian_modifications": s.hessian_modifications,
               "regularized_jacobians": s.regularized,
               "hessian": "exact" if s.bfgs is None else "damped BFGS"}
        if s.failure is not None:
            out["reason"] = s.failure[1]
        return out
