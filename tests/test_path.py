"""The task-graph path reuses one decomposition and equals separate fits."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skmtl import MeanRegularizedRegressor, TaskGraphRegressor
from skmtl.estimators import task_graph_path


@pytest.mark.parametrize("missing", [0.0, 0.3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_path_equals_separate_fits(missing, fit_intercept):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    Y = X @ rng.standard_normal((6, 4)) + 0.1 * rng.standard_normal((40, 4))
    Y[rng.random(Y.shape) < missing] = np.nan
    A = np.abs(rng.standard_normal((4, 4)))
    A = A + A.T
    alphas = [0.01, 0.1, 1.0, 10.0]
    coefs, intercepts = task_graph_path(
        X, Y, alphas, graph=A, ridge=0.01, fit_intercept=fit_intercept, tol=1e-12
    )
    for k, alpha in enumerate(alphas):
        model = TaskGraphRegressor(
            graph=A, alpha=alpha, ridge=0.01, fit_intercept=fit_intercept, tol=1e-12
        ).fit(X, Y)
        assert_allclose(coefs[k], model.coef_, rtol=1e-8, atol=1e-10)
        assert_allclose(intercepts[k], np.atleast_1d(model.intercept_), atol=1e-10)


def test_default_graph_path_is_mean_regularized():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 5))
    Y = X @ rng.standard_normal((5, 3))
    coefs, _ = task_graph_path(X, Y, [0.5], tol=1e-12)
    model = MeanRegularizedRegressor(alpha=0.5, tol=1e-12).fit(X, Y)
    assert_allclose(coefs[0], model.coef_, rtol=1e-8, atol=1e-12)
