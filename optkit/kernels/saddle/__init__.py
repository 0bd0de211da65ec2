"""Treeplex kernels of the saddle-point family: Numba (``_jit.py``) on NumPy, the array-API twins
(``_twin.py``) otherwise.

The treeplex comes as a :class:`~optkit.problems._saddle_treeplex.Treeplex` (host index arrays);
the twins read its level tables in the vectors' namespace.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._dispatch import use_numba
from . import _twin as twin

__all__ = ["treeplex_value", "dilated_prox", "treeplex_projection", "cfr_plus", "project_columns", "market_primal", "market_beta", "market_prices",
           "market_utilities", "market_dual", "lerp", "twin"]


def _numba(*arrays: Any) -> bool:
    return all(use_numba(a) for a in arrays)


def treeplex_value(c: Any, treeplex: Any, maximize: bool = False) -> float:
    """:math:`\\min_{x \\in X} \\langle c, x\\rangle` over the treeplex (``maximize=True``: the maximum):
    the value of a best response to the sequence-form loss (or payoff) vector ``c``."""
    if _numba(c):
        from . import _jit  # noqa: PLC0415  (lazy: Numba compiles on first use)

        return float(_jit.treeplex_value(np.ascontiguousarray(c), treeplex.parent, treeplex.start, treeplex.stop,
                                         bool(maximize)))
    from ...backend import get_namespace  # noqa: PLC0415

    return twin.treeplex_value(c, treeplex.levels(get_namespace(c)), bool(maximize))


def dilated_prox(x_prev: Any, g: Any, treeplex: Any, weights: Any, entropic: bool = True) -> Any:
    """Bregman proximal step on the treeplex: :math:`\\arg\\min_{x \\in X} \\langle g, x\\rangle + D(x, x_{prev})`.

    ``D`` is the dilated entropy divergence :math:`\\sum_j w_j x_{p_j} \\mathrm{KL}(b_j \\| b'_j)` when
    ``entropic``, else the dilated Euclidean one :math:`\\sum_j w_j x_{p_j} \\tfrac12\\|b_j - b'_j\\|^2`
    (Hoda, Gilpin, Pena & Sandholm 2010; Kroer, Waugh, Kilinc-Karzan & Sandholm 2020), with ``b``
    the behavioural strategies and ``weights`` one positive number per information set.
    """
    if _numba(x_prev, g):
        from . import _jit  # noqa: PLC0415

        w = np.ascontiguousarray(weights, dtype=np.float64)
        return _jit.dilated_prox(np.ascontiguousarray(x_prev), np.ascontiguousarray(g), treeplex.parent,
                                 treeplex.start, treeplex.stop, w, bool(entropic))
    from ...backend import get_namespace  # noqa: PLC0415

    xp = get_namespace(x_prev, g)
    return twin.dilated_prox(x_prev, g, treeplex.levels(xp), xp.astype(weights, g.dtype), bool(entropic))


def treeplex_projection(z: Any, d: Any, treeplex: Any) -> Any:
    """:math:`\\arg\\min_{x \\in X} \\sum_s d_s (x_s - z_s)^2`: the projection of ``z`` onto the treeplex in the
    diagonal metric ``d`` (positive, one weight per sequence), by piecewise-linear value functions
    (Gilpin, Pena & Sandholm 2012)."""
    if _numba(z, d):
        from . import _jit  # noqa: PLC0415

        return _jit.treeplex_projection(np.ascontiguousarray(z), np.ascontiguousarray(d, dtype=np.float64),
                                        treeplex.parent, treeplex.start, treeplex.stop)
    return twin.treeplex_projection(z, d, treeplex)


def cfr_plus(loss: Any, regret: Any, behav: Any, treeplex: Any) -> tuple[Any, Any, Any]:
    """One CFR+ (regret matching+) update on the treeplex of a minimising player facing the
    sequence-form loss ``loss``; returns the new ``(regret, behav, x)``."""
    if _numba(loss, regret, behav):
        from . import _jit  # noqa: PLC0415

        return _jit.cfr_plus(np.ascontiguousarray(loss), np.ascontiguousarray(regret), np.ascontiguousarray(behav),
                             treeplex.parent, treeplex.start, treeplex.stop)
    from ...backend import get_namespace  # noqa: PLC0415

    return twin.cfr_plus(loss, regret, behav, treeplex.levels(get_namespace(loss)))


def project_columns(V: Any, s: Any) -> Any:
    """Each column ``j`` of ``V`` (shape ``(n, m)``) projected onto the scaled simplex
    :math:`\\{v \\ge 0, \\sum_i v_i = s_j\\}` (the allocations of a Fisher market, ``s`` the supplies)."""
    if _numba(V, s):
        from . import _jit  # noqa: PLC0415

        return _jit.project_columns(np.ascontiguousarray(V), np.ascontiguousarray(s, dtype=V.dtype))
    return twin.project_columns(V, s)


def market_primal(X: Any, V: Any, beta: Any, s: Any, step: float, tau: Any = None) -> tuple[Any, Any, float, Any]:
    """The allocation half of a PDHG step on a Fisher market: ``X+`` (each column of
    :math:`X + \\text{step}\\,\\beta_i v_{ij}` projected onto :math:`\\{x \\ge 0, \\sum_i x_{ij} = s_j\\}`),
    the utilities :math:`u = \\sum_j v_{ij}X^+_{ij}`, :math:`\\tfrac12\\|X^+ - X\\|^2` and the projection's
    thresholds (``X+ = max(W - thresholds, 0)``), in one kernel. ``tau``: thresholds to start from (the
    previous step's; they change the work, not the answer)."""
    if _numba(X, V, beta):
        from . import _jit  # noqa: PLC0415

        m = X.shape[1]
        start = np.full(m, np.nan) if tau is None else np.ascontiguousarray(tau, dtype=np.float64)
        out, u, dist, theta = _jit.market_primal(np.ascontiguousarray(X), np.ascontiguousarray(V),
                                                 np.ascontiguousarray(beta, dtype=np.float64),
                                                 np.ascontiguousarray(s, dtype=np.float64), float(step), start)
        return out, u, float(dist), theta
    return twin.market_primal(X, V, beta, s, step, tau)


def market_beta(p: Any, V: Any, VT: Any = None) -> Any:
    """:math:`\\beta_i = \\min_{j: v_{ij} > 0} p_j / v_{ij}` (``inf`` for a row without positive valuations);
    ``VT``: ``V.T`` as a C-contiguous array, if the caller keeps one (the kernel reads it)."""
    if _numba(p, V):
        from . import _jit  # noqa: PLC0415

        return _jit.market_beta(np.ascontiguousarray(p), np.ascontiguousarray(V.T) if VT is None else VT)
    return twin.market_beta(p, V)


def market_prices(beta: Any, V: Any) -> Any:
    """:math:`p_j = \\max_i \\beta_i v_{ij}`, the prices a Fisher market's dual point :math:`\\beta` supports."""
    if _numba(beta, V):
        from . import _jit  # noqa: PLC0415

        return _jit.market_prices(np.ascontiguousarray(beta), np.ascontiguousarray(V))
    return twin.market_prices(beta, V)


def market_utilities(X: Any, V: Any, s: Any) -> Any:
    """The utilities :math:`u_i = \\sum_j v_{ij}\\hat x_{ij}` of the feasible allocation (``X`` clipped at 0 and
    scaled down per good to the supplies ``s`` where it exceeds them), without forming it."""
    if _numba(X, V):
        from . import _jit  # noqa: PLC0415

        return _jit.market_utilities(np.ascontiguousarray(X), np.ascontiguousarray(V),
                                     np.ascontiguousarray(s, dtype=np.float64))
    return twin.market_utilities(X, V, s)


#: Below this size :func:`lerp` stays with the array library (a kernel call costs more than three small passes).
LERP_MIN_SIZE = 4096


def lerp(a: Any, b: Any, r: float) -> Any:
    """:math:`a + r(b - a)` for arrays of one shape and dtype: the running weighted average's update."""
    if a.size >= LERP_MIN_SIZE and _numba(a, b) and a.dtype == b.dtype and a.flags.c_contiguous \
            and b.flags.c_contiguous:
        from . import _jit  # noqa: PLC0415

        return _jit.lerp(a, b, float(r))
    return twin.lerp(a, b, r)


def market_dual(y: Any, Kx: Any, Kx_prev: Any, step: float, B: Any) -> tuple[Any, float, float]:
    """The dual half of a PDHG step on a Fisher market: the prox of :math:`-\\sum_i B_i\\log\\beta_i` at
    :math:`\\beta + \\text{step}(2Kx - Kx_{prev})`, with :math:`\\langle Kx - Kx_{prev}, \\beta^+ - \\beta\\rangle`
    and :math:`\\tfrac12\\|\\beta^+ - \\beta\\|^2` (the step-size test's pieces)."""
    if _numba(y, Kx, Kx_prev):
        from . import _jit  # noqa: PLC0415

        out, coupling, dist = _jit.market_dual(*(np.ascontiguousarray(a) for a in (y, Kx, Kx_prev)), float(step),
                                              np.ascontiguousarray(B))
        return out, float(coupling), float(dist)
    return twin.market_dual(y, Kx, Kx_prev, step, B)
