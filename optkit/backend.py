"""Array-namespace helpers over :mod:`array_api_compat`.

Every solver takes its namespace ``xp`` from the problem's data and calls only
array-API functions on it, so the same code runs on NumPy, CuPy or any
compliant library (``array_api_strict`` in the tests). Nothing here holds global
state: the namespace always travels with the arrays.
"""
from __future__ import annotations

from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np

__all__ = [
    "get_namespace",
    "is_numpy",
    "is_cupy",
    "to_numpy",
    "asarray",
    "namespace_by_name",
    "backend_name",
    "inner",
    "is_floating",
]


def get_namespace(*arrays: Any) -> ModuleType:
    """Return the array-API namespace shared by ``arrays``.

    NumPy arrays give ``array_api_compat.numpy`` (NumPy wrapped to the
    standard), CuPy arrays ``array_api_compat.cupy``; any library that already
    follows the standard gives its own namespace. Python scalars and ``None``
    are ignored.

    Raises
    ------
    TypeError
        If the arrays come from different libraries or none is an array.
    """
    arrs = [a for a in arrays if a is not None and not isinstance(a, (int, float, complex, bool))]
    if not arrs:
        raise TypeError("get_namespace needs at least one array")
    try:
        return array_api_compat.array_namespace(*arrs)
    except TypeError as exc:
        raise TypeError(f"arrays come from different or unsupported array libraries: {exc}") from None


def is_numpy(xp: ModuleType) -> bool:
    """True when ``xp`` is (a wrapper of) NumPy, so Numba kernels can run on its arrays."""
    return array_api_compat.is_numpy_namespace(xp)


def is_cupy(xp: ModuleType) -> bool:
    """True when ``xp`` is (a wrapper of) CuPy."""
    return array_api_compat.is_cupy_namespace(xp)


def backend_name(xp: ModuleType) -> str:
    """Short name of a namespace: ``"numpy"``, ``"cupy"``, ``"array_api_strict"``, ..."""
    name = _NAMES.get(xp)  # (kept per namespace: every Result asks)
    if name is None:
        if is_numpy(xp):
            name = "numpy"
        elif is_cupy(xp):
            name = "cupy"
        else:
            name = xp.__name__.split(".")[-1] if xp.__name__.startswith("array_api_compat") else xp.__name__
        _NAMES[xp] = name
    return name


_NAMES: dict[ModuleType, str] = {}


def namespace_by_name(name: str) -> ModuleType:
    """Namespace for ``"numpy"``, ``"cupy"`` or ``"array_api_strict"``.

    Raises
    ------
    ValueError
        For an unknown backend name; ``ImportError`` if the library is absent.
    """
    if name == "numpy":
        return array_api_compat.array_namespace(np.zeros(0))
    if name == "cupy":
        import cupy  # noqa: PLC0415  (optional dependency)

        return array_api_compat.array_namespace(cupy.zeros(0))
    if name == "array_api_strict":
        import array_api_strict  # noqa: PLC0415

        return array_api_strict
    raise ValueError(f"backend must be one of 'numpy', 'cupy', 'array_api_strict'; got {name!r}")


def to_numpy(x: Any) -> np.ndarray:
    """Copy an array of any supported library to a NumPy array on the host."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "get") and type(x).__module__.startswith("cupy"):
        return x.get()
    try:
        return np.asarray(x)
    except (TypeError, ValueError, RuntimeError):
        return np.from_dlpack(x)


def asarray(x: Any, *, like: Any = None, xp: ModuleType | None = None, dtype: Any = None) -> Any:
    """Convert ``x`` into the namespace (and, by default, the dtype and device) of ``like``.

    Exactly one of ``like`` and ``xp`` is needed. Host data destined for another
    library goes through NumPy once; this is the only host round-trip the
    package makes on purpose.
    """
    if xp is None:
        if like is None:
            raise TypeError("asarray needs `like` or `xp`")
        xp = get_namespace(like)
    if dtype is None and like is not None:
        dtype = like.dtype
    if not is_numpy(xp) and isinstance(x, np.ndarray):
        kwargs = {"device": array_api_compat.device(like)} if like is not None else {}
        return xp.asarray(x.tolist() if x.ndim == 0 else x, dtype=dtype, **kwargs)
    return xp.asarray(x, dtype=dtype)


def inner(a: Any, b: Any) -> float:
    """:math:`\\sum_{ij} a_{ij} b_{ij}` for real arrays of one shape, without the temporary ``a * b``
    (on an ``m x n`` array the temporary's fresh pages cost several times the product)."""
    xp = get_namespace(a, b)
    return float(xp.vecdot(xp.reshape(a, (-1,)), xp.reshape(b, (-1,))))


def is_floating(x: Any) -> bool:
    """True when ``x`` has a real floating dtype (float32 or float64)."""
    xp = get_namespace(x)
    return x.dtype in (xp.float32, xp.float64)
