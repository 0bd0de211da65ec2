"""Entropic optimal transport kernels: Numba (``_jit.py``) on NumPy, the array-API twins
(``_twin.py``) otherwise."""
from __future__ import annotations

import functools
import importlib
import math
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from ...backend import get_namespace
from .._dispatch import PARALLEL_MIN_SIZE, pick, use_numba
from . import _twin as twin

__all__ = ["ot_softmin_rows", "ot_gibbs", "ot_gibbs_marginals", "ot_gibbs_sparse", "ot_newton_cg", "SparsePlan",
           "ot_gibbs_init", "ot_scale_kernel", "ot_newton_direct", "DIRECT_MAX_SIZE", "SCALING_LIMIT", "NEWTON_NOISE",
           "DIRECT_DENSE_MAX_SIZE", "ot_run_compiled", "ot_sns_run", "ot_sinkhorn_run", "RunState", "RunArrays",
           "RunTrace", "OT_RUN_MAX_SIZE", "SINKHORN_RUN_MAX_SIZE", "ot_run_state", "ot_gibbs_factored",
           "ot_plan_measures", "ot_run_constants", "RUN_COUNTERS"]

#: Scalings beyond ``[1/SCALING_LIMIT, SCALING_LIMIT]`` are absorbed into the potentials, on the step path
#: and in the compiled runs alike (one constant, so that the two take the same iterations).
SCALING_LIMIT = 1e50
#: A relative marginal error at or below which a Newton step is rounding noise: SNS takes it whole, without
#: a line-search test on noise (step path and compiled runs alike).
NEWTON_NOISE = 1e-13

#: Sinkhorn and SNS run their iterations compiled, many per call (:func:`ot_sns_run`, :func:`ot_sinkhorn_run`),
#: on NumPy float64 costs with at most this many entries: there the step path's Python overhead per
#: iteration outweighs the iteration itself (a 33 x 38 Newton step: about 0.1 ms of overhead for a few
#: microseconds of kernels).
OT_RUN_MAX_SIZE = 1 << 18
#: Sinkhorn's compiled run only up to this many entries: beyond it the step path's BLAS products win over the
#: compiled loops (measured, CPU time: 200 x 200 at reg 1e-2, 7.6 ms compiled against 6.4 ms stepping;
#: 500 x 500, 35 ms against 18 ms), while at 100 x 100 compiling saves 40%.
SINKHORN_RUN_MAX_SIZE = 1 << 14
#: SNS solves its Newton systems exactly (:func:`ot_newton_direct`) on costs of at most ``DIRECT_MAX_SIZE``
#: entries, and of at most ``DIRECT_DENSE_MAX_SIZE`` where the plan is dense (``reg`` not small next to the cost
#: spread); by CG on the sparsified system elsewhere (see :class:`optkit.solvers.SinkhornNewtonSparse`). The
#: factorisation costs ``n m^2`` whatever the plan's sparsity, CG its nonzeros: measured (CPU, one thread), on
#: 50 x 50 exact steps won at reg 1e-2 and 1e-3; on 100 x 100 they tied with the best at reg 1e-2 and lost at
#: reg 1e-3 (5.5 ms against CG's 4.2: 15 iterations against 24, but each 250 us against 130).
DIRECT_MAX_SIZE = 1 << 12
DIRECT_DENSE_MAX_SIZE = 1 << 14
#: The names of a compiled run's integer state ``RunArrays.ist``, in order (the kernels index it by them).
RUN_COUNTERS = ("stage", "sinkhorn", "level", "ktu_valid", "newton", "cg", "backtracks", "fallbacks", "nnz",
                "absorptions", "log_steps", "nit", "relax", "rated")
_N_COUNTERS = len(RUN_COUNTERS)


class SparsePlan(NamedTuple):
    """A sparsified Gibbs plan: CSR arrays (Numba path) or a dense masked array (twin path)."""

    indptr: Any
    indices: Any
    data: Any
    dense: Any
    shape: tuple

    @property
    def nnz(self) -> int:
        if self.dense is not None:
            xp = get_namespace(self.dense)
            return int(xp.sum(xp.astype(self.dense != 0, xp.int64)))
        return int(self.data.shape[0])


@functools.cache
def _compiled(name: str) -> ModuleType:
    """This package's Numba module ``name``, imported on first use (importing Numba takes a second; an
    import statement in each call cost 0.7 us of import machinery, this 0.15)."""
    return importlib.import_module(f"{__name__}.{name}")


_NO_PLAN = np.empty((0, 0))  # gibbs_marginals writes no plan (and, as K0, factorises nothing)
_NO_FACTOR = np.empty(0)


def _ot_numba(*arrays: Any) -> bool:
    if all(type(a) is np.ndarray for a in arrays):  # the common case: the environment is read once, not per array
        return use_numba(arrays[0]) and all(a.dtype in (np.float32, np.float64) for a in arrays)
    return all(use_numba(a) for a in arrays)


def ot_softmin_rows(C: Any, g: Any, reg: float) -> Any:
    """:math:`\\mathrm{reg}\\log\\sum_j\\exp((g_j - C_{ij})/\\mathrm{reg})` for every row ``i``."""
    if _ot_numba(C, g):
        k = _compiled("_jit")

        return pick(k, "softmin_rows", C)(np.ascontiguousarray(C), np.ascontiguousarray(g, dtype=C.dtype), C.dtype.type(reg))
    return twin.softmin_rows(C, g, reg)


def ot_gibbs(C: Any, f: Any, g: Any, reg: float, cutoff: float = -float("inf")) -> Any:
    """Dense Gibbs kernel :math:`\\exp((f_i + g_j - C_{ij})/\\mathrm{reg})`, zero where the exponent <= ``cutoff``."""
    if _ot_numba(C, f, g):
        k = _compiled("_jit")

        return pick(k, "gibbs", C)(np.ascontiguousarray(C), f.astype(C.dtype), g.astype(C.dtype), float(reg), float(cutoff))
    return twin.gibbs(C, f, g, reg, cutoff)


def ot_gibbs_marginals(C: Any, f: Any, g: Any, reg: float, cutoff: float,
                       log_threshold: Any = None) -> tuple[Any, ...]:
    """Row and column sums of the Gibbs plan, leaving out entries with exponent <= ``cutoff``.

    With ``log_threshold`` (per row) the per-row counts of the entries ``ot_gibbs_sparse``
    would keep come back third, from the same pass; pass them on to it as ``counts``.
    """
    if _ot_numba(C, f, g):
        k = _compiled("_jit")
        import numba  # noqa: PLC0415

        chunks = max(1, min(C.shape[0], 4 * numba.get_num_threads())) if C.size >= PARALLEL_MIN_SIZE else 1
        thr = (np.full(C.shape[0], np.inf) if log_threshold is None
               else np.ascontiguousarray(log_threshold, dtype=np.float64))
        r, c, counts = pick(k, "gibbs_marginals", C)(np.ascontiguousarray(C), f, g, float(reg), float(cutoff), chunks, thr,
                                                     _NO_PLAN, _NO_PLAN, _NO_FACTOR, _NO_FACTOR)
        out = (r.astype(C.dtype, copy=False), c.astype(C.dtype, copy=False))
        return out if log_threshold is None else (*out, counts)
    return twin.gibbs_marginals(C, f, g, reg, cutoff, log_threshold)


def ot_gibbs_sparse(C: Any, f: Any, g: Any, reg: float, log_threshold: Any, counts: Any = None) -> SparsePlan:
    """The Gibbs entries with exponent >= ``log_threshold[i]`` (per row) as a :class:`SparsePlan`.

    ``counts``: the row lengths from ``ot_gibbs_marginals`` at the same point (saves a pass).
    """
    shape = tuple(C.shape)
    if _ot_numba(C, f, g):
        k = _compiled("_jit")

        rc = np.zeros(0, dtype=np.int64) if counts is None else np.asarray(counts, dtype=np.int64)
        indptr, indices, data = pick(k, "gibbs_sparse", C)(np.ascontiguousarray(C), f, g, float(reg),
                                               np.ascontiguousarray(log_threshold, dtype=np.float64), rc)
        return SparsePlan(indptr, indices, data, None, shape)
    return SparsePlan(None, None, None, twin.gibbs_sparse(C, f, g, reg, log_threshold), shape)


def ot_newton_cg(plan: SparsePlan, r: Any, c: Any, rhs_x: Any, rhs_y: Any, rtol: float,
                 maxiter: int) -> tuple[Any, Any, int]:
    """PCG on the sparsified Newton system of the entropic OT dual (last dual variable fixed)."""
    if plan.dense is None:
        k = _compiled("_jit")

        import numba  # noqa: PLC0415

        f64 = np.float64
        threaded = plan.data.shape[0] >= PARALLEL_MIN_SIZE
        chunks = numba.get_num_threads() if threaded else 1
        x, y, it = pick(k, "newton_cg", plan.data)(plan.indptr, plan.indices, plan.data, r.astype(f64), c.astype(f64),
                               rhs_x.astype(f64), rhs_y.astype(f64), float(rtol), int(maxiter), chunks)
        return x.astype(r.dtype, copy=False), y.astype(r.dtype, copy=False), int(it)
    return twin.newton_cg(plan.dense, r, c, rhs_x, rhs_y, rtol, maxiter)


def ot_newton_direct(plan: SparsePlan, r: Any, c: Any, rhs_x: Any, rhs_y: Any) -> tuple[Any, Any, bool]:
    """The sparsified Newton system of :func:`ot_newton_cg` solved exactly (Cholesky factor of its Schur
    complement); ``(x, y, ok)``, ``ok`` false with NaN ``x, y`` when the complement is not positive definite."""
    if plan.dense is None:
        k = _compiled("_jit")

        f64 = np.float64
        x, y, ok = k.newton_direct(plan.indptr, plan.indices, plan.data, r.astype(f64), c.astype(f64),
                                   rhs_x.astype(f64), rhs_y.astype(f64))
        return x.astype(r.dtype, copy=False), y.astype(r.dtype, copy=False), bool(ok)
    return twin.newton_direct(plan.dense, r, c, rhs_x, rhs_y)


def ot_plan_measures(P: Any, rows: Any, cols: Any, a: Any, b: Any, f: Any, g: Any,
                     weight: float) -> tuple[float, float]:
    r"""``(fun, err)`` of a plan ``P`` (or of the marginals ``rows``, ``cols`` when ``P`` is None) with potentials
    ``(f, g)``: the objective :math:`\langle f, P\mathbf 1\rangle + \langle g, P^T\mathbf 1\rangle -
    \mathrm{weight}\,\mathbf 1^T P\mathbf 1` and the L1 marginal error, in one compiled pass. NumPy only: its
    twin is the array-API code of :meth:`optkit.problems.EntropicOT.measures` it stands in for."""
    k = _compiled("_jit")

    if P is None:
        P = _NO_PLAN
    else:
        P = np.ascontiguousarray(P, dtype=np.float64)
        rows = cols = np.empty(0)
    f64 = np.float64
    fun, err = k.plan_measures(P, np.asarray(rows, dtype=f64), np.asarray(cols, dtype=f64), np.asarray(a, dtype=f64),
                               np.asarray(b, dtype=f64), np.asarray(f, dtype=f64), np.asarray(g, dtype=f64),
                               float(weight))
    return float(fun), float(err)


def ot_gibbs_init(C: Any, g: Any, reg: float, log_a: Any) -> tuple[Any, Any]:
    """``(K, f)``: exact f-update from ``g`` (``log_a = log a``) and the Gibbs kernel at ``(f, g)``, one pass."""
    if _ot_numba(C, g, log_a):
        k = _compiled("_jit")

        return pick(k, "gibbs_init", C)(np.ascontiguousarray(C), g.astype(C.dtype), float(reg), log_a.astype(np.float64))
    return twin.gibbs_init(C, g, reg, log_a)


def ot_scale_kernel(K: Any, u: Any, v: Any) -> Any:
    """:math:`\\operatorname{diag}(u)\\,K\\,\\operatorname{diag}(v)` (the plan of a scaled kernel)."""
    if _ot_numba(K, u, v):
        k = _compiled("_jit")

        return pick(k, "scale_kernel", K)(np.ascontiguousarray(K), u, v)
    return twin.scale_kernel(K, u, v)



class RunArrays(NamedTuple):
    """The arrays of a compiled run's state: views of a :class:`RunState`'s two buffers.

    ``ist`` holds the integer state (stage, counters, continuation level, iteration count) and ``fst``
    Sinkhorn's over-relaxation (weight, last rate reading) and, fourth, the reg of SNS's reference kernel;
    ``f, g`` the potentials; ``u, v, K, Kv, Ktu`` the kernel-domain scalings, kernel and its products;
    ``rows, cols, counts`` SNS's Newton-stage marginals and CSR row lengths (after a call, ``rows, cols``
    are the marginals of its last iteration); in SNS's Newton stage ``K`` is the reference kernel at the
    potentials ``f0, g0`` through which the plan's exponentials are factorised (``fst[3]`` its reg, 0 for
    none: a state made with ``fst[3] = 0`` and any ``K`` makes its own).
    """

    ist: Any
    fst: Any
    f: Any
    g: Any
    u: Any
    v: Any
    K: Any
    Kv: Any
    Ktu: Any
    rows: Any
    cols: Any
    counts: Any
    f0: Any
    g0: Any


def run_state_views(floats: Any, ints: Any, n: int, m: int) -> tuple:
    """The :class:`RunArrays` of a state's buffers, as a tuple: ``floats`` holds ``fst`` (4), then ``f, u, Kv, rows,
    f0`` (``n`` each), ``g, v, Ktu, cols, g0`` (``m`` each) and ``K`` (``n m``); ``ints`` holds ``ist``, then
    ``counts`` (``n``). The one statement of the layout: the kernels compile this very function."""
    o = 4 + 5 * n
    p = o + 5 * m
    return (ints[:_N_COUNTERS], floats[:4], floats[4:4 + n], floats[o:o + m], floats[4 + n:4 + 2 * n],
            floats[o + m:o + 2 * m], floats[p:p + n * m].reshape((n, m)), floats[4 + 2 * n:4 + 3 * n],
            floats[o + 2 * m:o + 3 * m], floats[4 + 3 * n:4 + 4 * n], floats[o + 3 * m:o + 4 * m],
            ints[_N_COUNTERS:_N_COUNTERS + n], floats[4 + 4 * n:o], floats[o + 4 * m:p])


class RunState(NamedTuple):
    """What a compiled run changes, updated in place by :func:`ot_sns_run` and :func:`ot_sinkhorn_run`: a float and
    an integer buffer of an ``n x m`` problem, whose views are the state's :class:`RunArrays` (:meth:`arrays`).

    Two buffers rather than fourteen arrays: each array was an allocation before a solve and an argument that
    the compiled call's dispatch checks and unboxes (see ``docs/transport.md``).
    """

    floats: Any
    ints: Any
    n: int
    m: int

    def arrays(self) -> RunArrays:
        """The state's arrays (views: writing them writes the state)."""
        return RunArrays(*run_state_views(self.floats, self.ints, self.n, self.m))


class RunTrace(NamedTuple):
    """The iterations of one compiled call: potentials ``F[k], G[k]``, ``out[k] = (objective, L1 marginal
    error, reg, over-relaxation weight)`` and the integer state ``ist[k]`` after iteration ``k``; ``plan`` is
    ``(P, fun, err)`` when the last iteration is certified (the problem's ``reg``, marginal error <= ``tol``): its
    plan, formed as ``ot_gibbs_factored`` (SNS with exact Newton steps) or ``ot_gibbs`` would form it, and the
    plan's objective and L1 marginal error as ``ot_plan_measures`` gives them with the potentials as ``dual``."""

    F: Any
    G: Any
    out: Any
    ist: Any
    plan: Any = None


def ot_run_compiled(C: Any, max_size: int = OT_RUN_MAX_SIZE) -> bool:
    """Whether SNS (and, with ``max_size=SINKHORN_RUN_MAX_SIZE``, Sinkhorn in the kernel domain) runs compiled
    on the cost ``C``: NumPy float64 with at most ``max_size`` entries.

    Elsewhere (other libraries, float32, larger problems) the solvers step through the kernels of
    this module one iteration at a time; that step path is the twin of the compiled runs.
    """
    return use_numba(C) and C.dtype == np.float64 and C.size <= max_size


def _run(name: str, C: Any, args: tuple, state: RunState, count: int, flags: tuple) -> RunTrace:
    # the caller chose the compiled run by ot_run_compiled; only its array test is repeated (not the environment's)
    if not (type(C) is np.ndarray and C.dtype == np.float64 and C.size <= OT_RUN_MAX_SIZE):
        raise ValueError(f"ot_{name} takes a NumPy float64 cost of at most OT_RUN_MAX_SIZE entries "
                         f"(elsewhere the solvers step through the kernels one iteration at a time)")
    F, G, out, ist, P, fun, err = getattr(_compiled("_jit_sns"), name)(C, *args, state.floats, state.ints, count,
                                                                        *flags)
    return RunTrace(F, G, out, ist, (P, fun, err) if P.size else None)


def ot_run_state(n: int, m: int, g: Any) -> RunState:
    """The state of a compiled run before its start (``start=True`` of :func:`ot_sns_run`, :func:`ot_sinkhorn_run`
    makes it from the potential ``g``, a copy of which it holds)."""
    floats = np.empty(4 + 5 * (n + m) + n * m)
    floats[4 + 5 * n:4 + 5 * n + m] = g  # its g (run_state_views)
    return RunState(floats, np.zeros(_N_COUNTERS + n, dtype=np.int64), n, m)


def ot_gibbs_factored(C: Any, f: Any, g: Any, reg: float, cutoff: float, ref: RunState) -> Any:
    """:func:`ot_gibbs` ``(C, f, g, reg, cutoff)`` of a compiled SNS run, its exponentials factorised through the
    reference kernel of the run's state ``ref`` (a :class:`RunState`: ``K`` at the potentials ``f0, g0``, ``fst[3]``
    its reg) where the potentials are within its span, exact otherwise; changes nothing. NumPy float64 only, as
    the run."""
    a = ref.arrays()
    return _compiled("_jit_reference").gibbs_plan(C, f, g, float(reg), float(cutoff), a.K, a.f0, a.g0, float(a.fst[3]))


def ot_run_constants(tol: float, cutoff: float, mass: float, levels: Any, check_every: int, max_iter: int, *,
                     switch_tol: float = 0.0, cg_tol: float = 0.0, shift: float = 0.0, armijo: float = 0.0,
                     level_tol: float = 0.0, sinkhorn_iters: int = 0, max_backtracks: int = 0, cg_max_iter: int = 0,
                     direct: bool = False, sparsity: float = 1.0) -> Any:
    """The constants of a compiled run, in the one float64 array :func:`ot_sns_run` and :func:`ot_sinkhorn_run` take:
    ``(tol, switch_tol, cg_tol, shift, armijo, level_tol, cutoff, mass)``, then ``(sinkhorn_iters, max_backtracks,
    cg_max_iter, check_every, max_iter, direct)`` (``direct``: Newton systems solved by :func:`ot_newton_direct`, not
    CG), ``log(sparsity)`` (the Newton matrix keeps the entries with exponent at least
    ``max(log a_i + log sparsity, cutoff + 1)``), then the continuation's regs ``levels`` (decreasing, the problem's
    last; Sinkhorn: the problem's reg alone). One array, not three and the thresholds: each NumPy array made
    before a call cost microseconds of a 30 x 30 solve."""
    return np.array([tol, switch_tol, cg_tol, shift, armijo, level_tol, cutoff, mass, sinkhorn_iters, max_backtracks,
                     cg_max_iter, check_every, max_iter, direct, math.log(sparsity), *levels], dtype=np.float64)


def ot_sns_run(C: Any, CT: Any, a: Any, b: Any, ln_a: Any, ln_b: Any, consts: Any, state: RunState, count: int,
               start: bool = False) -> RunTrace:
    """Advance a compiled SNS run by at most ``count`` iterations (fewer when it certifies); returns their trace.

    With ``start`` the state (from :func:`ot_run_state`) is first made from its ``g``: the exact f-update and
    its kernel at the first level's reg, the first check's iterate, which is the trace's first row (iteration
    0; the iterations follow). ``consts`` are the run's constants (:func:`ot_run_constants`). Only where
    :func:`ot_run_compiled` holds; its twin is the step path (see that function).
    """
    return _run("sns_run", C, (CT, a, b, ln_a, ln_b, consts), state, count + start, (bool(start),))


def ot_sinkhorn_run(C: Any, CT: Any, a: Any, b: Any, ln_a: Any, ln_b: Any, consts: Any, state: RunState, count: int,
                    start: bool = False, relax: bool = False) -> RunTrace:
    """Advance a compiled kernel-domain Sinkhorn run by at most ``count`` iterations; as :func:`ot_sns_run` (of the
    constants only ``tol``, ``cutoff``, ``mass``, ``check_every``, ``max_iter`` and the one level, the problem's reg,
    count; ``relax``: the start takes the over-relaxation's first rate reading)."""
    return _run("sinkhorn_run", C, (CT, a, b, ln_a, ln_b, consts), state, count + start, (bool(start), bool(relax)))
