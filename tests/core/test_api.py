"""The public API: solve, Result, Status, methods, show_options, validate, guards."""
from __future__ import annotations

import inspect
import math
import re

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.datasets import lasso_instance, sics_instance
from optkit.functions import Function, L1Norm, SquaredLoss
from optkit.problems import Composite, Lasso, SparseInverseCovariance


@pytest.fixture
def lasso():
    A, b, lam = lasso_instance(30, 60, seed=1).values()
    return Lasso(A, b, lam=lam)


def test_default_method_and_methods_listing(lasso):
    res = optkit.solve(lasso)
    assert res.method == lasso.default_method and res.success
    names = optkit.methods(lasso)
    assert names[0] == lasso.default_method and {"alm", "fast_alm", "fista"} <= set(names)


def test_unknown_method_lists_valid_ones(lasso):
    with pytest.raises(ValueError, match="valid methods: .*fast_alm"):
        optkit.solve(lasso, method="newton_magic")
    with pytest.raises(TypeError, match="method must be"):
        optkit.solve(lasso, method=3)


def test_aliases_resolve(lasso):
    assert optkit.solve(lasso, method="falm").method == "fast_alm"


def test_show_options_reads_the_dataclass(capsys):
    text = optkit.show_options("fast_alm")
    assert "skipping = True" in text and "tol = 1e-06" in text and "mu_factor" in text
    assert "skipping" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [dict(tol=-1.0), dict(tol=float("nan")), dict(max_iter=-2), dict(check_every=0),
                                 dict(mu=-1.0), dict(mu_factor=0.5)])
def test_bad_options_raise(lasso, bad):
    with pytest.raises(ValueError):
        optkit.solve(lasso, method="alm", **bad)


def test_result_repr_and_to_numpy(lasso):
    res = optkit.solve(lasso, backend="array_api_strict")
    assert res.backend == "array_api_strict"
    text = repr(res)
    assert "success: True" in text and "gap:" in text
    host = res.to_numpy()
    assert isinstance(host.x, np.ndarray) and host.fun == res.fun
    assert set(res.history) >= {"nit", "time", "fun", "optimality", "gap"}
    assert np.all(np.diff(res.history["nit"]) > 0)


def test_verbose_prints_a_table(lasso, capsys):
    optkit.solve(lasso, method="fast_alm", verbose=True, max_iter=10)
    out = capsys.readouterr().out
    assert "iter" in out and "objective" in out and "gap" in out and len(out.splitlines()) >= 4


def test_validate_report(lasso):
    res = optkit.solve(lasso, tol=1e-9)
    rep = optkit.validate(lasso, res)
    assert rep.reference_solver == "CLARABEL" and rep.reference_status == "optimal"
    assert rep.objective_gap <= 1e-7 and rep.solution_distance <= 1e-4


def test_status_messages():
    for s in Status:
        assert isinstance(s.message, str) and len(s.message) > 10
    assert Status.OPTIMAL.success and not Status.MAX_ITER.success


class _Exploding(Function):
    """A smooth term whose gradient turns NaN after a few calls: drives the NaN guard."""

    smooth = True

    def __init__(self):
        self.calls = 0

    def arrays(self):
        return {}

    @property
    def lipschitz(self):
        return 1.0

    def value(self, x):
        return 0.5 * float(x @ x)

    def grad(self, x):
        self.calls += 1
        return x * (np.nan if self.calls > 1 else 1.0)

    def prox(self, v, step):
        return v / (1 + step)


def test_non_finite_iterate_is_reported_not_hidden():
    prob = Composite(_Exploding(), L1Norm(0.1), (3,), x0=np.ones(3))
    res = optkit.solve(prob, method="fista", check_every=1, max_iter=50, tol=1e-14)
    assert res.status is Status.NUMERICAL_ERROR and not res.success
    assert math.isfinite(res.fun) and np.all(np.isfinite(res.x))


def test_keyboard_interrupt_returns_best_iterate(lasso):
    def interrupt(info):
        if info.nit >= 10:
            raise KeyboardInterrupt

    res = optkit.solve(lasso, method="fista", callback=interrupt, check_every=1, tol=1e-14)
    assert res.status is Status.INTERRUPTED and not res.success and res.nit >= 10
    assert math.isfinite(res.fun)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(A=np.ones((3, 4)), b=np.ones(4), lam=1.0), ValueError, "b must have length"),
    (dict(A=np.ones((3, 4)), b=np.ones(3), lam=-1.0), ValueError, "lam"),
    (dict(A=np.ones((3, 4)), b=np.array([1.0, np.inf, 0.0]), lam=1.0), ValueError, "b contains NaN"),
    (dict(A="matrix", b=np.ones(3), lam=1.0), TypeError, "A must be an array"),
    (dict(A=np.ones((3, 4)), b=np.ones(3), lam="big"), TypeError, "lam"),
])
def test_lasso_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Lasso(**kwargs)


@pytest.mark.parametrize("S,lam,match", [
    (np.array([[1.0, 2.0], [0.0, 1.0]]), 0.1, "symmetric"),
    (np.ones((2, 3)), 0.1, "square"),
    (np.array([[1.0, 0.0], [0.0, 0.0]]), 0.1, "positive diagonal"),
    (np.eye(2), -0.1, "lam"),
    (np.array([[np.nan, 0.0], [0.0, 1.0]]), 0.1, "NaN"),
])
def test_sics_bad_input(S, lam, match):
    with pytest.raises(ValueError, match=match):
        SparseInverseCovariance(S, lam=lam)


# a regularisation weight, by the names the problems use (lam0, a multiplier's start, is not one)
WEIGHT = re.compile(r"^(lam|lam_\w+|lam[12]|reg|l2|alpha|delta|tau_\w+)$")


def _constructors():
    for name in optkit.problems.__all__:
        cls = getattr(optkit.problems, name)
        if isinstance(cls, type) and issubclass(cls, optkit.problems.Problem) and not inspect.isabstract(cls):
            yield name, cls
            for attr, member in vars(cls).items():
                if attr.startswith("from_") and isinstance(member, classmethod):
                    yield f"{name}.{attr}", getattr(cls, attr)


@pytest.mark.parametrize("name,make", list(_constructors()), ids=lambda v: v if isinstance(v, str) else "")
def test_weights_are_keyword_only_and_named_when_given_by_position(name, make):
    params = inspect.signature(make).parameters.values()
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert not [n for n in positional if WEIGHT.match(n)], f"{name}: weights must be keyword-only"
    keywords = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    if keywords:  # one value too many by position names the first keyword-only parameter
        with pytest.raises(TypeError, match=f"{keywords[0]} is keyword-only; write {re.escape(name)}\\("):
            make(*([None] * (len(positional) + 1)))


def test_composite_bad_input():
    f = SquaredLoss(np.ones((2, 2)), np.ones(2))
    with pytest.raises(TypeError, match="g must be"):
        Composite(f, "l1", (2,))
    with pytest.raises(ValueError, match="f must be smooth"):
        Composite(L1Norm(1.0), L1Norm(1.0), (2,), x0=np.zeros(2))
    with pytest.raises(ValueError, match="shape"):
        Composite(f, L1Norm(1.0), (0,))
    with pytest.raises(ValueError, match="x0 must have shape"):
        Composite(f, L1Norm(1.0), (2,), x0=np.zeros(3))


def test_x0_warm_start_at_the_solution_stops_at_once(lasso):
    res = optkit.solve(lasso, method="fista", tol=1e-10)
    again = optkit.solve(lasso, method="fista", x0=res.x, tol=1e-9)
    assert again.success and again.nit == 0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sics_matches_scikit_learn():
    sklearn = pytest.importorskip("sklearn.covariance")
    S, lam = sics_instance(20, seed=5, lam=0.1).values()
    res = optkit.solve(SparseInverseCovariance(S, lam=lam), tol=1e-9)
    _, prec = sklearn.graphical_lasso(S, alpha=lam, tol=1e-10, max_iter=2000)
    prob = SparseInverseCovariance(S, lam=lam)
    # scikit-learn stops short of tol here (ConvergenceWarning); optkit must be at least as good
    assert res.fun <= prob.objective(prec) + 1e-9
    assert np.linalg.norm(res.x - prec) <= 1e-3 * np.linalg.norm(prec)


def test_lasso_matches_scikit_learn():
    linear_model = pytest.importorskip("sklearn.linear_model")
    A, b, lam = lasso_instance(50, 120, seed=9).values()
    res = optkit.solve(Lasso(A, b, lam=lam), tol=1e-10)
    model = linear_model.Lasso(alpha=lam / 50, fit_intercept=False, tol=1e-12, max_iter=100000).fit(A, b)
    np.testing.assert_allclose(res.x, model.coef_, atol=1e-6)


@pytest.mark.parametrize("method,options,name", [
    ("alm", {"mu_factor": 0.5}, "mu_factor"),
    ("fista", {"backtrack": 1.0}, "backtrack"),
    ("fista", {"step_size": float("nan")}, "step_size"),
    ("alm", {"skip_probe": True}, "skip_probe"),
])
def test_declared_option_domains_are_enforced(method, options, name):
    """Options declared with ``option(..., domain=...)`` reject values outside it, naming the option."""
    problem = Lasso(**lasso_instance(10, 20, seed=0))
    with pytest.raises(ValueError, match=name):
        optkit.solve(problem, method=method, **options)
