"""The OpenSpiel bridge: games read from OpenSpiel's trees, strategies checked by OpenSpiel's own NashConv."""
from __future__ import annotations

import numpy as np
import pytest

import optkit
from optkit.problems import SaddlePoint, SequenceFormGame

pyspiel = pytest.importorskip("pyspiel")
exploitability = pytest.importorskip("open_spiel.python.algorithms.exploitability")


@pytest.mark.parametrize("name,infosets", [("kuhn_poker", 6), ("leduc_poker", 468)])
def test_openspiel_trees_give_the_games_built_from_the_rules(name, infosets):
    ours = SequenceFormGame.kuhn() if name == "kuhn_poker" else SequenceFormGame.leduc()
    theirs = SequenceFormGame.from_openspiel(name)
    assert theirs.X.n_infosets == theirs.Y.n_infosets == infosets
    assert theirs.A.nnz == ours.A.nnz
    # the same game: a strategy pair has the same value and gap in both (matched through OpenSpiel)
    x, y = ours.initial_pair()
    assert theirs.measures(theirs.initial_point())["gap"] == pytest.approx(ours.measures(SaddlePoint(x, y))["gap"],
                                                                           rel=1e-12)
    assert abs(theirs.payoff_range - ours.payoff_range) < 1e-12


@pytest.mark.parametrize("build", [SequenceFormGame.kuhn, lambda: SequenceFormGame.from_openspiel("kuhn_poker"),
                                   SequenceFormGame.leduc])
def test_nashconv_of_the_policy_equals_the_gap(build):
    game = build()
    res = optkit.solve(game, tol=1e-12, max_iter=300, check_every=300)
    os_game = pyspiel.load_game(game.name)
    policy = game.to_openspiel_policy(res.x.x, res.x.y)
    nash_conv = exploitability.nash_conv(os_game, policy)
    assert nash_conv == pytest.approx(res.gap, rel=1e-9, abs=1e-12)
    assert exploitability.exploitability(os_game, policy) == pytest.approx(res.gap / 2, rel=1e-9, abs=1e-12)


def test_kuhn_equilibrium_value_through_openspiel():
    game = SequenceFormGame.from_openspiel(pyspiel.load_game("kuhn_poker"))
    res = optkit.solve(game, method="pdhg", tol=2.5e-7)
    assert res.success and abs(res.value - 1 / 18) <= 1e-6
    policy = game.to_openspiel_policy(*res.x)
    assert exploitability.nash_conv(pyspiel.load_game("kuhn_poker"), policy) <= 1e-6
    # player 1's expected payoff under the policy is -1/18 (OpenSpiel reports it for player 0)
    from open_spiel.python.algorithms import expected_game_score  # noqa: PLC0415

    values = expected_game_score.policy_value(pyspiel.load_game("kuhn_poker").new_initial_state(), [policy, policy])
    assert values[0] == pytest.approx(-1 / 18, abs=1e-6) and np.sum(values) == pytest.approx(0.0, abs=1e-12)
