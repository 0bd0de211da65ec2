"""Working sets with gap-safe screening: screened features are zero at the optimum (CVXPY), the
full problem's gap certifies the answer, warm starts along a path."""
from __future__ import annotations

import numpy as np
import pytest

import optkit
from optkit.datasets import lasso_instance
from optkit.functions import L1Norm, SquaredLoss
from optkit.problems import Composite, Lasso
from optkit.validate import reference_solve


@pytest.mark.parametrize("seed,m,n,ratio", [(1, 30, 80, 0.3), (2, 60, 40, 0.1), (3, 25, 200, 0.05), (4, 50, 120, 0.5),
                                          (7, 40, 300, 0.02), (8, 90, 60, 0.01), (9, 35, 150, 0.2)])
def test_screened_features_are_zero_at_the_optimum(seed, m, n, ratio):
    A, b, lam = lasso_instance(m, n, seed=seed, lam_ratio=ratio).values()
    problem = Lasso(A, b, lam=lam)
    res = optkit.solve(problem, method="working_set", tol=1e-9)
    assert res.success and res.info["screened"] > 0
    x_ref, _, status, _ = reference_solve(problem)
    assert status == "optimal"
    dropped = ~np.asarray(res.info["kept"])
    assert np.all(np.abs(x_ref[dropped]) <= 1e-6 * max(1.0, np.abs(x_ref).max()))
    assert abs(res.fun - problem.objective(x_ref)) <= 1e-8 * max(1.0, abs(res.fun))


def test_composite_of_the_same_terms_is_accepted():
    A, b, lam = lasso_instance(20, 50, seed=5).values()
    problem = Composite(SquaredLoss(A, b), L1Norm(lam), (50,))
    assert "working_set" in optkit.methods(problem)
    res = optkit.solve(problem, method="working_set", tol=1e-8)
    ref = optkit.solve(Lasso(A, b, lam=lam), tol=1e-10)
    assert res.success and abs(res.fun - ref.fun) <= 1e-7 * ref.fun


@pytest.mark.parametrize("inner", ["cd", "alm", "fast_alm", "fista"])
def test_warm_started_path_reaches_each_gap(inner):
    A, b, _ = lasso_instance(40, 150, seed=6).values()
    lam_max = float(np.max(np.abs(A.T @ b)))
    x = None
    for lam in lam_max * np.geomspace(0.9, 0.05, 6):
        res = optkit.solve(Lasso(A, b, lam=lam), method="working_set", inner=inner, x0=x, tol=1e-8)
        assert res.success and res.gap <= 1e-8 * res.fun
        x = res.x
