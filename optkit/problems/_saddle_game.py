"""Two-player zero-sum extensive-form games in sequence form, and their OpenSpiel bridge."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

from ..backend import asarray, get_namespace, is_numpy, namespace_by_name, to_numpy
from ..kernels.saddle import dilated_prox, treeplex_projection, treeplex_value
from ..linalg.power import operator_norm
from ._saddle_poker import KuhnNode, LeducNode, OpenSpielNode
from ._saddle_treeplex import Treeplex, build_sequence_form
from .saddle import GameProblem, checked_array

__all__ = ["SequenceFormGame"]


def _is_sparse(A: Any) -> bool:
    return type(A).__module__.startswith("scipy.sparse")


@dataclass(frozen=True)
class SequenceFormGame(GameProblem):
    """A two-player zero-sum extensive-form game with perfect recall, in sequence form.

    .. math:: \\min_{x \\in X} \\max_{y \\in Y} x^TAy

    with ``X``, ``Y`` the players' treeplexes (:class:`Treeplex`) and ``A`` the sequence-form
    payoff matrix: :math:`x^TAy` is player 1's expected **loss** (player 2's payoff), so ``x``
    (player 1) minimises it, as the row player of :class:`MatrixGame` does (Koller, Megiddo &
    von Stengel 1994; von Stengel 1996).

    Parameters
    ----------
    A : array or scipy sparse matrix, shape (X.n_sequences, Y.n_sequences)
        The sequence-form payoff matrix: the chance-weighted payoff to player 2 (player 1's loss)
        of each pair of sequences, summed over the terminal histories the pair leads to.
    X, Y : Treeplex
        The sequence-form strategy polytopes of player 1 (``x``) and player 2 (``y``).
    payoff_range : float, optional
        Spread of the terminal payoffs, the scale ``tol`` is relative to (default: the spread of
        the entries of ``A`` and 0).
    name : str
        The OpenSpiel game string the game corresponds to, if any (``"kuhn_poker"`` ...).
    rules : callable, optional
        A factory of the game's root :class:`GameNode` with OpenSpiel's action and chance
        labels, used to map information sets onto OpenSpiel's (:meth:`to_openspiel_policy`).

    Notes
    -----
    The gap of a pair is NashConv, the sum of both players' best-response gains,
    :math:`\\max_{y'} x^TAy' - \\min_{x'} x'^TAy`, computed by one bottom-up pass per treeplex
    (OpenSpiel's ``exploitability`` is NashConv / 2). ``tol`` applies to the gap divided by
    ``payoff_range``; ``fun`` and ``value`` are the midpoint of the two bounds (player 1's value
    is ``-value``). Geometries: ``"preconditioned"`` (the default), the Euclidean distance in the
    diagonal metric :meth:`metric` (Pock and Chambolle's preconditioner with :math:`\\alpha = 1`: per
    sequence, the l1 norm of its row or column of ``A``), whose prox is the projection onto the
    treeplex in that metric (:func:`optkit.kernels.saddle.treeplex_projection`), ``lipschitz`` the norm
    of :math:`D_y^{-1/2} A^T D_x^{-1/2}` (at most 1; power iteration); ``"entropy"``, the dilated
    entropy, and ``"euclidean"``, the dilated Euclidean distance (see
    :func:`optkit.kernels.saddle.dilated_prox`), both with the information-set weights of
    :meth:`Treeplex.dilated_weights`, which make the dilated entropy 1-strongly convex w.r.t. the l1
    norm; ``lipschitz`` is then :math:`\\max|A_{ij}|` for ``"entropy"`` and :math:`\\|A\\|_2` for
    ``"euclidean"``. The preconditioned geometry is our choice, measured (``docs/saddle.md``): on
    Leduc poker PDHG's iterates with the dilated entropy never settle (the last iterate's NashConv
    stays near 0.06 over 10^4 steps, the average near 0.045), so the increasing average lost to the
    uniform one (0.16x at T = 1000), while in the preconditioned metric the iterates converge (PDHG
    in a fixed norm is a proximal-point method [5]_; the projection is Gilpin, Pena and Sandholm's [6]_) and the increasing average is 12x better (6.4e-4 at
    T = 1000, against 5.7e-2 with the dilated entropy).
    The sequence form is Koller, Megiddo and von Stengel's [1]_ [2]_; the weights of the dilated
    entropy are those of Kroer, Waugh, Kilinc-Karzan and Sandholm [3]_; extensive-form games are
    among the experiments of the increasing-averaging paper [4]_. Kuhn and Leduc poker are built
    from their rules in optkit itself (:meth:`kuhn`, :meth:`leduc`, OpenSpiel's definitions).

    References
    ----------
    .. [1] D. Koller, N. Megiddo and B. von Stengel, "Fast algorithms for finding randomized
       strategies in game trees", STOC 1994, 750-759.
    .. [2] B. von Stengel, "Efficient computation of behavior strategies", Games Econ. Behav. 14
       (1996), 220-246.
    .. [3] C. Kroer, K. Waugh, F. Kilinc-Karzan and T. Sandholm, "Faster algorithms for
       extensive-form game solving via improved smoothing functions", Math. Program. 179 (2020),
       385-417.
    .. [4] Y. Gao, C. Kroer and D. Goldfarb, "Increasing iterate averaging for solving saddle-point
       problems", AAAI 2021, 35(9):7537-7544 (arXiv:1903.10646).
    .. [5] T. Pock and A. Chambolle, "Diagonal preconditioning for first order primal-dual algorithms
       in convex optimization", ICCV 2011, 1762-1769.
    .. [6] A. Gilpin, J. Pena and T. Sandholm, "First-order algorithm with O(ln(1/eps)) convergence for
       eps-equilibrium in two-person zero-sum games", Math. Program. 133 (2012), 279-298.

    Examples
    --------
    Kuhn poker, whose min-max value (player 1's expected loss) is 1/18, solved by CFR+:

    >>> import optkit
    >>> from optkit.problems import SequenceFormGame
    >>> game = SequenceFormGame.kuhn()
    >>> game.X.n_infosets + game.Y.n_infosets, game.A.shape
    (12, (13, 13))
    >>> res = optkit.solve(game, tol=1e-4)
    >>> res.method, res.success, bool(abs(res.fun - 1 / 18) <= res.gap)
    ('cfr_plus', True, True)
    """

    A: Any
    X: Treeplex
    Y: Treeplex
    payoff_range: float | None = None
    name: str = ""
    rules: Callable[[], Any] | None = field(default=None, repr=False, compare=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    geometries: ClassVar[tuple[str, ...]] = ("preconditioned", "entropy", "euclidean")
    #: CFR+ reached Leduc's NashConv 1e-4 in fewer iterations and less time than PDHG (benchmarks/saddle.py).
    default_method: ClassVar[str] = "cfr_plus"
    #: PDHG on Leduc with restarts: NashConv 1e-4 after 5900 iterations with a fixed primal weight, while the
    #: adapted one moved to 5.6 and the run stalled near 3e-3.
    adapt_primal_weight: ClassVar[bool] = False
    optimality_measure: ClassVar[str] = "NashConv / payoff range"

    def __post_init__(self) -> None:
        for name in ("X", "Y"):
            if not isinstance(getattr(self, name), Treeplex):
                raise TypeError(f"{name} must be a Treeplex, got {type(getattr(self, name)).__name__}")
        A = self.A
        if not _is_sparse(A):
            A = checked_array("A", A, 2)
        elif A.dtype.kind in "biu":
            A = A.astype(np.float64)
        elif A.dtype not in (np.float32, np.float64):
            raise TypeError(f"A must have a real floating dtype, got {A.dtype}")
        if tuple(A.shape) != (self.X.n_sequences, self.Y.n_sequences):
            raise ValueError(f"A must have shape ({self.X.n_sequences}, {self.Y.n_sequences}) (the numbers of "
                             f"sequences of X and Y), got {tuple(A.shape)}")
        values = np.asarray(A.data if _is_sparse(A) else to_numpy(A))
        if not np.all(np.isfinite(values)):
            raise ValueError("A contains NaN or infinite entries")
        object.__setattr__(self, "A", A.tocsr() if _is_sparse(A) else A)
        if self.payoff_range is None:
            spread = max(float(values.max(initial=0.0)), 0.0) - min(float(values.min(initial=0.0)), 0.0)
            object.__setattr__(self, "payoff_range", spread if spread > 0 else 1.0)
        elif not (isinstance(self.payoff_range, (int, float)) and self.payoff_range > 0
                  and math.isfinite(self.payoff_range)):
            raise ValueError(f"payoff_range must be a positive finite number, got {self.payoff_range!r}")

    # -- constructors ----------------------------------------------------------------------------------------------

    @classmethod
    def from_rules(cls, root_factory: Callable[[], Any], name: str = "", payoff_range: float | None = None,
                   dtype: Any = np.float64) -> "SequenceFormGame":
        """The sequence form of the game whose root :class:`GameNode` ``root_factory()`` returns."""
        A, X, Y = build_sequence_form(root_factory())
        return cls(A.astype(dtype), X, Y, payoff_range, name, root_factory)

    @classmethod
    def kuhn(cls) -> "SequenceFormGame":
        """Kuhn poker (12 information sets; player 1's value -1/18, so the min-max value is 1/18)."""
        return cls.from_rules(KuhnNode, "kuhn_poker", payoff_range=4.0)

    @classmethod
    def leduc(cls) -> "SequenceFormGame":
        """Leduc poker (936 information sets; player 1's value -0.085606424078)."""
        return cls.from_rules(LeducNode, "leduc_poker", payoff_range=26.0)

    @classmethod
    def from_openspiel(cls, game: Any) -> "SequenceFormGame":
        """The sequence form of a two-player zero-sum OpenSpiel game (a ``pyspiel.Game`` or its name),
        built by walking its tree; information sets keep OpenSpiel's information-state strings."""
        import pyspiel  # noqa: PLC0415  (optional dependency: the `openspiel` extra)

        game = pyspiel.load_game(game) if isinstance(game, str) else game
        if game.num_players() != 2:
            raise ValueError(f"the game must have two players, got {game.num_players()}")
        if game.get_type().utility != pyspiel.GameType.Utility.ZERO_SUM:
            raise ValueError("the game must be zero-sum")
        spread = float(game.max_utility() - game.min_utility())
        return cls.from_rules(lambda: OpenSpielNode(game.new_initial_state()), str(game), payoff_range=spread)

    # -- the canonical form --------------------------------------------------------------------------------------

    @property
    def xp(self) -> Any:
        return namespace_by_name("numpy") if _is_sparse(self.A) else get_namespace(self.A)

    @property
    def dtype(self) -> Any:
        return self.A.dtype

    def arrays(self) -> dict[str, Any]:
        return {"A.data": self.A.data} if _is_sparse(self.A) else {"A": self.A}

    def to(self, xp: Any) -> "SequenceFormGame":
        if is_numpy(xp) and _is_sparse(self.A):
            return self
        dense = self.A.toarray() if _is_sparse(self.A) else to_numpy(self.A)
        A = asarray(np.asarray(dense), xp=xp)
        return SequenceFormGame(A, self.X, self.Y, self.payoff_range, self.name, self.rules)

    def astype(self, dtype: Any) -> "SequenceFormGame":
        """The same game with ``A`` in ``dtype`` (float32 or float64)."""
        A = self.A.astype(dtype) if _is_sparse(self.A) else get_namespace(self.A).astype(self.A, dtype)
        return SequenceFormGame(A, self.X, self.Y, self.payoff_range, self.name, self.rules)

    def initial_pair(self) -> tuple[Any, Any]:
        xp = self.xp
        return (asarray(self.X.uniform(), xp=xp, dtype=self.dtype), asarray(self.Y.uniform(), xp=xp, dtype=self.dtype))

    def apply_K(self, x: Any) -> Any:
        return self.A.T @ x

    def apply_KT(self, y: Any) -> Any:
        return self.A @ y

    def weights(self, player: int) -> Any:
        """The information-set weights of the dilated distances (:meth:`Treeplex.dilated_weights`), in the
        game's namespace."""
        key = ("w", player)
        if key not in self._cache:
            t = self.X if player == 0 else self.Y
            w = t.dilated_weights()[0]
            self._cache[key] = asarray(w, xp=self.xp, dtype=self.dtype)
        return self._cache[key]

    def metric(self, player: int) -> Any:
        """The diagonal metric of the ``"preconditioned"`` geometry: per sequence of ``x`` the sum of
        :math:`|A_{sj}|` over its row (``player`` 1: per sequence of ``y``, over its column), the diagonal
        preconditioner of Pock and Chambolle (2011) with :math:`\\alpha = 1`; a sequence with an empty row
        or column gets the smallest positive sum."""
        key = ("d", player)
        if key not in self._cache:
            A = abs(self.A) if _is_sparse(self.A) else np.abs(to_numpy(self.A))
            d = np.asarray(A.sum(axis=1 - player), dtype=float).ravel()
            positive = d[d > 0]
            d = np.where(d > 0, d, positive.min() if positive.size else 1.0)
            self._cache[key] = asarray(d, xp=self.xp, dtype=self.dtype)
        return self._cache[key]

    def prox_x(self, x_prev: Any, grad: Any, step: float, geometry: str) -> Any:
        if geometry == "preconditioned":
            d = self.metric(0)
            return treeplex_projection(x_prev - step * grad / d, d, self.X)
        return dilated_prox(x_prev, step * grad, self.X, self.weights(0), geometry == "entropy")

    def prox_y(self, y_prev: Any, grad: Any, step: float, geometry: str) -> Any:
        if geometry == "preconditioned":
            d = self.metric(1)
            return treeplex_projection(y_prev + step * grad / d, d, self.Y)
        return dilated_prox(y_prev, -step * grad, self.Y, self.weights(1), geometry == "entropy")

    def _per_sequence(self, player: int) -> tuple[Any, Any, Any]:
        """For each sequence: the parent sequence of its information set (0 for the empty sequence), that
        information set's weight and one over its number of actions (0 for the empty sequence), in the namespace."""
        key = ("seq", player)
        if key not in self._cache:
            t = self.X if player == 0 else self.Y
            owner = np.zeros(t.n_sequences, dtype=np.int64)
            weight, uniform = np.zeros(t.n_sequences), np.zeros(t.n_sequences)
            host = to_numpy(self.weights(player))
            for j in range(t.n_infosets):
                s, e = t.start[j], t.stop[j]
                owner[s:e], weight[s:e], uniform[s:e] = t.parent[j], host[j], 1.0 / (e - s)
            xp = self.xp
            self._cache[key] = (xp.asarray(owner), asarray(weight, xp=xp, dtype=self.dtype),
                                asarray(uniform, xp=xp, dtype=self.dtype))
        return self._cache[key]

    def _divergence(self, new: Any, old: Any, geometry: str, player: int) -> float:
        """The dilated divergence :math:`\\sum_j w_j x_{p_j} d(b_j, b'_j)` from the behavioural strategies
        :math:`b = x/x_{parent}` of both points (uniform where the parent has no mass, as in the prox)."""
        xp = get_namespace(new, old)
        if geometry == "preconditioned":
            diff = new - old
            return 0.5 * float(xp.sum(self.metric(player) * diff * diff))
        owner, weight, uniform = self._per_sequence(player)
        pn, po = xp.take(new, owner), xp.take(old, owner)
        bn = xp.where(pn > 0, new / xp.where(pn > 0, pn, 1.0), uniform)
        bo = xp.where(po > 0, old / xp.where(po > 0, po, 1.0), uniform)
        if geometry == "entropy":
            tiny = float(xp.finfo(new.dtype).smallest_normal)
            logs = xp.log(xp.clip(bn, min=tiny)) - xp.log(xp.clip(bo, min=tiny))
            terms = xp.where(new > 0, new * logs, 0.0)
        else:
            terms = 0.5 * pn * (bn - bo) ** 2
        return float(xp.sum(weight * terms))

    def divergence_x(self, x_new: Any, x_old: Any, geometry: str) -> float:
        return self._divergence(x_new, x_old, geometry, 0)

    def divergence_y(self, y_new: Any, y_old: Any, geometry: str) -> float:
        return self._divergence(y_new, y_old, geometry, 1)

    def lipschitz(self, geometry: str) -> float:
        if geometry not in self._cache:
            if geometry == "entropy":
                self._cache[geometry] = float(np.max(np.abs(self.A.data if _is_sparse(self.A) else to_numpy(self.A))))
            elif geometry == "preconditioned":
                xp = self.xp
                sx, sy = (1.0 / xp.sqrt(self.metric(p)) for p in (0, 1))
                self._cache[geometry] = operator_norm(lambda v: sy * self.apply_K(sx * v),
                                                      lambda w: sx * self.apply_KT(sy * w), self.initial_pair()[0])
            else:
                self._cache[geometry] = operator_norm(self.apply_K, self.apply_KT, self.initial_pair()[0])
        return self._cache[geometry]

    def strategy_error(self, x: Any, y: Any) -> float:
        return max(self.X.membership_error(to_numpy(x)), self.Y.membership_error(to_numpy(y)))

    def normalized(self, x: Any, y: Any) -> tuple[Any, Any]:
        """The sequence forms of the pair's behavioural strategies (each information set's actions
        rescaled to sum to one), in the pair's namespace and dtype."""
        return tuple(asarray(t.sequence_form(t.behavioral(to_numpy(v))), xp=get_namespace(v), dtype=v.dtype)
                     for t, v in ((self.X, x), (self.Y, y)))

    def best_responses(self, ATx: Any, Ay: Any) -> tuple[float, float]:
        return treeplex_value(ATx, self.Y, maximize=True), treeplex_value(Ay, self.X, maximize=False)

    def to_cvxpy(self) -> tuple[Any, Any]:
        """Both players' sequence-form LPs side by side (von Stengel 1996): :math:`\\min f^Tv - e^Tu`
        s.t. :math:`F^Tv \\ge A^Tx`, :math:`E^Tu \\le Ay`, :math:`Ex = e`, :math:`Fy = f`, ``x, y >= 0``.
        Its value is the gap, 0; the variables are ``[x, y]``."""
        import cvxpy as cp  # noqa: PLC0415
        import scipy.sparse as sp  # noqa: PLC0415

        A = sp.csr_matrix(self.A if _is_sparse(self.A) else np.asarray(to_numpy(self.A), dtype=float))
        E, e = self.X.constraints()
        F, f = self.Y.constraints()
        x, y = cp.Variable(A.shape[0], nonneg=True), cp.Variable(A.shape[1], nonneg=True)
        u, v = cp.Variable(E.shape[0]), cp.Variable(F.shape[0])
        cons = [F.T @ v >= A.T @ x, E.T @ u <= A @ y, E @ x == e, F @ y == f]
        return cp.Problem(cp.Minimize(f @ v - e @ u), cons), [x, y]

    # -- OpenSpiel ---------------------------------------------------------------------------------------------------

    def to_openspiel_policy(self, x: Any, y: Any, game: Any = None) -> Any:
        """An OpenSpiel ``TabularPolicy`` playing the behavioural strategies of ``x`` (player 1, OpenSpiel
        player 0) and ``y`` (player 2) at every information state.

        ``game`` (a ``pyspiel.Game``) defaults to ``pyspiel.load_game(self.name)``. The information
        sets are matched by walking OpenSpiel's tree and this game's rules side by side (OpenSpiel's
        information-state strings are never parsed). Then ``exploitability.nash_conv(game, policy)``
        equals this problem's ``gap`` at ``(x, y)``.
        """
        import pyspiel  # noqa: PLC0415
        from open_spiel.python import policy as policy_lib  # noqa: PLC0415

        if game is None:
            if not self.name:
                raise ValueError("this game has no OpenSpiel name; pass game=")
            game = pyspiel.load_game(self.name)
        if self.rules is None:
            raise ValueError("this game has no rules to match with OpenSpiel's tree (build it with kuhn(), leduc(), "
                             "from_openspiel() or from_rules())")
        behaviour = (self.X.behavioral(to_numpy(x)), self.Y.behavioral(to_numpy(y)))
        index = ({k: j for j, k in enumerate(self.X.keys)}, {k: j for j, k in enumerate(self.Y.keys)})
        trees = (self.X, self.Y)
        pol = policy_lib.TabularPolicy(game)
        table = pol.action_probability_array
        stack = [(self.rules(), game.new_initial_state())]
        while stack:
            node, state = stack.pop()
            if node.kind == "chance":
                mine = {a: child for a, _, child in node.outcomes()}
                for a, _ in state.chance_outcomes():
                    stack.append((mine[a], state.child(a)))
                continue
            if node.kind != "player":
                continue
            pl = node.player
            j = index[pl][node.infoset]
            row = pol.state_lookup[state.information_state_string(pl)]
            labels = trees[pl].actions[j]
            table[row, :] = 0.0
            for k, a in enumerate(labels):
                table[row, a] = behaviour[pl][trees[pl].start[j] + k]
            moves = dict(node.moves())
            for a in state.legal_actions():
                stack.append((moves[a], state.child(a)))
        return pol
