"""Array-API twin of the robust tensor recovery kernel in ``_jit.py``."""
from __future__ import annotations

from ...backend import get_namespace
from .._twin import soft_threshold


def adal_singleton(Ls, Lam, W, ZE, LamE, T, mask, thr, Yprev, want_norms, scale=1.0):
    """One ADAL averaging/multiplier step of the singleton constrained HoRPCA model (flat arrays).

    With the low-rank blocks :math:`L_k` (after thresholding), the scaled multipliers
    :math:`\\Lambda_k` (stacked, ``(K, n)``), the sparse z-block ``ZE`` and its multiplier ``LamE``:

    .. math::
        E &= \\operatorname{soft}(Z_E - \\Lambda_E, thr), \\quad V_k = L_k + \\Lambda_k,\\quad V_E = E + \\Lambda_E,\\\\
        Y &= (\\textstyle\\sum_k V_k + T - V_E)/(K+1),\\; Z_E' = T - Y \\text{ on } \\Omega;\\quad
        Y = \\textstyle\\sum_k V_k / K,\\; Z_E' = V_E \\text{ off } \\Omega,\\\\
        \\Lambda_k' &= V_k - Y,\\quad \\Lambda_E' = V_E - Z_E',\\quad W_k = Y - \\Lambda_k'.

    With ``scale`` :math:`= c \\ne 1` (a change of the penalty, :math:`\\mu \\to c\\mu`, right after the
    step) the scaled multipliers are returned as :math:`c\\Lambda_k'`, :math:`c\\Lambda_E'` and
    :math:`W_k = Y - c\\Lambda_k'`. Returns ``(Y, ZE', LamE', Lam', W, norms)`` with ``norms`` the
    squared sums ``(primal, |u|, |z|, |z - z_prev|, |Lambda|)`` (``Lambda`` before the scaling) when
    ``want_norms`` (else zeros). ``mask``
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
    norms = (0.0, 0.0, 0.0, 0.0, 0.0)
    if want_norms:
        def sq(a):
            return float(xp.sum(a * a))
        Ls_stack = xp.stack(list(Ls))
        norms = (sq(Ls_stack - Y) + sq(E - ZE_new), sq(Ls_stack) + sq(E), K * sq(Y) + sq(ZE_new),
                 K * sq(Y - Yprev) + sq(ZE_new - ZE), sq(Lam_new) + sq(LamE_new))
    if scale != 1.0:
        Lam_new, LamE_new = Lam_new * scale, LamE_new * scale
    return Y, ZE_new, LamE_new, Lam_new, Y - Lam_new, norms
