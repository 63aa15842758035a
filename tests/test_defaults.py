"""Defaults that learn, and strengths relative to the data (``"auto"``).

Every public estimator with its default parameters must beat predicting the
training mean (R² > 0.1 and above the mean's R²) or the training majority
class (higher accuracy) on held-out rows of a standardised problem with
signal, with one task and with several. The networks get ``random_state=0``
so that the test does not depend on luck.

``alpha="auto"`` is ``0.1 * alpha_max`` of the training data: the fit equals
the fit at that number, and scaling the targets scales the solution (which
no fixed strength does).
"""

import inspect

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression, Ridge

import skmtl
from skmtl.estimators._defaults import AUTO_FRACTION

N_TRAIN, N_TEST, D = 100, 300, 10


def public_classes():
    return [
        obj for name in skmtl.__all__
        if inspect.isclass(obj := getattr(skmtl, name)) and hasattr(obj, "fit")
        and not name.endswith("CV")  # the *CV searches: tests/test_cv.py
    ]


def default_instance(cls, classification):
    if cls in (skmtl.SingleTaskBaseline, skmtl.PooledBaseline):
        return cls(LogisticRegression() if classification else Ridge())
    if "random_state" in cls().get_params():
        return cls(random_state=0)
    return cls()


def is_classifier_class(cls):
    return "Classifier" in cls.__name__


def standardised_problem(n_tasks, classification, seed=0):
    """Standard normal X; 4 of 10 features carry related task weights; the
    targets (noise at half the signal's scale) standardised on the train rows."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_TRAIN + N_TEST, D))
    W = np.zeros((D, n_tasks))
    W[:4] = rng.standard_normal((4, 1)) + 0.5 * rng.standard_normal((4, n_tasks))
    Z = X @ W
    Y = Z + 0.5 * Z.std(axis=0) * rng.standard_normal(Z.shape)
    Y = (Y - Y[:N_TRAIN].mean(axis=0)) / Y[:N_TRAIN].std(axis=0)
    if classification:
        Y = (Y > 0).astype(int)
    if n_tasks == 1:
        Y = Y[:, 0]
    return X[:N_TRAIN], Y[:N_TRAIN], X[N_TRAIN:], Y[N_TRAIN:]


def cases():
    for cls in public_classes():
        kinds = (False, True) if "Baseline" in cls.__name__ else (
            is_classifier_class(cls),)
        for classification in kinds:
            for n_tasks in (1, 4):
                kind = "clf" if classification else "reg"
                yield pytest.param(
                    cls, classification, n_tasks,
                    id=f"{cls.__name__}-{kind}-{n_tasks}task",
                )


@pytest.mark.parametrize("cls, classification, n_tasks", list(cases()))
def test_default_instance_learns(cls, classification, n_tasks):
    X, Y, X_test, Y_test = standardised_problem(n_tasks, classification)
    model = default_instance(cls, classification).fit(X, Y)
    score = model.score(X_test, Y_test)
    Y2, Y2_test = Y.reshape(N_TRAIN, -1), Y_test.reshape(N_TEST, -1)
    if classification:
        majority = [np.bincount(Y2[:, t]).argmax() for t in range(n_tasks)]
        baseline = np.mean(
            [np.mean(Y2_test[:, t] == m) for t, m in enumerate(majority)]
        )
        assert score > baseline + 0.05, (score, baseline)
    else:
        mean = Y2.mean(axis=0)
        residual = ((Y2_test - mean) ** 2).sum(axis=0)
        total = ((Y2_test - Y2_test.mean(axis=0)) ** 2).sum(axis=0)
        baseline = np.mean(1 - residual / total)
        assert score > max(0.1, baseline), (score, baseline)


AUTO = [
    (skmtl.L21Regressor, "alpha", False),
    (skmtl.TraceNormRegressor, "alpha", False),
    (skmtl.TaskGraphRegressor, "l1", False),
    (skmtl.L21Classifier, "alpha", True),
    (skmtl.TraceNormClassifier, "alpha", True),
    (skmtl.TaskGraphClassifier, "l1", True),
]


@pytest.mark.parametrize("cls, parameter, classification", AUTO)
def test_auto_is_a_fraction_of_alpha_max(cls, parameter, classification):
    X, Y, _, _ = standardised_problem(3, classification, seed=1)
    tight = dict(tol=1e-10)
    auto = cls(**{parameter: "auto"}, **tight).fit(X, Y)
    expected = AUTO_FRACTION * skmtl.alpha_max(cls(), X, Y)
    assert getattr(auto, f"{parameter}_") == pytest.approx(expected, rel=1e-12)
    explicit = cls(**{parameter: expected}, **tight).fit(X, Y)
    assert_allclose(auto.coef_, explicit.coef_, rtol=1e-10, atol=1e-12)
    assert getattr(explicit, f"{parameter}_") == expected
    assert np.any(auto.coef_ != 0)  # below alpha_max: something is learned
    assert auto.get_params()[parameter] == "auto"  # the parameter is untouched


@pytest.mark.parametrize("cls", [skmtl.L21Regressor, skmtl.TraceNormRegressor])
def test_auto_follows_the_scale_of_the_targets(cls):
    """alpha_max is linear in Y, so with "auto" the solution for c Y is c times
    the solution for Y; with a fixed alpha it is not."""
    X, Y, _, _ = standardised_problem(3, False, seed=2)
    c = 7.0
    base = cls(tol=1e-12).fit(X, Y)
    scaled = cls(tol=1e-12).fit(X, c * Y)
    assert scaled.alpha_ == pytest.approx(c * base.alpha_, rel=1e-12)
    assert_allclose(scaled.coef_, c * base.coef_, rtol=1e-6, atol=1e-9)
    fixed = cls(alpha=base.alpha_, tol=1e-12).fit(X, c * Y)
    assert not np.allclose(fixed.coef_, c * base.coef_, rtol=1e-3)


def test_trace_norm_classifier_default_is_not_zero():
    """The issue's symptom: the former alpha=1.0 was above alpha_max (~0.6)."""
    X, Y, _, _ = standardised_problem(4, True, seed=3)
    model = skmtl.TraceNormClassifier().fit(X, Y)
    assert skmtl.alpha_max(skmtl.TraceNormClassifier(), X, Y) < 1.0
    assert model.rank_ >= 1
