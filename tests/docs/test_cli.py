"""python -m optkit: methods, show-options, demo and bench."""
from __future__ import annotations

import pytest

from optkit import catalog, cli
from optkit._families import FAMILIES
from optkit.problems import Lasso
from optkit._registry import all_methods


def test_methods_lists_every_method_by_family(capsys):
    cli.main(["methods"])
    out = capsys.readouterr().out
    for info in catalog.method_catalog():
        assert f"  {info.name}" in out
    assert out.index("composite") < out.index("  alm")


def test_methods_of_one_problem_default_first(capsys):
    cli.main(["methods", "Lasso"])
    out = capsys.readouterr().out.splitlines()
    count = sum(Lasso in info.problems for info in catalog.method_catalog())
    assert count >= 3 and out[0] == f"Lasso: {count} methods (default first)"
    assert out[1] == "optimality measure (tol): relative duality gap"
    assert out[2].startswith(f"  {Lasso.default_method} ")
    with pytest.raises(SystemExit, match="unknown problem 'Lass'.*Lasso"):
        cli.main(["methods", "Lass"])


def test_methods_markdown_is_the_readme_table(capsys):
    cli.main(["methods", "--markdown"])
    assert capsys.readouterr().out.strip() == catalog.methods_markdown()


def test_show_options(capsys):
    cli.main(["show-options", "falm"])
    out = capsys.readouterr().out
    assert out.startswith("fast_alm: ") and "skip_probe = 5" in out
    with pytest.raises(SystemExit, match="unknown method 'nope'"):
        cli.main(["show-options", "nope"])


def test_bench_runs_the_benchmark_entry_point(monkeypatch):
    import benchmarks.__main__ as bench  # noqa: PLC0415  (the checkout's benchmarks)

    calls = []
    monkeypatch.setattr(bench, "main", calls.append)
    cli.main(["bench", "composite", "--quick"])
    cli.main(["bench"])
    assert calls == [["composite", "--quick"], []]


def test_catalog_covers_the_registry():
    assert sorted(info.name for info in catalog.method_catalog()) == sorted(all_methods())
    for info in catalog.method_catalog():
        assert info.problems, f"{info.name} applies to no public problem class (set problem_types)"
        assert info.summary and not info.summary.endswith(":"), info.name


def test_every_public_class_belongs_to_its_family():
    for key in FAMILIES:
        for problem in catalog.problem_classes(key):
            assert catalog.family_of(problem) == key, problem
    for info in catalog.method_catalog():
        assert catalog.family_of(info.solver) == info.family
    assert catalog.family_of(catalog.MethodInfo) == ""


def test_plain_turns_roles_into_code_spans():
    assert catalog.plain("for :class:`~optkit.problems.Lasso` and ``x``") == "for `Lasso` and `x`"
    assert catalog.plain(":math:`\\lambda \\|x\\|_1`") == "`\\lambda \\|x\\|_1`"
    assert catalog.plain(":func:`optkit.solve`") == "`optkit.solve`"
