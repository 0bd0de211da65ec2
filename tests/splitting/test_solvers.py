"""MSA, FaMSA and consensus ADMM beyond the conformance matrix: instances nobody tuned on against CVXPY,
continuation, acceleration, residual balancing; and the family's datasets."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optkit
from optkit.backend import asarray, namespace_by_name
from optkit.datasets import blurred_camera, fermat_weber_points, fused_lasso_instance, mri_phantom, noisy_image
from optkit.operators import GaussianBlur, PartialFourier
from optkit.problems import FermatWeber, FusedLasso, TVImageRecovery, psnr
from optkit.validate import reference_solve

KINDS = ["denoise", "denoise_dct", "deblur", "mri", "fermat_weber", "fused"]


def _instance(kind: str, seed: int, xp, smoothing=None):
    rng = np.random.default_rng(seed)
    shape = (6, 6)
    img = np.zeros(shape)
    r0, c0 = rng.integers(0, 3, 2)
    img[r0:r0 + 3, c0:c0 + 3] = 1.0
    lam = float(rng.uniform(0.02, 0.2))
    if kind in ("denoise", "denoise_dct"):
        b = img + 0.1 * rng.standard_normal(shape)
        p = TVImageRecovery(asarray(b, xp=xp), lam_tv=lam, lam_l1=0.3 * lam if kind == "denoise_dct" else 0.0)
    elif kind == "deblur":
        op = GaussianBlur(shape, 0.7)
        p = TVImageRecovery(asarray(op.apply(img) + 0.01 * rng.standard_normal(shape), xp=xp), lam_tv=0.1 * lam, operator=op)
    elif kind == "mri":
        mask = rng.random(shape) < 0.5
        mask[0, 0] = True
        op = PartialFourier(mask)
        p = TVImageRecovery(asarray(op.apply(img), xp=xp), lam_tv=0.1 * lam, operator=op)
    elif kind == "fermat_weber":
        pts, w = fermat_weber_points(10, 3, seed=seed)
        p = FermatWeber(asarray(pts, xp=xp), asarray(w, xp=xp))
    else:
        A, y, lam1, lam2 = fused_lasso_instance(10, 12, seed=seed).values()
        p = FusedLasso(asarray(A, xp=xp), asarray(y, xp=xp), lam1=lam1, lam2=lam2)
    return p if smoothing is None else p.smoothed(smoothing)


def _reference(problem) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, _, status, _ = reference_solve(problem.to(namespace_by_name("numpy")))
    assert status == "optimal"
    return problem.to(namespace_by_name("numpy")).objective(x)


def _check(problem, method, **options):
    res = optkit.solve(problem, method=method, tol=1e-9, max_iter=20000, **options)
    assert res.success, res
    f_ref = _reference(problem)
    assert abs(res.fun - f_ref) / max(1.0, abs(f_ref)) <= 1e-6, (res.fun, f_ref)
    return res


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), kind=st.sampled_from(KINDS))
def test_admm_reaches_cvxpy_on_nonsmooth_instances_nobody_tuned_on(seed, kind):
    _check(_instance(kind, seed, namespace_by_name("numpy")), "admm")


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), kind=st.sampled_from(KINDS), method=st.sampled_from(["msa", "famsa"]),
       sigma=st.floats(0.02, 0.5))
def test_multiple_splitting_reaches_cvxpy_on_the_smoothed_problem(seed, kind, method, sigma):
    _check(_instance(kind, seed, namespace_by_name("numpy"), smoothing=sigma), method)


@pytest.mark.parametrize("method,kind", [("admm", "denoise_dct"), ("famsa", "denoise_dct"), ("admm", "fused"),
                                         ("famsa", "fused"), ("msa", "fermat_weber")])
def test_strict_arrays_reach_cvxpy(method, kind):
    xp = namespace_by_name("array_api_strict")
    _check(_instance(kind, 11, xp, smoothing=None if method == "admm" or kind == "fermat_weber" else 1.0), method)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), kind=st.sampled_from(KINDS), method=st.sampled_from(["admm", "msa", "famsa"]),
       backend=st.sampled_from(["numpy", "array_api_strict"]))
def test_every_method_every_problem_many_instances(seed, kind, method, backend):
    xp = namespace_by_name(backend)
    _check(_instance(kind, seed, xp, smoothing=None if method == "admm" else 0.1), method)


def test_continuation_reaches_the_unsmoothed_tolerance():
    p = _instance("fermat_weber", 5, namespace_by_name("numpy"))
    for method in ("msa", "famsa"):
        res = _check(p, method)
        assert res.info["sigma_reductions"] > 0 and res.info["sigma"] < p.smoothing_scale()
        # a warm start at the answer finds the smoothing that certified it and stops at once
        again = optkit.solve(p, method=method, tol=1e-9, x0=res.x)
        assert again.success and again.nit == 0


def test_famsa_needs_fewer_iterations_than_msa():
    d = noisy_image("shepp_logan", 24, noise=0.1)
    p = TVImageRecovery(d.b, lam_tv=0.05, smoothing=0.01)
    its = {m: optkit.solve(p, method=m, tol=1e-6, max_iter=50000, check_every=5).nit for m in ("msa", "famsa")}
    assert its["famsa"] * 4 <= its["msa"], its


def test_admm_balancing_relaxation_and_rho():
    p = _instance("fermat_weber", 3, namespace_by_name("numpy"))
    far = optkit.solve(p, method="admm", rho=1e3, tol=1e-8, max_iter=5000)
    assert far.success and far.info["rho_rescales"] > 0 and far.info["rho"] < 1e3
    fixed = optkit.solve(p, method="admm", rho=1e3, balance=False, tol=1e-8, max_iter=200)
    assert not fixed.success and fixed.info["rho_rescales"] == 0
    plain = optkit.solve(p, method="admm", relaxation=1.0, tol=1e-8)
    assert plain.success and plain.fun == pytest.approx(far.fun, rel=1e-7)
    with pytest.raises(ValueError, match="relaxation"):
        optkit.solve(p, method="admm", relaxation=2.0)
    with pytest.raises(ValueError, match="sigma_factor"):
        optkit.solve(p, method="msa", sigma_factor=1.0)


def test_default_methods_and_psnr_history():
    d = noisy_image("shepp_logan", 48, noise=0.1)
    p = TVImageRecovery(d.b, lam_tv=d.lam_tv, truth=d.truth)
    res = optkit.solve(p, tol=1e-6)
    assert res.method == "admm" and res.success and "psnr" in res.history
    assert res.measures["psnr"] > psnr(d.b, d.truth) + 3.0        # TV removes much of the noise
    smooth = optkit.solve(p.smoothed(0.05), tol=1e-6)
    assert smooth.method == "famsa" and smooth.success


def test_datasets():
    d = mri_phantom(32, seed=1)
    mask = d.operator.mask
    assert d.b.shape == (32, 32) and np.iscomplexobj(d.b) and abs(mask.mean() - 0.25) < 0.01
    assert mask[0, 0] and mask[0, 1] and mask[-1, -1]                  # the centre of k-space is kept
    np.testing.assert_array_equal(mri_phantom(32, seed=1).b, d.b)
    assert not np.array_equal(mri_phantom(32, seed=2).operator.mask, mask)
    c = blurred_camera(32)
    assert c.b.shape == c.truth.shape == (32, 32) and 0 <= c.truth.min() and c.truth.max() <= 1
    pts, w = fermat_weber_points(50, 4, seed=2)
    assert pts.shape == (50, 4) and np.all((0.5 <= w) & (w <= 1.5))
    A, y, lam1, lam2 = fused_lasso_instance(8, 11).values()
    assert A.shape == (8, 11) and lam1 > 0 and lam2 > 0
    with pytest.raises(ValueError, match="name"):
        noisy_image("lena")
    with pytest.raises(ValueError, match="sampling"):
        mri_phantom(16, sampling=1.5)


@pytest.mark.parametrize("method", ["admm", "msa", "famsa"])
def test_a_start_whose_certificate_overflows_is_a_numerical_error(method):
    """x0 with an entry 1e300: every smoothing's certificate is NaN (inf - inf), so the choice of the
    initial dual point, comparing with NaN, found no candidate and StopIteration escaped from solve."""
    from .cases import CASES  # noqa: PLC0415

    xp = namespace_by_name("numpy")
    problem = next(c for c in CASES if c.name == "tv_denoise_5x6").make(xp, xp.float64)
    x0 = np.array(problem.initial_point(), copy=True)
    x0.reshape(-1)[0] = 1e300
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # the overflow itself
        res = optkit.solve(problem, method=method, x0=x0, max_iter=50)
    assert res.status is optkit.Status.NUMERICAL_ERROR and not res.success
    assert np.all(np.isfinite(np.asarray(res.x)))
