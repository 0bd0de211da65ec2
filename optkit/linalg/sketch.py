"""Randomized iterative sketching for a symmetric linear system :math:`K z = b`.

Sketch-and-project (Gower & Richtarik, SIAM J. Matrix Anal. Appl. 36, 2015): each step projects
the iterate onto the solutions of a sketched system :math:`S^T K z = S^T b`,

.. math::
    z \\leftarrow z - K^T S (S^T K K^T S)^{\\dagger} S^T (K z - b),

with :math:`S` a random coordinate vector (randomized Kaczmarz, rows drawn uniformly as in the
AdaSketch-Newton code), a Gaussian vector, or a block of ``k`` sampled rows or Gaussian columns
(one small ``k x k`` solve per step: a Numba kernel over the rows, BLAS products for
Gaussian blocks). ``K`` is symmetric here
(a KKT matrix), so :math:`K^T S = K S` and :math:`S^T K K^T S = S^T K^2 S`: the system keeps
:math:`K^2` next to ``K`` and updates the residual :math:`r = Kz - b` incrementally; it is
recomputed exactly after every chunk of steps, when the stopping test is decided.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..backend import asarray, get_namespace

__all__ = ["SketchSystem", "SketchResult", "sketch_system", "sketch_solve", "SKETCHES"]

SKETCHES = ("kaczmarz", "gaussian", "block")


def _is_sparse(A: Any) -> bool:
    import scipy.sparse as sp  # noqa: PLC0415

    return sp.issparse(A)


class SketchSystem(NamedTuple):
    """A symmetric matrix prepared for sketching: ``K``, ``K2 = K @ K``, the squared row norms
    (the diagonal of ``K2``) and the Frobenius norm of ``K``. Dense (any namespace) or CSR."""

    K: Any
    K2: Any
    rownorm2: Any
    frobenius: float
    size: int
    Kc: Any = None        # CSR copies for the Numba kernels (NumPy data), made once
    K2c: Any = None


class SketchResult(NamedTuple):
    z: Any
    residual: float       # ||K z - b||, exact
    steps: int            # sketch steps taken (a block step counts once)
    reached: bool         # residual <= the requested target (or the attainable floor)


def sketch_system(K: Any) -> SketchSystem:
    """Prepare the symmetric ``K`` (dense array or ``scipy.sparse``) for :func:`sketch_solve`."""
    if _is_sparse(K):
        K = K.tocsr()
        K2 = (K @ K).tocsr()
        d = np.asarray(K2.diagonal())
        return SketchSystem(K, K2, d, float(np.sqrt(d.sum())), K.shape[0], K, K2)
    xp = get_namespace(K)
    K2 = K @ K
    d = xp.linalg.diagonal(K2)
    csr = (None, None)
    if isinstance(K, np.ndarray):
        import scipy.sparse as sp  # noqa: PLC0415

        K64 = K.astype(np.float64)   # the kernels' Gram blocks (K^2)_II in float64 also for float32 data
        csr = (sp.csr_matrix(K64), sp.csr_matrix(K64 @ K64))
    return SketchSystem(K, K2, d, float(xp.sqrt(xp.sum(d))), K.shape[0], *csr)


def _residual(system: SketchSystem, z: Any, b: Any) -> Any:
    return system.K @ z - b


def sketch_solve(system: SketchSystem, b: Any, target: float, rng: np.random.Generator, *, kind: str = "kaczmarz",
                 z0: Any = None, max_steps: int = 100_000, block_size: int = 8, block_kind: str = "rows",
                 floor_factor: float = 10.0) -> SketchResult:
    """Sketch steps from ``z0`` (default 0) until :math:`\\|Kz - b\\|_2 \\le` ``target``.

    Parameters
    ----------
    system : SketchSystem
    b : array, shape (N,)
    target : float
        Absolute residual norm to reach. It is raised to the attainable floor
        ``floor_factor * eps * (||K||_F ||z|| + ||b||)`` (the rounding level of :math:`Kz - b`), so that a
        target below the working precision ends the solve instead of running to ``max_steps``.
    rng : numpy.random.Generator
        All random draws (row indices, Gaussian sketches) come from it, on the host.
    kind : {"kaczmarz", "gaussian", "block"}
    max_steps : int
        Step limit (a block step counts once).
    block_size, block_kind : int, {"rows", "gaussian"}
        The block sketch: ``block_size`` rows drawn uniformly (distinct for N <= 64; above, drawn
        with replacement and a repeat dropped), or ``block_size`` Gaussian columns.

    Returns
    -------
    SketchResult
        ``(z, residual, steps, reached)`` with the residual recomputed exactly.
    """
    if kind not in SKETCHES:
        raise ValueError(f"kind must be one of {SKETCHES}, got {kind!r}")
    xp = get_namespace(b)
    N = system.size
    eps = float(xp.finfo(b.dtype).eps)
    z = xp.zeros_like(b) if z0 is None else xp.asarray(z0, copy=True)
    r = _residual(system, z, b)
    rr = float(r @ r)
    steps = 0

    bnorm = float(xp.linalg.vector_norm(b))

    def goal() -> float:
        floor = floor_factor * eps * (system.frobenius * float(xp.linalg.vector_norm(z)) + bnorm)
        return max(target, floor)

    grow = 8          # chunk lengths grow geometrically: the floor (which moves with ||z||) is rechecked early
    while True:
        tgt = goal()
        if rr <= tgt * tgt:
            return SketchResult(z, math.sqrt(rr), steps, True)
        if steps >= max_steps:
            return SketchResult(z, math.sqrt(rr), steps, False)
        left = max_steps - steps
        if kind == "kaczmarz":
            from ..kernels.nlp import kaczmarz_steps  # noqa: PLC0415

            rows = rng.integers(0, N, size=min(left, grow * 16, max(4096, 8 * N)))
            Kk, K2k = (system.Kc, system.K2c) if system.Kc is not None else (system.K, system.K2)
            z, r, done, rr = kaczmarz_steps(Kk, K2k, system.rownorm2, rows, z, r, rr, tgt * tgt)
        elif kind == "gaussian":
            from ..kernels.nlp import gaussian_steps  # noqa: PLC0415

            count = min(left, grow, max(1, min(4096, (1 << 21) // N)))
            S = asarray(rng.standard_normal((count, N)), like=b)
            z, r, done, rr = gaussian_steps(system.Kc if system.Kc is not None else system.K, S, z, r, rr,
                                            tgt * tgt)
        elif block_kind == "rows":
            from ..kernels.nlp import block_rows_steps  # noqa: PLC0415

            count, k = min(left, grow, max(256, (1 << 16) // block_size)), min(block_size, N)
            if N <= 64:   # k distinct rows: the first k of a random permutation
                draws = np.argsort(rng.random((count, N)), axis=1)[:, :k]
            else:         # with replacement (a repeated row is dropped from its block)
                draws = rng.integers(0, N, size=(count, k))
            Kk, K2k = (system.Kc, system.K2c) if system.Kc is not None else (system.K, system.K2)
            z, r, done, rr = block_rows_steps(Kk, K2k, draws, z, r, rr, tgt * tgt)
        else:
            count = min(left, grow, max(1, min(256, (1 << 21) // max(N * block_size, 1))))
            z, r, done, rr = _gaussian_blocks(system, z, r, rr, tgt * tgt, rng, count, block_size)
        steps += done
        grow *= 2
        r = _residual(system, z, b)        # exact residual: no drift from the incremental updates
        rr = float(r @ r)


def _gaussian_blocks(system: SketchSystem, z: Any, r: Any, rr: float, target2: float, rng: np.random.Generator,
                     count: int, k: int) -> tuple[Any, Any, int, float]:
    """``count`` Gaussian block sketch-and-project steps: :math:`U = KS` (N x k), :math:`y = (U^TU)^{-1}S^Tr`,
    :math:`z \\leftarrow z - Uy`, :math:`r \\leftarrow r - KUy` (matrix products, BLAS)."""
    xp = get_namespace(z)
    N = system.size
    k = min(k, N)
    for s in range(count):
        if rr <= target2:
            return z, r, s, rr
        S = asarray(rng.standard_normal((N, k)), like=z)
        U = system.K @ S
        y = _small_solve(xp, U.T @ U, S.T @ r)
        Uy = U @ y
        z = z - Uy
        r = r - system.K @ Uy
        rr = float(r @ r)
    return z, r, count, rr


def _small_solve(xp: Any, G: Any, rhs: Any) -> Any:
    """:math:`G^\\dagger` rhs for the small Gram matrix of a sketch (a pseudo-inverse when it is singular)."""
    try:
        y = xp.linalg.solve(G, rhs)
        if bool(xp.all(xp.isfinite(y))):
            return y
    except Exception:  # noqa: BLE001  (singular Gram: sampled rows dependent)
        pass
    return xp.linalg.pinv(G) @ rhs
