"""Finite-sum models for the stochastic solvers: l2-logistic regression, the sigmoid-loss SVM and an MLP.

Every model is a frozen dataclass ``Model(X, y, l2, ...)`` over a data matrix ``X`` (dense, or
``scipy.sparse`` CSR; ``cupyx`` CSR with CuPy labels; never densified) and labels ``y``, with one
flat parameter vector ``x``; the protocol (minibatch values and gradients, the relative
full-gradient-norm certificate, held-out accuracy) is :class:`~optkit.problems.FiniteSum`'s.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backend import to_numpy
from .base import keyword_weights
from ._stochastic_base import Batch, FiniteSum, encode_labels
from ._stochastic_mlp import MLPClassifier

__all__ = ["FiniteSum", "LogisticRegression", "SigmoidSVM", "MLPClassifier", "encode_labels"]


class _LinearModel(FiniteSum):
    """A model of the margins :math:`Z = XW`, ``W`` of shape (d, k) flattened row-major into ``x``.

    Subclasses give the per-sample loss of the margins, ``_loss(Z, T) -> (loss (b, 1), dL/dZ (b, k))``, and
    ``loss_curvature``, a bound :math:`c \\ge |\\ell''(z)|` on its second derivative in a margin.
    The gradient of the minibatch mean is :math:`X_S^T\\,\\partial L/\\partial Z / |S| + \\ell_2 x`;
    gradients at several points share one gather of the rows and one product each way.
    """

    @property
    def n_outputs(self) -> int:
        return int(self._t.shape[1])

    @property
    def n_params(self) -> int:
        return self.n_features * self.n_outputs

    def initial_point(self) -> Any:
        return self.xp.zeros((self.n_params,), dtype=self.dtype)

    def curvature_diagonal(self, idx: Any = None) -> Any:
        """A per-parameter curvature bound, shape (``n_params``,): :math:`D_{jc} = c\\,\\frac1n\\sum_i x_{ij}^2 + \\ell_2`.

        With :math:`|\\ell''| \\le c` (``loss_curvature``), :math:`D` bounds the diagonal of the Hessian
        (:math:`\\frac1n\\sum_i \\ell''(z_{ic}) x_{ij}^2 + \\ell_2`) at every point: the Jacobi diagonal of the
        Gauss-Newton bound, from the column second moments of ``X`` in one pass over its entries (sparse ``X``
        stays sparse). Same for every output ``c`` of a multinomial model. ``idx`` (indices or a
        :class:`Batch`): the same over those rows only (the mean over the minibatch, in the work of its
        nonzeros), the estimate that SdLBFGS's ``diagonal="sampled"`` averages.
        """
        xp, k, batch = self.xp, self.n_outputs, self._batch(idx)
        d = self.n_features
        m2 = batch.X.squared().rmatvec(xp.ones((batch.size, 1), dtype=self.dtype))[:, 0] / batch.size
        m2 = xp.reshape(xp.broadcast_to(m2[:, None], (d, k)), (-1,))
        return self.loss_curvature * m2 + self.l2

    def _loss(self, Z: Any, T: Any, value: bool) -> tuple[Any, Any]:
        raise NotImplementedError

    def _evaluate(self, points: list[Any], batch: Batch, value: bool) -> tuple[list[float], list[Any]]:
        losses, dZs = self._margin_terms(points, batch, value)
        vals = [self._mean_value(loss, p) for loss, p in zip(losses, points)] if value else []
        return vals, self._gradients(points, dZs, batch)

    def _mean_value(self, loss: Any, x: Any) -> float:
        return float(self.xp.mean(loss)) + 0.5 * self.l2 * float(self.xp.vecdot(x, x))

    def _margin_terms(self, points: list[Any], batch: Batch, value: bool) -> tuple[list[Any], list[Any]]:
        """Per-sample losses (None unless ``value``) and loss derivatives :math:`\\partial L/\\partial Z` (b, k) at
        each point, from one product :math:`X_S [W_1, \\ldots, W_m]`."""
        xp = self.xp
        d, k, m = self.n_features, self.n_outputs, len(points)
        Ws = [xp.reshape(p, (d, k)) for p in points]
        Z = batch.X.matvec(Ws[0] if m == 1 else xp.concat(Ws, axis=1))
        terms = [self._loss(Z if m == 1 else Z[:, j * k:(j + 1) * k], batch.t, value) for j in range(m)]
        return [t[0] for t in terms], [t[1] for t in terms]

    def _gradients(self, points: list[Any], dZs: list[Any], batch: Batch) -> list[Any]:
        """:math:`X_S^T\\,\\partial L/\\partial Z / |S| + \\ell_2 x` at each point, from one product
        :math:`X_S^T [D_1, \\ldots, D_m]`."""
        xp = self.xp
        k, m = self.n_outputs, len(points)
        G = batch.X.rmatvec((dZs[0] if m == 1 else xp.concat(dZs, axis=1)) / batch.size)
        return [xp.reshape(G if m == 1 else G[:, j * k:(j + 1) * k], (-1,)) + self.l2 * points[j] for j in range(m)]

    def value_grad_derivatives(self, x: Any, idx: Any = None) -> tuple[float, Any, Any]:
        """:meth:`value_and_grad` and the per-sample loss derivatives :math:`D = \\partial L/\\partial Z` at ``x``,
        shape (b, k), one row per sample of ``idx`` (of every sample, in order, when None).

        The sample gradients of a linear model are :math:`\\nabla f_i(x) = x_i D_i` (an outer product, flattened)
        plus :math:`\\ell_2 x`, so ``D`` (``b k`` numbers) holds all of them at ``x``: a method that comes back to
        ``x`` (SVRG's snapshot) can rebuild them on any later minibatch without the margins
        (:meth:`grads_with_derivatives`). SAG's implementation stores a linear model's gradients this way (its
        "structured gradients": Schmidt, Le Roux & Bach, Math. Program. 2017), and lightning's SVRG keeps its
        snapshot's scalars.
        """
        batch = self._batch(idx)
        (loss,), (dZ,) = self._margin_terms([x], batch, True)
        return self._mean_value(loss, x), self._gradients([x], [dZ], batch)[0], dZ

    def grads_with_derivatives(self, x: Any, x_ref: Any, d_ref: Any, idx: Any, *,
                               difference: bool = False) -> list[Any]:
        """The minibatch gradients at ``x`` and at ``x_ref`` on the samples ``idx``, with ``d_ref`` (b, k) the loss
        derivatives of ``x_ref`` on those samples (rows of :meth:`value_grad_derivatives` at ``x_ref``): the same
        as ``grads((x, x_ref), idx)`` but with the margins of ``x`` alone, so ``b`` sample gradients are evaluated,
        not ``2b``. ``difference``: only :math:`\\nabla F_S(x) - \\nabla F_S(x_{\\mathrm{ref}})
        = X_S^T (D - D_{\\mathrm{ref}}) / |S| + \\ell_2 (x - x_{\\mathrm{ref}})`, in one product of ``k`` columns
        (a one-element list)."""
        batch = self._batch(idx)
        _, (dZ,) = self._margin_terms([x], batch, False)
        if difference:
            return self._gradients([x - x_ref], [dZ - d_ref], batch)
        return self._gradients([x, x_ref], [dZ, d_ref], batch)

    def decision_function(self, x: Any, X: Any) -> Any:
        """Margins :math:`XW` of held-out samples ``X`` (n, k), in the problem's namespace."""
        return self._held_out(X).matvec(self.xp.reshape(x, (self.n_features, self.n_outputs)))

    def predict(self, x: Any, X: Any) -> np.ndarray:
        """Predicted labels (host array) of the samples ``X``."""
        Z = np.asarray(to_numpy(self.decision_function(x, X)))
        pick = (Z[:, 0] > 0).astype(np.int64) if Z.shape[1] == 1 else np.argmax(Z, axis=1)
        return self.classes[pick]


def _binary_targets(codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels in {-1, +1} (the first sorted class is -1), shape (n, 1)."""
    return (2.0 * codes - 1.0)[:, None]


@keyword_weights
@dataclass(frozen=True, eq=False, repr=False)
class LogisticRegression(_LinearModel):
    """l2-regularised logistic regression (binary, or multinomial for more than two integer labels).

    Logistic regression [1]_. Binary (two distinct labels, mapped to
    :math:`t_i \\in \\{-1, +1\\}`, the smaller label -1):

    .. math::
        F(w) = \\frac1n\\sum_{i=1}^n \\log\\big(1 + e^{-t_i x_i^T w}\\big) + \\frac{\\ell_2}2\\|w\\|^2 ,
        \\qquad w \\in \\mathbb R^d .

    Multinomial (K > 2 classes, one-hot targets :math:`T`), :math:`W \\in \\mathbb R^{d\\times K}`
    flattened row-major into ``x``:

    .. math::
        F(W) = \\frac1n\\sum_{i=1}^n \\Big(\\log\\sum_{c} e^{x_i^T W_c} - x_i^T W_{c_i}\\Big)
        + \\frac{\\ell_2}2\\|W\\|_F^2 .

    scikit-learn's ``LogisticRegression(C=1/(n l2), fit_intercept=False)`` minimises the same
    function (times ``n C``). There is no intercept; add a column of ones to ``X`` for one (it is
    then regularised too). Convex: :meth:`to_cvxpy` gives the reference model.

    Parameters
    ----------
    X : array (n, d) or sparse matrix
        Samples by rows: a dense array (NumPy, CuPy, any array-API library) or a ``scipy.sparse``
        matrix (kept as CSR; with CuPy labels it moves to ``cupyx`` CSR). Integer data become float64.
    y : array (n,)
        Labels: any two distinct values, or more than two integer classes.
    l2 : float
        Ridge weight :math:`\\ell_2 \\ge 0` (keyword only).

    References
    ----------
    .. [1] D. R. Cox, "The regression analysis of binary sequences", J. R. Stat. Soc. B 20
       (1958), 215-242.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets.stochastic import breast_cancer
    >>> from optkit.problems import LogisticRegression
    >>> split = breast_cancer()
    >>> problem = LogisticRegression(split.X_train, split.y_train, l2=1e-3)
    >>> res = optkit.solve(problem, tol=1e-3, seed=0)
    >>> res.method, res.success, problem.score(res.x, split.X_test, split.y_test) > 0.9
    ('sdlbfgs_vr', True, True)
    """

    X: Any
    y: Any
    l2: float = field(default=1e-4, kw_only=True)

    def __post_init__(self) -> None:
        self._setup()

    loss_curvature = 0.25   # sigma(1 - sigma) <= 1/4, and p_c (1 - p_c) <= 1/4 on the softmax's diagonal

    def _targets(self, codes: np.ndarray, n_classes: int) -> np.ndarray:
        if n_classes == 2:
            return _binary_targets(codes, n_classes)
        return np.eye(n_classes)[codes]

    def _loss(self, Z: Any, T: Any, value: bool) -> tuple[Any, Any]:
        xp = self.xp
        if T.shape[1] == 1:
            # L = log(1 + exp(-t z)); dL/dz = -t sigma(-t z) = t expm1(-L), exact where sigma(-t z) is tiny
            L = xp.logaddexp(0.0, -T * Z)
            return L, T * xp.expm1(-L)
        top = xp.max(Z, axis=1, keepdims=True)
        lse = top + xp.log(xp.sum(xp.exp(Z - top), axis=1, keepdims=True))
        P = xp.exp(Z - lse)
        return (lse - xp.sum(Z * T, axis=1, keepdims=True) if value else None), P - T

    def to_cvxpy(self) -> tuple[Any, Any]:
        """The CVXPY model (``logistic`` / ``log_sum_exp`` atoms) on the host data."""
        import cvxpy as cp  # noqa: PLC0415

        X = self.design.host()
        T = np.asarray(to_numpy(self._t), dtype=float)
        n, d = self.n_samples, self.n_features
        w = cp.Variable(d * self.n_outputs)
        if self.n_outputs == 1:
            loss = cp.sum(cp.logistic(-cp.multiply(T[:, 0], X @ w))) / n
        else:
            W = cp.reshape(w, (d, self.n_outputs), order="C")
            Z = X @ W
            loss = (cp.sum(cp.log_sum_exp(Z, axis=1)) - cp.sum(cp.multiply(Z, T))) / n
        return cp.Problem(cp.Minimize(loss + 0.5 * self.l2 * cp.sum_squares(w))), w


@keyword_weights
@dataclass(frozen=True, eq=False, repr=False)
class SigmoidSVM(_LinearModel):
    """The sigmoid-loss SVM, a nonconvex smooth binary classifier (Wang, Ma, Goldfarb & Liu 2017).

    .. math::
        F(w) = \\frac1n\\sum_{i=1}^n \\big(1 - \\tanh(t_i x_i^T w)\\big) + \\frac{\\ell_2}2\\|w\\|^2 ,
        \\qquad t_i \\in \\{-1, +1\\},

    with gradient :math:`-\\frac1n\\sum_i (1 - \\tanh^2(t_i x_i^Tw))\\,t_i x_i + \\ell_2 w`. The loss
    is bounded (in [0, 2]), so outliers pull no harder than any other misclassified point; it is
    nonconvex, and stationary points are what a method can certify. It is the test problem of
    Wang, Ma, Goldfarb & Liu [1]_.

    Parameters
    ----------
    X : array (n, d) or sparse matrix
        As for :class:`LogisticRegression`.
    y : array (n,)
        Two distinct labels (the smaller one is mapped to -1).
    l2 : float
        Ridge weight :math:`\\ell_2 \\ge 0` (keyword only).

    References
    ----------
    .. [1] X. Wang, S. Ma, D. Goldfarb and W. Liu, "Stochastic quasi-Newton methods for nonconvex
       stochastic optimization", SIAM J. Optim. 27 (2017), 927-956.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets.stochastic import breast_cancer
    >>> from optkit.problems import SigmoidSVM
    >>> split = breast_cancer()
    >>> problem = SigmoidSVM(split.X_train, split.y_train, l2=1e-3)
    >>> res = optkit.solve(problem, tol=1e-3, seed=0, max_epochs=50)
    >>> res.success, problem.score(res.x, split.X_test, split.y_test) > 0.9
    (True, True)
    """

    X: Any
    y: Any
    l2: float = field(default=1e-4, kw_only=True)
    multiclass = False
    loss_curvature = 4.0 / (3.0 * 3.0 ** 0.5)   # |d^2/dz^2 (1 - tanh z)| = |2 tanh z sech^2 z| <= 4 / (3 sqrt 3)

    def __post_init__(self) -> None:
        self._setup()

    def _targets(self, codes: np.ndarray, n_classes: int) -> np.ndarray:
        return _binary_targets(codes, n_classes)

    def _loss(self, Z: Any, T: Any, value: bool) -> tuple[Any, Any]:
        th = self.xp.tanh(T * Z)
        return (1.0 - th if value else None), -T * (1.0 - th * th)
