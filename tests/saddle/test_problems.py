"""Saddle-point problems: input checks, game construction and values, certificates, CVXPY forms."""
from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

import optkit
from optkit.backend import namespace_by_name
from optkit.datasets.saddle import noisy_camera, random_market, random_matrix_game
from optkit.functions import Box, L1Ball, L1Norm, Simplex, SquaredLoss
from optkit.problems import (BilinearSaddle, FisherMarket, MarketEquilibrium, MatrixGame, SaddlePoint,
                             SequenceFormGame, TVL1Denoising)
from optkit.problems._saddle_tvl1 import gradient, gradient_adjoint
from optkit.solvers.base import ToleranceWarning
from optkit.validate import reference_solve

from .cases import CASES


def lp_value(game: SequenceFormGame) -> float:
    """min_x max_y x^T A y over the treeplexes by HiGHS: min f^T v s.t. F^T v >= A^T x, E x = e, x >= 0."""
    A = sp.csr_matrix(game.A)
    E, e = game.X.constraints()
    F, f = game.Y.constraints()
    nx, nv = A.shape[0], F.shape[0]
    res = linprog(np.concatenate([np.zeros(nx), f]), A_ub=sp.hstack([A.T, -F.T]).tocsr(), b_ub=np.zeros(A.shape[1]),
                  A_eq=sp.hstack([E, sp.csr_matrix((E.shape[0], nv))]).tocsr(), b_eq=e,
                  bounds=[(0, None)] * nx + [(None, None)] * nv, method="highs")
    assert res.status == 0
    return float(res.fun)


# -- games -------------------------------------------------------------------------------------------------------------

def test_kuhn_and_leduc_from_their_rules():
    kuhn, leduc = SequenceFormGame.kuhn(), SequenceFormGame.leduc()
    assert (kuhn.X.n_infosets, kuhn.Y.n_infosets) == (6, 6)          # 12 information sets
    assert (leduc.X.n_infosets, leduc.Y.n_infosets) == (468, 468)    # 936, as OpenSpiel counts them
    # the min-max value of player 1's loss; player 1's value is its negative
    assert lp_value(kuhn) == pytest.approx(1.0 / 18.0, abs=1e-12)
    assert lp_value(leduc) == pytest.approx(0.085606424078, abs=1e-11)


def test_game_certificate_is_nashconv_and_vanishes_at_the_lp_solution():
    game = SequenceFormGame.kuhn()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x, y), _, status, _ = reference_solve(game)
    assert status == "optimal"
    m = game.measures(SaddlePoint(x, y))
    assert m["gap"] < 1e-8 and m["value"] == pytest.approx(1 / 18, abs=1e-8)
    # the uniform strategies: the gap is the sum of both best-response gains
    x0, y0 = game.initial_pair()
    A = game.A.toarray()
    v = x0 @ A @ y0
    m0 = game.measures(SaddlePoint(x0, y0))
    assert m0["gap"] == pytest.approx((_brute_best(game.Y, A.T @ x0, max) - v) + (v - _brute_best(game.X, A @ y0, min)))
    assert game.measures(SaddlePoint(2 * x0, y0))["gap"] == math.inf     # off the treeplex


def _brute_best(t, c, pick):
    import itertools  # noqa: PLC0415

    values = []
    for choice in itertools.product(*[range(t.start[j], t.stop[j]) for j in range(t.n_infosets)]):
        z = np.zeros(t.n_sequences)
        z[0] = 1
        for j, s in enumerate(choice):
            z[s] = z[t.parent[j]]
        values.append(c @ z)
    return pick(values)


def test_matrix_game_gap_and_value_against_highs():
    A = random_matrix_game(30, 20, payoff="normal", seed=5)
    n, m = A.shape
    res = linprog(np.r_[np.zeros(n), 1.0], A_ub=np.c_[A.T, -np.ones(m)], b_ub=np.zeros(m),
                  A_eq=np.r_[np.ones(n), 0.0][None, :], b_eq=[1.0], bounds=[(0, None)] * n + [(None, None)],
                  method="highs")
    x = np.clip(res.x[:n], 0, None)
    y = np.clip(-res.ineqlin.marginals, 0, None)
    game = MatrixGame(A)
    out = game.measures(SaddlePoint(x / x.sum(), y / y.sum()))
    assert out["gap"] < 1e-9 and out["value"] == pytest.approx(res.fun, abs=1e-9)
    assert out["optimality"] == pytest.approx(out["gap"] / (A.max() - A.min()))
    shifted = MatrixGame(3.0 * A + 7.0)     # the relative gap does not see shifts and scalings
    u = game.initial_point()
    assert shifted.measures(u)["optimality"] == pytest.approx(game.measures(u)["optimality"], rel=1e-12)


@pytest.mark.parametrize("make,match", [
    (lambda: MatrixGame(np.ones(3)), "A must be 2-dimensional"),
    (lambda: MatrixGame(np.array([[1.0, np.nan]])), "A contains NaN"),
    (lambda: MatrixGame(np.zeros((0, 2))), "A must be non-empty"),
    (lambda: SequenceFormGame(np.ones((3, 3)), SequenceFormGame.kuhn().X, SequenceFormGame.kuhn().Y),
     "A must have shape"),
    (lambda: BilinearSaddle(np.ones((2, 3)), SquaredLoss(np.ones((2, 3)), np.ones(2)), Simplex()), "conjugate"),
    (lambda: BilinearSaddle(np.ones((2, 3)), "f", Simplex()), "f must be an optkit.functions.Function"),
    (lambda: FisherMarket(-np.ones((2, 3)), np.ones(2)), "valuations must be nonnegative"),
    (lambda: FisherMarket(np.array([[1.0, 0.0], [0.0, 0.0]]), np.ones(2)), "every buyer must value"),
    (lambda: FisherMarket(np.ones((2, 3)), np.ones(3)), r"budgets must have shape \(2,\)"),
    (lambda: FisherMarket(np.ones((2, 3)), np.array([1.0, 0.0])), "budgets must be positive"),
    (lambda: FisherMarket(np.ones((2, 3)), np.ones(2), np.array([1.0, -1.0, 1.0])), "supplies must be positive"),
    (lambda: TVL1Denoising(np.ones(5), lam=1.0), "image must be 2-dimensional"),
    (lambda: TVL1Denoising(np.ones((4, 4)), lam=0.0), "lam must be positive"),
])
def test_bad_input_raises_naming_the_argument(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_treeplex_checks_its_structure():
    from optkit.problems._saddle_treeplex import Treeplex  # noqa: PLC0415

    with pytest.raises(ValueError, match="consecutive"):
        Treeplex([0, 0], [1, 4], [3, 5])
    with pytest.raises(ValueError, match="top-down"):
        Treeplex([0, 5], [1, 3], [3, 5])


# -- bilinear saddles and conjugates -----------------------------------------------------------------------------------

def _support_lp(z, kind):
    """max <z, x> over the set by HiGHS (x = u - v for the l1 ball)."""
    n = z.size
    if kind == "simplex":
        res = linprog(-z, A_eq=np.ones((1, n)), b_eq=[2.0], bounds=[(0, None)] * n, method="highs")
    elif kind == "l1ball":
        res = linprog(np.r_[-z, z], A_ub=np.ones((1, 2 * n)), b_ub=[1.5], bounds=[(0, None)] * (2 * n), method="highs")
    else:
        res = linprog(-z, bounds=[(-1.0, 2.0)] * n, method="highs")
    return -res.fun


@pytest.mark.parametrize("fn,kind", [(Simplex(2.0), "simplex"), (L1Ball(1.5), "l1ball"), (Box(-1.0, 2.0), "box")])
def test_conjugates_are_support_functions(fn, kind):
    rng = np.random.default_rng(0)
    for _ in range(5):
        z = rng.standard_normal(6)
        assert fn.conjugate(z) == pytest.approx(_support_lp(z, kind), rel=1e-10, abs=1e-12)


def test_l1norm_and_unbounded_box_conjugates_are_indicators():
    assert L1Norm(1.0).conjugate(np.array([0.5, -1.0])) == 0.0
    assert L1Norm(1.0).conjugate(np.array([0.5, -1.1])) == math.inf
    assert Box(0.0, math.inf).conjugate(np.array([-1.0, 0.0])) == 0.0
    assert Box(0.0, math.inf).conjugate(np.array([1.0])) == math.inf


def test_bilinear_saddle_accepts_sparse_and_operator_couplings():
    from scipy.sparse.linalg import aslinearoperator  # noqa: PLC0415

    K = np.random.default_rng(1).standard_normal((4, 5))
    dense = BilinearSaddle(K, L1Ball(1.0), Simplex())
    point = dense.initial_point()
    for other in (BilinearSaddle(sp.csr_matrix(K), L1Ball(1.0), Simplex()),
                  BilinearSaddle(aslinearoperator(K), L1Ball(1.0), Simplex())):
        assert other.measures(point)["gap"] == pytest.approx(dense.measures(point)["gap"], rel=1e-12)
        assert other.lipschitz("euclidean") == pytest.approx(np.linalg.norm(K, 2), rel=1e-3)


# -- Fisher market ---------------------------------------------------------------------------------------------------

def test_market_certificate_at_the_cvxpy_equilibrium():
    import cvxpy as cp  # noqa: PLC0415

    V, B, s = random_market(7, 9, seed=11)
    s = s * np.linspace(0.5, 2.0, 9)
    market = FisherMarket(V, B, s)
    X = cp.Variable(V.shape, nonneg=True)
    supply = cp.sum(X, axis=0) <= s
    prob = cp.Problem(cp.Maximize(B @ cp.log(cp.sum(cp.multiply(V, X), axis=1))), [supply])
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    eq = MarketEquilibrium(X.value, supply.dual_value)
    m = market.measures(eq)
    assert m["gap"] < 1e-7 * B.sum() and m["fun"] == pytest.approx(prob.value, rel=1e-9)
    np.testing.assert_allclose(market.prices_from_allocation(X.value), supply.dual_value, rtol=1e-5)
    # budgets are spent: the prices sum to the money in the market
    assert float(supply.dual_value @ s) == pytest.approx(B.sum(), rel=1e-7)
    # scaling budgets, valuations or supplies leaves the relative gap unchanged
    u = market.initial_point()
    for scaled in (FisherMarket(3 * V, B, s), FisherMarket(V, 5 * B, s), FisherMarket(V, B, 2 * s)):
        w = scaled.initial_point()
        assert scaled.measures(w)["optimality"] == pytest.approx(market.measures(u)["optimality"], rel=1e-9)


# -- TV-l1 -------------------------------------------------------------------------------------------------------------

def test_gradient_adjoint_and_objective_match_cvxpy():
    rng = np.random.default_rng(2)
    u, p = rng.standard_normal((5, 7)), rng.standard_normal((2, 5, 7))
    assert np.sum(gradient(u) * p) == pytest.approx(np.sum(u * gradient_adjoint(p)), rel=1e-12)
    noisy, _ = noisy_camera(9, seed=3)
    tv = TVL1Denoising(noisy, lam=0.8)
    prob, U = tv.to_cvxpy()
    U.value = u[:9, :7] if False else rng.standard_normal((9, 9))
    assert prob.objective.value == pytest.approx(tv.objective(U.value), rel=1e-12)
    # Neumann boundary: the last row and column contribute their one difference
    step = np.zeros((3, 3))
    step[:, 2] = 1.0
    assert TVL1Denoising(np.zeros((3, 3)), lam=1.0).total_variation(step) == pytest.approx(3.0)


def test_tv_certificate_bounds_the_suboptimality():
    noisy, _ = noisy_camera(10, seed=4)
    tv = TVL1Denoising(noisy, lam=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u_ref, _, status, _ = reference_solve(tv)
    best = tv.objective(u_ref)
    for u in (noisy, np.full_like(noisy, noisy.mean()), 0.5 * (noisy + u_ref)):
        m = tv.measures(u)
        assert m["dual_bound"] <= best + 1e-7 and (m["fun"] - best) / m["fun"] <= m["optimality"] + 1e-9


def test_a_game_from_its_rules_through_the_node_protocol():
    from optkit.problems import GameNode  # noqa: PLC0415

    payoff = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])  # rock-paper-scissors, to player 1

    class Node(GameNode):
        def __init__(self, moves=()):
            self.history = moves
            if len(moves) == 2:
                self.kind, self.payoff = "terminal", float(payoff[moves[0], moves[1]])
            else:
                self.kind, self.player, self.infoset = "player", len(moves), ("rps", len(moves))

        def moves(self):
            return [(a, Node(self.history + (a,))) for a in range(3)]

    game = SequenceFormGame.from_rules(Node)
    np.testing.assert_allclose(game.A.toarray()[1:, 1:], -payoff)      # the loss of player 1
    assert lp_value(game) == pytest.approx(0.0, abs=1e-12)
    u = game.initial_point()
    assert game.measures(u)["gap"] == pytest.approx(0.0, abs=1e-12)      # uniform play is the equilibrium


@pytest.mark.parametrize("name", ["kuhn_poker", "bilinear_l1ball_simplex", "fisher_market_4x5", "tvl1_camera_8x8"])
def test_a_gap_that_rounds_to_zero_certifies_only_to_its_rounding(name):
    """The gaps were clamped with max(P - D, 0): at a solution whose two bounds cancelled in rounding
    the certificate was exactly 0, and PDHG and mirror prox reported OPTIMAL at tol=1e-300 (and on
    Kuhn poker with A scaled by 1e50 and the stated payoff range 4, at a NashConv of 5e33)."""
    xp = namespace_by_name("numpy")
    problem = next(c for c in CASES if c.name == name).make(xp, xp.float64)
    for method in ("pdhg", "mirror_prox"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ToleranceWarning)   # tol is below what float64 certifies
            res = optkit.solve(problem, method=method, tol=1e-300, max_iter=1000)
        assert not res.success and res.optimality > 0 and problem.measures(res.x)["optimality"] > 0, (method, res)
    if name == "kuhn_poker":
        scaled = dataclasses.replace(problem, A=problem.A * 1e50)
        res = optkit.solve(scaled, method="pdhg", max_iter=300)
        assert not res.success and res.optimality > 1e-6


@pytest.mark.parametrize("name", ["budgets", "supplies"])
def test_market_vectors_from_another_array_library_are_refused_by_name(name):
    """An array_api_strict budget beside NumPy valuations failed inside array_api_compat
    (AttributeError: 'Array' object has no attribute 'astype')."""
    market = next(c for c in CASES if c.name == "fisher_market_4x5").make(namespace_by_name("numpy"), np.float64)
    strict = namespace_by_name("array_api_strict").asarray(np.asarray(getattr(market, name)))
    with pytest.raises(TypeError, match=f"{name}.*use one array library"):
        dataclasses.replace(market, **{name: strict})


def test_market_shape_mismatch_names_valuations_too():
    """Valuations with a row dropped were reported as "budgets must have shape (3,)" only: the
    argument the user changed was not named."""
    market = next(c for c in CASES if c.name == "fisher_market_4x5").make(namespace_by_name("numpy"), np.float64)
    with pytest.raises(ValueError, match=r"budgets.*valuations"):
        dataclasses.replace(market, valuations=np.asarray(market.valuations)[:-1])


@pytest.mark.parametrize("scale", [1e-130, 1e100, 1e130])
@pytest.mark.parametrize("method", ["pdhg", "mirror_prox"])
def test_a_matrix_game_at_any_payoff_scale(scale, method):
    """The same game with payoffs times c (its payoff range follows): the operator norm's power
    iteration squared entries of K^T K v, L = inf above c = 1e77, and both methods stopped at their
    first step with NUMERICAL_ERROR."""
    game = next(c for c in CASES if c.name == "matrix_game_uniform_7x5").make(namespace_by_name("numpy"), np.float64)
    scaled = dataclasses.replace(game, A=np.asarray(game.A) * scale)
    res = optkit.solve(scaled, method=method, tol=1e-6, max_iter=3000)
    assert res.success and scaled.measures(res.x)["optimality"] <= 1e-6
