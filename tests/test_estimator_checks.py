"""scikit-learn's estimator checks over every public estimator.

First the **default** instance of every estimator in ``skmtl.__all__`` (the
baselines, which have no default inner model, around ``Ridge()`` and
``LogisticRegression()``): the defaults must pass as they are. Then the
configurations the defaults do not reach: no intercept with a ridge, the
entrywise L1 term of the task-graph models (solved by working sets), and the
networks with a smooth activation and with the mini-batch solver.

The only expected failure is ``check_classifier_multioutput`` (reason
below); nothing else may fail.
"""

import inspect

from sklearn.base import is_classifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

import skmtl


def public_estimator_classes():
    return [
        obj for name in skmtl.__all__
        if inspect.isclass(obj := getattr(skmtl, name)) and hasattr(obj, "fit")
        and not name.endswith("CV")  # the *CV searches: tests/test_cv.py
    ]


def default_instances():
    out = []
    for cls in public_estimator_classes():
        if cls in (skmtl.SingleTaskBaseline, skmtl.PooledBaseline):
            out += [cls(Ridge()), cls(LogisticRegression())]
        else:
            out.append(cls())
    return out


DEFAULTS = default_instances()

VARIANTS = [
    skmtl.L21Regressor(ridge=0.1, fit_intercept=False),
    skmtl.TaskGraphRegressor(alpha=0.1, l1=0.01, tol=1e-14),
    skmtl.TaskGraphClassifier(l1="auto", ridge=0.01),
    # to a minimum (gradient rule only: the plateau rule off), so that the
    # weighted fit and the fit on repeated rows agree to 1e-7
    skmtl.MultiTaskMLPRegressor(
        (10,), activation="tanh", alpha=0.03, tol=1e-12, max_iter=400,
        n_iter_no_change=400, random_state=0,
    ),
    skmtl.MultiTaskMLPRegressor(
        (20,), solver="adam", learning_rate_init=0.01, max_iter=100, random_state=0
    ),
]

_LIST_PROBA = (
    "predict_proba returns one (n, K_t) array per task (the format of "
    "scikit-learn's multi-output classifiers) and classes_ is a list per task, "
    "while this check indexes both as single arrays"
)


def expected_failed_checks(estimator):
    failed = {}
    if is_classifier(estimator):
        failed["check_classifier_multioutput"] = _LIST_PROBA
    return failed


def test_every_public_estimator_has_its_default_instance_checked():
    checked = {type(est) for est in DEFAULTS}
    assert checked == set(public_estimator_classes())
    for est in DEFAULTS:
        if not isinstance(est, (skmtl.SingleTaskBaseline, skmtl.PooledBaseline)):
            assert est.get_params() == type(est)().get_params()


@parametrize_with_checks(
    DEFAULTS + VARIANTS, expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
