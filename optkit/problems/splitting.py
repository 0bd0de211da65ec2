"""Sums of K convex functions: the generic ``SumOfFunctions`` and three instances with a certified
duality gap, ``TVImageRecovery`` (TV + l1 + least squares: denoising, deblurring, MRI),
``FermatWeber`` (sum of distances) and ``FusedLasso``.

Every problem here offers the stacked-term capability the splitting methods (``msa``, ``famsa``,
``admm``) take: ``n_terms``, ``term_lipschitz``, ``prox_terms(V, step)`` and ``grad_terms(x)`` on
arrays stacking one block per term, and ``smoothed(sigma)`` (the same problem with its nonsmooth
terms replaced by their Moreau envelopes). A dual point, where a certificate needs one, is such a
stack ``V`` of subgradient candidates, one per term; the problem turns it into a feasible point of
its Fenchel dual :math:`\\max -\\sum_i f_i^*(v_i)` s.t. :math:`\\sum_i v_i = 0`.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backend import asarray, get_namespace, to_numpy
from ..functions import MoreauEnvelope, OperatorSquaredLoss, TotalVariation, TransformedL1
from ..functions.base import Function, check_array, check_scalar
from ..operators import GaussianBlur, Identity, LinearOperator, PartialFourier
from ._splitting_fermat import FermatWeber
from ._splitting_fused import FusedLasso
from .base import check_shape_and_x0, keyword_weights
from ._splitting_terms import (_float64, _into_box, _norm_term, _ones_image_of, _prox_calls, _real_dtype, _sq,
                               _Terms, k_terms, psnr)

__all__ = ["SumOfFunctions", "TVImageRecovery", "FermatWeber", "FusedLasso", "k_terms", "psnr"]


@dataclass(frozen=True)
class SumOfFunctions(_Terms):
    """:math:`\\min_x \\sum_{i=1}^K f_i(x)` for ``K >= 2`` convex :class:`~optkit.functions.Function` s.

    Parameters
    ----------
    terms : sequence of Function
        Each with a ``prox``; smooth ones with ``grad`` and ``lipschitz``.
    shape : tuple of int
        Shape of ``x``.
    x0 : array, optional
        Default starting point (zeros otherwise); it also fixes the namespace when no term
        holds arrays.

    Notes
    -----
    With ``K = 2`` and a smooth term, the problem also has the two-term capability
    (``f``, the smooth term, and ``g``) that ``alm``, ``fast_alm`` and ``fista`` take.

    The optimality measure is the relative fixed-point residual: for stacked subgradient
    candidates :math:`v_i` (``dual``, made to sum to zero), with :math:`s = 1/\\sum L_i` over the
    smooth terms (1 without any),

    .. math:: \\frac{\\|(x - \\operatorname{prox}_{s f_i}(x + s v_i))_i\\| / s}{1 + \\|(v_i)_i\\|},

    zero exactly when :math:`v_i \\in \\partial f_i(x)` for all ``i`` and
    :math:`\\sum_i v_i = 0`, i.e. at a minimiser. With at most one nonsmooth term the smooth
    terms' gradients are used and the nonsmooth one takes minus their sum (the gradient-mapping
    residual; ``dual`` is then not needed); with two or more nonsmooth terms and no ``dual`` it is
    not computed (``inf``).

    The splitting methods solve it: multiple splitting (``msa``, ``famsa``) [1]_ when every
    term is smooth (nonsmooth terms through their Moreau envelopes) and consensus ADMM
    (``admm``) [2]_ on the exact terms.

    References
    ----------
    .. [1] D. Goldfarb and S. Ma, "Fast multiple-splitting algorithms for convex
       optimization", SIAM J. Optim. 22 (2012); arXiv:0912.4570.
    .. [2] S. Boyd, N. Parikh, E. Chu, B. Peleato and J. Eckstein, "Distributed
       optimization and statistical learning via the alternating direction method of
       multipliers", Found. Trends Mach. Learn. 3 (2011), 1-122.

    Examples
    --------
    A sparse, piecewise-constant least-squares fit, the K = 3 terms given one by one:

    >>> import numpy as np
    >>> import optkit
    >>> from optkit.functions import L1Norm, SquaredLoss, TotalVariation
    >>> from optkit.problems import SumOfFunctions
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((20, 10)), rng.standard_normal(20)
    >>> problem = SumOfFunctions([SquaredLoss(A, b), L1Norm(0.5), TotalVariation((10,), 0, 0.5)], (10,))
    >>> problem.n_terms, problem.default_method
    (3, 'admm')
    >>> res = optkit.solve(problem, tol=1e-6)
    >>> res.success, res.x.shape
    (True, (10,))
    """

    optimality_measure = "relative fixed-point residual |(x - prox_{s f_i}(x + s v_i))_i| / (s (1 + |V|))"
    terms: tuple
    shape: tuple
    x0: Any = None

    def __post_init__(self) -> None:
        terms = tuple(self.terms) if isinstance(self.terms, (list, tuple)) else None
        if terms is None or len(terms) < 2:
            raise ValueError("terms must be a sequence of at least two Functions")
        for i, f in enumerate(terms):
            if not isinstance(f, Function):
                raise TypeError(f"terms[{i}] must be an optkit.functions.Function, got {type(f).__name__}")
            if not f.has_prox:
                raise ValueError(f"terms[{i}] ({type(f).__name__}) has no prox")
        object.__setattr__(self, "terms", terms)
        check_shape_and_x0(self)
        if not self.arrays():
            raise ValueError("SumOfFunctions needs data arrays: give x0 when no term holds arrays")

    def arrays(self) -> dict[str, Any]:
        out = {f"terms[{i}].{k}": v for i, f in enumerate(self.terms) for k, v in f.arrays().items()}
        if self.x0 is not None:
            out["x0"] = self.x0
        return out

    @property
    def dtype(self) -> Any:
        xp = self.xp
        dt = next(iter(self.arrays().values())).dtype
        return xp.float32 if dt in (xp.float32, xp.complex64) else xp.float64

    def to(self, xp: Any) -> "SumOfFunctions":
        x0 = None if self.x0 is None else asarray(to_numpy(self.x0), xp=xp)
        return SumOfFunctions(tuple(f.to(xp) for f in self.terms), self.shape, x0)

    def map_arrays(self, fn: Any) -> "SumOfFunctions":
        x0 = None if self.x0 is None else fn(self.x0)
        return SumOfFunctions(tuple(f.map_arrays(fn) for f in self.terms), self.shape, x0)

    def initial_point(self) -> Any:
        return self.x0 if self.x0 is not None else super().initial_point()

    def smoothed(self, sigma: float) -> "SumOfFunctions":
        """The problem with every nonsmooth term replaced by its Moreau envelope of parameter ``sigma``."""
        return SumOfFunctions(self._smoothed_terms(sigma), self.shape, self.x0)

    @property
    def f(self) -> Function | None:
        smooth = [g for g in self.terms if g.smooth]
        return smooth[0] if len(self.terms) == 2 and smooth else None

    @property
    def g(self) -> Function | None:
        f = self.f
        return None if f is None else (self.terms[1] if self.terms[0] is f else self.terms[0])

    def measures(self, x: Any, dual: Any = None) -> dict[str, float]:
        xp = get_namespace(x)
        fun = self.objective(x)
        smooth = [f.smooth for f in self.terms]
        Ls = [f.lipschitz for f in self.terms if f.smooth and f.lipschitz]
        s = 1.0 / sum(Ls) if Ls else 1.0
        if dual is None or smooth.count(False) <= 1:
            # with at most one nonsmooth term its exact candidate is minus the smooth gradients at x,
            # better than any given one (the gradient-mapping residual, zero at a minimiser)
            if smooth.count(False) > 1:
                return {"fun": fun, "optimality": math.inf, "residual": math.inf}
            grads = [f.grad(x) if f.smooth else None for f in self.terms]
            total = sum(g for g in grads if g is not None)
            V = xp.stack([g if g is not None else -total for g in grads])
            if all(smooth):
                V = V - xp.mean(V, axis=0)
        else:
            V = dual - xp.mean(dual, axis=0)
        R = xp.stack([x] * self.n_terms) - self.prox_terms(x + s * V, s)
        residual = math.sqrt(_sq(R)) / s
        return {"fun": fun, "optimality": residual / (1.0 + math.sqrt(_sq(V))), "residual": residual}


@keyword_weights
@dataclass(frozen=True)
class TVImageRecovery(_Terms):
    """Image recovery by total variation and DCT sparsity, the K = 3 or 4 term problem

    .. math::
        \\min_x \\tfrac12\\|Ax - b\\|^2 + \\lambda_{tv}(TV_{rows}(x) + TV_{cols}(x)) + \\lambda_1\\|\\Phi x\\|_1,

    :math:`TV_{rows}(x) = \\sum_{ij}|x_{i,j+1} - x_{ij}|` and :math:`TV_{cols}` likewise down
    the columns (no wrap-around), :math:`\\Phi` the orthonormal 2-D DCT.

    Parameters
    ----------
    b : array
        The data: a real image (``operator`` ``None`` or ``GaussianBlur``), or the sampled
        k-space values of a ``PartialFourier`` operator (complex; either one value per
        ``True`` of its mask, in row-major order, or the full k-space array, zero off the mask).
    lam_tv : float
        :math:`\\lambda_{tv} \\ge 0` (keyword only, like every parameter after ``b``).
    lam_l1 : float
        :math:`\\lambda_1 \\ge 0` (0: no DCT term, K = 3).
    operator : LinearOperator, optional
        ``None`` (identity: denoising), :class:`optkit.operators.GaussianBlur` (deblurring)
        or :class:`optkit.operators.PartialFourier` (compressed-sensing MRI).
    smoothing : float, optional
        :math:`\\sigma`: solve the smoothed problem, each nonsmooth term replaced by its
        Moreau envelope :math:`e_\\sigma` (the problem ``msa``/``famsa`` solve).
    truth : array, optional
        The true image; its PSNR is then reported among the measures.

    Notes
    -----
    Terms, in order: the data term, :math:`\\lambda_{tv}TV_{rows}`, :math:`\\lambda_{tv}TV_{cols}`
    and, if :math:`\\lambda_1 > 0`, :math:`\\lambda_1\\|\\Phi\\cdot\\|_1`. Every prox is exact:
    the data term's through the FFT, the TV terms' by Condat's algorithm, the DCT term's
    by soft-thresholding DCT coefficients.

    Optimality is the relative duality gap :math:`(P(x) - D)/P(x)`. The Fenchel dual is
    :math:`\\max -h^*(y_0) - \\sum_j g_j^*(B_j^* z_j)` s.t. :math:`A^*y_0 + \\sum_j B_j^* z_j = 0`
    with :math:`h^*(y) = \\tfrac12\\|y\\|^2 + \\operatorname{Re}\\langle b, y\\rangle`, each
    :math:`g_j^*` the indicator of :math:`\\|z_j\\|_\\infty \\le \\lambda_j` (plus
    :math:`\\tfrac\\sigma2\\|B_j^*z_j\\|^2` when smoothed). The candidates ``dual`` give the
    :math:`z_j` (clipped to their boxes); one block then absorbs what the equality misses:
    :math:`y_0` when :math:`A = I`; else the DCT block (with :math:`y_0 = Ax - b`), or without
    it the two TV blocks (:math:`y_0 = Ax - b + \\alpha A1` so that the rest has zero mean),
    followed by a common scaling :math:`\\theta \\le 1` into the boxes. Every such point is
    dual feasible, so the gap bounds the relative suboptimality of ``x``. The gap is summed
    term by term as Fenchel-Young gaps :math:`f_j(x) + f_j^*(v_j) - \\langle v_j, x\\rangle \\ge 0`
    (no cancellation between primal and dual values).

    Total variation regularisation is Rudin, Osher & Fatemi's [1]_; the TV prox is
    Condat's direct algorithm [2]_; with :class:`~optkit.operators.PartialFourier` it is
    the compressed-sensing MRI model of Lustig, Donoho & Pauly [3]_; TV + l1 + least squares
    is a test problem of multiple splitting [4]_.

    References
    ----------
    .. [1] L. I. Rudin, S. Osher and E. Fatemi, "Nonlinear total variation based noise
       removal algorithms", Physica D 60 (1992), 259-268.
    .. [2] L. Condat, "A direct algorithm for 1-D total variation denoising", IEEE Signal
       Process. Lett. 20 (2013), 1054-1057.
    .. [3] M. Lustig, D. Donoho and J. M. Pauly, "Sparse MRI: the application of compressed
       sensing for rapid MR imaging", Magn. Reson. Med. 58 (2007), 1182-1195.
    .. [4] D. Goldfarb and S. Ma, "Fast multiple-splitting algorithms for convex
       optimization", SIAM J. Optim. 22 (2012); arXiv:0912.4570.

    Examples
    --------
    Denoising a 32 x 32 Shepp-Logan phantom (noise 0.1) with consensus ADMM, the default:

    >>> import optkit
    >>> from optkit.datasets import noisy_image
    >>> from optkit.problems import TVImageRecovery, psnr
    >>> data = noisy_image("shepp_logan", 32, seed=0)
    >>> problem = TVImageRecovery(data.b, lam_tv=data.lam_tv, truth=data.truth)
    >>> problem.n_terms, problem.default_method
    (3, 'admm')
    >>> res = optkit.solve(problem, tol=1e-5)
    >>> res.success, res.measures["psnr"] > psnr(data.b, data.truth) + 3
    (True, True)

    The smoothed problem (every term smooth) goes to FaMSA:

    >>> res = optkit.solve(problem.smoothed(0.05), tol=1e-5)
    >>> res.method, res.success
    ('famsa', True)
    """

    optimality_measure = "relative duality gap (P(x) - D(V)) / |P(x)|, a sum of Fenchel-Young gaps"

    b: Any
    lam_tv: float = field(kw_only=True)
    lam_l1: float = field(default=0.0, kw_only=True)
    operator: LinearOperator | None = field(default=None, kw_only=True)
    smoothing: float | None = field(default=None, kw_only=True)
    truth: Any = field(default=None, kw_only=True)
    terms: tuple = field(init=False, repr=False, compare=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        op = self.operator
        if op is not None and not isinstance(op, (Identity, GaussianBlur, PartialFourier)):
            raise TypeError(f"operator must be None, GaussianBlur or PartialFourier, got {type(op).__name__}")
        try:
            xp = get_namespace(self.b)
        except TypeError:
            raise TypeError(f"b must be an array, got {type(self.b).__name__}") from None
        b = self.b
        if isinstance(op, PartialFourier):
            if not xp.isdtype(b.dtype, ("real floating", "complex floating")):
                raise TypeError(f"b must hold complex k-space values, got dtype {b.dtype}")
            cdt = xp.complex64 if b.dtype in (xp.float32, xp.complex64) else xp.complex128
            b = xp.astype(b, cdt)
            if tuple(b.shape) != op.shape:
                mask = to_numpy(op.mask)
                if b.ndim != 1 or b.shape[0] != int(mask.sum()):
                    raise ValueError(f"b must have one value per sampled frequency ({int(mask.sum())}) or the "
                                     f"mask's shape {op.shape}, got shape {tuple(b.shape)}")
                full = np.zeros(mask.shape, dtype=complex)
                full[mask] = to_numpy(b)
                b = asarray(full, like=b)
            b = xp.where(asarray(to_numpy(op.mask), like=b, dtype=xp.bool), b, xp.zeros((), dtype=cdt))
            if not bool(xp.all(xp.isfinite(b))):
                raise ValueError("b contains NaN or infinite entries")
            real = _real_dtype(xp, cdt)
        else:
            b = check_array("b", b, ndim=2)
            real = b.dtype
        if b.ndim != 2:
            raise ValueError(f"b must describe a 2-d image, got shape {tuple(b.shape)}")
        shape = tuple(b.shape)
        op = Identity(shape) if op is None else op
        if tuple(op.shape) != shape:
            raise ValueError(f"operator acts on shape {tuple(op.shape)}, but b has shape {shape}")
        op = op.to(xp, real)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "operator", op)
        object.__setattr__(self, "lam_tv", check_scalar("lam_tv", self.lam_tv))
        object.__setattr__(self, "lam_l1", check_scalar("lam_l1", self.lam_l1))
        object.__setattr__(self, "smoothing", check_scalar("smoothing", self.smoothing, positive=True,
                                                           allow_none=True))
        if self.truth is not None:
            truth = check_array("truth", self.truth, ndim=2)
            if tuple(truth.shape) != shape:
                raise ValueError(f"truth must have shape {shape}, got {tuple(truth.shape)}")
            object.__setattr__(self, "truth", truth)
        terms: tuple = (OperatorSquaredLoss(op, b), TotalVariation(shape, 1, self.lam_tv),
                        TotalVariation(shape, 0, self.lam_tv))
        if self.lam_l1 > 0:
            terms += (TransformedL1(shape, "dct", self.lam_l1),)
        if self.smoothing is not None:
            terms = tuple(f if f.smooth else MoreauEnvelope(f, self.smoothing) for f in terms)
        object.__setattr__(self, "terms", terms)

    @property
    def shape(self) -> tuple:
        return tuple(self.b.shape)

    @property
    def dtype(self) -> Any:
        return _real_dtype(self.xp, self.b.dtype)

    def arrays(self) -> dict[str, Any]:
        return {k: v for k, v in (("b", self.b), ("truth", self.truth)) if v is not None}

    def to(self, xp: Any) -> "TVImageRecovery":
        b = asarray(to_numpy(self.b), xp=xp)
        truth = None if self.truth is None else asarray(to_numpy(self.truth), xp=xp)
        return dataclasses.replace(self, b=b, truth=truth, operator=self.operator.to(xp, _real_dtype(xp, b.dtype)))

    def smoothed(self, sigma: float) -> "TVImageRecovery":
        return dataclasses.replace(self, smoothing=check_scalar("sigma", sigma, positive=True))

    def _ones_image(self) -> tuple[Any, float]:
        """:math:`A1` and :math:`\\sum A^*A1` (cached): the direction that fixes the dual's mean."""
        if "ones" not in self._cache:
            self._cache["ones"] = _ones_image_of(self)
        return self._cache["ones"]

    def _envelope_points(self, x: Any) -> list:
        """:math:`\\operatorname{prox}_{\\sigma g_j}(x)` for the smoothed terms (one batched call), else ``None`` s."""
        n = self.n_terms - 1
        if self.smoothing is None:
            return [None] * n
        return _prox_calls([(self._base(j), x, self.smoothing) for j in range(1, self.n_terms)])

    def _base(self, j: int) -> Function:
        f = self.terms[j]
        return f.f if isinstance(f, MoreauEnvelope) else f

    def _candidates(self, x: Any) -> Any:
        """Subgradient candidates from ``x`` alone: gradients of smooth terms, else
        :math:`B_j^T(\\lambda_j\\operatorname{sign}(B_jx))` (loose on flat regions)."""
        xp = get_namespace(x)
        if self.smoothing is not None:
            return self.grad_terms(x)
        rows = [self.terms[0].grad(x)]
        for tv in self.terms[1:3]:
            rows.append(tv.adjoint_differences(tv.lam * xp.sign(tv.differences(x))))
        if self.lam_l1 > 0:
            phi = self.terms[3].operator
            rows.append(phi.adjoint(self.lam_l1 * xp.sign(phi.apply(x))))
        return xp.stack(rows)

    def measures(self, x: Any, dual: Any = None) -> dict[str, float]:
        xp = get_namespace(x)
        x, dual = _float64(x), _float64(dual)
        op, lam = self.operator, self.lam_tv
        r = self.terms[0].residual(x)
        V = self._candidates(x) if dual is None else dual
        tv_r, tv_c = self._base(1), self._base(2)
        z_r = xp.clip(tv_r.dual_of(V[1, ...]), min=-lam, max=lam)
        z_c = xp.clip(tv_c.dual_of(V[2, ...]), min=-lam, max=lam)
        phi = self._base(3).operator if self.lam_l1 > 0 else None
        z_l = None if phi is None else xp.clip(phi.apply(V[3, ...]), min=-self.lam_l1, max=self.lam_l1)
        theta = 1.0
        if isinstance(op, Identity):
            y0 = -(tv_r.adjoint_differences(z_r) + tv_c.adjoint_differences(z_c))
            if phi is not None:
                y0 = y0 - phi.adjoint(z_l)
        elif phi is not None:
            y0 = r
            z_l = phi.apply(-op.adjoint(r) - tv_r.adjoint_differences(z_r) - tv_c.adjoint_differences(z_c))
            theta = _into_box(theta, z_l, self.lam_l1)
        else:
            a1, total = self._ones_image()
            y0 = r if total <= 0 else r - (float(xp.sum(op.adjoint(r))) / total) * a1
            e = -op.adjoint(y0) - tv_r.adjoint_differences(z_r) - tv_c.adjoint_differences(z_c)
            q = xp.broadcast_to(xp.mean(e, axis=1, keepdims=True), e.shape)   # moved between rows by z_c
            z_c = z_c + tv_c.dual_of(q)
            z_r = z_r + tv_r.dual_of(e - q)
            theta = _into_box(_into_box(theta, z_r, lam), z_c, lam)
        d = r - theta * y0
        fun = 0.5 * float(xp.sum(xp.real(r * xp.conj(r))))
        gap = 0.5 * float(xp.sum(xp.real(d * xp.conj(d))))
        pieces = [(tv_r.differences, tv_r.adjoint_differences, lam, z_r), (tv_c.differences, tv_c.adjoint_differences,
                                                                          lam, z_c)]
        if phi is not None:
            pieces.append((phi.apply, phi.adjoint, self.lam_l1, z_l))
        points = self._envelope_points(x)
        for (B, Bt, weight, z), p in zip(pieces, points):
            value, bracket = _norm_term(x, B, Bt, weight, theta * z, self.smoothing, p)
            fun, gap = fun + value, gap + bracket
        out = {"fun": fun, "optimality": max(gap, 0.0) / max(abs(fun), 1e-300), "gap": max(gap, 0.0)}
        if self.truth is not None:
            out["psnr"] = psnr(x, self.truth)
        return out
