"""Never claim success falsely, never crash on input a user can type.

Generated from the conformance catalogue and the registry, so every family is fuzzed the day its
cases land: each problem constructor is fed its own data perturbed (NaN, inf, wrong and zero
sizes, int/bool/float32/complex/object dtypes, lists, NumPy scalars, scales from 1e-150 to 1e150,
another array library), each method bad options and bad starting points. Every case must end in a
``ValueError``/``TypeError`` that names the argument, or in a Result whose ``success`` holds only
when the certificate, recomputed by the problem in float64 at ``res.x``, is at or below ``tol``.
"""
from __future__ import annotations

import dataclasses
import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optkit
from optkit._registry import all_methods
from optkit.backend import namespace_by_name

from .cases import all_cases

CASES = all_cases()
_NP = namespace_by_name("numpy")
FUZZ = settings(max_examples=6, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _with_nan(a, value=np.nan):
    a = np.array(a, dtype=float, copy=True)
    a.reshape(-1)[0] = value
    return a


ARRAY_PERTURBATIONS = {
    "nan": lambda a: _with_nan(a),
    "inf": lambda a: _with_nan(a, np.inf),
    "int": lambda a: np.rint(np.asarray(a)).astype(np.int64),
    "bool": lambda a: np.asarray(a) != 0,
    "float32": lambda a: np.asarray(a, dtype=np.float32),
    "complex": lambda a: np.asarray(a) + 1j,
    "object": lambda a: np.asarray(a).astype(object),
    "list": lambda a: np.asarray(a).tolist(),
    "string": lambda a: "data",
    "drop_row": lambda a: np.asarray(a)[:-1],
    "zero_size": lambda a: np.asarray(a)[:0],
    "extra_axis": lambda a: np.asarray(a)[None],
    "flatten": lambda a: np.asarray(a).reshape(-1),
    "other_library": lambda a: namespace_by_name("array_api_strict").asarray(np.asarray(a)),
    **{f"scale_1e{k}": (lambda k: lambda a: np.asarray(a) * 10.0 ** k)(k) for k in (-150, -100, -50, 50, 100, 150)},
}

SCALAR_PERTURBATIONS = {
    "nan": math.nan, "inf": math.inf, "negative": -1.0, "zero": 0.0, "huge": 1e300, "tiny": 1e-300,
    "float32": "float32", "int64": "int64", "bool": True, "string": "1.0", "complex": 1 + 1j,
}


def _fields(problem):
    """The constructor arguments a user types: arrays and real scalars (not objects such as linear
    operators that have a shape but no dtype)."""
    out = []
    for f in dataclasses.fields(problem):
        value = getattr(problem, f.name)
        if f.init and ((hasattr(value, "shape") and hasattr(value, "dtype")) or (isinstance(value, float) and not isinstance(value, bool))):
            out.append((f.name, value))
    return out


def _perturb(value, kind):
    if hasattr(value, "toarray"):  # a sparse matrix: perturbed as the dense array it stands for
        value = value.toarray()
    if hasattr(value, "dtype"):  # an array (a linear operator has a shape but no dtype)
        return ARRAY_PERTURBATIONS[kind](np.asarray(value))
    bad = SCALAR_PERTURBATIONS[kind]
    return {"float32": np.float32(value), "int64": np.int64(max(1, round(value)))}.get(bad, bad)


def _names(exc: BaseException, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])", str(exc)) is not None


def certified(problem, res) -> float:
    """The problem's certificate at ``res.x``, recomputed in float64."""
    xp = problem.xp
    p64 = problem.astype(xp.float64)

    def up(x):
        if isinstance(x, tuple):
            blocks = [up(b) for b in x]
            return type(x)(*blocks) if hasattr(x, "_fields") else tuple(blocks)
        if hasattr(x, "dtype") and xp.isdtype(x.dtype, "real floating"):
            return xp.astype(x, xp.float64)
        return x

    return p64.measures(up(res.x), **({} if res.dual is None else {"dual": up(res.dual)}))["optimality"]


def _solve_honestly(problem, case, method):
    spec = case.spec(method)
    tol = all_methods()[method].Options().tol
    with warnings.catch_warnings():
        # overflow at extreme scales may warn; what counts is an honest status
        warnings.simplefilter("ignore", optkit.solvers.base.ToleranceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        res = optkit.solve(problem, method=method, tol=tol, max_iter=min(spec.max_iter, 300), **spec.options)
    if res.success:
        assert math.isfinite(res.fun) and certified(problem, res) <= tol, res
    return res


# cases whose problem takes its data as constructor arguments (Composite holds it in its terms)
FIELD_CASES = [c for c in CASES if _fields(c.make(_NP, _NP.float64))]


@pytest.mark.parametrize("case", FIELD_CASES, ids=[c.name for c in FIELD_CASES])
@FUZZ
@given(data=st.data())
def test_perturbed_data_is_refused_by_name_or_solved_honestly(case, data):
    problem = case.make(_NP, _NP.float64)
    fields = _fields(problem)
    name, value = data.draw(st.sampled_from(fields), label="field")
    table = ARRAY_PERTURBATIONS if hasattr(value, "dtype") else SCALAR_PERTURBATIONS
    kind = data.draw(st.sampled_from(sorted(table)), label="perturbation")
    bad = _perturb(value, kind)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            perturbed = dataclasses.replace(problem, **{name: bad})
    except (ValueError, TypeError) as exc:
        assert _names(exc, name), f"{kind} {name}: the message does not name the argument: {exc}"
        return
    methods = optkit.methods(perturbed)
    method = data.draw(st.sampled_from(methods), label="method")
    _solve_honestly(perturbed, case, method)


PAIRS = [(case, name) for case in CASES for name, cls in all_methods().items()
         if cls.accepts(case.make(_NP, _NP.float64))]


def _bad_values(field):
    """Values outside an option's declared domain."""
    domain = field.metadata.get("domain")
    if isinstance(field.default, bool):
        return ["yes", 1, None]
    if isinstance(domain, (set, frozenset, tuple)):
        return ["no-such-choice", 3] + ([] if None in domain else [None])
    if domain == "seed":
        return [-1, 1.5, "seed"]
    if isinstance(domain, str) and domain.startswith("int"):
        return [1.5, -(10 ** 9), True, "3", math.nan]
    if isinstance(domain, str):
        return [math.nan, -math.inf, "1", True, -1e300]
    return []


@pytest.mark.parametrize("method", sorted(all_methods()))
def test_bad_options_are_refused_by_name(method):
    cls = all_methods()[method]
    case = next(c for c, m in PAIRS if m == method)
    problem = case.make(_NP, _NP.float64)
    for field in dataclasses.fields(cls.Options):
        for bad in _bad_values(field):
            if bad is None and field.default is None:
                continue
            with pytest.raises((ValueError, TypeError)) as info:
                optkit.solve(problem, method=method, **{field.name: bad})
            assert _names(info.value, field.name), (field.name, bad, info.value)


@pytest.mark.parametrize("case,method", [pytest.param(c, m, id=f"{m}-{c.name}") for c, m in PAIRS])
def test_bad_starting_points_are_refused_by_name(case, method):
    problem = case.make(_NP, _NP.float64)
    for bad in ("x0", {"a": 1}, np.full(3, np.nan), np.zeros((2, 2, 2, 2, 2)), [[1.0, 2.0], [3.0]]):
        with pytest.raises((ValueError, TypeError)) as info:
            optkit.solve(problem, method=method, x0=bad, max_iter=5)
        assert "x0" in str(info.value), (bad, info.value)


@pytest.mark.parametrize("bad", [dict(verbose="yes"), dict(callback=3), dict(backend="torchy"), dict(method=3)])
def test_bad_solve_arguments_are_refused_by_name(bad):
    problem = CASES[0].make(_NP, _NP.float64)
    name = next(iter(bad))
    with pytest.raises((ValueError, TypeError), match=name):
        optkit.solve(problem, **bad)
