"""Multi-task metrics and scorers for stacked targets with missing entries.

Targets are stacked as ``Y`` of shape ``(n_samples, n_tasks)``; an entry that
a task does not observe is ``NaN`` (or ``None`` in label arrays). Every
per-task metric of this module applies the scikit-learn metric of the same
name to the observed rows of each task only, then combines the task scores
according to ``multioutput``:

* ``"raw_values"``: an array with one score per task;
* ``"uniform_average"`` (default): the mean over the tasks whose score is
  defined;
* an array of ``n_tasks`` non-negative weights: the weighted mean over the
  tasks whose score is defined.

Undefined scores
----------------
A task's score is ``NaN`` (and the task is left out of the average, with an
:class:`~sklearn.exceptions.UndefinedMetricWarning` naming the task) when

* the task has no observed entry in ``Y_true`` (common in cross-validation
  folds), or zero total ``sample_weight`` on its observed rows;
* scikit-learn's metric returns ``NaN`` on the task's rows, e.g.
  :func:`roc_auc_score` when a single class is present, or :func:`r2_score`
  with fewer than two rows;
* :func:`normalized_mean_squared_error` when the task's observed true targets
  are constant.

Where scikit-learn returns a finite value by convention, so does this module:
:func:`r2_score` with constant targets gives ``1.0`` for a perfect prediction
and ``0.0`` otherwise (``force_finite=True``). If no task has a defined score
the average is ``NaN`` (with a warning).

The scorers (:func:`get_scorer`, :data:`SCORERS`, :func:`make_task_scorer`)
wrap these metrics as ``scorer(estimator, X, Y)`` callables that work as
``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV` and
:func:`~sklearn.model_selection.cross_validate` when ``Y`` holds ``NaN``.
scikit-learn's own scorer strings (``scoring="r2"``, ``"roc_auc"``, ...) do
not: they see the missing entries, fail, and report ``NaN`` scores (with a
"Scoring failed" warning), so a search then chooses among ``NaN``. Every
scikit-learn scorer name with a per-task meaning is also a name here:
``scoring=get_scorer("r2")`` is the fix, together with
``cv=skmtl.model_selection.TaskStratifiedKFold()``.

Targets may also be a scipy sparse matrix whose stored entries are the
observed targets (an explicitly stored ``0`` is an observed 0).
"""

import inspect
import warnings
from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.preprocessing import label_binarize

from ._metrics_utils import (
    evaluate_tasks,
    pooled_regression_entries,
    read_targets,
    warn_user,
)

__all__ = [
    "SCORERS",
    "accuracy_score",
    "balanced_accuracy_score",
    "explained_variance_mtl",
    "explained_variance_score",
    "f1_score",
    "get_scorer",
    "get_scorer_names",
    "log_loss",
    "make_task_scorer",
    "mean_absolute_error",
    "mean_squared_error",
    "normalized_mean_squared_error",
    "r2_score",
    "roc_auc_score",
    "root_mean_squared_error",
]


# --------------------------------------------------------------------------
# Regression metrics
# --------------------------------------------------------------------------


# numpy versions of scikit-learn's regression metrics on one task: the same
# values, without scikit-learn's per-call validation (which costs about 2 ms
# per task and call, more than fitting in a grid search over many tasks)


def _mse(y, pred, sample_weight=None):
    return float(np.average((y - pred) ** 2, weights=sample_weight))


def _rmse(y, pred, sample_weight=None):
    return float(np.sqrt(_mse(y, pred, sample_weight)))


def _r2(y, pred, sample_weight=None, force_finite=True):
    if not force_finite:  # rare: keep scikit-learn's exact warnings and values
        return skm.r2_score(y, pred, sample_weight=sample_weight, force_finite=False)
    if y.size < 2:
        warnings.warn(
            "R^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return float("nan")
    weight = np.ones_like(y) if sample_weight is None else sample_weight
    numerator = float(np.sum(weight * (y - pred) ** 2))
    mean = np.average(y, weights=weight)
    denominator = float(np.sum(weight * (y - mean) ** 2))
    if denominator != 0:
        return 1.0 - numerator / denominator
    return 1.0 if numerator == 0 else 0.0


def _per_task(metric, kind, Y_true, Y_pred, sample_weight, multioutput, **options):
    """``metric(y, pred, sample_weight=w, **options)`` on each task's observed
    rows (``kind``: ``"regression"`` targets or ``"labels"``), combined by
    ``multioutput``: the one wrapper of every metric of predicted values."""

    def one_task(y, pred, weight, _classes):
        return metric(y, pred, sample_weight=weight, **options)

    return evaluate_tasks(
        one_task,
        Y_true,
        Y_pred,
        sample_weight=sample_weight,
        multioutput=multioutput,
        kind=kind,
    )


def _regression(metric, Y_true, Y_pred, sample_weight, multioutput):
    return _per_task(metric, "regression", Y_true, Y_pred, sample_weight, multioutput)


def r2_score(
    Y_true,
    Y_pred,
    *,
    sample_weight=None,
    multioutput="uniform_average",
    force_finite=True,
):
    """Coefficient of determination R² of each task on its observed rows.

    Parameters
    ----------
    Y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        True targets, ``NaN`` where a task does not observe a row. A pandas
        DataFrame is accepted (its column names name the tasks in messages).
    Y_pred : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Predictions; an array, a DataFrame or a list with one array per task.
        Values at entries that ``Y_true`` does not observe are ignored.
    sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks), \
default=None
        Weights of the rows (shared by the tasks) or of each entry.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape \
(n_tasks,), default="uniform_average"
        How to combine the task scores; tasks with an undefined score are
        left out of averages.
    force_finite : bool, default=True
        Passed to :func:`sklearn.metrics.r2_score`: with constant targets a
        task scores ``1.0`` if predicted exactly and ``0.0`` otherwise; with
        ``False`` it scores ``NaN`` (then left out of the average) or ``-inf``.

    Returns
    -------
    score : float or ndarray of shape (n_tasks,)
        The average, or one score per task with ``"raw_values"``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import r2_score
    >>> Y_true = np.array([[1.0, np.nan], [2.0, 0.0], [3.0, 1.0]])
    >>> Y_pred = np.array([[1.0, 5.0], [2.0, 0.0], [4.0, 1.0]])
    >>> r2_score(Y_true, Y_pred, multioutput="raw_values")
    array([0.5, 1. ])
    >>> r2_score(Y_true, Y_pred)
    0.75
    """
    metric = partial(_r2, force_finite=force_finite)
    return _regression(metric, Y_true, Y_pred, sample_weight, multioutput)


def mean_squared_error(
    Y_true, Y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Mean squared error of each task on its observed rows.

    Parameters are those of :func:`r2_score` (without ``force_finite``).

    Returns
    -------
    loss : float or ndarray of shape (n_tasks,)
        The average of the task MSEs, or one MSE per task with
        ``"raw_values"``. Lower is better.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import mean_squared_error
    >>> Y_true = np.array([[1.0, np.nan], [2.0, 0.0], [3.0, 1.0]])
    >>> Y_pred = np.array([[1.0, 5.0], [2.0, 0.0], [4.0, 3.0]])
    >>> mean_squared_error(Y_true, Y_pred, multioutput="raw_values")
    array([0.33333333, 2.        ])
    """
    return _regression(_mse, Y_true, Y_pred, sample_weight, multioutput)


def root_mean_squared_error(
    Y_true, Y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Root mean squared error of each task on its observed rows.

    The average over tasks is the mean of the task RMSEs (as in
    scikit-learn), not the root of the mean MSE. Parameters are those of
    :func:`r2_score` (without ``force_finite``).

    Returns
    -------
    loss : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import root_mean_squared_error
    >>> Y_true = np.array([[1.0, np.nan], [2.0, 0.0], [3.0, 1.0]])
    >>> Y_pred = np.array([[1.0, 5.0], [2.0, 0.0], [3.0, 3.0]])
    >>> root_mean_squared_error(Y_true, Y_pred, multioutput="raw_values")
    array([0.        , 1.41421356])
    """
    return _regression(_rmse, Y_true, Y_pred, sample_weight, multioutput)


def _mae(y, pred, sample_weight=None):
    return float(np.average(np.abs(y - pred), weights=sample_weight))


def mean_absolute_error(
    Y_true, Y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Mean absolute error of each task on its observed rows.

    Parameters are those of :func:`r2_score` (without ``force_finite``).

    Returns
    -------
    loss : float or ndarray of shape (n_tasks,)
        Lower is better.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import mean_absolute_error
    >>> Y_true = np.array([[1.0, np.nan], [2.0, 0.0], [3.0, 1.0]])
    >>> Y_pred = np.array([[1.0, 5.0], [2.0, 0.0], [4.0, 3.0]])
    >>> mean_absolute_error(Y_true, Y_pred, multioutput="raw_values")
    array([0.33333333, 1.        ])
    """
    return _regression(_mae, Y_true, Y_pred, sample_weight, multioutput)


def _explained_variance_one_task(y, pred, sample_weight=None):
    return float(skm.explained_variance_score(y, pred, sample_weight=sample_weight))


def explained_variance_score(
    Y_true, Y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """scikit-learn's explained variance of each task on its observed rows.

    ``1 - Var(y - pred) / Var(y)`` per task, as
    :func:`sklearn.metrics.explained_variance_score` (it ignores a constant
    bias of the predictions; with constant targets a task scores ``1.0`` if
    predicted exactly and ``0.0`` otherwise). This is *not* the pooled
    explained variance of the multi-task literature,
    :func:`explained_variance_mtl`. Parameters are those of :func:`r2_score`
    (without ``force_finite``).

    Returns
    -------
    score : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import explained_variance_score
    >>> Y_true = np.array([[1.0, np.nan], [2.0, 0.0], [3.0, 2.0]])
    >>> Y_pred = np.array([[2.0, 5.0], [3.0, 0.0], [4.0, 1.0]])
    >>> explained_variance_score(Y_true, Y_pred, multioutput="raw_values")
    array([1.  , 0.75])
    """
    return _regression(
        _explained_variance_one_task, Y_true, Y_pred, sample_weight, multioutput
    )


def _weighted_variance(y, weight):
    mean = np.average(y, weights=weight)
    return np.average((y - mean) ** 2, weights=weight)


def _nmse_one_task(y, pred, sample_weight=None):
    kept = y if sample_weight is None else y[sample_weight > 0]
    if np.ptp(kept) == 0:
        warn_user(
            "the normalized MSE is undefined when the observed true targets "
            "are constant (zero variance)."
        )
        return float("nan")
    mse = skm.mean_squared_error(y, pred, sample_weight=sample_weight)
    return mse / _weighted_variance(y, sample_weight)


def normalized_mean_squared_error(
    Y_true, Y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """MSE of each task divided by the variance of its observed true targets.

    For task ``t`` with observed rows ``O_t`` and weights ``s`` (ones by
    default), ``nMSE_t = MSE_t / Var_t`` where ``Var_t`` is the weighted
    (population, ``ddof=0``) variance of ``y_it`` over ``O_t``. A task whose
    observed targets are constant has an undefined score (``NaN``, left out
    of the average, with a warning). Without ``sample_weight`` and with
    non-constant targets, ``nMSE_t = 1 - R²_t``. Parameters are those of
    :func:`r2_score` (without ``force_finite``).

    Returns
    -------
    loss : float or ndarray of shape (n_tasks,)
        Lower is better; predicting each task's mean scores ``1.0``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import normalized_mean_squared_error
    >>> Y_true = np.array([[1.0, np.nan], [2.0, 0.0], [3.0, 2.0]])
    >>> Y_pred = np.array([[2.0, 5.0], [2.0, 1.0], [2.0, 1.0]])
    >>> normalized_mean_squared_error(Y_true, Y_pred, multioutput="raw_values")
    array([1., 1.])
    """
    return _regression(_nmse_one_task, Y_true, Y_pred, sample_weight, multioutput)


def explained_variance_mtl(Y_true, Y_pred, *, sample_weight=None):
    """Explained variance of the pooled observed entries of all tasks.

    This is the "explained variance" of the multi-task literature (used for
    instance on the School data): one minus the mean squared error over all
    observed ``(row, task)`` entries, divided by the variance of all observed
    true targets pooled together (around their common mean)::

        1 - sum_{(i, t) observed} s_it (y_it - p_it)² /
            sum_{(i, t) observed} s_it (y_it - ȳ)²

    with ``ȳ`` the weighted mean of the pooled observed targets. It equals
    :func:`sklearn.metrics.r2_score` applied to the flattened observed
    entries, and is *not* :func:`sklearn.metrics.explained_variance_score`
    (which subtracts the mean error). Because the statistic pools the tasks
    there is no ``multioutput`` argument; for one value per task (each task
    around its own mean) use ``r2_score(..., multioutput="raw_values")``.

    Parameters
    ----------
    Y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        True targets, ``NaN`` where a task does not observe a row.
    Y_pred : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Predictions (array, DataFrame or list with one array per task).
    sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks), \
default=None
        Weight of each row (applied to each of its observed entries) or of
        each entry.

    Returns
    -------
    score : float
        As :func:`sklearn.metrics.r2_score` on the pooled entries: ``NaN``
        (with a warning) when fewer than two entries are observed; with
        constant pooled targets, ``1.0`` for an exact prediction and ``0.0``
        otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import explained_variance_mtl
    >>> Y_true = np.array([[1.0, np.nan], [2.0, 4.0], [3.0, 6.0]])
    >>> Y_pred = np.array([[1.0, 0.0], [2.0, 4.0], [3.0, 4.0]])
    >>> round(explained_variance_mtl(Y_true, Y_pred), 4)
    0.7297
    """
    y, pred, weight = pooled_regression_entries(Y_true, Y_pred, sample_weight)
    if y.size == 0 or (weight is not None and not weight.sum() > 0):
        warn_user(
            "explained_variance_mtl: Y_true has no observed entry with "
            "positive weight; the score is NaN."
        )
        return float("nan")
    return float(skm.r2_score(y, pred, sample_weight=weight))


def _explained_variance_shares(Y_true, Y_pred, sample_weight=None):
    """Per-task shares of :func:`explained_variance_mtl`, and the pooled value.

    Task ``t`` scores ``1 - SSE_t / (W_t V)`` with ``SSE_t`` its weighted sum
    of squared errors, ``W_t`` its total weight and ``V`` the pooled weighted
    variance of all observed targets: the ``W_t``-weighted mean of the task
    scores is the pooled statistic. Returns ``(scores, pooled)``.
    """
    Y, mask, names = read_targets(Y_true)
    y, pred, weight = pooled_regression_entries(Y_true, Y_pred, sample_weight)
    pooled = explained_variance_mtl(Y_true, Y_pred, sample_weight=sample_weight)
    tasks = np.nonzero(mask.T)[0]
    weight = np.ones_like(y) if weight is None else weight
    variance = _weighted_variance(y, weight) if weight.sum() > 0 else 0.0
    sse = np.bincount(tasks, weight * (y - pred) ** 2, minlength=Y.shape[1])
    total = np.bincount(tasks, weight, minlength=Y.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = 1.0 - sse / (total * variance)
    scores[~(total > 0) | ~(variance > 0)] = np.nan
    return scores, pooled


# --------------------------------------------------------------------------
# Classification metrics
# --------------------------------------------------------------------------


def _check_known_labels(y, classes, name):
    unknown = np.unique(y[~np.isin(y, classes)])
    if unknown.size:
        raise ValueError(
            f"Y_true holds label(s) {unknown.tolist()} that are not in {name} "
            f"{classes.tolist()}."
        )


def _check_columns(n_columns, classes, y, pred_name):
    """Classes of a task whose scores have ``n_columns`` columns (2 if 1-D)."""
    if classes is None:
        present = np.unique(y)
        if present.size != n_columns:
            raise ValueError(
                f"Y_true holds {present.size} distinct label(s) on its observed rows "
                f"but {pred_name} gives {n_columns} classes; pass classes= (e.g. "
                "estimator.classes_) to say which label each column scores."
            )
        return present
    if classes.size != n_columns:
        raise ValueError(
            f"{pred_name} gives {n_columns} classes but classes has "
            f"{classes.size} labels {classes.tolist()}."
        )
    _check_known_labels(y, classes, "classes")
    return classes


def accuracy_score(
    Y_true, Y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Accuracy of the predicted labels of each task on its observed rows.

    Parameters
    ----------
    Y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        True labels (numbers or strings, per task), ``NaN`` or ``None`` where
        a task does not observe a row.
    Y_pred : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Predicted labels, e.g. the output of a classifier's ``predict``.
    sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks), \
default=None
    multioutput : {"raw_values", "uniform_average"} or array-like of shape \
(n_tasks,), default="uniform_average"

    Returns
    -------
    score : float or ndarray of shape (n_tasks,)
        Fraction (weighted) of correctly predicted observed labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import accuracy_score
    >>> Y_true = np.array([["a", 0], ["b", None], ["b", 1], ["a", 1]], dtype=object)
    >>> Y_pred = np.array([["a", 0], ["a", 0], ["b", 0], ["b", 1]], dtype=object)
    >>> accuracy_score(Y_true, Y_pred, multioutput="raw_values")
    array([0.5       , 0.66666667])
    """
    return _per_task(
        _accuracy, "labels", Y_true, Y_pred, sample_weight, multioutput
    )


def _accuracy(y, pred, sample_weight=None):
    """scikit-learn's ``accuracy_score`` on one task, in numpy for plain
    labels (integers, booleans, strings, or whole-number floats on both
    sides: what its validation accepts as binary or multiclass); otherwise
    scikit-learn itself (its checks and errors)."""
    pred = np.asarray(pred)
    plain = (y.ndim == 1 and pred.shape == y.shape
             and _whole_labels(y) and _whole_labels(pred)
             and (y.dtype.kind == "U") == (pred.dtype.kind == "U"))
    if not plain:
        return skm.accuracy_score(y, pred, sample_weight=sample_weight)
    return float(np.average(y == pred, weights=sample_weight))


def _whole_labels(values):
    if values.dtype.kind in "iubU":
        return True
    return (values.dtype.kind == "f" and bool(np.all(np.isfinite(values)))
            and bool(np.all(values == np.round(values))))


def balanced_accuracy_score(
    Y_true, Y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Balanced accuracy (mean recall over classes) of each task.

    :func:`sklearn.metrics.balanced_accuracy_score` on the observed rows of
    each task. Parameters are those of :func:`accuracy_score`.

    Returns
    -------
    score : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import balanced_accuracy_score
    >>> Y_true = np.array([[0, 1], [0, np.nan], [0, 0], [1, 1]])
    >>> Y_pred = np.array([[0, 1], [0, 0], [1, 1], [1, 1]])
    >>> balanced_accuracy_score(Y_true, Y_pred, multioutput="raw_values")
    array([0.83333333, 0.5       ])
    """
    return _per_task(
        skm.balanced_accuracy_score, "labels", Y_true, Y_pred, sample_weight,
        multioutput,
    )


def f1_score(
    Y_true,
    Y_pred,
    *,
    average="binary",
    pos_label=1,
    sample_weight=None,
    multioutput="uniform_average",
):
    """F1 score of each task on its observed rows.

    :func:`sklearn.metrics.f1_score` per task with the same ``average`` and
    ``pos_label``: ``"binary"`` needs every task to hold the label
    ``pos_label``; ``"macro"``, ``"micro"`` and ``"weighted"`` average over
    the classes of each task (labels present in its true or predicted
    values). Other parameters are those of :func:`accuracy_score`.

    Returns
    -------
    score : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import f1_score
    >>> Y_true = np.array([[0, 1], [0, np.nan], [1, 0], [1, 1]])
    >>> Y_pred = np.array([[0, 1], [0, 0], [1, 1], [0, 1]])
    >>> f1_score(Y_true, Y_pred, multioutput="raw_values")
    array([0.66666667, 0.8       ])
    """
    if average not in ("binary", "macro", "micro", "weighted"):
        raise ValueError(
            "average must be 'binary', 'macro', 'micro' or 'weighted'; got "
            f"{average!r}."
        )
    return _per_task(
        skm.f1_score, "labels", Y_true, Y_pred, sample_weight, multioutput,
        average=average, pos_label=pos_label,
    )


def _roc_auc_one_task(y, score, weight, classes):
    if score.ndim == 2 and score.shape[1] == 2:  # predict_proba of a binary task
        score = score[:, 1]
    if score.ndim == 1 and classes is None:
        if np.unique(y).size > 2:
            raise ValueError(
                "Y_score gives one score per row (binary task) but Y_true holds "
                f"{np.unique(y).size} labels; give (n_samples, K) scores."
            )
        return skm.roc_auc_score(y, score, sample_weight=weight)
    if score.ndim == 1:
        classes = _check_columns(2, classes, y, "Y_score")
        positive = (y == classes[1]).astype(np.int64)
        return skm.roc_auc_score(positive, score, sample_weight=weight)
    classes = _check_columns(score.shape[1], classes, y, "Y_score")
    indicator = label_binarize(y, classes=classes)
    return skm.roc_auc_score(indicator, score, average="macro", sample_weight=weight)


def roc_auc_score(
    Y_true, Y_score, *, sample_weight=None, multioutput="uniform_average", classes=None
):
    """Area under the ROC curve of each task on its observed rows.

    A binary task is scored with the score of its positive class
    ``classes[t][1]`` (the larger label when ``classes`` is not given). A
    task with ``K > 2`` classes needs ``(n_samples, K)`` scores and gets the
    one-vs-rest macro AUC, as ``sklearn.metrics.roc_auc_score(y, score,
    multi_class="ovr", labels=classes[t])``; the scores need not sum to one
    (``decision_function`` output works). A task on whose rows a class is
    absent has an undefined AUC (``NaN``, as in scikit-learn): it is left out
    of the average with a warning.

    Parameters
    ----------
    Y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        True labels, ``NaN`` or ``None`` where a task does not observe a row.
    Y_score : ndarray of shape (n_samples, n_tasks) or list of arrays
        Either an ``(n_samples, n_tasks)`` array of positive-class scores
        (every task binary: the ``decision_function`` format), or a list with
        one entry per task, each ``(n_samples,)`` (binary score) or
        ``(n_samples, K_t)`` (class scores or probabilities, as returned by
        ``predict_proba``). Single task: ``(n_samples,)`` or
        ``(n_samples, K)``.
    sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks), \
default=None
    multioutput : {"raw_values", "uniform_average"} or array-like of shape \
(n_tasks,), default="uniform_average"
    classes : list of array-like, default=None
        Sorted labels of each task (``estimator.classes_``); the columns of a
        task's scores follow them. Needed when a fold lacks a class of a task
        with ``K > 2`` classes. A single array is accepted for one task.

    Returns
    -------
    score : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import roc_auc_score
    >>> Y_true = np.array([[0, 1], [1, np.nan], [0, 0], [1, 1]])
    >>> scores = np.array([[0.1, 2.0], [0.8, 0.0], [0.3, -1.0], [0.2, 0.5]])
    >>> roc_auc_score(Y_true, scores, multioutput="raw_values")
    array([0.75, 1.  ])
    """
    return evaluate_tasks(
        _roc_auc_one_task,
        Y_true,
        Y_score,
        sample_weight=sample_weight,
        multioutput=multioutput,
        kind="scores",
        classes=classes,
        pred_name="Y_score",
    )


def _log_loss_one_task(y, proba, weight, classes):
    n_columns = 2 if proba.ndim == 1 else proba.shape[1]
    classes = _check_columns(n_columns, classes, y, "Y_proba")
    value = _log_loss_numpy(y, proba, weight, classes)
    if value is not None:
        return value
    return skm.log_loss(y, proba, sample_weight=weight, labels=classes)


def _log_loss_numpy(y, proba, weight, classes):
    """scikit-learn's ``log_loss(y, proba, sample_weight=weight,
    labels=classes)`` in numpy (the same formula: probabilities clipped to
    ``[eps, 1 - eps]`` of their dtype, the mean of ``-log p`` of each row's
    label, weighted), or None where scikit-learn would warn or raise, or
    the input is not plain (then scikit-learn itself is called). Its
    validation costs about 3 ms per task and call: a classifier's CV path
    of 100 strengths, 5 folds and 29 tasks (Landmine) spent 43 s of 50 in
    it."""
    classes = np.asarray(classes)
    if (proba.dtype not in (np.float32, np.float64) or classes.size < 2
            or y.dtype.kind not in "iufU" or classes.dtype.kind not in "iufU"
            or (y.dtype.kind == "U") != (classes.dtype.kind == "U")
            or not np.all(classes[:-1] < classes[1:])):
        return None
    P = proba if proba.ndim == 2 else np.column_stack([1 - proba, proba])
    if (P.shape != (y.size, classes.size) or not np.all(np.isfinite(P))
            or P.min(initial=0.0) < 0 or P.max(initial=0.0) > 1):
        return None
    eps = np.finfo(P.dtype).eps
    if not np.allclose(P.sum(axis=1), 1.0, rtol=np.sqrt(eps), atol=0.0):
        return None  # scikit-learn warns that they do not sum to one
    codes = np.minimum(np.searchsorted(classes, y), classes.size - 1)
    if not np.all(classes[codes] == y):
        return None  # an unknown label: scikit-learn's error
    picked = np.clip(P[np.arange(y.size), codes], eps, 1 - eps)
    if weight is not None:
        weight = np.asarray(weight, dtype=np.float64)
        if weight.shape != y.shape or not np.all(np.isfinite(weight)):
            return None
    return float(np.average(-np.log(picked), weights=weight))


def log_loss(
    Y_true, Y_proba, *, sample_weight=None, multioutput="uniform_average", classes=None
):
    """Logistic (cross-entropy) loss of each task on its observed rows.

    Parameters
    ----------
    Y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        True labels, ``NaN`` or ``None`` where a task does not observe a row.
    Y_proba : list of arrays or ndarray
        Class probabilities as returned by ``predict_proba``: a list with one
        ``(n_samples, K_t)`` array per task, columns in the order of
        ``classes[t]``; an ``(n_samples,)`` entry is the probability of the
        positive class of a binary task. Single task: one ``(n_samples, K)``
        array. An ``(n_samples, n_tasks)`` array gives positive-class
        probabilities of binary tasks.
    sample_weight : array-like of shape (n_samples,) or (n_samples, n_tasks), \
default=None
    multioutput : {"raw_values", "uniform_average"} or array-like of shape \
(n_tasks,), default="uniform_average"
    classes : list of array-like, default=None
        Sorted labels of each task (``estimator.classes_``). Without it the
        labels are those present in the task's observed rows, which must then
        be as many as the probability columns.

    Returns
    -------
    loss : float or ndarray of shape (n_tasks,)
        Lower is better.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.metrics import log_loss
    >>> Y_true = np.array([["a", "x"], ["b", None], ["c", "y"]], dtype=object)
    >>> proba = [np.array([[0.8, 0.1, 0.1], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]]),
    ...          np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])]
    >>> log_loss(Y_true, proba, multioutput="raw_values").round(4)
    array([0.319 , 0.1643])
    """
    return evaluate_tasks(
        _log_loss_one_task,
        Y_true,
        Y_proba,
        sample_weight=sample_weight,
        multioutput=multioutput,
        kind="scores",
        classes=classes,
        pred_name="Y_proba",
    )


# --------------------------------------------------------------------------
# Scorers
# --------------------------------------------------------------------------

_RESPONSES = ("predict", "predict_proba", "decision_function")


def _accepts(function, name):
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


class _TaskScorer:
    """Callable ``scorer(estimator, X, Y, sample_weight=None) -> float``."""

    def __init__(self, metric, response, sign, kwargs):
        self._metric = metric
        self._response = response
        self._sign = sign
        self._kwargs = kwargs

    def __repr__(self):
        name = getattr(self._metric, "__name__", repr(self._metric))
        response = self._response[0] if len(self._response) == 1 else self._response
        extra = "".join(f", {k}={v!r}" for k, v in self._kwargs.items())
        return (
            f"make_task_scorer({name}, response={response!r}, "
            f"greater_is_better={self._sign > 0}{extra})"
        )

    def _respond(self, estimator, X):
        for name in self._response:
            if hasattr(estimator, name):
                return name, getattr(estimator, name)(X)
        raise ValueError(
            f"{self!r} needs an estimator with {' or '.join(self._response)}; "
            f"{type(estimator).__name__} has none."
        )

    def prediction_metric(self):
        """``(metric, sign, kwargs)`` when the scorer scores ``predict``'s
        output only, so that ``sign * metric(Y, prediction, **kwargs)`` (plus
        ``sample_weight``) is its value without the estimator (the CV
        estimators score a path's predictions at once); else None."""
        if self._response != ("predict",):
            return None
        return self._metric, self._sign, dict(self._kwargs)

    def __call__(self, estimator, X, Y, sample_weight=None):
        response, output = self._respond(estimator, X)
        kwargs = dict(self._kwargs)
        if (
            response != "predict"
            and "classes" not in kwargs
            and hasattr(estimator, "classes_")
            and _accepts(self._metric, "classes")
        ):
            kwargs["classes"] = estimator.classes_
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return self._sign * float(self._metric(Y, output, **kwargs))


def make_task_scorer(metric, *, response="predict", greater_is_better=True, **kwargs):
    """Make a scorer ``scorer(estimator, X, Y) -> float`` from a metric.

    The scorer calls ``metric(Y, output, **kwargs)`` where ``output`` is the
    estimator's response to ``X``; if it is a probability or score and the
    metric takes a ``classes`` argument, ``estimator.classes_`` is passed as
    ``classes`` (unless given in ``kwargs``). ``sample_weight`` given to the
    scorer is passed on. ``Y`` may hold ``NaN``: the scorers work as
    ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV` and
    :func:`~sklearn.model_selection.cross_validate`.

    Parameters
    ----------
    metric : callable
        ``metric(Y_true, output, **kwargs) -> float``, e.g. a metric of this
        module.
    response : {"predict", "predict_proba", "decision_function"} or tuple, \
default="predict"
        Method of the estimator giving ``output``; with a tuple, the first
        method the estimator has is used.
    greater_is_better : bool, default=True
        If False the scorer returns ``-metric(...)``, so that greater is
        always better (scikit-learn's convention for the ``neg_`` scorers).
    **kwargs
        Further keyword arguments of ``metric``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, Y, sample_weight=None) -> float``.

    Examples
    --------
    >>> from skmtl.metrics import make_task_scorer, mean_squared_error
    >>> scorer = make_task_scorer(mean_squared_error, greater_is_better=False,
    ...                           multioutput=[1.0, 2.0])
    >>> scorer
    make_task_scorer(mean_squared_error, response='predict', \
greater_is_better=False, multioutput=[1.0, 2.0])
    """
    if not callable(metric):
        raise ValueError(f"metric must be callable; got {metric!r}.")
    responses = (response,) if isinstance(response, str) else tuple(response)
    unknown = [r for r in responses if r not in _RESPONSES]
    if unknown or not responses:
        raise ValueError(
            f"response must be one of {_RESPONSES} or a tuple of them; got "
            f"{response!r}."
        )
    if "multioutput" in kwargs:
        _check_scorer_multioutput(kwargs["multioutput"])
    sign = 1.0 if greater_is_better else -1.0
    return _TaskScorer(metric, responses, sign, kwargs)


def _check_scorer_multioutput(multioutput):
    """``multioutput`` of a scorer: ``"uniform_average"`` or task weights
    (any 1-D array-like); the number of weights is checked against the tasks
    of ``Y`` when the scorer is called."""
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            raise ValueError(
                "A scorer returns one number: multioutput='raw_values' is not allowed."
            )
        if multioutput != "uniform_average":
            raise ValueError(
                "multioutput must be 'uniform_average' or an array-like of task "
                f"weights; got {multioutput!r}."
            )
        return
    try:
        weights = np.asarray(multioutput, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"multioutput must be an array-like of task weights; got {multioutput!r}."
        ) from None
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(
            "multioutput task weights must be a non-empty 1-D array-like (one weight "
            f"per task); got shape {weights.shape}."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("multioutput task weights must be finite and non-negative.")


_PROBA_OR_SCORE = ("predict_proba", "decision_function")


_LOSS = {"greater_is_better": False}


class _Spec(NamedTuple):
    """A named scorer: the metric, the response it scores, its direction, extra
    keyword arguments, and the best possible score (greater-is-better sign)."""

    metric: Callable
    response: object = "predict"
    greater_is_better: bool = True
    kwargs: Mapping = MappingProxyType({})
    best: float = 1.0


# Every scikit-learn scorer name with a meaning on stacked targets, under
# scikit-learn's name, plus skmtl's own; compare and the CLI read this table.
_SPECS = MappingProxyType(
    {
        "r2": _Spec(r2_score),
        "explained_variance": _Spec(explained_variance_score),
        "neg_mean_squared_error": _Spec(mean_squared_error, best=0.0, **_LOSS),
        "neg_root_mean_squared_error": _Spec(
            root_mean_squared_error, best=0.0, **_LOSS
        ),
        "neg_mean_absolute_error": _Spec(mean_absolute_error, best=0.0, **_LOSS),
        "neg_normalized_mean_squared_error": _Spec(
            normalized_mean_squared_error, best=0.0, **_LOSS
        ),
        "explained_variance_mtl": _Spec(explained_variance_mtl),
        "accuracy": _Spec(accuracy_score),
        "balanced_accuracy": _Spec(balanced_accuracy_score),
        "f1": _Spec(f1_score),
        "f1_macro": _Spec(f1_score, kwargs=MappingProxyType({"average": "macro"})),
        "f1_micro": _Spec(f1_score, kwargs=MappingProxyType({"average": "micro"})),
        "f1_weighted": _Spec(
            f1_score, kwargs=MappingProxyType({"average": "weighted"})
        ),
        "roc_auc": _Spec(roc_auc_score, response=_PROBA_OR_SCORE),
        "roc_auc_ovr": _Spec(roc_auc_score, response=_PROBA_OR_SCORE),
        "neg_log_loss": _Spec(
            log_loss, response="predict_proba", greater_is_better=False, best=0.0
        ),
    }
)

_CLASSIFICATION = frozenset(
    {"accuracy", "balanced_accuracy", "f1", "f1_macro", "f1_micro", "f1_weighted"}
    | {"roc_auc", "roc_auc_ovr", "neg_log_loss"}
)

SCORERS = MappingProxyType(
    {
        name: make_task_scorer(
            spec.metric,
            response=spec.response,
            greater_is_better=spec.greater_is_better,
            **spec.kwargs,
        )
        for name, spec in _SPECS.items()
    }
)
"""Read-only mapping from scorer name to scorer (see :func:`get_scorer`)."""


def get_scorer_names():
    """Names accepted by :func:`get_scorer`.

    Returns
    -------
    names : list of str
        Sorted names.

    Examples
    --------
    >>> from skmtl.metrics import get_scorer_names
    >>> "neg_normalized_mean_squared_error" in get_scorer_names()
    True
    """
    return sorted(SCORERS)


def get_scorer(scoring):
    """Scorer for ``scoring=`` in model selection, from its name.

    Every scikit-learn scorer name with a meaning on stacked targets gives
    the metric of this module of the same name, so the one-line fix of a
    ``GridSearchCV`` or ``cross_validate`` on targets with missing entries
    is ``scoring=get_scorer("r2")`` instead of ``scoring="r2"`` (scikit-learn's
    own scorer cannot skip the missing entries: its fits or scores fail and
    it reports ``NaN``).

    Parameters
    ----------
    scoring : str or callable
        One of :func:`get_scorer_names`. Regression: ``"r2"``,
        ``"explained_variance"`` (scikit-learn's, per task),
        ``"neg_mean_squared_error"``, ``"neg_root_mean_squared_error"``,
        ``"neg_mean_absolute_error"``, ``"neg_normalized_mean_squared_error"``,
        ``"explained_variance_mtl"`` (pooled over tasks). Classification:
        ``"accuracy"``, ``"balanced_accuracy"``, ``"f1"`` (binary, positive
        label 1), ``"f1_macro"``, ``"f1_micro"``, ``"f1_weighted"``,
        ``"roc_auc"`` (one-vs-rest macro for more than two classes, also
        ``"roc_auc_ovr"``), ``"neg_log_loss"``. Every per-task score is
        averaged over the tasks with a defined score. A callable is returned
        unchanged.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, Y, sample_weight=None) -> float``, greater is
        better. ``"roc_auc"`` uses ``predict_proba`` when the estimator has it,
        else ``decision_function``; ``"neg_log_loss"`` uses
        ``predict_proba``; both pass ``estimator.classes_`` as ``classes``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyRegressor
    >>> from skmtl.metrics import get_scorer
    >>> X = np.arange(8.0).reshape(-1, 1)
    >>> y = np.array([0.0, 1.0, np.nan, 3.0, 4.0, np.nan, 6.0, 7.0])
    >>> scorer = get_scorer("neg_mean_squared_error")
    >>> zero = DummyRegressor(strategy="constant", constant=0.0).fit(X, np.zeros(8))
    >>> scorer(zero, X, y)
    -18.5
    """
    if callable(scoring):
        return scoring
    if isinstance(scoring, str) and scoring in SCORERS:
        return SCORERS[scoring]
    raise ValueError(
        f"Unknown scorer {scoring!r}; valid names are {get_scorer_names()}. "
        "(scikit-learn's other scorer names have no per-task meaning here; build "
        "one with make_task_scorer.)"
    )
