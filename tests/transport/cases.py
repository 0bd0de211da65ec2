"""Conformance cases of the entropic optimal transport family."""
from __future__ import annotations

import numpy as np

from optkit.backend import asarray
from optkit.problems import EntropicOT

from ..conformance.cases import Case


def _ot_clouds(seed: int, n: int, m: int, reg: float):
    def make(xp, dtype):
        rng = np.random.default_rng(seed)
        X, Y = rng.random((n, 2)), rng.random((m, 2)) + 0.2
        a, b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, m)
        p = EntropicOT.from_point_clouds(X, Y, reg=reg, a=a / a.sum(), b=b / b.sum())
        return EntropicOT(asarray(np.asarray(p.a), xp=xp, dtype=dtype), asarray(np.asarray(p.b), xp=xp, dtype=dtype),
                          asarray(np.asarray(p.C), xp=xp, dtype=dtype), reg=reg)
    return make


def _potentials(result):
    return result.dual


CASES = [
    Case("ot_clouds_12x9", _ot_clouds(21, 12, 9, 0.05), warm_start=_potentials),
    Case("ot_clouds_16x14", _ot_clouds(22, 16, 14, 0.05), warm_start=_potentials),
]
