"""The problem families optkit ships, by key.

A family joins by adding its own modules under each layer -- ``problems/<key>.py``,
``solvers/<key>/``, and where it has them ``kernels/<key>/`` and ``datasets/<key>.py`` -- plus
its tests, docs page, examples and benchmark under the same key, and its key in
:data:`FAMILIES`: the one line it writes outside its own files. The layers' ``__init__``
modules re-export each family module's ``__all__`` from this list; importing
``optkit.solvers`` registers every family's methods.
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import Any

__all__ = ["FAMILIES", "export"]

FAMILIES = ("composite", "rpca", "saddle", "splitting", "tensor", "transport", "nlp", "stochastic")


def export(namespace: dict[str, Any], package: str) -> list[str]:
    """Import ``<package>.<key>`` for every family that has one and copy its public names into
    ``namespace`` (a layer's ``globals()``); returns the names. Two families exporting one name
    is an error, not a silent shadowing."""
    names: list[str] = []
    for key in FAMILIES:
        if importlib.util.find_spec(f"{package}.{key}") is None:
            continue
        module = importlib.import_module(f"{package}.{key}")
        for name in module.__all__:
            value = getattr(module, name)
            if name in namespace and namespace[name] is not value:
                raise ImportError(f"{package}.{key} exports {name!r}, which another family already exports")
            namespace[name] = value
        names.extend(module.__all__)
    return names
