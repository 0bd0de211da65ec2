"""The core: Result and its measures, Options and their domains, the run loop's stall rule,
callbacks, the verbose table, the validation of starting points and Ctrl-C."""
from __future__ import annotations

import dataclasses
import pickle
import signal
import threading

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.datasets import lasso_instance
from optkit.problems import Lasso
from optkit.solvers.base import Check, Options, Solver, make_rng, option, run


@pytest.fixture
def lasso():
    return Lasso(**lasso_instance(30, 60, seed=1))


def test_measures_are_data_with_attribute_access(lasso):
    res = optkit.solve(lasso, tol=1e-8)
    assert set(res.measures) == {"gap"} and res.gap == res.measures["gap"]
    with pytest.raises(TypeError):
        res.measures["gap"] = 0.0  # read-only
    with pytest.raises(AttributeError, match="measures: \\['gap'\\]"):
        res.marginal_error
    again = pickle.loads(pickle.dumps(res))
    assert again.gap == res.gap and again.status is Status.OPTIMAL
    assert str(res.status) == "OPTIMAL" and "gap:" in repr(res)


@pytest.mark.parametrize("value", [np.float32(1e-6), np.float64(1e-7), 1e-6])
def test_numpy_scalars_are_numbers(lasso, value):
    res = optkit.solve(lasso, tol=value, max_iter=np.int64(500))
    assert isinstance(res.nit, int) and res.success


@pytest.mark.parametrize("bad", [dict(tol=True), dict(max_iter=2.5), dict(skipping="yes"), dict(check_every=0),
                                 dict(stall_checks=-1), dict(ftol=1e-3), dict(tol=float("inf"))])
def test_options_reject_wrong_types_and_values(lasso, bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        optkit.solve(lasso, method="fast_alm", **bad)


def test_built_options_are_checked_once_and_shared():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Opts(Options):
        flag: bool = option(False, "a flag")
        weights: object = option(None, "anything")

    first = Opts.build("m", tol=1e-8, flag=True)
    assert Opts.build("m", tol=1e-8, flag=True) is first and first.tol == 1e-8
    assert Opts.build("m", tol=np.float64(1e-8), flag=True).tol == 1e-8
    with pytest.raises(ValueError, match="flag"):  # 1 == True and hash(1) == hash(True): still refused
        Opts.build("m", tol=1e-8, flag=1)
    with pytest.raises(TypeError, match="unknown option"):
        Opts.build("m", tol=1e-8, flg=True)
    w = [1.0, 2.0]  # unhashable: built each time
    assert Opts.build("m", weights=w).weights is w and Opts.build("m", weights=w) is not Opts.build("m", weights=w)


def test_choice_and_seed_domains():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Opts(Options):
        mode: str = option("a", "a choice", domain={"a", "b"})
        seed: object = option(None, "a seed", domain="seed")

    assert Opts(mode="b", seed=np.int64(3)).seed == 3
    gen = np.random.default_rng(1)
    assert Opts(seed=gen).seed is gen and make_rng(gen) is gen
    with pytest.raises(ValueError, match="mode must be one of \\['a', 'b'\\]"):
        Opts(mode="c")
    with pytest.raises(ValueError, match="seed"):
        Opts(seed=-1)
    a, b = make_rng(5).standard_normal(3), make_rng(5).standard_normal(3)
    np.testing.assert_array_equal(a, b)


def test_stall_rule_by_objective_change(lasso):
    res = optkit.solve(lasso, method="fista", tol=1e-300, max_iter=10000, check_every=1, ftol=1e-3,
                       stall_checks=3)
    assert res.status is Status.STALLED and res.nit < 10000
    f = res.history["fun"]
    assert np.all(np.abs(np.diff(f[-4:])) <= 1e-3 * np.abs(f[-4:-1]))


def test_stall_rule_by_optimality(lasso):
    res = optkit.solve(lasso, method="fista", tol=1e-300, max_iter=100000, check_every=1, stall_checks=20)
    assert res.status is Status.STALLED and not res.success


def test_a_raising_callback_returns_the_run_so_far(lasso):
    def boom(info):
        if info.nit >= 10:
            raise RuntimeError("boom")

    res = optkit.solve(lasso, method="fista", callback=boom, check_every=1, tol=1e-14)
    assert res.status is Status.CALLBACK_ERROR and not res.success and res.nit == 10
    assert isinstance(res.info["error"], RuntimeError) and np.all(np.isfinite(res.x))


def test_snapshots_do_not_alias_the_solver(lasso):
    def scribble(info):
        info.x[:] = 1e6

    res = optkit.solve(lasso, method="alm", callback=scribble, tol=1e-8)
    assert res.success and res.fun == pytest.approx(lasso.objective(res.x), rel=1e-12)


@pytest.mark.filterwarnings("ignore::optkit.solvers.base.ToleranceWarning")
def test_verbose_table_is_bounded(lasso, capsys):
    optkit.solve(lasso, method="fista", verbose=True, tol=1e-300, max_iter=3000, check_every=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) < 60 and lines[-1].startswith("status: MAX_ITER")


def test_x0_is_validated_once_by_the_problem(lasso):
    res = optkit.solve(lasso, method="alm", x0=[0.0] * 60, tol=1e-8)
    assert res.success
    with pytest.raises(ValueError, match="x0 must have shape \\(60,\\)"):
        optkit.solve(lasso, x0=np.zeros(3))
    with pytest.raises(ValueError, match="x0 contains NaN"):
        optkit.solve(lasso, x0=np.full(60, np.nan))
    with pytest.raises(TypeError, match="x0 must be an array"):
        optkit.solve(lasso, x0={"a": 1})


def test_show_options_takes_a_class(capsys):
    cls = optkit.solvers.FISTA
    assert optkit.show_options(cls) == optkit.show_options("fista")
    assert "stall_checks" in capsys.readouterr().out


class _Counting(Solver):
    """Counts the steps told that a check follows."""

    problem_types = (Lasso,)
    name = "counting"

    def init(self, x0):
        return (0, 0)

    def step(self, s, measure):
        return (s[0] + 1, s[1] + int(measure))

    def check(self, s):
        return Check(x=self.problem.initial_point(), fun=1.0, optimality=1.0, measures={"measured": float(s[1])})


def test_custom_solver_class_is_accepted(lasso):
    res = optkit.solve(lasso, method=_Counting, max_iter=2)
    assert res.method == "counting" and res.status is Status.MAX_ITER and res.nit == 2


@pytest.mark.parametrize("every,max_iter", [(1, 5), (3, 10), (4, 4)])
def test_step_is_told_when_a_check_follows(lasso, every, max_iter):
    res = run(_Counting(lasso, Options(max_iter=max_iter, check_every=every)), None, None, False)
    checks = [n for n in range(1, max_iter + 1) if n % every == 0 or n == max_iter]
    assert list(res.history["nit"][1:]) == checks
    assert list(res.history["measured"][1:]) == list(range(1, len(checks) + 1))


@dataclasses.dataclass(frozen=True)
class _RoundsToZero(optkit.problems.Problem):
    """A certificate that rounds to zero in float32 but not in float64 (as a gap can)."""

    c: object

    def initial_point(self):
        return self.xp.zeros_like(self.c)

    def objective(self, x):
        return 0.0

    def measures(self, x):
        return {"fun": 0.0, "optimality": 0.0 if x.dtype == self.xp.float32 else 1e-7}


class _Idle(Solver):
    problem_types = (_RoundsToZero,)
    name = "idle"

    def init(self, x0):
        return self.problem.initial_point()

    def step(self, x, measure):
        return x

    def check(self, x):
        return Check.of(x, self.problem.measures(x))


def test_float32_success_is_recertified_in_float64():
    p32 = _RoundsToZero(np.ones(3, dtype=np.float32))
    with pytest.warns(optkit.solvers.base.ToleranceWarning, match="float32"):
        res = run(_Idle(p32, Options(tol=1e-9)), None, None, False)
    assert res.status is Status.STALLED and res.optimality == 1e-7 and not res.success
    assert run(_Idle(p32, Options(tol=1e-5)), None, None, False).success
    p64 = _RoundsToZero(np.ones(3))
    assert run(_Idle(p64, Options(tol=1e-9)), None, None, False).status is Status.MAX_ITER


def test_threads_option_limits_and_restores(lasso):
    numba = pytest.importorskip("numba")
    before = numba.get_num_threads()
    res = optkit.solve(lasso, threads=1, tol=1e-8)
    assert res.success and numba.get_num_threads() == before
    with pytest.raises(ValueError, match="threads"):
        optkit.solve(lasso, threads=0)


class _SwallowsCtrlC(_Counting):
    """Ctrl-C during the third step whose ``KeyboardInterrupt`` is swallowed, as llvmlite's
    ``__del__`` swallows one that lands inside Numba's compiler."""

    name = "swallows_ctrl_c"

    def step(self, s, measure):
        if s[0] == 2:
            try:
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:
                pass
        return super().step(s, measure)


class _Raises(_Counting):
    name = "raises"

    def step(self, s, measure):
        raise RuntimeError("a bug in a step")


def _default_sigint():
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("the test runner replaced Python's SIGINT handler")


def test_a_swallowed_ctrl_c_still_ends_the_run(lasso):
    _default_sigint()
    res = optkit.solve(lasso, method=_SwallowsCtrlC, max_iter=1000, check_every=1)
    assert res.status is Status.INTERRUPTED and res.nit == 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(RuntimeError, match="a bug"):
        optkit.solve(lasso, method=_Raises)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored on an exception too


def test_a_users_sigint_handler_is_left_in_place(lasso):
    seen = []

    def mine(signum, frame):
        seen.append(signum)

    previous = signal.signal(signal.SIGINT, mine)
    try:
        res = optkit.solve(lasso, method=_SwallowsCtrlC, max_iter=6, check_every=1)
        assert signal.getsignal(signal.SIGINT) is mine
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen == [signal.SIGINT] and res.status is Status.MAX_ITER and res.nit == 6


def test_outside_the_main_thread_the_handler_is_untouched(lasso):
    _default_sigint()
    out = {}

    def work():
        out["handler"] = []
        res = optkit.solve(lasso, method=_Counting, max_iter=3, callback=lambda s: out["handler"].append(
            signal.getsignal(signal.SIGINT)))
        out["status"] = res.status

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert out["status"] is Status.MAX_ITER and out["handler"] == [signal.default_int_handler] * 3
