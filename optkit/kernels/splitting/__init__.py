"""Kernels of the splitting family: the exact 1-D total-variation prox along one axis (Condat's
direct algorithm), for several arrays in one call, and the fused consensus ADMM update. Numba
(``_jit.py``) on NumPy, parallel over the lines of all arrays (over the entries for the ADMM
update); the array-API twin (``_twin.py``) otherwise."""
from __future__ import annotations

import functools
import math
from typing import Any, Sequence

import numpy as np

from .. import _dispatch
from .._dispatch import use_numba
from . import _twin as twin

__all__ = ["tv_prox", "consensus_update", "twin"]

# Condat's scan costs about 5 ns per entry against 0.3 ns for a soft-threshold pass, so the
# threaded build pays from a size WORK times smaller than the shared threshold (measured:
# a 256 x 256 image, both axes, 2 threads: 0.55 -> 0.31 ms; 64 x 64: no gain).
WORK = 16


def tv_prox(inputs: Sequence[Any], lams: Sequence[float], axes: Sequence[int]) -> list[Any]:
    """``[prox_{lams[i] TV_{axes[i]}}(inputs[i]) for i]``, the exact 1-D TV prox of every line.

    :math:`\\operatorname{prox}_{\\lambda TV}(y) = \\arg\\min_x \\tfrac12\\|x - y\\|^2 +
    \\lambda \\sum |x_{j+1} - x_j|` with the differences taken along ``axes[i]``, for each line
    of ``inputs[i]`` independently (L. Condat, IEEE Signal Process. Lett. 2013). The inputs
    share one shape and dtype; on NumPy one Numba call handles all their lines, threaded
    above ``PARALLEL_MIN_SIZE / WORK`` entries in all.
    """
    inputs = list(inputs)
    if not inputs:
        return []
    first = inputs[0]
    if any(tuple(x.shape) != tuple(first.shape) or x.dtype != first.dtype for x in inputs):
        raise ValueError("tv_prox inputs must share one shape and dtype")
    lams = [float(v) for v in lams]
    axes = [int(a) % max(first.ndim, 1) for a in axes]
    if first.size == 0 or first.ndim == 0 or not all(isinstance(x, np.ndarray) for x in inputs) \
            or not use_numba(first):
        return twin.tv_prox(inputs, lams, axes)
    from . import _jit  # noqa: PLC0415  (lazy: Numba compiles on first use)

    X = tuple(np.ascontiguousarray(x).reshape(-1) for x in inputs)
    out = tuple(np.empty_like(x) for x in X)
    length, post, item_term, item_base, item_width = _items(tuple(first.shape), tuple(axes), _jit.BLOCK)
    size = first.size * len(inputs)
    kernel = _jit.tv_lines_parallel if size * WORK >= _dispatch.PARALLEL_MIN_SIZE else _jit.tv_lines_serial
    kernel(X, out, np.asarray(lams, dtype=np.float64), length, post, item_term, item_base, item_width)
    return [o.reshape(first.shape) for o in out]


@functools.lru_cache(maxsize=64)
def _items(shape: tuple, axes: tuple, block: int) -> tuple[np.ndarray, ...]:
    """Work items over the lines of arrays of ``shape`` along ``axes``: contiguous lines one by one,
    strided lines in blocks of ``block`` neighbours (``(length, post, term, base, width)``)."""
    length, post, terms, bases, widths = [], [], [], [], []
    for t, axis in enumerate(axes):
        n = shape[axis]
        pre = math.prod(shape[:axis])
        stride = math.prod(shape[axis + 1:])
        length.append(n)
        post.append(stride)
        for i in range(pre):
            if stride == 1:
                terms.append(t)
                bases.append(i * n)
                widths.append(0)
                continue
            for b0 in range(0, stride, block):
                terms.append(t)
                bases.append(i * n * stride + b0)
                widths.append(min(block, stride - b0))
    # Interleave the terms' items in proportion (a stable sort on the fraction of its term done), so
    # that the threads' equal chunks of the item range get equal shares of every term: in term order,
    # one thread got the cheap contiguous lines and the other the gathered blocks (2 threads, two
    # 512 x 512 axes: 1.28x over 1 thread).
    terms_a = np.asarray(terms, dtype=np.int64)
    counts = np.bincount(terms_a, minlength=len(axes))
    rank = np.arange(terms_a.size) - np.concatenate([[0], np.cumsum(counts)[:-1]])[terms_a]
    order = np.argsort((rank + 0.5) / counts[terms_a], kind="stable")
    as_int = functools.partial(np.asarray, dtype=np.int64)
    return (as_int(length), as_int(post), terms_a[order], as_int(bases)[order], as_int(widths)[order])


def consensus_update(W: Any, X: Any, U: Any, z: Any, rho: float, alpha: float) -> tuple:
    """The consensus ADMM update in one pass: ``(V, U+, W+, z+, sums)``, see
    :func:`optkit.kernels.splitting._twin.consensus_update`. Blocks are stacked along the first
    axis of ``W``, ``X`` and ``U`` (shape ``(K, *z.shape)``); the results are new arrays."""
    if all(isinstance(a, np.ndarray) for a in (W, X, U, z)) and use_numba(z) and \
            len({a.dtype for a in (W, X, U, z)}) == 1:
        from . import _jit  # noqa: PLC0415

        K = X.shape[0]
        flat = [np.ascontiguousarray(a).reshape(K, -1) for a in (W, X, U)]
        zf = np.ascontiguousarray(z).reshape(-1)
        V, U_new, W_new = (np.empty_like(flat[0]) for _ in range(3))
        z_new = np.empty_like(zf)
        kernel = _jit.consensus_parallel if X.size >= _dispatch.PARALLEL_MIN_SIZE else _jit.consensus_serial
        sums = kernel(*flat, zf, z.dtype.type(rho), z.dtype.type(alpha), V, U_new, W_new, z_new)
        shape = X.shape
        return (V.reshape(shape), U_new.reshape(shape), W_new.reshape(shape), z_new.reshape(z.shape),
                tuple(float(v) for v in sums))
    return twin.consensus_update(W, X, U, z, rho, alpha)
