"""Conformance cases of the saddle-point family.

References: the LP game value (CVXPY's joint primal-dual LP), the CVXPY Eisenberg-Gale and TV-l1
programs, and Kuhn poker's known value (player 1 loses 1/18 per hand: the min-max value of
player 1's loss is 1/18; OpenSpiel's ``sequence_form_lp_test.py``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from optkit.backend import asarray
from optkit.datasets.saddle import noisy_camera, random_market, random_matrix_game
from optkit.functions import L1Ball, Simplex
from optkit.problems import BilinearSaddle, FisherMarket, MatrixGame, SequenceFormGame, TVL1Denoising

from ..conformance.cases import Case, MethodSpec


def _arr(a, xp, dtype):
    return asarray(np.asarray(a), xp=xp, dtype=dtype)


def _matrix_game(n, m, payoff, seed):
    def make(xp, dtype):
        return MatrixGame(_arr(random_matrix_game(n, m, payoff=payoff, seed=seed), xp, dtype))
    return make


def _kuhn(xp, dtype):
    # a dense payoff matrix (the fuzz suite perturbs arrays; tests/saddle covers the sparse one)
    game = SequenceFormGame.kuhn()
    game = dataclasses.replace(game, A=game.A.toarray())
    return game.astype(np.float32 if "32" in str(dtype) else np.float64).to(xp)


def _bilinear(xp, dtype):
    rng = np.random.default_rng(31)
    return BilinearSaddle(_arr(rng.standard_normal((5, 6)), xp, dtype), L1Ball(2.0), Simplex())


def _market(n, m, seed):
    def make(xp, dtype):
        V, B, s = random_market(n, m, seed=seed)
        return FisherMarket(_arr(V, xp, dtype), _arr(B, xp, dtype), _arr(s, xp, dtype))
    return make


def _tvl1(size, lam, seed):
    def make(xp, dtype):
        noisy, _ = noisy_camera(size, density=0.1, seed=seed)
        return TVL1Denoising(_arr(noisy, xp, dtype), lam=lam)
    return make


def _with_dual(result):
    return (result.x, result.dual)


# Games: a relative gap of 1e-6 puts the value estimate within 5e-7 of the value (relative to the payoff range).
GAME = MethodSpec(tol=1e-6, gap=1e-6, tol32=1e-5, gap32=1e-4)
# CFR+ plateaus near a relative gap of 2e-5 on small matrix games (20000 iterations, any q) and needs
# about 2000 iterations for NashConv 8e-5 on Kuhn poker: it is held here to what it reaches in a few
# hundred iterations (tests/saddle/test_solvers.py runs it to NashConv 1e-5 on Kuhn poker).
CFR = MethodSpec(tol=2.5e-4, gap=5e-4, tol32=2.5e-4, gap32=5e-4, max_iter=3000)
CASES = [
    Case("matrix_game_uniform_7x5", _matrix_game(7, 5, "uniform", 41), default=GAME, methods={"cfr_plus": CFR}),
    Case("kuhn_poker", _kuhn, optimum=1.0 / 18.0, default=GAME, methods={"cfr_plus": CFR}),
    Case("bilinear_l1ball_simplex", _bilinear, default=MethodSpec(tol=1e-6, gap=1e-6)),
    # the Eisenberg-Gale objective is within the duality gap, tol * sum(B) (about 4 tol here), of the optimum
    Case("fisher_market_4x5", _market(4, 5, 43), default=MethodSpec(tol=1e-8, gap=1e-6),
         methods={"proportional_response": MethodSpec(tol=1e-5, gap=5e-5, gap32=5e-5)}),
    Case("tvl1_camera_8x8", _tvl1(8, 1.0, 44), default=MethodSpec(tol=1e-6, gap=1e-6), warm_start=_with_dual),
]
