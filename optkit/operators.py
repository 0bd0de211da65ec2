"""Linear operators of imaging problems, diagonal in a Fourier or cosine basis.

Each operator maps a real array of ``shape`` to its image and offers what splitting methods
need: ``apply``, ``adjoint`` (real), ``normal`` (:math:`A^*A`), ``gram_solve``
(:math:`(I + tA^*A)^{-1}`, the heart of the least-squares prox), ``norm_sq``
(:math:`\\|A\\|_2^2`) and ``to_cvxpy`` (the same map on a CVXPY variable of at most two
dimensions, through small dense matrices per axis). On NumPy the transforms run through
:mod:`scipy.fft` (its ``workers`` setting, e.g. ``scipy.fft.set_workers``, applies); on other
libraries through the array API's ``fft`` extension.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .backend import asarray, get_namespace, is_numpy, to_numpy

__all__ = ["LinearOperator", "Identity", "GaussianBlur", "PartialFourier", "DCT"]


def _fft(xp: Any):
    """The FFT module for namespace ``xp``: scipy.fft on NumPy, the array API's otherwise."""
    if is_numpy(xp):
        import scipy.fft  # noqa: PLC0415

        return scipy.fft
    return xp.fft


def _rfftn(x: Any) -> Any:
    return _fft(get_namespace(x)).rfftn(x, axes=tuple(range(x.ndim)), norm="ortho")


def _irfftn(X: Any, shape: tuple) -> Any:
    return _fft(get_namespace(X)).irfftn(X, s=shape, axes=tuple(range(len(shape))), norm="ortho")


def _half(a: np.ndarray) -> np.ndarray:
    """The rfft layout (last axis cut to ``n // 2 + 1``) of a full-spectrum array."""
    return np.ascontiguousarray(a[..., : a.shape[-1] // 2 + 1])


class LinearOperator:
    """Base of the operators: frozen dataclasses whose array fields live in one namespace.

    ``shape`` is the shape of the (real) input; ``complex_output`` says whether ``apply``
    returns complex values (then the least-squares term uses :math:`|\\cdot|^2`).
    """

    shape: tuple
    complex_output = False

    def arrays(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.init and hasattr(getattr(self, f.name), "shape")}

    def to(self, xp: Any, dtype: Any = None) -> "LinearOperator":
        """The same operator with its arrays in namespace ``xp`` (and real ``dtype``)."""
        host = {k: to_numpy(v) for k, v in self.arrays().items()}
        return dataclasses.replace(self, **{k: asarray(v, xp=xp, dtype=dtype if v.dtype.kind == "f" else None)
                                            for k, v in host.items()})

    def apply(self, x: Any) -> Any:
        raise NotImplementedError

    def adjoint(self, y: Any) -> Any:
        raise NotImplementedError

    def normal(self, x: Any) -> Any:
        """:math:`A^*A x`."""
        return self.adjoint(self.apply(x))

    def gram_solve(self, v: Any, step: float) -> Any:
        """:math:`(I + t A^*A)^{-1} v` for ``t = step``."""
        raise NotImplementedError

    @property
    def norm_sq(self) -> float:
        """:math:`\\|A\\|_2^2`, the Lipschitz constant of the gradient of :math:`\\tfrac12\\|Ax - b\\|^2`."""
        raise NotImplementedError

    @property
    def mean_eigenvalue(self) -> float:
        """The mean eigenvalue of :math:`A^*A` (its trace over the dimension): a typical curvature
        of :math:`\\tfrac12\\|Ax - b\\|^2`, which splitting methods use to scale their penalty."""
        raise NotImplementedError

    def to_cvxpy(self, var: Any) -> tuple[Any, Any, list]:
        """``(real part, imaginary part or None, constraints)`` of :math:`A` applied to a CVXPY variable.

        A product :math:`M_0 X M_1^T` of small dense matrices goes through an auxiliary variable
        :math:`Y = M_0X`, so that the model holds two sparse Kronecker factors instead of the dense
        :math:`M_1 \\otimes M_0`."""
        raise NotImplementedError


def _check_shape(shape: Any) -> tuple:
    if not isinstance(shape, tuple) or not shape or not all(isinstance(s, int) and s > 0 for s in shape):
        raise ValueError(f"shape must be a non-empty tuple of positive ints, got {shape!r}")
    return shape


class _Orthonormal(LinearOperator):
    """An operator with :math:`A^*A = I`: the normal map, the Gram solve and the norms are trivial."""

    def normal(self, x: Any) -> Any:
        return x

    def gram_solve(self, v: Any, step: float) -> Any:
        return v / (1.0 + step)

    @property
    def norm_sq(self) -> float:
        return 1.0

    mean_eigenvalue = norm_sq


@dataclass(frozen=True)
class Identity(_Orthonormal):
    """:math:`A = I` on arrays of ``shape`` (denoising)."""

    shape: tuple

    def __post_init__(self) -> None:
        _check_shape(self.shape)

    def apply(self, x: Any) -> Any:
        return x

    def adjoint(self, y: Any) -> Any:
        return y

    def to_cvxpy(self, var: Any) -> tuple[Any, Any, list]:
        return var, None, []


def _spectrum_mean(half: Any, shape: tuple) -> float:
    """Mean over the full spectrum of a real even function given in the rfft layout ``half``."""
    xp = get_namespace(half)
    n = shape[-1]
    weight = xp.full((half.shape[-1],), 2.0, dtype=half.dtype)
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    return float(xp.sum(half * weight)) / math.prod(shape)


def _periodic_gaussian(n: int, sigma: float) -> np.ndarray:
    """The Gaussian of width ``sigma`` sampled at ``0..n-1`` on a circle of ``n`` points, summing to 1."""
    j = np.arange(n)
    wraps = int(math.ceil(8 * sigma / n)) + 1
    g = sum(np.exp(-((j + m * n) ** 2) / (2.0 * sigma ** 2)) for m in range(-wraps, wraps + 1))
    return g / g.sum()


def _circulant(g: np.ndarray) -> np.ndarray:
    n = g.shape[0]
    return g[(np.arange(n)[:, None] - np.arange(n)[None, :]) % n]


@dataclass(frozen=True)
class GaussianBlur(LinearOperator):
    """Periodic Gaussian blur of width ``sigma`` pixels on arrays of ``shape`` (deblurring).

    :math:`Ax = h * x`, the circular convolution with the separable kernel
    :math:`h = g_1 \\otimes \\dots \\otimes g_d`, each :math:`g_a` a periodised Gaussian of
    standard deviation ``sigma`` normalised to sum 1. It is diagonal in the Fourier
    basis with the real positive transfer function :math:`H = \\hat g_1 \\otimes \\dots`:
    :math:`A = A^*`, :math:`\\|A\\| = H(0) = 1`, and
    :math:`(I + tA^*A)^{-1} = F^*\\operatorname{diag}(1/(1 + tH^2))F`.
    """

    shape: tuple
    sigma: float = 2.0
    transfer: Any = field(default=None, repr=False)   # H in the rfft layout; built from shape and sigma

    def __post_init__(self) -> None:
        _check_shape(self.shape)
        if isinstance(self.sigma, bool) or not isinstance(self.sigma, (int, float)) or not self.sigma > 0 \
                or not math.isfinite(self.sigma):
            raise ValueError(f"sigma must be a positive finite number, got {self.sigma!r}")
        if self.transfer is None:
            H = np.ones(())
            for n in self.shape:
                H = np.multiply.outer(H, np.real(np.fft.fft(_periodic_gaussian(n, float(self.sigma)))))
            object.__setattr__(self, "transfer", _half(H))

    def _filter(self, x: Any, weight: Any) -> Any:
        return _irfftn(_rfftn(x) * weight, self.shape)

    def apply(self, x: Any) -> Any:
        return self._filter(x, self.transfer)

    def adjoint(self, y: Any) -> Any:
        return self._filter(y, self.transfer)

    def normal(self, x: Any) -> Any:
        return self._filter(x, self.transfer * self.transfer)

    def gram_solve(self, v: Any, step: float) -> Any:
        return self._filter(v, 1.0 / (1.0 + step * (self.transfer * self.transfer)))

    @property
    def norm_sq(self) -> float:
        return 1.0

    @property
    def mean_eigenvalue(self) -> float:
        return _spectrum_mean(self.transfer * self.transfer, self.shape)

    def to_cvxpy(self, var: Any) -> tuple[Any, Any, list]:
        expr, cons = _separable([_circulant(_periodic_gaussian(n, float(self.sigma))) for n in self.shape], var)
        return expr, None, cons


@dataclass(frozen=True)
class PartialFourier(LinearOperator):
    """Undersampled orthonormal Fourier transform (compressed-sensing MRI).

    :math:`Ax = M \\odot Fx` with :math:`F` the orthonormal d-dimensional DFT and :math:`M`
    the boolean sampling ``mask`` (the k-space positions measured; index 0 is the zero
    frequency). The output is complex, of the mask's shape, zero off the mask. For real
    :math:`x`, :math:`A^*y = \\operatorname{Re} F^*(M \\odot y)` and
    :math:`A^*A = F^*\\operatorname{diag}(m)F` with the symmetrised mask
    :math:`m(k) = (M(k) + M(-k))/2`, so :math:`(I + tA^*A)^{-1}` is a real-FFT filter and
    :math:`\\|A\\|^2 = \\max m = 1`.
    """

    mask: Any
    symmetric: Any = field(default=None, repr=False)    # m in the rfft layout, from the mask
    complex_output = True

    def __post_init__(self) -> None:
        try:
            xp = get_namespace(self.mask)
        except TypeError:
            raise TypeError(f"mask must be a boolean array, got {type(self.mask).__name__}") from None
        if self.mask.dtype != xp.bool:
            raise TypeError(f"mask must be a boolean array, got dtype {self.mask.dtype}")
        if self.mask.ndim == 0 or not bool(xp.any(self.mask)):
            raise ValueError("mask must be an array with at least one sampled frequency")
        if self.symmetric is None:
            M = to_numpy(self.mask).astype(float)
            flipped = np.roll(np.flip(M), 1, axis=tuple(range(M.ndim)))
            object.__setattr__(self, "symmetric", asarray(_half(0.5 * (M + flipped)), like=self.mask,
                                                          dtype=xp.float64))

    @property
    def shape(self) -> tuple:
        return tuple(self.mask.shape)

    def to(self, xp: Any, dtype: Any = None) -> "PartialFourier":
        return PartialFourier(asarray(to_numpy(self.mask), xp=xp),
                              asarray(to_numpy(self.symmetric), xp=xp, dtype=dtype))

    def apply(self, x: Any) -> Any:
        xp = get_namespace(x)
        cdt = xp.complex64 if x.dtype == xp.float32 else xp.complex128
        return xp.where(self.mask, _fft(xp).fftn(xp.astype(x, cdt), norm="ortho"), xp.zeros((), dtype=cdt))

    def adjoint(self, y: Any) -> Any:
        xp = get_namespace(y)
        return xp.real(_fft(xp).ifftn(xp.where(self.mask, y, xp.zeros((), dtype=y.dtype)), norm="ortho"))

    def normal(self, x: Any) -> Any:
        return _irfftn(_rfftn(x) * self.symmetric, self.shape)

    def gram_solve(self, v: Any, step: float) -> Any:
        return _irfftn(_rfftn(v) / (1.0 + step * self.symmetric), self.shape)

    @property
    def norm_sq(self) -> float:
        return float(get_namespace(self.symmetric).max(self.symmetric))

    @property
    def mean_eigenvalue(self) -> float:
        xp = get_namespace(self.mask)
        return float(xp.mean(xp.astype(self.mask, xp.float64)))

    def to_cvxpy(self, var: Any) -> tuple[Any, Any, list]:
        import cvxpy as cp  # noqa: PLC0415

        if len(self.shape) > 2:
            raise NotImplementedError("the CVXPY form covers 1-d and 2-d images")
        # F = C - iS per axis (orthonormal DFT matrices)
        cs = [(np.cos(2 * np.pi * np.outer(np.arange(n), np.arange(n)) / n) / math.sqrt(n),
               np.sin(2 * np.pi * np.outer(np.arange(n), np.arange(n)) / n) / math.sqrt(n)) for n in self.shape]
        M = to_numpy(self.mask).astype(float)
        cons: list = []
        if len(cs) == 1:
            (C, S), = cs
            re, im = C @ var, -(S @ var)
        else:
            (C0, S0), (C1, S1) = cs
            Yc, Ys = cp.Variable(self.shape), cp.Variable(self.shape)
            cons = [Yc == C0 @ var, Ys == S0 @ var]
            re = Yc @ C1.T - Ys @ S1.T
            im = -(Yc @ S1.T + Ys @ C1.T)
        return cp.multiply(M, re), cp.multiply(M, im), cons


def _dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II matrix of size ``n``."""
    k, j = np.arange(n)[:, None], np.arange(n)[None, :]
    C = np.cos(np.pi * k * (2 * j + 1) / (2 * n)) * math.sqrt(2.0 / n)
    C[0] /= math.sqrt(2.0)
    return C


def _dct_last(x: Any, inverse: bool) -> Any:
    """Orthonormal DCT-II (or its inverse, DCT-III) along the last axis by one complex FFT of the
    same length (Makhoul 1980): ``v = (x_0, x_2, ..., x_3, x_1)``, ``X_k = Re(e^{-i pi k / 2N} FFT(v)_k)``."""
    xp = get_namespace(x)
    n = x.shape[-1]
    cdt = xp.complex64 if x.dtype == xp.float32 else xp.complex128
    k = xp.astype(xp.arange(n), x.dtype)
    scale = xp.concat([xp.full((1,), math.sqrt(1.0 / n), dtype=x.dtype),
                       xp.full((n - 1,), math.sqrt(2.0 / n), dtype=x.dtype)])
    angle = (math.pi / (2 * n)) * k
    twiddle = xp.astype(xp.cos(angle), cdt) - 1j * xp.astype(xp.sin(angle), cdt)
    if not inverse:
        v = xp.concat([x[..., 0::2], xp.flip(x[..., 1::2], axis=-1)], axis=-1)
        return xp.real(xp.fft.fft(xp.astype(v, cdt), axis=-1) * twiddle) * scale
    X = x / scale
    shifted = xp.concat([xp.zeros(X.shape[:-1] + (1,), dtype=X.dtype), xp.flip(X[..., 1:], axis=-1)], axis=-1)
    V = (xp.astype(X, cdt) - 1j * xp.astype(shifted, cdt)) * xp.conj(twiddle)
    v = xp.real(xp.fft.ifft(V, axis=-1))
    half = (n + 1) // 2
    out = xp.empty_like(x)
    out[..., 0::2] = v[..., :half]
    out[..., 1::2] = xp.flip(v[..., half:], axis=-1)
    return out


@dataclass(frozen=True)
class DCT(_Orthonormal):
    """The orthonormal d-dimensional DCT-II :math:`\\Phi` on arrays of ``shape``
    (:math:`\\Phi^{-1} = \\Phi^T`); :func:`scipy.fft.dctn` on NumPy, FFT-based elsewhere."""

    shape: tuple

    def __post_init__(self) -> None:
        _check_shape(self.shape)

    def _transform(self, x: Any, inverse: bool) -> Any:
        xp = get_namespace(x)
        if is_numpy(xp):
            import scipy.fft  # noqa: PLC0415

            return (scipy.fft.idctn if inverse else scipy.fft.dctn)(x, type=2, norm="ortho")
        for axis in range(x.ndim):
            x = xp.moveaxis(_dct_last(xp.moveaxis(x, axis, -1), inverse), -1, axis)
        return x

    def apply(self, x: Any) -> Any:
        return self._transform(x, inverse=False)

    def adjoint(self, y: Any) -> Any:
        return self._transform(y, inverse=True)

    def to_cvxpy(self, var: Any) -> tuple[Any, Any, list]:
        expr, cons = _separable([_dct_matrix(n) for n in self.shape], var)
        return expr, None, cons


def _separable(mats: list, var: Any) -> tuple[Any, list]:
    """:math:`M_0 X M_1^T` (or :math:`M_0x` in 1-d) through an auxiliary :math:`Y = M_0X`."""
    import cvxpy as cp  # noqa: PLC0415

    if len(mats) > 2:
        raise NotImplementedError("the CVXPY form covers 1-d and 2-d arrays")
    if len(mats) == 1:
        return mats[0] @ var, []
    Y = cp.Variable(var.shape)
    return Y @ mats[1].T, [Y == mats[0] @ var]
