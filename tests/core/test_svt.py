"""Singular-value thresholding: the thin-SVD and Gram routes against a full SVD, and the
prox optimality condition of the nuclear norm."""
from __future__ import annotations

import numpy as np
import pytest

from optkit.backend import asarray, to_numpy
from optkit.functions import NuclearNorm
from optkit.linalg import nuclear_norm, svt

SHAPES = [(6, 9), (9, 6), (40, 5), (5, 40), (7, 7)]


def _reference_svt(X, tau):
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    return (U * np.maximum(s - tau, 0)) @ Vt, int(np.sum(s > tau))


def _low_rank_plus_noise(rng, shape, rank=3):
    m, n = shape
    return rng.standard_normal((m, rank)) @ rng.standard_normal((rank, n)) + 0.1 * rng.standard_normal(shape)


@pytest.mark.parametrize("shape", SHAPES)
def test_svt_matches_full_svd(xp, rng, shape):
    X = _low_rank_plus_noise(rng, shape)
    s = np.linalg.svd(X, compute_uv=False)
    for tau in (0.0, 0.5 * (s[2] + s[3]), s[0] + 1.0):
        Y, rank = svt(asarray(X, xp=xp), tau)
        Y_ref, rank_ref = _reference_svt(X, tau)
        assert rank == rank_ref
        np.testing.assert_allclose(to_numpy(Y), Y_ref, atol=1e-10 * s[0])
    assert nuclear_norm(asarray(X, xp=xp)) == pytest.approx(float(np.sum(s)), rel=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_nuclear_prox_optimality(rng, shape):
    """``(V - Y) / (s lam)`` is a subgradient of the nuclear norm at ``Y``: spectral norm at
    most one and inner product with ``Y`` equal to the nuclear norm of ``Y``."""
    V = _low_rank_plus_noise(rng, shape)
    g, step = NuclearNorm(0.8), 0.9
    Y = g.prox(V, step)
    G = (V - Y) / (step * g.lam)
    assert np.linalg.norm(G, 2) <= 1 + 1e-10
    assert np.sum(G * Y) == pytest.approx(np.linalg.svd(Y, compute_uv=False).sum(), rel=1e-10)
    assert g.value(Y) == pytest.approx(g.lam * np.linalg.svd(Y, compute_uv=False).sum(), rel=1e-12)


def test_nuclear_norm_checks_lam():
    with pytest.raises(ValueError, match="lam"):
        NuclearNorm(-1.0)


@pytest.mark.parametrize("seed", range(5))
def test_partial_svt_keeps_a_value_just_above_the_threshold(seed):
    """Warm-started from the previous rank-3 factor, the partial SVT must still find a fourth singular
    value 0.5% above its threshold amid a cluster just below it: its Ritz value starts below the
    threshold (a lower bound), and with only the triplets above required to converge it was dropped
    for good (APG then stalled on a CompressivePCP instance for thousands of iterations)."""
    from optkit.linalg import partial_svt  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    m, n = 60, 50
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.concatenate([[10.0, 9.0, 8.0, 1.005], np.linspace(0.999, 0.9, n - 4)])
    X = (U * s) @ V.T
    tau = 1.0
    Y, factors = partial_svt(X, tau, V[:, :3], rank_guess=3, tol=1e-4, oversample=5)
    assert factors.rank == 4
    expected = (U[:, :4] * (s[:4] - tau)) @ V[:, :4].T
    np.testing.assert_allclose(Y, expected, atol=1e-4 * s[0])   # the residual target tol, relative to sigma_1


def test_partial_svt_route_reports_a_hand_over_and_takes_the_dense_route_at_once():
    """A long matrix with a value 2% above the threshold and a cluster just below it: the subspace
    iteration does not converge within what the Gram route costs and hands over (reported); asked for
    the dense route at once, the same thresholding comes without sweeps (no hand-over to report)."""
    from optkit.linalg import partial_svt, partial_svt_route  # noqa: PLC0415

    rng = np.random.default_rng(0)
    m, n = 1200, 400   # long, and wide enough for the sweeps to be tried before the Gram route
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.concatenate([[10.0, 1.02], np.linspace(0.9999, 0.9, n - 2)])
    X = (U * s) @ V.T
    expected = (U[:, :2] * (s[:2] - 1.0)) @ V[:, :2].T
    Y, factors, fell_back = partial_svt_route(X, 1.0, V[:, :2], rank_guess=2, tol=1e-10)
    assert fell_back and factors.rank == 2
    np.testing.assert_allclose(Y, expected, atol=1e-10 * s[0])
    Yd, fd, fell_back = partial_svt_route(X, 1.0, None, rank_guess=2, dense=True)
    assert not fell_back and fd.rank == 2
    np.testing.assert_allclose(Yd, expected, atol=1e-10 * s[0])
    Yp, fp = partial_svt(X, 1.0, V[:, :2], rank_guess=2, tol=1e-10)
    np.testing.assert_array_equal(Yp, Y)


def test_threshold_route_stays_dense_while_the_rank_holds():
    from optkit.solvers.rpca._partial import threshold_route  # noqa: PLC0415

    rng = np.random.default_rng(1)
    m, n = 1200, 400   # long, and wide enough for the sweeps to be tried before the Gram route
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    X = (U * np.concatenate([[10.0, 1.02], np.linspace(0.9999, 0.9, n - 2)])) @ V.T
    _, f2, dense_next = threshold_route(X, 1.0, None, 1e-10, False)
    assert f2.rank == 2 and dense_next                      # handed over
    _, f2b, dense_next = threshold_route(X, 1.0, f2, 1e-10, True)
    assert f2b.rank == 2 and dense_next                     # dense, same rank: stay dense
    _, f1, dense_next = threshold_route(X, 6.0, f2b, 1e-10, True)
    assert f1.rank == 1 and not dense_next                  # the rank changed: try the sweeps again
