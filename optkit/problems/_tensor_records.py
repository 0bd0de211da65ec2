"""The records of the robust tensor recovery family: the answers of the singleton and mixture
models, the rank-constrained dual candidate and a validated start; exported by
``optkit.problems.tensor``."""
from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["TensorSplit", "MixtureSplit", "RankConstrainedDual", "TensorStart"]

class TensorSplit(NamedTuple):
    """Solution of the singleton model: the low-rank tensor ``X`` and the sparse tensor ``E``.

    Parameters
    ----------
    X : array, shape of T
        The low-rank tensor.
    E : array, shape of T
        The sparse tensor.

    Examples
    --------
    >>> import math
    >>> import optkit
    >>> from optkit.datasets import planted_tucker, relative_error
    >>> from optkit.problems import RobustTensorRecovery
    >>> planted = planted_tucker((10, 10, 10), 2, corruption=0.05, seed=1)
    >>> problem = RobustTensorRecovery(planted.T, lam=2 / math.sqrt(10))
    >>> res = optkit.solve(problem)
    >>> type(res.x).__name__, bool(relative_error(res.x.X, planted.X) < 1e-4)
    ('TensorSplit', True)
    """

    X: Any
    E: Any


class MixtureSplit(NamedTuple):
    """Solution of the mixture model: ``X = sum_k parts[k]``, the sparse ``E`` and the components
    stacked in ``parts`` (shape ``(K,) + T.shape``, ``parts[k]`` low-rank in its mode-k unfolding).

    Parameters
    ----------
    X : array, shape of T
        The low-rank tensor, the sum of ``parts``.
    E : array, shape of T
        The sparse tensor.
    parts : array, shape (K,) + T.shape
        The components.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets import planted_tucker
    >>> from optkit.problems import RobustTensorRecovery
    >>> planted = planted_tucker((5, 4, 6), 1, corruption=0.1, observed=0.8, seed=7)
    >>> problem = RobustTensorRecovery(planted.T, mask=planted.mask, lam=0.15, model="mixture",
    ...                                formulation="penalized", alpha=0.05)
    >>> res = optkit.solve(problem)
    >>> type(res.x).__name__, res.x.parts.shape
    ('MixtureSplit', (3, 5, 4, 6))
    """

    X: Any
    E: Any
    parts: Any


class RankConstrainedDual(NamedTuple):
    """Dual candidate of the rank-constrained singleton model (``adal_ncx``): the multipliers
    ``W`` (shape ``(K,) + T.shape``, one per matricization) and the rank bounds ``ranks``
    (one int per matricization). Passed as ``dual=`` it selects the rank-constrained certificate
    of :meth:`~optkit.problems.RobustTensorRecovery.measures`.

    Parameters
    ----------
    W : array, shape (K,) + T.shape
        The multipliers, one per matricization.
    ranks : tuple of int
        The rank bound of each matricization.

    Examples
    --------
    >>> import math
    >>> import optkit
    >>> from optkit.datasets import planted_tucker, relative_error
    >>> from optkit.problems import RobustTensorRecovery
    >>> planted = planted_tucker((10, 10, 10), 2, corruption=0.05, seed=1)
    >>> problem = RobustTensorRecovery(planted.T, lam=2 / math.sqrt(10))
    >>> res = optkit.solve(problem, method="adal_ncx", rank=2)
    >>> type(res.dual).__name__, res.dual.ranks
    ('RankConstrainedDual', (2, 2, 2))
    >>> problem.measures(res.x, dual=res.dual)["optimality"] <= 1e-6
    True
    """

    W: Any
    ranks: tuple


class TensorStart(NamedTuple):
    """A validated starting point (what :meth:`~optkit.problems.RobustTensorRecovery.check_x0` returns).

    ``X`` and ``E`` in T's shape, ``parts`` (mixture model: shape ``(K,) + T.shape``, summing
    to ``X``; ``None`` for the singleton model) and ``dual``: ``None``, an array of
    :attr:`~optkit.problems.RobustTensorRecovery.dual_shape` or a :class:`~optkit.problems.RankConstrainedDual`.

    Parameters
    ----------
    X : array, shape of T
        The low-rank tensor.
    E : array, shape of T
        The sparse tensor.
    parts : array, shape (K,) + T.shape, or None
        The components (mixture model).
    dual : array, RankConstrainedDual or None
        Multipliers to start from.

    Examples
    --------
    >>> from optkit.datasets import planted_tucker
    >>> from optkit.problems import RobustTensorRecovery
    >>> planted = planted_tucker((6, 5, 4), 1, seed=0)
    >>> start = RobustTensorRecovery(planted.T).check_x0((planted.X, planted.E))
    >>> type(start).__name__, start.parts, start.dual
    ('TensorStart', None, None)
    """

    X: Any
    E: Any
    parts: Any
    dual: Any
