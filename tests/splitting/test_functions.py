"""Building blocks of the splitting family: operators, Moreau envelope, TV, transformed l1, operator
least squares; gradients by finite differences, prox maps by their optimality conditions, CVXPY forms."""
from __future__ import annotations

import numpy as np
import pytest

from optkit.backend import namespace_by_name, to_numpy
from optkit.functions import L1Norm, MoreauEnvelope, OperatorSquaredLoss, TotalVariation, TransformedL1
from optkit.operators import DCT, GaussianBlur, Identity, PartialFourier

SHAPE = (6, 7)


def _operators(rng):
    mask = rng.random(SHAPE) < 0.4
    mask[0, 0] = True
    return [Identity(SHAPE), GaussianBlur(SHAPE, 1.3), PartialFourier(mask), DCT(SHAPE)]


def _cvxpy_value(expr_cons, var, x):
    import cvxpy as cp  # noqa: PLC0415

    expr, cons = expr_cons
    prob = cp.Problem(cp.Minimize(expr), [var == x] + list(cons))
    prob.solve(solver=cp.CLARABEL)
    return prob.value


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_operators_adjoint_normal_gram_and_spectrum(backend, rng):
    xp = namespace_by_name(backend)
    for op in _operators(rng):
        op = op.to(xp, xp.float64)
        x = xp.asarray(rng.standard_normal(SHAPE))
        y = op.apply(x)
        w = rng.standard_normal(SHAPE) + (1j * rng.standard_normal(SHAPE) if op.complex_output else 0)
        if op.complex_output:
            w = np.where(to_numpy(op.mask), w, 0)
        lhs = float(np.real(np.vdot(to_numpy(y), w)))
        rhs = float(np.vdot(to_numpy(x), to_numpy(op.adjoint(xp.asarray(w)))))
        assert lhs == pytest.approx(rhs, abs=1e-12)
        np.testing.assert_allclose(to_numpy(op.normal(x)), to_numpy(op.adjoint(y)), atol=1e-12)
        u = op.gram_solve(x, 0.7)
        np.testing.assert_allclose(to_numpy(u + 0.7 * op.normal(u)), to_numpy(x), atol=1e-12)
        gram = np.array([to_numpy(op.normal(xp.asarray(e.reshape(SHAPE)))).ravel() for e in np.eye(x.size)])
        assert op.mean_eigenvalue == pytest.approx(np.trace(gram) / x.size, rel=1e-10)
        assert op.norm_sq == pytest.approx(np.linalg.eigvalsh(0.5 * (gram + gram.T)).max(), rel=1e-10)


def test_operators_cvxpy_forms(rng):
    import cvxpy as cp  # noqa: PLC0415

    x = rng.standard_normal(SHAPE)
    for op in _operators(rng):
        X = cp.Variable(SHAPE)
        re, im, cons = op.to_cvxpy(X)
        cp.Problem(cp.Minimize(0), [X == x] + cons).solve(solver=cp.CLARABEL)
        got = re.value + (1j * im.value if im is not None else 0)
        np.testing.assert_allclose(got, op.apply(x), atol=1e-7)


def test_operator_input_checks():
    with pytest.raises(ValueError, match="sigma"):
        GaussianBlur(SHAPE, -1.0)
    with pytest.raises(ValueError, match="shape"):
        Identity((0, 3))
    with pytest.raises(TypeError, match="mask"):
        PartialFourier(np.ones(SHAPE))
    with pytest.raises(ValueError, match="mask"):
        PartialFourier(np.zeros(SHAPE, dtype=bool))


def _fd_grad_check(f, x, rng, eps=1e-6):
    g = f.grad(x)
    for _ in range(3):
        d = rng.standard_normal(x.shape)
        fd = (f.value(x + eps * d) - f.value(x - eps * d)) / (2 * eps)
        assert fd == pytest.approx(float(np.sum(g * d)), rel=1e-5, abs=1e-6)


def _moreau_prox_check(f, v, t):
    """``u = prox_{t f}(v)`` for smooth ``f``: ``(v - u) / t = grad f(u)``."""
    u = f.prox(v, t)
    np.testing.assert_allclose((v - u) / t, f.grad(u), atol=1e-8 * (1 + np.abs(v).max() / t))


def test_operator_squared_loss(rng):
    for op in _operators(rng)[:3]:
        x0 = rng.standard_normal(SHAPE)
        b = op.apply(x0) + 0.1 * (rng.standard_normal(SHAPE) + (1j * rng.standard_normal(SHAPE) if op.complex_output
                                                              else 0))
        if op.complex_output:
            b = np.where(op.mask, b, 0)
        f = OperatorSquaredLoss(op, b)
        x = rng.standard_normal(SHAPE)
        _fd_grad_check(f, x, rng)
        _moreau_prox_check(f, rng.standard_normal(SHAPE), 0.8)
        assert f.lipschitz == pytest.approx(1.0)
        import cvxpy as cp  # noqa: PLC0415

        X = cp.Variable(SHAPE)
        assert _cvxpy_value(f.to_cvxpy(X), X, x) == pytest.approx(f.value(x), rel=1e-7)


@pytest.mark.parametrize("inner", ["tv", "l1", "dct"])
def test_moreau_envelope(inner, rng):
    g = {"tv": TotalVariation(SHAPE, 1, 0.7), "l1": L1Norm(0.7), "dct": TransformedL1(SHAPE, "dct", 0.7)}[inner]
    sigma = 0.3
    e = MoreauEnvelope(g, sigma)
    x = rng.standard_normal(SHAPE)
    _fd_grad_check(e, x, rng)
    _moreau_prox_check(e, rng.standard_normal(SHAPE), 0.5)
    assert e.lipschitz == pytest.approx(1 / sigma)
    # e <= g <= e + sigma G^2 / 2 with G the Lipschitz constant of g (here bounded by 2 lam sqrt(n))
    assert e.value(x) <= g.value(x) + 1e-12
    assert g.value(x) - e.value(x) <= sigma * (2 * 0.7) ** 2 * x.size / 2
    import cvxpy as cp  # noqa: PLC0415

    X = cp.Variable(SHAPE)
    assert _cvxpy_value(e.to_cvxpy(X), X, x) == pytest.approx(e.value(x), rel=1e-6)
    with pytest.raises(ValueError, match="sigma"):
        MoreauEnvelope(g, 0.0)
    with pytest.raises(TypeError, match="f must be"):
        MoreauEnvelope("tv", 1.0)


def test_total_variation_pieces(rng):
    tv = TotalVariation(SHAPE, axis=0, lam=0.4)
    x = rng.standard_normal(SHAPE)
    assert tv.value(x) == pytest.approx(0.4 * np.abs(np.diff(x, axis=0)).sum())
    z = rng.standard_normal((SHAPE[0] - 1, SHAPE[1]))
    assert float(np.sum(tv.differences(x) * z)) == pytest.approx(float(np.sum(x * tv.adjoint_differences(z))))
    np.testing.assert_allclose(tv.dual_of(tv.adjoint_differences(z)), z, atol=1e-12)
    import cvxpy as cp  # noqa: PLC0415

    X = cp.Variable(SHAPE)
    assert _cvxpy_value(tv.to_cvxpy(X), X, x) == pytest.approx(tv.value(x), rel=1e-7)
    for bad in (dict(shape=(3, 0)), dict(shape=(3, 4), axis=2), dict(shape=(3, 4), lam=-1.0)):
        with pytest.raises(ValueError):
            TotalVariation(**bad)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_transformed_l1_prox_optimality(backend, rng):
    xp = namespace_by_name(backend)
    g = TransformedL1(SHAPE, "dct", 0.3)
    v = rng.standard_normal(SHAPE)
    u = to_numpy(g.prox(xp.asarray(v), 0.5))
    # Phi (v - u) / (t lam) is a subgradient of ||.||_1 at Phi u
    s = DCT(SHAPE).apply(v - u) / (0.5 * 0.3)
    cu = DCT(SHAPE).apply(u)
    assert np.all(np.abs(s) <= 1 + 1e-10)
    nz = np.abs(cu) > 1e-12
    np.testing.assert_allclose(s[nz], np.sign(cu[nz]), atol=1e-10)
    assert g.value(u) == pytest.approx(0.3 * np.abs(cu).sum())
    with pytest.raises(ValueError, match="transform"):
        TransformedL1(SHAPE, "wavelet")
