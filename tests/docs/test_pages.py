"""The code shown to users runs: Getting started, the README's ten lines; and the README's tables
are the registry's."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from optkit import catalog

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _run_blocks(path: Path) -> dict:
    blocks = FENCE.findall(path.read_text())
    assert blocks, f"{path.name} has no python code blocks"
    namespace: dict = {"__name__": "__docs__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for k, code in enumerate(blocks):
            exec(compile(code, f"{path.name}, python block {k + 1}", "exec"), namespace)  # noqa: S102
    return namespace


def test_getting_started_runs():
    pytest.importorskip("cvxpy")
    pytest.importorskip("matplotlib")
    ns = _run_blocks(ROOT / "docs" / "getting_started.md")
    assert ns["res"].success and ns["report"].objective_gap < 1e-6
    assert ns["res_strict"].backend == "array_api_strict"


def test_readme_ten_lines_run():
    pytest.importorskip("cvxpy")
    ns = _run_blocks(ROOT / "README.md")
    assert ns["result"].success


def test_readme_tables_are_the_registrys():
    text = (ROOT / "README.md").read_text()
    assert catalog.readme_block(text) == catalog.methods_markdown(), (
        "README.md's method tables are stale: run `python -m optkit.catalog --readme README.md`")


def test_update_readme_rewrites_only_the_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{catalog.README_BEGIN}\n| old |\n{catalog.README_END}\n\nafter\n")
    assert catalog.update_readme(readme)
    text = readme.read_text()
    assert text.startswith("# title\n") and text.endswith("\nafter\n")
    assert catalog.readme_block(text) == catalog.methods_markdown()
    assert not catalog.update_readme(readme)
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        catalog.update_readme(readme)


def test_every_registered_method_is_in_the_readme():
    from optkit._registry import all_methods  # noqa: PLC0415

    block = catalog.readme_block((ROOT / "README.md").read_text())
    for name in all_methods():
        assert f"| `{name}`" in block, name


def test_pages_name_existing_examples():
    """A page that points at an example script points at one that exists (examples get renamed)."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "results" / "README.md"]
    missing = sorted({f"{page.name}: {path}" for page in pages if page.exists()
                      for path in re.findall(r"examples/[\w/]+\.py", page.read_text()) if not (ROOT / path).exists()})
    assert not missing, f"pages name example scripts that do not exist: {missing}"


def test_table_rows_carry_no_citation_markers():
    """The first paragraph of a solver's or problem's docstring is its row in the tables (README,
    ``python -m optkit methods``): a numpydoc citation (``[1]_``) belongs in the body."""
    rows = [info.summary for info in catalog.method_catalog()]
    rows += [catalog._summary(cls) for cls in catalog.problem_classes()]
    assert not [row for row in rows if "]_" in row]
