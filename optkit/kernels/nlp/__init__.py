"""Sketching kernels of the equality-constrained NLP family: Numba (``_jit.py``) on NumPy arrays
with CSR matrices, the array-API twins (``_twin.py``) otherwise."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._dispatch import use_numba
from . import _twin as twin

__all__ = ["kaczmarz_steps", "gaussian_steps", "block_rows_steps"]


def _csr(A: Any) -> Any:
    import scipy.sparse as sp  # noqa: PLC0415

    return A if sp.isspmatrix_csr(A) or isinstance(A, sp.csr_array) else sp.csr_matrix(A)


def _is_sparse(A: Any) -> bool:
    import scipy.sparse as sp  # noqa: PLC0415

    return sp.issparse(A)


def _dense(A: Any) -> Any:
    return A.toarray() if _is_sparse(A) else A


def kaczmarz_steps(K: Any, K2: Any, rownorm2: Any, rows: Any, z: Any, r: Any, rr: float,
                   target2: float) -> tuple[Any, Any, int, float]:
    """Randomized Kaczmarz steps on the symmetric :math:`Kz = b` for the drawn ``rows`` (host ints).

    ``K`` and ``K2`` (:math:`K^2`) are dense arrays or CSR matrices (NumPy); ``r = Kz - b`` and
    ``rr = ||r||^2`` on entry. See :func:`optkit.kernels.nlp._twin.kaczmarz` for the step.
    Returns ``(z, r, steps, ||r||^2)``; on the Numba path ``z`` and ``r`` are updated in place.
    """
    if use_numba(z) and use_numba(r):
        from . import _jit  # noqa: PLC0415

        Kc, K2c = _csr(K), _csr(K2)
        steps, rr = _jit.kaczmarz(Kc.indptr, Kc.indices, Kc.data, K2c.indptr, K2c.indices, K2c.data,
                                  np.ascontiguousarray(rownorm2, dtype=z.dtype), np.asarray(rows, dtype=np.int64),
                                  z, r, float(rr), float(target2))
        return z, r, int(steps), float(rr)
    return twin.kaczmarz(_dense(K), _dense(K2), rownorm2, [int(i) for i in rows], z, r, rr, target2)


def gaussian_steps(K: Any, S: Any, z: Any, r: Any, rr: float, target2: float) -> tuple[Any, Any, int, float]:
    """Gaussian vector sketches (one per row of ``S``) on the symmetric :math:`Kz = b`.

    See :func:`optkit.kernels.nlp._twin.gaussian`. Returns ``(z, r, steps, ||r||^2)``; on the Numba
    path ``z`` and ``r`` are updated in place.
    """
    if use_numba(z) and use_numba(r) and use_numba(S):
        from . import _jit  # noqa: PLC0415

        Kc = _csr(K)
        steps, rr = _jit.gaussian(Kc.indptr, Kc.indices, Kc.data, np.ascontiguousarray(S, dtype=z.dtype), z, r,
                                  float(rr), float(target2))
        return z, r, int(steps), float(rr)
    return twin.gaussian(_dense(K), S, z, r, rr, target2)


def block_rows_steps(K: Any, K2: Any, draws: Any, z: Any, r: Any, rr: float,
                     target2: float) -> tuple[Any, Any, int, float]:
    """Block sketch-and-project steps on the rows in each row of ``draws`` (host ints, shape (steps, k);
    duplicates within a draw are dropped). See :func:`optkit.kernels.nlp._twin.block_rows`.
    Returns ``(z, r, steps, ||r||^2)``; on the Numba path ``z`` and ``r`` are updated in place.
    """
    if use_numba(z) and use_numba(r):
        from . import _jit  # noqa: PLC0415

        Kc, K2c = _csr(K), _csr(K2)
        steps, rr = _jit.block_rows(Kc.indptr, Kc.indices, Kc.data, K2c.indptr, K2c.indices, K2c.data,
                                    np.ascontiguousarray(draws, dtype=np.int64), z, r, float(rr), float(target2))
        return z, r, int(steps), float(rr)
    return twin.block_rows(_dense(K), _dense(K2), [[int(i) for i in d] for d in np.asarray(draws)], z, r, rr,
                           target2)
