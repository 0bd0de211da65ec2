"""Entropic optimal transport between two discrete measures."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backend import asarray, get_namespace, is_floating, to_numpy
from ..functions.base import check_array, check_same_library, check_scalar
from ..kernels.transport import ot_gibbs, ot_gibbs_marginals, ot_plan_measures
from .base import Problem, keyword_weights

__all__ = ["EntropicOT", "cost_matrix"]

_METRICS = ("sqeuclidean", "euclidean", "cityblock")


def cost_matrix(X: Any, Y: Any, metric: str = "sqeuclidean") -> Any:
    """Ground cost between the rows of ``X`` (n, d) and ``Y`` (m, d), in their namespace.

    ``metric`` is ``"sqeuclidean"`` (:math:`\\|x - y\\|_2^2`), ``"euclidean"``
    (:math:`\\|x - y\\|_2`) or ``"cityblock"`` (:math:`\\|x - y\\|_1`).

    Parameters
    ----------
    X : array, shape (n, d)
        Source points.
    Y : array, shape (m, d)
        Target points, in the namespace of ``X``.
    metric : {"sqeuclidean", "euclidean", "cityblock"}
        The ground distance.

    Returns
    -------
    array, shape (n, m)
        :math:`C_{ij} = d(x_i, y_j)`.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.problems import cost_matrix
    >>> X, Y = np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[0.0, 1.0]])
    >>> cost_matrix(X, Y).tolist(), cost_matrix(X, Y, "cityblock").tolist()
    ([[1.0], [2.0]], [[1.0], [2.0]])
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {_METRICS}, got {metric!r}")
    xp = get_namespace(X, Y)
    if metric == "cityblock":
        return xp.sum(xp.abs(X[:, None, :] - Y[None, :, :]), axis=2)
    sq = xp.sum(X * X, axis=1)[:, None] + xp.sum(Y * Y, axis=1)[None, :] - 2.0 * (X @ Y.T)
    sq = xp.clip(sq, min=0.0)
    return sq if metric == "sqeuclidean" else xp.sqrt(sq)


def _check_memory(n: int, m: int, itemsize: int) -> None:
    """Refuse a dense ``n x m`` problem whose cost, kernel and plan exceed physical memory."""
    need = 3 * n * m * itemsize
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: let the allocation decide
        return
    if need > total:
        raise MemoryError(f"a dense {n} x {m} problem needs about {need / 2**30:.1f} GiB (cost, kernel and plan "
                          f"of {n * m * itemsize / 2**30:.1f} GiB each) and this machine has "
                          f"{total / 2**30:.1f} GiB: subsample or cluster the point clouds (e.g. k-means "
                          f"centres with their masses as weights), or use float32 points (half the memory)")


def _weights(name: str, w: Any, size: int, like: Any) -> Any:
    xp = get_namespace(like)
    if w is None:
        return xp.full((size,), 1.0 / size, dtype=like.dtype)
    if isinstance(w, np.ndarray) or not hasattr(w, "shape"):
        # checked before the cast to C's library and dtype, which would drop an imaginary part with a warning
        w = asarray(check_array(name, np.asarray(w), finite=False), like=like)
    w = check_array(name, w, finite=False)
    if tuple(w.shape) != (size,):
        raise ValueError(f"{name} must have shape ({size},) to match C of shape {tuple(like.shape)}, "
                         f"got {tuple(w.shape)}")
    return xp.astype(w, like.dtype)


@keyword_weights
@dataclass(frozen=True)
class EntropicOT(Problem):
    """Entropy-regularised optimal transport (POT's ``ot.sinkhorn`` convention).

    .. math::
        \\min_{P \\ge 0}\\; \\langle C, P\\rangle + \\mathrm{reg}\\sum_{ij} P_{ij}(\\log P_{ij} - 1)
        \\quad\\text{s.t.}\\quad P\\mathbf 1 = a,\\; P^T\\mathbf 1 = b .

    Its dual is the concave maximisation over potentials ``(f, g)``

    .. math::
        D(f, g) = \\langle a, f\\rangle + \\langle b, g\\rangle
        - \\mathrm{reg}\\sum_{ij} \\exp\\big((f_i + g_j - C_{ij})/\\mathrm{reg}\\big),

    whose maximiser gives the plan :math:`P_{ij} = \\exp((f_i + g_j - C_{ij})/\\mathrm{reg})`
    (Cuturi 2013 [1]_; Peyre & Cuturi, *Computational Optimal Transport*, 2019, ch. 4 [2]_).

    Parameters
    ----------
    a : array, shape (n,)
        Source weights, positive and finite.
    b : array, shape (m,)
        Target weights, positive and finite, with the same total mass as ``a``
        (relative difference <= 1e-6).
    C : array, shape (n, m)
        Ground cost, finite.
    reg : float
        Entropic weight, > 0, keyword only (POT's ``reg``; the SNS paper's :math:`1/\\eta`).

    Notes
    -----
    The optimality measure is the L1 marginal error
    :math:`\\|P\\mathbf 1 - a\\|_1 + \\|P^T\\mathbf 1 - b\\|_1` divided by the
    mass :math:`\\|a\\|_1` (the same number for normalised weights); ``tol``
    applies to it and ``Result.marginal_error`` reports it unscaled. Zero
    weights are not accepted: drop those points (``from_histograms`` does).

    References
    ----------
    .. [1] M. Cuturi, "Sinkhorn distances: lightspeed computation of optimal transport",
       NeurIPS 2013.
    .. [2] G. Peyre and M. Cuturi, "Computational optimal transport", Found. Trends Mach.
       Learn. 11 (2019), 355-607.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import uniform_clouds
    >>> from optkit.problems import EntropicOT
    >>> X, Y = uniform_clouds(60, 50, seed=0)
    >>> problem = EntropicOT.from_point_clouds(X, Y, reg=0.05)
    >>> res = optkit.solve(problem, tol=1e-9)
    >>> res.method, res.success, res.x.shape, res.marginal_error <= 1e-9
    ('sinkhorn', True, (60, 50), True)
    """

    optimality_measure = "L1 marginal error / mass"
    a: Any
    b: Any
    C: Any
    reg: float = field(kw_only=True)

    def __post_init__(self) -> None:
        C = np.asarray(self.C) if isinstance(self.C, (list, tuple)) else self.C
        C = check_array("C", C, ndim=2)
        # NumPy weights are converted to C's library once; any other library must be C's
        xp = check_same_library(C=C, **{k: w for k, w in (("a", self.a), ("b", self.b))
                                        if hasattr(w, "shape") and not isinstance(w, np.ndarray)})
        if C.shape[0] == 0 or C.shape[1] == 0:
            raise ValueError(f"C must be a non-empty 2-d array, got shape {tuple(C.shape)}")
        n, m = C.shape
        a = _weights("a", self.a, n, C)
        b = _weights("b", self.b, m, C)
        for name, w in (("a", a), ("b", b)):
            if not bool(xp.all(xp.isfinite(w))):
                raise ValueError(f"{name} must be finite")
            if not bool(xp.all(w > 0)):
                raise ValueError(f"{name} must be positive (drop zero-weight points; negative weights are invalid)")
        sa, sb = float(xp.sum(a)), float(xp.sum(b))
        if abs(sa - sb) > 1e-6 * max(sa, sb):
            raise ValueError(f"a and b must have the same total mass, got sum(a)={sa!r} and sum(b)={sb!r}")
        reg = check_scalar("reg", self.reg, positive=True)
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "C", C)
        object.__setattr__(self, "reg", reg)
        object.__setattr__(self, "_spread", float(xp.max(C) - xp.min(C)))
        object.__setattr__(self, "_mass", sa)
        object.__setattr__(self, "_xp", xp)  # the arrays never change: their namespace is found once
        # NumPy data: the certificate's sums on the arrays themselves (the wrapped namespace's calls cost
        # microseconds each, a tenth of a 30 x 30 solve in all)
        object.__setattr__(self, "_numpy", isinstance(C, np.ndarray))
        object.__setattr__(self, "_derived", {})  # constants the solvers derive from the data, made once

    @property
    def xp(self) -> Any:
        """The array namespace of ``C``, ``a`` and ``b`` (found once: the solvers ask for it every iteration)."""
        return self._xp

    @property
    def dtype(self) -> Any:
        """The floating dtype of ``C`` (and of the weights)."""
        return self.C.dtype

    # -- constructors --------------------------------------------------------------------------------------------

    @classmethod
    @keyword_weights
    def from_point_clouds(cls, X: Any, Y: Any, *, reg: float, a: Any = None, b: Any = None,
                          metric: str = "sqeuclidean", normalize: bool = True) -> "EntropicOT":
        """OT between the point clouds ``X`` (n, d) and ``Y`` (m, d); by default the cost is
        divided by its maximum (``normalize=False`` keeps POT's unnormalised cost).

        ``reg`` and what follows it are keyword only; ``a`` and ``b`` default to uniform weights. With ``normalize=True`` ``reg`` is relative
        to the largest cost (the benchmarks' convention). The dense ``n x m`` cost is estimated
        before it is formed: a ``MemoryError`` saying so is raised when it and the solvers' two
        working copies (kernel, plan) would not fit in the machine's memory.
        """
        for name, Z in (("X", X), ("Y", Y)):
            if not hasattr(Z, "shape") or len(Z.shape) != 2:
                raise ValueError(f"{name} must be a 2-d array of points (n, d)")
        if X.shape[1] != Y.shape[1]:
            raise ValueError(f"X and Y must have the same dimension, got {X.shape[1]} and {Y.shape[1]}")
        xp = get_namespace(X, Y)
        if not is_floating(X):
            X = xp.astype(X, xp.float64)
        Y = xp.astype(Y, X.dtype)
        _check_memory(X.shape[0], Y.shape[0], 4 if X.dtype == xp.float32 else 8)
        C = cost_matrix(X, Y, metric)
        if normalize:
            cmax = float(xp.max(C))
            if cmax > 0:
                C = C / cmax
        return cls(a, b, C, reg=reg)

    @classmethod
    @keyword_weights
    def from_histograms(cls, A: Any, B: Any, *, reg: float, metric: str = "sqeuclidean",
                        normalize: bool = True) -> "EntropicOT":
        """OT between two images ``A`` and ``B`` (same 2-d shape) seen as histograms on the pixel grid.

        Each image is scaled to unit mass; pixels with zero mass are dropped
        (use :func:`histogram_support` for their grid coordinates). The ground
        cost is ``metric`` between pixel coordinates, divided by its maximum over
        the grid when ``normalize`` (so the cost scale does not depend on which
        pixels are lit).
        """
        A_np, B_np = np.asarray(to_numpy(A), dtype=float), np.asarray(to_numpy(B), dtype=float)
        if A_np.ndim != 2 or A_np.shape != B_np.shape:
            raise ValueError(f"A and B must be 2-d images of the same shape, got {A_np.shape} and {B_np.shape}")
        for name, H in (("A", A_np), ("B", B_np)):
            if not np.all(np.isfinite(H)) or np.any(H < 0):
                raise ValueError(f"{name} must be finite and non-negative")
            if not H.sum() > 0:
                raise ValueError(f"{name} has no mass")
        XA, XB = histogram_support(A_np), histogram_support(B_np)
        C = cost_matrix(XA, XB, metric)
        if normalize:
            h, w = A_np.shape
            corner = np.array([[0.0, 0.0]]), np.array([[h - 1.0, w - 1.0]])
            cmax = float(cost_matrix(*corner, metric)[0, 0])
            if cmax > 0:
                C = C / cmax
        a, b = A_np[A_np > 0], B_np[B_np > 0]
        xp = get_namespace(A) if hasattr(A, "shape") else get_namespace(A_np)
        conv = (lambda v: asarray(v, xp=xp, dtype=xp.float64)) if not isinstance(A, np.ndarray) else (lambda v: v)
        return cls(conv(a / a.sum()), conv(b / b.sum()), conv(C), reg=reg)

    # -- what the solvers use --------------------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.C.shape)

    @property
    def mass(self) -> float:
        """:math:`\\|a\\|_1`, the scale of the marginal error."""
        return self._mass

    @property
    def cost_spread(self) -> float:
        """:math:`\\max C - \\min C`, the scale ``reg`` is compared with."""
        return self._spread

    def log_weights(self) -> tuple[Any, Any]:
        """``(log a, log b)``, computed on first use and kept (constants of every solve of this problem)."""
        logs = self._derived.get("log_weights")
        if logs is None:
            logs = self._derived["log_weights"] = (self.xp.log(self.a), self.xp.log(self.b))
        return logs

    def cost_transposed(self) -> Any:
        """``C^T`` stored contiguously (the column updates read it row by row), made on first use and kept."""
        CT = self._derived.get("CT")
        if CT is None:
            C = self.C
            CT = np.ascontiguousarray(C.T) if self._numpy else self.xp.asarray(C.T, copy=True)
            self._derived["CT"] = CT
        return CT

    @property
    def default_method(self) -> str:  # type: ignore[override]
        """``"sinkhorn"`` when ``reg`` is large next to the cost spread, ``"sns"`` otherwise.

        Sinkhorn's rate degrades as :math:`\\exp(-\\|C\\|_\\infty/\\mathrm{reg})`
        while the plan, and with it the Newton system, gets sparser as ``reg``
        shrinks; the switch point, ``SNS_BELOW`` times the spread, comes from ``benchmarks/transport.py``.
        On small NumPy float64 problems (at most ``SNS_SMALL_SIZE`` cost entries, where both methods run
        compiled and SNS solves its Newton systems exactly) it is ``SNS_SMALL_BELOW``: there SNS's 5-11
        iterations took 0.8-0.9 of compiled Sinkhorn's time at ``reg`` 1e-2 and 2e-2 of the spread
        on 20-100 points (30-70 Sinkhorn iterations), and 1.06-1.5 of it at 0.1 on 30-100 points (1.3 at 5e-2
        on 100; interleaved runs).
        """
        below = SNS_BELOW
        if self._numpy and self.C.dtype == np.float64 and self.C.size <= SNS_SMALL_SIZE:
            below = SNS_SMALL_BELOW
        return "sinkhorn" if self.reg >= below * max(self._spread, 1e-300) else "sns"

    def initial_point(self) -> tuple[Any, Any]:
        """Zero potentials ``(f, g)``: the layout of a start (the solvers begin with the exact ``f``-update from
        ``g = 0``)."""
        xp = self.xp
        n, m = self.shape
        return xp.zeros((n,), dtype=self.dtype), xp.zeros((m,), dtype=self.dtype)

    def check_x0(self, x0: Any) -> tuple[Any, Any]:
        """A start is a pair of potentials ``(f, g)`` of shapes ``(n,)`` and ``(m,)`` (a Result's ``dual``).

        Returns finite copies in the problem's namespace and dtype; a plan or a
        single array raises ``TypeError``, wrong shapes or non-finite entries ``ValueError``.
        """
        if not (isinstance(x0, (tuple, list)) and len(x0) == 2):
            n, m = self.shape
            raise TypeError(f"x0 must be a pair of potentials (f, g) of shapes ({n},), ({m},) (a Result's dual), "
                            f"got {type(x0).__name__}")
        return super().check_x0(tuple(x0))

    def plan(self, f: Any, g: Any) -> Any:
        """The Gibbs plan :math:`\\exp((f_i + g_j - C_{ij})/\\mathrm{reg})` of potentials ``(f, g)``."""
        return ot_gibbs(self.C, f, g, self.reg)

    def objective(self, P: Any) -> float:
        """:math:`\\langle C, P\\rangle + \\mathrm{reg}\\sum_{ij} P_{ij}(\\log P_{ij} - 1)` (:math:`0\\log 0 = 0`)."""
        xp = get_namespace(P)
        if tuple(P.shape) != self.shape:
            raise ValueError(f"P must have shape {self.shape}, got {tuple(P.shape)}")
        if bool(xp.any(P < 0)):
            return math.inf
        safe = xp.where(P > 0, P, xp.ones_like(P))
        ent = xp.sum(P * (xp.log(safe) - 1.0))
        return float(xp.sum(self.C * P) + self.reg * ent)

    def dual_objective(self, f: Any, g: Any) -> float:
        """:math:`D(f, g)`; its maximum equals the minimum of :meth:`objective`."""
        xp = get_namespace(f, g)
        z = xp.clip((f[:, None] + g[None, :] - self.C) / self.reg, max=300.0)
        return float(xp.sum(self.a * f) + xp.sum(self.b * g) - self.reg * xp.sum(xp.exp(z)))

    def marginal_error(self, P: Any = None, *, rows: Any = None, cols: Any = None) -> float:
        """:math:`\\|P\\mathbf 1 - a\\|_1 + \\|P^T\\mathbf 1 - b\\|_1`, from ``P`` or from its marginals ``rows``, ``cols``."""
        xp = self.xp  # the marginals of a plan of this problem are in its namespace
        if self._numpy:
            if rows is None or cols is None:
                rows, cols = P.sum(axis=1), P.sum(axis=0)
            return float(np.abs(rows - self.a).sum() + np.abs(cols - self.b).sum())
        if rows is None or cols is None:
            rows, cols = xp.sum(P, axis=1), xp.sum(P, axis=0)
        return float(xp.sum(xp.abs(rows - self.a)) + xp.sum(xp.abs(cols - self.b)))

    def measures(self, x: Any, *, dual: Any = None, rows: Any = None, cols: Any = None,
                 reg: float | None = None) -> dict[str, float]:
        """The certificate of a plan, or of the Gibbs plan of potentials, without forming what is not needed.

        Parameters
        ----------
        x : array, shape (n, m), or pair of arrays (f, g) of shapes (n,), (m,)
            A plan ``P``, or potentials whose plan is :math:`P = e^{(f \\oplus g - C)/\\mathrm{reg}}`
            (never formed: the marginals come from ``rows``/``cols`` or from one pass over ``C``).
        dual : pair (f, g), optional
            Potentials of which the plan ``x`` is the Gibbs plan, possibly with negligible
            entries left out (what a Result's ``dual`` is). ``fun`` is then evaluated through
            them in :math:`O(n + m)` instead of :math:`nm` logarithms.
        rows, cols : arrays, shapes (n,), (m,), optional
            The plan's marginals :math:`P\\mathbf 1` and :math:`P^T\\mathbf 1` when the caller has them.
        reg : float, optional
            The entropic weight ``x`` was made with when it is not the problem's (an
            intermediate problem of a continuation). There is no certificate then:
            ``optimality`` is ``inf`` (``marginal_error`` is still the plan's). For
            potentials ``fun`` is that problem's objective (the cheap in-run figure); for a
            plan it is this problem's objective at it, and ``dual`` is not used.

        Returns
        -------
        dict
            ``fun``: the objective at the plan; ``marginal_error``:
            :math:`\\|P\\mathbf 1 - a\\|_1 + \\|P^T\\mathbf 1 - b\\|_1`; ``optimality``: the
            marginal error divided by the mass :math:`\\|a\\|_1`. For a Gibbs plan,
            :math:`\\mathrm{reg}\\log P = f \\oplus g - C` turns the objective into
            :math:`\\langle f, P\\mathbf 1\\rangle + \\langle g, P^T\\mathbf 1\\rangle
            - \\mathrm{reg}\\,\\mathbf 1^T P\\mathbf 1`. The marginal error certifies
            optimality for Gibbs plans (the solvers' answers), not for an arbitrary ``P``.
        """
        xp = self.xp
        foreign = reg is not None and float(reg) != self.reg
        weight = float(reg) if foreign else self.reg
        potentials = isinstance(x, (tuple, list))
        f, g = x if potentials else (dual if dual is not None and not foreign else (None, None))
        if potentials and (rows is None or cols is None):
            rows, cols = ot_gibbs_marginals(self.C, f, g, weight, -math.inf)
        if self._numpy and f is not None:
            # one compiled pass over the plan or its marginals, the sums of the general case below (a called-once
            # solve spent 50-90 us in the ten NumPy calls they take, with cold caches)
            known = rows is not None and cols is not None
            fun, err = ot_plan_measures(None if known else x, rows, cols, self.a, self.b, f, g, weight)
        else:
            if rows is None or cols is None:
                rows, cols = xp.sum(x, axis=1), xp.sum(x, axis=0)
            fun = float(f @ rows + g @ cols - weight * xp.sum(rows)) if f is not None else self.objective(x)
            err = self.marginal_error(rows=rows, cols=cols)
        return self.certificate(fun, err, foreign)

    def certificate(self, fun: float, err: float, foreign: bool = False) -> dict[str, float]:
        """What :meth:`measures` returns for a plan with objective ``fun`` and L1 marginal error ``err`` (``foreign``:
        made at another ``reg`` than the problem's, so no certificate): the last step of :meth:`measures`, for a
        compiled run that formed and measured its plan in one call (``ot_plan_measures``'s sums, as :meth:`measures`
        computes them)."""
        if not math.isfinite(err):
            fun = math.nan
        return {"fun": fun, "optimality": math.inf if foreign else err / self.mass, "marginal_error": err}

    def transport_cost(self, P: Any) -> float:
        """The linear part :math:`\\langle C, P\\rangle` (what POT's ``sinkhorn2`` reports)."""
        return float(get_namespace(P).sum(self.C * P))

    def to_cvxpy(self) -> tuple[Any, Any]:
        """The reference formulation; the entropy goes through CVXPY's exponential cone (``entr``)."""
        import cvxpy as cp  # noqa: PLC0415

        C, a, b = (np.asarray(to_numpy(v), dtype=float) for v in (self.C, self.a, self.b))
        P = cp.Variable(C.shape, nonneg=True)
        obj = cp.sum(cp.multiply(C, P)) - self.reg * cp.sum(cp.entr(P)) - self.reg * cp.sum(P)
        cons = [cp.sum(P, axis=1) == a, cp.sum(P, axis=0) == b]
        return cp.Problem(cp.Minimize(obj), cons), P


def histogram_support(H: Any) -> np.ndarray:
    """Grid coordinates ``(row, col)`` of the pixels of ``H`` with positive mass, row-major, shape (k, 2)."""
    H = np.asarray(to_numpy(H))
    rows, cols = np.nonzero(H > 0)
    return np.stack([rows, cols], axis=1).astype(float)


# reg / (max C - min C) below which the default method is Sinkhorn-Newton-Sparse (benchmarks/transport.py)
SNS_BELOW = 5e-3
# the same on NumPy float64 costs of at most SNS_SMALL_SIZE entries (Sinkhorn's compiled size, SNS's exact Newton
# steps on dense plans; see EntropicOT.default_method)
SNS_SMALL_BELOW = 3e-2
SNS_SMALL_SIZE = 1 << 14

