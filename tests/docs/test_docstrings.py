"""The Examples sections of optkit's docstrings run (doctest), at their small sizes."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import optkit

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[str]:
    names = ["optkit"] + [m.name for m in pkgutil.walk_packages(optkit.__path__, "optkit.")]
    return [n for n in names if not n.endswith("__main__")]  # importing it runs the CLI


def _doctests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = []
    for name in _modules():
        module = importlib.import_module(name)
        tests += [t for t in finder.find(module, name) if t.examples]
    return sorted(tests, key=lambda t: t.name)


DOCTESTS = _doctests()


def test_the_public_api_has_examples():
    names = {t.name for t in DOCTESTS}
    for name in ("optkit._solve.solve", "optkit._solve.methods", "optkit._solve.show_options",
                 "optkit.validate.validate", "optkit._compare.compare", "optkit._result.Result",
                 "optkit._result.Status", "optkit._result.Result.plot", "optkit.problems.composite.Lasso"):
        assert name in names, f"{name} has no Examples section"


@pytest.mark.parametrize("test", DOCTESTS, ids=lambda t: t.name)
def test_docstring_examples(test):
    if "plot" in test.name or "matplotlib" in "".join(e.source for e in test.examples):
        pytest.importorskip("matplotlib")
    if "validate" in "".join(e.source for e in test.examples):
        pytest.importorskip("cvxpy")
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    result = runner.run(test, out=report.append, clear_globs=True)
    assert result.failed == 0, "".join(report)
