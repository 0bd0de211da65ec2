"""Classification data for the finite-sum problems: scikit-learn's bundled sets and seeded generators.

Every loader returns a :class:`Split` ``(X_train, y_train, X_test, y_test)`` of NumPy arrays (or
``scipy.sparse`` CSR matrices), split by a fixed seed. Nothing is downloaded: ``breast_cancer`` and
``digits`` ship inside scikit-learn's wheel, the large sets are generated.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["Split", "breast_cancer", "digits", "dense_classification", "sparse_classification"]


class Split(NamedTuple):
    """A train/test split.

    Parameters
    ----------
    X_train : array or scipy.sparse matrix
        Training samples by rows.
    y_train : numpy.ndarray
        Their labels.
    X_test : array or scipy.sparse matrix
        Held-out samples.
    y_test : numpy.ndarray
        Their labels.

    Examples
    --------
    >>> from optkit.datasets.stochastic import digits
    >>> split = digits(test_size=0.25, seed=0)
    >>> split.X_train.shape[1], split.X_train.shape[0] + split.X_test.shape[0]
    (64, 1797)
    """

    X_train: Any
    y_train: np.ndarray
    X_test: Any
    y_test: np.ndarray


def _split(X: Any, y: np.ndarray, test_size: float, seed: int) -> Split:
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}")
    n = y.shape[0]
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, int(round(test_size * n)))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return Split(X[train], y[train], X[test], y[test])


def _standardize(split: Split) -> Split:
    """Centre and scale every feature by the training mean and standard deviation (constant ones kept)."""
    mean = split.X_train.mean(axis=0)
    std = split.X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return Split((split.X_train - mean) / std, split.y_train, (split.X_test - mean) / std, split.y_test)


def breast_cancer(*, test_size: float = 0.25, seed: int = 0, standardize: bool = True) -> Split:
    """Wisconsin diagnostic breast cancer (scikit-learn's bundled copy): 569 x 30, labels 0/1.

    ``standardize``: features centred and scaled by the training statistics (the raw features span
    six orders of magnitude).

    Parameters
    ----------
    test_size : float
        Fraction of the samples held out, in (0, 1).
    seed : int
        Seed of the split (and of the generator).
    standardize : bool
        Centre and scale the features by the training statistics.

    Returns
    -------
    Split
        ``(X_train, y_train, X_test, y_test)``.

    Examples
    --------
    >>> from optkit.datasets.stochastic import breast_cancer
    >>> split = breast_cancer()
    >>> split.X_train.shape, split.X_test.shape
    ((427, 30), (142, 30))
    """
    from sklearn.datasets import load_breast_cancer  # noqa: PLC0415

    data = load_breast_cancer()
    split = _split(np.asarray(data.data, dtype=float), np.asarray(data.target), test_size, seed)
    return _standardize(split) if standardize else split


def digits(*, test_size: float = 0.25, seed: int = 0, binary: bool = False) -> Split:
    """8x8 handwritten digits (scikit-learn's bundled copy): 1797 x 64, pixels scaled to [0, 1].

    Labels 0..9, or with ``binary`` 0 for the digits 0-4 and 1 for 5-9.

    Parameters
    ----------
    test_size : float
        Fraction of the samples held out, in (0, 1).
    seed : int
        Seed of the split (and of the generator).
    binary : bool
        Two classes (digits 0-4 and 5-9) instead of ten.

    Returns
    -------
    Split
        ``(X_train, y_train, X_test, y_test)``.

    Examples
    --------
    >>> from optkit.datasets.stochastic import digits
    >>> sorted(set(digits(binary=True).y_train.tolist()))
    [0, 1]
    """
    from sklearn.datasets import load_digits  # noqa: PLC0415

    data = load_digits()
    y = np.asarray(data.target)
    return _split(np.asarray(data.data, dtype=float) / 16.0, (y >= 5).astype(np.int64) if binary else y,
                  test_size, seed)


def _labels(rng: np.random.Generator, margins: np.ndarray) -> np.ndarray:
    """Labels 0/1 drawn from the logistic model :math:`P(y = 1) = \\sigma(m)`."""
    return (rng.random(margins.shape[0]) < 1.0 / (1.0 + np.exp(-margins))).astype(np.int64)


def dense_classification(n: int = 200_000, d: int = 100, *, test_size: float = 0.2, seed: int = 0,
                         decay: float = 1.0) -> Split:
    """Gaussian features with correlated columns and labels from a planted logistic model.

    The features have covariance :math:`Q\\,\\mathrm{diag}(k^{-\\mathrm{decay}})\\,Q^T` (:math:`Q` a
    random rotation; condition number :math:`d^{\\mathrm{decay}}`) scaled to unit total variance per
    feature on average; the labels are drawn with :math:`P(y=1) = \\sigma(x^Tw^*)`, :math:`w^*`
    Gaussian scaled to margins of standard deviation 3 (about 10% label noise at the boundary).

    Parameters
    ----------
    n : int
        Number of samples.
    d : int
        Number of features.
    test_size : float
        Fraction of the samples held out, in (0, 1).
    seed : int
        Seed of the split (and of the generator).
    decay : float
        Decay of the covariance spectrum (condition number :math:`d^{\\mathrm{decay}}`).

    Returns
    -------
    Split
        ``(X_train, y_train, X_test, y_test)`` with labels 0/1.

    Examples
    --------
    >>> from optkit.datasets.stochastic import dense_classification
    >>> split = dense_classification(1000, 5, seed=0)
    >>> split.X_train.shape, split.X_test.shape
    ((800, 5), (200, 5))
    """
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    spectrum = np.arange(1, d + 1, dtype=float) ** -decay
    spectrum *= d / spectrum.sum()
    L = Q * np.sqrt(spectrum)
    X = rng.standard_normal((n, d)) @ L.T
    w = rng.standard_normal(d)
    w *= 3.0 / np.sqrt(w @ (L @ L.T) @ w)
    return _split(X, _labels(rng, X @ w), test_size, seed)


def sparse_classification(n: int = 100_000, d: int = 50_000, *, density: float = 1e-3, test_size: float = 0.2,
                          seed: int = 0, zipf: float = 1.0) -> Split:
    """Sparse nonnegative features shaped like tf-idf text data, labels from a planted sparse logistic model.

    Each row has Poisson(``density * d``) distinct nonzero columns (at least one), drawn with
    Zipf-like popularity :math:`p_j \\propto (j + 10)^{-\\mathrm{zipf}}` (frequent "words" in the
    first columns), log-normal weights and unit Euclidean norm; the planted :math:`w^*` has 10% of
    its entries nonzero and margins of standard deviation 3. Returns ``scipy.sparse`` CSR matrices.

    Parameters
    ----------
    n : int
        Number of samples.
    d : int
        Number of features.
    density : float
        Expected fraction of nonzero features per row.
    test_size : float
        Fraction of the samples held out, in (0, 1).
    seed : int
        Seed of the split (and of the generator).
    zipf : float
        Exponent of the columns' popularity.

    Returns
    -------
    Split
        ``(X_train, y_train, X_test, y_test)``, the samples as CSR matrices.

    Examples
    --------
    >>> from optkit.datasets.stochastic import sparse_classification
    >>> split = sparse_classification(500, 200, density=0.02, seed=0)
    >>> split.X_train.format, split.X_train.shape
    ('csr', (400, 200))
    """
    import scipy.sparse as sp  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    popularity = (np.arange(d) + 10.0) ** -zipf
    popularity /= popularity.sum()
    counts = np.maximum(1, rng.poisson(density * d, size=n))
    cols = rng.choice(d, size=int(counts.sum()), p=popularity)
    rows = np.repeat(np.arange(n), counts)
    vals = rng.lognormal(0.0, 1.0, size=cols.size)
    X = sp.csr_matrix((vals, (rows, cols)), shape=(n, d))  # repeated (row, col) pairs are summed
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.diags(1.0 / norms) @ X
    X = X.tocsr()
    w = np.where(rng.random(d) < 0.1, rng.standard_normal(d), 0.0)
    margins = X @ w
    w *= 3.0 / max(margins.std(), 1e-12)
    return _split(X, _labels(rng, X @ w), test_size, seed)
