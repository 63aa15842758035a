"""scikit-learn's estimator checks over every public estimator.

The instances use a small ``alpha`` (the default strengths zero every
coefficient on the checks' standardised toy data, which some checks score)
and a tight ``tol``: the sample-weight equivalence checks compare predictions
to 1e-7, finer than the default tolerance guarantees. The classifier gets a
small ridge because that check fits 15 samples with 30 features, where the
logistic loss alone is flat in some directions.

The networks' first instance is smooth (tanh), regularised and converged
tightly (``tol=1e-12``): the sample-weight checks compare a weighted fit
with a fit on repeated rows, and 15 rows with 30 features leave an
unregularised ReLU network a continuum of minima on which two L-BFGS runs
that differ by rounding end at different points.
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
    skmtl.MultiTaskMLPRegressor(
        (10,), activation="tanh", alpha=0.03, tol=1e-12, max_iter=400, random_state=0
    ),
    skmtl.MultiTaskMLPRegressor(
        (20,), solver="adam", learning_rate_init=0.01, max_iter=100, random_state=0
    ),
    skmtl.MultiTaskMLPClassifier((10,), max_iter=100, random_state=0),
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
