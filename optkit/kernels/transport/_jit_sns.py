"""Sinkhorn-Newton-Sparse and Sinkhorn in compiled loops, for small problems (NumPy float64 only).

Reached only through :func:`optkit.kernels.transport.ot_sns_run` and ``ot_sinkhorn_run``. The first runs
the same iterations as
:class:`optkit.solvers.SinkhornNewtonSparse` step by step (the kernel-domain Sinkhorn stage with its
absorptions and log-domain fallbacks, the switch to Newton, the sparsified Newton-CG steps with their
Armijo search and Sinkhorn fallback, the continuation levels), calling the very kernels of ``_jit.py``
that the step path calls, but without returning to Python between iterations: on a 33 x 38 problem
the step path spends almost all its time in per-step Python overhead. Its array-API twin is that
step path (the solver's own ``step`` over the kernels' twins); ``tests/transport/test_whole_solve.py``
holds the two to the same iterates. ``sinkhorn_run`` does the same for :class:`optkit.solvers.Sinkhorn` in
the kernel domain (with its over-relaxation and the rate readings every 10 iterations).

A call advances at most ``count`` iterations, so that the caller regains control (Ctrl-C,
callbacks) between calls. Every iteration is recorded: its potentials, the objective and L1
marginal error of its plan (the formulas of :meth:`optkit.problems.EntropicOT.measures`) and the
counters, for the run loop to replay; a call whose last iteration is certified also returns that iterate's
plan, formed and measured (:func:`_traced`).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from . import NEWTON_NOISE as _NOISE, SCALING_LIMIT as _BIG  # the step path's constants
from . import RUN_COUNTERS, run_state_views
from ._jit import (gibbs_init_serial, gibbs_marginals_serial, gibbs_serial, gibbs_sparse_serial, newton_cg_serial,
                   newton_direct_dense, plan_measures, softmin_rows_serial)
from ._jit_reference import UNCLIPPED, gibbs_pass, gibbs_plan, reference_fits

# integer state ``ist``: what changes during a run besides the arrays (named by RUN_COUNTERS)
(STAGE, SINKHORN, LEVEL, KTU_VALID, NEWTON, CG, BACKTRACKS, FALLBACKS, NNZ, ABSORPTIONS, LOG_STEPS, NIT, RELAX,
 RATED) = range(len(RUN_COUNTERS))
N_STATE = len(RUN_COUNTERS)
_views = numba.njit(cache=True, inline='always')(run_state_views)  # a run's state arrays from its two buffers
# The functions a run function calls once (the stages of an iteration, the record, the trace) are inlined into it
# (``inline='always'``): as calls they took up to 28 arrays each through memory, and a 30 x 30 run touched 81.6 KB of
# machine code per call against 69.6 KB inlined (perf samples mapped onto the symbols). Functions called from
# several places stay calls, so that their code runs from one copy.
# float state ``fst``: Sinkhorn's over-relaxation weight omega and its last rate reading (k, error), k < 0: none;
# fst[3]: the reg of SNS's reference kernel (see gibbs_pass), 0: none
# ``prm``: tol, switch_tol, cg_tol, shift, armijo, level_tol, cutoff, mass
# ``cfg``: sinkhorn_iters, max_backtracks, cg_max_iter, check_every, max_iter, direct (1: Cholesky, 0: CG)
# a run's constants ``consts``: prm, cfg (as floats), log(sparsity), then the levels (see _constants)


@numba.njit(cache=True)
def _matvec(K, v, out):  # pragma: no cover  (compiled)
    n, m = K.shape
    for i in range(n):
        s = 0.0
        for j in range(m):
            s += K[i, j] * v[j]
        out[i] = s


@numba.njit(cache=True)
def _vecmat(u, K, out):  # pragma: no cover  (compiled)
    n, m = K.shape
    out[:] = 0.0
    for i in range(n):
        ui = u[i]
        for j in range(m):
            out[j] += ui * K[i, j]


@numba.njit(cache=True)
def _below(x, big):  # pragma: no cover  (compiled)
    """``max(x) < big`` with NaN counting as not below."""
    for i in range(x.size):
        if not x[i] < big:
            return False
    return True


@numba.njit(cache=True)
def _rebuild(C, f, g, u, v, K, reg, absorb, ist):  # pragma: no cover  (compiled)
    """The step path's ``SinkhornEngine.rebuild``: absorb the scalings (when ``absorb``), remake the kernel."""
    if absorb:
        for i in range(f.size):
            f[i] += reg * math.log(u[i])
        for j in range(g.size):
            g[j] += reg * math.log(v[j])
    K[:, :] = gibbs_serial(C, f, g, reg, -np.inf)
    u[:] = 1.0
    v[:] = 1.0
    ist[KTU_VALID] = 0
    ist[ABSORPTIONS] += 1


@numba.njit(cache=True)
def _log_half_step(C, other, scale, mine, ln_w, reg):  # pragma: no cover  (compiled)
    """A half-step in the log domain: absorb ``scale`` into the ``other`` potential, then the exact
    update ``mine = reg log w - softmin_rows(C - other)`` (``C`` or ``C^T``, ``ln_w = log a`` or ``log b``)."""
    for j in range(other.size):
        other[j] += reg * math.log(scale[j])
    s = softmin_rows_serial(C, other, reg)
    for i in range(mine.size):
        mine[i] = reg * ln_w[i] - s[i]


@numba.njit(cache=True, inline='always')
def _kernel_step(C, CT, a, b, ln_a, ln_b, reg, f, g, u, v, K, Kv, Ktu, ist, w):  # pragma: no cover  (compiled)
    """One stabilised kernel-domain Sinkhorn iteration with over-relaxation weight ``w``
    (``SinkhornEngine.kernel_step``)."""
    # loops, not array expressions (as in _write_row), the same operations in the same order
    un, vn = np.empty(u.size), np.empty(v.size)
    for i in range(un.size):
        un[i] = a[i] / Kv[i] if w == 1.0 else (a[i] / Kv[i]) ** w * u[i] ** (1.0 - w)
    if not _below(un, _BIG):  # K v underflowed: this half-step in the log domain
        _log_half_step(C, g, v, f, ln_a, reg)
        _rebuild(C, f, g, u, v, K, reg, False, ist)
        ist[LOG_STEPS] += 1
        un[:] = 1.0
    _vecmat(un, K, Ktu)
    for j in range(vn.size):
        vn[j] = b[j] / Ktu[j] if w == 1.0 else (b[j] / Ktu[j]) ** w * v[j] ** (1.0 - w)
    if not _below(vn, _BIG):
        _log_half_step(CT, f, un, g, ln_b, reg)
        _rebuild(C, f, g, u, v, K, reg, False, ist)
        ist[LOG_STEPS] += 1
        un[:] = 1.0
        vn[:] = 1.0
        _vecmat(un, K, Ktu)
    for i in range(un.size):
        u[i] = un[i]
    for j in range(vn.size):
        v[j] = vn[j]
    ist[KTU_VALID] = 1
    if np.min(u) < 1 / _BIG or np.min(v) < 1 / _BIG or np.max(u) > _BIG:
        _rebuild(C, f, g, u, v, K, reg, True, ist)
    _matvec(K, v, Kv)
    ist[SINKHORN] += 1


@numba.njit(cache=True)
def _error(rows, cols, a, b):  # pragma: no cover  (compiled)
    """:math:`\\|r - a\\|_1 + \\|c - b\\|_1`, the problem's marginal error."""
    e = 0.0
    for i in range(rows.size):
        e += abs(rows[i] - a[i])
    for j in range(cols.size):
        e += abs(cols[j] - b[j])
    return e


@numba.njit(cache=True)
def _gauge(C, f, g, reg, cutoff, log_thr, rows, cols, counts, ref):  # pragma: no cover  (compiled)
    """Shift ``(f + t, g - t)`` so that ``g_m = 0`` and refresh the marginals and the row counts."""
    t = g[g.size - 1]
    for i in range(f.size):
        f[i] += t
    for j in range(g.size):
        g[j] -= t
    r, c, cnt = gibbs_pass(C, f, g, reg, cutoff, log_thr, np.empty((0, 0)), ref)
    rows[:] = r
    cols[:] = c
    counts[:] = cnt


@numba.njit(cache=True)
def _sinkhorn_iteration(C, CT, ln_a, ln_b, reg, cutoff, log_thr, f, g, rows, cols, counts, ref):  # pragma: no cover
    """One exact log-domain Sinkhorn iteration at ``reg``, then the gauge (it increases the dual)."""
    s = softmin_rows_serial(C, g, reg)
    for i in range(f.size):
        f[i] = reg * ln_a[i] - s[i]
    s = softmin_rows_serial(CT, f, reg)
    for j in range(g.size):
        g[j] = reg * ln_b[j] - s[j]
    _gauge(C, f, g, reg, cutoff, log_thr, rows, cols, counts, ref)


@numba.njit(cache=True, inline='always')
def _newton_step(C, CT, a, b, ln_a, ln_b, reg, prm, cfg, log_thr, f, g, rows, cols, counts, ist,
                 plans, valid, ref):  # pragma: no cover  (compiled)
    """One sparsified Newton step with its Armijo search, or the Sinkhorn fallback (the solver's
    ``_newton_step``).

    With ``cfg[5]`` (exact Newton systems) ``plans[0]`` holds the sparsified plan at ``(f, g)`` densely when
    ``valid[0]``: the line search's pass at the accepted point wrote it (into ``plans[1]``), so the next
    step does not compute those exponentials again."""
    cg_tol, shift, armijo, cutoff, mass = prm[2], prm[3], prm[4], prm[6], prm[7]
    max_bt, cg_max = cfg[1], cfg[2]
    n, m = C.shape
    m1 = m - 1
    err = _error(rows, cols, a, b) / mass
    rtol = min(cg_tol, math.sqrt(max(err, 1e-300)))
    sh = 1.0 + shift * err
    # loops of our own, not array expressions (each was an allocation, a shape check and a loop: 281 -> 229
    # allocations and 3 us of a 30 x 30 run's 127); the sums keep np.sum's order, so the iterates are bitwise equal
    ga, gb, rs, cs = np.empty(n), np.empty(m), np.empty(n), np.empty(m)
    for i in range(n):
        ga[i] = a[i] - rows[i]
        rs[i] = sh * rows[i]
    for j in range(m):
        gb[j] = b[j] - cols[j]
        cs[j] = sh * cols[j]
    direct = cfg[5] != 0
    if direct:
        if not valid[0]:
            gibbs_pass(C, f, g, reg, cutoff, log_thr, plans[0], ref)
            valid[0] = True
        ist[NNZ] = np.sum(counts)
        x, y, _ = newton_direct_dense(plans[0], rs, cs, ga, gb[:m1])
    else:
        indptr, indices, data = gibbs_sparse_serial(C, f, g, reg, log_thr, counts)
        ist[NNZ] = data.size
        x, y, it = newton_cg_serial(indptr, indices, data, rs, cs, ga, gb[:m1], rtol, cg_max, 1)
        ist[CG] += it
    df, dg = np.empty(n), np.empty(m)
    for i in range(n):
        df[i] = reg * x[i]
    for j in range(m1):
        dg[j] = reg * y[j]
    dg[m1] = 0.0
    slope_f = lin_f = slope_g = lin_g = total = 0.0
    for i in range(n):
        slope_f += ga[i] * df[i]
        lin_f += a[i] * df[i]
        total += rows[i]
    for j in range(m):
        slope_g += gb[j] * dg[j]
        lin_g += b[j] * dg[j]
    slope = slope_f + slope_g
    lin = lin_f + lin_g
    accepted = False
    f1, g1 = np.empty(n), np.empty(m)
    if slope > 0 and math.isfinite(slope):
        alpha = 1.0
        for _ in range(max_bt):
            for i in range(n):
                f1[i] = f[i] + alpha * df[i]
            for j in range(m):
                g1[j] = g[j] + alpha * dg[j]
            if direct:
                r1, c1, n1 = gibbs_pass(C, f1, g1, reg, cutoff, log_thr, plans[1], ref)
            else:
                r1, c1, n1 = gibbs_marginals_serial(C, f1, g1, reg, cutoff, 1, log_thr, np.empty((0, 0)),
                                                    np.empty((0, 0)), df, dg)  # (no plan, no reference kernel)
            gain = alpha * lin - reg * (np.sum(r1) - total)
            if err <= _NOISE:  # the step is rounding noise: taken whole (no test on noise)
                accepted = True
                break
            if math.isfinite(gain) and gain >= armijo * alpha * slope:
                accepted = True
                break
            if err <= 1e-6 and math.isfinite(gain):
                # near the solution the gain is below the rounding of D: judge by the gradient
                if _error(r1, c1, a, b) / mass <= 0.5 * err:
                    accepted = True
                    break
            alpha *= 0.5
            ist[BACKTRACKS] += 1
    if accepted:
        f[:] = f1
        g[:] = g1
        rows[:] = r1
        cols[:] = c1
        counts[:] = n1
        ist[NEWTON] += 1
        if direct:
            plans[0][:, :] = plans[1]
            valid[0] = True
    else:
        valid[0] = False
        _sinkhorn_iteration(C, CT, ln_a, ln_b, reg, cutoff, log_thr, f, g, rows, cols, counts, ref)
        ist[FALLBACKS] += 1


@numba.njit(cache=True)
def _to_newton(C, reg, cutoff, log_thr, f, g, u, v, rows, cols, counts, ist, ref):  # pragma: no cover  (compiled)
    """Absorb the scalings into the potentials and start the Newton stage. The Sinkhorn stage's kernel (at the
    potentials before the absorption, every entry, none clipped while its largest is below ``e^(300 - 2 span)``)
    becomes the reference kernel of :func:`gibbs_pass` when ``ref`` holds it (exact Newton steps), so that
    the first pass of the stage is already factorised."""
    K0, f0, g0, fst = ref
    if reference_fits(K0, f.size, g.size, cutoff) and np.max(K0) <= UNCLIPPED:
        f0[:] = f
        g0[:] = g
        fst[3] = reg
    for i in range(f.size):
        f[i] += reg * math.log(u[i])
    for j in range(g.size):
        g[j] += reg * math.log(v[j])
    _gauge(C, f, g, reg, cutoff, log_thr, rows, cols, counts, ref)
    ist[STAGE] = 1


@numba.njit(cache=True, inline='always')
def _start(C, a, b, ln_a, reg, relax, ist, fst, f, g, u, v, K, Kv, Ktu, rows, cols, F, G, out,
           out_ist):  # pragma: no cover  (compiled)
    """A run's start in the kernel domain (``SinkhornEngine.start`` and the first check), recorded as row 0
    of the trace with iteration count 0: the exact f-update from ``g`` and its kernel (``gibbs_init``),
    ``u = v = 1``, ``K v``, ``K^T u`` and the marginals; with ``relax`` the over-relaxation's first rate
    reading (``Sinkhorn._adapt``). Returns the marginal error."""
    Kn, fn = gibbs_init_serial(C, g, reg, ln_a)
    K[:, :] = Kn
    f[:] = fn
    u[:] = 1.0
    v[:] = 1.0
    ist[:] = 0
    fst[0], fst[1], fst[2], fst[3] = 1.0, -1.0, 0.0, 0.0
    _matvec(K, v, Kv)
    _vecmat(u, K, Ktu)
    ist[KTU_VALID] = 1
    rows[:] = Kv
    cols[:] = Ktu
    err = _error(rows, cols, a, b)
    if relax:
        ist[RELAX] = 1
        _adapt(fst, ist, err)
    # np.int64(0): a literal 0 compiled a second copy of _write_row, which every run also ran (4 KB of machine code)
    return _write_row(f, g, rows, cols, a, b, reg, ist, fst, F, G, out, out_ist, np.int64(0))


@numba.njit(cache=True, inline='always')
def _constants(consts):  # pragma: no cover  (compiled)
    """``prm, cfg, levels`` from a run's constants, one array (each array a call passes costs its caller an
    allocation: microseconds a call)."""
    return consts[:8], consts[8:14].astype(np.int64), consts[15:]


@numba.njit(cache=True)
def sns_run(C, CT, a, b, ln_a, ln_b, consts, floats, ints, count, start):  # pragma: no cover  (compiled)
    """Advance the SNS state by at most ``count`` iterations; returns their trace and, when the last one is
    certified, its plan (:func:`_traced`).

    With ``start`` the state is first made from ``g`` (:func:`_start`, at the first level's reg) and recorded
    as row 0; the iterations follow from row 1 (none when the start is certified).

    The state, in the buffers ``floats`` and ``ints`` (``optkit.kernels.transport.RunState``), is ``ist`` and the
    arrays ``f, g`` (potentials), ``u, v, K, Kv, Ktu`` (Sinkhorn stage,
    ``ist[STAGE] == 0``) and ``rows, cols, counts`` (Newton stage: the marginals and CSR row
    lengths at ``(f, g)``; ``K``, ``f0``, ``g0`` and ``fst[3]`` its reference kernel, see :func:`gibbs_pass`),
    all updated in place. Iteration ``k`` of the call writes the potentials
    of its plan to ``F[k], G[k]``, ``(objective, marginal error, reg)`` to ``out[k]`` and the
    counters to ``out_ist[k]``; on return ``rows, cols`` hold the marginals of the last one. The call
    stops early after an iteration the run loop checks (``check_every``, ``max_iter``) whose
    relative marginal error at the problem's ``reg`` is <= ``tol``, or is not a number.
    """
    ist, fst, f, g, u, v, K, Kv, Ktu, rows, cols, counts, f0, g0 = _views(floats, ints, C.shape[0], C.shape[1])
    prm, cfg, levels = _constants(consts)
    log_thr = np.maximum(ln_a + consts[14], prm[6] + 1.0)  # the Newton matrix's per-row thresholds (log sparsity)
    F, G, out, out_ist = _trace(count, f.size, g.size)
    # the Newton stage's reference kernel (see gibbs_pass; K is free once Sinkhorn ends), with exact Newton
    # systems only: the inexact CG steps amplify its rounding differences from the step path to 1e-6
    ref = (K if cfg[5] else np.empty((0, 0)), f0, g0, fst)
    done = _sns_advance(C, CT, a, b, ln_a, ln_b, levels, log_thr, prm, cfg, ist, fst, f, g, u, v, K, Kv, Ktu, rows,
                        cols, counts, ref, F, G, out, out_ist, start)
    return _traced(C, a, b, levels[levels.size - 1], prm, ref, F, G, out, out_ist, done)


@numba.njit(cache=True, inline='always')
def _trace(count, n, m):  # pragma: no cover  (compiled)
    """A call's trace arrays for at most ``count`` iterations: ``F, G, out, out_ist`` (see :func:`sns_run`)."""
    return np.empty((count, n)), np.empty((count, m)), np.empty((count, 4)), np.empty((count, N_STATE), np.int64)


@numba.njit(cache=True, inline='always')
def _traced(C, a, b, reg, prm, ref, F, G, out, out_ist, done):  # pragma: no cover  (compiled)
    """What a call returns: ``(F, G, out, out_ist)`` cut to its ``done`` rows and, when the last row is an
    iterate of the problem's ``reg`` with relative marginal error <= ``tol`` (the one the run loop ends on), its
    plan :func:`gibbs_plan` (through the reference kernel ``ref``) and the plan's ``(fun, err)`` by
    :func:`plan_measures`, what the solver's ``finalize`` would compute in two more calls; otherwise an
    empty plan and NaNs."""
    tol, cutoff, mass = prm[0], prm[6], prm[7]
    k = done - 1
    P = np.empty((0, 0))
    fun = err = np.nan
    if done > 0 and out[k, 2] == reg and out[k, 1] / mass <= tol:
        K0, f0, g0, fst = ref
        P = gibbs_plan(C, F[k], G[k], reg, cutoff, K0, f0, g0, fst[3])
        fun, err = plan_measures(P, np.empty(0), np.empty(0), a, b, F[k], G[k], reg)
    return F[:done], G[:done], out[:done], out_ist[:done], P, fun, err


@numba.njit(cache=True, inline='always')
def _sns_advance(C, CT, a, b, ln_a, ln_b, levels, log_thr, prm, cfg, ist, fst, f, g, u, v, K, Kv, Ktu, rows, cols,
                 counts, ref, F, G, out, out_ist, start):  # pragma: no cover  (compiled)
    """:func:`sns_run`'s iterations, into the trace ``F, G, out, out_ist``; returns how many were made."""
    tol, switch_tol, level_tol, cutoff, mass = prm[0], prm[1], prm[5], prm[6], prm[7]
    n_sinkhorn, every, max_iter = cfg[0], cfg[3], cfg[4]
    last = levels.size - 1
    fe = np.empty(f.size)
    ge = np.empty(g.size)
    plans = np.empty((2, f.size, g.size) if cfg[5] else (2, 0, 0))  # exact Newton systems: see _newton_step
    valid = np.zeros(1, dtype=np.bool_)
    done = 0
    if start:
        err = _start(C, a, b, ln_a, levels[0], False, ist, fst, f, g, u, v, K, Kv, Ktu, rows, cols, F, G, out, out_ist)
        done = 1
        if last == 0 and not err / mass > tol:
            return 1
    while done < F.shape[0]:
        reg = levels[ist[LEVEL]]
        if ist[STAGE] == 0:
            _kernel_step(C, CT, a, b, ln_a, ln_b, reg, f, g, u, v, K, Kv, Ktu, ist, 1.0)
            if ist[SINKHORN] >= n_sinkhorn:
                _to_newton(C, reg, cutoff, log_thr, f, g, u, v, rows, cols, counts, ist, ref)
            else:
                _kernel_marginals(f, g, u, v, K, Kv, Ktu, reg, ist, fe, ge, rows, cols)
                if ist[SINKHORN] % 5 == 0 and _error(rows, cols, a, b) / mass <= switch_tol:
                    _to_newton(C, reg, cutoff, log_thr, f, g, u, v, rows, cols, counts, ist, ref)
        else:
            _newton_step(C, CT, a, b, ln_a, ln_b, reg, prm, cfg, log_thr, f, g, rows, cols, counts, ist, plans, valid,
                         ref)
            if ist[LEVEL] < last and _error(rows, cols, a, b) / mass <= level_tol:
                valid[0] = False
                ist[LEVEL] += 1
                reg = levels[ist[LEVEL]]
                _sinkhorn_iteration(C, CT, ln_a, ln_b, reg, cutoff, log_thr, f, g, rows, cols, counts, ref)
        if ist[STAGE] == 1:
            fe[:] = f
            ge[:] = g
        if _record(fe, ge, rows, cols, a, b, reg, ist, fst, F, G, out, out_ist, done, every, max_iter, tol, mass,
                   ist[LEVEL] == last):
            return done + 1
        done += 1
    return done


@numba.njit(cache=True, inline='always')
def _kernel_marginals(f, g, u, v, K, Kv, Ktu, reg, ist, fe, ge, rows, cols):  # pragma: no cover  (compiled)
    """The effective potentials ``f + reg log u``, ``g + reg log v`` and the marginals ``u * Kv``,
    ``v * K^T u`` of the kernel-domain plan (``SinkhornEngine.marginals``)."""
    if ist[KTU_VALID] == 0:
        _vecmat(u, K, Ktu)
    for i in range(f.size):
        fe[i] = f[i] + reg * math.log(u[i])
        rows[i] = u[i] * Kv[i]
    for j in range(g.size):
        ge[j] = g[j] + reg * math.log(v[j])
        cols[j] = v[j] * Ktu[j]


@numba.njit(cache=True, inline='always')
def _record(fe, ge, rows, cols, a, b, reg, ist, fst, F, G, out, out_ist, done, every, max_iter, tol, mass,
            certifiable):  # pragma: no cover  (compiled)
    """Write iteration ``done`` of the call (potentials, objective, marginal error, reg, the
    over-relaxation weight, counters) and
    say whether the call stops there: at ``max_iter``, or at an iteration the run loop checks whose
    relative marginal error (at the problem's reg: ``certifiable``) is <= ``tol`` or not a number."""
    ist[NIT] += 1
    err = _write_row(fe, ge, rows, cols, a, b, reg, ist, fst, F, G, out, out_ist, done)
    nit = ist[NIT]
    return nit >= max_iter or ((nit % every == 0) and certifiable and not err / mass > tol)


@numba.njit(cache=True)
def _write_row(fe, ge, rows, cols, a, b, reg, ist, fst, F, G, out, out_ist, row):  # pragma: no cover  (compiled)
    """Row ``row`` of the trace: the potentials, ``(objective, marginal error, reg, over-relaxation weight)``
    (the objective through the potentials, as :meth:`EntropicOT.measures`) and the counters; returns the error."""
    err = _error(rows, cols, a, b)
    # loops, not array expressions (their temporaries and shape checks were 4.7 KB of machine code, cold in a
    # single small solve); the sums in np.sum's order, so the objective is bitwise the same
    sf = sg = total = 0.0
    for i in range(fe.size):
        sf += fe[i] * rows[i]
        total += rows[i]
        F[row, i] = fe[i]
    for j in range(ge.size):
        sg += ge[j] * cols[j]
        G[row, j] = ge[j]
    out[row, 0] = (sf + sg - reg * total) if math.isfinite(err) else np.nan
    out[row, 1] = err
    out[row, 2] = reg
    out[row, 3] = fst[0]
    for k in range(ist.size):
        out_ist[row, k] = ist[k]
    return err


@numba.njit(cache=True)
def _adapt(fst, ist, err):  # pragma: no cover  (compiled)
    """The over-relaxation weight from the rate readings every 10 iterations (``Sinkhorn._adapt``)."""
    if ist[RELAX] == 0:
        return
    k = ist[SINKHORN]
    if fst[1] >= 0:
        k0, e0 = fst[1], fst[2]
        if err > e0 and fst[0] != 1.0:
            fst[0] = 1.0
            ist[RELAX] = 0
        elif fst[0] == 1.0 and ist[RATED] >= 2 and 0 < err < e0:
            kappa = (err / e0) ** (1.0 / (k - k0))
            if kappa > 0.5:
                fst[0] = min(1.9, 2.0 / (1.0 + math.sqrt(1.0 - kappa)))
    fst[1] = k
    fst[2] = err
    ist[RATED] += 1


@numba.njit(cache=True)
def sinkhorn_run(C, CT, a, b, ln_a, ln_b, consts, floats, ints, count, start, relax):  # pragma: no cover
    """Advance a kernel-domain Sinkhorn run by at most ``count`` iterations; returns as :func:`sns_run`.

    The state is ``ist``, ``fst`` (over-relaxation) and ``f, g, u, v, K, Kv, Ktu`` of the buffers, as in
    :func:`sns_run` (``counts``, ``f0``, ``g0`` are not used); the start (with ``relax``: over-relaxed), the record, the
    early stop and the plan of a certified last row (exact exponentials) are the same.
    """
    ist, fst, f, g, u, v, K, Kv, Ktu, rows, cols, _, f0, g0 = _views(floats, ints, C.shape[0], C.shape[1])
    prm, cfg, levels = _constants(consts)
    reg = levels[0]
    F, G, out, out_ist = _trace(count, f.size, g.size)
    done = _sinkhorn_advance(C, CT, a, b, ln_a, ln_b, reg, prm, cfg, ist, fst, f, g, u, v, K, Kv, Ktu, rows, cols,
                             F, G, out, out_ist, start, relax)
    return _traced(C, a, b, reg, prm, (np.empty((0, 0)), f0, g0, fst), F, G, out, out_ist, done)


@numba.njit(cache=True, inline='always')
def _sinkhorn_advance(C, CT, a, b, ln_a, ln_b, reg, prm, cfg, ist, fst, f, g, u, v, K, Kv, Ktu, rows, cols, F, G,
                      out, out_ist, start, relax):  # pragma: no cover  (compiled)
    """:func:`sinkhorn_run`'s iterations, into the trace ``F, G, out, out_ist``; returns how many were made."""
    tol, mass = prm[0], prm[7]
    every, max_iter = cfg[3], cfg[4]
    fe = np.empty(f.size)
    ge = np.empty(g.size)
    done = 0
    if start:
        err = _start(C, a, b, ln_a, reg, relax, ist, fst, f, g, u, v, K, Kv, Ktu, rows, cols, F, G, out, out_ist)
        done = 1
        if not err / mass > tol:
            return 1
    while done < F.shape[0]:
        _kernel_step(C, CT, a, b, ln_a, ln_b, reg, f, g, u, v, K, Kv, Ktu, ist, fst[0])
        _kernel_marginals(f, g, u, v, K, Kv, Ktu, reg, ist, fe, ge, rows, cols)
        if ist[RELAX] == 1 and ist[SINKHORN] % 10 == 0:
            _adapt(fst, ist, _error(rows, cols, a, b))
        if _record(fe, ge, rows, cols, a, b, reg, ist, fst, F, G, out, out_ist, done, every, max_iter, tol, mass, True):
            return done + 1
        done += 1
    return done

