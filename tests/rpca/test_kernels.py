"""The robust-recovery kernels against their twins, and the 2-d box QP of the Frank-Wolfe line search."""
from __future__ import annotations

import numpy as np
import pytest

from optkit import kernels
from optkit.backend import asarray, namespace_by_name, to_numpy
from optkit.kernels import rpca as rpca_kernels
from optkit.solvers.rpca.frank_wolfe import box_qp

from ..conftest import BACKENDS


def test_box_qp_is_the_exact_minimiser():
    rng = np.random.default_rng(3)
    X, Y = np.meshgrid(np.linspace(0, 1, 201), np.linspace(0, 1, 201))
    for _ in range(100):
        B = rng.standard_normal((2, 2)) * rng.choice([0.0, 1.0], size=(2, 1))
        H = B @ B.T
        f = rng.standard_normal(2)
        a, b = box_qp(H[0, 0], H[0, 1], H[1, 1], f[0], f[1])
        assert 0 <= a <= 1 and 0 <= b <= 1

        def q(x, y):
            return 0.5 * (H[0, 0] * x * x + 2 * H[0, 1] * x * y + H[1, 1] * y * y) + f[0] * x + f[1] * y

        best = float(np.min(q(X, Y)))
        assert q(a, b) <= best + 1e-12


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_kernels_match_twins(masked, dtype, numba_build):
    rng = np.random.default_rng(4)
    m, n = 37, 29
    L, S, M = (rng.standard_normal((m, n)).astype(dtype) for _ in range(3))
    W = (rng.random((m, n)) < 0.7).astype(dtype) if masked else None
    M = M if W is None else M * W
    u, v = rng.standard_normal(m).astype(dtype), rng.standard_normal(n).astype(dtype)
    ref = rpca_kernels.twin
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    R1, sq1, k1, mx1 = rpca_kernels.lowrank_residual(L, S, M, W)
    R2, sq2, k2, mx2 = ref.lowrank_residual(L, S, M, W)
    np.testing.assert_allclose(R1, R2, rtol=rtol)
    assert sq1 == pytest.approx(sq2, rel=rtol) and mx1 == pytest.approx(mx2, rel=rtol)
    assert abs(float(R1.reshape(-1)[k1])) == mx1
    q1 = rpca_kernels.fw_quadratic(R1, L, S, W, u, v, -1.7)
    q2 = ref.fw_quadratic(R1, L, S, W, u, v, -1.7)
    np.testing.assert_allclose(q1, q2, rtol=1e-4 if dtype == np.float32 else 1e-11)
    L0, S0 = L.copy(), S.copy()
    out1 = rpca_kernels.fw_update(L, S, M, W, u, v, -1.7, 0.3, 0.6, 5, 7, 0.9, 0.2)
    out2 = ref.fw_update(L, S, M, W, u, v, -1.7, 0.3, 0.6, 5, 7, 0.9, 0.2)
    np.testing.assert_array_equal(L, L0)  # inputs untouched
    np.testing.assert_array_equal(S, S0)
    for a, b in zip(out1[:3], out2[:3]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6 if dtype == np.float32 else 1e-13)
    sq, k, mx, l1, gm = out1[3:]
    assert gm == pytest.approx(out2[7], rel=1e-4 if dtype == np.float32 else 1e-11)
    assert gm == pytest.approx(float(np.sum(out2[2].astype(np.float64) * M)), rel=1e-4 if dtype == np.float32 else 1e-11)
    assert sq == pytest.approx(out2[3], rel=1e-4 if dtype == np.float32 else 1e-11)
    assert l1 == pytest.approx(out2[6], rel=1e-4 if dtype == np.float32 else 1e-11)
    assert mx == pytest.approx(out2[5], rel=rtol)
    assert abs(float(out1[2].reshape(-1)[k])) == pytest.approx(mx, rel=rtol)  # ties may pick another index
    if W is None:
        # the proximal step alone (no Frank-Wolfe step): the sums of fw_update at that point
        zm, zn = np.zeros(m, dtype), np.zeros(n, dtype)
        want = ref.fw_update(L, S, M, None, zm, zn, 0.0, 0.0, 0.0, 0, 0, 0.0, 0.2)
        got = rpca_kernels.fw_prox(L, M, 0.2)
        twin_prox = ref.fw_prox(L, M, 0.2)
        for a, b in zip(got[:2], want[1:3]):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6 if dtype == np.float32 else 1e-13)
        for a, b in zip(got[2:7], want[3:]):
            if not isinstance(a, int):
                np.testing.assert_allclose(a, b, rtol=1e-4 if dtype == np.float32 else 1e-11)
        S1, G1, L1 = (a.astype(np.float64) for a in (got[0], got[1], L))
        sums = [np.sum(a * b) for a, b in ((L1, L1), (L1, S1), (S1, S1), (G1, L1), (G1, S1))]
        np.testing.assert_allclose(got[7], sums, rtol=1e-4 if dtype == np.float32 else 1e-11)
        np.testing.assert_allclose(twin_prox[7], sums, rtol=1e-4 if dtype == np.float32 else 1e-11)
        assert abs(float(got[1].reshape(-1)[got[3]])) == pytest.approx(got[4], rel=rtol)
        # with low the pass also writes G rounded to float32, into a buffer where one is given
        assert got[8] is None and twin_prox[8] is None
        buf = np.empty((m, n), np.float32)
        for lo in (rpca_kernels.fw_prox(L, M, 0.2, low=True, low_out=buf, low_scale=5.0),
                   ref.fw_prox(L, M, 0.2, True, 5.0)):
            assert lo[8].dtype == np.float32
            np.testing.assert_allclose(lo[8], lo[1].astype(np.float64) * 5.0, rtol=2.0 ** -23)  # rounded once
            np.testing.assert_allclose(lo[1], got[1], rtol=rtol, atol=1e-6 if dtype == np.float32 else 1e-13)
        assert rpca_kernels.fw_prox(L, M, 0.2, low=True, low_out=buf)[8] is buf
        # store_s=False, store_g=False: the same pass, sums, maximum and copy, S and G not stored
        no_s = rpca_kernels.fw_prox(L, M, 0.2, store_s=False)
        assert no_s[0] is None
        np.testing.assert_array_equal(no_s[1], got[1])
        lean = rpca_kernels.fw_prox(L, M, 0.2, low=True, store_s=False, store_g=False)
        assert lean[0] is None and lean[1] is None
        np.testing.assert_array_equal(lean[8], got[1].astype(np.float32))
        for a, b in zip(lean[4:8], got[4:8]):
            np.testing.assert_allclose(a, b, rtol=1e-4 if dtype == np.float32 else 1e-11)
        assert lean[2] == pytest.approx(got[2], rel=1e-4 if dtype == np.float32 else 1e-11)
        assert abs(float(got[1].reshape(-1)[lean[3]])) == pytest.approx(lean[4], rel=rtol)  # ties: another index
        # the residual alone: the same G, whatever the sparse step (the old S drops out)
        G_only = rpca_kernels.fw_residual(L, M, u, v, -1.7, 0.3, 0.2)
        np.testing.assert_array_equal(G_only, out1[2])
        np.testing.assert_allclose(ref.fw_residual(L, M, u, v, -1.7, 0.3, 0.2), out2[2], rtol=rtol,
                                   atol=1e-6 if dtype == np.float32 else 1e-13)
        # low: the same residual rounded to float32, into a buffer where one is given
        G_low = rpca_kernels.fw_residual(L, M, u, v, -1.7, 0.3, 0.2, G_out=buf, low=True, low_scale=5.0)
        assert G_low is buf
        np.testing.assert_allclose(G_low, G_only.astype(np.float64) * 5.0, rtol=2.0 ** -23)
    # in place: the pass is elementwise, so the outputs may overwrite L and S
    L3, S3, G3 = L.copy(), S.copy(), np.empty_like(L)
    out3 = rpca_kernels.fw_update(L3, S3, M, W, u, v, -1.7, 0.3, 0.6, 5, 7, 0.9, 0.2, G_out=G3, L_out=L3, S_out=S3)
    assert out3[0] is L3 and out3[1] is S3 and out3[2] is G3
    for a, b in zip(out3, out1):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("backend", BACKENDS)
def test_lowrank_dense_fills_the_buffer(backend):
    xp = namespace_by_name(backend)
    rng = np.random.default_rng(9)
    U, s, V = rng.standard_normal((7, 3)), np.array([3.0, 2.0, 0.5]), rng.standard_normal((5, 3))
    want = (U * s) @ V.T
    args = [asarray(a, xp=xp) for a in (U, s, V)]
    out = xp.zeros((7, 5), dtype=xp.float64)
    got = rpca_kernels.lowrank_dense(*args, (7, 5), xp.float64, out=out)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-13)
    if backend == "numpy":
        assert got is out
    got32 = rpca_kernels.lowrank_dense(*args, (7, 5), xp.float32, out=out)
    assert got32.dtype == xp.float32
    np.testing.assert_allclose(to_numpy(got32), want, rtol=1e-6)


@pytest.mark.parametrize("radius", [0.5, 3.0, 1e3])
def test_l1_ball_threshold_matches_twin(radius):
    rng = np.random.default_rng(5)
    z = rng.standard_normal((20, 15))
    t1 = kernels.l1_ball_threshold(z, radius)
    t2 = kernels.twin.l1_ball_threshold(z, radius)
    assert t1 == pytest.approx(t2, rel=1e-12, abs=1e-15)
    out = kernels.soft_threshold(z, t1)
    assert np.abs(out).sum() == pytest.approx(min(radius, np.abs(z).sum()), rel=1e-12)


@pytest.mark.parametrize("masked", [False, True])
def test_ialm_kernels_match_twins(masked, numba_build):
    rng = np.random.default_rng(6)
    m, n = 23, 31
    M, L, Lp, S, Y = (rng.standard_normal((m, n)) for _ in range(5))
    W = (rng.random((m, n)) < 0.6).astype(float) if masked else None
    if W is not None:
        M, Y, S = M * W, Y * W, S * W
    np.testing.assert_allclose(rpca_kernels.ialm_svt_input(M, S, Y, L, W, 2.5),
                               rpca_kernels.twin.ialm_svt_input(M, S, Y, L, W, 2.5), rtol=1e-13)
    out1 = rpca_kernels.ialm_multiplier_step(M, L, Lp, S, Y, W, 2.5, 0.3)
    out2 = rpca_kernels.twin.ialm_multiplier_step(M, L, Lp, S, Y, W, 2.5, 0.3)
    # L formed from its factors by the same pass
    Us, V = rng.standard_normal((m, 3)), rng.standard_normal((n, 3))
    out3 = rpca_kernels.ialm_multiplier_step(M, None, Lp, S, Y, W, 2.5, 0.3, factors=(Us, V))
    out4 = rpca_kernels.twin.ialm_multiplier_step(M, Us @ V.T, Lp, S, Y, W, 2.5, 0.3)
    for one, two in ((out1, out2), (out3, out4)):
        for a, b in zip(one[:3], two[:3]):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
        for a, b in zip(one[3:8], two[3:8]):
            assert a == pytest.approx(b, rel=1e-12)
        np.testing.assert_allclose(one[8], two[8], rtol=1e-12)
        assert len(one) == len(two) == 9
    Yw = out2[2] if W is None else out2[2] * W
    assert out2[6] == pytest.approx(float(np.sum(Yw * M)), rel=1e-12)
    assert out2[7] == np.abs(Yw).max()


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("d", [1, 3])
def test_ialm_deflated_input_matches_twin(masked, d, numba_build):
    """The deflated float32 input, its factor A = X V, T = A^T X_d and ||X_d||^2 agree with the twin,
    and reassemble the float64 Gram matrix of the undeflated input."""
    rng = np.random.default_rng(7)
    m, n = 41, 19
    M, L, S, Y = (rng.standard_normal((m, n)) for _ in range(4))
    W = (rng.random((m, n)) < 0.6).astype(float) if masked else None
    V = np.linalg.qr(rng.standard_normal((n, d)))[0]
    Xd, A, T, fro2 = rpca_kernels.ialm_svt_input_deflated(M, S, Y, L, W, 2.5, V)
    Xd2, A2, T2, fro22 = rpca_kernels.twin.ialm_svt_input_deflated(M, S, Y, L, W, 2.5, V)
    assert Xd.dtype == Xd2.dtype == np.float32
    np.testing.assert_allclose(Xd, Xd2, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(A, A2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(T, T2, rtol=1e-12, atol=1e-12)
    assert fro2 == pytest.approx(fro22, rel=1e-12)
    X = rpca_kernels.ialm_svt_input(M, S, Y, L, W, 2.5)
    VT = V @ T
    G = V @ (A.T @ A) @ V.T + VT + VT.T + Xd.astype(float).T @ Xd.astype(float)
    np.testing.assert_allclose(G, X.T @ X, rtol=0, atol=1e-5 * np.abs(X.T @ X).max())


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("beta", [0.0, 0.4])
def test_apg_kernels_match_twins(masked, beta, numba_build):
    rng = np.random.default_rng(8)
    m, n = 29, 23
    L, Lp, M, Ln = (rng.standard_normal((m, n)) for _ in range(4))
    W = (rng.random((m, n)) < 0.6).astype(float) if masked else None
    M = M if W is None else M * W
    ins = [a.copy() for a in (L, Lp, M, Ln)]
    X1 = rpca_kernels.apg_huber_input(L, Lp, M, W, beta, 0.3)
    X2 = rpca_kernels.twin.apg_huber_input(L, Lp, M, W, beta, 0.3)
    np.testing.assert_allclose(X1, X2, rtol=1e-13, atol=1e-15)
    Y = L + beta * (L - Lp)  # a gradient step of length 1 on the Huber function of Y - M
    G = np.clip(Y - M, -0.3, 0.3) * (1.0 if W is None else W)
    np.testing.assert_allclose(X1, Y - G, rtol=1e-13, atol=1e-15)
    for measure in (False, True):
        out1 = rpca_kernels.apg_huber_step(Ln, L, Lp, M, W, beta, 0.3, measure)
        out2 = rpca_kernels.twin.apg_huber_step(Ln, L, Lp, M, W, beta, 0.3, measure)
        assert len(out1) == len(out2) == 8
        for a, b in zip(out1[:2], out2[:2]):
            assert a == pytest.approx(b, rel=1e-12)
        if measure:
            for a, b in zip(out1[2:4], out2[2:4]):
                np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
            for a, b in zip(out1[4:], out2[4:]):
                assert a == pytest.approx(b, rel=1e-12)
            S, R = out1[2], out1[3]
            w = 1.0 if W is None else W
            np.testing.assert_allclose(R, np.clip(Ln - M, -0.3, 0.3) * w, atol=1e-14)  # the best S leaves R in the box
            assert out1[7] == pytest.approx(np.abs(R).max(), rel=1e-15) and out1[7] <= 0.3 * (1 + 1e-14)
            np.testing.assert_allclose(S, (M - Ln - np.clip(M - Ln, -0.3, 0.3)) * w, atol=1e-14)
        else:
            assert out1[2] is None and out2[2] is None and out1[3] is None
    for a, b in zip((L, Lp, M, Ln), ins):  # inputs untouched
        np.testing.assert_array_equal(a, b)
