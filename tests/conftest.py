"""Shared fixtures: the backend x dtype matrix and the tolerance table."""
from __future__ import annotations

import numpy as np
import pytest

from optkit.backend import namespace_by_name

BACKENDS = ["numpy", "array_api_strict"]
try:  # CuPy runs only where a GPU exists (marker `gpu`)
    import cupy  # noqa: F401

    BACKENDS.append(pytest.param("cupy", marks=pytest.mark.gpu))
except ImportError:
    pass

# Relative objective tolerance against the CVXPY reference, by dtype.
TOL = {"float64": 1e-6, "float32": 1e-3}


@pytest.fixture(params=BACKENDS)
def xp(request):
    """An array namespace: NumPy (wrapped by array_api_compat) or array_api_strict."""
    return namespace_by_name(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(params=["serial", "threaded"])
def numba_build(request, monkeypatch):
    """Run a kernel test with each Numba build: the dispatch picks one by ``PARALLEL_MIN_SIZE``."""
    from optkit.kernels import _cpu  # noqa: PLC0415

    monkeypatch.setattr(_cpu, "PARALLEL_MIN_SIZE", 0 if request.param == "threaded" else 1 << 62)
    return request.param
