"""The splitting problems: input checks, CVXPY forms, and certificates that bound the suboptimality."""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

import optkit
from optkit.backend import namespace_by_name
from optkit.datasets import fermat_weber_points, fused_lasso_instance, mri_phantom
from optkit.functions import L1Norm, MoreauEnvelope, SquaredLoss, TotalVariation
from optkit.operators import GaussianBlur, PartialFourier
from optkit.problems import FermatWeber, FusedLasso, SumOfFunctions, TVImageRecovery, psnr
from optkit.validate import reference_solve

from .cases import CASES


def _image(rng, shape=(7, 8)):
    img = np.zeros(shape)
    img[1:5, 2:6] = 1.0
    return img, img + 0.1 * rng.standard_normal(shape)


def _instances(rng):
    img, b = _image(rng)
    mask = rng.random(img.shape) < 0.45
    mask[0, 0] = True
    blur = GaussianBlur(img.shape, 1.0)
    mri = PartialFourier(mask)
    A, y, lam1, lam2 = fused_lasso_instance(12, 16, seed=int(rng.integers(100))).values()
    pts, w = fermat_weber_points(14, 3, seed=int(rng.integers(100)))
    return {
        "denoise": TVImageRecovery(b, lam_tv=0.1),
        "denoise_dct": TVImageRecovery(b, lam_tv=0.1, lam_l1=0.02),
        "deblur": TVImageRecovery(blur.apply(img) + 0.01 * rng.standard_normal(img.shape), lam_tv=0.01, operator=blur),
        "deblur_dct": TVImageRecovery(blur.apply(img), lam_tv=0.01, lam_l1=0.005, operator=blur),
        "mri": TVImageRecovery(mri.apply(img), lam_tv=0.01, operator=mri),
        "fermat_weber": FermatWeber(pts, w),
        "fused": FusedLasso(A, y, lam1=lam1, lam2=lam2),
        "fused_no_l1": FusedLasso(A, y, lam1=0.0, lam2=lam2),
    }


def _optimum(problem):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, _, status, _ = reference_solve(problem)
    assert status == "optimal"
    return x, problem.objective(x)


@pytest.mark.parametrize("smoothed", [False, True])
def test_gap_bounds_the_suboptimality_at_any_point(smoothed, rng):
    """Weak duality: ``P(x) - gap <= P*`` for every ``x`` and every candidate dual, and the gap
    at the CVXPY solution with the method's candidates is small."""
    for name, p in _instances(rng).items():
        p = p.smoothed(0.05) if smoothed else p
        x_star, f_star = _optimum(p)
        for trial in range(3):
            x = x_star + rng.standard_normal(x_star.shape) * (0.3 if trial else 0.0)
            dual = None if trial < 2 else rng.standard_normal((p.n_terms,) + p.shape)
            m = p.measures(x, dual=dual)
            assert m["fun"] == pytest.approx(p.objective(x), rel=1e-12)
            assert m["fun"] - m["gap"] <= f_star + 1e-7 * max(1.0, abs(f_star)), (name, trial)
            assert m["optimality"] == pytest.approx(m["gap"] / m["fun"])


def test_smoothed_fused_lasso_gap_tracks_the_objective_error():
    """The certificate of the smoothed fused lasso is second order: at iterates short of the optimum the
    gap is within a small factor of the objective error (and never below it, weak duality). With the
    plain dual point alone (the l1 block, on its box boundary, absorbing the whole equality) it was of
    the order of the square root of the error on this instance: 1e-6 at an error of 2e-12, so that
    MSA ran past 20000 iterations at tol 1e-9 while its iterate had been that good for 7000."""
    p = FusedLasso(**fused_lasso_instance(10, 12, seed=231), smoothing=0.1)
    f_star = optkit.solve(p, method="famsa", tol=1e-13, max_iter=20000).fun
    for k in (80, 160, 240):    # once the iterate has the optimum's active sets (at 40 it has not)
        res = optkit.solve(p, method="famsa", tol=1e-15, max_iter=k, check_every=k)
        err = res.fun - f_star
        gap = p.measures(res.x, dual=res.dual)["gap"]
        assert err > 1e-10 * abs(f_star)
        assert err - 1e-12 * abs(f_star) <= gap <= 2.0 * err, (k, err, gap)


def test_cvxpy_forms_evaluate_the_objective(rng):
    import cvxpy as cp  # noqa: PLC0415

    for name, p in _instances(rng).items():
        for q in (p, p.smoothed(0.1)):
            prob, var = q.to_cvxpy()
            x = rng.standard_normal(q.shape)
            fixed = cp.Problem(prob.objective, prob.constraints + [var == x])
            fixed.solve(solver=cp.CLARABEL)
            assert fixed.value == pytest.approx(q.objective(x), rel=1e-6), name


def test_smoothed_terms_and_default_methods(rng):
    p = _instances(rng)["denoise_dct"]
    assert p.n_terms == 4 and p.default_method == "admm"
    s = p.smoothed(0.1)
    assert s.default_method == "famsa" and s.smoothing == 0.1
    assert all(isinstance(f, MoreauEnvelope) for f in s.terms[1:])
    assert s.term_lipschitz == (1.0, 10.0, 10.0, 10.0)
    fw = _instances(rng)["fermat_weber"]
    assert fw.n_terms == 14 and fw.default_method == "admm" and fw.smoothed(0.5).default_method == "famsa"
    # the smoothed objective is below the true one by at most sigma G^2 / 2 per term
    x = rng.standard_normal(fw.shape)
    assert 0 <= fw.objective(x) - fw.smoothed(0.5).objective(x) <= 0.5 * float(np.sum(fw.weights ** 2)) / 2 * (1 + 1e-12)


def test_input_checks(rng):
    img, b = _image(rng)
    with pytest.raises(ValueError, match="lam_tv"):
        TVImageRecovery(b, lam_tv=-1.0)
    with pytest.raises(ValueError, match="b must be 2-dimensional"):
        TVImageRecovery(b[0], lam_tv=0.1)
    with pytest.raises(ValueError, match="operator acts on shape"):
        TVImageRecovery(b, lam_tv=0.1, operator=GaussianBlur((3, 3), 1.0))
    with pytest.raises(TypeError, match="operator must be"):
        TVImageRecovery(b, lam_tv=0.1, operator="blur")
    with pytest.raises(ValueError, match="smoothing"):
        TVImageRecovery(b, lam_tv=0.1, smoothing=0.0)
    with pytest.raises(ValueError, match="NaN"):
        TVImageRecovery(np.full(img.shape, np.nan), lam_tv=0.1)
    mask = np.ones(img.shape, dtype=bool)
    with pytest.raises(ValueError, match="one value per sampled"):
        TVImageRecovery(np.ones(5, dtype=complex), lam_tv=0.1, operator=PartialFourier(mask))
    with pytest.raises(ValueError, match="truth"):
        TVImageRecovery(b, lam_tv=0.1, truth=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="weights must be positive"):
        FermatWeber(np.ones((3, 2)), np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="weights must have one entry per row of points"):
        FermatWeber(np.ones((3, 2)), np.ones(2))
    with pytest.raises(ValueError, match="points"):
        FermatWeber(np.ones((1, 2)))
    with pytest.raises(ValueError, match="lam2"):
        FusedLasso(np.ones((3, 4)), np.ones(3), lam1=0.1, lam2=0.0)
    with pytest.raises(ValueError, match="b must have length"):
        FusedLasso(np.ones((3, 4)), np.ones(2), lam1=0.1, lam2=0.1)
    with pytest.raises(ValueError, match="at least two"):
        SumOfFunctions([L1Norm(1.0)], (3,), x0=np.zeros(3))
    with pytest.raises(TypeError, match=r"terms\[1\]"):
        SumOfFunctions([L1Norm(1.0), "tv"], (3,), x0=np.zeros(3))
    with pytest.raises(ValueError, match="x0 must have shape"):
        SumOfFunctions([L1Norm(1.0), L1Norm(2.0)], (3,), x0=np.zeros(4))
    with pytest.raises(ValueError, match="sigma"):
        TVImageRecovery(b, lam_tv=0.1).smoothed(-1.0)


def test_k_equals_two_has_the_two_term_capability(rng):
    A, y = rng.standard_normal((9, 6)), rng.standard_normal(9)
    p = SumOfFunctions([TotalVariation((6,), 0, 0.5), SquaredLoss(A, y)], (6,))
    assert isinstance(p.f, SquaredLoss) and isinstance(p.g, TotalVariation)
    assert {"alm", "fast_alm", "fista", "admm", "msa", "famsa"} <= set(optkit.methods(p))
    three = SumOfFunctions([TotalVariation((6,), 0, 0.5), SquaredLoss(A, y), L1Norm(0.1)], (6,))
    assert three.f is None and "alm" not in optkit.methods(three)
    # two nonsmooth terms and no dual: the residual is not computed
    two = SumOfFunctions([TotalVariation((6,), 0, 0.5), L1Norm(0.1)], (6,), x0=np.ones(6))
    assert two.measures(np.ones(6))["optimality"] == np.inf


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_mri_data_layouts_and_backends(backend):
    d = mri_phantom(16, seed=3)
    mask = d.operator.mask
    full = TVImageRecovery(d.b, lam_tv=0.01, operator=d.operator, truth=d.truth)
    packed = TVImageRecovery(d.b[mask], lam_tv=0.01, operator=d.operator)
    x = np.random.default_rng(0).standard_normal((16, 16))
    assert full.objective(x) == pytest.approx(packed.objective(x), rel=1e-12)
    moved = full.to(namespace_by_name(backend))
    assert moved.objective(moved.xp.asarray(x)) == pytest.approx(full.objective(x), rel=1e-10)
    m = moved.measures(moved.xp.asarray(d.truth))
    assert m["psnr"] == np.inf and m["gap"] >= 0
    ramp = np.linspace(0.0, 1.0, 20)
    assert psnr(ramp + 0.01, ramp) == pytest.approx(40.0)


def test_fermat_weber_data_from_two_array_libraries():
    """Strict points with NumPy weights (the default's library) and the reverse failed inside the
    libraries with AttributeErrors; NumPy weights now join the points' library, and weights of
    another library than the points are refused by name."""
    xp, strict = namespace_by_name("numpy"), namespace_by_name("array_api_strict")
    problem = next(c for c in CASES if c.name == "fermat_weber_12x3").make(xp, xp.float64)
    moved = dataclasses.replace(problem, points=strict.asarray(np.asarray(problem.points)),
                                weights=np.asarray(problem.weights))
    assert optkit.solve(moved, max_iter=3).x is not None
    with pytest.raises(TypeError, match="weights.*use one array library"):
        dataclasses.replace(problem, weights=strict.asarray(np.asarray(problem.weights)))
