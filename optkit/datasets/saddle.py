"""Data for the saddle-point family: seeded matrix games and Fisher markets, and scikit-image's
``camera`` photograph with salt-and-pepper noise for TV-l1 denoising. Nothing is downloaded."""
from __future__ import annotations

import numpy as np

__all__ = ["random_matrix_game", "random_market", "noisy_camera"]

_PAYOFFS = ("uniform", "normal", "lognormal")


def random_matrix_game(n: int, m: int | None = None, *, payoff: str = "uniform", seed: int = 0) -> np.ndarray:
    """A payoff matrix with i.i.d. random entries, for :class:`~optkit.problems.MatrixGame`.

    The entries are ``"uniform"`` U[0, 1], ``"normal"`` N(0, 1) or ``"lognormal"`` (exp of
    N(0, 1)), the three families of the increasing-averaging experiments (Gao, Kroer & Goldfarb
    2021).

    Parameters
    ----------
    n : int
        Number of rows (the row player's actions).
    m : int, optional
        Number of columns (the column player's actions); default ``n``.
    payoff : {"uniform", "normal", "lognormal"}
        The distribution of the entries.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray, shape (n, m)
        The payoff matrix (the row player's loss).

    Examples
    --------
    >>> from optkit.datasets import random_matrix_game
    >>> A = random_matrix_game(4, 3, payoff="normal", seed=0)
    >>> A.shape, A.dtype
    ((4, 3), dtype('float64'))
    >>> bool((random_matrix_game(5, seed=1) >= 0).all())
    True
    """
    if payoff not in _PAYOFFS:
        raise ValueError(f"payoff must be one of {_PAYOFFS}, got {payoff!r}")
    m = n if m is None else m
    if not (isinstance(n, int) and n > 0 and isinstance(m, int) and m > 0):
        raise ValueError(f"n and m must be positive integers, got n={n!r}, m={m!r}")
    rng = np.random.default_rng(seed)
    if payoff == "uniform":
        return rng.random((n, m))
    if payoff == "normal":
        return rng.standard_normal((n, m))
    return rng.lognormal(size=(n, m))


def random_market(n_buyers: int, n_goods: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(valuations, budgets, supplies)`` of a random linear Fisher market.

    Valuations U[0, 1], budgets U[0.5, 1.5], unit supplies (the benchmark plan of the averaging
    paper's market experiments, Gao, Kroer & Goldfarb 2021).

    Parameters
    ----------
    n_buyers : int
        Number of buyers.
    n_goods : int
        Number of goods.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    valuations : numpy.ndarray, shape (n_buyers, n_goods)
        :math:`v_{ij}`, buyer ``i``'s value of a unit of good ``j``.
    budgets : numpy.ndarray, shape (n_buyers,)
        :math:`B_i`.
    supplies : numpy.ndarray, shape (n_goods,)
        :math:`s_j`, all ones.

    Examples
    --------
    >>> from optkit.datasets import random_market
    >>> from optkit.problems import FisherMarket
    >>> valuations, budgets, supplies = random_market(3, 4, seed=0)
    >>> valuations.shape, budgets.shape, supplies.tolist()
    ((3, 4), (3,), [1.0, 1.0, 1.0, 1.0])
    >>> FisherMarket(valuations, budgets, supplies).shape
    (3, 4)
    """
    if not (isinstance(n_buyers, int) and n_buyers > 0 and isinstance(n_goods, int) and n_goods > 0):
        raise ValueError(f"n_buyers and n_goods must be positive integers, got {n_buyers!r}, {n_goods!r}")
    rng = np.random.default_rng(seed)
    return rng.random((n_buyers, n_goods)), rng.uniform(0.5, 1.5, n_buyers), np.ones(n_goods)


def noisy_camera(size: int | None = None, *, density: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(noisy, clean)``: scikit-image's ``camera`` photograph with salt-and-pepper noise.

    The photograph (512 x 512, public domain, bundled with scikit-image: nothing is downloaded)
    is scaled to [0, 1], optionally resized to ``size x size``, and a fraction ``density`` of its
    pixels is set to 0 or 1 at random (the noise TV-l1 denoising removes).

    Parameters
    ----------
    size : int, optional
        Side of the resized image (at least 2); default ``None``, the full 512 x 512.
    density : float
        Fraction of the pixels hit by the noise, in [0, 1].
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    noisy : numpy.ndarray, shape (size, size)
        The image with the noise.
    clean : numpy.ndarray, shape (size, size)
        The image without it.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.datasets import noisy_camera
    >>> noisy, clean = noisy_camera(64, density=0.2, seed=0)
    >>> noisy.shape, bool(noisy.min() >= 0.0 and noisy.max() <= 1.0)
    ((64, 64), True)
    >>> 0.15 < float(np.mean(noisy != clean)) < 0.25
    True
    """
    from skimage import data  # noqa: PLC0415  (optional dependency)
    from skimage.transform import resize  # noqa: PLC0415

    if not 0.0 <= density <= 1.0:
        raise ValueError(f"density must lie in [0, 1], got {density!r}")
    clean = data.camera().astype(float) / 255.0
    if size is not None:
        if not (isinstance(size, int) and size >= 2):
            raise ValueError(f"size must be an integer >= 2, got {size!r}")
        clean = resize(clean, (size, size), anti_aliasing=True)
    rng = np.random.default_rng(seed)
    hit = rng.random(clean.shape) < density
    noisy = np.where(hit, (rng.random(clean.shape) < 0.5).astype(float), clean)
    return noisy, clean
