"""The fused lasso, a K = 3 term problem of the splitting family (:mod:`optkit.problems.splitting`
re-exports it)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..backend import get_namespace
from ..functions import L1Norm, MoreauEnvelope, SquaredLoss, TotalVariation
from ..functions.base import check_scalar
from .base import keyword_weights
from ._splitting_terms import _float64, _identity, _into_box, _norm_term, _prox_calls, _sq, _Terms

__all__ = ["FusedLasso"]

# The smoothed problem's certificate also tries a Newton-corrected dual point (FusedLasso._newton_dual),
# an O(n^3) dense solve, up to this many unknowns.
NEWTON_MAX_N = 400


@keyword_weights
@dataclass(frozen=True)
class FusedLasso(_Terms):
    """The fused lasso :math:`\\min_x \\tfrac12\\|Ax - b\\|^2 + \\lambda_1\\|x\\|_1 + \\lambda_2\\sum_j|x_{j+1} - x_j|`.

    Parameters
    ----------
    A : array, shape (m, n)
        The design matrix.
    b : array, shape (m,)
        The observations.
    lam1, lam2 : float
        :math:`\\lambda_1 \\ge 0` (sparsity), :math:`\\lambda_2 > 0` (fusion of neighbours);
        keyword only, like ``smoothing``.
    smoothing : float, optional
        :math:`\\sigma`: the two nonsmooth terms replaced by their Moreau envelopes.

    Notes
    -----
    Terms, in order: :math:`\\tfrac12\\|Ax - b\\|^2`, :math:`\\lambda_1\\|x\\|_1`,
    :math:`\\lambda_2 TV(x)` (Tibshirani et al. [1]_; the TV prox by Condat's algorithm [2]_).
    Optimality is
    the relative duality gap: with :math:`y_0 = Ax - b` and the TV multiplier :math:`z` from the
    candidates (clipped to :math:`|z| \\le \\lambda_2`), the l1 block
    :math:`v_1 = -A^Ty_0 - D^Tz` absorbs the equality, and all are scaled by
    :math:`\\theta = \\min(1, \\lambda_1/\\|v_1\\|_\\infty)` (with :math:`\\lambda_1 = 0` the TV
    block absorbs it after a shift of :math:`y_0` along :math:`A1`). The gap is summed as
    Fenchel-Young gaps term by term, over :math:`|P(x)|`. On the smoothed problem a second, Newton-corrected
    dual point is also tried and the smaller gap reported (:meth:`_newton_dual`): the first alone
    is first order in :math:`\\|\\nabla F(x)\\|` there, the second tracks the objective error.

    References
    ----------
    .. [1] R. Tibshirani, M. Saunders, S. Rosset, J. Zhu and K. Knight, "Sparsity and
       smoothness via the fused lasso", J. R. Stat. Soc. B 67 (2005), 91-108.
    .. [2] L. Condat, "A direct algorithm for 1-D total variation denoising", IEEE Signal
       Process. Lett. 20 (2013), 1054-1057.
    .. [3] D. Goldfarb and S. Ma, "Fast multiple-splitting algorithms for convex
       optimization", SIAM J. Optim. 22 (2012); arXiv:0912.4570.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import fused_lasso_instance
    >>> from optkit.problems import FusedLasso
    >>> problem = FusedLasso(**fused_lasso_instance(40, 30, seed=0))
    >>> res = optkit.solve(problem, tol=1e-6)
    >>> res.method, res.success, res.measures["gap"] <= 1e-6 * res.fun
    ('admm', True, True)

    MSA and FaMSA [3]_ solve the smoothed problem exactly:

    >>> res = optkit.solve(problem.smoothed(0.01), method="famsa", tol=1e-6)
    >>> res.success
    True
    """

    optimality_measure = "relative duality gap (P(x) - D(V)) / |P(x)|, a sum of Fenchel-Young gaps"

    A: Any
    b: Any
    lam1: float = field(kw_only=True)
    lam2: float = field(kw_only=True)
    smoothing: float | None = field(default=None, kw_only=True)
    terms: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        data = SquaredLoss(self.A, self.b)
        object.__setattr__(self, "A", data.A)
        object.__setattr__(self, "b", data.b)
        object.__setattr__(self, "lam1", check_scalar("lam1", self.lam1))
        object.__setattr__(self, "lam2", check_scalar("lam2", self.lam2, positive=True))
        object.__setattr__(self, "smoothing", check_scalar("smoothing", self.smoothing, positive=True,
                                                           allow_none=True))
        terms: tuple = (data, L1Norm(self.lam1), TotalVariation((self.A.shape[1],), 0, self.lam2))
        if self.smoothing is not None:
            terms = (data,) + tuple(MoreauEnvelope(f, self.smoothing) for f in terms[1:])
        object.__setattr__(self, "terms", terms)

    @property
    def shape(self) -> tuple:
        return (self.A.shape[1],)

    def smoothed(self, sigma: float) -> "FusedLasso":
        return dataclasses.replace(self, smoothing=check_scalar("sigma", sigma, positive=True))

    def _gap(self, x: Any, r: Any, y0: Any, z: Any, tv: TotalVariation, points: list, v1: Any = None) -> tuple:
        """``(P(x), P(x) - D)`` for the dual point ``(y0, v1, z)`` scaled into its boxes; ``v1`` ``None``:
        the l1 block absorbs the equality, :math:`v_1 = -A^Ty_0 - D^Tz`."""
        if v1 is None:
            v1 = -(self.A.T @ y0) - tv.adjoint_differences(z)
            theta = _into_box(1.0, v1, self.lam1)
        else:
            theta = _into_box(1.0, z, self.lam2)
        fun = 0.5 * _sq(r)
        gap = 0.5 * _sq(r - theta * y0)
        for (B, Bt, weight, dual_block), p in zip(((_identity, _identity, self.lam1, v1),
                                                   (tv.differences, tv.adjoint_differences, self.lam2, z)), points):
            value, bracket = _norm_term(x, B, Bt, weight, theta * dual_block, self.smoothing, p)
            fun, gap = fun + value, gap + bracket
        return fun, gap

    def _newton_dual(self, x: Any, r: Any, tv: TotalVariation, points: list) -> tuple | None:
        r"""A second dual point for the smoothed problem (``None`` without smoothing or above
        ``NEWTON_MAX_N`` unknowns): ``(y0, z)`` corrected by the least-cost change that makes the
        l1 block equal to the envelope gradient.

        The plain construction puts the whole residual :math:`c = v_1 - \nabla e_1(x)` of the
        equality into the l1 block, whose entries sit on their box boundary wherever
        :math:`|x_k| > \sigma\lambda_1`; its gap is then first order in :math:`\|\nabla F(x)\|`,
        i.e. of the order of the square root of the objective error (a 12-unknown instance:
        gap 1e-6 at objective error 2e-12, after 20000 MSA iterations). Here :math:`c` is
        spread over the blocks whose Fenchel-Young gaps are quadratic in a change: the data
        block (:math:`\tfrac12\|a\|^2`), the l1 entries with :math:`\operatorname{prox}(x)_k = 0`
        and the TV differences that vanish at the envelope's proximal point
        (:math:`\tfrac\sigma2\|\cdot\|^2`). The least-cost split solves
        :math:`H\mu = c` with :math:`H = A^TA + F_1/\sigma + D_F^T(D_FD_F^T)^{-1}D_F/\sigma`, the
        Hessian of the smoothed objective at ``x`` (a Newton step): :math:`a = A\mu`,
        :math:`\delta z_F = (D_FD_F^T)^{-1}D_F\mu/\sigma`, and the gap becomes second order
        (about :math:`\tfrac12 c^TH^{-1}c`, the objective error). The result is clipped into
        the TV box and the l1 block again absorbs what is left, so the point is dual feasible
        whatever the accuracy of the solve.
        """
        n = self.shape[0]
        if self.smoothing is None or n > NEWTON_MAX_N:
            return None
        xp = get_namespace(x)
        s, A = self.smoothing, self.A
        p1, p2 = points
        z_env = xp.clip(tv.dual_of((x - p2) / s), min=-self.lam2, max=self.lam2)
        c = -(A.T @ r) - tv.adjoint_differences(z_env) - (x - p1) / s
        eye = xp.eye(n, dtype=x.dtype)
        D = eye[1:, :] - eye[:-1, :]
        F1 = xp.astype(p1 == 0, x.dtype)
        F2 = xp.astype(tv.differences(p2) == 0, x.dtype)
        # (D_F D_F^T)^{-1} on the free differences, the identity elsewhere (no data-dependent shapes)
        M = F2[:, None] * (D @ D.T) * F2[None, :] + xp.eye(n - 1, dtype=x.dtype) * (1.0 - F2)[:, None]
        R = F2[:, None] * xp.linalg.inv(M) * F2[None, :]
        H = A.T @ A + (eye * F1[None, :] + D.T @ R @ D) / s
        mu = xp.linalg.pinv(H) @ c
        dz = (R @ (D @ mu)) / s
        return r + A @ mu, xp.clip(z_env + dz, min=-self.lam2, max=self.lam2)

    def measures(self, x: Any, dual: Any = None) -> dict[str, float]:
        xp = get_namespace(x)
        x, dual = _float64(x), _float64(dual)
        r = self.A @ x - self.b
        tv = TotalVariation(self.shape, 0, self.lam2)
        if dual is None:
            V = self.grad_terms(x) if self.smoothing is not None else \
                xp.stack([self.A.T @ r, self.lam1 * xp.sign(x), tv.adjoint_differences(self.lam2 * xp.sign(tv.differences(x)))])
        else:
            V = dual
        points = [None, None] if self.smoothing is None else \
            _prox_calls([(L1Norm(self.lam1), x, self.smoothing), (tv, x, self.smoothing)])
        if self.lam1 > 0:
            z = xp.clip(tv.dual_of(V[2, ...]), min=-self.lam2, max=self.lam2)
            candidates = [(r, z)]
            refined = self._newton_dual(x, r, tv, points)
            if refined is not None:
                candidates.append(refined)
            gaps = [self._gap(x, r, y0, z, tv, points) for y0, z in candidates]
            fun, gap = min(gaps, key=lambda fg: fg[1])
            first_order = gaps[0][1]
        else:
            y0 = r
            ones = xp.ones(self.shape, dtype=x.dtype)
            a1 = self.A @ ones
            if _sq(a1) > 0:
                y0 = r - (float(xp.sum(self.A.T @ r)) / _sq(a1)) * a1
            z = tv.dual_of(-(self.A.T @ y0))
            fun, gap = self._gap(x, r, y0, z, tv, points, v1=xp.zeros(self.shape, dtype=x.dtype))
            first_order = gap
        gap, scale = max(gap, 0.0), max(abs(fun), 1e-300)
        # the plain dual point's gap alone: what the splitting methods' continuation test compares with the
        # unsmoothed problem's certificate, whose dual point is built the same way
        return {"fun": fun, "optimality": gap / scale, "gap": gap,
                "first_order_optimality": max(first_order, 0.0) / scale}
