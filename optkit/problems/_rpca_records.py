"""The records of the robust PCA family: a decomposition and a decomposition with a multiplier
(the ``x`` of its results and the warm starts its problems accept); exported by
``optkit.problems.rpca``."""
from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["LowRankSparse", "LowRankSparseDual"]

class LowRankSparse(NamedTuple):
    """A decomposition :math:`M \\approx L + S`: ``L`` low-rank, ``S`` sparse, both of shape ``(m, n)``.

    Parameters
    ----------
    L : array, shape (m, n)
        The low-rank part.
    S : array, shape (m, n)
        The sparse part.

    Examples
    --------
    The ``x`` of a robust PCA result:

    >>> import optkit
    >>> from optkit.datasets import lowrank_sparse_instance
    >>> from optkit.problems import LowRankSparse, RobustPCA
    >>> M, L0, S0, _ = lowrank_sparse_instance(20, 15, seed=0)
    >>> res = optkit.solve(RobustPCA(M))
    >>> isinstance(res.x, LowRankSparse), res.x.L.shape
    (True, (20, 15))
    """

    L: Any
    S: Any


class LowRankSparseDual(NamedTuple):
    """A decomposition with a multiplier: ``(L, S, Y)``, the warm start :class:`~optkit.problems.RobustPCA` accepts
    (``Y`` e.g. a previous result's ``dual``).

    Parameters
    ----------
    L : array, shape (m, n)
        The low-rank part.
    S : array, shape (m, n)
        The sparse part.
    Y : array, shape (m, n)
        The multiplier of the constraint :math:`P_\\Omega(L + S) = P_\\Omega(M)`.

    Examples
    --------
    A warm start from a previous answer is certified at once:

    >>> import optkit
    >>> from optkit.datasets import lowrank_sparse_instance
    >>> from optkit.problems import LowRankSparseDual, RobustPCA
    >>> problem = RobustPCA(lowrank_sparse_instance(20, 15, seed=0)[0])
    >>> res = optkit.solve(problem)
    >>> again = optkit.solve(problem, x0=LowRankSparseDual(*res.x, res.dual))
    >>> again.success, again.nit <= 2
    (True, True)
    """

    L: Any
    S: Any
    Y: Any
