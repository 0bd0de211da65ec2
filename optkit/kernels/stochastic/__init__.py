"""Stochastic quasi-Newton kernels: Numba (``_jit.py``) on NumPy, the array-API twins (``_twin.py``)
otherwise. The L-BFGS memory is a ring of ``p`` pairs, rows of ``S`` and ``Y`` (p, d) and ``rho`` (p,)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._dispatch import pick, use_numba
from . import _twin as twin
from ._twin import damping_rule, powell_damping

__all__ = ["MemoryKernels", "lbfgs_direction", "damped_pair", "damping_rule", "powell_damping", "csr_rows_matvec",
           "csr_rows_rmatvec"]


def _numba_operands(first: Any, *rest: Any) -> bool:
    """``first`` takes the Numba path (``use_numba``) and the rest are NumPy arrays of its dtype."""
    return use_numba(first) and all(type(a) is np.ndarray and a.dtype == first.dtype for a in rest)


class MemoryKernels:
    """The two-loop and damped-pair kernels of one L-BFGS memory ``(S, Y, rho)``, the path chosen once.

    :func:`lbfgs_direction` and :func:`damped_pair` check their operands' backend on every call, which
    costs 10-25 us (the array-namespace lookup of ``use_numba``): more than the kernels themselves at
    d = 100 (5 and 1 us). A solver whose vectors share the memory's backend and dtype resolves the path
    once (``numba``: the Numba kernels; ``None``: ``use_numba(S)``).
    """

    def __init__(self, S: Any, numba: bool | None = None) -> None:
        self.numba = use_numba(S) if numba is None else numba
        if self.numba:
            from . import _jit  # noqa: PLC0415  (lazy: Numba compiles on first use)

            self._two_loop, self._pair = pick(_jit, "two_loop", S), pick(_jit, "damped_pair", S)

    def direction(self, g: Any, S: Any, Y: Any, rho: Any, order: Sequence[int], inv_gamma: float) -> Any:
        """:math:`H g` (see :func:`lbfgs_direction`)."""
        if not self.numba:
            return twin.two_loop(g, S, Y, rho, list(order), float(inv_gamma))
        return self._two_loop(np.ascontiguousarray(g), S, Y, rho, np.asarray(order, dtype=np.int64), float(inv_gamma))

    def pair(self, x: Any, x0: Any, g: Any, g0: Any, delta: float, S: Any, Y: Any, rho: Any, slot: int,
             rel_sq: float, against_delta: bool = False) -> tuple[bool, float, float, float]:
        """The damped pair into row ``slot`` (see :func:`damped_pair`)."""
        if not self.numba:
            return twin.damped_pair(x, x0, g, g0, delta, S, Y, rho, int(slot), float(rel_sq), bool(against_delta))
        c = np.ascontiguousarray
        ok, gamma, theta, sybar = self._pair(c(x), c(x0), c(g), c(g0), float(delta), S, Y, rho, int(slot),
                                             float(rel_sq), bool(against_delta))
        return bool(ok), float(gamma), float(theta), float(sybar)


def lbfgs_direction(g: Any, S: Any, Y: Any, rho: Any, order: Sequence[int], inv_gamma: float) -> Any:
    """:math:`H g` by the two-loop recursion: the memory rows ``order`` (newest first), :math:`H_0 =`
    ``inv_gamma`` :math:`I`. A new array; ``g`` is not changed."""
    return MemoryKernels(S, _numba_operands(g, S, Y, rho)).direction(g, S, Y, rho, order, inv_gamma)


def damped_pair(x: Any, x0: Any, g: Any, g0: Any, delta: float, S: Any, Y: Any, rho: Any, slot: int,
                rel_sq: float, against_delta: bool = False) -> tuple[bool, float, float, float]:
    """Store the Powell-damped pair :math:`s = x - x_0`, :math:`\\bar y` of :math:`y = g - g_0` in row ``slot``
    of ``(S, Y, rho)`` (:func:`powell_damping`), without forming ``s`` and ``y``: ``(accepted, gamma, theta,
    s^T ybar)``, nothing stored when :math:`s^Ts \\le` ``rel_sq`` :math:`\\max(1, x^Tx)`. ``against_delta``: the
    damping rule of :func:`damping_rule`."""
    return MemoryKernels(S, _numba_operands(x, x0, g, g0, S, Y, rho)).pair(x, x0, g, g0, delta, S, Y, rho, slot,
                                                                          rel_sq, against_delta)


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
