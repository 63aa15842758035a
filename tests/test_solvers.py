"""The solver layer against its definitions.

Every expected value is recomputed here (or in tests/_solver_reference.py,
which imports nothing from skmtl) from the objective

    sum_t c_t / (2 S_t) sum_{i in O_t} s_it (y_it - x_i w_t - b_t)^2 + Omega(W)
        + ridge / 2 ||W||^2 + 1/2 tr(W C W^T),      S_t = sum_{i in O_t} s_it,

with ``b`` the weighted-mean intercept: the Gram model, ``Problem``, the row
minimisers, every branch of ``minimize`` (optimality conditions and a FISTA
reference), a wide working-set problem, ill-conditioned designs, Newton on
nearly separable data, protocol checks and invariances.
"""

import warnings

import numpy as np
import pytest
from _solver_reference import (
    best_intercept,
    dense,
    l1_violation,
    l21,
    l21_violation,
    logistic_parts,
    logistic_reference,
    nuclear,
    nuclear_violation,
    squared_data,
    squared_gradient,
    squared_objective,
    squared_reference,
    weights_of,
)
from numpy.testing import assert_allclose
from scipy import optimize, sparse
from sklearn.exceptions import ConvergenceWarning

import skmtl.solvers._closed_form as closed_form_module
import skmtl.solvers._minimize as minimize_module
import skmtl.solvers._problem as problem_module
from skmtl import L21Classifier, L21Regressor, TaskRelationRegressor, TraceNormRegressor
from skmtl._data import (
    ColumnLayout,
    check_sample_weight,
    check_task_weights,
    target_weights,
    validate_classification_targets,
    validate_regression_targets,
)
from skmtl.datafits import Logistic, Quadratic
from skmtl.penalties import L1, L21, NoPenalty, SquaredTraceNorm, TraceNorm
from skmtl.solvers import Problem, minimize
from skmtl.solvers._gram import gram_model

PATTERNS = ["nan", "own_rows", "shared_weighted", "all_observed"]


# -- data -----------------------------------------------------------------------
def make_data(seed, pattern, n=40, d=6, T=3, xformat="dense", noise=0.5):
    """``X``, dense ``Y`` (NaN = missing), ``sample_weight``, ``task_weights``."""
    rng = np.random.default_rng(seed)
    Xd = rng.standard_normal((n, d)) + rng.uniform(-1, 1, d)  # offsets: centring
    W = rng.standard_normal((d, T))
    W[rng.permutation(d)[: d // 3]] = 0.0
    Y = Xd @ W + rng.standard_normal(T) + noise * rng.standard_normal((n, T))
    tw = rng.uniform(0.5, 2.0, T)
    if pattern == "nan":
        Y[rng.random((n, T)) < 0.3] = np.nan
        for t in range(T):  # at least 3 rows per task
            Y[rng.choice(n, 3, replace=False), t] = rng.standard_normal(3)
        sw = rng.uniform(0.2, 3.0, (n, T))
    elif pattern == "own_rows":
        task = rng.permutation(np.arange(n) % T)
        Y[task[:, None] != np.arange(T)] = np.nan
        sw = rng.uniform(0.2, 3.0, n)
    elif pattern == "shared_weighted":
        sw = rng.uniform(0.2, 3.0, n)
    else:
        sw, tw = None, None
    if xformat == "float32":
        Xd = Xd.astype(np.float32)
        X = Xd
    elif xformat == "sparse":
        Xd[rng.random(Xd.shape) < 0.4] = 0.0
        X = sparse.csr_matrix(Xd)
    else:
        X = Xd
    return X, Y, sw, tw


def _weights(targets, sw, tw):
    sw = check_sample_weight(sw, targets.n_samples, targets.n_tasks)
    return target_weights(targets, sw, check_task_weights(tw, targets.n_tasks))


def quadratic_problem(X, Y, sw, tw, penalty, fit_intercept=True, ridge=0.0,
                      coupling=None):
    targets = validate_regression_targets(Y, X.shape[0])
    weights = _weights(targets, sw, tw)
    datafit = Quadratic(targets.entry_rows, targets.entry_tasks, targets.entry_values,
                        weights, X.shape[0], targets.n_tasks)
    return Problem(X, datafit, penalty, fit_intercept=fit_intercept, ridge=ridge,
                   coupling=coupling)


def random_W(seed, d, T, zero_rows=2):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((d, T))
    W[:zero_rows] = 0.0
    return W


def relerr(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


# -- 1. objective views agree ------------------------------------------------------
@pytest.mark.parametrize("xformat", ["dense", "sparse", "float32"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_gram_model_matches_definition(pattern, fit_intercept, xformat):
    X, Y, sw, tw = make_data(1, pattern, xformat=xformat)
    weights = weights_of(Y, sw, tw)
    problem = quadratic_problem(X, Y, sw, tw, L21(0.1), fit_intercept)
    d, T = X.shape[1], Y.shape[1]
    W = random_W(2, d, T)
    b = best_intercept(X, Y, W, weights, fit_intercept)
    model = problem.gram(np.arange(d))
    HW = model.hessian_product(W)
    rtol = 1e-10
    # value: the moments are those of the centred residuals
    assert_allclose(model.moments(W, HW)[0], squared_data(X, Y, W, b, weights),
                    rtol=rtol)
    GW, Gb = squared_gradient(X, Y, W, b, weights)
    scale = np.abs(GW).max()
    assert_allclose(model.gradient(W, HW), GW, rtol=rtol, atol=rtol * scale)
    assert_allclose(HW - model.C, GW, rtol=rtol, atol=rtol * scale)
    assert_allclose(model.intercept(W), b, rtol=rtol, atol=1e-12)
    if fit_intercept:  # the profiled intercept zeroes the intercept gradient
        assert_allclose(Gb, 0.0, atol=1e-12 * scale)
    # the diagonal and the column update are parts of the same Hessian
    Xd = dense(X)
    diag = np.stack(
        [np.sum(weights[:, t, None] * (Xd - (weights[:, t] @ Xd / weights[:, t].sum()
                                             if fit_intercept else 0.0)) ** 2, axis=0)
         for t in range(T)], axis=1)
    assert_allclose(model.diagonal(), diag, rtol=1e-10)
    delta = np.random.default_rng(3).standard_normal(T)
    W2 = W.copy()
    W2[3] += delta
    assert_allclose(HW + model.column_update(3, delta), model.hessian_product(W2),
                    rtol=1e-10, atol=1e-10 * np.abs(HW).max())


@pytest.mark.parametrize("xformat", ["dense", "sparse", "float32"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_problem_matches_definition(pattern, fit_intercept, xformat):
    X, Y, sw, tw = make_data(4, pattern, xformat=xformat)
    weights = weights_of(Y, sw, tw)
    ridge, alpha = 0.3, 0.2
    rng = np.random.default_rng(5)
    A = rng.standard_normal((Y.shape[1],) * 2)
    coupling = A @ A.T
    problem = quadratic_problem(X, Y, sw, tw, L21(alpha), fit_intercept, ridge,
                                coupling)
    W = random_W(6, X.shape[1], Y.shape[1])
    b_given = rng.standard_normal(Y.shape[1])
    b = best_intercept(X, Y, W, weights, fit_intercept)
    # linear predictor at the entries, and X^T applied to entry values
    XW = dense(X) @ W
    assert_allclose(problem.linear_predictor(W), XW[problem.rows, problem.cols],
                    rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(problem.rows.size)
    E = np.zeros_like(XW)
    E[problem.rows, problem.cols] = g
    assert_allclose(problem.design_gradient(g), dense(X).T @ E, rtol=1e-10,
                    atol=1e-10)
    b_out, z, _, G = problem.full_gradient(W, b_given)
    assert_allclose(b_out, b, rtol=1e-10, atol=1e-12)  # profiled, b_given ignored
    assert_allclose(z, (XW + b)[problem.rows, problem.cols], rtol=1e-10, atol=1e-12)
    GW, _ = squared_gradient(X, Y, W, b, weights)
    assert_allclose(G, GW + ridge * W + W @ coupling, rtol=1e-10, atol=1e-10)
    expected = squared_objective(X, Y, W, b, weights, "l21", alpha, ridge, coupling)
    assert_allclose(problem.objective(W, b_given), expected, rtol=1e-12)


def test_shared_design_with_two_dimensional_product_weights():
    """``s_it = a_i g_t`` given as an (n, T) array is still a shared design."""
    X, Y, _, tw = make_data(7, "shared_weighted")
    rng = np.random.default_rng(8)
    a, g = rng.uniform(0.5, 2, X.shape[0]), rng.uniform(0.5, 2, Y.shape[1])
    problem = quadratic_problem(X, Y, np.outer(a, g), tw, L21(0.1))
    assert problem.task_scale is not None
    rows, row_weight, scale = problem.task_scale
    weights = weights_of(Y, np.outer(a, g), tw)
    assert_allclose(np.outer(row_weight, scale), weights[rows], rtol=1e-12)
    # not a product: per-task Grams
    sw = np.outer(a, g)
    sw[0, 0] *= 3.0
    assert quadratic_problem(X, Y, sw, tw, L21(0.1)).task_scale is None
    # a zero weight on some row of one task only: not shared
    sw = np.outer(a, g)
    sw[1, 2] = 0.0
    assert quadratic_problem(X, Y, sw, tw, L21(0.1)).task_scale is None


@pytest.mark.parametrize("pattern", PATTERNS)
def test_shared_design_detection(pattern):
    X, Y, sw, tw = make_data(9, pattern)
    problem = quadratic_problem(X, Y, sw, tw, L21(0.1))
    # every task observes every row and the weights are a_i g_t exactly when
    # nothing is missing and the sample weights are one per row
    shared = bool(np.all(~np.isnan(Y))) and (sw is None or np.ndim(sw) == 1)
    assert (problem.task_scale is not None) == shared
    assert problem.gram(np.arange(X.shape[1])).shared == shared


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_gram_of_restricted_features(pattern, fit_intercept):
    X, Y, sw, tw = make_data(10, pattern, d=8)
    problem = quadratic_problem(X, Y, sw, tw, L21(0.1), fit_intercept)
    features = np.array([6, 1, 3])
    full = problem.gram(np.arange(8))
    restricted = full.restrict(features)
    direct = gram_model(problem, features)
    via_problem = problem.gram(features)
    W = np.random.default_rng(11).standard_normal((3, Y.shape[1]))
    for model in (direct, via_problem):
        assert_allclose(model.features, restricted.features)
        assert_allclose(model.hessian_product(W), restricted.hessian_product(W),
                        rtol=1e-10, atol=1e-12)
        assert_allclose(model.C, restricted.C, rtol=1e-10, atol=1e-12)
        assert_allclose(model.k, restricted.k, rtol=1e-12)
        assert_allclose(model.intercept(W), restricted.intercept(W), rtol=1e-10,
                        atol=1e-12)
    # and both equal the definition with the other features held at zero
    weights = weights_of(Y, sw, tw)
    Wfull = np.zeros((8, Y.shape[1]))
    Wfull[features] = W
    b = best_intercept(X, Y, Wfull, weights, fit_intercept)
    GW, _ = squared_gradient(X, Y, Wfull, b, weights)
    HW = restricted.hessian_product(W)
    assert_allclose(restricted.gradient(W, HW), GW[features], rtol=1e-10, atol=1e-12)
    assert_allclose(restricted.moments(W, HW)[0], squared_data(X, Y, Wfull, b, weights),
                    rtol=1e-10)
    # eigen decomposition reproduces the Grams
    values, vectors = restricted.eigen()
    if restricted.shared:
        assert_allclose((vectors * values) @ vectors.T, restricted.gram, atol=1e-10)
    else:
        for t in range(Y.shape[1]):
            assert_allclose((vectors[t] * values[t]) @ vectors[t].T,
                            restricted.H[:, :, t], atol=1e-10)


def _stacked_data(seed, n_per_task=70, d=5, T=3):
    """Tasks with their own consecutive rows (the stacked layout of
    ``stack_tasks``), float64, enough rows per task for the per-column
    products on slices of ``X`` (``Problem.segments``)."""
    rng = np.random.default_rng(seed)
    n = n_per_task * T
    X = rng.standard_normal((n, d)) + rng.uniform(-1, 1, d)
    Y = np.full((n, T), np.nan)
    for t in range(T):
        rows = slice(t * n_per_task, (t + 1) * n_per_task)
        Y[rows, t] = X[rows] @ rng.standard_normal(d) + rng.standard_normal()
    return X, Y, rng.uniform(0.2, 3.0, n), rng.uniform(0.5, 2.0, T)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_stacked_rows_products_match_definition(fit_intercept):
    """The per-column products on slices of X (tasks with their own
    consecutive rows) against dense formulas, and against the same problem
    with its rows shuffled (which takes the general entry path)."""
    X, Y, sw, tw = _stacked_data(20)
    problem = quadratic_problem(X, Y, sw, tw, L21(0.1), fit_intercept)
    assert problem.segments is not None
    perm = np.random.default_rng(21).permutation(X.shape[0])
    shuffled = quadratic_problem(X[perm], Y[perm], sw[perm], tw, L21(0.1),
                                 fit_intercept)
    assert shuffled.segments is None
    d, T = X.shape[1], Y.shape[1]
    W = random_W(22, d, T, zero_rows=1)
    XW = X @ W
    assert_allclose(problem.linear_predictor(W), XW[problem.rows, problem.cols],
                    rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(23).standard_normal(problem.rows.size)
    E = np.zeros_like(XW)
    E[problem.rows, problem.cols] = g
    assert_allclose(problem.design_gradient(g), X.T @ E, rtol=1e-10, atol=1e-10)
    features = np.array([4, 0, 2])
    assert_allclose(problem.design_gradient(g, features), (X.T @ E)[features],
                    rtol=1e-10, atol=1e-10)
    weights = weights_of(Y, sw, tw)
    b = best_intercept(X, Y, W, weights, fit_intercept)
    GW, _ = squared_gradient(X, Y, W, b, weights)
    for feats in (np.arange(d), features):
        model = gram_model(problem, feats)
        other = gram_model(shuffled, feats)
        V = np.zeros((d, T))
        V[feats] = W[feats]
        bV = best_intercept(X, Y, V, weights, fit_intercept)
        GV, _ = squared_gradient(X, Y, V, bV, weights)
        HV = model.hessian_product(V[feats])
        assert_allclose(model.gradient(V[feats], HV), GV[feats], rtol=1e-10,
                        atol=1e-10 * np.abs(GV).max())
        assert_allclose(model.moments(V[feats], HV)[0],
                        squared_data(X, Y, V, bV, weights), rtol=1e-10)
        assert_allclose(model.intercept(V[feats]), bV, rtol=1e-10, atol=1e-12)
        assert_allclose(model.H, other.H, rtol=1e-10, atol=1e-10)
        assert_allclose(model.C, other.C, rtol=1e-10, atol=1e-10)
    assert_allclose(GW, gram_model(problem, np.arange(d)).gradient(
        W, gram_model(problem, np.arange(d)).hessian_product(W)), rtol=1e-10,
        atol=1e-10 * np.abs(GW).max())


def test_stacked_rows_classifier_matches_shuffled_rows():
    """Newton on tasks with their own consecutive rows (per-column products
    on slices of X) ends where it ends on the same rows shuffled, and at a
    point whose KKT distance, written here, is small."""
    X, Y, sw, _ = _stacked_data(24)
    labels = np.where(np.isnan(Y), np.nan, (Y > np.nanmedian(Y, axis=0)) * 1.0)
    perm = np.random.default_rng(25).permutation(X.shape[0])
    model = L21Classifier(alpha=0.02, tol=1e-10).fit(X, labels, sample_weight=sw)
    other = L21Classifier(alpha=0.02, tol=1e-10).fit(X[perm], labels[perm],
                                                      sample_weight=sw[perm])
    assert_allclose(model.coef_, other.coef_, atol=1e-7)
    assert_allclose(model.intercept_, other.intercept_, atol=1e-7)
    # KKT of sum_t 1/S_t sum_i s_i logistic(y, x_i w_t + b_t) + alpha ||W||_21
    W, b = model.coef_.T, model.intercept_
    GW, gb = np.zeros_like(W), np.zeros_like(b)
    for t in range(Y.shape[1]):
        rows = ~np.isnan(labels[:, t])
        s = sw[rows] / sw[rows].sum()
        p = 1.0 / (1.0 + np.exp(-(X[rows] @ W[:, t] + b[t])))
        r = s * (p - labels[rows, t])
        GW[:, t], gb[t] = X[rows].T @ r, r.sum()
    assert l21_violation(W, GW, 0.02) < 1e-6
    assert_allclose(gb, 0.0, atol=1e-7)


# -- 2. row minimisers ---------------------------------------------------------------
def _row_objective(penalty_value, a, h):
    return lambda u: 0.5 * np.sum(h * u * u, axis=-1) - u @ a + penalty_value(u)


def _curvatures(rng, T, kind):
    if kind == "equal":
        return np.full(T, rng.uniform(0.1, 3))
    h = rng.uniform(0.1, 3, T)
    if kind == "zeros":
        h[rng.choice(T, 2, replace=False)] = 0.0
    elif kind == "spread":
        h = 10.0 ** rng.uniform(-6, 3, T)
    return h


@pytest.mark.parametrize("kind", ["equal", "positive", "zeros", "spread"])
@pytest.mark.parametrize("seed", range(4))
def test_l21_row_minimizer(seed, kind):
    rng = np.random.default_rng(seed)
    T, alpha = 5, 0.7
    h = _curvatures(rng, T, kind)
    for scale in (0.3, 1.0, 3.0, 30.0):
        a = scale * rng.standard_normal(T)
        a[h == 0] = 0.0  # the documented domain: no linear term without curvature
        u = L21(alpha).row_minimizer(a.copy(), h.copy())
        norm = np.linalg.norm(u)
        if np.linalg.norm(a) <= alpha:
            assert np.all(u == 0)
            continue
        # stationarity: h u - a + alpha u / ||u|| = 0, u = 0 where h = 0
        assert norm > 0
        assert np.all(u[h == 0] == 0)
        residual = h * u - a + alpha * u / norm
        assert np.abs(residual).max() <= 1e-9 * max(np.abs(a).max(), 1.0)
        # no nearby point is better (a convex function: local = global minimum)
        f = _row_objective(lambda v: alpha * np.sqrt(np.sum(v * v, axis=-1)), a, h)
        directions = rng.standard_normal((400, T))
        steps = np.geomspace(1e-6, 1.0, 7)[:, None, None] * max(norm, 1.0)
        trial = u + steps * directions
        values = (0.5 * np.sum(h * trial * trial, axis=-1) - trial @ a
                  + alpha * np.linalg.norm(trial, axis=-1))
        assert f(u) <= values.min() + 1e-12 * max(abs(f(u)), 1.0)
        assert f(u) <= 0.0  # u = 0 gives 0


def test_l21_row_minimizer_at_the_threshold():
    h = np.array([1.0, 2.0, 0.0])
    a = np.array([0.6, 0.8, 0.0])  # ||a|| = 1 = alpha
    assert np.all(L21(1.0).row_minimizer(a, h) == 0)
    u = L21(1.0 - 1e-9).row_minimizer(a, h)
    assert np.linalg.norm(u) < 1e-8


@pytest.mark.parametrize("kind", ["positive", "zeros", "spread"])
@pytest.mark.parametrize("seed", range(3))
def test_l1_and_no_penalty_row_minimizers(seed, kind):
    rng = np.random.default_rng(10 + seed)
    T, alpha = 6, 0.5
    h = _curvatures(rng, T, kind)
    a = 2 * rng.standard_normal(T)
    a[h == 0] = rng.uniform(-alpha, alpha, np.sum(h == 0))  # bounded objective
    u = L1(alpha).row_minimizer(a.copy(), h.copy())
    # coordinate-wise optimality: h u - a + alpha sign(u) = 0, |a| <= alpha at 0
    pos = h > 0
    nz = u != 0
    assert np.all(np.abs(a[~nz]) <= alpha + 1e-15)
    assert_allclose(h[nz] * u[nz] - a[nz] + alpha * np.sign(u[nz]), 0.0, atol=1e-12)
    for t in np.flatnonzero(pos):  # scalar minimisation of each coordinate
        f = lambda v, t=t: 0.5 * h[t] * v * v - a[t] * v + alpha * abs(v)  # noqa: E731
        best = optimize.minimize_scalar(f, bounds=(-1e4, 1e4), method="bounded",
                                        options=dict(xatol=1e-12))
        assert f(u[t]) <= best.fun + 1e-12
    # no penalty: u = a / h where h > 0, 0 elsewhere
    a[h == 0] = 0.0
    u = NoPenalty().row_minimizer(a.copy(), h.copy())
    assert_allclose(u[pos], a[pos] / h[pos], rtol=1e-14)
    assert np.all(u[~pos] == 0)


# -- 3. minimize: optimality conditions and a FISTA reference, per branch ------------
def _kkt_check(penalty_name, alpha, W, G, atol):
    if penalty_name == "l21":
        assert l21_violation(W, G, alpha) <= atol
    elif penalty_name == "l1":
        assert l1_violation(W, G, alpha) <= atol
    elif penalty_name == "none":
        assert np.abs(G).max() <= atol
    elif penalty_name == "trace":
        assert nuclear_violation(W, G, alpha)[0] <= atol
    else:
        assert nuclear_violation(W, G, alpha * nuclear(W))[0] <= atol


PENALTY_CLASSES = {"l21": L21, "l1": L1, "trace": TraceNorm,
                   "squared_trace": SquaredTraceNorm}

CLOSED_FORM = ("Sylvester", "dense factorisation")
CG = ("conjugate gradients",)
CD = ("working sets + coordinate descent",)
# name: penalty, alpha as a fraction of the largest useful value, ridge,
# coupling?, expected solver (substring of Result.solver)
BRANCHES = {
    "closed_form_ridge": ("none", 0.0, 0.5, False, CLOSED_FORM),
    "closed_form_coupling": ("none", 0.0, 0.1, True, CLOSED_FORM),
    "cg_coupling": ("none", 0.0, 0.1, True, CG),  # dense limit set to 0
    "cd_l21": ("l21", 0.2, 0.0, False, CD),
    "cd_l21_ridge": ("l21", 0.2, 0.3, False, CD),
    "cd_l1": ("l1", 0.2, 0.0, False, CD),
    "cd_l1_coupling": ("l1", 0.2, 0.0, True, CD),
    "admm_trace": ("trace", 0.3, 0.0, False, ("ADMM",)),
    "admm_squared_trace": ("squared_trace", 0.5, 0.0, False, ("ADMM",)),
    "prox_grad_trace_coupling": ("trace", 0.3, 0.0, True, ("proximal gradient",)),
    "design_l21": ("l21", 0.2, 0.0, False, ("proximal gradient",)),
}


def _alpha_max(name, G0):
    if name == "l21":
        return np.sqrt(np.sum(G0**2, axis=1)).max()
    if name == "l1":
        return np.abs(G0).max()
    if name == "trace":
        return np.linalg.norm(G0, 2)
    return 1.0


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("pattern", ["nan", "own_rows", "shared_weighted"])
@pytest.mark.parametrize("branch", list(BRANCHES))
def test_minimize_branches(branch, pattern, fit_intercept, monkeypatch):
    name, fraction, ridge, with_coupling, solver = BRANCHES[branch]
    X, Y, sw, tw = make_data(20, pattern, n=36, d=6, T=3)
    weights = weights_of(Y, sw, tw)
    T = Y.shape[1]
    coupling = None
    if with_coupling:
        A = np.ones((T, T)) - np.eye(T)
        coupling = 0.5 * (np.diag(A.sum(1)) - A)  # a graph Laplacian
    W0 = np.zeros((X.shape[1], T))
    G0, _ = squared_gradient(X, Y, W0, best_intercept(X, Y, W0, weights,
                                                      fit_intercept), weights)
    alpha = fraction * _alpha_max(name, G0)
    penalty = PENALTY_CLASSES[name](alpha) if name != "none" else NoPenalty()
    if branch == "design_l21":  # the Gram model is "too large": design fallback
        monkeypatch.setattr(problem_module, "_MAX_GRAM_ENTRIES", 0)
    if branch == "cg_coupling":  # conjugate gradients instead of the dense solve
        if pattern == "shared_weighted":
            pytest.skip("shared rows: Sylvester, no CG")
        monkeypatch.setattr(closed_form_module, "_DIRECT_UNKNOWNS", 0)
    problem = quadratic_problem(X, Y, sw, tw, penalty, fit_intercept, ridge, coupling)
    result = minimize(problem, tol=1e-12, max_iter=100000)
    assert result.status == "converged", result
    # the branch: Sylvester exactly for shared rows, CG otherwise
    if solver == CLOSED_FORM:
        solver = solver[:1] if problem.task_scale is not None else solver[1:]
    assert result.solver in solver
    W, b = result.W, result.b
    # intercept: the weighted mean (zero without intercept)
    assert_allclose(b, best_intercept(X, Y, W, weights, fit_intercept), atol=1e-9)
    GW, Gb = squared_gradient(X, Y, W, b, weights)
    G = GW + ridge * W + (W @ coupling if coupling is not None else 0.0)
    scale = np.abs(G0).max()
    _kkt_check(name, alpha, W, G, 1e-6 * scale)
    if fit_intercept:
        assert np.abs(Gb).max() <= 1e-9 * scale
    # certificates
    assert result.kkt >= 0
    if result.gap is not None:
        assert 0 <= result.gap <= result.threshold
    assert result.measure <= result.threshold
    # an independent long FISTA run reaches the same objective
    Wr, br = squared_reference(X, Y, weights, name, alpha, ridge=ridge,
                               coupling=coupling, fit_intercept=fit_intercept)
    mine = squared_objective(X, Y, W, b, weights, name, alpha, ridge, coupling)
    ref = squared_objective(X, Y, Wr, br, weights, name, alpha, ridge, coupling)
    assert mine <= ref * (1 + 1e-6)
    assert relerr(mine, ref) <= 1e-6
    if result.gap is not None:  # the gap bounds the suboptimality
        assert mine - ref <= result.gap + 1e-12 * abs(ref)
    if name in ("l21", "l1") and ridge == 0 and coupling is None:
        assert 0 < np.sum(np.all(W == 0, axis=1)) < W.shape[0] or name == "l1"


def classification_data(seed, n_per_task=40, d=5, T=3, n_classes=2, missing=0.0,
                        separation=1.0):
    rng = np.random.default_rng(seed)
    n = n_per_task * T
    X = rng.standard_normal((n, d))
    W = separation * rng.standard_normal((d, T, n_classes))
    scores = np.einsum("nd,dtk->ntk", X, W) + rng.gumbel(size=(n, T, n_classes))
    Y = scores.argmax(axis=2).astype(float)
    if missing:
        Y[rng.random(Y.shape) < missing] = np.nan
    for t in range(T):  # every class present in every task
        rows = np.flatnonzero(~np.isnan(Y[:, t]))[:n_classes]
        Y[rows, t] = np.arange(n_classes)
    return X, Y


def logistic_problem(X, Y, sw, tw, penalty, fit_intercept=True):
    targets = validate_classification_targets(Y, X.shape[0])
    weights = _weights(targets, sw, tw)
    layout = ColumnLayout.from_classes(targets.classes)
    datafit = Logistic(targets.entry_rows, targets.entry_tasks, targets.entry_codes,
                       weights, X.shape[0], layout)
    return Problem(X, datafit, penalty, fit_intercept=fit_intercept), layout


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_minimize_prox_newton(n_classes, fit_intercept):
    X, Y = classification_data(30, n_classes=n_classes, missing=0.2)
    rng = np.random.default_rng(31)
    sw, tw = rng.uniform(0.5, 2, X.shape[0]), rng.uniform(0.5, 2, Y.shape[1])
    weights = weights_of(Y, sw, tw)
    widths = [1 if n_classes == 2 else n_classes] * Y.shape[1]
    q = int(np.sum(widths))
    W0 = np.zeros((X.shape[1], q))
    # alpha_max at the best intercepts for W = 0 (by a short 1-D solve per column)
    _, G0, _ = logistic_parts(X, Y, W0, np.zeros(q), weights, widths)
    alpha = 0.1 * np.sqrt(np.sum(G0**2, axis=1)).max()
    problem, _ = logistic_problem(X, Y, sw, tw, L21(alpha), fit_intercept)
    result = minimize(problem, tol=1e-10, max_iter=10000)
    assert result.status == "converged", result
    W, b = result.W, result.b
    _, GW, Gb = logistic_parts(X, Y, W, b, weights, widths)
    scale = np.abs(G0).max()
    assert l21_violation(W, GW, alpha) <= 1e-7 * scale
    if fit_intercept:
        assert np.abs(Gb).max() <= 1e-7 * scale
    else:
        assert np.all(b == 0)
    Wr, br = logistic_reference(X, Y, weights, widths, alpha,
                                fit_intercept=fit_intercept)
    mine = logistic_parts(X, Y, W, b, weights, widths)[0] + alpha * l21(W)
    ref = logistic_parts(X, Y, Wr, br, weights, widths)[0] + alpha * l21(Wr)
    assert relerr(mine, ref) <= 1e-6


# -- 4. a wide working-set problem --------------------------------------------------
def test_wide_working_set_problem():
    rng = np.random.default_rng(40)
    n, d, T, k = 100, 2000, 5, 5
    X = rng.standard_normal((n, d))
    W_true = np.zeros((d, T))
    support = rng.choice(d, k, replace=False)
    W_true[support] = 2 * rng.standard_normal((k, T))
    Y = X @ W_true + 0.1 * rng.standard_normal((n, T))
    Y[rng.random((n, T)) < 0.1] = np.nan
    weights = weights_of(Y)
    W0 = np.zeros((d, T))
    G0, _ = squared_gradient(X, Y, W0, best_intercept(X, Y, W0, weights), weights)
    alpha = 0.1 * np.sqrt(np.sum(G0**2, axis=1)).max()
    problem = quadratic_problem(X, Y, None, None, L21(alpha))
    result = minimize(problem, tol=1e-10, max_iter=10000)
    assert result.converged, result
    W, b = result.W, result.b
    nonzero = np.flatnonzero(np.any(W != 0, axis=1))
    assert set(support) <= set(nonzero)
    assert nonzero.size <= 0.05 * d  # most rows exactly zero
    GW, _ = squared_gradient(X, Y, W, b, weights)
    assert l21_violation(W, GW, alpha) <= 1e-6 * np.abs(G0).max()
    # the reference, restricted to the features any solution could use (those
    # whose gradient at the solution reaches alpha are a superset of its
    # support by the KKT conditions), then checked on every feature
    candidates = np.flatnonzero(np.sqrt(np.sum(GW**2, axis=1)) >= 0.9 * alpha)
    Wr_s, br = squared_reference(X[:, candidates], Y, weights, "l21", alpha)
    Wr = np.zeros((d, T))
    Wr[candidates] = Wr_s
    GWr, _ = squared_gradient(X, Y, Wr, br, weights)
    assert l21_violation(Wr, GWr, alpha) <= 1e-5 * np.abs(G0).max()
    mine = squared_objective(X, Y, W, b, weights, "l21", alpha)
    ref = squared_objective(X, Y, Wr, br, weights, "l21", alpha)
    assert relerr(mine, ref) <= 1e-6
    assert_allclose(W, Wr, atol=1e-4 * np.abs(Wr).max())


def test_wide_shared_design():
    """All rows shared, d >> n: the working sets get their own Grams or, once
    larger than twice the rows, their factors; the global gradient comes
    from the design. Optimality and the objective of an independent FISTA
    on the candidate features."""
    rng = np.random.default_rng(41)
    n, d, T = 40, 600, 3
    X = rng.standard_normal((n, d)) + rng.uniform(-1, 1, d)
    Y = X[:, :30] @ rng.standard_normal((30, T)) + 0.1 * rng.standard_normal((n, T))
    weights = weights_of(Y)
    W0 = np.zeros((d, T))
    G0, _ = squared_gradient(X, Y, W0, best_intercept(X, Y, W0, weights), weights)
    alpha = 0.02 * np.sqrt(np.sum(G0**2, axis=1)).max()
    problem = quadratic_problem(X, Y, None, None, L21(alpha))
    assert problem.task_scale is not None
    result = minimize(problem, tol=1e-12, max_iter=100000)
    assert result.converged, result
    W, b = result.W, result.b
    assert np.sum(np.any(W != 0, axis=1)) > 2 * n  # a factor model was needed
    GW, _ = squared_gradient(X, Y, W, b, weights)
    assert l21_violation(W, GW, alpha) <= 1e-6 * np.abs(G0).max()
    assert 0 <= result.gap <= result.threshold
    mine = squared_objective(X, Y, W, b, weights, "l21", alpha)
    candidates = np.flatnonzero(np.sqrt(np.sum(GW**2, axis=1)) >= 0.9 * alpha)
    Wr_s, br = squared_reference(X[:, candidates], Y, weights, "l21", alpha)
    Wr = np.zeros((d, T))
    Wr[candidates] = Wr_s
    ref = squared_objective(X, Y, Wr, br, weights, "l21", alpha)
    assert mine <= ref * (1 + 1e-7)
    assert mine - ref <= result.gap + 1e-12 * abs(ref)  # the gap bounds the excess


def _lasso_objective(X, Y, W, b, alpha):
    """scikit-learn's ``MultiTaskLasso`` objective (``Lasso``'s for 1-D
    ``Y``): ``1/(2n) ||Y - XW - b||^2 + alpha sum_j ||W_j||``."""
    rows = np.abs(W) if W.ndim == 1 else np.sqrt(np.sum(W**2, axis=1))
    return 0.5 / X.shape[0] * np.sum((Y - X @ W - b) ** 2) + alpha * np.sum(rows)


def _wide_support_case(seed=43, n=30, d=400, T=3):
    """A shared design with a support wider than ``n``: the solution is not
    unique, the working sets are factor models (more than twice the rows)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) + rng.uniform(-1, 1, d)
    Y = X @ (rng.standard_normal((d, T)) * (rng.random((d, 1)) < 0.5))
    Y += 0.5 * rng.standard_normal((n, T))
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    alpha = 0.02 * np.sqrt(np.sum((Xc.T @ Yc / n) ** 2, axis=1)).max()
    return X, Y, alpha


def test_wide_support_matches_sklearn_multitask_lasso():
    """d >> n with a support wider than n (here at least 2 n): same objective
    as scikit-learn's MultiTaskLasso (``1/(2n) ||Y - XW - b||^2 + alpha
    sum_j ||W_j||``, computed here), and the KKT conditions written out: at
    the optimum ``G_j = X_j^T (Y - XW - b) / n`` is ``alpha W_j / ||W_j||``
    on the support and has norm at most ``alpha`` elsewhere. The route of
    the wide sets (factor models extended from the last set, the predictor
    from ``F W``, certificates every other epoch) is the one taken."""
    from sklearn.linear_model import MultiTaskLasso

    import skmtl.solvers._minimize as minimize_module

    X, Y, alpha = _wide_support_case()
    n = X.shape[0]
    calls = {"extended": 0, "predictor": 0}
    extended, predictor = (minimize_module._extended_factor,
                           minimize_module._DesignState.predictor)

    def counted_extended(*args):
        calls["extended"] += 1
        return extended(*args)

    def counted_predictor(self, model, WS):
        xw = predictor(self, model, WS)
        calls["predictor"] += xw is not None
        return xw

    mp = pytest.MonkeyPatch()
    mp.setattr(minimize_module, "_extended_factor", counted_extended)
    mp.setattr(minimize_module._DesignState, "predictor", counted_predictor)
    try:
        mine = L21Regressor(alpha=alpha, tol=1e-10, max_iter=100000).fit(X, Y)
    finally:
        mp.undo()
    assert calls["extended"] >= 2 and calls["predictor"] >= 1, calls
    W, b = mine.coef_.T, mine.intercept_
    support = np.flatnonzero(np.any(W != 0, axis=1))
    assert support.size > 2 * n  # wider than the samples (not unique)
    R = Y - X @ W - b
    assert_allclose(R.mean(axis=0), 0.0, atol=1e-10 * np.abs(Y).max())
    G = X.T @ R / n
    norms = np.sqrt(np.sum(W**2, axis=1))
    on = norms > 0
    scale = alpha
    assert np.max(np.abs(G[on] - alpha * W[on] / norms[on, None])) <= 1e-4 * scale
    assert np.sqrt(np.sum(G[~on] ** 2, axis=1)).max() <= alpha * (1 + 1e-4)

    def objective(W, b):
        return _lasso_objective(X, Y, W, b, alpha)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MultiTaskLasso(alpha=alpha, tol=1e-12, max_iter=200000).fit(X, Y)
    P, P_ref = objective(W, b), objective(ref.coef_.T, ref.intercept_)
    assert P <= P_ref * (1 + 1e-8)
    assert relerr(P, P_ref) <= 1e-7
    # XW is unique even when W is not: the predictions agree
    assert_allclose(X @ W + b, X @ ref.coef_.T + ref.intercept_,
                    atol=1e-3 * np.abs(Y).max())


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_extended_factor_matches_a_fresh_one(fit_intercept):
    """The factor model of a working set built from the previous set's
    columns (and the new features' own) equals the one built from ``X``; the
    predictor from ``F W`` equals ``X W`` at the entries."""
    from skmtl.solvers._gram import factor_model
    from skmtl.solvers._minimize import _DesignState, _extended_factor

    X, Y, sw, tw = make_data(62, "shared_weighted", n=20, d=40, T=3)
    problem = quadratic_problem(X, Y, sw, tw, L21(0.5), fit_intercept)
    assert problem.task_scale is not None
    rng = np.random.default_rng(63)
    previous = factor_model(problem, np.sort(rng.choice(40, 25, replace=False)))
    for _ in range(4):
        kept = rng.choice(previous.features, 20, replace=False)
        new = rng.choice(np.setdiff1d(np.arange(40), previous.features), 5,
                         replace=False)
        rows = np.sort(np.r_[kept, new])
        model = _extended_factor(problem, rows, previous)
        fresh = factor_model(problem, rows)
        assert np.array_equal(model.features, rows)
        for name in ("factor", "C", "k", "y_mean", "scale", "x_mean"):
            a, b = getattr(model, name), getattr(fresh, name)
            if b is None:
                assert a is None
            else:
                assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        WS = random_W(64, rows.size, Y.shape[1])
        W = np.zeros((40, Y.shape[1]))
        W[rows] = WS
        state = _DesignState(problem, "duality_gap")
        assert_allclose(state.predictor(model, WS), problem.linear_predictor(W),
                        rtol=1e-11, atol=1e-11 * np.abs(Y[~np.isnan(Y)]).max())
        previous = model


def test_lazy_certificate_on_a_factor_model():
    """On a factor model the compiled sweep refreshes ``H W`` only when the
    certificate is evaluated: coordinate descent still returns the ``H W`` of
    its point and reaches the numpy path's optimum (every epoch measured)."""
    from skmtl.solvers import _inner, _kernels
    from skmtl.solvers._gram import factor_model

    if not _kernels.AVAILABLE:
        pytest.skip("compiled sweep disabled (SKMTL_NO_NUMBA)")
    X, Y, alpha = _wide_support_case(seed=44, n=20, d=120)
    problem = quadratic_problem(X, Y, None, None, L21(alpha))
    rows = np.arange(120)
    model = factor_model(problem, rows)
    sweep = _kernels.compiled_sweep(model, problem, rows)
    assert hasattr(sweep, "refresh")
    W0 = np.zeros((120, Y.shape[1]))
    class Checked(_inner.Certificate):
        """Every evaluation sees the ``H W`` of its own point."""

        def measure(self, W, HW):
            assert_allclose(HW, model.hessian_product(W), rtol=0,
                            atol=1e-12 * max(np.abs(HW).max(), 1.0))
            return super().measure(W, HW)

        def objective(self, W, HW):
            assert_allclose(HW, model.hessian_product(W), rtol=0,
                            atol=1e-12 * max(np.abs(HW).max(), 1.0))
            return super().objective(W, HW)

    results = []
    for compiled, tol in ((True, 1e-2), (True, 1e-9), (False, 1e-9)):
        certificate = Checked(problem, model, "duality_gap")
        W, HW, epochs, status = _inner.coordinate_descent(
            model, problem, W0, certificate, tol=tol, max_iter=20000,
            compiled=compiled)
        assert status == "converged", (compiled, status)
        assert_allclose(HW, model.hessian_product(W), rtol=0,
                        atol=1e-12 * np.abs(HW).max())
        if compiled:  # the factor sweep's own contract: Z follows W
            W1, HW1 = W.copy(), np.empty_like(W)
            D = _inner._row_curvatures(model, problem)
            sweep(W1, HW1, D, refresh=False)
            sweep.refresh(W1, HW1)
            assert_allclose(HW1, model.hessian_product(W1), rtol=0,
                            atol=1e-12 * np.abs(HW1).max())
            W2 = 0.5 * W1
            sweep.product(W2)  # an extrapolation, then taken
            sweep(W2, HW1, D)
            assert_allclose(HW1, model.hessian_product(W2), rtol=0,
                            atol=1e-12 * np.abs(HW1).max())
        weights = weights_of(Y)
        b = best_intercept(X, Y, W, weights)
        results.append(squared_objective(X, Y, W, b, weights, "l21", alpha))
    assert relerr(results[1], results[2]) <= 1e-8


def _factor_case(seed, n, d, T, task_weights, rho=0.0, support=None):
    """A shared design with more features than rows (a factor model),
    columns AR(1)-correlated with ``rho``, optional per-task weights (the
    curvatures of a row then differ between its columns)."""
    rng = np.random.default_rng(seed)
    E = rng.standard_normal((n, d))
    X = np.empty((n, d))
    X[:, 0] = E[:, 0]
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * E[:, j]
    X += rng.uniform(-1, 1, d)
    W = rng.standard_normal((d, T)) * (rng.random((d, 1)) < 0.3)
    if support is not None:
        W[support:] = 0.0
    Y = X @ W + 0.3 * rng.standard_normal((n, T))
    tw = rng.uniform(0.3, 3.0, T) if task_weights else None
    return X, Y, tw


def _compiled_factor_calls(monkeypatch):
    """Count the compiled factor solves (and the Newton steps taken between
    them) made from now on."""
    from skmtl.solvers import _factor_descent, _inner

    calls = {"run": 0, "newton": 0}
    run, newton = _factor_descent.FactorSolve.run, _inner.support_newton

    def counted_run(self, W, max_epochs):
        calls["run"] += 1
        return run(self, W, max_epochs)

    def counted_newton(*args):
        calls["newton"] += 1
        return newton(*args)

    monkeypatch.setattr(_factor_descent.FactorSolve, "run", counted_run)
    monkeypatch.setattr(_inner, "support_newton", counted_newton)
    return calls


@pytest.mark.parametrize("task_weights", [False, True])
@pytest.mark.parametrize("ridge", [0.0, 0.05])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_compiled_factor_descent(task_weights, ridge, fit_intercept, monkeypatch):
    """The whole coordinate descent on a factor model compiled
    (:mod:`skmtl.solvers._factor_descent`): the route is taken, the point it
    returns meets the L2,1 KKT conditions written in the reference module
    (``G_j = -alpha w_j / ||w_j||`` on the support, ``||G_j|| <= alpha``
    elsewhere, ``G`` the gradient of the smooth part recomputed from ``X``
    and ``Y``), its ``H W`` is the model's product, and its objective is the
    numpy path's (every epoch measured in Python) to 1e-9."""
    from skmtl.solvers import _inner, _kernels
    from skmtl.solvers._gram import factor_model

    if not _kernels.AVAILABLE:
        pytest.skip("compiled kernels disabled (SKMTL_NO_NUMBA)")
    n, d, T = 25, 160, 4
    X, Y, tw = _factor_case(61, n, d, T, task_weights)
    weights = weights_of(Y, None, tw)
    b0 = best_intercept(X, Y, np.zeros((d, T)), weights, fit_intercept)
    G0, _ = squared_gradient(X, Y, np.zeros((d, T)), b0, weights)
    alpha = 0.05 * np.sqrt(np.sum(G0**2, axis=1)).max()
    problem = quadratic_problem(X, Y, None, tw, L21(alpha),
                                fit_intercept=fit_intercept, ridge=ridge)
    minimize_module.tolerance_scales(problem)  # the gap's scale, as minimize sets it
    model = factor_model(problem, np.arange(d))
    D = _inner._row_curvatures(model, problem)
    assert (np.ptp(D, axis=1).max() > 0) == task_weights  # unequal curvatures
    calls = _compiled_factor_calls(monkeypatch)
    values = []
    for compiled in (True, False):
        certificate = _inner.Certificate(problem, model, "duality_gap")
        W, HW, epochs, status = _inner.coordinate_descent(
            model, problem, np.zeros((d, T)), certificate, tol=1e-10,
            max_iter=100000, compiled=compiled)
        assert status == "converged", (compiled, status)
        assert_allclose(HW, model.hessian_product(W), rtol=0,
                        atol=1e-11 * np.abs(HW).max())
        b = best_intercept(X, Y, W, weights, fit_intercept)
        G, _ = squared_gradient(X, Y, W, b, weights)
        G = G + ridge * W
        assert l21_violation(W, G, alpha) <= 1e-5 * alpha
        values.append(squared_objective(X, Y, W, b, weights, "l21", alpha,
                                        ridge=ridge))
        if compiled:
            assert calls["run"] >= 1
            runs = calls["run"]
    assert calls["run"] == runs  # the numpy path did not take the route
    assert np.count_nonzero(np.any(W != 0, axis=1)) > n  # wider than the rows
    assert relerr(values[0], values[1]) <= 1e-9


def test_compiled_factor_descent_newton_between_solves(monkeypatch):
    """A badly conditioned design (AR(1) columns, rho = 0.95) whose support
    is small: the compiled solve returns after an extrapolation that kept
    the support, Newton steps on it are taken in Python, the solve resumes,
    and the result meets the KKT conditions and equals an independent FISTA's
    objective on the support's candidates."""
    from skmtl.solvers import _inner, _kernels
    from skmtl.solvers._gram import factor_model

    if not _kernels.AVAILABLE:
        pytest.skip("compiled kernels disabled (SKMTL_NO_NUMBA)")
    n, d, T = 30, 90, 3
    X, Y, _ = _factor_case(62, n, d, T, False, rho=0.95, support=12)
    weights = weights_of(Y)
    b0 = best_intercept(X, Y, np.zeros((d, T)), weights)
    G0, _ = squared_gradient(X, Y, np.zeros((d, T)), b0, weights)
    alpha = 0.05 * np.sqrt(np.sum(G0**2, axis=1)).max()
    problem = quadratic_problem(X, Y, None, None, L21(alpha))
    minimize_module.tolerance_scales(problem)
    model = factor_model(problem, np.arange(d))
    calls = _compiled_factor_calls(monkeypatch)
    certificate = _inner.Certificate(problem, model, "duality_gap")
    W, HW, epochs, status = _inner.coordinate_descent(
        model, problem, np.zeros((d, T)), certificate, tol=1e-10, max_iter=100000)
    assert status == "converged"
    assert calls["newton"] >= 1 and calls["run"] >= 2, calls  # resumed after it
    b = best_intercept(X, Y, W, weights)
    G, _ = squared_gradient(X, Y, W, b, weights)
    assert l21_violation(W, G, alpha) <= 1e-6 * alpha
    candidates = np.flatnonzero(np.sqrt(np.sum(G**2, axis=1)) >= 0.9 * alpha)
    Wr_s, br = squared_reference(X[:, candidates], Y, weights, "l21", alpha)
    Wr = np.zeros((d, T))
    Wr[candidates] = Wr_s
    mine = squared_objective(X, Y, W, b, weights, "l21", alpha)
    ref = squared_objective(X, Y, Wr, br, weights, "l21", alpha)
    assert mine <= ref * (1 + 1e-9)
    assert relerr(mine, ref) <= 1e-7


def test_compiled_factor_descent_through_the_estimator(monkeypatch):
    """``L21Regressor`` on a wide shared design takes the compiled factor
    solve for its working sets, and its solution has scikit-learn's
    ``MultiTaskLasso`` objective (the problems coincide) to 1e-8, with the
    permuted tasks giving the permuted solution."""
    from sklearn.linear_model import MultiTaskLasso

    from skmtl.solvers import _kernels

    if not _kernels.AVAILABLE:
        pytest.skip("compiled kernels disabled (SKMTL_NO_NUMBA)")
    n, d, T = 40, 500, 5
    X, Y, _ = _factor_case(63, n, d, T, False, rho=0.6)
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    alpha = 0.05 * np.sqrt(np.sum((Xc.T @ Yc / n) ** 2, axis=1)).max()
    calls = _compiled_factor_calls(monkeypatch)
    mine = L21Regressor(alpha=alpha, tol=1e-10, max_iter=100000).fit(X, Y)
    assert calls["run"] >= 1

    def objective(W, b):
        return _lasso_objective(X, Y, W, b, alpha)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MultiTaskLasso(alpha=alpha, tol=1e-12, max_iter=200000).fit(X, Y)
    P = objective(mine.coef_.T, mine.intercept_)
    P_ref = objective(ref.coef_.T, ref.intercept_)
    assert P <= P_ref * (1 + 1e-9)
    assert relerr(P, P_ref) <= 1e-8
    order = np.random.default_rng(0).permutation(T)
    permuted = L21Regressor(alpha=alpha, tol=1e-10, max_iter=100000).fit(X, Y[:, order])
    assert relerr(objective(permuted.coef_.T[:, np.argsort(order)],
                            permuted.intercept_[np.argsort(order)]), P) <= 1e-9


def test_compiled_factor_descent_one_task(monkeypatch):
    """One task (1-D ``y``, an (m, 1) ``Z`` that is also C-contiguous) on a
    wide design: the compiled factor solve runs, and the fit has
    scikit-learn's ``Lasso`` objective (L2,1 of one column is L1)."""
    from sklearn.linear_model import Lasso

    from skmtl.solvers import _kernels

    if not _kernels.AVAILABLE:
        pytest.skip("compiled kernels disabled (SKMTL_NO_NUMBA)")
    n, d = 30, 400
    X, Y, _ = _factor_case(64, n, d, 1, False, rho=0.5)
    y = Y[:, 0]
    alpha = 0.02 * np.abs((X - X.mean(0)).T @ (y - y.mean()) / n).max()
    calls = _compiled_factor_calls(monkeypatch)
    mine = L21Regressor(alpha=alpha, tol=1e-10, max_iter=100000).fit(X, y)
    assert calls["run"] >= 1
    assert np.count_nonzero(mine.coef_) > 2  # several features enter

    def objective(w, b):
        return _lasso_objective(X, y, w, b, alpha)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = Lasso(alpha=alpha, tol=1e-12, max_iter=500000).fit(X, y)
    P = objective(mine.coef_, mine.intercept_)
    P_ref = objective(ref.coef_, ref.intercept_)
    assert P <= P_ref * (1 + 1e-9)
    assert relerr(P, P_ref) <= 1e-8


def test_l21_row_minimiser_equal_curvatures():
    """Equal curvatures: the closed form ``u = a / h (1 - alpha / ||a||)_+``
    (compiled and numpy row minimisers alike)."""
    from skmtl.solvers import _kernels

    rng = np.random.default_rng(65)
    penalty = L21(0.7)
    for _ in range(20):
        a = rng.standard_normal(6)
        h = np.full(6, rng.uniform(0.1, 3.0))
        expected = a / h[0] * max(1 - 0.7 / np.linalg.norm(a), 0.0)
        assert_allclose(penalty.row_minimizer(a.copy(), h), expected, rtol=1e-13,
                        atol=1e-15)
        u = np.empty(6)
        _kernels._group_shrink(0.7, a.copy(), h, u)  # the kernel's formulas
        assert_allclose(u, expected, rtol=1e-13, atol=1e-15)


# -- 4b. the compiled sweep and the factor model against the numpy path ---------
def _sweep_case(seed, pattern, penalty_name, with_coupling):
    X, Y, sw, tw = make_data(seed, pattern, n=45, d=9, T=4)
    T = Y.shape[1]
    rng = np.random.default_rng(seed)
    coupling = None
    if with_coupling:
        A = rng.uniform(0, 1, (T, T))
        coupling = 0.3 * (A @ A.T)
    penalty = {"l21": L21(0.7), "l1": L1(0.4), "none": NoPenalty()}[penalty_name]
    problem = quadratic_problem(X, Y, sw, tw, penalty, True, ridge=0.2,
                                coupling=coupling)
    W = random_W(seed, X.shape[1], T, zero_rows=3)
    return problem, W


@pytest.mark.parametrize("with_coupling", [False, True])
@pytest.mark.parametrize("penalty_name", ["l21", "l1", "none"])
@pytest.mark.parametrize("pattern", ["nan", "own_rows", "shared_weighted"])
def test_compiled_sweep_matches_numpy(pattern, penalty_name, with_coupling):
    pytest.importorskip("numba")
    from skmtl.solvers import _inner, _kernels

    if not _kernels.AVAILABLE:
        pytest.skip("compiled sweep disabled (SKMTL_NO_NUMBA)")
    for seed in range(3):  # random masks, weights, starting points
        problem, W = _sweep_case(50 + seed, pattern, penalty_name, with_coupling)
        model = gram_model(problem, np.arange(problem.n_features))
        assert model.shared == (pattern == "shared_weighted")
        D = _inner._row_curvatures(model, problem)
        order = np.random.default_rng(seed).permutation(W.shape[0])
        W_np, W_nb = W.copy(), W.copy()
        HW_np, HW_nb = model.hessian_product(W), model.hessian_product(W)
        sweep = _kernels.compiled_sweep(model, problem, order)
        assert sweep is not None
        for _ in range(4):
            _inner._sweep(model, problem, W_np, HW_np, D, order)
            sweep(W_nb, HW_nb, D)
        scale = np.abs(W_np).max()
        assert_allclose(W_nb, W_np, rtol=0, atol=1e-10 * scale)
        assert_allclose(HW_nb, HW_np, rtol=0, atol=1e-10 * np.abs(HW_np).max())
        assert_allclose(HW_nb, model.hessian_product(W_nb), rtol=0,
                        atol=1e-9 * np.abs(HW_np).max())
        if penalty_name != "none":  # zero rows / entries come out exactly zero
            assert np.array_equal(W_nb == 0, W_np == 0)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("penalty_name", ["l21", "l1"])
def test_factor_model_matches_gram_model(penalty_name, fit_intercept):
    from skmtl.solvers import _inner, _kernels
    from skmtl.solvers._gram import factor_model

    X, Y, sw, tw = make_data(60, "shared_weighted", n=20, d=12, T=3)
    penalty = L21(0.5) if penalty_name == "l21" else L1(0.3)
    problem = quadratic_problem(X, Y, sw, tw, penalty, fit_intercept, ridge=0.1)
    features = np.array([0, 3, 4, 7, 8, 9, 11])
    gram = gram_model(problem, features)
    factor = factor_model(problem, features)
    W = random_W(61, features.size, Y.shape[1])
    for name in ("C", "k", "y_mean", "scale"):
        assert_allclose(getattr(factor, name), getattr(gram, name), rtol=1e-12,
                        atol=1e-12)
    assert_allclose(factor.hessian_product(W), gram.hessian_product(W), rtol=1e-11,
                    atol=1e-11)
    assert_allclose(factor.diagonal(), gram.diagonal(), rtol=1e-12)
    HW = gram.hessian_product(W)
    assert_allclose(factor.moments(W, HW), gram.moments(W, HW), rtol=1e-12)
    assert_allclose(factor.intercept(W), gram.intercept(W), rtol=1e-12, atol=1e-12)
    if not _kernels.AVAILABLE:
        return
    D = _inner._row_curvatures(gram, problem)
    order = np.arange(features.size)
    W_g, HW_g = W.copy(), gram.hessian_product(W)
    W_f, HW_f = W.copy(), factor.hessian_product(W)
    sweep = _kernels.compiled_sweep(factor, problem, order)
    for _ in range(3):
        _inner._sweep(gram, problem, W_g, HW_g, D, order)
        sweep(W_f, HW_f, D)
    assert_allclose(W_f, W_g, rtol=0, atol=1e-10 * np.abs(W_g).max())
    assert_allclose(HW_f, HW_g, rtol=0, atol=1e-10 * np.abs(HW_g).max())


@pytest.mark.parametrize("penalty_name", ["l21", "l1", "none"])
def test_support_newton_step(penalty_name):
    """From a point with the optimal support, the Newton step on the support
    lowers the objective and, for L2,1 and no penalty, lands (nearly) on the
    optimum: its KKT distance, recomputed here, falls by orders of magnitude."""
    from skmtl.solvers import _inner

    X, Y = ill_conditioned(70, 1e4)
    weights = weights_of(Y)
    W0 = np.zeros((X.shape[1], Y.shape[1]))
    G0, _ = squared_gradient(X, Y, W0, best_intercept(X, Y, W0, weights), weights)
    alpha = 0.01 * (np.sqrt(np.sum(G0**2, axis=1)).max() if penalty_name == "l21"
                    else np.abs(G0).max())
    penalty = {"l21": L21(alpha), "l1": L1(alpha), "none": NoPenalty()}[penalty_name]
    problem = quadratic_problem(X, Y, None, None, penalty, ridge=1e-3)
    exact = minimize(problem, tol=1e-13, max_iter=100000)
    rng = np.random.default_rng(71)
    W = exact.W * (1 + 0.05 * rng.standard_normal(exact.W.shape)) * (exact.W != 0)
    model = gram_model(problem, np.arange(problem.n_features))
    from skmtl.solvers._inner import Certificate

    certificate = Certificate(problem, model, "kkt")
    HW = model.hessian_product(W)
    W_new, HW_new = _inner.support_newton(model, problem, W, HW, certificate,
                                          np.arange(W.shape[0]))
    name = penalty_name

    def kkt(V):
        b = best_intercept(X, Y, V, weights)
        G = squared_gradient(X, Y, V, b, weights)[0] + 1e-3 * V
        if name == "l21":
            return l21_violation(V, G, alpha)
        if name == "l1":
            return l1_violation(V, G, alpha)
        return np.sqrt(np.sum(G**2))

    def value(V):
        b = best_intercept(X, Y, V, weights)
        return squared_objective(X, Y, V, b, weights, name, alpha, ridge=1e-3)

    assert value(W_new) < value(W)
    assert_allclose(HW_new, model.hessian_product(W_new), rtol=1e-10, atol=1e-10)
    if name != "l1":  # L1's smooth restriction ignores its zero entries' signs
        assert kkt(W_new) <= 1e-3 * kkt(W)


# -- 5. ill-conditioned designs -----------------------------------------------------
def ill_conditioned(seed, condition, n_per_task=30, d=12, T=4):
    rng = np.random.default_rng(seed)
    n = n_per_task * T
    Z = rng.standard_normal((n, d))
    V, _ = np.linalg.qr(rng.standard_normal((d, d)))
    s = np.geomspace(1.0, 1.0 / condition, d)
    X = Z @ V @ np.diag(s) @ V.T
    W = rng.standard_normal((d, T))
    Y = X @ W + 0.1 * rng.standard_normal((n, T))
    task = np.arange(n) % T
    Y[task[:, None] != np.arange(T)] = np.nan  # tasks with their own rows
    return X, Y


def _estimator_objective(est, X, Y, penalty):
    weights = weights_of(Y)
    W, b = est.coef_.T.astype(float), np.asarray(est.intercept_, float)
    return squared_objective(X, Y, W, b, weights, penalty, est.alpha)


ILL_CASES = {
    "l21": (L21Regressor, "l21"),
    "trace": (TraceNormRegressor, "trace"),
    "relation": (TaskRelationRegressor, "squared_trace"),
}


# the duality gap is compared with tol times the objective (not only with
# tol * 2 F(0)): TaskRelation at alpha=1e-3, cond 1e5 (optimum 0.029 against
# 2 F(0) = 2.73) once stopped 1.4e-4 above its optimum without a warning
ILL_PARAMS = [(case, condition, ratio) for case in ILL_CASES
              for condition in (1e4, 1e5) for ratio in (1e-1, 1e-2, 1e-3)]


@pytest.mark.parametrize("case, condition, ratio", ILL_PARAMS)
def test_ill_conditioned_defaults(case, condition, ratio):
    Estimator, penalty = ILL_CASES[case]
    X, Y = ill_conditioned(50, condition)
    weights = weights_of(Y)
    if case == "relation":
        alpha = ratio  # no alpha_max: absolute strengths down to 1e-3
    else:
        W0 = np.zeros((X.shape[1], Y.shape[1]))
        G0, _ = squared_gradient(X, Y, W0, best_intercept(X, Y, W0, weights), weights)
        amax = (np.sqrt(np.sum(G0**2, axis=1)).max() if case == "l21"
                else np.linalg.norm(G0, 2))
        alpha = ratio * amax
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        default = Estimator(alpha=alpha).fit(X, Y)
    tight = Estimator(alpha=alpha, tol=1e-10, max_iter=100000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # judged by objective
        tight.fit(X, Y)
    f_default = _estimator_objective(default, X, Y, penalty)
    f_tight = _estimator_objective(tight, X, Y, penalty)
    assert f_default >= f_tight * (1 - 1e-9)
    assert relerr(f_default, f_tight) <= 1e-4


@pytest.mark.parametrize("seed, n, d, T", [(42, 15, 30, 1), (3, 15, 30, 1),
                                           (5, 12, 20, 3), (8, 40, 10, 2)])
def test_weights_equal_repeated_rows_at_default_tol(seed, n, d, T):
    """Integer sample weights and repeated rows state one problem; at the
    default ``tol`` both fits must end at the same point (their Grams differ
    by rounding only), here to 1e-9 in the predictions: scikit-learn's
    ``check_sample_weight_equivalence`` asks for 1e-7. Fewer distinct rows
    than features (the check's design) makes the optimum badly conditioned,
    where a point that only meets ``tol`` depends on rounding. With one
    task the common point is the optimum itself (the objective is quadratic
    on the support, where the solver ends with Newton steps): its KKT
    distance, recomputed here from the repeated rows, is at rounding level."""
    rng = np.random.RandomState(seed)
    X = rng.rand(n, d)
    Y = rng.randint(0, 3, size=(n, T)).astype(float)
    sw = rng.randint(0, 5, size=n)
    sw[0] = max(sw[0], 1)
    order = rng.permutation(n)
    repeated = L21Regressor().fit(X.repeat(sw, axis=0), Y.repeat(sw, axis=0))
    weighted = L21Regressor().fit(X[order], Y[order], sample_weight=sw[order])
    scale = np.abs(repeated.predict(X)).max()
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=0,
                    atol=1e-9 * scale)
    Xr, Yr = X.repeat(sw, axis=0), Y.repeat(sw, axis=0)
    W = repeated.coef_.reshape(T, d).T
    b = np.atleast_1d(repeated.intercept_)
    R = Yr - Xr @ W - b
    G = -(Xr.T @ R) / Xr.shape[0]  # gradient of 1/(2n) ||Y - XW - b||^2
    assert np.abs(R.mean(axis=0)).max() <= 1e-10 * np.abs(Yr).max()
    if T == 1:
        assert l21_violation(W, G, repeated.alpha_) <= 1e-12 * repeated.alpha_


# -- 6. Newton on hard cases ---------------------------------------------------------
def _classifier_kkt(model, X, Y, alpha, widths):
    """Recompute the L2,1 logistic KKT violation and the intercept gradient."""
    codes = np.full(Y.shape, np.nan)
    for t, classes in enumerate(model.classes_):
        obs = ~np.isnan(Y[:, t])
        codes[obs, t] = np.searchsorted(classes, Y[obs, t])
    weights = weights_of(Y)
    W, b = model.coef_.T.astype(float), model.intercept_.astype(float)
    _, GW, Gb = logistic_parts(X, codes, W, b, weights, widths)
    _, G0, _ = logistic_parts(X, codes, np.zeros_like(W), np.zeros_like(b), weights,
                              widths)
    return l21_violation(W, GW, alpha), np.abs(Gb).max(), np.abs(G0).max()


NEWTON_PARAMS = [(seed, n_classes) for seed in range(5) for n_classes in (2, 4)]


@pytest.mark.parametrize("seed, n_classes", NEWTON_PARAMS)
def test_newton_nearly_separable(seed, n_classes):
    X, Y = classification_data(60 + seed, n_per_task=80, d=8, T=3,
                               n_classes=n_classes, separation=6.0)
    task = np.arange(X.shape[0]) % 3
    Y[task[:, None] != np.arange(3)] = np.nan  # each task its own 80 rows
    alpha = 1e-4
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = L21Classifier(alpha=alpha).fit(X, Y)
    messages = [str(w.message) for w in caught
                if issubclass(w.category, ConvergenceWarning)]
    # proximal Newton converges at the defaults (exact Newton steps on the
    # support with the multinomial Hessian blocks): no warning at all
    assert not messages, messages
    assert model.solver_ == "proximal Newton"  # no hand-over to proximal gradient
    assert model.n_iter_ <= 50
    widths = [1 if n_classes == 2 else n_classes] * 3
    kkt, gb, scale = _classifier_kkt(model, X, Y, alpha, widths)
    # the default tol is relative to the gradient at 0
    total = np.sqrt(kkt**2 + gb**2)
    assert total <= 2e-4 * scale * np.sqrt(X.shape[1] * sum(widths))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_row_hessians_are_exact(n_classes):
    """The per-row Hessian blocks against central differences of the gradient."""
    X, Y = classification_data(80, n_classes=n_classes, missing=0.2)
    problem, layout = logistic_problem(X, Y, None, None, L21(0.1))
    datafit = problem.datafit
    rng = np.random.default_rng(81)
    z = rng.standard_normal(problem.rows.size)
    rows_all, cols_all = datafit.entries()
    eps = 1e-6
    for t, rows, H in datafit.row_hessians(z):
        columns = np.arange(layout.starts[t], layout.starts[t + 1])
        K = columns.size
        assert H.shape == (rows.size, K, K)
        # entry index of (row, column) for this task
        pairs = zip(rows_all, cols_all, strict=True)
        where = {(r, c): k for k, (r, c) in enumerate(pairs)}
        for i in rng.choice(rows.size, 4, replace=False):
            entries = [where[(rows[i], c)] for c in columns]
            numeric = np.zeros((K, K))
            for a, k in enumerate(entries):
                zp, zm = z.copy(), z.copy()
                zp[k] += eps
                zm[k] -= eps
                gp = datafit.value_and_gradient(zp)[1][entries]
                gm = datafit.value_and_gradient(zm)[1][entries]
                numeric[:, a] = (gp - gm) / (2 * eps)
            assert_allclose(H[i], numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_relation_classifier_kkt_repeated(seed):
    """The once-flaky case of tests/test_relation.py::test_classifier_kkt
    [relation-2-True] (TaskRelationClassifier, binary, intercept, weights),
    on ten data sets."""
    from skmtl import TaskRelationClassifier

    rng = np.random.default_rng(100 + seed)
    n, d, T = 80, 5, 4
    X = rng.standard_normal((n, d))
    scores = X @ rng.standard_normal((d, T)) + rng.standard_normal((n, T))
    Y = (scores > 0).astype(float)
    Y[rng.random((n, T)) < 0.2] = np.nan
    for t in range(T):
        Y[:2, t] = [0, 1]
    sw, tw = rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, T)
    alpha = 0.02
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = TaskRelationClassifier(alpha=alpha, tol=1e-10, max_iter=100000,
                                       task_weights=tw).fit(X, Y, sample_weight=sw)
    weights = weights_of(Y, sw, tw)
    W, b = model.coef_.T, model.intercept_
    _, GW, Gb = logistic_parts(X, Y, W, b, weights, [1] * T)
    _, G0, _ = logistic_parts(X, Y, 0 * W, 0 * b, weights, [1] * T)
    atol = 1e-7 * np.abs(G0).max()
    assert np.abs(Gb).max() <= atol
    assert nuclear_violation(W, GW, alpha * nuclear(W))[0] <= atol


# -- 8. protocol checks -----------------------------------------------------------
def _without(obj, member):
    """A stand-in for ``obj`` with every public member but ``member``."""
    names = [n for n in dir(obj) if not n.startswith("_") and n != member]
    namespace = {n: property(lambda self, n=n: getattr(self._inner, n)) for n in names}
    klass = type("Broken" + type(obj).__name__, (), namespace)
    proxy = klass()
    proxy._inner = obj
    return proxy


PENALTY_MEMBERS = ["alpha", "row_separable", "induces_sparsity",
                   "conjugate_is_indicator", "value", "prox_value", "dual_norm",
                   "conjugate"]
ROW_MEMBERS = ["row_violations", "row_minimizer"]
SPECTRAL_MEMBERS = ["violation"]
DATAFIT_MEMBERS = ["n_columns", "n_samples", "layout", "profiled_intercept",
                   "curvature", "entries", "value_and_gradient", "null_intercept"]
QUADRATIC_MEMBERS = ["entry_targets", "entry_weights", "best_intercept",
                     "residual_moments", "dense_targets"]
LOGISTIC_MEMBERS = ["entry_weights", "exact_newton_model", "quadratic_model", "value",
                    "row_hessians", "row_weights"]


@pytest.mark.parametrize(
    "penalty, member",
    [(L21(0.1), m) for m in PENALTY_MEMBERS + ROW_MEMBERS]
    + [(L1(0.1), m) for m in ROW_MEMBERS]
    + [(TraceNorm(0.1), m) for m in PENALTY_MEMBERS + SPECTRAL_MEMBERS]
    + [(SquaredTraceNorm(0.1), m) for m in SPECTRAL_MEMBERS],
)
def test_penalty_protocol(penalty, member):
    X, Y, sw, tw = make_data(70, "nan")
    broken = _without(penalty, member)
    assert not hasattr(broken, member)
    with pytest.raises(TypeError) as info:
        quadratic_problem(X, Y, sw, tw, broken)
    assert type(broken).__name__ in str(info.value)
    assert member in str(info.value)
    quadratic_problem(X, Y, sw, tw, _without(penalty, "_no_such_member"))  # complete


@pytest.mark.parametrize(
    "kind, member",
    [("quadratic", m) for m in DATAFIT_MEMBERS + QUADRATIC_MEMBERS]
    + [("logistic", m) for m in DATAFIT_MEMBERS + LOGISTIC_MEMBERS],
)
def test_datafit_protocol(kind, member):
    if kind == "quadratic":
        X, Y, sw, tw = make_data(71, "nan")
        datafit = quadratic_problem(X, Y, sw, tw, L21(0.1)).datafit
    else:
        X, Y = classification_data(72)
        datafit = logistic_problem(X, Y, None, None, L21(0.1))[0].datafit
    broken = _without(datafit, member)
    with pytest.raises(TypeError) as info:
        Problem(X, broken, L21(0.1), fit_intercept=True)
    assert type(broken).__name__ in str(info.value)
    assert member in str(info.value)
    Problem(X, _without(datafit, "_none"), L21(0.1), fit_intercept=True)


# -- 9. invariances through minimize ------------------------------------------------
def _penalty_and_problem(kind, X, Y, sw, tw):
    if kind == "logistic":
        return logistic_problem(X, Y, sw, tw, L21(0.02))[0]
    penalty = {"l21": L21(0.05), "l1": L1(0.05), "trace": TraceNorm(0.05),
               "squared_trace": SquaredTraceNorm(0.05)}[kind]
    return quadratic_problem(X, Y, sw, tw, penalty)


def _solve(kind, X, Y, sw=None, tw=None):
    problem = _penalty_and_problem(kind, X, Y, sw, tw)
    result = minimize(problem, tol=1e-12 if kind != "logistic" else 1e-10,
                      max_iter=100000)
    assert result.converged, result
    return result.W, result.b


def _invariance_data(kind, seed):
    if kind == "logistic":
        X, Y = classification_data(seed, missing=0.2)
        rng = np.random.default_rng(seed)
        return X, Y, rng.uniform(0.5, 2, X.shape[0]), rng.uniform(0.5, 2, Y.shape[1])
    X, Y, sw, tw = make_data(seed, "nan", n=30, d=5, T=4)
    return X, Y, sw[:, 0], tw


KINDS = ["l21", "l1", "trace", "squared_trace", "logistic"]


@pytest.mark.parametrize("kind", KINDS)
def test_task_permutation_permutes_W(kind):
    X, Y, sw, tw = _invariance_data(kind, 80)
    perm = np.random.default_rng(81).permutation(Y.shape[1])
    W, b = _solve(kind, X, Y, sw, tw)
    Wp, bp = _solve(kind, X, Y[:, perm], sw, tw[perm])
    assert_allclose(Wp, W[:, perm], atol=1e-7 * np.abs(W).max())
    assert_allclose(bp, b[perm], atol=1e-7 * max(np.abs(b).max(), 1))


@pytest.mark.parametrize("kind", KINDS)
def test_row_order_leaves_W_unchanged(kind):
    X, Y, sw, tw = _invariance_data(kind, 82)
    perm = np.random.default_rng(83).permutation(X.shape[0])
    W, b = _solve(kind, X, Y, sw, tw)
    Wp, bp = _solve(kind, X[perm], Y[perm], sw[perm], tw)
    assert_allclose(Wp, W, atol=1e-7 * np.abs(W).max())
    assert_allclose(bp, b, atol=1e-7 * max(np.abs(b).max(), 1))


@pytest.mark.parametrize("kind", KINDS)
def test_duplicated_row_equals_weight_two(kind):
    X, Y, _, tw = _invariance_data(kind, 84)
    rows = [3, 7]
    sw = np.ones(X.shape[0])
    sw[rows] = 2.0
    Xd = np.vstack([X, X[rows]])
    Yd = np.vstack([Y, Y[rows]])
    W, b = _solve(kind, X, Y, sw, tw)
    Wd, bd = _solve(kind, Xd, Yd, None, tw)
    assert_allclose(Wd, W, atol=1e-7 * np.abs(W).max())
    assert_allclose(bd, b, atol=1e-7 * max(np.abs(b).max(), 1))


# -- stacked designs and the scales from the model (fixed costs of a fit) -----------
@pytest.mark.parametrize("xformat", ["dense", "sparse", "float32"])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_declared_stacked_design_products_match_definition(pattern, xformat):
    """A problem on ``[X, X]`` declared stacked computes its products on ``X``
    once: they must equal the products with the stacked design itself."""
    X, Y, sw, tw = make_data(11, pattern, xformat=xformat)
    stacked = sparse.hstack([X, X], format="csc") if sparse.issparse(X) else (
        np.hstack([X, X]))
    weights = weights_of(Y, sw, tw)
    problem = quadratic_problem(stacked, Y, sw, tw, L21(0.1))
    problem.declare_stacked(2, X)
    assert problem.n_blocks == 2
    Xs = dense(stacked).astype(np.float64)
    rng = np.random.default_rng(12)
    W = random_W(13, Xs.shape[1], Y.shape[1])
    W[Xs.shape[1] // 2:][rng.random(Xs.shape[1] // 2) < 0.5] = 0.0
    XW = Xs @ W
    assert_allclose(problem.linear_predictor(W), XW[problem.rows, problem.cols],
                    rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(problem.rows.size)
    E = np.zeros_like(XW)
    E[problem.rows, problem.cols] = g
    assert_allclose(problem.design_gradient(g), Xs.T @ E, rtol=1e-10, atol=1e-10)
    some = np.array([0, 3, Xs.shape[1] - 1])
    assert_allclose(problem.design_gradient(g, some), (Xs.T @ E)[some], rtol=1e-10,
                    atol=1e-10)
    b = best_intercept(Xs, Y, W, weights)
    _, _, _, G = problem.full_gradient(W, None)
    assert_allclose(G, squared_gradient(Xs, Y, W, b, weights)[0], rtol=1e-9,
                    atol=1e-10)


def test_declare_stacked_rejects_wrong_blocks_and_compared_designs_are_declared():
    from skmtl.solvers._stacked import stacked_design

    X, Y, sw, tw = make_data(14, "nan")
    problem = quadratic_problem(np.hstack([X, X]), Y, sw, tw, L21(0.1))
    with pytest.raises(ValueError, match="declare_stacked"):
        problem.declare_stacked(3, X)
    with pytest.raises(ValueError, match="declare_stacked"):
        problem.declare_stacked(2, X[:-1])
    assert problem.n_blocks == 1
    assert stacked_design(problem, 2)  # compared: declared from then on
    assert problem.n_blocks == 2
    other = X.copy()
    other[0, 0] += 1.0
    different = quadratic_problem(np.hstack([X, other]), Y, sw, tw, L21(0.1))
    assert not stacked_design(different, 2)
    assert different.n_blocks == 1


@pytest.mark.parametrize("xformat", ["dense", "sparse", "float32"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_model_scales_match_definition(pattern, fit_intercept, xformat):
    """The tolerance scales from the quadratic model (``sum k``, ``||C||``)
    equal their definition at ``W = 0``: ``sum w (y - b0)^2`` and the norm of
    the gradient there, and what the design gives (``tolerance_scales``)."""
    from skmtl.solvers._minimize import model_scales, tolerance_scales
    from skmtl.solvers._stacked import StackedModel

    X, Y, sw, tw = make_data(15, pattern, xformat=xformat)
    weights = weights_of(Y, sw, tw)
    problem = quadratic_problem(X, Y, sw, tw, L21(0.1), fit_intercept)
    W0 = np.zeros((X.shape[1], Y.shape[1]))
    b0 = best_intercept(X, Y, W0, weights, fit_intercept)
    R = np.where(np.isnan(Y), 0.0, Y - b0)
    gap = float(np.sum(weights * R * R))
    kkt = float(np.linalg.norm(squared_gradient(X, Y, W0, b0, weights)[0]))
    model = problem.gram(np.arange(X.shape[1]))
    got = model_scales(problem, model)
    assert_allclose(got, (gap, kkt), rtol=1e-9)
    assert_allclose(got, tolerance_scales(problem), rtol=1e-9)
    assert problem.gap_scale == pytest.approx(gap, rel=1e-9)
    # the stacked model of [X, X]: the same gap, the gradient [G, G]
    stacked = sparse.hstack([X, X], format="csc") if sparse.issparse(X) else (
        np.hstack([X, X]))
    two = quadratic_problem(stacked, Y, sw, tw, L21(0.1), fit_intercept)
    assert_allclose(model_scales(two, StackedModel(model, 2)),
                    (gap, np.sqrt(2.0) * kkt), rtol=1e-9)
    # a model of some features only: no scales from it
    assert model_scales(problem, problem.gram(np.arange(2))) is None
