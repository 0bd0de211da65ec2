"""Seeded generators for the composite-problem families."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["lasso_instance", "sics_instance"]


def lasso_instance(m: int, n: int, *, density: float = 0.02, noise: float = 0.01, lam_ratio: float = 0.1,
                   seed: int = 0) -> dict[str, Any]:
    """A compressed-sensing Lasso, as the keyword arguments ``{"A", "b", "lam"}`` of :class:`~optkit.problems.Lasso`.

    ``A`` is Gaussian with unit-norm columns, the planted ``x`` has
    ``round(density * n)`` nonzeros, ``b = A x + noise * e`` and
    ``lam = lam_ratio * ||A^T b||_inf`` (``lam_ratio`` < 1 keeps the solution nonzero).

    Parameters
    ----------
    m, n : int
        Rows (observations) and columns (features) of ``A``.
    density : float
        Fraction of nonzeros of the planted ``x`` (at least one).
    noise : float
        Standard deviation of the Gaussian noise ``e``.
    lam_ratio : float
        ``lam`` over :math:`\\lambda_{max} = \\|A^Tb\\|_\\infty`, the smallest ``lam``
        whose solution is zero.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    dict
        ``A`` (numpy.ndarray, shape (m, n)), ``b`` (numpy.ndarray, shape (m,)) and ``lam`` (float),
        in that order: ``Lasso(**lasso_instance(...))`` builds the problem (the weight is
        keyword-only) and ``A, b, lam = lasso_instance(...).values()`` unpacks it.

    Examples
    --------
    >>> from optkit.datasets import lasso_instance
    >>> from optkit.problems import Lasso
    >>> data = lasso_instance(20, 50, seed=1)
    >>> data["A"].shape, data["b"].shape, data["lam"] > 0
    ((20, 50), (20,), True)
    >>> problem = Lasso(**data)
    >>> problem.lam == data["lam"]
    True
    """
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    A /= np.linalg.norm(A, axis=0)
    x = np.zeros(n)
    k = max(1, round(density * n))
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    b = A @ x + noise * rng.standard_normal(m)
    lam = lam_ratio * float(np.max(np.abs(A.T @ b)))
    return {"A": A, "b": b, "lam": lam}


def sics_instance(p: int, *, n_samples: int | None = None, density: float = 0.05, lam: float = 0.1,
                  seed: int = 0) -> dict[str, Any]:
    """A sparse inverse covariance selection instance, as the keyword arguments ``{"S", "lam"}`` of
    :class:`~optkit.problems.SparseInverseCovariance`.

    A sparse positive definite precision matrix with about ``density * p^2``
    off-diagonal nonzeros is drawn, ``n_samples`` (default ``2 p``) Gaussian
    samples with that precision are taken, and ``S`` is their sample covariance.

    Parameters
    ----------
    p : int
        Dimension.
    n_samples : int, optional
        Samples behind ``S`` (default ``2 p``).
    density : float
        Probability of each off-diagonal nonzero of the precision matrix.
    lam : float
        Returned as it is, so that ``SparseInverseCovariance(**sics_instance(...))`` works.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    dict
        ``S`` (numpy.ndarray, shape (p, p), the symmetric sample covariance) and ``lam`` (float).

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.datasets import sics_instance
    >>> data = sics_instance(10, seed=0)
    >>> S = data["S"]
    >>> S.shape, bool(np.allclose(S, S.T)), data["lam"]
    ((10, 10), True, 0.1)
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
    return {"S": 0.5 * (S + S.T), "lam": lam}
