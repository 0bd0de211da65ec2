"""Every gallery example runs as a plain script at its small size."""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*/plot_*.py"))
# packages of the `bench` extra the examples use; without them an example is skipped, not failed
OPTIONAL = {"matplotlib", "sklearn", "skimage", "tensorly", "ot", "cvxpy"}


def test_there_are_examples():
    assert EXAMPLES, "no examples/<family>/plot_*.py found"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_example_runs_at_its_small_size(path, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "argv", [str(path)])
    monkeypatch.delenv("OPTKIT_EXAMPLES_FULL", raising=False)
    monkeypatch.chdir(tmp_path)  # anything an example writes stays out of the checkout
    try:
        runpy.run_path(str(path), run_name="__main__")
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in OPTIONAL:
            pytest.skip(f"{path.name} needs {exc.name} (the bench extra)")
        raise


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_example_has_a_gallery_header_and_a_full_size(path):
    text = path.read_text()
    doc = text.split('"""')[1].strip().splitlines()
    assert len(doc) > 2 and set(doc[1]) == {"="} and len(doc[1]) >= len(doc[0]), \
        f"{path.name}: the docstring must open with a reST title (sphinx-gallery)"
    assert "OPTKIT_EXAMPLES_FULL" in text and "--full" in text, f"{path.name}: no full-size switch"
    assert (path.parent / "README.txt").exists(), f"examples/{path.parent.name}/README.txt is missing"
