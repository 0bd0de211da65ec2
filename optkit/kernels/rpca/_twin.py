"""Array-API twins of the robust matrix recovery kernels in ``_jit.py``."""
from __future__ import annotations

from typing import Any

from ...backend import get_namespace
from .._twin import soft_threshold


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
    step ``S <- soft(S - W*(L+S-M), lam_s)`` (without a mask: ``soft(M - L, lam_s)``, the same
    value, which the old ``S`` does not enter); returns ``(L, S, G, ||G||^2, argmax|G|, max|G|, ||S||_1, <G, M>)``
    with ``G = W*(L+S-M)`` at the new point."""
    xp = get_namespace(L)
    m, n = L.shape
    L = (1.0 - alpha) * L + (alpha * c) * xp.reshape(u, (-1, 1)) * xp.reshape(v, (1, -1))
    if W is None:
        # S - (L + S - M) = M - L whatever the sparse step: the old S drops out
        S = soft_threshold(M - L, lam_s)
    else:
        S = (1.0 - beta) * S
        if sv != 0.0:
            hit = xp.reshape(xp.arange(m * n) == (i0 * n + j0), (m, n))
            S = S + xp.astype(hit, S.dtype) * sv
        S = soft_threshold(S - (L + S - M) * W, lam_s)
    G, sq, k, mx = lowrank_residual(L, S, M, W)
    return L, S, G, sq, k, mx, float(xp.sum(xp.abs(S))), float(xp.sum(G * M))


def fw_residual(L: Any, M: Any, u: Any, v: Any, c: float, alpha: float, lam_s: float) -> Any:
    """The residual ``G = L' + S' - M`` after an FW-T step without a mask, where ``L' = (1-a)L + a c u v^T``
    and the proximal step gives ``S' = soft(M - L', lam_s)`` (``fw_update``'s ``G`` without its other
    outputs)."""
    xp = get_namespace(L)
    L = (1.0 - alpha) * L + (alpha * c) * xp.reshape(u, (-1, 1)) * xp.reshape(v, (1, -1))
    return L + soft_threshold(M - L, lam_s) - M


def fw_prox(L: Any, M: Any, lam_s: float, low: bool = False, low_scale: float = 1.0) -> tuple:
    """The proximal step alone without a mask: ``S = soft(M - L, lam_s)``, ``G = L + S - M``; returns
    ``(S, G, ||G||^2, argmax|G|, max|G|, ||S||_1, <G, M>, quad, G_low)`` with
    ``quad = (<L,L>, <L,S>, <S,S>, <G,L>, <G,S>)``, the next line search's sums (``FWT._quadratic``),
    and ``G_low`` = ``low_scale G`` in float32 with ``low`` (else ``None``)."""
    xp = get_namespace(L)
    S = soft_threshold(M - L, lam_s)
    G, sq, k, mx = lowrank_residual(L, S, M)
    quad = tuple(float(xp.sum(a * b)) for a, b in ((L, L), (L, S), (S, S), (G, L), (G, S)))
    G_low = xp.astype(G * low_scale, xp.float32) if low else None
    return S, G, sq, k, mx, float(xp.sum(xp.abs(S))), float(xp.sum(G * M)), quad, G_low


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


def _extrapolate(X: Any, X_prev: Any, beta: float) -> Any:
    return X + beta * (X - X_prev) if beta != 0.0 else X


def apg_prox_input(L: Any, L_prev: Any, S: Any, S_prev: Any, M: Any, W: Any, beta: float,
                   t_s: float) -> tuple[Any, Any]:
    """APG's proximal inputs at the extrapolated point :math:`Y = X + \beta(X - X_{prev})`:
    ``(Y_L - R/2, soft(Y_S - R/2, t_s))`` with ``R = W*(Y_L + Y_S - M)``."""
    YL, YS = _extrapolate(L, L_prev, beta), _extrapolate(S, S_prev, beta)
    R = YL + YS - M
    if W is not None:
        R = R * W
    return YL - 0.5 * R, soft_threshold(YS - 0.5 * R, t_s)


def apg_step_measures(L_new: Any, L: Any, L_prev: Any, S_new: Any, S: Any, S_prev: Any, M: Any, W: Any,
                      beta: float, residual: bool) -> tuple[float, float, float, Any, float, int, float]:
    r"""After an APG step from ``Y = X + beta (X - X_prev)`` to ``X_new``: the restart test's
    :math:`\langle Y - X_{new}, X_{new} - X\rangle`, :math:`\|Y - X_{new}\|^2` and
    :math:`\|S_{new}\|_1` over both blocks, and with ``residual`` the residual
    ``W*(L_new + S_new - M)``, its squared norm, the flat index of its largest magnitude and that
    magnitude (``None, 0.0, 0, 0.0`` otherwise)."""
    xp = get_namespace(L)
    dL = _extrapolate(L, L_prev, beta) - L_new
    dS = _extrapolate(S, S_prev, beta) - S_new
    opp = float(xp.sum(dL * (L_new - L))) + float(xp.sum(dS * (S_new - S)))
    moved = float(xp.sum(dL * dL)) + float(xp.sum(dS * dS))
    l1 = float(xp.sum(xp.abs(S_new)))
    if not residual:
        return opp, moved, l1, None, 0.0, 0, 0.0
    R, sq, k, mx = lowrank_residual(L_new, S_new, M, W)
    return opp, moved, l1, R, sq, k, mx
