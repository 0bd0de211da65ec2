"""Convex-concave saddle-point problems :math:`\\min_x \\max_y \\langle Kx, y\\rangle + f(x) - g(y)`.

The family's problems (matrix and sequence-form games, generic bilinear saddles, Fisher
markets, TV-l1 denoising) all expose this canonical form to the methods in
:mod:`optkit.solvers.saddle` through :class:`SaddleProblem`, and each owns its certificate,
the saddle-point residual (duality gap)

.. math:: \\varepsilon(x, y) = \\max_{y'} L(x, y') - \\min_{x'} L(x', y) = P(x) - D(y),
          \\quad P(x) = f(x) + g^*(Kx), \\quad D(y) = -f^*(-K^Ty) - g(y),

made relative by a scale the problem documents (Gao, Kroer & Goldfarb, "Increasing iterate
averaging for solving saddle-point problems", AAAI 2021, arXiv:1903.10646).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .. import kernels
from ..backend import asarray, get_namespace, inner, is_numpy, namespace_by_name, to_numpy
from ..functions.base import Function, check_array, check_scalar
from ..linalg.power import operator_norm
from .base import Problem, certified_gap

__all__ = ["SaddlePoint", "SaddleProblem", "GameProblem", "MatrixGame", "BilinearSaddle", "SequenceFormGame",
           "Treeplex", "GameNode", "FisherMarket", "MarketEquilibrium", "TVL1Denoising"]


class SaddlePoint(NamedTuple):
    """A primal-dual pair: ``x`` the minimising block (row player), ``y`` the maximising one.

    Parameters
    ----------
    x : array
        The minimising block: the row player's strategy, the primal variable of :class:`BilinearSaddle`.
    y : array
        The maximising block: the column player's strategy, the dual variable.

    Examples
    --------
    The ``x`` of a game's result:

    >>> import optkit
    >>> from optkit.problems import MatrixGame, SaddlePoint
    >>> res = optkit.solve(MatrixGame([[0.0, 1.0], [1.0, 0.0]]))
    >>> isinstance(res.x, SaddlePoint), res.x.x.shape, res.x.y.shape
    (True, (2,), (2,))
    """

    x: Any
    y: Any


class SaddleProblem(Problem):
    """Base of the saddle-point problems: the canonical form the methods run on.

    Subclasses implement ``apply_K(x)`` (:math:`Kx`), ``apply_KT(y)`` (:math:`K^Ty`),
    ``prox_x(x_prev, grad, step, geometry)`` (:math:`\\arg\\min_x \\langle grad, x\\rangle + f(x) +
    D(x, x_{prev})/step`), ``prox_y(y_prev, grad, step, geometry)`` (:math:`\\arg\\max_y
    \\langle grad, y\\rangle - g(y) - D(y, y_{prev})/step`), ``lipschitz(geometry)`` (the norm of
    :math:`K` between the norms in which the geometry's distance-generating functions are
    1-strongly convex), ``initial_pair()`` and ``measures(point, Kx=None, KTy=None)``, where
    ``Kx`` and ``KTy`` are the products at the point's blocks when the caller has them.
    ``geometries`` lists the Bregman setups the problem supports.

    Notes
    -----
    The certificate of a pair is the saddle-point residual (duality gap)

    .. math:: \\varepsilon(x, y) = \\max_{y'} L(x, y') - \\min_{x'} L(x', y) = P(x) - D(y),

    :math:`L(x, y) = \\langle Kx, y\\rangle + f(x) - g(y)`, :math:`P(x) = f(x) + g^*(Kx)`,
    :math:`D(y) = -f^*(-K^Ty) - g(y)`, divided by a scale each problem documents; the methods of
    :mod:`optkit.solvers.saddle` report it at their increasingly weighted averages [1]_.

    References
    ----------
    .. [1] Y. Gao, C. Kroer and D. Goldfarb, "Increasing iterate averaging for solving saddle-point
       problems", AAAI 2021, 35(9):7537-7544 (arXiv:1903.10646).

    Examples
    --------
    Every problem of the family is a ``SaddleProblem``, and its ``measures`` give the gap of a pair:

    >>> import numpy as np
    >>> from optkit.problems import MatrixGame, SaddlePoint, SaddleProblem
    >>> game = MatrixGame(np.array([[1.0, -1.0], [-1.0, 1.0]]))
    >>> isinstance(game, SaddleProblem)
    True
    >>> x = y = np.array([0.5, 0.5])
    >>> game.measures(SaddlePoint(x, y))["gap"]
    0.0
    """

    #: The certificate, in one phrase (each problem states its scale).
    optimality_measure: ClassVar[str] = "relative saddle-point residual (duality gap)"
    geometries: ClassVar[tuple[str, ...]] = ("euclidean",)
    default_method: ClassVar[str] = "pdhg"
    #: What ``restart="auto"`` means for this problem (``benchmarks/saddle.py``).
    default_restart: ClassVar[str | None] = "adaptive"
    #: Whether restarts update the primal weight unless the method is told (``adapt_weight=None``).
    adapt_primal_weight: ClassVar[bool] = True
    #: Steps between restart tests and the sufficient decay of the gap that restarts (PDLP's 64 and 0.2).
    restart_every: ClassVar[int] = 64
    restart_sufficient: ClassVar[float] = 0.2

    def initial_pair(self) -> tuple[Any, Any]:
        raise NotImplementedError

    def initial_point(self) -> Any:
        return self.point(*self.initial_pair())

    def start(self, x0: Any) -> tuple[Any, Any]:
        """The pair ``(x, y)`` the methods start from: ``initial_pair()`` or the blocks of a validated ``x0``."""
        return self.initial_pair() if x0 is None else (x0[0], x0[1])

    def point(self, x: Any, y: Any) -> Any:
        """What ``Result.x`` holds for the pair ``(x, y)``."""
        return SaddlePoint(x, y)

    def dual_point(self, x: Any, y: Any) -> Any:
        """What ``Result.dual`` holds (``None`` unless the certificate needs more than ``Result.x``)."""
        return None

    def pair_measures(self, x: Any, y: Any, Kx: Any = None, KTy: Any = None, point: Any = None) -> dict[str, float]:
        """:meth:`measures` of the pair ``(x, y)`` with the products the caller has (and ``point(x, y)`` if it has it)."""
        dual = self.dual_point(x, y)
        extra = {} if dual is None else {"dual": dual}
        return self.measures(self.point(x, y) if point is None else point, Kx=Kx, KTy=KTy, **extra)

    def point_measures(self, x: Any, y: Any, Kx: Any = None, KTy: Any = None) -> tuple[Any, dict[str, float]]:
        """``(point(x, y), pair_measures(x, y, Kx, KTy))``, sharing the work where the problem can."""
        point = self.point(x, y)
        return point, self.pair_measures(x, y, Kx, KTy, point=point)

    def primal_weight(self, geometry: str) -> float:
        """:math:`\\omega` in the step sizes :math:`\\tau = 1/(\\omega L)`, :math:`\\sigma = \\omega/L`
        (PDLP's primal weight): the ratio of the dual to the primal scale."""
        return 1.0

    def primal_step(self, x_prev: Any, y: Any, KTy: Any, step: float, geometry: str,
                    hint: Any = None) -> tuple[Any, Any, float | None, Any]:
        """PDHG's primal half-step from :math:`(x_{prev}, y)`: ``(x, Kx, D(x, x_prev), hint)`` with
        ``x = prox_x(x_prev, KTy, step, geometry)``; the divergence is ``None`` where it is not computed on the way
        (the caller then calls :meth:`divergence_x`). ``KTy`` is ``None`` when :meth:`primal_step_reads_y`.
        ``hint``: what the previous call returned (a warm start that changes the work, never the answer;
        the method keeps it in its state)."""
        x = self.prox_x(x_prev, KTy, step, geometry)
        return x, self.apply_K(x), None, None

    def dual_step(self, y_prev: Any, Kx: Any, Kx_prev: Any, step: float, geometry: str,
                  test: bool = True) -> tuple[Any, float | None, float | None]:
        """PDHG's dual half-step ``y = prox_y(y_prev, 2 Kx - Kx_prev, step, geometry)`` with, when ``test``, the
        pieces of the step-size test: :math:`\\langle Kx - Kx_{prev}, y - y_{prev}\\rangle` and
        :math:`D(y, y_{prev})` (else ``None``)."""
        y = self.prox_y(y_prev, 2.0 * Kx - Kx_prev, step, geometry)
        if not test:
            return y, None, None
        return y, inner(Kx - Kx_prev, y - y_prev), self.divergence_y(y, y_prev, geometry)

    def primal_step_reads_y(self, geometry: str) -> bool:
        """True when :meth:`primal_step` needs only ``y`` (a fused kernel forms :math:`K^Ty` on the fly): PDHG then
        keeps no :math:`K^Ty` in its iterates and averages."""
        return False

    def divergence_x(self, x_new: Any, x_old: Any, geometry: str) -> float:
        """:math:`D(x_{new}, x_{old})` of the geometry (Euclidean: :math:`\\tfrac12\\|x_{new} - x_{old}\\|^2`)."""
        d = x_new - x_old
        return 0.5 * inner(d, d)

    def divergence_y(self, y_new: Any, y_old: Any, geometry: str) -> float:
        """:math:`D(y_{new}, y_{old})` of the geometry (Euclidean: :math:`\\tfrac12\\|y_{new} - y_{old}\\|^2`)."""
        d = y_new - y_old
        return 0.5 * inner(d, d)

    def check_geometry(self, geometry: str) -> None:
        if geometry not in self.geometries:
            raise ValueError(f"geometry {geometry!r} does not apply to {type(self).__name__}; "
                             f"valid: {list(self.geometries)}")

    def objective(self, point: Any) -> float:
        return self.measures(point)["fun"]


def _gap_measures(P: float, D: float, scale: float, v: Any) -> dict[str, float]:
    """fun, optimality, gap and value of a pair with primal value ``P`` and dual value ``D`` computed
    from ``v`` (the gap floored at their rounding in ``v``'s dtype)."""
    gap = certified_gap(P, D, v.dtype, get_namespace(v)) if math.isfinite(P) and math.isfinite(D) else math.inf
    value = 0.5 * (P + D) if math.isfinite(gap) else (P if math.isfinite(P) else D)
    return {"fun": value, "optimality": gap / scale, "gap": gap, "value": value}


def checked_array(name: str, value: Any, ndim: int) -> Any:
    """``check_array`` for input that may still be a list (converted to float64 first); anything that
    does not convert is a ``TypeError`` naming ``name``."""
    if not hasattr(value, "shape"):
        try:
            value = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a real {ndim}-d array, got {type(value).__name__}") from None
    return check_array(name, value, ndim=ndim)


#: Strategy errors up to single-precision rounding are measured at the normalised strategies.
_SINGLE_ROUNDING = math.sqrt(float(np.finfo(np.float32).eps))


def _within_rounding(fn: Function, v: Any) -> Any:
    """``v``, or its projection when ``fn`` is an indicator that ``v`` misses by no more than
    single-precision rounding (:math:`\\sqrt{\\epsilon_{32}}(1 + \\|v\\|)`) while ``fn.value`` finds it
    outside at ``v``'s own precision."""
    if not hasattr(fn, "project") or math.isfinite(fn.value(v)):
        return v
    xp = get_namespace(v)
    if fn.distance(v) <= _SINGLE_ROUNDING * (1.0 + float(xp.linalg.vector_norm(v))):
        return fn.project(v)
    return v


def _simplex_error(xp: Any, v: Any) -> float:
    return abs(float(xp.sum(v)) - 1.0) + max(0.0, -float(xp.min(v)))


def _tiny(v: Any) -> float:
    """The smallest normal number of ``v``'s dtype (a floor for logarithms)."""
    return float(get_namespace(v).finfo(v.dtype).smallest_normal)


def kl_divergence(p: Any, q: Any) -> float:
    """:math:`\\sum_i p_i\\log(p_i/q_i) - p_i + q_i` (generalised KL; terms with :math:`p_i = 0` give :math:`q_i`)."""
    xp = get_namespace(p, q)
    tiny = _tiny(p)
    logs = xp.log(xp.clip(p, min=tiny)) - xp.log(xp.clip(q, min=tiny))
    return float(xp.sum(xp.where(p > 0, p * logs, 0.0) - p + q))


def _softmax_step(xp: Any, v_prev: Any, grad: Any, step: float) -> Any:
    """:math:`\\arg\\min_{v \\in \\Delta} \\langle step\\cdot grad, v\\rangle + \\mathrm{KL}(v \\| v_{prev})`."""
    z = xp.log(xp.clip(v_prev, min=_tiny(v_prev))) - step * grad
    e = xp.exp(z - xp.max(z))
    return e / xp.sum(e)


class GameProblem(SaddleProblem):
    """Shared by the zero-sum games: the gap of a strategy pair is the sum of both players' best-response
    gains, from the two best-response values ``best_responses(A^Tx, Ay)`` (subclasses), over ``payoff_range``;
    pairs off the strategy sets by more than the rounding of their dtype (``strategy_error``) are
    measured at their normalisation (``normalized``) when within single-precision rounding
    (:math:`\\sqrt{\\epsilon_{32}}`: a float32 answer re-certified in float64), and have an infinite gap
    beyond it.

    Notes
    -----
    For :math:`\\min_{x \\in X}\\max_{y \\in Y} x^TAy` the gap of a pair is
    :math:`\\max_{y'} x^TAy' - \\min_{x'} x'^TAy`, the sum of both players' best-response gains (NashConv);
    ``tol`` applies to it divided by ``payoff_range``. The games are the zero-sum benchmarks of the
    increasing-averaging paper [1]_.

    References
    ----------
    .. [1] Y. Gao, C. Kroer and D. Goldfarb, "Increasing iterate averaging for solving saddle-point
       problems", AAAI 2021, 35(9):7537-7544 (arXiv:1903.10646).

    Examples
    --------
    Matrix and sequence-form games share the certificate:

    >>> import numpy as np
    >>> from optkit.problems import GameProblem, MatrixGame, SaddlePoint
    >>> game = MatrixGame(np.array([[0.0, 2.0], [1.0, 0.0]]))
    >>> isinstance(game, GameProblem), game.payoff_range
    (True, 2.0)
    >>> pure = SaddlePoint(np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    >>> game.measures(pure)["gap"]   # the column player gains 2 by switching, the row player nothing
    2.0
    """

    payoff_range: float
    optimality_measure: ClassVar[str] = "NashConv (sum of both best-response gains) / payoff range"

    def measures(self, point: Any, Kx: Any = None, KTy: Any = None) -> dict[str, float]:
        x, y = point
        xp = get_namespace(x, y)
        error = self.strategy_error(x, y)
        if error > math.sqrt(float(xp.finfo(x.dtype).eps)):
            if error > _SINGLE_ROUNDING:
                value = float(x @ self.apply_KT(y))
                return {"fun": value, "optimality": math.inf, "gap": math.inf, "value": value}
            x, y = self.normalized(x, y)
            Kx = KTy = None
        ATx = self.apply_K(x) if Kx is None else Kx
        Ay = self.apply_KT(y) if KTy is None else KTy
        return _gap_measures(*self.best_responses(ATx, Ay), self.payoff_range, x)


@dataclass(frozen=True)
class MatrixGame(GameProblem):
    """A two-player zero-sum matrix game :math:`\\min_{x \\in \\Delta_n}\\max_{y \\in \\Delta_m} x^TAy`.

    ``x`` is the row player's mixed strategy (minimising :math:`x^TAy`), ``y`` the column
    player's. In the canonical form :math:`K = A^T`, and ``f``, ``g`` are the simplex indicators.

    Parameters
    ----------
    A : array, shape (n, m)
        Payoff matrix (the row player's loss), finite.

    Notes
    -----
    The gap of a pair is :math:`\\max_j (A^Tx)_j - \\min_i (Ay)_i` (two mat-vecs); ``tol`` applies
    to it divided by the payoff range :math:`\\max A - \\min A`, so it is unchanged by shifting or
    scaling the payoffs. ``fun`` and the ``value`` measure are the midpoint of the two bounds, within
    ``gap / 2`` of the game value. Points off the simplices (beyond rounding) have an infinite gap.
    ``geometry="entropy"`` uses the KL divergence (multiplicative weights) with :math:`L = \\max|A_{ij}|`;
    ``"euclidean"`` the simplex projection with :math:`L = \\|A\\|_2` (power iteration).
    Matrix games with uniform, normal and lognormal payoffs are the first experiments of the
    increasing-averaging paper [1]_.

    References
    ----------
    .. [1] Y. Gao, C. Kroer and D. Goldfarb, "Increasing iterate averaging for solving saddle-point
       problems", AAAI 2021, 35(9):7537-7544 (arXiv:1903.10646).

    Examples
    --------
    A random 20 x 20 game (:func:`optkit.datasets.random_matrix_game`), solved by PDHG with
    increasing averaging:

    >>> import optkit
    >>> from optkit.datasets import random_matrix_game
    >>> from optkit.problems import MatrixGame
    >>> game = MatrixGame(random_matrix_game(20, seed=0))
    >>> res = optkit.solve(game, tol=1e-6)
    >>> res.method, res.success, round(res.fun, 4)
    ('pdhg', True, 0.5288)
    >>> bool(res.gap <= 1e-6 * game.payoff_range)
    True
    """

    A: Any
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    geometries: ClassVar[tuple[str, ...]] = ("euclidean", "entropy")
    default_restart: ClassVar[str | None] = None
    optimality_measure: ClassVar[str] = "duality gap / payoff range (max A - min A)"

    def __post_init__(self) -> None:
        A = checked_array("A", self.A, 2)
        if A.shape[0] == 0 or A.shape[1] == 0:
            raise ValueError(f"A must be non-empty, got shape {tuple(A.shape)}")
        object.__setattr__(self, "A", A)
        xp = get_namespace(A)
        spread = float(xp.max(A)) - float(xp.min(A))
        object.__setattr__(self, "payoff_range", spread if spread > 0 else 1.0)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.A.shape)

    def initial_pair(self) -> tuple[Any, Any]:
        xp, (n, m) = self.xp, self.shape
        return xp.full((n,), 1.0 / n, dtype=self.dtype), xp.full((m,), 1.0 / m, dtype=self.dtype)

    def apply_K(self, x: Any) -> Any:
        return x @ self.A

    def apply_KT(self, y: Any) -> Any:
        return self.A @ y

    def prox_x(self, x_prev: Any, grad: Any, step: float, geometry: str) -> Any:
        if geometry == "entropy":
            return _softmax_step(get_namespace(x_prev), x_prev, grad, step)
        return kernels.project_simplex(x_prev - step * grad)

    def prox_y(self, y_prev: Any, grad: Any, step: float, geometry: str) -> Any:
        return self.prox_x(y_prev, -grad, step, geometry)

    def divergence_x(self, x_new: Any, x_old: Any, geometry: str) -> float:
        if geometry == "entropy":
            return kl_divergence(x_new, x_old)
        return super().divergence_x(x_new, x_old, geometry)

    def divergence_y(self, y_new: Any, y_old: Any, geometry: str) -> float:
        return self.divergence_x(y_new, y_old, geometry)

    def lipschitz(self, geometry: str) -> float:
        if geometry not in self._cache:
            xp = self.xp
            if geometry == "entropy":
                self._cache[geometry] = float(xp.max(xp.abs(self.A)))
            else:
                self._cache[geometry] = operator_norm(self.apply_K, self.apply_KT, xp.ones_like(self.A[:, 0]))
        return self._cache[geometry]

    def strategy_error(self, x: Any, y: Any) -> float:
        xp = get_namespace(x, y)
        return max(_simplex_error(xp, x), _simplex_error(xp, y))

    def normalized(self, x: Any, y: Any) -> tuple[Any, Any]:
        """The pair with negative entries clipped to 0 and rescaled onto the simplices."""
        xp = get_namespace(x, y)
        x, y = xp.clip(x, min=0.0), xp.clip(y, min=0.0)
        return x / xp.sum(x), y / xp.sum(y)

    def best_responses(self, ATx: Any, Ay: Any) -> tuple[float, float]:
        xp = get_namespace(ATx, Ay)
        return float(xp.max(ATx)), float(xp.min(Ay))

    def to_cvxpy(self) -> tuple[Any, Any]:
        """Both players' LPs side by side: :math:`\\min t - s` s.t. :math:`A^Tx \\le t`, :math:`Ay \\ge s`,
        ``x``, ``y`` in the simplices. Its value is the gap, 0; the variables are ``[x, y]``."""
        import cvxpy as cp  # noqa: PLC0415

        A = np.asarray(to_numpy(self.A), dtype=float)
        x, y = cp.Variable(A.shape[0], nonneg=True), cp.Variable(A.shape[1], nonneg=True)
        t, s = cp.Variable(), cp.Variable()
        cons = [A.T @ x <= t, A @ y >= s, cp.sum(x) == 1, cp.sum(y) == 1]
        return cp.Problem(cp.Minimize(t - s), cons), [x, y]


def _linear_operator(K: Any) -> bool:
    return type(K).__name__.endswith("LinearOperator") or (hasattr(K, "matvec") and hasattr(K, "rmatvec"))


def _sparse(K: Any) -> bool:
    return type(K).__module__.startswith("scipy.sparse") and not _linear_operator(K)


@dataclass(frozen=True)
class BilinearSaddle(SaddleProblem):
    """:math:`\\min_x \\max_y \\langle Kx, y\\rangle + f(x) - g(y)`, PDHG's canonical form.

    Parameters
    ----------
    K : array, scipy sparse matrix or scipy LinearOperator, shape (m, n)
        The coupling; sparse matrices and operators run on NumPy.
    f, g : Function
        Convex terms with ``prox`` and a closed-form ``conjugate`` (``Box``, ``Simplex``,
        ``L1Ball``, ``L1Norm`` ...), on vectors of length ``n`` and ``m``.
    scale : float, optional
        What the gap is divided by to give the optimality measure; default
        :math:`\\max(1, |P(x)|, |D(y)|)`.

    Notes
    -----
    The certificate is the gap :math:`P(x) - D(y)` with :math:`P(x) = f(x) + g^*(Kx)` and
    :math:`D(y) = -f^*(-K^Ty) - g(y)`; it is finite when the conjugates are at the point (always
    for terms with bounded domains). The default scale keeps the measure absolute for problems
    whose values are below 1 in magnitude (the house convention of ``validate``); pass ``scale``
    for scale-free tolerances. A point that an indicator term finds outside its set at the point's own
    precision but within single-precision rounding (a float32 answer re-certified in float64) is
    measured at its projection. The steps and the certificate follow Chambolle and Pock [1]_;
    the methods average the iterates with increasing weights [2]_.

    References
    ----------
    .. [1] A. Chambolle and T. Pock, "A first-order primal-dual algorithm for convex problems with
       applications to imaging", J. Math. Imaging Vis. 40 (2011), 120-145.
    .. [2] Y. Gao, C. Kroer and D. Goldfarb, "Increasing iterate averaging for solving saddle-point
       problems", AAAI 2021, 35(9):7537-7544 (arXiv:1903.10646).

    Examples
    --------
    An l1-constrained bilinear game, :math:`\\min_{\\|x\\|_1 \\le 1}\\max_{y \\in [-1, 1]^m} \\langle Kx,
    y\\rangle`, whose value is 0 at :math:`x = 0`:

    >>> import numpy as np
    >>> import optkit
    >>> from optkit.functions import Box, L1Ball
    >>> from optkit.problems import BilinearSaddle
    >>> K = np.random.default_rng(0).standard_normal((6, 4))
    >>> problem = BilinearSaddle(K, L1Ball(1.0), Box(-1.0, 1.0))
    >>> res = optkit.solve(problem, tol=1e-6)
    >>> res.success, bool(abs(res.fun) <= 1e-5)
    (True, True)
    """

    optimality_measure: ClassVar[str] = "duality gap / scale (default max(1, |P(x)|, |D(y)|))"
    K: Any
    f: Function
    g: Function
    scale: float | None = None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        K = self.K
        if not (_linear_operator(K) or _sparse(K)):
            K = checked_array("K", K, 2)
        elif len(K.shape) != 2:
            raise ValueError(f"K must be 2-dimensional, got shape {tuple(K.shape)}")
        if 0 in tuple(K.shape):
            raise ValueError(f"K must have at least one row and one column, got shape {tuple(K.shape)}")
        object.__setattr__(self, "K", K)
        for name in ("f", "g"):
            fn = getattr(self, name)
            if not isinstance(fn, Function):
                raise TypeError(f"{name} must be an optkit.functions.Function, got {type(fn).__name__}")
            if type(fn).conjugate is Function.conjugate:
                raise TypeError(f"{name} ({type(fn).__name__}) has no closed-form conjugate, which the gap needs")
        if self.scale is not None:
            object.__setattr__(self, "scale", check_scalar("scale", self.scale, positive=True))

    def arrays(self) -> dict[str, Any]:
        out = {f"f.{k}": v for k, v in self.f.arrays().items()}
        out.update({f"g.{k}": v for k, v in self.g.arrays().items()})
        if not (_linear_operator(self.K) or _sparse(self.K)):
            out["K"] = self.K
        return out

    @property
    def xp(self) -> Any:
        if "K" in self.arrays():
            return get_namespace(self.K)
        return namespace_by_name("numpy")

    @property
    def dtype(self) -> Any:
        return self.K.dtype

    def to(self, xp: Any) -> "BilinearSaddle":
        K = self.K
        if _linear_operator(K) or _sparse(K):
            if is_numpy(xp):
                return self
            K = K @ np.eye(K.shape[1]) if _linear_operator(K) else K.toarray()
        return BilinearSaddle(asarray(to_numpy(K), xp=xp), self.f.to(xp), self.g.to(xp), self.scale)

    def initial_pair(self) -> tuple[Any, Any]:
        xp, (m, n) = self.xp, self.K.shape
        return (self.f.prox(xp.zeros((n,), dtype=self.dtype), 1.0), self.g.prox(xp.zeros((m,), dtype=self.dtype), 1.0))

    def apply_K(self, x: Any) -> Any:
        return self.K.matvec(x) if _linear_operator(self.K) else self.K @ x

    def apply_KT(self, y: Any) -> Any:
        return self.K.rmatvec(y) if _linear_operator(self.K) else self.K.T @ y

    def prox_x(self, x_prev: Any, grad: Any, step: float, geometry: str) -> Any:
        return self.f.prox(x_prev - step * grad, step)

    def prox_y(self, y_prev: Any, grad: Any, step: float, geometry: str) -> Any:
        return self.g.prox(y_prev + step * grad, step)

    def lipschitz(self, geometry: str) -> float:
        if "L" not in self._cache:
            x0 = self.xp.ones((self.K.shape[1],), dtype=self.dtype)
            self._cache["L"] = operator_norm(self.apply_K, self.apply_KT, x0)
        return self._cache["L"]

    def measures(self, point: Any, Kx: Any = None, KTy: Any = None) -> dict[str, float]:
        x, y = point
        x_in, y_in = _within_rounding(self.f, x), _within_rounding(self.g, y)
        if x_in is not x or y_in is not y:   # a float32 answer re-certified in float64
            x, y, Kx, KTy = x_in, y_in, None, None
        Kx = self.apply_K(x) if Kx is None else Kx
        KTy = self.apply_KT(y) if KTy is None else KTy
        P = self.f.value(x) + self.g.conjugate(Kx)
        D = -self.f.conjugate(-KTy) - self.g.value(y)
        scale = self.scale if self.scale is not None else max(1.0, abs(P) if math.isfinite(P) else 0.0,
                                                                abs(D) if math.isfinite(D) else 0.0)
        out = _gap_measures(P, D, scale, x)
        if not math.isfinite(out["fun"]):
            out["fun"] = out["value"] = float(get_namespace(x).vecdot(Kx, y)) + self.f.value(x) - self.g.value(y)
        return out

    def to_cvxpy(self) -> tuple[Any, Any]:
        """The primal and dual problems side by side, :math:`\\min_{x, y} P(x) - D(y)` (value 0);
        variables ``[x, y]``."""
        import cvxpy as cp  # noqa: PLC0415

        K = self.K
        if _linear_operator(K):
            K = K @ np.eye(K.shape[1])
        K = K.toarray() if _sparse(K) else np.asarray(to_numpy(K), dtype=float)
        x, y = cp.Variable(K.shape[1]), cp.Variable(K.shape[0])
        terms = [self.f.to_cvxpy(x), self.g.conjugate_cvxpy(K @ x), self.f.conjugate_cvxpy(-K.T @ y),
                 self.g.to_cvxpy(y)]
        return cp.Problem(cp.Minimize(sum(e for e, _ in terms)), [c for _, cs in terms for c in cs]), [x, y]


from ._saddle_game import SequenceFormGame  # noqa: E402  (the other problems of the family)
from ._saddle_treeplex import GameNode, Treeplex  # noqa: E402
from ._saddle_market import FisherMarket, MarketEquilibrium  # noqa: E402
from ._saddle_tvl1 import TVL1Denoising  # noqa: E402
