"""The L-BFGS memory of SdLBFGS (damped curvature pairs, optionally in diagonally scaled coordinates) and the
diagonal estimated from the minibatches' rows."""
from __future__ import annotations

from typing import Any

from ...kernels.stochastic import MemoryKernels
from ._common import negligible_rel_sq

__all__ = ["Memory", "SampledDiagonal"]


class Memory:
    """The damped curvature pairs, in ``p`` slots (``2 p`` with ``lag``): rows of ``S``, ``Y`` (:math:`s_j`, :math:`\\bar y_j`)
    and ``rho`` (:math:`1/s_j^T\\bar y_j`).

    ``active`` lists the slots the two-loop recursion reads, newest first (at most ``p``), with
    :math:`\\gamma` of the newest; ``pending`` the pairs made since the last :meth:`commit` (at most
    ``p``). With ``lag`` false a new pair is active at once (the paper's :math:`H_{k+1}`); with
    ``lag`` true it waits in ``pending`` until :meth:`commit` (called at epoch starts), so that ``H``
    is constant over an epoch. Counts of accepted, damped and skipped pairs go to ``Result.info``.
    ``scale`` (a vector :math:`r = D^{1/2}`, for ``scaling="jacobi"``): the pairs are stored and damped in the
    coordinates :math:`u = r x`, as :math:`(r s, y / r)`, and :meth:`direction` is
    :math:`D^{-1/2} H_u D^{-1/2} g`; :meth:`rescale` moves the stored pairs to a new ``scale``.
    """

    def __init__(self, xp: Any, p: int, d: int, dtype: Any, lag: bool, against_delta: bool = False,
                 scale: Any = None) -> None:
        slots = 2 * p if lag else p
        self.S = xp.zeros((slots, d), dtype=dtype)
        self.Y = xp.zeros((slots, d), dtype=dtype)
        self.rho = xp.zeros((slots,), dtype=dtype)
        self.p, self.lag, self.against_delta = p, lag, against_delta
        self.active: list[int] = []
        self.pending: list[int] = []
        self.free = list(range(slots - 1, -1, -1))
        self.gammas = [1.0] * slots
        self.inv_gamma = 1.0      # H = I until the first pair is active
        self.pairs = self.damped = self.skipped = self.clears = 0
        self.kernels = MemoryKernels(self.S)   # the path chosen once: the per-call check costs more at small d
        self.rel_sq = negligible_rel_sq(xp, dtype)
        # scaled coordinates u = r * x (r = D^{1/2}): pairs (r s, y / r), H = diag(1/r) H_u diag(1/r)
        self.scale = None if scale is None else (scale, 1.0 / scale)

    def update(self, x: Any, x0: Any, g: Any, g0: Any, delta: float) -> None:
        """Damp the pair :math:`s = x - x_0`, :math:`y = g - g_0` and store it, unless :math:`\\|s\\|` is
        negligible next to :math:`\\|x\\|` (one kernel: ``s`` and ``y`` are not formed)."""
        queue = self.pending if self.lag else self.active
        slot = queue[-1] if len(queue) == self.p else self.free[-1]
        if self.scale is not None:
            r, ir = self.scale
            x, x0, g, g0 = r * x, r * x0, ir * g, ir * g0
        ok, gamma, theta, _ = self.kernels.pair(x, x0, g, g0, delta, self.S, self.Y, self.rho, slot,
                                                self.rel_sq, self.against_delta)
        if not ok:
            self.skipped += 1
            return
        if len(queue) == self.p:
            queue.pop()
        else:
            self.free.pop()
        queue.insert(0, slot)
        self.gammas[slot] = gamma
        if not self.lag:
            self.inv_gamma = 1.0 / gamma
        self.pairs += 1
        self.damped += theta < 1.0

    def clear(self) -> None:
        """Drop every pair: H is the identity again until the next pair."""
        self.free = list(range(self.S.shape[0] - 1, -1, -1))
        self.active, self.pending = [], []
        self.inv_gamma = 1.0
        self.clears += 1

    def rescale(self, scale: Any, delta: float) -> None:
        """Move the memory to the coordinates :math:`u = r x` of a new ``scale`` :math:`r` (a diagonal estimated
        from the minibatches, refreshed as it improves). Each stored pair :math:`(r_0 s, \\bar y / r_0)` becomes
        :math:`(r s, \\bar y / r)` (its :math:`s^T\\bar y` is unchanged) and is damped again there by the same
        rule (the same kernel), so every pair keeps the damping guarantee in the coordinates the two-loop
        recursion uses; a pair that the rule rejects there is dropped."""
        old = self.scale[0]
        ratio, zero = scale / old, self.S[0, :] * 0.0
        for queue in (self.active, self.pending):
            for slot in list(queue):
                s, y = ratio * self.S[slot, :], self.Y[slot, :] / ratio
                ok, gamma, _, _ = self.kernels.pair(s, zero, y, zero, delta, self.S, self.Y, self.rho, slot,
                                                    self.rel_sq, self.against_delta)
                if ok:
                    self.gammas[slot] = gamma
                else:
                    queue.remove(slot)
                    self.free.append(slot)
        self.scale = (scale, 1.0 / scale)
        self.inv_gamma = 1.0 / self.gammas[self.active[0]] if self.active else 1.0

    def commit(self) -> None:
        """Make the pending pairs active (the newest ``p`` of pending and active are kept)."""
        if not self.pending:
            return
        merged = self.pending + self.active
        self.active, dropped = merged[:self.p], merged[self.p:]
        self.free.extend(dropped)
        self.pending = []
        self.inv_gamma = 1.0 / self.gammas[self.active[0]]

    def direction(self, g: Any) -> Any:
        """:math:`H g` (two-loop recursion over the active pairs, newest first)."""
        if self.scale is not None:
            ir = self.scale[1]
            return ir * self.kernels.direction(ir * g, self.S, self.Y, self.rho, self.active, self.inv_gamma)
        return self.kernels.direction(g, self.S, self.Y, self.rho, self.active, self.inv_gamma)

    def info(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "damped": int(self.damped), "skipped": self.skipped,
                "gamma": 1.0 / self.inv_gamma, "rejected_inner_loops": self.clears}



class SampledDiagonal:
    """The problem's curvature diagonal estimated from the rows the minibatches already touch.

    A running mean of the minibatch diagonals :math:`c\\,\\frac1{|S|}\\sum_{i\\in S} x_{ij}^2 + \\ell_2`
    (``problem.curvature_diagonal(batch)``, :math:`O(\\mathrm{nnz})` of the batch's rows) over the first ``n``
    sampled rows; with reshuffled minibatches those are every row once, so the estimate is then the exact
    diagonal, reached without a pass of its own. :meth:`observe` returns the scale
    :math:`r = (\\hat d + \\mathrm{shrink}\\cdot\\mathrm{mean}(\\hat d))^{1/2}` each time the rows seen have at
    least doubled since the last one (at the first batch, then about :math:`\\log_2` (steps per epoch) times)
    and once they reach ``n``; ``None`` otherwise, and always after that. A batch of all ``n`` rows (a full
    pass) replaces the running mean by the exact diagonal. Run-time data: kept in the state.
    """

    def __init__(self, problem: Any, shrink: float) -> None:
        self.problem, self.shrink, self.n = problem, shrink, problem.n_samples
        self.total: Any = None     # sum over the rows seen of their diagonal
        self.count = self.last = 0

    def observe(self, batch: Any) -> Any:
        if self.count >= self.n:
            return None
        part = batch.size * self.problem.curvature_diagonal(batch)
        if batch.size >= self.n:   # every row: the exact diagonal, whatever was seen before
            self.total, self.count = part, batch.size
        else:
            self.total = part if self.total is None else self.total + part
            self.count += batch.size
        if self.count < 2 * self.last and self.count < self.n:
            return None
        self.last = self.count
        d = self.total / self.count
        xp = self.problem.xp
        return xp.sqrt(d + self.shrink * xp.mean(d))
