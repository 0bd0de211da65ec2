"""Array-API twins of the stochastic quasi-Newton kernels in ``_jit.py``, and the damping rule both use."""
from __future__ import annotations

import math
from typing import Any, Sequence

from ...backend import get_namespace


def powell_damping(sy: float, ss: float, yy: float, delta: float) -> tuple[float, float]:
    """``(gamma, theta)`` of the Powell-type damping of SdLBFGS (Wang, Ma, Goldfarb & Liu 2017, sec. 3).

    :math:`\\gamma = \\max(y^Ty / s^Ty, \\delta)` (:math:`\\delta` when :math:`s^Ty \\le 0`, where the
    ratio is negative or undefined), and

    .. math::
        \\theta = \\frac{0.75\\,\\gamma s^Ts}{\\gamma s^Ts - s^Ty} \\ \\text{if}\\ s^Ty < 0.25\\,\\gamma s^Ts,
        \\quad 1 \\ \\text{otherwise},

    so that :math:`\\bar y = \\theta y + (1-\\theta)\\gamma s` has
    :math:`s^T\\bar y = \\theta s^Ty + (1-\\theta)\\gamma s^Ts \\ge 0.25\\,\\gamma s^Ts > 0`.
    Plain float arithmetic: the Numba kernel compiles this same function.
    """
    gamma = yy / sy if sy > 0.0 else delta
    if gamma < delta:
        gamma = delta
    theta = 1.0
    if sy < 0.25 * gamma * ss:
        theta = 0.75 * gamma * ss / (gamma * ss - sy)
    return gamma, theta


def damped_pair(x: Any, x0: Any, g: Any, g0: Any, delta: float, S: Any, Y: Any, rho: Any, slot: int,
                rel_sq: float) -> tuple[bool, float, float, float]:
    """Store the damped pair :math:`(s, \\bar y)`, :math:`s = x - x_0`, :math:`y = g - g_0`, in row ``slot``
    of the memory ``(S, Y, rho)``.

    Returns ``(accepted, gamma, theta, s^T ybar)``; a pair with a negligible step,
    :math:`s^Ts \\le` ``rel_sq`` :math:`\\max(1, x^Tx)`, or whose products overflow (:math:`\\gamma` or
    :math:`s^T\\bar y` not finite), is skipped (``accepted`` false, nothing written).
    """
    xp = get_namespace(x, g)
    s, y = x - x0, g - g0
    ss = float(xp.vecdot(s, s))
    if not ss > rel_sq * max(1.0, float(xp.vecdot(x, x))):
        return False, 0.0, 1.0, 0.0
    sy, yy = float(xp.vecdot(s, y)), float(xp.vecdot(y, y))
    gamma, theta = powell_damping(sy, ss, yy, delta)
    sybar = theta * sy + (1.0 - theta) * gamma * ss
    if not (0.0 < sybar < math.inf and gamma < math.inf):
        return False, gamma, theta, sybar
    S[slot, :] = s
    Y[slot, :] = theta * y + ((1.0 - theta) * gamma) * s
    rho[slot] = 1.0 / sybar
    return True, gamma, theta, sybar


def two_loop(g: Any, S: Any, Y: Any, rho: Any, order: Sequence[int], inv_gamma: float) -> Any:
    """:math:`H g` for the L-BFGS matrix of the pairs ``order`` (newest first) and :math:`H_0 =`
    ``inv_gamma`` :math:`I`, by the compact representation (Byrd, Nocedal & Schnabel 1994, eq. 2.17).

    The same matrix as the two-loop recursion of the Numba kernel (Nocedal & Wright, Alg. 7.4), in a
    fixed number of array operations instead of :math:`4m` dependent vector operations (one device
    launch each on a GPU). With the pairs as rows, oldest first, :math:`a = S g`, :math:`b = Y g`,
    :math:`R = \\operatorname{triu}(S Y^T)` (nonsingular: damping keeps its diagonal
    :math:`s_j^T\\bar y_j` positive), :math:`D = \\operatorname{diag}(S Y^T)`, :math:`c = R^{-1} a`:

    .. math::
        H g = \\gamma^{-1} g + S^T R^{-T}\\big((D + \\gamma^{-1} Y Y^T) c - \\gamma^{-1} b\\big)
        - \\gamma^{-1} Y^T c .
    """
    xp = get_namespace(g)
    if len(order) == 0:
        return inv_gamma * g
    chrono = xp.asarray(list(reversed(order)), dtype=xp.int64, device=_device(g))
    Sm, Ym = xp.take(S, chrono, axis=0), xp.take(Y, chrono, axis=0)
    a, b = Sm @ g, Ym @ g
    SY = Sm @ Ym.T
    R = xp.triu(SY)
    c = xp.linalg.solve(R, a)
    inner = xp.linalg.diagonal(SY) * c + inv_gamma * ((Ym @ Ym.T) @ c) - inv_gamma * b
    top = xp.linalg.solve(R.T, inner)
    return inv_gamma * g + top @ Sm - inv_gamma * (c @ Ym)


def _device(x: Any) -> Any:
    import array_api_compat  # noqa: PLC0415

    return array_api_compat.device(x)
