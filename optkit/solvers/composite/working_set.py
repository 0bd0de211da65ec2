"""Working sets with gap-safe screening for l1-regularised least squares.

References: O. Fercoq, A. Gramfort and J. Salmon, "Mind the duality gap: safer rules for the
Lasso", ICML 2015; E. Ndiaye, O. Fercoq, A. Gramfort and J. Salmon, "Gap safe screening rules for
sparsity enforcing penalties", JMLR 18 (2017); M. Massias, A. Gramfort and J. Salmon, "Celer: a fast
solver for the Lasso with dual extrapolation", ICML 2018 (working sets ranked by the distance to
the dual constraint).

Coordinate descent beats full-gradient methods on the Lasso because it works on the few features
that end up active. Each outer iteration solves the Lasso restricted to a small working set of
features (by cyclic coordinate descent in a compiled kernel, or by one of optkit's ALM, FALM and
FISTA), then measures the duality gap of the full problem, discards the features the gap proves
inactive and grows the working set.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ..._result import Status
from ...backend import is_numpy
from ...functions import L1Norm, SquaredLoss
from ...problems.composite import Lasso
from ...kernels.composite import column_sq_norms, gather_columns, lasso_cd
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
    inner: str = option("cd", "solver of the restricted problems: coordinate descent (a compiled kernel) or "
                        "an optkit method run on the restricted Lasso", domain={"cd", "alm", "fast_alm", "fista"})
    inner_tol: float = option(0.3, "an inner solve stops at this fraction of the current relative gap",
                              domain="(0, 1)")
    start_size: int = option(50, "first working set size (at least twice the support of the start)",
                             domain="int >= 1")
    growth: float = option(2.0, "factor by which the working set grows while the support fills half of it",
                           domain="[1, inf)")
    screening: bool = option(True, "drop the features the gap-safe sphere proves inactive")
    anderson: bool = option(True, "Anderson extrapolation of the coordinate-descent iterates (inner='cd')")


@dataclass
class _State:
    x: Any             # the full coefficient vector
    r: Any             # residual A x - b
    corr: Any          # A^T r
    keep: Any          # features not screened out at x (bool, length n)
    dist: Any          # distance of each feature to the dual constraint at x
    fun: float         # primal objective and duality gap of the full problem at x
    gap: float
    size: int          # working set size of the next outer iteration
    k: int = 0
    inner_iterations: int = 0
    inner_gap: float = 0.0  # the duality gap of the restricted problem the last inner solve reached
    ws: Any = None     # the last working set and its columns as rows (reused by the next gather)
    cols: Any = None


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

    Parameters
    ----------
    problem : Lasso
        Or any two-term problem of a :class:`~optkit.functions.SquaredLoss` and an
        :class:`~optkit.functions.L1Norm` with ``lam > 0`` over a vector.
    options : WorkingSetOptions
        Built by :func:`optkit.solve` from its keywords; the table is in
        :ref:`options-working_set`.

    Notes
    -----
    With :math:`r = Ax - b` and the dual point :math:`\\theta = r\\min(1, \\lambda/\\|A^Tr\\|_\\infty)`
    (the one :class:`~optkit.problems.Lasso` certifies with), the dual optimum lies in the ball of
    radius :math:`\\sqrt{2\\,\\mathrm{gap}}` around :math:`\\theta` (the dual is 1-strongly concave), so
    feature :math:`j` is zero at every solution when
    :math:`|A_j^T\\theta| + \\|A_j\\|\\sqrt{2\\,\\mathrm{gap}} < \\lambda` (gap-safe screening,
    [1]_ [2]_; such features are dropped for good). The working set holds the
    support of :math:`x` and the remaining features closest to their dual constraint,
    :math:`(\\lambda - |A_j^T\\theta|)/\\|A_j\\|` smallest [3]_; its size is twice the support,
    and ``growth`` times the last size while the support fills half of it or more, from ``start_size`` (50 rather than celer's 10: on the
    benchmark's 1000 x 5000 Lasso cells that saves two of six and two of eight outer iterations, each
    one a product :math:`A^Tr`). Each outer iteration solves the Lasso on the working set with
    ``inner`` (warm started) to ``inner_tol`` times the current duality gap, then takes the full
    problem's duality gap, the certificate ``tol`` applies to (one product :math:`A^Tr` per outer
    iteration). Once that gap is no more than twice what the last inner solve left on its working
    set, the features outside no longer matter and the next inner solve aims at ``inner_tol * tol``
    (one last inner solve rather than one outer iteration per tenfold gap reduction; our addition).

    ``inner="cd"`` is cyclic coordinate descent with the residual kept up to date and Anderson
    extrapolation of its iterates [4]_ (:func:`optkit.kernels.composite.lasso_cd`, a compiled
    kernel on NumPy), the inner solver of celer, skglm and scikit-learn; ``"alm"``,
    ``"fast_alm"`` and ``"fista"`` run that optkit method on the restricted Lasso instead.

    References
    ----------
    .. [1] O. Fercoq, A. Gramfort and J. Salmon, "Mind the duality gap: safer rules for the
       Lasso", ICML 2015.
    .. [2] E. Ndiaye, O. Fercoq, A. Gramfort and J. Salmon, "Gap safe screening rules for
       sparsity enforcing penalties", J. Mach. Learn. Res. 18 (2017).
    .. [3] M. Massias, A. Gramfort and J. Salmon, "Celer: a fast solver for the Lasso with
       dual extrapolation", ICML 2018.
    .. [4] Q. Bertrand and M. Massias, "Anderson acceleration of coordinate descent", AISTATS 2021.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> problem = optkit.problems.Lasso(**lasso_instance(50, 100, seed=0))
    >>> res = optkit.solve(problem, method="working_set", tol=1e-8)
    >>> res.success, res.info["inner"], res.info["screened"] > 0
    (True, 'cd', True)
    """

    Options = WorkingSetOptions
    # the class the catalogue lists; accepts() takes any two-term problem of the Lasso's functions
    problem_types = (Lasso,)

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        return lasso_terms(problem) is not None

    def init(self, x0: Any) -> _State:
        p, xp = self.problem, self.xp
        A, b, lam = lasso_terms(p)
        self.A, self.b, self.lam = A, b, lam
        # the Lasso duality gap drives the screening; a problem of other type reports its own certificate
        self.lasso = p if isinstance(p, Lasso) else Lasso(A, b, lam=lam)
        self.n = A.shape[1]
        self.norms2 = column_sq_norms(A)
        self.col_norms = xp.sqrt(self.norms2)
        # an inner coordinate-descent solve stops above the rounding of the gap in this dtype
        self.gap_floor = 16.0 * float(xp.finfo(A.dtype).eps)
        x = p.initial_point() if x0 is None else x0
        r = A @ x - b
        support = int(xp.sum(xp.astype(x != 0, xp.int64)))
        size = min(self.n, max(self.options.start_size, 2 * support))
        return self._screened(x, r, self.col_norms > 0, size=size)

    def _screened(self, x: Any, r: Any, keep: Any, **fields: Any) -> _State:
        """The state at ``x`` (residual ``r``) with the gap-safe test applied to the features in ``keep``."""
        xp, lam = self.xp, self.lam
        corr = self.A.T @ r
        m = self.lasso.measures(x, residual=r, correlation=corr)
        cmax = float(xp.max(xp.abs(corr))) if self.n else 0.0
        scale = min(1.0, lam / cmax) if cmax > 0 else 1.0
        dist = lam - scale * xp.abs(corr)                  # distance to the dual constraint, >= 0
        if self.options.screening:
            keep = keep & (dist <= self.col_norms * math.sqrt(2.0 * m["gap"]))
        keep = keep | (x != 0)                              # a nonzero is never screened (rounding)
        return _State(x=x, r=r, corr=corr, keep=keep, dist=dist, fun=m["fun"], gap=m["gap"], **fields)

    def step(self, s: _State, measure: bool = False) -> _State:
        xp, o, lam = self.xp, self.options, self.lam
        gap, keep, dist = s.gap, s.keep, s.dist
        score = xp.where(s.x != 0, xp.full_like(dist, -math.inf), dist / xp.where(keep, self.col_norms, 1.0))
        score = xp.where(keep, score, xp.full_like(dist, math.inf))
        n_keep = int(xp.sum(xp.astype(keep, xp.int64)))
        size = max(1, min(s.size, n_keep))
        ws = xp.sort(xp.argsort(score)[:size])
        # Once the full gap is no more than twice what the last inner solve left on its working set,
        # the features outside it barely matter: solve to the final tolerance rather than to a
        # fraction of the current gap (one outer iteration, a product A^T r, per inner_tol reduction).
        target = o.tol * s.fun if gap <= 2.0 * s.inner_gap else gap
        inner_gap = max(o.inner_tol * target, self.gap_floor * s.fun)
        if o.inner == "cd":
            # every nonzero of x is in ws, so s.r is also the residual of the restricted problem
            cols = gather_columns(self.A, ws, s.cols, s.ws)
            xw, r, nit, reached = lasso_cd(cols, xp.take(s.x, ws), s.r, self.b, xp.take(self.norms2, ws), lam,
                                           inner_gap, _MAX_EPOCHS, _CHECK_EVERY, o.anderson)
        else:
            inner = _inner_solver(o.inner)
            sub = Lasso(xp.take(self.A, ws, axis=1), self.b, lam=lam)
            res = run(inner(sub, inner.Options(tol=inner_gap / max(s.fun, 1e-300), max_iter=10000)),
                      xp.take(s.x, ws), None, False)
            if res.status is Status.INTERRUPTED:  # the inner run caught Ctrl-C: it ends this run too
                raise KeyboardInterrupt
            if res.status is Status.NUMERICAL_ERROR:
                raise res.info["error"]
            xw, nit, reached, cols = res.x, res.nit, res.gap, None
            r = sub.A @ xw - self.b
        x = _scatter(xp, self.n, ws, xw)
        support = int(xp.sum(xp.astype(x != 0, xp.int64)))
        # twice the support (celer, skglm), and ``growth`` times more while the support fills half of
        # the working set or more (always growing made 1600 of 1000 x 5000 at 0.01 lam_max, support 321)
        saturated = 2 * support >= size
        grow = min(n_keep, max(o.start_size, 2 * support, int(o.growth * size) if saturated else 0, 1))
        return self._screened(x, r, keep, size=grow, k=s.k + 1, inner_iterations=s.inner_iterations + nit,
                              inner_gap=reached, ws=ws, cols=cols)

    def check(self, s: _State) -> Check:
        if self.lasso is self.problem:
            m = self.problem.measures(s.x, residual=s.r, correlation=s.corr)
            if m["optimality"] <= self.options.tol:
                # the answer: its certificate exactly as the problem evaluates it at x alone (the
                # kernel's residual differs from A x - b in rounding), two products with A once
                m = self.problem.measures(s.x)
            return Check.of(s.x, m)
        return Check.of(s.x, self.problem.measures(s.x))

    def info(self, s: _State) -> dict[str, Any]:
        xp = self.xp
        return {"working_set_size": s.size, "inner_iterations": s.inner_iterations,
                "screened": int(xp.sum(xp.astype(~s.keep, xp.int64))), "kept": s.keep, "inner": self.options.inner}


_MAX_EPOCHS = 100_000  # of one inner coordinate-descent solve; it stops at its gap long before
_CHECK_EVERY = 5  # epochs between the inner solve's gap checks (each costs about one epoch)


def _inner_solver(name: str) -> type[Solver]:
    from ..._registry import get_solver  # noqa: PLC0415  (the registry is complete once solvers load)

    return get_solver(name)
