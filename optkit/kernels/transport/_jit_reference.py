r"""The reference kernel of SNS's compiled Newton stage: the plan's exponentials factorised through a kernel made
at nearby potentials (for :mod:`._jit_sns`; NumPy float64 only).

:math:`P_{ij} = e^{(f_i - f^0_i)/\mathrm{reg}} K^0_{ij} e^{(g_j - g^0_j)/\mathrm{reg}}` costs n + m exponentials
a pass instead of n m while the potentials stay within ``REF_SPAN`` reg of the reference's (see :func:`gibbs_pass`).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from ._jit import gibbs_marginals_serial, gibbs_serial

REF_SPAN = 100.0  # largest |shift| of either potential, over reg, from the reference kernel's
UNCLIPPED = math.exp(300.0 - 2.0 * REF_SPAN)  # a reference kernel's entries must stay below (gibbs clips at e^300)


@numba.njit(cache=True)
def _factors(f, g, f0, g0, inv, ef, eg):  # pragma: no cover  (compiled)
    r"""Whether the plan at ``(f, g)`` factorises through a reference kernel at ``(f0, g0)`` (see
    :func:`gibbs_pass`); if so ``ef``, ``eg`` receive the factors
    :math:`e^{(f - f^0)/\mathrm{reg} - s}` and :math:`e^{(g - g^0)/\mathrm{reg} + s}` (``inv = 1/reg``), with the
    gauge shift ``s`` that centres the two."""
    lf, hf, lg, hg = np.inf, -np.inf, np.inf, -np.inf
    for i in range(f.size):
        d = (f[i] - f0[i]) * inv
        ef[i] = d
        lf, hf = min(lf, d), max(hf, d)
    for j in range(g.size):
        d = (g[j] - g0[j]) * inv
        eg[j] = d
        lg, hg = min(lg, d), max(hg, d)
    sh = 0.25 * (lf + hf - lg - hg)  # (f - t, g + t) centred: the same plan
    if not (max(hf - sh, sh - lf) <= REF_SPAN and max(hg + sh, -sh - lg) <= REF_SPAN):
        return False
    for i in range(f.size):
        ef[i] = math.exp(ef[i] - sh)
    for j in range(g.size):
        eg[j] = math.exp(eg[j] + sh)
    return True


@numba.njit(cache=True)
def gibbs_plan(C, f, g, reg, cutoff, K0, f0, g0, ref_reg):  # pragma: no cover  (compiled)
    """The plan ``gibbs(C, f, g, reg, cutoff)`` (entries with exponent <= ``cutoff`` zero), factorised through the
    reference kernel ``K0`` at ``(f0, g0)`` made at ``ref_reg`` where :func:`gibbs_pass` would, with exact
    exponentials otherwise. Changes nothing: the plan a compiled SNS run returns (100 x 100: 10^4
    exponentials become 200)."""
    n, m = C.shape
    inv = 1.0 / reg
    P = np.zeros((n, m))
    ef = np.empty(n)
    eg = np.empty(m)
    ok = ref_reg == reg and K0.shape[0] == n and K0.shape[1] == m and _factors(f, g, f0, g0, inv, ef, eg)
    for i in range(n):
        fi = f[i]
        for j in range(m):
            z = (fi + g[j] - C[i, j]) * inv
            if z > cutoff:
                P[i, j] = ef[i] * K0[i, j] * eg[j] if ok else math.exp(min(z, 300.0))
    return P


@numba.njit(cache=True)
def reference_fits(K0, n, m, cutoff):  # pragma: no cover  (compiled)
    """Whether a reference kernel can be kept in ``K0`` (see :func:`gibbs_pass`): it is ``(n, m)`` and the low
    end of its span, ``cutoff - 2 REF_SPAN``, stays in the normal range."""
    return K0.shape[0] == n and K0.shape[1] == m and cutoff - 2.0 * REF_SPAN > -700.0


@numba.njit(cache=True)
def gibbs_pass(C, f, g, reg, cutoff, log_thr, plan, ref):  # pragma: no cover  (compiled)
    r"""``gibbs_marginals_serial(C, f, g, reg, cutoff, 1, log_thr, plan)``: the same row and column sums, row
    counts and kept plan entries, with the exponentials of the plan factorised through a reference kernel.

    ``ref = (K0, f0, g0, fst)`` holds :math:`K^0_{ij} = e^{(f^0_i + g^0_j - C_{ij})/\mathrm{reg}}` at reference
    potentials ``(f0, g0)`` whose reg is ``fst[3]`` (0: none). Where the shifts :math:`(f - f^0)/\mathrm{reg}`
    and :math:`(g - g^0)/\mathrm{reg}`, balanced by the gauge, stay within ``±REF_SPAN``,
    :math:`P_{ij} = e^{(f_i - f^0_i)/\mathrm{reg} - s}\,K^0_{ij}\,e^{(g_j - g^0_j)/\mathrm{reg} + s}`: n + m
    exponentials and two products per entry instead of n m exponentials (a 30 x 30 pass: 7 -> 3 us, 100 x 100:
    137 -> 24 us). Which entries count (the cutoff, the per-row thresholds) is decided on the exponent
    :math:`(f_i + g_j - C_{ij})/\mathrm{reg}` as in ``gibbs_marginals``; the values agree to a few rounding
    units. Otherwise the reference is remade at ``(f, g)``: :math:`K^0` gets every entry whose exponent exceeds
    ``cutoff - 2 REF_SPAN`` (an entry below that stays below the cutoff within the span) and the pass reads
    its entries, exactly ``gibbs_marginals``'s; no reference is kept (an exact pass instead) where an entry
    exceeds :math:`e^{300 - 2\,\mathrm{span}}` (``gibbs`` clips exponents at 300), where the low end would
    leave the normal range, or where ``K0`` is not ``(n, m)``.
    """
    K0, f0, g0, fst = ref
    n, m = C.shape
    inv = 1.0 / reg
    ef = np.empty(n)
    eg = np.empty(m)
    if not (fst[3] == reg and _factors(f, g, f0, g0, inv, ef, eg)):
        if not reference_fits(K0, n, m, cutoff):  # no reference to make (CG runs pass none)
            return gibbs_marginals_serial(C, f, g, reg, cutoff, 1, log_thr, plan, np.empty((0, 0)), ef, eg)
        K0[:, :] = gibbs_serial(C, f, g, reg, cutoff - 2.0 * REF_SPAN)
        if np.max(K0) > UNCLIPPED:  # clipped entries: no reference
            fst[3] = 0.0
            return gibbs_marginals_serial(C, f, g, reg, cutoff, 1, log_thr, plan, np.empty((0, 0)), ef, eg)
        f0[:] = f
        g0[:] = g
        fst[3] = reg
        ef[:] = 1.0  # the pass through the new reference: its entries exactly
        eg[:] = 1.0
    return gibbs_marginals_serial(C, f, g, reg, cutoff, 1, log_thr, plan, K0, ef, eg)
