"""Design matrices of the finite-sum problems: dense, scipy/CuPy CSR, and CSR held as array-API arrays.

A finite-sum problem reads its data matrix ``X`` (n samples x d features) only through

- ``rows(idx)``: the minibatch of rows ``idx`` (gathered once, reused by every gradient on it);
- ``matvec(W)``: :math:`XW` for ``W`` of shape (d, k);
- ``rmatvec(R)``: :math:`X^T R` for ``R`` of shape (n, k);

so a sparse ``X`` is never densified. Three layouts implement them:

- :class:`DenseDesign`: a 2-d array of any array-API library (NumPy, CuPy, array_api_strict);
- :class:`SparseDesign`: a ``scipy.sparse`` CSR matrix with NumPy vectors, or a ``cupyx.scipy.sparse``
  CSR matrix with CuPy vectors (the libraries' own compiled sparse products);
- :class:`ArrayCSR`: CSR as three arrays of an array-API namespace without a sparse library
  (``array_api_strict`` in the tests): products by segment sums over a cumulative sum, accumulated
  in float64 so that float32 data lose nothing to the long prefix sums; the transpose comes from one
  stable sort of the column indices.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import asarray, backend_name, get_namespace, is_cupy, is_numpy, to_numpy

__all__ = ["DenseDesign", "SparseDesign", "ArrayCSR", "as_design", "is_sparse", "numpy_dtype"]


def is_sparse(X: Any) -> bool:
    """True for a ``scipy.sparse`` or ``cupyx.scipy.sparse`` matrix or array."""
    mod = type(X).__module__
    return (mod.startswith("scipy.sparse") or mod.startswith("cupyx.scipy.sparse")) and hasattr(X, "tocsr")


class DenseDesign:
    """A dense ``(n, d)`` array of the namespace ``xp``."""

    sparse = False

    def __init__(self, X: Any) -> None:
        self.X = X
        self.xp = get_namespace(X)
        self.shape = (int(X.shape[0]), int(X.shape[1]))
        self.dtype = X.dtype

    def rows(self, idx: Any) -> "DenseDesign":
        return DenseDesign(self.xp.take(self.X, idx, axis=0))

    def matvec(self, W: Any) -> Any:
        return self.X @ W

    def rmatvec(self, R: Any) -> Any:
        return self.X.T @ R

    def host(self) -> np.ndarray:
        return to_numpy(self.X)

    def squared(self) -> "DenseDesign":
        """The design of the squared entries (column second moments are its :meth:`rmatvec` of ones)."""
        return DenseDesign(self.X * self.X)

    @property
    def nnz(self) -> int:
        return self.shape[0] * self.shape[1]


class SparseDesign:
    """A CSR matrix of ``scipy.sparse`` (with NumPy vectors) or ``cupyx.scipy.sparse`` (with CuPy).

    The rows are kept in canonical CSR form (sorted column indices, no duplicates). ``X.T @ R`` runs
    on the CSC view of the same arrays, so no transposed copy is stored.
    """

    sparse = True

    def __init__(self, X: Any, xp: Any) -> None:
        X = X.tocsr()
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
        self.X = X
        self.xp = xp
        self.shape = (int(X.shape[0]), int(X.shape[1]))
        self.dtype = X.dtype

    def rows(self, idx: Any) -> "SparseDesign | CSRRows":
        if is_numpy(self.xp):
            return CSRRows(self.X, np.asarray(idx, dtype=np.int64))
        sub = SparseDesign.__new__(SparseDesign)
        sub.X, sub.xp, sub.dtype = self.X[idx], self.xp, self.dtype
        sub.shape = (int(sub.X.shape[0]), self.shape[1])
        return sub

    def matvec(self, W: Any) -> Any:
        return self.X @ W

    def rmatvec(self, R: Any) -> Any:
        return self.X.T @ R

    def host(self) -> Any:
        X = self.X
        return X.get() if hasattr(X, "get") else X

    def squared(self) -> "SparseDesign":
        """The design of the squared entries (the same sparsity pattern)."""
        return SparseDesign(self.X.multiply(self.X), self.xp)

    @property
    def nnz(self) -> int:
        return int(self.X.nnz)


class CSRRows:
    """Rows ``idx`` of a scipy CSR matrix, read in place by Numba kernels (a minibatch without the
    cost of slicing a new CSR matrix: on 256 rows of 5e4 columns the slice took about 1 ms)."""

    sparse = True

    def __init__(self, X: Any, idx: np.ndarray) -> None:
        self.X, self.idx = X, idx
        self.shape = (int(idx.shape[0]), int(X.shape[1]))
        self.dtype = X.dtype

    def matvec(self, W: Any) -> Any:
        from ..kernels.stochastic import csr_rows_matvec  # noqa: PLC0415

        return csr_rows_matvec(self.X, self.idx, W)

    def rmatvec(self, R: Any) -> Any:
        from ..kernels.stochastic import csr_rows_rmatvec  # noqa: PLC0415

        return csr_rows_rmatvec(self.X, self.idx, R)

    def squared(self) -> "SparseDesign":
        """The selected rows with their entries squared, as a CSR matrix of ``len(idx)`` rows (the rows'
        nonzeros gathered by one index array: work in their number, not ``n``)."""
        import scipy.sparse as sp  # noqa: PLC0415

        X, idx = self.X, self.idx
        starts = X.indptr[idx]
        lengths = X.indptr[idx + 1] - starts
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        src = np.arange(indptr[-1]) + np.repeat(starts - indptr[:-1], lengths)
        data = X.data[src]
        rows = sp.csr_matrix((data * data, X.indices[src], indptr), shape=self.shape)
        return SparseDesign(rows, np)


class ArrayCSR:
    """CSR stored as array-API arrays: ``indptr`` (n+1,), ``indices`` (nnz,), ``data`` (nnz,).

    The pure array-API twin of the compiled sparse products, for namespaces without a sparse
    library. :math:`XW` is a segment sum: with :math:`c` the cumulative sum of
    ``data * W[indices]`` (a leading 0 included), row ``i`` is
    :math:`c_{\\mathrm{indptr}_{i+1}} - c_{\\mathrm{indptr}_i}`. The sums run in float64 (the prefix
    sums of a long matrix would otherwise lose the float32 row sums to cancellation). :math:`X^TR`
    is the same product on the transpose, built once by a stable sort of the column indices (the
    minibatch transposes are built per batch: O(b k log(b k)) for b rows of k nonzeros).
    """

    sparse = True

    def __init__(self, indptr: Any, indices: Any, data: Any, shape: tuple[int, int], *, _t: Any = None) -> None:
        self.indptr, self.indices, self.data = indptr, indices, data
        self.xp = get_namespace(data)
        self.shape = (int(shape[0]), int(shape[1]))
        self.dtype = data.dtype
        self._t = _t

    @classmethod
    def from_scipy(cls, X: Any, xp: Any, dtype: Any = None) -> "ArrayCSR":
        X = X.tocsr()
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
        data = asarray(np.asarray(X.data), xp=xp, dtype=dtype)
        return cls(asarray(X.indptr.astype(np.int64), xp=xp), asarray(X.indices.astype(np.int64), xp=xp),
                   data, X.shape)

    @property
    def nnz(self) -> int:
        return int(self.data.shape[0])

    def _sum_segments(self, values: Any, indptr: Any) -> Any:
        """Segment sums of ``values`` (nnz, k) between consecutive ``indptr`` entries, in float64."""
        xp = self.xp
        wide = values if values.dtype == xp.float64 else xp.astype(values, xp.float64)
        c = xp.cumulative_sum(wide, axis=0, include_initial=True)
        out = xp.take(c, indptr[1:], axis=0) - xp.take(c, indptr[:-1], axis=0)
        return out if out.dtype == self.dtype else xp.astype(out, self.dtype)

    def matvec(self, W: Any) -> Any:
        xp = self.xp
        vals = xp.take(W, self.indices, axis=0) * self.data[:, None]
        return self._sum_segments(vals, self.indptr)

    @property
    def T(self) -> "ArrayCSR":
        """The transpose as an :class:`ArrayCSR` (rows = columns of this matrix), made once."""
        if self._t is None:
            xp = self.xp
            n, d = self.shape
            order = xp.argsort(self.indices, stable=True)
            rows_of = xp.repeat(xp.arange(n, dtype=xp.int64), self.indptr[1:] - self.indptr[:-1])
            cols = xp.take(self.indices, order)
            indptr = xp.searchsorted(cols, xp.arange(d + 1, dtype=xp.int64), side="left")
            self._t = ArrayCSR(xp.astype(indptr, xp.int64), xp.take(rows_of, order), xp.take(self.data, order),
                               (d, n), _t=self)
        return self._t

    def rmatvec(self, R: Any) -> Any:
        return self.T.matvec(R)

    def rows(self, idx: Any) -> "ArrayCSR":
        """Rows ``idx`` as a new CSR: every selected row's run of nonzeros, gathered by one ``take``."""
        xp = self.xp
        starts = xp.take(self.indptr, idx)
        lengths = xp.take(self.indptr, idx + 1) - starts
        indptr = xp.cumulative_sum(lengths, include_initial=True)
        total = int(indptr[-1])
        # position p of the batch's nonzeros lies in row r(p); its source is starts[r] + (p - indptr[r])
        shift = xp.repeat(starts - indptr[:-1], lengths)
        src = xp.arange(total, dtype=xp.int64) + shift
        return ArrayCSR(xp.astype(indptr, xp.int64), xp.take(self.indices, src), xp.take(self.data, src),
                        (int(idx.shape[0]), self.shape[1]))

    def squared(self) -> "ArrayCSR":
        """The design of the squared entries (the same sparsity pattern)."""
        return ArrayCSR(self.indptr, self.indices, self.data * self.data, self.shape)

    def host(self) -> Any:
        import scipy.sparse as sp  # noqa: PLC0415

        return sp.csr_matrix((to_numpy(self.data), to_numpy(self.indices), to_numpy(self.indptr)), shape=self.shape)


def numpy_dtype(dtype: Any) -> np.dtype:
    """The NumPy dtype of any namespace's dtype (``array_api_strict.float32`` -> ``float32``)."""
    try:
        return np.dtype(dtype)
    except TypeError:
        return np.dtype(str(dtype).split(".")[-1])


def as_design(X: Any, xp: Any, dtype: Any = None) -> DenseDesign | SparseDesign | ArrayCSR:
    """``X`` (dense array of ``xp``, NumPy array, or scipy/cupyx sparse matrix) as a design in ``xp``.

    A sparse matrix stays sparse: a scipy matrix with NumPy becomes a :class:`SparseDesign`, with
    CuPy a ``cupyx`` CSR :class:`SparseDesign`, with any other namespace an :class:`ArrayCSR`.
    ``dtype`` (a float dtype of ``xp``): the data's dtype; by default float32/float64 data keep
    theirs and anything else becomes float64.
    """
    if isinstance(X, (DenseDesign, SparseDesign, ArrayCSR)):
        return X
    if is_sparse(X):
        on_gpu = type(X).__module__.startswith("cupyx")
        host = None if on_gpu else X.tocsr()
        kind = np.dtype(X.dtype)
        target = numpy_dtype(dtype) if dtype is not None else kind if kind in (np.float32, np.float64) else np.float64
        if is_cupy(xp):
            import cupyx.scipy.sparse as cps  # noqa: PLC0415  (GPU only)

            Xg = X.tocsr() if on_gpu else cps.csr_matrix(host)
            return SparseDesign(Xg.astype(target) if Xg.dtype != target else Xg, xp)
        if on_gpu:
            host = X.get().tocsr()
        if is_numpy(xp):
            return SparseDesign(host.astype(target) if host.dtype != target else host, xp)
        return ArrayCSR.from_scipy(host, xp, dtype=getattr(xp, target.name))
    if not hasattr(X, "shape"):
        X = np.asarray(X)
    if isinstance(X, np.ndarray) and not is_numpy(xp):
        X = asarray(X if X.dtype.kind == "f" else X.astype(np.float64), xp=xp)
    elif backend_name(get_namespace(X)) != backend_name(xp):
        raise TypeError("X comes from another array library than y; use one array library (or NumPy data)")
    if dtype is None:
        dtype = X.dtype if X.dtype in (xp.float32, xp.float64) else xp.float64
    if X.dtype != dtype:
        X = xp.astype(X, dtype)
    return DenseDesign(X)
