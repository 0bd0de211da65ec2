"""Conformance cases of the composite family (Lasso, SICS, generic two-term problems)."""
from __future__ import annotations

from typing import Any

import numpy as np

from optkit.backend import asarray
from optkit.datasets import lasso_instance, sics_instance
from optkit.functions import Box, L1Ball, SquaredLoss
from optkit.problems import Composite, Lasso, SparseInverseCovariance

from ..conformance.cases import Case


def _arr(x: np.ndarray, xp: Any, dtype: Any) -> Any:
    return asarray(x, xp=xp, dtype=dtype)


def _lasso(seed: int, m: int, n: int):
    def make(xp, dtype):
        A, b, lam = lasso_instance(m, n, seed=seed, lam_ratio=0.2).values()
        return Lasso(_arr(A, xp, dtype), _arr(b, xp, dtype), lam=lam)
    return make


def _sics(seed: int, p: int, lam: float):
    def make(xp, dtype):
        S = sics_instance(p, seed=seed)["S"]
        return SparseInverseCovariance(_arr(S, xp, dtype), lam=lam)
    return make


def block_covariance(seed: int, sizes: tuple[int, ...], lam: float) -> np.ndarray:
    """A covariance whose thresholded graph ``|S_ij| > lam`` has (at least) the components ``sizes``:
    dense correlated blocks (one common factor each), cross entries uniform in
    ``(-0.9 lam, 0.9 lam)``, rows and columns randomly permuted."""
    rng = np.random.default_rng(seed)
    p = sum(sizes)
    S = rng.uniform(-0.9 * lam, 0.9 * lam, (p, p))
    S = 0.5 * (S + S.T)
    start = 0
    for m in sizes:
        W = rng.standard_normal((m, 3 * m)) + 0.8 * rng.standard_normal((1, 3 * m))
        S[start:start + m, start:start + m] = W @ W.T / (3 * m)
        start += m
    perm = rng.permutation(p)
    return S[np.ix_(perm, perm)]


def _sics_blocks(xp, dtype):
    return SparseInverseCovariance(_arr(block_covariance(15, (5, 4, 3, 1, 1, 1), 0.2), xp, dtype), lam=0.2)


def _box_ls(xp, dtype):
    rng = np.random.default_rng(7)
    A, b = rng.standard_normal((30, 20)), rng.standard_normal(30)
    return Composite(SquaredLoss(_arr(A, xp, dtype), _arr(b, xp, dtype)), Box(-0.1, 0.2), (20,))


def _l1ball_ls(xp, dtype):
    rng = np.random.default_rng(8)
    A, b = rng.standard_normal((25, 40)), rng.standard_normal(25)
    return Composite(SquaredLoss(_arr(A, xp, dtype), _arr(b, xp, dtype)), L1Ball(1.5), (40,))


CASES = [
    Case("lasso_wide", _lasso(11, 40, 90)),
    Case("lasso_tall", _lasso(12, 80, 30)),
    Case("sics_p15", _sics(13, 15, 0.1)),
    Case("sics_p25", _sics(14, 25, 0.05)),
    Case("sics_blocks", _sics_blocks),
    Case("box_least_squares", _box_ls),
    Case("l1ball_least_squares", _l1ball_ls),
]
