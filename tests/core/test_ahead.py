"""The run loop's bulk path: iterations a solver made ahead (``Solver.ahead``) are taken under the same
rules as one step at a time (``check_every``, ``max_iter``, ``tol``, the stall rule, the best iterate, a
non-finite iterate), with the same Result and history."""
from __future__ import annotations

import math

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.datasets import lasso_instance
from optkit.problems import Lasso
from optkit.solvers.base import Ahead, Check, Solver

CHUNK = 4  # the scripted solver "makes" its iterations four at a time, as a compiled kernel would


def _scripted(optimality):
    """A method whose k-th iterate reports ``optimality[k]`` (and ``fun = 1 + optimality``)."""
    values = [float(v) for v in optimality]

    class Scripted(Solver):
        problem_types = (Lasso,)
        steps = 0

        def init(self, x0):
            return 0

        def step(self, k, measure):
            type(self).steps += 1
            return k + 1

        def check(self, k):
            o = values[min(k, len(values) - 1)]
            return Check(x=np.full(3, float(k)), fun=1.0 + o, optimality=o, measures={"m": 2.0 * o})

        def ahead(self, k):
            end = min((k // CHUNK + 1) * CHUNK, len(values) - 1)  # the rest of the chunk holding iteration k + 1
            rows = [self.check(j) for j in range(k + 1, end + 1)]
            if not rows:
                return None
            return Ahead([c.fun for c in rows], [c.optimality for c in rows], {"m": [c.measures["m"] for c in rows]},
                         lambda i: (k + 1 + i, self.check(k + 1 + i)))

        def info(self, k):
            return {"last": k}

    return Scripted


DECREASING = [0.9 ** k for k in range(60)]
BUMPY = [1.0, 0.5, 0.8, 0.3, 0.6, 0.7, 0.9, 0.4, 0.95, 0.2, 0.5] + [0.5] * 40
NAN_AFTER_BEST = [1.0, 0.4, 0.1, 0.6, 0.7, math.nan, 0.01, 0.001]


@pytest.mark.parametrize("values,options,status", [
    (DECREASING, dict(tol=1e-2), Status.OPTIMAL),
    (DECREASING, dict(tol=1e-2, check_every=3), Status.OPTIMAL),
    (DECREASING, dict(tol=1e-9, check_every=3, max_iter=10), Status.MAX_ITER),
    (DECREASING, dict(tol=1e-9, max_iter=7), Status.MAX_ITER),
    (BUMPY, dict(tol=1e-3, stall_checks=5), Status.STALLED),
    (BUMPY, dict(tol=1e-3, stall_checks=3, ftol=1e-3), Status.STALLED),
    (NAN_AFTER_BEST, dict(tol=1e-6), Status.NUMERICAL_ERROR),
])
def test_bulk_and_stepwise_runs_agree(values, options, status):
    lasso = Lasso(**lasso_instance(10, 20, seed=0))
    method = _scripted(values)
    bulk = optkit.solve(lasso, method=method, **options)
    bulk_steps, method.steps = method.steps, 0
    seen = []
    stepwise = optkit.solve(lasso, method=method, callback=lambda info: seen.append(info.nit), **options)
    assert bulk.status is stepwise.status is status
    assert bulk.nit == stepwise.nit and bulk.info == stepwise.info
    assert bulk.fun == stepwise.fun and bulk.optimality == stepwise.optimality and bulk.m == stepwise.m
    np.testing.assert_array_equal(bulk.x, stepwise.x)
    assert set(bulk.history) == set(stepwise.history)
    for key in ("nit", "fun", "optimality", "m"):
        np.testing.assert_array_equal(bulk.history[key], stepwise.history[key])
    assert bulk_steps < method.steps  # the bulk run did take rows ahead instead of stepping
    if status is Status.NUMERICAL_ERROR:  # the best finite iterate is returned, not the last
        assert bulk.optimality == 0.1 and bulk.x[0] == 2.0


def test_a_terminate_rule_or_a_verbose_table_steps_one_at_a_time(capsys):
    lasso = Lasso(**lasso_instance(10, 20, seed=0))
    method = _scripted(DECREASING)
    optkit.solve(lasso, method=method, tol=1e-2, verbose=True)
    assert method.steps == 44 and "OPTIMAL" in capsys.readouterr().out

    class WithRule(method):
        steps = 0

        def terminate(self, state, check):
            return None

    assert optkit.solve(lasso, method=WithRule, tol=1e-2).nit == WithRule.steps == 44
