"""Finite-sum models: gradients by finite differences, the protocol, sparse data kept sparse,
scikit-learn's objective, validation."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from optkit.backend import namespace_by_name, to_numpy
from optkit.datasets import stochastic as data
from optkit.problems import LogisticRegression, MLPClassifier, SigmoidSVM
from optkit.problems._stochastic_design import ArrayCSR, CSRRows, SparseDesign

xs = namespace_by_name("array_api_strict")


def _data(seed=0, n=40, d=6, classes=2, sparse=False):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.4, random_state=rng, format="csr") if sparse else rng.standard_normal((n, d))
    if sparse:
        X.data = rng.standard_normal(X.nnz)
    return X, rng.integers(0, classes, n), rng


MODELS = [
    ("logistic", lambda X, y: LogisticRegression(X, y, l2=0.1), 2),
    ("multinomial", lambda X, y: LogisticRegression(X, y, l2=0.1), 4),
    ("svm", lambda X, y: SigmoidSVM(X, y, l2=0.1), 2),
    ("mlp", lambda X, y: MLPClassifier(X, y, hidden=(5,), l2=0.1), 3),
    ("mlp2", lambda X, y: MLPClassifier(X, y, hidden=(4, 3), l2=0.05, seed=3), 2),
]


def _fd_error(problem, x, idx):
    g = to_numpy(problem.grad(x, idx))
    fd = np.zeros_like(g)
    for i in range(x.shape[0]):
        e = np.zeros_like(x)
        e[i] = 1e-6
        fd[i] = (problem.value(x + e, idx) - problem.value(x - e, idx)) / 2e-6
    return np.abs(g - fd).max() / max(1.0, np.abs(fd).max())


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("name,make,classes", MODELS, ids=[m[0] for m in MODELS])
def test_gradients_match_finite_differences(name, make, classes, sparse):
    X, y, rng = _data(1, classes=classes, sparse=sparse)
    problem = make(X, y)
    x = 0.5 * rng.standard_normal(problem.n_params)
    for idx in (None, np.array([3, 0, 17, 5, 5])):
        assert _fd_error(problem, x, idx) < 1e-7
    # value_and_grad and grads agree with value and grad
    idx = np.array([1, 2, 8])
    v, g = problem.value_and_grad(x, idx)
    assert v == pytest.approx(problem.value(x, idx), rel=1e-14)
    np.testing.assert_allclose(g, problem.grad(x, idx), rtol=1e-14, atol=1e-15)
    g1, g2 = problem.grads([x, -x], problem.batch(idx))
    np.testing.assert_allclose(g1, g, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(g2, problem.grad(-x, idx), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name,make,classes", MODELS, ids=[m[0] for m in MODELS])
def test_full_sum_is_the_mean_of_the_minibatches(name, make, classes):
    X, y, rng = _data(2, n=30, classes=classes)
    problem = make(X, y)
    x = rng.standard_normal(problem.n_params)
    parts = np.array_split(np.arange(30), 3)
    g = sum(problem.grad(x, p) * len(p) for p in parts) / 30
    np.testing.assert_allclose(g, problem.grad(x), rtol=1e-12, atol=1e-14)
    assert problem.objective(x) == pytest.approx(sum(problem.value(x, p) * len(p) for p in parts) / 30, rel=1e-12)


@pytest.mark.parametrize("name,make,classes", MODELS, ids=[m[0] for m in MODELS])
def test_sparse_dense_and_array_api_agree(name, make, classes):
    X, y, rng = _data(3, classes=classes, sparse=True)
    sparse, dense = make(X, y), make(X.toarray(), y)
    strict = sparse.to(xs)
    assert isinstance(sparse.design, SparseDesign) and isinstance(strict.design, ArrayCSR)
    assert isinstance(sparse.design.rows(np.array([0, 1])), CSRRows)
    x = rng.standard_normal(sparse.n_params)
    idx = np.array([4, 1, 1, 30])
    for other in (dense, strict):
        xo = xs.asarray(x) if other is strict else x
        assert other.value(xo) == pytest.approx(sparse.value(x), rel=1e-12)
        np.testing.assert_allclose(to_numpy(other.grad(xo, idx)), sparse.grad(x, idx), rtol=1e-11, atol=1e-13)
        assert other.measures(xo)["optimality"] == pytest.approx(sparse.measures(x)["optimality"], rel=1e-10)
    assert sparse.score(x, X, y) == dense.score(x, X.toarray(), y) == strict.score(xs.asarray(x), X, y)


def test_array_csr_products_match_scipy():
    rng = np.random.default_rng(4)
    X = sp.random(50, 30, density=0.1, random_state=rng, format="csr")
    A = ArrayCSR.from_scipy(X, xs)
    W, R = rng.standard_normal((30, 3)), rng.standard_normal((50, 2))
    np.testing.assert_allclose(to_numpy(A.matvec(xs.asarray(W))), X @ W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(to_numpy(A.rmatvec(xs.asarray(R))), X.T @ R, rtol=1e-12, atol=1e-14)
    idx = np.array([7, 0, 49, 7, 3])
    sub = A.rows(xs.asarray(idx))
    np.testing.assert_allclose(to_numpy(sub.matvec(xs.asarray(W))), X[idx] @ W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(to_numpy(sub.rmatvec(xs.asarray(R[:5]))), X[idx].T @ R[:5], rtol=1e-12, atol=1e-14)
    rows = CSRRows(X, idx)   # the Numba row kernels: the same products without gathering
    np.testing.assert_allclose(rows.matvec(W), X[idx] @ W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rows.rmatvec(R[:5]), X[idx].T @ R[:5], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(A.host().toarray(), X.toarray())
    # float32 data: the segment sums accumulate in float64
    A32 = ArrayCSR.from_scipy(X, xs, dtype=xs.float32)
    out = A32.matvec(xs.asarray(W, dtype=xs.float32))
    assert out.dtype == xs.float32
    np.testing.assert_allclose(to_numpy(out), X @ W, rtol=1e-5, atol=1e-5)


def test_logistic_regression_matches_scikit_learn():
    from scipy.optimize import minimize
    from sklearn.linear_model import LogisticRegression as SkLR

    s = data.breast_cancer()
    for y, l2 in ((s.y_train, 1e-2), (np.arange(s.y_train.size) % 3, 1e-1)):
        problem = LogisticRegression(s.X_train, y, l2=l2)
        res = minimize(problem.value_and_grad, np.zeros(problem.n_params), jac=True, method="L-BFGS-B",
                       options={"gtol": 1e-12, "ftol": 1e-16, "maxiter": 10000})
        sk = SkLR(C=1 / (problem.n_samples * l2), fit_intercept=False, tol=1e-12, max_iter=10000).fit(s.X_train, y)
        w = sk.coef_.T.ravel() if problem.n_outputs > 1 else sk.coef_.ravel()
        assert problem.value(w) == pytest.approx(res.fun, rel=1e-9)
        assert problem.score(res.x, s.X_test, s.y_test if y is s.y_train else np.arange(s.y_test.size) % 3) \
            == pytest.approx(sk.score(s.X_test, s.y_test if y is s.y_train else np.arange(s.y_test.size) % 3))


def test_labels_are_mapped_and_predicted_back():
    X, y, rng = _data(5, n=30)
    labels = np.where(y == 1, "spam", "ham")
    problem = LogisticRegression(X, labels, l2=0.1)
    assert list(problem.classes) == ["ham", "spam"]
    w = rng.standard_normal(problem.n_params)
    pred = problem.predict(w, X)
    assert set(pred) <= {"ham", "spam"}
    np.testing.assert_array_equal(pred == "spam", X @ w > 0)
    # the first class is -1: the loss is log(1 + exp(-t x^T w))
    t = np.where(labels == "spam", 1.0, -1.0)
    assert problem.value(w) == pytest.approx(np.mean(np.logaddexp(0, -t * (X @ w))) + 0.05 * w @ w)
    multi = LogisticRegression(X, np.array([2, 7, 9] * 10), l2=0.1)
    assert multi.n_params == 18 and list(multi.classes) == [2, 7, 9]


def test_mlp_layout_and_initial_point():
    X, y, _ = _data(6, n=20, d=4, classes=3)
    problem = MLPClassifier(X, y, hidden=(5, 2), l2=0.1, seed=1)
    assert problem.n_params == 4 * 5 + 5 + 5 * 2 + 2 + 2 * 3 + 3
    x0 = problem.initial_point()
    np.testing.assert_array_equal(x0, problem.initial_point())  # seeded
    assert np.all(x0[20:25] == 0) and np.abs(x0[:20]).max() <= np.sqrt(6 / 9)
    assert problem.gradient_scale >= 1.0
    assert problem.measures(x0)["optimality"] == pytest.approx(
        np.linalg.norm(problem.grad(x0)) / problem.gradient_scale)
    assert problem.predict_proba(x0, X).sum(axis=1) == pytest.approx(np.ones(20))


@pytest.mark.parametrize("kwargs,match", [
    (dict(X=np.ones((3, 2)), y=np.array([0, 1])), "y must have shape"),
    (dict(X=np.ones((3, 2)), y=np.zeros(3)), "two distinct labels"),
    (dict(X=np.ones(3), y=np.array([0, 1, 0])), "2-d"),
    (dict(X=np.array([[np.nan, 1.0]] * 3), y=np.array([0, 1, 0])), "NaN"),
    (dict(X=np.ones((3, 2)), y=np.array([0.5, 1.5, 2.5])), "integer class labels"),
    (dict(X=np.ones((3, 2)), y=np.array([0, 1, 0]), l2=-1.0), "l2 must be"),
])
def test_bad_input_is_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LogisticRegression(**kwargs)


def test_binary_models_reject_multiclass_and_mlp_checks_its_arguments():
    X, y, _ = _data(7, n=12, classes=3)
    with pytest.raises(ValueError, match="two distinct labels"):
        SigmoidSVM(X, y, l2=0.1)
    with pytest.raises(ValueError, match="hidden"):
        MLPClassifier(X, y, hidden=(0,))
    with pytest.raises(ValueError, match="seed"):
        MLPClassifier(X, y, seed=-1)
    with pytest.raises(ValueError, match="features"):
        LogisticRegression(X, y, l2=0.1).score(np.zeros(18), np.ones((2, 5)), np.array([0, 1]))


def test_float32_stays_float32():
    X, y, rng = _data(8)
    problem = LogisticRegression(X.astype(np.float32), y, l2=0.1)
    x = problem.initial_point()
    assert x.dtype == np.float32 and problem.grad(x, np.array([0, 1])).dtype == np.float32
    strict = LogisticRegression(xs.asarray(X, dtype=xs.float32), xs.asarray(y), l2=0.1)
    assert strict.grad(strict.initial_point()).dtype == xs.float32


def test_generated_sets_have_the_requested_shape():
    s = data.sparse_classification(n=2000, d=5000, seed=1)
    assert sp.issparse(s.X_train) and s.X_train.shape == (1600, 5000)
    assert s.X_train.nnz / (1600 * 5000) == pytest.approx(1e-3, rel=0.1)
    np.testing.assert_allclose(sp.linalg.norm(s.X_train, axis=1), 1.0)
    d = data.dense_classification(n=1000, d=20, seed=1)
    assert d.X_train.shape == (800, 20) and 0.3 < d.y_train.mean() < 0.7
    again = data.dense_classification(n=1000, d=20, seed=1)
    np.testing.assert_array_equal(d.X_test, again.X_test)
    dg = data.digits(binary=True)
    assert set(np.unique(dg.y_train)) == {0, 1} and dg.X_train.max() <= 1.0
