"""Array-API twins of the splitting kernel in ``_jit.py``: the exact 1-D TV prox of every line at
once with array operations only (CuPy, ``array_api_strict``; the kernel tests' oracle).

Two exact algorithms: a primal-dual active-set method on the dual box-constrained QP (a few
batched linear solves; the default) and Condat's algorithm itself run on all lines in lockstep
(one transition per line per array operation; the fallback, and a second oracle)."""
from __future__ import annotations

from typing import Any, Sequence

from ...backend import get_namespace

# What a line does after it finished writing a segment (kinds of closed segments).
_RIGHT_DOWN, _RIGHT_UP, _DOWN, _UP, _LAST = 1, 2, 3, 4, 5
_SCAN, _FILL, _DONE = 0, 1, 2


def tv_prox(inputs: Sequence[Any], lams: Sequence[float], axes: Sequence[int], method: str = "active_set") -> list[Any]:
    """``[prox_{lam_i TV_{axis_i}}(x_i)]``: the exact 1-D TV prox along ``axes[i]`` of ``inputs[i]``.

    The lines of all inputs with one length are solved together. ``method="active_set"``
    (default) solves the dual :math:`\\min_{|u| \\le \\lambda} \\tfrac12\\|y - D^Tu\\|^2` by
    the primal-dual active-set method (:func:`active_set`), falling back to the lockstep
    Condat algorithm (:func:`lockstep`) for lines it has not settled in ``n + 10``
    iterations; ``method="lockstep"`` runs the latter only.
    """
    if method not in ("active_set", "lockstep"):
        raise ValueError(f"method must be 'active_set' or 'lockstep', got {method!r}")
    outs: list = [None] * len(inputs)
    groups: dict = {}
    for i, (x, axis) in enumerate(zip(inputs, axes)):
        xp = get_namespace(x)
        axis = int(axis) % x.ndim
        moved = xp.moveaxis(x, axis, -1)
        groups.setdefault(x.shape[axis], []).append((i, moved))
    for n, members in groups.items():
        xp = get_namespace(members[0][1])
        Y = xp.concat([xp.reshape(xp.astype(m, xp.float64), (-1, n)) for _, m in members], axis=0)
        lam = xp.concat([xp.full((m.size // n,), float(lams[i]), dtype=xp.float64) for i, m in members])
        if n < 2 or Y.shape[0] == 0:
            X = Y
        elif method == "lockstep":
            X = lockstep(Y, lam)
        else:
            X, settled = active_set(Y, lam, n + 10)
            if not bool(xp.all(settled)):
                X = xp.where(settled[:, None], X, lockstep(Y, lam))
        start = 0
        for i, m in members:
            rows = m.size // n
            block = xp.reshape(xp.astype(X[start:start + rows, ...], inputs[i].dtype), m.shape)
            outs[i] = xp.moveaxis(block, -1, int(axes[i]) % inputs[i].ndim)
            start += rows
    return outs


def active_set(Y: Any, lam: Any, max_iter: int) -> tuple[Any, Any]:
    """Exact 1-D TV prox of the rows of ``Y`` (weights ``lam``, one per row) by the primal-dual
    active-set method on the dual.

    With :math:`A = DD^T` (tridiagonal) and :math:`b = Dy`, the dual is
    :math:`\\min \\tfrac12 u^TAu - b^Tu` over :math:`|u_k| \\le \\lambda`, and
    :math:`x = y - D^Tu`. Each iteration guesses the bounds from :math:`u + c\\mu`,
    :math:`\\mu = b - Au`, :math:`c = 1/2` (M. Hintermueller, K. Ito and K. Kunisch,
    SIAM J. Optim. 13 (2003)), solves the remaining equations exactly (one batched linear
    solve with the bound rows replaced by identities) and stops when the KKT conditions hold
    to rounding, where the active set, and so the solution, is exact. Returns ``(X, settled)``.
    """
    xp = get_namespace(Y)
    L, n = Y.shape
    A, eye = _second_differences(xp, n - 1, Y.dtype)
    b = Y[:, 1:] - Y[:, :-1]
    bound = xp.broadcast_to(lam[:, None], b.shape)
    slack = 1e-12 * (bound + xp.max(xp.abs(b), axis=1, keepdims=True))
    u = xp.zeros(b.shape, dtype=Y.dtype)
    mu = b
    settled = xp.zeros(L, dtype=xp.bool)
    for _ in range(max_iter):
        guess = u + 0.5 * mu
        up, lo = guess > bound, guess < -bound
        free = ~(up | lo)
        M = xp.where(free[:, :, None], A[None, :, :], eye)
        r = xp.where(free, b, xp.where(up, bound, -bound))
        u = xp.linalg.solve(M, r[:, :, None])[:, :, 0]
        mu = b - u @ A
        kkt = xp.where(free, xp.abs(u) <= bound + slack, xp.where(up, mu >= -slack, mu <= slack))
        settled = xp.all(kkt, axis=1)
        if bool(xp.all(settled)):
            break
    zero = xp.zeros((L, 1), dtype=Y.dtype)
    return Y + xp.concat([u, zero], axis=1) - xp.concat([zero, u], axis=1), settled


_MATRICES: dict = {}


def _second_differences(xp: Any, m: int, dtype: Any) -> tuple[Any, Any]:
    """``(DD^T, I)`` of size ``m`` (with a leading batch axis on ``I``), built once per namespace and size."""
    key = (xp.__name__, m, str(dtype))
    if key not in _MATRICES:
        i = xp.arange(m)
        eye = xp.eye(m, dtype=dtype)
        A = 2.0 * eye - xp.astype(xp.abs(i[:, None] - i[None, :]) == 1, dtype)
        if len(_MATRICES) > 64:
            _MATRICES.clear()
        _MATRICES[key] = (A, eye[None, :, :])
    return _MATRICES[key]


def lockstep(Y: Any, lam: Any) -> Any:
    """Condat's algorithm on every row of ``Y`` at once (weights ``lam``, one per row).

    Every row runs the state machine of the Numba kernel
    (:func:`optkit.kernels.splitting._jit.condat_line`), one transition per row per array
    operation; a row that closes a segment then writes it one entry per transition.
    Entries are written left to right, so each row's output is the sequence of its writes,
    recovered at the end by a stable sort of the write times.
    """
    xp = get_namespace(Y)
    L, n = Y.shape
    flat = xp.reshape(Y, (-1,))
    offsets = xp.arange(L, dtype=xp.int64) * n

    def at(index):
        return xp.take(flat, offsets + xp.clip(index, 0, n - 1))

    def ratio(num, k, k0):
        return num / xp.astype(xp.maximum(k - k0 + 1, 1), xp.float64)

    zero = xp.zeros(L, dtype=xp.int64)
    k, k0, kminus, kplus = zero, zero, zero, zero
    y0 = Y[:, 0]
    umin, umax = lam, -lam
    vmin, vmax = y0 - lam, y0 + lam
    mode = xp.full(L, _SCAN, dtype=xp.int64)
    kind, end = zero, zero
    value = xp.zeros(L, dtype=xp.float64)
    writes, values = [], []
    while bool(xp.any(mode != _DONE)):
        # lines that are writing a closed segment write one entry
        filling = mode == _FILL
        writes.append(filling)
        values.append(value)
        k0 = xp.where(filling, k0 + 1, k0)
        closed = filling & (k0 > end)
        yk0 = at(k0)
        right_down = closed & (kind == _RIGHT_DOWN)
        right_up = closed & (kind == _RIGHT_UP)
        down = closed & (kind == _DOWN)
        up = closed & (kind == _UP)
        restart = right_down | right_up | down | up
        k = xp.where(restart, k0, k)
        kminus = xp.where(right_down | down | up, k0, kminus)
        kplus = xp.where(right_up | down | up, k0, kplus)
        old_vmin, old_vmax = vmin, vmax
        vmin = xp.where(right_down | down, yk0, xp.where(up, yk0 - 2.0 * lam, vmin))
        vmax = xp.where(right_up | up, yk0, xp.where(down, yk0 + 2.0 * lam, vmax))
        umin = xp.where(right_down | down | up, lam, xp.where(right_up, yk0 - lam - old_vmin, umin))
        umax = xp.where(right_up | down | up, -lam, xp.where(right_down, yk0 + lam - old_vmax, umax))
        mode = xp.where(restart, _SCAN, xp.where(closed & (kind == _LAST), _DONE, mode))

        # lines that are scanning take one decision
        scanning = mode == _SCAN
        at_end = scanning & (k == n - 1)
        end_down = at_end & (umin < 0.0)
        end_up = at_end & ~(umin < 0.0) & (umax > 0.0)
        last = at_end & ~(umin < 0.0) & ~(umax > 0.0)
        vmin = xp.where(last, vmin + ratio(umin, k, k0), vmin)
        inner = scanning & (k < n - 1)
        nxt = at(k + 1)
        umin_try = umin + nxt - vmin
        jump_down = inner & (umin_try < -lam)
        umax_try = umax + nxt - vmax
        jump_up = inner & ~jump_down & (umax_try > lam)
        step = inner & ~jump_down & ~jump_up
        k = xp.where(step, k + 1, k)
        umin = xp.where(step | jump_down | jump_up, umin_try, umin)
        umax = xp.where(step, umax_try, umax)
        raise_min = step & (umin >= lam)
        kminus = xp.where(raise_min, k, kminus)
        vmin = xp.where(raise_min, vmin + ratio(umin - lam, k, k0), vmin)
        umin = xp.where(raise_min, lam, umin)
        lower_max = step & (umax <= -lam)
        kplus = xp.where(lower_max, k, kplus)
        vmax = xp.where(lower_max, vmax + ratio(umax + lam, k, k0), vmax)
        umax = xp.where(lower_max, -lam, umax)

        opens = end_down | end_up | last | jump_down | jump_up
        kind = xp.where(end_down, _RIGHT_DOWN, xp.where(end_up, _RIGHT_UP, xp.where(last, _LAST, xp.where(
            jump_down, _DOWN, xp.where(jump_up, _UP, kind)))))
        end = xp.where(end_down | jump_down, kminus, xp.where(end_up | jump_up, kplus, xp.where(last, k, end)))
        value = xp.where(end_down | jump_down | last, vmin, xp.where(end_up | jump_up, vmax, value))
        mode = xp.where(opens, _FILL, mode)
    # every line wrote exactly n entries, in order; their write times sorted give the output
    T = len(writes)
    times = xp.arange(T, dtype=xp.int64)[:, None]
    key = xp.where(xp.stack(writes), times, T)
    order = xp.sort(key, axis=0)[:n, :]
    picked = xp.take(xp.reshape(xp.stack(values), (-1,)), xp.reshape(order * L + xp.arange(L)[None, :], (-1,)))
    return xp.where(lam[:, None] > 0, xp.reshape(picked, (n, L)).T, Y)


def consensus_update(W: Any, X: Any, U: Any, z: Any, rho: float, alpha: float) -> tuple:
    """The consensus ADMM update after the prox steps :math:`x_k = \\operatorname{prox}(w_k)`,
    :math:`w_k = z - u_k` (blocks stacked along the first axis, entries flattened):

    .. math::
        v_k = \\rho(w_k - x_k),\\quad \\hat x_k = \\alpha x_k + (1 - \\alpha)z,\\quad
        z^+ = \\tfrac1K\\sum_k(\\hat x_k + u_k),\\quad u_k^+ = u_k + \\hat x_k - z^+,\\quad w_k^+ = z^+ - u_k^+.

    Returns ``(V, U+, W+, z+, sums)`` with ``sums`` the squared norms
    ``(sum_k |x^_k - z+|^2, |z+ - z|^2, sum_k |x^_k|^2, |z+|^2, sum_k |u_k+|^2)``.
    """
    xp = get_namespace(X)
    V = rho * (W - X)
    Xr = alpha * X + (1.0 - alpha) * z
    z_new = xp.mean(Xr + U, axis=0)
    U_new = U + Xr - z_new
    W_new = z_new - U_new

    def sq(a):
        return float(xp.sum(a * a))
    sums = (sq(Xr - z_new), sq(z_new - z), sq(Xr), sq(z_new), sq(U_new))
    return V, U_new, W_new, z_new, sums
