"""SdLBFGS with growing batches and the minibatch line search: every sample gradient counted, epochs as
data passes, seeded determinism, a monotone full-batch line search."""
from __future__ import annotations

import math

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.problems import LogisticRegression


def _logistic(n=50, d=6, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return LogisticRegression(X, (X @ rng.standard_normal(d) + rng.standard_normal(n) > 0).astype(int), l2=0.1)


def _counted(problem):
    """The problem with its minibatch oracles counting sample gradients (certificate passes, which take no
    ``idx``, are not counted; nor are the full snapshot passes of the variance-reduced methods, counted apart)."""
    calls: list[int] = []
    for name, per_point in (("grad", False), ("value_and_grad", False), ("grads", True)):
        f = getattr(problem, name)

        def wrapped(first, idx=None, _f=f, _many=per_point):
            if idx is not None:
                calls.append(problem.batch(idx).size * (len(first) if _many else 1))
            return _f(first, idx)

        object.__setattr__(problem, name, wrapped)
    if hasattr(problem, "value_grad_derivatives"):
        # the linear models' stored snapshot derivatives: the gradient at x_ref is rebuilt from them, not evaluated
        at_x, with_stored = problem.value_grad_derivatives, problem.grads_with_derivatives

        def derivatives(x, idx=None):
            if idx is not None:
                calls.append(problem.batch(idx).size)
            return at_x(x, idx)

        def rebuilt(x, x_ref, d_ref, idx, **kw):
            calls.append(problem.batch(idx).size)
            return with_stored(x, x_ref, d_ref, idx, **kw)

        object.__setattr__(problem, "value_grad_derivatives", derivatives)
        object.__setattr__(problem, "grads_with_derivatives", rebuilt)
    return problem, calls


GROWTH = dict(batch_size=8, batch_growth=1.5, tol=1e-12, seed=1)
SIZES = [8, 12, 18, 27, 41, 50, 50, 50, 50, 50]   # min(n, ceil(8 * 1.5^k)), n = 50


def test_batch_growth_draws_growing_batches_and_counts_every_sample_gradient():
    problem, calls = _counted(_logistic())
    res = optkit.solve(problem, method="sdlbfgs", max_iter=10, check_every=1, **GROWTH)
    # a pair every step: step k also takes the gradient of step k-1's minibatch at x_k, except once both
    # minibatches are all the data (then it is step k's own gradient, taken once)
    pairs = [0] + [b0 if not (b0 == b1 == 50) else 0 for b0, b1 in zip(SIZES, SIZES[1:])]
    expected = np.concatenate([[0], np.cumsum(np.add(SIZES, pairs))])
    np.testing.assert_array_equal(res.history["sfo"], expected)
    assert sum(calls) == res.info["sfo"] == expected[-1]
    np.testing.assert_allclose(res.history["epoch"], np.concatenate([[0], np.cumsum(SIZES)]) / 50)
    assert res.info["pairs"] + res.info["skipped"] == 9


def test_batch_growth_epoch_limit_counts_data_passes():
    res = optkit.solve(_logistic(), method="sdlbfgs", max_epochs=3, **GROWTH)
    # 8 + 12 + 18 + 27 + 41 + 50 = 156 >= 3 * 50 samples after 6 steps
    assert res.status is Status.MAX_ITER and res.nit == 6 and res.info["epochs"] == pytest.approx(156 / 50)


@pytest.mark.parametrize("growth", [1.0, 1.5])
def test_line_search_counts_every_trial(growth):
    problem, calls = _counted(_logistic())
    res = optkit.solve(problem, method="sdlbfgs", max_iter=12, line_search=True, step_size=4.0,
                       schedule="constant", **{**GROWTH, "batch_growth": growth})
    drawn = round(res.info["epochs"] * 50)
    # the gradient at x_k and at least one trial per step, more where a trial was rejected
    assert sum(calls) == res.info["sfo"] and res.info["sfo"] > 2 * drawn
    assert res.info["pairs"] > 0


def test_growth_and_line_search_are_seeded():
    problem = _logistic()
    opts = dict(GROWTH, line_search=True, max_iter=9, step_size=1.0, schedule="constant")
    a, b = (optkit.solve(problem, method="sdlbfgs", **opts) for _ in range(2))
    c = optkit.solve(problem, method="sdlbfgs", **{**opts, "seed": 2})
    np.testing.assert_array_equal(a.x, b.x)
    assert a.info["sfo"] == b.info["sfo"] and not np.array_equal(a.x, c.x)


def test_full_batch_line_search_decreases_the_objective_and_converges():
    """On all the data the Armijo search makes every step a descent step, even from a step far too long."""
    problem = _logistic()
    res = optkit.solve(problem, method="sdlbfgs", batch_size=50, line_search=True, step_size=100.0,
                       schedule="constant", damping=1e-3, tol=1e-8, max_iter=200, check_every=1, seed=0)
    assert res.success, res
    assert np.all(np.diff(res.history["fun"]) <= 1e-15)
    free = optkit.solve(problem, method="sdlbfgs", batch_size=50, step_size=100.0, schedule="constant",
                        damping=1e-3, tol=1e-8, max_iter=200, check_every=1, seed=0)
    assert not free.success or np.any(np.diff(free.history["fun"]) > 0)


def test_growth_option_is_checked():
    with pytest.raises(ValueError, match="batch_growth"):
        optkit.solve(_logistic(), method="sdlbfgs", batch_growth=0.5)
    res = optkit.solve(_logistic(), method="sdlbfgs", batch_growth=2.0, batch_size=100, max_iter=3, tol=1e-12)
    assert math.isfinite(res.fun) and res.info["sfo"] == 50 * 3   # capped at n from the start: all the data


def test_damping_against_delta_leaves_convex_pairs_undamped():
    """On an l2-regularised logistic regression every minibatch function has curvature >= l2 = 0.1, so with
    ``damp_against="delta"`` (delta = 0.01) no pair is damped, while the paper's test (cos(s, y) < 0.5) damps
    some; both converge. The option is checked."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 20)) * np.logspace(-1, 1, 20)   # a spread Hessian spectrum
    problem = LogisticRegression(X, (X @ rng.standard_normal(20) > 0).astype(int), l2=0.1)
    opts = dict(batch_size=20, tol=1e-6, max_epochs=200, seed=0, damping=0.01, step_size=1.0, schedule="constant",
                batch_growth=1.3, line_search=True)
    ours = optkit.solve(problem, method="sdlbfgs", damp_against="delta", **opts)
    paper = optkit.solve(problem, method="sdlbfgs", **opts)
    assert ours.success and paper.success
    assert ours.info["pairs"] > 0 and ours.info["damped"] == 0
    assert paper.info["damped"] > 0
    vr = optkit.solve(problem, method="sdlbfgs_vr", damp_against="delta", damping=0.01, tol=1e-6, seed=0)
    assert vr.success and vr.info["damped"] == 0
    with pytest.raises(ValueError, match="damp_against"):
        optkit.solve(problem, method="sdlbfgs", damp_against="theta")


def test_a_fixed_full_batch_is_drawn_afresh_every_step():
    """Without growth a batch of n samples is a new draw every step (a permutation, or n draws with replacement),
    so its pair gradient is taken on the previous draw: 2n sample gradients per step after the first."""
    problem = _logistic()
    for shuffle in (True, False):
        res = optkit.solve(problem, method="sdlbfgs", batch_size=50, pair_every=1, max_iter=5, tol=1e-12, seed=0,
                           shuffle=shuffle)
        assert res.info["sfo"] == 50 * 5 + 50 * 4
