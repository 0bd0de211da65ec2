"""Building blocks: gradients by finite differences, prox maps by their optimality
condition and the Moreau identity, projections idempotent and variational."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from optkit.functions import Box, L1Ball, L1Norm, LogDetTrace, OffDiagL1, Simplex, SquaredLoss, spectral_norm_sq

vectors = arrays(np.float64, st.integers(1, 30), elements=st.floats(-10, 10, allow_subnormal=False))
steps = st.floats(1e-3, 10.0)


def _spd(rng, p):
    B = rng.standard_normal((p, p))
    return B @ B.T / p + np.eye(p)


def test_squared_loss_gradient_matches_finite_differences(rng):
    A, b = rng.standard_normal((7, 5)), rng.standard_normal(7)
    f, x, h = SquaredLoss(A, b), rng.standard_normal(5), 1e-6
    fd = np.array([(f.value(x + h * e) - f.value(x - h * e)) / (2 * h) for e in np.eye(5)])
    np.testing.assert_allclose(f.grad(x), fd, rtol=1e-6, atol=1e-7)


def test_logdet_gradient_matches_finite_differences(rng):
    S, X = _spd(rng, 4), _spd(rng, 4)
    f, h = LogDetTrace(S), 1e-6
    G = f.grad(X)
    for i, j in [(0, 0), (1, 2), (3, 1)]:
        E = np.zeros((4, 4))
        E[i, j] = E[j, i] = 1.0
        fd = (f.value(X + h * E) - f.value(X - h * E)) / (2 * h)
        assert fd == pytest.approx(np.sum(G * E), rel=1e-6)


@pytest.mark.parametrize("shape", [(6, 9), (9, 6)])
def test_squared_loss_prox_optimality(rng, shape):
    A, b = rng.standard_normal(shape), rng.standard_normal(shape[0])
    f, v = SquaredLoss(A, b), rng.standard_normal(shape[1])
    for s in (0.1, 2.0, 0.1):  # a repeated step reuses the cached factorisation
        u = f.prox(v, s)
        np.testing.assert_allclose((v - u) / s, f.grad(u), atol=1e-10)


def test_logdet_prox_optimality(rng):
    S, V = _spd(rng, 5), rng.standard_normal((5, 5))
    f = LogDetTrace(S)
    V = V + V.T
    X, Xinv, gamma = f.prox_with_inverse(V, 0.7)
    assert np.all(gamma > 0)
    np.testing.assert_allclose((V - X) / 0.7, f.grad(X), atol=1e-10)
    np.testing.assert_allclose(Xinv @ X, np.eye(5), atol=1e-10)


@settings(max_examples=50, deadline=None)
@given(v=vectors, s=steps, lam=st.floats(0, 5))
def test_l1_prox_moreau_identity(v, s, lam):
    # prox_{s f}(v) + s prox_{f*/s}(v/s) = v, with f* the indicator of the lam inf-ball
    f = L1Norm(lam)
    np.testing.assert_allclose(f.prox(v, s) + s * np.clip(v / s, -lam, lam), v, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(v=vectors, s=steps, lam=st.floats(0.01, 5))
def test_l1_prox_optimality(v, s, lam):
    u = L1Norm(lam).prox(v, s)
    g = (v - u) / s                       # must be a subgradient of lam||.||_1 at u
    nz = u != 0
    np.testing.assert_allclose(g[nz], lam * np.sign(u[nz]), atol=1e-9)
    assert np.all(np.abs(g[~nz]) <= lam * (1 + 1e-12) + 1e-12)


def test_offdiag_l1_keeps_diagonal(rng):
    V = rng.standard_normal((6, 6))
    Y = OffDiagL1(0.5).prox(V, 2.0)
    np.testing.assert_array_equal(np.diag(Y), np.diag(V))
    off = ~np.eye(6, dtype=bool)
    np.testing.assert_allclose(Y[off], np.sign(V[off]) * np.maximum(np.abs(V[off]) - 1.0, 0))
    assert OffDiagL1(0.5).value(V) == pytest.approx(0.5 * np.abs(V[off]).sum())


@settings(max_examples=50, deadline=None)
@given(v=vectors, r=st.floats(0.1, 10))
@pytest.mark.parametrize("make", [Simplex, L1Ball])
def test_projections_idempotent_and_variational(make, v, r):
    proj = make(r)
    p = proj.project(v)
    np.testing.assert_allclose(proj.project(p), p, atol=1e-9)
    assert proj.value(p) == 0.0
    # variational inequality <v - p, z - p> <= 0 for feasible z (vertices of the set)
    for i in range(v.size):
        for sign in ((1,) if make is Simplex else (1, -1)):
            z = np.zeros(v.size)
            z[i] = sign * r
            assert np.dot(v - p, z - p) <= 1e-8 * (1 + np.abs(v).sum() * r)


def test_box_projection():
    box = Box(-1.0, 2.0)
    np.testing.assert_array_equal(box.project(np.array([-3.0, 0.5, 5.0])), [-1.0, 0.5, 2.0])
    assert box.value(np.array([3.0])) == np.inf


def test_spectral_norm_is_an_upper_bound(rng):
    A = rng.standard_normal((30, 50))
    true = np.linalg.norm(A, 2) ** 2
    est = spectral_norm_sq(A)
    assert true <= est <= true * (1 + 1e-4)


@pytest.mark.parametrize("bad,exc", [
    (dict(A=np.ones((3, 2)), b=np.ones(2)), ValueError),
    (dict(A=np.ones(3), b=np.ones(3)), ValueError),
    (dict(A=np.array([[np.nan, 1.0]]), b=np.ones(1)), ValueError),
    (dict(A=[[1.0]], b=np.ones(1)), TypeError),
])
def test_squared_loss_bad_input(bad, exc):
    with pytest.raises(exc):
        SquaredLoss(**bad)


def test_scalar_parameters_checked():
    with pytest.raises(ValueError, match="lam"):
        L1Norm(-1.0)
    with pytest.raises(ValueError, match="radius"):
        Simplex(0.0)
    with pytest.raises(ValueError, match="lo <= hi"):
        Box(2.0, 1.0)
    with pytest.raises(ValueError, match="symmetric"):
        LogDetTrace(np.array([[1.0, 2.0], [0.0, 1.0]]))



@pytest.mark.parametrize("scale", [1e-150, 1e-90, 1.0, 1e90, 1e150])
def test_spectral_norm_sq_at_extreme_scales(scale):
    """The iterate's norm must not square its entries (inf above 1e154, 0 below 1e-162):
    ||cA||^2 = c^2 ||A||^2 at every scale whose square is a normal float."""
    A = np.random.default_rng(1).standard_normal((9, 6))
    assert spectral_norm_sq(A * scale) / scale ** 2 == pytest.approx(spectral_norm_sq(A), rel=1e-9)
