"""Robust low-rank tensor recovery (HoRPCA): singleton and mixture models, constrained and penalized.

Reference: D. Goldfarb and Z. Qin, "Robust low-rank tensor recovery: models and
algorithms", SIAM J. Matrix Anal. Appl. 35 (2014), arXiv:1311.6182; the square
reshaping from C. Mu, B. Huang, J. Wright and D. Goldfarb, "Square Deal: lower bounds
and improved relaxations for tensor recovery", ICML 2014.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..backend import get_namespace, inner, to_numpy
from ..functions.base import check_array, check_magnitude, check_scalar
from ..linalg.matricization import (Matricization, mode_unfoldings, square_matricization, tucker_factors,
                                    tucker_project, tucker_tangent_project)
from ._tensor_records import MixtureSplit, RankConstrainedDual, TensorSplit, TensorStart
from .base import Problem, _like_template, keyword_weights, mask_type_error

__all__ = ["RobustTensorRecovery", "TensorSplit", "MixtureSplit", "RankConstrainedDual", "TensorStart"]

#: Largest tensor (entries) that :meth:`RobustTensorRecovery.to_cvxpy` builds: CVXPY lifts every
#: nuclear norm to a semidefinite cone, whose size explodes beyond small tensors.
CVXPY_MAX_SIZE = 4096

MODELS = ("singleton", "mixture")
FORMULATIONS = ("constrained", "penalized")
NORMS = ("snn", "square")
_TINY = 1e-300


@keyword_weights
@dataclass(frozen=True)
class RobustTensorRecovery(Problem):
    """Recover a low-Tucker-rank tensor from gross sparse corruptions and missing entries.

    With :math:`\\mathcal{T}\\in\\mathbb{R}^{n_1\\times\\cdots\\times n_N}`, the observed set
    :math:`\\Omega` (``mask``) and :math:`P_\\Omega` the restriction to it, the singleton model
    (HoRPCA-S) of Goldfarb & Qin [1]_ is

    .. math::
        \\min_{\\mathcal{X},\\mathcal{E}}\\; g(\\mathcal{X},\\mathcal{E}) = \\sum_{k=1}^K \\|M_k(\\mathcal{X})\\|_*
        + \\lambda\\|\\mathcal{E}\\|_1
        \\quad\\text{s.t.}\\quad P_\\Omega(\\mathcal{X} + \\mathcal{E}) = P_\\Omega(\\mathcal{T})

    (``formulation="constrained"``), or its Lagrangian form (``"penalized"``)

    .. math::
        \\min\\; \\tfrac12\\|P_\\Omega(\\mathcal{X} + \\mathcal{E} - \\mathcal{T})\\|_F^2
        + \\alpha\\, g(\\mathcal{X},\\mathcal{E}),

    with :math:`M_k` the mode-k unfoldings (:math:`K = N`, the sum of nuclear norms ``"snn"``)
    or the most balanced matricization (``norm="square"``, :math:`K = 1`, Square Deal: far
    fewer observations for N >= 4 [2]_). The mixture model (HoRPCA-M) writes
    :math:`\\mathcal{X} = \\sum_k \\mathcal{X}_k` with each :math:`\\mathcal{X}_k` low-rank in its
    own mode only: :math:`g = \\sum_k \\|M_k(\\mathcal{X}_k)\\|_* + \\lambda\\|\\mathcal{E}\\|_1`.

    Parameters
    ----------
    T : array, shape (n_1, ..., n_N), N >= 2
        The observed tensor. Entries outside ``mask`` are ignored (they may be NaN).
    mask : bool array of T's shape, optional
        ``True`` where the entry is observed. ``None``: all observed.
    lam : float, optional
        Weight :math:`\\lambda > 0` of the l1 term (keyword only, like every parameter after
        ``mask``). Default :math:`1/\\sqrt{\\max_i n_i}` for the
        singleton sum of nuclear norms (Goldfarb & Qin's phase-transition setting, rRatio = 1),
        :math:`2/\\max_i(\\sqrt{n_i} + \\sqrt{N/n_i})` for the mixture, :math:`N = \\prod_i n_i`
        (its dual ball is :math:`\\max_i\\|M_i(Y)\\|_2 \\le 1`, and a random sparse sign tensor's
        ``n_i x N/n_i`` unfolding has spectral norm about :math:`\\sqrt{n_i} + \\sqrt{N/n_i}` times its
        entries' standard deviation; the constant 2 measured on ``planted_mixture`` instances with
        10% corruptions, where it recovers the tensor from 30^3 to 80^3 and any constant times
        :math:`1/\\sqrt{\\max_i n_i}` fails at one end; ``docs/tensor.md``, Limits),
        and :math:`1/\\sqrt{\\max(m, n)}` for the ``m x n`` square matricization; with a fraction
        :math:`\\rho` of the entries observed, each is divided by :math:`\\sqrt{\\rho}` (Candes, Li,
        Ma & Wright 2011: :math:`\\lambda = 1/\\sqrt{\\rho n}` for robust PCA with missing entries).
    model : {"singleton", "mixture"}
        One low-rank tensor, or a sum of components each low-rank in one mode.
    formulation : {"constrained", "penalized"}
        Data fitted exactly on the observed entries, or by a least-squares term.
    norm : {"snn", "square"}
        Sum of the nuclear norms of the N unfoldings, or the Square Deal norm (N >= 4,
        singleton model only).
    alpha : float, optional
        Weight :math:`\\alpha > 0` of the regularizer in the penalized formulation (required
        there, ignored otherwise). With noise of standard deviation :math:`\\sigma` per entry,
        :math:`\\alpha \\approx \\sigma\\sqrt{\\prod_{j\\ne i} n_j}` balances the fit.

    Notes
    -----
    ``Result.x`` is a :class:`TensorSplit` ``(X, E)`` (a :class:`MixtureSplit`
    ``(X, E, parts)`` for the mixture model). The certificate (:meth:`measures`) is a relative
    duality gap built from a dual point, together with the relative infeasibility of the data
    constraint in the constrained formulation; ``Result.dual`` carries the dual candidate it
    was built from, so ``problem.measures(res.x, dual=res.dual)`` reproduces
    ``res.optimality``.

    References
    ----------
    .. [1] D. Goldfarb and Z. Qin, "Robust low-rank tensor recovery: models and algorithms",
       SIAM J. Matrix Anal. Appl. 35 (2014), 225-253.
    .. [2] C. Mu, B. Huang, J. Wright and D. Goldfarb, "Square Deal: lower bounds and improved
       relaxations for tensor recovery", ICML 2014.

    Examples
    --------
    A planted rank-(2, 2, 2) tensor with 5% gross corruptions, recovered exactly:

    >>> import math
    >>> import optkit
    >>> from optkit.datasets import planted_tucker, relative_error
    >>> from optkit.problems import RobustTensorRecovery
    >>> planted = planted_tucker((10, 10, 10), 2, corruption=0.05, seed=1)
    >>> problem = RobustTensorRecovery(planted.T, lam=2 / math.sqrt(10))
    >>> res = optkit.solve(problem)
    >>> res.method, res.success, bool(relative_error(res.x.X, planted.X) < 1e-4)
    ('adal', True, True)
    """

    optimality_measure = ("relative duality gap (and relative infeasibility, constrained); "
                          "first-order stationarity for adal_ncx")
    T: Any
    mask: Any = None
    lam: float | None = field(default=None, kw_only=True)
    model: str = field(default="singleton", kw_only=True)
    formulation: str = field(default="constrained", kw_only=True)
    norm: str = field(default="snn", kw_only=True)
    alpha: float | None = field(default=None, kw_only=True)
    matricizations: tuple = field(init=False, repr=False, compare=False)
    norm_T: float = field(init=False, repr=False, compare=False)   # ||P_Omega T||_F, the scale of the data

    def __post_init__(self) -> None:
        T = check_array("T", self.T, finite=False)
        xp = get_namespace(T)
        if T.ndim < 2 or any(n == 0 for n in T.shape):
            raise ValueError(f"T must be a non-empty N-way array with N >= 2, got shape {tuple(T.shape)}")
        for name, value, allowed in (("model", self.model, MODELS), ("formulation", self.formulation, FORMULATIONS),
                                     ("norm", self.norm, NORMS)):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        if self.norm == "square":
            if T.ndim < 4:
                raise ValueError(f"norm='square' needs an N-way tensor with N >= 4 (it equals a single unfolding "
                                 f"for N = 3, where it gains nothing); T has shape {tuple(T.shape)}, use norm='snn'")
            if self.model == "mixture":
                raise ValueError("norm='square' applies to the singleton model; model='mixture' uses one "
                                 "unfolding per component")
        mask = self.mask
        if mask is not None:
            try:
                mxp = get_namespace(mask)
            except TypeError:
                raise mask_type_error(mask) from None
            if mxp is not xp and type(mask) is not type(T):
                raise TypeError("mask must be an array of the same library as T")
            if tuple(mask.shape) != tuple(T.shape):
                raise ValueError(f"mask must have the shape of T {tuple(T.shape)}, got {tuple(mask.shape)}")
            if mask.dtype != xp.bool:
                if not bool(xp.all((mask == 0) | (mask == 1))):
                    raise ValueError("mask must be boolean (or hold only 0 and 1)")
                mask = mask != 0
            if not bool(xp.any(mask)):
                raise ValueError("mask observes no entry")
            if bool(xp.all(mask)):
                mask = None
        if mask is None:
            if not bool(xp.all(xp.isfinite(T))):
                raise ValueError("T contains NaN or infinite entries (mark missing entries with mask=)")
        else:
            if not bool(xp.all(xp.isfinite(xp.where(mask, T, xp.zeros_like(T))))):
                raise ValueError("T contains NaN or infinite entries on the observed set (mask)")
            T = xp.where(mask, T, xp.zeros_like(T))  # unobserved entries never enter the model
        check_magnitude("T", T)
        shape = tuple(int(n) for n in T.shape)
        mats = (square_matricization(shape),) if self.norm == "square" else mode_unfoldings(shape)
        if self.lam is None:
            big = max(mats[0].matrix_shape) if self.norm == "square" else max(shape)
            # with a fraction rho of the entries observed, 1/sqrt(rho n) (Candes, Li, Ma & Wright 2011,
            # robust PCA with missing entries)
            rho = 1.0 if mask is None else float(xp.sum(xp.astype(mask, xp.float64))) / math.prod(shape)
            if self.model == "mixture":
                # the dual ball is max_k ||M_k(Y)||_2 <= 1, and a sparse sign tensor's n_k x (N / n_k)
                # unfolding has spectral norm ~ sqrt(n_k) + sqrt(N / n_k) per unit of standard deviation
                total = math.prod(shape)
                lam = 2.0 / (math.sqrt(rho) * max(math.sqrt(n) + math.sqrt(total / n) for n in shape))
            else:
                lam = 1.0 / math.sqrt(rho * big)
        else:
            lam = check_scalar("lam", self.lam, positive=True)
        if self.formulation == "penalized":
            if self.alpha is None:
                raise ValueError("alpha is required with formulation='penalized' (the weight of the regularizer)")
            alpha = check_scalar("alpha", self.alpha, positive=True)
        else:
            alpha = None if self.alpha is None else check_scalar("alpha", self.alpha, positive=True)
        object.__setattr__(self, "T", T)
        object.__setattr__(self, "mask", mask)
        object.__setattr__(self, "lam", lam)
        object.__setattr__(self, "alpha", alpha)
        object.__setattr__(self, "matricizations", mats)
        object.__setattr__(self, "norm_T", float(xp.linalg.vector_norm(T)))

    # ------------------------------------------------------------------ structure (capabilities)
    @property
    def default_method(self) -> str:  # type: ignore[override]
        return "adal"

    @property
    def shape(self) -> tuple:
        return tuple(self.T.shape)

    @property
    def penalized(self) -> bool:
        """The Lagrangian (penalized) formulation; otherwise the data constraint is exact."""
        return self.formulation == "penalized"

    @property
    def mixture(self) -> bool:
        """The mixture model: one component per matricization, ``X`` their sum."""
        return self.model == "mixture"

    @property
    def fully_observed(self) -> bool:
        """Every entry of ``T`` observed (no mask)."""
        return self.mask is None

    @property
    def n_blocks(self) -> int:
        """Number of low-rank blocks K: one per matricization."""
        return len(self.matricizations)

    @property
    def weight(self) -> float:
        """:math:`\\beta`, the weight of the regularizer: ``alpha`` (penalized) or 1 (constrained)."""
        return self.alpha if self.penalized else 1.0

    @property
    def dual_shape(self) -> tuple | None:
        """Shape of the dual candidate :meth:`measures` takes, ``None`` where the residual is the
        dual point and no candidate is needed (penalized mixture, penalized single matricization).

        Singleton model: ``(K,) + T.shape``, the stacked :math:`W_k` (see :meth:`measures`);
        constrained mixture: ``T.shape``, the multiplier :math:`\\mathcal{Y}/\\beta` itself."""
        if self.mixture:
            return None if self.penalized else self.shape
        if self.penalized and self.n_blocks == 1:
            return None
        return (self.n_blocks,) + self.shape

    def observed(self, X: Any) -> Any:
        """:math:`P_\\Omega(X)`: ``X`` with the unobserved entries set to zero."""
        if self.mask is None:
            return X
        xp = get_namespace(X)
        return xp.where(self.mask, X, xp.zeros_like(X))

    def package(self, X: Any, E: Any, parts: Any = None) -> TensorSplit | MixtureSplit:
        """The solution tuple of this model."""
        if self.mixture:
            xp = get_namespace(X)
            return MixtureSplit(X, E, xp.stack(list(parts)) if isinstance(parts, (list, tuple)) else parts)
        return TensorSplit(X, E)

    # ------------------------------------------------------------------ starting points
    def initial_point(self) -> TensorSplit | MixtureSplit:
        """``X = 0`` with ``E = P_Omega T`` (constrained: feasible) or ``E = 0`` (penalized)."""
        xp = get_namespace(self.T)
        zero = xp.zeros_like(self.T)
        E = zero if self.penalized else self.T
        return self.package(zero, E, xp.zeros((self.n_blocks,) + self.shape, dtype=self.T.dtype))

    def check_x0(self, x0: Any) -> TensorStart:
        """Validate a starting point; returns a :class:`TensorStart` (copies, in T's namespace and dtype).

        Accepted layouts: ``X``; ``(X, E)`` or a :class:`TensorSplit`; ``(X, E, parts)`` or a
        :class:`MixtureSplit` (mixture model only; ``X`` is then taken as the sum of ``parts``); and
        ``(point, dual)`` with ``point`` one of those tuples and ``dual`` what a Result carries
        (``res.dual``: an array of :attr:`dual_shape` or a :class:`RankConstrainedDual`), to
        restart at a previous answer with its multipliers. Missing pieces default to
        ``E = P_Omega(T - X)`` (constrained) or 0 (penalized) and ``parts = X / K``.
        """
        xp = get_namespace(self.T)
        dual = None
        if isinstance(x0, tuple) and len(x0) == 2 and isinstance(x0[0], tuple):
            x0, dual = x0
        if isinstance(x0, tuple):   # a list is an array (nested lists), not a layout
            if len(x0) not in (2, 3) or (len(x0) == 3 and not self.mixture):
                raise TypeError(f"x0 must be X, (X, E){', (X, E, parts)' if self.mixture else ''} or "
                                f"(point, dual), got a tuple of {len(x0)}")
            X, E = _like_template("x0.X", x0[0], self.T), _like_template("x0.E", x0[1], self.T)
            parts = x0[2] if len(x0) == 3 else None
        else:
            X, E, parts = _like_template("x0", x0, self.T), None, None
        if E is None:
            E = xp.zeros_like(self.T) if self.penalized else self.observed(self.T - X)
        if self.mixture:
            K = self.n_blocks
            if parts is None:
                parts = xp.stack([X / K] * K)
            else:   # the components define X
                parts = _like_template("x0.parts", parts, xp.zeros((K,) + self.shape, dtype=self.T.dtype))
                X = xp.sum(parts, axis=0)
        return TensorStart(X, E, parts, None if dual is None else self._check_dual(dual))

    def _check_dual(self, dual: Any) -> Any:
        xp = get_namespace(self.T)
        if isinstance(dual, RankConstrainedDual):
            if self.mixture or self.penalized or not self.fully_observed:
                raise ValueError("a RankConstrainedDual applies to the singleton constrained model with every "
                                 "entry observed")
            ranks = tuple(dual.ranks)
            if len(ranks) != self.n_blocks or not all(isinstance(r, int) and r >= 1 for r in ranks):
                raise ValueError(f"dual.ranks must be {self.n_blocks} positive ints, got {dual.ranks!r}")
            template = xp.zeros((self.n_blocks,) + self.shape, dtype=self.T.dtype)
            return RankConstrainedDual(_like_template("dual.W", dual.W, template), ranks)
        if self.dual_shape is None:
            return None   # the residual is the dual point: nothing to carry
        return _like_template("dual", dual, xp.zeros(self.dual_shape, dtype=self.T.dtype))

    # ------------------------------------------------------------------ values
    def regularizer(self, x: Any) -> float:
        """:math:`g`: :math:`\\sum_k \\|M_k(\\cdot)\\|_* + \\lambda\\|E\\|_1` at ``x``."""
        xp = get_namespace(x[0])
        if self.mixture:
            parts = x[2]
            nuc = sum(m.nuclear_norm(parts[k, ...]) for k, m in enumerate(self.matricizations))
        else:
            nuc = sum(m.nuclear_norm(x[0]) for m in self.matricizations)
        return nuc + self.lam * float(xp.sum(xp.abs(x[1])))

    def fit(self, x: Any) -> float:
        """:math:`\\|P_\\Omega(X + E - T)\\|_F`."""
        xp = get_namespace(x[0])
        return float(xp.linalg.vector_norm(self.observed(x[0] + x[1] - self.T)))

    def objective(self, x: Any) -> float:
        """The model's objective at ``x = (X, E)`` (``(X, E, parts)`` for the mixture).

        For the constrained formulation this is the regularizer alone; the data constraint is
        measured separately (``infeasibility`` in :meth:`measures`).
        """
        reg = self.regularizer(x)
        if self.penalized:
            return 0.5 * self.fit(x) ** 2 + self.alpha * reg
        return reg

    # ------------------------------------------------------------------ certificate
    def measures(self, x: Any, *, dual: Any = None) -> dict[str, float]:
        """``fun``, ``optimality``, ``gap`` and (constrained) ``infeasibility`` at ``x``.

        **Dual.** With :math:`\\beta` the regularizer's weight (:attr:`weight`), the dual of the
        convex model is, over :math:`\\mathcal{Y}` supported on :math:`\\Omega`,

        .. math::
            \\max_{\\mathcal{Y}}\\; D(\\mathcal{Y}) = \\langle\\mathcal{Y}, \\mathcal{T}\\rangle
            \\;\\big(-\\tfrac12\\|\\mathcal{Y}\\|_F^2 \\text{ if penalized}\\big)
            \\quad\\text{s.t.}\\quad \\|\\mathcal{Y}\\|_\\infty \\le \\beta\\lambda,\\;
            \\mathcal{Y} \\in \\beta\\,\\mathcal{B},

        with :math:`\\mathcal{B} = \\{\\sum_k M_k^*(W_k): \\|W_k\\|_2 \\le 1\\}` (singleton: the unit
        ball of the dual norm of :math:`\\sum_k\\|M_k\\cdot\\|_*`) or
        :math:`\\mathcal{B} = \\{\\mathcal{Y}: \\|M_k(\\mathcal{Y})\\|_2 \\le 1\\ \\forall k\\}` (mixture:
        every component sees the same multiplier). Weak duality gives
        :math:`f(x) - D(\\mathcal{Y}) \\ge f(x) - f^\\star` for every feasible :math:`x` and every
        dual-feasible :math:`\\mathcal{Y}`; at a solution the multiplier of the data constraint
        (constrained) or :math:`-P_\\Omega(X + E - T)` (penalized) closes the gap.

        **Dual point.** A direction :math:`\\mathcal{Y}_0` (in units of :math:`\\beta`) is made
        feasible by clipping and scaling, so the bound holds at any iterate:

        - penalized: :math:`\\mathcal{Y}_0 = -P_\\Omega(X + E - T)/\\alpha` (the residual);
          constrained: :math:`\\mathcal{Y}_0 = P_\\Omega(\\sum_k W_k)` (singleton) or
          :math:`P_\\Omega(\\text{dual})` (mixture) from the candidate ``dual``; either clipped
          to :math:`[-\\lambda, \\lambda]` (the l-infinity constraint met by clipping: scaling for
          it instead cost a 5-10 times larger gap along ADAL's iterations);
        - singleton: the candidate's parts are corrected to sum to :math:`\\mathcal{Y}_0`,
          :math:`W_k' = W_k - (\\sum_j W_j - \\mathcal{Y}_0)/K`; then
          :math:`s = \\max_k\\|M_k(W_k')\\|_2` (mixture: :math:`\\max_k\\|M_k(\\mathcal{Y}_0)\\|_2`);
        - :math:`\\mathcal{Y} = \\beta c\\,\\mathcal{Y}_0` is feasible for
          :math:`0 \\le c \\le c_{\\max} = 1/\\max(s, \\|\\mathcal{Y}_0\\|_\\infty/\\lambda)`; ``c``
          maximises :math:`D` on that interval (constrained: :math:`c_{\\max}` when
          :math:`\\langle\\mathcal{Y}_0, T\\rangle > 0`; penalized:
          :math:`\\min(c_{\\max}, \\langle\\mathcal{Y}_0,T\\rangle/(\\alpha\\|\\mathcal{Y}_0\\|^2))`).

        ADAL passes such a candidate (:meth:`optkit.solvers.tensor.ADAL.dual`), with
        :math:`c \\to 1` as it converges.

        Parameters
        ----------
        x : TensorSplit or MixtureSplit
        dual : array or RankConstrainedDual, optional
            The dual candidate: shape :attr:`dual_shape` -- singleton: the stacked :math:`W_k`
            (``(K,) + T.shape``), constrained mixture: :math:`\\mathcal{Y}/\\beta` (T's shape);
            ignored where :attr:`dual_shape` is ``None``. Without it the problem takes the
            nuclear-norm subgradients of ``x`` (:math:`U_rV_r^T` of every matricization of
            ``X``, or of every component), a valid but generally loose dual point. A
            :class:`RankConstrainedDual` selects the certificate of the rank-constrained model
            instead (see :meth:`rank_constrained_measures`).

        Returns
        -------
        dict
            ``fun``, ``gap`` :math:`= f(x) - D(\\mathcal{Y})`, (constrained) ``infeasibility``
            :math:`\\|P_\\Omega(X+E-T)\\|/\\|P_\\Omega T\\|`, and ``optimality``: the relative gap
            :math:`|f - D|/f` (at least its rounding), constrained: the larger of it and ``infeasibility``.
        """
        if isinstance(dual, RankConstrainedDual):
            return self.rank_constrained_measures(x, dual)
        xp, T, fun = get_namespace(x[0]), self.T, self.objective(x)
        R = self.observed(x[0] + x[1] - T)
        if self.dual_shape is not None and dual is None:
            dual = self._subgradient_candidate(x)
        S = None if self.dual_shape is None else (dual if self.mixture else xp.sum(dual, axis=0))
        Y0 = xp.clip(R * (-1.0 / self.alpha) if self.penalized else self.observed(S), -self.lam, self.lam)
        if self.mixture or self.n_blocks == 1:
            s = max(m.spectral_norm(Y0) for m in self.matricizations)
        else:   # the parts corrected to sum to Y0
            fix = (S - Y0) / self.n_blocks
            s = max(m.spectral_norm(dual[k, ...] - fix) for k, m in enumerate(self.matricizations))
        bound = max(s, float(xp.max(xp.abs(Y0))) / self.lam)
        c_max = 1.0 / bound if bound > 0 else 0.0
        t = inner(Y0, T)
        if self.penalized:
            q = inner(Y0, Y0)
            c = min(c_max, t / (self.alpha * q)) if t > 0 and q > 0 else 0.0
            value = self.alpha * c * t - 0.5 * (self.alpha * c) ** 2 * q
        else:
            value = c_max * max(t, 0.0)
        gap = fun - value
        out = {"fun": fun, "gap": gap,
               "optimality": max(abs(gap), _rounding(fun, value, xp, T.dtype)) / max(abs(fun), _TINY)}
        if not self.penalized:
            out["infeasibility"] = math.sqrt(inner(R, R)) / max(self.norm_T, _TINY)
            out["optimality"] = max(out["optimality"], out["infeasibility"])
        return out

    def _subgradient_candidate(self, x: Any) -> Any:
        """Nuclear-norm subgradients :math:`U_rV_r^T` of every matricization of ``X`` (singleton,
        stacked) or the mean over the components of theirs (mixture)."""
        xp = get_namespace(x[0])
        blocks = [x[2][k, ...] for k in range(self.n_blocks)] if self.mixture else [x[0]] * self.n_blocks
        W = []
        for m, B in zip(self.matricizations, blocks):
            U, sv, Vt = xp.linalg.svd(m.unfold(B), full_matrices=False)
            eps = float(xp.finfo(B.dtype).eps)
            r = int(xp.sum(xp.astype(sv > float(sv[0]) * max(m.matrix_shape) * eps, xp.int64))) if sv[0] > 0 else 0
            W.append(m.fold(xp.matmul(U[:, :r], Vt[:r, :])))
        return sum(W[1:], W[0]) / self.n_blocks if self.mixture else xp.stack(W)

    def rank_constrained_measures(self, x: Any, dual: RankConstrainedDual) -> dict[str, float]:
        """First-order certificate of the rank-constrained model (``adal_ncx``), given its ranks.

        .. math::
            \\min_{\\mathcal{X},\\mathcal{E}}\\; \\|\\mathcal{E}\\|_1 \\quad\\text{s.t.}\\quad
            \\mathcal{X} + \\mathcal{E} = \\mathcal{T},\\;\\operatorname{rank} M_k(\\mathcal{X}) \\le r_k

        (singleton constrained model, every entry observed; Goldfarb & Qin 2014, HoRPCA-S-NCX).
        With :math:`U_k` the leading :math:`r_k` left singular vectors of the matricizations of
        ``X`` (for the square matricization, its row and column spaces) and :math:`\\mathcal{L}`
        the tangent space at ``X`` of the tensors of that multilinear rank
        (:func:`optkit.linalg.tucker_tangent_project`), the dual point is
        :math:`\\mathcal{Y} = (I - P_\\mathcal{L})\\sum_k W_k` scaled to
        :math:`\\|\\mathcal{Y}\\|_\\infty = 1`, and

        - ``rank_violation`` :math:`\\|\\mathcal{X} - \\mathcal{X}\\times_k U_kU_k^T\\|_F/\\|T\\|_F`
          (0 when ``X`` has the ranks);
        - ``infeasibility`` :math:`\\|\\mathcal{X}+\\mathcal{E}-\\mathcal{T}\\|_F/\\|\\mathcal{T}\\|_F`;
        - ``gap`` :math:`\\|\\mathcal{E}\\|_1 - \\max(\\langle\\mathcal{Y}, \\mathcal{T}\\rangle, 0)`,
          and ``optimality`` the largest of the two measures and
          :math:`|\\text{gap}|/\\max(\\|\\mathcal{E}\\|_1, \\sqrt{\\epsilon}\\,\\|\\mathcal{T}\\|_1)`.

        What it certifies: since :math:`\\mathcal{Y}\\perp\\mathcal{L}`, ``gap`` bounds the
        suboptimality of ``X`` for the *linearised* problem
        :math:`\\min_{\\mathcal{Z}\\in\\mathcal{L}}\\|\\mathcal{T}-\\mathcal{Z}\\|_1` (a convex problem over a
        linear space that contains ``X``); ``optimality = 0`` is exactly first-order
        stationarity of the rank-constrained model on the manifold of that multilinear rank
        (some :math:`\\mathcal{Y}\\in\\partial\\|\\mathcal{E}\\|_1` normal to it). It is **not** a
        certificate of global, or even local, optimality of the nonconvex model, and says
        nothing about the convex objective ``fun``. At a fixed point of the nonconvex ADAL the
        multipliers :math:`W_k = -\\Lambda_k/\\mu` lie in the normal spaces of the rank sets of the
        matricizations, whose sum is normal to :math:`\\mathcal{L}`, and their sum lies in
        :math:`\\partial\\|\\mathcal{E}\\|_1`; the projection removes what an iterate still lacks.
        """
        if self.mixture or self.penalized or not self.fully_observed:
            raise ValueError("the rank-constrained certificate applies to the singleton constrained model "
                             "with every entry observed")
        X, E = x[0], x[1]
        xp = get_namespace(X)
        T = self.T
        A, factors, back = self.tucker_frame(X, dual.ranks)
        norm_T = max(self.norm_T, _TINY)
        violation = float(xp.linalg.vector_norm(A - tucker_project(A, factors))) / norm_T
        Y = xp.sum(dual.W, axis=0)
        Ya = Y if back is None else self.matricizations[0].unfold(Y)
        Yn = Ya - tucker_tangent_project(Ya, A, factors)
        Yn = Yn if back is None else back(Yn)
        ymax = float(xp.max(xp.abs(Yn)))
        value = max(inner(Yn, T), 0.0) / ymax if ymax > 0 else 0.0
        l1 = float(xp.sum(xp.abs(E)))
        gap = l1 - value
        floor = math.sqrt(float(xp.finfo(T.dtype).eps)) * float(xp.sum(xp.abs(T)))
        rel = max(abs(gap), _rounding(l1, value, xp, T.dtype)) / max(l1, floor, _TINY)
        R = X + E - T
        infeasibility = math.sqrt(inner(R, R)) / norm_T
        return {"fun": self.objective(x), "optimality": max(rel, violation, infeasibility), "gap": gap,
                "infeasibility": infeasibility, "rank_violation": violation}

    def tucker_frame(self, X: Any, ranks: tuple) -> tuple[Any, list, Any]:
        """``(A, factors, back)``: ``X`` in the Tucker format its rank bounds constrain and the factors
        of its leading singular subspaces. For ``norm="snn"``, ``A = X`` with one factor per mode
        and ``back = None``; for the square matricization, ``A`` is the matrix with the row and
        column factors of rank ``ranks[0]`` and ``back`` folds a matrix back into a tensor."""
        if self.norm == "square":
            m = self.matricizations[0]
            A = m.unfold(X)
            return A, tucker_factors(A, (ranks[0], ranks[0])), m.fold
        return X, tucker_factors(X, tuple(ranks)), None

    def rank_project(self, X: Any, ranks: tuple) -> Any:
        """``X`` projected onto the tensors of the given ranks (truncated HOSVD; for the square
        matricization, its best rank-``ranks[0]`` approximation)."""
        A, factors, back = self.tucker_frame(X, ranks)
        P = tucker_project(A, factors)
        return P if back is None else back(P)

    # ------------------------------------------------------------------ CVXPY
    def to_cvxpy(self) -> tuple[Any, Any]:
        """The reference model in CVXPY, for small tensors (at most 4096 entries).

        Each matricization is ``reshape(x[idx], (m, n), order="C")`` of the C-order vector ``x``
        with the index permutation of :meth:`Matricization.cvxpy_indices`; the nuclear norms
        become semidefinite cones. Returns ``(problem, blocks)`` where each block has a
        ``.value`` in the tensor's shape (``(X, E)`` or ``(X, E, parts)``).
        """
        import cvxpy as cp  # noqa: PLC0415
        import numpy as np  # noqa: PLC0415  (host-side model building)

        size = int(math.prod(self.shape))
        if size > CVXPY_MAX_SIZE:
            raise ValueError(f"to_cvxpy is meant for small tensors (at most {CVXPY_MAX_SIZE} entries); "
                             f"T has {size}")
        t = np.asarray(to_numpy(self.T), dtype=float).reshape(-1)
        obs = (np.arange(size) if self.mask is None
               else np.flatnonzero(np.asarray(to_numpy(self.mask)).reshape(-1)))
        e = cp.Variable(size)

        def nuc(vec: Any, m: Matricization) -> Any:
            return cp.normNuc(cp.reshape(vec[m.cvxpy_indices()], m.matrix_shape, order="C"))

        if self.model == "mixture":
            parts = [cp.Variable(size) for _ in self.matricizations]
            x = sum(parts[1:], parts[0])
            nucs = [nuc(p, m) for p, m in zip(parts, self.matricizations)]
        else:
            x = cp.Variable(size)
            parts = None
            nucs = [nuc(x, m) for m in self.matricizations]
        reg = sum(nucs[1:], nucs[0]) + self.lam * cp.norm1(e)
        if self.penalized:
            objective = 0.5 * cp.sum_squares(x[obs] + e[obs] - t[obs]) + self.alpha * reg
            constraints = []
        else:
            objective, constraints = reg, [x[obs] + e[obs] == t[obs]]
        blocks = [_Block(x, self.shape), _Block(e, self.shape)]
        if parts is not None:
            blocks.append(_Block(parts, (len(parts),) + self.shape))
        return cp.Problem(cp.Minimize(objective), constraints), tuple(blocks)


def _rounding(primal: float, dual: float, xp: Any, dtype: Any) -> float:
    """The rounding of ``primal - dual`` in ``dtype``: a gap below it certifies only to that level."""
    return 4.0 * float(xp.finfo(dtype).eps) * (abs(primal) + abs(dual))


class _Block:
    """A CVXPY expression (or list of them) whose ``value`` comes back in tensor shape."""

    def __init__(self, expr: Any, shape: tuple) -> None:
        self.expr, self.shape = expr, shape

    @property
    def value(self) -> Any:
        import numpy as np  # noqa: PLC0415

        values = [e.value for e in (self.expr if isinstance(self.expr, list) else [self.expr])]
        return None if any(v is None for v in values) else np.stack(values).reshape(self.shape)
