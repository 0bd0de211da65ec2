"""Sphinx configuration of the optkit documentation (``make docs``).

Pages generated from the code (API reference, option tables, the families' table of
contents) are written into ``generated/`` by ``_ext/optkit_docs.py`` when this file is read;
the example gallery is built by sphinx-gallery from ``../examples`` into
``generated/gallery``. Both folders are ignored by git.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This checkout's optkit, whatever is installed; and the local extension.
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import optkit  # noqa: E402
import optkit_docs  # noqa: E402

optkit_docs.generate(HERE)

project = "optkit"
author = "the optkit developers"
copyright = "the optkit developers, BSD-3-Clause"  # noqa: A001
release = version = optkit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "optkit_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "generated/gallery/**/*.ipynb", "generated/gallery/**/*.py",
                    "generated/gallery/**/*.zip", "generated/gallery/**/*.json"]
templates_path = ["_templates"]

# API reference
autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "bysource"
# members with a docstring; a solver's Options class has its own page (and its table in options)
autodoc_default_options = {"members": True, "show-inheritance": True, "exclude-members": "Options"}
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
default_role = "code"

# Markdown pages (the family pages, the benchmark results)
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# The family pages were written as plain Markdown, where a section may skip a heading level
# (a "###" under the "#" title); that renders correctly and is not worth failing the build for.
suppress_warnings = ["myst.header"]

# Example gallery: every examples/<family>/plot_*.py, run at its small size
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "generated/gallery",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|/_",
    "subsection_order": "optkit_docs.family_order",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "write_computation_times": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"optkit {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []
