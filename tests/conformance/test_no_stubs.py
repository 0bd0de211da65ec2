"""A bare ``raise NotImplementedError`` marks an abstract method of a protocol base class
(``Problem.measures``, ``LinearOperator.apply``, ``GameNode.moves``, ...). No method a user can
reach, a registered solver or a problem of the catalogue, may still resolve to one."""
from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from optkit._registry import all_methods

from .test_conformance import CASES, _NUMPY


def _is_bare_stub(fn) -> bool:
    fn = fn.fget if isinstance(fn, property) else fn
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (TypeError, OSError, SyntaxError):
        return False
    body = [b for b in tree.body[0].body if not (isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant))]
    return len(body) == 1 and isinstance(body[0], ast.Raise) and ast.unparse(body[0]) == "raise NotImplementedError"


def _stubs(cls) -> list[str]:
    names = {n for k in cls.__mro__ for n in vars(k) if not n.startswith("__")}
    out = []
    for name in sorted(names):
        owner = next(k for k in cls.__mro__ if name in vars(k))
        member = vars(owner)[name]
        if (callable(member) or isinstance(member, property)) and _is_bare_stub(member):
            out.append(f"{name} (from {owner.__qualname__})")
    return out


CLASSES = sorted({*all_methods().values(), *(type(c.make(_NUMPY, _NUMPY.float64)) for c in CASES)},
                 key=lambda c: c.__qualname__)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_no_reachable_method_is_an_abstract_stub(cls):
    assert not _stubs(cls), f"{cls.__qualname__} leaves abstract methods unimplemented: {_stubs(cls)}"
