"""Conformance cases of the splitting family: small instances of every problem, each once as given
(nonsmooth: consensus ADMM solves it exactly, MSA/FaMSA through continuation of the smoothing) and,
where MSA/FaMSA are held to 1e-6, smoothed (the problem they then solve exactly)."""
from __future__ import annotations

import numpy as np

from optkit.backend import asarray
from optkit.functions import MoreauEnvelope, SquaredLoss, TotalVariation
from optkit.operators import PartialFourier
from optkit.problems import FermatWeber, FusedLasso, SumOfFunctions, TVImageRecovery

from ..conformance.cases import Case, MethodSpec


def _image(seed: int, shape: tuple) -> tuple[np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    img = np.zeros(shape)
    img[1:4, 2:5] = 1.0
    img[3:, :2] = 0.4
    return img, rng


def _denoise(seed: int, lam: float, lam_l1: float, shape=(5, 6)):
    def make(xp, dtype):
        img, rng = _image(seed, shape)
        b = img + 0.1 * rng.standard_normal(shape)
        return TVImageRecovery(asarray(b, xp=xp, dtype=dtype), lam_tv=lam, lam_l1=lam_l1)
    return make


def _mri(seed: int, lam: float, smoothing: float, shape=(5, 5)):
    def make(xp, dtype):
        img, rng = _image(seed, shape)
        mask = rng.random(shape) < 0.8
        mask[0, 0] = True
        op = PartialFourier(asarray(mask, xp=xp))
        noise = 0.01 * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
        b = op.apply(asarray(img, xp=xp, dtype=dtype))
        return TVImageRecovery(b + asarray(noise, xp=xp, dtype=b.dtype), lam_tv=lam, operator=op, smoothing=smoothing)
    return make


def _fermat_weber(seed: int, K: int, d: int):
    def make(xp, dtype):
        rng = np.random.default_rng(seed)
        points, weights = rng.standard_normal((K, d)), rng.uniform(0.5, 1.5, K)
        return FermatWeber(asarray(points, xp=xp, dtype=dtype), asarray(weights, xp=xp, dtype=dtype))
    return make


def _fused(seed: int, m: int, n: int, smoothing: float):
    def make(xp, dtype):
        rng = np.random.default_rng(seed)
        A = rng.standard_normal((m, n)) / np.sqrt(m)
        x = np.zeros(n)
        x[2:6], x[9:11] = 1.0, -0.7
        b = A @ x + 0.05 * rng.standard_normal(m)
        return FusedLasso(asarray(A, xp=xp, dtype=dtype), asarray(b, xp=xp, dtype=dtype), lam1=0.05, lam2=0.1,
                          smoothing=smoothing)
    return make


def _least_squares_tv(seed: int, smoothing: float):
    def make(xp, dtype):
        rng = np.random.default_rng(seed)
        A, b = rng.standard_normal((14, 10)) / np.sqrt(14), rng.standard_normal(14)
        return SumOfFunctions([SquaredLoss(asarray(A, xp=xp, dtype=dtype), asarray(b, xp=xp, dtype=dtype)),
                               MoreauEnvelope(TotalVariation((10,), 0, 0.3), smoothing)], (10,))
    return make


# MSA/FaMSA on a nonsmooth problem with polyhedral terms: the smoothing, and the step with it, must
# shrink with the tolerance, so they are held to what continuation reaches in a few hundred iterations.
# Consensus ADMM restarted at the answer of a nonsmooth problem must rebuild its multipliers (the
# smoothed gradients it starts from miss the TV duals on flat regions): about 50 iterations.
# (max_iter bounds the suite's reruns at its own tolerance, 1e-6, which continuation reaches only slowly)
_CONTINUED = {"msa": MethodSpec(tol=3e-3, gap=3e-3, tol32=3e-3, gap32=3e-3, max_iter=1000),
              "famsa": MethodSpec(tol=1e-3, gap=1e-3, tol32=1e-3, gap32=1e-3, max_iter=1000),
              "admm": MethodSpec(warm_iterations=60)}

CASES = [
    Case("tv_denoise_5x6", _denoise(1, 0.1, 0.0), methods=_CONTINUED),
    Case("tv_mri_smoothed_5x5", _mri(2, 0.02, smoothing=1.0)),
    Case("fermat_weber_12x3", _fermat_weber(4, 12, 3)),
    Case("fused_lasso_smoothed_15x12", _fused(6, 15, 12, smoothing=2.0)),
    Case("least_squares_smoothed_tv_14x10", _least_squares_tv(8, smoothing=1.0)),
]
