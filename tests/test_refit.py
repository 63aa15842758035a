"""Every fitted attribute is set afresh by each fit.

Fit with one configuration (parameters and data), refit the same instance
with another, and compare with a fresh fit of the second configuration: the
same fitted attributes (names ending in ``_``), with identical values. A
value left over from the first fit (``dual_gap_`` after a refit without a
gap, ``classes_`` after a regressor refit, ``log_variances_``, ...) fails.
"""

import inspect

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression, Ridge

import skmtl
from skmtl.estimators._base import _MultiTaskLinearModel

RNG = np.random.default_rng(3)
X = RNG.standard_normal((40, 4))
FRAME = pd.DataFrame(X, columns=["a", "b", "c", "d"])
Y3 = X[:, :3] @ RNG.standard_normal((3, 3)) + 0.3 * RNG.standard_normal((40, 3))
Y3[::5, 1] = np.nan
Y1 = X @ RNG.standard_normal(4)
LABELS3 = np.column_stack([
    np.digitize(X[:, 0], [-0.4, 0.4]),  # three classes
    (X[:, 1] > 0).astype(int),
    (X[:, 0] + X[:, 2] > 0).astype(int),
])
LABELS1 = (X[:, 1] - X[:, 3] > 0).astype(int)
SAME_LABELS = (X[:, :3] + 0.5 * RNG.standard_normal((40, 3)) > 0).astype(int)

MLP = dict(hidden_layer_sizes=(3,), max_iter=30, random_state=0)

# (estimator, first (params, X, y), second (params, X, y))
CASES = {
    "L21Regressor": (skmtl.L21Regressor(),
                     ({"alpha": 0.1}, FRAME, Y3), ({"alpha": 0.0}, X, Y1)),
    "TraceNormRegressor": (skmtl.TraceNormRegressor(),
                           ({}, FRAME, Y3), ({"alpha": 0.0}, X, Y1)),
    "MeanRegularizedRegressor": (skmtl.MeanRegularizedRegressor(),
                                 ({}, FRAME, Y3), ({"alpha": 0.0}, X, Y1)),
    "TaskGraphRegressor": (skmtl.TaskGraphRegressor(),
                           ({"l1": "auto"}, FRAME, Y3), ({"l1": 0.0}, X, Y1)),
    "TaskRelationRegressor": (skmtl.TaskRelationRegressor(),
                              ({"alpha": 0.1}, FRAME, Y3), ({"alpha": 0.0}, X, Y1)),
    "L21Classifier": (skmtl.L21Classifier(),
                      ({"class_weight": "balanced"}, FRAME, LABELS3),
                      ({"alpha": 0.01}, X, LABELS1)),
    "TraceNormClassifier": (skmtl.TraceNormClassifier(),
                            ({}, FRAME, LABELS3), ({"alpha": 0.0}, X, LABELS1)),
    "MeanRegularizedClassifier": (skmtl.MeanRegularizedClassifier(),
                                  ({}, FRAME, SAME_LABELS),
                                  ({"alpha": 0.5}, X, LABELS1)),
    "TaskGraphClassifier": (skmtl.TaskGraphClassifier(),
                            ({"l1": 0.01}, FRAME, SAME_LABELS),
                            ({"l1": 0.0}, X, LABELS1)),
    "TaskRelationClassifier": (skmtl.TaskRelationClassifier(),
                               ({}, FRAME, SAME_LABELS),
                               ({"alpha": 0.0}, X, LABELS1)),
    "MultiTaskMLPRegressor": (
        skmtl.MultiTaskMLPRegressor(**MLP),
        ({"task_weights": "uncertainty", "solver": "adam", "early_stopping": True},
         FRAME, Y3),
        ({"task_weights": None, "solver": "lbfgs", "early_stopping": False}, X, Y1)),
    "MultiTaskMLPClassifier": (
        skmtl.MultiTaskMLPClassifier(**MLP),
        ({"task_weights": "uncertainty", "solver": "adam", "early_stopping": True,
          "class_weight": "balanced"}, FRAME, LABELS3),
        ({"task_weights": None, "solver": "lbfgs", "early_stopping": False,
          "class_weight": None}, X, LABELS1)),
    "SingleTaskBaseline": (skmtl.SingleTaskBaseline(LogisticRegression()),
                           ({}, FRAME, LABELS3),
                           ({"estimator": Ridge()}, X, Y1)),
    "PooledBaseline": (skmtl.PooledBaseline(LogisticRegression()),
                       ({}, FRAME, LABELS3),
                       ({"estimator": Ridge()}, X, Y1)),
}


# every other public linear model: its defaults, then its sparsity strengths "auto"
for _name in skmtl.__all__:
    _cls = getattr(skmtl, _name)
    if (inspect.isclass(_cls) and issubclass(_cls, _MultiTaskLinearModel)
            and not _name.endswith("CV") and _name not in CASES):
        _first = SAME_LABELS if "Classifier" in _name else Y3
        _second = LABELS1 if "Classifier" in _name else Y1
        _auto = dict.fromkeys(_cls._sparsity_parameters, "auto")
        CASES[_name] = (_cls(), ({}, FRAME, _first), (_auto, X, _second))


def fitted_attributes(est):
    return {k: v for k, v in vars(est).items() if k.endswith("_") and not
            k.startswith("_")}


def assert_same(a, b, where):
    """Identical values, recursively (arrays bit for bit, NaN equal to NaN)."""
    if isinstance(a, BaseEstimator):
        assert type(a) is type(b), where
        assert a.get_params() == b.get_params(), where
        assert_same(fitted_attributes(a), fitted_attributes(b), where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{k}]")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, float):
        assert isinstance(b, float) and (a == b or (a != a and b != b)), where
    else:
        assert a == b, where


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", list(CASES))
def test_refit_sets_every_attribute_afresh(name):
    template, (params_a, X_a, y_a), (params_b, X_b, y_b) = CASES[name]
    refitted = clone(template).set_params(**params_a).fit(X_a, y_a)
    refitted.set_params(**params_b).fit(X_b, y_b)
    fresh = clone(template).set_params(**params_a).set_params(**params_b)
    fresh.fit(X_b, y_b)
    expected = fitted_attributes(fresh)
    assert set(fitted_attributes(refitted)) == set(expected), (
        f"left over: {sorted(set(fitted_attributes(refitted)) - set(expected))}"
    )
    assert_same(fitted_attributes(refitted), expected, name)
