"""scikit-learn's estimator checks over every public estimator.

The instances use a small ``alpha`` (the default strengths zero every
coefficient on the checks' standardised toy data, which some checks score)
and a tight ``tol``: the sample-weight equivalence checks compare predictions
to 1e-7, finer than the default tolerance guarantees. The classifier gets a
small ridge because that check fits 15 samples with 30 features, where the
logistic loss alone is flat in some directions.
"""

from sklearn.base import is_classifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

import skmtl

ESTIMATORS = [
    skmtl.L21Regressor(alpha=0.01, tol=1e-14),
    skmtl.L21Regressor(alpha=0.01, ridge=0.1, fit_intercept=False, tol=1e-14),
    skmtl.L21Classifier(alpha=0.001, ridge=0.01, tol=1e-12),
    skmtl.MeanRegularizedRegressor(alpha=0.1, tol=1e-12),
    skmtl.MeanRegularizedClassifier(alpha=0.1, ridge=0.01, tol=1e-12),
    skmtl.TaskGraphRegressor(alpha=0.1, tol=1e-12),
    skmtl.TaskGraphRegressor(alpha=0.1, l1=0.01, tol=1e-14),
    skmtl.TaskGraphClassifier(alpha=0.1, ridge=0.01, tol=1e-12),
    skmtl.TaskRelationRegressor(alpha=0.01, tol=1e-14),
    skmtl.TaskRelationClassifier(alpha=0.01, ridge=0.01, tol=1e-12),
    skmtl.TraceNormRegressor(alpha=0.01, tol=1e-14),
    skmtl.TraceNormClassifier(alpha=0.001, ridge=0.01, tol=1e-12),
    skmtl.SingleTaskBaseline(Ridge()),
    skmtl.SingleTaskBaseline(LogisticRegression()),
    skmtl.PooledBaseline(Ridge()),
    skmtl.PooledBaseline(LogisticRegression()),
]

_LIST_PROBA = (
    "predict_proba returns one (n, K_t) array per task (the format of "
    "scikit-learn's multi-output classifiers) and classes_ is a list per task, "
    "while this check indexes both as single arrays"
)


def expected_failed_checks(estimator):
    if is_classifier(estimator):
        return {"check_classifier_multioutput": _LIST_PROBA}
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
