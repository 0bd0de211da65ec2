"""Entropic optimal transport: problem checks, Sinkhorn and SNS against CVXPY, POT and regot."""
from __future__ import annotations

import math

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.backend import namespace_by_name, to_numpy
from optkit.datasets.transport import digits_pair, uniform_clouds
from optkit.problems import EntropicOT
from optkit.solvers.base import ToleranceWarning
from optkit.validate import reference_solve

from ..conftest import BACKENDS

# the conformance suite runs the methods with their default options; these variants it does not see
VARIANTS = [("sinkhorn", {"domain": "log"}), ("sinkhorn", {"relaxation": False})]
VARIANT_IDS = ["sinkhorn-log", "sinkhorn-plain"]


def _clouds(n, m, reg, seed=0, weighted=True):
    rng = np.random.default_rng(seed)
    X, Y = rng.random((n, 2)), rng.random((m, 2)) + 0.1
    if not weighted:
        return EntropicOT.from_point_clouds(X, Y, reg=reg)
    a, b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, m)
    return EntropicOT.from_point_clouds(X, Y, reg=reg, a=a / a.sum(), b=b / b.sum())


def _in(problem, xp):
    return problem.to(xp)


# -- problem --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    (dict(a=[0.5, -0.1, 0.6]), "a must be positive"),
    (dict(a=[0.5, np.nan, 0.5]), "a must be finite"),
    (dict(b=[0.5, 0.6]), "same total mass"),
    (dict(b=[1.0]), r"b must have shape \(2,\)"),
    (dict(C=np.ones((3, 2, 1))), "C must be 2-dimensional"),
    (dict(C=np.ones((0, 2))), "C must be a non-empty 2-d"),
    (dict(C=np.array([[0.0, np.inf], [1, 1], [1, 1]])), "C contains NaN or infinite"),
    (dict(reg=0.0), "reg must be positive"),
    (dict(reg=-1e-3), "reg must be positive"),
    (dict(reg=math.inf), "reg must be finite"),
])
def test_bad_input_raises_naming_the_argument(kwargs, match):
    args = dict(a=np.array([0.2, 0.3, 0.5]), b=np.array([0.4, 0.6]), C=np.arange(6.0).reshape(3, 2), reg=0.1)
    args.update({k: np.asarray(v) if isinstance(v, list) else v for k, v in kwargs.items()})
    with pytest.raises(ValueError, match=match):
        EntropicOT(**args)


@pytest.mark.parametrize("kwargs,match", [
    (dict(C=np.ones((3, 2), dtype=complex)), "C must have a real floating dtype"),
    (dict(C=np.full((3, 2), "x")), "C must have a real floating dtype"),
    (dict(C="cost"), "C must be an array"),
    (dict(reg="0.1"), "reg must be a real number"),
    # weights are checked before the cast to C's dtype, which would drop an imaginary part with a warning
    (dict(a=np.full(3, 1 / 3) + 1j), "a must have a real floating dtype"),
    (dict(b=[0.5, "x"]), "b must have a real floating dtype"),
    (dict(b=np.array([0.5, 0.5], dtype=object)), "b must have a real floating dtype"),
])
def test_wrong_types_raise_naming_the_argument(kwargs, match):
    args = dict(a=None, b=None, C=np.arange(6.0).reshape(3, 2), reg=0.1)
    args.update(kwargs)
    with pytest.raises(TypeError, match=match):
        EntropicOT(**args)


def test_numpy_scalar_reg_and_integer_cost_are_accepted():
    p = EntropicOT(None, None, np.arange(6).reshape(3, 2), reg=np.float32(0.5))
    assert p.reg == pytest.approx(0.5) and type(p.reg) is float and p.C.dtype == np.float64


def test_constructors_and_uniform_weights():
    rng = np.random.default_rng(1)
    X, Y = rng.random((7, 3)), rng.random((5, 3))
    p = EntropicOT.from_point_clouds(X, Y, reg=0.1, metric="sqeuclidean")
    D = ((X[:, None] - Y[None]) ** 2).sum(-1)
    np.testing.assert_allclose(p.C, D / D.max(), rtol=1e-12)
    np.testing.assert_allclose(p.a, np.full(7, 1 / 7))
    q = EntropicOT.from_point_clouds(X, Y, reg=0.1, metric="cityblock", normalize=False)
    np.testing.assert_allclose(q.C, np.abs(X[:, None] - Y[None]).sum(-1), rtol=1e-12)
    with pytest.raises(ValueError, match="metric"):
        EntropicOT.from_point_clouds(X, Y, reg=0.1, metric="cosine")
    with pytest.raises(ValueError, match="same dimension"):
        EntropicOT.from_point_clouds(X, Y[:, :2], reg=0.1)


def test_histograms_drop_empty_pixels_and_use_grid_costs():
    A = np.zeros((3, 3))
    A[0, 0], A[2, 2] = 1.0, 3.0
    B = np.zeros((3, 3))
    B[1, 1] = 2.0
    p = EntropicOT.from_histograms(A, B, reg=0.1, metric="cityblock")
    np.testing.assert_allclose(p.a, [0.25, 0.75])
    np.testing.assert_allclose(p.b, [1.0])
    np.testing.assert_allclose(p.C, [[0.5], [0.5]])  # |1-0| + |1-0| over the grid diameter 4
    with pytest.raises(ValueError, match="non-negative"):
        EntropicOT.from_histograms(-A, B, reg=0.1)


def test_digits_pair_is_real_data():
    A, B = digits_pair(0, 1)
    assert A.shape == B.shape == (8, 8) and A.sum() > 0 and B.sum() > 0
    p = EntropicOT.from_histograms(A, B, reg=0.01, metric="sqeuclidean")
    assert p.shape == (int((A > 0).sum()), int((B > 0).sum()))


def test_x0_is_a_pair_of_potentials():
    problem = _clouds(4, 3, 0.1)
    f, g = problem.check_x0([np.ones(4), [0.0, 1.0, 2.0]])
    assert f.dtype == g.dtype == np.float64 and tuple(g) == (0.0, 1.0, 2.0)
    with pytest.raises(TypeError, match="x0 must be a pair of potentials"):
        problem.check_x0(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"x0.1 must have shape \(3,\)"):
        problem.check_x0((np.zeros(4), np.zeros(4)))
    with pytest.raises(ValueError, match="x0.0 contains NaN"):
        problem.check_x0((np.full(4, np.nan), np.zeros(3)))


def test_measures_from_potentials_match_the_formed_plan():
    problem = _clouds(9, 7, 0.05, seed=2)
    rng = np.random.default_rng(0)
    f, g = 0.01 * rng.standard_normal(9), 0.01 * rng.standard_normal(7)
    P = problem.plan(f, g)
    own = problem.measures(P)
    for pieces in ({"x": (f, g)}, {"x": P, "dual": (f, g)}, {"x": (f, g), "rows": P.sum(1), "cols": P.sum(0)}):
        got = problem.measures(**pieces)
        assert got["fun"] == pytest.approx(own["fun"], rel=1e-12)
        assert got["marginal_error"] == pytest.approx(own["marginal_error"], rel=1e-12)
        assert got["optimality"] == pytest.approx(own["marginal_error"] / problem.mass, rel=1e-12)
    other = problem.measures((f, g), reg=0.1)  # potentials of another problem: no certificate for this one
    assert other["optimality"] == math.inf and math.isfinite(other["marginal_error"])


def test_default_method_follows_reg():
    assert _clouds(20, 20, 1e-1).default_method == "sinkhorn"
    assert _clouds(20, 20, 1e-3).default_method == "sns"
    assert optkit.methods(_clouds(5, 5, 1e-3))[0] == "sns"


def test_small_numpy_problems_switch_to_sns_at_a_larger_reg():
    from optkit.problems.transport import SNS_BELOW, SNS_SMALL_BELOW, SNS_SMALL_SIZE

    reg = 0.5 * (SNS_BELOW + SNS_SMALL_BELOW)  # between the two switch points (relative to a unit spread)
    small = EntropicOT(None, None, np.linspace(0.0, 1.0, 900).reshape(30, 30), reg=reg)
    assert small.default_method == "sns"
    n = int(np.sqrt(SNS_SMALL_SIZE)) + 1  # beyond the compiled sizes: the rule of large problems
    assert EntropicOT(None, None, np.linspace(0.0, 1.0, n * n).reshape(n, n), reg=reg).default_method == "sinkhorn"
    assert small.astype(np.float32).default_method == "sinkhorn"
    assert small.to(namespace_by_name("array_api_strict")).default_method == "sinkhorn"


# -- against CVXPY, POT and regot --------------------------------------------------------------------------------

def _against_cvxpy(method, options, backend):
    """The plan within 1e-6 of CVXPY's, the objective within 1e-7, and no duality gap at the potentials."""
    problem = _clouds(14, 11, 0.05, seed=3)
    P_ref, _, status, _ = reference_solve(problem)
    assert status == "optimal"
    f_ref = problem.objective(np.clip(P_ref, 0, None))
    res = optkit.solve(_in(problem, namespace_by_name(backend)), method=method, tol=1e-10, **options)
    assert res.success, res
    assert res.marginal_error <= 1e-9 and res.optimality <= 1e-10
    assert abs(res.fun - f_ref) <= 1e-7 * abs(f_ref)
    P = to_numpy(res.x)
    assert np.abs(P - P_ref).max() <= 1e-6
    f, g = (to_numpy(v) for v in res.dual)
    assert problem.dual_objective(f, g) == pytest.approx(res.fun, rel=1e-9)


@pytest.mark.parametrize("method", ["sinkhorn", "sns"])
def test_plan_and_potentials_match_cvxpy(method):
    _against_cvxpy(method, {}, "numpy")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method,options", VARIANTS, ids=VARIANT_IDS)
def test_variants_match_cvxpy(method, options, backend):
    _against_cvxpy(method, options, backend)


@pytest.mark.parametrize("reg", [1e-1, 1e-2])
@pytest.mark.parametrize("method", ["sinkhorn", "sns"])
def test_transport_cost_matches_pot_and_regot(method, reg):
    ot = pytest.importorskip("ot")
    regot = pytest.importorskip("regot")
    problem = _clouds(40, 30, reg, seed=4)
    a, b, C = problem.a, problem.b, problem.C
    res = optkit.solve(problem, method=method, tol=1e-11)
    assert res.success
    cost = problem.transport_cost(res.x)
    P_pot = ot.sinkhorn(a, b, C, reg, method="sinkhorn_log", numItermax=100000, stopThr=1e-13)
    assert abs(cost - float(np.sum(C * P_pot))) <= 1e-7 * cost
    P_regot = regot.sinkhorn_ssns(np.asfortranarray(C), a, b, reg, tol=1e-12, max_iter=1000).plan
    assert abs(cost - float(np.sum(C * P_regot))) <= 1e-7 * cost


@pytest.mark.parametrize("method", ["sinkhorn", "sns"])
def test_digits_l1_cost_matches_pot(method):
    ot = pytest.importorskip("ot")
    problem = EntropicOT.from_histograms(*digits_pair(3, 8), reg=0.01, metric="cityblock")
    res = optkit.solve(problem, method=method, tol=1e-10)
    assert res.success and res.marginal_error <= 1e-9
    P_pot = ot.sinkhorn(problem.a, problem.b, problem.C, 0.01, method="sinkhorn_log", numItermax=100000,
                        stopThr=1e-13)
    cost = problem.transport_cost(res.x)
    assert abs(cost - float(np.sum(problem.C * P_pot))) <= 1e-7 * cost


# -- small reg, failures ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_sns_at_reg_1e4_is_finite_and_converges(backend):
    problem = _in(_clouds(60, 50, 1e-4, seed=5), namespace_by_name(backend))
    res = optkit.solve(problem, method="sns", tol=1e-10)
    assert res.success and res.marginal_error <= 1e-9, res
    xp = namespace_by_name(backend)
    assert bool(xp.all(xp.isfinite(res.x))) and math.isfinite(res.fun)
    np_problem = _clouds(60, 50, 1e-4, seed=5)
    assert np_problem.dual_objective(*(to_numpy(v) for v in res.dual)) == pytest.approx(res.fun, rel=1e-8)


@pytest.mark.parametrize("options", [{}, {"domain": "log"}], ids=["kernel", "log"])
def test_sinkhorn_at_reg_1e4_never_overflows(options):
    problem = _clouds(60, 50, 1e-4, seed=5)
    res = optkit.solve(problem, method="sinkhorn", tol=1e-10, max_iter=300, **options)
    # 300 iterations are far too few at reg = 1e-4 (the error is still ~0.2): the run must end at the
    # iteration limit with finite numbers, not overflow into NaN or a numerical-error stop
    assert res.status is Status.MAX_ITER and res.optimality > 1e-3
    assert np.all(np.isfinite(res.x)) and math.isfinite(res.fun) and math.isfinite(res.marginal_error)
    assert np.all(np.isfinite(res.history["optimality"]))
    if options == {}:
        assert res.info["absorptions"] + res.info["log_steps"] >= 1  # absorbed instead of overflowing


def test_float32_below_its_precision_stalls():
    problem = _clouds(30, 30, 1e-3, seed=6)
    # float32 cannot reach 1e-12: the run ends as STALLED, not as a silent success
    p32 = EntropicOT(*(np.asarray(v, dtype=np.float32) for v in (problem.a, problem.b, problem.C)), reg=0.05)
    with pytest.warns(ToleranceWarning, match="float32"):
        res32 = optkit.solve(p32, method="sinkhorn", tol=1e-12, max_iter=100000, stall_checks=5)
    assert res32.status is Status.STALLED and not res32.success
    assert res32.x.dtype == np.float32 and np.all(np.isfinite(res32.x))


def test_warm_start_across_methods():
    problem = _clouds(40, 40, 1e-2, seed=7)
    first = optkit.solve(problem, method="sinkhorn", tol=1e-10)
    again = optkit.solve(problem, method="sns", x0=first.dual, tol=1e-10)
    assert again.success and again.nit <= 2


def test_sns_stopped_during_continuation_returns_a_plan_without_certificate():
    problem = _clouds(60, 50, 1e-4, seed=5)
    res = optkit.solve(problem, method="sns", max_iter=4)  # the last intermediate level ends at iteration 6
    assert len(res.info["regs"]) > 1 and res.status is Status.MAX_ITER
    assert res.x.shape == (60, 50) and res.dual is None
    assert res.optimality == math.inf and math.isfinite(res.marginal_error)
    assert res.fun == pytest.approx(problem.objective(res.x), rel=1e-12)


def test_sns_uses_newton_and_sparse_hessian():
    problem = _clouds(200, 200, 1e-3, seed=8, weighted=False)
    res = optkit.solve(problem, method="sns", tol=1e-10)
    assert res.success and res.info["newton_iterations"] >= 1
    assert res.info["hessian_nnz"] < 0.5 * 200 * 200
    plain = optkit.solve(problem, method="sinkhorn", tol=1e-10, max_iter=100000)
    assert plain.success and res.nit < plain.nit
    assert res.fun == pytest.approx(plain.fun, rel=1e-8)


@pytest.mark.parametrize("method,name,value", [("sns", "sparsity", 0.0), ("sns", "switch_tol", 1.5),
                                               ("sns", "cg_max_iter", 0), ("sns", "sinkhorn_iters", -1),
                                               ("sinkhorn", "domain", "fft")])
def test_bad_option_values(method, name, value):
    with pytest.raises(ValueError, match=name):
        optkit.solve(_clouds(5, 5, 0.1), method=method, **{name: value})


def test_uniform_clouds_generator_is_seeded():
    X1, Y1 = uniform_clouds(10, seed=3)
    X2, Y2 = uniform_clouds(10, seed=3)
    np.testing.assert_array_equal(X1, X2)
    assert X1.shape == Y1.shape == (10, 2) and not np.array_equal(X1, Y1)


def test_a_point_cloud_problem_beyond_memory_is_refused_before_allocating():
    X = np.zeros((200_000, 2))
    with pytest.raises(MemoryError, match="GiB"):
        EntropicOT.from_point_clouds(X, X, reg=0.1)
