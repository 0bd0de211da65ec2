"""Every registered method x every catalogue case it accepts x backend x dtype.

Generated from the registry and the families' ``tests/<family>/cases.py``: no hand-kept method
lists, and a method that no case exercises fails :func:`test_every_method_has_a_case`.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import warnings

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit._registry import all_methods
from optkit.backend import backend_name, namespace_by_name, to_numpy
from optkit.validate import reference_solve

from ..conftest import BACKENDS
from .cases import all_cases

CASES = all_cases()
_NUMPY = namespace_by_name("numpy")
PAIRS = [
    pytest.param(case, name, id=f"{name}-{case.name}")
    for case in CASES
    for name, cls in all_methods().items()
    if cls.accepts(case.make(_NUMPY, _NUMPY.float64))
]


def _blocks(x):
    return [np.asarray(to_numpy(v), dtype=float) for v in (x if isinstance(x, tuple) else (x,))]


@functools.lru_cache(maxsize=None)
def reference(case_name: str) -> float:
    """The case's optimal value: its known optimum, or the objective at the CVXPY solution."""
    case = next(c for c in CASES if c.name == case_name)
    problem = case.make(_NUMPY, _NUMPY.float64)
    if case.optimum is not None:
        return float(case.optimum(problem) if callable(case.optimum) else case.optimum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x_ref, _, status, _ = reference_solve(problem)
    assert status == "optimal", status
    return problem.objective(x_ref)


def _make(case, backend, dtype="float64"):
    xp = namespace_by_name(backend)
    return xp, case.make(xp, getattr(xp, dtype))


def _solve(problem, case, method, **kw):
    spec = case.spec(method)
    opts = {"tol": spec.tol, "max_iter": spec.max_iter, **spec.options, **kw}
    return optkit.solve(problem, method=method, **opts)


def _rel_gap(fun: float, ref: float) -> float:
    return abs(fun - ref) / max(1.0, abs(ref))


def test_every_method_has_a_case():
    covered = {name for _, name in (p.values for p in PAIRS)}
    missing = sorted(set(all_methods()) - covered)
    assert not missing, f"registered methods that no conformance case exercises: {missing}"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case,method", PAIRS)
def test_reaches_the_reference(case, method, backend):
    xp, problem = _make(case, backend)
    spec = case.spec(method)
    res = _solve(problem, case, method)
    assert res.success, res
    assert res.optimality <= spec.tol
    assert _rel_gap(res.fun, reference(case.name)) <= spec.gap
    assert backend_name(xp) == res.backend
    # the reported objective and certificate are the problem's own evaluation at the answer
    assert res.fun == pytest.approx(problem.objective(res.x), rel=1e-10, abs=1e-12)
    own = problem.measures(res.x, **({} if res.dual is None else {"dual": res.dual}))
    assert own["optimality"] == pytest.approx(res.optimality, rel=1e-6, abs=1e-3 * spec.tol)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case,method", PAIRS)
def test_float32_keeps_dtype_and_converges(case, method, backend):
    xp, problem = _make(case, backend, "float32")
    spec = case.spec(method)
    res = _solve(problem, case, method, tol=spec.tol32)
    assert res.success, res
    for x in (res.x if isinstance(res.x, tuple) else (res.x,)):
        assert x.dtype == xp.float32
        assert type(x) is type(next(iter(problem.arrays().values())))
    assert _rel_gap(res.fun, reference(case.name)) <= spec.gap32


@pytest.mark.parametrize("case,method", PAIRS)
def test_honours_max_iter(case, method):
    _, problem = _make(case, "numpy")
    res = _solve(problem, case, method, tol=1e-14, max_iter=3, check_every=1)
    assert math.isfinite(res.fun) and len(res.history["nit"]) == res.nit + 1  # the start and every iteration
    if res.success:  # a method that solves the case to rounding in fewer steps (Newton on a QP)
        assert res.nit < 3
    else:
        assert res.status is Status.MAX_ITER and res.nit == 3


@pytest.mark.parametrize("case,method", PAIRS)
def test_callback_stops_and_sees_copies(case, method):
    _, problem = _make(case, "numpy")
    seen = []

    def stop_at_second(info):
        seen.append(info.nit)
        assert info.x is not None and math.isfinite(info.fun)
        with pytest.raises(dataclasses.FrozenInstanceError):
            info.nit = 0
        for block in (info.x if isinstance(info.x, tuple) else (info.x,)):
            block *= 0.0  # writing into the snapshot must not reach the solver
        return len(seen) >= 2

    res = _solve(problem, case, method, tol=1e-14, callback=stop_at_second, check_every=1)
    if res.success:  # solved before the second check
        assert res.nit <= 2 and seen == list(range(1, res.nit))
    else:
        assert res.status is Status.CALLBACK_STOP and seen == [1, 2] and res.nit == 2
    assert res.fun == pytest.approx(problem.objective(res.x), rel=1e-10, abs=1e-12)

    def raise_stop(info):
        raise StopIteration

    stopped = _solve(problem, case, method, tol=1e-14, callback=raise_stop)
    assert stopped.status is Status.CALLBACK_STOP or (stopped.success and stopped.nit <= 1)


@pytest.mark.parametrize("case,method", PAIRS)
def test_unknown_option_raises(case, method):
    _, problem = _make(case, "numpy")
    with pytest.raises(TypeError, match="valid options"):
        optkit.solve(problem, method=method, no_such_option=1)


def _seeded(method) -> dict:
    fields = {f.name for f in dataclasses.fields(all_methods()[method].Options)}
    return {"seed": 7} if "seed" in fields else {}


@pytest.mark.parametrize("case,method", PAIRS)
def test_deterministic_rerun(case, method):
    _, problem = _make(case, "numpy")
    a = _solve(problem, case, method, tol=1e-6, **_seeded(method))
    b = _solve(problem, case, method, tol=1e-6, **_seeded(method))
    assert a.nit == b.nit
    for u, v in zip(_blocks(a.x), _blocks(b.x)):
        np.testing.assert_array_equal(u, v)


@pytest.mark.filterwarnings("ignore::optkit.solvers.base.ToleranceWarning")
@pytest.mark.parametrize("case,method", PAIRS)
def test_iterates_do_not_depend_on_check_every(case, method):
    """Checks are read-only: 14 iterations checked every iteration or every 7th end at one point."""
    _, problem = _make(case, "numpy")
    runs = [_solve(problem, case, method, tol=1e-300, max_iter=14, check_every=every, **_seeded(method))
            for every in (1, 7)]
    assert [r.nit for r in runs] == [14, 14], [r.status for r in runs]
    for u, v in zip(_blocks(runs[0].x), _blocks(runs[1].x)):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-12 * max(1.0, float(np.abs(u).max())))


@pytest.mark.parametrize("case,method", PAIRS)
def test_warm_start_at_the_solution_stops_within_a_few_iterations(case, method):
    _, problem = _make(case, "numpy")
    spec = case.spec(method)
    res = _solve(problem, case, method)
    assert res.success, res
    x0 = case.warm_start(res) if case.warm_start is not None else res.x
    again = _solve(problem, case, method, x0=x0)
    assert again.success and again.nit <= spec.warm_iterations, (again.status, again.nit)
