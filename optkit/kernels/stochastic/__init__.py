"""Stochastic quasi-Newton kernels: Numba (``_jit.py``) on NumPy, the array-API twins (``_twin.py``)
otherwise. The L-BFGS memory is a ring of ``p`` pairs, rows of ``S`` and ``Y`` (p, d) and ``rho`` (p,)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._dispatch import pick, use_numba
from . import _twin as twin
from ._twin import powell_damping

__all__ = ["lbfgs_direction", "damped_pair", "powell_damping", "csr_rows_matvec", "csr_rows_rmatvec"]


def _numba_operands(first: Any, *rest: Any) -> bool:
    """``first`` takes the Numba path (``use_numba``) and the rest are NumPy arrays of its dtype."""
    return use_numba(first) and all(type(a) is np.ndarray and a.dtype == first.dtype for a in rest)


def lbfgs_direction(g: Any, S: Any, Y: Any, rho: Any, order: Sequence[int], inv_gamma: float) -> Any:
    """:math:`H g` by the two-loop recursion: the memory rows ``order`` (newest first), :math:`H_0 =`
    ``inv_gamma`` :math:`I`. A new array; ``g`` is not changed."""
    if _numba_operands(g, S, Y, rho):
        from . import _jit  # noqa: PLC0415  (lazy: Numba compiles on first use)

        return pick(_jit, "two_loop", S)(np.ascontiguousarray(g), S, Y, rho, np.asarray(order, dtype=np.int64),
                                         float(inv_gamma))
    return twin.two_loop(g, S, Y, rho, list(order), float(inv_gamma))


def damped_pair(x: Any, x0: Any, g: Any, g0: Any, delta: float, S: Any, Y: Any, rho: Any, slot: int,
                rel_sq: float) -> tuple[bool, float, float, float]:
    """Store the Powell-damped pair :math:`s = x - x_0`, :math:`\\bar y` of :math:`y = g - g_0` in row ``slot``
    of ``(S, Y, rho)`` (:func:`powell_damping`), without forming ``s`` and ``y``: ``(accepted, gamma, theta,
    s^T ybar)``, nothing stored when :math:`s^Ts \\le` ``rel_sq`` :math:`\\max(1, x^Tx)`."""
    if _numba_operands(x, x0, g, g0, S, Y, rho):
        from . import _jit  # noqa: PLC0415

        c = np.ascontiguousarray
        ok, gamma, theta, sybar = pick(_jit, "damped_pair", S)(c(x), c(x0), c(g), c(g0), float(delta), S, Y, rho,
                                                               int(slot), float(rel_sq))
        return bool(ok), float(gamma), float(theta), float(sybar)
    return twin.damped_pair(x, x0, g, g0, delta, S, Y, rho, int(slot), float(rel_sq))


def csr_rows_matvec(X: Any, rows: Any, W: Any) -> Any:
    """:math:`X_{\\mathrm{rows}} W` for a scipy CSR matrix ``X`` (n, d), NumPy ``rows`` and ``W`` (d, k),
    reading the selected rows in place (no gathered copy). The array-API twin is
    ``ArrayCSR.rows(rows).matvec(W)`` (:mod:`optkit.problems`)."""
    from . import _jit  # noqa: PLC0415

    return _jit.csr_rows_matvec(X.indptr, X.indices, X.data, rows, np.ascontiguousarray(W, dtype=X.dtype))


def csr_rows_rmatvec(X: Any, rows: Any, R: Any) -> Any:
    """:math:`X_{\\mathrm{rows}}^T R` for a scipy CSR matrix ``X`` (n, d) and ``R`` (b, k): dense (d, k).
    The array-API twin is ``ArrayCSR.rows(rows).rmatvec(R)``."""
    from . import _jit  # noqa: PLC0415

    return _jit.csr_rows_rmatvec(X.indptr, X.indices, X.data, rows, np.ascontiguousarray(R, dtype=X.dtype),
                                 X.shape[1])
