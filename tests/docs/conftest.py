"""Fixtures of the documentation tests: matplotlib without a display, the docs extension importable."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.fixture(autouse=True)
def _agg_backend(monkeypatch):
    """Figures drawn by examples and docstrings go nowhere and are closed afterwards."""
    try:
        import matplotlib  # noqa: PLC0415
    except ImportError:
        yield
        return
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # noqa: PLC0415

    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def optkit_docs():
    """The Sphinx extension that generates the API, option and family pages (docs/_ext)."""
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import optkit_docs  # noqa: PLC0415
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    return optkit_docs
