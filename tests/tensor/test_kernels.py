"""The fused ADAL kernel against its array-API twin (with and without mask, serial and parallel)."""
from __future__ import annotations

import numpy as np
import pytest

from optkit.kernels import tensor as kernels
from optkit.kernels.tensor import twin as reference


@pytest.mark.parametrize("n", [37, 5000])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("want", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [1.0, 1 / 1.1])
def test_adal_singleton_kernel_matches_twin(n, masked, K, want, dtype, scale, numba_build):
    rng = np.random.default_rng(n + K)
    Ls = tuple(rng.standard_normal(n).astype(dtype) for _ in range(K))
    Lam = rng.standard_normal((K, n)).astype(dtype)
    ZE, LamE, T, Yprev = (rng.standard_normal(n).astype(dtype) for _ in range(4))
    mask = rng.random(n) < 0.7 if masked else None
    thr = 0.3
    ref = reference.adal_singleton(Ls, Lam.copy(), None, ZE, LamE.copy(), T, mask, thr, Yprev, want, scale)
    got = kernels.adal_singleton(Ls, Lam.copy(), np.empty_like(Lam), ZE, LamE.copy(), T, mask, thr, Yprev, want,
                                 scale)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(got[:5], ref[:5]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(got[5], ref[5], rtol=1e-9 if dtype == np.float64 else 1e-4)
    if not want:
        assert got[5] == (0.0, 0.0, 0.0, 0.0, 0.0)
    if scale != 1.0:   # the scaling is the rescaling of the multipliers that follows a change of mu
        plain = reference.adal_singleton(Ls, Lam.copy(), None, ZE, LamE.copy(), T, mask, thr, Yprev, False)
        np.testing.assert_allclose(got[3], scale * plain[3], rtol=rtol, atol=rtol)
        np.testing.assert_allclose(got[2], scale * plain[2], rtol=rtol, atol=rtol)
        np.testing.assert_allclose(got[4], plain[0] - scale * plain[3], rtol=rtol, atol=rtol)
