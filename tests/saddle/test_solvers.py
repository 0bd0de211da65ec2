"""Saddle-point methods on instances the conformance cases and benchmarks do not use: references from
HiGHS, CVXPY and the known poker values, the averaging bookkeeping and the options."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import linprog

import optkit
from optkit import Status
from optkit.backend import namespace_by_name, to_numpy
from optkit.datasets.saddle import noisy_camera, random_market, random_matrix_game
from optkit.problems import FisherMarket, MatrixGame, SequenceFormGame, TVL1Denoising
from optkit.solvers.saddle import PDHG
from optkit.validate import reference_solve



def highs_value(A: np.ndarray) -> float:
    n, m = A.shape
    res = linprog(np.r_[np.zeros(n), 1.0], A_ub=np.c_[A.T, -np.ones(m)], b_ub=np.zeros(m),
                  A_eq=np.r_[np.ones(n), 0.0][None, :], b_eq=[1.0], bounds=[(0, None)] * n + [(None, None)],
                  method="highs")
    return float(res.fun)


# array_api_strict runs only the smallest instances (each of its operations costs tens of microseconds);
# the conformance suite runs every method on both backends.
@pytest.mark.parametrize("method,backend,size", [("pdhg", "numpy", (16, 12)), ("pdhg", "array_api_strict", (6, 5)),
                                                 ("mirror_prox", "numpy", (9, 7)), ("cfr_plus", "numpy", (16, 12))])
def test_matrix_game_value_matches_highs(method, backend, size):
    A = random_matrix_game(*size, payoff="lognormal", seed=101)
    game = MatrixGame(A).to(namespace_by_name(backend))
    tol = 1e-6 if method != "cfr_plus" else 1e-4  # CFR+ plateaus near 1e-5 on small games
    res = optkit.solve(game, method=method, tol=tol, max_iter=20000)
    assert res.success, res
    span = A.max() - A.min()
    assert abs(res.value - highs_value(A)) <= tol * span
    assert res.gap <= tol * span and res.backend == backend


@pytest.mark.slow
def test_entropic_pdhg_on_a_matrix_game():
    A = random_matrix_game(24, 18, payoff="lognormal", seed=101)
    res = optkit.solve(MatrixGame(A), method="pdhg", geometry="entropy", tol=1e-6, max_iter=50000)
    assert res.success and abs(res.value - highs_value(A)) <= 1e-6 * (A.max() - A.min())


@pytest.mark.parametrize("method,tol", [("pdhg", 2.5e-7), ("mirror_prox", 2.5e-7),
                                        pytest.param("cfr_plus", 2.5e-6, marks=pytest.mark.slow)])
def test_kuhn_value_to_1e6(method, tol):
    res = optkit.solve(SequenceFormGame.kuhn(), method=method, tol=tol, max_iter=40000)
    assert res.success, res
    # player 1 loses 1/18 per hand: the min-max value of its loss (CFR+: NashConv 1e-5, value to 5e-6)
    assert abs(res.value - 1.0 / 18.0) <= (1e-6 if method != "cfr_plus" else 5e-6)


@pytest.mark.parametrize("geometry", ["preconditioned", "entropy", "euclidean"])
def test_kuhn_value_in_every_geometry(geometry):
    res = optkit.solve(SequenceFormGame.kuhn(), method="pdhg", geometry=geometry, tol=2.5e-7, max_iter=40000)
    assert res.success and abs(res.value - 1.0 / 18.0) <= 1e-6


@pytest.mark.slow
def test_leduc_increasing_average_beats_uniform_tenfold_at_1000():
    game = SequenceFormGame.leduc()
    gaps = {a: optkit.solve(game, method="pdhg", averaging=a, restart=None, tol=1e-12, max_iter=1000, check_every=1000,
                            stall_checks=0).gap for a in ("increasing", "uniform")}
    assert gaps["increasing"] <= gaps["uniform"] / 10


def test_leduc_cfr_plus_reaches_nashconv_1e3():
    res = optkit.solve(SequenceFormGame.leduc(), tol=1e-3 / 26.0, max_iter=5000)
    assert res.method == "cfr_plus" and res.success and res.gap <= 1e-3
    assert abs(res.value - 0.085606424078) <= res.gap / 2 + 1e-12


@pytest.mark.slow
@pytest.mark.parametrize("method", ["cfr_plus", "pdhg"])
def test_leduc_value_to_1e6(method):
    res = optkit.solve(SequenceFormGame.leduc(), method=method, tol=2e-6 / 26.0, max_iter=200000, check_every=50)
    assert res.success and abs(res.value - 0.085606424078) <= 1e-6


@pytest.mark.parametrize("backend,size", [("numpy", (9, 12)), ("array_api_strict", (3, 4))])
@pytest.mark.parametrize("method", ["pdhg", "mirror_prox", "proportional_response"])
def test_market_matches_cvxpy(method, backend, size):
    V, B, s = random_market(*size, seed=103)
    market = FisherMarket(V, B, 1.5 * s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (X_ref, p_ref), _, status, _ = reference_solve(market)
    assert status == "optimal"
    best = market.objective(X_ref)
    tol = 1e-7 if method != "proportional_response" else 1e-5
    res = optkit.solve(market.to(namespace_by_name(backend)), method=method, tol=tol, max_iter=50000)
    assert res.success, res
    # the Eisenberg-Gale objective is within the duality gap (tol * total budget) of the optimum
    assert abs(res.fun - best) <= res.gap + 1e-8 * max(1.0, abs(best)) and res.gap <= tol * market.total_budget
    np.testing.assert_allclose(to_numpy(res.x.prices), p_ref, rtol=1e-3 if method != "proportional_response" else 1e-2)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_market_run_passes_buyers_left_with_nothing(backend):
    # a long first primal step (a small primal weight) leaves buyers with nothing for a few steps: the gap is
    # infinite there, the run goes on and reaches the tolerance
    market = FisherMarket(*random_market(20, 40, seed=0))
    X = np.asarray(market.initial_pair()[0]).copy()
    X[0] = 0.0
    m = market.measures(market.point(X, np.ones(20)))
    assert m["gap"] == math.inf and math.isfinite(m["fun"])
    res = optkit.solve(market.to(namespace_by_name(backend)), tol=1e-6, max_iter=20000,
                       primal_weight=0.05 * market.primal_weight("euclidean"))
    assert res.success and res.nit > 10, res


@pytest.mark.parametrize("method,tol", [("pdhg", 1e-6), pytest.param("mirror_prox", 1e-5, marks=pytest.mark.slow)])
def test_tvl1_matches_cvxpy(method, tol):
    noisy, _ = noisy_camera(9, density=0.15, seed=104)
    tv = TVL1Denoising(noisy, lam=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u_ref, _, status, _ = reference_solve(tv)
    best = tv.objective(u_ref)
    res = optkit.solve(tv, method=method, tol=tol, max_iter=50000)
    assert res.success and abs(res.fun - best) <= tol * best
    assert tv.measures(to_numpy(res.x), dual=to_numpy(res.dual))["optimality"] == pytest.approx(res.optimality,
                                                                                               rel=1e-6)


# -- averaging -------------------------------------------------------------------------------------------------------

def test_running_average_is_the_weighted_average_of_the_iterates():
    game = MatrixGame(random_matrix_game(8, 6, seed=105))
    for q in (0.0, 1.0, 2.5):
        solver = PDHG(game, PDHG.Options(q=q, restart=None, steps="fixed"))
        state = solver.init(None)
        xs, weights = [], []
        for t in range(1, 40):
            state = solver.step(state, False)
            xs.append(state.last.x)
            weights.append(t ** q)
        w = np.array(weights) / np.sum(weights)
        np.testing.assert_allclose(state.avg.x, w @ np.array(xs), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(state.avg.Kx, game.A.T @ state.avg.x, rtol=1e-12, atol=1e-14)


def test_history_has_both_gaps_and_increasing_beats_uniform():
    game = MatrixGame(random_matrix_game(80, 80, payoff="normal", seed=106))
    runs = {a: optkit.solve(game, method="pdhg", averaging=a, restart=None, tol=1e-12, max_iter=1000, check_every=100)
            for a in ("increasing", "uniform", "last")}
    for a, res in runs.items():
        h = res.history
        assert len(h["gap_average"]) == len(h["gap_last"]) == 11
        mine = h["gap_last"] if a == "last" else h["gap_average"]
        np.testing.assert_allclose(h["gap"], mine)
    assert runs["increasing"].gap <= runs["uniform"].gap / 10
    np.testing.assert_allclose(runs["last"].history["gap_last"], runs["increasing"].history["gap_last"])


def test_restart_options_and_info():
    game = MatrixGame(random_matrix_game(40, 30, seed=107))
    res = optkit.solve(game, method="pdhg", restart="adaptive", tol=1e-7, max_iter=20000)
    assert res.success and res.info["restarts"] >= 1
    assert optkit.solve(game, method="pdhg", restart=None, tol=1e-7).info["restarts"] == 0


def test_unreachable_tolerance_is_not_success():
    game = MatrixGame(random_matrix_game(10, 10, seed=108))
    with pytest.warns(optkit.solvers.base.ToleranceWarning):
        res = optkit.solve(game, method="pdhg", tol=1e-300, max_iter=50)
    assert res.status is Status.MAX_ITER and not res.success and math.isfinite(res.fun)


def test_geometry_must_fit_the_problem():
    with pytest.raises(ValueError, match="geometry 'entropy' does not apply"):
        optkit.solve(TVL1Denoising(np.eye(4), lam=1.0), method="pdhg", geometry="entropy")
    with pytest.raises(ValueError, match="does not apply"):
        optkit.solve(TVL1Denoising(np.eye(4), lam=1.0), method="cfr_plus")
