"""
Equilibrium strategies of Kuhn and Leduc poker
==============================================

Both games are built from their rules and solved by CFR+ (the default for sequence-form games)
and by PDHG (projections onto the treeplexes in a diagonal metric, the default geometry); player 1's Kuhn strategy is printed per card and history and,
when OpenSpiel is installed, the strategies are converted to an OpenSpiel policy whose NashConv
is printed next to optkit's gap (they agree; OpenSpiel's ``exploitability`` is half of it).

Run as a script: ``python examples/saddle/plot_poker_strategies.py`` (Kuhn to a NashConv of 1e-4,
Leduc to 1e-2, seconds); ``--full`` (or ``OPTKIT_EXAMPLES_FULL=1``) for both to 1e-4.
"""
import os
import sys

import matplotlib.pyplot as plt

import optkit
from optkit.problems import SequenceFormGame

FULL = "--full" in sys.argv[1:] or os.environ.get("OPTKIT_EXAMPLES_FULL") == "1"
CARDS = "JQK"
ACTIONS = {0: "pass", 1: "bet"}


def kuhn_table(game, x):
    """Print player 1's behavioural strategy in Kuhn poker."""
    b = game.X.behavioral(x)
    print("Kuhn poker, player 1 (probability of each action):")
    for j, key in enumerate(game.X.keys):
        _, _, card, history = key
        past = " ".join(ACTIONS[a] for a in history) or "(first to act)"
        probs = ", ".join(f"{ACTIONS[a]} {b[game.X.start[j] + k]:.3f}" for k, a in enumerate(game.X.actions[j]))
        print(f"  card {CARDS[card]}, after {past:>16}: {probs}")


# %%
# CFR+ and PDHG on both games
# ---------------------------
# PDHG is capped on Leduc: CFR+ reaches a small NashConv there sooner (see the family page).
curves = {}
for game in (SequenceFormGame.kuhn(), SequenceFormGame.leduc()):
    target = 1e-4 if (FULL or game.name == "kuhn_poker") else 1e-2
    for method in ("cfr_plus", "pdhg"):
        cap = 5000 if (method == "pdhg" and game.name == "leduc_poker") else 20000
        res = optkit.solve(game, method=method, tol=target / game.payoff_range, max_iter=cap)
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

# %%
# NashConv against time
# ---------------------
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
plt.show()
