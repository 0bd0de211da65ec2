"""Shared pieces of the low-rank plus sparse problems (:mod:`optkit.problems.rpca`): the data
checks, the residual and the certificate helpers."""

from __future__ import annotations

import math
from typing import Any

from ..backend import get_namespace, inner, to_numpy
from ..functions.base import check_array, check_magnitude
from ..linalg import ThinSVD, nuclear_norm, top_singular_triplet
from ._rpca_records import LowRankSparse
from .base import Problem, _like_template, mask_type_error

#: Largest m + n that ``to_cvxpy`` builds by default (the reference is an SDP of that order).
CVXPY_MAX_DIM = 80

#: Relative residual to which the problems compute a top singular value for their certificates.
SIGMA_TOL = 1e-10


def _blocks(x: Any) -> tuple[Any, Any]:
    try:
        L, S = x
    except (TypeError, ValueError):
        raise TypeError("x must be a pair (L, S) of arrays") from None
    return L, S


def _max_abs(A: Any) -> float:
    """:math:`\\max_{ij}|A_{ij}|` by two reductions (no ``|A|`` temporary)."""
    xp = get_namespace(A)
    return max(float(xp.max(A)), -float(xp.min(A)))


def _l1(S: Any) -> float:
    xp = get_namespace(S)
    return float(xp.sum(xp.abs(S)))


def _gap(terms: tuple[float, ...], eps: float) -> float:
    """``|sum(terms)|`` plus the rounding it may carry in a precision of unit ``eps``,
    :math:`4\\epsilon\\sum|t|`: a gap computed from values rounded in the data's precision
    certifies only up to that rounding (in float32 a gap of 1e-5 relative is resolved to about
    1e-6; without the bound a float32 run could stop at a gap that float64 puts above ``tol``)."""
    return abs(math.fsum(terms)) + 4.0 * eps * math.fsum(abs(t) for t in terms)


def _sigma1(A: Any) -> float:
    """:math:`\\sigma_1(A)` to the accuracy of the certificates (:data:`SIGMA_TOL`)."""
    return top_singular_triplet(A, tol=SIGMA_TOL).sigma


class _LowRankSparseProblem(Problem):
    """Shared data handling: ``M`` (NaN allowed where unobserved), ``mask``, the residual and ``x0``."""

    M: Any
    mask: Any
    _x0_layout = "a pair (L, S) of arrays"

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
                raise mask_type_error(self.mask) from None
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
        check_magnitude("M", Mobs)
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

    @property
    def _eps(self) -> float:
        return float(self.xp.finfo(self.dtype).eps)

    def residual(self, L: Any, S: Any) -> Any:
        """:math:`P_\\Omega(L + S - M)` (zero off the observed entries)."""
        R = L + S - self.M_obs
        return R if self.W is None else R * self.W

    def initial_point(self) -> LowRankSparse:
        xp = self.xp
        return LowRankSparse(xp.zeros(self.shape, dtype=self.dtype), xp.zeros(self.shape, dtype=self.dtype))

    def check_x0(self, x0: Any) -> LowRankSparse:
        """Validate a starting pair ``(L, S)``; returns copies in the problem's namespace and dtype.

        ``L`` may also be a :class:`~optkit.linalg.ThinSVD` ``(U, s, V)`` of shapes ``(m, r)``,
        ``(r,)``, ``(n, r)``: it is returned as a ``ThinSVD`` in float64 (the precision the
        factored methods keep factors in), and a method starts from the factors without an SVD.
        """
        if not isinstance(x0, (tuple, list)) or isinstance(x0, ThinSVD) or len(x0) != 2:
            raise TypeError(f"x0 must be {self._x0_layout} (L may be a ThinSVD), got {type(x0).__name__}")
        L, S = x0
        return LowRankSparse(self._check_L(L), self._check_block("x0.S", S))

    def _check_block(self, name: str, X: Any) -> Any:
        return _like_template(name, X, self.xp.empty(self.shape, dtype=self.dtype))

    def _check_L(self, L: Any) -> Any:
        if not isinstance(L, ThinSVD):
            return self._check_block("x0.L", L)
        xp = self.xp
        m, n = self.shape
        s = L.s
        if not hasattr(s, "shape") or len(s.shape) != 1:
            raise ValueError("x0.L.s must be a 1-d array of singular values")
        r = int(s.shape[0])
        f64 = xp.float64
        U = _like_template("x0.L.U", L.U, xp.empty((m, r), dtype=f64))
        s = _like_template("x0.L.s", s, xp.empty((r,), dtype=f64))
        V = _like_template("x0.L.V", L.V, xp.empty((n, r), dtype=f64))
        return ThinSVD(U, s, V)

    def _nuclear_of(self, L: Any) -> float:
        return L.nuclear_norm() if isinstance(L, ThinSVD) else nuclear_norm(L)

    def _cvx_data(self, max_dim: int | None) -> tuple[Any, Any]:
        import numpy as np  # noqa: PLC0415  (CVXPY works on host arrays)

        m, n = self.shape
        if max_dim is not None and m + n > max_dim:
            # the nuclear norm is a semidefinite cone of order m + n: Clarabel took 4 s at 20 x 15,
            # 22 s at 40 x 30 and 97 s at 60 x 50
            raise ValueError(f"to_cvxpy is meant for small matrices (m + n <= max_dim = {max_dim}); M has shape "
                             f"{(m, n)}: pass max_dim=None to build it anyway (an SDP of order {m + n})")

        M = np.asarray(to_numpy(self.M_obs), dtype=float)
        W = None if self.W is None else np.asarray(to_numpy(self.W), dtype=float)
        return M, W

    def _cvx_residual(self, L: Any, S: Any, max_dim: int | None) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        M, W = self._cvx_data(max_dim)
        return L + S - M if W is None else cp.multiply(W, L + S - M)


class _CompressiveProblem(_LowRankSparseProblem):
    """The two compressive forms, whose certificates are built from the residual and its top
    singular value."""

    #: The certificate reads the residual array itself, not only the sums of it given as pieces.
    _reads_residual = True

    def measures(self, x: Any, *, residual: Any = None, residual_sq: float | None = None,
                 residual_max: float | None = None, sigma1: float | None = None,
                 nuclear: float | None = None, l1: float | None = None,
                 residual_data: float | None = None) -> dict[str, float]:
        """``fun``, ``optimality`` and the problem's named measures (see its Notes).

        Parameters
        ----------
        x : pair (L, S)
        residual, residual_sq, residual_max, sigma1, nuclear, l1, residual_data : optional
            Pieces a solver already has (see the module docstring); the problem computes the
            others. The residual is formed only where the certificate needs it: where a piece
            taken from it is missing, or the certificate reads the array itself.
        """
        L, S = _blocks(x)
        R = residual
        if R is None and (self._reads_residual or None in (residual_sq, residual_max, sigma1, residual_data)):
            R = self.residual(L, S)
        return self._certificate(L, S, R, inner(R, R) if residual_sq is None else residual_sq,
                                 _max_abs(R) if residual_max is None else residual_max,
                                 _sigma1(R) if sigma1 is None else sigma1,
                                 nuclear_norm(L) if nuclear is None else nuclear, _l1(S) if l1 is None else l1,
                                 rm=residual_data)

    def _certificate(self, L: Any, S: Any, R: Any, sq: float, rmax: float, sigma1: float, nuclear: float,
                     l1: float, rm: float | None = None) -> dict[str, float]:
        raise NotImplementedError
