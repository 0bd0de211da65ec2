"""Equality-constrained NLPs: derivatives by finite differences, the catalogue's published optima,
input checks, failure statuses, the sketches and their kernels, PoissonControl against CVXPY."""
from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import optkit
from optkit import Status
from optkit.backend import namespace_by_name, to_numpy
from optkit.datasets.nlp import breast_cancer_constrained, logistic_constrained_instance
from optkit.linalg.sketch import sketch_solve, sketch_system
from optkit.problems import (HS_NUMBERS, ConstrainedLogisticRegression, EqualityNLP, NLPStart, PoissonControl,
                             hock_schittkowski)
from optkit.solvers.base import ToleranceWarning

NP = namespace_by_name("numpy")


def _seed(method):
    return {"seed": 0} if method == "exact_al" else {}


def _dense(A):
    return np.asarray(A.toarray() if sp.issparse(A) else to_numpy(A), dtype=float)


def _fd_check(p, x, lam, rtol=1e-6):
    """Central differences of fun, grad, cons and jac (and of grad L for the Hessian) at (x, lam)."""
    n = x.size
    h = 1e-6 * max(1.0, float(np.abs(x).max()))
    g, J = np.asarray(p.grad(x)), _dense(p.jac(x))
    H = _dense(p.hess(x, lam)) if p.hess is not None else None

    def grad_l(y):
        return np.asarray(p.grad(y)) + _dense(p.jac(y)).T @ lam

    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        fd_g = (p.fun(x + e) - p.fun(x - e)) / (2 * h)
        fd_J = (np.asarray(p.cons(x + e)) - np.asarray(p.cons(x - e))) / (2 * h)
        scale = 1.0 + np.abs(g).max() + np.abs(J).max()
        assert abs(fd_g - g[i]) <= rtol * scale * 10, (p.name, "grad", i)
        np.testing.assert_allclose(fd_J, J[:, i], rtol=0, atol=rtol * scale * 10, err_msg=f"{p.name} jac col {i}")
        if H is not None:
            fd_H = (grad_l(x + e) - grad_l(x - e)) / (2 * h)
            np.testing.assert_allclose(fd_H, H[:, i], rtol=0, atol=rtol * (1 + np.abs(H).max()) * 10,
                                       err_msg=f"{p.name} hess col {i}")
    if H is not None:
        np.testing.assert_allclose(H, H.T, atol=1e-12 * (1 + np.abs(H).max()))


@pytest.mark.parametrize("number", HS_NUMBERS)
def test_catalogue_derivatives_by_finite_differences(number):
    p = hock_schittkowski(number)
    rng = np.random.default_rng(number)
    x0 = np.asarray(p.x0)
    for x in (x0, x0 + 0.3 * rng.standard_normal(x0.size)):
        _fd_check(p, x, rng.standard_normal(p.m))


def test_instances_derivatives_by_finite_differences():
    rng = np.random.default_rng(3)
    X, y, A, b = logistic_constrained_instance(60, 6, k=3, seed=1)
    p = ConstrainedLogisticRegression(X, y, A, b)
    _fd_check(p, rng.standard_normal(6), rng.standard_normal(4))
    q = PoissonControl(3)
    _fd_check(q, rng.standard_normal(18), rng.standard_normal(9))


@pytest.mark.parametrize("method", ["sqp", "exact_al"])
def test_catalogue_reaches_published_optima(method):
    """Every problem to absolute KKT residual 1e-8 at its published f* (relative 1e-6)."""
    for number in HS_NUMBERS:
        p = hock_schittkowski(number)
        tol = 1e-8 / (math.sqrt(2) * max(p.scales))
        res = optkit.solve(p, method=method, tol=tol, max_iter=300, **({"seed": 0} if method == "exact_al" else {}))
        assert res.success, (p.name, res.status, res.info.get("reason"))
        assert res.kkt_residual <= 1e-8, (p.name, res.kkt_residual)
        assert abs(res.fun - p.f_star) <= 1e-6 * max(1.0, abs(p.f_star)), (p.name, res.fun, p.f_star)
        assert len(res.info["sketch_iterations"]) == res.nit == len(res.info["linear_solves"])


@pytest.mark.slow
@pytest.mark.parametrize("method", ["sqp", "exact_al"])
def test_catalogue_on_array_api_strict(method):
    xp = namespace_by_name("array_api_strict")
    for number in HS_NUMBERS:
        p = hock_schittkowski(number, xp=xp)
        tol = 1e-8 / (math.sqrt(2) * max(p.scales))
        res = optkit.solve(p, method=method, tol=tol, max_iter=300, **({"seed": 0} if method == "exact_al" else {}))
        assert res.success and res.backend == "array_api_strict", (p.name, res.status)
        assert res.kkt_residual <= 1e-8 and abs(res.fun - p.f_star) <= 1e-6 * max(1.0, abs(p.f_star)), p.name


def test_catalogue_sample_on_array_api_strict():
    xp = namespace_by_name("array_api_strict")
    for number in (9, 46, 61):
        p = hock_schittkowski(number, xp=xp)
        for method in ("sqp", "exact_al"):
            res = optkit.solve(p, method=method, tol=1e-8 / (2 * max(p.scales)), seed=0) if method == "exact_al" \
                else optkit.solve(p, method=method, tol=1e-8 / (2 * max(p.scales)))
            assert res.success and res.kkt_residual <= 1e-8, (number, method, res.status)
            assert abs(res.fun - p.f_star) <= 1e-6 * max(1.0, abs(p.f_star))


@pytest.mark.parametrize("sketch", ["kaczmarz", "gaussian", "block"])
def test_each_sketch_solves_a_regular_problem(sketch):
    p = hock_schittkowski(77)
    res = optkit.solve(p, method="exact_al", sketch=sketch, tol=1e-9, seed=1)
    assert res.success and abs(res.fun - p.f_star) <= 1e-6
    assert sum(res.info["sketch_iterations"]) > 0 and res.info["sketch"] == sketch
    g = optkit.solve(p, method="exact_al", sketch="block", block_kind="gaussian", tol=1e-9, seed=1)
    assert g.success and abs(g.fun - p.f_star) <= 1e-6


def test_measures_certificate_and_scales():
    p = hock_schittkowski(61)
    res = optkit.solve(p, method="sqp", tol=1e-10)
    own = p.measures(res.x, dual=res.dual)
    assert own["optimality"] == pytest.approx(res.optimality, rel=1e-6, abs=1e-14)
    ls = p.measures(res.x)          # least-squares multipliers: never a larger stationarity residual
    assert ls["kkt"] <= own["kkt"] * (1 + 1e-6) + 1e-14
    sg, sc = p.scales
    x0 = np.asarray(p.x0)
    assert sg == max(1.0, np.linalg.norm(p.grad(x0))) and sc == max(1.0, np.linalg.norm(p.cons(x0)))
    m = p.measures(x0)
    assert m["optimality"] == pytest.approx(max(m["kkt"] / sg, m["infeasibility"] / sc))
    assert m["kkt_residual"] == pytest.approx(math.hypot(m["kkt"], m["infeasibility"]))


@pytest.mark.parametrize("method", ["exact_al", "sqp"])
def test_a_stationarity_sum_that_cancels_certifies_only_its_rounding(method):
    # HS7's gradient and J^T lambda cancelled to exactly 0 at the rounded solution (0, sqrt 3), and a
    # run at tol=1e-300 reported OPTIMAL with optimality 0
    p = hock_schittkowski(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ToleranceWarning)
        res = optkit.solve(p, method=method, tol=1e-300, max_iter=50)
    assert res.status is not Status.OPTIMAL and 0.0 < res.optimality < 1e-14
    m = p.measures(res.x, dual=res.dual)
    g, jtl = np.asarray(p.grad(res.x)), np.asarray(p.jacobian(res.x)).T @ np.asarray(res.dual)
    assert m["kkt"] >= 4 * np.finfo(float).eps * (np.linalg.norm(g) + np.linalg.norm(jtl))

def _toy(**kw):
    """min x1^2 + x2^2 + x3^2 s.t. x1 + x2 + x3 = 1 (and whatever kw overrides)."""
    args = dict(fun=lambda x: float(x @ x), grad=lambda x: 2 * x, cons=lambda x: np.array([x.sum() - 1.0]),
                jac=lambda x: np.ones((1, 3)), x0=np.array([1.0, 2.0, 3.0]), hess=lambda x, lam: 2 * np.eye(3))
    args.update(kw)
    return EqualityNLP(**args)


def test_input_checks_name_the_callable():
    with pytest.raises(ValueError, match="grad"):
        _toy(grad=lambda x: np.zeros(2))
    with pytest.raises(ValueError, match="jac"):
        _toy(jac=lambda x: np.ones((2, 3)))
    with pytest.raises(ValueError, match="hess"):
        _toy(hess=lambda x, lam: np.eye(2))
    with pytest.raises(ValueError, match="cons"):
        _toy(cons=lambda x: np.array([np.nan]))
    with pytest.raises(ValueError, match="fun"):
        _toy(fun=lambda x: np.inf)
    with pytest.raises(ValueError, match="m = 4 > n = 3"):
        _toy(cons=lambda x: np.zeros(4), jac=lambda x: np.zeros((4, 3)))
    with pytest.raises(TypeError, match="grad must be callable"):
        _toy(grad=3)
    with pytest.raises(ValueError, match="x0 contains NaN"):
        _toy(x0=np.array([1.0, np.nan, 0.0]))
    with pytest.raises(ValueError, match="jac returned NaN"):
        _toy(jac=lambda x: np.full((1, 3), np.inf))


def test_callables_and_x0_kept_and_start_with_multipliers():
    p = _toy()
    assert p.x0.shape == (3,) and callable(p.fun) and callable(p.hess) and p.n == 3 and p.m == 1
    res = optkit.solve(p, method="sqp", tol=1e-12)
    np.testing.assert_allclose(res.x, np.full(3, 1 / 3), atol=1e-12)
    np.testing.assert_allclose(res.dual, [-2 / 3], atol=1e-12)
    start = p.check_x0((res.x, res.dual))
    assert isinstance(start, NLPStart)
    again = optkit.solve(p, method="exact_al", x0=(res.x, res.dual), tol=1e-12, seed=0)
    assert again.success and again.nit == 0
    with pytest.raises(ValueError, match="x0.lam"):
        p.check_x0((res.x, np.zeros(2)))


def test_from_scipy_matches_slsqp():
    from scipy.optimize import minimize  # noqa: PLC0415

    def fun(x):
        return (x[0] - 1) ** 2 + (x[1] - 2) ** 2 + x[2] ** 4

    def jac(x):
        return np.array([2 * (x[0] - 1), 2 * (x[1] - 2), 4 * x[2] ** 3])

    cons = [{"type": "eq", "fun": lambda x: np.array([x[0] ** 2 + x[1] ** 2 - 1]),
             "jac": lambda x: np.array([[2 * x[0], 2 * x[1], 0.0]]), "hess": lambda x, v: v[0] * np.diag([2, 2, 0.0])},
            {"type": "eq", "fun": lambda x: x[0] + x[2], "jac": lambda x: np.array([1.0, 0.0, 1.0]), "linear": True}]
    hess = lambda x: np.diag([2.0, 2.0, 12 * x[2] ** 2])  # noqa: E731
    x0 = np.array([0.5, 0.5, 0.1])
    ref = minimize(fun, x0, jac=jac, constraints=cons, method="SLSQP", options={"ftol": 1e-14})
    for kwargs in ({"hess": hess}, {}):
        p = EqualityNLP.from_scipy(fun, x0, cons, jac=jac, **kwargs)
        assert (p.hess is None) == (not kwargs) and p.m == 2
        res = optkit.solve(p, tol=1e-10, seed=0)
        assert res.success and res.fun == pytest.approx(ref.fun, rel=1e-7, abs=1e-10)
        if kwargs:
            assert res.info["hessian"] == "exact"
        else:
            assert res.info["hessian"] == "damped BFGS"
    with pytest.raises(ValueError, match="only 'eq'"):
        EqualityNLP.from_scipy(fun, x0, {"type": "ineq", "fun": fun, "jac": jac}, jac=jac)
    with pytest.raises(TypeError, match="jac is required"):
        EqualityNLP.from_scipy(fun, x0, cons)
    with pytest.raises(ValueError, match="Lagrangian Hessian"):
        EqualityNLP.from_scipy(fun, x0, [cons[0] | {"hess": None}], jac=jac, hess=hess)


@pytest.mark.parametrize("method", ["sqp", "exact_al"])
def test_bfgs_without_hessian(method):
    for number in (40, 77, 79):
        h = hock_schittkowski(number)
        p = EqualityNLP(h.fun, h.grad, h.cons, h.jac, h.x0)
        res = optkit.solve(p, method=method, tol=1e-9, max_iter=300, **_seed(method))
        assert res.success and abs(res.fun - h.f_star) <= 1e-6 * max(1, abs(h.f_star)), (number, res.status)


@pytest.mark.parametrize("method", ["sqp", "exact_al"])
def test_sparse_and_operator_hessians(method):
    from scipy.sparse.linalg import aslinearoperator  # noqa: PLC0415

    h = hock_schittkowski(78)
    for wrap in (sp.csr_matrix, aslinearoperator):
        p = EqualityNLP(h.fun, h.grad, h.cons, lambda x: sp.csr_matrix(h.jac(x)), h.x0,
                        hess=lambda x, lam: wrap(h.hess(x, lam)))
        res = optkit.solve(p, method=method, tol=1e-9, **_seed(method))
        assert res.success and abs(res.fun - h.f_star) <= 1e-6


@pytest.mark.parametrize("method", ["sqp", "exact_al"])
def test_singular_jacobian_is_a_failure_with_reason(method):
    # two copies of one nonlinear constraint: J J^T is singular at every point
    p = EqualityNLP(fun=lambda x: float(np.sum((x - 2) ** 4) + x[0] * x[1]),
                    grad=lambda x: 4 * (x - 2) ** 3 + np.array([x[1], x[0], 0.0]),
                    cons=lambda x: np.array([x @ x - 1, 2 * (x @ x - 1)]),
                    jac=lambda x: np.vstack([2 * x, 4 * x]), x0=np.array([0.3, 0.2, 0.9]))
    res = optkit.solve(p, method=method, tol=1e-10, **_seed(method))
    assert not res.success and res.status is Status.NUMERICAL_ERROR
    assert "singular constraint Jacobian" in res.info["reason"]


def test_iteration_limit_is_a_failure():
    p = hock_schittkowski(26)
    res = optkit.solve(p, method="exact_al", max_iter=4, seed=0)
    assert res.status is Status.MAX_ITER and not res.success and res.nit == 4
    assert len(res.info["sketch_iterations"]) == 4


def test_seeded_runs_repeat_and_seeds_differ():
    p = hock_schittkowski(47)
    a, b = (optkit.solve(p, method="exact_al", sketch="kaczmarz", max_iter=5, tol=1e-300, seed=3) for _ in range(2))
    np.testing.assert_array_equal(a.x, b.x)
    assert a.info["sketch_iterations"] == b.info["sketch_iterations"]
    c = optkit.solve(p, method="exact_al", sketch="kaczmarz", max_iter=5, tol=1e-300, seed=4)
    assert c.info["sketch_iterations"] != a.info["sketch_iterations"]


def test_poisson_control_against_cvxpy():
    from optkit.validate import validate  # noqa: PLC0415

    runs = [("numpy", "sqp", 5), ("array_api_strict", "sqp", 5), ("numpy", "exact_al", 4)]
    for backend, method, N in runs:   # exact_al: one outer iteration, 1e5 block steps (kappa(K)^2 ~ N^4)
        p = PoissonControl(N, xp=namespace_by_name(backend))
        assert p.default_method == "sqp" and p.n == 2 * N * N and p.m == N * N
        res = optkit.solve(p, method=method, tol=1e-8, max_iter=20, **_seed(method))
        assert res.success, (backend, method, res.status)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rep = validate(p, res)
        assert rep.objective_gap <= 1e-7 and rep.solution_distance <= 1e-5, (backend, method, rep)
    w, z = PoissonControl(5).state_control(np.ones(50))
    assert tuple(w.shape) == (5, 5) and tuple(z.shape) == (5, 5)
    assert sp.issparse(PoissonControl(5).jac(PoissonControl(5).x0))


def _trust_constr(p):
    from scipy.optimize import NonlinearConstraint, minimize  # noqa: PLC0415

    zero = np.zeros(p.m)
    con = NonlinearConstraint(p.cons, 0, 0, jac=p.jac, hess=lambda x, v: p.hess(x, v) - p.hess(x, zero))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return minimize(p.fun, np.asarray(p.x0), jac=p.grad, hess=lambda x: p.hess(x, zero), constraints=[con],
                        method="trust-constr", options={"gtol": 1e-10, "xtol": 1e-14, "maxiter": 3000})


def _logistic_against_trust_constr(p):
    res = optkit.solve(p, tol=1e-9, seed=0)
    assert res.success and res.kkt_residual <= 1e-8
    ref = _trust_constr(p)
    assert p.measures(ref.x)["kkt_residual"] <= 1e-6
    assert res.fun == pytest.approx(float(ref.fun), rel=1e-6)
    np.testing.assert_allclose(res.x, ref.x, atol=1e-5)


def test_logistic_regression_against_trust_constr():
    p = ConstrainedLogisticRegression(*logistic_constrained_instance(300, 12, k=4, seed=5))
    assert p.n == 12 and p.m == 5
    _logistic_against_trust_constr(p)
    X, y, A, b = logistic_constrained_instance(30, 5, k=2)
    with pytest.raises(ValueError, match="labels"):
        ConstrainedLogisticRegression(X, y * 3, A, b)


@pytest.mark.slow
def test_breast_cancer_logistic_against_trust_constr():
    p = ConstrainedLogisticRegression(*breast_cancer_constrained())
    assert p.n == 30 and p.m == 11
    _logistic_against_trust_constr(p)


def test_sketch_solve_each_kind_and_kernels_match_twins(monkeypatch):
    rng = np.random.default_rng(0)
    B = rng.standard_normal((6, 6))
    B = B @ B.T + 6 * np.eye(6)
    J = rng.standard_normal((2, 6))
    K = np.block([[B, J.T], [J, np.zeros((2, 2))]])
    b = rng.standard_normal(8)
    exact = np.linalg.solve(K, b)
    target = 1e-6 * np.linalg.norm(b)
    for kind, kw in (("kaczmarz", {}), ("gaussian", {}), ("block", {}), ("block", {"block_kind": "gaussian"})):
        runs = []
        for numba in ("0", "1"):
            monkeypatch.setenv("OPTKIT_DISABLE_NUMBA", numba)
            for system in (sketch_system(K), sketch_system(sp.csr_matrix(K))):
                res = sketch_solve(system, b, target, np.random.default_rng(5), kind=kind, max_steps=300_000, **kw)
                assert res.reached and res.residual <= target
                np.testing.assert_allclose(K @ res.z, b, atol=2 * target)
                runs.append(res)
        # the same draws: the Numba kernels and the array-API twins take the same steps to the same point
        assert len({r.steps for r in runs}) == 1, (kind, [r.steps for r in runs])
        for r in runs[1:]:
            np.testing.assert_allclose(r.z, runs[0].z, rtol=1e-9, atol=1e-9 * np.abs(exact).max())
    monkeypatch.delenv("OPTKIT_DISABLE_NUMBA")
    res = sketch_solve(sketch_system(K), b, 0.0, np.random.default_rng(1), kind="block", max_steps=50)
    assert not res.reached or res.residual <= 1e-12 * np.linalg.norm(b) * 1e3


def test_float32_problem_keeps_dtype():
    p = hock_schittkowski(40, dtype=np.float32)
    res = optkit.solve(p, method="sqp", tol=1e-5)
    assert res.success and res.x.dtype == np.float32
    res = optkit.solve(p, tol=1e-5, seed=0)
    assert res.success and res.x.dtype == np.float32 and abs(res.fun + 0.25) <= 1e-4


@pytest.mark.slow
def test_generated_logistic_large():
    p = ConstrainedLogisticRegression(*logistic_constrained_instance(20_000, 100, seed=2))
    for method in ("sqp", "exact_al"):
        res = optkit.solve(p, method=method, tol=1e-9, **_seed(method))
        assert res.success and res.kkt_residual <= 1e-8


@pytest.mark.parametrize("bad", ["data", ["a", "b"], [1 + 1j, 2.0], np.array([1 + 1j, 2.0]), np.array([1.0, 2.0], dtype=object)])
def test_nonnumeric_or_complex_x0_is_refused_by_name(bad):
    """A string list failed inside NumPy ("could not convert string to float") without naming x0, and
    a complex array lost its imaginary part with only NumPy's ComplexWarning."""
    p = hock_schittkowski(7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # a ComplexWarning is not an answer
        with pytest.raises(TypeError, match="x0"):
            dataclasses.replace(p, x0=bad)
