"""Correctness of the L2,1 regressor and classifier.

Every test compares with something computed independently: scikit-learn on
problems that coincide, the optimality conditions written from their
definition, or a slow reference solver (tests/_reference.py).
"""

import pickle
import warnings

import numpy as np
import pytest
from _reference import (
    entry_weights,
    l21_objective,
    l21_regression_reference,
    logistic_gradient,
)
from numpy.testing import assert_allclose
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LogisticRegression,
    MultiTaskElasticNet,
    MultiTaskLasso,
)
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmtl import L21Classifier, L21Regressor, alpha_max

TIGHT = dict(tol=1e-14, max_iter=100000)
# the logistic KKT distance bottoms out near 1e-10 (relative) in double precision
TIGHT_CLF = dict(tol=1e-9, max_iter=1000)


def make_regression(n=60, d=15, T=4, k=3, seed=0, missing=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = np.zeros((d, T))
    W[rng.choice(d, k, replace=False)] = rng.standard_normal((k, T))
    Y = X @ W + 0.3 * rng.standard_normal((n, T)) + rng.standard_normal(T)
    if missing:
        Y[rng.random((n, T)) < missing] = np.nan
    return X, Y


def rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(
        np.linalg.norm(b), 1e-300
    )


def kkt_l21_regression(X, Y, model, weights):
    """Max violation of the L2,1 optimality conditions, from their definition."""
    W, b = np.atleast_2d(model.coef_).T, np.atleast_1d(model.intercept_)
    R = np.where(np.isnan(Y), 0.0, weights * (Y - X @ W - b))
    G = -X.T @ R + model.ridge * W  # gradient of the smooth part
    intercept_violation = np.abs(R.sum(axis=0)).max() if model.fit_intercept else 0.0
    norms = np.linalg.norm(W, axis=1)
    active = norms > 0
    viol_active = np.linalg.norm(
        G[active] + model.alpha * W[active] / norms[active, None], axis=1
    )
    viol_zero = np.maximum(np.linalg.norm(G[~active], axis=1) - model.alpha, 0.0)
    return max(
        viol_active.max(initial=0), viol_zero.max(initial=0), intercept_violation
    )


# -- agreement with scikit-learn ----------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_multitask_lasso(fit_intercept, weighted):
    X, Y = make_regression()
    sw = np.random.default_rng(1).uniform(0.2, 3.0, X.shape[0]) if weighted else None
    alpha = 0.1 * alpha_max(L21Regressor(fit_intercept=fit_intercept), X, Y, sw)
    ours = L21Regressor(alpha=alpha, fit_intercept=fit_intercept, **TIGHT)
    ours.fit(X, Y, sample_weight=sw)
    ref = MultiTaskLasso(
        alpha=alpha, fit_intercept=fit_intercept, tol=1e-14, max_iter=200000
    ).fit(X, Y, sample_weight=sw)
    assert rel(ours.coef_, ref.coef_) < 1e-6
    assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6, atol=1e-9)
    weights = entry_weights(Y, sw)
    p_ours = l21_objective(X, Y, ours.coef_.T, ours.intercept_, alpha, weights=weights)
    p_ref = l21_objective(X, Y, ref.coef_.T, ref.intercept_, alpha, weights=weights)
    assert abs(p_ours - p_ref) <= 1e-6 * abs(p_ref)
    assert ours.dual_gap_ <= 1e-10


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [0.3, 0.8])
def test_matches_multitask_elastic_net(fit_intercept, l1_ratio):
    X, Y = make_regression(seed=2)
    sw = np.random.default_rng(3).uniform(0.5, 2.0, X.shape[0])
    a = 0.05
    ref = MultiTaskElasticNet(
        alpha=a,
        l1_ratio=l1_ratio,
        fit_intercept=fit_intercept,
        tol=1e-14,
        max_iter=200000,
    ).fit(X, Y, sample_weight=sw)
    ours = L21Regressor(
        alpha=a * l1_ratio,
        ridge=a * (1 - l1_ratio),
        fit_intercept=fit_intercept,
        **TIGHT,
    ).fit(X, Y, sample_weight=sw)
    assert rel(ours.coef_, ref.coef_) < 1e-6
    assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("ridge", [0.0, 0.2])
def test_single_task_matches_lasso_and_enet(ridge):
    X, Y = make_regression(T=1, seed=4)
    y = Y[:, 0]
    a = 0.05
    ours = L21Regressor(alpha=a, ridge=ridge, **TIGHT).fit(X, y)
    if ridge == 0:
        ref = Lasso(alpha=a, tol=1e-14, max_iter=200000).fit(X, y)
    else:
        r = a / (a + ridge)
        ref = ElasticNet(alpha=a + ridge, l1_ratio=r, tol=1e-14, max_iter=200000)
        ref.fit(X, y)
    assert ours.coef_.shape == (X.shape[1],)
    assert isinstance(ours.intercept_, float)
    assert ours.predict(X).shape == (X.shape[0],)
    assert rel(ours.coef_, ref.coef_) < 1e-6


# -- missing targets ----------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("ridge", [0.0, 0.1])
def test_missing_targets_kkt_and_reference(fit_intercept, ridge):
    X, Y = make_regression(n=40, d=8, T=3, missing=0.3, seed=5)
    sw = np.random.default_rng(6).uniform(0.5, 2.0, X.shape[0])
    tw = np.array([1.0, 0.5, 2.0])
    alpha = 0.2 * alpha_max(
        L21Regressor(fit_intercept=fit_intercept, task_weights=tw), X, Y, sw
    )
    model = L21Regressor(
        alpha=alpha, ridge=ridge, fit_intercept=fit_intercept, task_weights=tw, **TIGHT
    ).fit(X, Y, sample_weight=sw)
    weights = entry_weights(Y, sw, tw)
    assert kkt_l21_regression(X, Y, model, weights) < 1e-6 * alpha
    W_ref, b_ref = l21_regression_reference(
        X, Y, alpha, ridge, fit_intercept, sw, tw, n_iter=30000
    )
    assert rel(model.coef_.T, W_ref) < 1e-6
    assert_allclose(model.intercept_, b_ref, rtol=1e-6, atol=1e-8)


def test_missing_entries_equal_own_rows_format():
    """Shared X with NaN holes == every task given its own copy of its rows."""
    X, Y = make_regression(n=30, d=6, T=3, missing=0.4, seed=7)
    blocks_X, blocks_Y = [], []
    for t in range(Y.shape[1]):
        rows = ~np.isnan(Y[:, t])
        blocks_X.append(X[rows])
        Yt = np.full((rows.sum(), Y.shape[1]), np.nan)
        Yt[:, t] = Y[rows, t]
        blocks_Y.append(Yt)
    X_own, Y_own = np.vstack(blocks_X), np.vstack(blocks_Y)
    a = 0.05
    shared = L21Regressor(alpha=a, **TIGHT).fit(X, Y)
    own = L21Regressor(alpha=a, **TIGHT).fit(X_own, Y_own)
    assert rel(own.coef_, shared.coef_) < 1e-8
    assert_allclose(own.intercept_, shared.intercept_, rtol=1e-8)


def test_rows_without_targets_carry_no_weight():
    X, Y = make_regression(seed=8)
    X_extra = np.vstack([X, np.random.default_rng(0).standard_normal((10, X.shape[1]))])
    Y_extra = np.vstack([Y, np.full((10, Y.shape[1]), np.nan)])
    a = L21Regressor(alpha=0.1, **TIGHT).fit(X, Y)
    b = L21Regressor(alpha=0.1, **TIGHT).fit(X_extra, Y_extra)
    assert rel(b.coef_, a.coef_) < 1e-10


# -- sample and task weights --------------------------------------------------


def test_integer_sample_weight_equals_repetition():
    X, Y = make_regression(n=30, missing=0.2, seed=9)
    counts = np.random.default_rng(1).integers(0, 3, X.shape[0])
    counts[:4] = 1  # keep every task observed
    a = L21Regressor(alpha=0.05, **TIGHT).fit(X, Y, sample_weight=counts)
    rep = np.repeat(np.arange(X.shape[0]), counts)
    b = L21Regressor(alpha=0.05, **TIGHT).fit(X[rep], Y[rep])
    assert rel(a.coef_, b.coef_) < 1e-8


def test_task_weights_scale_like_alpha():
    X, Y = make_regression(seed=10)
    a = L21Regressor(alpha=0.05, **TIGHT).fit(X, Y)
    b = L21Regressor(alpha=0.15, task_weights=3.0, **TIGHT).fit(X, Y)
    assert rel(b.coef_, a.coef_) < 1e-8


def test_zero_task_weight_gives_zero_coefficients():
    X, Y = make_regression(seed=11)
    model = L21Regressor(alpha=0.05, task_weights=[1, 1, 0, 1], **TIGHT).fit(X, Y)
    assert np.all(model.coef_[2] == 0)
    assert np.all(np.isfinite(model.intercept_))


# -- zero solutions ---------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [L21Regressor, L21Classifier])
def test_alpha_max_gives_zero_coef(Estimator):
    X, Y = make_regression(missing=0.2, seed=12)
    if Estimator is L21Classifier:
        Y = np.where(np.isnan(Y), np.nan, (Y > np.nanmedian(Y, axis=0)).astype(float))
    a_max = alpha_max(Estimator(), X, Y)
    model = Estimator(alpha=a_max, max_iter=5).fit(X, Y)
    assert np.all(model.coef_ == 0)
    assert model.n_iter_ <= 1
    below = Estimator(alpha=0.9 * a_max, tol=1e-10).fit(X, Y)
    assert np.any(below.coef_ != 0)


def test_zero_column_gets_zero_coefficient():
    X, Y = make_regression(seed=13)
    X[:, 3] = 0.0
    model = L21Regressor(alpha=0.01, **TIGHT).fit(X, Y)
    assert np.all(model.coef_[:, 3] == 0)


# -- invariances --------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [L21Regressor, L21Classifier])
def test_permuting_tasks_permutes_coef(Estimator):
    X, Y = make_regression(missing=0.2, seed=14)
    if Estimator is L21Classifier:
        Y = np.where(np.isnan(Y), np.nan, (Y > np.nanmedian(Y, axis=0)).astype(float))
    alpha = 0.1 * alpha_max(Estimator(), X, Y)
    perm = np.array([2, 0, 3, 1])
    tight = TIGHT if Estimator is L21Regressor else TIGHT_CLF
    a = Estimator(alpha=alpha, **tight).fit(X, Y)
    b = Estimator(alpha=alpha, **tight).fit(X, Y[:, perm])
    assert_allclose(b.coef_, a.coef_[perm], rtol=1e-7, atol=1e-9)
    assert_allclose(b.intercept_, a.intercept_[perm], rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("Estimator", [L21Regressor, L21Classifier])
def test_row_order_does_not_matter(Estimator):
    X, Y = make_regression(missing=0.2, seed=15)
    if Estimator is L21Classifier:
        Y = np.where(np.isnan(Y), np.nan, (Y > np.nanmedian(Y, axis=0)).astype(float))
    alpha = 0.1 * alpha_max(Estimator(), X, Y)
    perm = np.random.default_rng(0).permutation(X.shape[0])
    tight = TIGHT if Estimator is L21Regressor else TIGHT_CLF
    a = Estimator(alpha=alpha, **tight).fit(X, Y)
    b = Estimator(alpha=alpha, **tight).fit(X[perm], Y[perm])
    assert_allclose(b.coef_, a.coef_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_equals_dense(fmt):
    X, Y = make_regression(missing=0.2, seed=16)
    X[np.abs(X) < 0.8] = 0.0
    for Estimator in (L21Regressor, L21Classifier):
        Yt = (
            Y
            if Estimator is L21Regressor
            else np.where(
                np.isnan(Y), np.nan, (Y > np.nanmedian(Y, axis=0)).astype(float)
            )
        )
        tight = TIGHT if Estimator is L21Regressor else TIGHT_CLF
        dense = Estimator(alpha=0.01, **tight).fit(X, Yt)
        sp = Estimator(alpha=0.01, **tight).fit(sparse.csr_matrix(X).asformat(fmt), Yt)
        assert_allclose(sp.coef_, dense.coef_, rtol=1e-7, atol=1e-9)


def test_float32_is_kept_and_close():
    X, Y = make_regression(seed=17)
    m64 = L21Regressor(alpha=0.05, tol=1e-8).fit(X, Y)
    m32 = L21Regressor(alpha=0.05, tol=1e-8).fit(X.astype(np.float32), Y)
    assert m32.coef_.dtype == np.float32
    assert m32.predict(X.astype(np.float32)).dtype == np.float32
    assert rel(m32.coef_, m64.coef_) < 1e-4


# -- classifier -----------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_single_task_classifier_matches_logistic_regression(fit_intercept):
    rng = np.random.default_rng(18)
    X = rng.standard_normal((80, 5))
    y = (X[:, 0] + 0.5 * rng.standard_normal(80) > 0).astype(int)
    ridge = 0.05
    ours = L21Classifier(
        alpha=0.0, ridge=ridge, fit_intercept=fit_intercept, **TIGHT_CLF
    )
    ours.fit(X, y)
    ref = LogisticRegression(
        C=1.0 / (ridge * X.shape[0]),
        fit_intercept=fit_intercept,
        tol=1e-12,
        max_iter=10000,
    ).fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-9)
    assert_allclose(
        ours.decision_function(X), ref.decision_function(X), rtol=1e-6, atol=1e-8
    )
    assert np.array_equal(ours.classes_, ref.classes_)


def test_single_multiclass_task_matches_multinomial_logistic_regression():
    rng = np.random.default_rng(19)
    X = rng.standard_normal((90, 4))
    y = np.array(["a", "b", "c"])[
        np.argmax(X[:, :3] + 0.5 * rng.standard_normal((90, 3)), 1)
    ]
    ridge = 0.05
    ours = L21Classifier(alpha=0.0, ridge=ridge, **TIGHT_CLF).fit(X, y)
    ref = LogisticRegression(
        C=1.0 / (ridge * X.shape[0]), tol=1e-12, max_iter=10000
    ).fit(X, y)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-9)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    assert list(ours.predict(X[:5])) == list(ref.predict(X[:5]))


def _mixed_label_problem(seed=20):
    rng = np.random.default_rng(seed)
    n = 120
    X = rng.standard_normal((n, 6))
    s = X[:, :2] @ rng.standard_normal((2, 3))
    Y = np.empty((n, 3), dtype=object)
    Y[:, 0] = np.where(s[:, 0] > 0, 1, 0)  # binary ints
    Y[:, 1] = np.array(["lo", "mid", "hi"])[np.digitize(s[:, 1], [-0.5, 0.5])]
    Y[:, 2] = np.digitize(s[:, 2], [-1, 0, 1])  # four classes
    Y[rng.random((n, 3)) < 0.2] = None
    return X, Y


def test_multiclass_tasks_with_different_label_sets_kkt():
    X, Y = _mixed_label_problem()
    alpha = 0.02
    model = L21Classifier(alpha=alpha, **TIGHT_CLF).fit(X, Y)
    assert [len(c) for c in model.classes_] == [2, 3, 4]
    assert model.coef_.shape == (1 + 3 + 4, X.shape[1])
    observed = np.array([[v is not None for v in row] for row in Y])
    codes = [
        np.array([-1 if v is None else int(np.searchsorted(c, v)) for v in Y[:, t]])
        for t, c in enumerate(model.classes_)
    ]
    weights = observed / observed.sum(axis=0)
    blocks = [model.coef_[s].T for s in model.task_slices_]
    b_blocks = [model.intercept_[s] for s in model.task_slices_]
    grads, grads_b = logistic_gradient(X, codes, blocks, b_blocks, weights)
    G = np.hstack(grads)
    W = model.coef_.T
    norms = np.linalg.norm(W, axis=1)
    active = norms > 0
    assert np.all(np.linalg.norm(G[~active], axis=1) <= alpha * (1 + 1e-8))
    assert_allclose(G[active], -alpha * W[active] / norms[active, None], atol=1e-8)
    assert_allclose(np.concatenate(grads_b), 0.0, atol=1e-8)
    # outputs
    proba = model.predict_proba(X)
    assert [p.shape[1] for p in proba] == [2, 3, 4]
    for p in proba:
        assert_allclose(p.sum(axis=1), 1.0)
    pred = model.predict(X)
    assert pred.shape == Y.shape and pred.dtype == object
    for t in range(3):
        assert set(pred[:, t]) <= set(model.classes_[t])
        assert np.array_equal(pred[:, t], model.classes_[t][proba[t].argmax(1)])
    assert 0.6 < model.score(X, Y) <= 1.0


def test_classifier_all_binary_decision_function_shape():
    X, Y = make_regression(seed=21)
    Yb = (Y > np.median(Y, axis=0)).astype(int)
    model = L21Classifier(alpha=0.01).fit(X, Yb)
    dec = model.decision_function(X)
    assert dec.shape == Yb.shape
    assert np.array_equal(model.predict(X), (dec > 0).astype(int))


# -- scikit-learn workflow ---------------------------------------------------------


def test_pipeline_grid_search_with_nan_targets_and_pickle():
    X, Y = make_regression(n=80, missing=0.25, seed=22)
    pipe = make_pipeline(StandardScaler(), L21Regressor())
    search = GridSearchCV(
        pipe,
        {"l21regressor__alpha": [0.01, 0.1, 1.0]},
        cv=KFold(3, shuffle=True, random_state=0),
    )
    search.fit(X, Y)
    assert np.isfinite(search.best_score_)
    assert search.best_params_["l21regressor__alpha"] in (0.01, 0.1)
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    assert_allclose(restored.predict(X), search.predict(X))


def test_pandas_names():
    pd = pytest.importorskip("pandas")
    X, Y = make_regression(seed=23)
    Xf = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    Yf = pd.DataFrame(Y, columns=["north", "south", "east", "west"])
    model = L21Regressor(alpha=0.05).fit(Xf, Yf)
    assert list(model.task_names_) == ["north", "south", "east", "west"]
    assert list(model.feature_names_in_) == list(Xf.columns)
    assert model.score(Xf, Yf) > 0.5


def test_warm_start_reuses_solution():
    X, Y = make_regression(n=100, d=40, seed=24)
    model = L21Regressor(alpha=0.05, tol=1e-10, warm_start=True).fit(X, Y)
    first = model.n_iter_
    model.fit(X, Y)
    assert model.n_iter_ < first
    cold = L21Regressor(alpha=0.05, tol=1e-10).fit(X, Y)
    assert rel(model.coef_, cold.coef_) < 1e-6


def test_convergence_warning():
    X, Y = make_regression(n=100, d=40, seed=25)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        L21Regressor(alpha=0.01, max_iter=1, tol=1e-12).fit(X, Y)


def test_no_nan_in_fitted_attributes():
    X, Y = make_regression(missing=0.5, seed=26)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model = L21Regressor(alpha=0.05).fit(X, Y)
    for value in (model.coef_, model.intercept_, model.kkt_violation_, model.dual_gap_):
        assert np.all(np.isfinite(value))


# -- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "mutate, match",
    [
        (
            lambda X, Y, kw: (np.where(np.eye(*X.shape, dtype=bool), np.nan, X), Y, kw),
            "X contains NaN",
        ),
        (
            lambda X, Y, kw: (X, np.where(np.eye(*Y.shape, dtype=bool), np.inf, Y), kw),
            "infinity: task 'task_0'",
        ),
        (
            lambda X, Y, kw: (
                X,
                np.column_stack([Y[:, :2], np.full(len(Y), np.nan)]),
                kw,
            ),
            "Task 'task_2' has no observed target",
        ),
        (lambda X, Y, kw: (X, Y[:-1], kw), "Y has 59 rows but X has 60"),
        (lambda X, Y, kw: (X, Y, {"sample_weight": -np.ones(len(Y))}), "negative"),
        (
            lambda X, Y, kw: (X, Y, {"sample_weight": np.ones(3)}),
            "sample_weight has shape",
        ),
        (lambda X, Y, kw: (X, np.where(Y > 0, "a", "b"), kw), "needs numeric targets"),
    ],
)
def test_bad_input_names_the_culprit(mutate, match):
    X, Y = make_regression()
    X, Y, kw = mutate(X, Y, {})
    with pytest.raises(ValueError, match=match):
        L21Regressor().fit(X, Y, **kw)


@pytest.mark.parametrize(
    "task_weights, match",
    [
        ([1.0, 2.0], r"task_weights has shape \(2,\)"),
        ([1.0, -1.0, 1.0, 1.0], "task 'task_1'"),
        ([1.0, np.nan, 1.0, 1.0], "task 'task_1'"),
    ],
)
def test_bad_task_weights(task_weights, match):
    X, Y = make_regression()
    with pytest.raises(ValueError, match=match):
        L21Regressor(task_weights=task_weights).fit(X, Y)


def test_classifier_single_class_task_is_named():
    X, Y = make_regression()
    Yc = (Y > 0).astype(float)
    Yc[:, 1] = 1.0
    with pytest.raises(ValueError, match="Task 'task_1' .* only one class"):
        L21Classifier().fit(X, Yc)


def test_classifier_rejects_continuous_targets():
    X, Y = make_regression()
    with pytest.raises(ValueError, match="Unknown label type"):
        L21Classifier().fit(X, Y)


def test_bad_hyper_parameter_is_named():
    X, Y = make_regression()
    with pytest.raises(ValueError, match="alpha"):
        L21Regressor(alpha=-1.0).fit(X, Y)
