"""Exact block screening for sparse inverse covariance selection.

References: D. M. Witten, J. H. Friedman and N. Simon, "New insights and faster computations for
the graphical lasso", J. Comput. Graph. Stat. 20 (2011); R. Mazumder and T. Hastie, "Exact
covariance thresholding into connected components for large-scale graphical lasso", JMLR 13 (2012).

The solution of the graphical lasso is block diagonal on the connected components of the graph
:math:`|S_{ij}| > \\lambda` (the rule and its derivation for optkit's penalty are in
:class:`~optkit.problems.SparseInverseCovariance`). Each block is solved on its own, a one-variable
block in closed form, and the full solution assembled: the eigendecompositions the inner solver
needs shrink from :math:`p^3` to the sum of the cubes of the block sizes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ..._result import Status
from ...problems.composite import SparseInverseCovariance, _principal
from ..base import Check, Options, Solver, option, run
from .working_set import _inner_solver

__all__ = ["BlockScreening"]


@dataclass(frozen=True, kw_only=True)
class BlockScreeningOptions(Options):
    tol: float = option(1e-6, "stop when the relative duality gap of the full problem is <= tol")
    max_iter: int = option(20, "outer passes (each solves the blocks whose gap exceeds their share of tol)")
    inner: str = option("alm", "solver of the blocks", domain={"alm", "fast_alm", "fista"})
    inner_max_iter: int = option(10000, "iteration limit of each block solve", domain="int >= 1")


@dataclass
class _State:
    X: Any            # the assembled p x p solution estimate
    blocks: tuple     # the current estimate on each group (component with two or more variables)
    funs: tuple       # objective of each group's problem at its estimate
    gaps: tuple       # duality gap of each group's problem at its estimate (inf before the first solve)
    duals: tuple = ()  # the inner solver's dual point of each group (None before the first solve)
    k: int = 0
    inner_iterations: int = 0


@register("block_screening", aliases=("blocks",))
class BlockScreening(Solver):
    """The graphical lasso solved block by block on the components of :math:`|S_{ij}| > \\lambda`.

    The components come from :attr:`~optkit.problems.SparseInverseCovariance.screening_blocks`
    (:func:`scipy.sparse.csgraph.connected_components`). A one-variable component ``i`` has the
    closed-form solution :math:`X_{ii} = 1/S_{ii}` (the diagonal is not penalised); every other
    component ``C`` is the problem on :math:`S_{CC}`, solved by ``inner`` (warm started from the
    principal submatrix of ``x0`` when given). Entries across components are exactly zero.

    The certificate is the relative duality gap of the full problem at the assembled ``X``
    (the problem computes it block by block, the same number), with the inner solver's dual points
    of the blocks (ALM's multipliers) assembled into a second dual candidate, :math:`-S_{ij}` across
    the components. That gap is the sum of the blocks'
    gaps, so each block is solved until its gap is within its share of the target,
    :math:`\\mathrm{tol}\\,\\max(1, |P|)\\,|C|/\\sum_{|C'|>1}|C'|` with :math:`P` the full
    objective at the current estimate; when the full gap still exceeds the target (:math:`|P|` shrank
    as the blocks converged), the next outer pass re-solves, warm started, the blocks that missed their
    share at the new :math:`P`.

    Parameters
    ----------
    problem : SparseInverseCovariance
        The problem; its :attr:`~optkit.problems.SparseInverseCovariance.screening_blocks` are
        computed once and cached.
    options : BlockScreeningOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-block_screening`.

    References
    ----------
    .. [1] D. M. Witten, J. H. Friedman and N. Simon, "New insights and faster computations for
       the graphical lasso", J. Comput. Graph. Statist. 20 (2011), 892-900.
    .. [2] R. Mazumder and T. Hastie, "Exact covariance thresholding into connected components
       for large-scale graphical lasso", J. Mach. Learn. Res. 13 (2012), 781-794.

    Examples
    --------
    >>> import numpy as np
    >>> import optkit
    >>> from optkit.problems import SparseInverseCovariance
    >>> S = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.05], [0.0, 0.05, 1.0]])
    >>> problem = SparseInverseCovariance(S, lam=0.1)   # |S_23| <= lam: blocks {1, 2} and {3}
    >>> res = optkit.solve(problem, method="block_screening", tol=1e-10)
    >>> res.success, float(res.x[2, 2]), float(res.x[0, 2])
    (True, 1.0, 0.0)
    """

    Options = BlockScreeningOptions
    problem_types = (SparseInverseCovariance,)

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        return isinstance(problem, SparseInverseCovariance)

    def init(self, x0: Any) -> _State:
        p, xp = self.problem, self.xp
        screen = p.screening_blocks
        self.groups, self.singletons = screen.groups, screen.singletons
        self.subs = tuple(SparseInverseCovariance(_principal(p.S, idx), lam=p.lam) for idx in self.groups)
        self.diag = 1.0 / xp.take(xp.linalg.diagonal(p.S), self.singletons)
        # objective of the one-variable blocks at 1/S_ii: -log(1/S_ii) + 1
        self.fun_singletons = float(xp.sum(1.0 - xp.log(self.diag)))
        sizes = [int(idx.shape[0]) for idx in self.groups]
        self.shares = tuple(n / max(sum(sizes), 1) for n in sizes)
        self.floor = 10.0 * float(xp.finfo(p.dtype).eps)  # the run loop's tolerance floor
        n = p.shape[0]
        order = xp.concat([*self.groups, self.singletons]) if self.groups else self.singletons
        self.inverse = xp.argsort(order)  # assembled rows in component order -> original order
        self.n = n
        blocks = tuple(sub.initial_point() if x0 is None else _principal(x0, idx)
                       for sub, idx in zip(self.subs, self.groups))
        funs = tuple(sub.objective(B) for sub, B in zip(self.subs, blocks))
        self.cross = -p.S * xp.astype(screen.across, p.dtype)  # the dual point across the components
        return _State(X=self._assemble(blocks, self.diag), blocks=blocks, funs=funs, gaps=(math.inf,) * len(blocks),
                      duals=(None,) * len(blocks))

    def _assemble(self, blocks: tuple, diag: Any) -> Any:
        """The p x p matrix with ``blocks`` on the groups, ``diag`` on the singletons, zeros elsewhere."""
        xp, n = self.xp, self.n
        dtype = self.problem.dtype
        rows, offset = [], 0
        for B in blocks:
            m = B.shape[0]
            rows.append(xp.concat([xp.zeros((m, offset), dtype=dtype), B,
                                   xp.zeros((m, n - offset - m), dtype=dtype)], axis=1))
            offset += m
        ns = n - offset
        if ns:
            rows.append(xp.concat([xp.zeros((ns, offset), dtype=dtype),
                                   xp.eye(ns, dtype=dtype) * xp.reshape(diag, (1, -1))], axis=1))
        ordered = xp.concat(rows, axis=0) if len(rows) > 1 else rows[0]
        return xp.take(xp.take(ordered, self.inverse, axis=0), self.inverse, axis=1)

    def step(self, s: _State, measure: bool = False) -> _State:
        o = self.options
        inner = _inner_solver(o.inner)
        scale = max(1.0, abs(self.fun_singletons + sum(s.funs)))
        blocks, funs, gaps, duals = list(s.blocks), list(s.funs), list(s.gaps), list(s.duals)
        nit = 0
        for i, sub in enumerate(self.subs):
            budget = o.tol * scale * self.shares[i]
            if gaps[i] <= budget:
                continue
            tol = max(budget / max(1.0, abs(funs[i])), self.floor)
            res = run(inner(sub, inner.Options(tol=tol, max_iter=o.inner_max_iter)), blocks[i], None, False)
            if res.status is Status.INTERRUPTED:  # the inner run caught Ctrl-C: it ends this run too
                raise KeyboardInterrupt
            if res.status is Status.NUMERICAL_ERROR and "error" in res.info:
                raise res.info["error"]
            blocks[i], funs[i], gaps[i], duals[i] = res.x, res.fun, res.measures["gap"], res.dual
            nit += res.nit
        blocks = tuple(blocks)
        return _State(X=self._assemble(blocks, self.diag), blocks=blocks, funs=tuple(funs), gaps=tuple(gaps),
                      duals=tuple(duals), k=s.k + 1, inner_iterations=s.inner_iterations + nit)

    def check(self, s: _State) -> Check:
        if not s.duals or any(d is None for d in s.duals):
            return Check.of(s.X, self.problem.measures(s.X))
        # the blocks' dual points, -S_ij across the components (feasible there: |S_ij| <= lam)
        dual = self._assemble(s.duals, 0.0 * self.diag) + self.cross
        return Check.of(s.X, self.problem.measures(s.X, dual=dual), dual)

    def info(self, s: _State) -> dict[str, Any]:
        return {"blocks": len(self.groups) + int(self.singletons.shape[0]),
                "largest_block": max([int(idx.shape[0]) for idx in self.groups], default=1),
                "singletons": int(self.singletons.shape[0]), "inner_iterations": s.inner_iterations,
                "inner": self.options.inner}

