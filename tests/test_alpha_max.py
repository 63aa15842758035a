"""alpha_max: the smallest sparsity strength that zeroes every coefficient."""

import numpy as np
import pytest

from skmtl import (
    MeanRegularizedRegressor,
    TaskGraphClassifier,
    TaskGraphRegressor,
    TaskRelationRegressor,
    TraceNormRegressor,
    alpha_max,
)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 8))
    Y = X[:, :3] @ rng.standard_normal((3, 4)) + 0.3 * rng.standard_normal((60, 4))
    Y[rng.random(Y.shape) < 0.2] = np.nan
    return X, Y


@pytest.mark.parametrize(
    "make, parameter",
    [
        (lambda s: TaskGraphRegressor(alpha=0.5, l1=s, tol=1e-10), "l1"),
        (lambda s: TraceNormRegressor(alpha=s, tol=1e-10), "alpha"),
    ],
)
def test_threshold_is_sharp(make, parameter):
    X, Y = _data()
    top = alpha_max(make(1.0), X, Y)
    assert np.all(make(top * 1.0001).fit(X, Y).coef_ == 0)
    assert np.any(make(top * 0.99).fit(X, Y).coef_ != 0)


def test_task_graph_classifier_uses_l1():
    X, Y = _data(1)
    Yc = np.where(np.isnan(Y), np.nan, (Y > np.nanmedian(Y, axis=0)).astype(float))
    top = alpha_max(TaskGraphClassifier(alpha=0.1), X, Yc)
    model = TaskGraphClassifier(alpha=0.1, l1=top * 1.0001).fit(X, Yc)
    assert np.all(model.coef_ == 0)


@pytest.mark.parametrize("Estimator", [MeanRegularizedRegressor, TaskRelationRegressor])
def test_undefined_without_sparsity_penalty(Estimator):
    X, Y = _data()
    with pytest.raises(ValueError, match="alpha_max is not defined"):
        alpha_max(Estimator(), X, Y)


@pytest.mark.parametrize("l1", [0.0, 0.02])
@pytest.mark.parametrize("side", ["regressor", "classifier"])
def test_task_graph_l21_threshold(side, l1):
    """param="l21": the smallest l21 zeroing W at the given l1. The graph adds
    nothing to the gradient at zero, so with l1 = 0 it is the plain L2,1
    model's threshold."""
    from skmtl import L21Classifier, L21Regressor

    X, Y = _data(2)
    if side == "classifier":
        Y = np.where(np.isnan(Y), np.nan, (Y > np.nanmedian(Y, axis=0)).astype(float))
        Model, Plain = TaskGraphClassifier, L21Classifier
    else:
        Model, Plain = TaskGraphRegressor, L21Regressor
    graph = np.ones((4, 4)) - np.eye(4)
    make = lambda s: Model(graph=graph, alpha=0.3, l1=l1, l21=s, tol=1e-10)  # noqa: E731
    top = alpha_max(make(1.0), X, Y, param="l21")
    assert np.all(make(top * 1.0001).fit(X, Y).coef_ == 0)
    assert np.any(make(top * 0.99).fit(X, Y).coef_ != 0)
    if l1 == 0:
        assert top == pytest.approx(alpha_max(Plain(), X, Y), rel=1e-12)
    # l1 still defaults, and at this l21 it is the smallest l1 zeroing W
    l1_top = alpha_max(make(top / 2), X, Y)
    assert l1_top < alpha_max(make(0.0), X, Y)
    model = Model(graph=graph, alpha=0.3, l1=l1_top * 1.0001, l21=top / 2, tol=1e-10)
    assert np.all(model.fit(X, Y).coef_ == 0)
