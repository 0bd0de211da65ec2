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


def ialm_svt_input_deflated(M: Any, S: Any, Y: Any, L: Any, W: Any, mu: float, V: Any) -> tuple[Any, Any, Any, float]:
    """iALM's thresholding input ``X`` (``ialm_svt_input``) deflated by the orthonormal columns of ``V``
    (shape ``(n, d)``): ``(X_d, A, T, ||X_d||_F^2)`` with ``A = X V``, ``X_d = X - A V^T`` rounded to
    float32 and ``T = A^T X_d`` (from ``X_d`` before the rounding), so that
    :math:`X^TX = V A^TA V^T + V T + T^T V^T + X_d^TX_d`."""
    xp = get_namespace(M)
    X = ialm_svt_input(M, S, Y, L, W, mu)
    A = xp.matmul(X, V)
    Xd = X - xp.matmul(A, xp.matrix_transpose(V))
    return xp.astype(Xd, xp.float32), A, xp.matmul(xp.matrix_transpose(A), Xd), float(xp.sum(Xd * Xd))


def ialm_multiplier_step(M: Any, L: Any, L_prev: Any, S: Any, Y: Any, W: Any, mu: float, lam: float,
                         factors: tuple[Any, Any] | None = None) -> tuple[Any, Any, Any, float, float, float, float,
                                                                          float, Any]:
    """iALM's S-step and multiplier step: ``S+ = W*soft(M - L + Y/mu, lam/mu)``, ``Z = W*(M - L - S+)``,
    ``Y+ = Y + mu Z``, with ``L = (U s) V^T`` where ``factors = (U s, V)`` are given; returns
    ``(L, S+, Y+, ||Z||^2, ||dB||^2, ||S+||_1, <W*Y+, M>, max|W*Y+|, rows)`` with
    ``dB = S+ - S - (1-W)*(L - L_prev)``, the change of the second block, and ``rows`` the squared norms
    of the rows of ``Y+``."""
    xp = get_namespace(M)
    if factors is not None:
        L = xp.matmul(factors[0], xp.matrix_transpose(factors[1]))
    S_new = soft_threshold(M - L + Y / mu, lam / mu)
    if W is not None:
        S_new = S_new * W
    Z = M - L - S_new
    if W is not None:
        Z = Z * W
    dB = S_new - S
    if W is not None:
        dB = dB - (1.0 - W) * (L - L_prev)
    Y_new = Y + mu * Z
    Yw = Y_new if W is None else Y_new * W
    return (L, S_new, Y_new, float(xp.sum(Z * Z)), float(xp.sum(dB * dB)), float(xp.sum(xp.abs(S_new))),
            float(xp.sum(Yw * M)), float(xp.max(xp.abs(Yw))) if Yw.size else 0.0, xp.vecdot(Y_new, Y_new, axis=-1))


def _extrapolate(X: Any, X_prev: Any, beta: float) -> Any:
    return X + beta * (X - X_prev) if beta != 0.0 else X


def apg_huber_input(L: Any, L_prev: Any, M: Any, W: Any, beta: float, t_s: float) -> Any:
    r"""APG's thresholding input for the Huber form of CompressivePCP at the extrapolated point
    :math:`Y = L + \beta(L - L_{prev})`: :math:`Y - W\odot\operatorname{clip}(Y - M, -t_s, t_s)`,
    a gradient step of length 1 on :math:`\sum_{ij} W_{ij} h_{t_s}(Y_{ij} - M_{ij})`."""
    xp = get_namespace(L)
    Y = _extrapolate(L, L_prev, beta)
    G = xp.clip(Y - M, min=-t_s, max=t_s)
    return Y - (G if W is None else G * W)


def apg_huber_step(L_new: Any, L: Any, L_prev: Any, M: Any, W: Any, beta: float, lam_s: float,
                   measure: bool) -> tuple[float, float, Any, Any, float, float, float, float]:
    r"""After an APG step from ``Y = L + beta (L - L_prev)`` to ``L_new``: the restart test's
    :math:`\langle Y - L_{new}, L_{new} - L\rangle` and :math:`\|Y - L_{new}\|^2`, and with
    ``measure`` the best ``S`` for ``L_new``, ``S = W*soft(M - L_new, lam_s)``, the residual
    ``R = W*(L_new + S - M)``, :math:`\|R\|_F^2`, :math:`\|S\|_1`, :math:`\langle R, M\rangle`
    and :math:`\max|R_{ij}|` (``None, None, 0, 0, 0, 0`` otherwise)."""
    xp = get_namespace(L)
    d = _extrapolate(L, L_prev, beta) - L_new
    opp, moved = float(xp.sum(d * (L_new - L))), float(xp.sum(d * d))
    if not measure:
        return opp, moved, None, None, 0.0, 0.0, 0.0, 0.0
    S = soft_threshold(M - L_new, lam_s)
    if W is not None:
        S = S * W
    R, sq, _, mx = lowrank_residual(L_new, S, M, W)
    return opp, moved, S, R, sq, float(xp.sum(xp.abs(S))), float(xp.sum(R * M)), mx
