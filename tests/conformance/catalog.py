"""The problem catalogue the conformance suite is generated from.

Each case builds a small instance in a given namespace and dtype. Cases of a
family join by adding entries here; the suite pairs every case with every
registered method that accepts it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from optkit.backend import asarray
from optkit.datasets import lasso_instance, sics_instance
from optkit.functions import Box, L1Ball, SquaredLoss
from optkit.problems import Composite, Lasso, SparseInverseCovariance


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Any, Any], Any]           # (xp, dtype) -> problem
    gap: float = 1e-6                          # relative objective gap to CVXPY at tol = 1e-8 (float64)
    options: dict = field(default_factory=dict)  # per-method extra options


def _arr(x: np.ndarray, xp: Any, dtype: Any) -> Any:
    return asarray(x, xp=xp, dtype=dtype)


def _lasso(seed: int, m: int, n: int):
    def make(xp, dtype):
        A, b, lam = lasso_instance(m, n, seed=seed, lam_ratio=0.2)
        return Lasso(_arr(A, xp, dtype), _arr(b, xp, dtype), lam)
    return make


def _sics(seed: int, p: int, lam: float):
    def make(xp, dtype):
        S, _ = sics_instance(p, seed=seed)
        return SparseInverseCovariance(_arr(S, xp, dtype), lam)
    return make


def _box_ls(xp, dtype):
    rng = np.random.default_rng(7)
    A, b = rng.standard_normal((30, 20)), rng.standard_normal(30)
    return Composite(SquaredLoss(_arr(A, xp, dtype), _arr(b, xp, dtype)), Box(-0.1, 0.2), (20,))


def _l1ball_ls(xp, dtype):
    rng = np.random.default_rng(8)
    A, b = rng.standard_normal((25, 40)), rng.standard_normal(25)
    return Composite(SquaredLoss(_arr(A, xp, dtype), _arr(b, xp, dtype)), L1Ball(1.5), (40,))


CATALOG = [
    Case("lasso_wide", _lasso(11, 40, 90)),
    Case("lasso_tall", _lasso(12, 80, 30)),
    Case("sics_p15", _sics(13, 15, 0.1)),
    Case("sics_p25", _sics(14, 25, 0.05)),
    Case("box_least_squares", _box_ls),
    Case("l1ball_least_squares", _l1ball_ls),
]


# --- entropic optimal transport (issue 3) ---
from optkit.problems import EntropicOT  # noqa: E402


def _ot_clouds(seed: int, n: int, m: int, reg: float):
    def make(xp, dtype):
        rng = np.random.default_rng(seed)
        X, Y = rng.random((n, 2)), rng.random((m, 2)) + 0.2
        a, b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, m)
        p = EntropicOT.from_point_clouds(X, Y, reg, a / a.sum(), b / b.sum())
        return EntropicOT(_arr(np.asarray(p.a), xp, dtype), _arr(np.asarray(p.b), xp, dtype),
                          _arr(np.asarray(p.C), xp, dtype), reg)
    return make


CATALOG += [
    Case("ot_clouds_12x9", _ot_clouds(21, 12, 9, 0.05)),
    Case("ot_clouds_16x14", _ot_clouds(22, 16, 14, 0.05)),
]


# --- robust matrix recovery (issue 4): RobustPCA cases (iALM). The penalised and constrained
# CPCP forms are solved by Frank-Wolfe methods whose O(1/k) tail cannot reach the suite's 1e-8;
# tests/test_rpca.py covers FW-T, FW-P and APG with the same checks at their own tolerances.
from optkit.datasets import lowrank_sparse_instance  # noqa: E402
from optkit.problems import RobustPCA  # noqa: E402


def _rpca(seed: int, m: int, n: int, observed: float, noise: float):
    # noise keeps the reference interior-point solve nondegenerate (noise-free exact recovery
    # leaves Clarabel at "optimal_inaccurate")
    def make(xp, dtype):
        M, _, _, mask = lowrank_sparse_instance(m, n, rank=2, observed=observed, noise=noise, seed=seed)
        return RobustPCA(_arr(M, xp, dtype), mask=None if mask is None else asarray(mask, xp=xp))
    return make


CATALOG += [
    Case("rpca_full_20x15", _rpca(41, 20, 15, 1.0, 0.1)),
    Case("rpca_masked_16x22", _rpca(42, 16, 22, 0.85, 0.5)),
]


# --- robust tensor recovery (issue 5): small tensors on which CVXPY + Clarabel is accurate
# (the nonconvex ADAL is checked against planted tensors in tests/test_tensor_ncx.py).
from optkit.datasets import planted_tucker  # noqa: E402
from optkit.problems import RobustTensorRecovery  # noqa: E402


def _tensor(shape, rank, corruption, observed, seed, lam, **kw):
    def make(xp, dtype):
        P = planted_tucker(shape, rank, corruption=corruption, observed=observed, seed=seed)
        mask = None if P.mask is None else asarray(P.mask, xp=xp, dtype=xp.bool)
        return RobustTensorRecovery(_arr(P.T, xp, dtype), lam=lam, mask=mask, **kw)
    return make


CATALOG += [
    Case("tensor_completion_6x7x5", _tensor((6, 7, 5), 2, 0.1, 0.8, 3, 0.3)),
    Case("tensor_penalized_6x7x5", _tensor((6, 7, 5), 2, 0.1, 0.8, 4, 0.3, formulation="penalized", alpha=0.05)),
    Case("tensor_square_penalized_4x3x4x3", _tensor((4, 3, 4, 3), 1, 0.05, 0.8, 5, 0.5, norm="square",
                                                   formulation="penalized", alpha=0.05)),
]
