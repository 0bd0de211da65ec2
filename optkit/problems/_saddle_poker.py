"""Kuhn and Leduc poker from their rules, and an adapter that reads any OpenSpiel game tree.

Both poker games follow OpenSpiel's definitions exactly, with OpenSpiel's card and action
numbers, so that a sequence-form strategy computed on the game built here can be turned into
an OpenSpiel policy by walking both trees side by side:

- **Kuhn poker** (Kuhn 1950): cards 0, 1, 2 (J < Q < K), one each, ante 1. Player 1 passes (0)
  or bets 1 (1); after a pass player 2 passes (showdown for 1) or bets; facing a bet a player
  passes (folds) or bets (calls; showdown for 2). Value for player 1: -1/18.
- **Leduc poker** (Southey et al. 2005): six cards 0..5 of ranks ``card // 2`` (J J Q Q K K),
  ante 1, one private card each, two betting rounds with raises of 2 and then 4, at most two
  raises per round, player 1 first in both rounds; actions fold (0, only facing a bet),
  call/check (1) and raise (2); a public card (one of the four left) between the rounds; at the
  showdown a pair with the public card wins, else the higher rank, equal ranks split. Value for
  player 1: -0.085606424078 (Lanctot et al. 2017, App. E.2, as in OpenSpiel's tests).
"""
from __future__ import annotations

from typing import Any

from ._saddle_treeplex import GameNode

__all__ = ["KuhnNode", "LeducNode", "OpenSpielNode"]


class KuhnNode(GameNode):
    """A state of Kuhn poker: the cards dealt so far and the betting history (0 pass, 1 bet)."""

    def __init__(self, cards: tuple = (), history: tuple = ()) -> None:
        self.cards, self.history = cards, history
        h = history
        if len(cards) < 2:
            self.kind = "chance"
        elif h in ((0, 0), (1, 0), (1, 1), (0, 1, 0), (0, 1, 1)):
            self.kind = "terminal"
            self.payoff = self._payoff()
        else:
            self.kind = "player"
            self.player = len(h) % 2
            self.infoset = ("kuhn", self.player, cards[self.player], h)

    def _payoff(self) -> float:
        h = self.history
        if h == (1, 0):
            return 1.0            # player 2 folds
        if h == (0, 1, 0):
            return -1.0           # player 1 folds
        stake = 1.0 if h == (0, 0) else 2.0
        return stake if self.cards[0] > self.cards[1] else -stake

    def outcomes(self) -> list:
        left = [c for c in range(3) if c not in self.cards]
        return [(c, 1.0 / len(left), KuhnNode(self.cards + (c,), self.history)) for c in left]

    def moves(self) -> list:
        return [(a, KuhnNode(self.cards, self.history + (a,))) for a in (0, 1)]


class LeducNode(GameNode):
    """A state of Leduc poker (OpenSpiel's ``leduc_poker``: fold 0, call 1, raise 2)."""

    RAISE = (2.0, 4.0)
    MAX_RAISES = 2

    def __init__(self, cards: tuple = (), public: int | None = None, rounds: tuple = ((),),
                 money: tuple = (1.0, 1.0), folded: int | None = None) -> None:
        self.cards, self.public, self.rounds, self.money, self.folded = cards, public, rounds, money, folded
        if folded is not None:
            self.kind = "terminal"
            self.payoff = -money[0] if folded == 0 else money[1]
        elif len(cards) < 2 or (len(rounds) == 2 and public is None):
            self.kind = "chance"
        elif self._round_over(rounds[-1]) and len(rounds) == 2:
            self.kind = "terminal"
            self.payoff = self._showdown()
        else:
            self.kind = "player"
            self.player = len(rounds[-1]) % 2
            self.infoset = ("leduc", self.player, cards[self.player], public, rounds)

    @staticmethod
    def _round_over(actions: tuple) -> bool:
        # a round ends with a call of a raise, or with a second check
        return len(actions) >= 2 and actions[-1] == 1

    def _showdown(self) -> float:
        r0, r1, rp = self.cards[0] // 2, self.cards[1] // 2, self.public // 2
        s0 = (1, r0) if r0 == rp else (0, r0)
        s1 = (1, r1) if r1 == rp else (0, r1)
        if s0 == s1:
            return 0.0
        return self.money[1] if s0 > s1 else -self.money[0]

    def outcomes(self) -> list:
        used = set(self.cards)
        left = [c for c in range(6) if c not in used]
        if len(self.cards) < 2:
            return [(c, 1.0 / len(left), LeducNode(self.cards + (c,), None, self.rounds, self.money))
                    for c in left]
        return [(c, 1.0 / len(left), LeducNode(self.cards, c, self.rounds, self.money)) for c in left]

    def moves(self) -> list:
        acts = self.rounds[-1]
        pl = self.player
        money = list(self.money)
        facing = money[1 - pl] > money[pl]
        raises = sum(1 for a in acts if a == 2)
        out = []
        if facing:
            out.append((0, LeducNode(self.cards, self.public, self.rounds, self.money, folded=pl)))
        called = list(money)
        called[pl] = money[1 - pl]
        rounds = self.rounds[:-1] + (acts + (1,),)
        if self._round_over(acts + (1,)) and len(rounds) == 1:
            rounds = rounds + ((),)               # the public card comes next
        out.append((1, LeducNode(self.cards, self.public, rounds, tuple(called))))
        if raises < self.MAX_RAISES:
            raised = list(money)
            raised[pl] = money[1 - pl] + self.RAISE[len(self.rounds) - 1]
            out.append((2, LeducNode(self.cards, self.public, self.rounds[:-1] + (acts + (2,),), tuple(raised))))
        return out


class OpenSpielNode(GameNode):
    """A ``pyspiel.State`` seen through the :class:`GameNode` protocol (information-state strings as keys,
    OpenSpiel action numbers as labels)."""

    def __init__(self, state: Any) -> None:
        self.state = state
        if state.is_terminal():
            self.kind = "terminal"
            self.payoff = float(state.returns()[0])
        elif state.is_chance_node():
            self.kind = "chance"
        else:
            self.kind = "player"
            self.player = int(state.current_player())
            self.infoset = state.information_state_string()

    def outcomes(self) -> list:
        return [(a, p, OpenSpielNode(self.state.child(a))) for a, p in self.state.chance_outcomes()]

    def moves(self) -> list:
        return [(a, OpenSpielNode(self.state.child(a))) for a in self.state.legal_actions()]
