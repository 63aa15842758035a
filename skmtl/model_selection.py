"""Does multi-task learning help? Cross-validated comparison, task by task.

:func:`compare` fits every estimator on the same cross-validation splits and
scores each task on the observed entries of each test fold. The
:class:`Comparison` it returns says, for every estimator, on how many tasks
it beats a baseline (usually :class:`~skmtl.SingleTaskBaseline`), the mean
gain over tasks with a confidence interval, and whether the difference is
significant over tasks (by default a paired sign-flip permutation test over
tasks, exact for up to 20 tasks, on scale-free relative differences; see
:class:`Comparison`), as numbers, sentences, a text table, a CSV or pandas
table and a plot.

Splitting stacked data
----------------------
With stacked targets a row is one sample, observed by one task (each task
with its own rows) or by several (shared rows). Data sets stacked task by
task (:func:`~skmtl.datasets.stack_tasks`, School, Landmine) list the rows of
task 0, then those of task 1, and so on. scikit-learn's default folds break
on them:

* ``cv=5`` in :class:`~sklearn.model_selection.GridSearchCV` or
  :func:`~sklearn.model_selection.cross_validate` is an *unshuffled*
  :class:`~sklearn.model_selection.KFold`: each test fold is a block of
  consecutive rows, so whole tasks vanish from training folds, the fits fail
  (a task without an observed target) and the search chooses among ``NaN``
  scores;
* a shuffled ``KFold`` keeps every task, but a small task can get no (or one)
  row in a test fold, where its score is undefined, and folds are unbalanced
  between tasks;
* :class:`~sklearn.model_selection.StratifiedKFold` stratifies one label per
  row, so it cannot balance rows observed by several tasks, nor classes
  within tasks.

:class:`TaskStratifiedKFold` spreads each task's observed rows, and the rows
of each class of a classification task, evenly over the folds, each row in
one test fold; :func:`task_train_test_split` draws a training set with a
number (or fraction) of rows per task. Both assign rows by iterative
stratification: every row belongs to one stratum per task it observes (the
task, or the task and its class), the strata are visited from the rarest,
and a row goes to the fold that still lacks most rows of the stratum being
visited, its other strata being counted too, so that shared rows keep every
task balanced. An integer ``cv`` in :func:`compare` is a shuffled
:class:`TaskStratifiedKFold`. The one-line fix for a grid search::

    GridSearchCV(estimator, grid, scoring=skmtl.metrics.get_scorer("r2"),
                 cv=TaskStratifiedKFold())

(scikit-learn's scorer strings such as ``scoring="r2"`` cannot score targets
with missing entries either; see :mod:`skmtl.metrics`.)
"""

import numbers
import sys
import time
import warnings
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_consistent_length, has_fit_parameter

from . import _stats, metrics
from ._cv import (
    L21ClassifierCV,
    L21RegressorCV,
    MeanRegularizedClassifierCV,
    MeanRegularizedRegressorCV,
    MultiTaskCV,
    MultiTaskMLPClassifierCV,
    MultiTaskMLPRegressorCV,
    TaskGraphClassifierCV,
    TaskGraphRegressorCV,
    TaskRelationClassifierCV,
    TaskRelationRegressorCV,
    TraceNormClassifierCV,
    TraceNormRegressorCV,
    cv_class,
    cv_classes,
)
from ._metrics_utils import read_targets
from ._paths import (
    alpha_grid,
    conditional_alpha_max,
    data_scale,
    l21_path,
    mean_regularized_path,
    regularization_path,
    task_relation_path,
    trace_norm_path,
)
from ._splitters import (
    TaskStratifiedKFold,
    _is_labels,
    observed_entries,
    task_train_test_split,
)
from .baselines import PooledBaseline, SingleTaskBaseline
from .estimators import alpha_max

__all__ = [
    "Comparison",
    "L21ClassifierCV",
    "L21RegressorCV",
    "MeanRegularizedClassifierCV",
    "MeanRegularizedRegressorCV",
    "MultiTaskCV",
    "MultiTaskMLPClassifierCV",
    "MultiTaskMLPRegressorCV",
    "RelativeAlpha",
    "TaskGraphClassifierCV",
    "TaskGraphRegressorCV",
    "TaskRelationClassifierCV",
    "TaskRelationRegressorCV",
    "TaskStratifiedKFold",
    "TraceNormClassifierCV",
    "TraceNormRegressorCV",
    "alpha_grid",
    "compare",
    "conditional_alpha_max",
    "cv_class",
    "data_scale",
    "default_models",
    "l21_path",
    "mean_regularized_path",
    "regularization_path",
    "task_relation_path",
    "task_train_test_split",
    "trace_norm_path",
]
globals().update(cv_classes())  # models registered without a named CV class
__all__ = sorted({*__all__, *cv_classes(), "cv_classes"})

_WIN, _TIE, _LOSS = "#2166ac", "#a0a0a0", "#d6604d"


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------


class _TaskScorer:
    """``scorer(estimator, X, Y, sample_weight=None)`` -> one score per task.

    Built from a scorer name of :mod:`skmtl.metrics` (its metric with
    ``multioutput="raw_values"``). For the pooled ``explained_variance_mtl``
    the task scores are the task shares of the pooled statistic (see
    :func:`compare`) and :meth:`pooled` gives the pooled value.
    """

    def __init__(self, name):
        spec = metrics._SPECS[name]
        self.name, self.best, self.kwargs = name, spec.best, dict(spec.kwargs)
        self.metric = spec.metric
        self.responses = (
            (spec.response,) if isinstance(spec.response, str) else spec.response
        )
        self.sign = 1.0 if spec.greater_is_better else -1.0
        self.is_pooled = spec.metric is metrics.explained_variance_mtl

    def _respond(self, estimator, X):
        method = next((m for m in self.responses if hasattr(estimator, m)), None)
        if method is None:
            raise ValueError(
                f"scoring={self.name!r} needs an estimator with "
                f"{' or '.join(self.responses)}; {type(estimator).__name__} has none."
            )
        return method, getattr(estimator, method)(X)

    def pooled(self, estimator, X, Y, sample_weight=None):
        """``(task scores, pooled score)``; the pooled score is None unless the
        metric pools the tasks."""
        method, output = self._respond(estimator, X)
        if self.is_pooled:
            return metrics._explained_variance_shares(Y, output, sample_weight)
        kwargs = dict(self.kwargs, multioutput="raw_values")
        if method != "predict" and hasattr(estimator, "classes_"):
            kwargs["classes"] = estimator.classes_
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        scores = self.metric(Y, output, **kwargs)
        return self.sign * np.asarray(scores, dtype=float), None

    def __call__(self, estimator, X, Y, sample_weight=None):
        return self.pooled(estimator, X, Y, sample_weight)[0]


def _check_scoring(scoring, classifier):
    """Return ``(scorer, label)``; ``label`` names the score in the reports."""
    if scoring is None:
        scoring = "roc_auc" if classifier else "r2"
    if callable(scoring):
        return scoring, getattr(scoring, "__name__", "score")
    if isinstance(scoring, str) and scoring in metrics._SPECS:
        if (scoring in metrics._CLASSIFICATION) != bool(classifier):
            kind = "classifiers" if classifier else "regressors"
            raise ValueError(
                f"scoring={scoring!r} does not apply to {kind}; the names for "
                f"{kind} are {_scoring_names(classifier)}."
            )
        return _TaskScorer(scoring), scoring
    raise ValueError(
        f"scoring must be one of {sorted(metrics._SPECS)} or a callable "
        f"(estimator, X, Y) -> per-task scores; got {scoring!r}."
    )


def _scoring_names(classifier):
    """Scorer names of :mod:`skmtl.metrics` for classifiers or regressors."""
    return sorted(
        name
        for name in metrics._SPECS
        if (name in metrics._CLASSIFICATION) == bool(classifier)
    )


def _task_scores(scorer, estimator, X, Y, sample_weight, n_tasks):
    """``(per-task scores, pooled score or None)`` of a fitted estimator."""
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    with warnings.catch_warnings():
        # undefined task scores are expected in CV folds; compare reports them once
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        if isinstance(scorer, _TaskScorer):
            scores, pooled = scorer.pooled(estimator, X, Y, **kwargs)
        else:
            scores, pooled = scorer(estimator, X, Y, **kwargs), None
    scores = np.asarray(scores, dtype=float)
    if scores.shape != (n_tasks,):
        raise ValueError(
            f"scoring returned an array of shape {scores.shape}; it must return one "
            f"score per task, shape ({n_tasks},). A scikit-learn scorer (or one of "
            "skmtl.metrics.get_scorer) returns one number for all tasks; give "
            "compare a scorer name instead, e.g. scoring='r2'."
        )
    return scores, pooled


def _search_warning(estimator, name, split):
    """A message if ``estimator`` is a fitted search that chose among ``NaN``
    validation scores (the symptom of scikit-learn's folds or scorers on
    stacked targets), else None."""
    results = getattr(estimator, "cv_results_", None)
    if not isinstance(results, Mapping) or "mean_test_score" not in results:
        return None
    scores = np.asarray(results["mean_test_score"], dtype=float)
    if not np.isnan(scores).any():
        return None
    hints = []
    if isinstance(getattr(estimator, "scoring", None), str):
        hints.append(
            f"scoring={estimator.scoring!r} is scikit-learn's scorer, which cannot "
            f"skip missing targets: use skmtl.metrics.get_scorer({estimator.scoring!r})"
        )
    cv = getattr(estimator, "cv", None)
    if cv is None or isinstance(cv, numbers.Integral) or type(cv).__name__ == "KFold":
        hints.append(
            f"cv={cv!r} can leave tasks out of training folds: use "
            "cv=skmtl.model_selection.TaskStratifiedKFold()"
        )
    return (
        f"compare: the search {name!r} got NaN validation scores for "
        f"{int(np.isnan(scores).sum())} of {scores.size} candidates on split {split} "
        "and chose among them; its results are unreliable. "
        + ("; ".join(hints) + "." if hints else "See skmtl.model_selection.")
    )


# --------------------------------------------------------------------------
# A penalty relative to alpha_max
# --------------------------------------------------------------------------


def _inner_has(method):
    return lambda self: hasattr(self.estimator, method)


class RelativeAlpha(MetaEstimatorMixin, BaseEstimator):
    """``estimator`` with its penalty set to ``ratio * alpha_max`` at each fit.

    At ``fit``, the parameter ``param`` of a clone of ``estimator`` is set to
    ``ratio * skmtl.alpha_max(estimator, X, Y)`` computed on the training
    data, then the clone is fitted. A grid search over ``ratio`` then tunes
    the penalty on a scale that does not depend on the data (``ratio=1``: all
    coefficients zero), without looking at the validation rows; the nested
    parameters stay reachable as ``estimator__<name>``.

    Parameters
    ----------
    estimator : estimator object
        A model accepted by :func:`skmtl.alpha_max` (one with a sparsity
        parameter: L2,1, trace norm, task graph with ``l1``).
    ratio : float, default=0.1
        Penalty as a fraction of ``alpha_max``, > 0.
    param : str, default="alpha"
        The parameter set, e.g. ``"l1"`` for ``TaskGraphRegressor``.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone.
    alpha_max_ : float
        ``alpha_max`` of the training data.
    classes_ : list of ndarray
        Of the fitted clone (classifiers only).

    Examples
    --------
    >>> from skmtl import L21Regressor
    >>> from skmtl.datasets import make_multitask_regression
    >>> from skmtl.model_selection import RelativeAlpha
    >>> X, Y = make_multitask_regression(40, 10, 3, random_state=0)
    >>> model = RelativeAlpha(L21Regressor(), ratio=0.2).fit(X, Y)
    >>> bool(model.estimator_.alpha == 0.2 * model.alpha_max_)
    True
    """

    def __init__(self, estimator, ratio=0.1, param="alpha"):
        self.estimator = estimator
        self.ratio = ratio
        self.param = param

    def fit(self, X, y, **fit_params):
        """Set ``param`` to ``ratio * alpha_max(X, y)`` and fit a clone."""
        if not (isinstance(self.ratio, numbers.Real) and self.ratio > 0):
            raise ValueError(f"ratio must be a positive number; got {self.ratio!r}.")
        self.alpha_max_ = float(alpha_max(self.estimator, X, y))
        model = clone(self.estimator).set_params(
            **{self.param: self.ratio * self.alpha_max_}
        )
        self.estimator_ = model.fit(X, y, **fit_params)
        if hasattr(model, "classes_"):
            self.classes_ = model.classes_
        if hasattr(model, "n_features_in_"):
            self.n_features_in_ = model.n_features_in_
        return self

    def predict(self, X):
        """The fitted clone's prediction."""
        return self.estimator_.predict(X)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X):
        """The fitted clone's probabilities."""
        return self.estimator_.predict_proba(X)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X):
        """The fitted clone's decision function."""
        return self.estimator_.decision_function(X)

    def score(self, X, y, sample_weight=None):
        """The fitted clone's ``score``."""
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        return self.estimator.__sklearn_tags__()


# --------------------------------------------------------------------------
# Checking the arguments of compare
# --------------------------------------------------------------------------


def default_models(classification=False):
    """The models of a tuned comparison: every multi-task model, cross-validated.

    Every model of the package's list of models (``skmtl/_registry.py``) as
    its cross-validated estimator (:func:`cv_class`, on its defaults: the
    strengths chosen on the training rows of each split), then a
    single-task and a pooled baseline, each tuned too: ``RidgeCV`` over
    ``alphas = 10^-3 ... 10^3`` (13 values) for regression,
    ``LogisticRegressionCV`` over ``C = 10^-2 ... 10^2`` (5 values, 3 folds,
    log-loss) for classification.

    Parameters
    ----------
    classification : bool, default=False

    Returns
    -------
    models : dict of str to estimator
        Keyed by class name (``"L21RegressorCV"``, ...), then
        ``"SingleTask(RidgeCV)"`` and ``"Pooled(RidgeCV)"`` (or
        ``LogisticRegressionCV``).

    Examples
    --------
    >>> from skmtl.model_selection import default_models
    >>> list(default_models())[:2]
    ['L21RegressorCV', 'TraceNormRegressorCV']
    """
    from sklearn.linear_model import LogisticRegressionCV, RidgeCV

    from ._registry import FAMILIES

    models = {}
    for family in FAMILIES:
        if family.cls(classification) is None:
            continue  # a model of the other kind only
        cls = cv_class(family.cls(classification))
        models[cls.__name__] = cls()
    if classification:
        inner = LogisticRegressionCV(Cs=np.logspace(-2, 2, 5), cv=3,
                                     scoring="neg_log_loss", max_iter=1000)
    else:
        inner = RidgeCV(alphas=np.logspace(-3, 3, 13))
    label = type(inner).__name__
    models[f"SingleTask({label})"] = SingleTaskBaseline(inner)
    models[f"Pooled({label})"] = PooledBaseline(clone(inner))
    return models


def _holds_labels(Y):
    """Whether stacked targets are class labels (TaskStratifiedKFold's rule)."""
    values = observed_entries(Y)[2]
    return bool(values.size) and _is_labels(values)


def _check_estimators(estimators):
    if not isinstance(estimators, Mapping) or not estimators:
        raise TypeError(
            "estimators must be a non-empty dict mapping names to estimators, e.g. "
            "{'L21': L21Regressor(), 'single-task': SingleTaskBaseline(Ridge())}."
        )
    for name, estimator in estimators.items():
        if not isinstance(name, str) or not hasattr(estimator, "fit"):
            raise TypeError(
                f"estimators[{name!r}] must be an estimator (with fit) under a str "
                f"name; got {type(estimator).__name__}."
            )
    kinds = {name: is_classifier(est) for name, est in estimators.items()}
    if len(set(kinds.values())) > 1:
        classifiers = [name for name, is_clf in kinds.items() if is_clf]
        raise ValueError(
            "estimators mixes classifiers and regressors; compare one kind at a time "
            f"(classifiers: {classifiers})."
        )
    return dict(estimators), next(iter(kinds.values()))


def _check_baseline(baseline, estimators):
    if baseline is None:
        single = [n for n, e in estimators.items() if isinstance(e, SingleTaskBaseline)]
        return single[0] if single else next(iter(estimators))
    if baseline not in estimators:
        raise ValueError(
            f"baseline={baseline!r} is not a key of estimators {list(estimators)}."
        )
    return baseline


def _reference(estimator, name):
    """How the verdict names the baseline."""
    if isinstance(estimator, SingleTaskBaseline):
        return "the single-task baseline"
    if isinstance(estimator, PooledBaseline):
        return "the pooled baseline"
    return name


def _check_splits(cv, X, Y, random_state, classifier, groups=None):
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 folds; got {cv}.")
        cv = TaskStratifiedKFold(
            int(cv), random_state=random_state, labels=bool(classifier)
        )
    # groups only when given: a user's splitter may take just (X, y)
    arguments = (X, Y) if groups is None else (X, Y, groups)
    splits = list(cv.split(*arguments)) if hasattr(cv, "split") else list(cv)
    if not splits:
        raise ValueError("cv gave no (train, test) split.")
    out = []
    for k, split in enumerate(splits):
        try:
            train, test = (np.asarray(part) for part in split)
        except (TypeError, ValueError):
            raise ValueError(
                f"cv: split {k} is not a (train, test) pair of index arrays."
            ) from None
        if train.size == 0 or test.size == 0:
            raise ValueError(f"cv: split {k} has an empty train or test set.")
        out.append((train, test))
    return out


# --------------------------------------------------------------------------
# Fitting in parallel
# --------------------------------------------------------------------------


def _fit_and_score(estimator, X, Y, sample_weight, split, scorer, n_tasks, key,
                   groups=None):
    """Fit on the train rows, score each task on the test rows.

    Returns ``(key, scores, pooled, fit_time, message)``; ``message`` is the
    warning of :func:`_search_warning` or None.
    """
    train, test = split
    fit_params = {}
    if sample_weight is not None:
        fit_params["sample_weight"] = _safe_indexing(sample_weight, train)
    if groups is not None and has_fit_parameter(estimator, "groups"):
        fit_params["groups"] = groups[train]
    start = time.perf_counter()
    try:
        estimator.fit(_safe_indexing(X, train), _safe_indexing(Y, train), **fit_params)
    except Exception as exc:
        if hasattr(exc, "add_note"):
            exc.add_note(f"(while compare fitted {key[0]!r} on split {key[1]})")
        raise
    fit_time = time.perf_counter() - start
    test_weight = None if sample_weight is None else _safe_indexing(sample_weight, test)
    scores, pooled = _task_scores(
        scorer,
        estimator,
        _safe_indexing(X, test),
        _safe_indexing(Y, test),
        test_weight,
        n_tasks,
    )
    message = _search_warning(estimator, *key)
    return key, scores, pooled, fit_time, message


class _Progress:
    """Called once per finished fit: prints a line, or calls the user's hook."""

    def __init__(self, verbose, total, n_splits, label):
        self.verbose, self.total, self.n_splits = verbose, total, n_splits
        self.label, self.done, self.start = label, 0, time.perf_counter()

    def __call__(self, name, split, scores, fit_time):
        self.done += 1
        info = dict(
            estimator=name,
            split=split,
            n_splits=self.n_splits,
            done=self.done,
            total=self.total,
            fit_time=fit_time,
            scores=scores,
            elapsed=time.perf_counter() - self.start,
        )
        if callable(self.verbose):
            self.verbose(info)
        elif self.verbose:
            mean = _nanmean(scores, axis=0)
            width = len(str(self.total))
            print(
                f"[compare {self.done:>{width}}/{self.total}] {name}, split "
                f"{split + 1}/{self.n_splits}: fit {fit_time:.2f} s, mean "
                f"{self.label} {mean:.3f} ({info['elapsed']:.1f} s elapsed)",
                file=sys.stderr,
                flush=True,
            )


def _warn_undefined(scores):
    undefined = np.any([np.isnan(s) for s in scores.values()], axis=0)
    if undefined.any():
        warnings.warn(
            f"compare: {int(undefined.sum())} of the {undefined.size} (split, task) "
            "scores are undefined (NaN) for at least one estimator, e.g. a task with "
            "no observed entry in a test fold, or with one class only for ROC AUC. "
            "They are left out of the means over splits.",
            UndefinedMetricWarning,
            stacklevel=3,
        )


def compare(
    estimators=None,
    X=None,
    Y=None,
    *,
    cv=5,
    scoring=None,
    baseline=None,
    n_jobs=None,
    sample_weight=None,
    groups=None,
    verbose=0,
    random_state=None,
    tie_tolerance=1e-4,
    test="permutation",
    difference="auto",
    confidence_level=0.95,
    n_resamples=9999,
):
    """Cross-validate estimators task by task and compare them with a baseline.

    Every estimator (a clone) is fitted on the same training rows of each
    split; each task is scored on the observed entries of the test rows.
    Fits run in parallel over (estimator, split) pairs.

    Parameters
    ----------
    estimators : dict of str to estimator, or None
        Multi-task models and baselines (all regressors or all classifiers),
        e.g. cross-validated models (:class:`~skmtl.L21RegressorCV`, ...,
        or ``GridSearchCV`` with a scorer of :mod:`skmtl.metrics`),
        :class:`~skmtl.SingleTaskBaseline`, :class:`~skmtl.PooledBaseline`.
        None: :func:`default_models`, every multi-task model tuned by its CV
        estimator against tuned single-task and pooled baselines (for
        classification when ``Y`` holds labels: strings, booleans, or
        integers with at most 10 distinct values), so that a tuned
        comparison is ``compare(None, X, Y)``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Y : array-like or sparse matrix of shape (n_samples, n_tasks)
        Stacked targets, ``NaN`` (``None`` for labels) where a task does not
        observe a row, or a scipy sparse matrix whose stored entries are the
        observed targets (the estimators must accept it). A DataFrame's
        columns name the tasks.
    cv : int, splitter or iterable of (train, test), default=5
        An int is a :class:`TaskStratifiedKFold` (shuffled with
        ``random_state``, stratified by class for classifiers; see the module
        docstring); a splitter
        is called as ``cv.split(X, Y)``. Every estimator gets the same splits.
    scoring : str or callable, default=None
        A scorer name of :func:`skmtl.metrics.get_scorer_names` for the kind
        of estimator: ``"r2"`` (default for regressors),
        ``"explained_variance"``, ``"neg_mean_squared_error"``,
        ``"neg_root_mean_squared_error"``, ``"neg_mean_absolute_error"``,
        ``"neg_normalized_mean_squared_error"``, ``"explained_variance_mtl"``;
        ``"roc_auc"`` (default for classifiers), ``"roc_auc_ovr"``,
        ``"accuracy"``, ``"balanced_accuracy"``, ``"f1"``, ``"f1_macro"``,
        ``"f1_micro"``, ``"f1_weighted"``, ``"neg_log_loss"``: the metric of
        :mod:`skmtl.metrics` on each task's observed test entries, signed so
        that greater is better. A callable ``scoring(estimator,
        X_test, Y_test)`` must return an array of ``n_tasks`` scores, greater
        is better (it also gets ``sample_weight=`` if given).
    baseline : str, default=None
        Key of the reference estimator; default: the first
        :class:`~skmtl.SingleTaskBaseline` in ``estimators``, else the first
        entry.
    n_jobs : int, default=None
        Number of parallel jobs (joblib); ``-1`` uses all processors.
    sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks), \
default=None
        Passed to each ``fit`` (training rows) and to the scoring (test rows).
    groups : array-like of shape (n_samples,), default=None
        Group labels of the rows (subjects, sites), for a group splitter given
        as ``cv`` (``GroupKFold``, ``LeaveOneGroupOut``, ...): passed to
        ``cv.split``, and, with the training rows' labels, to the ``fit`` of
        every estimator whose ``fit`` takes ``groups`` (the CV classes, whose
        inner folds then respect the groups if their ``cv`` is a group
        splitter too).
    verbose : int, bool or callable, default=0
        If true, print one line per finished fit to stderr. A callable is
        called after each fit with a dict (``estimator``, ``split``,
        ``n_splits``, ``done``, ``total``, ``fit_time``, ``scores``,
        ``elapsed``).
    random_state : int or None, default=None
        Shuffling of the folds when ``cv`` is an int, and seed of the Monte
        Carlo test and of the bootstrap interval (0 if None).
    tie_tolerance : float, default=1e-4
        A task is a tie when the mean scores differ by at most
        ``tie_tolerance * max(1, |baseline score|)``.
    test : {"permutation", "bootstrap", "wilcoxon"}, default="permutation"
        Paired two-sided test over tasks of the per-task differences (see
        :class:`Comparison`): the sign-flip permutation test of their mean
        (exact for up to 20 tasks), the bootstrap test of their mean, or the
        Wilcoxon signed-rank test.
    difference : {"auto", "relative", "absolute"}, default="auto"
        Scale of the per-task differences that the test, the effect size and
        the verdict use. ``"relative"``: the share of the baseline's distance
        to the best possible score that the estimator closes,
        ``(s - s_base) / (best - s_base)`` (for a loss, ``1 - loss /
        loss_base``; for R², the share of the baseline's unexplained
        variance), which does not change when a task's targets are rescaled
        and is the same for MSE, RMSE-squared and normalised MSE.
        ``"absolute"``: ``s - s_base`` in the metric's units. ``"auto"``:
        relative for the scorer names, absolute for a callable ``scoring``.
    confidence_level : float, default=0.95
        Of the bootstrap interval of the mean difference over tasks.
    n_resamples : int, default=9999
        Random sign patterns (permutation test beyond 20 tasks) and bootstrap
        resamples.

    Returns
    -------
    comparison : Comparison
        Per-split, per-task scores and everything derived from them.

    Notes
    -----
    With ``scoring="explained_variance_mtl"`` (one pooled statistic for all
    tasks) the table reports the pooled value per split, and the per-task
    comparison uses each task's share ``1 - SSE_t / (n_t V)`` of it, with
    ``V`` the pooled variance of the test targets: the row-weighted mean of
    the task shares is the pooled value.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from skmtl import L21Regressor, SingleTaskBaseline
    >>> from skmtl.datasets import make_multitask_regression
    >>> from skmtl.model_selection import compare
    >>> X, Y = make_multitask_regression(
    ...     25, 30, 12, noise=0.3, shared_rows=False, random_state=0)
    >>> models = {"L21": L21Regressor(alpha=0.3),
    ...           "ridge": SingleTaskBaseline(Ridge())}
    >>> result = compare(models, X, Y, cv=3, random_state=0)
    >>> result.scores["L21"].shape  # (n_splits, n_tasks)
    (3, 12)
    >>> print(result.verdict())  # doctest: +ELLIPSIS
    L21 beats the single-task baseline on 12 of 12 tasks (mean relative gain +...).
    """
    if X is None or Y is None:
        raise TypeError("compare needs the data: compare(estimators, X, Y).")
    if estimators is None:
        estimators = default_models(_holds_labels(Y))
    estimators, classifier = _check_estimators(estimators)
    baseline = _check_baseline(baseline, estimators)
    scorer, label = _check_scoring(scoring, classifier)
    check_consistent_length(X, Y, sample_weight, groups)
    groups = None if groups is None else np.asarray(groups)
    if sp.issparse(Y) and Y.format not in ("csr", "csc"):
        Y = Y.tocsr()  # stored entries are the observed targets; rows indexable
    task_names = read_targets(Y, "Y")[2]
    splits = _check_splits(cv, X, Y, random_state, classifier, groups)
    n_splits, n_tasks = len(splits), len(task_names)
    progress = _Progress(verbose, len(estimators) * n_splits, n_splits, label)
    jobs = (
        delayed(_fit_and_score)(
            clone(est), X, Y, sample_weight, split, scorer, n_tasks, (name, k),
            groups,
        )
        for name, est in estimators.items()
        for k, split in enumerate(splits)
    )
    results, messages = {}, []
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for key, scores, pooled, fit_time, message in parallel(jobs):
        results[key] = scores, pooled, fit_time
        messages += [message] if message else []
        progress(key[0], key[1], scores, fit_time)
    for message in messages:
        warnings.warn(message, UserWarning, stacklevel=2)
    gathered = {n: [results[n, k] for k in range(n_splits)] for n in estimators}
    scores = {n: np.vstack([r[0] for r in gathered[n]]) for n in estimators}
    fit_time = {n: np.array([r[2] for r in gathered[n]]) for n in estimators}
    pooled = None
    if getattr(scorer, "is_pooled", False):
        pooled = {n: np.array([r[1] for r in gathered[n]]) for n in estimators}
    _warn_undefined(scores)
    return Comparison(
        scores,
        fit_time,
        task_names,
        baseline,
        scoring=label,
        reference=_reference(estimators[baseline], baseline),
        tie_tolerance=tie_tolerance,
        pooled_scores=pooled,
        best_score=getattr(scorer, "best", None),
        test=test,
        difference=difference,
        confidence_level=confidence_level,
        n_resamples=n_resamples,
        random_state=0 if random_state is None else random_state,
    )


# --------------------------------------------------------------------------
# Statistics without warnings on empty slices
# --------------------------------------------------------------------------


def _nanmean(a, axis):
    a = np.asarray(a, dtype=float)
    defined = ~np.isnan(a)
    count = defined.sum(axis=axis)
    total = np.where(defined, a, 0.0).sum(axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _nanstd(a, axis):
    a = np.asarray(a, dtype=float)
    mean = np.expand_dims(_nanmean(a, axis), axis)
    defined = ~np.isnan(a)
    count = defined.sum(axis=axis)
    squares = np.where(defined, (a - np.where(np.isnan(mean), 0.0, mean)) ** 2, 0.0)
    return np.where(
        count > 0, np.sqrt(squares.sum(axis=axis) / np.maximum(count, 1)), np.nan
    )


def _format_p(p):
    if np.isnan(p):
        return "-"
    if p < 1e-3:
        return f"{p:.0e}".replace("e-0", "e-")
    return f"{p:.2g}"


def _format_score(value):
    return "nan" if np.isnan(value) else f"{value:.3f}"


# --------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------


_TESTS = ("permutation", "bootstrap", "wilcoxon")
_LONG_COLUMNS = (
    "task",
    "estimator",
    "mean",
    "std",
    "n_splits",
    "difference",
    "relative_difference",
    "outcome",
)


def _is_nan(value):
    return isinstance(value, (float, np.floating)) and np.isnan(value)


def _csv_value(value):
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, np.integer):
        return int(value)
    return value


_DIFFERENCES = ("auto", "relative", "absolute")


class Comparison:
    """Cross-validated per-task scores of several estimators and a baseline.

    Returned by :func:`compare`. Scores are "greater is better"; a task's
    score of an estimator is its mean over the splits in which it is defined.

    Per task, an estimator *wins* (or *loses*) when its mean score is above
    (below) the baseline's beyond the tie tolerance. Over tasks, a paired
    two-sided test of the per-task differences says whether the estimator is
    better or worse than the baseline: "beats" needs ``p < 0.05`` and a
    positive mean difference, "is worse than" ``p < 0.05`` and a negative
    one. The tasks are the units of the test (the splits of a
    cross-validation share their rows, so they are not independent), which
    bounds the p-value from below: with ``T`` tasks no sign-flip or
    signed-rank test can go below ``2 / 2^T`` (0.016 for 7 tasks); the
    verdict says so when that bound is 0.05 or more.

    Parameters
    ----------
    scores : dict of str to ndarray of shape (n_splits, n_tasks)
        Per-split, per-task scores of each estimator (``NaN``: undefined).
    fit_time : dict of str to ndarray of shape (n_splits,)
        Seconds spent in ``fit`` per split.
    task_names : list of str
    baseline : str
        Key of the reference estimator in ``scores``.
    scoring : str, default="score"
        Name of the score in reports.
    reference : str, default=None
        How sentences name the baseline (default: its key).
    tie_tolerance : float, default=1e-4
        Mean scores within ``tie_tolerance * max(1, |baseline score|)`` tie.
    pooled_scores : dict of str to ndarray of shape (n_splits,), default=None
        One pooled score per split (``explained_variance_mtl``): the table
        reports it instead of the mean of the task scores.
    best_score : float, default=None
        Best possible score (1 for R², 0 for a negated loss); needed by
        ``difference="relative"``.
    test : {"permutation", "bootstrap", "wilcoxon"}, default="permutation"
        The paired test over tasks: sign-flip permutation test of the mean
        difference (exact enumeration of the ``2^T`` sign patterns up to 20
        tasks, else ``n_resamples`` random patterns), bootstrap test of the
        mean, or Wilcoxon signed-rank test (ties within the tolerance set to
        zero and split).
    difference : {"auto", "relative", "absolute"}, default="auto"
        Per-task differences used by the test, the effect size and the
        verdict: ``"relative"`` is ``(s - s_base) / (best_score - s_base)``,
        the share of the baseline's distance to the best score that the
        estimator closes (scale-free: rescaling a task's targets, or scoring
        by MSE instead of normalised MSE, leaves it unchanged); ``"absolute"``
        is ``s - s_base``. ``"auto"``: relative if ``best_score`` is given.
        A task where the baseline scores ``best_score`` has an undefined
        relative difference (left out of the test).
    confidence_level : float, default=0.95
        Of the percentile bootstrap interval of the mean difference.
    n_resamples : int, default=9999
    random_state : int, default=0
        Seed of the Monte Carlo test and of the bootstrap.

    Attributes
    ----------
    estimator_names : list of str
        Keys of ``scores``, in order; the columns of :attr:`mean`.
    task_names, baseline, scores, fit_time, scoring, reference, tie_tolerance, \
pooled_scores, best_score, test, difference_basis, confidence_level
        As given (``difference_basis``: ``"relative"`` or ``"absolute"``).

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.model_selection import Comparison
    >>> scores = {"mtl": np.array([[0.8, 0.7, 0.9], [0.7, 0.8, 0.9]]),
    ...           "single": np.array([[0.6, 0.7, 0.5], [0.5, 0.7, 0.5]])}
    >>> result = Comparison(scores, {"mtl": [1.0, 1.0], "single": [0.5, 0.5]},
    ...                     ["a", "b", "c"], "single", scoring="r2")
    >>> result.mean.round(2)
    array([[0.75, 0.55],
           [0.75, 0.7 ],
           [0.9 , 0.5 ]])
    >>> result.wins, result.ties, result.losses
    ({'mtl': 3, 'single': 0}, {'mtl': 0, 'single': 3}, {'mtl': 0, 'single': 0})
    """

    def __init__(
        self,
        scores,
        fit_time,
        task_names,
        baseline,
        *,
        scoring="score",
        reference=None,
        tie_tolerance=1e-4,
        pooled_scores=None,
        best_score=None,
        test="permutation",
        difference="auto",
        confidence_level=0.95,
        n_resamples=9999,
        random_state=0,
    ):
        self.scores = {name: np.asarray(s, dtype=float) for name, s in scores.items()}
        self.fit_time = {
            name: np.asarray(t, dtype=float) for name, t in fit_time.items()
        }
        self.estimator_names = list(self.scores)
        self.task_names = [str(name) for name in task_names]
        if baseline not in self.scores:
            raise ValueError(f"baseline {baseline!r} is not in {self.estimator_names}.")
        if set(self.fit_time) != set(self.scores):
            raise ValueError("fit_time and scores must have the same estimator names.")
        shapes = {s.shape for s in self.scores.values()}
        if len(shapes) != 1 or shapes.pop()[1:] != (len(self.task_names),):
            raise ValueError(
                "every scores array must have shape (n_splits, n_tasks) with "
                f"n_tasks={len(self.task_names)} (the length of task_names)."
            )
        self._check_options(test, difference, best_score, confidence_level)
        self.baseline = baseline
        self.scoring = scoring
        self.reference = baseline if reference is None else reference
        self.tie_tolerance = tie_tolerance
        self.pooled_scores = None
        if pooled_scores is not None:
            self.pooled_scores = {
                name: np.asarray(pooled_scores[name], dtype=float)
                for name in self.estimator_names
            }
        self.best_score = best_score
        self.test = test
        if difference == "auto":
            difference = "absolute" if best_score is None else "relative"
        self.difference_basis = difference
        self.confidence_level = confidence_level
        self.n_resamples = int(n_resamples)
        self.random_state = random_state
        self._pvalue_cache = {}

    @staticmethod
    def _check_options(test, difference, best_score, confidence_level):
        if test not in _TESTS:
            raise ValueError(f"test must be one of {list(_TESTS)}; got {test!r}.")
        if difference not in _DIFFERENCES:
            raise ValueError(
                f"difference must be one of {list(_DIFFERENCES)}; got {difference!r}."
            )
        if difference == "relative" and best_score is None:
            raise ValueError(
                "difference='relative' needs the best possible score (best_score); "
                "compare knows it for its scorer names, not for a callable scoring."
            )
        if not 0 < confidence_level < 1:
            raise ValueError(
                f"confidence_level must be in (0, 1); got {confidence_level!r}."
            )

    # -- numbers -------------------------------------------------------------
    @property
    def n_splits(self):
        """Number of cross-validation splits."""
        return self.scores[self.baseline].shape[0]

    @property
    def mean(self):
        """Mean score over splits, ndarray of shape (n_tasks, n_estimators)."""
        return np.column_stack(
            [_nanmean(self.scores[n], 0) for n in self.estimator_names]
        )

    @property
    def std(self):
        """Standard deviation over splits, shape (n_tasks, n_estimators)."""
        return np.column_stack(
            [_nanstd(self.scores[n], 0) for n in self.estimator_names]
        )

    def _task_mean(self, name):
        return _nanmean(self.scores[name], 0)

    def difference(self, name):
        """Per-task mean score of ``name`` minus the baseline's, (n_tasks,)."""
        return self._task_mean(name) - self._task_mean(self.baseline)

    def relative_difference(self, name):
        """Per task, ``(s - s_base) / (best_score - s_base)`` of the mean
        scores: the share of the baseline's distance to the best score that
        ``name`` closes (``NaN`` where undefined). Needs ``best_score``."""
        if self.best_score is None:
            raise ValueError("relative_difference needs best_score.")
        gap = self.best_score - self._task_mean(self.baseline)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = self.difference(name) / gap
        return np.where(gap > 0, out, np.nan)

    def effect(self, name):
        """Per-task differences on the basis of the test and the verdict
        (``difference_basis``): relative or absolute, shape (n_tasks,)."""
        if self.difference_basis == "relative":
            return self.relative_difference(name)
        return self.difference(name)

    def outcome(self, name):
        """Per task: ``1`` win, ``-1`` loss, ``0`` tie (or undefined) vs baseline."""
        d = self.difference(name)
        scale = np.maximum(1.0, np.abs(self._task_mean(self.baseline)))
        tolerance = self.tie_tolerance * np.where(np.isnan(scale), 1.0, scale)
        defined = ~np.isnan(d)
        out = np.zeros(d.shape, dtype=int)
        out[defined & (d > tolerance)] = 1
        out[defined & (d < -tolerance)] = -1
        return out

    def _count(self, value):
        return {n: int(np.sum(self.outcome(n) == value)) for n in self.estimator_names}

    @property
    def wins(self):
        """Tasks where each estimator beats the baseline (dict of int)."""
        return self._count(1)

    @property
    def losses(self):
        """Tasks where each estimator is worse than the baseline (dict of int)."""
        return self._count(-1)

    @property
    def ties(self):
        """Tasks with no difference beyond the tolerance, or an undefined score."""
        return self._count(0)

    def _tied_effect(self, name):
        """Per-task effects, set to zero on tied tasks."""
        d = self.effect(name)
        return np.where(self.outcome(name) == 0, np.where(np.isnan(d), d, 0.0), d)

    @property
    def pvalues(self):
        """Two-sided p-value over tasks of the chosen ``test`` (dict; NaN for
        the baseline), on the per-task effects with ties set to zero."""
        return {
            n: float("nan") if n == self.baseline else self._pvalue(n)
            for n in self.estimator_names
        }

    def _pvalue(self, name):
        # memoised: scipy's exact Wilcoxon test with ties is slow
        d = self._tied_effect(name)
        key = (self.test, d.tobytes())
        if key not in self._pvalue_cache:
            self._pvalue_cache[key] = self._run_test(d)
        return self._pvalue_cache[key]

    def _run_test(self, d):
        if self.test == "wilcoxon":
            return _stats.wilcoxon_pvalue(d)
        if self.test == "bootstrap":
            return _stats.bootstrap_pvalue(d, self.n_resamples, self.random_state)
        return _stats.sign_flip_pvalue(d, self.n_resamples, self.random_state)[0]

    def _n_defined(self, name):
        return int(np.sum(~np.isnan(self.effect(name))))

    def test_name(self, name=None):
        """Words naming the test, e.g. "sign-flip permutation test over 12
        tasks (exact)"."""
        n = len(self.task_names) if name is None else self._n_defined(name)
        if self.test == "wilcoxon":
            return f"Wilcoxon signed-rank test over {n} tasks"
        if self.test == "bootstrap":
            return f"bootstrap test of the mean over {n} tasks"
        how = (
            "exact"
            if n <= _stats.EXACT_MAX_TASKS
            else f"{self.n_resamples} random sign patterns"
        )
        return f"sign-flip permutation test over {n} tasks ({how})"

    @property
    def mean_difference(self):
        """Mean over tasks of the per-task effect (:meth:`effect`), dict."""
        out = {}
        for name in self.estimator_names:
            d = self.effect(name)
            d = d[~np.isnan(d)]
            out[name] = float(np.mean(d)) if d.size else float("nan")
        return out

    @property
    def confidence_interval(self):
        """Percentile bootstrap interval over tasks of the mean effect, dict
        of ``(low, high)``."""
        return {name: self._interval(name) for name in self.estimator_names}

    def _interval(self, name):
        d = self.effect(name)
        key = ("interval", self.confidence_level, d.tobytes())
        if key not in self._pvalue_cache:
            self._pvalue_cache[key] = _stats.bootstrap_interval(
                d, self.confidence_level, self.n_resamples, self.random_state
            )
        return self._pvalue_cache[key]

    @property
    def median_difference(self):
        """Median over tasks of the per-task difference from the baseline (dict)."""
        out = {}
        for name in self.estimator_names:
            d = self.difference(name)
            d = d[~np.isnan(d)]
            out[name] = float(np.median(d)) if d.size else float("nan")
        return out

    def task_averaged(self, name):
        """Score of ``name`` per split, (n_splits,): the mean over tasks, or
        the pooled score when the comparison has ``pooled_scores``."""
        if self.pooled_scores is not None:
            return self.pooled_scores[name]
        return _nanmean(self.scores[name], 1)

    # -- words -----------------------------------------------------------------
    def _format_effect(self, value):
        if np.isnan(value):
            return "nan"
        if self.difference_basis == "relative":
            return f"{100 * value:+.1f}%"
        return f"{value:+.3g}"

    def _effect_text(self, name):
        low, high = self._interval(name)
        level = f"{100 * self.confidence_level:g}%"
        what = (
            "mean relative gain"
            if self.difference_basis == "relative"
            else f"mean {self.scoring} difference"
        )
        return (
            f"{what} {self._format_effect(self.mean_difference[name])} "
            f"[{level} CI {self._format_effect(low)} to {self._format_effect(high)}]"
        )

    def verdict(self, name=None):
        """One sentence per estimator on how it compares with the baseline.

        "beats" needs a p-value below 0.05 and a positive mean difference;
        "is worse than" a p-value below 0.05 and a negative one (see the
        class docstring). The sentence gives the mean difference over tasks
        with its bootstrap confidence interval, and names the test.

        Parameters
        ----------
        name : str, default=None
            One estimator; default: every estimator but the baseline, one
            line each.

        Returns
        -------
        text : str

        Examples
        --------
        >>> import numpy as np
        >>> from skmtl.model_selection import Comparison
        >>> scores = {"mtl": np.array([[0.8, 0.7, 0.9]]),
        ...           "one": np.array([[0.6, 0.7, 0.5]])}
        >>> print(Comparison(scores, {"mtl": [1.0], "one": [1.0]}, "abc", "one",
        ...                  scoring="r2").verdict())  # doctest: +NORMALIZE_WHITESPACE
        mtl: no significant difference from one (better on 2, worse on 0 of 3
        tasks; mean r2 difference +0.2 [95% CI +0 to +0.4]; sign-flip
        permutation test over 3 tasks (exact), p = 0.5; with 3 tasks this
        test cannot give p < 0.05).
        """
        if name is not None:
            return self._sentence(name)
        return "\n".join(
            self._sentence(n) for n in self.estimator_names if n != self.baseline
        )

    def _sentence(self, name):
        if name == self.baseline:
            return f"{name} is the baseline."
        p, mean = self.pvalues[name], self.mean_difference[name]
        n_tasks = len(self.task_names)
        stats_text = (
            f"{self._effect_text(name)}; {self.test_name(name)}, p = {_format_p(p)}"
        )
        floor = _stats.minimum_pvalue(self._n_defined(name))
        if self.test != "bootstrap" and floor >= 0.05:
            stats_text += (
                f"; with {self._n_defined(name)} tasks this test cannot give p < 0.05"
            )
        if p < 0.05 and mean > 0:
            return (
                f"{name} beats {self.reference} on {self.wins[name]} of {n_tasks} "
                f"tasks ({stats_text})."
            )
        if p < 0.05 and mean < 0:
            return (
                f"{name} is worse than {self.reference} on {self.losses[name]} of "
                f"{n_tasks} tasks ({stats_text})."
            )
        return (
            f"{name}: no significant difference from {self.reference} (better on "
            f"{self.wins[name]}, worse on {self.losses[name]} of {n_tasks} tasks; "
            f"{stats_text})."
        )

    def _rows(self):
        gain = "rel. gain" if self.difference_basis == "relative" else "gain"
        rows = [
            ["estimator", f"{self.scoring} mean ± std", "wins", "ties", "losses"]
            + [f"{gain} [{100 * self.confidence_level:g}% CI]", "p-value", "fit time"]
        ]
        wins, ties, losses, pvalues = self.wins, self.ties, self.losses, self.pvalues
        means, intervals = self.mean_difference, self.confidence_interval
        for name in self.estimator_names:
            averaged = self.task_averaged(name)
            score = f"{_format_score(_nanmean(averaged, 0))} ± "
            score += _format_score(_nanstd(averaged, 0))
            counts = [str(count[name]) for count in (wins, ties, losses)]
            label = name
            effect = (
                f"{self._format_effect(means[name])} "
                f"[{self._format_effect(intervals[name][0])}, "
                f"{self._format_effect(intervals[name][1])}]"
            )
            if name == self.baseline:
                label, counts, effect = f"{name} *", ["-"] * 3, "-"
            seconds = float(np.sum(self.fit_time[name]))
            fit_time = f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2f} s"
            rows.append(
                [label, score, *counts, effect, _format_p(pvalues[name]), fit_time]
            )
        return rows

    def summary(self):
        """Text report: a table (one row per estimator) and the verdicts.

        The score column is the mean ± standard deviation over splits of the
        score averaged over tasks (or of the pooled score); wins, ties and
        losses count tasks against the baseline (marked ``*``); the gain is
        the mean over tasks of the per-task differences (relative or
        absolute, as the verdict) with its bootstrap interval; the p-value is
        the chosen test's.

        Returns
        -------
        text : str
        """
        rows = self._rows()
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
            for row in rows
        ]
        per = "pooled over tasks" if self.pooled_scores is not None else "per task"
        title = (
            f"{len(self.task_names)} tasks, {self.n_splits} cross-validation splits; "
            f"{self.scoring} {per}, greater is better; * baseline; "
            f"{self.difference_basis} differences, {self.test_name()}."
        )
        rule = "-" * len(lines[0])
        return "\n".join(
            [title, rule, lines[0], rule, *lines[1:], rule, self.verdict()]
        )

    def __str__(self):
        return self.summary()

    def __repr__(self):
        return (
            f"<Comparison of {len(self.estimator_names)} estimators on "
            f"{len(self.task_names)} tasks, {self.n_splits} splits, "
            f"scoring={self.scoring!r}, baseline={self.baseline!r}>"
        )

    # -- tables and pictures -------------------------------------------------------
    def to_frame(self, layout="wide"):
        """Per-task table (pandas) of the mean and std of every estimator.

        Parameters
        ----------
        layout : {"wide", "long"}, default="wide"
            ``"wide"``: one row per task, columns ``(estimator, "mean")`` and
            ``(estimator, "std")``. ``"long"``: one row per (task, estimator)
            with columns ``task``, ``estimator``, ``mean``, ``std``,
            ``n_splits`` (splits where the score is defined), ``difference``
            (from the baseline), ``relative_difference`` (see
            :meth:`relative_difference`; NaN without ``best_score``) and
            ``outcome`` (``"win"``, ``"tie"``, ``"loss"`` or ``"baseline"``).

        Returns
        -------
        frame : pandas.DataFrame

        Examples
        --------
        >>> import numpy as np
        >>> from skmtl.model_selection import Comparison
        >>> scores = {"mtl": np.array([[0.8, 0.7]]), "one": np.array([[0.6, 0.7]])}
        >>> result = Comparison(scores, {"mtl": [1.0], "one": [1.0]}, "ab", "one")
        >>> result.to_frame().shape
        (2, 4)
        >>> list(result.to_frame("long").columns)
        ['task', 'estimator', 'mean', 'std', 'n_splits', 'difference', \
'relative_difference', 'outcome']
        """
        pd = _import("pandas", "Comparison.to_frame")
        if layout == "wide":
            columns = pd.MultiIndex.from_product(
                [self.estimator_names, ["mean", "std"]]
            )
            values = np.stack([self.mean, self.std], axis=2).reshape(
                len(self.task_names), -1
            )
            index = pd.Index(self.task_names, name="task")
            return pd.DataFrame(values, index=index, columns=columns)
        if layout != "long":
            raise ValueError(f"layout must be 'wide' or 'long'; got {layout!r}.")
        return pd.DataFrame(self._long_columns())

    def _long_columns(self):
        """The columns of the long per-task table, as a dict of lists."""
        words = {1: "win", 0: "tie", -1: "loss"}
        mean, std = self.mean, self.std
        columns = {key: [] for key in _LONG_COLUMNS}
        for j, name in enumerate(self.estimator_names):
            outcome = [words[o] for o in self.outcome(name)]
            if name == self.baseline:
                outcome = ["baseline"] * len(outcome)
            relative = (
                self.relative_difference(name)
                if self.best_score is not None
                else np.full(len(self.task_names), np.nan)
            )
            parts = {
                "task": self.task_names,
                "estimator": [name] * len(self.task_names),
                "mean": mean[:, j],
                "std": std[:, j],
                "n_splits": (~np.isnan(self.scores[name])).sum(axis=0),
                "difference": self.difference(name),
                "relative_difference": relative,
                "outcome": outcome,
            }
            for key in _LONG_COLUMNS:
                columns[key] += list(parts[key])
        return columns

    def to_csv(self, path):
        """Write the long per-task table (see :meth:`to_frame`) to a CSV file.

        Needs no pandas. Columns: ``task``, ``estimator``, ``mean``, ``std``,
        ``n_splits``, ``difference``, ``relative_difference`` (empty without
        ``best_score``), ``outcome``.

        Parameters
        ----------
        path : str or path-like
        """
        import csv

        columns = self._long_columns()
        with open(path, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(_LONG_COLUMNS)
            for row in zip(*(columns[key] for key in _LONG_COLUMNS), strict=True):
                writer.writerow(["" if _is_nan(v) else _csv_value(v) for v in row])

    def plot(self, ax=None, kind="tasks"):
        """Picture of the per-task comparison with the baseline.

        Parameters
        ----------
        ax : matplotlib Axes or array of Axes, default=None
            Where to draw: for ``kind="tasks"`` at least ``n_estimators``
            Axes (a new figure if None), for ``kind="differences"`` one Axes.
        kind : {"tasks", "differences"}, default="tasks"
            ``"tasks"``: for every estimator but the baseline, a scatter of
            its per-task mean score (y) against the baseline's (x), with the
            diagonal, tasks coloured by win / tie / loss; plus a panel of
            the sorted per-task differences from the baseline of every
            estimator. ``"differences"``: that last panel only.

        Returns
        -------
        figure : matplotlib.figure.Figure

        Examples
        --------
        >>> result.plot().savefig("comparison.png")  # doctest: +SKIP
        """
        if kind not in ("tasks", "differences"):
            raise ValueError(f"kind must be 'tasks' or 'differences'; got {kind!r}.")
        models = [n for n in self.estimator_names if n != self.baseline]
        if not models:
            raise ValueError("Nothing to plot: the only estimator is the baseline.")
        plt = _import("matplotlib.pyplot", "Comparison.plot", "matplotlib")
        if kind == "differences":
            if ax is None:
                ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")[1]
            self._plot_differences(ax, models)
            return ax.figure
        axes = self._panel_axes(plt, ax, len(models))
        for panel, name in zip(axes, models, strict=False):
            self._plot_scatter(panel, name)
        self._plot_differences(axes[len(models)], models)
        for panel in axes[len(models) + 1 :]:
            panel.set_visible(False)
        return axes[0].figure

    def _panel_axes(self, plt, ax, n_models):
        """Axes of the scatter panels, then the differences panel (which spans
        the rest of the last row of a new figure)."""
        if ax is not None:
            axes = np.ravel(ax)
            if axes.size < n_models + 1:
                raise ValueError(
                    f"kind='tasks' draws {n_models + 1} panels (one per estimator but "
                    f"the baseline, plus the differences); ax has {axes.size}."
                )
            return axes
        nrows = -(-(n_models + 1) // 4)
        ncols = -(-(n_models + 1) // nrows)
        figure = plt.figure(figsize=(4.2 * ncols, 4.0 * nrows), layout="constrained")
        grid = figure.add_gridspec(nrows, ncols)
        axes = [
            figure.add_subplot(grid[k // ncols, k % ncols]) for k in range(n_models)
        ]
        axes.append(figure.add_subplot(grid[n_models // ncols, n_models % ncols :]))
        figure.suptitle(
            f"Per-task {self.scoring} against {self.baseline} "
            f"({len(self.task_names)} tasks, {self.n_splits} CV splits)"
        )
        return axes

    def _plot_scatter(self, ax, name):
        x, y = self._task_mean(self.baseline), self._task_mean(name)
        inner = _robust_range(self.mean)
        if inner is not None:  # outliers are drawn on the border, as triangles
            clipped = (np.clip(x, *inner) != x) | (np.clip(y, *inner) != y)
            x, y = np.clip(x, *inner), np.clip(y, *inner)
        outcome = self.outcome(name)
        kinds = ((1, "better", _WIN), (0, "tie", _TIE), (-1, "worse", _LOSS))
        for value, word, colour in kinds:
            keep = outcome == value
            if keep.any():
                label = f"{word} ({int(keep.sum())})"
                ax.scatter(x[keep], y[keep], s=22, color=colour, label=label)
        if inner is not None:
            if clipped.any():
                ax.scatter(
                    x[clipped],
                    y[clipped],
                    s=70,
                    marker="v",
                    facecolors="none",
                    edgecolors="0.2",
                    label=f"off scale ({int(clipped.sum())})",
                )
            limits = _padded(inner)
            ax.plot(limits, limits, color="0.3", lw=1, ls="--", zorder=0)
            ax.set_xlim(*limits)
            ax.set_ylim(*limits)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel(f"{self.baseline} ({self.scoring})")
        ax.set_ylabel(f"{name} ({self.scoring})")
        mean, p = self.mean_difference[name], _format_p(self.pvalues[name])
        gain = "relative gain" if self.difference_basis == "relative" else "gain"
        ax.set_title(f"{name}\nmean {gain} {self._format_effect(mean)}, p = {p}")
        ax.legend(loc="lower right", fontsize="small", frameon=False)

    def _plot_differences(self, ax, models):
        for name in models:
            d = self.difference(name)
            d = np.sort(d[~np.isnan(d)])[::-1]
            ax.plot(
                np.arange(1, d.size + 1), d, drawstyle="steps-mid", lw=1.6, label=name
            )
        inner = _robust_range(np.append([self.difference(n) for n in models], 0.0))
        if inner is not None:
            ax.set_ylim(*_padded(inner))
        ax.axhline(0.0, color="0.3", lw=1, ls="--")
        ax.set_xlabel("tasks, sorted by difference")
        ax.set_ylabel(f"{self.scoring}: estimator − {self.baseline}")
        ax.set_title("Gain over the baseline, task by task", fontsize="medium")
        ax.legend(fontsize="small", framealpha=0.8)


def _robust_range(values):
    """Range of the finite ``values`` without outliers (further than half the
    2-98 % quantile range beyond those quantiles); None if there are none."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    q_low, q_high = np.quantile(values, [0.02, 0.98])
    spread = q_high - q_low
    return max(values.min(), q_low - spread / 2), min(values.max(), q_high + spread / 2)


def _padded(limits):
    low, high = limits
    pad = 0.05 * (high - low) or 0.05
    return low - pad, high + pad


def _import(module, caller, package=None):
    """Import an optional dependency, with a clear message if it is missing."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = package or module
        raise ImportError(
            f"{caller} needs {package}, which is not installed; install it with "
            f"`pip install {package}`."
        ) from exc
