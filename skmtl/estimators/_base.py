"""Shared fit / predict machinery of the multi-task linear estimators.

An estimator subclass only says which problem it solves: ``_penalty(layout)``
returns the non-smooth penalty, the ridge strength and the column coupling
matrix; :func:`skmtl.solvers.minimize` chooses the algorithm. The rest
(validation of ``X``, ``Y`` and weights; targets kept per observed entry;
warm starts; fitted attributes; convergence warnings) lives here, once.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._data import (
    ColumnLayout,
    check_numeric_columns,
    check_sample_weight,
    check_task_weights,
    class_weight_factors,
    target_weights,
    validate_classification_targets,
    validate_regression_targets,
)
from ..datafits import Logistic, Quadratic
from ..solvers import Problem, minimize
from ..solvers._threads import blas_threads_for
from ._defaults import resolve_strengths
from ._signature import PublicSignatureMixin

_X_OPTIONS = dict(accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])


class _MultiTaskLinearModel(PublicSignatureMixin, BaseEstimator):
    """Base class: parameter validation and the common ``fit`` flow."""

    #: name of the parameter that zeroes every coefficient when large enough
    _sparsity_parameter = None

    def __init__(
        self,
        alpha=1.0,
        ridge=0.0,
        fit_intercept=True,
        task_weights=None,
        tol=1e-4,
        max_iter=1000,
        warm_start=False,
        verbose=0,
    ):
        self.alpha = alpha
        self.ridge = ridge
        self.fit_intercept = fit_intercept
        self.task_weights = task_weights
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "ridge": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "task_weights": ["array-like", Interval(Real, 0, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    # -- to be provided by subclasses ------------------------------------------
    def _penalty(self, layout):
        """Return ``(penalty, ridge, coupling)`` for the columns in ``layout``."""
        raise NotImplementedError

    # -- common flow -------------------------------------------------------------
    def _prepare(self, X, Y, sample_weight):
        """Validate inputs; return ``(X, targets, weights)``, weights per entry."""
        if Y is None:
            name = type(self).__name__
            raise ValueError(
                f"{name} requires y to be passed, but the target y is None."
            )
        X = validate_data(self, check_numeric_columns(X), reset=True, **_X_OPTIONS)
        targets = self._validate_targets(Y, X.shape[0])
        sample_weight = check_sample_weight(sample_weight, X.shape[0], targets.n_tasks)
        task_weights = check_task_weights(
            self.task_weights, targets.n_tasks, targets.task_names
        )
        return X, targets, self._target_weights(targets, sample_weight, task_weights)

    def _target_weights(self, targets, sample_weight, task_weights):
        """Weight of each observed entry in the data term (see ``skmtl._data``)."""
        return target_weights(targets, sample_weight, task_weights)

    def _problem(self, X, datafit):
        """The optimisation problem of this estimator on these data."""
        model = resolve_strengths(self, X, datafit)  # "auto" -> fraction of alpha_max
        penalty, ridge, coupling = model._penalty(datafit.layout)
        return Problem(
            X,
            datafit,
            penalty,
            fit_intercept=self.fit_intercept,
            ridge=ridge,
            coupling=coupling,
        )

    def _fit_problem(self, X, datafit):
        """Build the problem, solve it (warm-started if asked) and report."""
        problem = self._problem(X, datafit)
        W0, b0 = self._warm_start_point(X.shape[1], datafit.n_columns)
        with blas_threads_for(datafit.entries()[0].size * X.shape[1]):
            result = minimize(
                problem, W0, b0, tol=self.tol, max_iter=self.max_iter,
                verbose=self.verbose,
            )
        if not result.converged:
            warnings.warn(_convergence_message(self, result), ConvergenceWarning,
                          stacklevel=3)
        self.n_iter_ = int(result.n_iter)
        self.kkt_violation_ = float(result.kkt)
        if result.gap is None:
            self.__dict__.pop("dual_gap_", None)  # no stale value from a refit
        else:
            self.dual_gap_ = float(result.gap)
        self.solver_ = result.solver
        return result

    def _warm_start_point(self, n_features, n_columns):
        if not self.warm_start or not hasattr(self, "coef_"):
            return None, None
        coef, intercept = self._coef_matrix()
        if coef.shape != (n_columns, n_features):
            return None, None
        return coef.T.astype(np.float64), intercept.astype(np.float64)

    def _coef_matrix(self):
        """``coef_`` as (n_columns, n_features) and ``intercept_`` as (n_columns,)."""
        coef = np.atleast_2d(self.coef_)
        return coef, np.atleast_1d(self.intercept_)

    def _linear_predictor(self, X):
        check_is_fitted(self)
        X = validate_data(self, check_numeric_columns(X), reset=False, **_X_OPTIONS)
        coef, intercept = self._coef_matrix()
        return np.asarray(X @ coef.T.astype(X.dtype, copy=False)) + intercept

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        return tags


def _convergence_message(estimator, result):
    """Advice that fits the reason the solver stopped."""
    name = type(estimator).__name__
    where = (
        f"{result.criterion} {result.measure:.3e} > tolerance "
        f"{result.threshold:.3e} after {result.n_iter} iterations"
    )
    if result.status == "stalled":
        return (
            f"{name} stalled at {where}: the objective no longer decreases in "
            "double precision, so more iterations will not help. Standardise the "
            "features (StandardScaler), add a small ridge, or raise tol."
        )
    return (
        f"{name} did not converge: {where} (max_iter={estimator.max_iter}). "
        "Increase max_iter or raise tol."
    )


def alpha_max(estimator, X, y, sample_weight=None):
    """Smallest strength of the sparsity penalty giving all-zero coefficients.

    The strength is ``alpha`` for the L2,1 and trace-norm models and ``l1``
    for the task-graph models. It is the dual norm of the gradient of the
    smooth part at zero coefficients and optimal intercepts; ``estimator`` is
    not modified. Models without a sparsity penalty (mean-regularized, task
    relation) have no such value and raise a ``ValueError``.
    """
    parameter = getattr(estimator, "_sparsity_parameter", None)
    if parameter is None:
        raise ValueError(
            f"{type(estimator).__name__} has no penalty that makes all "
            "coefficients zero, so alpha_max is not defined for it."
        )
    est = clone(estimator).set_params(**{parameter: 1.0})
    X, targets, weights = est._prepare(X, y, sample_weight)
    problem = est._problem(X, est._make_datafit(targets, weights))
    G0 = problem.full_gradient(*problem.null_point())[3]
    return float(problem.penalty.dual_norm(G0))


class MultiTaskRegressorMixin:
    """Squared-loss data term; ``predict``/``score`` over all tasks."""

    def _validate_targets(self, Y, n_samples):
        return validate_regression_targets(Y, n_samples)

    def _make_datafit(self, targets, weights):
        return Quadratic(
            targets.entry_rows,
            targets.entry_tasks,
            targets.entry_values,
            weights,
            targets.n_samples,
            targets.n_tasks,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (float64 or float32, kept).
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Stacked targets ``Y``; ``NaN`` where a task has no target for the row.
            A pandas DataFrame's column names become ``task_names_``.
        sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Non-negative weights, normalised to mean one within each task.

        Returns
        -------
        self : object
        """
        X, targets, weights = self._prepare(X, y, sample_weight)
        result = self._fit_problem(X, self._make_datafit(targets, weights))
        self.n_tasks_ = targets.n_tasks
        self.task_names_ = targets.task_names
        coef, intercept = result.W.T.astype(X.dtype), result.b.astype(X.dtype)
        if targets.single_task:
            self.coef_, self.intercept_ = coef[0], float(intercept[0])
        else:
            self.coef_, self.intercept_ = coef, intercept
        self._after_fit(result)
        return self

    def _after_fit(self, result):
        """Hook for model-specific fitted attributes."""

    def predict(self, X):
        """Predict every task for every row: (n_samples, n_tasks), or (n,) for 1-D y."""
        Z = self._linear_predictor(X)
        return Z[:, 0] if np.ndim(self.coef_) == 1 else Z

    def score(self, X, y, sample_weight=None):
        """Mean over tasks of the R² on each task's observed entries of ``y``."""
        from ..metrics import r2_score

        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))


class MultiTaskClassifierMixin:
    """Logistic / multinomial data term; labels, probabilities, scores per task."""

    def _validate_targets(self, Y, n_samples):
        return validate_classification_targets(Y, n_samples)

    def _target_weights(self, targets, sample_weight, task_weights):
        """Entry weights with ``class_weight`` multiplying the sample weights."""
        factors = class_weight_factors(self.class_weight, targets, sample_weight)
        return target_weights(targets, sample_weight, task_weights, factors)

    def _make_datafit(self, targets, weights):
        self._check_classes(targets.classes, targets.task_names)
        return Logistic(
            targets.entry_rows,
            targets.entry_tasks,
            targets.entry_codes,
            weights,
            targets.n_samples,
            ColumnLayout.from_classes(targets.classes),
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Stacked labels ``Y`` (numbers or strings); ``NaN`` or ``None`` where a
            task has no label for the row. Each task has its own classes.
        sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks)

        Returns
        -------
        self : object
        """
        X, targets, weights = self._prepare(X, y, sample_weight)
        datafit = self._make_datafit(targets, weights)
        layout = datafit.layout
        result = self._fit_problem(X, datafit)
        self.n_tasks_ = targets.n_tasks
        self.task_names_ = targets.task_names
        self.classes_ = targets.classes[0] if targets.single_task else targets.classes
        self.task_slices_ = [layout.columns(t) for t in range(layout.n_tasks)]
        self.coef_ = result.W.T.astype(X.dtype)
        self.intercept_ = result.b.astype(X.dtype)
        self._after_fit(result)
        return self

    @property
    def _single_task(self):
        return not isinstance(self.classes_, list)

    def _task_classes(self):
        return [self.classes_] if self._single_task else self.classes_

    def _check_classes(self, classes, task_names):
        """Hook: models that compare tasks may require identical label sets."""

    def _after_fit(self, result):
        """Hook for model-specific fitted attributes."""

    def _task_scores(self, X):
        check_is_fitted(self)
        Z = self._linear_predictor(X)
        return [Z[:, columns] for columns in self.task_slices_]

    def decision_function(self, X):
        """Scores: (n, n_tasks) when every task is binary (score of its second
        class), else a list with an (n,) or (n, K_t) array per task; for 1-D
        y, (n,) or (n, K)."""
        scores = [s[:, 0] if s.shape[1] == 1 else s for s in self._task_scores(X)]
        if self._single_task:
            return scores[0]
        if all(s.ndim == 1 for s in scores):
            return np.column_stack(scores)
        return scores

    def predict_proba(self, X):
        """Class probabilities: a list with an (n, K_t) array per task (columns
        in the order of ``classes_[t]``), or one (n, K) array for 1-D y."""
        probas = []
        for s in self._task_scores(X):
            if s.shape[1] == 1:
                p = _expit(s[:, 0])
                probas.append(np.column_stack([1.0 - p, p]))
            else:
                probas.append(_softmax(s))
        return probas[0] if self._single_task else probas

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        probas = self.predict_proba(X)
        if isinstance(probas, list):
            return [np.log(p) for p in probas]
        return np.log(probas)

    def predict(self, X):
        """Predicted labels: (n, n_tasks) array (object dtype if the tasks'
        label types differ), or (n,) for 1-D y."""
        check_is_fitted(self)
        labels = []
        for classes, s in zip(self._task_classes(), self._task_scores(X), strict=True):
            index = (s[:, 0] > 0).astype(np.intp) if s.shape[1] == 1 else s.argmax(1)
            labels.append(classes[index])
        if self._single_task:
            return labels[0]
        dtypes = {c.dtype for c in self.classes_}
        dtype = dtypes.pop() if len(dtypes) == 1 else object
        out = np.empty((labels[0].shape[0], len(labels)), dtype=dtype)
        for t, task_labels in enumerate(labels):
            out[:, t] = task_labels
        return out

    def score(self, X, y, sample_weight=None):
        """Mean over tasks of the accuracy on each task's observed entries of ``y``."""
        from ..metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def _expit(z):
    out = np.empty_like(z, dtype=np.float64)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    ez = np.exp(z[~positive])
    out[~positive] = ez / (1.0 + ez)
    return out


def _softmax(S):
    S = S - S.max(axis=1, keepdims=True)
    E = np.exp(S)
    return E / E.sum(axis=1, keepdims=True)
