"""The nuclear norm as a :class:`Function` (value and prox); the linear algebra is in :mod:`optkit.linalg`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..linalg.svt import nuclear_norm, svt
from .base import Function, check_scalar

__all__ = ["NuclearNorm"]


@dataclass(frozen=True)
class NuclearNorm(Function):
    """:math:`g(X) = \\lambda\\|X\\|_*` for a 2-d ``X``, the sum of its singular values times :math:`\\lambda`.

    Parameters
    ----------
    lam : float
        :math:`\\lambda \\ge 0`.

    Notes
    -----
    The prox is singular-value thresholding at :math:`s\\lambda` [1]_:
    :math:`U\\max(\\Sigma - s\\lambda, 0)V^T` for :math:`X = U\\Sigma V^T`.

    References
    ----------
    .. [1] J.-F. Cai, E. J. Candes and Z. Shen, "A singular value thresholding
       algorithm for matrix completion", SIAM J. Optim. 20 (2010), 1956-1982.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.functions import NuclearNorm
    >>> X = np.diag([3.0, 1.0])
    >>> NuclearNorm(1.0).value(X)
    4.0
    >>> np.round(NuclearNorm(1.0).prox(X, 2.0), 12)
    array([[1., 0.],
           [0., 0.]])
    """

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
