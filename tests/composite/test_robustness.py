"""Inputs a user can type into the composite problems: clear errors naming the argument, or an
honest Result (the generated fuzz suite covers the rest)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.backend import namespace_by_name
from optkit.datasets import lasso_instance, sics_instance
from optkit.functions import L1Norm, SquaredLoss
from optkit.problems import Composite, Lasso, SparseInverseCovariance


@pytest.mark.parametrize("A,b,match", [
    (np.zeros((5, 0)), np.zeros(5), "A must have at least one column"),
    (np.ones((3, 4)), namespace_by_name("array_api_strict").asarray(np.ones(3)), "different array libraries"),
])
def test_lasso_refuses_by_name(A, b, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Lasso(A, b, lam=1.0)


def test_lasso_lam_zero_points_to_least_squares():
    with pytest.raises(ValueError, match="lam must be positive"):
        Lasso(np.ones((3, 4)), np.ones(3), lam=0.0)


@pytest.mark.parametrize("A", [np.zeros((0, 5)), np.zeros((5, 4)), 1e-170 * np.ones((5, 4))])
@pytest.mark.parametrize("method", ["alm", "fast_alm", "fista", "working_set"])
def test_degenerate_lasso_data_is_solved_not_crashed(A, method):
    """Empty rows, a zero matrix, a matrix below the float range: x = 0 is optimal (lam >= lam_max)."""
    res = optkit.solve(Lasso(A, np.ones(A.shape[0]), lam=1.0), method=method)
    assert res.success and np.all(res.x == 0)


def test_a_gap_that_rounds_to_zero_certifies_only_to_rounding():
    A, b, lam = lasso_instance(30, 60, seed=1).values()
    with pytest.warns(optkit.solvers.base.ToleranceWarning):
        res = optkit.solve(Lasso(A, b, lam=lam), tol=1e-300, max_iter=200)
    assert res.status is Status.MAX_ITER and res.gap > 0 and res.optimality > 1e-300


def test_sics_refuses_by_name():
    with pytest.raises(ValueError, match="S must be non-empty"):
        SparseInverseCovariance(np.zeros((0, 0)), lam=0.1)
    with pytest.raises(ValueError, match="lam = 0 with a singular S"):
        SparseInverseCovariance(np.ones((4, 4)), lam=0.0)
    with pytest.raises(ValueError, match="lam"):
        SparseInverseCovariance(np.eye(3), lam=float("inf"))


@pytest.mark.parametrize("method", ["alm", "fast_alm", "fista", "block_screening"])
def test_sics_with_a_huge_lam_never_crashes(method):
    S = sics_instance(15, seed=13)["S"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = optkit.solve(SparseInverseCovariance(S, lam=1e300), method=method, max_iter=300)
    if res.success:
        np.testing.assert_allclose(res.x, np.diag(1 / np.diag(S)), rtol=1e-6)


def test_composite_shape_must_fit_its_terms():
    A, b, _ = lasso_instance(10, 20, seed=0).values()
    with pytest.raises(ValueError, match=r"shape \(3,\) does not fit f"):
        Composite(SquaredLoss(A, b), L1Norm(1.0), (3,))


@pytest.mark.parametrize("tol", [1e-6, 1e-10])
def test_the_lasso_default_converges_with_a_dense_solution(tol):
    """b outside any small span gives a solution with about m nonzeros: ALM stalls there (5000
    iterations at either tol), the default must not."""
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((100, 200)), rng.standard_normal(100)
    res = optkit.solve(Lasso(A, b, lam=0.1), tol=tol)
    assert res.success and res.optimality <= tol


@pytest.mark.parametrize("scale", [1e-100, 1e-80, 1e80, 1e100])
@pytest.mark.parametrize("method", ["alm", "fast_alm", "fista", "working_set"])
def test_the_lasso_scaled_as_a_whole_is_solved_at_every_scale(scale, method):
    """A and b scaled by c and lam by c**2: the same Lasso (x unchanged, objective times c**2). The
    power iteration's norm squared the entries of A^T A v, overflowing to L = inf above c = 1e77 and
    underflowing to L = 0 below 1e-81: ALM, FALM and FISTA stayed at x0 (gap 0.64) to MAX_ITER."""
    data = lasso_instance(30, 12, seed=3)
    A, b, lam = data["A"], data["b"], data["lam"]
    base = optkit.solve(Lasso(A, b, lam=lam), method=method, tol=1e-8)
    problem = Lasso(A * scale, b * scale, lam=lam * scale ** 2)
    res = optkit.solve(problem, method=method, tol=1e-8)
    assert res.success and problem.measures(res.x)["optimality"] <= 1e-8
    np.testing.assert_allclose(res.x, base.x, rtol=1e-5, atol=1e-6 * float(np.max(np.abs(base.x))))


@pytest.mark.parametrize("scale", [1e-120, 1e-20, 1e20, 1e100])
def test_fista_on_a_scaled_inverse_covariance(scale):
    """S times c and lam times c: the same SICS with X divided by c. FISTA's backtracking stopped
    at an absolute step of 1e-20 while c = 1e20 needs about 1e-40 (an infeasible point, NUMERICAL_ERROR),
    and its first step 1.0 grew by backtrack**-0.25 per iteration towards the 1e240 that c = 1e-120
    needs (MAX_ITER). The same number of iterations at every scale."""
    data = sics_instance(12, seed=2)
    S, lam = data["S"], data["lam"]
    problem = SparseInverseCovariance(S * scale, lam=lam * scale)
    res = optkit.solve(problem, method="fista", tol=1e-6)
    assert res.success and problem.measures(res.x)["optimality"] <= 1e-6
    assert res.nit <= 2 * optkit.solve(SparseInverseCovariance(S, lam=lam), method="fista", tol=1e-6).nit
