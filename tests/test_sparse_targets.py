"""Sparse stacked targets: the stored entries are the observed targets.

A scipy.sparse ``Y`` (csr, csc, coo, matrix or array; stored explicit zeros
are observed zeros) must give what the dense ``Y`` with ``NaN`` at the
unstored entries gives, in every estimator, metric, scorer and baseline.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge

import skmtl
from skmtl import PooledBaseline, SingleTaskBaseline, metrics
from skmtl.datasets import stack_tasks

FORMATS = ["csr", "csc", "coo", "csr_array", "coo_array"]

REGRESSORS = {
    "L21": (skmtl.L21Regressor, dict(alpha=0.05)),
    "MeanRegularized": (skmtl.MeanRegularizedRegressor, dict(alpha=0.5)),
    "TaskGraph": (skmtl.TaskGraphRegressor, dict(alpha=0.3, l1=0.02)),
    "TaskRelation": (skmtl.TaskRelationRegressor, dict(alpha=0.05)),
    "TraceNorm": (skmtl.TraceNormRegressor, dict(alpha=0.05)),
}
CLASSIFIERS = {
    "L21": (skmtl.L21Classifier, dict(alpha=0.01)),
    "MeanRegularized": (skmtl.MeanRegularizedClassifier, dict(alpha=0.5)),
    "TaskGraph": (skmtl.TaskGraphClassifier, dict(alpha=0.3, l1=0.01)),
    "TaskRelation": (skmtl.TaskRelationClassifier, dict(alpha=0.02)),
    "TraceNorm": (skmtl.TraceNormClassifier, dict(alpha=0.02)),
}
# sparse and dense targets give the solver the same entries in the same order,
# so the two fits follow the same path: no need for a tight tolerance to agree
# to 1e-8 (a fit that ignores or adds an entry differs by far more)
TIGHT = dict(tol=1e-8, max_iter=100000)
CLF_TIGHT = dict(tol=1e-4, max_iter=100000)

pytestmark = pytest.mark.filterwarnings("error", category=ConvergenceWarning)


def to_sparse(Y, fmt):
    """The observed (non-NaN) entries of ``Y`` as stored entries, zeros kept."""
    rows, cols = np.nonzero(~np.isnan(Y))
    coo = sparse.coo_matrix((Y[rows, cols], (rows, cols)), shape=Y.shape)
    out = {
        "csr": coo.tocsr, "csc": coo.tocsc, "coo": lambda: coo,
        "csr_array": lambda: sparse.csr_array(coo),
        "coo_array": lambda: sparse.coo_array(coo),
    }[fmt]()
    assert out.nnz == rows.size  # the explicit zeros are still stored
    return out


def regression_data(seed=0, n=50, d=6, T=3, missing=0.3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = X @ rng.standard_normal((d, T)) + 0.5 * rng.standard_normal((n, T))
    Y[rng.random((n, T)) < missing] = np.nan
    Y[rng.choice(n, 4, replace=False), 0] = 0.0  # observed zeros
    return X, Y


def classification_data(seed=0, n=60, d=5, T=3, n_classes=2, missing=0.3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    scores = X @ rng.standard_normal((d, T * n_classes)) + rng.gumbel(
        size=(n, T * n_classes))
    Y = scores.reshape(n, T, n_classes).argmax(axis=2).astype(float)
    Y[rng.random((n, T)) < missing] = np.nan
    for t in range(T):
        # label 0 = a stored 0
        Y[t * n_classes:(t + 1) * n_classes, t] = np.arange(n_classes)
    return X, Y


def _compare_fits(dense_model, sparse_model, X):
    assert_allclose(sparse_model.coef_, dense_model.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(sparse_model.intercept_, dense_model.intercept_, rtol=1e-8,
                    atol=1e-10)
    if hasattr(dense_model, "predict_proba"):
        assert_array_equal(sparse_model.predict(X), dense_model.predict(X))
        for p, q in zip(sparse_model.predict_proba(X), dense_model.predict_proba(X),
                        strict=True):
            assert_allclose(p, q, rtol=1e-8, atol=1e-10)
    else:
        assert_allclose(sparse_model.predict(X), dense_model.predict(X), rtol=1e-8,
                        atol=1e-10)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(REGRESSORS))
def test_regressor_sparse_equals_dense(name, fmt):
    Estimator, params = REGRESSORS[name]
    X, Y = regression_data(1)
    sw = np.random.default_rng(2).uniform(0.5, 2, X.shape[0])
    Ys = to_sparse(Y, fmt)
    dense_model = Estimator(**params, **TIGHT).fit(X, Y, sample_weight=sw)
    sparse_model = Estimator(**params, **TIGHT).fit(X, Ys, sample_weight=sw)
    _compare_fits(dense_model, sparse_model, X)
    assert_allclose(sparse_model.score(X, Ys), dense_model.score(X, Y), rtol=1e-12)
    assert_allclose(dense_model.score(X, Ys), dense_model.score(X, Y), rtol=1e-12)


@pytest.mark.parametrize("fmt, n_classes", [("csr", 2), ("csc", 3), ("coo", 2)])
@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_classifier_sparse_equals_dense(name, fmt, n_classes):
    Estimator, params = CLASSIFIERS[name]
    X, Y = classification_data(3, n_classes=n_classes)
    Ys = to_sparse(Y, fmt)
    dense_model = Estimator(**params, **CLF_TIGHT).fit(X, Y)
    sparse_model = Estimator(**params, **CLF_TIGHT).fit(X, Ys)
    for a, b in zip(sparse_model.classes_, dense_model.classes_, strict=True):
        assert_array_equal(a, b)
    _compare_fits(dense_model, sparse_model, X)
    assert sparse_model.score(X, Ys) == dense_model.score(X, Y)


def test_regression_metrics_and_scorers_accept_sparse_targets():
    X, Y = regression_data(4)
    Ys = to_sparse(Y, "csr")
    model = skmtl.L21Regressor(alpha=0.05).fit(X, Y)
    P = model.predict(X)
    sw = np.random.default_rng(5).uniform(0.5, 2, X.shape[0])
    for metric in (metrics.r2_score, metrics.mean_squared_error,
                   metrics.root_mean_squared_error,
                   metrics.normalized_mean_squared_error):
        for kwargs in ({}, {"sample_weight": sw}, {"multioutput": "raw_values"}):
            assert_allclose(metric(Ys, P, **kwargs), metric(Y, P, **kwargs),
                            rtol=1e-12)
    assert_allclose(metrics.explained_variance_mtl(Ys, P),
                    metrics.explained_variance_mtl(Y, P), rtol=1e-12)
    for name in ("r2", "neg_mean_squared_error", "neg_root_mean_squared_error",
                 "neg_normalized_mean_squared_error", "explained_variance_mtl"):
        scorer = metrics.get_scorer(name)
        assert_allclose(scorer(model, X, Ys), scorer(model, X, Y), rtol=1e-12)


def test_classification_metrics_and_scorers_accept_sparse_targets():
    X, Y = classification_data(6, n_classes=3)
    Ys = to_sparse(Y, "csc")
    model = skmtl.L21Classifier(alpha=0.01).fit(X, Y)
    assert_allclose(metrics.accuracy_score(Ys, model.predict(X)),
                    metrics.accuracy_score(Y, model.predict(X)), rtol=1e-12)
    proba = model.predict_proba(X)
    assert_allclose(metrics.log_loss(Ys, proba, classes=model.classes_),
                    metrics.log_loss(Y, proba, classes=model.classes_), rtol=1e-12)
    assert_allclose(metrics.roc_auc_score(Ys, proba, classes=model.classes_),
                    metrics.roc_auc_score(Y, proba, classes=model.classes_),
                    rtol=1e-12)
    for name in ("accuracy", "roc_auc", "neg_log_loss"):
        scorer = metrics.get_scorer(name)
        assert_allclose(scorer(model, X, Ys), scorer(model, X, Y), rtol=1e-12)


def test_baselines_accept_sparse_targets():
    X, Y = regression_data(7)
    Ys = to_sparse(Y, "coo")
    for Baseline in (SingleTaskBaseline, PooledBaseline):
        d = Baseline(Ridge(alpha=0.1)).fit(X, Y)
        s = Baseline(Ridge(alpha=0.1)).fit(X, Ys)
        assert_allclose(s.predict(X), d.predict(X), rtol=1e-10, atol=1e-12)
        assert_allclose(s.score(X, Ys), d.score(X, Y), rtol=1e-12)
    Xc, Yc = classification_data(8)
    Ycs = to_sparse(Yc, "csr")
    for Baseline in (SingleTaskBaseline, PooledBaseline):
        d = Baseline(LogisticRegression()).fit(Xc, Yc)
        s = Baseline(LogisticRegression()).fit(Xc, Ycs)
        assert_array_equal(s.predict(Xc), d.predict(Xc))
        assert s.score(Xc, Ycs) == d.score(Xc, Yc)


def test_stack_tasks_sparse():
    rng = np.random.default_rng(9)
    Xs = [rng.standard_normal((n, 4)) for n in (7, 5, 9)]
    ys = [rng.standard_normal(n) for n in (7, 5, 9)]
    ys[1][2] = 0.0  # an observed zero stays observed
    X, Y, task = stack_tasks(Xs, ys)
    Xs_, Ys, task_s = stack_tasks(Xs, ys, sparse=True)
    assert sparse.issparse(Ys)
    assert Ys.nnz == sum(len(y) for y in ys)
    assert_array_equal(task_s, task)
    assert_allclose(Xs_, X)
    coo = sparse.coo_matrix(Ys)
    rebuilt = np.full(Y.shape, np.nan)
    rebuilt[coo.row, coo.col] = coo.data
    assert_array_equal(rebuilt, Y)  # NaN where nothing is stored
    d = skmtl.L21Regressor(alpha=0.05, **TIGHT).fit(X, Y)
    s = skmtl.L21Regressor(alpha=0.05, **TIGHT).fit(X, Ys)
    _compare_fits(d, s, X)


ALL_ESTIMATORS = [(E, p, False) for E, p in REGRESSORS.values()] + [
    (E, p, True) for E, p in CLASSIFIERS.values()]


def _sparse_targets(classify):
    if classify:
        X, Y = classification_data(10)
    else:
        X, Y = regression_data(10)
    return X, Y


@pytest.mark.parametrize("Estimator, params, classify", ALL_ESTIMATORS)
def test_duplicate_stored_entries_raise(Estimator, params, classify):
    X, Y = _sparse_targets(classify)
    rows, cols = np.nonzero(~np.isnan(Y))
    rows, cols = np.append(rows, rows[3]), np.append(cols, cols[3])
    coo = sparse.coo_matrix((Y[rows, cols], (rows, cols)), shape=Y.shape)
    # a CSR with the duplicate kept (not summed): built from its raw arrays
    order = np.lexsort((cols, rows))
    indptr = np.searchsorted(rows[order], np.arange(Y.shape[0] + 1))
    csr = sparse.csr_matrix((Y[rows, cols][order], cols[order], indptr),
                            shape=Y.shape)
    for Ybad in (coo, csr):
        with pytest.raises(ValueError, match="more than once"):
            Estimator(**params).fit(X, Ybad)


NON_FINITE_CASES = ALL_ESTIMATORS


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("Estimator, params, classify", NON_FINITE_CASES)
def test_non_finite_stored_entry_names_the_task(Estimator, params, classify, bad):
    X, Y = _sparse_targets(classify)
    Ys = to_sparse(Y, "coo")
    k = np.flatnonzero(Ys.col == 1)[2]
    Ys.data[k] = bad
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="task_1"):
            Estimator(**params).fit(X, Ys)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("Estimator, params, classify", ALL_ESTIMATORS)
def test_task_with_nothing_stored_names_the_task(Estimator, params, classify):
    X, Y = _sparse_targets(classify)
    Y[:, 2] = np.nan
    with pytest.raises(ValueError, match="task_2.*no observed target"):
        Estimator(**params).fit(X, to_sparse(Y, "csr"))


@pytest.mark.parametrize("Estimator, params, classify", ALL_ESTIMATORS)
def test_float32_X_gives_float32_coef(Estimator, params, classify):
    X, Y = _sparse_targets(classify)
    X32 = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        s = Estimator(**params).fit(X32, to_sparse(Y, "csr"))
        d = Estimator(**params).fit(X32, Y)
    assert s.coef_.dtype == np.float32
    assert_allclose(s.coef_, d.coef_, rtol=1e-6, atol=1e-7)
