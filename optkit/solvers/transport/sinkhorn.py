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
from typing import Any, NamedTuple

import numpy as np

from ..._registry import register
from ...kernels.transport import (RUN_COUNTERS, SCALING_LIMIT, SINKHORN_RUN_MAX_SIZE, RunState, RunTrace, ot_gibbs,
                                  ot_gibbs_factored, ot_gibbs_init, ot_run_compiled, ot_run_constants, ot_run_state,
                                  ot_scale_kernel, ot_sinkhorn_run, ot_softmin_rows)
from ...problems.transport import EntropicOT
from ..base import Ahead, Check, Options, Solver, option

__all__ = ["Sinkhorn"]

_BIG = SCALING_LIMIT  # scalings beyond [1/_BIG, _BIG] are absorbed into the potentials
_RATE_EVERY = 10  # iterations between the marginal errors the over-relaxation weight is read from
_CHUNK_WORK = 1 << 21  # cost entries x iterations per call of a compiled run (bounds the time to a Ctrl-C)


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


class PlanFactors(NamedTuple):
    """A check's compact stand-in for the plan, turned into it by ``finalize``.

    ``(f, g)`` are the potentials and ``reg`` their entropic weight. In the kernel
    domain the plan is :math:`\\operatorname{diag}(u)\\,K\\,\\operatorname{diag}(v)` (no
    exponentials to form it); otherwise it is :math:`e^{(f \\oplus g - C)/\\mathrm{reg}}`.
    """

    f: Any
    g: Any
    reg: float
    K: Any = None
    u: Any = None
    v: Any = None
    ref: Any = None   # a compiled SNS run's state: the plan is formed through its reference kernel (ot_gibbs_factored)
    plan: Any = None  # (P, fun, err): the plan and its sums, already made by the compiled call that certified it


@dataclass
class OTState:
    """Potentials ``(f, g)`` and, in the kernel domain, the scalings and the kernel at ``(f, g)``.

    The current plan is :math:`\\operatorname{diag}(u) K \\operatorname{diag}(v)` with
    :math:`K_{ij} = \\exp((f_i + g_j - C_{ij})/\\mathrm{reg})`; in the log domain ``u = v = None``.
    Each iteration ends with what the next one starts from, which is also what the plan's
    marginals are read from: ``Kv`` (kernel domain) or ``srow`` (log domain).
    """

    f: Any
    g: Any
    u: Any = None
    v: Any = None
    K: Any = None
    Kv: Any = None        # K @ v at the current (K, v): the row marginals are u * Kv, and the next u-update's
    Ktu: Any = None       # K^T u from the last v-update: the column marginals are v * Ktu (None after absorbing)
    srow: Any = None      # log domain: softmin of the rows at the current g (the next f-update's)
    scol: Any = None      # log domain: softmin of the columns used by the last g-update
    omega: float = 1.0    # over-relaxation weight of the kernel-domain updates
    relax: bool = False   # whether omega may still be adapted
    rate: tuple | None = None   # (k, marginal error) last read on the _RATE_EVERY schedule
    rated: int = 0              # marginal errors read on that schedule so far
    measured: Check | None = None  # the check of the current iterate, made by a step told that a check follows
    absorptions: int = 0
    log_steps: int = 0    # kernel domain: half-steps that fell back to log-sum-exp (underflow)
    k: int = 0


class SinkhornEngine:
    """The Sinkhorn half-steps shared by :class:`Sinkhorn` and the first stage of SNS.

    Its attributes are constants of a run (``C^T`` is made once, when first needed);
    everything that changes is in :class:`OTState`.
    """

    def __init__(self, problem: EntropicOT, reg: float | None = None) -> None:
        self.p = problem
        self.xp = problem.xp
        self.reg = problem.reg if reg is None else float(reg)
        self.C = problem.C
        self.ln_a, ln_b = problem.log_weights()
        self.log_a = self.reg * self.ln_a
        self.log_b = self.reg * ln_b

    @property
    def CT(self) -> Any:
        """``C^T`` stored contiguously (the problem's, made once: log-domain column updates read it row by row)."""
        return self.p.cost_transposed()

    # -- starting point ------------------------------------------------------------------------------------------

    def start(self, x0: Any, kernel: bool) -> OTState:
        """The exact f-update from the ``g`` of ``x0 = (f, g)`` (validated by the problem) or from ``g = 0``,
        with what the first iteration and the first check read."""
        xp, p = self.xp, self.p
        g = xp.zeros((p.shape[1],), dtype=p.dtype) if x0 is None else x0[1]
        if kernel:
            K, f = ot_gibbs_init(self.C, g, self.reg, self.ln_a)
            u, v = xp.ones_like(f), xp.ones_like(g)
            return OTState(f=f, g=g, u=u, v=v, K=K, Kv=K @ v, Ktu=u @ K)
        srow = ot_softmin_rows(self.C, g, self.reg)
        f = self.log_a - srow
        return OTState(f=f, g=g, srow=srow, scol=ot_softmin_rows(self.CT, f, self.reg))

    def rebuild(self, s: OTState) -> None:
        """Absorb the scalings into the potentials and recompute the kernel (``Kv``, ``Ktu`` are stale)."""
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
        nothing overflows at any ``reg``. The iteration ends with ``K v`` for the
        next one (and for the row marginals).
        """
        xp, p = self.xp, self.p
        Kv = s.Kv
        w = s.omega
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
        s.u, s.v, s.Ktu = u, v, Ktu
        if float(xp.min(u)) < 1 / _BIG or float(xp.min(v)) < 1 / _BIG or float(xp.max(u)) > _BIG:
            self.rebuild(s)
        s.Kv = s.K @ s.v
        s.k += 1
        return s

    def log_step(self, s: OTState) -> OTState:
        """One log-domain iteration :math:`f = \\mathrm{reg}\\log a - \\operatorname{softmin}_\\mathrm{rows}(C - g)`,
        then the same for ``g`` on the columns (Peyre & Cuturi 2019, Remark 4.23); it ends with the row
        softmin at the new ``g`` for the next one (and for the row marginals)."""
        s.f = self.log_a - s.srow
        s.scol = ot_softmin_rows(self.CT, s.f, self.reg)
        s.g = self.log_b - s.scol
        s.srow = ot_softmin_rows(self.C, s.g, self.reg)
        s.k += 1
        return s

    # -- measures --------------------------------------------------------------------------------------------------

    def marginals(self, s: OTState) -> tuple[PlanFactors, Any, Any]:
        """The plan's stand-in at the effective potentials and its marginals ``(rows, cols)``, in O(n + m).

        Kernel domain: rows ``u * (K v)``, columns ``v * (K^T u)`` (one product when an
        absorption ended the last iteration). Log domain: from the row softmin at the
        current ``g`` and the column softmin of the last g-update. Changes nothing.
        """
        xp, reg = self.xp, self.reg
        if s.K is not None:
            Ktu = s.Ktu if s.Ktu is not None else s.u @ s.K
            x = PlanFactors(s.f + reg * xp.log(s.u), s.g + reg * xp.log(s.v), reg, s.K, s.u, s.v)
            return x, s.u * s.Kv, s.v * Ktu
        return PlanFactors(s.f, s.g, reg), xp.exp((s.f + s.srow) / reg), xp.exp((s.g + s.scol) / reg)

    def measure(self, s: OTState) -> Check:
        """The check of the current iterate, through the problem's ``measures``; changes nothing."""
        x, rows, cols = self.marginals(s)
        return measured(self.p, x, rows, cols)


def measured(problem: EntropicOT, x: PlanFactors, rows: Any, cols: Any) -> Check:
    """The check of the plan ``x`` stands for, from its marginals (the problem's certificate)."""
    reg = None if x.reg == problem.reg else x.reg
    return Check.of(x, problem.measures((x.f, x.g), rows=rows, cols=cols, reg=reg), dual=(x.f, x.g))


@dataclass
class CompiledRun:
    """The state of a compiled run (small NumPy problems): the kernel's state, and the trace of its
    last call that the run loop's steps replay one iteration at a time.

    ``pos`` is the run loop's iteration count; the trace holds iterations ``base + 1 ... base + len``.
    """

    arrays: RunState
    trace: RunTrace | None = None
    base: int = 0
    pos: int = 0


def kernel_state(s: OTState, n: int, m: int) -> RunState:
    """A compiled run's state from a kernel-domain :class:`OTState` (copies)."""
    state = ot_run_state(n, m, s.g)
    a = state.arrays()
    for name, value in (("sinkhorn", s.k), ("absorptions", s.absorptions), ("log_steps", s.log_steps),
                        ("ktu_valid", s.Ktu is not None), ("relax", s.relax), ("rated", s.rated)):
        a.ist[RUN_COUNTERS.index(name)] = int(value)
    a.fst[:] = [s.omega, -1.0, 0.0, 0.0] if s.rate is None else [s.omega, float(s.rate[0]), float(s.rate[1]), 0.0]
    a.f[:], a.u[:], a.v[:], a.K[:], a.Kv[:] = s.f, s.u, s.v, s.K, s.Kv
    if s.Ktu is not None:
        a.Ktu[:] = s.Ktu
    return state


class _OTSolver(Solver):
    """What every entropic OT method shares: the problem type, the plan on output, and the replay of
    compiled runs on small NumPy problems.

    A solver whose ``compiled`` is set in ``init`` makes its iterations in a compiled kernel, many per call
    (``_advance(state, count)``, from the state ``_pack`` makes of its first one), and its ``step`` replays
    them one at a time, so that the run loop keeps ``max_iter``, the history, callbacks and Ctrl-C. A
    call makes at most ``_CHUNK_WORK / (n m)`` iterations (256 at most) and stops early at an iteration
    the loop checks and will find certified. The checks of the replayed iterates carry the objective and
    marginal error the kernel computed with the formulas of :meth:`EntropicOT.measures` (from the same
    marginals: a second evaluation in NumPy cost 13 us a call on 30 x 30); the answer is certified from the
    returned plan, as on the step path: formed and summed by the call that certified it (with the kernels
    ``finalize`` calls otherwise), and made the certificate by :meth:`EntropicOT.certificate`. The first call
    also makes the start (``start=True``): the first row of its trace is iteration 0.
    """

    problem_types = (EntropicOT,)
    cutoff = -math.inf  # plan entries with exponent <= cutoff are left out (of the measured marginals too)
    compiled = False

    def _compiled_start(self, x0: Any) -> CompiledRun:
        """A compiled run from ``SinkhornEngine.start``'s iterate, made, measured and advanced in one kernel call:
        the first row of its trace is iteration 0, what the first check reads (``base = -1``)."""
        n, m = self.problem.shape
        state = ot_run_state(n, m, np.zeros(m) if x0 is None else x0[1])
        return CompiledRun(state, self._advance(state, self._chunk(0), start=True), base=-1, pos=0)

    def _chunk(self, pos: int) -> int:
        """Iterations of the next call of a compiled run from iteration ``pos`` (see the class)."""
        return min(max(1, min(256, _CHUNK_WORK // self.problem.C.size)), self.options.max_iter - pos)

    def _compiled_step(self, s: Any) -> CompiledRun:
        """The next iteration of the compiled run: the next one of the trace, or a new call when it is used up."""
        if not isinstance(s, CompiledRun):
            s = CompiledRun(self._pack(s))
        if s.trace is None or s.pos >= s.base + len(s.trace.ist):
            s.base = s.pos
            s.trace = self._advance(s.arrays, self._chunk(s.pos))
        s.pos += 1
        return s

    def _replayed(self, s: CompiledRun) -> Check:
        """The check of the replayed iterate (see the class)."""
        k = s.pos - s.base - 1
        t, p = s.trace, self.problem
        fun, err, reg, _ = t.out[k].tolist()
        f, g = t.F[k], t.G[k]  # a trace is never written after its call
        plan = t.plan if k == len(t.out) - 1 else None
        return Check(PlanFactors(f, g, reg, ref=self._plan_reference(s), plan=plan), fun,
                     err / p.mass if reg == p.reg else math.inf, {"marginal_error": err}, (f, g))

    def ahead(self, s: Any) -> Ahead | None:
        """The iterations of a compiled run's trace beyond the replayed one, for the run loop to take in bulk
        (their checks are :meth:`_replayed`'s)."""
        if not isinstance(s, CompiledRun) or s.trace is None:
            return None
        rows = s.trace.out[s.pos - s.base:].tolist()
        if not rows:
            return None
        mass, reg = self.problem.mass, self.problem.reg
        funs, optimalities, errors = [], [], []
        for fun, err, at_reg, _ in rows:  # (a loop, not three comprehensions: each is a function call, cold caches)
            funs.append(fun)
            optimalities.append(err / mass if at_reg == reg else math.inf)
            errors.append(err)

        def at(i: int) -> tuple[CompiledRun, Check]:
            state = CompiledRun(s.arrays, s.trace, s.base, s.pos + 1 + i)
            return state, self._replayed(state)

        return Ahead(funs, optimalities, {"marginal_error": errors}, at)

    def _plan_reference(self, s: CompiledRun) -> Any:
        """The run state whose reference kernel forms the plan of a replayed iterate (see ``finalize``), or None."""
        return None

    def _counters(self, s: CompiledRun) -> dict[str, Any]:
        """The replayed iterate's integer state by name, and its over-relaxation weight as ``omega``."""
        k = s.pos - s.base - 1
        counters = dict(zip(RUN_COUNTERS, s.trace.ist[k].tolist()))
        counters["omega"] = float(s.trace.out[k, 3])
        return counters

    def finalize(self, check: Check) -> Check:
        """Form the plan of a check's :class:`PlanFactors` and measure it (one pass over ``C``)."""
        x = check.x
        if not isinstance(x, PlanFactors):
            return check
        p = self.problem
        if x.plan is not None:  # formed and measured by the compiled call (as below, with the same kernels)
            P, fun, err = x.plan
            return Check.of(P, p.certificate(fun, err), dual=(x.f, x.g))
        if x.ref is not None:
            P = ot_gibbs_factored(p.C, x.f, x.g, x.reg, self.cutoff, x.ref)
        else:
            P = ot_scale_kernel(x.K, x.u, x.v) if x.K is not None else ot_gibbs(p.C, x.f, x.g, x.reg, self.cutoff)
        if x.reg != p.reg:  # stopped at an intermediate problem: its potentials are not this problem's dual
            return Check.of(P, p.measures(P, reg=x.reg))
        return Check.of(P, p.measures(P, dual=(x.f, x.g)), dual=(x.f, x.g))


@register("sinkhorn")
class Sinkhorn(_OTSolver):
    """Sinkhorn's matrix scaling for entropic OT, stable at any ``reg``.

    Alternating exact maximisation of the dual :math:`D(f, g)` of
    :class:`~optkit.problems.EntropicOT` over ``f`` and ``g`` [1]_:

    .. math::
        f_i = \\mathrm{reg}\\log a_i - \\mathrm{reg}\\log\\sum_j e^{(g_j - C_{ij})/\\mathrm{reg}}, \\qquad
        g_j = \\mathrm{reg}\\log b_j - \\mathrm{reg}\\log\\sum_i e^{(f_i - C_{ij})/\\mathrm{reg}} .

    ``domain="log"`` runs these log-sum-exp updates (Numba, parallel over rows).
    ``domain="kernel"`` (the default) writes the plan as
    :math:`\\operatorname{diag}(u)\\,K\\,\\operatorname{diag}(v)` with the kernel
    :math:`K = e^{(f \\oplus g - C)/\\mathrm{reg}}` at absorbed potentials and scales
    :math:`u = a/(Kv)`, :math:`v = b/(K^Tu)` through BLAS; scalings leaving
    :math:`[10^{-50}, 10^{50}]` are absorbed into ``(f, g)`` and ``K`` rebuilt
    (Schmitzer 2019 [2]_), and a half-step whose ``Kv`` underflows is redone in the
    log domain, so neither variant overflows or returns NaN.

    ``x0`` may be a pair of potentials ``(f, g)``; the result's ``x`` is the plan
    ``P`` and ``dual`` the potentials.

    On NumPy float64 costs of at most ``SINKHORN_RUN_MAX_SIZE`` (2^14) entries the
    kernel-domain iterations run compiled, many per call of one Numba loop
    (``optkit.kernels.transport.ot_sinkhorn_run``), and ``step`` replays them one at
    a time: the same iterates without some 25 microseconds of Python per iteration;
    the run loop's contract holds as for :class:`~optkit.solvers.SinkhornNewtonSparse`
    (``docs/transport.md``). ``Result.info["compiled"]`` says which path ran.

    With ``relaxation=True`` (kernel domain) the updates are over-relaxed,
    :math:`u \\leftarrow u^{1-\\omega}(a/Kv)^\\omega` and likewise for ``v``, with the
    weight of Thibault, Chizat, Dossal & Papadakis (2021, arXiv:1711.01851) [3]_: while
    plain Sinkhorn runs, its linear rate :math:`\\kappa` per iteration is read off the
    marginal errors every 10 iterations and the weight set to Young's SOR value
    :math:`\\omega = 2/(1 + \\sqrt{1 - \\kappa})` (capped at 1.9); if the error ever
    grows, :math:`\\omega` returns to 1 for good. The errors are read on that fixed
    schedule, whatever ``check_every`` is, so the iterates do not depend on it.

    Parameters
    ----------
    problem : EntropicOT
        The problem to solve.
    options : SinkhornOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-sinkhorn`.

    References
    ----------
    .. [1] M. Cuturi, "Sinkhorn distances: lightspeed computation of optimal transport",
       NeurIPS 2013.
    .. [2] B. Schmitzer, "Stabilized sparse scaling algorithms for entropy regularized
       transport problems", SIAM J. Sci. Comput. 41 (2019), A1443-A1481.
    .. [3] A. Thibault, L. Chizat, C. Dossal and N. Papadakis, "Overrelaxed Sinkhorn-Knopp
       algorithm for regularized optimal transport", Algorithms 14 (2021), 143.

    Examples
    --------
    In the log domain:

    >>> import optkit
    >>> from optkit.datasets import uniform_clouds
    >>> from optkit.problems import EntropicOT
    >>> problem = EntropicOT.from_point_clouds(*uniform_clouds(40, seed=1), reg=0.02)
    >>> res = optkit.solve(problem, method="sinkhorn", domain="log", tol=1e-8)
    >>> res.success, len(res.dual)
    (True, 2)
    """

    Options = SinkhornOptions

    def init(self, x0: Any) -> OTState | CompiledRun:
        self.engine = SinkhornEngine(self.problem)
        self.kernel = self.options.domain in ("auto", "kernel")
        # small NumPy float64 problems run the kernel-domain iterations compiled (see _OTSolver)
        self.compiled = self.kernel and ot_run_compiled(self.problem.C, SINKHORN_RUN_MAX_SIZE)
        if self.compiled:  # the constants every call of the run passes: log a, log b and ot_run_constants
            p, o = self.problem, self.options
            self._ln = p.log_weights()
            self._consts = ot_run_constants(o.tol, self.cutoff, p.mass, (p.reg,), o.check_every, o.max_iter)
            return self._compiled_start(x0)
        s = self.engine.start(x0, self.kernel)
        s.relax = self.kernel and self.options.relaxation
        s.measured = self.engine.measure(s)
        self._adapt(s)
        return s

    def _pack(self, s: OTState) -> RunState:
        return kernel_state(s, *self.problem.shape)

    def _advance(self, state: RunState, count: int, start: bool = False) -> RunTrace:
        p = self.problem
        return ot_sinkhorn_run(p.C, p.cost_transposed(), p.a, p.b, *self._ln, self._consts, state, count, start,
                               self.options.relaxation)

    def step(self, s: OTState, measure: bool) -> OTState:
        if self.compiled:
            return self._compiled_step(s)
        s = self.engine.kernel_step(s) if self.kernel else self.engine.log_step(s)
        rate = s.relax and s.k % _RATE_EVERY == 0
        s.measured = self.engine.measure(s) if measure or rate else None
        if rate:
            self._adapt(s)
        return s

    @staticmethod
    def _adapt(s: OTState) -> None:
        """Set the over-relaxation weight from the marginal errors read every ``_RATE_EVERY`` iterations.

        The rate is read from the second interval on (the first iterations are a transient).
        """
        if not s.relax:
            return
        err = s.measured.measures["marginal_error"]
        if s.rate is not None:
            k0, e0 = s.rate
            if err > e0 and s.omega != 1.0:
                s.omega, s.relax = 1.0, False
            elif s.omega == 1.0 and s.rated >= 2 and 0 < err < e0:
                kappa = (err / e0) ** (1.0 / (s.k - k0))
                if kappa > 0.5:
                    s.omega = min(1.9, 2.0 / (1.0 + math.sqrt(1.0 - kappa)))
        s.rate = (s.k, err)
        s.rated += 1

    def check(self, s: OTState) -> Check:
        if isinstance(s, CompiledRun):
            return self._replayed(s)
        return s.measured if s.measured is not None else self.engine.measure(s)

    def info(self, s: OTState) -> dict[str, Any]:
        c = self._counters(s) if isinstance(s, CompiledRun) else vars(s)
        return {"domain": "kernel" if self.kernel else "log", "absorptions": c["absorptions"],
                "log_steps": c["log_steps"], "omega": c["omega"], "compiled": self.compiled}
