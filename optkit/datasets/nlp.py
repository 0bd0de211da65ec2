"""Data for the equality-constrained NLP family: scikit-learn's bundled breast-cancer set and a
seeded generator, each with the random linear constraints of Hong, Na, Mahoney & Kolar (ICML 2023)."""
from __future__ import annotations

import numpy as np

__all__ = ["breast_cancer_constrained", "logistic_constrained_instance"]


def _constraints(d: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``A`` (k, d) and ``b`` (k,) with i.i.d. N(0, 1) entries, as in the authors' code."""
    return rng.standard_normal((k, d)), rng.standard_normal(k)


def breast_cancer_constrained(k: int = 10, *, seed: int = 2023) -> tuple[np.ndarray, ...]:
    """``(X, y, A, b)``: scikit-learn's breast-cancer data (569 x 30, bundled in the wheel) with
    every feature scaled to [-1, 1] (as the LIBSVM ``*_scale`` sets of the paper), labels in
    {-1, +1}, and ``k`` random linear constraints ``A w = b`` (seeded)."""
    from sklearn.datasets import load_breast_cancer  # noqa: PLC0415

    data = load_breast_cancer()
    X = np.asarray(data.data, dtype=float)
    lo, hi = X.min(axis=0), X.max(axis=0)
    X = 2 * (X - lo) / np.where(hi > lo, hi - lo, 1.0) - 1
    y = np.where(data.target > 0, 1.0, -1.0)
    A, b = _constraints(X.shape[1], k, np.random.default_rng(seed))
    return X, y, A, b


def logistic_constrained_instance(n_samples: int, n_features: int, k: int = 10, *, noise: float = 0.5,
                                  seed: int = 0) -> tuple[np.ndarray, ...]:
    """``(X, y, A, b)``: Gaussian features scaled by :math:`1/\\sqrt{d}`, labels
    :math:`\\operatorname{sign}(x^T w_\\star + \\text{noise}\\,\\epsilon)` for a planted unit :math:`w_\\star`,
    and ``k`` random linear constraints (all seeded)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)) / np.sqrt(n_features)
    w = rng.standard_normal(n_features)
    w /= np.linalg.norm(w)
    y = np.where(X @ w * np.sqrt(n_features) + noise * rng.standard_normal(n_samples) >= 0, 1.0, -1.0)
    A, b = _constraints(n_features, k, rng)
    return X, y, A, b
