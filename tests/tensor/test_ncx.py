"""Nonconvex ADAL (HoRPCA-S-NCX): its certificate (first-order stationarity, checked against the
linear program it bounds) and the planted tensors it reaches (the conformance suite runs it on
every backend and dtype on the planted cases of ``cases.py``)."""
from __future__ import annotations

import numpy as np
import pytest

import optkit
from optkit.backend import to_numpy
from optkit.datasets import planted_tucker
from optkit.linalg.matricization import tucker_factors, tucker_tangent_project
from optkit.problems import RankConstrainedDual, RobustTensorRecovery


def _rel(X, X0):
    return np.linalg.norm(to_numpy(X) - X0) / np.linalg.norm(X0)


@pytest.mark.parametrize("shape,rank,corruption", [((6, 7, 5), 2, 0.1), ((20, 20, 20), 3, 0.1)])
def test_reaches_planted_tensor_with_the_true_rank(shape, rank, corruption):
    """Beside the conformance cases (8 x 8 x 8 and a four-way tensor, every backend): other shapes."""
    P = planted_tucker(shape, rank, corruption=corruption, seed=1)
    problem = RobustTensorRecovery(P.T)
    res = optkit.solve(problem, method="adal_ncx", rank=rank, tol=1e-9, max_iter=5000)
    assert res.success, res
    assert _rel(res.x.X, P.X) <= 1e-6
    assert _rel(res.x.E, P.E) <= 1e-5
    assert res.info["ranks"] == (rank,) * 3


def test_beats_the_convex_model_outside_its_recovery_regime():
    """At 8x8x8 the convex model does not recover the planted tensor at the default lambda; the
    rank-constrained model does (Goldfarb & Qin: NCX "can often improve the recovery")."""
    P = planted_tucker((8, 8, 8), 2, corruption=0.05, seed=1)
    problem = RobustTensorRecovery(P.T)
    convex = optkit.solve(problem, method="adal", tol=1e-6, max_iter=3000)
    ncx = optkit.solve(problem, method="adal_ncx", rank=2, tol=1e-9)
    assert _rel(convex.x.X, P.X) > 0.1
    assert _rel(ncx.x.X, P.X) <= 1e-6


def test_default_rank_comes_from_the_convex_model():
    P = planted_tucker((20, 20, 20), 3, corruption=0.1, seed=2)
    res = optkit.solve(RobustTensorRecovery(P.T), method="adal_ncx", tol=1e-9)
    assert res.info["ranks"] == (3, 3, 3)
    assert res.success and _rel(res.x.X, P.X) <= 1e-6


def test_not_offered_for_missing_data_or_penalized_models():
    P = planted_tucker((5, 5, 5), 1, observed=0.8, seed=4)
    assert "adal_ncx" not in optkit.methods(RobustTensorRecovery(P.T, mask=P.mask))
    assert "adal_ncx" not in optkit.methods(RobustTensorRecovery(P.T, formulation="penalized", alpha=1.0))


def test_certificate_bounds_the_linearised_problem(rng):
    """``gap >= ||E||_1 - min over the tangent space L at X of ||T - Z||_1`` (solved as a linear
    program by CVXPY) at an early iterate and for arbitrary multipliers; it is what ``optimality``
    certifies, and it closes at the planted solution."""
    import cvxpy as cp  # noqa: PLC0415

    P = planted_tucker((5, 5, 5), 1, corruption=0.1, seed=4)
    problem = RobustTensorRecovery(P.T)
    early = optkit.solve(problem, method="adal_ncx", rank=1, max_iter=20, check_every=1)
    X, E = early.x
    assert isinstance(early.dual, RankConstrainedDual) and early.dual.ranks == (1, 1, 1)
    assert early.measures["rank_violation"] <= 1e-12 and early.measures["infeasibility"] <= 1e-12
    factors = tucker_factors(X, (1, 1, 1))
    basis = np.stack([tucker_tangent_project(e.reshape(X.shape), X, factors).reshape(-1) for e in np.eye(X.size)])
    U, sv, _ = np.linalg.svd(basis)
    B = U[:, : int(np.sum(sv > 1e-8))]                      # an orthonormal basis of L
    assert B.shape[1] == 1 + 3 * 4                          # core + one rotation per mode
    c = cp.Variable(B.shape[1])
    lp = cp.Problem(cp.Minimize(cp.norm1(P.T.reshape(-1) - B @ c)))
    lp.solve(solver="CLARABEL")
    l1 = np.abs(E).sum()
    assert lp.value <= l1 * (1 + 1e-9)                      # X is in L
    assert early.measures["gap"] >= l1 - lp.value - 1e-7 * l1
    assert early.optimality > 1e-3                          # 20 iterations are not stationary yet
    for scale in (1e-3, 1.0, 1e3):
        W = scale * rng.standard_normal(early.dual.W.shape)
        m = problem.measures(early.x, dual=RankConstrainedDual(W, (1, 1, 1)))
        assert m["gap"] >= l1 - lp.value - 1e-7 * l1
    done = optkit.solve(problem, method="adal_ncx", rank=1, tol=1e-9)
    assert done.success and done.measures["gap"] <= 1e-9 * np.abs(done.x.E).sum()
    assert problem.measures(done.x, dual=done.dual)["optimality"] == pytest.approx(done.optimality)
