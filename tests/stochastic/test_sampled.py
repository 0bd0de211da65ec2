"""The Jacobi diagonal estimated from the minibatches' rows: the minibatch curvature diagonal on every data
layout, the running estimate (exact after one permutation), and the memory moved to refreshed coordinates with
the damping guarantee kept."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optkit
from optkit.backend import namespace_by_name, to_numpy
from optkit.problems import LogisticRegression, SigmoidSVM
from optkit.solvers.stochastic._memory import Memory, SampledDiagonal

from .test_kernels import _bfgs_matrix
from .test_scaling import _sparse

xs = namespace_by_name("array_api_strict")


@pytest.mark.parametrize("model,classes", [(LogisticRegression, 2), (LogisticRegression, 3), (SigmoidSVM, 2)])
def test_minibatch_curvature_diagonal_on_every_layout(model, classes):
    X, y, rng = _sparse(classes=classes)
    idx = rng.choice(60, size=17, replace=False)
    dense = X.toarray()
    k = 1 if classes == 2 else classes
    for problem in (model(X, y, l2=0.05), model(dense, y, l2=0.05), model(X, y, l2=0.05).to(xs)):
        expected = np.repeat(problem.loss_curvature * (dense[idx] ** 2).mean(axis=0), k) + 0.05
        got = problem.curvature_diagonal(idx if problem.xp is np else xs.asarray(idx))
        np.testing.assert_allclose(to_numpy(got), expected, rtol=1e-13)
        # every row once is the full diagonal; a Batch is accepted as well as indices
        everything = np.arange(60) if problem.xp is np else xs.arange(60)
        np.testing.assert_allclose(to_numpy(problem.curvature_diagonal(problem.batch(everything))),
                                   to_numpy(problem.curvature_diagonal()), rtol=1e-13)


def test_sampled_diagonal_is_exact_after_one_permutation_and_refreshes_on_doubling():
    X, y, rng = _sparse(n=60)
    problem = SigmoidSVM(X, y, l2=0.05)
    est = SampledDiagonal(problem, shrink=3.0)
    refreshed, last = [], None
    perm = rng.permutation(60)
    for start in range(0, 60, 7):
        scale = est.observe(problem.batch(perm[start:start + 7]))
        if scale is not None:
            refreshed.append(est.count)
            last = scale
    assert refreshed == [7, 14, 28, 56, 60]
    d = problem.curvature_diagonal()
    np.testing.assert_allclose(last, np.sqrt(d + 3.0 * d.mean()), rtol=1e-13)
    assert est.observe(problem.batch(perm[:7])) is None   # frozen once n rows were seen


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(2, 12), st.integers(0, 9), st.booleans(), st.integers(0, 10_000))
def test_rescaled_memory_keeps_the_damping_guarantee_and_is_the_bfgs_matrix(p, d, count, lag, seed):
    """Pairs of either curvature, some pending (``lag``), then new coordinates: every stored pair satisfies
    s^T ybar >= 0.25 gamma s^T s there, the step of each pair is the old one in the new coordinates, and the
    direction is D^{-1/2} H_u D^{-1/2} g for the L-BFGS matrix H_u of the stored pairs; NumPy (Numba kernels)
    and array_api_strict (twins) agree."""
    rng = np.random.default_rng(seed)
    r0, r1 = rng.uniform(0.1, 10.0, d), rng.uniform(0.1, 10.0, d)
    mems = [Memory(np, p, d, np.float64, lag=lag, scale=r0),
            Memory(xs, p, d, xs.float64, lag=lag, scale=xs.asarray(r0))]
    for _ in range(count):
        x, x0 = rng.standard_normal(d), rng.standard_normal(d)
        g0 = rng.standard_normal(d)
        g = g0 + rng.uniform(-1.0, 1.0) * (x - x0) + 0.3 * rng.standard_normal(d)   # curvature of either sign
        mems[0].update(x, x0, g, g0, 0.1)
        mems[1].update(*(xs.asarray(v) for v in (x, x0, g, g0)), 0.1)
        if lag and rng.uniform() < 0.3:
            for m in mems:
                m.commit()
    before = {j: np.array(mems[0].S[j]) / r0 for j in mems[0].active + mems[0].pending}
    mems[0].rescale(r1, 0.1)
    mems[1].rescale(xs.asarray(r1), 0.1)
    g = rng.standard_normal(d)
    out = []
    for m in mems:
        S, Y, rho = (to_numpy(a) for a in (m.S, m.Y, m.rho))
        for j in m.active + m.pending:
            assert S[j] @ Y[j] >= 0.25 * m.gammas[j] * (S[j] @ S[j]) * (1 - 1e-12)
            assert rho[j] == pytest.approx(1.0 / (S[j] @ Y[j]), rel=1e-10)
            np.testing.assert_allclose(S[j], r1 * before[j], rtol=1e-12, atol=1e-14)
        H_u = _bfgs_matrix(S, Y, rho, m.active, m.inv_gamma)
        got = to_numpy(m.direction(g if m is mems[0] else xs.asarray(g)))
        np.testing.assert_allclose(got, (H_u @ (g / r1)) / r1, rtol=1e-9, atol=1e-12)
        out.append(got)
    assert mems[0].active == mems[1].active and mems[0].pending == mems[1].pending
    np.testing.assert_allclose(out[0], out[1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method,options,tol", [
    # a fixed batch stops at its noise floor (with the diagonal of a pass too: 6.5e-3 after 200 epochs)
    ("sdlbfgs", dict(step_size=1.0, schedule="1/sqrt(k)", batch_size=40), 1e-2),
    ("sdlbfgs", dict(step_size=1.0, schedule="constant", batch_growth=1.5, line_search=True, batch_size=20), 1e-5),
    ("sdlbfgs_vr", dict(step_size=0.3, damping=0.1, batch_size=20), 1e-5),
])
def test_sampled_diagonal_reaches_a_stationary_point_on_numpy_and_array_api_strict(method, options, tol):
    X, y, _ = _sparse(seed=6, n=200, d=30)
    problem = SigmoidSVM(X, y, l2=1e-2)
    run = dict(method=method, scaling="jacobi", diagonal="sampled", tol=tol, seed=1, max_epochs=200, **options)
    res = optkit.solve(problem, **run)
    assert res.success, (res.status, res.optimality)
    strict = optkit.solve(problem.to(xs), **run)
    assert strict.success and strict.nit == res.nit
    np.testing.assert_allclose(np.asarray(strict.x), res.x, rtol=1e-7, atol=1e-9)


def test_sdlbfgs_vr_takes_the_sampled_diagonal_from_its_first_snapshot():
    """The first snapshot's full gradient reads every row, so the sampled diagonal is the exact one from the first
    step: the iterates of diagonal="pass", without the pass's n SFO calls."""
    X, y, _ = _sparse(seed=5, n=200, d=30)
    problem = SigmoidSVM(X, y, l2=1e-2)
    run = dict(method="sdlbfgs_vr", scaling="jacobi", step_size=0.3, damping=0.1, batch_size=20, seed=2,
               max_iter=40, tol=1e-12)
    sampled = optkit.solve(problem, diagonal="sampled", **run)
    passed = optkit.solve(problem, diagonal="pass", **run)
    np.testing.assert_array_equal(sampled.x, passed.x)
    assert sampled.measures["sfo"] == passed.measures["sfo"] - 200
