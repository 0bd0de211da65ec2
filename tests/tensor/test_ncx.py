"""Nonconvex ADAL (HoRPCA-S-NCX): reaches the planted tensor, on NumPy and array_api_strict."""
from __future__ import annotations

import numpy as np
import pytest

import optkit
from optkit.backend import asarray, namespace_by_name, to_numpy
from optkit.datasets import planted_tucker
from optkit.problems import RobustTensorRecovery


def _rel(X, X0):
    return np.linalg.norm(to_numpy(X) - X0) / np.linalg.norm(X0)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
@pytest.mark.parametrize("shape,rank,corruption", [((8, 8, 8), 2, 0.05), ((6, 7, 5), 2, 0.1),
                                                    ((20, 20, 20), 3, 0.1)])
def test_reaches_planted_tensor_with_the_true_rank(backend, shape, rank, corruption):
    P = planted_tucker(shape, rank, corruption=corruption, seed=1)
    xp = namespace_by_name(backend)
    problem = RobustTensorRecovery(asarray(P.T, xp=xp))
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


def test_square_deal_rank_on_a_four_way_tensor():
    P = planted_tucker((6, 5, 6, 5), 1, corruption=0.05, seed=3)
    problem = RobustTensorRecovery(P.T, norm="square")
    res = optkit.solve(problem, method="adal_ncx", rank=1, tol=1e-9, max_iter=5000)
    assert res.success and _rel(res.x.X, P.X) <= 1e-6


def test_not_offered_for_missing_data_or_penalized_models():
    P = planted_tucker((5, 5, 5), 1, observed=0.8, seed=4)
    assert "adal_ncx" not in optkit.methods(RobustTensorRecovery(P.T, mask=P.mask))
    assert "adal_ncx" not in optkit.methods(RobustTensorRecovery(P.T, formulation="penalized", alpha=1.0))
