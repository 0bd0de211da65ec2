"""Array-API twins of the treeplex kernels in ``_jit.py``: used on CuPy and other libraries, and as
the oracle the kernel tests compare against.

The Numba kernels loop over information sets one by one; the twins process one depth level
of the treeplex at a time with gathers on padded tables (:class:`~optkit.problems._saddle_treeplex.Levels`),
so a game of depth ``D`` costs ``O(D)`` array operations whatever its size. The array API has
no scatter-add; values are sent up to parent sequences by a second gather.
"""
from __future__ import annotations

from typing import Any

from ...backend import get_namespace


def _ext(xp: Any, v: Any, fill: float = 0.0) -> Any:
    """``v`` with one dummy entry appended (the padding slot of every table)."""
    return xp.concat([v, xp.full((1,), fill, dtype=v.dtype)])


def _gather(xp: Any, v_ext: Any, table: Any) -> Any:
    """``v_ext[table]`` for a 2-d index table."""
    return xp.reshape(xp.take(v_ext, xp.reshape(table, (-1,))), table.shape)


def _up(xp: Any, lv: Any, d: int, values: Any) -> Any:
    """The sum of ``values`` (one per information set of level ``d``) into each parent sequence, length n + 1."""
    per_parent = xp.sum(_gather(xp, _ext(xp, values), lv.kids[d]), axis=1)
    return xp.take(_ext(xp, per_parent), lv.to_parent[d])


def _scatter(xp: Any, lv: Any, d: int, table: Any, full: Any) -> Any:
    """``full`` (length n) with the entries of level ``d`` replaced by the padded ``table``."""
    level = xp.take(_ext(xp, xp.reshape(table, (-1,))), lv.flat[d])[:-1]
    return xp.where(lv.depth == d, level, full)


def _top_down(xp: Any, lv: Any, b: Any) -> Any:
    """The sequence form :math:`x_{ja} = x_{p_j} b_{ja}` of the behavioural strategy ``b``."""
    x = xp.astype(xp.arange(lv.n) == 0, b.dtype)
    for d in range(len(lv.seq)):
        x = xp.where(lv.depth == d, b * xp.take(x, lv.owner_parent), x)
    return x


def treeplex_value(c: Any, levels: Any, maximize: bool) -> float:
    """:math:`\\min_{x \\in X}\\langle c, x\\rangle` (``maximize``: max), level by level from the bottom."""
    xp = get_namespace(c)
    v = _ext(xp, c)
    fill = -float("inf") if maximize else float("inf")
    for d in reversed(range(len(levels.seq))):
        vals = xp.where(levels.valid[d], _gather(xp, v, levels.seq[d]), fill)
        best = xp.max(vals, axis=1) if maximize else xp.min(vals, axis=1)
        v = v + _up(xp, levels, d, best)
    return float(v[0])


def _project_rows(xp: Any, v: Any, valid: Any) -> Any:
    """Row-wise Euclidean projection onto the unit simplex of the valid entries of ``v`` (0 elsewhere);
    the threshold is :math:`\\max_k (\\sum_{i \\le k} u_{(i)} - 1)/k` over the sorted valid entries."""
    u = xp.sort(xp.where(valid, v, -float("inf")), axis=1, descending=True)
    ok = xp.isfinite(u)
    css = xp.cumulative_sum(xp.where(ok, u, 0.0), axis=1)
    k = xp.astype(xp.arange(1, v.shape[1] + 1), v.dtype)
    theta = xp.max(xp.where(ok, (css - 1.0) / k, -float("inf")), axis=1)
    return xp.where(valid, xp.clip(v - theta[:, None], min=0.0), 0.0)


def dilated_prox(x_prev: Any, g: Any, levels: Any, weights: Any, entropic: bool) -> Any:
    """:math:`\\arg\\min_{x \\in X}\\langle g, x\\rangle + D(x, x_{prev})` for the dilated entropy
    (``entropic``) or dilated Euclidean divergence with information-set weights ``weights``."""
    xp = get_namespace(x_prev, g)
    dt = g.dtype
    c = _ext(xp, g)
    xe = _ext(xp, xp.astype(x_prev, dt))
    b = xp.ones((levels.n,), dtype=dt)
    for d in reversed(range(len(levels.seq))):
        M = levels.valid[d]
        mass = xp.take(xe, levels.parent[d])
        xs = xp.where(M, xp.clip(_gather(xp, xe, levels.seq[d]), min=0.0), 0.0)
        total = xp.sum(xs, axis=1)
        count = xp.sum(xp.astype(M, dt), axis=1)
        ok = (mass > 0) & (total > 0)
        prior = xp.where(ok[:, None], xs / xp.where(total > 0, total, 1.0)[:, None], 1.0 / count[:, None])
        prior = xp.where(M, prior, 0.0)
        cc = xp.where(M, _gather(xp, c, levels.seq[d]), 0.0)
        w = xp.take(weights, levels.members[d])
        if entropic:
            tiny = float(xp.finfo(dt).smallest_normal)
            z = xp.where(M, xp.log(xp.clip(prior, min=tiny)) - cc / w[:, None], -float("inf"))
            zmax = xp.max(z, axis=1)
            e = xp.where(M, xp.exp(z - zmax[:, None]), 0.0)
            acc = xp.sum(e, axis=1)
            bb = e / acc[:, None]
            value = -w * (zmax + xp.log(acc))
        else:
            bb = _project_rows(xp, prior - cc / w[:, None], M)
            value = xp.sum(cc * bb, axis=1) + 0.5 * w * xp.sum((bb - prior) ** 2, axis=1)
        b = _scatter(xp, levels, d, bb, b)
        c = c + _up(xp, levels, d, value)
    return xp.astype(_top_down(xp, levels, b), x_prev.dtype)


def cfr_plus(loss: Any, regret: Any, behav: Any, levels: Any) -> tuple[Any, Any, Any]:
    """One CFR+ update of a minimising player (see ``_jit.cfr_plus``): ``(regret, behav, x)``."""
    xp = get_namespace(loss, regret, behav)
    dt = behav.dtype
    q = _ext(xp, xp.astype(loss, dt))
    re, be = _ext(xp, regret), _ext(xp, behav)
    r_new = xp.zeros((levels.n,), dtype=dt)
    b_new = xp.ones((levels.n,), dtype=dt)
    for d in reversed(range(len(levels.seq))):
        M = levels.valid[d]
        qq = _gather(xp, q, levels.seq[d])
        v = xp.sum(xp.where(M, _gather(xp, be, levels.seq[d]) * qq, 0.0), axis=1)
        rr = xp.where(M, xp.clip(_gather(xp, re, levels.seq[d]) + v[:, None] - qq, min=0.0), 0.0)
        acc = xp.sum(rr, axis=1)
        count = xp.sum(xp.astype(M, dt), axis=1)
        bb = xp.where(acc[:, None] > 0, rr / xp.where(acc > 0, acc, 1.0)[:, None], 1.0 / count[:, None])
        r_new = _scatter(xp, levels, d, rr, r_new)
        b_new = _scatter(xp, levels, d, bb, b_new)
        q = q + _up(xp, levels, d, v)
    return r_new, b_new, _top_down(xp, levels, b_new)


def project_columns(V: Any, s: Any) -> Any:
    """Each column ``j`` of ``V`` projected onto :math:`\\{v \\ge 0, \\sum_i v_i = s_j\\}` (sort-based; the
    threshold is :math:`\\max_k (\\sum_{i \\le k} u_{(i)} - s_j)/k` over the column sorted decreasingly)."""
    xp = get_namespace(V, s)
    u = xp.sort(V, axis=0, descending=True)
    css = xp.cumulative_sum(u, axis=0) - s[None, :]
    k = xp.astype(xp.arange(1, V.shape[0] + 1), V.dtype)[:, None]
    theta = xp.max(css / k, axis=0)
    return xp.clip(V - theta[None, :], min=0.0)


def market_primal(X: Any, V: Any, beta: Any, s: Any, step: float, tau: Any) -> tuple[Any, Any, float, Any]:
    """The allocation half of a PDHG step on a Fisher market (see ``_jit.market_primal``):
    ``(X+, u, ||X+ - X||^2 / 2, thresholds)``, by sorting (``tau``, the kernel's warm start, is not needed)."""
    xp = get_namespace(X, V, beta)
    W = X + step * beta[:, None] * V
    u_sorted = xp.sort(W, axis=0, descending=True)
    k = xp.astype(xp.arange(1, W.shape[0] + 1), W.dtype)[:, None]
    theta = xp.max((xp.cumulative_sum(u_sorted, axis=0) - s[None, :]) / k, axis=0)
    out = xp.clip(W - theta[None, :], min=0.0)
    d = xp.reshape(out - X, (-1,))
    return out, xp.sum(V * out, axis=1), 0.5 * float(xp.vecdot(d, d)), theta


def market_beta(p: Any, V: Any) -> Any:
    """:math:`\\beta_i = \\min_{j: v_{ij} > 0} p_j / v_{ij}` (``inf`` for a row without positive valuations)."""
    xp = get_namespace(p, V)
    return xp.min(xp.where(V > 0, p[None, :] / xp.where(V > 0, V, 1.0), float("inf")), axis=1)


def market_prices(beta: Any, V: Any) -> Any:
    """:math:`p_j = \\max_i \\beta_i v_{ij}`."""
    return get_namespace(beta, V).max(beta[:, None] * V, axis=0)


def market_utilities(X: Any, V: Any, s: Any) -> Any:
    """:math:`u_i = \\sum_j v_{ij} \\hat x_{ij}` of the feasible allocation :math:`\\hat x_{ij} = x^+_{ij}
    \\min(1, s_j / \\sum_k x^+_{kj})`."""
    xp = get_namespace(X, V)
    Xp = xp.clip(X, min=0.0)
    load = xp.sum(Xp, axis=0)
    return xp.sum(V * (Xp * xp.clip(s / xp.where(load > 0, load, 1.0), max=1.0)[None, :]), axis=1)


def lerp(a: Any, b: Any, r: float) -> Any:
    """:math:`a + r(b - a)`, with one new array (the in-place steps reuse the difference's memory)."""
    out = b - a
    out *= r
    out += a
    return out


def market_dual(y: Any, Kx: Any, Kx_prev: Any, step: float, B: Any) -> tuple[Any, float, float]:
    """The dual half of a PDHG step on a Fisher market (see ``_jit.market_dual``): ``(beta+, coupling, dist)``."""
    xp = get_namespace(y, Kx)
    z = y + step * (2.0 * Kx - Kx_prev)
    c = 4.0 * step * B
    root = xp.sqrt(z * z + c)
    out = xp.where(z >= 0, 0.5 * (z + root), 0.5 * c / (root - z))
    d = out - y
    return out, float(xp.vecdot(Kx - Kx_prev, d)), 0.5 * float(xp.vecdot(d, d))


def _piecewise(xp: Any, T: Any, V: Any, slope: float, t: Any) -> Any:
    """The continuous piecewise-linear function with knots ``(T, V)`` (``T`` increasing) and slope ``slope`` after
    the last knot, at the points ``t >= T[0]``."""
    k = T.shape[0]
    i = xp.clip(xp.searchsorted(T, t, side="right") - 1, min=0, max=k - 1)
    nxt = xp.clip(i + 1, max=k - 1)
    Ti, Vi, Tn, Vn = xp.take(T, i), xp.take(V, i), xp.take(T, nxt), xp.take(V, nxt)
    inside = i < k - 1
    r = xp.where(inside, (t - Ti) / xp.where(inside, Tn - Ti, 1.0), 0.0)
    return xp.where(inside, Vi + r * (Vn - Vi), Vi + slope * (t - Ti))


def treeplex_projection(z: Any, d: Any, t: Any) -> Any:
    """:math:`\\arg\\min_{x \\in X} \\sum_s d_s (x_s - z_s)^2` on the treeplex ``t`` (see ``_jit.treeplex_projection``:
    the same knots, one information set at a time; a reference for the kernel, not a fast path)."""
    xp = get_namespace(z, d)
    dt = z.dtype
    zs, ds = xp.astype(z, xp.float64), xp.astype(d, xp.float64)
    kids: dict[int, list[int]] = {}
    for j in range(t.n_infosets):
        kids.setdefault(int(t.parent[j]), []).append(j)
    F: dict[int, tuple[Any, Any, float]] = {}
    lam: dict[int, tuple[Any, Any, float]] = {}
    for j in reversed(range(t.n_infosets)):
        for a in range(int(t.start[j]), int(t.stop[j])):
            below = [lam[c] for c in kids.get(a, [])]
            ts = xp.unique_values(xp.concat([xp.zeros((1,), dtype=xp.float64)] + [T for T, _, _ in below]))
            v = ds[a] * (ts - zs[a])
            for T, V, s in below:
                v = v + _piecewise(xp, T, V, s, ts)
            F[a] = (ts, v, float(ds[a]) + sum(s for _, _, s in below))
        acts = [F[a] for a in range(int(t.start[j]), int(t.stop[j]))]
        lams = xp.unique_values(xp.concat([V for _, V, _ in acts]))
        mass = xp.zeros_like(lams)
        for T, V, s in acts:
            mass = mass + xp.where(lams > V[0], _piecewise(xp, V, T, 1.0 / s, lams), 0.0)
        mass = xp.where(lams == lams[0], 0.0, mass)
        lam[j] = (mass, lams, 1.0 / sum(1.0 / s for _, _, s in acts))
    x = [0.0] * t.n_sequences
    x[0] = 1.0
    for j in range(t.n_infosets):
        mass = x[int(t.parent[j])]
        s0, s1 = int(t.start[j]), int(t.stop[j])
        if mass <= 0:
            x[s0:s1] = [0.0] * (s1 - s0)
            continue
        T, V, s = lam[j]
        m = _piecewise(xp, T, V, s, xp.asarray([mass], dtype=xp.float64))
        out = [float(xp.where(m > F[a][1][0], _piecewise(xp, F[a][1], F[a][0], 1.0 / F[a][2], m), 0.0)[0])
               for a in range(s0, s1)]
        acc = sum(out)
        x[s0:s1] = [v * mass / acc if acc > 0 else 0.0 for v in out]
    return xp.asarray(x, dtype=dt)
