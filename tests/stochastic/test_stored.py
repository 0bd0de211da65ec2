"""Stored snapshot derivatives of the variance-reduced methods (``store_derivatives``, linear models): the problem
rebuilds a minibatch's gradients at the snapshot from the stored per-sample loss derivatives exactly, and the
methods take the same iterates as with both gradients evaluated, with ``b`` sample gradients per inner step."""
from __future__ import annotations

import numpy as np
import pytest

import optkit
from optkit.backend import namespace_by_name, to_numpy
from optkit.problems import LogisticRegression, MLPClassifier, SigmoidSVM

from .test_scaling import _sparse
from .test_solvers import _logistic

xs = namespace_by_name("array_api_strict")


@pytest.mark.parametrize("model,classes", [(LogisticRegression, 2), (LogisticRegression, 3), (SigmoidSVM, 2)])
@pytest.mark.parametrize("layout", ["dense", "sparse", "strict"])
def test_stored_derivatives_rebuild_the_minibatch_gradients(model, classes, layout):
    X, y, rng = _sparse(seed=8, n=40, d=7, classes=classes)
    problem = model(X.toarray() if layout == "dense" else X, y, l2=0.03)
    problem = problem.to(xs) if layout == "strict" else problem
    xp = problem.xp
    x, x_ref = (xp.asarray(rng.standard_normal(problem.n_params)) for _ in range(2))
    value, grad, D = problem.value_grad_derivatives(x_ref)
    assert D.shape == (40, problem.n_outputs)
    ref_value, ref_grad = problem.value_and_grad(x_ref)
    assert value == pytest.approx(ref_value, rel=1e-14)
    np.testing.assert_allclose(to_numpy(grad), to_numpy(ref_grad), rtol=1e-13, atol=1e-15)
    idx = rng.choice(40, 9, replace=False)
    batch = problem.batch(idx)
    stored = problem.grads_with_derivatives(x, x_ref, xp.take(D, batch.idx, axis=0), batch)
    evaluated = problem.grads((x, x_ref), batch)
    for a, b in zip(stored, evaluated):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-12, atol=1e-14)
    (change,) = problem.grads_with_derivatives(x, x_ref, xp.take(D, batch.idx, axis=0), batch, difference=True)
    np.testing.assert_allclose(to_numpy(change), to_numpy(evaluated[0] - evaluated[1]), rtol=1e-12, atol=1e-14)
    # on a minibatch the derivatives are those rows
    _, _, D_batch = problem.value_grad_derivatives(x_ref, batch)
    np.testing.assert_allclose(to_numpy(D_batch), to_numpy(xp.take(D, batch.idx, axis=0)), rtol=1e-13, atol=1e-15)


CASES = [("svrg", {}), ("sdlbfgs_vr", {}), ("sdlbfgs_vr", {"curvature": "step"}),
         ("svrg", {"snapshot_batch": 12, "snapshot_growth": 1.5, "snapshot_sample": "nested"}),
         ("sdlbfgs_vr", {"snapshot_batch": 12, "snapshot_growth": 1.5, "snapshot_sample": "nested"}),
         ("sdlbfgs_vr", {"snapshot_batch": 12, "snapshot_growth": 2.0, "snapshot_sample": "fresh"})]


@pytest.mark.parametrize("method,extra", CASES)
def test_stored_derivatives_take_the_same_iterates_with_fewer_sample_gradients(method, extra):
    X, y, _ = _sparse(seed=9, n=60, d=12)
    problem = SigmoidSVM(X, y, l2=1e-2)
    run = dict(method=method, tol=1e-12, max_iter=40, batch_size=6, inner_steps=5, check_every=5, step_size=0.3,
               seed=2, **extra)
    stored, evaluated = (optkit.solve(problem, store_derivatives=s, **run) for s in (True, False))
    np.testing.assert_allclose(stored.history["optimality"], evaluated.history["optimality"], rtol=1e-9)
    np.testing.assert_allclose(stored.x, evaluated.x, rtol=1e-10, atol=1e-12)
    saved = np.asarray(evaluated.history["sfo"]) - np.asarray(stored.history["sfo"])
    # every inner step saves its 6 snapshot-side sample gradients, except (fresh) those whose snapshot was a minibatch
    # of other samples: 12, 24 and 48 samples for steps 1-15 (84 of the stream: its minibatches stay whole), then full
    per_loop = np.array([0] + [0 if extra.get("snapshot_sample") == "fresh" and k < 3 else 30 for k in range(8)])
    np.testing.assert_array_equal(saved, np.cumsum(per_loop))
    strict = optkit.solve(problem.to(xs), store_derivatives=True, **run)
    np.testing.assert_allclose(to_numpy(strict.x), stored.x, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(strict.history["sfo"], stored.history["sfo"])


def test_an_undone_inner_loop_goes_back_to_its_snapshots_derivatives():
    """With a step far too long, SdLBFGS-VR undoes inner loops; the stored derivatives go back with the snapshot, so
    the iterates stay those of the method with both gradients evaluated."""
    problem = _logistic()
    run = dict(method="sdlbfgs_vr", tol=1e-12, max_epochs=30, batch_size=20, step_size=30.0, seed=0)
    stored, evaluated = (optkit.solve(problem, store_derivatives=s, **run) for s in (True, False))
    assert stored.info["rejected_inner_loops"] == evaluated.info["rejected_inner_loops"] > 0
    np.testing.assert_allclose(stored.x, evaluated.x, rtol=1e-9, atol=1e-12)


def test_models_without_derivatives_evaluate_both_gradients():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 4))
    problem = MLPClassifier(X, (X[:, 0] > 0).astype(int), hidden=(3,), l2=1e-2)
    res = optkit.solve(problem, method="svrg", tol=1e-12, max_iter=5, batch_size=10, check_every=5, seed=0)
    assert res.history["sfo"][-1] == 30 + 5 * 2 * 10 + 30   # the first snapshot, the steps, the snapshot at step 5
