"""The nuclear norm as a :class:`Function` (value and prox); the linear algebra is in :mod:`optkit.linalg`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..linalg.svt import nuclear_norm, svt
from .base import Function, check_scalar

__all__ = ["NuclearNorm"]


@dataclass(frozen=True)
class NuclearNorm(Function):
    """:math:`g(X) = \\lambda\\|X\\|_*` for a 2-d ``X``; prox = singular-value thresholding at :math:`s\\lambda`."""

    lam: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "lam", check_scalar("lam", self.lam))

    def value(self, X: Any) -> float:
        return self.lam * nuclear_norm(X)

    def prox(self, V: Any, step: float) -> Any:
        return svt(V, step * self.lam)[0]

    def to_cvxpy(self, var: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        return self.lam * cp.normNuc(var), []
