"""Partial SVDs, the top singular triplet and thin-SVD updates (optkit.linalg)."""
from __future__ import annotations

import numpy as np
import pytest

from optkit.backend import asarray, namespace_by_name, to_numpy
from optkit.linalg import (ThinSVD, dense, extend_basis, partial_svd, partial_svt, rank_one_update, reorthogonalize,
                           top_singular_triplet)

from ..conftest import BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(40, 25), (25, 40), (7, 1), (1, 6), (30, 30)])
def test_top_singular_triplet(backend, shape):
    xp = namespace_by_name(backend)
    rng = np.random.default_rng(sum(shape))
    A = rng.standard_normal(shape)
    t = top_singular_triplet(asarray(A, xp=xp), tol=1e-10)
    s = np.linalg.svd(A, compute_uv=False)
    assert t.sigma == pytest.approx(s[0], rel=1e-10)
    u, v = to_numpy(t.u), to_numpy(t.v)
    assert np.linalg.norm(A @ v - t.sigma * u) <= 1e-8 * s[0]
    # a warm start from the answer converges at once
    again = top_singular_triplet(asarray(A, xp=xp), t.v, tol=1e-10)
    assert again.steps <= 3 and again.sigma == pytest.approx(s[0], rel=1e-12)


def test_top_singular_triplet_zero_and_low_rank():
    t = top_singular_triplet(np.zeros((4, 3)))
    assert t.sigma == 0.0
    rng = np.random.default_rng(0)
    A = rng.standard_normal((50, 2)) @ rng.standard_normal((2, 40))
    t = top_singular_triplet(A)
    assert t.sigma == pytest.approx(np.linalg.svd(A, compute_uv=False)[0], rel=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_partial_svd_and_svt(backend):
    xp = namespace_by_name(backend)
    rng = np.random.default_rng(1)
    A = rng.standard_normal((120, 6)) @ np.diag([50, 40, 30, 20, 10, 5.0]) @ rng.standard_normal((6, 90))
    A += 0.1 * rng.standard_normal(A.shape)
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    svd, _ = partial_svd(asarray(A, xp=xp), 8, tol=1e-10, max_iter=200, converge=6)
    np.testing.assert_allclose(to_numpy(svd.s)[:6], s[:6], rtol=1e-9)
    tau = 15.0
    Y, f = partial_svt(asarray(A, xp=xp), tau, rank_guess=2, tol=1e-11)
    r = int(np.sum(s > tau))
    ref = (U[:, :r] * (s[:r] - tau)) @ Vt[:r]
    np.testing.assert_allclose(to_numpy(Y), ref, atol=1e-8 * s[0])
    assert f.s.shape[0] == r
    by_value, _ = partial_svd(asarray(A, xp=xp), 3, tol=1e-12, max_iter=300, by_value=True)
    assert float(by_value.s[0]) == pytest.approx(s[0], rel=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_rank_one_updates_track_the_dense_matrix(backend):
    xp = namespace_by_name(backend)
    rng = np.random.default_rng(2)
    m, n = 30, 20
    f = None
    L = np.zeros((m, n))
    for k in range(25):
        a, b = rng.standard_normal(m), rng.standard_normal(n)
        scale = 1.0 - 1.0 / (k + 2)
        L = scale * L + np.outer(a, b)
        f = rank_one_update(f, scale, asarray(a, xp=xp), asarray(b, xp=xp))
    np.testing.assert_allclose(to_numpy(dense(f, (m, n))), L, atol=1e-10 * np.abs(L).max())
    assert f.nuclear_norm() == pytest.approx(np.linalg.svd(L, compute_uv=False).sum(), rel=1e-12)
    g = reorthogonalize(f)
    np.testing.assert_allclose(to_numpy(g.U).T @ to_numpy(g.U), np.eye(g.rank), atol=1e-13)
    np.testing.assert_allclose(to_numpy(dense(g, (m, n))), L, atol=1e-10 * np.abs(L).max())
    # a repeated direction does not grow the rank
    a, b = to_numpy(f.U)[:, 0], to_numpy(f.V)[:, 0]
    h = rank_one_update(f, 0.5, asarray(a, xp=xp), asarray(b, xp=xp))
    assert h.rank == f.rank
    empty = ThinSVD(xp.zeros((m, 0)), xp.zeros((0,)), xp.zeros((n, 0)))
    assert rank_one_update(empty, 1.0, asarray(a, xp=xp), asarray(b, xp=xp)).rank == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_extend_basis_spans_both_and_keeps_b(backend):
    xp = namespace_by_name(backend)
    rng = np.random.default_rng(4)
    B = np.linalg.qr(rng.standard_normal((40, 3)))[0]
    fresh = rng.standard_normal((40, 2))
    # one column already in span(B), one repeated: only the two fresh directions are new
    X = np.column_stack([B @ rng.standard_normal(3), fresh, fresh[:, 0] + fresh[:, 1]])
    E = to_numpy(extend_basis(asarray(B, xp=xp), asarray(X, xp=xp)))
    assert E.shape == (40, 5)
    np.testing.assert_allclose(E[:, :3], B)
    np.testing.assert_allclose(E.T @ E, np.eye(5), atol=1e-13)
    np.testing.assert_allclose(E @ (E.T @ X), X, atol=1e-12 * np.abs(X).max())
    # nothing new, and an empty B
    assert extend_basis(asarray(B, xp=xp), asarray(B[:, :2], xp=xp)).shape == (40, 3)
    E0 = to_numpy(extend_basis(xp.zeros((40, 0), dtype=xp.float64), asarray(fresh, xp=xp)))
    np.testing.assert_allclose(E0.T @ E0, np.eye(2), atol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
def test_orthonormalize_spans_the_block_even_when_ill_conditioned(backend):
    """Shifted Cholesky QR on tall blocks: orthonormal to rounding and the same span, up to a
    condition number near 1/eps; a rank-deficient block falls back to Householder QR."""
    from optkit.linalg import orthonormalize

    xp = namespace_by_name(backend)
    rng = np.random.default_rng(7)
    Q0 = np.linalg.qr(rng.standard_normal((400, 12)))[0]
    for cond in (1.0, 1e6, 1e12):
        Y = Q0 * np.logspace(0, -np.log10(cond), 12) @ np.linalg.qr(rng.standard_normal((12, 12)))[0]
        Q = to_numpy(orthonormalize(asarray(Y, xp=xp)))
        assert Q.shape == Y.shape
        np.testing.assert_allclose(Q.T @ Q, np.eye(12), atol=1e-12)
        np.testing.assert_allclose(Q @ (Q.T @ Y), Y, atol=1e-13)   # Y lies in span(Q)
    Y = np.column_stack([Q0[:, :5], Q0[:, :5] @ rng.standard_normal((5, 3))])   # rank 5 of 8
    Q = to_numpy(orthonormalize(asarray(Y, xp=xp)))
    assert np.all(np.isfinite(Q))
    np.testing.assert_allclose(Q.T @ Q, np.eye(8), atol=1e-12)
    np.testing.assert_allclose(Q @ (Q.T @ Y), Y, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(300, 40), (40, 300), (30, 30)])
def test_gram_routes_match_the_svd(backend, shape):
    """sigma_1 from the Gram matrix, and partial_svt past its dense switch (the Gram route on long
    matrices), equal LAPACK's SVD; a cluster of top singular values does not matter."""
    from optkit.linalg import gram_sigma_max

    xp = namespace_by_name(backend)
    rng = np.random.default_rng(sum(shape))
    p = min(shape)
    U = np.linalg.qr(rng.standard_normal((shape[0], p)))[0]
    V = np.linalg.qr(rng.standard_normal((shape[1], p)))[0]
    s = np.concatenate([[5.0, 5.0 - 1e-9, 5.0 - 2e-9], np.linspace(4.0, 0.01, p - 3)])
    A = (U * s) @ V.T
    assert gram_sigma_max(asarray(A, xp=xp)) == pytest.approx(5.0, rel=1e-13)
    tau = 2.0
    Y, f = partial_svt(asarray(A, xp=xp), tau, rank_guess=p, full_ratio=0.1)
    r = int(np.sum(s > tau))
    np.testing.assert_allclose(to_numpy(Y), (U[:, :r] * (s[:r] - tau)) @ V[:, :r].T, atol=1e-10)
    assert f.rank == r
    np.testing.assert_allclose(to_numpy(f.s), s[:r] - tau, rtol=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_partial_svd_stops_when_the_block_is_too_narrow(backend):
    """With a threshold, a block whose smallest Ritz value is above it returns at once (Ritz values are
    lower bounds, so more singular values exceed the threshold than the block holds); ``right_product``
    is ``A @ V``."""
    from optkit.linalg import right_product

    xp = namespace_by_name(backend)
    rng = np.random.default_rng(3)
    U = np.linalg.qr(rng.standard_normal((200, 12)))[0]
    V = np.linalg.qr(rng.standard_normal((60, 12)))[0]
    s = np.linspace(10.0, 9.0, 12)
    A = asarray((U * s) @ V.T, xp=xp)
    svd, sweeps = partial_svd(A, 4, tol=1e-12, max_iter=50, threshold=1.0)
    assert sweeps == 1 and float(svd.s[3]) > 1.0
    W = rng.standard_normal((60, 5))
    np.testing.assert_allclose(to_numpy(right_product(A, asarray(W, xp=xp))), to_numpy(A) @ W, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_slow_partial_svt_and_top_sigma_hand_over_to_the_gram_route(backend):
    """Singular values clustered at the threshold (and at the top) keep a block subspace iteration from
    converging within the sweeps the Gram route costs (``gram_sweeps``): ``partial_svt`` and the rpca
    certificates' ``top_sigma`` then take that route, and still equal LAPACK's SVD."""
    from optkit.linalg.svt import gram_sweeps
    from optkit.solvers.rpca._partial import top_sigma

    xp = namespace_by_name(backend)
    rng = np.random.default_rng(4)
    m, n = 600, 300
    U = np.linalg.qr(rng.standard_normal((m, n)))[0]
    V = np.linalg.qr(rng.standard_normal((n, n)))[0]
    s = np.concatenate([[3.0, 3.0 - 1e-6, 3.0 - 2e-6], 2.0 + 1e-4 * np.arange(6, 0, -1), 2.0 - 1e-4 * np.arange(1, n - 8)])
    A = (U * s) @ V.T
    tau = 2.0
    assert gram_sweeps((m, n), 14) == 5   # the block of 14 columns falls back after 5 sweeps (50 before)
    Y, f = partial_svt(asarray(A, xp=xp), tau, rank_guess=9, tol=1e-12, oversample=5)
    r = int(np.sum(s > tau))
    np.testing.assert_allclose(to_numpy(Y), (U[:, :r] * (s[:r] - tau)) @ V[:, :r].T, atol=1e-10)
    assert f.rank == r
    # on 400 x 40 the Gram route costs 2 sweeps of the 2-column block: sigma_1 is then exact
    B = (np.linalg.qr(rng.standard_normal((400, 40)))[0] * s[:40]) @ np.linalg.qr(rng.standard_normal((40, 40)))[0].T
    assert gram_sweeps(B.shape, 2) == 2
    sigma, v, taken = top_sigma(asarray(B, xp=xp), None, 1e-15)
    assert taken and sigma == pytest.approx(3.0, rel=1e-13) and v.shape == (40, 1)
