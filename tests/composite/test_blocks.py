"""Exact block screening of sparse inverse covariance: the components of |S_ij| > lam."""
from __future__ import annotations

import numpy as np
import pytest

import optkit
from optkit.backend import asarray, to_numpy
from optkit.datasets import sics_instance
from optkit.problems import SparseInverseCovariance

from .cases import block_covariance

SIZES = (5, 4, 3, 1, 1, 1)


def _labels(problem):
    return problem.screening_blocks.labels


def _gap_by_hand(S, lam, X):
    """The relative duality gap of the graphical lasso at X, on the whole matrix (NumPy)."""
    p = S.shape[0]
    off = 1.0 - np.eye(p)
    primal = -np.linalg.slogdet(X)[1] + np.sum(S * X) + lam * np.sum(np.abs(X) * off)
    U = np.clip(np.linalg.inv(X) - S, -lam, lam) * off
    dual = np.sum(np.log(np.linalg.eigvalsh(S + U))) + p
    return (primal - dual) / max(1.0, abs(primal)), primal


@pytest.mark.parametrize("seed", [15, 18])
def test_screened_solution_is_cvxpys_and_zero_across_components(seed):
    cp = pytest.importorskip("cvxpy")
    lam = 0.2
    problem = SparseInverseCovariance(block_covariance(seed, SIZES, lam), lam=lam)
    blocks = problem.screening_blocks
    assert sorted(int(g.shape[0]) for g in blocks.groups) == [3, 4, 5] and blocks.singletons.shape[0] == 3
    res = optkit.solve(problem, tol=1e-13)
    assert res.method == "block_screening" and res.success, res
    labels = _labels(problem)
    across = labels[:, None] != labels[None, :]
    assert np.all(res.x[across] == 0.0)  # exactly, not to a tolerance
    np.testing.assert_array_equal(np.diag(res.x)[blocks.singletons], 1.0 / np.diag(problem.S)[blocks.singletons])
    # the unscreened solve of the whole problem reaches the same matrix
    full = optkit.solve(problem, method="alm", tol=1e-13, max_iter=100000)
    np.testing.assert_allclose(res.x, full.x, rtol=0, atol=1e-5 * np.abs(full.x).max())
    assert np.abs(full.x[across]).max() <= 1e-5 * np.abs(full.x).max()
    prob, var = problem.to_cvxpy()
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    np.testing.assert_allclose(res.x, var.value, rtol=0, atol=1e-5 * np.abs(var.value).max())
    assert res.fun <= problem.objective(var.value) + 1e-9 * abs(res.fun)


def test_components_follow_the_strict_threshold():
    """An edge needs |S_ij| > lam: at lam = |S_ij| the pair splits, with X_ij = 0 and X_ii = 1/S_ii."""
    S = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 3.0]])
    split = SparseInverseCovariance(S, lam=0.3)
    assert [list(map(int, g)) for g in split.screening_blocks.groups] == [[0, 1]]
    res = optkit.solve(split, tol=1e-12)
    assert res.success and res.x[0, 2] == 0.0 and res.x[1, 2] == 0.0 and res.x[2, 2] == 1.0 / 3.0
    joined = SparseInverseCovariance(S, lam=0.29)
    assert [list(map(int, g)) for g in joined.screening_blocks.groups] == [[0, 1, 2]]
    res = optkit.solve(joined, tol=1e-12)
    assert res.success and res.x[1, 2] != 0.0  # the solution's graph is connected too (Mazumder & Hastie)


@pytest.mark.parametrize("lam", [0.5, 0.05])
def test_measures_by_block_equal_the_whole_matrix_formula(lam):
    problem = SparseInverseCovariance(block_covariance(16, SIZES, 0.2), lam=lam)
    res = optkit.solve(problem, tol=1e-8)
    rel, primal = _gap_by_hand(np.asarray(problem.S), lam, res.x)
    m = problem.measures(res.x)
    assert m["fun"] == pytest.approx(primal, rel=1e-12)
    assert m["optimality"] == pytest.approx(rel, rel=1e-6, abs=1e-13)
    # a point with entries across the components is measured on the whole matrix
    X = res.x + 1e-3 * (1.0 - np.eye(res.x.shape[0]))
    rel, primal = _gap_by_hand(np.asarray(problem.S), lam, X)
    assert problem.measures(X)["optimality"] == pytest.approx(rel, rel=1e-9)


def test_backends_and_warm_start(xp):
    S = block_covariance(17, SIZES, 0.2)
    problem = SparseInverseCovariance(asarray(S, xp=xp), lam=0.2)
    res = optkit.solve(problem, tol=1e-13)  # a gap of 1e-13 pins X to about 1e-6
    assert res.success and res.info["blocks"] == 6 and res.info["largest_block"] == 5
    ref = optkit.solve(SparseInverseCovariance(S, lam=0.2), method="alm", tol=1e-12)
    np.testing.assert_allclose(to_numpy(res.x), ref.x, rtol=0, atol=1e-5 * np.abs(ref.x).max())
    again = optkit.solve(problem, x0=res.x, tol=1e-12)
    assert again.success and again.nit <= 1


@pytest.mark.parametrize("inner", ["fast_alm", "fista"])
def test_every_inner_solver(inner):
    S = sics_instance(60, seed=3)["S"]
    problem = SparseInverseCovariance(S, lam=0.1)
    assert problem.screening_blocks.count >= 5
    res = optkit.solve(problem, inner=inner, tol=1e-9)
    ref = optkit.solve(problem, method="alm", tol=1e-12)
    assert res.success and res.info["inner"] == inner
    assert res.fun == pytest.approx(ref.fun, rel=1e-8)


def test_a_dual_candidate_only_tightens_a_valid_gap():
    """measures(X, dual=D) makes any D feasible: its gap is never below the true suboptimality and
    never above the gap from X alone."""
    rng = np.random.default_rng(5)
    problem = SparseInverseCovariance(block_covariance(16, SIZES, 0.2), lam=0.2)
    fstar = optkit.solve(problem, method="alm", tol=1e-13).fun
    X = problem.initial_point() + 0.01 * np.eye(problem.shape[0])
    alone = problem.measures(X)
    for D in (rng.standard_normal(problem.shape), 10.0 * rng.standard_normal(problem.shape)):
        m = problem.measures(X, dual=D)
        assert m["fun"] == alone["fun"]
        assert m["fun"] - fstar <= m["gap"] <= alone["gap"]
    res = optkit.solve(problem, method="alm", tol=1e-9)  # the run certifies with its multiplier
    assert res.dual is not None and res.fun - fstar <= res.gap <= problem.measures(res.x)["gap"]
