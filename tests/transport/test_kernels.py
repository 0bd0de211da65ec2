"""The optimal transport Numba kernels against their array-API twins."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optkit.backend import namespace_by_name, to_numpy
from optkit.kernels import transport as kernels
from optkit.kernels.transport import _jit
from optkit.kernels.transport import twin as ref

xs = namespace_by_name("array_api_strict")


def _data(seed, n, m, reg):
    rng = np.random.default_rng(seed)
    C = rng.random((n, m))
    f = 0.3 * rng.random(n) - 0.2
    g = 0.3 * rng.random(m) - 0.2
    return C, f, g


def _strict(*arrays):
    return tuple(xs.asarray(a) for a in arrays)


sizes = st.tuples(st.integers(1, 30), st.integers(2, 30), st.integers(0, 10_000),
                  st.sampled_from([1.0, 1e-1, 1e-2, 1e-3]))


@settings(max_examples=40, deadline=None)
@given(sizes)
def test_softmin_and_gibbs_match_twins(params):
    n, m, seed, reg = params
    C, f, g = _data(seed, n, m, reg)
    assert kernels.use_numba(C)
    np.testing.assert_allclose(kernels.ot_softmin_rows(C, g, reg), to_numpy(ref.softmin_rows(*_strict(C, g), reg)),
                               rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(kernels.ot_gibbs(C, f, g, reg), to_numpy(ref.gibbs(*_strict(C, f, g), reg)),
                               rtol=1e-11, atol=0)
    np.testing.assert_allclose(kernels.ot_gibbs(C, f, g, reg, -30.0),
                               to_numpy(ref.gibbs(*_strict(C, f, g), reg, -30.0)), rtol=1e-11, atol=0)
    K, f0 = kernels.ot_gibbs_init(C, g, reg, np.log(np.full(n, 1.0 / n)))
    K2, f2 = ref.gibbs_init(*_strict(C, g), reg, xs.log(xs.full((n,), 1.0 / n, dtype=xs.float64)))
    np.testing.assert_allclose(K, to_numpy(K2), rtol=1e-11, atol=1e-300)
    np.testing.assert_allclose(f0, to_numpy(f2), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(K.sum(1), 1.0 / n, rtol=1e-12)  # the exact f-update: rows sum to a
    u, v = np.linspace(0.5, 2, n), np.linspace(2, 0.5, m)
    np.testing.assert_allclose(kernels.ot_scale_kernel(K, u, v), to_numpy(ref.scale_kernel(*_strict(K, u, v))),
                               rtol=1e-14)


@settings(max_examples=40, deadline=None)
@given(sizes, st.floats(-60.0, -1.0))
def test_marginals_and_sparsification_match_twins(params, cutoff):
    n, m, seed, reg = params
    C, f, g = _data(seed, n, m, reg)
    r, c = kernels.ot_gibbs_marginals(C, f, g, reg, cutoff)
    r2, c2 = ref.gibbs_marginals(*_strict(C, f, g), reg, cutoff)
    np.testing.assert_allclose(r, to_numpy(r2), rtol=1e-11, atol=1e-300)
    np.testing.assert_allclose(c, to_numpy(c2), rtol=1e-11, atol=1e-300)
    thr = np.log(np.full(n, 1.0 / n)) + np.log(1e-3)
    _, _, counts = kernels.ot_gibbs_marginals(C, f, g, reg, min(cutoff, float(thr.min()) - 1), thr)
    _, _, counts2 = ref.gibbs_marginals(*_strict(C, f, g), reg, min(cutoff, float(thr.min()) - 1), xs.asarray(thr))
    np.testing.assert_array_equal(counts, to_numpy(counts2))
    plan = kernels.ot_gibbs_sparse(C, f, g, reg, thr, counts)
    np.testing.assert_array_equal(plan.indptr, kernels.ot_gibbs_sparse(C, f, g, reg, thr).indptr)
    dense = np.zeros((n, m))
    for i in range(n):
        sl = slice(plan.indptr[i], plan.indptr[i + 1])
        dense[i, plan.indices[sl]] = plan.data[sl]
    twin = kernels.SparsePlan(None, None, None, ref.gibbs_sparse(*_strict(C, f, g), reg, xs.asarray(thr)), (n, m))
    np.testing.assert_allclose(dense, to_numpy(twin.dense), rtol=1e-11, atol=0)
    assert plan.nnz == twin.nnz


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_newton_cg_solves_the_sparsified_system(seed):
    rng = np.random.default_rng(seed)
    n, m = 12, 9
    P = rng.random((n, m)) * (rng.random((n, m)) < 0.5)
    r = P.sum(1) * 1.1 + 1e-3
    c = P.sum(0) * 1.1 + 1e-3
    bx, by = rng.standard_normal(n), rng.standard_normal(m - 1)
    indptr = np.concatenate([[0], np.cumsum((P != 0).sum(1))]).astype(np.int64)
    indices = np.nonzero(P)[1].astype(np.int64)
    plan = kernels.SparsePlan(indptr, indices, P[P != 0], None, (n, m))
    x, y, it = kernels.ot_newton_cg(plan, r, c, bx, by, 1e-13, 500)
    M = np.block([[np.diag(r), P[:, :m - 1]], [P[:, :m - 1].T, np.diag(c[:m - 1])]])
    np.testing.assert_allclose(np.concatenate([x, y]), np.linalg.solve(M, np.concatenate([bx, by])),
                               rtol=1e-9, atol=1e-11)
    twin = kernels.SparsePlan(None, None, None, xs.asarray(P), (n, m))
    x2, y2, it2 = kernels.ot_newton_cg(twin, *_strict(r, c, bx, by), 1e-13, 500)
    np.testing.assert_allclose(to_numpy(x2), x, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(to_numpy(y2), y, rtol=1e-8, atol=1e-10)
    assert 0 < it <= m and abs(it - it2) <= 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_newton_direct_solves_the_sparsified_system_exactly(seed):
    rng = np.random.default_rng(seed)
    n, m = 12, 9
    P = rng.random((n, m)) * (rng.random((n, m)) < 0.5)
    r, c = P.sum(1) * 1.1 + 1e-3, P.sum(0) * 1.1 + 1e-3
    bx, by = rng.standard_normal(n), rng.standard_normal(m - 1)
    indptr = np.concatenate([[0], np.cumsum((P != 0).sum(1))]).astype(np.int64)
    plan = kernels.SparsePlan(indptr, np.nonzero(P)[1].astype(np.int64), P[P != 0], None, (n, m))
    x, y, ok = kernels.ot_newton_direct(plan, r, c, bx, by)
    M = np.block([[np.diag(r), P[:, :m - 1]], [P[:, :m - 1].T, np.diag(c[:m - 1])]])
    assert ok
    np.testing.assert_allclose(np.concatenate([x, y]), np.linalg.solve(M, np.concatenate([bx, by])),
                               rtol=1e-11, atol=1e-13)
    x2, y2, ok2 = kernels.ot_newton_direct(kernels.SparsePlan(None, None, None, xs.asarray(P), (n, m)),
                                           *_strict(r, c, bx, by))
    assert ok2
    np.testing.assert_allclose(to_numpy(x2), x, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(to_numpy(y2), y, rtol=1e-12, atol=1e-13)
    # the compiled SNS run's one-pass variant: the same marginals and counts, and the kept entries densely
    C, f, g = _data(seed, n, m, 0.1)
    thr = np.log(np.full(n, 0.05))
    Pd = np.empty((n, m))
    got = _jit.gibbs_marginals_serial(C, f, g, 0.1, -30.0, 1, thr, Pd, np.empty((0, 0)), np.empty(0), np.empty(0))
    for a, b in zip(got, kernels.ot_gibbs_marginals(C, f, g, 0.1, -30.0, thr)):
        np.testing.assert_array_equal(a, b)
    sp = kernels.ot_gibbs_sparse(C, f, g, 0.1, thr)
    dense = np.zeros((n, m))
    for i in range(n):
        dense[i, sp.indices[sp.indptr[i]:sp.indptr[i + 1]]] = sp.data[sp.indptr[i]:sp.indptr[i + 1]]
    np.testing.assert_array_equal(Pd, dense)


def test_newton_direct_reports_a_singular_complement():
    P = np.array([[1.0, 0.0], [0.0, 1.0]])  # two disconnected blocks: S = diag(c) - P^T diag(1/r) P = 0
    r, c = P.sum(1), P.sum(0)
    plan = kernels.SparsePlan(np.array([0, 1, 2]), np.array([0, 1]), np.array([1.0, 1.0]), None, (2, 2))
    x, y, ok = kernels.ot_newton_direct(plan, r, c, np.ones(2), np.ones(1))
    assert not ok and np.all(np.isnan(x)) and np.all(np.isnan(y))
    x2, y2, ok2 = kernels.ot_newton_direct(kernels.SparsePlan(None, None, None, xs.asarray(P), (2, 2)),
                                           *_strict(r, c, np.ones(2), np.ones(1)))
    assert not ok2 and not bool(xs.any(xs.isfinite(y2)))


def test_float32_kernels_keep_dtype():
    C, f, g = (a.astype(np.float32) for a in _data(3, 6, 5, 0.1))
    assert kernels.ot_softmin_rows(C, g, 0.1).dtype == np.float32
    assert kernels.ot_gibbs(C, f, g, 0.1).dtype == np.float32
    r, c = kernels.ot_gibbs_marginals(C, f, g, 0.1, -40.0)
    assert r.dtype == c.dtype == np.float32


def test_exponents_are_capped_not_overflowing():
    C = np.zeros((3, 4))
    f, g = np.full(3, 10.0), np.full(4, 10.0)
    K = kernels.ot_gibbs(C, f, g, 1e-3)  # exponent 2e4 would overflow
    assert np.all(np.isfinite(K))
    r, c = kernels.ot_gibbs_marginals(C, f, g, 1e-3, -40.0)
    assert np.all(np.isfinite(r)) and np.all(np.isfinite(c))
    r2, c2 = ref.gibbs_marginals(*_strict(C, f, g), 1e-3, -40.0)
    assert bool(xs.all(xs.isfinite(r2)))


@pytest.mark.parametrize("method", ["sinkhorn", "sns"])
def test_small_problems_never_start_threads(method, monkeypatch):
    """Below PARALLEL_MIN_SIZE every kernel runs its serial build: waking threads on a 10 x 12
    problem made SNS 0.03 s (worst 1.7 s) instead of 0.006 s on a loaded 2-core machine."""
    import optkit
    from optkit.kernels.transport import _jit
    from optkit.problems import EntropicOT

    def refuse(*args):
        raise AssertionError("a threaded build ran on a small problem")

    for name in dir(_jit):
        if name.endswith("_parallel"):
            monkeypatch.setattr(_jit, name, refuse)
    rng = np.random.default_rng(0)
    p = EntropicOT.from_point_clouds(rng.random((10, 2)), rng.random((12, 2)), reg=0.01)
    assert optkit.solve(p, method=method).success


def test_factorised_plan_passes_equal_the_exact_ones():
    """The compiled SNS run's passes through a reference kernel (exponentials of n + m shifts instead of n m)
    give the exact pass's marginals, counts and plan to rounding, make their own reference when there is none
    or the potentials left its span, and never keep one whose entries gibbs would have clipped."""
    from optkit.kernels.transport import _jit_reference as k

    rng = np.random.default_rng(3)
    n, m, reg = 23, 17, 0.02
    C = rng.random((n, m))
    f, g = rng.normal(0.0, 0.1, n) - 0.3, rng.normal(0.0, 0.1, m)
    cutoff, thr = -30.0, np.full(n, -25.0)
    K0, f0, g0, fst = np.empty((n, m)), np.empty(n), np.empty(m), np.zeros(4)
    ref = (K0, f0, g0, fst)
    none2, none1 = np.empty((0, 0)), np.empty(0)
    exact = _jit.gibbs_marginals_serial(C, f, g, reg, cutoff, 1, thr, none2, none2, none1, none1)
    made = k.gibbs_pass(C, f, g, reg, cutoff, thr, np.empty((0, 0)), ref)  # no reference yet: exact, and made
    assert fst[3] == reg and np.array_equal(f0, f) and np.array_equal(g0, g)
    for a, b in zip(made, exact):
        np.testing.assert_array_equal(a, b)
    f1, g1 = f + 0.5 * reg * rng.standard_normal(n) + 7.0, g - 7.0  # moved, and shifted along the gauge
    plan, want = np.empty((n, m)), np.empty((n, m))
    exact = _jit.gibbs_marginals_serial(C, f1, g1, reg, cutoff, 1, thr, want, none2, none1, none1)
    got = k.gibbs_pass(C, f1, g1, reg, cutoff, thr, plan, ref)
    assert np.array_equal(f0, f)  # factorised: the reference stays
    np.testing.assert_allclose(got[0], exact[0], rtol=1e-13)
    np.testing.assert_allclose(got[1], exact[1], rtol=1e-13)
    np.testing.assert_array_equal(got[2], exact[2])
    np.testing.assert_allclose(plan, want, rtol=1e-13, atol=0)
    np.testing.assert_allclose(k.gibbs_plan(C, f1, g1, reg, cutoff, K0, f0, g0, fst[3]),
                               _jit.gibbs_serial(C, f1, g1, reg, cutoff), rtol=1e-13, atol=0)
    far = f + 210.0 * reg * np.linspace(-1.0, 0.0, n)  # spread beyond the span: exact, the reference remade there
    np.testing.assert_array_equal(k.gibbs_plan(C, far, g, reg, cutoff, K0, f0, g0, fst[3]),
                                  _jit.gibbs_serial(C, far, g, reg, cutoff))
    k.gibbs_pass(C, far, g, reg, cutoff, thr, np.empty((0, 0)), ref)
    assert np.array_equal(f0, far)
    huge = f + 250.0 * reg  # plan entries near e^250: no reference is kept (gibbs clips exponents at 300)
    k.gibbs_pass(C, huge, g, reg, cutoff, thr, np.empty((0, 0)), ref)
    assert fst[3] == 0.0
