"""Pages generated from the code: the family pages' table of contents, the API reference and
the per-method option tables.

``generate(srcdir)`` writes them into ``docs/generated/`` (ignored by git) when ``conf.py``
is read, before Sphinx looks for sources, so autosummary sees the API page. Everything is
discovered from :data:`optkit._families.FAMILIES`, the families' ``__all__`` and the
registry; a family joins the site by adding ``docs/<key>.md`` and ``examples/<key>/``.
The Sphinx extension part (``setup``) reports what a family is missing as build warnings,
which ``-W`` turns into errors.
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from optkit import catalog
from optkit._families import FAMILIES

__all__ = ["generate", "api_page", "options_page", "families_page", "api_sections", "family_order", "setup"]

GENERATED = "generated"

#: The API reference's sections that are not per family: (title, intro, [(module, names)]).
CORE_SECTIONS: list[tuple[str, str, list[tuple[str, list[str] | None]]]] = [
    ("Solving and results", "The entry point, its result, and the tools around it.",
     [("optkit", None)]),
    ("Checking against CVXPY", "", [("optkit.validate", ["Report", "reference_solve"])]),
    ("Writing a problem or a method",
     "The protocols a family implements (see :doc:`/design`).",
     [("optkit.problems", ["Problem"]), ("optkit.solvers", ["Solver", "Options", "Check", "Snapshot", "Ahead"]),
      ("optkit.solvers.base", None)]),
    ("Building blocks", "Convex functions with value, gradient and/or prox, and their CVXPY forms.",
     [("optkit.functions", None), ("optkit.functions.base", None)]),
    ("Plotting", "Needs matplotlib (the ``plot`` extra).", [("optkit.plotting", None)]),
    ("Array backends", "Namespace helpers over ``array_api_compat``.", [("optkit.backend", None)]),
    ("The catalogue", "The registry as tables (``python -m optkit methods``, the README, these pages).",
     [("optkit.catalog", None)]),
]

#: Per-family sections: (layer, title).
FAMILY_LAYERS = [("problems", "Problems"), ("solvers", "Methods"), ("datasets", "Datasets")]

#: Implementation layers, documented by their modules' docstrings, not in the API reference.
INTERNAL = ("optkit.kernels", "optkit.linalg", "optkit.solvers.momentum", "optkit.cli")


def public_modules() -> list[str]:
    """Modules whose ``__all__`` is public API: not private, not an implementation layer
    (:data:`INTERNAL`) and not below a family's package (whose ``__init__`` re-exports what is
    public). A public module that no section above names gets a section of its own, so a new
    module (a family's operators, say) joins the reference by itself."""
    import pkgutil  # noqa: PLC0415

    import optkit  # noqa: PLC0415

    out = []
    for info in pkgutil.walk_packages(optkit.__path__, "optkit."):
        parts = info.name.split(".")
        if (any(p.startswith("_") for p in parts) or info.name.startswith(INTERNAL)
                or (len(parts) > 3 and parts[2] in FAMILIES)):
            continue
        if getattr(importlib.import_module(info.name), "__all__", None):
            out.append(info.name)
    return sorted(out)


def _public(module_name: str, names: list[str] | None) -> list[str]:
    """``module_name.name`` for the given names, or for the module's ``__all__`` (modules left out)."""
    module = importlib.import_module(module_name)
    chosen = module.__all__ if names is None else names
    return [f"{module_name}.{n}" for n in chosen if not _is_module(getattr(module, n))]


def _is_module(obj: Any) -> bool:
    return type(obj).__name__ == "module"


def _family_names(layer: str, key: str) -> list[str]:
    """A family's public names in one layer, under their re-exported path (``optkit.problems.Lasso``)."""
    spec = importlib.util.find_spec(f"optkit.{layer}.{key}")
    if spec is None:
        return []
    module = importlib.import_module(f"optkit.{layer}.{key}")
    return [f"optkit.{layer}.{n}" for n in module.__all__]


def api_sections() -> list[tuple[str, str, list[str]]]:
    """``(title, intro, qualified names)`` of every API section, the families' ones in
    ``FAMILIES`` order. An object listed once (under its first, shortest public path) is not
    listed again: two pages for one object would be a duplicate description."""
    seen: set[int] = set()

    def first(names: list[str]) -> list[str]:
        out = []
        for name in names:
            module, _, attr = name.rpartition(".")
            key = id(getattr(importlib.import_module(module), attr))
            if key not in seen:
                seen.add(key)
                out.append(name)
        return out

    out = [(title, intro, first([n for module, names in parts for n in _public(module, names)]))
           for title, intro, parts in CORE_SECTIONS]
    # family modules come below, under their families: mark their objects as seen only afterwards
    family_ids = {id(_resolve(n)) for key in FAMILIES for layer, _ in FAMILY_LAYERS for n in _family_names(layer, key)}
    for module in public_modules():
        names = [n for n in _public(module, None) if id(_resolve(n)) not in family_ids]
        names = first(names)
        if names:
            doc = (importlib.import_module(module).__doc__ or "").strip().split("\n\n")[0]
            out.append((f"``{module}``", " ".join(doc.split()), names))
    for key in FAMILIES:
        for layer, title in FAMILY_LAYERS:
            names = first(_family_names(layer, key))
            if names:
                out.append((f"{key}: {title.lower()}", f"See :doc:`/{key}`." if layer == "problems" else "", names))
    return out


def _resolve(qualified: str) -> Any:
    module, _, attr = qualified.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def _autosummary(names: list[str]) -> list[str]:
    return ["", ".. autosummary::", "   :toctree: api", "   :nosignatures:", ""] + [f"   {n}" for n in names] + [""]


def _heading(text: str, char: str) -> list[str]:
    return [text, char * len(text)]


def api_page() -> str:
    """The API reference: one autosummary table per section (stub pages in ``generated/api``)."""
    lines = _heading("API reference", "=") + [
        "", "Every public name of optkit, generated from the packages' ``__all__``: the core, then each",
        "family's problems, methods (the solver classes; their options are in :doc:`options`) and data sets.",
        ""]
    family_started = False
    for title, intro, names in api_sections():
        if ":" in title and not family_started:
            lines += _heading("Families", "-") + [""]
            family_started = True
        lines += _heading(title, "~" if family_started else "-")
        lines += ["", intro] if intro else []
        lines += _autosummary(names)
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """Plain text safe in reStructuredText (no markup characters left active)."""
    for ch in "\\*`|_[]":
        text = text.replace(ch, "\\" + ch)
    return text


def domain_text(domain: Any) -> str:
    """How the option tables show a domain (``show_options`` prints the same values)."""
    if domain is None:
        return ""
    if isinstance(domain, (set, frozenset, tuple)):
        return "one of " + ", ".join(f"``{v!r}``" for v in sorted(domain, key=repr))
    return f"``{domain}``"


def option_rows(solver: type) -> list[tuple[str, str, str, str]]:
    """``(option, default, admissible values, meaning)`` as the option table shows them (reST)."""
    return [(f"``{o.name}``", f"``{o.default!r}``", domain_text(o.domain), _escape(o.doc))
            for o in solver.Options.describe()]


def options_page() -> str:
    """Per family, per method: its summary, aliases and the table of its options."""
    lines = _heading("Method options", "=") + [
        "", "Generated from each method's ``Options`` (:meth:`optkit.solvers.Options.describe`), the data",
        ":func:`optkit.show_options` prints; pass any of them to :func:`optkit.solve` as keywords.",
        "``None`` is admissible wherever it is the default; a ``bool`` option takes ``True`` or ``False``.", ""]
    for key in FAMILIES:
        infos = catalog.method_catalog(key)
        if not infos:
            continue
        lines += _heading(key, "-") + ["", f"Methods of :doc:`/{key}`.", ""]
        for info in infos:
            cls = info.solver
            lines += [f".. _options-{info.name}:", ""] + _heading(f"``{info.name}``", "~") + [""]
            lines += [info.summary, ""]
            facts = [f"Solver class: :class:`optkit.solvers.{cls.__name__}`."]
            if info.aliases:
                facts.append("Aliases: " + ", ".join(f"``{a}``" for a in info.aliases) + ".")
            if info.problems:
                facts.append("Problems: " + ", ".join(f":class:`~optkit.problems.{p.__name__}`"
                                                      for p in info.problems) + ".")
            lines += [" ".join(facts), "", ".. list-table::", "   :header-rows: 1", "   :widths: 16 12 20 52", "",
                      "   * - option", "     - default", "     - admissible values", "     - meaning"]
            for row in option_rows(cls):
                lines += [f"   * - {row[0]}"] + [f"     - {cell}" for cell in row[1:]]
            lines.append("")
    return "\n".join(lines) + "\n"


def families_page(srcdir: Path) -> str:
    """The families' overview table and the toctree of their pages (``docs/<key>.md``)."""
    lines = _heading("Problem families", "=") + [
        "", "One page per family: the problems' mathematics, each method's idea and source paper, when to",
        "pick which (from the measured benchmarks) and known limitations. The examples are in the",
        ":doc:`gallery <gallery/index>`, the options of every method in :doc:`options`.", "",
        ".. list-table::", "   :header-rows: 1", "   :widths: 14 43 43", "",
        "   * - family", "     - problems", "     - methods"]
    pages = [key for key in FAMILIES if (srcdir / f"{key}.md").exists()]
    for key in pages:
        problems = ", ".join(f":class:`~optkit.problems.{p.__name__}`" for p in catalog.problem_classes(key))
        methods = ", ".join(f":ref:`{m.name} <options-{m.name}>`" for m in catalog.method_catalog(key))
        lines += [f"   * - :doc:`{key} </{key}>`", f"     - {problems or '-'}", f"     - {methods or '-'}"]
    lines += ["", ".. toctree::", "   :maxdepth: 2", "   :hidden:", ""] + [f"   /{key}" for key in pages]
    return "\n".join(lines) + "\n"


def missing_parts(srcdir: Path) -> list[str]:
    """What a family in ``FAMILIES`` lacks for the site, one sentence each naming the file and the
    fix: its page, its gallery examples, its gallery folder's header; and a script of a family's
    folder that is not in the gallery's format (the gallery would show it without running it,
    and the example test would not run it)."""
    examples = srcdir.parent / "examples"
    out = []
    for key in FAMILIES:
        if not (srcdir / f"{key}.md").exists():
            out.append(f"family {key!r} has no page docs/{key}.md (see 'Documenting a family' in docs/design.md)")
        folder = examples / key
        if not folder.is_dir() or not any(folder.glob("plot_*.py")):
            out.append(f"family {key!r} has no gallery examples examples/{key}/plot_*.py "
                       "(see 'Documenting a family' in docs/design.md)")
        elif not (folder / "README.txt").exists():
            out.append(f"examples/{key}/ has no README.txt: sphinx-gallery would leave the family out")
        for script in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            if not script.name.startswith(("plot_", "_")):
                out.append(f"examples/{key}/{script.name} is not a gallery example: rename it plot_{script.name} "
                           "in the gallery format (a reST title in its docstring, # %% cells, --full)")
    return out


def generate(srcdir: str | Path) -> None:
    """Write the generated pages into ``<srcdir>/generated`` (only files whose text changed)."""
    out = Path(srcdir) / GENERATED
    out.mkdir(exist_ok=True)
    pages = {"api.rst": api_page(), "options.rst": options_page(), "families.rst": families_page(Path(srcdir))}
    for name, text in pages.items():
        path = out / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    # autosummary writes a stub per listed name and never removes one: a renamed or removed
    # public name would leave a page outside every toctree (a warning, hence an error)
    listed = {name for _, _, names in api_sections() for name in names}
    for stub in (out / "api").glob("*.rst"):
        if stub.stem not in listed:
            stub.unlink()


def family_order(path: str) -> tuple[int, str]:
    """sphinx-gallery's ``subsection_order``: family folders in ``FAMILIES`` order, others after."""
    name = Path(path).name
    return (FAMILIES.index(name) if name in FAMILIES else len(FAMILIES), name)


def _warn_missing(app: Any) -> None:
    from sphinx.util import logging  # noqa: PLC0415

    log = logging.getLogger(__name__)
    for problem in missing_parts(Path(app.srcdir)):
        log.warning(problem)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _warn_missing)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

