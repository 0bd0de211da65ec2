"""The Jacobi scaling of SdLBFGS's H_0: the problem's curvature diagonal (a bound on the Hessian's diagonal, on
every data layout), the scaled L-BFGS matrix, the damping in the scaled coordinates, and the SFO count."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import optkit
from optkit.backend import namespace_by_name, to_numpy
from optkit.problems import LogisticRegression, MLPClassifier, SigmoidSVM
from optkit.solvers.stochastic._memory import Memory

from .test_growth import _counted
from .test_kernels import _bfgs_matrix

xs = namespace_by_name("array_api_strict")


def _sparse(seed=3, n=60, d=10, classes=2):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.3, random_state=rng, format="csr")
    X.data = rng.standard_normal(X.nnz) * rng.uniform(0.1, 3.0, X.nnz)
    return X, rng.integers(0, classes, n), rng


@pytest.mark.parametrize("model,classes", [(LogisticRegression, 2), (LogisticRegression, 3), (SigmoidSVM, 2)])
def test_curvature_diagonal_bounds_the_hessian_diagonal_on_every_layout(model, classes):
    X, y, rng = _sparse(classes=classes)
    problem = model(X, y, l2=0.05)
    D = problem.curvature_diagonal()
    k = problem.n_outputs
    expected = np.repeat(problem.loss_curvature * np.asarray(X.multiply(X).mean(axis=0)).ravel(), k) + 0.05
    np.testing.assert_allclose(D, expected, rtol=1e-13)
    np.testing.assert_allclose(model(X.toarray(), y, l2=0.05).curvature_diagonal(), expected, rtol=1e-13)
    np.testing.assert_allclose(to_numpy(problem.to(xs).curvature_diagonal()), expected, rtol=1e-13)
    # the Hessian's diagonal, by central differences of the gradient, never exceeds D (nor falls below -D + 2 l2)
    for _ in range(3):
        x = 2.0 * rng.standard_normal(problem.n_params)
        h = np.empty(problem.n_params)
        for j in range(problem.n_params):
            e = np.zeros_like(x)
            e[j] = 1e-5
            h[j] = (problem.grad(x + e)[j] - problem.grad(x - e)[j]) / 2e-5
        assert np.all(h <= D + 1e-7) and np.all(h >= 2 * 0.05 - D - 1e-7)


def test_scaled_memory_is_the_bfgs_matrix_of_the_scaled_pairs():
    rng = np.random.default_rng(4)
    d, p = 7, 3
    r = rng.uniform(0.2, 5.0, d)
    mem = Memory(np, p, d, np.float64, lag=False, scale=r)
    for _ in range(5):
        x, x0 = rng.standard_normal(d), rng.standard_normal(d)
        g, g0 = rng.standard_normal(d), rng.standard_normal(d)
        mem.update(x, x0, g, g0, 0.1)
        slot = mem.active[0]
        np.testing.assert_allclose(mem.S[slot], r * (x - x0), rtol=1e-12)
        # the damping guarantee holds for the pair as stored, in the coordinates u = r * x
        gamma = mem.gammas[slot]
        assert mem.S[slot] @ mem.Y[slot] >= 0.25 * gamma * mem.S[slot] @ mem.S[slot] * (1 - 1e-12)
    g = rng.standard_normal(d)
    H_u = _bfgs_matrix(mem.S, mem.Y, mem.rho, mem.active, mem.inv_gamma)
    np.testing.assert_allclose(mem.direction(g), (H_u @ (g / r)) / r, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("diagonal,extra", [("pass", 200), ("sampled", 0)])
def test_jacobi_scaling_counts_its_pass_and_converges_on_numpy_and_array_api_strict(diagonal, extra):
    X, y, _ = _sparse(seed=5, n=200, d=30)
    problem = LogisticRegression(X, y, l2=1e-2)
    options = dict(method="sdlbfgs_vr", scaling="jacobi", diagonal=diagonal, tol=1e-7, seed=0, max_epochs=60,
                   batch_size=20)
    counted, calls = _counted(LogisticRegression(X, y, l2=1e-2))
    res = optkit.solve(counted, **options)
    assert res.success
    # every minibatch sample gradient, every snapshot pass and (diagonal="pass") the diagonal's one pass over the
    # data; the sampled diagonal reads only the minibatches' rows, so it adds none
    snapshots = res.info["epochs"] + 1
    assert res.measures["sfo"] == sum(calls) + 200 * snapshots + extra
    strict = optkit.solve(problem.to(xs), **options)
    assert strict.success and strict.nit == res.nit
    np.testing.assert_allclose(np.asarray(strict.x), res.x, rtol=1e-8, atol=1e-10)
    again = optkit.solve(problem, **options)
    np.testing.assert_array_equal(again.x, res.x)


@pytest.mark.parametrize("method,options,tol", [
    ("sdlbfgs", dict(step_size=1.0, schedule="constant", batch_growth=1.5, line_search=True), 1e-5),
    ("sdlbfgs_vr", dict(step_size=0.3, damping=0.1), 1e-5),
])
def test_jacobi_scaling_reaches_a_stationary_point_of_the_sigmoid_svm(method, options, tol):
    X, y, _ = _sparse(seed=6, n=200, d=30)
    problem = SigmoidSVM(X, y, l2=1e-2)
    res = optkit.solve(problem, method=method, scaling="jacobi", tol=tol, seed=1, max_epochs=200, batch_size=20,
                       **options)
    assert res.success, (res.status, res.optimality)
    assert problem.measures(res.x)["optimality"] == pytest.approx(res.optimality, rel=1e-10)


def test_scaling_needs_a_curvature_diagonal_and_checks_its_options():
    X, y, _ = _sparse()
    with pytest.raises(ValueError, match="scaling"):
        optkit.solve(MLPClassifier(X, y, hidden=(3,)), method="sdlbfgs", scaling="jacobi")
    problem = LogisticRegression(X, y, l2=0.1)
    with pytest.raises(ValueError, match="scaling"):
        optkit.solve(problem, method="sdlbfgs_vr", scaling="adam")
    with pytest.raises(ValueError, match="shrink"):
        optkit.solve(problem, method="sdlbfgs", scaling="jacobi", shrink=-1.0)
