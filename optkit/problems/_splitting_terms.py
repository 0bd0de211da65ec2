"""Shared pieces of the splitting problems (:mod:`optkit.problems.splitting`): the stacked-term base
class, the batched prox calls, and the Fenchel-Young pieces of their duality gaps."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import get_namespace, inner, to_numpy
from ..functions import MoreauEnvelope, OperatorSquaredLoss, SquaredLoss, TotalVariation
from ..functions.base import check_scalar
from ..kernels import splitting as kernels
from .base import Problem

__all__ = ["k_terms", "psnr"]


def k_terms(problem: Any) -> bool:
    """Whether ``problem`` has the stacked-term capability of the splitting methods.

    The capability: an integer ``n_terms >= 2`` and callables ``prox_terms(V, step)``
    (the stack of :math:`\\operatorname{prox}_{t f_i}(V_i)`), ``grad_terms(x)`` (the stack of
    :math:`\\nabla f_i(x)`) and ``smoothed(sigma)`` (nonsmooth terms replaced by their Moreau
    envelopes). ``msa``, ``famsa`` and ``admm`` accept exactly the problems that have it.

    Parameters
    ----------
    problem : object
        Any problem.

    Returns
    -------
    bool
        ``True`` when ``problem`` offers the four attributes above.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.problems import FermatWeber, Lasso, k_terms
    >>> points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> k_terms(FermatWeber(points)), k_terms(Lasso(np.eye(3), np.ones(3), lam=0.1))
    (True, False)
    """
    return all(callable(getattr(problem, name, None)) for name in ("prox_terms", "grad_terms", "smoothed")) \
        and isinstance(getattr(problem, "n_terms", None), int) and problem.n_terms >= 2


def psnr(x: Any, truth: Any) -> float:
    """Peak signal-to-noise ratio :math:`10\\log_{10}(\\text{peak}^2/\\text{MSE})` in dB, the peak being
    the range of ``truth``.

    Parameters
    ----------
    x : array
        The reconstruction (any array library; compared in float64 on the host).
    truth : array, same shape as ``x``
        The reference image; its range :math:`\\max - \\min` is the peak (1 for a constant one).

    Returns
    -------
    float
        The PSNR in decibels, :math:`\\infty` when ``x`` equals ``truth``.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.problems import psnr
    >>> truth = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> round(psnr(truth + 0.1, truth), 6)  # MSE 0.01, peak 1
    20.0
    >>> psnr(truth, truth)
    inf
    """
    a, t = np.asarray(to_numpy(x), dtype=float), np.asarray(to_numpy(truth), dtype=float)
    mse = float(np.mean((a - t) ** 2))
    peak = float(t.max() - t.min()) or 1.0
    return math.inf if mse == 0 else 10.0 * math.log10(peak * peak / mse)


def _float64(x: Any) -> Any:
    """``x`` in float64 (``None`` stays ``None``): certificates are evaluated in double precision, since
    a float32 dual point misses its box by rounding, and the common scaling into the box then costs
    a relative gap of that rounding (about 5e-6) on float32 data."""
    if x is None:
        return None
    xp = get_namespace(x)
    return x if x.dtype == xp.float64 else xp.astype(x, xp.float64)


def _sq(x: Any) -> float:
    return inner(x, x)


def _prox_calls(calls: list) -> list:
    """``[prox_{s f}(v) for (f, v, s) in calls]``, total-variation terms (bare or inside a Moreau
    envelope) in one batched kernel call over all their lines."""
    out: list = [None] * len(calls)
    tv = []
    for i, (f, v, s) in enumerate(calls):
        inner_f = f.f if isinstance(f, MoreauEnvelope) else f
        if isinstance(inner_f, TotalVariation):
            tv.append((i, inner_f, v, s + (f.sigma if f is not inner_f else 0.0)))
        else:
            out[i] = f.prox(v, s)
    if tv:
        results = kernels.tv_prox([v for _, _, v, _ in tv], [s * g.lam for _, g, _, s in tv], [g.axis for _, g, _, _ in tv])
        for (i, _, v, s_inner), p in zip(tv, results):
            f, _, s = calls[i]
            out[i] = p if isinstance(f, TotalVariation) else v + (s / s_inner) * (p - v)
    return out


class _Terms(Problem):
    """What the K-term problems share: the objective, the stacked operations, smoothing, CVXPY."""

    terms: tuple
    smoothing: Any = None

    @property
    def n_terms(self) -> int:
        return len(self.terms)

    @property
    def term_lipschitz(self) -> tuple:
        """Lipschitz constants of the terms' gradients (``None`` for a nonsmooth term)."""
        return tuple(f.lipschitz if f.smooth else None for f in self.terms)

    @property
    def default_method(self) -> str:
        # multiple splitting where every term is smooth (or smoothed), consensus ADMM otherwise
        return "famsa" if all(L is not None for L in self.term_lipschitz) else "admm"

    def objective(self, x: Any) -> float:
        return float(sum(f.value(x) for f in self.terms))

    def prox_terms(self, V: Any, step: float) -> Any:
        """The stack of :math:`\\operatorname{prox}_{t f_i}(V_i)`, ``t = step`` (``V``: ``(K, *shape)``)."""
        xp = get_namespace(V)
        return xp.stack(_prox_calls([(f, V[i, ...], step) for i, f in enumerate(self.terms)]))

    def grad_terms(self, x: Any) -> Any:
        """The stack of :math:`\\nabla f_i(x)` (every term smooth, e.g. after :meth:`smoothed`)."""
        xp = get_namespace(x)
        if not all(f.smooth for f in self.terms):
            raise ValueError("grad_terms needs smooth terms; use smoothed(sigma) first")
        envelopes = [(i, f) for i, f in enumerate(self.terms) if isinstance(f, MoreauEnvelope)]
        grads: list = [None if isinstance(f, MoreauEnvelope) else f.grad(x) for f in self.terms]
        proxes = _prox_calls([(f.f, x, f.sigma) for _, f in envelopes])
        for (i, f), p in zip(envelopes, proxes):
            grads[i] = (x - p) / f.sigma
        return xp.stack(grads)

    def smoothing_scale(self) -> float:
        """The largest smoothing of the methods' continuation: the one at which the smoothed terms'
        curvature equals the smooth terms' (1 without smooth terms)."""
        L = sum(v for v in self.term_lipschitz if v)
        n = sum(v is None for v in self.term_lipschitz)
        return max(n, 1) / L if L > 0 else 1.0

    def curvature_scale(self) -> float | None:
        """The summed mean Hessian eigenvalue of the least-squares terms (``None`` without any): a
        typical curvature, the scale of the ADMM penalty."""
        total = 0.0
        for f in self.terms:
            if isinstance(f, OperatorSquaredLoss):
                total += f.mean_curvature
            elif isinstance(f, SquaredLoss):
                total += _sq(f.A) / f.A.shape[1]
        return total or None

    def initial_point(self) -> Any:
        return self.xp.zeros(self.shape, dtype=self.dtype)

    def to_cvxpy(self) -> tuple[Any, Any]:
        import cvxpy as cp  # noqa: PLC0415

        var = cp.Variable(self.shape)
        exprs, cons = zip(*(f.to_cvxpy(var) for f in self.terms))
        return cp.Problem(cp.Minimize(sum(exprs)), [c for cs in cons for c in cs]), var

    def _smoothed_terms(self, sigma: float) -> tuple:
        sigma = check_scalar("sigma", sigma, positive=True)
        return tuple(f if f.smooth else MoreauEnvelope(f, sigma) for f in self.terms)

    def _conjugate_shift(self, V: Any, theta: float, rows: tuple) -> float:
        """:math:`\\sum_i \\tfrac\\sigma2\\|\\theta v_i\\|^2` over the smoothed ``rows``: the part of the
        conjugate of a Moreau envelope beyond the function's own (:math:`f^* + \\tfrac\\sigma2\\|\\cdot\\|^2`)."""
        if self.smoothing is None:
            return 0.0
        return 0.5 * self.smoothing * theta * theta * sum(_sq(V[i]) for i in rows)


def _real_dtype(xp: Any, dt: Any) -> Any:
    return xp.float32 if dt in (xp.float32, xp.complex64) else xp.float64


def _ones_image_of(problem: Any) -> tuple[Any, float]:
    xp = problem.xp
    ones = xp.ones(problem.shape, dtype=problem.dtype)
    return problem.operator.apply(ones), float(xp.sum(problem.operator.normal(ones)))


def _norm_term(x: Any, B: Any, Bt: Any, weight: float, z: Any, sigma: float | None, p: Any) -> tuple[float, float]:
    """``(value, Fenchel-Young gap)`` of the term :math:`g = w\\|B\\cdot\\|_1` (or its Moreau envelope of
    parameter ``sigma``, ``p`` its proximal point) at ``x`` for the dual ``z`` (:math:`|z| \\le w`).

    :math:`g(x) + g^*(B^Tz) - \\langle B^Tz, x\\rangle = \\sum_k (w|(Bx)_k| - z_k(Bx)_k)`, a sum of
    nonnegative terms (no cancellation); for the envelope, with
    :math:`e(x) = g(p) + \\|x - p\\|^2/(2\\sigma)` and conjugate :math:`g^* + \\tfrac\\sigma2\\|\\cdot\\|^2`, it is
    :math:`\\sum_k (w|(Bp)_k| - z_k(Bp)_k) + \\|x - p - \\sigma B^Tz\\|^2/(2\\sigma)`.
    """
    xp = get_namespace(x)
    d = B(x if sigma is None else p)
    value = weight * float(xp.sum(xp.abs(d)))
    bracket = value - float(xp.sum(z * d))
    if sigma is not None:
        value += _sq(x - p) / (2.0 * sigma)
        bracket += _sq(x - p - sigma * Bt(z)) / (2.0 * sigma)
    return value, bracket


def _into_box(theta: float, z: Any, radius: float) -> float:
    """``theta`` lowered so that ``theta * z`` lies in the box ``|.| <= radius``."""
    xp = get_namespace(z)
    peak = float(xp.max(xp.abs(z))) if z.size else 0.0
    if peak <= radius:
        return theta
    return min(theta, radius / peak)


def _identity(x: Any) -> Any:
    return x
