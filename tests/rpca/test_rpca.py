"""Robust matrix recovery beyond the conformance suite: the problems' inputs and certificates,
the Frank-Wolfe specifics (monotone descent, valid bounds, rank growth, factored starts), exact
recovery, pure checks on instances where the partial SVDs and the LMO's block iteration are at
work, and the video data."""
from __future__ import annotations

import copy
import dataclasses
import functools
import math
import warnings

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit._registry import all_methods
from optkit.backend import asarray, namespace_by_name, to_numpy
from optkit.datasets import f_measure, lowrank_sparse_instance, surveillance_video
from optkit.linalg import ThinSVD, nuclear_norm
from optkit.problems import CompressivePCP, ConstrainedCPCP, LowRankSparse, RobustPCA
from optkit.validate import reference_solve

from ..conftest import BACKENDS

RPCA_METHODS = ("ialm", "pcp_apg", "fw_t", "fw_p")


def _cpcp(xp=None, dtype=None):
    M, _, _, mask = lowrank_sparse_instance(18, 14, rank=2, noise=0.1, observed=0.8, seed=7)
    xp = xp or namespace_by_name("numpy")
    dtype = dtype or xp.float64
    return CompressivePCP(asarray(M, xp=xp, dtype=dtype), asarray(mask, xp=xp), lam_L=1.0, lam_S=0.25)


def _con():
    M, _, _, mask = lowrank_sparse_instance(16, 12, rank=2, noise=0.1, observed=0.8, seed=8)
    return ConstrainedCPCP(M, mask, tau_L=25.0, tau_S=30.0)


@functools.lru_cache(maxsize=None)
def _medium():
    """90 x 70, rank 4, 85% observed: large enough for partial SVDs (not dense ones) and a
    multi-column LMO block."""
    M, L0, S0, mask = lowrank_sparse_instance(90, 70, rank=4, density=0.05, noise=0.01, observed=0.85, seed=21)
    exact = np.where(mask, L0 + S0, np.nan)  # PCP recovers (L0, S0) from noise-free data
    return {"ialm": RobustPCA(exact, mask=mask),
            "pcp_apg": CompressivePCP.from_noise_level(M, mask, delta=0.02),
            "fw_t": CompressivePCP.from_noise_level(M, mask, delta=0.02),
            "fw_p": ConstrainedCPCP(M, mask, tau_L=0.9 * nuclear_norm(L0), tau_S=0.9 * float(np.abs(S0[mask]).sum()))}


@functools.lru_cache(maxsize=None)
def _reference(name: str) -> float:
    problem = {"cpcp": _cpcp, "con": _con}[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, _, status, _ = reference_solve(problem)
    assert status == "optimal", status
    return problem.objective(x)


def test_every_rpca_method_is_tested_here():
    registered = {name for name, cls in all_methods().items() if cls.__module__.startswith("optkit.solvers.rpca")}
    assert registered == set(RPCA_METHODS)


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
        RobustPCA(M).objective(np.ones((4, 3))[0])


def test_x0_is_validated_by_the_problem():
    p = _cpcp()
    m, n = p.shape
    with pytest.raises(ValueError, match=r"x0.L must have shape"):
        optkit.solve(p, method="fw_t", x0=(np.zeros((3, 3)), np.zeros(p.shape)))
    with pytest.raises(ValueError, match=r"x0.S contains NaN"):
        optkit.solve(p, method="pcp_apg", x0=(np.zeros(p.shape), np.full(p.shape, np.nan)))
    with pytest.raises(ValueError, match=r"x0.L.V must have shape"):
        optkit.solve(p, method="fw_t", x0=(ThinSVD(np.zeros((m, 2)), np.ones(2), np.zeros((n + 1, 2))),
                                           np.zeros(p.shape)))
    with pytest.raises(ValueError, match="feasible"):
        optkit.solve(_con(), method="fw_p", x0=(100 * np.ones(_con().shape), np.zeros(_con().shape)))
    rp = RobustPCA(np.ones((5, 4)))
    with pytest.raises(ValueError, match=r"x0.Y must have shape"):
        optkit.solve(rp, method="ialm", x0=(np.zeros((5, 4)), np.zeros((5, 4)), np.zeros((4, 5))))
    # a factored L comes back as float64 factors in the problem's namespace, the other blocks as copies
    S = np.ones(p.shape)
    L, S0 = p.check_x0((ThinSVD(np.ones((m, 1)) / math.sqrt(m), np.ones(1, dtype=np.float32),
                                np.ones((n, 1)) / math.sqrt(n)), S))
    assert isinstance(L, ThinSVD) and L.s.dtype == np.float64 and S0 is not S


def test_robust_pca_certificate_needs_a_multiplier():
    M, _, _, _ = lowrank_sparse_instance(20, 15, seed=4)
    p = RobustPCA(M)
    res = optkit.solve(p, method="ialm", tol=1e-8)
    assert res.success
    without = p.measures(res.x)
    assert without["optimality"] == math.inf and without["gap"] == math.inf
    assert without["primal_residual"] == pytest.approx(res.primal_residual, rel=1e-10)
    assert p.measures(res.x, dual=res.dual)["optimality"] <= 1e-8


def test_default_weights():
    M, _, _, mask = lowrank_sparse_instance(30, 20, observed=0.75, seed=1)
    assert RobustPCA(M).lam == pytest.approx(1 / math.sqrt(30))
    p = CompressivePCP.from_noise_level(M, mask, delta=1e-2)
    rho = mask.mean()
    nrm = np.linalg.norm(np.where(mask, M, 0))
    assert p.lam_L == pytest.approx(1e-2 * rho * nrm)
    assert p.lam_S == pytest.approx(1e-2 * math.sqrt(rho) * nrm / math.sqrt(30))
    # the measured default rule: APG below full observation (see test_default.py)
    assert optkit.methods(p)[0] == "pcp_apg" and set(optkit.methods(p)) == {"fw_t", "pcp_apg"}
    assert optkit.methods(RobustPCA(M)) == ["ialm"]


def test_gaps_bound_suboptimality():
    rng = np.random.default_rng(0)
    p, f_ref = _cpcp(), _reference("cpcp")
    for _ in range(3):
        m = p.measures(LowRankSparse(rng.standard_normal(p.shape), rng.standard_normal(p.shape)))
        assert 0 < m["fun"] - f_ref <= m["gap"] * (1 + 1e-12)
    # the Frank-Wolfe gap bounds the suboptimality of feasible points
    c, f_ref = _con(), _reference("con")
    for _ in range(3):
        L, S = rng.standard_normal(c.shape), rng.standard_normal(c.shape)
        L *= 0.9 * c.tau_L / nuclear_norm(L)
        S *= 0.9 * c.tau_S / np.abs(S).sum()
        m = c.measures((L, S))
        assert m["infeasibility"] == 0.0 and 0 < m["fun"] - f_ref <= m["gap"] * (1 + 1e-12)


# --- checks are pure, certificates are the problems' own ------------------------------------------

@pytest.mark.parametrize("method", RPCA_METHODS)
def test_checks_are_pure_where_partial_svds_work(method):
    """On an instance where the partial SVDs and the LMO's block iteration are at work (the
    conformance cases are small enough for dense SVDs): the iterates do not depend on
    ``check_every``, a check leaves the state as it was, and the problem's own evaluation
    reproduces the certificate of a run that stopped on it."""
    p = _medium()[method]
    runs = [optkit.solve(p, method=method, tol=1e-14, max_iter=25, check_every=every) for every in (1, 7)]
    assert [r.nit for r in runs] == [25, 25]
    for a, b in zip(runs[0].x, runs[1].x):
        np.testing.assert_array_equal(a, b)

    solver = all_methods()[method](p, all_methods()[method].Options.build(method, tol=1e-6))
    state = solver.init(None)
    for i in range(6):
        state = solver.step(state, measure=i % 2 == 1)
    before = copy.deepcopy(state)
    first, second = solver.check(state), solver.check(state)
    assert first.optimality == second.optimality
    for name, value in vars(before).items():
        after = getattr(state, name)
        pairs = zip(value, after) if isinstance(value, tuple) else [(value, after)]   # ThinSVD, tuples of arrays
        for v, a in pairs:
            if hasattr(v, "shape"):
                np.testing.assert_array_equal(v, a, err_msg=name)
            else:
                assert v == a, name

    res = optkit.solve(p, method=method, tol=1e-6, max_iter=3000)
    assert res.success, res
    own = p.measures(res.x, **({} if res.dual is None else {"dual": res.dual}))
    assert own["optimality"] == pytest.approx(res.optimality, rel=1e-6, abs=1e-9)


# --- the Frank-Wolfe methods -----------------------------------------------------------------------

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


def test_fw_p_stays_feasible():
    p = _con()
    res = optkit.solve(p, method="fw_p", tol=1e-5, max_iter=5000)
    assert res.success and res.infeasibility == 0.0
    L, S = (to_numpy(a) for a in res.x)
    assert nuclear_norm(L) <= p.tau_L * (1 + 1e-9) and np.abs(S).sum() <= p.tau_S * (1 + 1e-9)


def test_authors_stopping_rule_stops_as_stalled():
    """The authors' rule, a relative objective change below ftol for 5 checks, is the run loop's
    stall rule: status STALLED, not a certified solution."""
    res = optkit.solve(_cpcp(), method="fw_t", tol=1e-12, ftol=1e-3, stall_checks=5, refine=0)
    assert res.status is Status.STALLED and not res.success and res.optimality > 1e-12


@pytest.mark.parametrize("method", RPCA_METHODS)
def test_factors_of_L_come_with_the_result(method):
    p = _medium()[method]
    res = optkit.solve(p, method=method, tol=1e-4, max_iter=3000)
    f = res.info["factors"]
    assert isinstance(f, ThinSVD) and res.info["rank"] == f.rank > 0
    L = to_numpy(res.x.L)
    np.testing.assert_allclose(to_numpy(f.U) * to_numpy(f.s) @ to_numpy(f.V).T, L,
                               atol=1e-9 * np.abs(L).max())


@pytest.mark.parametrize("method", ["fw_t", "pcp_apg"])
def test_warm_start_from_factors(method):
    """A ThinSVD L starts the Frank-Wolfe methods without an SVD and APG with its block in place."""
    p = _cpcp()
    first = optkit.solve(p, method=method, tol=1e-3)
    warm = optkit.solve(p, method=method, tol=1e-5, x0=(first.info["factors"], first.x.S))
    cold = optkit.solve(p, method=method, tol=1e-5)
    assert warm.success and warm.nit < cold.nit


def test_ialm_warm_start_from_factors_and_multiplier():
    M, _, _, mask = lowrank_sparse_instance(40, 30, rank=2, density=0.05, observed=0.9, seed=3)
    p = RobustPCA(M, mask=mask)
    first = optkit.solve(p, method="ialm", tol=1e-6)
    again = optkit.solve(p, method="ialm", tol=1e-6, x0=(first.info["factors"], first.x.S, first.dual))
    assert again.success and again.nit == 0 and again.info["rank"] == first.info["rank"]
    # without the multiplier the start is good but the multiplier must be rebuilt
    primal_only = optkit.solve(p, method="ialm", tol=1e-6, x0=first.x)
    assert primal_only.success and primal_only.info["rank"] == first.info["rank"]


def test_fw_float32_takes_about_as_many_iterations_as_float64():
    """The factors of L are kept in float64: in float32 they stalled near a 1e-3 gap."""
    xp = namespace_by_name("numpy")
    runs = [optkit.solve(_cpcp(xp, dtype), method="fw_t", tol=1e-3, max_iter=3000) for dtype in (xp.float32, xp.float64)]
    assert runs[0].success and runs[0].x.L.dtype == np.float32
    assert runs[0].nit <= 2 * runs[1].nit + 5


# --- exact recovery, data ---------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_ialm_recovers_planted_decomposition(backend):
    xp = namespace_by_name(backend)
    M, L0, S0, mask = lowrank_sparse_instance(60, 40, rank=2, density=0.05, observed=0.9, seed=3)
    p = RobustPCA(asarray(M, xp=xp), mask=asarray(mask, xp=xp))
    res = optkit.solve(p, method="ialm", tol=1e-8)
    assert res.success and res.info["rank"] == 2
    assert np.linalg.norm(to_numpy(res.x.L) - L0) / np.linalg.norm(L0) < 1e-5
    assert res.primal_residual <= 1e-8


@pytest.mark.parametrize("method", RPCA_METHODS)
def test_data_scale_changes_neither_the_iterations_nor_the_answer(method):
    """Every rpca method is scale-equivariant: data scaled by 1e-120 or 1e120 gives (about) the
    same iteration count and the scaled answer (iALM's residual balancing once stalled below 1e-3)."""
    M, L0, S0, _ = lowrank_sparse_instance(30, 20, rank=2, seed=4)
    nuc, l1 = nuclear_norm(L0), float(np.abs(S0).sum())
    make, power = {  # the objective scales with the data (homogeneous terms) or its square (quadratic)
        "ialm": (lambda M, c: RobustPCA(M), 1),
        "pcp_apg": (lambda M, c: CompressivePCP.from_noise_level(M, delta=0.01), 2),
        "fw_t": (lambda M, c: CompressivePCP.from_noise_level(M, delta=0.01), 2),
        "fw_p": (lambda M, c: ConstrainedCPCP(M, tau_L=0.9 * c * nuc, tau_S=0.9 * c * l1), 2),
    }[method]
    base = optkit.solve(make(M, 1.0), method=method)
    assert base.success
    for scale in (1e-120, 1e120):
        res = optkit.solve(make(M * scale, scale), method=method)
        # equal up to a check that lands on the other side of tol by rounding
        assert res.success and abs(res.nit - base.nit) <= max(1, base.nit // 20)
        assert res.fun / scale ** power == pytest.approx(base.fun, rel=1e-6)


def test_data_beyond_float64_squares_is_refused_by_name():
    M, *_ = lowrank_sparse_instance(20, 15, rank=2, seed=0)
    for scale in (1e-170, 1e170):
        with pytest.raises(ValueError, match="M's largest entry has magnitude"):
            RobustPCA(M * scale)
        with pytest.raises(ValueError, match="M's largest entry"):
            CompressivePCP.from_noise_level(M * scale, delta=0.01)


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


def test_the_reference_refuses_sizes_it_cannot_solve_in_reasonable_time():
    M, *_ = lowrank_sparse_instance(60, 50, rank=3, seed=0)
    with pytest.raises(ValueError, match="max_dim"):
        optkit.validate(RobustPCA(M), optkit.solve(RobustPCA(M)))
    prob, _ = CompressivePCP.from_noise_level(M, delta=0.01).to_cvxpy(max_dim=None)  # built on request
    assert prob.is_dcp()


@pytest.mark.parametrize("tol", [1e-3, 1e-6])
def test_fw_t_line_search_sums_match_the_fused_pass(tol):
    """Without a mask FW-T reads the line search's inner products over alpha off the sums of its
    last pass, the factors of L and the LMO's Ritz value (from the float32 copy of G at tol 1e-3);
    they agree with the direct pass (fw_quadratic with dS0 = 0: S is not stored)."""
    from optkit.kernels import rpca as rpca_kernels
    from optkit.solvers.rpca.frank_wolfe import FWT

    M = lowrank_sparse_instance(40, 30, rank=3, noise=0.05, seed=3)[0]
    p = CompressivePCP.from_noise_level(M, delta=1e-2)
    solver = FWT(p, FWT.Options(tol=tol))
    st = solver.init(None)
    for _ in range(4):
        st = solver.step(st, True)
        assert st.quad is not None and st.owned and st.S is None and st.low_g == (tol == 1e-3)
        assert (st.G is None) == st.low_g  # G stored only as its float32 copy
        u, v = st.lmo.U[:, 0], st.lmo.V[:, 0]
        for c in (-st.bound_L, 0.0):
            want = rpca_kernels.fw_quadratic(solver._residual(st), st.L, np.zeros(p.shape), None, u, v, c)
            got = solver._quadratic(st, u, v, c)
            assert got[1:3] == (0.0, 0.0) and got[4] == 0.0
            np.testing.assert_allclose([got[0], got[3]], [want[0], want[3]], rtol=1e-8 if tol < 1e-3 else 1e-6,
                                       atol=1e-10 * (1 + st.sq))


@pytest.mark.parametrize("radius", ["tau_L", "tau_S"])
def test_fw_p_with_radii_below_the_datas_rounding_unit(radius):
    """A radius far below the data (tau_L = 1e-20 with entries of order 1) made the projection onto
    the nuclear ball fail inside NumPy (an empty reduction); the answer is the other block alone."""
    p = dataclasses.replace(_con(), **{radius: 1e-20})
    res = optkit.solve(p, method="fw_p", tol=1e-3, max_iter=2000)
    assert res.success and p.measures(res.x)["optimality"] <= 1e-3
    size = nuclear_norm(to_numpy(res.x.L)) if radius == "tau_L" else float(np.abs(to_numpy(res.x.S)).sum())
    assert size <= 1e-20
