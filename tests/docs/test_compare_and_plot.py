"""optkit.compare and the convergence plots (Result.plot, Comparison.plot)."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import optkit
from optkit.datasets import lasso_instance
from optkit.problems import Lasso


@pytest.fixture(scope="module")
def lasso():
    return Lasso(**lasso_instance(30, 60, seed=3))


def test_compare_runs_every_applicable_method(lasso):
    table = optkit.compare(lasso, tol=1e-8)
    assert list(table.results) == optkit.methods(lasso)
    assert all(r.success for r in table.results.values())
    assert [row.method for row in table.rows] == list(table.results)
    assert table.best_objective == min(r.fun for r in table.results.values())
    text = repr(table)
    assert text.splitlines()[0] == f"Lasso: {len(table)} methods"
    for name in table.results:
        assert f"\n{name} " in text


def test_compare_named_methods_and_per_method_options(lasso):
    table = optkit.compare(lasso, ["falm", "fista"], per_method={"fista": {"restart": False}}, max_iter=50)
    assert list(table.results) == ["falm", "fista"]
    assert table["falm"].method == "fast_alm"
    assert table["fista"].info["restarts"] == 0
    with pytest.raises(ValueError, match="not compared"):
        optkit.compare(lasso, ["alm"], per_method={"fista": {}})
    with pytest.raises(TypeError, match="unknown option"):
        optkit.compare(lasso, ["alm", "fista"], restart=False)   # an option ALM does not have
    with pytest.raises(ValueError, match="does not apply|unknown method"):
        optkit.compare(lasso, ["sinkhorn"])


def test_compare_warmup_keeps_the_second_run(lasso):
    table = optkit.compare(lasso, ["alm"], warmup=True, tol=1e-8)
    assert table["alm"].success


def test_best_objective_without_success_is_nan(lasso):
    # not working_set: on 30 x 60 its first outer iteration (coordinate descent on 50 features)
    # already certifies a relative gap near rounding, 1e-14 included
    table = optkit.compare(lasso, ["alm", "fast_alm", "fista"], max_iter=1, tol=1e-14)
    assert not any(r.success for r in table.results.values())
    assert math.isnan(table.best_objective)


def test_result_plot_draws_the_history(lasso):
    pytest.importorskip("matplotlib")
    res = optkit.solve(lasso, tol=1e-8)
    axes = res.plot()
    assert axes.shape == (2, 2)
    (opt_it,), (fun_t,) = axes[0, 0].get_lines(), axes[1, 1].get_lines()
    np.testing.assert_array_equal(opt_it.get_xdata(), res.history["nit"])
    np.testing.assert_array_equal(opt_it.get_ydata(), res.history["optimality"])
    np.testing.assert_array_equal(fun_t.get_xdata(), res.history["time"])
    np.testing.assert_array_equal(fun_t.get_ydata(), res.history["fun"])
    assert axes[0, 0].get_yscale() == "log" and axes[1, 0].get_yscale() == "linear"
    assert res.plot(axes=axes, label="again") is axes            # overlay
    assert len(axes[0, 0].get_lines()) == 2


def test_result_plot_measures_and_reference(lasso):
    pytest.importorskip("matplotlib")
    res = optkit.solve(lasso, tol=1e-8)
    axes = res.plot(measures=True, reference=res.fun)
    assert [line.get_label() for line in axes[0, 0].get_lines()] == [res.method, f"{res.method}: gap"]
    assert axes[1, 0].get_yscale() == "log"
    rel = axes[1, 0].get_lines()[0].get_ydata()
    assert np.isnan(rel[-1]) and np.all(rel[~np.isnan(rel)] > 0)   # f - f_ref = 0 is a gap on a log axis
    with pytest.raises(ValueError, match="2 x 2"):
        res.plot(axes=axes[0])


def test_plot_skips_non_finite_points(lasso):
    pytest.importorskip("matplotlib")
    res = optkit.solve(lasso, tol=1e-8)
    history = dict(res.history)
    history["optimality"] = np.where(np.arange(history["optimality"].size) == 0, np.inf, history["optimality"])
    axes = dataclasses.replace(res, history=history).plot()
    assert np.isnan(axes[0, 0].get_lines()[0].get_ydata()[0])


def test_comparison_plot_one_curve_per_method(lasso):
    pytest.importorskip("matplotlib")
    table = optkit.compare(lasso, tol=1e-8)
    axes = table.plot()
    assert [line.get_label() for line in axes[0, 0].get_lines()] == list(table.results)
    assert axes[1, 0].get_yscale() == "log"                         # relative to the best objective
    assert table.plot(relative=False)[1, 0].get_yscale() == "linear"
