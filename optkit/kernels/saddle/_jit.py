"""Numba kernels of the saddle-point family: passes over the information sets of a treeplex.

Reached only through :mod:`optkit.kernels.saddle`; each has an array-API twin in ``_twin.py``.
A treeplex is given by ``parent``, ``start``, ``stop`` (see
:class:`optkit.problems._saddle_treeplex.Treeplex`): information set ``j`` owns sequences
``start[j]:stop[j]`` and hangs below sequence ``parent[j]``; information sets are in top-down
order, so a reversed loop is bottom-up. Work is done in float64 whatever the input dtype.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from .._jit import project_simplex


@numba.njit(cache=True)
def treeplex_value(c, parent, start, stop, maximize):  # pragma: no cover  (compiled)
    """:math:`\\min_{x \\in X} \\langle c, x\\rangle` (``maximize``: max) by one bottom-up pass:
    each information set adds its best action's value to its parent sequence."""
    v = c.astype(np.float64)
    for j in range(parent.size - 1, -1, -1):
        best = v[start[j]]
        for s in range(start[j] + 1, stop[j]):
            if (v[s] > best) if maximize else (v[s] < best):
                best = v[s]
        v[parent[j]] += best
    return v[0]


@numba.njit(cache=True, inline="always")
def _sequence_form(b, parent, start, stop, dtype):  # pragma: no cover  (compiled)
    """:math:`x_\\varnothing = 1`, :math:`x_{ja} = x_{p_j} b_{ja}` top-down: the sequence form of the behavioural ``b``."""
    x = np.empty(b.size, dtype=dtype)
    x[0] = 1.0
    for j in range(parent.size):
        m = x[parent[j]]
        for s in range(start[j], stop[j]):
            x[s] = m * b[s]
    return x


@numba.njit(cache=True)
def dilated_prox(x_prev, g, parent, start, stop, weights, entropic):  # pragma: no cover  (compiled)
    """:math:`\\arg\\min_{x \\in X} \\langle g, x\\rangle + D(x, x_{prev})` for the dilated Bregman divergence
    :math:`D(x, x') = \\sum_j w_j x_{p_j} d(b_j, b'_j)` (``b`` the behavioural strategies,
    ``d`` the KL divergence when ``entropic``, else half the squared Euclidean distance).

    Bottom-up, each information set solves its simplex problem with the values of the
    information sets below added to its actions and passes its optimal value up; top-down, the
    sequence form is rebuilt as :math:`x_{ja} = x_{p_j} b_{ja}`.
    """
    n = g.size
    c = g.astype(np.float64)
    b = np.ones(n)
    for j in range(parent.size - 1, -1, -1):
        s0, s1 = start[j], stop[j]
        k = s1 - s0
        mass = float(x_prev[parent[j]])
        w = weights[j]
        total = 0.0
        for s in range(s0, s1):
            total += max(float(x_prev[s]), 0.0)
        if entropic:
            zmax = -np.inf
            for s in range(s0, s1):
                prior = max(float(x_prev[s]), 0.0) / total if (mass > 0 and total > 0) else 1.0 / k
                z = math.log(max(prior, 1e-300)) - c[s] / w
                b[s] = z
                if z > zmax:
                    zmax = z
            acc = 0.0
            for s in range(s0, s1):
                e = math.exp(b[s] - zmax)
                b[s] = e
                acc += e
            for s in range(s0, s1):
                b[s] /= acc
            value = -w * (zmax + math.log(acc))
        else:
            v = np.empty(k)
            prior = np.empty(k)
            for i in range(k):
                s = s0 + i
                prior[i] = max(float(x_prev[s]), 0.0) / total if (mass > 0 and total > 0) else 1.0 / k
                v[i] = prior[i] - c[s] / w
            out = project_simplex(v, 1.0)
            value = 0.0
            for i in range(k):
                b[s0 + i] = out[i]
                d = out[i] - prior[i]
                value += c[s0 + i] * out[i] + 0.5 * w * d * d
        c[parent[j]] += value
    return _sequence_form(b, parent, start, stop, x_prev.dtype)


@numba.njit(cache=True)
def cfr_plus(loss, regret, behav, parent, start, stop):  # pragma: no cover  (compiled)
    """One CFR+ update of a minimising player from the sequence-form loss ``loss`` (``A y``).

    Bottom-up with the current behavioural strategy ``behav``: the counterfactual value of
    action ``a`` at ``j`` is :math:`q_{ja} = \\ell_{ja} + \\sum_{k \\text{ below } ja} v_k` and
    :math:`v_j = \\sum_a b_{ja} q_{ja}`; regret matching+ sets
    :math:`r_{ja} \\leftarrow [r_{ja} + v_j - q_{ja}]^+` and the new behavioural strategy
    proportional to :math:`r_j` (uniform when :math:`r_j = 0`). Returns the new
    ``(regret, behav, x)`` with ``x`` in sequence form (Tammelin 2014; Farina, Kroer &
    Sandholm 2019, regret decomposition on the treeplex).
    """
    n = loss.size
    q = loss.astype(np.float64)
    r_new = np.empty(n, dtype=regret.dtype)
    b_new = np.ones(n, dtype=behav.dtype)
    r_new[0] = 0.0
    for j in range(parent.size - 1, -1, -1):
        s0, s1 = start[j], stop[j]
        v = 0.0
        for s in range(s0, s1):
            v += behav[s] * q[s]
        acc = 0.0
        for s in range(s0, s1):
            r = regret[s] + v - q[s]
            r = r if r > 0 else 0.0
            r_new[s] = r
            acc += r
        for s in range(s0, s1):
            b_new[s] = r_new[s] / acc if acc > 0 else 1.0 / (s1 - s0)
        q[parent[j]] += v
    return r_new, b_new, _sequence_form(b_new, parent, start, stop, behav.dtype)


@numba.njit(cache=True)
def project_columns(V, s):  # pragma: no cover  (compiled)
    """Each column ``j`` of ``V`` projected onto :math:`\\{v \\ge 0, \\sum_i v_i = s_j\\}` by Michelot's
    algorithm (1986) run on all columns at once in row-major passes: the threshold of a column is
    :math:`\\tau = (\\sum_{i \\in A} v_i - s_j)/|A|` over its active set :math:`A = \\{i: v_i > \\tau\\}`,
    which only shrinks; a column is done when its active set stops changing (at most ``n`` passes,
    a few in practice), and the answer is :math:`\\max(v - \\tau, 0)`."""
    n, m = V.shape
    tau = np.empty(m)
    count = np.full(m, n)
    for j in range(m):
        tau[j] = -s[j] / n
    for i in range(n):
        for j in range(m):
            tau[j] += V[i, j] / n
    total = np.empty(m)
    active = np.empty(m, dtype=np.int64)
    changed = True
    while changed:
        total[:] = 0.0
        active[:] = 0
        for i in range(n):
            for j in range(m):
                if V[i, j] > tau[j]:
                    total[j] += V[i, j]
                    active[j] += 1
        changed = False
        for j in range(m):
            if active[j] != count[j] and active[j] > 0:   # (a column's largest entry stays active)
                changed = True
                count[j] = active[j]
                tau[j] = (total[j] - s[j]) / active[j]
    out = np.empty_like(V)
    for i in range(n):
        for j in range(m):
            out[i, j] = max(V[i, j] - tau[j], 0.0)
    return out
