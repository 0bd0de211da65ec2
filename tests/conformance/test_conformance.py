"""Every registered method x every catalogue problem it accepts x backend x dtype.

Generated from the registry and ``catalog.CATALOG``: no hand-kept method lists.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit._registry import all_methods
from optkit.backend import backend_name, namespace_by_name, to_numpy
from optkit.validate import reference_solve

from .catalog import CATALOG

BACKENDS = ["numpy", "array_api_strict"]
PAIRS = [
    pytest.param(case, name, id=f"{name}-{case.name}")
    for case in CATALOG
    for name, cls in all_methods().items()
    if cls.accepts(case.make(namespace_by_name("numpy"), np.float64))
]


@functools.lru_cache(maxsize=None)
def reference(case_name: str) -> float:
    case = next(c for c in CATALOG if c.name == case_name)
    problem = case.make(namespace_by_name("numpy"), np.float64)
    x_ref, _, status, _ = reference_solve(problem)
    assert status == "optimal", status
    return problem.objective(np.asarray(x_ref))


def _make(case, backend, dtype="float64"):
    xp = namespace_by_name(backend)
    return xp, case.make(xp, getattr(xp, dtype))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case,method", PAIRS)
def test_reaches_cvxpy_reference(case, method, backend):
    xp, problem = _make(case, backend)
    res = optkit.solve(problem, method=method, tol=1e-8, max_iter=20000, **case.options.get(method, {}))
    assert res.success, res
    f_ref = reference(case.name)
    assert abs(res.fun - f_ref) / max(1.0, abs(f_ref)) <= case.gap
    # the reported objective is the problem's objective at the returned point
    assert res.fun == pytest.approx(problem.objective(res.x), rel=1e-12, abs=1e-12)
    assert res.optimality <= 1e-8
    assert backend_name(xp) == res.backend


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case,method", PAIRS)
def test_float32_keeps_dtype_and_converges(case, method, backend):
    xp, problem = _make(case, backend, "float32")
    res = optkit.solve(problem, method=method, tol=1e-5, max_iter=20000, **case.options.get(method, {}))
    for x in (res.x if isinstance(res.x, tuple) else (res.x,)):  # multi-block results: every block
        assert x.dtype == xp.float32
        assert type(x) is type(problem.arrays()[next(iter(problem.arrays()))])
    f_ref = reference(case.name)
    assert abs(res.fun - f_ref) / max(1.0, abs(f_ref)) <= 1e-3


@pytest.mark.parametrize("case,method", PAIRS)
def test_honours_max_iter(case, method):
    _, problem = _make(case, "numpy")
    res = optkit.solve(problem, method=method, tol=1e-14, max_iter=3, check_every=1)
    assert res.status is Status.MAX_ITER and not res.success and res.nit == 3
    assert len(res.history["nit"]) == 4  # the start and every iteration
    assert math.isfinite(res.fun)


@pytest.mark.parametrize("case,method", PAIRS)
def test_callback_stops(case, method):
    _, problem = _make(case, "numpy")
    seen = []

    def stop_at_second(info):
        seen.append(info.nit)
        assert info.x is not None and math.isfinite(info.fun)
        with pytest.raises(AttributeError):
            info.nit = 0
        return len(seen) >= 2

    res = optkit.solve(problem, method=method, tol=1e-14, callback=stop_at_second, check_every=1)
    assert res.status is Status.CALLBACK_STOP and seen == [1, 2] and res.nit == 2

    def raise_stop(info):
        raise StopIteration

    assert optkit.solve(problem, method=method, tol=1e-14, callback=raise_stop).status is Status.CALLBACK_STOP


@pytest.mark.parametrize("case,method", PAIRS)
def test_unknown_option_raises(case, method):
    _, problem = _make(case, "numpy")
    with pytest.raises(TypeError, match="valid options"):
        optkit.solve(problem, method=method, no_such_option=1)


@pytest.mark.parametrize("case,method", PAIRS)
def test_deterministic_rerun(case, method):
    _, problem = _make(case, "numpy")
    a = optkit.solve(problem, method=method, tol=1e-6)
    b = optkit.solve(problem, method=method, tol=1e-6)
    assert a.nit == b.nit
    np.testing.assert_array_equal(to_numpy(a.x), to_numpy(b.x))
