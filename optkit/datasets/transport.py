"""Data for entropic optimal transport: seeded point clouds and real 8x8 digit images."""
from __future__ import annotations

import numpy as np

__all__ = ["uniform_clouds", "digits_pair", "digit_image"]


def uniform_clouds(n: int, m: int | None = None, *, dim: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two independent clouds of ``n`` and ``m`` (default ``n``) points, uniform in the unit cube.

    ``benchmarks/transport.py`` uses ``dim=2`` with uniform weights and the
    squared Euclidean cost divided by its maximum.

    Parameters
    ----------
    n : int
        Points of the first cloud.
    m : int, optional
        Points of the second cloud (default ``n``).
    dim : int
        Dimension of the points.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    X : numpy.ndarray, shape (n, dim)
        The first cloud.
    Y : numpy.ndarray, shape (m, dim)
        The second cloud.

    Examples
    --------
    >>> from optkit.datasets import uniform_clouds
    >>> X, Y = uniform_clouds(5, 3, dim=2, seed=0)
    >>> X.shape, Y.shape
    ((5, 2), (3, 2))
    """
    if not (isinstance(n, int) and n > 0) or (m is not None and not (isinstance(m, int) and m > 0)):
        raise ValueError(f"n and m must be positive integers, got n={n!r}, m={m!r}")
    rng = np.random.default_rng(seed)
    return rng.random((n, dim)), rng.random((n if m is None else m, dim))


def digit_image(digit: int, index: int = 0) -> np.ndarray:
    """The ``index``-th 8x8 image of ``digit`` in scikit-learn's bundled digits data (values 0..16).

    The data ship inside scikit-learn (UCI optical digits, 1797 images); nothing
    is downloaded.

    Parameters
    ----------
    digit : int
        The digit, 0 to 9.
    index : int
        Which image of that digit (about 180 of each).

    Returns
    -------
    numpy.ndarray, shape (8, 8)
        Gray levels 0..16 as floats.

    Examples
    --------
    >>> from optkit.datasets import digit_image
    >>> image = digit_image(3)
    >>> image.shape, bool(0 <= image.min() <= image.max() <= 16)
    ((8, 8), True)
    """
    from sklearn.datasets import load_digits  # noqa: PLC0415  (optional dependency)

    if digit not in range(10):
        raise ValueError(f"digit must be in 0..9, got {digit!r}")
    data = load_digits()
    images = data.images[data.target == digit]
    if not 0 <= index < len(images):
        raise ValueError(f"index must be in 0..{len(images) - 1} for digit {digit}, got {index!r}")
    return np.asarray(images[index], dtype=float)


def digits_pair(first: int, second: int, index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``index``-th images of two digits, as a pair of 8x8 histograms for ``EntropicOT.from_histograms``.

    This is the SNS paper's MNIST experiment in small (Tang et al., ICLR 2024).

    Parameters
    ----------
    first, second : int
        The two digits, 0 to 9.
    index : int
        Which image of each digit.

    Returns
    -------
    A, B : numpy.ndarray, shape (8, 8)
        The two images (see :func:`digit_image`).

    Examples
    --------
    >>> from optkit.datasets import digits_pair
    >>> from optkit.problems import EntropicOT
    >>> problem = EntropicOT.from_histograms(*digits_pair(0, 1), reg=0.05)
    >>> problem.C.shape[0] == problem.a.shape[0]
    True
    """
    return digit_image(first, index), digit_image(second, index)
