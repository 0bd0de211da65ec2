"""The Problem protocol shared by every family."""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from ..backend import asarray, get_namespace, to_numpy

__all__ = ["Problem"]


class Problem:
    """Base of the problem classes (each a frozen dataclass owning its arrays).

    A problem validates its input in ``__post_init__``, offers what its family's
    solvers need, ``objective(x)``, ``measures(x)`` (a dict with ``fun``,
    ``optimality`` -- the relative measure ``tol`` applies to -- and the family's
    named measures), ``to(xp)`` and, when convex, ``to_cvxpy()`` returning
    ``(cvxpy.Problem, variable)``. ``default_method`` names the method
    :func:`optkit.solve` uses when none is given.
    """

    default_method: ClassVar[str] = ""

    def arrays(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.init and hasattr(getattr(self, f.name), "shape")}

    @property
    def xp(self) -> Any:
        return get_namespace(*self.arrays().values())

    @property
    def dtype(self) -> Any:
        return next(iter(self.arrays().values())).dtype

    def to(self, xp: Any) -> "Problem":
        """The same problem with its data moved once to namespace ``xp``."""
        moved = {k: asarray(to_numpy(v), xp=xp) for k, v in self.arrays().items()}
        return dataclasses.replace(self, **moved)

    def objective(self, x: Any) -> float:
        raise NotImplementedError

    def measures(self, x: Any) -> dict[str, float]:
        raise NotImplementedError

    def to_cvxpy(self) -> tuple[Any, Any]:
        raise NotImplementedError(f"{type(self).__name__} has no CVXPY reference formulation")
