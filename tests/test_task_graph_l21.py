"""The ``l21`` term of the task-graph models and the graph builders.

References (tests/_models_reference.py) import nothing from skmtl: a long
accelerated proximal-gradient run on the objective written from its
definition, and optimality conditions written here.
"""

import numpy as np
import pytest
from _models_reference import (
    fista,
    group_shrink,
    laplacian_penalty,
    lipschitz,
    logistic_loss,
    missing,
    soft,
    squared_loss,
)
from numpy.testing import assert_allclose
from scipy import sparse
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmtl import (
    TaskGraphClassifier,
    TaskGraphRegressor,
    alpha_max,
    chain_graph,
    grid_graph,
)

TIGHT = dict(tol=1e-13, max_iter=100000)


def _problem(seed=0, n=40, d=7, T=4, classification=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((d, T)) * (rng.random(d) < 0.5)[:, None]
    W[0] = 1.0
    Z = X @ W + 0.5 + 0.3 * rng.standard_normal((n, T))
    Y = (Z > 0.5).astype(float) if classification else Z
    return X, missing(Y, 0.2, rng)


def _penalty(W, l21, l1, ridge):
    return (
        l21 * np.linalg.norm(W, axis=1).sum()
        + l1 * np.abs(W).sum()
        + 0.5 * ridge * np.sum(W * W)
    )


def _reference(X, Y, A, alpha, l21, l1, ridge, loss, curvature):
    graph = laplacian_penalty(A)

    def smooth(W):
        value, grad = graph(W)
        return alpha * value + 0.5 * ridge * np.sum(W * W), alpha * grad + ridge * W

    top = np.linalg.eigvalsh(np.diag(A.sum(1)) - A)[-1]
    L = lipschitz(X, Y, curvature) + alpha * top + ridge
    d, T = X.shape[1], Y.shape[1]
    return fista(
        lambda W, b: loss(X, Y, W, b),
        smooth,
        lambda V, step: group_shrink(soft(V, step * l1), step * l21),
        lambda W: l21 * np.linalg.norm(W, axis=1).sum() + l1 * np.abs(W).sum(),
        np.zeros((d, T)),
        np.zeros(T),
        L,
        5000,
    )


@pytest.mark.parametrize("l1", [0.0, 0.02])
def test_regressor_objective_matches_reference(l1):
    X, Y = _problem()
    A = chain_graph(4).toarray()
    alpha, l21, ridge = 0.3, 0.12, 0.01
    model = TaskGraphRegressor(graph=A, alpha=alpha, l21=l21, l1=l1, ridge=ridge,
                               **TIGHT)
    model.fit(X, Y)
    W, b = model.coef_.T, model.intercept_
    ours = squared_loss(X, Y, W, b)[0] + alpha * laplacian_penalty(A)(W)[0]
    ours += _penalty(W, l21, l1, ridge)
    *_, reference = _reference(X, Y, A, alpha, l21, l1, ridge, squared_loss, 1.0)
    assert abs(ours - reference) <= 1e-6 * abs(reference)
    assert ours <= reference + 1e-9 * abs(reference)
    # the l21 term removes whole features (rows of W)
    assert np.any(np.all(W == 0, axis=1))


def test_classifier_objective_matches_reference():
    X, Y = _problem(1, classification=True)
    A = grid_graph((2, 2)).toarray()
    alpha, l21, l1, ridge = 0.2, 0.02, 0.005, 0.01
    model = TaskGraphClassifier(graph=A, alpha=alpha, l21=l21, l1=l1, ridge=ridge,
                                tol=1e-10, max_iter=10000)
    model.fit(X, Y)
    W, b = model.coef_.T, model.intercept_
    ours = logistic_loss(X, Y, W, b)[0] + alpha * laplacian_penalty(A)(W)[0]
    ours += _penalty(W, l21, l1, ridge)
    *_, reference = _reference(X, Y, A, alpha, l21, l1, ridge, logistic_loss, 0.25)
    assert abs(ours - reference) <= 1e-6 * abs(reference)


def test_optimality_conditions():
    """``-grad`` lies in the subdifferential of ``l21 ||.||_2,1 + l1 ||.||_1``."""
    X, Y = _problem(2)
    A = chain_graph(4, weight=2.0).toarray()
    alpha, l21, l1 = 0.5, 0.04, 0.01
    model = TaskGraphRegressor(graph=A, alpha=alpha, l21=l21, l1=l1, **TIGHT).fit(X, Y)
    W, b = model.coef_.T, model.intercept_
    _, G, gb = squared_loss(X, Y, W, b)
    G = G + alpha * laplacian_penalty(A)(W)[1]
    assert_allclose(gb, 0.0, atol=1e-10)
    for j in range(W.shape[0]):
        w, g = W[j], G[j]
        if not np.any(w):
            # -g in l21 * ball + l1 * box  <=>  ||soft(g, l1)|| <= l21
            assert np.linalg.norm(soft(g, l1)) <= l21 + 1e-9
            continue
        s = -g - l21 * w / np.linalg.norm(w)
        on = w != 0
        assert_allclose(s[on], l1 * np.sign(w[on]), atol=1e-8)
        assert np.all(np.abs(s[~on]) <= l1 + 1e-9)


def test_alpha_max_zeroes_exactly_at_l21():
    X, Y = _problem(3)
    model = TaskGraphRegressor(graph=chain_graph(4), alpha=0.2, l21=0.05, **TIGHT)
    l1_max = alpha_max(model, X, Y)
    assert l1_max > 0
    assert not np.any(model.set_params(l1=1.001 * l1_max).fit(X, Y).coef_)
    assert np.any(model.set_params(l1=0.99 * l1_max).fit(X, Y).coef_)


def test_permuting_tasks_permutes_coef():
    X, Y = _problem(4)
    A = np.array([[0, 1, 0.5, 0], [1, 0, 0, 2], [0.5, 0, 0, 1], [0, 2, 1, 0]])
    perm = np.array([2, 0, 3, 1])
    params = dict(alpha=0.3, l21=0.03, l1=0.01, **TIGHT)
    W = TaskGraphRegressor(graph=A, **params).fit(X, Y).coef_
    permuted = TaskGraphRegressor(graph=A[np.ix_(perm, perm)], **params)
    Wp = permuted.fit(X, Y[:, perm]).coef_
    assert_allclose(Wp, W[perm], atol=1e-8)


def test_graph_builders():
    chain = chain_graph(5, weight=0.5)
    assert sparse.issparse(chain)
    dense = chain.toarray()
    assert_allclose(dense, dense.T)
    assert_allclose(np.diag(dense, 1), 0.5)
    assert dense.sum() == 0.5 * 2 * 4
    grid = grid_graph((3, 4)).toarray()
    for a in range(12):
        for c in range(12):
            (i, j), (k, m) = divmod(a, 4), divmod(c, 4)
            assert grid[a, c] == float(abs(i - k) + abs(j - m) == 1)
    assert_allclose(grid_graph(5).toarray(), chain_graph(5).toarray())
    with pytest.raises(ValueError, match="n_tasks"):
        chain_graph(0)
    with pytest.raises(ValueError, match=r"shape\[1\]"):
        grid_graph((2, -1))
    with pytest.raises(ValueError, match="weight"):
        chain_graph(3, weight=-1.0)


@parametrize_with_checks(
    [TaskGraphRegressor(alpha=0.1, l21=0.01, l1=0.001, tol=1e-9)],
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- the coupled coordinate-descent solver (skmtl.solvers._coupled) ---------------
@pytest.mark.parametrize("l21, l1", [(0.3, 0.0), (0.0, 0.2), (0.3, 0.2), (0.0, 0.0)])
def test_coupled_row_step_solves_the_row_problem(l21, l1):
    """The compiled row step, run to convergence, satisfies the optimality
    conditions (written here) of min g.(u-w) + 1/2 (u-w)^T M (u-w) + l21||u||
    + l1|u|_1 with M = diag(h) + C non-diagonal."""
    pytest.importorskip("numba")
    from skmtl.solvers import _coupled

    _coupled._kernels()
    rng = np.random.default_rng(0)
    T = 6
    A = chain_graph(T, weight=1.5).toarray()
    C = np.diag(A.sum(1)) - A
    top = np.linalg.eigvalsh(C)[-1]
    code = {(0.3, 0.0): 0, (0.0, 0.2): 1, (0.3, 0.2): 3, (0.0, 0.0): 2}[(l21, l1)]
    for _ in range(5):
        w, g = rng.standard_normal(T), rng.standard_normal(T)
        h = rng.uniform(0.5, 2.0, T) + np.diag(C)
        u = np.empty(T)
        work = [np.empty(T) for _ in range(4)]
        # the coupling as the sweep passes it: its diagonal, its rows in CSR form
        _coupled.row_step(w, g, h, np.diag(C).copy(), *_coupled._csr(C), top, code,
                          l21, l1, 100000, 0.0, u, *work)
        M = np.diag(h - np.diag(C)) + C
        grad = g + M @ (u - w)
        if not np.any(u):
            assert np.linalg.norm(soft(grad, l1)) <= l21 + 1e-9
            continue
        s = -grad - l21 * u / np.linalg.norm(u)
        on = u != 0
        assert_allclose(s[on], l1 * np.sign(u[on]), atol=1e-9)
        assert np.all(np.abs(s[~on]) <= l1 + 1e-9)


@pytest.mark.parametrize("l21, l1", [(0.05, 0.0), (0.0, 0.01), (0.05, 0.01)])
def test_coupled_solver_agrees_with_majorised_descent(monkeypatch, l21, l1):
    """The exact-row-block solver and the plain (majorised) coordinate descent
    reach the same objective."""
    from skmtl.solvers import _coupled

    X, Y = _problem(4, n=60, d=12, T=5)
    A = chain_graph(5, weight=3.0).toarray()
    alpha = 0.5

    def objective(model):
        W, b = model.coef_.T, model.intercept_
        value = squared_loss(X, Y, W, b)[0] + alpha * laplacian_penalty(A)(W)[0]
        return value + _penalty(W, l21, l1, 0.0)

    model = TaskGraphRegressor(graph=A, alpha=alpha, l21=l21, l1=l1, **TIGHT)
    coupled = objective(model.fit(X, Y))
    assert model.solver_ == "working sets + coordinate descent"
    monkeypatch.setattr(_coupled, "applies", lambda problem: False)
    plain = objective(model.fit(X, Y))
    assert abs(coupled - plain) <= 1e-10 * abs(plain)


def test_coupled_extrapolation_is_andersons():
    """The coupled solver's extrapolation: the Anderson point written here
    (weights ``c`` minimising ``||sum c_k (x_{k+1} - x_k)||`` with ``sum c = 1``,
    a Tikhonov term of 1e-10 on the normalised system) is kept when it lowers
    the objective, with the objective at the point returned."""
    from skmtl.solvers import _coupled

    rng = np.random.default_rng(3)
    s, T = 6, 4

    class Quadratic:  # q(W) = 1/2 ||W - A||^2: H = I, the objective known here
        def hessian_product(self, W):
            return W.copy()

    A = rng.standard_normal((s, T))

    class Certificate:
        offered = []

        def objective(self, W, HW):
            return 0.5 * float(np.sum((W - A) ** 2))

        def offer(self, W, HW):
            self.offered.append(W)

    # iterates converging linearly to A: the extrapolation lands closer
    E = rng.standard_normal((s, T))
    history = [A + 0.8**k * E + 0.3**k * rng.standard_normal((s, T))
               for k in range(6)]
    W = history[-1]
    X = np.stack([h.ravel() for h in history])
    U = np.diff(X, axis=0)
    M = U @ U.T / np.linalg.norm(U @ U.T)
    z = np.linalg.solve(M + 1e-10 * np.eye(5), np.ones(5))
    expected = ((z / z.sum()) @ X[1:]).reshape(s, T)
    certificate = Certificate()
    W_new, HW_new, value = _coupled._extrapolate(Quadratic(), certificate, W, W.copy(),
                                                 history)
    assert_allclose(W_new, expected, rtol=1e-10, atol=1e-12)
    assert_allclose(HW_new, expected, rtol=1e-10, atol=1e-12)
    assert value == pytest.approx(0.5 * np.sum((expected - A) ** 2), rel=1e-12)
    assert value < 0.5 * np.sum((W - A) ** 2)
    assert len(certificate.offered) == 1
    # a worse extrapolated point is refused: W itself, with its objective
    far = [A + 5.0 * rng.standard_normal((s, T)) for _ in range(6)]
    far[-1] = A.copy()
    W_same, _, value = _coupled._extrapolate(Quadratic(), certificate, far[-1],
                                             far[-1].copy(), far)
    assert W_same is far[-1] and value == 0.0


def test_coupling_parts_follow_the_coupling():
    """The sweep's coupling (diagonal, CSR rows and columns, top eigenvalue)
    is rebuilt when the coupling changes, not kept from the previous call."""
    from skmtl.solvers import _coupled

    rng = np.random.default_rng(4)
    for T in (5, 5, 3):
        B = rng.standard_normal((T, T)) * (rng.random((T, T)) < 0.5)
        skew = np.triu(rng.random((T, T)), 1)  # rows and columns differ
        for C in (B @ B.T, B @ B.T + np.diag(rng.random(T)), B @ B.T + skew, B @ B.T):
            parts, top = _coupled._coupling_parts(C)
            diag, ptr, idx, val, ptr_t, idx_t, val_t = parts
            assert_allclose(diag, np.diag(C))
            dense = np.zeros((T, T))
            for t in range(T):
                dense[t, idx[ptr[t]:ptr[t + 1]]] = val[ptr[t]:ptr[t + 1]]
            assert_allclose(dense, C)
            dense_t = np.zeros((T, T))
            for t in range(T):
                dense_t[t, idx_t[ptr_t[t]:ptr_t[t + 1]]] = val_t[ptr_t[t]:ptr_t[t + 1]]
            assert_allclose(dense_t, C.T)
            expected = max(np.linalg.eigvalsh(C)[-1], np.diag(C).max())
            assert top == pytest.approx(expected)
