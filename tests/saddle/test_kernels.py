"""The treeplex kernels (Numba) against their array-API twins, and against brute force."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optkit.backend import namespace_by_name, to_numpy
from optkit.kernels import saddle as kernels
from optkit.kernels.saddle import twin
from optkit.problems import SequenceFormGame
from optkit.problems._saddle_treeplex import Treeplex

xs = namespace_by_name("array_api_strict")


def random_treeplex(seed: int, max_infosets: int = 12) -> Treeplex:
    """A random treeplex: each new information set hangs below the empty sequence or an existing one."""
    rng = np.random.default_rng(seed)
    parent, start, stop = [], [], []
    n = 1
    for _ in range(int(rng.integers(1, max_infosets + 1))):
        parent.append(int(rng.integers(0, n)) if rng.random() < 0.8 else 0)
        k = int(rng.integers(1, 4))
        start.append(n)
        stop.append(n + k)
        n += k
    return Treeplex(parent, start, stop)


def _strategies(t: Treeplex):
    """Every pure strategy of the treeplex, in sequence form (brute force over the information sets)."""
    choices = [range(t.start[j], t.stop[j]) for j in range(t.n_infosets)]
    out = []
    for pick in itertools.product(*choices):
        x = np.zeros(t.n_sequences)
        x[0] = 1.0
        for j, s in enumerate(pick):
            if x[t.parent[j]] > 0:
                x[s] = x[t.parent[j]]
        out.append(x)
    return np.array(out)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_best_response_value_matches_brute_force_and_twin(seed):
    t = random_treeplex(seed, max_infosets=7)
    c = np.random.default_rng(seed + 1).standard_normal(t.n_sequences)
    pure = _strategies(t) @ c
    for maximize, best in ((False, pure.min()), (True, pure.max())):
        assert kernels.treeplex_value(c, t, maximize) == pytest.approx(best, rel=1e-12, abs=1e-12)
        assert twin.treeplex_value(xs.asarray(c), t.levels(xs), maximize) == pytest.approx(best, rel=1e-12, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.booleans())
def test_dilated_prox_matches_twin_and_is_optimal(seed, entropic):
    t = random_treeplex(seed)
    rng = np.random.default_rng(seed)
    n = t.n_sequences
    w = rng.uniform(0.5, 2.0, t.n_infosets)
    prev = kernels.dilated_prox(t.uniform(), rng.standard_normal(n), t, np.ones(t.n_infosets), True)
    g = rng.standard_normal(n)
    x = kernels.dilated_prox(prev, g, t, w, entropic)
    ref = to_numpy(twin.dilated_prox(xs.asarray(prev), xs.asarray(g), t.levels(xs), xs.asarray(w), entropic))
    np.testing.assert_allclose(x, ref, rtol=1e-11, atol=1e-14)
    assert t.membership_error(x) < 1e-12

    owner = np.zeros(n, dtype=int)
    weight = np.zeros(n)
    for j in range(t.n_infosets):
        owner[t.start[j]:t.stop[j]] = t.parent[j]
        weight[t.start[j]:t.stop[j]] = w[j]
    bp = t.behavioral(prev)

    def objective(z):
        b = t.behavioral(z)
        if entropic:
            terms = np.where(z > 0, z * np.log(np.where(z > 0, b, 1.0) / bp), 0.0)
        else:
            terms = 0.5 * z[owner] * (b - bp) ** 2
        return g @ z + float(np.sum(weight[1:] * terms[1:]))

    # optimality: no feasible point nearby (mixtures with random strategies) does better
    best = objective(x)
    for _ in range(20):
        other = kernels.dilated_prox(t.uniform(), 3.0 * rng.standard_normal(n), t, np.ones(t.n_infosets), True)
        for lam in (1e-3, 1e-2, 0.1):
            assert objective((1 - lam) * x + lam * other) >= best - 1e-10


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_cfr_plus_update_matches_twin(seed):
    t = random_treeplex(seed)
    rng = np.random.default_rng(seed)
    n = t.n_sequences
    loss, regret = rng.standard_normal(n), np.abs(rng.standard_normal(n)) * (rng.random(n) < 0.6)
    behav = t.behavioral(kernels.dilated_prox(t.uniform(), rng.standard_normal(n), t, np.ones(t.n_infosets), True))
    out = kernels.cfr_plus(loss, regret, behav, t)
    ref = twin.cfr_plus(xs.asarray(loss), xs.asarray(regret), xs.asarray(behav), t.levels(xs))
    for a, b in zip(out, ref):
        np.testing.assert_allclose(a, to_numpy(b), rtol=1e-12, atol=1e-14)
    r, b, x = out
    assert np.all(r >= 0) and t.membership_error(x) < 1e-12
    owner = np.zeros(n, dtype=int)
    for j in range(t.n_infosets):
        owner[t.start[j]:t.stop[j]] = t.parent[j]
    reached = x[owner] > 0  # x is the sequence form of b where x reaches
    np.testing.assert_allclose(t.behavioral(x)[reached], b[reached], atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_treeplex_projection_matches_twin_and_is_the_projection(seed):
    t, rng = random_treeplex(seed), np.random.default_rng(seed)
    z = t.uniform() + rng.standard_normal(t.n_sequences) * rng.choice([1e-3, 1.0, 1e3])
    d = rng.uniform(0.1, 10.0, t.n_sequences)
    x = kernels.treeplex_projection(z, d, t)
    scale = 1.0 + np.abs(z).max()
    np.testing.assert_allclose(x, to_numpy(twin.treeplex_projection(xs.asarray(z), xs.asarray(d), t)),
                               atol=1e-12 * scale)
    assert t.membership_error(x) < 1e-12 * scale
    # optimality: x minimises the linear function <d (x - z), .> over the treeplex (variational inequality)
    c = d * (x - z)
    assert c @ x - kernels.treeplex_value(c, t) <= 1e-10 * scale * (1.0 + np.abs(c).max())


def test_treeplex_projection_on_leduc_is_the_projection():
    t = SequenceFormGame.leduc().Y
    rng = np.random.default_rng(4)
    z = t.uniform() + rng.standard_normal(t.n_sequences)
    d = rng.uniform(0.5, 3.0, t.n_sequences)
    x = kernels.treeplex_projection(z, d, t)
    c = d * (x - z)
    assert t.membership_error(x) < 1e-12
    assert c @ x - kernels.treeplex_value(c, t) <= 1e-11
    # the projection of a point of the treeplex is the point itself
    np.testing.assert_allclose(kernels.treeplex_projection(x, d, t), x, atol=1e-12)


def test_kernels_on_leduc_match_twins_in_float32():
    game = SequenceFormGame.leduc()
    t = game.X
    rng = np.random.default_rng(3)
    g = rng.standard_normal(t.n_sequences).astype(np.float32)
    x0 = t.uniform().astype(np.float32)
    w = np.ones(t.n_infosets, dtype=np.float32)
    x = kernels.dilated_prox(x0, g, t, w, True)
    assert x.dtype == np.float32
    ref = to_numpy(twin.dilated_prox(xs.asarray(x0), xs.asarray(g), t.levels(xs), xs.asarray(w), True))
    np.testing.assert_allclose(x, ref, rtol=2e-5, atol=1e-7)
    assert kernels.treeplex_value(g, t) == pytest.approx(twin.treeplex_value(xs.asarray(g), t.levels(xs), False),
                                                         rel=1e-5)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), m=st.integers(1, 30))
def test_column_projection_matches_twin_and_is_the_projection(seed, n, m):
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((n, m)) * rng.choice([1e-3, 1.0, 1e3])
    s = rng.uniform(0.1, 5.0, m)
    P = kernels.project_columns(V, s)
    np.testing.assert_allclose(P, to_numpy(twin.project_columns(xs.asarray(V), xs.asarray(s))), atol=1e-12 * (1 + abs(V).max()))
    # optimality: P >= 0, columns sum to s, and P = max(V - tau, 0) with one threshold tau per column
    assert P.min() >= 0 and np.allclose(P.sum(axis=0), s)
    tau = np.array([np.mean((V - P)[P[:, j] > 0, j]) if (P[:, j] > 0).any() else np.inf for j in range(m)])
    np.testing.assert_allclose(P, np.maximum(V - tau, 0.0), atol=1e-9 * (1 + abs(V).max()))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), m=st.integers(1, 25), warm=st.sampled_from(["none", "near", "far"]))
def test_market_primal_matches_twin_from_any_warm_start(seed, n, m, warm):
    rng = np.random.default_rng(seed)
    V = rng.uniform(0.0, 1.0, (n, m)) * (rng.uniform(size=(n, m)) < 0.8)
    X = rng.uniform(0.0, 1.0, (n, m))
    beta, s, step = rng.uniform(0.1, 2.0, n), rng.uniform(0.5, 2.0, m), float(rng.choice([1e-3, 1.0, 1e2]))
    ref, u_ref, d_ref, th_ref = (to_numpy(a) if hasattr(a, "shape") else a
                                 for a in twin.market_primal(*(xs.asarray(a) for a in (X, V, beta, s)), step, None))
    tau = {"none": None, "near": th_ref + rng.normal(0.0, 1e-3, m), "far": th_ref + rng.normal(0.0, 1e2, m)}[warm]
    out, u, d, th = kernels.market_primal(X, V, beta, s, step, tau)
    scale = 1.0 + abs(X).max() + step * abs(beta[:, None] * V).max()
    np.testing.assert_allclose(out, ref, atol=1e-12 * scale)
    np.testing.assert_allclose(out, kernels.project_columns(X + step * beta[:, None] * V, s), atol=1e-12 * scale)
    np.testing.assert_allclose(u, u_ref, atol=1e-11 * scale)
    assert d == pytest.approx(d_ref, rel=1e-10, abs=1e-20)
    np.testing.assert_allclose(np.maximum(X + step * beta[:, None] * V - th[None, :], 0.0), out, atol=1e-12 * scale)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), m=st.integers(1, 25))
def test_market_certificate_kernels_match_twins(seed, n, m):
    rng = np.random.default_rng(seed)
    V = rng.uniform(0.0, 1.0, (n, m)) * (rng.uniform(size=(n, m)) < 0.7)
    X = rng.normal(0.3, 0.5, (n, m))               # negative entries and overfull goods: the feasible repair
    p, beta, s = rng.uniform(0.1, 2.0, m), rng.uniform(0.1, 2.0, n), rng.uniform(0.5, 2.0, m)
    np.testing.assert_allclose(kernels.market_beta(p, V), to_numpy(twin.market_beta(xs.asarray(p), xs.asarray(V))))
    np.testing.assert_allclose(kernels.market_prices(beta, V),
                               to_numpy(twin.market_prices(xs.asarray(beta), xs.asarray(V))))
    np.testing.assert_allclose(kernels.market_utilities(X, V, s),
                               to_numpy(twin.market_utilities(xs.asarray(X), xs.asarray(V), xs.asarray(s))),
                               rtol=1e-12, atol=1e-12)
    a, b = rng.normal(size=(64, 64 + m)), rng.normal(size=(64, 64 + m))   # above LERP_MIN_SIZE: the kernel
    np.testing.assert_allclose(kernels.lerp(a, b, 0.3), to_numpy(twin.lerp(xs.asarray(a), xs.asarray(b), 0.3)))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40))
def test_market_dual_step_matches_twin_and_is_the_prox(seed, n):
    rng = np.random.default_rng(seed)
    y, B = rng.uniform(0.1, 3.0, n), rng.uniform(0.5, 1.5, n)
    Kx, Kx_prev = -rng.uniform(0.0, 50.0, n), -rng.uniform(0.0, 50.0, n)
    step = float(rng.choice([1e-3, 1.0, 1e3]))
    out, coupling, dist = kernels.market_dual(y, Kx, Kx_prev, step, B)
    ref = twin.market_dual(*(xs.asarray(a) for a in (y, Kx, Kx_prev)), step, xs.asarray(B))
    np.testing.assert_allclose(out, to_numpy(ref[0]), rtol=1e-12)
    assert coupling == pytest.approx(ref[1], rel=1e-9, abs=1e-12) and dist == pytest.approx(ref[2], rel=1e-9, abs=1e-300)
    # optimality of argmin_b  -B log b + (b - z)^2 / (2 step):  b - z - step B / b = 0, b > 0
    z = y + step * (2.0 * Kx - Kx_prev)
    assert out.min() > 0
    assert np.all(np.abs(out - z - step * B / out) <= 1e-9 * (1.0 + np.abs(z) + step * B / out))
