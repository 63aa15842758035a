"""Multi-task networks: objective, gradients, invariances, estimator behaviour.

scikit-learn's estimator checks run on these estimators from
``test_estimator_checks.py``.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from skmtl import MultiTaskMLPClassifier, MultiTaskMLPRegressor
from skmtl._data import entry_weights
from skmtl.neural._heads import ClassificationHeads, RegressionHeads
from skmtl.neural._network import initialize
from skmtl.neural._objective import objective
from skmtl.neural._training import stratified_split

ACTIVATIONS = ["relu", "tanh", "logistic", "identity"]


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


def shared_regression(n=120, d=5, n_tasks=3, noise=0.1, seed=0, missing=0.3):
    """Tasks that are different linear read-outs of one nonlinear feature map."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    H = np.tanh(X @ rng.standard_normal((d, 4)))
    Y = H @ rng.standard_normal((4, n_tasks)) + noise * rng.standard_normal(
        (n, n_tasks)
    )
    Y[rng.random((n, n_tasks)) < missing] = np.nan
    Y[0] = 0.5  # every task observes a row
    return X, Y


def shared_labels(n=100, d=10, n_classes=(5, 3), seed=0, missing=0.2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    H = np.tanh(X @ rng.standard_normal((d, 6)))
    Y = np.empty((n, len(n_classes)), dtype=object)
    for t, K in enumerate(n_classes):
        Y[:, t] = np.argmax(H @ rng.standard_normal((6, K)), axis=1)
        Y[rng.random(n) < missing, t] = None
    return X, Y


def params_and_heads(kind, activation, seed=0, uncertainty=False):
    """A small network, heads with missing entries, sample and task weights."""
    rng = np.random.default_rng(seed)
    n, d = 30, 4
    X = rng.standard_normal((n, d))
    if kind == "regression":
        Y = rng.standard_normal((n, 3))
        mask = rng.random((n, 3)) > 0.3
        starts = np.arange(4)
    else:  # one multiclass, one binary, one multiclass task
        Y = np.column_stack([rng.integers(0, K, n) for K in (3, 2, 4)])
        mask = rng.random((n, 3)) > 0.3
        Y = np.where(mask, Y, -1)
        starts = np.array([0, 3, 4, 8])
    sample_weight = rng.uniform(0.2, 2.0, (n, 3))
    task_weights = np.array([1.0, 0.3, 2.0])
    weights = entry_weights(mask, sample_weight, task_weights, ["a", "b", "c"])
    heads = (
        RegressionHeads(np.where(mask, Y, 0.0), weights)
        if kind == "regression"
        else ClassificationHeads(Y, weights, starts)
    )
    params = initialize(
        (d, 5, 3), starts, activation, rng.standard_normal(starts[-1]),
        np.random.RandomState(seed),
    )
    for b in params.intercepts:
        b += 0.1 * rng.standard_normal(b.shape)
    if uncertainty:
        params.log_variances = rng.uniform(-1, 1, 3)
    data = dict(X=X, Y=Y, mask=mask, sample_weight=sample_weight,
                task_weights=task_weights, starts=starts)
    return params, heads, data


# --------------------------------------------------------------------------
# the objective: the docstring's formula, its gradient, mini-batch estimate
# --------------------------------------------------------------------------


def reference_objective(coefs, intercepts, X, data, kind, activation, alpha, eta=None):
    """The docstring's objective written out task by task, row by row."""
    g = {"relu": lambda a: np.maximum(a, 0), "tanh": np.tanh,
         "logistic": expit, "identity": lambda a: a}[activation]
    H = X
    for W, b in zip(coefs[:-1], intercepts[:-1], strict=True):
        H = g(H @ W + b)
    Z = H @ coefs[-1] + intercepts[-1]
    value = 0.0
    for t in range(data["mask"].shape[1]):
        z = Z[:, data["starts"][t] : data["starts"][t + 1]]
        rows = np.flatnonzero(data["mask"][:, t])
        s = data["sample_weight"][rows, t]
        y = data["Y"][rows, t]
        if kind == "regression":
            losses = 0.5 * (y - z[rows, 0]) ** 2
        elif z.shape[1] == 1:
            losses = np.log1p(np.exp(z[rows, 0])) - (y == 1) * z[rows, 0]
        else:
            losses = logsumexp(z[rows], axis=1) - z[rows, y.astype(int)]
        L_t = np.sum(s * losses) / np.sum(s)
        if eta is None:
            value += data["task_weights"][t] * L_t
        else:
            value += np.exp(-eta[t]) * L_t + eta[t] / 2
    return value + alpha / 2 * sum(np.sum(W**2) for W in coefs)


@pytest.mark.parametrize("kind", ["regression", "classification"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_objective_is_the_documented_formula(kind, activation):
    params, heads, data = params_and_heads(kind, activation)
    value = objective(params, data["X"], heads, activation, alpha=0.3)[0]
    expected = reference_objective(
        params.coefs, params.intercepts, data["X"], data, kind, activation, 0.3
    )
    assert_allclose(value, expected, rtol=1e-12)


@pytest.mark.parametrize("kind", ["regression", "classification"])
def test_uncertainty_objective_is_the_documented_formula(kind):
    params, heads, data = params_and_heads(kind, "tanh", uncertainty=True)
    data["task_weights"] = np.ones(3)  # the learned weights replace fixed ones
    heads.weights = entry_weights(
        data["mask"], data["sample_weight"], np.ones(3), "abc"
    )
    value = objective(params, data["X"], heads, "tanh", alpha=0.1)[0]
    expected = reference_objective(
        params.coefs, params.intercepts, data["X"], data, kind, "tanh", 0.1,
        eta=params.log_variances,
    )
    assert_allclose(value, expected, rtol=1e-12)


@pytest.mark.parametrize("uncertainty", [False, True])
@pytest.mark.parametrize("kind", ["regression", "classification"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_matches_finite_differences(kind, activation, uncertainty):
    params, heads, data = params_and_heads(kind, activation, seed=1,
                                           uncertainty=uncertainty)
    X, alpha = data["X"], 0.2

    def value(theta):
        return objective(params.from_flat(theta), X, heads, activation, alpha)[0]

    theta = params.flat()
    gradient = objective(params, X, heads, activation, alpha)[1].flat()
    step = 1e-6
    numeric = np.array([
        (value(theta + step * e) - value(theta - step * e)) / (2 * step)
        for e in np.eye(theta.size)
    ])
    assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", ["regression", "classification"])
def test_minibatch_objective_is_unbiased(kind):
    # over the n one-row batches of an epoch, the batch objectives average to
    # the full objective, and so do their gradients
    params, heads, data = params_and_heads(kind, "tanh", uncertainty=True)
    X, n = data["X"], data["X"].shape[0]
    full_value, full_grad, _ = objective(params, X, heads, "tanh", 0.1)
    values, grads = [], []
    for i in range(n):
        rows = np.array([i])
        v, g, _ = objective(params, X[rows], heads.subset(rows, n), "tanh", 0.1)
        values.append(v)
        grads.append(g.flat())
    assert_allclose(np.mean(values), full_value, rtol=1e-12)
    assert_allclose(np.mean(grads, axis=0), full_grad.flat(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("Estimator", [MultiTaskMLPRegressor, MultiTaskMLPClassifier])
def test_final_loss_is_the_objective_at_the_fitted_weights(Estimator):
    if Estimator is MultiTaskMLPRegressor:
        X, Y = shared_regression(n=60, n_tasks=2)
        kind, mask = "regression", ~np.isnan(Y)
        codes = np.where(mask, Y, 0.0)
        starts = np.arange(Y.shape[1] + 1)
    else:
        X, Y = shared_labels(n=60, d=5)
        kind, mask = "classification", Y != None  # noqa: E711
        codes = np.where(mask, Y, 0).astype(int)
        starts = np.array([0, 5, 8])
    rng = np.random.default_rng(3)
    sample_weight = rng.uniform(0.5, 2, Y.shape)
    model = Estimator((6,), activation="tanh", alpha=0.01, task_weights=[2.0, 0.5],
                      max_iter=50, random_state=0)
    model.fit(X, Y, sample_weight=sample_weight)
    data = dict(Y=codes, mask=mask, sample_weight=sample_weight,
                task_weights=np.array([2.0, 0.5]), starts=starts)
    coefs = [*model.coefs_, np.hstack(model.head_coefs_)]
    intercepts = [*model.intercepts_, np.concatenate(model.head_intercepts_)]
    expected = reference_objective(coefs, intercepts, X, data, kind, "tanh", 0.01)
    assert_allclose(model.best_loss_, expected, rtol=1e-10)
    assert model.loss_curve_[-1] == model.best_loss_


@pytest.mark.parametrize("fraction", [1.0, 0.6])
def test_no_hidden_layer_is_ridge_per_task(fraction):
    # without hidden layers every head is a ridge regression of its task on
    # its own rows: alpha/2 ||w||^2 + 1/(2 n_t) ||r||^2 is Ridge(n_t * alpha)
    X, Y = shared_regression(n=80, missing=1.0 - fraction)
    model = MultiTaskMLPRegressor((), alpha=0.05, tol=1e-10, max_iter=2000,
                                  random_state=0).fit(X, Y)
    for t in range(Y.shape[1]):
        rows = ~np.isnan(Y[:, t])
        ridge = Ridge(alpha=0.05 * rows.sum()).fit(X[rows], Y[rows, t])
        assert_allclose(model.head_coefs_[t][:, 0], ridge.coef_, atol=1e-7)
        assert_allclose(model.head_intercepts_[t][0], ridge.intercept_, atol=1e-7)


# --------------------------------------------------------------------------
# invariances
# --------------------------------------------------------------------------


SOLVERS = [
    dict(solver="lbfgs"),
    dict(solver="adam", batch_size=16, learning_rate_init=0.01),
    dict(solver="sgd", batch_size=16, learning_rate_init=0.01),
    dict(solver="adam", batch_size=16, early_stopping=True, validation_fraction=0.2),
]


def fitted_arrays(model):
    return [*model.coefs_, *model.intercepts_, *model.head_coefs_,
            *model.head_intercepts_]


@pytest.mark.parametrize("settings", SOLVERS)
def test_refit_is_bit_identical(settings):
    X, Y = shared_regression()
    model = MultiTaskMLPRegressor((8,), max_iter=30, random_state=5, **settings)
    first = [a.copy() for a in fitted_arrays(model.fit(X, Y))]
    curve = list(model.loss_curve_)
    second = fitted_arrays(model.fit(X, Y))
    for a, b in zip(first, second, strict=True):
        assert_array_equal(a, b)
    assert curve == model.loss_curve_
    other = MultiTaskMLPRegressor((8,), max_iter=30, random_state=6, **settings)
    assert not np.array_equal(fitted_arrays(other.fit(X, Y))[0], first[0])


def with_empty_rows(X, Y, n_extra, seed):
    """Insert rows whose targets are all missing at random positions."""
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    position = np.sort(rng.choice(n + n_extra, n_extra, replace=False))
    keep = np.setdiff1d(np.arange(n + n_extra), position)
    X_big = rng.standard_normal((n + n_extra, X.shape[1]))
    Y_big = np.full((n + n_extra, Y.shape[1]), np.nan, dtype=Y.dtype)
    if Y.dtype == object:
        Y_big[:] = None
    X_big[keep], Y_big[keep] = X, Y
    return X_big, Y_big


@pytest.mark.parametrize("settings", SOLVERS)
def test_rows_without_targets_change_nothing(settings):
    X, Y = shared_regression()
    X_big, Y_big = with_empty_rows(X, Y, 25, seed=1)
    kwargs = dict(max_iter=30, random_state=0, **settings)
    small = MultiTaskMLPRegressor((8,), **kwargs).fit(X, Y)
    big = MultiTaskMLPRegressor((8,), **kwargs).fit(X_big, Y_big)
    for a, b in zip(fitted_arrays(small), fitted_arrays(big), strict=True):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_rows_without_labels_change_nothing():
    X, Y = shared_labels()
    X_big, Y_big = with_empty_rows(X, Y, 20, seed=2)
    small = MultiTaskMLPClassifier((6,), max_iter=40, random_state=0).fit(X, Y)
    big = MultiTaskMLPClassifier((6,), max_iter=40, random_state=0).fit(X_big, Y_big)
    for a, b in zip(fitted_arrays(small), fitted_arrays(big), strict=True):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("settings", [dict(solver="lbfgs"),
                                      dict(solver="adam", batch_size=1000)])
def test_missing_entries_are_ignored(settings):
    # NaN entries fit exactly as arbitrary values with zero weight
    X, Y = shared_regression()
    missing = np.isnan(Y)
    garbage = np.where(missing, np.random.default_rng(0).normal(0, 100, Y.shape), Y)
    kwargs = dict(max_iter=40, random_state=0, **settings)
    with_nan = MultiTaskMLPRegressor((8,), **kwargs).fit(X, Y)
    zero_weight = MultiTaskMLPRegressor((8,), **kwargs).fit(
        X, garbage, sample_weight=(~missing).astype(float)
    )
    for a, b in zip(fitted_arrays(with_nan), fitted_arrays(zero_weight), strict=True):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_integer_sample_weight_is_repetition():
    X, Y = shared_regression(n=40)
    weights = np.random.default_rng(0).integers(0, 4, X.shape[0])
    weights[0] = 1
    kwargs = dict(activation="tanh", alpha=0.05, tol=1e-10, max_iter=1000,
                  random_state=0)
    weighted = MultiTaskMLPRegressor((5,), **kwargs).fit(X, Y, sample_weight=weights)
    repeated = MultiTaskMLPRegressor((5,), **kwargs).fit(
        np.repeat(X, weights, axis=0), np.repeat(Y, weights, axis=0)
    )
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------
# classifiers
# --------------------------------------------------------------------------


def test_five_and_three_class_tasks_share_one_hidden_layer():
    X, Y = shared_labels(n=100, d=10, n_classes=(5, 3))
    model = MultiTaskMLPClassifier((10,), random_state=0).fit(X, Y)
    assert [W.shape for W in model.coefs_] == [(10, 10)]
    assert [V.shape for V in model.head_coefs_] == [(10, 5), (10, 3)]
    assert [b.shape for b in model.head_intercepts_] == [(5,), (3,)]
    proba = model.predict_proba(X)
    assert [p.shape for p in proba] == [(100, 5), (100, 3)]
    predicted = model.predict(X)
    assert predicted.shape == (100, 2)
    for t, p in enumerate(proba):
        assert_allclose(p.sum(axis=1), 1.0)
        assert_array_equal(model.classes_[t][p.argmax(axis=1)], predicted[:, t])
        observed = Y[:, t] != None  # noqa: E711
        labels = Y[observed, t].astype(int)
        accuracy = np.mean(predicted[observed, t] == labels)
        majority = np.bincount(labels).max() / labels.size
        assert accuracy > majority
    assert np.all(np.isfinite(model.loss_curve_))


def test_string_and_numeric_labels_per_task():
    X, Y = shared_labels(n=90, d=4, n_classes=(3, 2, 2))
    missing = Y == None  # noqa: E711
    names = np.array(["cat", "dog", "eel"], dtype=object)
    Y[:, 0] = np.where(missing[:, 0], None, names[np.where(missing[:, 0], 0, Y[:, 0])
                                                  .astype(int)])
    Y[:, 1] = np.where(missing[:, 1], None, np.where(Y[:, 1] == 1, "yes", "no"))
    model = MultiTaskMLPClassifier((8,), random_state=0).fit(X, Y)
    assert list(model.classes_[0]) == ["cat", "dog", "eel"]
    assert list(model.classes_[1]) == ["no", "yes"]
    assert list(model.classes_[2]) == [0, 1]
    predicted = model.predict(X)
    assert predicted.dtype == object
    for t in range(3):
        assert set(predicted[:, t]) <= set(model.classes_[t])
    assert [p.shape[1] for p in model.predict_proba(X)] == [3, 2, 2]
    assert 0.0 <= model.score(X, Y) <= 1.0


@pytest.mark.parametrize("Estimator", [MultiTaskMLPRegressor, MultiTaskMLPClassifier])
def test_one_dimensional_y_is_one_column(Estimator):
    X, Y = shared_regression(n=60, missing=0.0)
    y = Y[:, 0] if Estimator is MultiTaskMLPRegressor else (Y[:, 0] > 0).astype(int)
    one_d = Estimator((6,), max_iter=50, random_state=0).fit(X, y)
    two_d = Estimator((6,), max_iter=50, random_state=0).fit(X, y[:, None])
    assert one_d.predict(X).shape == (60,)
    assert two_d.predict(X).shape == (60, 1)
    assert_array_equal(one_d.predict(X), two_d.predict(X)[:, 0])
    if Estimator is MultiTaskMLPClassifier:
        assert one_d.predict_proba(X).shape == (60, 2)
        assert_array_equal(one_d.classes_, [0, 1])
        assert_array_equal(one_d.predict_proba(X), two_d.predict_proba(X)[0])


# --------------------------------------------------------------------------
# fitting options
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_warm_start_continues_from_the_previous_fit(solver):
    X, Y = shared_regression()
    model = MultiTaskMLPRegressor((8,), solver=solver, max_iter=20, warm_start=True,
                                  learning_rate_init=0.01, random_state=0)
    model.fit(X, Y)
    end_of_first = model.loss_curve_[-1]
    first_start = model.loss_curve_[0]
    model.fit(X, Y)
    # the second fit starts where the first ended, far below a fresh start
    assert model.loss_curve_[0] < first_start
    assert model.loss_curve_[0] <= end_of_first * 1.05
    cold = MultiTaskMLPRegressor((8,), solver=solver, max_iter=20,
                                 learning_rate_init=0.01, random_state=0).fit(X, Y)
    assert cold.loss_curve_[0] == first_start
    model.set_params(hidden_layer_sizes=(4,)).fit(X, Y)  # new shapes: fresh start
    assert model.coefs_[0].shape == (5, 4)


@pytest.mark.parametrize("seed", range(5))
def test_validation_split_keeps_every_task_in_both_parts(seed):
    rng = np.random.default_rng(seed)
    n = 300
    mask = np.zeros((n, 4), dtype=bool)
    mask[:, 0] = True  # main task everywhere
    mask[rng.choice(n, 12, replace=False), 1] = True  # small task
    mask[rng.choice(n, 2, replace=False), 2] = True  # two rows only
    mask[rng.choice(n, 40, replace=False), 3] = True
    mask[:, 0] &= rng.random(n) > 0.5
    train, held_out = stratified_split(mask, 0.1, np.random.default_rng(seed), "abcd")
    assert np.intersect1d(train, held_out).size == 0
    assert_array_equal(np.union1d(train, held_out), np.arange(n))
    assert mask[train].any(axis=0).all()
    assert mask[held_out].any(axis=0).all()
    assert held_out.size < 0.2 * n


def test_early_stopping_fit():
    X, Y = shared_regression(n=200)
    Y[:, 2] = np.nan
    Y[:6, 2] = np.arange(6.0)  # a task with 6 rows
    model = MultiTaskMLPRegressor((8,), solver="adam", early_stopping=True,
                                  learning_rate_init=0.01, random_state=0).fit(X, Y)
    assert len(model.validation_scores_) == model.n_iter_ == len(model.loss_curve_)
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_loss_ is None
    assert np.all(np.isfinite(model.predict(X)))
    one_row = Y.copy()
    one_row[1:, 2] = np.nan
    with pytest.raises(ValueError, match="task 'task_2'.*has 1"):
        model.fit(X, one_row)


def test_uncertainty_weighting_favours_the_low_noise_task():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    signal = np.sin(X[:, 0]) + X[:, 1]
    Y = np.column_stack([signal + 0.1 * rng.standard_normal(300),
                         signal + 1.0 * rng.standard_normal(300)])
    model = MultiTaskMLPRegressor((10,), task_weights="uncertainty", alpha=1e-3,
                                  tol=1e-8, max_iter=3000, random_state=0).fit(X, Y)
    assert model.task_weights_[0] > model.task_weights_[1]
    assert_allclose(model.task_weights_, np.exp(-model.log_variances_))
    # stationarity in eta_t: exp(eta_t) = 2 L_t, the training mean squared error
    mse = np.mean((model.predict(X) - Y) ** 2, axis=0)
    assert_allclose(np.exp(model.log_variances_), mse, rtol=1e-3)
    fixed = MultiTaskMLPRegressor((10,), max_iter=20, random_state=0).fit(X, Y)
    assert_array_equal(fixed.task_weights_, [1.0, 1.0])
    assert not hasattr(fixed, "log_variances_")


def test_uncertainty_weighting_classifier_and_minibatches():
    X, Y = shared_labels(n=120, d=5)
    model = MultiTaskMLPClassifier((8,), solver="adam", batch_size=32,
                                   task_weights="uncertainty", max_iter=50,
                                   learning_rate_init=0.01, random_state=0).fit(X, Y)
    assert model.task_weights_.shape == (2,)
    assert np.all(np.abs(model.log_variances_) <= 10)
    assert np.all(np.isfinite(model.task_weights_))


@pytest.mark.parametrize("Estimator", [MultiTaskMLPRegressor, MultiTaskMLPClassifier])
def test_pickle_round_trip(Estimator):
    regression = Estimator is MultiTaskMLPRegressor
    X, Y = shared_regression() if regression else shared_labels()
    model = Estimator((6,), max_iter=30, random_state=0).fit(X, Y)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(model.predict(X), restored.predict(X))
    if Estimator is MultiTaskMLPClassifier:
        for a, b in zip(model.predict_proba(X), restored.predict_proba(X), strict=True):
            assert_array_equal(a, b)
    assert restored.score(X, Y) == model.score(X, Y)


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(hidden_layer_sizes=(10, 0)), "hidden_layer_sizes"),
        (dict(hidden_layer_sizes=(10, 2.5)), "hidden_layer_sizes"),
        (dict(hidden_layer_sizes="ten"), "hidden_layer_sizes"),
        (dict(activation="softplus"), "activation"),
        (dict(solver="newton"), "solver"),
        (dict(alpha=-1.0), "alpha"),
        (dict(batch_size=0), "batch_size"),
        (dict(learning_rate_init=0.0), "learning_rate_init"),
        (dict(momentum=1.0), "momentum"),
        (dict(validation_fraction=1.0), "validation_fraction"),
        (dict(max_iter=0), "max_iter"),
        (dict(task_weights="learned"), "task_weights"),
        (dict(task_weights=[1.0, 2.0]), r"task_weights has shape \(2,\)"),
        (dict(task_weights=[1.0, -1.0, 1.0]), "task 'task_1'"),
    ],
)
def test_bad_parameters_name_the_culprit(params, match):
    X, Y = shared_regression(n=30)
    with pytest.raises(ValueError, match=match):
        MultiTaskMLPRegressor(**params).fit(X, Y)


def test_bad_targets_name_the_task():
    X, Y = shared_regression(n=30)
    Y[:, 1] = np.nan
    with pytest.raises(ValueError, match="task_1"):
        MultiTaskMLPRegressor().fit(X, Y)
    labels = np.column_stack([np.arange(30) % 3, np.ones(30)])
    with pytest.raises(ValueError, match="task_1.*only one class"):
        MultiTaskMLPClassifier().fit(X, labels)


def test_diverging_steps_raise_instead_of_returning_nan():
    X, Y = shared_regression(n=60)
    model = MultiTaskMLPRegressor((8,), solver="sgd", learning_rate_init=10.0,
                                  random_state=0)
    with pytest.raises(ValueError, match="learning_rate_init"):
        model.fit(X, 1e3 * Y)


# --------------------------------------------------------------------------
# optimality and input formats
# --------------------------------------------------------------------------


def objective_gradient_at_fit(model, X, Y, task_weights):
    """Gradient of the fixed-weight objective at the fitted weights."""
    mask = ~np.isnan(Y)
    weights = entry_weights(mask, None, np.asarray(task_weights, float), "abc")
    heads = RegressionHeads(np.where(mask, Y, 0.0), weights)
    params = model._fitted_parameters()
    return objective(params, X, heads, model.activation, model.alpha)[1].flat()


def test_lbfgs_returns_a_stationary_point():
    X, Y = shared_regression(n=80)
    model = MultiTaskMLPRegressor((6,), activation="tanh", alpha=0.01,
                                  task_weights=[1.0, 0.5, 2.0], tol=1e-7,
                                  max_iter=5000, n_iter_no_change=5000,
                                  random_state=0).fit(X, Y)  # gradient rule only
    gradient = objective_gradient_at_fit(model, X, Y, [1.0, 0.5, 2.0])
    assert np.max(np.abs(gradient)) <= 1e-6


def test_uncertainty_fit_is_stationary_for_its_learned_weights():
    # with eta fixed, the uncertainty objective is the fixed-weight objective
    # with c_t = exp(-eta_t): the fitted weights must be stationary for it
    X, Y = shared_regression(n=80)
    model = MultiTaskMLPRegressor((6,), activation="tanh", alpha=0.01,
                                  task_weights="uncertainty", tol=1e-7,
                                  max_iter=5000, n_iter_no_change=5000,
                                  random_state=0).fit(X, Y)  # gradient rule only
    gradient = objective_gradient_at_fit(model, X, Y, model.task_weights_)
    assert np.max(np.abs(gradient)) <= 1e-6 * max(1.0, model.task_weights_.max())


def _standardised_problem(classification, seed=0):
    """A generated multi-task problem, X and (regression) Y standardised."""
    from sklearn.preprocessing import StandardScaler

    from skmtl.datasets import make_multitask_classification, make_multitask_regression

    make = make_multitask_regression
    if classification:
        make = make_multitask_classification
    X, Y = make(n_samples=200, n_tasks=3, n_features=8, random_state=seed)[:2]
    X = StandardScaler().fit_transform(X)
    if not classification:
        Y = (Y - np.nanmean(Y, axis=0)) / np.nanstd(Y, axis=0)
    return X, Y


@pytest.mark.parametrize("Estimator", [MultiTaskMLPRegressor, MultiTaskMLPClassifier])
def test_default_instance_converges_on_standardised_data(Estimator):
    """The default network stops on a rule before max_iter: no warning."""
    X, Y = _standardised_problem(Estimator is MultiTaskMLPClassifier)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = Estimator(random_state=0).fit(X, Y)
    assert model.n_iter_ < model.max_iter


def test_lbfgs_plateau_rule_is_the_documented_one():
    """Stopped on the plateau: the last n_iter_no_change iterations decreased
    the objective by at most tol * max(1, |f|), no earlier window did, and
    the reported loss is the objective at the returned weights."""
    X, Y = shared_regression(n=80)
    tw = [1.0, 0.5, 2.0]
    model = MultiTaskMLPRegressor((6,), activation="tanh", alpha=0.01, task_weights=tw,
                                  tol=1e-4, n_iter_no_change=5, max_iter=5000,
                                  random_state=0).fit(X, Y)
    f, k = np.array(model.loss_curve_), 5
    assert model.n_iter_ == f.size < model.max_iter
    gradient = objective_gradient_at_fit(model, X, Y, tw)
    assert np.max(np.abs(gradient)) > model.tol  # not the gradient rule
    decrease = f[:-k] - f[k:]
    allowed = model.tol * np.maximum(1.0, np.abs(f[k:]))
    assert decrease[-1] <= allowed[-1]
    assert np.all(decrease[:-1] > allowed[:-1])
    mask = ~np.isnan(Y)
    heads = RegressionHeads(np.where(mask, Y, 0.0),
                            entry_weights(mask, None, np.asarray(tw), "abc"))
    value = objective(model._fitted_parameters(), X, heads, "tanh", 0.01)[0]
    assert_allclose(model.best_loss_, value, rtol=1e-12)


@pytest.mark.parametrize("Estimator", [MultiTaskMLPRegressor, MultiTaskMLPClassifier])
def test_sparse_X_fits_as_dense(Estimator):
    import scipy.sparse as sp

    regression = Estimator is MultiTaskMLPRegressor
    X, Y = shared_regression() if regression else shared_labels()
    X = np.where(np.abs(X) > 0.7, X, 0.0)
    dense = Estimator((6,), activation="tanh", max_iter=40, random_state=0).fit(X, Y)
    sparse = Estimator((6,), activation="tanh", max_iter=40, random_state=0).fit(
        sp.csr_matrix(X), Y
    )
    for a, b in zip(fitted_arrays(dense), fitted_arrays(sparse), strict=True):
        assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_classifier_early_stopping_scores_accuracy():
    X, Y = shared_labels(n=200, d=5)
    model = MultiTaskMLPClassifier((8,), solver="adam", early_stopping=True,
                                   learning_rate_init=0.01, random_state=0).fit(X, Y)
    scores = np.asarray(model.validation_scores_)
    assert np.all((scores >= 0) & (scores <= 1))
    assert model.best_validation_score_ == scores.max()


def test_float32_input_and_verbose(capsys):
    X, Y = shared_regression(n=40)
    model = MultiTaskMLPRegressor((4,), max_iter=3, verbose=1, random_state=0)
    X32 = X.astype(np.float32)
    model.fit(X32, Y)
    assert "Iteration 1, loss = " in capsys.readouterr().out
    as_float64 = MultiTaskMLPRegressor((4,), max_iter=3, random_state=0)
    assert_array_equal(model.predict(X32), as_float64.fit(X32.astype(float), Y)
                       .predict(X32.astype(float)))


@pytest.mark.parametrize("batch_size", [10, 40])
def test_one_sgd_epoch_follows_the_unbiased_batch_gradients(batch_size):
    # with a tiny step, one epoch of plain SGD moves the weights by -lr times
    # the sum over its n / |B| batches of the batch objectives' gradients,
    # which is n / |B| times the full objective's gradient
    X, Y = shared_regression(n=40)
    Y[np.isnan(Y).all(axis=1), 0] = 0.0  # keep all 40 rows: equal batches
    model = MultiTaskMLPRegressor((5,), activation="tanh", max_iter=3,
                                  task_weights=[1.0, 0.5, 2.0], random_state=0)
    model.fit(X, Y)
    start = model._fitted_parameters().flat()
    gradient = objective_gradient_at_fit(model, X, Y, [1.0, 0.5, 2.0])
    rate = 1e-7
    model.set_params(solver="sgd", momentum=0.0, learning_rate_init=rate,
                     batch_size=batch_size, max_iter=1, warm_start=True).fit(X, Y)
    step = (model._fitted_parameters().flat() - start) / rate
    assert_allclose(step, -(40 / batch_size) * gradient, rtol=1e-4, atol=1e-6)


def test_held_out_targets_take_no_part_in_the_fit():
    # changing the targets of the validation rows changes the validation
    # scores only: the training objective per epoch is the same
    X, Y = shared_regression(n=150)
    Y[np.isnan(Y).all(axis=1), 0] = 0.0
    names = np.array(["task_0", "task_1", "task_2"], dtype=object)
    _, held_out = stratified_split(~np.isnan(Y), 0.2, np.random.RandomState(0), names)
    changed = Y.copy()
    changed[held_out] += 5.0
    kwargs = dict(solver="adam", early_stopping=True, validation_fraction=0.2,
                  learning_rate_init=0.01, batch_size=32, random_state=0)
    first = MultiTaskMLPRegressor((6,), **kwargs).fit(X, Y)
    second = MultiTaskMLPRegressor((6,), **kwargs).fit(X, changed)
    k = min(len(first.loss_curve_), len(second.loss_curve_))
    assert first.loss_curve_[:k] == second.loss_curve_[:k]
    assert first.validation_scores_[:k] != second.validation_scores_[:k]
