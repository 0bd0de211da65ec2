"""Sinkhorn's algorithm for entropic optimal transport: log-domain and stabilised kernel-domain.

References: R. Sinkhorn & P. Knopp (1967); M. Cuturi, "Sinkhorn distances", NeurIPS 2013;
B. Schmitzer, "Stabilized sparse scaling algorithms for entropy regularized transport
problems", SIAM J. Sci. Comput. 41 (2019), arXiv:1610.06519 (absorption of large
scalings into the potentials); G. Peyre & M. Cuturi, *Computational Optimal Transport* (2019),
section 4.4 (log-domain updates).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...kernels.transport import ot_gibbs, ot_gibbs_init, ot_scale_kernel, ot_softmin_rows
from ...problems.transport import EntropicOT
from ..base import Check, Options, Solver, option

__all__ = ["Sinkhorn"]

_BIG = 1e50  # scalings beyond [1/_BIG, _BIG] are absorbed into the potentials


@dataclass(frozen=True, kw_only=True)
class SinkhornOptions(Options):
    tol: float = option(1e-9, "stop when the L1 marginal error / mass is <= tol")
    max_iter: int = option(20000, "iteration limit (one iteration updates both potentials)")
    check_every: int = option(10, "iterations between marginal-error checks")
    domain: str = option("auto", "'kernel': scaling updates u = a / (K v) through BLAS with absorption of large "
                                 "scalings into the potentials (stable at any reg); 'log': log-sum-exp updates "
                                 "of the potentials; 'auto': kernel", domain={"auto", "kernel", "log"})
    relaxation: bool = option(True, "kernel domain: over-relax the updates with a weight chosen from the "
                                    "observed rate (back to plain Sinkhorn if the error grows)")
    stall_checks: int = option(50, "stop with STALLED after this many checks in a row without a 0.1% "
                                   "better marginal error (0: never)", domain="int >= 0")


@dataclass
class OTState:
    """Potentials ``(f, g)`` and, in the kernel domain, the scalings and the kernel at ``(f, g)``.

    The current plan is :math:`\\operatorname{diag}(u) K \\operatorname{diag}(v)` with
    :math:`K_{ij} = \\exp((f_i + g_j - C_{ij})/\\mathrm{reg})`; in the log domain ``u = v = None``.
    """

    f: Any
    g: Any
    u: Any = None
    v: Any = None
    K: Any = None
    Kv: Any = None        # K @ v, cached by check() for the next u-update
    Ktu: Any = None       # K^T u from the last v-update: the column sums are v * Ktu
    srow: Any = None      # log domain: softmin of the rows at the current g (cached by check())
    scol: Any = None      # log domain: softmin of the columns used by the last g-update
    absorptions: int = 0
    log_steps: int = 0    # kernel domain: half-steps that fell back to log-sum-exp (underflow)
    k: int = 0


class SinkhornEngine:
    """The Sinkhorn half-steps shared by :class:`Sinkhorn` and the first stage of SNS."""

    def __init__(self, problem: EntropicOT, reg: float | None = None, CT: Any = None) -> None:
        self.p = problem
        xp = self.xp = problem.xp
        self.reg = problem.reg if reg is None else float(reg)
        self.C = problem.C
        self._CT = CT
        self.ln_a = xp.log(problem.a)
        self.log_a = self.reg * self.ln_a
        self.log_b = self.reg * xp.log(problem.b)
        self.omega = 1.0          # over-relaxation weight of the kernel-domain updates
        self._seen: list[tuple[int, float]] = []
        self._relax = False

    def enable_relaxation(self) -> None:
        """Let :meth:`adapt` choose an over-relaxation weight from the observed rate."""
        self._relax = True

    def adapt(self, k: int, err: float) -> None:
        """Over-relaxed Sinkhorn (Thibault, Chizat, Dossal & Papadakis 2021, arXiv:1711.01851).

        While plain Sinkhorn runs, its linear rate :math:`\\kappa` per iteration is
        read off two successive marginal errors and the weight set to Young's SOR
        value :math:`\\omega = 2/(1 + \\sqrt{1 - \\kappa})` (capped at 1.9). If the
        error ever grows, :math:`\\omega` returns to 1 for good.
        """
        if not self._relax:
            return
        seen = self._seen
        if seen and k > seen[-1][0]:
            k0, e0 = seen[-1]
            if err > e0 and self.omega != 1.0:
                self.omega, self._relax = 1.0, False
            elif self.omega == 1.0 and len(seen) >= 2 and 0 < err < e0:
                kappa = (err / e0) ** (1.0 / (k - k0))
                if kappa > 0.5:
                    self.omega = min(1.9, 2.0 / (1.0 + math.sqrt(1.0 - kappa)))
        seen.append((k, err))

    @property
    def CT(self) -> Any:
        """``C^T`` stored contiguously (made on first use: log-domain column updates only)."""
        if self._CT is None:
            self._CT = self._transpose(self.C)
        return self._CT

    def _transpose(self, C: Any) -> Any:
        try:
            import numpy as np  # noqa: PLC0415

            if isinstance(C, np.ndarray):
                return np.ascontiguousarray(C.T)
        except ImportError:  # pragma: no cover
            pass
        return self.xp.asarray(C.T, copy=True)

    # -- starting point ------------------------------------------------------------------------------------------

    def start(self, x0: Any, kernel: bool) -> OTState:
        """Potentials from ``x0 = (f, g)`` or, by default, the exact f-update from ``g = 0``."""
        xp, p = self.xp, self.p
        n, m = p.shape
        if x0 is None:
            g = xp.zeros((m,), dtype=p.dtype)
        else:
            if not (isinstance(x0, (tuple, list)) and len(x0) == 2):
                raise ValueError("x0 must be a pair of potentials (f, g) of shapes (n,), (m,)")
            f0, g = (xp.astype(xp.asarray(v), p.dtype) for v in x0)
            if tuple(f0.shape) != (n,) or tuple(g.shape) != (m,):
                raise ValueError(f"x0 must have shapes ({n},), ({m},); got {tuple(f0.shape)}, {tuple(g.shape)}")
            if not (bool(xp.all(xp.isfinite(f0))) and bool(xp.all(xp.isfinite(g)))):
                raise ValueError("x0 must be finite")
        if kernel:
            K, f = ot_gibbs_init(self.C, g, self.reg, self.ln_a)
            return OTState(f=f, g=g, u=xp.ones_like(f), v=xp.ones_like(g), K=K)
        return OTState(f=self.log_a - ot_softmin_rows(self.C, g, self.reg), g=g)

    def rebuild(self, s: OTState) -> None:
        """Absorb the scalings into the potentials and recompute the kernel."""
        xp = self.xp
        if s.u is not None:
            s.f = s.f + self.reg * xp.log(s.u)
            s.g = s.g + self.reg * xp.log(s.v)
        s.K = ot_gibbs(self.C, s.f, s.g, self.reg)
        s.u = xp.ones_like(s.f)
        s.v = xp.ones_like(s.g)
        s.Kv = s.Ktu = None
        s.absorptions += 1

    # -- iterations ------------------------------------------------------------------------------------------------

    def kernel_step(self, s: OTState) -> OTState:
        """One Sinkhorn iteration :math:`u = a/(Kv)`, :math:`v = b/(K^T u)`, with absorption.

        A scaling outside :math:`[10^{-50}, 10^{50}]` is absorbed into the
        potentials; a half-step whose denominator underflows to zero is redone
        in the log domain (exact log-sum-exp) before the kernel is rebuilt, so
        nothing overflows at any ``reg``.
        """
        xp, p = self.xp, self.p
        Kv = s.Kv if s.Kv is not None else s.K @ s.v
        w = self.omega
        u = p.a / Kv if w == 1.0 else (p.a / Kv) ** w * s.u ** (1.0 - w)
        if not float(xp.max(u)) < _BIG:  # underflow in K v (u = inf) or nan
            s.g = s.g + self.reg * xp.log(s.v)
            s.f = self.log_a - ot_softmin_rows(self.C, s.g, self.reg)
            s.u, s.v = None, None
            self.rebuild(s)
            s.log_steps += 1
            u = s.u
        Ktu = u @ s.K
        v = p.b / Ktu if w == 1.0 else (p.b / Ktu) ** w * s.v ** (1.0 - w)
        if not float(xp.max(v)) < _BIG:
            s.f = s.f + self.reg * xp.log(u)
            s.g = self.log_b - ot_softmin_rows(self.CT, s.f, self.reg)
            s.u, s.v = None, None
            self.rebuild(s)
            s.log_steps += 1
            u, v = s.u, s.v
            Ktu = u @ s.K
        s.u, s.v, s.Ktu, s.Kv = u, v, Ktu, None
        if float(xp.min(u)) < 1 / _BIG or float(xp.min(v)) < 1 / _BIG or float(xp.max(u)) > _BIG:
            self.rebuild(s)
        s.k += 1
        return s

    def log_step(self, s: OTState) -> OTState:
        """One log-domain iteration :math:`f = \\mathrm{reg}\\log a - \\operatorname{softmin}_\\mathrm{rows}(C - g)`,
        then the same for ``g`` on the columns (Peyre & Cuturi 2019, Remark 4.23)."""
        srow = s.srow if s.srow is not None else ot_softmin_rows(self.C, s.g, self.reg)
        s.f = self.log_a - srow
        s.scol = ot_softmin_rows(self.CT, s.f, self.reg)
        s.g = self.log_b - s.scol
        s.srow = None
        s.k += 1
        return s

    # -- measures --------------------------------------------------------------------------------------------------

    def marginals(self, s: OTState) -> tuple[Any, Any, Any, Any]:
        """``(f, g, rows, cols)``: effective potentials and the plan's marginals, cheaply.

        Kernel domain: rows ``u * (K v)`` (``K v`` is cached for the next
        u-update), columns ``v * (K^T u)`` from the last v-update. Log domain:
        the row softmin at the current ``g`` (cached for the next f-update) and
        the column softmin of the last g-update.
        """
        xp, reg = self.xp, self.reg
        if s.K is not None:
            s.Kv = s.K @ s.v
            rows = s.u * s.Kv
            cols = s.v * s.Ktu if s.Ktu is not None else s.v * (s.u @ s.K)
            return s.f + reg * xp.log(s.u), s.g + reg * xp.log(s.v), rows, cols
        s.srow = ot_softmin_rows(self.C, s.g, reg)
        rows = xp.exp((s.f + s.srow) / reg)
        scol = s.scol if s.scol is not None else ot_softmin_rows(self.CT, s.f, reg)
        cols = xp.exp((s.g + scol) / reg)
        return s.f, s.g, rows, cols


def potential_check(p: EntropicOT, f: Any, g: Any, rows: Any, cols: Any, reg: float | None = None) -> Check:
    """A check from potentials and the marginals of their Gibbs plan, without forming the plan.

    For :math:`P = \\exp((f \\oplus g - C)/\\mathrm{reg})`, :math:`\\mathrm{reg}\\log P = f \\oplus g - C`, so
    the primal objective (of the problem with entropic weight ``reg``, default ``p.reg``) is
    :math:`\\langle f, P\\mathbf 1\\rangle + \\langle g, P^T\\mathbf 1\\rangle
    - \\mathrm{reg}\\,\\mathbf 1^T P\\mathbf 1`.
    """
    xp = p.xp
    err = float(xp.sum(xp.abs(rows - p.a)) + xp.sum(xp.abs(cols - p.b)))
    fun = float(xp.sum(f * rows) + xp.sum(g * cols) - (p.reg if reg is None else reg) * xp.sum(rows))
    if not math.isfinite(err):
        fun = math.nan
    return Check(x=(f, g), fun=fun, optimality=err / p.mass, measures={"marginal_error": err}, dual=(f, g))


def plan_check(p: EntropicOT, check: Check) -> Check:
    """Form the plan of a potential check (one pass over ``C``) and measure it exactly."""
    if not isinstance(check.x, tuple):
        return check
    f, g = check.x
    xp = p.xp
    P = p.plan(f, g)
    rows, cols = xp.sum(P, axis=1), xp.sum(P, axis=0)
    final = potential_check(p, f, g, rows, cols)
    return Check(x=P, fun=final.fun, optimality=final.optimality, measures=final.measures, dual=(f, g))


class _OTSolver(Solver):
    """What every entropic OT method shares: the problem type and the plan on output."""

    problem_types = (EntropicOT,)

    def finalize(self, check: Check) -> Check:
        return plan_check(self.problem, check)


@register("sinkhorn")
class Sinkhorn(_OTSolver):
    """Sinkhorn's matrix scaling for entropic OT, stable at any ``reg``.

    Alternating exact maximisation of the dual :math:`D(f, g)` of
    :class:`~optkit.problems.EntropicOT` over ``f`` and ``g``:

    .. math::
        f_i = \\mathrm{reg}\\log a_i - \\mathrm{reg}\\log\\sum_j e^{(g_j - C_{ij})/\\mathrm{reg}}, \\qquad
        g_j = \\mathrm{reg}\\log b_j - \\mathrm{reg}\\log\\sum_i e^{(f_i - C_{ij})/\\mathrm{reg}} .

    ``domain="log"`` runs these log-sum-exp updates (Numba, parallel over rows).
    ``domain="kernel"`` (the default) writes the plan as
    :math:`\\operatorname{diag}(u)\\,K\\,\\operatorname{diag}(v)` with the kernel
    :math:`K = e^{(f \\oplus g - C)/\\mathrm{reg}}` at absorbed potentials and scales
    :math:`u = a/(Kv)`, :math:`v = b/(K^Tu)` through BLAS; scalings leaving
    :math:`[10^{-50}, 10^{50}]` are absorbed into ``(f, g)`` and ``K`` rebuilt
    (Schmitzer 2019), and a half-step whose ``Kv`` underflows is redone in the
    log domain, so neither variant overflows or returns NaN.

    ``x0`` may be a pair of potentials ``(f, g)``; the result's ``x`` is the plan
    ``P`` and ``dual`` the potentials.
    """

    Options = SinkhornOptions

    def init(self, x0: Any) -> OTState:
        self.engine = SinkhornEngine(self.problem)
        self.kernel = self.options.domain in ("auto", "kernel")
        if self.kernel and self.options.relaxation:
            self.engine.enable_relaxation()
        return self.engine.start(x0, self.kernel)

    def step(self, s: OTState, measure: bool = False) -> OTState:
        return self.engine.kernel_step(s) if self.kernel else self.engine.log_step(s)

    def check(self, s: OTState) -> Check:
        c = potential_check(self.problem, *self.engine.marginals(s))
        self.engine.adapt(s.k, c.optimality)
        if s.K is not None:
            # the plan of these potentials is diag(u) K diag(v): finalize() scales it without exponentials
            self._scaled = (c.x, s.K, s.u, s.v)
        return c

    def finalize(self, check: Check) -> Check:
        scaled = getattr(self, "_scaled", None)
        if scaled is None or scaled[0] is not check.x:
            return super().finalize(check)
        P = ot_scale_kernel(*scaled[1:])
        xp, (f, g) = self.xp, check.x
        final = potential_check(self.problem, f, g, xp.sum(P, axis=1), xp.sum(P, axis=0))
        return Check(x=P, fun=final.fun, optimality=final.optimality, measures=final.measures, dual=(f, g))

    def info(self, s: OTState) -> dict[str, Any]:
        return {"domain": "kernel" if self.kernel else "log", "absorptions": s.absorptions,
                "log_steps": s.log_steps, "omega": self.engine.omega}
