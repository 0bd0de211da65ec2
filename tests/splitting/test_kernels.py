"""The exact 1-D TV prox: the Numba kernel against both array-API twins, and its optimality condition."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from optkit.backend import namespace_by_name, to_numpy
from optkit.kernels import splitting as kernels
from optkit.kernels.splitting import twin

values = st.floats(-1e3, 1e3, allow_subnormal=False)


def _assert_tv_prox(y: np.ndarray, x: np.ndarray, lam: float) -> None:
    """Optimality of ``x = prox_{lam TV}(y)`` on one line: ``y - x = D^T z`` with ``z = -cumsum(y - x)``,
    ``|z| <= lam`` and ``z = lam sign(x_{k+1} - x_k)`` wherever ``x`` jumps."""
    tol = 1e-9 * (1.0 + np.abs(y).sum())
    c = np.cumsum(y - x)
    assert abs(c[-1]) <= tol                      # the prox keeps the line's mean
    z = -c[:-1]
    assert np.all(np.abs(z) <= lam + tol)
    jump = np.diff(x)
    big = np.abs(jump) > 1e-9 * (1.0 + np.abs(y).max())
    np.testing.assert_allclose(z[big], lam * np.sign(jump[big]), atol=10 * tol)


@settings(max_examples=80, deadline=None)
@given(y=arrays(np.float64, st.integers(1, 40), elements=values), lam=st.floats(0, 200), rounded=st.booleans())
def test_kernel_satisfies_optimality_and_matches_twins(y, lam, rounded):
    if rounded:
        y = np.round(y / 10)   # ties and plateaus
    x = kernels.tv_prox([y], [lam], [0])[0]
    _assert_tv_prox(y, x, lam)
    atol = 1e-11 * (1.0 + np.abs(y).max())
    np.testing.assert_allclose(x, twin.tv_prox([y], [lam], [0])[0], rtol=0, atol=atol)
    np.testing.assert_allclose(x, twin.tv_prox([y], [lam], [0], method="lockstep")[0], rtol=0, atol=atol)


@pytest.mark.parametrize("shape,axes", [((37, 53), (1, 0)), ((5, 300), (0, 1)), ((4, 6, 7), (2, 1, 0))])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batched_call_over_axes_and_builds(shape, axes, dtype, numba_build):
    rng = np.random.default_rng(len(shape) + shape[0])
    inputs = [rng.standard_normal(shape).astype(dtype) for _ in axes]
    lams = [0.3 * (i + 1) for i in range(len(axes))]
    got = kernels.tv_prox(inputs, lams, axes)
    ref = twin.tv_prox(inputs, lams, axes)
    for g, r, x, lam, axis in zip(got, ref, inputs, lams, axes):
        assert g.dtype == dtype and g.shape == shape
        np.testing.assert_allclose(g, r, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5 if dtype == np.float32
                                   else 1e-12)
        if dtype == np.float64:
            lines = np.moveaxis(x, axis, -1).reshape(-1, shape[axis])
            outs = np.moveaxis(g, axis, -1).reshape(-1, shape[axis])
            for yl, xl in zip(lines[:5], outs[:5]):
                _assert_tv_prox(yl, xl, lam)


def test_strict_arrays_use_the_twin():
    xs = namespace_by_name("array_api_strict")
    y = np.random.default_rng(3).standard_normal((6, 7))
    got = kernels.tv_prox([xs.asarray(y), xs.asarray(y)], [0.2, 0.5], [0, 1])
    ref = kernels.tv_prox([y, y], [0.2, 0.5], [0, 1])
    for g, r in zip(got, ref):
        assert not isinstance(g, np.ndarray)
        np.testing.assert_allclose(to_numpy(g), r, atol=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match="share one shape"):
        kernels.tv_prox([np.zeros(3), np.zeros(4)], [1.0, 1.0], [0, 0])
    with pytest.raises(ValueError, match="method"):
        twin.tv_prox([np.zeros(3)], [1.0], [0], method="other")
    assert kernels.tv_prox([], [], []) == []


@pytest.mark.parametrize("K,n", [(3, 41), (4, 5000), (1000, 7)])
@pytest.mark.parametrize("alpha", [1.0, 1.6])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_consensus_update_matches_twin(K, n, alpha, dtype, numba_build):
    rng = np.random.default_rng(K + n)
    W, X, U = (rng.standard_normal((K, n)).astype(dtype) for _ in range(3))
    z = rng.standard_normal(n).astype(dtype)
    got = kernels.consensus_update(W, X, U, z, 0.7, alpha)
    ref = twin.consensus_update(W, X, U, z, 0.7, alpha)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for g, r in zip(got[:4], ref[:4]):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol)
    np.testing.assert_allclose(got[4], ref[4], rtol=1e-9 if dtype == np.float64 else 1e-4)
    # the new multipliers sum to zero over the blocks and w = z - u
    np.testing.assert_allclose(got[1].sum(axis=0), 0.0, atol=100 * tol * K)
    np.testing.assert_allclose(got[2], got[3] - got[1], atol=tol)
