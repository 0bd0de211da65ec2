"""Peers of the NLP benchmark behind one call: scipy SLSQP, scipy trust-constr (exact Hessian) and
IPOPT through cyipopt (the ``cyipopt-wheels`` build that bundles IPOPT 3.14 with MUMPS), each fed
the problem's own callables and judged afterwards by the problem's own measures."""
from __future__ import annotations

import time
import warnings
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from optkit.problems import EqualityNLP


def _dense(A: Any) -> np.ndarray:
    return A.toarray() if sp.issparse(A) else np.asarray(A)


def _hessians(p: EqualityNLP) -> tuple[Callable, Callable]:
    """Objective Hessian and constraint part :math:`\\sum_i v_i\\nabla^2 c_i`, from the Lagrangian Hessian
    (linear in the multipliers): :math:`\\nabla^2 f = H(x, 0)`, :math:`\\sum v_i\\nabla^2 c_i = H(x, v) - H(x, 0)`."""
    zero = np.zeros(p.m)

    def hf(x: np.ndarray) -> Any:
        return p.hess(x, zero)

    def hc(x: np.ndarray, v: np.ndarray) -> Any:
        return p.hess(x, np.asarray(v, dtype=float)) - p.hess(x, zero)

    return hf, hc


def slsqp(p: EqualityNLP, tol: float, max_iter: int, budget: float) -> tuple[np.ndarray, int, str]:
    from scipy.optimize import minimize  # noqa: PLC0415

    con = {"type": "eq", "fun": p.cons, "jac": lambda x: _dense(p.jac(x))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = minimize(p.fun, np.asarray(p.x0), jac=p.grad, constraints=[con], method="SLSQP",
                       options={"ftol": tol, "maxiter": max_iter})
    return np.asarray(res.x), int(res.nit), str(res.message)


def trust_constr(p: EqualityNLP, tol: float, max_iter: int, budget: float) -> tuple[np.ndarray, int, str]:
    from scipy.optimize import NonlinearConstraint, minimize  # noqa: PLC0415

    hf, hc = _hessians(p)
    con = NonlinearConstraint(p.cons, 0.0, 0.0, jac=p.jac, hess=hc)
    start = time.perf_counter()

    def stop(xk: Any, state: Any = None) -> bool:
        return time.perf_counter() - start > budget

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = minimize(p.fun, np.asarray(p.x0), jac=p.grad, hess=hf, constraints=[con], method="trust-constr",
                       callback=stop, options={"gtol": tol, "xtol": 1e-16, "maxiter": max_iter})
    return np.asarray(res.x), int(res.nit), str(res.message)


def ipopt(p: EqualityNLP, tol: float, max_iter: int, budget: float) -> tuple[np.ndarray, int, str]:
    import cyipopt  # noqa: PLC0415

    x0 = np.asarray(p.x0, dtype=float)
    n, m = p.n, p.m
    hf, hc = _hessians(p)
    J0 = p.jac(x0)
    if sp.issparse(J0):      # a fixed pattern: the CSR data come out in the structure's order
        Jc = sp.csr_matrix(J0)
        Jc.sort_indices()
        jrows, jcols = np.repeat(np.arange(m), np.diff(Jc.indptr)), Jc.indices.copy()
    else:
        jrows, jcols = np.nonzero(np.ones((m, n)))
    H0 = p.hess(x0, np.ones(m))
    if sp.issparse(H0):
        pattern = sp.tril(sp.csr_matrix(H0) + sp.identity(n), format="csr")
        pattern.sort_indices()
        hrows, hcols = np.repeat(np.arange(n), np.diff(pattern.indptr)), pattern.indices.copy()
    else:
        hrows, hcols = np.tril_indices(n)

    def values(A: Any, rows: np.ndarray, cols: np.ndarray, lower: bool) -> np.ndarray:
        if not sp.issparse(A):
            return np.asarray(A)[rows, cols]
        A = sp.tril(A, format="csr") if lower else sp.csr_matrix(A)
        A.sort_indices()
        if A.nnz == rows.size:
            return A.data
        return np.asarray(A[rows, cols]).ravel()

    iters = [0]

    class Problem:
        def objective(self, x: np.ndarray) -> float:
            return float(p.fun(x))

        def gradient(self, x: np.ndarray) -> np.ndarray:
            return np.asarray(p.grad(x))

        def constraints(self, x: np.ndarray) -> np.ndarray:
            return np.asarray(p.cons(x))

        def jacobian(self, x: np.ndarray) -> np.ndarray:
            return values(p.jac(x), jrows, jcols, False)

        def jacobianstructure(self) -> tuple:
            return jrows, jcols

        def hessian(self, x: np.ndarray, lagrange: np.ndarray, obj_factor: float) -> np.ndarray:
            return values(obj_factor * hf(x) + hc(x, lagrange), hrows, hcols, True)

        def hessianstructure(self) -> tuple:
            return hrows, hcols

        def intermediate(self, *args: Any) -> bool:
            iters[0] = int(args[1])
            return time.perf_counter() - start <= budget

    nlp = cyipopt.Problem(n=n, m=m, problem_obj=Problem(), lb=None, ub=None, cl=np.zeros(m), cu=np.zeros(m))
    for key, value in (("tol", tol), ("constr_viol_tol", tol), ("dual_inf_tol", tol), ("max_iter", max_iter),
                       ("print_level", 0), ("sb", "yes")):
        nlp.add_option(key, value)
    start = time.perf_counter()
    x, info = nlp.solve(x0)
    return np.asarray(x), iters[0], str(info["status_msg"])


PEERS = {"SLSQP": slsqp, "trust-constr": trust_constr, "ipopt": ipopt}
