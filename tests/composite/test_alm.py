"""ALM / FALM specifics beyond the conformance matrix: skipping, continuation, smooth g."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optkit
from optkit.backend import asarray, namespace_by_name
from optkit.datasets import lasso_instance, sics_instance
from optkit.functions import SquaredLoss
from optkit.problems import Composite, Lasso, SparseInverseCovariance
from optkit.validate import reference_solve


def _rel_gap(problem, res):
    import cvxpy as cp  # noqa: PLC0415

    try:
        x_ref, _, _, _ = reference_solve(problem)
    except cp.error.SolverError:
        # Clarabel fails on some log-det instances (sics_instance(22, seed=1), lam=0.5, even at its
        # default settings); SCS at eps 1e-9 agrees there with FALM's certified value to 2e-9
        x_ref, _, _, _ = reference_solve(problem, "SCS")
    f_ref = problem.objective(x_ref)
    return abs(res.fun - f_ref) / max(1.0, abs(f_ref))


@pytest.mark.parametrize("method", ["alm", "fast_alm"])
@pytest.mark.parametrize("options", [dict(skipping=True), dict(skipping=True, skip_probe=1),
                                     dict(mu_factor=3.0, mu_every=10)])
def test_variants_reach_reference_on_sics(method, options):
    problem = SparseInverseCovariance(**sics_instance(18, seed=31, lam=0.08))
    res = optkit.solve(problem, method=method, tol=1e-9, max_iter=20000, **options)
    assert res.success and _rel_gap(problem, res) <= 1e-7


@pytest.mark.parametrize("method", ["alm", "fast_alm"])
def test_skipping_variants_on_lasso_skip_and_converge(method):
    problem = Lasso(**lasso_instance(40, 100, seed=32))
    res = optkit.solve(problem, method=method, skipping=True, tol=1e-9, max_iter=20000)
    assert res.success and _rel_gap(problem, res) <= 1e-7
    # the l1 term is not majorised by its linearisation at a sparse point: x-steps get skipped
    assert res.info["skipped"] > 0


def test_probing_saves_x_steps_without_changing_the_answer():
    problem = Lasso(**lasso_instance(40, 100, seed=33))
    every = optkit.solve(problem, method="fast_alm", skip_probe=1, tol=1e-9)
    lazy = optkit.solve(problem, method="fast_alm", skip_probe=5, tol=1e-9)
    assert every.success and lazy.success
    assert lazy.fun == pytest.approx(every.fun, rel=1e-8)


def test_continuation_reaches_the_floor():
    problem = Lasso(**lasso_instance(40, 100, seed=34))
    res = optkit.solve(problem, method="alm", mu=5.0, mu_factor=2.0, mu_every=5, mu_min=0.5, tol=1e-9)
    assert res.success and res.info["mu"] == pytest.approx(0.5)


def test_plain_falm_with_two_smooth_terms(rng):
    """GMS Algorithm 2 proper: both f and g smooth, no skipping, O(1/k^2)."""
    A1, b1 = rng.standard_normal((30, 20)), rng.standard_normal(30)
    A2, b2 = rng.standard_normal((25, 20)), rng.standard_normal(25)
    problem = Composite(SquaredLoss(A1, b1), SquaredLoss(A2, b2), (20,))
    res = optkit.solve(problem, method="fast_alm", skipping=False, tol=1e-10, max_iter=5000)
    assert res.success
    x_star = np.linalg.solve(A1.T @ A1 + A2.T @ A2, A1.T @ b1 + A2.T @ b2)
    np.testing.assert_allclose(res.x, x_star, rtol=1e-6, atol=1e-8)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), m=st.integers(10, 60), n=st.integers(10, 80),
       lam_ratio=st.floats(0.02, 0.8), backend=st.sampled_from(["numpy", "array_api_strict"]))
def test_falm_on_lasso_instances_nobody_tuned_on(seed, m, n, lam_ratio, backend):
    A, b, lam = lasso_instance(m, n, seed=seed, lam_ratio=lam_ratio).values()
    xp = namespace_by_name(backend)
    res = optkit.solve(Lasso(asarray(A, xp=xp), asarray(b, xp=xp), lam=lam), method="fast_alm", tol=1e-8,
                       max_iter=50000)
    assert res.success, res
    assert _rel_gap(Lasso(A, b, lam=lam), res) <= 1e-6


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), p=st.integers(4, 25), lam=st.floats(0.01, 0.5),
       backend=st.sampled_from(["numpy", "array_api_strict"]))
def test_falm_on_sics_instances_nobody_tuned_on(seed, p, lam, backend):
    S = sics_instance(p, seed=seed)["S"]
    xp = namespace_by_name(backend)
    res = optkit.solve(SparseInverseCovariance(asarray(S, xp=xp), lam=lam), method="fast_alm", tol=1e-8,
                       max_iter=50000)
    assert res.success, res
    assert _rel_gap(SparseInverseCovariance(S, lam=lam), res) <= 1e-6
