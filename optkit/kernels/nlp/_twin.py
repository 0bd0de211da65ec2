"""Array-API twins of the NLP family's sketching kernels in ``_jit.py`` (dense ``K`` and ``K^2``)."""
from __future__ import annotations

from typing import Any

from ...backend import get_namespace


def kaczmarz(K: Any, K2: Any, rownorm2: Any, rows: list[int], z: Any, r: Any, rr: float,
             target2: float) -> tuple[Any, Any, int, float]:
    """Randomized Kaczmarz steps on the symmetric system :math:`Kz = b` (rows drawn uniformly).

    For each drawn row :math:`i`, with the residual :math:`r = Kz - b`,

    .. math::
        z \\leftarrow z - \\frac{r_i}{\\|K_i\\|^2} K_i^T,\\qquad
        r \\leftarrow r - \\frac{r_i}{\\|K_i\\|^2} (K^2)_i,

    stopping before the first step at which :math:`\\|r\\|^2 \\le` ``target2``. Returns
    ``(z, r, steps, ||r||^2)``.
    """
    norms = [float(v) for v in rownorm2]
    for s, i in enumerate(rows):
        if rr <= target2:
            return z, r, s, rr
        d = norms[i]
        if d <= 0.0:
            continue
        t = float(r[i]) / d
        if t == 0.0:
            continue
        z = z - t * K[i, :]
        r = r - t * K2[i, :]
        rr = float(r @ r)
    return z, r, len(rows), rr


def gaussian(K: Any, S: Any, z: Any, r: Any, rr: float, target2: float) -> tuple[Any, Any, int, float]:
    """Gaussian vector sketches, one per row :math:`s` of ``S``: with :math:`u = Ks`,

    .. math::
        z \\leftarrow z - \\frac{s^T r}{\\|u\\|^2} u,\\qquad r \\leftarrow r - \\frac{s^T r}{\\|u\\|^2} K u,

    stopping before the first step at which :math:`\\|r\\|^2 \\le` ``target2``. Returns
    ``(z, r, steps, ||r||^2)``.
    """
    for s in range(S.shape[0]):
        if rr <= target2:
            return z, r, s, rr
        sv = S[s, :]
        u = K @ sv
        den = float(u @ u)
        if den <= 0.0:
            continue
        t = float(sv @ r) / den
        z = z - t * u
        r = r - t * (K @ u)
        rr = float(r @ r)
    return z, r, S.shape[0], rr


def block_rows(K: Any, K2: Any, draws: list[list[int]], z: Any, r: Any, rr: float,
               target2: float) -> tuple[Any, Any, int, float]:
    """Block sketch-and-project on the distinct rows :math:`I` of each draw (sorted):

    .. math::
        y = (K^2)_{II}^{-1} r_I,\\qquad z \\leftarrow z - K_I^T y,\\qquad r \\leftarrow r - (K^2)_I^T y,

    (:math:`(K^2)_{II} = K_I K_I^T`, a small positive definite matrix for distinct rows of a
    nonsingular ``K``; a block whose Cholesky factorisation fails is skipped), stopping before the first step at which :math:`\\|r\\|^2 \\le` ``target2``.
    Returns ``(z, r, steps, ||r||^2)``.
    """
    xp = get_namespace(z)
    for s, draw in enumerate(draws):
        if rr <= target2:
            return z, r, s, rr
        rows = sorted(set(draw))
        ix = xp.asarray(rows, dtype=xp.int64)
        KI = xp.take(K, ix, axis=0)
        K2I = xp.take(K2, ix, axis=0)
        try:
            L = xp.linalg.cholesky(xp.take(K2I, ix, axis=1))
        except Exception:  # noqa: BLE001  (Gram not positive definite: the block is skipped, as in the kernel)
            continue
        if not bool(xp.all(xp.isfinite(L))):
            continue
        y = xp.linalg.solve(L.T, xp.linalg.solve(L, xp.take(r, ix)))
        z = z - y @ KI
        r = r - y @ K2I
        rr = float(r @ r)
    return z, r, len(draws), rr
