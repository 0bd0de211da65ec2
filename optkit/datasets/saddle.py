"""Data for the saddle-point family: seeded matrix games and Fisher markets, and scikit-image's
``camera`` photograph with salt-and-pepper noise for TV-l1 denoising. Nothing is downloaded."""
from __future__ import annotations

import numpy as np

__all__ = ["random_matrix_game", "random_market", "noisy_camera"]

_PAYOFFS = ("uniform", "normal", "lognormal")


def random_matrix_game(n: int, m: int | None = None, *, payoff: str = "uniform", seed: int = 0) -> np.ndarray:
    """An ``n x m`` payoff matrix (default ``m = n``) with i.i.d. entries: ``"uniform"`` U[0, 1],
    ``"normal"`` N(0, 1) or ``"lognormal"`` (exp of N(0, 1)), the three families of the
    increasing-averaging experiments (Gao, Kroer & Goldfarb 2021)."""
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
    """``(valuations, budgets, supplies)`` of a linear Fisher market: valuations U[0, 1], budgets
    U[0.5, 1.5], unit supplies (the benchmark plan of the averaging paper's market experiments)."""
    if not (isinstance(n_buyers, int) and n_buyers > 0 and isinstance(n_goods, int) and n_goods > 0):
        raise ValueError(f"n_buyers and n_goods must be positive integers, got {n_buyers!r}, {n_goods!r}")
    rng = np.random.default_rng(seed)
    return rng.random((n_buyers, n_goods)), rng.uniform(0.5, 1.5, n_buyers), np.ones(n_goods)


def noisy_camera(size: int | None = None, *, density: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(noisy, clean)``: scikit-image's ``camera`` (512 x 512, public domain) scaled to [0, 1], optionally
    resized to ``size x size``, with a fraction ``density`` of the pixels set to 0 or 1 at random
    (salt-and-pepper noise, the noise TV-l1 removes)."""
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
