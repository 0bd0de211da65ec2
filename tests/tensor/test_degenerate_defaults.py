"""The defaults on degenerate model configurations: the mixture model's ``lam`` and iteration limit, and the
square norm's iteration limit.

Measured in ``docs/tensor.md`` (Limits) and ``benchmarks/tensor_mixture.py``. The constrained mixture model's
ADMM tail is sublinear outside the exact-recovery regime (its optimum is degenerate: the dual's active
spectral-norm balls and the support of ``E`` keep growing along the run, matched by ever smaller new
components), so its default ``max_iter`` is larger; on the mixture model's own instances at its default
``lam`` it recovers the planted tensor and converges quickly. The square norm on small planted tensors past
the recovery regime has the same kind of tail, and its own default limit.
"""
from __future__ import annotations

import math

import pytest

import optkit
from optkit import Status
from optkit.datasets import planted_mixture, planted_tucker, relative_error
from optkit.problems import RobustTensorRecovery
from optkit.solvers.tensor.adal import ADAL, DEFAULT_MAX_ITER, MIXTURE_MAX_ITER, SQUARE_MAX_ITER


def test_mixture_defaults_lam_and_iteration_limit():
    P = planted_mixture((6, 5, 4), 1, corruption=0.1, observed=0.5, seed=0)
    mixture = RobustTensorRecovery(P.T, mask=P.mask, model="mixture")
    rho = float(P.mask.mean())
    spread = max(math.sqrt(6) + math.sqrt(20), math.sqrt(5) + math.sqrt(24), math.sqrt(4) + math.sqrt(30))
    assert mixture.lam == pytest.approx(2 / (math.sqrt(rho) * spread))
    assert ADAL(mixture, ADAL.Options()).options.max_iter == MIXTURE_MAX_ITER
    penalized = RobustTensorRecovery(P.T, model="mixture", formulation="penalized", alpha=0.1)
    singleton = RobustTensorRecovery(P.T)
    for problem in (penalized, singleton):
        assert ADAL(problem, ADAL.Options()).options.max_iter == DEFAULT_MAX_ITER
    Q = planted_tucker((4, 3, 4, 3), 1, seed=0)
    square = RobustTensorRecovery(Q.T, norm="square")
    assert ADAL(square, ADAL.Options()).options.max_iter == SQUARE_MAX_ITER
    penalized_square = RobustTensorRecovery(Q.T, norm="square", formulation="penalized", alpha=0.1)
    assert ADAL(penalized_square, ADAL.Options()).options.max_iter == DEFAULT_MAX_ITER
    assert ADAL(mixture, ADAL.Options(max_iter=7)).options.max_iter == 7


def test_mixture_default_recovers_and_converges_on_its_own_instances():
    """A sum of three tensors each rank 2 in one mode, 5% corrupted: the default recovers it (30^3, seed 0:
    230 iterations, recovery error 9.7e-7 at measurement)."""
    P = planted_mixture((30, 30, 30), 2, corruption=0.05, seed=0)
    res = optkit.solve(RobustTensorRecovery(P.T, model="mixture"))
    assert res.status is Status.OPTIMAL
    assert relative_error(res.x.X, P.X) <= 1e-4


@pytest.mark.slow
@pytest.mark.parametrize("observed", [0.8, 1.0])
def test_mixture_default_reaches_the_default_tolerance(observed):
    """Planted Tucker tensors are not the mixture model's instances (it does not recover them at 20^3); the
    tail is sublinear and the default iteration limit covers it (18400 and 11470 iterations at measurement)."""
    P = planted_tucker((20, 20, 20), 2, corruption=0.1, observed=observed, seed=0)
    res = optkit.solve(RobustTensorRecovery(P.T, mask=P.mask, model="mixture"))
    assert res.status is Status.OPTIMAL


@pytest.mark.slow
def test_square_norm_default_reaches_the_default_tolerance():
    """Rank 2 on 6^4 (the 36 x 36 square unfolding of rank 4), past the recovery regime: 7340 iterations at
    measurement, within the square norm's default limit (formerly 2000)."""
    P = planted_tucker((6, 6, 6, 6), 2, corruption=0.05, seed=0)
    res = optkit.solve(RobustTensorRecovery(P.T, norm="square"))
    assert res.status is Status.OPTIMAL
