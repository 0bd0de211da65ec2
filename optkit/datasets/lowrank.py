"""Seeded low-rank plus sparse instances for robust matrix recovery."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["lowrank_sparse_instance"]


def lowrank_sparse_instance(m: int, n: int, *, rank: int = 2, density: float = 0.08, magnitude: float = 5.0,
                            noise: float = 0.0, observed: float = 1.0,
                            seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """``(M, L0, S0, mask)`` with :math:`M = L_0 + S_0 + \\text{noise}`.

    ``L0`` is a product of two Gaussian factors of inner size ``rank``; ``S0``
    has about ``density * m * n`` entries of size ``magnitude`` (Gaussian); ``mask``
    is a Bernoulli(``observed``) sample of the entries, or ``None`` when
    ``observed == 1``.
    """
    if not (0.0 < observed <= 1.0):
        raise ValueError(f"observed must lie in (0, 1], got {observed!r}")
    rng = np.random.default_rng(seed)
    L0 = rng.standard_normal((m, rank)) @ rng.standard_normal((rank, n))
    S0 = np.where(rng.random((m, n)) < density, magnitude * rng.standard_normal((m, n)), 0.0)
    M = L0 + S0 + noise * rng.standard_normal((m, n))
    mask = None if observed == 1.0 else rng.random((m, n)) < observed
    return M, L0, S0, mask
