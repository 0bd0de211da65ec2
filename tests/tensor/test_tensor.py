"""Robust tensor recovery: matricizations, the problem's input checks, every method against
CVXPY (all models and formulations) and the nonconvex ADAL against planted tensors."""
from __future__ import annotations

import functools

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.backend import asarray, namespace_by_name, to_numpy
from optkit.datasets import planted_tucker
from optkit.problems import TensorSplit, MixtureSplit, RobustTensorRecovery
from optkit.linalg import fold, mode_unfoldings, square_matricization, unfold
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
        flat = X.reshape(-1)[m.cvxpy_indices()].reshape(m.matrix_shape)
        np.testing.assert_array_equal(flat, M)


def test_unfold_is_numpy_moveaxis_and_fold_inverts(rng):
    X = rng.standard_normal((3, 4, 5, 2))
    for i in range(4):
        np.testing.assert_array_equal(unfold(X, i), np.moveaxis(X, i, 0).reshape(X.shape[i], -1))
        np.testing.assert_array_equal(fold(unfold(X, i), i, X.shape), X)
    # mode 0 and the contiguous square reshaping are views: no copy of the tensor
    assert np.shares_memory(unfold(X, 0), X)


def test_square_matricization_is_most_balanced():
    assert square_matricization((5, 5, 5, 5)).rows == (0, 1)
    m = square_matricization((3, 4, 5, 6))
    assert m.matrix_shape in ((18, 20), (20, 18))
    assert square_matricization((10, 10, 10, 10, 10)).matrix_shape == (100, 1000)


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
    assert np.isfinite(p.T).all()
    with pytest.raises(ValueError, match="small"):
        RobustTensorRecovery(np.zeros((20, 20, 20))).to_cvxpy()


def test_default_lambda_and_methods():
    p = RobustTensorRecovery(np.ones((4, 9, 5)))
    assert p.lam == pytest.approx(1 / 3)
    assert optkit.methods(p)[0] == "adal" and "adal_ncx" in optkit.methods(p)
    pm = RobustTensorRecovery(np.ones((4, 9, 5)), model="mixture", formulation="penalized", alpha=1.0)
    assert set(optkit.methods(pm)) == {"adal", "tensor_apg"}
    ps = RobustTensorRecovery(np.ones((4, 9, 5)), formulation="penalized", alpha=1.0)
    assert optkit.methods(ps) == ["adal"]  # the sum of nuclear norms of one tensor has no closed-form prox
    with pytest.raises(ValueError, match="valid methods"):
        optkit.solve(ps, method="tensor_apg")


# ---------------------------------------------------------------- against CVXPY
def _instance(model, formulation, masked, norm="snn"):
    if norm == "square":
        P = planted_tucker((4, 3, 4, 3), 1, corruption=0.05, observed=0.8 if masked else 1.0, seed=21)
    else:
        P = planted_tucker((6, 7, 5), 2, corruption=0.1, observed=0.8 if masked else 1.0, seed=22)
    alpha = 0.05 if formulation == "penalized" else None
    return P, dict(lam=1.0 if norm == "square" else 0.3, mask=P.mask, model=model, formulation=formulation, norm=norm, alpha=alpha)


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
def _reference(config):
    P, kw = _instance(*config)
    problem = RobustTensorRecovery(P.T, **kw)
    x_ref, _, status, _ = reference_solve(problem)
    assert status == "optimal", status
    return problem.objective(x_ref)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c)))
def test_convex_methods_match_cvxpy(config, backend):
    P, kw = _instance(*config)
    xp = namespace_by_name(backend)
    mask = None if kw["mask"] is None else asarray(kw.pop("mask"), xp=xp, dtype=xp.bool)
    kw.pop("mask", None)
    problem = RobustTensorRecovery(asarray(P.T, xp=xp), mask=mask, **kw)
    f_ref = _reference(config)
    methods = [m for m in optkit.methods(problem) if m != "adal_ncx"]
    assert methods
    for method in methods:
        res = optkit.solve(problem, method=method, tol=1e-9, max_iter=30000)
        assert res.success, (method, res)
        assert abs(res.fun - f_ref) / max(1.0, abs(f_ref)) <= 1e-5, method
        assert isinstance(res.x, MixtureSplit if config[0] == "mixture" else TensorSplit)
        assert res.x.X.shape == P.T.shape and res.backend == ("numpy" if backend == "numpy" else backend)
        if config[1] == "constrained":
            assert res.history["feasibility"][-1] <= 1e-12  # the returned (X, E) is feasible
        if config[0] == "mixture":
            np.testing.assert_allclose(to_numpy(xp.sum(res.x.parts, axis=0)), to_numpy(res.x.X), atol=1e-12)


def test_validate_handles_the_mixture_blocks():
    P, kw = _instance("mixture", "penalized", True)
    problem = RobustTensorRecovery(P.T, **kw)
    res = optkit.solve(problem, method="tensor_apg", tol=1e-9)
    report = validate(problem, res)
    assert report.objective_gap <= 1e-6 and report.reference_status == "optimal"


# ---------------------------------------------------------------- behaviour
def test_recovers_planted_tensor_with_missing_data():
    P = planted_tucker((20, 20, 20), 3, corruption=0.1, observed=0.8, seed=5)
    res = optkit.solve(RobustTensorRecovery(P.T, mask=P.mask), method="adal", tol=1e-7)
    assert res.success
    rel = np.linalg.norm(res.x.X - P.X) / np.linalg.norm(P.X)
    assert rel <= 1e-4
    for i in range(3):  # the Tucker rank is recovered
        s = np.linalg.svd(unfold(res.x.X, i), compute_uv=False)
        assert np.sum(s > 1e-3 * s[0]) == 3


def test_tolerance_is_relative(rng):
    """Scaling the data scales the solution and leaves the iteration count unchanged."""
    P = planted_tucker((8, 8, 8), 2, corruption=0.03, seed=6)
    a = optkit.solve(RobustTensorRecovery(P.T, lam=0.7), method="adal", tol=1e-6)
    b = optkit.solve(RobustTensorRecovery(1e4 * P.T, lam=0.7), method="adal", tol=1e-6)
    assert a.success and b.success and a.nit == b.nit
    np.testing.assert_allclose(b.x.X, 1e4 * a.x.X, rtol=1e-6, atol=1e-6 * np.abs(1e4 * a.x.X).max())


def test_options_are_checked():
    p = RobustTensorRecovery(planted_tucker((5, 5, 5), 1, seed=7).T)
    with pytest.raises(ValueError, match="mu"):
        optkit.solve(p, method="adal", mu=-1.0)
    with pytest.raises(ValueError, match="eta"):
        optkit.solve(RobustTensorRecovery(p.T, model="mixture", formulation="penalized", alpha=0.1),
                     method="tensor_apg", eta=1.5)
    with pytest.raises(ValueError, match="rank"):
        optkit.solve(p, method="adal_ncx", rank=(1, 2))
    with pytest.raises(TypeError, match="valid options"):
        optkit.solve(p, method="adal", rank=2)


def test_x0_warm_start_and_its_shape_check():
    P = planted_tucker((8, 8, 8), 2, corruption=0.05, seed=8)
    problem = RobustTensorRecovery(P.T, lam=0.7)
    cold = optkit.solve(problem, method="adal", tol=1e-8)
    warm = optkit.solve(problem, method="adal", tol=1e-8, x0=cold.x.X)
    assert warm.success
    np.testing.assert_allclose(warm.x.X, cold.x.X, atol=1e-6 * np.abs(cold.x.X).max())
    with pytest.raises(ValueError, match="x0"):
        optkit.solve(problem, method="adal", x0=np.zeros((8, 8)))


def test_non_finite_data_in_a_run_returns_failure_not_nan():
    P = planted_tucker((6, 6, 6), 1, seed=9)
    problem = RobustTensorRecovery(P.T)
    res = optkit.solve(problem, method="adal", mu=1e300, max_iter=50)
    assert np.isfinite(res.fun)
    assert res.status in (Status.NUMERICAL_ERROR, Status.MAX_ITER, Status.OPTIMAL)
    assert not np.isnan(to_numpy(res.x.X)).any()
