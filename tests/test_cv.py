"""Regularization paths and the cross-validated estimators (``NameCV``).

The references are written here: KKT conditions of the L2,1 problem in
plain numpy, separate cold fits, scikit-learn's ``GridSearchCV`` over the
same grid, splits and scoring, and the serial run for the dask backend.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

import skmtl
from skmtl import (
    L21Classifier,
    L21Regressor,
    L21RegressorCV,
    MeanRegularizedRegressor,
    MeanRegularizedRegressorCV,
    TaskGraphRegressor,
    TaskGraphRegressorCV,
    TaskRelationRegressor,
    TraceNormRegressor,
    alpha_max,
)
from skmtl.metrics import get_scorer
from skmtl.model_selection import (
    MultiTaskCV,
    TaskStratifiedKFold,
    alpha_grid,
    cv_class,
    regularization_path,
)
from skmtl.solvers import PathSolver

CV_CLASSES = [
    getattr(skmtl, name) for name in skmtl.__all__ if name.endswith("CV")
]


def regression_data(n=60, d=8, T=3, missing=0.0, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = np.zeros((d, T))
    W[:3] = rng.standard_normal((3, T))
    Y = X @ W + 0.5 * rng.standard_normal((n, T))
    Y[rng.random(Y.shape) < missing] = np.nan
    return X, Y


def labels(Y):
    return np.where(np.isnan(Y), np.nan, (Y > np.nanmedian(Y, axis=0)).astype(float))


# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------


def l21_kkt(X, Y, W, b, alpha):
    """Largest violation of the L2,1 optimality conditions (all observed)."""
    n = X.shape[0]
    G = -X.T @ (Y - X @ W - b) / n
    norms = np.linalg.norm(W, axis=1)
    active = norms > 0
    violation = np.zeros(W.shape[0])
    violation[active] = np.linalg.norm(
        G[active] + alpha * W[active] / norms[active, None], axis=1
    )
    violation[~active] = np.maximum(np.linalg.norm(G[~active], axis=1) - alpha, 0)
    return violation.max()


def test_l21_path_satisfies_kkt_along_the_grid():
    X, Y = regression_data(seed=1)
    alphas, coefs, intercepts = regularization_path(
        L21Regressor(tol=1e-10), X, Y, n_alphas=8, eps=1e-2
    )
    Yc = Y - Y.mean(axis=0)
    top = np.linalg.norm((X - X.mean(axis=0)).T @ Yc / len(X), axis=1).max()
    assert_allclose(alphas[0], top, rtol=1e-10)
    assert_allclose(alphas, np.geomspace(top, 1e-2 * top, 8), rtol=1e-10)
    assert np.all(coefs[0] == 0)
    for alpha, coef, intercept in zip(alphas, coefs, intercepts, strict=True):
        assert l21_kkt(X, Y, coef.T, intercept, alpha) < 1e-5 * top


@pytest.mark.parametrize(
    "estimator",
    [
        L21Regressor(tol=1e-10),
        TraceNormRegressor(tol=1e-10),
        MeanRegularizedRegressor(ridge=0.01, tol=1e-12),
        TaskGraphRegressor(graph=[[0, 1, 0], [1, 0, 1], [0, 1, 0]], l1=0.02,
                           tol=1e-10),
        TaskRelationRegressor(ridge=0.01, tol=1e-10),
        L21Classifier(ridge=0.01, tol=1e-8),
    ],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("missing", [0.0, 0.25])
def test_warm_started_path_equals_cold_fits(estimator, missing):
    X, Y = regression_data(missing=missing, seed=2)
    if isinstance(estimator, L21Classifier):
        Y = labels(Y)
    alphas, coefs, intercepts = regularization_path(estimator, X, Y, n_alphas=4,
                                                    eps=1e-2)
    for alpha, coef, intercept in zip(alphas, coefs, intercepts, strict=True):
        cold = clone(estimator).set_params(alpha=alpha).fit(X, Y)
        scale = max(np.abs(cold.coef_).max(), 1.0)
        assert_allclose(coef, cold.coef_, atol=2e-4 * scale)
        assert_allclose(intercept, cold.intercept_, atol=2e-4 * scale)


@pytest.mark.parametrize(
    "estimator",
    [MeanRegularizedRegressor(ridge=0.01, tol=1e-12),
     TaskGraphRegressor(graph=[[0, 1, 0], [1, 0, 1], [0, 1, 0]], ridge=0.01,
                        tol=1e-12)],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("missing", [0.0, 0.3])
def test_quadratic_path_decomposes_once(monkeypatch, missing, estimator):
    X, Y = regression_data(missing=missing, seed=3)
    calls = {"eigh": 0, "inv": 0}
    eigh, inv = np.linalg.eigh, np.linalg.inv

    def counting_eigh(*args, **kwargs):
        calls["eigh"] += 1
        return eigh(*args, **kwargs)

    def counting_inv(*args, **kwargs):
        calls["inv"] += 1
        return inv(*args, **kwargs)

    monkeypatch.setattr(np.linalg, "eigh", counting_eigh)
    monkeypatch.setattr(np.linalg, "inv", counting_inv)
    alphas, coefs, _ = regularization_path(estimator, X, Y, n_alphas=10)
    monkeypatch.undo()
    # the first point is the estimator's own fit, the other nine share one
    # decomposition of the fold's Gram(s)
    assert calls["eigh"] <= 2 and calls["inv"] <= 1
    for k in (1, 9):
        cold = clone(estimator).set_params(alpha=alphas[k]).fit(X, Y)
        assert_allclose(coefs[k], cold.coef_, rtol=1e-6, atol=1e-8)


def test_wide_path_builds_one_gram_and_satisfies_kkt(monkeypatch):
    """d = 240 > 8 T: a single fit would take its working sets' Grams from
    the design; along a path the full Gram is built once per path and every
    strength uses it (and the KKT conditions, written here, hold)."""
    from skmtl.solvers import _gram

    rng = np.random.default_rng(11)
    X = rng.standard_normal((50, 240))
    Y = X[:, :4] @ rng.standard_normal((4, 3)) + 0.1 * rng.standard_normal((50, 3))
    calls = {"moments": 0}
    moments = _gram._centred_moments

    def counting(*args, **kwargs):
        calls["moments"] += 1
        return moments(*args, **kwargs)

    monkeypatch.setattr(_gram, "_centred_moments", counting)
    alphas, coefs, intercepts = regularization_path(
        L21Regressor(tol=1e-10), X, Y, n_alphas=6, eps=0.05)
    monkeypatch.undo()
    # the first strength is the estimator's own fit (its own Grams), the
    # other five share one
    first = {"moments": 0}

    def counting_first(*args, **kwargs):
        first["moments"] += 1
        return moments(*args, **kwargs)

    monkeypatch.setattr(_gram, "_centred_moments", counting_first)
    L21Regressor(alpha=alphas[0], tol=1e-10).fit(X, Y)
    monkeypatch.undo()
    assert calls["moments"] <= first["moments"] + 1
    top = alphas[0]
    for alpha, coef, intercept in zip(alphas, coefs, intercepts, strict=True):
        assert l21_kkt(X, Y, coef.T, intercept, alpha) < 1e-5 * top


def test_share_gram_refuses_another_datafit():
    X, Y = regression_data(seed=12)
    est = L21Regressor(alpha=0.1)
    X1, _, datafit = est._prepare(X, Y, None)
    problem, _ = est._build_problem(X1, datafit)
    problem.gram(np.arange(X.shape[1]))
    other, _ = est._build_problem(X1, datafit)
    assert not other.has_gram
    other.share_gram(problem)
    assert other.has_gram and other.gram(np.arange(X.shape[1])) is problem.gram(
        np.arange(X.shape[1]))
    _, _, datafit2 = est._prepare(X, Y + 1.0, None)
    third, _ = est._build_problem(X1, datafit2)
    with pytest.raises(ValueError, match="same datafit"):
        third.share_gram(problem)


def test_conditional_alpha_max_of_a_decomposed_model():
    """DirtyRegressor: above the conditional top the shared part stays zero
    (the solution no longer changes), just below it becomes non-zero; the
    top is at most T * l1 (|gradient| <= l1 entrywise at the lasso solution)
    and a model with one sparsity strength keeps alpha_max."""
    from skmtl import DirtyRegressor
    from skmtl.model_selection import conditional_alpha_max

    X, Y = regression_data(n=80, d=6, T=4, seed=13)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    model = DirtyRegressor(l1=0.02, tol=1e-10, max_iter=20000)
    top = conditional_alpha_max(model, X, Y)
    assert top <= 4 * 0.02 * (1 + 1e-8)
    assert top < alpha_max(model, X, Y, param="alpha")
    above = clone(model).set_params(alpha=1.05 * top).fit(X, Y)
    below = clone(model).set_params(alpha=0.9 * top).fit(X, Y)
    far = clone(model).set_params(alpha=alpha_max(model, X, Y)).fit(X, Y)
    assert np.all(above.shared_coef_ == 0)
    assert np.any(below.shared_coef_ != 0)
    assert_allclose(above.coef_, far.coef_, atol=1e-6)
    grid = alpha_grid(model, X, Y, n_alphas=3)
    assert_allclose(grid[0], top)
    assert conditional_alpha_max(L21Regressor(), X, Y) == alpha_max(
        L21Regressor(), X, Y)


def test_convergence_advice_depends_on_where_on_the_grid():
    from skmtl._paths import convergence_message

    grid = np.geomspace(1.0, 1e-3, 10)
    low = convergence_message(L21Regressor(), [grid[-1], grid[-2]], alphas=grid)
    high = convergence_message(L21Regressor(), [grid[0]], alphas=grid)
    assert "larger eps" in low and "max_iter" in low
    assert "larger eps" not in high and "Increase max_iter" in high


def test_grid_without_alpha_max_is_on_the_data_scale():
    X, Y = regression_data(missing=0.2, seed=4)
    X = X * np.arange(1, 9)
    variances = [
        np.mean(np.var(X[~np.isnan(Y[:, t])], axis=0)) for t in range(Y.shape[1])
    ]
    grid = alpha_grid(MeanRegularizedRegressor(), X, Y, n_alphas=5, eps=1e-3)
    assert_allclose(grid, np.geomspace(10, 1e-2, 5) * np.mean(variances), rtol=1e-10)


# ---------------------------------------------------------------------------
# The compiled L2,1 path (skmtl.solvers._gram_path) and the stacked fold scores
# ---------------------------------------------------------------------------


def weighted_l21_kkt(X, Y, W, b, alpha, ridge, sample_weight, task_weights):
    """Largest KKT violation of L21Regressor's documented objective with
    missing entries, sample weights (normalised to mean one over each task's
    observed rows), task weights and ridge; also the intercepts' gradient."""
    mask = ~np.isnan(Y)
    S = np.broadcast_to(sample_weight[:, None], Y.shape) * mask
    S = S / S.sum(axis=0) * task_weights  # c_t s_it / n_t with mean-one s
    R = np.where(mask, np.nan_to_num(Y) - X @ W - b, 0.0)
    G = -X.T @ (S * R) + ridge * W
    norms = np.linalg.norm(W, axis=1)
    active = norms > 0
    violation = np.zeros(W.shape[0])
    violation[active] = np.linalg.norm(
        G[active] + alpha * W[active] / norms[active, None], axis=1)
    violation[~active] = np.maximum(np.linalg.norm(G[~active], axis=1) - alpha, 0)
    return max(violation.max(), np.abs((S * R).sum(axis=0)).max())


def _general_path(monkeypatch, estimator, X, Y, alphas, **kwargs):
    """The same path by the general solver (the compiled one switched off)."""
    from skmtl.solvers import _gram_path

    with monkeypatch.context() as patch:
        patch.setattr(_gram_path, "available", lambda: False)
        return regularization_path(estimator, X, Y, alphas=alphas, **kwargs)


@pytest.mark.skipif(not PathSolver.compiles(), reason="needs numba")
@pytest.mark.parametrize("missing, ridge, weighted", [
    (0.0, 0.0, False), (0.25, 0.0, True), (0.0, 0.3, True), (0.25, 0.3, False)])
def test_compiled_l21_path_meets_kkt_and_equals_the_general_solver(
        monkeypatch, missing, ridge, weighted):
    X, Y = regression_data(n=70, d=12, T=4, missing=missing, seed=21)
    rng = np.random.default_rng(0)
    sample_weight = rng.uniform(0.3, 2.0, X.shape[0]) if weighted else np.ones(70)
    task_weights = np.array([1.0, 2.0, 0.5, 1.5]) if weighted else np.ones(4)
    estimator = L21Regressor(ridge=ridge, tol=1e-10, max_iter=5000,
                             task_weights=list(task_weights))
    grid = alpha_grid(estimator, X, Y, n_alphas=10, eps=1e-3,
                      sample_weight=sample_weight)
    from skmtl import _paths
    from skmtl.solvers import _gram_path

    path = _paths.path_points(estimator, X, Y, grid, sample_weight=sample_weight)
    assert path.compiled() is not None  # this problem takes the compiled route

    def no_fallback(*args):
        raise AssertionError("the compiled epochs should solve every strength")

    with monkeypatch.context() as patch:
        patch.setattr(_gram_path.GramL21Path, "_take_over", no_fallback)
        alphas, coefs, intercepts = regularization_path(
            estimator, X, Y, alphas=grid, sample_weight=sample_weight)
    _, general, general_b = _general_path(monkeypatch, estimator, X, Y, grid,
                                          sample_weight=sample_weight)
    for alpha, coef, b, other, other_b in zip(alphas, coefs, intercepts, general,
                                              general_b, strict=True):
        assert weighted_l21_kkt(X, Y, coef.T, b, alpha, ridge, sample_weight,
                                task_weights) < 1e-5 * grid[0]
        assert_allclose(coef, other, atol=1e-5 * max(np.abs(other).max(), 1.0))
        assert_allclose(b, other_b, atol=1e-5 * max(np.abs(other).max(), 1.0))


@pytest.mark.skipif(not PathSolver.compiles(), reason="needs numba")
def test_compiled_path_permutes_with_the_tasks_and_the_rows():
    X, Y = regression_data(n=50, d=10, T=4, missing=0.2, seed=22)
    grid = alpha_grid(L21Regressor(), X, Y, n_alphas=6, eps=1e-2)
    estimator = L21Regressor(tol=1e-10)
    _, coefs, intercepts = regularization_path(estimator, X, Y, alphas=grid)
    tasks, rows = [2, 0, 3, 1], np.random.default_rng(1).permutation(50)
    _, permuted, permuted_b = regularization_path(estimator, X[rows],
                                                  Y[rows][:, tasks], alphas=grid)
    assert_allclose(permuted, coefs[:, tasks], atol=1e-7)
    assert_allclose(permuted_b, intercepts[:, tasks], atol=1e-7)


@pytest.mark.skipif(not PathSolver.compiles(), reason="needs numba")
def test_a_strength_coordinate_descent_crawls_on_goes_to_the_general_solver(
        monkeypatch):
    """5 rows, 10 features, a tiny strength: coordinate descent needs about
    6000 epochs; the compiled path hands the strength to the general solver
    (Newton steps on the support) before its max_iter, and the point meets
    the KKT conditions; a warning is given only if that solver fails too."""
    from sklearn.datasets import make_regression

    from skmtl import _paths
    from skmtl.solvers import _gram_path

    X, y = make_regression(random_state=42, n_targets=5, n_samples=11,
                           n_features=10)
    X, y = X[6:], y[6:]
    estimator = L21Regressor(tol=1e-4, max_iter=1000)
    path = _paths.path_points(estimator, X, y, np.array([0.01]))
    fast = path.compiled()
    calls = []
    fallback = fast.fallback

    def counting(alpha, W):
        calls.append(alpha)
        return fallback(alpha, W)

    monkeypatch.setattr(fast, "fallback", counting)
    (model, n_iter), = list(path)
    assert calls == [0.01] and path.unconverged == []
    assert n_iter < 1000
    kkt = weighted_l21_kkt(X, y, model.coef_.T, model.intercept_, 0.01, 0.0,
                           np.ones(5), np.ones(5))
    top = alpha_max(L21Regressor(), X, y)
    assert kkt < 1e-3 * top
    with monkeypatch.context() as patch:  # without the fallback: max_iter
        patch.setattr(fast, "fallback", None)
        _, _, _, _, _, status = next(fast.solve(np.array([0.01])))
    assert status[0] in ("max_iter", "stalled")
    assert _gram_path.applies(path.compiled().problem)


def _scorer_cases():
    from skmtl.metrics import make_task_scorer, r2_score

    return [
        get_scorer("r2"),
        get_scorer("neg_mean_squared_error"),
        get_scorer("neg_root_mean_squared_error"),
        make_task_scorer(r2_score, multioutput=[1.0, 3.0, 0.5]),
        get_scorer("neg_mean_absolute_error"),  # not stacked: one call per point
    ]


@pytest.mark.skipif(not PathSolver.compiles(), reason="needs numba")
@pytest.mark.parametrize("weights", [None, "rows", "entries"])
@pytest.mark.parametrize("scorer", _scorer_cases(), ids=repr)
def test_stacked_fold_scores_equal_the_scorer_on_each_model(scorer, weights):

    X, Y = regression_data(n=90, d=10, T=3, missing=0.2, seed=23)
    rng = np.random.default_rng(2)
    sample_weight = {None: None, "rows": rng.uniform(0.2, 2.0, 90),
                     "entries": rng.uniform(0.2, 2.0, (90, 3))}[weights]
    train, test = np.arange(60), np.arange(60, 90)
    grid = alpha_grid(L21Regressor(), X, Y, n_alphas=7, eps=1e-2)
    scores, n_iter, expected = _batched_and_each(scorer, X, Y, sample_weight, grid,
                                                 train, test)
    assert_allclose(scores, expected, rtol=1e-12, atol=1e-12)
    assert n_iter.shape == (7,)


def _batched_and_each(scorer, X, Y, sample_weight, grid, train, test):
    """``(scores, n_iter)`` of a fold's compiled path scored in batch, and
    the scorer applied to each of its models (the reference)."""
    from skmtl import _cv, _paths

    test_weight = None if sample_weight is None else sample_weight[test]
    train_weight = None if sample_weight is None else sample_weight[train]
    path = _paths.path_points(L21Regressor(tol=1e-8), X[train], Y[train], grid,
                              sample_weight=train_weight)
    scores, n_iter = _cv._batched_fold_scores(path, scorer, X[test], Y[test],
                                              test_weight)
    kwargs = {} if test_weight is None else {"sample_weight": test_weight}
    expected = [scorer(model, X[test], Y[test], **kwargs) for model, _ in path]
    return scores, n_iter, expected


@pytest.mark.skipif(not PathSolver.compiles(), reason="needs numba")
@pytest.mark.parametrize("sparse_X", [False, True])
@pytest.mark.parametrize("weights", [None, "rows", "entries"])
@pytest.mark.parametrize("scorer", _scorer_cases()[:4], ids=repr)
def test_entry_fold_scores_equal_the_scorer_on_each_model(monkeypatch, scorer,
                                                          weights, sparse_X):
    """Most entries missing (tasks with their own rows): only the observed
    entries are predicted (the full (points, rows, tasks) predictions are
    never made), and the scores are the scorer's on each model."""
    from skmtl import _cv

    X, Y = regression_data(n=150, d=8, T=3, missing=0.7, seed=26)
    if sparse_X:
        X = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    rng = np.random.default_rng(3)
    sample_weight = {None: None, "rows": rng.uniform(0.2, 2.0, 150),
                     "entries": rng.uniform(0.2, 2.0, (150, 3))}[weights]
    train, test = np.arange(100), np.arange(100, 150)
    grid = alpha_grid(L21Regressor(), X[train], Y[train], n_alphas=6, eps=1e-2)

    def no_full_predictions(*args):
        raise AssertionError("the full predictions were made")

    monkeypatch.setattr(_cv, "_batch_predictions", no_full_predictions)
    scores, n_iter, expected = _batched_and_each(scorer, X, Y, sample_weight, grid,
                                                 train, test)
    assert_allclose(scores, expected, rtol=1e-12, atol=1e-12)
    assert n_iter.shape == (6,)


@pytest.mark.skipif(not PathSolver.compiles(), reason="needs numba")
def test_stacked_scores_of_an_undefined_task_warn_as_the_scorer_does():
    """A test fold where a task has one observed row: R² is undefined there;
    the stacked route calls the metric per point (with its warning) and the
    task is left out, as the scorer does on each model."""
    from skmtl import _cv, _paths

    X, Y = regression_data(n=60, d=6, T=3, seed=24)
    Y[45:, 1] = np.nan
    Y[45, 1] = 1.0
    grid = alpha_grid(L21Regressor(), X, Y, n_alphas=4, eps=1e-2)
    path = _paths.path_points(L21Regressor(), X[:45], Y[:45], grid)
    scorer = get_scorer("r2")
    with pytest.warns(UserWarning, match="task_1"):
        scores, _ = _cv._batched_fold_scores(path, scorer, X[45:], Y[45:], None)
    with pytest.warns(UserWarning, match="task_1"):
        expected = [scorer(model, X[45:], Y[45:]) for model, _ in path]
    assert_allclose(scores, expected, rtol=1e-12)


def test_cv_choice_is_the_same_with_and_without_the_compiled_path(monkeypatch):
    from skmtl.solvers import _gram_path

    X, Y = regression_data(n=90, d=15, T=4, missing=0.1, seed=25)
    compiled = L21RegressorCV(alphas=15, cv=3, tol=1e-8).fit(X, Y)
    with monkeypatch.context() as patch:
        patch.setattr(_gram_path, "available", lambda: False)
        general = L21RegressorCV(alphas=15, cv=3, tol=1e-8).fit(X, Y)
    assert compiled.alpha_ == general.alpha_
    assert_allclose(compiled.mean_score_path_, general.mean_score_path_,
                    rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# The same choice as GridSearchCV
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cv_estimator, grid_estimator, second",
    [
        (L21RegressorCV(tol=1e-10), L21Regressor(tol=1e-10), None),
        (
            MeanRegularizedRegressorCV(ridge=[0.1, 0.01], tol=1e-12),
            MeanRegularizedRegressor(tol=1e-12),
            ("ridge", [0.1, 0.01]),
        ),
        (
            TaskGraphRegressorCV(l1=[0.0, 0.05], tol=1e-10),
            TaskGraphRegressor(tol=1e-10),
            ("l1", [0.0, 0.05]),
        ),
        (
            skmtl.L21ClassifierCV(ridge=0.01, tol=1e-8),
            L21Classifier(ridge=0.01, tol=1e-8),
            None,
        ),
    ],
    ids=lambda p: type(p).__name__ if hasattr(p, "fit") else "",
)
def test_same_choice_as_grid_search(cv_estimator, grid_estimator, second):
    X, Y = regression_data(n=80, missing=0.2, seed=5)
    scoring = "r2"
    if skmtl.L21ClassifierCV is type(cv_estimator):
        Y, scoring = labels(Y), "neg_log_loss"
    splits = list(TaskStratifiedKFold(3, random_state=0).split(X, Y))
    alphas = alpha_grid(grid_estimator, X, Y, n_alphas=6, eps=1e-2,
                        top=cv_estimator._top)
    model = clone(cv_estimator).set_params(alphas=alphas, cv=splits,
                                           scoring=scoring).fit(X, Y)
    grid = {"alpha": list(alphas)}
    if second is not None:
        values = second[1]
        if cv_estimator._second_relative:  # fractions of the l1 alpha_max
            values = [v * alpha_max(grid_estimator, X, Y) for v in values]
        grid = {second[0]: values, "alpha": list(alphas)}
    search = GridSearchCV(grid_estimator, grid, cv=splits,
                          scoring=get_scorer(scoring)).fit(X, Y)
    assert model.alpha_ == search.best_params_["alpha"]
    assert_allclose(model.best_score_, search.best_score_, rtol=1e-6)
    # ParameterGrid varies the last key (alphabetical) fastest: alpha outer
    mean = np.asarray(search.cv_results_["mean_test_score"])
    assert_allclose(np.ravel(np.transpose(model.mean_score_path_)), mean,
                    rtol=1e-5, atol=1e-7)
    if second is not None:
        assert getattr(model, f"{second[0]}_") == search.best_params_[second[0]]
        assert model.alphas_.shape == (2, alphas.size)
    best = search.best_estimator_
    assert_allclose(model.coef_, best.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(model.predict(X[:5]) if scoring == "r2" else
                    model.predict_proba(X[:5])[0], best.predict(X[:5]) if
                    scoring == "r2" else best.predict_proba(X[:5])[0], atol=1e-7)


def test_default_grid_starts_at_alpha_max_and_chooses_inside():
    X, Y = regression_data(n=90, missing=0.1, seed=6)
    model = L21RegressorCV(alphas=20, cv=3).fit(X, Y)
    assert_allclose(model.alphas_[0], alpha_max(L21Regressor(), X, Y), rtol=1e-10)
    assert model.alphas_.shape == (20,)
    assert model.scores_path_.shape == (20, 3)
    assert model.n_iter_path_.shape == (20, 3)
    assert 0 < np.flatnonzero(model.alphas_ == model.alpha_)[0] < 19
    assert_allclose(model.std_score_path_, model.scores_path_.std(axis=1))
    assert model.estimator_.alpha == model.alpha_
    assert model.n_iter_ == model.estimator_.n_iter_
    assert np.all(model.coef_[:, :3] != 0)  # the true support is kept
    refit = L21Regressor(alpha=model.alpha_).fit(X, Y)
    assert_allclose(model.coef_, refit.coef_)
    assert_allclose(model.predict(X), refit.predict(X))


def test_folds_in_parallel_equal_the_serial_run():
    from joblib import parallel_backend

    X, Y = regression_data(seed=7)
    serial = MeanRegularizedRegressorCV(alphas=5, ridge=[0.1, 1.0]).fit(X, Y)
    with parallel_backend("threading"):
        parallel = clone(serial).set_params(n_jobs=2).fit(X, Y)
    assert_allclose(parallel.scores_path_, serial.scores_path_, rtol=1e-12)
    assert parallel.alpha_ == serial.alpha_ and parallel.ridge_ == serial.ridge_


def test_dask_backend_equals_the_serial_run():
    distributed = pytest.importorskip("dask.distributed")
    from joblib import parallel_backend

    X, Y = regression_data(missing=0.2, seed=8)
    model = L21RegressorCV(alphas=6, ridge=[0.0, 0.1], cv=3, n_jobs=-1)
    serial = clone(model).set_params(n_jobs=1).fit(X, Y)
    with (
        distributed.LocalCluster(
            n_workers=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_backend("dask"),
    ):
        remote = model.fit(X, Y)
    assert_allclose(remote.scores_path_, serial.scores_path_, rtol=1e-10)
    assert (remote.alpha_, remote.ridge_) == (serial.alpha_, serial.ridge_)
    assert_allclose(remote.coef_, serial.coef_)


# ---------------------------------------------------------------------------
# Every model has a CV class, made from one generic base
# ---------------------------------------------------------------------------


def test_every_public_estimator_has_a_cv_class():
    bases = [
        getattr(skmtl, name)
        for name in skmtl.__all__
        if name.endswith(("Regressor", "Classifier")) and hasattr(
            getattr(skmtl, name), "fit")
        and name not in ("SingleTaskBaseline", "PooledBaseline")
    ]
    assert len(bases) >= 12
    for base in bases:
        cls = getattr(skmtl, base.__name__ + "CV")
        assert cls is cv_class(base) and cls._estimator_class is base
        assert issubclass(cls, MultiTaskCV)
        names = set(cls().get_params())
        assert {"alphas", "eps", "cv", "scoring", "n_jobs"} <= names
        assert set(base().get_params()) - {"alpha", "warm_start"} <= names


def test_a_new_model_gets_a_cv_class_for_free():
    class ShrunkRidge(L21Regressor):
        """An L2,1 model under a new name: the factory knows nothing of it."""

    cls = cv_class(ShrunkRidge)
    assert cls is cv_class(ShrunkRidge) and cls.__name__ == "ShrunkRidgeCV"
    X, Y = regression_data(seed=9)
    model = cls(alphas=5, cv=3).fit(X, Y)
    reference = L21RegressorCV(alphas=5, cv=3).fit(X, Y)
    assert model.alpha_ == reference.alpha_
    assert_allclose(model.mean_score_path_, reference.mean_score_path_)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"alphas": [-1.0, 0.1]}, "alphas must be"),
        ({"alphas": 0}, "alphas must be at least 1"),
        ({"eps": 2.0}, "eps must be"),
        ({"ridge": []}, "ridge must not be an empty list"),
        ({"scoring": "no_such_score"}, "Unknown scorer"),
        ({"cv": 1}, "cv must be at least 2"),
        ({"tol": -1.0}, "tol"),
    ],
)
def test_bad_parameters_are_named(params, message):
    X, Y = regression_data(seed=10)
    with pytest.raises(ValueError, match=message):
        L21RegressorCV(**params).fit(X, Y)


def _check_instance(cls):
    """One strength (small: the checks score the fit) and two folds: three
    fits per check."""
    params = dict(alphas=[0.01], cv=2)
    if "MLP" in cls.__name__:
        params.update(hidden_layer_sizes=(4,), max_iter=30, random_state=0)
    elif "Classifier" in cls.__name__:
        # regularised enough that the logistic fits on the checks' separable
        # toy data stay cheap
        params.update(alphas=[0.01], ridge=0.1, tol=1e-6)
    return cls(**params)


def _expected_failed(estimator):
    failed = {}
    if "Classifier" in type(estimator).__name__:
        failed["check_classifier_multioutput"] = (
            "predict_proba returns one array per task (see test_estimator_checks)"
        )
    return failed


# The full scikit-learn checks run on one CV class per kind of path: the
# linear-model path (L21RegressorCV), the quadratic path decomposed once
# (MeanRegularizedRegressorCV), the ADMM path (TraceNormRegressorCV), the
# proximal-Newton classifier path (L21ClassifierCV) and the refit path of the
# networks (MultiTaskMLPRegressorCV). Every other CV class is the same base
# (MultiTaskCV) around another estimator, which passes the full checks itself
# in test_estimator_checks.py: it runs only the cheap checks that catch a
# mistake of the base for that estimator (construction, clone and
# get_params/set_params, tags, fit and predict shapes, unfitted errors, refit
# idempotence, pickling).
_FULL_CHECKS = {
    "L21RegressorCV",
    "MeanRegularizedRegressorCV",
    "TraceNormRegressorCV",
    "L21ClassifierCV",
    "MultiTaskMLPRegressorCV",
}
_CHEAP_CHECKS = {
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_mixin_order",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimators_unfitted",
    "check_requires_y_none",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_regressor_multioutput",
    "check_fit_idempotent",
    "check_estimators_pickle",
}


def _check_name(item):
    check = item.values[1] if hasattr(item, "values") else item[1]
    return getattr(check, "func", check).__name__


def _selected_checks():
    """Parameters of ``test_sklearn_compatible``: every check for the
    classes of ``_FULL_CHECKS``, the cheap ones for the others."""
    selected = []
    for cls in CV_CLASSES:
        decorator = parametrize_with_checks(
            [_check_instance(cls)], expected_failed_checks=_expected_failed
        )
        items = decorator.args[1]  # pytest.mark.parametrize(names, values, ids=)
        if cls.__name__ not in _FULL_CHECKS:
            items = [item for item in items if _check_name(item) in _CHEAP_CHECKS]
        selected.extend(items)
    return selected


def test_check_selection_covers_every_class():
    names = {}
    for item in _selected_checks():
        estimator = item.values[0] if hasattr(item, "values") else item[0]
        names.setdefault(type(estimator).__name__, set()).add(_check_name(item))
    assert set(names) == {cls.__name__ for cls in CV_CLASSES}
    for name, checks in names.items():
        if name in _FULL_CHECKS:
            assert len(checks) > len(_CHEAP_CHECKS)
        else:  # every cheap check that applies to the kind runs
            assert {"check_fit_idempotent", "check_estimators_pickle",
                    "check_get_params_invariance", "check_n_features_in"} <= checks


def _check_id(check):
    name = getattr(check, "func", check).__name__
    keywords = getattr(check, "keywords", {})
    return name + "".join(f"({k}={v})" for k, v in keywords.items())


@pytest.mark.parametrize(
    "estimator, check", _selected_checks(),
    ids=lambda p: type(p).__name__ if hasattr(p, "fit") else _check_id(p),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------
# Data frames and missing targets through every CV class
# ---------------------------------------------------------------------------


def _masked_score(Y, P, classifier):
    """Mean over tasks of R² (regression) or accuracy on the observed rows,
    written here from the definitions."""
    scores = []
    for t in range(Y.shape[1]):
        seen = ~Y.iloc[:, t].isna().to_numpy()
        y, p = Y.iloc[:, t].to_numpy()[seen], P[seen, t]
        if classifier:
            scores.append(np.mean(y == p))
        else:
            y, p = y.astype(float), p.astype(float)
            scores.append(1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2))
    return float(np.mean(scores))


@pytest.mark.parametrize("cls", CV_CLASSES, ids=lambda c: c.__name__)
def test_cv_classes_take_frames_and_score_on_observed_targets(cls):
    """A data frame X (feature names kept) and a frame Y with missing targets:
    ``score`` is the mean over tasks on the observed rows, as the model's own
    score, never scikit-learn's score of every entry (which refuses NaN)."""
    pd = pytest.importorskip("pandas")
    classifier = is_classifier(cls())
    X, Y = regression_data(n=60, d=4, T=3, missing=0.25, seed=21)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    if classifier:
        Y = np.where(np.isnan(Y), None,
                     np.where(Y > np.nanmedian(Y, axis=0), "up", "down"))
    targets = pd.DataFrame(Y, columns=["a", "b", "c"])
    model = cls(alphas=2, cv=2).fit(frame, targets)
    assert list(model.feature_names_in_) == list(frame.columns)
    predictions = np.asarray(model.predict(frame))
    assert predictions.shape == Y.shape
    expected = _masked_score(targets, predictions, classifier)
    assert model.score(frame, targets) == pytest.approx(expected, abs=1e-12)
    assert model.score(frame, targets) == pytest.approx(
        model.estimator_.score(frame, targets), abs=1e-12)


@pytest.mark.parametrize("classification", [False, True])
def test_network_path_scores_equal_grid_search(classification):
    """The refit path (networks) scores every strength as GridSearchCV does:
    a network warm-started from the strongly decayed one stayed at its
    near-zero weights, so every strength scored as the first."""
    X, Y = regression_data(n=90, d=5, T=3, missing=0.2, seed=13)
    scoring = "r2"
    cls = skmtl.MultiTaskMLPRegressorCV
    if classification:
        Y, scoring = labels(Y), "neg_log_loss"
        Y[:, 2] = np.where(np.isnan(Y[:, 2]), np.nan,
                           np.digitize(X[:, 0] + X[:, 1], [-0.7, 0.7]))
        cls = skmtl.MultiTaskMLPClassifierCV
    splits = list(TaskStratifiedKFold(3, random_state=0,
                                      labels=classification).split(X, Y))
    alphas = [1.0, 0.1, 0.01]
    params = {"hidden_layer_sizes": (8,), "random_state": 0}
    model = cls(alphas=alphas, cv=splits, scoring=scoring, **params).fit(X, Y)
    search = GridSearchCV(cls._estimator_class(**params), {"alpha": alphas},
                          cv=splits, scoring=get_scorer(scoring)).fit(X, Y)
    assert_allclose(model.mean_score_path_, search.cv_results_["mean_test_score"],
                    rtol=1e-10)
    assert np.ptp(model.mean_score_path_) > 1e-3  # the strengths differ
    assert model.alpha_ == search.best_params_["alpha"]


def test_kernel_ridge_cv_searches_ridge_as_grid_search():
    X, Y = regression_data(n=60, d=4, T=3, missing=0.2, seed=17)
    splits = list(TaskStratifiedKFold(3, random_state=0).split(X, Y))
    alphas, ridges = [1.0, 0.1, 0.01], [0.003, 0.03, 0.3]
    cls = skmtl.MultiTaskKernelRidgeCV
    model = cls(alphas=alphas, ridge=ridges, cv=splits, gamma=0.5).fit(X, Y)
    search = GridSearchCV(skmtl.MultiTaskKernelRidge(gamma=0.5),
                          {"ridge": ridges, "alpha": alphas}, cv=splits,
                          scoring=get_scorer("r2")).fit(X, Y)
    assert (model.ridge_, model.alpha_) == (search.best_params_["ridge"],
                                            search.best_params_["alpha"])
    # ParameterGrid varies the last key (alphabetical) fastest: alpha outer
    assert_allclose(np.ravel(np.transpose(model.mean_score_path_)),
                    search.cv_results_["mean_test_score"], rtol=1e-10)
    assert_allclose(model.predict(X), search.best_estimator_.predict(X), rtol=1e-10)
    assert cls().alphas is None and cls._n_alphas == 20


@pytest.mark.parametrize("name", ["Dirty", "RobustFeature", "RobustLowRank",
                                  "SparseLowRank"])
def test_decomposed_cv_is_invariant_to_the_targets_scale(name):
    """Both strengths of a decomposed model's CV follow the targets' scale:
    with ``Y`` times 100 the same fractions are chosen, every strength is 100
    times larger, the validation scores (R²) and the coefficients over 100
    are the same (a fixed second strength, the estimator's default number,
    made the choice depend on the units)."""
    X, Y = regression_data(n=90, d=6, T=3, missing=0.1, seed=31)
    cls = getattr(skmtl, f"{name}RegressorCV")
    small = cls(alphas=4, cv=3, tol=1e-10, max_iter=20000).fit(X, Y)
    large = cls(alphas=4, cv=3, tol=1e-10, max_iter=20000).fit(X, 100 * Y)
    second = cls._second
    assert_allclose(large.alphas_, 100 * small.alphas_, rtol=1e-9)
    assert_allclose(getattr(large, f"{second}_"), 100 * getattr(small, f"{second}_"),
                    rtol=1e-9)
    assert_allclose(large.mean_score_path_, small.mean_score_path_, rtol=1e-6,
                    atol=1e-8)
    assert large.alpha_ == pytest.approx(100 * small.alpha_, rel=1e-9)
    assert_allclose(large.coef_ / 100, small.coef_, rtol=1e-5,
                    atol=1e-7 * np.abs(small.coef_).max())


@pytest.mark.parametrize("name", ["Dirty", "RobustFeature", "RobustLowRank",
                                  "SparseLowRank"])
def test_decomposed_cv_on_zero_targets(name):
    """Zero targets: the second strength's alpha_max is 0, and its fraction
    would be a zero strength, which these models refuse; the CV fits all-zero
    coefficients instead of raising."""
    X, _ = regression_data(n=60, d=5, T=3, seed=32)
    Y = np.zeros((60, 3))
    Y[::7, 1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # R² undefined on constants
        model = getattr(skmtl, f"{name}RegressorCV")(alphas=3, cv=3).fit(X, Y)
    assert np.all(model.coef_ == 0) and np.all(model.intercept_ == 0)


def test_fused_task_cv_searches_a_list_of_fused_strengths():
    """``fused=[...]``: each value's path equals the CV at that value alone
    (same folds), and ``fused_`` is the value with the best mean score; a
    single value keeps the estimator's default (0.01)."""
    from skmtl import FusedTaskRegressorCV

    X, Y = regression_data(n=120, d=6, T=4, missing=0.1, seed=33)
    values = [0.001, 0.3]
    both = FusedTaskRegressorCV(fused=values, alphas=4, cv=3, tol=1e-8).fit(X, Y)
    single = [FusedTaskRegressorCV(fused=v, alphas=4, cv=3, tol=1e-8).fit(X, Y)
              for v in values]
    for row, alone in zip(both.mean_score_path_, single, strict=True):
        assert_allclose(row, alone.mean_score_path_, rtol=1e-6, atol=1e-9)
    best = int(np.argmax([np.max(m.mean_score_path_) for m in single]))
    assert both.fused_ == values[best]
    assert FusedTaskRegressorCV().fused == 0.01
