"""Robust low-rank tensor recovery (HoRPCA): singleton and mixture models, constrained and penalized.

Reference: D. Goldfarb and Z. Qin, "Robust low-rank tensor recovery: models and
algorithms", SIAM J. Matrix Anal. Appl. 35 (2014), arXiv:1311.6182; the square
reshaping from C. Mu, B. Huang, J. Wright and D. Goldfarb, "Square Deal: lower bounds
and improved relaxations for tensor recovery", ICML 2014.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..backend import get_namespace, to_numpy
from ..functions.base import check_array, check_scalar
from ..linalg.matricization import Matricization, mode_unfoldings, square_matricization
from .base import Problem

__all__ = ["RobustTensorRecovery", "TensorSplit", "MixtureSplit"]

#: Largest tensor (entries) that :meth:`RobustTensorRecovery.to_cvxpy` builds: CVXPY lifts every
#: nuclear norm to a semidefinite cone, whose size explodes beyond small tensors.
CVXPY_MAX_SIZE = 4096

MODELS = ("singleton", "mixture")
FORMULATIONS = ("constrained", "penalized")
NORMS = ("snn", "square")


class TensorSplit(NamedTuple):
    """Solution of the singleton model: the low-rank tensor ``X`` and the sparse tensor ``E``."""

    X: Any
    E: Any


class MixtureSplit(NamedTuple):
    """Solution of the mixture model: ``X = sum_k parts[k]``, the sparse ``E`` and the
    per-mode components stacked in ``parts`` (shape ``(K,) + T.shape``; ``parts[k]`` is low-rank
    in its mode-k unfolding)."""

    X: Any
    E: Any
    parts: Any


@dataclass(frozen=True)
class RobustTensorRecovery(Problem):
    """Recover a low-Tucker-rank tensor from gross sparse corruptions and missing entries.

    With :math:`\\mathcal{T}\\in\\mathbb{R}^{n_1\\times\\cdots\\times n_N}`, the observed set
    :math:`\\Omega` (``mask``) and :math:`P_\\Omega` the restriction to it, the singleton model
    (HoRPCA-S) is

    .. math::
        \\min_{\\mathcal{X},\\mathcal{E}}\\; \\sum_{i=1}^N \\|X_{(i)}\\|_* + \\lambda\\|\\mathcal{E}\\|_1
        \\quad\\text{s.t.}\\quad P_\\Omega(\\mathcal{X} + \\mathcal{E}) = P_\\Omega(\\mathcal{T})

    (``formulation="constrained"``), or its Lagrangian form (``"penalized"``)

    .. math::
        \\min\\; \\tfrac12\\|P_\\Omega(\\mathcal{X} + \\mathcal{E} - \\mathcal{T})\\|_F^2
        + \\alpha\\Big(\\sum_i \\|X_{(i)}\\|_* + \\lambda\\|\\mathcal{E}\\|_1\\Big).

    The mixture model (HoRPCA-M) writes :math:`\\mathcal{X} = \\sum_i \\mathcal{X}_i` with each
    :math:`\\mathcal{X}_i` low-rank in its own mode only, replacing the sum of nuclear norms by
    :math:`\\sum_i \\|(\\mathcal{X}_i)_{(i)}\\|_*`. ``norm="square"`` replaces the sum of nuclear
    norms by the nuclear norm of the most balanced matricization (Square Deal), which needs
    far fewer observations for N >= 4.

    Parameters
    ----------
    T : array, shape (n_1, ..., n_N), N >= 2
        The observed tensor. Entries outside ``mask`` are ignored (they may be NaN).
    lam : float, optional
        Weight :math:`\\lambda > 0` of the l1 term. Default :math:`1/\\sqrt{\\max_i n_i}` for the
        singleton sum of nuclear norms (Goldfarb & Qin's phase-transition setting, rRatio = 1),
        :math:`1/(4\\sqrt{\\max_i n_i})` for the mixture (their code's default rRatio = 1/4: each
        component's single nuclear norm competes with the l1 term, so the weight is smaller)
        and :math:`1/\\sqrt{\\max(m, n)}` for the ``m x n`` square matricization; with a fraction
        :math:`\\rho` of the entries observed, ``max n`` becomes :math:`\\rho \\max n` (Candes, Li,
        Ma & Wright 2011: :math:`\\lambda = 1/\\sqrt{\\rho n}` for robust PCA with missing entries).
    mask : bool array of T's shape, optional
        ``True`` where the entry is observed. ``None``: all observed.
    model : {"singleton", "mixture"}
    formulation : {"constrained", "penalized"}
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
    ``(X, E, parts)`` for the mixture model). The methods report relative primal and dual
    residuals (ADMM) or the relative proximal-gradient residual (APG) as their optimality
    measure; :meth:`measures` adds the relative violation of the data constraint.
    """

    T: Any
    lam: float | None = None
    mask: Any = None
    model: str = "singleton"
    formulation: str = "constrained"
    norm: str = "snn"
    alpha: float | None = None
    matricizations: tuple = field(init=False, repr=False, compare=False)

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
                raise TypeError(f"mask must be a boolean array, got {type(mask).__name__}") from None
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
        shape = tuple(int(n) for n in T.shape)
        mats = (square_matricization(shape),) if self.norm == "square" else mode_unfoldings(shape)
        if self.lam is None:
            big = max(mats[0].matrix_shape) if self.norm == "square" else max(shape)
            # with a fraction rho of the entries observed, 1/sqrt(rho n) (Candes, Li, Ma & Wright 2011,
            # robust PCA with missing entries)
            rho = 1.0 if mask is None else float(xp.sum(xp.astype(mask, xp.float64))) / math.prod(shape)
            lam = (0.25 if self.model == "mixture" else 1.0) / math.sqrt(rho * big)
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

    # ------------------------------------------------------------------ structure
    @property
    def default_method(self) -> str:  # type: ignore[override]
        return "adal"

    @property
    def shape(self) -> tuple:
        return tuple(self.T.shape)

    @property
    def penalized(self) -> bool:
        return self.formulation == "penalized"

    @property
    def n_blocks(self) -> int:
        """Number of low-rank blocks K: one per matricization."""
        return len(self.matricizations)

    def observed(self, X: Any) -> Any:
        """:math:`P_\\Omega(X)`: ``X`` with the unobserved entries set to zero."""
        if self.mask is None:
            return X
        xp = get_namespace(X)
        return xp.where(self.mask, X, xp.zeros_like(X))

    def package(self, X: Any, E: Any, parts: Any = None) -> TensorSplit | MixtureSplit:
        """The solution tuple of this model."""
        if self.model == "mixture":
            xp = get_namespace(X)
            return MixtureSplit(X, E, xp.stack(list(parts)) if isinstance(parts, (list, tuple)) else parts)
        return TensorSplit(X, E)

    def check_x0(self, x0: Any) -> Any:
        # interim: the solvers still validate their own start layouts
        return x0

    # ------------------------------------------------------------------ values
    def regularizer(self, x: Any) -> float:
        """:math:`\\sum_k \\|M_k(\\cdot)\\|_* + \\lambda\\|E\\|_1` at ``x``."""
        xp = get_namespace(x[0])
        if self.model == "mixture":
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
        measured separately (``feasibility`` in :meth:`measures`).
        """
        reg = self.regularizer(x)
        if self.penalized:
            return 0.5 * self.fit(x) ** 2 + self.alpha * reg
        return reg

    def measures(self, x: Any) -> dict[str, float]:
        """``fun`` and ``feasibility`` :math:`\\|P_\\Omega(X+E-T)\\|/\\max(\\|P_\\Omega T\\|, 1)`."""
        xp = get_namespace(x[0])
        scale = max(float(xp.linalg.vector_norm(self.T)), 1.0)
        return {"fun": self.objective(x), "feasibility": self.fit(x) / scale}

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


class _Block:
    """A CVXPY expression (or list of them) whose ``value`` comes back in tensor shape."""

    def __init__(self, expr: Any, shape: tuple) -> None:
        self.expr, self.shape = expr, shape

    @property
    def value(self) -> Any:
        import numpy as np  # noqa: PLC0415

        if isinstance(self.expr, list):
            vals = [e.value for e in self.expr]
            return None if any(v is None for v in vals) else np.stack(vals).reshape(self.shape)
        v = self.expr.value
        return None if v is None else np.asarray(v).reshape(self.shape)
