"""Peers of the splitting benchmark: pyproximal's solvers on the same anisotropic-TV objective, CVXPY,
and the classical Weiszfeld iteration for the Fermat-Weber problem.

Every peer is timed by a :class:`Trace`: its clock excludes the time spent evaluating our objective
for the record (every ``every`` iterations), and the run is cut as soon as the relative objective
error reaches the target, so each solver is timed to the same accuracy measured the same way.
"""
from __future__ import annotations

import time
import warnings
from typing import Any, Callable

import numpy as np


class Reached(Exception):
    """Raised by a trace's callback to stop a peer once the target is met."""


class Trace:
    """Records ``(time, iteration, objective)`` every ``every`` iterations; the evaluation is off the clock.
    The run is cut at the target or once ``limit`` seconds have passed."""

    def __init__(self, objective: Callable[[np.ndarray], float], fstar: float, target: float, every: int = 5,
                 shape: tuple | None = None, limit: float = float("inf")) -> None:
        self.objective, self.fstar, self.target, self.every, self.shape = objective, fstar, target, every, shape
        self.limit = limit
        self.k = 0
        self.paused = 0.0
        self.start = time.perf_counter()
        self.times: list[float] = []
        self.iterations: list[int] = []
        self.values: list[float] = []

    def restart(self) -> None:
        self.start, self.paused = time.perf_counter(), 0.0

    def error(self, f: float) -> float:
        return abs(f - self.fstar) / abs(self.fstar)

    def __call__(self, x: Any, *_: Any) -> None:
        self.k += 1
        if self.k % self.every:
            return
        now = time.perf_counter()
        f = self.objective(np.asarray(x).reshape(self.shape) if self.shape else np.asarray(x))
        self.times.append(now - self.start - self.paused)
        self.iterations.append(self.k)
        self.values.append(f)
        self.paused += time.perf_counter() - now
        if self.error(f) <= self.target or self.times[-1] > self.limit:
            raise Reached

    def result(self) -> dict:
        errors = [self.error(f) for f in self.values]
        hit = next((i for i, e in enumerate(errors) if e <= self.target), None)
        last = len(errors) - 1
        i = hit if hit is not None else last
        return {"time_s": self.times[i] if i >= 0 else float("nan"), "iterations": self.iterations[i] if i >= 0 else 0,
                "objective": self.values[i] if i >= 0 else float("nan"),
                "error": errors[i] if i >= 0 else float("nan"), "success": hit is not None,
                "curve": (list(self.times), errors)}


def _real_operator(problem: Any) -> tuple[Any, np.ndarray]:
    """The data term as a real pylops operator and right-hand side: ``[Re; Im]`` of a complex one."""
    import pylops  # noqa: PLC0415

    op, shape = problem.operator, problem.shape
    N = int(np.prod(shape))
    b = np.asarray(problem.b)
    if op.complex_output:
        def matvec(x):
            y = op.apply(x.reshape(shape))
            return np.concatenate([y.real.ravel(), y.imag.ravel()])

        def rmatvec(y):
            return op.adjoint((y[:N] + 1j * y[N:]).reshape(shape)).ravel()
        return pylops.FunctionOperator(matvec, rmatvec, 2 * N, N, dtype="float64"), \
            np.concatenate([b.real.ravel(), b.imag.ravel()])
    return pylops.FunctionOperator(lambda x: op.apply(x.reshape(shape)).ravel(),
                                   lambda y: op.adjoint(y.reshape(shape)).ravel(), N, N, dtype="float64"), b.ravel()


class _LinesTV:
    """pyproximal's own 1-D TV prox (fast gradient projection) applied to every line along one axis:
    its 2-D TV is isotropic, so the anisotropic terms are one such operator per axis."""

    def __new__(cls, shape: tuple, axis: int, lam: float, niter: int):
        import pyproximal  # noqa: PLC0415

        class LinesTV(pyproximal.ProxOperator):
            def __init__(self):
                super().__init__(None, False)
                self.tv = pyproximal.TV(dims=(shape[axis],), sigma=lam, niter=niter)

            def __call__(self, x):
                return lam * float(np.abs(np.diff(x.reshape(shape), axis=axis)).sum())

            def prox(self, x, tau):
                X = np.moveaxis(x.reshape(shape), axis, -1).copy()
                for row in X.reshape(-1, shape[axis]):
                    row[:] = self.tv.prox(row, tau)
                return np.moveaxis(X, -1, axis).ravel()
        return LinesTV()


def pyproximal_tv(problem: Any, method: str, trace: Trace, niter: int, params: dict | None = None) -> dict:
    """One pyproximal solver on ``problem`` (a ``TVImageRecovery`` without DCT term), timed by ``trace``.

    - ``PrimalDual``: Chambolle-Pock on :math:`g(Kx)`, :math:`K = [A; \\nabla]`, ``g`` the stacked
      least squares and :math:`\\lambda\\|\\cdot\\|_1` (pylops ``Gradient``, forward differences, no
      wrap-around: exactly :math:`TV_{rows} + TV_{cols}`), ``f = 0``;
    - ``ADMML2``: ADMM on :math:`\\tfrac12\\|Ax - b\\|^2 + \\lambda\\|z\\|_1`, :math:`z = \\nabla x`, its
      x-step by LSQR;
    - ``GeneralizedProximalGradient``: the gradient of the least squares and pyproximal's 1-D TV
      prox on every row and every column (FISTA acceleration).
    """
    import pylops  # noqa: PLC0415
    import pyproximal  # noqa: PLC0415

    shape, lam = problem.shape, problem.lam_tv
    params = params or {}
    Op, b = _real_operator(problem)
    grad = pylops.Gradient(dims=shape, edge=False, kind="forward", dtype="float64")
    x0 = np.zeros(int(np.prod(shape)))
    trace.restart()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if method == "PrimalDual":
                K = pylops.VStack([Op, grad])
                L = problem.operator.norm_sq + 8.0          # ||A||^2 + ||grad||^2 bound
                ratio = params.get("ratio", 1.0)
                tau, mu = 0.99 / (ratio * np.sqrt(L)), 0.99 * ratio / np.sqrt(L)
                proxg = pyproximal.VStack([pyproximal.L2(b=b), pyproximal.L1(sigma=lam)],
                                          nn=[Op.shape[0], grad.shape[0]])
                pyproximal.optimization.primaldual.PrimalDual(pyproximal.Box(), proxg, K, x0, tau, mu, niter=niter,
                                                              callback=trace)
            elif method == "ADMML2":
                pyproximal.optimization.primal.ADMML2(pyproximal.L1(sigma=lam), Op, b, grad, x0,
                                                      tau=params.get("tau", 1.0 / 8.0), niter=niter, callback=trace,
                                                      iter_lim=params.get("iter_lim", 5))
            elif method == "GeneralizedProximalGradient":
                proxgs = [_LinesTV(shape, axis, lam, params.get("tv_niter", 10)) for axis in (1, 0)]
                pyproximal.optimization.primal.GeneralizedProximalGradient(
                    [pyproximal.L2(Op=Op, b=b)], proxgs, x0, tau=1.0 / problem.operator.norm_sq, niter=niter,
                    acceleration="fista", callback=trace)
            else:
                raise ValueError(method)
        except Reached:
            pass
    return trace.result()


def cvxpy_solve(problem: Any, solver: str, fstar: float, eps: float, limit: float) -> dict:
    """CVXPY with ``solver`` at tolerance ``eps``: wall time of ``solve`` (model building included)."""
    import cvxpy as cp  # noqa: PLC0415

    start = time.perf_counter()
    prob, var = problem.to_cvxpy()
    opts = ({"eps_abs": eps, "eps_rel": eps, "max_iters": 200_000, "time_limit_secs": limit} if solver == "SCS" else
            {"tol_gap_abs": eps, "tol_gap_rel": eps, "tol_feas": eps, "time_limit": limit})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            prob.solve(solver=solver, **opts)
        except (cp.error.SolverError, MemoryError) as exc:
            return {"time_s": time.perf_counter() - start, "iterations": None, "objective": float("nan"),
                    "error": float("nan"), "success": False, "status": f"failed: {exc}"}
    elapsed = time.perf_counter() - start
    x = np.asarray(var.value) if var.value is not None else None
    f = problem.objective(x) if x is not None else float("nan")
    err = abs(f - fstar) / abs(fstar)
    nit = prob.solver_stats.num_iters if prob.solver_stats else None
    return {"time_s": elapsed, "iterations": nit, "objective": f, "error": err, "success": bool(err <= 1e-4),
            "status": str(prob.status)}


def weiszfeld(points: np.ndarray, weights: np.ndarray, trace: Trace, niter: int) -> dict:
    """The classical Weiszfeld iteration :math:`x \\leftarrow \\sum_i (w_i/d_i) c_i / \\sum_i w_i/d_i`,
    :math:`d_i = \\|x - c_i\\|`, from the weighted centroid (with a guard when ``x`` hits a point)."""
    x = weights @ points / weights.sum()
    trace.restart()
    try:
        for _ in range(niter):
            d = np.linalg.norm(points - x, axis=1)
            d = np.maximum(d, 1e-300)
            coef = weights / d
            x = coef @ points / coef.sum()
            trace(x)
    except Reached:
        pass
    return trace.result()
