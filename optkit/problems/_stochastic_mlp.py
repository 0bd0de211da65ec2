"""A multilayer perceptron classifier as a finite sum: tanh hidden layers, softmax cross-entropy."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backend import asarray, to_numpy
from .base import keyword_weights
from ._stochastic_base import Batch, FiniteSum

__all__ = ["MLPClassifier"]


@keyword_weights
@dataclass(frozen=True, eq=False, repr=False)
class MLPClassifier(FiniteSum):
    """A tanh network with a softmax cross-entropy loss; all its parameters in one flat vector.

    With layer widths :math:`n_0 = d, n_1, \\dots, n_L` (``hidden``) and :math:`n_{L+1} = K`
    classes, :math:`H_0 = X`, :math:`H_l = \\tanh(H_{l-1}W_l + b_l)` and logits
    :math:`Z = H_L W_{L+1} + b_{L+1}`,

    .. math::
        F(x) = \\frac1n\\sum_{i=1}^n \\Big(\\log\\sum_c e^{Z_{ic}} - Z_{i c_i}\\Big)
        + \\frac{\\ell_2}2\\sum_l \\|W_l\\|_F^2 ,

    nonconvex. ``x`` holds :math:`W_1, b_1, \\dots, W_{L+1}, b_{L+1}` in that order, each weight
    row-major (:math:`n_{l-1}\\times n_l`); the biases are not regularised (scikit-learn's
    ``MLPClassifier`` convention: its ``alpha`` is ``n * l2``). Binary labels use two softmax
    outputs. Gradients by backpropagation [1]_; the first layer reads ``X`` only through the design's
    products, so sparse data stay sparse.

    Parameters
    ----------
    X : array (n, d) or sparse matrix
        Samples by rows (as for :class:`~optkit.problems.LogisticRegression`).
    y : array (n,)
        Labels: two distinct values or more than two integer classes.
    hidden : tuple of int
        Hidden layer widths (at least one layer).
    l2 : float
        Weight decay :math:`\\ell_2 \\ge 0` on the weight matrices (keyword only, like ``seed``).
    seed : int
        Seed of :meth:`initial_point`: weights uniform in
        :math:`\\pm\\sqrt{6/(n_{l-1} + n_l)}` (Glorot & Bengio 2010), biases zero. The zero
        vector is a saddle point of every tanh network, so the start must be random.

    References
    ----------
    .. [1] D. E. Rumelhart, G. E. Hinton and R. J. Williams, "Learning representations by
       back-propagating errors", Nature 323 (1986), 533-536.

    Examples
    --------
    >>> import optkit
    >>> from optkit.datasets.stochastic import digits
    >>> from optkit.problems import MLPClassifier
    >>> split = digits()
    >>> problem = MLPClassifier(split.X_train, split.y_train, hidden=(16,), l2=1e-3)
    >>> res = optkit.solve(problem, tol=1e-2, seed=0, max_epochs=30, step_size=0.3, damping=0.1)
    >>> problem.n_params, res.success, problem.score(res.x, split.X_test, split.y_test) > 0.9
    (1210, True, True)
    """

    X: Any
    y: Any
    hidden: tuple = (32,)
    l2: float = field(default=1e-4, kw_only=True)
    seed: int = field(default=0, kw_only=True)

    def __post_init__(self) -> None:
        hidden = tuple(self.hidden) if isinstance(self.hidden, (tuple, list)) else None
        if not hidden or not all(isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1
                                 for h in hidden):
            raise ValueError(f"hidden must be a non-empty tuple of positive integers, got {self.hidden!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a nonnegative integer, got {self.seed!r}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in hidden))
        self._setup()
        widths = (self.n_features, *self.hidden, len(self.classes))
        layers, start = [], 0
        for fan_in, fan_out in zip(widths[:-1], widths[1:]):
            layers.append((start, fan_in, fan_out))
            start += fan_in * fan_out + fan_out
        object.__setattr__(self, "_layers", tuple(layers))
        object.__setattr__(self, "_size", start)
        mask = np.zeros(start)
        for s, fan_in, fan_out in layers:
            mask[s:s + fan_in * fan_out] = 1.0
        object.__setattr__(self, "_mask", asarray(mask, xp=self.xp, dtype=self.dtype))

    def _targets(self, codes: np.ndarray, n_classes: int) -> np.ndarray:
        return np.eye(n_classes)[codes]

    @property
    def n_params(self) -> int:
        return self._size

    def initial_point(self) -> Any:
        rng = np.random.default_rng(self.seed)
        x = np.zeros(self._size)
        for s, fan_in, fan_out in self._layers:
            bound = np.sqrt(6.0 / (fan_in + fan_out))
            x[s:s + fan_in * fan_out] = rng.uniform(-bound, bound, fan_in * fan_out)
        return asarray(x, xp=self.xp, dtype=self.dtype)

    def _unpack(self, x: Any) -> list[tuple[Any, Any]]:
        xp = self.xp
        out = []
        for s, fan_in, fan_out in self._layers:
            w_end = s + fan_in * fan_out
            out.append((xp.reshape(x[s:w_end], (fan_in, fan_out)), x[w_end:w_end + fan_out]))
        return out

    def _forward(self, params: list[tuple[Any, Any]], design: Any) -> list[Any]:
        """Hidden activations :math:`H_1..H_L` and the logits, in order."""
        xp = self.xp
        outs = []
        for layer, (W, b) in enumerate(params):
            Z = (design.matvec(W) if layer == 0 else outs[-1] @ W) + b
            outs.append(Z if layer == len(params) - 1 else xp.tanh(Z))
        return outs

    def _evaluate(self, points: list[Any], batch: Batch, value: bool) -> tuple[list[float], list[Any]]:
        xp = self.xp
        vals, grads = [], []
        for x in points:
            params = self._unpack(x)
            outs = self._forward(params, batch.X)
            Z = outs[-1]
            top = xp.max(Z, axis=1, keepdims=True)
            lse = top + xp.log(xp.sum(xp.exp(Z - top), axis=1, keepdims=True))
            if value:
                wx = self._mask * x
                vals.append(float(xp.mean(lse[:, 0] - xp.sum(Z * batch.t, axis=1)))
                            + 0.5 * self.l2 * float(xp.vecdot(wx, wx)))
            dZ = (xp.exp(Z - lse) - batch.t) / batch.size
            pieces: list[Any] = []
            for layer in range(len(params) - 1, -1, -1):
                W, _ = params[layer]
                gW = batch.X.rmatvec(dZ) if layer == 0 else outs[layer - 1].T @ dZ
                pieces[:0] = [xp.reshape(gW, (-1,)), xp.sum(dZ, axis=0)]
                if layer > 0:
                    H = outs[layer - 1]
                    dZ = (dZ @ W.T) * (1.0 - H * H)
            grads.append(xp.concat(pieces) + self.l2 * (self._mask * x))
        return vals, grads

    def predict_proba(self, x: Any, X: Any) -> np.ndarray:
        """Class probabilities (host array, (n, K)) of the samples ``X``."""
        Z = np.asarray(to_numpy(self._forward(self._unpack(x), self._held_out(X))[-1]), dtype=float)
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        return P / P.sum(axis=1, keepdims=True)

    def predict(self, x: Any, X: Any) -> np.ndarray:
        """Predicted labels (host array) of the samples ``X``."""
        return self.classes[np.argmax(self.predict_proba(x, X), axis=1)]
