"""Numba kernels against their pure array-API twins."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from optkit import kernels
from optkit.backend import namespace_by_name, to_numpy

floats = st.floats(-1e3, 1e3, allow_subnormal=False)


@settings(max_examples=60, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 20)), elements=floats),
       t=st.floats(0, 100))
def test_soft_threshold_matches_twin(x, t):
    assert kernels.use_numba(x)
    np.testing.assert_array_equal(kernels.soft_threshold(x, t), kernels.twin.soft_threshold(x, t))


@settings(max_examples=60, deadline=None)
@given(v=arrays(np.float64, st.integers(1, 50), elements=floats), r=st.floats(0.01, 100))
def test_simplex_projection_matches_twin(v, r):
    np.testing.assert_allclose(kernels.project_simplex(v, r), kernels.twin.project_simplex(v, r),
                               rtol=1e-12, atol=1e-9)


def test_float32_and_strict_arrays():
    x = np.linspace(-2, 2, 9, dtype=np.float32)
    y = kernels.soft_threshold(x, 0.5)
    assert y.dtype == np.float32
    xs = namespace_by_name("array_api_strict").asarray(x)
    ys = kernels.soft_threshold(xs, 0.5)      # dispatches to the twin
    assert not kernels.use_numba(xs)
    np.testing.assert_array_equal(to_numpy(ys), y)
    p = kernels.project_l1_ball(namespace_by_name("array_api_strict").asarray(np.array([3.0, -1.0])), 1.0)
    np.testing.assert_allclose(to_numpy(p), [1.0, 0.0])


def test_disable_numba_env(monkeypatch):
    monkeypatch.setenv("OPTKIT_DISABLE_NUMBA", "1")
    assert not kernels.use_numba(np.ones(3))
    np.testing.assert_array_equal(kernels.soft_threshold(np.array([-2.0, 0.5, 3.0]), 1.0), [-1.0, 0.0, 2.0])


def test_soft_threshold_builds_match_twin(rng, numba_build):
    x = rng.standard_normal(1000)
    np.testing.assert_array_equal(kernels.soft_threshold(x, 0.3), kernels.twin.soft_threshold(x, 0.3))


def test_threaded_builds_are_cached_apart():
    """Numba caches by function name, not by the parallel flag: each build needs its own function."""
    import importlib  # noqa: PLC0415

    from optkit._families import FAMILIES  # noqa: PLC0415

    modules = [importlib.import_module("optkit.kernels._jit")]
    for key in FAMILIES:
        try:
            modules.append(importlib.import_module(f"optkit.kernels.{key}._jit"))
        except ModuleNotFoundError:
            pass
    pairs = [(mod, n[: -len("_serial")]) for mod in modules for n in dir(mod) if n.endswith("_serial")]
    assert len(pairs) >= 7
    for mod, name in pairs:
        serial, threaded = getattr(mod, f"{name}_serial"), getattr(mod, f"{name}_parallel")
        assert serial.py_func.__qualname__ != threaded.py_func.__qualname__
        assert threaded.targetoptions.get("parallel") and not serial.targetoptions.get("parallel")


def test_projections_with_a_radius_below_the_largest_entrys_rounding_unit():
    """The first sorted entry is active for every radius r > 0, but u_0 - r rounds to u_0 when r is
    below half its rounding unit: the twins then found no active entry (a NumPy error on an empty
    reduction), Numba's threshold divided by zero and its simplex projection returned v unprojected."""
    v = np.array([1e20, 3.0, 1.0])
    for project in (kernels.project_simplex, kernels.twin.project_simplex):
        p = project(v, 1e-3)
        assert np.all(p >= 0) and p.sum() <= 1e-3 + np.spacing(1e20)
        np.testing.assert_array_equal(p, np.zeros(3))
    for threshold in (kernels.l1_ball_threshold, kernels.twin.l1_ball_threshold):
        theta = threshold(v, 1e-3)
        assert theta == 1e20
        assert np.abs(kernels.soft_threshold(v, theta)).sum() <= 1e-3
