"""The equality-constrained problems of the Hock-Schittkowski collection, with exact derivatives.

W. Hock and K. Schittkowski, *Test Examples for Nonlinear Programming Codes*, Lecture Notes in
Economics and Mathematical Systems 187, Springer, 1981: problems 6, 7, 8, 9, 26, 27, 28, 39, 40,
42, 46, 47, 48, 49, 50, 51, 52, 56, 61, 77, 78 and 79 (those without bounds or inequalities),
each with the book's standard start and published optimal value. The formulas are written
against the array API (any namespace, the dtype of ``x``); gradients, Jacobians and Lagrangian
Hessians are hand-derived and checked by finite differences in ``tests/nlp``.
"""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

from ..backend import get_namespace

__all__ = ["hock_schittkowski", "HS_NUMBERS"]

S2 = math.sqrt(2.0)


class _Spec(NamedTuple):
    x0: tuple
    f_star: float
    f: Callable
    g: Callable
    c: Callable
    J: Callable
    H: Callable          # H(x, lam): Hessian of the Lagrangian, as nested lists


def _vec(x: Any, items: list) -> Any:
    xp = get_namespace(x)
    return xp.stack([xp.asarray(e, dtype=x.dtype) if isinstance(e, (int, float)) else xp.astype(e, x.dtype)
                     for e in items])


def _mat(x: Any, rows: list) -> Any:
    return get_namespace(x).stack([_vec(x, r) for r in rows])


def _sym(n: int, entries: dict) -> list:
    """A symmetric n x n nested list from upper-triangle entries {(i, j): value} (1-based)."""
    out: list = [[0.0] * n for _ in range(n)]
    for (i, j), v in entries.items():
        out[i - 1][j - 1] = v
        out[j - 1][i - 1] = v
    return out


def _add(n: int, *terms: tuple) -> list:
    """Sum of (weight, nested-list matrix) terms."""
    out: list = [[0.0] * n for _ in range(n)]
    for w, M in terms:
        for i in range(n):
            for j in range(n):
                if not (isinstance(M[i][j], float) and M[i][j] == 0.0):
                    out[i][j] = out[i][j] + w * M[i][j]
    return out


def _xp(x: Any) -> Any:
    return get_namespace(x)


# --- the problems (x is 0-based in code, 1-based in the comments) --------------------------------------------------

def _hs6() -> _Spec:
    return _Spec(
        (-1.2, 1.0), 0.0,
        lambda x: (1 - x[0]) ** 2,
        lambda x: [-2 * (1 - x[0]), 0.0],
        lambda x: [10 * (x[1] - x[0] ** 2)],
        lambda x: [[-20 * x[0], 10.0]],
        lambda x, l: [[2 - 20 * l[0], 0.0], [0.0, 0.0]])


def _hs7() -> _Spec:
    def H(x, l):
        q = 1 + x[0] ** 2
        return [[(2 - 2 * x[0] ** 2) / q ** 2 + l[0] * (4 + 12 * x[0] ** 2), 0.0], [0.0, 2 * l[0]]]
    return _Spec(
        (2.0, 2.0), -math.sqrt(3.0),
        lambda x: _xp(x).log(1 + x[0] ** 2) - x[1],
        lambda x: [2 * x[0] / (1 + x[0] ** 2), -1.0],
        lambda x: [(1 + x[0] ** 2) ** 2 + x[1] ** 2 - 4],
        lambda x: [[4 * x[0] * (1 + x[0] ** 2), 2 * x[1]]],
        H)


def _hs8() -> _Spec:
    return _Spec(
        (2.0, 1.0), -1.0,
        lambda x: -1.0 + 0 * x[0],
        lambda x: [0.0, 0.0],
        lambda x: [x[0] ** 2 + x[1] ** 2 - 25, x[0] * x[1] - 9],
        lambda x: [[2 * x[0], 2 * x[1]], [x[1], x[0]]],
        lambda x, l: [[2 * l[0], l[1]], [l[1], 2 * l[0]]])


def _hs9() -> _Spec:
    a, b = math.pi / 12, math.pi / 16

    def H(x, l):
        xp = _xp(x)
        sa, ca, sb, cb = xp.sin(a * x[0]), xp.cos(a * x[0]), xp.sin(b * x[1]), xp.cos(b * x[1])
        return [[-a * a * sa * cb, -a * b * ca * sb], [-a * b * ca * sb, -b * b * sa * cb]]
    return _Spec(
        (0.0, 0.0), -0.5,
        lambda x: _xp(x).sin(a * x[0]) * _xp(x).cos(b * x[1]),
        lambda x: [a * _xp(x).cos(a * x[0]) * _xp(x).cos(b * x[1]), -b * _xp(x).sin(a * x[0]) * _xp(x).sin(b * x[1])],
        lambda x: [4 * x[0] - 3 * x[1]],
        lambda x: [[4.0, -3.0]],
        H)


def _hs26() -> _Spec:
    def H(x, l):
        d = x[1] - x[2]
        hf = _sym(3, {(1, 1): 2.0, (1, 2): -2.0, (2, 2): 2 + 12 * d ** 2, (2, 3): -12 * d ** 2, (3, 3): 12 * d ** 2})
        hc = _sym(3, {(1, 2): 2 * x[1], (2, 2): 2 * x[0], (3, 3): 12 * x[2] ** 2})
        return _add(3, (1.0, hf), (l[0], hc))
    return _Spec(
        (-2.6, 2.0, 2.0), 0.0,
        lambda x: (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 4,
        lambda x: [2 * (x[0] - x[1]), -2 * (x[0] - x[1]) + 4 * (x[1] - x[2]) ** 3, -4 * (x[1] - x[2]) ** 3],
        lambda x: [(1 + x[1] ** 2) * x[0] + x[2] ** 4 - 3],
        lambda x: [[1 + x[1] ** 2, 2 * x[0] * x[1], 4 * x[2] ** 3]],
        H)


def _hs27() -> _Spec:
    return _Spec(
        (2.0, 2.0, 2.0), 0.04,
        lambda x: 0.01 * (x[0] - 1) ** 2 + (x[1] - x[0] ** 2) ** 2,
        lambda x: [0.02 * (x[0] - 1) - 4 * x[0] * (x[1] - x[0] ** 2), 2 * (x[1] - x[0] ** 2), 0.0],
        lambda x: [x[0] + x[2] ** 2 + 1],
        lambda x: [[1.0, 0.0, 2 * x[2]]],
        lambda x, l: _sym(3, {(1, 1): 0.02 - 4 * x[1] + 12 * x[0] ** 2, (1, 2): -4 * x[0], (2, 2): 2.0,
                              (3, 3): 2 * l[0]}))


def _hs28() -> _Spec:
    return _Spec(
        (-4.0, 1.0, 1.0), 0.0,
        lambda x: (x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2,
        lambda x: [2 * (x[0] + x[1]), 2 * (x[0] + x[1]) + 2 * (x[1] + x[2]), 2 * (x[1] + x[2])],
        lambda x: [x[0] + 2 * x[1] + 3 * x[2] - 1],
        lambda x: [[1.0, 2.0, 3.0]],
        lambda x, l: _sym(3, {(1, 1): 2.0, (1, 2): 2.0, (2, 2): 4.0, (2, 3): 2.0, (3, 3): 2.0}))


def _hs39() -> _Spec:
    return _Spec(
        (2.0, 2.0, 2.0, 2.0), -1.0,
        lambda x: -x[0],
        lambda x: [-1.0, 0.0, 0.0, 0.0],
        lambda x: [x[1] - x[0] ** 3 - x[2] ** 2, x[0] ** 2 - x[1] - x[3] ** 2],
        lambda x: [[-3 * x[0] ** 2, 1.0, -2 * x[2], 0.0], [2 * x[0], -1.0, 0.0, -2 * x[3]]],
        lambda x, l: _sym(4, {(1, 1): -6 * x[0] * l[0] + 2 * l[1], (3, 3): -2 * l[0], (4, 4): -2 * l[1]}))


def _hs40() -> _Spec:
    def H(x, l):
        hf = _sym(4, {(1, 2): -x[2] * x[3], (1, 3): -x[1] * x[3], (1, 4): -x[1] * x[2],
                      (2, 3): -x[0] * x[3], (2, 4): -x[0] * x[2], (3, 4): -x[0] * x[1]})
        return _add(4, (1.0, hf), (l[0], _sym(4, {(1, 1): 6 * x[0], (2, 2): 2.0})),
                    (l[1], _sym(4, {(1, 1): 2 * x[3], (1, 4): 2 * x[0]})), (l[2], _sym(4, {(4, 4): 2.0})))
    return _Spec(
        (0.8, 0.8, 0.8, 0.8), -0.25,
        lambda x: -x[0] * x[1] * x[2] * x[3],
        lambda x: [-x[1] * x[2] * x[3], -x[0] * x[2] * x[3], -x[0] * x[1] * x[3], -x[0] * x[1] * x[2]],
        lambda x: [x[0] ** 3 + x[1] ** 2 - 1, x[0] ** 2 * x[3] - x[2], x[3] ** 2 - x[1]],
        lambda x: [[3 * x[0] ** 2, 2 * x[1], 0.0, 0.0], [2 * x[0] * x[3], 0.0, -1.0, x[0] ** 2],
                   [0.0, -1.0, 0.0, 2 * x[3]]],
        H)


def _hs42() -> _Spec:
    return _Spec(
        (1.0, 1.0, 1.0, 1.0), 28.0 - 10.0 * S2,
        lambda x: (x[0] - 1) ** 2 + (x[1] - 2) ** 2 + (x[2] - 3) ** 2 + (x[3] - 4) ** 2,
        lambda x: [2 * (x[0] - 1), 2 * (x[1] - 2), 2 * (x[2] - 3), 2 * (x[3] - 4)],
        lambda x: [x[0] - 2, x[2] ** 2 + x[3] ** 2 - 2],
        lambda x: [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 2 * x[2], 2 * x[3]]],
        lambda x, l: _sym(4, {(1, 1): 2.0, (2, 2): 2.0, (3, 3): 2 + 2 * l[1], (4, 4): 2 + 2 * l[1]}))


def _c46(x, shift1: float, shift2: float) -> list:
    xp = _xp(x)
    return [x[0] ** 2 * x[3] + xp.sin(x[3] - x[4]) - shift1, x[1] + x[2] ** 4 * x[3] ** 2 - shift2]


def _j46(x) -> list:
    cs = _xp(x).cos(x[3] - x[4])
    return [[2 * x[0] * x[3], 0.0, 0.0, x[0] ** 2 + cs, -cs],
            [0.0, 1.0, 4 * x[2] ** 3 * x[3] ** 2, 2 * x[2] ** 4 * x[3], 0.0]]


def _h46c(x, l) -> list:
    s = _xp(x).sin(x[3] - x[4])
    c1 = _sym(5, {(1, 1): 2 * x[3], (1, 4): 2 * x[0], (4, 4): -s, (4, 5): s, (5, 5): -s})
    c2 = _sym(5, {(3, 3): 12 * x[2] ** 2 * x[3] ** 2, (3, 4): 8 * x[2] ** 3 * x[3], (4, 4): 2 * x[2] ** 4})
    return _add(5, (l[0], c1), (l[1], c2))


def _f46(x):
    return (x[0] - x[1]) ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6


def _g46(x) -> list:
    return [2 * (x[0] - x[1]), -2 * (x[0] - x[1]), 2 * (x[2] - 1), 4 * (x[3] - 1) ** 3, 6 * (x[4] - 1) ** 5]


def _h46f(x) -> list:
    return _sym(5, {(1, 1): 2.0, (1, 2): -2.0, (2, 2): 2.0, (3, 3): 2.0, (4, 4): 12 * (x[3] - 1) ** 2,
                    (5, 5): 30 * (x[4] - 1) ** 4})


def _hs46() -> _Spec:
    return _Spec(
        (0.5 * S2, 1.75, 0.5, 2.0, 2.0), 0.0, _f46, _g46,
        lambda x: _c46(x, 1.0, 2.0), _j46,
        lambda x, l: _add(5, (1.0, _h46f(x)), (1.0, _h46c(x, l))))


def _j47(x) -> list:
    return [[1.0, 2 * x[1], 3 * x[2] ** 2, 0.0, 0.0], [0.0, 1.0, -2 * x[2], 1.0, 0.0], [x[4], 0.0, 0.0, 0.0, x[0]]]


def _h47c(x, l) -> list:
    return _add(5, (l[0], _sym(5, {(2, 2): 2.0, (3, 3): 6 * x[2]})), (l[1], _sym(5, {(3, 3): -2.0})),
                (l[2], _sym(5, {(1, 5): 1.0})))


def _hs47() -> _Spec:
    def f(x):
        return (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 3 + (x[2] - x[3]) ** 4 + (x[3] - x[4]) ** 4

    def g(x):
        d1, d2, d3, d4 = x[0] - x[1], x[1] - x[2], x[2] - x[3], x[3] - x[4]
        return [2 * d1, -2 * d1 + 3 * d2 ** 2, -3 * d2 ** 2 + 4 * d3 ** 3, -4 * d3 ** 3 + 4 * d4 ** 3, -4 * d4 ** 3]

    def H(x, l):
        d2, d3, d4 = x[1] - x[2], x[2] - x[3], x[3] - x[4]
        hf = _sym(5, {(1, 1): 2.0, (1, 2): -2.0, (2, 2): 2 + 6 * d2, (2, 3): -6 * d2, (3, 3): 6 * d2 + 12 * d3 ** 2,
                      (3, 4): -12 * d3 ** 2, (4, 4): 12 * d3 ** 2 + 12 * d4 ** 2, (4, 5): -12 * d4 ** 2,
                      (5, 5): 12 * d4 ** 2})
        return _add(5, (1.0, hf), (1.0, _h47c(x, l)))
    return _Spec(
        (2.0, S2, -1.0, 2.0 - S2, 0.5), 0.0, f, g,
        lambda x: [x[0] + x[1] ** 2 + x[2] ** 3 - 3, x[1] - x[2] ** 2 + x[3] - 1, x[0] * x[4] - 1],
        _j47, H)


def _hs48() -> _Spec:
    return _Spec(
        (3.0, 5.0, -3.0, 2.0, -2.0), 0.0,
        lambda x: (x[0] - 1) ** 2 + (x[1] - x[2]) ** 2 + (x[3] - x[4]) ** 2,
        lambda x: [2 * (x[0] - 1), 2 * (x[1] - x[2]), -2 * (x[1] - x[2]), 2 * (x[3] - x[4]), -2 * (x[3] - x[4])],
        lambda x: [x[0] + x[1] + x[2] + x[3] + x[4] - 5, x[2] - 2 * (x[3] + x[4]) + 3],
        lambda x: [[1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, -2.0, -2.0]],
        lambda x, l: _sym(5, {(1, 1): 2.0, (2, 2): 2.0, (2, 3): -2.0, (3, 3): 2.0, (4, 4): 2.0, (4, 5): -2.0,
                              (5, 5): 2.0}))


def _hs49() -> _Spec:
    return _Spec(
        (10.0, 7.0, 2.0, -3.0, 0.8), 0.0, _f46, _g46,
        lambda x: [x[0] + x[1] + x[2] + 4 * x[3] - 7, x[2] + 5 * x[4] - 6],
        lambda x: [[1.0, 1.0, 1.0, 4.0, 0.0], [0.0, 0.0, 1.0, 0.0, 5.0]],
        lambda x, l: _h46f(x))


def _hs50() -> _Spec:
    def g(x):
        d1, d2, d3, d4 = x[0] - x[1], x[1] - x[2], x[2] - x[3], x[3] - x[4]
        return [2 * d1, -2 * d1 + 2 * d2, -2 * d2 + 4 * d3 ** 3, -4 * d3 ** 3 + 2 * d4, -2 * d4]

    def H(x, l):
        q = 12 * (x[2] - x[3]) ** 2
        return _sym(5, {(1, 1): 2.0, (1, 2): -2.0, (2, 2): 4.0, (2, 3): -2.0, (3, 3): 2 + q, (3, 4): -q,
                        (4, 4): q + 2, (4, 5): -2.0, (5, 5): 2.0})
    return _Spec(
        (35.0, -31.0, 11.0, 5.0, -5.0), 0.0,
        lambda x: (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 2 + (x[2] - x[3]) ** 4 + (x[3] - x[4]) ** 2, g,
        lambda x: [x[0] + 2 * x[1] + 3 * x[2] - 6, x[1] + 2 * x[2] + 3 * x[3] - 6, x[2] + 2 * x[3] + 3 * x[4] - 6],
        lambda x: [[1.0, 2.0, 3.0, 0.0, 0.0], [0.0, 1.0, 2.0, 3.0, 0.0], [0.0, 0.0, 1.0, 2.0, 3.0]],
        H)


_J51 = [[1.0, 3.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0, -2.0], [0.0, 1.0, 0.0, 0.0, -1.0]]


def _hs51() -> _Spec:
    return _Spec(
        (2.5, 0.5, 2.0, -1.0, 0.5), 0.0,
        lambda x: (x[0] - x[1]) ** 2 + (x[1] + x[2] - 2) ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2,
        lambda x: [2 * (x[0] - x[1]), -2 * (x[0] - x[1]) + 2 * (x[1] + x[2] - 2), 2 * (x[1] + x[2] - 2),
                   2 * (x[3] - 1), 2 * (x[4] - 1)],
        lambda x: [x[0] + 3 * x[1] - 4, x[2] + x[3] - 2 * x[4], x[1] - x[4]],
        lambda x: _J51,
        lambda x, l: _sym(5, {(1, 1): 2.0, (1, 2): -2.0, (2, 2): 4.0, (2, 3): 2.0, (3, 3): 2.0, (4, 4): 2.0,
                              (5, 5): 2.0}))


def _hs52() -> _Spec:
    return _Spec(
        (2.0, 2.0, 2.0, 2.0, 2.0), 1859.0 / 349.0,
        lambda x: (4 * x[0] - x[1]) ** 2 + (x[1] + x[2] - 2) ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2,
        lambda x: [8 * (4 * x[0] - x[1]), -2 * (4 * x[0] - x[1]) + 2 * (x[1] + x[2] - 2), 2 * (x[1] + x[2] - 2),
                   2 * (x[3] - 1), 2 * (x[4] - 1)],
        lambda x: [x[0] + 3 * x[1], x[2] + x[3] - 2 * x[4], x[1] - x[4]],
        lambda x: _J51,
        lambda x, l: _sym(5, {(1, 1): 32.0, (1, 2): -8.0, (2, 2): 4.0, (2, 3): 2.0, (3, 3): 2.0, (4, 4): 2.0,
                              (5, 5): 2.0}))


def _hs56() -> _Spec:
    a, b = math.asin(math.sqrt(1 / 4.2)), math.asin(math.sqrt(5 / 7.2))

    def c(x):
        s = _xp(x).sin
        return [x[0] - 4.2 * s(x[3]) ** 2, x[1] - 4.2 * s(x[4]) ** 2, x[2] - 4.2 * s(x[5]) ** 2,
                x[0] + 2 * x[1] + 2 * x[2] - 7.2 * s(x[6]) ** 2]

    def J(x):
        s2 = [_xp(x).sin(2 * x[k]) for k in (3, 4, 5, 6)]
        return [[1.0, 0.0, 0.0, -4.2 * s2[0], 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, -4.2 * s2[1], 0.0, 0.0],
                [0.0, 0.0, 1.0, 0.0, 0.0, -4.2 * s2[2], 0.0], [1.0, 2.0, 2.0, 0.0, 0.0, 0.0, -7.2 * s2[3]]]

    def H(x, l):
        c2 = [_xp(x).cos(2 * x[k]) for k in (3, 4, 5, 6)]
        return _sym(7, {(1, 2): -x[2], (1, 3): -x[1], (2, 3): -x[0], (4, 4): -8.4 * l[0] * c2[0],
                        (5, 5): -8.4 * l[1] * c2[1], (6, 6): -8.4 * l[2] * c2[2], (7, 7): -14.4 * l[3] * c2[3]})
    return _Spec(
        (1.0, 1.0, 1.0, a, a, a, b), -3.456,
        lambda x: -x[0] * x[1] * x[2],
        lambda x: [-x[1] * x[2], -x[0] * x[2], -x[0] * x[1], 0.0, 0.0, 0.0, 0.0],
        c, J, H)


def _hs61() -> _Spec:
    return _Spec(
        (0.0, 0.0, 0.0), -143.6461422,
        lambda x: 4 * x[0] ** 2 + 2 * x[1] ** 2 + 2 * x[2] ** 2 - 33 * x[0] + 16 * x[1] - 24 * x[2],
        lambda x: [8 * x[0] - 33, 4 * x[1] + 16, 4 * x[2] - 24],
        lambda x: [3 * x[0] - 2 * x[1] ** 2 - 7, 4 * x[0] - x[2] ** 2 - 11],
        lambda x: [[3.0, -4 * x[1], 0.0], [4.0, 0.0, -2 * x[2]]],
        lambda x, l: _sym(3, {(1, 1): 8.0, (2, 2): 4 - 4 * l[0], (3, 3): 4 - 2 * l[1]}))


def _hs77() -> _Spec:
    def H(x, l):
        hf = _sym(5, {(1, 1): 4.0, (1, 2): -2.0, (2, 2): 2.0, (3, 3): 2.0, (4, 4): 12 * (x[3] - 1) ** 2,
                      (5, 5): 30 * (x[4] - 1) ** 4})
        return _add(5, (1.0, hf), (1.0, _h46c(x, l)))
    return _Spec(
        (2.0, 2.0, 2.0, 2.0, 2.0), 0.24150513,
        lambda x: (x[0] - 1) ** 2 + (x[0] - x[1]) ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6,
        lambda x: [2 * (x[0] - 1) + 2 * (x[0] - x[1]), -2 * (x[0] - x[1]), 2 * (x[2] - 1), 4 * (x[3] - 1) ** 3,
                   6 * (x[4] - 1) ** 5],
        lambda x: _c46(x, 2 * S2, 8 + S2), _j46, H)


def _hs78() -> _Spec:
    def prod(x, skip):
        out = 1.0
        for k in range(5):
            if k not in skip:
                out = out * x[k]
        return out

    def H(x, l):
        hf = _sym(5, {(i + 1, j + 1): prod(x, (i, j)) for i in range(5) for j in range(i + 1, 5)})
        return _add(5, (1.0, hf), (l[0], _sym(5, {(k, k): 2.0 for k in range(1, 6)})),
                    (l[1], _sym(5, {(2, 3): 1.0, (4, 5): -5.0})), (l[2], _sym(5, {(1, 1): 6 * x[0], (2, 2): 6 * x[1]})))
    return _Spec(
        (-2.0, 1.5, 2.0, -1.0, -1.0), -2.91970041,
        lambda x: x[0] * x[1] * x[2] * x[3] * x[4],
        lambda x: [prod(x, (k,)) for k in range(5)],
        lambda x: [x[0] ** 2 + x[1] ** 2 + x[2] ** 2 + x[3] ** 2 + x[4] ** 2 - 10, x[1] * x[2] - 5 * x[3] * x[4],
                   x[0] ** 3 + x[1] ** 3 + 1],
        lambda x: [[2 * x[0], 2 * x[1], 2 * x[2], 2 * x[3], 2 * x[4]], [0.0, x[2], x[1], -5 * x[4], -5 * x[3]],
                   [3 * x[0] ** 2, 3 * x[1] ** 2, 0.0, 0.0, 0.0]],
        H)


def _hs79() -> _Spec:
    def g(x):
        d1, d2, d3, d4 = x[0] - x[1], x[1] - x[2], x[2] - x[3], x[3] - x[4]
        return [2 * (x[0] - 1) + 2 * d1, -2 * d1 + 2 * d2, -2 * d2 + 4 * d3 ** 3, -4 * d3 ** 3 + 4 * d4 ** 3,
                -4 * d4 ** 3]

    def H(x, l):
        q3, q4 = 12 * (x[2] - x[3]) ** 2, 12 * (x[3] - x[4]) ** 2
        hf = _sym(5, {(1, 1): 4.0, (1, 2): -2.0, (2, 2): 4.0, (2, 3): -2.0, (3, 3): 2 + q3, (3, 4): -q3,
                      (4, 4): q3 + q4, (4, 5): -q4, (5, 5): q4})
        return _add(5, (1.0, hf), (1.0, _h47c(x, l)))
    return _Spec(
        (2.0, 2.0, 2.0, 2.0, 2.0), 0.0787768209,
        lambda x: (x[0] - 1) ** 2 + (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 2 + (x[2] - x[3]) ** 4
        + (x[3] - x[4]) ** 4, g,
        lambda x: [x[0] + x[1] ** 2 + x[2] ** 3 - 2 - 3 * S2, x[1] - x[2] ** 2 + x[3] + 2 - 2 * S2, x[0] * x[4] - 2],
        _j47, H)


_CATALOGUE: dict[int, Callable[[], _Spec]] = {
    6: _hs6, 7: _hs7, 8: _hs8, 9: _hs9, 26: _hs26, 27: _hs27, 28: _hs28, 39: _hs39, 40: _hs40, 42: _hs42,
    46: _hs46, 47: _hs47, 48: _hs48, 49: _hs49, 50: _hs50, 51: _hs51, 52: _hs52, 56: _hs56, 61: _hs61,
    77: _hs77, 78: _hs78, 79: _hs79,
}

#: The problem numbers :func:`hock_schittkowski` knows.
HS_NUMBERS = tuple(sorted(_CATALOGUE))


def hock_schittkowski(number: int, *, xp: Any = None, dtype: Any = None) -> Any:
    """Hock-Schittkowski problem ``number`` as an :class:`~optkit.problems.EqualityNLP`.

    Parameters
    ----------
    number : int
        One of :data:`HS_NUMBERS` (6, 7, 8, 9, 26, 27, 28, 39, 40, 42, 46-52, 56, 61, 77-79).
    xp : namespace, optional
        Array namespace of ``x0`` (default NumPy); the callables follow the namespace of their input.
    dtype : dtype, optional
        Default float64.

    Returns
    -------
    EqualityNLP
        With the book's start ``x0``, ``name = "HS<number>"``, ``f_star`` the published optimal
        value and the exact Lagrangian Hessian ``hess``.
    """
    from ..backend import namespace_by_name  # noqa: PLC0415
    from .nlp import EqualityNLP  # noqa: PLC0415

    if isinstance(number, bool) or not isinstance(number, int) or number not in _CATALOGUE:
        raise ValueError(f"number must be one of {HS_NUMBERS}, got {number!r}")
    spec = _CATALOGUE[number]()
    xp = namespace_by_name("numpy") if xp is None else xp
    dtype = xp.float64 if dtype is None else dtype
    x0 = xp.asarray(list(spec.x0), dtype=dtype)

    def fun(x: Any) -> float:
        return float(spec.f(x))

    return EqualityNLP(fun=fun, grad=lambda x: _vec(x, spec.g(x)), cons=lambda x: _vec(x, spec.c(x)),
                       jac=lambda x: _mat(x, spec.J(x)), x0=x0, hess=lambda x, lam: _mat(x, spec.H(x, lam)),
                       name=f"HS{number}", f_star=spec.f_star)
