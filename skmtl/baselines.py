"""Baselines that multi-task models must beat: one model per task, one pooled model.

Both are meta-estimators over any scikit-learn estimator, take the stacked
targets of the package (``NaN``/``None`` where a task has no target) and
predict every task for every row, so that they can be compared with the
multi-task models by the same metrics, scorers and cross-validation.
"""

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, clone, is_classifier
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, validate_data

from ._data import (
    check_numeric_columns,
    check_sample_weight,
    target_weights,
    validate_classification_targets,
    validate_regression_targets,
)
from .metrics import accuracy_score, r2_score

__all__ = ["PooledBaseline", "SingleTaskBaseline"]


def _inner_has(method):
    def check(self):
        if hasattr(self, "estimators_"):
            return hasattr(self.estimators_[0], method)
        return hasattr(self.estimator, method)

    return check


class _StackedMetaEstimator(MultiOutputMixin, BaseEstimator):
    """Validation, task bookkeeping, scoring and tags shared by the baselines."""

    def __init__(self, estimator):
        self.estimator = estimator

    def _validate_X(self, X, reset):
        allow_nan = self.estimator.__sklearn_tags__().input_tags.allow_nan
        return validate_data(
            self,
            X if allow_nan else check_numeric_columns(X),
            reset=reset,
            accept_sparse=["csr", "csc"],
            dtype=None if allow_nan else "numeric",
            ensure_all_finite="allow-nan" if allow_nan else True,
        )

    def _targets(self, X, y, sample_weight):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        X = self._validate_X(X, reset=True)
        if is_classifier(self.estimator):
            targets = validate_classification_targets(y, X.shape[0])
            labels = _labels_from_codes(targets)
        else:
            targets = validate_regression_targets(y, X.shape[0])
            labels = targets.values
        sample_weight = check_sample_weight(sample_weight, X.shape[0], targets.n_tasks)
        # raises, naming the task, if a task's rows have zero total weight
        target_weights(targets, sample_weight, np.ones(targets.n_tasks))
        self.n_tasks_ = targets.n_tasks
        self.task_names_ = targets.task_names
        self._single_task = targets.single_task
        if is_classifier(self.estimator):
            self.classes_ = (
                targets.classes[0] if targets.single_task else list(targets.classes)
            )
        else:
            self.__dict__.pop("classes_", None)  # none left from a classifier fit
        return X, targets.mask, labels, sample_weight

    def _stack(self, columns):
        """Per-task 1-D outputs to (n, T), or (n,) for a single task."""
        if self._single_task:
            return columns[0]
        dtypes = {np.asarray(c).dtype for c in columns}
        dtype = dtypes.pop() if len(dtypes) == 1 else object
        out = np.empty((len(columns[0]), len(columns)), dtype=dtype)
        for t, column in enumerate(columns):
            out[:, t] = column
        return out

    def score(self, X, y, sample_weight=None):
        """Mean over tasks of R² (regressor) or accuracy (classifier) on the
        observed entries of ``y``."""
        metric = accuracy_score if is_classifier(self) else r2_score
        return float(metric(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self.estimator.__sklearn_tags__()
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.target_tags.required = True
        return tags


def _labels_from_codes(targets):
    """Object array of the original labels, ``None`` where missing."""
    labels = np.empty(targets.codes.shape, dtype=object)
    for t, classes in enumerate(targets.classes):
        observed = targets.mask[:, t]
        labels[observed, t] = classes[targets.codes[observed, t]]
    return labels


def _task_weight(sample_weight, rows, t):
    if sample_weight is None:
        return None
    column = sample_weight if sample_weight.ndim == 1 else sample_weight[:, t]
    return column[rows]


class SingleTaskBaseline(_StackedMetaEstimator):
    """One clone of ``estimator`` per task, fitted on that task's observed rows.

    It is what a multi-task model must beat: each task learns alone, from
    its own rows only. A regressor if ``estimator`` is a regressor, a
    classifier if it is a classifier (each task with its own classes).

    Parameters
    ----------
    estimator : estimator object
        Any scikit-learn regressor or classifier; cloned once per task.
    n_jobs : int, default=None
        Number of tasks fitted in parallel (joblib; ``-1``: all processors).
        Under ``joblib.parallel_backend("dask")`` the fits run on a
        ``dask.distributed`` cluster.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted clone of each task.
    classes_ : list of ndarray, or ndarray for 1-D y
        Labels of each task (classifiers only).
    n_tasks_, task_names_, n_features_in_, feature_names_in_
        As in the multi-task estimators.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skmtl import SingleTaskBaseline
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((30, 3))
    >>> Y = np.column_stack([X[:, 0], X[:, 1]])
    >>> Y[:10, 0] = np.nan  # task 0 does not observe the first 10 rows
    >>> SingleTaskBaseline(Ridge(alpha=0.1)).fit(X, Y).predict(X).shape
    (30, 2)
    """

    def __init__(self, estimator, *, n_jobs=None):
        self.estimator = estimator
        self.n_jobs = n_jobs

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit one clone per task on its observed rows (``n_jobs`` at a time).

        ``sample_weight`` ((n,) or (n, n_tasks)) is passed to each clone's
        ``fit``, restricted to the task's rows, as are ``fit_params`` whose
        first dimension has ``n_samples`` entries.
        """
        X, mask, labels, sample_weight = self._targets(X, y, sample_weight)
        jobs = []
        for t in range(mask.shape[1]):
            rows = np.flatnonzero(mask[:, t])
            target = labels[rows, t]
            if is_classifier(self.estimator):
                target = _uniform_labels(target, self._task_classes()[t])
            params = _row_params(fit_params, rows, X.shape[0])
            weight = _task_weight(sample_weight, rows, t)
            if weight is not None:
                params["sample_weight"] = weight
            jobs.append(
                delayed(_fit_one)(clone(self.estimator), X[rows], target, params)
            )
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(jobs)
        return self

    def _task_classes(self):
        return [self.classes_] if self._single_task else self.classes_

    def predict(self, X):
        """Each task's prediction: (n, n_tasks), or (n,) for 1-D y."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._stack([est.predict(X) for est in self.estimators_])

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X):
        """List of (n, K_t) class probabilities, one per task."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        probas = [est.predict_proba(X) for est in self.estimators_]
        return probas[0] if self._single_task else probas

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X):
        """(n, n_tasks) when every task is binary, else a list per task."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        scores = [est.decision_function(X) for est in self.estimators_]
        if self._single_task:
            return scores[0]
        if all(np.ndim(s) == 1 for s in scores):
            return np.column_stack(scores)
        return scores


def _fit_one(estimator, X, y, params):
    return estimator.fit(X, y, **params)


def _uniform_labels(target, classes):
    """Labels of one task in the dtype of its classes (object arrays mix types)."""
    return np.asarray(list(target), dtype=classes.dtype)


def _row_params(fit_params, rows, n_samples):
    params = {}
    for key, value in fit_params.items():
        if hasattr(value, "__len__") and len(value) == n_samples:
            value = np.asarray(value)[rows]
        params[key] = value
    return params


class PooledBaseline(_StackedMetaEstimator):
    """One ``estimator`` fitted on every observed (row, task) pair, tasks ignored.

    The other end from :class:`SingleTaskBaseline`: all tasks are assumed to
    be the same task. Every task gets the same prediction.

    Parameters
    ----------
    estimator : estimator object
        Any scikit-learn regressor or classifier.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model.
    classes_ : list of ndarray, or ndarray for 1-D y
        Labels of each task as seen in ``y`` (classifiers only); predictions
        and probabilities use the pooled model's classes,
        ``estimator_.classes_``.
    n_tasks_, task_names_, n_features_in_, feature_names_in_
        As in the multi-task estimators.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skmtl import PooledBaseline
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((30, 3))
    >>> Y = np.column_stack([X[:, 0], X[:, 0] + 0.1])
    >>> PooledBaseline(Ridge()).fit(X, Y).predict(X).shape
    (30, 2)
    """

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit one model on all observed entries; ``sample_weight`` ((n,) or
        (n, n_tasks)) weights each (row, task) pair."""
        X, mask, labels, sample_weight = self._targets(X, y, sample_weight)
        rows, tasks = np.nonzero(mask)
        target = labels[rows, tasks]
        if is_classifier(self.estimator):
            target = _pooled_labels(target)
        params = _row_params(fit_params, rows, X.shape[0])
        if sample_weight is not None:
            weight = (
                sample_weight if sample_weight.ndim == 2 else sample_weight[:, None]
            )
            params["sample_weight"] = np.broadcast_to(weight, mask.shape)[rows, tasks]
        self.estimator_ = clone(self.estimator).fit(X[rows], target, **params)
        if is_classifier(self.estimator):
            pooled = self.estimator_.classes_
            self.classes_ = pooled if self._single_task else [pooled] * self.n_tasks_
        return self

    def predict(self, X):
        """The pooled prediction repeated for every task: (n, n_tasks)."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        prediction = self.estimator_.predict(X)
        return self._stack([prediction] * self.n_tasks_)

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X):
        """The pooled probabilities, once per task (a list)."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        proba = self.estimator_.predict_proba(X)
        return proba if self._single_task else [proba] * self.n_tasks_

    @available_if(lambda self: hasattr(self.estimator, "decision_function"))
    def decision_function(self, X):
        """The pooled scores, once per task."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        scores = self.estimator_.decision_function(X)
        if self._single_task:
            return scores
        if np.ndim(scores) == 1:
            return np.column_stack([scores] * self.n_tasks_)
        return [scores] * self.n_tasks_


def _pooled_labels(target):
    kinds = {isinstance(v, str) for v in target}
    if len(kinds) > 1:
        raise ValueError(
            "PooledBaseline pools the labels of all tasks, but some tasks use "
            "strings and others numbers; give every task the same kind of label."
        )
    return np.asarray(list(target))
