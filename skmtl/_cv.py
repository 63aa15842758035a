"""Cross-validated estimators: ``NameCV`` for every model, on one base.

:class:`MultiTaskCV` is generic over the estimator class it tunes: any
estimator with ``get_params`` and an ``alpha`` (``"alpha"`` among its
``_sparsity_parameters`` puts the grid relative to ``alpha_max``). A named
CV class is three lines::

    class L21RegressorCV(RegressorCV):
        _estimator_class = L21Regressor
        _second = "ridge"

and :func:`cv_class` builds one on the fly for a model without a named class.
The constructor's signature, the docstring and the parameter list are made
from the estimator's own when the class is defined.
"""

import inspect
import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MultiOutputMixin,
    RegressorMixin,
    is_classifier,
)
from sklearn.exceptions import ConvergenceWarning, UndefinedMetricWarning
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from . import _paths
from ._data import check_sample_weight
from ._splitters import TaskStratifiedKFold
from .estimators import (
    DirtyClassifier,
    DirtyRegressor,
    FusedTaskClassifier,
    FusedTaskRegressor,
    L21Classifier,
    L21Regressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    RobustFeatureClassifier,
    RobustFeatureRegressor,
    RobustLowRankClassifier,
    RobustLowRankRegressor,
    SparseLowRankClassifier,
    SparseLowRankRegressor,
    TaskGraphClassifier,
    TaskGraphRegressor,
    TaskRelationClassifier,
    TaskRelationRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
)
from .estimators._kernel import MultiTaskKernelRidge
from .neural import MultiTaskMLPClassifier, MultiTaskMLPRegressor

__all__ = [
    "ClassifierCV",
    "DirtyClassifierCV",
    "DirtyRegressorCV",
    "L21ClassifierCV",
    "L21RegressorCV",
    "MeanRegularizedClassifierCV",
    "MeanRegularizedRegressorCV",
    "MultiTaskCV",
    "MultiTaskMLPClassifierCV",
    "MultiTaskMLPRegressorCV",
    "RegressorCV",
    "SparseLowRankClassifierCV",
    "SparseLowRankRegressorCV",
    "TaskGraphClassifierCV",
    "TaskGraphRegressorCV",
    "TaskRelationClassifierCV",
    "TaskRelationRegressorCV",
    "TraceNormClassifierCV",
    "TraceNormRegressorCV",
    "cv_class",
    "cv_classes",
]

#: the parameters of every CV class, after the estimator's
_CV_PARAMETERS = ("cv", "scoring", "n_jobs")
#: estimator parameters a CV class does not expose (it sets them itself)
_HIDDEN = ("warm_start",)


def _check_scoring(scoring, classifier):
    from .metrics import get_scorer

    if scoring is None:
        scoring = "neg_log_loss" if classifier else "r2"
    if callable(scoring):
        return scoring
    if not isinstance(scoring, str):
        raise ValueError(
            f"scoring must be a scorer name of skmtl.metrics.get_scorer_names() or "
            f"a callable (estimator, X, Y) -> float; got {scoring!r}."
        )
    return get_scorer(scoring)


def _splits(cv, X, Y, classifier, groups=None):
    if cv is None or (isinstance(cv, numbers.Integral) and not isinstance(cv, bool)):
        n_splits = 5 if cv is None else int(cv)
        cv = TaskStratifiedKFold(n_splits, random_state=0, labels=classifier)
    if hasattr(cv, "split"):
        # groups only when given: a user's splitter may take just (X, y)
        arguments = (X, Y) if groups is None else (X, Y, groups)
        n_samples, n_splits = X.shape[0], cv.get_n_splits(*arguments)
        if n_samples < n_splits:
            raise ValueError(
                f"Cannot cross-validate n_samples={n_samples} rows with {n_splits} "
                "folds; give more rows or fewer folds (cv)."
            )
        return list(cv.split(*arguments))
    splits = list(cv)
    if not splits:
        raise ValueError("cv gave no (train, test) split.")
    return [(np.asarray(train), np.asarray(test)) for train, test in splits]


def _fold_path(estimator, X, Y, sample_weight, split, alphas, scorer, parameter):
    """Scores and iterations of the path on one fold; strengths not converged."""
    train, test = split
    weight = None if sample_weight is None else _safe_indexing(sample_weight, train)
    X_test, Y_test = _safe_indexing(X, test), _safe_indexing(Y, test)
    test_weight = None
    test_kwargs = {}
    if sample_weight is not None:
        test_weight = _safe_indexing(sample_weight, test)
        test_kwargs["sample_weight"] = test_weight
    path = _paths.path_points(
        estimator, _safe_indexing(X, train), _safe_indexing(Y, train), alphas,
        sample_weight=weight, parameter=parameter,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        batched = _batched_fold_scores(path, scorer, X_test, Y_test, test_weight)
        if batched is not None:
            return (*batched, path.unconverged)
        scores, n_iters = [], []
        for model, n_iter in path:
            scores.append(float(scorer(model, X_test, Y_test, **test_kwargs)))
            n_iters.append(n_iter)
    return np.array(scores), np.array(n_iters), path.unconverged


def _batched_fold_scores(path, scorer, X_test, Y_test, sample_weight):
    """``(scores, n_iters)`` of a compiled path (:mod:`skmtl.solvers._gram_path`)
    scored from its stacked predictions, or None when the path or the scorer
    needs the estimator views (then the caller scores each view).

    The predictions ``X_test W_k + b_k`` are those of the views' ``predict``
    (same arithmetic in float64); the scorer's metric is applied to them,
    vectorised over the strengths for the metrics of :func:`_stack_scores`.
    """
    spec = getattr(scorer, "prediction_metric", lambda: None)()
    dense = isinstance(X_test, np.ndarray) and X_test.dtype == np.float64
    csr = sp.issparse(X_test) and X_test.dtype == np.float64
    compiled = getattr(path, "compiled", None)  # only linear models' paths
    if spec is None or not (dense or csr) or compiled is None or compiled() is None:
        return None
    single = path._compiled_state["single"]
    scores, n_iters = [], []
    for _, Ws, bs, epochs in path.solutions():
        values = None if single else _entry_regression(spec, X_test, Y_test, Ws, bs,
                                                       sample_weight)
        if values is None:
            predictions = _batch_predictions(X_test, Ws, bs)
            if single:
                predictions = predictions[:, :, 0]
            values = _stack_scores(spec, Y_test, predictions, sample_weight)
        scores.extend(values)
        n_iters.extend(int(e) for e in epochs)
    return np.array(scores, dtype=float), np.array(n_iters)


_STACKED_METRICS = {}  # metric -> name, filled on first use (metrics imports us)


def _stacked_metrics():
    if not _STACKED_METRICS:
        from .metrics import mean_squared_error, r2_score, root_mean_squared_error

        _STACKED_METRICS.update({r2_score: "r2", mean_squared_error: "mse",
                                 root_mean_squared_error: "rmse"})
    return _STACKED_METRICS


def _stack_scores(spec, Y, predictions, sample_weight):
    """``sign * metric(Y, predictions[k], **kwargs)`` for every ``k``.

    R², MSE and RMSE on dense targets are computed for all ``k`` at once
    when every task has an ordinary score (at least two observed rows of
    positive weight, non-constant targets for R²); anything else calls the
    metric once per ``k`` (with its warnings for undefined scores)."""
    metric, sign, kwargs = spec
    values = None
    if metric in _stacked_metrics():
        values = _stacked_regression(_STACKED_METRICS[metric], kwargs, Y,
                                     predictions, sample_weight)
    if values is None:
        extra = {} if sample_weight is None else {"sample_weight": sample_weight}
        values = [float(metric(Y, P, **kwargs, **extra)) for P in predictions]
    return [sign * float(v) for v in values]


def _regression_parts(name, kwargs, Y, sample_weight):
    """``(mask, weight, total, spread, multioutput)`` of the targets for the
    vectorised R², MSE and RMSE, or None outside the ordinary case (see
    :func:`_stack_scores`)."""
    multioutput = kwargs.get("multioutput", "uniform_average")
    if set(kwargs) - {"multioutput", "force_finite"} or not kwargs.get(
            "force_finite", True):
        return None
    if not (isinstance(Y, np.ndarray) and Y.dtype.kind == "f" and Y.ndim in (1, 2)):
        return None
    Y = Y.reshape(Y.shape[0], -1)
    mask = ~np.isnan(Y)
    weight = np.ones(Y.shape) if sample_weight is None else np.asarray(
        sample_weight, dtype=float)
    if weight.ndim == 1:
        weight = np.broadcast_to(weight[:, None], Y.shape)
    if weight.shape != Y.shape:
        return None
    weight = np.where(mask, weight, 0.0)
    total, count = weight.sum(axis=0), mask.sum(axis=0)
    if np.any(count < 2) or not np.all(total > 0):
        return None
    spread = None
    if name == "r2":
        observed = np.where(mask, Y, 0.0)
        mean = (weight * observed).sum(axis=0) / total
        spread = (weight * (observed - mean) ** 2).sum(axis=0)
        if np.any(spread == 0):
            return None
    return mask, weight, total, spread, multioutput


def _regression_scores(name, sse, total, spread, multioutput):
    """Average over tasks of R², MSE or RMSE from the (k, T) weighted sums of
    squared errors, or None for an unusable ``multioutput``."""
    if name == "r2":
        scores = 1.0 - sse / spread
    else:
        scores = sse / total
        if name == "rmse":
            scores = np.sqrt(scores)
    if isinstance(multioutput, str):
        return scores.mean(axis=1) if multioutput == "uniform_average" else None
    task_weights = np.asarray(multioutput, dtype=float)
    if task_weights.shape != (sse.shape[1],) or not task_weights.sum() > 0:
        return None
    return scores @ task_weights / task_weights.sum()


def _stacked_regression(name, kwargs, Y, predictions, sample_weight):
    """The per-task average of R², MSE or RMSE of each prediction, or None
    outside the ordinary case (see :func:`_stack_scores`)."""
    parts = _regression_parts(name, kwargs, Y, sample_weight)
    if parts is None:
        return None
    mask, weight, total, spread, multioutput = parts
    Y = Y.reshape(Y.shape[0], -1)
    P = predictions.reshape(predictions.shape[0], Y.shape[0], -1)
    if P.shape[2] != Y.shape[1] or not np.all(np.isfinite(P)):
        return None
    observed = np.where(mask, Y, 0.0)
    sse = np.einsum("it,kit->kt", weight, (observed - P) ** 2)
    return _regression_scores(name, sse, total, spread, multioutput)


_ENTRY_FRACTION = 0.5  # observed share of (rows x tasks) below which only
# the observed entries are predicted


def _entry_regression(spec, X, Y, Ws, bs, sample_weight):
    """:func:`_stack_scores` for R², MSE and RMSE from the predictions at the
    observed entries only (task by task, ``X[rows_t] W_k[:, t]``), when
    they are fewer than ``_ENTRY_FRACTION`` of rows times tasks (tasks with
    their own rows: School's 139 tasks would otherwise predict every row
    for every task at 100 strengths, 340 MB and 3.2 s of a 5 s CV fit);
    None otherwise or outside the ordinary case."""
    metric, sign, kwargs = spec
    name = _stacked_metrics().get(metric)
    if (name is None or not isinstance(Y, np.ndarray) or Y.ndim != 2
            or Y.dtype.kind != "f" or Ws.shape[2] != Y.shape[1]
            or np.count_nonzero(~np.isnan(Y)) >= _ENTRY_FRACTION * Y.size):
        return None  # before the targets' parts: the dense route makes them
    parts = _regression_parts(name, kwargs, Y, sample_weight)
    if parts is None:
        return None
    mask, weight, total, spread, multioutput = parts
    n_points, _, T = Ws.shape
    sse = np.zeros((n_points, T))
    for t in range(T):
        rows = np.flatnonzero(mask[:, t])
        P = X[rows] @ Ws[:, :, t].T  # (rows, n_points)
        P = np.asarray(P.toarray() if sp.issparse(P) else P) + bs[:, t]
        if not np.all(np.isfinite(P)):
            return None
        R = Y[rows, t][:, None] - P
        sse[:, t] = weight[rows, t] @ (R * R)
    values = _regression_scores(name, sse, total, spread, multioutput)
    return None if values is None else [sign * float(v) for v in values]


def _indexable(a):
    """``a`` in a form whose rows can be taken (arrays, CSR/CSC, pandas kept)."""
    if a is None or isinstance(a, np.ndarray) or hasattr(a, "iloc"):
        return a
    if sp.issparse(a):
        return a if a.format in ("csr", "csc") else a.tocsr()
    return np.asarray(a)


def _is_list(value):
    return isinstance(value, (list, tuple, np.ndarray))


class MultiTaskCV(MultiOutputMixin, BaseEstimator):
    """Base of the cross-validated estimators (see the module docstring).

    A subclass sets ``_estimator_class`` (the model tuned), optionally
    ``_second`` (a parameter that may be given a list of values, searched
    like ``l1_ratio`` in ``ElasticNetCV``) with ``_second_default``,
    ``_second_relative`` (its values are fractions of its ``alpha_max``),
    ``_n_alphas`` (default number of strengths), ``_eps`` and ``_top``
    (the grid top in units of :func:`~skmtl.model_selection.data_scale`,
    for models without ``alpha_max``) and ``_grid_reason``.

    Parameters
    ----------
    alphas : int, array-like or None, default=None
        Strengths tried: an array (sorted in decreasing order), a number of
        strengths of the default grid, or None for ``_n_alphas`` of them.
    eps : float, default=1e-3
        Smallest strength of the default grid over its largest.
    cv : int, splitter or iterable, default=None
        None: ``TaskStratifiedKFold(5, random_state=0)``; an int: that many
        such folds; a splitter or ``(train, test)`` pairs.
    scoring : str or callable, default=None
        A name of :func:`skmtl.metrics.get_scorer_names` or a callable
        ``scorer(estimator, X, Y) -> float``; None: ``'r2'`` for regressors,
        ``'neg_log_loss'`` for classifiers.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    **params
        Every other parameter of the tuned estimator, with its meaning and
        default (a subclass's signature lists them).

    Examples
    --------
    Every named CV class (:class:`~skmtl.L21RegressorCV`, ...) is one, and
    :func:`~skmtl.model_selection.cv_class` makes one for any model, here
    with a grid of 5 strengths by default:

    >>> from skmtl import L21RegressorCV, TraceNormRegressor
    >>> from skmtl.datasets import make_multitask_regression
    >>> from skmtl.model_selection import MultiTaskCV, cv_class
    >>> issubclass(L21RegressorCV, MultiTaskCV)
    True
    >>> TraceNormCV = cv_class(TraceNormRegressor, _n_alphas=5)
    >>> X, Y = make_multitask_regression(45, 6, 3, random_state=0)
    >>> model = TraceNormCV(cv=3).fit(X, Y)
    >>> model.alphas_.shape, model.scores_path_.shape  # (n_alphas, n_folds)
    ((5,), (5, 3))
    >>> bool(model.alpha_ in model.alphas_)
    True
    """

    _estimator_class = None
    _parameter = "alpha"
    _second = None
    _second_default = None
    _second_relative = False
    _n_alphas = 100
    _eps = 1e-3
    _top = _paths.DEFAULT_TOP
    _grid_reason = ""
    #: estimator parameters with another default in the CV class, and why
    _overrides, _override_reason = {}, ""
    _example, _example_shape = "alphas=4", "(4,)"  # of the docstring's example

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_estimator_class") is None:
            return
        estimator_class = cls._estimator_class
        if is_classifier(estimator_class()) != issubclass(cls, ClassifierMixin):
            raise TypeError(
                f"{cls.__name__}: derive from ClassifierCV for a classifier and from "
                f"RegressorCV for a regressor ({estimator_class.__name__})."
            )
        cls.__init__ = _make_init(cls)
        if not cls.__doc__:
            cls.__doc__ = _make_doc(cls)

    # -- parameters --------------------------------------------------------------
    @classmethod
    def _estimator_parameters(cls):
        names = inspect.signature(cls._estimator_class.__init__).parameters
        return [n for n in names if n not in ("self", cls._parameter, *_HIDDEN)]

    def _estimator(self, **params):
        values = {n: getattr(self, n) for n in self._estimator_parameters()}
        if self._second is not None:
            values[self._second] = self._second_values()[0]
        values.update(params)
        return self._estimator_class(**values)

    def _second_values(self):
        if self._second is None:
            return [None]
        value = getattr(self, self._second)
        if _is_list(value):
            values = list(np.asarray(value, dtype=float).ravel())
            if not values:
                raise ValueError(f"{self._second} must not be an empty list.")
            return values
        return [value]

    def _resolved_seconds(self, X, Y, sample_weight):
        """The second strength's values, made absolute when relative."""
        values = self._second_values()
        if not self._second_relative:
            return values
        top = _paths.positive_top(_paths.alpha_max(
            self._estimator(), X, Y, sample_weight=sample_weight, param=self._second))
        return [float(v) * top for v in values]

    def _grids(self, X, Y, sample_weight, seconds):
        """``(n_second, n_alphas)`` strengths, each row descending."""
        alphas = self.alphas
        if alphas is None or (
            isinstance(alphas, numbers.Integral) and not isinstance(alphas, bool)
        ):
            n_alphas = self._n_alphas if alphas is None else int(alphas)
            if n_alphas < 1:
                raise ValueError(f"alphas must be at least 1; got {alphas}.")
            rows = []
            for value in seconds:
                est = self._estimator(**self._second_params(value))
                rows.append(_paths.alpha_grid(
                    est, X, Y, eps=self.eps, n_alphas=n_alphas,
                    sample_weight=sample_weight, top=self._top,
                    parameter=self._parameter,
                ))
            return np.array(rows)
        grid = _paths.check_alphas(alphas)
        return np.tile(grid, (len(seconds), 1))

    def _second_params(self, value):
        return {} if self._second is None else {self._second: value}

    # -- fit -----------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, groups=None):
        """Choose the strengths by cross-validation, then refit on all rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like or sparse matrix of shape (n_samples, n_tasks) or \
(n_samples,)
            Stacked targets, ``NaN`` (``None`` for labels) where missing.
        sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Passed to every fit (training rows) and to the scorer (test rows).
        groups : array-like of shape (n_samples,), default=None
            Group labels of the rows for a group splitter given as ``cv``
            (``GroupKFold``, ``LeaveOneGroupOut``, ...: rows of one subject
            never on both sides of a fold); passed to ``cv.split``.

        Returns
        -------
        self : object
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        self._check_own_parameters()
        classifier = is_classifier(self)
        X, y, sample_weight = (_indexable(a) for a in (X, y, sample_weight))
        if y.shape[0] != X.shape[0]:  # before the grids read rows of X by y
            raise ValueError(
                f"Y has {y.shape[0]} rows but X has {X.shape[0]}: each row of Y "
                "holds the targets of the same row of X.")
        if sample_weight is not None:  # before the grids take its rows
            sample_weight = check_sample_weight(
                sample_weight, X.shape[0], y.shape[1] if y.ndim == 2 else 1)
        if groups is not None:
            groups = np.asarray(groups)
            if groups.shape != (X.shape[0],):
                raise ValueError(
                    f"groups must have one label per row of X, shape "
                    f"({X.shape[0]},); got shape {groups.shape}.")
        template = self._estimator()
        if hasattr(template, "_validate_params"):
            template._validate_params()  # a bad parameter fails here, not in a fold
        scorer = _check_scoring(self.scoring, classifier)
        seconds = self._resolved_seconds(X, y, sample_weight)
        grids = self._grids(X, y, sample_weight, seconds)
        splits = _splits(self.cv, X, y, classifier, groups)
        jobs = (
            delayed(_fold_path)(
                self._estimator(**self._second_params(value)), X, y, sample_weight,
                split, grids[i], scorer, self._parameter,
            )
            for i, value in enumerate(seconds)
            for split in splits
        )
        results = Parallel(n_jobs=self.n_jobs)(jobs)
        self._store_path(results, grids, seconds, len(splits))
        self._refit(X, y, sample_weight)
        return self

    def _check_own_parameters(self):
        if not (isinstance(self.eps, numbers.Real) and 0 < self.eps < 1):
            raise ValueError(f"eps must be a number in (0, 1); got {self.eps!r}.")
        if self.cv is not None and isinstance(self.cv, numbers.Integral):
            if isinstance(self.cv, bool) or self.cv < 2:
                raise ValueError(f"cv must be at least 2 folds; got {self.cv!r}.")

    def _store_path(self, results, grids, seconds, n_folds):
        shape = (len(seconds), n_folds, grids.shape[1])
        scores = np.array([r[0] for r in results]).reshape(shape).transpose(0, 2, 1)
        n_iter = np.array([r[1] for r in results]).reshape(shape).transpose(0, 2, 1)
        unconverged = sorted({a for r in results for a in r[2]}, reverse=True)
        if unconverged:
            warnings.warn(
                _paths.convergence_message(self._estimator(), unconverged,
                                           " on some folds", alphas=grids),
                ConvergenceWarning, stacklevel=3,
            )
        mean = scores.mean(axis=2)
        if np.all(np.isnan(mean)):
            raise ValueError(
                f"{type(self).__name__}: every validation score is NaN (scoring="
                f"{self.scoring!r}); check that every test fold observes every task."
            )
        best = np.unravel_index(np.argmax(np.where(np.isnan(mean), -np.inf, mean)),
                                mean.shape)
        scalar = self._second is None or not _is_list(getattr(self, self._second))
        squeeze = (lambda a: a[0]) if scalar else (lambda a: a)
        self.alphas_ = squeeze(grids)
        self.scores_path_ = squeeze(scores)
        self.mean_score_path_ = squeeze(mean)
        self.std_score_path_ = squeeze(scores.std(axis=2))
        self.n_iter_path_ = squeeze(n_iter)
        self.best_score_ = float(mean[best])
        self.alpha_ = float(grids[best])
        self._best_second = seconds[best[0]]
        if self._second is not None:
            setattr(self, f"{self._second}_", seconds[best[0]])

    def _refit(self, X, y, sample_weight):
        params = {self._parameter: self.alpha_,
                  **self._second_params(self._best_second)}
        estimator = self._estimator(**params)
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        self.estimator_ = estimator.fit(X, y, **kwargs)
        for name, value in vars(estimator).items():
            if name.endswith("_") and not name.startswith("_"):
                setattr(self, name, value)

    # -- the refitted model ------------------------------------------------------
    def _has(method):
        return lambda self: hasattr(self._estimator_class, method)

    def predict(self, X):
        """Prediction of the model refitted with the chosen strengths."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    @available_if(_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the refitted model."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    @available_if(_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the refitted model."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_log_proba(X)

    @available_if(_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the refitted model."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.decision_function(X)

    def score(self, X, y, sample_weight=None):
        """``score`` of the refitted model (mean over tasks of R² or accuracy)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    del _has

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = self._estimator_class().__sklearn_tags__()
        tags.input_tags = base.input_tags
        tags.target_tags = base.target_tags
        if base.classifier_tags is not None:
            tags.classifier_tags = base.classifier_tags
        return tags


class RegressorCV(RegressorMixin, MultiTaskCV):
    """Base of the cross-validated regressors."""

    # the mixin's ``score`` (scikit-learn's R² on every entry) comes first in
    # the MRO; the refitted model's own score skips the missing targets
    score = MultiTaskCV.score


class ClassifierCV(ClassifierMixin, MultiTaskCV):
    """Base of the cross-validated classifiers."""

    score = MultiTaskCV.score


# --------------------------------------------------------------------------
# Signature and docstring, made from the estimator's
# --------------------------------------------------------------------------


def _make_init(cls):
    base = inspect.signature(cls._estimator_class.__init__).parameters
    names = cls._estimator_parameters()
    defaults = {name: base[name].default for name in names}
    defaults.update({k: v for k, v in cls._overrides.items() if k in defaults})
    if cls._second is not None:
        defaults[cls._second] = cls._second_default
    defaults = {"alphas": None, "eps": cls._eps, **defaults, "cv": None,
                "scoring": None, "n_jobs": None}
    keyword = inspect.Parameter.KEYWORD_ONLY
    signature = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(n, keyword, default=d) for n, d in defaults.items()]
    )

    def __init__(self, **params):
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise TypeError(
                f"{cls.__name__}.__init__() got unexpected keyword argument(s) "
                f"{unknown}."
            )
        for name, default in defaults.items():
            setattr(self, name, params.get(name, default))

    __init__.__signature__ = signature
    __init__.__qualname__ = f"{cls.__name__}.__init__"
    __init__.__doc__ = f"See :class:`{cls.__name__}`."
    return __init__


def _grid_text(cls):
    est = cls._estimator_class()
    if _paths.has_alpha_max(est, cls._parameter) and len(est._sparsity_parameters) > 1:
        grid = (
            "``alphas_`` descends on a log scale from the conditional "
            "``alpha_max`` (:func:`skmtl.model_selection.conditional_alpha_max` "
            "on the data given to ``fit``: the smallest strength at which its "
            "part is zero, the other strengths as set; above it the solution does "
            "not change) to ``eps`` times it"
        )
    elif _paths.has_alpha_max(est, cls._parameter):
        grid = (
            "``alphas_`` descends on a log scale from ``alpha_max`` (:func:`skmtl."
            "alpha_max` on the data given to ``fit``: every coefficient is zero "
            "there) to ``eps * alpha_max``"
        )
    else:
        grid = (
            f"The model has no ``alpha_max``; ``alphas_`` descends on a log scale "
            f"from ``{cls._top:g} * s`` to ``eps`` times that, ``s`` the mean "
            "variance of the features within each task "
            "(:func:`skmtl.model_selection.data_scale`, 1 on standardised features)"
        )
    return f"{grid}. {cls._grid_reason}".strip()


def _override_text(cls):
    if not cls._overrides:
        return ""
    values = ", ".join(f"``{k}={v!r}``" for k, v in cls._overrides.items())
    return f"; except {values}: {cls._override_reason}"


def _path_text(cls):
    if issubclass(cls._estimator_class, _paths._MultiTaskLinearModel):
        return ("warm-started from one strength to the next on data validated "
                "once: one quadratic model per fold, or one set of "
                "decompositions per fold for the quadratic models")
    return ("a fit per strength from the model's own start, as "
            "``GridSearchCV`` makes them")


def _make_doc(cls):
    name = cls._estimator_class.__name__
    kind = "classifier" if issubclass(cls, ClassifierMixin) else "regressor"
    second = ""
    relative = (
        ", as a fraction of its ``alpha_max`` (:func:`skmtl.alpha_max`: from 1 "
        "on, every coefficient is zero)" if cls._second_relative else "")
    if cls._second is not None:
        second = f"""
    {cls._second} : float or list of float, default={cls._second_default!r}
        The estimator's ``{cls._second}``{relative}; a list is searched
        too (every value with its own path over ``alphas``, as ``l1_ratio``
        in ``ElasticNetCV``); the chosen value is ``{cls._second}_``."""
    second_attr = ""
    if cls._second is not None:
        second_attr = f"""
    {cls._second}_ : float
        The chosen ``{cls._second}`` (absolute)."""
    shape = "(n_alphas,)" if cls._second is None else (
        f"(n_alphas,), or (n_{cls._second}, n_alphas) when ``{cls._second}`` "
        "is a list")
    default_scoring = "``'neg_log_loss'``" if kind == "classifier" else "``'r2'``"
    labels = ""
    if kind == "classifier":
        labels = "    >>> Y = (Y > 0).astype(int)  # labels\n"
    reason = (
        "defined on folds where a task shows one class, unlike ROC AUC, and "
        "smoother than accuracy" if kind == "classifier"
        else "scale-free per task, averaged over tasks")
    return f"""{name} with ``alpha`` chosen by cross-validation along a path.

    Fits :class:`~skmtl.{name}` (whose docstring states the objective, with
    its scaling) for every strength of a descending grid on every training
    fold ({_path_text(cls)}), scores each on the fold's test rows, picks
    the best mean score over folds and refits on all rows.

    {_grid_text(cls)}

    The other parameters are those of :class:`~skmtl.{name}` (same meaning
    and defaults{_override_text(cls)}).

    Parameters
    ----------
    alphas : int, array-like or None, default=None
        Strengths tried: an array (sorted in decreasing order), a number of
        strengths of the default grid, or None for ``{cls._n_alphas}`` of them.
    eps : float, default={cls._eps:g}
        Smallest strength of the default grid over its largest.{second}
    cv : int, splitter or iterable, default=None
        None: ``TaskStratifiedKFold(5, random_state=0)`` (every training
        fold observes every task, and every class of a classification task;
        seeded, so that a refit chooses the same strengths); an int: that
        many such folds; a splitter (called as ``cv.split(X, y)``) or
        ``(train, test)`` pairs.
    scoring : str or callable, default=None
        A name of :func:`skmtl.metrics.get_scorer_names` (scikit-learn's
        names, scored on each task's observed entries) or a callable
        ``scorer(estimator, X, Y) -> float``, greater is better. None:
        {default_scoring} ({reason}).
    n_jobs : int, default=None
        Folds (and ``{cls._second or 'second-strength'}`` values) fitted in
        parallel through joblib, so that ``joblib.parallel_backend("dask")``
        runs them on a cluster.

    Attributes
    ----------
    alpha_ : float
        The chosen strength.{second_attr}
    alphas_ : ndarray of shape {shape}
        The grid.
    scores_path_ : ndarray of shape (..., n_alphas, n_folds)
        Validation score of every strength on every fold.
    mean_score_path_, std_score_path_ : ndarray of shape (..., n_alphas)
        Their mean and standard deviation over folds.
    best_score_ : float
        Mean validation score of the chosen strengths.
    n_iter_path_ : ndarray of shape (..., n_alphas, n_folds)
        Solver iterations of every fit of the path.
    n_iter_ : int
        Iterations of the refit.
    estimator_ : {name}
        The model refitted on all rows with the chosen strengths; its fitted
        attributes (``coef_``, ``intercept_``, ``classes_``, ...) are also
        attributes of this object, and ``predict`` (``predict_proba``, ...)
        are its.

    Examples
    --------
    >>> from skmtl import {cls.__name__}
    >>> from skmtl.datasets import make_multitask_regression
    >>> X, Y = make_multitask_regression(30, 6, 3, random_state=0)
{labels}    >>> model = {cls.__name__}({cls._example}, cv=3).fit(X, Y)
    >>> model.mean_score_path_.shape
    {cls._example_shape}
    >>> bool(model.alpha_ in model.alphas_)
    True
    """


# --------------------------------------------------------------------------
# The named CV classes
# --------------------------------------------------------------------------

_RIDGE_REASON = (
    "``ridge`` defaults to 0, the base model's default: the path's penalty "
    "alone regularises."
)


class L21RegressorCV(RegressorCV):
    _estimator_class = L21Regressor
    _second = "ridge"
    _second_default = 0.0
    _grid_reason = (
        "``eps=1e-3`` and 100 strengths as scikit-learn's ``MultiTaskLassoCV``: "
        "from no feature to nearly all. " + _RIDGE_REASON
    )


class L21ClassifierCV(ClassifierCV):
    _estimator_class = L21Classifier
    _second = "ridge"
    _second_default = 0.0
    _grid_reason = L21RegressorCV._grid_reason


class TraceNormRegressorCV(RegressorCV):
    _estimator_class = TraceNormRegressor
    _second = "ridge"
    _second_default = 0.0
    _n_alphas = 30
    _grid_reason = (
        "30 strengths (each one an ADMM solve) from rank 0 to nearly full "
        "rank. " + _RIDGE_REASON
    )


class TraceNormClassifierCV(ClassifierCV):
    _estimator_class = TraceNormClassifier
    _second = "ridge"
    _second_default = 0.0
    _n_alphas = 30
    _grid_reason = TraceNormRegressorCV._grid_reason


_QUADRATIC_REASON = (
    "From ``10 s`` (the penalty ten times the loss's curvature: nearly one "
    "model for all tasks) to ``0.01 s`` (nearly independent tasks), 30 "
    "strengths; all of them are solved from one decomposition per fold."
)


class MeanRegularizedRegressorCV(RegressorCV):
    _estimator_class = MeanRegularizedRegressor
    _second = "ridge"
    _second_default = 0.0
    _n_alphas = 30
    _eps = 1e-3
    _grid_reason = _QUADRATIC_REASON


class MeanRegularizedClassifierCV(ClassifierCV):
    _estimator_class = MeanRegularizedClassifier
    _second = "ridge"
    _second_default = 0.0
    _n_alphas = 30
    _grid_reason = _QUADRATIC_REASON


_GRAPH_REASON = (
    "``l1`` defaults to 0 (the quadratic case above, the base model's "
    "default); a list of fractions of its ``alpha_max`` adds sparse paths, "
    "each strength then a working-set solve."
)


class TaskGraphRegressorCV(RegressorCV):
    _estimator_class = TaskGraphRegressor
    _second = "l1"
    _second_default = 0.0
    _second_relative = True
    _n_alphas = 30
    _grid_reason = _QUADRATIC_REASON + " " + _GRAPH_REASON


class TaskGraphClassifierCV(ClassifierCV):
    _estimator_class = TaskGraphClassifier
    _second = "l1"
    _second_default = 0.0
    _second_relative = True
    _n_alphas = 30
    _grid_reason = _QUADRATIC_REASON + " " + _GRAPH_REASON


_RELATION_REASON = (
    "20 strengths (each one an ADMM solve) from a nearly rank-one task "
    "matrix to nearly independent tasks."
)


class TaskRelationRegressorCV(RegressorCV):
    _estimator_class = TaskRelationRegressor
    _second = "ridge"
    _second_default = 0.0
    _n_alphas = 20
    _grid_reason = _RELATION_REASON


class TaskRelationClassifierCV(ClassifierCV):
    _estimator_class = TaskRelationClassifier
    _second = "ridge"
    _second_default = 0.0
    _n_alphas = 20
    _grid_reason = _RELATION_REASON


_MLP_REASON = (
    "5 strengths (networks are costly to fit), from ``1 s`` (a strong weight "
    "decay) to ``1e-4 s``, each fit from the network's own random start (one "
    "warm-started from a strongly decayed network keeps its near-zero weights)."
)


class MultiTaskMLPRegressorCV(RegressorCV):
    _estimator_class = MultiTaskMLPRegressor
    _n_alphas = 5
    _eps = 1e-4
    _top = 1.0
    _grid_reason = _MLP_REASON
    _example = "alphas=[1.0, 0.1], hidden_layer_sizes=(10,), random_state=0"
    _example_shape = "(2,)"


class MultiTaskMLPClassifierCV(ClassifierCV):
    _estimator_class = MultiTaskMLPClassifier
    _n_alphas = 5
    _eps = 1e-4
    _top = 1.0
    _grid_reason = _MLP_REASON
    _example = "alphas=[1.0, 0.1], hidden_layer_sizes=(10,), random_state=0"
    _example_shape = "(2,)"


class MultiTaskKernelRidgeCV(RegressorCV):
    _estimator_class = MultiTaskKernelRidge
    _second = "ridge"
    _second_default = 0.01
    _n_alphas = 20
    _grid_reason = (
        "20 strengths of the task coupling (each an exact solve, cubic in the "
        "observed entries: 100 cost five times as much; 600 rows took 108 s "
        "with 100). ``ridge``, the smoothness of every task's "
        "function, is the estimator's default; a list of values searches it "
        "too, which a non-linear kernel often needs more than ``alpha``."
    )


_DIRTY_REASON = (
    "The top is at most ``T * l1``; the grid goes down to 0.15 times it "
    "(``eps=0.15``, 5 strengths), where both parts are active and ADMM "
    "needs about 1,000 to 1,300 iterations per strength (measured on the "
    "synthetic data of ``python -m skmtl compare``); below, towards the "
    "shared part alone (``alpha < l1``: ``Q = 0``), it needs several "
    "thousand."
)


_PART_REASON = (
    "The other part's strength is a fraction of its own ``alpha_max`` (0.1, "
    "as the estimator's ``\"auto\"``), not a number: a fixed strength means "
    "nothing next to the targets' scale. On School's raw targets (5 folds, "
    "2026-12-01) the estimator's fixed default gave the best mean R² 0.099 "
    "(Dirty), 0.116 (RobustFeature), 0.103 (SparseLowRank) against 0.160, "
    "0.158 and 0.183 with the fraction (Dirty 5.2 -> 0.8 s, SparseLowRank "
    "28.9 -> 12.8 s, without their ConvergenceWarnings)."
)


class _DecomposedCV:
    """The second strength of a decomposed model, relative to its alpha_max."""

    _second_default = 0.1
    _second_relative = True


class DirtyRegressorCV(_DecomposedCV, RegressorCV):
    _estimator_class = DirtyRegressor
    _second = "l1"
    _eps = 0.15
    _n_alphas = 5
    _grid_reason = _DIRTY_REASON + " " + _PART_REASON


class DirtyClassifierCV(_DecomposedCV, ClassifierCV):
    _estimator_class = DirtyClassifier
    _second = "l1"
    _eps = 0.15
    _n_alphas = 5
    _grid_reason = _DIRTY_REASON + " " + _PART_REASON


class SparseLowRankRegressorCV(_DecomposedCV, RegressorCV):
    _estimator_class = SparseLowRankRegressor
    _second = "l1"
    _n_alphas = 30
    _grid_reason = "30 strengths, each one an ADMM solve. " + _PART_REASON


class SparseLowRankClassifierCV(_DecomposedCV, ClassifierCV):
    _estimator_class = SparseLowRankClassifier
    _second = "l1"
    _n_alphas = 30
    _grid_reason = SparseLowRankRegressorCV._grid_reason


class RobustFeatureRegressorCV(_DecomposedCV, RegressorCV):
    _estimator_class = RobustFeatureRegressor
    _second = "beta"
    _grid_reason = _PART_REASON


class RobustFeatureClassifierCV(_DecomposedCV, ClassifierCV):
    _estimator_class = RobustFeatureClassifier
    _second = "beta"
    _grid_reason = _PART_REASON


class RobustLowRankRegressorCV(_DecomposedCV, RegressorCV):
    _estimator_class = RobustLowRankRegressor
    _second = "beta"
    _grid_reason = _PART_REASON


class RobustLowRankClassifierCV(_DecomposedCV, ClassifierCV):
    _estimator_class = RobustLowRankClassifier
    _second = "beta"
    _grid_reason = _PART_REASON


_FUSED_REASON = (
    "``fused`` is the estimator's default unless a list is given: "
    "its values are then searched too (the strength of the differences "
    "between consecutive tasks, which only ordered tasks call for; it has "
    "no alpha_max to be relative to)."
)


class FusedTaskRegressorCV(RegressorCV):
    _estimator_class = FusedTaskRegressor
    _second = "fused"
    _second_default = 0.01
    _grid_reason = _FUSED_REASON


class FusedTaskClassifierCV(ClassifierCV):
    _estimator_class = FusedTaskClassifier
    _second = "fused"
    _second_default = 0.01
    _grid_reason = _FUSED_REASON


_NAMED = {
    cls._estimator_class: cls
    for cls in (
        DirtyRegressorCV, DirtyClassifierCV, SparseLowRankRegressorCV,
        SparseLowRankClassifierCV, RobustFeatureRegressorCV, RobustFeatureClassifierCV,
        RobustLowRankRegressorCV, RobustLowRankClassifierCV, FusedTaskRegressorCV,
        FusedTaskClassifierCV,
        L21RegressorCV, L21ClassifierCV, TraceNormRegressorCV, TraceNormClassifierCV,
        MeanRegularizedRegressorCV, MeanRegularizedClassifierCV, TaskGraphRegressorCV,
        TaskGraphClassifierCV, TaskRelationRegressorCV, TaskRelationClassifierCV,
        MultiTaskMLPRegressorCV, MultiTaskMLPClassifierCV, MultiTaskKernelRidgeCV,
    )
}
_MADE = {}


def cv_class(estimator_class, **options):
    """The cross-validated class of ``estimator_class``.

    The named class (e.g. :class:`L21RegressorCV`) when there is one; else a
    class made here (and kept) from the estimator: any estimator class with
    an ``alpha``, ``get_params`` and, if ``alpha`` zeroes its coefficients,
    ``"alpha"`` in its ``_sparsity_parameters``. ``options`` set the class attributes
    of :class:`MultiTaskCV` (``_second``, ``_n_alphas``, ...).

    Examples
    --------
    >>> from skmtl import L21Regressor, L21RegressorCV
    >>> from skmtl.model_selection import cv_class
    >>> cv_class(L21Regressor) is L21RegressorCV
    True
    """
    if not options and estimator_class in _NAMED:
        return _NAMED[estimator_class]
    key = (estimator_class, tuple(sorted(options.items())))
    if key not in _MADE:
        base = ClassifierCV if is_classifier(estimator_class()) else RegressorCV
        name = f"{estimator_class.__name__}CV"
        attributes = {"_estimator_class": estimator_class, "__doc__": None,
                      "__module__": __name__, "__qualname__": name, **options}
        _MADE[key] = made = type(name, (base,), attributes)
        if not options and name not in globals():
            globals()[name] = made  # importable here, so that it pickles
    return _MADE[key]


def cv_classes():
    """``{name: class}``: the CV class of every model of the registry
    (:data:`skmtl._registry.FAMILIES`) and of the networks.

    Made when this module is imported (so that every process that imports
    it, e.g. a joblib worker, knows them); a model added to the registry
    gets its CV class here without another line.

    Examples
    --------
    >>> from skmtl._cv import cv_classes
    >>> "L21RegressorCV" in cv_classes()
    True
    """
    from ._registry import estimator_classes

    classes = [*estimator_classes().values(), MultiTaskMLPRegressor,
               MultiTaskMLPClassifier]
    return {cv.__name__: cv for cv in map(cv_class, classes)}


cv_classes()


def _batch_predictions(X, Ws, bs):
    """``X @ W_k + b_k`` for every ``k``: (n_points, n_samples, n_columns),
    from one product with the stacked coefficients."""
    n_points, d, T = Ws.shape
    stacked = np.moveaxis(Ws, 0, 1).reshape(d, n_points * T)
    P = X @ stacked
    P = np.asarray(P.toarray() if sp.issparse(P) else P)
    return P.reshape(X.shape[0], n_points, T).transpose(1, 0, 2) + bs[:, None, :]
