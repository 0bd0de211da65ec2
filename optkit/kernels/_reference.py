"""Pure array-API twins of the Numba kernels: used on CuPy and other libraries,
and as the oracle the kernel tests compare against."""
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
    cond = (u - css / idx) > 0
    rho = int(xp.max(xp.nonzero(cond)[0]))
    theta = css[rho] / (rho + 1)
    return xp.clip(v - theta, min=0.0)


def project_l1_ball(v: Any, radius: float = 1.0) -> Any:
    """Euclidean projection of a vector onto :math:`\\{\\|x\\|_1 \\le r\\}`."""
    xp = get_namespace(v)
    if float(xp.sum(xp.abs(v))) <= radius:
        return v
    return xp.sign(v) * project_simplex(xp.abs(v), radius)


# --- robust matrix recovery (issue 4): twins of the fused kernels in _cpu.py ---------------------


def _argmax_abs(R: Any) -> tuple[int, float]:
    xp = get_namespace(R)
    flat = xp.reshape(xp.abs(R), (-1,))
    k = int(xp.argmax(flat))
    return k, float(flat[k])


def lowrank_residual(L: Any, S: Any, M: Any, W: Any = None) -> tuple[Any, float, int, float]:
    """``R = W * (L + S - M)`` with ``||R||_F^2``, the flat index of ``max |R|`` and that maximum."""
    xp = get_namespace(L)
    R = L + S - M
    if W is not None:
        R = R * W
    k, mx = _argmax_abs(R)
    return R, float(xp.sum(R * R)), k, mx


def fw_quadratic(G: Any, L: Any, S: Any, W: Any, u: Any, v: Any, c: float) -> tuple[float, ...]:
    """Inner products of the Frank-Wolfe directions ``dL = W*(c u v^T - L)``, ``dS0 = -W*S`` and ``G``:
    ``(<dL,dL>, <dL,dS0>, <dS0,dS0>, <G,dL>, <G,dS0>)``."""
    xp = get_namespace(L)
    dL = c * xp.reshape(u, (-1, 1)) * xp.reshape(v, (1, -1)) - L
    dS = -S
    if W is not None:
        dL, dS = dL * W, dS * W
    return (float(xp.sum(dL * dL)), float(xp.sum(dL * dS)), float(xp.sum(dS * dS)),
            float(xp.sum(G * dL)), float(xp.sum(G * dS)))


def fw_update(L: Any, S: Any, M: Any, W: Any, u: Any, v: Any, c: float, alpha: float, beta: float,
              i0: int, j0: int, sv: float, lam_s: float) -> tuple[Any, Any, Any, float, int, float, float]:
    """One FW-T update: ``L <- (1-a)L + a c u v^T``, ``S <- (1-b)S + sv e_{i0 j0}``, then the proximal
    step ``S <- soft(S - W*(L+S-M), lam_s)``; returns ``(L, S, G, ||G||^2, argmax|G|, max|G|, ||S||_1)``
    with ``G = W*(L+S-M)`` at the new point."""
    xp = get_namespace(L)
    m, n = L.shape
    L = (1.0 - alpha) * L + (alpha * c) * xp.reshape(u, (-1, 1)) * xp.reshape(v, (1, -1))
    S = (1.0 - beta) * S
    if sv != 0.0:
        hit = xp.reshape(xp.arange(m * n) == (i0 * n + j0), (m, n))
        S = S + xp.astype(hit, S.dtype) * sv
    R = L + S - M
    if W is not None:
        R = R * W
    S = soft_threshold(S - R, lam_s)
    G, sq, k, mx = lowrank_residual(L, S, M, W)
    return L, S, G, sq, k, mx, float(xp.sum(xp.abs(S)))


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
    cond = (u - css / idx) > 0
    rho = int(xp.max(xp.nonzero(cond)[0]))
    return float(css[rho]) / (rho + 1)


def ialm_svt_input(M: Any, S: Any, Y: Any, L: Any, W: Any, mu: float) -> Any:
    """iALM's thresholding input :math:`M - S + Y/\\mu + (1 - W)\\odot L` (the last term only with a mask)."""
    X = M - S + Y / mu
    return X if W is None else X + (1.0 - W) * L


def ialm_multiplier_step(M: Any, L: Any, L_prev: Any, S: Any, Y: Any, W: Any, mu: float,
                         lam: float) -> tuple[Any, Any, float, float, float]:
    """iALM's S-step and multiplier step: ``S+ = W*soft(M - L + Y/mu, lam/mu)``, ``Z = W*(M - L - S+)``,
    ``Y+ = Y + mu Z``; returns ``(S+, Y+, ||Z||^2, ||dB||^2, ||S+||_1)`` with
    ``dB = S+ - S - (1-W)*(L - L_prev)``, the change of the second block."""
    xp = get_namespace(M)
    S_new = soft_threshold(M - L + Y / mu, lam / mu)
    if W is not None:
        S_new = S_new * W
    Z = M - L - S_new
    if W is not None:
        Z = Z * W
    dB = S_new - S
    if W is not None:
        dB = dB - (1.0 - W) * (L - L_prev)
    return S_new, Y + mu * Z, float(xp.sum(Z * Z)), float(xp.sum(dB * dB)), float(xp.sum(xp.abs(S_new)))


def adal_singleton(Ls, Lam, W, ZE, LamE, T, mask, thr, Yprev, want_norms):
    """One ADAL averaging/multiplier step of the singleton constrained HoRPCA model (flat arrays).

    With the low-rank blocks :math:`L_k` (after thresholding), the scaled multipliers
    :math:`\\Lambda_k` (stacked, ``(K, n)``), the sparse z-block ``ZE`` and its multiplier ``LamE``:

    .. math::
        E &= \\operatorname{soft}(Z_E - \\Lambda_E, thr), \\quad V_k = L_k + \\Lambda_k,\\quad V_E = E + \\Lambda_E,\\\\
        Y &= (\\textstyle\\sum_k V_k + T - V_E)/(K+1),\\; Z_E' = T - Y \\text{ on } \\Omega;\\quad
        Y = \\textstyle\\sum_k V_k / K,\\; Z_E' = V_E \\text{ off } \\Omega,\\\\
        \\Lambda_k' &= V_k - Y,\\quad \\Lambda_E' = V_E - Z_E',\\quad W_k = Y - \\Lambda_k'.

    Returns ``(Y, ZE', LamE', Lam', W, norms)`` with ``norms`` the squared sums
    ``(primal, |u|, |z|, |z - z_prev|, |Lambda|)`` when ``want_norms`` (else zeros). ``mask``
    is ``None`` or a boolean array; ``W`` is ignored (the Numba kernel fills it in place).
    """
    xp = get_namespace(T)
    K = Lam.shape[0]
    E = soft_threshold(ZE - LamE, thr)
    VE = E + LamE
    V = xp.stack([Ls[k] + Lam[k, ...] for k in range(K)])
    S = xp.sum(V, axis=0)
    Y = (S + T - VE) / (K + 1)
    ZE_new = T - Y
    if mask is not None:
        Y = xp.where(mask, Y, S / K)
        ZE_new = xp.where(mask, ZE_new, VE)
    Lam_new = V - Y
    LamE_new = VE - ZE_new
    W_new = Y - Lam_new
    norms = (0.0, 0.0, 0.0, 0.0, 0.0)
    if want_norms:
        def sq(a):
            return float(xp.sum(a * a))
        Ls_stack = xp.stack(list(Ls))
        norms = (sq(Ls_stack - Y) + sq(E - ZE_new), sq(Ls_stack) + sq(E), K * sq(Y) + sq(ZE_new),
                 K * sq(Y - Yprev) + sq(ZE_new - ZE), sq(Lam_new) + sq(LamE_new))
    return Y, ZE_new, LamE_new, Lam_new, W_new, norms
