"""APG on the Huber form of CompressivePCP: its S is the best one for its L, its iterates and
certificate against CVXPY, and the one-sweep estimate of sigma_1 its checks use."""
from __future__ import annotations

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.datasets import lowrank_sparse_instance
from optkit.linalg import gram_sigma_max
from optkit.problems import CompressivePCP
from optkit.solvers.rpca._partial import ritz_sigma


@pytest.mark.parametrize("observed", [1.0, 0.6])
def test_pcp_apg_reports_the_best_s_for_its_l(observed):
    M, _, _, mask = lowrank_sparse_instance(40, 30, rank=2, noise=0.01, observed=observed, seed=4)
    problem = CompressivePCP.from_noise_level(M, mask, delta=1e-2)
    res = optkit.solve(problem, method="pcp_apg", tol=1e-6)
    assert res.status is Status.OPTIMAL and res.success
    L, S = res.x
    w = np.ones_like(M) if mask is None else mask.astype(float)
    Mo = problem.M_obs
    best = np.sign(Mo - L) * np.maximum(np.abs(Mo - L) - problem.lam_S, 0.0) * w
    np.testing.assert_allclose(S, best, atol=1e-12)
    R = problem.residual(L, S)
    assert np.abs(R).max() <= problem.lam_S * (1 + 1e-12)  # inside the dual's l-infinity ball
    assert problem.measures(res.x)["optimality"] == pytest.approx(res.optimality, rel=1e-6)


def test_pcp_apg_reaches_the_cvxpy_optimum():
    pytest.importorskip("cvxpy")
    M, _, _, mask = lowrank_sparse_instance(20, 15, rank=2, noise=0.01, observed=0.8, seed=2)
    problem = CompressivePCP.from_noise_level(M, mask, delta=1e-2)
    res = optkit.solve(problem, method="pcp_apg", tol=1e-8)
    report = optkit.validate(problem, res)
    assert res.success and report.objective_gap <= 1e-6


def test_ritz_sigma_is_a_lower_bound_that_converges():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((300, 40)) @ np.diag(np.linspace(1.0, 2.0, 40)) @ rng.standard_normal((40, 40))
    sigma = gram_sigma_max(A)
    one, v = ritz_sigma(A, None, 1)
    assert one <= sigma * (1 + 1e-12) and v.shape == (40, 1)
    many, v = ritz_sigma(A, v, 200)
    assert one <= many <= sigma * (1 + 1e-12) and many == pytest.approx(sigma, rel=1e-8)
