"""CFR+ (regret matching+ with alternation and linear averaging) for matrix and sequence-form games.

References: O. Tammelin, "Solving large imperfect information games using CFR+", arXiv:1407.5042
(2014); O. Tammelin, N. Burch, M. Johanson & M. Bowling, IJCAI 2015; G. Farina, C. Kroer &
T. Sandholm, "Regret circuits: composability of regret minimizers", ICML 2019 (CFR as regret
decomposition over the treeplex).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...backend import get_namespace
from ...kernels import saddle as kernels
from ...problems.saddle import MatrixGame, SequenceFormGame
from ..base import option
from ._common import Pair, SaddleOptions, SaddleSolver, SaddleState

__all__ = ["CFRPlus"]


@dataclass(frozen=True, kw_only=True)
class CFRPlusOptions(SaddleOptions):
    q: float = option(2.0, "exponent of the averaging weights t^q (1: CFR+'s linear averaging; 2, measured faster "
                           "on Leduc poker, is the default)", domain="[0, 64]")
    # The t^q average's gap dips and rises from check to check while it falls like 1/T: on Leduc poker the
    # family's 200 checks without a new best stopped a run at NashConv 1.2e-5 after 9100 iterations, while
    # it reaches 2e-6 after 56700. So CFR+ runs to tol or max_iter unless asked to stall.
    stall_checks: int = option(0, "stop with STALLED after this many checks in a row without a 0.1% better gap "
                                  "(0: never, the default)", domain="int >= 0")


def _normalize(xp: Any, r: Any) -> Any:
    total = xp.sum(r)
    n = r.shape[0]
    return r / total if float(total) > 0 else xp.full((n,), 1.0 / n, dtype=r.dtype)


@register("cfr_plus")
class CFRPlus(SaddleSolver):
    """CFR+: regret matching+ with alternation and increasing averaging, for zero-sum games.

    Regret matching+ for both players, the second player answering the first's new strategy
    (alternation), with the strategies averaged by weights :math:`t^q` (CFR+: :math:`q = 1`).

    On a matrix game the regrets are per action, :math:`r \\leftarrow [r + \\langle\\ell, x\\rangle - \\ell]^+`
    and :math:`x \\propto r` (uniform while :math:`r = 0`); on a sequence-form game the same update
    runs at every information set on counterfactual values, bottom-up (kernel
    :func:`optkit.kernels.saddle.cfr_plus`). Two products with :math:`A` per step.

    A start ``x0`` sets the initial regrets to ``payoff_range`` times the given strategies (behavioural
    strategies on a treeplex), so that a start at an equilibrium stays there.

    CFR+ is Tammelin's [1]_ [2]_: regret matching+, alternating updates and linear averaging;
    on a treeplex the regret decomposes over the information sets [3]_. The default weights
    :math:`t^2` are the increasing averages of Gao, Kroer and Goldfarb [4]_, measured faster on
    Leduc poker (``docs/saddle.md``).

    Parameters
    ----------
    problem : MatrixGame or SequenceFormGame
        The problem to solve.
    options : CFRPlusOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-cfr_plus`.

    References
    ----------
    .. [1] O. Tammelin, "Solving large imperfect information games using CFR+", arXiv:1407.5042
       (2014).
    .. [2] O. Tammelin, N. Burch, M. Johanson and M. Bowling, "Solving heads-up limit Texas
       hold'em", IJCAI 2015, 645-652.
    .. [3] G. Farina, C. Kroer and T. Sandholm, "Regret circuits: composability of regret
       minimizers", ICML 2019.
    .. [4] Y. Gao, C. Kroer and D. Goldfarb, "Increasing iterate averaging for solving saddle-point
       problems", AAAI 2021, 35(9):7537-7544 (arXiv:1903.10646).

    Examples
    --------
    Kuhn poker with CFR+'s linear averaging:

    >>> import optkit
    >>> from optkit.problems import SequenceFormGame
    >>> res = optkit.solve(SequenceFormGame.kuhn(), method="cfr_plus", q=1.0, tol=1e-4)
    >>> res.success, round(res.fun, 3)
    (True, 0.056)
    """

    Options = CFRPlusOptions
    problem_types = (MatrixGame, SequenceFormGame)

    def init(self, x0: Any) -> SaddleState:
        p = self.problem
        state = self.first_state(x0)
        z = state.cur
        xp = get_namespace(z.x)
        scale = 0.0 if x0 is None else p.payoff_range
        if isinstance(p, SequenceFormGame):
            bx = xp.asarray(p.X.behavioral(_host(z.x)), dtype=z.x.dtype)
            by = xp.asarray(p.Y.behavioral(_host(z.y)), dtype=z.y.dtype)
            extra = {"rx": scale * bx, "ry": scale * by, "bx": bx, "by": by}
        else:
            extra = {"rx": scale * z.x, "ry": scale * z.y}
        return SaddleState(cur=z, last=z, avg=z, extra=extra, anchor=z)

    def step(self, state: SaddleState, measure: bool) -> SaddleState:
        p, z, e = self.problem, state.cur, state.extra
        xp = get_namespace(z.x)
        if isinstance(p, SequenceFormGame):
            rx, bx, x = kernels.cfr_plus(z.KTy, e["rx"], e["bx"], p.X)
            Kx = p.apply_K(x)
            ry, by, y = kernels.cfr_plus(-Kx, e["ry"], e["by"], p.Y)
            new = Pair(x, y, Kx, p.apply_KT(y))
            return self.advance(state, new, new, rx=rx, ry=ry, bx=bx, by=by)
        rx = xp.clip(e["rx"] + xp.vecdot(z.x, z.KTy) - z.KTy, min=0.0)
        x = _normalize(xp, rx)
        Kx = p.apply_K(x)
        ry = xp.clip(e["ry"] + Kx - xp.vecdot(z.y, Kx), min=0.0)
        y = _normalize(xp, ry)
        new = Pair(x, y, Kx, p.apply_KT(y))
        return self.advance(state, new, new, rx=rx, ry=ry)


def _host(v: Any) -> Any:
    from ...backend import to_numpy  # noqa: PLC0415

    return to_numpy(v)
