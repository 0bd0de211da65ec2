"""The SdLBFGS kernels: Numba against the array-API twins, the two-loop recursion against the
explicit BFGS matrix, and the damping guarantee over random pairs (negative curvature included)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optkit.backend import namespace_by_name, to_numpy
from optkit.kernels import stochastic as kernels
from optkit.kernels.stochastic import powell_damping
from optkit.kernels.stochastic import twin

xs = namespace_by_name("array_api_strict")


def _memory(rng, p, d, count, dtype=np.float64):
    """A ring memory with ``count`` damped random pairs (random signs of curvature)."""
    S, Y, rho = np.zeros((p, d), dtype), np.zeros((p, d), dtype), np.zeros(p, dtype)
    gamma = 1.0
    for k in range(count):
        s = rng.standard_normal(d)
        y = rng.standard_normal(d) + rng.uniform(-1, 2) * s
        ok, gamma, _, _ = twin.damped_pair(*_diffs(s.astype(dtype), y.astype(dtype)), 0.01, S, Y, rho, k % p, 0.0)
        assert ok
    order = [(count - 1 - i) % p for i in range(min(count, p))]
    return S, Y, rho, order, 1.0 / gamma


def _diffs(s, y, shift=0.5):
    """``(x, x0, g, g0)`` with ``x - x0 = s`` and ``g - g0 = y`` (up to rounding), as the pair kernels take them."""
    x0, g0 = np.full_like(s, shift), np.full_like(y, -shift)
    return x0 + s, x0, g0 + y, g0


def _bfgs_matrix(S, Y, rho, order, inv_gamma):
    """The inverse-Hessian approximation built explicitly, oldest pair first:
    H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T."""
    d = S.shape[1]
    H = inv_gamma * np.eye(d)
    for j in reversed(order):
        s, y, r = S[j], Y[j], rho[j]
        V = np.eye(d) - r * np.outer(y, s)
        H = V.T @ H @ V + r * np.outer(s, s)
    return H


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 8), st.integers(1, 40), st.integers(0, 20), st.integers(0, 10_000))
def test_two_loop_is_the_bfgs_matrix_and_kernel_equals_twin(p, d, count, seed):
    rng = np.random.default_rng(seed)
    S, Y, rho, order, inv_gamma = _memory(rng, p, d, count)
    g = rng.standard_normal(d)
    assert kernels.use_numba(g)
    fast = kernels.lbfgs_direction(g, S, Y, rho, order, inv_gamma)
    slow = to_numpy(twin.two_loop(xs.asarray(g), xs.asarray(S), xs.asarray(Y), xs.asarray(rho), order, inv_gamma))
    H = _bfgs_matrix(S, Y, rho, order, inv_gamma)
    scale = np.abs(H).max() * np.abs(g).max()
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(fast, H @ g, rtol=1e-9, atol=1e-9 * scale)
    # positive definite: every stored pair has s^T ybar > 0
    assert np.all(np.linalg.eigvalsh(0.5 * (H + H.T)) > 0)


def test_two_loop_threaded_build_and_float32(numba_build):
    rng = np.random.default_rng(3)
    S, Y, rho, order, inv_gamma = _memory(rng, 6, 500, 9)
    g = rng.standard_normal(500)
    ref = _bfgs_matrix(S, Y, rho, order, inv_gamma) @ g
    np.testing.assert_allclose(kernels.lbfgs_direction(g, S, Y, rho, order, inv_gamma), ref, rtol=1e-9,
                               atol=1e-9 * np.abs(ref).max())
    f32 = [a.astype(np.float32) for a in (g, S, Y, rho)]
    out = kernels.lbfgs_direction(f32[0], *f32[1:], order, inv_gamma)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-3 * np.abs(ref).max())


pairs = st.tuples(st.integers(1, 30), st.integers(0, 10_000), st.floats(-3.0, 3.0), st.floats(0.0, 2.0),
                  st.sampled_from([1e-4, 1e-2, 1.0, 10.0]))


def _damped_both(params, against_delta):
    """A random pair ``y = c s + noise`` (negative curvature when c < 0) stored by the kernel and by the twin:
    ``(s, y, delta, [(ok, gamma, theta, sybar, S, Y, rho) for kernel, twin])``; the two builds agree."""
    d, seed, c, noise, delta = params
    rng = np.random.default_rng(seed)
    x0, g0 = rng.standard_normal(d), rng.standard_normal(d)
    x = x0 + rng.standard_normal(d)
    g = g0 + c * (x - x0) + noise * rng.standard_normal(d)
    outs = []
    for build in ("kernel", "twin"):
        S, Y, rho = np.zeros((3, d)), np.zeros((3, d)), np.zeros(3)
        if build == "kernel":
            got = kernels.damped_pair(x, x0, g, g0, delta, S, Y, rho, 1, 0.0, against_delta)
        else:
            Sx, Yx, rx = xs.asarray(S), xs.asarray(Y), xs.asarray(rho)
            got = twin.damped_pair(*(xs.asarray(a) for a in (x, x0, g, g0)), delta, Sx, Yx, rx, 1, 0.0,
                                   against_delta)
            S, Y, rho = to_numpy(Sx), to_numpy(Yx), to_numpy(rx)
        outs.append((*got, S, Y, rho))
    assert outs[0][1:4] == pytest.approx(outs[1][1:4], rel=1e-12)
    np.testing.assert_allclose(outs[0][5], outs[1][5], rtol=1e-12, atol=1e-12)
    return x - x0, g - g0, delta, outs


@settings(max_examples=200, deadline=None)
@given(pairs)
def test_damping_keeps_curvature_above_a_quarter_of_gamma(params):
    """s^T ybar >= 0.25 gamma s^T s > 0 for every pair: y = c s + noise with c of either sign
    (negative curvature when c < 0), stored by the kernel and by the twin alike."""
    s, y, delta, outs = _damped_both(params, False)
    for ok, gamma, theta, sybar, S, Y, rho in outs:
        ss, sy, yy = s @ s, s @ y, y @ y
        assert ok and gamma >= delta and 0 < theta <= 1
        assert gamma == pytest.approx(max(yy / sy, delta) if sy > 0 else delta, rel=1e-12)
        ybar = Y[1]
        np.testing.assert_array_equal(S[1], s)
        np.testing.assert_allclose(ybar, theta * y + (1 - theta) * gamma * s, rtol=1e-12, atol=1e-12 * gamma)
        assert s @ ybar >= 0.25 * gamma * ss * (1 - 1e-12)
        assert rho[1] == pytest.approx(1.0 / (s @ ybar), rel=1e-10)
        assert sybar == pytest.approx(s @ ybar, rel=1e-10)
        if sy >= 0.25 * gamma * ss:
            assert theta == 1.0  # no damping where the curvature is already large enough


def test_damping_formula_constants():
    # s^T y < 0 (negative curvature): gamma = delta, theta = 0.75 delta s^Ts / (delta s^Ts - s^Ty)
    gamma, theta = powell_damping(-1.0, 2.0, 5.0, 0.5)
    assert gamma == 0.5 and theta == pytest.approx(0.75 * 0.5 * 2.0 / (0.5 * 2.0 + 1.0))
    # s^T y > 0 and the angle below 60 degrees: gamma = y^Ty / s^Ty, undamped
    gamma, theta = powell_damping(1.9, 2.0, 2.0, 0.01)
    assert gamma == pytest.approx(2.0 / 1.9) and theta == 1.0
    # y^Ty / s^Ty below delta: gamma = delta
    assert powell_damping(1.0, 1.0, 1e-6, 0.1)[0] == 0.1


def test_negligible_step_is_skipped():
    """A step below ``sqrt(rel_sq) max(1, ||x||)`` is skipped, relative to ||x|| when ||x|| > 1."""
    x0, g0, g = np.full(4, 1e3), np.zeros(4), np.ones(4)
    x = x0 + 1e-10     # ||s||^2 = 4e-20 (to 0.2%) and ||x||^2 = 4e6: kept at rel_sq 1e-30, skipped at 1.01e-26
    for rel_sq, stored in ((1e-30, True), (1.01e-26, False)):
        S, Y, rho = np.zeros((2, 4)), np.zeros((2, 4)), np.zeros(2)
        assert kernels.damped_pair(x, x0, g, g0, 0.01, S, Y, rho, 0, rel_sq)[0] is stored
        assert bool(S.any()) is stored and bool(Y.any()) is stored and bool(rho.any()) is stored
        ok, *_ = twin.damped_pair(*(xs.asarray(a) for a in (x, x0, g, g0)), 0.01, xs.asarray(S), xs.asarray(Y),
                                  xs.asarray(rho), 0, rel_sq)
        assert ok is stored


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_overflowing_pair_is_skipped():
    """A pair whose y^T y overflows (gamma = inf) is not stored: the memory keeps what it had."""
    pair = (np.ones(4), np.zeros(4), np.full(4, 1e200), np.zeros(4))
    S, Y, rho = np.full((2, 4), 7.0), np.full((2, 4), 7.0), np.full(2, 7.0)
    assert kernels.damped_pair(*pair, 0.01, S, Y, rho, 0, 0.0)[0] is False
    assert (S == 7.0).all() and (Y == 7.0).all() and (rho == 7.0).all()
    Sx, Yx, rx = xs.asarray(S), xs.asarray(Y), xs.asarray(rho)
    assert twin.damped_pair(*(xs.asarray(a) for a in pair), 0.01, Sx, Yx, rx, 0, 0.0)[0] is False
    assert (to_numpy(Sx) == 7.0).all() and (to_numpy(Yx) == 7.0).all() and (to_numpy(rx) == 7.0).all()


@settings(max_examples=200, deadline=None)
@given(pairs)
def test_damping_against_delta_keeps_the_bounds(params):
    """``against_delta``: s^T ybar >= 0.25 delta s^T s > 0, gamma = max(ybar^T ybar / s^T ybar, delta) and
    ||ybar||^2 / s^T ybar <= 4 (L + delta)^2 / delta with L = ||y|| / ||s||, for y = c s + noise of either sign;
    no damping where s^T y >= 0.25 delta s^T s; the kernel equals the twin."""
    s, y, delta, outs = _damped_both(params, True)
    for ok, gamma, theta, sybar, S, Y, rho in outs:
        ss, sy = s @ s, s @ y
        ybar = Y[1]
        assert ok and 0 < theta <= 1
        np.testing.assert_allclose(ybar, theta * y + (1 - theta) * delta * s, rtol=1e-12, atol=1e-12 * delta)
        assert s @ ybar >= 0.25 * delta * ss * (1 - 1e-12)
        assert sybar == pytest.approx(s @ ybar, rel=1e-10)
        assert gamma == pytest.approx(max(ybar @ ybar / (s @ ybar), delta), rel=1e-9)
        L = np.linalg.norm(y) / np.linalg.norm(s)
        assert ybar @ ybar / (s @ ybar) <= 4 * (L + delta) ** 2 / delta * (1 + 1e-9)
        # no damping above the threshold, damping below it; at the threshold itself (equal up to the rounding of
        # the kernels' reassociated sums against NumPy's) either is right
        edge = 0.25 * delta * ss
        if abs(sy - edge) > 1e-12 * (abs(sy) + edge):
            assert (theta == 1.0) == (sy > edge)
