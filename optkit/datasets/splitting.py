"""Data for sums of K convex functions: scikit-image's bundled images degraded by a stated blur,
noise level or k-space sampling pattern (fixed seeds), and seeded Fermat-Weber and fused-lasso
instances. Nothing is downloaded: ``camera`` (512 x 512, public domain) and the Shepp-Logan
phantom (400 x 400) ship inside scikit-image."""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

__all__ = ["ImageData", "standard_image", "mri_phantom", "blurred_camera", "noisy_image", "fermat_weber_points",
           "fused_lasso_instance"]


class ImageData(NamedTuple):
    """A degraded image and what produced it.

    Attributes
    ----------
    b : numpy.ndarray
        The data (a real image, or the sampled k-space values for MRI, complex, full size,
        zero off the mask).
    truth : numpy.ndarray
        The clean image, intensities in [0, 1].
    operator : object
        The :mod:`optkit.operators` operator (``None`` for denoising).
    lam_tv, lam_l1 : float
        Suggested weights (chosen for a good PSNR on the default instance).
    description : str
        The degradation, in words.

    Examples
    --------
    >>> from optkit.datasets import noisy_image
    >>> data = noisy_image("shepp_logan", 32, seed=0)
    >>> data.b.shape, data.operator, data.lam_tv
    ((32, 32), None, 0.06)
    >>> data.description
    'shepp_logan 32x32, Gaussian noise std 0.1 (seed 0)'
    """

    b: Any
    truth: Any
    operator: Any
    lam_tv: float
    lam_l1: float
    description: str


def standard_image(name: str = "camera", size: int = 256) -> np.ndarray:
    """scikit-image's ``camera`` or Shepp-Logan phantom, resized to ``size x size``, in [0, 1].

    Parameters
    ----------
    name : {"camera", "shepp_logan"}
        The image: the ``camera`` photograph (512 x 512) or the Shepp-Logan phantom (400 x 400),
        both bundled with scikit-image [1]_.
    size : int
        Side of the square output, at least 4 (resized with anti-aliasing when it differs).

    Returns
    -------
    numpy.ndarray, shape (size, size)
        The image in float64, intensities clipped to [0, 1].

    References
    ----------
    .. [1] S. van der Walt et al., "scikit-image: image processing in Python", PeerJ 2 (2014),
       e453 (the bundled ``camera`` photograph and Shepp-Logan phantom).

    Examples
    --------
    >>> from optkit.datasets import standard_image
    >>> img = standard_image("camera", 16)
    >>> img.shape, img.dtype, bool(0.0 <= img.min() <= img.max() <= 1.0)
    ((16, 16), dtype('float64'), True)
    """
    from skimage import data  # noqa: PLC0415  (a dependency of the bench extra)
    from skimage.transform import resize  # noqa: PLC0415

    if name == "camera":
        img = data.camera().astype(float) / 255.0
    elif name == "shepp_logan":
        img = data.shepp_logan_phantom().astype(float)
    else:
        raise ValueError(f"name must be 'camera' or 'shepp_logan', got {name!r}")
    if not isinstance(size, int) or size < 4:
        raise ValueError(f"size must be an integer >= 4, got {size!r}")
    if img.shape != (size, size):
        img = resize(img, (size, size), anti_aliasing=True, mode="reflect")
    return np.clip(img, 0.0, 1.0)


def _check_level(name: str, value: float, upper: float = math.inf) -> float:
    if not (isinstance(value, (int, float)) and 0.0 <= value < upper):
        raise ValueError(f"{name} must be a number in [0, {upper}), got {value!r}")
    return float(value)


def mri_phantom(size: int = 256, *, sampling: float = 0.25, center: float = 0.08, noise: float = 0.01,
                seed: int = 0, lam_tv: float = 2e-3) -> ImageData:
    """Compressed-sensing MRI of the Shepp-Logan phantom.

    k-space (the orthonormal 2-D DFT of the ``size x size`` phantom) is sampled on a mask that
    keeps every frequency within the central square of side ``center * size`` (the low
    frequencies, around index 0) and a uniformly random set of the others, so that
    ``sampling`` of all positions are measured (25% by default). Each sample gets complex
    Gaussian noise of standard deviation ``noise`` (1% of the peak intensity 1) in its real
    and imaginary parts.

    Parameters
    ----------
    size : int
        Side of the image (the phantom resized to ``size x size``).
    sampling : float
        Fraction of k-space sampled, in [0, 1].
    center : float
        Side of the fully sampled central square, as a fraction of ``size``.
    noise : float
        Standard deviation of the real and of the imaginary part of each sample's noise.
    seed : int
        Seed of ``numpy.random.default_rng`` (the random frequencies and the noise).
    lam_tv : float
        The suggested TV weight stored in the result.

    Returns
    -------
    ImageData
        ``b`` the complex k-space samples (full ``size x size`` array, zero off the mask),
        ``truth`` the phantom, ``operator`` the :class:`optkit.operators.PartialFourier` of the
        mask, ``lam_tv``, ``lam_l1 = 0`` and the description.

    Examples
    --------
    >>> from optkit.datasets import mri_phantom
    >>> data = mri_phantom(32, seed=0)
    >>> data.b.shape, data.b.dtype, float(data.operator.mask.mean())
    ((32, 32), dtype('complex128'), 0.25)
    """
    from ..operators import PartialFourier  # noqa: PLC0415

    _check_level("sampling", sampling, 1.0 + 1e-12)
    _check_level("noise", noise)
    truth = standard_image("shepp_logan", size)
    rng = np.random.default_rng(seed)
    f = np.fft.fftfreq(size)
    central = (np.abs(f)[:, None] <= center / 2) & (np.abs(f)[None, :] <= center / 2)
    others = np.flatnonzero(~central)
    want = max(int(round(sampling * size * size)) - int(central.sum()), 0)
    mask = central.copy().reshape(-1)
    mask[rng.choice(others, min(want, others.size), replace=False)] = True
    mask = mask.reshape(size, size)
    op = PartialFourier(mask)
    b = op.apply(truth)
    b = b + noise * (rng.standard_normal(b.shape) + 1j * rng.standard_normal(b.shape))
    b = np.where(mask, b, 0.0)
    return ImageData(b, truth, op, lam_tv, 0.0,
                     f"Shepp-Logan {size}x{size}, {mask.mean():.0%} of k-space sampled (central "
                     f"{center:g} x size square kept, the rest uniformly at random, seed {seed}), complex noise "
                     f"std {noise:g}")


def blurred_camera(size: int = 512, *, sigma: float = 2.0, noise: float = 0.01, seed: int = 0,
                   lam_tv: float = 2e-3) -> ImageData:
    """Deblurring: scikit-image's ``camera`` blurred by a periodic Gaussian of width ``sigma`` pixels
    (:class:`optkit.operators.GaussianBlur`), plus Gaussian noise of standard deviation ``noise``
    (1% of the intensity range by default).

    Parameters
    ----------
    size : int
        Side of the image (``camera`` resized to ``size x size``).
    sigma : float
        Width of the Gaussian blur in pixels.
    noise : float
        Standard deviation of the additive Gaussian noise.
    seed : int
        Seed of ``numpy.random.default_rng``.
    lam_tv : float
        The suggested TV weight stored in the result.

    Returns
    -------
    ImageData
        ``b`` the blurred noisy image, ``truth`` the clean one, ``operator`` the
        :class:`optkit.operators.GaussianBlur`, ``lam_tv``, ``lam_l1 = 0`` and the description.

    Examples
    --------
    >>> from optkit.datasets import blurred_camera
    >>> data = blurred_camera(32, sigma=2.0, seed=0)
    >>> data.b.shape, type(data.operator).__name__
    ((32, 32), 'GaussianBlur')
    """
    from ..operators import GaussianBlur  # noqa: PLC0415

    _check_level("noise", noise)
    truth = standard_image("camera", size)
    op = GaussianBlur((size, size), sigma)
    rng = np.random.default_rng(seed)
    b = op.apply(truth) + noise * rng.standard_normal(truth.shape)
    return ImageData(b, truth, op, lam_tv, 0.0,
                     f"camera {size}x{size}, periodic Gaussian blur sigma {sigma:g} px, noise std {noise:g} "
                     f"(seed {seed})")


def noisy_image(name: str = "camera", size: int = 256, *, noise: float = 0.1, seed: int = 0,
                lam_tv: float = 0.06) -> ImageData:
    """Denoising: ``standard_image(name, size)`` plus Gaussian noise of standard deviation ``noise``.

    Parameters
    ----------
    name : {"camera", "shepp_logan"}
        The clean image (:func:`standard_image`).
    size : int
        Side of the image.
    noise : float
        Standard deviation of the additive Gaussian noise.
    seed : int
        Seed of ``numpy.random.default_rng``.
    lam_tv : float
        The suggested TV weight stored in the result.

    Returns
    -------
    ImageData
        ``b`` the noisy image, ``truth`` the clean one, ``operator = None`` (the identity),
        ``lam_tv``, ``lam_l1 = 0`` and the description.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.datasets import noisy_image
    >>> data = noisy_image("camera", 64, noise=0.1, seed=0)
    >>> round(float(np.std(data.b - data.truth)), 1)
    0.1
    """
    _check_level("noise", noise)
    truth = standard_image(name, size)
    rng = np.random.default_rng(seed)
    b = truth + noise * rng.standard_normal(truth.shape)
    return ImageData(b, truth, None, lam_tv, 0.0, f"{name} {size}x{size}, Gaussian noise std {noise:g} (seed {seed})")


def fermat_weber_points(K: int = 10_000, d: int = 50, *, clusters: int = 5, outliers: float = 0.1,
                        seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(points, weights)``: ``K`` points in ``R^d`` from ``clusters`` Gaussian clusters of unit
    spread around centres of spread 3, a fraction ``outliers`` of them replaced by far points
    (spread 30), and weights uniform in [0.5, 1.5].

    Parameters
    ----------
    K : int
        Number of points (terms of :class:`optkit.problems.FermatWeber`), at least 2.
    d : int
        Dimension of the space, at least 1.
    clusters : int
        Number of Gaussian clusters.
    outliers : float
        Fraction of the points replaced by far points, in [0, 1).
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    points : numpy.ndarray, shape (K, d)
        The points, one per row.
    weights : numpy.ndarray, shape (K,)
        Their positive weights.

    Examples
    --------
    >>> from optkit.datasets import fermat_weber_points
    >>> points, weights = fermat_weber_points(100, 4, seed=0)
    >>> points.shape, weights.shape, bool(weights.min() >= 0.5)
    ((100, 4), (100,), True)
    """
    if not (isinstance(K, int) and K >= 2 and isinstance(d, int) and d >= 1):
        raise ValueError(f"need integers K >= 2 and d >= 1, got K={K!r}, d={d!r}")
    _check_level("outliers", outliers, 1.0)
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.standard_normal((clusters, d))
    points = centres[rng.integers(0, clusters, K)] + rng.standard_normal((K, d))
    far = rng.random(K) < outliers
    points[far] = 30.0 * rng.standard_normal((int(far.sum()), d))
    return points, rng.uniform(0.5, 1.5, K)


def fused_lasso_instance(m: int, n: int, *, blocks: int = 4, noise: float = 0.1, lam1_ratio: float = 0.05,
                         lam2_ratio: float = 0.1, seed: int = 0) -> dict[str, Any]:
    """The keyword arguments ``{"A", "b", "lam1", "lam2"}`` of :class:`~optkit.problems.FusedLasso`: Gaussian ``A`` with unit-norm columns, a planted signal with ``blocks``
    constant nonzero blocks, ``b = A x + noise * e``, and weights scaled by
    :math:`\\|A^Tb\\|_\\infty` (``lam1_ratio``, ``lam2_ratio``).

    Parameters
    ----------
    m, n : int
        Shape of ``A`` (observations, unknowns).
    blocks : int
        Number of constant blocks of the planted signal, each of length about ``n / (3 blocks)``,
        value of either sign and size in [0.5, 2].
    noise : float
        Standard deviation of the Gaussian noise in ``b``.
    lam1_ratio, lam2_ratio : float
        :math:`\\lambda_1` and :math:`\\lambda_2` as fractions of :math:`\\|A^Tb\\|_\\infty`.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    dict
        ``A`` (numpy.ndarray, shape (m, n), the design, columns of unit norm), ``b``
        (numpy.ndarray, shape (m,), the observations), ``lam1`` and ``lam2`` (float, the weights),
        in that order: ``FusedLasso(**fused_lasso_instance(...))`` builds the problem (the
        weights are keyword-only) and ``A, b, lam1, lam2 = fused_lasso_instance(...).values()``
        unpacks it.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.datasets import fused_lasso_instance
    >>> A, b, lam1, lam2 = fused_lasso_instance(40, 30, seed=0).values()
    >>> A.shape, b.shape, bool(np.allclose(np.linalg.norm(A, axis=0), 1.0))
    ((40, 30), (40,), True)
    >>> round(lam2 / lam1, 12)
    2.0
    """
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    A /= np.linalg.norm(A, axis=0)
    x = np.zeros(n)
    for _ in range(blocks):
        start = int(rng.integers(0, n))
        x[start:start + max(1, n // (3 * blocks))] = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0)
    b = A @ x + noise * rng.standard_normal(m)
    scale = float(np.max(np.abs(A.T @ b)))
    return {"A": A, "b": b, "lam1": lam1_ratio * scale, "lam2": lam2_ratio * scale}
