"""Compiled runs of SNS and Sinkhorn on small NumPy problems against their twin, the step-by-step path.

A compiled run (``optkit.kernels.transport.ot_sns_run``, ``ot_sinkhorn_run``) must make the step path's
iterations:
the same iteration counts, statuses and counters, the same plans and potentials to rounding,
the same in-run measures, whatever ``check_every``, callbacks, warm starts or how many
iterations one call makes."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.backend import namespace_by_name, to_numpy
from optkit.datasets.transport import digits_pair
from optkit.kernels import transport as kernels
from optkit.problems import EntropicOT
from optkit.solvers.transport import sinkhorn as sinkhorn_module
from optkit.solvers.transport import sns as sns_module


def _clouds(n, m, reg, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, m)
    return EntropicOT.from_point_clouds(rng.random((n, 2)), rng.random((m, 2)) + 0.1, reg=reg, a=a / a.sum(), b=b / b.sum())


def _digits(metric):
    return EntropicOT.from_histograms(*digits_pair(3, 8), reg=1e-3, metric=metric)


INSTANCES = {
    "digits-l2": lambda: _digits("sqeuclidean"),
    "digits-l1": lambda: _digits("cityblock"),
    "clouds-reg1e-2": lambda: _clouds(40, 30, 1e-2, 1),
    "clouds-continuation": lambda: _clouds(40, 30, 1e-4, 2),  # three continuation levels
}
# the intermediate problems of the continuation are ill-conditioned: rounding differences between
# the two paths' sums (BLAS and NumPy's pairwise sums against sequential loops) grow to ~4e-7 there
RTOL = {"clouds-continuation": 1e-5}


def _stepwise(monkeypatch):
    for module in (sinkhorn_module, sns_module):
        monkeypatch.setattr(module, "ot_run_compiled", lambda *args: False)


def _same_run(fast, slow, rtol=1e-7):
    assert fast.info["compiled"] and not slow.info["compiled"]
    assert fast.status is slow.status and fast.nit == slow.nit
    for key in ("sinkhorn_iterations", "newton_iterations", "backtracks", "sinkhorn_fallbacks", "regs", "absorptions",
                "log_steps"):
        assert fast.info.get(key) == slow.info.get(key), key
    assert fast.info.get("omega", 0.0) == pytest.approx(slow.info.get("omega", 0.0), rel=1e-9)  # from summed errors
    np.testing.assert_allclose(to_numpy(fast.x), to_numpy(slow.x), rtol=0, atol=1e-9 * float(np.max(to_numpy(slow.x))))
    hf, hs = fast.history, slow.history
    np.testing.assert_array_equal(hf["nit"], hs["nit"])
    np.testing.assert_allclose(hf["fun"], hs["fun"], rtol=rtol)
    # marginal errors agree to rounding relative to the error at the start (they fall by 1e8 and more)
    np.testing.assert_allclose(hf["marginal_error"], hs["marginal_error"], rtol=rtol,
                               atol=1e-9 * hs["marginal_error"][0])


@pytest.mark.parametrize("solver", ["cholesky", "cg"])
@pytest.mark.parametrize("name", list(INSTANCES))
def test_compiled_run_makes_the_step_paths_iterations(name, solver, monkeypatch):
    problem = INSTANCES[name]()
    assert kernels.ot_run_compiled(problem.C)
    fast = optkit.solve(problem, method="sns", tol=1e-9, linear_solver=solver)
    _stepwise(monkeypatch)
    slow = optkit.solve(problem, method="sns", tol=1e-9, linear_solver=solver)
    assert fast.success
    _same_run(fast, slow, RTOL.get(name, 1e-7))
    assert problem.measures(fast.x, dual=fast.dual)["optimality"] == fast.optimality


@pytest.mark.parametrize("options", [dict(sinkhorn_iters=0), dict(check_every=4, max_iter=23),
                                     dict(switch_tol=0.5, sinkhorn_iters=40), dict(tol=1e-12)])
def test_compiled_run_follows_the_options(options, monkeypatch):
    problem = _clouds(25, 35, 3e-3, 4)
    fast = optkit.solve(problem, method="sns", **options)
    _stepwise(monkeypatch)
    _same_run(fast, optkit.solve(problem, method="sns", **options))


def test_compiled_run_from_a_warm_start_and_under_a_callback(monkeypatch):
    problem = _digits("cityblock")
    x0 = optkit.solve(problem, method="sns", tol=1e-2).dual  # exact Newton steps: 5 more iterations to 1e-12
    seen = {"fast": [], "slow": []}

    def watch(key):
        def callback(info):
            seen[key].append((info.nit, info.marginal_error))
            return info.nit >= 3
        return callback

    fast = optkit.solve(problem, method="sns", x0=x0, tol=1e-12, callback=watch("fast"))
    _stepwise(monkeypatch)
    slow = optkit.solve(problem, method="sns", x0=x0, tol=1e-12, callback=watch("slow"))
    assert fast.status is Status.CALLBACK_STOP and fast.nit == 3
    _same_run(fast, slow)
    np.testing.assert_allclose(np.array(seen["fast"]), np.array(seen["slow"]), rtol=1e-7)


@pytest.mark.parametrize("name,options", [
    ("clouds-reg1e-2", {}), ("clouds-reg1e-2", dict(relaxation=False, check_every=1)),
    ("digits-l2", dict(max_iter=3000, check_every=7)),  # reg 1e-3: absorptions, relaxation dropped or not
    ("clouds-continuation", dict(max_iter=400)),  # reg 1e-4: log-domain half-steps
])
def test_compiled_sinkhorn_makes_the_step_paths_iterations(name, options, monkeypatch):
    problem = INSTANCES[name]()
    fast = optkit.solve(problem, method="sinkhorn", tol=1e-9, **options)
    _stepwise(monkeypatch)
    slow = optkit.solve(problem, method="sinkhorn", tol=1e-9, **options)
    _same_run(fast, slow, RTOL.get(name, 1e-7))
    assert fast.info["domain"] == "kernel"
    if name == "clouds-continuation":
        assert fast.info["log_steps"] > 0 and fast.info["absorptions"] > 0


@pytest.mark.parametrize("method,options", [("sns", {}), ("sns", {"linear_solver": "cg"}), ("sinkhorn", {})])
def test_the_certifying_call_returns_the_plan_finalize_would_form(method, options, monkeypatch):
    """The compiled call that certifies forms and measures the returned plan itself: the same plan and certificate,
    bit for bit, as ``finalize`` forms from the potentials of the check (the kernels of the step path)."""
    problem = _clouds(30, 30, 1e-2, 3)
    res = optkit.solve(problem, method=method, tol=1e-9, **options)
    assert res.success and res.info["compiled"]
    formed = []
    finalize = sinkhorn_module._OTSolver.finalize

    def without_the_call(self, check):  # finalize on the same check, without the plan the call made
        formed.append(check.x.plan is not None)
        return finalize(self, dataclasses.replace(check, x=check.x._replace(plan=None)))

    monkeypatch.setattr(sinkhorn_module._OTSolver, "finalize", without_the_call)
    again = optkit.solve(problem, method=method, tol=1e-9, **options)
    assert formed == [True]
    np.testing.assert_array_equal(res.x, again.x)
    assert (res.fun, res.optimality, dict(res.measures)) == (again.fun, again.optimality, dict(again.measures))
    own = problem.measures(res.x, dual=res.dual)
    assert (own["fun"], own["optimality"]) == (res.fun, res.optimality)


def test_sinkhorn_steps_beyond_its_compiled_size():
    problem = _clouds(150, 150, 1e-1, 7)  # 22500 entries: BLAS products beat the compiled loops for Sinkhorn
    assert not optkit.solve(problem, method="sinkhorn", tol=1e-8).info["compiled"]
    assert optkit.solve(problem, method="sns", tol=1e-8).info["compiled"]


def test_one_iteration_per_call_gives_the_same_run(monkeypatch):
    problem = _clouds(30, 30, 1e-3, 5)
    whole = optkit.solve(problem, method="sns", tol=1e-10)
    monkeypatch.setattr(sinkhorn_module, "_CHUNK_WORK", 1)  # every call of the kernel makes one iteration
    calls = []
    run = sns_module.ot_sns_run
    monkeypatch.setattr(sns_module, "ot_sns_run", lambda *args: calls.append(1) or run(*args))
    single = optkit.solve(problem, method="sns", tol=1e-10)
    assert len(calls) == single.nit == whole.nit
    np.testing.assert_array_equal(single.x, whole.x)  # the same iterates, exactly
    # every iterate is now the last of its call, measured by the problem (NumPy's pairwise sums)
    np.testing.assert_allclose(single.history["marginal_error"], whole.history["marginal_error"], rtol=1e-12)


def test_the_twins_step_path_makes_the_same_run():
    """The compiled run on NumPy against the solver's step path over the kernels' array-API twins."""
    problem = _clouds(20, 16, 2e-3, 6)
    fast = optkit.solve(problem, method="sns", tol=1e-10)
    twin = optkit.solve(problem.to(namespace_by_name("array_api_strict")), method="sns", tol=1e-10)
    assert fast.info["compiled"] and not twin.info["compiled"]
    assert fast.success and twin.success and fast.nit == twin.nit
    assert fast.info["newton_iterations"] == twin.info["newton_iterations"]
    np.testing.assert_allclose(to_numpy(twin.x), fast.x, rtol=0, atol=1e-10 * float(fast.x.max()))


def test_only_small_float64_numpy_costs_run_compiled():
    C = np.random.default_rng(0).random((20, 20))
    assert kernels.ot_run_compiled(C)
    assert not kernels.ot_run_compiled(C.astype(np.float32))
    assert not kernels.ot_run_compiled(namespace_by_name("array_api_strict").asarray(C))
    assert not kernels.ot_run_compiled(np.zeros((1, kernels.OT_RUN_MAX_SIZE + 1)))
    assert not kernels.ot_run_compiled(np.zeros((1, kernels.SINKHORN_RUN_MAX_SIZE + 1)), kernels.SINKHORN_RUN_MAX_SIZE)
    with pytest.raises(ValueError, match="NumPy float64"):
        kernels.ot_sns_run(C.astype(np.float32), *([None] * 7), 1)
