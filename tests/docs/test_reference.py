"""The generated pages: every public name in the API reference, option tables equal to
show_options, every family's page in the table of contents."""
from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import re
from pathlib import Path

import optkit
from optkit import catalog
from optkit._families import FAMILIES
from optkit._registry import all_methods

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Implementation layers, documented by their modules' docstrings, not in the API reference.
INTERNAL = ("optkit.kernels", "optkit.linalg", "optkit.solvers.momentum", "optkit.cli")


def _public(module: str) -> bool:
    """A module whose ``__all__`` is public API: not private, not an implementation layer, and not
    below a family's package (``optkit.solvers.rpca.frank_wolfe``: the family's ``__init__``
    re-exports what is public)."""
    parts = module.split(".")
    return (not any(p.startswith("_") for p in parts) and not module.startswith(INTERNAL)
            and not (len(parts) > 3 and parts[2] in FAMILIES))


def _public_objects() -> dict[int, str]:
    """id -> a qualified name, for every object in the ``__all__`` of a public optkit module."""
    out = {}
    names = [m.name for m in pkgutil.walk_packages(optkit.__path__, "optkit.")]
    for name in ["optkit", *names]:
        if not _public(name):
            continue
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            obj = getattr(module, attr)
            if not inspect.ismodule(obj):
                out.setdefault(id(obj), f"{name}.{attr}")
    return out


def _resolve(qualified: str):
    module, _, attr = qualified.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def test_api_reference_lists_every_public_name(optkit_docs):
    listed = {id(_resolve(n)) for _, _, names in optkit_docs.api_sections() for n in names}
    missing = sorted(name for key, name in _public_objects().items() if key not in listed)
    assert not missing, f"public names missing from the API reference: {missing}"


def test_api_page_has_every_section_once(optkit_docs):
    page = optkit_docs.api_page()
    names = [n for _, _, ns in optkit_docs.api_sections() for n in ns]
    assert len(names) == len(set(names))
    for name in names:
        assert f"   {name}\n" in page
    for key in FAMILIES:
        assert f"{key}: problems" in page or not catalog.problem_classes(key)


def _show_options_rows(method: str) -> list[tuple[str, str, str, str]]:
    """(name, default repr, domain text, meaning) parsed from what show_options prints."""
    lines = optkit.show_options(method, file=io.StringIO()).splitlines()
    rows = []
    for head, meaning in zip(lines[1:], lines[2:]):
        m = re.fullmatch(r"  (\w+) = (.*?)(?: \((?:one of (\[.*\])|domain: (.*))\))?", head)
        if m and meaning.startswith("      "):
            choices, domain = m.group(3), m.group(4)
            rows.append((m.group(1), m.group(2), choices or domain or "", meaning.strip()))
    return rows


def _table_rows(page: str, method: str) -> list[tuple[str, str, str, str]]:
    """The rows of ``method``'s list-table in the options page, markup removed."""
    section = page.split(f".. _options-{method}:")[1].split(".. _options-")[0]
    cells = re.findall(r"^   \* - (.*)\n     - (.*)\n     - (.*)\n     - (.*)$", section, re.M)

    def text(cell: str) -> str:
        return re.sub(r"\\(.)", r"\1", cell.replace("``", ""))

    def domain(cell: str) -> str:
        if cell.startswith("one of "):
            return "[" + ", ".join(v.strip("`") for v in cell[len("one of "):].split(", ")) + "]"
        return text(cell)

    return [(text(a), text(b), domain(c), text(d)) for a, b, c, d in cells[1:]]  # skip the header


def test_option_tables_match_show_options(optkit_docs):
    page = optkit_docs.options_page()
    for name, cls in all_methods().items():
        expected = _show_options_rows(name)
        assert len(expected) == len(cls.Options.describe()), name
        assert _table_rows(page, name) == expected, f"the option table of {name} differs from show_options"


def test_families_page_lists_every_family_with_a_page(optkit_docs, tmp_path):
    for key in FAMILIES[:2]:
        (tmp_path / f"{key}.md").write_text("# page\n")
    page = optkit_docs.families_page(tmp_path)
    assert [line.strip() for line in page.splitlines() if line.startswith("   /")] == [f"/{k}" for k in FAMILIES[:2]]
    assert any(f"options-{m.name}" in page for m in catalog.method_catalog(FAMILIES[0]))


def test_missing_family_parts_are_reported(optkit_docs, tmp_path):
    docs, examples = tmp_path / "docs", tmp_path / "examples"
    docs.mkdir()
    key = FAMILIES[0]
    (examples / key).mkdir(parents=True)
    (examples / key / "plot_demo.py").write_text("")
    missing = optkit_docs.missing_parts(docs)
    assert sum("no page" in p for p in missing) == len(FAMILIES)
    assert f"examples/{key}/ has no README.txt: sphinx-gallery would leave the family out" in missing
    assert sum("no gallery examples" in p for p in missing) == len(FAMILIES) - 1


def test_stray_scripts_are_reported(optkit_docs, tmp_path):
    docs, folder = tmp_path / "docs", tmp_path / "examples" / FAMILIES[0]
    docs.mkdir()
    folder.mkdir(parents=True)
    for name in ("plot_demo.py", "_helpers.py", "old_script.py"):
        (folder / name).write_text("")
    strays = [p for p in optkit_docs.missing_parts(docs) if "is not a gallery example" in p]
    assert strays == [f"examples/{FAMILIES[0]}/old_script.py is not a gallery example: rename it "
                      "plot_old_script.py in the gallery format (a reST title in its docstring, # %% cells, --full)"]


def test_every_family_has_its_page_and_examples(optkit_docs):
    """A family in FAMILIES without docs/<key>.md or examples/<key>/plot_*.py fails here, in
    make test, as it fails make docs."""
    missing = optkit_docs.missing_parts(DOCS)
    assert not missing, "the documentation misses:\n  " + "\n  ".join(missing)


def test_gallery_sections_follow_the_families(optkit_docs):
    order = sorted(["../examples/zz", *(f"../examples/{k}" for k in reversed(FAMILIES))], key=optkit_docs.family_order)
    assert order == [*(f"../examples/{k}" for k in FAMILIES), "../examples/zz"]
