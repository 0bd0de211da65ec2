"""Robust tensor recovery: matricizations and Tucker projections, the problem's input checks and
start layouts, its certificate (a valid bound on the suboptimality against CVXPY, closing at the
solution) in every configuration, and the behaviour of the methods on planted tensors.

The contract every method honours (reference reached on every backend, float32, max_iter,
callbacks, reruns, warm starts) is checked by ``tests/conformance`` on the cases of ``cases.py``.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.backend import asarray, to_numpy
from optkit.datasets import planted_tucker
from optkit.linalg import fold, mode_unfoldings, square_matricization, unfold
from optkit.linalg.matricization import mode_product, tucker_factors, tucker_project, tucker_tangent_project
from optkit.problems import MixtureSplit, RankConstrainedDual, RobustTensorRecovery, TensorSplit
from optkit.validate import reference_solve, validate

SHAPES = [(6, 7, 5), (4, 30, 3), (3, 4, 5, 6), (40, 2, 3), (2, 3, 40)]


# ---------------------------------------------------------------- matricizations
@pytest.mark.parametrize("shape", SHAPES)
def test_shrink_and_truncate_match_full_svd(xp, rng, shape):
    X = rng.standard_normal(shape)
    Xa = asarray(X, xp=xp)
    for m in (*mode_unfoldings(shape), square_matricization(shape)):
        M = to_numpy(m.unfold(Xa))
        assert M.shape == m.matrix_shape
        np.testing.assert_array_equal(to_numpy(m.fold(m.unfold(Xa))), X)
        U, s, Vt = np.linalg.svd(M, full_matrices=False)
        h = len(s) // 2
        tau = 0.5 * (s[h] + s[h - 1])
        Y, rank = m.shrink(Xa, tau)
        assert rank == h
        np.testing.assert_allclose(to_numpy(m.unfold(Y)), (U * np.maximum(s - tau, 0)) @ Vt, atol=1e-10)
        T2 = m.truncate(Xa, 2)
        np.testing.assert_allclose(to_numpy(m.unfold(T2)), (U[:, :2] * s[:2]) @ Vt[:2], atol=1e-10)
        assert m.nuclear_norm(Xa) == pytest.approx(s.sum(), rel=1e-12)
        assert m.spectral_norm(Xa) == pytest.approx(s[0], rel=1e-12)
        V2 = to_numpy(m.left_singular_vectors(Xa, 2))
        np.testing.assert_allclose(V2 @ V2.T, U[:, :2] @ U[:, :2].T, atol=1e-10)
        flat = X.reshape(-1)[m.cvxpy_indices()].reshape(m.matrix_shape)
        np.testing.assert_array_equal(flat, M)


@pytest.mark.parametrize("shape", [(30, 20, 25), (12, 40, 3), (6, 5, 4, 7)])
def test_nuclear_norm_of_a_low_rank_tensor_is_exact(rng, shape):
    """The Gram route's nuclear norm keeps numerically zero singular values at rounding level (the sum of
    square roots of the Gram eigenvalues would add sqrt(eps) sigma_max for each), and bounds from above."""
    planted = planted_tucker(shape, 2, corruption=0.0, seed=3)
    for X in (planted.X, planted.X * 1e-120):
        for m in mode_unfoldings(shape):
            exact = float(np.linalg.svd(m.unfold(X), compute_uv=False).sum())
            got = m.nuclear_norm(X)
            assert got == pytest.approx(exact, rel=1e-12)
            assert got >= exact * (1 - 1e-14)


def test_unfold_is_numpy_moveaxis_and_fold_inverts(rng):
    X = rng.standard_normal((3, 4, 5, 2))
    for i in range(4):
        np.testing.assert_array_equal(unfold(X, i), np.moveaxis(X, i, 0).reshape(X.shape[i], -1))
        np.testing.assert_array_equal(fold(unfold(X, i), i, X.shape), X)
        A = rng.standard_normal((3, X.shape[i]))
        np.testing.assert_allclose(unfold(mode_product(X, A, i), i), A @ unfold(X, i), atol=1e-12)
    # mode 0 and the contiguous square reshaping are views: no copy of the tensor
    assert np.shares_memory(unfold(X, 0), X)


def test_square_matricization_is_most_balanced():
    assert square_matricization((5, 5, 5, 5)).rows == (0, 1)
    m = square_matricization((3, 4, 5, 6))
    assert m.matrix_shape in ((18, 20), (20, 18))
    assert square_matricization((10, 10, 10, 10, 10)).matrix_shape == (100, 1000)


def test_tucker_tangent_projection(xp, rng):
    """An orthogonal projection onto a space that holds X and every curve through X of its ranks."""
    shape, ranks = (5, 6, 4), (2, 3, 2)
    X = planted_tucker(shape, ranks, corruption=0.0, seed=2).X
    Xa = asarray(X, xp=xp)
    U = tucker_factors(Xa, ranks)
    np.testing.assert_allclose(to_numpy(tucker_project(Xa, U)), X, atol=1e-12)
    Z, W = (asarray(rng.standard_normal(shape), xp=xp) for _ in range(2))
    PZ, PW = tucker_tangent_project(Z, Xa, U), tucker_tangent_project(W, Xa, U)
    np.testing.assert_allclose(to_numpy(tucker_tangent_project(PZ, Xa, U)), to_numpy(PZ), atol=1e-12)
    assert float(xp.sum(PZ * W)) == pytest.approx(float(xp.sum(Z * PW)), rel=1e-12)
    np.testing.assert_allclose(to_numpy(tucker_tangent_project(Xa, Xa, U)), X, atol=1e-12)
    # the derivative of a curve of multilinear rank `ranks` through X lies in it
    Un = [to_numpy(u) for u in U]
    core = X
    for i, u in enumerate(Un):
        core = mode_product(core, u.T, i)
    eps = 1e-7
    Y = core + eps * rng.standard_normal(core.shape)
    for i, u in enumerate(Un):
        Y = mode_product(Y, u + eps * rng.standard_normal(u.shape), i)
    D = asarray((Y - X) / eps, xp=xp)
    assert float(xp.linalg.vector_norm(D - tucker_tangent_project(D, Xa, U))) <= 1e-5 * float(
        xp.linalg.vector_norm(D))
    # for a matrix it is P_U Z + Z P_V - P_U Z P_V
    M = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 7))
    Uu, Uv = (to_numpy(u) for u in tucker_factors(M, (2, 2)))
    Pu, Pv, Zm = Uu @ Uu.T, Uv @ Uv.T, rng.standard_normal((6, 7))
    np.testing.assert_allclose(tucker_tangent_project(Zm, M, [Uu, Uv]), Pu @ Zm + Zm @ Pv - Pu @ Zm @ Pv,
                               atol=1e-12)


# ---------------------------------------------------------------- input checks
def test_problem_rejects_bad_input():
    T = np.zeros((3, 4, 5))
    with pytest.raises(TypeError, match="T"):
        RobustTensorRecovery([[1.0]])
    with pytest.raises(ValueError, match="T"):
        RobustTensorRecovery(np.zeros(5))
    with pytest.raises(ValueError, match="lam"):
        RobustTensorRecovery(T, lam=-1.0)
    with pytest.raises(ValueError, match="model"):
        RobustTensorRecovery(T, model="tucker")
    with pytest.raises(ValueError, match="formulation"):
        RobustTensorRecovery(T, formulation="lagrange")
    with pytest.raises(ValueError, match="norm"):
        RobustTensorRecovery(T, norm="square")
    with pytest.raises(ValueError, match="alpha"):
        RobustTensorRecovery(T, formulation="penalized")
    with pytest.raises(ValueError, match="mask"):
        RobustTensorRecovery(T, mask=np.ones((3, 4), bool))
    with pytest.raises(ValueError, match="mask"):
        RobustTensorRecovery(T, mask=np.zeros((3, 4, 5), bool))
    bad = T.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="mask"):
        RobustTensorRecovery(bad)
    # NaN off the observed set is fine: it never enters the model
    mask = np.ones(T.shape, bool)
    mask[0, 0, 0] = False
    p = RobustTensorRecovery(bad, mask=mask)
    assert np.isfinite(p.T).all() and not p.fully_observed
    with pytest.raises(ValueError, match="small"):
        RobustTensorRecovery(np.zeros((20, 20, 20))).to_cvxpy()


def test_start_layouts_and_their_errors():
    P = planted_tucker((4, 5, 3), 1, seed=3)
    single = RobustTensorRecovery(P.T)
    start = single.check_x0(P.X)
    np.testing.assert_array_equal(start.E, P.T - P.X)          # constrained: E = P_Omega(T - X)
    assert start.parts is None and start.dual is None and start.X is not P.X
    W = np.zeros((3,) + P.T.shape)
    start = single.check_x0(((P.X, P.E), W))
    np.testing.assert_array_equal(start.E, P.E)
    assert start.dual.shape == W.shape
    start = single.check_x0((TensorSplit(P.X, P.E), RankConstrainedDual(W, (1, 1, 1))))
    assert start.dual.ranks == (1, 1, 1)
    with pytest.raises(ValueError, match="x0"):
        single.check_x0(np.zeros((4, 5)))
    with pytest.raises(TypeError, match="x0"):
        single.check_x0((P.X, P.E, np.stack([P.X] * 3)))      # parts belong to the mixture
    with pytest.raises(ValueError, match="dual"):
        single.check_x0(((P.X, P.E), np.zeros(P.T.shape)))
    with pytest.raises(ValueError, match="ranks"):
        single.check_x0(((P.X, P.E), RankConstrainedDual(W, (1, 1))))
    mix = RobustTensorRecovery(P.T, model="mixture", formulation="penalized", alpha=0.1)
    start = mix.check_x0(P.X)
    np.testing.assert_allclose(start.parts.sum(axis=0), P.X)   # X split evenly
    assert float(np.abs(start.E).max()) == 0.0                  # penalized: E = 0
    start = mix.check_x0((P.X, P.E, np.stack([P.X, P.X, -P.X])))
    np.testing.assert_allclose(start.X, P.X)                    # the components define X
    with pytest.raises(ValueError, match="parts"):
        mix.check_x0((P.X, P.E, np.zeros((2,) + P.T.shape)))
    with pytest.raises(ValueError, match="RankConstrainedDual"):
        mix.check_x0(((P.X, P.E, np.stack([P.X / 3] * 3)), RankConstrainedDual(W, (1, 1, 1))))


def test_capabilities_and_methods():
    p = RobustTensorRecovery(np.ones((4, 9, 5)))
    assert p.lam == pytest.approx(1 / 3)
    assert (p.penalized, p.mixture, p.fully_observed, p.n_blocks, p.weight) == (False, False, True, 3, 1.0)
    assert p.dual_shape == (3, 4, 9, 5)
    assert optkit.methods(p)[0] == "adal" and "adal_ncx" in optkit.methods(p)
    pm = RobustTensorRecovery(np.ones((4, 9, 5)), model="mixture", formulation="penalized", alpha=2.0)
    assert pm.mixture and pm.penalized and pm.weight == 2.0 and pm.dual_shape is None
    assert set(optkit.methods(pm)) == {"adal", "tensor_apg"}
    ps = RobustTensorRecovery(np.ones((4, 9, 5)), formulation="penalized", alpha=1.0)
    assert optkit.methods(ps) == ["adal"]  # the sum of nuclear norms of one tensor has no closed-form prox
    with pytest.raises(ValueError, match="valid methods"):
        optkit.solve(ps, method="tensor_apg")


# ---------------------------------------------------------------- the certificate against CVXPY
def _instance(model, formulation, masked, norm="snn"):
    if norm == "square":
        P = planted_tucker((4, 3, 4, 3), 1, corruption=0.05, observed=0.8 if masked else 1.0, seed=21)
    else:
        P = planted_tucker((5, 4, 3), 2, corruption=0.1, observed=0.8 if masked else 1.0, seed=22)
    alpha = 0.05 if formulation == "penalized" else None
    return RobustTensorRecovery(P.T, lam=1.0 if norm == "square" else 0.3, mask=P.mask, model=model,
                                formulation=formulation, norm=norm, alpha=alpha)


CONFIGS = [
    ("singleton", "constrained", True, "snn"),
    ("singleton", "penalized", False, "snn"),
    ("mixture", "constrained", False, "snn"),
    ("mixture", "constrained", True, "snn"),
    ("mixture", "penalized", True, "snn"),
    ("singleton", "constrained", False, "square"),
    ("singleton", "penalized", True, "square"),
]


@functools.lru_cache(maxsize=None)
def _optimum(config):
    _, f_ref, status, _ = reference_solve(_instance(*config))
    assert status == "optimal", status
    return f_ref


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c)))
def test_certificate_bounds_the_suboptimality_and_closes(config, rng):
    """``gap >= f(x) - f*`` at every check of a run and for arbitrary dual candidates (the dual
    point is made feasible whatever it is built from), and it closes at the solution."""
    problem = _instance(*config)
    f_ref = _optimum(config)
    slack = 1e-8 * abs(f_ref)   # the reference's own accuracy
    for method in [m for m in optkit.methods(problem) if m != "adal_ncx"]:
        seen = []
        res = optkit.solve(problem, method=method, tol=1e-9, max_iter=30000, check_every=10,
                           callback=lambda s: seen.append((s.fun, s.measures["gap"])) and False)
        assert res.success, (method, res)
        assert len(seen) > 3
        for fun, gap in seen:
            assert gap >= fun - f_ref - slack, (method, fun - f_ref, gap)
        assert abs(res.fun - f_ref) <= 1e-7 * abs(f_ref), method
        assert abs(res.measures["gap"]) <= 1e-9 * res.fun and res.fun - f_ref <= res.measures["gap"] + slack
        assert isinstance(res.x, MixtureSplit if problem.mixture else TensorSplit)
        if not problem.penalized:
            assert res.measures["infeasibility"] <= 1e-12   # the returned (X, E) is feasible
        if problem.mixture:
            np.testing.assert_allclose(res.x.parts.sum(axis=0), res.x.X, atol=1e-12)
    # any candidate gives a valid bound, also far from the solution
    x = res.x
    candidates = [None] + ([rng.standard_normal(problem.dual_shape) * scale for scale in (1e-3, 1.0, 1e3)]
                           if problem.dual_shape else [])
    for dual in candidates:
        m = problem.measures(x, dual=dual)
        assert m["gap"] >= m["fun"] - f_ref - slack


# ---------------------------------------------------------------- behaviour
def test_validate_handles_the_mixture_blocks():
    problem = _instance("mixture", "penalized", True)
    res = optkit.solve(problem, method="tensor_apg", tol=1e-9)
    report = validate(problem, res)
    assert report.objective_gap <= 1e-6 and report.reference_status == "optimal"


def test_recovers_planted_tensor_with_missing_data():
    P = planted_tucker((20, 20, 20), 3, corruption=0.1, observed=0.8, seed=5)
    res = optkit.solve(RobustTensorRecovery(P.T, mask=P.mask), method="adal", tol=1e-7)
    assert res.success
    rel = np.linalg.norm(res.x.X - P.X) / np.linalg.norm(P.X)
    assert rel <= 1e-4
    for i in range(3):  # the Tucker rank is recovered
        s = np.linalg.svd(unfold(res.x.X, i), compute_uv=False)
        assert np.sum(s > 1e-3 * s[0]) == 3


@pytest.mark.parametrize("scale", [1e4, 1e-130, 1e130])
def test_tolerance_is_relative(scale):
    """Scaling the data scales the solution and leaves the iteration count unchanged."""
    P = planted_tucker((8, 8, 8), 2, corruption=0.03, seed=6)
    a = optkit.solve(RobustTensorRecovery(P.T, lam=0.7), method="adal", tol=1e-6)
    b = optkit.solve(RobustTensorRecovery(scale * P.T, lam=0.7), method="adal", tol=1e-6)
    assert a.success and b.success and a.nit == b.nit
    np.testing.assert_allclose(b.x.X / scale, a.x.X, rtol=1e-6, atol=1e-6 * np.abs(a.x.X).max())


def test_data_beyond_float64_squares_is_refused_by_name():
    """At 1e-170 squared norms underflow: a certificate would read 0 (once a false OPTIMAL)."""
    T = planted_tucker((5, 5, 5), 1, seed=2).T
    for scale in (1e-170, 1e-160, 1e200):
        with pytest.raises(ValueError, match="T's largest entry has magnitude"):
            RobustTensorRecovery(T * scale)


def test_options_are_checked():
    p = RobustTensorRecovery(planted_tucker((5, 5, 5), 1, seed=7).T)
    with pytest.raises(ValueError, match="mu"):
        optkit.solve(p, method="adal", mu=-1.0)
    with pytest.raises(ValueError, match="eta"):
        optkit.solve(RobustTensorRecovery(p.T, model="mixture", formulation="penalized", alpha=0.1),
                     method="tensor_apg", eta=1.5)
    with pytest.raises(ValueError, match="rank"):
        optkit.solve(p, method="adal_ncx", rank=(1, 2))


def test_a_run_that_cannot_progress_reports_max_iter_and_an_honest_certificate():
    """With an absurd penalty the thresholds swallow every step: the run must not claim success,
    and its answer stays finite with the certificate of where it stopped."""
    P = planted_tucker((6, 6, 6), 1, seed=9)
    problem = RobustTensorRecovery(P.T)
    res = optkit.solve(problem, method="adal", mu=1e300, max_iter=50)
    assert res.status is Status.MAX_ITER and not res.success
    assert np.isfinite(res.fun) and np.isfinite(to_numpy(res.x.X)).all()
    assert res.optimality > 0.1 and res.optimality == problem.measures(res.x, dual=res.dual)["optimality"]


def test_tail_continuation_runs_where_it_pays_and_certifies_tight():
    """The singleton constrained model with every entry observed shrinks mu in the tail (to a floor) and still
    certifies a tight tolerance; missing entries and the penalized form keep the balanced fixed penalty."""
    P = planted_tucker((20, 20, 20), 2, corruption=0.1, seed=4)
    res = optkit.solve(RobustTensorRecovery(P.T), method="adal", tol=1e-8)
    assert res.success and res.optimality <= 1e-8
    assert 0 < res.info["mu_floor"] <= res.info["mu"]
    assert np.linalg.norm(res.x.X - P.X) <= 1e-6 * np.linalg.norm(P.X)
    off = optkit.solve(RobustTensorRecovery(P.T), method="adal", tol=1e-8, continuation=1.0)
    assert off.success and off.info["mu_floor"] == 0
    masked = planted_tucker((20, 20, 20), 2, corruption=0.1, observed=0.8, seed=4)
    for problem in (RobustTensorRecovery(np.where(masked.mask, masked.T, np.nan), mask=masked.mask),
                    RobustTensorRecovery(P.T, formulation="penalized", alpha=0.1)):
        assert optkit.solve(problem, method="adal", max_iter=300).info["mu_floor"] == 0
