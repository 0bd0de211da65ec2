"""Sinkhorn-Newton-Sparse (SNS) for entropic optimal transport.

Reference: X. Tang, M. Shavlovsky, H. Rahmanian, E. Tardini, K. K. Thekumparampil, T. Xiao
and L. Ying, "Accelerating Sinkhorn algorithm with sparse Newton iterations", ICLR 2024,
arXiv:2401.12253 (Algorithm 1). Our reconstruction: the Hessian's sign is fixed by
derivation; the fixed last dual variable, the CG and line-search constants and the early
switch to Newton are our choices (the paper does not state them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..._registry import register
from ...kernels.transport import (DIRECT_DENSE_MAX_SIZE, DIRECT_MAX_SIZE, NEWTON_NOISE, RUN_COUNTERS, RunState,
                                  RunTrace, ot_gibbs_marginals, ot_gibbs_sparse, ot_newton_cg, ot_newton_direct,
                                  ot_run_compiled, ot_run_constants, ot_run_state, ot_sns_run, ot_softmin_rows)
from ...problems.transport import SNS_BELOW
from ..base import Check, Options, option
from .sinkhorn import CompiledRun, OTState, PlanFactors, SinkhornEngine, _OTSolver, kernel_state, measured

__all__ = ["SinkhornNewtonSparse"]


@dataclass(frozen=True, kw_only=True)
class SNSOptions(Options):
    tol: float = option(1e-9, "stop when the L1 marginal error / mass is <= tol")
    max_iter: int = option(2000, "iteration limit (Sinkhorn and Newton iterations together)")
    check_every: int = option(1, "iterations between marginal-error checks")
    sinkhorn_iters: int | None = option(None, "most Sinkhorn iterations of the first stage (the paper's N1; "
                                              "None: 10, or 2 with linear_solver 'cholesky')", domain="int >= 0")
    switch_tol: float = option(1e-2, "start Newton once the relative marginal error is <= switch_tol", domain="(0, 1)")
    sparsity: float | None = option(None, "Newton system keeps P_ij >= sparsity * a_i (per-row threshold; None: "
                                          "1e-6, or every entry with cholesky)", domain="(0, 1)")
    linear_solver: str = option("auto", "Newton systems: 'cg' (inexact, on the sparsified system), 'cholesky' (exact, "
                                        "dense factor of the Schur complement), 'auto': cholesky up to DIRECT_MAX_SIZE "
                                        "cost entries, or DIRECT_DENSE_MAX_SIZE when reg >= SNS_BELOW * (max C - "
                                        "min C)", domain={"auto", "cg", "cholesky"})
    cg_tol: float = option(0.1, "largest relative CG residual (inexact Newton forcing term; tightened as "
                                "sqrt of the marginal error)", domain="(0, 1)")
    shift: float | None = option(None, "Levenberg-Marquardt: the diagonal of the Newton system is scaled by "
                                      "1 + shift * (relative marginal error) (None: 1e-2, or 1e-3 with cholesky)",
                                 domain="[0, inf)")
    cg_max_iter: int = option(500, "CG iteration limit per Newton step", domain="int >= 1")
    armijo: float = option(1e-4, "sufficient-increase constant c1 of the Armijo line search", domain="(0, 1)")
    max_backtracks: int = option(12, "step halvings before falling back to one Sinkhorn iteration", domain="int >= 1")
    reg_factor: float = option(3.0, "continuation: intermediate problems with reg * reg_factor^k, k = K..1",
                               domain="(1, inf)")
    reg_start: float | None = option(None, "continuation starts at the largest reg * reg_factor^k <= reg_start * "
                                           "(max C - min C); none when reg is already above it (None: 1e-3, or "
                                           "3e-2 with cholesky)", domain="(0, inf)")
    level_tol: float | None = option(None, "relative marginal error at which an intermediate problem counts as "
                                           "solved (None: 1e-5, or 0.3 with cholesky)", domain="(0, 1)")
    stall_checks: int = option(50, "stop with STALLED after this many checks in a row without a 0.1% "
                               "better marginal error (0: never)", domain="int >= 0")


class _Defaults(NamedTuple):
    """The defaults of the options left at ``None``, by how the Newton systems are solved."""

    reg_start: float
    level_tol: float
    sinkhorn_iters: int
    sparsity: float
    shift: float

    def resolve(self, o: SNSOptions) -> tuple[float, float, int, float, float]:
        """``(reg_start, level_tol, sinkhorn_iters, sparsity, shift)``: the options given, these defaults for the
        others."""
        # (spelled out: a generator over the five would be one more function run per solve)
        return (self.reg_start if o.reg_start is None else o.reg_start,
                self.level_tol if o.level_tol is None else o.level_tol,
                self.sinkhorn_iters if o.sinkhorn_iters is None else o.sinkhorn_iters,
                self.sparsity if o.sparsity is None else o.sparsity,
                self.shift if o.shift is None else o.shift)


# CG: a long Sinkhorn start and one continuation level per reg_factor below 1e-3 of the cost spread (the
# sparse plans of small reg are what SNS is for). Cholesky (small problems): exact Newton steps converge
# from further away, so the start is 2 Sinkhorn iterations and the continuation, from 3e-2 of the spread,
# hands each level on at a relative error of 0.3 (one or two Newton steps per level: a path-following warm
# start). Measured interleaved (benchmarks/sns_levels.py: clouds of 30-100 points at reg 1e-2 to 1e-3, the
# digits at 1e-3), handing each level on at 1e-3 took 1.03-1.28 times as long wherever there are levels, 1.00
# where there are none; starting the levels at 5e-2 saved iterations but not time (0.87-1.29 times: each
# level's exact Sinkhorn iteration and new reference kernel cost n m exponentials). Exact steps take a tenth of
# CG's Levenberg-Marquardt shift: over 530 small instances (benchmarks.transport_batch's 130, clouds of 20-100
# points at reg 1e-2 to 1e-4, ten seeds each) 3302 iterations in all against 3425 with 1e-2, none failed; 0 made
# the 33 x 38 digits at reg 1e-3 (L1 cost) take 192 iterations instead of 24.
_CG = _Defaults(1e-3, 1e-5, 10, 1e-6, 1e-2)
_DIRECT = _Defaults(3e-2, 0.3, 2, 1e-300, 1e-3)  # every entry above the cutoff: the factorisation is dense anyway


@dataclass
class _NewtonState:
    f: Any
    g: Any
    rows: Any
    cols: Any
    reg: float
    counts: Any = None    # per-row lengths of the sparsified plan at (f, g), from the marginal pass
    sinkhorn: int = 0     # iterations of the Sinkhorn stage
    k: int = 0
    newton: int = 0
    cg_iters: int = 0
    backtracks: int = 0
    fallbacks: int = 0
    nnz: int = 0


@register("sns", aliases=("sinkhorn_newton_sparse",))
class SinkhornNewtonSparse(_OTSolver):
    """Sinkhorn-Newton-Sparse: early-stopped Sinkhorn, then sparsified Newton steps on the dual.

    Following Tang et al. [1]_, stage 1 runs stabilised Sinkhorn iterations (see :class:`~optkit.solvers.Sinkhorn`)
    until the relative marginal error is below ``switch_tol`` or
    ``sinkhorn_iters`` are done. Stage 2 maximises the concave dual
    :math:`D(f, g)` by Newton steps. With the plan
    :math:`P = e^{(f \\oplus g - C)/\\mathrm{reg}}`, :math:`r = P\\mathbf 1` and
    :math:`c = P^T\\mathbf 1`,

    .. math::
        \\nabla D = (a - r,\\; b - c), \\qquad
        \\nabla^2 D = -\\frac{1}{\\mathrm{reg}}
        \\begin{pmatrix}\\operatorname{diag}(r) & P \\\\ P^T & \\operatorname{diag}(c)\\end{pmatrix}.

    The off-diagonal block is sparsified row by row (entries
    :math:`P_{ij} < \\mathrm{sparsity}\\cdot a_i` dropped) while the diagonal keeps
    the full marginals, so the matrix stays diagonally dominant. The last
    potential :math:`g_m` is fixed (the dual is invariant under
    :math:`(f + t, g - t)`), the system is solved inexactly by Jacobi-preconditioned
    CG on its Schur complement :math:`\\operatorname{diag}(c) - P_s^T\\operatorname{diag}(1/r)P_s`
    (relative residual :math:`\\min(\\mathrm{cg\\_tol}, \\sqrt{\\epsilon})` at
    marginal error :math:`\\epsilon`), and the step length by an Armijo
    backtracking search on :math:`D`. Should the search fail, one exact
    log-domain Sinkhorn iteration (which always increases :math:`D`) replaces the
    step. The Hessian-vector products run on CSR arrays in Numba on NumPy and on
    a dense masked plan in the array-API twin.

    Beyond the paper (see ``docs/transport.md``): below
    ``reg_start * (max C - min C)`` the problems with ``reg * reg_factor^k`` are
    solved first, each to ``level_tol``, as warm starts (continuation; skipped
    when ``x0`` is given); the diagonal is scaled by ``1 + shift * err``
    (Levenberg-Marquardt), which keeps the Newton matrix invertible when the
    plan splits into nearly independent blocks at tiny ``reg``.

    On costs of at most ``DIRECT_MAX_SIZE`` (2^12) entries, or ``DIRECT_DENSE_MAX_SIZE``
    (2^14) where ``reg >= SNS_BELOW * (max C - min C)`` (``linear_solver="auto"``),
    the Newton system is solved exactly, by a Cholesky factorisation of the Schur
    complement formed densely (``optkit.kernels.transport.ot_newton_direct``), and
    the defaults left at ``None`` change with it: 2 Sinkhorn iterations, the
    continuation from ``3e-2 * (max C - min C)`` with levels handed on at 0.3, every
    plan entry kept, a Levenberg-Marquardt ``shift`` of 1e-3 instead of 1e-2. Our
    departure, measured: with CG, on 30 points at ``reg=1e-3``
    the nearly singular complement of a nearly permutation plan left a linear tail
    (85 iterations); exact steps took 19 (7-26 on the small benchmark's instances,
    against 14-85). A failed factorisation falls back to a Sinkhorn iteration.

    On NumPy float64 costs of at most ``OT_RUN_MAX_SIZE`` (2^18) entries the
    iterations run compiled, many per call of one Numba loop
    (``optkit.kernels.transport.ot_sns_run``), and ``step`` replays them one at
    a time: the same iterates, without the Python overhead per step that dominates
    small problems (on the 33 x 38 digits it was about 0.1 ms per Newton step). A
    call stops at the first checked iteration it finds certified, or after at most
    ``2^21 / (n m)`` iterations (256 at most), so callbacks, ``max_iter``,
    ``check_every`` and Ctrl-C act as on the step path; the kernel measures every
    iterate with the problem's formulas and the returned plan is certified by the
    problem's ``measures``. ``Result.info["compiled"]`` says which path ran. There
    the plan's exponentials of the Newton stage (exact steps) are factorised through a
    reference kernel, :math:`P_{ij} = e^{(f_i - f^0_i)/\\mathrm{reg}} K^0_{ij} e^{(g_j - g^0_j)/\\mathrm{reg}}`,
    remade whenever a potential moves more than ``100 reg`` from it: a pass costs
    :math:`n + m` exponentials instead of :math:`nm` (30 x 30: 7 -> 3 us).

    Parameters
    ----------
    problem : EntropicOT
        The problem to solve.
    options : SNSOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-sns`.

    References
    ----------
    .. [1] X. Tang, M. Shavlovsky, H. Rahmanian, E. Tardini, K. K. Thekumparampil, T. Xiao
       and L. Ying, "Accelerating Sinkhorn algorithm with sparse Newton iterations",
       ICLR 2024.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import uniform_clouds
    >>> from optkit.problems import EntropicOT
    >>> problem = EntropicOT.from_point_clouds(*uniform_clouds(40, seed=1), reg=0.02)
    >>> res = optkit.solve(problem, method="sns", tol=1e-8)
    >>> res.success, res.method
    (True, 'sns')
    """

    Options = SNSOptions

    def init(self, x0: Any) -> Any:
        p, o = self.problem, self.options
        xp = self.xp
        n, m = p.shape
        spread = p.cost_spread
        dense = p.reg >= SNS_BELOW * spread  # the plan is dense: CG pays for every entry as the factorisation does
        limit = DIRECT_DENSE_MAX_SIZE if dense else DIRECT_MAX_SIZE
        self.direct = o.linear_solver == "cholesky" or (o.linear_solver == "auto" and n * m <= limit)
        start, self.level_tol, self.sinkhorn_iters, sparsity, self.shift = (_DIRECT if self.direct else _CG).resolve(o)
        levels = [p.reg]
        while x0 is None and levels[-1] * o.reg_factor <= start * spread:
            levels.append(levels[-1] * o.reg_factor)
        self.levels = levels[::-1]          # decreasing; the last is the problem's reg
        # entries below exp(cutoff) carry < 1e-3 tol of the mass in all: left out of the marginals
        self.cutoff = math.log(1e-3 * min(o.tol, 1e-6) * p.mass / (n * m))
        # small NumPy float64 problems run their iterations compiled, many per call (see _compiled_step)
        self.compiled = ot_run_compiled(p.C)
        if self.compiled:  # (the kernel makes the thresholds below from sparsity)
            self._ln = p.log_weights()
            self._consts = ot_run_constants(
                o.tol, self.cutoff, p.mass, self.levels, o.check_every, o.max_iter, switch_tol=o.switch_tol,
                cg_tol=o.cg_tol, shift=self.shift, armijo=o.armijo, level_tol=self.level_tol,
                sinkhorn_iters=self.sinkhorn_iters, max_backtracks=o.max_backtracks, cg_max_iter=o.cg_max_iter,
                direct=self.direct, sparsity=sparsity)
            if self.sinkhorn_iters > 0:
                return self._compiled_start(x0)
        # kept entries of the Newton matrix: P_ij >= sparsity * a_i (and above the cutoff)
        self.log_thr = xp.clip(p.log_weights()[0] + math.log(sparsity), min=self.cutoff + 1.0)
        # the step path's Sinkhorn half-steps (a compiled run makes its own: 2.2-3.9 us a solve saved)
        self.engine = SinkhornEngine(p, reg=self.levels[0])
        s = self.engine.start(x0, kernel=self.sinkhorn_iters > 0)
        if self.sinkhorn_iters == 0:
            return self._to_newton(s)
        return s

    # -- stage switch ------------------------------------------------------------------------------------------------

    def _to_newton(self, s: OTState) -> _NewtonState:
        reg = self.engine.reg
        f, g = s.f, s.g
        if s.u is not None:
            f, g = f + reg * self.xp.log(s.u), g + reg * self.xp.log(s.v)
        ns = _NewtonState(f=f, g=g, rows=None, cols=None, reg=reg, sinkhorn=s.k, k=s.k)
        self._gauge(ns)
        return ns

    def _gauge(self, s: _NewtonState) -> None:
        """Shift ``(f + t, g - t)`` so that the fixed potential ``g_m`` is zero; refresh the marginals."""
        t = s.g[-1]
        s.f, s.g = s.f + t, s.g - t
        s.rows, s.cols, s.counts = ot_gibbs_marginals(self.problem.C, s.f, s.g, s.reg, self.cutoff, self.log_thr)

    # -- iterations ------------------------------------------------------------------------------------------------

    def step(self, s: Any, measure: bool) -> Any:
        if self.compiled:
            return self._compiled_step(s)
        if isinstance(s, OTState):
            o, p = self.options, self.problem
            s = self.engine.kernel_step(s)
            if s.k >= self.sinkhorn_iters:
                return self._to_newton(s)
            c = self.engine.measure(s) if measure or s.k % 5 == 0 else None
            if s.k % 5 == 0 and c.measures["marginal_error"] / p.mass <= o.switch_tol:
                return self._to_newton(s)
            s.measured = c if measure else None
            return s
        s = self._newton_step(s)
        if s.reg != self.problem.reg and self._error(s.rows, s.cols) <= self.level_tol:
            # next problem of the continuation: one exact Sinkhorn iteration at the new reg, then Newton
            s.reg = self.levels[self.levels.index(s.reg) + 1]
            self._sinkhorn_iteration(s)
        return s

    def _error(self, rows: Any, cols: Any) -> float:
        """The relative marginal error of a plan with marginals ``rows``, ``cols`` (at any reg)."""
        p = self.problem
        return p.marginal_error(rows=rows, cols=cols) / p.mass

    def _newton_step(self, s: _NewtonState) -> _NewtonState:
        p, o, xp = self.problem, self.options, self.xp
        reg = s.reg
        ga, gb = p.a - s.rows, p.b - s.cols
        err = self._error(s.rows, s.cols)
        plan = ot_gibbs_sparse(p.C, s.f, s.g, reg, self.log_thr, s.counts)
        s.nnz = plan.nnz
        m1 = p.shape[1] - 1
        rtol = min(o.cg_tol, math.sqrt(max(err, 1e-300)))
        # Levenberg-Marquardt shift proportional to the error: bounds the step along the gauge
        # directions of nearly disconnected blocks of the sparsified plan, vanishes at the solution
        shift = 1.0 + self.shift * err
        if self.direct:
            x, y, _ = ot_newton_direct(plan, shift * s.rows, shift * s.cols, ga, gb[:m1])
        else:
            x, y, it = ot_newton_cg(plan, shift * s.rows, shift * s.cols, ga, gb[:m1], rtol, o.cg_max_iter)
            s.cg_iters += it
        df = reg * x
        dg = xp.concat([reg * y, xp.zeros((1,), dtype=y.dtype)])
        slope = float(xp.sum(ga * df) + xp.sum(gb * dg))
        lin = float(xp.sum(p.a * df) + xp.sum(p.b * dg))
        mass = float(xp.sum(s.rows))
        if not (slope > 0 and math.isfinite(slope)):
            return self._fallback(s)
        alpha = 1.0
        for _ in range(o.max_backtracks):
            f1, g1 = s.f + alpha * df, s.g + alpha * dg
            r1, c1, n1 = ot_gibbs_marginals(p.C, f1, g1, reg, self.cutoff, self.log_thr)
            gain = alpha * lin - reg * (float(xp.sum(r1)) - mass)
            if err <= NEWTON_NOISE:
                # the gradient is rounding noise (exact Newton steps get there when checks are sparse): the step
                # is taken whole, as any test of its gain or of the error it leaves would be a coin toss
                break
            if math.isfinite(gain) and gain >= o.armijo * alpha * slope:
                break
            if err <= 1e-6 and math.isfinite(gain):
                # near the solution the gain is below the rounding of D: judge by the gradient
                if self._error(r1, c1) <= 0.5 * err:
                    break
            alpha *= 0.5
            s.backtracks += 1
        else:
            return self._fallback(s)
        s.f, s.g, s.rows, s.cols, s.counts = f1, g1, r1, c1, n1
        s.newton += 1
        s.k += 1
        return s

    def _sinkhorn_iteration(self, s: _NewtonState) -> None:
        """One exact log-domain Sinkhorn iteration at ``s.reg`` (it increases the dual)."""
        p, xp, reg = self.problem, self.xp, s.reg
        s.f = reg * xp.log(p.a) - ot_softmin_rows(p.C, s.g, reg)
        s.g = reg * xp.log(p.b) - ot_softmin_rows(self.engine.CT, s.f, reg)
        self._gauge(s)

    def _fallback(self, s: _NewtonState) -> _NewtonState:
        """The Newton step failed the line search: one Sinkhorn iteration instead, which always ascends."""
        self._sinkhorn_iteration(s)
        s.fallbacks += 1
        s.k += 1
        return s

    def check(self, s: Any) -> Check:
        if isinstance(s, CompiledRun):
            return self._replayed(s)
        if isinstance(s, OTState):
            return s.measured if s.measured is not None else self.engine.measure(s)
        return measured(self.problem, PlanFactors(s.f, s.g, s.reg), s.rows, s.cols)

    def info(self, s: Any) -> dict[str, Any]:
        path = {"compiled": self.compiled}
        if isinstance(s, CompiledRun):
            c = self._counters(s)
            if c["stage"] == 0:
                return {"sinkhorn_iterations": c["sinkhorn"], "regs": list(self.levels), **path}
            return {"sinkhorn_iterations": c["sinkhorn"], "regs": list(self.levels), "newton_iterations": c["newton"],
                    "cg_iterations": c["cg"], "backtracks": c["backtracks"], "sinkhorn_fallbacks": c["fallbacks"],
                    "hessian_nnz": c["nnz"], **path}
        if isinstance(s, OTState):
            return {"sinkhorn_iterations": s.k, "regs": list(self.levels), **path}
        return {"sinkhorn_iterations": s.sinkhorn, "regs": list(self.levels), "newton_iterations": s.newton,
                "cg_iterations": s.cg_iters, "backtracks": s.backtracks, "sinkhorn_fallbacks": s.fallbacks,
                "hessian_nnz": s.nnz, **path}

    # -- the compiled path (small NumPy float64 problems) ------------------------------------------------------------

    def _pack(self, s: Any) -> RunState:
        """The kernel's state from the step path's (at the start of a run)."""
        n, m = self.problem.shape
        if isinstance(s, OTState):
            return kernel_state(s, n, m)
        state = ot_run_state(n, m, s.g)
        a = state.arrays()
        a.ist[RUN_COUNTERS.index("stage")], a.ist[RUN_COUNTERS.index("sinkhorn")] = 1, s.sinkhorn
        a.ist[RUN_COUNTERS.index("level")] = self.levels.index(s.reg)
        a.fst[:] = [1.0, -1.0, 0.0, 0.0]
        a.f[:], a.u[:], a.v[:], a.rows[:], a.cols[:], a.counts[:] = s.f, 1.0, 1.0, s.rows, s.cols, s.counts
        return state

    def _plan_reference(self, s: CompiledRun) -> Any:
        # exact Newton steps keep a reference kernel in the state (see ot_gibbs_factored); CG runs never make one
        return s.arrays if self.direct else None

    def _advance(self, state: RunState, count: int, start: bool = False) -> RunTrace:
        p = self.problem
        return ot_sns_run(p.C, p.cost_transposed(), p.a, p.b, *self._ln, self._consts, state, count, start)
