"""CompressivePCP's default method: the rule measured in ``benchmarks/_rpca_default.py``, and the
instance on which the former default (``fw_t`` everywhere) stopped at its iteration limit; RobustPCA's
default (``ialm``) on the instances where it stopped at its limit."""
from __future__ import annotations

import numpy as np
import pytest

import optkit
from optkit import Status
from optkit.datasets import lowrank_sparse_instance
from optkit.problems import CompressivePCP, RobustPCA


def _instance(m, n, rank, observed, delta, seed=0):
    M, _, _, mask = lowrank_sparse_instance(m, n, rank=rank, noise=0.01, observed=observed, seed=seed)
    return CompressivePCP.from_noise_level(M, mask, delta=delta)


def test_the_default_converges_where_fw_t_stopped_at_its_limit():
    # 60 x 50, rank 3, half the entries observed, delta 1e-3: fw_t stopped at 1000 iterations with a
    # relative gap of 8e-2; the default now reaches its tolerance
    problem = _instance(60, 50, 3, 0.5, 1e-3)
    res = optkit.solve(problem)
    assert res.method == "pcp_apg" and res.status is Status.OPTIMAL and res.success
    assert problem.measures(res.x)["optimality"] <= 1e-4  # pcp_apg's default tol


@pytest.mark.parametrize("m,n,observed,delta,expected", [
    (60, 50, 0.5, 1e-3, "pcp_apg"),      # fw_t: MAX_ITER
    (200, 150, 0.9, 1e-3, "pcp_apg"),    # both converge, APG 10x faster
    (60, 50, 0.3, 1e-2, "pcp_apg"),      # fw_t: MAX_ITER
    (200, 150, 0.7, 1e-2, "pcp_apg"),    # APG 2.6x faster (the former APG was 1.3x slower)
    (1000, 200, 1.0, 1e-2, "pcp_apg"),   # APG 1.3x faster (the former APG was 3.5x slower)
    (1000, 200, 0.9, 3e-2, "pcp_apg"),   # even
    (60, 50, 1.0, 3e-2, "pcp_apg"),      # APG 1.6x faster
    (200, 150, 1.0, 3e-2, "fw_t"),       # FW-T 1.0-1.5x faster
    (1000, 200, 1.0, 3e-2, "fw_t"),      # FW-T 1.3-1.7x faster
])
def test_the_measured_rule(m, n, observed, delta, expected):
    assert _instance(m, n, 3, observed, delta).default_method == expected


def test_the_rule_reads_the_weights_not_how_they_were_made():
    made = _instance(200, 150, 3, 1.0, 1e-2)
    given = CompressivePCP(made.M, made.mask, lam_L=made.lam_L, lam_S=made.lam_S)
    assert made.noise_level == pytest.approx(1e-2) and given.noise_level == made.noise_level
    assert given.default_method == made.default_method == "pcp_apg"
    assert CompressivePCP(made.M, made.mask, lam_L=made.lam_L * 3, lam_S=made.lam_S).default_method == "fw_t"


def test_large_fully_observed_matrices_default_to_fw_t():
    # fully observed videos (delta 1e-3, quiet machine): APG was faster at 25344 x 150 (3.8e6 entries),
    # FW-T from 25344 x 200 (5.1e6) on
    M = np.ones((10_000, 600), dtype=np.float32)
    M[0, 0] = 2.0
    assert CompressivePCP.from_noise_level(M, delta=1e-4).default_method == "fw_t"
    assert CompressivePCP.from_noise_level(M[:, :400], delta=1e-3).default_method == "pcp_apg"
    # with entries missing and a low noise level, FW-T stopped at its limit on the 25344 x 40 video
    # at 75% observed while APG converged
    mask = np.ones((10_000, 600), dtype=bool)
    mask[::4, ::3] = False
    assert CompressivePCP.from_noise_level(M, mask, delta=1e-3).default_method == "pcp_apg"


@pytest.mark.slow
def test_the_default_converges_on_the_partly_observed_video():
    # 25344 x 40, 75% observed, delta 1e-3: an earlier rule chose fw_t, which stopped at 1000
    # iterations; APG converges in about 170
    from optkit.datasets import surveillance_video
    v = surveillance_video(40, missing=0.25, seed=0)
    problem = CompressivePCP.from_noise_level(v.M, v.observed, delta=1e-3)
    res = optkit.solve(problem)
    assert res.method == "pcp_apg" and res.status is Status.OPTIMAL and res.success


@pytest.mark.slow
def test_robust_pca_default_converges_on_a_short_video():
    # 25344 x 12, fully observed: iALM stopped at its former 1000-iteration limit at 3.8e-5 (tol 1e-7),
    # where the 200-frame video converges in 49 iterations; it needs about 1760 (a slow tail: thousands of
    # foreground entries of S below 1e-2 settle at ADMM's linear rate)
    from optkit.datasets import surveillance_video
    v = surveillance_video(12, missing=0.0, seed=0)
    problem = RobustPCA(v.M, mask=v.observed)
    res = optkit.solve(problem)
    assert res.status is Status.OPTIMAL and res.success
    assert problem.measures(res.x, dual=res.dual)["optimality"] == pytest.approx(res.optimality, rel=1e-6)


@pytest.mark.parametrize("m,n,seed", [(30, 20, 3), (20, 15, 1)])
def test_robust_pca_default_converges_on_small_noise_free_instances(m, n, seed):
    # (30, 20, 3): residual balancing without the halved exponent kept mu alternating between 2.1, 3.1
    # and 4.6 and the iterates at a primal residual of 1e-5 and a gap of 3e-3 for 3000 iterations; it
    # converges in about 500 now. (20, 15, 1) converges in about 1070, past the former 1000-iteration cap.
    M = lowrank_sparse_instance(m, n, seed=seed)[0]
    problem = RobustPCA(M)
    res = optkit.solve(problem)
    assert res.status is Status.OPTIMAL and res.success and res.optimality <= 1e-7
    assert problem.measures(res.x, dual=res.dual)["optimality"] == pytest.approx(res.optimality, rel=1e-6)


def test_pcp_apg_does_not_stall_when_a_singular_value_sits_just_above_its_threshold():
    # 60 x 50, 90% observed, delta 1e-3, seed 1: the partial SVT dropped a singular value 1% above
    # lam_L, and APG stayed at rank 8 with a relative gap of 9e-3 for thousands of iterations
    problem = _instance(60, 50, 3, 0.9, 1e-3, seed=1)
    res = optkit.solve(problem, method="pcp_apg", max_iter=1000)
    assert res.status is Status.OPTIMAL and res.success
