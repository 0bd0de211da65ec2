"""Composite-family kernels (coordinate descent for the Lasso on a working set): Numba (``_jit.py``)
on NumPy, the array-API twins (``_twin.py``) otherwise."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._dispatch import use_numba
from . import _twin as twin

__all__ = ["column_sq_norms", "gather_columns", "lasso_cd"]


def column_sq_norms(A: Any) -> Any:
    """:math:`\\|A_j\\|^2` for every column of ``A`` (shape ``(m, n)``), in one pass over ``A``
    without a temporary of its size."""
    if use_numba(A) and A.ndim == 2:
        from . import _jit  # noqa: PLC0415

        return _jit.column_sq_norms(A).astype(A.dtype, copy=False)
    return twin.column_sq_norms(A)


def gather_columns(A: Any, ws: Any, prev: Any = None, prev_ws: Any = None) -> Any:
    """The columns ``ws`` of ``A`` as the rows of a ``(k, m)`` array, :math:`A_{:,\\mathrm{ws}}^T`.

    Parameters
    ----------
    A : array, shape (m, n)
    ws : int array, shape (k,)
        Sorted column indices.
    prev, prev_ws : array, shape (k', m), and int array, shape (k',), optional
        An earlier gather ``gather_columns(A, prev_ws)`` (``prev_ws`` sorted): on NumPy its rows
        are copied and only the other columns are read from a C-ordered ``A`` (a column of a
        C-ordered array touches one cache line per entry: gathering many columns reads all of ``A``).

    Returns
    -------
    array, shape (k, m)
    """
    if use_numba(A) and isinstance(ws, np.ndarray):
        if A.flags.f_contiguous:
            return np.take(A.T, ws, axis=0)
        from . import _jit  # noqa: PLC0415

        if prev is None or prev_ws is None or not isinstance(prev, np.ndarray) or prev.dtype != A.dtype:
            prev, prev_ws = np.empty((0, A.shape[0]), A.dtype), np.empty(0, np.int64)
        return _jit.gather_columns(np.ascontiguousarray(A), np.ascontiguousarray(ws, dtype=np.int64),
                                   np.ascontiguousarray(prev), np.ascontiguousarray(prev_ws, dtype=np.int64))
    return twin.gather_columns(A, ws)


def lasso_cd(C: Any, x: Any, r: Any, b: Any, norms2: Any, lam: float, gap_tol: float, max_epochs: int,
             check_every: int = 5, accelerate: bool = True) -> tuple[Any, Any, int, float]:
    """Cyclic coordinate descent for the Lasso restricted to some features.

    With :math:`C` (shape ``(k, m)``) holding the features' columns as rows (see
    :func:`gather_columns`), minimises
    :math:`\\tfrac12\\|C^Tx - b\\|^2 + \\lambda\\|x\\|_1` over ``x`` (shape ``(k,)``). Each epoch
    updates every coordinate in turn,
    :math:`x_j \\leftarrow \\operatorname{soft}(x_j - C_j^Tr/\\|C_j\\|^2, \\lambda/\\|C_j\\|^2)`, and keeps
    the residual :math:`r = C^Tx - b` up to date (Friedman, Hastie & Tibshirani 2010). With
    ``accelerate``, after every ``check_every`` epochs the last ``check_every + 1`` iterates are
    extrapolated (Anderson acceleration of coordinate descent, Bertrand & Massias, AISTATS 2021):
    with the differences :math:`U` of consecutive iterates, :math:`c = z/\\mathbf 1^Tz` for
    :math:`U^TUz = \\mathbf 1`, and :math:`\\sum_i c_i x^{(i)}` replaces ``x`` when it has the lower
    objective (a singular :math:`U^TU` skips the step). Before the
    first epoch and every ``check_every`` epochs it takes the duality gap of the restricted problem
    at the dual point :math:`r\\min(1, \\lambda/\\|Cr\\|_\\infty)` and stops once that is at most
    ``gap_tol``, or after ``max_epochs`` epochs.

    Parameters
    ----------
    C : array, shape (k, m)
    x : array, shape (k,)
        Start; not modified.
    r : array, shape (m,)
        The residual :math:`C^Tx - b` at the start; not modified.
    b : array, shape (m,)
    norms2 : array, shape (k,)
        :math:`\\|C_j\\|^2` (a zero column keeps its coordinate).
    lam, gap_tol : float
    max_epochs, check_every : int
    accelerate : bool

    Returns
    -------
    x : array, shape (k,)
        The last iterate.
    r : array, shape (m,)
        Its residual :math:`C^Tx - b`, computed afresh (free of the updates' rounding).
    epochs : int
    gap : float
        The restricted problem's duality gap at the last check.
    """
    arrays = (C, x, r, b, norms2)
    if all(use_numba(a) for a in arrays) and len({a.dtype for a in arrays}) == 1:
        from . import _jit  # noqa: PLC0415

        x, r = np.array(x, copy=True), np.array(r, copy=True)
        epochs, gap = _jit.lasso_cd(np.ascontiguousarray(C), x, r, np.ascontiguousarray(b), np.ascontiguousarray(norms2),
                                    float(lam), float(gap_tol), int(max_epochs), int(check_every), bool(accelerate))
        return x, r, int(epochs), float(gap)
    return twin.lasso_cd(C, x, r, b, norms2, lam, gap_tol, max_epochs, check_every, accelerate)
