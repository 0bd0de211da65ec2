"""Data for entropic optimal transport: seeded point clouds and real 8x8 digit images."""
from __future__ import annotations

import numpy as np

__all__ = ["uniform_clouds", "digits_pair", "digit_image"]


def uniform_clouds(n: int, m: int | None = None, *, dim: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two independent clouds of ``n`` and ``m`` (default ``n``) points, uniform in the unit cube.

    ``benchmarks/transport.py`` uses ``dim=2`` with uniform weights and the
    squared Euclidean cost divided by its maximum.
    """
    if not (isinstance(n, int) and n > 0) or (m is not None and not (isinstance(m, int) and m > 0)):
        raise ValueError(f"n and m must be positive integers, got n={n!r}, m={m!r}")
    rng = np.random.default_rng(seed)
    return rng.random((n, dim)), rng.random((n if m is None else m, dim))


def digit_image(digit: int, index: int = 0) -> np.ndarray:
    """The ``index``-th 8x8 image of ``digit`` in scikit-learn's bundled digits data (values 0..16).

    The data ship inside scikit-learn (UCI optical digits, 1797 images); nothing
    is downloaded.
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
    """
    return digit_image(first, index), digit_image(second, index)
