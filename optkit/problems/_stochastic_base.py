"""The finite-sum problem protocol shared by the stochastic solvers, and what its models have in common.

A finite-sum problem is

.. math::
    F(x) = \\frac1n \\sum_{i=1}^n f_i(x) + \\frac{\\ell_2}{2}\\|w\\|^2,

one term per sample (row of a data matrix ``X``), with ``x`` one flat parameter vector. The
stochastic solvers reach the data only through this protocol:

- ``n_samples``; ``batch(idx)``: a minibatch (rows gathered once, reusable);
- ``value(x, idx=None)``, ``grad(x, idx=None)``, ``value_and_grad(x, idx=None)``: the mean over
  the minibatch ``idx`` (an index array or a ``Batch``) plus the regulariser, the full sum when
  ``idx`` is None;
- ``grads(points, idx)``: gradients at several points on one minibatch (variance reduction and
  curvature pairs difference them), in one pass over the batch where the model allows;
- the certificate ``measures(x, value=None, grad=None)``: the relative full-gradient norm
  :math:`\\|\\nabla F(x)\\| / \\max(1, \\|\\nabla F(x_0)\\|)` with :math:`x_0` the problem's
  ``initial_point()``, so that it is a function of ``x`` alone (a warm start does not rescale it);
- ``score(x, X, y)``: accuracy on held-out data.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple

import numpy as np

from ..backend import asarray, get_namespace, is_numpy, to_numpy
from ._stochastic_design import ArrayCSR, DenseDesign, SparseDesign, as_design, is_sparse, numpy_dtype
from .base import Problem

__all__ = ["FiniteSum", "Batch", "encode_labels"]


class Batch(NamedTuple):
    """A minibatch: its rows of the design, its targets (size, k), its size and its samples' indices (in the
    problem's namespace; None for the full data, whose rows are the samples in order)."""

    X: Any
    t: Any
    size: int
    idx: Any = None


def encode_labels(y: Any, *, multiclass: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, codes)``: the sorted distinct labels and each sample's index among them.

    Two distinct labels are a binary problem (the first class is coded -1 by the binary models);
    more than two need ``multiclass`` and integer labels.

    Parameters
    ----------
    y : array (n,)
        Labels: numbers or strings.
    multiclass : bool
        Whether more than two classes are accepted.

    Returns
    -------
    classes : numpy.ndarray
        The sorted distinct labels.
    codes : numpy.ndarray of int, shape (n,)
        Each sample's index in ``classes``.

    Examples
    --------
    >>> import numpy as np
    >>> from optkit.problems import encode_labels
    >>> classes, codes = encode_labels(np.array(["b", "a", "b"]), multiclass=False)
    >>> classes.tolist(), codes.tolist()
    (['a', 'b'], [1, 0, 1])
    """
    y_np = np.asarray(to_numpy(y))
    if y_np.dtype.kind not in "biufUS":
        raise TypeError(f"y must hold numbers or strings as labels, got dtype {y_np.dtype}")
    if y_np.ndim != 1:
        raise ValueError(f"y must be a 1-d array of labels, got shape {y_np.shape}")
    if y_np.dtype.kind == "f" and not np.all(np.isfinite(y_np)):
        raise ValueError("y contains NaN or infinite labels")
    classes, codes = np.unique(y_np, return_inverse=True)
    if classes.size < 2:
        raise ValueError(f"y must contain at least two distinct labels, got {classes.size}")
    if classes.size > 2:
        if not multiclass:
            raise ValueError(f"y must have two distinct labels for this binary model, got {classes.size}")
        if y_np.dtype.kind not in "iub" and not np.all(classes == np.round(classes)):
            raise ValueError("y with more than two labels must hold integer class labels")
    return classes, codes.astype(np.int64)


def _namespace_of(X: Any, y: Any) -> Any:
    """The namespace of the problem: ``y``'s when it is an array, else a dense ``X``'s, else NumPy."""
    for a in (y, X):
        if hasattr(a, "shape") and hasattr(a, "dtype") and not is_sparse(a):
            try:
                return get_namespace(a)
            except TypeError:
                continue
    return get_namespace(np.zeros(0))


def _check_l2(l2: Any) -> float:
    if isinstance(l2, bool) or not isinstance(l2, (int, float, np.floating, np.integer)) or not (
            math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    return float(l2)


class FiniteSum(Problem):
    """Base of the finite-sum models (frozen dataclasses with fields ``X``, ``y``, ``l2`` and more).

    A subclass implements ``_targets(codes)`` (the per-sample targets, (n, k)), ``n_params``,
    ``initial_point()``, ``_evaluate(points, batch, value)`` (the minibatch values and gradients)
    and ``predict(x, X)``. The rest of the protocol (see the module docstring) is here. The
    models and the stochastic setting are those of Wang, Ma, Goldfarb & Liu [1]_.

    References
    ----------
    .. [1] X. Wang, S. Ma, D. Goldfarb and W. Liu, "Stochastic quasi-Newton methods for nonconvex
       stochastic optimization", SIAM J. Optim. 27 (2017), 927-956.

    Examples
    --------
    The measures every finite sum reports (the relative full-gradient norm is ``optimality``):

    >>> import numpy as np
    >>> from optkit.problems import FiniteSum, LogisticRegression
    >>> X, y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([0, 1, 1])
    >>> problem = LogisticRegression(X, y, l2=0.1)
    >>> isinstance(problem, FiniteSum), sorted(problem.measures(problem.initial_point()))
    (True, ['fun', 'grad_norm', 'optimality'])
    """

    default_method = "sdlbfgs_vr"
    optimality_measure = "relative full-gradient norm |grad F(x)| / max(1, |grad F(x0)|)"
    multiclass = True

    def _setup(self) -> None:
        """Validate ``X``, ``y`` and ``l2`` and build the design and targets (from ``__post_init__``)."""
        X, y = self.X, self.y
        if not (hasattr(X, "shape") and len(X.shape) == 2):
            try:
                X = np.asarray(X, dtype=float) if not is_sparse(X) else X
            except (TypeError, ValueError) as exc:
                raise TypeError(f"X must be a 2-d array of real numbers or a sparse matrix: {exc}") from None
            if X.ndim != 2:
                raise ValueError(f"X must be a 2-d array (n samples, d features), got shape {X.shape}")
        try:
            kind = numpy_dtype(X.dtype).kind
        except TypeError:
            kind = "O"
        if kind not in "biuf":
            raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
        xp = _namespace_of(X, y)
        design = as_design(X, xp)
        n, d = design.shape
        if n == 0 or d == 0:
            raise ValueError(f"X must have at least one sample and one feature, got shape {design.shape}")
        if not _finite_design(design):
            raise ValueError("X contains NaN or infinite entries")
        if not hasattr(y, "shape"):
            y = np.asarray(y)
        if tuple(y.shape) != (n,):
            raise ValueError(f"y must have shape ({n},) to match X, got {tuple(y.shape)}")
        classes, codes = encode_labels(y, multiclass=self.multiclass)
        t = asarray(self._targets(codes, classes.size), xp=xp, dtype=design.dtype)
        object.__setattr__(self, "l2", _check_l2(self.l2))
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "_design", design)
        object.__setattr__(self, "_t", t)
        object.__setattr__(self, "_full", Batch(design, t, n))
        object.__setattr__(self, "_scale", None)
        object.__setattr__(self, "_host_indices", is_numpy(xp))

    def _targets(self, codes: np.ndarray, n_classes: int) -> np.ndarray:
        raise NotImplementedError

    # -- the protocol ------------------------------------------------------------------------------------------------

    @property
    def xp(self) -> Any:
        return self._design.xp

    @property
    def dtype(self) -> Any:
        return self._design.dtype

    @property
    def n_samples(self) -> int:
        return self._design.shape[0]

    @property
    def n_features(self) -> int:
        return self._design.shape[1]

    @property
    def n_params(self) -> int:
        raise NotImplementedError

    @property
    def design(self) -> DenseDesign | SparseDesign | ArrayCSR:
        """The data matrix as the products the models use (never densified)."""
        return self._design

    def arrays(self) -> dict[str, Any]:
        return {"t": self._t}

    def to(self, xp: Any) -> "FiniteSum":
        """The same problem with its data moved once to namespace ``xp`` (sparse data stay sparse)."""
        design = self._design
        X = design.host() if design.sparse else asarray(to_numpy(design.X), xp=xp)
        return dataclasses.replace(self, X=X, y=asarray(to_numpy(self.y), xp=xp))

    def astype(self, dtype: Any) -> "FiniteSum":
        """The same problem with its data in the float dtype ``dtype`` (sparse data stay sparse);
        the run loop re-certifies a float32 answer in float64 with it."""
        design = self._design
        if design.sparse:
            X = design.host().astype(numpy_dtype(dtype))
        else:
            X = design.X if design.dtype == dtype else self.xp.astype(design.X, dtype)
        return dataclasses.replace(self, X=X)

    def batch(self, idx: Any) -> Batch:
        """The minibatch of samples ``idx`` (host or namespace integers), rows gathered once; ``None``: all
        samples (nothing gathered)."""
        if idx is None:
            return self._full
        if isinstance(idx, Batch):
            return idx
        xp = self.xp
        if not isinstance(idx, np.ndarray) and not hasattr(idx, "shape"):
            idx = np.asarray(idx, dtype=np.int64)
        if isinstance(idx, np.ndarray) and not self._host_indices:
            idx = asarray(idx.astype(np.int64, copy=False), xp=xp, dtype=xp.int64)
        return Batch(self._design.rows(idx), xp.take(self._t, idx, axis=0), int(idx.shape[0]), idx)

    def _batch(self, idx: Any) -> Batch:
        return self._full if idx is None else self.batch(idx)

    def _evaluate(self, points: list[Any], batch: Batch, value: bool) -> tuple[list[float], list[Any]]:
        raise NotImplementedError

    def value(self, x: Any, idx: Any = None) -> float:
        """:math:`\\frac1{|S|}\\sum_{i\\in S} f_i(x) + \\frac{\\ell_2}2\\|w\\|^2` on the minibatch ``idx`` (all samples if None)."""
        return self.value_and_grad(x, idx)[0]

    def grad(self, x: Any, idx: Any = None) -> Any:
        """The gradient of :meth:`value` (a new array of the shape of ``x``)."""
        return self._evaluate([x], self._batch(idx), False)[1][0]

    def value_and_grad(self, x: Any, idx: Any = None) -> tuple[float, Any]:
        """:meth:`value` and :meth:`grad` from one pass over the minibatch."""
        vals, grads = self._evaluate([x], self._batch(idx), True)
        return vals[0], grads[0]

    def grads(self, points: Any, idx: Any = None) -> list[Any]:
        """The minibatch gradients at each of ``points`` on the same samples ``idx``."""
        return self._evaluate(list(points), self._batch(idx), False)[1]

    def objective(self, x: Any) -> float:
        return self.value(x)

    @property
    def gradient_scale(self) -> float:
        """:math:`\\max(1, \\|\\nabla F(x_0)\\|)` at ``x0 = initial_point()`` (computed once)."""
        if self._scale is None:
            object.__setattr__(self, "_scale", max(1.0, self._norm(self.grad(self.initial_point()))))
        return self._scale

    def _norm(self, v: Any) -> float:
        return float(self.xp.vecdot(v, v)) ** 0.5

    def measures(self, x: Any, value: float | None = None, grad: Any = None) -> dict[str, float]:
        """The full objective and the relative gradient norm :math:`\\|\\nabla F(x)\\| / \\max(1, \\|\\nabla F(x_0)\\|)`.

        ``value`` and ``grad``: :math:`F(x)` and :math:`\\nabla F(x)` where the caller already has
        them (a variance-reduced method's snapshot pass); otherwise one full pass computes both.
        """
        if grad is None or value is None:
            value, grad = self.value_and_grad(x)
        norm = self._norm(grad)
        return {"fun": float(value), "optimality": norm / self.gradient_scale, "grad_norm": norm}

    def predict(self, x: Any, X: Any) -> np.ndarray:
        raise NotImplementedError

    def score(self, x: Any, X: Any, y: Any) -> float:
        """Mean accuracy of the model ``x`` on samples ``X`` (dense or sparse) with labels ``y``."""
        y_np = np.asarray(to_numpy(y))
        pred = self.predict(x, X)
        if pred.shape != y_np.shape:
            raise ValueError(f"y must have shape {pred.shape} to match X, got {y_np.shape}")
        return float(np.mean(pred == y_np))

    def _held_out(self, X: Any) -> Any:
        design = as_design(X, self.xp, self.dtype)
        if design.shape[1] != self.n_features:
            raise ValueError(f"X must have {self.n_features} features, got {design.shape[1]}")
        return design

    def __repr__(self) -> str:
        kind = "sparse" if self._design.sparse else "dense"
        return (f"{type(self).__name__}(n_samples={self.n_samples}, n_features={self.n_features}, "
                f"classes={len(self.classes)}, l2={self.l2:g}, {kind}, {numpy_dtype(self.dtype)})")


def _finite_design(design: Any) -> bool:
    xp = design.xp
    if isinstance(design, DenseDesign):
        return bool(xp.all(xp.isfinite(design.X)))
    if isinstance(design, ArrayCSR):
        return bool(xp.all(xp.isfinite(design.data)))
    data = design.X.data
    return bool(get_namespace(data).all(get_namespace(data).isfinite(data)))
