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
def _piecewise(T, V, lo, k, slope, t):  # pragma: no cover  (compiled)
    """The continuous piecewise-linear function with knots ``(T[lo:lo+k], V[lo:lo+k])`` (``T`` increasing)
    and slope ``slope`` after the last knot, at ``t >= T[lo]`` (swap ``T`` and ``V`` for its inverse)."""
    last = lo + k - 1
    if t >= T[last]:
        return V[last] + slope * (t - T[last])
    a, b = lo, last
    while b - a > 1:
        m = (a + b) // 2
        if T[m] <= t:
            a = m
        else:
            b = m
    return V[a] + (t - T[a]) / (T[b] - T[a]) * (V[b] - V[a])


@numba.njit(cache=True)
def _sweep_add(T, V, lo, k, slope, q, m, out, clip):  # pragma: no cover  (compiled)
    """``out[i] += f(q[i])`` for the increasing points ``q[:m]`` and the piecewise-linear ``f`` of
    :func:`_piecewise`, by one sweep; with ``clip``, ``f`` is 0 at and below ``T[lo]``."""
    last = lo + k - 1
    p = lo
    for i in range(m):
        t = q[i]
        if t <= T[lo]:
            if not clip:
                out[i] += V[lo]
            continue
        while p < last and T[p + 1] <= t:
            p += 1
        if p == last:
            out[i] += V[last] + slope * (t - T[last])
        else:
            out[i] += V[p] + (t - T[p]) / (T[p + 1] - T[p]) * (V[p + 1] - V[p])


@numba.njit(cache=True)
def _sorted_unique(buf, m):  # pragma: no cover  (compiled)
    """Sort ``buf[:m]`` in place and drop repeats; returns the new length."""
    head = buf[:m]
    head.sort()
    u = 0
    for i in range(m):
        if i == 0 or head[i] != head[u - 1]:
            head[u] = head[i]
            u += 1
    return u


@numba.njit(cache=True)
def treeplex_projection(z, d, parent, start, stop):  # pragma: no cover  (compiled)
    """:math:`\\arg\\min_{x \\in X} \\sum_s d_s (x_s - z_s)^2`: the projection of ``z`` onto the treeplex in
    the diagonal metric ``d > 0``.

    Bottom-up, each sequence ``a`` gets the derivative of its cost as a function of its own mass,
    :math:`F_a'(t) = d_a(t - z_a) + \\sum_{c \\text{ below } a} \\lambda_c(t)`, and each information set
    ``j`` the derivative :math:`\\lambda_j(t)` of its optimal cost at parent mass ``t``: the multiplier at
    which :math:`\\sum_{a \\in A_j} \\max(0, (F_a')^{-1}(\\lambda)) = t`. Both are continuous, increasing
    and piecewise linear, kept as knots (a sequence's knots are at most its subtree's size). Top-down,
    :math:`x_{ja} = \\max(0, (F_{ja}')^{-1}(\\lambda_j(x_{p_j})))`, rescaled to sum to :math:`x_{p_j}`
    exactly (the piecewise-linear value-function method of Gilpin, Pena & Sandholm, Math. Program.
    133 (2012), for the projection onto a treeplex, with a diagonal metric).
    """
    n, J = z.size, parent.size
    first = np.zeros(n + 1, np.int64)           # child information sets of each sequence (CSR)
    for j in range(J):
        first[parent[j] + 1] += 1
    for s in range(n):
        first[s + 1] += first[s]
    kids = np.empty(J, np.int64)
    fill = first[:-1].copy()
    for j in range(J):
        kids[fill[parent[j]]] = j
        fill[parent[j]] += 1
    size = np.ones(n, np.int64)                 # sequences in each sequence's subtree: a bound on its knots
    total = 0
    for j in range(J - 1, -1, -1):
        for s in range(start[j], stop[j]):
            size[parent[j]] += size[s]
            total += 2 * size[s]
    T, V = np.empty(total), np.empty(total)
    offF, kF, sF = np.zeros(n, np.int64), np.zeros(n, np.int64), np.ones(n)
    offL, kL, sL = np.zeros(J, np.int64), np.zeros(J, np.int64), np.ones(J)
    buf = np.empty(n + 1)
    pos = 0
    for j in range(J - 1, -1, -1):
        inv = 0.0
        for a in range(start[j], stop[j]):
            buf[0], cnt, slope = 0.0, 1, float(d[a])
            for q in range(first[a], first[a + 1]):
                c = kids[q]
                for i in range(offL[c], offL[c] + kL[c]):
                    buf[cnt] = T[i]
                    cnt += 1
                slope += sL[c]
            m = _sorted_unique(buf, cnt)
            offF[a], kF[a], sF[a] = pos, m, slope
            for i in range(m):
                T[pos + i] = buf[i]
                V[pos + i] = d[a] * (buf[i] - z[a])
            for q in range(first[a], first[a + 1]):
                c = kids[q]
                _sweep_add(T, V, offL[c], kL[c], sL[c], T[pos:pos + m], m, V[pos:pos + m], False)
            pos += m
            inv += 1.0 / slope
        cnt = 0
        for a in range(start[j], stop[j]):
            for i in range(offF[a], offF[a] + kF[a]):
                buf[cnt] = V[i]
                cnt += 1
        m = _sorted_unique(buf, cnt)
        offL[j], kL[j], sL[j] = pos, m, 1.0 / inv
        for i in range(m):
            V[pos + i] = buf[i]
            T[pos + i] = 0.0
        for a in range(start[j], stop[j]):
            _sweep_add(V, T, offF[a], kF[a], 1.0 / sF[a], V[pos:pos + m], m, T[pos:pos + m], True)
        T[pos] = 0.0                            # the smallest multiplier leaves every action at 0
        pos += m
    x = np.empty(n, dtype=z.dtype)
    x[0] = 1.0
    for j in range(J):
        t = float(x[parent[j]])
        lam = _piecewise(T, V, offL[j], kL[j], sL[j], t) if t > 0 else -np.inf
        acc = 0.0
        for a in range(start[j], stop[j]):
            v = _piecewise(V, T, offF[a], kF[a], 1.0 / sF[a], lam) if lam > V[offF[a]] else 0.0
            buf[a - start[j]] = v
            acc += v
        for a in range(start[j], stop[j]):
            x[a] = buf[a - start[j]] * (t / acc) if acc > 0 else 0.0
    return x


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


@numba.njit(cache=True, inline="always")
def _thresholds(W, s, th, cold, count):  # pragma: no cover  (compiled)
    """The thresholds of the column projections of ``W`` onto :math:`\\{v \\ge 0, \\sum_i v_i = s_j\\}`, in place
    in ``th`` from its entries: Newton's method on :math:`f(\\tau) = \\sum_i \\max(w_{ij} - \\tau, 0) - s_j`,
    :math:`\\tau \\leftarrow (\\sum_{i \\in A} w_{ij} - s_j)/|A|` over :math:`A = \\{i: w_{ij} > \\tau\\}`, all columns
    at once in row-major passes (they vectorise over the columns). ``count``: the active counts the starts
    stand for (``n`` at the mean start, ``-1`` unknown); a column ends when a pass leaves its count unchanged;
    one without an entry above its threshold goes to ``cold`` (:math:`(\\sum_i w_{ij} - s_j)/n`, left of the
    root)."""
    n, m = W.shape
    total = np.empty(m)
    active = np.empty(m, dtype=np.int64)
    changed = True
    while changed:
        total[:] = 0.0
        active[:] = 0
        for i in range(n):
            for j in range(m):
                w = W[i, j]
                if w > th[j]:
                    total[j] += w
                    active[j] += 1
        changed = False
        for j in range(m):
            if active[j] == 0:                # a start at or above the column's largest entry
                if count[j] != n:
                    changed = True
                    count[j] = n
                    th[j] = cold[j]
            elif active[j] != count[j]:
                changed = True
                count[j] = active[j]
                th[j] = (total[j] - s[j]) / active[j]


@numba.njit(cache=True)
def project_columns(V, s):  # pragma: no cover  (compiled)
    """Each column ``j`` of ``V`` projected onto :math:`\\{v \\ge 0, \\sum_i v_i = s_j\\}` by Michelot's
    algorithm (1986) run on all columns at once in row-major passes: the threshold of a column is
    :math:`\\tau = (\\sum_{i \\in A} v_i - s_j)/|A|` over its active set :math:`A = \\{i: v_i > \\tau\\}`,
    which only shrinks; a column is done when its active set stops changing (at most ``n`` passes,
    a few in practice), and the answer is :math:`\\max(v - \\tau, 0)`."""
    n, m = V.shape
    tau = np.empty(m)
    for j in range(m):
        tau[j] = -s[j] / n
    for i in range(n):
        for j in range(m):
            tau[j] += V[i, j] / n
    _thresholds(V, s, tau, tau.copy(), np.full(m, n))
    out = np.empty_like(V)
    for i in range(n):
        for j in range(m):
            out[i, j] = max(V[i, j] - tau[j], 0.0)
    return out


@numba.njit(cache=True)
def market_primal(X, V, beta, s, step, tau):  # pragma: no cover  (compiled)
    """The allocation half of a PDHG step on a Fisher market in one kernel:
    :math:`X^+ = \\Pi(X + \\text{step}\\,\\beta_i v_{ij})` column by column onto
    :math:`\\{x \\ge 0, \\sum_i x_{ij} = s_j\\}`, with the utilities :math:`u_i = \\sum_j v_{ij}X^+_{ij}`
    (so :math:`KX^+ = -u`) and :math:`\\tfrac12\\|X^+ - X\\|^2`, without forming :math:`K^T\\beta` or the
    step's temporaries. Returns ``(X+, u, dist, thresholds)``.

    The threshold :math:`\\tau_j` of column ``j`` (:math:`X^+_{ij} = \\max(w_{ij} - \\tau_j, 0)`) is the root
    of the convex, decreasing :math:`f(\\tau) = \\sum_i \\max(w_{ij} - \\tau, 0) - s_j`, found by Newton's
    method, :math:`\\tau \\leftarrow (\\sum_{i \\in A} w_{ij} - s_j)/|A|` over :math:`A = \\{i: w_{ij} > \\tau\\}`
    (Michelot's algorithm when started left of the root), all columns at once in row-major passes (they
    vectorise over the goods; a column at a time, contiguous, ran 5 times slower). It starts from ``tau``
    (the previous step's thresholds, a warm start: about 6 passes instead of 10 on a 200 x 400 market;
    fusing the first with forming :math:`X + \\text{step}\\,\\beta_i v_{ij}` gained nothing measurable): a
    start right of the root lands left of it after one step (convexity), and
    from the left the active sets only shrink, so an unchanged count means an unchanged set and the
    root; a column with no entry above its start restarts from :math:`(\\sum_i w_{ij} - s_j)/n`, left
    of the root. ``tau`` with non-finite entries starts there too."""
    n, m = X.shape
    out = np.empty_like(X)
    cold = np.empty(m)
    for j in range(m):
        cold[j] = -s[j]
    for i in range(n):
        t = step * beta[i]
        for j in range(m):
            w = X[i, j] + t * V[i, j]
            out[i, j] = w
            cold[j] += w
    th = np.empty(m)
    for j in range(m):
        cold[j] /= n
        th[j] = tau[j] if np.isfinite(tau[j]) else cold[j]
    _thresholds(out, s, th, cold, np.full(m, -1))
    u = np.zeros(n)
    dist = 0.0
    for i in range(n):
        acc = 0.0
        for j in range(m):
            w = out[i, j] - th[j]
            w = w if w > 0.0 else 0.0
            out[i, j] = w
            acc += V[i, j] * w
            d = w - X[i, j]
            dist += d * d
        u[i] = acc
    return out, u.astype(X.dtype), 0.5 * dist, th


@numba.njit(cache=True)
def market_beta(p, VT):  # pragma: no cover  (compiled)
    """:math:`\\beta_i = \\min_{j: v_{ij} > 0} p_j / v_{ij}` (``inf`` for a row without positive valuations), from
    the transposed valuations ``VT`` (goods x buyers, C-contiguous): the inner loop runs over buyers, elementwise
    (it vectorises; a per-buyer minimum over goods is a reduction with a branch, and took about 3 times longer)."""
    m, n = VT.shape
    out = np.full(n, np.inf)
    for j in range(m):
        pj = p[j]
        for i in range(n):
            v = VT[j, i]
            r = pj / v if v > 0 else np.inf
            out[i] = r if r < out[i] else out[i]
    return out.astype(p.dtype)


@numba.njit(cache=True)
def market_prices(beta, V):  # pragma: no cover  (compiled)
    """:math:`p_j = \\max_i \\beta_i v_{ij}`."""
    n, m = V.shape
    out = np.full(m, -np.inf)
    for i in range(n):
        b = beta[i]
        for j in range(m):
            v = b * V[i, j]
            if v > out[j]:
                out[j] = v
    return out.astype(V.dtype)


@numba.njit(cache=True)
def market_utilities(X, V, s):  # pragma: no cover  (compiled)
    """:math:`u_i = \\sum_j v_{ij} \\hat x_{ij}` of the feasible allocation :math:`\\hat x_{ij} = x^+_{ij}
    \\min(1, s_j / \\sum_k x^+_{kj})` (:math:`x^+ = \\max(x, 0)`), without forming :math:`\\hat x`."""
    n, m = X.shape
    scale = np.zeros(m)
    for i in range(n):
        for j in range(m):
            if X[i, j] > 0:
                scale[j] += X[i, j]
    for j in range(m):
        scale[j] = min(s[j] / scale[j], 1.0) if scale[j] > 0 else 1.0
    u = np.empty(n, dtype=X.dtype)
    for i in range(n):
        acc = 0.0
        for j in range(m):
            if X[i, j] > 0:
                acc += V[i, j] * (X[i, j] * scale[j])
        u[i] = acc
    return u


@numba.njit(cache=True)
def lerp(a, b, r):  # pragma: no cover  (compiled)
    """:math:`a + r(b - a)` in one pass (any shape, C-contiguous)."""
    fa, fb = a.ravel(), b.ravel()
    out = np.empty_like(fa)
    for k in range(fa.size):
        out[k] = fa[k] + r * (fb[k] - fa[k])
    return out.reshape(a.shape)


@numba.njit(cache=True)
def market_dual(y, Kx, Kx_prev, step, B):  # pragma: no cover  (compiled)
    """The dual half of a PDHG step on a Fisher market: :math:`\\beta^+ = \\operatorname{prox}(\\beta +
    \\text{step}(2Kx - Kx_{prev}))` for :math:`-\\sum_i B_i\\log\\beta_i`, i.e. :math:`(z + \\sqrt{z^2 + 4\\,
    \\text{step}\\,B})/2` (as :math:`2\\,\\text{step}\\,B/(\\sqrt{z^2 + 4\\,\\text{step}\\,B} - z)` for :math:`z < 0`),
    with :math:`\\langle Kx - Kx_{prev}, \\beta^+ - \\beta\\rangle` and :math:`\\tfrac12\\|\\beta^+ - \\beta\\|^2`."""
    n = y.size
    out = np.empty_like(y)
    coupling = 0.0
    dist = 0.0
    for i in range(n):
        z = y[i] + step * (2.0 * Kx[i] - Kx_prev[i])
        c = 4.0 * step * B[i]
        root = math.sqrt(z * z + c)
        v = 0.5 * (z + root) if z >= 0 else 0.5 * c / (root - z)
        out[i] = v
        d = v - y[i]
        coupling += (Kx[i] - Kx_prev[i]) * d
        dist += d * d
    return out, coupling, 0.5 * dist
