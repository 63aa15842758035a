"""Tests of skmtl.metrics: per-task metrics against scikit-learn, and scorers."""

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_score,
    cross_validate,
)

from skmtl import metrics
from skmtl._data import observed_mask

# ---------------------------------------------------------------------------
# Data and reference computations
# ---------------------------------------------------------------------------


def _sk_nmse(y, p, sample_weight=None):
    """Reference normalized MSE of one task, written independently."""
    w = np.ones_like(y) if sample_weight is None else sample_weight
    mean = np.sum(w * y) / np.sum(w)
    return np.sum(w * (y - p) ** 2) / np.sum(w * (y - mean) ** 2)


def _sk_auc(y, score, sample_weight=None, labels=None):
    """Reference AUC of one task: binary, or one-vs-rest macro from binary AUCs.

    With (n, K) scores this is the mean over classes of the binary AUC of
    column k against ``y == labels[k]``, which is what scikit-learn's
    ``multi_class="ovr"`` computes from probabilities, but without needing
    the scores to sum to one.
    """
    if score.ndim == 1:
        return skm.roc_auc_score(y, score, sample_weight=sample_weight)
    return np.mean(
        [
            skm.roc_auc_score(y == label, score[:, k], sample_weight=sample_weight)
            for k, label in enumerate(labels)
        ]
    )


REGRESSION = [
    (metrics.r2_score, skm.r2_score),
    (metrics.mean_squared_error, skm.mean_squared_error),
    (metrics.root_mean_squared_error, skm.root_mean_squared_error),
    (metrics.normalized_mean_squared_error, _sk_nmse),
]


def _hand_loop(sk_metric, Y_true, Y_pred, sample_weight=None, **kwargs):
    """Apply a scikit-learn metric to each task's observed rows."""
    Y_true = np.asarray(Y_true).reshape(len(Y_true), -1)
    Y_pred = (
        [np.asarray(p) for p in Y_pred]
        if isinstance(Y_pred, list)
        else [
            np.asarray(Y_pred).reshape(len(Y_true), -1)[:, t]
            for t in range(Y_true.shape[1])
        ]
    )
    scores = []
    for t in range(Y_true.shape[1]):
        rows = observed_mask(Y_true[:, t])
        if not rows.any():
            scores.append(np.nan)
            continue
        y = Y_true[rows, t]
        if y.dtype == object:
            y = y.astype(str) if isinstance(y[0], str) else y.astype(float)
        kw = {key: (v[t] if key == "labels" else v) for key, v in kwargs.items()}
        if sample_weight is not None:
            w = np.asarray(sample_weight)
            kw["sample_weight"] = w[rows] if w.ndim == 1 else w[rows, t]
        scores.append(sk_metric(y, Y_pred[t][rows], **kw))
    return np.array(scores)


def _regression_data(seed=0, n=40, n_tasks=3, hole=0.3):
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(n, n_tasks)) * [1.0, 3.0, 0.5][:n_tasks] + np.arange(n_tasks)
    Y[rng.random(Y.shape) < hole] = np.nan
    pred = np.nan_to_num(Y, nan=0.0) + rng.normal(scale=0.7, size=Y.shape)
    return Y, pred, rng


def _classification_data(seed=0, n=60):
    """Three tasks: binary strings, 3-class ints, binary floats; None holes."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    Y = np.empty((n, 3), dtype=object)
    Y[:, 0] = np.where(X[:, 0] + 0.5 * rng.normal(size=n) > 0, "pos", "neg")
    Y[:, 1] = np.digitize(X[:, 1] + 0.5 * rng.normal(size=n), [-0.5, 0.5])
    Y[:, 1] = [int(v) for v in Y[:, 1]]
    Y[:, 2] = np.where(X[:, 2] - X[:, 3] > 0, 1.0, 0.0)
    Y[rng.random(Y.shape) < 0.25] = None
    return X, Y


# ---------------------------------------------------------------------------
# Fake estimators for the scorers
# ---------------------------------------------------------------------------


class MeanRegressor(RegressorMixin, BaseEstimator):
    """Predicts each task's observed training mean, plus ``offset``."""

    def __init__(self, offset=0.0):
        self.offset = offset

    def fit(self, X, Y):
        Y = np.asarray(Y, dtype=float)
        self.single_ = Y.ndim == 1
        Y = Y.reshape(len(Y), -1)
        mask = observed_mask(Y)
        self.means_ = np.array([Y[mask[:, t], t].mean() for t in range(Y.shape[1])])
        return self

    def predict(self, X):
        out = np.tile(self.means_ + self.offset, (len(X), 1))
        return out[:, 0] if self.single_ else out


class PerTaskLogisticScores(ClassifierMixin, BaseEstimator):
    """One LogisticRegression per task; decision_function only."""

    def __init__(self, C=1.0):
        self.C = C

    def fit(self, X, Y):
        Y = np.asarray(Y)
        self.single_ = Y.ndim == 1
        Y = Y.reshape(len(Y), -1)
        mask = observed_mask(Y)
        self.models_ = []
        for t in range(Y.shape[1]):
            y = Y[mask[:, t], t]
            if y.dtype == object:
                y = y.astype(str) if isinstance(y[0], str) else y.astype(float)
            self.models_.append(LogisticRegression(C=self.C).fit(X[mask[:, t]], y))
        classes = [m.classes_ for m in self.models_]
        self.classes_ = classes[0] if self.single_ else classes
        return self

    def predict(self, X):
        out = np.empty((len(X), len(self.models_)), dtype=object)
        for t, model in enumerate(self.models_):
            out[:, t] = list(model.predict(X))
        return out[:, 0] if self.single_ else out

    def decision_function(self, X):
        scores = [m.decision_function(X) for m in self.models_]
        if self.single_:
            return scores[0]
        if all(s.ndim == 1 for s in scores):
            return np.column_stack(scores)
        return scores


class PerTaskLogistic(PerTaskLogisticScores):
    """Same, with predict_proba."""

    def predict_proba(self, X):
        proba = [m.predict_proba(X) for m in self.models_]
        return proba[0] if self.single_ else proba


@pytest.fixture(autouse=True)
def _quiet_undefined():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        yield


# ---------------------------------------------------------------------------
# Regression metrics
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("ours, theirs", REGRESSION)
@pytest.mark.parametrize("weights", [None, "rows", "entries"])
def test_regression_metrics_match_sklearn_per_task(ours, theirs, weights):
    Y, pred, rng = _regression_data()
    sw = {
        None: None,
        "rows": rng.uniform(0.2, 2.0, size=len(Y)),
        "entries": rng.uniform(0.2, 2.0, size=Y.shape),
    }[weights]
    expected = _hand_loop(theirs, Y, pred, sample_weight=sw)
    raw = ours(Y, pred, sample_weight=sw, multioutput="raw_values")
    np.testing.assert_allclose(raw, expected, rtol=1e-12)
    assert ours(Y, pred, sample_weight=sw) == pytest.approx(expected.mean())
    task_w = np.array([1.0, 0.0, 3.0])
    weighted = ours(Y, pred, sample_weight=sw, multioutput=task_w)
    assert weighted == pytest.approx(np.average(expected, weights=task_w))


@pytest.mark.parametrize("ours, theirs", REGRESSION)
def test_unobserved_predictions_are_ignored(ours, theirs):
    Y, pred, _ = _regression_data(seed=1)
    garbage = pred.copy()
    garbage[np.isnan(Y)] = np.nan
    reference = ours(Y, pred, multioutput="raw_values")
    np.testing.assert_allclose(ours(Y, garbage, multioutput="raw_values"), reference)
    garbage[np.isnan(Y)] = 1e6
    np.testing.assert_allclose(ours(Y, garbage, multioutput="raw_values"), reference)


def test_nmse_is_one_minus_r2_without_weights():
    Y, pred, _ = _regression_data(seed=2)
    nmse = metrics.normalized_mean_squared_error(Y, pred, multioutput="raw_values")
    r2 = metrics.r2_score(Y, pred, multioutput="raw_values")
    np.testing.assert_allclose(nmse, 1.0 - r2)
    means = np.nanmean(Y, axis=0)
    assert metrics.normalized_mean_squared_error(
        Y, np.tile(means, (len(Y), 1))
    ) == pytest.approx(1.0)


@pytest.mark.parametrize("weights", [None, "rows", "entries"])
def test_explained_variance_mtl_pools_observed_entries(weights):
    Y, pred, rng = _regression_data(seed=3)
    sw = {
        None: None,
        "rows": rng.uniform(0.2, 2.0, size=len(Y)),
        "entries": rng.uniform(0.2, 2.0, size=Y.shape),
    }[weights]
    mask = ~np.isnan(Y)
    full_w = (
        np.ones(Y.shape)
        if sw is None
        else np.broadcast_to(sw if sw.ndim == 2 else sw[:, None], Y.shape)
    )
    y, p, w = Y[mask], pred[mask], full_w[mask]
    pooled_mse = np.sum(w * (y - p) ** 2) / w.sum()
    pooled_var = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2) / w.sum()
    score = metrics.explained_variance_mtl(Y, pred, sample_weight=sw)
    assert score == pytest.approx(1.0 - pooled_mse / pooled_var)
    # pooling around a common mean differs from averaging per-task R²
    assert score != pytest.approx(metrics.r2_score(Y, pred, sample_weight=sw))


def test_explained_variance_mtl_single_task_is_r2():
    Y, pred, _ = _regression_data(seed=4, n_tasks=1)
    y, p = Y[:, 0], pred[:, 0]
    keep = ~np.isnan(y)
    assert metrics.explained_variance_mtl(y, p) == pytest.approx(
        skm.r2_score(y[keep], p[keep])
    )


def test_regression_input_formats_agree():
    pd = pytest.importorskip("pandas")
    Y, pred, _ = _regression_data(seed=5)
    reference = metrics.mean_squared_error(Y, pred, multioutput="raw_values")
    frame = pd.DataFrame(Y, columns=["a", "b", "c"])
    variants = [
        (frame, pred),
        (frame, pd.DataFrame(pred)),
        (Y, [pred[:, t] for t in range(3)]),  # one array per task
        (Y, [list(pred[:, t]) for t in range(3)]),  # one list per task
        (Y.tolist(), pred.tolist()),  # nested lists of rows
        (frame.astype(object).where(frame.notna(), None), pred),
    ]
    for Y_true, Y_pred in variants:
        np.testing.assert_allclose(
            metrics.mean_squared_error(Y_true, Y_pred, multioutput="raw_values"),
            reference,
        )


def test_regression_one_dimensional_input():
    Y, pred, _ = _regression_data(seed=6, n_tasks=1)
    y, p = Y[:, 0], pred[:, 0]
    keep = ~np.isnan(y)
    for ours, theirs in REGRESSION:
        assert ours(y, p) == pytest.approx(theirs(y[keep], p[keep]))
        assert ours(y, p.reshape(-1, 1)) == pytest.approx(theirs(y[keep], p[keep]))
        raw = ours(y, p, multioutput="raw_values")
        assert raw.shape == (1,)


# ---------------------------------------------------------------------------
# Classification metrics
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted_classifier():
    X, Y = _classification_data()
    return X, Y, PerTaskLogistic(C=0.5).fit(X, Y)


@pytest.mark.parametrize("weights", [None, "rows", "entries"])
def test_accuracy_matches_sklearn_per_task(fitted_classifier, weights):
    X, Y, model = fitted_classifier
    rng = np.random.default_rng(7)
    sw = {
        None: None,
        "rows": rng.uniform(0.2, 2.0, size=len(Y)),
        "entries": rng.uniform(0.2, 2.0, size=Y.shape),
    }[weights]
    pred = model.predict(X)
    pred_cols = [np.array(list(pred[:, t])) for t in range(3)]
    expected = _hand_loop(skm.accuracy_score, Y, pred_cols, sample_weight=sw)
    raw = metrics.accuracy_score(Y, pred, sample_weight=sw, multioutput="raw_values")
    np.testing.assert_allclose(raw, expected)
    assert metrics.accuracy_score(Y, pred, sample_weight=sw) == pytest.approx(
        expected.mean()
    )
    assert 0.5 < expected.min() < 1.0  # a meaningful comparison


@pytest.mark.parametrize("weights", [None, "rows", "entries"])
def test_roc_auc_matches_sklearn_binary_and_multiclass(fitted_classifier, weights):
    X, Y, model = fitted_classifier
    rng = np.random.default_rng(8)
    sw = {
        None: None,
        "rows": rng.uniform(0.2, 2.0, size=len(Y)),
        "entries": rng.uniform(0.2, 2.0, size=Y.shape),
    }[weights]
    proba = model.predict_proba(X)
    positive = [proba[0][:, 1], proba[1], proba[2][:, 1]]
    expected = _hand_loop(
        skm.roc_auc_score,
        Y,
        positive,
        sample_weight=sw,
        multi_class="ovr",
        labels=model.classes_,
    )
    raw = metrics.roc_auc_score(
        Y, proba, sample_weight=sw, multioutput="raw_values", classes=model.classes_
    )
    np.testing.assert_allclose(raw, expected, rtol=1e-12)
    # the reference used for decision_function agrees with sklearn's OvR
    np.testing.assert_allclose(
        _hand_loop(_sk_auc, Y, positive, sample_weight=sw, labels=model.classes_),
        expected,
        rtol=1e-12,
    )
    decision = model.decision_function(X)
    assert isinstance(decision, list) and decision[1].shape == (len(X), 3)
    raw = metrics.roc_auc_score(
        Y, decision, sample_weight=sw, multioutput="raw_values", classes=model.classes_
    )
    np.testing.assert_allclose(
        raw,
        _hand_loop(_sk_auc, Y, decision, sample_weight=sw, labels=model.classes_),
        rtol=1e-12,
    )
    assert not np.allclose(raw, expected)  # decision scores are not probabilities
    # the classes are inferred when every class is observed
    assert metrics.roc_auc_score(Y, proba, sample_weight=sw) == pytest.approx(
        expected.mean()
    )


@pytest.mark.parametrize("weights", [None, "rows", "entries"])
def test_log_loss_matches_sklearn(fitted_classifier, weights):
    X, Y, model = fitted_classifier
    rng = np.random.default_rng(9)
    sw = {
        None: None,
        "rows": rng.uniform(0.2, 2.0, size=len(Y)),
        "entries": rng.uniform(0.2, 2.0, size=Y.shape),
    }[weights]
    proba = model.predict_proba(X)
    expected = _hand_loop(
        skm.log_loss, Y, proba, sample_weight=sw, labels=model.classes_
    )
    raw = metrics.log_loss(
        Y, proba, sample_weight=sw, multioutput="raw_values", classes=model.classes_
    )
    np.testing.assert_allclose(raw, expected, rtol=1e-12)
    assert metrics.log_loss(Y, proba, sample_weight=sw) == pytest.approx(
        expected.mean()
    )
    # binary tasks given by their positive-class probability only
    binary = [proba[0][:, 1], proba[1], proba[2][:, 1]]
    np.testing.assert_allclose(
        metrics.log_loss(Y, binary, classes=model.classes_, multioutput="raw_values"),
        _hand_loop(skm.log_loss, Y, proba, labels=model.classes_),
    )


def test_all_binary_tasks_accept_an_array_of_scores():
    X, Y = _classification_data(seed=10)
    Y = Y[:, [0, 2]]
    model = PerTaskLogistic().fit(X, Y)
    scores = model.decision_function(X)
    assert scores.shape == (len(X), 2)
    proba = model.predict_proba(X)
    expected = _hand_loop(skm.roc_auc_score, Y, [p[:, 1] for p in proba])
    np.testing.assert_allclose(
        metrics.roc_auc_score(Y, scores, multioutput="raw_values"), expected
    )
    positive = np.column_stack([p[:, 1] for p in proba])
    np.testing.assert_allclose(
        metrics.log_loss(Y, positive, classes=model.classes_, multioutput="raw_values"),
        _hand_loop(skm.log_loss, Y, proba, labels=model.classes_),
    )


def test_classification_single_task_one_dimensional():
    X, Y = _classification_data(seed=11)
    for column in (0, 1):
        y = Y[:, column]
        model = PerTaskLogistic().fit(X, y)
        assert isinstance(model.classes_, np.ndarray)
        keep = observed_mask(y)
        yk = np.array(list(y[keep]))
        proba = model.predict_proba(X)
        assert metrics.accuracy_score(y, model.predict(X)) == pytest.approx(
            skm.accuracy_score(yk, model.predict(X)[keep].astype(yk.dtype))
        )
        assert metrics.log_loss(y, proba, classes=model.classes_) == pytest.approx(
            skm.log_loss(yk, proba[keep], labels=model.classes_)
        )
        sk_score = proba[keep] if column == 1 else proba[keep][:, 1]
        expected_auc = skm.roc_auc_score(
            yk, sk_score, multi_class="ovr", labels=model.classes_
        )
        assert metrics.roc_auc_score(y, proba, classes=model.classes_) == pytest.approx(
            expected_auc
        )
        decision = model.decision_function(X)
        assert metrics.roc_auc_score(y, decision, classes=model.classes_) == (
            pytest.approx(_sk_auc(yk, decision[keep], labels=model.classes_))
        )


def test_classification_dataframe_inputs(fitted_classifier):
    pd = pytest.importorskip("pandas")
    X, Y, model = fitted_classifier
    frame = pd.DataFrame(Y, columns=["sign", "level", "flag"])
    frame["level"] = frame["level"].astype("Int64")  # pandas NA holes
    proba = model.predict_proba(X)
    pred = model.predict(X)
    for name in ("accuracy_score", "roc_auc_score", "log_loss"):
        func = getattr(metrics, name)
        out = pred if name == "accuracy_score" else proba
        extra = {} if name == "accuracy_score" else {"classes": model.classes_}
        np.testing.assert_allclose(
            func(frame, out, multioutput="raw_values", **extra),
            func(Y, out, multioutput="raw_values", **extra),
        )
    pred_frame = pd.DataFrame(pred)
    assert metrics.accuracy_score(frame, pred_frame) == pytest.approx(
        metrics.accuracy_score(Y, pred)
    )


def test_string_labels_and_integer_predictions_from_lists():
    Y_true = [["a", 1], ["b", None], ["b", 2], ["a", 2]]
    Y_pred = [["a", 1], ["a", 1], ["b", 1], ["b", 2]]
    np.testing.assert_allclose(
        metrics.accuracy_score(Y_true, Y_pred, multioutput="raw_values"), [0.5, 2 / 3]
    )


# ---------------------------------------------------------------------------
# Undefined cases
# ---------------------------------------------------------------------------


def test_task_without_observed_entry_is_left_out_with_warning():
    Y, pred, _ = _regression_data(seed=12)
    Y[:, 1] = np.nan
    with pytest.warns(UndefinedMetricWarning, match=r"'task_1' \(column 1\).*no obs"):
        raw = metrics.r2_score(Y, pred, multioutput="raw_values")
    assert np.isnan(raw[1]) and np.all(np.isfinite(raw[[0, 2]]))
    with pytest.warns(UndefinedMetricWarning, match="task_1"):
        avg = metrics.r2_score(Y, pred)
    assert avg == pytest.approx(np.mean(raw[[0, 2]]))


def test_task_names_from_dataframe_in_warnings():
    pd = pytest.importorskip("pandas")
    Y, pred, _ = _regression_data(seed=13)
    Y[:, 2] = np.nan
    frame = pd.DataFrame(Y, columns=["math", "art", "music"])
    with pytest.warns(UndefinedMetricWarning, match=r"'music' \(column 2\)"):
        metrics.mean_squared_error(frame, pred)


def test_roc_auc_with_one_class_is_nan_and_excluded():
    y_true = np.array([[0, 1], [0, 0], [0, 1], [0, 0.0]])
    scores = np.array([[0.1, 0.9], [0.2, 0.1], [0.3, 0.8], [0.4, 0.7]])
    with pytest.warns(UndefinedMetricWarning, match=r"'task_0'.*[Oo]nly one class"):
        raw = metrics.roc_auc_score(y_true, scores, multioutput="raw_values")
    assert np.isnan(raw[0])
    assert raw[1] == skm.roc_auc_score(y_true[:, 1], scores[:, 1])
    assert metrics.roc_auc_score(y_true, scores) == raw[1]
    # with classes given, the same
    raw = metrics.roc_auc_score(
        y_true, scores, classes=[[0, 1], [0, 1]], multioutput="raw_values"
    )
    assert np.isnan(raw[0])


def test_multiclass_fold_missing_a_class_follows_sklearn():
    y = np.array([0, 1, 0, 1, np.nan])
    proba = np.full((5, 3), 1 / 3) + np.array([0.1, -0.1, 0.0]) * np.arange(5)[:, None]
    proba /= proba.sum(axis=1, keepdims=True)
    sk = skm.roc_auc_score(y[:4], proba[:4], multi_class="ovr", labels=[0, 1, 2])
    ours = metrics.roc_auc_score(y, proba, classes=[0, 1, 2])
    assert np.isnan(sk) and np.isnan(ours)
    # the log loss stays defined once the classes are known
    assert metrics.log_loss(y, proba, classes=[0, 1, 2]) == pytest.approx(
        skm.log_loss(y[:4], proba[:4], labels=[0, 1, 2])
    )
    with pytest.raises(ValueError, match="pass classes="):
        metrics.log_loss(y, proba)


def test_r2_undefined_cases_follow_sklearn():
    Y = np.array([[1.0, 2.0], [1.0, np.nan], [1.0, np.nan]])
    pred = np.array([[1.0, 2.0], [1.5, 0.0], [1.0, 0.0]])
    raw = metrics.r2_score(Y, pred, multioutput="raw_values")
    assert raw[0] == skm.r2_score(Y[:, 0], pred[:, 0]) == 0.0  # constant targets
    assert np.isnan(raw[1])  # a single row: NaN in scikit-learn
    assert metrics.r2_score(Y, pred) == 0.0
    with pytest.warns(RuntimeWarning, match="'task_0'"):
        raw = metrics.r2_score(Y, pred, multioutput="raw_values", force_finite=False)
    assert raw[0] == -np.inf


def test_nmse_constant_targets_is_nan_with_warning():
    Y = np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 5.0]])
    pred = Y + 1.0
    with pytest.warns(UndefinedMetricWarning, match=r"'task_0'.*constant"):
        raw = metrics.normalized_mean_squared_error(Y, pred, multioutput="raw_values")
    assert np.isnan(raw[0])
    assert raw[1] == pytest.approx(_sk_nmse(Y[:, 1], pred[:, 1]))


def test_no_defined_task_gives_nan_average():
    Y = np.array([[np.nan, 1.0], [np.nan, 1.0]])
    with pytest.warns(UndefinedMetricWarning, match="No task has a defined score"):
        score = metrics.normalized_mean_squared_error(Y, np.zeros((2, 2)))
    assert np.isnan(score)
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(metrics.explained_variance_mtl(np.full(3, np.nan), np.zeros(3)))


def test_zero_weight_task_is_left_out():
    Y, pred, _ = _regression_data(seed=14)
    sw = np.ones(Y.shape)
    sw[:, 0] = 0.0
    raw = metrics.mean_squared_error(
        Y, pred, sample_weight=sw, multioutput="raw_values"
    )
    assert np.isnan(raw[0])
    np.testing.assert_allclose(
        raw[1:], metrics.mean_squared_error(Y, pred, multioutput="raw_values")[1:]
    )


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "Y_pred, match",
    [
        (np.zeros((40, 2)), r"Y_pred has shape \(40, 2\)"),
        (np.zeros((39, 3)), "Y_pred has 39 rows"),
        (np.zeros(40), r"Y_pred has shape \(40,\)"),
        ([np.zeros(40), np.zeros(40), np.zeros(39)], r"Y_pred\[2\] has 39 rows"),
        ([np.zeros(40), np.zeros((40, 2)), np.zeros(40)], r"Y_pred\[1\] has shape"),
    ],
)
def test_shape_errors_name_the_argument(Y_pred, match):
    Y, _, _ = _regression_data()
    with pytest.raises(ValueError, match=match):
        metrics.r2_score(Y, Y_pred)


def test_value_errors():
    Y, pred, _ = _regression_data()
    bad = pred.copy()
    bad[~np.isnan(Y[:, 1]), 1] = np.nan
    with pytest.raises(ValueError, match=r"'task_1' \(column 1\): Y_pred is missing"):
        metrics.mean_squared_error(Y, bad)
    with pytest.raises(ValueError, match="multioutput"):
        metrics.mean_squared_error(Y, pred, multioutput="variance_weighted")
    with pytest.raises(ValueError, match="multioutput.*shape"):
        metrics.mean_squared_error(Y, pred, multioutput=[1.0, 2.0])
    with pytest.raises(ValueError, match="sample_weight"):
        metrics.mean_squared_error(Y, pred, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="Y_true must be 1-D"):
        metrics.r2_score(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    labels = np.array([["a"], ["b"]], dtype=object)
    with pytest.raises(ValueError, match="'task_0'.*non-numeric value 'a'"):
        metrics.r2_score(labels, np.zeros((2, 1)))


def test_classification_errors():
    y = np.array(["a", "b", "c", "a"])
    proba = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match="classes has 3 entries but Y_true has 2"):
        metrics.log_loss(np.c_[y, y], [proba, proba], classes=[["a", "b", "c"]] * 3)
    with pytest.raises(ValueError, match="sorted"):
        metrics.log_loss(y, proba, classes=["c", "b", "a"])
    with pytest.raises(ValueError, match=r"not in classes \['a', 'b', 'd'\]"):
        metrics.roc_auc_score(y, proba, classes=["a", "b", "d"])
    with pytest.raises(ValueError, match="Y_score gives 3 classes but classes has 2"):
        metrics.roc_auc_score(y, proba, classes=["a", "b"])
    with pytest.raises(ValueError, match="one score per row"):
        metrics.roc_auc_score(y, proba[:, 0])
    with pytest.raises(ValueError, match="Y_proba has shape"):
        metrics.log_loss(np.c_[y, y], proba)
    with pytest.raises(ValueError, match="mixes string and numeric"):
        metrics.accuracy_score(np.array(["a", 1], dtype=object), np.array(["a", "b"]))


# ---------------------------------------------------------------------------
# Scorers
# ---------------------------------------------------------------------------


def _folds(X, Y, cv):
    return [(train, test) for train, test in cv.split(X, Y)]


def test_scorer_names_and_lookup():
    names = metrics.get_scorer_names()
    assert set(names) == {
        "r2",
        "explained_variance",
        "neg_mean_squared_error",
        "neg_root_mean_squared_error",
        "neg_mean_absolute_error",
        "neg_normalized_mean_squared_error",
        "explained_variance_mtl",
        "accuracy",
        "balanced_accuracy",
        "f1",
        "f1_macro",
        "f1_micro",
        "f1_weighted",
        "roc_auc",
        "roc_auc_ovr",
        "neg_log_loss",
    }
    assert set(metrics.SCORERS) == set(names)
    # every skmtl name but its own two is a scikit-learn scorer name
    assert set(names) - {
        "neg_normalized_mean_squared_error",
        "explained_variance_mtl",
    } <= set(skm.get_scorer_names())
    with pytest.raises(ValueError, match="valid names"):
        metrics.get_scorer("precision")
    scorer = metrics.SCORERS["r2"]
    assert metrics.get_scorer(scorer) is scorer
    with pytest.raises(TypeError):
        metrics.SCORERS["mine"] = scorer


def test_regression_scorers_in_cross_validate_with_nan():
    Y, _, rng = _regression_data(seed=15, n=45)
    Y[:15, 2] = np.nan  # the first test fold has no entry of task 2
    X = rng.normal(size=(len(Y), 2))
    names = [
        "r2",
        "neg_mean_squared_error",
        "neg_root_mean_squared_error",
        "neg_normalized_mean_squared_error",
        "explained_variance_mtl",
    ]
    cv = KFold(3)
    result = cross_validate(
        MeanRegressor(offset=0.3),
        X,
        Y,
        cv=cv,
        scoring={n: metrics.get_scorer(n) for n in names},
        error_score="raise",
    )
    sign = {"r2": 1, "explained_variance_mtl": 1}
    for k, (train, test) in enumerate(_folds(X, Y, cv)):
        pred = MeanRegressor(offset=0.3).fit(X[train], Y[train]).predict(X[test])
        for name, (_, theirs) in zip(names[:4], REGRESSION, strict=True):
            per_task = _hand_loop(theirs, Y[test], pred)
            expected = sign.get(name, -1) * np.nanmean(per_task)
            assert result[f"test_{name}"][k] == pytest.approx(expected)
        keep = ~np.isnan(Y[test])
        assert result["test_explained_variance_mtl"][k] == pytest.approx(
            skm.r2_score(Y[test][keep], pred[keep])
        )


def test_grid_search_with_regression_scorer():
    Y, _, rng = _regression_data(seed=16, n=45)
    X = rng.normal(size=(len(Y), 2))
    cv = KFold(3, shuffle=True, random_state=0)
    grid = GridSearchCV(
        MeanRegressor(),
        {"offset": [-1.0, 0.0, 1.5]},
        cv=cv,
        scoring=metrics.get_scorer("neg_normalized_mean_squared_error"),
        error_score="raise",
    ).fit(X, Y)
    assert grid.best_params_ == {"offset": 0.0}
    for i, offset in enumerate([-1.0, 0.0, 1.5]):
        fold_scores = []
        for train, test in _folds(X, Y, cv):
            pred = MeanRegressor(offset).fit(X[train], Y[train]).predict(X[test])
            fold_scores.append(-np.mean(_hand_loop(_sk_nmse, Y[test], pred)))
        assert grid.cv_results_["mean_test_score"][i] == pytest.approx(
            np.mean(fold_scores)
        )


@pytest.mark.parametrize("model_class", [PerTaskLogistic, PerTaskLogisticScores])
def test_classification_scorers_in_cross_validate(model_class):
    X, Y = _classification_data(seed=17, n=90)
    cv = KFold(3, shuffle=True, random_state=1)
    names = ["accuracy", "roc_auc"] + (
        ["neg_log_loss"] if hasattr(model_class, "predict_proba") else []
    )
    result = cross_validate(
        model_class(C=0.3),
        X,
        Y,
        cv=cv,
        error_score="raise",
        scoring={n: metrics.get_scorer(n) for n in names},
    )
    for k, (train, test) in enumerate(_folds(X, Y, cv)):
        model = model_class(C=0.3).fit(X[train], Y[train])
        pred = model.predict(X[test])
        pred_cols = [np.array(list(pred[:, t])) for t in range(3)]
        acc = _hand_loop(skm.accuracy_score, Y[test], pred_cols)
        assert result["test_accuracy"][k] == pytest.approx(acc.mean())
        if "neg_log_loss" in names:  # AUC from predict_proba
            proba = model.predict_proba(X[test])
            loss = _hand_loop(skm.log_loss, Y[test], proba, labels=model.classes_)
            assert result["test_neg_log_loss"][k] == pytest.approx(-loss.mean())
            scores = [proba[0][:, 1], proba[1], proba[2][:, 1]]
            auc = _hand_loop(
                skm.roc_auc_score,
                Y[test],
                scores,
                multi_class="ovr",
                labels=model.classes_,
            )
        else:  # AUC from decision_function
            scores = model.decision_function(X[test])
            auc = _hand_loop(_sk_auc, Y[test], scores, labels=model.classes_)
        assert result["test_roc_auc"][k] == pytest.approx(np.nanmean(auc))


def test_grid_search_and_cross_val_score_with_classifier():
    X, Y = _classification_data(seed=18, n=90)
    cv = KFold(3, shuffle=True, random_state=2)
    grid = GridSearchCV(
        PerTaskLogistic(),
        {"C": [0.01, 1.0]},
        cv=cv,
        scoring=metrics.get_scorer("neg_log_loss"),
        error_score="raise",
    ).fit(X, Y)
    assert grid.best_params_ == {"C": 1.0}
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    scores = cross_val_score(
        PerTaskLogistic(),
        X,
        Y,
        cv=cv,
        error_score="raise",
        scoring=metrics.get_scorer("roc_auc"),
    )
    for k, (train, test) in enumerate(_folds(X, Y, cv)):
        model = PerTaskLogistic().fit(X[train], Y[train])
        assert scores[k] == pytest.approx(
            metrics.roc_auc_score(
                Y[test], model.predict_proba(X[test]), classes=model.classes_
            )
        )


def test_scorer_routes_sample_weight_and_kwargs():
    Y, _, rng = _regression_data(seed=19)
    X = rng.normal(size=(len(Y), 2))
    model = MeanRegressor(offset=0.2).fit(X, Y)
    sw = rng.uniform(0.5, 2.0, size=len(Y))
    pred = model.predict(X)
    scorer = metrics.get_scorer("neg_mean_squared_error")
    assert scorer(model, X, Y, sample_weight=sw) == pytest.approx(
        -metrics.mean_squared_error(Y, pred, sample_weight=sw)
    )
    assert scorer(model, X, Y, sample_weight=sw) != pytest.approx(scorer(model, X, Y))
    first_task = metrics.make_task_scorer(
        metrics.mean_squared_error, greater_is_better=False, multioutput=[1, 0, 0]
    )
    assert first_task(model, X, Y) == pytest.approx(
        -skm.mean_squared_error(Y[~np.isnan(Y[:, 0]), 0], pred[~np.isnan(Y[:, 0]), 0])
    )
    assert "greater_is_better=False" in repr(first_task)


def test_make_task_scorer_with_scores_passes_classes():
    X, Y = _classification_data(seed=20)
    model = PerTaskLogistic().fit(X, Y)
    scorer = metrics.make_task_scorer(
        metrics.roc_auc_score, response="decision_function"
    )
    assert scorer(model, X, Y) == pytest.approx(
        metrics.roc_auc_score(Y, model.decision_function(X), classes=model.classes_)
    )

    def first_task_accuracy(Y_true, Y_pred):
        keep = observed_mask(Y_true[:, 0])
        return np.mean(Y_true[keep, 0] == Y_pred[keep, 0])

    mine = metrics.make_task_scorer(first_task_accuracy)
    pred = model.predict(X)
    assert mine(model, X, Y) == first_task_accuracy(Y, pred)


def test_scorer_errors():
    with pytest.raises(ValueError, match="response"):
        metrics.make_task_scorer(metrics.log_loss, response="predict_log_proba")
    with pytest.raises(ValueError, match="callable"):
        metrics.make_task_scorer("r2")
    with pytest.raises(ValueError, match="raw_values"):
        metrics.make_task_scorer(metrics.r2_score, multioutput="raw_values")
    X, Y = _classification_data(seed=21)
    model = PerTaskLogisticScores().fit(X, Y)
    with pytest.raises(ValueError, match="predict_proba.*PerTaskLogisticScores"):
        metrics.get_scorer("neg_log_loss")(model, X, Y)


# ---------------------------------------------------------------------------
# scikit-learn scorer names: the per-task meaning, by hand
# ---------------------------------------------------------------------------

# name -> scikit-learn metric applied to each task's observed rows, its sign
SKLEARN_REGRESSION_NAMES = {
    "r2": (skm.r2_score, 1),
    "explained_variance": (skm.explained_variance_score, 1),
    "neg_mean_squared_error": (skm.mean_squared_error, -1),
    "neg_root_mean_squared_error": (skm.root_mean_squared_error, -1),
    "neg_mean_absolute_error": (skm.mean_absolute_error, -1),
}


class FixedPredictor(RegressorMixin, BaseEstimator):
    """Returns the predictions it was given, whatever X."""

    def __init__(self, prediction=None):
        self.prediction = prediction

    def fit(self, X, Y):
        return self

    def predict(self, X):
        return self.prediction


@pytest.mark.parametrize("name", sorted(SKLEARN_REGRESSION_NAMES))
def test_regression_scorer_names_average_the_sklearn_metric_per_task(name):
    Y, pred, _ = _regression_data(seed=21)
    metric, sign = SKLEARN_REGRESSION_NAMES[name]
    expected = []
    for t in range(Y.shape[1]):
        rows = ~np.isnan(Y[:, t])
        expected.append(metric(Y[rows, t], pred[rows, t]))
    scorer = metrics.get_scorer(name)
    X = np.zeros((len(Y), 1))
    assert scorer(FixedPredictor(pred), X, Y) == pytest.approx(sign * np.mean(expected))


class FixedClassifier(ClassifierMixin, BaseEstimator):
    """Given labels and per-task probabilities."""

    def __init__(self, labels=None, proba=None, classes=None):
        self.labels, self.proba, self.classes = labels, proba, classes

    def fit(self, X, Y):
        self.classes_ = self.classes
        return self

    def predict(self, X):
        return self.labels

    def predict_proba(self, X):
        return self.proba


def _binary_tasks(seed=0, n=50, n_tasks=3):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, n_tasks)) < 0.4).astype(float)
    Y[rng.random(Y.shape) < 0.3] = np.nan
    p1 = np.clip(np.nan_to_num(Y, nan=0.5) * 0.5 + rng.random(Y.shape) * 0.5, 0, 1)
    labels = (p1 > 0.5).astype(float)
    proba = [np.column_stack([1 - p1[:, t], p1[:, t]]) for t in range(n_tasks)]
    return Y, labels, proba


@pytest.mark.parametrize(
    "name, metric, response",
    [
        ("accuracy", skm.accuracy_score, "labels"),
        ("balanced_accuracy", skm.balanced_accuracy_score, "labels"),
        ("f1", skm.f1_score, "labels"),
        ("f1_macro", lambda y, p: skm.f1_score(y, p, average="macro"), "labels"),
        ("f1_micro", lambda y, p: skm.f1_score(y, p, average="micro"), "labels"),
        ("f1_weighted", lambda y, p: skm.f1_score(y, p, average="weighted"), "labels"),
        ("roc_auc", lambda y, p: skm.roc_auc_score(y, p[:, 1]), "proba"),
        ("roc_auc_ovr", lambda y, p: skm.roc_auc_score(y, p[:, 1]), "proba"),
        ("neg_log_loss", lambda y, p: -skm.log_loss(y, p, labels=[0, 1]), "proba"),
    ],
)
def test_classification_scorer_names_average_the_sklearn_metric_per_task(
    name, metric, response
):
    Y, labels, proba = _binary_tasks()
    expected = []
    for t in range(Y.shape[1]):
        rows = ~np.isnan(Y[:, t])
        output = labels[rows, t] if response == "labels" else proba[t][rows]
        expected.append(metric(Y[rows, t], output))
    classes = [np.array([0.0, 1.0])] * Y.shape[1]
    model = FixedClassifier(labels, proba, classes).fit(None, Y)
    score = metrics.get_scorer(name)(model, np.zeros((len(Y), 1)), Y)
    assert score == pytest.approx(np.mean(expected))


@pytest.mark.parametrize("weights", [[1.0, 2.0, 0.5], (1.0, 2.0, 0.5)])
def test_make_task_scorer_takes_any_array_like_multioutput(weights):
    Y, pred, _ = _regression_data(seed=22)
    as_array = metrics.make_task_scorer(
        metrics.r2_score, multioutput=np.array([1.0, 2.0, 0.5])
    )
    other = metrics.make_task_scorer(metrics.r2_score, multioutput=weights)
    X = np.zeros((len(Y), 1))
    per_task = metrics.r2_score(Y, pred, multioutput="raw_values")
    expected = np.average(per_task, weights=[1.0, 2.0, 0.5])
    assert as_array(FixedPredictor(pred), X, Y) == pytest.approx(expected)
    assert other(FixedPredictor(pred), X, Y) == pytest.approx(expected)
    wrong = metrics.make_task_scorer(metrics.r2_score, multioutput=np.ones(4))
    with pytest.raises(ValueError, match=r"shape \(4,\); expected \(3,\)"):
        wrong(FixedPredictor(pred), X, Y)
    for bad, message in [
        (np.ones((2, 2)), "1-D"),
        ([1.0, -1.0], "non-negative"),
        ("raw_values", "one number"),
        ("mean", "uniform_average"),
    ]:
        with pytest.raises(ValueError, match=message):
            metrics.make_task_scorer(metrics.r2_score, multioutput=bad)


def test_sparse_targets_store_the_observed_entries():
    sparse = pytest.importorskip("scipy.sparse")
    Y, pred, _ = _regression_data(seed=23)
    Y[0, 0] = 0.0  # a stored zero is an observed zero
    rows, tasks = np.nonzero(~np.isnan(Y))
    Y_sparse = sparse.csr_array((Y[rows, tasks], (rows, tasks)), shape=Y.shape)
    for metric, _ in REGRESSION:
        assert metric(Y_sparse, pred, multioutput="raw_values") == pytest.approx(
            metric(Y, pred, multioutput="raw_values")
        )
    assert metrics.explained_variance_mtl(Y_sparse, pred) == pytest.approx(
        metrics.explained_variance_mtl(Y, pred)
    )


def test_log_loss_numpy_path_equals_sklearn():
    """The per-task log loss computed in numpy (the CV paths' default
    scoring) against scikit-learn's on random tasks: numeric, float and
    string labels, float32, 1-D binary probabilities, weights, classes absent
    from the rows, probabilities at 0 and 1; the cases scikit-learn warns or
    raises on go to scikit-learn itself (its warning kept)."""
    from skmtl.metrics import _log_loss_numpy

    rng = np.random.default_rng(0)
    names = np.array(["a", "bb", "c", "dog", "e"])
    for trial in range(400):
        K, n = int(rng.integers(2, 6)), int(rng.integers(1, 30))
        classes = np.sort(rng.choice(np.arange(-3, 10), K, replace=False))
        if trial % 3 == 1:
            classes = classes.astype(float)
        elif trial % 3 == 2:
            classes = names[:K]
        y = rng.choice(classes[: max(2, K - 1)], n)
        P = rng.dirichlet(np.full(K, rng.uniform(0.05, 2.0)), n)
        P[rng.integers(n)] = np.eye(K)[0]  # a probability of exactly 0 and 1
        if trial % 4 == 0:
            P = P.astype(np.float32)
        if K == 2 and trial % 2:
            P = P[:, 1]
        w = rng.uniform(0.1, 3.0, n) if trial % 5 < 2 else None
        ours = _log_loss_numpy(y, P, w, classes)
        assert ours is not None
        reference = skm.log_loss(y, P, sample_weight=w, labels=classes)
        assert ours == pytest.approx(reference, rel=1e-12)
    y, classes = np.array([0, 1, 1]), np.array([0, 1])
    unnormalised = np.array([[0.5, 0.6], [0.2, 0.8], [0.1, 0.9]])
    assert _log_loss_numpy(y, unnormalised, None, classes) is None
    with pytest.warns(UserWarning, match="do not sum to one"):
        metrics.log_loss(y, unnormalised, classes=classes)
    assert _log_loss_numpy(np.array([0, 2]), np.eye(2), None, classes) is None


def test_accuracy_numpy_path_equals_sklearn():
    """The per-task accuracy in numpy against scikit-learn's on integer,
    whole-float, string and boolean labels with and without weights; mixed
    or continuous labels go to scikit-learn (its errors)."""
    from skmtl.metrics import _accuracy

    rng = np.random.default_rng(1)
    kinds = [np.arange(3), np.array([0.0, 1.0, 2.0]), np.array(["x", "y", "z"]),
             np.array([True, False])]
    for trial in range(400):
        labels, n = kinds[trial % 4], int(rng.integers(1, 30))
        y, pred = rng.choice(labels, n), rng.choice(labels, n)
        w = rng.uniform(0.1, 2.0, n) if trial % 3 == 0 else None
        assert _accuracy(y, pred, w) == skm.accuracy_score(y, pred, sample_weight=w)
    with pytest.raises(ValueError, match="continuous"):
        _accuracy(np.array([0.5, 1.0]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="string and number"):
        _accuracy(np.array([0, 1]), np.array(["a", "b"]))
