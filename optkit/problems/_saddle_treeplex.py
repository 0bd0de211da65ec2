"""Treeplexes (sequence-form strategy polytopes) and the builder of a two-player zero-sum
extensive-form game in sequence form.

A treeplex of a player with perfect recall (Romanovskii 1962; Koller, Megiddo & von Stengel
1994; von Stengel 1996) is

.. math:: X = \\{x \\ge 0 : x_\\varnothing = 1,\\; \\textstyle\\sum_{a \\in A_j} x_{ja} = x_{p_j}
          \\text{ for every information set } j\\},

one entry per *sequence* (the empty sequence :math:`\\varnothing` at index 0, then one per
information-set/action pair), :math:`p_j` the sequence that leads to information set
:math:`j`. Here information sets are numbered top-down (a parent sequence always comes
before the information set it leads to) and the sequences of one information set are
contiguous, ``start[j]:stop[j]``; reversed order is then a valid bottom-up order, which is
all the kernels in :mod:`optkit.kernels.saddle` need.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Sequence

import numpy as np

__all__ = ["Treeplex", "build_sequence_form", "GameNode"]


@dataclass(frozen=True)
class Treeplex:
    """The structure of one player's sequence-form polytope.

    Parameters
    ----------
    parent : int array, shape (J,)
        The parent sequence :math:`p_j` of information set ``j`` (0: the empty sequence).
    start, stop : int arrays, shape (J,)
        Information set ``j`` owns the sequences ``start[j] .. stop[j] - 1`` (one per action).
    keys : tuple, optional
        A label per information set (e.g. an OpenSpiel information-state string).
    actions : tuple of tuples, optional
        The action labels of each information set, in sequence order.

    Notes
    -----
    Checked on construction: the sequences ``1 .. n-1`` are split into the consecutive,
    non-empty blocks ``start[j]:stop[j]`` in the order of ``j``, and ``parent[j] < start[j]``
    (top-down order).

    The treeplex is the set :math:`X = \\{x \\ge 0 : x_0 = 1,\\ \\sum_{a} x_{ja} = x_{p_j}\\ \\forall j\\}`
    (:meth:`constraints` gives :math:`E, e` with :math:`X = \\{x \\ge 0: Ex = e\\}`), one player's
    sequence-form strategies [1]_; its dilated entropy is weighted per information set as Kroer et al.
    show makes it strongly convex [2]_ (:meth:`dilated_weights`).

    References
    ----------
    .. [1] B. von Stengel, "Efficient computation of behavior strategies", Games Econ. Behav. 14
       (1996), 220-246.
    .. [2] C. Kroer, K. Waugh, F. Kilinc-Karzan and T. Sandholm, "Faster algorithms for
       extensive-form game solving via improved smoothing functions", Math. Program. 179 (2020),
       385-417.

    Examples
    --------
    A player who picks one of two actions, then, after the first, one of two more:

    >>> from optkit.problems import Treeplex
    >>> t = Treeplex(parent=[0, 1], start=[1, 3], stop=[3, 5])
    >>> t.n_sequences, t.n_infosets
    (5, 2)
    >>> t.uniform()
    array([1.  , 0.5 , 0.5 , 0.25, 0.25])
    >>> float(t.membership_error(t.uniform()))
    0.0
    """

    parent: Any
    start: Any
    stop: Any
    keys: tuple = ()
    actions: tuple = ()
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        arrays = []
        for name in ("parent", "start", "stop"):
            a = np.asarray(getattr(self, name))
            if a.ndim != 1 or not (a.size == 0 or np.issubdtype(a.dtype, np.integer)):
                raise TypeError(f"{name} must be a 1-d integer array")
            arrays.append(np.ascontiguousarray(a, dtype=np.int64))
        parent, start, stop = arrays
        if not (parent.size == start.size == stop.size) or parent.size == 0:
            raise ValueError("parent, start and stop must be non-empty and have one entry per information set")
        expected = np.concatenate([[1], stop[:-1]])
        if np.any(start != expected) or np.any(stop <= start):
            raise ValueError("start/stop must split the sequences 1..n-1 into consecutive non-empty blocks")
        if np.any(parent < 0) or np.any(parent >= start):
            raise ValueError("parent[j] must be a sequence before start[j] (information sets in top-down order)")
        for name, a in zip(("parent", "start", "stop"), arrays):
            object.__setattr__(self, name, a)
        if self.keys and len(self.keys) != parent.size:
            raise ValueError("keys must have one entry per information set")
        object.__setattr__(self, "keys", tuple(self.keys))
        object.__setattr__(self, "actions", tuple(tuple(a) for a in self.actions))

    @property
    def n_sequences(self) -> int:
        return int(self.stop[-1])

    @property
    def n_infosets(self) -> int:
        return int(self.parent.size)

    def uniform(self) -> np.ndarray:
        """The uniformly random strategy in sequence form (float64)."""
        x = np.zeros(self.n_sequences)
        x[0] = 1.0
        for j in range(self.n_infosets):
            s, e = self.start[j], self.stop[j]
            x[s:e] = x[self.parent[j]] / (e - s)
        return x

    def dilated_weights(self) -> tuple[np.ndarray, float]:
        """Information-set weights that make the dilated entropy 1-strongly convex w.r.t. the l1 norm.

        Kroer, Waugh, Kilinc-Karzan & Sandholm (Math. Program. 179, 2020): with
        :math:`\\beta_j = 2 + \\max_{a \\in A_j} \\sum_{k \\text{ below } ja} \\beta_k` the dilated entropy is
        :math:`1/M`-strongly convex w.r.t. :math:`\\|\\cdot\\|_1` on the treeplex, :math:`M = \\max_{x \\in X}
        \\|x\\|_1` (without the empty sequence); the weights returned are :math:`M\\beta_j`, modulus 1.
        Returns ``(weights, M)``.
        """
        J, n = self.n_infosets, self.n_sequences
        below = np.zeros(n)       # per sequence: sum of the weights of the information sets below it
        reach = np.zeros(n)       # per sequence: max l1 norm of the sub-treeplex below it
        beta = np.zeros(J)
        M = 0.0
        for j in range(J - 1, -1, -1):
            s, e = self.start[j], self.stop[j]
            beta[j] = 2.0 + below[s:e].max()
            size = 1.0 + reach[s:e].max()
            p = self.parent[j]
            if p == 0:
                M += size
            else:
                below[p] += beta[j]
                reach[p] += size
        return M * beta, M

    def constraints(self) -> Any:
        """The sparse matrix ``E`` (``J + 1`` rows) and right side ``e`` with :math:`X = \\{x \\ge 0: Ex = e\\}`."""
        import scipy.sparse as sp  # noqa: PLC0415

        rows, cols, vals = [0], [0], [1.0]
        for j in range(self.n_infosets):
            rows.append(j + 1)
            cols.append(int(self.parent[j]))
            vals.append(-1.0)
            for s in range(self.start[j], self.stop[j]):
                rows.append(j + 1)
                cols.append(s)
                vals.append(1.0)
        E = sp.csr_matrix((vals, (rows, cols)), shape=(self.n_infosets + 1, self.n_sequences))
        e = np.zeros(self.n_infosets + 1)
        e[0] = 1.0
        return E, e

    def behavioral(self, x: Any) -> np.ndarray:
        """Behavioural strategy of a sequence-form ``x``: :math:`b_{ja} = x_{ja}/x_{p_j}` (uniform where
        :math:`x_{p_j} = 0`), one probability per sequence (entry 0 is 1)."""
        x = np.asarray(x, dtype=float)
        b = np.ones_like(x)
        for j in range(self.n_infosets):
            s, e = self.start[j], self.stop[j]
            mass = x[self.parent[j]]
            block = np.clip(x[s:e], 0.0, None)
            total = block.sum()
            b[s:e] = block / total if mass > 0 and total > 0 else 1.0 / (e - s)
        return b

    def sequence_form(self, b: Any) -> np.ndarray:
        """The sequence-form strategy :math:`x_{ja} = x_{p_j} b_{ja}` (top down, :math:`x_0 = 1`) of a
        behavioural strategy ``b`` (one probability per sequence)."""
        b = np.asarray(b, dtype=float)
        x = np.ones_like(b)
        for j in range(self.n_infosets):
            x[self.start[j]:self.stop[j]] = x[self.parent[j]] * b[self.start[j]:self.stop[j]]
        return x

    def membership_error(self, x: Any) -> float:
        """:math:`\\max(\\|Ex - e\\|_\\infty, \\max_i (-x_i)^+)`: zero exactly on the treeplex."""
        xp_ = np.asarray(x, dtype=float)
        err = abs(xp_[0] - 1.0)
        sums = np.add.reduceat(xp_[1:], self.start - 1) if self.n_sequences > 1 else np.zeros(0)
        err = max(err, float(np.max(np.abs(sums - xp_[self.parent]), initial=0.0)))
        return max(err, float(np.max(-xp_, initial=0.0)))

    def levels(self, xp: Any) -> "Levels":
        """The level-by-level index arrays the array-API twins use, in namespace ``xp`` (cached)."""
        key = getattr(xp, "__name__", str(id(xp)))
        if key not in self._cache:
            self._cache[key] = Levels.build(self, xp)
        return self._cache[key]


@dataclass(frozen=True)
class Levels:
    """A treeplex cut into depth levels for vectorised (array-API) bottom-up and top-down passes.

    Level ``d`` holds the information sets at depth ``d`` (root information sets: depth 0).
    Every table pads with a dummy slot: index ``n`` of a vector extended by one entry, or
    the extra last row/column of a level's table.

    - ``members[d]``: ``(n_d,)`` the information sets of level ``d``;
    - ``seq[d]``: ``(n_d, A_d)`` sequences of each information set of the level (padded with ``n``);
    - ``valid[d]``: ``(n_d, A_d)`` bool mask of the real entries;
    - ``parent[d]``: ``(n_d,)`` parent sequence of each information set;
    - ``kids[d]``: ``(P_d, K_d)`` for each distinct parent sequence of the level, its
      information sets (row numbers in the level, padded with ``n_d``);
    - ``to_parent[d]``: ``(n + 1,)`` row of ``kids[d]`` for each sequence (``P_d`` if none);
    - ``flat[d]``: ``(n + 1,)`` flat position in ``seq[d]`` of each sequence (``n_d A_d`` if
      the sequence is not at this level);
    - ``depth``: ``(n,)`` level of each sequence's information set (-1 for the empty sequence);
    - ``owner_parent``: ``(n,)`` parent sequence of each sequence's information set (0 for the
      empty sequence).
    """

    members: tuple
    seq: tuple
    valid: tuple
    parent: tuple
    kids: tuple
    to_parent: tuple
    flat: tuple
    depth: Any
    owner_parent: Any
    n: int

    @classmethod
    def build(cls, t: Treeplex, xp: Any) -> "Levels":
        n, J = t.n_sequences, t.n_infosets
        seq_depth = np.full(n, -1, dtype=np.int64)
        owner_parent = np.zeros(n, dtype=np.int64)
        depth = np.zeros(J, dtype=np.int64)
        for j in range(J):
            p = int(t.parent[j])
            depth[j] = 0 if p == 0 else seq_depth[p] + 1
            seq_depth[t.start[j]:t.stop[j]] = depth[j]
            owner_parent[t.start[j]:t.stop[j]] = p
        out: dict[str, list] = {k: [] for k in ("members", "seq", "valid", "parent", "kids", "to_parent", "flat")}
        as_x = (lambda a: xp.asarray(a))
        for d in range(int(depth.max()) + 1):
            members = np.nonzero(depth == d)[0]
            width = int(np.max(t.stop[members] - t.start[members]))
            seq = np.full((members.size, width), n, dtype=np.int64)
            flat = np.full(n + 1, members.size * width, dtype=np.int64)
            for r, j in enumerate(members):
                k = t.stop[j] - t.start[j]
                seq[r, :k] = np.arange(t.start[j], t.stop[j])
                flat[t.start[j]:t.stop[j]] = r * width + np.arange(k)
            parents, inverse = np.unique(t.parent[members], return_inverse=True)
            counts = np.bincount(inverse, minlength=parents.size)
            kids = np.full((parents.size, int(counts.max())), members.size, dtype=np.int64)
            fill = np.zeros(parents.size, dtype=np.int64)
            for r, row in enumerate(inverse):
                kids[row, fill[row]] = r
                fill[row] += 1
            to_parent = np.full(n + 1, parents.size, dtype=np.int64)
            to_parent[parents] = np.arange(parents.size)
            out["members"].append(as_x(members))
            out["seq"].append(as_x(seq))
            out["valid"].append(as_x(seq < n))
            out["parent"].append(as_x(t.parent[members]))
            out["kids"].append(as_x(kids))
            out["to_parent"].append(as_x(to_parent))
            out["flat"].append(as_x(flat))
        return cls(**{k: tuple(v) for k, v in out.items()}, depth=as_x(seq_depth), owner_parent=as_x(owner_parent), n=n)


class GameNode:
    """What :func:`build_sequence_form` reads from a game state (a protocol; subclasses implement it).

    ``kind`` is ``"terminal"``, ``"chance"`` or ``"player"``. Terminal nodes give ``payoff`` (to
    player 1); chance nodes ``outcomes()`` as ``(label, probability, child)`` triples; player
    nodes ``player`` (0 or 1), ``infoset`` (a hashable key, equal exactly for the states the
    player cannot tell apart) and ``moves()`` as ``(action label, child)`` pairs.

    Notes
    -----
    :func:`build_sequence_form` walks the tree once to number the information sets and
    sequences and to sum the chance-weighted payoffs into the sequence-form matrix [1]_; the game
    must have perfect recall.

    References
    ----------
    .. [1] D. Koller, N. Megiddo and B. von Stengel, "Fast algorithms for finding randomized
       strategies in game trees", STOC 1994, 750-759.

    Examples
    --------
    Matching pennies as a game tree: player 1 picks a side, player 2 (who cannot see it) picks
    one too, and player 1 wins on a match:

    >>> import optkit
    >>> from optkit.problems import GameNode, SequenceFormGame
    >>> class Pennies(GameNode):
    ...     def __init__(self, history=()):
    ...         self.history = history
    ...         if len(history) == 2:
    ...             self.kind, self.payoff = "terminal", 1.0 if history[0] == history[1] else -1.0
    ...         else:
    ...             self.kind, self.player, self.infoset = "player", len(history), len(history)
    ...     def moves(self):
    ...         return [(side, Pennies(self.history + (side,))) for side in ("heads", "tails")]
    >>> game = SequenceFormGame.from_rules(Pennies)
    >>> game.A.shape
    (3, 3)
    >>> res = optkit.solve(game, tol=1e-6)
    >>> res.success, game.X.actions
    (True, (('heads', 'tails'),))
    """

    kind: str = "terminal"
    payoff: float = 0.0
    player: int = 0
    infoset: Hashable = None

    def outcomes(self) -> Sequence[tuple[Any, float, "GameNode"]]:
        raise NotImplementedError

    def moves(self) -> Sequence[tuple[Any, "GameNode"]]:
        raise NotImplementedError


def build_sequence_form(root: GameNode) -> tuple[Any, Treeplex, Treeplex]:
    """Sequence form of a two-player zero-sum game with perfect recall: ``(A, X, Y)``.

    ``A`` (scipy CSR, ``n_x x n_y``) holds, for each pair of sequences, the chance-weighted
    payoff **to player 2** summed over the terminal histories the pair leads to, so that
    :math:`x^T A y` is player 2's expected payoff (player 1's expected loss) under the
    sequence-form strategies ``x`` (player 1) and ``y`` (player 2). Information sets are
    numbered in depth-first order of first visit, which is top-down.

    Raises
    ------
    ValueError
        If an information set is reached with two different parent sequences or action
        sets (the game lacks perfect recall or the keys are ambiguous).
    """
    import scipy.sparse as sp  # noqa: PLC0415

    tables: list[dict] = [{}, {}]               # key -> (infoset index, parent seq, actions, first seq)
    specs: list[list] = [[], []]                # per player: (parent, start, stop, key, actions)
    count = [1, 1]                              # next free sequence index per player
    entries: dict[tuple[int, int], float] = {}

    def visit(node: GameNode, seqs: tuple[int, int], reach: float) -> None:
        stack: list[tuple[GameNode, tuple[int, int], float]] = [(node, seqs, reach)]
        while stack:
            node, seqs, reach = stack.pop()
            if node.kind == "terminal":
                if reach != 0.0:
                    entries[seqs] = entries.get(seqs, 0.0) - reach * float(node.payoff)
                continue
            if node.kind == "chance":
                for _, prob, child in reversed(list(node.outcomes())):
                    stack.append((child, seqs, reach * float(prob)))
                continue
            pl = int(node.player)
            moves = list(node.moves())
            labels = tuple(a for a, _ in moves)
            key = node.infoset
            info = tables[pl].get(key)
            if info is None:
                first = count[pl]
                count[pl] += len(moves)
                info = (len(specs[pl]), seqs[pl], labels, first)
                tables[pl][key] = info
                specs[pl].append((seqs[pl], first, first + len(moves), key, labels))
            elif info[1] != seqs[pl] or info[2] != labels:
                raise ValueError(f"information set {key!r} of player {pl + 1} is reached with different parent "
                                 "sequences or actions: the game must have perfect recall")
            first = info[3]
            for k in reversed(range(len(moves))):
                nxt = (first + k, seqs[1]) if pl == 0 else (seqs[0], first + k)
                stack.append((moves[k][1], nxt, reach))

    visit(root, (0, 0), 1.0)
    treeplexes = []
    for pl in (0, 1):
        rows = specs[pl]
        # depth-first stack order visits an information set after its parent sequence was created,
        # so the creation order is top-down and the sequence blocks are consecutive
        treeplexes.append(Treeplex(parent=[r[0] for r in rows], start=[r[1] for r in rows],
                                   stop=[r[2] for r in rows], keys=tuple(r[3] for r in rows),
                                   actions=tuple(r[4] for r in rows)))
    X, Y = treeplexes
    r = [k[0] for k in entries]
    c = [k[1] for k in entries]
    v = list(entries.values())
    A = sp.csr_matrix((np.asarray(v, dtype=float), (np.asarray(r, dtype=np.int64), np.asarray(c, dtype=np.int64))),
                      shape=(X.n_sequences, Y.n_sequences))
    A.eliminate_zeros()
    return A, X, Y


def walk_infosets(root: GameNode, visit: Callable[[GameNode], None]) -> None:
    """Call ``visit`` on every player node of the tree under ``root`` (depth first)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.kind == "chance":
            stack.extend(child for _, _, child in node.outcomes())
        elif node.kind == "player":
            visit(node)
            stack.extend(child for _, child in node.moves())
