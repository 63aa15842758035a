"""MultiTaskKernelRidge: the kernel form of the task-graph model.

Compared with TaskGraphRegressor / MeanRegularizedRegressor for the linear
kernel, with scikit-learn's KernelRidge for one task, and with a dense solve
written here on the explicit feature map of a polynomial kernel.
"""

import numpy as np
import pytest
from _models_reference import missing
from numpy.testing import assert_allclose
from scipy import sparse
from sklearn.kernel_ridge import KernelRidge
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmtl import MeanRegularizedRegressor, MultiTaskKernelRidge, TaskGraphRegressor

GRAPH = np.array([[0, 1, 0, 0.5], [1, 0, 2, 0], [0, 2, 0, 1], [0.5, 0, 1, 0]])
EXACT = dict(tol=1e-14, max_iter=100000)


def _data(seed=0, n=30, d=4, T=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = X @ rng.standard_normal((d, T)) + 1.0 + 0.3 * rng.standard_normal((n, T))
    return X, missing(Y, 0.25, rng), rng


@pytest.mark.parametrize("graph", [None, GRAPH])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_kernel_is_task_graph(graph, fit_intercept):
    X, Y, rng = _data()
    sw = rng.uniform(0.5, 2.0, X.shape[0])
    params = dict(alpha=0.7, graph=graph, ridge=0.05, fit_intercept=fit_intercept,
                  task_weights=[1.0, 0.5, 2.0, 1.0])
    kernel = MultiTaskKernelRidge(kernel="linear", **params).fit(X, Y, sample_weight=sw)
    linear = TaskGraphRegressor(**params, **EXACT).fit(X, Y, sample_weight=sw)
    X_test = rng.standard_normal((10, X.shape[1]))
    assert_allclose(kernel.predict(X_test), linear.predict(X_test), atol=1e-8)
    assert_allclose(kernel.intercept_, linear.intercept_, atol=1e-8)
    if graph is None:
        mean = MeanRegularizedRegressor(alpha=0.7, ridge=0.05,
                                        fit_intercept=fit_intercept,
                                        task_weights=[1.0, 0.5, 2.0, 1.0], **EXACT)
        mean.fit(X, Y, sample_weight=sw)
        assert_allclose(kernel.predict(X_test), mean.predict(X_test), atol=1e-8)


def _poly_features(X, c):
    """Explicit feature map of ``(x.x' + c)^2``."""
    n, d = X.shape
    quad = np.einsum("ni,nj->nij", X, X).reshape(n, d * d)
    return np.column_stack([quad, np.sqrt(2 * c) * X, np.full(n, c)])


def test_matches_dense_solve_on_explicit_features():
    """The objective written over explicit weights, minimised by one dense solve."""
    X, Y, rng = _data(1, d=3)
    alpha, ridge, c = 0.4, 0.1, 1.0
    model = MultiTaskKernelRidge(alpha, kernel="poly", degree=2, coef0=c, gamma=1.0,
                                 graph=GRAPH, ridge=ridge).fit(X, Y)
    Phi = _poly_features(X, c)
    n, p = Phi.shape
    T = Y.shape[1]
    observed = ~np.isnan(Y)
    omega = observed / observed.sum(axis=0)
    L = np.diag(GRAPH.sum(1)) - GRAPH
    Q = alpha * L + ridge * np.eye(T)
    # unknowns: vec of (w_t, b_t) per task; normal equations of the objective
    Pa = np.column_stack([Phi, np.ones(n)])
    H = np.zeros((T * (p + 1), T * (p + 1)))
    rhs = np.zeros(T * (p + 1))
    E = np.diag(np.append(np.ones(p), 0.0))  # no penalty on the intercept
    for t in range(T):
        block = slice(t * (p + 1), (t + 1) * (p + 1))
        H[block, block] += Pa.T @ (Pa * omega[:, [t]])
        rhs[block] = Pa.T @ (omega[:, t] * np.nan_to_num(Y[:, t]))
    H += np.kron(Q, E)
    solution = np.linalg.solve(H, rhs).reshape(T, p + 1)
    X_test = rng.standard_normal((8, X.shape[1]))
    expected = np.column_stack([_poly_features(X_test, c), np.ones(8)]) @ solution.T
    assert_allclose(model.predict(X_test), expected, atol=1e-8)


def test_one_task_is_kernel_ridge():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 3))
    y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(40)
    ours = MultiTaskKernelRidge(kernel="rbf", gamma=0.5, ridge=0.02,
                                fit_intercept=False).fit(X, y)
    theirs = KernelRidge(alpha=40 * 0.02, kernel="rbf", gamma=0.5).fit(X, y)
    X_test = rng.standard_normal((5, 3))
    assert ours.predict(X_test).shape == (5,)
    assert_allclose(ours.predict(X_test), theirs.predict(X_test), atol=1e-10)


def test_permuting_tasks_and_sparse_targets():
    X, Y, rng = _data(3)
    perm = np.array([2, 0, 3, 1])
    model = MultiTaskKernelRidge(alpha=0.5, graph=GRAPH).fit(X, Y)
    other = MultiTaskKernelRidge(alpha=0.5, graph=GRAPH[np.ix_(perm, perm)])
    other.fit(X, Y[:, perm])
    assert_allclose(other.predict(X), model.predict(X)[:, perm], atol=1e-10)
    rows, cols = np.nonzero(~np.isnan(Y))
    Ys = sparse.csr_matrix((Y[rows, cols], (rows, cols)), shape=Y.shape)
    assert_allclose(MultiTaskKernelRidge(alpha=0.5, graph=GRAPH).fit(X, Ys).predict(X),
                    model.predict(X), atol=1e-10)


def test_precomputed_kernel_and_errors():
    X, Y, rng = _data(4)
    K = X @ X.T
    pre = MultiTaskKernelRidge(kernel="precomputed").fit(K, Y)
    lin = MultiTaskKernelRidge(kernel="linear").fit(X, Y)
    X_test = rng.standard_normal((6, X.shape[1]))
    assert_allclose(pre.predict(X_test @ X.T), lin.predict(X_test), atol=1e-10)
    # a task of zero weight: its intercept is 0 and its weights come from the graph
    weights = [1.0, 0.0, 1.0, 1.0]
    kernel = MultiTaskKernelRidge(kernel="linear", graph=GRAPH, task_weights=weights)
    linear = TaskGraphRegressor(graph=GRAPH, ridge=0.01, task_weights=weights, **EXACT)
    assert_allclose(kernel.fit(X, Y).predict(X_test), linear.fit(X, Y).predict(X_test),
                    atol=1e-8)
    assert kernel.intercept_[1] == 0.0
    with pytest.raises(ValueError, match="ridge"):
        MultiTaskKernelRidge(ridge=0.0).fit(X, Y)
    with pytest.raises(ValueError, match="graph must be a"):
        MultiTaskKernelRidge(graph=np.eye(3)).fit(X, Y)


def test_float32_and_caller_array():
    """float32 features give the float64 model of the same values (the kernel
    is computed in float64), and changing the caller's X after fit changes
    nothing (X_fit_ is a copy); a sparse precomputed kernel equals the dense."""
    X, Y, rng = _data(5)
    X32 = X.astype(np.float32)
    exact = MultiTaskKernelRidge(gamma=0.3).fit(X32.astype(np.float64), Y)
    single = MultiTaskKernelRidge(gamma=0.3).fit(X32, Y)
    assert_allclose(single.dual_coef_, exact.dual_coef_, rtol=1e-12, atol=1e-13)
    X_test = rng.standard_normal((5, X.shape[1]))
    before = single.predict(X_test)
    X32[:] = 0.0
    assert_allclose(single.predict(X_test), before, rtol=0, atol=0)
    K = X @ X.T
    dense = MultiTaskKernelRidge(kernel="precomputed").fit(K, Y)
    stored = MultiTaskKernelRidge(kernel="precomputed").fit(sparse.csr_matrix(K), Y)
    assert_allclose(stored.predict(sparse.csr_matrix(K[:4])), dense.predict(K[:4]),
                    atol=1e-12)


@parametrize_with_checks([MultiTaskKernelRidge()])
def test_sklearn_compatible(estimator, check):
    check(estimator)
