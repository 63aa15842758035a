"""Correctness of the task-relationship family.

MeanRegularized*, TaskGraph*, TaskRelation* and TraceNorm* are compared with
things computed independently: a dense solve of the normal equations or a
long accelerated proximal-gradient run on the objective written from its
definition (tests/_relation_reference.py), optimality conditions written
from their definition, scikit-learn on problems that coincide, and
invariances (task and row permutations).
"""

import warnings

import numpy as np
import pytest
from _reference import logistic_gradient
from _relation_reference import (
    dense_quadratic_solve,
    entry_weights,
    logistic_data_term,
    mean_difference_map,
    mean_regularized_logistic_reference,
    nuclear_norm,
    pair_difference_map,
    quadratic_gradient,
    regression_objective,
    regression_reference,
    shrink_with_sum,
)
from numpy.testing import assert_allclose
from scipy import linalg, sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge

import skmtl.solvers._closed_form as closed_form
from skmtl import (
    L21Classifier,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    TaskGraphClassifier,
    TaskGraphRegressor,
    TaskRelationClassifier,
    TaskRelationRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
    alpha_max,
)

TIGHT = dict(tol=1e-14, max_iter=100000)
# the logistic loss: its KKT distance, not a duality gap, meets tol, and below
# about 1e-10 it is at the level of rounding
CLF_TIGHT = dict(tol=1e-10, max_iter=100000)

# fail, rather than pass on an unconverged solution, wherever TIGHT is used
pytestmark = pytest.mark.filterwarnings("error", category=ConvergenceWarning)

GRAPH = np.array(
    [
        [0.0, 1.0, 0.2, 0.0],
        [1.0, 0.0, 0.5, 0.0],
        [0.2, 0.5, 0.0, 2.0],
        [0.0, 0.0, 2.0, 0.0],
    ]
)

REGRESSORS = [
    MeanRegularizedRegressor,
    TaskGraphRegressor,
    TaskRelationRegressor,
    TraceNormRegressor,
]
CLASSIFIERS = [
    MeanRegularizedClassifier,
    TaskGraphClassifier,
    TaskRelationClassifier,
    TraceNormClassifier,
]
RELATION_CLASSIFIERS = [
    MeanRegularizedClassifier,
    TaskGraphClassifier,
    TaskRelationClassifier,
]


# -- data -----------------------------------------------------------------------


def make_regression(n=60, d=6, T=4, seed=0, missing=0.0, noise=0.5):
    """Related tasks (a shared vector plus task deviations), distinct means."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((d, 1)) + 0.6 * rng.standard_normal((d, T))
    Y = X @ W + noise * rng.standard_normal((n, T)) + rng.standard_normal(T)
    if missing:
        Y[rng.random((n, T)) < missing] = np.nan
    return X, Y


def to_binary(Y):
    return np.where(np.isnan(Y), np.nan, (Y > np.nanmedian(Y, axis=0)).astype(float))


def to_three_classes(Y):
    """Labels 0, 1, 2 by tertiles of each task: the same label set everywhere."""
    low, high = np.nanquantile(Y, [1 / 3, 2 / 3], axis=0)
    labels = (Y > low).astype(float) + (Y > high)
    return np.where(np.isnan(Y), np.nan, labels)


def tight(Estimator):
    return CLF_TIGHT if Estimator in CLASSIFIERS else TIGHT


def rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(
        np.linalg.norm(b), 1e-300
    )


def weights_for(setting, X, Y, seed=1):
    """``(sample_weight, task_weights)`` of a test setting: "plain" (none),
    "entry" (one weight per (row, task), some zero) or any other (per row)."""
    rng = np.random.default_rng(seed)
    if setting == "plain":
        return None, None
    tw = rng.uniform(0.5, 2.0, Y.shape[1])
    if setting == "entry":
        sw = rng.uniform(0.3, 2.5, Y.shape)
        sw[rng.random(Y.shape) < 0.1] = 0.0
        return sw, tw
    return rng.uniform(0.3, 2.5, X.shape[0]), tw


# -- optimality conditions from their definitions --------------------------------


def pair_gradient(W, A):
    """Gradient of ``1/2 sum_{s<t} A_st ||w_s - w_t||^2`` in W (d, T)."""
    T = W.shape[1]
    G = np.zeros_like(W)
    for s in range(T):
        for t in range(s + 1, T):
            diff = A[s, t] * (W[:, s] - W[:, t])
            G[:, s] += diff
            G[:, t] -= diff
    return G


def mean_gradient(W):
    """Gradient of ``1/2 sum_t ||w_t - w_mean||^2``."""
    return W - W.mean(axis=1, keepdims=True)


def spectral_violation(W, G, radius, rank_tol=1e-9):
    """Distance-like violation of ``-G in radius * subdiff ||W||_*``.

    With ``W = U S V^T`` (rank r) the subdifferential of the trace norm is
    ``U V^T + M`` with ``U^T M = 0``, ``M V = 0`` and ``||M||_2 <= 1``.
    """
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    r = int(np.sum(s > rank_tol * s[0])) if s.size and s[0] > 0 else 0
    U, V = U[:, :r], Vt[:r].T
    P = -G
    PU = np.eye(W.shape[0]) - U @ U.T
    PV = np.eye(W.shape[1]) - V @ V.T
    parts = [
        np.abs(U.T @ P @ V - radius * np.eye(r)).max(initial=0.0),
        np.abs(U.T @ P @ PV).max(initial=0.0),
        np.abs(PU @ P @ V).max(initial=0.0),
    ]
    rest = PU @ P @ PV
    top = np.linalg.svd(rest, compute_uv=False)[0] if rest.size else 0.0
    parts.append(max(top - radius, 0.0))
    return max(parts)


def l1_violation(W, G, l1):
    return np.where(
        W != 0, np.abs(G + l1 * np.sign(W)), np.maximum(np.abs(G) - l1, 0.0)
    ).max()


def label_codes(Y, classes):
    """Per-task class indices (-1 where missing), in the order of ``classes``."""
    codes = np.full(Y.shape, -1, dtype=int)
    for t, c in enumerate(classes):
        observed = ~np.isnan(Y[:, t])
        codes[observed, t] = np.searchsorted(c, Y[observed, t])
        assert np.array_equal(c[codes[observed, t]], Y[observed, t])
    return codes


def classifier_gradients(model, X, Y, weights):
    """Data-term gradient in W (d, n_columns) and b, from the definition."""
    codes = label_codes(Y, model.classes_)
    blocks = [model.coef_[s].T for s in model.task_slices_]
    b_blocks = [model.intercept_[s] for s in model.task_slices_]
    codes_list = [codes[:, t] for t in range(Y.shape[1])]
    grads, grads_b = logistic_gradient(X, codes_list, blocks, b_blocks, weights)
    return np.hstack(grads), np.concatenate(grads_b)


def per_class(W, T, K):
    """(d, T*K) task-major columns -> list over classes of (d, T) matrices."""
    d = W.shape[0]
    return [W.reshape(d, T, K)[:, :, k] for k in range(K)]


def task_matrix(W, T, K):
    """(d, T*K) -> (d*K, T): column t stacks all of task t's class weights."""
    d = W.shape[0]
    return W.reshape(d, T, K).transpose(0, 2, 1).reshape(d * K, T)


# -- 1. regressors against independent references -----------------------------------

# name, estimator, extra parameters, reference kind
REGRESSION_CASES = {
    "mean": (MeanRegularizedRegressor, dict(alpha=0.7), "mean"),
    "graph_none": (TaskGraphRegressor, dict(alpha=0.7), "mean"),
    "graph": (TaskGraphRegressor, dict(alpha=0.4, graph=GRAPH), "graph"),
    "graph_l1": (TaskGraphRegressor, dict(alpha=0.4, graph=GRAPH, l1=0.2), "graph"),
    "graph_none_l1": (TaskGraphRegressor, dict(alpha=0.7, l1=0.2), "graph"),
    "relation": (TaskRelationRegressor, dict(alpha=0.05), "relation"),
    "trace": (TraceNormRegressor, dict(alpha=1.0), "trace"),
}


@pytest.mark.parametrize("setting", ["plain", "weighted", "entry", "missing"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("case", list(REGRESSION_CASES))
def test_regressor_matches_reference(case, fit_intercept, setting):
    Estimator, params, kind = REGRESSION_CASES[case]
    X, Y = make_regression(seed=3, missing=0.25 if setting == "missing" else 0.0)
    sw, tw = weights_for(setting, X, Y)
    ridge = 0.05 if setting in ("weighted", "entry") else 0.0
    model = Estimator(
        ridge=ridge, fit_intercept=fit_intercept, task_weights=tw, **params, **TIGHT
    ).fit(X, Y, sample_weight=sw)
    assert model.coef_.shape == (Y.shape[1], X.shape[1])
    weights = entry_weights(Y, sw, tw)
    d, T = X.shape[1], Y.shape[1]
    alpha, graph, l1 = params["alpha"], params.get("graph"), params.get("l1", 0.0)
    if kind == "mean" or (kind == "graph" and l1 == 0):
        coupling = (
            mean_difference_map(T, d)
            if graph is None
            else pair_difference_map(graph, d)
        )
        W_ref, b_ref = dense_quadratic_solve(
            X, Y, weights, coupling, alpha, ridge, fit_intercept
        )
        tolerance = 1e-8
    else:
        W_ref, b_ref = regression_reference(
            kind, X, Y, alpha, ridge, fit_intercept, weights, graph=graph, l1=l1
        )
        tolerance = 1e-6
    assert rel(model.coef_.T, W_ref) < tolerance
    scale = np.nanstd(Y)
    assert_allclose(model.intercept_, b_ref, rtol=0, atol=tolerance * scale)
    if not fit_intercept:
        assert np.all(model.intercept_ == 0)
    objective_kind = "graph" if kind == "mean" else kind
    ours = regression_objective(
        objective_kind,
        X,
        Y,
        model.coef_.T,
        model.intercept_,
        weights,
        alpha,
        ridge,
        graph=graph,
        l1=l1,
    )
    reference = regression_objective(
        objective_kind, X, Y, W_ref, b_ref, weights, alpha, ridge, graph=graph, l1=l1
    )
    assert ours <= reference + 1e-9 * abs(reference)
    if kind == "mean":  # the mean form of the penalty is the same function
        assert_allclose(
            regression_objective("mean", X, Y, W_ref, b_ref, weights, alpha, ridge),
            reference,
            rtol=1e-12,
        )


@pytest.mark.parametrize("missing", [0.0, 0.2])
@pytest.mark.parametrize("case", ["graph_l1", "graph_none_l1", "relation", "trace"])
def test_wide_regressor_matches_reference(case, missing):
    """More features than samples (and than the working-set minimum)."""
    Estimator, params, kind = REGRESSION_CASES[case]
    params = dict(params)
    if "graph" in params:
        params["graph"] = GRAPH[:3, :3]
    X, Y = make_regression(n=30, d=120, T=3, seed=43, missing=missing)
    sw = np.random.default_rng(44).uniform(0.5, 2.0, X.shape[0])
    ridge = 0.1  # a unique solution
    if kind == "graph":
        model = Estimator(ridge=ridge, **params, **TIGHT).fit(X, Y, sample_weight=sw)
    else:
        # at tol=1e-14 the duality gap leaves the intercepts ~1e-6 off here
        # (d > n); 1e-16 is out of reach, the reference decides
        model = Estimator(ridge=ridge, **params, tol=1e-16, max_iter=100000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, Y, sample_weight=sw)
    weights = entry_weights(Y, sw)
    alpha, graph, l1 = params["alpha"], params.get("graph"), params.get("l1", 0.0)
    W_ref, b_ref = regression_reference(
        kind, X, Y, alpha, ridge, True, weights, graph=graph, l1=l1, max_iter=50000
    )
    assert rel(model.coef_.T, W_ref) < 1e-6
    assert_allclose(model.intercept_, b_ref, rtol=0, atol=1e-6 * np.nanstd(Y))
    ours = regression_objective(
        kind,
        X,
        Y,
        model.coef_.T,
        model.intercept_,
        weights,
        alpha,
        ridge,
        graph=graph,
        l1=l1,
    )
    reference = regression_objective(
        kind, X, Y, W_ref, b_ref, weights, alpha, ridge, graph=graph, l1=l1
    )
    assert ours <= reference + 1e-9 * abs(reference)
    if l1:
        assert np.sum(np.all(model.coef_ == 0, axis=0)) > 0


def regression_kkt(model, X, Y, weights, alpha, graph=None, l1=0.0):
    """Largest violation of the optimality conditions of TaskGraphRegressor."""
    W, b = model.coef_.T, model.intercept_
    R = np.where(np.isnan(Y), 0.0, weights * (X @ W + b - Y))
    T = W.shape[1]
    A = np.full((T, T), 1.0 / T) if graph is None else graph
    G = X.T @ R + model.ridge * W + alpha * pair_gradient(W, A)
    intercept = np.abs(R.sum(axis=0)).max() if model.fit_intercept else 0.0
    return max(l1_violation(W, G, l1), intercept)


def classifier_kkt(model, X, Y, weights, alpha, graph, l1):
    """Largest violation of the optimality conditions of a binary
    TaskGraphClassifier, from the definitions."""
    G, Gb = classifier_gradients(model, X, Y, weights)
    W = model.coef_.T
    G = G + model.ridge * W + alpha * pair_gradient(W, graph)
    intercept = np.abs(Gb).max() if model.fit_intercept else 0.0
    return max(l1_violation(W, G, l1), intercept)


@pytest.mark.parametrize(
    "kind, loose, tighter",
    [
        pytest.param(
            "regressor",
            1e-15,
            1e-16,
        ),
        pytest.param(
            "classifier",
            1e-10,
            1e-12,
        ),
    ],
)
def test_tighter_tol_never_gives_a_worse_solution(kind, loose, tighter):
    """Asking for more accuracy may cost iterations (and warn), but the
    solution returned must not be further from optimal."""
    if kind == "regressor":
        X, Y = make_regression(n=30, d=120, T=3, seed=43, missing=0.2)
        sw = np.random.default_rng(44).uniform(0.5, 2.0, X.shape[0])
        weights = entry_weights(Y, sw)
        params = dict(alpha=0.7, l1=0.2, ridge=0.1, max_iter=3000)

        def kkt(model):
            return regression_kkt(model, X, Y, weights, 0.7, l1=0.2)

        Estimator = TaskGraphRegressor
    else:
        X, Yr = make_regression(n=80, d=5, seed=7, missing=0.2, noise=1.0)
        Y = to_binary(Yr)
        sw, tw = weights_for("weighted", X, Y, seed=8)
        weights = entry_weights(Y, sw, tw)
        params = dict(
            alpha=0.3, graph=GRAPH, l1=0.04, fit_intercept=False, task_weights=tw
        )

        def kkt(model):
            return classifier_kkt(model, X, Y, weights, 0.3, GRAPH, 0.04)

        Estimator = TaskGraphClassifier
    reference = Estimator(tol=loose, **params).fit(X, Y, sample_weight=sw)
    best = kkt(reference)
    assert best < 1e-11
    model = Estimator(tol=tighter, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # may be out of reach
        model.fit(X, Y, sample_weight=sw)
    assert kkt(model) <= 10 * best
    assert rel(model.coef_, reference.coef_) < 1e-9


def test_reference_cases_are_not_trivial():
    """The l1 and trace-norm cases above have some, but not all, zeros."""
    X, Y = make_regression(seed=3)
    _, params, _ = REGRESSION_CASES["graph_l1"]
    coef = TaskGraphRegressor(**params, **TIGHT).fit(X, Y).coef_
    assert 0 < np.sum(coef == 0) < coef.size
    _, params, _ = REGRESSION_CASES["trace"]
    model = TraceNormRegressor(**params, **TIGHT).fit(X, Y)
    assert 0 < model.rank_ < Y.shape[1]


def test_squared_trace_prox_reference_is_a_prox():
    """The reference prox of c/2 ||.||_*^2 minimises its objective."""
    rng = np.random.default_rng(0)
    V = rng.standard_normal((6, 4))
    c = 0.3
    s = np.linalg.svd(V, compute_uv=False)
    sigma = shrink_with_sum(s, c)
    total = sigma.sum()
    assert_allclose(sigma, np.maximum(s - c * total, 0.0), atol=1e-14)
    assert 0 < np.count_nonzero(sigma) < s.size  # the case exercises both parts

    def phi(sig):
        return 0.5 * np.sum((sig - s) ** 2) + 0.5 * c * np.sum(sig) ** 2

    for _ in range(200):
        other = np.maximum(sigma + 0.05 * rng.standard_normal(s.size), 0)
        assert phi(other) >= phi(sigma)


# -- attributes defined from coef_ ------------------------------------------------


@pytest.mark.parametrize(
    "Estimator, n_classes",
    [
        (TaskRelationRegressor, None),
        (TaskRelationClassifier, 2),
        (TaskRelationClassifier, 3),
    ],
)
def test_task_covariance_is_the_minimising_omega(Estimator, n_classes):
    X, Y = make_regression(seed=4, missing=0.2)
    if n_classes == 2:
        Y = to_binary(Y)
    elif n_classes == 3:
        Y = to_three_classes(Y)
    model = Estimator(alpha=0.05, **tight(Estimator)).fit(X, Y)
    W = model.coef_.T
    if n_classes == 3:  # tasks, not classes, are related
        W = task_matrix(W, Y.shape[1], n_classes)
    # (W^T W)^{1/2} / tr, by an eigendecomposition
    evals, evecs = np.linalg.eigh(W.T @ W)
    root = (evecs * np.sqrt(np.clip(evals, 0, None))) @ evecs.T
    omega = model.task_covariance_
    assert_allclose(omega, root / np.trace(root), atol=1e-10)
    assert_allclose(omega, omega.T, atol=1e-14)
    assert abs(np.trace(omega) - 1) < 1e-12
    assert np.linalg.eigvalsh(omega)[0] > -1e-12
    # it attains min over Omega of tr(W Omega^-1 W^T) = ||W||_*^2
    value = np.trace(W @ np.linalg.pinv(omega) @ W.T)
    assert_allclose(value, nuclear_norm(W) ** 2, rtol=1e-8)
    rng = np.random.default_rng(0)
    for _ in range(20):
        B = rng.standard_normal((Y.shape[1], Y.shape[1]))
        other = B @ B.T
        other /= np.trace(other)
        assert np.trace(W @ np.linalg.inv(other) @ W.T) >= value * (1 - 1e-10)
    std = np.sqrt(np.diag(omega))
    assert_allclose(model.task_correlation_, omega / np.outer(std, std), atol=1e-10)
    assert_allclose(np.diag(model.task_correlation_), 1.0)


def test_trace_norm_attributes_describe_coef():
    X, Y = make_regression(seed=5)
    model = TraceNormRegressor(alpha=0.15, **TIGHT).fit(X, Y)
    W = model.coef_.T
    s = np.linalg.svd(W, compute_uv=False)
    r = model.rank_
    assert model.components_.shape == (r, X.shape[1])
    assert model.singular_values_.shape == (r,)
    assert_allclose(model.singular_values_, s[:r], rtol=1e-10)
    assert np.all(s[r:] <= 1e-10 * s[0])
    C = model.components_
    assert_allclose(C @ C.T, np.eye(r), atol=1e-12)
    assert_allclose(C.T @ (C @ W), W, atol=1e-12 * np.abs(W).max())


def test_trace_norm_zero_from_the_spectral_norm_of_the_gradient_at_zero():
    X, Y = make_regression(seed=37, missing=0.2)
    sw = np.random.default_rng(38).uniform(0.5, 2.0, X.shape[0])
    weights = entry_weights(Y, sw)
    # gradient of the data term at W = 0 and the best intercepts
    Y0 = np.nan_to_num(Y)
    b0 = (weights * Y0).sum(axis=0) / weights.sum(axis=0)
    G0 = -X.T @ (weights * (Y0 - b0))
    threshold = np.linalg.norm(G0, 2)
    assert_allclose(alpha_max(TraceNormRegressor(), X, Y, sw), threshold, rtol=1e-10)
    above = TraceNormRegressor(alpha=1.001 * threshold, **TIGHT).fit(X, Y, sw)
    assert np.all(above.coef_ == 0) and above.rank_ == 0
    assert_allclose(above.intercept_, b0, rtol=1e-12)
    below = TraceNormRegressor(alpha=0.98 * threshold, **TIGHT).fit(X, Y, sw)
    assert below.rank_ == 1
    # the direction that enters first is the top singular pair of -G0
    U, _, Vt = np.linalg.svd(-G0)
    assert abs(below.components_[0] @ U[:, 0]) > 1 - 1e-3


def test_trace_norm_classifier_zero_from_the_spectral_norm():
    X, Yr = make_regression(seed=39, missing=0.2)
    Y = to_binary(Yr)
    weights = entry_weights(Y)
    observed = ~np.isnan(Y)
    p0 = (weights * np.nan_to_num(Y)).sum(axis=0) / weights.sum(axis=0)
    G0 = X.T @ np.where(observed, weights * (p0 - np.nan_to_num(Y)), 0.0)
    threshold = np.linalg.norm(G0, 2)
    assert_allclose(alpha_max(TraceNormClassifier(), X, Y), threshold, rtol=1e-8)
    above = TraceNormClassifier(alpha=1.001 * threshold, **CLF_TIGHT).fit(X, Y)
    assert np.all(above.coef_ == 0)
    assert_allclose(above.intercept_, np.log(p0 / (1 - p0)), rtol=1e-8, atol=1e-12)
    below = TraceNormClassifier(alpha=0.98 * threshold, **CLF_TIGHT).fit(X, Y)
    assert below.rank_ == 1


def test_single_task_relation_models_are_ridge():
    """One task: ||w||_*^2 = ||w||^2 and the mean penalty vanishes."""
    rng = np.random.default_rng(45)
    X = rng.standard_normal((50, 5))
    y = X @ rng.standard_normal(5) + 0.5 * rng.standard_normal(50) + 2.0
    sw = rng.uniform(0.5, 2.0, 50)
    s = sw * 50 / sw.sum()
    alpha, ridge = 0.3, 0.1
    relation = TaskRelationRegressor(alpha=alpha, ridge=ridge, **TIGHT).fit(X, y, sw)
    ref = Ridge(alpha=(alpha + ridge) * 50, tol=1e-12).fit(X, y, sample_weight=s)
    assert relation.coef_.shape == (5,) and isinstance(relation.intercept_, float)
    assert rel(relation.coef_, ref.coef_) < 1e-7
    assert_allclose(relation.intercept_, ref.intercept_, rtol=1e-7)
    assert_allclose(relation.task_covariance_, [[1.0]])
    assert_allclose(relation.task_correlation_, [[1.0]])
    mean = MeanRegularizedRegressor(alpha=alpha, ridge=ridge, **TIGHT).fit(X, y, sw)
    ref = Ridge(alpha=ridge * 50, tol=1e-12).fit(X, y, sample_weight=s)
    assert rel(mean.coef_, ref.coef_) < 1e-9
    assert_allclose(mean.mean_coef_, mean.coef_)
    labels = (y > np.median(y)).astype(int)
    clf = TaskRelationClassifier(alpha=alpha, ridge=ridge, **CLF_TIGHT).fit(X, labels)
    ref = LogisticRegression(C=1 / ((alpha + ridge) * 50), tol=1e-12, max_iter=10000)
    ref.fit(X, labels)
    assert_allclose(clf.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-9)


def test_mean_coef_is_the_mean_task():
    X, Y = make_regression(seed=6, missing=0.2)
    reg = MeanRegularizedRegressor(alpha=0.5, **TIGHT).fit(X, Y)
    assert reg.mean_coef_.shape == (X.shape[1],)
    assert_allclose(reg.mean_coef_, reg.coef_.mean(axis=0), atol=1e-14)
    clf = MeanRegularizedClassifier(alpha=0.5, **CLF_TIGHT).fit(X, to_three_classes(Y))
    K = 3
    assert clf.mean_coef_.shape == (K, X.shape[1])
    per_task = np.stack([clf.coef_[s] for s in clf.task_slices_])  # (T, K, d)
    assert_allclose(clf.mean_coef_, per_task.mean(axis=0), atol=1e-14)


# -- 2. classifiers: optimality conditions ------------------------------------------

# name, estimator, parameters
CLASSIFICATION_CASES = {
    "mean": (MeanRegularizedClassifier, dict(alpha=0.5)),
    "mean_ridge": (MeanRegularizedClassifier, dict(alpha=0.5, ridge=0.02)),
    "graph": (TaskGraphClassifier, dict(alpha=0.3, graph=GRAPH)),
    "graph_l1": (TaskGraphClassifier, dict(alpha=0.3, graph=GRAPH, l1=0.08)),
    "relation": (TaskRelationClassifier, dict(alpha=0.02)),
    "trace": (TraceNormClassifier, dict(alpha=0.02)),
}


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("case", list(CLASSIFICATION_CASES))
def test_classifier_kkt(case, n_classes, fit_intercept):
    Estimator, params = CLASSIFICATION_CASES[case]
    X, Yr = make_regression(n=80, d=5, seed=7, missing=0.2, noise=1.0)
    Y = to_binary(Yr) if n_classes == 2 else to_three_classes(Yr)
    sw, tw = weights_for("weighted", X, Y, seed=8)
    model = Estimator(
        task_weights=tw, fit_intercept=fit_intercept, **params, **CLF_TIGHT
    )
    model.fit(X, Y, sample_weight=sw)
    T, K = Y.shape[1], (1 if n_classes == 2 else n_classes)
    assert model.coef_.shape == (T * K, X.shape[1])
    assert [len(c) for c in model.classes_] == [n_classes] * T
    weights = entry_weights(Y, sw, tw)
    G, Gb = classifier_gradients(model, X, Y, weights)
    W = model.coef_.T
    scale = np.abs(classifier_gradients(_zero_like(model), X, Y, weights)[0]).max()
    atol = 1e-7 * scale
    if fit_intercept:
        assert_allclose(Gb, 0.0, atol=atol)
    else:
        assert np.all(model.intercept_ == 0)
    alpha, ridge = params["alpha"], params.get("ridge", 0.0)
    G = G + ridge * W
    if Estimator in (MeanRegularizedClassifier, TaskGraphClassifier):
        graph = params.get("graph")
        penalty = [
            mean_gradient(Wk) if graph is None else pair_gradient(Wk, graph)
            for Wk in per_class(W, T, K)
        ]
        G = G + alpha * np.stack(penalty, axis=2).reshape(W.shape)
        if params.get("l1", 0.0) > 0:
            assert l1_violation(W, G, params["l1"]) < atol
            assert 0 < np.sum(W == 0) < W.size
        else:
            assert np.abs(G).max() < atol
    elif Estimator is TaskRelationClassifier:
        V, GV = task_matrix(W, T, K), task_matrix(G, T, K)
        assert spectral_violation(V, GV, alpha * nuclear_norm(V)) < atol
        assert model.task_covariance_.shape == (T, T)
    else:
        assert spectral_violation(W, G, alpha) < atol
        assert 0 < model.rank_ <= min(W.shape)


def _zero_like(model):
    """A copy of the fitted model with zero coefficients and intercepts."""

    class Zero:
        pass

    zero = Zero()
    zero.classes_, zero.task_slices_ = model.classes_, model.task_slices_
    zero.coef_ = np.zeros_like(model.coef_)
    zero.intercept_ = np.zeros_like(model.intercept_)
    return zero


def test_trace_norm_classifier_kkt_at_low_rank():
    """A trace-norm solution of rank < n_columns satisfies the full subgradient
    condition (the part of the gradient outside the row/column spaces)."""
    X, Yr = make_regression(n=80, d=5, seed=9, missing=0.1)
    Y = to_binary(Yr)
    model = TraceNormClassifier(alpha=0.3, **CLF_TIGHT).fit(X, Y)
    assert 0 < model.rank_ < Y.shape[1]
    weights = entry_weights(Y)
    G, Gb = classifier_gradients(model, X, Y, weights)
    assert spectral_violation(model.coef_.T, G, 0.3) < 1e-9
    assert_allclose(Gb, 0.0, atol=1e-9)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_mean_regularized_classifier_matches_long_reference_run(fit_intercept):
    rng = np.random.default_rng(10)
    n, d, T = 30, 3, 3
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((d, 1)) + 0.5 * rng.standard_normal((d, T))
    Y = (X @ W + rng.standard_normal((n, T)) > 0).astype(float)
    Y[rng.random((n, T)) < 0.2] = np.nan
    sw = rng.uniform(0.5, 2.0, n)
    alpha, ridge = 0.3, 0.01
    model = MeanRegularizedClassifier(
        alpha=alpha, ridge=ridge, fit_intercept=fit_intercept, **CLF_TIGHT
    ).fit(X, Y, sample_weight=sw)
    weights = entry_weights(Y, sw)
    codes = label_codes(Y, model.classes_)
    W_ref, b_ref = mean_regularized_logistic_reference(
        X, codes, weights, alpha, ridge, fit_intercept
    )
    assert rel(model.coef_.T, W_ref) < 1e-6
    assert_allclose(model.intercept_, b_ref, rtol=0, atol=1e-6)

    def objective(W, b):
        blocks = [W[:, [t]] for t in range(T)]
        data = logistic_data_term(X, codes, blocks, list(b[:, None]), weights)
        mean = 0.5 * np.sum((W - W.mean(axis=1, keepdims=True)) ** 2)
        return data + alpha * mean + 0.5 * ridge * np.sum(W * W)

    reference = objective(W_ref, b_ref)
    assert objective(model.coef_.T, model.intercept_) <= reference + 1e-9 * reference


# -- 3. equivalences -------------------------------------------------------------


def test_mean_regularized_regressor_is_task_graph_with_default_graph():
    X, Y = make_regression(seed=11, missing=0.2)
    sw, tw = weights_for("weighted", X, Y)
    T = Y.shape[1]
    mean = MeanRegularizedRegressor(alpha=0.8, ridge=0.01, task_weights=tw, **TIGHT)
    mean.fit(X, Y, sample_weight=sw)
    for graph in (
        None,
        np.full((T, T), 1.0 / T),
        sparse.csr_matrix(np.ones((T, T)) / T),
    ):
        model = TaskGraphRegressor(
            graph=graph, alpha=0.8, ridge=0.01, task_weights=tw, **TIGHT
        ).fit(X, Y, sample_weight=sw)
        assert rel(model.coef_, mean.coef_) < 1e-9
        assert_allclose(model.intercept_, mean.intercept_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_mean_regularized_classifier_is_task_graph_with_default_graph(n_classes):
    X, Yr = make_regression(seed=12, missing=0.2)
    Y = to_binary(Yr) if n_classes == 2 else to_three_classes(Yr)
    # a small ridge makes the multinomial solution unique (no ridge: adding one
    # vector to every class of every task changes nothing)
    mean = MeanRegularizedClassifier(alpha=0.8, ridge=0.01, tol=1e-12).fit(X, Y)
    graph = TaskGraphClassifier(alpha=0.8, ridge=0.01, tol=1e-12).fit(X, Y)
    assert_allclose(graph.coef_, mean.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(graph.intercept_, mean.intercept_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("Estimator", REGRESSORS)
def test_alpha_zero_regressor_is_one_ridge_per_task(Estimator, fit_intercept):
    X, Y = make_regression(seed=13, missing=0.3)
    sw, tw = weights_for("weighted", X, Y, seed=14)
    ridge = 0.1
    model = Estimator(
        alpha=0.0, ridge=ridge, fit_intercept=fit_intercept, task_weights=tw, **TIGHT
    ).fit(X, Y, sample_weight=sw)
    for t in range(Y.shape[1]):
        rows = ~np.isnan(Y[:, t])
        n_t = rows.sum()
        s = sw[rows] * n_t / sw[rows].sum()  # mean one over the task's rows
        # c_t / (2 n_t) sum s r^2 + ridge/2 ||w||^2
        #   = c_t / (2 n_t) * (sum s r^2 + (ridge n_t / c_t) ||w||^2)
        ref = Ridge(alpha=ridge * n_t / tw[t], fit_intercept=fit_intercept, tol=1e-12)
        ref.fit(X[rows], Y[rows, t], sample_weight=s)
        assert rel(model.coef_[t], ref.coef_) < 1e-8
        assert abs(model.intercept_[t] - ref.intercept_) < 1e-8 * np.nanstd(Y)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("Estimator", CLASSIFIERS)
def test_alpha_zero_classifier_is_one_logistic_regression_per_task(
    Estimator, n_classes
):
    X, Yr = make_regression(n=70, d=4, T=3, seed=15, missing=0.2, noise=1.0)
    Y = to_binary(Yr) if n_classes == 2 else to_three_classes(Yr)
    sw, tw = weights_for("weighted", X, Y, seed=16)
    ridge = 0.05
    model = Estimator(alpha=0.0, ridge=ridge, task_weights=tw, **CLF_TIGHT)
    model.fit(X, Y, sample_weight=sw)
    for t in range(Y.shape[1]):
        rows = ~np.isnan(Y[:, t])
        n_t = rows.sum()
        s = sw[rows] * n_t / sw[rows].sum()
        # c_t / n_t sum s loss + ridge/2 ||w||^2  <=>  C sum s loss + 1/2 ||w||^2
        ref = LogisticRegression(C=tw[t] / (ridge * n_t), tol=1e-12, max_iter=10000)
        ref.fit(X[rows], Y[rows, t], sample_weight=s)
        columns = model.task_slices_[t]
        assert_allclose(model.coef_[columns], ref.coef_, rtol=1e-6, atol=1e-7)
        assert_allclose(model.intercept_[columns], ref.intercept_, rtol=1e-6, atol=1e-7)
        assert np.array_equal(model.classes_[t], ref.classes_)


def test_large_alpha_gives_one_shared_weight_vector():
    X, Y = make_regression(seed=17, missing=0.2)
    spreads = []
    for alpha in (1e2, 1e5):
        model = MeanRegularizedRegressor(alpha=alpha, tol=1e-8).fit(X, Y)
        deviation = model.coef_ - model.mean_coef_
        spreads.append(np.linalg.norm(deviation) / np.linalg.norm(model.mean_coef_))
    assert spreads[1] < 1e-4
    assert spreads[1] < 1e-2 * spreads[0]  # deviations shrink like 1 / alpha
    # ... and the shared vector is the pooled fit with one intercept per task
    T = Y.shape[1]
    rows, tasks = np.nonzero(~np.isnan(Y))
    weights = entry_weights(Y)[rows, tasks]
    design = np.hstack([X[rows], np.eye(T)[tasks]])
    sqrt_w = np.sqrt(weights)
    theta = np.linalg.lstsq(design * sqrt_w[:, None], Y[rows, tasks] * sqrt_w)[0]
    assert rel(model.mean_coef_, theta[: X.shape[1]]) < 1e-4


ALL_ESTIMATORS = [
    (MeanRegularizedRegressor, dict(alpha=0.5)),
    (TaskGraphRegressor, dict(alpha=0.5, graph=GRAPH)),
    (TaskGraphRegressor, dict(alpha=0.5, graph=GRAPH, l1=0.2)),
    (TaskRelationRegressor, dict(alpha=0.05)),
    (TraceNormRegressor, dict(alpha=1.0)),
    (MeanRegularizedClassifier, dict(alpha=0.5)),
    (TaskGraphClassifier, dict(alpha=0.5, graph=GRAPH)),
    (TaskRelationClassifier, dict(alpha=0.02)),
    (TraceNormClassifier, dict(alpha=0.02)),
]


def _ids(cases):
    return [
        f"{E.__name__}-{'-'.join(k for k in p if k != 'alpha') or 'default'}"
        for E, p in cases
    ]


def _targets_for(Estimator, Y):
    return to_binary(Y) if Estimator in CLASSIFIERS else Y


@pytest.mark.parametrize("Estimator, params", ALL_ESTIMATORS, ids=_ids(ALL_ESTIMATORS))
def test_permuting_tasks_permutes_the_solution(Estimator, params):
    X, Y = make_regression(seed=18, missing=0.2)
    Y = _targets_for(Estimator, Y)
    perm = np.array([2, 0, 3, 1])
    permuted = dict(params)
    if "graph" in params:
        permuted["graph"] = params["graph"][np.ix_(perm, perm)]
    a = Estimator(**params, **tight(Estimator)).fit(X, Y)
    b = Estimator(**permuted, **tight(Estimator)).fit(X, Y[:, perm])
    atol = 1e-7 * np.abs(a.coef_).max()
    assert_allclose(b.coef_, a.coef_[perm], rtol=1e-6, atol=atol)
    assert_allclose(b.intercept_, a.intercept_[perm], rtol=1e-6, atol=1e-7)
    if hasattr(a, "task_covariance_"):
        assert_allclose(
            b.task_covariance_, a.task_covariance_[np.ix_(perm, perm)], atol=1e-7
        )
        assert_allclose(
            b.task_correlation_, a.task_correlation_[np.ix_(perm, perm)], atol=1e-6
        )
    if hasattr(a, "singular_values_"):
        assert b.rank_ == a.rank_
        assert_allclose(b.singular_values_, a.singular_values_, rtol=1e-6)


@pytest.mark.parametrize("Estimator, params", ALL_ESTIMATORS, ids=_ids(ALL_ESTIMATORS))
def test_row_order_does_not_matter(Estimator, params):
    X, Y = make_regression(seed=19, missing=0.2)
    Y = _targets_for(Estimator, Y)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    perm = np.random.default_rng(1).permutation(X.shape[0])
    a = Estimator(**params, **tight(Estimator)).fit(X, Y, sample_weight=sw)
    b = Estimator(**params, **tight(Estimator)).fit(
        X[perm], Y[perm], sample_weight=sw[perm]
    )
    atol = 1e-7 * np.abs(a.coef_).max()
    assert_allclose(b.coef_, a.coef_, rtol=1e-6, atol=atol)
    assert_allclose(b.intercept_, a.intercept_, rtol=1e-6, atol=1e-7)


# -- 4. structure recovery ---------------------------------------------------------


def test_task_relation_recovers_two_groups_of_tasks():
    rng = np.random.default_rng(20)
    n, d = 80, 8
    X = rng.standard_normal((n, d))
    u = rng.standard_normal(d)
    v = rng.standard_normal(d)
    v -= (v @ u) / (u @ u) * u  # the second group is unrelated to the first
    v *= np.linalg.norm(u) / np.linalg.norm(v)
    W = np.column_stack([u] * 3 + [v] * 3) + 0.1 * rng.standard_normal((d, 6))
    Y = X @ W + 0.3 * rng.standard_normal((n, 6))
    model = TaskRelationRegressor(alpha=0.1, tol=1e-10).fit(X, Y)
    corr = model.task_correlation_
    groups = np.array([0, 0, 0, 1, 1, 1])
    same = groups[:, None] == groups[None, :]
    off_diagonal = ~np.eye(6, dtype=bool)
    within = corr[same & off_diagonal]
    between = corr[~same]
    assert within.min() > 0.95
    assert np.abs(between).max() < 0.4
    assert within.min() - np.abs(between).max() > 0.6
    # the same structure in the covariance
    cov = model.task_covariance_
    assert cov[same & off_diagonal].min() > 3 * np.abs(cov[~same]).max()


def test_trace_norm_recovers_a_rank_two_subspace():
    rng = np.random.default_rng(21)
    n, d, T = 80, 10, 6
    X = rng.standard_normal((n, d))
    basis = rng.standard_normal((d, 2))
    W = basis @ rng.standard_normal((2, T))
    Y = X @ W + 0.05 * rng.standard_normal((n, T))
    model = TraceNormRegressor(alpha=0.05, tol=1e-10).fit(X, Y)
    assert model.rank_ == 2
    angles = linalg.subspace_angles(model.components_.T, basis)
    assert np.max(angles) < 0.05
    assert rel(model.coef_.T, W) < 0.1


def test_trace_norm_classifier_finds_a_low_rank_on_rank_one_data():
    rng = np.random.default_rng(22)
    n, d, T = 150, 6, 5
    X = rng.standard_normal((n, d))
    direction = rng.standard_normal(d)
    signs = rng.choice([-1.0, 1.0], T) * rng.uniform(1.0, 2.0, T)
    Y = (X @ direction)[:, None] * signs + 0.3 * rng.standard_normal((n, T)) > 0
    model = TraceNormClassifier(alpha=0.1, tol=1e-8).fit(X, Y.astype(int))
    assert model.rank_ == 1
    cosine = abs(model.components_[0] @ direction) / np.linalg.norm(direction)
    assert cosine > 0.95
    free = TraceNormClassifier(alpha=0.0, ridge=1e-3, tol=1e-8).fit(X, Y.astype(int))
    assert free.rank_ == T  # the low rank comes from the penalty


# -- 5. bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    "graph",
    [
        np.ones((3, 3)),  # wrong shape
        np.ones((4, 5)),
        np.array([[0, 1, 0, 0], [2, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]),
        -GRAPH,
        np.where(np.eye(4, dtype=bool), 0, -1.0),
        np.where(GRAPH == 2.0, np.nan, GRAPH),
        np.where(GRAPH == 2.0, np.inf, GRAPH),
    ],
    ids=["3x3", "4x5", "asymmetric", "negative", "negative_all", "nan", "inf"],
)
@pytest.mark.parametrize("Estimator", [TaskGraphRegressor, TaskGraphClassifier])
def test_malformed_graph_is_rejected(Estimator, graph):
    X, Y = make_regression(n=30, seed=23)
    Y = _targets_for(Estimator, Y)
    with pytest.raises(ValueError, match="graph"):
        Estimator(graph=graph).fit(X, Y)


def test_graph_diagonal_is_ignored_and_sparse_graph_accepted():
    X, Y = make_regression(seed=24)
    a = TaskGraphRegressor(graph=GRAPH, **TIGHT).fit(X, Y)
    b = TaskGraphRegressor(graph=GRAPH + 5 * np.eye(4), **TIGHT).fit(X, Y)
    c = TaskGraphRegressor(graph=sparse.csr_matrix(GRAPH), **TIGHT).fit(X, Y)
    assert_allclose(b.coef_, a.coef_, rtol=1e-10)
    assert_allclose(c.coef_, a.coef_, rtol=1e-10)


def _different_labels(n=60, seed=25):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    Y = np.column_stack(
        [
            (X[:, 0] > 0).astype(float),
            np.digitize(X[:, 1], [-0.5, 0.5]).astype(float),  # 0, 1, 2
            (X[:, 2] > 0).astype(float),
        ]
    )
    Y[:5, 0] = np.nan
    return X, Y


@pytest.mark.parametrize("Estimator", RELATION_CLASSIFIERS)
def test_relation_classifiers_reject_different_label_sets(Estimator):
    X, Y = _different_labels()
    with pytest.raises(ValueError, match=r"task 'task_1' has .* but task 'task_0' has"):
        Estimator().fit(X, Y)
    Y2 = Y.copy()
    Y2[:, 2] = Y2[:, 2] + 1  # labels {1, 2}: same count, other labels
    Y2[:, 1] = Y2[:, 0]
    Y2[:5, 1] = 0.0
    with pytest.raises(ValueError, match="task 'task_2'"):
        Estimator().fit(X, Y2)


@pytest.mark.parametrize("Estimator", [TraceNormClassifier, L21Classifier])
def test_trace_norm_and_l21_accept_different_label_sets(Estimator):
    X, Y = _different_labels()
    model = Estimator(alpha=0.01).fit(X, Y)
    assert [len(c) for c in model.classes_] == [2, 3, 2]
    assert model.coef_.shape == (1 + 3 + 1, X.shape[1])
    assert model.predict(X).shape == Y.shape


# -- 6. closed forms ---------------------------------------------------------------


@pytest.fixture
def solver_spy(monkeypatch):
    """Records which closed-form path solved the problem.

    Small coupled problems are solved by a dense factorisation; here they go
    to conjugate gradients (``_DIRECT_UNKNOWNS = 0``), the path these tests
    exercise (the dense solve is tested in tests/test_solvers.py)."""
    monkeypatch.setattr(closed_form, "_DIRECT_UNKNOWNS", 0)
    calls = []
    for name, cls in (
        ("sylvester", closed_form.SharedDesignSolver),
        ("cg", closed_form.CoupledSolver),
    ):

        def spy(self, *args, _solve=cls.solve, _name=name, **kwargs):
            calls.append(_name)
            return _solve(self, *args, **kwargs)

        monkeypatch.setattr(cls, "solve", spy)
    return calls


def _stationarity(model, X, Y, weights, coupling):
    """Largest entry of the gradient in (W, b), relative to the one at zero."""
    W, b = model.coef_.T, np.atleast_1d(model.intercept_)
    GW, Gb = quadratic_gradient(X, Y, W, b, weights, coupling, model.alpha, model.ridge)
    b0 = (
        np.nansum(weights * np.nan_to_num(Y), axis=0) / weights.sum(axis=0)
        if model.fit_intercept
        else 0 * b
    )
    G0, _ = quadratic_gradient(X, Y, 0 * W, b0, weights, coupling, 0, 0)
    violation = max(np.abs(GW).max(), np.abs(Gb).max() if model.fit_intercept else 0)
    return violation / np.abs(G0).max()


@pytest.mark.parametrize("ridge", [0.0, 0.02])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("shape", [(60, 6), (20, 30)], ids=["n>d", "d>n"])
@pytest.mark.parametrize("path", ["sylvester", "cg"])
def test_closed_form_paths_are_stationary(
    solver_spy, path, shape, fit_intercept, ridge
):
    n, d = shape
    X, Y = make_regression(n=n, d=d, T=4, seed=26)
    sw = np.random.default_rng(27).uniform(0.5, 2.0, n)
    if path == "cg":
        Y[np.random.default_rng(28).random(Y.shape) < 0.2] = np.nan
    tw = np.array([1.0, 0.5, 2.0, 1.5])
    model = MeanRegularizedRegressor(
        alpha=0.6,
        ridge=ridge,
        fit_intercept=fit_intercept,
        task_weights=tw,
        tol=1e-12,
        max_iter=10000,
    ).fit(X, Y, sample_weight=sw)
    assert solver_spy == [path]
    weights = entry_weights(Y, sw, tw)
    coupling = mean_difference_map(Y.shape[1], d)
    assert _stationarity(model, X, Y, weights, coupling) < 1e-8
    if ridge > 0:  # unique solution: the dense solve agrees
        W_ref, b_ref = dense_quadratic_solve(
            X, Y, weights, coupling, 0.6, ridge, fit_intercept
        )
        assert rel(model.coef_.T, W_ref) < 1e-7
        assert_allclose(model.intercept_, b_ref, atol=1e-7 * np.nanstd(Y))


@pytest.mark.parametrize("ridge", [0.0, 0.02])
@pytest.mark.parametrize("path", ["sylvester", "cg"])
def test_graph_closed_form_paths_are_stationary(solver_spy, path, ridge):
    X, Y = make_regression(seed=29)
    if path == "cg":
        Y[np.random.default_rng(30).random(Y.shape) < 0.2] = np.nan
    model = TaskGraphRegressor(graph=GRAPH, alpha=0.6, ridge=ridge, tol=1e-12)
    model.fit(X, Y)
    assert solver_spy == [path]
    coupling = pair_difference_map(GRAPH, X.shape[1])
    assert _stationarity(model, X, Y, entry_weights(Y), coupling) < 1e-8


@pytest.mark.parametrize("ridge", [0.0, 0.05])
@pytest.mark.parametrize("path", ["sylvester", "cg"])
def test_constant_feature_gets_zero_coefficient(solver_spy, path, ridge):
    X, Y = make_regression(seed=31)
    X[:, 2] = 3.7
    if path == "cg":
        Y[np.random.default_rng(32).random(Y.shape) < 0.2] = np.nan
    model = MeanRegularizedRegressor(alpha=0.5, ridge=ridge, tol=1e-12).fit(X, Y)
    assert solver_spy == [path]
    assert np.abs(model.coef_[:, 2]).max() <= 1e-10 * np.abs(model.coef_).max()
    # the other coefficients are those without the column
    reduced = MeanRegularizedRegressor(alpha=0.5, ridge=ridge, tol=1e-12)
    reduced.fit(np.delete(X, 2, axis=1), Y)
    assert rel(np.delete(model.coef_, 2, axis=1), reduced.coef_) < 1e-8
    assert_allclose(model.intercept_, reduced.intercept_, atol=1e-8)


@pytest.mark.parametrize("Estimator", [TaskRelationRegressor, TraceNormRegressor])
def test_constant_feature_gets_zero_coefficient_spectral(Estimator):
    X, Y = make_regression(seed=33, missing=0.2)
    X[:, 2] = -1.3
    model = Estimator(alpha=0.05, **TIGHT).fit(X, Y)
    assert np.abs(model.coef_[:, 2]).max() <= 1e-10 * np.abs(model.coef_).max()


# -- 7. no NaN in the outputs ---------------------------------------------------------


def _assert_finite_attributes(model):
    for name in (
        "coef_",
        "intercept_",
        "mean_coef_",
        "task_covariance_",
        "task_correlation_",
        "singular_values_",
        "components_",
        "kkt_violation_",
        "dual_gap_",
    ):
        if hasattr(model, name):
            assert np.all(np.isfinite(getattr(model, name))), name


@pytest.mark.parametrize("Estimator, params", ALL_ESTIMATORS, ids=_ids(ALL_ESTIMATORS))
def test_task_with_zero_weight_gives_finite_outputs(Estimator, params):
    X, Y = make_regression(seed=34, missing=0.2)
    Y = _targets_for(Estimator, Y)
    tw = np.array([1.0, 0.0, 2.0, 1.0])
    with np.errstate(all="raise"):
        model = Estimator(task_weights=tw, **params, tol=1e-10).fit(X, Y)
    _assert_finite_attributes(model)
    assert np.all(np.isfinite(model.predict(X).astype(float)))
    if Estimator in (TaskRelationRegressor, TaskRelationClassifier):
        # with no data, the task's weights stay at zero (up to rounding), and
        # it is uncorrelated with the others
        assert np.abs(model.coef_[1]).max() <= 1e-12 * np.abs(model.coef_).max()
        corr = model.task_correlation_
        assert np.abs(corr[1, [0, 2, 3]]).max() < 1e-4
        assert np.abs(corr[[0, 2, 3], 1]).max() < 1e-4
    if Estimator is MeanRegularizedRegressor:
        # ... or equal to the mean of the others when pulled to the mean
        others = model.coef_[[0, 2, 3]].mean(axis=0)
        assert_allclose(model.coef_[1], others, rtol=1e-6, atol=1e-9)


def test_zero_solution_attributes():
    X, Y = make_regression(seed=35, missing=0.2)
    model = TraceNormRegressor(alpha=1e3).fit(X, Y)
    assert np.all(model.coef_ == 0)
    assert model.rank_ == 0
    assert model.components_.shape == (0, X.shape[1])
    assert model.singular_values_.shape == (0,)
    _assert_finite_attributes(model)
    # intercepts are then the weighted means of the tasks
    assert_allclose(model.intercept_, np.nanmean(Y, axis=0), rtol=1e-12)
    # a task relation model whose targets do not depend on X: W = 0
    T = Y.shape[1]
    constant = np.where(np.isnan(Y), np.nan, np.arange(T, dtype=float))
    for Estimator, target in (
        (TaskRelationRegressor, constant),
        (TaskRelationClassifier, to_binary(Y)),
    ):
        if Estimator is TaskRelationClassifier:
            kwargs = dict(alpha=1e6)  # nearly zero weights
        else:
            kwargs = dict(alpha=0.1)
        with np.errstate(all="raise"):
            model = Estimator(**kwargs).fit(X, target)
        _assert_finite_attributes(model)
        if Estimator is TaskRelationRegressor:
            assert np.all(model.coef_ == 0)
            assert_allclose(model.task_covariance_, np.eye(T) / T)
            assert_allclose(model.task_correlation_, np.eye(T))
            assert_allclose(model.intercept_, np.arange(T))


def test_trace_norm_classifier_zero_solution():
    X, Y = make_regression(seed=36, missing=0.2)
    model = TraceNormClassifier(alpha=1e3).fit(X, to_three_classes(Y))
    assert np.all(model.coef_ == 0) and model.rank_ == 0
    _assert_finite_attributes(model)
    proba = model.predict_proba(X)
    for p in proba:
        assert np.all(np.isfinite(p))
        assert_allclose(p.sum(axis=1), 1.0)
