"""What the stochastic methods share: options, minibatch sampling, step schedules, the epoch check.

One run-loop iteration is one minibatch step. The certificate, the relative full-gradient norm
:math:`\\|\\nabla F(x)\\| / \\max(1, \\|\\nabla F(x_0)\\|)` of the problem, costs a full pass, so by
default the run loop checks once per epoch (``check_every = ceil(n / batch_size)``). Every check
also records ``sfo`` (sample gradients evaluated so far, the stochastic first-order oracle calls
of the method; certificate passes are not counted) and ``epoch`` (minibatch passes over the data,
``steps / ceil(n / batch_size)``), so histories can be drawn against work as well as time.
"""
from __future__ import annotations

import dataclasses
import math
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...backend import is_numpy
from ...problems.stochastic import FiniteSum
from ..base import Check, Options, Solver, make_rng, option

__all__ = ["StochasticOptions", "ScheduledOptions", "StochasticState", "StochasticSolver", "SCHEDULES"]

#: Step schedules: the base step is multiplied by s(t), t = 1 + k / m after k steps of m per epoch.
SCHEDULES = {"constant", "1/sqrt(k)", "1/k"}


@dataclass(frozen=True, kw_only=True)
class StochasticOptions(Options):
    tol: float = option(1e-4, "stop when ||grad F(x)|| / max(1, ||grad F(x0)||) <= tol (x0: the problem's "
                              "initial point), checked on the full data")
    max_iter: int = option(None, "minibatch-step limit (None: max_epochs epochs)")
    max_epochs: int = option(100, "epoch limit when max_iter is None", domain="int >= 1")
    check_every: int = option(None, "steps between certificate checks, each a full pass (None: one epoch, "
                                    "ceil(n / batch_size) steps)")
    seed: Any = option(None, "seed of the minibatch draws (None, an int or a numpy Generator)", domain="seed")
    batch_size: int = option(64, "samples per minibatch (capped at n)", domain="int >= 1")
    shuffle: bool = option(True, "draw minibatches by reshuffling the samples every epoch (without "
                                 "replacement); False: independently with replacement")


@dataclass(frozen=True, kw_only=True)
class ScheduledOptions(StochasticOptions):
    schedule: str = option("1/sqrt(k)", "step schedule: step_size * s(1 + k/m) after k steps, m = steps per "
                                        "epoch, s(t) = 1, 1/sqrt(t) or 1/t", domain=SCHEDULES)


@dataclass
class StochasticState:
    """Iterate, step count, minibatch sampler and oracle count (plus each method's own fields)."""

    x: Any
    rng: Any
    k: int = 0
    sfo: int = 0
    perm: Any = None
    pos: int = 0


class StochasticSolver(Solver):
    """Base of the stochastic methods over a :class:`~optkit.problems.FiniteSum` problem."""

    problem_types = (FiniteSum,)
    State = StochasticState

    def __init__(self, problem: Any, options: Options) -> None:
        super().__init__(problem, options)
        # a diverging run ends with NUMERICAL_ERROR at the next check, not with NumPy's overflow warnings
        self._numpy = is_numpy(self.xp)
        n = problem.n_samples
        self.n = n
        self.batch = min(options.batch_size, n)
        self.steps_per_epoch = -(-n // self.batch)
        resolved = {}
        if options.check_every is None:
            resolved["check_every"] = self.steps_per_epoch
        if options.max_iter is None:
            resolved["max_iter"] = options.max_epochs * self.steps_per_epoch
        if resolved:
            self.options = dataclasses.replace(options, **resolved)

    def step(self, st: StochasticState, measure: bool) -> StochasticState:
        with self.quiet():
            return self.advance(st)

    def quiet(self) -> Any:
        """NumPy's overflow and invalid-value warnings off (a diverging run is reported by its status)."""
        return np.errstate(over="ignore", invalid="ignore") if self._numpy else nullcontext()

    def advance(self, st: StochasticState) -> StochasticState:
        """One minibatch step (the iterates do not depend on checks, so ``measure`` is not passed)."""
        raise NotImplementedError

    # -- state -----------------------------------------------------------------------------------------------

    def start(self, x0: Any, **fields: Any) -> Any:
        x = self.problem.initial_point() if x0 is None else x0
        return self.State(x=x, rng=make_rng(self.options.seed), **fields)

    def next_batch(self, st: StochasticState, size: int | None = None) -> Any:
        """The next minibatch (rows gathered): consecutive slices of a fresh permutation every epoch
        (``shuffle``) or ``batch_size`` independent uniform draws. ``size`` (at most ``n``; growing batches)
        replaces ``batch_size``: a slice that runs past the end of a permutation continues into the next one,
        so the minibatch has exactly ``size`` samples, and ``size >= n`` gives all samples."""
        n = self.n
        b = self.batch if size is None else min(size, n)
        if size is not None and b == n:
            return self.problem.batch(None)
        if self.options.shuffle:
            if st.perm is None or st.pos >= n:
                st.perm, st.pos = st.rng.permutation(n), 0
            idx = st.perm[st.pos:st.pos + b]
            st.pos += b
            if size is not None and idx.shape[0] < b:
                st.perm, st.pos = st.rng.permutation(n), b - idx.shape[0]
                idx = np.concatenate([idx, st.perm[:st.pos]])
        else:
            idx = st.rng.integers(0, n, size=b)
        return self.problem.batch(idx)

    def rate(self, k: int) -> float:
        """The step after ``k`` steps: ``step_size`` times the schedule at ``t = 1 + k / m``."""
        schedule = getattr(self.options, "schedule", "constant")
        if schedule == "constant":
            return self.options.step_size
        t = 1.0 + k / self.steps_per_epoch
        return self.options.step_size / (math.sqrt(t) if schedule == "1/sqrt(k)" else t)

    # -- checks ------------------------------------------------------------------------------------------------

    def pieces(self, st: StochasticState) -> dict[str, Any]:
        """What the method already has of the certificate at ``st.x`` (value and full gradient)."""
        return {}

    def check(self, st: StochasticState) -> Check:
        with self.quiet():
            m = self.problem.measures(st.x, **self.pieces(st))
        m["sfo"] = float(st.sfo)
        m["epoch"] = self.epochs(st.k)
        return Check.of(st.x, m)

    def epochs(self, k: int) -> float:
        """Minibatch passes over the data after ``k`` steps."""
        return k / self.steps_per_epoch

    def info(self, st: StochasticState) -> dict[str, Any]:
        return {"sfo": st.sfo, "epochs": self.epochs(st.k), "batch_size": self.batch,
                "steps_per_epoch": self.steps_per_epoch}


def negligible_rel_sq(xp: Any, dtype: Any) -> float:
    """:math:`(100\\,\\epsilon)^2` of ``dtype``: a step with :math:`\\|s\\|^2 \\le (100\\,\\epsilon)^2 \\max(1, \\|x\\|^2)`
    carries no curvature information (the gradient difference over it is rounding error)."""
    eps = 1.1920929e-07 if dtype == xp.float32 else 2.220446049250313e-16
    return (100.0 * eps) ** 2
