"""Terms through a linear operator: least squares :math:`\\tfrac12\\|Ax - b\\|^2` with a
Fourier-diagonal :math:`A`, and the l1 norm of an orthonormal transform."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import kernels
from ..backend import asarray, get_namespace, inner, to_numpy
from ..operators import DCT, LinearOperator
from .base import Function, check_scalar

__all__ = ["OperatorSquaredLoss", "TransformedL1"]


@dataclass(frozen=True)
class OperatorSquaredLoss(Function):
    """:math:`f(x) = \\tfrac12\\|Ax - b\\|^2` for an operator of :mod:`optkit.operators`.

    Parameters
    ----------
    operator : LinearOperator
        ``Identity``, ``GaussianBlur``, ``PartialFourier`` ...
    b : array
        Data in the operator's output space (complex for ``PartialFourier``, zero off
        its mask).

    Notes
    -----
    :math:`\\nabla f(x) = A^*A x - A^*b` (Lipschitz :math:`\\|A\\|^2`) and
    :math:`\\operatorname{prox}_{tf}(v) = (I + tA^*A)^{-1}(v + tA^*b)`, both one real FFT
    pair for these operators; :math:`A^*b` is computed once. The prox is the standard one
    of a quadratic [1]_.

    References
    ----------
    .. [1] P. L. Combettes and J.-C. Pesquet, "Proximal splitting methods in signal
       processing", in *Fixed-Point Algorithms for Inverse Problems in Science and
       Engineering*, Springer, 2011, 185-212.

    Examples
    --------
    The prox satisfies its optimality condition :math:`x - v + t\\nabla f(x) = 0`:

    >>> import numpy as np
    >>> from optkit.functions import OperatorSquaredLoss
    >>> from optkit.operators import GaussianBlur
    >>> rng = np.random.default_rng(0)
    >>> f = OperatorSquaredLoss(GaussianBlur((8, 8), 1.0), rng.standard_normal((8, 8)))
    >>> v = rng.standard_normal((8, 8))
    >>> x = f.prox(v, 0.5)
    >>> bool(np.allclose(x - v + 0.5 * f.grad(x), 0.0)), round(f.lipschitz, 12)
    (True, 1.0)
    """

    operator: LinearOperator
    b: Any
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    smooth = True

    def __post_init__(self) -> None:
        if not isinstance(self.operator, LinearOperator):
            raise TypeError(f"operator must be an optkit.operators.LinearOperator, got {type(self.operator).__name__}")

    @property
    def lipschitz(self) -> float:
        return self.operator.norm_sq

    def arrays(self) -> dict[str, Any]:
        return {"b": self.b, **{f"operator.{k}": v for k, v in self.operator.arrays().items()}}

    def to(self, xp: Any) -> "OperatorSquaredLoss":
        b = asarray(to_numpy(self.b), xp=xp)
        real = xp.float32 if b.dtype in (xp.float32, xp.complex64) else xp.float64
        return OperatorSquaredLoss(self.operator.to(xp, real), b)

    @property
    def mean_curvature(self) -> float:
        """The mean eigenvalue of the Hessian :math:`A^*A`."""
        return self.operator.mean_eigenvalue

    def atb(self) -> Any:
        """:math:`A^*b`, computed once."""
        if "atb" not in self._cache:
            self._cache["atb"] = self.operator.adjoint(self.b)
        return self._cache["atb"]

    def residual(self, x: Any) -> Any:
        return self.operator.apply(x) - self.b

    def value(self, x: Any) -> float:
        xp = get_namespace(x)
        r = self.residual(x)
        return 0.5 * float(xp.sum(xp.real(r * xp.conj(r)))) if self.operator.complex_output else 0.5 * inner(r, r)

    def grad(self, x: Any) -> Any:
        return self.operator.normal(x) - self.atb()

    def prox(self, v: Any, step: float) -> Any:
        return self.operator.gram_solve(v + step * self.atb(), step)

    def to_cvxpy(self, var: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        re, im, cons = self.operator.to_cvxpy(var)
        b = to_numpy(self.b)
        expr = 0.5 * cp.sum_squares(re - b.real)
        if im is not None:
            expr = expr + 0.5 * cp.sum_squares(im - b.imag)
        return expr, cons


@dataclass(frozen=True)
class TransformedL1(Function):
    """:math:`g(x) = \\lambda\\|\\Phi x\\|_1` for an orthonormal transform :math:`\\Phi`.

    Parameters
    ----------
    shape : tuple of int
        Shape of ``x``.
    transform : {"dct"}
        :math:`\\Phi`: the orthonormal d-dimensional DCT-II (:class:`optkit.operators.DCT`;
        :func:`scipy.fft.dctn` on NumPy, FFT-based on other array libraries).
    lam : float
        Weight :math:`\\lambda \\ge 0`.

    Notes
    -----
    As :math:`\\Phi` is orthonormal,
    :math:`\\operatorname{prox}_{tg}(v) = \\Phi^T\\operatorname{soft}(\\Phi v, t\\lambda)` and
    :math:`\\partial g(x) = \\Phi^T\\partial(\\lambda\\|\\cdot\\|_1)(\\Phi x)`
    (the prox of a norm composed with an orthonormal map [1]_).

    References
    ----------
    .. [1] P. L. Combettes and J.-C. Pesquet, "Proximal splitting methods in signal
       processing", in *Fixed-Point Algorithms for Inverse Problems in Science and
       Engineering*, Springer, 2011, 185-212.

    Examples
    --------
    The DCT of a constant vector has one nonzero coefficient, :math:`2` for length 4:

    >>> import numpy as np
    >>> from optkit.functions import TransformedL1
    >>> g = TransformedL1((4,), "dct", lam=0.5)
    >>> round(g.value(np.ones(4)), 12)
    1.0
    >>> g.prox(np.ones(4), 1.0)  # soft-thresholds that coefficient by 0.5
    array([0.75, 0.75, 0.75, 0.75])
    """

    shape: tuple
    transform: str = "dct"
    lam: float = 1.0

    def __post_init__(self) -> None:
        if self.transform != "dct":
            raise ValueError(f"transform must be 'dct', got {self.transform!r}")
        object.__setattr__(self, "lam", check_scalar("lam", self.lam))
        DCT(self.shape)  # validates shape

    @property
    def operator(self) -> DCT:
        return DCT(self.shape)

    def value(self, x: Any) -> float:
        xp = get_namespace(x)
        return self.lam * float(xp.sum(xp.abs(self.operator.apply(x))))

    def prox(self, v: Any, step: float) -> Any:
        op = self.operator
        return op.adjoint(kernels.soft_threshold(op.apply(v), step * self.lam))

    def to_cvxpy(self, var: Any) -> Any:
        import cvxpy as cp  # noqa: PLC0415

        expr, _, cons = self.operator.to_cvxpy(var)
        return self.lam * cp.sum(cp.abs(expr)), cons
