"""``python -m benchmarks [--quick] [family ...]``: run every family's benchmark in turn,
then rebuild ``benchmarks/results/README.md``.

A family is a module ``benchmarks/<family>.py`` with a ``main(argv)`` function.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def families() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> None:
    quick = [a for a in argv if a == "--quick"]
    chosen = [a for a in argv if not a.startswith("-")] or families()
    unknown = sorted(set(chosen) - set(families()))
    if unknown:
        raise SystemExit(f"unknown benchmark families {unknown}; available: {families()}")
    for name in chosen:
        print(f"\n=== benchmarks.{name} ===", flush=True)
        importlib.import_module(f"benchmarks.{name}").main(quick)
    from . import _report  # noqa: PLC0415

    _report.main([])


if __name__ == "__main__":
    main(sys.argv[1:])
