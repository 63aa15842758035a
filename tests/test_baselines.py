"""Single-task and pooled baselines against hand-written loops."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from skmtl import PooledBaseline, SingleTaskBaseline


def make_data(n=60, d=5, T=3, seed=0, missing=0.3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = X @ rng.standard_normal((d, T)) + 0.2 * rng.standard_normal((n, T))
    Y[rng.random((n, T)) < missing] = np.nan
    return X, Y


def test_single_task_ridge_equals_loop_over_tasks():
    X, Y = make_data()
    sw = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0])
    model = SingleTaskBaseline(Ridge(alpha=0.3)).fit(X, Y, sample_weight=sw)
    expected = np.empty(Y.shape)
    for t in range(Y.shape[1]):
        rows = ~np.isnan(Y[:, t])
        ridge = Ridge(alpha=0.3).fit(X[rows], Y[rows, t], sample_weight=sw[rows])
        expected[:, t] = ridge.predict(X)
        assert_allclose(model.estimators_[t].coef_, ridge.coef_)
    assert_allclose(model.predict(X), expected)


def test_per_entry_sample_weight_routes_its_column():
    X, Y = make_data(seed=2)
    sw = np.random.default_rng(3).uniform(0.5, 2.0, Y.shape)
    model = SingleTaskBaseline(Ridge()).fit(X, Y, sample_weight=sw)
    rows = ~np.isnan(Y[:, 1])
    ridge = Ridge().fit(X[rows], Y[rows, 1], sample_weight=sw[rows, 1])
    assert_allclose(model.estimators_[1].coef_, ridge.coef_)


def test_pooled_equals_one_model_on_all_observed_pairs():
    X, Y = make_data(seed=4)
    model = PooledBaseline(Ridge(alpha=0.5)).fit(X, Y)
    rows, tasks = np.nonzero(~np.isnan(Y))
    ridge = Ridge(alpha=0.5).fit(X[rows], Y[rows, tasks])
    prediction = model.predict(X)
    assert prediction.shape == Y.shape
    for t in range(Y.shape[1]):
        assert_allclose(prediction[:, t], ridge.predict(X))


def test_single_task_classifier_with_different_label_sets():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((90, 4))
    Y = np.empty((90, 2), dtype=object)
    Y[:, 0] = np.where(X[:, 0] > 0, "yes", "no")
    Y[:, 1] = np.digitize(X[:, 1], [-0.5, 0.5])
    Y[:8, 1] = None
    model = SingleTaskBaseline(LogisticRegression()).fit(X, Y)
    assert list(model.classes_[0]) == ["no", "yes"]
    assert list(model.classes_[1]) == [0, 1, 2]
    proba = model.predict_proba(X)
    assert [p.shape for p in proba] == [(90, 2), (90, 3)]
    rows = np.array([v is not None for v in Y[:, 1]])
    ref = LogisticRegression().fit(X[rows], Y[rows, 1].astype(int))
    assert_allclose(proba[1], ref.predict_proba(X))
    assert model.predict(X).shape == (90, 2)
    assert 0.7 < model.score(X, Y) <= 1.0


def test_single_task_y_gives_1d_outputs():
    X, Y = make_data(missing=0.0)
    model = SingleTaskBaseline(Ridge()).fit(X, Y[:, 0])
    assert model.predict(X).shape == (X.shape[0],)
    assert_allclose(model.predict(X), Ridge().fit(X, Y[:, 0]).predict(X))


@pytest.mark.parametrize("Baseline", [SingleTaskBaseline, PooledBaseline])
def test_grid_search_over_inner_parameter_with_nan(Baseline):
    X, Y = make_data(n=90, seed=6)
    search = GridSearchCV(
        Baseline(Ridge()),
        {"estimator__alpha": [0.01, 1.0, 100.0]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, Y)
    assert np.isfinite(search.best_score_)
    scores = cross_val_score(Baseline(Ridge()), X, Y, cv=3)
    assert np.all(np.isfinite(scores))


def test_pooled_loses_to_single_task_on_unrelated_tasks():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((200, 4))
    Y = np.column_stack([X[:, 0], -X[:, 0], X[:, 1]])
    single = cross_val_score(SingleTaskBaseline(Ridge()), X, Y, cv=3).mean()
    pooled = cross_val_score(PooledBaseline(Ridge()), X, Y, cv=3).mean()
    assert single > 0.9 > pooled


def test_missing_y_is_an_error():
    X, _ = make_data()
    with pytest.raises(ValueError, match="requires y"):
        SingleTaskBaseline(Ridge()).fit(X, None)


def test_single_task_baseline_parallel_fits_equal_serial_ones():
    from joblib import parallel_backend

    from skmtl.datasets import make_multitask_regression

    X, Y = make_multitask_regression(
        30, 5, 6, shared_rows=False, noise=0.3, random_state=0
    )
    serial = SingleTaskBaseline(Ridge()).fit(X, Y)
    with parallel_backend("threading"):  # no process start-up in the tests
        parallel = SingleTaskBaseline(Ridge(), n_jobs=2).fit(X, Y)
    np.testing.assert_allclose(parallel.predict(X), serial.predict(X))
    assert repr(parallel) == "SingleTaskBaseline(estimator=Ridge(), n_jobs=2)"
