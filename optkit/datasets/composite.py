"""Seeded generators for the composite-problem families."""
from __future__ import annotations

import numpy as np

__all__ = ["lasso_instance", "sics_instance"]


def lasso_instance(m: int, n: int, *, density: float = 0.02, noise: float = 0.01, lam_ratio: float = 0.1,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """A compressed-sensing Lasso ``(A, b, lam)``.

    ``A`` is Gaussian with unit-norm columns, the planted ``x`` has
    ``round(density * n)`` nonzeros, ``b = A x + noise * e`` and
    ``lam = lam_ratio * ||A^T b||_inf`` (``lam_ratio`` < 1 keeps the solution nonzero).
    """
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    A /= np.linalg.norm(A, axis=0)
    x = np.zeros(n)
    k = max(1, round(density * n))
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    b = A @ x + noise * rng.standard_normal(m)
    lam = lam_ratio * float(np.max(np.abs(A.T @ b)))
    return A, b, lam


def sics_instance(p: int, *, n_samples: int | None = None, density: float = 0.05, lam: float = 0.1,
                  seed: int = 0) -> tuple[np.ndarray, float]:
    """A sparse inverse covariance selection instance ``(S, lam)``.

    A sparse positive definite precision matrix with about ``density * p^2``
    off-diagonal nonzeros is drawn, ``n_samples`` (default ``2 p``) Gaussian
    samples with that precision are taken, and ``S`` is their sample covariance.
    """
    rng = np.random.default_rng(seed)
    mask = np.triu(rng.random((p, p)) < density, 1)
    K = np.where(mask, rng.uniform(-1, 1, (p, p)), 0.0)
    K = K + K.T
    K += (np.abs(np.linalg.eigvalsh(K)).max() + 0.5) * np.eye(p)
    cov = np.linalg.inv(K)
    n = n_samples or 2 * p
    Z = rng.multivariate_normal(np.zeros(p), cov, size=n)
    S = np.cov(Z, rowvar=False, bias=True)
    return 0.5 * (S + S.T), lam
