"""The one place a method name is declared: ``@register`` on a Solver class."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .solvers.base import Solver

__all__ = ["register", "get_solver", "all_methods"]

_REGISTRY: dict[str, type["Solver"]] = {}
_CANONICAL: dict[str, str] = {}


def register(name: str, aliases: tuple[str, ...] = ()) -> Callable[[type["Solver"]], type["Solver"]]:
    """Class decorator registering a solver class under ``name`` and its ``aliases``.

    The one place a method name is declared: :func:`optkit.solve`, :func:`optkit.methods`,
    :func:`optkit.show_options`, the conformance suite and the method tables all read the
    registry. A name taken by another class raises ``ValueError``.

    Parameters
    ----------
    name : str
        The method's name (snake_case); it becomes the class's ``name``.
    aliases : tuple of str
        Other names that select the same class.

    Returns
    -------
    callable
        The decorator; it returns the class itself, with ``name`` and ``aliases`` set.

    Examples
    --------
    >>> import optkit
    >>> optkit.solvers.FastALM.name, optkit.solvers.FastALM.aliases
    ('fast_alm', ('falm', 'falm_s'))

    A family declares its methods this way (registering is global, so not run here):

    >>> @optkit.register("my_method", aliases=("mm",))  # doctest: +SKIP
    ... class MyMethod(optkit.solvers.Solver):
    ...     ...
    """

    def deco(cls: type["Solver"]) -> type["Solver"]:
        for key in (name, *aliases):
            if key in _REGISTRY and _REGISTRY[key] is not cls:
                raise ValueError(f"method name {key!r} is already registered by {_REGISTRY[key].__name__}")
            _REGISTRY[key] = cls
            _CANONICAL[key] = name
        cls.name = name
        cls.aliases = tuple(aliases)
        return cls

    return deco


def _load_all() -> None:
    if "optkit.solvers" not in sys.modules:  # the import statement alone cost 0.65 us a solve, this test 0.06
        from . import solvers  # noqa: F401,PLC0415  (importing registers every solver)


def get_solver(method: str) -> type["Solver"]:
    """The solver class registered under ``method`` (a name or an alias)."""
    _load_all()
    try:
        return _REGISTRY[method]
    except KeyError:
        raise ValueError(f"unknown method {method!r}; registered methods: {sorted(set(_CANONICAL.values()))}") from None


def all_methods() -> dict[str, type["Solver"]]:
    """Canonical method name -> solver class, for every registered solver."""
    _load_all()
    return {name: _REGISTRY[name] for name in sorted(set(_CANONICAL.values()))}
