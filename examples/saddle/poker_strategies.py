"""Equilibrium strategies of Kuhn and Leduc poker, and their check by OpenSpiel.

Builds both games from their rules, solves them with CFR+ (the default for sequence-form games)
and PDHG with dilated entropy, prints player 1's Kuhn strategy per card and history, and, when
OpenSpiel is installed, converts the strategies to an OpenSpiel policy and prints OpenSpiel's
NashConv next to optkit's gap (they agree; OpenSpiel's ``exploitability`` is half of it).
Saves the NashConv curves.

Run: python examples/saddle/poker_strategies.py [--out poker_strategies.png]
"""
from __future__ import annotations

import argparse

import optkit
from optkit.problems import SequenceFormGame

CARDS = "JQK"
ACTIONS = {0: "pass", 1: "bet"}


def kuhn_table(game: SequenceFormGame, x) -> None:
    b = game.X.behavioral(x)
    print("\nKuhn poker, player 1 (probability of each action):")
    for j, key in enumerate(game.X.keys):
        _, _, card, history = key
        past = " ".join(ACTIONS[a] for a in history) or "(first to act)"
        probs = ", ".join(f"{ACTIONS[a]} {b[game.X.start[j] + k]:.3f}" for k, a in enumerate(game.X.actions[j]))
        print(f"  card {CARDS[card]}, after {past:>16}: {probs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="poker_strategies.png")
    args = parser.parse_args()
    curves = {}
    for game in (SequenceFormGame.kuhn(), SequenceFormGame.leduc()):
        for method in ("cfr_plus", "pdhg"):
            # PDHG is capped on Leduc: CFR+ reaches NashConv 1e-4 there far sooner (docs/saddle.md)
            cap = 3000 if (method == "pdhg" and game.name == "leduc_poker") else 20000
            res = optkit.solve(game, method=method, tol=1e-4 / game.payoff_range, max_iter=cap)
            curves[(game.name, method)] = res.history
            print(f"{game.name:>12} {method:>9}: value {res.value:+.6f} (player 1: {-res.value:+.6f}), "
                  f"NashConv {res.gap:.1e}, {res.nit} iterations, {res.time:.2f} s")
            if game.name == "kuhn_poker" and method == "pdhg":
                kuhn_table(game, res.x.x)
            try:
                import pyspiel
                from open_spiel.python.algorithms import exploitability
            except ImportError:
                continue
            policy = game.to_openspiel_policy(res.x.x, res.x.y)
            nc = exploitability.nash_conv(pyspiel.load_game(game.name), policy)
            print(f"{'':>23}OpenSpiel NashConv of the policy: {nc:.1e} (exploitability {nc / 2:.1e})")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, name in zip(axes, ("kuhn_poker", "leduc_poker")):
        for method in ("cfr_plus", "pdhg"):
            h = curves[(name, method)]
            ax.loglog(h["time"], h["gap"], label=method)
        ax.set_title(name)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("NashConv")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
