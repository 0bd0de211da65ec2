"""Robust tensor recovery data: seeded planted low-Tucker-rank instances (Goldfarb & Qin's
protocol), planted mixtures of tensors each low-rank in one mode (the mixture model's instances) and TensorLy's Indian Pines hyperspectral cube for the example (bench extra)."""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

__all__ = ["PlantedTensor", "planted_tucker", "planted_mixture", "load_indian_pines", "relative_error"]


class PlantedTensor(NamedTuple):
    """A corrupted observation ``T = X + E`` of a planted low-rank ``X``, with its ``mask``.

    Parameters
    ----------
    T : numpy.ndarray
        The observation ``X + E``.
    X : numpy.ndarray
        The planted low-rank tensor.
    E : numpy.ndarray
        The corruptions.
    mask : numpy.ndarray of bool or None
        The observed entries (``None``: all).

    Examples
    --------
    >>> from optkit.datasets import planted_tucker
    >>> planted = planted_tucker((6, 5, 4), 2, corruption=0.1, seed=0)
    >>> import numpy as np
    >>> planted.T.shape, bool(np.allclose(planted.T, planted.X + planted.E)), planted.mask
    ((6, 5, 4), True, None)
    """

    T: np.ndarray
    X: np.ndarray
    E: np.ndarray
    mask: np.ndarray | None


def planted_tucker(shape: tuple, rank: tuple | int, *, corruption: float = 0.1, magnitude: float = 1.0,
                   observed: float = 1.0, seed: int = 0) -> PlantedTensor:
    """A planted robust tensor recovery instance (Goldfarb & Qin 2014, synthetic protocol [1]_).

    ``X = G x_1 U_1 ... x_N U_N`` with a standard Gaussian core ``G`` of size ``rank`` and
    factors ``U_i`` the first ``r_i`` columns of a random orthogonal ``n_i x n_i`` matrix;
    a fraction ``corruption`` of the entries gets an additive Uniform[-magnitude, magnitude]
    error ``E``; a fraction ``observed`` of the entries is observed (``mask``; ``None`` when
    all are).

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    rank : int or tuple of int
        Tucker rank (an int applies to every mode).
    corruption : float in [0, 1]
        Fraction of corrupted entries.
    magnitude : float
        Bound of the uniform corruptions.
    observed : float in (0, 1]
        Fraction of observed entries.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    PlantedTensor
        ``(T, X, E, mask)`` as NumPy float64 arrays (``mask`` boolean or ``None``).

    References
    ----------
    .. [1] D. Goldfarb and Z. Qin, "Robust low-rank tensor recovery: models and algorithms",
       SIAM J. Matrix Anal. Appl. 35 (2014), 225-253.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.datasets import planted_tucker
    >>> planted = planted_tucker((8, 7, 6), (2, 3, 2), corruption=0.1, observed=0.9, seed=3)
    >>> [int(np.linalg.matrix_rank(np.moveaxis(planted.X, k, 0).reshape(planted.X.shape[k], -1)))
    ...  for k in range(3)]
    [2, 3, 2]
    """
    shape = tuple(int(n) for n in shape)
    ranks = (int(rank),) * len(shape) if isinstance(rank, (int, np.integer)) else tuple(int(r) for r in rank)
    if len(ranks) != len(shape) or any(not 1 <= r <= n for r, n in zip(ranks, shape)):
        raise ValueError(f"rank must give 1 <= r_i <= n_i for each of the {len(shape)} modes, got {rank!r}")
    for name, value in (("corruption", corruption), ("observed", observed)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    if observed == 0.0:
        raise ValueError("observed must be positive")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal(ranks)
    for i, (n, r) in enumerate(zip(shape, ranks)):
        Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        X = np.moveaxis(np.tensordot(Q[:, :r], X, axes=([1], [i])), 0, i)
    return _corrupt_and_mask(rng, X, corruption, magnitude, observed)


def _corrupt_and_mask(rng: np.random.Generator, X: np.ndarray, corruption: float, magnitude: float,
                      observed: float) -> PlantedTensor:
    for name, value in (("corruption", corruption), ("observed", observed)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    if observed == 0.0:
        raise ValueError("observed must be positive")
    E = np.zeros(X.shape)
    hit = rng.random(X.shape) < corruption
    E[hit] = rng.uniform(-magnitude, magnitude, int(hit.sum()))
    mask = rng.random(X.shape) < observed if observed < 1.0 else None
    return PlantedTensor(X + E, X, E, mask)


def planted_mixture(shape: tuple, rank: tuple | int, *, corruption: float = 0.1, magnitude: float = 1.0,
                    observed: float = 1.0, seed: int = 0) -> PlantedTensor:
    """A planted instance of the mixture model: a sum of tensors each low-rank in one mode, corrupted.

    ``X = sum_i X_i`` where the mode-i unfolding of ``X_i`` is ``U_i G_i V_i^T``, with ``U_i`` and
    ``V_i`` random orthonormal ``n_i x r_i`` and ``prod_{j != i} n_j x r_i`` matrices and a standard
    Gaussian ``r_i x r_i`` core ``G_i`` (so ``||X_i||_F`` is about ``r_i``, the scale of
    :func:`planted_tucker`'s ``X``); ``X_i`` has full rank in the other modes. This is the data model
    of Goldfarb & Qin's HoRPCA-M (``RobustTensorRecovery(..., model="mixture")``); the corruptions and
    the mask are drawn as in :func:`planted_tucker`.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    rank : int or tuple of int
        Rank ``r_i`` of the mode-i unfolding of the i-th component (an int applies to every mode).
    corruption, magnitude, observed : float
        Fraction of corrupted entries, bound of the uniform corruptions, fraction of observed
        entries, as in :func:`planted_tucker`.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    PlantedTensor
        ``(T, X, E, mask)``; ``X`` is the sum of the components.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.datasets import planted_mixture
    >>> planted = planted_mixture((8, 7, 6), 2, corruption=0.1, seed=0)
    >>> [int(np.linalg.matrix_rank(np.moveaxis(planted.X, k, 0).reshape(planted.X.shape[k], -1)))
    ...  for k in range(3)]
    [8, 7, 6]
    """
    shape = tuple(int(n) for n in shape)
    ranks = (int(rank),) * len(shape) if isinstance(rank, (int, np.integer)) else tuple(int(r) for r in rank)
    total = math.prod(shape)
    if len(ranks) != len(shape) or any(not 1 <= r <= min(n, total // n) for r, n in zip(ranks, shape)):
        raise ValueError(f"rank must give 1 <= r_i <= min(n_i, prod_(j != i) n_j) for each of the {len(shape)} "
                         f"modes, got {rank!r}")
    rng = np.random.default_rng(seed)
    X = np.zeros(shape)
    for i, (n, r) in enumerate(zip(shape, ranks)):
        U, _ = np.linalg.qr(rng.standard_normal((n, r)))
        V, _ = np.linalg.qr(rng.standard_normal((total // n, r)))
        unfolded = U @ rng.standard_normal((r, r)) @ V.T
        X += np.moveaxis(unfolded.reshape((n,) + shape[:i] + shape[i + 1:]), 0, i)
    return _corrupt_and_mask(rng, X, corruption, magnitude, observed)


def load_indian_pines(*, bands: int | None = None, size: int | None = None) -> np.ndarray:
    """TensorLy's Indian Pines hyperspectral cube (145 x 145 x 200, AVIRIS, CC BY 3.0), scaled to [0, 1].

    Needs the ``bench`` extra (TensorLy ships the array; nothing is downloaded). ``size`` crops
    the two spatial modes, ``bands`` keeps the first spectral bands.

    Parameters
    ----------
    bands : int, optional
        Keep the first ``bands`` spectral bands (all 200 if ``None``).
    size : int, optional
        Keep the top-left ``size x size`` pixels (all 145 x 145 if ``None``).

    Returns
    -------
    numpy.ndarray, shape (size, size, bands)
        The cube scaled to [0, 1].

    Examples
    --------
    >>> from optkit.datasets import load_indian_pines
    >>> cube = load_indian_pines(size=16, bands=8)
    >>> cube.shape, bool(0 <= cube.min() <= cube.max() <= 1)
    ((16, 16, 8), True)
    """
    try:
        from tensorly.datasets import load_indian_pines as _load  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover  (optional dependency)
        raise ImportError("load_indian_pines needs TensorLy (pip install optkit[bench])") from exc
    cube = np.asarray(_load().tensor, dtype=float)
    if size is not None:
        cube = cube[:size, :size, :]
    if bands is not None:
        cube = cube[:, :, :bands]
    lo, hi = float(cube.min()), float(cube.max())
    return (cube - lo) / (hi - lo) if hi > lo else cube - lo


def relative_error(X: Any, X0: Any) -> float:
    """:math:`\\|X - X_0\\|_F / \\|X_0\\|_F` on the host.

    Parameters
    ----------
    X : array
        An estimate, in any array namespace.
    X0 : array
        The reference, of the same shape.

    Returns
    -------
    float
        The relative error in the Frobenius norm.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.datasets import relative_error
    >>> relative_error(np.array([1.0, 1.0]), np.array([1.0, 0.0]))
    1.0
    """
    from ..backend import to_numpy  # noqa: PLC0415

    a, b = np.asarray(to_numpy(X), dtype=float), np.asarray(to_numpy(X0), dtype=float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), math.ulp(1.0)))
