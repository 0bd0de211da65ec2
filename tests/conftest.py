"""Shared fixtures: the backends every solver runs on (the one place they are listed), the dtype
tolerance table, the Numba build switch, and the property tests' CI profile."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings

from optkit.backend import namespace_by_name

#: ``.ci/run`` selects this profile (``--hypothesis-profile=ci``): the property tests draw the same examples on
#: every CI run, so a CI result says what changed in the code; a developer's ``make test`` draws new examples each
#: time (and replays its own failures from ``.hypothesis/``), which is how an untuned instance that needs more
#: iterations than a test allows is found.
settings.register_profile("ci", derandomize=True)


def _cupy_with_device() -> bool:
    try:
        import cupy  # noqa: PLC0415

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001  (no CuPy, no driver, no device)
        return False


#: Array libraries the tests run solvers on: NumPy, array_api_strict (standing in for CuPy on
#: machines without a GPU) and CuPy where a device exists (marker ``gpu``).
BACKENDS = ["numpy", "array_api_strict"]
if _cupy_with_device():
    BACKENDS.append(pytest.param("cupy", marks=pytest.mark.gpu))

# Relative objective tolerance against the reference, by dtype.
TOL = {"float64": 1e-6, "float32": 1e-3}


@pytest.fixture(params=BACKENDS)
def backend(request):
    """A backend name from :data:`BACKENDS`."""
    return request.param


@pytest.fixture
def xp(backend):
    """An array namespace: NumPy (wrapped by array_api_compat), array_api_strict or CuPy."""
    return namespace_by_name(backend)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(params=["serial", "threaded"])
def numba_build(request, monkeypatch):
    """Run a kernel test with each Numba build: the dispatch picks one by ``PARALLEL_MIN_SIZE``."""
    from optkit.kernels import _dispatch  # noqa: PLC0415

    monkeypatch.setattr(_dispatch, "PARALLEL_MIN_SIZE", 0 if request.param == "threaded" else 1 << 62)
    return request.param
