"""Growing-batch snapshots of the variance-reduced methods (``snapshot_batch``): the full batch is the plain
method, the runs are seeded, the SFO count follows the plain methods' rule, the damping guarantee holds, and the
sampled Jacobi diagonal takes the snapshots' rows."""
from __future__ import annotations

import numpy as np
import pytest

import optkit
from optkit.backend import namespace_by_name, to_numpy
from optkit.problems import SigmoidSVM
from optkit.solvers.stochastic.sdlbfgs import SdLBFGSVR

from .test_scaling import _sparse
from .test_solvers import _logistic

xs = namespace_by_name("array_api_strict")
VR = ["svrg", "sdlbfgs_vr"]
SAMPLES = ["fresh", "nested"]


@pytest.mark.parametrize("method", VR)
def test_a_full_first_snapshot_is_the_plain_method(method):
    problem = _logistic(n=50)
    run = dict(method=method, tol=1e-12, max_iter=25, batch_size=10, inner_steps=5, seed=4)
    plain = optkit.solve(problem, **run)
    for extra in (dict(snapshot_batch=50), dict(snapshot_batch=200, snapshot_growth=1.0, snapshot_sample="nested")):
        full = optkit.solve(problem, **run, **extra)
        np.testing.assert_array_equal(full.x, plain.x)
        for key in ("sfo", "optimality", "fun"):
            np.testing.assert_array_equal(full.history[key], plain.history[key])


@pytest.mark.parametrize("method", VR)
@pytest.mark.parametrize("sample", SAMPLES)
def test_growing_snapshots_are_seeded_and_backend_independent(method, sample):
    X, y, _ = _sparse(seed=3, n=120, d=20)
    problem = SigmoidSVM(X, y, l2=1e-2)
    run = dict(method=method, tol=1e-12, max_iter=40, batch_size=8, inner_steps=6, snapshot_batch=15,
               snapshot_sample=sample, step_size=0.3)
    a, b, c = (optkit.solve(problem, seed=s, **run) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    strict = optkit.solve(problem.to(xs), seed=1, **run)
    np.testing.assert_allclose(to_numpy(strict.x), a.x, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(strict.history["sfo"], a.history["sfo"])


@pytest.mark.parametrize("method", VR)
@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("store", [False, True])
def test_the_count_is_the_plain_rule_for_minibatch_snapshots(method, sample, store):
    """n = 50, batches of 10, inner loops of 5 steps, snapshots of 10, 20, 40, then 50 (full). A minibatch snapshot is
    counted at the step that first uses it, so a check counts the sample gradients behind its iterate; a full one is
    counted at the step that ends the inner loop, where its gradient is the certificate (the rule of full snapshots).
    An inner step costs 2 x 10 sample gradients, or 10 where the snapshot's derivatives are stored for the samples it
    draws from: a full or nested snapshot's, not a fresh one's."""
    problem = _logistic(n=50)
    res = optkit.solve(problem, method=method, tol=1e-12, max_iter=25, batch_size=10, inner_steps=5, check_every=5,
                       snapshot_batch=10, snapshot_growth=2.0, snapshot_sample=sample, seed=0,
                       store_derivatives=store)
    loop = 5 * (1 if store and sample == "nested" else 2) * 10   # the inner loops of the minibatch snapshots
    full_loop = 5 * (1 if store else 2) * 10
    # check 0 before anything; then after each loop: its snapshot (10, 20, 40 at its start) and its steps, and the
    # full snapshot (50) that the third loop's end takes; then a loop and the next full snapshot
    expected = np.cumsum([0, 10 + loop, 20 + loop, 40 + loop + 50, full_loop + 50, full_loop + 50])
    np.testing.assert_array_equal(res.history["sfo"], expected)
    assert res.measures["sfo"] == expected[-1] == res.info["sfo"]
    # every check's certificate is the problem's own, also between minibatch snapshots (not the snapshot's mean)
    partial = optkit.solve(problem, method=method, tol=1e-12, max_iter=10, batch_size=10, inner_steps=5,
                           snapshot_batch=10, snapshot_sample=sample, seed=0)
    assert problem.measures(partial.x)["optimality"] == pytest.approx(partial.optimality, rel=1e-12)


@pytest.mark.parametrize("method", VR)
@pytest.mark.parametrize("sample", SAMPLES)
def test_growing_snapshots_reach_a_tight_stationary_point(method, sample):
    """The batches reach n, and from there the method is the plain one: the variance-reduced tolerance is met."""
    problem = _logistic(n=60)
    res = optkit.solve(problem, method=method, tol=1e-7, max_epochs=400, batch_size=10, snapshot_batch=6,
                       snapshot_sample=sample, seed=0, step_size=0.5 if method == "sdlbfgs_vr" else 1.0)
    assert res.success, (res.status, res.optimality)


def _states(problem, steps, **options):
    solver = SdLBFGSVR(problem, SdLBFGSVR.Options.build("sdlbfgs_vr", **options))
    st = solver.init(None)
    yield solver, st
    for _ in range(steps):
        st = solver.step(st, False)
        yield solver, st


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("curvature", ["snapshot", "step"])
def test_pairs_keep_the_damping_guarantee_with_minibatch_snapshots(sample, curvature):
    X, y, _ = _sparse(seed=7, n=150, d=25)
    problem = SigmoidSVM(X, y, l2=1e-3)
    checked = 0
    for solver, st in _states(problem, 60, seed=3, batch_size=10, inner_steps=7, snapshot_batch=12,
                              snapshot_sample=sample, scaling="jacobi", curvature=curvature, step_size=0.5,
                              damping=0.1, tol=1e-12):
        mem = st.memory
        for j in mem.active + mem.pending:
            s, ybar = np.asarray(mem.S[j]), np.asarray(mem.Y[j])
            assert s @ ybar >= 0.25 * mem.gammas[j] * (s @ s) * (1 - 1e-12)
            checked += 1
    assert checked > 100 and mem.pairs > 20


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_sampled_diagonal_takes_the_snapshots_rows(sample):
    """Before the first step the estimate is the first snapshot's rows (fresh: then each minibatch's rows as well;
    nested: each snapshot's new rows, the inner loops' rows being among them); once every row was read it is the
    exact diagonal, the one of diagonal="pass"."""
    X, y, _ = _sparse(seed=8, n=120, d=20)
    problem = SigmoidSVM(X, y, l2=1e-2)
    d = problem.curvature_diagonal()
    exact = np.sqrt(d + 10.0 * d.mean())
    counts = []
    # fresh: snapshots of 16 (growth 1) so that no batch runs past the end of the permutation; one that does is
    # taken whole, as with SdLBFGS's growing batches
    growth = 1.0 if sample == "fresh" else 2.0
    for solver, st in _states(problem, 30, seed=5, batch_size=8, inner_steps=4, snapshot_batch=16,
                              snapshot_growth=growth, snapshot_sample=sample, scaling="jacobi", tol=1e-12):
        counts.append(st.diagonal.count)
    if sample == "fresh":
        # the first step reads the snapshot's 16 rows and its minibatch's 8; the stream reads every row once
        assert counts[:6] == [0, 24, 32, 40, 48, 72] and counts[8] == 96 and counts[9] == 120
    else:
        # snapshots of 16, 32, 64, 120 rows at steps 1, 5, 9 and the end of step 12
        assert counts[1] == 16 and counts[4] == 16 and counts[5] == 32 and counts[9] == 64 and counts[12] == 120
    assert counts[-1] == 120
    np.testing.assert_allclose(np.asarray(st.memory.scale[0]), exact, rtol=1e-12)


def test_snapshot_options_are_checked():
    problem = _logistic()
    with pytest.raises(ValueError, match="snapshot_sample"):
        optkit.solve(problem, method="svrg", snapshot_batch=10, snapshot_sample="all")
    with pytest.raises(ValueError, match="snapshot_growth"):
        optkit.solve(problem, method="sdlbfgs_vr", snapshot_batch=10, snapshot_growth=0.5)
    with pytest.raises(ValueError, match="snapshot_batch"):
        optkit.solve(problem, method="sdlbfgs_vr", snapshot_batch=0)
