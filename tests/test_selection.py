"""Selected features of the sparse models and class_weight of the classifiers.

``get_support()`` / ``n_features_selected_`` mark exactly the features with a
nonzero coefficient row, and ``SelectFromModel`` with
``threshold=model.nonzero_threshold`` selects the same ones (float64 and
float32). ``class_weight`` is checked against the sample weights it stands
for (the documented definition), against scikit-learn's
``LogisticRegression(class_weight=...)`` where the problems coincide, and
for its documented effect: with ``"balanced"`` every class of a task carries
the same total weight.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import skmtl
from skmtl._data import (
    check_task_weights,
    class_weight_factors,
    target_weights,
    validate_classification_targets,
)

RNG = np.random.default_rng(0)
X = RNG.standard_normal((60, 12))
W = np.zeros((12, 3))
W[[0, 3, 7]] = RNG.standard_normal((3, 3)) + 1.0
Y = X @ W + 0.3 * RNG.standard_normal((60, 3))
LABELS = (Y > 0.4).astype(int)  # imbalanced: fewer positives

SPARSE_MODELS = [
    (skmtl.L21Regressor(), Y),
    (skmtl.L21Regressor(alpha=0.3), Y),
    (skmtl.TaskGraphRegressor(l1="auto"), Y),
    (skmtl.L21Classifier(), LABELS),
    (skmtl.TaskGraphClassifier(l1="auto"), LABELS),
]
# row-sparse models of the model-breadth issue, once they are on the branch
SPARSE_MODELS += [
    (getattr(skmtl, name)(), Y) for name in ("DirtyRegressor", "FusedTaskRegressor")
    if hasattr(skmtl, name)
]


def ids(cases):
    return [f"{type(m).__name__}-{i}" for i, (m, _) in enumerate(cases)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("model, targets", SPARSE_MODELS, ids=ids(SPARSE_MODELS))
def test_support_is_the_nonzero_rows(model, targets, dtype):
    Xd = X.astype(dtype)
    model.fit(Xd, targets)
    rows = np.atleast_2d(model.coef_)
    nonzero = np.array([np.any(rows[:, j] != 0) for j in range(X.shape[1])])
    assert 0 < nonzero.sum() < X.shape[1]  # sparse, but not empty
    assert_array_equal(model.get_support(), nonzero)
    assert_array_equal(model.get_support(indices=True), np.flatnonzero(nonzero))
    assert model.n_features_selected_ == nonzero.sum()
    selector = SelectFromModel(model, threshold=model.nonzero_threshold, prefit=True)
    assert_array_equal(selector.get_support(), nonzero)
    assert_array_equal(selector.transform(Xd), Xd[:, nonzero])


def test_support_with_tiny_coefficients():
    """A coefficient row of norm 1e-30 is nonzero and selected; zero is not."""
    model = skmtl.L21Regressor().fit(X, Y)
    model.coef_ = np.zeros_like(model.coef_)
    model.coef_[1, 4] = 1e-30
    expected = np.arange(X.shape[1]) == 4
    assert_array_equal(model.get_support(), expected)
    selector = SelectFromModel(model, threshold=model.nonzero_threshold, prefit=True)
    assert_array_equal(selector.get_support(), expected)


def test_select_from_model_in_a_pipeline_keeps_the_active_features():
    pipe = make_pipeline(
        SelectFromModel(
            skmtl.L21Regressor(), threshold=skmtl.L21Regressor.nonzero_threshold
        ),
        skmtl.MeanRegularizedRegressor(),
    ).fit(X, Y)
    selected = pipe[0].get_support()
    assert_array_equal(selected, pipe[0].estimator_.get_support())
    assert pipe[-1].n_features_in_ == selected.sum()


def test_support_needs_a_fit():
    model = skmtl.L21Regressor()
    with pytest.raises(NotFittedError):
        model.get_support()
    assert not hasattr(model, "n_features_selected_")


# ------------------------------------------------------------- class_weight
CLASSIFIERS = [
    skmtl.L21Classifier(tol=1e-10),
    skmtl.TraceNormClassifier(tol=1e-10),
    skmtl.MeanRegularizedClassifier(ridge=0.01, tol=1e-10),
    skmtl.TaskGraphClassifier(ridge=0.01, tol=1e-10),
    skmtl.TaskRelationClassifier(tol=1e-10),
    skmtl.MultiTaskMLPClassifier((4,), max_iter=50, random_state=0),
]
CLASSIFIER_IDS = [type(c).__name__ for c in CLASSIFIERS]


def coefficients(model):
    if hasattr(model, "coef_"):
        return [model.coef_, model.intercept_]
    return [*model.coefs_, *model.head_coefs_, *model.head_intercepts_]


def assert_same_fit(a, b):
    for x, y in zip(coefficients(a), coefficients(b), strict=True):
        assert_allclose(x, y, rtol=1e-9, atol=1e-12)


def per_entry(weights_of_task):
    """(n, T) sample weights ``v_t(y_it)`` from one {label: weight} per task."""
    return np.column_stack([
        [weights_of_task[t][label] for label in LABELS[:, t]]
        for t in range(LABELS.shape[1])
    ])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("model", CLASSIFIERS, ids=CLASSIFIER_IDS)
def test_class_weight_dict_equals_its_sample_weights(model):
    weights = [{0: 1.0, 1: 3.0}, {0: 0.5, 1: 2.0}, {0: 1.0, 1: 1.0}]
    sw = RNG.uniform(0.5, 2.0, size=X.shape[0])
    by_class = model.set_params(class_weight=weights).fit(X, LABELS, sample_weight=sw)
    by_rows = type(model)(**{**model.get_params(), "class_weight": None})
    by_rows.fit(X, LABELS, sample_weight=sw[:, None] * per_entry(weights))
    assert_same_fit(by_class, by_rows)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("model", CLASSIFIERS, ids=CLASSIFIER_IDS)
def test_balanced_equals_its_sample_weights(model):
    """"balanced": v_t(k) = S_t / (K_t S_tk) with sample-weight totals S."""
    sw = RNG.uniform(0.5, 2.0, size=X.shape[0])
    weights = []
    for t in range(LABELS.shape[1]):
        totals = np.bincount(LABELS[:, t], sw)
        weights.append({k: totals.sum() / (2 * totals[k]) for k in (0, 1)})
    balanced = model.set_params(class_weight="balanced")
    balanced.fit(X, LABELS, sample_weight=sw)
    manual = type(model)(**{**model.get_params(), "class_weight": None})
    manual.fit(X, LABELS, sample_weight=sw[:, None] * per_entry(weights))
    assert_same_fit(balanced, manual)


def test_only_ratios_within_a_task_matter():
    a = skmtl.L21Classifier(class_weight={0: 1.0, 1: 3.0}, tol=1e-10).fit(X, LABELS)
    b = skmtl.L21Classifier(class_weight={0: 2.0, 1: 6.0}, tol=1e-10).fit(X, LABELS)
    assert_same_fit(a, b)


def test_class_weight_forms_agree():
    """One dict for all tasks = a list of it = a dict by task name."""
    spec = {0: 1.0, 1: 4.0}
    forms = [spec, [spec, spec, spec], {"task_0": spec, "task_1": spec, "task_2": spec}]
    fits = [
        skmtl.L21Classifier(class_weight=f, tol=1e-10).fit(X, LABELS) for f in forms
    ]
    for other in fits[1:]:
        assert_same_fit(fits[0], other)
    partial = skmtl.L21Classifier(class_weight={"task_1": "balanced"}, tol=1e-10)
    listed = skmtl.L21Classifier(class_weight=[None, "balanced", None], tol=1e-10)
    assert_same_fit(partial.fit(X, LABELS), listed.fit(X, LABELS))


def test_balanced_gives_every_class_the_same_share():
    """The documented effect on the objective: after the per-task
    normalisation each class of task t carries c_t / K_t."""
    labels = LABELS.astype(object)
    labels[:, 2] = np.array(["a", "b", "c"])[np.digitize(Y[:, 2], [0.0, 1.5])]
    targets = validate_classification_targets(labels, X.shape[0])
    sw = RNG.uniform(0.1, 3.0, size=X.shape[0])
    task_weights = check_task_weights([1.0, 2.0, 0.5], 3)
    factors = class_weight_factors("balanced", targets, sw)
    weights = target_weights(targets, sw, task_weights, factors)
    for t, classes in enumerate(targets.classes):
        in_task = targets.entry_tasks == t
        for k in range(len(classes)):
            share = weights[in_task & (targets.entry_codes == k)].sum()
            assert share == pytest.approx(task_weights[t] / len(classes), rel=1e-12)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 5.0}])
def test_class_weight_matches_scikit_learn(class_weight):
    """One task, no sparsity: (1/n) sum v_i l_i + ridge/2 ||w||^2 with
    sum v_i = n is LogisticRegression's C sum v_i l_i + ||w||^2 / 2 for
    ridge = 1 / (C n), when "balanced" (and for a dict, once the weights are
    rescaled to sum to n, which the per-task normalisation does)."""
    y = LABELS[:, 0]
    n, C = y.size, 0.5
    v = np.where(y == 1, 5.0, 1.0) if isinstance(class_weight, dict) else None
    scale = n / v.sum() if v is not None else 1.0
    reference = LogisticRegression(
        C=C * scale if v is not None else C, class_weight=class_weight, tol=1e-12,
        max_iter=10000,
    ).fit(X, y)
    model = skmtl.L21Classifier(
        alpha=0.0, ridge=1.0 / (C * n), class_weight=class_weight, tol=1e-12
    ).fit(X, y)
    assert_allclose(model.coef_.ravel(), reference.coef_.ravel(), rtol=1e-5, atol=1e-7)
    assert_allclose(model.intercept_, reference.intercept_, rtol=1e-5, atol=1e-7)


def test_class_weight_helps_the_rare_class():
    """Landmine's problem: few positives. Balanced weights raise their recall."""
    rng = np.random.default_rng(1)
    X2 = rng.standard_normal((600, 12))
    y = (X2[:, 0] + X2[:, 1] + rng.standard_normal(600) > 2.2).astype(int)
    assert 0.03 < y.mean() < 0.15
    train, test = slice(0, 300), slice(300, None)
    plain = skmtl.L21Classifier().fit(X2[train], y[train]).predict(X2[test])
    balanced = skmtl.L21Classifier(class_weight="balanced").fit(X2[train], y[train])
    positives = y[test] == 1
    recall_plain = np.mean(plain[positives] == 1)
    recall_balanced = np.mean(balanced.predict(X2[test])[positives] == 1)
    assert recall_balanced > recall_plain + 0.2, (recall_plain, recall_balanced)
