"""Pure array-API twins of the shared Numba kernels in ``_jit.py``: used on CuPy and other
libraries, and as the oracle the kernel tests compare against."""
from __future__ import annotations

from typing import Any

from ..backend import get_namespace


def soft_threshold(x: Any, t: float) -> Any:
    """Entrywise :math:`\\operatorname{sign}(x)\\max(|x| - t, 0)`."""
    xp = get_namespace(x)
    return xp.sign(x) * xp.clip(xp.abs(x) - t, min=0.0)


def project_simplex(v: Any, radius: float = 1.0) -> Any:
    """Euclidean projection of a vector onto :math:`\\{x \\ge 0, \\sum x = r\\}` (sort-based, O(n log n))."""
    xp = get_namespace(v)
    n = v.shape[0]
    u = xp.flip(xp.sort(v))
    css = xp.cumulative_sum(u) - radius
    idx = xp.arange(1, n + 1, dtype=v.dtype)
    rho = _last_active(u - css / idx > 0)
    theta = css[rho] / (rho + 1)
    return xp.clip(v - theta, min=0.0)


def l1_ball_threshold(z: Any, radius: float) -> float:
    """The threshold :math:`\\theta \\ge 0` with :math:`\\|\\operatorname{soft}(z, \\theta)\\|_1 = r`
    (0 when :math:`\\|z\\|_1 \\le r`), by sorting."""
    xp = get_namespace(z)
    a = xp.reshape(xp.abs(z), (-1,))
    if float(xp.sum(a)) <= radius:
        return 0.0
    u = xp.flip(xp.sort(a))
    css = xp.cumulative_sum(u) - radius
    idx = xp.arange(1, u.shape[0] + 1, dtype=u.dtype)
    rho = _last_active(u - css / idx > 0)
    return float(css[rho]) / (rho + 1)


def _last_active(cond: Any) -> int:
    """The last index where ``cond`` holds, 0 where it holds nowhere: the first entry is active
    for every radius r > 0 (``u_0 - (u_0 - r) = r``), but a radius below the rounding unit of the
    largest entry makes ``u_0 - r`` round to ``u_0`` and the test false; the threshold ``u_0`` is then
    exact to rounding."""
    xp = get_namespace(cond)
    active = xp.nonzero(cond)[0]
    return int(xp.max(active)) if active.shape[0] else 0
