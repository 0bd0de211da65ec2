"""Equality-constrained nonlinear programs :math:`\\min_x f(x)` s.t. :math:`c(x) = 0`.

:class:`EqualityNLP` wraps user callables (or scipy.optimize's ``{"type": "eq"}`` dicts);
:class:`PoissonControl` and :class:`ConstrainedLogisticRegression` are the two structured
instances of Hong, Na, Mahoney & Kolar (ICML 2023), and :func:`hock_schittkowski` (in
:mod:`optkit.problems.hock_schittkowski`) the classical small test set.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np

from ..backend import asarray, get_namespace, is_numpy, to_numpy
from .base import Problem, _like_template
from .hs_catalogue import HS_NUMBERS, hock_schittkowski

__all__ = ["EqualityNLP", "NLPStart", "PoissonControl", "ConstrainedLogisticRegression", "hock_schittkowski",
           "HS_NUMBERS"]


class NLPStart(NamedTuple):
    """A starting point with multipliers: ``x`` (n,) and ``lam`` (m,).

    Parameters
    ----------
    x : array, shape (n,)
        The point.
    lam : array, shape (m,)
        The multipliers of the constraints.

    Examples
    --------
    Restarting from a previous answer and its multipliers:

    >>> import optkit
    >>> from optkit.problems import NLPStart, hock_schittkowski
    >>> problem = hock_schittkowski(28)
    >>> res = optkit.solve(problem, method="sqp")
    >>> again = optkit.solve(problem, method="sqp", x0=NLPStart(res.x, res.dual))
    >>> again.success, again.nit
    (True, 0)
    """

    x: Any
    lam: Any


def is_sparse(A: Any) -> bool:
    """True for a ``scipy.sparse`` matrix or array."""
    try:
        import scipy.sparse as sp  # noqa: PLC0415
    except ImportError:  # pragma: no cover
        return False
    return sp.issparse(A)


def is_operator(A: Any) -> bool:
    """True for a ``scipy.sparse.linalg.LinearOperator``."""
    from scipy.sparse.linalg import LinearOperator  # noqa: PLC0415

    return isinstance(A, LinearOperator)


def _norm(v: Any) -> float:
    return float(get_namespace(v).linalg.vector_norm(v))


def matvec_t(J: Any, v: Any) -> Any:
    """:math:`J^T v` for a dense (any namespace) or scipy.sparse ``J``."""
    return J.T @ v


@dataclass(frozen=True)
class EqualityNLP(Problem):
    """:math:`\\min_{x \\in \\mathbb R^n} f(x)` subject to :math:`c(x) = 0 \\in \\mathbb R^m` (:math:`1 \\le m \\le n`).

    With the Lagrangian :math:`L(x, \\lambda) = f(x) + \\lambda^T c(x)` and the Jacobian
    :math:`J = \\nabla c(x)^T` (m x n), a KKT point has :math:`\\nabla_x L = \\nabla f + J^T\\lambda = 0`
    and :math:`c = 0`. The methods are those of Hong, Na, Mahoney & Kolar [1]_.

    Parameters
    ----------
    fun : callable ``fun(x) -> float``
        The objective :math:`f`.
    grad : callable ``grad(x) -> (n,)``
        Its gradient :math:`\\nabla f`.
    cons : callable ``cons(x) -> (m,)``
        The constraints :math:`c`.
    jac : callable ``jac(x) -> (m, n)``
        Their Jacobian :math:`J`: a dense array of ``x``'s namespace, or a ``scipy.sparse`` matrix (NumPy only).
    x0 : array, shape (n,)
        The standard starting point; its namespace and dtype are the problem's.
    hess : callable ``hess(x, lam) -> (n, n)``, optional
        The Hessian of the *Lagrangian* :math:`\\nabla^2 f + \\sum_i \\lambda_i \\nabla^2 c_i`
        (dense, ``scipy.sparse`` or a ``scipy.sparse.linalg.LinearOperator``). Without it the
        solvers keep a damped BFGS approximation and difference gradients for the
        Hessian-vector product of the merit function.
    lam0 : array, shape (m,), optional
        Multipliers to start from with ``x0``; default: the least-squares multipliers
        :math:`\\arg\\min_\\lambda \\|\\nabla f(x_0) + J(x_0)^T\\lambda\\|`.
    name : str
        A label (the catalogue's ``"HS28"``, ...).
    f_star : float, optional
        The published optimal value, where one is known.

    Notes
    -----
    The callables' outputs are checked once, at ``x0`` (shapes, finiteness), with an error that
    names the callable. Measures (``Result.measures``):

    - ``kkt`` :math:`= \\|\\nabla f(x) + J(x)^T\\lambda\\|_2` (stationarity), never below the rounding of its
      sum, :math:`4\\varepsilon(\\|\\nabla f(x)\\|_2 + \\|J(x)^T\\lambda\\|_2)` (:math:`\\varepsilon` of ``x``'s dtype):
      on HS7 the two terms cancelled to exactly 0 at the rounded solution, and ``exact_al`` and ``sqp``
      reported ``tol = 1e-300`` met;
    - ``infeasibility`` :math:`= \\|c(x)\\|_2`;
    - ``kkt_residual`` :math:`= \\|(\\nabla_x L, c)\\|_2`, the paper's absolute KKT residual;
    - ``optimality`` :math:`= \\max(\\mathrm{kkt}/s_g,\\ \\mathrm{infeasibility}/s_c)` with the fixed
      scales :math:`s_g = \\max(1, \\|\\nabla f(x_0)\\|_2)` and :math:`s_c = \\max(1, \\|c(x_0)\\|_2)` taken
      at the problem's standard start ``x0`` (not at a user's ``x0`` given to ``solve``). A
      problem whose gradient or constraints are large at the start is judged relative to
      them, a small one absolutely: ``optimality <= tol`` implies the absolute KKT measures
      are at most ``tol`` times these scales, and never looser than ``tol`` itself.

    ``Result.x`` is :math:`x`, ``Result.dual`` the multipliers :math:`\\lambda`; without a
    ``dual``, :meth:`measures` uses the least-squares multipliers at ``x``.

    References
    ----------
    .. [1] I. Hong, S. Na, M. W. Mahoney and M. Kolar, "Constrained optimization via exact
       augmented Lagrangian and randomized iterative sketching", ICML 2023.

    Examples
    --------
    The closest point to the origin on the line :math:`x_0 + x_1 = 1`:

    >>> import numpy as np
    >>> import optkit
    >>> from optkit.problems import EqualityNLP
    >>> problem = EqualityNLP(fun=lambda x: float(x @ x), grad=lambda x: 2 * x,
    ...                       cons=lambda x: np.array([x[0] + x[1] - 1.0]),
    ...                       jac=lambda x: np.array([[1.0, 1.0]]), x0=np.array([2.0, 0.0]))
    >>> res = optkit.solve(problem, seed=0)
    >>> res.method, res.success, np.round(res.x, 6).tolist(), np.round(res.dual, 6).tolist()
    ('exact_al', True, [0.5, 0.5], [-1.0])
    """

    fun: Callable[[Any], Any]
    grad: Callable[[Any], Any]
    cons: Callable[[Any], Any]
    jac: Callable[[Any], Any]
    x0: Any
    hess: Callable[[Any, Any], Any] | None = None
    lam0: Any = None
    name: str = ""
    f_star: float | None = None

    default_method = "exact_al"
    optimality_measure = "max(KKT residual / max(1, |grad f(x0)|), |c(x)| / max(1, |c(x0)|))"

    def __post_init__(self) -> None:
        for label in ("fun", "grad", "cons", "jac"):
            if not callable(getattr(self, label)):
                raise TypeError(f"{label} must be callable, got {type(getattr(self, label)).__name__}")
        if self.hess is not None and not callable(self.hess):
            raise TypeError(f"hess must be callable or None, got {type(self.hess).__name__}")
        x0 = self.x0
        if isinstance(x0, (list, tuple)) or np.isscalar(x0):
            try:
                x0 = np.asarray(x0, dtype=float)
            except (TypeError, ValueError):
                raise TypeError(f"x0 must be a real 1-d array, got {type(x0).__name__} {x0!r:.60}") from None
        if not hasattr(x0, "shape") or not hasattr(x0, "dtype"):
            raise TypeError(f"x0 must be an array, got {type(x0).__name__}")
        xp = get_namespace(x0)
        if len(x0.shape) != 1 or x0.shape[0] == 0:
            raise ValueError(f"x0 must be a non-empty 1-d array, got shape {tuple(x0.shape)}")
        if not xp.isdtype(x0.dtype, ("bool", "integral", "real floating")):
            raise TypeError(f"x0 must have a real dtype, got {x0.dtype}")
        if x0.dtype not in (xp.float32, xp.float64):
            x0 = xp.astype(x0, xp.float64)
        if not bool(xp.all(xp.isfinite(x0))):
            raise ValueError("x0 contains NaN or infinite entries")
        object.__setattr__(self, "x0", x0)
        n = x0.shape[0]
        f0 = self._value(_at_x0("fun", self.fun, x0))
        g0 = self._vector("grad", _at_x0("grad", self.grad, x0), n, x0)
        c0 = _at_x0("cons", self.cons, x0)
        if not hasattr(c0, "shape") or len(c0.shape) != 1:
            raise ValueError(f"cons must return a 1-d array (m,), got {getattr(c0, 'shape', type(c0).__name__)}")
        m = c0.shape[0]
        if m == 0:
            raise ValueError("cons returned no constraints (m = 0): use an unconstrained method")
        if m > n:
            raise ValueError(f"more equality constraints than variables (m = {m} > n = {n}): the Jacobian "
                             f"cannot have full row rank")
        c0 = self._vector("cons", c0, m, x0)
        J0 = _at_x0("jac", lambda x: self.jacobian(x, _check=(m, n)), x0)
        lam0 = self.lam0
        if lam0 is not None:
            lam0 = _like_template("lam0", lam0, xp.zeros((m,), dtype=x0.dtype))
            object.__setattr__(self, "lam0", lam0)
        if self.hess is not None:
            lam = lam0 if lam0 is not None else xp.zeros((m,), dtype=x0.dtype)
            _at_x0("hess", lambda x: self.hessian(x, lam, _check=n), x0)
        if not math.isfinite(f0):
            raise ValueError(f"fun(x0) is not finite: {f0!r}")
        object.__setattr__(self, "_shape", (n, m))
        object.__setattr__(self, "_scales", (max(1.0, _norm(g0)), max(1.0, _norm(c0))))
        object.__setattr__(self, "_sparse_jac", is_sparse(J0))

    # -- evaluation helpers (shape/type normalisation) ---------------------------------------------------------

    def _value(self, v: Any) -> float:
        """``fun``'s return value ``v`` as a float (a scalar or a 1-element array)."""
        if hasattr(v, "shape") and tuple(v.shape) not in ((), (1,)):
            raise ValueError(f"fun must return a scalar, got shape {tuple(v.shape)}")
        try:
            return float(v if not hasattr(v, "shape") or v.shape == () else v[0])
        except (TypeError, ValueError):
            raise TypeError(f"fun must return a real scalar, got {type(v).__name__}") from None

    @staticmethod
    def _vector(label: str, v: Any, size: int, like: Any) -> Any:
        if not hasattr(v, "shape"):
            v = np.asarray(v, dtype=float)
        if tuple(v.shape) != (size,):
            raise ValueError(f"{label} must return an array of shape ({size},), got {tuple(v.shape)}")
        xp = get_namespace(like)
        if isinstance(v, np.ndarray) and not is_numpy(xp):
            v = asarray(v, like=like)
        if not bool(get_namespace(v).all(get_namespace(v).isfinite(v))):
            raise ValueError(f"{label} returned NaN or infinite entries at x0")
        return v

    @property
    def n(self) -> int:
        return self._shape[0]

    @property
    def m(self) -> int:
        return self._shape[1]

    @property
    def scales(self) -> tuple[float, float]:
        """:math:`(s_g, s_c) = (\\max(1, \\|\\nabla f(x_0)\\|), \\max(1, \\|c(x_0)\\|))`, the fixed scales of ``optimality``."""
        return self._scales

    @property
    def sparse_jacobian(self) -> bool:
        return self._sparse_jac

    def value(self, x: Any) -> float:
        """:math:`f(x)` as a float."""
        return self._value(self.fun(x))

    def jacobian(self, x: Any, _check: tuple[int, int] | None = None) -> Any:
        """:math:`J(x)`: a dense array of ``x``'s namespace and dtype, or a CSR matrix."""
        J = self.jac(x)
        if is_sparse(J):
            if not is_numpy(get_namespace(x)):
                raise TypeError("jac returned a scipy.sparse matrix, which needs NumPy arrays; "
                                "return a dense array for other array libraries")
            J = J.tocsr().astype(x.dtype, copy=False)
        elif not hasattr(J, "shape"):
            J = asarray(np.asarray(J, dtype=float), like=x)
        elif isinstance(J, np.ndarray) and not is_numpy(get_namespace(x)):
            J = asarray(J, like=x)
        if _check is not None:
            if tuple(J.shape) != _check:
                raise ValueError(f"jac must return an array of shape {_check}, got {tuple(J.shape)}")
            data = J.data if is_sparse(J) else J
            if not bool(get_namespace(data).all(get_namespace(data).isfinite(data))):
                raise ValueError("jac returned NaN or infinite entries at x0")
        return J

    def hessian(self, x: Any, lam: Any, _check: int | None = None) -> Any:
        """:math:`\\nabla^2_{xx} L(x, \\lambda)`: dense, CSR or a LinearOperator (``None`` without ``hess``)."""
        if self.hess is None:
            return None
        H = self.hess(x, lam)
        if is_sparse(H):
            if not is_numpy(get_namespace(x)):
                raise TypeError("hess returned a scipy.sparse matrix, which needs NumPy arrays")
            H = H.tocsr().astype(x.dtype, copy=False)
        elif is_operator(H):
            if not is_numpy(get_namespace(x)):
                raise TypeError("hess returned a LinearOperator, which needs NumPy arrays")
        elif not hasattr(H, "shape"):
            H = asarray(np.asarray(H, dtype=float), like=x)
        elif isinstance(H, np.ndarray) and not is_numpy(get_namespace(x)):
            H = asarray(H, like=x)
        if _check is not None:
            if tuple(H.shape) != (_check, _check):
                raise ValueError(f"hess must return an array of shape {(_check, _check)}, got {tuple(H.shape)}")
            if not is_operator(H):
                data = H.data if is_sparse(H) else H
                if not bool(get_namespace(data).all(get_namespace(data).isfinite(data))):
                    raise ValueError("hess returned NaN or infinite entries at x0")
        return H

    def multipliers(self, x: Any, grad: Any = None, jac: Any = None) -> Any:
        """Least-squares multipliers :math:`\\arg\\min_\\lambda \\|\\nabla f(x) + J(x)^T\\lambda\\|_2`.

        Dense: from a QR factorisation of :math:`J^T`; sparse: the normal equations
        :math:`JJ^T\\lambda = -Jg` by a sparse LU (symmetric ordering) and one refinement step.
        Returns zeros when :math:`J` is rank deficient beyond repair (a singular ``R``).
        """
        xp = get_namespace(x)
        g = self.grad(x) if grad is None else grad
        J = self.jacobian(x) if jac is None else jac
        if is_sparse(J):
            import warnings  # noqa: PLC0415

            from scipy.sparse.linalg import splu  # noqa: PLC0415

            G = (J @ J.T).tocsc().astype(np.float64)
            rhs = -(J @ np.asarray(g, dtype=np.float64))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    lu = splu(G, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
                    lam = lu.solve(rhs)
                    lam = lam + lu.solve(rhs - G @ lam)
            except RuntimeError:
                return xp.zeros((self.m,), dtype=x.dtype)
            return asarray(lam, like=x)
        Q, R = xp.linalg.qr(J.T)
        d = xp.abs(xp.linalg.diagonal(R))
        if not bool(xp.all(d > 1e3 * float(xp.finfo(x.dtype).eps) * max(float(xp.max(d)), 1e-300))):
            return xp.zeros((self.m,), dtype=x.dtype)
        return -xp.linalg.solve(R, Q.T @ g)

    # -- the Problem protocol --------------------------------------------------------------------------------

    def initial_point(self) -> Any:
        return self.x0

    def check_x0(self, x0: Any) -> Any:
        """A start ``x`` (n,) or, with multipliers, ``(x, lam)`` (:class:`NLPStart`, a pair of arrays).

        Without multipliers the solvers start from the least-squares multipliers at ``x`` when the
        Jacobian is dense, and from zero multipliers when it is sparse (a least-squares estimate
        would cost a sparse factorisation of :math:`JJ^T`, as much as a Newton step, which sets
        the multipliers itself).
        """
        template = self.x0
        if isinstance(x0, tuple) and len(x0) == 2 and all(hasattr(v, "shape") or isinstance(v, list) for v in x0):
            first = x0[0]
            if len(getattr(first, "shape", np.shape(first))) == 1:
                lam_t = get_namespace(template).zeros((self.m,), dtype=template.dtype)
                return NLPStart(_like_template("x0.x", x0[0], template), _like_template("x0.lam", x0[1], lam_t))
        return _like_template("x0", x0, template)

    def objective(self, x: Any) -> float:
        return self._value(self.fun(x))

    def measures(self, x: Any, dual: Any = None, *, fun: float | None = None, grad: Any = None, cons: Any = None,
                 jac: Any = None) -> dict[str, float]:
        """``fun``, ``optimality``, ``kkt``, ``infeasibility``, ``kkt_residual`` (see the class notes).

        Pieces a solver already has at ``x``: ``fun`` (f(x)), ``grad``, ``cons`` and ``jac``.
        ``dual``: the multipliers; default the least-squares ones at ``x``.
        """
        f = self._value(self.fun(x)) if fun is None else float(fun)
        g = self.grad(x) if grad is None else grad
        c = self.cons(x) if cons is None else cons
        J = self.jacobian(x) if jac is None else jac
        lam = self.multipliers(x, g, J) if dual is None else dual
        jtl = matvec_t(J, lam)
        kkt = _norm(g + jtl)
        # a sum that cancels certifies stationarity only to its rounding, not to zero
        kkt = max(kkt, 4.0 * float(get_namespace(x).finfo(x.dtype).eps) * (_norm(g) + _norm(jtl)))
        infeas = _norm(c)
        sg, sc = self._scales
        finite = math.isfinite(kkt) and math.isfinite(infeas)
        opt = max(kkt / sg, infeas / sc) if finite else math.inf
        return {"fun": f, "optimality": opt, "kkt": kkt, "infeasibility": infeas,
                "kkt_residual": math.hypot(kkt, infeas) if finite else math.inf}

    def to(self, xp: Any) -> "EqualityNLP":
        """The same problem with ``x0`` (and ``lam0``) in namespace ``xp``; the callables must accept it."""
        import dataclasses  # noqa: PLC0415

        moved = {k: asarray(to_numpy(v), xp=xp) for k, v in (("x0", self.x0), ("lam0", self.lam0)) if v is not None}
        return dataclasses.replace(self, **moved)

    def astype(self, dtype: Any) -> "EqualityNLP":
        """The same problem with ``x0`` (and ``lam0``) in ``dtype``; the callables compute in the dtype of ``x``."""
        import dataclasses  # noqa: PLC0415

        xp = self.xp
        cast = {k: xp.astype(v, dtype) for k, v in (("x0", self.x0), ("lam0", self.lam0)) if v is not None}
        return dataclasses.replace(self, **cast)

    # -- scipy compatibility ---------------------------------------------------------------------------------

    @classmethod
    def from_scipy(cls, fun: Callable, x0: Any, constraints: Any, jac: Any = None, hess: Callable | None = None,
                   args: tuple = (), **kwargs: Any) -> "EqualityNLP":
        """The problem ``scipy.optimize.minimize(fun, x0, jac=jac, hess=hess, constraints=constraints)`` solves.

        ``constraints`` is one dict or a list of dicts ``{"type": "eq", "fun": c, "jac": dc}`` (plus
        ``"args"``); a dict may carry ``"hess": h(x, v)``, the Hessian of :math:`v^T c(x)`, as
        ``scipy.optimize.NonlinearConstraint`` takes it. ``jac`` is the gradient callable, or
        ``True`` when ``fun`` returns ``(f, grad)``; ``hess(x)`` is the Hessian of ``f``. The
        Lagrangian Hessian is formed only when ``hess`` is given and every constraint carries
        ``"hess"``; with ``hess`` and no constraint Hessians the constraints must all declare
        ``"linear": True``. Otherwise the solvers approximate it (BFGS). ``kwargs`` go to the
        constructor (``lam0``, ``name``).
        """
        if jac is None or jac is False:
            raise TypeError("jac is required: optkit's NLP methods need the gradient (a callable, or True when "
                            "fun returns (f, grad))")
        cdicts = [constraints] if isinstance(constraints, dict) else list(constraints)
        if not cdicts:
            raise ValueError("constraints must hold at least one {'type': 'eq', ...} dict")
        for k, d in enumerate(cdicts):
            if not isinstance(d, dict):
                raise TypeError(f"constraints[{k}] must be a dict, got {type(d).__name__}")
            if d.get("type") != "eq":
                raise ValueError(f"constraints[{k}] has type {d.get('type')!r}: only 'eq' constraints are supported")
            for key in ("fun", "jac"):
                if not callable(d.get(key)):
                    raise TypeError(f"constraints[{k}] needs a callable {key!r}")
        if jac is True:
            def f(x: Any) -> Any:
                return fun(x, *args)[0]

            def g(x: Any) -> Any:
                return fun(x, *args)[1]
        else:
            def f(x: Any) -> Any:
                return fun(x, *args)

            def g(x: Any) -> Any:
                return jac(x, *args)

        def c(x: Any) -> Any:
            parts = [_as_1d(d["fun"](x, *d.get("args", ()))) for d in cdicts]
            return parts[0] if len(parts) == 1 else get_namespace(parts[0]).concat(parts)

        sizes: list[int] = []

        def J(x: Any) -> Any:
            parts = [_as_2d(d["jac"](x, *d.get("args", ()))) for d in cdicts]
            sizes[:] = [p.shape[0] for p in parts]
            if len(parts) == 1:
                return parts[0]
            if any(is_sparse(p) for p in parts):
                import scipy.sparse as sp  # noqa: PLC0415

                return sp.vstack([sp.csr_matrix(to_numpy(p)) if not is_sparse(p) else p for p in parts]).tocsr()
            return get_namespace(parts[0]).concat(parts, axis=0)

        if hess is None:
            H = None
        else:
            missing = [k for k, d in enumerate(cdicts) if not callable(d.get("hess")) and not d.get("linear")]
            if missing:
                raise ValueError(f"hess is the objective's Hessian; constraints {missing} have neither 'hess' "
                                 f"(x, v) nor 'linear': True, so the Lagrangian Hessian is unknown (leave hess "
                                 f"out for a BFGS approximation)")

            def H(x: Any, lam: Any) -> Any:
                out = hess(x, *args)
                start = 0
                if not sizes:
                    J(x)
                for d, size in zip(cdicts, sizes):
                    if callable(d.get("hess")):
                        out = out + d["hess"](x, lam[start:start + size])
                    start += size
                return out

        return cls(f, g, c, J, x0, hess=H, **kwargs)


def _at_x0(label: str, fn: Any, x0: Any) -> Any:
    """``fn(x0)``, a failure inside the user's callable reported as a ``ValueError`` naming it and ``x0``."""
    try:
        return fn(x0)
    except Exception as exc:  # noqa: BLE001  (any error of user code at the start is reported by name)
        raise ValueError(f"{label} failed at x0 (shape {tuple(x0.shape)}): {type(exc).__name__}: {exc}") from exc


def _as_1d(v: Any) -> Any:
    if not hasattr(v, "shape") or isinstance(v, (float, int, np.generic)):
        v = np.atleast_1d(np.asarray(v, dtype=float))
    return v if len(v.shape) == 1 else get_namespace(v).reshape(v, (-1,))


def _as_2d(J: Any) -> Any:
    if is_sparse(J):
        return J
    if not hasattr(J, "shape"):
        J = np.asarray(J, dtype=float)
    return J if len(J.shape) == 2 else get_namespace(J).reshape(J, (1, -1))


from .nlp_instances import ConstrainedLogisticRegression, PoissonControl  # noqa: E402
