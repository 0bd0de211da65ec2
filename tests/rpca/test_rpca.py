"""Robust matrix recovery: problems, FW-T / FW-P / iALM / APG against CVXPY, and the solver contract
for the methods the conformance suite does not pair (Frank-Wolfe cannot reach its 1e-8)."""
from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.backend import asarray, backend_name, namespace_by_name, to_numpy
from optkit.datasets import f_measure, lowrank_sparse_instance, surveillance_video
from optkit.linalg import ThinSVD
from optkit.linalg import nuclear_norm
from optkit.problems import CompressivePCP, ConstrainedCPCP, LowRankSparse, RobustPCA
from optkit.validate import reference_solve

from ..conftest import BACKENDS


def _cpcp(xp=None, dtype=None):
    M, _, _, mask = lowrank_sparse_instance(18, 14, rank=2, noise=0.1, observed=0.8, seed=7)
    xp = xp or namespace_by_name("numpy")
    dtype = dtype or xp.float64
    return CompressivePCP(asarray(M, xp=xp, dtype=dtype), asarray(mask, xp=xp), lam_L=1.0, lam_S=0.25)


def _con(xp=None, dtype=None):
    M, _, _, mask = lowrank_sparse_instance(16, 12, rank=2, noise=0.1, observed=0.8, seed=8)
    xp = xp or namespace_by_name("numpy")
    dtype = dtype or xp.float64
    return ConstrainedCPCP(asarray(M, xp=xp, dtype=dtype), asarray(mask, xp=xp), tau_L=25.0, tau_S=30.0)


@functools.lru_cache(maxsize=None)
def _reference(name: str) -> float:
    problem = {"cpcp": _cpcp, "con": _con}[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, _, status, _ = reference_solve(problem)
    assert status == "optimal", status
    return problem.objective(x)


# --- problems --------------------------------------------------------------------------------------

def test_input_checks_name_the_argument():
    M = np.ones((4, 3))
    with pytest.raises(ValueError, match="M must be 2-dimensional"):
        RobustPCA(np.ones(4))
    with pytest.raises(ValueError, match="lam"):
        RobustPCA(M, lam=-1.0)
    with pytest.raises(TypeError, match="mask must have a boolean dtype"):
        RobustPCA(M, mask=np.ones((4, 3)))
    with pytest.raises(ValueError, match="mask must have the shape"):
        RobustPCA(M, mask=np.ones((3, 4), dtype=bool))
    with pytest.raises(ValueError, match="observes no entry"):
        RobustPCA(M, mask=np.zeros((4, 3), dtype=bool))
    bad = M.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        RobustPCA(bad)
    mask = np.ones((4, 3), dtype=bool)
    mask[0, 0] = False
    assert RobustPCA(bad, mask=mask).n_observed == 11  # NaN allowed where unobserved
    with pytest.raises(TypeError, match="lam_L and lam_S"):
        CompressivePCP(M)
    with pytest.raises(ValueError, match="lam_S must be positive"):
        CompressivePCP(M, lam_L=1.0, lam_S=0.0)
    with pytest.raises(TypeError, match="tau_L and tau_S"):
        ConstrainedCPCP(M, tau_L=1.0)
    with pytest.raises(TypeError, match=r"pair \(L, S\)"):
        RobustPCA(M).objective(np.ones((4, 3)) [0])


def test_default_weights():
    M, _, _, mask = lowrank_sparse_instance(30, 20, observed=0.75, seed=1)
    assert RobustPCA(M).lam == pytest.approx(1 / math.sqrt(30))
    p = CompressivePCP.from_noise_level(M, mask, delta=1e-2)
    rho = mask.mean()
    nrm = np.linalg.norm(np.where(mask, M, 0))
    assert p.lam_L == pytest.approx(1e-2 * rho * nrm)
    assert p.lam_S == pytest.approx(1e-2 * math.sqrt(rho) * nrm / math.sqrt(30))
    assert optkit.methods(p)[0] == "fw_t" and set(optkit.methods(p)) == {"fw_t", "pcp_apg"}
    assert optkit.methods(RobustPCA(M)) == ["ialm"]


def test_duality_gap_bounds_suboptimality():
    p = _cpcp()
    f_ref = _reference("cpcp")
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = LowRankSparse(rng.standard_normal(p.shape), rng.standard_normal(p.shape))
        m = p.measures(x)
        assert m["fun"] - f_ref <= m["gap"] * (1 + 1e-12)


# --- methods against CVXPY -------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["fw_t", "pcp_apg"])
def test_cpcp_reaches_cvxpy(method, backend):
    xp = namespace_by_name(backend)
    p = _cpcp(xp)
    tol = 1e-5 if method == "fw_t" else 1e-8
    res = optkit.solve(p, method=method, tol=tol, max_iter=5000)
    assert res.success, res
    f_ref = _reference("cpcp")
    assert abs(res.fun - f_ref) / f_ref <= (1e-4 if method == "fw_t" else 1e-6)
    assert res.fun == pytest.approx(p.objective(res.x), rel=1e-9)
    assert res.backend == backend_name(xp) and type(res.x.L) is type(p.M)
    factors = res.info["factors"]
    L = to_numpy(res.x.L)
    Lf = to_numpy(factors.U) * to_numpy(factors.s) @ to_numpy(factors.V).T
    np.testing.assert_allclose(Lf, L, atol=1e-9 * max(1.0, np.abs(L).max()))


@pytest.mark.parametrize("backend", BACKENDS)
def test_fw_p_reaches_cvxpy(backend):
    xp = namespace_by_name(backend)
    p = _con(xp)
    res = optkit.solve(p, method="fw_p", tol=1e-5, max_iter=5000)
    assert res.success, res
    f_ref = _reference("con")
    assert abs(res.fun - f_ref) / f_ref <= 1e-4
    L, S = (to_numpy(a) for a in res.x)
    assert nuclear_norm(L) <= p.tau_L * (1 + 1e-9) and np.abs(S).sum() <= p.tau_S * (1 + 1e-9)


def test_plain_fw_t_without_refinement_descends_and_bounds_stay_valid():
    p = _cpcp()
    f_ref = _reference("cpcp")
    res = optkit.solve(p, method="fw_t", refine=0, tol=1e-2, max_iter=20000)
    assert res.success
    assert np.all(np.diff(res.history["fun"]) <= 1e-12 * res.history["fun"][0])
    assert res.fun - f_ref <= res.gap * (1 + 1e-9)
    assert res.info["bound_L"] * p.lam_L >= f_ref and res.info["bound_S"] * p.lam_S >= f_ref



@pytest.mark.parametrize("method", ["fw_t", "fw_p"])
def test_grown_refinement_adds_several_directions_and_descends(method):
    M, L0, S0, mask = lowrank_sparse_instance(60, 50, rank=6, noise=0.01, observed=0.9, seed=11)
    p = (CompressivePCP.from_noise_level(M, mask, delta=0.02) if method == "fw_t"
         else ConstrainedCPCP(M, mask, tau_L=nuclear_norm(L0), tau_S=float(np.abs(S0[mask]).sum())))
    grown = optkit.solve(p, method=method, max_iter=3, tol=1e-12)
    plain = optkit.solve(p, method=method, max_iter=3, tol=1e-12, grow=False)
    assert plain.info["rank"] <= 3 < grown.info["rank"]
    fun = optkit.solve(p, method=method, tol=1e-12, max_iter=300).history["fun"]
    assert np.all(np.diff(fun) <= 1e-12 * fun[0])


def test_ftol_rule_stops_as_stalled():
    res = optkit.solve(_cpcp(), method="fw_t", tol=1e-12, ftol=1e-3, stall_checks=5, refine=0)
    assert res.status is Status.STALLED and not res.success


def test_fw_t_warm_start_from_factors():
    p = _cpcp()
    first = optkit.solve(p, method="fw_t", tol=1e-3)
    warm = optkit.solve(p, method="fw_t", tol=1e-5, x0=(first.info["factors"], first.x.S))
    cold = optkit.solve(p, method="fw_t", tol=1e-5)
    assert warm.success and warm.nit < cold.nit


@pytest.mark.parametrize("backend", BACKENDS)
def test_ialm_recovers_planted_decomposition(backend):
    xp = namespace_by_name(backend)
    M, L0, S0, mask = lowrank_sparse_instance(60, 40, rank=2, density=0.05, observed=0.9, seed=3)
    p = RobustPCA(asarray(M, xp=xp), mask=asarray(mask, xp=xp))
    res = optkit.solve(p, method="ialm", tol=1e-8)
    assert res.success and res.info["rank"] == 2
    assert np.linalg.norm(to_numpy(res.x.L) - L0) / np.linalg.norm(L0) < 1e-5
    assert res.primal_residual <= 1e-8


# --- the solver contract for methods outside the conformance pairs ---------------------------------

@pytest.mark.parametrize("make,method", [(_cpcp, "fw_t"), (_cpcp, "pcp_apg"), (_con, "fw_p")])
@pytest.mark.parametrize("backend", BACKENDS)
def test_float32_namespace_and_dtype(make, method, backend):
    xp = namespace_by_name(backend)
    p = make(xp, xp.float32)
    res = optkit.solve(p, method=method, tol=1e-3 if method != "pcp_apg" else 1e-5, max_iter=3000)
    assert res.success
    for block in res.x:
        assert block.dtype == xp.float32 and type(block) is type(p.M)
    # as many iterations as in float64: the factors of L are kept in float64
    res64 = optkit.solve(make(xp), method=method, tol=1e-3 if method != "pcp_apg" else 1e-5, max_iter=3000)
    assert res.nit <= 2 * res64.nit + 5


@pytest.mark.parametrize("make,method", [(_cpcp, "fw_t"), (_cpcp, "pcp_apg"), (_con, "fw_p")])
def test_contract(make, method):
    p = make()
    res = optkit.solve(p, method=method, tol=1e-14, max_iter=3)
    assert res.status is Status.MAX_ITER and res.nit == 3 and len(res.history["nit"]) == 4
    seen = []
    res = optkit.solve(p, method=method, tol=1e-14, callback=lambda info: seen.append(info.nit) or len(seen) >= 2)
    assert res.status is Status.CALLBACK_STOP and seen == [1, 2]
    with pytest.raises(TypeError, match="valid options"):
        optkit.solve(p, method=method, no_such_option=1)
    a = optkit.solve(p, method=method, tol=1e-4)
    b = optkit.solve(p, method=method, tol=1e-4)
    assert a.nit == b.nit
    np.testing.assert_array_equal(to_numpy(a.x.L), to_numpy(b.x.L))


def test_bad_options_and_x0():
    p = _cpcp()
    with pytest.raises(ValueError, match="refine"):
        optkit.solve(p, method="fw_t", refine=-1)
    with pytest.raises(ValueError, match="x0.L must have shape"):
        optkit.solve(p, method="fw_t", x0=(np.zeros((3, 3)), np.zeros(p.shape)))
    with pytest.raises(ValueError, match="feasible"):
        optkit.solve(_con(), method="fw_p", x0=(100 * np.ones(_con().shape), np.zeros(_con().shape)))
    with pytest.raises(ValueError, match="rho"):
        optkit.solve(RobustPCA(np.ones((3, 3))), method="ialm", rho=0.5)


# --- data --------------------------------------------------------------------------------------------

def test_surveillance_video():
    v = surveillance_video(12, height=36, width=44, object_size=(8, 6), missing=0.2, seed=5)
    assert v.M.shape == (36 * 44, 12) and v.frame_shape == (36, 44)
    assert np.linalg.matrix_rank(v.low_rank()) == 1
    assert 0 < v.foreground.mean() < 0.3
    assert np.all(np.isnan(v.M[~v.observed])) and np.all(np.isfinite(v.M[v.observed]))
    full = surveillance_video(12, height=36, width=44, object_size=(8, 6), seed=5)
    S0 = full.sparse()
    assert np.all(S0[~full.foreground] == 0)
    assert f_measure(S0, full.foreground, threshold=0.0) == pytest.approx(
        2 * np.mean(S0[full.foreground] != 0) / (1 + np.mean(S0[full.foreground] != 0)))
    assert full.relative_error_L(full.low_rank()) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match="missing"):
        surveillance_video(3, missing=1.0)


def test_video_separation_small():
    v = surveillance_video(30, height=36, width=44, object_size=(9, 7), n_objects=2, seed=2)
    p = CompressivePCP.from_noise_level(v.M, delta=1e-3)
    res = optkit.solve(p, method="fw_t", tol=1e-3)
    assert res.success
    assert v.relative_error_L(res.x.L) < 0.05
    assert f_measure(res.x.S, v.foreground) > 0.8


def test_thin_svd_type_is_exposed():
    res = optkit.solve(_cpcp(), method="fw_t", tol=1e-3)
    assert isinstance(res.info["factors"], ThinSVD) and res.info["rank"] == res.info["factors"].rank
