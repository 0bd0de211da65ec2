"""iALM's thresholding from a deflated float32 Gram matrix and its reuse of the arrays of the state
before the last."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import optkit
from optkit.datasets import lowrank_sparse_instance
from optkit.linalg import deflated_gram_svd
from optkit.problems import RobustPCA
from optkit.solvers.rpca import _partial
from optkit.solvers.rpca.ialm import IALM, IALMOptions


def _long_matrix(seed=0, m=600, n=50):
    """A dominant rank-one part (sigma_1 about 1e4, as the video's background) over a noise floor
    whose top singular values cluster, and the right vector of a nearby matrix (a previous iterate's)."""
    rng = np.random.default_rng(seed)
    u, v = rng.random(m), rng.random(n)
    X = 1e4 * np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v)) + rng.standard_normal((m, n))
    v_old = v / np.linalg.norm(v) + 1e-6 * rng.standard_normal(n)
    return X, (v_old / np.linalg.norm(v_old)).reshape(-1, 1)


def _pieces(X, V):
    A = X @ V
    Xd = X - A @ V.T
    return A, Xd, A.T @ Xd


@pytest.mark.parametrize("tau_at", [1, 2, 4])
def test_deflated_gram_svd_matches_the_exact_singular_values(tau_at):
    X, V = _long_matrix()
    exact = np.linalg.svd(X, compute_uv=False)
    tau = 0.5 * (exact[tau_at - 1] + exact[tau_at])   # tau_at values above
    A, Xd, T = _pieces(X, V)
    U, s, Vr, s_next = deflated_gram_svd(A, V, T, Xd.astype(np.float32), tau, below=0.5)
    assert s.shape == (tau_at,)
    np.testing.assert_allclose(s, exact[:tau_at], rtol=1e-9, atol=1e-5)
    assert s_next == pytest.approx(exact[tau_at] if exact[tau_at] >= 0.5 * tau else 0.0, abs=1e-5)
    # the thresholded matrix against the one from the exact SVD
    Ue, se, Vte = np.linalg.svd(X, full_matrices=False)
    L = (U * (s - tau)) @ Vr.T
    Le = (Ue[:, :tau_at] * (se[:tau_at] - tau)) @ Vte[:tau_at]
    assert np.linalg.norm(L - Le) <= 1e-7 * np.linalg.norm(Le)


def test_the_float32_gram_matrix_needs_the_deflation():
    """Undeflated, the float32 Gram matrix cannot resolve a threshold near the noise floor
    (eps32 sigma_1^2 / tau is above it), and the accuracy rule says so; deflated it can."""
    X, V = _long_matrix()
    tau = np.linalg.svd(X, compute_uv=False)[1] * 1.01
    sigma1 = np.linalg.norm(X @ V)
    A, Xd, T = _pieces(X, V)
    assert _partial.low_gram_accurate(float(np.sum(Xd * Xd)), tau, sigma1, 1e-6)
    assert not _partial.low_gram_accurate(float(np.sum(X * X)), tau, sigma1, 1e-6)
    # what the rule guards against: the second singular value off by more than the accuracy asked
    # (a tenth of 1e-6 sigma_1) undeflated, well within it deflated
    exact = np.linalg.svd(X, compute_uv=False)[1]
    X32 = X.astype(np.float32)
    second = np.sqrt(np.linalg.eigvalsh((X32.T @ X32).astype(float))[-2])
    assert abs(second - exact) > 0.1 * 1e-6 * sigma1
    _, s, _, _ = deflated_gram_svd(A, V, T, Xd.astype(np.float32), 0.5 * exact)
    assert abs(s[1] - exact) < 1e-3 * 0.1 * 1e-6 * sigma1


def _tall_problem():
    M, _, _, _ = lowrank_sparse_instance(120, 30, rank=2, noise=0.01, seed=5)
    return RobustPCA(M)


def test_tall_problem_takes_the_deflated_route_and_matches_the_float64_one(monkeypatch):
    p = _tall_problem()
    calls = []
    real = _partial.deflated_gram_svd
    monkeypatch.setattr(_partial, "deflated_gram_svd", lambda *a, **k: calls.append(1) or real(*a, **k))
    res = optkit.solve(p, method="ialm", tol=1e-9)
    assert res.success and calls
    monkeypatch.setattr("optkit.solvers.rpca.ialm.deflation_pays", lambda *a: False)
    ref = optkit.solve(p, method="ialm", tol=1e-9)
    assert ref.success
    assert res.fun == pytest.approx(ref.fun, rel=1e-8)
    np.testing.assert_allclose(res.x.L, ref.x.L, atol=1e-6 * np.abs(ref.x.L).max())


def test_the_step_writes_over_old_arrays_only_where_nothing_else_holds_them():
    p = _tall_problem()
    solver = IALM(p, IALMOptions.build("ialm"))
    states = [solver.init(None)]
    for _ in range(3):
        states.append(solver.step(states[-1], True))
    # arrays of states[2] that something else holds (as the run loop holds its best check's)
    held = (states[2].L, states[2].S, states[2].Y)
    copies = [a.copy() for a in held]
    watch = [weakref.ref(a) for a in (states[1].L, states[1].S, states[1].Y)]
    del states[:3]
    gc.collect()
    s4 = solver.step(states[0], True)
    s5 = solver.step(s4, True)
    for a, c in zip(held, copies):
        np.testing.assert_array_equal(a, c)       # never written over
    assert not any(r() is x for r in watch for x in (s5.L, s5.S, s5.Y))
    # the arrays of states[3] are free by the next step but one: S and Y are written over
    watch = [weakref.ref(a) for a in (s4.S, s4.Y)]
    del s4
    gc.collect()
    s6 = solver.step(s5, True)
    assert s6.S is watch[0]() and s6.Y is watch[1]()
