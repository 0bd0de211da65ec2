"""Sums of two convex functions: the generic ``Composite`` and the ``Lasso`` and SICS instances.

The composite family's problems are :math:`\\min_x f(x) + g(x)` with a smooth convex ``f`` and
a convex ``g`` whose proximal map is cheap; the methods are alternating linearization (ALM,
FALM) and FISTA (:mod:`optkit.solvers.composite`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from ..backend import get_namespace, to_numpy
from ..functions import L1Norm, LogDetTrace, OffDiagL1, SquaredLoss
from ..functions.base import Function, check_scalar
from .base import Problem, certified_gap, check_shape_and_x0, keyword_weights

__all__ = ["CompositeProblem", "Composite", "Lasso", "SparseInverseCovariance", "ScreeningBlocks", "two_terms"]


def two_terms(problem: Any) -> tuple[Function, Function] | None:
    """The two terms of a problem that is a sum of a smooth ``f`` and a prox-friendly ``g``.

    This is the capability the two-term methods (``alm``, ``fast_alm``, ``fista``) accept:
    attributes ``f`` and ``g`` holding :class:`~optkit.functions.Function` objects, ``f``
    smooth, plus ``shape``, ``initial_point()`` and ``measures(x)``.
    :class:`CompositeProblem` has it; a problem of another family may offer it too (a sum
    of two such functions), and gets those methods without being listed anywhere.

    Parameters
    ----------
    problem : object
        Any problem.

    Returns
    -------
    tuple of Function or None
        ``(f, g)``, or ``None`` when ``problem`` does not have the capability.

    Examples
    --------
    >>> from optkit.datasets import lasso_instance
    >>> from optkit.problems import Lasso, two_terms
    >>> f, g = two_terms(Lasso(**lasso_instance(10, 20)))
    >>> type(f).__name__, type(g).__name__
    ('SquaredLoss', 'L1Norm')
    """
    f, g = getattr(problem, "f", None), getattr(problem, "g", None)
    if isinstance(f, Function) and isinstance(g, Function) and f.smooth:
        return f, g
    return None


class CompositeProblem(Problem):
    """Base of :math:`\\min_x f(x) + g(x)` problems with smooth ``f`` and prox-friendly ``g``.

    Subclasses hold the terms as attributes ``f`` and ``g``
    (:class:`~optkit.functions.Function` objects) and the variable's ``shape``; the
    objective, the CVXPY reference and the gradient-mapping residual are defined here
    once. Subclasses with a dual (the Lasso, SICS) certify by a duality gap instead.

    See Also
    --------
    Composite : any two functions.
    Lasso, SparseInverseCovariance : the instances with a duality gap.

    References
    ----------
    .. [1] A. Beck, *First-Order Methods in Optimization*, SIAM, 2017, ch. 10.

    Examples
    --------
    >>> from optkit.datasets import lasso_instance
    >>> from optkit.problems import CompositeProblem, Lasso
    >>> problem = Lasso(**lasso_instance(10, 20))
    >>> isinstance(problem, CompositeProblem), problem.shape
    (True, (20,))
    >>> problem.gradient_mapping_residual(problem.initial_point()) > 0
    True
    """

    default_method = "fast_alm"
    optimality_measure = "relative gradient-mapping residual"
    f: Function
    g: Function

    def objective(self, x: Any) -> float:
        """:math:`f(x) + g(x)` (``inf`` outside the domain of ``f``)."""
        fx = self.f.value(x)
        return fx + self.g.value(x) if math.isfinite(fx) else math.inf

    def gradient_mapping_residual(self, x: Any) -> float:
        """The relative gradient-mapping residual at ``x``.

        .. math::
            \\frac{\\|x - \\operatorname{prox}_{sg}(x - s\\nabla f(x))\\|}{s\\,(1 + \\|\\nabla f(x)\\|)}

        It is zero exactly at the minimisers (Beck 2017, Theorem 10.7); ``s = 1/L``
        when ``f`` has a known Lipschitz constant ``L``, else 1.

        Parameters
        ----------
        x : array
            A point of the variable's shape.

        Returns
        -------
        float

        References
        ----------
        .. [1] A. Beck, *First-Order Methods in Optimization*, SIAM, 2017, ch. 10.
        """
        xp = get_namespace(x)
        L = self.f.lipschitz
        s = 1.0 / L if L else 1.0
        gx = self.f.grad(x)
        r = x - self.g.prox(x - s * gx, s)
        return float(xp.linalg.vector_norm(r)) / (s * (1.0 + float(xp.linalg.vector_norm(gx))))

    def to_cvxpy(self) -> tuple[Any, Any]:
        """The same problem in CVXPY: ``(cvxpy.Problem, variable)`` (see :func:`optkit.validate`)."""
        import cvxpy as cp  # noqa: PLC0415

        var = cp.Variable(self.shape, symmetric=len(self.shape) == 2 and self.shape[0] == self.shape[1]
                          and isinstance(self.f, LogDetTrace))
        ef, cf = self.f.to_cvxpy(var)
        eg, cg = self.g.to_cvxpy(var)
        return cp.Problem(cp.Minimize(ef + eg), cf + cg), var


@dataclass(frozen=True)
class Composite(CompositeProblem):
    """:math:`\\min_x f(x) + g(x)` for a smooth convex ``f`` and a convex ``g`` with a cheap prox.

    Parameters
    ----------
    f : Function
        Smooth (``f.smooth``), with ``grad``; ALM/FALM also use ``f.prox``.
    g : Function
        With ``prox`` (and ``value``).
    shape : tuple of int
        Shape of the variable ``x``.
    x0 : array, optional
        Default starting point (zeros of ``shape`` and ``dtype`` otherwise); it
        also fixes the namespace when neither function holds arrays.

    Notes
    -----
    The optimality measure is the relative gradient-mapping residual
    (:meth:`~CompositeProblem.gradient_mapping_residual`), zero exactly at the minimisers. The default
    method is ``fast_alm`` (FALM-S), which needs only the prox of ``g`` and the
    gradient and prox of ``f``; ``fista`` needs no prox of ``f``.

    References
    ----------
    .. [1] D. Goldfarb, S. Ma and K. Scheinberg, "Fast alternating linearization
       methods for minimizing the sum of two convex functions", Math. Program.
       141 (2013), 349-382.
    .. [2] A. Beck, *First-Order Methods in Optimization*, SIAM, 2017, ch. 10.

    Examples
    --------
    Least squares over the box :math:`[0, 1]^n`:

    >>> import numpy as np
    >>> import optkit
    >>> from optkit.functions import Box, SquaredLoss
    >>> from optkit.problems import Composite
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((30, 10)), rng.standard_normal(30)
    >>> problem = Composite(SquaredLoss(A, b), Box(0.0, 1.0), shape=(10,))
    >>> res = optkit.solve(problem, tol=1e-8)
    >>> res.success, bool(np.all((res.x >= 0) & (res.x <= 1)))
    (True, True)
    """

    f: Function
    g: Function
    shape: tuple
    x0: Any = None

    def __post_init__(self) -> None:
        for name in ("f", "g"):
            if not isinstance(getattr(self, name), Function):
                raise TypeError(f"{name} must be an optkit.functions.Function, got {type(getattr(self, name)).__name__}")
        if not self.f.smooth:
            raise ValueError(f"f must be smooth (have a gradient); {type(self.f).__name__} is not")
        check_shape_and_x0(self)
        if not self.arrays():
            raise ValueError("Composite needs data arrays: give x0 when neither f nor g holds arrays")
        x = self.initial_point()
        for name in ("f", "g"):
            try:
                getattr(self, name).value(x)
            except (ValueError, TypeError) as exc:  # an inconsistent shape fails inside the term
                raise ValueError(f"shape {self.shape} does not fit {name} ({type(getattr(self, name)).__name__}): "
                                 f"{exc}") from None

    def arrays(self) -> dict[str, Any]:
        out = {f"f.{k}": v for k, v in self.f.arrays().items()}
        out.update({f"g.{k}": v for k, v in self.g.arrays().items()})
        if self.x0 is not None:
            out["x0"] = self.x0
        return out

    def map_arrays(self, fn: Any) -> "Composite":
        x0 = None if self.x0 is None else fn(self.x0)
        return Composite(self.f.map_arrays(fn), self.g.map_arrays(fn), self.shape, x0)

    def initial_point(self) -> Any:
        """``x0`` if given, else zeros of ``shape``."""
        if self.x0 is not None:
            return self.x0
        return self.xp.zeros(self.shape, dtype=self.dtype)

    def measures(self, x: Any) -> dict[str, float]:
        """``fun`` and ``optimality`` (the relative gradient-mapping residual) at ``x``."""
        return {"fun": self.objective(x), "optimality": self.gradient_mapping_residual(x)}


@keyword_weights
@dataclass(frozen=True)
class Lasso(CompositeProblem):
    """The Lasso :math:`\\min_x \\tfrac12\\|Ax - b\\|_2^2 + \\lambda\\|x\\|_1`.

    Parameters
    ----------
    A : array, shape (m, n)
        Design matrix.
    b : array, shape (m,)
        Observations.
    lam : float
        :math:`\\lambda > 0` (keyword only). scikit-learn's ``Lasso(alpha)`` is ``lam = m * alpha``
        (``lam = 0`` is least squares, for which :func:`numpy.linalg.lstsq` is the tool).

    Notes
    -----
    Optimality is the relative duality gap :math:`(P(x) - D(\\theta))/|P(x)|`,
    with the dual :math:`D(\\theta) = -\\tfrac12\\|\\theta\\|^2 - b^T\\theta`
    over :math:`\\|A^T\\theta\\|_\\infty \\le \\lambda` and the dual point
    :math:`\\theta = r\\min(1, \\lambda/\\|A^Tr\\|_\\infty)` scaled from the
    residual :math:`r = Ax - b` (as in [2]_). It bounds the relative suboptimality of
    ``x``; ``measures`` also reports the absolute ``gap``. The default method is ``working_set``
    (gap-safe screening and working sets around Anderson-accelerated coordinate descent: the
    fastest side by side with scikit-learn and skglm in ``benchmarks/_lasso_peers.py``, and it
    converges on instances where ALM and FALM-S stall; see the comment at ``default_method``).

    References
    ----------
    .. [1] R. Tibshirani, "Regression shrinkage and selection via the lasso",
       J. R. Stat. Soc. B 58 (1996), 267-288.
    .. [2] S.-J. Kim, K. Koh, M. Lustig, S. Boyd and D. Gorinevsky, "An interior-point
       method for large-scale l1-regularized least squares", IEEE J. Sel. Topics
       Signal Process. 1 (2007), 606-617.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import lasso_instance
    >>> from optkit.problems import Lasso
    >>> problem = Lasso(**lasso_instance(50, 100, seed=0))
    >>> res = optkit.solve(problem, tol=1e-8)
    >>> res.method, res.success, res.optimality <= 1e-8
    ('working_set', True, True)
    >>> res.gap <= 1e-8 * res.fun          # the absolute gap, a named measure
    True
    >>> optkit.validate(problem, res).objective_gap < 1e-7
    True
    """

    # Working sets with gap-safe screening around Anderson-accelerated coordinate descent: side by
    # side with scikit-learn's Lasso and skglm at the same duality gap (benchmarks/_lasso_peers.py)
    # it is the fastest on the benchmark's 1000 x 5000 cells and on a warm-started path of 20 lam,
    # and on a dense solution (A 100 x 200 Gaussian, b Gaussian, lam = 0.1, about m nonzeros, where
    # ALM and FALM-S hit 5000 iterations at tol 1e-6 and 1e-10) it converges about 3x faster than FISTA.
    # ALM, FALM-S and FISTA stay available by name.
    default_method = "working_set"
    optimality_measure = "relative duality gap"
    A: Any
    b: Any
    lam: float = field(kw_only=True)
    f: SquaredLoss = field(init=False, repr=False, compare=False)
    g: L1Norm = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        f = SquaredLoss(self.A, self.b)
        if f.A.shape[1] == 0:
            raise ValueError(f"A must have at least one column (feature), got shape {tuple(f.A.shape)}")
        object.__setattr__(self, "A", f.A)
        object.__setattr__(self, "b", f.b)
        object.__setattr__(self, "lam", check_scalar("lam", self.lam, positive=True))
        object.__setattr__(self, "f", f)
        object.__setattr__(self, "g", L1Norm(self.lam))

    @property
    def shape(self) -> tuple[int]:
        return (self.A.shape[1],)

    def initial_point(self) -> Any:
        """Zeros of length ``n``."""
        return self.xp.zeros(self.shape, dtype=self.dtype)

    def measures(self, x: Any, *, residual: Any = None, correlation: Any = None) -> dict[str, float]:
        """``fun``, ``optimality`` (the relative duality gap) and the absolute ``gap`` at ``x``;
        ``residual`` :math:`Ax - b` and ``correlation`` :math:`A^T(Ax - b)` may pass what a solver
        already has."""
        xp = get_namespace(x)
        r = self.A @ x - self.b if residual is None else residual
        primal = 0.5 * float(r @ r) + self.lam * float(xp.sum(xp.abs(x)))
        c = self.A.T @ r if correlation is None else correlation
        corr = float(xp.max(xp.abs(c))) if r.shape[0] else 0.0
        scale = min(1.0, self.lam / corr) if corr > 0 else 1.0
        theta = scale * r
        dual = -0.5 * float(theta @ theta) - float(self.b @ theta)
        gap = certified_gap(primal, dual, x.dtype, xp)
        return {"fun": primal, "optimality": gap / max(abs(primal), 1e-300), "gap": gap}


class ScreeningBlocks(NamedTuple):
    """The connected components of the thresholded covariance (see
    :attr:`SparseInverseCovariance.screening_blocks`), as index arrays in the problem's namespace.

    Parameters
    ----------
    groups : tuple of arrays
        Sorted indices of each component with two or more variables.
    singletons : array
        Indices of the one-variable components.
    labels : numpy.ndarray, shape (p,)
        Component label of each variable (host NumPy array).
    across : bool array, shape (p, p)
        True where ``i`` and ``j`` lie in different components.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.problems import SparseInverseCovariance
    >>> S = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.05], [0.0, 0.05, 1.0]])
    >>> blocks = SparseInverseCovariance(S, lam=0.1).screening_blocks
    >>> [b.tolist() for b in blocks.groups], blocks.singletons.tolist(), blocks.count
    ([[0, 1]], [2], 2)
    """

    groups: tuple        # index arrays (sorted) of the components with two or more variables
    singletons: Any      # indices of the one-variable components
    labels: Any          # component label of each variable, shape (p,) (host NumPy array)
    across: Any          # (p, p) bool: True where i and j lie in different components

    @property
    def count(self) -> int:
        return len(self.groups) + int(self.singletons.shape[0])


def _logdet_and_dual(X: Any, S: Any, lam: float) -> tuple[float, float] | None:
    """``(log det X, log det(S + U))`` for one diagonal block, with the dual point
    :math:`U = \\operatorname{clip}(X^{-1} - S, -\\lambda, \\lambda)` off the diagonal; ``None`` when
    ``X`` is not positive definite, ``-inf`` for the second when ``S + U`` is not."""
    xp = get_namespace(X)
    try:
        L = xp.linalg.cholesky(X)
    except Exception:  # noqa: BLE001  (backends raise different LinAlgError types)
        return None
    d = xp.linalg.diagonal(L)
    if not bool(xp.all(d > 0)) or not bool(xp.all(xp.isfinite(d))):
        return None
    Linv = xp.linalg.inv(L)
    eye = xp.eye(X.shape[0], dtype=X.dtype)
    U = xp.clip(Linv.T @ Linv - S, min=-lam, max=lam) * (1.0 - eye)
    w = xp.linalg.eigvalsh(S + U)
    dual = float(xp.sum(xp.log(w))) if float(xp.min(w)) > 0 else -math.inf
    return 2.0 * float(xp.sum(xp.log(d))), dual


@keyword_weights
@dataclass(frozen=True)
class SparseInverseCovariance(CompositeProblem):
    """Sparse inverse covariance selection (the graphical lasso).

    .. math:: \\min_{X \\succ 0}\\; -\\log\\det X + \\operatorname{tr}(SX) + \\lambda \\sum_{i \\ne j} |X_{ij}|

    Parameters
    ----------
    S : array, shape (p, p)
        Symmetric sample covariance with a positive diagonal.
    lam : float
        :math:`\\lambda \\ge 0`, keyword only (scikit-learn's ``graphical_lasso(S, alpha=lam)``
        solves the same problem).

    Notes
    -----
    Optimality is the relative duality gap. The dual is
    :math:`\\max \\log\\det W + p` over :math:`W = S + U`, :math:`U_{ii} = 0`,
    :math:`|U_{ij}| \\le \\lambda` [1]_; the dual point is
    :math:`U = \\operatorname{clip}(X^{-1} - S, -\\lambda, \\lambda)` off the
    diagonal, or a solver's own dual point where it is better (``measures(X, dual=U)``),
    and the gap is divided by :math:`\\max(1, |P(X)|)`.

    **Exact block screening** (Witten, Friedman & Simon 2011; Mazumder & Hastie
    2012), derived here for this penalty, which leaves the diagonal free. The
    optimality conditions are :math:`W = X^{-1}`, :math:`W_{ii} = S_{ii}` and
    :math:`W_{ij} = S_{ij} + \\lambda\\,\\mathrm{sign}(X_{ij})` where
    :math:`X_{ij} \\ne 0`, :math:`|W_{ij} - S_{ij}| \\le \\lambda` where
    :math:`X_{ij} = 0`. Let :math:`C_1, \\dots, C_K` be the connected components
    of the graph with an edge :math:`(i, j)`, :math:`i \\ne j`, wherever
    :math:`|S_{ij}| > \\lambda` (:attr:`screening_blocks`). Take
    :math:`X = \\operatorname{diag}(X_1, \\dots, X_K)` with :math:`X_k` the
    solution of the same problem on :math:`S_{C_k C_k}`: then
    :math:`W = \\operatorname{diag}(X_k^{-1})` meets the conditions inside each
    block (they are the block's own), and across blocks :math:`W_{ij} = 0`,
    :math:`X_{ij} = 0` and :math:`|0 - S_{ij}| \\le \\lambda` because no edge
    joins different components. The objective is strictly convex, so this
    block-diagonal :math:`X` is *the* solution: entries across components are
    exactly zero, whatever the diagonal of :math:`S`. A one-variable block is
    :math:`\\min_x -\\log x + S_{ii}x`, so :math:`X_{ii} = 1/S_{ii}` (a penalised
    diagonal would give :math:`1/(S_{ii} + \\lambda)` and change
    :math:`W_{ii}` to :math:`S_{ii} + \\lambda`, but not the rule, which involves
    only off-diagonal entries). The ``block_screening`` method, the default
    whenever there are two or more blocks, solves them separately.

    When :math:`X` vanishes across the components, :math:`S + U` is block
    diagonal too (across blocks :math:`U_{ij} = -S_{ij}`), so :meth:`measures`
    computes the same gap block by block: the log-determinants, inverses and
    eigenvalues of the blocks instead of those of the whole matrix.
    An iterate that is not positive definite has infinite objective and optimality.

    References
    ----------
    .. [1] O. Banerjee, L. El Ghaoui and A. d'Aspremont, "Model selection through
       sparse maximum likelihood estimation for multivariate Gaussian or binary
       data", J. Mach. Learn. Res. 9 (2008), 485-516.
    .. [2] J. Friedman, T. Hastie and R. Tibshirani, "Sparse inverse covariance
       estimation with the graphical lasso", Biostatistics 9 (2008), 432-441.
    .. [3] K. Scheinberg, S. Ma and D. Goldfarb, "Sparse inverse covariance selection
       via alternating linearization methods", NIPS 2010.

    Examples
    --------
    >>> import numpy as np
    >>> import optkit
    >>> from optkit.datasets import sics_instance
    >>> from optkit.problems import SparseInverseCovariance
    >>> problem = SparseInverseCovariance(**sics_instance(20, seed=0, lam=0.1))
    >>> res = optkit.solve(problem, tol=1e-8)
    >>> res.success, bool(np.all(np.linalg.eigvalsh(res.x) > 0))
    (True, True)
    """

    optimality_measure = "duality gap / max(1, |objective|)"
    S: Any
    lam: float = field(kw_only=True)
    f: LogDetTrace = field(init=False, repr=False, compare=False)
    g: OffDiagL1 = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        f = LogDetTrace(self.S)
        xp = get_namespace(f.S)
        if not bool(xp.all(xp.linalg.diagonal(f.S) > 0)):
            raise ValueError("S must have a positive diagonal (the problem is unbounded otherwise)")
        lam = check_scalar("lam", self.lam)
        if lam == 0 and not float(xp.linalg.eigvalsh(f.S)[0]) > 0:
            raise ValueError("lam = 0 with a singular S: the problem is unbounded below (no maximum likelihood "
                             "precision exists); take lam > 0")
        object.__setattr__(self, "S", f.S)
        object.__setattr__(self, "lam", lam)
        object.__setattr__(self, "f", f)
        object.__setattr__(self, "g", OffDiagL1(self.lam))

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.S.shape)

    @property
    def default_method(self) -> str:
        """``"block_screening"`` when the screening splits the problem, else ``"alm"`` (the fewest
        eigendecompositions in benchmarks/composite.py; what ``block_screening`` would run on the one
        block, without its outer checks)."""
        return "block_screening" if self.screening_blocks.count > 1 else "alm"

    @cached_property
    def screening_blocks(self) -> ScreeningBlocks:
        """The connected components of the graph :math:`|S_{ij}| > \\lambda`, :math:`i \\ne j`: the
        solution is block diagonal on them (see Notes). Computed once, on the host, by
        :func:`scipy.sparse.csgraph.connected_components`."""
        from scipy.sparse.csgraph import connected_components  # noqa: PLC0415

        xp = self.xp
        edges = np.abs(to_numpy(self.S)) > self.lam
        np.fill_diagonal(edges, False)
        _, labels = connected_components(edges, directed=False)
        sizes = np.bincount(labels)
        order = np.argsort(labels, kind="stable")  # indices grouped by component, ascending within each
        split = np.split(order, np.cumsum(sizes)[:-1])
        groups = tuple(xp.asarray(idx) for idx in split if idx.shape[0] > 1)
        singletons = xp.asarray(np.sort(np.concatenate([idx for idx in split if idx.shape[0] == 1] or
                                                       [np.zeros(0, dtype=order.dtype)])))
        lab = xp.asarray(labels)
        across = xp.reshape(lab, (-1, 1)) != xp.reshape(lab, (1, -1))
        return ScreeningBlocks(groups, singletons, labels, across)

    def initial_point(self) -> Any:
        """:math:`X_0 = \\operatorname{diag}(1/(S_{ii} + \\lambda))`, positive definite."""
        xp = self.xp
        return xp.eye(self.S.shape[0], dtype=self.dtype) / (xp.linalg.diagonal(self.S) + self.lam)

    def measures(self, X: Any, *, dual: Any = None) -> dict[str, float]:
        """``fun``, ``optimality`` (relative duality gap) and ``gap``; computed block by block
        over :attr:`screening_blocks` when ``X`` vanishes across them (see Notes).

        ``dual`` (p x p), optional: a second dual candidate ``U`` from the solver (ALM's multiplier,
        :math:`-\\lambda^k \\in \\partial g(y^k)`). It is made feasible here (symmetrised, clipped to
        :math:`[-\\lambda, \\lambda]`, zero diagonal) and the larger of the two dual values bounds the
        optimum: weak duality holds for every feasible point, so the gap stays a certificate. Near the
        solution the multiplier is a far better dual point than the clipped :math:`X^{-1} - S`
        (on ``sics_instance(200)``, lam = 0.03: relative gap 7.9e-7 against 4.3e-4 after 10 ALM
        iterations, where the objective error is 3.3e-7).
        """
        xp = get_namespace(X)
        p = X.shape[0]
        X = 0.5 * (X + X.T)
        infinite = {"fun": math.inf, "optimality": math.inf, "gap": math.inf}
        blocks = self.screening_blocks if p > 1 else None
        if blocks is not None and blocks.count > 1 and not bool(xp.any(blocks.across & (X != 0))):
            diag = xp.take(xp.linalg.diagonal(X), blocks.singletons)
            if not bool(xp.all(diag > 0)):
                return infinite
            logdet = float(xp.sum(xp.log(diag)))
            lower = float(xp.sum(xp.log(xp.take(xp.linalg.diagonal(self.S), blocks.singletons))))
            for idx in blocks.groups:
                parts = _logdet_and_dual(_principal(X, idx), _principal(self.S, idx), self.lam)
                if parts is None:
                    return infinite
                logdet, lower = logdet + parts[0], lower + parts[1]
        else:
            parts = _logdet_and_dual(X, self.S, self.lam)
            if parts is None:
                return infinite
            logdet, lower = parts
        if dual is not None:
            lower = max(lower, self._dual_value(dual))
        primal = -logdet + float(xp.sum(self.S * X)) + self.g.value(X)
        gap = certified_gap(primal, lower + p, X.dtype, xp) if math.isfinite(lower) else math.inf
        return {"fun": primal, "optimality": gap / max(1.0, abs(primal)), "gap": gap}

    def _dual_value(self, D: Any) -> float:
        """:math:`\\log\\det(S + U)` (without the ``+ p``) at ``U``, ``D`` made dual feasible; ``-inf``
        where :math:`S + U` is not positive definite. Block by block when :math:`S + U` vanishes
        across :attr:`screening_blocks`."""
        xp = get_namespace(D)
        p = D.shape[0]
        W = self.S + xp.clip(0.5 * (D + D.T), min=-self.lam, max=self.lam) * (1.0 - xp.eye(p, dtype=D.dtype))
        blocks = self.screening_blocks if p > 1 else None
        parts = [W]
        if blocks is not None and blocks.count > 1 and not bool(xp.any(blocks.across & (W != 0))):
            parts = [_principal(W, idx) for idx in blocks.groups]
            total = float(xp.sum(xp.log(xp.take(xp.linalg.diagonal(self.S), blocks.singletons))))
        else:
            total = 0.0
        for M in parts:
            w = xp.linalg.eigvalsh(M)
            if not float(xp.min(w)) > 0:
                return -math.inf
            total += float(xp.sum(xp.log(w)))
        return total


def _principal(M: Any, idx: Any) -> Any:
    """The principal submatrix ``M[idx][:, idx]``."""
    xp = get_namespace(M)
    return xp.take(xp.take(M, idx, axis=0), idx, axis=1)
