"""The coordinate-descent kernel of the working-set Lasso solver against its array-API twin, and what it
reaches on its own."""
from __future__ import annotations

import numpy as np
import pytest

from optkit.backend import asarray, namespace_by_name, to_numpy
from optkit.kernels import composite as ck
from optkit.problems import Lasso


def _instance(dtype, order, seed=0, m=23, n=40, k=17):
    rng = np.random.default_rng(seed)
    A = np.asarray(rng.standard_normal((m, n)), dtype=dtype, order=order)
    A[:, 3] = 0.0  # a zero column keeps its coordinate
    b = rng.standard_normal(m).astype(dtype)
    ws = np.sort(rng.choice(n, k, replace=False))
    ws[0] = 3
    ws = np.sort(ws)
    x = np.where(rng.random(k) < 0.5, rng.standard_normal(k), 0.0).astype(dtype)
    r = (A[:, ws] @ x - b).astype(dtype)
    lam = 0.2 * float(np.max(np.abs(A.T @ b)))
    return A, b, ws, x, r, lam


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cd_kernel_matches_its_twin(dtype, order):
    A, b, ws, x, r, lam = _instance(dtype, order)
    norms2 = ck.column_sq_norms(A)
    np.testing.assert_allclose(norms2, ck.twin.column_sq_norms(A), rtol=1e-12 if dtype == np.float64 else 1e-5)
    x0, r0 = x.copy(), r.copy()
    # gap_tol = 0: both run the same 7 epochs
    C = ck.gather_columns(A, ws)
    np.testing.assert_array_equal(C, A[:, ws].T)
    x1, r1, e1, g1 = ck.lasso_cd(C, x, r, b, norms2[ws], lam, 0.0, 7, 3)
    x2, r2, e2, g2 = ck.twin.lasso_cd(ck.twin.gather_columns(A, ws), x, r, b, norms2[ws], lam, 0.0, 7, 3)
    np.testing.assert_array_equal(x, x0)  # inputs untouched
    np.testing.assert_array_equal(r, r0)
    rtol, atol = (1e-10, 1e-12) if dtype == np.float64 else (1e-4, 1e-5)
    assert e1 == e2 == 7 and x1.dtype == r1.dtype == dtype
    np.testing.assert_allclose(x1, x2, rtol=rtol, atol=atol)
    np.testing.assert_allclose(r1, r2, rtol=rtol, atol=atol)
    assert g1 == pytest.approx(g2, rel=1e-6 if dtype == np.float64 else 1e-2, abs=atol)
    assert x1[0] == x[0]  # the zero column's coordinate
    np.testing.assert_allclose(r1, A[:, ws] @ x1 - b, rtol=rtol, atol=10 * atol)


def test_cd_kernel_on_array_api_strict_is_the_twin():
    A, b, ws, x, r, lam = _instance(np.float64, "C", seed=1)
    xs = namespace_by_name("array_api_strict")
    args = [asarray(a, xp=xs) for a in (A, ws, x, r, b)]
    norms2 = ck.column_sq_norms(args[0])
    out = ck.lasso_cd(ck.gather_columns(args[0], args[1]), *args[2:], asarray(to_numpy(norms2)[ws], xp=xs), lam, 0.0,
                      5, 2)
    ref = ck.lasso_cd(ck.gather_columns(A, ws), x, r, b, ck.column_sq_norms(A)[ws], lam, 0.0, 5, 2)
    np.testing.assert_allclose(to_numpy(out[0]), ref[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_numpy(out[1]), ref[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_cd_kernel_reaches_the_gap_it_is_asked(seed):
    """On the whole feature set the kernel solves the Lasso: its gap is the problem's own."""
    A, b, _, _, _, lam = _instance(np.float64, "C", seed=seed, m=30, n=50)
    ws = np.arange(50)
    x, r, epochs, gap = ck.lasso_cd(ck.gather_columns(A, ws), np.zeros(50), -b, b, ck.column_sq_norms(A), lam, 1e-11,
                                    100000, 5)
    assert 0 < epochs < 100000 and gap <= 1e-11
    assert Lasso(A, b, lam=lam).measures(x)["gap"] <= 1e-11 * 1.01


@pytest.mark.parametrize("order", ["C", "F"])
def test_gathering_reuses_an_earlier_gather(order):
    rng = np.random.default_rng(5)
    A = np.asarray(rng.standard_normal((9, 30)), order=order)
    prev_ws = np.array([1, 4, 5, 11, 20, 29])
    prev = ck.gather_columns(A, prev_ws)
    for ws in (np.array([0, 4, 5, 12, 29]), np.array([2, 3]), prev_ws, np.arange(30)):
        np.testing.assert_array_equal(ck.gather_columns(A, ws, prev, prev_ws), A[:, ws].T)
    # the copied rows really come from prev: a stale prev shows through
    stale = prev + 1.0
    got = ck.gather_columns(np.ascontiguousarray(A), np.array([4, 7]), stale, prev_ws)
    np.testing.assert_array_equal(got, np.stack([stale[1], A[:, 7]]))
