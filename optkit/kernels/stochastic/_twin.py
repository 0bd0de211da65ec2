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
    The paper's branch of :func:`damping_rule`, which the Numba kernel compiles.
    """
    gamma, theta, _ = damping_rule(sy, ss, yy, delta, False)
    return gamma, theta


def damping_rule(sy: float, ss: float, yy: float, delta: float, against_delta: bool) -> tuple[float, float, float]:
    """``(gamma, theta, shift)`` with :math:`\\bar y = \\theta y +` ``shift`` :math:`s` and
    :math:`H_0 = \\gamma^{-1} I`.

    ``against_delta`` false: the paper's rule (:func:`powell_damping`), ``shift`` :math:`= (1-\\theta)\\gamma`.
    ``against_delta`` true (our departure, measured in ``docs/stochastic.md``): damp only where the curvature
    along :math:`s` is below :math:`\\delta/4`,

    .. math::
        \\theta = \\frac{0.75\\,\\delta s^Ts}{\\delta s^Ts - s^Ty} \\ \\text{if}\\ s^Ty < 0.25\\,\\delta s^Ts,
        \\quad 1 \\ \\text{otherwise}, \\qquad \\bar y = \\theta y + (1-\\theta)\\delta s,
        \\qquad \\gamma = \\max(\\bar y^T\\bar y / s^T\\bar y, \\delta).

    Then :math:`s^T\\bar y \\ge 0.25\\,\\delta s^Ts` and, for :math:`\\|y\\| \\le L\\|s\\|`,
    :math:`\\|\\bar y\\|^2 / s^T\\bar y \\le 4(L+\\delta)^2/\\delta` and :math:`\\delta \\le \\gamma \\le 4(L+\\delta)^2/\\delta`:
    the two bounds on the pairs and the bounds on :math:`H_0` that the paper's spectrum bounds of :math:`H_k`
    rest on, with other constants. The paper's test :math:`s^Ty < 0.25\\gamma s^Ts` with
    :math:`\\gamma = y^Ty/s^Ty` is :math:`\\cos(s, y) < 0.5`, which damps most pairs where the Hessian spectrum
    is spread even at positive curvature. Plain float arithmetic: the Numba kernel compiles this function.
    """
    if not against_delta:
        gamma = yy / sy if sy > 0.0 else delta
        if gamma < delta:
            gamma = delta
        theta = 1.0
        if sy < 0.25 * gamma * ss:
            theta = 0.75 * gamma * ss / (gamma * ss - sy)
        return gamma, theta, (1.0 - theta) * gamma
    theta = 1.0
    if sy < 0.25 * delta * ss:
        theta = 0.75 * delta * ss / (delta * ss - sy)
    shift = (1.0 - theta) * delta
    sybar = theta * sy + shift * ss
    yybar = theta * theta * yy + 2.0 * theta * shift * sy + shift * shift * ss
    gamma = yybar / sybar if sybar > 0.0 else delta
    if not gamma >= delta:
        gamma = delta
    return gamma, theta, shift


def damped_pair(x: Any, x0: Any, g: Any, g0: Any, delta: float, S: Any, Y: Any, rho: Any, slot: int,
                rel_sq: float, against_delta: bool = False) -> tuple[bool, float, float, float]:
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
    gamma, theta, shift = damping_rule(sy, ss, yy, delta, against_delta)
    sybar = theta * sy + shift * ss
    if not (0.0 < sybar < math.inf and gamma < math.inf):
        return False, gamma, theta, sybar
    S[slot, :] = s
    Y[slot, :] = theta * y + shift * s
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
