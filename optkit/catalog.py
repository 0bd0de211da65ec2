"""The registry as tables: methods by family and problem class, and their options.

One source for ``python -m optkit methods``, the README's method table and the
documentation's method and option pages, so none of them can drift from the code:

- a method's row comes from its solver class: the registered name and aliases, the first
  line of its docstring, its family (the key in its module path) and the problem classes
  it applies to (``problem_types``);
- a problem class states its optimality measure in one phrase, ``optimality_measure``;
- a method's options are :meth:`optkit.solvers.Options.describe`, as ``show_options`` prints.

``python -m optkit.catalog --readme README.md`` rewrites the README's method table in place.
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.util
import inspect
import re
from pathlib import Path
from typing import Any, NamedTuple

from ._families import FAMILIES
from ._registry import all_methods

__all__ = ["MethodInfo", "family_of", "problem_classes", "method_catalog", "methods_markdown",
           "readme_block", "update_readme", "plain"]

README_BEGIN = ("<!-- BEGIN methods table: generated from the registry by "
                "`python -m optkit.catalog --readme README.md`; do not edit by hand -->")
README_END = "<!-- END methods table -->"


class MethodInfo(NamedTuple):
    """A registered method as the catalogue lists it."""

    name: str
    aliases: tuple[str, ...]
    family: str
    solver: type
    problems: tuple[type, ...]
    defaults: tuple[type, ...]
    summary: str


def family_of(obj: Any) -> str:
    """The family key of a class or function.

    Parameters
    ----------
    obj : class or function
        Defined in ``optkit.<layer>.<key>`` or below, or exported by such a module's
        ``__all__`` (a family may define problems in helper modules and re-export them).

    Returns
    -------
    str
        ``key`` when it is in ``FAMILIES``, else ``""`` (core objects).
    """
    parts = getattr(obj, "__module__", "").split(".")
    if len(parts) > 2 and parts[2] in FAMILIES:
        return parts[2]
    for key in FAMILIES:
        for layer in ("problems", "solvers", "datasets"):
            module = _family_module(layer, key) if len(parts) > 1 and parts[1] == layer else None
            if module is not None and any(getattr(module, n) is obj for n in module.__all__):
                return key
    return ""


def _family_module(layer: str, key: str) -> Any:
    name = f"optkit.{layer}.{key}"
    return importlib.import_module(name) if importlib.util.find_spec(name) is not None else None


def problem_classes(family: str | None = None) -> list[type]:
    """The public problem classes (concrete dataclasses) of every family, or of one.

    Parameters
    ----------
    family : str, optional
        A family key; default all families.

    Returns
    -------
    list of type
        In ``FAMILIES`` order, then each family's ``__all__`` order.
    """
    from .problems.base import Problem  # noqa: PLC0415

    out = []
    for key in FAMILIES if family is None else (family,):
        module = _family_module("problems", key)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, Problem) and dataclasses.is_dataclass(obj):
                out.append(obj)
    return out


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


def method_catalog(family: str | None = None) -> list[MethodInfo]:
    """Every registered method, or one family's, as the catalogue lists it.

    Parameters
    ----------
    family : str, optional
        A family key; default all families.

    Returns
    -------
    list of MethodInfo
        By family in ``FAMILIES`` order, within a family in the order of its
        ``optkit.solvers.<key>.__all__``. A method applies to the public problem
        classes (of any family) that subclass its ``problem_types``.
    """
    registered = {cls: name for name, cls in all_methods().items()}
    out = []
    for key in FAMILIES if family is None else (family,):
        module = _family_module("solvers", key)
        problems = problem_classes(key) if module is not None else []
        others = [p for p in problem_classes() if p not in problems]
        for attr in getattr(module, "__all__", ()):
            cls = getattr(module, attr)
            if cls not in registered:
                continue
            types = tuple(getattr(cls, "problem_types", ()))
            applies = tuple(p for p in [*problems, *others] if types and issubclass(p, types))
            defaults = tuple(p for p in applies if getattr(p, "default_method", None) == registered[cls])
            out.append(MethodInfo(registered[cls], tuple(cls.aliases), key, cls, applies, defaults, _summary(cls)))
    return out


_ROLE = re.compile(r":(class|func|meth|attr|mod|obj|data|math):`(~?)([^`]*)`")


def plain(text: str) -> str:
    """reStructuredText roles and double-backquote literals as Markdown code spans.

    A cross-reference role keeps its target (only the last dotted component after a
    ``~``, as Sphinx shows it), a math role keeps its TeX, and every span is wrapped
    in single backquotes.

    Parameters
    ----------
    text : str
        A docstring line.

    Returns
    -------
    str
    """

    def code(match: re.Match) -> str:
        role, tilde, target = match.groups()
        return f"`{target.rsplit('.', 1)[-1] if tilde and role != 'math' else target}`"

    return _ROLE.sub(code, text).replace("``", "`")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _default(problem: type) -> str:
    default = getattr(problem, "default_method", "")
    return f"`{default}`" if isinstance(default, str) and default else "chosen per instance"


def methods_markdown() -> str:
    """The README's tables in Markdown.

    Returns
    -------
    str
        A table with one row per public problem class (summary, optimality measure,
        default method), a blank line, and a table with one row per registered method
        (aliases, problem classes, summary).
    """
    lines = ["| family | problem | what it is | optimality measure (`tol`) | default method |",
             "|---|---|---|---|---|"]
    for key in FAMILIES:
        for p in problem_classes(key):
            measure = getattr(p, "optimality_measure", "") or f"see `docs/{key}.md`"
            lines.append(f"| {key} | `{p.__name__}` | {_cell(plain(_summary(p)))} | {_cell(plain(measure))} | "
                         f"{_default(p)} |")
    lines += ["", "| family | method (aliases) | problems (default for *) | what it is |", "|---|---|---|---|"]
    for info in method_catalog():
        name = f"`{info.name}`" + (f" ({', '.join(f'`{a}`' for a in info.aliases)})" if info.aliases else "")
        problems = ", ".join(f"`{p.__name__}`" + ("*" if p in info.defaults else "") for p in info.problems)
        lines.append(f"| {info.family} | {name} | {problems or '-'} | {_cell(plain(info.summary))} |")
    return "\n".join(lines)


def _block_span(text: str) -> tuple[int, int]:
    try:
        start = text.index(README_BEGIN) + len(README_BEGIN)
        end = text.index(README_END, start)
    except ValueError:
        raise ValueError("README.md has no generated methods table (its BEGIN/END markers are missing)") from None
    return start, end


def readme_block(text: str) -> str:
    """The generated tables between the README's markers.

    Parameters
    ----------
    text : str
        The README's text.

    Returns
    -------
    str
        What lies between the markers, without the surrounding newlines.
    """
    start, end = _block_span(text)
    return text[start:end].strip("\n")


def update_readme(path: str | Path) -> bool:
    """Rewrite the generated tables of the README at ``path`` in place.

    Parameters
    ----------
    path : str or pathlib.Path
        The README; everything outside its markers is kept.

    Returns
    -------
    bool
        Whether the file changed.
    """
    path = Path(path)
    text = path.read_text()
    new = methods_markdown()
    if readme_block(text) == new:
        return False
    start, end = _block_span(text)
    path.write_text(text[:start] + "\n" + new + "\n" + text[end:])
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m optkit.catalog", description=__doc__.splitlines()[0])
    parser.add_argument("--readme", metavar="PATH", help="rewrite the method table of this README in place")
    args = parser.parse_args(argv)
    if args.readme:
        print(f"{args.readme}: {'updated' if update_readme(args.readme) else 'up to date'}")
    else:
        print(methods_markdown())


if __name__ == "__main__":
    main()
