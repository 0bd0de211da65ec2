"""Numpydoc sections of the public docstrings in line with the house style: the core API and every
family of FAMILIES (a family joins the checks with its key; NOT_YET_IN_LINE lists a family merged
before its docstrings are, a visible debt)."""
from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect

import pytest

from optkit._families import FAMILIES

validate = pytest.importorskip("numpydoc.validate").validate

#: Families merged before their docstrings pass the checks below (empty once every family does).
NOT_YET_IN_LINE: tuple[str, ...] = ()
#: Families whose public docstrings are held to the standard below.
FAMILIES_IN_LINE = tuple(key for key in FAMILIES if key not in NOT_YET_IN_LINE)

#: Modules whose ``__all__`` users call directly: every check, an Examples section included.
USER_FACING = ["optkit", "optkit.problems.base", "optkit.functions"]
#: Modules for writers of problems, methods and tools: every check but Examples.
TOOLING = ["optkit.solvers.base", "optkit.validate", "optkit.plotting", "optkit.catalog", "optkit.functions.base"]

#: The checks (numpydoc codes): a docstring with a summary; every parameter documented, none unknown,
#: each with a description; a Returns section for functions; an Examples section.
CHECKS = {"GL08", "SS01", "PR01", "PR02", "PR07", "RT01", "EX01"}

#: Classes built by optkit, not by users, whose fields are documented as Attributes (or in the
#: option tables); numpydoc's PR01 reads the generated __init__ signature.
FIELDS_AS_ATTRIBUTES = {"optkit.Result", "optkit.Status", "optkit.Comparison", "optkit.solvers.base.Options",
                        "optkit.solvers.base.Check", "optkit.solvers.base.Snapshot",
                        "optkit.solvers.base.OptionInfo", "optkit.validate.Report", "optkit.catalog.MethodInfo"}


def _public(module_name: str) -> list[str]:
    """The functions and classes of a module's ``__all__`` (data such as a tuple of problem numbers
    carries its type's docstring, not its own)."""
    module = importlib.import_module(module_name)
    return [f"{module_name}.{n}" for n in module.__all__
            if not inspect.ismodule(getattr(module, n)) and callable(getattr(module, n))]


def _family_modules() -> list[str]:
    """The family modules of each layer that exist (a family may have no data sets)."""
    names = [f"optkit.{layer}.{key}" for key in FAMILIES_IN_LINE for layer in ("problems", "solvers", "datasets")]
    return [name for name in names if importlib.util.find_spec(name) is not None]


NAMES = {name: True for m in USER_FACING + _family_modules() for name in _public(m)}
NAMES.update({name: False for m in TOOLING for name in _public(m) if name not in NAMES})


@pytest.mark.parametrize("name", sorted(NAMES), ids=str)
def test_numpydoc_sections(name):
    checks = CHECKS if NAMES[name] else CHECKS - {"EX01"}
    errors = [(code, message) for code, message in validate(name)["errors"] if code in checks]
    if name in FIELDS_AS_ATTRIBUTES or _is_documented_dataclass(name):
        errors = [(c, m) for c, m in errors if c != "PR01"]
    assert not errors, f"{name}: {errors}"


def _is_documented_dataclass(name: str) -> bool:
    """A dataclass or a NamedTuple whose fields are documented as Attributes."""
    module, _, attr = name.rpartition(".")
    obj = getattr(importlib.import_module(module), attr, None)
    return (dataclasses.is_dataclass(obj) or _is_record(obj)) and "Attributes\n" in (obj.__doc__ or "")


def _is_record(obj: object) -> bool:
    """A NamedTuple class: a container of results or starts, neither a problem nor a method."""
    return inspect.isclass(obj) and issubclass(obj, tuple) and hasattr(obj, "_fields")


@pytest.mark.parametrize("name", [n for m in _family_modules() if ".datasets." not in m for n in _public(m)], ids=str)
def test_problems_and_methods_cite_their_papers(name):
    module, _, attr = name.rpartition(".")
    obj = getattr(importlib.import_module(module), attr)
    if inspect.isclass(obj) and not _is_record(obj):
        assert "References\n" in (obj.__doc__ or ""), f"{name} cites no paper (a References section)"
