"""Robust matrix recovery: low-rank plus sparse decompositions from (partly) observed data.

Three convex forms of :math:`M \\approx L + S` with :math:`L` low-rank and :math:`S`
sparse, observed on the entries :math:`\\Omega` (``mask``), with
:math:`P_\\Omega` the entrywise restriction:

- :class:`RobustPCA` -- principal component pursuit (Candes, Li, Ma & Wright 2011),
  :math:`\\min \\|L\\|_* + \\lambda\\|S\\|_1` s.t. :math:`P_\\Omega(L+S) = P_\\Omega(M)`;
- :class:`CompressivePCP` -- the penalised form of Mu, Zhang, Wright & Goldfarb
  ("Scalable robust matrix recovery: Frank-Wolfe meets proximal methods", SIAM J.
  Sci. Comput. 2016, arXiv:1403.7588),
  :math:`\\min \\tfrac12\\|P_\\Omega(L+S-M)\\|_F^2 + \\lambda_L\\|L\\|_* + \\lambda_S\\|S\\|_1`;
- :class:`ConstrainedCPCP` -- its norm-constrained form,
  :math:`\\min \\tfrac12\\|P_\\Omega(L+S-M)\\|_F^2` s.t. :math:`\\|L\\|_*\\le\\tau_L`,
  :math:`\\|S\\|_1\\le\\tau_S` (the problem FW-P solves).

Solutions are :class:`LowRankSparse` named tuples ``(L, S)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..backend import get_namespace, inner, to_numpy
from ..functions.base import check_array, check_scalar
from ..linalg import nuclear_norm, top_singular_triplet
from .base import Problem

__all__ = ["LowRankSparse", "RobustPCA", "CompressivePCP", "ConstrainedCPCP"]


class LowRankSparse(NamedTuple):
    """A decomposition :math:`M \\approx L + S`: ``L`` low-rank, ``S`` sparse, both of shape ``(m, n)``."""

    L: Any
    S: Any


def _blocks(x: Any) -> tuple[Any, Any]:
    try:
        L, S = x
    except (TypeError, ValueError):
        raise TypeError("x must be a pair (L, S) of arrays") from None
    return L, S


class _LowRankSparseProblem(Problem):
    """Shared data handling: ``M`` (NaN allowed where unobserved), ``mask``, and the residual."""

    M: Any
    mask: Any

    def _prepare(self) -> None:
        M = check_array("M", self.M, ndim=2, finite=False)
        xp = get_namespace(M)
        m, n = M.shape
        if m == 0 or n == 0:
            raise ValueError(f"M must be non-empty, got shape {(m, n)}")
        if self.mask is None:
            if not bool(xp.all(xp.isfinite(M))):
                raise ValueError("M contains NaN or infinite entries (give a mask to mark them unobserved)")
            W, Mobs, n_obs = None, M, m * n
        else:
            try:
                mxp = get_namespace(self.mask)
            except TypeError:
                raise TypeError(f"mask must be a boolean array, got {type(self.mask).__name__}") from None
            if mxp is not xp and type(self.mask) is not type(M):
                raise TypeError("mask must come from the same array library as M")
            if self.mask.dtype != xp.bool:
                raise TypeError(f"mask must have a boolean dtype, got {self.mask.dtype}")
            if tuple(self.mask.shape) != (m, n):
                raise ValueError(f"mask must have the shape of M {(m, n)}, got {tuple(self.mask.shape)}")
            n_obs = int(xp.sum(xp.astype(self.mask, xp.int64)))
            if n_obs == 0:
                raise ValueError("mask observes no entry")
            observed_finite = xp.where(self.mask, xp.isfinite(M), xp.ones_like(self.mask))
            if not bool(xp.all(observed_finite)):
                raise ValueError("M contains NaN or infinite entries on observed positions (mask True)")
            Mobs = xp.where(self.mask, M, xp.zeros_like(M))
            W = xp.astype(self.mask, M.dtype)
        object.__setattr__(self, "M", M)
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "M_obs", Mobs)
        object.__setattr__(self, "n_observed", n_obs)
        object.__setattr__(self, "norm_M", float(xp.linalg.vector_norm(Mobs)))

    def arrays(self) -> dict[str, Any]:
        out = {"M": self.M}
        if self.mask is not None:
            out["mask"] = self.mask
        return out

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.M.shape)

    @property
    def observed_fraction(self) -> float:
        """:math:`\\rho = |\\Omega| / (mn)`."""
        m, n = self.shape
        return self.n_observed / (m * n)

    def residual(self, L: Any, S: Any) -> Any:
        """:math:`P_\\Omega(L + S - M)` (zero off the observed entries)."""
        R = L + S - self.M_obs
        return R if self.W is None else R * self.W

    def initial_point(self) -> LowRankSparse:
        xp = self.xp
        return LowRankSparse(xp.zeros(self.shape, dtype=self.dtype), xp.zeros(self.shape, dtype=self.dtype))

    def check_x0(self, x0: Any) -> LowRankSparse:
        """Validate a starting pair ``(L, S)``; returns copies in the problem's dtype.

        ``L`` may also be a :class:`~optkit.linalg.ThinSVD` (factors kept as they are; the
        Frank-Wolfe methods start from them without an SVD)."""
        from ..linalg import ThinSVD  # noqa: PLC0415

        L, S = _blocks(x0)
        xp = self.xp
        out = []
        for name, X in (("x0.L", L), ("x0.S", S)):
            if isinstance(X, ThinSVD):
                out.append(X)
                continue
            X = check_array(name, X, ndim=2)
            if tuple(X.shape) != self.shape:
                raise ValueError(f"{name} must have shape {self.shape}, got {tuple(X.shape)}")
            out.append(xp.astype(xp.asarray(X), self.dtype, copy=True))
        return LowRankSparse(*out)

    def _cvx_data(self) -> tuple[Any, Any]:
        import numpy as np  # noqa: PLC0415  (CVXPY works on host arrays)

        M = np.asarray(to_numpy(self.M_obs), dtype=float)
        W = None if self.W is None else np.asarray(to_numpy(self.W), dtype=float)
        return M, W

    def _cvx_residual(self, L: Any, S: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        M, W = self._cvx_data()
        return L + S - M if W is None else cp.multiply(W, L + S - M)


@dataclass(frozen=True)
class RobustPCA(_LowRankSparseProblem):
    """Principal component pursuit, with missing entries.

    .. math::
        \\min_{L,S}\\; \\|L\\|_* + \\lambda\\|S\\|_1 \\quad\\text{s.t.}\\quad P_\\Omega(L + S) = P_\\Omega(M)

    (Candes, Li, Ma & Wright, "Robust principal component analysis?", J. ACM 58, 2011).

    Parameters
    ----------
    M : array, shape (m, n)
        Data; entries off ``mask`` are ignored (they may be NaN).
    lam : float, optional
        :math:`\\lambda > 0`; default :math:`1/\\sqrt{\\max(m, n)}`.
    mask : bool array, shape (m, n), optional
        ``True`` on observed entries :math:`\\Omega` (all entries if ``None``).

    Notes
    -----
    The dual is :math:`\\max_Y \\langle Y, P_\\Omega M\\rangle` over
    :math:`\\|Y\\|_2 \\le 1`, :math:`\\|Y\\|_\\infty \\le \\lambda`,
    :math:`Y = P_\\Omega Y`. Given a multiplier estimate ``Y`` (iALM's), the
    optimality measure is
    :math:`\\max(\\|P_\\Omega(L+S-M)\\|_F/\\|P_\\Omega M\\|_F,\\; |f - \\langle\\hat Y, M\\rangle|/f)`
    with :math:`\\hat Y = Y/\\max(1, \\|Y\\|_2, \\|Y\\|_\\infty/\\lambda)` dual
    feasible; without one, only the relative primal residual.
    """

    default_method = "ialm"
    M: Any
    lam: float | None = None
    mask: Any = None
    W: Any = field(init=False, repr=False, compare=False, default=None)
    M_obs: Any = field(init=False, repr=False, compare=False, default=None)
    n_observed: int = field(init=False, repr=False, compare=False, default=0)
    norm_M: float = field(init=False, repr=False, compare=False, default=0.0)

    def __post_init__(self) -> None:
        self._prepare()
        m, n = self.shape
        lam = 1.0 / math.sqrt(max(m, n)) if self.lam is None else check_scalar("lam", self.lam, positive=True)
        object.__setattr__(self, "lam", lam)

    def objective(self, x: Any, *, nuclear: float | None = None, l1: float | None = None) -> float:
        """:math:`\\|L\\|_* + \\lambda\\|S\\|_1` (``nuclear``, ``l1`` may pass known :math:`\\|L\\|_*`,
        :math:`\\|S\\|_1`)."""
        L, S = _blocks(x)
        xp = get_namespace(L, S)
        nuc = nuclear_norm(L) if nuclear is None else nuclear
        return nuc + self.lam * (float(xp.sum(xp.abs(S))) if l1 is None else l1)

    def measures(self, x: Any, *, dual: Any = None, nuclear: float | None = None,
                 dual_sigma: float | None = None, l1: float | None = None,
                 residual_sq: float | None = None) -> dict[str, float]:
        """``fun``, ``optimality``, ``primal_residual`` and, with a multiplier ``dual``, ``gap``.

        ``nuclear``, ``dual_sigma``, ``l1`` and ``residual_sq`` may pass known :math:`\\|L\\|_*`,
        :math:`\\|Y\\|_2`, :math:`\\|S\\|_1` and :math:`\\|P_\\Omega(L+S-M)\\|_F^2` (each an
        ``m x n`` pass otherwise)."""
        L, S = _blocks(x)
        xp = get_namespace(L, S)
        fun = self.objective((L, S), nuclear=nuclear, l1=l1)
        if residual_sq is None:
            R = self.residual(L, S)
            residual_sq = inner(R, R)
        scale = max(self.norm_M, 1e-300)
        primal = math.sqrt(residual_sq) / scale
        out = {"fun": fun, "optimality": primal, "primal_residual": primal}
        if dual is not None:
            Y = dual if self.W is None else dual * self.W
            s1 = top_singular_triplet(Y, tol=1e-10).sigma if dual_sigma is None else dual_sigma
            ymax = max(float(xp.max(Y)), -float(xp.min(Y)))  # no |Y| temporary
            Yhat_scale = 1.0 / max(1.0, s1, ymax / self.lam)
            dval = Yhat_scale * inner(Y, self.M_obs)
            gap = fun - dval
            out["gap"] = gap
            out["optimality"] = max(primal, abs(gap) / max(abs(fun), 1e-300))
        return out

    def to_cvxpy(self) -> tuple[Any, Any]:
        import cvxpy as cp  # noqa: PLC0415

        # S is eliminated through the constraint (S = P_Omega(M - L); S = 0 off Omega at any
        # solution), which leaves an unconstrained conic problem the interior-point reference
        # solves to full accuracy; the second block is that expression.
        M, W = self._cvx_data()
        L = cp.Variable(self.shape)
        S = M - L if W is None else cp.multiply(W, M - L)
        prob = cp.Problem(cp.Minimize(cp.normNuc(L) + self.lam * cp.sum(cp.abs(S))))
        return prob, LowRankSparse(L, S)


def _cpcp_dual(problem: Any, R: Any, sigma1: float | None, v0: Any = None) -> tuple[float, float]:
    """``(sigma_1(R), max|R|)`` of a residual."""
    xp = get_namespace(R)
    s1 = top_singular_triplet(R, v0, tol=1e-6).sigma if sigma1 is None else sigma1
    return s1, float(xp.max(xp.abs(R)))


@dataclass(frozen=True)
class CompressivePCP(_LowRankSparseProblem):
    """Penalised compressive principal component pursuit.

    .. math::
        \\min_{L,S}\\; \\tfrac12\\|P_\\Omega(L+S-M)\\|_F^2 + \\lambda_L\\|L\\|_* + \\lambda_S\\|S\\|_1

    (Mu, Zhang, Wright & Goldfarb, SIAM J. Sci. Comput. 2016, problem (P-pen) with
    :math:`P_Q = P_\\Omega` entry sampling).

    Parameters
    ----------
    M : array, shape (m, n)
    mask : bool array, shape (m, n), optional
        Observed entries (all if ``None``).
    lam_L, lam_S : float
        Weights :math:`\\lambda_L, \\lambda_S > 0` (keyword only);
        :meth:`from_noise_level` gives the authors' defaults.

    Notes
    -----
    Optimality is the relative duality gap. With :math:`R = P_\\Omega(L+S-M)`,
    the dual is :math:`D(Y) = -\\tfrac12\\|Y\\|_F^2 - \\langle Y, P_\\Omega M\\rangle`
    over :math:`\\|Y\\|_2\\le\\lambda_L`, :math:`\\|Y\\|_\\infty\\le\\lambda_S`,
    and the dual point is
    :math:`Y = R\\min(1, \\lambda_L/\\sigma_1(R), \\lambda_S/\\|R\\|_\\infty)`;
    :math:`(f - D(Y))/f \\ge (f - f^\\star)/f`, and it vanishes at the solution
    (there :math:`Y = R`).
    """

    default_method = "fw_t"
    M: Any
    mask: Any = None
    lam_L: float = field(default=None, kw_only=True)
    lam_S: float = field(default=None, kw_only=True)
    W: Any = field(init=False, repr=False, compare=False, default=None)
    M_obs: Any = field(init=False, repr=False, compare=False, default=None)
    n_observed: int = field(init=False, repr=False, compare=False, default=0)
    norm_M: float = field(init=False, repr=False, compare=False, default=0.0)

    def __post_init__(self) -> None:
        if self.lam_L is None or self.lam_S is None:
            raise TypeError("CompressivePCP needs lam_L and lam_S (or use CompressivePCP.from_noise_level)")
        self._prepare()
        object.__setattr__(self, "lam_L", check_scalar("lam_L", self.lam_L, positive=True))
        object.__setattr__(self, "lam_S", check_scalar("lam_S", self.lam_S, positive=True))

    @classmethod
    def from_noise_level(cls, M: Any, mask: Any = None, delta: float = 1e-3) -> "CompressivePCP":
        """The weights of the authors' code: :math:`\\lambda_L = \\delta\\rho\\|P_\\Omega M\\|_F`,
        :math:`\\lambda_S = \\delta\\sqrt{\\rho}\\,\\|P_\\Omega M\\|_F/\\sqrt{\\max(m,n)}`.

        ``rho`` is the observed fraction; ``delta`` sets the noise level ("the
        smaller the noise, the smaller delta"). Scaling by :math:`\\|P_\\Omega M\\|_F`
        equals the authors' normalisation of the data to unit norm.
        """
        delta = check_scalar("delta", delta, positive=True)
        probe = cls(M, mask, lam_L=1.0, lam_S=1.0)
        m, n = probe.shape
        rho = probe.observed_fraction
        nrm = probe.norm_M
        if nrm == 0:
            raise ValueError("M is zero on the observed entries; the weights would be zero")
        return cls(M, mask, lam_L=delta * rho * nrm, lam_S=delta * math.sqrt(rho) * nrm / math.sqrt(max(m, n)))

    def objective(self, x: Any, *, nuclear: float | None = None) -> float:
        L, S = _blocks(x)
        xp = get_namespace(L, S)
        R = self.residual(L, S)
        nuc = nuclear_norm(L) if nuclear is None else nuclear
        return 0.5 * inner(R, R) + self.lam_L * nuc + self.lam_S * float(xp.sum(xp.abs(S)))

    def dual_gap(self, fun: float, R: Any, sq: float, sigma1: float, rmax: float) -> tuple[float, float]:
        """``(gap, dual value)`` from the residual's squared norm, top singular value and max entry."""
        scale = 1.0
        if sigma1 > self.lam_L:
            scale = self.lam_L / sigma1
        if rmax * scale > self.lam_S:
            scale = self.lam_S / rmax
        dval = -0.5 * scale * scale * sq - scale * inner(R, self.M_obs)
        # a negative gap means sigma1 was underestimated: report its size, never a false zero
        return abs(fun - dval), dval

    def measures(self, x: Any, *, nuclear: float | None = None, sigma1: float | None = None) -> dict[str, float]:
        """``fun``, ``optimality`` (relative duality gap) and ``gap``."""
        L, S = _blocks(x)
        xp = get_namespace(L, S)
        R = self.residual(L, S)
        sq = inner(R, R)
        nuc = nuclear_norm(L) if nuclear is None else nuclear
        fun = 0.5 * sq + self.lam_L * nuc + self.lam_S * float(xp.sum(xp.abs(S)))
        s1, rmax = _cpcp_dual(self, R, sigma1)
        gap, _ = self.dual_gap(fun, R, sq, s1, rmax)
        return {"fun": fun, "optimality": gap / max(fun, 1e-300), "gap": gap}

    def to_cvxpy(self) -> tuple[Any, Any]:
        import cvxpy as cp  # noqa: PLC0415

        L, S = cp.Variable(self.shape), cp.Variable(self.shape)
        obj = (0.5 * cp.sum_squares(self._cvx_residual(L, S)) + self.lam_L * cp.normNuc(L)
               + self.lam_S * cp.sum(cp.abs(S)))
        return cp.Problem(cp.Minimize(obj)), LowRankSparse(L, S)


@dataclass(frozen=True)
class ConstrainedCPCP(_LowRankSparseProblem):
    """Norm-constrained compressive principal component pursuit.

    .. math::
        \\min_{L,S}\\; \\tfrac12\\|P_\\Omega(L+S-M)\\|_F^2 \\quad\\text{s.t.}\\quad
        \\|L\\|_* \\le \\tau_L,\\; \\|S\\|_1 \\le \\tau_S

    (Mu, Zhang, Wright & Goldfarb 2016, problem (P-con), solved by FW-P).

    Parameters
    ----------
    M : array, shape (m, n)
    mask : bool array, shape (m, n), optional
    tau_L, tau_S : float
        Radii :math:`\\tau_L, \\tau_S > 0` (keyword only).

    Notes
    -----
    Optimality is the relative Frank-Wolfe gap
    :math:`\\langle R, L\\rangle + \\tau_L\\sigma_1(R) + \\langle R, S\\rangle + \\tau_S\\|R\\|_\\infty`
    (an upper bound on :math:`f - f^\\star` for feasible points), divided by
    :math:`\\max(f, 10^{-12} f(0))`, together with the relative constraint
    violation ``infeasibility``.
    """

    default_method = "fw_p"
    M: Any
    mask: Any = None
    tau_L: float = field(default=None, kw_only=True)
    tau_S: float = field(default=None, kw_only=True)
    W: Any = field(init=False, repr=False, compare=False, default=None)
    M_obs: Any = field(init=False, repr=False, compare=False, default=None)
    n_observed: int = field(init=False, repr=False, compare=False, default=0)
    norm_M: float = field(init=False, repr=False, compare=False, default=0.0)

    def __post_init__(self) -> None:
        if self.tau_L is None or self.tau_S is None:
            raise TypeError("ConstrainedCPCP needs tau_L and tau_S")
        self._prepare()
        object.__setattr__(self, "tau_L", check_scalar("tau_L", self.tau_L, positive=True))
        object.__setattr__(self, "tau_S", check_scalar("tau_S", self.tau_S, positive=True))

    def objective(self, x: Any) -> float:
        L, S = _blocks(x)
        R = self.residual(L, S)
        return 0.5 * inner(R, R)

    def fw_gap(self, R: Any, L: Any, S: Any, sigma1: float, rmax: float) -> float:
        """The Frank-Wolfe gap :math:`\\max_{V \\in C}\\langle R, X - V\\rangle` over both balls."""
        return inner(R, L) + inner(R, S) + self.tau_L * sigma1 + self.tau_S * rmax

    def measures(self, x: Any, *, nuclear: float | None = None, sigma1: float | None = None) -> dict[str, float]:
        """``fun``, ``optimality``, ``gap`` and ``infeasibility``."""
        L, S = _blocks(x)
        xp = get_namespace(L, S)
        R = self.residual(L, S)
        fun = 0.5 * inner(R, R)
        s1, rmax = _cpcp_dual(self, R, sigma1)
        gap = abs(self.fw_gap(R, L, S, s1, rmax))
        nuc = nuclear_norm(L) if nuclear is None else nuclear
        infeas = max(0.0, nuc / self.tau_L - 1.0, float(xp.sum(xp.abs(S))) / self.tau_S - 1.0)
        f0 = 0.5 * self.norm_M ** 2
        rel = gap / max(fun, 1e-12 * f0, 1e-300)
        return {"fun": fun, "optimality": max(rel, infeas), "gap": gap, "infeasibility": infeas}

    def to_cvxpy(self) -> tuple[Any, Any]:
        import cvxpy as cp  # noqa: PLC0415

        L, S = cp.Variable(self.shape), cp.Variable(self.shape)
        obj = 0.5 * cp.sum_squares(self._cvx_residual(L, S))
        cons = [cp.normNuc(L) <= self.tau_L, cp.sum(cp.abs(S)) <= self.tau_S]
        return cp.Problem(cp.Minimize(obj), cons), LowRankSparse(L, S)
