"""Working sets with gap-safe screening for l1-regularised least squares.

References: O. Fercoq, A. Gramfort and J. Salmon, "Mind the duality gap: safer rules for the
Lasso", ICML 2015; E. Ndiaye, O. Fercoq, A. Gramfort and J. Salmon, "Gap safe screening rules for
sparsity enforcing penalties", JMLR 18 (2017); M. Massias, A. Gramfort and J. Salmon, "Celer: a fast
solver for the Lasso with dual extrapolation", ICML 2018 (working sets ranked by the distance to
the dual constraint).

Coordinate descent beats full-gradient methods on the Lasso because it works on the few features
that end up active. This solver gives optkit's own inner solvers (ALM, FALM, FISTA) the same
advantage: each outer iteration solves the Lasso restricted to a small working set of features,
then measures the duality gap of the full problem, discards the features the gap proves inactive
and grows the working set.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...backend import is_numpy
from ...functions import L1Norm, SquaredLoss
from ...problems.composite import Lasso
from ..base import Check, Options, Solver, option, run

__all__ = ["WorkingSet", "lasso_terms"]


def lasso_terms(problem: Any) -> tuple[Any, Any, float] | None:
    """``(A, b, lam)`` when ``problem`` is :math:`\\tfrac12\\|Ax - b\\|^2 + \\lambda\\|x\\|_1` over a vector
    ``x`` (a :class:`~optkit.problems.Lasso`, or a two-term problem of those functions), else ``None``."""
    f, g = getattr(problem, "f", None), getattr(problem, "g", None)
    if isinstance(f, SquaredLoss) and isinstance(g, L1Norm) and g.lam > 0 and len(getattr(problem, "shape", ())) == 1:
        return f.A, f.b, g.lam
    return None


@dataclass(frozen=True, kw_only=True)
class WorkingSetOptions(Options):
    tol: float = option(1e-6, "stop when the relative duality gap of the full problem is <= tol")
    max_iter: int = option(100, "outer iterations (each one inner solve on a working set)")
    inner: str = option("alm", "solver of the restricted problems", domain={"alm", "fast_alm", "fista"})
    inner_tol: float = option(0.3, "an inner solve stops at this fraction of the current relative gap",
                              domain="(0, 1)")
    start_size: int = option(10, "first working set size (at least twice the support of the start)",
                             domain="int >= 1")
    growth: float = option(2.0, "factor by which the working set grows each outer iteration", domain="[1, inf)")
    screening: bool = option(True, "drop the features the gap-safe sphere proves inactive")


@dataclass
class _State:
    x: Any             # the full coefficient vector
    r: Any             # residual A x - b
    corr: Any          # A^T r
    keep: Any          # features not screened out (bool, length n)
    size: int          # working set size of the next outer iteration
    k: int = 0
    inner_iterations: int = 0


def _scatter(xp: Any, n: int, idx: Any, values: Any) -> Any:
    """The length-``n`` vector with ``values`` at ``idx`` and zeros elsewhere."""
    if is_numpy(xp):
        out = xp.zeros((n,), dtype=values.dtype)
        out[idx] = values
        return out
    hit = xp.astype(xp.reshape(xp.arange(n), (-1, 1)) == xp.reshape(idx, (1, -1)), values.dtype)
    return hit @ values


@register("working_set", aliases=("ws",))
class WorkingSet(Solver):
    """Working sets with gap-safe screening around an inner solver, for the Lasso.

    With :math:`r = Ax - b` and the dual point :math:`\\theta = r\\min(1, \\lambda/\\|A^Tr\\|_\\infty)`
    (the one :class:`~optkit.problems.Lasso` certifies with), the dual optimum lies in the ball of
    radius :math:`\\sqrt{2\\,\\mathrm{gap}}` around :math:`\\theta` (the dual is 1-strongly concave), so
    feature :math:`j` is zero at every solution when
    :math:`|A_j^T\\theta| + \\|A_j\\|\\sqrt{2\\,\\mathrm{gap}} < \\lambda` (gap-safe screening,
    Fercoq, Gramfort & Salmon 2015; such features are dropped for good). The working set holds the
    support of :math:`x` and the remaining features closest to their dual constraint,
    :math:`(\\lambda - |A_j^T\\theta|)/\\|A_j\\|` smallest (Massias, Gramfort & Salmon 2018); it grows
    by ``growth`` per outer iteration. Each outer iteration solves the Lasso on the working set with
    ``inner`` (warm started) to ``inner_tol`` times the current relative gap, then takes the full
    problem's duality gap, the certificate ``tol`` applies to. Coordinate descent, the inner solver of
    celer and scikit-learn, is replaced by optkit's own.
    """

    Options = WorkingSetOptions

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        return lasso_terms(problem) is not None

    def init(self, x0: Any) -> _State:
        p, xp = self.problem, self.xp
        A, b, lam = lasso_terms(p)
        self.A, self.b, self.lam = A, b, lam
        # the Lasso duality gap drives the screening; a problem of other type reports its own certificate
        self.lasso = p if isinstance(p, Lasso) else Lasso(A, b, lam)
        self.n = A.shape[1]
        self.col_norms = xp.linalg.vector_norm(A, axis=0)
        x = p.initial_point() if x0 is None else x0
        r = A @ x - b
        support = int(xp.sum(xp.astype(x != 0, xp.int64)))
        size = min(self.n, max(self.options.start_size, 2 * support))
        return _State(x=x, r=r, corr=A.T @ r, keep=self.col_norms > 0, size=size)

    def _dual_scale(self, s: _State) -> float:
        cmax = float(self.xp.max(self.xp.abs(s.corr))) if self.n else 0.0
        return min(1.0, self.lam / cmax) if cmax > 0 else 1.0

    def step(self, s: _State, measure: bool = False) -> _State:
        xp, o, lam = self.xp, self.options, self.lam
        m = self.lasso.measures(s.x, residual=s.r, correlation=s.corr)
        gap, rel = m["gap"], m["optimality"]
        scale = self._dual_scale(s)
        dist = lam - scale * xp.abs(s.corr)                # distance to the dual constraint, >= 0
        keep = s.keep
        if o.screening:
            keep = keep & (dist <= self.col_norms * math.sqrt(2.0 * gap))
        keep = keep | (s.x != 0)                            # a nonzero is never screened (rounding)
        score = xp.where(s.x != 0, xp.full_like(dist, -math.inf), dist / xp.where(keep, self.col_norms, 1.0))
        score = xp.where(keep, score, xp.full_like(dist, math.inf))
        n_keep = int(xp.sum(xp.astype(keep, xp.int64)))
        size = max(1, min(s.size, n_keep))
        ws = xp.sort(xp.argsort(score)[:size])
        sub = Lasso(xp.take(self.A, ws, axis=1), self.b, lam)
        inner = _inner_solver(o.inner)
        res = run(inner(sub, inner.Options(tol=max(o.inner_tol * rel, 0.1 * o.tol), max_iter=10000)),
                  xp.take(s.x, ws), None, False)
        x = _scatter(xp, self.n, ws, res.x)
        r = self.A @ x - self.b
        support = int(xp.sum(xp.astype(x != 0, xp.int64)))
        grow = min(n_keep, max(int(o.growth * size), 2 * support, 1))
        return _State(x=x, r=r, corr=self.A.T @ r, keep=keep, size=grow, k=s.k + 1,
                      inner_iterations=s.inner_iterations + res.nit)

    def check(self, s: _State) -> Check:
        if self.lasso is self.problem:
            return Check.of(s.x, self.problem.measures(s.x, residual=s.r, correlation=s.corr))
        return Check.of(s.x, self.problem.measures(s.x))

    def info(self, s: _State) -> dict[str, Any]:
        xp = self.xp
        return {"working_set_size": s.size, "inner_iterations": s.inner_iterations,
                "screened": int(xp.sum(xp.astype(~s.keep, xp.int64))), "kept": s.keep, "inner": self.options.inner}


def _inner_solver(name: str) -> type[Solver]:
    from ..._registry import get_solver  # noqa: PLC0415  (the registry is complete once solvers load)

    return get_solver(name)
