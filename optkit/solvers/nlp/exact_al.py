"""AdaSketch-Newton: exact augmented Lagrangian SQP with randomized iterative sketching.

Reference: I. Hong, S. Na, M. W. Mahoney and M. Kolar, "Constrained optimization via exact
augmented Lagrangian and randomized iterative sketching", ICML 2023 (PMLR 202:13174-13198),
arXiv:2305.18379, and the authors' Julia code (IlgeeHong/AdaSketch-Newton), summarised with every
constant in ``shared/papers/algorithms_B.md`` section 3.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..._registry import register
from ...backend import get_namespace
from ...linalg.sketch import SKETCHES, sketch_solve, sketch_system
from ...problems.nlp import is_operator
from ..base import make_rng, option
from ._base import NLPOptions, NLPSolver, NLPState
from ._model import frobenius, kkt_matrix

__all__ = ["ExactAL"]


@dataclass(frozen=True, kw_only=True)
class ExactALOptions(NLPOptions):
    sketch: str = option("block", "sketch of the Newton-KKT solve: randomized Kaczmarz rows, Gaussian vectors, "
                                     "or blocks of block_size rows / Gaussian columns", domain=set(SKETCHES))
    block_size: int = option(8, "rows or Gaussian columns per block sketch", domain="int >= 1")
    block_kind: str = option("rows", "the block sketch: sampled rows or Gaussian columns",
                             domain={"rows", "gaussian"})
    delta: float = option(0.1, "initial accuracy parameter delta of the adaptive accuracy condition",
                          domain="(0, 1]")
    delta_min: float = option(1e-6, "floor of delta (the reference code's 1e-6)", domain="(0, 1]")
    theta: float = option(1.0, "accuracy factor theta of ||K||_F psi ||r|| <= theta delta ||b||", domain="(0, 1]")
    sharpen: bool = option(True, "theta_k = theta * min(1, ||b_k|| / ||b_0||): the accuracy sharpens as the "
                                 "KKT residual falls (superlinear local rate)")
    max_sketch: int = option(100_000, "sketch steps per Newton-KKT solve (the reference code's 1e5)",
                             domain="int >= 1")
    seed: Any = option(None, "seed of the random sketches", domain="seed")


@register("exact_al", aliases=("adasketch_newton",))
class ExactAL(NLPSolver):
    """AdaSketch-Newton on the exact augmented Lagrangian (the default NLP method).

    At :math:`(x, \\lambda)` with :math:`\\nabla_x L = \\nabla f + J^T\\lambda` the Newton-KKT system

    .. math::
        K z = b,\\quad K = \\begin{pmatrix} B & J^T \\\\ J & 0 \\end{pmatrix},\\quad
        b = -\\begin{pmatrix}\\nabla_x L \\\\ c\\end{pmatrix},\\quad z = (\\Delta x, \\Delta\\lambda),

    is solved inexactly by randomized iterative sketching (:func:`optkit.linalg.sketch.sketch_solve`,
    started from :math:`z = 0` so the residual starts at :math:`-b`) until the adaptive accuracy
    condition

    .. math::
        \\|K\\|_F\\,\\psi\\,\\|Kz - b\\| \\le \\theta_k\\,\\delta\\,\\|b\\|,\\qquad
        \\psi = \\frac{20\\max(\\|B\\|_F^2, 1)}{\\min(\\xi_G, 1)\\min(\\xi_B, 1)},

    holds, with :math:`\\xi_G \\approx \\lambda_{\\min}(JJ^T)` and
    :math:`\\delta = \\max(\\delta_{\\min}, \\min(\\delta, \\delta_{trial}))`,
    :math:`\\delta_{trial} = (\\tfrac12 - \\beta)\\eta_2 / ((1 + \\eta_1 + \\eta_2)\\Upsilon^2\\psi^2)`,
    :math:`\\Upsilon = \\max(\\|J\\|_F, \\|\\nabla^2_{xx}L\\|_F, 1)`. While :math:`z` is not a
    sufficient descent direction of the exact augmented Lagrangian
    :math:`L_\\eta = f + \\lambda^T c + \\tfrac{\\eta_1}{2}\\|c\\|^2 + \\tfrac{\\eta_2}{2}\\|\\nabla_x L\\|^2`
    (:math:`\\nabla L_\\eta^T z > -\\tfrac{\\eta_2}{2}\\|b\\|^2`), the penalties move
    (:math:`\\eta_1 \\leftarrow \\nu^2\\eta_1`, :math:`\\eta_2 \\leftarrow \\eta_2/\\nu`,
    :math:`\\delta \\leftarrow \\max(\\delta_{\\min}, \\min(\\delta/\\nu^4, \\delta_{trial}))`) and the sketch
    continues from the current :math:`z`; then an Armijo search on :math:`L_\\eta` sets the step.
    ``B`` is the Lagrangian Hessian, shifted by a multiple of ``I`` when its reduced Hessian fails
    a Cholesky/Lanczos curvature test (:func:`optkit.solvers.nlp._model.modified_hessian`).

    Departures from the reference code, each measured or forced: the Lagrangian Hessian
    (not the objective's) in :math:`\\nabla L_\\eta`; the residual starts at :math:`-b`; the
    curvature and :math:`\\xi_G` tests use a Cholesky attempt, inverse iteration and Lanczos
    instead of QR/eigendecompositions of the whole matrices; the target residual is raised
    to the rounding level :math:`10\\epsilon(\\|K\\|_F\\|z\\| + \\|b\\|)` (in float32 the paper's target is
    below it and the sketch would run to its cap); with ``sharpen`` (default)
    :math:`\\theta_k = \\theta\\min(1, \\|b_k\\|/\\|b_0\\|)`, the sharpened accuracy of the paper's
    superlinear variant. A solve that reaches ``max_sketch`` steps is used as it is (as the
    reference code does) and counted in ``info["sketch_cap_hits"]``.

    ``Result.info["sketch_iterations"]`` lists the sketch steps of every outer iteration.
    """

    Options = ExactALOptions

    def init(self, x0: Any) -> NLPState:
        s = super().init(x0)
        if s.point.H is not None and is_operator(s.point.H):
            raise TypeError("exact_al sketches rows of the KKT matrix and needs the Hessian as a dense or sparse "
                            "matrix for n > 4096 (a LinearOperator is materialised only up to n = 4096); "
                            "use method='sqp' or return a matrix from hess")
        s.rng = make_rng(self.options.seed)
        s.b0 = math.sqrt(s.point.gl2 + s.point.c2)
        return s

    def _delta_trial(self, s: NLPState, upsilon: float, psi: float) -> float:
        return (0.5 - self.options.beta) * s.eta2 / ((1 + s.eta1 + s.eta2) * upsilon ** 2 * psi ** 2)

    def direction(self, s: NLPState, B: Any, b: Any, reg: float) -> tuple[Any, float] | None:
        o, p = self.options, s.point
        xp = get_namespace(b)
        K = kkt_matrix(B, p.J, reg)
        system = sketch_system(K)
        bnorm = float(xp.linalg.vector_norm(b))
        psi = 20.0 * max(frobenius(B) ** 2, 1.0) / (min(s.xi_g, 1.0) * min(o.xi_b, 1.0))
        upsilon = max(frobenius(p.J), frobenius(p.H) if p.H is not None else frobenius(B), 1.0)
        delta = max(o.delta_min, min(s.delta, self._delta_trial(s, upsilon, psi)))
        theta = o.theta * (min(1.0, bnorm / s.b0) if o.sharpen and s.b0 > 0 else 1.0)
        z, steps, solves = None, 0, 0
        while True:
            target = theta * delta * bnorm / (system.frobenius * psi)
            res = sketch_solve(system, b, target, s.rng, kind=o.sketch, z0=z, max_steps=o.max_sketch,
                               block_size=o.block_size, block_kind=o.block_kind)
            z, steps, solves = res.z, steps + res.steps, solves + 1
            if not res.reached:
                s.sketch_cap_hits += 1
            slope = self.slope(s, z)
            if self.safeguard(s) or self.sufficient(s, slope, bnorm * bnorm):
                break
            self.raise_penalties(s)
            delta = max(o.delta_min, min(delta / o.nu ** 4, self._delta_trial(s, upsilon, psi)))
        s.delta = delta
        s.sketch_iterations.append(steps)
        s.linear_solves.append(solves)
        return z, slope

    def info(self, s: NLPState) -> dict[str, Any]:
        return {**super().info(s), "sketch": self.options.sketch, "sketch_cap_hits": s.sketch_cap_hits,
                "delta": s.delta}
